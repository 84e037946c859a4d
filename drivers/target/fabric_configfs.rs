// SPDX-License-Identifier: GPL-2.0

//! The configfs tree every fabric gets (LIO: `target_core_fabric_configfs.c`):
//!
//! ```text
//! target/$fabric/                 FabricRoot     tfc_wwn_attrs (e.g. loopback: version)
//! ├── discovery_auth/             FabricDiscovery
//! └── $wwn/                       WwnDir
//!     ├── fabric_statistics/      WwnStatDir     the fabric's groups (WwnStatGroup)
//!     ├── param/                  WwnParamDir    cmd_completion_affinity, default_submit_type,
//!     │                                          direct_submit_supported
//!     └── tpgt_N/                 TpgDir         tfc_tpg_base_attrs, [enable], rtpi
//!         ├── lun/                TpgLunDir
//!         │   └── lun_N/          LunDir         alua_tg_pt_{gp,offline,status,write_md};
//!         │       │                              one symlink to a core/$hba/$dev device
//!         │       └── statistics/ StatDir
//!         ├── np/                 TpgNpDir
//!         │   └── $portal/        NpDir          tfc_tpg_np_base_attrs
//!         ├── acls/               TpgAclsDir
//!         │   └── $initiator/     NodeAclDir     tfc_tpg_nacl_base_attrs
//!         │       ├── attrib/ auth/ param/       NodeAclSubDir (tfc_tpg_nacl_*_attrs)
//!         │       ├── fabric_statistics/         NodeAclStatDir: the fabric's groups
//!         │       │                              (NodeAclStatGroup)
//!         │       └── lun_N/      MappedLunDir   write_protect; one symlink to a lun/lun_N
//!         │           └── statistics/            StatDir
//!         └── attrib/ auth/ param/               TpgSubDir (tfc_tpg_{attrib,auth,param}_attrs)
//! ```
//!
//! Each directory's data type is below; the item types are the fabric's (see
//! [`crate::target_fabric_item_types!`]).

use crate::device::SeDevice;
use crate::fabric::TargetFabric;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{
    configfs_default_groups, Group, GroupList, GroupOperations, ItemType, LinkOperations,
};
use crate::lio::page::Page;
use crate::lio::parse::{c_text, kstrtobool, kstrtoul};
use crate::lio::{cpu, errno};
use crate::tpg::{
    compl_affinity_is_valid, set_compl_affinity, LunMember, MappedLun, SeLun, SeNodeAcl, SeTpg,
    SeWwn, SE_COMPL_AFFINITY_CURR_CPU,
};
use crate::{fabric_registry, lio::vec::retain};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// A directory with no attributes of its own and no children (`fabric_statistics`).
pub struct EmptyGroup;

configfs_default_groups!(EmptyGroup:);

/// `$wwn/fabric_statistics/`: the fabric's statistics groups of the WWN (LIO:
/// `wwn->fabric_stat_group`, filled by `add_wwn_groups`).
pub struct WwnStatDir {
    groups: GroupList<WwnStatGroup>,
}

configfs_default_groups!(WwnStatDir: ; groups);

/// One of the fabric's statistics groups in `$wwn/fabric_statistics/`.
pub struct WwnStatGroup {
    wwn: Arc<SeWwn>,
}

configfs_default_groups!(WwnStatGroup:);

impl WwnStatGroup {
    /// The WWN.
    pub fn wwn(&self) -> &Arc<SeWwn> {
        &self.wwn
    }
}

/// `acls/$initiator/fabric_statistics/`: the fabric's statistics groups of a node ACL
/// (LIO: `acl_fabric_stat_group`, filled by `fabric_init_nodeacl`).
pub struct NodeAclStatDir {
    groups: GroupList<NodeAclStatGroup>,
}

configfs_default_groups!(NodeAclStatDir: ; groups);

/// One of the fabric's statistics groups in `acls/$initiator/fabric_statistics/`.
pub struct NodeAclStatGroup {
    tpg: Arc<SeTpg>,
    acl: Arc<SeNodeAcl>,
}

configfs_default_groups!(NodeAclStatGroup:);

impl NodeAclStatGroup {
    /// The TPG.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }

    /// The node ACL.
    pub fn acl(&self) -> &Arc<SeNodeAcl> {
        &self.acl
    }
}

/// A `statistics` directory: LIO refuses `mkdir` in it with `ENOSYS`.
pub struct StatDir;

configfs_default_groups!(StatDir:);

impl GroupOperations for StatDir {
    type Child = EmptyGroup;

