// SPDX-License-Identifier: GPL-2.0

//! The command path from a fabric to a device (LIO: `target_core_transport.c`,
//! `transport_lookup_cmd_lun()` of `target_core_device.c`): a session's command finds its
//! LUN and device, takes a snapshot of what the engine needs to know about them, and runs
//! through [`crate::exec::execute`] against the device's medium.

use crate::device::DeviceCore;
use crate::exec::{
    exec_view, execute, CmdContext, CmdData, CmdResponse, PrContext, EXEC_SCRATCH_LEN,
};
use crate::lio::bytes::kvec_from;
use crate::pr::{PrEvents, PrLock, PrNexus, PrRegistration, PrState};
use crate::sbc::{CmdDataLength, CmdProt, DmaDirection};
use crate::sense::{translate_sense_reason, SenseReason, TRANSPORT_SENSE_BUFFER};
use crate::spc::{DeviceInfo, PortInfo};
use crate::tpg::{SeSession, SeTpg};
use crate::ua::UaQueue;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// The direction of a command's data, as the fabric received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataDirection {
    /// No data.
    None,
    /// Data-out: initiator to target (a WRITE).
    ToDevice,
    /// Data-in: target to initiator (a READ).
    FromDevice,
    /// Both.
    Bidirectional,
}

impl From<DataDirection> for DmaDirection {
    fn from(d: DataDirection) -> Self {
        match d {
            DataDirection::None => DmaDirection::None,
            DataDirection::ToDevice => DmaDirection::ToDevice,
            DataDirection::FromDevice => DmaDirection::FromDevice,
            DataDirection::Bidirectional => DmaDirection::Bidirectional,
        }
    }
}

/// `SAM_STAT_CHECK_CONDITION`.
const SAM_STAT_CHECK_CONDITION: u8 = 0x02;

impl CmdResponse {
    /// The SCSI status byte.
    pub fn status(&self) -> u8 {
        self.status
    }

    /// The sense data (empty unless CHECK CONDITION).
    pub fn sense(&self) -> &[u8] {
        self.sense_data()
    }

    /// Bytes of data-in the engine put in the command's buffer.
    pub fn data_in(&self) -> usize {
        self.data_in
    }

    /// The residual count and whether it is an overflow (`true`) or an underflow.
    pub fn residual(&self) -> Option<(u32, bool)> {
        let l = &self.length;
        if l.overflow {
            Some((l.residual_count, true))
        } else if l.underflow {
            Some((l.residual_count, false))
        } else {
            None
        }
    }

    /// A CHECK CONDITION for `reason` before any device was involved (no LUN).
    fn failed(reason: SenseReason, data_length: u32, desc: bool) -> Self {
        let mut sense = [0u8; TRANSPORT_SENSE_BUFFER];
        let cc = translate_sense_reason(&mut sense, reason, desc, None, 0);
        CmdResponse {
            status: if cc.sense_length != 0 {
                SAM_STAT_CHECK_CONDITION
            } else {
                cc.scsi_status
            },
            reason: Some(reason),
            sense,
            sense_length: cc.sense_length,
            length: CmdDataLength::new(data_length),
            data_in: 0,
        }
    }
}

/// `INQUIRY_VPD_SERIAL_LEN`.
const SERIAL_MAX: usize = 254;

/// What the command path copies out of a device under its lock.
pub(crate) struct DevSnapshot {
    pub(crate) vendor: [u8; 8],
    pub(crate) vendor_len: usize,
    pub(crate) model: [u8; 16],
    pub(crate) model_len: usize,
    pub(crate) revision: [u8; 4],
    pub(crate) revision_len: usize,
    pub(crate) serial: [u8; SERIAL_MAX],
    pub(crate) serial_len: usize,
    pub(crate) has_serial: bool,
    pub(crate) company_id: u32,
    pub(crate) last_lba: u64,
    pub(crate) export_count: u32,
    pub(crate) lu_gp_id: Option<u16>,
    pub(crate) attrib: crate::attrib::DevAttrib,
    /// The backend's `get_write_cache`, `get_io_min`, `get_io_opt`, `get_lbppbe`,
    /// `get_alignment_offset_lbas` and `DF_READ_ONLY`.
    pub(crate) get_write_cache: Option<bool>,
    pub(crate) io_min: u32,
    pub(crate) io_opt: u32,
    pub(crate) lbppbe: u8,
    pub(crate) alignment_offset_lbas: u16,
    pub(crate) read_only: bool,
}

/// Copies as much of `src` as fits into `dst`; returns the length.
pub(crate) fn copy_field(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
    n
}

