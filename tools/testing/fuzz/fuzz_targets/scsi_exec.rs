// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `scsi_exec`: random commands through target_core_mod's execution engine
//! (`drivers/target/exec.rs`), end to end: CDB checks, parsing, the size check, unit
//! attentions, every emulation and the data commands against a small in-memory medium
//! (or a large sparse one). The engine must never panic, never touch the medium outside
//! the device or the buffer outside its length, never change a write protected medium or
//! write without data-out, and its responses must keep LIO's invariants (asserted below).
//!
//! Input: byte 0 picks the device/port/backend configuration, byte 1 the CDB length
//! (mod 33), byte 2 the direction and unit attentions, bytes 3-4 the expected data length
//! (mod 16 KiB; the top two bits of byte 4 pick the I_T nexus), then the CDB, then the
//! data-out (repeated to the expected length). Before the command, the data-out's first
//! 26-byte chunks also run as PERSISTENT RESERVE OUT or RESERVE/RELEASE from one of three
//! I_T nexuses, so that the command meets registrations and reservations.

#![no_main]
#![allow(dead_code)]

use core::cell::RefCell;
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

// The files sit side by side at the crate root, as in target_core_mod.
#[path = "../../../../drivers/target/cdb.rs"]
mod cdb;
#[path = "../../../../drivers/target/exec.rs"]
mod exec;
#[path = "../../../../drivers/target/pr.rs"]
mod pr;
#[path = "../../../../drivers/target/sbc.rs"]
mod sbc;
#[path = "../../../../drivers/target/sense.rs"]
mod sense;
#[path = "../../../../drivers/target/spc.rs"]
mod spc;
#[path = "../../../../drivers/target/ua.rs"]
mod ua;
#[path = "../../../../drivers/target/xcopy.rs"]
mod xcopy;

use exec::{CmdContext, CmdData, Medium, PrContext, EXEC_SCRATCH_LEN};
use pr::{PrEvents, PrNexus, PrOutCmd, PrRegistration, PrState, PR_OUT_HEAD};
use sbc::{CmdProt, DmaDirection, ExecCmdOps};
use sense::SenseReason;
use spc::{DeviceInfo, PortInfo, TgPtGp};
use ua::UaQueue;

const SERIAL: &[u8] = b"5d3f6a2c-0b41-4e8a-9c7d-1e2f3a4b5c6d";
/// Bytes of the medium that are stored; a larger device reads a pattern past them.
const STORED: usize = 64 * 1024;

fn device(cfg: u8) -> DeviceInfo<'static> {
    // 64 blocks of 512 bytes: small enough for random LBAs to land inside.
    let mut dev = DeviceInfo::new(b"LIO-ORG", b"rd0", b"4.0", 512, 63, 0xffff_fff8);
    if cfg & 0x01 != 0 {
        dev.unit_serial = Some(SERIAL);
        dev.lu_gp_id = Some(0);
    }
    if cfg & 0x02 != 0 {
        // fileio-like: thin provisioned, write cache on.
        dev.emulate_tpu = true;
        dev.emulate_tpws = true;
        dev.emulate_write_cache = true;
        dev.max_write_same_len = 0x1000;
        dev.max_unmap_lba_count = 0x20;
        dev.max_unmap_block_desc_count = 4;
    }
    if cfg & 0x04 != 0 {
        // Past 2^32 blocks: descriptor sense; a sparse medium.
        dev.last_lba = 0x1_0000_0000 + u64::from(cfg);
        dev.block_size = 4096;
        dev.hw_block_size = 4096;
    } else if cfg & 0x80 != 0 {
        dev.block_size = 4096;
        dev.hw_block_size = 4096;
        dev.last_lba = 15;
    }
    dev.emulate_ua_intlck_ctrl = (cfg >> 5) % 3;
    dev
}

