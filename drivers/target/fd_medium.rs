// SPDX-License-Identifier: GPL-2.0

//! fileio's medium: the file or block device the execution engine reads and writes (LIO:
//! `fd_configure_device()`'s open, `fd_execute_rw()`, `fd_execute_sync_cache()`,
//! `fd_execute_unmap()` and `fd_execute_write_same()` of `target_core_file.c`).
//!
//! Data moves through one bounce buffer per command ([`IoBuf`], at most
//! [`FD_BOUNCE_MAX`] bytes, reused piece by piece): file to buffer to the command's data,
//! or the reverse. With `fd_async_io=1` reads and writes are direct I/O (LIO's
//! `fd_execute_rw_aio()`, done synchronously here), otherwise they go through the page
//! cache, durable at once when the file was opened `O_DSYNC` (no `fd_buffered_io=1`).
//!
//! Not done (as in the engine, protection information is unsupported): the
//! `.protection` file of `fd_init_prot()`/`fd_format_prot()`, and with it the
//! protection reads, writes and UNMAP fill of `fd_do_prot_*()`.

use crate::fileio::{
    fd_configure_unmap, fd_get_blocks, fd_sync_range, target_to_linux_sector, BdevFacts, FdBacking,
    FdDeviceSetup, FdError, FdParams, Level, UnmapSetup, FD_CREATE_MODE, FD_MAX_BYTES,
};
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Mutex;
use target_core::backend_api::{CmdData, ExecCmdOps, Medium, SenseReason};
use target_core::lio::file::{File, IoBuf, IoFlags, OpenFlags};

/// The largest bounce buffer of one command (a smaller one is used when memory is
/// fragmented, down to one page).
pub(crate) const FD_BOUNCE_MAX: usize = 256 * 1024;

/// `TCM_LOGICAL_UNIT_COMMUNICATION_FAILURE`: what every failed file operation becomes.
const LUCF: SenseReason = SenseReason::LogicalUnitCommunicationFailure;

/// Prints a message of `fileio.rs` at its level (the [`crate::fileio::Log`] of the
/// kernel).
pub(crate) fn printk(level: Level, args: fmt::Arguments<'_>) {
    match level {
        Level::Err => pr_err!("{}", args),
        Level::Warn => pr_warn!("{}", args),
        Level::Debug => pr_debug!("{}", args),
    }
}

/// An [`FdError`] as the errno it stands for.
pub(crate) fn fd_errno(e: FdError) -> Error {
    match e {
        FdError::Inval => EINVAL,
        FdError::Range => ERANGE,
    }
}

/// A fileio device's open file, as the command path uses it.
pub(crate) struct FdMedium {
    file: File,
    /// `S_ISBLK` at open: block device semantics (short reads fail, UNMAP discards).
    is_blk: bool,
    /// `FDBD_HAS_ASYNC_IO`: reads and writes are direct I/O.
    async_io: bool,
    /// `dev_attrib.block_size`: positions of SYNCHRONIZE CACHE and UNMAP.
    block_size: AtomicU32,
    /// `caw_sem`: COMPARE AND WRITE reads, compares and writes under it.
    caw_lock: Pin<KBox<Mutex<()>>>,
}

impl FdMedium {
    /// `fd_configure_device()`: checks the parameters, opens (creating) the path with
    /// fileio's flags and decides what the device gets. The caller applies the
    /// [`FdDeviceSetup`] to the device's attributes, sets `block_size` to its
    /// `hw_block_size` (as `target_configure_device()` does; also here until
    /// [`Self::set_block_size`]) and gives the device its id with
    /// [`FdParams::set_dev_id`].
    pub(crate) fn open(params: &FdParams) -> Result<(Self, FdDeviceSetup)> {
        let log = &mut printk;
        params.check_configfs_dev_params(log).map_err(fd_errno)?;
        let mut flags = OpenFlags::RDWR | OpenFlags::CREAT | OpenFlags::LARGEFILE;
        if params.open_flags(log).dsync {
            flags = flags | OpenFlags::DSYNC;
        }
        let name = CStr::from_bytes_with_nul(params.dev_name_with_nul()).map_err(|_| EINVAL)?;
        let file = File::open(name, flags, FD_CREATE_MODE).inspect_err(|_| {
            params.log_open_failed(&mut printk);
        })?;
        let is_blk = file.is_block_device();
        let medium = FdMedium {
            file,
            is_blk,
            async_io: params.async_io,
            block_size: AtomicU32::new(0),
            caw_lock: KBox::pin_init(new_mutex!(()), GFP_KERNEL)?,
        };
        // On failure the file is closed as the medium is dropped.
        let setup = params
            .configure(medium.backing(), &mut printk)
            .map_err(fd_errno)?;
        medium.set_block_size(setup.hw_block_size);
        Ok((medium, setup))
    }