    fn make_group(&self, _name: &CStr) -> Result<Pin<KBox<Group<EmptyGroup>>>> {
        Err(errno::enosys())
    }
}

/// `target/$fabric/` (`struct target_fabric_configfs`'s `tf_group`).
#[pin_data]
pub struct FabricRoot {
    fabric: &'static dyn TargetFabric,
    #[pin]
    discovery: Group<FabricDiscovery>,
}

configfs_default_groups!(FabricRoot: discovery);

impl FabricRoot {
    /// `target_core_register_fabric()`: the directory of `fabric`.
    pub(crate) fn new_group(
        name: &CStr,
        fabric: &'static dyn TargetFabric,
    ) -> Result<Pin<KBox<Group<Self>>>> {
        let types = fabric.item_types();
        let disc = FabricDiscovery { fabric };
        Group::new_child(
            name,
            types.root,
            try_pin_init!(FabricRoot {
                fabric,
                discovery <- Group::new(kernel::c_str!("discovery_auth"), types.discovery, disc),
            }? Error),
        )
    }

    /// The fabric.
    pub fn fabric(&self) -> &'static dyn TargetFabric {
        self.fabric
    }
}

impl GroupOperations for FabricRoot {
    type Child = WwnDir;

    /// `target_fabric_make_wwn()`.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<WwnDir>>>> {
        let fabric_priv = self.fabric.make_wwn(name)?;
        let wwn = SeWwn::new(self.fabric, name, fabric_priv)?;
        let types = self.fabric.item_types();
        let stats = GroupList::new(types.wwn_stat_groups, || WwnStatGroup { wwn: wwn.clone() })?;
        Group::new_child(
            name,
            types.wwn,
            try_pin_init!(WwnDir {
                fabric_statistics <- Group::new(
                    kernel::c_str!("fabric_statistics"),
                    types.wwn_fabric_stats,
                    WwnStatDir { groups: stats }
                ),
                param <- Group::new(
                    kernel::c_str!("param"),
                    types.wwn_param,
                    WwnParamDir { wwn: wwn.clone() }
                ),
                wwn,
            }? Error),
        )
    }
}

/// `target/$fabric/discovery_auth/`.
pub struct FabricDiscovery {
    fabric: &'static dyn TargetFabric,
}

configfs_default_groups!(FabricDiscovery:);

impl FabricDiscovery {
    /// The fabric.
    pub fn fabric(&self) -> &'static dyn TargetFabric {
        self.fabric
    }
}

/// `$fabric/$wwn/` (`struct se_wwn`'s `wwn_group`).
#[pin_data(PinnedDrop)]
pub struct WwnDir {
    wwn: Arc<SeWwn>,
    #[pin]
    fabric_statistics: Group<WwnStatDir>,
    #[pin]
    param: Group<WwnParamDir>,
}

configfs_default_groups!(WwnDir: fabric_statistics, param);

#[pinned_drop]
impl PinnedDrop for WwnDir {
    /// `target_fabric_release_wwn()`: the fabric drops its WWN when configfs releases it.
    fn drop(self: Pin<&mut Self>) {
        self.wwn.fabric.drop_wwn(&self.wwn);
    }
}

impl WwnDir {
    /// The WWN.
    pub fn wwn(&self) -> &Arc<SeWwn> {
        &self.wwn
    }
}

impl GroupOperations for WwnDir {
    type Child = TpgDir;

    /// `target_fabric_make_tpg()`.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<TpgDir>>>> {
        let fabric = self.wwn.fabric;
        // LIO turns every fabric error into EINVAL here.
        let new = fabric.make_tpg(&self.wwn, name).map_err(|_| EINVAL)?;
        let tpg = SeTpg::new(
            fabric,
            self.wwn.clone(),
            new.tag,
            new.proto_id,
            new.fabric_priv,
        )?;
        let types = fabric.item_types();
        let sub = |name: &'static CStr, ty: &'static ItemType<TpgSubDir>, tpg: &Arc<SeTpg>| {
            Group::new(name, ty, TpgSubDir { tpg: tpg.clone() })
        };
        Group::new_child(
            name,
            types.tpg,
            try_pin_init!(TpgDir {
                lun <- Group::new(
                    kernel::c_str!("lun"),
                    types.tpg_lun,
                    TpgLunDir { tpg: tpg.clone() }
                ),
                np <- Group::new(kernel::c_str!("np"), types.tpg_np, TpgNpDir { tpg: tpg.clone() }),
                acls <- Group::new(
                    kernel::c_str!("acls"),
                    types.tpg_nacl,
                    TpgAclsDir { tpg: tpg.clone() }
                ),
                attrib <- sub(kernel::c_str!("attrib"), types.tpg_attrib, &tpg),
                auth <- sub(kernel::c_str!("auth"), types.tpg_auth, &tpg),
                param <- sub(kernel::c_str!("param"), types.tpg_param, &tpg),
                tpg,
            }? Error),
        )
    }

    /// `target_fabric_drop_tpg()` + `fabric_drop_tpg`.
    fn drop_item(&self, child: &Group<TpgDir>) {
        let tpg = &child.tpg;
        self.wwn.fabric.drop_tpg(tpg);
        let mut st = tpg.state.lock();
        if st.rtpi_registered {
            fabric_registry::deregister_rtpi(st.rtpi);
            st.rtpi_registered = false;
        }
        st.enabled = false;
    }
}

