// SPDX-License-Identifier: GPL-2.0

//! A workqueue the module owns (`alloc_workqueue` / `destroy_workqueue`), which 6.12's
//! `kernel::workqueue` lacks: unlike the system queues it can be drained, so that no work
//! item of a module still runs when the module's memory goes away.

use core::ops::Deref;
use core::ptr::NonNull;
use kernel::bindings as kb;
use kernel::error::{code::ENOMEM, Result};
use kernel::str::CStr;
use kernel::workqueue::Queue;

/// `WQ_MEM_RECLAIM`: the queue has a rescuer thread, for work on the I/O path.
pub const WQ_MEM_RECLAIM: u32 = kb::wq_flags_WQ_MEM_RECLAIM;
/// `WQ_UNBOUND`: work items are not bound to the CPU that queued them.
pub const WQ_UNBOUND: u32 = kb::wq_flags_WQ_UNBOUND;

/// An allocated workqueue; dropping it runs every queued work item to its end and frees
/// the queue.
///
/// # Invariants
///
/// `raw` was returned by `alloc_workqueue` and is destroyed only on drop.
pub struct OwnedQueue {
    raw: NonNull<kb::workqueue_struct>,
}

// SAFETY: a workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: queueing work takes the workqueue's own locks.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates a workqueue called `name` with the `WQ_*` `flags` and at most
    /// `max_active` items running at once per CPU (0: the default).
    pub fn new(name: &CStr, flags: u32, max_active: i32) -> Result<Self> {
        // SAFETY: the format is a NUL-terminated "%s" whose one argument is the
        // NUL-terminated `name`, which the workqueue code copies.
        let raw = unsafe {
            kb::alloc_workqueue(c"%s".as_ptr().cast(), flags, max_active, name.as_char_ptr())
        };
        // INVARIANT: allocated just above.
        Ok(OwnedQueue {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }
}

impl OwnedQueue {
    /// Waits until every work item queued so far has run (`flush_workqueue`).
    pub fn flush(&self) {
        // SAFETY: `raw` is a live workqueue (type invariant); flushing may sleep, which the
        // callers (process context) allow.
        unsafe { kb::__flush_workqueue(self.raw.as_ptr()) }
    }
}

impl Deref for OwnedQueue {
    type Target = Queue;

    fn deref(&self) -> &Queue {
        // SAFETY: `raw` is a live workqueue (type invariant) that stays valid as long as
        // `self`, which the returned reference borrows.
        unsafe { Queue::from_raw(self.raw.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: `raw` is live (type invariant) and no reference from `deref` outlives
        // `self`; `destroy_workqueue` drains the queue first.
        unsafe { kb::destroy_workqueue(self.raw.as_ptr()) }
    }
}
