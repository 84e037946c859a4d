// SPDX-License-Identifier: GPL-2.0

//! The configfs attributes of iscsi_target_mod as LIO validates and stores them, kept
//! free of the kernel so the host tests compile this very file:
//!
//! - TPG `attrib/` (`struct iscsi_tpg_attrib`, `iscsit_ta_*()` in `iscsi_target_tpg.c`),
//!   with the AuthMethod rewrite of `iscsit_ta_authentication()`;
//! - node ACL `attrib/` (`struct iscsi_node_attrib`, `iscsit_na_*()` in
//!   `iscsi_target_nodeattrib.c`);
//! - the CHAP credentials of `auth/` and `discovery_auth/` (`struct iscsi_node_auth`);
//! - `cpus_allowed_list` (`cpulist_parse()` = `bitmap_parselist()`, and `%*pbl`);
//! - the `pr_err()` texts LIO prints for refused `param/` values.
//!
//! Every refusal is an [`AttrError`] whose `Display` is LIO's message, without the
//! newline.

use super::params::{IscsiParamKey, ParamError, TypeRange, VALUE_MAXLEN};
use core::fmt;

/// A refused attribute write: the message LIO logs (the errno is always `EINVAL` unless
/// noted at the variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttrError {
    /// `Illegal value for authentication parameter: %u, ignoring request.`
    Authentication(u32),
    /// `Requested Login Timeout %u larger than maximum %u`
    LoginTimeoutMax(u32),
    /// `Requested Logout Timeout %u smaller than minimum %u` (sic).
    LoginTimeoutMin(u32),
    /// `Illegal value %d` (a 0/1 flag; LIO prints the u32 as signed).
    Flag(u32),
    /// `Requested Default Queue Depth: %u larger than maximum %u`
    CmdsnDepthMax(u32),
    /// `Requested Default Queue Depth: %u smaller than minimum %u`
    CmdsnDepthMin(u32),
    /// `Illegal value for default_erl: %u`
    TpgDefaultErl(u32),
    /// `Illegal value for fabric_prot_type: %u`
    FabricProtType(u32),
    /// `Requested DataOut Timeout %u larger than maximum %u`
    DataoutTimeoutMax(u32),
    /// `Requested DataOut Timeout %u smaller than minimum %u`
    DataoutTimeoutMin(u32),
    /// `Requested DataOut Timeout Retries %u larger than maximum %u`
    DataoutRetriesMax(u32),
    /// `Requested DataOut Timeout Retries %u smaller than minimum %u`
    DataoutRetriesMin(u32),
    /// `Requested NopIn Timeout %u larger than maximum %u`
    NopinTimeoutMax(u32),
    /// `Requested NopIn Timeout %u smaller than minimum %u and not 0`
    NopinTimeoutMin(u32),
    /// `Requested NopIn Response Timeout %u larger than maximum %u`
    NopinResponseMax(u32),
    /// `Requested NopIn Response Timeout %u smaller than minimum %u`
    NopinResponseMin(u32),
    /// `Requested Random DataIN PDU Offsets: %u not 0 or 1`
    RandomDatainPdu(u32),
    /// `Requested Random DataIN Sequence Offsets: %u not 0 or 1`
    RandomDatainSeq(u32),
    /// `Requested Random R2T Offsets: %u not 0 or 1`
    RandomR2t(u32),
    /// `Requested default ERL: %u not 0, 1, or 2`
    NaclDefaultErl(u32),
    /// A refusal LIO does not log.
    Silent,
}

impl fmt::Display for AttrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AttrError as E;
        match *self {
            E::Authentication(v) => write!(
                f,
                "Illegal value for authentication parameter: {v}, ignoring request."
            ),
            E::LoginTimeoutMax(v) => write!(
                f,
                "Requested Login Timeout {v} larger than maximum {TA_LOGIN_TIMEOUT_MAX}"
            ),
            E::LoginTimeoutMin(v) => write!(
                f,
                "Requested Logout Timeout {v} smaller than minimum {TA_LOGIN_TIMEOUT_MIN}"
            ),
            E::Flag(v) => write!(f, "Illegal value {}", v as i32),
            E::CmdsnDepthMax(v) => write!(
                f,
                "Requested Default Queue Depth: {v} larger than maximum {TA_DEFAULT_CMDSN_DEPTH_MAX}"
            ),
            E::CmdsnDepthMin(v) => write!(
                f,
                "Requested Default Queue Depth: {v} smaller than minimum {TA_DEFAULT_CMDSN_DEPTH_MIN}"
            ),
            E::TpgDefaultErl(v) => write!(f, "Illegal value for default_erl: {v}"),
            E::FabricProtType(v) => write!(f, "Illegal value for fabric_prot_type: {v}"),
            E::DataoutTimeoutMax(v) => write!(
                f,
                "Requested DataOut Timeout {v} larger than maximum {NA_DATAOUT_TIMEOUT_MAX}"
            ),
            E::DataoutTimeoutMin(v) => write!(
                f,
                "Requested DataOut Timeout {v} smaller than minimum {NA_DATAOUT_TIMEOUT_MIN}"
            ),
            E::DataoutRetriesMax(v) => write!(
                f,
                "Requested DataOut Timeout Retries {v} larger than maximum {NA_DATAOUT_TIMEOUT_RETRIES_MAX}"
            ),
            E::DataoutRetriesMin(v) => write!(
                f,
                "Requested DataOut Timeout Retries {v} smaller than minimum {NA_DATAOUT_TIMEOUT_RETRIES_MIN}"
            ),
            E::NopinTimeoutMax(v) => write!(
                f,
                "Requested NopIn Timeout {v} larger than maximum {NA_NOPIN_TIMEOUT_MAX}"
            ),
            E::NopinTimeoutMin(v) => write!(
                f,
                "Requested NopIn Timeout {v} smaller than minimum {NA_NOPIN_TIMEOUT_MIN} and not 0"
            ),
            E::NopinResponseMax(v) => write!(
                f,
                "Requested NopIn Response Timeout {v} larger than maximum {NA_NOPIN_RESPONSE_TIMEOUT_MAX}"
            ),
            E::NopinResponseMin(v) => write!(
                f,
                "Requested NopIn Response Timeout {v} smaller than minimum {NA_NOPIN_RESPONSE_TIMEOUT_MIN}"
            ),
            E::RandomDatainPdu(v) => {
                write!(f, "Requested Random DataIN PDU Offsets: {v} not 0 or 1")
            }
            E::RandomDatainSeq(v) => {
                write!(f, "Requested Random DataIN Sequence Offsets: {v} not 0 or 1")
            }
            E::RandomR2t(v) => write!(f, "Requested Random R2T Offsets: {v} not 0 or 1"),
            E::NaclDefaultErl(v) => write!(f, "Requested default ERL: {v} not 0, 1, or 2"),
            E::Silent => Ok(()),
        }
    }
}

