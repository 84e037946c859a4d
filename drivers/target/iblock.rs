// SPDX-License-Identifier: GPL-2.0

//! iblock's configfs logic and enable-time decisions (LIO: `target_core_iblock.c`), as
//! pure `core` code: tools/testing/host compiles and tests this very file.
//!
//! * [`IbParams::set_configfs_dev_params`]: the `control` attribute (`udev_path=`,
//!   `readonly=`, `force=`, which 6.12 accepts and ignores) with `match_token()`'s
//!   matching and the C's errnos and messages.
//! * [`IbParams::show_configfs_dev_params`]: the `info` text, byte for byte.
//! * [`IbParams::check_configfs_dev_params`], [`iblock_configure`],
//!   [`iblock_configure_unmap`]: `iblock_configure_device()` around the
//!   `bdev_file_open_by_path()` the kernel side does, returning what the device gets.
//! * [`iblock_get_blocks`], [`iblock_get_lbppbe`], [`iblock_get_alignment_offset_lbas`],
//!   [`iblock_write_fua`], [`iblock_zero_out_ok`], [`target_to_linux_sector`]: the
//!   arithmetic and decisions of the command path.

use super::lio::parse::{control_tokens, kstrtoul, match_pattern_d, ParseError};
use core::fmt::{self, Write};

/// `IBLOCK_VERSION`: the backend's `inquiry_rev`.
pub(crate) const IBLOCK_VERSION: &str = "4.0";
/// `SE_UDEV_PATH_LEN`: the path buffer, NUL included.
pub(crate) const SE_UDEV_PATH_LEN: usize = 512;
/// `max_write_same_len` of a device without WRITE ZEROES: WRITE SAME (10)'s two-byte
/// block count.
pub(crate) const IBLOCK_MAX_WRITE_SAME_LEN: u32 = 0xFFFF;

/// The errnos iblock's configfs logic fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IbError {
    /// `-EINVAL`.
    Inval,
    /// `-ERANGE`.
    Range,
    /// `-EEXIST`.
    Exist,
}

impl From<ParseError> for IbError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Invalid => IbError::Inval,
            ParseError::Range => IbError::Range,
        }
    }
}

/// The `printk` level of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// `pr_err`.
    Err,
    /// `pr_debug`.
    Debug,
}

/// Where messages go: `log(level, text)`; `text` ends with `\n` as in the C.
pub(crate) type Log<'a> = &'a mut dyn FnMut(Level, fmt::Arguments<'_>);

/// A path or name, printed with `%s`: its bytes, not necessarily UTF-8.
struct Bytes<'a>(&'a [u8]);

impl fmt::Display for Bytes<'_> {
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

/// The configfs side of `struct iblock_dev`: what `control` sets.
#[derive(Clone)]
pub(crate) struct IbParams {
    /// `ibd_udev_path`: NUL-terminated, as `match_strlcpy()` leaves it.
    udev_path: [u8; SE_UDEV_PATH_LEN],
    /// `IBDF_HAS_UDEV_PATH`.
    pub(crate) has_udev_path: bool,
    /// `ibd_readonly`.
    pub(crate) readonly: bool,
}

/// The claimed block device as `info` shows it (`ibd_bd`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BdevId<'a> {
    /// `%pg`: the device's name (`loop0`).
    pub(crate) name: &'a [u8],
    /// `MAJOR(bd_dev)`.
    pub(crate) major: u32,
    /// `MINOR(bd_dev)`.
    pub(crate) minor: u32,
}

/// A `control` token, as `match_token()` classifies it against iblock's table.
enum Token<'a> {
    /// `udev_path=%s`.
    UdevPath(&'a [u8]),
    /// `readonly=%d`.
    Readonly(&'a [u8]),
    /// `force=%d` (ignored) and `Opt_err`.
    Other,
}

fn match_token(token: &[u8]) -> Token<'_> {
    if let Some(a) = token.strip_prefix(b"udev_path=").filter(|a| !a.is_empty()) {
        Token::UdevPath(a)
    } else if let Some(a) = token
        .strip_prefix(b"readonly=")
        .filter(|a| match_pattern_d(a))
    {
        Token::Readonly(a)
    } else {
        Token::Other
    }
}

