// SPDX-License-Identifier: GPL-2.0

//! ALUA (LIO: `drivers/target/target_core_alua.c` and the ALUA parts of
//! `target_core_configfs.c`): the logical unit groups of `core/alua/lu_gps`, the target
//! port groups of each device (`core/<hba>/<dev>/alua/<tg_pt_gp>`) and the device's
//! referrals map (`core/<hba>/<dev>/lba_map`).

use crate::device::DeviceCore;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group, GroupOperations};
use crate::lio::page::Page;
use crate::lio::parse::{c_text, kstrtoul, scan_int, scan_ulong};
use crate::lio::{time, vfs};
use crate::spc::TgPtGp as PortTgPtGp;
use core::fmt::Write;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// The data of `core/alua`.
#[pin_data]
pub(crate) struct AluaGroup {
    #[pin]
    lu_gps: Group<LuGps>,
}

configfs_default_groups!(AluaGroup: lu_gps);

configfs_item_type! {
    static ALUA_TYPE: ItemType<AluaGroup> = [];
}

impl AluaGroup {
    /// `core/alua` with `lu_gps/default_lu_gp` below it.
    pub(crate) fn group(default_lu_gp: Arc<LuGpShared>) -> impl PinInit<Group<AluaGroup>, Error> {
        Group::new(
            kernel::c_str!("alua"),
            &ALUA_TYPE,
            try_pin_init!(AluaGroup {
                lu_gps <- Group::new(
                    kernel::c_str!("lu_gps"),
                    &LU_GPS_TYPE,
                    try_pin_init!(LuGps {
                        default_lu_gp <- Group::new(
                            kernel::c_str!("default_lu_gp"),
                            &LU_GP_TYPE,
                            LuGp { shared: default_lu_gp },
                        ),
                    }? Error),
                ),
            }? Error),
        )
    }
}

/// The data of `core/alua/lu_gps`.
#[pin_data]
pub(crate) struct LuGps {
    #[pin]
    default_lu_gp: Group<LuGp>,
}

configfs_default_groups!(LuGps: default_lu_gp);

configfs_item_type! {
    static LU_GPS_TYPE: ItemType<LuGps> = [];
}

/// What an LU group shares with its member devices (`struct t10_alua_lu_gp`).
#[pin_data]
pub(crate) struct LuGpShared {
    /// The group directory's name.
    name: &'static str,
    /// On LIO's `lu_gps_list` (see [`LuGpShared::matches`]).
    findable: bool,
    #[pin]
    inner: Mutex<LuGpInner>,
}

struct LuGpInner {
    /// The group's ID, once it has one (`lu_gp_valid_id`/`lu_gp_id`).
    id: Option<u16>,
    /// Member devices (`lu_gp_mem_list`), in joining order; a device that left is a
    /// `None` until the next join compacts the list (leaving must not allocate).
    members: KVec<Option<Arc<DeviceCore>>>,
}

