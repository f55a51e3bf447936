//! The client's address, decided once per request: the TCP peer, unless the peer is
//! one of the configured reverse proxies, in which case the address they forwarded in
//! `X-Forwarded-For`. Sign-in throttling, sessions and the audit trail all read it
//! from here, so a forged header from the Internet changes nothing and a proxy in
//! front of Khiên does not turn the whole province into one address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The address every layer after this one uses for the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// An address or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    net: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<IpRange, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0–{max}"))?,
        };
        Ok(IpRange { net, prefix })
    }
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.net), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// `::ffff:192.0.2.1` is 192.0.2.1 (a dual-stack listener reports IPv4 peers so).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// At most this many forwarded hops are looked at; a longer header is not a real chain.
const MAX_HOPS: usize = 20;

/// The client behind `peer`: when the peer is a trusted proxy, the right-most address
/// in `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
/// address it saw, so everything left of the first untrusted hop may be forged).
pub fn resolve(peer: IpAddr, forwarded: &[&str], trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return canonical(peer);
    }
    let hops: Vec<&str> = forwarded
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev().take(MAX_HOPS) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // Garbage from a hop we cannot vouch for: stop at the last address we can.
            Err(_) => break,
        }
    }
    canonical(client)
}

/// Middleware: puts the request's [`ClientAddr`] in its extensions.
pub async fn resolve_client(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr = match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => {
            let forwarded: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            resolve(peer.ip(), &forwarded, &state.config.trusted_proxies).to_string()
        }
        // In-process requests (tests) have no peer.
        None => "local".to_string(),
    };
    req.extensions_mut().insert(ClientAddr(addr));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(v: &[&str]) -> Vec<IpRange> {
        v.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let t = ranges(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("198.51.100.9"), &["1.2.3.4"], &t), ip("198.51.100.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let t = ranges(&["10.0.0.0/8", "192.0.2.10"]);
        // The client forged "6.6.6.6"; the edge proxy appended what it saw.
        let h = ["6.6.6.6, 203.0.113.7, 10.1.2.3"];
        assert_eq!(resolve(ip("192.0.2.10"), &h, &t), ip("203.0.113.7"));
        // Two headers are one list.
        assert_eq!(resolve(ip("10.0.0.1"), &["6.6.6.6", "203.0.113.7"], &t), ip("203.0.113.7"));
        // No header: the proxy itself.
        assert_eq!(resolve(ip("10.0.0.1"), &[], &t), ip("10.0.0.1"));
        // Garbage stops the walk at the last address a trusted hop vouched for.
        assert_eq!(resolve(ip("10.0.0.1"), &["203.0.113.7, bogus, 10.2.2.2"], &t), ip("10.2.2.2"));
    }

    #[test]
    fn ranges_parse_and_match_both_families() {
        let r: IpRange = "2001:db8::/32".parse().unwrap();
        assert!(r.contains(ip("2001:db8:1::5")));
        assert!(!r.contains(ip("2001:db9::1")));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peers match IPv4 ranges");
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("proxy.local".parse::<IpRange>().is_err());
    }
}
