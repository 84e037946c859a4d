// SPDX-License-Identifier: GPL-2.0

//! fileio's configfs logic and enable-time decisions (LIO: `target_core_file.c`), as pure
//! `core` code: tools/testing/host compiles and tests this very file.
//!
//! * [`FdParams::set_configfs_dev_params`]: the `control` attribute (`fd_dev_name=`,
//!   `fd_dev_size=`, `fd_buffered_io=`, `fd_async_io=`) with `match_token()`'s matching
//!   and the C's errnos and messages.
//! * [`FdParams::show_configfs_dev_params`]: the `info` text, byte for byte.
//! * [`FdParams::check_configfs_dev_params`], [`FdParams::open_flags`],
//!   [`FdParams::configure`], [`FdParams::set_dev_id`]: `fd_configure_device()` split
//!   around the `filp_open()` the kernel side does, returning what the device gets.
//! * [`fd_configure_unmap`], [`fd_get_blocks`], [`fd_sync_range`],
//!   [`target_to_linux_sector`]: the rest of the arithmetic.
//!
//! Messages go to a [`Log`] callback with their C level and text (the kernel side prints
//! them with `pr_err!`/`pr_warn!`/`pr_debug!`).

use super::lio::parse::{control_tokens, kstrtoull, simple_strtoull, ParseError};
use core::fmt::{self, Write};

/// `FD_VERSION`: the backend's `inquiry_rev`.
pub(crate) const FD_VERSION: &str = "4.0";
/// `FD_MAX_DEV_NAME`: the path buffer, NUL included.
pub(crate) const FD_MAX_DEV_NAME: usize = 256;
/// `FD_DEVICE_QUEUE_DEPTH`.
pub(crate) const FD_DEVICE_QUEUE_DEPTH: u32 = 32;
/// `FD_MAX_DEVICE_QUEUE_DEPTH`: the `hw_queue_depth` of every fileio device.
pub(crate) const FD_MAX_DEVICE_QUEUE_DEPTH: u32 = 128;
/// `FD_BLOCKSIZE`: the block size of a file (not a block device).
pub(crate) const FD_BLOCKSIZE: u32 = 512;
/// `FD_MAX_BYTES`: the largest transfer of one command.
pub(crate) const FD_MAX_BYTES: u32 = 8_388_608;
/// The mode `filp_open()` creates a missing file with.
pub(crate) const FD_CREATE_MODE: u16 = 0o600;
/// `LLONG_MAX`: "to the end" for `vfs_fsync_range()`.
pub(crate) const LLONG_MAX: u64 = i64::MAX as u64;
/// `NUMBER_BUF_LEN` of `lib/parser.c`: `match_int()` refuses longer arguments.
const NUMBER_BUF_LEN: usize = 24;

/// The errnos fileio's configfs logic fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FdError {
    /// `-EINVAL`.
    Inval,
    /// `-ERANGE`.
    Range,
}

impl From<ParseError> for FdError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Invalid => FdError::Inval,
            ParseError::Range => FdError::Range,
        }
    }
}

/// The `printk` level of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// `pr_err`.
    Err,
    /// `pr_warn`.
    Warn,
    /// `pr_debug`.
    Debug,
}

/// Where messages go: `log(level, text)`; `text` ends with `\n` as in the C.
pub(crate) type Log<'a> = &'a mut dyn FnMut(Level, fmt::Arguments<'_>);

/// A path, printed with `%s`: its bytes up to the NUL, not necessarily UTF-8.
struct Path<'a>(&'a [u8]);

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        loop {
            match core::str::from_utf8(rest) {
                Ok(s) => return f.write_str(s),
                Err(e) => {
                    let (valid, bad) = rest.split_at(e.valid_up_to());
                    f.write_str(core::str::from_utf8(valid).map_err(|_| fmt::Error)?)?;
                    f.write_char(char::REPLACEMENT_CHARACTER)?;
                    let skip = e.error_len().unwrap_or(bad.len()).max(1);
                    rest = bad.get(skip..).unwrap_or(&[]);
                }
            }
        }
    }
}

/// The configfs side of `struct fd_dev`: what `control` sets and `info` shows.
#[derive(Clone)]
pub(crate) struct FdParams {
    /// `fd_dev_name`: NUL-terminated, as `match_strlcpy()` leaves it.
    name: [u8; FD_MAX_DEV_NAME],
    /// `fd_dev_size`: the size of a file (ignored for a block device).
    pub(crate) dev_size: u64,
    /// `fd_dev_id`: given at enable from the HBA's counter.
    pub(crate) dev_id: u32,
    /// `fd_queue_depth`: the device's `queue_depth` at enable.
    pub(crate) queue_depth: u32,
    /// `FBDF_HAS_PATH`.
    pub(crate) has_path: bool,
    /// `FBDF_HAS_SIZE`.
    pub(crate) has_size: bool,
    /// `FDBD_HAS_BUFFERED_IO_WCE`: no `O_DSYNC`, write cache emulation forced on.
    pub(crate) buffered_io: bool,
    /// `FDBD_HAS_ASYNC_IO`: reads and writes are direct I/O (`IOCB_DIRECT`).
    pub(crate) async_io: bool,
}

