// SPDX-License-Identifier: GPL-2.0

//! iscsi_target_mod: the iSCSI fabric (LIO: `drivers/target/iscsi/`), its configfs side.
//!
//! `/sys/kernel/config/target/iscsi` as LIO's `iscsi_target_configfs.c` builds it:
//! `lio_version`, `cpus_allowed_list`, `discovery_auth/`, target IQNs with their
//! `fabric_statistics/` groups (`iscsi_target_stat.c`), TPGs with `enable`,
//! `dynamic_sessions`, `attrib/`, `auth/` and `param/` (the TPG's iSCSI parameter list,
//! validated by [`params`]), node ACLs with `info`, `cmdsn_depth`, `tag`, `attrib/`,
//! `auth/`, `param/` and `fabric_statistics/iscsi_sess_stats/`. Names, modes, defaults,
//! texts and the validation of every store are LIO's.
//!
//! There is no TCP login and data path yet: network portals (`np/IP:PORT`) are parsed
//! as LIO parses them and then refused with `EOPNOTSUPP`, so a configuration with
//! portals fails visibly. The counters the statistics groups show are kept here for the
//! session code to increment.

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::str::{BStr, CStr};
use kernel::sync::{Arc, Mutex};
use kernel::{c_str, new_mutex};
use target_core::fabric::{
    proto_id, FabricDiscovery, FabricItemTypes, FabricPriv, FabricRegistration, FabricRoot, NewTpg,
    NodeAclDir, NodeAclStatGroup, NodeAclSubDir, NpDir, SeTpg, SeWwn, StatGroup, SubmitType,
    TargetFabric, TpgDir, TpgSubDir, WwnStatGroup,
};
use target_core::lio::global::Global;
use target_core::lio::page::Page;
use target_core::lio::parse::{c_text, kstrtoint, kstrtou16, kstrtou32};
use target_core::lio::{cpu, cred, errno, time};

mod attrs;
#[allow(dead_code)] // Protocol code: not every item is used by the TCP path.
mod chap;
mod conn;
#[allow(dead_code)]
mod crc32c;
mod np;
#[allow(dead_code)]
mod params;
#[allow(dead_code)]
mod pdu;
mod portal;
#[allow(dead_code)]
mod seq;

use attrs::{
    authmethod_for, AttrError, AuthField, NodeAttrib, NodeAuth, ParamErrorText, TpgAttrib,
    TPG_PARAM_KEYS,
};
use params::{IscsiParamKey, IscsiParamList, IscsiSessOps};

module! {
    type: IscsiTargetMod,
    name: "iscsi_target_mod",
    author: "lio-rs developers",
    description: "lio-rs: iSCSI-Target Driver for mainline target infrastructure",
    license: "GPL",
}

/// `ISCSIT_VERSION`.
const ISCSIT_VERSION: &str = "v4.1.0";
/// `ISCSI_IQN_LEN`.
const ISCSI_IQN_LEN: usize = 224;
/// `ISCSI_DRAFT20_VERSION`.
const ISCSI_DRAFT20_VERSION: u32 = 0;
/// `ISCSI_NODE_INDEX`.
const ISCSI_NODE_INDEX: u32 = 1;
/// `NONE`.
const NONE: &str = "None";

/// A new parameter list with LIO's defaults, built in place (it is about 10 KiB).
fn new_param_list() -> Result<KBox<IscsiParamList>> {
    KBox::init(
        kernel::try_init!(IscsiParamList {
            params <- kernel::init::init_array_from_fn::<_, { params::ISCSI_PARAM_COUNT }, _, Error>(
                IscsiParamList::default_param
            ),
            extra_response: [0; params::EXTRA_RESPONSE_LEN],
            extra_response_len: 0,
            initiator_mrdsl: None,
            iser: false,
        }? Error),
        GFP_KERNEL,
    )
}

/// `iscsit_global->discovery_tpg` (its AuthMethod and `authentication`) and
/// `discovery_acl.node_auth`.
struct Discovery {
    auth: NodeAuth,
    /// `tpg_attrib.authentication` of the discovery TPG (for the login code).
    authentication: u32,
    params: KBox<IscsiParamList>,
}

/// `iscsit_global`: what the module keeps while it is loaded.
#[pin_data]
struct IscsiGlobal {
    #[pin]
    discovery: Mutex<Discovery>,
    /// `allowed_cpumask`: one bit per CPU below `nr_cpu_ids`.
    #[pin]
    allowed_cpus: Mutex<KVec<u64>>,
    /// `tiqn_idr`: the indexes in use.
    #[pin]
    tiqn_ids: Mutex<KVec<u32>>,
    /// `g_np_list`: the network portals.
    #[pin]
    nps: Mutex<KVec<Arc<np::IscsiNp>>>,
}

static GLOBAL: Global<IscsiGlobal> = Global::new();

fn global() -> Result<Arc<IscsiGlobal>> {
    GLOBAL.get().ok_or(ENODEV)
}

/// The statistics of a target IQN (`iscsi_sess_err_stats`, `iscsi_login_stats`,
/// `iscsi_logout_stats` and the session count), counted by the session code.
#[derive(Default)]
struct TiqnStats {
    sessions: AtomicU32,
    digest_errors: AtomicU32,
    cxn_timeout_errors: AtomicU32,
    pdu_format_errors: AtomicU32,
    last_sess_failure_type: AtomicU32,
    accepts: AtomicU32,
    other_fails: AtomicU32,
    redirects: AtomicU32,
    authorize_fails: AtomicU32,
    authenticate_fails: AtomicU32,
    negotiate_fails: AtomicU32,
    last_fail_type: AtomicU32,
    /// `last_fail_time` in jiffies, 0 if no login failed.
    last_fail_time: AtomicU64,
    normal_logouts: AtomicU32,
    abnormal_logouts: AtomicU32,
    /// `tiqn_num_tpg_nps`.
    num_tpg_nps: AtomicU32,
}

/// Names and address of the last failures (`last_sess_fail_rem_name`,
/// `last_intr_fail_name`, `last_intr_fail_sockaddr`).
struct TiqnFailNames {
    sess_fail_rem_name: KVec<u8>,
    intr_fail_name: KVec<u8>,
    intr_fail_addr: Option<portal::PortalAddr>,
}

/// A target IQN (`struct iscsi_tiqn`): the data of `iscsi/$iqn`.
#[pin_data]
struct IscsiTiqn {
    /// `tiqn_index`.
    index: u32,
    stats: TiqnStats,
    #[pin]
    fail_names: Mutex<TiqnFailNames>,
    /// `tiqn_ntpgs`.
    ntpgs: AtomicU32,
    /// `tiqn_active_tpgs`.
    active_tpgs: AtomicU32,
}

/// `tpg_state`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TpgState {
    Inactive,
    Active,
}

/// The mutable part of a TPG.
struct TpgInner {
    state: TpgState,
    attrib: TpgAttrib,
    /// `tpg_demo_auth`.
    auth: NodeAuth,
    /// `param_list`.
    params: KBox<IscsiParamList>,
}

/// A target portal group (`struct iscsi_portal_group`).
#[pin_data]
struct IscsiTpg {
    tpgt: u16,
    tiqn: Arc<IscsiTiqn>,
    #[pin]
    inner: Mutex<TpgInner>,
    /// The logged-in normal sessions and the TSIH counter.
    #[pin]
    sessions: Mutex<conn::TpgSessions>,
}

/// What a logged-in session shows in its ACL's `param/`, `info` and
/// `fabric_statistics/iscsi_sess_stats/`, kept up to date by its connection.
struct SessInfo {
    sess_ops: IscsiSessOps,
    /// `session_index`.
    index: u32,
    /// `sid`.
    sid: u32,
    isid: [u8; 6],
    tsih: u16,
    cmd_pdus: AtomicU64,
    rsp_pdus: AtomicU64,
    tx_data_octets: AtomicU64,
    rx_data_octets: AtomicU64,
    conn_digest_errors: AtomicU64,
    conn_timeout_errors: AtomicU64,
    /// `cmdsn_window`: the ACL's queue depth at login.
    cmdsn_window: u32,
    exp_cmd_sn: AtomicU32,
    max_cmd_sn: AtomicU32,
    /// The connection's StatSN.
    stat_sn: AtomicU32,
    /// The connection's CID.
    cid: u16,
    /// The initiator's address (`login_sockaddr`).
    addr: Option<target_core::lio::net::SockAddr>,
}

