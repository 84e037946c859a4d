// SPDX-License-Identifier: GPL-2.0

//! Login/text key negotiation as LIO does it (`iscsi_target_parameters.c/.h`): the
//! NUL-separated `key=value` text format, the table of every RFC 7143 key plus LIO's
//! private and iSER keys with LIO's defaults, ranges, phases, scopes and senders, and the
//! acceptor/proposer state machine that turns a request text into a response text
//! (`iscsi_decode_text_input()` + `iscsi_encode_text_output()`) and finally into the
//! negotiated connection and session values.
//!
//! Values are kept as LIO keeps them, as strings (so `param/` in configfs shows what was
//! written, and answers echo the initiator's spelling, e.g. `0x2000`); numbers are parsed
//! with `simple_strtoul()` semantics wherever LIO does.
//!
//! Where LIO 6.12 and RFC 7143 differ, this follows LIO; the differences are:
//! - a key name may be 64 bytes long (`KEY_MAXLEN`, RFC: 63); longer or unknown keys, keys
//!   the initiator may not send, keys of another phase and keys received a second time are
//!   all answered `NotUnderstood` (the echoed name cut to 63 bytes), never a protocol error;
//! - a value list with no value in common (e.g. `AuthMethod=None` against `CHAP`), an
//!   unknown list value, or a value out of range fails the login instead of answering
//!   `Reject`;
//! - the answer to a key the target proposed is taken as is (no min/max or AND/OR check),
//!   only list answers must be one of the offered values;
//! - `MaxRecvDataSegmentLength` from the initiator is saved as the connection's send limit
//!   and answered with the target's `MaxXmitDataSegmentLength` (LIO's private key, 262144
//!   by default), which is also what the target accepts per PDU;
//! - `ErrorRecoveryLevel` is the minimum of the offer and the TPG's `default_erl` (LIO
//!   writes `default_erl` into the key before negotiating; offers above 2 fail the login);
//! - `IFMarker`/`OFMarker` are always answered `No`, `IFMarkInt`/`OFMarkInt` `Reject`.
//!
//! Deliberate deviations from LIO, both on input LIO mishandles:
//! - an offer or answer of `Irrelevant` marks the key irrelevant and keeps its current
//!   value; LIO stores the string `Irrelevant` as the value, bypassing the range check, so
//!   numeric keys become 0 (e.g. `MaxBurstLength=Irrelevant` gives a burst length of 0);
//! - when the initiator never declared `MaxRecvDataSegmentLength`, the connection's send
//!   limit is its answer to our proposal or the RFC default 8192; LIO leaves it 0.

use super::pdu::{
    LoginStatus, ISCSI_LOGIN_STATUS_TGT_NOT_FOUND, ISCSI_STATUS_CLS_INITIATOR_ERR,
    MAX_KEY_VALUE_PAIRS,
};

/// Longest key name LIO accepts (`KEY_MAXLEN`; RFC 7143 §6.1 says 63).
pub(crate) const KEY_MAXLEN: usize = 64;
/// Longest value (each element of a list) (`VALUE_MAXLEN`).
pub(crate) const VALUE_MAXLEN: usize = 255;
/// `ISCSI_IQN_LEN`: InitiatorName and TargetName are cut to 223 bytes in the session.
pub(crate) const ISCSI_IQN_LEN: usize = 224;
/// `ISCSI_DEF_MAX_RECV_SEG_LEN`: the RFC default MaxRecvDataSegmentLength.
pub(crate) const ISCSI_DEF_MAX_RECV_SEG_LEN: u32 = 8192;
/// Room for the names of keys answered `NotUnderstood` between two encodes.
pub(crate) const EXTRA_RESPONSE_LEN: usize = 2048;

/// "Yes".
pub(crate) const YES: &[u8] = b"Yes";
/// "No".
pub(crate) const NO: &[u8] = b"No";
/// "Irrelevant".
pub(crate) const IRRELEVANT: &[u8] = b"Irrelevant";
/// "None".
pub(crate) const NONE: &[u8] = b"None";
/// "NotUnderstood".
pub(crate) const NOTUNDERSTOOD: &[u8] = b"NotUnderstood";
/// "Reject".
pub(crate) const REJECT: &[u8] = b"Reject";
/// "CHAP".
pub(crate) const CHAP: &[u8] = b"CHAP";
/// "CRC32C".
pub(crate) const CRC32C: &[u8] = b"CRC32C";
/// "Discovery".
pub(crate) const DISCOVERY: &[u8] = b"Discovery";
/// "Normal".
pub(crate) const NORMAL: &[u8] = b"Normal";

/// Phase: security stage.
pub(crate) const PHASE_SECURITY: u8 = 0x01;
/// Phase: operational stage.
pub(crate) const PHASE_OPERATIONAL: u8 = 0x02;
/// Phase: declarative keys (any login stage).
pub(crate) const PHASE_DECLARATIVE: u8 = 0x04;
/// Phase: full feature phase only (SendTargets).
pub(crate) const PHASE_FFP0: u8 = 0x08;

/// Scope: one connection.
pub(crate) const SCOPE_CONNECTION_ONLY: u8 = 0x01;
/// Scope: the session.
pub(crate) const SCOPE_SESSION_WIDE: u8 = 0x02;

/// Sender: the initiator.
pub(crate) const SENDER_INITIATOR: u8 = 0x01;
/// Sender: the target.
pub(crate) const SENDER_TARGET: u8 = 0x02;
/// Sender: either.
pub(crate) const SENDER_BOTH: u8 = 0x03;
/// Marks the receiving side in `iscsi_check_key()`.
pub(crate) const SENDER_RECEIVER: u8 = 0x04;

/// Use: leading connection only.
pub(crate) const USE_LEADING_ONLY: u8 = 0x01;
/// Use: initial login only.
pub(crate) const USE_INITIAL_ONLY: u8 = 0x02;
/// Use: any time.
pub(crate) const USE_ALL: u8 = 0x04;

/// State: the initiator offered the key (we answer).
pub(crate) const PSTATE_ACCEPTOR: u8 = 0x01;
/// State: the target negotiates the key.
pub(crate) const PSTATE_NEGOTIATE: u8 = 0x02;
/// State: the target offered the key.
pub(crate) const PSTATE_PROPOSER: u8 = 0x04;
/// State: answered `Irrelevant`.
pub(crate) const PSTATE_IRRELEVANT: u8 = 0x08;
/// State: the target rejects the key (markers).
pub(crate) const PSTATE_REJECT: u8 = 0x10;
/// State: no answer needed.
pub(crate) const PSTATE_REPLY_OPTIONAL: u8 = 0x20;
/// State: the initiator answered our offer.
pub(crate) const PSTATE_RESPONSE_GOT: u8 = 0x40;
/// State: our answer was sent.
pub(crate) const PSTATE_RESPONSE_SENT: u8 = 0x80;

/// What values a key takes (`TYPERANGE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeRange {
    /// Yes/No, result is the AND.
    BoolAnd,
    /// Yes/No, result is the OR.
    BoolOr,
    /// 0..=2.
    Range0To2,
    /// 0..=3600.
    Range0To3600,
    /// 0..=65535.
    Range0To65535,
    /// 1..=65535.
    Range1To65535,
    /// 512..=16777215.
    Range512To16777215,
    /// An AuthMethod list.
    Auth,
    /// A digest list.
    Digest,
    /// An iSCSI name.
    IscsiName,
    /// Discovery or Normal.
    SessionType,
    /// A TargetAddress.
    TargetAddress,
    /// Free UTF-8 text.
    Utf8,
}

/// The negotiation type derived from the range (`TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamType {
    /// `TYPE_BOOL_AND`.
    BoolAnd,
    /// `TYPE_BOOL_OR`.
    BoolOr,
    /// `TYPE_NUMBER`.
    Number,
    /// `TYPE_VALUE_LIST | TYPE_STRING`.
    ValueList,
    /// `TYPE_STRING`.
    String,
}

impl TypeRange {
    /// The type LIO derives in `iscsi_set_default_param()`.
    pub(crate) fn param_type(self) -> ParamType {
        match self {
            Self::BoolAnd => ParamType::BoolAnd,
            Self::BoolOr => ParamType::BoolOr,
            Self::Range0To2
            | Self::Range0To3600
            | Self::Range0To65535
            | Self::Range1To65535
            | Self::Range512To16777215 => ParamType::Number,
            Self::Auth | Self::Digest => ParamType::ValueList,
            Self::IscsiName | Self::SessionType | Self::TargetAddress | Self::Utf8 => {
                ParamType::String
            }
        }
    }

    /// The inclusive numeric range, for number keys.
    pub(crate) fn range(self) -> Option<(i32, i32)> {
        match self {
            Self::Range0To2 => Some((0, 2)),
            Self::Range0To3600 => Some((0, 3600)),
            Self::Range0To65535 => Some((0, 65535)),
            Self::Range1To65535 => Some((1, 65535)),
            Self::Range512To16777215 => Some((512, 16_777_215)),
            _ => None,
        }
    }
}

/// Every key LIO knows, in the order of LIO's parameter list (which is also the order
/// answers and offers are written in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IscsiParamKey {
    /// AuthMethod.
    AuthMethod,
    /// HeaderDigest.
    HeaderDigest,
    /// DataDigest.
    DataDigest,
    /// MaxConnections.
    MaxConnections,
    /// SendTargets.
    SendTargets,
    /// TargetName.
    TargetName,
    /// InitiatorName.
    InitiatorName,
    /// TargetAlias.
    TargetAlias,
    /// InitiatorAlias.
    InitiatorAlias,
    /// TargetAddress.
    TargetAddress,
    /// TargetPortalGroupTag.
    TargetPortalGroupTag,
    /// InitialR2T.
    InitialR2T,
    /// ImmediateData.
    ImmediateData,
    /// MaxXmitDataSegmentLength (LIO's private key, never sent).
    MaxXmitDataSegmentLength,
    /// MaxRecvDataSegmentLength.
    MaxRecvDataSegmentLength,
    /// MaxBurstLength.
    MaxBurstLength,
    /// FirstBurstLength.
    FirstBurstLength,
    /// DefaultTime2Wait.
    DefaultTime2Wait,
    /// DefaultTime2Retain.
    DefaultTime2Retain,
    /// MaxOutstandingR2T.
    MaxOutstandingR2T,
    /// DataPDUInOrder.
    DataPDUInOrder,
    /// DataSequenceInOrder.
    DataSequenceInOrder,
    /// ErrorRecoveryLevel.
    ErrorRecoveryLevel,
    /// SessionType.
    SessionType,
    /// IFMarker.
    IFMarker,
    /// OFMarker.
    OFMarker,
    /// IFMarkInt.
    IFMarkInt,
    /// OFMarkInt.
    OFMarkInt,
    /// RDMAExtensions (iSER, RFC 7145).
    RDMAExtensions,
    /// InitiatorRecvDataSegmentLength (iSER).
    InitiatorRecvDataSegmentLength,
    /// TargetRecvDataSegmentLength (iSER).
    TargetRecvDataSegmentLength,
}

/// Number of keys.
pub(crate) const ISCSI_PARAM_COUNT: usize = 31;

/// One row of LIO's `iscsi_create_default_params()`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IscsiParamDef {
    /// The key.
    pub(crate) key: IscsiParamKey,
    /// Its name on the wire.
    pub(crate) name: &'static str,
    /// LIO's initial value (`INITIAL_*`).
    pub(crate) initial: &'static str,
    /// `PHASE_*`.
    pub(crate) phase: u8,
    /// `SCOPE_*`.
    pub(crate) scope: u8,
    /// `SENDER_*`.
    pub(crate) sender: u8,
    /// Value range.
    pub(crate) type_range: TypeRange,
    /// `USE_*` (0 for SendTargets).
    pub(crate) use_: u8,
}

/// A row of the table; the key's name is the variant's.
macro_rules! param_def {
    ($key:ident, $initial:literal, $phase:expr, $scope:expr, $sender:expr, $range:ident,
     $use_:expr) => {
        IscsiParamDef {
            key: IscsiParamKey::$key,
            name: stringify!($key),
            initial: $initial,
            phase: $phase,
            scope: $scope,
            sender: $sender,
            type_range: TypeRange::$range,
            use_: $use_,
        }
    };
}

