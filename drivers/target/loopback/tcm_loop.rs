// SPDX-License-Identifier: GPL-2.0

//! tcm_loop: the TCM loopback fabric (LIO: `drivers/target/loopback/tcm_loop.c`).
//!
//! Each WWN directory (`/sys/kernel/config/target/loopback/naa.*`, `fc.*` or `iqn.*`)
//! is an emulated SCSI target port: a Linux SCSI host whose commands go straight into
//! the target engine. Writing an initiator port name to `tpgt_N/nexus` opens the I_T
//! nexus; linking a LUN adds a SCSI device to the host, unlinking removes it.

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::str::{BStr, CStr, CString};
use kernel::sync::{Arc, Mutex, SpinLock};
use kernel::{new_mutex, new_spinlock};
use target_core::fabric::{
    proto_id, CmdData, DataDirection, FabricItemTypes, FabricPriv, FabricRegistration, FabricRoot,
    NewTpg, SeLun, SeSession, SeTpg, SeWwn, SubmitType, TargetFabric, TpgDir, TpgSubDir,
};
use target_core::lio::global::Global;
use target_core::lio::page::Page;
use target_core::lio::parse::{c_text, kstrtoul};
use target_core::lio::scsi_host::{
    self, AdapterDevice, EhCmd, EhResult, HostByte, HostParams, RootDevice, ScsiCmd, ScsiHost,
    ScsiHostDriver, ScsiHostTemplate, TemplateParams,
};
use target_core::lio::vec::retain_unordered;
use target_core::lio::workqueue::OwnedQueue;

module! {
    type: TcmLoop,
    name: "tcm_loop",
    author: "lio-rs developers",
    description: "lio-rs: TCM loopback virtual Linux/SCSI fabric module",
    license: "GPL",
}

target_core::lio_module_param_u32!(
    /// `nr_hw_queues` (module parameter, default 1): hardware queues of each SCSI host.
    param_nr_hw_queues,
    lio_tcm_loop_nr_hw_queues
);
target_core::lio_module_param_u32!(
    /// `can_queue` (module parameter, default 1024): commands in flight per host.
    param_can_queue,
    lio_tcm_loop_can_queue
);
target_core::lio_module_param_u32!(
    /// `cmd_per_lun` (module parameter, default 1024): commands in flight per LUN.
    param_cmd_per_lun,
    lio_tcm_loop_cmd_per_lun
);

/// `TCM_LOOP_VERSION`.
const TCM_LOOP_VERSION: &str = "v2.1-rc2";
/// `TL_WWN_ADDR_LEN`.
const TL_WWN_ADDR_LEN: usize = 256;
/// `TL_TPGS_PER_HBA`.
const TL_TPGS_PER_HBA: u64 = 32;

/// `TCM_TRANSPORT_ONLINE`.
const TCM_TRANSPORT_ONLINE: u8 = 0;
/// `TCM_TRANSPORT_OFFLINE`.
const TCM_TRANSPORT_OFFLINE: u8 = 1;

/// `tcm_loop_dump_proto_id()`.
fn proto_name(proto: u8) -> &'static str {
    match proto {
        proto_id::SAS => "SAS",
        proto_id::FCP => "FCP",
        proto_id::ISCSI => "iSCSI",
        _ => "Unknown",
    }
}

/// Where `needle` first occurs in `hay` (`strstr`).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What the module keeps while it is loaded: the `tcm_loop_0` root device the hosts hang
/// from, the SCSI host template and the workqueue commands run on.
struct LoopGlobals {
    root: Arc<RootDevice>,
    template: Arc<ScsiHostTemplate<HbaDriver>>,
    queue: OwnedQueue,
    /// `tcm_loop_hba_no_cnt`.
    hba_no: AtomicU32,
}

static GLOBALS: Global<LoopGlobals> = Global::new();

/// An emulated target port (`struct tcm_loop_hba`): the data of a WWN directory, with
/// its Linux SCSI host.
struct TcmLoopHba {
    /// `tl_proto_id`.
    proto: u8,
    host: ScsiHost<HbaDriver>,
}

