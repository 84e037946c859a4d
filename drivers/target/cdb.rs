// SPDX-License-Identifier: GPL-2.0

//! CDB decoding for target_core_mod: the operation codes of `include/scsi/scsi_proto.h`,
//! the CDB length from the group code (`scsi_command_size()`, checked as
//! `target_cmd_init_cdb()` does), and the fields `sbc_parse_cdb()` / `spc_parse_cdb()` take
//! out of each CDB they handle. Decoding never judges a field against a device: that is
//! `sbc.rs`/`spc.rs`. A CDB too short for a field it must carry is `TCM_INVALID_CDB_FIELD`.

use super::sense::SenseReason;

// Operation codes (`include/scsi/scsi_proto.h`).
/// TEST UNIT READY.
pub(crate) const TEST_UNIT_READY: u8 = 0x00;
/// REZERO UNIT.
pub(crate) const REZERO_UNIT: u8 = 0x01;
/// REQUEST SENSE.
pub(crate) const REQUEST_SENSE: u8 = 0x03;
/// FORMAT UNIT.
pub(crate) const FORMAT_UNIT: u8 = 0x04;
/// READ (6).
pub(crate) const READ_6: u8 = 0x08;
/// WRITE (6).
pub(crate) const WRITE_6: u8 = 0x0a;
/// SEEK (6).
pub(crate) const SEEK_6: u8 = 0x0b;
/// INQUIRY.
pub(crate) const INQUIRY: u8 = 0x12;
/// MODE SELECT (6).
pub(crate) const MODE_SELECT: u8 = 0x15;
/// RESERVE (6).
pub(crate) const RESERVE: u8 = 0x16;
/// RELEASE (6).
pub(crate) const RELEASE: u8 = 0x17;
/// MODE SENSE (6).
pub(crate) const MODE_SENSE: u8 = 0x1a;
/// START STOP UNIT.
pub(crate) const START_STOP: u8 = 0x1b;
/// RECEIVE DIAGNOSTIC RESULTS.
pub(crate) const RECEIVE_DIAGNOSTIC: u8 = 0x1c;
/// SEND DIAGNOSTIC.
pub(crate) const SEND_DIAGNOSTIC: u8 = 0x1d;
/// PREVENT ALLOW MEDIUM REMOVAL.
pub(crate) const ALLOW_MEDIUM_REMOVAL: u8 = 0x1e;
/// READ CAPACITY (10).
pub(crate) const READ_CAPACITY: u8 = 0x25;
/// READ (10).
pub(crate) const READ_10: u8 = 0x28;
/// WRITE (10).
pub(crate) const WRITE_10: u8 = 0x2a;
/// SEEK (10).
pub(crate) const SEEK_10: u8 = 0x2b;
/// WRITE AND VERIFY (10).
pub(crate) const WRITE_VERIFY: u8 = 0x2e;
/// VERIFY (10).
pub(crate) const VERIFY: u8 = 0x2f;
/// PRE-FETCH (10).
pub(crate) const PRE_FETCH: u8 = 0x34;
/// SYNCHRONIZE CACHE (10).
pub(crate) const SYNCHRONIZE_CACHE: u8 = 0x35;
/// WRITE BUFFER.
pub(crate) const WRITE_BUFFER: u8 = 0x3b;
/// READ BUFFER.
pub(crate) const READ_BUFFER: u8 = 0x3c;
/// WRITE SAME (10).
pub(crate) const WRITE_SAME: u8 = 0x41;
/// UNMAP.
pub(crate) const UNMAP: u8 = 0x42;
/// LOG SELECT.
pub(crate) const LOG_SELECT: u8 = 0x4c;
/// LOG SENSE.
pub(crate) const LOG_SENSE: u8 = 0x4d;
/// MODE SELECT (10).
pub(crate) const MODE_SELECT_10: u8 = 0x55;
/// RESERVE (10).
pub(crate) const RESERVE_10: u8 = 0x56;
/// RELEASE (10).
pub(crate) const RELEASE_10: u8 = 0x57;
/// MODE SENSE (10).
pub(crate) const MODE_SENSE_10: u8 = 0x5a;
/// PERSISTENT RESERVE IN.
pub(crate) const PERSISTENT_RESERVE_IN: u8 = 0x5e;
/// PERSISTENT RESERVE OUT.
pub(crate) const PERSISTENT_RESERVE_OUT: u8 = 0x5f;
/// VARIABLE LENGTH (32-byte CDBs).
pub(crate) const VARIABLE_LENGTH_CMD: u8 = 0x7f;
/// EXTENDED COPY.
pub(crate) const EXTENDED_COPY: u8 = 0x83;
/// RECEIVE COPY RESULTS.
pub(crate) const RECEIVE_COPY_RESULTS: u8 = 0x84;
/// READ (16).
pub(crate) const READ_16: u8 = 0x88;
/// COMPARE AND WRITE.
pub(crate) const COMPARE_AND_WRITE: u8 = 0x89;
/// WRITE (16).
pub(crate) const WRITE_16: u8 = 0x8a;
/// READ ATTRIBUTE.
pub(crate) const READ_ATTRIBUTE: u8 = 0x8c;
/// WRITE ATTRIBUTE.
pub(crate) const WRITE_ATTRIBUTE: u8 = 0x8d;
/// WRITE AND VERIFY (16).
pub(crate) const WRITE_VERIFY_16: u8 = 0x8e;
/// VERIFY (16).
pub(crate) const VERIFY_16: u8 = 0x8f;
/// SYNCHRONIZE CACHE (16).
pub(crate) const SYNCHRONIZE_CACHE_16: u8 = 0x91;
/// WRITE SAME (16).
pub(crate) const WRITE_SAME_16: u8 = 0x93;
/// SERVICE ACTION IN (16).
pub(crate) const SERVICE_ACTION_IN_16: u8 = 0x9e;
/// REPORT LUNS.
pub(crate) const REPORT_LUNS: u8 = 0xa0;
/// SECURITY PROTOCOL IN.
pub(crate) const SECURITY_PROTOCOL_IN: u8 = 0xa2;
/// MAINTENANCE IN.
pub(crate) const MAINTENANCE_IN: u8 = 0xa3;
/// MAINTENANCE OUT.
pub(crate) const MAINTENANCE_OUT: u8 = 0xa4;
/// READ (12).
pub(crate) const READ_12: u8 = 0xa8;
/// WRITE (12).
pub(crate) const WRITE_12: u8 = 0xaa;
/// WRITE AND VERIFY (12).
pub(crate) const WRITE_VERIFY_12: u8 = 0xae;
/// VERIFY (12).
pub(crate) const VERIFY_12: u8 = 0xaf;
/// SECURITY PROTOCOL OUT.
pub(crate) const SECURITY_PROTOCOL_OUT: u8 = 0xb5;

