// SPDX-License-Identifier: GPL-2.0

//! Reservations of target_core_mod (LIO's `target_core_pr.c`): the SPC-3 persistent
//! reservations of a device (`struct t10_reservation`: the PR generation, the
//! registrations of the I_T nexuses, the reservation and its holder) and the SPC-2
//! RESERVE/RELEASE holder (`dev->reservation_holder`), with
//!
//! - PERSISTENT RESERVE IN: READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL
//!   STATUS (TransportIDs as `target_core_fabric_lib.c` builds them) — [`pr_in`];
//! - PERSISTENT RESERVE OUT: REGISTER, REGISTER AND IGNORE EXISTING KEY, RESERVE, RELEASE,
//!   CLEAR, PREEMPT, PREEMPT AND ABORT, REGISTER AND MOVE (see below) — [`pr_out`];
//! - RESERVE/RELEASE (6/10) with the compatible reservation handling of SPC-3
//!   (`core_scsi2_emulate_crh`) — [`scsi2_reserve`], [`scsi2_release`];
//! - the reservation conflict check of every command (`target_check_reservation()`) —
//!   [`check_reservation`];
//! - the APTPL metadata LIO writes to `/var/target/pr/aptpl_<serial>` — [`render_aptpl`].
//!
//! Pure `core` code with a fixed capacity: a device keeps at most [`PR_MAX_REGISTRATIONS`]
//! registrations (LIO allocates one each; a REGISTER past the limit fails with
//! INSUFFICIENT REGISTRATION RESOURCES, as LIO's failed allocation does). The all-zero
//! [`PrState`] is the empty state, so the kernel can allocate it zeroed in place.
//!
//! An I_T nexus is named by [`PrNexus`]: the initiator port name (with the ISID when the
//! fabric has one) and the target port (RTPI and TPG tag), which together stand for LIO's
//! `se_node_acl` pointer (an ACL belongs to one TPG) plus `sess_get_initiator_sid()`.
//! Unit attentions for other I_T nexuses and APTPL updates are handed to the caller
//! through [`PrEvents`], which applies them outside of the engine.
//!
//! lio-rs differences from LIO:
//! - REGISTER with SPEC_I_PT: the parameter list is checked as LIO checks it and an empty
//!   TransportID list registers the I_T nexus the command came in on; a TransportID is
//!   refused with INVALID FIELD IN PARAMETER LIST, as LIO refuses one that names no node
//!   ACL (lio-rs cannot look other ACLs up from here yet).
//! - REGISTER with ALL_TG_PT registers the receiving target port only (flag kept and
//!   reported); LIO also registers the initiator on every other target port exporting
//!   the device.
//! - REGISTER AND MOVE runs LIO's checks up to the destination lookup, then fails with
//!   INVALID FIELD IN PARAMETER LIST, as LIO does for a destination port it cannot find.
//! - PREEMPT AND ABORT preempts as PREEMPT: there is no task abort machinery yet.
//! - The APTPL metadata is not written to a file: [`PrEvents::aptpl_update`] tells the
//!   caller when LIO would write it, and [`render_aptpl`] renders LIO's text. A REGISTER
//!   never fails for the metadata file (LIO fails it with LOGICAL UNIT COMMUNICATION
//!   FAILURE when the file cannot be written).
//! - PREEMPT of an all registrants reservation with a zero SERVICE ACTION RESERVATION
//!   KEY frees the holder's registration before releasing it, as LIO does, but without
//!   LIO's use after free.

use super::cdb::{get_unaligned_be16, get_unaligned_be32, get_unaligned_be64};
use super::sbc::DmaDirection;
use super::sense::{
    SenseReason, ASCQ_2AH_REGISTRATIONS_PREEMPTED, ASCQ_2AH_RESERVATIONS_PREEMPTED,
    ASCQ_2AH_RESERVATIONS_RELEASED,
};
use super::spc::{
    SCSI_PROTOCOL_FCP, SCSI_PROTOCOL_ISCSI, SCSI_PROTOCOL_SAS, SCSI_PROTOCOL_SBP, SCSI_PROTOCOL_SRP,
};
use core::fmt::{self, Write};

/// How many registrations a device keeps.
pub(crate) const PR_MAX_REGISTRATIONS: usize = 32;
/// `TRANSPORT_IQN_LEN`: an initiator port name (longer names are cut).
pub(crate) const PR_NAME_LEN: usize = 224;
/// `PR_REG_ISID_LEN`: the ISID as the fabric prints it (longer ones are cut).
pub(crate) const PR_ISID_LEN: usize = 16;

/// `PR_TYPE_WRITE_EXCLUSIVE`.
pub(crate) const PR_TYPE_WRITE_EXCLUSIVE: u8 = 0x01;
/// `PR_TYPE_EXCLUSIVE_ACCESS`.
pub(crate) const PR_TYPE_EXCLUSIVE_ACCESS: u8 = 0x03;
/// `PR_TYPE_WRITE_EXCLUSIVE_REGONLY`.
pub(crate) const PR_TYPE_WRITE_EXCLUSIVE_REGONLY: u8 = 0x05;
/// `PR_TYPE_EXCLUSIVE_ACCESS_REGONLY`.
pub(crate) const PR_TYPE_EXCLUSIVE_ACCESS_REGONLY: u8 = 0x06;
/// `PR_TYPE_WRITE_EXCLUSIVE_ALLREG`.
pub(crate) const PR_TYPE_WRITE_EXCLUSIVE_ALLREG: u8 = 0x07;
/// `PR_TYPE_EXCLUSIVE_ACCESS_ALLREG`.
pub(crate) const PR_TYPE_EXCLUSIVE_ACCESS_ALLREG: u8 = 0x08;
/// `PR_SCOPE_LU_SCOPE`.
pub(crate) const PR_SCOPE_LU_SCOPE: u8 = 0x00;

// PERSISTENT RESERVE IN/OUT service actions.
const PRI_READ_KEYS: u8 = 0x00;
const PRI_READ_RESERVATION: u8 = 0x01;
const PRI_REPORT_CAPABILITIES: u8 = 0x02;
const PRI_READ_FULL_STATUS: u8 = 0x03;
const PRO_REGISTER: u8 = 0x00;
const PRO_RESERVE: u8 = 0x01;
const PRO_RELEASE: u8 = 0x02;
const PRO_CLEAR: u8 = 0x03;
const PRO_PREEMPT: u8 = 0x04;
const PRO_PREEMPT_AND_ABORT: u8 = 0x05;
const PRO_REGISTER_AND_IGNORE_EXISTING_KEY: u8 = 0x06;
const PRO_REGISTER_AND_MOVE: u8 = 0x07;

// The opcodes `core_scsi3_pr_seq_non_holder()` looks at.
const OP_TEST_UNIT_READY: u8 = 0x00;
const OP_REQUEST_SENSE: u8 = 0x03;
const OP_INQUIRY: u8 = 0x12;
const OP_RESERVE: u8 = 0x16;
const OP_RELEASE: u8 = 0x17;
const OP_MODE_SENSE: u8 = 0x1a;
const OP_RECEIVE_DIAGNOSTIC: u8 = 0x1c;
const OP_READ_CAPACITY: u8 = 0x25;
const OP_READ_BUFFER: u8 = 0x3c;
const OP_LOG_SENSE: u8 = 0x4d;
const OP_RESERVE_10: u8 = 0x56;
const OP_RELEASE_10: u8 = 0x57;
const OP_MODE_SENSE_10: u8 = 0x5a;
const OP_PERSISTENT_RESERVE_IN: u8 = 0x5e;
const OP_PERSISTENT_RESERVE_OUT: u8 = 0x5f;
const OP_ACCESS_CONTROL_IN: u8 = 0x86;
const OP_ACCESS_CONTROL_OUT: u8 = 0x87;
const OP_READ_ATTRIBUTE: u8 = 0x8c;
const OP_REPORT_LUNS: u8 = 0xa0;
const OP_SECURITY_PROTOCOL_IN: u8 = 0xa2;
const OP_MAINTENANCE_IN: u8 = 0xa3;
const OP_SERVICE_ACTION_IN_12: u8 = 0xab;
// MAINTENANCE IN service actions.
const MI_REPORT_IDENTIFYING_INFORMATION: u8 = 0x05;
const MI_REPORT_TARGET_PGS: u8 = 0x0a;
const MI_REPORT_ALIASES: u8 = 0x0b;
const MI_REPORT_SUPPORTED_OPERATION_CODES: u8 = 0x0c;
const MI_REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS: u8 = 0x0d;
const MI_REPORT_PRIORITY: u8 = 0x0e;
const MI_REPORT_TIMESTAMP: u8 = 0x0f;
const MI_MANAGEMENT_PROTOCOL_IN: u8 = 0x10;

/// What LIO writes to the APTPL file when APTPL is off or nothing is registered.
pub(crate) const APTPL_CLEARED: &str = "No Registrations or Reservations\n";

/// The I_T nexus a command came in on, as the reservations see it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PrNexus<'a> {
    /// `se_node_acl->initiatorname`: the initiator port name.
    pub(crate) initiator: &'a [u8],
    /// `sess_get_initiator_sid()`: the ISID as the fabric prints it, for fabrics that
    /// have one (iSCSI); `None` otherwise.
    pub(crate) isid: Option<&'a [u8]>,
    /// `se_tpg->proto_id`.
    pub(crate) proto_id: u8,
    /// `se_tpg->tpg_rtpi`: the target port.
    pub(crate) rtpi: u16,
    /// `tpg_get_tag()`.
    pub(crate) tpgt: u16,
    /// `cmd->orig_fe_lun`: the LUN as the initiator addresses it.
    pub(crate) mapped_lun: u64,
    /// `se_lun->unpacked_lun`: the TPG's LUN.
    pub(crate) target_lun: u64,
}