const SEC: u8 = PHASE_SECURITY;
const OPER: u8 = PHASE_OPERATIONAL;
const DECL: u8 = PHASE_DECLARATIVE;
const FFP0: u8 = PHASE_FFP0;
const CONN: u8 = SCOPE_CONNECTION_ONLY;
const SESS: u8 = SCOPE_SESSION_WIDE;
const BOTH: u8 = SENDER_BOTH;
const INIT: u8 = SENDER_INITIATOR;
const TGT: u8 = SENDER_TARGET;
const INITIAL: u8 = USE_INITIAL_ONLY;
const LEADING: u8 = USE_LEADING_ONLY;
const ALL: u8 = USE_ALL;

/// LIO's default parameter list (`iscsi_create_default_params()`).
#[rustfmt::skip]
pub(crate) static ISCSI_PARAM_DEFS: [IscsiParamDef; ISCSI_PARAM_COUNT] = [
    param_def!(AuthMethod, "CHAP", SEC, CONN, BOTH, Auth, INITIAL),
    param_def!(HeaderDigest, "CRC32C,None", OPER, CONN, BOTH, Digest, INITIAL),
    param_def!(DataDigest, "CRC32C,None", OPER, CONN, BOTH, Digest, INITIAL),
    param_def!(MaxConnections, "1", OPER, SESS, BOTH, Range1To65535, LEADING),
    param_def!(SendTargets, "All", FFP0, SESS, INIT, Utf8, 0),
    param_def!(TargetName, "LIO.Target", DECL, SESS, BOTH, IscsiName, ALL),
    param_def!(InitiatorName, "LIO.Initiator", DECL, SESS, INIT, IscsiName, INITIAL),
    param_def!(TargetAlias, "LIO Target", DECL, SESS, TGT, Utf8, ALL),
    param_def!(InitiatorAlias, "LIO Initiator", DECL, SESS, INIT, Utf8, ALL),
    param_def!(TargetAddress, "0.0.0.0:0000,0", DECL, SESS, TGT, TargetAddress, ALL),
    param_def!(TargetPortalGroupTag, "1", DECL, SESS, TGT, Range0To65535, INITIAL),
    param_def!(InitialR2T, "Yes", OPER, SESS, BOTH, BoolOr, LEADING),
    param_def!(ImmediateData, "Yes", OPER, SESS, BOTH, BoolAnd, LEADING),
    param_def!(MaxXmitDataSegmentLength, "262144", OPER, CONN, BOTH, Range512To16777215, ALL),
    param_def!(MaxRecvDataSegmentLength, "8192", OPER, CONN, BOTH, Range512To16777215, ALL),
    param_def!(MaxBurstLength, "262144", OPER, SESS, BOTH, Range512To16777215, LEADING),
    param_def!(FirstBurstLength, "65536", OPER, SESS, BOTH, Range512To16777215, LEADING),
    param_def!(DefaultTime2Wait, "2", OPER, SESS, BOTH, Range0To3600, LEADING),
    param_def!(DefaultTime2Retain, "20", OPER, SESS, BOTH, Range0To3600, LEADING),
    param_def!(MaxOutstandingR2T, "1", OPER, SESS, BOTH, Range1To65535, LEADING),
    param_def!(DataPDUInOrder, "Yes", OPER, SESS, BOTH, BoolOr, LEADING),
    param_def!(DataSequenceInOrder, "Yes", OPER, SESS, BOTH, BoolOr, LEADING),
    param_def!(ErrorRecoveryLevel, "0", OPER, SESS, BOTH, Range0To2, LEADING),
    param_def!(SessionType, "Normal", DECL, SESS, INIT, SessionType, LEADING),
    param_def!(IFMarker, "No", OPER, CONN, BOTH, BoolAnd, INITIAL),
    param_def!(OFMarker, "No", OPER, CONN, BOTH, BoolAnd, INITIAL),
    param_def!(IFMarkInt, "Reject", OPER, CONN, BOTH, Utf8, INITIAL),
    param_def!(OFMarkInt, "Reject", OPER, CONN, BOTH, Utf8, INITIAL),
    param_def!(RDMAExtensions, "No", OPER, SESS, BOTH, BoolAnd, LEADING),
    param_def!(InitiatorRecvDataSegmentLength, "262144", OPER, CONN, BOTH, Range512To16777215, ALL),
    param_def!(TargetRecvDataSegmentLength, "8192", OPER, CONN, BOTH, Range512To16777215, ALL),
];

use IscsiParamKey as K;
use TypeRange as R;

impl IscsiParamKey {
    /// Every key in list order.
    pub(crate) const ALL: [Self; ISCSI_PARAM_COUNT] = [
        K::AuthMethod,
        K::HeaderDigest,
        K::DataDigest,
        K::MaxConnections,
        K::SendTargets,
        K::TargetName,
        K::InitiatorName,
        K::TargetAlias,
        K::InitiatorAlias,
        K::TargetAddress,
        K::TargetPortalGroupTag,
        K::InitialR2T,
        K::ImmediateData,
        K::MaxXmitDataSegmentLength,
        K::MaxRecvDataSegmentLength,
        K::MaxBurstLength,
        K::FirstBurstLength,
        K::DefaultTime2Wait,
        K::DefaultTime2Retain,
        K::MaxOutstandingR2T,
        K::DataPDUInOrder,
        K::DataSequenceInOrder,
        K::ErrorRecoveryLevel,
        K::SessionType,
        K::IFMarker,
        K::OFMarker,
        K::IFMarkInt,
        K::OFMarkInt,
        K::RDMAExtensions,
        K::InitiatorRecvDataSegmentLength,
        K::TargetRecvDataSegmentLength,
    ];

    /// The key's row of the default table.
    pub(crate) fn def(self) -> &'static IscsiParamDef {
        let [first, ..] = &ISCSI_PARAM_DEFS;
        // The table has a row per variant, in order (tested): never the fallback.
        ISCSI_PARAM_DEFS.get(self as usize).unwrap_or(first)
    }

    /// The key's name.
    pub(crate) fn name(self) -> &'static str {
        self.def().name
    }

    /// The key named exactly `name` (case-sensitive, as `strcmp()`).
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        ISCSI_PARAM_DEFS
            .iter()
            .find(|d| d.name.as_bytes() == name)
            .map(|d| d.key)
    }
}

/// Why negotiation failed. In the security stage LIO drops the connection on a decode
/// error without a Login Response; in the operational stage, and for response overflows,
/// it answers "initiator error" (see [`ParamError::login_status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamError {
    /// A text entry without `=`.
    MissingSeparator,
    /// A value (or one list element) longer than 255 bytes.
    ValueTooLong,
    /// An unknown key (when changing a parameter).
    UnknownKey,
    /// The key may not be changed now (already negotiated).
    KeyNotChangeable(IscsiParamKey),
    /// A value the key does not take (not Yes/No, out of range, unknown list value).
    IllegalValue(IscsiParamKey),
    /// `Reject` for a key other than IFMarkInt/OFMarkInt.
    IllegalReject(IscsiParamKey),
    /// `NotUnderstood` for a standard key.
    IllegalNotUnderstood(IscsiParamKey),
    /// A comma in the value of a key that takes no list.
    ValueListNotAllowed(IscsiParamKey),
    /// No value of the offered list is acceptable.
    NoCommonValue(IscsiParamKey),
    /// Our offer was answered twice.
    ResponseTwice(IscsiParamKey),
    /// Our offer was answered with a list.
    ResponseValueList(IscsiParamKey),
    /// Our offer was answered with a value we did not offer.
    ResponseNotOffered(IscsiParamKey),
    /// Too many `NotUnderstood` keys to remember.
    ExtraResponseOverflow,
    /// The response does not fit the buffer.
    ResponseOverflow,
    /// An empty security stage request (LIO: authentication failure).
    EmptySecurityPayload,
    /// A login stage other than 0 and 1.
    IllegalStage(u8),
}

impl ParamError {
    /// The Login Response status LIO sends for this error in stage `csg`; `None` means LIO
    /// closes the connection without answering.
    pub(crate) fn login_status(&self, csg: u8) -> Option<LoginStatus> {
        match self {
            Self::EmptySecurityPayload => Some(LoginStatus::AUTH_FAILED),
            Self::ResponseOverflow => Some(LoginStatus::INIT_ERR),
            _ if csg == 0 => None,
            _ => Some(LoginStatus::INIT_ERR),
        }
    }
}

/// A key's value: up to [`VALUE_MAXLEN`] bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct IscsiParamValue {
    len: u8,
    buf: [u8; VALUE_MAXLEN],
}

impl core::fmt::Debug for IscsiParamValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("\"")?;
        for &b in self.as_bytes() {
            if b.is_ascii_graphic() || b == b' ' {
                f.write_fmt(format_args!("{}", b as char))?;
            } else {
                f.write_fmt(format_args!("\\x{b:02x}"))?;
            }
        }
        f.write_str("\"")
    }
}

impl Default for IscsiParamValue {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl IscsiParamValue {
    /// The empty value.
    pub(crate) const EMPTY: Self = Self {
        len: 0,
        buf: [0; VALUE_MAXLEN],
    };

    /// A copy of `v`.
    pub(crate) fn new(v: &[u8]) -> Result<Self, ParamError> {
        let mut out = Self::EMPTY;
        let len = u8::try_from(v.len()).map_err(|_| ParamError::ValueTooLong)?;
        match out.buf.get_mut(..v.len()) {
            Some(dst) => dst.copy_from_slice(v),
            None => return Err(ParamError::ValueTooLong),
        }
        out.len = len;
        Ok(out)
    }

    /// `v` cut to at most `max` bytes.
    fn truncated(v: &[u8], max: usize) -> Self {
        let v = v.get(..max).unwrap_or(v);
        Self::new(v.get(..VALUE_MAXLEN).unwrap_or(v)).unwrap_or(Self::EMPTY)
    }