impl Default for IbParams {
    fn default() -> Self {
        Self::new()
    }
}

impl IbParams {
    /// A device with nothing set (`iblock_alloc_device()`'s zeroed `iblock_dev`).
    pub(crate) const fn new() -> Self {
        IbParams {
            udev_path: [0; SE_UDEV_PATH_LEN],
            has_udev_path: false,
            readonly: false,
        }
    }

    /// `ibd_udev_path` without its NUL.
    pub(crate) fn udev_path(&self) -> &[u8] {
        let n = self
            .udev_path
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(SE_UDEV_PATH_LEN);
        self.udev_path.get(..n).unwrap_or(&[])
    }

    /// `ibd_udev_path` with its NUL, for `bdev_file_open_by_path()`.
    pub(crate) fn udev_path_with_nul(&self) -> &[u8] {
        let n = self.udev_path().len();
        self.udev_path.get(..=n).unwrap_or(&[0])
    }

    /// `iblock_set_configfs_dev_params()`: the tokens of `page` (split at `,` and `\n`,
    /// up to a NUL) in order; those that match no option (and `force=N`) are ignored, an
    /// error fails the store and leaves the rest unread (what was set before stays set).
    /// `opened`: the block device is claimed (`ibd_bd`).
    ///
    /// * `udev_path=PATH`: `-EEXIST` once the device is claimed; any non-empty text,
    ///   kept to 511 bytes.
    /// * `readonly=N`: an integer as `%d` matches it, then `kstrtoul(N, 0)` (so `-1`
    ///   fails with `-EINVAL`); nonzero is read-only.
    pub(crate) fn set_configfs_dev_params(
        &mut self,
        page: &[u8],
        opened: bool,
        log: Log<'_>,
    ) -> Result<(), IbError> {
        for token in control_tokens(page) {
            match match_token(token) {
                Token::UdevPath(arg) => {
                    if opened {
                        log(
                            Level::Err,
                            format_args!("Unable to set udev_path= while ib_dev->ibd_bd exists\n"),
                        );
                        return Err(IbError::Exist);
                    }
                    let n = arg.len().min(SE_UDEV_PATH_LEN - 1);
                    self.udev_path = [0; SE_UDEV_PATH_LEN];
                    if let (Some(dst), Some(src)) = (self.udev_path.get_mut(..n), arg.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                    log(
                        Level::Debug,
                        format_args!(
                            "IBLOCK: Referencing UDEV path: {}\n",
                            Bytes(self.udev_path())
                        ),
                    );
                    self.has_udev_path = true;
                }
                Token::Readonly(arg) => match kstrtoul(arg, 0) {
                    Ok(v) => {
                        self.readonly = v != 0;
                        log(
                            Level::Debug,
                            format_args!("IBLOCK: readonly: {}\n", u8::from(self.readonly)),
                        );
                    }
                    Err(e) => {
                        log(
                            Level::Err,
                            format_args!("kstrtoul() failed for readonly=\n"),
                        );
                        return Err(e.into());
                    }
                },
                Token::Other => {}
            }
        }
        Ok(())
    }

    /// `iblock_show_configfs_dev_params()` into `buf`: returns the length. `bd` is the
    /// claimed device, if any. `fmt::Error` if `buf` is too small.
    pub(crate) fn show_configfs_dev_params(
        &self,
        bd: Option<BdevId<'_>>,
        buf: &mut [u8],
    ) -> Result<usize, fmt::Error> {
        let mut w = Cursor { buf, len: 0 };
        if let Some(bd) = bd {
            w.write_str("iBlock device: ")?;
            w.write_bytes(bd.name)?;
        }
        if self.has_udev_path {
            w.write_str("  UDEV PATH: ")?;
            w.write_bytes(self.udev_path())?;
        }
        writeln!(w, "  readonly: {}", u8::from(self.readonly))?;
        w.write_str("        ")?;
        match bd {
            Some(bd) => writeln!(
                w,
                "Major: {} Minor: {}  CLAIMED: IBLOCK",
                bd.major, bd.minor
            )?,
            None => w.write_str("Major: 0 Minor: 0\n")?,
        }
        Ok(w.len)
    }

    /// The first check of `iblock_configure_device()`: a path must have been given.
    /// Then the kernel side opens it for reading, and writing unless
    /// [`Self::readonly`] (which also makes the device `DF_READ_ONLY`).
    pub(crate) fn check_configfs_dev_params(&self, log: Log<'_>) -> Result<(), IbError> {
        if !self.has_udev_path {
            log(
                Level::Err,
                format_args!("Missing udev_path= parameters for IBLOCK\n"),
            );
            return Err(IbError::Inval);
        }
        log(
            Level::Debug,
            format_args!(
                "IBLOCK: Claiming struct block_device: {}\n",
                Bytes(self.udev_path())
            ),
        );
        Ok(())
    }
}

/// What the kernel side reads of the claimed block device (`rust/lio/bio.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IbFacts {
    /// `bdev_logical_block_size()`.
    pub(crate) logical_block_size: u32,
    /// `bdev_physical_block_size()`.
    pub(crate) physical_block_size: u32,
    /// `bdev_nr_bytes()`.
    pub(crate) nr_bytes: u64,
    /// `queue_max_hw_sectors()` (512-byte sectors).
    pub(crate) max_hw_sectors: u32,
    /// `q->nr_requests`.
    pub(crate) nr_requests: u32,
    /// `bdev_max_discard_sectors()` (0: no discard).
    pub(crate) max_discard_sectors: u32,
    /// `bdev_discard_granularity()` in bytes.
    pub(crate) discard_granularity: u32,
    /// `bdev_discard_alignment()` in bytes.
    pub(crate) discard_alignment: u32,
    /// `bdev_write_zeroes_sectors()`.
    pub(crate) max_write_zeroes_sectors: u32,
    /// `bdev_io_min()` in bytes.
    pub(crate) io_min: u32,
    /// `bdev_io_opt()` in bytes.
    pub(crate) io_opt: u32,
    /// `bdev_alignment_offset()` in bytes (-1: misaligned).
    pub(crate) alignment_offset: i32,
    /// `bdev_nonrot()`.
    pub(crate) nonrot: bool,
    /// `bdev_write_cache()`.
    pub(crate) write_cache: bool,
    /// `bdev_fua()`.
    pub(crate) fua: bool,
}