/// The SCSI host side of an emulated target port: finds the TPG of a command by the
/// SCSI target ID (the TPG tag, as in LIO).
#[pin_data]
struct HbaDriver {
    globals: Arc<LoopGlobals>,
    /// A spinlock: `queuecommand` may run in atomic context.
    #[pin]
    tpgs: SpinLock<KVec<Arc<TcmLoopTpg>>>,
}

impl HbaDriver {
    fn tpg(&self, tpgt: u32) -> Option<Arc<TcmLoopTpg>> {
        self.tpgs
            .lock()
            .iter()
            .find(|t| u32::from(t.tpgt) == tpgt)
            .cloned()
    }
}

/// The command's scatterlist as the engine's data buffer.
struct LoopCmdData<'a>(&'a mut ScsiCmd);

impl CmdData for LoopCmdData<'_> {
    fn len(&self) -> usize {
        self.0.transfer_len() as usize
    }

    fn copy_out(&mut self, off: usize, dst: &mut [u8]) -> usize {
        self.0.copy_to_buffer(off, dst)
    }

    fn copy_in(&mut self, off: usize, src: &[u8]) -> usize {
        self.0.copy_from_buffer(off, src)
    }

    fn copy_in_page(
        &mut self,
        off: usize,
        page: &kernel::page::Page,
        page_off: usize,
        len: usize,
    ) -> usize {
        self.0.copy_page(off, page, page_off, len, true)
    }

    fn copy_out_page(
        &mut self,
        off: usize,
        page: &kernel::page::Page,
        page_off: usize,
        len: usize,
    ) -> usize {
        self.0.copy_page(off, page, page_off, len, false)
    }
}

/// `tcm_loop_target_queue_cmd()` + completion: runs on the module's workqueue.
fn run_cmd(tl_tpg: &TcmLoopTpg, mut cmd: ScsiCmd) {
    if tl_tpg.transport_status.load(Ordering::Relaxed) == TCM_TRANSPORT_OFFLINE {
        cmd.complete_host(HostByte::TransportDisrupted);
        return;
    }
    let Some(sess) = tl_tpg.nexus.lock().clone() else {
        pr_info!("TCM_Loop I_T Nexus does not exist\n");
        cmd.complete_host(HostByte::Error);
        return;
    };
    let direction = match cmd.direction() {
        scsi_host::DataDirection::None => DataDirection::None,
        scsi_host::DataDirection::ToDevice => DataDirection::ToDevice,
        scsi_host::DataDirection::FromDevice => DataDirection::FromDevice,
        scsi_host::DataDirection::Bidirectional => DataDirection::Bidirectional,
    };
    let len = cmd.transfer_len();
    let lun = cmd.lun();
    let mut cdb = [0u8; scsi_host::SCSI_MAX_VARLEN_CDB_SIZE as usize];
    let cdb_len = cmd.cdb().len().min(cdb.len());
    cdb[..cdb_len].copy_from_slice(&cmd.cdb()[..cdb_len]);
    let resp = sess.submit_cmd(
        lun,
        &cdb[..cdb_len],
        &mut LoopCmdData(&mut cmd),
        direction,
        len,
    );
    let resid = resp.residual().map(|(count, _)| count).unwrap_or(0);
    cmd.complete(resp.status(), resp.sense(), resid);
}

#[vtable]
impl ScsiHostDriver for HbaDriver {
    /// `tcm_loop_queuecommand()`: the command runs on the workqueue.
    fn queuecommand(&self, cmd: ScsiCmd) -> Result<(), ScsiCmd> {
        let Some(tl_tpg) = self.tpg(cmd.id()) else {
            cmd.complete_host(HostByte::NoConnect);
            return Ok(());
        };
        // Without memory for the work item the command is dropped, which completes it
        // with DID_ERROR, as LIO does when its command allocation fails.
        let _ = self
            .globals
            .queue
            .try_spawn(GFP_ATOMIC, move || run_cmd(&tl_tpg, cmd));
        Ok(())
    }

    /// `tcm_loop_abort_task()`: commands run to their end on the workqueue, so once it
    /// is flushed the command is done.
    fn abort(&self, _cmd: &EhCmd) -> EhResult {
        self.globals.queue.flush();
        EhResult::Success
    }

