// SPDX-License-Identifier: GPL-2.0

//! `#[path]` includes of target_core_mod's pure SCSI logic (see drivers/target/).

/// `drivers/target/sense.rs`: `sense_reason_t` and the sense data builders.
#[path = "../../../../drivers/target/sense.rs"]
pub mod sense;

/// `drivers/target/cdb.rs`: CDB lengths and field decoding.
#[path = "../../../../drivers/target/cdb.rs"]
pub mod cdb;

/// `drivers/target/sbc.rs`: SBC parsing, checks and emulation.
#[path = "../../../../drivers/target/sbc.rs"]
pub mod sbc;

/// `drivers/target/spc.rs`: SPC emulation (INQUIRY, VPD, MODE SENSE, REPORT LUNS, ...).
#[path = "../../../../drivers/target/spc.rs"]
pub mod spc;

/// `drivers/target/ua.rs`: the unit attention queue of an I_T nexus on a LUN.
#[path = "../../../../drivers/target/ua.rs"]
pub mod ua;

/// `drivers/target/xcopy.rs`: EXTENDED COPY parsing, RECEIVE COPY RESULTS.
#[path = "../../../../drivers/target/xcopy.rs"]
pub mod xcopy;

/// `drivers/target/exec.rs`: the command execution engine.
#[path = "../../../../drivers/target/exec.rs"]
pub mod exec;

/// `drivers/target/pr.rs`: persistent reservations and SPC-2 RESERVE/RELEASE.
#[path = "../../../../drivers/target/pr.rs"]
pub mod pr;

/// What the pure files reach as `super::lio::...` (in the kernel, target_core's `lio`).
pub mod lio {
    pub use crate::parse;
}

/// `drivers/target/fileio.rs`: fileio's configfs logic and enable-time decisions.
#[path = "../../../../drivers/target/fileio.rs"]
pub mod fileio;

/// `drivers/target/iblock.rs`: iblock's configfs logic and enable-time decisions.
#[path = "../../../../drivers/target/iblock.rs"]
pub mod iblock;
