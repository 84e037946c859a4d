// SPDX-License-Identifier: GPL-2.0

//! Kernel files for the fileio backstore (LIO: `target_core_file.c`): a regular file or
//! a block device node opened with `filp_open()`, read and written at explicit byte
//! positions, synced, hole-punched and, for block devices, discarded.
//!
//! Two data paths:
//!
//! * [`File::read_at`]/[`File::write_at`] move bytes between the file and any slice
//!   (`kernel_read()`/`kernel_write()`, through the page cache unless the file was opened
//!   with [`OpenFlags::DIRECT`]).
//! * [`File::read_buf`]/[`File::write_buf`] move bytes between the file and an [`IoBuf`],
//!   physically contiguous, page-aligned, directly mapped kernel memory, described to the
//!   VFS as one `bio_vec` of an `ITER_BVEC` iterator (as LIO's `fd_do_rw()` describes its
//!   scatterlist pages). With [`IoFlags::direct`] the call is `IOCB_DIRECT` (LIO's
//!   `fd_async_io=1` path), with [`IoFlags::dsync`] `IOCB_DSYNC`.
//!
//! A backend moves a command's data with one [`IoBuf`] per command: it reads a piece of
//! the file into the buffer and copies it into the command's buffer, or the reverse.
//!
//! Every call may sleep: none of this may be used in atomic context, dropping a [`File`]
//! included.

use super::bindings;
use core::marker::PhantomData;
use core::ops::BitOr;
use core::ptr::NonNull;
use kernel::error::{code::*, from_err_ptr, to_result, Error, Result};
use kernel::page::PAGE_SIZE;
use kernel::str::CStr;

/// Flags of [`File::open`]: the `open(2)` flags fileio uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFlags(u32);

impl OpenFlags {
    /// `O_RDWR`.
    pub const RDWR: Self = Self(kernel::bindings::O_RDWR);
    /// `O_CREAT`.
    pub const CREAT: Self = Self(kernel::bindings::O_CREAT);
    /// `O_LARGEFILE`.
    pub const LARGEFILE: Self = Self(kernel::bindings::O_LARGEFILE);
    /// `O_DSYNC`: every write is durable before it returns (fileio without buffered I/O).
    pub const DSYNC: Self = Self(kernel::bindings::O_DSYNC);
    /// `O_DIRECT`: every read and write bypasses the page cache.
    pub const DIRECT: Self = Self(kernel::bindings::O_DIRECT);

