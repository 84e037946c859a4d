// SPDX-License-Identifier: GPL-2.0

//! Module-wide state: a slot a module fills at init and empties at exit, reachable from
//! its code and from the modules that depend on it (LIO keeps such state in C globals:
//! the fabric template list, the RTPI xarray, ...).

use super::bindings;
use core::cell::UnsafeCell;
use kernel::sync::Arc;

/// A global slot holding an `Arc<T>`. Readers get their own reference, so a value stays
/// alive for whoever still uses it after the slot is emptied.
pub struct Global<T> {
    slot: UnsafeCell<Option<Arc<T>>>,
}

// SAFETY: `slot` is only accessed with `lio_global_mutex` held (see `with_slot`), and what
// crosses threads is an `Arc<T>`, which is `Send + Sync` when `T` is.
unsafe impl<T: Send + Sync> Sync for Global<T> {}

impl<T: Send + Sync> Global<T> {
    /// An empty slot.
    pub const fn new() -> Self {
        Global {
            slot: UnsafeCell::new(None),
        }
    }

    fn with_slot<R>(&self, f: impl FnOnce(&mut Option<Arc<T>>) -> R) -> R {
        // SAFETY: a plain mutex lock in process context.
        unsafe { bindings::lio_global_lock() };
        // SAFETY: the mutex is held, so this is the only reference to the slot.
        let r = f(unsafe { &mut *self.slot.get() });
        // SAFETY: locked above.
        unsafe { bindings::lio_global_unlock() };
        r
    }

    /// Fills the slot, returning what it held.
    pub fn set(&self, value: Option<Arc<T>>) -> Option<Arc<T>> {
        self.with_slot(|slot| core::mem::replace(slot, value))
    }

    /// A reference to the value, if the slot is filled.
    pub fn get(&self) -> Option<Arc<T>> {
        self.with_slot(|slot| slot.clone())
    }
}

impl<T: Send + Sync> Default for Global<T> {
    fn default() -> Self {
        Self::new()
    }
}
