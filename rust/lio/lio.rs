// SPDX-License-Identifier: GPL-2.0

//! The lio-rs kernel support layer: safe abstractions over the C APIs that LIO needs and
//! that 6.12's `kernel` crate does not wrap. Every `unsafe` block of lio-rs lives under
//! `rust/`, each with the proof of its safety next to it.
//!
//! A module includes this layer with `#[path = ".../rust/lio/lio.rs"] mod lio;` and uses
//! what it needs of it; the pieces a module does not use are compiled out.

pub(crate) mod bindings;
pub(crate) mod bytes;
pub(crate) mod configfs;
pub(crate) mod errno;
pub(crate) mod kmod;
pub(crate) mod page;
pub(crate) mod parse;
pub(crate) mod time;
pub(crate) mod uts;
pub(crate) mod vfs;

impl From<parse::ParseError> for kernel::error::Error {
    fn from(e: parse::ParseError) -> Self {
        match e {
            parse::ParseError::Invalid => kernel::error::code::EINVAL,
            parse::ParseError::Range => kernel::error::code::ERANGE,
        }
    }
}
