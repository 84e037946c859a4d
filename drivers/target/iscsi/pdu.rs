// SPDX-License-Identifier: GPL-2.0

//! The iSCSI Basic Header Segment (RFC 7143 §11; LIO's `include/scsi/iscsi_proto.h`): a
//! typed parser and builder for every opcode a target receives or sends, the AHS walk,
//! LIO's receive-side checks of each initiator opcode (`iscsi_target.c`), the login request
//! checks of `iscsi_target_nego.c`/`iscsi_target_login.c`, and RFC 1982 serial number
//! arithmetic with LIO's CmdSN window (`iscsit_check_received_cmdsn()`).
//!
//! Multi-byte fields are big-endian on the wire; the ITT is opaque to a target and kept as
//! the big-endian value of its four bytes. Reserved fields are ignored on receipt and
//! written as zero (RFC 7143 §11.2.1); reserved *code values* in defined fields are errors.

use super::crc32c::{iscsi_pad_len, ISCSI_CRC_LEN};

/// Length of the Basic Header Segment.
pub(crate) const ISCSI_HDR_LEN: usize = 48;
/// The reserved tag value (`ISCSI_RESERVED_TAG`, `RESERVED_ITT`).
pub(crate) const ISCSI_RESERVED_TAG: u32 = 0xffff_ffff;
/// Largest DataSegmentLength the 24-bit field can carry.
pub(crate) const ISCSI_MAX_DLENGTH: u32 = 0x00ff_ffff;
/// Size of LIO's login text buffers; a longer login payload drops the connection.
pub(crate) const MAX_KEY_VALUE_PAIRS: u32 = 8192;
/// The only iSCSI version (`ISCSI_DRAFT20_VERSION`).
pub(crate) const ISCSI_DRAFT20_VERSION: u8 = 0x00;

/// Opcode byte: bit 7 is reserved (LIO's `ISCSI_OP_RETRY`), ignored on receipt.
pub(crate) const ISCSI_OP_RETRY: u8 = 0x80;
/// Opcode byte: the I (immediate delivery) bit.
pub(crate) const ISCSI_OP_IMMEDIATE: u8 = 0x40;
/// Opcode byte: the opcode proper.
pub(crate) const ISCSI_OPCODE_MASK: u8 = 0x3f;

/// Initiator opcode: NOP-Out.
pub(crate) const ISCSI_OP_NOOP_OUT: u8 = 0x00;
/// Initiator opcode: SCSI Command.
pub(crate) const ISCSI_OP_SCSI_CMD: u8 = 0x01;
/// Initiator opcode: SCSI Task Management Function Request.
pub(crate) const ISCSI_OP_SCSI_TMFUNC: u8 = 0x02;
/// Initiator opcode: Login Request.
pub(crate) const ISCSI_OP_LOGIN: u8 = 0x03;
/// Initiator opcode: Text Request.
pub(crate) const ISCSI_OP_TEXT: u8 = 0x04;
/// Initiator opcode: SCSI Data-Out.
pub(crate) const ISCSI_OP_SCSI_DATA_OUT: u8 = 0x05;
/// Initiator opcode: Logout Request.
pub(crate) const ISCSI_OP_LOGOUT: u8 = 0x06;
/// Initiator opcode: SNACK Request.
pub(crate) const ISCSI_OP_SNACK: u8 = 0x10;
/// Target opcode: NOP-In.
pub(crate) const ISCSI_OP_NOOP_IN: u8 = 0x20;
/// Target opcode: SCSI Response.
pub(crate) const ISCSI_OP_SCSI_CMD_RSP: u8 = 0x21;
/// Target opcode: SCSI Task Management Function Response.
pub(crate) const ISCSI_OP_SCSI_TMFUNC_RSP: u8 = 0x22;
/// Target opcode: Login Response.
pub(crate) const ISCSI_OP_LOGIN_RSP: u8 = 0x23;
/// Target opcode: Text Response.
pub(crate) const ISCSI_OP_TEXT_RSP: u8 = 0x24;
/// Target opcode: SCSI Data-In.
pub(crate) const ISCSI_OP_SCSI_DATA_IN: u8 = 0x25;
/// Target opcode: Logout Response.
pub(crate) const ISCSI_OP_LOGOUT_RSP: u8 = 0x26;
/// Target opcode: Ready To Transfer.
pub(crate) const ISCSI_OP_R2T: u8 = 0x31;
/// Target opcode: Asynchronous Message.
pub(crate) const ISCSI_OP_ASYNC_EVENT: u8 = 0x32;
/// Target opcode: Reject.
pub(crate) const ISCSI_OP_REJECT: u8 = 0x3f;

/// Flags: the F (final) bit, shared by most PDUs.
pub(crate) const ISCSI_FLAG_CMD_FINAL: u8 = 0x80;
/// SCSI Command: R (read).
pub(crate) const ISCSI_FLAG_CMD_READ: u8 = 0x40;
/// SCSI Command: W (write).
pub(crate) const ISCSI_FLAG_CMD_WRITE: u8 = 0x20;
/// SCSI Command: the task attribute.
pub(crate) const ISCSI_FLAG_CMD_ATTR_MASK: u8 = 0x07;
/// Task attribute: untagged.
pub(crate) const ISCSI_ATTR_UNTAGGED: u8 = 0;
/// Task attribute: simple.
pub(crate) const ISCSI_ATTR_SIMPLE: u8 = 1;
/// Task attribute: ordered.
pub(crate) const ISCSI_ATTR_ORDERED: u8 = 2;
/// Task attribute: head of queue.
pub(crate) const ISCSI_ATTR_HEAD_OF_QUEUE: u8 = 3;
/// Task attribute: ACA.
pub(crate) const ISCSI_ATTR_ACA: u8 = 4;

/// SCSI Response: o (bidirectional read residual overflow).
pub(crate) const ISCSI_FLAG_CMD_BIDI_OVERFLOW: u8 = 0x10;
/// SCSI Response: u (bidirectional read residual underflow).
pub(crate) const ISCSI_FLAG_CMD_BIDI_UNDERFLOW: u8 = 0x08;
/// SCSI Response: O (residual overflow).
pub(crate) const ISCSI_FLAG_CMD_OVERFLOW: u8 = 0x04;
/// SCSI Response: U (residual underflow).
pub(crate) const ISCSI_FLAG_CMD_UNDERFLOW: u8 = 0x02;
/// SCSI Response code: command completed at target.
pub(crate) const ISCSI_STATUS_CMD_COMPLETED: u8 = 0;
/// SCSI Response code: target failure.
pub(crate) const ISCSI_STATUS_TARGET_FAILURE: u8 = 1;
/// SCSI Response code: subsystem failure.
pub(crate) const ISCSI_STATUS_SUBSYS_FAILURE: u8 = 2;

/// Data-In: A (acknowledge).
pub(crate) const ISCSI_FLAG_DATA_ACK: u8 = 0x40;
/// Data-In: O (residual overflow).
pub(crate) const ISCSI_FLAG_DATA_OVERFLOW: u8 = 0x04;
/// Data-In: U (residual underflow).
pub(crate) const ISCSI_FLAG_DATA_UNDERFLOW: u8 = 0x02;
/// Data-In: S (status present).
pub(crate) const ISCSI_FLAG_DATA_STATUS: u8 = 0x01;

/// Text Request/Response: C (continue).
pub(crate) const ISCSI_FLAG_TEXT_CONTINUE: u8 = 0x40;

/// Task management: the function field.
pub(crate) const ISCSI_FLAG_TM_FUNC_MASK: u8 = 0x7f;
/// TMF: ABORT TASK.
pub(crate) const ISCSI_TM_FUNC_ABORT_TASK: u8 = 1;
/// TMF: ABORT TASK SET.
pub(crate) const ISCSI_TM_FUNC_ABORT_TASK_SET: u8 = 2;
/// TMF: CLEAR ACA.
pub(crate) const ISCSI_TM_FUNC_CLEAR_ACA: u8 = 3;
/// TMF: CLEAR TASK SET.
pub(crate) const ISCSI_TM_FUNC_CLEAR_TASK_SET: u8 = 4;
/// TMF: LOGICAL UNIT RESET.
pub(crate) const ISCSI_TM_FUNC_LOGICAL_UNIT_RESET: u8 = 5;
/// TMF: TARGET WARM RESET.
pub(crate) const ISCSI_TM_FUNC_TARGET_WARM_RESET: u8 = 6;
/// TMF: TARGET COLD RESET.
pub(crate) const ISCSI_TM_FUNC_TARGET_COLD_RESET: u8 = 7;
/// TMF: TASK REASSIGN.
pub(crate) const ISCSI_TM_FUNC_TASK_REASSIGN: u8 = 8;
/// TMF response: function complete.
pub(crate) const ISCSI_TMF_RSP_COMPLETE: u8 = 0x00;
/// TMF response: task does not exist.
pub(crate) const ISCSI_TMF_RSP_NO_TASK: u8 = 0x01;
/// TMF response: LUN does not exist.
pub(crate) const ISCSI_TMF_RSP_NO_LUN: u8 = 0x02;
/// TMF response: task still allegiant.
pub(crate) const ISCSI_TMF_RSP_TASK_ALLEGIANT: u8 = 0x03;
/// TMF response: task allegiance reassignment not supported.
pub(crate) const ISCSI_TMF_RSP_NO_FAILOVER: u8 = 0x04;
/// TMF response: function not supported.
pub(crate) const ISCSI_TMF_RSP_NOT_SUPPORTED: u8 = 0x05;
/// TMF response: function authorization failed.
pub(crate) const ISCSI_TMF_RSP_AUTH_FAILED: u8 = 0x06;
/// TMF response: function rejected.
pub(crate) const ISCSI_TMF_RSP_REJECTED: u8 = 0xff;

/// Login: T (transit).
pub(crate) const ISCSI_FLAG_LOGIN_TRANSIT: u8 = 0x80;
/// Login: C (continue).
pub(crate) const ISCSI_FLAG_LOGIN_CONTINUE: u8 = 0x40;
/// Login: CSG.
pub(crate) const ISCSI_FLAG_LOGIN_CURRENT_STAGE_MASK: u8 = 0x0c;
/// Login: NSG.
pub(crate) const ISCSI_FLAG_LOGIN_NEXT_STAGE_MASK: u8 = 0x03;
/// Login stage: security negotiation.
pub(crate) const ISCSI_SECURITY_NEGOTIATION_STAGE: u8 = 0;
/// Login stage: operational parameter negotiation.
pub(crate) const ISCSI_OP_PARMS_NEGOTIATION_STAGE: u8 = 1;
/// Login stage: full feature phase.
pub(crate) const ISCSI_FULL_FEATURE_PHASE: u8 = 3;

/// Login status class: success.
pub(crate) const ISCSI_STATUS_CLS_SUCCESS: u8 = 0x00;
/// Login status class: redirection.
pub(crate) const ISCSI_STATUS_CLS_REDIRECT: u8 = 0x01;
/// Login status class: initiator error.
pub(crate) const ISCSI_STATUS_CLS_INITIATOR_ERR: u8 = 0x02;
/// Login status class: target error.
pub(crate) const ISCSI_STATUS_CLS_TARGET_ERR: u8 = 0x03;
/// Login status detail (class 0): accept.
pub(crate) const ISCSI_LOGIN_STATUS_ACCEPT: u8 = 0x00;
/// Login status detail (class 1): target moved temporarily.
pub(crate) const ISCSI_LOGIN_STATUS_TGT_MOVED_TEMP: u8 = 0x01;
/// Login status detail (class 1): target moved permanently.
pub(crate) const ISCSI_LOGIN_STATUS_TGT_MOVED_PERM: u8 = 0x02;
/// Login status detail (class 2): miscellaneous initiator error.
pub(crate) const ISCSI_LOGIN_STATUS_INIT_ERR: u8 = 0x00;
/// Login status detail (class 2): authentication failure.
pub(crate) const ISCSI_LOGIN_STATUS_AUTH_FAILED: u8 = 0x01;
/// Login status detail (class 2): authorization failure.
pub(crate) const ISCSI_LOGIN_STATUS_TGT_FORBIDDEN: u8 = 0x02;
/// Login status detail (class 2): target not found.
pub(crate) const ISCSI_LOGIN_STATUS_TGT_NOT_FOUND: u8 = 0x03;
/// Login status detail (class 2): target removed.
pub(crate) const ISCSI_LOGIN_STATUS_TGT_REMOVED: u8 = 0x04;
/// Login status detail (class 2): unsupported version.
pub(crate) const ISCSI_LOGIN_STATUS_NO_VERSION: u8 = 0x05;
/// Login status detail (class 2): too many connections.
pub(crate) const ISCSI_LOGIN_STATUS_ISID_ERROR: u8 = 0x06;
/// Login status detail (class 2): missing parameter.
pub(crate) const ISCSI_LOGIN_STATUS_MISSING_FIELDS: u8 = 0x07;
/// Login status detail (class 2): can't include in session.
pub(crate) const ISCSI_LOGIN_STATUS_CONN_ADD_FAILED: u8 = 0x08;
/// Login status detail (class 2): session type not supported.
pub(crate) const ISCSI_LOGIN_STATUS_NO_SESSION_TYPE: u8 = 0x09;
/// Login status detail (class 2): session does not exist.
pub(crate) const ISCSI_LOGIN_STATUS_NO_SESSION: u8 = 0x0a;
/// Login status detail (class 2): invalid request during login.
pub(crate) const ISCSI_LOGIN_STATUS_INVALID_REQUEST: u8 = 0x0b;
/// Login status detail (class 3): target error.
pub(crate) const ISCSI_LOGIN_STATUS_TARGET_ERROR: u8 = 0x00;
/// Login status detail (class 3): service unavailable.
pub(crate) const ISCSI_LOGIN_STATUS_SVC_UNAVAILABLE: u8 = 0x01;
/// Login status detail (class 3): out of resources.
pub(crate) const ISCSI_LOGIN_STATUS_NO_RESOURCES: u8 = 0x02;

