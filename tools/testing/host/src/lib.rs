// SPDX-License-Identifier: GPL-2.0

//! Host builds of the pure logic of lio-rs, so `cargo test` (and `cargo fuzz`) reach it
//! without a kernel. Each module here is the very file a kernel module compiles.

#![no_std]
#![allow(dead_code)]

#[cfg(test)]
extern crate std;

/// `rust/lio/parse.rs`: configfs input parsers with kstrtox semantics.
#[path = "../../../../rust/lio/parse.rs"]
pub mod parse;

/// The SCSI protocol logic of target_core_mod (CDB decoding, sense, SPC/SBC emulation).
pub mod scsi;

/// The iSCSI protocol logic of iscsi_target_mod (PDUs, login negotiation, CRC32C).
pub mod iscsi;
