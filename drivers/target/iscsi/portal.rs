// SPDX-License-Identifier: GPL-2.0

//! Network portal names (`np/IP:PORT`) as LIO parses them in
//! `lio_target_call_addnptotpg()`: `[IPv6]:port` when the name has a `[`, else
//! `IPv4:port` split at the first `:`, then `inet_pton_with_scope(AF_UNSPEC)` (IPv4 first,
//! then IPv6, each with the kernel's `in4_pton()`/`in6_pton()` rules) and `kstrtou16(port,
//! 0)`. Pure code: the host tests compile this very file.

use super::params::kstrtoull;

/// `MAX_PORTAL_LEN`.
pub(crate) const MAX_PORTAL_LEN: usize = 256;
/// `INET_ADDRSTRLEN`.
const INET_ADDRSTRLEN: usize = 16;
/// `INET6_ADDRSTRLEN`.
const INET6_ADDRSTRLEN: usize = 48;

/// Why a portal name was refused; each is LIO's `pr_err()` and errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortalError {
    /// `strlen(name): %d exceeds MAX_PORTAL_LEN: %d` (`EOVERFLOW`).
    TooLong(usize),
    /// `Unable to locate trailing "]" in IPv6 iSCSI network portal address` (`EINVAL`).
    NoClosingBracket,
    /// `Unable to locate ":port" in IPv6 iSCSI network portal address` (`EINVAL`).
    NoPortV6,
    /// `Unable to locate ":port" in IPv4 iSCSI network portal address` (`EINVAL`).
    NoPortV4,
    /// `malformed ip/port passed: %s` (`EINVAL`).
    Malformed,
}

/// A parsed portal address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortalAddr {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address; `scope` is the text after `%` of a link-local address (an
    /// interface name or number), if any.
    V6([u8; 16]),
}

/// A portal: address and TCP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Portal {
    /// The address.
    pub(crate) addr: PortalAddr,
    /// The port.
    pub(crate) port: u16,
}

fn find(hay: &[u8], needle: u8) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Parses a portal directory name.
pub(crate) fn parse_portal(name: &[u8]) -> Result<Portal, PortalError> {
    if name.len() > MAX_PORTAL_LEN {
        return Err(PortalError::TooLong(name.len()));
    }
    let (ip, port) = if let Some(open) = find(name, b'[') {
        let rest = name.get(open + 1..).unwrap_or(&[]);
        let close = find(rest, b']').ok_or(PortalError::NoClosingBracket)?;
        let ip = rest.get(..close).unwrap_or(&[]);
        let after = rest.get(close + 1..).unwrap_or(&[]);
        let colon = find(after, b':').ok_or(PortalError::NoPortV6)?;
        (ip, after.get(colon + 1..).unwrap_or(&[]))
    } else {
        let colon = find(name, b':').ok_or(PortalError::NoPortV4)?;
        (
            name.get(..colon).unwrap_or(&[]),
            name.get(colon + 1..).unwrap_or(&[]),
        )
    };
    let port = kstrtoull(port)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or(PortalError::Malformed)?;
    let addr = inet4_pton(ip)
        .map(PortalAddr::V4)
        .or_else(|| inet6_pton(ip).map(PortalAddr::V6))
        .ok_or(PortalError::Malformed)?;
    Ok(Portal { addr, port })
}

const XDIGIT: u32 = 0x0001_0000;
const DIGIT: u32 = 0x0002_0000;
const COLON_MASK: u32 = 0x0070_0000;
const COLON_1: u32 = 0x0010_0000;
const COLON_2: u32 = 0x0020_0000;
const COLON_1_2: u32 = 0x0040_0000;
const DOT: u32 = 0x0080_0000;
const DELIM: u32 = 0x1000_0000;
const NULL: u32 = 0x2000_0000;
const UNKNOWN: u32 = 0x4000_0000;

/// `xdigit2bin()`.
fn xdigit2bin(c: u8, delim: u8) -> u32 {
    if c == delim || c == 0 {
        return DELIM;
    }
    match c {
        b':' => COLON_MASK,
        b'.' => DOT,
        _ => match (c as char).to_digit(16) {
            Some(v) => v | XDIGIT | if v < 10 { DIGIT } else { 0 },
            None => UNKNOWN,
        },
    }
}

/// The character at `i` of `src`, or NUL past its end (`srclen > 0 ? *s : '\0'`).
fn at(src: &[u8], i: usize) -> u8 {
    src.get(i).copied().unwrap_or(0)
}