    /// `tcm_loop_device_reset()`: a LUN RESET, once the LUN's commands are done.
    fn device_reset(&self, cmd: &EhCmd) -> EhResult {
        self.globals.queue.flush();
        if let Some(tl_tpg) = self.tpg(cmd.id) {
            if let Some(sess) = tl_tpg.nexus.lock().clone() {
                sess.lun_reset(cmd.lun);
            }
        }
        EhResult::Success
    }
}

/// A TPG of the emulated port (`struct tcm_loop_tpg`).
#[pin_data]
struct TcmLoopTpg {
    /// `tl_hba->tl_proto_id`.
    proto: u8,
    /// `tl_tpgt`.
    tpgt: u16,
    /// `tl_transport_status`.
    transport_status: AtomicU8,
    /// `tl_fabric_prot_type`.
    fabric_prot_type: AtomicU32,
    /// `tl_tpg_port_count`: linked LUNs.
    port_count: AtomicU32,
    /// `tl_nexus`: the I_T nexus, once `nexus` is written.
    #[pin]
    nexus: Mutex<Option<Arc<SeSession>>>,
}

struct LoopFabric;

static LOOP_FABRIC: LoopFabric = LoopFabric;

target_core::target_fabric_item_types! {
    static LOOP_TYPES;
    wwn: ["version" (0o444, show: wwn_version_show)],
    discovery: [],
    tpg_base: [
        "nexus" (0o644, show: tpg_nexus_show, store: tpg_nexus_store),
        "transport_status" (0o644, show: tpg_transport_status_show,
            store: tpg_transport_status_store),
        "address" (0o444, show: tpg_address_show),
    ],
    tpg_attrib: [
        "fabric_prot_type" (0o644, show: tpg_attrib_fabric_prot_type_show,
            store: tpg_attrib_fabric_prot_type_store),
    ],
    tpg_auth: [],
    tpg_param: [],
    tpg_np_base: [],
    nacl_base: [],
    nacl_attrib: [],
    nacl_auth: [],
    nacl_param: [],
}

fn loop_tpg(tpg: &SeTpg) -> Result<&TcmLoopTpg> {
    tpg.fabric_priv::<TcmLoopTpg>()
}

/// `loopback/version`.
fn wwn_version_show(_root: &FabricRoot, page: &mut Page<'_>) -> Result {
    writeln!(page, "TCM Loopback Fabric module {}", TCM_LOOP_VERSION)?;
    Ok(())
}

/// `tpgt_N/nexus` (read): the initiator port of the I_T nexus.
fn tpg_nexus_show(dir: &TpgDir, page: &mut Page<'_>) -> Result {
    let tl_tpg = loop_tpg(dir.tpg())?;
    let nexus = tl_tpg.nexus.lock();
    let sess = nexus.as_ref().ok_or(ENODEV)?;
    page.write_bytes(sess.node_acl().initiatorname())?;
    page.write_bytes(b"\n")?;
    Ok(())
}

/// `tcm_loop_make_nexus()`.
fn make_nexus(tpg: &Arc<SeTpg>, tl_tpg: &TcmLoopTpg, name: &[u8]) -> Result {
    let mut nexus = tl_tpg.nexus.lock();
    if nexus.is_some() {
        pr_debug!("tl_tpg->tl_nexus already exists\n");
        return Err(EEXIST);
    }
    let sess = tpg.setup_session(name)?;
    pr_debug!(
        "TCM_Loop_ConfigFS: Established I_T Nexus to emulated {} Initiator Port: {}\n",
        proto_name(tl_tpg.proto),
        BStr::from_bytes(name)
    );
    *nexus = Some(sess);
    Ok(())
}

/// `tcm_loop_drop_nexus()`.
fn drop_nexus(tl_tpg: &TcmLoopTpg) -> Result {
    let mut nexus = tl_tpg.nexus.lock();
    if nexus.is_none() {
        return Err(ENODEV);
    }
    let ports = tl_tpg.port_count.load(Ordering::Relaxed);
    if ports != 0 {
        pr_err!(
            "Unable to remove TCM_Loop I_T Nexus with active TPG port count: {}\n",
            ports
        );
        return Err(EPERM);
    }
    if let Some(sess) = nexus.take() {
        pr_debug!(
            "TCM_Loop_ConfigFS: Removing I_T Nexus to emulated {} Initiator Port: {}\n",
            proto_name(tl_tpg.proto),
            BStr::from_bytes(sess.node_acl().initiatorname())
        );
        sess.remove();
    }
    Ok(())
}

