// SPDX-License-Identifier: GPL-2.0

//! target_core_iblock: the IBLOCK backstore (LIO: `drivers/target/target_core_iblock.c`).
//!
//! `core/iblock_N/NAME` devices keep their blocks on a block device claimed with
//! `bdev_file_open_by_path()` (`udev_path=`, read-only with `readonly=1`). Reads and
//! writes are bios, SYNCHRONIZE CACHE a flush, UNMAP a discard, WRITE SAME a zero-out or
//! repeated writes. The device reports the block device's write cache
//! (`get_write_cache`), minimum and optimal I/O sizes, physical block exponent and
//! alignment. The configfs logic is the host-tested `iblock.rs`, the I/O
//! `iblock_medium.rs` (synchronous bios, see there).

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use target_core::backend_api::{BackendDevice, BackendOps, BackendRegistration, DevAttrib, Medium};
use target_core::lio::page::Page;

/// The support layer, where `iblock.rs` finds its parsers (`super::lio::parse`).
use target_core::lio;

// Some of its items (the tests' helpers) only its host tests use.
#[allow(dead_code)]
mod iblock;
mod iblock_medium;

use iblock::{
    iblock_get_alignment_offset_lbas, iblock_get_lbppbe, BdevId, IbError, IbParams, IBLOCK_VERSION,
};
use iblock_medium::{printk, IbMedium, BDEVNAME_SIZE};

module! {
    type: TargetCoreIblock,
    name: "target_core_iblock",
    author: "lio-rs developers",
    description: "lio-rs: TCM IBLOCK subsystem plugin",
    license: "GPL",
}

/// The mutable state of an iblock device (`struct iblock_dev`).
struct IbState {
    params: IbParams,
    /// The claimed block device, once enabled (`ibd_bd`).
    medium: Option<Arc<IbMedium>>,
}

/// An iblock device: the backend's part of `core/iblock_N/NAME`.
#[pin_data]
struct IbDev {
    #[pin]
    state: Mutex<IbState>,
}

/// The longest `info` text of an iblock device: the path (up to 511 bytes), the device
/// name and numbers.
const IB_INFO_MAX: usize = 768;

/// An [`IbError`] as the errno it stands for.
fn ib_errno(e: IbError) -> Error {
    match e {
        IbError::Inval => EINVAL,
        IbError::Range => ERANGE,
        IbError::Exist => EEXIST,
    }
}

impl IbDev {
    fn medium_now(&self) -> Option<Arc<IbMedium>> {
        self.state.lock().medium.clone()
    }
}

impl BackendDevice for IbDev {
    /// `iblock_set_configfs_dev_params()`.
    fn set_configfs_dev_params(&self, input: &[u8]) -> Result {
        let mut st = self.state.lock();
        let opened = st.medium.is_some();
        st.params
            .set_configfs_dev_params(input, opened, &mut printk)
            .map_err(ib_errno)
    }

    /// `iblock_show_configfs_dev_params()`.
    fn show_configfs_dev_params(&self, page: &mut Page<'_>) -> Result {
        let mut buf = KVec::from_elem(0u8, IB_INFO_MAX, GFP_KERNEL)?;
        let mut name = [0u8; BDEVNAME_SIZE];
        let st = self.state.lock();
        let bd = st.medium.as_ref().map(|m| {
            let (major, minor) = m.dev_numbers();
            BdevId {
                name: m.name(&mut name),
                major,
                minor,
            }
        });
        let n = st
            .params
            .show_configfs_dev_params(bd, &mut buf)
            .map_err(|_| EINVAL)?;
        drop(st);
        page.write_bytes(buf.get(..n).ok_or(EINVAL)?)?;
        Ok(())
    }