// Service actions.
/// SERVICE ACTION IN (16) / READ CAPACITY (16).
pub(crate) const SAI_READ_CAPACITY_16: u8 = 0x10;
/// SERVICE ACTION IN (16) / GET LBA STATUS.
pub(crate) const SAI_GET_LBA_STATUS: u8 = 0x12;
/// SERVICE ACTION IN (16) / REPORT REFERRALS.
pub(crate) const SAI_REPORT_REFERRALS: u8 = 0x13;
/// MAINTENANCE IN / REPORT TARGET PORT GROUPS.
pub(crate) const MI_REPORT_TARGET_PGS: u8 = 0x0a;
/// MAINTENANCE IN / REPORT SUPPORTED OPERATION CODES.
pub(crate) const MI_REPORT_SUPPORTED_OPERATION_CODES: u8 = 0x0c;
/// MAINTENANCE IN / REPORT TARGET PORT GROUPS: extended header parameter data format.
pub(crate) const MI_EXT_HDR_PARAM_FMT: u8 = 0x20;
/// MAINTENANCE OUT / SET TARGET PORT GROUPS.
pub(crate) const MO_SET_TARGET_PGS: u8 = 0x0a;
/// VARIABLE LENGTH / WRITE SAME (32).
pub(crate) const WRITE_SAME_32: u16 = 0x000d;
/// PERSISTENT RESERVE IN / READ KEYS.
pub(crate) const PRI_READ_KEYS: u8 = 0x00;
/// PERSISTENT RESERVE IN / READ RESERVATION.
pub(crate) const PRI_READ_RESERVATION: u8 = 0x01;
/// PERSISTENT RESERVE IN / REPORT CAPABILITIES.
pub(crate) const PRI_REPORT_CAPABILITIES: u8 = 0x02;
/// PERSISTENT RESERVE IN / READ FULL STATUS.
pub(crate) const PRI_READ_FULL_STATUS: u8 = 0x03;
/// PERSISTENT RESERVE OUT / REGISTER.
pub(crate) const PRO_REGISTER: u8 = 0x00;
/// PERSISTENT RESERVE OUT / RESERVE.
pub(crate) const PRO_RESERVE: u8 = 0x01;
/// PERSISTENT RESERVE OUT / RELEASE.
pub(crate) const PRO_RELEASE: u8 = 0x02;
/// PERSISTENT RESERVE OUT / CLEAR.
pub(crate) const PRO_CLEAR: u8 = 0x03;
/// PERSISTENT RESERVE OUT / PREEMPT.
pub(crate) const PRO_PREEMPT: u8 = 0x04;
/// PERSISTENT RESERVE OUT / PREEMPT AND ABORT.
pub(crate) const PRO_PREEMPT_AND_ABORT: u8 = 0x05;
/// PERSISTENT RESERVE OUT / REGISTER AND IGNORE EXISTING KEY.
pub(crate) const PRO_REGISTER_AND_IGNORE_EXISTING_KEY: u8 = 0x06;
/// PERSISTENT RESERVE OUT / REGISTER AND MOVE.
pub(crate) const PRO_REGISTER_AND_MOVE: u8 = 0x07;
/// PERSISTENT RESERVE OUT / REPLACE LOST RESERVATION.
pub(crate) const PRO_REPLACE_LOST_RESERVATION: u8 = 0x08;
/// RECEIVE COPY RESULTS / OPERATING PARAMETERS.
pub(crate) const RCR_SA_OPERATING_PARAMETERS: u8 = 0x03;

/// `SCSI_MAX_VARLEN_CDB_SIZE`: the largest CDB `target_cmd_init_cdb()` accepts.
pub(crate) const SCSI_MAX_VARLEN_CDB_SIZE: usize = 260;
/// `TCM_MAX_COMMAND_SIZE`: the CDB bytes `struct se_cmd` keeps inline.
pub(crate) const TCM_MAX_COMMAND_SIZE: usize = 32;

/// `COMMAND_SIZE()`: the CDB length of an operation code from its group code
/// (`scsi_command_size_tbl[]`: 6, 10, 10, 12, 16, 12, 10, 10).
pub(crate) const fn command_size(opcode: u8) -> usize {
    match opcode >> 5 {
        0 => 6,
        1 | 2 => 10,
        3 => 12,
        4 => 16,
        5 => 12,
        _ => 10,
    }
}

/// `scsi_command_size()`: the CDB length, for VARIABLE LENGTH CDBs the ADDITIONAL CDB
/// LENGTH + 8. An empty CDB, a VARIABLE LENGTH CDB without its length byte, or one longer
/// than [`SCSI_MAX_VARLEN_CDB_SIZE`] (as `target_cmd_init_cdb()`) is `TCM_INVALID_CDB_FIELD`.
pub(crate) fn scsi_command_size(cdb: &[u8]) -> Result<usize, SenseReason> {
    let opcode = *cdb.first().ok_or(SenseReason::InvalidCdbField)?;
    let size = if opcode == VARIABLE_LENGTH_CMD {
        usize::from(*cdb.get(7).ok_or(SenseReason::InvalidCdbField)?) + 8
    } else {
        command_size(opcode)
    };
    if size > SCSI_MAX_VARLEN_CDB_SIZE {
        return Err(SenseReason::InvalidCdbField);
    }
    Ok(size)
}

/// `get_unaligned_be16()` at `off`, `None` past the end.
pub(crate) fn get_unaligned_be16(buf: &[u8], off: usize) -> Option<u16> {
    let b = buf.get(off..off.checked_add(2)?)?;
    let mut a = [0u8; 2];
    a.copy_from_slice(b);
    Some(u16::from_be_bytes(a))
}

/// `get_unaligned_be24()` at `off`, `None` past the end.
pub(crate) fn get_unaligned_be24(buf: &[u8], off: usize) -> Option<u32> {
    let b = buf.get(off..off.checked_add(3)?)?;
    let mut a = [0u8; 4];
    a[1..].copy_from_slice(b);
    Some(u32::from_be_bytes(a))
}

