// SPDX-License-Identifier: GPL-2.0

//! The contract between the target engine and its fabric modules (LIO:
//! `include/target/target_core_fabric.h`).
//!
//! A fabric module (`tcm_loop`, `iscsi_target_mod`, ...) is a crate that depends on the
//! `target_core` crate (linked into `target_core_mod.ko`). It
//!
//! 1. implements [`TargetFabric`] on a `static` value: its name (the directory under
//!    `/sys/kernel/config/target`), how it makes and drops WWNs and TPGs, and what it does
//!    when a LUN is linked or unlinked;
//! 2. declares its configfs item types with [`target_fabric_item_types!`]: every directory
//!    of its tree is owned by the fabric module (configfs pins it while they exist), and
//!    the fabric adds its own attributes where LIO's `tfc_*_attrs` go;
//! 3. registers with [`FabricRegistration::new`] at init; the registration goes when the
//!    value is dropped at exit.
//!
//! `mkdir /sys/kernel/config/target/NAME` then finds the fabric (loading `tcm_loop` for
//! `loopback` and `iscsi_target_mod` for `iscsi*` first, as LIO does) and the core builds
//! the tree below it, calling the fabric at each step. A fabric keeps its private state
//! in [`FabricPriv`] boxes that the core stores in [`SeWwn`] and [`SeTpg`] and hands back
//! ([`SeWwn::fabric_priv`], [`SeTpg::fabric_priv`]).
//!
//! Commands: a fabric opens an I_T nexus with [`SeTpg::setup_session`] and submits each
//! command with [`SeSession::submit_cmd`], which executes it and returns the response
//! (status, sense, residual) for the fabric to deliver.

use crate::lio::configfs::ItemType;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

pub use crate::device::SeDevice;
pub use crate::exec::{CmdData, CmdResponse};
pub use crate::fabric_configfs::{
    EmptyGroup, FabricDiscovery, FabricRoot, LunDir, MappedLunDir, NodeAclDir, NodeAclStatDir,
    NodeAclStatGroup, NodeAclSubDir, NpDir, StatDir, TpgAclsDir, TpgDir, TpgLunDir, TpgNpDir,
    TpgSubDir, WwnDir, WwnParamDir, WwnStatDir, WwnStatGroup,
};
pub use crate::fabric_registry::FabricRegistration;
pub use crate::tpg::{SeLun, SeNodeAcl, SeSession, SeTpg, SeWwn};
pub use crate::transport::DataDirection;

/// A fabric's private data for one of its objects (a WWN, a TPG, a network portal, a
/// node ACL), kept by the core and found again with a downcast to the fabric's own type.
pub type FabricPriv = Arc<dyn core::any::Any + Send + Sync>;

/// A statistics group a fabric adds below `fabric_statistics/` (of a WWN or of a node
/// ACL): its directory name and item type.
pub type StatGroup<T> = (&'static CStr, &'static ItemType<T>);

/// SPC-4 protocol identifiers (`SCSI_PROTOCOL_*`).
pub mod proto_id {
    /// Fibre Channel.
    pub const FCP: u8 = 0x0;
    /// SCSI RDMA (SRP).
    pub const SRP: u8 = 0x4;
    /// iSCSI.
    pub const ISCSI: u8 = 0x5;
    /// Serial Attached SCSI.
    pub const SAS: u8 = 0x6;
}

/// `enum target_submit_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SubmitType {
    /// `TARGET_FABRIC_DEFAULT_SUBMIT`.
    FabricDefault = 0,
    /// `TARGET_DIRECT_SUBMIT`.
    Direct = 1,
    /// `TARGET_QUEUE_SUBMIT`.
    Queue = 2,
}

/// What a fabric makes when a TPG directory is created.
pub struct NewTpg {
    /// The portal group tag (`tpg_get_tag`).
    pub tag: u16,
    /// The SCSI protocol identifier of the TPG's ports (`core_tpg_register`'s `proto_id`).
    pub proto_id: u8,
    /// The fabric's TPG state.
    pub fabric_priv: FabricPriv,
}

