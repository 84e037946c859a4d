// SPDX-License-Identifier: GPL-2.0

//! The pure sequencing logic of iSCSI's full feature phase (RFC 7143 §4.2, LIO's
//! `iscsi_target_seq_pdu_list.c`, `iscsi_target_datain_values.c`,
//! `iscsi_target_erl0.c` at ERL 0, with DataPDUInOrder and DataSequenceInOrder):
//!
//! - [`scsilun_to_int`]: the 8-byte LUN field as the unpacked LUN the core looks up;
//! - [`DataInSeq`]: how a read's data-in is cut into Data-In PDUs (MaxRecvDataSegmentLength
//!   of the initiator) and sequences (MaxBurstLength), with DataSN and the F bit;
//! - [`WriteXfer`]: the data-out of a write: immediate data, unsolicited Data-Out up to
//!   FirstBurstLength, then R2Ts of at most MaxBurstLength, at most MaxOutstandingR2T at a
//!   time, each answered by solicited Data-Out;
//! - [`write_sockaddr`]: `%pISpc` of a portal address for `TargetAddress`.
//!
//! Pure `core` code: the host tests compile this very file.

use core::fmt::{self, Write};

/// The reserved Target Transfer Tag.
pub(crate) const RESERVED_TTT: u32 = 0xffff_ffff;

/// `scsilun_to_int()`: the LUN field, two bytes per level, first level lowest.
pub(crate) fn scsilun_to_int(lun: &[u8; 8]) -> u64 {
    let mut v: u64 = 0;
    for i in (0..8).step_by(2) {
        let hi = u64::from(lun.get(i).copied().unwrap_or(0));
        let lo = u64::from(lun.get(i + 1).copied().unwrap_or(0));
        v |= (hi << ((i + 1) * 8)) | (lo << (i * 8));
    }
    v
}

/// `int_to_scsilun()`: the inverse, for responses that carry a LUN.
pub(crate) fn int_to_scsilun(lun: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    for i in (0..8).step_by(2) {
        if let Some(b) = out.get_mut(i) {
            *b = (lun >> ((i + 1) * 8)) as u8;
        }
        if let Some(b) = out.get_mut(i + 1) {
            *b = (lun >> (i * 8)) as u8;
        }
    }
    out
}

/// One Data-In PDU of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DataInPdu {
    /// DataSN.
    pub(crate) datasn: u32,
    /// Buffer Offset.
    pub(crate) offset: u32,
    /// DataSegmentLength.
    pub(crate) len: u32,
    /// The F bit: the last PDU of a sequence (MaxBurstLength) or of the command.
    pub(crate) fin: bool,
    /// The last PDU of the command (where the S bit may go).
    pub(crate) last: bool,
}

/// The Data-In PDUs of `total` bytes of data-in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DataInSeq {
    total: u32,
    mrdsl: u32,
    max_burst: u32,
    offset: u32,
    burst_done: u32,
    datasn: u32,
}

impl DataInSeq {
    /// `total` bytes, PDUs of at most `mrdsl` bytes (the initiator's
    /// MaxRecvDataSegmentLength), sequences of at most `max_burst` bytes. Zero limits are
    /// taken as 512 (never loops forever).
    pub(crate) fn new(total: u32, mrdsl: u32, max_burst: u32) -> Self {
        Self {
            total,
            mrdsl: mrdsl.max(512),
            max_burst: max_burst.max(512),
            offset: 0,
            burst_done: 0,
            datasn: 0,
        }
    }

    /// DataSN of the next PDU: after the last one, the number of PDUs sent.
    pub(crate) fn datasn(&self) -> u32 {
        self.datasn
    }
}

impl Iterator for DataInSeq {
    type Item = DataInPdu;

    fn next(&mut self) -> Option<DataInPdu> {
        if self.offset >= self.total {
            return None;
        }
        let left = self.total - self.offset;
        let burst_left = self.max_burst - self.burst_done;
        let len = left.min(self.mrdsl).min(burst_left);
        let last = len == left;
        let end_of_burst = len == burst_left;
        let pdu = DataInPdu {
            datasn: self.datasn,
            offset: self.offset,
            len,
            fin: last || end_of_burst,
            last,
        };
        self.offset += len;
        self.datasn = self.datasn.wrapping_add(1);
        self.burst_done = if end_of_burst {
            0
        } else {
            self.burst_done + len
        };
        Some(pdu)
    }
}

