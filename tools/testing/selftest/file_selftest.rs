// SPDX-License-Identifier: GPL-2.0

//! lio_file_selftest: a test of the kernel file layer (`rust/lio/file.rs`) and of
//! fileio's medium (`drivers/target/fd_medium.rs`) in the guest (fileio branch only).
//!
//! On load it runs its checks and prints one line per check to the kernel log,
//! `lio_file_selftest: ok - NAME` or `lio_file_selftest: not ok - NAME`, then a summary
//! `lio_file_selftest: N passed, M failed`. Paths (prepared by `file_selftest.sh`):
//!
//! * `/tmp/lio_file_selftest/tmpfs.img`: created here, a 4 MiB file on tmpfs;
//! * `/tmp/lio_file_selftest/ext4/file.img`: the same on ext4, if that directory exists
//!   (an ext4 mount on a loop device), for real direct I/O and hole punching;
//! * `/tmp/lio_file_selftest/bdev`: a symlink to a block device of 8 MiB (a loop
//!   device), if it exists.
//!
//! The module keeps the tmpfs file open until it is unloaded, where it checks it once more
//! and closes it.

// As in target_core.rs: the configfs trampolines of rust/lio are `unsafe extern "C"`.
#![allow(clippy::missing_safety_doc)]

use core::fmt;
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

// rust/lio (only its file layer is used) and the pure SCSI files fd_medium.rs needs.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/cdb.rs"]
mod cdb;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/exec.rs"]
mod exec;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/fd_medium.rs"]
mod fd_medium;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/fileio.rs"]
mod fileio;
#[allow(dead_code, unused_macros, unused_imports, unreachable_pub)]
#[path = "../../../rust/lio/lio.rs"]
mod lio;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/sbc.rs"]
mod sbc;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/sense.rs"]
mod sense;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/spc.rs"]
mod spc;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../drivers/target/ua.rs"]
mod ua;

use exec::{Medium, SliceData};
use fd_medium::{printk, FdMedium};
use fileio::{FdBacking, FdParams};
use lio::file::{File, IoBuf, IoFlags, OpenFlags};
use sense::SenseReason;

module! {
    type: FileSelftest,
    name: "lio_file_selftest",
    author: "lio-rs developers",
    description: "lio-rs: self-test of rust/lio/file.rs and fileio's medium",
    license: "GPL",
}

const MIB: usize = 1 << 20;
/// The size of the test files.
const FILE_SIZE: usize = 4 * MIB;
/// The piece size of pattern writes and compares.
const PIECE: usize = 64 * 1024;

const TMPFS_FILE: &CStr = c_str!("/tmp/lio_file_selftest/tmpfs.img");
const EXT4_DIR: &CStr = c_str!("/tmp/lio_file_selftest/ext4");
const EXT4_FILE: &CStr = c_str!("/tmp/lio_file_selftest/ext4/file.img");
const BDEV: &CStr = c_str!("/tmp/lio_file_selftest/bdev");

/// The test pattern: a byte of position `pos` for pass `seed`.
fn pat(pos: usize, seed: u8) -> u8 {
    ((pos ^ (pos >> 8) ^ (pos >> 16) ^ (pos >> 24)) as u8).wrapping_add(seed)
}

fn fill(buf: &mut [u8], pos: usize, seed: u8) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pat(pos + i, seed);
    }
}

fn is_pat(buf: &[u8], pos: usize, seed: u8) -> bool {
    buf.iter()
        .enumerate()
        .all(|(i, &b)| b == pat(pos + i, seed))
}

/// Check results.
struct T {
    passed: u32,
    failed: u32,
}

impl T {
    fn check(&mut self, name: fmt::Arguments<'_>, ok: bool) -> bool {
        if ok {
            pr_info!("ok - {}\n", name);
            self.passed += 1;
        } else {
            pr_err!("not ok - {}\n", name);
            self.failed += 1;
        }
        ok
    }

