// SPDX-License-Identifier: GPL-2.0

//! An iSCSI connection over TCP (LIO: `iscsi_target_login.c`, `iscsi_target_nego.c`,
//! `iscsi_target.c`): one kernel thread per connection receives each PDU, handles it and
//! sends what answers it.
//!
//! - Login: Login Request/Response with CSG/NSG transitions, security negotiation
//!   (AuthMethod None or CHAP, one-way or mutual, with the ACL's, the TPG's demo-mode or
//!   the discovery credentials), operational negotiation with the TPG's `param/` values,
//!   the portal's TPG found by TargetName, the initiator's ACL (demo mode when
//!   `generate_node_acls=1`), TSIH allocation and session reinstatement of an ISID.
//! - Full feature phase at ErrorRecoveryLevel 0 with one connection per session
//!   (ErrorRecoveryLevel and MaxConnections are negotiated down to 0 and 1): SCSI
//!   commands are executed by the core one at a time, in the order they arrive, with
//!   immediate, unsolicited and solicited (R2T) data-out, Data-In PDUs with the status in
//!   the last one when there is no sense, SCSI Responses with sense and residuals, the
//!   CmdSN window of the ACL's queue depth, NOP-Out/NOP-In (and target pings per
//!   `nopin_timeout`), Text (SendTargets), Task Management and Logout; header and data
//!   digests. A malformed PDU is rejected (Reject PDU) or closes the connection, as LIO
//!   does; a digest error closes the connection (ERL 0).

use crate::attrs::{NodeAuth, NAF_PASSWORD_SET, NAF_USERID_SET};
use crate::chap::{
    chap_main_loop, iscsi_auth_type, ChapDigest, ChapError, ChapHash, ChapResult, IscsiAuthType,
    IscsiChap, IscsiNodeAuth,
};
use crate::crc32c::{iscsi_digest_matches, iscsi_digest_to_wire, iscsi_pad_len, Crc32c};
use crate::np::IscsiNp;
use crate::params::{
    iscsi_find_text_value, IscsiConnOps, IscsiParamKey, IscsiParamList, IscsiSessOps,
    LoginTextResult,
};
use crate::pdu::*;
use crate::seq::{
    scsilun_to_int, write_sockaddr, BufWriter, DataInSeq, DataOutResult, WriteXfer, XferParams,
    RESERVED_TTT,
};
use crate::{global, new_param_list, IscsiNodeAcl, IscsiTiqn, IscsiTpg, SessInfo, TpgState};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::str::{BStr, CStr};
use kernel::sync::{Arc, Mutex};
use kernel::{c_str, new_mutex};
use target_core::fabric::{CmdData, DataDirection, SeSession, SeTpg};
use target_core::lio::bytes::kvec_from;
use target_core::lio::crypto;
use target_core::lio::net::{RecvError, SockAddr, Socket};
use target_core::lio::time::{get_jiffies_64, msleep_interruptible};

/// `TA_LOGIN_TIMEOUT`: seconds a login may take between two PDUs.
const LOGIN_TIMEOUT_MS: u32 = 15_000;
/// Largest AHS (TotalAHSLength is a byte of 4-byte words).
const MAX_AHS: usize = 255 * 4;
/// The most data a PDU may carry that we accept whatever was negotiated.
const MAX_RX_DATA: u32 = 16 * 1024 * 1024;
/// The largest command buffer (Expected Data Transfer Length) the target allocates.
const MAX_CMD_DATA: u32 = 32 * 1024 * 1024;
/// SAM status BUSY.
const SAM_STAT_BUSY: u8 = 0x08;
/// SAM status CHECK CONDITION.
const SAM_STAT_CHECK_CONDITION: u8 = 0x02;
/// Jiffies per second are not known here; the ping timeouts are counted in receive
/// timeouts (each `nopin_timeout` seconds) instead.
const NOPIN_MISSED_MAX: u32 = 2;

/// Login Response status: success.
const LOGIN_OK: LoginStatus = LoginStatus {
    status_class: ISCSI_STATUS_CLS_SUCCESS,
    status_detail: ISCSI_LOGIN_STATUS_ACCEPT,
};

/// A CHAP identifier counter (LIO: `tpg_chap_id`).
static CHAP_ID: AtomicU8 = AtomicU8::new(0);
/// `sid` and `session_index` counters.
static SESS_ID: AtomicU32 = AtomicU32::new(0);
/// TSIH counter of discovery sessions.
static DISC_TSIH: AtomicU32 = AtomicU32::new(0);

/// What other threads see of a connection: its socket (to shut it down) and the TPG it
/// logged into.
#[pin_data]
pub(crate) struct ConnShared {
    pub(crate) sock: Socket,
    /// The connection thread has ended (its entry may be reaped).
    pub(crate) done: AtomicBool,
    #[pin]
    tpg: Mutex<Option<Arc<SeTpg>>>,
}

impl ConnShared {
    pub(crate) fn new(sock: Socket) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(ConnShared {
                sock,
                done: AtomicBool::new(false),
                tpg <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether the connection logged into (or is logging into) `tpg`.
    pub(crate) fn is_on_tpg(&self, tpg: &Arc<SeTpg>) -> bool {
        self.tpg
            .lock()
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(t, tpg))
    }
}

/// A normal session as its TPG lists it (for ISID/TSIH matching and reinstatement).
pub(crate) struct IscsiSession {
    pub(crate) initiator_name: KVec<u8>,
    pub(crate) isid: [u8; 6],
    pub(crate) tsih: u16,
    pub(crate) conn: Arc<ConnShared>,
}

/// The sessions of a TPG and its TSIH counter (`ntsih`).
pub(crate) struct TpgSessions {
    pub(crate) list: KVec<Arc<IscsiSession>>,
    pub(crate) ntsih: u16,
}

impl TpgSessions {
    pub(crate) fn new() -> Self {
        TpgSessions {
            list: KVec::new(),
            ntsih: 0,
        }
    }
}

/// The connection thread: login, then the full feature phase, then cleanup.
pub(crate) fn conn_thread(np: Arc<IscsiNp>, shared: Arc<ConnShared>) {
    if let Ok(mut c) = Conn::new(shared.clone()) {
        shared.sock.set_recv_timeout(LOGIN_TIMEOUT_MS);
        if let Ok(mut li) = c.login(&np) {
            c.full_feature(&mut li);
            c.close(li);
        }
    }
    *shared.tpg.lock() = None;
    // The initiator sees the connection close now (FIN), not when the portal reaps the
    // entry at its next accept (`iscsit_close_connection()` releases the socket). Only the
    // sending side is shut: PDUs the initiator had already started (libiscsi writes a
    // Data-Out's header and payload in two calls, and only the first ignores SIGPIPE) are
    // queued unread instead of being answered with a reset.
    shared.sock.shutdown_send();
    // The portal's login thread reaps the entry; its handle holds a task reference, so
    // the thread may end now.
    shared.done.store(true, Ordering::Release);
}

/// CHAP digests through the kernel crypto API.
struct KernelHash;

fn chap_alg(d: ChapDigest) -> &'static CStr {
    match d {
        ChapDigest::Md5 => c_str!("md5"),
        ChapDigest::Sha1 => c_str!("sha1"),
        ChapDigest::Sha256 => c_str!("sha256"),
        ChapDigest::Sha3_256 => c_str!("sha3-256"),
    }
}

impl ChapHash for KernelHash {
    fn chap_supports(&self, digest: ChapDigest) -> bool {
        crypto::has_shash(chap_alg(digest))
    }

    fn chap_digest(
        &mut self,
        digest: ChapDigest,
        parts: &[&[u8]],
        out: &mut [u8],
    ) -> core::result::Result<(), ChapError> {
        crypto::shash_digest(chap_alg(digest), parts, out).map_err(|_| ChapError::HashFailed)
    }
}

/// The CHAP view of configured credentials (flags say which are set).
fn node_auth(a: &NodeAuth) -> IscsiNodeAuth<'_> {
    IscsiNodeAuth {
        userid: (a.naf_flags & NAF_USERID_SET != 0).then(|| a.userid.as_bytes()),
        password: (a.naf_flags & NAF_PASSWORD_SET != 0).then(|| a.password.as_bytes()),
        userid_mutual: a.userid_mutual.as_bytes(),
        password_mutual: a.password_mutual.as_bytes(),
        authenticate_target: a.authenticate_target != 0,
    }
}

