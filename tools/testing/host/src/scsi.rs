// SPDX-License-Identifier: GPL-2.0

//! `#[path]` includes of target_core_mod's pure SCSI logic (see drivers/target/).
