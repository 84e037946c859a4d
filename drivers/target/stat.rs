// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<dev>/statistics`: the SNMP-MIB style device tables (LIO:
//! `target_core_stat.c`, device part) and the counters and indexes they show.
//!
//! ```text
//! statistics/        DevStatGroup (mkdir: ENOSYS)
//! ├── scsi_dev/      inst indx role ports
//! ├── scsi_tgt_dev/  inst indx num_lus status non_access_lus resets aborts_complete
//! │                  aborts_no_task
//! └── scsi_lu/       inst dev indx lun lu_name vend prod rev dev_type status state_bit
//!                    num_cmds read_mbytes write_mbytes resets full_stat hs_num_cmds
//!                    creation_time
//! ```

use crate::device::DeviceCore;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group, GroupOperations};
use crate::lio::errno::enosys;
use crate::lio::page::Page;
use crate::lio::time::jiffies_to_mib_time;
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// `SCSI_LU_INDEX`.
const SCSI_LU_INDEX: u32 = 1;
/// `LU_COUNT`.
const LU_COUNT: u32 = 1;
/// `INQUIRY_VENDOR_LEN`, `INQUIRY_MODEL_LEN`, `INQUIRY_REVISION_LEN`: the `%-Ns` widths.
const VENDOR_WIDTH: usize = 8;
const MODEL_WIDTH: usize = 16;
const REVISION_WIDTH: usize = 4;

/// `scsi_mib_index[SCSI_INST_INDEX]`: the last HBA index handed out. The core's internal
/// HBA of the virtual LUN 0 takes 1 at load time in LIO, so user HBAs start at 2.
static SCSI_INST_INDEX: AtomicU32 = AtomicU32::new(1);

/// The next index of `devices_idr`, which LIO allocates cyclically: the virtual LUN 0
/// device takes 0 at load time; an index is used up even when enabling fails.
static DEVICES_IDR_NEXT: AtomicU32 = AtomicU32::new(1);

/// `scsi_get_new_index(SCSI_INST_INDEX)`: an HBA's `hba_index`.
pub(crate) fn scsi_get_new_inst_index() -> u32 {
    SCSI_INST_INDEX
        .fetch_add(1, Ordering::Relaxed)
        .wrapping_add(1)
}