/// `$fabric/$wwn/param/`.
pub struct WwnParamDir {
    wwn: Arc<SeWwn>,
}

configfs_default_groups!(WwnParamDir:);

impl WwnParamDir {
    /// `cmd_completion_affinity` (read).
    pub fn cmd_completion_affinity_show(&self, page: &mut Page<'_>) -> Result {
        let v = self.wwn.cmd_compl_affinity.load(Ordering::Relaxed);
        writeln!(page, "{}", v)?;
        Ok(())
    }

    /// `cmd_completion_affinity` (write): -1 (submitting CPU), -2 (any) or an online CPU.
    pub fn cmd_completion_affinity_store(&self, input: &[u8]) -> Result {
        let val = crate::lio::parse::kstrtoint(input, 0).map_err(|_| EINVAL)?;
        if !compl_affinity_is_valid(val, cpu::online) {
            pr_err!(
                "Command completion value must be between {} and {} or an online CPU.\n",
                -1,
                SE_COMPL_AFFINITY_CURR_CPU
            );
            return Err(EINVAL);
        }
        set_compl_affinity(&self.wwn, val);
        Ok(())
    }

    /// `default_submit_type`.
    pub fn default_submit_type_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "{}", self.wwn.fabric.default_submit_type() as u32)?;
        Ok(())
    }

    /// `direct_submit_supported`.
    pub fn direct_submit_supported_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(
            page,
            "{}",
            u32::from(self.wwn.fabric.direct_submit_supported())
        )?;
        Ok(())
    }
}

/// `$wwn/tpgt_N/` (`struct se_portal_group`'s `tpg_group`).
#[pin_data]
pub struct TpgDir {
    tpg: Arc<SeTpg>,
    #[pin]
    lun: Group<TpgLunDir>,
    #[pin]
    np: Group<TpgNpDir>,
    #[pin]
    acls: Group<TpgAclsDir>,
    #[pin]
    attrib: Group<TpgSubDir>,
    #[pin]
    auth: Group<TpgSubDir>,
    #[pin]
    param: Group<TpgSubDir>,
}

configfs_default_groups!(TpgDir: lun, np, acls, attrib, auth, param);

impl TpgDir {
    /// The TPG.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }

    /// `enable` (read), for fabrics that enable TPGs.
    pub fn enable_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "{}", u8::from(self.tpg.state.lock().enabled))?;
        Ok(())
    }

    /// `enable` (write): `target_tpg_enable()` / `target_tpg_disable()`.
    pub fn enable_store(&self, input: &[u8]) -> Result {
        let op = kstrtobool(input)?;
        let mut st = self.tpg.state.lock();
        if st.enabled == op {
            return Ok(());
        }
        if op {
            let rtpi = fabric_registry::register_rtpi(st.rtpi_manual.then_some(st.rtpi))
                .inspect_err(|_| {
                    pr_info!(
                        "{}_TPG[{}] - Can not set RTPI {:#x}, it is already busy",
                        self.tpg.fabric.name(),
                        self.tpg.tag(),
                        st.rtpi
                    )
                })?;
            drop(st);
            if let Err(e) = self.tpg.fabric.enable_tpg(&self.tpg, true) {
                fabric_registry::deregister_rtpi(rtpi);
                return Err(e);
            }
            let mut st = self.tpg.state.lock();
            st.rtpi = rtpi;
            st.rtpi_registered = true;
            st.enabled = true;
        } else {
            if st.rtpi_registered {
                fabric_registry::deregister_rtpi(st.rtpi);
                st.rtpi_registered = false;
            }
            drop(st);
            self.tpg.fabric.enable_tpg(&self.tpg, false)?;
            self.tpg.state.lock().enabled = false;
        }
        Ok(())
    }

    /// `dynamic_sessions` (read): `target_show_dynamic_sessions()`, one line per session
    /// of a demo-mode ACL, each followed by a NUL as in LIO.
    pub fn dynamic_sessions_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.tpg.state.lock();
        for acl in st.acls.iter() {
            let ast = acl.state.lock();
            if !ast.dynamic {
                continue;
            }
            for _ in 0..ast.sessions {
                if acl.initiatorname().len() + 1 + page.len() > kernel::page::PAGE_SIZE {
                    return Ok(());
                }
                page.write_bytes(acl.initiatorname())?;
                page.write_bytes(b"\n\0")?;
            }
        }
        Ok(())
    }

    /// `rtpi` (read).
    pub fn rtpi_show(&self, page: &mut Page<'_>) -> Result {
        let rtpi = self.tpg.state.lock().rtpi;
        if rtpi == 0 {
            // `%#x` prints 0 without the prefix.
            writeln!(page, "0")?;
        } else {
            writeln!(page, "{:#x}", rtpi)?;
        }
        Ok(())
    }

    /// `rtpi` (write): a nonzero 16-bit value, not while the TPG is enabled.
    pub fn rtpi_store(&self, input: &[u8]) -> Result {
        let val = crate::lio::parse::kstrtou16(input, 0)?;
        if val == 0 {
            return Err(EINVAL);
        }
        let mut st = self.tpg.state.lock();
        if st.enabled {
            pr_info!(
                "{}_TPG[{}] - Can not change RTPI on enabled TPG",
                self.tpg.fabric.name(),
                self.tpg.tag()
            );
            return Err(EINVAL);
        }
        st.rtpi = val;
        st.rtpi_manual = true;
        Ok(())
    }
}

/// `tpgt_N/attrib/`, `auth/` and `param/`: the fabric's TPG attributes.
pub struct TpgSubDir {
    tpg: Arc<SeTpg>,
}

configfs_default_groups!(TpgSubDir:);

impl TpgSubDir {
    /// The TPG.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }
}

/// `tpgt_N/lun/`.
pub struct TpgLunDir {
    tpg: Arc<SeTpg>,
}

configfs_default_groups!(TpgLunDir:);

impl GroupOperations for TpgLunDir {
    type Child = LunDir;

    /// `target_fabric_make_lun()`: `lun_N` with N a `kstrtoull` number.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<LunDir>>>> {
        let Some(num) = name.as_bytes().strip_prefix(b"lun_") else {
            pr_err!("Unable to locate '_\" in \"lun_$LUN_NUMBER\"\n");
            return Err(EINVAL);
        };
        let unpacked_lun = crate::lio::parse::kstrtoull(num, 0)?;
        let lun = self.tpg.alloc_lun(unpacked_lun)?;
        let types = self.tpg.fabric.item_types();
        let dir_lun = lun.clone();
        let dir_name = kvec_from(name.as_bytes())?;
        let res = Group::new_child(
            name,
            types.tpg_port,
            try_pin_init!(LunDir {
                tpg: self.tpg.clone(),
                lun: dir_lun,
                name: dir_name,
                statistics <- Group::new(kernel::c_str!("statistics"), types.tpg_port_stat, StatDir),
            }? Error),
        );
        if res.is_err() {
            self.tpg.remove_lun(&lun);
        }
        res
    }

    /// `target_fabric_drop_lun()`.
    fn drop_item(&self, child: &Group<LunDir>) {
        self.tpg.remove_lun(&child.lun);
    }
}

/// `tpgt_N/lun/lun_N/` (`struct se_lun`'s `lun_group`).
#[pin_data]
pub struct LunDir {
    tpg: Arc<SeTpg>,
    lun: Arc<SeLun>,
    /// The directory's name (`lun_N`), as target port group `members` list it.
    name: KVec<u8>,
    #[pin]
    statistics: Group<StatDir>,
}

configfs_default_groups!(LunDir: statistics);

/// `TG_PT_GROUP_NAME_BUF`.
const TG_PT_GROUP_NAME_BUF: usize = 256;

impl LunDir {
    /// The LUN.
    pub fn lun(&self) -> &Arc<SeLun> {
        &self.lun
    }

