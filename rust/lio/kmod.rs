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

/// A reference on a module (`try_module_get`), dropped with `module_put`: the module
/// cannot be unloaded while this exists.
pub struct ModuleRef {
    module: &'static kernel::ThisModule,
}

impl ModuleRef {
    /// Takes a reference on `module`, unless it is being unloaded.
    pub fn try_get(module: &'static kernel::ThisModule) -> Option<Self> {
        // SAFETY: `module` is a live `struct module` (a `ThisModule` refers to its own
        // module for as long as that module's code can run, and the caller runs in it or
        // in a module that depends on it through registration).
        if unsafe { bindings::lio_try_module_get(module.as_ptr()) } {
            Some(ModuleRef { module })
        } else {
            None
        }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `try_get` keeps the module alive until here.
        unsafe { bindings::lio_module_put(self.module.as_ptr()) }
    }
}
