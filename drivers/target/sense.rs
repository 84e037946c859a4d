// SPDX-License-Identifier: GPL-2.0

//! Sense data of target_core_mod: LIO's `sense_reason_t`, the `sense_detail_table[]` that
//! `translate_sense_reason()` maps it with (`target_core_transport.c`), and the fixed (0x70)
//! and descriptor (0x72) format builders of `drivers/scsi/scsi_common.c`. Pure `core` code.

use super::cdb::{put_unaligned_be32, put_unaligned_be64};

/// `TRANSPORT_SENSE_BUFFER`: the sense length LIO reports with every CHECK CONDITION
/// (`cmd->scsi_sense_length`), whatever the format.
pub(crate) const TRANSPORT_SENSE_BUFFER: usize = 96;

/// `SE_SENSE_BUF`: the REQUEST SENSE response buffer of `spc_emulate_request_sense()`.
pub(crate) const SE_SENSE_BUF: usize = 96;

// Sense keys (`include/scsi/scsi_proto.h`).
/// NO SENSE.
pub(crate) const NO_SENSE: u8 = 0x00;
/// RECOVERED ERROR.
pub(crate) const RECOVERED_ERROR: u8 = 0x01;
/// NOT READY.
pub(crate) const NOT_READY: u8 = 0x02;
/// MEDIUM ERROR.
pub(crate) const MEDIUM_ERROR: u8 = 0x03;
/// HARDWARE ERROR.
pub(crate) const HARDWARE_ERROR: u8 = 0x04;
/// ILLEGAL REQUEST.
pub(crate) const ILLEGAL_REQUEST: u8 = 0x05;
/// UNIT ATTENTION.
pub(crate) const UNIT_ATTENTION: u8 = 0x06;
/// DATA PROTECT.
pub(crate) const DATA_PROTECT: u8 = 0x07;
/// BLANK CHECK.
pub(crate) const BLANK_CHECK: u8 = 0x08;
/// COPY ABORTED.
pub(crate) const COPY_ABORTED: u8 = 0x0a;
/// ABORTED COMMAND.
pub(crate) const ABORTED_COMMAND: u8 = 0x0b;
/// VOLUME OVERFLOW.
pub(crate) const VOLUME_OVERFLOW: u8 = 0x0d;
/// MISCOMPARE.
pub(crate) const MISCOMPARE: u8 = 0x0e;

// SAM status codes (`include/scsi/scsi_proto.h`, `enum sam_status`).
/// GOOD.
pub(crate) const SAM_STAT_GOOD: u8 = 0x00;
/// CHECK CONDITION.
pub(crate) const SAM_STAT_CHECK_CONDITION: u8 = 0x02;
/// BUSY.
pub(crate) const SAM_STAT_BUSY: u8 = 0x08;
/// RESERVATION CONFLICT.
pub(crate) const SAM_STAT_RESERVATION_CONFLICT: u8 = 0x18;
/// TASK SET FULL.
pub(crate) const SAM_STAT_TASK_SET_FULL: u8 = 0x28;
/// TASK ABORTED.
pub(crate) const SAM_STAT_TASK_ABORTED: u8 = 0x40;

