// SPDX-License-Identifier: GPL-2.0

//! CRC32C (Castagnoli) as the iSCSI HeaderDigest and DataDigest use it (RFC 7143 §13.1,
//! test vectors from RFC 3720 appendix B.4), slicing-by-8 over compile-time tables.
//!
//! LIO computes digests with the kernel's `crc32c` shash (`iscsit_do_crypto_hash_buf()`),
//! whose output is the final CRC stored little-endian; the four digest bytes on the wire
//! are therefore `crc.to_le_bytes()` (e.g. 32 zero bytes give the value `0x8a9136aa`, sent
//! as `aa 36 91 8a`). The DataDigest covers the data segment and its zero padding.

/// Length of a header or data digest on the wire (`ISCSI_CRC_LEN`).
pub(crate) const ISCSI_CRC_LEN: usize = 4;

/// The Castagnoli polynomial 0x1EDC6F41, bit-reversed (LSB-first form).
pub(crate) const CRC32C_POLY_REVERSED: u32 = 0x82f6_3b78;

/// The initial CRC register value (and the final XOR).
const CRC32C_INIT: u32 = 0xffff_ffff;

/// The raw CRC register after feeding byte `b` and then `k` zero bytes into a zero
/// register: `8 * (k + 1)` shift steps of `b`.
const fn crc32c_entry(k: u32, b: u32) -> u32 {
    let mut crc = b;
    let mut bit = 0;
    while bit < 8 * (k + 1) {
        crc = if crc & 1 != 0 {
            (crc >> 1) ^ CRC32C_POLY_REVERSED
        } else {
            crc >> 1
        };
        bit += 1;
    }
    crc
}

/// One slicing-by-8 table as 16 rows of 16, built without indexing.
macro_rules! crc32c_table {
    ($k:expr) => {
        crc32c_table!(@hi $k; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    };
    (@hi $k:expr; $($h:literal)*) => {
        [$(crc32c_table!(@lo $k; $h; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)),*]
    };
    (@lo $k:expr; $h:literal; $($l:literal)*) => {
        [$(crc32c_entry($k, $h * 16 + $l)),*]
    };
}

/// `CRC32C_TABLES[k][b >> 4][b & 15]`: the CRC of byte `b` followed by `k` zero bytes.
static CRC32C_TABLES: [[[u32; 16]; 16]; 8] = [
    crc32c_table!(0),
    crc32c_table!(1),
    crc32c_table!(2),
    crc32c_table!(3),
    crc32c_table!(4),
    crc32c_table!(5),
    crc32c_table!(6),
    crc32c_table!(7),
];

/// One table entry; the low byte of `b` selects it (never out of range).
#[inline(always)]
fn tab(k: usize, b: u32) -> u32 {
    CRC32C_TABLES
        .get(k)
        .and_then(|t| t.get(((b >> 4) & 0xf) as usize))
        .and_then(|row| row.get((b & 0xf) as usize))
        .copied()
        .unwrap_or(0)
}

/// Advances the raw CRC register over `data` (no initial or final inversion).
pub(crate) fn crc32c_update(crc: u32, data: &[u8]) -> u32 {
    let mut crc = crc;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        if let &[b0, b1, b2, b3, b4, b5, b6, b7] = chunk {
            let lo = u32::from_le_bytes([b0, b1, b2, b3]) ^ crc;
            let hi = u32::from_le_bytes([b4, b5, b6, b7]);
            crc = tab(7, lo)
                ^ tab(6, lo >> 8)
                ^ tab(5, lo >> 16)
                ^ tab(4, lo >> 24)
                ^ tab(3, hi)
                ^ tab(2, hi >> 8)
                ^ tab(1, hi >> 16)
                ^ tab(0, hi >> 24);
        }
    }
    for &b in chunks.remainder() {
        crc = tab(0, crc ^ u32::from(b)) ^ (crc >> 8);
    }
    crc
}

/// The CRC32C of `data` (initial value and final XOR `0xffffffff`).
pub(crate) fn crc32c(data: &[u8]) -> u32 {
    crc32c_update(CRC32C_INIT, data) ^ CRC32C_INIT
}

/// An incremental CRC32C, for digests over several buffers (header + AHS, data + pad).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Crc32c {
    crc: u32,
}

impl Default for Crc32c {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32c {
    /// A fresh digest.
    pub(crate) const fn new() -> Self {
        Self { crc: CRC32C_INIT }
    }

    /// Feeds `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.crc = crc32c_update(self.crc, data);
    }

    /// The CRC value so far.
    pub(crate) fn finish(&self) -> u32 {
        self.crc ^ CRC32C_INIT
    }
}

/// The number of zero bytes that pad `len` to a multiple of four (`(-len) & 3`).
pub(crate) const fn iscsi_pad_len(len: usize) -> usize {
    len.wrapping_neg() & 3
}

