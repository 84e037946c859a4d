// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<dev>/attrib`: the emulation attributes of an SBC device (LIO: `struct
//! se_dev_attrib` and `sbc_attrib_attrs` of `target_core_configfs.c`).

use crate::device::DeviceCore;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::errno::enosys;
use crate::lio::page::Page;
use crate::lio::parse::{kstrtobool, kstrtou32, kstrtou8};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// `INQUIRY_MODEL_LEN`.
const INQUIRY_MODEL_LEN: usize = 16;
/// `TARGET_UA_INTLCK_CTRL_ESTABLISH_UA`, the largest `emulate_ua_intlck_ctrl`.
const TARGET_UA_INTLCK_CTRL_ESTABLISH_UA: u32 = 2;
/// `TARGET_QUEUE_SUBMIT`, the largest `submit_type`.
const TARGET_QUEUE_SUBMIT: u8 = 2;

/// `struct se_dev_attrib`, with `target_alloc_device()`'s defaults.
#[derive(Clone, Copy)]
pub struct DevAttrib {
    /// `emulate_model_alias`: the `attrib/emulate_model_alias` attribute.
    pub emulate_model_alias: bool,
    /// `emulate_dpo`: the `attrib/emulate_dpo` attribute.
    pub emulate_dpo: bool,
    /// `emulate_fua_write`: the `attrib/emulate_fua_write` attribute.
    pub emulate_fua_write: bool,
    /// `emulate_fua_read`: the `attrib/emulate_fua_read` attribute.
    pub emulate_fua_read: bool,
    /// `emulate_write_cache`: the `attrib/emulate_write_cache` attribute.
    pub emulate_write_cache: bool,
    /// `emulate_ua_intlck_ctrl`: the `attrib/emulate_ua_intlck_ctrl` attribute.
    pub emulate_ua_intlck_ctrl: u32,
    /// `emulate_tas`: the `attrib/emulate_tas` attribute.
    pub emulate_tas: bool,
    /// `emulate_tpu`: the `attrib/emulate_tpu` attribute.
    pub emulate_tpu: bool,
    /// `emulate_tpws`: the `attrib/emulate_tpws` attribute.
    pub emulate_tpws: bool,
    /// `emulate_caw`: the `attrib/emulate_caw` attribute.
    pub emulate_caw: bool,
    /// `emulate_3pc`: the `attrib/emulate_3pc` attribute.
    pub emulate_3pc: bool,
    /// `emulate_pr`: the `attrib/emulate_pr` attribute.
    pub emulate_pr: bool,
    /// `emulate_rsoc`: the `attrib/emulate_rsoc` attribute.
    pub emulate_rsoc: bool,
    /// `pi_prot_type`: the `attrib/pi_prot_type` attribute.
    pub pi_prot_type: u32,
    /// `hw_pi_prot_type`: the `attrib/hw_pi_prot_type` attribute.
    pub hw_pi_prot_type: u32,
    /// `pi_prot_verify`: the `attrib/pi_prot_verify` attribute.
    pub pi_prot_verify: bool,
    /// `enforce_pr_isids`: the `attrib/enforce_pr_isids` attribute.
    pub enforce_pr_isids: bool,
    /// `force_pr_aptpl`: the `attrib/force_pr_aptpl` attribute.
    pub force_pr_aptpl: bool,
    /// `is_nonrot`: the `attrib/is_nonrot` attribute.
    pub is_nonrot: bool,
    /// `emulate_rest_reord`: the `attrib/emulate_rest_reord` attribute.
    pub emulate_rest_reord: bool,
    /// `hw_block_size`: the `attrib/hw_block_size` attribute.
    pub hw_block_size: u32,
    /// `block_size`: the `attrib/block_size` attribute.
    pub block_size: u32,
    /// `hw_max_sectors`: the `attrib/hw_max_sectors` attribute.
    pub hw_max_sectors: u32,
    /// `optimal_sectors`: the `attrib/optimal_sectors` attribute.
    pub optimal_sectors: u32,
    /// `hw_queue_depth`: the `attrib/hw_queue_depth` attribute.
    pub hw_queue_depth: u32,
    /// `queue_depth`: the `attrib/queue_depth` attribute.
    pub queue_depth: u32,
    /// `max_unmap_lba_count`: the `attrib/max_unmap_lba_count` attribute.
    pub max_unmap_lba_count: u32,
    /// `max_unmap_block_desc_count`: the `attrib/max_unmap_block_desc_count` attribute.
    pub max_unmap_block_desc_count: u32,
    /// `unmap_granularity`: the `attrib/unmap_granularity` attribute.
    pub unmap_granularity: u32,
    /// `unmap_granularity_alignment`: the `attrib/unmap_granularity_alignment` attribute.
    pub unmap_granularity_alignment: u32,
    /// `unmap_zeroes_data`: the `attrib/unmap_zeroes_data` attribute.
    pub unmap_zeroes_data: bool,
    /// `max_write_same_len`: the `attrib/max_write_same_len` attribute.
    pub max_write_same_len: u32,
    /// `submit_type`: the `attrib/submit_type` attribute.
    pub submit_type: u8,
}

