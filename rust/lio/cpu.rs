// SPDX-License-Identifier: GPL-2.0

//! CPUs.

use super::bindings;

/// Whether `cpu` names a CPU that is online.
pub fn online(cpu: i32) -> bool {
    // SAFETY: the helper checks the range before reading the online mask.
    unsafe { bindings::lio_cpu_online(cpu) }
}
