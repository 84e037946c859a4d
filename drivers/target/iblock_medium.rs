// SPDX-License-Identifier: GPL-2.0

//! iblock's medium: the claimed block device the execution engine reads and writes (LIO:
//! `iblock_configure_device()`'s open, `iblock_execute_rw()`,
//! `iblock_execute_sync_cache()`, `iblock_execute_unmap()` and
//! `iblock_execute_write_same()` of `target_core_iblock.c`).
//!
//! Data moves through one bounce buffer per command ([`IoBuf`], at most
//! [`IB_BOUNCE_MAX`] bytes, reused piece by piece): one bio per piece, built over the
//! buffer's pages and waited for (`submit_bio_wait()`, see `rust/lio/bio.rs`), then
//! copied into the command's data, or the reverse. LIO maps the command's scatterlist
//! pages into its bios and completes the command from their end_io; this first version
//! is synchronous and copies once.
//!
//! FUA: a write gets `REQ_FUA` as LIO's non-FUA writes do (the device does FUA and has
//! no volatile write cache: write-through). A write with the FUA bit is made durable by
//! the engine, which follows it with [`Medium::sync_cache`] (a `REQ_PREFLUSH`), where
//! LIO sets `REQ_FUA` on its bios.
//!
//! Not done (as in the engine, protection information is unsupported): block integrity
//! (`bio_integrity_payload`), and persistent reservation pass-through to the device's
//! `pr_ops` (`TRANSPORT_FLAG_PASSTHROUGH_PGR`): reservations are the core's.

use crate::iblock::{
    iblock_configure, iblock_configure_unmap, iblock_get_blocks, iblock_write_fua,
    iblock_zero_out_ok, target_to_linux_sector, IbDeviceSetup, IbFacts, IbParams, Level,
    UnmapSetup,
};
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Mutex;
use target_core::backend_api::{CmdData, ExecCmdOps, Medium, SenseReason};
use target_core::lio::bio::{BdevFacts, BdevFile};
use target_core::lio::file::IoBuf;

/// The largest bounce buffer of one command (a smaller one is used when memory is
/// fragmented, down to one page); at most 256 pages, one bio's worth.
pub(crate) const IB_BOUNCE_MAX: usize = 512 * 1024;

/// `BDEVNAME_SIZE`: room for `%pg`.
pub(crate) const BDEVNAME_SIZE: usize = 32;

/// `TCM_LOGICAL_UNIT_COMMUNICATION_FAILURE`: what every failed bio becomes.
const LUCF: SenseReason = SenseReason::LogicalUnitCommunicationFailure;

/// Prints a message of `iblock.rs` at its level.
pub(crate) fn printk(level: Level, args: fmt::Arguments<'_>) {
    match level {
        Level::Err => pr_err!("{}", args),
        Level::Debug => pr_debug!("{}", args),
    }
}

/// The pure side's view of a block device's facts.
pub(crate) fn ib_facts(f: &BdevFacts) -> IbFacts {
    IbFacts {
        logical_block_size: f.logical_block_size,
        physical_block_size: f.physical_block_size,
        nr_bytes: f.nr_bytes,
        max_hw_sectors: f.max_hw_sectors,
        nr_requests: f.nr_requests,
        max_discard_sectors: f.max_discard_sectors,
        discard_granularity: f.discard_granularity,
        discard_alignment: f.discard_alignment,
        max_write_zeroes_sectors: f.max_write_zeroes_sectors,
        io_min: f.io_min,
        io_opt: f.io_opt,
        alignment_offset: f.alignment_offset,
        nonrot: f.nonrot,
        write_cache: f.write_cache,
        fua: f.fua,
    }
}

/// A byte position as a 512-byte sector: positions are whole blocks, so whole sectors.
fn sector_of(pos: u64) -> Result<u64, SenseReason> {
    if pos % 512 != 0 {
        return Err(LUCF);
    }
    Ok(pos >> 9)
}

/// An iblock device's claimed block device, as the command path uses it.
pub(crate) struct IbMedium {
    bdev: BdevFile,
    /// Opened without `BLK_OPEN_WRITE` (`readonly=1`: `DF_READ_ONLY`).
    read_only: bool,
    /// `dev_attrib.block_size`: positions of UNMAP.
    block_size: AtomicU32,
    /// `caw_sem`: COMPARE AND WRITE reads, compares and writes under it.
    caw_lock: Pin<KBox<Mutex<()>>>,
}

