//! Sync beyond the LAN through iroh, as processes: daemons whose LAN addresses went stale
//! reach each other by endpoint id through a loopback relay that the test runs
//! (`rapport_net::test_relay`, the same server code as `iroh-relay`), and a revoked device is
//! refused there. Every daemon binds 127.0.0.1, so its iroh endpoint binds only loopback too;
//! discovery is off. Nothing leaves the loopback interface.

use crate::daemon::{clone_from, device_id, family, Daemon};
use crate::support::Home;
use rapport_net::test_relay::TestRelay;
use std::time::{Duration, Instant};

/// Polls until `home` shows `note` on `contact`, at most `within`.
fn arrives(home: &Home, contact: &str, note: &str, within: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        let shown = home.json(&["show", contact]);
        let notes = shown["interactions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if notes.iter().any(|i| i["id"].as_str() == Some(note)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// How `home` last reached the device called `name`, as `status --json` says.
fn via(home: &Home, name: &str) -> Option<String> {
    let status = home.json(&["status"]);
    status
        .as_array()?
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .and_then(|p| p["via"].as_str().map(str::to_owned))
}

/// A hub with a relay set and `n` spokes that cloned from it and served once on the LAN, so
/// every roster record carries its endpoint id and home relay. Then every daemon stopped:
/// restarted, they listen on new ports, and the LAN addresses they remember are stale.
fn spread_out(n: usize, relay: &TestRelay) -> (Home, Vec<Home>, String) {
    let (hub, spokes) = family(n);
    let hub_id = device_id(&hub);
    hub.ok(&["relay", "set", relay.url()]);
    let jeanne = hub.id(&["add", "Jeanne Yocum"]);
    {
        let d = Daemon::start(&hub);
        for s in &spokes {
            clone_from(&d, &hub_id, s);
        }
        // Each spoke serves once on the LAN: it writes its reach (endpoint id, home relay)
        // into its own roster record first, so a note it makes after that reaching the hub
        // means the hub knows its endpoint too.
        for (i, s) in spokes.iter().enumerate() {
            let ds = Daemon::start(s);
            let hello = s.id(&["note", &jeanne, &format!("hello from {i}")]);
            assert!(
                arrives(&hub, &jeanne, &hello, Duration::from_secs(20)),
                "spoke {i} never synced on the LAN"
            );
            ds.stop();
        }
    }
    (hub, spokes, jeanne)
}

#[test]
fn two_devices_whose_lan_addresses_went_stale_sync_through_a_loopback_relay() {
    let relay = TestRelay::start().expect("the loopback relay starts");
    let (hub, spokes, jeanne) = spread_out(1, &relay);
    let phone = &spokes[0];
    assert_eq!(
        phone.json(&["relay", "show"])["relay"].as_str(),
        Some(relay.url()),
        "the relay setting synced to the phone"
    );
    // New ports: the phone's remembered LAN address of the hub now leads nowhere.
    let _dh = Daemon::start(&hub);
    let _dp = Daemon::start(phone);
    let note = hub.id(&["note", &jeanne, "sent beyond the LAN"]);
    assert!(
        arrives(phone, &jeanne, &note, Duration::from_secs(30)),
        "the note never reached the phone over iroh"
    );
    let how = via(phone, &hub_name(&hub));
    assert!(
        matches!(how.as_deref(), Some("direct" | "relay")),
        "the phone says it last reached the hub via {how:?}"
    );
    // And back: a note from the phone reaches the hub on the same iroh session.
    let back = phone.id(&["note", &jeanne, "and back"]);
    assert!(arrives(&hub, &jeanne, &back, Duration::from_secs(30)));
}

#[test]
fn a_star_of_three_devices_syncs_through_the_relay() {
    let relay = TestRelay::start().expect("the loopback relay starts");
    let (hub, spokes, jeanne) = spread_out(2, &relay);
    let _dh = Daemon::start(&hub);
    let _ds: Vec<Daemon> = spokes.iter().map(Daemon::start).collect();
    // A note from one spoke reaches the other through the hub, every hop over iroh.
    let note = spokes[0].id(&["note", &jeanne, "from spoke 0"]);
    assert!(
        arrives(&spokes[1], &jeanne, &note, Duration::from_secs(40)),
        "the note never crossed the star"
    );
}

#[test]
fn a_revoked_device_is_refused_over_iroh() {
    let relay = TestRelay::start().expect("the loopback relay starts");
    let (hub, spokes, jeanne) = spread_out(1, &relay);
    let tablet = &spokes[0];
    hub.ok(&["devices", "revoke", "device 0"]);
    let _dh = Daemon::start(&hub);
    let _dt = Daemon::start(tablet);
    let secret = hub.id(&["note", &jeanne, "not for the tablet"]);
    // The tablet keeps dialling the hub through the relay; the hub refuses its endpoint at the
    // handshake, so the note never arrives.
    assert!(
        !arrives(tablet, &jeanne, &secret, Duration::from_secs(10)),
        "a revoked device received a note over iroh"
    );
}

/// The pairing carries each side's endpoint id: the hub writes the phone's into its roster as
/// it admits it, and the vault the phone fetches holds the hub's. So two devices that paired
/// on the LAN and never met there again sync beyond it at once.
#[test]
fn a_device_paired_on_the_lan_is_reached_beyond_it_without_syncing_there_again() {
    let relay = TestRelay::start().expect("the loopback relay starts");
    let hub = Home::init();
    hub.ok(&["relay", "set", relay.url()]);
    let jeanne = hub.id(&["add", "Jeanne Yocum"]);
    let phone = crate::pairing::pair_new(&hub, "phone");
    // The window's address is gone and discovery is off: only iroh can join them now.
    let _dh = Daemon::start(&hub);
    let _dp = Daemon::start(&phone);
    let note = phone.id(&["note", &jeanne, "made on the phone after pairing"]);
    assert!(
        arrives(&hub, &jeanne, &note, Duration::from_secs(30)),
        "the hub never admitted the paired phone beyond the LAN"
    );
    let back = hub.id(&["note", &jeanne, "and back to the phone"]);
    assert!(arrives(&phone, &jeanne, &back, Duration::from_secs(30)));
    let how = via(&phone, &hub_name(&hub));
    assert!(
        matches!(how.as_deref(), Some("direct" | "relay")),
        "the phone says it last reached the hub via {how:?}"
    );
}

/// A new device fetches the vault from a device it never met on any LAN, by endpoint id and
/// relay alone, with every packet through the relay; a device the hub did not add with its
/// endpoint id gets nothing.
#[test]
fn a_fresh_device_clones_through_the_relay_by_endpoint_id() {
    let relay = TestRelay::start().expect("the loopback relay starts");
    let hub = Home::init();
    hub.ok(&["relay", "set", relay.url()]);
    let jeanne = hub.id(&["add", "Jeanne Yocum"]);
    let hub_id = device_id(&hub);
    let hub_endpoint = endpoint_id(&hub);
    let _dh = Daemon::start(&hub);
    let clone = |home: &Home| {
        home.run(&[
            "clone",
            "--id",
            &hub_id,
            "--endpoint",
            &hub_endpoint,
            "--relay",
            relay.url(),
            "--relay-only",
        ])
    };

    let stranger = Home::empty();
    let refused = clone(&stranger);
    assert!(!refused.success(), "{}", refused.describe());
    assert!(
        refused
            .stderr
            .contains(&format!("--endpoint {}", endpoint_id(&stranger))),
        "the refusal says what to do: {}",
        refused.stderr
    );
    assert_eq!(
        stranger.json(&["device"])["has_vault"].as_bool(),
        Some(false),
        "a refused clone stored nothing"
    );

    let phone = Home::empty();
    hub.ok(&[
        "devices",
        "add",
        &device_id(&phone),
        "--name",
        "phone",
        "--endpoint",
        &endpoint_id(&phone),
    ]);
    let run = clone(&phone);
    assert!(run.success(), "{}", run.describe());
    assert!(run.stdout.contains("via relay"), "{}", run.stdout);
    let shown = phone.json(&["show", &jeanne]);
    assert_eq!(shown["name"].as_str(), Some("Jeanne Yocum"));
}

fn endpoint_id(home: &Home) -> String {
    home.json(&["device"])["endpoint"]
        .as_str()
        .expect("device --json has the endpoint id")
        .to_owned()
}

fn hub_name(hub: &Home) -> String {
    hub.json(&["device"])["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