    fn res<R>(&mut self, name: fmt::Arguments<'_>, r: Result<R>) -> Option<R> {
        match r {
            Ok(v) => {
                self.check(name, true);
                Some(v)
            }
            Err(e) => {
                pr_err!("not ok - {} (errno {})\n", name, e.to_errno());
                self.failed += 1;
                None
            }
        }
    }

    fn skip(&self, name: fmt::Arguments<'_>, why: &str) {
        pr_info!("ok - {} # SKIP {}\n", name, why);
    }
}

/// Writes `len` bytes of pattern `seed` at `pos` with `write_at`.
fn write_pattern(f: &File, pos: usize, len: usize, seed: u8) -> Result<bool> {
    let mut buf = KVVec::from_elem(0u8, PIECE, GFP_KERNEL)?;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(PIECE);
        fill(&mut buf[..n], pos + done, seed);
        if f.write_at((pos + done) as u64, &buf[..n])? != n {
            return Ok(false);
        }
        done += n;
    }
    Ok(true)
}

/// Reads `len` bytes at `pos` with `read_at` and compares them with pattern `seed`
/// (`None`: zeroes).
fn read_compare(f: &File, pos: usize, len: usize, seed: Option<u8>) -> Result<bool> {
    let mut buf = KVVec::from_elem(0u8, PIECE, GFP_KERNEL)?;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(PIECE);
        if f.read_at((pos + done) as u64, &mut buf[..n])? != n {
            return Ok(false);
        }
        let ok = match seed {
            Some(seed) => is_pat(&buf[..n], pos + done, seed),
            None => buf[..n].iter().all(|&b| b == 0),
        };
        if !ok {
            return Ok(false);
        }
        done += n;
    }
    Ok(true)
}