    /// `sprintf("%u", v)`.
    pub(crate) fn from_u32(v: u32) -> Self {
        let mut digits = [0u8; 10];
        let mut n = v;
        let mut i = digits.len();
        loop {
            i = i.saturating_sub(1);
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self::new(digits.get(i..).unwrap_or(&[])).unwrap_or(Self::EMPTY)
    }

    /// The value's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// `simple_strtoull(s, NULL, 0)`: base from the prefix (`0x` + hex digit: 16, leading `0`:
/// 8, else 10), digits until the first non-digit, no sign, wrapping on overflow. Never
/// fails: no digits give 0.
pub(crate) fn simple_strtoull(s: &[u8]) -> u64 {
    let (base, digits): (u64, &[u8]) = match s {
        [b'0', x, h, ..] if (*x | 0x20) == b'x' && h.is_ascii_hexdigit() => {
            (16, s.get(2..).unwrap_or(&[]))
        }
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let mut v: u64 = 0;
    for &c in digits {
        let d = match hex_val(c) {
            Some(d) if u64::from(d) < base => u64::from(d),
            _ => break,
        };
        v = v.wrapping_mul(base).wrapping_add(d);
    }
    v
}

/// `kstrtoull(s, 0)`: like [`simple_strtoull`] but with an optional `+`, at least one
/// digit, no overflow, and nothing after the digits but one optional newline.
pub(crate) fn kstrtoull(s: &[u8]) -> Option<u64> {
    let s = match s {
        [b'+', rest @ ..] => rest,
        _ => s,
    };
    let (base, digits): (u64, &[u8]) = match s {
        [b'0', x, h, ..] if (*x | 0x20) == b'x' && h.is_ascii_hexdigit() => {
            (16, s.get(2..).unwrap_or(&[]))
        }
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let mut v: u64 = 0;
    let mut n = 0usize;
    for &c in digits {
        let d = match hex_val(c) {
            Some(d) if u64::from(d) < base => u64::from(d),
            _ => break,
        };
        v = v.checked_mul(base)?.checked_add(d)?;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    match digits.get(n..) {
        Some([]) | Some([b'\n']) => Some(v),
        _ => None,
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `(u32)simple_strtoul()`.
fn strtou32(s: &[u8]) -> u32 {
    simple_strtoull(s) as u32
}

/// Iterates over the `key=value` entries of a login/text data segment: NUL-terminated
/// entries (the last one may lack its NUL, as LIO copies the text with `kmemdup_nul()`),
/// split at the first `=`. An entry without `=` (an empty one included) is an error.
#[derive(Clone, Debug)]
pub(crate) struct IscsiTextIter<'a> {
    rest: &'a [u8],
}

impl<'a> IscsiTextIter<'a> {
    /// Entries of `text`.
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Self { rest: text }
    }
}

impl<'a> Iterator for IscsiTextIter<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), ParamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (entry, next) = match self.rest.iter().position(|&b| b == 0) {
            Some(n) => (
                self.rest.get(..n).unwrap_or(&[]),
                self.rest.get(n + 1..).unwrap_or(&[]),
            ),
            None => (self.rest, &[][..]),
        };
        self.rest = next;
        Some(match entry.iter().position(|&b| b == b'=') {
            Some(eq) => Ok((
                entry.get(..eq).unwrap_or(&[]),
                entry.get(eq + 1..).unwrap_or(&[]),
            )),
            None => Err(ParamError::MissingSeparator),
        })
    }
}

/// The value of the first entry named exactly `key` in `text`, skipping malformed entries.
pub(crate) fn iscsi_find_text_value<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    IscsiTextIter::new(text)
        .filter_map(Result::ok)
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Appends `key=value\0` to `out` at `*len`.
pub(crate) fn iscsi_encode_text_record(
    out: &mut [u8],
    len: &mut usize,
    key: &[u8],
    value: &[u8],
) -> Result<(), ParamError> {
    let need = key.len() + 1 + value.len() + 1;
    let end = len.checked_add(need).ok_or(ParamError::ResponseOverflow)?;
    let dst = out.get_mut(*len..end).ok_or(ParamError::ResponseOverflow)?;
    let src = key.iter().chain(b"=").chain(value).chain(b"\0");
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    *len = end;
    Ok(())
}

/// `iscsi_check_for_auth_key()`: CHAP (RFC 1994) and SRP (RFC 2945) keys.
pub(crate) fn iscsi_check_for_auth_key(key: &[u8]) -> bool {
    matches!(
        key,
        b"CHAP_A"
            | b"CHAP_I"
            | b"CHAP_C"
            | b"CHAP_N"
            | b"CHAP_R"
            | b"SRP_U"
            | b"SRP_N"
            | b"SRP_g"
            | b"SRP_s"
            | b"SRP_A"
            | b"SRP_B"
            | b"SRP_M"
            | b"SRP_HM"
    )
}

/// Whether `needle` is one of the comma-separated values of `list`.
fn list_contains(list: &[u8], needle: &[u8]) -> bool {
    list.split(|&b| b == b',').any(|v| v == needle)
}

/// Whether `hay` contains `needle` (`strstr()`).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// One key's value and negotiation state (`struct iscsi_param`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IscsiParam {
    /// The current value.
    pub(crate) value: IscsiParamValue,
    /// `PSTATE_*` bits.
    pub(crate) state: u8,
    /// Whether the key is in this list (a non-leading connection's list lacks the
    /// session-wide keys).
    pub(crate) present: bool,
}

/// What a decode found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodeResult {
    /// All entries were processed.
    Done,
    /// An authentication key (CHAP_x, SRP_x) was met in the security stage: the text is
    /// for the authentication state machine, entries after it were not looked at.
    AuthKey,
}

/// What one login PDU's text produced ([`IscsiParamList::iscsi_login_text`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginTextResult {
    /// Authentication keys: run CHAP on the request; no response text was made.
    AuthKeys,
    /// The response text is `len` bytes; `negotiated` when every key the target offered
    /// has been answered (LIO then honours the initiator's T bit).
    Response {
        /// Bytes of response text.
        len: usize,
        /// `iscsi_check_negotiated_keys()` passed.
        negotiated: bool,
    },
}

/// The negotiated per-connection values (`struct iscsi_conn_ops`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiConnOps {
    /// HeaderDigest=CRC32C.
    pub(crate) header_digest: bool,
    /// DataDigest=CRC32C.
    pub(crate) data_digest: bool,
    /// The initiator's declared receive limit: the most data the target may send in one
    /// PDU (LIO's naming).
    pub(crate) max_recv_data_segment_length: u32,
    /// The target's own receive limit, declared to the initiator (LIO's naming).
    pub(crate) max_xmit_data_segment_length: u32,
    /// iSER InitiatorRecvDataSegmentLength.
    pub(crate) initiator_recv_data_segment_length: u32,
    /// iSER TargetRecvDataSegmentLength.
    pub(crate) target_recv_data_segment_length: u32,
}

/// The negotiated session values (`struct iscsi_sess_ops`); LIO starts from zero
/// (`kzalloc`) and only sets what was negotiated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IscsiSessOps {
    /// InitiatorName (leading connection only, cut to 223 bytes).
    pub(crate) initiator_name: IscsiParamValue,
    /// InitiatorAlias.
    pub(crate) initiator_alias: IscsiParamValue,
    /// TargetName (leading connection only, cut to 223 bytes).
    pub(crate) target_name: IscsiParamValue,
    /// TargetAlias.
    pub(crate) target_alias: IscsiParamValue,
    /// TargetPortalGroupTag.
    pub(crate) target_portal_group_tag: u16,
    /// MaxConnections.
    pub(crate) max_connections: u16,
    /// InitialR2T.
    pub(crate) initial_r2t: bool,
    /// ImmediateData.
    pub(crate) immediate_data: bool,
    /// MaxBurstLength.
    pub(crate) max_burst_length: u32,
    /// FirstBurstLength.
    pub(crate) first_burst_length: u32,
    /// DefaultTime2Wait.
    pub(crate) default_time2wait: u16,
    /// DefaultTime2Retain.
    pub(crate) default_time2retain: u16,
    /// MaxOutstandingR2T.
    pub(crate) max_outstanding_r2t: u16,
    /// DataPDUInOrder.
    pub(crate) data_pdu_in_order: bool,
    /// DataSequenceInOrder.
    pub(crate) data_sequence_in_order: bool,
    /// ErrorRecoveryLevel.
    pub(crate) error_recovery_level: u8,
    /// SessionType: true for Discovery (LIO's `SessionType` 1).
    pub(crate) session_type: bool,
    /// RDMAExtensions.
    pub(crate) rdma_extensions: bool,
}

/// A parameter list (`struct iscsi_param_list`): a TPG's configured values, or a
/// connection's copy being negotiated.
#[derive(Clone, Debug)]
pub(crate) struct IscsiParamList {
    /// Every key's entry, in [`IscsiParamKey::ALL`] order. (The fields are visible to
    /// the crate so a list can be built in place on the heap: it is about 10 KiB.)
    pub(crate) params: [IscsiParam; ISCSI_PARAM_COUNT],
    /// Names of keys to answer `NotUnderstood`, each followed by a NUL.
    pub(crate) extra_response: [u8; EXTRA_RESPONSE_LEN],
    /// Bytes used in `extra_response`.
    pub(crate) extra_response_len: usize,
    /// The MaxRecvDataSegmentLength the initiator declared (LIO stores it straight into
    /// `conn_ops` while decoding).
    pub(crate) initiator_mrdsl: Option<u32>,
    /// An iSER connection (`iscsi_set_keys_to_negotiate()`).
    pub(crate) iser: bool,
}

impl Default for IscsiParamList {
    fn default() -> Self {
        Self::iscsi_create_default_params()
    }
}

/// How `iscsi_check_value()` left a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueCheck {
    /// Negotiate with it.
    Proceed,
    /// `Irrelevant`: keep the current value.
    Irrelevant,
}

impl IscsiParamList {
    /// Entry `i` of a default list: the key's initial value, no state.
    pub(crate) fn default_param(i: usize) -> IscsiParam {
        IscsiParam {
            value: ISCSI_PARAM_DEFS
                .get(i)
                .and_then(|d| IscsiParamValue::new(d.initial.as_bytes()).ok())
                .unwrap_or(IscsiParamValue::EMPTY),
            state: 0,
            present: true,
        }
    }

    /// `iscsi_create_default_params()`: every key at LIO's initial value, no state.
    pub(crate) fn iscsi_create_default_params() -> Self {
        let mut params = [IscsiParam {
            value: IscsiParamValue::EMPTY,
            state: 0,
            present: true,
        }; ISCSI_PARAM_COUNT];
        for (i, p) in params.iter_mut().enumerate() {
            *p = Self::default_param(i);
        }
        Self {
            params,
            extra_response: [0; EXTRA_RESPONSE_LEN],
            extra_response_len: 0,
            initiator_mrdsl: None,
            iser: false,
        }
    }

    /// The key's entry, if in this list.
    pub(crate) fn param(&self, key: IscsiParamKey) -> Option<&IscsiParam> {
        self.params.get(key as usize).filter(|p| p.present)
    }

    fn param_mut(&mut self, key: IscsiParamKey) -> Option<&mut IscsiParam> {
        self.params.get_mut(key as usize).filter(|p| p.present)
    }

    /// The key's current value (empty when not in this list).
    pub(crate) fn value(&self, key: IscsiParamKey) -> &[u8] {
        self.param(key).map(|p| p.value.as_bytes()).unwrap_or(&[])
    }

    /// The key's `PSTATE_*` bits.
    pub(crate) fn state(&self, key: IscsiParamKey) -> u8 {
        self.param(key).map(|p| p.state).unwrap_or(0)
    }

    fn set_state(&mut self, key: IscsiParamKey, bits: u8) {
        if let Some(p) = self.param_mut(key) {
            p.state |= bits;
        }
    }

    fn clear_state(&mut self, key: IscsiParamKey, bits: u8) {
        if let Some(p) = self.param_mut(key) {
            p.state &= !bits;
        }
    }

    fn has_state(&self, key: IscsiParamKey, bits: u8) -> bool {
        self.state(key) & bits != 0
    }

    /// `iscsi_update_param_value()`.
    fn update(&mut self, key: IscsiParamKey, value: &[u8]) -> Result<(), ParamError> {
        let v = IscsiParamValue::new(value)?;
        if let Some(p) = self.param_mut(key) {
            p.value = v;
        }
        Ok(())
    }

    /// `iscsi_update_param_value()` from outside negotiation: sets the key's value with
    /// no check (the TPG's `authentication` attribute and `enforce_discovery_auth` rewrite
    /// AuthMethod this way).
    pub(crate) fn iscsi_update_param_value(
        &mut self,
        key: IscsiParamKey,
        value: &[u8],
    ) -> Result<(), ParamError> {
        self.update(key, value)
    }

    fn update_u32(&mut self, key: IscsiParamKey, value: u32) {
        if let Some(p) = self.param_mut(key) {
            p.value = IscsiParamValue::from_u32(value);
        }
    }

    /// The key's value parsed as `simple_strtoul()` does.
    pub(crate) fn value_u32(&self, key: IscsiParamKey) -> u32 {
        strtou32(self.value(key))
    }

    /// `iscsi_change_param_value()`: sets `Key=value` (configfs `param/` writes with
    /// `check_key`, the login code's own settings without). With `check_key` the value is
    /// validated and a key already negotiated is refused.
    pub(crate) fn iscsi_change_param_value(
        &mut self,
        keyvalue: &[u8],
        check_key: bool,
    ) -> Result<(), ParamError> {
        let (key, value) = match IscsiTextIter::new(keyvalue).next() {
            Some(r) => r?,
            None => return Err(ParamError::MissingSeparator),
        };
        if key.len() > KEY_MAXLEN {
            return Err(ParamError::UnknownKey);
        }
        let k = IscsiParamKey::from_name(key).ok_or(ParamError::UnknownKey)?;
        if self.param(k).is_none() {
            return Err(ParamError::UnknownKey);
        }
        if check_key {
            if self.has_state(k, PSTATE_ACCEPTOR) {
                return Err(ParamError::KeyNotChangeable(k));
            }
            self.iscsi_check_value(k, value)?;
        }
        self.update(k, value)
    }

