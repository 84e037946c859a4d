// SPDX-License-Identifier: GPL-2.0

//! ALUA logical unit groups (LIO: `drivers/target/target_core_alua.c` and the
//! `core/alua` part of `target_core_configfs.c`).

use crate::device::DeviceCore;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::page::Page;
use crate::lio::parse::kstrtoul;
use core::fmt::Write;
use kernel::new_mutex;
use kernel::prelude::*;
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
