// SPDX-License-Identifier: GPL-2.0

//! Claimed block devices and synchronous bios, for the iblock backstore (LIO:
//! `target_core_iblock.c`).
//!
//! [`BdevFile::open`] opens a block device by path as `iblock_configure_device()` does
//! (`bdev_file_open_by_path()`, `BLK_OPEN_READ`, plus `BLK_OPEN_WRITE` unless read-only,
//! claimed exclusively by a holder of this object's own). [`BdevFile::facts`] reads what
//! the backend's enable-time decisions and `get_*` callbacks need.
//!
//! Data moves between the device and an [`IoBuf`] (physically contiguous, directly mapped
//! pages the caller owns): [`BdevFile::read`]/[`BdevFile::write`] build one bio over the
//! buffer's pages with `bio_add_page()` and wait for it with `submit_bio_wait()`. This is
//! the first, synchronous version: LIO submits the bios of a command with a completion
//! callback and completes the command from it; here the command's thread sleeps until
//! the device answers, which caps one command's parallelism at one bio in flight (the
//! fabric still runs commands concurrently). [`BdevFile::flush`],
//! [`BdevFile::discard`] and [`BdevFile::zeroout`] are `blkdev_issue_flush()`,
//! `blkdev_issue_discard()` and `blkdev_issue_zeroout()`, which wait too.
//!
//! Every call may sleep: none of this may be used in atomic context, dropping a
//! [`BdevFile`] included.

use super::bindings;
use super::file::IoBuf;
use core::ptr::NonNull;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, from_err_ptr, to_result, Result};
use kernel::str::CStr;

/// What iblock reads of a block device (see `struct lio_bdev_facts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BdevFacts {
    /// `bdev_logical_block_size()`.
    pub logical_block_size: u32,
    /// `bdev_physical_block_size()`.
    pub physical_block_size: u32,
    /// `bdev_nr_bytes()`.
    pub nr_bytes: u64,
    /// `queue_max_hw_sectors()` in 512-byte sectors.
    pub max_hw_sectors: u32,
    /// The queue's `nr_requests`.
    pub nr_requests: u32,
    /// `bdev_max_discard_sectors()` (0: no discard).
    pub max_discard_sectors: u32,
    /// `bdev_discard_granularity()` in bytes.
    pub discard_granularity: u32,
    /// `bdev_discard_alignment()` in bytes.
    pub discard_alignment: u32,
    /// `bdev_write_zeroes_sectors()` (0: no WRITE ZEROES).
    pub max_write_zeroes_sectors: u32,
    /// `bdev_io_min()` in bytes.
    pub io_min: u32,
    /// `bdev_io_opt()` in bytes.
    pub io_opt: u32,
    /// `bdev_alignment_offset()` in bytes, -1 when misaligned.
    pub alignment_offset: i32,
    /// `MAJOR(bd_dev)`.
    pub major: u32,
    /// `MINOR(bd_dev)`.
    pub minor: u32,
    /// `bdev_nonrot()`.
    pub nonrot: bool,
    /// `bdev_write_cache()`: a volatile write cache is enabled.
    pub write_cache: bool,
    /// `bdev_fua()`: the device does FUA itself.
    pub fua: bool,
}

/// A block device opened with `bdev_file_open_by_path()` and claimed, released (`fput()`)
/// when dropped.
///
/// # Invariants
///
/// `file` is a block device file this object opened with `lio_bdev_file_open()` with the
/// address of `*_holder` as holder, and has not released; it owns that reference. `_holder`
/// lives (at a fixed address) as long as the file.
pub struct BdevFile {
    file: NonNull<kernel::bindings::file>,
    _holder: KBox<u8>,
}

// SAFETY: A block device file may be used and released from any thread; bios carry their
// own positions, so no call touches shared file state.
unsafe impl Send for BdevFile {}
// SAFETY: See `Send`: concurrent bios, flushes and discards on one block device are what
// the block layer serves.
unsafe impl Sync for BdevFile {}

/// A buffer range for one bio: `len` bytes, within the buffer, in `u32`.
fn bio_len(buf: &IoBuf, len: usize) -> Result<u32> {
    if len == 0 || len > buf.len() {
        return Err(EINVAL);
    }
    u32::try_from(len).map_err(|_| EINVAL)
}

impl BdevFile {
    /// `bdev_file_open_by_path(path, BLK_OPEN_READ [| BLK_OPEN_WRITE], holder, NULL)`:
    /// `EACCES` for a read-only device opened for writing, `EBUSY` if someone else holds
    /// it exclusively, `ENOENT`/`ENOTBLK` for a path that is no block device.
    pub fn open(path: &CStr, write: bool) -> Result<Self> {
        let holder = KBox::new(0u8, GFP_KERNEL)?;
        let holder_ptr: *const u8 = &*holder;
        // SAFETY: `path` is a valid NUL-terminated string for the duration of the call,
        // which only reads it. The holder is an address we own for as long as the file is
        // open (it is kept in the returned object and outlives the `fput()` in `drop`);
        // the block layer only compares it.
        let file = from_err_ptr(unsafe {
            bindings::lio_bdev_file_open(path.as_char_ptr(), write, holder_ptr.cast_mut().cast())
        })?;
        let file = NonNull::new(file).ok_or(ENODEV)?;
        // INVARIANT: the helper returned an open block device file, held by `holder`.
        Ok(BdevFile {
            file,
            _holder: holder,
        })
    }

