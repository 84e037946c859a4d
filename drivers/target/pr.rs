// SPDX-License-Identifier: GPL-2.0

//! Persistent reservations: the state the PR engine (`target_core_pr.c`) will keep per
//! device, and the `core/<hba>/<dev>/pr` configfs group that shows it (LIO:
//! `tb_dev_pr_cit` in `target_core_configfs.c`).
//!
//! There is no PR engine yet: no registrations or reservations are ever made, so the
//! files show LIO's text for a device without any. `res_aptpl_metadata` parses and
//! validates APTPL metadata exactly as LIO does and keeps the pre-registrations
//! (`aptpl_reg_list`) for the engine to apply when the matching ACL and LUN appear.

use crate::device::DeviceCore;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::page::Page;
use crate::lio::parse::{
    control_tokens, match_number_int, match_pattern_d, match_pattern_u, match_u64, ParseError,
};
use core::fmt::Write;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `PR_APTPL_MAX_IPORT_LEN`.
const PR_APTPL_MAX_IPORT_LEN: usize = 256;
/// `PR_APTPL_MAX_TPORT_LEN`.
const PR_APTPL_MAX_TPORT_LEN: usize = 256;
/// `PR_REG_ISID_LEN`.
const PR_REG_ISID_LEN: usize = 16;

/// A registration read from APTPL metadata, waiting for its initiator's ACL and LUN
/// (`struct t10_pr_registration` on `aptpl_reg_list`, made by
/// `core_scsi3_alloc_aptpl_registration()`).
#[allow(dead_code)] // Read by the PR engine (core_scsi3_check_aptpl_registration), to come.
pub(crate) struct AptplRegistration {
    /// `pr_res_key`.
    pub(crate) res_key: u64,
    /// `pr_iport`: the initiator node name (at most 255 bytes, as `snprintf` cuts it).
    pub(crate) iport: KVec<u8>,
    /// `pr_reg_isid` (at most 15 bytes) when the metadata had one (`isid_present_at_reg`).
    pub(crate) isid: Option<KVec<u8>>,
    /// `pr_res_mapped_lun`.
    pub(crate) mapped_lun: u64,
    /// `pr_tport`: the target node name (at most 255 bytes).
    pub(crate) tport: KVec<u8>,
    /// `pr_reg_tpgt`.
    pub(crate) tpgt: u16,
    /// `pr_aptpl_target_lun`.
    pub(crate) target_lun: u64,
    /// `pr_res_holder`.
    pub(crate) res_holder: i32,
    /// `pr_reg_all_tg_pt`.
    pub(crate) all_tg_pt: i32,
    /// `pr_res_type`.
    pub(crate) res_type: u8,
}

/// The reservation state of a device (`struct t10_reservation` and the reservation
/// fields of `struct se_device`).
#[derive(Default)]
pub(crate) struct T10Pr {
    /// `pr_generation`: bumped by every PERSISTENT RESERVE OUT that changes state.
    pub(crate) pr_generation: u32,
    /// `pr_aptpl_active`: the last registration asked for APTPL.
    pub(crate) pr_aptpl_active: bool,
    /// `DRF_SPC2_RESERVATIONS`: an SPC-2 RESERVE holds the device.
    pub(crate) spc2_reserved: bool,
    /// `aptpl_reg_list`.
    pub(crate) aptpl_reg_list: KVec<AptplRegistration>,
    // The reservation holder (`dev_pr_res_holder`, `reservation_holder`) and the
    // registrations (`registration_list`) come with the PR engine; until then there are
    // none, and the shows below print LIO's text for that case.
}