/// A copy of a parameter list's values, built in place on the heap.
fn copy_params(src: &IscsiParamList) -> Result<KBox<IscsiParamList>> {
    let mut b = new_param_list()?;
    for (d, s) in b.params.iter_mut().zip(src.params.iter()) {
        d.value = s.value;
        d.state = 0;
        d.present = s.present;
    }
    Ok(b)
}

/// A command buffer seen by the core.
struct BufData<'a>(&'a mut [u8]);

impl CmdData for BufData<'_> {
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

/// The login in progress (`struct iscsi_login` and what LIO keeps in the new session).
struct LoginState {
    login: IscsiLogin,
    params: Option<KBox<IscsiParamList>>,
    discovery: bool,
    tpg: Option<Arc<SeTpg>>,
    se_sess: Option<Arc<SeSession>>,
    auth: NodeAuth,
    auth_required: bool,
    auth_complete: bool,
    chap: Option<IscsiChap>,
    keys_workaround: bool,
    tsih: u16,
    initiator_name: KVec<u8>,
    queue_depth: u32,
    nopin_timeout: u32,
}

/// A logged-in session of this connection.
pub(crate) struct LoggedIn {
    discovery: bool,
    tpg: Option<Arc<SeTpg>>,
    se_sess: Option<Arc<SeSession>>,
    sess: Option<Arc<IscsiSession>>,
    info: Option<Arc<SessInfo>>,
    conn_ops: IscsiConnOps,
    sess_ops: IscsiSessOps,
    initiator_name: KVec<u8>,
    logged_out: bool,
    nopin_timeout: u32,
}

/// A write waiting for its data-out.
struct PendingCmd {
    itt: u32,
    lun_field: [u8; 8],
    cdb: [u8; SCSI_MAX_VARLEN_CDB_SIZE],
    cdb_len: usize,
    edtl: u32,
    buf: KVVec<u8>,
    xfer: WriteXfer,
}

/// What a handler wants next.
enum Flow {
    Continue,
    Close,
}

/// The connection thread's state.
struct Conn {
    sh: Arc<ConnShared>,
    hdr: [u8; ISCSI_HDR_LEN],
    rx: KVVec<u8>,
    ahs_len: usize,
    dlen: usize,
    /// The longest data segment the initiator may send: `MAX_KEY_VALUE_PAIRS` in login,
    /// the negotiated MaxXmitDataSegmentLength in full feature phase.
    rx_limit: usize,
    /// Full feature phase: an oversized PDU is rejected before the connection closes.
    ffp: bool,
    hd: bool,
    dd: bool,
    stat_sn: u32,
    win: IscsiCmdSnWindow,
    next_ttt: u32,
}

impl Conn {
    fn new(sh: Arc<ConnShared>) -> Result<Self> {
        Ok(Conn {
            sh,
            hdr: [0; ISCSI_HDR_LEN],
            rx: KVVec::from_elem(0u8, MAX_AHS + MAX_KEY_VALUE_PAIRS as usize + 4, GFP_KERNEL)?,
            ahs_len: 0,
            dlen: 0,
            rx_limit: MAX_KEY_VALUE_PAIRS as usize,
            ffp: false,
            hd: false,
            dd: false,
            stat_sn: 0,
            win: IscsiCmdSnWindow::new(0),
            next_ttt: 1,
        })
    }

    fn ahs(&self) -> &[u8] {
        self.rx.get(..self.ahs_len).unwrap_or(&[])
    }

    fn data(&self) -> &[u8] {
        self.rx
            .get(self.ahs_len..self.ahs_len + self.dlen)
            .unwrap_or(&[])
    }

    /// Receives one PDU: BHS, AHS, header digest, data segment (padded), data digest.
    fn recv_pdu(&mut self) -> core::result::Result<(), RecvError> {
        let sock = &self.sh.sock;
        sock.recv_exact(&mut self.hdr)?;
        let ahs_len = usize::from(self.hdr[4]) * 4;
        let dlen = ntoh24([self.hdr[5], self.hdr[6], self.hdr[7]]) as usize;
        if dlen > self.rx_limit {
            // `iscsit_handle_scsi_cmd()` & co.: a protocol error, rejected, and the rest
            // of the stream cannot be framed: the connection closes (as LIO's does).
            pr_err!(
                "iSCSI: PDU data segment of {} bytes exceeds MaxXmitDataSegmentLength {}, protocol error\n",
                dlen,
                self.rx_limit
            );
            if self.ffp {
                let _ = self.send_reject(ISCSI_REASON_PROTOCOL_ERROR);
            }
            return Err(RecvError::Closed(EINVAL));
        }
        let padded = dlen + iscsi_pad_len(dlen);
        let Some(buf) = self.rx.get_mut(..ahs_len + padded) else {
            pr_err!(
                "iSCSI: PDU data segment of {} bytes exceeds the receive limit\n",
                dlen
            );
            return Err(RecvError::Closed(EINVAL));
        };
        let (ahs, data) = buf.split_at_mut(ahs_len);
        sock.recv_exact(ahs)?;
        if self.hd {
            let mut dig = [0u8; 4];
            sock.recv_exact(&mut dig)?;
            let mut c = Crc32c::new();
            c.update(&self.hdr);
            c.update(ahs);
            if !iscsi_digest_matches(c.finish(), &dig) {
                pr_err!("iSCSI: HeaderDigest CRC32C failed, closing the connection (ERL 0)\n");
                return Err(RecvError::Closed(EIO));
            }
        }
        sock.recv_exact(data)?;
        if self.dd && dlen != 0 {
            let mut dig = [0u8; 4];
            sock.recv_exact(&mut dig)?;
            let mut c = Crc32c::new();
            c.update(data);
            if !iscsi_digest_matches(c.finish(), &dig) {
                pr_err!("iSCSI: DataDigest CRC32C failed, closing the connection (ERL 0)\n");
                return Err(RecvError::Closed(EIO));
            }
        }
        self.ahs_len = ahs_len;
        self.dlen = dlen;
        Ok(())
    }

    /// Sends a PDU with `data` as its data segment.
    fn send_pdu(&self, pdu: &IscsiPdu, data: &[u8]) -> Result {
        let mut pdu = *pdu;
        pdu.dlength = u32::try_from(data.len()).map_err(|_| EINVAL)?;
        let mut bhs = [0u8; ISCSI_HDR_LEN];
        pdu.build(&mut bhs).map_err(|_| EINVAL)?;
        let mut head = [0u8; ISCSI_HDR_LEN + 4];
        head[..ISCSI_HDR_LEN].copy_from_slice(&bhs);
        let mut hl = ISCSI_HDR_LEN;
        if self.hd {
            let mut c = Crc32c::new();
            c.update(&bhs);
            head[ISCSI_HDR_LEN..].copy_from_slice(&iscsi_digest_to_wire(c.finish()));
            hl += 4;
        }
        let sock = &self.sh.sock;
        sock.send_all(&head[..hl], !data.is_empty())?;
        if data.is_empty() {
            return Ok(());
        }
        let pad = iscsi_pad_len(data.len());
        let mut tail = [0u8; 8];
        let mut tl = pad;
        if self.dd {
            let mut c = Crc32c::new();
            c.update(data);
            c.update(&[0u8; 3][..pad]);
            tail[pad..pad + 4].copy_from_slice(&iscsi_digest_to_wire(c.finish()));
            tl += 4;
        }
        sock.send_all(data, tl != 0)?;
        sock.send_all(&tail[..tl], false)
    }

    fn take_stat_sn(&mut self) -> u32 {
        let s = self.stat_sn;
        self.stat_sn = self.stat_sn.wrapping_add(1);
        s
    }

    // --- Login -----------------------------------------------------------------------

