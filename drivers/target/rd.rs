// SPDX-License-Identifier: GPL-2.0

//! rd_mcp: the memory-copy ramdisk backend (LIO: `target_core_rd.c`).

use crate::lio::page::Page as TextPage;
use crate::lio::parse::{control_tokens, key_value, match_int};
use core::fmt::Write;
use kernel::alloc::{flags, KVVec};
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;

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
    /// The backing pages, zeroed at enable.
    pages: KVVec<Page>,
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
            pages: KVVec::new(),
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
            self.pages = pages;
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