// Unit attention ASC/ASCQs LIO queues (`target_core_ua.h`).
/// ASC 29h: power on, reset or bus device reset occurred.
pub(crate) const ASC_29H_RESET: u8 = 0x29;
/// ASCQ 29h/03h: BUS DEVICE RESET FUNCTION OCCURRED (LUN RESET).
pub(crate) const ASCQ_29H_BUS_DEVICE_RESET_FUNCTION_OCCURRED: u8 = 0x03;
/// ASCQ 29h/07h: I_T NEXUS LOSS OCCURRED.
pub(crate) const ASCQ_29H_NEXUS_LOSS_OCCURRED: u8 = 0x07;
/// ASC 2Ah: parameters changed.
pub(crate) const ASC_2AH_PARAMETERS_CHANGED: u8 = 0x2a;
/// ASCQ 2Ah/03h: RESERVATIONS PREEMPTED.
pub(crate) const ASCQ_2AH_RESERVATIONS_PREEMPTED: u8 = 0x03;
/// ASCQ 2Ah/04h: RESERVATIONS RELEASED.
pub(crate) const ASCQ_2AH_RESERVATIONS_RELEASED: u8 = 0x04;
/// ASCQ 2Ah/05h: REGISTRATIONS PREEMPTED.
pub(crate) const ASCQ_2AH_REGISTRATIONS_PREEMPTED: u8 = 0x05;
/// ASCQ 2Ah/06h: ASYMMETRIC ACCESS STATE CHANGED.
pub(crate) const ASCQ_2AH_ASYMMETRIC_ACCESS_STATE_CHANGED: u8 = 0x06;
/// ASC 2Ch: command sequence error.
pub(crate) const ASC_2CH_COMMAND_SEQUENCE_ERROR: u8 = 0x2c;
/// ASCQ 2Ch/09h: PREVIOUS RESERVATION CONFLICT STATUS.
pub(crate) const ASCQ_2CH_PREVIOUS_RESERVATION_CONFLICT_STATUS: u8 = 0x09;
/// ASC 3Fh: target operating conditions have changed.
pub(crate) const ASC_3FH_CONDITIONS_CHANGED: u8 = 0x3f;
/// ASCQ 3Fh/03h: INQUIRY DATA HAS CHANGED.
pub(crate) const ASCQ_3FH_INQUIRY_DATA_HAS_CHANGED: u8 = 0x03;
/// ASCQ 3Fh/0Eh: REPORTED LUNS DATA HAS CHANGED.
pub(crate) const ASCQ_3FH_REPORTED_LUNS_DATA_HAS_CHANGED: u8 = 0x0e;

/// LIO's `sense_reason_t` (`include/target/target_core_base.h`), with its values. Every
/// failed check of the CDB parsers and emulations returns one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SenseReason {
    /// `TCM_NO_SENSE`.
    NoSense = 0x00,
    /// `TCM_NON_EXISTENT_LUN`.
    NonExistentLun = 0x01,
    /// `TCM_UNSUPPORTED_SCSI_OPCODE`.
    UnsupportedScsiOpcode = 0x02,
    /// `TCM_INCORRECT_AMOUNT_OF_DATA`.
    IncorrectAmountOfData = 0x03,
    /// `TCM_UNEXPECTED_UNSOLICITED_DATA`.
    UnexpectedUnsolicitedData = 0x04,
    /// `TCM_SERVICE_CRC_ERROR`.
    ServiceCrcError = 0x05,
    /// `TCM_SNACK_REJECTED`.
    SnackRejected = 0x06,
    /// `TCM_SECTOR_COUNT_TOO_MANY`.
    SectorCountTooMany = 0x07,
    /// `TCM_INVALID_CDB_FIELD`.
    InvalidCdbField = 0x08,
    /// `TCM_INVALID_PARAMETER_LIST`.
    InvalidParameterList = 0x09,
    /// `TCM_LOGICAL_UNIT_COMMUNICATION_FAILURE`.
    LogicalUnitCommunicationFailure = 0x0a,
    /// `TCM_UNKNOWN_MODE_PAGE`.
    UnknownModePage = 0x0b,
    /// `TCM_WRITE_PROTECTED`.
    WriteProtected = 0x0c,
    /// `TCM_CHECK_CONDITION_ABORT_CMD`.
    CheckConditionAbortCmd = 0x0d,
    /// `TCM_CHECK_CONDITION_UNIT_ATTENTION`: the key/ASC/ASCQ come from the UA queue.
    CheckConditionUnitAttention = 0x0e,
    /// `TCM_RESERVATION_CONFLICT`: status RESERVATION CONFLICT, no sense data.
    ReservationConflict = 0x10,
    /// `TCM_ADDRESS_OUT_OF_RANGE`.
    AddressOutOfRange = 0x11,
    /// `TCM_OUT_OF_RESOURCES`: status TASK SET FULL, no sense data.
    OutOfResources = 0x12,
    /// `TCM_PARAMETER_LIST_LENGTH_ERROR`.
    ParameterListLengthError = 0x13,
    /// `TCM_MISCOMPARE_VERIFY`: carries `cmd->sense_info` in the INFORMATION field.
    MiscompareVerify = 0x14,
    /// `TCM_LOGICAL_BLOCK_GUARD_CHECK_FAILED`.
    LogicalBlockGuardCheckFailed = 0x15,
    /// `TCM_LOGICAL_BLOCK_APP_TAG_CHECK_FAILED`.
    LogicalBlockAppTagCheckFailed = 0x16,
    /// `TCM_LOGICAL_BLOCK_REF_TAG_CHECK_FAILED`.
    LogicalBlockRefTagCheckFailed = 0x17,
    /// `TCM_COPY_TARGET_DEVICE_NOT_REACHABLE`.
    CopyTargetDeviceNotReachable = 0x18,
    /// `TCM_TOO_MANY_TARGET_DESCS`.
    TooManyTargetDescs = 0x19,
    /// `TCM_UNSUPPORTED_TARGET_DESC_TYPE_CODE`.
    UnsupportedTargetDescTypeCode = 0x1a,
    /// `TCM_TOO_MANY_SEGMENT_DESCS`.
    TooManySegmentDescs = 0x1b,
    /// `TCM_UNSUPPORTED_SEGMENT_DESC_TYPE_CODE`.
    UnsupportedSegmentDescTypeCode = 0x1c,
    /// `TCM_INSUFFICIENT_REGISTRATION_RESOURCES`.
    InsufficientRegistrationResources = 0x1d,
    /// `TCM_LUN_BUSY`: status BUSY, no sense data.
    LunBusy = 0x1e,
    /// `TCM_INVALID_FIELD_IN_COMMAND_IU`.
    InvalidFieldInCommandIu = 0x1f,
    /// `TCM_ALUA_TG_PT_STANDBY`.
    AluaTgPtStandby = 0x20,
    /// `TCM_ALUA_TG_PT_UNAVAILABLE`.
    AluaTgPtUnavailable = 0x21,
    /// `TCM_ALUA_STATE_TRANSITION`.
    AluaStateTransition = 0x22,
    /// `TCM_ALUA_OFFLINE`.
    AluaOffline = 0x23,
}

