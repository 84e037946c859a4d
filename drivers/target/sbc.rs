// SPDX-License-Identifier: GPL-2.0

//! SCSI Block Commands of target_core_mod (LIO's `target_core_sbc.c`): `sbc_parse_cdb()`
//! with its checks (DPO/FUA, protection, LBA range, WRITE SAME, COMPARE AND WRITE, UNMAP
//! availability), the expected transfer length and its residuals (`target_cmd_size_check()`
//! of `target_core_transport.c`), READ CAPACITY (10/16), START STOP UNIT, the UNMAP
//! parameter list, and the compares of COMPARE AND WRITE and VERIFY with BYTCHK. Pure
//! `core` code.

use super::cdb::{
    decode, get_unaligned_be16, get_unaligned_be32, get_unaligned_be64, or_u8, put_bytes, put_u8,
    put_unaligned_be16, put_unaligned_be32, put_unaligned_be64, Cdb, RwCdb, ScsiCdb, StartStopCdb,
    WriteSameCdb,
};
use super::sense::SenseReason;
use super::spc::{
    spc_parse_cdb, DeviceInfo, ExecuteCmd, PortInfo, PAGE_SIZE, TARGET_DIF_TYPE0_PROT,
    TARGET_DIF_TYPE1_PROT, TARGET_DIF_TYPE2_PROT, TARGET_DIF_TYPE3_PROT, TARGET_PROT_DIN_INSERT,
    TARGET_PROT_DIN_PASS, TARGET_PROT_DIN_STRIP, TARGET_PROT_DOUT_INSERT, TARGET_PROT_DOUT_PASS,
    TARGET_PROT_DOUT_STRIP,
};

/// `READ_CAP_LEN`: the READ CAPACITY (10) response.
pub(crate) const READ_CAP_LEN: u32 = 8;
/// The READ CAPACITY (16) response LIO builds.
pub(crate) const READ_CAP16_LEN: usize = 32;

/// `TARGET_DIF_CHECK_GUARD`.
pub(crate) const TARGET_DIF_CHECK_GUARD: u8 = 1 << 0;
/// `TARGET_DIF_CHECK_APPTAG`.
pub(crate) const TARGET_DIF_CHECK_APPTAG: u8 = 1 << 1;
/// `TARGET_DIF_CHECK_REFTAG`.
pub(crate) const TARGET_DIF_CHECK_REFTAG: u8 = 1 << 2;

/// `struct exec_cmd_ops`: which backend operations exist besides `execute_rw`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecCmdOps {
    /// `execute_sync_cache`.
    pub execute_sync_cache: bool,
    /// `execute_write_same`.
    pub execute_write_same: bool,
    /// `execute_unmap`.
    pub execute_unmap: bool,
}

impl ExecCmdOps {
    /// rd_mcp: `execute_rw` only.
    pub const RD_MCP: Self = Self {
        execute_sync_cache: false,
        execute_write_same: false,
        execute_unmap: false,
    };
    /// fileio and iblock: sync cache, write same, unmap.
    pub const FILEIO: Self = Self {
        execute_sync_cache: true,
        execute_write_same: true,
        execute_unmap: true,
    };
}

/// Per-command protection facts from the fabric.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CmdProt {
    /// `cmd->t_prot_sg && cmd->t_prot_nents`: the fabric passed protection SGLs.
    pub(crate) t_prot_sg: bool,
    /// `cmd->prot_pto`: protection pass-through only (tcm_loop with an unprotected command).
    pub(crate) prot_pto: bool,
}

/// What `sbc_check_prot()` sets up on a command that moves protection information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProtSetup {
    /// `cmd->prot_type`.
    pub(crate) prot_type: u8,
    /// `cmd->prot_op` (one `TARGET_PROT_*`).
    pub(crate) prot_op: u8,
    /// `cmd->prot_checks` (`TARGET_DIF_CHECK_*`).
    pub(crate) prot_checks: u8,
    /// `cmd->reftag_seed`.
    pub(crate) reftag_seed: u32,
    /// `cmd->prot_length`.
    pub(crate) prot_length: u32,
    /// With PROTECT set, LIO resets `cmd->data_length` to the data alone.
    pub(crate) data_length: Option<u32>,
}

/// A CDB as `sbc_parse_cdb()` leaves the command: the handler, the transfer length the
/// CDB implies and the `se_cmd` fields it set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParsedCdb {
    /// The decoded CDB (for the handler's fields).
    pub(crate) cdb: ScsiCdb,
    /// `cmd->execute_cmd`.
    pub(crate) execute_cmd: ExecuteCmd,
    /// The `size` handed to `target_cmd_size_check()`; `None` for RESERVE (6) /
    /// RELEASE (6), whose CDB has no length (LIO takes `cmd->data_length`).
    pub(crate) size: Option<u32>,
    /// `cmd->t_task_lba`.
    pub(crate) t_task_lba: u64,
    /// Blocks the command covers (`cmd->t_task_nolb` for COMPARE AND WRITE).
    pub(crate) sectors: u32,
    /// `SCF_SCSI_DATA_CDB`.
    pub(crate) data_cdb: bool,
    /// `SCF_FUA`.
    pub(crate) fua: bool,
    /// `SCF_COMPARE_AND_WRITE`.
    pub(crate) compare_and_write: bool,
    /// `cmd->sam_task_attr = TCM_HEAD_TAG` (INQUIRY, REPORT LUNS).
    pub(crate) head_of_queue: bool,
    /// `sbc_check_prot()`'s setup, for commands with protection information.
    pub(crate) prot: Option<ProtSetup>,
}

impl ParsedCdb {
    /// A parsed command without LBA, data or protection.
    pub(crate) const fn new(cdb: ScsiCdb, execute_cmd: ExecuteCmd, size: Option<u32>) -> Self {
        Self {
            cdb,
            execute_cmd,
            size,
            t_task_lba: 0,
            sectors: 0,
            data_cdb: false,
            fua: false,
            compare_and_write: false,
            head_of_queue: false,
            prot: None,
        }
    }
}

/// `sbc_get_size()`: `block_size * sectors`, in `u32` as LIO computes it (wrapping).
pub(crate) fn sbc_get_size(dev: &DeviceInfo<'_>, sectors: u32) -> u32 {
    dev.block_size.wrapping_mul(sectors)
}

/// `sbc_check_dpofua()`: DPO or FUA on a device that does not advertise them (no WCE or
/// no `emulate_fua_write`) is `TCM_INVALID_CDB_FIELD`. Returns FUA (`SCF_FUA`).
pub(crate) fn sbc_check_dpofua(dev: &DeviceInfo<'_>, flags: u8) -> Result<bool, SenseReason> {
    let fua_ok = dev.target_check_fua();
    if flags & 0x10 != 0 && !fua_ok {
        return Err(SenseReason::InvalidCdbField);
    }
    if flags & 0x08 != 0 {
        if !fua_ok {
            return Err(SenseReason::InvalidCdbField);
        }
        return Ok(true);
    }
    Ok(false)
}

/// `sbc_set_prot_op_checks()`: the protection operation and checks for a PROTECT field.
fn sbc_set_prot_op_checks(
    protect: u8,
    fabric_prot: bool,
    prot_type: u8,
    is_write: bool,
) -> Result<(u8, u8), SenseReason> {
    let type1 = prot_type == TARGET_DIF_TYPE1_PROT;
    let guard_ref = TARGET_DIF_CHECK_GUARD | if type1 { TARGET_DIF_CHECK_REFTAG } else { 0 };
    let ref_only = if type1 { TARGET_DIF_CHECK_REFTAG } else { 0 };
    if is_write {
        let op = if fabric_prot {
            TARGET_PROT_DOUT_STRIP
        } else if protect != 0 {
            TARGET_PROT_DOUT_PASS
        } else {
            TARGET_PROT_DOUT_INSERT
        };
        let checks = match protect {
            0x0 | 0x3 => 0,
            0x1 | 0x5 => guard_ref,
            0x2 => ref_only,
            0x4 => TARGET_DIF_CHECK_GUARD,
            _ => return Err(SenseReason::InvalidCdbField),
        };
        Ok((op, checks))
    } else {
        let op = if fabric_prot {
            TARGET_PROT_DIN_INSERT
        } else if protect != 0 {
            TARGET_PROT_DIN_PASS
        } else {
            TARGET_PROT_DIN_STRIP
        };
        let checks = match protect {
            0x0 | 0x1 | 0x5 => guard_ref,
            0x2 => ref_only,
            0x3 => 0,
            0x4 => TARGET_DIF_CHECK_GUARD,
            _ => return Err(SenseReason::InvalidCdbField),
        };
        Ok((op, checks))
    }
}