/// `idr_alloc_cyclic(&devices_idr, dev, 0, INT_MAX)`: a device's `dev_index` at enable.
/// (Indexes are never reused before the cursor wraps at `INT_MAX`, which lio-rs does not
/// model.)
pub(crate) fn devices_idr_alloc() -> u32 {
    DEVICES_IDR_NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The per-device counters of `struct se_device` that the statistics show. The command
/// path increments them (`target_core_device.c`, `target_core_tmr.c`).
#[derive(Default)]
pub(crate) struct DevStats {
    /// `num_cmds`.
    pub(crate) num_cmds: AtomicU64,
    /// `read_bytes`.
    pub(crate) read_bytes: AtomicU64,
    /// `write_bytes`.
    pub(crate) write_bytes: AtomicU64,
    /// `num_resets`.
    pub(crate) num_resets: AtomicU64,
    /// `aborts_complete`.
    pub(crate) aborts_complete: AtomicU64,
    /// `aborts_no_task`.
    pub(crate) aborts_no_task: AtomicU64,
}

/// The data of `statistics/`.
#[pin_data]
pub(crate) struct DevStatGroup {
    #[pin]
    scsi_dev: Group<ScsiDev>,
    #[pin]
    scsi_tgt_dev: Group<ScsiTgtDev>,
    #[pin]
    scsi_lu: Group<ScsiLu>,
}

configfs_default_groups!(DevStatGroup: scsi_dev, scsi_tgt_dev, scsi_lu);

configfs_item_type! {
    static STAT_TYPE: ItemType<DevStatGroup> = ItemType::with_children [];
}

/// What `mkdir statistics/NAME` would make: nothing, it fails with `ENOSYS`.
pub(crate) struct NoStatGroup;

configfs_default_groups!(NoStatGroup:);

impl GroupOperations for DevStatGroup {
    type Child = NoStatGroup;

    /// `target_core_stat_mkdir()`.
    fn make_group(&self, _name: &CStr) -> Result<Pin<KBox<Group<NoStatGroup>>>> {
        Err(enosys())
    }
}

impl DevStatGroup {
    /// The `statistics` default group of a device (`target_stat_setup_dev_default_groups`).
    pub(crate) fn group(dev: Arc<DeviceCore>) -> impl PinInit<Group<DevStatGroup>, Error> {
        Group::new(
            kernel::c_str!("statistics"),
            &STAT_TYPE,
            try_pin_init!(DevStatGroup {
                scsi_dev <- Group::new(
                    kernel::c_str!("scsi_dev"),
                    &SCSI_DEV_TYPE,
                    ScsiDev { dev: dev.clone() },
                ),
                scsi_tgt_dev <- Group::new(
                    kernel::c_str!("scsi_tgt_dev"),
                    &SCSI_TGT_DEV_TYPE,
                    ScsiTgtDev { dev: dev.clone() },
                ),
                scsi_lu <- Group::new(kernel::c_str!("scsi_lu"), &SCSI_LU_TYPE, ScsiLu { dev }),
            }? Error),
        )
    }
}

/// `"%-Ns\n"`: `text` left-aligned in at least `width` columns.
fn write_padded(page: &mut Page<'_>, text: &[u8], width: usize) -> Result {
    page.write_bytes(text)?;
    for _ in text.len()..width {
        page.write_bytes(b" ")?;
    }
    page.write_bytes(b"\n")?;
    Ok(())
}

fn write_u64(page: &mut Page<'_>, v: u64) -> Result {
    writeln!(page, "{}", v)?;
    Ok(())
}

/// The data of `statistics/scsi_dev` (SCSI Device Table).
pub(crate) struct ScsiDev {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(ScsiDev:);

configfs_item_type! {
    static SCSI_DEV_TYPE: ItemType<ScsiDev> = [
        "inst" (0o444, show: ScsiDev::inst_show),
        "indx" (0o444, show: ScsiDev::indx_show),
        "role" (0o444, show: ScsiDev::role_show),
        "ports" (0o444, show: ScsiDev::ports_show),
    ];
}

impl ScsiDev {
    fn inst_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.hba_index().into())
    }

    fn indx_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.state.lock().dev_index.into())
    }

    fn role_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"Target\n")?;
        Ok(())
    }

    fn ports_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.state.lock().export_count.into())
    }
}

/// The data of `statistics/scsi_tgt_dev` (SCSI Target Device Table).
pub(crate) struct ScsiTgtDev {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(ScsiTgtDev:);

configfs_item_type! {
    static SCSI_TGT_DEV_TYPE: ItemType<ScsiTgtDev> = [
        "inst" (0o444, show: ScsiTgtDev::inst_show),
        "indx" (0o444, show: ScsiTgtDev::indx_show),
        "num_lus" (0o444, show: ScsiTgtDev::num_lus_show),
        "status" (0o444, show: ScsiTgtDev::status_show),
        "non_access_lus" (0o444, show: ScsiTgtDev::non_access_lus_show),
        "resets" (0o444, show: ScsiTgtDev::resets_show),
        "aborts_complete" (0o444, show: ScsiTgtDev::aborts_complete_show),
        "aborts_no_task" (0o444, show: ScsiTgtDev::aborts_no_task_show),
    ];
}

impl ScsiTgtDev {
    fn inst_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.hba_index().into())
    }

    fn indx_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.state.lock().dev_index.into())
    }

    fn num_lus_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, LU_COUNT.into())
    }

    /// No newline, as in LIO.
    fn status_show(&self, page: &mut Page<'_>) -> Result {
        let text: &[u8] = if self.dev.state.lock().export_count != 0 {
            b"activated"
        } else {
            b"deactivated"
        };
        page.write_bytes(text)?;
        Ok(())
    }

    fn non_access_lus_show(&self, page: &mut Page<'_>) -> Result {
        let exported = self.dev.state.lock().export_count != 0;
        write_u64(page, u64::from(!exported))
    }

    fn resets_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.stats.num_resets.load(Ordering::Relaxed))
    }

    fn aborts_complete_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.stats.aborts_complete.load(Ordering::Relaxed))
    }

    fn aborts_no_task_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.stats.aborts_no_task.load(Ordering::Relaxed))
    }
}