    /// `iscsi_set_keys_to_negotiate()`: clears all state and marks the keys the target
    /// negotiates (digests and MaxRecvDataSegmentLength only without iSER, the iSER keys
    /// only with it; the marker keys are rejected).
    pub(crate) fn iscsi_set_keys_to_negotiate(&mut self, iser: bool) {
        self.iser = iser;
        for (i, p) in self.params.iter_mut().enumerate() {
            p.state = 0;
            let key = match IscsiParamKey::ALL.get(i) {
                Some(k) => *k,
                None => continue,
            };
            let bits = match key {
                K::AuthMethod
                | K::MaxConnections
                | K::TargetPortalGroupTag
                | K::InitialR2T
                | K::ImmediateData
                | K::MaxBurstLength
                | K::FirstBurstLength
                | K::DefaultTime2Wait
                | K::DefaultTime2Retain
                | K::MaxOutstandingR2T
                | K::DataPDUInOrder
                | K::DataSequenceInOrder
                | K::ErrorRecoveryLevel
                | K::SessionType
                | K::TargetAlias => PSTATE_NEGOTIATE,
                K::HeaderDigest | K::DataDigest | K::MaxRecvDataSegmentLength if !iser => {
                    PSTATE_NEGOTIATE
                }
                K::RDMAExtensions
                | K::InitiatorRecvDataSegmentLength
                | K::TargetRecvDataSegmentLength
                    if iser =>
                {
                    PSTATE_NEGOTIATE
                }
                K::IFMarker | K::OFMarker | K::IFMarkInt | K::OFMarkInt => PSTATE_REJECT,
                _ => 0,
            };
            p.state |= bits;
        }
    }

    /// `iscsi_set_keys_irrelevant_for_discovery()`: a discovery session negotiates no
    /// session-wide operational keys.
    pub(crate) fn iscsi_set_keys_irrelevant_for_discovery(&mut self) {
        for key in [
            K::MaxConnections,
            K::InitialR2T,
            K::ImmediateData,
            K::MaxBurstLength,
            K::FirstBurstLength,
            K::MaxOutstandingR2T,
            K::DataPDUInOrder,
            K::DataSequenceInOrder,
            K::ErrorRecoveryLevel,
            K::DefaultTime2Wait,
            K::DefaultTime2Retain,
            K::IFMarker,
            K::OFMarker,
            K::IFMarkInt,
            K::OFMarkInt,
            K::RDMAExtensions,
            K::InitiatorRecvDataSegmentLength,
            K::TargetRecvDataSegmentLength,
        ] {
            self.clear_state(key, PSTATE_NEGOTIATE);
        }
    }

    /// `iscsi_copy_param_list()`: a connection's copy of a TPG list, values only. A
    /// non-leading connection gets no session-wide keys but TargetName, InitiatorName and
    /// TargetPortalGroupTag.
    pub(crate) fn iscsi_copy_param_list(&self, leading: bool) -> Self {
        let mut out = Self::iscsi_create_default_params();
        for ((dst, src), d) in out
            .params
            .iter_mut()
            .zip(self.params.iter())
            .zip(ISCSI_PARAM_DEFS.iter())
        {
            dst.value = src.value;
            dst.state = 0;
            dst.present = src.present
                && (leading
                    || d.scope & SCOPE_SESSION_WIDE == 0
                    || matches!(
                        d.key,
                        K::TargetName | K::InitiatorName | K::TargetPortalGroupTag
                    ));
        }
        out
    }

    /// The zero-TSIH / non-zero-TSIH login setup of the connection's list
    /// (`iscsi_login_zero_tsih_s2()`, `iscsi_login_non_zero_tsih_s2()`): keys to
    /// negotiate, discovery keys made irrelevant, AuthMethod forced to None when the ACL
    /// needs no authentication, the TPG's tag, and ErrorRecoveryLevel set to the ACL's
    /// `default_erl` so that negotiation never goes above it. iSER's page alignment of
    /// MaxRecvDataSegmentLength and its T10-PI settings are left to the caller.
    pub(crate) fn iscsi_login_setup_params(
        &mut self,
        leading: bool,
        discovery: bool,
        iser: bool,
        auth_required: bool,
        tpgt: u16,
        default_erl: u8,
    ) {
        self.iscsi_set_keys_to_negotiate(iser);
        if leading && discovery {
            self.iscsi_set_keys_irrelevant_for_discovery();
            return;
        }
        if leading && !contains(self.value(K::AuthMethod), NONE) && !auth_required {
            let _ = self.update(K::AuthMethod, NONE);
        }
        self.update_u32(K::TargetPortalGroupTag, u32::from(tpgt));
        if leading {
            self.update_u32(K::ErrorRecoveryLevel, u32::from(default_erl));
            if iser {
                let _ = self.update(K::RDMAExtensions, YES);
            }
        }
    }

    /// `iscsit_ta_authentication()`'s edit of AuthMethod: with authentication enforced,
    /// `None` is removed from the list (a lone `None` becomes `CHAP`, as
    /// `iscsit_tpg_enable_portal_group()` does first); without, `,None` is appended.
    pub(crate) fn iscsit_ta_authentication(&mut self, authentication: bool) {
        let cur = *self.value_param(K::AuthMethod);
        let cur = cur.as_bytes();
        let mut out = [0u8; VALUE_MAXLEN];
        let mut len = 0usize;
        let mut push = |s: &[u8], len: &mut usize| {
            if let Some(dst) = out.get_mut(*len..*len + s.len()) {
                dst.copy_from_slice(s);
                *len += s.len();
            }
        };
        if authentication {
            if !list_contains(cur, NONE) {
                return;
            }
            let mut first = true;
            for v in cur.split(|&b| b == b',').filter(|v| *v != NONE) {
                if !first {
                    push(b",", &mut len);
                }
                push(v, &mut len);
                first = false;
            }
            if first {
                push(CHAP, &mut len);
            }
        } else {
            if contains(cur, NONE) {
                return;
            }
            push(cur, &mut len);
            push(b",None", &mut len);
        }
        let _ = self.update(K::AuthMethod, out.get(..len).unwrap_or(&[]));
    }

    fn value_param(&self, key: IscsiParamKey) -> &IscsiParamValue {
        self.param(key)
            .map(|p| &p.value)
            .unwrap_or(&IscsiParamValue::EMPTY)
    }

    /// `iscsi_check_key()`: the key an incoming entry names, or `None` when it is to be
    /// answered `NotUnderstood` (too long, unknown, not in this list, not sendable by
    /// the sender, already received, or of another phase).
    fn iscsi_check_key(&self, key: &[u8], phase: u8, sender: u8) -> Option<IscsiParamKey> {
        if key.len() > KEY_MAXLEN {
            return None;
        }
        let k = IscsiParamKey::from_name(key)?;
        let p = self.param(k)?;
        let d = k.def();
        if sender & SENDER_INITIATOR != 0 && d.sender & SENDER_INITIATOR == 0 {
            return None;
        }
        if sender & SENDER_TARGET != 0 && d.sender & SENDER_TARGET == 0 {
            return None;
        }
        if p.state & PSTATE_ACCEPTOR != 0 {
            return None;
        }
        if phase != 0 && d.phase & phase == 0 {
            return None;
        }
        Some(k)
    }

    /// `iscsi_add_notunderstood_response()`.
    fn iscsi_add_notunderstood_response(
        &mut self,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), ParamError> {
        if value.len() > VALUE_MAXLEN {
            return Err(ParamError::ValueTooLong);
        }
        // strscpy() into char key[KEY_MAXLEN].
        let key = key.get(..KEY_MAXLEN - 1).unwrap_or(key);
        let start = self.extra_response_len;
        let end = start
            .checked_add(key.len() + 1)
            .ok_or(ParamError::ExtraResponseOverflow)?;
        let dst = self
            .extra_response
            .get_mut(start..end)
            .ok_or(ParamError::ExtraResponseOverflow)?;
        for (d, s) in dst.iter_mut().zip(key.iter().chain(b"\0")) {
            *d = *s;
        }
        self.extra_response_len = end;
        Ok(())
    }

    /// `iscsi_check_value()`: the special answers, list syntax and the value's type.
    fn iscsi_check_value(
        &mut self,
        k: IscsiParamKey,
        value: &[u8],
    ) -> Result<ValueCheck, ParamError> {
        if value == REJECT {
            if matches!(k, K::IFMarkInt | K::OFMarkInt) {
                // Not fatal for [I,O]FMarkInt (iSCSI draft 20, A.3.2).
                self.set_state(k, PSTATE_REJECT);
                return Ok(ValueCheck::Proceed);
            }
            return Err(ParamError::IllegalReject(k));
        }
        if value == IRRELEVANT {
            self.set_state(k, PSTATE_IRRELEVANT);
            return Ok(ValueCheck::Irrelevant);
        }
        if value == NOTUNDERSTOOD {
            return Err(ParamError::IllegalNotUnderstood(k));
        }
        let d = k.def();
        let ty = d.type_range.param_type();
        if ty != ParamType::ValueList && value.contains(&b',') {
            return Err(ParamError::ValueListNotAllowed(k));
        }
        let proposer = self.has_state(k, PSTATE_PROPOSER);
        for elem in value.split(|&b| b == b',') {
            if elem.len() > VALUE_MAXLEN {
                return Err(ParamError::ValueTooLong);
            }
            let ok = match ty {
                ParamType::BoolAnd | ParamType::BoolOr => elem == YES || elem == NO,
                ParamType::Number => {
                    // LIO: int value = simple_strtoul(...), then the range check.
                    let v = simple_strtoull(elem) as u32 as i32;
                    match d.type_range.range() {
                        Some((lo, hi)) => v >= lo && v <= hi,
                        None => true,
                    }
                }
                ParamType::ValueList | ParamType::String => {
                    proposer
                        || match d.type_range {
                            R::Auth => matches!(
                                elem,
                                b"KRB5" | b"SPKM1" | b"SPKM2" | b"SRP" | b"CHAP" | b"None"
                            ),
                            R::Digest => elem == CRC32C || elem == NONE,
                            R::SessionType => elem == DISCOVERY || elem == NORMAL,
                            _ => true,
                        }
                }
            };
            if !ok {
                return Err(ParamError::IllegalValue(k));
            }
        }
        Ok(ValueCheck::Proceed)
    }

    /// `iscsi_check_proposer_state()`: the initiator answers a key the target offered.
    fn iscsi_check_proposer_state(
        &mut self,
        k: IscsiParamKey,
        value: &[u8],
        check: ValueCheck,
    ) -> Result<(), ParamError> {
        if self.has_state(k, PSTATE_RESPONSE_GOT) {
            return Err(ParamError::ResponseTwice(k));
        }
        if check == ValueCheck::Irrelevant {
            return Ok(());
        }
        if k.def().type_range.param_type() == ParamType::ValueList {
            if value.contains(&b',') {
                return Err(ParamError::ResponseValueList(k));
            }
            if !list_contains(self.value(k), value) {
                return Err(ParamError::ResponseNotOffered(k));
            }
        }
        self.update(k, value)
    }