/// A fabric module (LIO: `struct target_core_fabric_ops`). Every method runs in process
/// context, from configfs, under no core lock.
pub trait TargetFabric: Send + Sync + 'static {
    /// `fabric_name`: the directory under `/sys/kernel/config/target`.
    fn name(&self) -> &'static CStr;

    /// The configfs item types of the fabric's tree (see [`target_fabric_item_types!`]).
    fn item_types(&self) -> &'static FabricItemTypes;

    /// `fabric_make_wwn`: `mkdir $fabric/NAME`. An error refuses the directory.
    fn make_wwn(&self, name: &CStr) -> Result<FabricPriv>;

    /// `fabric_drop_wwn`: the WWN directory is gone (called when configfs releases it).
    fn drop_wwn(&self, _wwn: &SeWwn) {}

    /// `fabric_make_tpg`: `mkdir $fabric/$wwn/NAME`.
    fn make_tpg(&self, wwn: &SeWwn, name: &CStr) -> Result<NewTpg>;

    /// `fabric_drop_tpg`: `rmdir` of a TPG directory.
    fn drop_tpg(&self, _tpg: &Arc<SeTpg>) {}

    /// Whether the fabric enables TPGs (`fabric_enable_tpg`): if so the TPG directory has
    /// an `enable` attribute, which the fabric lists in its `tpg_base` attributes as
    /// `TpgDir::enable_show`/`TpgDir::enable_store`.
    fn has_enable_tpg(&self) -> bool {
        false
    }

    /// `fabric_enable_tpg`.
    fn enable_tpg(&self, _tpg: &Arc<SeTpg>, _enable: bool) -> Result {
        Err(EINVAL)
    }

    /// `fabric_make_np`: `mkdir $tpg/np/NAME`; fabrics without portals refuse with
    /// `ENOSYS`, as LIO does when the operation is missing.
    fn make_np(&self, _tpg: &Arc<SeTpg>, _name: &CStr) -> Result<FabricPriv> {
        pr_err!("tf->tf_ops.fabric_make_np is NULL\n");
        Err(crate::lio::errno::enosys())
    }

    /// `fabric_drop_np`.
    fn drop_np(&self, _tpg: &Arc<SeTpg>, _np: &NpDir) {}

    /// `fabric_post_link`: a LUN of `tpg` now reaches a device.
    fn post_link(&self, _tpg: &Arc<SeTpg>, _lun: &Arc<SeLun>) {}

    /// `fabric_pre_unlink`: a LUN of `tpg` is about to lose its device.
    fn pre_unlink(&self, _tpg: &Arc<SeTpg>, _lun: &Arc<SeLun>) {}

    /// `tpg_check_demo_mode`: initiators without an ACL get a dynamic one.
    fn check_demo_mode(&self, _tpg: &SeTpg) -> bool {
        false
    }

    /// `tpg_check_demo_mode_cache`: a dynamic ACL stays after its last session ends (and
    /// keeps its LUN access), until the TPG goes or an explicit ACL takes its place.
    fn check_demo_mode_cache(&self, _tpg: &SeTpg) -> bool {
        false
    }

    /// `tpg_check_demo_mode_write_protect`: a dynamic (demo mode) ACL gets its disks
    /// read-only.
    fn check_demo_mode_write_protect(&self, _tpg: &SeTpg) -> bool {
        false
    }

    /// `tpg_check_prod_mode_write_protect`: a LUN mapped into an explicit ACL starts
    /// read-only.
    fn check_prod_mode_write_protect(&self, _tpg: &SeTpg) -> bool {
        false
    }

    /// `tpg_get_default_depth`: the queue depth (`cmdsn_depth`) of a new node ACL of
    /// `tpg`; 0 becomes 1, as in LIO.
    fn tpg_get_default_depth(&self, _tpg: &SeTpg) -> u32 {
        1
    }

    /// `node_acl_size` + `set_default_node_attributes`: the fabric's state for a new node
    /// ACL of `tpg` (made in `acls/` or for a demo-mode login), which the core keeps in
    /// the [`SeNodeAcl`] (see [`SeNodeAcl::fabric_priv`]). Called with the TPG's ACL list
    /// locked: it must not call back into `tpg`. An error refuses the ACL.
    fn alloc_nodeacl_priv(
        &self,
        _tpg: &SeTpg,
        _initiatorname: &[u8],
    ) -> Result<Option<FabricPriv>> {
        Ok(None)
    }

    /// `default_submit_type`.
    fn default_submit_type(&self) -> SubmitType {
        SubmitType::Direct
    }

    /// `direct_submit_supp`.
    fn direct_submit_supported(&self) -> bool {
        true
    }
}