/// A node ACL's iSCSI state (`struct iscsi_node_acl`).
#[pin_data]
struct IscsiNodeAcl {
    #[pin]
    attrib: Mutex<NodeAttrib>,
    #[pin]
    auth: Mutex<NodeAuth>,
    /// `nacl_sess`: the initiator's session, if logged in.
    #[pin]
    sess: Mutex<Option<Arc<SessInfo>>>,
}

struct IscsiFabric;

static ISCSI_FABRIC: IscsiFabric = IscsiFabric;

// Statistics groups (`iscsi_target_stat.c`).
target_core::configfs_item_type! {
    static STAT_INSTANCE: ItemType<WwnStatGroup> = [
        "inst" (0o444, show: stat_inst_show),
        "min_ver" (0o444, show: stat_draft20_show),
        "max_ver" (0o444, show: stat_draft20_show),
        "portals" (0o444, show: stat_instance_portals_show),
        "nodes" (0o444, show: stat_instance_nodes_show),
        "sessions" (0o444, show: stat_instance_sessions_show),
        "fail_sess" (0o444, show: stat_instance_fail_sess_show),
        "fail_type" (0o444, show: stat_instance_fail_type_show),
        "fail_rem_name" (0o444, show: stat_instance_fail_rem_name_show),
        "disc_time" (0o444, show: stat_instance_disc_time_show),
        "description" (0o444, show: stat_instance_description_show),
        "vendor" (0o444, show: stat_instance_vendor_show),
        "version" (0o444, show: stat_instance_version_show),
    ];
}
target_core::configfs_item_type! {
    static STAT_SESS_ERR: ItemType<WwnStatGroup> = [
        "inst" (0o444, show: stat_inst_show),
        "digest_errors" (0o444, show: stat_sess_err_digest_show),
        "cxn_errors" (0o444, show: stat_sess_err_cxn_show),
        "format_errors" (0o444, show: stat_sess_err_format_show),
    ];
}
target_core::configfs_item_type! {
    static STAT_TGT_ATTR: ItemType<WwnStatGroup> = [
        "inst" (0o444, show: stat_inst_show),
        "indx" (0o444, show: stat_indx_show),
        "login_fails" (0o444, show: stat_tgt_attr_login_fails_show),
        "last_fail_time" (0o444, show: stat_tgt_attr_last_fail_time_show),
        "last_fail_type" (0o444, show: stat_tgt_attr_last_fail_type_show),
        "fail_intr_name" (0o444, show: stat_tgt_attr_fail_intr_name_show),
        "fail_intr_addr_type" (0o444, show: stat_tgt_attr_fail_intr_addr_type_show),
        "fail_intr_addr" (0o444, show: stat_tgt_attr_fail_intr_addr_show),
    ];
}
target_core::configfs_item_type! {
    static STAT_LOGIN: ItemType<WwnStatGroup> = [
        "inst" (0o444, show: stat_inst_show),
        "indx" (0o444, show: stat_indx_show),
        "accepts" (0o444, show: stat_login_accepts_show),
        "other_fails" (0o444, show: stat_login_other_fails_show),
        "redirects" (0o444, show: stat_login_redirects_show),
        "authorize_fails" (0o444, show: stat_login_authorize_fails_show),
        "authenticate_fails" (0o444, show: stat_login_authenticate_fails_show),
        "negotiate_fails" (0o444, show: stat_login_negotiate_fails_show),
    ];
}
target_core::configfs_item_type! {
    static STAT_LOGOUT: ItemType<WwnStatGroup> = [
        "inst" (0o444, show: stat_inst_show),
        "indx" (0o444, show: stat_indx_show),
        "normal_logouts" (0o444, show: stat_logout_normal_show),
        "abnormal_logouts" (0o444, show: stat_logout_abnormal_show),
    ];
}
target_core::configfs_item_type! {
    static STAT_SESS: ItemType<NodeAclStatGroup> = [
        "inst" (0o444, show: stat_sess_inst_show),
        "node" (0o444, show: stat_sess_node_show),
        "indx" (0o444, show: stat_sess_indx_show),
        "cmd_pdus" (0o444, show: stat_sess_show::<0>),
        "rsp_pdus" (0o444, show: stat_sess_show::<1>),
        "txdata_octs" (0o444, show: stat_sess_show::<2>),
        "rxdata_octs" (0o444, show: stat_sess_show::<3>),
        "conn_digest_errors" (0o444, show: stat_sess_show::<4>),
        "conn_timeout_errors" (0o444, show: stat_sess_show::<5>),
    ];
}

/// `lio_target_add_wwn_groups()`.
static WWN_STAT_GROUPS: [StatGroup<WwnStatGroup>; 5] = [
    (c_str!("iscsi_instance"), &STAT_INSTANCE),
    (c_str!("iscsi_sess_err"), &STAT_SESS_ERR),
    (c_str!("iscsi_tgt_attr"), &STAT_TGT_ATTR),
    (c_str!("iscsi_login_stats"), &STAT_LOGIN),
    (c_str!("iscsi_logout_stats"), &STAT_LOGOUT),
];

/// `lio_target_init_nodeacl()`.
static NACL_STAT_GROUPS: [StatGroup<NodeAclStatGroup>; 1] =
    [(c_str!("iscsi_sess_stats"), &STAT_SESS)];