/// `get_unaligned_be32()` at `off`, `None` past the end.
pub(crate) fn get_unaligned_be32(buf: &[u8], off: usize) -> Option<u32> {
    let b = buf.get(off..off.checked_add(4)?)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Some(u32::from_be_bytes(a))
}

/// `get_unaligned_be64()` at `off`, `None` past the end.
pub(crate) fn get_unaligned_be64(buf: &[u8], off: usize) -> Option<u64> {
    let b = buf.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

/// Copies `bytes` to `buf[off..]`, dropping what falls past the end of `buf`: responses are
/// built into the caller's allocation-length buffer the way LIO's `memcpy(rbuf, buf,
/// min(len, cmd->data_length))` truncates them.
pub(crate) fn put_bytes(buf: &mut [u8], off: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(off..) {
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d = *s;
        }
    }
}

/// Sets `buf[off]`, if it exists.
pub(crate) fn put_u8(buf: &mut [u8], off: usize, val: u8) {
    if let Some(b) = buf.get_mut(off) {
        *b = val;
    }
}

/// ORs `bits` into `buf[off]`, if it exists.
pub(crate) fn or_u8(buf: &mut [u8], off: usize, bits: u8) {
    if let Some(b) = buf.get_mut(off) {
        *b |= bits;
    }
}

/// `put_unaligned_be16()`, truncating at the end of `buf` like [`put_bytes`].
pub(crate) fn put_unaligned_be16(buf: &mut [u8], off: usize, val: u16) {
    put_bytes(buf, off, &val.to_be_bytes());
}

/// `put_unaligned_be32()`, truncating at the end of `buf` like [`put_bytes`].
pub(crate) fn put_unaligned_be32(buf: &mut [u8], off: usize, val: u32) {
    put_bytes(buf, off, &val.to_be_bytes());
}

/// `put_unaligned_be64()`, truncating at the end of `buf` like [`put_bytes`].
pub(crate) fn put_unaligned_be64(buf: &mut [u8], off: usize, val: u64) {
    put_bytes(buf, off, &val.to_be_bytes());
}

/// A CDB checked as `target_cmd_init_cdb()` does: at least as long as its command size,
/// and cut to it (iSCSI carries 16 bytes for a 6-byte CDB). Field reads past the command
/// size are `TCM_INVALID_CDB_FIELD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cdb<'a> {
    bytes: &'a [u8],
}

impl<'a> Cdb<'a> {
    /// Checks `cdb` (what the fabric received) and keeps its first `scsi_command_size()`
    /// bytes. Fewer bytes than that is `TCM_INVALID_CDB_FIELD`.
    pub(crate) fn new(cdb: &'a [u8]) -> Result<Self, SenseReason> {
        let size = scsi_command_size(cdb)?;
        let bytes = cdb.get(..size).ok_or(SenseReason::InvalidCdbField)?;
        Ok(Self { bytes })
    }

    /// The CDB's bytes (`cmd->t_task_cdb`, `scsi_command_size()` long).
    pub(crate) fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// OPERATION CODE.
    pub(crate) fn opcode(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0)
    }

    /// Byte `off`.
    pub(crate) fn byte(&self, off: usize) -> Result<u8, SenseReason> {
        self.bytes
            .get(off)
            .copied()
            .ok_or(SenseReason::InvalidCdbField)
    }

    /// Big-endian 16 bits at `off`.
    pub(crate) fn be16(&self, off: usize) -> Result<u16, SenseReason> {
        get_unaligned_be16(self.bytes, off).ok_or(SenseReason::InvalidCdbField)
    }

    /// Big-endian 24 bits at `off`.
    pub(crate) fn be24(&self, off: usize) -> Result<u32, SenseReason> {
        get_unaligned_be24(self.bytes, off).ok_or(SenseReason::InvalidCdbField)
    }

    /// Big-endian 32 bits at `off`.
    pub(crate) fn be32(&self, off: usize) -> Result<u32, SenseReason> {
        get_unaligned_be32(self.bytes, off).ok_or(SenseReason::InvalidCdbField)
    }

    /// Big-endian 64 bits at `off`.
    pub(crate) fn be64(&self, off: usize) -> Result<u64, SenseReason> {
        get_unaligned_be64(self.bytes, off).ok_or(SenseReason::InvalidCdbField)
    }

    /// `transport_get_sectors_6()`: TRANSFER LENGTH, 0 meaning 256 blocks.
    pub(crate) fn sectors_6(&self) -> Result<u32, SenseReason> {
        match self.byte(4)? {
            0 => Ok(256),
            n => Ok(u32::from(n)),
        }
    }

    /// `transport_lba_21()`: the 21-bit LBA of READ/WRITE (6).
    pub(crate) fn lba_21(&self) -> Result<u32, SenseReason> {
        Ok(self.be24(1)? & 0x1f_ffff)
    }
}

/// READ, WRITE and WRITE AND VERIFY (6/10/12/16): the LBA, the TRANSFER LENGTH and the
/// flags byte `sbc_check_dpofua()`/`sbc_check_prot()` look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RwCdb {
    /// CDB length: 6, 10, 12 or 16.
    pub(crate) cdb_size: u8,
    /// LOGICAL BLOCK ADDRESS (`t_task_lba`).
    pub(crate) lba: u64,
    /// TRANSFER LENGTH in blocks (READ/WRITE (6): 0 means 256).
    pub(crate) sectors: u32,
    /// Byte 1 (RDPROTECT/WRPROTECT, DPO, FUA, BYTCHK); 0 for the 6-byte CDBs.
    pub(crate) flags: u8,
}

impl RwCdb {
    /// RDPROTECT / WRPROTECT (byte 1 bits 7-5).
    pub(crate) fn protect(&self) -> u8 {
        self.flags >> 5
    }
    /// DPO.
    pub(crate) fn dpo(&self) -> bool {
        self.flags & 0x10 != 0
    }
    /// FUA.
    pub(crate) fn fua(&self) -> bool {
        self.flags & 0x08 != 0
    }
    /// BYTCHK of WRITE AND VERIFY (byte 1 bit 1; LIO ignores it).
    pub(crate) fn bytchk(&self) -> bool {
        self.flags & 0x02 != 0
    }
}