/// The file-layer checks on a regular file at `path` (`what` names it).
fn regular_file(t: &mut T, path: &CStr, what: &str) -> Option<File> {
    let flags = OpenFlags::RDWR | OpenFlags::CREAT | OpenFlags::LARGEFILE | OpenFlags::DSYNC;
    let f = t.res(
        format_args!("{what}: open O_RDWR|O_CREAT|O_LARGEFILE|O_DSYNC"),
        File::open(path, flags, 0o600),
    )?;
    t.check(
        format_args!("{what}: not a block device"),
        !f.is_block_device() && f.block_device().is_none(),
    );
    t.check(format_args!("{what}: new file is empty"), f.size() == 0);
    if let Some(ok) = t.res(
        format_args!("{what}: write_at 4 MiB"),
        write_pattern(&f, 0, FILE_SIZE, 1),
    ) {
        t.check(format_args!("{what}: write_at wrote it all"), ok);
    }
    t.check(
        format_args!("{what}: size is 4 MiB"),
        f.size() == FILE_SIZE as u64,
    );
    for (pos, len) in [
        (0, 4096),
        (4096, 512),
        (MIB + 13, 1000),
        (FILE_SIZE - 100, 100),
    ] {
        let ok = read_compare(&f, pos, len, Some(1)).unwrap_or(false);
        t.check(format_args!("{what}: read_at {pos}+{len}"), ok);
    }
    let mut tail = [0u8; 8192];
    let got = f.read_at((FILE_SIZE - 4096) as u64, &mut tail);
    t.check(
        format_args!("{what}: read_at across the end is short (4096 of 8192)"),
        matches!(got, Ok(4096)) && is_pat(&tail[..4096], FILE_SIZE - 4096, 1),
    );
    t.check(
        format_args!("{what}: read_at past the end reads 0"),
        matches!(f.read_at(FILE_SIZE as u64 + 1, &mut tail), Ok(0)),
    );

    // The bounce-buffer path, buffered and direct.
    if let Some(mut buf) = t.res(
        format_args!("{what}: IoBuf::new(64 KiB)"),
        IoBuf::new(PIECE),
    ) {
        t.check(format_args!("{what}: IoBuf is 64 KiB"), buf.len() == PIECE);
        let r = f.read_buf(512 * 1024, &mut buf, PIECE, IoFlags::BUFFERED);
        t.check(
            format_args!("{what}: read_buf buffered 64 KiB at 512 KiB"),
            matches!(r, Ok(PIECE)) && is_pat(buf.as_slice(), 512 * 1024, 1),
        );
        t.check(
            format_args!("{what}: read_buf longer than the buffer is EINVAL"),
            f.read_buf(0, &mut buf, PIECE + 1, IoFlags::BUFFERED) == Err(EINVAL),
        );
        fill(buf.as_mut_slice(), 2 * MIB, 2);
        let r = f.write_buf(
            2 * MIB as u64,
            &buf,
            PIECE,
            IoFlags {
                direct: false,
                dsync: true,
            },
        );
        t.check(
            format_args!("{what}: write_buf buffered+dsync 64 KiB at 2 MiB"),
            matches!(r, Ok(PIECE)),
        );
        t.check(
            format_args!("{what}: read_at sees the write_buf data"),
            read_compare(&f, 2 * MIB, PIECE, Some(2)).unwrap_or(false),
        );
        if f.can_direct_io() {
            fill(buf.as_mut_slice(), 3 * MIB, 3);
            let r = f.write_buf(3 * MIB as u64, &buf, PIECE, IoFlags::DIRECT);
            t.check(
                format_args!("{what}: write_buf O_DIRECT 64 KiB at 3 MiB"),
                matches!(r, Ok(PIECE)),
            );
            buf.as_mut_slice().fill(0);
            let r = f.read_buf(3 * MIB as u64, &mut buf, PIECE, IoFlags::DIRECT);
            t.check(
                format_args!("{what}: read_buf O_DIRECT reads it back"),
                matches!(r, Ok(PIECE)) && is_pat(buf.as_slice(), 3 * MIB, 3),
            );
            t.check(
                format_args!("{what}: read_at (page cache) agrees"),
                read_compare(&f, 3 * MIB, PIECE, Some(3)).unwrap_or(false),
            );
            let r = f.read_buf(FILE_SIZE as u64, &mut buf, 4096, IoFlags::DIRECT);
            t.check(
                format_args!("{what}: read_buf O_DIRECT at the end reads 0"),
                matches!(r, Ok(0)),
            );
        } else {
            t.skip(format_args!("{what}: O_DIRECT"), "no direct I/O");
        }
    }

    t.res(
        format_args!("{what}: fsync_range all, datasync"),
        f.fsync_range(0, u64::MAX, true),
    );
    t.res(
        format_args!("{what}: fsync_range 4096..=8191, full sync"),
        f.fsync_range(4096, 8191, false),
    );
    t.check(
        format_args!("{what}: fsync_range from beyond LLONG_MAX is EINVAL"),
        f.fsync_range(u64::MAX, u64::MAX, true) == Err(EINVAL),
    );

    if t.res(
        format_args!("{what}: punch_hole 64 KiB at 1 MiB"),
        f.punch_hole(MIB as u64, PIECE as u64),
    )
    .is_some()
    {
        t.check(
            format_args!("{what}: the hole reads as zeroes"),
            read_compare(&f, MIB, PIECE, None).unwrap_or(false),
        );
        t.check(
            format_args!("{what}: around the hole the data is intact"),
            read_compare(&f, MIB - 4096, 4096, Some(1)).unwrap_or(false)
                && read_compare(&f, MIB + PIECE, 4096, Some(1)).unwrap_or(false),
        );
        t.check(
            format_args!("{what}: punch_hole keeps the size"),
            f.size() == FILE_SIZE as u64,
        );
    }
    Some(f)
}

