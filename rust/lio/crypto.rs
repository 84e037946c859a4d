// SPDX-License-Identifier: GPL-2.0

//! Message digests through the kernel crypto API (`crypto_shash`) and random bytes, for
//! iSCSI CHAP.

use super::bindings;
use kernel::error::{code::EINVAL, to_result, Result};
use kernel::ffi::c_uint;
use kernel::str::CStr;

/// Whether the kernel has the hash `alg` (`crypto_has_shash`; may load its module).
pub fn has_shash(alg: &CStr) -> bool {
    // SAFETY: `alg` is NUL-terminated; process context.
    unsafe { bindings::lio_crypto_has_shash(alg.as_char_ptr()) }
}

/// Digest of the concatenated `parts` with `alg` into `out` (at least the digest size).
pub fn shash_digest(alg: &CStr, parts: &[&[u8]], out: &mut [u8]) -> Result {
    const MAX_PARTS: usize = 8;
    if parts.len() > MAX_PARTS {
        return Err(EINVAL);
    }
    let mut ptrs = [core::ptr::null::<u8>(); MAX_PARTS];
    let mut lens: [c_uint; MAX_PARTS] = [0; MAX_PARTS];
    for ((p, l), part) in ptrs.iter_mut().zip(lens.iter_mut()).zip(parts) {
        *p = part.as_ptr();
        *l = c_uint::try_from(part.len()).map_err(|_| EINVAL)?;
    }
    let out_len = c_uint::try_from(out.len()).map_err(|_| EINVAL)?;
    // SAFETY: `ptrs[i]`/`lens[i]` describe the live slices of `parts` for the first
    // `parts.len()` entries; `out` is valid for `out_len` bytes; process context.
    to_result(unsafe {
        bindings::lio_crypto_shash_digest(
            alg.as_char_ptr(),
            ptrs.as_ptr(),
            lens.as_ptr(),
            parts.len() as c_uint,
            out.as_mut_ptr(),
            out_len,
        )
    })
}

/// `get_random_bytes()`.
pub fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { bindings::lio_get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) }
}