/// The negotiated values a write's data transfer follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct XferParams {
    /// InitialR2T.
    pub(crate) initial_r2t: bool,
    /// FirstBurstLength.
    pub(crate) first_burst_length: u32,
    /// MaxBurstLength.
    pub(crate) max_burst_length: u32,
    /// MaxOutstandingR2T.
    pub(crate) max_outstanding_r2t: u32,
}

/// An R2T to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct R2t {
    /// R2TSN.
    pub(crate) r2tsn: u32,
    /// Target Transfer Tag.
    pub(crate) ttt: u32,
    /// Buffer Offset.
    pub(crate) offset: u32,
    /// Desired Data Transfer Length.
    pub(crate) len: u32,
}

/// Why a Data-Out does not fit the command's transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XferError {
    /// Data beyond the Expected Data Transfer Length.
    BeyondEdtl,
    /// Unsolicited data when none may come (InitialR2T=Yes, or after the F bit), or
    /// beyond FirstBurstLength.
    UnexpectedUnsolicited,
    /// A TTT that is no outstanding R2T of the command.
    UnknownTtt,
    /// Data outside the R2T's range.
    OutsideR2t,
}

/// One outstanding R2T: its tag, range and the bytes received for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OutstandingR2t {
    ttt: u32,
    offset: u32,
    len: u32,
    got: u32,
    /// DataSN the next Data-Out of this R2T's sequence carries.
    datasn: u32,
}

/// Most outstanding R2Ts tracked per command (MaxOutstandingR2T is capped to it).
pub(crate) const MAX_OUTSTANDING_R2T: usize = 16;

/// The data-out state of one write command.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteXfer {
    edtl: u32,
    params: XferParams,
    /// Bytes received in all (immediate, unsolicited and solicited).
    received: u32,
    /// End of the unsolicited range (immediate + unsolicited Data-Out).
    unsol_end: u32,
    /// Unsolicited data received beyond the immediate data.
    unsol_got: u32,
    /// The unsolicited phase is over (F bit seen, or none expected).
    unsol_done: bool,
    /// DataSN the next unsolicited Data-Out carries.
    unsol_datasn: u32,
    /// Where the next R2T starts.
    next_offset: u32,
    r2tsn: u32,
    outstanding: [Option<OutstandingR2t>; MAX_OUTSTANDING_R2T],
}

/// What a Data-Out did to its command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataOutResult {
    /// More data is expected (maybe after new R2Ts: call [`WriteXfer::next_r2t`]).
    More,
    /// Every byte of the Expected Data Transfer Length arrived: execute the command.
    Complete,
}

impl WriteXfer {
    /// A write of `edtl` bytes whose SCSI Command carried `immediate` bytes and the F bit
    /// `fin`.
    pub(crate) fn new(edtl: u32, immediate: u32, fin: bool, params: XferParams) -> Self {
        let unsol_limit = if params.initial_r2t {
            immediate
        } else {
            params.first_burst_length.min(edtl).max(immediate)
        };
        let unsol_end = if fin { immediate } else { unsol_limit };
        Self {
            edtl,
            params,
            received: immediate.min(edtl),
            unsol_end,
            unsol_got: 0,
            unsol_done: fin || unsol_end <= immediate,
            unsol_datasn: 0,
            next_offset: unsol_end,
            r2tsn: 0,
            outstanding: [None; MAX_OUTSTANDING_R2T],
        }
    }

    /// All the data arrived.
    pub(crate) fn is_complete(&self) -> bool {
        self.received >= self.edtl
            && self.unsol_done
            && self.next_offset >= self.edtl
            && self.outstanding.iter().all(|o| o.is_none())
    }

    /// R2TSN of the next R2T: after the last one, the number of R2Ts sent.
    pub(crate) fn r2tsn(&self) -> u32 {
        self.r2tsn
    }

    fn max_outstanding(&self) -> usize {
        (self.params.max_outstanding_r2t as usize).clamp(1, MAX_OUTSTANDING_R2T)
    }

