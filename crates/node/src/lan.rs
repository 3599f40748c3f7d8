//! Local network discovery (mDNS) for `serve`, `pair` and `join`, over `rapport-discovery`.
//!
//! A device announces only a rotating beacon: for `serve`, keyed with the vault's LAN secret
//! (only the vault's devices recognise it); for `pair`, derived from the pairing nameplate
//! alone (never the code words). A recognised beacon only says "try this address": whoever
//! answers is still authenticated by TLS against the roster (or by SPAKE2 for pairing).
//!
//! The pairing functions are blocking: call them from blocking code.

use crate::ctx::{Ctx, DialerCmd};
use crate::events::{NodeEvent, Reached};
use crate::host::{Host, HostError};
use crate::NodeError;
use rapport_discovery::{Addresses, Announcement, BeaconKey, Lan, Sighting, Window};
use rapport_model::DeviceId;
use rapport_net::{with_replica, CloseCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A LAN announcement that lasts until dropped (unregisters on drop).
#[derive(Debug)]
pub struct LanAnnouncement {
    _announcement: Announcement,
}

/// Announces a pairing window for `nameplate` at `bound` (the pairing endpoint's address)
/// until the returned value is dropped. `Err` says, in one sentence, why the window is not
/// announced (discovery off or unavailable, or listening on loopback), for `pair` to show.
pub fn announce_pairing(
    nameplate: u16,
    bound: SocketAddr,
    no_discovery: bool,
) -> Result<LanAnnouncement, String> {
    let hint = "the new device needs `--addr` to join";
    if no_discovery || turned_off() {
        return Err(format!(
            "not announcing this code on the local network (discovery is off): {hint}"
        ));
    }
    // Like `serve`: announce only where the window answers (an address of another interface
    // would send the joiner there), and nothing at all for a loopback-only window.
    let addresses = match bound.ip() {
        ip if ip.is_loopback() => {
            return Err(format!(
            "not announcing this code on the local network (pair listens on loopback only): {hint}"
        ))
        }
        ip if ip.is_unspecified() => Addresses::All,
        ip => Addresses::Only(vec![ip]),
    };
    let announced = Lan::start()
        .and_then(|lan| lan.announce(BeaconKey::Pairing(nameplate), bound.port(), addresses));
    match announced {
        Ok(a) => Ok(LanAnnouncement { _announcement: a }),
        Err(e) => Err(format!("not announcing this code ({e}): {hint}")),
    }
}

/// Browses the LAN for a pairing window with this nameplate for up to `timeout`; returns the
/// addresses of the first one found.
pub fn find_pairing(nameplate: u16, timeout: Duration) -> Result<Vec<SocketAddr>, NodeError> {
    if turned_off() {
        return Err(NodeError::DiscoveryOff);
    }
    let lan = Lan::start().map_err(NodeError::Discovery)?;
    let found = lan
        .find(&[BeaconKey::Pairing(nameplate)], timeout)
        .map_err(NodeError::Discovery)?;
    if found.is_empty() {
        return Err(NodeError::NoPairingWindow {
            nameplate,
            seconds: timeout.as_secs(),
        });
    }
    Ok(found)
}

/// Set (to anything) in the environment, turns discovery off for every command, as if each
/// had `--no-discovery`: the test suite sets it so that no test multicasts on the machine's
/// real interfaces by accident (the namespace tests remove it).
pub const OFF_VAR: &str = "RAPPORT_NO_DISCOVERY";

fn turned_off() -> bool {
    std::env::var_os(OFF_VAR).is_some()
}

/// How often the daemon re-reads the vault's LAN secrets (they change only when a secret
/// arrives by sync, or two devices created one concurrently).
const REFRESH_KEYS: Duration = Duration::from_secs(15);
/// A discovered address is tried at most this often.
const RETRY_ADDRESS: Duration = Duration::from_secs(60);
/// How long identifying the device at a discovered address may take.
const IDENTIFY_TIMEOUT: Duration = Duration::from_secs(3);

/// `serve`'s discovery: announces this vault's beacon on every interface and looks for the
/// vault's other devices. Each recognised address is dialled once to learn (from its TLS
/// certificate, checked against the roster) which device it is; that address is then
/// remembered for that device (source `lan`) and handed to the dialer. Returns `None` (after
/// saying why) when discovery cannot run here; otherwise a future that runs until dropped
/// (dropping it sends goodbyes).
pub(crate) async fn vault_discovery<H: Host>(
    ctx: Arc<Ctx<H>>,
) -> Result<Option<impl std::future::Future<Output = ()>>, NodeError> {
    let local = ctx.node.local_addr()?;
    if turned_off() {
        tracing::info!("local network discovery is off ({OFF_VAR} is set)");
        return Ok(None);
    }
    if local.ip().is_loopback() {
        tracing::info!("not announcing on the local network: serve listens on loopback only");
        return Ok(None);
    }
    let secrets = lan_secrets(&ctx, true).await?;
    let lan = match Lan::start() {
        Ok(lan) => lan,
        Err(e) => {
            tracing::warn!("{e}; serving without local network discovery");
            return Ok(None);
        }
    };
    let addresses = if local.ip().is_unspecified() {
        Addresses::All
    } else {
        Addresses::Only(vec![local.ip()])
    };
    let announce = {
        let lan = lan.clone();
        move |secret: [u8; 32]| {
            lan.announce(BeaconKey::Vault(secret), local.port(), addresses.clone())
        }
    };
    // mDNS failing here (no multicast interface, say) costs discovery, never the daemon.
    let started = secrets
        .first()
        .map(|s| announce(*s).map(|a| (*s, a)))
        .transpose()
        .and_then(|announced| Ok((announced, lan.browse()?)));
    let (mut announced, browser) = match started {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!("{e}; serving without local network discovery");
            return Ok(None);
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Sighting>(64);
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let browsing = {
        let stop = stop.0.clone();
        std::thread::Builder::new()
            .name("rapport-browse".to_owned())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let deadline = Instant::now() + Duration::from_millis(500);
                    if let Some(seen) = browser.next(deadline) {
                        if !seen.own && seen.beacon.is_some() && tx.try_send(seen).is_err() {
                            // Full (the daemon is busy: the beacon will be seen again) or
                            // closed (the daemon stopped).
                            if tx.is_closed() {
                                break;
                            }
                        }
                    }
                }
            })
            .map_err(NodeError::Thread)?
    };
    Ok(Some(async move {
        let _keep = (stop, browsing);
        let mut keys: Vec<BeaconKey> = secrets.iter().copied().map(BeaconKey::Vault).collect();
        let mut tried: HashMap<SocketAddr, Instant> = HashMap::new();
        let mut refresh = tokio::time::interval(REFRESH_KEYS);
        loop {
            tokio::select! {
                seen = rx.recv() => {
                    let Some(seen) = seen else { return };
                    let window = Window::at(crate::peers::now_ms().max(0) as u64 / 1000);
                    if seen.beacon.and_then(|b| b.recognise(&keys, window)).is_some() {
                        identify(&ctx, local, &seen, &mut tried).await;
                    }
                }
                _ = refresh.tick() => {
                    let Ok(secrets) = lan_secrets(&ctx, false).await else { continue };
                    keys = secrets.iter().copied().map(BeaconKey::Vault).collect();
                    // Concurrent creation resolved to another winner: announce that one.
                    if let Some(winner) = secrets.first().copied() {
                        if announced.as_ref().map(|(s, _)| *s) != Some(winner) {
                            drop(announced.take()); // goodbye first: one beacon per device
                            announced = announce(winner).ok().map(|a| (winner, a));
                        }
                    }
                }
            }
        }
    }))
}