/// The configfs item types of one fabric's tree (LIO: the `tf_*_cit` of
/// `struct target_fabric_configfs`), made by [`target_fabric_item_types!`] in the fabric
/// module so that each is owned by it.
pub struct FabricItemTypes {
    /// `$fabric/`: `tfc_wwn_attrs`; `mkdir` makes WWNs.
    pub root: &'static ItemType<FabricRoot>,
    /// `$fabric/discovery_auth/`: `tfc_discovery_attrs`.
    pub discovery: &'static ItemType<FabricDiscovery>,
    /// `$fabric/$wwn/`: `mkdir` makes TPGs.
    pub wwn: &'static ItemType<WwnDir>,
    /// `$fabric/$wwn/fabric_statistics/`.
    pub wwn_fabric_stats: &'static ItemType<WwnStatDir>,
    /// The fabric's groups in `$wwn/fabric_statistics/` (LIO: `add_wwn_groups`).
    pub wwn_stat_groups: &'static [StatGroup<WwnStatGroup>],
    /// `$fabric/$wwn/param/`.
    pub wwn_param: &'static ItemType<WwnParamDir>,
    /// `$wwn/tpgt_N/`: `tfc_tpg_base_attrs` + `rtpi`.
    pub tpg: &'static ItemType<TpgDir>,
    /// `tpgt_N/lun/`.
    pub tpg_lun: &'static ItemType<TpgLunDir>,
    /// `tpgt_N/lun/lun_N/`: links to a device.
    pub tpg_port: &'static ItemType<LunDir>,
    /// `lun_N/statistics/`.
    pub tpg_port_stat: &'static ItemType<StatDir>,
    /// `tpgt_N/np/`.
    pub tpg_np: &'static ItemType<TpgNpDir>,
    /// `tpgt_N/np/$portal/`: `tfc_tpg_np_base_attrs`.
    pub tpg_np_base: &'static ItemType<NpDir>,
    /// `tpgt_N/acls/`.
    pub tpg_nacl: &'static ItemType<TpgAclsDir>,
    /// `acls/$initiator/`: `tfc_tpg_nacl_base_attrs`.
    pub nacl_base: &'static ItemType<NodeAclDir>,
    /// `acls/$initiator/attrib/`: `tfc_tpg_nacl_attrib_attrs`.
    pub nacl_attrib: &'static ItemType<NodeAclSubDir>,
    /// `acls/$initiator/auth/`: `tfc_tpg_nacl_auth_attrs`.
    pub nacl_auth: &'static ItemType<NodeAclSubDir>,
    /// `acls/$initiator/param/`: `tfc_tpg_nacl_param_attrs`.
    pub nacl_param: &'static ItemType<NodeAclSubDir>,
    /// `acls/$initiator/fabric_statistics/`.
    pub nacl_stat: &'static ItemType<NodeAclStatDir>,
    /// The fabric's groups in `acls/$initiator/fabric_statistics/` (LIO: added by
    /// `fabric_init_nodeacl`).
    pub nacl_stat_groups: &'static [StatGroup<NodeAclStatGroup>],
    /// `acls/$initiator/lun_N/`: links to a LUN of the TPG.
    pub mappedlun: &'static ItemType<MappedLunDir>,
    /// `acls/$initiator/lun_N/statistics/`.
    pub mappedlun_stat: &'static ItemType<StatDir>,
    /// `tpgt_N/attrib/`: `tfc_tpg_attrib_attrs`.
    pub tpg_attrib: &'static ItemType<TpgSubDir>,
    /// `tpgt_N/auth/`: `tfc_tpg_auth_attrs`.
    pub tpg_auth: &'static ItemType<TpgSubDir>,
    /// `tpgt_N/param/`: `tfc_tpg_param_attrs`.
    pub tpg_param: &'static ItemType<TpgSubDir>,
}