/// One row of LIO's `sense_detail_table[]`: sense key, ASC, ASCQ, and whether the
/// INFORMATION field carries `cmd->sense_info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SenseDetail {
    /// SENSE KEY.
    pub(crate) key: u8,
    /// ADDITIONAL SENSE CODE.
    pub(crate) asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub(crate) ascq: u8,
    /// `add_sense_info`: set the INFORMATION field from `cmd->sense_info`.
    pub(crate) add_sense_info: bool,
}

const fn detail(key: u8, asc: u8, ascq: u8) -> SenseDetail {
    SenseDetail {
        key,
        asc,
        ascq,
        add_sense_info: false,
    }
}

const fn detail_info(key: u8, asc: u8, ascq: u8) -> SenseDetail {
    SenseDetail {
        key,
        asc,
        ascq,
        add_sense_info: true,
    }
}

impl SenseReason {
    /// The `sense_detail_table[]` row `translate_sense_reason()` uses: reasons without a
    /// row (a zero key) fall back to LOGICAL UNIT COMMUNICATION FAILURE.
    pub(crate) const fn sense_detail(self) -> SenseDetail {
        match self {
            // NOT READY without ASC: what LIO sends for a stray TCM_NO_SENSE.
            Self::NoSense => detail(NOT_READY, 0, 0),
            // LOGICAL UNIT NOT SUPPORTED.
            Self::NonExistentLun => detail(ILLEGAL_REQUEST, 0x25, 0),
            // INVALID COMMAND OPERATION CODE.
            Self::UnsupportedScsiOpcode | Self::SectorCountTooMany => {
                detail(ILLEGAL_REQUEST, 0x20, 0)
            }
            // INVALID FIELD IN CDB.
            Self::UnknownModePage | Self::InvalidCdbField => detail(ILLEGAL_REQUEST, 0x24, 0),
            // BUS DEVICE RESET FUNCTION OCCURRED.
            Self::CheckConditionAbortCmd => detail(ABORTED_COMMAND, 0x29, 0x03),
            // WRITE ERROR / NOT ENOUGH UNSOLICITED DATA.
            Self::IncorrectAmountOfData => detail(ABORTED_COMMAND, 0x0c, 0x0d),
            // INVALID FIELD IN PARAMETER LIST.
            Self::InvalidParameterList => detail(ILLEGAL_REQUEST, 0x26, 0),
            Self::TooManyTargetDescs => detail(ILLEGAL_REQUEST, 0x26, 0x06),
            Self::UnsupportedTargetDescTypeCode => detail(ILLEGAL_REQUEST, 0x26, 0x07),
            Self::TooManySegmentDescs => detail(ILLEGAL_REQUEST, 0x26, 0x08),
            Self::UnsupportedSegmentDescTypeCode => detail(ILLEGAL_REQUEST, 0x26, 0x09),
            Self::ParameterListLengthError => detail(ILLEGAL_REQUEST, 0x1a, 0),
            // WRITE ERROR / UNEXPECTED UNSOLICITED DATA.
            Self::UnexpectedUnsolicitedData => detail(ILLEGAL_REQUEST, 0x0c, 0x0c),
            // PROTOCOL SERVICE CRC ERROR.
            Self::ServiceCrcError => detail(ABORTED_COMMAND, 0x47, 0x05),
            // READ ERROR / FAILED RETRANSMISSION REQUEST.
            Self::SnackRejected => detail(ABORTED_COMMAND, 0x11, 0x13),
            Self::WriteProtected => detail(DATA_PROTECT, 0x27, 0),
            // LOGICAL BLOCK ADDRESS OUT OF RANGE.
            Self::AddressOutOfRange => detail(ILLEGAL_REQUEST, 0x21, 0),
            Self::CheckConditionUnitAttention => detail(UNIT_ATTENTION, 0, 0),
            // MISCOMPARE DURING VERIFY OPERATION.
            Self::MiscompareVerify => detail_info(MISCOMPARE, 0x1d, 0),
            Self::LogicalBlockGuardCheckFailed => detail_info(ABORTED_COMMAND, 0x10, 0x01),
            Self::LogicalBlockAppTagCheckFailed => detail_info(ABORTED_COMMAND, 0x10, 0x02),
            Self::LogicalBlockRefTagCheckFailed => detail_info(ABORTED_COMMAND, 0x10, 0x03),
            Self::CopyTargetDeviceNotReachable => detail(COPY_ABORTED, 0x0d, 0x02),
            Self::InsufficientRegistrationResources => detail(ILLEGAL_REQUEST, 0x55, 0x04),
            // INVALID FIELD IN COMMAND INFORMATION UNIT.
            Self::InvalidFieldInCommandIu => detail(ILLEGAL_REQUEST, 0x0e, 0x03),
            Self::AluaTgPtStandby => detail(NOT_READY, 0x04, 0x0b),
            Self::AluaTgPtUnavailable => detail(NOT_READY, 0x04, 0x0c),
            Self::AluaStateTransition => detail(NOT_READY, 0x04, 0x0a),
            Self::AluaOffline => detail(NOT_READY, 0x04, 0x12),
            // No row in the table: LOGICAL UNIT COMMUNICATION FAILURE (NOT READY, so that
            // initiators retry, as LIO's comment explains).
            Self::LogicalUnitCommunicationFailure
            | Self::ReservationConflict
            | Self::OutOfResources
            | Self::LunBusy => detail(NOT_READY, 0x08, 0),
        }
    }