/// A name of at most `N` bytes, stored inline (all zeros: the empty name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PrName<const N: usize> {
    bytes: [u8; N],
    len: u16,
}

impl<const N: usize> PrName<N> {
    const fn empty() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    fn new(src: &[u8]) -> Self {
        let mut name = Self::empty();
        let n = src.len().min(N);
        if let (Some(d), Some(s)) = (name.bytes.get_mut(..n), src.get(..n)) {
            d.copy_from_slice(s);
        }
        name.len = n as u16;
        name
    }

    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// One registration (`struct t10_pr_registration`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PrRegistration {
    /// Identifies the registration while it exists (never 0 for a live one).
    id: u32,
    initiator: PrName<PR_NAME_LEN>,
    /// `isid_present_at_reg`.
    isid_present: bool,
    /// `pr_reg_isid`.
    isid: PrName<PR_ISID_LEN>,
    proto_id: u8,
    /// `tg_pt_sep_rtpi`.
    rtpi: u16,
    tpgt: u16,
    /// `pr_res_mapped_lun`.
    mapped_lun: u64,
    /// `pr_aptpl_target_lun`.
    target_lun: u64,
    /// `pr_res_key`.
    key: u64,
    /// `pr_res_generation`.
    generation: u32,
    /// `pr_reg_all_tg_pt`.
    all_tg_pt: bool,
    /// `pr_reg_aptpl`.
    aptpl: bool,
    /// `pr_res_holder`.
    holder: bool,
    /// `pr_res_type`.
    res_type: u8,
    /// `pr_res_scope`.
    res_scope: u8,
}

impl PrRegistration {
    const fn empty() -> Self {
        Self {
            id: 0,
            initiator: PrName::empty(),
            isid_present: false,
            isid: PrName::empty(),
            proto_id: 0,
            rtpi: 0,
            tpgt: 0,
            mapped_lun: 0,
            target_lun: 0,
            key: 0,
            generation: 0,
            all_tg_pt: false,
            aptpl: false,
            holder: false,
            res_type: 0,
            res_scope: 0,
        }
    }

    /// The initiator port name.
    pub(crate) fn initiator(&self) -> &[u8] {
        self.initiator.as_bytes()
    }

    /// The ISID registered with, if any.
    pub(crate) fn isid(&self) -> Option<&[u8]> {
        self.isid_present.then(|| self.isid.as_bytes())
    }

    /// The target port's RTPI.
    pub(crate) fn rtpi(&self) -> u16 {
        self.rtpi
    }

    /// The TPG tag of the target port.
    pub(crate) fn tpgt(&self) -> u16 {
        self.tpgt
    }

    /// The LUN as the initiator addresses it.
    pub(crate) fn mapped_lun(&self) -> u64 {
        self.mapped_lun
    }

    /// The reservation key.
    pub(crate) fn key(&self) -> u64 {
        self.key
    }

    /// Whether the registration holds the reservation.
    pub(crate) fn is_holder(&self) -> bool {
        self.holder
    }

    /// `pr_res_type`: the reservation type, when holding.
    pub(crate) fn res_type(&self) -> u8 {
        self.res_type
    }

    /// `pr_reg_all_tg_pt`.
    pub(crate) fn all_tg_pt(&self) -> bool {
        self.all_tg_pt
    }

    /// The same node ACL: initiator name and TPG.
    fn same_nacl(&self, nexus: &PrNexus<'_>) -> bool {
        self.initiator() == nexus.initiator && self.rtpi == nexus.rtpi
    }

    /// `__core_scsi3_locate_pr_reg()`: the registration of this I_T nexus.
    fn matches(&self, nexus: &PrNexus<'_>) -> bool {
        if !self.same_nacl(nexus) {
            return false;
        }
        if !self.isid_present {
            return true;
        }
        nexus.isid == Some(self.isid.as_bytes())
    }
}

/// The SPC-2 reservation holder (`dev->reservation_holder`, `DRF_SPC2_RESERVATIONS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Spc2Holder {
    /// `DRF_SPC2_RESERVATIONS`.
    active: bool,
    initiator: PrName<PR_NAME_LEN>,
    rtpi: u16,
    /// `DRF_SPC2_RESERVATIONS_WITH_ISID`.
    with_isid: bool,
    /// `dev_res_bin_isid`.
    isid: PrName<PR_ISID_LEN>,
}

impl Spc2Holder {
    const fn empty() -> Self {
        Self {
            active: false,
            initiator: PrName::empty(),
            rtpi: 0,
            with_isid: false,
            isid: PrName::empty(),
        }
    }

    fn same_nacl(&self, nexus: &PrNexus<'_>) -> bool {
        self.initiator.as_bytes() == nexus.initiator && self.rtpi == nexus.rtpi
    }

    /// `dev_res_bin_isid == sess_bin_isid` (no ISID compares as 0).
    fn same_isid(&self, nexus: &PrNexus<'_>) -> bool {
        let mine: &[u8] = if self.with_isid {
            self.isid.as_bytes()
        } else {
            &[]
        };
        mine == nexus.isid.unwrap_or(&[])
    }
}

/// The reservations of one device (`struct t10_reservation` and the SPC-2 holder). The
/// all-zero value is the empty state ([`PrState::new`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrState {
    /// `pr_generation`.
    generation: u32,
    /// `pr_aptpl_active`.
    aptpl_active: bool,
    /// The last registration id handed out.
    last_id: u32,
    /// `registration_list`, in LIO's order (oldest first).
    regs: [PrRegistration; PR_MAX_REGISTRATIONS],
    count: usize,
    spc2: Spc2Holder,
}

impl Default for PrState {
    fn default() -> Self {
        Self::new()
    }
}

/// Where PERSISTENT RESERVE IN builds its parameter data: bytes past the end of the
/// buffer are dropped.
pub(crate) trait PrInBuf {
    /// Writes `bytes` at `off`.
    fn put(&mut self, off: usize, bytes: &[u8]);
}

impl<const N: usize> PrInBuf for [u8; N] {
    fn put(&mut self, off: usize, bytes: &[u8]) {
        let dst = self.get_mut(off..).unwrap_or(&mut []);
        let n = dst.len().min(bytes.len());
        if let (Some(d), Some(s)) = (dst.get_mut(..n), bytes.get(..n)) {
            d.copy_from_slice(s);
        }
    }
}

/// What the reservations ask of the rest of the target.
pub(crate) trait PrEvents {
    /// `target_ua_allocate_lun()`: establish ASC/ASCQ for the I_T nexus of `reg`
    /// (its node ACL, on its mapped LUN).
    fn unit_attention(&mut self, reg: &PrRegistration, asc: u8, ascq: u8);

    /// `core_scsi3_update_and_write_aptpl()`: LIO would now write the APTPL metadata —
    /// [`render_aptpl`] when `aptpl`, else [`APTPL_CLEARED`].
    fn aptpl_update(&mut self, aptpl: bool) {
        let _ = aptpl;
    }
}

/// A [`PrEvents`] that drops everything.
pub(crate) struct NoPrEvents;

impl PrEvents for NoPrEvents {
    fn unit_attention(&mut self, _reg: &PrRegistration, _asc: u8, _ascq: u8) {}
}

/// Access to a device's [`PrState`] under its lock (`dev_reservation_lock`).
pub(crate) trait PrLock {
    /// Runs `f` with the state locked.
    fn lock_pr(&self, f: &mut dyn FnMut(&mut PrState));
}

impl PrLock for core::cell::RefCell<PrState> {
    fn lock_pr(&self, f: &mut dyn FnMut(&mut PrState)) {
        if let Ok(mut st) = self.try_borrow_mut() {
            f(&mut st);
        }
    }
}

/// `enum register_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegisterType {
    Register,
    RegisterAndIgnoreExistingKey,
}

/// `core_scsi3_pr_dump_type()`: the name of a reservation type.
pub(crate) fn pr_type_name(res_type: u8) -> &'static str {
    match res_type {
        PR_TYPE_WRITE_EXCLUSIVE => "Write Exclusive Access",
        PR_TYPE_EXCLUSIVE_ACCESS => "Exclusive Access",
        PR_TYPE_WRITE_EXCLUSIVE_REGONLY => "Write Exclusive Access, Registrants Only",
        PR_TYPE_EXCLUSIVE_ACCESS_REGONLY => "Exclusive Access, Registrants Only",
        PR_TYPE_WRITE_EXCLUSIVE_ALLREG => "Write Exclusive Access, All Registrants",
        PR_TYPE_EXCLUSIVE_ACCESS_ALLREG => "Exclusive Access, All Registrants",
        _ => "Unknown SPC-3 Reservation Type",
    }
}

fn is_allreg(res_type: u8) -> bool {
    matches!(
        res_type,
        PR_TYPE_WRITE_EXCLUSIVE_ALLREG | PR_TYPE_EXCLUSIVE_ACCESS_ALLREG
    )
}

fn is_regonly(res_type: u8) -> bool {
    matches!(
        res_type,
        PR_TYPE_WRITE_EXCLUSIVE_REGONLY | PR_TYPE_EXCLUSIVE_ACCESS_REGONLY
    )
}

fn is_valid_type(res_type: u8) -> bool {
    matches!(
        res_type,
        PR_TYPE_WRITE_EXCLUSIVE
            | PR_TYPE_EXCLUSIVE_ACCESS
            | PR_TYPE_WRITE_EXCLUSIVE_REGONLY
            | PR_TYPE_EXCLUSIVE_ACCESS_REGONLY
            | PR_TYPE_WRITE_EXCLUSIVE_ALLREG
            | PR_TYPE_EXCLUSIVE_ACCESS_ALLREG
    )
}

