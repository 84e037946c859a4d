// SPDX-License-Identifier: GPL-2.0

//! Copies between pages the module owns and byte slices (rd_mcp's memory).

use kernel::error::Result;
use kernel::page::Page;

/// Copies `dst.len()` bytes at `offset` of `page` into `dst`; fails with `EINVAL` if the
/// range leaves the page.
///
/// Two commands that touch the same blocks at once may copy from a page while another
/// copies into it (an initiator that overlaps its own I/O gets undefined *data*, as with
/// any disk, and as with LIO's memcpy); the copies are byte copies through raw pointers,
/// never Rust references to the page, so no reference ever observes a concurrent write.
pub fn read(page: &Page, offset: usize, dst: &mut [u8]) -> Result {
    // SAFETY: `dst` is valid for writes of `dst.len()` bytes and not aliased (a unique
    // borrow); `read_raw` checks that the range is inside the page. Concurrent writers of
    // the page are other raw copies only (see the function's documentation).
    unsafe { page.read_raw(dst.as_mut_ptr(), offset, dst.len()) }
}

/// Copies `src` into `page` at `offset`; fails with `EINVAL` if the range leaves the
/// page. Concurrency as for [`read`].
pub fn write(page: &Page, offset: usize, src: &[u8]) -> Result {
    // SAFETY: `src` is valid for reads of `src.len()` bytes; `write_raw` checks that the
    // range is inside the page. Concurrent accesses to the page are raw copies only.
    unsafe { page.write_raw(src.as_ptr(), offset, src.len()) }
}
