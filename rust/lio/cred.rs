// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the calling task.

/// `capable(CAP_SYS_ADMIN)`: whether the current task may administer the system (LIO
/// requires it to read or write CHAP credentials).
pub fn capable_sys_admin() -> bool {
    // SAFETY: `capable()` only reads the current task's credentials; it may be called from
    // any process context.
    unsafe { kernel::bindings::capable(kernel::bindings::CAP_SYS_ADMIN as i32) }
}