/// What `target_configure_unmap_from_queue()` gives the device's `dev_attrib`.
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

/// What `iblock_configure_device()` gives the device's `dev_attrib`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IbDeviceSetup {
    /// `hw_block_size`: the logical block size.
    pub(crate) hw_block_size: u32,
    /// `hw_max_sectors`: `mult_frac(queue_max_hw_sectors, 512, hw_block_size)`.
    pub(crate) hw_max_sectors: u32,
    /// `hw_queue_depth`: the queue's `nr_requests`.
    pub(crate) hw_queue_depth: u32,
    /// `max_write_same_len`: `bdev_write_zeroes_sectors()` if any, else 0xFFFF.
    pub(crate) max_write_same_len: u32,
    /// Set `is_nonrot = 1`; otherwise the attribute is left as it is.
    pub(crate) set_nonrot: bool,
}

/// `mult_frac(x, n, d)` of `<linux/math.h>` (no overflow for `x < 2^32`, `n` small).
fn mult_frac(x: u32, n: u32, d: u32) -> u32 {
    if d == 0 {
        return 0;
    }
    let (q, r) = (x / d, x % d);
    q.wrapping_mul(n).wrapping_add(r.wrapping_mul(n) / d)
}

/// `iblock_configure_device()` once the device is claimed: the hardware attributes.
/// (Block integrity profiles are not looked at: protection information is unsupported.)
pub(crate) fn iblock_configure(f: &IbFacts) -> IbDeviceSetup {
    IbDeviceSetup {
        hw_block_size: f.logical_block_size,
        hw_max_sectors: mult_frac(f.max_hw_sectors, 512, f.logical_block_size),
        hw_queue_depth: f.nr_requests,
        max_write_same_len: match f.max_write_zeroes_sectors {
            0 => IBLOCK_MAX_WRITE_SAME_LEN,
            n => n,
        },
        set_nonrot: f.nonrot,
    }
}