/// `TA_LOGIN_TIMEOUT_MAX`.
pub(crate) const TA_LOGIN_TIMEOUT_MAX: u32 = 30;
/// `TA_LOGIN_TIMEOUT_MIN`.
pub(crate) const TA_LOGIN_TIMEOUT_MIN: u32 = 5;
/// `TA_DEFAULT_CMDSN_DEPTH_MAX`.
pub(crate) const TA_DEFAULT_CMDSN_DEPTH_MAX: u32 = 512;
/// `TA_DEFAULT_CMDSN_DEPTH_MIN`.
pub(crate) const TA_DEFAULT_CMDSN_DEPTH_MIN: u32 = 1;
/// `NA_DATAOUT_TIMEOUT_MAX`.
pub(crate) const NA_DATAOUT_TIMEOUT_MAX: u32 = 60;
/// `NA_DATAOUT_TIMEOUT_MIX` (sic).
pub(crate) const NA_DATAOUT_TIMEOUT_MIN: u32 = 2;
/// `NA_DATAOUT_TIMEOUT_RETRIES_MAX`.
pub(crate) const NA_DATAOUT_TIMEOUT_RETRIES_MAX: u32 = 15;
/// `NA_DATAOUT_TIMEOUT_RETRIES_MIN`.
pub(crate) const NA_DATAOUT_TIMEOUT_RETRIES_MIN: u32 = 1;
/// `NA_NOPIN_TIMEOUT_MAX`.
pub(crate) const NA_NOPIN_TIMEOUT_MAX: u32 = 60;
/// `NA_NOPIN_TIMEOUT_MIN`.
pub(crate) const NA_NOPIN_TIMEOUT_MIN: u32 = 3;
/// `NA_NOPIN_RESPONSE_TIMEOUT_MAX`.
pub(crate) const NA_NOPIN_RESPONSE_TIMEOUT_MAX: u32 = 60;
/// `NA_NOPIN_RESPONSE_TIMEOUT_MIN`.
pub(crate) const NA_NOPIN_RESPONSE_TIMEOUT_MIN: u32 = 3;
/// `NA_AUTHENTICATION_INHERITED`.
pub(crate) const NA_AUTHENTICATION_INHERITED: i32 = -1;

fn flag(v: u32) -> Result<u32, AttrError> {
    if v > 1 {
        return Err(AttrError::Flag(v));
    }
    Ok(v)
}

/// The TPG attributes (`struct iscsi_tpg_attrib`), in `attrib/`'s order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TpgAttrib {
    /// `authentication` (`TA_AUTHENTICATION` 1).
    pub(crate) authentication: u32,
    /// `login_timeout` (15, 5..=30).
    pub(crate) login_timeout: u32,
    /// `generate_node_acls` (0): demo mode.
    pub(crate) generate_node_acls: u32,
    /// `default_cmdsn_depth` (64, 1..=512).
    pub(crate) default_cmdsn_depth: u32,
    /// `cache_dynamic_acls` (0).
    pub(crate) cache_dynamic_acls: u32,
    /// `demo_mode_write_protect` (1).
    pub(crate) demo_mode_write_protect: u32,
    /// `prod_mode_write_protect` (0).
    pub(crate) prod_mode_write_protect: u32,
    /// `demo_mode_discovery` (1).
    pub(crate) demo_mode_discovery: u32,
    /// `default_erl` (0).
    pub(crate) default_erl: u32,
    /// `t10_pi` (0).
    pub(crate) t10_pi: u32,
    /// `fabric_prot_type` (0; 0, 1 or 3).
    pub(crate) fabric_prot_type: u32,
    /// `tpg_enabled_sendtargets` (1).
    pub(crate) tpg_enabled_sendtargets: u32,
    /// `login_keys_workaround` (1).
    pub(crate) login_keys_workaround: u32,
}

impl Default for TpgAttrib {
    /// `iscsit_set_default_tpg_attribs()`.
    fn default() -> Self {
        TpgAttrib {
            authentication: 1,
            login_timeout: 15,
            generate_node_acls: 0,
            default_cmdsn_depth: 64,
            cache_dynamic_acls: 0,
            demo_mode_write_protect: 1,
            prod_mode_write_protect: 0,
            demo_mode_discovery: 1,
            default_erl: 0,
            t10_pi: 0,
            fabric_prot_type: 0,
            tpg_enabled_sendtargets: 1,
            login_keys_workaround: 1,
        }
    }
}