/// `in4_pton(src, srclen, dst, delim, &end)`: the address and where parsing stopped.
fn in4_pton(src: &[u8], delim: u8) -> (Option<[u8; 4]>, usize) {
    let mut dbuf = [0u8; 4];
    let mut d = 0usize;
    let mut w: u32 = 0;
    let mut s = 0usize;
    loop {
        let c = xdigit2bin(at(src, s), delim);
        if c & (DIGIT | DOT | DELIM | COLON_MASK) == 0 {
            return (None, s);
        }
        if c & (DOT | DELIM | COLON_MASK) != 0 {
            if w == 0 {
                return (None, s);
            }
            if let Some(b) = dbuf.get_mut(d) {
                *b = w as u8;
            }
            d += 1;
            w = 0;
            if c & (DELIM | COLON_MASK) != 0 {
                if d != 4 {
                    return (None, s);
                }
                break;
            }
        } else {
            // As in C, the flag bits of `c` ride along above bit 16 (so a "0" octet is
            // not empty).
            w = w.wrapping_mul(10).wrapping_add(c);
            if (w & 0xffff) > 255 {
                return (None, s);
            }
        }
        if d >= 4 {
            return (None, s);
        }
        s += 1;
    }
    (Some(dbuf), s)
}

/// `inet4_pton()`: at most `INET_ADDRSTRLEN` bytes, `in4_pton()` up to a newline.
fn inet4_pton(src: &[u8]) -> Option<[u8; 4]> {
    if src.len() > INET_ADDRSTRLEN {
        return None;
    }
    in4_pton(src, b'\n').0
}

/// `in6_pton(src, srclen, dst, '%', &end)`: the address and where parsing stopped.
fn in6_pton(src: &[u8]) -> (Option<[u8; 16]>, usize) {
    let delim = b'%';
    let mut dbuf = [0u8; 16];
    let mut d = 0usize;
    let mut dc: Option<usize> = None;
    let mut tok: Option<usize> = None;
    let mut state = COLON_1_2 | XDIGIT | NULL;
    let mut w: u32 = 0;
    let mut s = 0usize;
    loop {
        let c = xdigit2bin(at(src, s), delim);
        if c & state == 0 {
            return (None, s);
        }
        if c & (DELIM | COLON_MASK) != 0 {
            if state & NULL == 0 {
                if let Some(b) = dbuf.get_mut(d) {
                    *b = (w >> 8) as u8;
                }
                if let Some(b) = dbuf.get_mut(d + 1) {
                    *b = w as u8;
                }
                d += 2;
            }
            w = 0;
            if c & DELIM != 0 {
                break;
            }
            state = match state & COLON_MASK {
                COLON_2 => {
                    dc = Some(d);
                    let mut st = XDIGIT | DELIM;
                    if d >= dbuf.len() {
                        st |= NULL;
                    }
                    st
                }
                x if x == COLON_1 | COLON_1_2 => XDIGIT | COLON_2,
                COLON_1 => XDIGIT,
                COLON_1_2 => COLON_2,
                _ => 0,
            };
            tok = Some(s + 1);
        } else if c & DOT != 0 {
            let start = tok.unwrap_or(s);
            let (v4, end) = in4_pton(src.get(start..).unwrap_or(&[]), delim);
            match v4 {
                Some(v4) => {
                    for (i, b) in v4.iter().enumerate() {
                        if let Some(x) = dbuf.get_mut(d + i) {
                            *x = *b;
                        }
                    }
                    d += 4;
                    s = start + end;
                    break;
                }
                None => return (None, start + end),
            }
        } else {
            w = (w << 4) | (0xff & c);
            state = COLON_1 | DELIM;
            if w & 0xf000 == 0 {
                state |= XDIGIT;
            }
            if dc.is_none() && d + 2 < dbuf.len() {
                state |= COLON_1_2;
                state &= !DELIM;
            }
            if d + 2 >= dbuf.len() {
                state &= !(COLON_1 | COLON_1_2);
            }
        }
        // cont:
        if (dc.is_some() && d + 4 < dbuf.len()) || d + 4 == dbuf.len() {
            state |= DOT;
        }
        if d >= dbuf.len() {
            state &= !(XDIGIT | COLON_MASK);
        }
        s += 1;
    }
    let mut dst = [0u8; 16];
    match dc {
        Some(dc) => {
            // The words after "::" go to the end, zeros fill the gap.
            let tail = d.saturating_sub(dc);
            for i in 0..tail {
                if let (Some(x), Some(y)) = (dst.get_mut(16 - tail + i), dbuf.get(dc + i)) {
                    *x = *y;
                }
            }
            for i in 0..dc.min(16) {
                if let (Some(x), Some(y)) = (dst.get_mut(i), dbuf.get(i)) {
                    *x = *y;
                }
            }
        }
        None => dst = dbuf,
    }
    (Some(dst), s)
}

