// SPDX-License-Identifier: GPL-2.0

//! The contract between the target engine and its backend modules (LIO:
//! `include/target/target_core_backend.h`).
//!
//! A backend module (`target_core_file`, `target_core_iblock`) describes itself in a
//! `static` [`BackendOps`] (its plugin name, the INQUIRY identity of its devices, its
//! module, and how to allocate a [`BackendDevice`]) and registers it with
//! [`BackendRegistration::new`] at init. `mkdir core/<name>_<N>` then makes an HBA of it
//! (pinning the module), and each device directory below gets a `BackendDevice` that
//! parses `control`, prints `info`, configures the device at `enable` and provides the
//! [`Medium`] the command path reads and writes.

pub use crate::attrib::DevAttrib;
pub use crate::backend::{BackendDevice, BackendOps, BackendRegistration};
pub use crate::exec::{CmdData, Medium};
pub use crate::sbc::ExecCmdOps;
pub use crate::sense::SenseReason;
