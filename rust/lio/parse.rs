// SPDX-License-Identifier: GPL-2.0

//! Parsers for what user space writes to configfs attributes, with the kernel's exact
//! semantics (`lib/kstrtox.c`). Pure `core` code: the host tests compile it too.

/// Why a number did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Not a number in the base (`-EINVAL`).
    Invalid,
    /// A number too large for the type (`-ERANGE`).
    Range,
}

/// The text up to the first NUL (configfs pages are NUL-terminated C strings).
pub fn c_text(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(n) => &bytes[..n],
        None => bytes,
    }
}

/// The value of `c` as a digit of `base` (2..=16), if it is one.
fn digit(c: u8, base: u32) -> Option<u32> {
    char::from(c).to_digit(16).filter(|&d| d < base)
}

/// `kstrtoull(s, base)`: an optional `+`, digits of `base` (0 picks 16 for `0x`, 8 for a
/// leading `0`, else 10; base 16 also takes a `0x` prefix), an optional single trailing
/// newline, and nothing else.
pub fn kstrtoull(s: &[u8], base: u32) -> Result<u64, ParseError> {
    let mut s = c_text(s);
    if let [b'+', rest @ ..] = s {
        s = rest;
    }
    let is_hex_prefix = |s: &[u8]| s.len() >= 2 && s[0] == b'0' && (s[1] | 0x20) == b'x';
    let base = match base {
        0 if is_hex_prefix(s) && s.get(2).is_some_and(|c| c.is_ascii_hexdigit()) => 16,
        0 if s.first() == Some(&b'0') => 8,
        0 => 10,
        b @ 2..=16 => b,
        _ => return Err(ParseError::Invalid),
    };
    if base == 16 && is_hex_prefix(s) {
        s = &s[2..];
    }
    let mut value: u64 = 0;
    let mut digits = 0;
    let mut overflow = false;
    for d in s.iter().map_while(|&c| digit(c, base)) {
        match value
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        digits += 1;
    }
    if digits == 0 {
        return Err(ParseError::Invalid);
    }
    let mut rest = &s[digits..];
    if let [b'\n', tail @ ..] = rest {
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(ParseError::Invalid);
    }
    if overflow {
        return Err(ParseError::Range);
    }
    Ok(value)
}

/// `kstrtou32(s, base)`.
pub fn kstrtou32(s: &[u8], base: u32) -> Result<u32, ParseError> {
    u32::try_from(kstrtoull(s, base)?).map_err(|_| ParseError::Range)
}

/// `kstrtou16(s, base)`.
pub fn kstrtou16(s: &[u8], base: u32) -> Result<u16, ParseError> {
    u16::try_from(kstrtoull(s, base)?).map_err(|_| ParseError::Range)
}

/// `kstrtoint(s, base)`: as `kstrtoull`, with an optional leading `-`, into an `int`.
pub fn kstrtoint(s: &[u8], base: u32) -> Result<i32, ParseError> {
    match s {
        [b'-', rest @ ..] => {
            let v = kstrtoull(rest, base)?;
            if v > 1u64 << 31 {
                return Err(ParseError::Range);
            }
            // `v` is at most 2^31, so the negation fits an i64 and then an i32.
            i32::try_from(-(v as i64)).map_err(|_| ParseError::Range)
        }
        _ => i32::try_from(kstrtoull(s, base)?).map_err(|_| ParseError::Range),
    }
}

/// `kstrtou8(s, base)`.
pub fn kstrtou8(s: &[u8], base: u32) -> Result<u8, ParseError> {
    u8::try_from(kstrtoull(s, base)?).map_err(|_| ParseError::Range)
}

/// `kstrtobool(s)`: `y`/`Y`/`t`/`T`/`1`/`on` are true, `n`/`N`/`f`/`F`/`0`/`off` are
/// false, judged by the first one or two characters only.
pub fn kstrtobool(s: &[u8]) -> Result<bool, ParseError> {
    match s {
        [b'y' | b'Y' | b't' | b'T' | b'1', ..] => Ok(true),
        [b'n' | b'N' | b'f' | b'F' | b'0', ..] => Ok(false),
        [b'o' | b'O', b'n' | b'N', ..] => Ok(true),
        [b'o' | b'O', b'f' | b'F', ..] => Ok(false),
        _ => Err(ParseError::Invalid),
    }
}