/// Logout: the reason code field.
pub(crate) const ISCSI_FLAG_LOGOUT_REASON_MASK: u8 = 0x7f;
/// Logout reason: close the session.
pub(crate) const ISCSI_LOGOUT_REASON_CLOSE_SESSION: u8 = 0;
/// Logout reason: close the connection.
pub(crate) const ISCSI_LOGOUT_REASON_CLOSE_CONNECTION: u8 = 1;
/// Logout reason: remove the connection for recovery.
pub(crate) const ISCSI_LOGOUT_REASON_RECOVERY: u8 = 2;
/// Logout response: closed successfully.
pub(crate) const ISCSI_LOGOUT_SUCCESS: u8 = 0;
/// Logout response: CID not found.
pub(crate) const ISCSI_LOGOUT_CID_NOT_FOUND: u8 = 1;
/// Logout response: connection recovery not supported.
pub(crate) const ISCSI_LOGOUT_RECOVERY_UNSUPPORTED: u8 = 2;
/// Logout response: cleanup failed.
pub(crate) const ISCSI_LOGOUT_CLEANUP_FAILED: u8 = 3;

/// SNACK: the type field.
pub(crate) const ISCSI_FLAG_SNACK_TYPE_MASK: u8 = 0x0f;
/// SNACK type: Data/R2T.
pub(crate) const ISCSI_FLAG_SNACK_TYPE_DATA: u8 = 0;
/// SNACK type: Status.
pub(crate) const ISCSI_FLAG_SNACK_TYPE_STATUS: u8 = 1;
/// SNACK type: DataACK.
pub(crate) const ISCSI_FLAG_SNACK_TYPE_DATA_ACK: u8 = 2;
/// SNACK type: R-Data.
pub(crate) const ISCSI_FLAG_SNACK_TYPE_RDATA: u8 = 3;

/// Async event: SCSI async event.
pub(crate) const ISCSI_ASYNC_MSG_SCSI_EVENT: u8 = 0;
/// Async event: logout requested.
pub(crate) const ISCSI_ASYNC_MSG_REQUEST_LOGOUT: u8 = 1;
/// Async event: dropping a connection.
pub(crate) const ISCSI_ASYNC_MSG_DROPPING_CONNECTION: u8 = 2;
/// Async event: dropping all connections.
pub(crate) const ISCSI_ASYNC_MSG_DROPPING_ALL_CONNECTIONS: u8 = 3;
/// Async event: parameter negotiation requested.
pub(crate) const ISCSI_ASYNC_MSG_PARAM_NEGOTIATION: u8 = 4;
/// Async event: vendor specific.
pub(crate) const ISCSI_ASYNC_MSG_VENDOR_SPECIFIC: u8 = 255;

/// Reject reason: command before login (reserved in RFC 7143).
pub(crate) const ISCSI_REASON_CMD_BEFORE_LOGIN: u8 = 1;
/// Reject reason: data (payload) digest error.
pub(crate) const ISCSI_REASON_DATA_DIGEST_ERROR: u8 = 2;
/// Reject reason: SNACK reject.
pub(crate) const ISCSI_REASON_DATA_SNACK_REJECT: u8 = 3;
/// Reject reason: protocol error.
pub(crate) const ISCSI_REASON_PROTOCOL_ERROR: u8 = 4;
/// Reject reason: command not supported.
pub(crate) const ISCSI_REASON_CMD_NOT_SUPPORTED: u8 = 5;
/// Reject reason: immediate command rejected (too many immediate commands).
pub(crate) const ISCSI_REASON_IMM_CMD_REJECT: u8 = 6;
/// Reject reason: task in progress.
pub(crate) const ISCSI_REASON_TASK_IN_PROGRESS: u8 = 7;
/// Reject reason: invalid data ack.
pub(crate) const ISCSI_REASON_INVALID_SNACK: u8 = 8;
/// Reject reason: invalid PDU field (LIO's name: "bookmark invalid").
pub(crate) const ISCSI_REASON_BOOKMARK_INVALID: u8 = 9;
/// Reject reason: long operation reject / out of resources.
pub(crate) const ISCSI_REASON_BOOKMARK_NO_RESOURCES: u8 = 10;
/// Reject reason: negotiation reset.
pub(crate) const ISCSI_REASON_NEGOTIATION_RESET: u8 = 11;

/// AHS type: extended CDB.
pub(crate) const ISCSI_AHSTYPE_CDB: u8 = 1;
/// AHS type: bidirectional expected read-data length.
pub(crate) const ISCSI_AHSTYPE_RLENGTH: u8 = 2;
/// Size of the CDB field of the SCSI Command BHS.
pub(crate) const ISCSI_CDB_SIZE: usize = 16;
/// Largest CDB (`SCSI_MAX_VARLEN_CDB_SIZE`).
pub(crate) const SCSI_MAX_VARLEN_CDB_SIZE: usize = 260;

/// Why a PDU header is malformed or refused. [`PduError::reject_reason`] is the reason code
/// of the Reject PDU LIO answers with; [`PduError::is_fatal`] says whether LIO closes the
/// connection instead of (or right after) rejecting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PduError {
    /// Fewer than 48 bytes.
    Truncated {
        /// The bytes given.
        len: usize,
    },
    /// An opcode the target does not handle here. LIO 6.12 (`iscsi_target_rx_opcode()`)
    /// closes the connection without a Reject; RFC 7143 §11.17.1 would reject it with
    /// "Command not supported", the reason reported.
    UnknownOpcode(u8),
    /// An opcode LIO refuses in a discovery session. Its test, kept as is, lets every
    /// opcode with bit 2 (0x04) set through (Text, Data-Out and Logout among the valid
    /// ones) and refuses the rest; LIO sends a Reject (protocol error) and closes the
    /// connection.
    DiscoveryOpcode(u8),
    /// DataSegmentLength above the receive limit (LIO's
    /// `conn_ops->MaxXmitDataSegmentLength`, i.e. the MaxRecvDataSegmentLength the target
    /// declared).
    DataSegmentTooLong {
        /// The DataSegmentLength of the PDU.
        dlength: u32,
        /// The limit it exceeds.
        max: u32,
    },
    /// A DataSegmentLength that does not fit the 24-bit field (building).
    DataSegmentLengthOverflow(u32),
    /// A login payload above [`MAX_KEY_VALUE_PAIRS`]: LIO drops the connection.
    LoginPayloadTooLong(u32),
    /// TotalAHSLength is not 0 on a PDU that carries no AHS (RFC 7143 §11.2.1.4; LIO reads
    /// and ignores it).
    AhsNotAllowed(u8),
    /// The AHS segments do not tile TotalAHSLength, or a known AHS has the wrong length.
    AhsLength,
    /// An AHS type LIO does not support (the first AHS of a SCSI Command must be an
    /// extended CDB).
    AhsType(u8),
    /// A data segment on a PDU that carries none (TMF, Logout, SNACK); LIO does not check
    /// and would lose PDU framing. The caller must still skip the data.
    UnexpectedDataSegment(u8),
    /// SCSI Command with neither W nor F set.
    CmdNoFinalNoWrite,
    /// SCSI Command with Expected Data Transfer Length but neither R nor W.
    CmdLengthWithoutDirection,
    /// SCSI Command with both R and W (LIO supports no bidirectional commands).
    CmdBidirectional,
    /// SCSI Command with the I bit (LIO refuses immediate SCSI commands).
    CmdImmediate,
    /// Immediate data while ImmediateData=No.
    ImmediateDataDisabled,
    /// Immediate data equal to the Expected Data Transfer Length but F not set.
    CmdFinalMissing,
    /// More immediate data than the Expected Data Transfer Length.
    CmdDataOverEdtl,
    /// More immediate data than FirstBurstLength.
    FirstBurstExceeded,
    /// NOP-Out without the F bit.
    NopOutNotFinal,
    /// NOP-Out with the reserved ITT but without the I bit.
    NopOutReservedItt,
    /// NOP-Out with a valid ITT answering a NOP-In (TTT not reserved).
    NopOutBadPingResponse,
    /// TASK REASSIGN not sent as an immediate command.
    TaskReassignNotImmediate,
    /// A task management function code LIO does not know (it answers with a Reject, reason
    /// "out of resources", not with a "function not supported" TMF response).
    TmFunctionUnknown(u8),
    /// Text Request with C set or F clear (LIO supports single-PDU text requests only).
    TextMultiSequence,
    /// SNACK while ErrorRecoveryLevel=0.
    SnackAtErl0,
    /// R-Data SNACK (LIO does not support it).
    SnackRData,
    /// A reserved SNACK type.
    SnackTypeUnknown(u8),
}

impl PduError {
    /// The Reject reason code for this error.
    pub(crate) fn reject_reason(&self) -> u8 {
        match self {
            Self::UnknownOpcode(_) | Self::AhsType(_) | Self::TextMultiSequence => {
                ISCSI_REASON_CMD_NOT_SUPPORTED
            }
            Self::CmdNoFinalNoWrite
            | Self::CmdLengthWithoutDirection
            | Self::CmdBidirectional
            | Self::CmdImmediate
            | Self::FirstBurstExceeded => ISCSI_REASON_BOOKMARK_INVALID,
            Self::TmFunctionUnknown(_) => ISCSI_REASON_BOOKMARK_NO_RESOURCES,
            _ => ISCSI_REASON_PROTOCOL_ERROR,
        }
    }

    /// Whether LIO closes the connection on this error.
    pub(crate) fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Truncated { .. }
                | Self::UnknownOpcode(_)
                | Self::DiscoveryOpcode(_)
                | Self::LoginPayloadTooLong(_)
                | Self::DataSegmentLengthOverflow(_)
        )
    }
}

type Bhs = [u8; ISCSI_HDR_LEN];

fn rd8(b: &Bhs, off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

fn rd16(b: &Bhs, off: usize) -> u16 {
    match b.get(off..off + 2) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

fn rd24(b: &Bhs, off: usize) -> u32 {
    match b.get(off..off + 3) {
        Some(&[x, y, z]) => u32::from_be_bytes([0, x, y, z]),
        _ => 0,
    }
}

fn rd32(b: &Bhs, off: usize) -> u32 {
    match b.get(off..off + 4) {
        Some(&[w, x, y, z]) => u32::from_be_bytes([w, x, y, z]),
        _ => 0,
    }
}

fn rdn<const N: usize>(b: &Bhs, off: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = b.get(off..off + N) {
        out.copy_from_slice(src);
    }
    out
}

fn wr8(b: &mut Bhs, off: usize, v: u8) {
    if let Some(x) = b.get_mut(off) {
        *x = v;
    }
}

fn wrn(b: &mut Bhs, off: usize, src: &[u8]) {
    if let Some(dst) = b.get_mut(off..off + src.len()) {
        dst.copy_from_slice(src);
    }
}

fn wr16(b: &mut Bhs, off: usize, v: u16) {
    wrn(b, off, &v.to_be_bytes());
}

fn wr32(b: &mut Bhs, off: usize, v: u32) {
    wrn(b, off, &v.to_be_bytes());
}

/// `ntoh24()`: a 24-bit big-endian length.
pub(crate) fn ntoh24(p: [u8; 3]) -> u32 {
    let [a, b, c] = p;
    u32::from_be_bytes([0, a, b, c])
}

/// `hton24()`: the low 24 bits of `v`, big-endian.
pub(crate) fn hton24(v: u32) -> [u8; 3] {
    let [_, a, b, c] = v.to_be_bytes();
    [a, b, c]
}

/// `iscsi_sna_lt()`: `n1 < n2` in 32-bit serial number arithmetic (RFC 1982).
pub(crate) fn iscsi_sna_lt(n1: u32, n2: u32) -> bool {
    (n1.wrapping_sub(n2) as i32) < 0
}

/// `iscsi_sna_lte()`: `n1 <= n2` in serial number arithmetic.
pub(crate) fn iscsi_sna_lte(n1: u32, n2: u32) -> bool {
    (n1.wrapping_sub(n2) as i32) <= 0
}

/// `iscsi_sna_gt()`: `n1 > n2` in serial number arithmetic.
pub(crate) fn iscsi_sna_gt(n1: u32, n2: u32) -> bool {
    (n1.wrapping_sub(n2) as i32) > 0
}

/// `iscsi_sna_gte()`: `n1 >= n2` in serial number arithmetic.
pub(crate) fn iscsi_sna_gte(n1: u32, n2: u32) -> bool {
    (n1.wrapping_sub(n2) as i32) >= 0
}

/// NOP-Out (0x00).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiNopout {
    /// Byte 1 (F must be set).
    pub(crate) flags: u8,
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag (reserved when the NOP-Out asks for no answer).
    pub(crate) itt: u32,
    /// Target Transfer Tag (the NOP-In's TTT when answering it, else reserved).
    pub(crate) ttt: u32,
    /// CmdSN.
    pub(crate) cmdsn: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
}

/// SCSI Command (0x01).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiScsiReq {
    /// Byte 1: F, R, W and ATTR.
    pub(crate) flags: u8,
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Expected Data Transfer Length.
    pub(crate) data_length: u32,
    /// CmdSN.
    pub(crate) cmdsn: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
    /// The first 16 CDB bytes.
    pub(crate) cdb: [u8; ISCSI_CDB_SIZE],
}

impl IscsiScsiReq {
    /// The F bit.
    pub(crate) fn final_bit(&self) -> bool {
        self.flags & ISCSI_FLAG_CMD_FINAL != 0
    }

    /// The R bit.
    pub(crate) fn read(&self) -> bool {
        self.flags & ISCSI_FLAG_CMD_READ != 0
    }

    /// The W bit.
    pub(crate) fn write(&self) -> bool {
        self.flags & ISCSI_FLAG_CMD_WRITE != 0
    }