/// The vault's LAN secrets, the winner first; with `create`, gives the vault one if it has
/// none (a vault made before discovery existed), which then syncs to the other devices.
async fn lan_secrets<H: Host>(ctx: &Ctx<H>, create: bool) -> Result<Vec<[u8; 32]>, NodeError> {
    let secrets = with_replica(&ctx.replica, move |r| {
        if create {
            let wrote = std::cell::Cell::new(false);
            r.home.write(&|vault| {
                let now = crate::peers::now_ms();
                wrote.set(vault.ensure_lan_secret(rand::random(), now)?);
                Ok(())
            })?;
            if wrote.get() {
                r.changed_locally()?;
            }
        }
        let vault = r.home.vault()?;
        let winner = vault.lan_secret()?;
        let mut all = vault.lan_secrets()?;
        all.sort_by_key(|s| Some(*s) != winner);
        Ok::<_, HostError>(all)
    })
    .await??;
    Ok(secrets)
}

/// Learns which roster device listens at a recognised address, and remembers it there.
async fn identify<H: Host>(
    ctx: &Arc<Ctx<H>>,
    local: SocketAddr,
    seen: &Sighting,
    tried: &mut HashMap<SocketAddr, Instant>,
) {
    let usable = seen.addrs.iter().filter(|a| {
        // A socket bound to 0.0.0.0 cannot reach IPv6 peers; one bound to [::] reaches both.
        !(local.is_ipv4() && a.is_ipv6())
    });
    for &addr in usable {
        if tried
            .get(&addr)
            .is_some_and(|at| at.elapsed() < RETRY_ADDRESS)
        {
            continue;
        }
        tried.insert(addr, Instant::now());
        let roster: Vec<DeviceId> = ctx.roster.ids().into_iter().collect();
        let known = with_replica(&ctx.replica, move |r| {
            roster.iter().any(|d| {
                let info = crate::peers::get(r.home.store(), *d);
                info.dialable && info.addr == Some(addr)
            })
        })
        .await
        .unwrap_or(false);
        if known {
            return;
        }
        let attempt = tokio::time::timeout(
            IDENTIFY_TIMEOUT,
            ctx.node.connect_trusting(addr, ctx.roster.check()),
        );
        if let Ok(Ok(conn)) = attempt.await {
            let peer = conn.peer();
            conn.close(CloseCode::Identified);
            let _ = with_replica(&ctx.replica, move |r| {
                crate::peers::record_discovered(r.home.store(), peer, addr)
            })
            .await;
            tracing::info!(peer = %peer.short(), %addr, "found on the local network");
            ctx.emit(NodeEvent::PeerReached {
                peer,
                addr,
                how: Reached::Lan,
            });
            let _ = ctx.dialer.send(DialerCmd::Learned { peer, addr });
            return;
        }
    }
}

/// Stops the browsing thread when the discovery future is dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