/// VERIFY (10/16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VerifyCdb {
    /// 10 or 16.
    pub(crate) cdb_size: u8,
    /// LOGICAL BLOCK ADDRESS.
    pub(crate) lba: u64,
    /// VERIFICATION LENGTH in blocks.
    pub(crate) sectors: u32,
    /// Byte 1: VRPROTECT, DPO, BYTCHK.
    pub(crate) flags: u8,
}

impl VerifyCdb {
    /// VRPROTECT.
    pub(crate) fn vrprotect(&self) -> u8 {
        self.flags >> 5
    }
    /// DPO.
    pub(crate) fn dpo(&self) -> bool {
        self.flags & 0x10 != 0
    }
    /// BYTCHK (byte 1 bits 2-1): 00b medium verification only, 01b compare the Data-Out
    /// buffer, 10b reserved, 11b compare one Data-Out block against every block.
    pub(crate) fn bytchk(&self) -> u8 {
        (self.flags >> 1) & 0x3
    }
}

/// SYNCHRONIZE CACHE (10/16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyncCacheCdb {
    /// 10 or 16.
    pub(crate) cdb_size: u8,
    /// LOGICAL BLOCK ADDRESS.
    pub(crate) lba: u64,
    /// NUMBER OF LOGICAL BLOCKS (0: to the end of the medium).
    pub(crate) sectors: u32,
    /// IMMED.
    pub(crate) immed: bool,
}

/// WRITE SAME (10/16/32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriteSameCdb {
    /// 10, 16 or 32.
    pub(crate) cdb_size: u8,
    /// LOGICAL BLOCK ADDRESS.
    pub(crate) lba: u64,
    /// NUMBER OF LOGICAL BLOCKS.
    pub(crate) sectors: u32,
    /// The flags byte `sbc_setup_write_same()` checks (byte 1; byte 10 of WRITE SAME (32)).
    pub(crate) flags: u8,
}

impl WriteSameCdb {
    /// WRPROTECT.
    pub(crate) fn wrprotect(&self) -> u8 {
        self.flags >> 5
    }
    /// ANCHOR.
    pub(crate) fn anchor(&self) -> bool {
        self.flags & 0x10 != 0
    }
    /// UNMAP.
    pub(crate) fn unmap(&self) -> bool {
        self.flags & 0x08 != 0
    }
    /// PBDATA (obsolete).
    pub(crate) fn pbdata(&self) -> bool {
        self.flags & 0x04 != 0
    }
    /// LBDATA (obsolete).
    pub(crate) fn lbdata(&self) -> bool {
        self.flags & 0x02 != 0
    }
    /// NDOB (no Data-Out buffer).
    pub(crate) fn ndob(&self) -> bool {
        self.flags & 0x01 != 0
    }
}

/// COMPARE AND WRITE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CompareAndWriteCdb {
    /// LOGICAL BLOCK ADDRESS.
    pub(crate) lba: u64,
    /// NUMBER OF LOGICAL BLOCKS (byte 13).
    pub(crate) nolb: u8,
    /// Byte 1: WRPROTECT, DPO, FUA.
    pub(crate) flags: u8,
}

/// START STOP UNIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StartStopCdb {
    /// IMMED (byte 1 bit 0).
    pub(crate) immed: bool,
    /// Byte 2 (reserved).
    pub(crate) byte2: u8,
    /// Byte 3 (POWER CONDITION MODIFIER in bits 3-0).
    pub(crate) byte3: u8,
    /// Byte 4: POWER CONDITION (bits 7-4), NO_FLUSH (2), LOEJ (1), START (0).
    pub(crate) byte4: u8,
}

/// MODE SENSE (6/10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ModeSenseCdb {
    /// MODE SENSE (10).
    pub(crate) ten: bool,
    /// DBD: no block descriptors.
    pub(crate) dbd: bool,
    /// LLBAA (MODE SENSE (10) only).
    pub(crate) llbaa: bool,
    /// PC: 0 current, 1 changeable, 2 default, 3 saved.
    pub(crate) pc: u8,
    /// PAGE CODE.
    pub(crate) page: u8,
    /// SUBPAGE CODE.
    pub(crate) subpage: u8,
    /// ALLOCATION LENGTH.
    pub(crate) alloc_len: u16,
}

/// MODE SELECT (6/10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ModeSelectCdb {
    /// MODE SELECT (10).
    pub(crate) ten: bool,
    /// PF.
    pub(crate) pf: bool,
    /// SP.
    pub(crate) sp: bool,
    /// PARAMETER LIST LENGTH.
    pub(crate) param_len: u16,
}

/// REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RsocCdb {
    /// RCTD: return command timeouts descriptors.
    pub(crate) rctd: bool,
    /// REPORTING OPTIONS, as LIO reads them (`cdb[2] & 0x3`).
    pub(crate) options: u8,
    /// REQUESTED OPERATION CODE.
    pub(crate) opcode: u8,
    /// REQUESTED SERVICE ACTION.
    pub(crate) service_action: u16,
    /// ALLOCATION LENGTH.
    pub(crate) alloc_len: u32,
}

