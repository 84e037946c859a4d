// SPDX-License-Identifier: GPL-2.0

//! rd_mcp: the memory-copy ramdisk backend (LIO: `target_core_rd.c`).

use crate::attrib::DevAttrib;
use crate::backend::BackendDevice;
use crate::exec::{CmdData, Medium};
use crate::lio::page::Page as TextPage;
use crate::lio::pagemem;
use crate::lio::parse::{control_tokens, key_value, match_int};
use crate::sbc::ExecCmdOps;
use crate::sense::SenseReason;
use core::fmt::Write;
use kernel::alloc::{flags, KVVec};
use kernel::new_mutex;
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// `RD_BLOCKSIZE`.
pub(crate) const RD_BLOCKSIZE: u32 = 512;
/// `RD_MAX_DEVICE_QUEUE_DEPTH`.
pub(crate) const RD_MAX_DEVICE_QUEUE_DEPTH: u32 = 128;
/// `RD_MAX_ALLOCATION_SIZE`: LIO keeps its pages in scatterlist tables of this size.
const RD_MAX_ALLOCATION_SIZE: usize = 65536;

/// A ramdisk device (`struct rd_dev`).
pub(crate) struct RdDev {
    /// `rd_dev_id`, given at enable from the HBA's counter.
    pub(crate) rd_dev_id: u32,
    /// `rd_page_count` as written with `rd_pages=`.
    pub(crate) rd_page_count: u32,
    /// `RDF_HAS_PAGE_COUNT`.
    has_page_count: bool,
    /// `RDF_NULLIO`: no backing pages; reads return zeroes, writes are dropped.
    pub(crate) nullio: bool,
    /// `RDF_DUMMY`: the device type of the virtual LUN 0 (0x3f).
    pub(crate) dummy: bool,
    /// The medium the command path reads and writes, made at enable.
    medium: Option<Arc<RdMedium>>,
    /// `sg_table_count`: how many scatterlist tables LIO would use for these pages.
    sg_table_count: u32,
}

impl RdDev {
    /// A device with no parameters yet (`rd_alloc_device()`).
    pub(crate) fn new() -> Self {
        RdDev {
            rd_dev_id: 0,
            rd_page_count: 0,
            has_page_count: false,
            nullio: false,
            dummy: false,
            medium: None,
            sg_table_count: 0,
        }
    }

    /// `rd_set_configfs_dev_params()`: `rd_pages=N`, `rd_nullio=1`, `rd_dummy=1`,
    /// separated by commas or newlines; anything else is ignored, as in LIO.
    pub(crate) fn set_configfs_dev_params(&mut self, input: &[u8]) {
        for token in control_tokens(input) {
            let Some((key, value)) = key_value(token) else {
                continue;
            };
            let Some(arg) = match_int(value) else {
                continue;
            };
            match key {
                b"rd_pages" => {
                    // An int stored in a u32, as LIO does.
                    self.rd_page_count = arg as u32;
                    self.has_page_count = true;
                    pr_debug!("RAMDISK: Referencing Page Count: {}\n", self.rd_page_count);
                }
                b"rd_nullio" if arg == 1 => self.nullio = true,
                b"rd_dummy" if arg == 1 => self.dummy = true,
                _ => {}
            }
        }
    }

    /// `rd_show_configfs_dev_params()`.
    pub(crate) fn show_configfs_dev_params(&self, page: &mut TextPage<'_>) -> Result {
        writeln!(
            page,
            "TCM RamDisk ID: {}  RamDisk Makeup: rd_mcp",
            self.rd_dev_id
        )?;
        writeln!(
            page,
            "        PAGES/PAGE_SIZE: {}*{}  SG_table_count: {}  nullio: {} dummy: {}",
            self.rd_page_count,
            PAGE_SIZE,
            self.sg_table_count,
            u8::from(self.nullio),
            u8::from(self.dummy)
        )?;
        Ok(())
    }

    /// `rd_configure_device()` up to the point the core takes over: allocates the
    /// zeroed backing pages. The caller then gives the device its `rd_dev_id`.
    pub(crate) fn configure_device(&mut self) -> Result {
        if !self.has_page_count {
            pr_debug!("Missing rd_pages= parameter\n");
            return Err(EINVAL);
        }
        if self.rd_page_count == 0 {
            pr_err!(
                "Illegal page count: {} for Ramdisk device\n",
                self.rd_page_count
            );
            return Err(EINVAL);
        }
        if !self.nullio {
            let count = self.rd_page_count as usize;
            // Reserve first, so an absurd count (rd_pages=-1 is 2^32 - 1 pages) fails at
            // once and quietly, where LIO's kcalloc() trips a page allocator WARNING.
            let mut pages = KVVec::with_capacity(count, GFP_KERNEL | flags::__GFP_NOWARN)?;
            for _ in 0..count {
                pages.push(
                    Page::alloc_page(GFP_KERNEL | flags::__GFP_ZERO)?,
                    GFP_KERNEL,
                )?;
            }
            self.medium = Some(RdMedium::new(pages, false)?);
            let per_table =
                RD_MAX_ALLOCATION_SIZE / core::mem::size_of::<kernel::bindings::scatterlist>();
            self.sg_table_count = (count / per_table + 1) as u32;
        }
        pr_debug!(
            "CORE_RD - Added TCM MEMCPY Ramdisk of {} pages in {} tables, {} total bytes\n",
            self.rd_page_count,
            self.sg_table_count,
            self.rd_page_count as usize * PAGE_SIZE
        );
        Ok(())
    }
}

/// rd_mcp's [`BackendDevice`]: an [`RdDev`] behind its lock.
#[pin_data]
pub(crate) struct RdBackend {
    #[pin]
    dev: Mutex<RdDev>,
}

