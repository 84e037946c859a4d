// SPDX-License-Identifier: GPL-2.0

//! The command execution engine of target_core_mod: what LIO's transport
//! (`target_core_transport.c`) does with a SCSI command received on a LUN, from the CDB to
//! the response. [`execute`] runs, in LIO's order: the CDB length check
//! (`target_cmd_init_cdb()`), the write protection of the LUN
//! (`transport_lookup_cmd_lun()`), `sbc_parse_cdb()` with `target_cmd_size_check()`, the
//! unit attention check and the reservation conflict check (`__target_execute_cmd()`,
//! `target_check_reservation()` of `pr.rs`), the command's handler (the SBC/SPC emulation
//! of `sbc.rs`/`spc.rs`, the reservations of `pr.rs`, or the backend through [`Medium`]),
//! and the completion:
//! status, sense data (`transport_send_check_condition_and_sense()` /
//! `translate_sense_reason()`), residual and data-in length (`target_complete_cmd*()`).
//!
//! Pure `core` code: nothing is allocated per command. Responses of the emulated
//! commands are built in the caller's scratch buffer ([`EXEC_SCRATCH_LEN`] bytes), data is
//! compared in 256-byte stack buffers, and parameter lists are read piece by piece.
//!
//! COMPARE AND WRITE runs its read, compare and write under the medium's
//! [`Medium::with_caw_lock`] (LIO's `caw_sem`). REPORT/SET TARGET PORT GROUPS answer for
//! the LUN's target port group (`spc.rs`); EXTENDED COPY (LID1) copies block -> block
//! within the device the command came in on and RECEIVE COPY RESULTS reports the
//! OPERATING PARAMETERS (`xcopy.rs`).
//!
//! **Not implemented yet** (they complete with CHECK CONDITION, ILLEGAL REQUEST, INVALID
//! COMMAND OPERATION CODE, as an opcode LIO has no handler for, and are neither listed by
//! REPORT SUPPORTED OPERATION CODES nor advertised by INQUIRY, see [`exec_view`]):
//! REPORT REFERRALS. Neither are ALUA access state changes and checks (a LUN's group
//! stays in the state it is given), task attributes (ACA) and protection information (PI
//! is not generated, stripped or checked; RDPROTECT/WRPROTECT are only validated as LIO
//! parses them).
//!
//! PERSISTENT RESERVE IN/OUT, RESERVE/RELEASE (6/10) and the reservation conflicts run
//! against the device's [`super::pr::PrState`] (see `pr.rs` for what differs from LIO),
//! given with the I_T nexus in [`CmdContext::pr`].

use super::cdb::{put_unaligned_be32, Cdb, ScsiCdb, SAI_REPORT_REFERRALS, SERVICE_ACTION_IN_16};
use super::pr::{
    check_reservation, pr_in, pr_out, scsi2_release, scsi2_reserve, PrEvents, PrInBuf, PrLock,
    PrNexus, PrOutCmd, PR_OUT_HEAD,
};
use super::sbc::{
    sbc_compare, sbc_emulate_readcapacity, sbc_emulate_readcapacity_16, sbc_emulate_startstop,
    sbc_execute_unmap_from, sbc_get_write_same_sectors, sbc_parse_cdb, sbc_verify_compare,
    CmdDataLength, CmdProt, DmaDirection, ExecCmdOps, ParsedCdb, READ_CAP16_LEN, READ_CAP_LEN,
};
use super::sense::{
    translate_sense_reason, SenseReason, ASCQ_2CH_PREVIOUS_RESERVATION_CONFLICT_STATUS,
    ASC_2CH_COMMAND_SEQUENCE_ERROR, SAM_STAT_GOOD, SE_SENSE_BUF, TRANSPORT_SENSE_BUFFER,
};
use super::spc::{
    int_to_scsilun, spc_emulate_inquiry, spc_emulate_modeselect, spc_emulate_modesense,
    spc_emulate_report_supp_op_codes_listed, spc_emulate_request_sense, spc_emulate_testunitready,
    target_emulate_report_target_port_groups, target_emulate_set_target_port_groups, DeviceInfo,
    ExecuteCmd, PortInfo, TargetOpcodeDescriptor, SE_INQUIRY_BUF, SE_MODE_PAGE_BUF,
    TARGET_UA_INTLCK_CTRL_ESTABLISH_UA,
};
use super::ua::UaQueue;
use super::xcopy::{
    target_do_receive_copy_results, target_do_xcopy, target_parse_xcopy_cmd, XcopyOp,
    RCR_OP_PARAMS_MIN_LEN, XCOPY_MAX_BYTES,
};

/// The scratch buffer [`CmdContext::scratch`] should have: room for the largest emulated
/// response (INQUIRY's `SE_INQUIRY_BUF`, REPORT SUPPORTED OPERATION CODES of every command
/// with timeouts descriptors: 4 + 52 * 20 bytes). A shorter one truncates responses (the
/// rest of the data-in is sent as zeros).
pub(crate) const EXEC_SCRATCH_LEN: usize = 2048;

/// The compare chunk of VERIFY (two of these live on the stack).
const CHUNK: usize = 256;

/// The REPORT TARGET PORT GROUPS response: the extended header and one group of one port.
const RTPG_BUF: usize = 8 + 8 + 4;

/// The piece EXTENDED COPY moves at a time (on the stack).
const XCOPY_PIECE: usize = 512;

/// The MODE SELECT parameter list bytes `spc_emulate_modeselect()` can look at: the 8-byte
/// header of MODE SELECT (10) and the longest mode page (20 bytes), rounded up.
const MODE_SELECT_PEEK: usize = 32;

/// The command's data buffer (the fabric's scatterlist). Offsets are bytes from the start.
pub trait CmdData {
    /// The buffer's length in bytes.
    fn len(&self) -> usize;
    /// Buffer -> `dst`, from `off`; returns the bytes copied.
    fn copy_out(&mut self, off: usize, dst: &mut [u8]) -> usize;
    /// `src` -> buffer, at `off`; returns the bytes copied.
    fn copy_in(&mut self, off: usize, src: &[u8]) -> usize;
    /// No buffer at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `len` bytes of a medium's page at `page_off` -> buffer, at `off` (a read); returns
    /// the bytes copied. A fabric with a scatterlist copies straight from the page (one
    /// copy, as LIO's `rd_execute_rw()`); this default bounces through a small buffer.
    #[cfg(MODULE)]
    fn copy_in_page(
        &mut self,
        off: usize,
        page: &kernel::page::Page,
        page_off: usize,
        len: usize,
    ) -> usize {
        let mut bounce = [0u8; 512];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(bounce.len());
            let chunk = &mut bounce[..n];
            if crate::lio::pagemem::read(page, page_off + done, chunk).is_err() {
                break;
            }
            let got = self.copy_in(off + done, chunk);
            done += got;
            if got < n {
                break;
            }
        }
        done
    }
    /// Buffer, from `off` -> `len` bytes of a medium's page at `page_off` (a write);
    /// returns the bytes copied (fewer at the end of the buffer; the rest of the page
    /// range is left as it was). The default bounces through a small buffer.
    #[cfg(MODULE)]
    fn copy_out_page(
        &mut self,
        off: usize,
        page: &kernel::page::Page,
        page_off: usize,
        len: usize,
    ) -> usize {
        let mut bounce = [0u8; 512];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(bounce.len());
            let got = self.copy_out(off + done, &mut bounce[..n]);
            if crate::lio::pagemem::write(page, page_off + done, &bounce[..got]).is_err() {
                break;
            }
            done += got;
            if got < n {
                break;
            }
        }
        done
    }
}

/// A [`CmdData`] over one contiguous slice (the engine's compare buffers; handy for
/// tests and for fabrics with a linear buffer). Copies are cut at the end of the slice.
pub(crate) struct SliceData<'a>(pub(crate) &'a mut [u8]);

impl CmdData for SliceData<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn copy_out(&mut self, off: usize, dst: &mut [u8]) -> usize {
        let src = self.0.get(off..).unwrap_or(&[]);
        let n = src.len().min(dst.len());
        if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
            d.copy_from_slice(s);
        }
        n
    }

    fn copy_in(&mut self, off: usize, src: &[u8]) -> usize {
        let dst = self.0.get_mut(off..).unwrap_or(&mut []);
        let n = src.len().min(dst.len());
        if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
            d.copy_from_slice(s);
        }
        n
    }
}

/// The backstore's medium (rd_mcp pages, a file, a block device). The engine only asks
/// for byte ranges inside the device (`[0, (last_lba + 1) * block_size)`) and inside the
/// command's buffer.
pub trait Medium: Send + Sync {
    /// Which backend operations exist besides read/write (LIO's `struct exec_cmd_ops`):
    /// they decide what `sbc_parse_cdb()` accepts.
    fn ops(&self) -> ExecCmdOps;

    /// Copies `len` bytes at byte position `pos` of the medium into `data` at `data_off`
    /// (single copy; rd maps its pages and calls `data.copy_in`).
    fn read_to(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason>;

    /// Copies `len` bytes of `data` at `data_off` to byte position `pos` of the medium.
    fn write_from(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason>;

    /// `execute_sync_cache`: makes `nolb` blocks from `lba` durable (`nolb` 0: to the end
    /// of the medium). With `immed` the engine reports GOOD whatever this returns, as
    /// fileio completes first. Only called when [`ExecCmdOps::execute_sync_cache`].
    fn sync_cache(&self, lba: u64, nolb: u32, immed: bool) -> Result<(), SenseReason> {
        let _ = (lba, nolb, immed);
        Ok(())
    }

    /// `execute_unmap`: deallocates `nolb` (> 0) blocks from `lba`. Only called when
    /// [`ExecCmdOps::execute_unmap`].
    fn unmap(&self, lba: u64, nolb: u32) -> Result<(), SenseReason> {
        let _ = (lba, nolb);
        Err(SenseReason::UnsupportedScsiOpcode)
    }

    /// `execute_write_same`: writes the `block_size` bytes at the start of `data` to each
    /// of `nolb` blocks from `lba`. The default writes them one by one with
    /// [`Medium::write_from`]. Only called when [`ExecCmdOps::execute_write_same`].
    fn write_same(
        &self,
        lba: u64,
        nolb: u32,
        block_size: u32,
        data: &mut dyn CmdData,
    ) -> Result<(), SenseReason> {
        let bs = u64::from(block_size);
        for i in 0..u64::from(nolb) {
            let pos = lba
                .checked_add(i)
                .and_then(|b| b.checked_mul(bs))
                .ok_or(SenseReason::AddressOutOfRange)?;
            self.write_from(pos, block_size as usize, data, 0)?;
        }
        Ok(())
    }

    /// Runs `f` holding the device's COMPARE AND WRITE lock (LIO's `dev->caw_sem`), so
    /// that the read, compare and write of a COMPARE AND WRITE are atomic with respect to
    /// the other COMPARE AND WRITEs on the device: the engine runs commands concurrently.
    /// An error means the lock was not taken (LIO's interrupted `down_interruptible()`
    /// answers LOGICAL UNIT COMMUNICATION FAILURE) and fails the command, `f` not run.
    /// The default takes no lock: enough for a medium one command uses at a time.
    fn with_caw_lock(&self, f: &mut dyn FnMut()) -> Result<(), SenseReason> {
        f();
        Ok(())
    }
}

/// What a command needs from its device, LUN and session.
pub(crate) struct CmdContext<'a> {
    /// The device (`se_dev`: its `t10_wwn`, attributes, size).
    pub(crate) dev: &'a DeviceInfo<'a>,
    /// The path the command came in on (LUN, TPG, session).
    pub(crate) port: &'a PortInfo<'a>,
    /// Protection SGLs passed by the fabric.
    pub(crate) prot: CmdProt,
    /// The LUNs mapped to the session's ACL, for REPORT LUNS (empty: LUN 0 is reported).
    pub(crate) luns: &'a [u64],
    /// The pending unit attentions of this I_T nexus on this LUN.
    pub(crate) ua: &'a mut UaQueue,
    /// The fabric's expected data transfer length (`se_cmd->data_length` at submission).
    pub(crate) data_length: u32,
    /// The fabric's data direction.
    pub(crate) direction: DmaDirection,
    /// Where emulated responses are built: at least [`EXEC_SCRATCH_LEN`] bytes (empty for
    /// READ and WRITE, which build none).
    pub(crate) scratch: &'a mut [u8],
    /// The device's reservations and the I_T nexus of the command. `None`: a command
    /// without a session (LIO's `!cmd->se_sess`): no reservation conflicts, PERSISTENT
    /// RESERVE IN/OUT fail with LOGICAL UNIT COMMUNICATION FAILURE, RESERVE/RELEASE
    /// complete with GOOD and change nothing.
    pub(crate) pr: Option<PrContext<'a>>,
}

/// What the reservations of a command need (see `pr.rs`).
pub(crate) struct PrContext<'a> {
    /// The device's [`super::pr::PrState`], under its lock.
    pub(crate) state: &'a dyn PrLock,
    /// The I_T nexus the command came in on.
    pub(crate) nexus: PrNexus<'a>,
    /// Where unit attentions for other I_T nexuses and APTPL updates go.
    pub(crate) events: &'a mut dyn PrEvents,
    /// `dev_attrib.force_pr_aptpl`.
    pub(crate) force_aptpl: bool,
}

/// The response to a command, as the fabric sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmdResponse {
    /// SAM status (`cmd->scsi_status`): GOOD, CHECK CONDITION, BUSY, ...
    pub(crate) status: u8,
    /// The `sense_reason_t` the command failed with, if it failed.
    pub(crate) reason: Option<SenseReason>,
    /// The sense data (`cmd->sense_buffer`), fixed or descriptor format as LIO chooses
    /// (`target_sense_desc_format()`), zero padded.
    pub(crate) sense: [u8; TRANSPORT_SENSE_BUFFER],
    /// How many sense bytes are sent (`cmd->scsi_sense_length`: 0 or 96).
    pub(crate) sense_length: usize,
    /// `cmd->data_length` at completion with the residual (`residual_count`,
    /// `SCF_OVERFLOW_BIT`, `SCF_UNDERFLOW_BIT`; both bits can be set, as in LIO).
    pub(crate) length: CmdDataLength,
    /// Data-in bytes written to the buffer, to be sent (`queue_data_in()`): the final
    /// data length of a GOOD command with `DMA_FROM_DEVICE`, else 0.
    pub(crate) data_in: usize,
}

impl CmdResponse {
    /// The command completed with GOOD status.
    pub(crate) fn is_good(&self) -> bool {
        self.status == SAM_STAT_GOOD
    }

    /// The sense bytes sent (`sense[..sense_length]`).
    pub(crate) fn sense_data(&self) -> &[u8] {
        self.sense.get(..self.sense_length).unwrap_or(&[])
    }
}

/// A failed command: its sense reason and `cmd->sense_info` (the INFORMATION field of a
/// miscompare).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fail {
    reason: SenseReason,
    info: u64,
}

impl From<SenseReason> for Fail {
    fn from(reason: SenseReason) -> Self {
        Self { reason, info: 0 }
    }
}

/// Whether the engine has a handler for a parsed command (see the module documentation
/// for those that are not implemented yet).
pub(crate) fn exec_implemented(execute: ExecuteCmd) -> bool {
    use ExecuteCmd as E;
    !matches!(execute, E::EmulateReportReferrals)
}

/// The `tcm_supported_opcodes[]` entries REPORT SUPPORTED OPERATION CODES lists: those
/// [`exec_implemented`] runs.
pub(crate) fn exec_rsoc_listed(descr: &TargetOpcodeDescriptor) -> bool {
    let sa = descr.service_action;
    match descr.opcode {
        SERVICE_ACTION_IN_16 => sa != u16::from(SAI_REPORT_REFERRALS),
        _ => true,
    }
}

/// The device and path as the engine presents them (lio-rs): the features whose commands
/// are not implemented yet are off, so that INQUIRY and the VPD pages do not advertise
/// them — no R_SUP/referrals — and their CDBs fail as LIO fails them with the feature off
/// (`TCM_UNSUPPORTED_SCSI_OPCODE`). Persistent reservations (`emulate_pr`: PROTECT/SPC-3
/// reservations), COMPARE AND WRITE (`emulate_caw`: MAXIMUM COMPARE AND WRITE LENGTH 1),
/// EXTENDED COPY (`emulate_3pc`: 3PC) and the LUN's target port group (TPGS, the target
/// port group designator) are shown as the device and LUN have them.
pub(crate) fn exec_view<'a>(
    dev: &DeviceInfo<'a>,
    port: &PortInfo<'a>,
) -> (DeviceInfo<'a>, PortInfo<'a>) {
    let mut dev = *dev;
    dev.lba_map = None;
    (dev, *port)
}

/// Executes one SCSI command received on a LUN and builds its response: the entry point
/// of the engine (see the module documentation for the order of the checks).
///
/// `cdb` is what the fabric received (at least the command's length; longer is cut).
/// `data` is the command's buffer: the data-out of `DMA_TO_DEVICE`, where data-in goes
/// for `DMA_FROM_DEVICE`; it must hold the fabric's expected length (a shorter buffer
/// fails with LOGICAL UNIT COMMUNICATION FAILURE). Data-out of other directions reads as
/// zeros, as LIO's zeroed buffers.
///
/// lio-rs differences from LIO, besides what is not implemented:
/// - A READ with `DMA_TO_DEVICE` (an iSCSI initiator that flags a READ as a write) is
///   GOOD, as in LIO, but reads the medium and drops the data (LIO moves the data the
///   direction says: it writes the data-out to the medium). A WRITE or COMPARE AND WRITE
///   with `DMA_FROM_DEVICE` and any command with `DMA_BIDIRECTIONAL` fail with INVALID
///   FIELD IN COMMAND INFORMATION UNIT.
/// - REPORT TARGET PORT GROUPS reports only the LUN's group with this one port; SET
///   TARGET PORT GROUPS changes no state (see `target_emulate_set_target_port_groups()`);
///   EXTENDED COPY reaches only this device (see `xcopy.rs`).
/// - VERIFY with BYTCHK 01b/11b compares (see [`sbc_verify_compare`]) and fails with
///   MISCOMPARE, the offset into the data-out buffer in INFORMATION; missing data-out
///   bytes miscompare.
/// - On a write protected LUN, commands that change the medium fail with DATA PROTECT
///   whatever their direction (LIO only refuses `DMA_TO_DEVICE`, so a WRITE SAME with
///   UNMAP and no data-out unmaps a read-only LUN).
/// - REQUEST SENSE with ALLOCATION LENGTH 0 is GOOD (LIO: LOGICAL UNIT COMMUNICATION
///   FAILURE, having no buffer to map) and clears the unit attentions.
pub(crate) fn execute(
    ctx: &mut CmdContext<'_>,
    cdb: &[u8],
    data: &mut dyn CmdData,
    medium: &dyn Medium,
) -> CmdResponse {
    let mut length = CmdDataLength::new(ctx.data_length);
    match run(ctx, cdb, data, medium, &mut length) {
        Ok(data_in) => CmdResponse {
            status: SAM_STAT_GOOD,
            reason: None,
            sense: [0; TRANSPORT_SENSE_BUFFER],
            sense_length: 0,
            length,
            data_in,
        },
        Err(fail) => check_condition(ctx, length, fail),
    }
}

