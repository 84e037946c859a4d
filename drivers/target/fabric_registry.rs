// SPDX-License-Identifier: GPL-2.0

//! The registered fabrics (LIO: `g_tf_list`, `target_register_template()`) and the
//! relative target port identifiers in use (LIO: `tpg_xa`).

use crate::fabric::TargetFabric;
use crate::lio::global::Global;
use crate::lio::vec::retain_unordered;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// What the engine keeps about fabrics while it is loaded.
#[pin_data]
pub(crate) struct Fabrics {
    #[pin]
    list: Mutex<KVec<&'static dyn TargetFabric>>,
    /// RTPIs of enabled TPGs (and manual ones), unique across every fabric.
    #[pin]
    rtpis: Mutex<KVec<u16>>,
}

static FABRICS: Global<Fabrics> = Global::new();

/// Installs the fabric list for the engine's lifetime; it is removed when this is dropped.
pub(crate) struct FabricsInstalled(());

impl FabricsInstalled {
    pub(crate) fn new() -> Result<Self> {
        let fabrics = Arc::pin_init(
            try_pin_init!(Fabrics {
                list <- new_mutex!(KVec::new()),
                rtpis <- new_mutex!(KVec::new()),
            }? Error),
            GFP_KERNEL,
        )?;
        FABRICS.set(Some(fabrics));
        Ok(FabricsInstalled(()))
    }
}

impl Drop for FabricsInstalled {
    fn drop(&mut self) {
        FABRICS.set(None);
    }
}

/// A fabric's registration with the engine (`target_register_template()`), undone when
/// dropped (`target_unregister_template()`). The fabric's configfs directories pin its
/// module, so none exists any more when the module's exit drops this.
pub struct FabricRegistration {
    fabric: &'static dyn TargetFabric,
}

impl FabricRegistration {
    /// Registers `fabric`; another fabric of the same name makes it fail with `EEXIST`.
    pub fn new(fabric: &'static dyn TargetFabric) -> Result<Self> {
        let fabrics = FABRICS.get().ok_or(ENODEV)?;
        let mut list = fabrics.list.lock();
        if list
            .iter()
            .any(|f| f.name().as_bytes() == fabric.name().as_bytes())
        {
            pr_err!("Fabric {} already registered\n", fabric.name());
            return Err(EEXIST);
        }
        list.push(fabric, GFP_KERNEL)?;
        Ok(FabricRegistration { fabric })
    }
}

impl Drop for FabricRegistration {
    fn drop(&mut self) {
        let Some(fabrics) = FABRICS.get() else {
            return;
        };
        let name = self.fabric.name().as_bytes();
        retain_unordered(&mut fabrics.list.lock(), |f| f.name().as_bytes() != name);
    }
}

/// `target_core_get_fabric()`: the registered fabric called `name`.
pub(crate) fn lookup(name: &[u8]) -> Option<&'static dyn TargetFabric> {
    let fabrics = FABRICS.get()?;
    let list = fabrics.list.lock();
    list.iter().copied().find(|f| f.name().as_bytes() == name)
}

/// `target_tpg_register_rtpi()`: `Some(rtpi)` reserves that one (`EINVAL` if busy), `None`
/// takes the lowest free one from 1.
pub(crate) fn register_rtpi(wanted: Option<u16>) -> Result<u16> {
    let fabrics = FABRICS.get().ok_or(ENODEV)?;
    let mut rtpis = fabrics.rtpis.lock();
    let rtpi = match wanted {
        Some(r) if rtpis.contains(&r) => return Err(EINVAL),
        Some(r) => r,
        None => (1..=u16::MAX).find(|r| !rtpis.contains(r)).ok_or(ENOSPC)?,
    };
    rtpis.push(rtpi, GFP_KERNEL)?;
    Ok(rtpi)
}

/// `target_tpg_deregister_rtpi()`.
pub(crate) fn deregister_rtpi(rtpi: u16) {
    if let Some(fabrics) = FABRICS.get() {
        retain_unordered(&mut fabrics.rtpis.lock(), |&r| r != rtpi);
    }
}