/// `iblock_configure_unmap()` = `target_configure_unmap_from_queue()`: `None` if the
/// device cannot discard.
pub(crate) fn iblock_configure_unmap(f: &IbFacts) -> Option<UnmapSetup> {
    if f.max_discard_sectors == 0 {
        return None;
    }
    let bs = f.logical_block_size;
    // ilog2(block_size) - 9: logical blocks are 512 bytes or more.
    let shift = bs.checked_ilog2()?.checked_sub(9)?;
    Some(UnmapSetup {
        max_unmap_lba_count: f.max_discard_sectors >> shift,
        max_unmap_block_desc_count: 1,
        unmap_granularity: f.discard_granularity / bs,
        unmap_granularity_alignment: f.discard_alignment / bs,
    })
}

/// `iblock_get_blocks()`: the last LBA in blocks of the device's `block_size`, from the
/// size in logical blocks of `lbs` bytes (converted between 512, 1024, 2048 and 4096;
/// other pairs are left in logical blocks, as in the C).
pub(crate) fn iblock_get_blocks(nr_bytes: u64, lbs: u32, block_size: u32) -> u64 {
    let blocks = nr_bytes
        .checked_div(u64::from(lbs))
        .unwrap_or(0)
        .wrapping_sub(1);
    if lbs == block_size {
        return blocks;
    }
    let ilog = |b: u32| match b {
        512 | 1024 | 2048 | 4096 => Some(b.ilog2()),
        _ => None,
    };
    match (ilog(lbs), ilog(block_size)) {
        (Some(from), Some(to)) if from > to => blocks << (from - to),
        (Some(from), Some(to)) => blocks >> (to - from),
        _ => blocks,
    }
}

/// `iblock_get_lbppbe()`: `ilog2(physical / logical block size)`.
pub(crate) fn iblock_get_lbppbe(f: &IbFacts) -> u32 {
    f.physical_block_size
        .checked_div(f.logical_block_size)
        .and_then(u32::checked_ilog2)
        .unwrap_or(0)
}

/// `iblock_get_alignment_offset_lbas()`: the alignment offset in logical blocks (0 when
/// misaligned).
pub(crate) fn iblock_get_alignment_offset_lbas(f: &IbFacts) -> u64 {
    if f.alignment_offset == -1 {
        return 0;
    }
    // The C divides the int by an unsigned int: a negative offset wraps.
    (f.alignment_offset as u32)
        .checked_div(f.logical_block_size)
        .map_or(0, u64::from)
}

/// `iblock_execute_rw()`'s `REQ_FUA` on a write: the device does FUA and either the
/// initiator asked (`SCF_FUA`) or it has no volatile write cache (write-through).
pub(crate) fn iblock_write_fua(f: &IbFacts, scf_fua: bool) -> bool {
    f.fua && (scf_fua || !f.write_cache)
}

