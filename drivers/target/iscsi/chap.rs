// SPDX-License-Identifier: GPL-2.0

//! CHAP authentication for the target side of an iSCSI login (RFC 1994 as RFC 7143
//! §12.1.3 uses it), as LIO's `iscsi_target_auth.c` does it.
//!
//! The target answers `CHAP_A` with the first algorithm of the initiator's list that it
//! supports (LIO 6.12 knows MD5=5, SHA1=6, SHA-256=7 and SHA3-256=8, each if the kernel
//! has the hash), an identifier `CHAP_I` and a challenge `CHAP_C` as long as the digest,
//! sent in hex. It then checks `CHAP_N` against the configured user id and `CHAP_R`
//! against H(CHAP_I || secret || CHAP_C), given in hex (`0x`) or base64 (`0b`). With mutual
//! CHAP configured, an initiator challenge (`CHAP_I`, `CHAP_C`) is answered with `CHAP_N`
//! and `CHAP_R`, refusing a challenge identical to the target's own.
//!
//! The hash comes from the caller through [`ChapHash`] (the kernel plugs `crypto_shash` in),
//! the random challenge bytes and the identifier too.
//!
//! Where LIO's parsing is looser or odder it is followed, except: keys are found by exact
//! name (LIO's `extract_param()` takes the first `strstr()` hit anywhere in the text, so a
//! user name containing `CHAP_R` could shadow the real key), the last entry may lack its
//! NUL (LIO then fails to find it), and responses are compared in constant time.
//! As in LIO, `CHAP_A` must be the first key of its PDU.

use super::params::{iscsi_encode_text_record, IscsiTextIter, ParamError};

/// `CHAP_DIGEST_UNKNOWN`.
pub(crate) const CHAP_DIGEST_UNKNOWN: u8 = 0;
/// Longest challenge the target sends (`MAX_CHAP_CHALLENGE_LEN`).
pub(crate) const MAX_CHAP_CHALLENGE_LEN: usize = 32;
/// Longest digest.
pub(crate) const MAX_CHAP_DIGEST_LEN: usize = 32;
/// `CHAP_C` from the initiator: fewer characters than this (`CHAP_CHALLENGE_STR_LEN`).
pub(crate) const CHAP_CHALLENGE_STR_LEN: usize = 4096;
/// `CHAP_C` from the initiator: at most this many bytes once decoded.
pub(crate) const MAX_CHAP_INITIATOR_CHALLENGE: usize = 1024;
/// `CHAP_R`: fewer characters than this (`MAX_RESPONSE_LENGTH`).
pub(crate) const MAX_RESPONSE_LENGTH: usize = 128;
/// `CHAP_N`: fewer characters than this (`MAX_CHAP_N_SIZE`).
pub(crate) const MAX_CHAP_N_SIZE: usize = 512;
/// `CHAP_I`: fewer characters than this.
pub(crate) const MAX_CHAP_I_SIZE: usize = 10;

/// A CHAP algorithm (`CHAP_A` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChapDigest {
    /// `CHAP_DIGEST_MD5` (5).
    Md5,
    /// `CHAP_DIGEST_SHA1` (6).
    Sha1,
    /// `CHAP_DIGEST_SHA256` (7).
    Sha256,
    /// `CHAP_DIGEST_SHA3_256` (8).
    Sha3_256,
}

impl ChapDigest {
    /// The algorithm for a `CHAP_A` number.
    pub(crate) fn from_chap_a(v: i64) -> Option<Self> {
        match v {
            5 => Some(Self::Md5),
            6 => Some(Self::Sha1),
            7 => Some(Self::Sha256),
            8 => Some(Self::Sha3_256),
            _ => None,
        }
    }

    /// Its `CHAP_A` number.
    pub(crate) fn chap_a(self) -> u8 {
        match self {
            Self::Md5 => 5,
            Self::Sha1 => 6,
            Self::Sha256 => 7,
            Self::Sha3_256 => 8,
        }
    }

    /// Digest (and target challenge) length in bytes.
    pub(crate) fn digest_size(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 | Self::Sha3_256 => 32,
        }
    }

    /// The kernel crypto API name (`chap_get_digest_name()`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha3_256 => "sha3-256",
        }
    }
}

/// Why CHAP failed. LIO answers every one with a Login Response "authentication failure"
/// (class 2, detail 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChapError {
    /// No user id or password configured for the initiator.
    NoCredentials,
    /// `CHAP_A` is not the first key, or lists no supported algorithm.
    UnsupportedAlgorithm,
    /// A required key is missing.
    MissingKey(&'static str),
    /// A value too long for its key.
    ValueTooLong(&'static str),
    /// `CHAP_N` given in hex.
    InvalidName,
    /// `CHAP_N` is not the configured user id.
    NameMismatch,
    /// `CHAP_R` is not a digest in hex or base64.
    MalformedResponse,
    /// `CHAP_R` is wrong: wrong secret (or challenge).
    ResponseMismatch,
    /// `CHAP_I` is not a number of at most 255.
    InvalidIdentifier,
    /// `CHAP_C` is not valid hex or base64.
    MalformedChallenge,
    /// `CHAP_C` is empty.
    EmptyChallenge,
    /// `CHAP_C` is longer than 1024 bytes.
    ChallengeTooLong,
    /// The initiator's `CHAP_C` is the target's own (a reflection attack).
    ReflectedChallenge,
    /// Fewer random bytes than the challenge needs.
    RandomTooShort,
    /// The hash provider failed or gave a wrong length.
    HashFailed,
    /// The output buffer is too small.
    BufferTooSmall,
}

impl From<ParamError> for ChapError {
    fn from(_: ParamError) -> Self {
        ChapError::BufferTooSmall
    }
}

/// The hash behind CHAP: `crypto_shash` in the kernel, a software hash in the tests.
pub(crate) trait ChapHash {
    /// Whether `digest` is available (LIO: `crypto_alloc_shash()` succeeds).
    fn chap_supports(&self, digest: ChapDigest) -> bool;

    /// Writes H(`parts[0]` || `parts[1]` || ...) into `out`, which is exactly
    /// `digest.digest_size()` bytes.
    fn chap_digest(
        &mut self,
        digest: ChapDigest,
        parts: &[&[u8]],
        out: &mut [u8],
    ) -> Result<(), ChapError>;
}

/// The credentials CHAP checks against (`struct iscsi_node_auth`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IscsiNodeAuth<'a> {
    /// `userid` (`NAF_USERID_SET` when present).
    pub(crate) userid: Option<&'a [u8]>,
    /// `password` (`NAF_PASSWORD_SET` when present).
    pub(crate) password: Option<&'a [u8]>,
    /// `userid_mutual`: the CHAP_N the target answers with.
    pub(crate) userid_mutual: &'a [u8],
    /// `password_mutual`: the target's secret for mutual CHAP.
    pub(crate) password_mutual: &'a [u8],
    /// Mutual CHAP is configured (`authenticate_target`).
    pub(crate) authenticate_target: bool,
}

/// How a CHAP value is encoded (`extract_param()`'s type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChapValueType {
    /// No prefix.
    Decimal,
    /// `0x`/`0X` prefix.
    Hex,
    /// `0b`/`0B` prefix.
    Base64,
}