/// `sbc_check_prot()`: a PROTECT field (RDPROTECT/WRPROTECT) on a device and session
/// without protection is `TCM_INVALID_CDB_FIELD`; with protection, the setup of the
/// command. `Ok(None)`: the command moves no protection information.
pub(crate) fn sbc_check_prot(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    prot: CmdProt,
    lba: u64,
    protect: u8,
    sectors: u32,
    is_write: bool,
) -> Result<Option<ProtSetup>, SenseReason> {
    if !prot.t_prot_sg {
        if protect != 0 && dev.pi_prot_type == 0 && port.sess_prot_type == 0 {
            return Err(SenseReason::InvalidCdbField);
        }
        if prot.prot_pto {
            return Ok(None);
        }
    }
    let mut pi_prot_type = dev.pi_prot_type;
    let mut fabric_prot = false;
    let reftag_seed = match dev.pi_prot_type {
        TARGET_DIF_TYPE3_PROT => 0xffff_ffff,
        TARGET_DIF_TYPE2_PROT => {
            if protect != 0 {
                return Err(SenseReason::InvalidCdbField);
            }
            lba as u32
        }
        TARGET_DIF_TYPE1_PROT => lba as u32,
        TARGET_DIF_TYPE0_PROT => {
            let ops = port.sup_prot_ops;
            fabric_prot = if is_write {
                ops & (TARGET_PROT_DOUT_PASS | TARGET_PROT_DOUT_STRIP) != 0
            } else {
                ops & (TARGET_PROT_DIN_PASS | TARGET_PROT_DIN_INSERT) != 0
            };
            if fabric_prot && port.sess_prot_type != 0 {
                pi_prot_type = port.sess_prot_type;
                0
            } else if protect == 0 {
                return Ok(None);
            } else {
                return Err(SenseReason::InvalidCdbField);
            }
        }
        _ => return Err(SenseReason::InvalidCdbField),
    };
    let (prot_op, prot_checks) =
        sbc_set_prot_op_checks(protect, fabric_prot, pi_prot_type, is_write)?;
    Ok(Some(ProtSetup {
        prot_type: pi_prot_type,
        prot_op,
        prot_checks,
        reftag_seed,
        prot_length: dev.prot_length.wrapping_mul(sectors),
        data_length: if protect != 0 {
            Some(sbc_get_size(dev, sectors))
        } else {
            None
        },
    }))
}

/// `sbc_get_write_same_sectors()`: NUMBER OF LOGICAL BLOCKS, 0 meaning to the end of the
/// medium.
pub(crate) fn sbc_get_write_same_sectors(dev: &DeviceInfo<'_>, ws: &WriteSameCdb) -> u64 {
    match ws.sectors {
        0 => dev.num_blocks().saturating_sub(ws.lba),
        n => u64::from(n),
    }
}

/// The LBA range check of `sbc_parse_cdb()` / `sbc_setup_write_same()`: a range that wraps
/// or ends past the last block is `TCM_ADDRESS_OUT_OF_RANGE`.
pub(crate) fn sbc_check_lba(
    dev: &DeviceInfo<'_>,
    lba: u64,
    sectors: u64,
) -> Result<(), SenseReason> {
    match lba.checked_add(sectors) {
        Some(end) if end <= dev.num_blocks() => Ok(()),
        _ => Err(SenseReason::AddressOutOfRange),
    }
}

/// `sbc_setup_write_same()`: PBDATA/LBDATA are `TCM_UNSUPPORTED_SCSI_OPCODE`; more blocks
/// than `max_write_same_len` `TCM_INVALID_CDB_FIELD`; then the range; ANCHOR and NDOB
/// `TCM_INVALID_CDB_FIELD`; UNMAP needs the backend's unmap and `emulate_tpws`, else
/// `TCM_UNSUPPORTED_SCSI_OPCODE`; without UNMAP the backend's write same.
pub(crate) fn sbc_setup_write_same(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    ops: &ExecCmdOps,
    prot: CmdProt,
    ws: &WriteSameCdb,
) -> Result<(ExecuteCmd, Option<ProtSetup>), SenseReason> {
    // LIO keeps the count in an `unsigned int`.
    let sectors = sbc_get_write_same_sectors(dev, ws) as u32;
    if ws.pbdata() || ws.lbdata() {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    if sectors > dev.max_write_same_len {
        return Err(SenseReason::InvalidCdbField);
    }
    sbc_check_lba(dev, ws.lba, u64::from(sectors))?;
    if ws.anchor() || ws.ndob() {
        return Err(SenseReason::InvalidCdbField);
    }
    if ws.unmap() {
        if !ops.execute_unmap || !dev.emulate_tpws {
            return Err(SenseReason::UnsupportedScsiOpcode);
        }
        return Ok((ExecuteCmd::ExecuteWriteSameUnmap, None));
    }
    if !ops.execute_write_same {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    let setup = sbc_check_prot(dev, port, prot, ws.lba, ws.wrprotect(), sectors, true)?;
    Ok((ExecuteCmd::ExecuteWriteSame, setup))
}

/// READ/WRITE (10/12/16) and WRITE AND VERIFY: DPO/FUA, then protection.
fn sbc_parse_rw(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    prot: CmdProt,
    cdb: ScsiCdb,
    rw: &RwCdb,
    is_write: bool,
) -> Result<ParsedCdb, SenseReason> {
    let mut parsed = ParsedCdb::new(cdb, ExecuteCmd::ExecuteRw, None);
    parsed.t_task_lba = rw.lba;
    parsed.sectors = rw.sectors;
    parsed.data_cdb = true;
    if rw.cdb_size != 6 {
        parsed.fua = sbc_check_dpofua(dev, rw.flags)?;
        parsed.prot = sbc_check_prot(dev, port, prot, rw.lba, rw.protect(), rw.sectors, is_write)?;
    }
    Ok(parsed)
}

/// `sbc_parse_cdb()` of an emulated (fileio, iblock, rd_mcp) device: checks the CDB
/// (`target_cmd_init_cdb()` length rules included), picks the handler, range checks data
/// commands and computes the transfer length the CDB implies (`size`, to be checked
/// against the fabric's with [`CmdDataLength::target_cmd_size_check`]). Commands that are
/// not SBC go to `spc_parse_cdb()`; anything without a handler is
/// `TCM_UNSUPPORTED_SCSI_OPCODE`.
///
/// lio-rs difference: VERIFY with BYTCHK 01b/11b runs [`ExecuteCmd::Verify`] (LIO: a
/// no-op), BYTCHK 11b expects one block of data, and the reserved BYTCHK 10b is
/// `TCM_INVALID_CDB_FIELD`.
pub(crate) fn sbc_parse_cdb(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    ops: &ExecCmdOps,
    prot: CmdProt,
    cdb: &[u8],
) -> Result<ParsedCdb, SenseReason> {
    use ExecuteCmd as E;
    use ScsiCdb as C;
    let decoded = decode(&Cdb::new(cdb)?)?;
    let mut parsed = match decoded {
        C::Read(rw) => sbc_parse_rw(dev, port, prot, decoded, &rw, false)?,
        C::Write(rw) | C::WriteVerify(rw) => sbc_parse_rw(dev, port, prot, decoded, &rw, true)?,
        C::WriteSame(ws) => {
            if ws.sectors == 0 {
                // WSNZ = 1 is advertised.
                return Err(SenseReason::InvalidCdbField);
            }
            let (execute, setup) = sbc_setup_write_same(dev, port, ops, prot, &ws)?;
            let mut parsed = ParsedCdb::new(decoded, execute, Some(sbc_get_size(dev, 1)));
            parsed.t_task_lba = ws.lba;
            parsed.sectors = ws.sectors;
            parsed.prot = setup;
            return Ok(parsed);
        }
        C::CompareAndWrite(caw) => {
            if !dev.emulate_caw {
                return Err(SenseReason::UnsupportedScsiOpcode);
            }
            // LIO compares and writes a single block at most.
            if caw.nolb > 1 {
                return Err(SenseReason::InvalidCdbField);
            }
            let fua = sbc_check_dpofua(dev, caw.flags)?;
            // Compare and write buffers: twice the blocks; zero blocks is no error.
            let size = sbc_get_size(dev, u32::from(caw.nolb)).wrapping_mul(2);
            let mut parsed = ParsedCdb::new(decoded, E::CompareAndWrite, Some(size));
            parsed.t_task_lba = caw.lba;
            parsed.sectors = u32::from(caw.nolb);
            parsed.fua = fua;
            parsed.data_cdb = true;
            parsed.compare_and_write = true;
            parsed
        }
        C::ReadCapacity { .. } => {
            ParsedCdb::new(decoded, E::EmulateReadCapacity, Some(READ_CAP_LEN))
        }
        C::ReadCapacity16 { alloc_len } => {
            ParsedCdb::new(decoded, E::EmulateReadCapacity16, Some(alloc_len))
        }
        C::ReportReferrals { alloc_len } => {
            ParsedCdb::new(decoded, E::EmulateReportReferrals, Some(alloc_len))
        }
        C::ServiceActionIn16 { .. } => return Err(SenseReason::InvalidCdbField),
        C::SynchronizeCache(sc) => {
            if !ops.execute_sync_cache {
                return Ok(ParsedCdb::new(decoded, E::EmulateNoop, Some(0)));
            }
            // LIO jumps to its LBA check, which also sets size = sectors * block_size.
            let mut parsed = ParsedCdb::new(decoded, E::ExecuteSyncCache, None);
            parsed.t_task_lba = sc.lba;
            parsed.sectors = sc.sectors;
            sbc_check_lba(dev, sc.lba, u64::from(sc.sectors))?;
            parsed.size = Some(sbc_get_size(dev, sc.sectors));
            return Ok(parsed);
        }
        C::Unmap { param_len, .. } => {
            if !ops.execute_unmap || !dev.emulate_tpu {
                return Err(SenseReason::UnsupportedScsiOpcode);
            }
            ParsedCdb::new(decoded, E::ExecuteUnmap, Some(u32::from(param_len)))
        }
        C::Verify(v) => {
            let (execute, size) = match v.bytchk() {
                0 => (E::EmulateNoop, sbc_get_size(dev, v.sectors)),
                1 => (E::Verify { bytchk: 1 }, sbc_get_size(dev, v.sectors)),
                3 => (
                    E::Verify { bytchk: 3 },
                    if v.sectors == 0 { 0 } else { dev.block_size },
                ),
                _ => return Err(SenseReason::InvalidCdbField),
            };
            let mut parsed = ParsedCdb::new(decoded, execute, None);
            parsed.t_task_lba = v.lba;
            parsed.sectors = v.sectors;
            sbc_check_lba(dev, v.lba, u64::from(v.sectors))?;
            parsed.size = Some(size);
            return Ok(parsed);
        }
        C::RezeroUnit | C::Seek { .. } => ParsedCdb::new(decoded, E::EmulateNoop, Some(0)),
        C::StartStop(_) => ParsedCdb::new(decoded, E::EmulateStartStop, Some(0)),
        _ => spc_parse_cdb(dev, &decoded)?,
    };
    if parsed.data_cdb {
        sbc_check_lba(dev, parsed.t_task_lba, u64::from(parsed.sectors))?;
        if !parsed.compare_and_write {
            parsed.size = Some(sbc_get_size(dev, parsed.sectors));
        }
    }
    Ok(parsed)
}

/// `enum dma_data_direction` of a command, from the fabric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DmaDirection {
    /// `DMA_BIDIRECTIONAL`.
    Bidirectional,
    /// `DMA_TO_DEVICE`: data-out (WRITE).
    ToDevice,
    /// `DMA_FROM_DEVICE`: data-in (READ).
    FromDevice,
    /// `DMA_NONE`.
    None,
}

/// `cmd->data_length` with its residual (`residual_count`, `SCF_OVERFLOW_BIT`,
/// `SCF_UNDERFLOW_BIT`; LIO can end up with both bits set, and fabrics test overflow
/// first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CmdDataLength {
    /// `cmd->data_length`: what is transferred.
    pub(crate) data_length: u32,
    /// `cmd->residual_count`.
    pub(crate) residual_count: u32,
    /// `SCF_OVERFLOW_BIT`.
    pub(crate) overflow: bool,
    /// `SCF_UNDERFLOW_BIT`.
    pub(crate) underflow: bool,
}