/// A `control` token, as `match_token()` classifies it against fileio's table.
enum Token<'a> {
    /// `fd_dev_name=%s`.
    DevName(&'a [u8]),
    /// `fd_dev_size=%s`.
    DevSize(&'a [u8]),
    /// `fd_buffered_io=%d`.
    BufferedIo(&'a [u8]),
    /// `fd_async_io=%d`.
    AsyncIo(&'a [u8]),
    /// `Opt_err`: ignored.
    Other,
}

/// `match_one()`'s `%d`: `simple_strtol(s, &end, 0)` must consume at least one byte, and
/// the pattern ends there, so the whole argument. A lone `-` counts (it is consumed).
fn matches_int(arg: &[u8]) -> bool {
    match arg {
        [b'-', rest @ ..] => simple_strtoull(rest).1 == rest.len(),
        _ => {
            let used = simple_strtoull(arg).1;
            used > 0 && used == arg.len()
        }
    }
}

/// `match_token(token, tokens, args)` for fileio's table.
fn match_token(token: &[u8]) -> Token<'_> {
    let arg = |prefix: &[u8]| token.strip_prefix(prefix);
    if let Some(a) = arg(b"fd_dev_name=").filter(|a| !a.is_empty()) {
        Token::DevName(a)
    } else if let Some(a) = arg(b"fd_dev_size=").filter(|a| !a.is_empty()) {
        Token::DevSize(a)
    } else if let Some(a) = arg(b"fd_buffered_io=").filter(|a| matches_int(a)) {
        Token::BufferedIo(a)
    } else if let Some(a) = arg(b"fd_async_io=").filter(|a| matches_int(a)) {
        Token::AsyncIo(a)
    } else {
        Token::Other
    }
}

/// `match_int()` of a matched `%d` argument: `ERANGE` for 24 bytes or more, or outside
/// an `int` (after `simple_strtol()`'s wrapping to a `long`).
fn match_int(arg: &[u8]) -> Result<i32, FdError> {
    if arg.len() >= NUMBER_BUF_LEN {
        return Err(FdError::Range);
    }
    let value = match arg {
        [b'-', rest @ ..] => (simple_strtoull(rest).0 as i64).wrapping_neg(),
        _ => simple_strtoull(arg).0 as i64,
    };
    i32::try_from(value).map_err(|_| FdError::Range)
}

/// A writer into a fixed buffer that fails instead of truncating.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Cursor<'_> {
    fn write_bytes(&mut self, bytes: &[u8]) -> fmt::Result {
        let end = self.len.checked_add(bytes.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

impl Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes())
    }
}

/// How `fd_configure_device()` opens the file: `O_RDWR | O_CREAT | O_LARGEFILE`, plus
/// `O_DSYNC` unless buffered, mode [`FD_CREATE_MODE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FdOpenFlags {
    /// `O_DSYNC`.
    pub(crate) dsync: bool,
}

/// What the kernel side learns of a block device behind the opened file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BdevFacts {
    /// `bdev_logical_block_size()`.
    pub(crate) logical_block_size: u32,
    /// `i_size_read()` of the block device inode: its size in bytes.
    pub(crate) size: u64,
    /// `bdev_nonrot()`.
    pub(crate) nonrot: bool,
    /// `bdev_max_discard_sectors()` (512-byte sectors; 0: no discard).
    pub(crate) max_discard_sectors: u32,
    /// `bdev_discard_granularity()` in bytes.
    pub(crate) discard_granularity: u32,
    /// `bdev_discard_alignment()` in bytes.
    pub(crate) discard_alignment: u32,
}

/// What the opened file is (`S_ISBLK(file->f_mapping->host->i_mode)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FdBacking {
    /// A block device.
    BlockDevice(BdevFacts),
    /// Anything else: a regular file.
    File,
}