    /// What the file is now (a block device's facts are read anew: it may have been
    /// resized).
    pub(crate) fn backing(&self) -> FdBacking {
        match self.file.block_device() {
            Some(bdev) => FdBacking::BlockDevice(BdevFacts {
                logical_block_size: bdev.logical_block_size(),
                size: self.file.size(),
                nonrot: bdev.is_nonrot(),
                max_discard_sectors: bdev.max_discard_sectors(),
                discard_granularity: bdev.discard_granularity(),
                discard_alignment: bdev.discard_alignment(),
            }),
            None => FdBacking::File,
        }
    }

    /// `fd_configure_unmap()`: the UNMAP limits for the device's attributes, `None` if a
    /// block device cannot discard.
    pub(crate) fn configure_unmap(&self) -> Option<UnmapSetup> {
        fd_configure_unmap(&self.backing())
    }

    /// `fd_get_blocks()`: the last LBA (a block device's from its current size).
    pub(crate) fn get_blocks(&self, fd_dev_size: u64, block_size: u32) -> u64 {
        let bdev_size = self.is_blk.then(|| self.file.size());
        fd_get_blocks(bdev_size, fd_dev_size, block_size)
    }

    /// Follows a change of the device's `block_size` attribute.
    pub(crate) fn set_block_size(&self, block_size: u32) {
        self.block_size.store(block_size, Ordering::Relaxed);
    }

    fn block_size(&self) -> u64 {
        u64::from(self.block_size.load(Ordering::Relaxed))
    }

    /// The flags of data reads and writes.
    fn rw_flags(&self) -> IoFlags {
        if self.async_io {
            IoFlags::DIRECT
        } else {
            IoFlags::BUFFERED
        }
    }

    /// `fd_execute_rw()`'s limit on one command's data.
    fn check_len(len: usize) -> Result<(), SenseReason> {
        if len > FD_MAX_BYTES as usize {
            pr_err!(
                "FILEIO: Not able to process I/O of {} bytes due toFD_MAX_BYTES: {} iovec count limitation\n",
                len,
                FD_MAX_BYTES
            );
            return Err(LUCF);
        }
        Ok(())
    }
}

impl Medium for FdMedium {
    fn ops(&self) -> ExecCmdOps {
        ExecCmdOps::FILEIO
    }

    fn with_caw_lock(&self, f: &mut dyn FnMut()) -> Result<(), SenseReason> {
        let _guard = self.caw_lock.lock();
        f();
        Ok(())
    }

    /// `fd_do_rw()` reading: a file that ends before `pos + len` (shorter than
    /// `fd_dev_size`) reads as zeroes there; a short read of a block device, or any short
    /// read with `fd_async_io=1`, fails.
    fn read_to(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        Self::check_len(len)?;
        if len == 0 {
            return Ok(());
        }
        let mut buf = IoBuf::up_to(len, FD_BOUNCE_MAX).map_err(|_| LUCF)?;
        let flags = self.rw_flags();
        let mut done = 0usize;
        while done < len {
            let n = (len - done).min(buf.len());
            let at = pos
                .checked_add(done as u64)
                .ok_or(SenseReason::AddressOutOfRange)?;
            match self.file.read_buf(at, &mut buf, n, flags) {
                Ok(got) if got == n => {}
                Ok(got) if !self.is_blk && !self.async_io => {
                    // Short read: someone truncated the file under us, or it was never
                    // that long. Zeroes, never stale buffer bytes.
                    buf.as_mut_slice().get_mut(got..n).ok_or(LUCF)?.fill(0);
                }
                Ok(got) => {
                    if !self.async_io {
                        pr_err!(
                            "fd_do_rw() returned {}, expecting {} for S_ISBLK\n",
                            done + got,
                            len
                        );
                    }
                    return Err(LUCF);
                }
                Err(e) => {
                    if self.async_io {
                        // fd_execute_rw_aio() completes the command without a message.
                    } else if self.is_blk {
                        pr_err!(
                            "fd_do_rw() returned {}, expecting {} for S_ISBLK\n",
                            e.to_errno(),
                            len
                        );
                    } else {
                        pr_err!("fd_do_rw() returned {} for non S_ISBLK\n", e.to_errno());
                    }
                    return Err(LUCF);
                }
            }
            data.copy_in(
                data_off.saturating_add(done),
                buf.as_slice().get(..n).ok_or(LUCF)?,
            );
            done += n;
        }
        Ok(())
    }

