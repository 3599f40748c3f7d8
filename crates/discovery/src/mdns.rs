//! The I/O half: announcing beacons and browsing for them with `mdns-sd`, which runs one
//! thread per `Lan` and needs no async runtime.
//!
//! What goes on the wire, and nothing more: the service type `_rapport._udp.local.`, an
//! instance name that is a beacon label (see `beacon`), a host name of random letters that is
//! new for every announcement, the QUIC port, this host's addresses, and an empty TXT record.
//! No device name, device id or vault id, ever.

use crate::beacon::{Beacon, BeaconKey, Window, WINDOW_SECS};
use mdns_sd::{ScopedIp, ServiceDaemon, ServiceEvent, ServiceInfo};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The DNS-SD service type every Rapport device announces and browses.
pub const SERVICE_TYPE: &str = "_rapport._udp.local.";

/// How long a goodbye may take when an announcement ends, before we stop waiting for it.
const GOODBYE_WAIT: Duration = Duration::from_millis(500);
/// Own nonces remembered, so a device never mistakes its own (recent) beacons for a peer.
const OWN_HISTORY: usize = 16;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LanError {
    #[error("could not start local network discovery on this host: {0}")]
    Start(String),
    #[error("local network discovery failed: {0}")]
    Mdns(String),
}

fn mdns(e: mdns_sd::Error) -> LanError {
    LanError::Mdns(e.to_string())
}

/// Which addresses an announcement carries.
#[derive(Debug, Clone)]
pub enum Addresses {
    /// Every address of every interface mDNS runs on, kept current as they change (for a
    /// service listening on the unspecified address).
    All,
    /// Exactly these (for a service bound to one address).
    Only(Vec<IpAddr>),
}

/// One mDNS responder and querier for this process. Cheap to clone; stops when the last clone
/// (and every announcement and browser made from it) is gone.
#[derive(Debug, Clone)]
pub struct Lan {
    inner: Arc<Inner>,
}

struct Inner {
    daemon: ServiceDaemon,
    /// Nonces of this process's recent announcements.
    own: Mutex<VecDeque<[u8; 8]>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lan")
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(GOODBYE_WAIT);
        }
    }
}

impl Lan {
    /// Starts mDNS on every multicast-capable interface of this host (of its network
    /// namespace: that is how the tests keep it off the machine's real interfaces).
    pub fn start() -> Result<Lan, LanError> {
        let daemon = ServiceDaemon::new().map_err(|e| LanError::Start(e.to_string()))?;
        Ok(Lan {
            inner: Arc::new(Inner {
                daemon,
                own: Mutex::new(VecDeque::new()),
            }),
        })
    }

    /// Announces `key`'s beacon for `port` until the returned value is dropped, rotating to a
    /// fresh beacon (new nonce, new host name) at every window boundary.
    pub fn announce(
        &self,
        key: BeaconKey,
        port: u16,
        addresses: Addresses,
    ) -> Result<Announcement, LanError> {
        let first = self.register(&key, port, &addresses)?;
        let label = Arc::new(Mutex::new(first.1.label()));
        let (stop, stopped) = mpsc::channel::<()>();
        let (lan, shown) = (self.clone(), label.clone());
        let thread = std::thread::Builder::new()
            .name("rapport-announce".to_owned())
            .spawn(move || {
                let mut current = first.0;
                // Until stopped, or the Announcement is gone: rotate at each boundary.
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(until_next_window())
                {
                    lan.unregister(&current);
                    // A failed re-registration retries at the next boundary; meanwhile this
                    // device is simply not announced (peers can still reach it directly).
                    if let Ok((name, beacon)) = lan.register(&key, port, &addresses) {
                        if let Ok(mut l) = shown.lock() {
                            *l = beacon.label();
                        }
                        current = name;
                    }
                }
                lan.unregister(&current);
            })
            .map_err(|e| LanError::Start(e.to_string()))?;
        Ok(Announcement {
            stop: Some(stop),
            thread: Some(thread),
            label,
        })
    }

    fn register(
        &self,
        key: &BeaconKey,
        port: u16,
        addresses: &Addresses,
    ) -> Result<(String, Beacon), LanError> {
        let nonce: [u8; 8] = rand::random();
        let beacon = Beacon::derive(key, Window::at(unix_secs()), nonce);
        // mdns-sd publishes A/AAAA records under this name: a fixed one (the machine's host
        // name, say) would name the person's laptop and link every window together.
        let host = format!("{}.local.", random_host_label());
        let ips: Vec<IpAddr> = match addresses {
            Addresses::All => Vec::new(),
            Addresses::Only(ips) => ips.clone(),
        };
        let mut info = ServiceInfo::new(
            SERVICE_TYPE,
            &beacon.label(),
            &host,
            ips.as_slice(),
            port,
            None::<HashMap<String, String>>,
        )
        .map_err(mdns)?;
        if matches!(addresses, Addresses::All) {
            info = info.enable_addr_auto();
        }
        // Random names cannot clash, so skip the ~750 ms conflict probe.
        info.set_requires_probe(false);
        let name = info.get_fullname().to_owned();
        if let Ok(mut own) = self.inner.own.lock() {
            own.push_back(nonce);
            while own.len() > OWN_HISTORY {
                own.pop_front();
            }
        }
        self.inner.daemon.register(info).map_err(mdns)?;
        Ok((name, beacon))
    }

    fn unregister(&self, fullname: &str) {
        // Sends a goodbye so browsers drop the old beacon now rather than at its TTL.
        if let Ok(done) = self.inner.daemon.unregister(fullname) {
            let _ = done.recv_timeout(GOODBYE_WAIT);
        }
    }