    fn send_login_rsp(&mut self, st: &LoginState, flags: u8, status: LoginStatus, text: &[u8]) {
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::new(IscsiPduBody::LoginRsp(IscsiLoginRsp {
            flags,
            max_version: ISCSI_DRAFT20_VERSION,
            active_version: ISCSI_DRAFT20_VERSION,
            isid: st.login.isid,
            tsih: st.tsih,
            itt: st.login.init_task_tag,
            statsn,
            exp_cmdsn: self.win.exp_cmd_sn,
            max_cmdsn: self.win.max_cmd_sn,
            status_class: status.status_class,
            status_detail: status.status_detail,
        }));
        let _ = self.send_pdu(&pdu, text);
    }

    /// A refused login: the response, the statistics, the session that was set up.
    fn login_failed(&mut self, st: &mut LoginState, status: Option<LoginStatus>) {
        if let Some(s) = status {
            pr_err!(
                "iSCSI Login negotiation failed: status class {:#x} detail {:#x}\n",
                s.status_class,
                s.status_detail
            );
            self.send_login_rsp(st, 0, s, &[]);
            if let Some(tiqn) = st
                .tpg
                .as_ref()
                .and_then(|t| t.wwn().fabric_priv::<IscsiTiqn>().ok())
            {
                let c = match (s.status_class, s.status_detail) {
                    (ISCSI_STATUS_CLS_INITIATOR_ERR, ISCSI_LOGIN_STATUS_AUTH_FAILED) => {
                        &tiqn.stats.authenticate_fails
                    }
                    (ISCSI_STATUS_CLS_INITIATOR_ERR, ISCSI_LOGIN_STATUS_TGT_FORBIDDEN) => {
                        &tiqn.stats.authorize_fails
                    }
                    (ISCSI_STATUS_CLS_INITIATOR_ERR, ISCSI_LOGIN_STATUS_INIT_ERR) => {
                        &tiqn.stats.negotiate_fails
                    }
                    _ => &tiqn.stats.other_fails,
                };
                c.fetch_add(1, Ordering::Relaxed);
                tiqn.stats
                    .last_fail_time
                    .store(get_jiffies_64(), Ordering::Relaxed);
            }
        }
        if let Some(s) = st.se_sess.take() {
            s.remove();
        }
    }

    /// `iscsi_target_locate_portal()` and the zero-TSIH session setup: who the initiator
    /// is, which TPG (or discovery) it wants, its ACL, the parameter list to negotiate.
    fn locate(
        &mut self,
        np: &Arc<IscsiNp>,
        st: &mut LoginState,
        text: &[u8],
    ) -> core::result::Result<(), LoginStatus> {
        let missing = LoginStatus::MISSING_FIELDS;
        let no_res = LoginStatus {
            status_class: ISCSI_STATUS_CLS_TARGET_ERR,
            status_detail: ISCSI_LOGIN_STATUS_NO_RESOURCES,
        };
        let iname = iscsi_find_text_value(text, b"InitiatorName").ok_or_else(|| {
            pr_err!("InitiatorName key not received in first login request.\n");
            missing
        })?;
        st.initiator_name = kvec_from(iname).map_err(|_| no_res)?;
        st.discovery = iscsi_find_text_value(text, b"SessionType")
            .is_some_and(|v| v.starts_with(b"Discovery"));
        let leading = st.login.leading_connection;
        if st.discovery {
            let g = global().map_err(|_| no_res)?;
            let disc = g.discovery.lock();
            let mut params = copy_params(&disc.params).map_err(|_| no_res)?;
            st.auth_required = disc.authentication != 0;
            st.auth = disc.auth;
            drop(disc);
            params.iscsi_login_setup_params(true, true, false, st.auth_required, 0, 0);
            st.params = Some(params);
            return Ok(());
        }
        let tname = iscsi_find_text_value(text, b"TargetName").ok_or_else(|| {
            pr_err!(
                "TargetName key not received in first login request while SessionType=Normal.\n"
            );
            missing
        })?;
        let tpg = {
            let tpgs = np.tpgs.lock();
            let found = tpgs.iter().find(|t| t.wwn().name() == tname).cloned();
            found.ok_or_else(|| {
                pr_err!(
                    "iSCSI Target IQN {} not found on this portal\n",
                    BStr::from_bytes(tname)
                );
                LoginStatus {
                    status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
                    status_detail: ISCSI_LOGIN_STATUS_TGT_NOT_FOUND,
                }
            })?
        };
        *self.sh.tpg.lock() = Some(tpg.clone());
        st.tpg = Some(tpg.clone());
        let itpg = tpg.fabric_priv::<IscsiTpg>().map_err(|_| no_res)?;
        if itpg.inner.lock().state != TpgState::Active {
            pr_err!("iSCSI target portal group {} is not enabled\n", tpg.tag());
            return Err(LoginStatus {
                status_class: ISCSI_STATUS_CLS_TARGET_ERR,
                status_detail: ISCSI_LOGIN_STATUS_SVC_UNAVAILABLE,
            });
        }
        if !leading {
            // One connection per session: a login that adds a connection (or reinstates
            // one) is refused.
            let exists = itpg
                .sessions
                .lock()
                .list
                .iter()
                .any(|s| s.tsih == st.login.tsih && s.isid == st.login.isid);
            pr_err!("iSCSI: MaxConnections=1, login with a non-zero TSIH refused\n");
            return Err(LoginStatus {
                status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
                status_detail: if exists {
                    ISCSI_LOGIN_STATUS_CONN_ADD_FAILED
                } else {
                    ISCSI_LOGIN_STATUS_NO_SESSION
                },
            });
        }
        let se_sess = tpg.setup_session(iname).map_err(|e| {
            if e == EACCES {
                pr_err!(
                    "iSCSI Initiator Node: {} is not authorized to access iSCSI target portal group: {}.\n",
                    BStr::from_bytes(iname),
                    tpg.tag()
                );
                LoginStatus {
                    status_class: ISCSI_STATUS_CLS_INITIATOR_ERR,
                    status_detail: ISCSI_LOGIN_STATUS_TGT_FORBIDDEN,
                }
            } else {
                no_res
            }
        })?;
        let acl = se_sess.node_acl().clone();
        st.se_sess = Some(se_sess);
        let nacl = acl.fabric_priv::<IscsiNodeAcl>().map_err(|_| no_res)?;
        let (nattr_auth, default_erl, nopin) = {
            let a = nacl.attrib.lock();
            (a.authentication, a.default_erl, a.nopin_timeout)
        };
        // Asked before the TPG's lock is taken: the core calls the fabric (which takes
        // that lock) with the ACL's lock held.
        let dynamic_acl = acl.is_dynamic();
        let inner = itpg.inner.lock();
        let mut params = copy_params(&inner.params).map_err(|_| no_res)?;
        let tpg_auth = inner.attrib.authentication != 0;
        st.keys_workaround = inner.attrib.login_keys_workaround != 0;
        // iscsi_conn_auth_required()
        st.auth_required = if dynamic_acl || nattr_auth < 0 {
            tpg_auth
        } else {
            nattr_auth != 0
        };
        st.auth = if dynamic_acl {
            inner.auth
        } else {
            *nacl.auth.lock()
        };
        drop(inner);
        params.iscsi_login_setup_params(
            true,
            false,
            false,
            st.auth_required,
            tpg.tag(),
            default_erl as u8,
        );
        // ERL 0 and a single connection are all this target does: never negotiate more.
        let _ = params.iscsi_update_param_value(IscsiParamKey::ErrorRecoveryLevel, b"0");
        let _ = params.iscsi_update_param_value(IscsiParamKey::MaxConnections, b"1");
        st.params = Some(params);
        st.queue_depth = acl.queue_depth();
        st.nopin_timeout = nopin;
        self.win
            .iscsit_determine_maxcmdsn(st.queue_depth.max(1), false);
        Ok(())
    }