target_core::target_fabric_item_types! {
    static ISCSI_TYPES;
    wwn: [
        "lio_version" (0o444, show: lio_version_show),
        "cpus_allowed_list" (0o644, show: cpus_allowed_list_show,
            store: cpus_allowed_list_store),
    ],
    discovery: [
        "userid" (0o644, show: disc_auth_show::<0>, store: disc_auth_store::<0>),
        "password" (0o644, show: disc_auth_show::<1>, store: disc_auth_store::<1>),
        "authenticate_target" (0o444, show: disc_authenticate_target_show),
        "userid_mutual" (0o644, show: disc_auth_show::<2>, store: disc_auth_store::<2>),
        "password_mutual" (0o644, show: disc_auth_show::<3>, store: disc_auth_store::<3>),
        "enforce_discovery_auth" (0o644, show: disc_enforce_show, store: disc_enforce_store),
    ],
    tpg_base: [
        "dynamic_sessions" (0o444, show: TpgDir::dynamic_sessions_show),
        "enable" (0o644, show: TpgDir::enable_show, store: TpgDir::enable_store),
    ],
    tpg_attrib: [
        "authentication" (0o644, show: tpg_attrib_show::<0>, store: tpg_attrib_store::<0>),
        "login_timeout" (0o644, show: tpg_attrib_show::<1>, store: tpg_attrib_store::<1>),
        "generate_node_acls" (0o644, show: tpg_attrib_show::<2>,
            store: tpg_attrib_store::<2>),
        "default_cmdsn_depth" (0o644, show: tpg_attrib_show::<3>,
            store: tpg_attrib_store::<3>),
        "cache_dynamic_acls" (0o644, show: tpg_attrib_show::<4>,
            store: tpg_attrib_store::<4>),
        "demo_mode_write_protect" (0o644, show: tpg_attrib_show::<5>,
            store: tpg_attrib_store::<5>),
        "prod_mode_write_protect" (0o644, show: tpg_attrib_show::<6>,
            store: tpg_attrib_store::<6>),
        "demo_mode_discovery" (0o644, show: tpg_attrib_show::<7>,
            store: tpg_attrib_store::<7>),
        "default_erl" (0o644, show: tpg_attrib_show::<8>, store: tpg_attrib_store::<8>),
        "t10_pi" (0o644, show: tpg_attrib_show::<9>, store: tpg_attrib_store::<9>),
        "fabric_prot_type" (0o644, show: tpg_attrib_show::<10>,
            store: tpg_attrib_store::<10>),
        "tpg_enabled_sendtargets" (0o644, show: tpg_attrib_show::<11>,
            store: tpg_attrib_store::<11>),
        "login_keys_workaround" (0o644, show: tpg_attrib_show::<12>,
            store: tpg_attrib_store::<12>),
    ],
    tpg_auth: [
        "userid" (0o644, show: tpg_auth_show::<0>, store: tpg_auth_store::<0>),
        "password" (0o644, show: tpg_auth_show::<1>, store: tpg_auth_store::<1>),
        "authenticate_target" (0o444, show: tpg_authenticate_target_show),
        "userid_mutual" (0o644, show: tpg_auth_show::<2>, store: tpg_auth_store::<2>),
        "password_mutual" (0o644, show: tpg_auth_show::<3>, store: tpg_auth_store::<3>),
    ],
    tpg_param: [
        "AuthMethod" (0o644, show: tpg_param_show::<0>, store: tpg_param_store::<0>),
        "HeaderDigest" (0o644, show: tpg_param_show::<1>, store: tpg_param_store::<1>),
        "DataDigest" (0o644, show: tpg_param_show::<2>, store: tpg_param_store::<2>),
        "MaxConnections" (0o644, show: tpg_param_show::<3>, store: tpg_param_store::<3>),
        "TargetAlias" (0o644, show: tpg_param_show::<4>, store: tpg_param_store::<4>),
        "InitialR2T" (0o644, show: tpg_param_show::<5>, store: tpg_param_store::<5>),
        "ImmediateData" (0o644, show: tpg_param_show::<6>, store: tpg_param_store::<6>),
        "MaxRecvDataSegmentLength" (0o644, show: tpg_param_show::<7>,
            store: tpg_param_store::<7>),
        "MaxXmitDataSegmentLength" (0o644, show: tpg_param_show::<8>,
            store: tpg_param_store::<8>),
        "MaxBurstLength" (0o644, show: tpg_param_show::<9>, store: tpg_param_store::<9>),
        "FirstBurstLength" (0o644, show: tpg_param_show::<10>, store: tpg_param_store::<10>),
        "DefaultTime2Wait" (0o644, show: tpg_param_show::<11>, store: tpg_param_store::<11>),
        "DefaultTime2Retain" (0o644, show: tpg_param_show::<12>,
            store: tpg_param_store::<12>),
        "MaxOutstandingR2T" (0o644, show: tpg_param_show::<13>,
            store: tpg_param_store::<13>),
        "DataPDUInOrder" (0o644, show: tpg_param_show::<14>, store: tpg_param_store::<14>),
        "DataSequenceInOrder" (0o644, show: tpg_param_show::<15>,
            store: tpg_param_store::<15>),
        "ErrorRecoveryLevel" (0o644, show: tpg_param_show::<16>,
            store: tpg_param_store::<16>),
        "IFMarker" (0o644, show: tpg_param_show::<17>, store: tpg_param_store::<17>),
        "OFMarker" (0o644, show: tpg_param_show::<18>, store: tpg_param_store::<18>),
        "IFMarkInt" (0o644, show: tpg_param_show::<19>, store: tpg_param_store::<19>),
        "OFMarkInt" (0o644, show: tpg_param_show::<20>, store: tpg_param_store::<20>),
    ],
    tpg_np_base: [
        "iser" (0o644, show: np_driver_show, store: np_iser_store),
        "cxgbit" (0o644, show: np_driver_show, store: np_cxgbit_store),
    ],
    nacl_base: [
        "info" (0o444, show: nacl_info_show),
        "cmdsn_depth" (0o644, show: nacl_cmdsn_depth_show, store: nacl_cmdsn_depth_store),
        "tag" (0o644, show: nacl_tag_show, store: nacl_tag_store),
    ],
    nacl_attrib: [
        "dataout_timeout" (0o644, show: nacl_attrib_show::<0>, store: nacl_attrib_store::<0>),
        "dataout_timeout_retries" (0o644, show: nacl_attrib_show::<1>,
            store: nacl_attrib_store::<1>),
        "default_erl" (0o644, show: nacl_attrib_show::<2>, store: nacl_attrib_store::<2>),
        "nopin_timeout" (0o644, show: nacl_attrib_show::<3>, store: nacl_attrib_store::<3>),
        "nopin_response_timeout" (0o644, show: nacl_attrib_show::<4>,
            store: nacl_attrib_store::<4>),
        "random_datain_pdu_offsets" (0o644, show: nacl_attrib_show::<5>,
            store: nacl_attrib_store::<5>),
        "random_datain_seq_offsets" (0o644, show: nacl_attrib_show::<6>,
            store: nacl_attrib_store::<6>),
        "random_r2t_offsets" (0o644, show: nacl_attrib_show::<7>,
            store: nacl_attrib_store::<7>),
        "authentication" (0o644, show: nacl_authentication_show,
            store: nacl_authentication_store),
    ],
    nacl_auth: [
        "userid" (0o644, show: nacl_auth_show::<0>, store: nacl_auth_store::<0>),
        "password" (0o644, show: nacl_auth_show::<1>, store: nacl_auth_store::<1>),
        "authenticate_target" (0o444, show: nacl_authenticate_target_show),
        "userid_mutual" (0o644, show: nacl_auth_show::<2>, store: nacl_auth_store::<2>),
        "password_mutual" (0o644, show: nacl_auth_show::<3>, store: nacl_auth_store::<3>),
    ],
    nacl_param: [
        "MaxConnections" (0o444, show: nacl_param_show::<0>),
        "InitialR2T" (0o444, show: nacl_param_show::<1>),
        "ImmediateData" (0o444, show: nacl_param_show::<2>),
        "MaxBurstLength" (0o444, show: nacl_param_show::<3>),
        "FirstBurstLength" (0o444, show: nacl_param_show::<4>),
        "DefaultTime2Wait" (0o444, show: nacl_param_show::<5>),
        "DefaultTime2Retain" (0o444, show: nacl_param_show::<6>),
        "MaxOutstandingR2T" (0o444, show: nacl_param_show::<7>),
        "DataPDUInOrder" (0o444, show: nacl_param_show::<8>),
        "DataSequenceInOrder" (0o444, show: nacl_param_show::<9>),
        "ErrorRecoveryLevel" (0o444, show: nacl_param_show::<10>),
    ],
    wwn_stats: &WWN_STAT_GROUPS,
    nacl_stats: &NACL_STAT_GROUPS,
}

// --- iscsi/ -----------------------------------------------------------------------------

/// `iscsi/lio_version`.
fn lio_version_show(_root: &FabricRoot, page: &mut Page<'_>) -> Result {
    writeln!(page, "Datera Inc. iSCSI Target {}", ISCSIT_VERSION)?;
    Ok(())
}

/// `iscsi/cpus_allowed_list` (read): `%*pbl`.
fn cpus_allowed_list_show(_root: &FabricRoot, page: &mut Page<'_>) -> Result {
    let g = global()?;
    let mask = g.allowed_cpus.lock();
    let is_set = |b: u32| {
        mask.get((b / 64) as usize)
            .is_some_and(|w| w & (1u64 << (b % 64)) != 0)
    };
    attrs::write_bitmap_list(page, cpu::nr_cpu_ids(), is_set)?;
    writeln!(page)?;
    Ok(())
}

/// A CPU mask of `nr_cpu_ids` bits, all clear.
fn empty_cpu_mask() -> Result<KVec<u64>> {
    let words = (cpu::nr_cpu_ids() as usize).div_ceil(64);
    let mut v = KVec::with_capacity(words, GFP_KERNEL)?;
    for _ in 0..words {
        v.push(0, GFP_KERNEL)?;
    }
    Ok(v)
}

/// `iscsi/cpus_allowed_list` (write): `cpulist_parse()`.
fn cpus_allowed_list_store(_root: &FabricRoot, input: &[u8]) -> Result {
    let g = global()?;
    let mut mask = empty_cpu_mask()?;
    let res = attrs::bitmap_parselist(c_text(input), cpu::nr_cpu_ids(), |b| {
        if let Some(w) = mask.get_mut((b / 64) as usize) {
            *w |= 1u64 << (b % 64);
        }
    });
    match res {
        Ok(()) => {
            *g.allowed_cpus.lock() = mask;
            Ok(())
        }
        Err(attrs::CpuListError::Invalid) => Err(EINVAL),
        Err(attrs::CpuListError::Range) => Err(ERANGE),
        Err(attrs::CpuListError::Overflow) => Err(errno::eoverflow()),
    }
}