impl Default for DevAttrib {
    fn default() -> Self {
        DevAttrib {
            emulate_model_alias: false,
            emulate_dpo: true,
            emulate_fua_write: true,
            emulate_fua_read: true,
            emulate_write_cache: false,
            emulate_ua_intlck_ctrl: 0,
            emulate_tas: true,
            emulate_tpu: false,
            emulate_tpws: false,
            emulate_caw: true,
            emulate_3pc: true,
            emulate_pr: true,
            emulate_rsoc: true,
            pi_prot_type: 0,
            hw_pi_prot_type: 0,
            pi_prot_verify: false,
            enforce_pr_isids: true,
            force_pr_aptpl: false,
            is_nonrot: false,
            emulate_rest_reord: false,
            hw_block_size: 0,
            block_size: 0,
            hw_max_sectors: 0,
            optimal_sectors: 0,
            hw_queue_depth: 0,
            queue_depth: 0,
            max_unmap_lba_count: 0,
            max_unmap_block_desc_count: 0,
            unmap_granularity: 0,
            unmap_granularity_alignment: 0,
            unmap_zeroes_data: false,
            max_write_same_len: 0,
            submit_type: 0,
        }
    }
}

/// The data of `attrib/`.
pub(crate) struct DevAttribGroup {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(DevAttribGroup:);

/// `DEF_CONFIGFS_ATTRIB_SHOW`: `"%u\n"` of a field.
macro_rules! attrib_show {
    ($($fn:ident => $field:ident),* $(,)?) => {
        $(
            fn $fn(&self, page: &mut Page<'_>) -> Result {
                let v = self.dev.state.lock().attrib.$field;
                writeln!(page, "{}", u32::from(v))?;
                Ok(())
            }
        )*
    };
}

/// `DEF_CONFIGFS_ATTRIB_STORE_BOOL` / `_U32`: parse and set, nothing else.
macro_rules! attrib_store_plain {
    ($($fn:ident => $field:ident : $parse:ident),* $(,)?) => {
        $(
            fn $fn(&self, input: &[u8]) -> Result {
                let v = $parse(input, 0)?;
                self.dev.state.lock().attrib.$field = v;
                Ok(())
            }
        )*
    };
}

fn bool_arg(input: &[u8], _base: u32) -> Result<bool> {
    Ok(kstrtobool(input)?)
}

fn u32_arg(input: &[u8], base: u32) -> Result<u32> {
    Ok(kstrtou32(input, base)?)
}

configfs_item_type! {
    static ATTRIB_TYPE: ItemType<DevAttribGroup> = [
        "emulate_model_alias" (0o644, show: DevAttribGroup::emulate_model_alias_show,
            store: DevAttribGroup::emulate_model_alias_store),
        "emulate_dpo" (0o644, show: DevAttribGroup::emulate_dpo_show,
            store: DevAttribGroup::emulate_dpo_store),
        "emulate_fua_write" (0o644, show: DevAttribGroup::emulate_fua_write_show,
            store: DevAttribGroup::emulate_fua_write_store),
        "emulate_fua_read" (0o644, show: DevAttribGroup::emulate_fua_read_show,
            store: DevAttribGroup::emulate_fua_read_store),
        "emulate_write_cache" (0o644, show: DevAttribGroup::emulate_write_cache_show,
            store: DevAttribGroup::emulate_write_cache_store),
        "emulate_ua_intlck_ctrl" (0o644, show: DevAttribGroup::emulate_ua_intlck_ctrl_show,
            store: DevAttribGroup::emulate_ua_intlck_ctrl_store),
        "emulate_tas" (0o644, show: DevAttribGroup::emulate_tas_show,
            store: DevAttribGroup::emulate_tas_store),
        "emulate_tpu" (0o644, show: DevAttribGroup::emulate_tpu_show,
            store: DevAttribGroup::emulate_tpu_store),
        "emulate_tpws" (0o644, show: DevAttribGroup::emulate_tpws_show,
            store: DevAttribGroup::emulate_tpws_store),
        "emulate_caw" (0o644, show: DevAttribGroup::emulate_caw_show,
            store: DevAttribGroup::emulate_caw_store),
        "emulate_3pc" (0o644, show: DevAttribGroup::emulate_3pc_show,
            store: DevAttribGroup::emulate_3pc_store),
        "emulate_pr" (0o644, show: DevAttribGroup::emulate_pr_show,
            store: DevAttribGroup::emulate_pr_store),
        "pi_prot_type" (0o644, show: DevAttribGroup::pi_prot_type_show,
            store: DevAttribGroup::pi_prot_type_store),
        "hw_pi_prot_type" (0o444, show: DevAttribGroup::hw_pi_prot_type_show),
        "pi_prot_format" (0o644, show: DevAttribGroup::pi_prot_format_show,
            store: DevAttribGroup::pi_prot_format_store),
        "pi_prot_verify" (0o644, show: DevAttribGroup::pi_prot_verify_show,
            store: DevAttribGroup::pi_prot_verify_store),
        "enforce_pr_isids" (0o644, show: DevAttribGroup::enforce_pr_isids_show,
            store: DevAttribGroup::enforce_pr_isids_store),
        "is_nonrot" (0o644, show: DevAttribGroup::is_nonrot_show,
            store: DevAttribGroup::is_nonrot_store),
        "emulate_rest_reord" (0o644, show: DevAttribGroup::emulate_rest_reord_show,
            store: DevAttribGroup::emulate_rest_reord_store),
        "force_pr_aptpl" (0o644, show: DevAttribGroup::force_pr_aptpl_show,
            store: DevAttribGroup::force_pr_aptpl_store),
        "hw_block_size" (0o444, show: DevAttribGroup::hw_block_size_show),
        "block_size" (0o644, show: DevAttribGroup::block_size_show,
            store: DevAttribGroup::block_size_store),
        "hw_max_sectors" (0o444, show: DevAttribGroup::hw_max_sectors_show),
        "optimal_sectors" (0o644, show: DevAttribGroup::optimal_sectors_show,
            store: DevAttribGroup::optimal_sectors_store),
        "hw_queue_depth" (0o444, show: DevAttribGroup::hw_queue_depth_show),
        "queue_depth" (0o644, show: DevAttribGroup::queue_depth_show,
            store: DevAttribGroup::queue_depth_store),
        "max_unmap_lba_count" (0o644, show: DevAttribGroup::max_unmap_lba_count_show,
            store: DevAttribGroup::max_unmap_lba_count_store),
        "max_unmap_block_desc_count" (0o644,
            show: DevAttribGroup::max_unmap_block_desc_count_show,
            store: DevAttribGroup::max_unmap_block_desc_count_store),
        "unmap_granularity" (0o644, show: DevAttribGroup::unmap_granularity_show,
            store: DevAttribGroup::unmap_granularity_store),
        "unmap_granularity_alignment" (0o644,
            show: DevAttribGroup::unmap_granularity_alignment_show,
            store: DevAttribGroup::unmap_granularity_alignment_store),
        "unmap_zeroes_data" (0o644, show: DevAttribGroup::unmap_zeroes_data_show,
            store: DevAttribGroup::unmap_zeroes_data_store),
        "max_write_same_len" (0o644, show: DevAttribGroup::max_write_same_len_show,
            store: DevAttribGroup::max_write_same_len_store),
        "alua_support" (0o644, show: DevAttribGroup::alua_support_show,
            store: DevAttribGroup::alua_support_store),
        "pgr_support" (0o644, show: DevAttribGroup::pgr_support_show,
            store: DevAttribGroup::pgr_support_store),
        "emulate_rsoc" (0o644, show: DevAttribGroup::emulate_rsoc_show,
            store: DevAttribGroup::emulate_rsoc_store),
        "submit_type" (0o644, show: DevAttribGroup::submit_type_show,
            store: DevAttribGroup::submit_type_store),
    ];
}

/// `printk_once` of the deprecated-attribute stores.
static DPO_WARNED: AtomicBool = AtomicBool::new(false);
static FUA_READ_WARNED: AtomicBool = AtomicBool::new(false);

impl DevAttribGroup {
    /// The `attrib` default group of a device.
    pub(crate) fn group(dev: Arc<DeviceCore>) -> impl PinInit<Group<DevAttribGroup>, Error> {
        Group::new(
            kernel::c_str!("attrib"),
            &ATTRIB_TYPE,
            DevAttribGroup { dev },
        )
    }