    /// The authentication step of the security stage (`iscsi_target_do_authentication()`).
    fn do_auth(
        &mut self,
        st: &mut LoginState,
        text: &[u8],
        rsp: &mut [u8],
    ) -> core::result::Result<usize, Option<LoginStatus>> {
        let method = match st.params.as_ref() {
            Some(p) => iscsi_auth_type(p.value(IscsiParamKey::AuthMethod)),
            None => return Err(Some(LoginStatus::INIT_ERR)),
        };
        match method {
            IscsiAuthType::None => {
                st.auth_complete = true;
                Ok(0)
            }
            IscsiAuthType::Unsupported => {
                pr_err!("Unsupported AuthMethod for the authentication keys received\n");
                Err(Some(LoginStatus::AUTH_FAILED))
            }
            IscsiAuthType::Chap => {
                let mut random = [0u8; 32];
                crypto::random_bytes(&mut random);
                let id = CHAP_ID.fetch_add(1, Ordering::Relaxed);
                let auth = st.auth;
                let res = chap_main_loop(
                    &mut st.chap,
                    &node_auth(&auth),
                    text,
                    rsp,
                    &mut KernelHash,
                    id,
                    &random,
                );
                match res {
                    Ok(ChapResult::Continue(len)) => Ok(len),
                    Ok(ChapResult::Success(len)) => {
                        pr_debug!("iSCSI security negotiation completed successfully.\n");
                        st.auth_complete = true;
                        Ok(len)
                    }
                    Err(e) => {
                        pr_err!("iSCSI CHAP authentication failed: {:?}\n", e);
                        Err(Some(LoginStatus::AUTH_FAILED))
                    }
                }
            }
        }
    }

    /// One Login Request in stage `csg`: the response text length and whether the target
    /// transits to the next stage.
    fn login_stage(
        &mut self,
        st: &mut LoginState,
        req: &IscsiLoginReq,
        first: bool,
        text: &[u8],
        rsp: &mut [u8],
    ) -> core::result::Result<(usize, bool), Option<LoginStatus>> {
        let csg = iscsi_login_current_stage(req.flags);
        let nsg = iscsi_login_next_stage(req.flags);
        let transit_req = req.flags & ISCSI_FLAG_LOGIN_TRANSIT != 0;
        let kw = st.keys_workaround;
        let leading = st.login.leading_connection;
        let Some(params) = st.params.as_mut() else {
            return Err(Some(LoginStatus::INIT_ERR));
        };
        let res = params
            .iscsi_login_text(csg, text, rsp, kw)
            .map_err(|e| e.login_status(csg))?;
        match (csg, res) {
            (0, LoginTextResult::AuthKeys) => {
                if st.auth_complete {
                    pr_err!("Initiator has already been successfully authenticated, but is still sending authentication keys.\n");
                    return Err(Some(LoginStatus::INIT_ERR));
                }
                let len = self.do_auth(st, text, rsp)?;
                let transit = st.auth_complete && transit_req && nsg != 0;
                Ok((len, transit))
            }
            (0, LoginTextResult::Response { len, negotiated }) => {
                if first {
                    params.iscsi_target_check_first_request(leading, None)?;
                }
                if !negotiated {
                    return Ok((len, false));
                }
                if st.auth_required {
                    if params.value(IscsiParamKey::AuthMethod).starts_with(b"None") {
                        pr_err!("Initiator sent AuthMethod=None but Target is enforcing iSCSI Authentication, login failed.\n");
                        return Err(Some(LoginStatus::AUTH_FAILED));
                    }
                    if !st.auth_complete {
                        return Ok((len, false));
                    }
                }
                Ok((len, transit_req && nsg != 0))
            }
            (1, LoginTextResult::Response { len, negotiated }) => {
                if first {
                    params.iscsi_target_check_first_request(leading, None)?;
                }
                if !st.auth_complete && st.auth_required {
                    pr_err!("Initiator is requesting CSG: 1, has not been successfully authenticated, and the Target is enforcing iSCSI Authentication, login failed.\n");
                    return Err(Some(LoginStatus::AUTH_FAILED));
                }
                Ok((len, negotiated && transit_req && nsg == 3))
            }
            _ => Err(Some(LoginStatus::INIT_ERR)),
        }
    }

    /// The login phase (`iscsi_target_do_login()`), up to the last Login Response.
    fn login(&mut self, np: &Arc<IscsiNp>) -> core::result::Result<LoggedIn, ()> {
        let mut st = LoginState {
            login: IscsiLogin::new(),
            params: None,
            discovery: false,
            tpg: None,
            se_sess: None,
            auth: NodeAuth::default(),
            auth_required: false,
            auth_complete: false,
            chap: None,
            keys_workaround: false,
            tsih: 0,
            initiator_name: KVec::new(),
            queue_depth: 1,
            nopin_timeout: 0,
        };
        let mut req =
            KVec::from_elem(0u8, MAX_KEY_VALUE_PAIRS as usize, GFP_KERNEL).map_err(|_| ())?;
        let mut rsp =
            KVec::from_elem(0u8, MAX_KEY_VALUE_PAIRS as usize, GFP_KERNEL).map_err(|_| ())?;
        loop {
            if self.recv_pdu().is_err() {
                self.login_failed(&mut st, None);
                return Err(());
            }
            let first = st.params.is_none();
            let (lreq, _) = match st.login.iscsit_get_login_rx(&self.hdr) {
                Ok(r) => r,
                Err(LoginError::Drop) => {
                    self.login_failed(&mut st, None);
                    return Err(());
                }
                Err(LoginError::Status(s)) => {
                    self.login_failed(&mut st, Some(s));
                    return Err(());
                }
            };
            let n = self.dlen.min(req.len());
            req[..n].copy_from_slice(&self.data()[..n]);
            let text = &req[..n];
            if first {
                self.stat_sn = lreq.exp_statsn;
                self.win = IscsiCmdSnWindow::new(lreq.cmdsn);
                st.tsih = lreq.tsih;
                if let Err(s) = self.locate(np, &mut st, text) {
                    self.login_failed(&mut st, Some(s));
                    return Err(());
                }
            }
            let csg = iscsi_login_current_stage(lreq.flags);
            let (len, transit) = match self.login_stage(&mut st, &lreq, first, text, &mut rsp) {
                Ok(r) => r,
                Err(s) => {
                    self.login_failed(&mut st, s);
                    return Err(());
                }
            };
            let nsg = if csg == 0 { 1 } else { 3 };
            let flags = iscsi_login_flags(transit, false, csg, if transit { nsg } else { 0 });
            if transit && nsg == 3 {
                let li = match self.finish_login(&mut st) {
                    Ok(li) => li,
                    Err(s) => {
                        self.login_failed(&mut st, Some(s));
                        return Err(());
                    }
                };
                self.send_login_rsp(&st, flags, LOGIN_OK, &rsp[..len]);
                return Ok(li);
            }
            self.send_login_rsp(&st, flags, LOGIN_OK, &rsp[..len]);
            if transit {
                st.login.current_stage = nsg;
            }
        }
    }