    /// The task attribute (`ISCSI_ATTR_*`).
    pub(crate) fn attr(&self) -> u8 {
        self.flags & ISCSI_FLAG_CMD_ATTR_MASK
    }
}

/// SCSI Task Management Function Request (0x02).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiTm {
    /// Byte 1: bit 7 set, function in bits 0–6.
    pub(crate) flags: u8,
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Referenced Task Tag.
    pub(crate) rtt: u32,
    /// CmdSN.
    pub(crate) cmdsn: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
    /// RefCmdSN.
    pub(crate) refcmdsn: u32,
    /// ExpDataSN.
    pub(crate) exp_datasn: u32,
}

impl IscsiTm {
    /// The function (`ISCSI_TM_FUNC_*`).
    pub(crate) fn function(&self) -> u8 {
        self.flags & ISCSI_FLAG_TM_FUNC_MASK
    }
}

/// Login Request (0x03).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiLoginReq {
    /// Byte 1: T, C, CSG, NSG.
    pub(crate) flags: u8,
    /// Version-max.
    pub(crate) max_version: u8,
    /// Version-min.
    pub(crate) min_version: u8,
    /// Initiator Session ID.
    pub(crate) isid: [u8; 6],
    /// Target Session Identifying Handle (0 for a new session).
    pub(crate) tsih: u16,
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Connection ID.
    pub(crate) cid: u16,
    /// CmdSN.
    pub(crate) cmdsn: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
}

/// Text Request (0x04).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiText {
    /// Byte 1: F, C.
    pub(crate) flags: u8,
    /// LUN (or reserved).
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Target Transfer Tag.
    pub(crate) ttt: u32,
    /// CmdSN.
    pub(crate) cmdsn: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
}

/// SCSI Data-Out (0x05).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiData {
    /// Byte 1: F.
    pub(crate) flags: u8,
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Target Transfer Tag (the R2T's, or reserved for unsolicited data).
    pub(crate) ttt: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
    /// DataSN.
    pub(crate) datasn: u32,
    /// Buffer Offset (LIO: `offset`).
    pub(crate) buffer_offset: u32,
}

/// Logout Request (0x06).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiLogout {
    /// Byte 1: bit 7 set, reason code in bits 0–6.
    pub(crate) flags: u8,
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// CID of the connection to close.
    pub(crate) cid: u16,
    /// CmdSN.
    pub(crate) cmdsn: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
}

impl IscsiLogout {
    /// The reason code (`ISCSI_LOGOUT_REASON_*`).
    pub(crate) fn reason_code(&self) -> u8 {
        self.flags & ISCSI_FLAG_LOGOUT_REASON_MASK
    }
}

/// SNACK Request (0x10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiSnack {
    /// Byte 1: bit 7 set, type in bits 0–3.
    pub(crate) flags: u8,
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Target Transfer Tag or SNACK Tag.
    pub(crate) ttt: u32,
    /// ExpStatSN.
    pub(crate) exp_statsn: u32,
    /// BegRun.
    pub(crate) begrun: u32,
    /// RunLength.
    pub(crate) runlength: u32,
}

impl IscsiSnack {
    /// The SNACK type (`ISCSI_FLAG_SNACK_TYPE_*`).
    pub(crate) fn snack_type(&self) -> u8 {
        self.flags & ISCSI_FLAG_SNACK_TYPE_MASK
    }
}

/// NOP-In (0x20).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiNopin {
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag (the NOP-Out's, or reserved for an unsolicited NOP-In).
    pub(crate) itt: u32,
    /// Target Transfer Tag.
    pub(crate) ttt: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
}

/// SCSI Response (0x21).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiScsiRsp {
    /// Byte 1: F (always set by a target), o, u, O, U.
    pub(crate) flags: u8,
    /// iSCSI service response.
    pub(crate) response: u8,
    /// SCSI status.
    pub(crate) cmd_status: u8,
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// SNACK Tag.
    pub(crate) snack_tag: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// ExpDataSN.
    pub(crate) exp_datasn: u32,
    /// Bidirectional Read Residual Count.
    pub(crate) bi_residual_count: u32,
    /// Residual Count.
    pub(crate) residual_count: u32,
}

/// SCSI Task Management Function Response (0x22).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiTmRsp {
    /// Response (`ISCSI_TMF_RSP_*`).
    pub(crate) response: u8,
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
}

/// Login Response (0x23).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiLoginRsp {
    /// Byte 1: T, C, CSG, NSG.
    pub(crate) flags: u8,
    /// Version-max.
    pub(crate) max_version: u8,
    /// Version-active.
    pub(crate) active_version: u8,
    /// Initiator Session ID.
    pub(crate) isid: [u8; 6],
    /// Target Session Identifying Handle.
    pub(crate) tsih: u16,
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// Status-Class.
    pub(crate) status_class: u8,
    /// Status-Detail.
    pub(crate) status_detail: u8,
}

/// Text Response (0x24).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiTextRsp {
    /// Byte 1: F, C.
    pub(crate) flags: u8,
    /// LUN (or reserved).
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Target Transfer Tag.
    pub(crate) ttt: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
}

/// SCSI Data-In (0x25).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiDataRsp {
    /// Byte 1: F, A, O, U, S.
    pub(crate) flags: u8,
    /// SCSI status (valid when S is set).
    pub(crate) cmd_status: u8,
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Target Transfer Tag.
    pub(crate) ttt: u32,
    /// StatSN (valid when S is set).
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// DataSN.
    pub(crate) datasn: u32,
    /// Buffer Offset (LIO: `offset`).
    pub(crate) buffer_offset: u32,
    /// Residual Count.
    pub(crate) residual_count: u32,
}

/// Logout Response (0x26).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiLogoutRsp {
    /// Response (`ISCSI_LOGOUT_*`).
    pub(crate) response: u8,
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// Time2Wait.
    pub(crate) t2wait: u16,
    /// Time2Retain.
    pub(crate) t2retain: u16,
}

/// Ready To Transfer (0x31).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiR2tRsp {
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// Initiator Task Tag.
    pub(crate) itt: u32,
    /// Target Transfer Tag.
    pub(crate) ttt: u32,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// R2TSN.
    pub(crate) r2tsn: u32,
    /// Buffer Offset.
    pub(crate) data_offset: u32,
    /// Desired Data Transfer Length.
    pub(crate) data_length: u32,
}

/// Asynchronous Message (0x32); its ITT is always the reserved tag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiAsync {
    /// LUN.
    pub(crate) lun: [u8; 8],
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// AsyncEvent (`ISCSI_ASYNC_MSG_*`).
    pub(crate) async_event: u8,
    /// AsyncVCode.
    pub(crate) async_vcode: u8,
    /// Parameter1.
    pub(crate) param1: u16,
    /// Parameter2.
    pub(crate) param2: u16,
    /// Parameter3.
    pub(crate) param3: u16,
}

/// Reject (0x3f); its data segment is the rejected BHS, its ITT the reserved tag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiReject {
    /// Reason (`ISCSI_REASON_*`).
    pub(crate) reason: u8,
    /// StatSN.
    pub(crate) statsn: u32,
    /// ExpCmdSN.
    pub(crate) exp_cmdsn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmdsn: u32,
    /// DataSN/R2TSN.
    pub(crate) datasn: u32,
}

/// The opcode-specific part of a BHS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IscsiPduBody {
    /// NOP-Out.
    NopOut(IscsiNopout),
    /// SCSI Command.
    ScsiCmd(IscsiScsiReq),
    /// Task Management Function Request.
    TaskMgt(IscsiTm),
    /// Login Request.
    Login(IscsiLoginReq),
    /// Text Request.
    Text(IscsiText),
    /// SCSI Data-Out.
    DataOut(IscsiData),
    /// Logout Request.
    Logout(IscsiLogout),
    /// SNACK Request.
    Snack(IscsiSnack),
    /// NOP-In.
    NopIn(IscsiNopin),
    /// SCSI Response.
    ScsiRsp(IscsiScsiRsp),
    /// Task Management Function Response.
    TaskMgtRsp(IscsiTmRsp),
    /// Login Response.
    LoginRsp(IscsiLoginRsp),
    /// Text Response.
    TextRsp(IscsiTextRsp),
    /// SCSI Data-In.
    DataIn(IscsiDataRsp),
    /// Logout Response.
    LogoutRsp(IscsiLogoutRsp),
    /// Ready To Transfer.
    R2t(IscsiR2tRsp),
    /// Asynchronous Message.
    Async(IscsiAsync),
    /// Reject.
    Reject(IscsiReject),
}

/// A parsed Basic Header Segment: the fields every opcode shares plus the typed rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiPdu {
    /// The I bit (initiator opcodes only).
    pub(crate) immediate: bool,
    /// TotalAHSLength, in four-byte words.
    pub(crate) hlength: u8,
    /// DataSegmentLength (24 bits), without padding.
    pub(crate) dlength: u32,
    /// Opcode-specific fields.
    pub(crate) body: IscsiPduBody,
}

impl IscsiPdu {
    /// A PDU with no AHS, no data and the I bit clear.
    pub(crate) fn new(body: IscsiPduBody) -> Self {
        Self {
            immediate: false,
            hlength: 0,
            dlength: 0,
            body,
        }
    }

    /// A Reject of `reason`, carrying the rejected 48-byte header as data.
    pub(crate) fn reject(reason: u8, statsn: u32, exp_cmdsn: u32, max_cmdsn: u32) -> Self {
        Self {
            immediate: false,
            hlength: 0,
            dlength: ISCSI_HDR_LEN as u32,
            body: IscsiPduBody::Reject(IscsiReject {
                reason,
                statsn,
                exp_cmdsn,
                max_cmdsn,
                datasn: 0,
            }),
        }
    }

    /// The opcode (without the I bit).
    pub(crate) fn opcode(&self) -> u8 {
        match self.body {
            IscsiPduBody::NopOut(_) => ISCSI_OP_NOOP_OUT,
            IscsiPduBody::ScsiCmd(_) => ISCSI_OP_SCSI_CMD,
            IscsiPduBody::TaskMgt(_) => ISCSI_OP_SCSI_TMFUNC,
            IscsiPduBody::Login(_) => ISCSI_OP_LOGIN,
            IscsiPduBody::Text(_) => ISCSI_OP_TEXT,
            IscsiPduBody::DataOut(_) => ISCSI_OP_SCSI_DATA_OUT,
            IscsiPduBody::Logout(_) => ISCSI_OP_LOGOUT,
            IscsiPduBody::Snack(_) => ISCSI_OP_SNACK,
            IscsiPduBody::NopIn(_) => ISCSI_OP_NOOP_IN,
            IscsiPduBody::ScsiRsp(_) => ISCSI_OP_SCSI_CMD_RSP,
            IscsiPduBody::TaskMgtRsp(_) => ISCSI_OP_SCSI_TMFUNC_RSP,
            IscsiPduBody::LoginRsp(_) => ISCSI_OP_LOGIN_RSP,
            IscsiPduBody::TextRsp(_) => ISCSI_OP_TEXT_RSP,
            IscsiPduBody::DataIn(_) => ISCSI_OP_SCSI_DATA_IN,
            IscsiPduBody::LogoutRsp(_) => ISCSI_OP_LOGOUT_RSP,
            IscsiPduBody::R2t(_) => ISCSI_OP_R2T,
            IscsiPduBody::Async(_) => ISCSI_OP_ASYNC_EVENT,
            IscsiPduBody::Reject(_) => ISCSI_OP_REJECT,
        }
    }

    /// The Initiator Task Tag (the reserved tag for Async and Reject).
    pub(crate) fn itt(&self) -> u32 {
        match &self.body {
            IscsiPduBody::NopOut(h) => h.itt,
            IscsiPduBody::ScsiCmd(h) => h.itt,
            IscsiPduBody::TaskMgt(h) => h.itt,
            IscsiPduBody::Login(h) => h.itt,
            IscsiPduBody::Text(h) => h.itt,
            IscsiPduBody::DataOut(h) => h.itt,
            IscsiPduBody::Logout(h) => h.itt,
            IscsiPduBody::Snack(h) => h.itt,
            IscsiPduBody::NopIn(h) => h.itt,
            IscsiPduBody::ScsiRsp(h) => h.itt,
            IscsiPduBody::TaskMgtRsp(h) => h.itt,
            IscsiPduBody::LoginRsp(h) => h.itt,
            IscsiPduBody::TextRsp(h) => h.itt,
            IscsiPduBody::DataIn(h) => h.itt,
            IscsiPduBody::LogoutRsp(h) => h.itt,
            IscsiPduBody::R2t(h) => h.itt,
            IscsiPduBody::Async(_) | IscsiPduBody::Reject(_) => ISCSI_RESERVED_TAG,
        }
    }

    /// Bytes of AHS following the BHS.
    pub(crate) fn ahs_len(&self) -> usize {
        usize::from(self.hlength) * 4
    }

    /// Bytes of data segment including its padding to four bytes.
    pub(crate) fn data_padded_len(&self) -> usize {
        let len = self.dlength as usize;
        len + iscsi_pad_len(len)
    }

    /// Bytes of the whole PDU on the wire with the negotiated digests (the DataDigest is
    /// only present when there is a data segment).
    pub(crate) fn pdu_len(&self, header_digest: bool, data_digest: bool) -> usize {
        let mut len = ISCSI_HDR_LEN + self.ahs_len();
        if header_digest {
            len += ISCSI_CRC_LEN;
        }
        len += self.data_padded_len();
        if data_digest && self.dlength != 0 {
            len += ISCSI_CRC_LEN;
        }
        len
    }

