// SPDX-License-Identifier: GPL-2.0

//! Target ports: WWNs, target portal groups, their LUNs, node ACLs and sessions (LIO:
//! `struct se_wwn`, `struct se_portal_group`, `struct se_lun`, `struct se_node_acl`,
//! `struct se_session`; `target_core_tpg.c`).
//!
//! These are the objects a fabric module sees. Each is shared (`Arc`) between its configfs
//! directory and whoever uses it (sessions, the command path); the directories are in
//! [`crate::fabric_configfs`].

use crate::alua::{TgPtGpLun, TgPtGpShared};
use crate::device::DeviceCore;
use crate::fabric::{FabricPriv, TargetFabric};
use crate::fabric_configfs::nacl_queue_depth;
use crate::fabric_registry;
use crate::lio::bytes::kvec_from;
use crate::lio::page::Page;
use crate::lio::vec::retain_unordered;
use crate::transport::UaEntry;
use crate::ua::UaQueue;
use core::fmt::Write;
use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// A fabric endpoint (`struct se_wwn`): the directory `$fabric/$wwn`.
pub struct SeWwn {
    pub(crate) fabric: &'static dyn TargetFabric,
    name: KVec<u8>,
    fabric_priv: FabricPriv,
    /// `cmd_compl_affinity`: `SE_COMPL_AFFINITY_CPUID` (-1, the default, as in
    /// `target_fabric_make_wwn()`), `SE_COMPL_AFFINITY_CURR_CPU` (-2) or a CPU.
    pub(crate) cmd_compl_affinity: AtomicI32,
}

impl SeWwn {
    pub(crate) fn new(
        fabric: &'static dyn TargetFabric,
        name: &CStr,
        fabric_priv: FabricPriv,
    ) -> Result<Arc<Self>> {
        Ok(Arc::new(
            SeWwn {
                fabric,
                name: kvec_from(name.as_bytes())?,
                fabric_priv,
                cmd_compl_affinity: AtomicI32::new(SE_COMPL_AFFINITY_CPUID),
            },
            GFP_KERNEL,
        )?)
    }

    /// The directory name (the WWN as the user wrote it).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The fabric's state for this WWN, if it is a `T`.
    pub fn fabric_priv<T: 'static>(&self) -> Result<&T> {
        self.fabric_priv.downcast_ref::<T>().ok_or(EINVAL)
    }

    /// A reference to the fabric's state for this WWN, if it is a `T`.
    pub fn fabric_priv_arc<T: Send + Sync + 'static>(&self) -> Result<Arc<T>> {
        downcast_arc(&self.fabric_priv)
    }
}

/// Clones `any` as an `Arc<T>` if it holds a `T`.
pub(crate) fn downcast_arc<T: Send + Sync + 'static>(any: &FabricPriv) -> Result<Arc<T>> {
    if !any.is::<T>() {
        return Err(EINVAL);
    }
    crate::lio::arc::downcast(any.clone()).ok_or(EINVAL)
}

/// `SE_COMPL_AFFINITY_CPUID`: complete on the submitting CPU.
pub(crate) const SE_COMPL_AFFINITY_CPUID: i32 = -1;
/// `SE_COMPL_AFFINITY_CURR_CPU`: complete wherever (`WORK_CPU_UNBOUND`).
pub(crate) const SE_COMPL_AFFINITY_CURR_CPU: i32 = -2;

/// The mutable state of a TPG.
pub(crate) struct TpgState {
    /// `tpg_lun_hlist`: the LUNs made in `lun/`.
    pub(crate) luns: KVec<Arc<SeLun>>,
    /// `acl_node_list`: explicit and dynamic node ACLs.
    pub(crate) acls: KVec<Arc<SeNodeAcl>>,
    /// `tpg_rtpi`: 0 until assigned.
    pub(crate) rtpi: u16,
    /// `rtpi_manual`: written to the `rtpi` attribute.
    pub(crate) rtpi_manual: bool,
    /// `enabled`.
    pub(crate) enabled: bool,
    /// `rtpi` is registered in the fabric registry.
    pub(crate) rtpi_registered: bool,
}

/// A target portal group (`struct se_portal_group`): the directory `$wwn/tpgt_N`.
#[pin_data(PinnedDrop)]
pub struct SeTpg {
    pub(crate) fabric: &'static dyn TargetFabric,
    pub(crate) wwn: Arc<SeWwn>,
    tag: u16,
    proto_id: u8,
    fabric_priv: FabricPriv,
    /// Orders LUN links and dynamic ACL creation, so REPORT LUNS lists LUNs as LIO's
    /// `lun_entry_hlist` does (see [`SeSession::visible_luns`]).
    event_seq: AtomicU64,
    #[pin]
    pub(crate) state: Mutex<TpgState>,
}