    /// The login is complete: negotiated values, TSIH, session reinstatement and
    /// registration (`iscsi_post_login_handler()`).
    fn finish_login(&mut self, st: &mut LoginState) -> core::result::Result<LoggedIn, LoginStatus> {
        let no_res = LoginStatus {
            status_class: ISCSI_STATUS_CLS_TARGET_ERR,
            status_detail: ISCSI_LOGIN_STATUS_NO_RESOURCES,
        };
        let params = st.params.as_ref().ok_or(no_res)?;
        let mut conn_ops = IscsiConnOps::default();
        params.iscsi_set_connection_parameters(&mut conn_ops);
        let mut sess_ops = IscsiSessOps::default();
        params.iscsi_set_session_parameters(&mut sess_ops, true);
        let initiator_name = kvec_from(&st.initiator_name).map_err(|_| no_res)?;
        let mut li = LoggedIn {
            discovery: st.discovery,
            tpg: st.tpg.clone(),
            se_sess: None,
            sess: None,
            info: None,
            conn_ops,
            sess_ops,
            initiator_name,
            logged_out: false,
            nopin_timeout: st.nopin_timeout,
        };
        if st.discovery {
            let mut t = (DISC_TSIH.fetch_add(1, Ordering::Relaxed) as u16).wrapping_add(1);
            if t == 0 {
                t = 1;
            }
            st.tsih = t;
            return Ok(li);
        }
        let tpg = st.tpg.clone().ok_or(no_res)?;
        let itpg = tpg.fabric_priv::<IscsiTpg>().map_err(|_| no_res)?;
        // Session reinstatement: an existing session of the same initiator and ISID goes
        // first (`iscsi_check_for_session_reinstatement()`).
        let mut shut = false;
        for _ in 0..1000 {
            let old = {
                let s = itpg.sessions.lock();
                s.list
                    .iter()
                    .find(|s| {
                        s.isid == st.login.isid && s.initiator_name[..] == st.initiator_name[..]
                    })
                    .cloned()
            };
            let Some(old) = old else { break };
            if !shut {
                pr_debug!("iSCSI: reinstating session TSIH {}\n", old.tsih);
                old.conn.sock.shutdown();
                shut = true;
            }
            msleep_interruptible(10);
        }
        let sess = {
            let mut s = itpg.sessions.lock();
            let mut tsih = iscsit_next_tsih(&mut s.ntsih);
            for _ in 0..=u16::MAX {
                if !s.list.iter().any(|x| x.tsih == tsih) {
                    break;
                }
                tsih = iscsit_next_tsih(&mut s.ntsih);
            }
            let sess = Arc::new(
                IscsiSession {
                    initiator_name: kvec_from(&st.initiator_name).map_err(|_| no_res)?,
                    isid: st.login.isid,
                    tsih,
                    conn: self.sh.clone(),
                },
                GFP_KERNEL,
            )
            .map_err(|_| no_res)?;
            s.list.push(sess.clone(), GFP_KERNEL).map_err(|_| no_res)?;
            sess
        };
        st.tsih = sess.tsih;
        let se_sess = st.se_sess.take().ok_or(no_res)?;
        let id = SESS_ID.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let addr = self.sh.sock.peer_addr().ok();
        let info = Arc::new(
            SessInfo {
                sess_ops,
                index: id,
                sid: id,
                isid: st.login.isid,
                tsih: sess.tsih,
                cmd_pdus: AtomicU64::new(0),
                rsp_pdus: AtomicU64::new(0),
                tx_data_octets: AtomicU64::new(0),
                rx_data_octets: AtomicU64::new(0),
                conn_digest_errors: AtomicU64::new(0),
                conn_timeout_errors: AtomicU64::new(0),
                cmdsn_window: st.queue_depth,
                exp_cmd_sn: AtomicU32::new(self.win.exp_cmd_sn),
                max_cmd_sn: AtomicU32::new(self.win.max_cmd_sn),
                stat_sn: AtomicU32::new(self.stat_sn),
                cid: st.login.cid,
                addr,
            },
            GFP_KERNEL,
        );
        let info = match info {
            Ok(i) => i,
            Err(_) => {
                self.unregister(itpg, &sess);
                st.se_sess = Some(se_sess);
                return Err(no_res);
            }
        };
        if let Ok(nacl) = se_sess.node_acl().fabric_priv::<IscsiNodeAcl>() {
            *nacl.sess.lock() = Some(info.clone());
        }
        if let Ok(tiqn) = tpg.wwn().fabric_priv::<IscsiTiqn>() {
            tiqn.stats.accepts.fetch_add(1, Ordering::Relaxed);
            tiqn.stats.sessions.fetch_add(1, Ordering::Relaxed);
        }
        pr_debug!(
            "iSCSI: {} logged in to {} TPGT {} (TSIH {})\n",
            BStr::from_bytes(&st.initiator_name),
            BStr::from_bytes(tpg.wwn().name()),
            tpg.tag(),
            sess.tsih
        );
        li.se_sess = Some(se_sess);
        li.sess = Some(sess);
        li.info = Some(info);
        Ok(li)
    }

    fn unregister(&self, itpg: &IscsiTpg, sess: &Arc<IscsiSession>) {
        target_core::lio::vec::retain_unordered(&mut itpg.sessions.lock().list, |s| {
            !Arc::ptr_eq(s, sess)
        });
    }

