// SPDX-License-Identifier: GPL-2.0

//! CPUs.

use super::bindings;

/// Whether `cpu` names a CPU that is online.
pub fn online(cpu: i32) -> bool {
    // SAFETY: the helper checks the range before reading the online mask.
    unsafe { bindings::lio_cpu_online(cpu) }
}

/// `nr_cpu_ids`: one more than the highest possible CPU number (the width of a CPU mask).
pub fn nr_cpu_ids() -> u32 {
    // SAFETY: `nr_cpu_ids` is set once during early boot and only read afterwards.
    unsafe { kernel::bindings::nr_cpu_ids }
}
