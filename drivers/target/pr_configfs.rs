// SPDX-License-Identifier: GPL-2.0

//! The `core/<hba>/<dev>/pr` configfs group of a device (LIO: `tb_dev_pr_cit` in
//! `target_core_configfs.c`), which shows the device's reservations as the engine of
//! `pr.rs` keeps them ([`DeviceCore::pr`]), and the APTPL pre-registrations
//! (`aptpl_reg_list`) written to `res_aptpl_metadata`.
//!
//! `res_pr_generation`, `res_pr_type`, `res_pr_all_tgt_pts`, `res_type` and
//! `res_aptpl_active` show the engine's state as LIO does. `res_holder` shows the SPC-2 and
//! SPC-3 "no holder" texts from the engine's state, but with a holder it still shows "No
//! SPC-3 Reservation holder" / "No SPC-2 Reservation holder"; `res_pr_holder_tg_port`
//! always shows "No SPC-3 Reservation holder" and `res_pr_registered_i_pts` always "None":
//! LIO's text for a holder or registration names the fabric (and the target port's WWN),
//! which the engine does not keep per registration.
//!
//! `res_aptpl_metadata` parses and validates APTPL metadata exactly as LIO does and keeps
//! the pre-registrations for the engine to apply when the matching ACL and LUN appear
//! (not applied yet).

use crate::device::DeviceCore;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::page::Page;
use crate::lio::parse::{
    control_tokens, match_number_int, match_pattern_d, match_pattern_u, match_u64, ParseError,
};
use crate::pr::pr_type_name;
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

/// What `pr/` keeps of a device's `struct t10_reservation` besides the engine's state
/// ([`DeviceCore::pr`]: generation, APTPL, registrations, holders).
#[derive(Default)]
pub(crate) struct T10Pr {
    /// `aptpl_reg_list`.
    pub(crate) aptpl_reg_list: KVec<AptplRegistration>,
}

/// The data of `pr/`.
pub(crate) struct DevPrGroup {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(DevPrGroup:);

configfs_item_type! {
    static PR_TYPE: ItemType<DevPrGroup> = [
        "res_holder" (0o444, show: DevPrGroup::res_holder_show),
        "res_pr_all_tgt_pts" (0o444, show: DevPrGroup::res_pr_all_tgt_pts_show),
        "res_pr_generation" (0o444, show: DevPrGroup::res_pr_generation_show),
        "res_pr_holder_tg_port" (0o444, show: DevPrGroup::no_spc3_holder_show),
        "res_pr_registered_i_pts" (0o444, show: DevPrGroup::res_pr_registered_i_pts_show),
        "res_pr_type" (0o444, show: DevPrGroup::res_pr_type_show),
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

    /// Whether the device emulates reservations (`dev_attrib.emulate_pr`). The device's
    /// state lock is never held with the reservations' lock.
    fn emulate_pr(&self) -> bool {
        self.dev.state.lock().attrib.emulate_pr
    }

    fn res_holder_show(&self, page: &mut Page<'_>) -> Result {
        let emulate_pr = self.emulate_pr();
        let spc2_reserved = self.dev.pr.lock().spc2_reserved();
        let text: &[u8] = if !emulate_pr {
            b"SPC_RESERVATIONS_DISABLED\n"
        } else if spc2_reserved {
            b"No SPC-2 Reservation holder\n"
        } else {
            b"No SPC-3 Reservation holder\n"
        };
        page.write_bytes(text)?;
        Ok(())
    }

    /// `res_pr_all_tgt_pts`.
    fn res_pr_all_tgt_pts_show(&self, page: &mut Page<'_>) -> Result {
        let all_tg_pt = self.dev.pr.lock().holder().map(|h| h.all_tg_pt());
        let text: &[u8] = match all_tg_pt {
            None => b"No SPC-3 Reservation holder\n",
            Some(true) => b"SPC-3 Reservation: All Target Ports registration\n",
            Some(false) => b"SPC-3 Reservation: Single Target Port registration\n",
        };
        page.write_bytes(text)?;
        Ok(())
    }

    /// `res_pr_type`.
    fn res_pr_type_show(&self, page: &mut Page<'_>) -> Result {
        let res_type = self.dev.pr.lock().holder().map(|h| h.res_type());
        match res_type {
            None => page.write_bytes(b"No SPC-3 Reservation holder\n")?,
            Some(t) => writeln!(page, "SPC-3 Reservation Type: {}", pr_type_name(t))?,
        }
        Ok(())
    }

    /// `res_pr_holder_tg_port` (see the module documentation).
    fn no_spc3_holder_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"No SPC-3 Reservation holder\n")?;
        Ok(())
    }

    fn res_pr_generation_show(&self, page: &mut Page<'_>) -> Result {
        let generation = self.dev.pr.lock().generation();
        writeln!(page, "0x{:08x}", generation)?;
        Ok(())
    }

    /// `res_pr_registered_i_pts` (see the module documentation).
    fn res_pr_registered_i_pts_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"SPC-3 PR Registrations:\nNone\n")?;
        Ok(())
    }

    fn res_type_show(&self, page: &mut Page<'_>) -> Result {
        let emulate_pr = self.emulate_pr();
        let spc2_reserved = self.dev.pr.lock().spc2_reserved();
        let text: &[u8] = if !emulate_pr {
            b"SPC_RESERVATIONS_DISABLED\n"
        } else if spc2_reserved {
            b"SPC2_RESERVATIONS\n"
        } else {
            b"SPC3_PERSISTENT_RESERVATIONS\n"
        };
        page.write_bytes(text)?;
        Ok(())
    }

    fn res_aptpl_active_show(&self, page: &mut Page<'_>) -> Result {
        if !self.emulate_pr() {
            return Ok(());
        }
        let state = if self.dev.pr.lock().aptpl_active() {
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
        let spc2_reserved = self.dev.pr.lock().spc2_reserved();
        let mut st = self.dev.state.lock();
        if !st.attrib.emulate_pr || spc2_reserved {
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