/// `extract_param()`: the value of `key` with its `0x`/`0b` prefix removed and its type;
/// `Ok(None)` when the key is absent. The value must be shorter than `max_length`.
pub(crate) fn extract_param<'a>(
    text: &'a [u8],
    key: &'static str,
    max_length: usize,
) -> Result<Option<(&'a [u8], ChapValueType)>, ChapError> {
    let v = match IscsiTextIter::new(text)
        .filter_map(Result::ok)
        .find(|(k, _)| *k == key.as_bytes())
    {
        Some((_, v)) => v,
        None => return Ok(None),
    };
    let (v, ty) = match v {
        [b'0', b'x' | b'X', rest @ ..] => (rest, ChapValueType::Hex),
        [b'0', b'b' | b'B', rest @ ..] => (rest, ChapValueType::Base64),
        _ => (v, ChapValueType::Decimal),
    };
    if v.len() >= max_length {
        return Err(ChapError::ValueTooLong(key));
    }
    Ok(Some((v, ty)))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `hex2bin()`: exactly `2 * dst.len()` hex digits from `src` into `dst`.
pub(crate) fn chap_hex2bin(dst: &mut [u8], src: &[u8]) -> Result<(), ChapError> {
    let mut pairs = src.chunks(2);
    for d in dst.iter_mut() {
        match pairs.next() {
            Some(&[h, l]) => match (hex_digit(h), hex_digit(l)) {
                (Some(h), Some(l)) => *d = (h << 4) | l,
                _ => return Err(ChapError::MalformedChallenge),
            },
            _ => return Err(ChapError::MalformedChallenge),
        }
    }
    Ok(())
}

/// `bin2hex()`: lowercase hex of `src` into `dst`; returns the length written.
pub(crate) fn chap_bin2hex(dst: &mut [u8], src: &[u8]) -> Result<usize, ChapError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = dst.chunks_exact_mut(2);
    for &b in src {
        let pair = out.next().ok_or(ChapError::BufferTooSmall)?;
        let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
        if let [h, l] = pair {
            *h = hi;
            *l = lo;
        }
    }
    Ok(src.len() * 2)
}

const BASE64_TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `chap_base64_decode()`: decodes until the first `=` (or the end), failing on a
/// character outside the alphabet or, without `=`, on leftover non-zero bits. Returns the
/// decoded length; only the first `dst.len()` bytes are stored, so a result larger than
/// `dst` means "too long".
pub(crate) fn chap_base64_decode(dst: &mut [u8], src: &[u8]) -> Result<usize, ChapError> {
    let mut bits = 0u32;
    let mut ac = 0u32;
    let mut n = 0usize;
    for &c in src {
        if c == b'=' {
            return Ok(n);
        }
        let v = base64_value(c).ok_or(ChapError::MalformedChallenge)?;
        ac = (ac << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if let Some(d) = dst.get_mut(n) {
                *d = (ac >> bits) as u8;
            }
            n += 1;
            ac &= (1 << bits) - 1;
        }
    }
    if ac != 0 {
        return Err(ChapError::MalformedChallenge);
    }
    Ok(n)
}

/// Standard base64 with `=` padding (for the `0b` form); returns the length written.
pub(crate) fn chap_base64_encode(dst: &mut [u8], src: &[u8]) -> Result<usize, ChapError> {
    let mut n = 0usize;
    let mut put = |c: u8, n: &mut usize| -> Result<(), ChapError> {
        *dst.get_mut(*n).ok_or(ChapError::BufferTooSmall)? = c;
        *n += 1;
        Ok(())
    };
    let sym = |v: u32| BASE64_TABLE.get((v & 63) as usize).copied().unwrap_or(b'=');
    for chunk in src.chunks(3) {
        let (b0, b1, b2) = match *chunk {
            [a] => (a, None, None),
            [a, b] => (a, Some(b), None),
            [a, b, c] => (a, Some(b), Some(c)),
            _ => continue,
        };
        let v =
            (u32::from(b0) << 16) | (u32::from(b1.unwrap_or(0)) << 8) | u32::from(b2.unwrap_or(0));
        put(sym(v >> 18), &mut n)?;
        put(sym(v >> 12), &mut n)?;
        put(if b1.is_some() { sym(v >> 6) } else { b'=' }, &mut n)?;
        put(if b2.is_some() { sym(v) } else { b'=' }, &mut n)?;
    }
    Ok(n)
}

/// `kstrtoul(s, base)` / `kstrtol(s, 10)`: optional sign (`-` only when `signed`), digits
/// of `base` (base 16 may repeat a `0x`), one optional newline, no overflow.
fn kstrtol(s: &[u8], base: u32, signed: bool) -> Option<i64> {
    let (neg, s) = match s {
        [b'+', rest @ ..] => (false, rest),
        [b'-', rest @ ..] if signed => (true, rest),
        _ => (false, s),
    };
    let s = match s {
        [b'0', b'x' | b'X', rest @ ..] if base == 16 => rest,
        _ => s,
    };
    let mut v: i64 = 0;
    let mut n = 0usize;
    for &c in s {
        let d = match hex_digit(c) {
            Some(d) if u32::from(d) < base => i64::from(d),
            _ => break,
        };
        v = v.checked_mul(i64::from(base))?.checked_add(d)?;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    match s.get(n..) {
        Some([]) | Some([b'\n']) => Some(if neg { -v } else { v }),
        _ => None,
    }
}

/// `chap_check_algorithm()`: the first entry of `text` must be `CHAP_A`; the first value
/// of its list that is a known algorithm the hash provider supports wins (the initiator's
/// order of preference). Values that are not decimal numbers are skipped.
pub(crate) fn chap_check_algorithm(text: &[u8], hash: &dyn ChapHash) -> Option<ChapDigest> {
    let (key, value) = IscsiTextIter::new(text).next()?.ok()?;
    if key != b"CHAP_A" {
        return None;
    }
    value
        .split(|&b| b == b',')
        .filter_map(|t| kstrtol(t, 10, true))
        .filter_map(ChapDigest::from_chap_a)
        .find(|d| hash.chap_supports(*d))
}

fn write_dec_u8(buf: &mut [u8; 3], v: u8) -> &[u8] {
    let digits = [v / 100, (v / 10) % 10, v % 10];
    let skip = if v >= 100 {
        0
    } else if v >= 10 {
        1
    } else {
        2
    };
    for (d, x) in buf.iter_mut().zip(digits) {
        *d = b'0' + x;
    }
    buf.get(skip..).unwrap_or(&[])
}

/// Constant-time equality of two equal-length byte strings.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The target's CHAP state between its challenge and the initiator's response
/// (`struct iscsi_chap` in `CHAP_STAGE_SERVER_AIC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiChap {
    /// CHAP_I sent.
    pub(crate) id: u8,
    /// CHAP_C sent (the first `challenge_len` bytes).
    pub(crate) challenge: [u8; MAX_CHAP_CHALLENGE_LEN],
    /// Length of the challenge (the digest size).
    pub(crate) challenge_len: usize,
    /// The algorithm chosen.
    pub(crate) digest: ChapDigest,
}