/// The data of `statistics/scsi_lu` (SCSI Logical Unit Table).
pub(crate) struct ScsiLu {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(ScsiLu:);

configfs_item_type! {
    static SCSI_LU_TYPE: ItemType<ScsiLu> = [
        "inst" (0o444, show: ScsiLu::inst_show),
        "dev" (0o444, show: ScsiLu::dev_show),
        "indx" (0o444, show: ScsiLu::indx_show),
        "lun" (0o444, show: ScsiLu::lun_show),
        "lu_name" (0o444, show: ScsiLu::lu_name_show),
        "vend" (0o444, show: ScsiLu::vend_show),
        "prod" (0o444, show: ScsiLu::prod_show),
        "rev" (0o444, show: ScsiLu::rev_show),
        "dev_type" (0o444, show: ScsiLu::dev_type_show),
        "status" (0o444, show: ScsiLu::status_show),
        "state_bit" (0o444, show: ScsiLu::state_bit_show),
        "num_cmds" (0o444, show: ScsiLu::num_cmds_show),
        "read_mbytes" (0o444, show: ScsiLu::read_mbytes_show),
        "write_mbytes" (0o444, show: ScsiLu::write_mbytes_show),
        "resets" (0o444, show: ScsiLu::resets_show),
        "full_stat" (0o444, show: ScsiLu::zero_show),
        "hs_num_cmds" (0o444, show: ScsiLu::zero_show),
        "creation_time" (0o444, show: ScsiLu::creation_time_show),
    ];
}

impl ScsiLu {
    fn inst_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.hba_index().into())
    }

    fn dev_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.state.lock().dev_index.into())
    }

    fn indx_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, SCSI_LU_INDEX.into())
    }

    /// `scsiLuDefaultLun`: always 0 in LIO.
    fn lun_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, 0)
    }

    fn lu_name_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.state.lock();
        if st.wwn.unit_serial.is_empty() {
            page.write_bytes(b"None")?;
        } else {
            page.write_bytes(&st.wwn.unit_serial)?;
        }
        page.write_bytes(b"\n")?;
        Ok(())
    }

    fn vend_show(&self, page: &mut Page<'_>) -> Result {
        write_padded(page, &self.dev.state.lock().wwn.vendor, VENDOR_WIDTH)
    }

    fn prod_show(&self, page: &mut Page<'_>) -> Result {
        write_padded(page, &self.dev.state.lock().wwn.model, MODEL_WIDTH)
    }

    fn rev_show(&self, page: &mut Page<'_>) -> Result {
        write_padded(page, &self.dev.state.lock().wwn.revision, REVISION_WIDTH)
    }

    /// `scsiLuPeripheralType`: the backend's `get_device_type()`.
    fn dev_type_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.state.lock().device_type().into())
    }

    fn status_show(&self, page: &mut Page<'_>) -> Result {
        let text: &[u8] = if self.dev.state.lock().export_count != 0 {
            b"available\n"
        } else {
            b"notavailable\n"
        };
        page.write_bytes(text)?;
        Ok(())
    }

    fn state_bit_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"exposed\n")?;
        Ok(())
    }

    fn num_cmds_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.stats.num_cmds.load(Ordering::Relaxed))
    }

    fn read_mbytes_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(
            page,
            self.dev.stats.read_bytes.load(Ordering::Relaxed) >> 20,
        )
    }

    fn write_mbytes_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(
            page,
            self.dev.stats.write_bytes.load(Ordering::Relaxed) >> 20,
        )
    }

    fn resets_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, self.dev.stats.num_resets.load(Ordering::Relaxed))
    }

    /// `scsiLuOutTaskSetFullStatus` and `scsiLuHSInCommands`: FIXMEs printing 0 in LIO.
    fn zero_show(&self, page: &mut Page<'_>) -> Result {
        write_u64(page, 0)
    }

    /// `scsiLuCreationTime`: when the device was enabled (0 jiffies before that).
    fn creation_time_show(&self, page: &mut Page<'_>) -> Result {
        let j = self.dev.state.lock().creation_time;
        write_u64(page, jiffies_to_mib_time(j).into())
    }
}