    /// The session ends with its connection.
    fn close(&mut self, li: LoggedIn) {
        let Some(tpg) = li.tpg.as_ref() else {
            return;
        };
        if let (Ok(itpg), Some(sess)) = (tpg.fabric_priv::<IscsiTpg>(), li.sess.as_ref()) {
            self.unregister(itpg, sess);
        }
        if let Some(se_sess) = li.se_sess {
            if let (Ok(nacl), Some(info)) = (
                se_sess.node_acl().fabric_priv::<IscsiNodeAcl>(),
                li.info.as_ref(),
            ) {
                let mut s = nacl.sess.lock();
                if s.as_ref().is_some_and(|x| Arc::ptr_eq(x, info)) {
                    *s = None;
                }
            }
            se_sess.remove();
            if let Ok(tiqn) = tpg.wwn().fabric_priv::<IscsiTiqn>() {
                tiqn.stats.sessions.fetch_sub(1, Ordering::Relaxed);
                if li.logged_out {
                    tiqn.stats.normal_logouts.fetch_add(1, Ordering::Relaxed);
                } else {
                    tiqn.stats.abnormal_logouts.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    // --- Full feature phase ------------------------------------------------------------

    fn full_feature(&mut self, li: &mut LoggedIn) {
        self.hd = li.conn_ops.header_digest;
        self.dd = li.conn_ops.data_digest;
        let rx_max = li
            .conn_ops
            .max_xmit_data_segment_length
            .clamp(512, MAX_RX_DATA);
        match KVVec::from_elem(0u8, MAX_AHS + rx_max as usize + 4, GFP_KERNEL) {
            Ok(b) => self.rx = b,
            Err(_) => return,
        }
        self.rx_limit = rx_max as usize;
        self.ffp = true;
        let nopin = if li.discovery { 0 } else { li.nopin_timeout };
        self.sh.sock.set_recv_timeout(nopin.saturating_mul(1000));
        let rxp = IscsiRxParams {
            max_xmit_data_segment_length: rx_max,
            first_burst_length: li.sess_ops.first_burst_length,
            immediate_data: li.sess_ops.immediate_data,
            error_recovery_level: li.sess_ops.error_recovery_level,
            session_type: li.sess_ops.session_type,
        };
        let mut cmds: KVec<PendingCmd> = KVec::new();
        let mut ping: Option<(u32, u32)> = None;
        loop {
            match self.recv_pdu() {
                Ok(()) => {}
                Err(RecvError::Idle) => {
                    // Target NOP-In ping on an idle connection (`nopin_timeout`); a ping
                    // left unanswered for NOPIN_MISSED_MAX periods closes it.
                    let (ttt, missed) = match ping {
                        Some((t, m)) => (t, m + 1),
                        None => (self.alloc_ttt(), 0),
                    };
                    if missed >= NOPIN_MISSED_MAX {
                        pr_err!("iSCSI: NOP-In ping not answered, closing the connection\n");
                        if let Some(i) = li.info.as_ref() {
                            i.conn_timeout_errors.fetch_add(1, Ordering::Relaxed);
                        }
                        break;
                    }
                    ping = Some((ttt, missed));
                    let pdu = IscsiPdu::new(IscsiPduBody::NopIn(IscsiNopin {
                        lun: [0; 8],
                        itt: ISCSI_RESERVED_TAG,
                        ttt,
                        statsn: self.stat_sn,
                        exp_cmdsn: self.win.exp_cmd_sn,
                        max_cmdsn: self.win.max_cmd_sn,
                    }));
                    if self.send_pdu(&pdu, &[]).is_err() {
                        break;
                    }
                    continue;
                }
                Err(RecvError::Closed(_)) => break,
            }
            let pdu = match iscsit_rx_pdu(&self.hdr, &rxp) {
                Ok(p) => p,
                Err(e) => {
                    pr_err!("iSCSI: bad PDU from the initiator: {:?}\n", e);
                    if let Some(tiqn) = li
                        .tpg
                        .as_ref()
                        .and_then(|t| t.wwn().fabric_priv::<IscsiTiqn>().ok())
                    {
                        tiqn.stats.pdu_format_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    if self.send_reject(e.reject_reason()).is_err() || e.is_fatal() {
                        break;
                    }
                    continue;
                }
            };
            if let Some(i) = li.info.as_ref() {
                i.cmd_pdus.fetch_add(1, Ordering::Relaxed);
                i.rx_data_octets
                    .fetch_add(self.dlen as u64, Ordering::Relaxed);
            }
            let flow = match pdu.body {
                IscsiPduBody::NopOut(h) => self.handle_nop_out(pdu.immediate, &h, &mut ping),
                IscsiPduBody::ScsiCmd(h) => self.handle_scsi_cmd(li, &h, &mut cmds),
                IscsiPduBody::DataOut(h) => self.handle_data_out(li, &h, &mut cmds),
                IscsiPduBody::TaskMgt(h) => self.handle_tmf(li, pdu.immediate, &h, &mut cmds),
                IscsiPduBody::Text(h) => self.handle_text(li, pdu.immediate, &h),
                IscsiPduBody::Logout(h) => self.handle_logout(li, pdu.immediate, &h),
                _ => match self.send_reject(ISCSI_REASON_CMD_NOT_SUPPORTED) {
                    Ok(()) => Flow::Continue,
                    Err(_) => Flow::Close,
                },
            };
            if let Some(i) = li.info.as_ref() {
                i.exp_cmd_sn.store(self.win.exp_cmd_sn, Ordering::Relaxed);
                i.max_cmd_sn.store(self.win.max_cmd_sn, Ordering::Relaxed);
                i.stat_sn.store(self.stat_sn, Ordering::Relaxed);
            }
            if let Flow::Close = flow {
                break;
            }
        }
    }

    fn alloc_ttt(&mut self) -> u32 {
        let t = self.next_ttt;
        self.next_ttt = self.next_ttt.wrapping_add(1);
        if self.next_ttt == RESERVED_TTT {
            self.next_ttt = 1;
        }
        t
    }

    /// A Reject carrying the received BHS.
    fn send_reject(&mut self, reason: u8) -> Result {
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::reject(reason, statsn, self.win.exp_cmd_sn, self.win.max_cmd_sn);
        let hdr = self.hdr;
        self.send_pdu(&pdu, &hdr)
    }

    /// The CmdSN check of a non-immediate command: whether to handle it.
    fn check_cmdsn(&mut self, immediate: bool, cmdsn: u32) -> bool {
        if immediate {
            return true;
        }
        match self.win.iscsit_check_received_cmdsn(cmdsn) {
            CmdSnResult::NormalOperation => true,
            // Out of order within the window: executed in arrival order (a single TCP
            // connection delivers in order; the window does not move for it).
            CmdSnResult::HigherThanExp => true,
            CmdSnResult::LowerThanExp | CmdSnResult::MaxCmdSnOverrun => {
                pr_debug!(
                    "iSCSI: dropping a command with CmdSN {:#x} outside the window\n",
                    cmdsn
                );
                false
            }
        }
    }

    /// A non-immediate command is done: the window moves on.
    fn cmd_done(&mut self, immediate: bool) {
        if !immediate {
            self.win.iscsit_increment_maxcmdsn();
        }
    }

    fn handle_nop_out(
        &mut self,
        immediate: bool,
        h: &IscsiNopout,
        ping: &mut Option<(u32, u32)>,
    ) -> Flow {
        if h.itt == ISCSI_RESERVED_TAG {
            // The answer to our ping (or an unsolicited one-way ping).
            if ping.is_some_and(|(t, _)| t == h.ttt) {
                *ping = None;
            }
            return Flow::Continue;
        }
        if !self.check_cmdsn(immediate, h.cmdsn) {
            return Flow::Continue;
        }
        self.cmd_done(immediate);
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::new(IscsiPduBody::NopIn(IscsiNopin {
            lun: h.lun,
            itt: h.itt,
            ttt: RESERVED_TTT,
            statsn,
            exp_cmdsn: self.win.exp_cmd_sn,
            max_cmdsn: self.win.max_cmd_sn,
        }));
        let n = self.dlen;
        let data_copy = match kvec_from(self.data().get(..n).unwrap_or(&[])) {
            Ok(d) => d,
            Err(_) => return Flow::Close,
        };
        match self.send_pdu(&pdu, &data_copy) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    fn xfer_params(li: &LoggedIn) -> XferParams {
        XferParams {
            initial_r2t: li.sess_ops.initial_r2t,
            first_burst_length: li.sess_ops.first_burst_length,
            max_burst_length: li.sess_ops.max_burst_length,
            max_outstanding_r2t: u32::from(li.sess_ops.max_outstanding_r2t),
        }
    }

    /// A fixed-format CHECK CONDITION response for a command the target cannot take.
    fn send_check_condition(&mut self, itt: u32, key: u8, asc: u8, ascq: u8, edtl: u32) -> Flow {
        // The 2-byte SenseLength, then fixed-format sense data of 18 bytes.
        let mut sense = [0u8; 20];
        sense[1] = 18;
        sense[2] = 0x70;
        sense[4] = key;
        sense[9] = 0x0a;
        sense[14] = asc;
        sense[15] = ascq;
        self.send_scsi_rsp(
            itt,
            SAM_STAT_CHECK_CONDITION,
            &sense,
            Some((edtl, false)),
            0,
        )
    }

    fn send_scsi_rsp(
        &mut self,
        itt: u32,
        status: u8,
        sense_with_len: &[u8],
        residual: Option<(u32, bool)>,
        exp_datasn: u32,
    ) -> Flow {
        let mut flags = ISCSI_FLAG_CMD_FINAL;
        let mut residual_count = 0;
        if let Some((count, over)) = residual {
            if count != 0 {
                flags |= if over {
                    ISCSI_FLAG_CMD_OVERFLOW
                } else {
                    ISCSI_FLAG_CMD_UNDERFLOW
                };
                residual_count = count;
            }
        }
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::new(IscsiPduBody::ScsiRsp(IscsiScsiRsp {
            flags,
            response: ISCSI_STATUS_CMD_COMPLETED,
            cmd_status: status,
            itt,
            snack_tag: 0,
            statsn,
            exp_cmdsn: self.win.exp_cmd_sn,
            max_cmdsn: self.win.max_cmd_sn,
            exp_datasn,
            bi_residual_count: 0,
            residual_count,
        }));
        match self.send_pdu(&pdu, sense_with_len) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    /// Runs a command in the core and sends its data-in and status.
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &mut self,
        li: &LoggedIn,
        itt: u32,
        lun_field: &[u8; 8],
        cdb: &[u8],
        dir: DataDirection,
        edtl: u32,
        buf: &mut [u8],
        r2ts: u32,
    ) -> Flow {
        let Some(se_sess) = li.se_sess.as_ref() else {
            return Flow::Close;
        };
        let lun = scsilun_to_int(lun_field);
        let resp = se_sess.submit_cmd(lun, cdb, &mut BufData(buf), dir, edtl);
        self.cmd_done(false);
        if let Some(i) = li.info.as_ref() {
            i.rsp_pdus.fetch_add(1, Ordering::Relaxed);
        }
        let status = resp.status();
        let sense = resp.sense();
        let residual = resp.residual();
        let mut exp_datasn = r2ts;
        if dir == DataDirection::FromDevice {
            let n = resp.data_in().min(buf.len()) as u32;
            if n != 0 {
                let mut seq = DataInSeq::new(
                    n,
                    li.conn_ops.max_recv_data_segment_length,
                    li.sess_ops.max_burst_length,
                );
                for p in seq.by_ref() {
                    let with_status = p.last && sense.is_empty();
                    let mut flags = if p.fin { ISCSI_FLAG_CMD_FINAL } else { 0 };
                    let mut residual_count = 0;
                    let mut statsn = 0;
                    if with_status {
                        flags |= ISCSI_FLAG_DATA_STATUS;
                        if let Some((count, over)) = residual {
                            if count != 0 {
                                flags |= if over {
                                    ISCSI_FLAG_DATA_OVERFLOW
                                } else {
                                    ISCSI_FLAG_DATA_UNDERFLOW
                                };
                                residual_count = count;
                            }
                        }
                        statsn = self.take_stat_sn();
                    }
                    let pdu = IscsiPdu::new(IscsiPduBody::DataIn(IscsiDataRsp {
                        flags,
                        cmd_status: if with_status { status } else { 0 },
                        lun: *lun_field,
                        itt,
                        ttt: RESERVED_TTT,
                        statsn,
                        exp_cmdsn: self.win.exp_cmd_sn,
                        max_cmdsn: self.win.max_cmd_sn,
                        datasn: p.datasn,
                        buffer_offset: p.offset,
                        residual_count,
                    }));
                    let data = buf
                        .get(p.offset as usize..(p.offset + p.len) as usize)
                        .unwrap_or(&[]);
                    if self.send_pdu(&pdu, data).is_err() {
                        return Flow::Close;
                    }
                    if let Some(i) = li.info.as_ref() {
                        i.tx_data_octets
                            .fetch_add(u64::from(p.len), Ordering::Relaxed);
                    }
                    if with_status {
                        return Flow::Continue;
                    }
                }
                exp_datasn = seq.datasn();
            }
        }
        let mut sbuf = [0u8; 2 + 96];
        let slen = if sense.is_empty() {
            0
        } else {
            let n = sense.len().min(96);
            sbuf[..2].copy_from_slice(&(n as u16).to_be_bytes());
            sbuf[2..2 + n].copy_from_slice(&sense[..n]);
            2 + n
        };
        self.send_scsi_rsp(itt, status, &sbuf[..slen], residual, exp_datasn)
    }

    fn handle_scsi_cmd(
        &mut self,
        li: &LoggedIn,
        h: &IscsiScsiReq,
        cmds: &mut KVec<PendingCmd>,
    ) -> Flow {
        if !self.check_cmdsn(false, h.cmdsn) {
            return Flow::Continue;
        }
        let mut cdb = [0u8; SCSI_MAX_VARLEN_CDB_SIZE];
        let cdb_len = match iscsit_get_cdb(h, self.ahs(), &mut cdb) {
            Ok(n) => n,
            Err(e) => {
                self.cmd_done(false);
                return match self.send_reject(e.reject_reason()) {
                    Ok(()) => Flow::Continue,
                    Err(_) => Flow::Close,
                };
            }
        };
        let edtl = h.data_length;
        if edtl > MAX_CMD_DATA {
            self.cmd_done(false);
            // ILLEGAL REQUEST, INVALID FIELD IN CDB.
            return self.send_check_condition(h.itt, 0x05, 0x24, 0x00, edtl);
        }
        let dir = if h.read() {
            DataDirection::FromDevice
        } else if h.write() {
            DataDirection::ToDevice
        } else {
            DataDirection::None
        };
        let Ok(mut buf) = KVVec::from_elem(0u8, edtl as usize, GFP_KERNEL) else {
            self.cmd_done(false);
            return self.send_scsi_rsp(h.itt, SAM_STAT_BUSY, &[], None, 0);
        };
        if dir != DataDirection::ToDevice {
            return self.execute(li, h.itt, &h.lun, &cdb[..cdb_len], dir, edtl, &mut buf, 0);
        }
        let imm = self.data();
        let n = imm.len().min(buf.len());
        buf[..n].copy_from_slice(&imm[..n]);
        let xfer = WriteXfer::new(edtl, n as u32, h.final_bit(), Self::xfer_params(li));
        if xfer.is_complete() {
            return self.execute(li, h.itt, &h.lun, &cdb[..cdb_len], dir, edtl, &mut buf, 0);
        }
        let cmd = PendingCmd {
            itt: h.itt,
            lun_field: h.lun,
            cdb,
            cdb_len,
            edtl,
            buf,
            xfer,
        };
        if cmds.push(cmd, GFP_KERNEL).is_err() {
            self.cmd_done(false);
            return self.send_scsi_rsp(h.itt, SAM_STAT_BUSY, &[], None, 0);
        }
        let idx = cmds.len() - 1;
        self.send_r2ts(cmds, idx)
    }

    /// Sends the R2Ts the command may have outstanding now.
    fn send_r2ts(&mut self, cmds: &mut KVec<PendingCmd>, idx: usize) -> Flow {
        loop {
            let ttt = self.next_ttt;
            let Some(cmd) = cmds.get_mut(idx) else {
                return Flow::Continue;
            };
            let Some(r2t) = cmd.xfer.next_r2t(ttt) else {
                return Flow::Continue;
            };
            self.alloc_ttt();
            let pdu = IscsiPdu::new(IscsiPduBody::R2t(IscsiR2tRsp {
                lun: cmd.lun_field,
                itt: cmd.itt,
                ttt: r2t.ttt,
                statsn: self.stat_sn,
                exp_cmdsn: self.win.exp_cmd_sn,
                max_cmdsn: self.win.max_cmd_sn,
                r2tsn: r2t.r2tsn,
                data_offset: r2t.offset,
                data_length: r2t.len,
            }));
            if self.send_pdu(&pdu, &[]).is_err() {
                return Flow::Close;
            }
        }
    }

    fn handle_data_out(
        &mut self,
        li: &LoggedIn,
        h: &IscsiData,
        cmds: &mut KVec<PendingCmd>,
    ) -> Flow {
        let Some(idx) = cmds.iter().position(|c| c.itt == h.itt) else {
            pr_debug!("iSCSI: Data-Out for unknown ITT {:#x} dropped\n", h.itt);
            return Flow::Continue;
        };
        let len = self.dlen as u32;
        let fin = h.flags & ISCSI_FLAG_CMD_FINAL != 0;
        // `iscsit_check_datasn()`: a DataSN behind the sequence's is dumped, one ahead of
        // it needs within-command recovery, which ERL 0 does not have: the connection
        // closes.
        if let Some(exp) = cmds.get(idx).and_then(|c| c.xfer.expected_datasn(h.ttt)) {
            if h.datasn != exp {
                if iscsi_sna_gt(h.datasn, exp) {
                    pr_err!(
                        "iSCSI: ITT {:#x}: DataSN {:#x} higher than expected {:#x}; unable to perform within-command recovery while ERL=0\n",
                        h.itt,
                        h.datasn,
                        exp
                    );
                    return Flow::Close;
                }
                pr_err!(
                    "iSCSI: ITT {:#x}: DataSN {:#x} lower than expected {:#x}, dumping the payload\n",
                    h.itt,
                    h.datasn,
                    exp
                );
                return Flow::Continue;
            }
        }
        let res = match cmds.get_mut(idx) {
            Some(c) => c.xfer.data_out(h.ttt, h.buffer_offset, len, fin),
            None => return Flow::Continue,
        };
        match res {
            Err(e) => {
                pr_err!("iSCSI: Data-Out does not fit its command: {:?}\n", e);
                match self.send_reject(ISCSI_REASON_PROTOCOL_ERROR) {
                    Ok(()) => Flow::Continue,
                    Err(_) => Flow::Close,
                }
            }
            Ok(r) => {
                let off = h.buffer_offset as usize;
                let data = self
                    .rx
                    .get(self.ahs_len..self.ahs_len + self.dlen)
                    .unwrap_or(&[]);
                if let Some(c) = cmds.get_mut(idx) {
                    if let Some(dst) = c.buf.get_mut(off..off + data.len()) {
                        dst.copy_from_slice(data);
                    }
                }
                match r {
                    DataOutResult::More => self.send_r2ts(cmds, idx),
                    DataOutResult::Complete => {
                        let Some(mut c) = target_core::lio::vec::swap_remove(cmds, idx) else {
                            return Flow::Continue;
                        };
                        let r2ts = c.xfer.r2tsn();
                        let cdb = c.cdb;
                        self.execute(
                            li,
                            c.itt,
                            &c.lun_field,
                            cdb.get(..c.cdb_len).unwrap_or(&[]),
                            DataDirection::ToDevice,
                            c.edtl,
                            &mut c.buf,
                            r2ts,
                        )
                    }
                }
            }
        }
    }

    fn handle_tmf(
        &mut self,
        li: &LoggedIn,
        immediate: bool,
        h: &IscsiTm,
        cmds: &mut KVec<PendingCmd>,
    ) -> Flow {
        if !self.check_cmdsn(immediate, h.cmdsn) {
            return Flow::Continue;
        }
        let lun = scsilun_to_int(&h.lun);
        let has_lun = li.se_sess.as_ref().is_some_and(|s| s.has_lun(lun));
        let response = match h.function() {
            ISCSI_TM_FUNC_ABORT_TASK => {
                if let Some(i) = cmds.iter().position(|c| c.itt == h.rtt) {
                    drop(target_core::lio::vec::swap_remove(cmds, i));
                    self.cmd_done(false);
                    ISCSI_TMF_RSP_COMPLETE
                } else if self.win.in_window(h.refcmdsn) {
                    ISCSI_TMF_RSP_COMPLETE
                } else {
                    ISCSI_TMF_RSP_NO_TASK
                }
            }
            ISCSI_TM_FUNC_ABORT_TASK_SET | ISCSI_TM_FUNC_CLEAR_TASK_SET => {
                if !has_lun {
                    ISCSI_TMF_RSP_NO_LUN
                } else {
                    self.abort_lun(cmds, lun);
                    ISCSI_TMF_RSP_COMPLETE
                }
            }
            ISCSI_TM_FUNC_LOGICAL_UNIT_RESET => {
                if !has_lun {
                    ISCSI_TMF_RSP_NO_LUN
                } else {
                    self.abort_lun(cmds, lun);
                    if let Some(s) = li.se_sess.as_ref() {
                        s.lun_reset(lun);
                    }
                    ISCSI_TMF_RSP_COMPLETE
                }
            }
            // LIO: the ACL's tmr_warm_reset/tmr_cold_reset are off.
            ISCSI_TM_FUNC_TARGET_WARM_RESET | ISCSI_TM_FUNC_TARGET_COLD_RESET => {
                ISCSI_TMF_RSP_AUTH_FAILED
            }
            _ => ISCSI_TMF_RSP_NOT_SUPPORTED,
        };
        self.cmd_done(immediate);
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::new(IscsiPduBody::TaskMgtRsp(IscsiTmRsp {
            response,
            itt: h.itt,
            statsn,
            exp_cmdsn: self.win.exp_cmd_sn,
            max_cmdsn: self.win.max_cmd_sn,
        }));
        match self.send_pdu(&pdu, &[]) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    /// Aborts the pending commands of `lun` (each frees its CmdSN slot).
    fn abort_lun(&mut self, cmds: &mut KVec<PendingCmd>, lun: u64) {
        let before = cmds.len();
        target_core::lio::vec::retain_unordered(cmds, |c| scsilun_to_int(&c.lun_field) != lun);
        for _ in cmds.len()..before {
            self.cmd_done(false);
        }
    }

    fn handle_text(&mut self, li: &LoggedIn, immediate: bool, h: &IscsiText) -> Flow {
        if !self.check_cmdsn(immediate, h.cmdsn) {
            return Flow::Continue;
        }
        self.cmd_done(immediate);
        let which = {
            let text = self.data();
            match iscsi_find_text_value(text, b"SendTargets").map(kvec_from) {
                Some(Ok(v)) => Some(v),
                _ => None,
            }
        };
        let Some(which) = which else {
            pr_err!("Unable to locate SendTargets in Text Request\n");
            return match self.send_reject(ISCSI_REASON_PROTOCOL_ERROR) {
                Ok(()) => Flow::Continue,
                Err(_) => Flow::Close,
            };
        };
        let limit = li.conn_ops.max_recv_data_segment_length.clamp(512, 65536) as usize;
        let Ok(mut out) = KVec::from_elem(0u8, limit, GFP_KERNEL) else {
            return Flow::Close;
        };
        let len = self.sendtargets(li, &which, &mut out);
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::new(IscsiPduBody::TextRsp(IscsiTextRsp {
            flags: ISCSI_FLAG_CMD_FINAL,
            lun: h.lun,
            itt: h.itt,
            ttt: RESERVED_TTT,
            statsn,
            exp_cmdsn: self.win.exp_cmd_sn,
            max_cmdsn: self.win.max_cmd_sn,
        }));
        match self.send_pdu(&pdu, out.get(..len).unwrap_or(&[])) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    /// `iscsit_build_sendtargets_response()`: TargetName and a TargetAddress per portal of
    /// every TPG the initiator may see. A response that does not fit one PDU is cut at the
    /// last whole record.
    fn sendtargets(&self, li: &LoggedIn, which: &[u8], out: &mut [u8]) -> usize {
        let Ok(g) = global() else { return 0 };
        let mut entries: KVec<(Arc<SeTpg>, SockAddr)> = KVec::new();
        for np in g.nps.lock().iter() {
            for t in np.tpgs.lock().iter() {
                let _ = entries.push((t.clone(), np.addr), GFP_KERNEL);
            }
        }
        let local = self.sh.sock.local_addr().ok();
        let all = which == b"All";
        let mut len = 0usize;
        for i in 0..entries.len() {
            let Some((first_tpg, _)) = entries.get(i) else {
                break;
            };
            let name = first_tpg.wwn().name();
            if entries[..i].iter().any(|(t, _)| t.wwn().name() == name) {
                continue;
            }
            if !all && which != name {
                continue;
            }
            let mut name_printed = false;
            for (tpg, addr) in entries.iter().filter(|(t, _)| t.wwn().name() == name) {
                let Ok(itpg) = tpg.fabric_priv::<IscsiTpg>() else {
                    continue;
                };
                let (active, gen, disc, sendtargets) = {
                    let inner = itpg.inner.lock();
                    (
                        inner.state == TpgState::Active,
                        inner.attrib.generate_node_acls != 0,
                        inner.attrib.demo_mode_discovery != 0,
                        inner.attrib.tpg_enabled_sendtargets != 0,
                    )
                };
                if !gen && !disc && !tpg.has_node_acl(&li.initiator_name) {
                    continue;
                }
                if !active && sendtargets {
                    continue;
                }
                let addr = if addr.is_any() {
                    local.unwrap_or(*addr)
                } else {
                    *addr
                };
                let mut rec = [0u8; 512];
                let mut w = BufWriter::new(&mut rec);
                let ok = (|| -> core::fmt::Result {
                    use core::fmt::Write;
                    if !name_printed {
                        w.write_str("TargetName=")?;
                        for &b in name {
                            w.write_char(char::from(b))?;
                        }
                        w.write_char('\0')?;
                    }
                    w.write_str("TargetAddress=")?;
                    match addr {
                        SockAddr::V4(a, p) => write_sockaddr(&mut w, None, a, p)?,
                        SockAddr::V6(a, p) => write_sockaddr(&mut w, Some(&a), [0; 4], p)?,
                    }
                    write!(w, ",{}\0", tpg.tag())
                })();
                let n = w.len();
                if ok.is_err() {
                    continue;
                }
                let Some(dst) = out.get_mut(len..len + n) else {
                    return len;
                };
                dst.copy_from_slice(&rec[..n]);
                len += n;
                name_printed = true;
            }
        }
        len
    }

    fn handle_logout(&mut self, li: &mut LoggedIn, immediate: bool, h: &IscsiLogout) -> Flow {
        if !self.check_cmdsn(immediate, h.cmdsn) {
            return Flow::Continue;
        }
        self.cmd_done(immediate);
        let response = match h.reason_code() {
            ISCSI_LOGOUT_REASON_CLOSE_SESSION | ISCSI_LOGOUT_REASON_CLOSE_CONNECTION => {
                ISCSI_LOGOUT_SUCCESS
            }
            _ => ISCSI_LOGOUT_RECOVERY_UNSUPPORTED,
        };
        let statsn = self.take_stat_sn();
        let pdu = IscsiPdu::new(IscsiPduBody::LogoutRsp(IscsiLogoutRsp {
            response,
            itt: h.itt,
            statsn,
            exp_cmdsn: self.win.exp_cmd_sn,
            max_cmdsn: self.win.max_cmd_sn,
            t2wait: 0,
            t2retain: 0,
        }));
        let sent = self.send_pdu(&pdu, &[]);
        if response == ISCSI_LOGOUT_SUCCESS {
            li.logged_out = true;
            return Flow::Close;
        }
        match sent {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }
}
