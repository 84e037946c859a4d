// SPDX-License-Identifier: GPL-2.0

//! target_core: the lio-rs SCSI target engine (LIO's `drivers/target` core) as a library
//! crate.
//!
//! It is linked into `target_core_mod.ko` (whose `module!` lives in `target_core_main.rs`)
//! and its public items are exported to the fabric modules (`tcm_loop`, ...) as Rust
//! symbols: a fabric writes `use target_core::fabric::...` (the contract of
//! `include/target/target_core_fabric.rs`). The engine owns the configfs tree under
//! `/sys/kernel/config/target` (see [`configfs`]).

#![allow(clippy::missing_safety_doc)]

use kernel::prelude::*;

/// `pr_*!` prefix of the engine's messages.
const __LOG_PREFIX: &[u8] = b"target_core_mod\0";

// SAFETY: `__this_module` is the `struct module` modpost emits for the module this crate
// is linked into (target_core_mod.ko); it lives as long as the module's code.
static THIS_MODULE: kernel::ThisModule = unsafe {
    // Without CONFIG_LOCKDEP (the bench kernel) `struct module` holds an empty
    // `lockdep_map`, which the lint calls FFI-unsafe; the static is only used by address.
    #[allow(improper_ctypes)]
    extern "C" {
        static __this_module: kernel::types::Opaque<kernel::bindings::module>;
    }
    kernel::ThisModule::from_ptr(__this_module.get())
};

/// The support layer (`rust/lio`), shared with the fabric modules.
#[allow(dead_code)]
#[path = "../../rust/lio/lio.rs"]
pub mod lio;

// The SCSI protocol logic: pure `core` code that tools/testing/host also compiles and
// tests.
#[allow(dead_code)]
mod cdb;
#[allow(dead_code)]
mod exec;
#[allow(dead_code)]
mod pr;
#[allow(dead_code)]
mod sbc;
#[allow(dead_code)]
mod sense;
#[allow(dead_code)]
mod spc;
#[allow(dead_code)]
mod ua;
#[allow(dead_code)]
mod xcopy;

mod alua;
mod attrib;
mod backend;
mod configfs;
mod device;
mod fabric_configfs;
mod fabric_registry;
mod hba;
mod pr_configfs;
mod rd;
// The command path (lookup_lun, visible_luns) lands with the execution engine.
#[allow(dead_code)]
mod stat;
mod tpg;
mod transport;
mod wwn;

/// The core/backend contract (`include/target/target_core_backend.rs`).
#[path = "../../include/target/target_core_backend.rs"]
pub mod backend_api;

/// The core/fabric contract (`include/target/target_core_fabric.rs`).
#[path = "../../include/target/target_core_fabric.rs"]
pub mod fabric;

/// `TARGET_CORE_VERSION` of `include/target/target_core_base.h`.
pub(crate) const TARGET_CORE_VERSION: &str = "v5.0";

/// The loaded engine: the configfs subsystem `target`, unregistered when this is dropped.
pub struct TargetCore {
    // Dropped in order: configfs first, then the fabric list.
    _root: Pin<KBox<lio::configfs::Subsystem<configfs::TargetRoot>>>,
    _fabrics: fabric_registry::FabricsInstalled,
    _backends: backend::BackendsInstalled,
}

impl TargetCore {
    /// Registers `/sys/kernel/config/target` (LIO's `target_core_init_configfs`).
    pub fn init() -> Result<Self> {
        pr_info!(
            "TARGET_CORE[0]: Loading Generic Kernel Storage Engine: {} on {}/{} on {}\n",
            TARGET_CORE_VERSION,
            lio::uts::sysname(),
            lio::uts::machine(),
            lio::uts::release()
        );
        let backends = backend::BackendsInstalled::new()?;
        let fabrics = fabric_registry::FabricsInstalled::new()?;
        let root = KBox::pin_init(configfs::TargetRoot::subsystem()?, GFP_KERNEL)?;
        pr_info!(
            "TARGET_CORE[0]: Initialized ConfigFS Fabric Infrastructure: v5.0 on {}/{} on {}\n",
            lio::uts::sysname(),
            lio::uts::machine(),
            lio::uts::release()
        );
        Ok(TargetCore {
            _root: root,
            _fabrics: fabrics,
            _backends: backends,
        })
    }
}