/// The file-layer checks on a block device of 8 MiB.
fn block_device(t: &mut T) {
    let flags = OpenFlags::RDWR | OpenFlags::LARGEFILE | OpenFlags::DSYNC;
    let Some(f) = t.res(format_args!("bdev: open"), File::open(BDEV, flags, 0o600)) else {
        return;
    };
    t.check(format_args!("bdev: is a block device"), f.is_block_device());
    let Some(bdev) = f.block_device() else {
        t.check(format_args!("bdev: block_device()"), false);
        return;
    };
    pr_info!(
        "# bdev: logical_block_size {} nr_bytes {} size {} max_discard_sectors {} granularity {} alignment {} nonrot {}\n",
        bdev.logical_block_size(),
        bdev.nr_bytes(),
        f.size(),
        bdev.max_discard_sectors(),
        bdev.discard_granularity(),
        bdev.discard_alignment(),
        bdev.is_nonrot()
    );
    t.check(
        format_args!("bdev: logical block size 512"),
        bdev.logical_block_size() == 512,
    );
    t.check(
        format_args!("bdev: 8 MiB (bdev_nr_bytes and i_size agree)"),
        bdev.nr_bytes() == 8 * MIB as u64 && f.size() == 8 * MIB as u64,
    );
    t.check(
        format_args!("bdev: supports discard"),
        bdev.supports_discard(),
    );
    if let Some(ok) = t.res(
        format_args!("bdev: write_at 4 MiB"),
        write_pattern(&f, 0, FILE_SIZE, 4),
    ) {
        t.check(format_args!("bdev: write_at wrote it all"), ok);
    }
    t.check(
        format_args!("bdev: read_at 4 MiB"),
        read_compare(&f, 0, FILE_SIZE, Some(4)).unwrap_or(false),
    );
    t.check(format_args!("bdev: can do direct I/O"), f.can_direct_io());
    if let Some(mut buf) = t.res(format_args!("bdev: IoBuf::new(64 KiB)"), IoBuf::new(PIECE)) {
        fill(buf.as_mut_slice(), 6 * MIB, 5);
        t.check(
            format_args!("bdev: write_buf O_DIRECT 64 KiB at 6 MiB"),
            matches!(
                f.write_buf(6 * MIB as u64, &buf, PIECE, IoFlags::DIRECT),
                Ok(PIECE)
            ),
        );
        buf.as_mut_slice().fill(0);
        let r = f.read_buf(6 * MIB as u64, &mut buf, PIECE, IoFlags::DIRECT);
        t.check(
            format_args!("bdev: read_buf O_DIRECT reads it back"),
            matches!(r, Ok(PIECE)) && is_pat(buf.as_slice(), 6 * MIB, 5),
        );
        t.check(
            format_args!("bdev: O_DIRECT at an unaligned position is EINVAL"),
            f.read_buf(6 * MIB as u64 + 1, &mut buf, 512, IoFlags::DIRECT) == Err(EINVAL),
        );
        let r = f.read_buf(8 * MIB as u64, &mut buf, 4096, IoFlags::DIRECT);
        t.check(
            format_args!("bdev: read_buf at the end reads 0"),
            matches!(r, Ok(0)),
        );
        t.res(
            format_args!("bdev: fsync_range all"),
            f.fsync_range(0, u64::MAX, true),
        );
        // Discard 64 KiB at 1 MiB (sector 2048); the loop device punches a hole.
        if t.res(
            format_args!("bdev: discard sectors 2048+128"),
            bdev.discard(2048, 128),
        )
        .is_some()
        {
            let r = f.read_buf(MIB as u64, &mut buf, PIECE, IoFlags::DIRECT);
            t.check(
                format_args!("bdev: discarded blocks read as zeroes (O_DIRECT)"),
                matches!(r, Ok(PIECE)) && buf.as_slice().iter().all(|&b| b == 0),
            );
            let r = f.read_buf((MIB + PIECE) as u64, &mut buf, 4096, IoFlags::DIRECT);
            t.check(
                format_args!("bdev: after the discarded range the data is intact"),
                matches!(r, Ok(4096)) && is_pat(&buf.as_slice()[..4096], MIB + PIECE, 4),
            );
        }
    }
    t.check(
        format_args!("bdev: punch_hole on a block device (blkdev_fallocate)"),
        f.punch_hole(3 * MIB as u64, 4096).is_ok()
            && read_compare(&f, 3 * MIB, 4096, None).unwrap_or(false),
    );
}

