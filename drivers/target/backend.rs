// SPDX-License-Identifier: GPL-2.0

//! Backends (LIO's `struct target_backend_ops`, `target_core_hba.c`'s registry): the
//! storage a device keeps its blocks in. `rd_mcp` is part of the core, as in LIO; the
//! others (`target_core_file`, `target_core_iblock`) are modules that register with
//! [`BackendRegistration`] (see `include/target/target_core_backend.rs`).

use crate::attrib::DevAttrib;
use crate::exec::Medium;
use crate::lio::global::Global;
use crate::lio::kmod::ModuleRef;
use crate::lio::page::Page;
use crate::lio::vec::retain_unordered;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// A backend (`struct target_backend_ops`).
pub struct BackendOps {
    /// The plugin name: the part of an HBA directory name before its index.
    pub name: &'static str,
    /// Default INQUIRY product identification of its devices (`inquiry_prod`).
    pub inquiry_prod: &'static str,
    /// Default INQUIRY product revision level (`inquiry_rev`).
    pub inquiry_rev: &'static str,
    /// `pmode_enable_hba`: whether the backend supports `hba_mode` (pass-through mode).
    pub has_hba_mode: bool,
    /// The module the backend lives in (`owner`), pinned while an HBA of it exists;
    /// `None` for the core's own rd_mcp.
    pub owner: Option<&'static ThisModule>,
    /// `alloc_device`: the backend's part of a new device directory.
    pub alloc_device: fn() -> Result<Arc<dyn BackendDevice>>,
}

/// The backend's part of one device (what LIO's backends keep in their `se_device`
/// subclass: `struct rd_dev`, `struct fd_dev`, `struct iblock_dev`). The core calls it
/// with the device's lock held; the backend keeps its mutable state behind its own lock.
pub trait BackendDevice: Send + Sync {
    /// `set_configfs_dev_params`: the device's `control` attribute was written. Errors
    /// reach user space.
    fn set_configfs_dev_params(&self, input: &[u8]) -> Result;

