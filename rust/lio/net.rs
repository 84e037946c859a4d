// SPDX-License-Identifier: GPL-2.0

//! Kernel TCP sockets (`sock_create_kern` in `init_net`, `kernel_bind`, `kernel_listen`,
//! `kernel_accept`, `kernel_recvmsg`, `kernel_sendmsg`, `kernel_sock_shutdown`,
//! `sock_release`), IPv4 and IPv6, for the iSCSI fabric's network portals.
//!
//! Receives and sends run under `memalloc_noio_save()`, as LIO's do: a connection over
//! loopback must not recurse into block I/O (its own target) to reclaim memory.
//! [`Socket::shutdown`] may be called from any thread while another one waits in
//! [`Socket::accept`] or [`Socket::recv_exact`]: that one then returns an error, which is
//! how a portal or a connection is torn down.

use super::bindings;
use core::ptr::NonNull;
use kernel::error::{to_result, Error, Result};
use kernel::ffi::c_void;

/// An IPv4 or IPv6 socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// IPv4 address and port.
    V4([u8; 4], u16),
    /// IPv6 address and port.
    V6([u8; 16], u16),
}

impl SockAddr {
    fn to_c(self) -> bindings::lio_sockaddr {
        let mut a = bindings::lio_sockaddr::default();
        match self {
            SockAddr::V4(ip, port) => {
                a.ipv6 = false;
                if let Some(dst) = a.addr.get_mut(..4) {
                    dst.copy_from_slice(&ip);
                }
                a.port = port;
            }
            SockAddr::V6(ip, port) => {
                a.ipv6 = true;
                a.addr = ip;
                a.port = port;
            }
        }
        a
    }

    fn from_c(a: &bindings::lio_sockaddr) -> Self {
        if a.ipv6 {
            SockAddr::V6(a.addr, a.port)
        } else {
            let mut ip = [0u8; 4];
            if let Some(src) = a.addr.get(..4) {
                ip.copy_from_slice(src);
            }
            SockAddr::V4(ip, a.port)
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        match self {
            SockAddr::V4(_, p) | SockAddr::V6(_, p) => *p,
        }
    }

    /// Whether the address is the wildcard (`INADDR_ANY`, `in6addr_any`).
    pub fn is_any(&self) -> bool {
        match self {
            SockAddr::V4(ip, _) => ip.iter().all(|&b| b == 0),
            SockAddr::V6(ip, _) => ip.iter().all(|&b| b == 0),
        }
    }
}

/// Why a receive ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// The receive timeout passed before any byte came.
    Idle,
    /// The peer closed, the socket was shut down, the timeout passed in the middle of the
    /// buffer, or another error (the errno).
    Closed(Error),
}

/// A kernel socket, released on drop.
///
/// # Invariants
///
/// `raw` is a `struct socket *` from `lio_sock_listen` or `lio_sock_accept`, released only
/// on drop.
pub struct Socket {
    raw: NonNull<c_void>,
}

// SAFETY: a kernel socket may be used from any thread; the socket layer takes the socket's
// lock for each operation.
unsafe impl Send for Socket {}
// SAFETY: as above: concurrent receive, send and shutdown are serialised by the socket
// lock, which is what LIO relies on too.
unsafe impl Sync for Socket {}

impl Socket {
    /// A TCP socket bound to `addr` (with `SO_REUSEADDR`) and listening with `backlog`.
    pub fn listen(addr: SockAddr, backlog: i32) -> Result<Socket> {
        let a = addr.to_c();
        let mut out: *mut c_void = core::ptr::null_mut();
        // SAFETY: `a` and `out` are valid for the call; the helper only writes `out` on
        // success.
        to_result(unsafe { bindings::lio_sock_listen(&a, backlog, &mut out) })?;
        // INVARIANT: a socket from `lio_sock_listen`.
        Ok(Socket {
            raw: NonNull::new(out).ok_or(kernel::error::code::EINVAL)?,
        })
    }

    /// Waits for and accepts a connection.
    pub fn accept(&self) -> Result<Socket> {
        let mut out: *mut c_void = core::ptr::null_mut();
        // SAFETY: `raw` is a live socket (type invariant); `out` is written on success.
        to_result(unsafe { bindings::lio_sock_accept(self.raw.as_ptr(), &mut out) })?;
        // INVARIANT: a socket from `lio_sock_accept`.
        Ok(Socket {
            raw: NonNull::new(out).ok_or(kernel::error::code::EINVAL)?,
        })
    }

    /// Receives exactly `buf.len()` bytes.
    pub fn recv_exact(&self, buf: &mut [u8]) -> core::result::Result<(), RecvError> {
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: `raw` is a live socket; `buf` is valid for writes of its length for the
        // duration of the call.
        let ret = unsafe {
            bindings::lio_sock_recv_all(self.raw.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        };
        match ret {
            0 => Ok(()),
            e if e == -(kernel::bindings::EAGAIN as i32) => Err(RecvError::Idle),
            e => Err(RecvError::Closed(Error::from_errno(e))),
        }
    }

    /// Sends all of `buf`; `more`: more follows at once (`MSG_MORE`).
    pub fn send_all(&self, buf: &[u8], more: bool) -> Result {
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: `raw` is a live socket; `buf` is valid for reads of its length.
        to_result(unsafe {
            bindings::lio_sock_send_all(self.raw.as_ptr(), buf.as_ptr().cast(), buf.len(), more)
        })
    }

    /// Sets the receive timeout in milliseconds (0: wait forever).
    pub fn set_recv_timeout(&self, msecs: u32) {
        // SAFETY: `raw` is a live socket.
        unsafe { bindings::lio_sock_set_rcvtimeo(self.raw.as_ptr(), msecs) }
    }

    /// `kernel_sock_shutdown(SHUT_RDWR)`: a thread waiting in `accept` or `recv_exact`
    /// on this socket returns with an error; later calls fail at once.
    pub fn shutdown(&self) {
        // SAFETY: `raw` is a live socket; shutdown takes the socket lock.
        unsafe { bindings::lio_sock_shutdown(self.raw.as_ptr()) }
    }

    /// `kernel_sock_shutdown(SHUT_WR)`: the peer reads end of file, while what it still
    /// sends is queued unread rather than answered with a reset (which would make its next
    /// write fail with `EPIPE`) until the socket is released.
    pub fn shutdown_send(&self) {
        // SAFETY: `raw` is a live socket; shutdown takes the socket lock.
        unsafe { bindings::lio_sock_shutdown_send(self.raw.as_ptr()) }
    }

    fn name(&self, peer: bool) -> Result<SockAddr> {
        let mut a = bindings::lio_sockaddr::default();
        // SAFETY: `raw` is a live socket, `a` is valid for writes.
        to_result(unsafe { bindings::lio_sock_getname(self.raw.as_ptr(), peer, &mut a) })?;
        Ok(SockAddr::from_c(&a))
    }

    /// The local address.
    pub fn local_addr(&self) -> Result<SockAddr> {
        self.name(false)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> Result<SockAddr> {
        self.name(true)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: `raw` is live (type invariant) and no other reference to `self` exists.
        unsafe { bindings::lio_sock_release(self.raw.as_ptr()) }
    }
}
