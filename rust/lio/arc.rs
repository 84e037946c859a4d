// SPDX-License-Identifier: GPL-2.0

//! Downcasting shared trait objects (what `alloc::sync::Arc::downcast` does for std).

use core::any::Any;
use kernel::sync::Arc;

/// `Some(Arc<T>)` if `any` holds a `T`; the reference moves into the result.
pub fn downcast<T: Send + Sync + 'static>(any: Arc<dyn Any + Send + Sync>) -> Option<Arc<T>> {
    if !(*any).is::<T>() {
        return None;
    }
    let raw = Arc::into_raw(any);
    // SAFETY: the value behind `raw` is a `T` (checked above), in the allocation of an
    // `Arc<T>` that was coerced to `Arc<dyn Any + ...>`, so its `ArcInner` has `T`'s layout;
    // casting away the vtable gives the pointer `Arc::<T>::into_raw` would have returned.
    // The reference `into_raw` gave up is taken back exactly once.
    Some(unsafe { Arc::from_raw(raw.cast::<T>()) })
}