    /// `iscsi_check_acceptor_state()`: the initiator offers a key; work out the answer.
    fn iscsi_check_acceptor_state(
        &mut self,
        k: IscsiParamKey,
        value: &[u8],
        check: ValueCheck,
    ) -> Result<(), ParamError> {
        if self.has_state(k, PSTATE_REJECT) || check == ValueCheck::Irrelevant {
            return Ok(());
        }
        let d = k.def();
        match d.type_range.param_type() {
            ParamType::BoolAnd => {
                let prop = value == YES;
                let acc = self.value(k) == YES;
                if !(acc && prop) {
                    self.update(k, NO)?;
                    if !prop {
                        self.set_state(k, PSTATE_REPLY_OPTIONAL);
                    }
                }
            }
            ParamType::BoolOr => {
                let prop = value == YES;
                let acc = self.value(k) == YES;
                if acc || prop {
                    self.update(k, YES)?;
                    if prop {
                        self.set_state(k, PSTATE_REPLY_OPTIONAL);
                    }
                }
            }
            ParamType::Number => {
                let acc = self.value_u32(k);
                let prop = strtou32(value);
                match k {
                    K::MaxConnections
                    | K::MaxBurstLength
                    | K::FirstBurstLength
                    | K::MaxOutstandingR2T
                    | K::DefaultTime2Retain
                    | K::ErrorRecoveryLevel => {
                        if prop > acc {
                            self.update_u32(k, acc);
                        } else {
                            self.update(k, value)?;
                        }
                    }
                    K::DefaultTime2Wait => {
                        if acc > prop {
                            self.update_u32(k, acc);
                        } else {
                            self.update(k, value)?;
                        }
                    }
                    _ => self.update(k, value)?,
                }
                if k == K::MaxRecvDataSegmentLength {
                    let v = kstrtoull(self.value(k)).ok_or(ParamError::IllegalValue(k))?;
                    self.initiator_mrdsl = Some(v as u32);
                    let mxdsl = *self.value_param(K::MaxXmitDataSegmentLength);
                    self.update(k, mxdsl.as_bytes())?;
                }
            }
            ParamType::ValueList => {
                let acc = *self.value_param(k);
                let negotiated = value
                    .split(|&b| b == b',')
                    .find(|v| list_contains(acc.as_bytes(), v))
                    .ok_or(ParamError::NoCommonValue(k))?;
                self.update(k, negotiated)?;
            }
            ParamType::String => {
                if d.phase & PHASE_DECLARATIVE != 0 {
                    self.update(k, value)?;
                    self.set_state(k, PSTATE_REPLY_OPTIONAL);
                }
            }
        }
        Ok(())
    }

    /// `iscsi_decode_text_input()`: processes the initiator's entries for `phase`
    /// (`PHASE_SECURITY | PHASE_DECLARATIVE` in stage 0, `PHASE_OPERATIONAL |
    /// PHASE_DECLARATIVE` in stage 1) from `sender` (`SENDER_INITIATOR |
    /// SENDER_RECEIVER` on a target).
    pub(crate) fn iscsi_decode_text_input(
        &mut self,
        phase: u8,
        sender: u8,
        text: &[u8],
    ) -> Result<DecodeResult, ParamError> {
        for entry in IscsiTextIter::new(text) {
            let (key, value) = entry?;
            if phase & PHASE_SECURITY != 0 && iscsi_check_for_auth_key(key) {
                return Ok(DecodeResult::AuthKey);
            }
            let k = match self.iscsi_check_key(key, phase, sender) {
                Some(k) => k,
                None => {
                    self.iscsi_add_notunderstood_response(key, value)?;
                    continue;
                }
            };
            let check = self.iscsi_check_value(k, value)?;
            if self.has_state(k, PSTATE_PROPOSER) {
                self.iscsi_check_proposer_state(k, value, check)?;
                self.set_state(k, PSTATE_RESPONSE_GOT);
            } else {
                self.iscsi_check_acceptor_state(k, value, check)?;
                self.set_state(k, PSTATE_ACCEPTOR);
            }
        }
        Ok(DecodeResult::Done)
    }

    /// `iscsi_enforce_integrity_rules()`: MaxOutstandingR2T=1 with DataSequenceInOrder and
    /// ERL > 0, MaxConnections=1 in discovery, FirstBurstLength <= MaxBurstLength. In a
    /// discovery session only keys the initiator offered are touched.
    fn iscsi_enforce_integrity_rules(&mut self, phase: u8) {
        let mut normal = false;
        let mut erl: u8 = 0;
        let mut dsio = false;
        let mut mbl: u32 = 0;
        for (key, d) in IscsiParamKey::ALL.iter().zip(ISCSI_PARAM_DEFS.iter()) {
            if d.phase & phase == 0 || self.param(*key).is_none() {
                continue;
            }
            match key {
                K::SessionType => normal = self.value(*key) == NORMAL,
                K::ErrorRecoveryLevel => erl = simple_strtoull(self.value(*key)) as u8,
                K::DataSequenceInOrder => dsio = self.value(*key) == YES,
                K::MaxBurstLength => mbl = self.value_u32(*key),
                _ => {}
            }
        }
        for (key, d) in IscsiParamKey::ALL.iter().zip(ISCSI_PARAM_DEFS.iter()) {
            let key = *key;
            if d.phase & phase == 0 || self.param(key).is_none() {
                continue;
            }
            if !normal && !self.has_state(key, PSTATE_ACCEPTOR) {
                continue;
            }
            match key {
                K::MaxOutstandingR2T if dsio && erl > 0 && self.value(key) != b"1" => {
                    self.update_u32(key, 1);
                }
                K::MaxConnections if !normal && self.value(key) != b"1" => {
                    self.update_u32(key, 1);
                }
                K::FirstBurstLength if self.value_u32(key) > mbl => {
                    self.update_u32(key, mbl);
                }
                _ => {}
            }
        }
    }

    /// `iscsi_check_proposer_for_optional_reply()`.
    fn iscsi_check_proposer_for_optional_reply(&mut self, k: IscsiParamKey, keys_workaround: bool) {
        let d = k.def();
        let optional = match d.type_range.param_type() {
            ParamType::BoolAnd => self.value(k) == NO,
            // LIO's gPXE workaround tests ImmediateData here, which is BOOL_AND: never hit.
            ParamType::BoolOr => self.value(k) == YES || (keys_workaround && k == K::ImmediateData),
            ParamType::Number => {
                k == K::MaxRecvDataSegmentLength
                    || (keys_workaround && matches!(k, K::FirstBurstLength | K::MaxConnections))
            }
            _ => d.phase & PHASE_DECLARATIVE != 0,
        };
        if optional {
            self.set_state(k, PSTATE_REPLY_OPTIONAL);
        }
    }

    /// `iscsi_encode_text_output()`: after the integrity rules, writes into `out` the
    /// answers to the initiator's offers (in list order), then the target's own offers of
    /// keys it negotiates and the initiator has not offered, then the `NotUnderstood`
    /// answers. `sender` is `SENDER_TARGET`. Returns the bytes written; on overflow the
    /// login fails (LIO's buffer is [`MAX_KEY_VALUE_PAIRS`] bytes).
    pub(crate) fn iscsi_encode_text_output(
        &mut self,
        phase: u8,
        sender: u8,
        out: &mut [u8],
        keys_workaround: bool,
    ) -> Result<usize, ParamError> {
        self.iscsi_enforce_integrity_rules(phase);
        let mut len = 0usize;
        let r = self.encode_params(phase, sender, out, &mut len, keys_workaround);
        let r = r.and_then(|()| {
            let extra = self.extra_response;
            let extra = extra.get(..self.extra_response_len).unwrap_or(&[]);
            for key in extra.split(|&b| b == 0).filter(|k| !k.is_empty()) {
                iscsi_encode_text_record(out, &mut len, key, NOTUNDERSTOOD)?;
            }
            Ok(())
        });
        self.extra_response_len = 0;
        r.map(|()| len)
    }

    fn encode_params(
        &mut self,
        phase: u8,
        sender: u8,
        out: &mut [u8],
        len: &mut usize,
        keys_workaround: bool,
    ) -> Result<(), ParamError> {
        for (key, d) in IscsiParamKey::ALL.iter().zip(ISCSI_PARAM_DEFS.iter()) {
            let key = *key;
            let (state, value) = match self.param(key) {
                Some(p) => (p.state, p.value),
                None => continue,
            };
            if d.sender & sender == 0 || d.phase & phase == 0 {
                continue;
            }
            if state & PSTATE_ACCEPTOR != 0
                && state & (PSTATE_RESPONSE_SENT | PSTATE_REPLY_OPTIONAL) == 0
            {
                iscsi_encode_text_record(out, len, d.name.as_bytes(), value.as_bytes())?;
                self.set_state(key, PSTATE_RESPONSE_SENT);
                continue;
            }
            if state & PSTATE_NEGOTIATE != 0 && state & (PSTATE_ACCEPTOR | PSTATE_PROPOSER) == 0 {
                iscsi_encode_text_record(out, len, d.name.as_bytes(), value.as_bytes())?;
                self.set_state(key, PSTATE_PROPOSER);
                self.iscsi_check_proposer_for_optional_reply(key, keys_workaround);
            }
        }
        Ok(())
    }

    /// `iscsi_check_negotiated_keys()`: every key the target offered was answered, unless
    /// no answer is needed or it is declarative.
    pub(crate) fn iscsi_check_negotiated_keys(&self) -> bool {
        IscsiParamKey::ALL
            .iter()
            .zip(ISCSI_PARAM_DEFS.iter())
            .all(|(key, d)| {
                let s = self.state(*key);
                !(s & PSTATE_NEGOTIATE != 0
                    && s & PSTATE_PROPOSER != 0
                    && s & PSTATE_RESPONSE_GOT == 0
                    && s & PSTATE_REPLY_OPTIONAL == 0
                    && d.phase & PHASE_DECLARATIVE == 0)
            })
    }

    /// One login PDU's text in stage `csg` (the text half of `iscsi_target_handle_csg_zero()`
    /// and `iscsi_target_handle_csg_one()`): decode `req`, and unless it carries
    /// authentication keys, encode the response into `rsp` (LIO's buffer:
    /// [`MAX_KEY_VALUE_PAIRS`] bytes).
    pub(crate) fn iscsi_login_text(
        &mut self,
        csg: u8,
        req: &[u8],
        rsp: &mut [u8],
        keys_workaround: bool,
    ) -> Result<LoginTextResult, ParamError> {
        let phase = match csg {
            0 => PHASE_SECURITY | PHASE_DECLARATIVE,
            1 => PHASE_OPERATIONAL | PHASE_DECLARATIVE,
            s => return Err(ParamError::IllegalStage(s)),
        };
        let res = self.iscsi_decode_text_input(phase, SENDER_INITIATOR | SENDER_RECEIVER, req)?;
        if res == DecodeResult::AuthKey {
            return Ok(LoginTextResult::AuthKeys);
        }
        if csg == 0 && req.is_empty() {
            return Err(ParamError::EmptySecurityPayload);
        }
        let lim = core::cmp::min(rsp.len(), MAX_KEY_VALUE_PAIRS as usize);
        let rsp = rsp.get_mut(..lim).ok_or(ParamError::ResponseOverflow)?;
        let len = self.iscsi_encode_text_output(phase, SENDER_TARGET, rsp, keys_workaround)?;
        Ok(LoginTextResult::Response {
            len,
            negotiated: self.iscsi_check_negotiated_keys(),
        })
    }

