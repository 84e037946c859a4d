// SPDX-License-Identifier: GPL-2.0

//! target_core_file: the FILEIO backstore (LIO: `drivers/target/target_core_file.c`).
//!
//! `core/fileio_N/NAME` devices keep their blocks in a file or a block device opened
//! with `filp_open()`: buffered (`fd_buffered_io=1`, with the write cache emulated), with
//! `O_DSYNC`, or direct (`fd_async_io=1`). SYNCHRONIZE CACHE is `vfs_fsync_range()`,
//! UNMAP punches holes (files) or discards (block devices), WRITE SAME repeats a block.
//! The configfs logic is the host-tested `fileio.rs`, the I/O `fd_medium.rs`.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use target_core::backend_api::{BackendDevice, BackendOps, BackendRegistration, DevAttrib, Medium};
use target_core::lio::page::Page;

/// The support layer, where `fileio.rs` finds its parsers (`super::lio::parse`).
use target_core::lio;

mod fd_medium;
// Some of its items (the default queue depth, warnings) only its host tests use.
#[allow(dead_code)]
mod fileio;

use fd_medium::{fd_errno, printk, FdMedium};
use fileio::FdParams;

module! {
    type: TargetCoreFile,
    name: "target_core_file",
    author: "lio-rs developers",
    description: "lio-rs: TCM FILEIO subsystem plugin",
    license: "GPL",
}

/// The mutable state of a fileio device (`struct fd_dev`).
struct FdState {
    params: FdParams,
    /// The open file, once enabled.
    medium: Option<Arc<FdMedium>>,
}

/// A fileio device: the backend's part of `core/fileio_N/NAME`.
#[pin_data]
struct FdDev {
    #[pin]
    state: Mutex<FdState>,
}

/// The longest `info` line of a fileio device: the path (up to 255 bytes) and numbers.
const FD_INFO_MAX: usize = 512;

impl BackendDevice for FdDev {
    /// `fd_set_configfs_dev_params()`.
    fn set_configfs_dev_params(&self, input: &[u8]) -> Result {
        self.state
            .lock()
            .params
            .set_configfs_dev_params(input, &mut printk)
            .map_err(fd_errno)
    }

    /// `fd_show_configfs_dev_params()`.
    fn show_configfs_dev_params(&self, page: &mut Page<'_>) -> Result {
        let mut buf = [0u8; FD_INFO_MAX];
        let n = self
            .state
            .lock()
            .params
            .show_configfs_dev_params(&mut buf)
            .map_err(|_| EINVAL)?;
        page.write_bytes(buf.get(..n).ok_or(EINVAL)?)?;
        Ok(())
    }

    /// `fd_configure_device()`: opens the file and sets the hardware attributes.
    fn configure_device(&self, attrib: &mut DevAttrib) -> Result {
        let mut st = self.state.lock();
        let (medium, setup) = FdMedium::open(&st.params)?;
        attrib.hw_block_size = setup.hw_block_size;
        attrib.hw_max_sectors = setup.hw_max_sectors;
        attrib.hw_queue_depth = setup.hw_queue_depth;
        attrib.max_write_same_len = setup.max_write_same_len;
        if setup.set_nonrot {
            attrib.is_nonrot = true;
        }
        if setup.force_write_cache {
            attrib.emulate_write_cache = true;
        }
        // fd_configure_unmap() (target_configure_device() asks the backend).
        if let Some(unmap) = medium.configure_unmap() {
            attrib.max_unmap_lba_count = unmap.max_unmap_lba_count;
            attrib.max_unmap_block_desc_count = unmap.max_unmap_block_desc_count;
            attrib.unmap_granularity = unmap.unmap_granularity;
            attrib.unmap_granularity_alignment = unmap.unmap_granularity_alignment;
        }
        st.medium = Some(Arc::new(medium, GFP_KERNEL)?);
        Ok(())
    }

    fn set_dev_id(&self, dev_id: u32) {
        let mut st = self.state.lock();
        st.params.set_dev_id(dev_id, dev_id, 0, &mut printk);
    }

    fn medium(&self) -> Result<Arc<dyn Medium>> {
        let m: Arc<dyn Medium> = self.state.lock().medium.clone().ok_or(ENODEV)?;
        Ok(m)
    }

    /// `fd_get_blocks()`.
    fn last_lba(&self, block_size: u32) -> u64 {
        let st = self.state.lock();
        match &st.medium {
            Some(m) => {
                m.set_block_size(block_size);
                m.get_blocks(st.params.dev_size, block_size)
            }
            None => 0,
        }
    }
}

fn fd_alloc_device() -> Result<Arc<dyn BackendDevice>> {
    let dev: Arc<dyn BackendDevice> = Arc::pin_init(
        pin_init!(FdDev {
            state <- new_mutex!(FdState {
                params: FdParams::new(),
                medium: None,
            }),
        }),
        GFP_KERNEL,
    )?;
    Ok(dev)
}

/// `fileio_ops`.
static FILEIO_OPS: BackendOps = BackendOps {
    name: "fileio",
    inquiry_prod: "FILEIO",
    inquiry_rev: fileio::FD_VERSION,
    has_hba_mode: false,
    owner: Some(&THIS_MODULE),
    alloc_device: fd_alloc_device,
};

struct TargetCoreFile {
    _registration: BackendRegistration,
}

impl kernel::Module for TargetCoreFile {
    /// `fileio_module_init()`.
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(TargetCoreFile {
            _registration: BackendRegistration::new(&FILEIO_OPS)?,
        })
    }
}