    /// `alua_tg_pt_gp` (read): `core_alua_show_tg_pt_gp_info()`.
    pub fn alua_tg_pt_gp_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        match &st.tg_pt_gp {
            Some(g) => g.show_lun_info(page, st.tg_pt_secondary_offline, st.tg_pt_secondary_stat),
            None => Ok(()),
        }
    }

    /// `alua_tg_pt_gp` (write): `core_alua_store_tg_pt_gp_info()`: the LUN moves to the
    /// device's target port group of that name, or back to `default_tg_pt_gp` with
    /// `NULL`.
    pub fn alua_tg_pt_gp_store(&self, input: &[u8]) -> Result {
        let mut st = self.lun.state.lock();
        let Some(dev) = st.dev.clone() else {
            return Err(ENODEV);
        };
        if input.len() > TG_PT_GROUP_NAME_BUF {
            pr_err!("ALUA Target Port Group alias too large!\n");
            return Err(EINVAL);
        }
        let name = crate::lio::parse::strstrip(c_text(input));
        let new = {
            let dst = dev.state.lock();
            if name == b"NULL" {
                dst.alua.default_tg_pt_gp()
            } else {
                match dst.alua.tg_pt_gp_by_name(name) {
                    Some(g) => Some(g),
                    None => return Err(ENODEV),
                }
            }
        };
        let Some(new) = new else {
            return Err(ENODEV);
        };
        let Some(member) = st.member.clone() else {
            return Err(ENODEV);
        };
        new.attach_lun(member.clone())?;
        if let Some(old) = st.tg_pt_gp.replace(new) {
            old.detach_lun(&member);
        }
        drop(st);
        // __target_attach_tg_pt_gp(): INQUIRY DATA HAS CHANGED for whoever sees the LUN.
        self.tpg.lun_ua_allocate(&self.lun, 0x3f, 0x03);
        Ok(())
    }

    /// `alua_tg_pt_offline` (read).
    pub fn alua_tg_pt_offline_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        writeln!(page, "{}", u8::from(st.tg_pt_secondary_offline))?;
        Ok(())
    }

    /// `alua_tg_pt_offline` (write): `core_alua_store_offline_bit()`, an implicit
    /// secondary state change.
    pub fn alua_tg_pt_offline_store(&self, input: &[u8]) -> Result {
        let mut st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        let v = kstrtoul(input, 0).inspect_err(|_| {
            pr_err!("Unable to extract alua_tg_pt_offline value\n");
        })?;
        if v > 1 {
            pr_err!("Illegal value for alua_tg_pt_offline: {}\n", v);
            return Err(EINVAL);
        }
        st.tg_pt_secondary_offline = v == 1;
        st.tg_pt_secondary_stat = 2;
        Ok(())
    }

    /// `alua_tg_pt_status` (read).
    pub fn alua_tg_pt_status_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        writeln!(page, "{}", st.tg_pt_secondary_stat)?;
        Ok(())
    }

    /// `alua_tg_pt_status` (write): 0, 1 or 2.
    pub fn alua_tg_pt_status_store(&self, input: &[u8]) -> Result {
        let mut st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        let v = kstrtoul(input, 0).inspect_err(|_| {
            pr_err!("Unable to extract alua_tg_pt_status\n");
        })?;
        if v > 2 {
            pr_err!("Illegal value for alua_tg_pt_status: {}\n", v);
            return Err(EINVAL);
        }
        st.tg_pt_secondary_stat = v as u32;
        Ok(())
    }

    /// `alua_tg_pt_write_md` (read).
    pub fn alua_tg_pt_write_md_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        writeln!(page, "{}", st.tg_pt_secondary_write_md)?;
        Ok(())
    }

    /// `alua_tg_pt_write_md` (write): 0 or 1.
    pub fn alua_tg_pt_write_md_store(&self, input: &[u8]) -> Result {
        let mut st = self.lun.state.lock();
        if st.dev.is_none() {
            return Err(ENODEV);
        }
        let v = kstrtoul(input, 0).inspect_err(|_| {
            pr_err!("Unable to extract alua_tg_pt_write_md\n");
        })?;
        if v > 1 {
            pr_err!("Illegal value for alua_tg_pt_write_md: {}\n", v);
            return Err(EINVAL);
        }
        st.tg_pt_secondary_write_md = v as u32;
        Ok(())
    }
}

impl LinkOperations for LunDir {
    type Target = SeDevice;

