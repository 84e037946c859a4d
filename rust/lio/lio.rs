// SPDX-License-Identifier: GPL-2.0

//! The lio-rs kernel support layer: safe abstractions over the C APIs that LIO needs and
//! that 6.12's `kernel` crate does not wrap. Every `unsafe` block of lio-rs lives under
//! `rust/`, each with the proof of its safety next to it.
//!
//! A module includes this layer with `#[path = ".../rust/lio/lio.rs"] mod lio;` and uses
//! what it needs of it; the pieces a module does not use are compiled out.

pub mod arc;
pub mod bindings;
pub mod bio;
pub mod bytes;
pub mod configfs;
pub mod cpu;
pub mod cred;
pub mod crypto;
pub mod errno;
pub mod file;
pub mod global;
pub mod kmod;
pub mod kthread;
pub mod modparam;
pub mod net;
pub mod page;
pub mod pagemem;
pub mod parse;
pub mod scsi_host;
pub mod time;
pub mod uts;
pub mod vec;
pub mod vfs;
pub mod workqueue;

impl From<parse::ParseError> for kernel::error::Error {
    fn from(e: parse::ParseError) -> Self {
        match e {
            parse::ParseError::Invalid => kernel::error::code::EINVAL,
            parse::ParseError::Range => kernel::error::code::ERANGE,
        }
    }
}