    /// `iscsi_target_check_first_request()`: the first login request must carry
    /// InitiatorName (on a leading connection; on another, the same name as the session,
    /// `session_initiatorname`) and SessionType.
    pub(crate) fn iscsi_target_check_first_request(
        &self,
        leading_connection: bool,
        session_initiatorname: Option<&[u8]>,
    ) -> Result<(), LoginStatus> {
        let not_found = LoginStatus {
            status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
            status_detail: ISCSI_LOGIN_STATUS_TGT_NOT_FOUND,
        };
        for key in IscsiParamKey::ALL {
            if self.param(key).is_none() {
                continue;
            }
            match key {
                K::InitiatorName => {
                    if !self.has_state(key, PSTATE_ACCEPTOR) {
                        if !leading_connection {
                            continue;
                        }
                        return Err(LoginStatus::MISSING_FIELDS);
                    }
                    if !leading_connection {
                        match session_initiatorname {
                            Some(n) if n == self.value(key) => {}
                            _ => return Err(not_found),
                        }
                    }
                }
                K::SessionType => {
                    if !self.has_state(key, PSTATE_ACCEPTOR) {
                        return Err(LoginStatus::MISSING_FIELDS);
                    }
                    if self.value(key).starts_with(DISCOVERY) {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `iscsi_set_connection_parameters()`.
    pub(crate) fn iscsi_set_connection_parameters(&self, ops: &mut IscsiConnOps) {
        for key in IscsiParamKey::ALL {
            let p = match self.param(key) {
                Some(p) => p,
                None => continue,
            };
            let v = p.value.as_bytes();
            if key == K::MaxXmitDataSegmentLength {
                ops.max_xmit_data_segment_length = strtou32(v);
            }
            if p.state & (PSTATE_ACCEPTOR | PSTATE_PROPOSER) == 0 {
                continue;
            }
            match key {
                K::HeaderDigest => ops.header_digest = v == CRC32C,
                K::DataDigest => ops.data_digest = v == CRC32C,
                K::MaxRecvDataSegmentLength => {
                    ops.max_recv_data_segment_length = match self.initiator_mrdsl {
                        Some(m) => m,
                        None if p.state & PSTATE_RESPONSE_GOT != 0 => strtou32(v),
                        None => ISCSI_DEF_MAX_RECV_SEG_LEN,
                    };
                }
                K::InitiatorRecvDataSegmentLength => {
                    ops.initiator_recv_data_segment_length = strtou32(v);
                    ops.max_recv_data_segment_length = ops.initiator_recv_data_segment_length;
                }
                K::TargetRecvDataSegmentLength => {
                    ops.target_recv_data_segment_length = strtou32(v);
                    ops.max_xmit_data_segment_length = ops.target_recv_data_segment_length;
                }
                _ => {}
            }
        }
    }

    /// `iscsi_set_session_parameters()`: names only from the leading connection.
    pub(crate) fn iscsi_set_session_parameters(&self, ops: &mut IscsiSessOps, leading: bool) {
        for key in IscsiParamKey::ALL {
            let p = match self.param(key) {
                Some(p) => p,
                None => continue,
            };
            if p.state & (PSTATE_ACCEPTOR | PSTATE_PROPOSER) == 0 {
                continue;
            }
            let v = p.value.as_bytes();
            let n = strtou32(v);
            match key {
                K::InitiatorName if leading => {
                    ops.initiator_name = IscsiParamValue::truncated(v, ISCSI_IQN_LEN - 1)
                }
                K::InitiatorAlias => ops.initiator_alias = p.value,
                K::TargetName if leading => {
                    ops.target_name = IscsiParamValue::truncated(v, ISCSI_IQN_LEN - 1)
                }
                K::TargetAlias => ops.target_alias = p.value,
                K::TargetPortalGroupTag => ops.target_portal_group_tag = n as u16,
                K::MaxConnections => ops.max_connections = n as u16,
                K::InitialR2T => ops.initial_r2t = v == YES,
                K::ImmediateData => ops.immediate_data = v == YES,
                K::MaxBurstLength => ops.max_burst_length = n,
                K::FirstBurstLength => ops.first_burst_length = n,
                K::DefaultTime2Wait => ops.default_time2wait = n as u16,
                K::DefaultTime2Retain => ops.default_time2retain = n as u16,
                K::MaxOutstandingR2T => ops.max_outstanding_r2t = n as u16,
                K::DataPDUInOrder => ops.data_pdu_in_order = v == YES,
                K::DataSequenceInOrder => ops.data_sequence_in_order = v == YES,
                K::ErrorRecoveryLevel => ops.error_recovery_level = n as u8,
                K::SessionType => ops.session_type = v == DISCOVERY,
                K::RDMAExtensions => ops.rdma_extensions = v == YES,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// Builds NUL-terminated text from `key=value` strings.
    fn text(entries: &[&str]) -> Vec<u8> {
        let mut v = Vec::new();
        for e in entries {
            v.extend_from_slice(e.as_bytes());
            v.push(0);
        }
        v
    }

    /// The entries of a response text.
    fn entries(t: &[u8]) -> Vec<String> {
        assert!(
            t.is_empty() || t.last() == Some(&0),
            "unterminated response"
        );
        t.split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| String::from_utf8(e.to_vec()).unwrap())
            .collect()
    }

    /// A leading normal-session connection list as LIO sets it up with TPG defaults.
    fn leading(auth_required: bool, default_erl: u8) -> IscsiParamList {
        let tpg = IscsiParamList::iscsi_create_default_params();
        let mut l = tpg.iscsi_copy_param_list(true);
        l.iscsi_login_setup_params(true, false, false, auth_required, 1, default_erl);
        l
    }

    fn stage(l: &mut IscsiParamList, csg: u8, req: &[&str]) -> (Vec<String>, bool) {
        let mut rsp = [0u8; 8192];
        match l.iscsi_login_text(csg, &text(req), &mut rsp, true).unwrap() {
            LoginTextResult::Response { len, negotiated } => (entries(&rsp[..len]), negotiated),
            LoginTextResult::AuthKeys => panic!("auth keys"),
        }
    }

    #[test]
    fn defaults_are_lios() {
        assert_eq!(IscsiParamKey::ALL.len(), ISCSI_PARAM_COUNT);
        for (i, (k, d)) in IscsiParamKey::ALL
            .iter()
            .zip(ISCSI_PARAM_DEFS.iter())
            .enumerate()
        {
            assert_eq!(*k as usize, i);
            assert_eq!(d.key, *k);
            assert_eq!(IscsiParamKey::from_name(d.name.as_bytes()), Some(*k));
            assert!(d.name.len() <= 63);
        }
        let l = IscsiParamList::iscsi_create_default_params();
        // configfs-abi.md 3.4 `param/` defaults.
        for (k, v) in [
            (K::AuthMethod, "CHAP"),
            (K::HeaderDigest, "CRC32C,None"),
            (K::DataDigest, "CRC32C,None"),
            (K::MaxConnections, "1"),
            (K::TargetAlias, "LIO Target"),
            (K::InitialR2T, "Yes"),
            (K::ImmediateData, "Yes"),
            (K::MaxRecvDataSegmentLength, "8192"),
            (K::MaxXmitDataSegmentLength, "262144"),
            (K::MaxBurstLength, "262144"),
            (K::FirstBurstLength, "65536"),
            (K::DefaultTime2Wait, "2"),
            (K::DefaultTime2Retain, "20"),
            (K::MaxOutstandingR2T, "1"),
            (K::DataPDUInOrder, "Yes"),
            (K::DataSequenceInOrder, "Yes"),
            (K::ErrorRecoveryLevel, "0"),
            (K::IFMarker, "No"),
            (K::OFMarker, "No"),
            (K::IFMarkInt, "Reject"),
            (K::OFMarkInt, "Reject"),
            (K::SendTargets, "All"),
            (K::TargetAddress, "0.0.0.0:0000,0"),
            (K::RDMAExtensions, "No"),
            (K::InitiatorRecvDataSegmentLength, "262144"),
            (K::TargetRecvDataSegmentLength, "8192"),
        ] {
            assert_eq!(l.value(k), v.as_bytes(), "{}", k.name());
        }
        assert_eq!(K::AuthMethod.def().phase, PHASE_SECURITY);
        assert_eq!(K::SessionType.def().use_, USE_LEADING_ONLY);
        assert_eq!(K::HeaderDigest.def().scope, SCOPE_CONNECTION_ONLY);
        assert_eq!(K::MaxBurstLength.def().scope, SCOPE_SESSION_WIDE);
        assert_eq!(K::TargetAlias.def().sender, SENDER_TARGET);
        assert_eq!(
            K::InitialR2T.def().type_range.param_type(),
            ParamType::BoolOr
        );
        assert_eq!(
            K::ImmediateData.def().type_range.param_type(),
            ParamType::BoolAnd
        );
        assert_eq!(
            K::DataDigest.def().type_range.param_type(),
            ParamType::ValueList
        );
    }

    #[test]
    fn number_parsing_is_the_kernels() {
        assert_eq!(simple_strtoull(b"8192"), 8192);
        assert_eq!(simple_strtoull(b"0x2000"), 8192);
        assert_eq!(simple_strtoull(b"0X2000zz"), 8192);
        assert_eq!(simple_strtoull(b"010"), 8);
        assert_eq!(simple_strtoull(b"0x"), 0);
        assert_eq!(simple_strtoull(b"abc"), 0);
        assert_eq!(simple_strtoull(b""), 0);
        assert_eq!(simple_strtoull(b"+5"), 0);
        assert_eq!(kstrtoull(b"8192"), Some(8192));
        assert_eq!(kstrtoull(b"+0x10\n"), Some(16));
        assert_eq!(kstrtoull(b"8192abc"), None);
        assert_eq!(kstrtoull(b""), None);
        assert_eq!(kstrtoull(b"99999999999999999999"), None);
        assert_eq!(IscsiParamValue::from_u32(0).as_bytes(), b"0");
        assert_eq!(
            IscsiParamValue::from_u32(4294967295).as_bytes(),
            b"4294967295"
        );
    }

    #[test]
    fn text_format() {
        let t = b"A=1\0B=x=y\0C=\0";
        let v: Vec<_> = IscsiTextIter::new(t).map(|r| r.unwrap()).collect();
        assert_eq!(v, [(&b"A"[..], &b"1"[..]), (b"B", b"x=y"), (b"C", b"")]);
        // The last entry may lack its NUL.
        let v: Vec<_> = IscsiTextIter::new(b"A=1\0B=2")
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(v.len(), 2);
        // Empty entries and entries without '=' are errors.
        assert!(IscsiTextIter::new(b"A=1\0\0B=2\0").any(|r| r.is_err()));
        assert!(IscsiTextIter::new(b"A\0").any(|r| r.is_err()));
        assert_eq!(
            iscsi_find_text_value(b"CHAP_N=x\0CHAP_R=0x1\0", b"CHAP_R"),
            Some(&b"0x1"[..])
        );
        assert_eq!(iscsi_find_text_value(b"XCHAP_R=1\0", b"CHAP_R"), None);
        let mut out = [0u8; 8];
        let mut len = 0;
        iscsi_encode_text_record(&mut out, &mut len, b"A", b"123").unwrap();
        assert_eq!(&out[..len], b"A=123\0");
        assert_eq!(
            iscsi_encode_text_record(&mut out, &mut len, b"B", b"1"),
            Err(ParamError::ResponseOverflow)
        );
        assert_eq!(len, 6);
    }

    #[test]
    fn security_stage_then_operational_stage_like_open_iscsi() {
        // AuthMethod=None allowed (no auth required): AuthMethod becomes "None".
        let mut l = leading(false, 0);
        assert_eq!(l.value(K::AuthMethod), b"None");
        let (r, ok) = stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.1993-08.org.debian:01:abc",
                "InitiatorAlias=host",
                "SessionType=Normal",
                "TargetName=iqn.2003-01.org.linux-iscsi.t:sn",
                "AuthMethod=None",
            ],
        );
        // AuthMethod answered; the declarative TargetAlias and TPGT offered.
        assert_eq!(
            r,
            [
                "AuthMethod=None",
                "TargetAlias=LIO Target",
                "TargetPortalGroupTag=1"
            ]
        );
        assert!(ok);
        assert!(l.iscsi_target_check_first_request(true, None).is_ok());

        let (r, ok) = stage(
            &mut l,
            1,
            &[
                "HeaderDigest=None",
                "DataDigest=None",
                "DefaultTime2Wait=2",
                "DefaultTime2Retain=0",
                "IFMarker=No",
                "OFMarker=No",
                "ErrorRecoveryLevel=0",
                "InitialR2T=No",
                "ImmediateData=Yes",
                "MaxBurstLength=16776192",
                "FirstBurstLength=262144",
                "MaxOutstandingR2T=1",
                "MaxConnections=1",
                "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes",
                "MaxRecvDataSegmentLength=262144",
            ],
        );
        assert_eq!(
            r,
            [
                "HeaderDigest=None",
                "DataDigest=None",
                "MaxConnections=1",
                "InitialR2T=Yes",
                "ImmediateData=Yes",
                "MaxRecvDataSegmentLength=262144",
                "MaxBurstLength=262144",
                "FirstBurstLength=65536",
                "DefaultTime2Wait=2",
                "DefaultTime2Retain=0",
                "MaxOutstandingR2T=1",
                "ErrorRecoveryLevel=0",
                "IFMarker=No",
                "OFMarker=No",
            ]
        );
        assert!(ok);
        let mut conn = IscsiConnOps::default();
        l.iscsi_set_connection_parameters(&mut conn);
        assert_eq!(
            conn,
            IscsiConnOps {
                header_digest: false,
                data_digest: false,
                max_recv_data_segment_length: 262144,
                max_xmit_data_segment_length: 262144,
                initiator_recv_data_segment_length: 0,
                target_recv_data_segment_length: 0,
            }
        );
        let mut sess = IscsiSessOps::default();
        l.iscsi_set_session_parameters(&mut sess, true);
        assert_eq!(
            sess.initiator_name.as_bytes(),
            b"iqn.1993-08.org.debian:01:abc"
        );
        assert_eq!(sess.initiator_alias.as_bytes(), b"host");
        assert_eq!(
            sess.target_name.as_bytes(),
            b"iqn.2003-01.org.linux-iscsi.t:sn"
        );
        assert_eq!(sess.target_alias.as_bytes(), b"LIO Target");
        assert_eq!(sess.target_portal_group_tag, 1);
        assert_eq!(sess.max_connections, 1);
        // InitialR2T is an OR key: LIO's Yes wins over the initiator's No.
        assert!(sess.initial_r2t && sess.immediate_data);
        assert_eq!(sess.max_burst_length, 262144);
        assert_eq!(sess.first_burst_length, 65536);
        assert_eq!((sess.default_time2wait, sess.default_time2retain), (2, 0));
        assert_eq!(sess.max_outstanding_r2t, 1);
        assert!(sess.data_pdu_in_order && sess.data_sequence_in_order);
        assert_eq!(sess.error_recovery_level, 0);
        assert!(!sess.session_type);
    }

    #[test]
    fn target_proposes_what_the_initiator_did_not_offer() {
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, ok) = stage(
            &mut l,
            1,
            &["MaxRecvDataSegmentLength=8192", "HeaderDigest=CRC32C"],
        );
        assert_eq!(
            r,
            [
                "HeaderDigest=CRC32C",
                "DataDigest=CRC32C,None",
                "MaxConnections=1",
                "InitialR2T=Yes",
                "ImmediateData=Yes",
                "MaxRecvDataSegmentLength=262144",
                "MaxBurstLength=262144",
                "FirstBurstLength=65536",
                "DefaultTime2Wait=2",
                "DefaultTime2Retain=20",
                "MaxOutstandingR2T=1",
                "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes",
                "ErrorRecoveryLevel=0",
            ]
        );
        // DataDigest, ImmediateData, MaxBurstLength, DefaultTime2Wait/Retain and ERL need
        // answers (InitialR2T=Yes, DataPDUInOrder=Yes, ... are OR keys offered Yes).
        assert!(!ok);
        assert!(l.has_state(K::DataDigest, PSTATE_PROPOSER));
        assert!(l.has_state(K::InitialR2T, PSTATE_REPLY_OPTIONAL));
        assert!(l.has_state(K::FirstBurstLength, PSTATE_REPLY_OPTIONAL));
        let (r, ok) = stage(
            &mut l,
            1,
            &[
                "DataDigest=None",
                "ImmediateData=No",
                "MaxBurstLength=1048576",
                "DefaultTime2Wait=0",
                "DefaultTime2Retain=0",
                "ErrorRecoveryLevel=0",
                "MaxOutstandingR2T=1",
            ],
        );
        assert!(r.is_empty(), "{r:?}");
        assert!(ok);
        let mut sess = IscsiSessOps::default();
        l.iscsi_set_session_parameters(&mut sess, true);
        // Answers to our offers are taken as given (LIO does no min/max here).
        assert_eq!(sess.max_burst_length, 1048576);
        assert!(!sess.immediate_data);
        assert_eq!(sess.default_time2wait, 0);
        let mut conn = IscsiConnOps::default();
        l.iscsi_set_connection_parameters(&mut conn);
        assert!(conn.header_digest && !conn.data_digest);
        assert_eq!(conn.max_recv_data_segment_length, 8192);
        // An answer that was not offered, a list as an answer, a second answer.
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        stage(&mut l, 1, &["MaxRecvDataSegmentLength=8192"]);
        let mut rsp = [0u8; 512];
        let mut l2 = l.clone();
        assert_eq!(
            l2.iscsi_login_text(1, &text(&["HeaderDigest=CRC32C,None"]), &mut rsp, true),
            Err(ParamError::ResponseValueList(K::HeaderDigest))
        );
        let mut l2 = l.clone();
        l2.update(K::DataDigest, b"None").unwrap();
        assert_eq!(
            l2.iscsi_login_text(1, &text(&["DataDigest=CRC32C"]), &mut rsp, true),
            Err(ParamError::ResponseNotOffered(K::DataDigest))
        );
        assert!(l
            .iscsi_login_text(1, &text(&["ImmediateData=No"]), &mut rsp, true)
            .is_ok());
        assert_eq!(
            l.iscsi_login_text(1, &text(&["ImmediateData=No"]), &mut rsp, true),
            Err(ParamError::ResponseTwice(K::ImmediateData))
        );
    }

    #[test]
    fn numeric_min_max_and_boolean_and_or() {
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(
            &mut l,
            1,
            &[
                "MaxConnections=8",
                "MaxBurstLength=0x100000",
                "FirstBurstLength=4096",
                "DefaultTime2Wait=10",
                "DefaultTime2Retain=3600",
                "MaxOutstandingR2T=4",
                "InitialR2T=No",
                "ImmediateData=No",
                "DataPDUInOrder=No",
                "DataSequenceInOrder=No",
            ],
        );
        // MaxConnections, MaxBurstLength (min: acceptor as %u), FirstBurstLength (proposer's
        // string), DefaultTime2Wait (max), DefaultTime2Retain (min), MaxOutstandingR2T (min);
        // InitialR2T OR -> Yes; ImmediateData AND with No -> No but optional (not sent);
        // DataPDUInOrder / DataSequenceInOrder OR with our Yes -> Yes.
        for e in [
            "MaxConnections=1",
            "MaxBurstLength=262144",
            "FirstBurstLength=4096",
            "DefaultTime2Wait=10",
            "DefaultTime2Retain=20",
            "MaxOutstandingR2T=1",
            "InitialR2T=Yes",
            "DataPDUInOrder=Yes",
            "DataSequenceInOrder=Yes",
        ] {
            assert!(r.iter().any(|x| x == e), "{e} missing from {r:?}");
        }
        assert!(!r.iter().any(|x| x.starts_with("ImmediateData")));
        assert_eq!(l.value(K::ImmediateData), b"No");

        // Smaller offers are echoed as the initiator wrote them.
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(&mut l, 1, &["MaxBurstLength=0x10000", "DefaultTime2Wait=1"]);
        assert!(r.iter().any(|x| x == "MaxBurstLength=0x10000"));
        assert!(r.iter().any(|x| x == "DefaultTime2Wait=2"));

        // AND with both Yes stays Yes and is answered; OR with both No stays No.
        let mut tpg = IscsiParamList::iscsi_create_default_params();
        tpg.iscsi_change_param_value(b"InitialR2T=No", true)
            .unwrap();
        let mut l = tpg.iscsi_copy_param_list(true);
        l.iscsi_login_setup_params(true, false, false, false, 1, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(&mut l, 1, &["ImmediateData=Yes", "InitialR2T=No"]);
        assert!(r.iter().any(|x| x == "ImmediateData=Yes"));
        assert!(r.iter().any(|x| x == "InitialR2T=No"));
    }

    #[test]
    fn first_burst_never_exceeds_max_burst() {
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(
            &mut l,
            1,
            &["MaxBurstLength=16384", "FirstBurstLength=65536"],
        );
        assert!(r.iter().any(|x| x == "MaxBurstLength=16384"));
        assert!(r.iter().any(|x| x == "FirstBurstLength=16384"), "{r:?}");
        // Also when the TPG is configured that way and nothing was offered.
        let mut tpg = IscsiParamList::iscsi_create_default_params();
        tpg.iscsi_change_param_value(b"MaxBurstLength=4096", true)
            .unwrap();
        let mut l = tpg.iscsi_copy_param_list(true);
        l.iscsi_login_setup_params(true, false, false, false, 1, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(&mut l, 1, &["HeaderDigest=None"]);
        assert!(r.iter().any(|x| x == "FirstBurstLength=4096"), "{r:?}");
    }

    #[test]
    fn error_recovery_level_above_what_lio_supports() {
        // ERL is negotiated down to the ACL's default_erl.
        for (erl, offer, want) in [(0u8, "2", "0"), (1, "2", "1"), (2, "1", "1"), (2, "2", "2")] {
            let mut l = leading(false, erl);
            stage(
                &mut l,
                0,
                &[
                    "InitiatorName=iqn.x",
                    "SessionType=Normal",
                    "AuthMethod=None",
                ],
            );
            let (r, _) = stage(&mut l, 1, &[&std::format!("ErrorRecoveryLevel={offer}")]);
            assert!(
                r.contains(&std::format!("ErrorRecoveryLevel={want}")),
                "{r:?}"
            );
        }
        // Above the range: the login fails.
        let mut l = leading(false, 2);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let mut rsp = [0u8; 512];
        let e = l
            .iscsi_login_text(1, &text(&["ErrorRecoveryLevel=3"]), &mut rsp, true)
            .unwrap_err();
        assert_eq!(e, ParamError::IllegalValue(K::ErrorRecoveryLevel));
        assert_eq!(e.login_status(1), Some(LoginStatus::INIT_ERR));
        // ERL > 0 with DataSequenceInOrder=Yes forces MaxOutstandingR2T=1.
        let mut tpg = IscsiParamList::iscsi_create_default_params();
        tpg.iscsi_change_param_value(b"MaxOutstandingR2T=8", true)
            .unwrap();
        let mut l = tpg.iscsi_copy_param_list(true);
        l.iscsi_login_setup_params(true, false, false, false, 1, 1);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(&mut l, 1, &["ErrorRecoveryLevel=1", "MaxOutstandingR2T=4"]);
        assert!(r.iter().any(|x| x == "MaxOutstandingR2T=1"), "{r:?}");
    }

    #[test]
    fn phase_rules_and_not_understood() {
        let mut l = leading(false, 0);
        // Operational keys in the security stage, unknown keys, keys only the target may
        // send, SendTargets (full feature phase only) and a repeated key: NotUnderstood.
        let long = "K".repeat(70);
        let (r, _) = stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
                "MaxBurstLength=512",
                "X-com.example.foo=1",
                "TargetAlias=mine",
                "SendTargets=All",
                "AuthMethod=CHAP",
                &std::format!("{long}=1"),
            ],
        );
        assert_eq!(
            r,
            [
                "AuthMethod=None",
                "TargetAlias=LIO Target",
                "TargetPortalGroupTag=1",
                "MaxBurstLength=NotUnderstood",
                "X-com.example.foo=NotUnderstood",
                "TargetAlias=NotUnderstood",
                "SendTargets=NotUnderstood",
                "AuthMethod=NotUnderstood",
                &std::format!("{}=NotUnderstood", &long[..63]),
            ]
        );
        // Security keys in the operational stage.
        let (r, _) = stage(
            &mut l,
            1,
            &["AuthMethod=None", "CHAP_A=5", "HeaderDigest=None"],
        );
        assert!(r.contains(&"AuthMethod=NotUnderstood".into()));
        assert!(r.contains(&"CHAP_A=NotUnderstood".into()));
        assert!(r.contains(&"HeaderDigest=None".into()));
        // CHAP keys in the security stage go to the authentication code.
        let mut l = leading(true, 0);
        let mut rsp = [0u8; 64];
        assert_eq!(
            l.iscsi_login_text(0, &text(&["AuthMethod=CHAP"]), &mut rsp, true),
            Ok(LoginTextResult::Response {
                len: "AuthMethod=CHAP\0TargetAlias=LIO Target\0TargetPortalGroupTag=1\0".len(),
                negotiated: true
            })
        );
        assert_eq!(
            l.iscsi_login_text(0, &text(&["CHAP_A=5,7"]), &mut rsp, true),
            Ok(LoginTextResult::AuthKeys)
        );
        // Empty security payload; a stage that does not exist.
        assert_eq!(
            l.iscsi_login_text(0, b"", &mut rsp, true),
            Err(ParamError::EmptySecurityPayload)
        );
        assert_eq!(
            ParamError::EmptySecurityPayload.login_status(0),
            Some(LoginStatus::AUTH_FAILED)
        );
        assert_eq!(
            l.iscsi_login_text(3, b"", &mut rsp, true),
            Err(ParamError::IllegalStage(3))
        );
    }

    #[test]
    fn malformed_values_fail_the_login() {
        let cases: &[(&str, ParamError)] = &[
            (
                "HeaderDigest=MD5",
                ParamError::IllegalValue(K::HeaderDigest),
            ),
            ("InitialR2T=yes", ParamError::IllegalValue(K::InitialR2T)),
            (
                "InitialR2T=Yes,No",
                ParamError::ValueListNotAllowed(K::InitialR2T),
            ),
            (
                "MaxBurstLength=511",
                ParamError::IllegalValue(K::MaxBurstLength),
            ),
            (
                "MaxBurstLength=16777216",
                ParamError::IllegalValue(K::MaxBurstLength),
            ),
            (
                "MaxBurstLength=abc",
                ParamError::IllegalValue(K::MaxBurstLength),
            ),
            (
                "MaxConnections=0",
                ParamError::IllegalValue(K::MaxConnections),
            ),
            (
                "DefaultTime2Wait=3601",
                ParamError::IllegalValue(K::DefaultTime2Wait),
            ),
            (
                "MaxRecvDataSegmentLength=8192junk",
                ParamError::IllegalValue(K::MaxRecvDataSegmentLength),
            ),
            (
                "DataDigest=Reject",
                ParamError::IllegalReject(K::DataDigest),
            ),
            (
                "DataDigest=NotUnderstood",
                ParamError::IllegalNotUnderstood(K::DataDigest),
            ),
            ("NoEqualsSign", ParamError::MissingSeparator),
        ];
        for (entry, want) in cases {
            let mut l = leading(false, 0);
            stage(
                &mut l,
                0,
                &[
                    "InitiatorName=iqn.x",
                    "SessionType=Normal",
                    "AuthMethod=None",
                ],
            );
            let mut rsp = [0u8; 1024];
            assert_eq!(
                l.iscsi_login_text(1, &text(&[entry]), &mut rsp, true),
                Err(*want),
                "{entry}"
            );
        }
        // A value over 255 bytes.
        let mut l = leading(false, 0);
        let mut rsp = [0u8; 1024];
        let alias = std::format!("InitiatorAlias={}", "a".repeat(256));
        assert_eq!(
            l.iscsi_login_text(0, &text(&[&alias]), &mut rsp, true),
            Err(ParamError::ValueTooLong)
        );
        assert_eq!(ParamError::ValueTooLong.login_status(0), None);
        // No common AuthMethod: CHAP required, initiator offers None only.
        let mut l = leading(true, 0);
        assert_eq!(
            l.iscsi_login_text(0, &text(&["AuthMethod=None"]), &mut rsp, true),
            Err(ParamError::NoCommonValue(K::AuthMethod))
        );
        // An unknown method in the list is refused outright.
        let mut l = leading(true, 0);
        assert_eq!(
            l.iscsi_login_text(0, &text(&["AuthMethod=Foo,CHAP"]), &mut rsp, true),
            Err(ParamError::IllegalValue(K::AuthMethod))
        );
        // The first acceptable value in the initiator's order wins.
        let mut l = leading(false, 0);
        l.update(K::AuthMethod, b"CHAP,None").unwrap();
        let (r, _) = stage(&mut l, 0, &["AuthMethod=SRP,None,CHAP"]);
        assert_eq!(r[0], "AuthMethod=None");
    }

    #[test]
    fn markers_and_irrelevant() {
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(
            &mut l,
            1,
            &[
                "IFMarker=Yes",
                "OFMarker=Yes",
                "IFMarkInt=2048~8192",
                "OFMarkInt=Reject",
            ],
        );
        for e in [
            "IFMarker=No",
            "OFMarker=No",
            "IFMarkInt=Reject",
            "OFMarkInt=Reject",
        ] {
            assert!(r.iter().any(|x| x == e), "{e} missing from {r:?}");
        }
        // Irrelevant keeps the value (LIO would store "Irrelevant" and read 0).
        let mut l = leading(false, 0);
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(&mut l, 1, &["MaxBurstLength=Irrelevant"]);
        assert!(r.iter().any(|x| x == "MaxBurstLength=262144"));
        assert!(l.has_state(K::MaxBurstLength, PSTATE_IRRELEVANT));
    }

    #[test]
    fn discovery_session() {
        let tpg = IscsiParamList::iscsi_create_default_params();
        let mut l = tpg.iscsi_copy_param_list(true);
        l.iscsi_login_setup_params(true, true, false, false, 1, 0);
        assert!(!l.has_state(K::MaxBurstLength, PSTATE_NEGOTIATE));
        let (r, ok) = stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Discovery",
                "AuthMethod=CHAP,None",
            ],
        );
        // AuthMethod kept at the TPG value for discovery (no None substitution).
        assert_eq!(r[0], "AuthMethod=CHAP");
        assert!(ok);
        assert!(l.iscsi_target_check_first_request(true, None).is_ok());
        // Only the digests and MaxRecvDataSegmentLength are negotiated; MaxConnections
        // offered by the initiator is forced to 1.
        let (r, ok) = stage(
            &mut l,
            1,
            &["MaxConnections=4", "MaxRecvDataSegmentLength=32768"],
        );
        assert_eq!(
            r,
            [
                "HeaderDigest=CRC32C,None",
                "DataDigest=CRC32C,None",
                "MaxConnections=1",
                "MaxRecvDataSegmentLength=262144",
            ]
        );
        assert!(!ok);
        let mut sess = IscsiSessOps::default();
        l.iscsi_set_session_parameters(&mut sess, true);
        assert!(sess.session_type);
        assert_eq!(sess.max_burst_length, 0);
    }

    #[test]
    fn first_request_checks() {
        let mut l = leading(false, 0);
        stage(&mut l, 0, &["SessionType=Normal", "AuthMethod=None"]);
        assert_eq!(
            l.iscsi_target_check_first_request(true, None),
            Err(LoginStatus::MISSING_FIELDS)
        );
        let mut l = leading(false, 0);
        stage(&mut l, 0, &["InitiatorName=iqn.x", "AuthMethod=None"]);
        assert_eq!(
            l.iscsi_target_check_first_request(true, None),
            Err(LoginStatus::MISSING_FIELDS)
        );
        // A second connection: session-wide keys are not in its list.
        let tpg = IscsiParamList::iscsi_create_default_params();
        let mut l = tpg.iscsi_copy_param_list(false);
        l.iscsi_login_setup_params(false, false, false, false, 1, 0);
        assert!(l.param(K::MaxBurstLength).is_none());
        assert!(l.param(K::TargetName).is_some());
        let (r, _) = stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "AuthMethod=CHAP",
                "SessionType=Normal",
            ],
        );
        assert!(r.contains(&"SessionType=NotUnderstood".into()));
        assert!(l
            .iscsi_target_check_first_request(false, Some(b"iqn.x"))
            .is_ok());
        assert_eq!(
            l.iscsi_target_check_first_request(false, Some(b"iqn.y")),
            Err(LoginStatus {
                status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
                status_detail: ISCSI_LOGIN_STATUS_TGT_NOT_FOUND
            })
        );
        let (r, _) = stage(&mut l, 1, &["MaxBurstLength=512", "HeaderDigest=None"]);
        assert!(r.contains(&"MaxBurstLength=NotUnderstood".into()));
    }