/// `transport_generic_request_failure()` + `translate_sense_reason()`: the status and
/// sense of a failed command. A miscompare comes from a completion path and keeps its
/// reason; the others are reported as LIO's request failure does.
fn check_condition(ctx: &mut CmdContext<'_>, length: CmdDataLength, fail: Fail) -> CmdResponse {
    let reason = match fail.reason {
        SenseReason::MiscompareVerify => fail.reason,
        r => r.for_request_failure(),
    };
    let intlck = ctx.dev.emulate_ua_intlck_ctrl;
    if reason == SenseReason::ReservationConflict && intlck == TARGET_UA_INTLCK_CTRL_ESTABLISH_UA {
        ctx.ua.allocate(
            ASC_2CH_COMMAND_SEQUENCE_ERROR,
            ASCQ_2CH_PREVIOUS_RESERVATION_CONFLICT_STATUS,
        );
    }
    let ua = if reason == SenseReason::CheckConditionUnitAttention {
        ctx.ua.for_check_condition(intlck)
    } else {
        None
    };
    let mut sense = [0u8; TRANSPORT_SENSE_BUFFER];
    let desc = ctx.dev.target_sense_desc_format();
    let cc = translate_sense_reason(&mut sense, reason, desc, ua, fail.info);
    CmdResponse {
        status: cc.scsi_status,
        reason: Some(reason),
        sense,
        sense_length: cc.sense_length,
        length,
        data_in: 0,
    }
}

/// The checks before execution, then the handler. Returns the data-in bytes to send.
fn run(
    ctx: &mut CmdContext<'_>,
    cdb: &[u8],
    data: &mut dyn CmdData,
    medium: &dyn Medium,
    length: &mut CmdDataLength,
) -> Result<usize, Fail> {
    // target_cmd_init_cdb().
    let opcode = Cdb::new(cdb)?.opcode();
    // transport_lookup_cmd_lun(): a write protected LUN takes no data-out.
    if ctx.port.lun_access_ro && ctx.direction == DmaDirection::ToDevice {
        return Err(SenseReason::WriteProtected.into());
    }
    let (dev, port) = exec_view(ctx.dev, ctx.port);
    let ops = medium.ops();
    // target_cmd_parse_cdb().
    let parsed = sbc_parse_cdb(&dev, &port, &ops, ctx.prot, cdb)?;
    if !exec_implemented(parsed.execute_cmd) {
        return Err(SenseReason::UnsupportedScsiOpcode.into());
    }
    // lio-rs: nothing changes a write protected medium, data-out or not.
    if ctx.port.lun_access_ro && modifies_medium(&parsed) {
        return Err(SenseReason::WriteProtected.into());
    }
    length.target_cmd_size_check(
        parsed.size,
        ctx.direction,
        parsed.data_cdb,
        port.max_data_sg_nents,
    )?;
    check_direction(&parsed, ctx.direction, length.data_length)?;
    if ctx.direction != DmaDirection::None && data.len() < length.data_length as usize {
        return Err(SenseReason::LogicalUnitCommunicationFailure.into());
    }
    // __target_execute_cmd().
    ctx.ua.check(opcode)?;
    // target_check_reservation().
    if dev.emulate_pr && !dev.passthrough_pgr {
        if let Some(pr) = ctx.pr.as_ref() {
            let mut r = Ok(());
            let direction = ctx.direction;
            pr.state
                .lock_pr(&mut |st| r = check_reservation(st, &pr.nexus, cdb, direction));
            r?;
        }
    }
    let mut exec = Exec {
        dev: &dev,
        port: &port,
        ops,
        luns: ctx.luns,
        cdb,
        pr: ctx.pr.as_mut(),
        ua: &mut *ctx.ua,
        direction: ctx.direction,
        scratch: &mut *ctx.scratch,
        data,
        medium,
        length,
    };
    exec.run(&parsed)
}

/// Whether a parsed command changes the medium.
fn modifies_medium(parsed: &ParsedCdb) -> bool {
    use ExecuteCmd as E;
    match parsed.execute_cmd {
        E::ExecuteWriteSame | E::ExecuteWriteSameUnmap | E::ExecuteUnmap => true,
        E::ExecuteRw => matches!(parsed.cdb, ScsiCdb::Write(_) | ScsiCdb::WriteVerify(_)),
        _ => false,
    }
}

/// lio-rs: the fabric's direction must be the one of a writing data CDB (when data moves
/// at all; COMPARE AND WRITE's verify and write data are data-out), and bidirectional
/// commands are not supported. A READ with data-out runs as a read whose data goes
/// nowhere (libiscsi's iSCSIResiduals.Read10Invalid wants GOOD, which LIO gives).
fn check_direction(
    parsed: &ParsedCdb,
    direction: DmaDirection,
    data_length: u32,
) -> Result<(), SenseReason> {
    if direction == DmaDirection::Bidirectional {
        return Err(SenseReason::InvalidFieldInCommandIu);
    }
    let wants = match parsed.cdb {
        ScsiCdb::Read(_) if direction == DmaDirection::ToDevice => return Ok(()),
        ScsiCdb::Read(_) => DmaDirection::FromDevice,
        ScsiCdb::Write(_) | ScsiCdb::WriteVerify(_) | ScsiCdb::CompareAndWrite(_) => {
            DmaDirection::ToDevice
        }
        _ => return Ok(()),
    };
    if data_length != 0 && direction != wants {
        return Err(SenseReason::InvalidFieldInCommandIu);
    }
    Ok(())
}

/// One command being executed.
struct Exec<'e, 'd> {
    dev: &'e DeviceInfo<'d>,
    port: &'e PortInfo<'d>,
    ops: ExecCmdOps,
    luns: &'e [u64],
    cdb: &'e [u8],
    pr: Option<&'e mut PrContext<'d>>,
    ua: &'e mut UaQueue,
    direction: DmaDirection,
    scratch: &'e mut [u8],
    data: &'e mut dyn CmdData,
    medium: &'e dyn Medium,
    length: &'e mut CmdDataLength,
}

/// Zeros for padding data-in.
static ZEROS: [u8; CHUNK] = [0; CHUNK];

impl Exec<'_, '_> {
    /// The current data length (`cmd->data_length`).
    fn data_length(&self) -> usize {
        self.length.data_length as usize
    }

    /// Reads data-out bytes at `off` into `dst`: from the buffer with `DMA_TO_DEVICE`,
    /// zeros past the data length or with another direction.
    fn data_out(&mut self, off: usize, dst: &mut [u8]) {
        dst.fill(0);
        if self.direction != DmaDirection::ToDevice {
            return;
        }
        let n = self.data_length().saturating_sub(off).min(dst.len());
        if let Some(d) = dst.get_mut(..n) {
            self.data.copy_out(off, d);
        }
    }

    /// The data-in of a GOOD command: with `DMA_FROM_DEVICE`, the data length's bytes —
    /// `response` (a scratch prefix), then zeros, as LIO's zeroed buffers. Returns the
    /// bytes to send.
    fn send(&mut self, response: Response) -> usize {
        if self.direction != DmaDirection::FromDevice {
            return 0;
        }
        let total = self.data_length();
        let mut off = 0;
        if let Response::Scratch(len) = response {
            let n = len.min(total).min(self.scratch.len());
            let src = self.scratch.get(..n).unwrap_or(&[]);
            off = self.data.copy_in(0, src);
        }
        if response == Response::Filled {
            return total;
        }
        while off < total {
            let n = (total - off).min(CHUNK);
            let copied = self.data.copy_in(off, ZEROS.get(..n).unwrap_or(&[]));
            if copied == 0 {
                break;
            }
            off += copied;
        }
        total
    }

    /// A scratch buffer of at most `len` bytes for an emulated response.
    fn scratch_buf(&mut self, len: usize) -> &mut [u8] {
        let n = len.min(self.scratch.len());
        self.scratch.get_mut(..n).unwrap_or(&mut [])
    }

    /// Completes an emulation that answered `len` bytes in the scratch buffer with
    /// `target_complete_cmd_with_length()`.
    fn complete_with_length(&mut self, len: usize) -> usize {
        self.length.target_set_cmd_data_length(len);
        self.send(Response::Scratch(len))
    }

    /// `cmd->execute_cmd()`.
    fn run(&mut self, parsed: &ParsedCdb) -> Result<usize, Fail> {
        use ExecuteCmd as E;
        use ScsiCdb as C;
        let dev = self.dev;
        let port = self.port;
        let ops = self.ops;
        match (parsed.execute_cmd, parsed.cdb) {
            (E::ExecuteRw, C::Read(rw)) => {
                self.read(rw.lba)?;
                Ok(self.send(Response::Filled))
            }
            (E::ExecuteRw, C::Write(rw) | C::WriteVerify(rw)) => {
                self.write(rw.lba)?;
                if parsed.fua && ops.execute_sync_cache {
                    self.medium.sync_cache(rw.lba, rw.sectors, false)?;
                }
                Ok(self.send(Response::None))
            }
            (E::EmulateNoop, _) => Ok(self.send(Response::None)),
            (E::EmulateTestUnitReady, _) => {
                spc_emulate_testunitready()?;
                Ok(self.send(Response::None))
            }
            (E::Verify { bytchk }, C::Verify(v)) => {
                self.verify(bytchk, v.lba, v.sectors)?;
                Ok(self.send(Response::None))
            }
            (E::ExecuteSyncCache, C::SynchronizeCache(sc)) => {
                let r = self.medium.sync_cache(sc.lba, sc.sectors, sc.immed);
                if !sc.immed {
                    r?;
                }
                Ok(self.send(Response::None))
            }
            (E::ExecuteWriteSame, C::WriteSame(ws)) => {
                // fd/iblock_execute_write_same(): exactly one block of data-out.
                if self.direction != DmaDirection::ToDevice
                    || self.length.data_length != dev.block_size
                {
                    return Err(SenseReason::InvalidCdbField.into());
                }
                let nolb = sbc_get_write_same_sectors(dev, &ws) as u32;
                self.medium
                    .write_same(ws.lba, nolb, dev.block_size, &mut *self.data)?;
                Ok(self.send(Response::None))
            }
            (E::ExecuteWriteSameUnmap, C::WriteSame(ws)) => {
                // sbc_execute_write_same_unmap().
                let nolb = sbc_get_write_same_sectors(dev, &ws) as u32;
                if nolb != 0 {
                    self.medium.unmap(ws.lba, nolb)?;
                }
                Ok(self.send(Response::None))
            }
            (E::ExecuteUnmap, C::Unmap { byte1, .. }) => {
                let medium = self.medium;
                let data_length = self.data_length();
                let mut read = |off: usize, dst: &mut [u8]| self.data_out(off, dst);
                sbc_execute_unmap_from(dev, byte1, data_length, &mut read, |lba, nolb| {
                    medium.unmap(lba, nolb)
                })?;
                Ok(self.send(Response::None))
            }
            (E::EmulateReadCapacity, C::ReadCapacity { lba, pmi }) => {
                let buf = self.scratch_buf(READ_CAP_LEN as usize);
                buf.fill(0);
                let len = sbc_emulate_readcapacity(dev, lba, pmi, buf)?;
                Ok(self.complete_with_length(len))
            }
            (E::EmulateReadCapacity16, _) => {
                let len = sbc_emulate_readcapacity_16(dev, port, self.scratch_buf(READ_CAP16_LEN));
                Ok(self.complete_with_length(len))
            }
            (E::EmulateStartStop, C::StartStop(ss)) => {
                sbc_emulate_startstop(&ss)?;
                Ok(self.send(Response::None))
            }
            (E::EmulateModeSelect, C::ModeSelect(ms)) => {
                let mut param = [0u8; MODE_SELECT_PEEK];
                let n = self.data_length().min(MODE_SELECT_PEEK);
                let param = param.get_mut(..n).unwrap_or(&mut []);
                self.data_out(0, param);
                spc_emulate_modeselect(dev, port, &ms, param)?;
                Ok(self.send(Response::None))
            }
            (E::EmulateModeSense, C::ModeSense(ms)) => {
                let len =
                    spc_emulate_modesense(dev, port, &ms, self.scratch_buf(SE_MODE_PAGE_BUF))?;
                Ok(self.complete_with_length(len))
            }
            (E::EmulateRequestSense, C::RequestSense { desc, alloc_len }) => {
                // DESC is refused before the unit attentions are looked at.
                let ua = if desc {
                    None
                } else {
                    self.ua.clear_for_request_sense()
                };
                let buf = self.scratch_buf(SE_SENSE_BUF);
                spc_emulate_request_sense(dev, desc, alloc_len, ua, buf)?;
                // target_complete_cmd(): the data length stays.
                Ok(self.send(Response::Scratch(SE_SENSE_BUF)))
            }
            (
                E::EmulateInquiry,
                C::Inquiry {
                    evpd, page_code, ..
                },
            ) => {
                let buf = self.scratch_buf(SE_INQUIRY_BUF);
                let len = spc_emulate_inquiry(dev, port, evpd, page_code, buf)?;
                Ok(self.complete_with_length(len))
            }
            (E::EmulateReportLuns, _) => Ok(self.report_luns()),
            (E::CompareAndWrite, C::CompareAndWrite(caw)) => {
                self.compare_and_write(caw.lba, caw.nolb, parsed.fua)?;
                Ok(self.send(Response::None))
            }
            (
                E::EmulateReportTargetPortGroups,
                C::ReportTargetPortGroups {
                    extended_header, ..
                },
            ) => {
                let data_length = self.data_length();
                let buf = self.scratch_buf(RTPG_BUF);
                let len = target_emulate_report_target_port_groups(
                    port,
                    extended_header,
                    data_length,
                    buf,
                )?;
                Ok(self.complete_with_length(len))
            }
            (E::EmulateSetTargetPortGroups, _) => {
                let data_length = self.data_length();
                let mut read = |off: usize, dst: &mut [u8]| self.data_out(off, dst);
                target_emulate_set_target_port_groups(port, data_length, &mut read)?;
                Ok(self.send(Response::None))
            }
            (E::DoXcopy, C::ExtendedCopy { service_action, .. }) => {
                self.extended_copy(service_action)?;
                Ok(self.send(Response::None))
            }
            (
                E::DoReceiveCopyResults,
                C::ReceiveCopyResults {
                    service_action,
                    list_id,
                    ..
                },
            ) => {
                let data_length = self.data_length();
                let buf = self.scratch_buf(RCR_OP_PARAMS_MIN_LEN);
                target_do_receive_copy_results(dev, service_action, list_id, data_length, buf)?;
                // target_complete_cmd(): the data length stays.
                Ok(self.send(Response::Scratch(RCR_OP_PARAMS_MIN_LEN)))
            }
            (E::EmulateReportSuppOpCodes, C::ReportSupportedOpcodes(rsoc)) => {
                let len = spc_emulate_report_supp_op_codes_listed(
                    dev,
                    port,
                    &ops,
                    &rsoc,
                    self.scratch,
                    exec_rsoc_listed,
                )?;
                Ok(self.complete_with_length(len))
            }
            (E::EmulatePrIn, C::PersistentReserveIn { service_action, .. }) => {
                self.persistent_reserve_in(service_action)
            }
            (
                E::EmulatePrOut,
                C::PersistentReserveOut {
                    service_action,
                    scope_type,
                    ..
                },
            ) => {
                self.persistent_reserve_out(service_action, scope_type)?;
                Ok(self.send(Response::None))
            }
            (E::Scsi2ReservationReserve, _) => {
                // target_scsi2_reservation_reserve().
                let byte1 = self.cdb.get(1).copied().unwrap_or(0);
                if byte1 & 0x03 == 0x03 {
                    return Err(SenseReason::UnsupportedScsiOpcode.into());
                }
                if let Some(pr) = self.pr.as_deref_mut() {
                    let mut r = Err(SenseReason::LogicalUnitCommunicationFailure);
                    pr.state
                        .lock_pr(&mut |st| r = scsi2_reserve(st, &pr.nexus, byte1));
                    r?;
                }
                Ok(self.send(Response::None))
            }
            (E::Scsi2ReservationRelease, _) => {
                if let Some(pr) = self.pr.as_deref_mut() {
                    let mut r = Err(SenseReason::LogicalUnitCommunicationFailure);
                    pr.state.lock_pr(&mut |st| r = scsi2_release(st, &pr.nexus));
                    r?;
                }
                Ok(self.send(Response::None))
            }
            // `!cmd->execute_cmd` in __target_execute_cmd().
            _ => Err(SenseReason::LogicalUnitCommunicationFailure.into()),
        }
    }

    /// The byte position of `lba` on the medium.
    fn pos(&self, lba: u64) -> Result<u64, SenseReason> {
        lba.checked_mul(u64::from(self.dev.block_size))
            .ok_or(SenseReason::AddressOutOfRange)
    }

