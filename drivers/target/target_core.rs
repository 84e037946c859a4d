// SPDX-License-Identifier: GPL-2.0

//! target_core_mod: the lio-rs SCSI target engine (LIO's `drivers/target` core).
//!
//! This crate is the root of `target_core_mod.ko`. It owns the configfs tree under
//! `/sys/kernel/config/target` (see [`configfs`]).

#![allow(clippy::missing_safety_doc)]

use kernel::prelude::*;

#[allow(dead_code)]
#[path = "../../rust/lio/lio.rs"]
mod lio;

// The SCSI protocol logic: pure `core` code that tools/testing/host also compiles and
// tests. Nothing calls it yet: the command path (transport) comes with tcm_loop.
#[allow(dead_code)]
mod cdb;
#[allow(dead_code)]
mod sbc;
#[allow(dead_code)]
mod sense;
#[allow(dead_code)]
mod spc;

mod alua;
mod attrib;
mod backend;
mod configfs;
mod device;
mod hba;
mod pr;
mod rd;
mod stat;
mod wwn;

module! {
    type: TargetCoreMod,
    name: "target_core_mod",
    author: "lio-rs developers",
    description: "lio-rs: Target_Core_Mod/ConfigFS (the LIO SCSI target engine in Rust)",
    license: "GPL",
}

/// `TARGET_CORE_VERSION` of `include/target/target_core_base.h`.
pub(crate) const TARGET_CORE_VERSION: &str = "v5.0";

struct TargetCoreMod {
    _root: Pin<KBox<lio::configfs::Subsystem<configfs::TargetRoot>>>,
}

impl kernel::Module for TargetCoreMod {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!(
            "TARGET_CORE[0]: Loading Generic Kernel Storage Engine: {} on {}/{} on {}\n",
            TARGET_CORE_VERSION,
            lio::uts::sysname(),
            lio::uts::machine(),
            lio::uts::release()
        );
        let root = KBox::pin_init(configfs::TargetRoot::subsystem()?, GFP_KERNEL)?;
        pr_info!(
            "TARGET_CORE[0]: Initialized ConfigFS Fabric Infrastructure: v5.0 on {}/{} on {}\n",
            lio::uts::sysname(),
            lio::uts::machine(),
            lio::uts::release()
        );
        Ok(TargetCoreMod { _root: root })
    }
}