    /// `fd_do_rw()` writing: anything short of `len` bytes fails.
    fn write_from(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        Self::check_len(len)?;
        if len == 0 {
            return Ok(());
        }
        let mut buf = IoBuf::up_to(len, FD_BOUNCE_MAX).map_err(|_| LUCF)?;
        let flags = self.rw_flags();
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
            let ret = match self.file.write_buf(at, &buf, n, flags) {
                Ok(w) if w == n => None,
                Ok(w) => Some((done + w) as i64),
                Err(e) => Some(i64::from(e.to_errno())),
            };
            if let Some(ret) = ret {
                if !self.async_io {
                    pr_err!("fd_do_rw() write returned {}\n", ret);
                }
                return Err(LUCF);
            }
            done += n;
        }
        Ok(())
    }

    /// `fd_execute_sync_cache()`: `vfs_fsync_range(.., datasync 1)` over the blocks (all
    /// of the file for LBA 0 with no blocks). With IMMED the engine has the status
    /// already; the sync is done all the same.
    fn sync_cache(&self, lba: u64, nolb: u32, _immed: bool) -> Result<(), SenseReason> {
        let (start, end) = fd_sync_range(lba, nolb, self.block_size.load(Ordering::Relaxed));
        self.file.fsync_range(start, end, true).map_err(|e| {
            pr_err!("FILEIO: vfs_fsync_range() failed: {}\n", e.to_errno());
            LUCF
        })
    }

    /// `fd_execute_unmap()`: a block device discards the blocks
    /// (`blkdev_issue_discard()`), a file punches a hole (`FALLOC_FL_PUNCH_HOLE |
    /// FALLOC_FL_KEEP_SIZE`), so the blocks read back as zeroes.
    fn unmap(&self, lba: u64, nolb: u32) -> Result<(), SenseReason> {
        if nolb == 0 {
            return Ok(());
        }
        let bs = self.block_size();
        if let Some(bdev) = self.file.block_device() {
            let bs32 = self.block_size.load(Ordering::Relaxed);
            let sector = target_to_linux_sector(bs32, lba);
            let nr = target_to_linux_sector(bs32, u64::from(nolb));
            bdev.discard(sector, nr).map_err(|e| {
                pr_warn!("FILEIO: blkdev_issue_discard() failed: {}\n", e.to_errno());
                LUCF
            })
        } else {
            let pos = lba.checked_mul(bs).ok_or(LUCF)?;
            let len = u64::from(nolb) * bs;
            self.file.punch_hole(pos, len).map_err(|e| {
                pr_warn!("FILEIO: fallocate() failed: {}\n", e.to_errno());
                LUCF
            })
        }
    }

    /// `fd_execute_write_same()`: the one block of `data` written to each of `nolb`
    /// blocks from `lba`, through the page cache (never direct, as in LIO); a short write
    /// fails.
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
        let mut buf = IoBuf::up_to(total, FD_BOUNCE_MAX).map_err(|_| LUCF)?;
        let per_chunk = buf.len() / bs;
        if per_chunk == 0 {
            return Err(LUCF);
        }
        // The block, then copies of it to fill the buffer with whole blocks.
        let slice = buf.as_mut_slice();
        let first = slice.get_mut(..bs).ok_or(LUCF)?;
        let got = data.copy_out(0, first);
        if let Some(rest) = first.get_mut(got..) {
            rest.fill(0);
        }
        for i in 1..per_chunk {
            slice.copy_within(0..bs, i * bs);
        }
        let mut pos = lba
            .checked_mul(u64::from(block_size))
            .ok_or(SenseReason::AddressOutOfRange)?;
        let mut left = nolb as usize;
        let mut written = 0usize;
        while left > 0 {
            let blocks = left.min(per_chunk);
            let n = blocks * bs;
            match self.file.write_buf(pos, &buf, n, IoFlags::BUFFERED) {
                Ok(w) if w == n => {}
                r => {
                    let ret = match r {
                        Ok(w) => (written + w) as i64,
                        Err(e) => i64::from(e.to_errno()),
                    };
                    pr_err!("vfs_iter_write() returned {} for write same\n", ret);
                    return Err(LUCF);
                }
            }
            written += n;
            left -= blocks;
            pos = pos
                .checked_add(n as u64)
                .ok_or(SenseReason::AddressOutOfRange)?;
        }
        Ok(())
    }
}