    /// Parses the first 48 bytes of `buf` as a BHS of any of the eighteen opcodes. Only the
    /// structure is checked here; [`iscsit_rx_pdu`] adds LIO's receive checks.
    pub(crate) fn parse(buf: &[u8]) -> Result<Self, PduError> {
        let b: &Bhs = match buf.get(..ISCSI_HDR_LEN).map(<&Bhs>::try_from) {
            Some(Ok(b)) => b,
            _ => return Err(PduError::Truncated { len: buf.len() }),
        };
        let op0 = rd8(b, 0);
        let flags = rd8(b, 1);
        let lun: [u8; 8] = rdn(b, 8);
        let itt = rd32(b, 16);
        let body = match op0 & ISCSI_OPCODE_MASK {
            ISCSI_OP_NOOP_OUT => IscsiPduBody::NopOut(IscsiNopout {
                flags,
                lun,
                itt,
                ttt: rd32(b, 20),
                cmdsn: rd32(b, 24),
                exp_statsn: rd32(b, 28),
            }),
            ISCSI_OP_SCSI_CMD => IscsiPduBody::ScsiCmd(IscsiScsiReq {
                flags,
                lun,
                itt,
                data_length: rd32(b, 20),
                cmdsn: rd32(b, 24),
                exp_statsn: rd32(b, 28),
                cdb: rdn(b, 32),
            }),
            ISCSI_OP_SCSI_TMFUNC => IscsiPduBody::TaskMgt(IscsiTm {
                flags,
                lun,
                itt,
                rtt: rd32(b, 20),
                cmdsn: rd32(b, 24),
                exp_statsn: rd32(b, 28),
                refcmdsn: rd32(b, 32),
                exp_datasn: rd32(b, 36),
            }),
            ISCSI_OP_LOGIN => IscsiPduBody::Login(IscsiLoginReq {
                flags,
                max_version: rd8(b, 2),
                min_version: rd8(b, 3),
                isid: rdn(b, 8),
                tsih: rd16(b, 14),
                itt,
                cid: rd16(b, 20),
                cmdsn: rd32(b, 24),
                exp_statsn: rd32(b, 28),
            }),
            ISCSI_OP_TEXT => IscsiPduBody::Text(IscsiText {
                flags,
                lun,
                itt,
                ttt: rd32(b, 20),
                cmdsn: rd32(b, 24),
                exp_statsn: rd32(b, 28),
            }),
            ISCSI_OP_SCSI_DATA_OUT => IscsiPduBody::DataOut(IscsiData {
                flags,
                lun,
                itt,
                ttt: rd32(b, 20),
                exp_statsn: rd32(b, 28),
                datasn: rd32(b, 36),
                buffer_offset: rd32(b, 40),
            }),
            ISCSI_OP_LOGOUT => IscsiPduBody::Logout(IscsiLogout {
                flags,
                itt,
                cid: rd16(b, 20),
                cmdsn: rd32(b, 24),
                exp_statsn: rd32(b, 28),
            }),
            ISCSI_OP_SNACK => IscsiPduBody::Snack(IscsiSnack {
                flags,
                lun,
                itt,
                ttt: rd32(b, 20),
                exp_statsn: rd32(b, 28),
                begrun: rd32(b, 40),
                runlength: rd32(b, 44),
            }),
            ISCSI_OP_NOOP_IN => IscsiPduBody::NopIn(IscsiNopin {
                lun,
                itt,
                ttt: rd32(b, 20),
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
            }),
            ISCSI_OP_SCSI_CMD_RSP => IscsiPduBody::ScsiRsp(IscsiScsiRsp {
                flags,
                response: rd8(b, 2),
                cmd_status: rd8(b, 3),
                itt,
                snack_tag: rd32(b, 20),
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                exp_datasn: rd32(b, 36),
                bi_residual_count: rd32(b, 40),
                residual_count: rd32(b, 44),
            }),
            ISCSI_OP_SCSI_TMFUNC_RSP => IscsiPduBody::TaskMgtRsp(IscsiTmRsp {
                response: rd8(b, 2),
                itt,
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
            }),
            ISCSI_OP_LOGIN_RSP => IscsiPduBody::LoginRsp(IscsiLoginRsp {
                flags,
                max_version: rd8(b, 2),
                active_version: rd8(b, 3),
                isid: rdn(b, 8),
                tsih: rd16(b, 14),
                itt,
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                status_class: rd8(b, 36),
                status_detail: rd8(b, 37),
            }),
            ISCSI_OP_TEXT_RSP => IscsiPduBody::TextRsp(IscsiTextRsp {
                flags,
                lun,
                itt,
                ttt: rd32(b, 20),
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
            }),
            ISCSI_OP_SCSI_DATA_IN => IscsiPduBody::DataIn(IscsiDataRsp {
                flags,
                cmd_status: rd8(b, 3),
                lun,
                itt,
                ttt: rd32(b, 20),
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                datasn: rd32(b, 36),
                buffer_offset: rd32(b, 40),
                residual_count: rd32(b, 44),
            }),
            ISCSI_OP_LOGOUT_RSP => IscsiPduBody::LogoutRsp(IscsiLogoutRsp {
                response: rd8(b, 2),
                itt,
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                t2wait: rd16(b, 40),
                t2retain: rd16(b, 42),
            }),
            ISCSI_OP_R2T => IscsiPduBody::R2t(IscsiR2tRsp {
                lun,
                itt,
                ttt: rd32(b, 20),
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                r2tsn: rd32(b, 36),
                data_offset: rd32(b, 40),
                data_length: rd32(b, 44),
            }),
            ISCSI_OP_ASYNC_EVENT => IscsiPduBody::Async(IscsiAsync {
                lun,
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                async_event: rd8(b, 36),
                async_vcode: rd8(b, 37),
                param1: rd16(b, 38),
                param2: rd16(b, 40),
                param3: rd16(b, 42),
            }),
            ISCSI_OP_REJECT => IscsiPduBody::Reject(IscsiReject {
                reason: rd8(b, 2),
                statsn: rd32(b, 24),
                exp_cmdsn: rd32(b, 28),
                max_cmdsn: rd32(b, 32),
                datasn: rd32(b, 36),
            }),
            op => return Err(PduError::UnknownOpcode(op)),
        };
        Ok(Self {
            immediate: op0 & ISCSI_OP_IMMEDIATE != 0,
            hlength: rd8(b, 4),
            dlength: rd24(b, 5),
            body,
        })
    }

    /// Writes the BHS into `out` (reserved bytes zero). PDUs with a `flags` field get it as
    /// given (set `ISCSI_FLAG_CMD_FINAL` where the RFC fixes bit 7 to 1, as LIO's builders
    /// do); the others (NOP-In, TMF/Logout Response, R2T, Async, Reject) get bit 7 set.
    pub(crate) fn build(&self, out: &mut [u8; ISCSI_HDR_LEN]) -> Result<(), PduError> {
        if self.dlength > ISCSI_MAX_DLENGTH {
            return Err(PduError::DataSegmentLengthOverflow(self.dlength));
        }
        *out = [0u8; ISCSI_HDR_LEN];
        let b = out;
        let mut op = self.opcode();
        if self.immediate {
            op |= ISCSI_OP_IMMEDIATE;
        }
        wr8(b, 0, op);
        wr8(b, 4, self.hlength);
        wrn(b, 5, &hton24(self.dlength));
        wr32(b, 16, self.itt());
        let fin = ISCSI_FLAG_CMD_FINAL;
        match &self.body {
            IscsiPduBody::NopOut(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 24, h.cmdsn);
                wr32(b, 28, h.exp_statsn);
            }
            IscsiPduBody::ScsiCmd(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.data_length);
                wr32(b, 24, h.cmdsn);
                wr32(b, 28, h.exp_statsn);
                wrn(b, 32, &h.cdb);
            }
            IscsiPduBody::TaskMgt(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.rtt);
                wr32(b, 24, h.cmdsn);
                wr32(b, 28, h.exp_statsn);
                wr32(b, 32, h.refcmdsn);
                wr32(b, 36, h.exp_datasn);
            }
            IscsiPduBody::Login(h) => {
                wr8(b, 1, h.flags);
                wr8(b, 2, h.max_version);
                wr8(b, 3, h.min_version);
                wrn(b, 8, &h.isid);
                wr16(b, 14, h.tsih);
                wr16(b, 20, h.cid);
                wr32(b, 24, h.cmdsn);
                wr32(b, 28, h.exp_statsn);
            }
            IscsiPduBody::Text(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 24, h.cmdsn);
                wr32(b, 28, h.exp_statsn);
            }
            IscsiPduBody::DataOut(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 28, h.exp_statsn);
                wr32(b, 36, h.datasn);
                wr32(b, 40, h.buffer_offset);
            }
            IscsiPduBody::Logout(h) => {
                wr8(b, 1, h.flags);
                wr16(b, 20, h.cid);
                wr32(b, 24, h.cmdsn);
                wr32(b, 28, h.exp_statsn);
            }
            IscsiPduBody::Snack(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 28, h.exp_statsn);
                wr32(b, 40, h.begrun);
                wr32(b, 44, h.runlength);
            }
            IscsiPduBody::NopIn(h) => {
                wr8(b, 1, fin);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
            }
            IscsiPduBody::ScsiRsp(h) => {
                wr8(b, 1, h.flags);
                wr8(b, 2, h.response);
                wr8(b, 3, h.cmd_status);
                wr32(b, 20, h.snack_tag);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr32(b, 36, h.exp_datasn);
                wr32(b, 40, h.bi_residual_count);
                wr32(b, 44, h.residual_count);
            }
            IscsiPduBody::TaskMgtRsp(h) => {
                wr8(b, 1, fin);
                wr8(b, 2, h.response);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
            }
            IscsiPduBody::LoginRsp(h) => {
                wr8(b, 1, h.flags);
                wr8(b, 2, h.max_version);
                wr8(b, 3, h.active_version);
                wrn(b, 8, &h.isid);
                wr16(b, 14, h.tsih);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr8(b, 36, h.status_class);
                wr8(b, 37, h.status_detail);
            }
            IscsiPduBody::TextRsp(h) => {
                wr8(b, 1, h.flags);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
            }
            IscsiPduBody::DataIn(h) => {
                wr8(b, 1, h.flags);
                wr8(b, 3, h.cmd_status);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr32(b, 36, h.datasn);
                wr32(b, 40, h.buffer_offset);
                wr32(b, 44, h.residual_count);
            }
            IscsiPduBody::LogoutRsp(h) => {
                wr8(b, 1, fin);
                wr8(b, 2, h.response);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr16(b, 40, h.t2wait);
                wr16(b, 42, h.t2retain);
            }
            IscsiPduBody::R2t(h) => {
                wr8(b, 1, fin);
                wrn(b, 8, &h.lun);
                wr32(b, 20, h.ttt);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr32(b, 36, h.r2tsn);
                wr32(b, 40, h.data_offset);
                wr32(b, 44, h.data_length);
            }
            IscsiPduBody::Async(h) => {
                wr8(b, 1, fin);
                wrn(b, 8, &h.lun);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr8(b, 36, h.async_event);
                wr8(b, 37, h.async_vcode);
                wr16(b, 38, h.param1);
                wr16(b, 40, h.param2);
                wr16(b, 42, h.param3);
            }
            IscsiPduBody::Reject(h) => {
                wr8(b, 1, fin);
                wr8(b, 2, h.reason);
                wr32(b, 24, h.statsn);
                wr32(b, 28, h.exp_cmdsn);
                wr32(b, 32, h.max_cmdsn);
                wr32(b, 36, h.datasn);
            }
        }
        Ok(())
    }
}

/// One Additional Header Segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiAhs<'a> {
    /// AHSType.
    pub(crate) ahstype: u8,
    /// AHSLength: the bytes after AHSType (the AHS-specific byte included), no padding.
    pub(crate) ahslength: u16,
    /// Those `ahslength` bytes (for an extended CDB: one reserved byte, then the CDB).
    pub(crate) data: &'a [u8],
}

/// Walks the AHS area (`hlength * 4` bytes after the BHS); every segment must fit and the
/// segments must tile the area exactly, padding included.
#[derive(Clone, Debug)]
pub(crate) struct IscsiAhsIter<'a> {
    rest: &'a [u8],
}

impl<'a> IscsiAhsIter<'a> {
    /// An iterator over the AHS bytes `ahs`.
    pub(crate) fn new(ahs: &'a [u8]) -> Self {
        Self { rest: ahs }
    }
}

impl<'a> Iterator for IscsiAhsIter<'a> {
    type Item = Result<IscsiAhs<'a>, PduError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (ahslength, ahstype, body) = match self.rest {
            [l0, l1, t, body @ ..] => (u16::from_be_bytes([*l0, *l1]), *t, body),
            _ => {
                self.rest = &[];
                return Some(Err(PduError::AhsLength));
            }
        };
        let len = usize::from(ahslength);
        // 3 bytes of length and type, then `len` bytes, padded to four.
        let seg = 3 + len;
        let padded = seg + iscsi_pad_len(seg);
        let (data, next) = match (body.get(..len), self.rest.get(padded..)) {
            (Some(d), Some(n)) => (d, n),
            _ => {
                self.rest = &[];
                return Some(Err(PduError::AhsLength));
            }
        };
        self.rest = next;
        Some(Ok(IscsiAhs {
            ahstype,
            ahslength,
            data,
        }))
    }
}

/// The CDB of a SCSI Command: the 16 BHS bytes, extended by the first AHS when there is
/// one (`iscsit_setup_scsi_cmd()`: LIO only looks at the first AHS, which must be an
/// extended CDB; it does not bound AHSLength by TotalAHSLength, which is checked here).
/// Returns the CDB length written into `out`.
pub(crate) fn iscsit_get_cdb(
    hdr: &IscsiScsiReq,
    ahs: &[u8],
    out: &mut [u8; SCSI_MAX_VARLEN_CDB_SIZE],
) -> Result<usize, PduError> {
    // (`split_at_mut_checked` is newer than the kernel's minimum Rust.)
    if out.len() < ISCSI_CDB_SIZE {
        return Err(PduError::AhsLength);
    }
    let (head, tail) = out.split_at_mut(ISCSI_CDB_SIZE);
    head.copy_from_slice(&hdr.cdb);
    let mut iter = IscsiAhsIter::new(ahs);
    let first = match iter.next() {
        None => return Ok(ISCSI_CDB_SIZE),
        Some(first) => first?,
    };
    // The rest must still be well-formed.
    for seg in iter {
        seg?;
    }
    if first.ahstype != ISCSI_AHSTYPE_CDB {
        return Err(PduError::AhsType(first.ahstype));
    }
    // data = reserved byte + CDB bytes 16..
    let ecdb = match first.data.split_first() {
        Some((_, ecdb)) if !ecdb.is_empty() => ecdb,
        _ => return Err(PduError::AhsLength),
    };
    match tail.get_mut(..ecdb.len()) {
        Some(dst) => dst.copy_from_slice(ecdb),
        None => return Err(PduError::AhsLength),
    }
    Ok(ISCSI_CDB_SIZE + ecdb.len())
}