impl IbMedium {
    /// `iblock_configure_device()`: checks the parameters, claims the block device (for
    /// reading, and writing unless `readonly=1`) and decides what the device gets.
    pub(crate) fn open(params: &IbParams) -> Result<(Self, IbDeviceSetup)> {
        params
            .check_configfs_dev_params(&mut printk)
            .map_err(|_| EINVAL)?;
        let path = CStr::from_bytes_with_nul(params.udev_path_with_nul()).map_err(|_| EINVAL)?;
        let read_only = params.readonly;
        let bdev = BdevFile::open(path, !read_only)?;
        let medium = IbMedium {
            bdev,
            read_only,
            block_size: AtomicU32::new(0),
            caw_lock: KBox::pin_init(new_mutex!(()), GFP_KERNEL)?,
        };
        let setup = iblock_configure(&medium.facts());
        medium.set_block_size(setup.hw_block_size);
        Ok((medium, setup))
    }

    /// The device's facts now (size and write cache may change while it is claimed).
    pub(crate) fn facts(&self) -> IbFacts {
        ib_facts(&self.bdev.facts())
    }

    /// The device's major and minor numbers.
    pub(crate) fn dev_numbers(&self) -> (u32, u32) {
        let f = self.bdev.facts();
        (f.major, f.minor)
    }

    /// `%pg` of the device into `buf`.
    pub(crate) fn name<'a>(&self, buf: &'a mut [u8]) -> &'a [u8] {
        self.bdev.name(buf)
    }

    /// Whether the device was claimed read-only.
    pub(crate) fn read_only(&self) -> bool {
        self.read_only
    }

    /// `iblock_configure_unmap()`: the UNMAP limits, `None` if the device cannot discard.
    pub(crate) fn configure_unmap(&self) -> Option<UnmapSetup> {
        iblock_configure_unmap(&self.facts())
    }

    /// `iblock_get_blocks()` for the device's `block_size`.
    pub(crate) fn get_blocks(&self, block_size: u32) -> u64 {
        let f = self.facts();
        iblock_get_blocks(f.nr_bytes, f.logical_block_size, block_size)
    }

    /// Follows a change of the device's `block_size` attribute.
    pub(crate) fn set_block_size(&self, block_size: u32) {
        self.block_size.store(block_size, Ordering::Relaxed);
    }

    /// Writes the first `n` bytes of `buf` at byte `pos`.
    fn write_buf(&self, pos: u64, buf: &IoBuf, n: usize, fua: bool) -> Result<(), SenseReason> {
        self.bdev.write(sector_of(pos)?, buf, n, fua).map_err(|e| {
            pr_err!("bio error: write at {}, err: {}\n", pos, e.to_errno());
            LUCF
        })
    }
}

impl Medium for IbMedium {
    fn ops(&self) -> ExecCmdOps {
        ExecCmdOps::FILEIO
    }

    fn with_caw_lock(&self, f: &mut dyn FnMut()) -> Result<(), SenseReason> {
        let _guard = self.caw_lock.lock();
        f();
        Ok(())
    }

    /// `iblock_execute_rw()` reading: one `REQ_OP_READ` bio per bounce buffer.
    fn read_to(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        if len == 0 {
            return Ok(());
        }
        let mut buf = IoBuf::up_to(len, IB_BOUNCE_MAX).map_err(|_| LUCF)?;
        let mut done = 0usize;
        while done < len {
            let n = (len - done).min(buf.len());
            let at = pos
                .checked_add(done as u64)
                .ok_or(SenseReason::AddressOutOfRange)?;
            self.bdev.read(sector_of(at)?, &mut buf, n).map_err(|e| {
                pr_err!("bio error: read at {}, err: {}\n", at, e.to_errno());
                LUCF
            })?;
            data.copy_in(
                data_off.saturating_add(done),
                buf.as_slice().get(..n).ok_or(LUCF)?,
            );
            done += n;
        }
        Ok(())
    }

