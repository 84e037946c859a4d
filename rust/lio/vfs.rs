// SPDX-License-Identifier: GPL-2.0

//! Path lookups.

use super::bindings;
use kernel::error::{to_result, Result};
use kernel::str::CStr;

/// Succeeds if `path` names an existing directory (symlinks followed).
pub fn require_directory(path: &CStr) -> Result {
    // SAFETY: `path` is a valid NUL-terminated string for the duration of the call;
    // `lio_path_is_dir` only reads it and releases the path it looked up.
    to_result(unsafe { bindings::lio_path_is_dir(path.as_char_ptr()) })
}