fn iobuf(t: &mut T) {
    let sizes = [
        (1, 256 * 1024, 4096),
        (4096, 256 * 1024, 4096),
        (4097, 256 * 1024, 8192),
        (100 * 1024, 256 * 1024, 128 * 1024),
        (300 * 1024, 256 * 1024, 256 * 1024),
        (8 * MIB, 256 * 1024, 256 * 1024),
        (8 * MIB, 100 * 1024, 64 * 1024),
        (8 * MIB, 0, 4096),
        (8 * MIB, usize::MAX, 1 << 20),
    ];
    for (len, max, want) in sizes {
        let got = IoBuf::up_to(len, max).map(|b| b.len());
        t.check(
            format_args!("IoBuf::up_to({len}, {max}) is {want} bytes"),
            matches!(got, Ok(n) if n == want),
        );
    }
    t.check(
        format_args!("IoBuf::new above 1 MiB is EINVAL"),
        IoBuf::new(MIB + 1).err() == Some(EINVAL),
    );
    t.check(
        format_args!("IoBuf memory is zeroed"),
        IoBuf::new(PIECE).is_ok_and(|b| b.as_slice().iter().all(|&x| x == 0)),
    );
}

/// Reads `len` bytes at `pos` through the medium and compares them (`None`: zeroes).
fn medium_compare(m: &FdMedium, pos: u64, len: usize, seed: Option<(usize, u8)>) -> bool {
    let Ok(mut buf) = KVVec::from_elem(0xa5u8, len, GFP_KERNEL) else {
        return false;
    };
    if m.read_to(pos, len, &mut SliceData(&mut buf), 0).is_err() {
        return false;
    }
    match seed {
        Some((at, seed)) => is_pat(&buf, at, seed),
        None => buf.iter().all(|&b| b == 0),
    }
}

fn medium_write(m: &FdMedium, pos: u64, len: usize, seed: u8) -> bool {
    let Ok(mut buf) = KVVec::from_elem(0u8, len, GFP_KERNEL) else {
        return false;
    };
    fill(&mut buf, pos as usize, seed);
    m.write_from(pos, len, &mut SliceData(&mut buf), 0).is_ok()
}