impl CmdDataLength {
    /// The fabric's expected data transfer length.
    pub(crate) const fn new(data_length: u32) -> Self {
        Self {
            data_length,
            residual_count: 0,
            overflow: false,
            underflow: false,
        }
    }

    /// `target_cmd_size_check()` + `target_check_max_data_sg_nents()`: compares the CDB's
    /// `size` with the fabric's length. Overflow (CDB wants more) keeps the fabric length;
    /// underflow truncates reads to `size`. Writes with a mismatch are refused: data CDBs
    /// with `TCM_INVALID_FIELD_IN_COMMAND_IU`, control CDBs that want more with
    /// `TCM_INVALID_CDB_FIELD`. Then the fabric's `max_data_sg_nents` pages cap the length.
    pub(crate) fn target_cmd_size_check(
        &mut self,
        size: Option<u32>,
        direction: DmaDirection,
        data_cdb: bool,
        max_data_sg_nents: u32,
    ) -> Result<(), SenseReason> {
        let size = size.unwrap_or(self.data_length);
        if size != self.data_length {
            if size > self.data_length {
                self.overflow = true;
                self.residual_count = size - self.data_length;
            } else {
                self.underflow = true;
                self.residual_count = self.data_length - size;
                if direction == DmaDirection::FromDevice {
                    self.data_length = size;
                }
            }
            if direction == DmaDirection::ToDevice {
                if data_cdb {
                    return Err(SenseReason::InvalidFieldInCommandIu);
                }
                if size > self.data_length {
                    return Err(SenseReason::InvalidCdbField);
                }
            }
        }
        self.target_check_max_data_sg_nents(size, max_data_sg_nents);
        Ok(())
    }

    /// `target_check_max_data_sg_nents()`: a fabric limited to `max_data_sg_nents` pages
    /// gets at most that much, the rest as residual.
    fn target_check_max_data_sg_nents(&mut self, size: u32, max_data_sg_nents: u32) {
        if max_data_sg_nents == 0 {
            return;
        }
        // `max_data_sg_nents * PAGE_SIZE` in unsigned long, stored in a u32.
        let mtl = (u64::from(max_data_sg_nents) * u64::from(PAGE_SIZE)) as u32;
        if self.data_length > mtl {
            if self.overflow {
                self.residual_count = size.wrapping_sub(mtl);
            } else if self.underflow {
                let orig_dl = size.wrapping_add(self.residual_count);
                self.residual_count = orig_dl.wrapping_sub(mtl);
            } else {
                self.underflow = true;
                self.residual_count = self.data_length - mtl;
            }
            self.data_length = mtl;
        }
    }

    /// `target_set_cmd_data_length()` (`target_complete_cmd_with_length()` with GOOD): an
    /// emulated response of `length` bytes shorter than the data length is an underflow.
    pub(crate) fn target_set_cmd_data_length(&mut self, length: usize) {
        let length = u32::try_from(length).unwrap_or(u32::MAX);
        if length < self.data_length {
            if self.underflow {
                self.residual_count = self.residual_count.wrapping_add(self.data_length - length);
            } else {
                self.underflow = true;
                self.residual_count = self.data_length - length;
            }
            self.data_length = length;
        }
    }
}

/// `sbc_emulate_readcapacity()`: RETURNED LOGICAL BLOCK ADDRESS (the last LBA, 0xffffffff
/// when it does not fit) and BLOCK LENGTH. PMI = 0 with an LBA is `TCM_INVALID_CDB_FIELD`
/// (SBC-2). Returns 8.
pub(crate) fn sbc_emulate_readcapacity(
    dev: &DeviceInfo<'_>,
    lba: u32,
    pmi: bool,
    buf: &mut [u8],
) -> Result<usize, SenseReason> {
    if !pmi && lba != 0 {
        return Err(SenseReason::InvalidCdbField);
    }
    buf.fill(0);
    let blocks = if dev.last_lba >= 0xffff_ffff {
        0xffff_ffff
    } else {
        dev.last_lba as u32
    };
    put_unaligned_be32(buf, 0, blocks);
    put_unaligned_be32(buf, 4, dev.block_size);
    Ok(READ_CAP_LEN as usize)
}