impl PrState {
    /// No registration, no reservation, generation 0 (all zeros).
    pub(crate) const fn new() -> Self {
        Self {
            generation: 0,
            aptpl_active: false,
            last_id: 0,
            regs: [PrRegistration::empty(); PR_MAX_REGISTRATIONS],
            count: 0,
            spc2: Spc2Holder::empty(),
        }
    }

    /// `pr_generation`.
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// `pr_aptpl_active`.
    pub(crate) fn aptpl_active(&self) -> bool {
        self.aptpl_active
    }

    /// The registrations, oldest first.
    pub(crate) fn registrations(&self) -> &[PrRegistration] {
        self.regs.get(..self.count).unwrap_or(&[])
    }

    /// `dev_pr_res_holder`.
    pub(crate) fn holder(&self) -> Option<&PrRegistration> {
        self.registrations().iter().find(|r| r.holder)
    }

    /// Whether an SPC-2 reservation is held (`DRF_SPC2_RESERVATIONS`).
    pub(crate) fn spc2_reserved(&self) -> bool {
        self.spc2.active
    }

    /// `target_release_reservation()`: drops the SPC-2 reservation (the holder's I_T
    /// nexus went away, LUN reset).
    pub(crate) fn spc2_release(&mut self) {
        self.spc2 = Spc2Holder::empty();
    }

    /// `target_release_res()`: the session that holds the SPC-2 reservation goes away
    /// (`transport_deregister_session()`). lio-rs's nexus is the initiator port and the
    /// target port (no ISID), so the reservation of `initiator` through `rtpi` goes.
    pub(crate) fn spc2_release_session(&mut self, initiator: &[u8], rtpi: u16) {
        if self.spc2.active && self.spc2.initiator.as_bytes() == initiator && self.spc2.rtpi == rtpi
        {
            self.spc2_release();
        }
    }

    /// `core_scsi3_pr_generation()`: returns the generation, then increments it.
    fn next_generation(&mut self) -> u32 {
        let g = self.generation;
        self.generation = g.wrapping_add(1);
        g
    }

    fn index_of(&self, id: u32) -> Option<usize> {
        self.registrations().iter().position(|r| r.id == id)
    }

    fn reg(&self, id: u32) -> Option<&PrRegistration> {
        self.registrations().iter().find(|r| r.id == id)
    }

    fn reg_mut(&mut self, id: u32) -> Option<&mut PrRegistration> {
        let count = self.count;
        self.regs
            .get_mut(..count)
            .and_then(|r| r.iter_mut().find(|r| r.id == id))
    }

    /// `core_scsi3_locate_pr_reg()`.
    fn locate(&self, nexus: &PrNexus<'_>) -> Option<u32> {
        self.registrations()
            .iter()
            .find(|r| r.matches(nexus))
            .map(|r| r.id)
    }

    fn holder_id(&self) -> Option<u32> {
        self.holder().map(|r| r.id)
    }

    /// `__core_scsi3_alloc_registration()` + `__core_scsi3_add_registration()`.
    fn add_registration(
        &mut self,
        nexus: &PrNexus<'_>,
        key: u64,
        all_tg_pt: bool,
        aptpl: bool,
    ) -> Result<(), SenseReason> {
        if self.count >= PR_MAX_REGISTRATIONS {
            return Err(SenseReason::InsufficientRegistrationResources);
        }
        let mut id = self.last_id.wrapping_add(1);
        while id == 0 || self.reg(id).is_some() {
            id = id.wrapping_add(1);
        }
        self.last_id = id;
        let generation = self.next_generation();
        let reg = PrRegistration {
            id,
            initiator: PrName::new(nexus.initiator),
            isid_present: nexus.isid.is_some(),
            isid: PrName::new(nexus.isid.unwrap_or(&[])),
            proto_id: nexus.proto_id,
            rtpi: nexus.rtpi,
            tpgt: nexus.tpgt,
            mapped_lun: nexus.mapped_lun,
            target_lun: nexus.target_lun,
            key,
            generation,
            all_tg_pt,
            aptpl,
            holder: false,
            res_type: 0,
            res_scope: 0,
        };
        let slot = self
            .regs
            .get_mut(self.count)
            .ok_or(SenseReason::InsufficientRegistrationResources)?;
        *slot = reg;
        self.count += 1;
        Ok(())
    }

    /// `__core_scsi3_free_registration()`: removes a registration, keeping the order.
    fn remove(&mut self, id: u32) -> Option<PrRegistration> {
        let i = self.index_of(id)?;
        let count = self.count;
        let live = self.regs.get_mut(i..count)?;
        let reg = *live.first()?;
        live.rotate_left(1);
        if let Some(last) = live.last_mut() {
            *last = PrRegistration::empty();
        }
        self.count -= 1;
        Some(reg)
    }

    /// `__core_scsi3_complete_pro_release()`: releases the reservation (whoever holds
    /// it). With `unreg`, `id` is about to be unregistered and an all registrants
    /// reservation passes to the oldest other registration.
    fn complete_release(&mut self, id: u32, unreg: bool) {
        let mut released = None;
        let count = self.count;
        for r in self.regs.iter_mut().take(count).filter(|r| r.holder) {
            released = Some((r.res_type, r.res_scope));
            r.holder = false;
            r.res_type = 0;
            r.res_scope = 0;
        }
        if unreg {
            if let Some((t, s)) = released.filter(|&(t, _)| is_allreg(t)) {
                if let Some(next) = self.regs.iter_mut().take(count).find(|r| r.id != id) {
                    next.holder = true;
                    next.res_type = t;
                    next.res_scope = s;
                }
            }
        }
        if let Some(r) = self.reg_mut(id) {
            r.holder = false;
            r.res_type = 0;
            r.res_scope = 0;
        }
    }

    /// `__core_scsi3_complete_pro_preempt()`.
    fn complete_preempt(&mut self, id: u32, res_type: u8, scope: u8) {
        if let Some(h) = self.holder_id() {
            self.complete_release(h, false);
        }
        if let Some(r) = self.reg_mut(id) {
            r.holder = true;
            r.res_type = res_type;
            r.res_scope = scope;
        }
    }

    /// Unit attentions for every registration but `except`.
    fn ua_all_but(&self, except: Option<u32>, ascq: u8, ev: &mut dyn PrEvents) {
        for r in self.registrations().iter().filter(|r| Some(r.id) != except) {
            ev.unit_attention(r, 0x2a, ascq);
        }
    }

    /// `core_scsi3_update_and_write_aptpl()`.
    fn update_aptpl(&mut self, aptpl: bool, ev: &mut dyn PrEvents) {
        self.aptpl_active = aptpl;
        ev.aptpl_update(aptpl);
    }
}

/// `target_check_reservation()` for a device with emulated reservations: whether the
/// command `cdb`, with the fabric's data `direction`, may run on the I_T nexus `nexus`.
/// RESERVATION CONFLICT if not.
pub(crate) fn check_reservation(
    st: &PrState,
    nexus: &PrNexus<'_>,
    cdb: &[u8],
    direction: DmaDirection,
) -> Result<(), SenseReason> {
    if st.spc2.active {
        return scsi2_reservation_check(st, nexus, cdb);
    }
    // target_scsi3_pr_reservation_check().
    let Some(holder) = st.holder() else {
        return Ok(());
    };
    let mut isid_mismatch = false;
    if holder.same_nacl(nexus) {
        if !holder.isid_present || nexus.isid == Some(holder.isid.as_bytes()) {
            return Ok(());
        }
        isid_mismatch = true;
    }
    if pr_seq_non_holder(st, nexus, cdb, direction, holder.res_type, isid_mismatch) {
        Err(SenseReason::ReservationConflict)
    } else {
        Ok(())
    }
}

/// `target_scsi2_reservation_check()`.
fn scsi2_reservation_check(
    st: &PrState,
    nexus: &PrNexus<'_>,
    cdb: &[u8],
) -> Result<(), SenseReason> {
    let opcode = cdb.first().copied().unwrap_or(0);
    if matches!(opcode, OP_INQUIRY | OP_RELEASE | OP_RELEASE_10) {
        return Ok(());
    }
    let h = &st.spc2;
    if !h.same_nacl(nexus) {
        return Err(SenseReason::ReservationConflict);
    }
    if h.with_isid && nexus.isid != Some(h.isid.as_bytes()) {
        return Err(SenseReason::ReservationConflict);
    }
    Ok(())
}

