// SPDX-License-Identifier: GPL-2.0

//! Devices: `core/<hba>/<dev>` (LIO: `struct se_device`, `target_core_device.c` and the
//! device part of `target_core_configfs.c`).

use crate::alua::{LuGpShared, T10Alua, TgPtGpShared, TgPtGps};
use crate::attrib::{DevAttrib, DevAttribGroup};
use crate::backend::BackendDevice;
use crate::backend::BackendOps;
use crate::configfs::DbRoot;
use crate::exec::Medium;
use crate::hba::HbaShared;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::page::Page;
use crate::lio::parse::{c_text, strstrip};
use crate::lio::time;
use crate::pr_configfs::{DevPrGroup, T10Pr};
use crate::stat::{self, DevStatGroup, DevStats};
use crate::transport::{copy_field, DevSnapshot};
use crate::wwn::{T10Wwn, T10WwnState};
use core::fmt::Write;
use core::sync::atomic::Ordering;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// `SE_DEV_ALIAS_LEN`.
const SE_DEV_ALIAS_LEN: usize = 512;
/// `SE_UDEV_PATH_LEN`.
const SE_UDEV_PATH_LEN: usize = 512;
/// `LU_GROUP_NAME_BUF`.
const LU_GROUP_NAME_BUF: usize = 256;

/// The mutable state of a device.
pub(crate) struct DeviceState {
    /// `DF_CONFIGURED`: `enable` succeeded.
    pub(crate) configured: bool,
    /// `export_count`: how many fabric LUNs link to the device.
    pub(crate) export_count: u32,
    /// `t10_wwn`: the identification INQUIRY reports.
    pub(crate) wwn: T10WwnState,
    /// `dev_alias`, once written (`DF_USING_ALIAS`).
    alias: Option<KVec<u8>>,
    /// `udev_path`, once written (`DF_USING_UDEV_PATH`).
    udev_path: Option<KVec<u8>>,
    /// `dev->queue_depth`: stays 0 until `attrib/queue_depth` is written.
    pub(crate) queue_depth: u32,
    /// `dev_attrib`.
    pub(crate) attrib: DevAttrib,
    /// The ALUA LU group the device is a member of (`dev_alua_lu_gp_mem`): the default
    /// one from enable on, none after `alua_lu_gp` is set to `NULL`.
    pub(crate) lu_gp: Option<Arc<LuGpShared>>,
    /// Whether the device has an LU group membership record (made at enable).
    lu_gp_mem: bool,
    /// The backend's part of the device.
    backend_dev: Arc<dyn BackendDevice>,
    /// `dev_index`: the core-wide device index the statistics show, given at enable
    /// (an enable that fails leaves the index it was given, as in LIO).
    pub(crate) dev_index: u32,
    /// `creation_time`: jiffies at enable, 0 before.
    pub(crate) creation_time: u64,
    /// `t10_pr`'s APTPL pre-registrations (the reservations are in [`DeviceCore::pr`]).
    pub(crate) pr: T10Pr,
    /// `t10_alua`: target port groups and the referrals map.
    pub(crate) alua: T10Alua,
}

impl DeviceState {
    /// The backend's `get_device_type()`.
    pub(crate) fn device_type(&self) -> u8 {
        self.backend_dev.device_type()
    }

    /// Whether the backend tells its write cache state (`transport->get_write_cache`).
    pub(crate) fn backend_knows_write_cache(&self) -> bool {
        self.backend_dev.get_write_cache().is_some()
    }
}

/// What a device shares with its default groups (`struct se_device`).
#[pin_data]
pub struct DeviceCore {
    hba: Arc<HbaShared>,
    /// The configfs name of the device directory.
    name: KVec<u8>,
    #[pin]
    pub(crate) state: Mutex<DeviceState>,
    /// `t10_pr` and the SPC-2 reservation holder (`dev_reservation_lock`).
    #[pin]
    pub(crate) pr: Mutex<KBox<crate::pr::PrState>>,
    /// Command and task management counters (`num_cmds`, `read_bytes`, ...).
    pub(crate) stats: DevStats,
}

/// A device: the data of `core/<hba>/<dev>`.
#[pin_data]
pub struct SeDevice {
    core: Arc<DeviceCore>,
    #[pin]
    action: Group<DevActionGroup>,
    #[pin]
    attrib: Group<DevAttribGroup>,
    #[pin]
    pr: Group<DevPrGroup>,
    #[pin]
    wwn: Group<T10Wwn>,
    #[pin]
    alua: Group<TgPtGps>,
    #[pin]
    statistics: Group<DevStatGroup>,
}

