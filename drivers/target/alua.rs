// SPDX-License-Identifier: GPL-2.0

//! ALUA logical unit groups (LIO: `drivers/target/target_core_alua.c` and the
//! `core/alua` part of `target_core_configfs.c`).

use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::page::Page;
use crate::lio::parse::kstrtoul;
use core::fmt::Write;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

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
    pub(crate) fn group() -> impl PinInit<Group<AluaGroup>, Error> {
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
                            LuGp::new_default(),
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

/// An ALUA logical unit group (`struct t10_alua_lu_gp`).
#[pin_data]
pub(crate) struct LuGp {
    /// The group's ID, once it has one (`lu_gp_valid_id`/`lu_gp_id`).
    #[pin]
    id: Mutex<Option<u16>>,
}

configfs_default_groups!(LuGp:);

configfs_item_type! {
    static LU_GP_TYPE: ItemType<LuGp> = [
        "lu_gp_id" (0o644, show: LuGp::lu_gp_id_show, store: LuGp::lu_gp_id_store),
        "members" (0o444, show: LuGp::members_show),
    ];
}

impl LuGp {
    /// `default_lu_gp`, the first group allocated, so its ID is 0.
    fn new_default() -> impl PinInit<Self, Error> {
        try_pin_init!(LuGp {
            id <- new_mutex!(Some(0)),
        }? Error)
    }

    fn lu_gp_id_show(&self, page: &mut Page<'_>) -> Result {
        if let Some(id) = *self.id.lock() {
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
        let mut current = self.id.lock();
        if current.is_some() {
            pr_warn!("ALUA LU Group already has a valid ID, ignoring request\n");
            return Err(EINVAL);
        }
        *current = Some(id as u16);
        Ok(())
    }

    fn members_show(&self, _page: &mut Page<'_>) -> Result {
        // Devices join LU groups once backstores exist; until then no group has members.
        Ok(())
    }
}