    /// `execute_rw()` of a READ: the data length's bytes from `lba` on.
    fn read(&mut self, lba: u64) -> Result<(), SenseReason> {
        let len = self.data_length();
        if self.direction != DmaDirection::FromDevice || len == 0 {
            return Ok(());
        }
        let pos = self.pos(lba)?;
        self.medium.read_to(pos, len, &mut *self.data, 0)
    }

    /// `execute_rw()` of a WRITE (and WRITE AND VERIFY, which LIO writes only).
    fn write(&mut self, lba: u64) -> Result<(), SenseReason> {
        let len = self.data_length();
        if self.direction != DmaDirection::ToDevice || len == 0 {
            return Ok(());
        }
        let pos = self.pos(lba)?;
        self.medium.write_from(pos, len, &mut *self.data, 0)
    }

    /// VERIFY with BYTCHK 01b (the data-out against the range) or 11b (its one block
    /// against each block of the range), in chunks that do not cross a block with 11b.
    fn verify(&mut self, bytchk: u8, lba: u64, sectors: u32) -> Result<(), Fail> {
        let bs = u64::from(self.dev.block_size);
        let total = u64::from(sectors) * bs;
        let start = self.pos(lba)?;
        let avail = self.data_length() as u64;
        let mut medium_buf = [0u8; CHUNK];
        let mut out_buf = [0u8; CHUNK];
        let mut done = 0u64;
        while done < total {
            let out_off = if bytchk == 3 {
                done.checked_rem(bs).unwrap_or(0)
            } else {
                done
            };
            let mut n = (total - done).min(CHUNK as u64);
            if bytchk == 3 {
                n = n.min(bs - out_off);
            }
            let n = n as usize;
            let read = medium_buf.get_mut(..n).unwrap_or(&mut []);
            let pos = start
                .checked_add(done)
                .ok_or(SenseReason::AddressOutOfRange)?;
            self.medium.read_to(pos, n, &mut SliceData(read), 0)?;
            let have = (avail.saturating_sub(out_off).min(n as u64)) as usize;
            let expected = out_buf.get_mut(..have).unwrap_or(&mut []);
            self.data_out(out_off as usize, expected);
            let read = medium_buf.get(..n).unwrap_or(&[]);
            let expected = out_buf.get(..have).unwrap_or(&[]);
            if let Some(off) = sbc_verify_compare(1, self.dev.block_size, expected, read, 0) {
                return Err(Fail {
                    reason: SenseReason::MiscompareVerify,
                    info: out_off + off,
                });
            }
            done += n as u64;
        }
        Ok(())
    }

    /// `target_scsi3_emulate_pr_in()`, written straight into the data-in (zeros where
    /// nothing is written), cut at the data length.
    fn persistent_reserve_in(&mut self, sa: u8) -> Result<usize, Fail> {
        let data_length = self.length.data_length;
        let limit = if self.direction == DmaDirection::FromDevice {
            self.data_length()
        } else {
            0
        };
        let passthrough = self.dev.passthrough_pgr;
        let Some(pr) = self.pr.as_deref_mut() else {
            return Err(SenseReason::LogicalUnitCommunicationFailure.into());
        };
        let mut out = DataIn {
            data: &mut *self.data,
            limit,
        };
        out.zero();
        let mut r = Err(SenseReason::LogicalUnitCommunicationFailure);
        pr.state
            .lock_pr(&mut |st| r = pr_in(st, sa, data_length, passthrough, &mut out));
        if let Some(len) = r? {
            self.length.target_set_cmd_data_length(len);
        }
        if self.direction != DmaDirection::FromDevice {
            return Ok(0);
        }
        Ok(self.data_length())
    }

    /// `target_scsi3_emulate_pr_out()`.
    fn persistent_reserve_out(&mut self, sa: u8, scope_type: u8) -> Result<(), Fail> {
        let mut head = [0u8; PR_OUT_HEAD];
        self.data_out(0, &mut head);
        let passthrough = self.dev.passthrough_pgr;
        let data_length = self.length.data_length;
        let Some(pr) = self.pr.as_deref_mut() else {
            return Err(SenseReason::LogicalUnitCommunicationFailure.into());
        };
        let cmd = PrOutCmd {
            sa,
            scope_type,
            data_length,
            head,
            force_aptpl: pr.force_aptpl,
            passthrough,
        };
        let mut r = Err(SenseReason::LogicalUnitCommunicationFailure);
        let events = &mut *pr.events;
        let nexus = &pr.nexus;
        pr.state
            .lock_pr(&mut |st| r = pr_out(st, nexus, &cmd, &mut *events));
        Ok(r?)
    }

    /// `sbc_compare_and_write()` + `compare_and_write_callback()`: under the CAW lock,
    /// reads the `nolb` blocks at `lba`, compares them with the first half of the
    /// data-out (the verify data) — MISCOMPARE DURING VERIFY OPERATION with the offset of
    /// the first byte that differs in INFORMATION — and writes the second half (the write
    /// data) over them, FUA as a WRITE. No blocks: GOOD, nothing done.
    fn compare_and_write(&mut self, lba: u64, nolb: u8, fua: bool) -> Result<(), Fail> {
        let len = u64::from(nolb) * u64::from(self.dev.block_size);
        if len == 0 {
            return Ok(());
        }
        // rd_execute_rw() with no buffer to read into: INCORRECT AMOUNT OF DATA (the
        // fabric sent no data-out for the blocks).
        let twice = len.saturating_mul(2);
        if self.direction != DmaDirection::ToDevice || (self.data_length() as u64) < twice {
            return Err(SenseReason::IncorrectAmountOfData.into());
        }
        let pos = self.pos(lba)?;
        let medium = self.medium;
        let mut result = Ok(());
        medium.with_caw_lock(&mut || {
            result = self.compare_and_write_locked(pos, len, fua, (lba, nolb));
        })?;
        result
    }

    /// COMPARE AND WRITE once the lock is held: `len` bytes at `pos`.
    fn compare_and_write_locked(
        &mut self,
        pos: u64,
        len: u64,
        fua: bool,
        (lba, nolb): (u64, u8),
    ) -> Result<(), Fail> {
        let mut medium_buf = [0u8; CHUNK];
        let mut verify_buf = [0u8; CHUNK];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(CHUNK as u64) as usize;
            let read = medium_buf.get_mut(..n).unwrap_or(&mut []);
            let at = pos
                .checked_add(done)
                .ok_or(SenseReason::AddressOutOfRange)?;
            self.medium.read_to(at, n, &mut SliceData(read), 0)?;
            let verify = verify_buf.get_mut(..n).unwrap_or(&mut []);
            self.data_out(done as usize, verify);
            let read = medium_buf.get(..n).unwrap_or(&[]);
            let verify = verify_buf.get(..n).unwrap_or(&[]);
            if let Some(off) = sbc_compare(read, verify) {
                return Err(Fail {
                    reason: SenseReason::MiscompareVerify,
                    info: done + off,
                });
            }
            done += n as u64;
        }
        let len = len as usize;
        self.medium.write_from(pos, len, &mut *self.data, len)?;
        if fua && self.ops.execute_sync_cache {
            self.medium.sync_cache(lba, u32::from(nolb), false)?;
        }
        Ok(())
    }

    /// `target_do_xcopy()` + `target_xcopy_do_work()`: parses the parameter list, then
    /// copies. Once parsed, whatever fails in the copy is COPY ABORTED, COPY TARGET DEVICE
    /// NOT REACHABLE (completed with that sense, not as a request failure), as in LIO.
    fn extended_copy(&mut self, service_action: u8) -> Result<(), Fail> {
        let data_length = self.data_length();
        if !target_do_xcopy(self.dev, service_action, data_length)? {
            return Ok(());
        }
        let dev = self.dev;
        let op = {
            let mut read = |off: usize, dst: &mut [u8]| self.data_out(off, dst);
            target_parse_xcopy_cmd(dev, data_length, &mut read)?
        };
        self.xcopy_do_work(&op)
            .map_err(|_| SenseReason::CopyTargetDeviceNotReachable.into())
    }

    /// The copy of `target_xcopy_do_work()`: in steps of `min(hw_max_sectors *
    /// hw_block_size, 16 MiB)` bytes, each a pass-through READ (16) of the source then
    /// WRITE (16) of the destination, which fail when out of range.
    fn xcopy_do_work(&self, op: &XcopyOp) -> Result<(), SenseReason> {
        let dev = self.dev;
        let bs = u64::from(dev.block_size);
        let max_bytes =
            (u64::from(dev.hw_max_sectors) * u64::from(dev.hw_block_size)).min(XCOPY_MAX_BYTES);
        let end = dev.num_blocks();
        let (mut src, mut dst) = (op.src_lba, op.dst_lba);
        let mut nolb = u64::from(op.nolb);
        while nolb > 0 {
            let cur_bytes = max_bytes.min(nolb * bs);
            // A step of part of a block fails the WRITE's size check (LIO would loop for
            // ever on a step shorter than a block).
            if bs == 0 || cur_bytes == 0 || cur_bytes % bs != 0 {
                return Err(SenseReason::InvalidFieldInCommandIu);
            }
            let cur_nolb = cur_bytes / bs;
            for lba in [src, dst] {
                if !lba.checked_add(cur_nolb).is_some_and(|e| e <= end) {
                    return Err(SenseReason::AddressOutOfRange);
                }
            }
            self.copy_range(self.pos(src)?, self.pos(dst)?, cur_bytes)?;
            src += cur_nolb;
            dst += cur_nolb;
            nolb -= cur_nolb;
        }
        Ok(())
    }

    /// Moves `len` bytes from `src` to `dst` on the medium as reading all of them, then
    /// writing them would (`memmove()`): backwards when the destination overlaps the end of
    /// the source.
    fn copy_range(&self, src: u64, dst: u64, len: u64) -> Result<(), SenseReason> {
        let mut buf = [0u8; XCOPY_PIECE];
        let backward = dst > src && dst < src.saturating_add(len);
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(XCOPY_PIECE as u64);
            let off = if backward { len - done - n } else { done };
            let piece = buf.get_mut(..n as usize).unwrap_or(&mut []);
            let from = src.checked_add(off).ok_or(SenseReason::AddressOutOfRange)?;
            let to = dst.checked_add(off).ok_or(SenseReason::AddressOutOfRange)?;
            self.medium
                .read_to(from, n as usize, &mut SliceData(&mut *piece), 0)?;
            self.medium
                .write_from(to, n as usize, &mut SliceData(piece), 0)?;
            done += n;
        }
        Ok(())
    }

    /// `spc_emulate_report_luns()`, written straight into the data-in: the LUN LIST
    /// LENGTH, then the session's LUNs (LUN 0 when there are none), cut at the data length.
    fn report_luns(&mut self) -> usize {
        let count = self.luns.len().max(1);
        let len = count.saturating_mul(8).saturating_add(8);
        self.length.target_set_cmd_data_length(len);
        if self.direction != DmaDirection::FromDevice {
            return 0;
        }
        let total = self.data_length();
        let mut header = [0u8; 8];
        put_unaligned_be32(&mut header, 0, (count as u32).wrapping_mul(8));
        self.data
            .copy_in(0, header.get(..total.min(8)).unwrap_or(&[]));
        let luns = self.luns;
        let first = [0u64];
        let list = if luns.is_empty() { &first[..] } else { luns };
        for (i, &lun) in list.iter().enumerate() {
            let off = 8 + 8 * i;
            if off >= total {
                break;
            }
            let scsilun = int_to_scsilun(lun);
            let n = (total - off).min(8);
            self.data.copy_in(off, scsilun.get(..n).unwrap_or(&[]));
        }
        total
    }
}

/// The data-in as PERSISTENT RESERVE IN writes it: bytes past `limit` are dropped.
struct DataIn<'a> {
    data: &'a mut dyn CmdData,
    limit: usize,
}

impl DataIn<'_> {
    /// Zeros the whole data-in, as LIO's zeroed buffers.
    fn zero(&mut self) {
        let mut off = 0;
        while off < self.limit {
            let n = (self.limit - off).min(CHUNK);
            let copied = self.data.copy_in(off, ZEROS.get(..n).unwrap_or(&[]));
            if copied == 0 {
                break;
            }
            off += copied;
        }
    }
}

impl PrInBuf for DataIn<'_> {
    fn put(&mut self, off: usize, bytes: &[u8]) {
        if off >= self.limit {
            return;
        }
        let n = (self.limit - off).min(bytes.len());
        self.data.copy_in(off, bytes.get(..n).unwrap_or(&[]));
    }
}

/// What a handler left for the data-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Response {
    /// Nothing: the data-in is zeros.
    None,
    /// The first `n` bytes of the scratch buffer, then zeros.
    Scratch(usize),
    /// The handler filled the buffer (READ).
    Filled,
}

#[cfg(test)]
mod tests {
    use super::super::cdb::{
        COMPARE_AND_WRITE, EXTENDED_COPY, INQUIRY, MAINTENANCE_IN, MAINTENANCE_OUT, MODE_SELECT,
        MODE_SELECT_10, MODE_SENSE, MODE_SENSE_10, PERSISTENT_RESERVE_IN, PERSISTENT_RESERVE_OUT,
        READ_10, READ_12, READ_16, READ_6, READ_CAPACITY, RECEIVE_COPY_RESULTS, RELEASE,
        RELEASE_10, REPORT_LUNS, REQUEST_SENSE, RESERVE, RESERVE_10, START_STOP, SYNCHRONIZE_CACHE,
        SYNCHRONIZE_CACHE_16, TEST_UNIT_READY, UNMAP, VERIFY, VERIFY_16, WRITE_10, WRITE_12,
        WRITE_16, WRITE_6, WRITE_SAME, WRITE_SAME_16, WRITE_VERIFY, WRITE_VERIFY_16,
    };
    use super::super::pr::PrState;
    use super::super::sense::{
        ABORTED_COMMAND, COPY_ABORTED, DATA_PROTECT, ILLEGAL_REQUEST, MISCOMPARE, NOT_READY,
        NO_SENSE, SAM_STAT_CHECK_CONDITION, UNIT_ATTENTION,
    };
    use super::super::spc::{
        dev_naa, se_dev_align_max_sectors, TgPtGp, SCSI_PROTOCOL_ISCSI,
        TARGET_UA_INTLCK_CTRL_NO_CLEAR, TPGS_IMPLICIT_ALUA,
    };
    use super::*;
    use core::cell::RefCell;
    use std::sync::{Mutex, MutexGuard};
    use std::vec;
    use std::vec::Vec;

    use DmaDirection::{FromDevice, ToDevice};

    const BLOCKS: u64 = 64;
    const BS: usize = 512;
    const SERIAL: &[u8] = b"5d3f6a2c-0b41-4e8a-9c7d-1e2f3a4b5c6d";

    /// A `RefCell` that is `Sync`, as a [`Medium`] must be.
    struct Shared<T>(Mutex<T>);

    impl<T> Shared<T> {
        fn new(v: T) -> Self {
            Self(Mutex::new(v))
        }
        fn borrow(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
        fn borrow_mut(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    /// What the medium was asked to do besides reads and writes.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Op {
        Sync(u64, u32, bool),
        Unmap(u64, u32),
        WriteSame(u64, u32),
    }

    /// An in-memory medium that checks every range it is given.
    struct MemMedium {
        bytes: Shared<Vec<u8>>,
        ops: ExecCmdOps,
        log: Shared<Vec<Op>>,
        fail: Option<SenseReason>,
        /// COMPARE AND WRITE lock: (times taken, held now, reads/writes while held).
        caw: Shared<(u32, bool, u32)>,
        /// The lock cannot be taken.
        caw_fail: Option<SenseReason>,
    }

    impl MemMedium {
        fn new(ops: ExecCmdOps, len: usize) -> Self {
            Self {
                bytes: Shared::new((0..len).map(|i| (i * 7 + i / BS) as u8).collect()),
                ops,
                log: Shared::new(Vec::new()),
                fail: None,
                caw: Shared::new((0, false, 0)),
                caw_fail: None,
            }
        }

        fn range(&self, pos: u64, len: usize) -> core::ops::Range<usize> {
            let start = pos as usize;
            assert!(start + len <= self.bytes.borrow().len(), "{pos} + {len}");
            start..start + len
        }

        fn count_io(&self) {
            let mut caw = self.caw.borrow_mut();
            if caw.1 {
                caw.2 += 1;
            }
        }

        fn block(&self, lba: u64) -> Vec<u8> {
            let r = self.range(lba * BS as u64, BS);
            self.bytes.borrow()[r].to_vec()
        }
    }

    impl Medium for MemMedium {
        fn ops(&self) -> ExecCmdOps {
            self.ops
        }

        fn read_to(
            &self,
            pos: u64,
            len: usize,
            data: &mut dyn CmdData,
            data_off: usize,
        ) -> Result<(), SenseReason> {
            if let Some(r) = self.fail {
                return Err(r);
            }
            self.count_io();
            assert!(data_off + len <= data.len());
            let r = self.range(pos, len);
            assert_eq!(data.copy_in(data_off, &self.bytes.borrow()[r]), len);
            Ok(())
        }

        fn write_from(
            &self,
            pos: u64,
            len: usize,
            data: &mut dyn CmdData,
            data_off: usize,
        ) -> Result<(), SenseReason> {
            if let Some(r) = self.fail {
                return Err(r);
            }
            self.count_io();
            assert!(data_off + len <= data.len());
            let r = self.range(pos, len);
            assert_eq!(
                data.copy_out(data_off, &mut self.bytes.borrow_mut()[r]),
                len
            );
            Ok(())
        }

        fn with_caw_lock(&self, f: &mut dyn FnMut()) -> Result<(), SenseReason> {
            if let Some(r) = self.caw_fail {
                return Err(r);
            }
            {
                let mut caw = self.caw.borrow_mut();
                assert!(!caw.1, "CAW lock taken twice");
                caw.0 += 1;
                caw.1 = true;
            }
            f();
            self.caw.borrow_mut().1 = false;
            Ok(())
        }

        fn sync_cache(&self, lba: u64, nolb: u32, immed: bool) -> Result<(), SenseReason> {
            self.log.borrow_mut().push(Op::Sync(lba, nolb, immed));
            self.fail.map_or(Ok(()), Err)
        }

        fn unmap(&self, lba: u64, nolb: u32) -> Result<(), SenseReason> {
            let r = self.range(lba * BS as u64, nolb as usize * BS);
            self.bytes.borrow_mut()[r].fill(0);
            self.log.borrow_mut().push(Op::Unmap(lba, nolb));
            Ok(())
        }

        fn write_same(
            &self,
            lba: u64,
            nolb: u32,
            block_size: u32,
            data: &mut dyn CmdData,
        ) -> Result<(), SenseReason> {
            self.log.borrow_mut().push(Op::WriteSame(lba, nolb));
            for i in 0..u64::from(nolb) {
                let pos = (lba + i) * u64::from(block_size);
                self.write_from(pos, block_size as usize, data, 0)?;
            }
            Ok(())
        }
    }

    /// A Vec-backed data buffer that checks the engine stays inside it.
    struct VecData(Vec<u8>);

    impl CmdData for VecData {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn copy_out(&mut self, off: usize, dst: &mut [u8]) -> usize {
            assert!(off + dst.len() <= self.0.len());
            dst.copy_from_slice(&self.0[off..off + dst.len()]);
            dst.len()
        }
        fn copy_in(&mut self, off: usize, src: &[u8]) -> usize {
            assert!(off + src.len() <= self.0.len());
            self.0[off..off + src.len()].copy_from_slice(src);
            src.len()
        }
    }

    fn rd_dev() -> DeviceInfo<'static> {
        let mut dev = DeviceInfo::new(
            b"LIO-ORG",
            b"rd0",
            b"4.0",
            BS as u32,
            BLOCKS - 1,
            se_dev_align_max_sectors(u32::MAX, BS as u32),
        );
        dev.unit_serial = Some(SERIAL);
        dev.lu_gp_id = Some(0);
        dev
    }

