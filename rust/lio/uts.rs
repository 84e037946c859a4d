// SPDX-License-Identifier: GPL-2.0

//! The running kernel's identity, as LIO prints it in its version strings.

use super::bindings;
use kernel::str::CStr;

/// `utsname()->sysname`, e.g. `Linux`.
pub fn sysname() -> &'static CStr {
    // SAFETY: `lio_uts_sysname` returns `init_uts_ns.name.sysname` of the caller's UTS
    // namespace, a NUL-terminated array that lives as long as the kernel.
    unsafe { CStr::from_char_ptr(bindings::lio_uts_sysname()) }
}

/// `utsname()->machine`, e.g. `x86_64`.
pub fn machine() -> &'static CStr {
    // SAFETY: as for `sysname`: a NUL-terminated array with static lifetime.
    unsafe { CStr::from_char_ptr(bindings::lio_uts_machine()) }
}

/// `UTS_RELEASE` of the kernel the module was built for.
pub fn release() -> &'static CStr {
    // SAFETY: `lio_uts_release` returns a string literal.
    unsafe { CStr::from_char_ptr(bindings::lio_uts_release()) }
}