/// Declares a fabric's [`FabricItemTypes`] in the fabric module, with the fabric's own
/// attributes at each place LIO's `target_core_fabric_ops` has a `tfc_*_attrs` array,
/// written as for [`configfs_item_type!`](crate::configfs_item_type). The core's own
/// attributes (`rtpi`, the LUN's `alua_tg_pt_*`, `write_protect`, `param/`) are added.
/// Optionally, after `nacl_param`, `wwn_stats: EXPR, nacl_stats: EXPR` give the fabric's
/// statistics groups (`&[StatGroup<...>]`, item types the fabric declares itself).
///
/// ```ignore
/// target_fabric_item_types! {
///     static LOOP_TYPES;
///     wwn: ["version" (0o444, show: version_show)],
///     discovery: [],
///     tpg_base: ["nexus" (0o644, show: nexus_show, store: nexus_store)],
///     tpg_attrib: [], tpg_auth: [], tpg_param: [], tpg_np_base: [],
///     nacl_base: [], nacl_attrib: [], nacl_auth: [], nacl_param: [],
/// }
/// ```
#[macro_export]
macro_rules! target_fabric_item_types {
    (
        $vis:vis static $name:ident;
        wwn: [$($wwn:tt)*],
        discovery: [$($disc:tt)*],
        tpg_base: [$($tattr:literal ($($tspec:tt)*)),* $(,)?],
        tpg_attrib: [$($tpg_attrib:tt)*],
        tpg_auth: [$($tpg_auth:tt)*],
        tpg_param: [$($tpg_param:tt)*],
        tpg_np_base: [$($np:tt)*],
        nacl_base: [$($nacl:tt)*],
        nacl_attrib: [$($nacl_attrib:tt)*],
        nacl_auth: [$($nacl_auth:tt)*],
        nacl_param: [$($nacl_param:tt)*] $(,)?
        $(wwn_stats: $wstats:expr, nacl_stats: $nstats:expr $(,)?)?
    ) => {
        $vis static $name: $crate::fabric::FabricItemTypes = {
            use $crate::fabric as tf;
            $crate::configfs_item_type! {
                static ROOT: ItemType<tf::FabricRoot> = ItemType::with_children [$($wwn)*];
            }
            $crate::configfs_item_type! {
                static DISCOVERY: ItemType<tf::FabricDiscovery> = [$($disc)*];
            }
            $crate::configfs_item_type! {
                static WWN: ItemType<tf::WwnDir> = ItemType::with_children [];
            }
            $crate::configfs_item_type! {
                static WWN_FABRIC_STATS: ItemType<tf::WwnStatDir> = [];
            }
            $crate::configfs_item_type! {
                static WWN_PARAM: ItemType<tf::WwnParamDir> = [
                    "cmd_completion_affinity" (0o644,
                        show: tf::WwnParamDir::cmd_completion_affinity_show,
                        store: tf::WwnParamDir::cmd_completion_affinity_store),
                    "default_submit_type" (0o444,
                        show: tf::WwnParamDir::default_submit_type_show),
                    "direct_submit_supported" (0o444,
                        show: tf::WwnParamDir::direct_submit_supported_show),
                ];
            }
            $crate::configfs_item_type! {
                static TPG: ItemType<tf::TpgDir> = [
                    $($tattr ($($tspec)*),)*
                    "rtpi" (0o644, show: tf::TpgDir::rtpi_show, store: tf::TpgDir::rtpi_store),
                ];
            }
            $crate::configfs_item_type! {
                static TPG_LUN: ItemType<tf::TpgLunDir> = ItemType::with_children [];
            }
            $crate::configfs_item_type! {
                static TPG_PORT: ItemType<tf::LunDir> = ItemType::with_links [
                    "alua_tg_pt_gp" (0o644, show: tf::LunDir::alua_tg_pt_gp_show,
                        store: tf::LunDir::alua_tg_pt_gp_store),
                    "alua_tg_pt_offline" (0o644, show: tf::LunDir::alua_tg_pt_offline_show,
                        store: tf::LunDir::alua_tg_pt_offline_store),
                    "alua_tg_pt_status" (0o644, show: tf::LunDir::alua_tg_pt_status_show,
                        store: tf::LunDir::alua_tg_pt_status_store),
                    "alua_tg_pt_write_md" (0o644, show: tf::LunDir::alua_tg_pt_write_md_show,
                        store: tf::LunDir::alua_tg_pt_write_md_store),
                ];
            }
            $crate::configfs_item_type! {
                static TPG_PORT_STAT: ItemType<tf::StatDir> = ItemType::with_children [];
            }
            $crate::configfs_item_type! {
                static TPG_NP: ItemType<tf::TpgNpDir> = ItemType::with_children [];
            }
            $crate::configfs_item_type! {
                static TPG_NP_BASE: ItemType<tf::NpDir> = [$($np)*];
            }
            $crate::configfs_item_type! {
                static TPG_NACL: ItemType<tf::TpgAclsDir> = ItemType::with_children [];
            }
            $crate::configfs_item_type! {
                static NACL_BASE: ItemType<tf::NodeAclDir> = ItemType::with_children [$($nacl)*];
            }
            $crate::configfs_item_type! {
                static NACL_ATTRIB: ItemType<tf::NodeAclSubDir> = [$($nacl_attrib)*];
            }
            $crate::configfs_item_type! {
                static NACL_AUTH: ItemType<tf::NodeAclSubDir> = [$($nacl_auth)*];
            }
            $crate::configfs_item_type! {
                static NACL_PARAM: ItemType<tf::NodeAclSubDir> = [$($nacl_param)*];
            }
            $crate::configfs_item_type! {
                static NACL_STAT: ItemType<tf::NodeAclStatDir> = [];
            }
            #[allow(unused_variables)]
            let wwn_stat_groups: &'static [tf::StatGroup<tf::WwnStatGroup>] = &[];
            $(let wwn_stat_groups: &'static [tf::StatGroup<tf::WwnStatGroup>] = $wstats;)?
            #[allow(unused_variables)]
            let nacl_stat_groups: &'static [tf::StatGroup<tf::NodeAclStatGroup>] = &[];
            $(let nacl_stat_groups: &'static [tf::StatGroup<tf::NodeAclStatGroup>] = $nstats;)?
            $crate::configfs_item_type! {
                static MAPPEDLUN: ItemType<tf::MappedLunDir> = ItemType::with_links [
                    "write_protect" (0o644, show: tf::MappedLunDir::write_protect_show,
                        store: tf::MappedLunDir::write_protect_store),
                ];
            }
            $crate::configfs_item_type! {
                static MAPPEDLUN_STAT: ItemType<tf::StatDir> = ItemType::with_children [];
            }
            $crate::configfs_item_type! {
                static TPG_ATTRIB: ItemType<tf::TpgSubDir> = [$($tpg_attrib)*];
            }
            $crate::configfs_item_type! {
                static TPG_AUTH: ItemType<tf::TpgSubDir> = [$($tpg_auth)*];
            }
            $crate::configfs_item_type! {
                static TPG_PARAM: ItemType<tf::TpgSubDir> = [$($tpg_param)*];
            }
            tf::FabricItemTypes {
                root: &ROOT,
                discovery: &DISCOVERY,
                wwn: &WWN,
                wwn_fabric_stats: &WWN_FABRIC_STATS,
                wwn_stat_groups,
                wwn_param: &WWN_PARAM,
                tpg: &TPG,
                tpg_lun: &TPG_LUN,
                tpg_port: &TPG_PORT,
                tpg_port_stat: &TPG_PORT_STAT,
                tpg_np: &TPG_NP,
                tpg_np_base: &TPG_NP_BASE,
                tpg_nacl: &TPG_NACL,
                nacl_base: &NACL_BASE,
                nacl_attrib: &NACL_ATTRIB,
                nacl_auth: &NACL_AUTH,
                nacl_param: &NACL_PARAM,
                nacl_stat: &NACL_STAT,
                nacl_stat_groups,
                mappedlun: &MAPPEDLUN,
                mappedlun_stat: &MAPPEDLUN_STAT,
                tpg_attrib: &TPG_ATTRIB,
                tpg_auth: &TPG_AUTH,
                tpg_param: &TPG_PARAM,
            }
        };
    };
}