impl TpgAttrib {
    /// `iscsit_ta_login_timeout()`.
    pub(crate) fn set_login_timeout(&mut self, v: u32) -> Result<(), AttrError> {
        if v > TA_LOGIN_TIMEOUT_MAX {
            return Err(AttrError::LoginTimeoutMax(v));
        }
        if v < TA_LOGIN_TIMEOUT_MIN {
            return Err(AttrError::LoginTimeoutMin(v));
        }
        self.login_timeout = v;
        Ok(())
    }

    /// `iscsit_ta_generate_node_acls()`: demo mode also caches the dynamic ACLs.
    pub(crate) fn set_generate_node_acls(&mut self, v: u32) -> Result<(), AttrError> {
        self.generate_node_acls = flag(v)?;
        if v == 1 && self.cache_dynamic_acls == 0 {
            self.cache_dynamic_acls = 1;
        }
        Ok(())
    }

    /// `iscsit_ta_default_cmdsn_depth()`.
    pub(crate) fn set_default_cmdsn_depth(&mut self, v: u32) -> Result<(), AttrError> {
        if v > TA_DEFAULT_CMDSN_DEPTH_MAX {
            return Err(AttrError::CmdsnDepthMax(v));
        }
        if v < TA_DEFAULT_CMDSN_DEPTH_MIN {
            return Err(AttrError::CmdsnDepthMin(v));
        }
        self.default_cmdsn_depth = v;
        Ok(())
    }

    /// `iscsit_ta_cache_dynamic_acls()`: 0 is ignored (and accepted) in demo mode.
    pub(crate) fn set_cache_dynamic_acls(&mut self, v: u32) -> Result<(), AttrError> {
        let v = flag(v)?;
        if self.generate_node_acls == 1 && v == 0 {
            return Ok(());
        }
        self.cache_dynamic_acls = v;
        Ok(())
    }

    /// `iscsit_ta_demo_mode_write_protect()`.
    pub(crate) fn set_demo_mode_write_protect(&mut self, v: u32) -> Result<(), AttrError> {
        self.demo_mode_write_protect = flag(v)?;
        Ok(())
    }

    /// `iscsit_ta_prod_mode_write_protect()`.
    pub(crate) fn set_prod_mode_write_protect(&mut self, v: u32) -> Result<(), AttrError> {
        self.prod_mode_write_protect = flag(v)?;
        Ok(())
    }

    /// `iscsit_ta_demo_mode_discovery()`.
    pub(crate) fn set_demo_mode_discovery(&mut self, v: u32) -> Result<(), AttrError> {
        self.demo_mode_discovery = flag(v)?;
        Ok(())
    }

    /// `iscsit_ta_default_erl()`.
    pub(crate) fn set_default_erl(&mut self, v: u32) -> Result<(), AttrError> {
        if v > 2 {
            return Err(AttrError::TpgDefaultErl(v));
        }
        self.default_erl = v;
        Ok(())
    }

    /// `iscsit_ta_t10_pi()`.
    pub(crate) fn set_t10_pi(&mut self, v: u32) -> Result<(), AttrError> {
        self.t10_pi = flag(v)?;
        Ok(())
    }

    /// `iscsit_ta_fabric_prot_type()`.
    pub(crate) fn set_fabric_prot_type(&mut self, v: u32) -> Result<(), AttrError> {
        if v != 0 && v != 1 && v != 3 {
            return Err(AttrError::FabricProtType(v));
        }
        self.fabric_prot_type = v;
        Ok(())
    }

    /// `iscsit_ta_tpg_enabled_sendtargets()`.
    pub(crate) fn set_tpg_enabled_sendtargets(&mut self, v: u32) -> Result<(), AttrError> {
        self.tpg_enabled_sendtargets = flag(v)?;
        Ok(())
    }

    /// `iscsit_ta_login_keys_workaround()`.
    pub(crate) fn set_login_keys_workaround(&mut self, v: u32) -> Result<(), AttrError> {
        self.login_keys_workaround = flag(v)?;
        Ok(())
    }
}

/// Up to 255 bytes of text (an AuthMethod value being rewritten, a CHAP credential).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Text255 {
    len: u8,
    buf: [u8; VALUE_MAXLEN],
}

impl fmt::Debug for Text255 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.as_bytes() {
            write!(f, "{}", b as char)?;
        }
        Ok(())
    }
}

impl Text255 {
    /// Empty.
    pub(crate) const EMPTY: Self = Text255 {
        len: 0,
        buf: [0; VALUE_MAXLEN],
    };