/// What a CDB asks for, field by field, for every operation code LIO's
/// `sbc_parse_cdb()` + `spc_parse_cdb()` give a handler to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScsiCdb {
    /// TEST UNIT READY.
    TestUnitReady,
    /// REZERO UNIT (a no-op in LIO).
    RezeroUnit,
    /// SEEK (6) or (10) (a no-op in LIO).
    Seek {
        /// LOGICAL BLOCK ADDRESS.
        lba: u32,
    },
    /// REQUEST SENSE.
    RequestSense {
        /// DESC.
        desc: bool,
        /// ALLOCATION LENGTH.
        alloc_len: u8,
    },
    /// READ (6/10/12/16).
    Read(RwCdb),
    /// WRITE (6/10/12/16).
    Write(RwCdb),
    /// WRITE AND VERIFY (10/16).
    WriteVerify(RwCdb),
    /// VERIFY (10/16).
    Verify(VerifyCdb),
    /// SYNCHRONIZE CACHE (10/16).
    SynchronizeCache(SyncCacheCdb),
    /// WRITE SAME (10/16/32).
    WriteSame(WriteSameCdb),
    /// UNMAP.
    Unmap {
        /// Byte 1 (ANCHOR; LIO refuses any bit set).
        byte1: u8,
        /// PARAMETER LIST LENGTH.
        param_len: u16,
    },
    /// COMPARE AND WRITE.
    CompareAndWrite(CompareAndWriteCdb),
    /// READ CAPACITY (10).
    ReadCapacity {
        /// LOGICAL BLOCK ADDRESS (bytes 2-5, obsolete).
        lba: u32,
        /// PMI (byte 8 bit 0, obsolete).
        pmi: bool,
    },
    /// SERVICE ACTION IN (16) / READ CAPACITY (16).
    ReadCapacity16 {
        /// ALLOCATION LENGTH.
        alloc_len: u32,
    },
    /// SERVICE ACTION IN (16) / REPORT REFERRALS.
    ReportReferrals {
        /// ALLOCATION LENGTH.
        alloc_len: u32,
    },
    /// SERVICE ACTION IN (16) with another service action (LIO: INVALID FIELD IN CDB).
    ServiceActionIn16 {
        /// SERVICE ACTION.
        service_action: u8,
    },
    /// START STOP UNIT.
    StartStop(StartStopCdb),
    /// INQUIRY.
    Inquiry {
        /// EVPD.
        evpd: bool,
        /// PAGE CODE.
        page_code: u8,
        /// ALLOCATION LENGTH.
        alloc_len: u16,
    },
    /// MODE SENSE (6/10).
    ModeSense(ModeSenseCdb),
    /// MODE SELECT (6/10).
    ModeSelect(ModeSelectCdb),
    /// PERSISTENT RESERVE IN.
    PersistentReserveIn {
        /// SERVICE ACTION.
        service_action: u8,
        /// ALLOCATION LENGTH.
        alloc_len: u16,
    },
    /// PERSISTENT RESERVE OUT.
    PersistentReserveOut {
        /// SERVICE ACTION.
        service_action: u8,
        /// SCOPE / TYPE (byte 2).
        scope_type: u8,
        /// PARAMETER LIST LENGTH.
        param_len: u32,
    },
    /// RESERVE (6/10).
    Reserve {
        /// PARAMETER LIST LENGTH of RESERVE (10); RESERVE (6) has none.
        param_len: Option<u16>,
    },
    /// RELEASE (6/10).
    Release {
        /// PARAMETER LIST LENGTH of RELEASE (10); RELEASE (6) has none.
        param_len: Option<u16>,
    },
    /// EXTENDED COPY.
    ExtendedCopy {
        /// SERVICE ACTION (0: LID1).
        service_action: u8,
        /// PARAMETER LIST LENGTH.
        param_len: u32,
    },
    /// RECEIVE COPY RESULTS.
    ReceiveCopyResults {
        /// SERVICE ACTION.
        service_action: u8,
        /// LIST IDENTIFIER.
        list_id: u8,
        /// ALLOCATION LENGTH.
        alloc_len: u32,
    },
    /// REPORT LUNS.
    ReportLuns {
        /// SELECT REPORT.
        select_report: u8,
        /// ALLOCATION LENGTH.
        alloc_len: u32,
    },
    /// MAINTENANCE IN / REPORT TARGET PORT GROUPS.
    ReportTargetPortGroups {
        /// PARAMETER DATA FORMAT asks for the extended header: LIO tests its low bit
        /// only (`cdb[1] & 0x20`, [`MI_EXT_HDR_PARAM_FMT`]).
        extended_header: bool,
        /// ALLOCATION LENGTH.
        alloc_len: u32,
    },
    /// MAINTENANCE IN / REPORT SUPPORTED OPERATION CODES.
    ReportSupportedOpcodes(RsocCdb),
    /// MAINTENANCE OUT / SET TARGET PORT GROUPS.
    SetTargetPortGroups {
        /// PARAMETER LIST LENGTH.
        param_len: u32,
    },
    /// Anything else: LIO has no handler for it on emulated (SBC) devices.
    Unsupported {
        /// OPERATION CODE.
        opcode: u8,
    },
}

fn rw(cdb: &Cdb<'_>, size: u8) -> Result<RwCdb, SenseReason> {
    Ok(match size {
        6 => RwCdb {
            cdb_size: 6,
            lba: u64::from(cdb.lba_21()?),
            sectors: cdb.sectors_6()?,
            flags: 0,
        },
        10 => RwCdb {
            cdb_size: 10,
            lba: u64::from(cdb.be32(2)?),
            sectors: u32::from(cdb.be16(7)?),
            flags: cdb.byte(1)?,
        },
        12 => RwCdb {
            cdb_size: 12,
            lba: u64::from(cdb.be32(2)?),
            sectors: cdb.be32(6)?,
            flags: cdb.byte(1)?,
        },
        _ => RwCdb {
            cdb_size: 16,
            lba: cdb.be64(2)?,
            sectors: cdb.be32(10)?,
            flags: cdb.byte(1)?,
        },
    })
}