    fn target_type(&self) -> &'static ItemType<SeDevice> {
        &crate::device::DEVICE_TYPE
    }

    /// `target_fabric_port_link()` + `core_dev_add_lun()`.
    fn allow_link(&self, dev: &SeDevice) -> Result {
        if !dev.is_configured() {
            pr_err!("se_device not configured yet, cannot port link\n");
            return Err(ENODEV);
        }
        {
            let mut st = self.lun.state.lock();
            if st.dev.is_some() {
                pr_err!("Port Symlink already exists\n");
                return Err(EEXIST);
            }
            // core_dev_add_lun(): the LUN joins the device's default target port group.
            let member = LunMember::for_lun(&self.tpg, &self.name)?;
            let group = dev.state.lock().alua.default_tg_pt_gp();
            if let Some(g) = &group {
                g.attach_lun(member.clone())?;
            }
            dev.add_export();
            st.dev = Some(dev.core().clone());
            st.link_seq = self.tpg.next_event_seq();
            st.tg_pt_gp = group;
            st.member = Some(member);
        }
        self.tpg
            .luns_data_has_changed(Some(self.lun.unpacked_lun()));
        self.tpg.fabric.post_link(&self.tpg, &self.lun);
        Ok(())
    }

    /// `target_fabric_port_unlink()` + `core_dev_del_lun()`.
    fn drop_link(&self, dev: &SeDevice) {
        self.tpg.fabric.pre_unlink(&self.tpg, &self.lun);
        {
            let mut st = self.lun.state.lock();
            st.dev = None;
            if let (Some(g), Some(m)) = (st.tg_pt_gp.take(), st.member.take()) {
                g.detach_lun(&m);
            }
        }
        dev.del_export();
        self.tpg.luns_data_has_changed(None);
        // Mapped LUNs of ACLs keep their links; they reach no device until relinked.
    }
}

/// `tpgt_N/np/`.
pub struct TpgNpDir {
    tpg: Arc<SeTpg>,
}

configfs_default_groups!(TpgNpDir:);

impl GroupOperations for TpgNpDir {
    type Child = NpDir;

    /// `target_fabric_make_np()`.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<NpDir>>>> {
        let fabric_priv = self.tpg.fabric.make_np(&self.tpg, name)?;
        Group::new_child(
            name,
            self.tpg.fabric.item_types().tpg_np_base,
            NpDir {
                tpg: self.tpg.clone(),
                fabric_priv,
            },
        )
    }

    fn drop_item(&self, child: &Group<NpDir>) {
        self.tpg.fabric.drop_np(&self.tpg, child);
    }
}

/// `tpgt_N/np/$portal/` (`struct se_tpg_np`).
pub struct NpDir {
    tpg: Arc<SeTpg>,
    fabric_priv: crate::fabric::FabricPriv,
}

configfs_default_groups!(NpDir:);

impl NpDir {
    /// The TPG.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }

    /// The fabric's state for this portal, if it is a `T`.
    pub fn fabric_priv<T: 'static>(&self) -> Result<&T> {
        self.fabric_priv.downcast_ref::<T>().ok_or(EINVAL)
    }
}

/// `tpgt_N/acls/`.
pub struct TpgAclsDir {
    tpg: Arc<SeTpg>,
}

configfs_default_groups!(TpgAclsDir:);

impl GroupOperations for TpgAclsDir {
    type Child = NodeAclDir;

    /// `target_fabric_make_nodeacl()`.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<NodeAclDir>>>> {
        let acl = self.tpg.add_acl(name.as_bytes())?;
        let types = self.tpg.fabric.item_types();
        let sub = |name: &'static CStr, ty: &'static ItemType<NodeAclSubDir>| {
            Group::new(
                name,
                ty,
                NodeAclSubDir {
                    tpg: self.tpg.clone(),
                    acl: acl.clone(),
                },
            )
        };
        let (attrib, auth, param) = (
            sub(kernel::c_str!("attrib"), types.nacl_attrib),
            sub(kernel::c_str!("auth"), types.nacl_auth),
            sub(kernel::c_str!("param"), types.nacl_param),
        );
        let stats = GroupList::new(types.nacl_stat_groups, || NodeAclStatGroup {
            tpg: self.tpg.clone(),
            acl: acl.clone(),
        });
        let stats = match stats {
            Ok(stats) => stats,
            Err(e) => {
                self.tpg.del_acl(&acl);
                return Err(e);
            }
        };
        let dir_acl = acl.clone();
        let res = Group::new_child(
            name,
            types.nacl_base,
            try_pin_init!(NodeAclDir {
                tpg: self.tpg.clone(),
                acl: dir_acl,
                attrib <- attrib,
                auth <- auth,
                param <- param,
                fabric_statistics <- Group::new(
                    kernel::c_str!("fabric_statistics"),
                    types.nacl_stat,
                    NodeAclStatDir { groups: stats }
                ),
            }? Error),
        );
        if res.is_err() {
            self.tpg.del_acl(&acl);
        }
        res
    }

    /// `target_fabric_drop_nodeacl()`.
    fn drop_item(&self, child: &Group<NodeAclDir>) {
        self.tpg.del_acl(&child.acl);
    }
}

