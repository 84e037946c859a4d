// SPDX-License-Identifier: GPL-2.0

//! lio_scsi_selftest: a test of the SCSI low-level-driver layer (`rust/lio/scsi_host.rs`)
//! without the target engine (scsi-host branch only).
//!
//! On load it builds what tcm_loop builds, `/sys/devices/tcm_loop_0/tcm_loop_adapter_0/
//! hostN`, and hot-adds LUN 0:0:0, a 1 MiB disk in memory (2048 blocks of 512 bytes) that
//! answers TEST UNIT READY, INQUIRY, READ CAPACITY(10), READ(10) and WRITE(10); any other
//! opcode gets CHECK CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE, except
//! the vendor opcode 0xC1, which is held without completion until the midlayer's error
//! handler aborts it (`eh_abort_handler`). Commands are executed and completed on a
//! workqueue, as tcm_loop's are. Unloading removes the LUN and the host. `tools/testing/selftest/scsi_host_selftest.sh` drives it in the guest.

// As in target_core.rs: the configfs trampolines of rust/lio are `unsafe extern "C"`.
#![allow(clippy::missing_safety_doc)]

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLock};
use kernel::{new_mutex, new_spinlock};

// Only the SCSI host and workqueue parts of rust/lio are used here.
#[allow(dead_code, unused_macros, unused_imports)]
#[path = "../../../rust/lio/lio.rs"]
mod lio;

use lio::scsi_host::{
    status, AdapterDevice, CmdData, EhCmd, EhResult, HostByte, HostParams, RootDevice, ScsiCmd,
    ScsiHost, ScsiHostDriver, ScsiHostTemplate, TemplateParams,
};
use lio::workqueue::{OwnedQueue, WQ_MEM_RECLAIM};

module! {
    type: ScsiSelftest,
    name: "lio_scsi_selftest",
    author: "lio-rs developers",
    description: "lio-rs: self-test of the SCSI LLD layer (an in-memory disk on a loopback host)",
    license: "GPL",
}

const BLOCK_SIZE: usize = 512;
const NR_BLOCKS: usize = 2048;

/// The sense key ILLEGAL REQUEST.
const ILLEGAL_REQUEST: u8 = 0x05;
/// ASC INVALID COMMAND OPERATION CODE.
const ASC_INVALID_OPCODE: u8 = 0x20;
/// ASC LOGICAL BLOCK ADDRESS OUT OF RANGE.
const ASC_LBA_OUT_OF_RANGE: u8 = 0x21;
/// ASC INVALID FIELD IN CDB.
const ASC_INVALID_FIELD_IN_CDB: u8 = 0x24;
/// The vendor opcode whose command is held until aborted.
const OP_HOLD: u8 = 0xc1;

/// The disk: its contents, and the command held for the abort test.
#[pin_data]
struct Disk {
    #[pin]
    blocks: Mutex<KVVec<u8>>,
    #[pin]
    held: SpinLock<Option<ScsiCmd>>,
}

/// The driver data of the host.
struct Selftest {
    disk: Arc<Disk>,
    /// Where commands run; dropped (drained) after the host is removed.
    wq: OwnedQueue,
}

#[vtable]
impl ScsiHostDriver for Selftest {
    fn queuecommand(&self, cmd: ScsiCmd) -> Result<(), ScsiCmd> {
        let disk = self.disk.clone();
        // On allocation failure the closure, and with it `cmd`, is dropped, which completes
        // the command with DID_ERROR.
        if self
            .wq
            .try_spawn(GFP_ATOMIC, move || execute(&disk, cmd))
            .is_err()
        {
            pr_warn!("no memory to queue a command\n");
        }
        Ok(())
    }