/// What LIO's receive path reads from the negotiated connection and session values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiRxParams {
    /// The target's receive limit: LIO's `conn_ops->MaxXmitDataSegmentLength`, i.e. the
    /// MaxRecvDataSegmentLength value the target declared.
    pub(crate) max_xmit_data_segment_length: u32,
    /// FirstBurstLength.
    pub(crate) first_burst_length: u32,
    /// ImmediateData.
    pub(crate) immediate_data: bool,
    /// ErrorRecoveryLevel.
    pub(crate) error_recovery_level: u8,
    /// `sess_ops->SessionType`: true for a discovery session.
    pub(crate) session_type: bool,
}

/// LIO's discovery-session opcode filter from `iscsit_get_rx_pdu()`, kept bit for bit:
/// `!(op & ISCSI_OP_TEXT) || !(op & ISCSI_OP_LOGOUT)` refuses the opcode.
pub(crate) fn iscsit_discovery_opcode_allowed(opcode: u8) -> bool {
    !(opcode & ISCSI_OP_TEXT == 0 || opcode & ISCSI_OP_LOGOUT == 0)
}

fn check_dlength(dlength: u32, ops: &IscsiRxParams) -> Result<(), PduError> {
    if dlength > ops.max_xmit_data_segment_length {
        return Err(PduError::DataSegmentTooLong {
            dlength,
            max: ops.max_xmit_data_segment_length,
        });
    }
    Ok(())
}

/// Parses a full-feature-phase PDU from an initiator and applies LIO's checks in LIO's
/// order (`iscsit_get_rx_pdu()`, `iscsi_target_rx_opcode()` and the per-opcode setup
/// functions). The PDU comes back normalised as LIO normalises it: R/W cleared on a SCSI
/// Command with no Expected Data Transfer Length, RTT/RefCmdSN reset to the reserved tag
/// on task management functions that do not use them.
pub(crate) fn iscsit_rx_pdu(buf: &[u8], ops: &IscsiRxParams) -> Result<IscsiPdu, PduError> {
    let op0 = match buf.first() {
        Some(op0) if buf.len() >= ISCSI_HDR_LEN => *op0,
        _ => return Err(PduError::Truncated { len: buf.len() }),
    };
    let opcode = op0 & ISCSI_OPCODE_MASK;
    if ops.session_type && !iscsit_discovery_opcode_allowed(opcode) {
        return Err(PduError::DiscoveryOpcode(opcode));
    }
    if !matches!(
        opcode,
        ISCSI_OP_NOOP_OUT
            | ISCSI_OP_SCSI_CMD
            | ISCSI_OP_SCSI_TMFUNC
            | ISCSI_OP_TEXT
            | ISCSI_OP_SCSI_DATA_OUT
            | ISCSI_OP_LOGOUT
            | ISCSI_OP_SNACK
    ) {
        // Login in full feature phase included: LIO has no case for it either.
        return Err(PduError::UnknownOpcode(opcode));
    }
    let mut pdu = IscsiPdu::parse(buf)?;
    if pdu.hlength != 0 && opcode != ISCSI_OP_SCSI_CMD {
        return Err(PduError::AhsNotAllowed(opcode));
    }
    let dlength = pdu.dlength;
    let immediate = pdu.immediate;
    match &mut pdu.body {
        IscsiPduBody::ScsiCmd(h) => {
            // iscsit_setup_scsi_cmd()
            if h.flags & (ISCSI_FLAG_CMD_WRITE | ISCSI_FLAG_CMD_FINAL) == 0 {
                return Err(PduError::CmdNoFinalNoWrite);
            }
            if h.flags & (ISCSI_FLAG_CMD_READ | ISCSI_FLAG_CMD_WRITE) != 0 && h.data_length == 0 {
                // RFC 7143 §11.3.1 allows R/W with no transfer; LIO clears them.
                h.flags &= !(ISCSI_FLAG_CMD_READ | ISCSI_FLAG_CMD_WRITE);
            }
            if !h.read() && !h.write() && h.data_length != 0 {
                return Err(PduError::CmdLengthWithoutDirection);
            }
            if h.read() && h.write() {
                return Err(PduError::CmdBidirectional);
            }
            if immediate {
                return Err(PduError::CmdImmediate);
            }
            if dlength != 0 && !ops.immediate_data {
                return Err(PduError::ImmediateDataDisabled);
            }
            if h.data_length == dlength && !h.final_bit() {
                return Err(PduError::CmdFinalMissing);
            }
            if dlength > h.data_length {
                return Err(PduError::CmdDataOverEdtl);
            }
            check_dlength(dlength, ops)?;
            if dlength > ops.first_burst_length {
                return Err(PduError::FirstBurstExceeded);
            }
        }
        IscsiPduBody::NopOut(h) => {
            // iscsit_setup_nop_out() / iscsit_process_nop_out()
            if h.flags & ISCSI_FLAG_CMD_FINAL == 0 {
                return Err(PduError::NopOutNotFinal);
            }
            if h.itt == ISCSI_RESERVED_TAG && !immediate {
                return Err(PduError::NopOutReservedItt);
            }
            check_dlength(dlength, ops)?;
            if h.itt != ISCSI_RESERVED_TAG && h.ttt != ISCSI_RESERVED_TAG {
                return Err(PduError::NopOutBadPingResponse);
            }
        }
        IscsiPduBody::TaskMgt(h) => {
            // iscsit_handle_task_mgt_cmd()
            h.flags &= !ISCSI_FLAG_CMD_FINAL;
            let function = h.flags;
            if function != ISCSI_TM_FUNC_ABORT_TASK && function != ISCSI_TM_FUNC_TASK_REASSIGN {
                h.rtt = ISCSI_RESERVED_TAG;
            }
            if function == ISCSI_TM_FUNC_TASK_REASSIGN && !immediate {
                return Err(PduError::TaskReassignNotImmediate);
            }
            if function != ISCSI_TM_FUNC_ABORT_TASK {
                h.refcmdsn = ISCSI_RESERVED_TAG;
            }
            if !(ISCSI_TM_FUNC_ABORT_TASK..=ISCSI_TM_FUNC_TASK_REASSIGN).contains(&function) {
                return Err(PduError::TmFunctionUnknown(function));
            }
            h.flags |= ISCSI_FLAG_CMD_FINAL;
            if dlength != 0 {
                return Err(PduError::UnexpectedDataSegment(opcode));
            }
        }
        IscsiPduBody::Text(h) => {
            // iscsit_setup_text_cmd()
            check_dlength(dlength, ops)?;
            if h.flags & ISCSI_FLAG_CMD_FINAL == 0 || h.flags & ISCSI_FLAG_TEXT_CONTINUE != 0 {
                return Err(PduError::TextMultiSequence);
            }
        }
        IscsiPduBody::DataOut(_) => {
            // iscsit_check_dataout_hdr(); an empty Data-Out is ignored by LIO.
            check_dlength(dlength, ops)?;
        }
        IscsiPduBody::Logout(_) => {
            if dlength != 0 {
                return Err(PduError::UnexpectedDataSegment(opcode));
            }
        }
        IscsiPduBody::Snack(h) => {
            // iscsit_handle_snack()
            if ops.error_recovery_level == 0 {
                return Err(PduError::SnackAtErl0);
            }
            match h.snack_type() {
                ISCSI_FLAG_SNACK_TYPE_DATA
                | ISCSI_FLAG_SNACK_TYPE_STATUS
                | ISCSI_FLAG_SNACK_TYPE_DATA_ACK => {}
                ISCSI_FLAG_SNACK_TYPE_RDATA => return Err(PduError::SnackRData),
                t => return Err(PduError::SnackTypeUnknown(t)),
            }
            if dlength != 0 {
                return Err(PduError::UnexpectedDataSegment(opcode));
            }
        }
        _ => return Err(PduError::UnknownOpcode(opcode)),
    }
    Ok(pdu)
}

/// `ISCSI_LOGIN_CURRENT_STAGE()`.
pub(crate) fn iscsi_login_current_stage(flags: u8) -> u8 {
    (flags & ISCSI_FLAG_LOGIN_CURRENT_STAGE_MASK) >> 2
}

/// `ISCSI_LOGIN_NEXT_STAGE()`.
pub(crate) fn iscsi_login_next_stage(flags: u8) -> u8 {
    flags & ISCSI_FLAG_LOGIN_NEXT_STAGE_MASK
}

/// Login flags byte from T, C, CSG and NSG.
pub(crate) fn iscsi_login_flags(transit: bool, cont: bool, csg: u8, nsg: u8) -> u8 {
    let mut f = ((csg & 3) << 2) | (nsg & 3);
    if transit {
        f |= ISCSI_FLAG_LOGIN_TRANSIT;
    }
    if cont {
        f |= ISCSI_FLAG_LOGIN_CONTINUE;
    }
    f
}

/// A Login Response status (class, detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoginStatus {
    /// Status-Class.
    pub(crate) status_class: u8,
    /// Status-Detail.
    pub(crate) status_detail: u8,
}

impl LoginStatus {
    /// Initiator error, miscellaneous (`ISCSI_LOGIN_STATUS_INIT_ERR`).
    pub(crate) const INIT_ERR: Self = Self {
        status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
        status_detail: ISCSI_LOGIN_STATUS_INIT_ERR,
    };
    /// Initiator error, unsupported version.
    pub(crate) const NO_VERSION: Self = Self {
        status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
        status_detail: ISCSI_LOGIN_STATUS_NO_VERSION,
    };
    /// Initiator error, authentication failed.
    pub(crate) const AUTH_FAILED: Self = Self {
        status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
        status_detail: ISCSI_LOGIN_STATUS_AUTH_FAILED,
    };
    /// Initiator error, missing parameter.
    pub(crate) const MISSING_FIELDS: Self = Self {
        status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
        status_detail: ISCSI_LOGIN_STATUS_MISSING_FIELDS,
    };
}

/// Why a login request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginError {
    /// Answer with a Login Response of this status, then close.
    Status(LoginStatus),
    /// Close the connection without a response.
    Drop,
}

/// What LIO keeps of the first Login Request of a connection (`struct iscsi_login`) to
/// check the ones that follow (`iscsi_target_check_login_request()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiLogin {
    /// No Login Request seen yet.
    pub(crate) first_request: bool,
    /// TSIH 0: the leading connection of a new session.
    pub(crate) leading_connection: bool,
    /// The stage the target is in; the state machine advances it on transit.
    pub(crate) current_stage: u8,
    /// Version-min of the first request.
    pub(crate) version_min: u8,
    /// Version-max of the first request.
    pub(crate) version_max: u8,
    /// ISID of the first request.
    pub(crate) isid: [u8; 6],
    /// ITT of the first request.
    pub(crate) init_task_tag: u32,
    /// CmdSN of the first request.
    pub(crate) cmd_sn: u32,
    /// ExpStatSN of the first request.
    pub(crate) initial_exp_statsn: u32,
    /// CID of the first request.
    pub(crate) cid: u16,
    /// TSIH of the first request; the state machine sets the new session's on success.
    pub(crate) tsih: u16,
}

impl Default for IscsiLogin {
    fn default() -> Self {
        Self::new()
    }
}

impl IscsiLogin {
    /// Before the first Login Request.
    pub(crate) const fn new() -> Self {
        Self {
            first_request: true,
            leading_connection: false,
            current_stage: 0,
            version_min: 0,
            version_max: 0,
            isid: [0; 6],
            init_task_tag: 0,
            cmd_sn: 0,
            initial_exp_statsn: 0,
            cid: 0,
            tsih: 0,
        }
    }

    /// `iscsit_get_login_rx()` + `iscsi_target_check_login_request()` (+ the version check
    /// of `iscsi_login_check_initiator_version()` on the first PDU): parses a Login Request
    /// BHS, records the first one, and checks every one against it. Returns the request and
    /// its DataSegmentLength; `first_request` is cleared once the first one passed.
    pub(crate) fn iscsit_get_login_rx(
        &mut self,
        buf: &[u8],
    ) -> Result<(IscsiLoginReq, u32), LoginError> {
        let pdu = match IscsiPdu::parse(buf) {
            Ok(pdu) => pdu,
            Err(PduError::Truncated { .. }) => return Err(LoginError::Drop),
            Err(_) => return Err(LoginError::Status(LoginStatus::INIT_ERR)),
        };
        let first = self.first_request;
        let req = match pdu.body {
            IscsiPduBody::Login(req) => req,
            _ => return Err(LoginError::Status(LoginStatus::INIT_ERR)),
        };
        if first {
            self.leading_connection = req.tsih == 0;
            self.current_stage = iscsi_login_current_stage(req.flags);
            self.version_min = req.min_version;
            self.version_max = req.max_version;
            self.isid = req.isid;
            self.cmd_sn = req.cmdsn;
            self.init_task_tag = req.itt;
            self.initial_exp_statsn = req.exp_statsn;
            self.cid = req.cid;
            self.tsih = req.tsih;
        }
        let transit = req.flags & ISCSI_FLAG_LOGIN_TRANSIT != 0;
        if transit && req.flags & ISCSI_FLAG_LOGIN_CONTINUE != 0 {
            return Err(LoginError::Status(LoginStatus::INIT_ERR));
        }
        let csg = iscsi_login_current_stage(req.flags);
        let nsg = iscsi_login_next_stage(req.flags);
        if csg != self.current_stage {
            return Err(LoginError::Status(LoginStatus::INIT_ERR));
        }
        if nsg == 2 || csg >= 2 || (transit && nsg <= csg) {
            return Err(LoginError::Status(LoginStatus::INIT_ERR));
        }
        if req.max_version != self.version_max || req.min_version != self.version_min {
            return Err(LoginError::Status(LoginStatus::INIT_ERR));
        }
        if req.isid != self.isid || req.itt != self.init_task_tag {
            return Err(LoginError::Status(LoginStatus::INIT_ERR));
        }
        if pdu.dlength > MAX_KEY_VALUE_PAIRS {
            return Err(LoginError::Drop);
        }
        if first {
            if req.max_version != ISCSI_DRAFT20_VERSION || req.min_version != ISCSI_DRAFT20_VERSION
            {
                return Err(LoginError::Status(LoginStatus::NO_VERSION));
            }
            self.first_request = false;
        }
        Ok((req, pdu.dlength))
    }
}