const AUTH_FIELDS: [AuthField; 4] = [
    AuthField::Userid,
    AuthField::Password,
    AuthField::UseridMutual,
    AuthField::PasswordMutual,
];

fn auth_field<const F: usize>() -> Result<AuthField> {
    AUTH_FIELDS.get(F).copied().ok_or(EINVAL)
}

/// Credentials are for `CAP_SYS_ADMIN` only, read and write (`EPERM`).
fn check_admin() -> Result {
    if !cred::capable_sys_admin() {
        return Err(EPERM);
    }
    Ok(())
}

/// Shows a credential as `"%s\n"`.
fn auth_show(auth: &NodeAuth, field: AuthField, page: &mut Page<'_>) -> Result {
    page.write_bytes(auth.get(field))?;
    page.write_bytes(b"\n")?;
    Ok(())
}

/// `discovery_auth/{userid,password,userid_mutual,password_mutual}` (read).
fn disc_auth_show<const F: usize>(_d: &FabricDiscovery, page: &mut Page<'_>) -> Result {
    check_admin()?;
    let g = global()?;
    let disc = g.discovery.lock();
    auth_show(&disc.auth, auth_field::<F>()?, page)
}

/// `discovery_auth/...` (write).
fn disc_auth_store<const F: usize>(_d: &FabricDiscovery, input: &[u8]) -> Result {
    check_admin()?;
    let g = global()?;
    let mut disc = g.discovery.lock();
    disc.auth
        .store(auth_field::<F>()?, input, true)
        .map_err(|_| EINVAL)
}

/// `discovery_auth/authenticate_target`.
fn disc_authenticate_target_show(_d: &FabricDiscovery, page: &mut Page<'_>) -> Result {
    check_admin()?;
    let g = global()?;
    let v = g.discovery.lock().auth.authenticate_target;
    writeln!(page, "{}", v)?;
    Ok(())
}

/// `discovery_auth/enforce_discovery_auth` (read).
fn disc_enforce_show(_d: &FabricDiscovery, page: &mut Page<'_>) -> Result {
    let g = global()?;
    let v = g.discovery.lock().auth.enforce_discovery_auth;
    writeln!(page, "{}", v)?;
    Ok(())
}

/// `discovery_auth/enforce_discovery_auth` (write): 1 makes the discovery TPG's
/// AuthMethod `CHAP` with authentication on, 0 `CHAP,None` with it off.
fn disc_enforce_store(_d: &FabricDiscovery, input: &[u8]) -> Result {
    let op = kstrtou32(input, 0).map_err(|_| EINVAL)?;
    if op > 1 {
        pr_err!("Illegal value for enforce_discovery_auth: {}\n", op);
        return Err(EINVAL);
    }
    let g = global()?;
    let mut disc = g.discovery.lock();
    let value: &[u8] = if op == 1 { b"CHAP" } else { b"CHAP,None" };
    disc.params
        .iscsi_update_param_value(IscsiParamKey::AuthMethod, value)
        .map_err(|_| EINVAL)?;
    disc.authentication = op;
    disc.auth.enforce_discovery_auth = op as i32;
    pr_debug!(
        "LIO-CORE[0] Successfully {} authentication enforcement for iSCSI Discovery TPG\n",
        if op == 1 { "enabled" } else { "disabled" }
    );
    Ok(())
}

// --- fabric_statistics ----------------------------------------------------------------

fn tiqn_of(g: &WwnStatGroup) -> Result<&IscsiTiqn> {
    g.wwn().fabric_priv::<IscsiTiqn>()
}

fn show_u32(page: &mut Page<'_>, v: u32) -> Result {
    writeln!(page, "{}", v)?;
    Ok(())
}

fn load(a: &AtomicU32) -> u32 {
    a.load(Ordering::Relaxed)
}

/// `inst`: the IQN's index.
fn stat_inst_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, tiqn_of(g)?.index)
}

/// `min_ver`, `max_ver`.
fn stat_draft20_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, ISCSI_DRAFT20_VERSION)
}

/// `indx`.
fn stat_indx_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, ISCSI_NODE_INDEX)
}

fn stat_instance_portals_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.num_tpg_nps))
}

fn stat_instance_nodes_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, 1)
}

fn stat_instance_sessions_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.sessions))
}

fn stat_instance_fail_sess_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let s = &tiqn_of(g)?.stats;
    show_u32(
        page,
        load(&s.digest_errors)
            .wrapping_add(load(&s.cxn_timeout_errors))
            .wrapping_add(load(&s.pdu_format_errors)),
    )
}

fn stat_instance_fail_type_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.last_sess_failure_type))
}

/// A name, or `None` when empty.
fn show_name_or_none(page: &mut Page<'_>, name: &[u8]) -> Result {
    if name.is_empty() {
        page.write_bytes(NONE.as_bytes())?;
    } else {
        page.write_bytes(name)?;
    }
    page.write_bytes(b"\n")?;
    Ok(())
}

fn stat_instance_fail_rem_name_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let names = tiqn_of(g)?.fail_names.lock();
    show_name_or_none(page, &names.sess_fail_rem_name)
}

fn stat_instance_disc_time_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, 0)
}

fn stat_instance_description_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    writeln!(page, "Storage Engine Target")?;
    Ok(())
}

fn stat_instance_vendor_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    writeln!(page, "Datera, Inc. iSCSI-Target")?;
    Ok(())
}

fn stat_instance_version_show(_g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    writeln!(page, "{}", ISCSIT_VERSION)?;
    Ok(())
}

fn stat_sess_err_digest_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.digest_errors))
}

fn stat_sess_err_cxn_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.cxn_timeout_errors))
}

fn stat_sess_err_format_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.pdu_format_errors))
}

fn stat_tgt_attr_login_fails_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let s = &tiqn_of(g)?.stats;
    let n = [
        &s.redirects,
        &s.authorize_fails,
        &s.authenticate_fails,
        &s.negotiate_fails,
        &s.other_fails,
    ]
    .iter()
    .fold(0u32, |acc, a| acc.wrapping_add(load(a)));
    show_u32(page, n)
}

fn stat_tgt_attr_last_fail_time_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let j = tiqn_of(g)?.stats.last_fail_time.load(Ordering::Relaxed);
    show_u32(
        page,
        if j == 0 {
            0
        } else {
            time::jiffies_to_mib_time(j)
        },
    )
}

fn stat_tgt_attr_last_fail_type_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.last_fail_type))
}

fn stat_tgt_attr_fail_intr_name_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let names = tiqn_of(g)?.fail_names.lock();
    show_name_or_none(page, &names.intr_fail_name)
}

fn stat_tgt_attr_fail_intr_addr_type_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let names = tiqn_of(g)?.fail_names.lock();
    match names.intr_fail_addr {
        Some(portal::PortalAddr::V6(_)) => writeln!(page, "ipv6")?,
        _ => writeln!(page, "ipv4")?,
    }
    Ok(())
}

/// `%pISc` of the last failed initiator's address; an unset address (family 0) prints
/// `(einval)` as vsprintf does.
fn stat_tgt_attr_fail_intr_addr_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    let names = tiqn_of(g)?.fail_names.lock();
    match names.intr_fail_addr {
        None => writeln!(page, "(einval)")?,
        Some(portal::PortalAddr::V4(a)) => writeln!(page, "{}.{}.{}.{}", a[0], a[1], a[2], a[3])?,
        Some(portal::PortalAddr::V6(a)) => {
            // Groups in hex without leading zeros; the longest run of two or more zero
            // groups becomes "::" (`ip6_compressed_string()`).
            let w = |i: usize| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
            let (mut best, mut best_len, mut i) = (8usize, 0usize, 0usize);
            while i < 8 {
                let start = i;
                while i < 8 && w(i) == 0 {
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
                    page.write_bytes(b"::")?;
                    i += best_len;
                    continue;
                }
                if i != 0 && i != best + best_len {
                    page.write_bytes(b":")?;
                }
                write!(page, "{:x}", w(i))?;
                i += 1;
            }
            writeln!(page)?
        }
    }
    Ok(())
}