/// FdMedium on a device at `control` (`what` names it); `bdev_size`: a block device's.
fn medium(t: &mut T, control: &str, what: &str, bdev_size: Option<u64>) {
    let mut p = FdParams::new();
    let set = p.set_configfs_dev_params(control.as_bytes(), &mut printk);
    if !t.check(format_args!("{what}: control {control}"), set.is_ok()) {
        return;
    }
    let Some((m, setup)) = t.res(format_args!("{what}: FdMedium::open"), FdMedium::open(&p)) else {
        return;
    };
    let bs = setup.fd_block_size;
    match bdev_size {
        Some(size) => {
            t.check(
                format_args!("{what}: block device setup (512, 0xFFFF, 16384)"),
                (bs, setup.max_write_same_len, setup.hw_max_sectors) == (512, 0xFFFF, 16384),
            );
            t.check(
                format_args!("{what}: get_blocks from the device size"),
                m.get_blocks(0, bs) == size / 512 - 1,
            );
            t.check(
                format_args!("{what}: backing facts"),
                matches!(m.backing(), FdBacking::BlockDevice(b) if b.size == size),
            );
            t.check(
                format_args!("{what}: configure_unmap from the queue"),
                m.configure_unmap().is_some_and(|u| {
                    u.max_unmap_block_desc_count == 1 && u.max_unmap_lba_count > 0
                }),
            );
        }
        None => {
            t.check(
                format_args!(
                    "{what}: file setup (512, 0x1000, 16384, wce {})",
                    p.buffered_io
                ),
                (
                    bs,
                    setup.max_write_same_len,
                    setup.hw_max_sectors,
                    setup.force_write_cache,
                ) == (512, 0x1000, 16384, p.buffered_io),
            );
            t.check(
                format_args!("{what}: get_blocks from fd_dev_size"),
                m.get_blocks(p.dev_size, bs) == p.dev_size / 512 - 1,
            );
            t.check(
                format_args!("{what}: configure_unmap of a file"),
                m.configure_unmap()
                    .is_some_and(|u| u.max_unmap_lba_count == 0x2000),
            );
            if p.async_io {
                // As LIO's fd_execute_rw_aio(): any short transfer fails.
                t.check(
                    format_args!("{what}: read_to beyond the file's end fails (async I/O)"),
                    m.read_to(0, 4096, &mut SliceData(&mut [0u8; 4096]), 0)
                        == Err(SenseReason::LogicalUnitCommunicationFailure),
                );
            } else {
                // A fresh file: everything within fd_dev_size reads as zeroes.
                t.check(
                    format_args!("{what}: read_to beyond the file's end reads zeroes"),
                    medium_compare(&m, 0, 128 * 1024, None),
                );
            }
        }
    }
    t.check(
        format_args!("{what}: ops are FILEIO"),
        m.ops() == sbc::ExecCmdOps::FILEIO,
    );
    t.check(
        format_args!("{what}: write_from 1 MiB at 8 KiB"),
        medium_write(&m, 8192, MIB, 7),
    );
    t.check(
        format_args!("{what}: read_to reads it back"),
        medium_compare(&m, 8192, MIB, Some((8192, 7))),
    );
    t.check(
        format_args!("{what}: read_to 1 KiB in the middle, at a buffer offset"),
        {
            let mut buf = [0u8; 2048];
            m.read_to(8192 + 4096, 1024, &mut SliceData(&mut buf), 1024)
                .is_ok()
                && is_pat(&buf[1024..], 8192 + 4096, 7)
                && buf[..1024].iter().all(|&b| b == 0)
        },
    );
    t.check(
        format_args!("{what}: more than FD_MAX_BYTES is LOGICAL UNIT COMMUNICATION FAILURE"),
        m.read_to(0, 8 * MIB + 1, &mut SliceData(&mut []), 0)
            == Err(SenseReason::LogicalUnitCommunicationFailure),
    );
    t.res(
        format_args!("{what}: sync_cache everything"),
        m.sync_cache(0, 0, false).map_err(|_| EIO),
    );
    t.res(
        format_args!("{what}: sync_cache 16 blocks at 16, IMMED"),
        m.sync_cache(16, 16, true).map_err(|_| EIO),
    );
    if t.res(
        format_args!("{what}: unmap 64 blocks at LBA 64"),
        m.unmap(64, 64).map_err(|_| EIO),
    )
    .is_some()
    {
        if bdev_size.is_some() && !p.async_io {
            // blkdev_issue_discard() leaves the block device's page cache alone (in LIO
            // too): buffered reads may see the old data, which SBC allows without LBPRZ.
            t.skip(
                format_args!("{what}: unmapped blocks read as zeroes"),
                "buffered reads of a discarded range",
            );
        } else {
            t.check(
                format_args!("{what}: unmapped blocks read as zeroes"),
                medium_compare(&m, 64 * 512, 64 * 512, None),
            );
        }
        t.check(
            format_args!("{what}: blocks around them are intact"),
            medium_compare(&m, 63 * 512, 512, Some((63 * 512, 7)))
                && medium_compare(&m, 128 * 512, 512, Some((128 * 512, 7))),
        );
    }
    t.check(
        format_args!("{what}: unmap of 0 blocks does nothing"),
        m.unmap(0, 0).is_ok() && medium_compare(&m, 8192, 512, Some((8192, 7))),
    );
    let mut block = [0u8; 512];
    fill(&mut block, 0, 9);
    t.check(
        format_args!("{what}: write_same 1000 blocks at LBA 3000"),
        m.write_same(3000, 1000, 512, &mut SliceData(&mut block))
            .is_ok(),
    );
    let ok = KVVec::from_elem(0u8, 1000 * 512, GFP_KERNEL).is_ok_and(|mut buf| {
        m.read_to(3000 * 512, 1000 * 512, &mut SliceData(&mut buf), 0)
            .is_ok()
            && buf.chunks(512).all(|c| c == block)
    });
    t.check(format_args!("{what}: every block is the written one"), ok);
    if bdev_size.is_some() {
        // block_device() wrote pattern 4 over the first 4 MiB.
        t.check(
            format_args!("{what}: the block after them is untouched"),
            medium_compare(&m, 4000 * 512, 512, Some((4000 * 512, 4))),
        );
    }
}