impl DevSnapshot {
    fn device_info(&self) -> DeviceInfo<'_> {
        let a = &self.attrib;
        let mut d = DeviceInfo::new(
            &self.vendor[..self.vendor_len],
            &self.model[..self.model_len],
            &self.revision[..self.revision_len],
            a.block_size,
            self.last_lba,
            a.hw_max_sectors,
        );
        d.unit_serial = self.has_serial.then_some(&self.serial[..self.serial_len]);
        d.company_id = self.company_id;
        d.hw_block_size = a.hw_block_size;
        d.optimal_sectors = a.optimal_sectors;
        d.emulate_write_cache = a.emulate_write_cache;
        d.emulate_fua_write = a.emulate_fua_write;
        d.emulate_ua_intlck_ctrl = a.emulate_ua_intlck_ctrl as u8;
        d.emulate_tas = a.emulate_tas;
        d.emulate_tpu = a.emulate_tpu;
        d.emulate_tpws = a.emulate_tpws;
        d.emulate_caw = a.emulate_caw;
        d.emulate_3pc = a.emulate_3pc;
        d.emulate_pr = a.emulate_pr;
        d.emulate_rsoc = a.emulate_rsoc;
        d.emulate_rest_reord = a.emulate_rest_reord;
        d.is_nonrot = a.is_nonrot;
        d.unmap_zeroes_data = a.unmap_zeroes_data;
        d.max_unmap_lba_count = a.max_unmap_lba_count;
        d.max_unmap_block_desc_count = a.max_unmap_block_desc_count;
        d.unmap_granularity = a.unmap_granularity;
        d.unmap_granularity_alignment = a.unmap_granularity_alignment;
        d.max_write_same_len = a.max_write_same_len;
        d.pi_prot_type = a.pi_prot_type as u8;
        d.export_count = self.export_count;
        d.lu_gp_id = self.lu_gp_id;
        d.get_write_cache = self.get_write_cache;
        d.io_min = self.io_min;
        d.io_opt = self.io_opt;
        d.lbppbe = self.lbppbe;
        d.alignment_offset_lbas = self.alignment_offset_lbas;
        d
    }
}

/// A scratch buffer per command: the emulated responses are built in it. READ and WRITE
/// move data between the medium and the fabric's buffer and build nothing, so they get
/// none (and the I/O path no allocation).
struct Scratch(KVec<u8>);

impl Scratch {
    fn for_cdb(cdb: &[u8]) -> Result<Self> {
        use crate::cdb::{
            READ_10, READ_12, READ_16, READ_6, WRITE_10, WRITE_12, WRITE_16, WRITE_6,
        };
        if matches!(
            cdb.first(),
            Some(
                &(READ_6 | READ_10 | READ_12 | READ_16 | WRITE_6 | WRITE_10 | WRITE_12 | WRITE_16)
            )
        ) {
            return Ok(Scratch(KVec::new()));
        }
        let mut v = KVec::with_capacity(EXEC_SCRATCH_LEN, GFP_KERNEL)?;
        v.extend_with(EXEC_SCRATCH_LEN, 0, GFP_KERNEL)?;
        Ok(Scratch(v))
    }
}

impl SeTpg {
    /// `target_tpg_has_node_acl()`: whether an ACL (explicit or dynamic) exists for
    /// `initiatorname` (iSCSI's SendTargets asks before listing a TPG).
    pub fn has_node_acl(&self, initiatorname: &[u8]) -> bool {
        self.find_acl(initiatorname).is_some()
    }
}

impl SeSession {
    /// Whether the initiator of this session sees LUN `unpacked_lun`
    /// (`transport_lookup_tmr_lun()`: task management functions that name a LUN).
    pub fn has_lun(&self, unpacked_lun: u64) -> bool {
        self.lookup_lun(unpacked_lun).is_some()
    }