/// `core_scsi3_pr_seq_non_holder()`: whether a command from an I_T nexus that does not
/// hold the reservation of type `res_type` conflicts (unknown service actions do).
fn pr_seq_non_holder(
    st: &PrState,
    nexus: &PrNexus<'_>,
    cdb: &[u8],
    direction: DmaDirection,
    res_type: u8,
    isid_mismatch: bool,
) -> bool {
    // DEF_PR_REG_ACTIVE of the node ACL's LUN entry.
    let registered = !isid_mismatch
        && st
            .registrations()
            .iter()
            .any(|r| r.same_nacl(nexus) && r.mapped_lun == nexus.mapped_lun);
    let (we, reg_only, all_reg) = match res_type {
        PR_TYPE_WRITE_EXCLUSIVE => (true, false, false),
        PR_TYPE_EXCLUSIVE_ACCESS => (false, false, false),
        PR_TYPE_WRITE_EXCLUSIVE_REGONLY => (true, true, false),
        PR_TYPE_EXCLUSIVE_ACCESS_REGONLY => (false, true, false),
        PR_TYPE_WRITE_EXCLUSIVE_ALLREG => (true, false, true),
        PR_TYPE_EXCLUSIVE_ACCESS_ALLREG => (false, false, true),
        _ => return true,
    };
    let opcode = cdb.first().copied().unwrap_or(0);
    let sa = cdb.get(1).copied().unwrap_or(0) & 0x1f;
    // Allowed for a registered nexus, and for anyone under a write exclusive type.
    let reg_or_we = registered || we;
    // Table 45 of spc4r17: Some(conflict) for the listed commands.
    let listed = match opcode {
        OP_SECURITY_PROTOCOL_IN
        | OP_MODE_SENSE
        | OP_MODE_SENSE_10
        | OP_READ_ATTRIBUTE
        | OP_READ_BUFFER
        | OP_RECEIVE_DIAGNOSTIC => Some(!reg_or_we),
        OP_PERSISTENT_RESERVE_OUT => match sa {
            PRO_CLEAR | PRO_PREEMPT | PRO_PREEMPT_AND_ABORT | PRO_RELEASE => Some(!registered),
            PRO_REGISTER | PRO_REGISTER_AND_IGNORE_EXISTING_KEY => Some(false),
            PRO_REGISTER_AND_MOVE | PRO_RESERVE => Some(true),
            _ => return true,
        },
        OP_RELEASE | OP_RELEASE_10 | OP_RESERVE | OP_RESERVE_10 | OP_TEST_UNIT_READY => Some(false),
        OP_MAINTENANCE_IN => match sa {
            MI_MANAGEMENT_PROTOCOL_IN
            | MI_REPORT_SUPPORTED_OPERATION_CODES
            | MI_REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS => Some(!reg_or_we),
            MI_REPORT_ALIASES
            | MI_REPORT_IDENTIFYING_INFORMATION
            | MI_REPORT_PRIORITY
            | MI_REPORT_TARGET_PGS
            | MI_REPORT_TIMESTAMP => Some(false),
            _ => return true,
        },
        OP_ACCESS_CONTROL_IN
        | OP_ACCESS_CONTROL_OUT
        | OP_INQUIRY
        | OP_LOG_SENSE
        | OP_SERVICE_ACTION_IN_12
        | OP_READ_CAPACITY
        | OP_REPORT_LUNS
        | OP_REQUEST_SENSE
        | OP_PERSISTENT_RESERVE_IN => Some(false),
        _ => None,
    };
    // An explicitly allowed CDB.
    if listed == Some(false) {
        return false;
    }
    if we && !registered {
        // Write exclusive: only data-out conflicts for an unregistered nexus.
        return direction == DmaDirection::ToDevice;
    }
    if (reg_only || all_reg) && registered {
        return false;
    }
    if we && registered && direction == DmaDirection::FromDevice {
        return false;
    }
    true
}

/// `target_check_scsi2_reservation_conflict()`: what RESERVE/RELEASE (6/10) do in the
/// presence of SPC-3 registrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Crh {
    /// No registrations: SPC-2 processing.
    Spc2,
    /// GOOD without any change (the nexus holds, or is registered for, the reservation).
    Good,
    /// RESERVATION CONFLICT.
    Conflict,
}

fn crh(st: &PrState, nexus: &PrNexus<'_>) -> Crh {
    match st.locate(nexus).and_then(|id| st.reg(id)) {
        Some(r) if r.holder || is_regonly(r.res_type) || is_allreg(r.res_type) => Crh::Good,
        Some(_) => Crh::Conflict,
        None if st.count != 0 => Crh::Conflict,
        None => Crh::Spc2,
    }
}