/// `sbc_emulate_readcapacity_16()`: last LBA, block length, P_TYPE/PROT_EN (protection
/// passed through), LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, LOWEST ALIGNED LBA, LBPME
/// (`emulate_tpu` or `emulate_tpws`) and LBPRZ (and `unmap_zeroes_data`). Returns 32.
pub(crate) fn sbc_emulate_readcapacity_16(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    buf: &mut [u8],
) -> usize {
    buf.fill(0);
    put_unaligned_be64(buf, 0, dev.last_lba);
    put_unaligned_be32(buf, 8, dev.block_size);
    if port.prot_pass() {
        let pi_prot_type = match dev.pi_prot_type {
            0 => port.sess_prot_type,
            t => t,
        };
        if pi_prot_type != 0 {
            put_u8(buf, 12, ((pi_prot_type - 1) << 1) | 0x1);
        }
    }
    put_u8(buf, 13, dev.lbppbe & 0x0f);
    put_unaligned_be16(buf, 14, dev.alignment_offset_lbas);
    if dev.emulate_tpu || dev.emulate_tpws {
        or_u8(buf, 14, 0x80); // LBPME
        if dev.unmap_zeroes_data {
            or_u8(buf, 14, 0x40); // LBPRZ
        }
    }
    READ_CAP16_LEN
}

/// `sbc_emulate_startstop()`: only IMMED = 1, START = 1 with nothing else is accepted
/// (no power conditions, no LOEJ, no NO_FLUSH); anything else `TCM_INVALID_CDB_FIELD`.
pub(crate) fn sbc_emulate_startstop(cdb: &StartStopCdb) -> Result<(), SenseReason> {
    if !cdb.immed || cdb.byte2 != 0 || cdb.byte3 != 0 {
        return Err(SenseReason::InvalidCdbField);
    }
    if (cdb.byte4 >> 4) & 0xf != 0 {
        return Err(SenseReason::InvalidCdbField);
    }
    if cdb.byte4 & 1 == 0 || cdb.byte4 & 2 != 0 || cdb.byte4 & 4 != 0 {
        return Err(SenseReason::InvalidCdbField);
    }
    Ok(())
}

/// `sbc_execute_unmap()`: walks the UNMAP parameter list (`param`, `cmd->data_length`
/// bytes) and calls `execute_unmap(lba, range)` for each non-empty block descriptor, in
/// order, stopping at the first error as LIO does (earlier ranges stay unmapped). CDB byte
/// 1 set (ANCHOR) is `TCM_INVALID_CDB_FIELD`; an empty list is GOOD; fewer than 8 bytes
/// `TCM_PARAMETER_LIST_LENGTH_ERROR`; a BLOCK DESCRIPTOR DATA LENGTH larger than the data
/// is ignored; more descriptors than `max_unmap_block_desc_count` or a range over
/// `max_unmap_lba_count` `TCM_INVALID_PARAMETER_LIST`; a range past the end
/// `TCM_ADDRESS_OUT_OF_RANGE`.
pub(crate) fn sbc_execute_unmap<F>(
    dev: &DeviceInfo<'_>,
    cdb_byte1: u8,
    param: &[u8],
    execute_unmap: F,
) -> Result<(), SenseReason>
where
    F: FnMut(u64, u32) -> Result<(), SenseReason>,
{
    let read = |off: usize, dst: &mut [u8]| {
        dst.fill(0);
        put_bytes(dst, 0, param.get(off..).unwrap_or(&[]));
    };
    sbc_execute_unmap_from(dev, cdb_byte1, param.len(), read, execute_unmap)
}

/// [`sbc_execute_unmap`] over a parameter list of `data_length` bytes that is read piece
/// by piece: `read(off, dst)` fills `dst` with the bytes at `off` (the header, then one
/// 16-byte descriptor at a time), so a scatterlist needs no contiguous copy.
pub(crate) fn sbc_execute_unmap_from<R, F>(
    dev: &DeviceInfo<'_>,
    cdb_byte1: u8,
    data_length: usize,
    mut read: R,
    mut execute_unmap: F,
) -> Result<(), SenseReason>
where
    R: FnMut(usize, &mut [u8]),
    F: FnMut(u64, u32) -> Result<(), SenseReason>,
{
    if cdb_byte1 != 0 {
        return Err(SenseReason::InvalidCdbField);
    }
    if data_length == 0 {
        return Ok(());
    }
    if data_length < 8 {
        return Err(SenseReason::ParameterListLengthError);
    }
    let mut header = [0u8; 8];
    read(0, &mut header);
    let bd_dl = usize::from(get_unaligned_be16(&header, 2).unwrap_or(0));
    let size = (data_length - 8).min(bd_dl);
    if size / 16 > dev.max_unmap_block_desc_count as usize {
        return Err(SenseReason::InvalidParameterList);
    }
    for i in 0..size / 16 {
        let mut desc = [0u8; 16];
        read(8 + 16 * i, &mut desc);
        let lba = get_unaligned_be64(&desc, 0).unwrap_or(0);
        let range = get_unaligned_be32(&desc, 8).unwrap_or(0);
        if range > dev.max_unmap_lba_count {
            return Err(SenseReason::InvalidParameterList);
        }
        sbc_check_lba(dev, lba, u64::from(range))?;
        if range != 0 {
            execute_unmap(lba, range)?;
        }
    }
    Ok(())
}

/// `compare_and_write_do_cmp()`: the offset of the first byte where the medium (`read`)
/// and the verify half of the data-out buffer (`cmp`) differ — the INFORMATION field of
/// the MISCOMPARE sense (`cmd->sense_info`). Only the common length is compared.
pub(crate) fn sbc_compare(read: &[u8], cmp: &[u8]) -> Option<u64> {
    read.iter()
        .zip(cmp)
        .position(|(a, b)| a != b)
        .map(|off| off as u64)
}

