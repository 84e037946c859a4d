// SPDX-License-Identifier: GPL-2.0

//! What 6.12's `KVec` lacks for removing elements.

use kernel::alloc::KVec;

/// Removes the element at `index` and returns it, moving the last element into its place
/// (`Vec::swap_remove`); `None` when `index` is out of bounds.
pub fn swap_remove<T>(v: &mut KVec<T>, index: usize) -> Option<T> {
    let len = v.len();
    if index >= len {
        return None;
    }
    v.as_mut_slice().swap(index, len - 1);
    // SAFETY: `len - 1 < len`, so the element is initialised; after shrinking the length by
    // one it is no longer part of the vector, so reading it out moves it exactly once.
    unsafe {
        let last = core::ptr::read(v.as_ptr().add(len - 1));
        v.set_len(len - 1);
        Some(last)
    }
}

/// Keeps only the elements for which `keep` is true (order is not preserved).
pub fn retain_unordered<T>(v: &mut KVec<T>, mut keep: impl FnMut(&T) -> bool) {
    let mut i = 0;
    while i < v.len() {
        if keep(&v[i]) {
            i += 1;
        } else {
            drop(swap_remove(v, i));
        }
    }
}

/// Keeps only the elements for which `keep` is true, in their order (`Vec::retain`).
pub fn retain<T>(v: &mut KVec<T>, mut keep: impl FnMut(&T) -> bool) {
    let mut i = 0;
    while i < v.len() {
        if keep(&v[i]) {
            i += 1;
        } else {
            // Move the element to the end, the others down by one, then take it off.
            v.as_mut_slice()[i..].rotate_left(1);
            let last = v.len() - 1;
            drop(swap_remove(v, last));
        }
    }
}