/// `kstrtoul(s, base)` on a 64-bit kernel.
pub fn kstrtoul(s: &[u8], base: u32) -> Result<u64, ParseError> {
    kstrtoull(s, base)
}

/// `simple_strtoull(s, &end, 0)`: the value and how many bytes it used (0 if no digit).
/// Overflow wraps, as in the kernel.
pub fn simple_strtoull(s: &[u8]) -> (u64, usize) {
    let (base, skip) = match s {
        [b'0', x, d, ..] if (x | 0x20) == b'x' && d.is_ascii_hexdigit() => (16, 2),
        [b'0', ..] => (8, 0),
        _ => (10, 0),
    };
    let mut value: u64 = 0;
    let mut used = skip;
    for d in s.iter().skip(skip).map_while(|&c| digit(c, base)) {
        value = value
            .wrapping_mul(u64::from(base))
            .wrapping_add(u64::from(d));
        used += 1;
    }
    if used == skip {
        (0, 0)
    } else {
        (value, used)
    }
}

/// A `match_token()` `%d` argument read with `match_int()`: a whole string that
/// `simple_strtol(.., 0)` reads (optional `-`, then `0x` hex, `0` octal or decimal) and
/// that fits an `int`. `None` where the kernel's pattern would not match or `match_int`
/// would fail.
pub fn match_int(s: &[u8]) -> Option<i32> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let (value, used) = simple_strtoull(digits);
    if used == 0 || used != digits.len() {
        return None;
    }
    let value = i64::try_from(value).ok()?;
    i32::try_from(if negative { -value } else { value }).ok()
}

/// Splits `control`-style input into its non-empty tokens (`strsep(.., ",\n")`).
pub fn control_tokens(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    c_text(s)
        .split(|&c| c == b',' || c == b'\n')
        .filter(|t| !t.is_empty())
}

/// `strstrip()`: without leading and trailing whitespace.
pub fn strstrip(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or(&[])
}

/// Splits `key=value`; `None` without `=`.
pub fn key_value(token: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = token.iter().position(|&c| c == b'=')?;
    Some((&token[..eq], &token[eq + 1..]))
}

/// `isspace()` of the kernel's ctype table: `\t`, `\n`, `\v`, `\f`, `\r`, space, and
/// Latin-1's non-breaking space (0xa0).
pub fn is_kspace(c: u8) -> bool {
    matches!(c, 9..=13 | b' ' | 0xa0)
}

/// `skip_spaces()`.
pub fn skip_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_kspace(c)).count();
    &s[n..]
}

/// Decimal digits read the way `simple_strntoull(s, &end, 10, INT_MAX)` reads them
/// (overflow wraps): the value and how many bytes were used.
fn decimal_wrapping(s: &[u8]) -> (u64, usize) {
    let mut value: u64 = 0;
    let mut used = 0;
    for d in s.iter().map_while(|&c| digit(c, 10)) {
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
        used += 1;
    }
    (value, used)
}

/// One `%lu` conversion of the kernel's `vsscanf()`: leading white space skipped, then
/// at least one decimal digit. The value (wrapped like `simple_strntoull`) and the rest.
pub fn scan_ulong(s: &[u8]) -> Option<(u64, &[u8])> {
    let s = skip_spaces(s);
    let (value, used) = decimal_wrapping(s);
    if used == 0 {
        return None;
    }
    Some((value, &s[used..]))
}

/// One `%d` conversion of the kernel's `vsscanf()`: leading white space skipped, an
/// optional `-` that a digit must follow, decimal digits; the `long long` result stored
/// into an `int` (truncated), and the rest.
pub fn scan_int(s: &[u8]) -> Option<(i32, &[u8])> {
    let s = skip_spaces(s);
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let (value, used) = decimal_wrapping(digits);
    if used == 0 {
        return None;
    }
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    let consumed = used + usize::from(negative);
    Some((value as i32, &s[consumed..]))
}

