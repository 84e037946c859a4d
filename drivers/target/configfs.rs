// SPDX-License-Identifier: GPL-2.0

//! The configfs root of the target engine, `/sys/kernel/config/target`
//! (LIO: `drivers/target/target_core_configfs.c`):
//!
//! ```text
//! target/            TargetRoot: version (RO), dbroot (RW); mkdir: fabric directories
//! ├── $fabric/       fabric_configfs::FabricRoot (the fabric's tree)
//! └── core/          CoreGroup
//!     └── alua/      alua::AluaGroup
//!         └── lu_gps/
//!             └── default_lu_gp/   lu_gp_id (RW), members (RO)
//! ```

use crate::alua::{AluaGroup, LuGpShared};
use crate::backend::BACKEND_MODULES;
use crate::fabric_configfs::FabricRoot;
use crate::fabric_registry;
use crate::hba::Hba;
use crate::lio::configfs::GroupOperations;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group, Subsystem};
use crate::lio::kmod;
use crate::lio::page::Page;
use crate::lio::parse::c_text;
use crate::lio::{uts, vfs};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// `DB_ROOT_LEN`: the longest `dbroot` path plus its NUL.
const DB_ROOT_LEN: usize = 4096;
/// `DB_ROOT_DEFAULT`.
const DB_ROOT_DEFAULT: &CStr = kernel::c_str!("/var/target");
/// `DB_ROOT_PREFERRED`, used when it exists at load time.
const DB_ROOT_PREFERRED: &CStr = kernel::c_str!("/etc/target");

/// Where the engine keeps persistent state (PR APTPL and ALUA metadata files), and how
/// many devices exist (`target_devices`): the path cannot change while any does. One
/// lock guards both, as `target_devices_lock` does in LIO.
pub(crate) struct DbRoot {
    path: [u8; DB_ROOT_LEN],
    /// `target_devices`.
    pub(crate) devices: u32,
}

impl DbRoot {
    fn new(path: &CStr) -> Self {
        let mut db = DbRoot {
            path: [0; DB_ROOT_LEN],
            devices: 0,
        };
        let bytes = path.as_bytes();
        let n = bytes.len().min(DB_ROOT_LEN - 1);
        db.path[..n].copy_from_slice(&bytes[..n]);
        db
    }

    /// The path, without its NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        c_text(&self.path)
    }
}

/// The data of `/sys/kernel/config/target`.
#[pin_data]
pub(crate) struct TargetRoot {
    dbroot: Arc<Mutex<DbRoot>>,
    #[pin]
    core: Group<CoreGroup>,
}

configfs_default_groups!(TargetRoot: core);

configfs_item_type! {
    static TARGET_ROOT_TYPE: ItemType<TargetRoot> = ItemType::with_children [
        "version" (0o444, show: TargetRoot::version_show),
        "dbroot" (0o644, show: TargetRoot::dbroot_show, store: TargetRoot::dbroot_store),
    ];
}

impl TargetRoot {
    /// The registered `target` subsystem.
    pub(crate) fn subsystem() -> Result<impl PinInit<Subsystem<TargetRoot>, Error>> {
        // target_init_dbroot(): prefer /etc/target when it exists.
        let initial = if vfs::require_directory(DB_ROOT_PREFERRED).is_ok() {
            DB_ROOT_PREFERRED
        } else {
            DB_ROOT_DEFAULT
        };
        let dbroot = Arc::pin_init(new_mutex!(DbRoot::new(initial)), GFP_KERNEL)?;
        let default_lu_gp = LuGpShared::new_default()?;
        Ok(Subsystem::new(
            kernel::c_str!("target"),
            &TARGET_ROOT_TYPE,
            try_pin_init!(TargetRoot {
                dbroot: dbroot.clone(),
                core <- Group::new(
                    kernel::c_str!("core"),
                    &CORE_TYPE,
                    CoreGroup::new(dbroot.clone(), default_lu_gp)
                ),
            }? Error),
        ))
    }