configfs_default_groups!(SeDevice: action, attrib, pr, wwn, alua, statistics);

/// The data of `action/`: backend actions (`tb_dev_action_attrs`); rd_mcp has none.
pub(crate) struct DevActionGroup;

configfs_default_groups!(DevActionGroup:);

configfs_item_type! {
    static ACTION_TYPE: ItemType<DevActionGroup> = [];
}

impl DeviceCore {
    /// The device directory's name.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// The name of the device's HBA directory.
    pub(crate) fn hba_name(&self) -> &[u8] {
        &self.hba.name
    }

    /// The backend of the device's HBA.
    pub(crate) fn backend(&self) -> &'static BackendOps {
        self.hba.backend
    }

    /// `hba_index`: the statistics index of the device's HBA.
    pub(crate) fn hba_index(&self) -> u32 {
        self.hba.hba_index
    }

    /// The core-wide device registry this device counts in (for `dbroot`).
    pub(crate) fn dbroot(&self) -> &Arc<Mutex<DbRoot>> {
        &self.hba.dbroot
    }

    /// `<dbroot><dir><unit serial>/<name>` and a NUL: where LIO keeps a metadata file
    /// of this device (e.g. `dir` = `/alua/tpgs_`).
    pub(crate) fn metadata_path(&self, dir: &[u8], name: &[u8]) -> Result<KVec<u8>> {
        let mut path = KVec::new();
        path.extend_from_slice(self.dbroot().lock().as_bytes(), GFP_KERNEL)?;
        path.extend_from_slice(dir, GFP_KERNEL)?;
        path.extend_from_slice(&self.state.lock().wwn.unit_serial, GFP_KERNEL)?;
        path.extend_from_slice(b"/", GFP_KERNEL)?;
        path.extend_from_slice(name, GFP_KERNEL)?;
        path.push(0, GFP_KERNEL)?;
        Ok(path)
    }
}

impl core::ops::Deref for SeDevice {
    type Target = DeviceCore;

    fn deref(&self) -> &DeviceCore {
        &self.core
    }
}

configfs_item_type! {
    pub(crate) static DEVICE_TYPE: ItemType<SeDevice> = [
        "info" (0o444, show: SeDevice::info_show),
        "control" (0o200, store: SeDevice::control_store),
        "alias" (0o644, show: SeDevice::alias_show, store: SeDevice::alias_store),
        "udev_path" (0o644, show: SeDevice::udev_path_show, store: SeDevice::udev_path_store),
        "enable" (0o644, show: SeDevice::enable_show, store: SeDevice::enable_store),
        "alua_lu_gp" (0o644, show: SeDevice::alua_lu_gp_show, store: SeDevice::alua_lu_gp_store),
        "lba_map" (0o644, show: SeDevice::lba_map_show, store: SeDevice::lba_map_store),
    ];
}

/// `se_dev_align_max_sectors()`: whole pages per transfer.
fn align_max_sectors(max_sectors: u32, block_size: u32) -> u32 {
    let alignment = (kernel::page::PAGE_SIZE as u32 / block_size.max(1)).max(1);
    let aligned = max_sectors - max_sectors % alignment;
    if aligned != max_sectors {
        pr_info!(
            "Rounding down aligned max_sectors from {} to {}\n",
            max_sectors,
            aligned
        );
    }
    aligned
}

/// Stores a free-text attribute the way `alias` and `udev_path` are stored: at most
/// `max - 1` bytes, up to the first NUL, one trailing newline dropped, not empty.
fn store_text(what: &str, input: &[u8], max: usize) -> Result<KVec<u8>> {
    if input.len() > max - 1 {
        pr_err!(
            "{} count: {} exceeds SE_DEV_{}_LEN-1: {}\n",
            what,
            input.len(),
            if what == "alias" {
                "ALIAS"
            } else {
                "UDEV_PATH"
            },
            max - 1
        );
        return Err(EINVAL);
    }
    let mut text = c_text(input);
    if text.is_empty() {
        return Err(EINVAL);
    }
    if let [t @ .., b'\n'] = text {
        text = t;
    }
    kvec_from(text)
}