fn port(cfg: u8) -> PortInfo<'static> {
    PortInfo {
        proto_id: 5,
        tpg_rtpi: 1,
        tpgt: 1,
        tpg_wwn: b"iqn.2003-01.org.linux-iscsi.host:sn.0123456789ab",
        tg_pt_gp: Some(TgPtGp {
            tg_pt_gp_id: 0,
            alua_access_type: 0x30,
            ..TgPtGp::DEFAULT
        }),
        lun_access_ro: cfg & 0x08 != 0,
        max_data_sg_nents: if cfg & 0x10 != 0 { 2 } else { 0 },
        sup_prot_ops: 0,
        sess_prot_type: 0,
    }
}

/// A `RefCell` that is `Sync`, as a [`Medium`] must be.
struct Shared<T>(Mutex<T>);

impl<T> Shared<T> {
    fn new(v: T) -> Self {
        Self(Mutex::new(v))
    }
    fn borrow(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
    fn borrow_mut(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}

/// A medium that checks every request against the device's size.
struct FuzzMedium {
    stored: Shared<Vec<u8>>,
    capacity: u64,
    block_size: u64,
    writable: bool,
    ops: ExecCmdOps,
    changed: AtomicBool,
    /// The command is a COMPARE AND WRITE: it must write under the CAW lock.
    caw_cmd: bool,
    /// The CAW lock is held.
    caw_held: AtomicBool,
    fail: Option<SenseReason>,
}

impl FuzzMedium {
    fn check(&self, pos: u64, len: u64) {
        let end = pos.checked_add(len).expect("position wraps");
        assert!(end <= self.capacity, "{pos} + {len} past {}", self.capacity);
    }
}

impl Medium for FuzzMedium {
    fn ops(&self) -> ExecCmdOps {
        self.ops
    }

    fn read_to(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        self.check(pos, len as u64);
        assert!(data_off + len <= data.len());
        if let Some(r) = self.fail {
            return Err(r);
        }
        let stored = self.stored.borrow();
        let mut chunk = [0u8; 512];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(chunk.len());
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                let p = pos as usize + done + i;
                *b = stored.get(p).copied().unwrap_or(p as u8);
            }
            assert_eq!(data.copy_in(data_off + done, &chunk[..n]), n);
            done += n;
        }
        Ok(())
    }

    fn write_from(
        &self,
        pos: u64,
        len: usize,
        data: &mut dyn CmdData,
        data_off: usize,
    ) -> Result<(), SenseReason> {
        self.check(pos, len as u64);
        assert!(data_off + len <= data.len());
        assert!(self.writable, "a write without data-out");
        if self.caw_cmd {
            assert!(self.caw_held.load(Ordering::Relaxed), "CAW writes unlocked");
        }
        self.changed.store(true, Ordering::Relaxed);
        if let Some(r) = self.fail {
            return Err(r);
        }
        let mut stored = self.stored.borrow_mut();
        let mut chunk = [0u8; 512];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(chunk.len());
            assert_eq!(data.copy_out(data_off + done, &mut chunk[..n]), n);
            for (i, b) in chunk[..n].iter().enumerate() {
                if let Some(s) = stored.get_mut(pos as usize + done + i) {
                    *s = *b;
                }
            }
            done += n;
        }
        Ok(())
    }

    fn with_caw_lock(&self, f: &mut dyn FnMut()) -> Result<(), SenseReason> {
        assert!(self.caw_cmd, "CAW lock taken by another command");
        assert!(
            !self.caw_held.swap(true, Ordering::Relaxed),
            "CAW lock taken twice"
        );
        f();
        self.caw_held.store(false, Ordering::Relaxed);
        Ok(())
    }

    fn sync_cache(&self, lba: u64, nolb: u32, _immed: bool) -> Result<(), SenseReason> {
        assert!(self.ops.execute_sync_cache);
        let pos = lba.checked_mul(self.block_size).expect("lba");
        self.check(pos, u64::from(nolb) * self.block_size);
        self.fail.map_or(Ok(()), Err)
    }

    fn unmap(&self, lba: u64, nolb: u32) -> Result<(), SenseReason> {
        assert!(self.ops.execute_unmap && nolb != 0);
        let pos = lba.checked_mul(self.block_size).expect("lba");
        self.check(pos, u64::from(nolb) * self.block_size);
        self.changed.store(true, Ordering::Relaxed);
        self.fail.map_or(Ok(()), Err)
    }
}