    fn as_ptr(&self) -> *mut kernel::bindings::file {
        self.file.as_ptr()
    }

    /// The device's facts now (its size may have changed since it was opened).
    pub fn facts(&self) -> BdevFacts {
        let mut f = bindings::lio_bdev_facts::default();
        // SAFETY: By the type invariant the file is an open block device; `f` is a valid,
        // exclusively borrowed struct the helper fills in.
        unsafe { bindings::lio_bdev_file_facts(self.as_ptr(), &mut f) };
        BdevFacts {
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
            major: f.major,
            minor: f.minor,
            nonrot: f.nonrot,
            write_cache: f.write_cache,
            fua: f.fua,
        }
    }

    /// The device's name as `%pg` prints it (`loop0`, `sda1`) into `buf`: the bytes
    /// written (cut at the end of `buf`, which keeps room for the NUL).
    pub fn name<'a>(&self, buf: &'a mut [u8]) -> &'a [u8] {
        let cap = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        // SAFETY: By the type invariant the file is an open block device; `buf` is valid
        // for writes of `cap` bytes (`snprintf()` writes at most that, NUL included).
        let n =
            unsafe { bindings::lio_bdev_file_name(self.as_ptr(), buf.as_mut_ptr().cast(), cap) };
        let n = usize::try_from(n)
            .unwrap_or(0)
            .min(buf.len().saturating_sub(1));
        buf.get(..n).unwrap_or(&[])
    }

    /// Reads `len` bytes at 512-byte `sector` into the start of `buf`: one bio, waited
    /// for. `EINVAL` for `len` 0 or beyond the buffer.
    pub fn read(&self, sector: u64, buf: &mut IoBuf, len: usize) -> Result {
        let n = bio_len(buf, len)?;
        // SAFETY: By the type invariant the file is an open block device. `buf` is
        // uniquely borrowed, so no Rust reference observes the device's writes; `[0, n)`
        // lies in it, and it is directly mapped, physically contiguous memory of at most
        // `IoBuf::MAX_ORDER` (256) pages, as the helper's `virt_to_page()` and
        // `BIO_MAX_VECS` require. The bio is waited for: the memory is not used after
        // the call returns.
        to_result(unsafe {
            bindings::lio_bdev_file_rw_buf(
                self.as_ptr(),
                buf.as_raw().cast(),
                n,
                sector,
                false,
                false,
            )
        })
    }

    /// Writes the first `len` bytes of `buf` at 512-byte `sector` (`REQ_FUA` with `fua`):
    /// one bio, waited for. `EINVAL` for `len` 0 or beyond the buffer.
    pub fn write(&self, sector: u64, buf: &IoBuf, len: usize, fua: bool) -> Result {
        let n = bio_len(buf, len)?;
        // SAFETY: By the type invariant the file is an open block device. `[0, n)` lies in
        // the buffer (directly mapped, contiguous, at most 256 pages), which the device
        // only reads, while `buf` is borrowed, by a bio the helper waits for.
        to_result(unsafe {
            bindings::lio_bdev_file_rw_buf(self.as_ptr(), buf.as_raw().cast(), n, sector, true, fua)
        })
    }

    /// `blkdev_issue_flush()`: an empty `REQ_PREFLUSH` write, waited for.
    pub fn flush(&self) -> Result {
        // SAFETY: By the type invariant the file is an open block device.
        to_result(unsafe { bindings::lio_bdev_file_flush(self.as_ptr()) })
    }

    /// `blkdev_issue_discard()` of `nr_sects` 512-byte sectors from `sector`.
    pub fn discard(&self, sector: u64, nr_sects: u64) -> Result {
        // SAFETY: By the type invariant the file is an open block device; the call waits
        // for the discard to finish.
        to_result(unsafe { bindings::lio_bdev_file_discard(self.as_ptr(), sector, nr_sects) })
    }

    /// `blkdev_issue_zeroout(.., BLKDEV_ZERO_NOUNMAP)` of `nr_sects` 512-byte sectors from
    /// `sector`: they read as zeroes and stay allocated.
    pub fn zeroout(&self, sector: u64, nr_sects: u64) -> Result {
        // SAFETY: By the type invariant the file is an open block device; the call waits
        // for the zeroing to finish.
        to_result(unsafe { bindings::lio_bdev_file_zeroout(self.as_ptr(), sector, nr_sects) })
    }
}

impl Drop for BdevFile {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own this reference of an open block device file
        // and it is not used again; the holder (`self._holder`) is freed only after this,
        // when the fields are dropped, and `fput()` of a claimed bdev file releases the
        // claim (possibly deferred, comparing the holder address, never dereferencing it).
        unsafe { bindings::lio_bdev_file_close(self.as_ptr()) };
    }
}