    /// The SAM status `transport_generic_request_failure()` completes the command with:
    /// RESERVATION CONFLICT, TASK SET FULL and BUSY carry no sense data; every other
    /// reason is a CHECK CONDITION.
    pub(crate) const fn scsi_status(self) -> u8 {
        match self {
            Self::ReservationConflict => SAM_STAT_RESERVATION_CONFLICT,
            Self::OutOfResources => SAM_STAT_TASK_SET_FULL,
            Self::LunBusy => SAM_STAT_BUSY,
            _ => SAM_STAT_CHECK_CONDITION,
        }
    }

    /// The reason `transport_generic_request_failure()` reports for a command that failed
    /// before execution: reasons outside its list become `TCM_UNSUPPORTED_SCSI_OPCODE`
    /// (MISCOMPARE and the PI errors only reach the initiator from completion paths).
    pub(crate) const fn for_request_failure(self) -> Self {
        match self {
            Self::NonExistentLun
            | Self::UnsupportedScsiOpcode
            | Self::InvalidCdbField
            | Self::InvalidParameterList
            | Self::ParameterListLengthError
            | Self::LogicalUnitCommunicationFailure
            | Self::UnknownModePage
            | Self::WriteProtected
            | Self::AddressOutOfRange
            | Self::CheckConditionAbortCmd
            | Self::CheckConditionUnitAttention
            | Self::LogicalBlockGuardCheckFailed
            | Self::LogicalBlockAppTagCheckFailed
            | Self::LogicalBlockRefTagCheckFailed
            | Self::CopyTargetDeviceNotReachable
            | Self::TooManyTargetDescs
            | Self::UnsupportedTargetDescTypeCode
            | Self::TooManySegmentDescs
            | Self::UnsupportedSegmentDescTypeCode
            | Self::InvalidFieldInCommandIu
            | Self::AluaTgPtStandby
            | Self::AluaTgPtUnavailable
            | Self::AluaStateTransition
            | Self::AluaOffline
            | Self::OutOfResources
            | Self::LunBusy
            | Self::ReservationConflict => self,
            _ => Self::UnsupportedScsiOpcode,
        }
    }
}