impl LuGpShared {
    /// `default_lu_gp`, the first group allocated, so its ID is 0.
    pub(crate) fn new_default() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(LuGpShared {
                name: "default_lu_gp",
                findable: false,
                inner <- new_mutex!(LuGpInner {
                    id: Some(0),
                    members: KVec::new(),
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// `lu_gp_id`, once the group has one.
    pub(crate) fn id(&self) -> Option<u16> {
        self.inner.lock().id
    }

    /// `__core_alua_attach_lu_gp_mem()`: `dev` joins at the end of the list.
    pub(crate) fn attach(&self, dev: Arc<DeviceCore>) -> Result {
        let mut inner = self.inner.lock();
        if inner.members.iter().any(|m| m.is_none()) {
            let live = inner.members.iter().filter(|m| m.is_some()).count();
            let mut compact = KVec::with_capacity(live + 1, GFP_KERNEL)?;
            for m in inner.members.as_mut_slice().iter_mut() {
                if let Some(m) = m.take() {
                    compact.push(Some(m), GFP_KERNEL)?;
                }
            }
            inner.members = compact;
        }
        inner.members.push(Some(dev), GFP_KERNEL)?;
        Ok(())
    }

    /// `__core_alua_drop_lu_gp_mem()`.
    pub(crate) fn drop_member(&self, dev: &DeviceCore) {
        let mut inner = self.inner.lock();
        for slot in inner.members.as_mut_slice().iter_mut() {
            if slot.as_ref().is_some_and(|m| core::ptr::eq(&**m, dev)) {
                *slot = None;
            }
        }
    }

    /// `LU Group Alias` and `LU Group ID` as a member device's `alua_lu_gp` shows them.
    pub(crate) fn show_membership(&self, page: &mut Page<'_>) -> Result {
        let id = self.inner.lock().id.unwrap_or(0);
        write!(page, "LU Group Alias: {}\nLU Group ID: {}\n", self.name, id)?;
        Ok(())
    }

    /// Whether `core_alua_get_lu_gp_by_name()` finds this group as `name`. LIO only
    /// searches groups made with `mkdir` that have an ID (`lu_gps_list`); the default
    /// group is never on that list, so a device taken out of it cannot be put back by
    /// name. lio-rs keeps that behaviour.
    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        self.findable && self.name.as_bytes() == name
    }
}

/// An ALUA logical unit group directory.
pub(crate) struct LuGp {
    shared: Arc<LuGpShared>,
}

configfs_default_groups!(LuGp:);

configfs_item_type! {
    static LU_GP_TYPE: ItemType<LuGp> = [
        "lu_gp_id" (0o644, show: LuGp::lu_gp_id_show, store: LuGp::lu_gp_id_store),
        "members" (0o444, show: LuGp::members_show),
    ];
}

impl LuGp {
    fn lu_gp_id_show(&self, page: &mut Page<'_>) -> Result {
        if let Some(id) = self.shared.inner.lock().id {
            writeln!(page, "{}", id)?;
        }
        Ok(())
    }

    fn lu_gp_id_store(&self, input: &[u8]) -> Result {
        let id = kstrtoul(input, 0).map_err(|e| {
            let e = Error::from(e);
            pr_err!("kstrtoul() returned {} for lu_gp_id\n", e.to_errno());
            e
        })?;
        if id > 0xffff {
            pr_err!("ALUA lu_gp_id: {} exceeds maximum: 0x0000ffff\n", id);
            return Err(EINVAL);
        }
        let mut inner = self.shared.inner.lock();
        if inner.id.is_some() {
            pr_warn!("ALUA LU Group already has a valid ID, ignoring request\n");
            return Err(EINVAL);
        }
        inner.id = Some(id as u16);
        Ok(())
    }

    /// `<hba>/<dev>` of each member, one per line, as long as they fit in the page.
    fn members_show(&self, page: &mut Page<'_>) -> Result {
        let inner = self.shared.inner.lock();
        for dev in inner.members.iter().flatten() {
            let start = page.len();
            let fits = page
                .write_bytes(dev.hba_name())
                .and_then(|()| page.write_bytes(b"/"))
                .and_then(|()| page.write_bytes(dev.name()))
                .and_then(|()| page.write_bytes(b"\n"));
            if fits.is_err() {
                page.truncate(start);
                pr_warn!("Ran out of lu_gp_show_attr_members buffer\n");
                break;
            }
        }
        Ok(())
    }
}

// ---- Target port groups: core/<hba>/<dev>/alua/ -------------------------------------

/// `TPGS_IMPLICIT_ALUA`.
const TPGS_IMPLICIT_ALUA: i32 = 0x10;
/// `TPGS_EXPLICIT_ALUA`.
const TPGS_EXPLICIT_ALUA: i32 = 0x20;

/// `ALUA_ACCESS_STATE_*`.
const ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED: i32 = 0x0;
const ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED: i32 = 0x1;
const ALUA_ACCESS_STATE_STANDBY: i32 = 0x2;
const ALUA_ACCESS_STATE_UNAVAILABLE: i32 = 0x3;
const ALUA_ACCESS_STATE_LBA_DEPENDENT: i32 = 0x4;
const ALUA_ACCESS_STATE_OFFLINE: i32 = 0xe;
const ALUA_ACCESS_STATE_TRANSITION: i32 = 0xf;

/// The supported-state bits of `tg_pt_gp_alua_supported_states`.
const ALUA_T_SUP: i32 = 0x80;
const ALUA_O_SUP: i32 = 0x40;
const ALUA_LBD_SUP: i32 = 0x10;
const ALUA_U_SUP: i32 = 0x08;
const ALUA_S_SUP: i32 = 0x04;
const ALUA_AN_SUP: i32 = 0x02;
const ALUA_AO_SUP: i32 = 0x01;

/// `ALUA_STATUS_*`.
const ALUA_STATUS_NONE: i32 = 0x00;
const ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG: i32 = 0x01;
const ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA: i32 = 0x02;

const ALUA_DEFAULT_NONOP_DELAY_MSECS: i32 = 100;
const ALUA_MAX_NONOP_DELAY_MSECS: u64 = 10000;
const ALUA_DEFAULT_TRANS_DELAY_MSECS: i32 = 0;
const ALUA_MAX_TRANS_DELAY_MSECS: u64 = 30000;
const ALUA_DEFAULT_IMPLICIT_TRANS_SECS: i32 = 0;
const ALUA_MAX_IMPLICIT_TRANS_SECS: u64 = 255;
/// `TG_PT_GROUP_NAME_BUF`: the longest `members` line, with its NUL.
const TG_PT_GROUP_NAME_BUF: usize = 256;

/// The text of a store, for messages.
fn text(input: &[u8]) -> &str {
    core::str::from_utf8(c_text(input)).unwrap_or("<non-UTF-8>")
}

/// `core_alua_dump_status()`.
fn dump_status(status: i32) -> &'static str {
    match status {
        ALUA_STATUS_NONE => "None",
        ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG => "Altered by Explicit STPG",
        ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA => "Altered by Implicit ALUA",
        _ => "Unknown",
    }
}

/// `core_alua_dump_state()`.
fn dump_state(state: i32) -> &'static str {
    match state {
        ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED => "Active/Optimized",
        ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED => "Active/NonOptimized",
        ALUA_ACCESS_STATE_LBA_DEPENDENT => "LBA Dependent",
        ALUA_ACCESS_STATE_STANDBY => "Standby",
        ALUA_ACCESS_STATE_UNAVAILABLE => "Unavailable",
        ALUA_ACCESS_STATE_OFFLINE => "Offline",
        ALUA_ACCESS_STATE_TRANSITION => "Transitioning",
        _ => "Unknown",
    }
}

/// `core_alua_check_transition()` for a transition asked through configfs (implicit).
fn check_transition(state: i32, valid: i32) -> Result {
    let needed = match state {
        ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED => ALUA_AO_SUP,
        ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED => ALUA_AN_SUP,
        ALUA_ACCESS_STATE_STANDBY => ALUA_S_SUP,
        ALUA_ACCESS_STATE_UNAVAILABLE => ALUA_U_SUP,
        ALUA_ACCESS_STATE_LBA_DEPENDENT => ALUA_LBD_SUP,
        ALUA_ACCESS_STATE_OFFLINE => ALUA_O_SUP,
        ALUA_ACCESS_STATE_TRANSITION => ALUA_T_SUP,
        _ => {
            pr_err!("Unknown ALUA access state: 0x{:02x}\n", state);
            return Err(EINVAL);
        }
    };
    if valid & needed == 0 {
        pr_err!("ALUA access state {} not supported", dump_state(state));
        return Err(EINVAL);
    }
    Ok(())
}

/// A LUN in a target port group (`se_lun` on `tg_pt_gp_lun_list`). Fabric LUNs join
/// the device's `default_tg_pt_gp` when they link to the device
/// ([`TgPtGpShared::attach_lun`]); until fabrics exist, no group has members.
pub(crate) trait TgPtGpLun: Send + Sync {
    /// Writes `"<fabric_name>/<wwn>/tpgt_<tag>/<lun name>\n"`, the LUN's line of
    /// `members`.
    fn write_member(&self, page: &mut Page<'_>) -> core::fmt::Result;
}

/// The settings and state of a target port group (`struct t10_alua_tg_pt_gp`).
struct TgPtGpState {
    /// `tg_pt_gp_id`, meaningful once `valid_id`.
    id: u16,
    /// `tg_pt_gp_valid_id`: the group is on its device's list.
    valid_id: bool,
    /// `tg_pt_gp_alua_supported_states`.
    supported_states: i32,
    /// `tg_pt_gp_alua_access_status`.
    access_status: i32,
    /// `tg_pt_gp_alua_access_type`: `TPGS_IMPLICIT_ALUA` and/or `TPGS_EXPLICIT_ALUA`.
    access_type: i32,
    nonop_delay_msecs: i32,
    trans_delay_msecs: i32,
    implicit_trans_secs: i32,
    /// `tg_pt_gp_pref`.
    pref: i32,
    /// `tg_pt_gp_write_metadata`.
    write_metadata: i32,
    /// `tg_pt_gp_alua_access_state`.
    access_state: i32,
    /// `tg_pt_gp_lun_list`: the member LUNs, in joining order.
    luns: KVec<Arc<dyn TgPtGpLun>>,
}

/// A target port group, shared by its configfs directory and its device's list.
#[pin_data]
pub(crate) struct TgPtGpShared {
    /// The directory's name.
    name: KVec<u8>,
    /// `tg_pt_gp_transition_mutex`: one state transition at a time.
    #[pin]
    transition: Mutex<()>,
    #[pin]
    inner: Mutex<TgPtGpState>,
}

impl TgPtGpShared {
    /// `core_alua_allocate_tg_pt_gp()` without an ID yet.
    pub(crate) fn new(name: &[u8]) -> Result<Arc<Self>> {
        let name = kvec_from(name)?;
        Arc::pin_init(
            pin_init!(TgPtGpShared {
                name,
                transition <- new_mutex!(()),
                inner <- new_mutex!(TgPtGpState {
                    id: 0,
                    valid_id: false,
                    supported_states: ALUA_T_SUP
                        | ALUA_O_SUP
                        | ALUA_U_SUP
                        | ALUA_S_SUP
                        | ALUA_AN_SUP
                        | ALUA_AO_SUP,
                    access_status: ALUA_STATUS_NONE,
                    access_type: TPGS_EXPLICIT_ALUA | TPGS_IMPLICIT_ALUA,
                    nonop_delay_msecs: ALUA_DEFAULT_NONOP_DELAY_MSECS,
                    trans_delay_msecs: ALUA_DEFAULT_TRANS_DELAY_MSECS,
                    implicit_trans_secs: ALUA_DEFAULT_IMPLICIT_TRANS_SECS,
                    pref: 0,
                    write_metadata: 0,
                    access_state: ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED,
                    luns: KVec::new(),
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// `__target_attach_tg_pt_gp()`: `lun` joins the group.
    pub(crate) fn attach_lun(&self, lun: Arc<dyn TgPtGpLun>) -> Result {
        self.inner.lock().luns.push(lun, GFP_KERNEL)?;
        Ok(())
    }

    /// `__target_detach_tg_pt_gp()`: `lun` leaves the group.
    pub(crate) fn detach_lun(&self, lun: &Arc<dyn TgPtGpLun>) {
        crate::lio::vec::retain_unordered(&mut self.inner.lock().luns, |l| !Arc::ptr_eq(l, lun));
    }

    /// The group as a member LUN's port sees it (REPORT TARGET PORT GROUPS, INQUIRY).
    pub(crate) fn port_view(&self) -> PortTgPtGp {
        let s = self.inner.lock();
        PortTgPtGp {
            tg_pt_gp_id: s.id,
            alua_access_type: s.access_type as u8,
            alua_access_state: s.access_state as u8,
            alua_supported_states: s.supported_states as u8,
            alua_access_status: s.access_status as u8,
            pref: s.pref != 0,
            implicit_trans_secs: s.implicit_trans_secs.clamp(0, 255) as u8,
        }
    }

    /// `core_alua_show_tg_pt_gp_info()` for a member LUN whose secondary state is
    /// `offline` and `secondary_status`.
    pub(crate) fn show_lun_info(
        &self,
        page: &mut Page<'_>,
        offline: bool,
        secondary_status: u32,
    ) -> Result {
        let s = self.inner.lock();
        write!(
            page,
            "TG Port Alias: {}\nTG Port Group ID: {}\nTG Port Primary Access State: {}\n\
             TG Port Primary Access Status: {}\nTG Port Secondary Access State: {}\n\
             TG Port Secondary Access Status: {}\n",
            self.name_str(),
            s.id,
            dump_state(s.access_state),
            dump_status(s.access_status),
            if offline { "Offline" } else { "None" },
            dump_status(secondary_status as i32)
        )?;
        Ok(())
    }

    /// The directory's name.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    fn name_str(&self) -> &str {
        core::str::from_utf8(&self.name).unwrap_or("<non-UTF-8>")
    }

    /// `core_alua_do_transition_tg_pt()` of an implicit (configfs) transition, with the
    /// primary metadata written when `alua_write_metadata` is set.
    fn do_transition(&self, dev: &DeviceCore, new_state: i32) {
        let _transition = self.transition.lock();
        let (prev_state, delay) = {
            let mut s = self.inner.lock();
            if s.access_state == new_state {
                return;
            }
            let prev = s.access_state;
            s.access_state = ALUA_ACCESS_STATE_TRANSITION;
            s.access_status = ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA;
            (prev, s.trans_delay_msecs)
        };
        // core_alua_queue_state_change_ua(): a unit attention for every I_T nexus of
        // the member LUNs, once LUNs and sessions exist.
        if new_state == ALUA_ACCESS_STATE_TRANSITION {
            return;
        }
        if delay > 0 {
            time::msleep_interruptible(delay as u32);
        }
        let metadata = {
            let mut s = self.inner.lock();
            s.access_state = new_state;
            (s.write_metadata != 0).then_some((s.id, s.access_state, s.access_status))
        };
        if let Some((id, state, status)) = metadata {
            self.update_primary_metadata(dev, id, state, status);
        }
        pr_debug!(
            "Successful implicit ALUA transition TG PT Group: {} ID: {} from primary access state {} to {}\n",
            self.name_str(),
            id_of(self),
            dump_state(prev_state),
            dump_state(new_state)
        );
    }

    /// `core_alua_update_tpg_primary_metadata()`: `<dbroot>/alua/tpgs_<unit serial>/<name>`.
    /// Failures are logged only, as in LIO.
    fn update_primary_metadata(&self, dev: &DeviceCore, id: u16, state: i32, status: i32) {
        let mut md = [0u8; 128];
        let mut page = Page::new(&mut md);
        if write!(
            page,
            "tg_pt_gp_id={}\nalua_access_state=0x{:02x}\nalua_access_status=0x{:02x}\n",
            id, state, status
        )
        .is_err()
        {
            return;
        }
        let len = page.len();
        let Ok(path) = dev.metadata_path(b"/alua/tpgs_", &self.name) else {
            return;
        };
        let Ok(cpath) = CStr::from_bytes_with_nul(&path) else {
            return;
        };
        match vfs::write_file(cpath, &md[..len]) {
            Ok(()) => {}
            Err(e) if e == ENODEV => {
                pr_err!("filp_open({}) for ALUA metadata failed\n", cpath)
            }
            Err(_) => pr_err!("Error writing ALUA metadata file: {}\n", cpath),
        }
    }
}

fn id_of(g: &TgPtGpShared) -> u16 {
    g.inner.lock().id
}

/// One line of the referrals map: an LBA range and the state of each port group in it
/// (`struct t10_alua_lba_map` and its members).
struct LbaMap {
    first_lba: u64,
    last_lba: u64,
    /// `(pg_id, alua_state)` in the order given.
    members: KVec<(i32, i32)>,
}

/// The ALUA state of a device (`struct t10_alua`).
pub(crate) struct T10Alua {
    /// `alua_tg_pt_gps_counter`: the next ID handed out automatically.
    tg_pt_gps_counter: u16,
    /// `alua_tg_pt_gps_count`: groups with an ID.
    tg_pt_gps_count: u32,
    /// `tg_pt_gps_list`: the groups with an ID, in the order they got it; a group that
    /// left is a `None` until the next one joins (leaving must not allocate).
    tg_pt_gps: KVec<Option<Arc<TgPtGpShared>>>,
    /// `lba_map_segment_size`.
    lba_map_segment_size: u32,
    /// `lba_map_segment_multiplier`.
    lba_map_segment_multiplier: u32,
    /// `lba_map_list`.
    lba_map: KVec<LbaMap>,
}

impl T10Alua {
    /// A device's ALUA state with `default_tg_pt_gp`, which takes the first ID (0) as
    /// `core_alua_allocate_tg_pt_gp(dev, "default_tg_pt_gp", 1)` gives it.
    pub(crate) fn new(default_tg_pt_gp: &Arc<TgPtGpShared>) -> Result<Self> {
        let mut alua = T10Alua {
            tg_pt_gps_counter: 0,
            tg_pt_gps_count: 0,
            tg_pt_gps: KVec::new(),
            lba_map_segment_size: 0,
            lba_map_segment_multiplier: 0,
            lba_map: KVec::new(),
        };
        let id = alua.tg_pt_gps_counter;
        alua.tg_pt_gps_counter = alua.tg_pt_gps_counter.wrapping_add(1);
        {
            let mut s = default_tg_pt_gp.inner.lock();
            s.id = id;
            s.valid_id = true;
        }
        alua.join(default_tg_pt_gp.clone())?;
        Ok(alua)
    }

    fn live(&self) -> impl Iterator<Item = &Arc<TgPtGpShared>> {
        self.tg_pt_gps.iter().flatten()
    }

    /// Appends `g` to `tg_pt_gps_list`, compacting the list first.
    fn join(&mut self, g: Arc<TgPtGpShared>) -> Result {
        if self.tg_pt_gps.iter().any(|m| m.is_none()) {
            let mut compact = KVec::with_capacity(self.live().count() + 1, GFP_KERNEL)?;
            for m in self.tg_pt_gps.as_mut_slice().iter_mut() {
                if let Some(m) = m.take() {
                    compact.push(Some(m), GFP_KERNEL)?;
                }
            }
            self.tg_pt_gps = compact;
        }
        self.tg_pt_gps.push(Some(g), GFP_KERNEL)?;
        self.tg_pt_gps_count += 1;
        Ok(())
    }

    /// `core_alua_set_tg_pt_gp_id()`.
    fn set_tg_pt_gp_id(&mut self, g: &Arc<TgPtGpShared>, requested: u16) -> Result {
        if g.inner.lock().valid_id {
            pr_warn!("ALUA TG PT Group already has a valid ID, ignoring request\n");
            return Err(EINVAL);
        }
        if self.tg_pt_gps_count == 0x0000ffff {
            pr_err!("Maximum ALUA alua_tg_pt_gps_count: 0x0000ffff reached\n");
            return Err(ENOSPC);
        }
        let id = loop {
            let id = if requested != 0 {
                requested
            } else {
                let c = self.tg_pt_gps_counter;
                self.tg_pt_gps_counter = c.wrapping_add(1);
                c
            };
            if !self.live().any(|t| t.inner.lock().id == id) {
                break id;
            }
            if requested != 0 {
                pr_err!(
                    "ALUA Target Port Group ID: {} already exists, ignoring request\n",
                    requested
                );
                return Err(EINVAL);
            }
        };
        self.join(g.clone())?;
        let mut s = g.inner.lock();
        s.id = id;
        s.valid_id = true;
        Ok(())
    }

    /// The part of `core_alua_free_tg_pt_gp()` that takes `g` off the list.
    fn leave(&mut self, g: &TgPtGpShared) {
        for slot in self.tg_pt_gps.as_mut_slice().iter_mut() {
            if slot.as_ref().is_some_and(|m| core::ptr::eq(&**m, g)) {
                *slot = None;
                self.tg_pt_gps_count -= 1;
            }
        }
    }

    /// `target_dev_lba_map_show()`.
    pub(crate) fn lba_map_show(&self, page: &mut Page<'_>) -> Result {
        if !self.lba_map.is_empty() {
            writeln!(
                page,
                "{} {}",
                self.lba_map_segment_size, self.lba_map_segment_multiplier
            )?;
        }
        for map in self.lba_map.iter() {
            write!(page, "{} {}", map.first_lba, map.last_lba)?;
            for &(pg_id, state) in map.members.iter() {
                let c = match state {
                    ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED => 'O',
                    ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED => 'A',
                    ALUA_ACCESS_STATE_STANDBY => 'S',
                    ALUA_ACCESS_STATE_UNAVAILABLE => 'U',
                    _ => '.',
                };
                write!(page, " {}:{}", pg_id, c)?;
            }
            writeln!(page)?;
        }
        Ok(())
    }

    /// `target_dev_lba_map_store()`: the first line is `<segment size> <segment
    /// multiplier>`, each further one `<first lba> <last lba> <pg_id>:<O|A|S|U> ...` with
    /// as many port groups as the first such line. On success the map replaces the old
    /// one and every group with an ID supports LBA dependent
    /// (`core_alua_set_lba_map()`). The control flow, quirks included, is LIO's.
    pub(crate) fn lba_map_store(&mut self, input: &[u8]) -> Result {
        let mut list: KVec<LbaMap> = KVec::new();
        let mut ret: Result = Ok(());
        let mut num: i32 = 0;
        let mut pg_num: i32 = -1;
        // `unsigned long segment_size = -1, segment_mult = -1`.
        let mut segment_size = u64::MAX;
        let mut segment_mult = u64::MAX;
        'lines: for line in c_text(input).split(|&c| c == b'\n') {
            if line.is_empty() {
                continue;
            }
            let two = scan_ulong(line).and_then(|(a, rest)| Some((a, scan_ulong(rest)?.0)));
            if num == 0 {
                let Some((size, mult)) = two else {
                    pr_err!("Invalid line {}\n", num);
                    ret = Err(EINVAL);
                    break;
                };
                segment_size = size;
                segment_mult = mult;
                num += 1;
                continue;
            }
            let Some((start_lba, end_lba)) = two else {
                pr_err!("Invalid line {}\n", num);
                ret = Err(EINVAL);
                break;
            };
            let Some(sp) = line.iter().position(|&c| c == b' ') else {
                pr_err!("Invalid line {}, missing end lba\n", num);
                ret = Err(EINVAL);
                break;
            };
            let rest = &line[sp + 1..];
            let Some(sp) = rest.iter().position(|&c| c == b' ') else {
                pr_err!("Invalid line {}, missing state definitions\n", num);
                ret = Err(EINVAL);
                break;
            };
            let mut ptr = &rest[sp + 1..];
            if let Err(e) = list.push(
                LbaMap {
                    first_lba: start_lba,
                    last_lba: end_lba,
                    members: KVec::new(),
                },
                GFP_KERNEL,
            ) {
                pr_err!("Unable to allocate struct t10_alua_lba_map\n");
                ret = Err(e.into());
                break;
            }
            let Some(map) = list.as_mut_slice().last_mut() else {
                ret = Err(ENOMEM);
                break;
            };
            let mut pg: i32 = 0;
            // sscanf(ptr, "%d:%c", &pg_id, &state) == 2
            while let Some((pg_id, state)) = scan_int(ptr).and_then(|(id, rest)| match rest {
                [b':', c, ..] => Some((id, *c)),
                _ => None,
            }) {
                let alua_state = match state {
                    b'O' => ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED,
                    b'A' => ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED,
                    b'S' => ALUA_ACCESS_STATE_STANDBY,
                    b'U' => ALUA_ACCESS_STATE_UNAVAILABLE,
                    _ => {
                        pr_err!("Invalid ALUA state '{}'\n", char::from(state));
                        ret = Err(EINVAL);
                        break 'lines;
                    }
                };
                // core_alua_allocate_lba_map_mem(); its result is `ret`, so a later
                // success clears an earlier duplicate, as in LIO.
                ret = if map.members.iter().any(|&(id, _)| id == pg_id) {
                    pr_err!("Duplicate pg_id {} in lba_map\n", pg_id);
                    Err(EINVAL)
                } else {
                    map.members
                        .push((pg_id, alua_state), GFP_KERNEL)
                        .map_err(|e| {
                            pr_err!("Unable to allocate struct t10_alua_lba_map_mem\n");
                            e.into()
                        })
                };
                if ret.is_err() {
                    pr_err!(
                        "Invalid target descriptor {}:{} at line {}\n",
                        pg_id,
                        char::from(state),
                        num
                    );
                    break;
                }
                pg += 1;
                match ptr.iter().position(|&c| c == b' ') {
                    Some(sp) => ptr = &ptr[sp + 1..],
                    None => break,
                }
            }
            if pg_num == -1 {
                pg_num = pg;
            } else if pg != pg_num {
                pr_err!(
                    "Only {} from {} port groups definitions at line {}\n",
                    pg,
                    pg_num,
                    num
                );
                ret = Err(EINVAL);
                break;
            }
            num += 1;
        }
        ret?;
        // core_alua_set_lba_map(): the sizes pass through an int into u32 fields.
        self.lba_map_segment_size = segment_size as u32;
        self.lba_map_segment_multiplier = segment_mult as u32;
        self.lba_map = list;
        for g in self.live() {
            let mut s = g.inner.lock();
            if s.valid_id {
                s.supported_states |= ALUA_LBD_SUP;
            }
        }
        Ok(())
    }
}

/// The data of a device's `alua/` (`alua_tg_pt_gps_group`): `mkdir` makes target port
/// groups; `default_tg_pt_gp` is a default group and cannot be removed.
#[pin_data]
pub(crate) struct TgPtGps {
    dev: Arc<DeviceCore>,
    #[pin]
    default_tg_pt_gp: Group<TgPtGp>,
}

configfs_default_groups!(TgPtGps: default_tg_pt_gp);

configfs_item_type! {
    static TG_PT_GPS_TYPE: ItemType<TgPtGps> = ItemType::with_children [];
}

impl TgPtGps {
    /// The `alua` default group of a device, with `default_tg_pt_gp` below it.
    pub(crate) fn group(
        dev: Arc<DeviceCore>,
        default_tg_pt_gp: Arc<TgPtGpShared>,
    ) -> impl PinInit<Group<TgPtGps>, Error> {
        Group::new(
            kernel::c_str!("alua"),
            &TG_PT_GPS_TYPE,
            try_pin_init!(TgPtGps {
                default_tg_pt_gp <- Group::new(
                    kernel::c_str!("default_tg_pt_gp"),
                    &TG_PT_GP_TYPE,
                    TgPtGp { dev: dev.clone(), shared: default_tg_pt_gp },
                ),
                dev,
            }? Error),
        )
    }
}

impl GroupOperations for TgPtGps {
    type Child = TgPtGp;

    /// `target_core_alua_create_tg_pt_gp()`: a group without an ID.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<TgPtGp>>>> {
        let shared = TgPtGpShared::new(c_text(name.as_bytes()))?;
        pr_debug!(
            "Target_Core_ConfigFS: Allocated ALUA Target Port Group: alua/tg_pt_gps/{}\n",
            name
        );
        Group::new_child(
            name,
            &TG_PT_GP_TYPE,
            TgPtGp {
                dev: self.dev.clone(),
                shared,
            },
        )
    }

    /// `target_core_alua_drop_tg_pt_gp()` + `core_alua_free_tg_pt_gp()`.
    fn drop_item(&self, child: &Group<TgPtGp>) {
        self.dev.state.lock().alua.leave(&child.shared);
    }
}

/// A target port group directory.
pub(crate) struct TgPtGp {
    dev: Arc<DeviceCore>,
    shared: Arc<TgPtGpShared>,
}

configfs_default_groups!(TgPtGp:);

configfs_item_type! {
    static TG_PT_GP_TYPE: ItemType<TgPtGp> = [
        "alua_access_state" (0o644, show: TgPtGp::alua_access_state_show,
            store: TgPtGp::alua_access_state_store),
        "alua_access_status" (0o644, show: TgPtGp::alua_access_status_show,
            store: TgPtGp::alua_access_status_store),
        "alua_access_type" (0o644, show: TgPtGp::alua_access_type_show,
            store: TgPtGp::alua_access_type_store),
        "alua_support_transitioning" (0o644, show: TgPtGp::support_transitioning_show,
            store: TgPtGp::support_transitioning_store),
        "alua_support_offline" (0o644, show: TgPtGp::support_offline_show,
            store: TgPtGp::support_offline_store),
        "alua_support_lba_dependent" (0o644, show: TgPtGp::support_lba_dependent_show,
            store: TgPtGp::support_lba_dependent_store),
        "alua_support_unavailable" (0o644, show: TgPtGp::support_unavailable_show,
            store: TgPtGp::support_unavailable_store),
        "alua_support_standby" (0o644, show: TgPtGp::support_standby_show,
            store: TgPtGp::support_standby_store),
        "alua_support_active_nonoptimized" (0o644,
            show: TgPtGp::support_active_nonoptimized_show,
            store: TgPtGp::support_active_nonoptimized_store),
        "alua_support_active_optimized" (0o644,
            show: TgPtGp::support_active_optimized_show,
            store: TgPtGp::support_active_optimized_store),
        "alua_write_metadata" (0o644, show: TgPtGp::alua_write_metadata_show,
            store: TgPtGp::alua_write_metadata_store),
        "nonop_delay_msecs" (0o644, show: TgPtGp::nonop_delay_msecs_show,
            store: TgPtGp::nonop_delay_msecs_store),
        "trans_delay_msecs" (0o644, show: TgPtGp::trans_delay_msecs_show,
            store: TgPtGp::trans_delay_msecs_store),
        "implicit_trans_secs" (0o644, show: TgPtGp::implicit_trans_secs_show,
            store: TgPtGp::implicit_trans_secs_store),
        "preferred" (0o644, show: TgPtGp::preferred_show, store: TgPtGp::preferred_store),
        "tg_pt_gp_id" (0o644, show: TgPtGp::tg_pt_gp_id_show,
            store: TgPtGp::tg_pt_gp_id_store),
        "members" (0o444, show: TgPtGp::members_show),
    ];
}

/// `ALUA_SUPPORTED_STATE_ATTR(name, bit)`: show and store of one supported-state bit.
macro_rules! supported_state_attr {
    ($($show:ident, $store:ident => $name:literal, $bit:ident;)*) => {
        $(
            fn $show(&self, page: &mut Page<'_>) -> Result {
                let s = self.shared.inner.lock();
                writeln!(page, "{}", i32::from(s.supported_states & $bit != 0))?;
                Ok(())
            }

            fn $store(&self, input: &[u8]) -> Result {
                let mut s = self.shared.inner.lock();
                if !s.valid_id {
                    pr_err!(concat!("Unable to set ", $name,
                        " ALUA state on invalid tg_pt_gp ID\n"));
                    return Err(EINVAL);
                }
                let Ok(tmp) = kstrtoul(input, 0) else {
                    pr_err!("Invalid value '{}', must be '0' or '1'\n", text(input));
                    return Err(EINVAL);
                };
                if tmp > 1 {
                    pr_err!("Invalid value '{}', must be '0' or '1'\n", tmp);
                    return Err(EINVAL);
                }
                if tmp != 0 {
                    s.supported_states |= $bit;
                } else {
                    s.supported_states &= !$bit;
                }
                Ok(())
            }
        )*
    };
}

/// A `kstrtoul()` that reports its error as `what` does.
fn ulong_arg(input: &[u8], what: &str) -> Result<u64> {
    kstrtoul(input, 0).map_err(|e| {
        pr_err!("Unable to extract {}\n", what);
        Error::from(e)
    })
}

impl TgPtGp {
    fn show_int(&self, page: &mut Page<'_>, f: impl FnOnce(&TgPtGpState) -> i32) -> Result {
        let v = f(&self.shared.inner.lock());
        writeln!(page, "{}", v)?;
        Ok(())
    }

    fn alua_access_state_show(&self, page: &mut Page<'_>) -> Result {
        self.show_int(page, |s| s.access_state)
    }

    /// `target_tg_pt_gp_alua_access_state_store()`: an implicit transition.
    fn alua_access_state_store(&self, input: &[u8]) -> Result {
        if !self.shared.inner.lock().valid_id {
            pr_err!("Unable to do implicit ALUA on invalid tg_pt_gp ID\n");
            return Err(EINVAL);
        }
        let (configured, lu_gp) = {
            let st = self.dev.state.lock();
            (st.configured, st.lu_gp.clone())
        };
        if !configured {
            pr_err!("Unable to set alua_access_state while device is not configured\n");
            return Err(ENODEV);
        }
        let tmp = kstrtoul(input, 0).map_err(|e| {
            pr_err!(
                "Unable to extract new ALUA access state from {}\n",
                text(input)
            );
            Error::from(e)
        })?;
        let new_state = tmp as i32;
        let (access_type, valid_states) = {
            let s = self.shared.inner.lock();
            (s.access_type, s.supported_states)
        };
        if access_type & TPGS_IMPLICIT_ALUA == 0 {
            pr_err!("Unable to process implicit configfs ALUA transition while TPGS_IMPLICIT_ALUA is disabled\n");
            return Err(EINVAL);
        }
        if access_type & TPGS_EXPLICIT_ALUA != 0 && new_state == ALUA_ACCESS_STATE_LBA_DEPENDENT {
            pr_err!("Unable to process implicit configfs ALUA transition while explicit ALUA management is enabled\n");
            return Err(EINVAL);
        }
        // core_alua_do_port_transition()
        check_transition(new_state, valid_states)?;
        let lu_gp_id = lu_gp.as_ref().map_or(0, |g| g.inner.lock().id.unwrap_or(0));
        match lu_gp {
            // Another LU group: every group with this one's ID on every member device
            // transitions. (LIO dereferences a NULL group for a device taken out of
            // every LU group; lio-rs transitions this group alone, as for the default.)
            Some(lu_gp) if lu_gp_id != 0 => {
                let id = id_of(&self.shared);
                let devs = lu_gp.member_devices()?;
                for dev in devs.iter() {
                    let groups = dev.state.lock().alua.groups_with_id(id)?;
                    for g in groups.iter() {
                        g.do_transition(dev, new_state);
                    }
                }
            }
            _ => self.shared.do_transition(&self.dev, new_state),
        }
        Ok(())
    }

    fn alua_access_status_show(&self, page: &mut Page<'_>) -> Result {
        let status = self.shared.inner.lock().access_status;
        writeln!(page, "{}", dump_status(status))?;
        Ok(())
    }

    fn alua_access_status_store(&self, input: &[u8]) -> Result {
        let mut s = self.shared.inner.lock();
        if !s.valid_id {
            pr_err!("Unable to set ALUA access status on invalid tg_pt_gp ID\n");
            return Err(EINVAL);
        }
        let tmp = kstrtoul(input, 0).map_err(|e| {
            pr_err!(
                "Unable to extract new ALUA access status from {}\n",
                text(input)
            );
            Error::from(e)
        })?;
        let new_status = tmp as i32;
        if !matches!(
            new_status,
            ALUA_STATUS_NONE
                | ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG
                | ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA
        ) {
            pr_err!("Illegal ALUA access status: 0x{:02x}\n", new_status);
            return Err(EINVAL);
        }
        s.access_status = new_status;
        Ok(())
    }

    /// `core_alua_show_access_type()`.
    fn alua_access_type_show(&self, page: &mut Page<'_>) -> Result {
        let t = self.shared.inner.lock().access_type;
        let text = match (t & TPGS_IMPLICIT_ALUA != 0, t & TPGS_EXPLICIT_ALUA != 0) {
            (true, true) => "Implicit and Explicit",
            (true, false) => "Implicit",
            (false, true) => "Explicit",
            (false, false) => "None",
        };
        writeln!(page, "{}", text)?;
        Ok(())
    }

    /// `core_alua_store_access_type()`: 0 none, 1 implicit, 2 explicit, 3 both.
    fn alua_access_type_store(&self, input: &[u8]) -> Result {
        let tmp = ulong_arg(input, "alua_access_type")?;
        let t = match tmp {
            3 => TPGS_IMPLICIT_ALUA | TPGS_EXPLICIT_ALUA,
            2 => TPGS_EXPLICIT_ALUA,
            1 => TPGS_IMPLICIT_ALUA,
            0 => 0,
            _ => {
                pr_err!("Illegal value for alua_access_type: {}\n", tmp);
                return Err(EINVAL);
            }
        };
        self.shared.inner.lock().access_type = t;
        Ok(())
    }

    supported_state_attr! {
        support_transitioning_show, support_transitioning_store => "transitioning", ALUA_T_SUP;
        support_offline_show, support_offline_store => "offline", ALUA_O_SUP;
        support_lba_dependent_show, support_lba_dependent_store => "lba_dependent", ALUA_LBD_SUP;
        support_unavailable_show, support_unavailable_store => "unavailable", ALUA_U_SUP;
        support_standby_show, support_standby_store => "standby", ALUA_S_SUP;
        support_active_optimized_show, support_active_optimized_store =>
            "active_optimized", ALUA_AO_SUP;
        support_active_nonoptimized_show, support_active_nonoptimized_store =>
            "active_nonoptimized", ALUA_AN_SUP;
    }

    fn alua_write_metadata_show(&self, page: &mut Page<'_>) -> Result {
        self.show_int(page, |s| s.write_metadata)
    }

    fn alua_write_metadata_store(&self, input: &[u8]) -> Result {
        let tmp = ulong_arg(input, "alua_write_metadata")?;
        if tmp > 1 {
            pr_err!("Illegal value for alua_write_metadata: {}\n", tmp);
            return Err(EINVAL);
        }
        self.shared.inner.lock().write_metadata = tmp as i32;
        Ok(())
    }

    fn nonop_delay_msecs_show(&self, page: &mut Page<'_>) -> Result {
        self.show_int(page, |s| s.nonop_delay_msecs)
    }

    fn nonop_delay_msecs_store(&self, input: &[u8]) -> Result {
        let tmp = ulong_arg(input, "nonop_delay_msecs")?;
        if tmp > ALUA_MAX_NONOP_DELAY_MSECS {
            pr_err!(
                "Passed nonop_delay_msecs: {}, exceeds ALUA_MAX_NONOP_DELAY_MSECS: {}\n",
                tmp,
                ALUA_MAX_NONOP_DELAY_MSECS
            );
            return Err(EINVAL);
        }
        self.shared.inner.lock().nonop_delay_msecs = tmp as i32;
        Ok(())
    }

    fn trans_delay_msecs_show(&self, page: &mut Page<'_>) -> Result {
        self.show_int(page, |s| s.trans_delay_msecs)
    }

    fn trans_delay_msecs_store(&self, input: &[u8]) -> Result {
        let tmp = ulong_arg(input, "trans_delay_msecs")?;
        if tmp > ALUA_MAX_TRANS_DELAY_MSECS {
            pr_err!(
                "Passed trans_delay_msecs: {}, exceeds ALUA_MAX_TRANS_DELAY_MSECS: {}\n",
                tmp,
                ALUA_MAX_TRANS_DELAY_MSECS
            );
            return Err(EINVAL);
        }
        self.shared.inner.lock().trans_delay_msecs = tmp as i32;
        Ok(())
    }

    fn implicit_trans_secs_show(&self, page: &mut Page<'_>) -> Result {
        self.show_int(page, |s| s.implicit_trans_secs)
    }

    fn implicit_trans_secs_store(&self, input: &[u8]) -> Result {
        let tmp = ulong_arg(input, "implicit_trans_secs")?;
        if tmp > ALUA_MAX_IMPLICIT_TRANS_SECS {
            pr_err!(
                "Passed implicit_trans_secs: {}, exceeds ALUA_MAX_IMPLICIT_TRANS_SECS: {}\n",
                tmp,
                ALUA_MAX_IMPLICIT_TRANS_SECS
            );
            return Err(EINVAL);
        }
        self.shared.inner.lock().implicit_trans_secs = tmp as i32;
        Ok(())
    }

    fn preferred_show(&self, page: &mut Page<'_>) -> Result {
        self.show_int(page, |s| s.pref)
    }

    fn preferred_store(&self, input: &[u8]) -> Result {
        let tmp = ulong_arg(input, "preferred ALUA value")?;
        if tmp > 1 {
            pr_err!("Illegal value for preferred ALUA: {}\n", tmp);
            return Err(EINVAL);
        }
        self.shared.inner.lock().pref = tmp as i32;
        Ok(())
    }

    fn tg_pt_gp_id_show(&self, page: &mut Page<'_>) -> Result {
        let s = self.shared.inner.lock();
        if s.valid_id {
            writeln!(page, "{}", s.id)?;
        }
        Ok(())
    }

    /// `target_tg_pt_gp_tg_pt_gp_id_store()`: once, 0 picks the next free ID; every
    /// refusal of `core_alua_set_tg_pt_gp_id()` is `EINVAL`.
    fn tg_pt_gp_id_store(&self, input: &[u8]) -> Result {
        let id = kstrtoul(input, 0).map_err(|e| {
            pr_err!(
                "ALUA tg_pt_gp_id: invalid value '{}' for tg_pt_gp_id\n",
                text(input)
            );
            Error::from(e)
        })?;
        if id > 0x0000ffff {
            pr_err!("ALUA tg_pt_gp_id: {} exceeds maximum: 0x0000ffff\n", id);
            return Err(EINVAL);
        }
        self.dev
            .state
            .lock()
            .alua
            .set_tg_pt_gp_id(&self.shared, id as u16)
            .map_err(|_| EINVAL)?;
        pr_debug!(
            "Target_Core_ConfigFS: Set ALUA Target Port Group: core/alua/tg_pt_gps/{} to ID: {}\n",
            self.shared.name_str(),
            id_of(&self.shared)
        );
        Ok(())
    }

    /// One line per member LUN, each followed by the NUL LIO copies with it; a line
    /// longer than `TG_PT_GROUP_NAME_BUF` or past the page ends the list.
    fn members_show(&self, page: &mut Page<'_>) -> Result {
        let s = self.shared.inner.lock();
        for lun in s.luns.iter() {
            let mut buf = [0u8; TG_PT_GROUP_NAME_BUF];
            let mut line = Page::new(&mut buf);
            let fits = lun.write_member(&mut line).is_ok() && line.len() < TG_PT_GROUP_NAME_BUF;
            let len = line.len();
            let start = page.len();
            if !fits
                || page
                    .write_bytes(&buf[..len])
                    .and_then(|()| page.write_bytes(b"\0"))
                    .is_err()
            {
                page.truncate(start);
                pr_warn!("Ran out of lu_gp_show_attr_members buffer\n");
                break;
            }
        }
        Ok(())
    }
}

impl T10Alua {
    /// `dev->t10_alua.default_tg_pt_gp`, while it is on the list.
    pub(crate) fn default_tg_pt_gp(&self) -> Option<Arc<TgPtGpShared>> {
        self.tg_pt_gps
            .iter()
            .flatten()
            .find(|g| g.name() == b"default_tg_pt_gp")
            .cloned()
    }

    /// `core_alua_get_tg_pt_gp_by_name()`: a group with an ID called `name`.
    pub(crate) fn tg_pt_gp_by_name(&self, name: &[u8]) -> Option<Arc<TgPtGpShared>> {
        self.tg_pt_gps
            .iter()
            .flatten()
            .find(|g| g.name() == name)
            .cloned()
    }

    /// The groups of this device whose ID is `id` (for a transition across an LU group).
    fn groups_with_id(&self, id: u16) -> Result<KVec<Arc<TgPtGpShared>>> {
        let mut v = KVec::new();
        for g in self.live() {
            let s = g.inner.lock();
            if s.valid_id && s.id == id {
                v.push(g.clone(), GFP_KERNEL)?;
            }
        }
        Ok(v)
    }
}

impl LuGpShared {
    /// The member devices, copied out of the lock.
    fn member_devices(&self) -> Result<KVec<Arc<DeviceCore>>> {
        let inner = self.inner.lock();
        let mut v = KVec::new();
        for d in inner.members.iter().flatten() {
            v.push(d.clone(), GFP_KERNEL)?;
        }
        Ok(v)
    }
}
