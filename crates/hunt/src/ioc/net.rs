//! IP addresses, CIDR blocks and the default warning list.

use std::net::IpAddr;

/// An IP network (`addr/prefix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = s.trim().split_once('/')?;
        let addr: IpAddr = a.parse().ok()?;
        let prefix: u8 = p.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u32::from(net) & mask == u32::from(*ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(net) & mask == u128::from(*ip) & mask
            }
            _ => false,
        }
    }

    /// True when the two networks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(&other.addr) || other.contains(&self.addr)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Ranges that are never indicators on their own: private, loopback,
/// link-local, CGNAT, multicast, reserved, documentation.
pub const DEFAULT_WARNING_NETS: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::1/128",
    "::/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "2001:db8::/32",
];

/// Domains that are never indicators on their own (and their subdomains).
pub const DEFAULT_WARNING_DOMAINS: &[&str] = &[
    "localhost",
    "local",
    "example.com",
    "example.org",
    "example.net",
    "invalid",
    "test",
];

/// Windows system binary names: as file-name IOCs they match every host.
pub const DEFAULT_WARNING_FILENAMES: &[&str] = &[
    "cmd.exe",
    "conhost.exe",
    "csrss.exe",
    "dllhost.exe",
    "explorer.exe",
    "lsass.exe",
    "mshta.exe",
    "msiexec.exe",
    "notepad.exe",
    "powershell.exe",
    "regsvr32.exe",
    "rundll32.exe",
    "services.exe",
    "smss.exe",
    "svchost.exe",
    "taskhost.exe",
    "taskhostw.exe",
    "wininit.exe",
    "winlogon.exe",
    "wscript.exe",
    "cscript.exe",
    "spoolsv.exe",
    "wmiprvse.exe",
    "iexplore.exe",
    "kernel32.dll",
    "ntdll.dll",
    "user32.dll",
    "advapi32.dll",
];

/// Scans `s` for IPv4 and IPv6 literals.
pub fn find_ips(s: &str, out: &mut Vec<IpAddr>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start_ok =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b':');
        if start_ok && (c.is_ascii_hexdigit() || c == b':') {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_hexdigit() || b[j] == b'.' || b[j] == b':') {
                j += 1;
            }
            let tok = s[i..j].trim_end_matches(['.', ':']);
            if tok.len() >= 7
                && tok.contains(['.', ':'])
                && let Ok(ip) = tok.parse::<IpAddr>()
            {
                out.push(ip);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cidr() {
        let c = Cidr::parse("223.166.0.0/15").unwrap();
        assert!(c.contains(&"223.167.1.2".parse().unwrap()));
        assert!(!c.contains(&"223.168.0.1".parse().unwrap()));
        let mut v = Vec::new();
        find_ips(
            "from 173.234.31.186 port 22, [fe80::1] and 1.2.3.4.5",
            &mut v,
        );
        assert_eq!(v.len(), 2);
    }
}