    #[test]
    fn configfs_param_changes() {
        let mut tpg = IscsiParamList::iscsi_create_default_params();
        tpg.iscsi_change_param_value(b"MaxRecvDataSegmentLength=0x2000", true)
            .unwrap();
        assert_eq!(tpg.value(K::MaxRecvDataSegmentLength), b"0x2000");
        assert_eq!(tpg.value_u32(K::MaxRecvDataSegmentLength), 8192);
        assert_eq!(
            tpg.iscsi_change_param_value(b"MaxBurstLength=1", true),
            Err(ParamError::IllegalValue(K::MaxBurstLength))
        );
        assert_eq!(
            tpg.iscsi_change_param_value(b"Bogus=1", true),
            Err(ParamError::UnknownKey)
        );
        assert_eq!(
            tpg.iscsi_change_param_value(b"HeaderDigest", true),
            Err(ParamError::MissingSeparator)
        );
        tpg.iscsi_change_param_value(b"HeaderDigest=None,CRC32C", true)
            .unwrap();
        tpg.iscsi_change_param_value(b"TargetAlias=my alias", true)
            .unwrap();
        assert_eq!(tpg.value(K::TargetAlias), b"my alias");
        // AuthMethod editing by the authentication attribute.
        for (start, enforce, want) in [
            ("CHAP,None", true, "CHAP"),
            ("None,CHAP", true, "CHAP"),
            ("CHAP,None,SRP", true, "CHAP,SRP"),
            ("None", true, "CHAP"),
            ("CHAP", true, "CHAP"),
            ("CHAP", false, "CHAP,None"),
            ("CHAP,None", false, "CHAP,None"),
        ] {
            tpg.iscsi_change_param_value(std::format!("AuthMethod={start}").as_bytes(), true)
                .unwrap();
            tpg.iscsit_ta_authentication(enforce);
            assert_eq!(
                tpg.value(K::AuthMethod),
                want.as_bytes(),
                "{start} {enforce}"
            );
        }
    }

