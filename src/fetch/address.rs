//! Which addresses dossier may fetch from. Feed and source URLs come from cards and from chat,
//! so a fetch must never reach the operator's own machine or network: loopback, private,
//! link-local, carrier-grade NAT, multicast, documentation and reserved ranges are refused, in
//! IPv4 and IPv6 alike, including IPv6 forms that carry an IPv4 address inside (mapped,
//! compatible, NAT64, 6to4); in IPv6 only global unicast (2000::/3) is public. The operator
//! may allow private and loopback addresses (an intranet, the tests) but never link-local ones,
//! where cloud metadata services answer; or name single addresses that are allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What may be fetched from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Allow every address (`[newsdesk] allow_private = true`): for an intranet, and tests.
    pub allow_private: bool,
    /// Addresses allowed although they are not public.
    pub allowed: Vec<IpAddr>,
}

impl Policy {
    /// Why `ip` may not be fetched from, or `None` when it may. `allow_private` opens private
    /// and loopback addresses, never link-local ones (where cloud metadata services answer),
    /// the unspecified address or multicast.
    pub fn refuses(&self, ip: IpAddr) -> Option<&'static str> {
        if self.allowed.contains(&ip) {
            return None;
        }
        let why = not_public(ip)?;
        let never = matches!(
            why,
            "a link-local address" | "an unspecified address" | "a multicast address"
        );
        (never || !self.allow_private).then_some(why)
    }
}

/// Why `ip` is not a public address, or `None` when it is.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => not_public_v4(v4),
        IpAddr::V6(v6) => not_public_v6(v6),
    }
}

fn not_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_loopback() => "a loopback address",
        (0, _, _) => "an unspecified address",
        _ if ip.is_private() => "a private address",
        _ if ip.is_link_local() => "a link-local address",
        (100, 64..=127, _) => "a shared (carrier-grade NAT) address",
        (192, 0, 0) => "an IETF protocol address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved address",
        _ => return None,
    })
}

fn not_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    // Forms that carry an IPv4 address: judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return not_public_v4(v4);
    }
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    match s {
        [0, 0, 0, 0, 0, 0, 0, 0] => return Some("an unspecified address"),
        [0, 0, 0, 0, 0, 0, 0, 1] => return Some("a loopback address"),
        // IPv4-compatible (deprecated: never a real destination).
        [0, 0, 0, 0, 0, 0, hi, lo] => {
            return Some(not_public_v4(embedded(hi, lo)).unwrap_or("an IPv4-compatible address"));
        }
        // NAT64, well-known and local-use (64:ff9b:1::/48): reaches the IPv4 address inside.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] | [0x64, 0xff9b, 1, _, _, _, hi, lo] => {
            if let Some(why) = not_public_v4(embedded(hi, lo)) {
                return Some(why);
            }
        }
        // 6to4: the IPv4 address is the 32 bits after the prefix.
        [0x2002, hi, lo, ..] => {
            if let Some(why) = not_public_v4(embedded(hi, lo)) {
                return Some(why);
            }
        }
        _ => {}
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "a unique local (private) address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        // Teredo hides the client's IPv4 address; nothing a feed needs.
        0x2001 if s[1] == 0 => "a Teredo address",
        // Benchmarking and ORCHID.
        0x2001 if s[1] == 0x0002 || (0x0010..=0x002f).contains(&s[1]) => "a reserved address",
        // Only global unicast (2000::/3) is public; the NAT64 forms above judged by their IPv4.
        0x2000..=0x3fff => return None,
        0x64 if s[1] == 0xff9b => return None,
        _ => "a reserved address",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn only_public_addresses_pass_unless_the_operator_allows_more() {
        let refused = [
            "127.0.0.1",
            "127.255.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            // IPv4 inside IPv6: mapped, compatible, NAT64 and 6to4 forms of private ones.
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b::192.168.0.1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "64:ff9b:1::a00:1",
            "::ffff:0:a00:1",
            "100::1",
            "2001:2::1",
            "2001:20::1",
            "4000::1",
            "64:abcd::1",
        ];
        let strict = Policy::default();
        for a in refused {
            assert!(strict.refuses(ip(a)).is_some(), "{a} must be refused");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ];
        for a in public {
            assert_eq!(strict.refuses(ip(a)), None, "{a} is public");
        }
        assert_eq!(strict.refuses(ip("10.0.0.1")), Some("a private address"));
        assert_eq!(
            strict.refuses(ip("::ffff:127.0.0.1")),
            Some("a loopback address")
        );
        let intranet = Policy {
            allow_private: true,
            ..Policy::default()
        };
        for a in ["127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fd00::1"] {
            assert_eq!(intranet.refuses(ip(a)), None, "{a}");
        }
        // Never the metadata services, the unspecified address or multicast.
        for a in [
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(intranet.refuses(ip(a)).is_some(), "{a}");
        }
        let one = Policy {
            allowed: vec![ip("127.0.0.2")],
            ..Policy::default()
        };
        assert_eq!(one.refuses(ip("127.0.0.2")), None);
        assert!(one.refuses(ip("127.0.0.1")).is_some());
    }
}