/// VERIFY with BYTCHK (lio-rs; LIO ignores BYTCHK): compares `read`, the medium's bytes
/// starting `read_off` bytes into the verified range (so a backend can verify chunk by
/// chunk), with the data-out buffer: BYTCHK 01b byte for byte, 11b against its single
/// block repeated. Returns the offset into the data-out buffer of the first byte that
/// differs, for `TCM_MISCOMPARE_VERIFY` with that INFORMATION; data-out bytes missing
/// count as different.
pub(crate) fn sbc_verify_compare(
    bytchk: u8,
    block_size: u32,
    data_out: &[u8],
    read: &[u8],
    read_off: u64,
) -> Option<u64> {
    let block_size = u64::from(block_size);
    for (i, &medium) in read.iter().enumerate() {
        let pos = read_off.saturating_add(i as u64);
        let off = if bytchk == 3 {
            pos.checked_rem(block_size).unwrap_or(pos)
        } else {
            pos
        };
        let expected = usize::try_from(off).ok().and_then(|o| data_out.get(o));
        if expected != Some(&medium) {
            return Some(off);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::cdb::{
        COMPARE_AND_WRITE, INQUIRY, READ_10, READ_16, READ_6, READ_CAPACITY, SERVICE_ACTION_IN_16,
        START_STOP, SYNCHRONIZE_CACHE, UNMAP, VARIABLE_LENGTH_CMD, VERIFY, VERIFY_16, WRITE_10,
        WRITE_16, WRITE_6, WRITE_SAME, WRITE_SAME_16, WRITE_VERIFY,
    };
    use super::super::spc::{
        se_dev_align_max_sectors, TgPtGp, SCSI_PROTOCOL_SAS, TPGS_EXPLICIT_ALUA, TPGS_IMPLICIT_ALUA,
    };
    use super::*;
    use std::vec::Vec;

    const SG_READCAP: &str =
        include_str!("../../tools/testing/baseline/c/tcm_loop-rd_mcp/probes/sg_readcap_l.txt");

    /// The baseline's 64 MiB rd_mcp LUN: 131072 blocks of 512 bytes.
    fn rd0() -> DeviceInfo<'static> {
        let mut dev = DeviceInfo::new(
            b"LIO-ORG",
            b"rd0",
            b"4.0",
            512,
            131_071,
            se_dev_align_max_sectors(u32::MAX, 512),
        );
        dev.is_nonrot = true;
        dev
    }

    /// A fileio LUN as LIO configures one (write same up to 0x1000 blocks, UNMAP limits).
    fn fileio() -> DeviceInfo<'static> {
        let mut dev = rd0();
        dev.max_write_same_len = 0x1000;
        dev.max_unmap_lba_count = 0x2000;
        dev.max_unmap_block_desc_count = 1;
        dev
    }

    fn tcm_loop() -> PortInfo<'static> {
        PortInfo {
            proto_id: SCSI_PROTOCOL_SAS,
            tpg_rtpi: 0,
            tpgt: 1,
            tpg_wwn: b"naa.50014050aabbccdd",
            tg_pt_gp: Some(TgPtGp {
                tg_pt_gp_id: 0,
                alua_access_type: TPGS_IMPLICIT_ALUA | TPGS_EXPLICIT_ALUA,
                ..TgPtGp::DEFAULT
            }),
            lun_access_ro: false,
            max_data_sg_nents: 0,
            sup_prot_ops: TARGET_PROT_DIN_PASS | TARGET_PROT_DOUT_PASS,
            sess_prot_type: 0,
        }
    }

    fn parse(dev: &DeviceInfo<'_>, ops: ExecCmdOps, cdb: &[u8]) -> Result<ParsedCdb, SenseReason> {
        sbc_parse_cdb(dev, &tcm_loop(), &ops, CmdProt::default(), cdb)
    }

    fn rd(cdb: &[u8]) -> Result<ParsedCdb, SenseReason> {
        parse(&rd0(), ExecCmdOps::RD_MCP, cdb)
    }

    fn cdb10(op: u8, flags: u8, lba: u32, len: u16) -> [u8; 10] {
        let l = lba.to_be_bytes();
        let n = len.to_be_bytes();
        [op, flags, l[0], l[1], l[2], l[3], 0, n[0], n[1], 0]
    }

    fn cdb16(op: u8, flags: u8, lba: u64, len: u32) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[0] = op;
        c[1] = flags;
        c[2..10].copy_from_slice(&lba.to_be_bytes());
        c[10..14].copy_from_slice(&len.to_be_bytes());
        c
    }

    fn probe_value(label: &str) -> u64 {
        let start = SG_READCAP.find(label).unwrap() + label.len();
        let digits: std::string::String = SG_READCAP[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().unwrap()
    }

    #[test]
    fn read_capacity_16_matches_sg_readcap() {
        let mut buf = [0xeeu8; 32];
        assert_eq!(
            sbc_emulate_readcapacity_16(&rd0(), &tcm_loop(), &mut buf),
            32
        );
        let be64 = u64::from_be_bytes(buf[..8].try_into().unwrap());
        let be32 = u32::from_be_bytes(buf[8..12].try_into().unwrap());
        assert_eq!(probe_value("Last LBA="), be64);
        assert_eq!(probe_value("Number of logical blocks="), be64 + 1);
        assert_eq!(probe_value("Logical block length="), u64::from(be32));
        assert_eq!(probe_value("prot_en="), u64::from(buf[12] & 1));
        assert_eq!(probe_value("p_type="), u64::from((buf[12] >> 1) & 7));
        assert_eq!(probe_value("p_i_exponent="), u64::from(buf[13] >> 4));
        assert_eq!(probe_value("lbpme="), u64::from(buf[14] >> 7));
        assert_eq!(probe_value("lbprz="), u64::from((buf[14] >> 6) & 1));
        assert_eq!(
            probe_value("Logical blocks per physical block exponent="),
            u64::from(buf[13] & 0xf)
        );
        assert_eq!(
            probe_value("Lowest aligned LBA="),
            u64::from(u16::from_be_bytes([buf[14], buf[15]]) & 0x3fff)
        );
        assert_eq!(probe_value("Device size: "), (be64 + 1) * u64::from(be32));
        let mut want = [0u8; 32];
        want[..12].copy_from_slice(&[0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 2, 0]);
        assert_eq!(buf, want);
    }

    #[test]
    fn read_capacity_16_provisioning_protection_geometry() {
        let mut dev = rd0();
        dev.emulate_tpws = true;
        dev.unmap_zeroes_data = true;
        dev.lbppbe = 3;
        dev.alignment_offset_lbas = 0x0102;
        dev.pi_prot_type = 3;
        let mut buf = [0u8; 32];
        sbc_emulate_readcapacity_16(&dev, &tcm_loop(), &mut buf);
        assert_eq!(&buf[12..16], &[0x05, 0x03, 0xc1, 0x02]);
        // A session without PI pass: no P_TYPE/PROT_EN; a session PI type on a plain device.
        let mut port = tcm_loop();
        port.sup_prot_ops = 0;
        sbc_emulate_readcapacity_16(&dev, &port, &mut buf);
        assert_eq!(buf[12], 0);
        let mut port = tcm_loop();
        port.sess_prot_type = 1;
        sbc_emulate_readcapacity_16(&rd0(), &port, &mut buf);
        assert_eq!(buf[12], 0x01);
        // Allocation length 12 (libiscsi's ReadCapacity16.Alloclen style): a prefix.
        let mut short = [0u8; 12];
        assert_eq!(
            sbc_emulate_readcapacity_16(&rd0(), &tcm_loop(), &mut short),
            32
        );
        assert_eq!(short, [0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 2, 0]);
    }

    #[test]
    fn read_capacity_10() {
        let mut buf = [0u8; 8];
        assert_eq!(sbc_emulate_readcapacity(&rd0(), 0, false, &mut buf), Ok(8));
        assert_eq!(buf, [0, 1, 0xff, 0xff, 0, 0, 2, 0]);
        assert_eq!(
            sbc_emulate_readcapacity(&rd0(), 5, false, &mut buf),
            Err(SenseReason::InvalidCdbField)
        );
        assert_eq!(sbc_emulate_readcapacity(&rd0(), 5, true, &mut buf), Ok(8));
        let mut big = rd0();
        big.last_lba = 0xffff_ffff;
        sbc_emulate_readcapacity(&big, 0, false, &mut buf).unwrap();
        assert_eq!(&buf[..4], &[0xff; 4]);
        big.last_lba = 1 << 40;
        sbc_emulate_readcapacity(&big, 0, false, &mut buf).unwrap();
        assert_eq!(&buf[..4], &[0xff; 4]);
        let p = rd(&[READ_CAPACITY, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::EmulateReadCapacity, Some(8))
        );
        let mut c = cdb16(SERVICE_ACTION_IN_16, 0x10, 0, 32);
        let p = rd(&c).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::EmulateReadCapacity16, Some(32))
        );
        c[1] = 0x12; // GET LBA STATUS: not emulated, INVALID FIELD as LIO
        assert_eq!(rd(&c), Err(SenseReason::InvalidCdbField));
    }

    #[test]
    fn lba_range_and_transfer_length() {
        // Last block, and one past it.
        let p = rd(&cdb10(READ_10, 0, 131_071, 1)).unwrap();
        assert_eq!(
            (p.t_task_lba, p.sectors, p.size, p.data_cdb),
            (131_071, 1, Some(512), true)
        );
        assert_eq!(
            rd(&cdb10(READ_10, 0, 131_071, 2)),
            Err(SenseReason::AddressOutOfRange)
        );
        assert_eq!(
            rd(&cdb10(WRITE_10, 0, 0xffff_ffff, 1)),
            Err(SenseReason::AddressOutOfRange)
        );
        // A 64-bit LBA that wraps.
        assert_eq!(
            rd(&cdb16(READ_16, 0, u64::MAX, 2)),
            Err(SenseReason::AddressOutOfRange)
        );
        assert_eq!(
            rd(&cdb16(WRITE_16, 0, 0, u32::MAX)),
            Err(SenseReason::AddressOutOfRange)
        );
        // Zero blocks: no data, even at the end of the medium (LIO checks lba + 0).
        let p = rd(&cdb10(READ_10, 0, 131_072, 0)).unwrap();
        assert_eq!(p.size, Some(0));
        assert_eq!(
            rd(&cdb10(READ_10, 0, 131_073, 0)),
            Err(SenseReason::AddressOutOfRange)
        );
        // READ (6): 0 blocks is 256.
        let p = rd(&[READ_6, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((p.sectors, p.size), (256, Some(256 * 512)));
        let p = rd(&[WRITE_6, 0x01, 0xff, 0x00, 1, 0]).unwrap();
        assert_eq!(
            (p.t_task_lba, p.execute_cmd),
            (0x1ff00, ExecuteCmd::ExecuteRw)
        );
        assert_eq!(
            rd(&[READ_6, 0x1f, 0xff, 0xff, 1, 0]),
            Err(SenseReason::AddressOutOfRange)
        );
        // Huge devices: the u32 byte count wraps as in LIO, without panicking.
        let mut huge = rd0();
        huge.last_lba = u64::MAX - 1;
        let p = parse(&huge, ExecCmdOps::RD_MCP, &cdb16(READ_16, 0, 0, u32::MAX)).unwrap();
        assert_eq!(p.size, Some(512u32.wrapping_mul(u32::MAX)));
    }

    #[test]
    fn dpo_fua_and_protect_fields() {
        for flags in [0x08, 0x10, 0x18] {
            assert_eq!(
                rd(&cdb10(READ_10, flags, 0, 1)),
                Err(SenseReason::InvalidCdbField)
            );
            assert_eq!(
                rd(&cdb16(WRITE_16, flags, 0, 1)),
                Err(SenseReason::InvalidCdbField)
            );
        }
        let mut wce = rd0();
        wce.emulate_write_cache = true;
        let p = parse(&wce, ExecCmdOps::RD_MCP, &cdb10(WRITE_10, 0x18, 0, 1)).unwrap();
        assert!(p.fua);
        let p = parse(&wce, ExecCmdOps::RD_MCP, &cdb10(WRITE_10, 0x10, 0, 1)).unwrap();
        assert!(!p.fua);
        // RDPROTECT/WRPROTECT without PI.
        for protect in 1..8u8 {
            assert_eq!(
                rd(&cdb10(READ_10, protect << 5, 0, 1)),
                Err(SenseReason::InvalidCdbField)
            );
            assert_eq!(
                rd(&cdb10(WRITE_VERIFY, protect << 5, 0, 1)),
                Err(SenseReason::InvalidCdbField)
            );
        }
        // The 6-byte CDBs have no flags: byte 1 is LBA.
        assert!(rd(&[READ_6, 0xe0, 0, 0, 1, 0]).is_ok());
    }

    #[test]
    fn protection_setup() {
        let mut dev = rd0();
        dev.pi_prot_type = 1;
        dev.prot_length = 8;
        let port = tcm_loop();
        let prot = CmdProt {
            t_prot_sg: true,
            prot_pto: false,
        };
        let p = sbc_parse_cdb(
            &dev,
            &port,
            &ExecCmdOps::RD_MCP,
            prot,
            &cdb10(READ_10, 0x20, 7, 2),
        )
        .unwrap();
        assert_eq!(
            p.prot,
            Some(ProtSetup {
                prot_type: 1,
                prot_op: TARGET_PROT_DIN_PASS,
                prot_checks: TARGET_DIF_CHECK_GUARD | TARGET_DIF_CHECK_REFTAG,
                reftag_seed: 7,
                prot_length: 16,
                data_length: Some(1024),
            })
        );
        let p = sbc_parse_cdb(
            &dev,
            &port,
            &ExecCmdOps::RD_MCP,
            prot,
            &cdb10(WRITE_10, 0, 7, 2),
        )
        .unwrap();
        let setup = p.prot.unwrap();
        assert_eq!(
            (setup.prot_op, setup.prot_checks, setup.data_length),
            (TARGET_PROT_DOUT_INSERT, 0, None)
        );
        assert_eq!(
            sbc_parse_cdb(
                &dev,
                &port,
                &ExecCmdOps::RD_MCP,
                prot,
                &cdb10(WRITE_10, 0xc0, 7, 2)
            ),
            Err(SenseReason::InvalidCdbField)
        );
        dev.pi_prot_type = 3;
        let s = sbc_check_prot(&dev, &port, prot, 7, 2, 1, false)
            .unwrap()
            .unwrap();
        assert_eq!((s.reftag_seed, s.prot_checks), (0xffff_ffff, 0));
        dev.pi_prot_type = 2;
        assert_eq!(
            sbc_check_prot(&dev, &port, prot, 7, 1, 1, false),
            Err(SenseReason::InvalidCdbField)
        );
        // Fabric PI on a plain device (sess_prot_type): strip on write, insert on read.
        let mut port = tcm_loop();
        port.sess_prot_type = 1;
        let s = sbc_check_prot(&rd0(), &port, prot, 7, 0, 1, true)
            .unwrap()
            .unwrap();
        assert_eq!((s.prot_type, s.prot_op), (1, TARGET_PROT_DOUT_STRIP));
        // Pass-through only without protection SGLs: nothing to set up.
        let pto = CmdProt {
            t_prot_sg: false,
            prot_pto: true,
        };
        assert_eq!(
            sbc_check_prot(&rd0(), &tcm_loop(), pto, 0, 0, 1, true),
            Ok(None)
        );
    }

    #[test]
    fn write_same_checks() {
        let ws10 = |flags: u8, lba: u32, n: u16| cdb10(WRITE_SAME, flags, lba, n);
        // WSNZ: zero blocks refused first.
        assert_eq!(rd(&ws10(0, 0, 0)), Err(SenseReason::InvalidCdbField));
        // rd_mcp: max_write_same_len 0 and no write same op.
        assert_eq!(rd(&ws10(0, 0, 1)), Err(SenseReason::InvalidCdbField));
        assert_eq!(
            rd(&ws10(0x02, 0, 1)),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
        let f = |cdb: &[u8]| parse(&fileio(), ExecCmdOps::FILEIO, cdb);
        let p = f(&ws10(0, 10, 8)).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size, p.t_task_lba, p.sectors, p.data_cdb),
            (ExecuteCmd::ExecuteWriteSame, Some(512), 10, 8, false)
        );
        assert_eq!(
            f(&ws10(0x04, 0, 1)),
            Err(SenseReason::UnsupportedScsiOpcode)
        ); // PBDATA
        assert_eq!(f(&ws10(0, 0, 0x1001)), Err(SenseReason::InvalidCdbField));
        assert_eq!(f(&ws10(0, 131_070, 4)), Err(SenseReason::AddressOutOfRange));
        assert_eq!(f(&ws10(0x10, 0, 1)), Err(SenseReason::InvalidCdbField)); // ANCHOR
        assert_eq!(
            f(&cdb16(WRITE_SAME_16, 0x01, 0, 1)),
            Err(SenseReason::InvalidCdbField)
        ); // NDOB
           // UNMAP needs emulate_tpws and an unmap op.
        assert_eq!(
            f(&ws10(0x08, 0, 1)),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
        let mut tpws = fileio();
        tpws.emulate_tpws = true;
        let p = parse(&tpws, ExecCmdOps::FILEIO, &cdb16(WRITE_SAME_16, 0x08, 5, 3)).unwrap();
        assert_eq!(p.execute_cmd, ExecuteCmd::ExecuteWriteSameUnmap);
        assert_eq!(
            parse(&tpws, ExecCmdOps::RD_MCP, &cdb16(WRITE_SAME_16, 0x08, 5, 3)),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
        // WRITE SAME (32): flags in byte 10, LBA 12-19, blocks 28-31.
        let mut ws32 = [0u8; 32];
        ws32[0] = VARIABLE_LENGTH_CMD;
        ws32[7] = 0x18;
        ws32[9] = 0x0d;
        ws32[19] = 4;
        ws32[31] = 2;
        let p = f(&ws32).unwrap();
        assert_eq!((p.t_task_lba, p.sectors), (4, 2));
        ws32[31] = 0;
        assert_eq!(f(&ws32), Err(SenseReason::InvalidCdbField));
        ws32[9] = 0x09; // READ (32)
        assert_eq!(f(&ws32), Err(SenseReason::UnsupportedScsiOpcode));
        let ws = WriteSameCdb {
            cdb_size: 16,
            lba: 100,
            sectors: 0,
            flags: 0,
        };
        assert_eq!(sbc_get_write_same_sectors(&rd0(), &ws), 131_072 - 100);
    }

    #[test]
    fn compare_and_write_checks() {
        let p = rd(&cdb16(COMPARE_AND_WRITE, 0, 9, 0)).unwrap();
        assert_eq!(p.size, Some(0));
        let mut c = cdb16(COMPARE_AND_WRITE, 0, 9, 0);
        c[13] = 1;
        let p = rd(&c).unwrap();
        assert_eq!(
            (
                p.execute_cmd,
                p.size,
                p.sectors,
                p.compare_and_write,
                p.data_cdb
            ),
            (ExecuteCmd::CompareAndWrite, Some(1024), 1, true, true)
        );
        c[13] = 2;
        assert_eq!(rd(&c), Err(SenseReason::InvalidCdbField));
        c[13] = 1;
        c[1] = 0x08;
        assert_eq!(rd(&c), Err(SenseReason::InvalidCdbField));
        c[1] = 0;
        c[2..10].copy_from_slice(&131_072u64.to_be_bytes());
        assert_eq!(rd(&c), Err(SenseReason::AddressOutOfRange));
        let mut no_caw = rd0();
        no_caw.emulate_caw = false;
        assert_eq!(
            parse(
                &no_caw,
                ExecCmdOps::RD_MCP,
                &cdb16(COMPARE_AND_WRITE, 0, 0, 0)
            ),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
    }

    #[test]
    fn sync_cache_verify_unmap_start_stop_dispatch() {
        // rd_mcp: SYNCHRONIZE CACHE is a no-op, no range check; fileio runs it with one.
        let p = rd(&cdb10(SYNCHRONIZE_CACHE, 0, 0xffff_0000, 8)).unwrap();
        assert_eq!((p.execute_cmd, p.size), (ExecuteCmd::EmulateNoop, Some(0)));
        let f = |cdb: &[u8]| parse(&fileio(), ExecCmdOps::FILEIO, cdb);
        let p = f(&cdb10(SYNCHRONIZE_CACHE, 0, 0, 8)).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::ExecuteSyncCache, Some(4096))
        );
        assert_eq!(
            f(&cdb10(SYNCHRONIZE_CACHE, 0, 131_070, 8)),
            Err(SenseReason::AddressOutOfRange)
        );
        // VERIFY: LIO expects blocks * block size; BYTCHK picks the lio-rs compare.
        let p = rd(&cdb10(VERIFY, 0, 0, 4)).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size, p.data_cdb),
            (ExecuteCmd::EmulateNoop, Some(2048), false)
        );
        let p = rd(&cdb10(VERIFY, 0x02, 0, 4)).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::Verify { bytchk: 1 }, Some(2048))
        );
        let p = rd(&cdb16(VERIFY_16, 0x06, 0, 4)).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::Verify { bytchk: 3 }, Some(512))
        );
        let p = rd(&cdb16(VERIFY_16, 0x06, 0, 0)).unwrap();
        assert_eq!(p.size, Some(0));
        assert_eq!(
            rd(&cdb10(VERIFY, 0x04, 0, 4)),
            Err(SenseReason::InvalidCdbField)
        );
        assert_eq!(
            rd(&cdb10(VERIFY, 0, 131_071, 2)),
            Err(SenseReason::AddressOutOfRange)
        );
        // LIO ignores DPO and VRPROTECT on VERIFY.
        assert!(rd(&cdb10(VERIFY, 0x10 | 0x20, 0, 1)).is_ok());
        // UNMAP needs an unmap op and emulate_tpu.
        let unmap = cdb10(UNMAP, 0, 0, 24);
        assert_eq!(rd(&unmap), Err(SenseReason::UnsupportedScsiOpcode));
        assert_eq!(f(&unmap), Err(SenseReason::UnsupportedScsiOpcode));
        let mut tpu = fileio();
        tpu.emulate_tpu = true;
        let p = parse(&tpu, ExecCmdOps::FILEIO, &unmap).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::ExecuteUnmap, Some(24))
        );
        let p = rd(&[START_STOP, 1, 0, 0, 1, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::EmulateStartStop, Some(0))
        );
        // SPC commands fall through to spc_parse_cdb().
        let p = rd(&[INQUIRY, 0, 0, 0, 96, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.head_of_queue),
            (ExecuteCmd::EmulateInquiry, true)
        );
        for cdb in [
            &[0x01u8, 0, 0, 0, 0, 0][..],
            &[0x0b, 0, 0, 0, 0, 0],
            &cdb10(0x2b, 0, 9, 0),
        ] {
            assert_eq!(rd(cdb).unwrap().execute_cmd, ExecuteCmd::EmulateNoop);
        }
        for op in [0x04u8, 0x37, 0x3c, 0x34, 0xaf, 0xae, 0x1e, 0xe7, 0xff] {
            let mut cdb = [0u8; 16];
            cdb[0] = op;
            assert_eq!(
                rd(&cdb),
                Err(SenseReason::UnsupportedScsiOpcode),
                "op {op:#x}"
            );
        }
    }

    #[test]
    fn start_stop_unit() {
        let ss = |b1: u8, b2: u8, b3: u8, b4: u8| {
            sbc_emulate_startstop(&StartStopCdb {
                immed: b1 & 1 != 0,
                byte2: b2,
                byte3: b3,
                byte4: b4,
            })
        };
        assert_eq!(ss(1, 0, 0, 1), Ok(()));
        for (b1, b2, b3, b4) in [
            (0, 0, 0, 1),    // IMMED = 0
            (1, 1, 0, 1),    // reserved byte
            (1, 0, 1, 1),    // POWER CONDITION MODIFIER
            (1, 0, 0, 0x11), // POWER CONDITION
            (1, 0, 0, 0),    // STOP
            (1, 0, 0, 3),    // LOEJ
            (1, 0, 0, 5),    // NO_FLUSH
        ] {
            assert_eq!(ss(b1, b2, b3, b4), Err(SenseReason::InvalidCdbField));
        }
    }

    fn unmap_list(descs: &[(u64, u32)], bd_dl: Option<u16>) -> Vec<u8> {
        let bd = (descs.len() * 16) as u16;
        let mut p = Vec::new();
        p.extend_from_slice(&(bd + 6).to_be_bytes());
        p.extend_from_slice(&bd_dl.unwrap_or(bd).to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        for &(lba, n) in descs {
            p.extend_from_slice(&lba.to_be_bytes());
            p.extend_from_slice(&n.to_be_bytes());
            p.extend_from_slice(&[0; 4]);
        }
        p
    }

    fn unmap(
        dev: &DeviceInfo<'_>,
        byte1: u8,
        param: &[u8],
    ) -> (Result<(), SenseReason>, Vec<(u64, u32)>) {
        let mut done = Vec::new();
        let r = sbc_execute_unmap(dev, byte1, param, |lba, n| {
            done.push((lba, n));
            Ok(())
        });
        (r, done)
    }

    #[test]
    fn unmap_parameter_list() {
        let mut dev = fileio();
        dev.max_unmap_block_desc_count = 4;
        let p = unmap_list(&[(0, 8), (100, 0), (131_064, 8)], None);
        assert_eq!(
            unmap(&dev, 0, &p),
            (Ok(()), std::vec![(0, 8), (131_064, 8)])
        );
        assert_eq!(unmap(&dev, 0x01, &p).0, Err(SenseReason::InvalidCdbField));
        assert_eq!(unmap(&dev, 0, &[]), (Ok(()), Vec::new()));
        assert_eq!(
            unmap(&dev, 0, &p[..7]).0,
            Err(SenseReason::ParameterListLengthError)
        );
        // Header only, or a trailing partial descriptor: nothing / the whole ones.
        assert_eq!(unmap(&dev, 0, &p[..8]), (Ok(()), Vec::new()));
        assert_eq!(unmap(&dev, 0, &p[..8 + 16 + 5]).1, std::vec![(0, 8)]);
        // BLOCK DESCRIPTOR DATA LENGTH shorter than the data limits it, longer is ignored.
        let short = unmap_list(&[(0, 8), (16, 8)], Some(16));
        assert_eq!(unmap(&dev, 0, &short).1, std::vec![(0, 8)]);
        let long = unmap_list(&[(0, 8)], Some(0xfff0));
        assert_eq!(unmap(&dev, 0, &long).1, std::vec![(0, 8)]);
        // Limits: descriptors, blocks per descriptor, the end of the medium (earlier
        // descriptors are already unmapped, as in LIO).
        let five = unmap_list(&[(0, 1); 5], None);
        assert_eq!(
            unmap(&dev, 0, &five),
            (Err(SenseReason::InvalidParameterList), Vec::new())
        );
        let big = unmap_list(&[(0, 8), (8, 0x2001)], None);
        assert_eq!(
            unmap(&dev, 0, &big),
            (Err(SenseReason::InvalidParameterList), std::vec![(0, 8)])
        );
        let past = unmap_list(&[(131_071, 2)], None);
        assert_eq!(unmap(&dev, 0, &past).0, Err(SenseReason::AddressOutOfRange));
        let wrap = unmap_list(&[(u64::MAX, 2)], None);
        assert_eq!(unmap(&dev, 0, &wrap).0, Err(SenseReason::AddressOutOfRange));
        // A backend error stops the walk.
        let r = sbc_execute_unmap(&dev, 0, &p, |_, _| {
            Err(SenseReason::LogicalUnitCommunicationFailure)
        });
        assert_eq!(r, Err(SenseReason::LogicalUnitCommunicationFailure));
    }

    #[test]
    fn size_check_residuals() {
        use DmaDirection::*;
        // INQUIRY allocation 255, fabric 255, 96-byte answer: underflow 159.
        let mut l = CmdDataLength::new(255);
        l.target_cmd_size_check(Some(255), FromDevice, false, 0)
            .unwrap();
        l.target_set_cmd_data_length(96);
        assert_eq!(
            l,
            CmdDataLength {
                data_length: 96,
                residual_count: 159,
                overflow: false,
                underflow: true
            }
        );
        // CDB asks more than the fabric: overflow kept, then a short answer sets both.
        let mut l = CmdDataLength::new(100);
        l.target_cmd_size_check(Some(255), FromDevice, false, 0)
            .unwrap();
        assert_eq!(
            l,
            CmdDataLength {
                data_length: 100,
                residual_count: 155,
                overflow: true,
                underflow: false
            }
        );
        l.target_set_cmd_data_length(96);
        assert_eq!(
            l,
            CmdDataLength {
                data_length: 96,
                residual_count: 4,
                overflow: true,
                underflow: true
            }
        );
        // Read underflow truncates and accumulates with a short answer.
        let mut l = CmdDataLength::new(512);
        l.target_cmd_size_check(Some(128), FromDevice, false, 0)
            .unwrap();
        l.target_set_cmd_data_length(100);
        assert_eq!(
            l,
            CmdDataLength {
                data_length: 100,
                residual_count: 412,
                overflow: false,
                underflow: true
            }
        );
        // Writes: data CDBs must match; control CDBs may carry more, never less.
        let mut l = CmdDataLength::new(1024);
        assert_eq!(
            l.target_cmd_size_check(Some(512), ToDevice, true, 0),
            Err(SenseReason::InvalidFieldInCommandIu)
        );
        let mut l = CmdDataLength::new(24);
        assert_eq!(
            l.target_cmd_size_check(Some(32), ToDevice, false, 0),
            Err(SenseReason::InvalidCdbField)
        );
        let mut l = CmdDataLength::new(32);
        l.target_cmd_size_check(Some(24), ToDevice, false, 0)
            .unwrap();
        assert_eq!(
            (l.data_length, l.residual_count, l.underflow),
            (32, 8, true)
        );
        // No data with a CDB that implies some (LIO's SYNCHRONIZE CACHE / VERIFY).
        let mut l = CmdDataLength::new(0);
        l.target_cmd_size_check(Some(4096), None, false, 0).unwrap();
        assert_eq!(
            (l.data_length, l.residual_count, l.overflow),
            (0, 4096, true)
        );
        // RESERVE (6): no length in the CDB, no residual.
        let mut l = CmdDataLength::new(8);
        l.target_cmd_size_check(Option::None, None, false, 0)
            .unwrap();
        assert_eq!(l, CmdDataLength::new(8));
        // A fabric limited to 2 pages.
        let mut l = CmdDataLength::new(16384);
        l.target_cmd_size_check(Some(16384), FromDevice, true, 2)
            .unwrap();
        assert_eq!(
            (l.data_length, l.residual_count, l.underflow),
            (8192, 8192, true)
        );
        let mut l = CmdDataLength::new(16384);
        l.target_cmd_size_check(Some(20480), FromDevice, false, 2)
            .unwrap();
        assert_eq!(
            (l.data_length, l.residual_count, l.overflow),
            (8192, 12288, true)
        );
        let mut l = CmdDataLength::new(16384);
        l.target_cmd_size_check(Some(12288), FromDevice, false, 2)
            .unwrap();
        assert_eq!(
            (l.data_length, l.residual_count, l.underflow),
            (8192, 8192, true)
        );
        // Longer answers than the data length change nothing.
        let mut l = CmdDataLength::new(8);
        l.target_set_cmd_data_length(usize::MAX);
        assert_eq!(l, CmdDataLength::new(8));
    }

    #[test]
    fn compare_and_verify_offsets() {
        let a = [1u8, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(sbc_compare(&a, &a), None);
        let mut b = a;
        b[5] = 0;
        assert_eq!(sbc_compare(&a, &b), Some(5));
        assert_eq!(sbc_compare(&a, &b[..5]), None);
        // BYTCHK 01b, chunked: the offset counts from the data-out start.
        let data_out: Vec<u8> = (0..32u8).collect();
        assert_eq!(
            sbc_verify_compare(1, 16, &data_out, &data_out[16..], 16),
            None
        );
        let mut medium = data_out.clone();
        medium[20] = 0xff;
        assert_eq!(
            sbc_verify_compare(1, 16, &data_out, &medium[16..], 16),
            Some(20)
        );
        assert_eq!(sbc_verify_compare(1, 16, &data_out, &medium, 0), Some(20));
        // Medium past the data-out buffer counts as different.
        assert_eq!(
            sbc_verify_compare(1, 16, &data_out[..8], &data_out[..9], 0),
            Some(8)
        );
        // BYTCHK 11b: one block against every block.
        let block: Vec<u8> = (0..16u8).collect();
        let mut medium: Vec<u8> = block.iter().chain(block.iter()).copied().collect();
        assert_eq!(sbc_verify_compare(3, 16, &block, &medium, 0), None);
        medium[16 + 3] = 0;
        assert_eq!(sbc_verify_compare(3, 16, &block, &medium, 0), Some(3));
        assert_eq!(sbc_verify_compare(3, 0, &block, &medium, 0), Some(16));
    }

    #[test]
    fn malformed_cdbs_never_panic() {
        // Short CDBs of every opcode are INVALID FIELD IN CDB.
        for op in 0..=255u8 {
            if op == VARIABLE_LENGTH_CMD {
                continue;
            }
            let len = super::super::cdb::command_size(op);
            let mut cdb = [0xffu8; 16];
            cdb[0] = op;
            assert_eq!(
                rd(&cdb[..len - 1]),
                Err(SenseReason::InvalidCdbField),
                "op {op:#x}"
            );
        }
        assert_eq!(rd(&[]), Err(SenseReason::InvalidCdbField));
        // Pseudo-random CDBs and devices (xorshift): any answer, no panic.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..50_000 {
            let mut cdb = [0u8; 40];
            for b in cdb.iter_mut() {
                *b = next() as u8;
            }
            let len = (next() % 41) as usize;
            let mut dev = fileio();
            let r = next();
            dev.last_lba = if r & 1 == 0 { 131_071 } else { r >> 1 };
            dev.block_size = [0, 512, 4096][(r % 3) as usize];
            dev.emulate_tpu = r & 2 != 0;
            dev.emulate_tpws = r & 4 != 0;
            dev.emulate_write_cache = r & 8 != 0;
            dev.pi_prot_type = ((r >> 8) % 4) as u8;
            let prot = CmdProt {
                t_prot_sg: r & 16 != 0,
                prot_pto: r & 32 != 0,
            };
            if let Ok(p) = sbc_parse_cdb(&dev, &tcm_loop(), &ExecCmdOps::FILEIO, prot, &cdb[..len])
            {
                let mut l = CmdDataLength::new(next() as u32);
                let _ = l.target_cmd_size_check(
                    p.size,
                    DmaDirection::ToDevice,
                    p.data_cdb,
                    (r >> 16) as u32 % 4,
                );
            }
        }
    }
}