const INITIATORS: [&[u8]; 3] = [
    b"iqn.1994-05.com.redhat:i0",
    b"iqn.1994-05.com.redhat:i1",
    b"naa.5001405f4e1d2c3b",
];

fn nexus(i: usize) -> PrNexus<'static> {
    PrNexus {
        initiator: INITIATORS[i % 3],
        isid: (i % 3 == 1).then_some(&b"400001370000"[..]),
        proto_id: if i % 3 == 2 { 6 } else { 5 },
        rtpi: 1 + (i % 2) as u16,
        tpgt: 1,
        mapped_lun: 0,
        target_lun: 0,
    }
}

/// Unit attentions for other nexuses: only 2Ah conditions, for registrations.
#[derive(Default)]
struct Events(usize);

impl PrEvents for Events {
    fn unit_attention(&mut self, reg: &PrRegistration, asc: u8, ascq: u8) {
        assert_eq!(asc, 0x2a);
        assert!(matches!(ascq, 0x03..=0x05));
        assert!(INITIATORS.contains(&reg.initiator()));
        self.0 += 1;
    }
}

/// Runs the payload's first chunks as reservation commands.
fn prelude(st: &mut PrState, payload: &[u8], ev: &mut Events) {
    for c in payload.chunks_exact(26).take(6) {
        let n = nexus(usize::from(c[0]));
        let mut head = [0u8; PR_OUT_HEAD];
        head[..24].copy_from_slice(&c[2..26]);
        // Small keys, so that some match.
        head[..7].fill(0);
        head[8..15].fill(0);
        let r = match c[0] >> 5 {
            0 => pr::scsi2_reserve(st, &n, c[1]),
            1 => pr::scsi2_release(st, &n),
            _ => pr::pr_out(
                st,
                &n,
                &PrOutCmd {
                    sa: c[1] & 0x07,
                    scope_type: c[1] >> 4,
                    data_length: 24,
                    head,
                    force_aptpl: false,
                    passthrough: false,
                },
                ev,
            ),
        };
        let _ = r;
        assert!(st.registrations().iter().filter(|r| r.is_holder()).count() <= 1);
    }
}

/// A data buffer that checks the engine stays inside it.
struct FuzzData(Vec<u8>);

impl CmdData for FuzzData {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn copy_out(&mut self, off: usize, dst: &mut [u8]) -> usize {
        assert!(
            off + dst.len() <= self.0.len(),
            "copy_out {off}+{}",
            dst.len()
        );
        dst.copy_from_slice(&self.0[off..off + dst.len()]);
        dst.len()
    }
    fn copy_in(&mut self, off: usize, src: &[u8]) -> usize {
        assert!(
            off + src.len() <= self.0.len(),
            "copy_in {off}+{}",
            src.len()
        );
        self.0[off..off + src.len()].copy_from_slice(src);
        src.len()
    }
}

