use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const HOST: DeviceId = DeviceId::from_bytes([1; 32]);
const JOINER: DeviceId = DeviceId::from_bytes([2; 32]);
const MITM: DeviceId = DeviceId::from_bytes([3; 32]);
const VAULT: VaultId = VaultId::from_u64(0x0123_4567_89ab_cdef);
const ENDPOINT: EndpointId = EndpointId::from_bytes([7; 32]);

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn code(s: &str) -> PairingCode {
    s.parse().expect("valid code")
}

/// Runs the exchange; `host_sees` / `joiner_sees` are the peers' ids as each side's TLS shows.
fn run(
    host: &mut Host,
    joiner_code: &PairingCode,
    host_sees: DeviceId,
    joiner_sees: DeviceId,
    now: u64,
) -> Result<(Admission, VaultId), PairError> {
    let mut r = rng(now + 1);
    let (joiner, start) = Joiner::start(joiner_code, JOINER, "phone", Some(ENDPOINT), &mut r);
    let reply = host.handle_start(host_sees, &start, now, &mut r)?;
    match joiner.handle_reply(joiner_sees, &reply) {
        Ok((confirm, vault)) => Ok((host.handle_confirm(host_sees, &confirm)?, vault)),
        Err(e) => {
            // The joiner tells the host, which burns the code.
            assert_eq!(
                host.handle_confirm(host_sees, &Message::Failed),
                Err(PairError::WrongCode)
            );
            Err(e)
        }
    }
}

#[test]
fn right_code_pairs_and_tells_the_joiner_the_vault() {
    let c = code("42-harbor-velvet");
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    assert_eq!(
        run(&mut host, &c, JOINER, HOST, 10),
        Ok((
            Admission {
                name: "phone".into(),
                endpoint: Some(ENDPOINT),
            },
            VAULT
        ))
    );
    assert!(host.is_paired());
}

#[test]
fn the_joiners_tag_binds_the_endpoint_id_it_announces() {
    let c = code("42-harbor-velvet");
    let mut r = rng(3);
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    let (joiner, start) = Joiner::start(&c, JOINER, "phone", Some(ENDPOINT), &mut r);
    let reply = host.handle_start(JOINER, &start, 1, &mut r).expect("reply");
    let (confirm, _) = joiner.handle_reply(HOST, &reply).expect("right code");
    let Message::Confirm { tag, name, .. } = confirm else {
        panic!("not a confirm")
    };
    // Someone who swaps the endpoint id (to be admitted beyond the LAN in the joiner's place)
    // fails the tag: the code is burned and nobody is admitted.
    let swapped = Message::Confirm {
        tag,
        endpoint: Some(EndpointId::from_bytes([8; 32])),
        name,
    };
    assert_eq!(
        host.handle_confirm(JOINER, &swapped),
        Err(PairError::WrongCode)
    );
    assert!(host.is_burned());
}

#[test]
fn a_joiner_without_an_endpoint_pairs_with_none() {
    let c = code("42-harbor-velvet");
    let mut r = rng(4);
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    let (joiner, start) = Joiner::start(&c, JOINER, "browser", None, &mut r);
    let reply = host.handle_start(JOINER, &start, 1, &mut r).expect("reply");
    let (confirm, _) = joiner.handle_reply(HOST, &reply).expect("right code");
    assert_eq!(
        host.handle_confirm(JOINER, &confirm),
        Ok(Admission {
            name: "browser".into(),
            endpoint: None,
        })
    );
}

#[test]
fn wrong_password_fails_confirmation_and_burns_the_code() {
    let c = code("42-harbor-velvet");
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    assert_eq!(
        run(&mut host, &code("42-harbor-vessel"), JOINER, HOST, 10),
        Err(PairError::WrongCode)
    );
    assert!(host.is_burned());
    // The right code afterwards is refused: one guess per code.
    assert_eq!(run(&mut host, &c, JOINER, HOST, 11), Err(PairError::Burned));
}

#[test]
fn another_nameplate_is_another_password() {
    let mut host = Host::new(code("42-harbor-velvet"), HOST, VAULT, 1000);
    assert_eq!(
        run(&mut host, &code("43-harbor-velvet"), JOINER, HOST, 10),
        Err(PairError::WrongCode)
    );
}

#[test]
fn tags_bind_the_tls_device_ids() {
    let c = code("42-harbor-velvet");
    // The joiner's TLS connection reached someone else (a relay): the host's tag covers the
    // host's real id, so the joiner refuses.
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    assert_eq!(
        run(&mut host, &c, JOINER, MITM, 10),
        Err(PairError::WrongCode)
    );
    assert!(host.is_burned());
    // The host's TLS peer is not the device that computed the joiner's tag.
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    assert_eq!(
        run(&mut host, &c, MITM, HOST, 10),
        Err(PairError::WrongCode)
    );
    assert!(host.is_burned());
}

#[test]
fn tags_bind_the_vault_id() {
    let c = code("42-harbor-velvet");
    let mut r = rng(5);
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    let (joiner, start) = Joiner::start(&c, JOINER, "phone", None, &mut r);
    let Message::Reply {
        spake,
        masked_vault,
        tag,
    } = host.handle_start(JOINER, &start, 1, &mut r).expect("reply")
    else {
        panic!("not a reply")
    };
    // Flip one bit of the masked vault id: the joiner decodes another vault and refuses.
    let mut tampered = masked_vault;
    tampered[7] ^= 1;
    let reply = Message::Reply {
        spake,
        masked_vault: tampered,
        tag,
    };
    assert_eq!(
        joiner.handle_reply(HOST, &reply).map(|(_, v)| v),
        Err(PairError::WrongCode)
    );
}

#[test]
fn expired_code_is_refused_before_any_guess() {
    let c = code("42-harbor-velvet");
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    assert_eq!(
        run(&mut host, &c, JOINER, HOST, 1000),
        Err(PairError::Expired)
    );
    assert!(!host.is_burned() && !host.is_paired());
}

#[test]
fn used_code_cannot_be_reused() {
    let c = code("42-harbor-velvet");
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    assert!(run(&mut host, &c, JOINER, HOST, 10).is_ok());
    assert_eq!(run(&mut host, &c, JOINER, HOST, 20), Err(PairError::Used));
}

#[test]
fn a_second_joiner_mid_exchange_is_busy_and_hanging_up_burns() {
    let c = code("42-harbor-velvet");
    let mut r = rng(9);
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    let (_j1, start1) = Joiner::start(&c, JOINER, "one", None, &mut r);
    host.handle_start(JOINER, &start1, 1, &mut r)
        .expect("reply");
    let (_j2, start2) = Joiner::start(&c, MITM, "two", None, &mut r);
    assert_eq!(
        host.handle_start(MITM, &start2, 2, &mut r),
        Err(PairError::Busy)
    );
    host.abandon();
    assert!(host.is_burned());
}

#[test]
fn a_malformed_point_is_refused_without_consuming_the_code() {
    let c = code("42-harbor-velvet");
    let mut r = rng(11);
    let mut host = Host::new(c.clone(), HOST, VAULT, 1000);
    let bad = Message::Start {
        version: PAIR_VERSION,
        spake: vec![0xff; 33],
    };
    assert_eq!(
        host.handle_start(JOINER, &bad, 1, &mut r),
        Err(PairError::Malformed)
    );
    assert_eq!(
        run(&mut host, &c, JOINER, HOST, 2).map(|(a, _)| a.name),
        Ok("phone".into())
    );
}