/// The HeaderDigest of a BHS plus its AHS (`hdr` is both, contiguous).
pub(crate) fn iscsi_header_digest(hdr: &[u8]) -> u32 {
    crc32c(hdr)
}

/// The DataDigest of a data segment: the CRC over `data` and its zero padding.
pub(crate) fn iscsi_data_digest(data: &[u8]) -> u32 {
    let mut c = Crc32c::new();
    c.update(data);
    let zeros = [0u8; 3];
    if let Some(pad) = zeros.get(..iscsi_pad_len(data.len())) {
        c.update(pad);
    }
    c.finish()
}

/// The four digest bytes as sent on the wire.
pub(crate) fn iscsi_digest_to_wire(digest: u32) -> [u8; ISCSI_CRC_LEN] {
    digest.to_le_bytes()
}

/// The digest value carried by four wire bytes.
pub(crate) fn iscsi_digest_from_wire(wire: [u8; ISCSI_CRC_LEN]) -> u32 {
    u32::from_le_bytes(wire)
}

/// Whether the four bytes at the start of `wire` are the digest `computed`; `false` when
/// fewer than four bytes are given.
pub(crate) fn iscsi_digest_matches(computed: u32, wire: &[u8]) -> bool {
    match wire.get(..ISCSI_CRC_LEN) {
        Some(&[a, b, c, d]) => iscsi_digest_from_wire([a, b, c, d]) == computed,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bitwise reference implementation.
    fn crc32c_bitwise(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ CRC32C_POLY_REVERSED
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn rfc3720_b4_vectors() {
        // RFC 3720 B.4: 32 bytes of zeros.
        let zeros = [0u8; 32];
        assert_eq!(crc32c(&zeros), 0x8a91_36aa);
        assert_eq!(
            iscsi_digest_to_wire(crc32c(&zeros)),
            [0xaa, 0x36, 0x91, 0x8a]
        );
        // 32 bytes of ones.
        let ones = [0xffu8; 32];
        assert_eq!(crc32c(&ones), 0x62a8_ab43);
        assert_eq!(
            iscsi_digest_to_wire(crc32c(&ones)),
            [0x43, 0xab, 0xa8, 0x62]
        );
        // 32 incrementing bytes 00..1f.
        let inc: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(crc32c(&inc), 0x46dd_794e);
        assert_eq!(iscsi_digest_to_wire(crc32c(&inc)), [0x4e, 0x79, 0xdd, 0x46]);
        // 32 decrementing bytes 1f..00.
        let dec: [u8; 32] = core::array::from_fn(|i| 31 - i as u8);
        assert_eq!(crc32c(&dec), 0x113f_db5c);
        assert_eq!(iscsi_digest_to_wire(crc32c(&dec)), [0x5c, 0xdb, 0x3f, 0x11]);
    }

    #[test]
    fn rfc3720_b4_scsi_read10_pdu() {
        // RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU; CRC bytes 56 3a 96 d9.
        let pdu: [u8; 48] = [
            0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14,
            0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let d = iscsi_header_digest(&pdu);
        assert_eq!(iscsi_digest_to_wire(d), [0x56, 0x3a, 0x96, 0xd9]);
        assert!(iscsi_digest_matches(d, &[0x56, 0x3a, 0x96, 0xd9]));
        assert!(!iscsi_digest_matches(d, &[0xd9, 0x96, 0x3a, 0x56]));
        assert!(!iscsi_digest_matches(d, &[0x56, 0x3a]));
    }

    #[test]
    fn check_value_and_slicing_matches_bitwise() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c(b""), 0);
        let data: std::vec::Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                crc32c(&data[..len]),
                crc32c_bitwise(&data[..len]),
                "len {len}"
            );
        }
        // Split updates equal one update, at every split point and alignment.
        for split in 0..64 {
            let mut c = Crc32c::new();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.finish(), crc32c(&data));
        }
    }

    #[test]
    fn data_digest_covers_padding() {
        assert_eq!(iscsi_pad_len(0), 0);
        assert_eq!(iscsi_pad_len(1), 3);
        assert_eq!(iscsi_pad_len(2), 2);
        assert_eq!(iscsi_pad_len(3), 1);
        assert_eq!(iscsi_pad_len(4), 0);
        assert_eq!(iscsi_data_digest(b"abc"), crc32c(b"abc\0"));
        assert_eq!(iscsi_data_digest(b"abcd"), crc32c(b"abcd"));
        assert_eq!(iscsi_data_digest(b"a"), crc32c(b"a\0\0\0"));
        assert_eq!(iscsi_data_digest(&[]), 0);
        assert_eq!(
            iscsi_digest_from_wire(iscsi_digest_to_wire(0x1234_5678)),
            0x1234_5678
        );
    }
}
