// SPDX-License-Identifier: GPL-2.0

//! HBAs: the `core/<plugin>_<N>` directories devices are made in (LIO:
//! `target_core_hba.c` and the HBA part of `target_core_configfs.c`).

use crate::alua::LuGpShared;
use crate::backend::{self, BackendOps};
use crate::configfs::DbRoot;
use crate::device::SeDevice;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group, GroupOperations};
use crate::lio::kmod::ModuleRef;
use crate::lio::page::Page;
use crate::lio::parse::{c_text, kstrtoul};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// `TARGET_CORE_NAME_MAX_LEN`.
const TARGET_CORE_NAME_MAX_LEN: usize = 64;

/// What an HBA shares with its devices.
pub(crate) struct HbaShared {
    /// The HBA's backend.
    pub(crate) backend: &'static BackendOps,
    /// The core's `dbroot` and device count (`target_devices`).
    pub(crate) dbroot: Arc<Mutex<DbRoot>>,
    /// `rd_host_dev_id_count`, `fd_host_dev_id_count`, ...: the index of the next
    /// enabled device.
    pub(crate) host_dev_id_count: AtomicU32,
    /// The reference on the backend's module (`core_get_backend()`).
    _backend_module: Option<ModuleRef>,
    /// `dev_count`: enabled devices.
    pub(crate) dev_count: AtomicU32,
    /// The HBA directory's name.
    pub(crate) name: KVec<u8>,
    /// `default_lu_gp`, which enabled devices join.
    pub(crate) default_lu_gp: Arc<LuGpShared>,
    /// `hba_index`: the SNMP-MIB style index the device statistics show as `inst`.
    pub(crate) hba_index: u32,
}

/// An HBA (`struct se_hba`).
pub(crate) struct Hba {
    /// `hba_id`: the core-wide index shown by `hba_info`.
    pub(crate) hba_id: u32,
    /// The backend named by the directory.
    pub(crate) backend: &'static BackendOps,
    shared: Arc<HbaShared>,
}

configfs_default_groups!(Hba:);

configfs_item_type! {
    pub(crate) static HBA_TYPE: ItemType<Hba> = ItemType::with_children [
        "hba_info" (0o444, show: Hba::hba_info_show),
        "hba_mode" (0o644, show: Hba::hba_mode_show, store: Hba::hba_mode_store),
    ];
}

/// How an HBA directory name splits (`target_core_call_addhbatotarget()`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HbaName<'a> {
    /// The plugin (backend) name.
    pub(crate) plugin: &'a [u8],
    /// The number after it.
    pub(crate) plugin_dep_id: u32,
}

/// Splits `<plugin>_<N>`: the plugin is the text before the first `_`, or before the
/// second one if there is a second (`rd_mcp_0`); `N` is parsed with `kstrtoul(.., 0)`.
pub(crate) fn parse_hba_name(name: &[u8]) -> Result<HbaName<'_>> {
    if name.len() >= TARGET_CORE_NAME_MAX_LEN {
        pr_err!(
            "Passed *name strlen(): {} exceeds TARGET_CORE_NAME_MAX_LEN: {}\n",
            name.len(),
            TARGET_CORE_NAME_MAX_LEN
        );
        return Err(crate::lio::errno::enametoolong());
    }
    let Some(first) = name.iter().position(|&c| c == b'_') else {
        pr_err!("Unable to locate \"_\" for $SUBSYSTEM_PLUGIN_$HOST_ID\n");
        return Err(EINVAL);
    };
    let after_first = first + 1;
    let split = match name[after_first..].iter().position(|&c| c == b'_') {
        Some(second) => after_first + second,
        None => first,
    };
    let id = kstrtoul(&name[split + 1..], 0).map_err(|e| {
        let e = Error::from(e);
        pr_err!("kstrtoul() returned {} for plugin_dep_id\n", e.to_errno());
        e
    })?;
    Ok(HbaName {
        plugin: &name[..split],
        // `plugin_dep_id` is an unsigned long handed on as a u32, as in LIO.
        plugin_dep_id: id as u32,
    })
}

impl Hba {
    /// `core_alloc_hba()` + the configfs group of `mkdir core/NAME`.
    /// The index comes from `hba_id_counter` once the HBA is known to be valid.
    pub(crate) fn new_group(
        name: &CStr,
        hba_id_counter: &AtomicU32,
        dbroot: &Arc<Mutex<DbRoot>>,
        default_lu_gp: &Arc<LuGpShared>,
    ) -> Result<Pin<KBox<Group<Hba>>>> {
        let parsed = parse_hba_name(c_text(name.as_bytes()))?;
        // core_alloc_hba() takes the index before it looks up the backend.
        let hba_index = crate::stat::scsi_get_new_inst_index();
        let Some((backend, backend_module)) = backend::core_get_backend(parsed.plugin) else {
            return Err(EINVAL);
        };
        let hba_name = kvec_from(c_text(name.as_bytes()))?;
        let shared = Arc::new(
            HbaShared {
                name: hba_name,
                default_lu_gp: default_lu_gp.clone(),
                backend,
                dbroot: dbroot.clone(),
                host_dev_id_count: AtomicU32::new(0),
                _backend_module: backend_module,
                dev_count: AtomicU32::new(0),
                hba_index,
            },
            GFP_KERNEL,
        )?;
        let hba_id = hba_id_counter.fetch_add(1, Ordering::Relaxed);
        let hba = Hba {
            hba_id,
            backend,
            shared,
        };
        pr_debug!(
            "CORE_HBA[{}] - Attached {} HBA {} to Generic Target Core\n",
            hba.hba_id,
            backend.name,
            parsed.plugin_dep_id
        );
        Group::new_child(name, &HBA_TYPE, hba)
    }

    fn hba_info_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(
            page,
            "HBA Index: {} plugin: {} version: {}",
            self.hba_id,
            self.backend.name,
            crate::TARGET_CORE_VERSION
        )?;
        Ok(())
    }

    fn hba_mode_show(&self, page: &mut Page<'_>) -> Result {
        // HBA_FLAGS_PSCSI_MODE: only pass-through backends have a mode; none of lio-rs's
        // do yet.
        writeln!(page, "0")?;
        Ok(())
    }

    fn hba_mode_store(&self, input: &[u8]) -> Result {
        if !self.backend.has_hba_mode {
            return Err(EINVAL);
        }
        let _mode = kstrtoul(input, 0).map_err(|e| {
            let e = Error::from(e);
            pr_err!("Unable to extract hba mode flag: {}\n", e.to_errno());
            e
        })?;
        if self.shared.dev_count.load(Ordering::Relaxed) != 0 {
            pr_err!("Unable to set hba_mode with active devices\n");
            return Err(EINVAL);
        }
        Err(EINVAL)
    }
}

impl GroupOperations for Hba {
    type Child = SeDevice;

    /// `target_core_make_subdev()`.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<SeDevice>>>> {
        let dev = SeDevice::new_group(name, self.shared.clone())?;
        self.shared.dbroot.lock().devices += 1;
        Ok(dev)
    }

    /// `target_core_drop_subdev()`.
    fn drop_item(&self, dev: &Group<SeDevice>) {
        dev.on_drop();
        let mut db = dev.dbroot().lock();
        db.devices = db.devices.saturating_sub(1);
    }
}
