// SPDX-License-Identifier: GPL-2.0

//! Owned byte strings.

use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::Result;

/// A kmalloc'd copy of `bytes`.
pub fn kvec_from(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(v)
}