/// What `fd_configure_device()` gives the device (`dev_attrib` and `fd_block_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FdDeviceSetup {
    /// `fd_block_size`: the logical block size of a block device, else [`FD_BLOCKSIZE`].
    pub(crate) fd_block_size: u32,
    /// `dev_attrib.hw_block_size` (= `fd_block_size`).
    pub(crate) hw_block_size: u32,
    /// `dev_attrib.hw_max_sectors`: `FD_MAX_BYTES / fd_block_size`.
    pub(crate) hw_max_sectors: u32,
    /// `dev_attrib.hw_queue_depth`: [`FD_MAX_DEVICE_QUEUE_DEPTH`].
    pub(crate) hw_queue_depth: u32,
    /// `dev_attrib.max_write_same_len`: 0xFFFF on a block device, 0x1000 on a file.
    pub(crate) max_write_same_len: u32,
    /// Set `dev_attrib.is_nonrot = 1` (a non-rotational block device); otherwise the
    /// attribute is left as it is.
    pub(crate) set_nonrot: bool,
    /// Set `dev_attrib.emulate_write_cache = 1` (buffered I/O); otherwise left as it is.
    pub(crate) force_write_cache: bool,
}

/// What `fd_configure_unmap()` gives the device's `dev_attrib` when it returns true.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnmapSetup {
    /// `max_unmap_lba_count`.
    pub(crate) max_unmap_lba_count: u32,
    /// `max_unmap_block_desc_count`.
    pub(crate) max_unmap_block_desc_count: u32,
    /// `unmap_granularity`.
    pub(crate) unmap_granularity: u32,
    /// `unmap_granularity_alignment`.
    pub(crate) unmap_granularity_alignment: u32,
}

impl Default for FdParams {
    fn default() -> Self {
        Self::new()
    }
}

impl FdParams {
    /// A device with nothing set (`fd_alloc_device()`'s zeroed `fd_dev`).
    pub(crate) const fn new() -> Self {
        FdParams {
            name: [0; FD_MAX_DEV_NAME],
            dev_size: 0,
            dev_id: 0,
            queue_depth: 0,
            has_path: false,
            has_size: false,
            buffered_io: false,
            async_io: false,
        }
    }

    /// `fd_dev_name` without its NUL.
    pub(crate) fn dev_name(&self) -> &[u8] {
        let n = self.name.iter().position(|&c| c == 0).unwrap_or(0);
        self.name.get(..n).unwrap_or(&[])
    }

    /// `fd_dev_name` with its NUL, for `filp_open()`.
    pub(crate) fn dev_name_with_nul(&self) -> &[u8] {
        let n = self.dev_name().len();
        self.name.get(..=n).unwrap_or(&[0])
    }