impl SeDevice {
    /// `target_alloc_device()` + the configfs group of `mkdir core/<hba>/NAME`.
    pub(crate) fn new_group(name: &CStr, hba: Arc<HbaShared>) -> Result<Pin<KBox<Group<Self>>>> {
        let wwn = T10WwnState::new(hba.backend)?;
        let backend_dev = (hba.backend.alloc_device)()?;
        let dev_name = kvec_from(c_text(name.as_bytes()))?;
        let pr = KBox::init(kernel::init::zeroed(), GFP_KERNEL)?;
        let default_tg_pt_gp = TgPtGpShared::new(b"default_tg_pt_gp")?;
        let alua = T10Alua::new(&default_tg_pt_gp)?;
        let core = Arc::pin_init(
            try_pin_init!(DeviceCore {
                hba,
                name: dev_name,
                state <- new_mutex!(DeviceState {
                    configured: false,
                    export_count: 0,
                    wwn,
                    alias: None,
                    udev_path: None,
                    queue_depth: 0,
                    attrib: DevAttrib::default(),
                    lu_gp: None,
                    lu_gp_mem: false,
                    backend_dev,
                    dev_index: 0,
                    creation_time: 0,
                    pr: T10Pr::default(),
                    alua,
                }),
                pr <- new_mutex!(pr),
                stats: DevStats::default(),
            }? Error),
            GFP_KERNEL,
        )?;
        Group::new_child(
            name,
            &DEVICE_TYPE,
            try_pin_init!(SeDevice {
                action <- Group::new(kernel::c_str!("action"), &ACTION_TYPE, DevActionGroup),
                attrib <- DevAttribGroup::group(core.clone()),
                pr <- DevPrGroup::group(core.clone()),
                wwn <- T10Wwn::group(core.clone()),
                alua <- TgPtGps::group(core.clone(), default_tg_pt_gp),
                statistics <- DevStatGroup::group(core.clone()),
                core,
            }? Error),
        )
    }

    /// The device shared with its LUNs and the command path.
    pub(crate) fn core(&self) -> &Arc<DeviceCore> {
        &self.core
    }

    /// `target_dev_configured()`: `enable` succeeded.
    pub(crate) fn is_configured(&self) -> bool {
        self.state.lock().configured
    }

    /// A fabric LUN now links to the device (`core_dev_add_lun`).
    pub(crate) fn add_export(&self) {
        self.state.lock().export_count += 1;
    }

    /// A fabric LUN no longer links to the device (`core_dev_del_lun`).
    pub(crate) fn del_export(&self) {
        let mut st = self.state.lock();
        st.export_count = st.export_count.saturating_sub(1);
    }