/// The data of `pr/`.
pub(crate) struct DevPrGroup {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(DevPrGroup:);

configfs_item_type! {
    static PR_TYPE: ItemType<DevPrGroup> = [
        "res_holder" (0o444, show: DevPrGroup::res_holder_show),
        "res_pr_all_tgt_pts" (0o444, show: DevPrGroup::no_spc3_holder_show),
        "res_pr_generation" (0o444, show: DevPrGroup::res_pr_generation_show),
        "res_pr_holder_tg_port" (0o444, show: DevPrGroup::no_spc3_holder_show),
        "res_pr_registered_i_pts" (0o444, show: DevPrGroup::res_pr_registered_i_pts_show),
        "res_pr_type" (0o444, show: DevPrGroup::no_spc3_holder_show),
        "res_type" (0o444, show: DevPrGroup::res_type_show),
        "res_aptpl_active" (0o444, show: DevPrGroup::res_aptpl_active_show),
        "res_aptpl_metadata" (0o644, show: DevPrGroup::res_aptpl_metadata_show,
            store: DevPrGroup::res_aptpl_metadata_store),
    ];
}

/// What the metadata said, before it becomes a registration.
#[derive(Default)]
struct AptplMetadata {
    i_port: Option<KVec<u8>>,
    isid: Option<KVec<u8>>,
    t_port: Option<KVec<u8>>,
    sa_res_key: u64,
    mapped_lun: u64,
    target_lun: u64,
    res_holder: i32,
    all_tg_pt: i32,
    tpgt: u16,
    res_type: u8,
}

/// `match_int()` of a matched `%d` argument; its errors end the store.
fn int_arg(v: &[u8]) -> Result<i32> {
    match_number_int(v).map_err(|e: ParseError| {
        pr_err!("APTPL metadata: invalid integer argument\n");
        Error::from(e)
    })
}

/// `match_u64()` of a matched argument; its errors end the store.
fn u64_arg(v: &[u8]) -> Result<u64> {
    match_u64(v).map_err(|e: ParseError| {
        pr_err!("APTPL metadata: invalid 64-bit argument\n");
        Error::from(e)
    })
}

/// A copy of at most `max - 1` bytes of `v` (`snprintf(buf, max, "%s", v)`).
fn bounded(v: &[u8], max: usize) -> Result<KVec<u8>> {
    kvec_from(&v[..v.len().min(max - 1)])
}

/// The tokens of `res_aptpl_metadata` (`target_pr_res_aptpl_metadata_store()`): comma or
/// newline separated `key=value`s, matched like `match_token()` against LIO's table;
/// tokens that match no pattern are ignored. A too long name is reported but, as in
/// LIO, does not fail the store (the error is overwritten by what follows).
fn parse_aptpl_metadata(input: &[u8]) -> Result<AptplMetadata> {
    let mut md = AptplMetadata::default();
    for token in control_tokens(input) {
        // `%s` needs at least one character.
        let s = |key: &[u8]| token.strip_prefix(key).filter(|v| !v.is_empty());
        let d = |key: &[u8]| token.strip_prefix(key).filter(|v| match_pattern_d(v));
        let u = |key: &[u8]| token.strip_prefix(key).filter(|v| match_pattern_u(v));
        if s(b"initiator_fabric=").is_some() {
            // Read and dropped, as in LIO.
        } else if let Some(v) = s(b"initiator_node=") {
            if v.len() >= PR_APTPL_MAX_IPORT_LEN {
                pr_err!(
                    "APTPL metadata initiator_node= exceeds PR_APTPL_MAX_IPORT_LEN: {}\n",
                    PR_APTPL_MAX_IPORT_LEN
                );
            }
            md.i_port = Some(kvec_from(v)?);
        } else if let Some(v) = s(b"initiator_sid=") {
            if v.len() >= PR_REG_ISID_LEN {
                pr_err!(
                    "APTPL metadata initiator_isid= exceeds PR_REG_ISID_LEN: {}\n",
                    PR_REG_ISID_LEN
                );
            }
            md.isid = Some(kvec_from(v)?);
        } else if let Some(v) = s(b"sa_res_key=") {
            md.sa_res_key = match_u64(v).map_err(|e| {
                pr_err!("kstrtoull() failed for sa_res_key=\n");
                Error::from(e)
            })?;
        } else if let Some(v) = d(b"res_holder=") {
            md.res_holder = int_arg(v)?;
        } else if let Some(v) = d(b"res_type=") {
            md.res_type = int_arg(v)? as u8;
        } else if let Some(v) = d(b"res_scope=") {
            int_arg(v)?;
        } else if let Some(v) = d(b"res_all_tg_pt=") {
            md.all_tg_pt = int_arg(v)?;
        } else if let Some(v) = u(b"mapped_lun=") {
            md.mapped_lun = u64_arg(v)?;
        } else if s(b"target_fabric=").is_some() {
            // Read and dropped, as in LIO.
        } else if let Some(v) = s(b"target_node=") {
            if v.len() >= PR_APTPL_MAX_TPORT_LEN {
                pr_err!(
                    "APTPL metadata target_node= exceeds PR_APTPL_MAX_TPORT_LEN: {}\n",
                    PR_APTPL_MAX_TPORT_LEN
                );
            }
            md.t_port = Some(kvec_from(v)?);
        } else if let Some(v) = d(b"tpgt=") {
            md.tpgt = int_arg(v)? as u16;
        } else if let Some(v) = d(b"port_rtpi=") {
            int_arg(v)?;
        } else if let Some(v) = u(b"target_lun=") {
            md.target_lun = u64_arg(v)?;
        }
    }
    Ok(md)
}

impl DevPrGroup {
    /// The `pr` default group of a device.
    pub(crate) fn group(dev: Arc<DeviceCore>) -> impl PinInit<Group<DevPrGroup>, Error> {
        Group::new(kernel::c_str!("pr"), &PR_TYPE, DevPrGroup { dev })
    }

