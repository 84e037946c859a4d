// SPDX-License-Identifier: GPL-2.0

//! Loading modules on demand (`request_module`).

use super::bindings;
use kernel::error::{code::ENOENT, Result};
use kernel::str::CStr;

/// Asks user space (modprobe) to load the module `name` and waits for it.
pub fn request_module(name: &CStr) -> Result {
    // SAFETY: `name` is a valid NUL-terminated string for the duration of the call; the
    // helper passes it as the argument of a "%s" format.
    match unsafe { bindings::lio_request_module(name.as_char_ptr()) } {
        0 => Ok(()),
        _ => Err(ENOENT),
    }
}
