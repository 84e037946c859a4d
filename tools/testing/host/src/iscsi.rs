// SPDX-License-Identifier: GPL-2.0

//! `#[path]` includes of iscsi_target_mod's pure protocol logic (see drivers/target/iscsi/).

/// CRC32C for iSCSI header and data digests.
#[path = "../../../../drivers/target/iscsi/crc32c.rs"]
pub mod crc32c;

/// The Basic Header Segment, login request checks and the CmdSN window.
#[path = "../../../../drivers/target/iscsi/pdu.rs"]
pub mod pdu;

/// Login key=value text and the negotiation of every key.
#[path = "../../../../drivers/target/iscsi/params.rs"]
pub mod params;

/// CHAP authentication (target side).
#[path = "../../../../drivers/target/iscsi/chap.rs"]
pub mod chap;

/// iscsi_target_mod's configfs attributes: TPG/ACL attributes, CHAP credentials,
/// cpulists.
#[path = "../../../../drivers/target/iscsi/attrs.rs"]
pub mod attrs;

/// Network portal names.
#[path = "../../../../drivers/target/iscsi/portal.rs"]
pub mod portal;

/// Full feature phase sequencing: LUN field, Data-In split, R2T/Data-Out, portal text.
#[path = "../../../../drivers/target/iscsi/seq.rs"]
pub mod seq;