    /// `snprintf(buf, 256, "%s", s)`: `s` up to its first NUL, cut to 255 bytes.
    pub(crate) fn new(s: &[u8]) -> Self {
        let s = match s.iter().position(|&b| b == 0) {
            Some(n) => s.get(..n).unwrap_or(s),
            None => s,
        };
        let s = s.get(..VALUE_MAXLEN).unwrap_or(s);
        let mut t = Self::EMPTY;
        if let Some(dst) = t.buf.get_mut(..s.len()) {
            dst.copy_from_slice(s);
        }
        t.len = s.len() as u8;
        t
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Appends `s`, cut at 255 bytes (`strlcat()` into 256 bytes).
    fn push(&mut self, s: &[u8]) {
        for &b in s {
            if usize::from(self.len) >= VALUE_MAXLEN {
                break;
            }
            if let Some(d) = self.buf.get_mut(usize::from(self.len)) {
                *d = b;
            }
            self.len += 1;
        }
    }
}

/// Where `needle` first occurs in `hay` (`strstr()`).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `iscsit_ta_authentication()`'s AuthMethod rewrite: the new value, or `None` to keep
/// the current one. Enforcing authentication removes `None` from the list, not enforcing
/// it appends `,None` unless `None` is already there. (A value that starts with `None`
/// without a comma after it is kept: LIO writes before its buffer there.)
pub(crate) fn authmethod_for(current: &[u8], authentication: bool) -> Option<Text255> {
    let buf1 = Text255::new(current);
    let v = buf1.as_bytes();
    let none = find(v, b"None");
    if authentication {
        let i = none?;
        if v.get(i + 4) == Some(&b',') {
            if i == 0 {
                return Some(Text255::new(v.get(5..).unwrap_or(&[])));
            }
            let mut out = Text255::new(v.get(..i - 1).unwrap_or(&[]));
            out.push(v.get(i + 4..).unwrap_or(&[]));
            Some(out)
        } else if i == 0 {
            None
        } else {
            Some(Text255::new(v.get(..i - 1).unwrap_or(&[])))
        }
    } else {
        if none.is_some() {
            return None;
        }
        let mut out = buf1;
        out.push(b",None");
        Some(out)
    }
}

/// The node ACL attributes (`struct iscsi_node_attrib`), in `attrib/`'s order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeAttrib {
    /// `dataout_timeout` (3, 2..=60).
    pub(crate) dataout_timeout: u32,
    /// `dataout_timeout_retries` (5, 1..=15).
    pub(crate) dataout_timeout_retries: u32,
    /// `default_erl` (the TPG's).
    pub(crate) default_erl: u32,
    /// `nopin_timeout` (15, 3..=60 or 0).
    pub(crate) nopin_timeout: u32,
    /// `nopin_response_timeout` (30, 3..=60).
    pub(crate) nopin_response_timeout: u32,
    /// `random_datain_pdu_offsets` (0).
    pub(crate) random_datain_pdu_offsets: u32,
    /// `random_datain_seq_offsets` (0).
    pub(crate) random_datain_seq_offsets: u32,
    /// `random_r2t_offsets` (0).
    pub(crate) random_r2t_offsets: u32,
    /// `authentication`: -1 (inherit the TPG's), 0 or 1.
    pub(crate) authentication: i32,
}

impl NodeAttrib {
    /// `iscsit_set_default_node_attribues()` for an ACL of a TPG whose `default_erl` is
    /// `tpg_default_erl`.
    pub(crate) fn new(tpg_default_erl: u32) -> Self {
        NodeAttrib {
            dataout_timeout: 3,
            dataout_timeout_retries: 5,
            default_erl: tpg_default_erl,
            nopin_timeout: 15,
            nopin_response_timeout: 30,
            random_datain_pdu_offsets: 0,
            random_datain_seq_offsets: 0,
            random_r2t_offsets: 0,
            authentication: NA_AUTHENTICATION_INHERITED,
        }
    }

    /// `iscsit_na_dataout_timeout()`.
    pub(crate) fn set_dataout_timeout(&mut self, v: u32) -> Result<(), AttrError> {
        if v > NA_DATAOUT_TIMEOUT_MAX {
            return Err(AttrError::DataoutTimeoutMax(v));
        }
        if v < NA_DATAOUT_TIMEOUT_MIN {
            return Err(AttrError::DataoutTimeoutMin(v));
        }
        self.dataout_timeout = v;
        Ok(())
    }

    /// `iscsit_na_dataout_timeout_retries()`.
    pub(crate) fn set_dataout_timeout_retries(&mut self, v: u32) -> Result<(), AttrError> {
        if v > NA_DATAOUT_TIMEOUT_RETRIES_MAX {
            return Err(AttrError::DataoutRetriesMax(v));
        }
        if v < NA_DATAOUT_TIMEOUT_RETRIES_MIN {
            return Err(AttrError::DataoutRetriesMin(v));
        }
        self.dataout_timeout_retries = v;
        Ok(())
    }

    /// `iscsit_na_default_erl()`.
    pub(crate) fn set_default_erl(&mut self, v: u32) -> Result<(), AttrError> {
        if v > 2 {
            return Err(AttrError::NaclDefaultErl(v));
        }
        self.default_erl = v;
        Ok(())
    }

    /// `iscsit_na_nopin_timeout()`. (Re-arming the NopIn timer of logged-in connections
    /// when it was 0 is the session code's part.)
    pub(crate) fn set_nopin_timeout(&mut self, v: u32) -> Result<(), AttrError> {
        if v > NA_NOPIN_TIMEOUT_MAX {
            return Err(AttrError::NopinTimeoutMax(v));
        }
        if v < NA_NOPIN_TIMEOUT_MIN && v != 0 {
            return Err(AttrError::NopinTimeoutMin(v));
        }
        self.nopin_timeout = v;
        Ok(())
    }

    /// `iscsit_na_nopin_response_timeout()`.
    pub(crate) fn set_nopin_response_timeout(&mut self, v: u32) -> Result<(), AttrError> {
        if v > NA_NOPIN_RESPONSE_TIMEOUT_MAX {
            return Err(AttrError::NopinResponseMax(v));
        }
        if v < NA_NOPIN_RESPONSE_TIMEOUT_MIN {
            return Err(AttrError::NopinResponseMin(v));
        }
        self.nopin_response_timeout = v;
        Ok(())
    }

    /// `iscsit_na_random_datain_pdu_offsets()`.
    pub(crate) fn set_random_datain_pdu_offsets(&mut self, v: u32) -> Result<(), AttrError> {
        if v > 1 {
            return Err(AttrError::RandomDatainPdu(v));
        }
        self.random_datain_pdu_offsets = v;
        Ok(())
    }