/// `acls/$initiator/` (`struct se_node_acl`'s `acl_group`).
#[pin_data]
pub struct NodeAclDir {
    tpg: Arc<SeTpg>,
    acl: Arc<SeNodeAcl>,
    #[pin]
    attrib: Group<NodeAclSubDir>,
    #[pin]
    auth: Group<NodeAclSubDir>,
    #[pin]
    param: Group<NodeAclSubDir>,
    #[pin]
    fabric_statistics: Group<NodeAclStatDir>,
}

configfs_default_groups!(NodeAclDir: attrib, auth, param, fabric_statistics);

impl NodeAclDir {
    /// The TPG.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }

    /// The node ACL.
    pub fn acl(&self) -> &Arc<SeNodeAcl> {
        &self.acl
    }
}

impl GroupOperations for NodeAclDir {
    type Child = MappedLunDir;

    /// `target_fabric_make_mappedlun()`: `lun_N`.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<MappedLunDir>>>> {
        let Some(num) = name.as_bytes().strip_prefix(b"lun_") else {
            pr_err!(
                "Unable to locate \"lun_\" from buf: {} name: {}\n",
                name,
                name
            );
            return Err(EINVAL);
        };
        let mapped_lun = crate::lio::parse::kstrtoull(num, 0)?;
        let types = self.tpg.fabric.item_types();
        Group::new_child(
            name,
            types.mappedlun,
            try_pin_init!(MappedLunDir {
                tpg: self.tpg.clone(),
                acl: self.acl.clone(),
                mapped_lun,
                write_protect: AtomicBool::new(false),
                statistics <- Group::new(kernel::c_str!("statistics"), types.mappedlun_stat, StatDir),
            }? Error),
        )
    }
}

/// `target_set_nacl_queue_depth()`: a queue depth of 0 becomes 1.
pub(crate) fn nacl_queue_depth(tpg: &SeTpg, initiatorname: &[u8], depth: u32) -> u32 {
    if depth == 0 {
        pr_warn!(
            "Queue depth for {} Initiator Node: {} is 0,defaulting to 1.\n",
            tpg.fabric.name(),
            kernel::str::BStr::from_bytes(initiatorname)
        );
        return 1;
    }
    depth
}

/// `MAX_ACL_TAG_SIZE`.
const MAX_ACL_TAG_SIZE: usize = 64;

impl SeNodeAcl {
    /// The fabric's state for this ACL, if it is a `T`.
    pub fn fabric_priv<T: 'static>(&self) -> Result<&T> {
        self.fabric_priv
            .as_ref()
            .and_then(|p| p.downcast_ref::<T>())
            .ok_or(EINVAL)
    }

    /// A reference to the fabric's state for this ACL, if it is a `T`.
    pub fn fabric_priv_arc<T: Send + Sync + 'static>(&self) -> Result<Arc<T>> {
        crate::tpg::downcast_arc(self.fabric_priv.as_ref().ok_or(EINVAL)?)
    }

    /// `queue_depth`.
    pub fn queue_depth(&self) -> u32 {
        self.state.lock().queue_depth
    }

    /// Whether the ACL was made for a demo-mode login (`dynamic_node_acl`).
    pub fn is_dynamic(&self) -> bool {
        self.state.lock().dynamic
    }

    /// `core_tpg_set_initiator_node_queue_depth()`. (LIO then shuts the initiator's
    /// sessions down to make them log in again with the new depth; the fabric does that
    /// with its own sessions.)
    pub fn set_queue_depth(&self, tpg: &SeTpg, depth: u32) {
        let mut st = self.state.lock();
        if st.queue_depth == depth {
            return;
        }
        st.queue_depth = nacl_queue_depth(tpg, self.initiatorname(), depth);
        pr_debug!(
            "Successfully changed queue depth to: {} for Initiator Node: {} on {} Target Portal Group: {}\n",
            st.queue_depth,
            kernel::str::BStr::from_bytes(self.initiatorname()),
            tpg.fabric.name(),
            tpg.tag()
        );
    }

    /// `acl_tag` as `"%s"` (no newline is added: what was written is shown).
    pub fn tag_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(&self.state.lock().tag)?;
        Ok(())
    }

    /// `core_tpg_set_initiator_node_tag()`: at most 63 bytes, kept as written (with its
    /// newline); a value starting with `NULL` clears the tag.
    pub fn set_tag(&self, input: &[u8]) -> Result {
        let text = c_text(input);
        if text.len() >= MAX_ACL_TAG_SIZE {
            return Err(EINVAL);
        }
        let mut tag = KVec::with_capacity(text.len(), GFP_KERNEL)?;
        if !text.starts_with(b"NULL") {
            tag.extend_from_slice(text, GFP_KERNEL)?;
        }
        self.state.lock().tag = tag;
        Ok(())
    }
}