    fn info_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.state.lock();
        // transport_dump_dev_state()
        write!(
            page,
            "Status: {}  Max Queue Depth: {}  SectorSize: {}  HwMaxSectors: {}\n        ",
            if st.export_count != 0 {
                "ACTIVATED"
            } else {
                "DEACTIVATED"
            },
            st.queue_depth,
            st.attrib.block_size,
            st.attrib.hw_max_sectors
        )?;
        st.backend_dev.show_configfs_dev_params(page)
    }

    fn control_store(&self, input: &[u8]) -> Result {
        self.state.lock().backend_dev.set_configfs_dev_params(input)
    }

    fn alias_show(&self, page: &mut Page<'_>) -> Result {
        if let Some(alias) = &self.state.lock().alias {
            page.write_bytes(alias)?;
            page.write_bytes(b"\n")?;
        }
        Ok(())
    }

    fn alias_store(&self, input: &[u8]) -> Result {
        let alias = store_text("alias", input, SE_DEV_ALIAS_LEN)?;
        self.state.lock().alias = Some(alias);
        Ok(())
    }

    fn udev_path_show(&self, page: &mut Page<'_>) -> Result {
        if let Some(path) = &self.state.lock().udev_path {
            page.write_bytes(path)?;
            page.write_bytes(b"\n")?;
        }
        Ok(())
    }

    fn udev_path_store(&self, input: &[u8]) -> Result {
        let path = store_text("udev_path", input, SE_UDEV_PATH_LEN)?;
        self.state.lock().udev_path = Some(path);
        Ok(())
    }

    fn enable_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "{}", u8::from(self.state.lock().configured))?;
        Ok(())
    }

    /// `target_dev_enable_store()` + `target_configure_device()`: any input containing a
    /// `1` enables; there is no way back.
    fn enable_store(&self, input: &[u8]) -> Result {
        if !c_text(input).contains(&b'1') {
            pr_err!("For dev_enable ops, only valid value is \"1\"\n");
            return Err(EINVAL);
        }
        let mut st = self.state.lock();
        if st.configured {
            pr_err!("se_dev->se_dev_ptr already set for storage object\n");
            return Err(EEXIST);
        }
        st.dev_index = stat::devices_idr_alloc();
        // The backend's configure_device() sets the hardware attributes.
        let backend_dev = st.backend_dev.clone();
        backend_dev.configure_device(&mut st.attrib)?;
        let dev_id = self.hba.host_dev_id_count.fetch_add(1, Ordering::Relaxed);
        st.backend_dev.set_dev_id(dev_id);
        // target_configure_device()
        let a = &mut st.attrib;
        a.block_size = a.hw_block_size;
        a.queue_depth = a.hw_queue_depth;
        a.hw_max_sectors = align_max_sectors(a.hw_max_sectors, a.hw_block_size);
        a.optimal_sectors = a.hw_max_sectors;
        st.creation_time = time::get_jiffies_64();
        // core_setup_alua(): join the default LU group.
        let lu_gp = self.hba.default_lu_gp.clone();
        lu_gp.attach(self.core.clone())?;
        st.lu_gp = Some(lu_gp);
        st.lu_gp_mem = true;
        self.hba.dev_count.fetch_add(1, Ordering::Relaxed);
        st.configured = true;
        Ok(())
    }

    fn alua_lu_gp_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.state.lock();
        match &st.lu_gp {
            Some(lu_gp) => lu_gp.show_membership(page),
            None => Ok(()),
        }
    }

    /// `target_dev_alua_lu_gp_store()`: a group's name moves the device to it, `NULL`
    /// takes it out of its group.
    fn alua_lu_gp_store(&self, input: &[u8]) -> Result {
        let mut st = self.state.lock();
        if !st.lu_gp_mem {
            return Ok(());
        }
        if input.len() > LU_GROUP_NAME_BUF {
            pr_err!("ALUA LU Group Alias too large!\n");
            return Err(EINVAL);
        }
        let name = strstrip(c_text(input));
        let new = if name == b"NULL" {
            None
        } else if self.hba.default_lu_gp.matches(name) {
            Some(self.hba.default_lu_gp.clone())
        } else {
            return Err(ENODEV);
        };
        if let Some(old) = st.lu_gp.take() {
            old.drop_member(&self.core);
        }
        if let Some(new) = new {
            new.attach(self.core.clone())?;
            st.lu_gp = Some(new);
        }
        Ok(())
    }

    fn lba_map_show(&self, page: &mut Page<'_>) -> Result {
        self.state.lock().alua.lba_map_show(page)
    }

    fn lba_map_store(&self, input: &[u8]) -> Result {
        self.state.lock().alua.lba_map_store(input)
    }

    /// Called when the device leaves configfs (`target_core_drop_subdev`).
    pub(crate) fn on_drop(&self) {
        let mut st = self.state.lock();
        if st.configured {
            self.hba.dev_count.fetch_sub(1, Ordering::Relaxed);
        }
        // core_alua_free_lu_gp_mem(): leave the group (which holds a reference).
        if let Some(lu_gp) = st.lu_gp.take() {
            lu_gp.drop_member(&self.core);
        }
    }
}

impl DeviceCore {
    /// What the command path needs of the device, copied under its lock, and its medium.
    /// `ENODEV` until the device is enabled.
    pub(crate) fn snapshot(&self) -> Result<(DevSnapshot, Arc<dyn Medium>)> {
        let st = self.state.lock();
        if !st.configured {
            return Err(ENODEV);
        }
        let medium = st.backend_dev.medium()?;
        let w = &st.wwn;
        let mut snap = DevSnapshot {
            vendor: [0; 8],
            vendor_len: 0,
            model: [0; 16],
            model_len: 0,
            revision: [0; 4],
            revision_len: 0,
            serial: [0; 254],
            serial_len: 0,
            has_serial: !w.unit_serial.is_empty(),
            company_id: w.company_id,
            last_lba: st.backend_dev.last_lba(st.attrib.block_size),
            export_count: st.export_count,
            lu_gp_id: st.lu_gp.as_ref().and_then(|g| g.id()),
            attrib: st.attrib,
            get_write_cache: st.backend_dev.get_write_cache(),
            io_min: st.backend_dev.get_io_min(),
            io_opt: st.backend_dev.get_io_opt(),
            // get_lbppbe() & 0x0f and a be16 of get_alignment_offset_lbas(), as LIO
            // puts them in READ CAPACITY (16).
            lbppbe: (st.backend_dev.get_lbppbe() & 0x0f) as u8,
            alignment_offset_lbas: st.backend_dev.get_alignment_offset_lbas() as u16,
            read_only: st.backend_dev.read_only(),
        };
        snap.vendor_len = copy_field(&mut snap.vendor, &w.vendor);
        snap.model_len = copy_field(&mut snap.model, &w.model);
        snap.revision_len = copy_field(&mut snap.revision, &w.revision);
        snap.serial_len = copy_field(&mut snap.serial, &w.unit_serial);
        Ok((snap, medium))
    }
}
