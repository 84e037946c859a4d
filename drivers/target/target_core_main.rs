// SPDX-License-Identifier: GPL-2.0

//! target_core_mod: the module around the [`target_core`] engine crate.

use kernel::prelude::*;

module! {
    type: TargetCoreMod,
    name: "target_core_mod",
    author: "lio-rs developers",
    description: "lio-rs: Target_Core_Mod/ConfigFS (the LIO SCSI target engine in Rust)",
    license: "GPL",
}

struct TargetCoreMod {
    _core: target_core::TargetCore,
}

impl kernel::Module for TargetCoreMod {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(TargetCoreMod {
            _core: target_core::TargetCore::init()?,
        })
    }
}