#[pinned_drop]
impl PinnedDrop for SeTpg {
    fn drop(self: Pin<&mut Self>) {
        let st = self.state.lock();
        if st.rtpi_registered {
            fabric_registry::deregister_rtpi(st.rtpi);
        }
    }
}

impl SeTpg {
    pub(crate) fn new(
        fabric: &'static dyn TargetFabric,
        wwn: Arc<SeWwn>,
        tag: u16,
        proto_id: u8,
        fabric_priv: FabricPriv,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(SeTpg {
                fabric,
                wwn,
                tag,
                proto_id,
                fabric_priv,
                event_seq: AtomicU64::new(0),
                state <- new_mutex!(TpgState {
                    luns: KVec::new(),
                    acls: KVec::new(),
                    rtpi: 0,
                    rtpi_manual: false,
                    enabled: false,
                    rtpi_registered: false,
                }),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// The fabric's state for this TPG, if it is a `T`.
    pub fn fabric_priv<T: 'static>(&self) -> Result<&T> {
        self.fabric_priv.downcast_ref::<T>().ok_or(EINVAL)
    }

    /// `tpg_get_tag`.
    pub fn tag(&self) -> u16 {
        self.tag
    }

    /// `proto_id`.
    pub fn proto_id(&self) -> u8 {
        self.proto_id
    }

    /// The WWN this TPG belongs to (`tpg_get_wwn`).
    pub fn wwn(&self) -> &Arc<SeWwn> {
        &self.wwn
    }

    /// `tpg_rtpi`.
    pub fn rtpi(&self) -> u16 {
        self.state.lock().rtpi
    }

    /// The LUN `unpacked_lun` of this TPG, if it exists.
    pub fn lun(&self, unpacked_lun: u64) -> Option<Arc<SeLun>> {
        self.state
            .lock()
            .luns
            .iter()
            .find(|l| l.unpacked_lun == unpacked_lun)
            .cloned()
    }

    /// `core_tpg_alloc_lun()`: a LUN directory `lun_N` was made.
    pub(crate) fn alloc_lun(self: &Arc<Self>, unpacked_lun: u64) -> Result<Arc<SeLun>> {
        let mut st = self.state.lock();
        if st.luns.iter().any(|l| l.unpacked_lun == unpacked_lun) {
            return Err(EEXIST);
        }
        let lun = SeLun::new(unpacked_lun)?;
        st.luns.push(lun.clone(), GFP_KERNEL)?;
        Ok(lun)
    }

    /// `core_tpg_remove_lun()`: the LUN directory is removed.
    pub(crate) fn remove_lun(&self, lun: &Arc<SeLun>) {
        retain_unordered(&mut self.state.lock().luns, |l| !Arc::ptr_eq(l, lun));
    }

    /// The next number of the TPG's event sequence (LUN links, dynamic ACLs).
    pub(crate) fn next_event_seq(&self) -> u64 {
        self.event_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// `target_luns_data_has_changed()`: every initiator gets REPORTED LUNS DATA HAS
    /// CHANGED on each LUN it sees, except `skip` (the LUN just added). Dynamic (demo
    /// mode) ACLs see the TPG's linked LUNs, explicit ones their mapped LUNs.
    pub(crate) fn luns_data_has_changed(&self, skip: Option<u64>) {
        let st = self.state.lock();
        for acl in st.acls.iter() {
            let mut ast = acl.state.lock();
            let mut luns = KVec::new();
            if ast.dynamic {
                for l in st.luns.iter() {
                    if Some(l.unpacked_lun) != skip && l.is_linked() {
                        let _ = luns.push(l.unpacked_lun, GFP_KERNEL);
                    }
                }
            } else {
                for m in ast.mapped.iter() {
                    if Some(m.lun.unpacked_lun) != skip {
                        let _ = luns.push(m.mapped_lun, GFP_KERNEL);
                    }
                }
            }
            for lun in luns.iter().copied() {
                // ASC 3Fh ASCQ 0Eh: REPORTED LUNS DATA HAS CHANGED.
                if let Some(e) = ast.ua.iter_mut().find(|e| e.lun == lun) {
                    e.queue.allocate(0x3f, 0x0e);
                } else {
                    let mut queue = UaQueue::new();
                    queue.allocate(0x3f, 0x0e);
                    // Without memory the unit attention is lost, as in LIO.
                    let _ = ast.ua.push(UaEntry { lun, queue }, GFP_KERNEL);
                }
            }
        }
    }

    /// `core_scsi3_ua_allocate()` for every initiator that sees `lun`.
    pub(crate) fn lun_ua_allocate(&self, lun: &Arc<SeLun>, asc: u8, ascq: u8) {
        let st = self.state.lock();
        for acl in st.acls.iter() {
            let mut ast = acl.state.lock();
            let seen = if ast.dynamic {
                Some(lun.unpacked_lun)
            } else {
                ast.mapped
                    .iter()
                    .find(|m| Arc::ptr_eq(&m.lun, lun))
                    .map(|m| m.mapped_lun)
            };
            let Some(seen) = seen else {
                continue;
            };
            if let Some(e) = ast.ua.iter_mut().find(|e| e.lun == seen) {
                e.queue.allocate(asc, ascq);
            } else {
                let mut queue = UaQueue::new();
                queue.allocate(asc, ascq);
                // Without memory the unit attention is lost, as in LIO.
                let _ = ast.ua.push(UaEntry { lun: seen, queue }, GFP_KERNEL);
            }
        }
    }

    /// `core_tpg_get_initiator_node_acl()`.
    pub(crate) fn find_acl(&self, initiatorname: &[u8]) -> Option<Arc<SeNodeAcl>> {
        self.state
            .lock()
            .acls
            .iter()
            .find(|a| a.initiatorname() == initiatorname)
            .cloned()
    }

    /// `core_tpg_add_initiator_node_acl()`: an ACL directory was made. An existing
    /// dynamic ACL of that name becomes explicit, as in LIO.
    pub(crate) fn add_acl(&self, initiatorname: &[u8]) -> Result<Arc<SeNodeAcl>> {
        let mut st = self.state.lock();
        if let Some(acl) = st.acls.iter().find(|a| a.initiatorname() == initiatorname) {
            let mut ast = acl.state.lock();
            if ast.dynamic {
                ast.dynamic = false;
                drop(ast);
                return Ok(acl.clone());
            }
            pr_err!("ACL entry for Initiator Node already exists\n");
            return Err(EEXIST);
        }
        let acl = SeNodeAcl::new(self, initiatorname, false)?;
        st.acls.push(acl.clone(), GFP_KERNEL)?;
        Ok(acl)
    }

    /// `core_tpg_del_initiator_node_acl()`.
    pub(crate) fn del_acl(&self, acl: &Arc<SeNodeAcl>) {
        retain_unordered(&mut self.state.lock().acls, |a| !Arc::ptr_eq(a, acl));
    }

    /// `target_setup_session()`: opens an I_T nexus from the initiator port
    /// `initiatorname`. Without an ACL for it, a fabric in demo mode gets a dynamic one;
    /// otherwise the login is refused with `EACCES`.
    pub fn setup_session(self: &Arc<Self>, initiatorname: &[u8]) -> Result<Arc<SeSession>> {
        let acl = match self.acl_for_session(initiatorname) {
            Some(acl) => acl,
            None => {
                if !self.fabric.check_demo_mode(self) {
                    pr_err!(
                        "TARGET_CORE[{}]: no ACL for initiator node {}\n",
                        self.fabric.name(),
                        kernel::str::BStr::from_bytes(initiatorname)
                    );
                    return Err(EACCES);
                }
                // Made before the TPG's lock is taken (the fabric is asked for its
                // defaults); a login of the same initiator may have added one meanwhile.
                let new = SeNodeAcl::new(self, initiatorname, true)?;
                new.state.lock().created_seq = self.next_event_seq();
                let mut st = self.state.lock();
                if let Some(acl) = st.acls.iter().find(|a| a.initiatorname() == initiatorname) {
                    acl.state.lock().sessions += 1;
                    acl.clone()
                } else {
                    st.acls.push(new.clone(), GFP_KERNEL)?;
                    new.state.lock().sessions += 1;
                    new
                }
            }
        };
        match Arc::new(
            SeSession {
                tpg: self.clone(),
                acl: acl.clone(),
            },
            GFP_KERNEL,
        ) {
            Ok(sess) => Ok(sess),
            Err(e) => {
                self.put_acl_session(&acl);
                Err(e.into())
            }
        }
    }

    /// The ACL of `initiatorname` (explicit, or dynamic and still cached), counted as in
    /// use by one more session.
    fn acl_for_session(&self, initiatorname: &[u8]) -> Option<Arc<SeNodeAcl>> {
        let st = self.state.lock();
        let acl = st
            .acls
            .iter()
            .find(|a| a.initiatorname() == initiatorname)?;
        acl.state.lock().sessions += 1;
        Some(acl.clone())
    }

    /// One session of `acl` ended; returns whether it was the last. A dynamic ACL goes
    /// with its last session unless the fabric caches them (`transport_free_session()`:
    /// `tpg_check_demo_mode_cache`).
    fn put_acl_session(&self, acl: &Arc<SeNodeAcl>) -> bool {
        let cache = self.fabric.check_demo_mode_cache(self);
        let mut st = self.state.lock();
        let mut ast = acl.state.lock();
        ast.sessions = ast.sessions.saturating_sub(1);
        let last = ast.sessions == 0;
        let drop_acl = ast.dynamic && last && !cache;
        drop(ast);
        if drop_acl {
            retain_unordered(&mut st.acls, |a| !Arc::ptr_eq(a, acl));
        }
        last
    }
}

/// The mutable state of a LUN.
pub(crate) struct LunState {
    /// `lun_se_dev`: the device the port links to.
    pub(crate) dev: Option<Arc<DeviceCore>>,
    /// When the LUN was last linked to its device (the TPG's event sequence).
    pub(crate) link_seq: u64,
    /// `lun_tg_pt_secondary_offline`.
    pub(crate) tg_pt_secondary_offline: bool,
    /// `lun_tg_pt_secondary_stat`.
    pub(crate) tg_pt_secondary_stat: u32,
    /// `lun_tg_pt_secondary_write_md`.
    pub(crate) tg_pt_secondary_write_md: u32,
    /// `lun_tg_pt_gp`: the target port group the LUN is in while linked.
    pub(crate) tg_pt_gp: Option<Arc<TgPtGpShared>>,
    /// The LUN's entry in that group's member list.
    pub(crate) member: Option<Arc<dyn TgPtGpLun>>,
}

/// A LUN as a line of its target port group's `members`.
pub(crate) struct LunMember {
    fabric: &'static CStr,
    wwn: KVec<u8>,
    tag: u16,
    dir_name: KVec<u8>,
}

impl LunMember {
    pub(crate) fn for_lun(tpg: &SeTpg, dir_name: &[u8]) -> Result<Arc<dyn TgPtGpLun>> {
        let m: Arc<dyn TgPtGpLun> = Arc::new(
            LunMember {
                fabric: tpg.fabric.name(),
                wwn: kvec_from(tpg.wwn.name())?,
                tag: tpg.tag,
                dir_name: kvec_from(dir_name)?,
            },
            GFP_KERNEL,
        )?;
        Ok(m)
    }
}

impl TgPtGpLun for LunMember {
    /// `"<fabric>/<wwn>/tpgt_<tag>/<lun directory>\n"`.
    fn write_member(&self, page: &mut Page<'_>) -> core::fmt::Result {
        write!(page, "{}/", self.fabric)?;
        page.write_bytes(&self.wwn)?;
        write!(page, "/tpgt_{}/", self.tag)?;
        page.write_bytes(&self.dir_name)?;
        page.write_bytes(b"\n\0")
    }
}

/// A LUN of a TPG (`struct se_lun`): `tpgt_N/lun/lun_N`, the target port of one device.
#[pin_data]
pub struct SeLun {
    unpacked_lun: u64,
    #[pin]
    pub(crate) state: Mutex<LunState>,
}

impl SeLun {
    fn new(unpacked_lun: u64) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(SeLun {
                unpacked_lun,
                state <- new_mutex!(LunState {
                    dev: None,
                    link_seq: 0,
                    tg_pt_secondary_offline: false,
                    tg_pt_secondary_stat: 0,
                    tg_pt_secondary_write_md: 0,
                    tg_pt_gp: None,
                    member: None,
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// `unpacked_lun`.
    pub fn unpacked_lun(&self) -> u64 {
        self.unpacked_lun
    }

    /// Whether the LUN reaches a device.
    pub fn is_linked(&self) -> bool {
        self.state.lock().dev.is_some()
    }

    /// The device behind the LUN.
    pub(crate) fn device(&self) -> Option<Arc<DeviceCore>> {
        self.state.lock().dev.clone()
    }
}

/// A LUN of the TPG mapped into a node ACL (`struct se_dev_entry`).
pub(crate) struct MappedLun {
    /// `mapped_lun`: the LUN number the initiator sees.
    pub(crate) mapped_lun: u64,
    /// The TPG LUN it reaches.
    pub(crate) lun: Arc<SeLun>,
    /// `lun_access_ro`.
    pub(crate) read_only: bool,
}

/// The mutable state of a node ACL.
pub(crate) struct NodeAclState {
    /// `dynamic_node_acl`: made for a demo-mode login, not in configfs.
    pub(crate) dynamic: bool,
    /// A dynamic ACL's `lun_access_ro` for every LUN of the TPG: the fabric's
    /// `demo_mode_write_protect` when the ACL was made (`core_tpg_add_node_to_devs()`).
    pub(crate) dynamic_read_only: bool,
    /// Mapped LUNs (`lun_entry_hlist`), oldest mapping first.
    pub(crate) mapped: KVec<MappedLun>,
    /// When a dynamic ACL was made (the TPG's event sequence).
    pub(crate) created_seq: u64,
    /// Open sessions.
    pub(crate) sessions: u32,
    /// Pending unit attentions per LUN (`deve->ua_list`).
    pub(crate) ua: KVec<UaEntry>,
    /// `queue_depth`: the command window of the initiator's sessions (`cmdsn_depth`).
    pub(crate) queue_depth: u32,
    /// `acl_tag`: a label for user space.
    pub(crate) tag: KVec<u8>,
}

/// An initiator's node ACL (`struct se_node_acl`): `tpgt_N/acls/$initiator`.
#[pin_data]
pub struct SeNodeAcl {
    initiatorname: KVec<u8>,
    /// The fabric's state (`TargetFabric::alloc_nodeacl_priv`).
    pub(crate) fabric_priv: Option<FabricPriv>,
    #[pin]
    pub(crate) state: Mutex<NodeAclState>,
}

impl SeNodeAcl {
    /// `target_alloc_node_acl()`.
    fn new(tpg: &SeTpg, initiatorname: &[u8], dynamic: bool) -> Result<Arc<Self>> {
        let name = kvec_from(initiatorname)?;
        let queue_depth =
            nacl_queue_depth(tpg, initiatorname, tpg.fabric.tpg_get_default_depth(tpg));
        let fabric_priv = tpg.fabric.alloc_nodeacl_priv(tpg, initiatorname)?;
        Arc::pin_init(
            pin_init!(SeNodeAcl {
                initiatorname: name,
                fabric_priv,
                state <- new_mutex!(NodeAclState {
                    dynamic,
                    // Every backstore lio-rs has is a disk (TYPE_DISK), which LIO makes
                    // read-only in write-protected demo mode.
                    dynamic_read_only: dynamic && tpg.fabric.check_demo_mode_write_protect(tpg),
                    mapped: KVec::new(),
                    created_seq: 0,
                    sessions: 0,
                    ua: KVec::new(),
                    queue_depth,
                    tag: KVec::new(),
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// `initiatorname`.
    pub fn initiatorname(&self) -> &[u8] {
        &self.initiatorname
    }
}

/// An I_T nexus (`struct se_session`).
pub struct SeSession {
    tpg: Arc<SeTpg>,
    acl: Arc<SeNodeAcl>,
}

impl SeSession {
    /// The TPG of the session.
    pub fn tpg(&self) -> &Arc<SeTpg> {
        &self.tpg
    }

    /// The node ACL the initiator logged in with.
    pub fn node_acl(&self) -> &Arc<SeNodeAcl> {
        &self.acl
    }

    /// `target_remove_session()`: the nexus ends. A dynamic ACL goes with its last
    /// session unless the fabric caches dynamic ACLs.
    pub fn remove(self: Arc<Self>) {
        if self.tpg.put_acl_session(&self.acl) {
            self.release_spc2_reservations();
        }
    }

    /// `transport_deregister_session()` → `target_release_res()`: SPC-2 reservations the
    /// initiator holds through this TPG on the devices it sees are released when its last
    /// session goes (I_T nexus loss; logout).
    fn release_spc2_reservations(&self) {
        let mut luns = KVec::new();
        if self.visible_luns(&mut luns).is_err() {
            return;
        }
        let rtpi = self.tpg.rtpi();
        let name = self.acl.initiatorname();
        for &l in luns.iter() {
            if let Some(dev) = self.lookup_lun(l).and_then(|(lun, _)| lun.device()) {
                dev.pr.lock().spc2_release_session(name, rtpi);
            }
        }
    }

    /// `transport_lookup_cmd_lun()`: the LUN `unpacked_lun` as this initiator sees it, and
    /// whether it is read-only for it. Explicit ACLs see their mapped LUNs; dynamic (demo
    /// mode) ACLs see every LUN of the TPG, read-only under `demo_mode_write_protect`.
    pub(crate) fn lookup_lun(&self, unpacked_lun: u64) -> Option<(Arc<SeLun>, bool)> {
        let st = self.acl.state.lock();
        if st.dynamic {
            let read_only = st.dynamic_read_only;
            drop(st);
            return self.tpg.lun(unpacked_lun).map(|l| (l, read_only));
        }
        st.mapped
            .iter()
            .find(|m| m.mapped_lun == unpacked_lun)
            .map(|m| (m.lun.clone(), m.read_only))
    }

    /// The pending unit attentions of this nexus for `lun`, taken out for one command.
    /// (Two commands racing on one nexus and LUN may both see a pending UA; LIO hands
    /// it to one of them.)
    pub(crate) fn take_ua(&self, lun: u64) -> UaQueue {
        let st = self.acl.state.lock();
        st.ua
            .iter()
            .find(|e| e.lun == lun)
            .map(|e| e.queue)
            .unwrap_or_default()
    }

    /// Puts back what the command left of the unit attentions of `lun`.
    pub(crate) fn put_ua(&self, lun: u64, queue: UaQueue) {
        let mut st = self.acl.state.lock();
        if let Some(e) = st.ua.iter_mut().find(|e| e.lun == lun) {
            e.queue = queue;
        } else if !queue.is_empty() {
            // Without memory the unit attention is lost, as LIO loses it when its
            // allocation fails.
            let _ = st.ua.push(UaEntry { lun, queue }, GFP_KERNEL);
        }
    }

    /// `LUN_RESET` from this nexus completed: it gets BUS DEVICE RESET FUNCTION OCCURRED
    /// on `unpacked_lun` (`target_ua_allocate_lun()` in `target_tmr_work()`).
    pub fn lun_reset(&self, unpacked_lun: u64) {
        // core_tmr_lun_reset(): the SPC-2 reservation of the device goes.
        if let Some(dev) = self.lookup_lun(unpacked_lun).and_then(|(l, _)| l.device()) {
            dev.pr.lock().spc2_release();
        }
        let mut queue = self.take_ua(unpacked_lun);
        queue.allocate(0x29, 0x03);
        self.put_ua(unpacked_lun, queue);
    }

    /// The LUN numbers this initiator sees, for REPORT LUNS.
    pub(crate) fn visible_luns(&self, out: &mut KVec<u64>) -> Result {
        let st = self.acl.state.lock();
        if st.dynamic {
            let created = st.created_seq;
            drop(st);
            let mut linked = KVec::new();
            let tpg = self.tpg.state.lock();
            for l in tpg.luns.iter() {
                let ls = l.state.lock();
                if ls.dev.is_some() {
                    linked.push((ls.link_seq, l.unpacked_lun), GFP_KERNEL)?;
                }
            }
            drop(tpg);
            // LIO's order: core_tpg_add_node_to_devs() walks tpg_lun_hlist (newest link
            // first) when the ACL is made and puts each LUN at the head of the ACL's list,
            // so LUNs linked before it come oldest first; later links go to the head.
            linked.sort_unstable_by_key(|&(seq, _)| {
                if seq > created {
                    (false, u64::MAX - seq)
                } else {
                    (true, seq)
                }
            });
            for (_, lun) in linked.iter() {
                out.push(*lun, GFP_KERNEL)?;
            }
        } else {
            // Each mapping goes to the head of LIO's lun_entry_hlist: newest first.
            for m in st.mapped.iter().rev() {
                out.push(m.mapped_lun, GFP_KERNEL)?;
            }
        }
        Ok(())
    }
}

/// Whether `cmd_completion_affinity` accepts `val`: -1, -2 or an online CPU.
pub(crate) fn compl_affinity_is_valid(val: i32, online_cpu: impl Fn(i32) -> bool) -> bool {
    val == SE_COMPL_AFFINITY_CPUID || val == SE_COMPL_AFFINITY_CURR_CPU || online_cpu(val)
}

/// Stores the completion affinity of a WWN.
pub(crate) fn set_compl_affinity(wwn: &SeWwn, val: i32) {
    wwn.cmd_compl_affinity.store(val, Ordering::Relaxed);
}
