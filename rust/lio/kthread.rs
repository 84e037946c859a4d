// SPDX-License-Identifier: GPL-2.0

//! Kernel threads (`kthread_run`, `kthread_stop`, `kthread_should_stop`) that run a Rust
//! closure. The handle keeps a reference on the task, so [`KThread::stop`] (also done on
//! drop) is safe whether the thread still runs or has already returned.

use super::bindings;
use core::ptr::NonNull;
use kernel::error::{code::EINTR, Error, Result};
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;

/// A running (or finished) kernel thread.
///
/// # Invariants
///
/// `task` is a task from `lio_kthread_run` on which this handle holds a reference, put by
/// `lio_kthread_stop_put` exactly once (in `stop_inner`). `data`/`drop_data` are the boxed
/// closure the thread takes ownership of when it runs.
pub struct KThread {
    task: Option<NonNull<c_void>>,
    data: *mut c_void,
    drop_data: unsafe fn(*mut c_void),
}

// SAFETY: the handle only stops the thread, which may be done from any thread; the closure
// it may drop is `Send`.
unsafe impl Send for KThread {}
// SAFETY: no method takes `&self` and touches the task.
unsafe impl Sync for KThread {}

unsafe extern "C" fn trampoline<F: FnOnce() + Send + 'static>(data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `KBox<F>` leaked by `KThread::run`; the thread function runs at
    // most once, so ownership is taken once (and `stop_inner` only reclaims it when the
    // function never ran).
    let f = unsafe { KBox::from_raw(data.cast::<F>()) };
    KBox::into_inner(f)();
    0
}

unsafe fn drop_box<F>(data: *mut c_void) {
    // SAFETY: the caller passes the `KBox<F>` leaked by `KThread::run` whose thread never ran.
    drop(unsafe { KBox::from_raw(data.cast::<F>()) });
}

impl KThread {
    /// Starts a kernel thread called `name` running `f`.
    pub fn run<F: FnOnce() + Send + 'static>(name: &CStr, f: F) -> Result<KThread> {
        let data = KBox::into_raw(KBox::new(f, GFP_KERNEL)?).cast::<c_void>();
        // SAFETY: `trampoline::<F>` matches the C signature and takes `data` as made above;
        // `name` is NUL-terminated and copied by `kthread_create`.
        let task =
            unsafe { bindings::lio_kthread_run(Some(trampoline::<F>), data, name.as_char_ptr()) };
        // SAFETY: `task` is a pointer or an ERR_PTR; testing it reads nothing.
        if task.is_null() || unsafe { bindings::lio_is_err(task) } {
            // SAFETY: as above.
            let err = unsafe { bindings::lio_ptr_err(task) };
            // SAFETY: the thread was not created, the box is still ours.
            unsafe { drop_box::<F>(data) };
            return Err(Error::from_errno(err as i32));
        }
        // INVARIANT: a task from `lio_kthread_run`, with a reference for this handle.
        Ok(KThread {
            task: NonNull::new(task),
            data,
            drop_data: drop_box::<F>,
        })
    }

    /// `kthread_stop()`: tells the thread to stop (see [`should_stop`]), wakes it up and
    /// waits for it to return. The caller first unblocks whatever the thread waits on.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(task) = self.task.take() {
            // SAFETY: the handle holds a reference on `task` (type invariant), given up here
            // once: `task` was taken out of `self`.
            let ret = unsafe { bindings::lio_kthread_stop_put(task.as_ptr()) };
            if ret == EINTR.to_errno() {
                // SAFETY: the thread function never ran (the trampoline always returns 0),
                // so the closure is still ours.
                unsafe { (self.drop_data)(self.data) };
            }
        }
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// `kthread_should_stop()`: whether [`KThread::stop`] was called for the current thread.
pub fn should_stop() -> bool {
    // SAFETY: called from a kthread made by `KThread::run` (elsewhere it returns false).
    unsafe { bindings::lio_kthread_should_stop() }
}