    fn is_own(&self, beacon: &Beacon) -> bool {
        self.inner
            .own
            .lock()
            .map(|own| own.contains(&beacon.nonce()))
            .unwrap_or(false)
    }

    /// Starts browsing for Rapport services; sightings arrive through `Browser::next`.
    pub fn browse(&self) -> Result<Browser, LanError> {
        let events = self.inner.daemon.browse(SERVICE_TYPE).map_err(mdns)?;
        Ok(Browser {
            lan: self.clone(),
            events,
        })
    }

    /// Browses until a beacon made with one of `keys` (and not by this process) is resolved,
    /// or `timeout` passes; returns that service's addresses (empty if none was found).
    pub fn find(&self, keys: &[BeaconKey], timeout: Duration) -> Result<Vec<SocketAddr>, LanError> {
        let browser = self.browse()?;
        let deadline = Instant::now() + timeout;
        while let Some(seen) = browser.next(deadline) {
            let recognised = seen
                .beacon
                .and_then(|b| b.recognise(keys, Window::at(unix_secs())));
            if !seen.own && recognised.is_some() && !seen.addrs.is_empty() {
                return Ok(seen.addrs);
            }
        }
        Ok(Vec::new())
    }
}

/// A running announcement; dropping it sends a goodbye and stops the rotation.
#[derive(Debug)]
pub struct Announcement {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    label: Arc<Mutex<String>>,
}

impl Announcement {
    /// The beacon label announced right now (for tests and the probe tool).
    pub fn label(&self) -> String {
        self.label.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One resolved Rapport service seen on the network.
#[derive(Debug, Clone)]
pub struct Sighting {
    /// The instance name as announced (a beacon label, or anything someone else announced).
    pub label: String,
    /// The beacon, if the label is one.
    pub beacon: Option<Beacon>,
    /// The host name it was announced under (random per announcement for Rapport devices).
    pub host: String,
    /// Whether this process announced it.
    pub own: bool,
    /// Where the service listens, IPv4 first.
    pub addrs: Vec<SocketAddr>,
}

/// A running browse; stops when dropped.
#[derive(Debug)]
pub struct Browser {
    lan: Lan,
    events: mdns_sd::Receiver<ServiceEvent>,
}

impl Browser {
    /// The next resolved service, or `None` once `deadline` passes (or mDNS stopped).
    pub fn next(&self, deadline: Instant) -> Option<Sighting> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.events.recv_timeout(left) {
                Ok(ServiceEvent::ServiceResolved(service)) => {
                    let label = instance_label(&service.fullname).to_owned();
                    let beacon = Beacon::parse(&label);
                    let own = beacon.is_some_and(|b| self.lan.is_own(&b));
                    let mut addrs: Vec<SocketAddr> = service
                        .addresses
                        .iter()
                        .map(|ip| socket_addr(ip, service.port))
                        .collect();
                    addrs.sort_by_key(|a| (a.is_ipv6(), *a));
                    return Some(Sighting {
                        label,
                        beacon,
                        host: service.host.clone(),
                        own,
                        addrs,
                    });
                }
                Ok(_) => continue,
                Err(mdns_sd::RecvTimeoutError::Timeout) => return None,
                Err(mdns_sd::RecvTimeoutError::Disconnected) => {
                    // mDNS stopped: wait out the deadline anyway, so a caller that loops on
                    // `next` does not spin.
                    std::thread::sleep(left);
                    return None;
                }
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.lan.inner.daemon.stop_browse(SERVICE_TYPE);
    }
}

fn instance_label(fullname: &str) -> &str {
    fullname
        .strip_suffix(SERVICE_TYPE)
        .and_then(|s| s.strip_suffix('.'))
        .unwrap_or(fullname)
}

fn socket_addr(ip: &ScopedIp, port: u16) -> SocketAddr {
    match ip {
        ScopedIp::V6(v6) => {
            // A link-local address means nothing without the interface it was seen on.
            let link_local = (v6.addr().segments()[0] & 0xffc0) == 0xfe80;
            let scope = if link_local { v6.scope_id().index } else { 0 };
            SocketAddr::V6(SocketAddrV6::new(*v6.addr(), port, 0, scope))
        }
        other => SocketAddr::new(other.to_ip_addr(), port),
    }
}

fn random_host_label() -> String {
    let bytes: [u8; 8] = rand::random();
    data_encoding::BASE32_DNSSEC.encode(&bytes)
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn until_next_window() -> Duration {
    until_next_window_at(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// Time from `now` (since the Unix epoch) to the next window boundary, plus a little, so that
/// the new window has begun when the announcer wakes.
fn until_next_window_at(now: Duration) -> Duration {
    let window_ms = u128::from(WINDOW_SECS) * 1000;
    let left = window_ms - now.as_millis() % window_ms;
    Duration::from_millis(u64::try_from(left).unwrap_or(0) + 50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announcer_wakes_just_after_each_window_boundary() {
        let at = |ms: u64| until_next_window_at(Duration::from_millis(ms));
        assert_eq!(at(0), Duration::from_millis(600_050));
        assert_eq!(at(599_999), Duration::from_millis(51));
        assert_eq!(at(600_000), Duration::from_millis(600_050));
        let now = 1_764_150_000_123u64;
        let woke = Duration::from_millis(now) + at(now);
        assert_eq!(
            Window::at(woke.as_secs()),
            Window(Window::at(now / 1000).0 + 1),
            "wakes in the next window"
        );
    }

    #[test]
    fn instance_labels_are_read_out_of_full_names() {
        assert_eq!(instance_label("abc._rapport._udp.local."), "abc");
        assert_eq!(instance_label("weird"), "weird");
    }
}