    /// `show_configfs_dev_params`: the backend's lines of the device's `info`.
    fn show_configfs_dev_params(&self, page: &mut Page<'_>) -> Result;

    /// `configure_device`: `enable` was written. The backend sets the hardware attributes
    /// (`hw_block_size`, `hw_max_sectors`, `hw_queue_depth`, `is_nonrot`, unmap limits).
    fn configure_device(&self, attrib: &mut DevAttrib) -> Result;

    /// The device's index in its HBA (`rd_dev_id`, `fd_dev_id`, ...), given once
    /// `configure_device` succeeded.
    fn set_dev_id(&self, dev_id: u32);

    /// The medium the command path reads and writes, once configured.
    fn medium(&self) -> Result<Arc<dyn Medium>>;

    /// `get_blocks`: the last LBA in blocks of `block_size`.
    fn last_lba(&self, block_size: u32) -> u64;

    /// `get_device_type`: the SCSI peripheral device type (`TYPE_DISK`, 0, by default).
    fn device_type(&self) -> u8 {
        0
    }

    /// `get_write_cache`: whether the backing store has a volatile write cache, for
    /// backends that can tell (iblock); `None` makes `emulate_write_cache` decide.
    fn get_write_cache(&self) -> Option<bool> {
        None
    }

    /// `get_io_min`: the backing store's minimum I/O size in bytes (0: none), for the
    /// BLOCK LIMITS VPD page's OPTIMAL TRANSFER LENGTH GRANULARITY.
    fn get_io_min(&self) -> u32 {
        0
    }

    /// `get_io_opt`: the optimal I/O size in bytes (0: none), for BLOCK LIMITS' OPTIMAL
    /// TRANSFER LENGTH.
    fn get_io_opt(&self) -> u32 {
        0
    }

    /// `get_lbppbe`: logical blocks per physical block exponent, for READ CAPACITY (16).
    fn get_lbppbe(&self) -> u32 {
        0
    }

    /// `get_alignment_offset_lbas`: the lowest aligned LBA, for READ CAPACITY (16)
    /// (which keeps 16 bits of it, as LIO does).
    fn get_alignment_offset_lbas(&self) -> u64 {
        0
    }

    /// `DF_READ_ONLY`: the backing store was opened read-only (iblock's `readonly=1`),
    /// so every LUN of the device is write protected.
    fn read_only(&self) -> bool {
        false
    }
}

/// What the core keeps about registered backends (`backend_list`).
#[pin_data]
struct Backends {
    #[pin]
    list: Mutex<KVec<&'static BackendOps>>,
}

static BACKENDS: Global<Backends> = Global::new();

/// Installs the backend list for the engine's lifetime.
pub(crate) struct BackendsInstalled(());

impl BackendsInstalled {
    pub(crate) fn new() -> Result<Self> {
        let backends = Arc::pin_init(
            pin_init!(Backends {
                list <- new_mutex!(KVec::new()),
            }),
            GFP_KERNEL,
        )?;
        BACKENDS.set(Some(backends));
        Ok(BackendsInstalled(()))
    }
}

impl Drop for BackendsInstalled {
    fn drop(&mut self) {
        BACKENDS.set(None);
    }
}

/// A backend's registration (`transport_backend_register()`), undone when dropped.
pub struct BackendRegistration {
    ops: &'static BackendOps,
}

impl BackendRegistration {
    /// Registers `ops`; a second backend of the same name fails with `EEXIST`.
    pub fn new(ops: &'static BackendOps) -> Result<Self> {
        let backends = BACKENDS.get().ok_or(ENODEV)?;
        let mut list = backends.list.lock();
        if list.iter().any(|b| b.name == ops.name) || ops.name == RD_MCP.name {
            pr_warn!("Backend {} already registered.\n", ops.name);
            return Err(EEXIST);
        }
        list.push(ops, GFP_KERNEL)?;
        pr_debug!("TCM: Registered subsystem plugin: {}\n", ops.name);
        Ok(BackendRegistration { ops })
    }
}

impl Drop for BackendRegistration {
    fn drop(&mut self) {
        if let Some(backends) = BACKENDS.get() {
            let name = self.ops.name;
            retain_unordered(&mut backends.list.lock(), |b| b.name != name);
        }
    }
}

fn alloc_rd() -> Result<Arc<dyn BackendDevice>> {
    let dev: Arc<dyn BackendDevice> = crate::rd::RdBackend::new()?;
    Ok(dev)
}

/// `rd_mcp`, the memory-copy ramdisk of `target_core_rd.c`.
pub(crate) static RD_MCP: BackendOps = BackendOps {
    name: "rd_mcp",
    inquiry_prod: "RAMDISK-MCP",
    inquiry_rev: "4.0",
    has_hba_mode: false,
    owner: None,
    alloc_device: alloc_rd,
};

/// The modules `transport_subsystem_check_init()` loads before the first HBA is made,
/// so that their backends have registered.
pub(crate) const BACKEND_MODULES: [&kernel::str::CStr; 4] = [
    kernel::c_str!("target_core_iblock"),
    kernel::c_str!("target_core_file"),
    kernel::c_str!("target_core_pscsi"),
    kernel::c_str!("target_core_user"),
];

/// `core_get_backend()`: the backend called `name`, if registered, with a reference on
/// its module for the HBA that uses it (`None` for rd_mcp, which is the core's).
pub(crate) fn core_get_backend(name: &[u8]) -> Option<(&'static BackendOps, Option<ModuleRef>)> {
    if name == RD_MCP.name.as_bytes() {
        return Some((&RD_MCP, None));
    }
    let backends = BACKENDS.get()?;
    let list = backends.list.lock();
    let ops = list.iter().copied().find(|b| b.name.as_bytes() == name)?;
    match ops.owner {
        None => Some((ops, None)),
        Some(owner) => ModuleRef::try_get(owner).map(|r| (ops, Some(r))),
    }
}