/// `tpgt_N/nexus` (write): `NULL` drops the nexus; otherwise an initiator port whose
/// `naa.`, `fc.` or `iqn.` prefix matches the target port's protocol.
fn tpg_nexus_store(dir: &TpgDir, input: &[u8]) -> Result {
    let tpg = dir.tpg();
    let tl_tpg = loop_tpg(tpg)?;
    let page = c_text(input);
    if page.starts_with(b"NULL") {
        return drop_nexus(tl_tpg);
    }
    if page.len() >= TL_WWN_ADDR_LEN {
        pr_err!(
            "Emulated NAA Sas Address: {}, exceeds max: {}\n",
            BStr::from_bytes(page),
            TL_WWN_ADDR_LEN
        );
        return Err(EINVAL);
    }
    let proto = tl_tpg.proto;
    let (wanted, skip) = if find(page, b"naa.").is_some() {
        (proto_id::SAS, 0)
    } else if find(page, b"fc.").is_some() {
        (proto_id::FCP, 3)
    } else if find(page, b"iqn.").is_some() {
        (proto_id::ISCSI, 0)
    } else {
        pr_err!(
            "Unable to locate prefix for emulated Initiator Port: {}\n",
            BStr::from_bytes(page)
        );
        return Err(EINVAL);
    };
    if wanted != proto {
        pr_err!(
            "Passed {} Initiator Port {} does not match target port protoid: {}\n",
            proto_name(wanted),
            BStr::from_bytes(page),
            proto_name(proto)
        );
        return Err(EINVAL);
    }
    let mut port = page.get(skip..).ok_or(EINVAL)?;
    if let [p @ .., b'\n'] = port {
        port = p;
    }
    make_nexus(tpg, tl_tpg, port)
}

/// `tpgt_N/transport_status` (read).
fn tpg_transport_status_show(dir: &TpgDir, page: &mut Page<'_>) -> Result {
    let tl_tpg = loop_tpg(dir.tpg())?;
    match tl_tpg.transport_status.load(Ordering::Relaxed) {
        TCM_TRANSPORT_ONLINE => writeln!(page, "online")?,
        TCM_TRANSPORT_OFFLINE => writeln!(page, "offline")?,
        _ => return Err(EINVAL),
    }
    Ok(())
}

/// `tpgt_N/transport_status` (write): `online` or `offline`.
fn tpg_transport_status_store(dir: &TpgDir, input: &[u8]) -> Result {
    let tl_tpg = loop_tpg(dir.tpg())?;
    if input.starts_with(b"online") {
        tl_tpg
            .transport_status
            .store(TCM_TRANSPORT_ONLINE, Ordering::Relaxed);
        return Ok(());
    }
    if input.starts_with(b"offline") {
        tl_tpg
            .transport_status
            .store(TCM_TRANSPORT_OFFLINE, Ordering::Relaxed);
        return Ok(());
    }
    Err(EINVAL)
}

/// `tpgt_N/address`: `host:0:tpgt` of the emulated SCSI host.
fn tpg_address_show(dir: &TpgDir, page: &mut Page<'_>) -> Result {
    let tl_tpg = loop_tpg(dir.tpg())?;
    let hba = dir.tpg().wwn().fabric_priv::<TcmLoopHba>()?;
    writeln!(page, "{}:0:{}", hba.host.host_no(), tl_tpg.tpgt)?;
    Ok(())
}

/// `tpgt_N/attrib/fabric_prot_type` (read).
fn tpg_attrib_fabric_prot_type_show(dir: &TpgSubDir, page: &mut Page<'_>) -> Result {
    let tl_tpg = loop_tpg(dir.tpg())?;
    writeln!(page, "{}", tl_tpg.fabric_prot_type.load(Ordering::Relaxed))?;
    Ok(())
}