    fn version_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(
            page,
            "Target Engine Core ConfigFS Infrastructure {} on {}/{} on {}",
            crate::TARGET_CORE_VERSION,
            uts::sysname(),
            uts::machine(),
            uts::release()
        )?;
        Ok(())
    }

    fn dbroot_show(&self, page: &mut Page<'_>) -> Result {
        let db = self.dbroot.lock();
        page.write_bytes(db.as_bytes())?;
        page.write_bytes(b"\n")?;
        Ok(())
    }

    fn dbroot_store(&self, input: &[u8]) -> Result {
        let mut db = self.dbroot.lock();
        if db.devices != 0 {
            pr_err!("db_root: cannot be changed because it's in use\n");
            return Err(EINVAL);
        }
        if input.len() > DB_ROOT_LEN - 1 {
            pr_err!(
                "db_root: count {} exceeds DB_ROOT_LEN-1: {}\n",
                input.len(),
                DB_ROOT_LEN - 1
            );
            return Err(EINVAL);
        }
        let mut text = c_text(input);
        if text.is_empty() {
            return Err(EINVAL);
        }
        if let [path @ .., b'\n'] = text {
            text = path;
        }
        let mut staged = [0u8; DB_ROOT_LEN];
        staged[..text.len()].copy_from_slice(text);
        let path = CStr::from_bytes_with_nul(&staged[..=text.len()]).map_err(|_| EINVAL)?;
        if let Err(e) = vfs::require_directory(path) {
            pr_err!("db_root: cannot open: {}\n", path);
            if e == ENOTDIR {
                pr_err!("db_root: not a directory: {}\n", path);
            }
            return Err(e);
        }
        db.path = staged;
        pr_debug!("Target_Core_ConfigFS: db_root set to {}\n", path);
        Ok(())
    }
}

impl GroupOperations for TargetRoot {
    type Child = FabricRoot;

    /// `target_core_register_fabric()`: `mkdir target/NAME` for a registered fabric,
    /// loading `iscsi_target_mod` for `iscsi*` and `tcm_loop` for `loopback*` first.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<FabricRoot>>>> {
        let bytes = name.as_bytes();
        let fabric = match fabric_registry::lookup(bytes) {
            Some(f) => Some(f),
            None => {
                let module = if bytes.starts_with(b"iscsi") {
                    Some(kernel::c_str!("iscsi_target_mod"))
                } else if bytes.starts_with(b"loopback") {
                    Some(kernel::c_str!("tcm_loop"))
                } else {
                    None
                };
                if let Some(module) = module {
                    if kmod::request_module(module).is_err() {
                        pr_debug!("request_module() failed for {}\n", module);
                        return Err(EINVAL);
                    }
                }
                fabric_registry::lookup(bytes)
            }
        };
        let Some(fabric) = fabric else {
            pr_debug!("target_core_get_fabric() failed for {}\n", name);
            return Err(EINVAL);
        };
        FabricRoot::new_group(name, fabric)
    }
}

/// The data of `target/core`, parent of the HBA directories and of `alua/`.
#[pin_data]
pub(crate) struct CoreGroup {
    #[pin]
    alua: Group<AluaGroup>,
    /// `hba_id_counter`: the index the next HBA gets.
    hba_id_counter: AtomicU32,
    /// The index of the core's internal HBA for the virtual LUN 0 device
    /// (`core_dev_setup_virtual_lun0()`), which is made at load time and never shows
    /// in configfs, so user HBAs count from 1 as in LIO.
    lun0_hba_id: u32,
    /// `sub_api_initialized`: the backend modules were requested once.
    backends_requested: AtomicBool,
    dbroot: Arc<Mutex<DbRoot>>,
    /// `default_lu_gp`: devices join it when enabled.
    default_lu_gp: Arc<LuGpShared>,
}

configfs_default_groups!(CoreGroup: alua);

configfs_item_type! {
    static CORE_TYPE: ItemType<CoreGroup> = ItemType::with_children [];
}

impl CoreGroup {
    fn new(
        dbroot: Arc<Mutex<DbRoot>>,
        default_lu_gp: Arc<LuGpShared>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(CoreGroup {
            alua <- AluaGroup::group(default_lu_gp.clone()),
            default_lu_gp,
            hba_id_counter: AtomicU32::new(1),
            lun0_hba_id: 0,
            backends_requested: AtomicBool::new(false),
            dbroot,
        }? Error)
    }

    /// `transport_subsystem_check_init()`: load the backend modules once.
    fn request_backend_modules(&self) {
        if self.backends_requested.swap(true, Ordering::AcqRel) {
            return;
        }
        for module in BACKEND_MODULES {
            if kmod::request_module(module).is_err() {
                pr_err!("Unable to load {}\n", module);
            }
        }
    }
}

impl GroupOperations for CoreGroup {
    type Child = Hba;

    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<Hba>>>> {
        self.request_backend_modules();
        Hba::new_group(
            name,
            &self.hba_id_counter,
            &self.dbroot,
            &self.default_lu_gp,
        )
    }
}
