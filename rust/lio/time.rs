// SPDX-License-Identifier: GPL-2.0

//! Jiffies and sleeping.

use super::bindings;

/// `get_jiffies_64()`.
pub fn get_jiffies_64() -> u64 {
    // SAFETY: reads the jiffies counter; no pointers involved.
    unsafe { bindings::lio_get_jiffies_64() }
}

/// `j` in hundredths of a second since boot, as the SNMP-MIB style statistics print a
/// creation time (`target_core_stat.c`), with the same wrap-arounds.
pub fn jiffies_to_mib_time(j: u64) -> u32 {
    // SAFETY: pure arithmetic in C (it needs `INITIAL_JIFFIES` and `HZ`).
    unsafe { bindings::lio_jiffies_to_mib_time(j) }
}

/// `msleep_interruptible(msecs)`.
pub fn msleep_interruptible(msecs: u32) {
    // SAFETY: may sleep; callers run in process context (configfs stores).
    unsafe { bindings::lio_msleep_interruptible(msecs) }
}