/// `inet6_pton()`: at most `INET6_ADDRSTRLEN` bytes; a `%scope` of a link-local address
/// must be an interface name or a number (`kstrtouint(scope, 0)`). Interface names are
/// not looked up here: any non-numeric scope is taken as one.
fn inet6_pton(src: &[u8]) -> Option<[u8; 16]> {
    if src.len() > INET6_ADDRSTRLEN {
        return None;
    }
    let (addr, end) = in6_pton(src);
    let addr = addr?;
    let link_local = addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
    if link_local && end != src.len() && src.get(end) == Some(&b'%') {
        let scope = src.get(end + 1..).unwrap_or(&[]);
        let scope = scope.get(..15).unwrap_or(scope);
        let numeric = scope.first().is_some_and(|c| c.is_ascii_digit());
        if numeric
            && kstrtoull(scope)
                .and_then(|v| u32::try_from(v).ok())
                .is_none()
        {
            return None;
        }
    }
    Some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Portal, PortalError> {
        parse_portal(s.as_bytes())
    }

    #[test]
    fn ipv4() {
        assert_eq!(
            p("0.0.0.0:3260"),
            Ok(Portal {
                addr: PortalAddr::V4([0, 0, 0, 0]),
                port: 3260
            })
        );
        assert_eq!(
            p("192.168.1.20:0x10"),
            Ok(Portal {
                addr: PortalAddr::V4([192, 168, 1, 20]),
                port: 16
            })
        );
        assert_eq!(p("1.2.3.4"), Err(PortalError::NoPortV4));
        assert_eq!(p("1.2.3.4:"), Err(PortalError::Malformed));
        assert_eq!(p("1.2.3.4:65536"), Err(PortalError::Malformed));
        assert_eq!(p("1.2.3.4:32:60"), Err(PortalError::Malformed));
        assert_eq!(p("1.2.3.256:3260"), Err(PortalError::Malformed));
        assert_eq!(p("1.2.3:3260"), Err(PortalError::Malformed));
        assert_eq!(p("1.2.3.4.5:3260"), Err(PortalError::Malformed));
        assert_eq!(p("host:3260"), Err(PortalError::Malformed));
        // A bare IPv6 address splits at its first colon.
        assert_eq!(p("::1:3260"), Err(PortalError::Malformed));
    }

    #[test]
    fn ipv6() {
        let mut lo = [0u8; 16];
        lo[15] = 1;
        assert_eq!(
            p("[::1]:3260"),
            Ok(Portal {
                addr: PortalAddr::V6(lo),
                port: 3260
            })
        );
        assert_eq!(p("[::]:3260").map(|p| p.addr), Ok(PortalAddr::V6([0; 16])));
        let mut a = [0u8; 16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x0d;
        a[3] = 0xb8;
        a[15] = 0x42;
        assert_eq!(
            p("[2001:db8::42]:3260").map(|p| p.addr),
            Ok(PortalAddr::V6(a))
        );
        let full = [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8];
        assert_eq!(
            p("[1:2:3:4:5:6:7:8]:1").map(|p| p.addr),
            Ok(PortalAddr::V6(full))
        );
        let mut m = [0u8; 16];
        m[10] = 0xff;
        m[11] = 0xff;
        m[12..].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(
            p("[::ffff:10.0.0.1]:3260").map(|p| p.addr),
            Ok(PortalAddr::V6(m))
        );
        assert_eq!(p("[fe80::1%eth0]:3260").map(|p| p.port), Ok(3260));
        assert_eq!(p("[fe80::1%2]:3260").map(|p| p.port), Ok(3260));
        assert_eq!(p("[::1]3260"), Err(PortalError::NoPortV6));
        assert_eq!(p("[::1:3260"), Err(PortalError::NoClosingBracket));
        assert_eq!(p("[1:2:3:4:5:6:7:8:9]:1"), Err(PortalError::Malformed));
        assert_eq!(p("[1::2::3]:1"), Err(PortalError::Malformed));
        assert_eq!(p("[12345::]:1"), Err(PortalError::Malformed));
        assert_eq!(p("[:::]:1"), Err(PortalError::Malformed));
        // IPv4 in brackets is taken as IPv4 (AF_UNSPEC tries IPv4 first).
        assert_eq!(
            p("[127.0.0.1]:3260").map(|p| p.addr),
            Ok(PortalAddr::V4([127, 0, 0, 1]))
        );
        assert_eq!(p(&"1".repeat(300)), Err(PortalError::TooLong(300)));
    }
}