    fn abort(&self, eh: &EhCmd) -> EhResult {
        let mut held = self.disk.held.lock();
        match held.take() {
            Some(cmd) if cmd.tag() == eh.tag => {
                drop(held);
                pr_info!(
                    "abort: {}:{}:{} tag {}: completed the held command\n",
                    eh.channel,
                    eh.id,
                    eh.lun,
                    eh.tag
                );
                // The midlayer has timed the command out: it ignores this completion, and
                // owns the command again once we answer SUCCESS.
                cmd.complete_host(HostByte::Abort);
                EhResult::Success
            }
            other => {
                *held = other;
                pr_info!("abort: tag {}: not held\n", eh.tag);
                EhResult::Failed
            }
        }
    }
}

/// Fixed-format sense data (18 bytes) for `key`/`asc`/`ascq`.
fn fixed_sense(key: u8, asc: u8, ascq: u8) -> [u8; 18] {
    let mut s = [0u8; 18];
    s[0] = 0x70;
    s[2] = key;
    s[7] = 10;
    s[12] = asc;
    s[13] = ascq;
    s
}

fn check_condition(cmd: ScsiCmd, asc: u8) {
    let resid = cmd.transfer_len();
    cmd.complete(
        status::CHECK_CONDITION,
        &fixed_sense(ILLEGAL_REQUEST, asc, 0),
        resid,
    );
}

/// Sends `data` (cut to the buffer) to the initiator and completes with GOOD.
fn data_in(mut cmd: ScsiCmd, data: &[u8]) {
    let n = cmd.copy_in(0, data);
    let resid = cmd.transfer_len().saturating_sub(n as u32);
    cmd.complete(status::GOOD, &[], resid);
}

fn be16(b: &[u8; 32], i: usize) -> usize {
    match (b.get(i), b.get(i + 1)) {
        (Some(&h), Some(&l)) => usize::from(u16::from_be_bytes([h, l])),
        _ => 0,
    }
}

fn be32(b: &[u8; 32], i: usize) -> usize {
    match b.get(i..i + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]) as usize,
        _ => 0,
    }
}

/// Executes one command, in the workqueue.
fn execute(disk: &Disk, cmd: ScsiCmd) {
    let mut cdb = [0u8; 32];
    for (d, s) in cdb.iter_mut().zip(cmd.cdb()) {
        *d = *s;
    }
    match cdb[0] {
        // TEST UNIT READY
        0x00 => cmd.complete(status::GOOD, &[], 0),
        // INQUIRY
        0x12 => {
            let alloc = be16(&cdb, 3);
            if cdb[1] & 1 != 0 {
                // VPD: only the list of supported pages, which lists itself.
                if cdb[2] != 0 {
                    return check_condition(cmd, ASC_INVALID_FIELD_IN_CDB);
                }
                let page = [0u8, 0x00, 0x00, 0x01, 0x00];
                return data_in(cmd, page.get(..alloc.min(page.len())).unwrap_or(&[]));
            }
            if cdb[2] != 0 {
                return check_condition(cmd, ASC_INVALID_FIELD_IN_CDB);
            }
            let mut inq = [0u8; 36];
            inq[2] = 0x05; // SPC-3
            inq[3] = 0x02; // response data format 2
            inq[4] = 31; // additional length
            inq[7] = 0x02; // CMDQUE
            inq[8..16].copy_from_slice(b"LIO-RS  ");
            inq[16..32].copy_from_slice(b"SCSI SELFTEST   ");
            inq[32..36].copy_from_slice(b"0001");
            data_in(cmd, inq.get(..alloc.min(inq.len())).unwrap_or(&[]))
        }
        // READ CAPACITY(10)
        0x25 => {
            let mut cap = [0u8; 8];
            cap[..4].copy_from_slice(&((NR_BLOCKS - 1) as u32).to_be_bytes());
            cap[4..].copy_from_slice(&(BLOCK_SIZE as u32).to_be_bytes());
            data_in(cmd, &cap)
        }
        // READ(10), WRITE(10)
        op @ (0x28 | 0x2a) => {
            let lba = be32(&cdb, 2);
            let blocks = be16(&cdb, 7);
            if lba + blocks > NR_BLOCKS {
                return check_condition(cmd, ASC_LBA_OUT_OF_RANGE);
            }
            rw(disk, cmd, op == 0x2a, lba * BLOCK_SIZE, blocks * BLOCK_SIZE)
        }
        OP_HOLD => {
            let mut held = disk.held.lock();
            if held.is_none() {
                *held = Some(cmd);
            } else {
                drop(held);
                cmd.complete(status::BUSY, &[], 0);
            }
        }
        _ => check_condition(cmd, ASC_INVALID_OPCODE),
    }
}