/// `acls/$initiator/attrib/`, `auth/` and `param/`: the fabric's ACL attributes.
pub struct NodeAclSubDir {
    tpg: Arc<SeTpg>,
    acl: Arc<SeNodeAcl>,
}

configfs_default_groups!(NodeAclSubDir:);

impl NodeAclSubDir {
    /// The TPG.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }

    /// The node ACL.
    pub fn acl(&self) -> &Arc<SeNodeAcl> {
        &self.acl
    }
}

/// `acls/$initiator/lun_N/` (`struct se_lun_acl`).
#[pin_data]
pub struct MappedLunDir {
    tpg: Arc<SeTpg>,
    acl: Arc<SeNodeAcl>,
    mapped_lun: u64,
    write_protect: AtomicBool,
    #[pin]
    statistics: Group<StatDir>,
}

configfs_default_groups!(MappedLunDir: statistics);

impl MappedLunDir {
    /// `write_protect` (read).
    pub fn write_protect_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.acl.state.lock();
        let ro = st
            .mapped
            .iter()
            .find(|m| m.mapped_lun == self.mapped_lun)
            .map(|m| m.read_only)
            .unwrap_or(false);
        writeln!(page, "{}", u8::from(ro))?;
        Ok(())
    }

    /// `write_protect` (write): `kstrtoul`, nonzero is read-only.
    pub fn write_protect_store(&self, input: &[u8]) -> Result {
        let v = kstrtoul(input, 0)?;
        let ro = v != 0;
        self.write_protect.store(ro, Ordering::Relaxed);
        let mut st = self.acl.state.lock();
        for m in st.mapped.iter_mut() {
            if m.mapped_lun == self.mapped_lun {
                m.read_only = ro;
            }
        }
        pr_debug!(
            "{}_ConfigFS: Changed Initiator ACL: {} Mapped LUN: {} Write Protect bit to {}\n",
            self.tpg.fabric.name(),
            kernel::str::BStr::from_bytes(self.acl.initiatorname()),
            self.mapped_lun,
            if ro { "ON" } else { "OFF" }
        );
        Ok(())
    }
}

impl LinkOperations for MappedLunDir {
    type Target = LunDir;

    fn target_type(&self) -> &'static ItemType<LunDir> {
        self.tpg.fabric.item_types().tpg_port
    }

    /// `target_fabric_mappedlun_link()` + `core_enable_device_list_for_node()`.
    fn allow_link(&self, lun_dir: &LunDir) -> Result {
        if !Arc::ptr_eq(&lun_dir.tpg, &self.tpg) {
            pr_err!("Illegal Initiator ACL SymLink outside of the same TPG\n");
            return Err(EINVAL);
        }
        if !lun_dir.lun.is_linked() {
            pr_err!("Source se_lun->lun_se_dev does not exist\n");
            return Err(EINVAL);
        }
        // `prod_mode_write_protect` makes every new mapping read-only. Asked before the
        // ACL's lock is taken: the fabric's attribute lock is taken around ACL lookups
        // at login, so it must never nest inside the ACL's.
        let read_only = self.write_protect.load(Ordering::Relaxed)
            || self.tpg.fabric.check_prod_mode_write_protect(&self.tpg);
        let mut st = self.acl.state.lock();
        if st.mapped.iter().any(|m| m.mapped_lun == self.mapped_lun) {
            return Err(EEXIST);
        }
        st.mapped.push(
            MappedLun {
                mapped_lun: self.mapped_lun,
                lun: lun_dir.lun.clone(),
                read_only,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// `target_fabric_mappedlun_unlink()`.
    fn drop_link(&self, _lun_dir: &LunDir) {
        let mapped_lun = self.mapped_lun;
        retain(&mut self.acl.state.lock().mapped, |m| {
            m.mapped_lun != mapped_lun
        });
    }
}