    /// The next R2T to send, if the unsolicited phase is over, data is still to be asked
    /// for and fewer than MaxOutstandingR2T are outstanding; `ttt` is its tag.
    pub(crate) fn next_r2t(&mut self, ttt: u32) -> Option<R2t> {
        if !self.unsol_done || self.next_offset >= self.edtl {
            return None;
        }
        let busy = self.outstanding.iter().filter(|o| o.is_some()).count();
        if busy >= self.max_outstanding() {
            return None;
        }
        let slot = self.outstanding.iter_mut().find(|o| o.is_none())?;
        let len = (self.edtl - self.next_offset).min(self.params.max_burst_length.max(512));
        let r2t = R2t {
            r2tsn: self.r2tsn,
            ttt,
            offset: self.next_offset,
            len,
        };
        *slot = Some(OutstandingR2t {
            ttt,
            offset: self.next_offset,
            len,
            got: 0,
            datasn: 0,
        });
        self.next_offset += len;
        self.r2tsn = self.r2tsn.wrapping_add(1);
        Some(r2t)
    }

    /// The DataSN the next Data-Out with `ttt` must carry (each sequence, the
    /// unsolicited one and each R2T's, counts from 0), or `None` for a TTT that is no
    /// outstanding R2T of the command (`iscsit_check_datasn()`).
    pub(crate) fn expected_datasn(&self, ttt: u32) -> Option<u32> {
        if ttt == RESERVED_TTT {
            return Some(self.unsol_datasn);
        }
        self.outstanding
            .iter()
            .flatten()
            .find(|r| r.ttt == ttt)
            .map(|r| r.datasn)
    }

    /// A Data-Out of `len` bytes at `offset` with `ttt` and the F bit `fin`; on success
    /// the caller copies the data into the command's buffer at `offset`.
    pub(crate) fn data_out(
        &mut self,
        ttt: u32,
        offset: u32,
        len: u32,
        fin: bool,
    ) -> Result<DataOutResult, XferError> {
        let end = offset.checked_add(len).ok_or(XferError::BeyondEdtl)?;
        if end > self.edtl {
            return Err(XferError::BeyondEdtl);
        }
        if ttt == RESERVED_TTT {
            if self.unsol_done || end > self.unsol_end {
                return Err(XferError::UnexpectedUnsolicited);
            }
            self.unsol_got += len;
            self.received += len;
            self.unsol_datasn = self.unsol_datasn.wrapping_add(1);
            if fin {
                self.unsol_done = true;
            }
        } else {
            let o = self
                .outstanding
                .iter_mut()
                .find(|o| o.is_some_and(|r| r.ttt == ttt))
                .ok_or(XferError::UnknownTtt)?;
            let Some(r) = o.as_mut() else {
                return Err(XferError::UnknownTtt);
            };
            if offset < r.offset || end > r.offset + r.len {
                return Err(XferError::OutsideR2t);
            }
            r.got += len;
            r.datasn = r.datasn.wrapping_add(1);
            self.received += len;
            if fin || r.got >= r.len {
                *o = None;
            }
        }
        if self.is_complete() {
            Ok(DataOutResult::Complete)
        } else {
            Ok(DataOutResult::More)
        }
    }
}

/// Writes `%pISpc` of an address: `a.b.c.d:port` or `[v6]:port` with the longest run of
/// two or more zero groups compressed.
pub(crate) fn write_sockaddr(
    w: &mut impl Write,
    v6: Option<&[u8; 16]>,
    v4: [u8; 4],
    port: u16,
) -> fmt::Result {
    match v6 {
        None => write!(w, "{}.{}.{}.{}:{}", v4[0], v4[1], v4[2], v4[3], port),
        Some(a) => {
            w.write_char('[')?;
            write_ip6_compressed(w, a)?;
            write!(w, "]:{}", port)
        }
    }
}