/// The ISID's T field (RFC 7143 §11.12.5): the format of the rest of the ISID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IsidType {
    /// T=0: OUI format.
    Oui,
    /// T=1: IANA enterprise number format.
    En,
    /// T=2: random.
    Random,
    /// T=3: reserved.
    Reserved,
}

/// The T field of an ISID (LIO does not interpret it).
pub(crate) fn iscsi_isid_type(isid: &[u8; 6]) -> IsidType {
    let [b0, ..] = *isid;
    match b0 >> 6 {
        0 => IsidType::Oui,
        1 => IsidType::En,
        2 => IsidType::Random,
        _ => IsidType::Reserved,
    }
}

/// A new TSIH from the TPG's counter (`iscsi_login_zero_tsih_s2()`): pre-incremented,
/// skipping 0, which means "new session".
pub(crate) fn iscsit_next_tsih(ntsih: &mut u16) -> u16 {
    *ntsih = ntsih.wrapping_add(1);
    if *ntsih == 0 {
        *ntsih = 1;
    }
    *ntsih
}

/// `iscsit_check_received_cmdsn()` results (`enum cmdsn_ret`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmdSnResult {
    /// CmdSN == ExpCmdSN: execute; ExpCmdSN was advanced.
    NormalOperation,
    /// CmdSN < ExpCmdSN: a repeat; LIO drops it silently.
    LowerThanExp,
    /// ExpCmdSN < CmdSN <= MaxCmdSN: hold it until the gap closes (out of order).
    HigherThanExp,
    /// CmdSN > MaxCmdSN: outside the window; LIO drops it silently (as LowerThanExp).
    MaxCmdSnOverrun,
}

/// A session's CmdSN window (`sess->exp_cmd_sn`, `sess->max_cmd_sn`). Immediate commands
/// are not sequenced and do not move the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiCmdSnWindow {
    /// ExpCmdSN.
    pub(crate) exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub(crate) max_cmd_sn: u32,
}

impl IscsiCmdSnWindow {
    /// At login both start at the leading Login Request's CmdSN (a window of one).
    pub(crate) fn new(login_cmdsn: u32) -> Self {
        Self {
            exp_cmd_sn: login_cmdsn,
            max_cmd_sn: login_cmdsn,
        }
    }

    /// `iscsit_determine_maxcmdsn()`: opens the window to the ACL's queue depth on a normal
    /// session (a discovery session keeps its single slot).
    pub(crate) fn iscsit_determine_maxcmdsn(&mut self, queue_depth: u32, discovery: bool) {
        if discovery {
            return;
        }
        self.max_cmd_sn = self.max_cmd_sn.wrapping_add(queue_depth.saturating_sub(1));
    }

    /// `iscsit_increment_maxcmdsn()`: a non-immediate command completed.
    pub(crate) fn iscsit_increment_maxcmdsn(&mut self) {
        self.max_cmd_sn = self.max_cmd_sn.wrapping_add(1);
    }

    /// Whether `cmdsn` is inside [ExpCmdSN, MaxCmdSN].
    pub(crate) fn in_window(&self, cmdsn: u32) -> bool {
        iscsi_sna_gte(cmdsn, self.exp_cmd_sn) && iscsi_sna_lte(cmdsn, self.max_cmd_sn)
    }

    /// `iscsit_check_received_cmdsn()`, in its order: above MaxCmdSN first, then equal to
    /// ExpCmdSN (which advances), then ahead, else behind.
    pub(crate) fn iscsit_check_received_cmdsn(&mut self, cmdsn: u32) -> CmdSnResult {
        if iscsi_sna_gt(cmdsn, self.max_cmd_sn) {
            CmdSnResult::MaxCmdSnOverrun
        } else if cmdsn == self.exp_cmd_sn {
            self.exp_cmd_sn = self.exp_cmd_sn.wrapping_add(1);
            CmdSnResult::NormalOperation
        } else if iscsi_sna_gt(cmdsn, self.exp_cmd_sn) {
            CmdSnResult::HigherThanExp
        } else {
            CmdSnResult::LowerThanExp
        }
    }
}