/// `target_scsi2_reservation_reserve()`: RESERVE (6/10), byte 1 of the CDB in `byte1`.
pub(crate) fn scsi2_reserve(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    byte1: u8,
) -> Result<(), SenseReason> {
    if byte1 & 0x01 != 0 && byte1 & 0x02 != 0 {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    match crh(st, nexus) {
        Crh::Good => return Ok(()),
        Crh::Conflict => return Err(SenseReason::ReservationConflict),
        Crh::Spc2 => {}
    }
    if st.spc2.active && !st.spc2.same_nacl(nexus) {
        return Err(SenseReason::ReservationConflict);
    }
    st.spc2 = Spc2Holder {
        active: true,
        initiator: PrName::new(nexus.initiator),
        rtpi: nexus.rtpi,
        with_isid: nexus.isid.is_some_and(|i| !i.is_empty()),
        isid: PrName::new(nexus.isid.unwrap_or(&[])),
    };
    Ok(())
}

/// `target_scsi2_reservation_release()`: RELEASE (6/10). Releasing a reservation held
/// by another I_T nexus, or none, is GOOD and changes nothing.
pub(crate) fn scsi2_release(st: &mut PrState, nexus: &PrNexus<'_>) -> Result<(), SenseReason> {
    match crh(st, nexus) {
        Crh::Good => return Ok(()),
        Crh::Conflict => return Err(SenseReason::ReservationConflict),
        Crh::Spc2 => {}
    }
    if st.spc2.active && st.spc2.same_nacl(nexus) && st.spc2.same_isid(nexus) {
        st.spc2_release();
    }
    Ok(())
}

/// `target_scsi3_emulate_pr_in()`: service action `sa` with the fabric's data length
/// `data_length` (the ALLOCATION LENGTH after the size check). Writes the parameter data
/// into `out` (which reads as zeros where nothing is written) and returns the length for
/// `target_set_cmd_data_length()`, `None` when LIO leaves the data length alone.
pub(crate) fn pr_in(
    st: &PrState,
    sa: u8,
    data_length: u32,
    passthrough: bool,
    out: &mut dyn PrInBuf,
) -> Result<Option<usize>, SenseReason> {
    if st.spc2.active {
        return Err(SenseReason::ReservationConflict);
    }
    if passthrough {
        // target_try_pr_in_pt(): no lio-rs backend executes PR IN.
        if data_length < 8 {
            return Err(SenseReason::InvalidCdbField);
        }
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    let len = data_length as usize;
    match sa {
        PRI_READ_KEYS => {
            if len < 8 {
                return Err(SenseReason::InvalidCdbField);
            }
            out.put(0, &st.generation.to_be_bytes());
            let mut off = 8;
            let mut add_len: u32 = 0;
            for r in st.registrations() {
                if off + 8 <= len {
                    out.put(off, &r.key.to_be_bytes());
                    off += 8;
                }
                add_len += 8;
            }
            out.put(4, &add_len.to_be_bytes());
            Ok(Some(8 + add_len as usize))
        }
        PRI_READ_RESERVATION => {
            if len < 8 {
                return Err(SenseReason::InvalidCdbField);
            }
            out.put(0, &st.generation.to_be_bytes());
            let Some(h) = st.holder() else {
                return Ok(Some(8));
            };
            out.put(4, &16u32.to_be_bytes());
            if len < 22 {
                return Ok(None);
            }
            let key = if is_allreg(h.res_type) { 0 } else { h.key };
            out.put(8, &key.to_be_bytes());
            out.put(21, &[(h.res_scope & 0xf0) | (h.res_type & 0x0f)]);
            Ok(Some(24))
        }
        PRI_REPORT_CAPABILITIES => {
            if len < 6 {
                return Err(SenseReason::InvalidCdbField);
            }
            // LENGTH 8; CRH, SIP_C, ATP_C, PTPL_C; TMV, ALLOW COMMANDS 001b, PTPL_A;
            // the type mask (all six types).
            let ptpl_a = u8::from(st.aptpl_active);
            out.put(0, &[0, 8, 0x1d, 0x90 | ptpl_a, 0xea, 0x01]);
            Ok(Some(8))
        }
        PRI_READ_FULL_STATUS => {
            if len < 8 {
                return Err(SenseReason::InvalidCdbField);
            }
            Ok(Some(read_full_status(st, len, out)))
        }
        _ => Err(SenseReason::InvalidCdbField),
    }
}

/// `core_scsi3_pri_read_full_status()`: returns 8 + ADDITIONAL LENGTH.
fn read_full_status(st: &PrState, len: usize, out: &mut dyn PrInBuf) -> usize {
    out.put(0, &st.generation.to_be_bytes());
    let all_reg = st.holder().filter(|h| is_allreg(h.res_type));
    let mut off = 8usize;
    let mut add_len = 0usize;
    for r in st.registrations() {
        let Some(exp_desc_len) = transport_id_len(r) else {
            break;
        };
        // LIO's check (which leaves out the headers).
        if exp_desc_len + add_len > len {
            break;
        }
        let mut tid = [0u8; TID_MAX];
        let Some(desc_len) = transport_id(r, &mut tid) else {
            break;
        };
        let mut head = [0u8; 24];
        head[..8].copy_from_slice(&r.key.to_be_bytes());
        let mut flags = if r.all_tg_pt { 0x02 } else { 0 };
        if r.holder {
            flags |= 0x01;
            head[13] = (r.res_scope & 0xf0) | (r.res_type & 0x0f);
        } else if let Some(h) = all_reg {
            flags |= 0x01;
            head[13] = (h.res_scope & 0xf0) | (h.res_type & 0x0f);
        }
        head[12] = flags;
        if !r.all_tg_pt {
            head[18..20].copy_from_slice(&r.rtpi.to_be_bytes());
        }
        head[20..24].copy_from_slice(&(desc_len as u32).to_be_bytes());
        out.put(off, &head);
        out.put(off + 24, tid.get(..desc_len).unwrap_or(&[]));
        off += 24 + desc_len;
        add_len += 24 + desc_len;
    }
    out.put(4, &(add_len as u32).to_be_bytes());
    8 + add_len
}

/// The longest TransportID built: an iSCSI port name, separator, ISID, NUL, padding.
const TID_MAX: usize = 4 + PR_NAME_LEN + 5 + PR_ISID_LEN + 1 + 3;

/// `target_get_pr_transport_id_len()`.
fn transport_id_len(r: &PrRegistration) -> Option<usize> {
    match r.proto_id {
        SCSI_PROTOCOL_FCP | SCSI_PROTOCOL_SBP | SCSI_PROTOCOL_SRP | SCSI_PROTOCOL_SAS => Some(24),
        SCSI_PROTOCOL_ISCSI => {
            let mut len = r.initiator().len() + 1;
            if let Some(isid) = r.isid() {
                len += 5 + isid.len();
            }
            Some(len.next_multiple_of(4) + 4)
        }
        _ => None,
    }
}

/// `hex2bin()`: `dst.len()` bytes from twice as many hex digits of `src`.
fn hex2bin(dst: &mut [u8], src: &[u8]) -> Option<()> {
    for (i, d) in dst.iter_mut().enumerate() {
        let hi = hex_val(src.get(2 * i).copied()?)?;
        let lo = hex_val(src.get(2 * i + 1).copied()?)?;
        *d = (hi << 4) | lo;
    }
    Some(())
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `target_get_pr_transport_id()`: the TransportID of a registration's initiator port
/// (PROTOCOL IDENTIFIER in byte 0) into `buf`; returns its length.
fn transport_id(r: &PrRegistration, buf: &mut [u8; TID_MAX]) -> Option<usize> {
    let name = r.initiator();
    buf[0] = r.proto_id;
    match r.proto_id {
        SCSI_PROTOCOL_SAS => {
            // The SAS address of "naa.<16 hex digits>".
            hex2bin(buf.get_mut(4..12)?, name.get(4..)?)?;
            Some(24)
        }
        SCSI_PROTOCOL_SBP => {
            hex2bin(buf.get_mut(8..16)?, name)?;
            Some(24)
        }
        SCSI_PROTOCOL_SRP => {
            let p = match name {
                [b'0', b'x' | b'X', rest @ ..] => rest,
                _ => name,
            };
            if p.len() % 2 != 0 {
                return None;
            }
            let count = (p.len() / 2).min(16);
            hex2bin(buf.get_mut(8 + 16 - count..24)?, p)?;
            Some(24)
        }
        SCSI_PROTOCOL_FCP => {
            // "xx:xx:xx:xx:xx:xx:xx:xx": colons are skipped, pairs converted, up to
            // the 23rd character.
            let mut off = 8;
            let mut i = 0;
            while i < 23 {
                if name.get(i) == Some(&b':') {
                    i += 1;
                    continue;
                }
                let d = buf.get_mut(off..off + 1)?;
                hex2bin(d, name.get(i..)?)?;
                off += 1;
                i += 2;
            }
            Some(24)
        }
        SCSI_PROTOCOL_ISCSI => {
            let mut off = 4;
            buf.get_mut(off..off + name.len())?.copy_from_slice(name);
            off += name.len();
            let mut len = name.len();
            if let Some(isid) = r.isid() {
                // FORMAT CODE 01b: initiator port TransportID.
                buf[0] |= 0x40;
                buf.get_mut(off..off + 5)?.copy_from_slice(b",i,0x");
                off += 5;
                buf.get_mut(off..off + isid.len())?.copy_from_slice(isid);
                off += isid.len();
                len += 5 + isid.len();
            }
            *buf.get_mut(off)? = 0;
            len += 1;
            let len = len.next_multiple_of(4);
            buf.get_mut(2..4)?
                .copy_from_slice(&(len as u16).to_be_bytes());
            Some(len + 4)
        }
        _ => None,
    }
}

/// The PERSISTENT RESERVE OUT command: service action and byte 2 of the CDB, and the
/// start of its parameter list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PrOutCmd {
    /// SERVICE ACTION (CDB byte 1, bits 4-0).
    pub(crate) sa: u8,
    /// SCOPE / TYPE (CDB byte 2).
    pub(crate) scope_type: u8,
    /// The fabric's data length (`cmd->data_length`).
    pub(crate) data_length: u32,
    /// The first [`PR_OUT_HEAD`] bytes of the parameter list (zeros past its end).
    pub(crate) head: [u8; PR_OUT_HEAD],
    /// `dev_attrib.force_pr_aptpl`.
    pub(crate) force_aptpl: bool,
    /// `TRANSPORT_FLAG_PASSTHROUGH_PGR`.
    pub(crate) passthrough: bool,
}

/// The parameter list bytes PERSISTENT RESERVE OUT reads: the 24-byte list and the
/// TRANSPORTID PARAMETER DATA LENGTH of SPEC_I_PT, or REGISTER AND MOVE's TransportID
/// header.
pub(crate) const PR_OUT_HEAD: usize = 28;

/// `target_scsi3_emulate_pr_out()`.
pub(crate) fn pr_out(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    cmd: &PrOutCmd,
    ev: &mut dyn PrEvents,
) -> Result<(), SenseReason> {
    if st.spc2.active {
        return Err(SenseReason::ReservationConflict);
    }
    if cmd.data_length < 24 {
        return Err(SenseReason::ParameterListLengthError);
    }
    let sa = cmd.sa & 0x1f;
    let scope = cmd.scope_type & 0xf0;
    let res_type = cmd.scope_type & 0x0f;
    let buf = &cmd.head;
    let res_key = get_unaligned_be64(buf, 0).unwrap_or(0);
    let sa_res_key = get_unaligned_be64(buf, 8).unwrap_or(0);
    let (spec_i_pt, all_tg_pt, mut aptpl, unreg) = if sa != PRO_REGISTER_AND_MOVE {
        (
            buf[20] & 0x08 != 0,
            buf[20] & 0x04 != 0,
            buf[20] & 0x01 != 0,
            false,
        )
    } else {
        (false, false, buf[17] & 0x01 != 0, buf[17] & 0x02 != 0)
    };
    if cmd.force_aptpl {
        aptpl = true;
    }
    if spec_i_pt && sa != PRO_REGISTER {
        return Err(SenseReason::InvalidParameterList);
    }
    if !spec_i_pt && sa != PRO_REGISTER_AND_MOVE && cmd.data_length != 24 {
        return Err(SenseReason::ParameterListLengthError);
    }
    if cmd.passthrough {
        // target_try_pr_out_pt(): no lio-rs backend executes PR OUT.
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    let reg = Register {
        res_key,
        sa_res_key,
        aptpl,
        all_tg_pt,
        spec_i_pt,
    };
    match sa {
        PRO_REGISTER => register(st, nexus, cmd, reg, RegisterType::Register, ev),
        PRO_REGISTER_AND_IGNORE_EXISTING_KEY => register(
            st,
            nexus,
            cmd,
            Register { res_key: 0, ..reg },
            RegisterType::RegisterAndIgnoreExistingKey,
            ev,
        ),
        PRO_RESERVE => reserve(st, nexus, res_type, scope, res_key, ev),
        PRO_RELEASE => release(st, nexus, res_type, scope, res_key, ev),
        PRO_CLEAR => clear(st, nexus, res_key, ev),
        PRO_PREEMPT | PRO_PREEMPT_AND_ABORT => {
            if !is_valid_type(res_type) {
                return Err(SenseReason::InvalidCdbField);
            }
            preempt(st, nexus, res_type, scope, res_key, sa_res_key, ev)
        }
        PRO_REGISTER_AND_MOVE => register_and_move(st, nexus, cmd, res_key, sa_res_key, unreg),
        _ => Err(SenseReason::InvalidCdbField),
    }
}

/// The REGISTER fields of the parameter list.
#[derive(Clone, Copy, Debug)]
struct Register {
    res_key: u64,
    sa_res_key: u64,
    aptpl: bool,
    all_tg_pt: bool,
    spec_i_pt: bool,
}

/// `core_scsi3_emulate_pro_register()`.
fn register(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    cmd: &PrOutCmd,
    p: Register,
    register_type: RegisterType,
    ev: &mut dyn PrEvents,
) -> Result<(), SenseReason> {
    let Some(id) = st.locate(nexus) else {
        if p.res_key != 0 {
            return Err(SenseReason::ReservationConflict);
        }
        if p.sa_res_key == 0 {
            return Ok(());
        }
        if p.spec_i_pt {
            // core_scsi3_decode_spec_i_port(): the TransportID list must fill the
            // parameter list; lio-rs resolves none of them (see the module docs).
            let tpdl = get_unaligned_be32(&cmd.head, 24).unwrap_or(0);
            if cmd.data_length < 28 || u64::from(tpdl) + 28 != u64::from(cmd.data_length) {
                return Err(SenseReason::InvalidParameterList);
            }
            if tpdl != 0 {
                return Err(SenseReason::InvalidParameterList);
            }
        }
        st.add_registration(nexus, p.sa_res_key, p.all_tg_pt, p.aptpl)?;
        st.update_aptpl(p.aptpl, ev);
        return Ok(());
    };
    let (key, all_tg_pt, res_type) = match st.reg(id) {
        Some(r) => (r.key, r.all_tg_pt, r.res_type),
        None => return Err(SenseReason::LogicalUnitCommunicationFailure),
    };
    if register_type == RegisterType::Register && p.res_key != key {
        return Err(SenseReason::ReservationConflict);
    }
    if p.spec_i_pt {
        return Err(SenseReason::InvalidParameterList);
    }
    if all_tg_pt && !p.all_tg_pt {
        return Err(SenseReason::InvalidCdbField);
    }
    if p.sa_res_key != 0 {
        let generation = st.next_generation();
        if let Some(r) = st.reg_mut(id) {
            r.generation = generation;
            r.key = p.sa_res_key;
        }
    } else {
        // Unregister: core_scsi3_check_implicit_release() first.
        let mut pr_holder = false;
        if let Some(h) = st.holder() {
            if h.id == id {
                st.complete_release(id, true);
                pr_holder = true;
            } else if let Some(r) = st.reg(id) {
                if r.all_tg_pt && h.initiator == r.initiator && h.key == r.key {
                    return Err(SenseReason::ReservationConflict);
                }
            }
        }
        if all_tg_pt {
            // The other ALL_TG_PT registrations of this initiator and key.
            let name = st.reg(id).map(|r| r.initiator);
            while let Some(other) = st
                .registrations()
                .iter()
                .find(|o| {
                    o.id != id && o.all_tg_pt && o.key == p.res_key && Some(o.initiator) == name
                })
                .map(|o| o.id)
            {
                st.remove(other);
            }
        }
        st.remove(id);
        if pr_holder && is_regonly(res_type) {
            st.ua_all_but(None, ASCQ_2AH_RESERVATIONS_RELEASED, ev);
        }
    }
    st.update_aptpl(p.aptpl, ev);
    Ok(())
}

/// `core_scsi3_emulate_pro_reserve()`.
fn reserve(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    res_type: u8,
    scope: u8,
    res_key: u64,
    ev: &mut dyn PrEvents,
) -> Result<(), SenseReason> {
    if !is_valid_type(res_type) {
        return Err(SenseReason::InvalidCdbField);
    }
    let id = st
        .locate(nexus)
        .ok_or(SenseReason::LogicalUnitCommunicationFailure)?;
    if st.reg(id).map(|r| r.key) != Some(res_key) {
        return Err(SenseReason::ReservationConflict);
    }
    if scope != PR_SCOPE_LU_SCOPE {
        return Err(SenseReason::InvalidParameterList);
    }
    if let Some(h) = st.holder() {
        // is_reservation_holder().
        if h.id != id && !is_allreg(h.res_type) {
            return Err(SenseReason::ReservationConflict);
        }
        if h.res_type != res_type || h.res_scope != scope {
            return Err(SenseReason::ReservationConflict);
        }
        return Ok(());
    }
    if let Some(r) = st.reg_mut(id) {
        r.holder = true;
        r.res_type = res_type;
        r.res_scope = scope;
    }
    if st.aptpl_active {
        st.update_aptpl(true, ev);
    }
    Ok(())
}

/// `core_scsi3_emulate_pro_release()`.
fn release(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    res_type: u8,
    scope: u8,
    res_key: u64,
    ev: &mut dyn PrEvents,
) -> Result<(), SenseReason> {
    let id = st
        .locate(nexus)
        .ok_or(SenseReason::LogicalUnitCommunicationFailure)?;
    let Some(h) = st.holder() else {
        return Ok(());
    };
    if h.id != id && !is_allreg(h.res_type) {
        return Ok(());
    }
    if st.reg(id).map(|r| r.key) != Some(res_key) {
        return Err(SenseReason::ReservationConflict);
    }
    if h.res_type != res_type || h.res_scope != scope {
        return Err(SenseReason::ReservationConflict);
    }
    st.complete_release(id, false);
    if is_regonly(res_type) || is_allreg(res_type) {
        st.ua_all_but(Some(id), ASCQ_2AH_RESERVATIONS_RELEASED, ev);
    }
    if st.aptpl_active {
        st.update_aptpl(true, ev);
    }
    Ok(())
}

/// `core_scsi3_emulate_pro_clear()`.
fn clear(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    res_key: u64,
    ev: &mut dyn PrEvents,
) -> Result<(), SenseReason> {
    let id = st
        .locate(nexus)
        .ok_or(SenseReason::LogicalUnitCommunicationFailure)?;
    if st.reg(id).map(|r| r.key) != Some(res_key) {
        return Err(SenseReason::ReservationConflict);
    }
    if let Some(h) = st.holder_id() {
        st.complete_release(h, false);
    }
    while let Some(r) = st.registrations().first().copied() {
        st.remove(r.id);
        if r.id != id {
            ev.unit_attention(&r, 0x2a, ASCQ_2AH_RESERVATIONS_PREEMPTED);
        }
    }
    st.update_aptpl(false, ev);
    st.next_generation();
    Ok(())
}

/// `core_scsi3_pro_preempt()` (PREEMPT and PREEMPT AND ABORT).
fn preempt(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    res_type: u8,
    scope: u8,
    res_key: u64,
    sa_res_key: u64,
    ev: &mut dyn PrEvents,
) -> Result<(), SenseReason> {
    let id = st.locate(nexus).ok_or(SenseReason::ReservationConflict)?;
    if st.reg(id).map(|r| r.key) != Some(res_key) {
        return Err(SenseReason::ReservationConflict);
    }
    if scope != PR_SCOPE_LU_SCOPE {
        return Err(SenseReason::InvalidParameterList);
    }
    let holder = st.holder().copied();
    let all_reg = holder.is_some_and(|h| is_allreg(h.res_type));
    if !all_reg && sa_res_key == 0 {
        return Err(SenseReason::InvalidParameterList);
    }
    match holder {
        Some(h) if h.key == sa_res_key => {
            // The SERVICE ACTION RESERVATION KEY names the holder.
            if id != h.id {
                st.complete_release(h.id, false);
            }
            let victims = victims(st, |r| {
                r.id != id && (sa_res_key == 0 || r.key == sa_res_key)
            });
            for v in victims.iter().flatten() {
                if let Some(r) = st.remove(*v) {
                    ev.unit_attention(&r, 0x2a, ASCQ_2AH_REGISTRATIONS_PREEMPTED);
                }
            }
            st.complete_preempt(id, res_type, scope);
            if h.res_type != res_type || h.res_scope != scope {
                st.ua_all_but(Some(id), ASCQ_2AH_RESERVATIONS_RELEASED, ev);
            }
        }
        _ => {
            // No reservation, or one the key does not name: remove registrations.
            let victims = victims(st, |r| {
                if all_reg {
                    (sa_res_key == 0 || r.key == sa_res_key) && r.id != id
                } else {
                    r.key == sa_res_key
                }
            });
            // A key that matched only the calling nexus under an all registrants
            // reservation still counts as matched.
            let matched = victims.iter().any(Option::is_some)
                || (all_reg
                    && st
                        .registrations()
                        .iter()
                        .any(|r| sa_res_key == 0 || r.key == sa_res_key));
            if sa_res_key != 0 && !matched {
                return Err(SenseReason::ReservationConflict);
            }
            for v in victims.iter().flatten() {
                if let Some(r) = st.remove(*v) {
                    if r.id != id {
                        ev.unit_attention(&r, 0x2a, ASCQ_2AH_REGISTRATIONS_PREEMPTED);
                    }
                }
            }
            if holder.is_some() && all_reg && sa_res_key == 0 {
                st.complete_preempt(id, res_type, scope);
            }
        }
    }
    if st.aptpl_active {
        st.update_aptpl(true, ev);
    }
    st.next_generation();
    Ok(())
}

/// The ids of the registrations `pick` selects, in order.
fn victims(
    st: &PrState,
    pick: impl Fn(&PrRegistration) -> bool,
) -> [Option<u32>; PR_MAX_REGISTRATIONS] {
    let mut out = [None; PR_MAX_REGISTRATIONS];
    for (slot, r) in out
        .iter_mut()
        .zip(st.registrations().iter().filter(|r| pick(r)))
    {
        *slot = Some(r.id);
    }
    out
}

/// `core_scsi3_emulate_pro_register_and_move()`, up to the destination lookup (see the
/// module documentation).
fn register_and_move(
    st: &mut PrState,
    nexus: &PrNexus<'_>,
    cmd: &PrOutCmd,
    res_key: u64,
    sa_res_key: u64,
    _unreg: bool,
) -> Result<(), SenseReason> {
    let id = st
        .locate(nexus)
        .ok_or(SenseReason::LogicalUnitCommunicationFailure)?;
    if st.reg(id).map(|r| r.key) != Some(res_key) {
        return Err(SenseReason::ReservationConflict);
    }
    if sa_res_key == 0 {
        return Err(SenseReason::InvalidParameterList);
    }
    let _rtpi = get_unaligned_be16(&cmd.head, 18).unwrap_or(0);
    let tid_len = get_unaligned_be32(&cmd.head, 20).unwrap_or(0);
    if u64::from(tid_len) + 24 != u64::from(cmd.data_length) {
        return Err(SenseReason::InvalidParameterList);
    }
    // No target port of the device can be looked up by RTPI here.
    Err(SenseReason::InvalidParameterList)
}

/// The target port names APTPL metadata needs (`tpg->se_tpg_tfo->fabric_name`,
/// `tpg_get_wwn()`), by RTPI.
pub(crate) trait PrPortNames {
    /// Writes the fabric name of the TPG with RTPI `rtpi`.
    fn fabric_name(&self, rtpi: u16, w: &mut dyn Write) -> fmt::Result;
    /// Writes the target port name (the WWN) of the TPG with RTPI `rtpi`.
    fn target_node(&self, rtpi: u16, w: &mut dyn Write) -> fmt::Result;
}

fn write_bytes(w: &mut dyn Write, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        w.write_char(char::from(b))?;
    }
    Ok(())
}

/// `core_scsi3_update_aptpl_buf()`: LIO's APTPL metadata text of the registrations and
/// the reservation (what `/var/target/pr/aptpl_<serial>` holds while APTPL is active).
pub(crate) fn render_aptpl(
    st: &PrState,
    names: &dyn PrPortNames,
    w: &mut dyn Write,
) -> fmt::Result {
    let mut count = 0usize;
    for r in st.registrations() {
        write!(w, "PR_REG_START: {count}\ninitiator_fabric=")?;
        names.fabric_name(r.rtpi, w)?;
        w.write_str("\ninitiator_node=")?;
        write_bytes(w, r.initiator())?;
        w.write_str("\n")?;
        if let Some(isid) = r.isid() {
            w.write_str("initiator_sid=")?;
            write_bytes(w, isid)?;
            w.write_str("\n")?;
        }
        writeln!(w, "sa_res_key={}", r.key)?;
        if r.holder {
            writeln!(
                w,
                "res_holder=1\nres_type={:02x}\nres_scope={:02x}",
                r.res_type, r.res_scope
            )?;
        } else {
            w.write_str("res_holder=0\n")?;
        }
        writeln!(
            w,
            "res_all_tg_pt={}\nmapped_lun={}",
            u8::from(r.all_tg_pt),
            r.mapped_lun
        )?;
        w.write_str("target_fabric=")?;
        names.fabric_name(r.rtpi, w)?;
        w.write_str("\ntarget_node=")?;
        names.target_node(r.rtpi, w)?;
        writeln!(
            w,
            "\ntpgt={}\nport_rtpi={}\ntarget_lun={}\nPR_REG_END: {count}",
            r.tpgt, r.rtpi, r.target_lun
        )?;
        count += 1;
    }
    if count == 0 {
        w.write_str("No Registrations or Reservations")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    const IQN0: &[u8] = b"iqn.1994-05.com.redhat:i0";
    const IQN1: &[u8] = b"iqn.1994-05.com.redhat:i1";

    fn nexus(initiator: &'static [u8], isid: Option<&'static [u8]>) -> PrNexus<'static> {
        PrNexus {
            initiator,
            isid,
            proto_id: SCSI_PROTOCOL_ISCSI,
            rtpi: 1,
            tpgt: 1,
            mapped_lun: 0,
            target_lun: 0,
        }
    }

    #[derive(Default)]
    struct Log {
        uas: Vec<(Vec<u8>, u8)>,
        aptpl: Vec<bool>,
    }

    impl PrEvents for Log {
        fn unit_attention(&mut self, reg: &PrRegistration, asc: u8, ascq: u8) {
            assert_eq!(asc, 0x2a);
            self.uas.push((reg.initiator().to_vec(), ascq));
        }
        fn aptpl_update(&mut self, aptpl: bool) {
            self.aptpl.push(aptpl);
        }
    }

    fn out(sa: u8, ty: u8, key: u64, sa_key: u64, flags: u8) -> PrOutCmd {
        let mut head = [0u8; PR_OUT_HEAD];
        head[..8].copy_from_slice(&key.to_be_bytes());
        head[8..16].copy_from_slice(&sa_key.to_be_bytes());
        head[20] = flags;
        PrOutCmd {
            sa,
            scope_type: ty,
            data_length: 24,
            head,
            force_aptpl: false,
            passthrough: false,
        }
    }

    fn run(
        st: &mut PrState,
        n: &PrNexus<'_>,
        cmd: PrOutCmd,
        log: &mut Log,
    ) -> Result<(), SenseReason> {
        pr_out(st, n, &cmd, log)
    }

    #[test]
    fn the_empty_state_is_all_zeros() {
        // SAFETY: test only; PrState is plain data (see transport.rs's Zeroable).
        let zeroed: PrState = unsafe { core::mem::zeroed() };
        assert_eq!(zeroed, PrState::new());
        assert!(zeroed.registrations().is_empty() && zeroed.holder().is_none());
    }

    #[test]
    fn register_generation_and_capacity() {
        let mut st = PrState::new();
        let mut log = Log::default();
        let n0 = nexus(IQN0, None);
        // Unregistered, zero keys: GOOD, nothing happens (not even APTPL).
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 0, 0), &mut log).unwrap();
        assert_eq!((st.generation(), st.registrations().len()), (0, 0));
        assert!(log.aptpl.is_empty());
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 7, 0), &mut log).unwrap();
        assert_eq!(st.generation(), 1);
        // Key change through IGNORE EXISTING KEY: generation moves.
        run(&mut st, &n0, out(6, 0, 99, 8, 0), &mut log).unwrap();
        assert_eq!((st.generation(), st.registrations()[0].key()), (2, 8));
        // SPEC_I_PT on a registered nexus; ALL_TG_PT missing on an ALL_TG_PT one.
        assert_eq!(
            run(&mut st, &n0, out(PRO_REGISTER, 0, 8, 9, 0x08), &mut log),
            Err(SenseReason::InvalidParameterList)
        );
        // Unregister: the generation stays.
        run(&mut st, &n0, out(PRO_REGISTER, 0, 8, 0, 0), &mut log).unwrap();
        assert_eq!((st.generation(), st.registrations().len()), (2, 0));
        // ALL_TG_PT registrations must be unregistered with ALL_TG_PT.
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 5, 0x04), &mut log).unwrap();
        assert_eq!(
            run(&mut st, &n0, out(PRO_REGISTER, 0, 5, 0, 0), &mut log),
            Err(SenseReason::InvalidCdbField)
        );
        run(&mut st, &n0, out(PRO_REGISTER, 0, 5, 0, 0x04), &mut log).unwrap();
        // The capacity: 32 I_T nexuses (one initiator, 32 ISIDs).
        let isids: Vec<Vec<u8>> = (0..=PR_MAX_REGISTRATIONS)
            .map(|i| std::format!("{i:012x}").into_bytes())
            .collect();
        for (i, isid) in isids.iter().enumerate() {
            let n = PrNexus {
                isid: Some(isid),
                ..n0
            };
            let r = run(
                &mut st,
                &n,
                out(PRO_REGISTER, 0, 0, 1 + i as u64, 0),
                &mut log,
            );
            if i < PR_MAX_REGISTRATIONS {
                r.unwrap();
            } else {
                assert_eq!(r, Err(SenseReason::InsufficientRegistrationResources));
            }
        }
        // SPEC_I_PT: only an empty TransportID list is taken.
        let mut st = PrState::new();
        let mut spec = out(PRO_REGISTER, 0, 0, 3, 0x08);
        assert_eq!(
            run(&mut st, &n0, spec, &mut log),
            Err(SenseReason::InvalidParameterList)
        );
        spec.data_length = 28;
        run(&mut st, &n0, spec, &mut log).unwrap();
        assert_eq!(st.registrations().len(), 1);
    }

    #[test]
    fn isid_identifies_the_nexus() {
        let mut st = PrState::new();
        let mut log = Log::default();
        let a = nexus(IQN0, Some(b"400001370000"));
        let b = nexus(IQN0, Some(b"400001370001"));
        run(&mut st, &a, out(PRO_REGISTER, 0, 0, 0xa, 0), &mut log).unwrap();
        run(
            &mut st,
            &a,
            out(PRO_RESERVE, PR_TYPE_EXCLUSIVE_ACCESS, 0xa, 0, 0),
            &mut log,
        )
        .unwrap();
        assert_eq!(
            check_reservation(&st, &a, &[0x28], DmaDirection::FromDevice),
            Ok(())
        );
        // Same ACL, other ISID: not the holder, not registered.
        assert_eq!(
            check_reservation(&st, &b, &[0x28], DmaDirection::FromDevice),
            Err(SenseReason::ReservationConflict)
        );
        assert_eq!(
            run(&mut st, &b, out(PRO_RESERVE, 3, 0xa, 0, 0), &mut log),
            Err(SenseReason::LogicalUnitCommunicationFailure)
        );
    }

    #[test]
    fn unregistering_the_holder() {
        let mut st = PrState::new();
        let mut log = Log::default();
        let (n0, n1) = (nexus(IQN0, None), nexus(IQN1, None));
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 0xa, 0), &mut log).unwrap();
        run(&mut st, &n1, out(PRO_REGISTER, 0, 0, 0xb, 0), &mut log).unwrap();
        // Registrants only: released, RESERVATIONS RELEASED for the rest.
        run(&mut st, &n0, out(PRO_RESERVE, 0x05, 0xa, 0, 0), &mut log).unwrap();
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0xa, 0, 0), &mut log).unwrap();
        assert!(st.holder().is_none());
        assert_eq!(log.uas, std::vec![(IQN1.to_vec(), 0x04)]);
        // All registrants: the reservation passes to the oldest other registration.
        log.uas.clear();
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 0xc, 0), &mut log).unwrap();
        run(&mut st, &n0, out(PRO_RESERVE, 0x08, 0xc, 0, 0), &mut log).unwrap();
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0xc, 0, 0), &mut log).unwrap();
        let h = st.holder().unwrap();
        assert_eq!((h.initiator(), h.key()), (IQN1, 0xb));
        assert!(log.uas.is_empty());
    }

    #[test]
    fn preempt() {
        let mut log = Log::default();
        let (n0, n1) = (nexus(IQN0, None), nexus(IQN1, None));
        let setup = |log: &mut Log, ty: u8| {
            let mut st = PrState::new();
            run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 0xa, 0), log).unwrap();
            run(&mut st, &n1, out(PRO_REGISTER, 0, 0, 0xb, 0), log).unwrap();
            if ty != 0 {
                run(&mut st, &n0, out(PRO_RESERVE, ty, 0xa, 0, 0), log).unwrap();
            }
            st
        };
        // libiscsi ProutPreempt.RemoveRegistration: no reservation, the key goes.
        let mut st = setup(&mut log, 0);
        let g = st.generation();
        run(&mut st, &n0, out(PRO_PREEMPT, 1, 0xa, 0xb, 0), &mut log).unwrap();
        assert_eq!(st.registrations().len(), 1);
        assert_eq!(st.generation(), g + 1);
        assert_eq!(log.uas, std::vec![(IQN1.to_vec(), 0x05)]);
        // A key nobody has: conflict. A zero key without all registrants: bad list.
        assert_eq!(
            run(&mut st, &n0, out(PRO_PREEMPT, 1, 0xa, 0x77, 0), &mut log),
            Err(SenseReason::ReservationConflict)
        );
        assert_eq!(
            run(&mut st, &n0, out(PRO_PREEMPT, 1, 0xa, 0, 0), &mut log),
            Err(SenseReason::InvalidParameterList)
        );
        assert_eq!(
            run(&mut st, &n0, out(PRO_PREEMPT, 2, 0xa, 0xa, 0), &mut log),
            Err(SenseReason::InvalidCdbField)
        );
        // The holder preempting itself with another type keeps its registration.
        let mut st = setup(&mut log, 1);
        log.uas.clear();
        run(
            &mut st,
            &n0,
            out(PRO_PREEMPT_AND_ABORT, 3, 0xa, 0xa, 0),
            &mut log,
        )
        .unwrap();
        assert_eq!(st.registrations().len(), 2);
        assert_eq!(st.holder().map(|h| (h.key(), h.res_type)), Some((0xa, 3)));
        assert_eq!(log.uas, std::vec![(IQN1.to_vec(), 0x04)]);
        // All registrants, zero key: every other registration goes, the preempting
        // nexus holds the new reservation.
        let mut st = setup(&mut log, 7);
        log.uas.clear();
        run(&mut st, &n1, out(PRO_PREEMPT, 1, 0xb, 0, 0), &mut log).unwrap();
        assert_eq!(st.registrations().len(), 1);
        assert_eq!(st.holder().map(|h| (h.key(), h.res_type)), Some((0xb, 1)));
        assert_eq!(log.uas, std::vec![(IQN0.to_vec(), 0x05)]);
    }

    #[test]
    fn register_and_move_and_passthrough() {
        let mut st = PrState::new();
        let mut log = Log::default();
        let n0 = nexus(IQN0, None);
        assert_eq!(
            run(
                &mut st,
                &n0,
                out(PRO_REGISTER_AND_MOVE, 1, 0, 1, 0),
                &mut log
            ),
            Err(SenseReason::LogicalUnitCommunicationFailure)
        );
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 0xa, 0), &mut log).unwrap();
        assert_eq!(
            run(
                &mut st,
                &n0,
                out(PRO_REGISTER_AND_MOVE, 1, 0xb, 1, 0),
                &mut log
            ),
            Err(SenseReason::ReservationConflict)
        );
        assert_eq!(
            run(
                &mut st,
                &n0,
                out(PRO_REGISTER_AND_MOVE, 1, 0xa, 1, 0),
                &mut log
            ),
            Err(SenseReason::InvalidParameterList)
        );
        let mut pt = out(PRO_REGISTER, 0, 0xa, 0xb, 0);
        pt.passthrough = true;
        assert_eq!(
            run(&mut st, &n0, pt, &mut log),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
    }

    #[test]
    fn pr_in_formats() {
        let mut st = PrState::new();
        let mut log = Log::default();
        let n0 = nexus(IQN0, Some(b"400001370000"));
        let n1 = PrNexus {
            rtpi: 2,
            ..nexus(IQN1, None)
        };
        let mut sas = nexus(b"naa.5001405f4e1d2c3b", None);
        sas.proto_id = SCSI_PROTOCOL_SAS;
        let mut fc = nexus(b"21:00:00:24:ff:31:4c:5d", None);
        fc.proto_id = SCSI_PROTOCOL_FCP;
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 0xa, 0x01), &mut log).unwrap();
        run(&mut st, &n1, out(PRO_REGISTER, 0, 0, 0xb, 0x04), &mut log).unwrap();
        run(&mut st, &sas, out(PRO_REGISTER, 0, 0, 0xc, 0), &mut log).unwrap();
        // The last REGISTER decides APTPL, as in LIO.
        run(&mut st, &fc, out(PRO_REGISTER, 0, 0, 0xd, 0x01), &mut log).unwrap();
        run(&mut st, &n0, out(PRO_RESERVE, 1, 0xa, 0, 0), &mut log).unwrap();
        assert!(st.aptpl_active());
        // REPORT CAPABILITIES, PTPL_A on.
        let mut buf = [0u8; 8];
        assert_eq!(pr_in(&st, 2, 8, false, &mut buf), Ok(Some(8)));
        assert_eq!(buf, [0, 8, 0x1d, 0x91, 0xea, 0x01, 0, 0]);
        // READ FULL STATUS.
        let mut buf = [0u8; 1024];
        let len = pr_in(&st, 3, 1024, false, &mut buf).unwrap().unwrap();
        let mut off = 8;
        let mut descs = Vec::new();
        while off < len {
            let d = &buf[off..];
            let add = u32::from_be_bytes(d[20..24].try_into().unwrap()) as usize;
            descs.push(d[..24 + add].to_vec());
            off += 24 + add;
        }
        assert_eq!(off, len);
        assert_eq!(descs.len(), 4);
        // iSCSI port TransportID, the holder, RTPI 1.
        let d = &descs[0];
        assert_eq!(
            (d[7], d[12], d[13], &d[18..20]),
            (0xa, 0x01, 0x01, &[0, 1][..])
        );
        let name = b"iqn.1994-05.com.redhat:i0,i,0x400001370000\0";
        assert_eq!(d[24], 0x45);
        assert_eq!(
            u16::from_be_bytes([d[26], d[27]]) as usize,
            name.len().next_multiple_of(4)
        );
        assert_eq!(&d[28..28 + name.len()], name);
        // iSCSI device TransportID, ALL_TG_PT: no RTPI.
        let d = &descs[1];
        assert_eq!((d[12], &d[18..20], d[24]), (0x02, &[0, 0][..], 0x05));
        assert_eq!(&d[28..28 + IQN1.len() + 1], b"iqn.1994-05.com.redhat:i1\0");
        // SAS and FC: 24 bytes.
        let d = &descs[2];
        assert_eq!(d.len(), 48);
        assert_eq!(
            &d[24..36],
            &[6, 0, 0, 0, 0x50, 0x01, 0x40, 0x5f, 0x4e, 0x1d, 0x2c, 0x3b]
        );
        let d = &descs[3];
        assert_eq!(
            &d[24..40],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0x24, 0xff, 0x31, 0x4c, 0x5d]
        );
        // Cut at the data length: the descriptors that fit LIO's check.
        let mut small = [0u8; 64];
        let cut = pr_in(&st, 3, 64, false, &mut small).unwrap().unwrap();
        assert_eq!(cut, 8 + descs[0].len());
        assert_eq!(small[8..], buf[8..64]);
        // READ RESERVATION below 22 bytes: no data length change.
        let mut b = [0u8; 16];
        assert_eq!(pr_in(&st, 1, 16, false, &mut b), Ok(None));
        assert_eq!(b[7], 16);
    }

    struct Names;

    impl PrPortNames for Names {
        fn fabric_name(&self, _rtpi: u16, w: &mut dyn Write) -> fmt::Result {
            w.write_str("loopback")
        }
        fn target_node(&self, rtpi: u16, w: &mut dyn Write) -> fmt::Result {
            write!(w, "naa.50014050000000{rtpi:02x}")
        }
    }

    #[test]
    fn aptpl_metadata() {
        let mut st = PrState::new();
        let mut s = String::new();
        render_aptpl(&st, &Names, &mut s).unwrap();
        assert_eq!(s, "No Registrations or Reservations");
        let mut log = Log::default();
        let n0 = PrNexus {
            mapped_lun: 3,
            target_lun: 5,
            ..nexus(IQN0, Some(b"400001370000"))
        };
        let n1 = nexus(IQN1, None);
        run(&mut st, &n0, out(PRO_REGISTER, 0, 0, 10, 0x01), &mut log).unwrap();
        run(&mut st, &n1, out(PRO_REGISTER, 0, 0, 11, 0x01), &mut log).unwrap();
        run(&mut st, &n0, out(PRO_RESERVE, 6, 10, 0, 0), &mut log).unwrap();
        assert_eq!(log.aptpl, std::vec![true, true, true]);
        let mut s = String::new();
        render_aptpl(&st, &Names, &mut s).unwrap();
        assert_eq!(
            s,
            "PR_REG_START: 0\ninitiator_fabric=loopback\n\
             initiator_node=iqn.1994-05.com.redhat:i0\ninitiator_sid=400001370000\n\
             sa_res_key=10\nres_holder=1\nres_type=06\nres_scope=00\n\
             res_all_tg_pt=0\nmapped_lun=3\ntarget_fabric=loopback\n\
             target_node=naa.5001405000000001\ntpgt=1\nport_rtpi=1\ntarget_lun=5\n\
             PR_REG_END: 0\n\
             PR_REG_START: 1\ninitiator_fabric=loopback\n\
             initiator_node=iqn.1994-05.com.redhat:i1\n\
             sa_res_key=11\nres_holder=0\n\
             res_all_tg_pt=0\nmapped_lun=0\ntarget_fabric=loopback\n\
             target_node=naa.5001405000000001\ntpgt=1\nport_rtpi=1\ntarget_lun=0\n\
             PR_REG_END: 1\n"
        );
        // CLEAR turns APTPL off.
        run(&mut st, &n1, out(PRO_CLEAR, 0, 11, 0, 0), &mut log).unwrap();
        assert_eq!(log.aptpl.last(), Some(&false));
        assert!(!st.aptpl_active());
    }
}
