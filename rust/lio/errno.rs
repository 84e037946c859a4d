// SPDX-License-Identifier: GPL-2.0

//! errno values that 6.12's `kernel::error::code` lacks.

use kernel::error::Error;

/// `-ENAMETOOLONG`.
pub fn enametoolong() -> Error {
    Error::from_errno(-(kernel::bindings::ENAMETOOLONG as i32))
}

/// `-EOVERFLOW`.
pub fn eoverflow() -> Error {
    Error::from_errno(-(kernel::bindings::EOVERFLOW as i32))
}

/// `-ENOSYS`.
pub fn enosys() -> Error {
    Error::from_errno(-(kernel::bindings::ENOSYS as i32))
}

/// `-EOPNOTSUPP`.
pub fn eopnotsupp() -> Error {
    Error::from_errno(-(kernel::bindings::EOPNOTSUPP as i32))
}