    /// No flag (`O_RDONLY`).
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags without those of `other`.
    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

impl BitOr for OpenFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Per-call flags of [`File::read_buf`] and [`File::write_buf`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoFlags {
    /// `IOCB_DIRECT`: bypass the page cache for this call (`EINVAL` if the file's
    /// address space cannot do direct I/O; see [`File::can_direct_io`]). Positions and
    /// lengths must then suit the file's alignment (its logical block size).
    pub direct: bool,
    /// `IOCB_DSYNC`: a write is durable before the call returns.
    pub dsync: bool,
}

impl IoFlags {
    /// Through the page cache.
    pub const BUFFERED: Self = Self {
        direct: false,
        dsync: false,
    };
    /// Direct I/O.
    pub const DIRECT: Self = Self {
        direct: true,
        dsync: false,
    };

    fn raw(self) -> u32 {
        let mut flags = 0;
        if self.direct {
            flags |= bindings::LIO_FILE_IO_DIRECT;
        }
        if self.dsync {
            flags |= bindings::LIO_FILE_IO_DSYNC;
        }
        flags
    }
}

/// A byte position as the VFS's `loff_t`; `EINVAL` beyond `LLONG_MAX`.
fn loff(pos: u64) -> Result<i64> {
    i64::try_from(pos).map_err(|_| EINVAL)
}

/// A `ssize_t` result of the VFS as bytes or an error.
fn transferred(ret: isize) -> Result<usize> {
    if ret < 0 {
        // A negative `ssize_t` from the VFS is a small errno, so it fits an i32.
        Err(Error::from_errno(
            i32::try_from(ret).unwrap_or(EIO.to_errno()),
        ))
    } else {
        Ok(ret as usize)
    }
}

/// An open kernel file (`struct file *` from `filp_open()`), closed with `filp_close()`
/// when dropped.
///
/// # Invariants
///
/// `file` is a file this object opened with `filp_open()` and has not closed; it owns that
/// reference.
pub struct File {
    file: NonNull<kernel::bindings::file>,
}

// SAFETY: A `struct file` may be used and closed from any thread; every operation here
// passes its own position (pread/pwrite style), so none touches shared `f_pos` state.
unsafe impl Send for File {}
// SAFETY: See `Send`: concurrent reads, writes, syncs and fallocates on one `struct file`
// are what the VFS serves for concurrent pread/pwrite callers.
unsafe impl Sync for File {}

impl File {
    /// `filp_open(path, flags, mode)`: opens (with [`OpenFlags::CREAT`], creates with
    /// `mode`) the file at `path`, a path resolved in the calling task's namespace.
    pub fn open(path: &CStr, flags: OpenFlags, mode: u16) -> Result<Self> {
        let flags = i32::try_from(flags.0).map_err(|_| EINVAL)?;
        // SAFETY: `path` is a valid NUL-terminated string for the duration of the call,
        // which only reads it.
        let file =
            from_err_ptr(unsafe { kernel::bindings::filp_open(path.as_char_ptr(), flags, mode) })?;
        let file = NonNull::new(file).ok_or(ENOENT)?;
        // INVARIANT: `filp_open` returned a file (not an error pointer), which we own.
        Ok(File { file })
    }

    fn as_ptr(&self) -> *mut kernel::bindings::file {
        self.file.as_ptr()
    }

    /// Whether the file is a block device (`S_ISBLK` of `f_mapping->host`, as fileio
    /// tests it).
    pub fn is_block_device(&self) -> bool {
        // SAFETY: By the type invariant the file is open; the helper reads its mapping's
        // host inode, which lives as long as the file.
        unsafe { bindings::lio_file_is_blkdev(self.as_ptr()) }
    }

    /// The block device, if the file is one.
    pub fn block_device(&self) -> Option<BlockDevice<'_>> {
        // SAFETY: By the type invariant the file is open; the helper returns the block
        // device of its host inode or NULL.
        let bdev = unsafe { bindings::lio_file_bdev(self.as_ptr()) };
        // INVARIANT: the block device of an open file lives as long as the file, which
        // the returned object borrows.
        NonNull::new(bdev).map(|bdev| BlockDevice {
            bdev,
            _file: PhantomData,
        })
    }

    /// `i_size_read(f_mapping->host)`: a regular file's size, or a block device's size in
    /// bytes.
    pub fn size(&self) -> u64 {
        // SAFETY: By the type invariant the file is open.
        let size = unsafe { bindings::lio_file_size(self.as_ptr()) };
        u64::try_from(size).unwrap_or(0)
    }

    /// Whether the file can do direct I/O (`FMODE_CAN_ODIRECT`).
    pub fn can_direct_io(&self) -> bool {
        // SAFETY: By the type invariant the file is open.
        unsafe { bindings::lio_file_can_direct_io(self.as_ptr()) }
    }

    /// Reads into `buf` from byte position `pos` with `kernel_read()`, until `buf` is full
    /// or the file ends: returns the bytes read (fewer than `buf.len()` only at the end of
    /// the file). An error fails the whole call.
    pub fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            let mut off = loff(pos.checked_add(done as u64).ok_or(EINVAL)?)?;
            // SAFETY: By the type invariant the file is open; `rest` is valid for writes of
            // `rest.len()` bytes and uniquely borrowed; `off` is a valid `loff_t`.
            let ret = unsafe {
                kernel::bindings::kernel_read(
                    self.as_ptr(),
                    rest.as_mut_ptr().cast(),
                    rest.len(),
                    &mut off,
                )
            };
            match transferred(ret)? {
                0 => break,
                n => done += n.min(rest.len()),
            }
        }
        Ok(done)
    }

    /// Writes `buf` at byte position `pos` with `kernel_write()`, looping on short writes:
    /// returns the bytes written (fewer than `buf.len()` only if the file stopped taking
    /// any). An error fails the whole call.
    pub fn write_at(&self, pos: u64, buf: &[u8]) -> Result<usize> {
        let mut done = 0;
        while let Some(rest) = buf.get(done..).filter(|r| !r.is_empty()) {
            let mut off = loff(pos.checked_add(done as u64).ok_or(EINVAL)?)?;
            // SAFETY: By the type invariant the file is open; `rest` is valid for reads of
            // `rest.len()` bytes; `off` is a valid `loff_t`.
            let ret = unsafe {
                kernel::bindings::kernel_write(
                    self.as_ptr(),
                    rest.as_ptr().cast(),
                    rest.len(),
                    &mut off,
                )
            };
            match transferred(ret)? {
                0 => break,
                n => done += n.min(rest.len()),
            }
        }
        Ok(done)
    }

    /// Reads `len` bytes at `pos` into the start of `buf` (a `bio_vec` iterator over its
    /// pages, `vfs_iocb_iter_read()`), looping on short reads until the file ends: returns
    /// the bytes read. `EINVAL` if `len` exceeds the buffer.
    pub fn read_buf(&self, pos: u64, buf: &mut IoBuf, len: usize, flags: IoFlags) -> Result<usize> {
        if len > buf.len() {
            return Err(EINVAL);
        }
        let mut done = 0;
        while done < len {
            let off = loff(pos.checked_add(done as u64).ok_or(EINVAL)?)?;
            let n = u32::try_from(len - done).map_err(|_| EINVAL)?;
            // SAFETY: By the type invariant the file is open. `buf` is uniquely borrowed,
            // so no Rust reference observes the write; `done < len <= buf.len()`, so
            // `[done, len)` lies in the buffer, which is directly mapped, physically
            // contiguous kernel memory (the helper's `virt_to_page` requirement). The call
            // is synchronous: the memory is not used after it returns.
            let ret = unsafe {
                bindings::lio_file_rw_buf(
                    self.as_ptr(),
                    buf.ptr.as_ptr().add(done).cast(),
                    n,
                    off,
                    false,
                    flags.raw(),
                )
            };
            match transferred(ret)? {
                0 => break,
                got => done += got.min(len - done),
            }
        }
        Ok(done)
    }

    /// Writes the first `len` bytes of `buf` at `pos` (`vfs_iocb_iter_write()`), looping on
    /// short writes: returns the bytes written. `EINVAL` if `len` exceeds the buffer.
    pub fn write_buf(&self, pos: u64, buf: &IoBuf, len: usize, flags: IoFlags) -> Result<usize> {
        if len > buf.len() {
            return Err(EINVAL);
        }
        let mut done = 0;
        while done < len {
            let off = loff(pos.checked_add(done as u64).ok_or(EINVAL)?)?;
            let n = u32::try_from(len - done).map_err(|_| EINVAL)?;
            // SAFETY: By the type invariant the file is open. `[done, len)` lies in the
            // buffer (`len <= buf.len()`), directly mapped contiguous memory that is only
            // read, while `buf` is borrowed, by a synchronous call.
            let ret = unsafe {
                bindings::lio_file_rw_buf(
                    self.as_ptr(),
                    buf.ptr.as_ptr().add(done).cast(),
                    n,
                    off,
                    true,
                    flags.raw(),
                )
            };
            match transferred(ret)? {
                0 => break,
                got => done += got.min(len - done),
            }
        }
        Ok(done)
    }

    /// `vfs_fsync_range(file, start, end, datasync)`: makes bytes `start..=end` durable
    /// (`end` is capped at `LLONG_MAX`, so `u64::MAX` means "to the end").
    pub fn fsync_range(&self, start: u64, end: u64, datasync: bool) -> Result {
        let start = loff(start)?;
        let end = i64::try_from(end).unwrap_or(i64::MAX);
        // SAFETY: By the type invariant the file is open.
        to_result(unsafe {
            kernel::bindings::vfs_fsync_range(self.as_ptr(), start, end, i32::from(datasync))
        })
    }

    /// `vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pos, len)`: deallocates
    /// the range, which then reads as zeroes; the file size does not change.
    pub fn punch_hole(&self, pos: u64, len: u64) -> Result {
        let (pos, len) = (loff(pos)?, loff(len)?);
        // SAFETY: By the type invariant the file is open.
        to_result(unsafe { bindings::lio_file_punch_hole(self.as_ptr(), pos, len) })
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own this reference of an open file, and it is
        // not used again. `filp_close` accepts a NULL owner id (as fileio passes).
        unsafe { kernel::bindings::filp_close(self.as_ptr(), core::ptr::null_mut()) };
    }
}