/// Decodes a CDB checked by [`Cdb::new`] into the fields LIO's parsers use. Operation
/// codes without an LIO handler decode to [`ScsiCdb::Unsupported`].
pub(crate) fn decode(cdb: &Cdb<'_>) -> Result<ScsiCdb, SenseReason> {
    use ScsiCdb as C;
    Ok(match cdb.opcode() {
        TEST_UNIT_READY => C::TestUnitReady,
        REZERO_UNIT => C::RezeroUnit,
        SEEK_6 => C::Seek { lba: cdb.lba_21()? },
        SEEK_10 => C::Seek { lba: cdb.be32(2)? },
        REQUEST_SENSE => C::RequestSense {
            desc: cdb.byte(1)? & 0x01 != 0,
            alloc_len: cdb.byte(4)?,
        },
        READ_6 => C::Read(rw(cdb, 6)?),
        READ_10 => C::Read(rw(cdb, 10)?),
        READ_12 => C::Read(rw(cdb, 12)?),
        READ_16 => C::Read(rw(cdb, 16)?),
        WRITE_6 => C::Write(rw(cdb, 6)?),
        WRITE_10 => C::Write(rw(cdb, 10)?),
        WRITE_12 => C::Write(rw(cdb, 12)?),
        WRITE_16 => C::Write(rw(cdb, 16)?),
        WRITE_VERIFY => C::WriteVerify(rw(cdb, 10)?),
        WRITE_VERIFY_16 => C::WriteVerify(rw(cdb, 16)?),
        VERIFY => C::Verify(VerifyCdb {
            cdb_size: 10,
            lba: u64::from(cdb.be32(2)?),
            sectors: u32::from(cdb.be16(7)?),
            flags: cdb.byte(1)?,
        }),
        VERIFY_16 => C::Verify(VerifyCdb {
            cdb_size: 16,
            lba: cdb.be64(2)?,
            sectors: cdb.be32(10)?,
            flags: cdb.byte(1)?,
        }),
        SYNCHRONIZE_CACHE => C::SynchronizeCache(SyncCacheCdb {
            cdb_size: 10,
            lba: u64::from(cdb.be32(2)?),
            sectors: u32::from(cdb.be16(7)?),
            immed: cdb.byte(1)? & 0x02 != 0,
        }),
        SYNCHRONIZE_CACHE_16 => C::SynchronizeCache(SyncCacheCdb {
            cdb_size: 16,
            lba: cdb.be64(2)?,
            sectors: cdb.be32(10)?,
            immed: cdb.byte(1)? & 0x02 != 0,
        }),
        WRITE_SAME => C::WriteSame(WriteSameCdb {
            cdb_size: 10,
            lba: u64::from(cdb.be32(2)?),
            sectors: u32::from(cdb.be16(7)?),
            flags: cdb.byte(1)?,
        }),
        WRITE_SAME_16 => C::WriteSame(WriteSameCdb {
            cdb_size: 16,
            lba: cdb.be64(2)?,
            sectors: cdb.be32(10)?,
            flags: cdb.byte(1)?,
        }),
        VARIABLE_LENGTH_CMD => match cdb.be16(8)? {
            WRITE_SAME_32 => C::WriteSame(WriteSameCdb {
                cdb_size: 32,
                lba: cdb.be64(12)?,
                sectors: cdb.be32(28)?,
                flags: cdb.byte(10)?,
            }),
            _ => C::Unsupported {
                opcode: VARIABLE_LENGTH_CMD,
            },
        },
        UNMAP => C::Unmap {
            byte1: cdb.byte(1)?,
            param_len: cdb.be16(7)?,
        },
        COMPARE_AND_WRITE => C::CompareAndWrite(CompareAndWriteCdb {
            lba: cdb.be64(2)?,
            nolb: cdb.byte(13)?,
            flags: cdb.byte(1)?,
        }),
        READ_CAPACITY => C::ReadCapacity {
            lba: cdb.be32(2)?,
            pmi: cdb.byte(8)? & 0x01 != 0,
        },
        SERVICE_ACTION_IN_16 => match cdb.byte(1)? & 0x1f {
            SAI_READ_CAPACITY_16 => C::ReadCapacity16 {
                alloc_len: cdb.be32(10)?,
            },
            SAI_REPORT_REFERRALS => C::ReportReferrals {
                alloc_len: cdb.be32(10)?,
            },
            service_action => C::ServiceActionIn16 { service_action },
        },
        START_STOP => C::StartStop(StartStopCdb {
            immed: cdb.byte(1)? & 0x01 != 0,
            byte2: cdb.byte(2)?,
            byte3: cdb.byte(3)?,
            byte4: cdb.byte(4)?,
        }),
        INQUIRY => C::Inquiry {
            evpd: cdb.byte(1)? & 0x01 != 0,
            page_code: cdb.byte(2)?,
            alloc_len: cdb.be16(3)?,
        },
        MODE_SENSE | MODE_SENSE_10 => {
            let ten = cdb.opcode() == MODE_SENSE_10;
            let b1 = cdb.byte(1)?;
            let b2 = cdb.byte(2)?;
            C::ModeSense(ModeSenseCdb {
                ten,
                dbd: b1 & 0x08 != 0,
                llbaa: ten && b1 & 0x10 != 0,
                pc: b2 >> 6,
                page: b2 & 0x3f,
                subpage: cdb.byte(3)?,
                alloc_len: if ten {
                    cdb.be16(7)?
                } else {
                    u16::from(cdb.byte(4)?)
                },
            })
        }
        MODE_SELECT | MODE_SELECT_10 => {
            let ten = cdb.opcode() == MODE_SELECT_10;
            let b1 = cdb.byte(1)?;
            C::ModeSelect(ModeSelectCdb {
                ten,
                pf: b1 & 0x10 != 0,
                sp: b1 & 0x01 != 0,
                param_len: if ten {
                    cdb.be16(7)?
                } else {
                    u16::from(cdb.byte(4)?)
                },
            })
        }
        PERSISTENT_RESERVE_IN => C::PersistentReserveIn {
            service_action: cdb.byte(1)? & 0x1f,
            alloc_len: cdb.be16(7)?,
        },
        PERSISTENT_RESERVE_OUT => C::PersistentReserveOut {
            service_action: cdb.byte(1)? & 0x1f,
            scope_type: cdb.byte(2)?,
            param_len: cdb.be32(5)?,
        },
        RESERVE => C::Reserve { param_len: None },
        RESERVE_10 => C::Reserve {
            param_len: Some(cdb.be16(7)?),
        },
        RELEASE => C::Release { param_len: None },
        RELEASE_10 => C::Release {
            param_len: Some(cdb.be16(7)?),
        },
        EXTENDED_COPY => C::ExtendedCopy {
            service_action: cdb.byte(1)? & 0x1f,
            param_len: cdb.be32(10)?,
        },
        RECEIVE_COPY_RESULTS => C::ReceiveCopyResults {
            service_action: cdb.byte(1)? & 0x1f,
            list_id: cdb.byte(2)?,
            alloc_len: cdb.be32(10)?,
        },
        REPORT_LUNS => C::ReportLuns {
            select_report: cdb.byte(2)?,
            alloc_len: cdb.be32(6)?,
        },
        MAINTENANCE_IN => {
            let b1 = cdb.byte(1)?;
            match b1 & 0x1f {
                MI_REPORT_TARGET_PGS => C::ReportTargetPortGroups {
                    extended_header: b1 & MI_EXT_HDR_PARAM_FMT != 0,
                    alloc_len: cdb.be32(6)?,
                },
                MI_REPORT_SUPPORTED_OPERATION_CODES => {
                    let b2 = cdb.byte(2)?;
                    C::ReportSupportedOpcodes(RsocCdb {
                        rctd: b2 & 0x80 != 0,
                        options: b2 & 0x3,
                        opcode: cdb.byte(3)?,
                        service_action: cdb.be16(4)?,
                        alloc_len: cdb.be32(6)?,
                    })
                }
                _ => C::Unsupported {
                    opcode: MAINTENANCE_IN,
                },
            }
        }
        // LIO compares the whole byte, not the service action bits.
        MAINTENANCE_OUT => match cdb.byte(1)? {
            MO_SET_TARGET_PGS => C::SetTargetPortGroups {
                param_len: cdb.be32(6)?,
            },
            _ => C::Unsupported {
                opcode: MAINTENANCE_OUT,
            },
        },
        opcode => C::Unsupported { opcode },
    })
}