impl RdBackend {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(RdBackend {
                dev <- new_mutex!(RdDev::new()),
            }),
            GFP_KERNEL,
        )
    }
}

impl BackendDevice for RdBackend {
    fn set_configfs_dev_params(&self, input: &[u8]) -> Result {
        self.dev.lock().set_configfs_dev_params(input);
        Ok(())
    }

    fn show_configfs_dev_params(&self, page: &mut TextPage<'_>) -> Result {
        self.dev.lock().show_configfs_dev_params(page)
    }

    /// `rd_configure_device()`.
    fn configure_device(&self, attrib: &mut DevAttrib) -> Result {
        self.dev.lock().configure_device()?;
        attrib.hw_block_size = RD_BLOCKSIZE;
        attrib.hw_max_sectors = u32::MAX;
        attrib.hw_queue_depth = RD_MAX_DEVICE_QUEUE_DEPTH;
        attrib.is_nonrot = true;
        Ok(())
    }

    fn set_dev_id(&self, dev_id: u32) {
        self.dev.lock().rd_dev_id = dev_id;
    }

    fn medium(&self) -> Result<Arc<dyn Medium>> {
        let m: Arc<dyn Medium> = self.dev.lock().rd_medium()?;
        Ok(m)
    }

    fn last_lba(&self, block_size: u32) -> u64 {
        self.dev.lock().last_lba(block_size)
    }

    /// `rd_get_device_type()`: a disk, or "no device type" (0x3f) with `rd_dummy`.
    fn device_type(&self) -> u8 {
        if self.dev.lock().dummy {
            0x3f
        } else {
            0
        }
    }
}

impl RdDev {
    /// The medium of an enabled device; nullio devices have one without pages.
    pub(crate) fn rd_medium(&mut self) -> Result<Arc<RdMedium>> {
        if let Some(m) = &self.medium {
            return Ok(m.clone());
        }
        if !self.nullio {
            return Err(ENODEV);
        }
        let m = RdMedium::new(KVVec::new(), true)?;
        self.medium = Some(m.clone());
        Ok(m)
    }

    /// `rd_get_blocks()`: the last LBA for `block_size`.
    pub(crate) fn last_lba(&self, block_size: u32) -> u64 {
        (u64::from(self.rd_page_count) * PAGE_SIZE as u64 / u64::from(block_size.max(1)))
            .saturating_sub(1)
    }
}

/// rd_mcp's memory as the command path sees it (`rd_execute_rw()`): pages in LBA order.
#[pin_data]
pub(crate) struct RdMedium {
    pages: KVVec<Page>,
    /// `RDF_NULLIO`: reads return zeroes, writes are dropped.
    nullio: bool,
    /// The device's `caw_sem`: one COMPARE AND WRITE at a time (the medium is the
    /// device's, made once at enable).
    #[pin]
    caw_lock: Mutex<()>,
}

impl RdMedium {
    fn new(pages: KVVec<Page>, nullio: bool) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(RdMedium {
                pages,
                nullio,
                caw_lock <- new_mutex!(()),
            }),
            GFP_KERNEL,
        )
    }

    /// Calls `f(page, offset in page, offset in the transfer, length)` for each piece of
    /// `[pos, pos + len)`.
    fn for_each_piece(
        &self,
        pos: u64,
        len: usize,
        mut f: impl FnMut(Option<&Page>, usize, usize, usize) -> Result<(), SenseReason>,
    ) -> Result<(), SenseReason> {
        let mut done = 0usize;
        while done < len {
            let at = pos
                .checked_add(done as u64)
                .ok_or(SenseReason::AddressOutOfRange)?;
            let index = usize::try_from(at / PAGE_SIZE as u64)
                .map_err(|_| SenseReason::AddressOutOfRange)?;
            let offset = (at % PAGE_SIZE as u64) as usize;
            let n = (len - done).min(PAGE_SIZE - offset);
            let page = if self.nullio {
                None
            } else {
                Some(
                    self.pages
                        .get(index)
                        .ok_or(SenseReason::LogicalUnitCommunicationFailure)?,
                )
            };
            f(page, offset, done, n)?;
            done += n;
        }
        Ok(())
    }
}

impl Medium for RdMedium {
    fn ops(&self) -> ExecCmdOps {
        ExecCmdOps::RD_MCP
    }

    fn with_caw_lock(&self, f: &mut dyn FnMut()) -> Result<(), SenseReason> {
        let _guard = self.caw_lock.lock();
        f();
        Ok(())
    }

    fn read_to(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        self.for_each_piece(pos, len, |page, offset, done, n| {
            match page {
                Some(page) => {
                    data.copy_in_page(data_off + done, page, offset, n);
                }
                None => {
                    // nullio: zeros.
                    let zeros = [0u8; 512];
                    let mut z = 0;
                    while z < n {
                        let k = (n - z).min(zeros.len());
                        data.copy_in(data_off + done + z, &zeros[..k]);
                        z += k;
                    }
                }
            }
            Ok(())
        })
    }

    fn write_from(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        self.for_each_piece(pos, len, |page, offset, done, n| {
            let Some(page) = page else {
                return Ok(());
            };
            let got = data.copy_out_page(data_off + done, page, offset, n);
            if got < n {
                // Past the end of the buffer: zeros, as before.
                let zeros = [0u8; 512];
                let mut z = got;
                while z < n {
                    let k = (n - z).min(zeros.len());
                    pagemem::write(page, offset + z, &zeros[..k])
                        .map_err(|_| SenseReason::LogicalUnitCommunicationFailure)?;
                    z += k;
                }
            }
            Ok(())
        })
    }
}