    /// `iscsit_na_random_datain_seq_offsets()`.
    pub(crate) fn set_random_datain_seq_offsets(&mut self, v: u32) -> Result<(), AttrError> {
        if v > 1 {
            return Err(AttrError::RandomDatainSeq(v));
        }
        self.random_datain_seq_offsets = v;
        Ok(())
    }

    /// `iscsit_na_random_r2t_offsets()`.
    pub(crate) fn set_random_r2t_offsets(&mut self, v: u32) -> Result<(), AttrError> {
        if v > 1 {
            return Err(AttrError::RandomR2t(v));
        }
        self.random_r2t_offsets = v;
        Ok(())
    }

    /// `authentication` (a `kstrtos32` value): -1, 0 or 1, refused silently otherwise.
    pub(crate) fn set_authentication(&mut self, v: i32) -> Result<(), AttrError> {
        if v != 0 && v != 1 && v != NA_AUTHENTICATION_INHERITED {
            return Err(AttrError::Silent);
        }
        self.authentication = v;
        Ok(())
    }
}

/// `NAF_USERID_SET`.
pub(crate) const NAF_USERID_SET: u32 = 0x01;
/// `NAF_PASSWORD_SET`.
pub(crate) const NAF_PASSWORD_SET: u32 = 0x02;
/// `NAF_USERID_IN_SET`.
pub(crate) const NAF_USERID_IN_SET: u32 = 0x04;
/// `NAF_PASSWORD_IN_SET`.
pub(crate) const NAF_PASSWORD_IN_SET: u32 = 0x08;
/// `MAX_USER_LEN` = `MAX_PASS_LEN`.
pub(crate) const MAX_AUTH_LEN: usize = 256;

/// One of the four CHAP credentials of an `auth/` directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthField {
    /// `userid` (`NAF_USERID_SET`).
    Userid,
    /// `password` (`NAF_PASSWORD_SET`).
    Password,
    /// `userid_mutual` (`NAF_USERID_IN_SET`).
    UseridMutual,
    /// `password_mutual` (`NAF_PASSWORD_IN_SET`).
    PasswordMutual,
}

impl AuthField {
    fn flag(self) -> u32 {
        match self {
            Self::Userid => NAF_USERID_SET,
            Self::Password => NAF_PASSWORD_SET,
            Self::UseridMutual => NAF_USERID_IN_SET,
            Self::PasswordMutual => NAF_PASSWORD_IN_SET,
        }
    }
}

/// CHAP credentials (`struct iscsi_node_auth`) of a node ACL, a TPG's demo mode or
/// discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeAuth {
    /// `userid`.
    pub(crate) userid: Text255,
    /// `password`.
    pub(crate) password: Text255,
    /// `userid_mutual`.
    pub(crate) userid_mutual: Text255,
    /// `password_mutual`.
    pub(crate) password_mutual: Text255,
    /// `naf_flags`.
    pub(crate) naf_flags: u32,
    /// `authenticate_target`: mutual credentials are both set.
    pub(crate) authenticate_target: i32,
    /// `enforce_discovery_auth` (discovery only).
    pub(crate) enforce_discovery_auth: i32,
}

impl Default for NodeAuth {
    fn default() -> Self {
        NodeAuth {
            userid: Text255::EMPTY,
            password: Text255::EMPTY,
            userid_mutual: Text255::EMPTY,
            password_mutual: Text255::EMPTY,
            naf_flags: 0,
            authenticate_target: 0,
            enforce_discovery_auth: 0,
        }
    }
}

impl NodeAuth {
    /// The field's value.
    pub(crate) fn get(&self, field: AuthField) -> &[u8] {
        match field {
            AuthField::Userid => self.userid.as_bytes(),
            AuthField::Password => self.password.as_bytes(),
            AuthField::UseridMutual => self.userid_mutual.as_bytes(),
            AuthField::PasswordMutual => self.password_mutual.as_bytes(),
        }
    }

    /// A write of `input` (`count` bytes) to the field. `limit_count`: ACL and discovery
    /// credentials refuse writes of 256 bytes or more (`EINVAL`, not logged); the TPG's
    /// cut them. The text is kept as written, newline included; a value starting with
    /// `NULL` clears the field's flag (but is stored).
    pub(crate) fn store(
        &mut self,
        field: AuthField,
        input: &[u8],
        limit_count: bool,
    ) -> Result<(), AttrError> {
        if limit_count && input.len() >= MAX_AUTH_LEN {
            return Err(AttrError::Silent);
        }
        let v = Text255::new(input);
        let flag = field.flag();
        if v.as_bytes().starts_with(b"NULL") {
            self.naf_flags &= !flag;
        } else {
            self.naf_flags |= flag;
        }
        match field {
            AuthField::Userid => self.userid = v,
            AuthField::Password => self.password = v,
            AuthField::UseridMutual => self.userid_mutual = v,
            AuthField::PasswordMutual => self.password_mutual = v,
        }
        let mutual = NAF_USERID_IN_SET | NAF_PASSWORD_IN_SET;
        self.authenticate_target = i32::from(self.naf_flags & mutual == mutual);
        Ok(())
    }
}

/// The message LIO logs when `iscsi_change_param_value()` refuses a `param/` write.
pub(crate) struct ParamErrorText(pub(crate) ParamError);