/// `simple_strtol(s, &end, 0)`: the value (wrapped) and how many bytes it used. A lone
/// `-` counts as used (the kernel's end pointer moves past it).
fn simple_strtol(s: &[u8]) -> (i64, usize) {
    match s {
        [b'-', rest @ ..] => {
            let (v, n) = simple_strtoull(rest);
            ((v as i64).wrapping_neg(), n + 1)
        }
        _ => {
            let (v, n) = simple_strtoull(s);
            (v as i64, n)
        }
    }
}

/// Whether `match_token()`'s `%d` matches the whole of `s` (what follows `key=`).
pub fn match_pattern_d(s: &[u8]) -> bool {
    let (_, used) = simple_strtol(s);
    used != 0 && used == s.len()
}

/// Whether `match_token()`'s `%u` matches the whole of `s`.
pub fn match_pattern_u(s: &[u8]) -> bool {
    let (_, used) = simple_strtoull(s);
    used != 0 && used == s.len()
}

/// `NUMBER_BUF_LEN` of `lib/parser.c`.
const NUMBER_BUF_LEN: usize = 24;

/// `match_int()` on an argument `match_token()` matched: `-ERANGE` for text of 24 bytes
/// or more or a value outside `int`, `-EINVAL` if nothing parses.
pub fn match_number_int(s: &[u8]) -> Result<i32, ParseError> {
    if s.len() >= NUMBER_BUF_LEN {
        return Err(ParseError::Range);
    }
    let (value, used) = simple_strtol(s);
    if used == 0 {
        return Err(ParseError::Invalid);
    }
    i32::try_from(value).map_err(|_| ParseError::Range)
}