fn stat_login_accepts_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.accepts))
}

fn stat_login_other_fails_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.other_fails))
}

fn stat_login_redirects_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.redirects))
}

fn stat_login_authorize_fails_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.authorize_fails))
}

fn stat_login_authenticate_fails_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.authenticate_fails))
}

fn stat_login_negotiate_fails_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.negotiate_fails))
}

fn stat_logout_normal_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.normal_logouts))
}

fn stat_logout_abnormal_show(g: &WwnStatGroup, page: &mut Page<'_>) -> Result {
    show_u32(page, load(&tiqn_of(g)?.stats.abnormal_logouts))
}

/// `iscsi_sess_stats/inst`: the target IQN's index.
fn stat_sess_inst_show(g: &NodeAclStatGroup, page: &mut Page<'_>) -> Result {
    let tiqn = g.tpg().wwn().fabric_priv::<IscsiTiqn>()?;
    show_u32(page, tiqn.index)
}

/// The session of the ACL of a statistics group, if one is logged in.
fn stat_sess(g: &NodeAclStatGroup) -> Result<Option<Arc<SessInfo>>> {
    Ok(g.acl().fabric_priv::<IscsiNodeAcl>()?.sess.lock().clone())
}

/// `iscsi_sess_stats/node`: empty without a session.
fn stat_sess_node_show(g: &NodeAclStatGroup, page: &mut Page<'_>) -> Result {
    if let Some(s) = stat_sess(g)? {
        let node = if s.sess_ops.session_type {
            0
        } else {
            ISCSI_NODE_INDEX
        };
        show_u32(page, node)?;
    }
    Ok(())
}

/// `iscsi_sess_stats/indx`: empty without a session.
fn stat_sess_indx_show(g: &NodeAclStatGroup, page: &mut Page<'_>) -> Result {
    if let Some(s) = stat_sess(g)? {
        show_u32(page, s.index)?;
    }
    Ok(())
}

/// The session counters, empty without a session.
fn stat_sess_show<const N: usize>(g: &NodeAclStatGroup, page: &mut Page<'_>) -> Result {
    if let Some(s) = stat_sess(g)? {
        let c = match N {
            0 => &s.cmd_pdus,
            1 => &s.rsp_pdus,
            2 => &s.tx_data_octets,
            3 => &s.rx_data_octets,
            4 => &s.conn_digest_errors,
            _ => &s.conn_timeout_errors,
        };
        writeln!(page, "{}", c.load(Ordering::Relaxed))?;
    }
    Ok(())
}

// --- tpgt_N/attrib, auth, param ------------------------------------------------------------

fn iscsi_tpg(tpg: &SeTpg) -> Result<&IscsiTpg> {
    tpg.fabric_priv::<IscsiTpg>()
}

/// The value of TPG attribute `N` (in `attrib/`'s order).
fn tpg_attrib_get(a: &TpgAttrib, n: usize) -> u32 {
    [
        a.authentication,
        a.login_timeout,
        a.generate_node_acls,
        a.default_cmdsn_depth,
        a.cache_dynamic_acls,
        a.demo_mode_write_protect,
        a.prod_mode_write_protect,
        a.demo_mode_discovery,
        a.default_erl,
        a.t10_pi,
        a.fabric_prot_type,
        a.tpg_enabled_sendtargets,
        a.login_keys_workaround,
    ]
    .get(n)
    .copied()
    .unwrap_or(0)
}

/// `tpgt_N/attrib/*` (read): `"%u\n"`.
fn tpg_attrib_show<const N: usize>(dir: &TpgSubDir, page: &mut Page<'_>) -> Result {
    let v = tpg_attrib_get(&iscsi_tpg(dir.tpg())?.inner.lock().attrib, N);
    show_u32(page, v)
}

/// Logs a refused attribute write as LIO does, and gives its errno.
fn attr_err(e: AttrError) -> Error {
    if e != AttrError::Silent {
        pr_err!("{}\n", e);
    }
    EINVAL
}

/// `iscsit_ta_authentication()`: also rewrites AuthMethod.
fn ta_authentication(inner: &mut TpgInner, v: u32) -> Result<(), AttrError> {
    if v > 1 {
        return Err(AttrError::Authentication(v));
    }
    let cur = inner.params.value(IscsiParamKey::AuthMethod);
    if let Some(new) = authmethod_for(cur, v == 1) {
        inner
            .params
            .iscsi_update_param_value(IscsiParamKey::AuthMethod, new.as_bytes())
            .map_err(|_| AttrError::Silent)?;
    }
    inner.attrib.authentication = v;
    Ok(())
}

/// `tpgt_N/attrib/*` (write): `kstrtou32(page, 0)` and `iscsit_ta_*()`.
fn tpg_attrib_store<const N: usize>(dir: &TpgSubDir, input: &[u8]) -> Result {
    let tpg = iscsi_tpg(dir.tpg())?;
    let v = kstrtou32(input, 0)?;
    let mut inner = tpg.inner.lock();
    if N == 0 {
        return ta_authentication(&mut inner, v).map_err(attr_err);
    }
    let a = &mut inner.attrib;
    let res = match N {
        1 => a.set_login_timeout(v),
        2 => a.set_generate_node_acls(v),
        3 => a.set_default_cmdsn_depth(v),
        4 => a.set_cache_dynamic_acls(v),
        5 => a.set_demo_mode_write_protect(v),
        6 => a.set_prod_mode_write_protect(v),
        7 => a.set_demo_mode_discovery(v),
        8 => a.set_default_erl(v),
        9 => a.set_t10_pi(v),
        10 => a.set_fabric_prot_type(v),
        11 => a.set_tpg_enabled_sendtargets(v),
        _ => a.set_login_keys_workaround(v),
    };
    res.map_err(attr_err)
}

/// `tpgt_N/auth/*` (read).
fn tpg_auth_show<const F: usize>(dir: &TpgSubDir, page: &mut Page<'_>) -> Result {
    check_admin()?;
    let tpg = iscsi_tpg(dir.tpg())?;
    let inner = tpg.inner.lock();
    auth_show(&inner.auth, auth_field::<F>()?, page)
}

/// `tpgt_N/auth/*` (write): cut at 255 bytes, no length check (as LIO).
fn tpg_auth_store<const F: usize>(dir: &TpgSubDir, input: &[u8]) -> Result {
    check_admin()?;
    let tpg = iscsi_tpg(dir.tpg())?;
    let mut inner = tpg.inner.lock();
    inner
        .auth
        .store(auth_field::<F>()?, input, false)
        .map_err(|_| EINVAL)
}

/// `tpgt_N/auth/authenticate_target`.
fn tpg_authenticate_target_show(dir: &TpgSubDir, page: &mut Page<'_>) -> Result {
    check_admin()?;
    let v = iscsi_tpg(dir.tpg())?.inner.lock().auth.authenticate_target;
    writeln!(page, "{}", v)?;
    Ok(())
}

fn tpg_param_key<const N: usize>() -> Result<IscsiParamKey> {
    TPG_PARAM_KEYS.get(N).copied().ok_or(EINVAL)
}

/// `tpgt_N/param/Key` (read): `"%s\n"` of the TPG's value.
fn tpg_param_show<const N: usize>(dir: &TpgSubDir, page: &mut Page<'_>) -> Result {
    let key = tpg_param_key::<N>()?;
    let tpg = iscsi_tpg(dir.tpg())?;
    let inner = tpg.inner.lock();
    page.write_bytes(inner.params.value(key))?;
    page.write_bytes(b"\n")?;
    Ok(())
}