/// Whether a response with `stat_sn` is acknowledged by an initiator's ExpStatSN
/// (`iscsit_ack_from_expstatsn()`: StatSN < ExpStatSN).
pub(crate) fn iscsit_statsn_acked(stat_sn: u32, exp_statsn: u32) -> bool {
    iscsi_sna_lt(stat_sn, exp_statsn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx() -> IscsiRxParams {
        IscsiRxParams {
            max_xmit_data_segment_length: 262144,
            first_burst_length: 65536,
            immediate_data: true,
            error_recovery_level: 0,
            session_type: false,
        }
    }

    fn bhs(pdu: &IscsiPdu) -> [u8; 48] {
        let mut b = [0u8; 48];
        pdu.build(&mut b).unwrap();
        b
    }

    fn scsi_cmd(flags: u8, edtl: u32, dlength: u32) -> IscsiPdu {
        IscsiPdu {
            immediate: false,
            hlength: 0,
            dlength,
            body: IscsiPduBody::ScsiCmd(IscsiScsiReq {
                flags,
                lun: [0, 1, 0, 0, 0, 0, 0, 0],
                itt: 0x1234_5678,
                data_length: edtl,
                cmdsn: 7,
                exp_statsn: 9,
                cdb: [0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
            }),
        }
    }

    #[test]
    fn parse_rfc3720_read10_example() {
        // The RFC 3720 B.4 SCSI Read (10) PDU.
        let mut b = [0u8; 48];
        b[0] = 0x01;
        b[1] = 0xc0;
        b[16] = 0x14;
        b[22] = 0x04;
        b[27] = 0x14;
        b[31] = 0x18;
        b[32] = 0x28;
        b[40] = 0x02;
        let pdu = IscsiPdu::parse(&b).unwrap();
        assert!(!pdu.immediate);
        assert_eq!(pdu.opcode(), ISCSI_OP_SCSI_CMD);
        let IscsiPduBody::ScsiCmd(h) = pdu.body else {
            panic!("not a command")
        };
        assert!(h.final_bit() && h.read() && !h.write());
        assert_eq!(h.attr(), ISCSI_ATTR_UNTAGGED);
        assert_eq!(h.itt, 0x1400_0000);
        assert_eq!(h.data_length, 0x400);
        assert_eq!(h.cmdsn, 0x14);
        assert_eq!(h.exp_statsn, 0x18);
        assert_eq!(h.cdb[0], 0x28);
        assert_eq!(h.cdb[8], 0x02);
        assert_eq!(bhs(&pdu), b);
        assert!(iscsit_rx_pdu(&b, &rx()).is_ok());
    }

    fn all_bodies() -> std::vec::Vec<IscsiPduBody> {
        let lun = [1, 2, 3, 4, 5, 6, 7, 8];
        std::vec![
            IscsiPduBody::NopOut(IscsiNopout {
                flags: 0x80,
                lun,
                itt: 1,
                ttt: 2,
                cmdsn: 3,
                exp_statsn: 4
            }),
            IscsiPduBody::ScsiCmd(IscsiScsiReq {
                flags: 0xa1,
                lun,
                itt: 1,
                data_length: 2,
                cmdsn: 3,
                exp_statsn: 4,
                cdb: [9; 16]
            }),
            IscsiPduBody::TaskMgt(IscsiTm {
                flags: 0x81,
                lun,
                itt: 1,
                rtt: 2,
                cmdsn: 3,
                exp_statsn: 4,
                refcmdsn: 5,
                exp_datasn: 6
            }),
            IscsiPduBody::Login(IscsiLoginReq {
                flags: 0x87,
                max_version: 0,
                min_version: 0,
                isid: [0x80, 1, 2, 3, 4, 5],
                tsih: 7,
                itt: 1,
                cid: 2,
                cmdsn: 3,
                exp_statsn: 4
            }),
            IscsiPduBody::Text(IscsiText {
                flags: 0x80,
                lun,
                itt: 1,
                ttt: 2,
                cmdsn: 3,
                exp_statsn: 4
            }),
            IscsiPduBody::DataOut(IscsiData {
                flags: 0x80,
                lun,
                itt: 1,
                ttt: 2,
                exp_statsn: 3,
                datasn: 4,
                buffer_offset: 5
            }),
            IscsiPduBody::Logout(IscsiLogout {
                flags: 0x81,
                itt: 1,
                cid: 2,
                cmdsn: 3,
                exp_statsn: 4
            }),
            IscsiPduBody::Snack(IscsiSnack {
                flags: 0x81,
                lun,
                itt: 1,
                ttt: 2,
                exp_statsn: 3,
                begrun: 4,
                runlength: 5
            }),
            IscsiPduBody::NopIn(IscsiNopin {
                lun,
                itt: 1,
                ttt: 2,
                statsn: 3,
                exp_cmdsn: 4,
                max_cmdsn: 5
            }),
            IscsiPduBody::ScsiRsp(IscsiScsiRsp {
                flags: 0x82,
                response: 1,
                cmd_status: 2,
                itt: 3,
                snack_tag: 4,
                statsn: 5,
                exp_cmdsn: 6,
                max_cmdsn: 7,
                exp_datasn: 8,
                bi_residual_count: 9,
                residual_count: 10
            }),
            IscsiPduBody::TaskMgtRsp(IscsiTmRsp {
                response: 5,
                itt: 1,
                statsn: 2,
                exp_cmdsn: 3,
                max_cmdsn: 4
            }),
            IscsiPduBody::LoginRsp(IscsiLoginRsp {
                flags: 0x87,
                max_version: 0,
                active_version: 0,
                isid: [1, 2, 3, 4, 5, 6],
                tsih: 9,
                itt: 1,
                statsn: 2,
                exp_cmdsn: 3,
                max_cmdsn: 4,
                status_class: 2,
                status_detail: 1
            }),
            IscsiPduBody::TextRsp(IscsiTextRsp {
                flags: 0x80,
                lun,
                itt: 1,
                ttt: 2,
                statsn: 3,
                exp_cmdsn: 4,
                max_cmdsn: 5
            }),
            IscsiPduBody::DataIn(IscsiDataRsp {
                flags: 0x81,
                cmd_status: 2,
                lun,
                itt: 1,
                ttt: 2,
                statsn: 3,
                exp_cmdsn: 4,
                max_cmdsn: 5,
                datasn: 6,
                buffer_offset: 7,
                residual_count: 8
            }),
            IscsiPduBody::LogoutRsp(IscsiLogoutRsp {
                response: 0,
                itt: 1,
                statsn: 2,
                exp_cmdsn: 3,
                max_cmdsn: 4,
                t2wait: 2,
                t2retain: 20
            }),
            IscsiPduBody::R2t(IscsiR2tRsp {
                lun,
                itt: 1,
                ttt: 2,
                statsn: 3,
                exp_cmdsn: 4,
                max_cmdsn: 5,
                r2tsn: 6,
                data_offset: 7,
                data_length: 8
            }),
            IscsiPduBody::Async(IscsiAsync {
                lun,
                statsn: 1,
                exp_cmdsn: 2,
                max_cmdsn: 3,
                async_event: 1,
                async_vcode: 0,
                param1: 4,
                param2: 5,
                param3: 6
            }),
            IscsiPduBody::Reject(IscsiReject {
                reason: ISCSI_REASON_PROTOCOL_ERROR,
                statsn: 1,
                exp_cmdsn: 2,
                max_cmdsn: 3,
                datasn: 4
            }),
        ]
    }

    #[test]
    fn build_parse_round_trip_every_opcode() {
        let expected_ops = [
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
            0x26, 0x31, 0x32, 0x3f,
        ];
        for (body, op) in all_bodies().into_iter().zip(expected_ops) {
            let pdu = IscsiPdu {
                immediate: op < 0x20,
                hlength: 0,
                dlength: 0x012345,
                body,
            };
            let b = bhs(&pdu);
            assert_eq!(b[0] & ISCSI_OPCODE_MASK, op);
            assert_eq!(b[0] & ISCSI_OP_IMMEDIATE != 0, op < 0x20);
            assert_eq!(&b[5..8], &[0x01, 0x23, 0x45]);
            let back = IscsiPdu::parse(&b).unwrap();
            assert_eq!(back, pdu, "opcode {op:#x}");
            assert_eq!(back.opcode(), op);
        }
    }

    #[test]
    fn target_pdu_layouts() {
        // Reject: ITT all ones, F bit, reason at byte 2, the rejected header as data.
        let rej = IscsiPdu::reject(ISCSI_REASON_BOOKMARK_INVALID, 0x10, 0x20, 0x30);
        let b = bhs(&rej);
        assert_eq!(b[0], 0x3f);
        assert_eq!(b[1], 0x80);
        assert_eq!(b[2], 9);
        assert_eq!(&b[5..8], &[0, 0, 48]);
        assert_eq!(&b[16..20], &[0xff; 4]);
        assert_eq!(&b[24..28], &[0, 0, 0, 0x10]);
        // Async: ITT all ones.
        let b = bhs(&IscsiPdu::new(IscsiPduBody::Async(IscsiAsync {
            async_event: ISCSI_ASYNC_MSG_REQUEST_LOGOUT,
            param3: 2,
            ..Default::default()
        })));
        assert_eq!(&b[16..20], &[0xff; 4]);
        assert_eq!(b[36], 1);
        assert_eq!(&b[42..44], &[0, 2]);
        // SCSI Response: flags as given, residual at 44.
        let b = bhs(&IscsiPdu::new(IscsiPduBody::ScsiRsp(IscsiScsiRsp {
            flags: ISCSI_FLAG_CMD_FINAL | ISCSI_FLAG_CMD_UNDERFLOW,
            residual_count: 512,
            ..Default::default()
        })));
        assert_eq!(b[1], 0x82);
        assert_eq!(&b[44..48], &[0, 0, 2, 0]);
        // Login Response: status class/detail at 36/37, TSIH at 14.
        let b = bhs(&IscsiPdu::new(IscsiPduBody::LoginRsp(IscsiLoginRsp {
            flags: iscsi_login_flags(true, false, 1, 3),
            tsih: 0x0102,
            status_class: 2,
            status_detail: 1,
            ..Default::default()
        })));
        assert_eq!(b[0], 0x23);
        assert_eq!(b[1], 0x87);
        assert_eq!(&b[14..16], &[1, 2]);
        assert_eq!((b[36], b[37]), (2, 1));
        // R2T desired length at 44, offset at 40.
        let b = bhs(&IscsiPdu::new(IscsiPduBody::R2t(IscsiR2tRsp {
            data_offset: 0x1000,
            data_length: 0x2000,
            r2tsn: 3,
            ..Default::default()
        })));
        assert_eq!(b[1], 0x80);
        assert_eq!(&b[36..48], &[0, 0, 0, 3, 0, 0, 0x10, 0, 0, 0, 0x20, 0]);
        // Logout Response: Time2Wait/Time2Retain at 40/42.
        let b = bhs(&IscsiPdu::new(IscsiPduBody::LogoutRsp(IscsiLogoutRsp {
            t2wait: 2,
            t2retain: 20,
            ..Default::default()
        })));
        assert_eq!(&b[40..44], &[0, 2, 0, 20]);
        // Data-In with status.
        let b = bhs(&IscsiPdu::new(IscsiPduBody::DataIn(IscsiDataRsp {
            flags: ISCSI_FLAG_CMD_FINAL | ISCSI_FLAG_DATA_STATUS,
            cmd_status: 0x02,
            datasn: 1,
            buffer_offset: 8192,
            ..Default::default()
        })));
        assert_eq!((b[1], b[3]), (0x81, 0x02));
        assert_eq!(&b[36..44], &[0, 0, 0, 1, 0, 0, 0x20, 0]);
    }

    #[test]
    fn lengths_and_padding() {
        let mut pdu = scsi_cmd(0xa1, 4096, 5);
        pdu.hlength = 2;
        assert_eq!(pdu.ahs_len(), 8);
        assert_eq!(pdu.data_padded_len(), 8);
        assert_eq!(pdu.pdu_len(false, false), 48 + 8 + 8);
        assert_eq!(pdu.pdu_len(true, true), 48 + 8 + 4 + 8 + 4);
        pdu.dlength = 0;
        assert_eq!(pdu.pdu_len(true, true), 48 + 8 + 4);
        assert_eq!(ntoh24([0xff, 0xff, 0xff]), ISCSI_MAX_DLENGTH);
        assert_eq!(hton24(0x0abcdef), [0xab, 0xcd, 0xef]);
        pdu.dlength = 0x0100_0000;
        let mut b = [0u8; 48];
        assert_eq!(
            pdu.build(&mut b),
            Err(PduError::DataSegmentLengthOverflow(0x0100_0000))
        );
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(
            IscsiPdu::parse(&[0u8; 47]),
            Err(PduError::Truncated { len: 47 })
        );
        assert_eq!(
            iscsit_rx_pdu(&[], &rx()),
            Err(PduError::Truncated { len: 0 })
        );
        for op in [0x07u8, 0x0f, 0x1c, 0x27, 0x30, 0x3e] {
            let mut b = [0u8; 48];
            b[0] = op;
            assert_eq!(IscsiPdu::parse(&b), Err(PduError::UnknownOpcode(op)));
            let e = iscsit_rx_pdu(&b, &rx()).unwrap_err();
            assert_eq!(e, PduError::UnknownOpcode(op));
            assert!(e.is_fatal());
            assert_eq!(e.reject_reason(), ISCSI_REASON_CMD_NOT_SUPPORTED);
        }
        // Target opcodes and Login are refused in full feature phase.
        for op in [0x03u8, 0x20, 0x21, 0x3f] {
            let mut b = [0u8; 48];
            b[0] = op;
            assert_eq!(iscsit_rx_pdu(&b, &rx()), Err(PduError::UnknownOpcode(op)));
        }
        // Reserved opcode bit 7 is ignored.
        let mut b = bhs(&scsi_cmd(0xc1, 512, 0));
        b[0] |= ISCSI_OP_RETRY;
        assert!(iscsit_rx_pdu(&b, &rx()).is_ok());
        // An AHS on anything but a SCSI Command.
        let mut b = [0u8; 48];
        b[0] = ISCSI_OP_NOOP_OUT | ISCSI_OP_IMMEDIATE;
        b[1] = 0x80;
        b[4] = 1;
        b[16..20].copy_from_slice(&[0xff; 4]);
        b[20..24].copy_from_slice(&[0xff; 4]);
        assert_eq!(
            iscsit_rx_pdu(&b, &rx()),
            Err(PduError::AhsNotAllowed(ISCSI_OP_NOOP_OUT))
        );
        b[4] = 0;
        assert!(iscsit_rx_pdu(&b, &rx()).is_ok());
    }

    #[test]
    fn scsi_cmd_checks_follow_lio() {
        let p = rx();
        let chk = |pdu: IscsiPdu| iscsit_rx_pdu(&bhs(&pdu), &p);
        // Read, F set.
        assert!(chk(scsi_cmd(0xc1, 512, 0)).is_ok());
        // Neither W nor F.
        let e = chk(scsi_cmd(0x41, 512, 0)).unwrap_err();
        assert_eq!(e, PduError::CmdNoFinalNoWrite);
        assert_eq!(e.reject_reason(), ISCSI_REASON_BOOKMARK_INVALID);
        // R with EDTL 0: LIO clears R/W and accepts.
        let out = chk(scsi_cmd(0xc1, 0, 0)).unwrap();
        let IscsiPduBody::ScsiCmd(h) = out.body else {
            panic!()
        };
        assert!(!h.read() && !h.write());
        // EDTL without direction.
        assert_eq!(
            chk(scsi_cmd(0x81, 512, 0)),
            Err(PduError::CmdLengthWithoutDirection)
        );
        // Bidirectional.
        assert_eq!(chk(scsi_cmd(0xe1, 512, 0)), Err(PduError::CmdBidirectional));
        // Immediate SCSI command.
        let mut imm = scsi_cmd(0xc1, 512, 0);
        imm.immediate = true;
        assert_eq!(chk(imm), Err(PduError::CmdImmediate));
        // Immediate data with ImmediateData=No.
        let mut no_imm = p;
        no_imm.immediate_data = false;
        let e = iscsit_rx_pdu(&bhs(&scsi_cmd(0xa1, 1024, 512)), &no_imm).unwrap_err();
        assert_eq!(e, PduError::ImmediateDataDisabled);
        assert_eq!(e.reject_reason(), ISCSI_REASON_PROTOCOL_ERROR);
        assert!(!e.is_fatal());
        // All data immediate but F clear.
        assert_eq!(
            chk(scsi_cmd(0x21, 512, 512)),
            Err(PduError::CmdFinalMissing)
        );
        // More immediate data than EDTL.
        assert_eq!(
            chk(scsi_cmd(0xa1, 512, 1024)),
            Err(PduError::CmdDataOverEdtl)
        );
        // DataSegmentLength over the receive limit.
        let mut small = p;
        small.max_xmit_data_segment_length = 8192;
        let e = iscsit_rx_pdu(&bhs(&scsi_cmd(0xa1, 65536, 8196)), &small).unwrap_err();
        assert_eq!(
            e,
            PduError::DataSegmentTooLong {
                dlength: 8196,
                max: 8192
            }
        );
        assert_eq!(e.reject_reason(), ISCSI_REASON_PROTOCOL_ERROR);
        // Over FirstBurstLength.
        let mut fb = p;
        fb.first_burst_length = 4096;
        let e = iscsit_rx_pdu(&bhs(&scsi_cmd(0xa1, 65536, 8192)), &fb).unwrap_err();
        assert_eq!(e, PduError::FirstBurstExceeded);
        assert_eq!(e.reject_reason(), ISCSI_REASON_BOOKMARK_INVALID);
        // Write with immediate data and unsolicited data to follow.
        assert!(chk(scsi_cmd(0x21, 65536, 8192)).is_ok());
    }

    #[test]
    fn extended_cdb_ahs() {
        let IscsiPduBody::ScsiCmd(h) = scsi_cmd(0xc1, 512, 0).body else {
            panic!()
        };
        let mut cdb = [0u8; SCSI_MAX_VARLEN_CDB_SIZE];
        assert_eq!(iscsit_get_cdb(&h, &[], &mut cdb), Ok(16));
        assert_eq!(cdb[0], 0x28);
        // A 32-byte CDB: AHSLength = 32 - 15 = 17, 3 + 17 = 20 bytes, no padding.
        let mut ahs = std::vec![0u8, 17, ISCSI_AHSTYPE_CDB, 0];
        ahs.extend((16u8..32).collect::<std::vec::Vec<_>>());
        assert_eq!(ahs.len(), 20);
        assert_eq!(iscsit_get_cdb(&h, &ahs, &mut cdb), Ok(32));
        assert_eq!(&cdb[16..32], &(16u8..32).collect::<std::vec::Vec<_>>()[..]);
        // A 17-byte CDB: AHSLength 2, 5 bytes padded to 8.
        let ahs = [0u8, 2, ISCSI_AHSTYPE_CDB, 0, 0xaa, 0, 0, 0];
        assert_eq!(iscsit_get_cdb(&h, &ahs, &mut cdb), Ok(17));
        assert_eq!(cdb[16], 0xaa);
        // Wrong type first.
        let ahs = [0u8, 5, ISCSI_AHSTYPE_RLENGTH, 0, 0, 0, 2, 0];
        let e = iscsit_get_cdb(&h, &ahs, &mut cdb).unwrap_err();
        assert_eq!(e, PduError::AhsType(ISCSI_AHSTYPE_RLENGTH));
        assert_eq!(e.reject_reason(), ISCSI_REASON_CMD_NOT_SUPPORTED);
        // AHSLength beyond TotalAHSLength, or a truncated segment header.
        assert_eq!(
            iscsit_get_cdb(&h, &[0, 200, 1, 0, 1, 2, 3, 4], &mut cdb),
            Err(PduError::AhsLength)
        );
        assert_eq!(
            iscsit_get_cdb(&h, &[0, 2], &mut cdb),
            Err(PduError::AhsLength)
        );
        // Padding missing at the end.
        assert_eq!(
            iscsit_get_cdb(&h, &[0, 2, 1, 0, 0xaa], &mut cdb),
            Err(PduError::AhsLength)
        );
        // An empty extended CDB, or one longer than 260 - 16.
        assert_eq!(
            iscsit_get_cdb(&h, &[0, 1, 1, 0], &mut cdb),
            Err(PduError::AhsLength)
        );
        let mut big = std::vec![0x00u8, 246, 1];
        big.resize(3 + 246 + 3, 0);
        assert_eq!(iscsit_get_cdb(&h, &big, &mut cdb), Err(PduError::AhsLength));
        // Two AHS tile correctly.
        let ahs = [0u8, 2, 1, 0, 0xbb, 0, 0, 0, 0, 5, 2, 0, 0, 0, 4, 0];
        let segs: std::vec::Vec<_> = IscsiAhsIter::new(&ahs).map(|s| s.unwrap()).collect();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1].ahstype, ISCSI_AHSTYPE_RLENGTH);
        assert_eq!(segs[1].data, &[0, 0, 0, 4, 0]);
    }

    #[test]
    fn nop_tmf_text_logout_snack_checks() {
        let p = rx();
        let nop = |imm: bool, flags: u8, itt: u32, ttt: u32, dlength: u32| IscsiPdu {
            immediate: imm,
            hlength: 0,
            dlength,
            body: IscsiPduBody::NopOut(IscsiNopout {
                flags,
                itt,
                ttt,
                ..Default::default()
            }),
        };
        let r = ISCSI_RESERVED_TAG;
        assert!(iscsit_rx_pdu(&bhs(&nop(false, 0x80, 1, r, 16)), &p).is_ok());
        assert!(iscsit_rx_pdu(&bhs(&nop(true, 0x80, r, 5, 0)), &p).is_ok());
        assert_eq!(
            iscsit_rx_pdu(&bhs(&nop(false, 0x00, 1, r, 0)), &p),
            Err(PduError::NopOutNotFinal)
        );
        assert_eq!(
            iscsit_rx_pdu(&bhs(&nop(false, 0x80, r, r, 0)), &p),
            Err(PduError::NopOutReservedItt)
        );
        assert_eq!(
            iscsit_rx_pdu(&bhs(&nop(false, 0x80, 1, 7, 0)), &p),
            Err(PduError::NopOutBadPingResponse)
        );
        assert!(matches!(
            iscsit_rx_pdu(&bhs(&nop(false, 0x80, 1, r, 300000)), &p),
            Err(PduError::DataSegmentTooLong { .. })
        ));

        let tm = |imm: bool, function: u8, rtt: u32, dlength: u32| IscsiPdu {
            immediate: imm,
            hlength: 0,
            dlength,
            body: IscsiPduBody::TaskMgt(IscsiTm {
                flags: 0x80 | function,
                itt: 3,
                rtt,
                refcmdsn: 77,
                ..Default::default()
            }),
        };
        let out = iscsit_rx_pdu(&bhs(&tm(true, ISCSI_TM_FUNC_ABORT_TASK, 9, 0)), &p).unwrap();
        let IscsiPduBody::TaskMgt(h) = out.body else {
            panic!()
        };
        assert_eq!((h.function(), h.rtt, h.refcmdsn), (1, 9, 77));
        let out =
            iscsit_rx_pdu(&bhs(&tm(false, ISCSI_TM_FUNC_LOGICAL_UNIT_RESET, 9, 0)), &p).unwrap();
        let IscsiPduBody::TaskMgt(h) = out.body else {
            panic!()
        };
        assert_eq!((h.function(), h.rtt, h.refcmdsn), (5, r, r));
        assert_eq!(
            iscsit_rx_pdu(&bhs(&tm(false, ISCSI_TM_FUNC_TASK_REASSIGN, 9, 0)), &p),
            Err(PduError::TaskReassignNotImmediate)
        );
        assert!(iscsit_rx_pdu(&bhs(&tm(true, ISCSI_TM_FUNC_TASK_REASSIGN, 9, 0)), &p).is_ok());
        for f in [0u8, 9, 0x7f] {
            let e = iscsit_rx_pdu(&bhs(&tm(true, f, r, 0)), &p).unwrap_err();
            assert_eq!(e, PduError::TmFunctionUnknown(f));
            assert_eq!(e.reject_reason(), ISCSI_REASON_BOOKMARK_NO_RESOURCES);
        }
        assert_eq!(
            iscsit_rx_pdu(&bhs(&tm(true, 1, r, 4)), &p),
            Err(PduError::UnexpectedDataSegment(ISCSI_OP_SCSI_TMFUNC))
        );

        let text = |flags: u8| {
            let mut pdu = IscsiPdu::new(IscsiPduBody::Text(IscsiText {
                flags,
                itt: 1,
                ttt: r,
                ..Default::default()
            }));
            pdu.dlength = 16;
            pdu
        };
        assert!(iscsit_rx_pdu(&bhs(&text(0x80)), &p).is_ok());
        for f in [0x00u8, 0xc0, 0x40] {
            let e = iscsit_rx_pdu(&bhs(&text(f)), &p).unwrap_err();
            assert_eq!(e, PduError::TextMultiSequence);
            assert_eq!(e.reject_reason(), ISCSI_REASON_CMD_NOT_SUPPORTED);
        }

        let logout = IscsiPdu {
            immediate: true,
            hlength: 0,
            dlength: 0,
            body: IscsiPduBody::Logout(IscsiLogout {
                flags: 0x80 | ISCSI_LOGOUT_REASON_CLOSE_CONNECTION,
                itt: 1,
                cid: 3,
                ..Default::default()
            }),
        };
        let out = iscsit_rx_pdu(&bhs(&logout), &p).unwrap();
        let IscsiPduBody::Logout(h) = out.body else {
            panic!()
        };
        assert_eq!((h.reason_code(), h.cid), (1, 3));

        let snack = |t: u8| {
            IscsiPdu::new(IscsiPduBody::Snack(IscsiSnack {
                flags: 0x80 | t,
                ..Default::default()
            }))
        };
        assert_eq!(
            iscsit_rx_pdu(&bhs(&snack(1)), &p),
            Err(PduError::SnackAtErl0)
        );
        let mut erl1 = p;
        erl1.error_recovery_level = 1;
        assert!(iscsit_rx_pdu(&bhs(&snack(0)), &erl1).is_ok());
        assert!(iscsit_rx_pdu(&bhs(&snack(2)), &erl1).is_ok());
        assert_eq!(
            iscsit_rx_pdu(&bhs(&snack(3)), &erl1),
            Err(PduError::SnackRData)
        );
        assert_eq!(
            iscsit_rx_pdu(&bhs(&snack(7)), &erl1),
            Err(PduError::SnackTypeUnknown(7))
        );
    }

    #[test]
    fn discovery_session_filter_is_lios() {
        // Text, Data-Out and Logout pass LIO's test; NOP-Out, SCSI Command, TMF, SNACK do
        // not.
        for (op, ok) in [
            (0x00u8, false),
            (0x01, false),
            (0x02, false),
            (0x03, false),
            (0x04, true),
            (0x05, true),
            (0x06, true),
            (0x10, false),
        ] {
            assert_eq!(iscsit_discovery_opcode_allowed(op), ok, "op {op:#x}");
        }
        let mut d = rx();
        d.session_type = true;
        let b = bhs(&scsi_cmd(0xc1, 512, 0));
        let e = iscsit_rx_pdu(&b, &d).unwrap_err();
        assert_eq!(e, PduError::DiscoveryOpcode(1));
        assert!(e.is_fatal());
        assert_eq!(e.reject_reason(), ISCSI_REASON_PROTOCOL_ERROR);
    }

    fn login_req(flags: u8, isid: [u8; 6], tsih: u16, itt: u32, dlength: u32) -> [u8; 48] {
        let mut pdu = IscsiPdu::new(IscsiPduBody::Login(IscsiLoginReq {
            flags,
            isid,
            tsih,
            itt,
            cid: 1,
            cmdsn: 0x100,
            exp_statsn: 0x200,
            ..Default::default()
        }));
        pdu.immediate = true;
        pdu.dlength = dlength;
        bhs(&pdu)
    }

    #[test]
    fn login_request_checks() {
        let isid = [0x80, 0x12, 0x34, 0x56, 0x78, 0x9a];
        assert_eq!(iscsi_isid_type(&isid), IsidType::Random);
        assert_eq!(iscsi_isid_type(&[0x00; 6]), IsidType::Oui);
        assert_eq!(iscsi_isid_type(&[0x40; 6]), IsidType::En);
        let mut login = IscsiLogin::new();
        // CSG 0 -> NSG 1 with T.
        let (req, dl) = login
            .iscsit_get_login_rx(&login_req(0x81, isid, 0, 7, 100))
            .unwrap();
        assert_eq!(dl, 100);
        assert_eq!(req.isid, isid);
        assert!(!login.first_request && login.leading_connection);
        assert_eq!(
            (login.cmd_sn, login.initial_exp_statsn, login.cid),
            (0x100, 0x200, 1)
        );
        // Still CSG 0, same ISID/ITT.
        assert!(login
            .iscsit_get_login_rx(&login_req(0x00, isid, 0, 7, 0))
            .is_ok());
        // Changed ISID or ITT.
        let mut other = isid;
        other[5] ^= 1;
        assert_eq!(
            login.iscsit_get_login_rx(&login_req(0x00, other, 0, 7, 0)),
            Err(LoginError::Status(LoginStatus::INIT_ERR))
        );
        assert_eq!(
            login.iscsit_get_login_rx(&login_req(0x00, isid, 0, 8, 0)),
            Err(LoginError::Status(LoginStatus::INIT_ERR))
        );
        // T and C together; CSG changed unexpectedly; NSG 2; T with NSG <= CSG.
        for flags in [0xc1u8, 0x04, 0x02, 0x80] {
            assert_eq!(
                login.iscsit_get_login_rx(&login_req(flags, isid, 0, 7, 0)),
                Err(LoginError::Status(LoginStatus::INIT_ERR)),
                "flags {flags:#x}"
            );
        }
        // The state machine moves to stage 1; CSG 1 -> FFP.
        login.current_stage = 1;
        assert!(login
            .iscsit_get_login_rx(&login_req(0x87, isid, 0, 7, 0))
            .is_ok());
        // Oversized payload: dropped without a response.
        assert_eq!(
            login.iscsit_get_login_rx(&login_req(0x87, isid, 0, 7, 8193)),
            Err(LoginError::Drop)
        );
        // A non-login opcode.
        let mut b = login_req(0x87, isid, 0, 7, 0);
        b[0] = ISCSI_OP_TEXT;
        assert_eq!(
            login.iscsit_get_login_rx(&b),
            Err(LoginError::Status(LoginStatus::INIT_ERR))
        );
        assert_eq!(login.iscsit_get_login_rx(&b[..10]), Err(LoginError::Drop));
        // Version other than 0 on the first request.
        let mut fresh = IscsiLogin::new();
        let mut b = login_req(0x81, isid, 5, 7, 0);
        b[2] = 1;
        assert_eq!(
            fresh.iscsit_get_login_rx(&b),
            Err(LoginError::Status(LoginStatus::NO_VERSION))
        );
        // A non-zero TSIH: not leading.
        let mut fresh = IscsiLogin::new();
        fresh
            .iscsit_get_login_rx(&login_req(0x81, isid, 5, 7, 0))
            .unwrap();
        assert!(!fresh.leading_connection);
        assert_eq!(fresh.tsih, 5);
    }

    #[test]
    fn tsih_skips_zero() {
        let mut n = 0u16;
        assert_eq!(iscsit_next_tsih(&mut n), 1);
        n = 0xfffe;
        assert_eq!(iscsit_next_tsih(&mut n), 0xffff);
        assert_eq!(iscsit_next_tsih(&mut n), 1);
    }

    #[test]
    fn serial_number_arithmetic() {
        assert!(iscsi_sna_lt(1, 2));
        assert!(iscsi_sna_lt(0xffff_ffff, 0));
        assert!(iscsi_sna_gt(0, 0xffff_ffff));
        assert!(iscsi_sna_gt(0x7fff_ffff, 0));
        assert!(iscsi_sna_lt(0x8000_0000, 0));
        assert!(iscsi_sna_lte(5, 5) && iscsi_sna_gte(5, 5));
        assert!(!iscsi_sna_lt(5, 5) && !iscsi_sna_gt(5, 5));
        assert!(iscsit_statsn_acked(10, 11));
        assert!(!iscsit_statsn_acked(11, 11));
        assert!(iscsit_statsn_acked(0xffff_fffe, 1));
    }

    #[test]
    fn cmdsn_window_like_lio() {
        let mut w = IscsiCmdSnWindow::new(100);
        assert_eq!((w.exp_cmd_sn, w.max_cmd_sn), (100, 100));
        w.iscsit_determine_maxcmdsn(64, false);
        assert_eq!(w.max_cmd_sn, 163);
        assert!(w.in_window(100) && w.in_window(163) && !w.in_window(164));
        assert_eq!(
            w.iscsit_check_received_cmdsn(100),
            CmdSnResult::NormalOperation
        );
        assert_eq!(w.exp_cmd_sn, 101);
        // Repeated.
        assert_eq!(
            w.iscsit_check_received_cmdsn(100),
            CmdSnResult::LowerThanExp
        );
        // Ahead (out of order, multiple connections).
        assert_eq!(
            w.iscsit_check_received_cmdsn(105),
            CmdSnResult::HigherThanExp
        );
        assert_eq!(w.exp_cmd_sn, 101);
        // Beyond MaxCmdSN.
        assert_eq!(
            w.iscsit_check_received_cmdsn(164),
            CmdSnResult::MaxCmdSnOverrun
        );
        w.iscsit_increment_maxcmdsn();
        assert_eq!(
            w.iscsit_check_received_cmdsn(164),
            CmdSnResult::HigherThanExp
        );
        // Behind across zero is a repeat; 2^31 away is "greater" per RFC 1982 (overrun).
        assert_eq!(
            w.iscsit_check_received_cmdsn(101u32.wrapping_sub(1000)),
            CmdSnResult::LowerThanExp
        );
        assert_eq!(
            w.iscsit_check_received_cmdsn(101u32.wrapping_add(0x8000_0000)),
            CmdSnResult::MaxCmdSnOverrun
        );
        // Discovery sessions keep one slot.
        let mut d = IscsiCmdSnWindow::new(5);
        d.iscsit_determine_maxcmdsn(64, true);
        assert_eq!(d.max_cmd_sn, 5);
        // Wrap-around.
        let mut w = IscsiCmdSnWindow::new(0xffff_fffe);
        w.iscsit_determine_maxcmdsn(4, false);
        assert_eq!(w.max_cmd_sn, 1);
        assert!(w.in_window(0xffff_ffff) && w.in_window(0) && w.in_window(1));
        assert!(!w.in_window(2) && !w.in_window(0xffff_fffd));
        assert_eq!(
            w.iscsit_check_received_cmdsn(0xffff_fffe),
            CmdSnResult::NormalOperation
        );
        assert_eq!(
            w.iscsit_check_received_cmdsn(0xffff_ffff),
            CmdSnResult::NormalOperation
        );
        assert_eq!(
            w.iscsit_check_received_cmdsn(0),
            CmdSnResult::NormalOperation
        );
        assert_eq!(w.exp_cmd_sn, 1);
        assert_eq!(
            w.iscsit_check_received_cmdsn(2),
            CmdSnResult::MaxCmdSnOverrun
        );
    }

    #[test]
    fn parse_never_panics_on_any_opcode() {
        for (op, fill) in (0..=255u8).flat_map(|op| [(op, 0xa5u8), (op, 0x5a)]) {
            let mut b = [fill; 48];
            b[0] = op;
            let _ = IscsiPdu::parse(&b);
            let _ = iscsit_rx_pdu(&b, &rx());
            let mut d = rx();
            d.session_type = true;
            let _ = iscsit_rx_pdu(&b, &d);
            if let Ok(pdu) = IscsiPdu::parse(&b) {
                let mut out = [0u8; 48];
                pdu.build(&mut out).unwrap();
                assert_eq!(IscsiPdu::parse(&out).unwrap(), pdu);
            }
        }
    }
}
