// SPDX-License-Identifier: GPL-2.0

//! tcm_loop: the TCM loopback fabric (LIO: `drivers/target/loopback/tcm_loop.c`).
//!
//! Each WWN directory (`/sys/kernel/config/target/loopback/naa.*`, `fc.*` or `iqn.*`)
//! is an emulated SCSI target port: a Linux SCSI host whose commands go straight into
//! the target engine. Writing an initiator port name to `tpgt_N/nexus` opens the I_T
//! nexus; linking a LUN adds a SCSI device to the host, unlinking removes it.

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::{BStr, CStr};
use kernel::sync::{Arc, Mutex};
use target_core::fabric::{
    proto_id, FabricItemTypes, FabricPriv, FabricRegistration, FabricRoot, NewTpg, SeLun,
    SeSession, SeTpg, SeWwn, SubmitType, TargetFabric, TpgDir, TpgSubDir,
};
use target_core::lio::page::Page;
use target_core::lio::parse::{c_text, kstrtoul};

module! {
    type: TcmLoop,
    name: "tcm_loop",
    author: "lio-rs developers",
    description: "lio-rs: TCM loopback virtual Linux/SCSI fabric module",
    license: "GPL",
}

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

/// An emulated target port (`struct tcm_loop_hba`): the data of a WWN directory.
struct TcmLoopHba {
    /// `tl_proto_id`.
    proto: u8,
}

/// A TPG of the emulated port (`struct tcm_loop_tpg`).
#[pin_data]
struct TcmLoopTpg {
    hba: Arc<TcmLoopHba>,
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
        proto_name(tl_tpg.hba.proto),
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
            proto_name(tl_tpg.hba.proto),
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
    let proto = tl_tpg.hba.proto;
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
fn tpg_address_show(dir: &TpgDir, _page: &mut Page<'_>) -> Result {
    let _tl_tpg = loop_tpg(dir.tpg())?;
    // The SCSI host comes with the command path.
    Err(ENODEV)
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
        let hba: FabricPriv = Arc::new(TcmLoopHba { proto }, GFP_KERNEL)?;
        Ok(hba)
    }

    /// `tcm_loop_make_naa_tpg()`: `tpgt_N` with N below `TL_TPGS_PER_HBA`.
    fn make_tpg(&self, wwn: &SeWwn, name: &CStr) -> Result<NewTpg> {
        let hba = wwn.fabric_priv_arc::<TcmLoopHba>()?;
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
        let tl_tpg: FabricPriv = Arc::pin_init(
            pin_init!(TcmLoopTpg {
                hba,
                tpgt,
                transport_status: AtomicU8::new(TCM_TRANSPORT_ONLINE),
                fabric_prot_type: AtomicU32::new(0),
                port_count: AtomicU32::new(0),
                nexus <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )?;
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
        }
    }

    /// `tcm_loop_port_link()`.
    fn post_link(&self, tpg: &Arc<SeTpg>, _lun: &Arc<SeLun>) {
        if let Ok(tl_tpg) = loop_tpg(tpg) {
            tl_tpg.port_count.fetch_add(1, Ordering::Relaxed);
            pr_debug!("TCM_Loop_ConfigFS: Port Link Successful\n");
        }
    }

    /// `tcm_loop_port_unlink()`.
    fn pre_unlink(&self, tpg: &Arc<SeTpg>, _lun: &Arc<SeLun>) {
        if let Ok(tl_tpg) = loop_tpg(tpg) {
            tl_tpg.port_count.fetch_sub(1, Ordering::Relaxed);
            pr_debug!("TCM_Loop_ConfigFS: Port Unlink Successful\n");
        }
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
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(TcmLoop {
            _registration: FabricRegistration::new(&LOOP_FABRIC)?,
        })
    }
}