    /// Executes one SCSI command the initiator sent to `unpacked_lun` and returns the
    /// response for the fabric to deliver (`target_submit_cmd()` through
    /// `target_complete_cmd()`). `data` is the command's buffer of `data_length` bytes
    /// (the data-out, or where the data-in goes). Runs in process context and may sleep.
    pub fn submit_cmd(
        &self,
        unpacked_lun: u64,
        cdb: &[u8],
        data: &mut dyn CmdData,
        direction: DataDirection,
        data_length: u32,
    ) -> CmdResponse {
        let Some((lun, lun_ro)) = self.lookup_lun(unpacked_lun) else {
            return CmdResponse::failed(SenseReason::NonExistentLun, data_length, false);
        };
        let tg_pt_gp = lun.state.lock().tg_pt_gp.as_ref().map(|g| g.port_view());
        let Some(dev) = lun.device() else {
            return CmdResponse::failed(SenseReason::NonExistentLun, data_length, false);
        };
        let Ok(mut scratch) = Scratch::for_cdb(cdb) else {
            return CmdResponse::failed(SenseReason::OutOfResources, data_length, false);
        };
        // Only REPORT LUNS reads the session's LUN list.
        let mut luns = KVec::new();
        if cdb.first() == Some(&crate::cdb::REPORT_LUNS) && self.visible_luns(&mut luns).is_err() {
            return CmdResponse::failed(SenseReason::OutOfResources, data_length, false);
        }
        let tpg = self.tpg();
        let wwn = tpg.wwn().name();
        let port = PortInfo {
            proto_id: tpg.proto_id(),
            tpg_rtpi: tpg.rtpi(),
            tpgt: tpg.tag(),
            tpg_wwn: wwn,
            // The LUN's target port group (`lun_tg_pt_gp`), as it is now.
            tg_pt_gp,
            lun_access_ro: lun_ro,
            max_data_sg_nents: 0,
            sup_prot_ops: 0,
            sess_prot_type: 0,
        };
        execute_on_device(
            &dev,
            &port,
            self,
            (unpacked_lun, lun.unpacked_lun()),
            &luns,
            cdb,
            data,
            direction,
            data_length,
            &mut scratch.0,
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn execute_on_device(
    dev: &DeviceCore,
    port: &PortInfo<'_>,
    sess: &SeSession,
    (unpacked_lun, target_lun): (u64, u64),
    luns: &[u64],
    cdb: &[u8],
    data: &mut dyn CmdData,
    direction: DataDirection,
    data_length: u32,
    scratch: &mut [u8],
) -> CmdResponse {
    let Ok((snap, medium)) = dev.snapshot() else {
        return CmdResponse::failed(SenseReason::NonExistentLun, data_length, false);
    };
    let info = snap.device_info();
    let (info, mut port) = exec_view(&info, port);
    // DF_READ_ONLY: core_tpg_add_lun() makes every LUN of the device read-only.
    port.lun_access_ro |= snap.read_only;
    let mut ua = sess.take_ua(unpacked_lun);
    let mut events = PrUaCollector(KVec::new());
    let pr_lock = DevPr(&dev.pr);
    let mut ctx = CmdContext {
        dev: &info,
        port: &port,
        prot: CmdProt::default(),
        luns,
        ua: &mut ua,
        data_length,
        direction: direction.into(),
        scratch,
        pr: Some(PrContext {
            state: &pr_lock,
            // The node ACL stands for the initiator port: no lio-rs fabric reports an
            // ISID yet (`sess_get_initiator_sid()`).
            nexus: PrNexus {
                initiator: sess.node_acl().initiatorname(),
                isid: None,
                proto_id: port.proto_id,
                rtpi: port.tpg_rtpi,
                tpgt: port.tpgt,
                mapped_lun: unpacked_lun,
                target_lun,
            },
            events: &mut events,
            force_aptpl: snap.attrib.force_pr_aptpl,
        }),
    };
    let resp = execute(&mut ctx, cdb, data, &*medium);
    sess.put_ua(unpacked_lun, ua);
    events.apply(sess.tpg());
    resp
}

/// The device's reservations under their mutex.
struct DevPr<'a>(&'a Mutex<KBox<PrState>>);

impl PrLock for DevPr<'_> {
    fn lock_pr(&self, f: &mut dyn FnMut(&mut PrState)) {
        let mut st = self.0.lock();
        f(&mut st);
    }
}

// SAFETY: `PrState` is made of integers, booleans and arrays of them: all zeros is a
// valid value (the empty state, `PrState::new()`).
unsafe impl kernel::init::Zeroable for PrState {}

/// A unit attention the reservations established for another I_T nexus.
struct PendingUa {
    initiator: KVec<u8>,
    rtpi: u16,
    mapped_lun: u64,
    asc: u8,
    ascq: u8,
}

/// Collects the reservations' unit attentions while the device's reservations are locked;
/// they are queued once the command's own unit attentions are back in place.
struct PrUaCollector(KVec<PendingUa>);

impl PrEvents for PrUaCollector {
    fn unit_attention(&mut self, reg: &PrRegistration, asc: u8, ascq: u8) {
        // Without memory the unit attention is lost, as LIO loses it when its
        // allocation fails.
        if let Ok(initiator) = kvec_from(reg.initiator()) {
            let ua = PendingUa {
                initiator,
                rtpi: reg.rtpi(),
                mapped_lun: reg.mapped_lun(),
                asc,
                ascq,
            };
            let _ = self.0.push(ua, GFP_KERNEL);
        }
    }

    // APTPL metadata (`/var/target/pr/aptpl_<serial>`) is not written yet: see
    // `pr::render_aptpl()`.
}

impl PrUaCollector {
    /// `target_ua_allocate_lun()` for each collected unit attention. Registrations made
    /// through other target ports than `tpg` are not reached yet (lio-rs has no lookup
    /// of a device's ports by RTPI).
    fn apply(&self, tpg: &SeTpg) {
        for ua in self.0.iter().filter(|u| u.rtpi == tpg.rtpi()) {
            let Some(acl) = tpg.find_acl(&ua.initiator) else {
                continue;
            };
            let mut st = acl.state.lock();
            if let Some(e) = st.ua.iter_mut().find(|e| e.lun == ua.mapped_lun) {
                e.queue.allocate(ua.asc, ua.ascq);
            } else {
                let mut queue = UaQueue::new();
                queue.allocate(ua.asc, ua.ascq);
                let _ = st.ua.push(
                    UaEntry {
                        lun: ua.mapped_lun,
                        queue,
                    },
                    GFP_KERNEL,
                );
            }
        }
    }
}

/// Unit attentions kept per I_T nexus and LUN.
pub(crate) struct UaEntry {
    pub(crate) lun: u64,
    pub(crate) queue: UaQueue,
}