    /// `fd_set_configfs_dev_params()`: the tokens of `page` (split at `,` and `\n`, up to
    /// a NUL) in order; those that match no option are ignored, an invalid value fails
    /// the store and leaves the rest unread (what was set before stays set).
    ///
    /// * `fd_dev_name=PATH`: any non-empty text, kept to 255 bytes.
    /// * `fd_dev_size=N`: `kstrtoull(N, 0)`, failing with its errno.
    /// * `fd_buffered_io=N`, `fd_async_io=N`: an integer as `%d` matches it; out of
    ///   `int` range (or 24 bytes long) `-ERANGE`, any value but 1 `-EINVAL`.
    pub(crate) fn set_configfs_dev_params(
        &mut self,
        page: &[u8],
        log: Log<'_>,
    ) -> Result<(), FdError> {
        for token in control_tokens(page) {
            match match_token(token) {
                Token::DevName(arg) => {
                    // match_strlcpy(): at most FD_MAX_DEV_NAME - 1 bytes, NUL-terminated.
                    // Its "returned 0" check cannot trigger: `%s` never matches nothing.
                    let n = arg.len().min(FD_MAX_DEV_NAME - 1);
                    self.name = [0; FD_MAX_DEV_NAME];
                    if let (Some(dst), Some(src)) = (self.name.get_mut(..n), arg.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                    log(
                        Level::Debug,
                        format_args!("FILEIO: Referencing Path: {}\n", Path(self.dev_name())),
                    );
                    self.has_path = true;
                }
                Token::DevSize(arg) => match kstrtoull(arg, 0) {
                    Ok(size) => {
                        self.dev_size = size;
                        log(
                            Level::Debug,
                            format_args!("FILEIO: Referencing Size: {} bytes\n", size),
                        );
                        self.has_size = true;
                    }
                    Err(e) => {
                        log(
                            Level::Err,
                            format_args!("kstrtoull() failed for fd_dev_size=\n"),
                        );
                        return Err(e.into());
                    }
                },
                Token::BufferedIo(arg) => {
                    let value = match_int(arg)?;
                    if value != 1 {
                        log(
                            Level::Err,
                            format_args!("bogus fd_buffered_io={} value\n", value),
                        );
                        return Err(FdError::Inval);
                    }
                    log(
                        Level::Debug,
                        format_args!("FILEIO: Using buffered I/O operations for struct fd_dev\n"),
                    );
                    self.buffered_io = true;
                }
                Token::AsyncIo(arg) => {
                    let value = match_int(arg)?;
                    if value != 1 {
                        log(
                            Level::Err,
                            format_args!("bogus fd_async_io={} value\n", value),
                        );
                        return Err(FdError::Inval);
                    }
                    log(
                        Level::Debug,
                        format_args!("FILEIO: Using async I/O operations for struct fd_dev\n"),
                    );
                    self.async_io = true;
                }
                Token::Other => {}
            }
        }
        Ok(())
    }

    /// `fd_show_configfs_dev_params()` into `buf`: returns the length. The path is
    /// written as its raw bytes. `fmt::Error` if `buf` is too small.
    pub(crate) fn show_configfs_dev_params(&self, buf: &mut [u8]) -> Result<usize, fmt::Error> {
        let mut w = Cursor { buf, len: 0 };
        write!(w, "TCM FILEIO ID: {}", self.dev_id)?;
        w.write_str("        File: ")?;
        w.write_bytes(self.dev_name())?;
        writeln!(
            w,
            "  Size: {}  Mode: {} Async: {}",
            self.dev_size,
            if self.buffered_io {
                "Buffered-WCE"
            } else {
                "O_DSYNC"
            },
            u8::from(self.async_io)
        )?;
        Ok(w.len)
    }

    /// The first check of `fd_configure_device()` (older LIO's
    /// `fd_check_configfs_dev_params()`): a path must have been given.
    pub(crate) fn check_configfs_dev_params(&self, log: Log<'_>) -> Result<(), FdError> {
        if !self.has_path {
            log(Level::Err, format_args!("Missing fd_dev_name=\n"));
            return Err(FdError::Inval);
        }
        Ok(())
    }

    /// How `fd_configure_device()` opens the path (after
    /// [`Self::check_configfs_dev_params`]).
    pub(crate) fn open_flags(&self, log: Log<'_>) -> FdOpenFlags {
        if self.buffered_io {
            log(
                Level::Debug,
                format_args!("FILEIO: Disabling O_DSYNC, using buffered FILEIO\n"),
            );
        }
        FdOpenFlags {
            dsync: !self.buffered_io,
        }
    }

    /// The message of a failed `filp_open()` (the enable then fails with its errno).
    pub(crate) fn log_open_failed(&self, log: Log<'_>) {
        log(
            Level::Err,
            format_args!("filp_open({}) failed\n", Path(self.dev_name())),
        );
    }

    /// `fd_configure_device()` once the file is open: what the device gets, or `EINVAL`
    /// for a regular file without `fd_dev_size=` (the caller then closes the file; LIO
    /// leaves the file it created in place).
    pub(crate) fn configure(
        &self,
        backing: FdBacking,
        log: Log<'_>,
    ) -> Result<FdDeviceSetup, FdError> {
        let (fd_block_size, max_write_same_len, set_nonrot) = match backing {
            FdBacking::BlockDevice(b) => {
                let bs = b.logical_block_size;
                // "i_size_read() minus one logical sector", unsigned as in the C.
                let dev_size = b.size.wrapping_sub(u64::from(bs));
                log(
                    Level::Debug,
                    format_args!(
                        "FILEIO: Using size: {} bytes from struct block_device blocks: {} logical_block_size: {}\n",
                        dev_size,
                        dev_size.checked_div(u64::from(bs)).unwrap_or(0),
                        bs as i32
                    ),
                );
                (bs, 0xFFFF, b.nonrot)
            }
            FdBacking::File => {
                if !self.has_size {
                    log(
                        Level::Err,
                        format_args!(
                            "FILEIO: Missing fd_dev_size= parameter, and no backing struct block_device\n"
                        ),
                    );
                    return Err(FdError::Inval);
                }
                (FD_BLOCKSIZE, 0x1000, false)
            }
        };
        if self.buffered_io {
            log(
                Level::Debug,
                format_args!(
                    "FILEIO: Forcing setting of emulate_write_cache=1 with FDBD_HAS_BUFFERED_IO_WCE\n"
                ),
            );
        }
        Ok(FdDeviceSetup {
            fd_block_size,
            hw_block_size: fd_block_size,
            hw_max_sectors: FD_MAX_BYTES.checked_div(fd_block_size).unwrap_or(0),
            hw_queue_depth: FD_MAX_DEVICE_QUEUE_DEPTH,
            max_write_same_len,
            set_nonrot,
            force_write_cache: self.buffered_io,
        })
    }

    /// The end of `fd_configure_device()`: the device takes `dev_id` (the HBA's
    /// `fd_host_dev_id_count++`) and the device's `queue_depth`.
    pub(crate) fn set_dev_id(&mut self, host_id: u32, dev_id: u32, queue_depth: u32, log: Log<'_>) {
        self.dev_id = dev_id;
        self.queue_depth = queue_depth;
        log(
            Level::Debug,
            format_args!(
                "CORE_FILE[{}] - Added TCM FILEIO Device ID: {} at {}, {} total bytes\n",
                host_id,
                dev_id,
                Path(self.dev_name()),
                self.dev_size
            ),
        );
    }
}

/// `fd_configure_unmap()`: a block device's discard limits
/// (`target_configure_unmap_from_queue()`, `None` if it cannot discard), or a file's fixed
/// ones (8192 blocks, one descriptor, granularity 1, alignment 0).
pub(crate) fn fd_configure_unmap(backing: &FdBacking) -> Option<UnmapSetup> {
    match backing {
        FdBacking::BlockDevice(b) => {
            if b.max_discard_sectors == 0 {
                return None;
            }
            let bs = b.logical_block_size;
            // ilog2(block_size) - 9: logical blocks are 512 bytes or more.
            let shift = bs.checked_ilog2()?.checked_sub(9)?;
            Some(UnmapSetup {
                max_unmap_lba_count: b.max_discard_sectors >> shift,
                max_unmap_block_desc_count: 1,
                unmap_granularity: b.discard_granularity / bs,
                unmap_granularity_alignment: b.discard_alignment / bs,
            })
        }
        FdBacking::File => Some(UnmapSetup {
            max_unmap_lba_count: 0x2000,
            max_unmap_block_desc_count: 1,
            unmap_granularity: 1,
            unmap_granularity_alignment: 0,
        }),
    }
}

/// `fd_get_blocks()`: the last LBA, from the block device's current size (`Some(i_size)`)
/// or `fd_dev_size`. Unsigned as in the C: a size below one block wraps to a huge LBA.
pub(crate) fn fd_get_blocks(bdev_size: Option<u64>, fd_dev_size: u64, block_size: u32) -> u64 {
    let dev_size = bdev_size.unwrap_or(fd_dev_size);
    dev_size
        .wrapping_sub(u64::from(block_size))
        .checked_div(u64::from(block_size))
        .unwrap_or(0)
}

/// `target_to_linux_sector()`: `lb` blocks of `block_size` as 512-byte sectors.
pub(crate) fn target_to_linux_sector(block_size: u32, lb: u64) -> u64 {
    match block_size {
        4096 => lb << 3,
        2048 => lb << 2,
        1024 => lb << 1,
        _ => lb,
    }
}

/// `fd_execute_sync_cache()`'s range for `vfs_fsync_range()`: everything for LBA 0 with
/// no blocks, else from the LBA for `nolb` blocks (0: to the end). Bounded by
/// [`LLONG_MAX`].
pub(crate) fn fd_sync_range(lba: u64, nolb: u32, block_size: u32) -> (u64, u64) {
    if lba == 0 && nolb == 0 {
        return (0, LLONG_MAX);
    }
    let start = lba.saturating_mul(u64::from(block_size)).min(LLONG_MAX);
    let end = if nolb == 0 {
        LLONG_MAX
    } else {
        start
            .saturating_add(u64::from(nolb) * u64::from(block_size))
            .saturating_sub(1)
            .min(LLONG_MAX)
    };
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// Runs `f` with a log that collects `(level, text)`.
    fn logged<R>(f: impl FnOnce(Log<'_>) -> R) -> (R, Vec<(Level, String)>) {
        let mut lines = Vec::new();
        let r = f(&mut |level, args| lines.push((level, std::format!("{}", args))));
        (r, lines)
    }

    fn set(p: &mut FdParams, page: &str) -> (Result<(), FdError>, Vec<(Level, String)>) {
        logged(|log| p.set_configfs_dev_params(page.as_bytes(), log))
    }

    fn show(p: &FdParams) -> String {
        let mut buf = [0u8; 4096];
        let n = p.show_configfs_dev_params(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn targetcli_control_line() {
        let mut p = FdParams::new();
        let (r, log) = set(&mut p, "fd_dev_name=/tmp/disk.img,fd_dev_size=4194304");
        assert_eq!(r, Ok(()));
        assert_eq!(p.dev_name(), b"/tmp/disk.img");
        assert_eq!(p.dev_name_with_nul(), b"/tmp/disk.img\0");
        assert_eq!(p.dev_size, 4194304);
        assert!(p.has_path && p.has_size && !p.buffered_io && !p.async_io);
        assert_eq!(
            log,
            [
                (
                    Level::Debug,
                    "FILEIO: Referencing Path: /tmp/disk.img\n".into()
                ),
                (
                    Level::Debug,
                    "FILEIO: Referencing Size: 4194304 bytes\n".into()
                ),
            ]
        );
        let (r, log) = set(&mut p, "fd_buffered_io=1\n");
        assert_eq!(r, Ok(()));
        assert!(p.buffered_io);
        assert_eq!(
            log[0].1,
            "FILEIO: Using buffered I/O operations for struct fd_dev\n"
        );
        let (r, _) = set(&mut p, "fd_async_io=0x1");
        assert_eq!(r, Ok(()));
        assert!(p.async_io);
    }

    #[test]
    fn show_is_byte_exact() {
        let mut p = FdParams::new();
        assert_eq!(
            show(&p),
            "TCM FILEIO ID: 0        File:   Size: 0  Mode: O_DSYNC Async: 0\n"
        );
        set(
            &mut p,
            "fd_dev_name=/tmp/f,fd_dev_size=1048576,fd_buffered_io=1,fd_async_io=1",
        )
        .0
        .unwrap();
        p.dev_id = 3;
        assert_eq!(
            show(&p),
            "TCM FILEIO ID: 3        File: /tmp/f  Size: 1048576  Mode: Buffered-WCE Async: 1\n"
        );
        // Raw bytes of the path, as %s prints them.
        set(&mut p, "fd_dev_name=/tmp/\u{e9}\u{1}").0.unwrap();
        let mut buf = [0u8; 128];
        let n = p.show_configfs_dev_params(&mut buf).unwrap();
        assert!(buf[..n].windows(9).any(|w| w == b"/tmp/\xc3\xa9\x01 "));
        // Too small a buffer fails rather than truncates.
        assert!(p.show_configfs_dev_params(&mut buf[..20]).is_err());
    }

    #[test]
    fn dev_name_is_any_text_kept_to_255_bytes() {
        let mut p = FdParams::new();
        // Spaces and '=' are part of the name; only ',' and '\n' split.
        set(&mut p, "fd_dev_name= /a b=c ").0.unwrap();
        assert_eq!(p.dev_name(), b" /a b=c ");
        let long: String = core::iter::repeat('x').take(300).collect();
        let (r, _) = set(&mut p, &std::format!("fd_dev_name={}", long));
        assert_eq!(r, Ok(()));
        assert_eq!(p.dev_name().len(), 255);
        // A shorter name replaces the whole old one.
        set(&mut p, "fd_dev_name=/y").0.unwrap();
        assert_eq!(p.dev_name(), b"/y");
        assert_eq!(p.dev_name_with_nul(), b"/y\0");
        // An empty value matches no pattern: ignored, the old name stays.
        let (r, log) = set(&mut p, "fd_dev_name=");
        assert_eq!((r, log.len()), (Ok(()), 0));
        assert_eq!(p.dev_name(), b"/y");
        // Text after a NUL is not read.
        set(&mut p, "fd_dev_name=/z\0,fd_dev_size=9").0.unwrap();
        assert_eq!(p.dev_name(), b"/z");
        assert!(!p.has_size);
    }

    #[test]
    fn dev_size_is_kstrtoull() {
        let mut p = FdParams::new();
        for (text, value) in [("0x1000", 4096), ("010", 8), ("+5", 5), ("0", 0)] {
            let (r, _) = set(&mut p, &std::format!("fd_dev_size={}", text));
            assert_eq!(r, Ok(()), "{}", text);
            assert_eq!(p.dev_size, value, "{}", text);
        }
        for (text, err) in [
            ("4M", FdError::Inval),
            ("-1", FdError::Inval),
            (" 1", FdError::Inval),
            ("1 ", FdError::Inval),
            ("08", FdError::Inval),
            ("18446744073709551616", FdError::Range),
        ] {
            p.dev_size = 7;
            let (r, log) = set(&mut p, &std::format!("fd_dev_size={}", text));
            assert_eq!(r, Err(err), "{}", text);
            assert_eq!(p.dev_size, 7, "{}", text);
            assert_eq!(
                log,
                [(Level::Err, "kstrtoull() failed for fd_dev_size=\n".into())]
            );
        }
        // An empty value matches nothing: ignored.
        assert_eq!(set(&mut p, "fd_dev_size=").0, Ok(()));
    }

    #[test]
    fn a_bad_token_stops_the_store_but_keeps_what_came_before() {
        let mut p = FdParams::new();
        let (r, _) = set(&mut p, "fd_dev_name=/a,fd_dev_size=xyz,fd_buffered_io=1");
        assert_eq!(r, Err(FdError::Inval));
        assert!(p.has_path && !p.has_size && !p.buffered_io);
        assert_eq!(p.dev_name(), b"/a");
    }

    #[test]
    fn buffered_and_async_io_must_be_1() {
        for key in ["fd_buffered_io", "fd_async_io"] {
            let mut p = FdParams::new();
            for (value, shown) in [("0", 0), ("2", 2), ("-1", -1), ("-", 0), ("0x10", 16)] {
                let (r, log) = set(&mut p, &std::format!("{}={}", key, value));
                assert_eq!(r, Err(FdError::Inval), "{}={}", key, value);
                assert_eq!(
                    log,
                    [(Level::Err, std::format!("bogus {}={} value\n", key, shown))]
                );
            }
            // simple_strtol wraps to a long: 2^64 - 1 is -1.
            let (r, log) = set(&mut p, &std::format!("{}=18446744073709551615", key));
            assert_eq!(r, Err(FdError::Inval));
            assert_eq!(log[0].1, std::format!("bogus {}=-1 value\n", key));
            for value in ["2147483648", "-2147483649", "000000000000000000000001"] {
                let (r, log) = set(&mut p, &std::format!("{}={}", key, value));
                assert_eq!(r, Err(FdError::Range), "{}={}", key, value);
                assert!(log.is_empty());
            }
            // Values %d does not match are ignored: no error, nothing set.
            for value in ["", "abc", "1x", "+1", " 1", "1 ", "0x", "08", "--1", "1.0"] {
                let (r, log) = set(&mut p, &std::format!("{}={}", key, value));
                assert_eq!((r, log.len()), (Ok(()), 0), "{}={}", key, value);
            }
            assert!(!p.buffered_io && !p.async_io);
            assert_eq!(set(&mut p, &std::format!("{}=01", key)).0, Ok(()));
            assert_eq!(set(&mut p, &std::format!("{}=-0x", key)).0, Ok(()));
        }
    }

    #[test]
    fn unknown_tokens_are_ignored() {
        let mut p = FdParams::new();
        let (r, log) = set(
            &mut p,
            "udev_path=/x,,\n\nFD_DEV_NAME=/a,fd_dev_name,fd_dev_size,fd_dev_name =/b,rd_pages=8",
        );
        assert_eq!((r, log.len()), (Ok(()), 0));
        assert!(!p.has_path && !p.has_size);
    }

    #[test]
    fn enable_of_a_file() {
        let mut p = FdParams::new();
        let (r, log) = logged(|log| p.check_configfs_dev_params(log));
        assert_eq!(r, Err(FdError::Inval));
        assert_eq!(log, [(Level::Err, "Missing fd_dev_name=\n".into())]);

        set(&mut p, "fd_dev_name=/tmp/f").0.unwrap();
        assert_eq!(logged(|log| p.check_configfs_dev_params(log)).0, Ok(()));
        let (flags, log) = logged(|log| p.open_flags(log));
        assert_eq!((flags, log.len()), (FdOpenFlags { dsync: true }, 0));
        let (r, log) = logged(|log| p.configure(FdBacking::File, log));
        assert_eq!(r, Err(FdError::Inval));
        assert_eq!(
            log,
            [(
                Level::Err,
                "FILEIO: Missing fd_dev_size= parameter, and no backing struct block_device\n"
                    .into()
            )]
        );
        let (_, log) = logged(|log| p.log_open_failed(log));
        assert_eq!(log, [(Level::Err, "filp_open(/tmp/f) failed\n".into())]);

        set(&mut p, "fd_dev_size=4194304").0.unwrap();
        let (r, log) = logged(|log| p.configure(FdBacking::File, log));
        assert!(log.is_empty());
        assert_eq!(
            r,
            Ok(FdDeviceSetup {
                fd_block_size: 512,
                hw_block_size: 512,
                hw_max_sectors: 16384,
                hw_queue_depth: 128,
                max_write_same_len: 0x1000,
                set_nonrot: false,
                force_write_cache: false,
            })
        );
        let (_, log) = logged(|log| p.set_dev_id(1, 0, 128, log));
        assert_eq!(
            log,
            [(
                Level::Debug,
                "CORE_FILE[1] - Added TCM FILEIO Device ID: 0 at /tmp/f, 4194304 total bytes\n"
                    .into()
            )]
        );
        assert_eq!((p.dev_id, p.queue_depth), (0, 128));
        assert_eq!(fd_get_blocks(None, p.dev_size, 512), 8191);
    }

    #[test]
    fn enable_buffered_forces_the_write_cache() {
        let mut p = FdParams::new();
        set(&mut p, "fd_dev_name=/f,fd_dev_size=1M,fd_buffered_io=1")
            .0
            .unwrap_err();
        set(&mut p, "fd_dev_size=1048576,fd_buffered_io=1")
            .0
            .unwrap();
        let (flags, log) = logged(|log| p.open_flags(log));
        assert_eq!(flags, FdOpenFlags { dsync: false });
        assert_eq!(
            log,
            [(
                Level::Debug,
                "FILEIO: Disabling O_DSYNC, using buffered FILEIO\n".into()
            )]
        );
        let (r, log) = logged(|log| p.configure(FdBacking::File, log));
        assert!(r.unwrap().force_write_cache);
        assert_eq!(
            log[0].1,
            "FILEIO: Forcing setting of emulate_write_cache=1 with FDBD_HAS_BUFFERED_IO_WCE\n"
        );
    }

    fn loop_dev() -> BdevFacts {
        BdevFacts {
            logical_block_size: 4096,
            size: 64 << 20,
            nonrot: true,
            max_discard_sectors: 8388607,
            discard_granularity: 4096,
            discard_alignment: 0,
        }
    }

    #[test]
    fn enable_of_a_block_device() {
        let mut p = FdParams::new();
        // No fd_dev_size= needed; a given one is kept (and shown) but not used.
        set(&mut p, "fd_dev_name=/dev/loop0").0.unwrap();
        let (r, log) = logged(|log| p.configure(FdBacking::BlockDevice(loop_dev()), log));
        assert_eq!(
            r,
            Ok(FdDeviceSetup {
                fd_block_size: 4096,
                hw_block_size: 4096,
                hw_max_sectors: 2048,
                hw_queue_depth: 128,
                max_write_same_len: 0xFFFF,
                set_nonrot: true,
                force_write_cache: false,
            })
        );
        assert_eq!(
            log,
            [(
                Level::Debug,
                "FILEIO: Using size: 67104768 bytes from struct block_device blocks: 16383 logical_block_size: 4096\n"
                    .into()
            )]
        );
        let rot = BdevFacts {
            nonrot: false,
            logical_block_size: 512,
            ..loop_dev()
        };
        let r = logged(|log| p.configure(FdBacking::BlockDevice(rot), log)).0;
        assert_eq!(
            r.map(|s| (s.set_nonrot, s.hw_max_sectors)),
            Ok((false, 16384))
        );
        assert_eq!(fd_get_blocks(Some(64 << 20), 0, 4096), 16383);
        assert_eq!(fd_get_blocks(Some(64 << 20), 12345, 512), 131071);
    }

    #[test]
    fn unmap_limits() {
        assert_eq!(
            fd_configure_unmap(&FdBacking::File),
            Some(UnmapSetup {
                max_unmap_lba_count: 0x2000,
                max_unmap_block_desc_count: 1,
                unmap_granularity: 1,
                unmap_granularity_alignment: 0,
            })
        );
        assert_eq!(
            fd_configure_unmap(&FdBacking::BlockDevice(loop_dev())),
            Some(UnmapSetup {
                max_unmap_lba_count: 8388607 >> 3,
                max_unmap_block_desc_count: 1,
                unmap_granularity: 1,
                unmap_granularity_alignment: 0,
            })
        );
        let b512 = BdevFacts {
            logical_block_size: 512,
            discard_granularity: 65536,
            discard_alignment: 1024,
            ..loop_dev()
        };
        assert_eq!(
            fd_configure_unmap(&FdBacking::BlockDevice(b512)),
            Some(UnmapSetup {
                max_unmap_lba_count: 8388607,
                max_unmap_block_desc_count: 1,
                unmap_granularity: 128,
                unmap_granularity_alignment: 2,
            })
        );
        let no_discard = BdevFacts {
            max_discard_sectors: 0,
            ..loop_dev()
        };
        assert_eq!(
            fd_configure_unmap(&FdBacking::BlockDevice(no_discard)),
            None
        );
    }

    #[test]
    fn sizes_and_ranges() {
        // A size below one block wraps, as LIO's unsigned arithmetic does.
        assert_eq!(fd_get_blocks(None, 0, 512), (u64::MAX - 511) / 512);
        assert_eq!(fd_get_blocks(None, 1024, 0), 0);
        assert_eq!(target_to_linux_sector(4096, 3), 24);
        assert_eq!(target_to_linux_sector(2048, 3), 12);
        assert_eq!(target_to_linux_sector(1024, 3), 6);
        assert_eq!(target_to_linux_sector(512, 3), 3);
        assert_eq!(target_to_linux_sector(520, 3), 3);
        assert_eq!(fd_sync_range(0, 0, 512), (0, LLONG_MAX));
        assert_eq!(fd_sync_range(8, 0, 512), (4096, LLONG_MAX));
        assert_eq!(fd_sync_range(0, 2, 512), (0, 1023));
        assert_eq!(fd_sync_range(8, 2, 4096), (32768, 32768 + 8191));
        assert_eq!(fd_sync_range(u64::MAX, 1, 512), (LLONG_MAX, LLONG_MAX));
    }
}