/// `tpgt_N/param/Key` (write): `iscsi_change_param_value("Key=value", list, 1)`; any
/// refusal is `EINVAL`.
fn tpg_param_store<const N: usize>(dir: &TpgSubDir, input: &[u8]) -> Result {
    let key = tpg_param_key::<N>()?;
    let tpg = iscsi_tpg(dir.tpg())?;
    let mut buf = KVec::from_elem(0u8, kernel::page::PAGE_SIZE, GFP_KERNEL)?;
    let text = attrs::param_store_text(key, input, &mut buf);
    let mut inner = tpg.inner.lock();
    inner
        .params
        .iscsi_change_param_value(text, true)
        .map_err(|e| {
            pr_err!("{}\n", ParamErrorText(e));
            EINVAL
        })
}

/// `np/$portal/{iser,cxgbit}` (read): no offload portal exists.
fn np_driver_show(_np: &NpDir, page: &mut Page<'_>) -> Result {
    writeln!(page, "0")?;
    Ok(())
}

/// `lio_target_np_driver_store()`: 0 or 1; offload transports are not there.
fn np_driver_store(input: &[u8], module: &str) -> Result {
    let op = kstrtou32(input, 0)?;
    if op > 1 {
        pr_err!("Illegal value for tpg_enable: {}\n", op);
        return Err(EINVAL);
    }
    if op == 1 {
        pr_err!("iSCSI offload transport {} is not implemented\n", module);
        return Err(errno::eopnotsupp());
    }
    Ok(())
}

fn np_iser_store(_np: &NpDir, input: &[u8]) -> Result {
    np_driver_store(input, "ib_isert")
}

fn np_cxgbit_store(_np: &NpDir, input: &[u8]) -> Result {
    np_driver_store(input, "cxgbit")
}

// --- acls/$initiator -----------------------------------------------------------------------

fn iscsi_nacl(acl: &target_core::fabric::SeNodeAcl) -> Result<&IscsiNodeAcl> {
    acl.fabric_priv::<IscsiNodeAcl>()
}

/// `acls/$initiator/info`: the session's state.
fn nacl_info_show(dir: &NodeAclDir, page: &mut Page<'_>) -> Result {
    let sess = iscsi_nacl(dir.acl())?.sess.lock().clone();
    let Some(s) = sess else {
        page.write_bytes(b"No active iSCSI Session for Initiator Endpoint: ")?;
        page.write_bytes(dir.acl().initiatorname())?;
        page.write_bytes(b"\n")?;
        return Ok(());
    };
    page.write_bytes(b"InitiatorName: ")?;
    page.write_bytes(s.sess_ops.initiator_name.as_bytes())?;
    page.write_bytes(b"\nInitiatorAlias: ")?;
    page.write_bytes(s.sess_ops.initiator_alias.as_bytes())?;
    let i = s.isid;
    write!(
        page,
        "\nLIO Session ID: {}   ISID: 0x{:02x} {:02x} {:02x} {:02x} {:02x} {:02x}  TSIH: {}  ",
        s.sid, i[0], i[1], i[2], i[3], i[4], i[5], s.tsih
    )?;
    writeln!(
        page,
        "SessionType: {}",
        if s.sess_ops.session_type {
            "Discovery"
        } else {
            "Normal"
        }
    )?;
    writeln!(page, "Session State: TARG_SESS_STATE_LOGGED_IN")?;
    writeln!(
        page,
        "---------------------[iSCSI Session Values]-----------------------"
    )?;
    writeln!(
        page,
        "  CmdSN/WR  :  CmdSN/WC  :  ExpCmdSN  :  MaxCmdSN  :     ITT    :     TTT"
    )?;
    let exp = s.exp_cmd_sn.load(Ordering::Relaxed);
    let max = s.max_cmd_sn.load(Ordering::Relaxed);
    writeln!(
        page,
        " 0x{:08x}   0x{:08x}   0x{:08x}   0x{:08x}   0x{:08x}   0x{:08x}",
        s.cmdsn_window,
        max.wrapping_sub(exp).wrapping_add(1),
        exp,
        max,
        0,
        0
    )?;
    writeln!(
        page,
        "----------------------[iSCSI Connections]-------------------------"
    )?;
    writeln!(
        page,
        "CID: {}  Connection State: TARG_CONN_STATE_LOGGED_IN",
        s.cid
    )?;
    page.write_bytes(b"   Address ")?;
    match s.addr {
        Some(target_core::lio::net::SockAddr::V4(a, _)) => {
            write!(page, "{}.{}.{}.{}", a[0], a[1], a[2], a[3])?
        }
        Some(target_core::lio::net::SockAddr::V6(a, _)) => {
            seq::write_ip6_compressed(page, &a).map_err(|_| EINVAL)?
        }
        None => page.write_bytes(b"(einval)")?,
    }
    writeln!(
        page,
        " TCP  StatSN: 0x{:08x}",
        s.stat_sn.load(Ordering::Relaxed)
    )?;
    Ok(())
}

/// `acls/$initiator/cmdsn_depth` (read).
fn nacl_cmdsn_depth_show(dir: &NodeAclDir, page: &mut Page<'_>) -> Result {
    show_u32(page, dir.acl().queue_depth())
}

/// `acls/$initiator/cmdsn_depth` (write): at most `TA_DEFAULT_CMDSN_DEPTH_MAX`.
fn nacl_cmdsn_depth_store(dir: &NodeAclDir, input: &[u8]) -> Result {
    let depth = kstrtou32(input, 0)?;
    if depth > attrs::TA_DEFAULT_CMDSN_DEPTH_MAX {
        pr_err!(
            "Passed cmdsn_depth: {} exceeds TA_DEFAULT_CMDSN_DEPTH_MAX: {}\n",
            depth,
            attrs::TA_DEFAULT_CMDSN_DEPTH_MAX
        );
        return Err(EINVAL);
    }
    dir.acl().set_queue_depth(dir.tpg(), depth);
    pr_debug!(
        "LIO_Target_ConfigFS: {}/tpgt_{} Set CmdSN Window: {} for InitiatorName: {}\n",
        BStr::from_bytes(dir.tpg().wwn().name()),
        dir.tpg().tag(),
        depth,
        BStr::from_bytes(dir.acl().initiatorname())
    );
    Ok(())
}

/// `acls/$initiator/tag` (read): `"%s"`.
fn nacl_tag_show(dir: &NodeAclDir, page: &mut Page<'_>) -> Result {
    dir.acl().tag_show(page)
}

/// `acls/$initiator/tag` (write).
fn nacl_tag_store(dir: &NodeAclDir, input: &[u8]) -> Result {
    dir.acl().set_tag(input)
}

/// The value of ACL attribute `N` (in `attrib/`'s order, without `authentication`).
fn nacl_attrib_get(a: &NodeAttrib, n: usize) -> u32 {
    [
        a.dataout_timeout,
        a.dataout_timeout_retries,
        a.default_erl,
        a.nopin_timeout,
        a.nopin_response_timeout,
        a.random_datain_pdu_offsets,
        a.random_datain_seq_offsets,
        a.random_r2t_offsets,
    ]
    .get(n)
    .copied()
    .unwrap_or(0)
}

/// `acls/$initiator/attrib/*` (read): `"%u\n"`.
fn nacl_attrib_show<const N: usize>(dir: &NodeAclSubDir, page: &mut Page<'_>) -> Result {
    let v = nacl_attrib_get(&iscsi_nacl(dir.acl())?.attrib.lock(), N);
    show_u32(page, v)
}

/// `acls/$initiator/attrib/*` (write): `kstrtou32(page, 0)` and `iscsit_na_*()`.
fn nacl_attrib_store<const N: usize>(dir: &NodeAclSubDir, input: &[u8]) -> Result {
    let nacl = iscsi_nacl(dir.acl())?;
    let v = kstrtou32(input, 0)?;
    let mut a = nacl.attrib.lock();
    let res = match N {
        0 => a.set_dataout_timeout(v),
        1 => a.set_dataout_timeout_retries(v),
        2 => a.set_default_erl(v),
        3 => a.set_nopin_timeout(v),
        4 => a.set_nopin_response_timeout(v),
        5 => a.set_random_datain_pdu_offsets(v),
        6 => a.set_random_datain_seq_offsets(v),
        _ => a.set_random_r2t_offsets(v),
    };
    res.map_err(attr_err)
}

