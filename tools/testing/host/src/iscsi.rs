// SPDX-License-Identifier: GPL-2.0

//! `#[path]` includes of iscsi_target_mod's pure protocol logic (see drivers/target/iscsi/).