impl fmt::Display for ParamErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ParamError::IllegalValue(k) => {
                let name = k.name();
                match k.def().type_range {
                    TypeRange::BoolAnd | TypeRange::BoolOr => write!(
                        f,
                        "Illegal value for \"{name}\", must be either \"Yes\" or \"No\"."
                    ),
                    TypeRange::Auth => write!(
                        f,
                        "Illegal value for \"{name}\", must be \"KRB5\", \"SPKM1\", \"SPKM2\", \
                         \"SRP\", \"CHAP\" or \"None\"."
                    ),
                    TypeRange::Digest => write!(
                        f,
                        "Illegal value for \"{name}\", must be \"CRC32C\" or \"None\"."
                    ),
                    TypeRange::SessionType => write!(
                        f,
                        "Illegal value for \"{name}\", must be \"Discovery\" or \"Normal\"."
                    ),
                    r => match r.range() {
                        Some((lo, hi)) => write!(
                            f,
                            "Illegal value for \"{name}\", must be between {lo} and {hi}."
                        ),
                        None => write!(f, "Illegal value for \"{name}\"."),
                    },
                }
            }
            ParamError::ValueListNotAllowed(k) => write!(
                f,
                "Detected value separator \",\", but key \"{}\" does not allow a value list, \
                 protocol error.",
                k.name()
            ),
            ParamError::ValueTooLong => write!(f, "Value exceeds {VALUE_MAXLEN}, protocol error."),
            ParamError::IllegalReject(k) => write!(f, "Received {}=Reject", k.name()),
            ParamError::IllegalNotUnderstood(k) => write!(
                f,
                "Standard iSCSI key \"{}\" cannot be answered with \"NotUnderstood\", \
                 protocol error.",
                k.name()
            ),
            ParamError::KeyNotChangeable(k) => {
                write!(f, "Received key \"{}\" twice, protocol error.", k.name())
            }
            _ => write!(f, "Unable to change iSCSI parameter."),
        }
    }
}

/// The `param/` keys of a TPG, in LIO's order (`lio_target_tpg_param_attrs`).
pub(crate) const TPG_PARAM_KEYS: [IscsiParamKey; 21] = [
    IscsiParamKey::AuthMethod,
    IscsiParamKey::HeaderDigest,
    IscsiParamKey::DataDigest,
    IscsiParamKey::MaxConnections,
    IscsiParamKey::TargetAlias,
    IscsiParamKey::InitialR2T,
    IscsiParamKey::ImmediateData,
    IscsiParamKey::MaxRecvDataSegmentLength,
    IscsiParamKey::MaxXmitDataSegmentLength,
    IscsiParamKey::MaxBurstLength,
    IscsiParamKey::FirstBurstLength,
    IscsiParamKey::DefaultTime2Wait,
    IscsiParamKey::DefaultTime2Retain,
    IscsiParamKey::MaxOutstandingR2T,
    IscsiParamKey::DataPDUInOrder,
    IscsiParamKey::DataSequenceInOrder,
    IscsiParamKey::ErrorRecoveryLevel,
    IscsiParamKey::IFMarker,
    IscsiParamKey::OFMarker,
    IscsiParamKey::IFMarkInt,
    IscsiParamKey::OFMarkInt,
];

/// What a configfs `param/Key` write becomes: `Key=` + the text up to its first NUL, one
/// trailing whitespace character dropped (`isspace(buf[len-1])`), at most a page.
pub(crate) fn param_store_text<'a>(
    key: IscsiParamKey,
    input: &[u8],
    buf: &'a mut [u8],
) -> &'a [u8] {
    let input = match input.iter().position(|&b| b == 0) {
        Some(n) => input.get(..n).unwrap_or(input),
        None => input,
    };
    let name = key.name().as_bytes();
    // snprintf(buf, PAGE_SIZE, ...) keeps at most PAGE_SIZE - 1 bytes.
    let cap = buf.len().saturating_sub(1);
    let mut len = 0;
    for &b in name.iter().chain(b"=").chain(input) {
        if len >= cap {
            break;
        }
        if let Some(d) = buf.get_mut(len) {
            *d = b;
        }
        len += 1;
    }
    if let Some(&last) = buf.get(len.wrapping_sub(1)) {
        if len > 0 && matches!(last, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            len -= 1;
        }
    }
    buf.get(..len).unwrap_or(&[])
}

/// Why `cpulist_parse()` refused a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CpuListError {
    /// `-EINVAL`: a malformed region.
    Invalid,
    /// `-ERANGE`: a CPU number past the mask.
    Range,
    /// `-EOVERFLOW`: a number beyond 32 bits.
    Overflow,
}

/// Parses a decimal number or `N` (the last bit), as `bitmap_getnum()`.
fn getnum(s: &[u8], lastbit: u32) -> Result<(u32, &[u8]), CpuListError> {
    if let [b'N', rest @ ..] = s {
        return Ok((lastbit, rest));
    }
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return Err(CpuListError::Invalid);
    }
    let mut v: u64 = 0;
    for &c in s.get(..n).unwrap_or(&[]) {
        v = v.saturating_mul(10).saturating_add(u64::from(c - b'0'));
    }
    let v = u32::try_from(v).map_err(|_| CpuListError::Overflow)?;
    Ok((v, s.get(n..).unwrap_or(&[])))
}

fn end_of_str(s: &[u8]) -> bool {
    matches!(s.first(), None | Some(0) | Some(b'\n'))
}

fn kspace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn end_of_region(s: &[u8]) -> bool {
    end_of_str(s) || matches!(s.first(), Some(&c) if kspace(c) || c == b',')
}