    fn res_holder_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.state.lock();
        let text: &[u8] = if !st.attrib.emulate_pr {
            b"SPC_RESERVATIONS_DISABLED\n"
        } else if st.pr.spc2_reserved {
            b"No SPC-2 Reservation holder\n"
        } else {
            b"No SPC-3 Reservation holder\n"
        };
        page.write_bytes(text)?;
        Ok(())
    }

    /// `res_pr_all_tgt_pts`, `res_pr_holder_tg_port`, `res_pr_type` without a holder.
    fn no_spc3_holder_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"No SPC-3 Reservation holder\n")?;
        Ok(())
    }

    fn res_pr_generation_show(&self, page: &mut Page<'_>) -> Result {
        writeln!(page, "0x{:08x}", self.dev.state.lock().pr.pr_generation)?;
        Ok(())
    }

    fn res_pr_registered_i_pts_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"SPC-3 PR Registrations:\nNone\n")?;
        Ok(())
    }

    fn res_type_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.state.lock();
        let text: &[u8] = if !st.attrib.emulate_pr {
            b"SPC_RESERVATIONS_DISABLED\n"
        } else if st.pr.spc2_reserved {
            b"SPC2_RESERVATIONS\n"
        } else {
            b"SPC3_PERSISTENT_RESERVATIONS\n"
        };
        page.write_bytes(text)?;
        Ok(())
    }

    fn res_aptpl_active_show(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.state.lock();
        if !st.attrib.emulate_pr {
            return Ok(());
        }
        let state = if st.pr.pr_aptpl_active {
            "Activated"
        } else {
            "Disabled"
        };
        writeln!(page, "APTPL Bit Status: {}", state)?;
        Ok(())
    }

    fn res_aptpl_metadata_show(&self, page: &mut Page<'_>) -> Result {
        if !self.dev.state.lock().attrib.emulate_pr {
            return Ok(());
        }
        page.write_bytes(b"Ready to process PR APTPL metadata..\n")?;
        Ok(())
    }

    /// `target_pr_res_aptpl_metadata_store()` + `core_scsi3_alloc_aptpl_registration()`:
    /// ignored (success) without PR emulation or under an SPC-2 reservation.
    fn res_aptpl_metadata_store(&self, input: &[u8]) -> Result {
        let mut st = self.dev.state.lock();
        if !st.attrib.emulate_pr || st.pr.spc2_reserved {
            return Ok(());
        }
        if st.export_count != 0 {
            pr_err!("Unable to process APTPL metadata while active fabric exports exist\n");
            return Err(EINVAL);
        }
        let md = parse_aptpl_metadata(input)?;
        let (Some(i_port), Some(t_port), true) = (&md.i_port, &md.t_port, md.sa_res_key != 0)
        else {
            pr_err!("Illegal parameters for APTPL registration\n");
            return Err(EINVAL);
        };
        if md.res_holder != 0 && md.res_type == 0 {
            pr_err!(
                "Illegal PR type: 0x{:02x} for reservation holder\n",
                md.res_type
            );
            return Err(EINVAL);
        }
        let reg = AptplRegistration {
            res_key: md.sa_res_key,
            iport: bounded(i_port, PR_APTPL_MAX_IPORT_LEN)?,
            isid: match &md.isid {
                Some(isid) => Some(bounded(isid, PR_REG_ISID_LEN)?),
                None => None,
            },
            mapped_lun: md.mapped_lun,
            tport: bounded(t_port, PR_APTPL_MAX_TPORT_LEN)?,
            tpgt: md.tpgt,
            target_lun: md.target_lun,
            res_holder: md.res_holder,
            all_tg_pt: md.all_tg_pt,
            res_type: md.res_type,
        };
        st.pr.aptpl_reg_list.push(reg, GFP_KERNEL)?;
        pr_debug!(
            "SPC-3 PR APTPL Successfully added registration{} from metadata\n",
            if md.res_holder != 0 {
                "+reservation"
            } else {
                ""
            }
        );
        Ok(())
    }
}