/// The block device behind a [`File`] that is one, borrowed from it.
///
/// # Invariants
///
/// `bdev` is the block device of the open file this borrows, alive as long as the file.
pub struct BlockDevice<'a> {
    bdev: NonNull<kernel::bindings::block_device>,
    _file: PhantomData<&'a File>,
}

impl BlockDevice<'_> {
    fn as_ptr(&self) -> *mut kernel::bindings::block_device {
        self.bdev.as_ptr()
    }

    /// `bdev_logical_block_size()`.
    pub fn logical_block_size(&self) -> u32 {
        // SAFETY: By the type invariant the block device is alive.
        unsafe { bindings::lio_bdev_logical_block_size(self.as_ptr()) }
    }

    /// `bdev_nr_bytes()`: the size in bytes.
    pub fn nr_bytes(&self) -> u64 {
        // SAFETY: By the type invariant the block device is alive.
        unsafe { bindings::lio_bdev_nr_bytes(self.as_ptr()) }
    }

    /// `bdev_max_discard_sectors()`: 0 if the device cannot discard.
    pub fn max_discard_sectors(&self) -> u32 {
        // SAFETY: By the type invariant the block device is alive.
        unsafe { bindings::lio_bdev_max_discard_sectors(self.as_ptr()) }
    }

    /// Whether the device supports discard.
    pub fn supports_discard(&self) -> bool {
        self.max_discard_sectors() != 0
    }

    /// `bdev_discard_granularity()` in bytes.
    pub fn discard_granularity(&self) -> u32 {
        // SAFETY: By the type invariant the block device is alive.
        unsafe { bindings::lio_bdev_discard_granularity(self.as_ptr()) }
    }

    /// `bdev_discard_alignment()` in bytes.
    pub fn discard_alignment(&self) -> u32 {
        // SAFETY: By the type invariant the block device is alive.
        unsafe { kernel::bindings::bdev_discard_alignment(self.as_ptr()) }
    }

    /// `bdev_nonrot()`: a non-rotational device.
    pub fn is_nonrot(&self) -> bool {
        // SAFETY: By the type invariant the block device is alive.
        unsafe { bindings::lio_bdev_nonrot(self.as_ptr()) }
    }

    /// `blkdev_issue_discard(bdev, sector, nr_sects, GFP_KERNEL)`, in 512-byte sectors.
    pub fn discard(&self, sector: u64, nr_sects: u64) -> Result {
        // SAFETY: By the type invariant the block device is alive (and open through the
        // file); the call waits for the discard to finish.
        to_result(unsafe {
            kernel::bindings::blkdev_issue_discard(
                self.as_ptr(),
                sector,
                nr_sects,
                kernel::bindings::GFP_KERNEL,
            )
        })
    }
}

