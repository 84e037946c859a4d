// SPDX-License-Identifier: GPL-2.0

//! Module parameters. 6.12's `module!` cannot declare them, so a module declares each
//! with `module_param_named()` in a C file linked into it, next to a getter
//! `unsigned int NAME(void)` that reads it with `READ_ONCE()`; this macro gives the Rust
//! side a safe function over that getter.

/// `lio_module_param_u32!(fn_name, c_getter)`: defines `fn fn_name() -> u32` that returns
/// the parameter read by the C function `c_getter`, which must be defined in the same
/// module as `unsigned int c_getter(void)`.
#[macro_export]
macro_rules! lio_module_param_u32 {
    ($(#[$meta:meta])* $name:ident, $getter:ident) => {
        $(#[$meta])*
        fn $name() -> u32 {
            extern "C" {
                fn $getter() -> kernel::ffi::c_uint;
            }
            // SAFETY: the module links a C definition `unsigned int $getter(void)` (see the
            // macro's documentation): it takes nothing and only reads an `unsigned int`
            // module parameter with READ_ONCE(), which is valid for the module's lifetime.
            unsafe { $getter() }
        }
    };
}