/// `tpgt_N/attrib/fabric_prot_type` (write): 0, 1 or 3.
fn tpg_attrib_fabric_prot_type_store(dir: &TpgSubDir, input: &[u8]) -> Result {
    let tl_tpg = loop_tpg(dir.tpg())?;
    let val = kstrtoul(input, 0).map_err(|e| {
        let e = Error::from(e);
        pr_err!(
            "kstrtoul() returned {} for fabric_prot_type\n",
            e.to_errno()
        );
        e
    })?;
    if val != 0 && val != 1 && val != 3 {
        pr_err!("Invalid qla2xxx fabric_prot_type: {}\n", val);
        return Err(EINVAL);
    }
    tl_tpg.fabric_prot_type.store(val as u32, Ordering::Relaxed);
    Ok(())
}

impl TargetFabric for LoopFabric {
    fn name(&self) -> &'static CStr {
        kernel::c_str!("loopback")
    }

    fn item_types(&self) -> &'static FabricItemTypes {
        &LOOP_TYPES
    }

    /// `tcm_loop_make_scsi_hba()`.
    fn make_wwn(&self, name: &CStr) -> Result<FabricPriv> {
        let bytes = name.as_bytes();
        let proto = if find(bytes, b"naa.").is_some() {
            proto_id::SAS
        } else if find(bytes, b"fc.").is_some() {
            proto_id::FCP
        } else if find(bytes, b"iqn.").is_some() {
            proto_id::ISCSI
        } else {
            pr_err!(
                "Unable to locate prefix for emulated Target Port: {}\n",
                name
            );
            return Err(EINVAL);
        };
        if bytes.len() >= TL_WWN_ADDR_LEN {
            pr_err!(
                "Emulated NAA {} Address: {}, exceeds max: {}\n",
                name,
                proto_name(proto),
                TL_WWN_ADDR_LEN
            );
            return Err(EINVAL);
        }
        let globals = GLOBALS.get().ok_or(ENODEV)?;
        let n = globals.hba_no.load(Ordering::Relaxed);
        let adapter_name = CString::try_from_fmt(kernel::fmt!("tcm_loop_adapter_{}", n))?;
        let adapter = AdapterDevice::new(&globals.root, &adapter_name)?;
        let driver_globals = globals.clone();
        let driver = Arc::pin_init(
            pin_init!(HbaDriver {
                globals: driver_globals,
                tpgs <- new_spinlock!(KVec::new()),
            }),
            GFP_KERNEL,
        )?;
        // tcm_loop_driver_probe(): the module parameters as they are now.
        let params = HostParams {
            nr_hw_queues: param_nr_hw_queues(),
            can_queue: param_can_queue(),
            cmd_per_lun: param_cmd_per_lun(),
            ..HostParams::default()
        };
        let host = ScsiHost::new(&globals.template, adapter, &params, driver)?;
        globals.hba_no.fetch_add(1, Ordering::Relaxed);
        pr_debug!(
            "TCM_Loop_ConfigFS: Allocated emulated Target {} Address: {} at Linux/SCSI Host ID: {}\n",
            proto_name(proto),
            name,
            host.host_no()
        );
        let hba: FabricPriv = Arc::new(TcmLoopHba { proto, host }, GFP_KERNEL)?;
        Ok(hba)
    }

    /// `tcm_loop_make_naa_tpg()`: `tpgt_N` with N below `TL_TPGS_PER_HBA`.
    fn make_tpg(&self, wwn: &SeWwn, name: &CStr) -> Result<NewTpg> {
        let hba = wwn.fabric_priv::<TcmLoopHba>()?;
        let Some(num) = name.as_bytes().strip_prefix(b"tpgt_") else {
            pr_err!("Unable to locate \"tpgt_#\" directory group\n");
            return Err(EINVAL);
        };
        let tpgt = kstrtoul(num, 10).map_err(|_| EINVAL)?;
        if tpgt >= TL_TPGS_PER_HBA {
            pr_err!(
                "Passed tpgt: {} exceeds TL_TPGS_PER_HBA: {}\n",
                tpgt,
                TL_TPGS_PER_HBA
            );
            return Err(EINVAL);
        }
        let tpgt = tpgt as u16;
        let proto = hba.proto;
        let tl_tpg = Arc::pin_init(
            pin_init!(TcmLoopTpg {
                proto,
                tpgt,
                transport_status: AtomicU8::new(TCM_TRANSPORT_ONLINE),
                fabric_prot_type: AtomicU32::new(0),
                port_count: AtomicU32::new(0),
                nexus <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )?;
        hba.host
            .data()
            .tpgs
            .lock()
            .push(tl_tpg.clone(), GFP_ATOMIC)?;
        Ok(NewTpg {
            tag: tpgt,
            proto_id: proto,
            fabric_priv: tl_tpg,
        })
    }

    /// `tcm_loop_drop_naa_tpg()`: the nexus goes with the TPG.
    fn drop_tpg(&self, tpg: &Arc<SeTpg>) {
        if let Ok(tl_tpg) = loop_tpg(tpg) {
            let _ = drop_nexus(tl_tpg);
            if let Ok(hba) = tpg.wwn().fabric_priv::<TcmLoopHba>() {
                let tpgt = tl_tpg.tpgt;
                retain_unordered(&mut hba.host.data().tpgs.lock(), |t| t.tpgt != tpgt);
            }
        }
    }

    /// `tcm_loop_port_link()`: the LUN appears as a SCSI device of the host.
    fn post_link(&self, tpg: &Arc<SeTpg>, lun: &Arc<SeLun>) {
        let Ok(tl_tpg) = loop_tpg(tpg) else {
            return;
        };
        tl_tpg.port_count.fetch_add(1, Ordering::Relaxed);
        if let Ok(hba) = tpg.wwn().fabric_priv::<TcmLoopHba>() {
            if let Err(e) = hba
                .host
                .add_device(0, u32::from(tl_tpg.tpgt), lun.unpacked_lun())
            {
                pr_err!("scsi_add_device() failed: {}\n", e.to_errno());
            }
        }
        pr_debug!("TCM_Loop_ConfigFS: Port Link Successful\n");
    }

    /// `tcm_loop_port_unlink()`: the SCSI device goes first.
    fn pre_unlink(&self, tpg: &Arc<SeTpg>, lun: &Arc<SeLun>) {
        let Ok(tl_tpg) = loop_tpg(tpg) else {
            return;
        };
        if let Ok(hba) = tpg.wwn().fabric_priv::<TcmLoopHba>() {
            if hba
                .host
                .remove_device(0, u32::from(tl_tpg.tpgt), lun.unpacked_lun())
                .is_err()
            {
                pr_err!(
                    "Unable to locate struct scsi_device for {}:{}:{}\n",
                    0,
                    tl_tpg.tpgt,
                    lun.unpacked_lun()
                );
            }
        }
        tl_tpg.port_count.fetch_sub(1, Ordering::Relaxed);
        pr_debug!("TCM_Loop_ConfigFS: Port Unlink Successful\n");
    }

    fn check_demo_mode(&self, _tpg: &SeTpg) -> bool {
        true
    }

    fn default_submit_type(&self) -> SubmitType {
        SubmitType::Queue
    }

    fn direct_submit_supported(&self) -> bool {
        false
    }
}

struct TcmLoop {
    _registration: FabricRegistration,
}

impl kernel::Module for TcmLoop {
    /// `tcm_loop_fabric_init()`.
    fn init(module: &'static ThisModule) -> Result<Self> {
        let globals = Arc::new(
            LoopGlobals {
                root: RootDevice::new(kernel::c_str!("tcm_loop_0"), module)?,
                template: ScsiHostTemplate::new(
                    module,
                    kernel::c_str!("TCM_Loopback"),
                    kernel::c_str!("tcm_loopback"),
                    &TemplateParams::TCM_LOOP,
                )?,
                queue: OwnedQueue::new(kernel::c_str!("tcm_loop"), 0, 0)?,
                hba_no: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?;
        GLOBALS.set(Some(globals));
        match FabricRegistration::new(&LOOP_FABRIC) {
            Ok(registration) => Ok(TcmLoop {
                _registration: registration,
            }),
            Err(e) => {
                GLOBALS.set(None);
                Err(e)
            }
        }
    }
}

impl Drop for TcmLoop {
    /// `tcm_loop_fabric_exit()`: no WWN exists any more (each pins the module).
    fn drop(&mut self) {
        GLOBALS.set(None);
    }
}