    /// Refuses a change while fabric LUNs export the device.
    fn unexported(&self, export_count: u32, what: &str) -> Result {
        if export_count != 0 {
            pr_err!(
                "dev[{:p}]: Unable to change SE Device {} while export_count is {}\n",
                &*self.dev,
                what,
                export_count
            );
            return Err(EINVAL);
        }
        Ok(())
    }

    /// `target_try_configure_unmap()`: rd_mcp has no `configure_unmap`.
    fn try_configure_unmap(&self) -> Result {
        pr_err!("Generic Block Discard not supported\n");
        Err(enosys())
    }

    attrib_show! {
        emulate_model_alias_show => emulate_model_alias,
        emulate_dpo_show => emulate_dpo,
        emulate_fua_write_show => emulate_fua_write,
        emulate_fua_read_show => emulate_fua_read,
        emulate_write_cache_show => emulate_write_cache,
        emulate_ua_intlck_ctrl_show => emulate_ua_intlck_ctrl,
        emulate_tas_show => emulate_tas,
        emulate_tpu_show => emulate_tpu,
        emulate_tpws_show => emulate_tpws,
        emulate_caw_show => emulate_caw,
        emulate_3pc_show => emulate_3pc,
        emulate_pr_show => emulate_pr,
        pi_prot_type_show => pi_prot_type,
        hw_pi_prot_type_show => hw_pi_prot_type,
        pi_prot_verify_show => pi_prot_verify,
        enforce_pr_isids_show => enforce_pr_isids,
        is_nonrot_show => is_nonrot,
        emulate_rest_reord_show => emulate_rest_reord,
        force_pr_aptpl_show => force_pr_aptpl,
        hw_block_size_show => hw_block_size,
        block_size_show => block_size,
        hw_max_sectors_show => hw_max_sectors,
        optimal_sectors_show => optimal_sectors,
        hw_queue_depth_show => hw_queue_depth,
        queue_depth_show => queue_depth,
        max_unmap_lba_count_show => max_unmap_lba_count,
        max_unmap_block_desc_count_show => max_unmap_block_desc_count,
        unmap_granularity_show => unmap_granularity,
        unmap_granularity_alignment_show => unmap_granularity_alignment,
        unmap_zeroes_data_show => unmap_zeroes_data,
        max_write_same_len_show => max_write_same_len,
        emulate_rsoc_show => emulate_rsoc,
        submit_type_show => submit_type,
    }