    #[test]
    fn response_overflow_and_extra_overflow() {
        let mut l = leading(false, 0);
        let mut rsp = [0u8; 20];
        assert_eq!(
            l.iscsi_login_text(0, &text(&["AuthMethod=None"]), &mut rsp, true),
            Err(ParamError::ResponseOverflow)
        );
        assert_eq!(
            ParamError::ResponseOverflow.login_status(0),
            Some(LoginStatus::INIT_ERR)
        );
        // Many unknown keys: bounded memory, then an error.
        let mut l = leading(false, 0);
        let mut req = Vec::new();
        for i in 0..100 {
            req.extend_from_slice(std::format!("X-{i:060}=1\0").as_bytes());
        }
        let mut rsp = [0u8; 8192];
        assert_eq!(
            l.iscsi_login_text(0, &req, &mut rsp, true),
            Err(ParamError::ExtraResponseOverflow)
        );
    }

    #[test]
    fn iser_keys() {
        let tpg = IscsiParamList::iscsi_create_default_params();
        let mut l = tpg.iscsi_copy_param_list(true);
        l.iscsi_login_setup_params(true, false, true, false, 1, 0);
        assert!(l.iser);
        assert!(!l.has_state(K::HeaderDigest, PSTATE_NEGOTIATE));
        assert_eq!(l.value(K::RDMAExtensions), b"Yes");
        stage(
            &mut l,
            0,
            &[
                "InitiatorName=iqn.x",
                "SessionType=Normal",
                "AuthMethod=None",
            ],
        );
        let (r, _) = stage(
            &mut l,
            1,
            &[
                "RDMAExtensions=Yes",
                "InitiatorRecvDataSegmentLength=131072",
                "TargetRecvDataSegmentLength=65536",
            ],
        );
        assert!(r.contains(&"RDMAExtensions=Yes".into()));
        let mut conn = IscsiConnOps::default();
        l.iscsi_set_connection_parameters(&mut conn);
        assert_eq!(conn.max_recv_data_segment_length, 131072);
        assert_eq!(conn.max_xmit_data_segment_length, 65536);
        let mut sess = IscsiSessOps::default();
        l.iscsi_set_session_parameters(&mut sess, true);
        assert!(sess.rdma_extensions);
    }

    #[test]
    fn decode_never_panics_on_junk() {
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut l = leading(false, 0);
            let mut buf = [0u8; 96];
            for b in buf.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let c = (seed >> 16) as u8;
                *b = match c % 8 {
                    0 => 0,
                    1 => b'=',
                    2 => b',',
                    _ => b"HeaderDigstMaxBurLn0x19YesNo"[(c as usize) % 28],
                };
            }
            let mut rsp = [0u8; 256];
            let _ = l.iscsi_login_text(0, &buf, &mut rsp, true);
            let _ = l.iscsi_login_text(1, &buf, &mut rsp, false);
        }
    }
}