/// `acls/$initiator/attrib/authentication` (read): `"%d\n"`.
fn nacl_authentication_show(dir: &NodeAclSubDir, page: &mut Page<'_>) -> Result {
    let v = iscsi_nacl(dir.acl())?.attrib.lock().authentication;
    writeln!(page, "{}", v)?;
    Ok(())
}

/// `acls/$initiator/attrib/authentication` (write): `kstrtos32`; -1, 0 or 1.
fn nacl_authentication_store(dir: &NodeAclSubDir, input: &[u8]) -> Result {
    let v = kstrtoint(input, 0)?;
    let nacl = iscsi_nacl(dir.acl())?;
    let res = nacl.attrib.lock().set_authentication(v);
    res.map_err(attr_err)
}

/// `acls/$initiator/auth/*` (read).
fn nacl_auth_show<const F: usize>(dir: &NodeAclSubDir, page: &mut Page<'_>) -> Result {
    check_admin()?;
    let auth = iscsi_nacl(dir.acl())?.auth.lock();
    auth_show(&auth, auth_field::<F>()?, page)
}

/// `acls/$initiator/auth/*` (write): refused (`EINVAL`) from 256 bytes.
fn nacl_auth_store<const F: usize>(dir: &NodeAclSubDir, input: &[u8]) -> Result {
    check_admin()?;
    let mut auth = iscsi_nacl(dir.acl())?.auth.lock();
    auth.store(auth_field::<F>()?, input, true)
        .map_err(|_| EINVAL)
}

/// `acls/$initiator/auth/authenticate_target`.
fn nacl_authenticate_target_show(dir: &NodeAclSubDir, page: &mut Page<'_>) -> Result {
    check_admin()?;
    let v = iscsi_nacl(dir.acl())?.auth.lock().authenticate_target;
    writeln!(page, "{}", v)?;
    Ok(())
}

/// `acls/$initiator/param/*`: the session's negotiated value, as `"%u\n"`.
fn nacl_param_show<const N: usize>(dir: &NodeAclSubDir, page: &mut Page<'_>) -> Result {
    let sess = iscsi_nacl(dir.acl())?.sess.lock().clone();
    let Some(s) = sess else {
        writeln!(page, "No Active iSCSI Session")?;
        return Ok(());
    };
    let o = &s.sess_ops;
    let v: u32 = match N {
        0 => o.max_connections.into(),
        1 => o.initial_r2t.into(),
        2 => o.immediate_data.into(),
        3 => o.max_burst_length,
        4 => o.first_burst_length,
        5 => o.default_time2wait.into(),
        6 => o.default_time2retain.into(),
        7 => o.max_outstanding_r2t.into(),
        8 => o.data_pdu_in_order.into(),
        9 => o.data_sequence_in_order.into(),
        _ => o.error_recovery_level.into(),
    };
    show_u32(page, v)
}

// --- the fabric ---------------------------------------------------------------------------

