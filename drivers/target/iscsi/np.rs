// SPDX-License-Identifier: GPL-2.0

//! Network portals (LIO: `struct iscsi_np`, `iscsit_add_np()`, `iscsi_target_login_thread()`):
//! a listening TCP socket per `IP:PORT`, shared by every TPG that has a `np/IP:PORT`
//! directory for it, with one login thread that accepts connections and gives each its
//! own connection thread (`conn.rs`). Removing the last TPG's directory shuts the socket
//! down, joins the login thread and tears down every connection of the portal; removing
//! one TPG's directory tears down that TPG's connections on it.

use crate::conn::{self, ConnShared};
use crate::global;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::{c_str, new_mutex};
use target_core::fabric::SeTpg;
use target_core::lio::kthread::{self, KThread};
use target_core::lio::net::{SockAddr, Socket};
use target_core::lio::time::msleep_interruptible;

/// Connections a portal keeps at most (logging in or logged in); more are refused at
/// once, so that a flood of connections cannot exhaust memory or threads.
const MAX_CONNS_PER_NP: usize = 128;

/// How often (ms) an idle portal releases the sockets of connections that ended.
const REAP_INTERVAL_MS: u32 = 2000;

/// A connection and its thread.
pub(crate) struct ConnEntry {
    pub(crate) shared: Arc<ConnShared>,
    thread: Option<KThread>,
}

impl Drop for ConnEntry {
    /// Shuts the connection's socket down (which ends its receive) and joins its thread.
    fn drop(&mut self) {
        self.shared.sock.shutdown();
        if let Some(t) = self.thread.take() {
            t.stop();
        }
    }
}

/// A network portal (`struct iscsi_np`).
#[pin_data]
pub(crate) struct IscsiNp {
    pub(crate) addr: SockAddr,
    sock: Arc<Socket>,
    /// The TPGs with a `np/` directory for this portal (`tpg_np` links).
    #[pin]
    pub(crate) tpgs: Mutex<KVec<Arc<SeTpg>>>,
    #[pin]
    conns: Mutex<KVec<ConnEntry>>,
    #[pin]
    thread: Mutex<Option<KThread>>,
    stopping: AtomicBool,
}

/// What a `np/IP:PORT` directory keeps: its portal.
pub(crate) struct TpgNp {
    pub(crate) np: Arc<IscsiNp>,
}

impl IscsiNp {
    /// Joins the TPG to the portal at `addr`, making the portal (bind, listen, login
    /// thread) if no TPG has it yet (`iscsit_tpg_add_network_portal()`).
    pub(crate) fn add(tpg: &Arc<SeTpg>, addr: SockAddr) -> Result<Arc<IscsiNp>> {
        let g = global()?;
        let mut nps = g.nps.lock();
        if let Some(np) = nps.iter().find(|np| np.addr == addr) {
            let mut tpgs = np.tpgs.lock();
            if tpgs.iter().any(|t| Arc::ptr_eq(t, tpg)) {
                return Err(EEXIST);
            }
            tpgs.push(tpg.clone(), GFP_KERNEL)?;
            return Ok(np.clone());
        }
        let sock = Arc::new(Socket::listen(addr, 256)?, GFP_KERNEL)?;
        // accept() returns EAGAIN after this long without a connection, so the login
        // thread releases the sockets of ended connections without waiting for the next.
        sock.set_recv_timeout(REAP_INTERVAL_MS);
        let mut tpgs = KVec::new();
        tpgs.push(tpg.clone(), GFP_KERNEL)?;
        let np = Arc::pin_init(
            pin_init!(IscsiNp {
                addr,
                sock,
                tpgs <- new_mutex!(tpgs),
                conns <- new_mutex!(KVec::new()),
                thread <- new_mutex!(None),
                stopping: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )?;
        nps.push(np.clone(), GFP_KERNEL)?;
        let np2 = np.clone();
        match KThread::run(c_str!("iscsi_np"), move || login_thread(np2)) {
            Ok(t) => *np.thread.lock() = Some(t),
            Err(e) => {
                target_core::lio::vec::retain_unordered(&mut nps, |n| !Arc::ptr_eq(n, &np));
                return Err(e);
            }
        }
        Ok(np)
    }

    /// Takes the TPG off the portal (`iscsit_tpg_del_network_portal()`): its connections
    /// on the portal go; the last TPG takes the portal down.
    pub(crate) fn remove(np: &Arc<IscsiNp>, tpg: &Arc<SeTpg>) {
        let last = {
            let mut tpgs = np.tpgs.lock();
            target_core::lio::vec::retain_unordered(&mut tpgs, |t| !Arc::ptr_eq(t, tpg));
            tpgs.is_empty()
        };
        if last {
            if let Ok(g) = global() {
                target_core::lio::vec::retain_unordered(&mut g.nps.lock(), |n| !Arc::ptr_eq(n, np));
            }
            np.stopping.store(true, Ordering::Release);
            np.sock.shutdown();
            let t = np.thread.lock().take();
            if let Some(t) = t {
                t.stop();
            }
            np.stop_conns(|_| true);
        } else {
            np.stop_conns(|c| c.is_on_tpg(tpg));
        }
    }

    /// Stops the connections `which` selects, outside the list's lock.
    pub(crate) fn stop_conns(&self, which: impl Fn(&ConnShared) -> bool) {
        let mut taken = KVec::new();
        {
            let mut conns = self.conns.lock();
            let mut i = 0;
            while i < conns.len() {
                let sel = conns.get(i).is_some_and(|c| which(&c.shared));
                if sel {
                    if let Some(e) = target_core::lio::vec::swap_remove(&mut conns, i) {
                        // Without memory the entry is dropped (stopped) here, under the
                        // lock, which the connection threads never take.
                        let _ = taken.push(e, GFP_KERNEL);
                    }
                } else {
                    i += 1;
                }
            }
        }
        drop(taken);
    }

    /// Joins the threads of connections that ended by themselves.
    fn reap(&self) {
        self.stop_conns(|c| c.done.load(Ordering::Acquire));
    }
}

/// `iscsi_target_login_thread()`: accepts connections until the portal goes.
fn login_thread(np: Arc<IscsiNp>) {
    while !kthread::should_stop() && !np.stopping.load(Ordering::Acquire) {
        let sock = match np.sock.accept() {
            Ok(s) => s,
            Err(e) => {
                if kthread::should_stop() || np.stopping.load(Ordering::Acquire) {
                    break;
                }
                np.reap();
                if e != EAGAIN {
                    msleep_interruptible(100);
                }
                continue;
            }
        };
        np.reap();
        if np.conns.lock().len() >= MAX_CONNS_PER_NP {
            pr_err!("iSCSI portal: too many connections, refusing one\n");
            continue;
        }
        let shared = match ConnShared::new(sock) {
            Ok(s) => s,
            Err(_) => continue,
        };
        let (np2, sh2) = (np.clone(), shared.clone());
        let thread = match KThread::run(c_str!("iscsi_trx"), move || conn::conn_thread(np2, sh2)) {
            Ok(t) => t,
            Err(_) => continue,
        };
        let entry = ConnEntry {
            shared,
            thread: Some(thread),
        };
        // Without room to track it the connection cannot stay: the entry is dropped,
        // which stops it.
        let _ = np.conns.lock().push(entry, GFP_KERNEL);
    }
}
