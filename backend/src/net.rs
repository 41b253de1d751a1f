//! Which address a request came from, when proxies stand in front of the server.
//!
//! `X-Forwarded-For` is written by whoever sent the request, so it is believed only as far as
//! the hops that appended to it are proxies we run (`TRUSTED_PROXIES`): walking it from the
//! right, the first address that is not one of ours is the client. A client that writes its
//! own header only adds entries to the left of what our proxy appends, so it cannot choose the
//! address its limits are counted on.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address block: `203.0.113.0/24`, `2001:db8::/32`, or one address (`10.0.0.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

/// Why a block could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrError(String);

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an address or block like 10.0.0.0/8 or 2001:db8::/32",
            self.0
        )
    }
}

impl std::error::Error for CidrError {}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CidrError(s.to_string());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let net = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }
}

impl Cidr {
    /// Whether `ip` lies in this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Reads `TRUSTED_PROXIES`: blocks separated by commas or spaces.
pub fn parse_list(s: &str) -> Result<Vec<Cidr>, CidrError> {
    s.split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// The address as the activity page shows it: the last part masked, so it says roughly where
/// from without keeping who ("203.0.113.x"; IPv6 keeps its first 64 bits, "2001:db8:1:2::x").
pub fn masked(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::x", s[0], s[1], s[2], s[3])
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, maybe in brackets or with a port.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    e.parse::<IpAddr>()
        .ok()
        .or_else(|| e.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| e.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
        .map(canonical)
}

/// The client's address: the socket's peer, unless that peer is a trusted proxy, in which
/// case the rightmost `X-Forwarded-For` entry that is not a trusted proxy. An entry that
/// cannot be read ends the walk at the hop that added it.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[Cidr],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    let mut hop = canonical(peer);
    if !is_trusted(hop) {
        return hop;
    }
    let entries: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.into_iter().rev() {
        match parse_hop(entry) {
            Some(ip) if is_trusted(ip) => hop = ip,
            Some(ip) => return ip,
            None => return hop,
        }
    }
    hop
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses() {
        let lan: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(lan.contains(ip("10.200.3.4")));
        assert!(!lan.contains(ip("11.0.0.1")));
        assert!(lan.contains(ip("::ffff:10.1.2.3")));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::9")) && !v6.contains(ip("2001:db9::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0/8", "::/129", "1.2.3.4/"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!(parse_list("10.0.0.0/8, 127.0.0.1").unwrap().len(), 2);
        assert_eq!(parse_list("").unwrap(), vec![]);
        assert!(parse_list("10.0.0.0/8,x").is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = parse_list("10.0.0.0/8").unwrap();
        // Straight from the internet: the header is the client's own words.
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["198.51.100.1"], &proxies),
            ip("203.0.113.9")
        );
        // Through our proxy: the address it appended.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
        // A spoofed entry to the left of the real one changes nothing.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["1.2.3.4, 198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
        // Two of our proxies in a row, and several header lines.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                ["1.2.3.4, 198.51.100.1", "10.0.0.3"],
                &proxies
            ),
            ip("198.51.100.1")
        );
        // Garbage where the client's address should be: the proxy that sent it.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["not-an-ip"], &proxies),
            ip("10.0.0.2")
        );
        // Ports and brackets as some proxies write them.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["[2001:db8::7]:443"], &proxies),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.1:5123"], &proxies),
            ip("198.51.100.1")
        );
        // No proxies configured: the peer, always.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.1"], &[]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn masked_addresses_hide_the_last_part() {
        assert_eq!(masked("203.0.113.77".parse().unwrap()), "203.0.113.x");
        assert_eq!(masked("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.x");
        assert_eq!(
            masked("2001:db8:1:2:aaaa:bbbb:cccc:dddd".parse().unwrap()),
            "2001:db8:1:2::x"
        );
    }
}