impl IscsiChap {
    /// `chap_server_open()`: picks the algorithm from the `CHAP_A` request `in_text` and
    /// writes `CHAP_A=<a>`, `CHAP_I=<id>`, `CHAP_C=0x<hex>` into `out`, the challenge being
    /// the first digest-size bytes of `random`. Returns the state and the text length.
    pub(crate) fn chap_server_open(
        auth: &IscsiNodeAuth<'_>,
        in_text: &[u8],
        hash: &dyn ChapHash,
        id: u8,
        random: &[u8],
        out: &mut [u8],
    ) -> Result<(Self, usize), ChapError> {
        if auth.userid.is_none() || auth.password.is_none() {
            return Err(ChapError::NoCredentials);
        }
        let digest = chap_check_algorithm(in_text, hash).ok_or(ChapError::UnsupportedAlgorithm)?;
        let challenge_len = digest.digest_size();
        let src = random
            .get(..challenge_len)
            .ok_or(ChapError::RandomTooShort)?;
        let mut challenge = [0u8; MAX_CHAP_CHALLENGE_LEN];
        challenge
            .get_mut(..challenge_len)
            .ok_or(ChapError::RandomTooShort)?
            .copy_from_slice(src);

        let mut len = 0usize;
        let mut num = [0u8; 3];
        iscsi_encode_text_record(
            out,
            &mut len,
            b"CHAP_A",
            write_dec_u8(&mut num, digest.chap_a()),
        )?;
        iscsi_encode_text_record(out, &mut len, b"CHAP_I", write_dec_u8(&mut num, id))?;
        let mut hex = [0u8; 2 + 2 * MAX_CHAP_CHALLENGE_LEN];
        // (`split_at_mut_checked` is newer than the kernel's minimum Rust; the array is
        // longer than 2.)
        let (prefix, digits) = hex.split_at_mut(2);
        prefix.copy_from_slice(b"0x");
        let n = chap_bin2hex(digits, src)?;
        iscsi_encode_text_record(out, &mut len, b"CHAP_C", hex.get(..2 + n).unwrap_or(&[]))?;
        Ok((
            Self {
                id,
                challenge,
                challenge_len,
                digest,
            },
            len,
        ))
    }

    /// The challenge sent.
    pub(crate) fn challenge(&self) -> &[u8] {
        self.challenge.get(..self.challenge_len).unwrap_or(&[])
    }

    /// `chap_server_compute_hash()`: checks `CHAP_N` and `CHAP_R` of `in_text`; with
    /// mutual CHAP configured and an initiator challenge present, writes `CHAP_N` and
    /// `CHAP_R` into `out`. Returns the text length (0 for one-way CHAP).
    pub(crate) fn chap_server_compute_hash(
        &self,
        auth: &IscsiNodeAuth<'_>,
        in_text: &[u8],
        hash: &mut dyn ChapHash,
        out: &mut [u8],
    ) -> Result<usize, ChapError> {
        let ds = self.digest.digest_size();
        let userid = auth.userid.ok_or(ChapError::NoCredentials)?;
        let password = auth.password.ok_or(ChapError::NoCredentials)?;

        // CHAP_N.
        let (chap_n, ty) = extract_param(in_text, "CHAP_N", MAX_CHAP_N_SIZE)?
            .ok_or(ChapError::MissingKey("CHAP_N"))?;
        if ty == ChapValueType::Hex {
            return Err(ChapError::InvalidName);
        }
        if chap_n != userid {
            return Err(ChapError::NameMismatch);
        }

        // CHAP_R.
        let (chap_r, ty) = extract_param(in_text, "CHAP_R", MAX_RESPONSE_LENGTH)?
            .ok_or(ChapError::MissingKey("CHAP_R"))?;
        let mut client_digest = [0u8; MAX_CHAP_DIGEST_LEN];
        let client_digest = client_digest.get_mut(..ds).ok_or(ChapError::HashFailed)?;
        match ty {
            ChapValueType::Hex => {
                if chap_r.len() != ds * 2 {
                    return Err(ChapError::MalformedResponse);
                }
                chap_hex2bin(client_digest, chap_r).map_err(|_| ChapError::MalformedResponse)?;
            }
            ChapValueType::Base64 => {
                let mut r_len = chap_r.len();
                while r_len > 0 && chap_r.get(r_len - 1) == Some(&b'=') {
                    r_len -= 1;
                }
                if r_len > (ds * 4).div_ceil(3) {
                    return Err(ChapError::MalformedResponse);
                }
                match chap_base64_decode(client_digest, chap_r) {
                    Ok(n) if n == ds => {}
                    _ => return Err(ChapError::MalformedResponse),
                }
            }
            ChapValueType::Decimal => return Err(ChapError::MalformedResponse),
        }

        let mut server_digest = [0u8; MAX_CHAP_DIGEST_LEN];
        let server_digest = server_digest.get_mut(..ds).ok_or(ChapError::HashFailed)?;
        hash.chap_digest(
            self.digest,
            &[&[self.id], password, self.challenge()],
            server_digest,
        )?;
        if !ct_eq(server_digest, client_digest) {
            return Err(ChapError::ResponseMismatch);
        }

        // One-way authentication succeeded.
        if !auth.authenticate_target {
            return Ok(0);
        }

        // CHAP_I: absent means the initiator wants no mutual authentication.
        let (ident, ty) = match extract_param(in_text, "CHAP_I", MAX_CHAP_I_SIZE)? {
            Some(v) => v,
            None => return Ok(0),
        };
        let id = match ty {
            ChapValueType::Hex => kstrtol(ident, 16, false),
            ChapValueType::Decimal => kstrtol(ident, 10, false),
            ChapValueType::Base64 => None,
        }
        .ok_or(ChapError::InvalidIdentifier)?;
        let id = u8::try_from(id).map_err(|_| ChapError::InvalidIdentifier)?;

        // CHAP_C.
        let (chal, ty) = extract_param(in_text, "CHAP_C", CHAP_CHALLENGE_STR_LEN)?
            .ok_or(ChapError::MissingKey("CHAP_C"))?;
        let mut initiatorchg = [0u8; MAX_CHAP_INITIATOR_CHALLENGE];
        let chal_len = match ty {
            ChapValueType::Hex => {
                let n = chal.len().div_ceil(2);
                if n == 0 {
                    return Err(ChapError::EmptyChallenge);
                }
                if n > MAX_CHAP_INITIATOR_CHALLENGE {
                    return Err(ChapError::ChallengeTooLong);
                }
                // An odd length makes hex2bin() read the terminating NUL: invalid.
                if chal.len() % 2 != 0 {
                    return Err(ChapError::MalformedChallenge);
                }
                chap_hex2bin(initiatorchg.get_mut(..n).unwrap_or(&mut []), chal)?;
                n
            }
            ChapValueType::Base64 => {
                let n = chap_base64_decode(&mut initiatorchg, chal)?;
                if n == 0 {
                    return Err(ChapError::EmptyChallenge);
                }
                if n > MAX_CHAP_INITIATOR_CHALLENGE {
                    return Err(ChapError::ChallengeTooLong);
                }
                n
            }
            ChapValueType::Decimal => return Err(ChapError::MissingKey("CHAP_C")),
        };
        let initiatorchg = initiatorchg.get(..chal_len).unwrap_or(&[]);

        // The initiator must not send our own challenge back.
        if initiatorchg == self.challenge() {
            return Err(ChapError::ReflectedChallenge);
        }

        let mut digest = [0u8; MAX_CHAP_DIGEST_LEN];
        let digest = digest.get_mut(..ds).ok_or(ChapError::HashFailed)?;
        hash.chap_digest(
            self.digest,
            &[&[id], auth.password_mutual, initiatorchg],
            digest,
        )?;

        let mut len = 0usize;
        iscsi_encode_text_record(out, &mut len, b"CHAP_N", auth.userid_mutual)?;
        let mut hex = [0u8; 2 + 2 * MAX_CHAP_DIGEST_LEN];
        // (`split_at_mut_checked` is newer than the kernel's minimum Rust; the array is
        // longer than 2.)
        let (prefix, digits) = hex.split_at_mut(2);
        prefix.copy_from_slice(b"0x");
        let n = chap_bin2hex(digits, digest)?;
        iscsi_encode_text_record(out, &mut len, b"CHAP_R", hex.get(..2 + n).unwrap_or(&[]))?;
        Ok(len)
    }
}