/// `iblock_execute_write_same()`: `blkdev_issue_zeroout()` is used when the device has
/// WRITE ZEROES and the block is all zeroes (`iblock_execute_zero_out()`); otherwise the
/// block is written repeatedly.
pub(crate) fn iblock_zero_out_ok(f: &IbFacts, block: &[u8]) -> bool {
    f.max_write_zeroes_sectors != 0 && block.iter().all(|&b| b == 0)
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn run(p: &mut IbParams, page: &[u8], opened: bool) -> (Result<(), IbError>, Vec<String>) {
        let mut msgs = Vec::new();
        let r = p.set_configfs_dev_params(page, opened, &mut |l, a| {
            msgs.push(std::format!("{:?}: {}", l, a))
        });
        (r, msgs)
    }

    fn show(p: &IbParams, bd: Option<BdevId<'_>>) -> String {
        let mut buf = [0u8; 1200];
        let n = p.show_configfs_dev_params(bd, &mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn control_parsing() {
        let mut p = IbParams::new();
        let (r, msgs) = run(&mut p, b"udev_path=/dev/loop0,readonly=1\n", false);
        assert_eq!(r, Ok(()));
        assert_eq!(p.udev_path(), b"/dev/loop0");
        assert_eq!(p.udev_path_with_nul(), b"/dev/loop0\0");
        assert!(p.has_udev_path && p.readonly);
        assert_eq!(
            msgs,
            [
                "Debug: IBLOCK: Referencing UDEV path: /dev/loop0\n",
                "Debug: IBLOCK: readonly: 1\n"
            ]
        );
        // readonly=0x10 is nonzero; readonly=0 clears it; force= and unknown tokens are
        // ignored, as are values %d does not match.
        assert_eq!(run(&mut p, b"readonly=0x10", false).0, Ok(()));
        assert!(p.readonly);
        assert_eq!(
            run(&mut p, b"force=1,foo=bar,readonly=abc,readonly=0", false).0,
            Ok(())
        );
        assert!(!p.readonly);
        // kstrtoul refuses a sign: EINVAL, and the store stops there.
        let (r, msgs) = run(&mut p, b"readonly=-1,udev_path=/dev/sdb", false);
        assert_eq!(r, Err(IbError::Inval));
        assert_eq!(msgs, ["Err: kstrtoul() failed for readonly=\n"]);
        assert_eq!(p.udev_path(), b"/dev/loop0");
        // Overflow: ERANGE.
        assert_eq!(
            run(&mut p, b"readonly=99999999999999999999", false).0,
            Err(IbError::Range)
        );
        // A claimed device keeps its path.
        let (r, msgs) = run(&mut p, b"readonly=1,udev_path=/dev/sdb", true);
        assert_eq!(r, Err(IbError::Exist));
        assert!(p.readonly);
        assert_eq!(
            msgs.last().unwrap(),
            "Err: Unable to set udev_path= while ib_dev->ibd_bd exists\n"
        );
        // An empty path matches nothing; a long one is cut at 511 bytes.
        let mut q = IbParams::new();
        assert_eq!(run(&mut q, b"udev_path=", false).0, Ok(()));
        assert!(!q.has_udev_path);
        let mut long = b"udev_path=".to_vec();
        long.extend(core::iter::repeat_n(b'x', 600));
        assert_eq!(run(&mut q, &long, false).0, Ok(()));
        assert_eq!(q.udev_path().len(), 511);
        // Up to a NUL only.
        let mut r = IbParams::new();
        assert_eq!(run(&mut r, b"readonly=1\0,udev_path=/x", false).0, Ok(()));
        assert!(!r.has_udev_path);
    }

    #[test]
    fn info_text() {
        let mut p = IbParams::new();
        assert_eq!(show(&p, None), "  readonly: 0\n        Major: 0 Minor: 0\n");
        run(&mut p, b"udev_path=/dev/loop0", false).0.unwrap();
        assert_eq!(
            show(&p, None),
            "  UDEV PATH: /dev/loop0  readonly: 0\n        Major: 0 Minor: 0\n"
        );
        let bd = BdevId {
            name: b"loop0",
            major: 7,
            minor: 0,
        };
        assert_eq!(
            show(&p, Some(bd)),
            "iBlock device: loop0  UDEV PATH: /dev/loop0  readonly: 0\n        Major: 7 Minor: 0  CLAIMED: IBLOCK\n"
        );
        let mut small = [0u8; 10];
        assert!(p.show_configfs_dev_params(Some(bd), &mut small).is_err());
    }

    #[test]
    fn configure_check() {
        let p = IbParams::new();
        let mut msgs = Vec::new();
        let r = p.check_configfs_dev_params(&mut |l, a| msgs.push(std::format!("{:?}: {}", l, a)));
        assert_eq!(r, Err(IbError::Inval));
        assert_eq!(msgs, ["Err: Missing udev_path= parameters for IBLOCK\n"]);
    }

    fn loop_facts() -> IbFacts {
        IbFacts {
            logical_block_size: 512,
            physical_block_size: 512,
            nr_bytes: 64 << 20,
            max_hw_sectors: 2560,
            nr_requests: 128,
            max_discard_sectors: 0x7fff_ffff >> 9,
            discard_granularity: 4096,
            discard_alignment: 0,
            max_write_zeroes_sectors: 0x7fff_ffff >> 9,
            io_min: 512,
            io_opt: 0,
            alignment_offset: 0,
            nonrot: false,
            write_cache: false,
            fua: false,
        }
    }

    #[test]
    fn configure_attributes() {
        let f = loop_facts();
        assert_eq!(
            iblock_configure(&f),
            IbDeviceSetup {
                hw_block_size: 512,
                hw_max_sectors: 2560,
                hw_queue_depth: 128,
                max_write_same_len: 0x7fff_ffff >> 9,
                set_nonrot: false,
            }
        );
        // 4K logical blocks: max_hw_sectors in 4K blocks; no WRITE ZEROES: 0xFFFF.
        let g = IbFacts {
            logical_block_size: 4096,
            physical_block_size: 4096,
            max_hw_sectors: 1023,
            max_write_zeroes_sectors: 0,
            nonrot: true,
            ..f
        };
        let s = iblock_configure(&g);
        assert_eq!(s.hw_max_sectors, 127); // mult_frac(1023, 512, 4096)
        assert_eq!(s.max_write_same_len, 0xFFFF);
        assert!(s.set_nonrot);
        assert_eq!(
            iblock_configure_unmap(&f),
            Some(UnmapSetup {
                max_unmap_lba_count: 0x7fff_ffff >> 9,
                max_unmap_block_desc_count: 1,
                unmap_granularity: 8,
                unmap_granularity_alignment: 0,
            })
        );
        let u = iblock_configure_unmap(&IbFacts {
            max_discard_sectors: 8192,
            discard_alignment: 8192,
            ..g
        })
        .unwrap();
        assert_eq!(
            (
                u.max_unmap_lba_count,
                u.unmap_granularity,
                u.unmap_granularity_alignment
            ),
            (1024, 1, 2)
        );
        assert_eq!(
            iblock_configure_unmap(&IbFacts {
                max_discard_sectors: 0,
                ..f
            }),
            None
        );
    }

    #[test]
    fn blocks_and_geometry() {
        assert_eq!(iblock_get_blocks(64 << 20, 512, 512), (64 << 11) - 1);
        // 512-byte logical blocks seen as 4K: the last LBA shifted, as the C does it.
        assert_eq!(
            iblock_get_blocks(64 << 20, 512, 4096),
            ((64 << 11) - 1) >> 3
        );
        assert_eq!(iblock_get_blocks(64 << 20, 4096, 512), ((64 << 8) - 1) << 3);
        assert_eq!(
            iblock_get_blocks(64 << 20, 4096, 1024),
            ((64 << 8) - 1) << 2
        );
        assert_eq!(
            iblock_get_blocks(64 << 20, 1024, 2048),
            ((64 << 10) - 1) >> 1
        );
        // Unknown sizes: unchanged.
        assert_eq!(iblock_get_blocks(64 << 20, 512, 520), (64 << 11) - 1);
        let f = loop_facts();
        assert_eq!(iblock_get_lbppbe(&f), 0);
        assert_eq!(
            iblock_get_lbppbe(&IbFacts {
                physical_block_size: 4096,
                ..f
            }),
            3
        );
        assert_eq!(iblock_get_alignment_offset_lbas(&f), 0);
        assert_eq!(
            iblock_get_alignment_offset_lbas(&IbFacts {
                alignment_offset: 3584,
                ..f
            }),
            7
        );
        assert_eq!(
            iblock_get_alignment_offset_lbas(&IbFacts {
                alignment_offset: -1,
                ..f
            }),
            0
        );
        assert_eq!(target_to_linux_sector(4096, 3), 24);
        assert_eq!(target_to_linux_sector(512, 3), 3);
    }

    #[test]
    fn fua_and_zero_out() {
        let f = loop_facts();
        assert!(!iblock_write_fua(&f, true));
        let fua = IbFacts { fua: true, ..f };
        assert!(iblock_write_fua(&fua, false)); // write-through
        let wc = IbFacts {
            write_cache: true,
            ..fua
        };
        assert!(!iblock_write_fua(&wc, false));
        assert!(iblock_write_fua(&wc, true));
        assert!(iblock_zero_out_ok(&f, &[0; 512]));
        let mut b = [0u8; 512];
        b[511] = 1;
        assert!(!iblock_zero_out_ok(&f, &b));
        assert!(!iblock_zero_out_ok(
            &IbFacts {
                max_write_zeroes_sectors: 0,
                ..f
            },
            &[0; 512]
        ));
    }
}