/// An IPv6 address as `ip6_compressed_string()` prints it.
pub(crate) fn write_ip6_compressed(w: &mut impl Write, a: &[u8; 16]) -> fmt::Result {
    let g = |i: usize| {
        u16::from_be_bytes([
            a.get(2 * i).copied().unwrap_or(0),
            a.get(2 * i + 1).copied().unwrap_or(0),
        ])
    };
    let (mut best, mut best_len, mut i) = (8usize, 0usize, 0usize);
    while i < 8 {
        let start = i;
        while i < 8 && g(i) == 0 {
            i += 1;
        }
        if i - start > best_len && i - start >= 2 {
            best = start;
            best_len = i - start;
        }
        i += 1;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            w.write_str("::")?;
            i += best_len;
            continue;
        }
        if i != 0 && i != best + best_len {
            w.write_char(':')?;
        }
        write!(w, "{:x}", g(i))?;
        i += 1;
    }
    Ok(())
}

/// A `core::fmt::Write` into a fixed buffer; fails when full.
pub(crate) struct BufWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> BufWriter<'a> {
    /// Writes into `buf` from its start.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Write for BufWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn lun_field() {
        assert_eq!(scsilun_to_int(&[0, 0, 0, 0, 0, 0, 0, 0]), 0);
        assert_eq!(scsilun_to_int(&[0, 5, 0, 0, 0, 0, 0, 0]), 5);
        assert_eq!(scsilun_to_int(&[0x40, 0x01, 0, 0, 0, 0, 0, 0]), 0x4001);
        assert_eq!(scsilun_to_int(&[0, 1, 0, 2, 0, 0, 0, 0]), 0x0002_0001);
        for l in [0u64, 1, 255, 0x4001, 0x0002_0001] {
            assert_eq!(scsilun_to_int(&int_to_scsilun(l)), l);
        }
    }

    #[test]
    fn datain_split() {
        let v: Vec<_> = DataInSeq::new(20000, 8192, 262144).collect();
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].offset, v[0].len, v[0].fin), (0, 8192, false));
        assert_eq!(
            (v[2].offset, v[2].len, v[2].fin, v[2].last),
            (16384, 3616, true, true)
        );
        assert_eq!(v[2].datasn, 2);
        // Bursts end with F.
        let v: Vec<_> = DataInSeq::new(3 * 4096, 4096, 8192).collect();
        assert_eq!(
            v.iter().map(|p| p.fin).collect::<Vec<_>>(),
            [false, true, true]
        );
        // A PDU never crosses a burst boundary.
        let v: Vec<_> = DataInSeq::new(10000, 3000, 4000).collect();
        let lens: Vec<_> = v.iter().map(|p| p.len).collect();
        assert_eq!(lens, [3000, 1000, 3000, 1000, 2000]);
        assert_eq!(DataInSeq::new(0, 8192, 8192).count(), 0);
        let mut s = DataInSeq::new(100, 0, 0);
        assert_eq!(s.next().map(|p| p.len), Some(100));
        assert_eq!(s.datasn(), 1);
    }

    const P: XferParams = XferParams {
        initial_r2t: true,
        first_burst_length: 65536,
        max_burst_length: 262144,
        max_outstanding_r2t: 1,
    };

    #[test]
    fn write_r2t_only() {
        let mut x = WriteXfer::new(600_000, 0, true, P);
        assert!(!x.is_complete());
        let r = x.next_r2t(7).unwrap();
        assert_eq!((r.r2tsn, r.offset, r.len), (0, 0, 262144));
        assert_eq!(x.next_r2t(8), None, "one outstanding");
        assert_eq!(x.expected_datasn(7), Some(0));
        assert_eq!(x.data_out(7, 0, 131072, false), Ok(DataOutResult::More));
        assert_eq!(x.expected_datasn(7), Some(1));
        assert_eq!(x.expected_datasn(9), None);
        assert_eq!(x.data_out(9, 0, 1, false), Err(XferError::UnknownTtt));
        assert_eq!(x.expected_datasn(9), None);
        assert_eq!(x.data_out(7, 131072, 131072, true), Ok(DataOutResult::More));
        let r = x.next_r2t(8).unwrap();
        assert_eq!((r.r2tsn, r.offset, r.len), (1, 262144, 262144));
        assert_eq!(
            x.expected_datasn(8),
            Some(0),
            "each R2T's sequence starts at 0"
        );
        assert_eq!(x.data_out(8, 262144, 262144, true), Ok(DataOutResult::More));
        let r = x.next_r2t(9).unwrap();
        assert_eq!((r.offset, r.len), (524288, 75712));
        assert_eq!(
            x.data_out(9, 524288, 75712, true),
            Ok(DataOutResult::Complete)
        );
        assert_eq!(x.r2tsn(), 3);
        assert_eq!(x.next_r2t(10), None);
    }

    #[test]
    fn write_immediate_and_unsolicited() {
        let p = XferParams {
            initial_r2t: false,
            ..P
        };
        // Immediate data covers everything.
        let x = WriteXfer::new(4096, 4096, true, p);
        assert!(x.is_complete());
        // Immediate 8 KiB, unsolicited up to 64 KiB, then R2T.
        let mut x = WriteXfer::new(100_000, 8192, false, p);
        assert_eq!(x.next_r2t(1), None, "unsolicited phase first");
        assert_eq!(x.expected_datasn(RESERVED_TTT), Some(0));
        assert_eq!(
            x.data_out(RESERVED_TTT, 8192, 57344, true),
            Ok(DataOutResult::More)
        );
        let r = x.next_r2t(1).unwrap();
        assert_eq!((r.offset, r.len), (65536, 34464));
        assert_eq!(
            x.data_out(RESERVED_TTT, 0, 1, false),
            Err(XferError::UnexpectedUnsolicited)
        );
        assert_eq!(
            x.data_out(1, 65536, 40000, true),
            Err(XferError::BeyondEdtl)
        );
        assert_eq!(
            x.data_out(1, 65536, 34464, true),
            Ok(DataOutResult::Complete)
        );
        // InitialR2T=Yes: no unsolicited Data-Out.
        let mut x = WriteXfer::new(8192, 0, true, P);
        assert_eq!(
            x.data_out(RESERVED_TTT, 0, 8192, true),
            Err(XferError::UnexpectedUnsolicited)
        );
        // Immediate data with F and R2Ts for the rest.
        let mut x = WriteXfer::new(16384, 4096, true, P);
        let r = x.next_r2t(3).unwrap();
        assert_eq!((r.offset, r.len), (4096, 12288));
        assert_eq!(
            x.data_out(3, 4096, 12288, true),
            Ok(DataOutResult::Complete)
        );
    }

    #[test]
    fn write_outstanding_r2ts() {
        let p = XferParams {
            max_outstanding_r2t: 2,
            max_burst_length: 4096,
            ..P
        };
        let mut x = WriteXfer::new(3 * 4096, 0, true, p);
        let a = x.next_r2t(1).unwrap();
        let b = x.next_r2t(2).unwrap();
        assert_eq!(x.next_r2t(3), None);
        assert_eq!((a.offset, b.offset), (0, 4096));
        assert_eq!(x.data_out(2, 4096, 4096, true), Ok(DataOutResult::More));
        assert_eq!(x.data_out(1, 4096, 1, true), Err(XferError::OutsideR2t));
        let c = x.next_r2t(3).unwrap();
        assert_eq!(c.offset, 8192);
        assert_eq!(x.data_out(1, 0, 4096, true), Ok(DataOutResult::More));
        assert_eq!(x.data_out(3, 8192, 4096, true), Ok(DataOutResult::Complete));
        assert_eq!(x.data_out(3, u32::MAX, 2, true), Err(XferError::BeyondEdtl));
    }

    #[test]
    fn sockaddr_text() {
        let mut s = String::new();
        write_sockaddr(&mut s, None, [127, 0, 0, 1], 3260).unwrap();
        assert_eq!(s, "127.0.0.1:3260");
        let mut s = String::new();
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        write_sockaddr(&mut s, Some(&v6), [0; 4], 3260).unwrap();
        assert_eq!(s, "[::1]:3260");
        let mut s = String::new();
        let a = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2];
        write_ip6_compressed(&mut s, &a).unwrap();
        assert_eq!(s, "fe80::1:0:0:2");
        let mut buf = [0u8; 4];
        let mut w = BufWriter::new(&mut buf);
        assert!(write!(w, "12345").is_err());
        let mut w = BufWriter::new(&mut buf);
        write!(w, "ab").unwrap();
        assert_eq!(w.len(), 2);
    }
}
