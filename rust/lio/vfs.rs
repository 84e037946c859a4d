// SPDX-License-Identifier: GPL-2.0

//! Path lookups and file writes.

use super::bindings;
use kernel::error::{to_result, Result};
use kernel::str::CStr;

/// Succeeds if `path` names an existing directory (symlinks followed).
pub fn require_directory(path: &CStr) -> Result {
    // SAFETY: `path` is a valid NUL-terminated string for the duration of the call;
    // `lio_path_is_dir` only reads it and releases the path it looked up.
    to_result(unsafe { bindings::lio_path_is_dir(path.as_char_ptr()) })
}

/// Creates or truncates `path` (mode 0600) and writes `data` to it: `ENODEV` if it cannot
/// be opened, `EIO` if the write failed (LIO's metadata files).
pub fn write_file(path: &CStr, data: &[u8]) -> Result {
    // SAFETY: `path` is NUL-terminated and `data` valid for `data.len()` bytes for the
    // duration of the call; the helper only reads them.
    to_result(unsafe {
        bindings::lio_write_file(path.as_char_ptr(), data.as_ptr().cast(), data.len())
    })
}