    attrib_store_plain! {
        max_unmap_lba_count_store => max_unmap_lba_count: u32_arg,
        max_unmap_block_desc_count_store => max_unmap_block_desc_count: u32_arg,
        unmap_granularity_store => unmap_granularity: u32_arg,
        unmap_granularity_alignment_store => unmap_granularity_alignment: u32_arg,
        max_write_same_len_store => max_write_same_len: u32_arg,
        emulate_fua_write_store => emulate_fua_write: bool_arg,
        emulate_caw_store => emulate_caw: bool_arg,
        emulate_3pc_store => emulate_3pc: bool_arg,
        emulate_pr_store => emulate_pr: bool_arg,
        enforce_pr_isids_store => enforce_pr_isids: bool_arg,
        is_nonrot_store => is_nonrot: bool_arg,
        emulate_rsoc_store => emulate_rsoc: bool_arg,
    }

    /// `emulate_write_cache_store()`: a backend that knows its write cache
    /// (`get_write_cache`, iblock) refuses the emulation.
    fn emulate_write_cache_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        if flag && st.backend_knows_write_cache() {
            pr_err!("emulate_write_cache not supported for this device\n");
            return Err(EINVAL);
        }
        st.attrib.emulate_write_cache = flag;
        Ok(())
    }

    fn emulate_model_alias_store(&self, input: &[u8]) -> Result {
        let mut st = self.dev.state.lock();
        if st.export_count != 0 {
            pr_err!(
                "dev[{:p}]: Unable to change model alias while export_count is {}\n",
                &*self.dev,
                st.export_count
            );
            return Err(EINVAL);
        }
        let flag = kstrtobool(input)?;
        let model = if flag {
            let name = self.dev.name();
            if name.len() >= INQUIRY_MODEL_LEN {
                pr_warn!(
                    "dev[{:p}]: Backstore name is too long for INQUIRY_MODEL, truncating to 15 characters\n",
                    &*self.dev
                );
            }
            // One byte shorter than INQUIRY carries, as LIO does.
            &name[..name.len().min(INQUIRY_MODEL_LEN - 1)]
        } else {
            self.dev.backend().inquiry_prod.as_bytes()
        };
        st.wwn.model = kvec_from(model)?;
        st.attrib.emulate_model_alias = flag;
        Ok(())
    }