    /// `iblock_execute_rw()` writing: `REQ_OP_WRITE | REQ_SYNC | REQ_IDLE`, with
    /// `REQ_FUA` on a write-through device that does FUA.
    fn write_from(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        if len == 0 {
            return Ok(());
        }
        let fua = iblock_write_fua(&self.facts(), false);
        let mut buf = IoBuf::up_to(len, IB_BOUNCE_MAX).map_err(|_| LUCF)?;
        let mut done = 0usize;
        while done < len {
            let n = (len - done).min(buf.len());
            let at = pos
                .checked_add(done as u64)
                .ok_or(SenseReason::AddressOutOfRange)?;
            let chunk = buf.as_mut_slice().get_mut(..n).ok_or(LUCF)?;
            let got = data.copy_out(data_off.saturating_add(done), chunk);
            if let Some(rest) = chunk.get_mut(got..) {
                rest.fill(0);
            }
            self.write_buf(at, &buf, n, fua)?;
            done += n;
        }
        Ok(())
    }

    /// `iblock_execute_sync_cache()`: the whole cache is flushed (an empty
    /// `REQ_PREFLUSH` write), whatever the range. With IMMED the engine has the status
    /// already; the flush is done all the same.
    fn sync_cache(&self, _lba: u64, _nolb: u32, _immed: bool) -> Result<(), SenseReason> {
        self.bdev.flush().map_err(|e| {
            pr_err!("IBLOCK: cache flush failed: {}\n", e.to_errno());
            LUCF
        })
    }

    /// `iblock_execute_unmap()`: `blkdev_issue_discard()` of the blocks.
    fn unmap(&self, lba: u64, nolb: u32) -> Result<(), SenseReason> {
        let bs = self.block_size.load(Ordering::Relaxed);
        let sector = target_to_linux_sector(bs, lba);
        let nr = target_to_linux_sector(bs, u64::from(nolb));
        self.bdev.discard(sector, nr).map_err(|e| {
            pr_err!("blkdev_issue_discard() failed: {}\n", e.to_errno());
            LUCF
        })
    }

    /// `iblock_execute_write_same()`: a block of zeroes on a device with WRITE ZEROES is
    /// `blkdev_issue_zeroout()` (`iblock_execute_zero_out()`; if that fails, the slow
    /// path); otherwise the block is written to each of the `nolb` blocks, as many copies
    /// per bio as the bounce buffer holds.
    fn write_same(
        &self,
        lba: u64,
        nolb: u32,
        block_size: u32,
        data: &mut dyn CmdData,
    ) -> Result<(), SenseReason> {
        let bs = block_size as usize;
        if bs == 0 {
            return Err(SenseReason::InvalidCdbField);
        }
        if nolb == 0 {
            return Ok(());
        }
        let total = (nolb as usize).saturating_mul(bs);
        let mut buf = IoBuf::up_to(total, IB_BOUNCE_MAX).map_err(|_| LUCF)?;
        let per_chunk = buf.len() / bs;
        if per_chunk == 0 {
            return Err(LUCF);
        }
        let slice = buf.as_mut_slice();
        let first = slice.get_mut(..bs).ok_or(LUCF)?;
        let got = data.copy_out(0, first);
        if let Some(rest) = first.get_mut(got..) {
            rest.fill(0);
        }
        let facts = self.facts();
        if iblock_zero_out_ok(&facts, first) {
            let sector = target_to_linux_sector(block_size, lba);
            let nr = target_to_linux_sector(block_size, u64::from(nolb));
            if self.bdev.zeroout(sector, nr).is_ok() {
                return Ok(());
            }
        }
        for i in 1..per_chunk {
            slice.copy_within(0..bs, i * bs);
        }
        let fua = iblock_write_fua(&facts, false);
        let mut pos = lba
            .checked_mul(u64::from(block_size))
            .ok_or(SenseReason::AddressOutOfRange)?;
        let mut left = nolb as usize;
        while left > 0 {
            let blocks = left.min(per_chunk);
            let n = blocks * bs;
            self.write_buf(pos, &buf, n, fua)?;
            left -= blocks;
            pos = pos
                .checked_add(n as u64)
                .ok_or(SenseReason::AddressOutOfRange)?;
        }
        Ok(())
    }
}