    /// A fileio device: write cache on (FUA), thin provisioning, write same.
    fn fileio_dev() -> DeviceInfo<'static> {
        let mut dev = rd_dev();
        dev.emulate_write_cache = true;
        dev.emulate_tpu = true;
        dev.emulate_tpws = true;
        dev.max_write_same_len = 0x1000;
        dev.max_unmap_lba_count = 16;
        dev.max_unmap_block_desc_count = 2;
        dev
    }

    fn port() -> PortInfo<'static> {
        PortInfo {
            proto_id: SCSI_PROTOCOL_ISCSI,
            tpg_rtpi: 1,
            tpgt: 1,
            tpg_wwn: b"iqn.2003-01.org.linux-iscsi.host:sn.0123456789ab",
            tg_pt_gp: Some(TgPtGp {
                tg_pt_gp_id: 0,
                alua_access_type: 0x30,
                ..TgPtGp::DEFAULT
            }),
            lun_access_ro: false,
            max_data_sg_nents: 0,
            sup_prot_ops: 0,
            sess_prot_type: 0,
        }
    }

    struct Lun {
        dev: DeviceInfo<'static>,
        port: PortInfo<'static>,
        medium: MemMedium,
        ua: UaQueue,
        luns: Vec<u64>,
    }

    impl Lun {
        fn rd() -> Self {
            let dev = rd_dev();
            Self::with(dev, ExecCmdOps::RD_MCP)
        }

        fn fileio() -> Self {
            Self::with(fileio_dev(), ExecCmdOps::FILEIO)
        }

        fn with(dev: DeviceInfo<'static>, ops: ExecCmdOps) -> Self {
            let len = (dev.num_blocks() as usize * dev.block_size as usize).min(1 << 20);
            Self {
                dev,
                port: port(),
                medium: MemMedium::new(ops, len),
                ua: UaQueue::new(),
                luns: vec![0, 1, 5],
            }
        }

        /// Runs `cdb` with a buffer of `data` (its length is the expected length).
        fn run(&mut self, cdb: &[u8], dir: DmaDirection, data: Vec<u8>) -> (CmdResponse, Vec<u8>) {
            let edtl = data.len() as u32;
            self.run_len(cdb, dir, edtl, data)
        }

        fn run_len(
            &mut self,
            cdb: &[u8],
            dir: DmaDirection,
            edtl: u32,
            data: Vec<u8>,
        ) -> (CmdResponse, Vec<u8>) {
            let mut scratch = [0xa5u8; EXEC_SCRATCH_LEN];
            let mut ctx = CmdContext {
                dev: &self.dev,
                port: &self.port,
                prot: CmdProt::default(),
                luns: &self.luns,
                ua: &mut self.ua,
                data_length: edtl,
                direction: dir,
                scratch: &mut scratch,
                pr: None,
            };
            let mut data = VecData(data);
            let r = execute(&mut ctx, cdb, &mut data, &self.medium);
            if r.is_good() {
                assert_eq!(r.sense_length, 0);
                assert!(r.data_in <= data.0.len());
            } else {
                assert_eq!(r.data_in, 0);
            }
            (r, data.0)
        }

        /// Data-in command with allocation length = expected length `len`.
        fn read_in(&mut self, cdb: &[u8], len: usize) -> (CmdResponse, Vec<u8>) {
            self.run(cdb, FromDevice, vec![0xeeu8; len])
        }
    }

    /// (key, ASC, ASCQ) of fixed or descriptor sense data.
    fn kcq(r: &CmdResponse) -> (u8, u8, u8) {
        assert_eq!(r.status, SAM_STAT_CHECK_CONDITION, "{r:?}");
        assert_eq!(r.sense_length, TRANSPORT_SENSE_BUFFER);
        let s = &r.sense;
        match s[0] & 0x7f {
            0x70 => (s[2] & 0xf, s[12], s[13]),
            0x72 => (s[1], s[2], s[3]),
            f => panic!("sense format {f:#x}"),
        }
    }

    const INVALID_OPCODE: (u8, u8, u8) = (ILLEGAL_REQUEST, 0x20, 0);
    const INVALID_FIELD_CDB: (u8, u8, u8) = (ILLEGAL_REQUEST, 0x24, 0);
    const INVALID_FIELD_PARAM: (u8, u8, u8) = (ILLEGAL_REQUEST, 0x26, 0);
    const PARAM_LIST_LENGTH: (u8, u8, u8) = (ILLEGAL_REQUEST, 0x1a, 0);
    const LBA_OUT_OF_RANGE: (u8, u8, u8) = (ILLEGAL_REQUEST, 0x21, 0);
    const INVALID_FIELD_IU: (u8, u8, u8) = (ILLEGAL_REQUEST, 0x0e, 0x03);
    const LUN_COMM_FAILURE: (u8, u8, u8) = (NOT_READY, 0x08, 0);

    fn cdb6(op: u8, b1: u8, b2: u8, b3: u8, b4: u8) -> [u8; 6] {
        [op, b1, b2, b3, b4, 0]
    }

    fn cdb10(op: u8, flags: u8, lba: u32, len: u16) -> [u8; 10] {
        let l = lba.to_be_bytes();
        let n = len.to_be_bytes();
        [op, flags, l[0], l[1], l[2], l[3], 0, n[0], n[1], 0]
    }

    fn cdb12(op: u8, flags: u8, lba: u32, len: u32) -> [u8; 12] {
        let mut c = [0u8; 12];
        c[0] = op;
        c[1] = flags;
        c[2..6].copy_from_slice(&lba.to_be_bytes());
        c[6..10].copy_from_slice(&len.to_be_bytes());
        c
    }

    fn cdb16(op: u8, flags: u8, lba: u64, len: u32) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[0] = op;
        c[1] = flags;
        c[2..10].copy_from_slice(&lba.to_be_bytes());
        c[10..14].copy_from_slice(&len.to_be_bytes());
        c
    }

    fn inquiry(evpd: bool, page: u8, alloc: u16) -> [u8; 6] {
        let a = alloc.to_be_bytes();
        [INQUIRY, u8::from(evpd), page, a[0], a[1], 0]
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    #[test]
    fn test_unit_ready_and_unit_attention() {
        let mut lun = Lun::rd();
        let tur = [TEST_UNIT_READY, 0, 0, 0, 0, 0];
        let (r, _) = lun.run(&tur, DmaDirection::None, Vec::new());
        assert!(r.is_good());
        assert_eq!(r.length, CmdDataLength::new(0));
        lun.ua.allocate(0x29, 0x07);
        lun.ua.allocate(0x3f, 0x0e);
        // INQUIRY and REPORT LUNS pass and leave the conditions pending.
        assert!(lun.read_in(&inquiry(false, 0, 96), 96).0.is_good());
        let rl = cdb12(REPORT_LUNS, 0, 0, 64);
        assert!(lun.read_in(&rl, 64).0.is_good());
        assert_eq!(lun.ua.len(), 2);
        // Anything else reports the head; UA_INTLCK_CTRL 00b clears all of them.
        let (r, _) = lun.run(&tur, DmaDirection::None, Vec::new());
        assert_eq!(kcq(&r), (UNIT_ATTENTION, 0x29, 0x07));
        assert_eq!(r.reason, Some(SenseReason::CheckConditionUnitAttention));
        assert!(lun.ua.is_empty());
        assert!(lun.run(&tur, DmaDirection::None, Vec::new()).0.is_good());
        // A bad CDB fails in parsing, before the unit attention check.
        lun.ua.allocate(0x2a, 0x06);
        let (r, _) = lun.read_in(&cdb10(READ_10, 0, BLOCKS as u32, 1), BS);
        assert_eq!(kcq(&r), LBA_OUT_OF_RANGE);
        assert_eq!(lun.ua.len(), 1);
        let (r, _) = lun.read_in(&cdb10(READ_10, 0, 0, 1), BS);
        assert_eq!(kcq(&r), (UNIT_ATTENTION, 0x2a, 0x06));
    }

    #[test]
    fn unit_attention_interlock_no_clear() {
        let mut lun = Lun::rd();
        lun.dev.emulate_ua_intlck_ctrl = TARGET_UA_INTLCK_CTRL_NO_CLEAR;
        lun.ua.allocate(0x2a, 0x06);
        let tur = [TEST_UNIT_READY, 0, 0, 0, 0, 0];
        for _ in 0..2 {
            let (r, _) = lun.run(&tur, DmaDirection::None, Vec::new());
            assert_eq!(kcq(&r), (UNIT_ATTENTION, 0x2a, 0x06));
        }
        // REQUEST SENSE returns it and clears it.
        let (r, d) = lun.read_in(&cdb6(REQUEST_SENSE, 0, 0, 0, 18), 18);
        assert!(r.is_good());
        assert_eq!(
            (d[0], d[2], d[12], d[13]),
            (0x70, UNIT_ATTENTION, 0x2a, 0x06)
        );
        assert!(lun.run(&tur, DmaDirection::None, Vec::new()).0.is_good());
    }

    #[test]
    fn request_sense() {
        let mut lun = Lun::rd();
        let (r, d) = lun.read_in(&cdb6(REQUEST_SENSE, 0, 0, 0, 252), 252);
        assert!(r.is_good());
        // No length on completion: the whole allocation length, zero padded.
        assert_eq!(r.data_in, 252);
        assert_eq!(
            &d[..18],
            &[0x70, 0, NO_SENSE, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert!(d[18..].iter().all(|&b| b == 0));
        // DESC = 1 is refused and the unit attention stays.
        lun.ua.allocate(0x29, 0x03);
        let (r, _) = lun.read_in(&cdb6(REQUEST_SENSE, 1, 0, 0, 18), 18);
        assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        assert_eq!(lun.ua.len(), 1);
        // Allocation length 0: GOOD, nothing sent, the condition cleared.
        let (r, _) = lun.run(
            &cdb6(REQUEST_SENSE, 0, 0, 0, 0),
            DmaDirection::None,
            Vec::new(),
        );
        assert!(r.is_good());
        assert!(lun.ua.is_empty());
        // Truncated to the allocation length.
        lun.ua.allocate(0x29, 0x03);
        let (r, d) = lun.read_in(&cdb6(REQUEST_SENSE, 0, 0, 0, 8), 8);
        assert_eq!((r.data_in, d[2]), (8, UNIT_ATTENTION));
    }

    #[test]
    fn inquiry_standard_and_truncation() {
        let mut lun = Lun::rd();
        let (r, d) = lun.read_in(&inquiry(false, 0, 255), 255);
        assert!(r.is_good());
        assert_eq!(r.data_in, 96);
        assert_eq!(
            r.length,
            CmdDataLength {
                data_length: 96,
                residual_count: 159,
                overflow: false,
                underflow: true
            }
        );
        assert_eq!(&d[8..16], b"LIO-ORG ");
        assert_eq!(d[4], 91);
        // SCCS... TPGS 11b (implicit and explicit ALUA), 3PC.
        assert_eq!(d[5], 0x80 | 0x30 | 0x08);
        // The initiator's buffer past the answer is untouched.
        assert!(d[96..].iter().all(|&b| b == 0xee));
        // Allocation length 36: cut, no residual.
        let (r, d36) = lun.read_in(&inquiry(false, 0, 36), 36);
        assert_eq!((r.data_in, r.length.residual_count), (36, 0));
        assert_eq!(d36, d[..36]);
        // Fabric length shorter than the allocation length: overflow; then the answer is
        // shorter still, both bits as in LIO.
        let (r, _) = lun.run_len(&inquiry(false, 0, 255), FromDevice, 64, vec![0; 64]);
        assert_eq!(r.data_in, 64);
        assert!(r.length.overflow && !r.length.underflow);
        assert_eq!(r.length.residual_count, 191);
        let (r, _) = lun.run_len(&inquiry(false, 0, 255), FromDevice, 200, vec![0; 200]);
        assert!(r.length.overflow && r.length.underflow);
        // target_set_cmd_data_length() sets (not adds) the underflow residual.
        assert_eq!((r.data_in, r.length.residual_count), (96, 104));
        // PAGE CODE without EVPD, unknown VPD page.
        assert_eq!(
            kcq(&lun.read_in(&inquiry(false, 0x80, 96), 96).0),
            INVALID_FIELD_CDB
        );
        assert_eq!(
            kcq(&lun.read_in(&inquiry(true, 0x84, 96), 96).0),
            INVALID_FIELD_CDB
        );
        // Zero allocation length: GOOD, nothing sent.
        let (r, _) = lun.run(&inquiry(false, 0, 0), DmaDirection::None, Vec::new());
        assert!(r.is_good());
        assert_eq!(r.data_in, 0);
    }

    #[test]
    fn inquiry_vpd_pages() {
        let mut lun = Lun::fileio();
        let (r, d) = lun.read_in(&inquiry(true, 0, 64), 64);
        assert!(r.is_good());
        assert_eq!(
            &d[..12],
            &[0, 0, 0, 8, 0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xb3]
        );
        assert_eq!(r.data_in, 12);
        for page in EVPD {
            let (r, d) = lun.read_in(&inquiry(true, page, 1024), 1024);
            assert!(r.is_good(), "page {page:#x}");
            assert_eq!(d[1], page);
            let len = usize::from(u16::from_be_bytes([d[2], d[3]])) + 4;
            assert_eq!(r.data_in, len, "page {page:#x}");
        }
        let (_, d) = lun.read_in(&inquiry(true, 0x80, 64), 64);
        assert_eq!(&d[4..4 + SERIAL.len()], SERIAL);
        // Block limits: MAXIMUM COMPARE AND WRITE LENGTH 1, unmap limits of the device.
        let (_, d) = lun.read_in(&inquiry(true, 0xb0, 64), 64);
        assert_eq!((d[3], d[5]), (0x3c, 1));
        assert_eq!(u32::from_be_bytes(d[20..24].try_into().unwrap()), 16);
        // Device identification: the target port group designator (0x0), once.
        let (_, d) = lun.read_in(&inquiry(true, 0x83, 512), 512);
        let mut off = 4;
        let end = 4 + usize::from(u16::from_be_bytes([d[2], d[3]]));
        let mut groups = Vec::new();
        while off < end {
            if d[off + 1] & 0x0f == 0x05 {
                groups.push(d[off..off + 8].to_vec());
            }
            off += 4 + usize::from(d[off + 3]);
        }
        assert_eq!(off, end);
        assert_eq!(groups, [[0x51, 0x95, 0, 4, 0, 0, 0, 0]]);
        // Logical block provisioning: LBPU, LBPWS, LBPWS10.
        let (_, d) = lun.read_in(&inquiry(true, 0xb2, 8), 8);
        assert_eq!(d[5], 0xe0);
    }

    const EVPD: [u8; 8] = [0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xb3];

    #[test]
    fn mode_sense_and_select() {
        let mut lun = Lun::fileio();
        let (r, d) = lun.read_in(&cdb6(MODE_SENSE, 0, 0x3f, 0, 255), 255);
        assert!(r.is_good());
        assert_eq!(r.data_in, usize::from(d[0]) + 1);
        assert_eq!(d[2], 0x10); // DPOFUA with the write cache on
        assert_eq!(d[3], 8);
        let mut ms10 = cdb10(MODE_SENSE_10, 0, 0, 512);
        ms10[2] = 0x08; // caching page
        let (r, d) = lun.read_in(&ms10, 512);
        assert!(r.is_good());
        assert_eq!(r.data_in, 8 + 8 + 20);
        assert_eq!((d[16], d[18]), (0x08, 0x04)); // WCE
                                                  // Allocation length cuts the answer.
        let (r, _) = lun.read_in(&cdb6(MODE_SENSE, 0, 0x3f, 0, 4), 4);
        assert_eq!((r.data_in, r.length.residual_count), (4, 0));
        // Unknown page, bad subpage.
        assert_eq!(
            kcq(&lun.read_in(&cdb6(MODE_SENSE, 0, 0x05, 0, 255), 255).0),
            INVALID_FIELD_CDB
        );
        assert_eq!(
            kcq(&lun.read_in(&cdb6(MODE_SENSE, 0, 0x3f, 1, 255), 255).0),
            INVALID_FIELD_CDB
        );
        // MODE SELECT takes the current page back, nothing else.
        let (_, cur) = lun.read_in(&cdb6(MODE_SENSE, 0x08, 0x08, 0, 255), 255);
        let page = cur[4..24].to_vec();
        let mut param = vec![0u8; 4];
        param.extend_from_slice(&page);
        let sel = cdb6(MODE_SELECT, 0x10, 0, 0, param.len() as u8);
        assert!(lun.run(&sel, ToDevice, param.clone()).0.is_good());
        let mut sel10 = cdb10(MODE_SELECT_10, 0x10, 0, 28);
        sel10[7] = 0;
        let mut param10 = vec![0u8; 8];
        param10.extend_from_slice(&page);
        assert!(lun.run(&sel10, ToDevice, param10).0.is_good());
        let mut changed = param.clone();
        changed[6] ^= 0x04; // WCE
        assert_eq!(
            kcq(&lun.run(&sel, ToDevice, changed).0),
            INVALID_FIELD_PARAM
        );
        let short = cdb6(MODE_SELECT, 0x10, 0, 0, 5);
        assert_eq!(
            kcq(&lun.run(&short, ToDevice, vec![0; 5]).0),
            PARAM_LIST_LENGTH
        );
        let no_pf = cdb6(MODE_SELECT, 0, 0, 0, param.len() as u8);
        assert_eq!(
            kcq(&lun.run(&no_pf, ToDevice, param.clone()).0),
            INVALID_FIELD_CDB
        );
        // More data-out than the parameter list length: allowed (control CDB), the list
        // is the whole data-out as in LIO; less is INVALID FIELD IN CDB.
        let mut long = param.clone();
        long.extend_from_slice(&[0; 8]);
        let (r, _) = lun.run(&sel, ToDevice, long);
        assert!(r.is_good());
        assert!(r.length.underflow);
        assert_eq!(
            kcq(&lun.run(&sel, ToDevice, param[..10].to_vec()).0),
            INVALID_FIELD_CDB
        );
        // Empty list: GOOD.
        let empty = cdb6(MODE_SELECT, 0x10, 0, 0, 0);
        assert!(lun.run(&empty, DmaDirection::None, Vec::new()).0.is_good());
    }

    #[test]
    fn report_luns() {
        let mut lun = Lun::rd();
        let (r, d) = lun.read_in(&cdb12(REPORT_LUNS, 0, 0, 64), 64);
        assert!(r.is_good());
        assert_eq!(r.data_in, 32);
        assert!(r.length.underflow);
        assert_eq!(r.length.residual_count, 32);
        assert_eq!(&d[..8], &[0, 0, 0, 24, 0, 0, 0, 0]);
        assert_eq!(
            &d[8..32],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0]
        );
        // Allocation length 20: the list length stays, the list is cut.
        let (r, d) = lun.read_in(&cdb12(REPORT_LUNS, 0, 0, 20), 20);
        assert_eq!((r.data_in, r.length.residual_count), (20, 0));
        assert_eq!(&d[..4], &[0, 0, 0, 24]);
        assert_eq!(&d[16..20], &[0, 1, 0, 0]);
        // No LUNs: LUN 0.
        lun.luns.clear();
        let (r, d) = lun.read_in(&cdb12(REPORT_LUNS, 0, 0, 16), 16);
        assert_eq!(r.data_in, 16);
        assert_eq!(d, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn read_capacity() {
        let mut lun = Lun::fileio();
        let (r, d) = lun.read_in(&cdb10(READ_CAPACITY, 0, 0, 0), 8);
        assert!(r.is_good());
        assert_eq!(d, [0, 0, 0, 63, 0, 0, 2, 0]);
        let mut bad = cdb10(READ_CAPACITY, 0, 5, 0);
        assert_eq!(kcq(&lun.read_in(&bad, 8).0), INVALID_FIELD_CDB);
        bad[8] = 1; // PMI
        assert!(lun.read_in(&bad, 8).0.is_good());
        let mut rc16 = cdb16(0x9e, 0x10, 0, 0);
        rc16[13] = 32;
        let (r, d) = lun.read_in(&rc16, 32);
        assert!(r.is_good());
        assert_eq!(&d[..12], &[0, 0, 0, 0, 0, 0, 0, 63, 0, 0, 2, 0]);
        assert_eq!(d[14], 0x80); // LBPME
        rc16[13] = 12;
        let (r, _) = lun.read_in(&rc16, 12);
        assert_eq!(r.data_in, 12);
        rc16[13] = 64;
        let (r, _) = lun.read_in(&rc16, 64);
        assert_eq!((r.data_in, r.length.residual_count), (32, 32));
        // Another SERVICE ACTION IN (16): INVALID FIELD IN CDB, as LIO.
        assert_eq!(
            kcq(&lun.read_in(&cdb16(0x9e, 0x12, 0, 32), 32).0),
            INVALID_FIELD_CDB
        );
    }

    #[test]
    fn read_write_all_sizes() {
        let mut lun = Lun::rd();
        let cases: [(Vec<u8>, Vec<u8>); 4] = [
            (
                cdb6(WRITE_6, 0, 0, 3, 2).to_vec(),
                cdb6(READ_6, 0, 0, 3, 2).to_vec(),
            ),
            (
                cdb10(WRITE_10, 0, 10, 3).to_vec(),
                cdb10(READ_10, 0, 10, 3).to_vec(),
            ),
            (
                cdb12(WRITE_12, 0, 20, 1).to_vec(),
                cdb12(READ_12, 0, 20, 1).to_vec(),
            ),
            (
                cdb16(WRITE_16, 0, 62, 2).to_vec(),
                cdb16(READ_16, 0, 62, 2).to_vec(),
            ),
        ];
        for (i, (w, rd)) in cases.iter().enumerate() {
            let blocks = match w.len() {
                6 => 2,
                10 => 3,
                12 => 1,
                _ => 2,
            };
            let data = pattern(blocks * BS, i as u8);
            let (r, _) = lun.run(w, ToDevice, data.clone());
            assert!(r.is_good(), "{w:x?}");
            assert_eq!(r.data_in, 0);
            let (r, back) = lun.read_in(rd, blocks * BS);
            assert!(r.is_good());
            assert_eq!(r.data_in, blocks * BS);
            assert_eq!(back, data);
        }
        // READ (6) with TRANSFER LENGTH 0 is 256 blocks: past this 64-block medium.
        assert_eq!(
            kcq(&lun.read_in(&cdb6(READ_6, 0, 0, 0, 0), BS).0),
            LBA_OUT_OF_RANGE
        );
        // Zero blocks is GOOD and moves nothing.
        let (r, _) = lun.run(&cdb10(READ_10, 0, 5, 0), DmaDirection::None, Vec::new());
        assert!(r.is_good());
    }

    #[test]
    fn lba_out_of_range() {
        let mut lun = Lun::rd();
        assert!(lun.read_in(&cdb10(READ_10, 0, 63, 1), BS).0.is_good());
        for cdb in [
            cdb16(READ_16, 0, 63, 2).to_vec(),
            cdb16(READ_16, 0, u64::MAX, 2).to_vec(),
            cdb10(WRITE_10, 0, 64, 1).to_vec(),
            cdb12(READ_12, 0, 0, 65).to_vec(),
        ] {
            let (r, _) = lun.run(&cdb, FromDevice, vec![0; BS]);
            assert_eq!(kcq(&r), LBA_OUT_OF_RANGE, "{cdb:x?}");
            // Refused while parsing: no residual yet.
            assert_eq!(r.length, CmdDataLength::new(BS as u32));
        }
        // Past 2^32 blocks LIO sends descriptor sense.
        let mut big = rd_dev();
        big.last_lba = 0x1_0000_0000;
        let mut lun = Lun::with(big, ExecCmdOps::RD_MCP);
        let (r, _) = lun.read_in(&cdb16(READ_16, 0, 0x1_0000_0001, 1), BS);
        assert_eq!(r.sense[0], 0x72);
        assert_eq!(kcq(&r), LBA_OUT_OF_RANGE);
    }

    #[test]
    fn residuals_of_data_commands() {
        let mut lun = Lun::rd();
        // READ: fabric expects more (underflow, data cut) or less (overflow, the fabric
        // length is read).
        let (r, d) = lun.read_in(&cdb10(READ_10, 0, 0, 1), 2 * BS);
        assert!(r.is_good());
        assert_eq!(r.data_in, BS);
        assert_eq!(
            (r.length.residual_count, r.length.underflow),
            (BS as u32, true)
        );
        assert_eq!(d[..BS], lun.medium.block(0)[..]);
        let (r, d) = lun.read_in(&cdb10(READ_10, 0, 0, 2), 100);
        assert_eq!(r.data_in, 100);
        assert_eq!(
            (r.length.residual_count, r.length.overflow),
            (2 * BS as u32 - 100, true)
        );
        assert_eq!(d, lun.medium.block(0)[..100]);
        // WRITE with another length: INVALID FIELD IN COMMAND IU, residual kept.
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 0, 1), ToDevice, vec![1; 2 * BS]);
        assert_eq!(kcq(&r), INVALID_FIELD_IU);
        assert!(r.length.underflow);
        assert_eq!(
            lun.medium.block(0),
            MemMedium::new(ExecCmdOps::RD_MCP, BS).block(0)
        );
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 0, 2), ToDevice, vec![1; BS]);
        assert_eq!(kcq(&r), INVALID_FIELD_IU);
        assert!(r.length.overflow);
        // A fabric limited to one page: a READ of 16 blocks gets 8 and an underflow.
        lun.port.max_data_sg_nents = 1;
        let (r, _) = lun.read_in(&cdb10(READ_10, 0, 0, 16), 16 * BS);
        assert!(r.is_good());
        assert_eq!((r.data_in, r.length.residual_count), (4096, 4096));
    }

    #[test]
    fn direction_and_buffer_checks() {
        let mut lun = Lun::rd();
        let before = lun.medium.block(0);
        // lio-rs: a READ with data-out is GOOD (as LIO) but never writes the medium, and
        // its buffer is left alone.
        let (r, d) = lun.run(&cdb10(READ_10, 0, 0, 1), ToDevice, vec![9; BS]);
        assert!(r.is_good());
        assert_eq!(d, vec![9; BS]);
        assert_eq!(lun.medium.block(0), before);
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 0, 1), FromDevice, vec![9; BS]);
        assert_eq!(kcq(&r), INVALID_FIELD_IU);
        let (r, _) = lun.run(
            &inquiry(false, 0, 96),
            DmaDirection::Bidirectional,
            vec![0; 96],
        );
        assert_eq!(kcq(&r), INVALID_FIELD_IU);
        // A WRITE without data: nothing moves, GOOD with the overflow, as LIO.
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 0, 1), DmaDirection::None, Vec::new());
        assert!(r.is_good());
        assert_eq!(
            (r.length.residual_count, r.length.overflow),
            (BS as u32, true)
        );
        assert_eq!(lun.medium.block(0), before);
        // A buffer shorter than the fabric's length.
        let (r, _) = lun.run_len(&cdb10(READ_10, 0, 0, 1), FromDevice, BS as u32, vec![0; 10]);
        assert_eq!(kcq(&r), LUN_COMM_FAILURE);
        // A CDB shorter than its opcode's length, and an empty one.
        assert_eq!(kcq(&lun.read_in(&[READ_10, 0, 0], BS).0), INVALID_FIELD_CDB);
        assert_eq!(kcq(&lun.read_in(&[], BS).0), INVALID_FIELD_CDB);
        // Non-data commands with data-in send zeros for the whole length.
        let (r, d) = lun.run_len(&cdb6(START_STOP, 1, 0, 0, 1), FromDevice, 0, vec![7; 4]);
        assert!(r.is_good());
        assert_eq!((r.data_in, d), (0, vec![7; 4]));
    }

    #[test]
    fn write_protected_lun() {
        let mut lun = Lun::rd();
        lun.port.lun_access_ro = true;
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 0, 1), ToDevice, vec![1; BS]);
        assert_eq!(kcq(&r), (DATA_PROTECT, 0x27, 0));
        // Even a bad CDB: the LUN is looked up first.
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 99, 1), ToDevice, vec![1; BS]);
        assert_eq!(kcq(&r), (DATA_PROTECT, 0x27, 0));
        assert!(lun.read_in(&cdb10(READ_10, 0, 0, 1), BS).0.is_good());
        // WRITE SAME with UNMAP and no data-out does not unmap it either (LIO does).
        lun.dev.emulate_tpws = true;
        lun.dev.max_write_same_len = 8;
        lun.medium.ops = ExecCmdOps::FILEIO;
        let before = lun.medium.block(0);
        let (r, _) = lun.run(
            &cdb10(WRITE_SAME, 0x08, 0, 1),
            DmaDirection::None,
            Vec::new(),
        );
        assert_eq!(kcq(&r), (DATA_PROTECT, 0x27, 0));
        assert_eq!(lun.medium.block(0), before);
        assert!(lun.medium.log.borrow().is_empty());
        // MODE SENSE reports WP.
        let (_, d) = lun.read_in(&cdb6(MODE_SENSE, 0, 0x3f, 0, 255), 255);
        assert_eq!(d[2] & 0x80, 0x80);
    }

    #[test]
    fn fua_dpo_and_write_and_verify() {
        // rd_mcp: no write cache, so DPO and FUA are INVALID FIELD IN CDB.
        let mut lun = Lun::rd();
        for flags in [0x08u8, 0x10] {
            let (r, _) = lun.run(&cdb10(WRITE_10, flags, 0, 1), ToDevice, vec![1; BS]);
            assert_eq!(kcq(&r), INVALID_FIELD_CDB);
            let (r, _) = lun.read_in(&cdb10(READ_10, flags, 0, 1), BS);
            assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        }
        // fileio with the write cache on: FUA writes are synced, DPO is accepted.
        let mut lun = Lun::fileio();
        let data = pattern(2 * BS, 3);
        assert!(lun
            .run(&cdb10(WRITE_10, 0x08, 4, 2), ToDevice, data.clone())
            .0
            .is_good());
        assert_eq!(*lun.medium.log.borrow(), [Op::Sync(4, 2, false)]);
        assert!(lun
            .run(&cdb16(WRITE_16, 0x10, 6, 2), ToDevice, data.clone())
            .0
            .is_good());
        assert_eq!(lun.medium.log.borrow().len(), 1);
        assert!(lun.read_in(&cdb10(READ_10, 0x18, 4, 2), 2 * BS).0.is_good());
        // WRITE AND VERIFY (10/16) writes the data.
        let data = pattern(BS, 9);
        assert!(lun
            .run(&cdb10(WRITE_VERIFY, 0x02, 9, 1), ToDevice, data.clone())
            .0
            .is_good());
        assert_eq!(lun.medium.block(9), data);
        assert!(lun
            .run(&cdb16(WRITE_VERIFY_16, 0, 10, 1), ToDevice, data.clone())
            .0
            .is_good());
        assert_eq!(lun.medium.block(10), data);
        let (r, _) = lun.run(&cdb10(WRITE_VERIFY, 0, 63, 2), ToDevice, vec![0; 2 * BS]);
        assert_eq!(kcq(&r), LBA_OUT_OF_RANGE);
    }

    /// The INFORMATION field of fixed sense with VALID set.
    fn information(r: &CmdResponse) -> u32 {
        assert_eq!(r.sense[0], 0xf0);
        u32::from_be_bytes(r.sense[3..7].try_into().unwrap())
    }

    #[test]
    fn verify_bytchk() {
        let mut lun = Lun::rd();
        // BYTCHK 0: medium verification, no data.
        assert!(lun
            .run(&cdb10(VERIFY, 0, 0, 8), DmaDirection::None, Vec::new())
            .0
            .is_good());
        // BYTCHK 1: equal data is GOOD.
        let medium: Vec<u8> = (3..6).flat_map(|b| lun.medium.block(b)).collect();
        let (r, _) = lun.run(&cdb10(VERIFY, 0x02, 3, 3), ToDevice, medium.clone());
        assert!(r.is_good());
        assert_eq!(r.data_in, 0);
        // A difference: MISCOMPARE, the offset in the data-out in INFORMATION.
        for at in [0usize, 1, 255, 256, 700, 3 * BS - 1] {
            let mut data = medium.clone();
            data[at] ^= 0xff;
            let (r, _) = lun.run(&cdb16(VERIFY_16, 0x02, 3, 3), ToDevice, data);
            assert_eq!(kcq(&r), (MISCOMPARE, 0x1d, 0), "{at}");
            assert_eq!(information(&r), at as u32);
            assert_eq!(r.reason, Some(SenseReason::MiscompareVerify));
        }
        // Missing data-out miscompares where it ends.
        let (r, _) = lun.run(&cdb10(VERIFY, 0x02, 3, 3), DmaDirection::None, Vec::new());
        assert_eq!((kcq(&r).0, information(&r)), (MISCOMPARE, 0));
        // Less data-out than the range: INVALID FIELD IN CDB (size check, control CDB).
        let (r, _) = lun.run(&cdb10(VERIFY, 0x02, 3, 3), ToDevice, medium[..BS].to_vec());
        assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        // BYTCHK 3: one block against each block of the range.
        let block = vec![0x5au8; BS];
        for lba in 20..24 {
            assert!(lun
                .run(&cdb10(WRITE_10, 0, lba, 1), ToDevice, block.clone())
                .0
                .is_good());
        }
        assert!(lun
            .run(&cdb10(VERIFY, 0x06, 20, 4), ToDevice, block.clone())
            .0
            .is_good());
        let (r, _) = lun.run(&cdb10(VERIFY, 0x06, 20, 5), ToDevice, block.clone());
        assert_eq!(kcq(&r).0, MISCOMPARE);
        assert_eq!(information(&r), 0);
        let mut odd = block.clone();
        odd[300] = 0;
        let (r, _) = lun.run(&cdb10(VERIFY, 0x06, 20, 4), ToDevice, odd);
        assert_eq!(information(&r), 300);
        // BYTCHK 10b is reserved; the range is checked.
        assert_eq!(
            kcq(&lun
                .run(&cdb10(VERIFY, 0x04, 0, 1), ToDevice, block.clone())
                .0),
            INVALID_FIELD_CDB
        );
        assert_eq!(
            kcq(&lun.run(&cdb10(VERIFY, 0x06, 63, 2), ToDevice, block).0),
            LBA_OUT_OF_RANGE
        );
        // Descriptor sense carries the offset in an information descriptor.
        let mut big = rd_dev();
        big.last_lba = 0x1_0000_0000;
        let mut lun = Lun::with(big, ExecCmdOps::RD_MCP);
        let mut data = lun.medium.block(1);
        data[17] ^= 1;
        let (r, _) = lun.run(&cdb16(VERIFY_16, 0x02, 1, 1), ToDevice, data);
        assert_eq!(&r.sense[..8], &[0x72, MISCOMPARE, 0x1d, 0, 0, 0, 0, 12]);
        assert_eq!(
            &r.sense[8..20],
            &[0, 0x0a, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 17]
        );
    }

    #[test]
    fn synchronize_cache() {
        let mut lun = Lun::fileio();
        assert!(lun
            .run(
                &cdb10(SYNCHRONIZE_CACHE, 0x02, 8, 4),
                DmaDirection::None,
                Vec::new()
            )
            .0
            .is_good());
        assert!(lun
            .run(
                &cdb16(SYNCHRONIZE_CACHE_16, 0, 0, 0),
                DmaDirection::None,
                Vec::new()
            )
            .0
            .is_good());
        assert_eq!(
            *lun.medium.log.borrow(),
            [Op::Sync(8, 4, true), Op::Sync(0, 0, false)]
        );
        assert_eq!(
            kcq(&lun
                .run(
                    &cdb10(SYNCHRONIZE_CACHE, 0, 60, 5),
                    DmaDirection::None,
                    Vec::new()
                )
                .0),
            LBA_OUT_OF_RANGE
        );
        // A failing sync is reported, unless IMMED already answered.
        lun.medium.fail = Some(SenseReason::LogicalUnitCommunicationFailure);
        let (r, _) = lun.run(
            &cdb10(SYNCHRONIZE_CACHE, 0, 0, 1),
            DmaDirection::None,
            Vec::new(),
        );
        assert_eq!(kcq(&r), LUN_COMM_FAILURE);
        let (r, _) = lun.run(
            &cdb10(SYNCHRONIZE_CACHE, 0x02, 0, 1),
            DmaDirection::None,
            Vec::new(),
        );
        assert!(r.is_good());
        // rd_mcp: a no-op without range check.
        let mut lun = Lun::rd();
        assert!(lun
            .run(
                &cdb10(SYNCHRONIZE_CACHE, 0, 99, 5),
                DmaDirection::None,
                Vec::new()
            )
            .0
            .is_good());
        assert!(lun.medium.log.borrow().is_empty());
    }

    #[test]
    fn medium_errors() {
        let mut lun = Lun::rd();
        lun.medium.fail = Some(SenseReason::LogicalUnitCommunicationFailure);
        let (r, _) = lun.read_in(&cdb10(READ_10, 0, 0, 1), BS);
        assert_eq!(kcq(&r), LUN_COMM_FAILURE);
        // Reasons LIO's request failure does not know become INVALID COMMAND OPERATION CODE.
        lun.medium.fail = Some(SenseReason::IncorrectAmountOfData);
        let (r, _) = lun.run(&cdb10(WRITE_10, 0, 0, 1), ToDevice, vec![0; BS]);
        assert_eq!(kcq(&r), INVALID_OPCODE);
        lun.medium.fail = Some(SenseReason::LunBusy);
        let (r, _) = lun.read_in(&cdb10(READ_10, 0, 0, 1), BS);
        assert_eq!((r.status, r.sense_length), (0x08, 0));
    }

    #[test]
    fn write_same() {
        let mut lun = Lun::fileio();
        let block = pattern(BS, 0x42);
        let (r, _) = lun.run(&cdb10(WRITE_SAME, 0, 8, 4), ToDevice, block.clone());
        assert!(r.is_good());
        for lba in 8..12 {
            assert_eq!(lun.medium.block(lba), block);
        }
        assert_ne!(lun.medium.block(12), block);
        assert!(lun
            .run(&cdb16(WRITE_SAME_16, 0, 60, 4), ToDevice, block.clone())
            .0
            .is_good());
        assert_eq!(lun.medium.block(63), block);
        assert_eq!(
            *lun.medium.log.borrow(),
            [Op::WriteSame(8, 4), Op::WriteSame(60, 4)]
        );
        // Not one block of data-out: INVALID FIELD IN CDB (more) / the size check (less).
        assert_eq!(
            kcq(&lun
                .run(&cdb10(WRITE_SAME, 0, 8, 4), ToDevice, vec![0; 2 * BS])
                .0),
            INVALID_FIELD_CDB
        );
        assert_eq!(
            kcq(&lun
                .run(&cdb10(WRITE_SAME, 0, 8, 4), ToDevice, vec![0; 100])
                .0),
            INVALID_FIELD_CDB
        );
        // WSNZ, range, LIO's limits and obsolete bits.
        assert_eq!(
            kcq(&lun
                .run(&cdb10(WRITE_SAME, 0, 8, 0), ToDevice, block.clone())
                .0),
            INVALID_FIELD_CDB
        );
        assert_eq!(
            kcq(&lun
                .run(&cdb16(WRITE_SAME_16, 0, 62, 4), ToDevice, block.clone())
                .0),
            LBA_OUT_OF_RANGE
        );
        assert_eq!(
            kcq(&lun
                .run(&cdb10(WRITE_SAME, 0x02, 8, 1), ToDevice, block.clone())
                .0),
            INVALID_OPCODE
        );
        assert_eq!(
            kcq(&lun
                .run(&cdb10(WRITE_SAME, 0x10, 8, 1), ToDevice, block.clone())
                .0),
            INVALID_FIELD_CDB
        );
        // UNMAP bit: the range is unmapped (zeroed here) instead.
        let (r, _) = lun.run(&cdb16(WRITE_SAME_16, 0x08, 8, 2), ToDevice, block.clone());
        assert!(r.is_good());
        assert_eq!(lun.medium.block(9), vec![0; BS]);
        assert_eq!(lun.medium.block(10), block);
        assert_eq!(lun.medium.log.borrow().last(), Some(&Op::Unmap(8, 2)));
        // Without emulate_tpws: INVALID COMMAND OPERATION CODE. rd_mcp has no write same
        // and max_write_same_len 0, which LIO checks first: INVALID FIELD IN CDB.
        lun.dev.emulate_tpws = false;
        assert_eq!(
            kcq(&lun
                .run(&cdb10(WRITE_SAME, 0x08, 8, 1), ToDevice, block.clone())
                .0),
            INVALID_OPCODE
        );
        let mut rd = Lun::rd();
        assert_eq!(
            kcq(&rd
                .run(&cdb10(WRITE_SAME, 0, 8, 1), ToDevice, block.clone())
                .0),
            INVALID_FIELD_CDB
        );
        rd.dev.max_write_same_len = 8;
        assert_eq!(
            kcq(&rd.run(&cdb10(WRITE_SAME, 0, 8, 1), ToDevice, block).0),
            INVALID_OPCODE
        );
    }

    fn unmap_list(descs: &[(u64, u32)]) -> Vec<u8> {
        let bd = (descs.len() * 16) as u16;
        let mut p = Vec::new();
        p.extend_from_slice(&(bd + 6).to_be_bytes());
        p.extend_from_slice(&bd.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        for &(lba, n) in descs {
            p.extend_from_slice(&lba.to_be_bytes());
            p.extend_from_slice(&n.to_be_bytes());
            p.extend_from_slice(&[0; 4]);
        }
        p
    }

    #[test]
    fn unmap() {
        let mut lun = Lun::fileio();
        let unmap = |len: usize| cdb10(UNMAP, 0, 0, len as u16);
        let list = unmap_list(&[(2, 2), (7, 0)]);
        let (r, _) = lun.run(&unmap(list.len()), ToDevice, list);
        assert!(r.is_good());
        assert_eq!(*lun.medium.log.borrow(), [Op::Unmap(2, 2)]);
        assert_eq!(lun.medium.block(3), vec![0; BS]);
        // Too many descriptors, too many blocks, past the end, a short list, ANCHOR.
        let three = unmap_list(&[(0, 1), (1, 1), (2, 1)]);
        assert_eq!(
            kcq(&lun.run(&unmap(three.len()), ToDevice, three).0),
            INVALID_FIELD_PARAM
        );
        let big = unmap_list(&[(0, 17)]);
        assert_eq!(
            kcq(&lun.run(&unmap(big.len()), ToDevice, big).0),
            INVALID_FIELD_PARAM
        );
        let past = unmap_list(&[(60, 8)]);
        assert_eq!(
            kcq(&lun.run(&unmap(past.len()), ToDevice, past).0),
            LBA_OUT_OF_RANGE
        );
        assert_eq!(
            kcq(&lun.run(&unmap(6), ToDevice, vec![0; 6]).0),
            PARAM_LIST_LENGTH
        );
        let mut anchor = unmap(24);
        anchor[1] = 1;
        assert_eq!(
            kcq(&lun.run(&anchor, ToDevice, unmap_list(&[(0, 1)])).0),
            INVALID_FIELD_CDB
        );
        // An empty list; a BLOCK DESCRIPTOR DATA LENGTH past the data is cut to it.
        assert!(lun
            .run(&unmap(0), DmaDirection::None, Vec::new())
            .0
            .is_good());
        let mut cut = unmap_list(&[(20, 1)]);
        cut[2..4].copy_from_slice(&0x100u16.to_be_bytes());
        assert!(lun.run(&unmap(cut.len()), ToDevice, cut).0.is_good());
        assert_eq!(lun.medium.log.borrow().last(), Some(&Op::Unmap(20, 1)));
        // Without emulate_tpu, or on rd_mcp: INVALID COMMAND OPERATION CODE.
        lun.dev.emulate_tpu = false;
        let one = unmap_list(&[(0, 1)]);
        assert_eq!(
            kcq(&lun.run(&unmap(one.len()), ToDevice, one.clone()).0),
            INVALID_OPCODE
        );
        assert_eq!(
            kcq(&Lun::rd().run(&unmap(one.len()), ToDevice, one).0),
            INVALID_OPCODE
        );
    }

    #[test]
    fn start_stop_unit() {
        let mut lun = Lun::rd();
        assert!(lun
            .run(
                &cdb6(START_STOP, 1, 0, 0, 1),
                DmaDirection::None,
                Vec::new()
            )
            .0
            .is_good());
        for (b1, b4) in [(0u8, 1u8), (1, 0), (1, 2), (1, 0x11)] {
            let (r, _) = lun.run(
                &cdb6(START_STOP, b1, 0, 0, b4),
                DmaDirection::None,
                Vec::new(),
            );
            assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        }
    }

    fn rsoc(options: u8, rctd: bool, op: u8, sa: u16, alloc: u32) -> [u8; 12] {
        let mut c = [0u8; 12];
        c[0] = MAINTENANCE_IN;
        c[1] = 0x0c;
        c[2] = options | if rctd { 0x80 } else { 0 };
        c[3] = op;
        c[4..6].copy_from_slice(&sa.to_be_bytes());
        c[6..10].copy_from_slice(&alloc.to_be_bytes());
        c
    }

    #[test]
    fn report_supported_operation_codes() {
        let mut lun = Lun::fileio();
        let (r, d) = lun.read_in(&rsoc(0, false, 0, 0, 2048), 2048);
        assert!(r.is_good());
        let len = u32::from_be_bytes(d[..4].try_into().unwrap()) as usize;
        assert_eq!(r.data_in, len + 4);
        let listed: Vec<(u8, u16)> = d[4..4 + len]
            .chunks(8)
            .map(|c| (c[0], u16::from_be_bytes([c[2], c[3]])))
            .collect();
        for (op, sa) in [
            (READ_10, 0),
            (WRITE_SAME_16, 0),
            (UNMAP, 0),
            (INQUIRY, 0),
            (MAINTENANCE_IN, 0x0c),
            (PERSISTENT_RESERVE_IN, 0),
            (PERSISTENT_RESERVE_IN, 3),
            (PERSISTENT_RESERVE_OUT, 0),
            (PERSISTENT_RESERVE_OUT, 7),
            (RESERVE, 0),
            (RESERVE_10, 0),
            (RELEASE, 0),
            (RELEASE_10, 0),
            (MAINTENANCE_IN, 0x0a),
            (MAINTENANCE_OUT, 0x0a),
            (COMPARE_AND_WRITE, 0),
            (EXTENDED_COPY, 0),
            (RECEIVE_COPY_RESULTS, 0x03),
        ] {
            assert!(listed.contains(&(op, sa)), "{op:#x}");
        }
        assert!(!listed.contains(&(SERVICE_ACTION_IN_16, 0x13)));
        // One command: supported, or not.
        let (r, d) = lun.read_in(&rsoc(1, false, READ_10, 0, 64), 64);
        assert!(r.is_good());
        assert_eq!(&d[..4], &[0, 3, 0, 10]);
        assert_eq!(r.data_in, 14);
        let (_, d) = lun.read_in(&rsoc(2, false, PERSISTENT_RESERVE_IN, 0, 64), 64);
        assert_eq!(d[1], 3);
        let (_, d) = lun.read_in(&rsoc(1, false, COMPARE_AND_WRITE, 0, 64), 64);
        assert_eq!(d[1], 3);
        // SET TARGET PORT GROUPS needs explicit ALUA; COMPARE AND WRITE emulate_caw.
        let stpg = rsoc(2, false, MAINTENANCE_OUT, 0x0a, 64);
        assert_eq!(lun.read_in(&stpg, 64).1[1], 3);
        lun.port.tg_pt_gp = Some(TgPtGp {
            alua_access_type: TPGS_IMPLICIT_ALUA,
            ..TgPtGp::DEFAULT
        });
        assert_eq!(lun.read_in(&stpg, 64).1[1], 1);
        lun.dev.emulate_caw = false;
        let (_, d) = lun.read_in(&rsoc(1, false, COMPARE_AND_WRITE, 0, 64), 64);
        assert_eq!(d[1], 1);
        // Service actions asked the wrong way, and emulate_rsoc off.
        assert_eq!(
            kcq(&lun.read_in(&rsoc(1, false, MAINTENANCE_IN, 0, 64), 64).0),
            INVALID_FIELD_CDB
        );
        lun.dev.emulate_rsoc = false;
        assert_eq!(
            kcq(&lun.read_in(&rsoc(0, false, 0, 0, 64), 64).0),
            INVALID_OPCODE
        );
    }

    fn caw(flags: u8, lba: u64, nolb: u8) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[0] = COMPARE_AND_WRITE;
        c[1] = flags;
        c[2..10].copy_from_slice(&lba.to_be_bytes());
        c[13] = nolb;
        c
    }

    #[test]
    fn compare_and_write() {
        let mut lun = Lun::fileio();
        let old = lun.medium.block(5);
        let new = pattern(BS, 0x3c);
        let mut data = old.clone();
        data.extend_from_slice(&new);
        // Match: the write data replaces the block, under the lock; FUA syncs it.
        let (r, _) = lun.run(&caw(0x08, 5, 1), ToDevice, data.clone());
        assert!(r.is_good(), "{r:?}");
        assert_eq!(lun.medium.block(5), new);
        // Two 256-byte reads and the write, all under the lock.
        assert_eq!(*lun.medium.caw.borrow(), (1, false, 3));
        assert_eq!(*lun.medium.log.borrow(), [Op::Sync(5, 1, false)]);
        // The same again: the block now differs at byte 0... and further on.
        for at in [0usize, 1, 200, 511] {
            let mut d = new.clone();
            d[at] ^= 0x80;
            d.extend_from_slice(&old);
            let (r, _) = lun.run(&caw(0, 5, 1), ToDevice, d);
            assert_eq!(kcq(&r), (MISCOMPARE, 0x1d, 0), "{at}");
            assert_eq!(r.reason, Some(SenseReason::MiscompareVerify));
            assert_eq!(information(&r), at as u32);
            assert_eq!(lun.medium.block(5), new);
        }
        assert_eq!(lun.medium.caw.borrow().0, 5);
        // NUMBER OF LOGICAL BLOCKS 0: GOOD, nothing read or written.
        let (r, _) = lun.run(&caw(0, 5, 0), DmaDirection::None, Vec::new());
        assert!(r.is_good());
        assert_eq!(lun.medium.caw.borrow().0, 5);
        // More than MAXIMUM COMPARE AND WRITE LENGTH; past the end; data-out sizes.
        let (r, _) = lun.run(&caw(0, 5, 2), ToDevice, vec![0; 4 * BS]);
        assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        let (r, _) = lun.run(&caw(0, BLOCKS, 1), ToDevice, vec![0; 2 * BS]);
        assert_eq!(kcq(&r), LBA_OUT_OF_RANGE);
        let (r, _) = lun.run(&caw(0, 5, 1), ToDevice, vec![0; BS]);
        assert_eq!(kcq(&r), INVALID_FIELD_IU);
        let (r, _) = lun.run(&caw(0, 5, 1), FromDevice, vec![0; 2 * BS]);
        assert_eq!(kcq(&r), INVALID_FIELD_IU);
        // No data-out at all: rd's INCORRECT AMOUNT OF DATA, reported as LIO's request
        // failure does.
        let (r, _) = lun.run(&caw(0, 5, 1), DmaDirection::None, Vec::new());
        assert_eq!(kcq(&r), INVALID_OPCODE);
        // The lock cannot be taken.
        lun.medium.caw_fail = Some(SenseReason::LogicalUnitCommunicationFailure);
        let (r, _) = lun.run(&caw(0, 5, 1), ToDevice, data);
        assert_eq!(kcq(&r), LUN_COMM_FAILURE);
        assert_eq!(lun.medium.block(5), new);
        // emulate_caw off: not a command.
        lun.dev.emulate_caw = false;
        let (r, _) = lun.run(&caw(0, 5, 1), ToDevice, vec![0; 2 * BS]);
        assert_eq!(kcq(&r), INVALID_OPCODE);
    }

    #[test]
    fn compare_and_write_4k_blocks_and_write_protect() {
        let mut dev = rd_dev();
        dev.block_size = 4096;
        dev.last_lba = 7;
        let mut lun = Lun::with(dev, ExecCmdOps::RD_MCP);
        let r = lun.medium.range(4096, 4096);
        let old = lun.medium.bytes.borrow()[r.clone()].to_vec();
        let mut data = old.clone();
        data.extend(pattern(4096, 9));
        let (resp, _) = lun.run(&caw(0, 1, 1), ToDevice, data.clone());
        assert!(resp.is_good());
        assert_eq!(lun.medium.bytes.borrow()[r.clone()], pattern(4096, 9)[..]);
        // The miscompare offset goes past the first compare chunk.
        let (resp, _) = lun.run(&caw(0, 1, 1), ToDevice, data.clone());
        assert_eq!(information(&resp), 0);
        let mut d = pattern(4096, 9);
        d[3000] ^= 1;
        d.extend_from_slice(&old);
        let (resp, _) = lun.run(&caw(0, 1, 1), ToDevice, d);
        assert_eq!(information(&resp), 3000);
        lun.port.lun_access_ro = true;
        let (resp, _) = lun.run(&caw(0, 1, 1), ToDevice, data);
        assert_eq!(kcq(&resp), (DATA_PROTECT, 0x27, 0));
    }

    fn rtpg(b1: u8, alloc: u32) -> [u8; 12] {
        let mut c = [0u8; 12];
        c[0] = MAINTENANCE_IN;
        c[1] = b1;
        c[6..10].copy_from_slice(&alloc.to_be_bytes());
        c
    }

    #[test]
    fn report_target_port_groups() {
        let mut lun = Lun::rd();
        lun.port.tpg_rtpi = 0x1234;
        // Length 4 header, one group: AO, supported T/O/U/S/AN/AO, ID 0, one port.
        let (r, d) = lun.read_in(&rtpg(0x0a, 64), 64);
        assert!(r.is_good());
        assert_eq!(r.data_in, 16);
        assert_eq!(
            d[..16],
            [0, 0, 0, 12, 0x00, 0xcf, 0, 0, 0, 0, 0, 1, 0, 0, 0x12, 0x34]
        );
        assert!(d[16..].iter().all(|&b| b == 0xee));
        // Extended header: format 001b, implicit transition time. LIO completes with
        // RETURN DATA LENGTH + 4 bytes, so the port descriptor is cut.
        lun.port.tg_pt_gp = Some(TgPtGp {
            tg_pt_gp_id: 7,
            pref: true,
            implicit_trans_secs: 10,
            alua_access_status: 2,
            ..TgPtGp::DEFAULT
        });
        let (r, d) = lun.read_in(&rtpg(0x2a, 64), 64);
        assert!(r.is_good());
        assert_eq!(r.data_in, 16);
        assert_eq!(
            d[..16],
            [0, 0, 0, 12, 0x10, 10, 0, 0, 0x80, 0xcf, 0, 7, 0, 2, 0, 1]
        );
        // The group does not fit: counted, not written.
        let (r, d) = lun.read_in(&rtpg(0x0a, 15), 15);
        assert!(r.is_good());
        assert_eq!(r.data_in, 15);
        assert_eq!(d[..15], [0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(r.length.residual_count, 0);
        // Shorter than the header.
        let (r, _) = lun.read_in(&rtpg(0x0a, 3), 3);
        assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        let (r, _) = lun.read_in(&rtpg(0x2a, 7), 7);
        assert_eq!(kcq(&r), INVALID_FIELD_CDB);
        // No group: an empty list.
        lun.port.tg_pt_gp = None;
        let (r, d) = lun.read_in(&rtpg(0x0a, 64), 64);
        assert_eq!((r.data_in, &d[..4]), (4, &[0u8, 0, 0, 0][..]));
        // Fabric length shorter than the allocation length.
        lun.port.tg_pt_gp = Some(TgPtGp::DEFAULT);
        let (r, _) = lun.run_len(&rtpg(0x0a, 64), FromDevice, 12, vec![0; 12]);
        assert!(r.is_good());
        assert!(r.length.overflow);
        assert_eq!(r.data_in, 12);
    }

    fn stpg(descs: &[[u8; 4]]) -> ([u8; 12], Vec<u8>) {
        let mut p = vec![0u8; 4];
        for d in descs {
            p.extend_from_slice(d);
        }
        let mut c = [0u8; 12];
        c[0] = MAINTENANCE_OUT;
        c[1] = 0x0a;
        c[6..10].copy_from_slice(&(p.len() as u32).to_be_bytes());
        (c, p)
    }

    #[test]
    fn set_target_port_groups() {
        let mut lun = Lun::rd();
        // Active/Optimized for the group: its current state, nothing to do.
        for descs in [
            &[][..],
            &[[0x00, 0, 0, 0]],
            &[[0xf0, 0, 0, 0], [0, 0, 0, 0]],
        ] {
            let (c, p) = stpg(descs);
            assert!(lun.run(&c, ToDevice, p).0.is_good(), "{descs:?}");
        }
        // A change of state, another group, OFFLINE of this port, transitioning, LBA
        // dependent, an unknown state: INVALID FIELD IN PARAMETER LIST.
        for desc in [
            [0x01, 0, 0, 0],
            [0x02, 0, 0, 0],
            [0x03, 0, 0, 0],
            [0x00, 0, 0, 1],
            [0x0e, 0, 0, 1],
            [0x0f, 0, 0, 0],
            [0x04, 0, 0, 0],
            [0x05, 0, 0, 0],
        ] {
            let (c, p) = stpg(&[[0, 0, 0, 0], desc]);
            assert_eq!(
                kcq(&lun.run(&c, ToDevice, p).0),
                INVALID_FIELD_PARAM,
                "{desc:?}"
            );
        }
        // A parameter list shorter than the header.
        let (mut c, _) = stpg(&[]);
        c[9] = 3;
        assert_eq!(
            kcq(&lun.run(&c, ToDevice, vec![0; 3]).0),
            INVALID_FIELD_PARAM
        );
        // Implicit ALUA only, no group: not a command for this LUN.
        lun.port.tg_pt_gp = Some(TgPtGp {
            alua_access_type: TPGS_IMPLICIT_ALUA,
            ..TgPtGp::DEFAULT
        });
        let (c, p) = stpg(&[[0, 0, 0, 0]]);
        assert_eq!(kcq(&lun.run(&c, ToDevice, p.clone()).0), INVALID_OPCODE);
        lun.port.tg_pt_gp = None;
        assert_eq!(kcq(&lun.run(&c, ToDevice, p).0), INVALID_OPCODE);
    }

    fn xcopy_cdb(sa: u8, len: u32) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[0] = EXTENDED_COPY;
        c[1] = sa;
        c[10..14].copy_from_slice(&len.to_be_bytes());
        c
    }

    fn xcopy_list(naa: &[u8; 16], nolb: u16, src: u64, dst: u64) -> Vec<u8> {
        use super::super::xcopy::tests::{cscd, list, seg};
        list(&[cscd(naa)], &[seg(0, 0, nolb, src, dst)])
    }

    #[test]
    fn extended_copy() {
        let mut lun = Lun::rd();
        let naa = dev_naa(&lun.dev);
        let before: Vec<u8> = lun.medium.bytes.borrow().clone();
        let blocks =
            |m: &[u8], lba: u64, n: u64| m[lba as usize * BS..(lba + n) as usize * BS].to_vec();
        let p = xcopy_list(&naa, 4, 2, 20);
        let (r, _) = lun.run(&xcopy_cdb(0, p.len() as u32), ToDevice, p);
        assert!(r.is_good(), "{r:?}");
        let after = lun.medium.bytes.borrow().clone();
        assert_eq!(blocks(&after, 20, 4), blocks(&before, 2, 4));
        assert_eq!(blocks(&after, 0, 20), blocks(&before, 0, 20));
        assert_eq!(blocks(&after, 24, 40), blocks(&before, 24, 40));
        // Overlapping ranges copy as one read then one write would, both ways.
        for (src, dst) in [(30u64, 32u64), (32, 30), (40, 40)] {
            let before: Vec<u8> = lun.medium.bytes.borrow().clone();
            let p = xcopy_list(&naa, 6, src, dst);
            let (r, _) = lun.run(&xcopy_cdb(0, p.len() as u32), ToDevice, p);
            assert!(r.is_good());
            let after = lun.medium.bytes.borrow().clone();
            assert_eq!(
                blocks(&after, dst, 6),
                blocks(&before, src, 6),
                "{src} {dst}"
            );
        }
        // Steps of hw_max_sectors blocks.
        lun.dev.hw_max_sectors = 3;
        let before: Vec<u8> = lun.medium.bytes.borrow().clone();
        let p = xcopy_list(&naa, 7, 50, 52);
        assert!(lun
            .run(&xcopy_cdb(0, p.len() as u32), ToDevice, p)
            .0
            .is_good());
        let after = lun.medium.bytes.borrow().clone();
        let mut want = before.clone();
        for (s, d) in [(50u64, 52u64), (53, 55), (56, 58)] {
            let n = if s == 56 { 1 } else { 3 };
            let src = blocks(&want, s, n);
            want[d as usize * BS..(d + n) as usize * BS].copy_from_slice(&src);
        }
        assert_eq!(after, want);
        lun.dev.hw_max_sectors = 1024;
        // Past the end, another device: COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE.
        let not_reachable = (COPY_ABORTED, 0x0d, 0x02);
        for p in [
            xcopy_list(&naa, 2, BLOCKS - 1, 0),
            xcopy_list(&naa, 2, 0, BLOCKS - 1),
            xcopy_list(&[0x60; 16], 1, 0, 1),
        ] {
            let (r, _) = lun.run(&xcopy_cdb(0, p.len() as u32), ToDevice, p);
            assert_eq!(kcq(&r), not_reachable);
        }
        // Nothing to copy; no parameter list; a short one; LID4; 3PC off.
        let p = xcopy_list(&naa, 0, 0, 1);
        assert!(lun
            .run(&xcopy_cdb(0, p.len() as u32), ToDevice, p)
            .0
            .is_good());
        assert!(lun
            .run(&xcopy_cdb(0, 0), DmaDirection::None, vec![])
            .0
            .is_good());
        let (r, _) = lun.run(&xcopy_cdb(0, 8), ToDevice, vec![0; 8]);
        assert_eq!(kcq(&r), PARAM_LIST_LENGTH);
        let p = xcopy_list(&naa, 1, 0, 1);
        let (r, _) = lun.run(&xcopy_cdb(1, p.len() as u32), ToDevice, p.clone());
        assert_eq!(kcq(&r), INVALID_OPCODE);
        lun.dev.emulate_3pc = false;
        let (r, _) = lun.run(&xcopy_cdb(0, p.len() as u32), ToDevice, p);
        assert_eq!(kcq(&r), INVALID_OPCODE);
    }

    #[test]
    fn receive_copy_results() {
        let mut lun = Lun::rd();
        let mut c = [0u8; 16];
        c[0] = RECEIVE_COPY_RESULTS;
        c[1] = 0x03;
        c[10..14].copy_from_slice(&64u32.to_be_bytes());
        let (r, d) = lun.read_in(&c, 64);
        assert!(r.is_good());
        // target_complete_cmd(): the whole allocation length, zero padded.
        assert_eq!(r.data_in, 64);
        assert_eq!(&d[..6], &[0, 0, 0, 42, 1, 0]);
        assert_eq!(&d[43..46], &[2, 0x02, 0xe4]);
        assert!(d[46..].iter().all(|&b| b == 0));
        c[13] = 53;
        assert_eq!(kcq(&lun.read_in(&c, 53).0), INVALID_FIELD_CDB);
        c[13] = 64;
        c[1] = 0x00;
        assert_eq!(kcq(&lun.read_in(&c, 64).0), INVALID_FIELD_CDB);
    }

    #[test]
    fn commands_not_implemented_yet() {
        let mut lun = Lun::fileio();
        let mut cdbs: Vec<Vec<u8>> = vec![cdb16(SERVICE_ACTION_IN_16, 0x13, 0, 0).to_vec()];
        // Unknown opcodes, as LIO.
        for op in [0x04u8, 0x3b, 0x4d, 0xa2, 0xc0, 0xff] {
            let mut c = vec![0u8; 16];
            c[0] = op;
            cdbs.push(c);
        }
        lun.dev.lba_map = Some(super::super::spc::LbaMap {
            segment_size: 1,
            segment_multiplier: 1,
        });
        for cdb in &cdbs {
            let (r, _) = lun.run(cdb, DmaDirection::None, Vec::new());
            assert_eq!(kcq(&r), INVALID_OPCODE, "{:#x}", cdb[0]);
            // Refused as at parse time: no residual, and before the UA check.
            assert_eq!(r.length, CmdDataLength::new(0));
        }
        lun.ua.allocate(0x29, 0x07);
        let (r, _) = lun.run(&cdbs[0], DmaDirection::None, Vec::new());
        assert_eq!(kcq(&r), INVALID_OPCODE);
        assert_eq!(lun.ua.len(), 1);
    }

    #[test]
    fn aborted_command_and_busy_statuses() {
        // A unit attention that went away before the sense was built: BUSY, as LIO.
        let mut lun = Lun::rd();
        let mut scratch = [0u8; 64];
        let dev = rd_dev();
        let port = port();
        let mut ua = UaQueue::new();
        let mut ctx = CmdContext {
            dev: &dev,
            port: &port,
            prot: CmdProt::default(),
            luns: &[],
            ua: &mut ua,
            data_length: 0,
            direction: DmaDirection::None,
            scratch: &mut scratch,
            pr: None,
        };
        let r = check_condition(
            &mut ctx,
            CmdDataLength::new(0),
            SenseReason::CheckConditionUnitAttention.into(),
        );
        assert_eq!((r.status, r.sense_length), (0x08, 0));
        let r = check_condition(
            &mut ctx,
            CmdDataLength::new(0),
            SenseReason::CheckConditionAbortCmd.into(),
        );
        assert_eq!(kcq(&r), (ABORTED_COMMAND, 0x29, 0x03));
        // RESERVATION CONFLICT with UA_INTLCK_CTRL 11b establishes 2Ch/09h.
        lun.dev.emulate_ua_intlck_ctrl = TARGET_UA_INTLCK_CTRL_ESTABLISH_UA;
        let mut ctx = CmdContext {
            dev: &lun.dev,
            port: &lun.port,
            prot: CmdProt::default(),
            luns: &[],
            ua: &mut lun.ua,
            data_length: 0,
            direction: DmaDirection::None,
            scratch: &mut scratch,
            pr: None,
        };
        let r = check_condition(
            &mut ctx,
            CmdDataLength::new(0),
            SenseReason::ReservationConflict.into(),
        );
        assert_eq!((r.status, r.sense_length), (0x18, 0));
        assert_eq!(
            lun.ua.as_slice(),
            &[super::super::sense::UnitAttention {
                asc: 0x2c,
                ascq: 0x09
            }]
        );
    }

    #[test]
    fn small_scratch_sends_zeros_past_it() {
        let dev = rd_dev();
        let port = port();
        let mut ua = UaQueue::new();
        let mut scratch = [0u8; 16];
        let mut ctx = CmdContext {
            dev: &dev,
            port: &port,
            prot: CmdProt::default(),
            luns: &[],
            ua: &mut ua,
            data_length: 96,
            direction: FromDevice,
            scratch: &mut scratch,
            pr: None,
        };
        let medium = MemMedium::new(ExecCmdOps::RD_MCP, BLOCKS as usize * BS);
        let mut data = VecData(vec![0xff; 96]);
        let r = execute(&mut ctx, &inquiry(false, 0, 96), &mut data, &medium);
        assert!(r.is_good());
        assert_eq!(r.data_in, 96);
        assert_eq!(&data.0[8..16], b"LIO-ORG ");
        assert!(data.0[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn random_commands_stay_in_range() {
        // Pseudo-random CDBs, lengths and directions (xorshift): answers, never panics or
        // out-of-range accesses (MemMedium and VecData assert them).
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let opcodes = [
            READ_6,
            READ_10,
            READ_12,
            READ_16,
            WRITE_6,
            WRITE_10,
            WRITE_12,
            WRITE_16,
            WRITE_VERIFY,
            VERIFY,
            VERIFY_16,
            WRITE_SAME,
            WRITE_SAME_16,
            UNMAP,
            SYNCHRONIZE_CACHE,
            INQUIRY,
            MODE_SENSE,
            MODE_SENSE_10,
            MODE_SELECT,
            REQUEST_SENSE,
            REPORT_LUNS,
            MAINTENANCE_IN,
            READ_CAPACITY,
            0x9e,
            START_STOP,
            TEST_UNIT_READY,
        ];
        let mut luns = [Lun::rd(), Lun::fileio()];
        for _ in 0..20_000 {
            let r = next();
            let lun = &mut luns[(r & 1) as usize];
            let mut cdb = [0u8; 16];
            for b in cdb.iter_mut() {
                *b = next() as u8;
            }
            cdb[0] = opcodes[(r >> 8) as usize % opcodes.len()];
            // Small LBAs and lengths, so some commands get through.
            if r & 2 != 0 {
                cdb[2..6].fill(0);
                cdb[6] &= 0x3;
                cdb[7] = 0;
                cdb[8] &= 0x0f;
                cdb[10..13].fill(0);
                cdb[13] &= 0x0f;
            }
            let dir = [FromDevice, ToDevice, DmaDirection::None][(r >> 4) as usize % 3];
            let edtl = (next() % 8192) as usize;
            let buf_len = if r & 4 != 0 {
                edtl
            } else {
                (next() % 8192) as usize
            };
            if r & 0x100 != 0 {
                lun.ua.allocate(0x29, (r >> 20) as u8 & 7);
            }
            let data: Vec<u8> = (0..buf_len).map(|i| i as u8).collect();
            let (resp, _) = lun.run_len(&cdb, dir, edtl as u32, data);
            assert!(resp.length.data_length as usize <= edtl.max(resp.length.data_length as usize));
            if resp.data_in > 0 {
                assert_eq!(dir, FromDevice);
            }
        }
    }

    // Reservations: several I_T nexuses on one device.

    const I0: &[u8] = b"iqn.1994-05.com.redhat:i0";
    const I1: &[u8] = b"iqn.1994-05.com.redhat:i1";
    const I2: &[u8] = b"iqn.1994-05.com.redhat:i2";

    fn nexus(initiator: &'static [u8]) -> PrNexus<'static> {
        PrNexus {
            initiator,
            isid: None,
            proto_id: SCSI_PROTOCOL_ISCSI,
            rtpi: 1,
            tpgt: 1,
            mapped_lun: 0,
            target_lun: 0,
        }
    }

    /// (initiator, ASC, ASCQ) of each unit attention established for another nexus.
    type UaLog = Vec<(Vec<u8>, u8, u8)>;

    struct LogEvents<'a>(&'a mut UaLog);

    impl PrEvents for LogEvents<'_> {
        fn unit_attention(&mut self, reg: &super::super::pr::PrRegistration, asc: u8, ascq: u8) {
            self.0.push((reg.initiator().to_vec(), asc, ascq));
        }
    }

    struct PrShared {
        lun: Lun,
        pr: RefCell<PrState>,
        uas: UaLog,
    }

    impl PrShared {
        fn new() -> Self {
            Self {
                lun: Lun::rd(),
                pr: RefCell::new(PrState::new()),
                uas: Vec::new(),
            }
        }

        fn run(
            &mut self,
            who: &[u8],
            cdb: &[u8],
            dir: DmaDirection,
            data: Vec<u8>,
        ) -> (CmdResponse, Vec<u8>) {
            let mut scratch = [0u8; EXEC_SCRATCH_LEN];
            let mut ev = LogEvents(&mut self.uas);
            let n = nexus(match who {
                x if x == I0 => I0,
                x if x == I1 => I1,
                _ => I2,
            });
            let mut ctx = CmdContext {
                dev: &self.lun.dev,
                port: &self.lun.port,
                prot: CmdProt::default(),
                luns: &self.lun.luns,
                ua: &mut self.lun.ua,
                data_length: data.len() as u32,
                direction: dir,
                scratch: &mut scratch,
                pr: Some(PrContext {
                    state: &self.pr,
                    nexus: n,
                    events: &mut ev,
                    force_aptpl: false,
                }),
            };
            let mut data = VecData(data);
            let r = execute(&mut ctx, cdb, &mut data, &self.lun.medium);
            (r, data.0)
        }

        fn prin(&mut self, who: &[u8], sa: u8, alloc: u16) -> (CmdResponse, Vec<u8>) {
            let a = alloc.to_be_bytes();
            let cdb = [PERSISTENT_RESERVE_IN, sa, 0, 0, 0, 0, 0, a[0], a[1], 0];
            self.run(who, &cdb, FromDevice, vec![0xee; usize::from(alloc)])
        }

        fn prout(&mut self, who: &[u8], sa: u8, ty: u8, key: u64, sa_key: u64) -> CmdResponse {
            let mut param = vec![0u8; 24];
            param[..8].copy_from_slice(&key.to_be_bytes());
            param[8..16].copy_from_slice(&sa_key.to_be_bytes());
            self.prout_param(who, sa, ty, param)
        }

        fn prout_param(&mut self, who: &[u8], sa: u8, ty: u8, param: Vec<u8>) -> CmdResponse {
            let l = (param.len() as u32).to_be_bytes();
            let cdb = [
                PERSISTENT_RESERVE_OUT,
                sa,
                ty,
                0,
                0,
                l[0],
                l[1],
                l[2],
                l[3],
                0,
            ];
            self.run(who, &cdb, ToDevice, param).0
        }

        fn keys(&mut self) -> (u32, Vec<u64>) {
            let (r, d) = self.prin(I0, 0, 512);
            assert!(r.is_good(), "{r:?}");
            let n = u32::from_be_bytes(d[4..8].try_into().unwrap()) as usize;
            let keys = d[8..8 + n]
                .chunks(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
                .collect();
            (u32::from_be_bytes(d[..4].try_into().unwrap()), keys)
        }

        fn read(&mut self, who: &[u8]) -> CmdResponse {
            self.run(who, &cdb10(READ_10, 0, 0, 1), FromDevice, vec![0; BS])
                .0
        }

        fn write(&mut self, who: &[u8]) -> CmdResponse {
            self.run(who, &cdb10(WRITE_10, 0, 0, 1), ToDevice, vec![0x5a; BS])
                .0
        }
    }

    const RESERVATION_CONFLICT: u8 = 0x18;

    #[test]
    fn libiscsi_prin_read_keys_simple() {
        let mut sh = PrShared::new();
        let (r, d) = sh.prin(I0, 0, 16384);
        assert!(r.is_good());
        assert!(r.data_in >= 8);
        let al = u32::from_be_bytes(d[4..8].try_into().unwrap()) as usize;
        assert_eq!(al, r.data_in - 8);
        assert_eq!(r.data_in, 8);
        assert_eq!(r.length.residual_count, 16384 - 8);
        // One registration: one key.
        assert!(sh.prout(I0, 0x06, 0, 0, 0x1234).is_good());
        let (r, d) = sh.prin(I0, 0, 16384);
        assert_eq!(r.data_in, 16);
        assert_eq!(&d[4..16], &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x12, 0x34]);
        // Truncated to the allocation length, ADDITIONAL LENGTH still the whole list.
        let (r, d) = sh.prin(I0, 0, 8);
        assert_eq!((r.data_in, d[7]), (8, 8));
        // Allocation length below 8: INVALID FIELD IN CDB.
        assert_eq!(kcq(&sh.prin(I0, 0, 4).0), INVALID_FIELD_CDB);
    }

    #[test]
    fn libiscsi_prin_serviceaction_range() {
        let mut sh = PrShared::new();
        for sa in 0..4 {
            let (r, _) = sh.prin(I0, sa, 16384);
            assert!(r.is_good(), "{sa}");
        }
        for sa in 4..0x20 {
            let (r, _) = sh.prin(I0, sa, 16384);
            assert_eq!(kcq(&r), INVALID_FIELD_CDB, "{sa}");
        }
    }

    #[test]
    fn libiscsi_reserve6_simple_and_two_initiators() {
        let mut sh = PrShared::new();
        let tur = [TEST_UNIT_READY, 0, 0, 0, 0, 0];
        let reserve = cdb6(RESERVE, 0, 0, 0, 0);
        let release = cdb6(RELEASE, 0, 0, 0, 0);
        assert!(sh.run(I0, &reserve, DmaDirection::None, vec![]).0.is_good());
        assert!(sh.run(I0, &release, DmaDirection::None, vec![]).0.is_good());
        // Reserved by I0: I1 conflicts but for INQUIRY and RELEASE.
        assert!(sh.run(I0, &reserve, DmaDirection::None, vec![]).0.is_good());
        assert!(sh.run(I0, &reserve, DmaDirection::None, vec![]).0.is_good());
        let r = sh.run(I1, &tur, DmaDirection::None, vec![]).0;
        assert_eq!((r.status, r.sense_length), (RESERVATION_CONFLICT, 0));
        assert_eq!(sh.read(I1).status, RESERVATION_CONFLICT);
        let r = sh.run(I1, &reserve, DmaDirection::None, vec![]).0;
        assert_eq!(r.status, RESERVATION_CONFLICT);
        assert!(sh
            .run(I1, &inquiry(false, 0, 96), FromDevice, vec![0; 96])
            .0
            .is_good());
        assert!(sh.run(I1, &release, DmaDirection::None, vec![]).0.is_good());
        assert!(sh.pr.borrow().spc2_reserved());
        assert!(sh.write(I0).is_good());
        // PERSISTENT RESERVE IN/OUT conflict with an SPC-2 reservation.
        assert_eq!(sh.prin(I0, 0, 64).0.status, RESERVATION_CONFLICT);
        // RESERVE (10), RELEASE (10).
        let release10 = cdb10(RELEASE_10, 0, 0, 0);
        assert!(sh
            .run(I0, &release10, DmaDirection::None, vec![])
            .0
            .is_good());
        assert!(!sh.pr.borrow().spc2_reserved());
        assert!(sh.run(I1, &tur, DmaDirection::None, vec![]).0.is_good());
        let reserve10 = cdb10(RESERVE_10, 0, 0, 0);
        assert!(sh
            .run(I1, &reserve10, DmaDirection::None, vec![])
            .0
            .is_good());
        assert_eq!(sh.read(I0).status, RESERVATION_CONFLICT);
        // LongIO and obsolete bits.
        let r = sh
            .run(I1, &cdb6(RESERVE, 3, 0, 0, 0), DmaDirection::None, vec![])
            .0;
        assert_eq!(kcq(&r), INVALID_OPCODE);
    }

    #[test]
    fn spc2_reserve_with_registrations() {
        let mut sh = PrShared::new();
        let reserve = cdb6(RESERVE, 0, 0, 0, 0);
        assert!(sh.prout(I0, 0, 0, 0, 0xa).is_good());
        // Registered, no reservation: RESERVE and RELEASE conflict, for everyone.
        for who in [I0, I1] {
            let r = sh.run(who, &reserve, DmaDirection::None, vec![]).0;
            assert_eq!(r.status, RESERVATION_CONFLICT);
        }
        // The holder: GOOD, nothing changes.
        assert!(sh.prout(I0, 1, PR_TYPE_WRITE_EXCLUSIVE, 0xa, 0).is_good());
        assert!(sh.run(I0, &reserve, DmaDirection::None, vec![]).0.is_good());
        assert!(!sh.pr.borrow().spc2_reserved());
    }

    const PR_TYPE_WRITE_EXCLUSIVE: u8 = 0x01;

    #[test]
    fn reservation_conflicts_per_type() {
        // (type, I1 registered read, I1 write, I2 unregistered read, I2 write): allowed?
        let table = [
            (0x01, true, false, true, false),   // WE
            (0x03, false, false, false, false), // EA
            (0x05, true, true, true, false),    // WE_RO
            (0x06, true, true, false, false),   // EA_RO
            (0x07, true, true, true, false),    // WE_AR
            (0x08, true, true, false, false),   // EA_AR
        ];
        for (ty, r1, w1, r2, w2) in table {
            let mut sh = PrShared::new();
            assert!(sh.prout(I0, 0, 0, 0, 0xa).is_good());
            assert!(sh.prout(I1, 0, 0, 0, 0xb).is_good());
            assert!(sh.prout(I0, 1, ty, 0xa, 0).is_good(), "{ty}");
            let ok = |r: CmdResponse| match r.status {
                0 => true,
                RESERVATION_CONFLICT => false,
                s => panic!("status {s:#x}"),
            };
            assert!(ok(sh.read(I0)) && ok(sh.write(I0)), "{ty}");
            assert_eq!(ok(sh.read(I1)), r1, "{ty}");
            assert_eq!(ok(sh.write(I1)), w1, "{ty}");
            assert_eq!(ok(sh.read(I2)), r2, "{ty}");
            assert_eq!(ok(sh.write(I2)), w2, "{ty}");
            // Always allowed: TEST UNIT READY, INQUIRY, PERSISTENT RESERVE IN, REGISTER.
            let tur = [TEST_UNIT_READY, 0, 0, 0, 0, 0];
            assert!(ok(sh.run(I2, &tur, DmaDirection::None, vec![]).0));
            assert!(ok(sh.prin(I2, 1, 64).0));
            // RESERVE from a non-holder conflicts (all registrants: GOOD for I1).
            let r = sh.prout(I1, 1, ty, 0xb, 0);
            assert_eq!(ok(r), ty >= 7, "{ty}");
            // READ RESERVATION: the holder's key (0 for all registrants) and type.
            let (r, d) = sh.prin(I2, 1, 64);
            assert_eq!(r.data_in, 24);
            let key = u64::from_be_bytes(d[8..16].try_into().unwrap());
            assert_eq!(key, if ty >= 7 { 0 } else { 0xa });
            assert_eq!(d[21], ty);
            // With emulate_pr off nothing conflicts and PR commands are unknown.
            sh.lun.dev.emulate_pr = false;
            assert!(ok(sh.write(I2)));
            assert_eq!(kcq(&sh.prin(I0, 0, 64).0), INVALID_OPCODE);
            sh.lun.dev.emulate_pr = true;
        }
    }

    #[test]
    fn persistent_reserve_out_service_actions() {
        let mut sh = PrShared::new();
        let (g0, keys) = sh.keys();
        assert_eq!((g0, keys.len()), (0, 0));
        // libiscsi ProutRegister.Simple: register, re-register with a wrong key fails,
        // unregister.
        assert!(sh.prout(I0, 0x06, 0, 0, 0x100).is_good());
        assert_eq!(sh.keys(), (1, vec![0x100]));
        assert_eq!(
            sh.prout(I0, 0, 0, 0x101, 0x102).status,
            RESERVATION_CONFLICT
        );
        assert!(sh.prout(I0, 0, 0, 0x100, 0).is_good());
        assert_eq!(sh.keys(), (1, vec![]));
        // REGISTER of an unregistered nexus with a key: conflict.
        assert_eq!(sh.prout(I1, 0, 0, 0x5, 0x6).status, RESERVATION_CONFLICT);
        assert!(sh.prout(I0, 0, 0, 0, 0xa).is_good());
        assert!(sh.prout(I1, 0, 0, 0, 0xb).is_good());
        assert!(sh.prout(I2, 0, 0, 0, 0xc).is_good());
        assert_eq!(sh.keys(), (4, vec![0xa, 0xb, 0xc]));
        // RESERVE needs the nexus's key; RELEASE of another's reservation is GOOD.
        assert_eq!(sh.prout(I0, 1, 0x05, 0xb, 0).status, RESERVATION_CONFLICT);
        assert!(sh.prout(I0, 1, 0x05, 0xa, 0).is_good());
        assert!(sh.prout(I1, 2, 0x05, 0xb, 0).is_good());
        assert!(sh.pr.borrow().holder().is_some());
        // RELEASE with another type: conflict; then released, RESERVATIONS RELEASED for
        // the other registrants of a registrants only reservation.
        assert_eq!(sh.prout(I0, 2, 0x06, 0xa, 0).status, RESERVATION_CONFLICT);
        assert!(sh.prout(I0, 2, 0x05, 0xa, 0).is_good());
        assert_eq!(
            sh.uas,
            vec![(I1.to_vec(), 0x2a, 0x04), (I2.to_vec(), 0x2a, 0x04)]
        );
        sh.uas.clear();
        // PREEMPT: I1 takes I0's reservation and registration.
        assert!(sh.prout(I0, 1, 0x01, 0xa, 0).is_good());
        assert!(sh.prout(I1, 4, 0x03, 0xb, 0xa).is_good());
        assert_eq!(sh.keys(), (5, vec![0xb, 0xc]));
        assert_eq!(
            sh.uas,
            vec![(I0.to_vec(), 0x2a, 0x05), (I2.to_vec(), 0x2a, 0x04)]
        );
        let (_, d) = sh.prin(I0, 1, 64);
        assert_eq!((d[15], d[21]), (0xb, 0x03));
        // I0 is gone: its commands conflict with the exclusive access reservation.
        assert_eq!(sh.read(I0).status, RESERVATION_CONFLICT);
        sh.uas.clear();
        // CLEAR from a registrant: everything goes, RESERVATIONS PREEMPTED for the others.
        assert!(sh.prout(I2, 3, 0, 0xc, 0).is_good());
        assert_eq!(sh.keys(), (6, vec![]));
        assert_eq!(sh.uas, vec![(I1.to_vec(), 0x2a, 0x03)]);
        assert!(sh.pr.borrow().holder().is_none());
        // CLEAR, RESERVE, RELEASE from an unregistered nexus: LIO's failures.
        assert_eq!(sh.prout(I2, 3, 0, 0xc, 0).status, 0x02);
        // Parameter list length and SPEC_I_PT checks.
        let short = sh.prout_param(I0, 0, 0, vec![0; 23]);
        assert_eq!(kcq(&short), PARAM_LIST_LENGTH);
        let long = sh.prout_param(I0, 0, 0, vec![0; 32]);
        assert_eq!(kcq(&long), PARAM_LIST_LENGTH);
        let mut spec = vec![0u8; 24];
        spec[20] = 0x08;
        let r = sh.prout_param(I0, 1, 1, spec);
        assert_eq!(kcq(&r), INVALID_FIELD_PARAM);
        // Unknown service action.
        assert_eq!(kcq(&sh.prout(I0, 0x10, 0, 0, 0)), INVALID_FIELD_CDB);
        // A write protected LUN takes no PERSISTENT RESERVE OUT (it has data-out).
        sh.lun.port.lun_access_ro = true;
        assert_eq!(
            sh.prout(I0, 0, 0, 0, 1).reason,
            Some(SenseReason::WriteProtected)
        );
    }

    #[test]
    fn reservations_without_a_session() {
        let mut lun = Lun::rd();
        let (r, _) = lun.read_in(&[PERSISTENT_RESERVE_IN, 0, 0, 0, 0, 0, 0, 0, 64, 0], 64);
        assert_eq!(kcq(&r), LUN_COMM_FAILURE);
        let (r, _) = lun.run(&cdb6(RESERVE, 0, 0, 0, 0), DmaDirection::None, vec![]);
        assert!(r.is_good());
        // PGR passthrough: PERSISTENT RESERVE IN is left to a backend that has none.
        let mut sh = PrShared::new();
        sh.lun.dev.passthrough_pgr = true;
        assert_eq!(kcq(&sh.prin(I0, 0, 64).0), INVALID_OPCODE);
    }
}