    fn emulate_dpo_store(&self, _input: &[u8]) -> Result {
        if !DPO_WARNED.swap(true, Ordering::Relaxed) {
            pr_warn!("ignoring deprecated emulate_dpo attribute\n");
        }
        Ok(())
    }

    fn emulate_fua_read_store(&self, _input: &[u8]) -> Result {
        if !FUA_READ_WARNED.swap(true, Ordering::Relaxed) {
            pr_warn!("ignoring deprecated emulate_fua_read attribute\n");
        }
        Ok(())
    }

    fn emulate_ua_intlck_ctrl_store(&self, input: &[u8]) -> Result {
        let val = kstrtou32(input, 0)?;
        if val > TARGET_UA_INTLCK_CTRL_ESTABLISH_UA {
            pr_err!("Illegal value {}\n", val);
            return Err(EINVAL);
        }
        let mut st = self.dev.state.lock();
        self.unexported(st.export_count, "UA_INTRLCK_CTRL")?;
        st.attrib.emulate_ua_intlck_ctrl = val;
        Ok(())
    }

    fn emulate_tas_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        self.unexported(st.export_count, "TAS")?;
        st.attrib.emulate_tas = flag;
        Ok(())
    }

    fn emulate_tpu_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        if flag && st.attrib.max_unmap_block_desc_count == 0 {
            self.try_configure_unmap()?;
        }
        st.attrib.emulate_tpu = flag;
        Ok(())
    }

    fn emulate_tpws_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        if flag && st.attrib.max_unmap_block_desc_count == 0 {
            self.try_configure_unmap()?;
        }
        st.attrib.emulate_tpws = flag;
        Ok(())
    }

    /// T10-DIF on rd_mcp needs protection pages; lio-rs does not keep them yet, so
    /// only type 0 is accepted (LIO: `rd_init_prot()`).
    fn pi_prot_type_store(&self, input: &[u8]) -> Result {
        let flag = kstrtou32(input, 0)?;
        if flag > 3 {
            pr_err!("Illegal value {} for pi_prot_type\n", flag);
            return Err(EINVAL);
        }
        if flag == 2 {
            pr_err!("DIF TYPE2 protection currently not supported\n");
            return Err(enosys());
        }
        let st = self.dev.state.lock();
        if st.attrib.hw_pi_prot_type != 0 {
            pr_warn!("DIF protection enabled on underlying hardware, ignoring\n");
            return Ok(());
        }
        if flag == 0 {
            return Ok(());
        }
        pr_err!(
            "DIF protection not supported by backend: {}\n",
            self.dev.backend().name
        );
        Err(enosys())
    }

    fn pi_prot_format_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "0")?;
        Ok(())
    }

    fn pi_prot_format_store(&self, input: &[u8]) -> Result {
        if !kstrtobool(input)? {
            return Ok(());
        }
        pr_err!(
            "DIF protection format not supported by backend {}\n",
            self.dev.backend().name
        );
        Err(enosys())
    }

    fn pi_prot_verify_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        if !flag {
            st.attrib.pi_prot_verify = false;
            return Ok(());
        }
        if st.attrib.hw_pi_prot_type != 0 {
            pr_warn!("DIF protection enabled on underlying hardware, ignoring\n");
            return Ok(());
        }
        if st.attrib.pi_prot_type == 0 {
            pr_warn!("DIF protection not supported by backend, ignoring\n");
            return Ok(());
        }
        st.attrib.pi_prot_verify = true;
        Ok(())
    }

    fn force_pr_aptpl_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        if st.export_count != 0 {
            pr_err!(
                "dev[{:p}]: Unable to set force_pr_aptpl while export_count is {}\n",
                &*self.dev,
                st.export_count
            );
            return Err(EINVAL);
        }
        st.attrib.force_pr_aptpl = flag;
        Ok(())
    }

    fn emulate_rest_reord_store(&self, input: &[u8]) -> Result {
        if kstrtobool(input)? {
            pr_err!(
                "dev[{:p}]: SE Device emulation of restricted reordering not implemented\n",
                &*self.dev
            );
            return Err(enosys());
        }
        self.dev.state.lock().attrib.emulate_rest_reord = false;
        Ok(())
    }

    fn unmap_zeroes_data_store(&self, input: &[u8]) -> Result {
        let flag = kstrtobool(input)?;
        let mut st = self.dev.state.lock();
        self.unexported(st.export_count, "unmap_zeroes_data")?;
        if flag && st.attrib.max_unmap_block_desc_count == 0 {
            self.try_configure_unmap()?;
        }
        st.attrib.unmap_zeroes_data = flag;
        Ok(())
    }

    fn queue_depth_store(&self, input: &[u8]) -> Result {
        let val = kstrtou32(input, 0)?;
        let mut st = self.dev.state.lock();
        self.unexported(st.export_count, "TCQ")?;
        if val == 0 {
            pr_err!(
                "dev[{:p}]: Illegal ZERO value for queue_depth\n",
                &*self.dev
            );
            return Err(EINVAL);
        }
        if val > st.attrib.queue_depth && val > st.attrib.hw_queue_depth {
            pr_err!(
                "dev[{:p}]: Passed queue_depth: {} exceeds TCM/SE_Device MAX TCQ: {}\n",
                &*self.dev,
                val,
                st.attrib.hw_queue_depth
            );
            return Err(EINVAL);
        }
        st.attrib.queue_depth = val;
        st.queue_depth = val;
        Ok(())
    }

    fn optimal_sectors_store(&self, input: &[u8]) -> Result {
        let val = kstrtou32(input, 0)?;
        let mut st = self.dev.state.lock();
        self.unexported(st.export_count, "optimal_sectors")?;
        if val > st.attrib.hw_max_sectors {
            pr_err!(
                "dev[{:p}]: Passed optimal_sectors {} cannot be greater than hw_max_sectors: {}\n",
                &*self.dev,
                val,
                st.attrib.hw_max_sectors
            );
            return Err(EINVAL);
        }
        st.attrib.optimal_sectors = val;
        Ok(())
    }

    fn block_size_store(&self, input: &[u8]) -> Result {
        let val = kstrtou32(input, 0)?;
        let mut st = self.dev.state.lock();
        self.unexported(st.export_count, "block_size")?;
        if !matches!(val, 512 | 1024 | 2048 | 4096) {
            pr_err!(
                "dev[{:p}]: Illegal value for block_device: {} for SE device, must be 512, 1024, 2048 or 4096\n",
                &*self.dev,
                val
            );
            return Err(EINVAL);
        }
        st.attrib.block_size = val;
        Ok(())
    }

    /// rd_mcp emulates ALUA and PR itself (no pass-through flags), and the flags are
    /// not changeable.
    fn alua_support_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "1")?;
        Ok(())
    }

    fn alua_support_store(&self, input: &[u8]) -> Result {
        if kstrtobool(input)? {
            return Ok(());
        }
        pr_err!(
            "dev[{:p}]: Unable to change SE Device alua_support: alua_support has fixed value\n",
            &*self.dev
        );
        Err(enosys())
    }

    fn pgr_support_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "1")?;
        Ok(())
    }

    fn pgr_support_store(&self, input: &[u8]) -> Result {
        if kstrtobool(input)? {
            return Ok(());
        }
        pr_err!(
            "dev[{:p}]: Unable to change SE Device pgr_support: pgr_support has fixed value\n",
            &*self.dev
        );
        Err(enosys())
    }

    fn submit_type_store(&self, input: &[u8]) -> Result {
        let val = kstrtou8(input, 0)?;
        if val > TARGET_QUEUE_SUBMIT {
            return Err(EINVAL);
        }
        self.dev.state.lock().attrib.submit_type = val;
        Ok(())
    }
}