/// `bitmap_parselist(buf, mask, nbits)` (= `cpulist_parse()` with `nr_cpu_ids` bits):
/// calls `set` for each bit of the list (the caller clears its mask first); on error the
/// bits set so far stay set, as in the kernel.
pub(crate) fn bitmap_parselist(
    buf: &[u8],
    nbits: u32,
    mut set: impl FnMut(u32),
) -> Result<(), CpuListError> {
    let lastbit = nbits.wrapping_sub(1);
    let mut s = buf;
    loop {
        // bitmap_find_region(): skip commas and spaces.
        while matches!(s.first(), Some(&c) if kspace(c) || c == b',') {
            s = s.get(1..).unwrap_or(&[]);
        }
        if end_of_str(s) {
            return Ok(());
        }
        // bitmap_parse_region().
        let (start, end, off, group_len);
        let mut pattern = false;
        if s.len() >= 3 && s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"all")) {
            start = 0;
            end = lastbit;
            s = s.get(3..).unwrap_or(&[]);
            pattern = true;
        } else {
            let (v, rest) = getnum(s, lastbit)?;
            start = v;
            s = rest;
            if end_of_region(s) {
                end = start;
            } else {
                if s.first() != Some(&b'-') {
                    return Err(CpuListError::Invalid);
                }
                let (v, rest) = getnum(s.get(1..).unwrap_or(&[]), lastbit)?;
                end = v;
                s = rest;
                pattern = true;
            }
        }
        if pattern && !end_of_region(s) {
            if s.first() != Some(&b':') {
                return Err(CpuListError::Invalid);
            }
            let (o, rest) = getnum(s.get(1..).unwrap_or(&[]), lastbit)?;
            if rest.first() != Some(&b'/') {
                return Err(CpuListError::Invalid);
            }
            let (g, rest) = getnum(rest.get(1..).unwrap_or(&[]), lastbit)?;
            off = o;
            group_len = g;
            s = rest;
        } else {
            off = end.wrapping_add(1);
            group_len = end.wrapping_add(1);
        }
        // bitmap_check_region().
        if start > end || group_len == 0 || off > group_len {
            return Err(CpuListError::Invalid);
        }
        if end >= nbits {
            return Err(CpuListError::Range);
        }
        // bitmap_set_region().
        let mut g = start;
        loop {
            let n = (end - g + 1).min(off);
            for b in g..g.saturating_add(n) {
                set(b);
            }
            match g.checked_add(group_len) {
                Some(next) if next <= end => g = next,
                _ => break,
            }
        }
        if end_of_str(s) {
            return Ok(());
        }
        if !end_of_region(s) {
            return Err(CpuListError::Invalid);
        }
    }
}