/// `scsi_build_sense_buffer()`: current sense in descriptor (0x72: key, ASC, ASCQ in bytes
/// 1-3, additional length 0) or fixed (0x70: key in byte 2, additional length 10, ASC/ASCQ
/// in bytes 12-13) format. Only the named bytes are written (the buffer is expected to be
/// zeroed); bytes past the end of `buf` are dropped.
pub(crate) fn scsi_build_sense_buffer(desc: bool, buf: &mut [u8], key: u8, asc: u8, ascq: u8) {
    let fields: &[(usize, u8)] = if desc {
        &[(0, 0x72), (1, key), (2, asc), (3, ascq), (7, 0)]
    } else {
        &[(0, 0x70), (2, key), (7, 0x0a), (12, asc), (13, ascq)]
    };
    for &(off, val) in fields {
        if let Some(b) = buf.get_mut(off) {
            *b = val;
        }
    }
}

/// The length of the sense data `scsi_build_sense_buffer()` (plus an INFORMATION field)
/// produces: 18 bytes fixed, 8 (+12) bytes descriptor.
pub(crate) const fn scsi_sense_data_length(desc: bool, with_information: bool) -> usize {
    match (desc, with_information) {
        (false, _) => 18,
        (true, false) => 8,
        (true, true) => 20,
    }
}

/// `scsi_set_sense_information()`: the INFORMATION field. Descriptor format: an
/// information descriptor (type 0, VALID) is appended after the existing descriptors
/// (or the existing one is overwritten), growing the additional length by 12. Fixed
/// format: bytes 3-6 take the low 32 bits, VALID (byte 0 bit 7) only when `info` fits.
/// Returns false, as LIO's `-EINVAL`, when a descriptor does not fit into `buf`.
pub(crate) fn scsi_set_sense_information(buf: &mut [u8], info: u64) -> bool {
    let Some(&code) = buf.first() else {
        return false;
    };
    match code & 0x7f {
        0x72 => {
            let len = usize::from(buf.get(7).copied().unwrap_or(0));
            let ucp = match scsi_sense_desc_find(buf, len.saturating_add(8), 0) {
                Some(off) => off,
                None => {
                    if let Some(b) = buf.get_mut(7) {
                        *b = (len as u8).wrapping_add(0x0c);
                    }
                    8 + len
                }
            };
            if buf.len() < len + 0x0c {
                return false;
            }
            for (i, v) in [0u8, 0x0a, 0x80, 0].into_iter().enumerate() {
                if let Some(b) = buf.get_mut(ucp + i) {
                    *b = v;
                }
            }
            put_unaligned_be64(buf, ucp + 4, info);
            true
        }
        0x70 => {
            if let Some(b) = buf.first_mut() {
                if info <= u64::from(u32::MAX) {
                    *b |= 0x80;
                } else {
                    *b &= 0x7f;
                }
            }
            put_unaligned_be32(buf, 3, info as u32);
            true
        }
        _ => true,
    }
}