impl TargetFabric for IscsiFabric {
    fn name(&self) -> &'static CStr {
        c_str!("iscsi")
    }

    fn item_types(&self) -> &'static FabricItemTypes {
        &ISCSI_TYPES
    }

    /// `lio_target_call_coreaddtiqn()` + `iscsit_add_tiqn()`: a name shorter than
    /// `ISCSI_IQN_LEN`, and the lowest free index.
    fn make_wwn(&self, name: &CStr) -> Result<FabricPriv> {
        if name.as_bytes().len() >= ISCSI_IQN_LEN {
            pr_err!("Target IQN exceeds {} bytes\n", ISCSI_IQN_LEN);
            return Err(EINVAL);
        }
        let g = global()?;
        let mut ids = g.tiqn_ids.lock();
        let index = (0..=u32::MAX).find(|i| !ids.contains(i)).ok_or(ENOSPC)?;
        let tiqn = Arc::pin_init(
            pin_init!(IscsiTiqn {
                index,
                stats: TiqnStats::default(),
                fail_names <- new_mutex!(TiqnFailNames {
                    sess_fail_rem_name: KVec::new(),
                    intr_fail_name: KVec::new(),
                    intr_fail_addr: None,
                }),
                ntpgs: AtomicU32::new(0),
                active_tpgs: AtomicU32::new(0),
            }),
            GFP_KERNEL,
        )?;
        ids.push(index, GFP_KERNEL)?;
        pr_debug!("CORE[0] - Added iSCSI Target IQN: {}\n", name);
        Ok(tiqn)
    }

    /// `lio_target_call_coredeltiqn()`: the index is free again.
    fn drop_wwn(&self, wwn: &SeWwn) {
        if let (Ok(tiqn), Ok(g)) = (wwn.fabric_priv::<IscsiTiqn>(), global()) {
            let index = tiqn.index;
            target_core::lio::vec::retain_unordered(&mut g.tiqn_ids.lock(), |&i| i != index);
            pr_debug!(
                "CORE[0] - Deleted iSCSI Target IQN: {}\n",
                BStr::from_bytes(wwn.name())
            );
        }
    }

    /// `lio_target_tiqn_addtpg()`: a name containing `tpgt_` followed by a `kstrtou16`
    /// number; the TPG gets LIO's default attributes and parameters.
    fn make_tpg(&self, wwn: &SeWwn, name: &CStr) -> Result<NewTpg> {
        let tiqn = wwn.fabric_priv_arc::<IscsiTiqn>()?;
        let bytes = name.as_bytes();
        let Some(pos) = bytes.windows(5).position(|w| w == b"tpgt_") else {
            pr_err!("Unable to locate \"tpgt_#\" directory group\n");
            return Err(EINVAL);
        };
        let tpgt = kstrtou16(bytes.get(pos + 5..).unwrap_or(&[]), 0)?;
        let params = new_param_list()?;
        let tpg_tiqn = tiqn.clone();
        let tpg = Arc::pin_init(
            pin_init!(IscsiTpg {
                tpgt,
                tiqn: tpg_tiqn,
                inner <- new_mutex!(TpgInner {
                    state: TpgState::Inactive,
                    attrib: TpgAttrib::default(),
                    auth: NodeAuth::default(),
                    params,
                }),
                sessions <- new_mutex!(conn::TpgSessions::new()),
            }),
            GFP_KERNEL,
        )?;
        tiqn.ntpgs.fetch_add(1, Ordering::Relaxed);
        pr_debug!(
            "CORE[{}]_TPG[{}] - Added iSCSI Target Portal Group\n",
            BStr::from_bytes(wwn.name()),
            tpgt
        );
        Ok(NewTpg {
            tag: tpgt,
            proto_id: proto_id::ISCSI,
            fabric_priv: tpg,
        })
    }

    /// `lio_target_tiqn_deltpg()`.
    fn drop_tpg(&self, tpg: &Arc<SeTpg>) {
        if let Ok(t) = iscsi_tpg(tpg) {
            let mut inner = t.inner.lock();
            if inner.state == TpgState::Active {
                t.tiqn.active_tpgs.fetch_sub(1, Ordering::Relaxed);
            }
            inner.state = TpgState::Inactive;
            t.tiqn.ntpgs.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn has_enable_tpg(&self) -> bool {
        true
    }

    /// `lio_target_tiqn_enabletpg()`: `iscsit_tpg_enable_portal_group()` enforces
    /// authentication (AuthMethod loses `None`) when the `authentication` attribute is
    /// set; `iscsit_tpg_disable_portal_group()`.
    fn enable_tpg(&self, tpg: &Arc<SeTpg>, enable: bool) -> Result {
        let t = iscsi_tpg(tpg)?;
        let mut inner = t.inner.lock();
        if enable {
            if inner.state == TpgState::Active {
                pr_err!(
                    "iSCSI target portal group: {} is already active, ignoring request.\n",
                    t.tpgt
                );
                return Err(EINVAL);
            }
            if inner.attrib.authentication != 0 {
                if inner.params.value(IscsiParamKey::AuthMethod) == NONE.as_bytes() {
                    inner
                        .params
                        .iscsi_update_param_value(IscsiParamKey::AuthMethod, b"CHAP")
                        .map_err(|_| EINVAL)?;
                }
                ta_authentication(&mut inner, 1).map_err(|_| EINVAL)?;
            }
            inner.state = TpgState::Active;
            t.tiqn.active_tpgs.fetch_add(1, Ordering::Relaxed);
            pr_debug!(
                "iSCSI_TPG[{}] - Enabled iSCSI Target Portal Group\n",
                t.tpgt
            );
        } else {
            if inner.state == TpgState::Inactive {
                pr_err!(
                    "iSCSI Target Portal Group: {} is already inactive, ignoring request.\n",
                    t.tpgt
                );
                return Err(EINVAL);
            }
            inner.state = TpgState::Inactive;
            t.tiqn.active_tpgs.fetch_sub(1, Ordering::Relaxed);
            drop(inner);
            // iscsit_release_sessions_for_tpg(): the TPG's sessions are closed.
            for s in t.sessions.lock().list.iter() {
                s.conn.sock.shutdown();
            }
            pr_debug!(
                "iSCSI_TPG[{}] - Disabled iSCSI Target Portal Group\n",
                t.tpgt
            );
        }
        Ok(())
    }

    /// `lio_target_call_addnptotpg()`: the name is parsed as LIO parses it, then the
    /// portal listens (`iscsit_tpg_add_network_portal()`), shared with the TPGs that
    /// already have it.
    fn make_np(&self, tpg: &Arc<SeTpg>, name: &CStr) -> Result<FabricPriv> {
        use portal::PortalError as P;
        use target_core::lio::net::SockAddr;
        match portal::parse_portal(name.as_bytes()) {
            Ok(p) => {
                let addr = match p.addr {
                    portal::PortalAddr::V4(a) => SockAddr::V4(a, p.port),
                    portal::PortalAddr::V6(a) => SockAddr::V6(a, p.port),
                };
                let np = np::IscsiNp::add(tpg, addr).inspect_err(|e| {
                    pr_err!(
                        "iSCSI network portal {} (TPGT {}): setup failed: {}\n",
                        name,
                        tpg.tag(),
                        e.to_errno()
                    );
                })?;
                if let Ok(t) = iscsi_tpg(tpg) {
                    t.tiqn.stats.num_tpg_nps.fetch_add(1, Ordering::Relaxed);
                }
                pr_debug!(
                    "CORE[{}] - Added Network Portal: {} on TCP\n",
                    BStr::from_bytes(tpg.wwn().name()),
                    name
                );
                Ok(Arc::new(np::TpgNp { np }, GFP_KERNEL)?)
            }
            Err(P::TooLong(n)) => {
                pr_err!(
                    "strlen(name): {} exceeds MAX_PORTAL_LEN: {}\n",
                    n,
                    portal::MAX_PORTAL_LEN
                );
                Err(errno::eoverflow())
            }
            Err(P::NoClosingBracket) => {
                pr_err!("Unable to locate trailing \"]\" in IPv6 iSCSI network portal address\n");
                Err(EINVAL)
            }
            Err(P::NoPortV6) => {
                pr_err!("Unable to locate \":port\" in IPv6 iSCSI network portal address\n");
                Err(EINVAL)
            }
            Err(P::NoPortV4) => {
                pr_err!("Unable to locate \":port\" in IPv4 iSCSI network portal address\n");
                Err(EINVAL)
            }
            Err(P::Malformed) => {
                pr_err!("malformed ip/port passed: {}\n", name);
                Err(EINVAL)
            }
        }
    }

    /// `lio_target_call_delnpfromtpg()`: the TPG leaves the portal; its connections there
    /// are closed, and the last TPG takes the portal down.
    fn drop_np(&self, tpg: &Arc<SeTpg>, np: &NpDir) {
        if let Ok(tnp) = np.fabric_priv::<np::TpgNp>() {
            np::IscsiNp::remove(&tnp.np, tpg);
            if let Ok(t) = iscsi_tpg(tpg) {
                t.tiqn.stats.num_tpg_nps.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// `lio_tpg_check_demo_mode()`: `generate_node_acls`.
    fn check_demo_mode(&self, tpg: &SeTpg) -> bool {
        iscsi_tpg(tpg).is_ok_and(|t| t.inner.lock().attrib.generate_node_acls != 0)
    }

    /// `lio_tpg_check_demo_mode_cache()`: `cache_dynamic_acls` (forced on with
    /// `generate_node_acls`).
    fn check_demo_mode_cache(&self, tpg: &SeTpg) -> bool {
        iscsi_tpg(tpg).is_ok_and(|t| t.inner.lock().attrib.cache_dynamic_acls != 0)
    }

    /// `lio_tpg_check_demo_mode_write_protect()`: `demo_mode_write_protect`.
    fn check_demo_mode_write_protect(&self, tpg: &SeTpg) -> bool {
        iscsi_tpg(tpg).is_ok_and(|t| t.inner.lock().attrib.demo_mode_write_protect != 0)
    }

    /// `lio_tpg_check_prod_mode_write_protect()`: `prod_mode_write_protect`.
    fn check_prod_mode_write_protect(&self, tpg: &SeTpg) -> bool {
        iscsi_tpg(tpg).is_ok_and(|t| t.inner.lock().attrib.prod_mode_write_protect != 0)
    }

    /// `lio_tpg_get_default_depth()`: `default_cmdsn_depth`.
    fn tpg_get_default_depth(&self, tpg: &SeTpg) -> u32 {
        iscsi_tpg(tpg).map_or(1, |t| t.inner.lock().attrib.default_cmdsn_depth)
    }

    /// `lio_set_default_node_attributes()`: the ACL inherits the TPG's `default_erl`.
    fn alloc_nodeacl_priv(&self, tpg: &SeTpg, _name: &[u8]) -> Result<Option<FabricPriv>> {
        let erl = iscsi_tpg(tpg)?.inner.lock().attrib.default_erl;
        let nacl = Arc::pin_init(
            pin_init!(IscsiNodeAcl {
                attrib <- new_mutex!(NodeAttrib::new(erl)),
                auth <- new_mutex!(NodeAuth::default()),
                sess <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )?;
        Ok(Some(nacl))
    }

    fn default_submit_type(&self) -> SubmitType {
        SubmitType::Direct
    }

    fn direct_submit_supported(&self) -> bool {
        true
    }
}

struct IscsiTargetMod {
    _registration: FabricRegistration,
}

impl kernel::Module for IscsiTargetMod {
    /// `iscsi_target_init_module()`: the global state with the discovery TPG's
    /// parameters (AuthMethod `CHAP,None`, authentication off), every CPU allowed, then
    /// the fabric.
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_debug!("iSCSI-Target {}\n", ISCSIT_VERSION);
        let mut params = new_param_list()?;
        params
            .iscsi_update_param_value(IscsiParamKey::AuthMethod, b"CHAP,None")
            .map_err(|_| EINVAL)?;
        let mut cpus = empty_cpu_mask()?;
        for b in 0..cpu::nr_cpu_ids() {
            if let Some(w) = cpus.get_mut((b / 64) as usize) {
                *w |= 1u64 << (b % 64);
            }
        }
        let global = Arc::pin_init(
            pin_init!(IscsiGlobal {
                discovery <- new_mutex!(Discovery {
                    auth: NodeAuth::default(),
                    authentication: 0,
                    params,
                }),
                allowed_cpus <- new_mutex!(cpus),
                tiqn_ids <- new_mutex!(KVec::new()),
                nps <- new_mutex!(KVec::new()),
            }),
            GFP_KERNEL,
        )?;
        GLOBAL.set(Some(global));
        match FabricRegistration::new(&ISCSI_FABRIC) {
            Ok(registration) => Ok(IscsiTargetMod {
                _registration: registration,
            }),
            Err(e) => {
                GLOBAL.set(None);
                Err(e)
            }
        }
    }
}

impl Drop for IscsiTargetMod {
    /// `iscsi_target_cleanup_module()`: no IQN exists any more (each pins the module).
    fn drop(&mut self) {
        GLOBAL.set(None);
    }
}