/// [`Cdb::new`] and [`decode`] in one step, for what a fabric received.
pub(crate) fn decode_cdb(cdb: &[u8]) -> Result<ScsiCdb, SenseReason> {
    decode(&Cdb::new(cdb)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_size_from_group_code() {
        assert_eq!(scsi_command_size(&[TEST_UNIT_READY]), Ok(6));
        assert_eq!(scsi_command_size(&[READ_10]), Ok(10));
        assert_eq!(scsi_command_size(&[0x5a]), Ok(10));
        assert_eq!(scsi_command_size(&[REPORT_LUNS]), Ok(12));
        assert_eq!(scsi_command_size(&[READ_16]), Ok(16));
        assert_eq!(scsi_command_size(&[READ_12]), Ok(12));
        assert_eq!(scsi_command_size(&[0xc0]), Ok(10));
        assert_eq!(scsi_command_size(&[0xe0]), Ok(10));
        let mut ws32 = [0u8; 32];
        ws32[0] = VARIABLE_LENGTH_CMD;
        ws32[7] = 0x18;
        assert_eq!(scsi_command_size(&ws32), Ok(32));
        // Malformed: empty, varlen without its length byte, varlen too long.
        assert_eq!(scsi_command_size(&[]), Err(SenseReason::InvalidCdbField));
        assert_eq!(
            scsi_command_size(&[VARIABLE_LENGTH_CMD, 0, 0]),
            Err(SenseReason::InvalidCdbField)
        );
        ws32[7] = 0xff;
        assert_eq!(scsi_command_size(&ws32), Err(SenseReason::InvalidCdbField));
    }

    #[test]
    fn truncated_cdbs_are_invalid_field() {
        // Every opcode, every length shorter than its command size.
        for op in 0..=255u8 {
            let size = if op == VARIABLE_LENGTH_CMD {
                continue;
            } else {
                command_size(op)
            };
            let mut buf = [0u8; 16];
            buf[0] = op;
            for len in 0..size {
                assert_eq!(
                    decode_cdb(&buf[..len]),
                    Err(SenseReason::InvalidCdbField),
                    "op {op:#x} len {len}"
                );
            }
            // Full length (and iSCSI's 16 bytes) decode.
            assert!(decode_cdb(&buf[..size]).is_ok(), "op {op:#x}");
            assert!(decode_cdb(&buf).is_ok(), "op {op:#x}");
        }
        // WRITE SAME (32) whose ADDITIONAL CDB LENGTH leaves out the LBA/NoLB fields.
        let mut ws32 = [0u8; 32];
        ws32[0] = VARIABLE_LENGTH_CMD;
        ws32[7] = 0x04;
        ws32[9] = 0x0d;
        assert_eq!(decode_cdb(&ws32), Err(SenseReason::InvalidCdbField));
        ws32[7] = 0x18;
        assert!(matches!(decode_cdb(&ws32), Ok(ScsiCdb::WriteSame(_))));
        assert_eq!(decode_cdb(&ws32[..20]), Err(SenseReason::InvalidCdbField));
    }

    #[test]
    fn read_write_fields() {
        // READ (6): 21-bit LBA, 0 blocks means 256.
        let c = decode_cdb(&[READ_6, 0xff, 0x12, 0x34, 0, 0]).unwrap();
        assert_eq!(
            c,
            ScsiCdb::Read(RwCdb {
                cdb_size: 6,
                lba: 0x1f1234,
                sectors: 256,
                flags: 0
            })
        );
        let c = decode_cdb(&[WRITE_6, 0, 0, 1, 7, 0]).unwrap();
        assert_eq!(
            c,
            ScsiCdb::Write(RwCdb {
                cdb_size: 6,
                lba: 1,
                sectors: 7,
                flags: 0
            })
        );
        // READ (10) with RDPROTECT=3, DPO, FUA.
        let c = decode_cdb(&[READ_10, 0x78, 0, 1, 0xff, 0xff, 0, 0x01, 0x00, 0]).unwrap();
        let ScsiCdb::Read(r) = c else { panic!("{c:?}") };
        assert_eq!(
            (r.lba, r.sectors, r.protect(), r.dpo(), r.fua()),
            (0x1ffff, 256, 3, true, true)
        );
        // WRITE (12).
        let c = decode_cdb(&[WRITE_12, 0, 0, 0, 0, 9, 0, 1, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            c,
            ScsiCdb::Write(RwCdb {
                cdb_size: 12,
                lba: 9,
                sectors: 0x10000,
                flags: 0
            })
        );
        // READ (16) with a 64-bit LBA and 32-bit length.
        let mut r16 = [0u8; 16];
        r16[0] = READ_16;
        r16[2..10].copy_from_slice(&0x0123_4567_89ab_cdefu64.to_be_bytes());
        r16[10..14].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        let ScsiCdb::Read(r) = decode_cdb(&r16).unwrap() else {
            panic!()
        };
        assert_eq!((r.lba, r.sectors), (0x0123_4567_89ab_cdef, u32::MAX));
        // WRITE AND VERIFY (16) with BYTCHK.
        r16[0] = WRITE_VERIFY_16;
        r16[1] = 0x02;
        let ScsiCdb::WriteVerify(w) = decode_cdb(&r16).unwrap() else {
            panic!()
        };
        assert!(w.bytchk());
    }

    #[test]
    fn verify_sync_cache_write_same_fields() {
        let c = decode_cdb(&[VERIFY, 0x16, 0, 0, 0, 5, 0, 0, 2, 0]).unwrap();
        let ScsiCdb::Verify(v) = c else { panic!() };
        assert_eq!(
            (v.lba, v.sectors, v.bytchk(), v.dpo(), v.vrprotect()),
            (5, 2, 3, true, 0)
        );
        let c = decode_cdb(&[VERIFY, 0x02, 0, 0, 0, 0, 0, 0, 1, 0]).unwrap();
        let ScsiCdb::Verify(v) = c else { panic!() };
        assert_eq!(v.bytchk(), 1);

        let c = decode_cdb(&[SYNCHRONIZE_CACHE, 0x02, 0, 0, 0, 8, 0, 0, 4, 0]).unwrap();
        assert_eq!(
            c,
            ScsiCdb::SynchronizeCache(SyncCacheCdb {
                cdb_size: 10,
                lba: 8,
                sectors: 4,
                immed: true
            })
        );

        let mut ws16 = [0u8; 16];
        ws16[0] = WRITE_SAME_16;
        ws16[1] = 0x08 | 0x10 | 0x01;
        ws16[9] = 3;
        ws16[13] = 2;
        let ScsiCdb::WriteSame(ws) = decode_cdb(&ws16).unwrap() else {
            panic!()
        };
        assert_eq!((ws.lba, ws.sectors, ws.cdb_size), (3, 2, 16));
        assert!(ws.unmap() && ws.anchor() && ws.ndob() && !ws.pbdata() && !ws.lbdata());

        let mut ws32 = [0u8; 32];
        ws32[0] = VARIABLE_LENGTH_CMD;
        ws32[7] = 0x18;
        ws32[9] = 0x0d;
        ws32[10] = 0x08;
        ws32[19] = 0x10;
        ws32[31] = 0x04;
        let ScsiCdb::WriteSame(ws) = decode_cdb(&ws32).unwrap() else {
            panic!()
        };
        assert_eq!(
            (ws.lba, ws.sectors, ws.cdb_size, ws.unmap()),
            (0x10, 4, 32, true)
        );
        // Other 32-byte service actions (READ (32), ...) have no handler.
        ws32[9] = 0x09;
        assert_eq!(
            decode_cdb(&ws32),
            Ok(ScsiCdb::Unsupported {
                opcode: VARIABLE_LENGTH_CMD
            })
        );
    }

    #[test]
    fn spc_fields() {
        assert_eq!(
            decode_cdb(&[INQUIRY, 1, 0x83, 0x01, 0x00, 0]),
            Ok(ScsiCdb::Inquiry {
                evpd: true,
                page_code: 0x83,
                alloc_len: 256
            })
        );
        assert_eq!(
            decode_cdb(&[MODE_SENSE_10, 0x18, 0x7f, 0xff, 0, 0, 0, 0x10, 0, 0]),
            Ok(ScsiCdb::ModeSense(ModeSenseCdb {
                ten: true,
                dbd: true,
                llbaa: true,
                pc: 1,
                page: 0x3f,
                subpage: 0xff,
                alloc_len: 0x1000
            }))
        );
        // LLBAA does not exist in MODE SENSE (6).
        let ScsiCdb::ModeSense(ms) = decode_cdb(&[MODE_SENSE, 0x10, 0x08, 0, 0xff, 0]).unwrap()
        else {
            panic!()
        };
        assert!(!ms.llbaa && !ms.dbd && ms.alloc_len == 255 && ms.page == 8);
        assert_eq!(
            decode_cdb(&[REPORT_LUNS, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
            Ok(ScsiCdb::ReportLuns {
                select_report: 2,
                alloc_len: 256
            })
        );
        assert_eq!(
            decode_cdb(&[MAINTENANCE_IN, 0x0c, 0x82, 0x9e, 0, 0x10, 0, 0, 2, 0, 0, 0]),
            Ok(ScsiCdb::ReportSupportedOpcodes(RsocCdb {
                rctd: true,
                options: 2,
                opcode: 0x9e,
                service_action: 0x10,
                alloc_len: 512
            }))
        );
        assert_eq!(
            decode_cdb(&[MAINTENANCE_IN, 0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]),
            Ok(ScsiCdb::ReportTargetPortGroups {
                extended_header: true,
                alloc_len: 8
            })
        );
        // LIO looks at bit 5 only: formats 011b and 101b have the extended header too.
        for (b1, ext) in [(0x0a, false), (0x4a, false), (0x6a, true), (0xaa, true)] {
            assert_eq!(
                decode_cdb(&[MAINTENANCE_IN, b1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]),
                Ok(ScsiCdb::ReportTargetPortGroups {
                    extended_header: ext,
                    alloc_len: 8
                })
            );
        }
        assert_eq!(
            decode_cdb(&[MAINTENANCE_IN, 0x05, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]),
            Ok(ScsiCdb::Unsupported {
                opcode: MAINTENANCE_IN
            })
        );
        assert_eq!(
            decode_cdb(&[MAINTENANCE_OUT, 0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]),
            Ok(ScsiCdb::Unsupported {
                opcode: MAINTENANCE_OUT
            })
        );
        assert_eq!(
            decode_cdb(&[
                SERVICE_ACTION_IN_16,
                0x12,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                32,
                0,
                0
            ]),
            Ok(ScsiCdb::ServiceActionIn16 {
                service_action: SAI_GET_LBA_STATUS
            })
        );
        assert_eq!(
            decode_cdb(&[LOG_SENSE, 0, 0, 0, 0, 0, 0, 0, 4, 0]),
            Ok(ScsiCdb::Unsupported { opcode: LOG_SENSE })
        );
        assert_eq!(
            decode_cdb(&[RESERVE, 0, 0, 0, 0, 0]),
            Ok(ScsiCdb::Reserve { param_len: None })
        );
    }

    #[test]
    fn accessors_stay_in_bounds() {
        let buf = [1u8, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(get_unaligned_be16(&buf, 6), Some(0x0708));
        assert_eq!(get_unaligned_be16(&buf, 7), None);
        assert_eq!(get_unaligned_be24(&buf, 5), Some(0x060708));
        assert_eq!(get_unaligned_be32(&buf, 5), None);
        assert_eq!(get_unaligned_be64(&buf, 0), Some(0x0102030405060708));
        assert_eq!(get_unaligned_be64(&buf, usize::MAX), None);
        let mut out = [0u8; 3];
        put_unaligned_be32(&mut out, 1, 0xaabbccdd);
        assert_eq!(out, [0, 0xaa, 0xbb]);
        put_unaligned_be64(&mut out, 5, 1);
        put_u8(&mut out, 3, 1);
        or_u8(&mut out, 0, 0x80);
        assert_eq!(out, [0x80, 0xaa, 0xbb]);
    }
}