/// What a CHAP step produced (`chap_main_loop()`'s 0 and 1; its 2 is the error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChapResult {
    /// Challenge sent (`len` bytes of text); wait for the response.
    Continue(usize),
    /// Authenticated; `len` bytes of mutual CHAP answer (0 for one-way).
    Success(usize),
}

/// `chap_main_loop()`: the first call (no state) answers `CHAP_A`, the second checks the
/// response. The state is cleared after the second call and after any failure.
pub(crate) fn chap_main_loop(
    chap: &mut Option<IscsiChap>,
    auth: &IscsiNodeAuth<'_>,
    in_text: &[u8],
    out: &mut [u8],
    hash: &mut dyn ChapHash,
    id: u8,
    random: &[u8],
) -> Result<ChapResult, ChapError> {
    match chap.take() {
        None => {
            let (c, len) = IscsiChap::chap_server_open(auth, in_text, hash, id, random, out)?;
            *chap = Some(c);
            Ok(ChapResult::Continue(len))
        }
        Some(c) => {
            let len = c.chap_server_compute_hash(auth, in_text, hash, out)?;
            Ok(ChapResult::Success(if auth.authenticate_target {
                len
            } else {
                0
            }))
        }
    }
}

/// What `iscsi_handle_authentication()` does for the negotiated AuthMethod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IscsiAuthType {
    /// No authentication: done.
    None,
    /// Run CHAP.
    Chap,
    /// SRP, KRB5, SPKM1/2 (or an unnegotiated list): authentication failure.
    Unsupported,
}