/// `match_u64()`: `kstrtoull(s, 0)`.
pub fn match_u64(s: &[u8]) -> Result<u64, ParseError> {
    kstrtoull(s, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strstrip_like_the_kernel() {
        assert_eq!(strstrip(b"  default_lu_gp \n"), b"default_lu_gp");
        assert_eq!(strstrip(b"\t\n "), b"");
        assert_eq!(strstrip(b"a b"), b"a b");
    }

    #[test]
    fn bools_and_narrow_integers() {
        for t in [
            &b"1"[..],
            b"1\n",
            b"y",
            b"Yes",
            b"true",
            b"on",
            b"ON",
            b"10",
        ] {
            assert_eq!(kstrtobool(t), Ok(true), "{:?}", t);
        }
        for f in [&b"0"[..], b"n", b"False", b"off", b"of"] {
            assert_eq!(kstrtobool(f), Ok(false), "{:?}", f);
        }
        for bad in [&b""[..], b"2", b"o", b"ox", b" 1"] {
            assert_eq!(kstrtobool(bad), Err(ParseError::Invalid), "{:?}", bad);
        }
        assert_eq!(kstrtou32(b"4294967295", 0), Ok(u32::MAX));
        assert_eq!(kstrtou32(b"4294967296", 0), Err(ParseError::Range));
        assert_eq!(kstrtou8(b"0x2\n", 0), Ok(2));
        assert_eq!(kstrtou8(b"256", 0), Err(ParseError::Range));
    }

    #[test]
    fn match_int_like_match_token() {
        assert_eq!(match_int(b"16384"), Some(16384));
        assert_eq!(match_int(b"0x10"), Some(16));
        assert_eq!(match_int(b"010"), Some(8));
        assert_eq!(match_int(b"-5"), Some(-5));
        assert_eq!(match_int(b"2147483647"), Some(i32::MAX));
        assert_eq!(match_int(b"2147483648"), None);
        for bad in [&b""[..], b"-", b"12abc", b"abc", b"0x", b" 1", b"1 "] {
            assert_eq!(match_int(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn control_tokens_split_on_comma_and_newline() {
        let v: std::vec::Vec<&[u8]> =
            control_tokens(b"rd_pages=8,,rd_nullio=1\nx\n\0junk").collect();
        assert_eq!(v, [&b"rd_pages=8"[..], b"rd_nullio=1", b"x"]);
        assert_eq!(
            key_value(b"rd_pages=8"),
            Some((&b"rd_pages"[..], &b"8"[..]))
        );
        assert_eq!(key_value(b"a=b=c"), Some((&b"a"[..], &b"b=c"[..])));
        assert_eq!(key_value(b"novalue"), None);
    }

    #[test]
    fn vsscanf_conversions() {
        assert_eq!(scan_ulong(b" 12 34"), Some((12, &b" 34"[..])));
        assert_eq!(scan_ulong(b"\t7x"), Some((7, &b"x"[..])));
        assert_eq!(scan_ulong(b"-1"), None);
        assert_eq!(scan_ulong(b""), None);
        assert_eq!(scan_ulong(b"18446744073709551616"), Some((0, &b""[..])));
        assert_eq!(scan_int(b"-5:O"), Some((-5, &b":O"[..])));
        assert_eq!(scan_int(b" 3:A"), Some((3, &b":A"[..])));
        assert_eq!(scan_int(b"-"), None);
        assert_eq!(scan_int(b"4294967297"), Some((1, &b""[..])));
        assert_eq!(skip_spaces(b"\x0b\xa0 a"), b"a");
    }

    #[test]
    fn match_token_numbers() {
        assert!(match_pattern_d(b"-3"));
        assert!(match_pattern_d(b"-"));
        assert!(match_pattern_d(b"0x1f"));
        assert!(!match_pattern_d(b""));
        assert!(!match_pattern_d(b"1a"));
        assert!(!match_pattern_d(b"08"));
        assert!(match_pattern_u(b"12"));
        assert!(!match_pattern_u(b"-1"));
        assert_eq!(match_number_int(b"-"), Ok(0));
        assert_eq!(match_number_int(b"0x10"), Ok(16));
        assert_eq!(match_number_int(b"2147483648"), Err(ParseError::Range));
        assert_eq!(match_number_int(b"-2147483648"), Ok(i32::MIN));
        assert_eq!(
            match_number_int(b"000000000000000000000001"),
            Err(ParseError::Range)
        );
        assert_eq!(match_u64(b"0x10"), Ok(16));
        assert_eq!(match_u64(b"abc"), Err(ParseError::Invalid));
    }

    #[test]
    fn decimal_with_newline() {
        assert_eq!(kstrtoul(b"42\n", 0), Ok(42));
        assert_eq!(kstrtoul(b"+7", 10), Ok(7));
        assert_eq!(kstrtoul(b"42\n\0garbage", 0), Ok(42));
    }

    #[test]
    fn radix_detection() {
        assert_eq!(kstrtoul(b"0x1F", 0), Ok(31));
        assert_eq!(kstrtoul(b"0X1f\n", 0), Ok(31));
        assert_eq!(kstrtoul(b"010", 0), Ok(8));
        assert_eq!(kstrtoul(b"0", 0), Ok(0));
        assert_eq!(kstrtoul(b"0x", 0), Err(ParseError::Invalid));
        assert_eq!(kstrtoul(b"0x10", 16), Ok(16));
        assert_eq!(kstrtoul(b"ff", 16), Ok(255));
    }

    #[test]
    fn rejects_what_the_kernel_rejects() {
        for bad in [
            &b""[..],
            b"\n",
            b"-1",
            b"12 ",
            b"1\n\n",
            b"abc",
            b"08",
            b" 1",
            b"1.5",
        ] {
            assert_eq!(kstrtoul(bad, 0), Err(ParseError::Invalid), "{:?}", bad);
        }
        assert_eq!(kstrtoul(b"1", 1), Err(ParseError::Invalid));
    }

    #[test]
    fn overflow_is_range() {
        assert_eq!(kstrtoul(b"18446744073709551615", 10), Ok(u64::MAX));
        assert_eq!(
            kstrtoul(b"18446744073709551616", 10),
            Err(ParseError::Range)
        );
        assert_eq!(kstrtoul(b"0x10000000000000000", 0), Err(ParseError::Range));
    }
}