/// Moves `len` bytes at byte `start` of the disk to (`write`: from) the command's buffer.
fn rw(disk: &Disk, mut cmd: ScsiCmd, write: bool, start: usize, len: usize) {
    let mut blocks = disk.blocks.lock();
    let Some(range) = blocks.get_mut(start..start + len) else {
        drop(blocks);
        return check_condition(cmd, ASC_LBA_OUT_OF_RANGE);
    };
    let n = if write {
        cmd.copy_out(0, range)
    } else {
        cmd.copy_in(0, range)
    };
    drop(blocks);
    let resid = cmd.transfer_len().saturating_sub(n as u32);
    cmd.complete(status::GOOD, &[], resid);
}

struct ScsiSelftest {
    // Dropped first: removes the LUNs and the host (waiting for their commands), then the
    // adapter, then drains the workqueue. (`remove_device` cannot be used while the module
    // unloads: `scsi_device_lookup` fails once the owner module is going.)
    host: ScsiHost<Selftest>,
    _template: Arc<ScsiHostTemplate<Selftest>>,
    _root: Arc<RootDevice>,
}

impl kernel::Module for ScsiSelftest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let root = RootDevice::new(c_str!("tcm_loop_0"), module)?;
        let adapter = AdapterDevice::new(&root, c_str!("tcm_loop_adapter_0"))?;
        let template = ScsiHostTemplate::<Selftest>::new(
            module,
            c_str!("TCM_Loopback"),
            c_str!("tcm_loopback"),
            &TemplateParams::TCM_LOOP,
        )?;
        let blocks = KVVec::from_elem(0u8, NR_BLOCKS * BLOCK_SIZE, GFP_KERNEL)?;
        let disk = Arc::pin_init(
            pin_init!(Disk {
                blocks <- new_mutex!(blocks, "lio_scsi_selftest::Disk::blocks"),
                held <- new_spinlock!(None, "lio_scsi_selftest::Disk::held"),
            }),
            GFP_KERNEL,
        )?;
        let wq = OwnedQueue::new(c_str!("lio_scsi_selftest"), WQ_MEM_RECLAIM, 0)?;
        let driver = Arc::new(Selftest { disk, wq }, GFP_KERNEL)?;
        let host = ScsiHost::new(&template, adapter, &HostParams::default(), driver)?;
        // Hot add, hot remove, remove again (nothing there), and add for good. The first
        // remove races with sd's asynchronous probe: sd logs READ CAPACITY failures
        // (DID_ERROR from the midlayer, for commands it refuses on a device going away).
        host.add_device(0, 0, 0)?;
        host.remove_device(0, 0, 0)?;
        match host.remove_device(0, 0, 0) {
            Err(e) if e == ENODEV => {}
            Err(e) => return Err(e),
            Ok(()) => return Err(EINVAL),
        }
        host.add_device(0, 0, 0)?;
        pr_info!(
            "host{}: LUN 0:0:0 added, removed, ENODEV on a second remove, added again\n",
            host.host_no()
        );
        Ok(ScsiSelftest {
            host,
            _template: template,
            _root: root,
        })
    }
}

impl Drop for ScsiSelftest {
    fn drop(&mut self) {
        pr_info!("host{}: removing the host\n", self.host.host_no());
    }
}