/// A bounce buffer for [`File::read_buf`]/[`File::write_buf`]: `2^order` zeroed pages of
/// physically contiguous, directly mapped kernel memory (`__get_free_pages()`).
///
/// # Invariants
///
/// `ptr` is the address of a `__get_free_pages(.., order)` block of `PAGE_SIZE << order`
/// bytes this object owns, initialised (zeroed at allocation).
pub struct IoBuf {
    ptr: NonNull<u8>,
    order: u32,
}

// SAFETY: The buffer is plain memory owned by this object; it may be used and freed from
// any thread.
unsafe impl Send for IoBuf {}
// SAFETY: Shared references only read the memory.
unsafe impl Sync for IoBuf {}

impl IoBuf {
    /// The largest buffer: 1 MiB with 4 KiB pages.
    pub const MAX_ORDER: u32 = 8;

    /// The order of the smallest block of at least `len` bytes (one page at least).
    fn order_for(len: usize) -> u32 {
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        pages.next_power_of_two().trailing_zeros()
    }

    fn alloc(order: u32) -> Option<Self> {
        // SAFETY: Any order is accepted; a failure returns NULL.
        let ptr = unsafe { bindings::lio_io_buf_alloc(order) };
        // INVARIANT: a non-NULL result is a zeroed block of `2^order` pages we now own.
        NonNull::new(ptr.cast::<u8>()).map(|ptr| IoBuf { ptr, order })
    }

    /// A buffer of at least `len` bytes (rounded up to a power-of-two number of pages).
    /// `EINVAL` above `PAGE_SIZE << MAX_ORDER`, `ENOMEM` if no such block is free.
    pub fn new(len: usize) -> Result<Self> {
        let order = Self::order_for(len);
        if order > Self::MAX_ORDER {
            return Err(EINVAL);
        }
        Self::alloc(order).ok_or(ENOMEM)
    }

    /// A buffer for a transfer of `len` bytes in pieces: the smallest block that holds
    /// `len` bytes, but no larger than `max` bytes (nor `PAGE_SIZE << MAX_ORDER`); when
    /// memory is fragmented, a smaller one, down to one page. `ENOMEM` if not even a page
    /// is free.
    pub fn up_to(len: usize, max: usize) -> Result<Self> {
        // The largest order whose block fits `max` (at least a page).
        let max_pages = (max / PAGE_SIZE).max(1);
        let cap = (usize::BITS - 1 - max_pages.leading_zeros()).min(Self::MAX_ORDER);
        let mut order = Self::order_for(len).min(cap);
        loop {
            if let Some(buf) = Self::alloc(order) {
                return Ok(buf);
            }
            if order == 0 {
                return Err(ENOMEM);
            }
            order -= 1;
        }
    }

    /// The buffer's size in bytes.
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }

    /// Never empty: at least one page.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The buffer's address, for the other I/O paths of this layer (`bio.rs`).
    pub(super) fn as_raw(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: By the type invariant `ptr` is valid, initialised memory of `len()` bytes
        // owned by `self`; the shared borrow of `self` keeps it alive and unwritten.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }
    }

    /// The bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: As for `as_slice`, with the unique borrow of `self` making this the only
        // reference to the memory.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len()) }
    }
}

impl Drop for IoBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the block came from `lio_io_buf_alloc(order)` and
        // is owned by `self`, which is going away.
        unsafe { bindings::lio_io_buf_free(self.ptr.as_ptr().cast(), self.order) };
    }
}
