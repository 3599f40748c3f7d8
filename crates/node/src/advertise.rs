//! The addresses a device shows others (in a pairing link, to a browser): a leaf module, so that
//! pairing and the browser side can both use it without depending on each other.

use std::net::SocketAddr;

/// The addresses to show: the bound one, or for an unspecified address every interface's.
pub(crate) fn advertised(bound: SocketAddr) -> Vec<SocketAddr> {
    if !bound.ip().is_unspecified() {
        return vec![bound];
    }
    let mut out: Vec<SocketAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip())
        .filter(|ip| ip.is_ipv4() == bound.is_ipv4())
        .map(|ip| SocketAddr::new(ip, bound.port()))
        .collect();
    if out.is_empty() {
        out.push(SocketAddr::new(
            if bound.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            },
            bound.port(),
        ));
    }
    out
}