fn run(t: &mut T) -> Option<File> {
    iobuf(t);
    let kept = regular_file(t, TMPFS_FILE, "tmpfs");
    if lio::vfs::require_directory(EXT4_DIR).is_ok() {
        drop(regular_file(t, EXT4_FILE, "ext4"));
        medium(
            t,
            "fd_dev_name=/tmp/lio_file_selftest/ext4/medium.img,fd_dev_size=4194304",
            "ext4 medium",
            None,
        );
        medium(
            t,
            "fd_dev_name=/tmp/lio_file_selftest/ext4/direct.img,fd_dev_size=4194304\nfd_async_io=1",
            "ext4 medium, fd_async_io=1",
            None,
        );
    } else {
        t.skip(format_args!("ext4"), "no /tmp/lio_file_selftest/ext4");
    }
    medium(
        t,
        "fd_dev_name=/tmp/lio_file_selftest/medium.img,fd_dev_size=4194304,fd_buffered_io=1",
        "tmpfs medium, fd_buffered_io=1",
        None,
    );
    let mut p = FdParams::new();
    let _ = p.set_configfs_dev_params(
        b"fd_dev_name=/tmp/lio_file_selftest/nosize.img",
        &mut printk,
    );
    t.check(
        format_args!("FdMedium::open of a file without fd_dev_size= is EINVAL"),
        FdMedium::open(&p).err() == Some(EINVAL),
    );
    let p = FdParams::new();
    t.check(
        format_args!("FdMedium::open without fd_dev_name= is EINVAL"),
        FdMedium::open(&p).err() == Some(EINVAL),
    );
    t.check(
        format_args!("File::open in a missing directory is ENOENT"),
        File::open(
            c_str!("/tmp/lio_file_selftest/no/such/file"),
            OpenFlags::RDWR | OpenFlags::CREAT,
            0o600,
        )
        .err()
            == Some(ENOENT),
    );
    if File::open(BDEV, OpenFlags::RDWR, 0).is_ok() {
        block_device(t);
        // The medium writes its own pattern over what block_device() left.
        medium(
            t,
            "fd_dev_name=/tmp/lio_file_selftest/bdev",
            "bdev medium",
            Some(8 * MIB as u64),
        );
        medium(
            t,
            "fd_dev_name=/tmp/lio_file_selftest/bdev,fd_async_io=1",
            "bdev medium, fd_async_io=1",
            Some(8 * MIB as u64),
        );
    } else {
        t.skip(format_args!("bdev"), "no /tmp/lio_file_selftest/bdev");
    }
    kept
}

/// The module: the tmpfs file, kept open until unload.
struct FileSelftest {
    kept: Option<File>,
}

impl kernel::Module for FileSelftest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut t = T {
            passed: 0,
            failed: 0,
        };
        let kept = run(&mut t);
        pr_info!("{} passed, {} failed\n", t.passed, t.failed);
        Ok(FileSelftest { kept })
    }
}

impl Drop for FileSelftest {
    fn drop(&mut self) {
        if let Some(f) = self.kept.take() {
            let ok = read_compare(&f, 0, 4096, Some(1)).unwrap_or(false);
            if ok {
                pr_info!("exit: ok - the kept file still reads back\n");
            } else {
                pr_err!("exit: not ok - the kept file still reads back\n");
            }
            drop(f);
            pr_info!("exit: closed the kept file\n");
        }
    }
}