/// `%*pbl`: the set bits below `nbits` as a list of ranges (`0-3,5`).
pub(crate) fn write_bitmap_list(
    f: &mut dyn fmt::Write,
    nbits: u32,
    is_set: impl Fn(u32) -> bool,
) -> fmt::Result {
    let mut first = true;
    let mut b = 0;
    while b < nbits {
        if !is_set(b) {
            b += 1;
            continue;
        }
        let start = b;
        while b + 1 < nbits && is_set(b + 1) {
            b += 1;
        }
        if !first {
            f.write_str(",")?;
        }
        first = false;
        if start == b {
            write!(f, "{start}")?;
        } else {
            write!(f, "{start}-{b}")?;
        }
        b += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn s(t: &Text255) -> String {
        String::from_utf8(t.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn tpg_attrib_defaults_and_ranges() {
        let mut a = TpgAttrib::default();
        assert_eq!(a.default_cmdsn_depth, 64);
        assert_eq!(a.set_login_timeout(31), Err(AttrError::LoginTimeoutMax(31)));
        assert_eq!(a.set_login_timeout(4), Err(AttrError::LoginTimeoutMin(4)));
        assert_eq!(a.set_login_timeout(30), Ok(()));
        assert_eq!(
            a.set_default_cmdsn_depth(0),
            Err(AttrError::CmdsnDepthMin(0))
        );
        assert_eq!(
            a.set_default_cmdsn_depth(513),
            Err(AttrError::CmdsnDepthMax(513))
        );
        assert_eq!(a.set_default_erl(3), Err(AttrError::TpgDefaultErl(3)));
        assert_eq!(a.set_fabric_prot_type(2), Err(AttrError::FabricProtType(2)));
        assert_eq!(a.set_fabric_prot_type(3), Ok(()));
        assert_eq!(a.set_t10_pi(2), Err(AttrError::Flag(2)));
        assert_eq!(
            std::format!("{}", AttrError::Flag(u32::MAX)),
            "Illegal value -1"
        );
        assert_eq!(
            std::format!("{}", AttrError::LoginTimeoutMin(4)),
            "Requested Logout Timeout 4 smaller than minimum 5"
        );
    }

    #[test]
    fn demo_mode_caches_acls() {
        let mut a = TpgAttrib::default();
        a.set_generate_node_acls(1).unwrap();
        assert_eq!(a.cache_dynamic_acls, 1);
        // cache_dynamic_acls=0 is accepted and ignored in demo mode.
        assert_eq!(a.set_cache_dynamic_acls(0), Ok(()));
        assert_eq!(a.cache_dynamic_acls, 1);
        a.set_generate_node_acls(0).unwrap();
        a.set_cache_dynamic_acls(0).unwrap();
        assert_eq!(a.cache_dynamic_acls, 0);
        assert_eq!(a.set_cache_dynamic_acls(2), Err(AttrError::Flag(2)));
    }

    #[test]
    fn authmethod_rewrites() {
        let r = |v: &str, a| authmethod_for(v.as_bytes(), a).map(|t| s(&t));
        assert_eq!(r("CHAP", true), None);
        assert_eq!(r("CHAP,None", true).as_deref(), Some("CHAP"));
        assert_eq!(r("None,CHAP", true).as_deref(), Some("CHAP"));
        assert_eq!(r("CHAP,None,KRB5", true).as_deref(), Some("CHAP,KRB5"));
        assert_eq!(r("None", true), None);
        assert_eq!(r("CHAP", false).as_deref(), Some("CHAP,None"));
        assert_eq!(r("None", false), None);
        assert_eq!(r("CHAP,None", false), None);
    }

    #[test]
    fn node_attrib_ranges() {
        let mut n = NodeAttrib::new(2);
        assert_eq!(n.default_erl, 2);
        assert_eq!(n.authentication, -1);
        assert_eq!(
            n.set_dataout_timeout(1),
            Err(AttrError::DataoutTimeoutMin(1))
        );
        assert_eq!(
            n.set_dataout_timeout(61),
            Err(AttrError::DataoutTimeoutMax(61))
        );
        assert_eq!(
            n.set_dataout_timeout_retries(0),
            Err(AttrError::DataoutRetriesMin(0))
        );
        assert_eq!(n.set_nopin_timeout(0), Ok(()));
        assert_eq!(n.set_nopin_timeout(2), Err(AttrError::NopinTimeoutMin(2)));
        assert_eq!(
            n.set_nopin_response_timeout(2),
            Err(AttrError::NopinResponseMin(2))
        );
        assert_eq!(n.set_random_r2t_offsets(2), Err(AttrError::RandomR2t(2)));
        assert_eq!(n.set_default_erl(3), Err(AttrError::NaclDefaultErl(3)));
        assert_eq!(n.set_authentication(2), Err(AttrError::Silent));
        assert_eq!(n.set_authentication(-1), Ok(()));
    }

    #[test]
    fn auth_credentials() {
        let mut a = NodeAuth::default();
        a.store(AuthField::Userid, b"user\n", true).unwrap();
        assert_eq!(a.get(AuthField::Userid), b"user\n");
        assert_eq!(a.naf_flags, NAF_USERID_SET);
        assert_eq!(a.authenticate_target, 0);
        a.store(AuthField::UseridMutual, b"m", true).unwrap();
        a.store(AuthField::PasswordMutual, b"p", true).unwrap();
        assert_eq!(a.authenticate_target, 1);
        a.store(AuthField::PasswordMutual, b"NULL\n", true).unwrap();
        assert_eq!(a.authenticate_target, 0);
        assert_eq!(a.get(AuthField::PasswordMutual), b"NULL\n");
        let long = [b'a'; 256];
        assert_eq!(
            a.store(AuthField::Password, &long, true),
            Err(AttrError::Silent)
        );
        // The TPG's credentials are cut instead.
        a.store(AuthField::Password, &long, false).unwrap();
        assert_eq!(a.get(AuthField::Password).len(), 255);
    }

    #[test]
    fn param_texts() {
        let mut buf = [0u8; 64];
        let t = param_store_text(IscsiParamKey::TargetAlias, b"my alias\n", &mut buf);
        assert_eq!(t, b"TargetAlias=my alias");
        let t = param_store_text(IscsiParamKey::MaxConnections, b"2\n\n", &mut buf);
        assert_eq!(t, b"MaxConnections=2\n");
        let t = param_store_text(IscsiParamKey::MaxConnections, b"", &mut buf);
        assert_eq!(t, b"MaxConnections=");
        let e = ParamErrorText(ParamError::IllegalValue(IscsiParamKey::MaxConnections));
        assert_eq!(
            std::format!("{e}"),
            "Illegal value for \"MaxConnections\", must be between 1 and 65535."
        );
        let e = ParamErrorText(ParamError::IllegalValue(IscsiParamKey::InitialR2T));
        assert_eq!(
            std::format!("{e}"),
            "Illegal value for \"InitialR2T\", must be either \"Yes\" or \"No\"."
        );
    }

    fn parse(s: &str, nbits: u32) -> Result<Vec<u32>, CpuListError> {
        let mut v = Vec::new();
        bitmap_parselist(s.as_bytes(), nbits, |b| v.push(b))?;
        v.sort();
        v.dedup();
        Ok(v)
    }

    #[test]
    fn cpulists() {
        assert_eq!(parse("0-1\n", 2), Ok(std::vec![0, 1]));
        assert_eq!(parse("1", 2), Ok(std::vec![1]));
        assert_eq!(parse("", 2), Ok(std::vec![]));
        assert_eq!(parse("0,1", 2), Ok(std::vec![0, 1]));
        assert_eq!(parse(" ,0 ", 2), Ok(std::vec![0]));
        assert_eq!(parse("all", 4), Ok(std::vec![0, 1, 2, 3]));
        assert_eq!(parse("N", 4), Ok(std::vec![3]));
        assert_eq!(parse("0-7:2/4", 8), Ok(std::vec![0, 1, 4, 5]));
        assert_eq!(parse("2", 2), Err(CpuListError::Range));
        assert_eq!(parse("1-0", 2), Err(CpuListError::Invalid));
        assert_eq!(parse("x", 2), Err(CpuListError::Invalid));
        assert_eq!(parse("0x1", 2), Err(CpuListError::Invalid));
        assert_eq!(parse("99999999999", 2), Err(CpuListError::Overflow));
        let mut out = String::new();
        write_bitmap_list(&mut out, 8, |b| [0, 1, 2, 5, 7].contains(&b)).unwrap();
        assert_eq!(out, "0-2,5,7");
        let mut out = String::new();
        write_bitmap_list(&mut out, 2, |_| true).unwrap();
        assert_eq!(out, "0-1");
    }
}