fuzz_target!(|input: &[u8]| {
    let [cfg, cdb_len, mode, l0, l1, rest @ ..] = input else {
        return;
    };
    let (cfg, mode) = (*cfg, *mode);
    let (cdb, payload) = rest.split_at(usize::from(*cdb_len % 33).min(rest.len()));
    let dev = device(cfg);
    let port = port(cfg);
    let ops = if cfg & 0x02 != 0 {
        ExecCmdOps::FILEIO
    } else {
        ExecCmdOps::RD_MCP
    };
    let capacity = dev.num_blocks() * u64::from(dev.block_size);
    let medium = FuzzMedium {
        stored: Shared::new(vec![0x11; (capacity as usize).min(STORED)]),
        capacity,
        block_size: u64::from(dev.block_size),
        writable: false,
        ops,
        changed: AtomicBool::new(false),
        caw_cmd: cdb.first() == Some(&cdb::COMPARE_AND_WRITE),
        caw_held: AtomicBool::new(false),
        fail: (mode & 0x80 != 0).then_some(SenseReason::LogicalUnitCommunicationFailure),
    };
    let direction = match mode & 3 {
        0 => DmaDirection::None,
        1 => DmaDirection::FromDevice,
        2 => DmaDirection::ToDevice,
        _ => DmaDirection::Bidirectional,
    };
    let medium = FuzzMedium {
        writable: direction == DmaDirection::ToDevice,
        ..medium
    };
    let edtl = usize::from(u16::from_le_bytes([*l0, *l1])) % 16384;
    // Mostly a buffer of the expected length; sometimes a short one.
    let buf_len = if mode & 0x40 != 0 { edtl / 2 } else { edtl };
    let mut data = FuzzData(if payload.is_empty() {
        vec![0; buf_len]
    } else {
        payload.iter().copied().cycle().take(buf_len).collect()
    });
    let mut ua = UaQueue::new();
    if mode & 0x04 != 0 {
        ua.allocate(0x29, 0x07);
    }
    if mode & 0x08 != 0 {
        ua.allocate(0x2a, mode >> 4);
    }
    let pending = ua.len();
    let luns: Vec<u64> = payload
        .chunks_exact(8)
        .take(usize::from(mode >> 4))
        .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    let mut scratch = vec![0u8; EXEC_SCRATCH_LEN];
    let mut events = Events::default();
    let mut st = PrState::new();
    prelude(&mut st, payload, &mut events);
    let pr_state = RefCell::new(st);
    let mut ctx = CmdContext {
        dev: &dev,
        port: &port,
        prot: CmdProt::default(),
        luns: &luns,
        ua: &mut ua,
        data_length: edtl as u32,
        direction,
        scratch: &mut scratch,
        pr: Some(PrContext {
            state: &pr_state,
            nexus: nexus(usize::from(*l1 >> 6)),
            events: &mut events,
            force_aptpl: mode & 0x10 != 0,
        }),
    };
    let r = exec::execute(&mut ctx, cdb, &mut data, &medium);

    // LIO's invariants.
    assert!(
        matches!(r.status, 0x00 | 0x02 | 0x08 | 0x18 | 0x28),
        "{r:?}"
    );
    assert!(r.length.data_length as usize <= edtl);
    if r.is_good() {
        assert_eq!((r.sense_length, r.reason), (0, None));
        assert!(r.sense.iter().all(|&b| b == 0));
        if direction == DmaDirection::FromDevice {
            assert_eq!(r.data_in, r.length.data_length as usize);
        } else {
            assert_eq!(r.data_in, 0);
        }
        assert!(r.data_in <= data.0.len());
    } else {
        assert_eq!(r.data_in, 0);
        assert!(r.reason.is_some());
    }
    if r.status == 0x02 {
        assert_eq!(r.sense_length, sense::TRANSPORT_SENSE_BUFFER);
        let desc = dev.target_sense_desc_format();
        assert_eq!(r.sense[0] & 0x7f, if desc { 0x72 } else { 0x70 });
    } else {
        assert_eq!(r.sense_length, 0);
    }
    if r.reason == Some(SenseReason::CheckConditionUnitAttention) {
        assert!(pending > 0);
        let key = if dev.target_sense_desc_format() {
            r.sense[1]
        } else {
            r.sense[2]
        };
        assert_eq!(key, sense::UNIT_ATTENTION);
    }
    // Unit attentions only go away by being reported.
    if ua.len() < pending {
        let opcode = cdb.first().copied().unwrap_or(0);
        assert!(
            r.reason == Some(SenseReason::CheckConditionUnitAttention)
                || (opcode == cdb::REQUEST_SENSE && r.is_good()),
            "{r:?}"
        );
    }
    // MISCOMPARE only from a compare; COPY ABORTED only from EXTENDED COPY.
    let opcode = cdb.first().copied().unwrap_or(0);
    if r.reason == Some(SenseReason::MiscompareVerify) {
        assert!(matches!(
            opcode,
            cdb::VERIFY | cdb::VERIFY_16 | cdb::COMPARE_AND_WRITE
        ));
    }
    if r.reason == Some(SenseReason::CopyTargetDeviceNotReachable) {
        assert_eq!(opcode, cdb::EXTENDED_COPY);
    }
    // The medium changes only on a writable LUN.
    if medium.changed.load(Ordering::Relaxed) {
        assert!(!port.lun_access_ro);
    }
});