/// `iscsi_handle_authentication()`'s test, kept as LIO writes it: the value must be a
/// substring of `"None"`, else of `"CHAP"` (the negotiated value is a single method).
pub(crate) fn iscsi_auth_type(authmethod: &[u8]) -> IscsiAuthType {
    let sub = |hay: &[u8]| {
        authmethod.is_empty() || hay.windows(authmethod.len()).any(|w| w == authmethod)
    };
    if sub(b"None") {
        IscsiAuthType::None
    } else if sub(b"CHAP") {
        IscsiAuthType::Chap
    } else {
        IscsiAuthType::Unsupported
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    // --- Small software hashes for the tests only. ---

    fn md5(data: &[u8]) -> [u8; 16] {
        const S: [u32; 64] = [
            7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20,
            5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
        ];
        let k: Vec<u32> = (0..64)
            .map(|i| {
                // floor(abs(sin(i + 1)) * 2^32), precomputed.
                [
                    0xd76aa478u32,
                    0xe8c7b756,
                    0x242070db,
                    0xc1bdceee,
                    0xf57c0faf,
                    0x4787c62a,
                    0xa8304613,
                    0xfd469501,
                    0x698098d8,
                    0x8b44f7af,
                    0xffff5bb1,
                    0x895cd7be,
                    0x6b901122,
                    0xfd987193,
                    0xa679438e,
                    0x49b40821,
                    0xf61e2562,
                    0xc040b340,
                    0x265e5a51,
                    0xe9b6c7aa,
                    0xd62f105d,
                    0x02441453,
                    0xd8a1e681,
                    0xe7d3fbc8,
                    0x21e1cde6,
                    0xc33707d6,
                    0xf4d50d87,
                    0x455a14ed,
                    0xa9e3e905,
                    0xfcefa3f8,
                    0x676f02d9,
                    0x8d2a4c8a,
                    0xfffa3942,
                    0x8771f681,
                    0x6d9d6122,
                    0xfde5380c,
                    0xa4beea44,
                    0x4bdecfa9,
                    0xf6bb4b60,
                    0xbebfbc70,
                    0x289b7ec6,
                    0xeaa127fa,
                    0xd4ef3085,
                    0x04881d05,
                    0xd9d4d039,
                    0xe6db99e5,
                    0x1fa27cf8,
                    0xc4ac5665,
                    0xf4292244,
                    0x432aff97,
                    0xab9423a7,
                    0xfc93a039,
                    0x655b59c3,
                    0x8f0ccc92,
                    0xffeff47d,
                    0x85845dd1,
                    0x6fa87e4f,
                    0xfe2ce6e0,
                    0xa3014314,
                    0x4e0811a1,
                    0xf7537e82,
                    0xbd3af235,
                    0x2ad7d2bb,
                    0xeb86d391,
                ][i]
            })
            .collect();
        let mut msg = data.to_vec();
        let bitlen = (data.len() as u64).wrapping_mul(8);
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bitlen.to_le_bytes());
        let mut h = [0x67452301u32, 0xefcdab89, 0x98badcfe, 0x10325476];
        for block in msg.chunks(64) {
            let m: Vec<u32> = block
                .chunks(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let [mut a, mut b, mut c, mut d] = h;
            for i in 0..64 {
                let (f, g) = match i / 16 {
                    0 => ((b & c) | (!b & d), i),
                    1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                    2 => (b ^ c ^ d, (3 * i + 5) % 16),
                    _ => (c ^ (b | !d), (7 * i) % 16),
                };
                let tmp = d;
                d = c;
                c = b;
                b = b.wrapping_add(
                    a.wrapping_add(f)
                        .wrapping_add(k[i])
                        .wrapping_add(m[g])
                        .rotate_left(S[i]),
                );
                a = tmp;
            }
            h[0] = h[0].wrapping_add(a);
            h[1] = h[1].wrapping_add(b);
            h[2] = h[2].wrapping_add(c);
            h[3] = h[3].wrapping_add(d);
        }
        let mut out = [0u8; 16];
        for (i, w) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    fn sha_pad(data: &[u8]) -> Vec<u8> {
        let mut msg = data.to_vec();
        let bitlen = (data.len() as u64).wrapping_mul(8);
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bitlen.to_be_bytes());
        msg
    }

    fn sha1(data: &[u8]) -> [u8; 20] {
        let mut h = [
            0x67452301u32,
            0xefcdab89,
            0x98badcfe,
            0x10325476,
            0xc3d2e1f0,
        ];
        for block in sha_pad(data).chunks(64) {
            let mut w = [0u32; 80];
            for i in 0..16 {
                w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
            }
            for i in 16..80 {
                w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
            }
            let [mut a, mut b, mut c, mut d, mut e] = h;
            for (i, wi) in w.iter().enumerate() {
                let (f, k) = match i / 20 {
                    0 => ((b & c) | (!b & d), 0x5a827999),
                    1 => (b ^ c ^ d, 0x6ed9eba1),
                    2 => ((b & c) | (b & d) | (c & d), 0x8f1bbcdc),
                    _ => (b ^ c ^ d, 0xca62c1d6u32),
                };
                let t = a
                    .rotate_left(5)
                    .wrapping_add(f)
                    .wrapping_add(e)
                    .wrapping_add(k)
                    .wrapping_add(*wi);
                e = d;
                d = c;
                c = b.rotate_left(30);
                b = a;
                a = t;
            }
            for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
                *x = x.wrapping_add(y);
            }
        }
        let mut out = [0u8; 20];
        for (i, w) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    fn sha256(data: &[u8]) -> [u8; 32] {
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        let mut h = [
            0x6a09e667u32,
            0xbb67ae85,
            0x3c6ef372,
            0xa54ff53a,
            0x510e527f,
            0x9b05688c,
            0x1f83d9ab,
            0x5be0cd19,
        ];
        for block in sha_pad(data).chunks(64) {
            let mut w = [0u32; 64];
            for i in 0..16 {
                w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let [a, b, c, d, e, f, g, hh] = v;
                let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
                let ch = (e & f) ^ (!e & g);
                let t1 = hh
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
                let maj = (a & b) ^ (a & c) ^ (b & c);
                let t2 = s0.wrapping_add(maj);
                v = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
            }
            for (x, y) in h.iter_mut().zip(v) {
                *x = x.wrapping_add(y);
            }
        }
        let mut out = [0u8; 32];
        for (i, w) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    fn keccak_f(a: &mut [u64; 25]) {
        const RC: [u64; 24] = [
            0x0000000000000001,
            0x0000000000008082,
            0x800000000000808a,
            0x8000000080008000,
            0x000000000000808b,
            0x0000000080000001,
            0x8000000080008081,
            0x8000000000008009,
            0x000000000000008a,
            0x0000000000000088,
            0x0000000080008009,
            0x000000008000000a,
            0x000000008000808b,
            0x800000000000008b,
            0x8000000000008089,
            0x8000000000008003,
            0x8000000000008002,
            0x8000000000000080,
            0x000000000000800a,
            0x800000008000000a,
            0x8000000080008081,
            0x8000000000008080,
            0x0000000080000001,
            0x8000000080008008,
        ];
        const ROT: [u32; 25] = [
            0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61,
            56, 14,
        ];
        for rc in RC {
            let mut c = [0u64; 5];
            for x in 0..5 {
                c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            }
            for x in 0..5 {
                let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
                for y in 0..5 {
                    a[x + 5 * y] ^= d;
                }
            }
            let mut b = [0u64; 25];
            for x in 0..5 {
                for y in 0..5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = a[x + 5 * y].rotate_left(ROT[x + 5 * y]);
                }
            }
            for x in 0..5 {
                for y in 0..5 {
                    a[x + 5 * y] =
                        b[x + 5 * y] ^ (!b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
                }
            }
            a[0] ^= rc;
        }
    }

    fn sha3_256(data: &[u8]) -> [u8; 32] {
        const RATE: usize = 136;
        let mut msg = data.to_vec();
        msg.push(0x06);
        while !msg.len().is_multiple_of(RATE) {
            msg.push(0);
        }
        *msg.last_mut().unwrap() |= 0x80;
        let mut st = [0u64; 25];
        for block in msg.chunks(RATE) {
            for (i, lane) in block.chunks(8).enumerate() {
                st[i] ^= u64::from_le_bytes(lane.try_into().unwrap());
            }
            keccak_f(&mut st);
        }
        let mut out = [0u8; 32];
        for i in 0..4 {
            out[i * 8..i * 8 + 8].copy_from_slice(&st[i].to_le_bytes());
        }
        out
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| std::format!("{x:02x}")).collect()
    }

    /// The test hash provider, optionally without some algorithms.
    struct SoftHash {
        unsupported: Vec<ChapDigest>,
    }

    fn soft() -> SoftHash {
        SoftHash {
            unsupported: Vec::new(),
        }
    }

    fn h(d: ChapDigest, data: &[u8]) -> Vec<u8> {
        match d {
            ChapDigest::Md5 => md5(data).to_vec(),
            ChapDigest::Sha1 => sha1(data).to_vec(),
            ChapDigest::Sha256 => sha256(data).to_vec(),
            ChapDigest::Sha3_256 => sha3_256(data).to_vec(),
        }
    }

    impl ChapHash for SoftHash {
        fn chap_supports(&self, d: ChapDigest) -> bool {
            !self.unsupported.contains(&d)
        }

        fn chap_digest(
            &mut self,
            d: ChapDigest,
            parts: &[&[u8]],
            out: &mut [u8],
        ) -> Result<(), ChapError> {
            let data: Vec<u8> = parts.concat();
            let r = h(d, &data);
            if out.len() != r.len() {
                return Err(ChapError::HashFailed);
            }
            out.copy_from_slice(&r);
            Ok(())
        }
    }

    #[test]
    fn software_hash_vectors() {
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex(&md5(&[b'a'; 200])), "887f30b43b2867f4a9accceee7d16e6c");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 200])),
            "e61cfffe0d9195a525fc6cf06ca2d77119c24a40"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(&[b'a'; 200])),
            "c2a908d98f5df987ade41b5fce213067efbcc21ef2240212a41e54b5e7c28ae5"
        );
        assert_eq!(
            hex(&sha3_256(b"")),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        );
        assert_eq!(
            hex(&sha3_256(b"abc")),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        );
        assert_eq!(
            hex(&sha3_256(&[b'a'; 200])),
            "cce34485baf2bf2aca99b94833892a4f52896d3d153f7b840cc4f9fe695f1387"
        );
    }

    #[test]
    fn chap_response_known_answers() {
        // H(id || secret || challenge), computed independently (Python hashlib).
        let mut s = soft();
        let mut out = [0u8; 32];
        let ch16: Vec<u8> = (0x10..0x20).collect();
        s.chap_digest(
            ChapDigest::Md5,
            &[&[0x2a], b"secretsecret", &ch16],
            &mut out[..16],
        )
        .unwrap();
        assert_eq!(hex(&out[..16]), "5a324025f3b106d5cd72b704016676c9");
        let ch20: Vec<u8> = (0..20).collect();
        s.chap_digest(
            ChapDigest::Sha1,
            &[&[0x2a], b"secretsecret", &ch20],
            &mut out[..20],
        )
        .unwrap();
        assert_eq!(hex(&out[..20]), "a198d882b1f1f011f19c53cfb66f6e1fb2d2c109");
        let ch32: Vec<u8> = (0..32).collect();
        s.chap_digest(
            ChapDigest::Sha256,
            &[&[0x2a], b"secretsecret", &ch32],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            hex(&out),
            "72b292cd5a84ac1963ceec8c06608b0d4b7591541faeeab37fa01ef1a1f3207e"
        );
        s.chap_digest(
            ChapDigest::Sha3_256,
            &[&[0x2a], b"secretsecret", &ch32],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            hex(&out),
            "6e056565897d0aad2d58e30c966e9e72dc4757fb1531a344758187be0698974e"
        );
    }

    #[test]
    fn encodings() {
        let mut buf = [0u8; 64];
        assert_eq!(chap_bin2hex(&mut buf, &[0x00, 0xab, 0x7f]), Ok(6));
        assert_eq!(&buf[..6], b"00ab7f");
        let mut bin = [0u8; 3];
        chap_hex2bin(&mut bin, b"00AB7f").unwrap();
        assert_eq!(bin, [0x00, 0xab, 0x7f]);
        assert_eq!(
            chap_hex2bin(&mut bin, b"00AB7"),
            Err(ChapError::MalformedChallenge)
        );
        assert_eq!(
            chap_hex2bin(&mut bin, b"00AB7g"),
            Err(ChapError::MalformedChallenge)
        );
        // Base64 both ways (RFC 4648 vectors).
        for (raw, b64) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ] {
            let n = chap_base64_encode(&mut buf, raw).unwrap();
            assert_eq!(&buf[..n], b64.as_bytes());
            let mut dec = [0u8; 16];
            let n = chap_base64_decode(&mut dec, b64.as_bytes()).unwrap();
            assert_eq!(&dec[..n], raw);
        }
        // Unpadded input decodes when the leftover bits are zero, fails otherwise.
        let mut dec = [0u8; 16];
        assert_eq!(chap_base64_decode(&mut dec, b"Zm8"), Ok(2));
        assert_eq!(
            chap_base64_decode(&mut dec, b"Zm9"),
            Err(ChapError::MalformedChallenge)
        );
        assert_eq!(
            chap_base64_decode(&mut dec, b"Zm*v"),
            Err(ChapError::MalformedChallenge)
        );
        // Decoding stops at '=' (as LIO's does).
        assert_eq!(chap_base64_decode(&mut dec, b"Zm9v=junk"), Ok(3));
        // Length is reported even past the buffer.
        let mut small = [0u8; 2];
        assert_eq!(chap_base64_decode(&mut small, b"Zm9vYmFy"), Ok(6));
        assert_eq!(
            chap_base64_encode(&mut small, b"foo"),
            Err(ChapError::BufferTooSmall)
        );
        // Prefixes and types.
        let t = b"CHAP_N=user\0CHAP_R=0xAB\0CHAP_C=0bZm8=\0CHAP_I=7\0";
        assert_eq!(
            extract_param(t, "CHAP_R", 128),
            Ok(Some((&b"AB"[..], ChapValueType::Hex)))
        );
        assert_eq!(
            extract_param(t, "CHAP_C", 128),
            Ok(Some((&b"Zm8="[..], ChapValueType::Base64)))
        );
        assert_eq!(
            extract_param(t, "CHAP_I", 10),
            Ok(Some((&b"7"[..], ChapValueType::Decimal)))
        );
        assert_eq!(extract_param(t, "CHAP_X", 10), Ok(None));
        assert_eq!(
            extract_param(t, "CHAP_N", 4),
            Err(ChapError::ValueTooLong("CHAP_N"))
        );
        assert_eq!(kstrtol(b"255", 10, false), Some(255));
        assert_eq!(kstrtol(b"ff", 16, false), Some(255));
        assert_eq!(kstrtol(b"-5", 10, false), None);
        assert_eq!(kstrtol(b"5 ", 10, false), None);
        assert_eq!(kstrtol(b"", 10, false), None);
        let mut n = [0u8; 3];
        assert_eq!(write_dec_u8(&mut n, 0), b"0");
        assert_eq!(write_dec_u8(&mut n, 42), b"42");
        assert_eq!(write_dec_u8(&mut n, 255), b"255");
    }

    fn text(entries: &[&str]) -> Vec<u8> {
        let mut v = Vec::new();
        for e in entries {
            v.extend_from_slice(e.as_bytes());
            v.push(0);
        }
        v
    }

    fn entries(t: &[u8]) -> Vec<String> {
        t.split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| String::from_utf8(e.to_vec()).unwrap())
            .collect()
    }

    fn auth<'a>(mutual: bool) -> IscsiNodeAuth<'a> {
        IscsiNodeAuth {
            userid: Some(b"iqn.1993-08.org.debian:01:host"),
            password: Some(b"secretsecret"),
            userid_mutual: b"target-user",
            password_mutual: b"mutualsecret",
            authenticate_target: mutual,
        }
    }

    const RANDOM: [u8; 32] = [
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0x10, 0x12,
    ];

    /// Runs the target's first step and returns (state, A, I, C).
    fn open(a: &str, hash: &SoftHash) -> (IscsiChap, String, String, String) {
        let mut out = [0u8; 256];
        let (chap, len) =
            IscsiChap::chap_server_open(&auth(false), &text(&[a]), hash, 7, &RANDOM, &mut out)
                .unwrap();
        let e = entries(&out[..len]);
        assert_eq!(e.len(), 3);
        (chap, e[0].clone(), e[1].clone(), e[2].clone())
    }

    #[test]
    fn algorithm_choice_follows_the_initiators_order() {
        let s = soft();
        let (c, a, i, ch) = open("CHAP_A=5", &s);
        assert_eq!((a.as_str(), i.as_str()), ("CHAP_A=5", "CHAP_I=7"));
        assert_eq!(ch, std::format!("CHAP_C=0x{}", hex(&RANDOM[..16])));
        assert_eq!(c.challenge(), &RANDOM[..16]);
        assert_eq!(c.digest, ChapDigest::Md5);
        // The initiator's first supported choice wins; unknown and junk values skipped.
        assert_eq!(open("CHAP_A=7,5", &s).1, "CHAP_A=7");
        assert_eq!(open("CHAP_A=x,1,8,5", &s).1, "CHAP_A=8");
        let (c, a, _, ch) = open("CHAP_A=6", &s);
        assert_eq!(a, "CHAP_A=6");
        assert_eq!(c.challenge_len, 20);
        assert_eq!(ch.len(), "CHAP_C=0x".len() + 40);
        // Without SHA-256 in the kernel, 7 is skipped.
        let no256 = SoftHash {
            unsupported: std::vec![ChapDigest::Sha256],
        };
        assert_eq!(open("CHAP_A=7,6,5", &no256).1, "CHAP_A=6");
        // Nothing usable, or CHAP_A not the first key.
        let mut out = [0u8; 256];
        for t in [
            text(&["CHAP_A=1,2,3"]),
            text(&["CHAP_A=7"]),
            text(&["AuthMethod=CHAP", "CHAP_A=5"]),
            text(&["CHAP_A"]),
            Vec::new(),
        ] {
            let only_md5 = SoftHash {
                unsupported: std::vec![ChapDigest::Sha1, ChapDigest::Sha256, ChapDigest::Sha3_256],
            };
            assert_eq!(
                IscsiChap::chap_server_open(&auth(false), &t, &only_md5, 1, &RANDOM, &mut out),
                Err(ChapError::UnsupportedAlgorithm)
            );
        }
        // No credentials configured; too little randomness; too small a buffer.
        let none = IscsiNodeAuth::default();
        assert_eq!(
            IscsiChap::chap_server_open(&none, &text(&["CHAP_A=5"]), &s, 1, &RANDOM, &mut out),
            Err(ChapError::NoCredentials)
        );
        assert_eq!(
            IscsiChap::chap_server_open(
                &auth(false),
                &text(&["CHAP_A=7"]),
                &s,
                1,
                &RANDOM[..16],
                &mut out
            ),
            Err(ChapError::RandomTooShort)
        );
        assert_eq!(
            IscsiChap::chap_server_open(
                &auth(false),
                &text(&["CHAP_A=5"]),
                &s,
                1,
                &RANDOM,
                &mut out[..20]
            ),
            Err(ChapError::BufferTooSmall)
        );
    }

    /// The initiator's CHAP_R for the target state `c` and `secret`.
    fn response(c: &IscsiChap, secret: &[u8]) -> Vec<u8> {
        let mut data = std::vec![c.id];
        data.extend_from_slice(secret);
        data.extend_from_slice(c.challenge());
        h(c.digest, &data)
    }

    #[test]
    fn one_way_chap_every_digest() {
        let mut s = soft();
        for a in ["CHAP_A=5", "CHAP_A=6", "CHAP_A=7", "CHAP_A=8"] {
            let (c, ..) = open(a, &s);
            let r = response(&c, b"secretsecret");
            let t = text(&[
                "CHAP_N=iqn.1993-08.org.debian:01:host",
                &std::format!("CHAP_R=0x{}", hex(&r)),
            ]);
            let mut out = [0u8; 256];
            assert_eq!(
                c.chap_server_compute_hash(&auth(false), &t, &mut s, &mut out),
                Ok(0)
            );
            // Upper-case hex and base64 responses too.
            let t = text(&[
                "CHAP_N=iqn.1993-08.org.debian:01:host",
                &std::format!("CHAP_R=0X{}", hex(&r).to_uppercase()),
            ]);
            assert_eq!(
                c.chap_server_compute_hash(&auth(false), &t, &mut s, &mut out),
                Ok(0)
            );
            let mut b64 = [0u8; 64];
            let n = chap_base64_encode(&mut b64, &r).unwrap();
            let t = text(&[
                "CHAP_N=iqn.1993-08.org.debian:01:host",
                &std::format!("CHAP_R=0b{}", core::str::from_utf8(&b64[..n]).unwrap()),
            ]);
            assert_eq!(
                c.chap_server_compute_hash(&auth(false), &t, &mut s, &mut out),
                Ok(0)
            );
        }
    }

    #[test]
    fn chap_failures() {
        let mut s = soft();
        let (c, ..) = open("CHAP_A=5", &s);
        let good = hex(&response(&c, b"secretsecret"));
        let name = "CHAP_N=iqn.1993-08.org.debian:01:host";
        let mut out = [0u8; 256];
        let mut run = |entries: &[&str]| {
            c.chap_server_compute_hash(&auth(false), &text(entries), &mut s, &mut out)
        };
        // Wrong secret.
        let bad = hex(&response(&c, b"wrongsecret!"));
        assert_eq!(
            run(&[name, &std::format!("CHAP_R=0x{bad}")]),
            Err(ChapError::ResponseMismatch)
        );
        // Wrong name; a hex name; a name only by prefix.
        assert_eq!(
            run(&["CHAP_N=someone-else", &std::format!("CHAP_R=0x{good}")]),
            Err(ChapError::NameMismatch)
        );
        assert_eq!(
            run(&[
                "CHAP_N=iqn.1993-08.org.debian:01:hos",
                &std::format!("CHAP_R=0x{good}")
            ]),
            Err(ChapError::NameMismatch)
        );
        assert_eq!(
            run(&["CHAP_N=0x1234", &std::format!("CHAP_R=0x{good}")]),
            Err(ChapError::InvalidName)
        );
        // Missing keys.
        assert_eq!(
            run(&[&std::format!("CHAP_R=0x{good}")]),
            Err(ChapError::MissingKey("CHAP_N"))
        );
        assert_eq!(run(&[name]), Err(ChapError::MissingKey("CHAP_R")));
        // Malformed responses: short, long, bad hex, decimal, bad base64, too long.
        for r in [
            std::format!("0x{}", &good[..30]),
            std::format!("0x{good}00"),
            std::format!("0x{}zz", &good[..30]),
            String::from("12345"),
            String::from("0b!!!!"),
            std::format!("0b{}", "A".repeat(40)),
        ] {
            assert_eq!(
                run(&[name, &std::format!("CHAP_R={r}")]),
                Err(ChapError::MalformedResponse),
                "{r}"
            );
        }
        // Too long a response value.
        assert_eq!(
            run(&[name, &std::format!("CHAP_R=0x{}", "0".repeat(130))]),
            Err(ChapError::ValueTooLong("CHAP_R"))
        );
        // Too long a name.
        assert_eq!(
            run(&[&std::format!("CHAP_N={}", "n".repeat(512)), "CHAP_R=0x00"]),
            Err(ChapError::ValueTooLong("CHAP_N"))
        );
    }

    #[test]
    fn mutual_chap() {
        let mut s = soft();
        let (c, ..) = open("CHAP_A=5", &s);
        let r = hex(&response(&c, b"secretsecret"));
        let ichal: Vec<u8> = (0x40..0x50).collect();
        let t = text(&[
            "CHAP_N=iqn.1993-08.org.debian:01:host",
            &std::format!("CHAP_R=0x{r}"),
            "CHAP_I=9",
            &std::format!("CHAP_C=0x{}", hex(&ichal)),
        ]);
        let mut out = [0u8; 256];
        let len = c
            .chap_server_compute_hash(&auth(true), &t, &mut s, &mut out)
            .unwrap();
        let mut data = std::vec![9u8];
        data.extend_from_slice(b"mutualsecret");
        data.extend_from_slice(&ichal);
        assert_eq!(
            entries(&out[..len]),
            [
                String::from("CHAP_N=target-user"),
                std::format!("CHAP_R=0x{}", hex(&md5(&data)))
            ]
        );
        // The same with CHAP_I in hex and CHAP_C in base64.
        let mut b64 = [0u8; 64];
        let n = chap_base64_encode(&mut b64, &ichal).unwrap();
        let t2 = text(&[
            "CHAP_N=iqn.1993-08.org.debian:01:host",
            &std::format!("CHAP_R=0x{r}"),
            "CHAP_I=0x09",
            &std::format!("CHAP_C=0b{}", core::str::from_utf8(&b64[..n]).unwrap()),
        ]);
        let mut out2 = [0u8; 256];
        let len2 = c
            .chap_server_compute_hash(&auth(true), &t2, &mut s, &mut out2)
            .unwrap();
        assert_eq!(&out2[..len2], &out[..len]);
        // Mutual configured, but the initiator asks for none: one-way success.
        let one_way = text(&[
            "CHAP_N=iqn.1993-08.org.debian:01:host",
            &std::format!("CHAP_R=0x{r}"),
        ]);
        assert_eq!(
            c.chap_server_compute_hash(&auth(true), &one_way, &mut s, &mut out),
            Ok(0)
        );

        let mut run = |extra: &[&str]| {
            let mut e = std::vec![
                String::from("CHAP_N=iqn.1993-08.org.debian:01:host"),
                std::format!("CHAP_R=0x{r}"),
            ];
            e.extend(extra.iter().map(|x| String::from(*x)));
            let refs: Vec<&str> = e.iter().map(|x| x.as_str()).collect();
            c.chap_server_compute_hash(&auth(true), &text(&refs), &mut s, &mut out)
        };
        // Our own challenge reflected back.
        let own = std::format!("CHAP_C=0x{}", hex(c.challenge()));
        assert_eq!(run(&["CHAP_I=9", &own]), Err(ChapError::ReflectedChallenge));
        // Identifier out of range or malformed.
        let ok_c = std::format!("CHAP_C=0x{}", hex(&ichal));
        assert_eq!(
            run(&["CHAP_I=256", &ok_c]),
            Err(ChapError::InvalidIdentifier)
        );
        assert_eq!(
            run(&["CHAP_I=0b AA", &ok_c]),
            Err(ChapError::InvalidIdentifier)
        );
        assert_eq!(
            run(&["CHAP_I=abc", &ok_c]),
            Err(ChapError::InvalidIdentifier)
        );
        assert_eq!(
            run(&["CHAP_I=12345678901", &ok_c]),
            Err(ChapError::ValueTooLong("CHAP_I"))
        );
        // Challenge missing, empty, odd, bad, too long.
        assert_eq!(run(&["CHAP_I=9"]), Err(ChapError::MissingKey("CHAP_C")));
        assert_eq!(
            run(&["CHAP_I=9", "CHAP_C=0x"]),
            Err(ChapError::EmptyChallenge)
        );
        assert_eq!(
            run(&["CHAP_I=9", "CHAP_C=0b"]),
            Err(ChapError::EmptyChallenge)
        );
        assert_eq!(
            run(&["CHAP_I=9", "CHAP_C=0xabc"]),
            Err(ChapError::MalformedChallenge)
        );
        assert_eq!(
            run(&["CHAP_I=9", "CHAP_C=0xzz"]),
            Err(ChapError::MalformedChallenge)
        );
        assert_eq!(
            run(&["CHAP_I=9", "CHAP_C=0b*"]),
            Err(ChapError::MalformedChallenge)
        );
        let long_hex = std::format!("CHAP_C=0x{}", "ab".repeat(1025));
        assert_eq!(
            run(&["CHAP_I=9", &long_hex]),
            Err(ChapError::ChallengeTooLong)
        );
        let max_hex = std::format!("CHAP_C=0x{}", "ab".repeat(1024));
        assert!(run(&["CHAP_I=9", &max_hex]).is_ok());
        let long_b64 = std::format!("CHAP_C=0b{}", "A".repeat(1368));
        assert_eq!(
            run(&["CHAP_I=9", &long_b64]),
            Err(ChapError::ChallengeTooLong)
        );
        let too_long_str = std::format!("CHAP_C=0x{}", "a".repeat(4096));
        assert_eq!(
            run(&["CHAP_I=9", &too_long_str]),
            Err(ChapError::ValueTooLong("CHAP_C"))
        );
    }

    #[test]
    fn main_loop_state_machine() {
        let mut s = soft();
        let mut chap = None;
        let mut out = [0u8; 256];
        let a = auth(true);
        let r = chap_main_loop(
            &mut chap,
            &a,
            &text(&["CHAP_A=7"]),
            &mut out,
            &mut s,
            3,
            &RANDOM,
        );
        assert!(matches!(r, Ok(ChapResult::Continue(_))));
        let c = chap.unwrap();
        assert_eq!(c.id, 3);
        let resp = hex(&response(&c, b"secretsecret"));
        let t = text(&[
            "CHAP_N=iqn.1993-08.org.debian:01:host",
            &std::format!("CHAP_R=0x{resp}"),
            "CHAP_I=1",
            "CHAP_C=0x0102030405060708",
        ]);
        let r = chap_main_loop(&mut chap, &a, &t, &mut out, &mut s, 4, &RANDOM).unwrap();
        let ChapResult::Success(len) = r else {
            panic!("{r:?}")
        };
        let e = entries(&out[..len]);
        assert_eq!(e[0], "CHAP_N=target-user");
        assert_eq!(e[1].len(), "CHAP_R=0x".len() + 64);
        assert!(chap.is_none());
        // A failure clears the state; the next call starts over.
        let r = chap_main_loop(
            &mut chap,
            &a,
            &text(&["CHAP_A=5"]),
            &mut out,
            &mut s,
            5,
            &RANDOM,
        );
        assert!(matches!(r, Ok(ChapResult::Continue(_))));
        let r = chap_main_loop(
            &mut chap,
            &a,
            &text(&["CHAP_N=x", "CHAP_R=0x00"]),
            &mut out,
            &mut s,
            6,
            &RANDOM,
        );
        assert_eq!(r, Err(ChapError::NameMismatch));
        assert!(chap.is_none());
        // One-way: no output even if the text had a challenge.
        let a1 = auth(false);
        chap_main_loop(
            &mut chap,
            &a1,
            &text(&["CHAP_A=5"]),
            &mut out,
            &mut s,
            7,
            &RANDOM,
        )
        .unwrap();
        let c = chap.unwrap();
        let t = text(&[
            "CHAP_N=iqn.1993-08.org.debian:01:host",
            &std::format!("CHAP_R=0x{}", hex(&response(&c, b"secretsecret"))),
            "CHAP_I=1",
            "CHAP_C=0x0102",
        ]);
        assert_eq!(
            chap_main_loop(&mut chap, &a1, &t, &mut out, &mut s, 8, &RANDOM),
            Ok(ChapResult::Success(0))
        );
    }

    #[test]
    fn auth_type_dispatch() {
        assert_eq!(iscsi_auth_type(b"None"), IscsiAuthType::None);
        assert_eq!(iscsi_auth_type(b"CHAP"), IscsiAuthType::Chap);
        assert_eq!(iscsi_auth_type(b"SRP"), IscsiAuthType::Unsupported);
        assert_eq!(iscsi_auth_type(b"CHAP,None"), IscsiAuthType::Unsupported);
        assert_eq!(ChapDigest::Sha3_256.name(), "sha3-256");
        assert_eq!(ChapDigest::from_chap_a(8), Some(ChapDigest::Sha3_256));
        assert_eq!(ChapDigest::from_chap_a(CHAP_DIGEST_UNKNOWN.into()), None);
        assert_eq!(ChapDigest::Sha1.chap_a(), 6);
    }
}