/// `scsi_sense_desc_find()`: the offset of the first descriptor of `desc_type` in
/// descriptor-format sense data of `sb_len` valid bytes.
pub(crate) fn scsi_sense_desc_find(sense: &[u8], sb_len: usize, desc_type: u8) -> Option<usize> {
    let sb_len = sb_len.min(sense.len());
    if sb_len < 8 {
        return None;
    }
    let add_sen_len = usize::from(*sense.get(7)?);
    if add_sen_len == 0 {
        return None;
    }
    let code = *sense.first()?;
    if !(0x72..=0x73).contains(&code) {
        return None;
    }
    let add_sen_len = add_sen_len.min(sb_len - 8);
    let mut off = 8;
    let mut k = 0;
    while k < add_sen_len {
        if *sense.get(off)? == desc_type {
            return Some(off);
        }
        if k + 1 >= add_sen_len {
            // A descriptor without its length byte.
            break;
        }
        let desc_len = usize::from(*sense.get(off + 1)?) + 2;
        off += desc_len;
        k += desc_len;
    }
    None
}

/// A unit attention condition taken from the I_T_L nexus' UA queue (`struct se_ua`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnitAttention {
    /// `ua_asc`.
    pub(crate) asc: u8,
    /// `ua_ascq`.
    pub(crate) ascq: u8,
}

/// What `translate_sense_reason()` decided: the SAM status and how many bytes of the sense
/// buffer the fabric sends (`cmd->scsi_sense_length`; 0 for statuses without sense).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CheckCondition {
    /// `cmd->scsi_status`.
    pub(crate) scsi_status: u8,
    /// `cmd->scsi_sense_length`.
    pub(crate) sense_length: usize,
}

/// `transport_send_check_condition_and_sense()` / `translate_sense_reason()`: the status
/// and sense data for `reason` in `sense_buffer` (zeroed first, up to
/// [`TRANSPORT_SENSE_BUFFER`] bytes). `desc_format` is `target_sense_desc_format()`.
/// `ua` is what `core_scsi3_ua_for_check_condition()` dequeued for
/// `TCM_CHECK_CONDITION_UNIT_ATTENTION` (none: the command completes with BUSY);
/// `sense_info` is `cmd->sense_info` (the miscompare offset, the failed PI sector).
pub(crate) fn translate_sense_reason(
    sense_buffer: &mut [u8],
    reason: SenseReason,
    desc_format: bool,
    ua: Option<UnitAttention>,
    sense_info: u64,
) -> CheckCondition {
    let status = reason.scsi_status();
    if status != SAM_STAT_CHECK_CONDITION {
        return CheckCondition {
            scsi_status: status,
            sense_length: 0,
        };
    }
    let sd = reason.sense_detail();
    let (key, asc, ascq) = if reason == SenseReason::CheckConditionUnitAttention {
        match ua {
            Some(ua) => (UNIT_ATTENTION, ua.asc, ua.ascq),
            None => {
                return CheckCondition {
                    scsi_status: SAM_STAT_BUSY,
                    sense_length: 0,
                }
            }
        }
    } else {
        (sd.key, sd.asc, sd.ascq)
    };
    let len = sense_buffer.len().min(TRANSPORT_SENSE_BUFFER);
    if let Some(b) = sense_buffer.get_mut(..len) {
        b.fill(0);
    }
    scsi_build_sense_buffer(desc_format, sense_buffer, key, asc, ascq);
    if sd.add_sense_info {
        scsi_set_sense_information(sense_buffer, sense_info);
    }
    CheckCondition {
        scsi_status: SAM_STAT_CHECK_CONDITION,
        sense_length: TRANSPORT_SENSE_BUFFER,
    }
}