    /// `iblock_configure_device()`: claims the block device and sets the hardware
    /// attributes; `iblock_configure_unmap()` its UNMAP limits.
    fn configure_device(&self, attrib: &mut DevAttrib) -> Result {
        let mut st = self.state.lock();
        let (medium, setup) = IbMedium::open(&st.params)?;
        attrib.hw_block_size = setup.hw_block_size;
        attrib.hw_max_sectors = setup.hw_max_sectors;
        attrib.hw_queue_depth = setup.hw_queue_depth;
        attrib.max_write_same_len = setup.max_write_same_len;
        if setup.set_nonrot {
            attrib.is_nonrot = true;
        }
        if let Some(unmap) = medium.configure_unmap() {
            attrib.max_unmap_lba_count = unmap.max_unmap_lba_count;
            attrib.max_unmap_block_desc_count = unmap.max_unmap_block_desc_count;
            attrib.unmap_granularity = unmap.unmap_granularity;
            attrib.unmap_granularity_alignment = unmap.unmap_granularity_alignment;
        }
        st.medium = Some(Arc::new(medium, GFP_KERNEL)?);
        Ok(())
    }

    /// iblock keeps no device id.
    fn set_dev_id(&self, _dev_id: u32) {}

    fn medium(&self) -> Result<Arc<dyn Medium>> {
        let m: Arc<dyn Medium> = self.medium_now().ok_or(ENODEV)?;
        Ok(m)
    }

    /// `iblock_get_blocks()`.
    fn last_lba(&self, block_size: u32) -> u64 {
        match self.medium_now() {
            Some(m) => {
                m.set_block_size(block_size);
                m.get_blocks(block_size)
            }
            None => 0,
        }
    }

    /// `iblock_get_write_cache()`: `bdev_write_cache()`. Before the device is claimed
    /// it answers "no cache", which still makes `emulate_write_cache=1` refused, as LIO
    /// refuses it for every iblock device.
    fn get_write_cache(&self) -> Option<bool> {
        Some(self.medium_now().is_some_and(|m| m.facts().write_cache))
    }

    /// `iblock_get_io_min()`: `bdev_io_min()`.
    fn get_io_min(&self) -> u32 {
        self.medium_now().map_or(0, |m| m.facts().io_min)
    }

    /// `iblock_get_io_opt()`: `bdev_io_opt()`.
    fn get_io_opt(&self) -> u32 {
        self.medium_now().map_or(0, |m| m.facts().io_opt)
    }

    /// `iblock_get_lbppbe()`.
    fn get_lbppbe(&self) -> u32 {
        self.medium_now()
            .map_or(0, |m| iblock_get_lbppbe(&m.facts()))
    }

    /// `iblock_get_alignment_offset_lbas()`.
    fn get_alignment_offset_lbas(&self) -> u64 {
        self.medium_now()
            .map_or(0, |m| iblock_get_alignment_offset_lbas(&m.facts()))
    }

    /// `DF_READ_ONLY`: claimed with `readonly=1`.
    fn read_only(&self) -> bool {
        self.medium_now().is_some_and(|m| m.read_only())
    }
}

/// `iblock_alloc_device()`.
fn ib_alloc_device() -> Result<Arc<dyn BackendDevice>> {
    let dev: Arc<dyn BackendDevice> = Arc::pin_init(
        pin_init!(IbDev {
            state <- new_mutex!(IbState {
                params: IbParams::new(),
                medium: None,
            }),
        }),
        GFP_KERNEL,
    )?;
    Ok(dev)
}

/// `iblock_ops`.
static IBLOCK_OPS: BackendOps = BackendOps {
    name: "iblock",
    inquiry_prod: "IBLOCK",
    inquiry_rev: IBLOCK_VERSION,
    has_hba_mode: false,
    owner: Some(&THIS_MODULE),
    alloc_device: ib_alloc_device,
};

struct TargetCoreIblock {
    _registration: BackendRegistration,
}

impl kernel::Module for TargetCoreIblock {
    /// `iblock_module_init()`.
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(TargetCoreIblock {
            _registration: BackendRegistration::new(&IBLOCK_OPS)?,
        })
    }
}