/// `target_scsi3_ua_check()`: with a unit attention pending for the I_T_L nexus, every
/// command but INQUIRY, REPORT LUNS and REQUEST SENSE fails with
/// `TCM_CHECK_CONDITION_UNIT_ATTENTION`.
pub(crate) fn target_scsi3_ua_check(opcode: u8, ua_pending: bool) -> Result<(), SenseReason> {
    use super::cdb::{INQUIRY, REPORT_LUNS, REQUEST_SENSE};
    if !ua_pending {
        return Ok(());
    }
    match opcode {
        INQUIRY | REPORT_LUNS | REQUEST_SENSE => Ok(()),
        _ => Err(SenseReason::CheckConditionUnitAttention),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sense(reason: SenseReason, desc: bool, info: u64) -> ([u8; 96], CheckCondition) {
        let mut buf = [0xaau8; 96];
        let cc = translate_sense_reason(&mut buf, reason, desc, None, info);
        (buf, cc)
    }

    #[test]
    fn fixed_format_rows_of_the_detail_table() {
        // (reason, key, asc, ascq) as in LIO's sense_detail_table[].
        let rows = [
            (
                SenseReason::UnsupportedScsiOpcode,
                ILLEGAL_REQUEST,
                0x20,
                0x00,
            ),
            (SenseReason::InvalidCdbField, ILLEGAL_REQUEST, 0x24, 0x00),
            (SenseReason::UnknownModePage, ILLEGAL_REQUEST, 0x24, 0x00),
            (SenseReason::AddressOutOfRange, ILLEGAL_REQUEST, 0x21, 0x00),
            (
                SenseReason::InvalidParameterList,
                ILLEGAL_REQUEST,
                0x26,
                0x00,
            ),
            (
                SenseReason::ParameterListLengthError,
                ILLEGAL_REQUEST,
                0x1a,
                0x00,
            ),
            (SenseReason::WriteProtected, DATA_PROTECT, 0x27, 0x00),
            (SenseReason::NonExistentLun, ILLEGAL_REQUEST, 0x25, 0x00),
            (
                SenseReason::LogicalUnitCommunicationFailure,
                NOT_READY,
                0x08,
                0x00,
            ),
            (
                SenseReason::InvalidFieldInCommandIu,
                ILLEGAL_REQUEST,
                0x0e,
                0x03,
            ),
            (
                SenseReason::TooManySegmentDescs,
                ILLEGAL_REQUEST,
                0x26,
                0x08,
            ),
            (
                SenseReason::InsufficientRegistrationResources,
                ILLEGAL_REQUEST,
                0x55,
                0x04,
            ),
            (SenseReason::AluaTgPtStandby, NOT_READY, 0x04, 0x0b),
            (SenseReason::AluaTgPtUnavailable, NOT_READY, 0x04, 0x0c),
            (SenseReason::AluaStateTransition, NOT_READY, 0x04, 0x0a),
            (SenseReason::AluaOffline, NOT_READY, 0x04, 0x12),
            (
                SenseReason::CopyTargetDeviceNotReachable,
                COPY_ABORTED,
                0x0d,
                0x02,
            ),
            (
                SenseReason::CheckConditionAbortCmd,
                ABORTED_COMMAND,
                0x29,
                0x03,
            ),
        ];
        for (reason, key, asc, ascq) in rows {
            let (buf, cc) = sense(reason, false, 0);
            assert_eq!(cc.scsi_status, SAM_STAT_CHECK_CONDITION, "{reason:?}");
            assert_eq!(cc.sense_length, TRANSPORT_SENSE_BUFFER);
            let mut want = [0u8; 96];
            want[0] = 0x70;
            want[2] = key;
            want[7] = 0x0a;
            want[12] = asc;
            want[13] = ascq;
            assert_eq!(buf, want, "{reason:?}");
        }
    }

    #[test]
    fn miscompare_carries_the_offset_in_information() {
        let (buf, _) = sense(SenseReason::MiscompareVerify, false, 0x1234);
        assert_eq!(
            &buf[..18],
            &[0xf0, 0, MISCOMPARE, 0x00, 0x00, 0x12, 0x34, 0x0a, 0, 0, 0, 0, 0x1d, 0, 0, 0, 0, 0]
        );
        // An offset beyond 32 bits: low bits stored, VALID cleared.
        let (buf, _) = sense(SenseReason::MiscompareVerify, false, 0x1_0000_0001);
        assert_eq!(&buf[..8], &[0x70, 0, MISCOMPARE, 0, 0, 0, 1, 0x0a]);
    }

    #[test]
    fn descriptor_format_with_information_descriptor() {
        let (buf, cc) = sense(SenseReason::MiscompareVerify, true, 0x0102_0304_0506_0708);
        assert_eq!(cc.sense_length, 96);
        assert_eq!(
            &buf[..20],
            &[
                0x72, MISCOMPARE, 0x1d, 0x00, 0, 0, 0, 0x0c, 0x00, 0x0a, 0x80, 0x00, 1, 2, 3, 4, 5,
                6, 7, 8
            ]
        );
        assert!(buf[20..].iter().all(|&b| b == 0));
        let (buf, _) = sense(SenseReason::AddressOutOfRange, true, 0);
        assert_eq!(&buf[..8], &[0x72, ILLEGAL_REQUEST, 0x21, 0, 0, 0, 0, 0]);
        assert_eq!(scsi_sense_data_length(true, true), 20);
        assert_eq!(scsi_sense_data_length(false, false), 18);
    }

    #[test]
    fn information_overwrites_an_existing_descriptor() {
        let mut buf = [0u8; 32];
        scsi_build_sense_buffer(true, &mut buf, MISCOMPARE, 0x1d, 0);
        assert!(scsi_set_sense_information(&mut buf, 1));
        assert!(scsi_set_sense_information(&mut buf, 2));
        assert_eq!(buf[7], 0x0c);
        assert_eq!(&buf[8..20], &[0, 0x0a, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Not enough room: refused as LIO does.
        let mut small = [0u8; 10];
        scsi_build_sense_buffer(true, &mut small, MISCOMPARE, 0x1d, 0);
        assert!(!scsi_set_sense_information(&mut small, 1));
        assert!(!scsi_set_sense_information(&mut [], 1));
    }

    #[test]
    fn unit_attention_from_the_queue_or_busy() {
        let mut buf = [0u8; 96];
        let ua = UnitAttention {
            asc: ASC_3FH_CONDITIONS_CHANGED,
            ascq: ASCQ_3FH_REPORTED_LUNS_DATA_HAS_CHANGED,
        };
        let cc = translate_sense_reason(
            &mut buf,
            SenseReason::CheckConditionUnitAttention,
            false,
            Some(ua),
            0,
        );
        assert_eq!(cc.scsi_status, SAM_STAT_CHECK_CONDITION);
        assert_eq!((buf[2], buf[12], buf[13]), (UNIT_ATTENTION, 0x3f, 0x0e));
        let cc = translate_sense_reason(
            &mut buf,
            SenseReason::CheckConditionUnitAttention,
            false,
            None,
            0,
        );
        assert_eq!(
            cc,
            CheckCondition {
                scsi_status: SAM_STAT_BUSY,
                sense_length: 0
            }
        );
    }

    #[test]
    fn statuses_without_sense() {
        for (reason, status) in [
            (
                SenseReason::ReservationConflict,
                SAM_STAT_RESERVATION_CONFLICT,
            ),
            (SenseReason::OutOfResources, SAM_STAT_TASK_SET_FULL),
            (SenseReason::LunBusy, SAM_STAT_BUSY),
        ] {
            let mut buf = [0x55u8; 96];
            let cc = translate_sense_reason(&mut buf, reason, false, None, 0);
            assert_eq!(cc.scsi_status, status);
            assert_eq!(cc.sense_length, 0);
            assert!(buf.iter().all(|&b| b == 0x55));
        }
        assert_eq!(
            SenseReason::MiscompareVerify.for_request_failure(),
            SenseReason::UnsupportedScsiOpcode
        );
        assert_eq!(
            SenseReason::InvalidCdbField.for_request_failure(),
            SenseReason::InvalidCdbField
        );
    }

    #[test]
    fn short_sense_buffers_do_not_panic() {
        for len in 0..20 {
            let mut buf = [0u8; 20];
            let cc = translate_sense_reason(
                &mut buf[..len],
                SenseReason::MiscompareVerify,
                len % 2 == 0,
                None,
                7,
            );
            assert_eq!(cc.scsi_status, SAM_STAT_CHECK_CONDITION);
        }
        assert_eq!(
            scsi_sense_desc_find(&[0x72, 0, 0, 0, 0, 0, 0, 200], 8, 0),
            None
        );
        // A truncated descriptor list ends the search without reading past it.
        let s = [0x72, 5, 0x24, 0, 0, 0, 0, 3, 9, 0x20, 0];
        assert_eq!(scsi_sense_desc_find(&s, s.len(), 0), None);
        assert_eq!(scsi_sense_desc_find(&s, s.len(), 9), Some(8));
    }

    #[test]
    fn ua_check_lets_inquiry_report_luns_request_sense_through() {
        assert_eq!(target_scsi3_ua_check(0x12, true), Ok(()));
        assert_eq!(target_scsi3_ua_check(0xa0, true), Ok(()));
        assert_eq!(target_scsi3_ua_check(0x03, true), Ok(()));
        assert_eq!(
            target_scsi3_ua_check(0x00, true),
            Err(SenseReason::CheckConditionUnitAttention)
        );
        assert_eq!(target_scsi3_ua_check(0x00, false), Ok(()));
    }
}
