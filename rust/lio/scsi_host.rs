// SPDX-License-Identifier: GPL-2.0

//! A SCSI low-level driver (LLD) for lio-rs: the host side that tcm_loop, LIO's loopback
//! fabric, presents to the Linux SCSI midlayer.
//!
//! C headers: [`include/scsi/scsi_host.h`](srctree/include/scsi/scsi_host.h),
//! [`include/scsi/scsi_cmnd.h`](srctree/include/scsi/scsi_cmnd.h),
//! [`include/scsi/scsi_device.h`](srctree/include/scsi/scsi_device.h).
//!
//! Layout, as `drivers/target/loopback/tcm_loop.c` builds it:
//!
//! * a [`RootDevice`] (`/sys/devices/tcm_loop_0`, `root_device_register`);
//! * per host an [`AdapterDevice`] below it (`tcm_loop_adapter_N`);
//! * one [`ScsiHostTemplate<T>`] per driver type `T` (the C `scsi_host_template`: module
//!   owner, names, the `queuecommand` and error-handler trampolines of `T`);
//! * per adapter a [`ScsiHost<T>`] (`hostM` below the adapter) that owns the adapter, the
//!   driver data `T` and a reference on the template; LUNs are hot-added and removed on it
//!   with [`ScsiHost::add_device`] and [`ScsiHost::remove_device`].
//!
//! The midlayer hands each command to [`ScsiHostDriver::queuecommand`] as a [`ScsiCmd`], an
//! owned handle that is completed exactly once: by [`ScsiCmd::complete`] (or one of its
//! siblings), which consumes it, or by dropping it, which completes it with `DID_ERROR`.
//! Completion may happen in any context (typically a workqueue).
//!
//! The unsafe code and every C call are in non-generic functions, so that a library crate
//! holding this file can export them to the driver module; the generic parts are only the
//! `extern "C"` trampolines, which call nothing but those non-generic functions.

use super::bindings as b;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::{self, NonNull};
use kernel::bindings as kb;
use kernel::error::{code::EINVAL, code::ENODEV, code::ENOMEM, from_err_ptr, to_result};
use kernel::ffi::{c_int, c_void};
use kernel::page::Page;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;
use kernel::types::Opaque;
use kernel::ThisModule;

/// `SCSI_MAX_VARLEN_CDB_SIZE`: the longest CDB a host may accept (`max_cmd_len`).
pub const SCSI_MAX_VARLEN_CDB_SIZE: u16 = b::SCSI_MAX_VARLEN_CDB_SIZE as u16;

/// `SCSI_SENSE_BUFFERSIZE`: the size of a command's sense buffer; longer sense data is cut.
pub const SCSI_SENSE_BUFFERSIZE: usize = b::SCSI_SENSE_BUFFERSIZE as usize;

/// SAM status codes (`enum sam_status`), the status byte of a completion.
pub mod status {
    use super::b;

    /// `SAM_STAT_GOOD`.
    pub const GOOD: u8 = b::sam_status_SAM_STAT_GOOD as u8;
    /// `SAM_STAT_CHECK_CONDITION`: sense data describes the error.
    pub const CHECK_CONDITION: u8 = b::sam_status_SAM_STAT_CHECK_CONDITION as u8;
    /// `SAM_STAT_CONDITION_MET`.
    pub const CONDITION_MET: u8 = b::sam_status_SAM_STAT_CONDITION_MET as u8;
    /// `SAM_STAT_BUSY`.
    pub const BUSY: u8 = b::sam_status_SAM_STAT_BUSY as u8;
    /// `SAM_STAT_RESERVATION_CONFLICT`.
    pub const RESERVATION_CONFLICT: u8 = b::sam_status_SAM_STAT_RESERVATION_CONFLICT as u8;
    /// `SAM_STAT_TASK_SET_FULL`.
    pub const TASK_SET_FULL: u8 = b::sam_status_SAM_STAT_TASK_SET_FULL as u8;
    /// `SAM_STAT_ACA_ACTIVE`.
    pub const ACA_ACTIVE: u8 = b::sam_status_SAM_STAT_ACA_ACTIVE as u8;
    /// `SAM_STAT_TASK_ABORTED`.
    pub const TASK_ABORTED: u8 = b::sam_status_SAM_STAT_TASK_ABORTED as u8;
}

/// The host byte of a completion (`enum scsi_host_status`, `DID_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HostByte {
    /// `DID_OK`: the command reached the target; its SCSI status says how it went.
    Ok = b::scsi_host_status_DID_OK as u8,
    /// `DID_NO_CONNECT`: no such target (tcm_loop: the TPG is not configured).
    NoConnect = b::scsi_host_status_DID_NO_CONNECT as u8,
    /// `DID_BUS_BUSY`.
    BusBusy = b::scsi_host_status_DID_BUS_BUSY as u8,
    /// `DID_TIME_OUT`.
    TimeOut = b::scsi_host_status_DID_TIME_OUT as u8,
    /// `DID_BAD_TARGET`.
    BadTarget = b::scsi_host_status_DID_BAD_TARGET as u8,
    /// `DID_ABORT`.
    Abort = b::scsi_host_status_DID_ABORT as u8,
    /// `DID_ERROR`: an internal error (also what dropping a [`ScsiCmd`] reports).
    Error = b::scsi_host_status_DID_ERROR as u8,
    /// `DID_RESET`.
    Reset = b::scsi_host_status_DID_RESET as u8,
    /// `DID_SOFT_ERROR`: retry.
    SoftError = b::scsi_host_status_DID_SOFT_ERROR as u8,
    /// `DID_IMM_RETRY`: retry at once.
    ImmRetry = b::scsi_host_status_DID_IMM_RETRY as u8,
    /// `DID_REQUEUE`: requeue without counting a retry.
    Requeue = b::scsi_host_status_DID_REQUEUE as u8,
    /// `DID_TRANSPORT_DISRUPTED` (tcm_loop: the TPG's transport is offline).
    TransportDisrupted = b::scsi_host_status_DID_TRANSPORT_DISRUPTED as u8,
    /// `DID_TRANSPORT_FAILFAST`.
    TransportFailfast = b::scsi_host_status_DID_TRANSPORT_FAILFAST as u8,
}

/// The direction of a command's data (`cmd->sc_data_direction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataDirection {
    /// No data (`DMA_NONE`).
    None,
    /// Data from the initiator to the target, e.g. WRITE (`DMA_TO_DEVICE`).
    ToDevice,
    /// Data from the target to the initiator, e.g. READ (`DMA_FROM_DEVICE`).
    FromDevice,
    /// Both (`DMA_BIDIRECTIONAL`).
    Bidirectional,
}

/// A SCSI command handed to [`ScsiHostDriver::queuecommand`]: the driver owns it until it
/// completes it.
///
/// Completing consumes the handle ([`ScsiCmd::complete`], [`ScsiCmd::complete_host`],
/// [`ScsiCmd::complete_with`]); dropping it without completing completes it with
/// [`HostByte::Error`]. So every command is completed exactly once, from any context.
///
/// # Invariants
///
/// `raw` points to a `scsi_cmnd` the midlayer passed to `queuecommand` and that has not
/// been given back (by `scsi_done` or by returning "busy" from `queuecommand`); this handle
/// is the only one for it.
pub struct ScsiCmd {
    raw: NonNull<b::scsi_cmnd>,
    /// Where the last data copy ended (see `struct lio_sg_cursor`).
    cursor: b::lio_sg_cursor,
}

// SAFETY: a command may be completed and its data copied from any thread and context
// (`scsi_done` and `sg_pcopy_*` take no sleeping locks); the midlayer does not touch the
// fields read here while the LLD owns the command.
unsafe impl Send for ScsiCmd {}

impl ScsiCmd {
    /// # Safety
    ///
    /// `raw` must be a command the midlayer has just passed to `queuecommand`, and no
    /// other handle may be made for it.
    unsafe fn from_raw(raw: *mut b::scsi_cmnd) -> Option<Self> {
        // INVARIANT: by the safety requirements.
        NonNull::new(raw).map(|raw| ScsiCmd {
            raw,
            cursor: b::lio_sg_cursor::default(),
        })
    }

    fn cmnd(&self) -> &b::scsi_cmnd {
        // SAFETY: by the type invariant `raw` is a live command owned by this handle; the
        // midlayer does not write it while the LLD owns it.
        unsafe { self.raw.as_ref() }
    }

    fn sdev(&self) -> &b::scsi_device {
        // SAFETY: a queued command's `device` is set, and the device cannot be released
        // while one of its commands is in flight (its removal waits for them), i.e. before
        // the completion that consumes this handle.
        unsafe { &*self.cmnd().device }
    }

    /// The CDB (`cmd->cmnd`, `cmd->cmd_len` bytes).
    pub fn cdb(&self) -> &[u8] {
        let c = self.cmnd();
        c.cmnd.get(..usize::from(c.cmd_len)).unwrap_or(&c.cmnd)
    }

    /// The LUN the command is addressed to (`cmd->device->lun`).
    pub fn lun(&self) -> u64 {
        self.sdev().lun
    }

    /// The channel (`cmd->device->channel`).
    pub fn channel(&self) -> u32 {
        self.sdev().channel
    }

    /// The target id (`cmd->device->id`; tcm_loop's TPG tag).
    pub fn id(&self) -> u32 {
        self.sdev().id
    }

    /// The direction of the data.
    pub fn direction(&self) -> DataDirection {
        match self.cmnd().sc_data_direction {
            kb::dma_data_direction_DMA_TO_DEVICE => DataDirection::ToDevice,
            kb::dma_data_direction_DMA_FROM_DEVICE => DataDirection::FromDevice,
            kb::dma_data_direction_DMA_BIDIRECTIONAL => DataDirection::Bidirectional,
            _ => DataDirection::None,
        }
    }

    /// The length of the data buffer in bytes (`scsi_bufflen`).
    pub fn transfer_len(&self) -> u32 {
        // SAFETY: `raw` is a live command (type invariant); the helper reads one field.
        unsafe { b::lio_scsi_cmd_bufflen(self.raw.as_ptr()) }
    }

    /// The blk-mq tag (`scsi_cmd_to_rq(cmd)->tag`), which names the command in an
    /// [`ScsiHostDriver::abort`] (tcm_loop's ABORT TASK reference).
    pub fn tag(&self) -> u32 {
        // SAFETY: `raw` is a live command owned by this handle (type invariant).
        unsafe { tag_of(self.raw.as_ptr()) }
    }

    /// Copies `src` into the data buffer at byte `off`: the data
    /// the initiator reads. Returns how many bytes were copied.
    pub fn copy_from_buffer(&mut self, off: usize, src: &[u8]) -> usize {
        let n = self.clamp(off, src.len());
        if n == 0 {
            return 0;
        }
        // SAFETY: `raw` is a live command owned by this handle (type invariant), so its
        // scatterlist is mapped for us; `cursor` is only ever set by these helpers for this
        // command's scatterlist; `src` is valid for reads of `n <= src.len()` bytes.
        unsafe {
            b::lio_scsi_copy_from_buffer(
                self.raw.as_ptr(),
                &mut self.cursor,
                src.as_ptr().cast::<c_void>(),
                n,
                off,
            )
        }
    }

    /// Copies from the data buffer at byte `off` into `dst`: the data the initiator
    /// wrote. Returns how many bytes were copied.
    pub fn copy_to_buffer(&mut self, off: usize, dst: &mut [u8]) -> usize {
        let n = self.clamp(off, dst.len());
        if n == 0 {
            return 0;
        }
        // SAFETY: as in `copy_from_buffer`; `dst` is valid for writes of `n` bytes.
        unsafe {
            b::lio_scsi_copy_to_buffer(
                self.raw.as_ptr(),
                &mut self.cursor,
                dst.as_mut_ptr().cast::<c_void>(),
                n,
                off,
            )
        }
    }

    /// How many of `want` bytes at `off` lie inside the data buffer.
    fn clamp(&self, off: usize, want: usize) -> usize {
        let len = self.transfer_len() as usize;
        want.min(len.saturating_sub(off))
    }

    /// Completes the command with `DID_OK`, SCSI status `status` (see [`status`]), the
    /// sense data `sense` (cut to [`SCSI_SENSE_BUFFERSIZE`]; empty for none) and the
    /// residual `resid` (bytes of the buffer not transferred).
    pub fn complete(self, status: u8, sense: &[u8], resid: u32) {
        self.complete_with(HostByte::Ok, status, sense, resid)
    }

    /// Completes the command with the host byte `host` (an error of the path, not of the
    /// target), no status and no sense data.
    pub fn complete_host(self, host: HostByte) {
        self.complete_with(host, status::GOOD, &[], 0)
    }

    /// Completes the command with both a host byte and a SCSI status.
    pub fn complete_with(self, host: HostByte, status: u8, sense: &[u8], resid: u32) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `raw` is a live command owned by this handle (type invariant), which is
        // consumed here and never dropped, so the command is completed exactly once and not
        // touched afterwards; `sense` is valid for reads of `sense.len()` bytes.
        unsafe {
            b::lio_scsi_complete(
                this.raw.as_ptr(),
                host as u8,
                status,
                sense.as_ptr(),
                sense.len(),
                resid,
            )
        }
    }

    /// Gives the command back to the midlayer without completing it, for `queuecommand`
    /// to return `SCSI_MLQUEUE_HOST_BUSY`.
    fn into_busy(self) -> c_int {
        let _ = ManuallyDrop::new(self);
        b::SCSI_MLQUEUE_HOST_BUSY as c_int
    }
}

impl Drop for ScsiCmd {
    fn drop(&mut self) {
        // SAFETY: `raw` is a live command owned by this handle (type invariant), which is
        // being dropped: nothing can use it after this completion.
        unsafe {
            b::lio_scsi_complete(
                self.raw.as_ptr(),
                HostByte::Error as u8,
                status::GOOD,
                ptr::null(),
                0,
                0,
            )
        }
    }
}

impl ScsiCmd {
    /// Copies `len` bytes between `page` at `page_off` and the data buffer at `off`: into
    /// the buffer when `to_sg`, else into the page. Returns the bytes copied.
    ///
    /// The page is copied with `memcpy` through a temporary mapping, never through a Rust
    /// reference, so concurrent copies of the same page by other commands (a medium's
    /// memory, see `pagemem`) are raw accesses only.
    pub fn copy_page(
        &mut self,
        off: usize,
        page: &Page,
        page_off: usize,
        len: usize,
        to_sg: bool,
    ) -> usize {
        let n = self.clamp(off, len);
        if n == 0 {
            return 0;
        }
        // SAFETY: `raw` is a live command of this handle (type invariant), `cursor` only
        // ever points into its scatterlist, `page` is borrowed (so allocated), and the
        // helper copies nothing unless `page_off + n` lies inside the page.
        unsafe {
            b::lio_scsi_copy_page(
                self.raw.as_ptr(),
                &mut self.cursor,
                page.as_ptr(),
                page_off,
                n,
                off,
                to_sg,
            )
        }
    }
}

/// The blk-mq tag of a command.
///
/// # Safety
///
/// `cmd` must be a command the midlayer has handed to the LLD (a [`ScsiCmd`]'s, or one
/// given to an error handler) and not yet taken back.
unsafe fn tag_of(cmd: *mut b::scsi_cmnd) -> u32 {
    // SAFETY: by the safety requirements the command and its request are live; the helper
    // reads the request's tag.
    unsafe { b::lio_scsi_cmd_tag(cmd) }
}

/// The command an error handler is asked about: its address and tag, copied out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EhCmd {
    /// `cmd->device->channel`.
    pub channel: u32,
    /// `cmd->device->id`.
    pub id: u32,
    /// `cmd->device->lun`.
    pub lun: u64,
    /// The blk-mq tag of the command (as [`ScsiCmd::tag`] returned for it).
    pub tag: u32,
}

impl EhCmd {
    /// # Safety
    ///
    /// `cmd` must be the command the midlayer passed to an error handler, being handled.
    unsafe fn from_raw(cmd: *mut b::scsi_cmnd) -> Self {
        // SAFETY: the midlayer passes error handlers a live command with its device set.
        let sdev = unsafe { &*(*cmd).device };
        EhCmd {
            channel: sdev.channel,
            id: sdev.id,
            lun: sdev.lun,
            // SAFETY: the command is being handled (safety requirements).
            tag: unsafe { tag_of(cmd) },
        }
    }
}

/// What an error handler achieved (`enum scsi_disposition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EhResult {
    /// `SUCCESS`: done; every command it covers has been completed by the driver.
    Success,
    /// `FAILED`: the midlayer escalates to the next handler.
    Failed,
}

impl EhResult {
    fn to_c(self) -> c_int {
        match self {
            EhResult::Success => b::scsi_disposition_SUCCESS as c_int,
            EhResult::Failed => b::scsi_disposition_FAILED as c_int,
        }
    }
}

/// A SCSI low-level driver: what a [`ScsiHost`] calls.
///
/// Only `queuecommand` is required; the error handlers that are not implemented are left
/// NULL in the template (the midlayer then escalates past them), as tcm_loop leaves
/// `eh_target_reset_handler`.
///
/// Error handlers run in the midlayer's error-handler thread (process context, may
/// sleep). A handler that returns [`EhResult::Success`] tells the midlayer that the
/// commands it covers are no longer the driver's: the driver must have completed (or
/// dropped) their [`ScsiCmd`]s by then, as tcm_loop's ABORT TASK and LUN RESET TMRs do
/// before they report `TMR_FUNCTION_COMPLETE`.
#[vtable]
pub trait ScsiHostDriver: Send + Sync + 'static {
    /// A new command (`queuecommand`). Called in atomic context: allocate with
    /// `GFP_ATOMIC` and defer the work (tcm_loop hands it to a workqueue). `Err(cmd)`
    /// gives it back as "host busy" for the midlayer to retry later.
    fn queuecommand(&self, cmd: ScsiCmd) -> Result<(), ScsiCmd>;

    /// Aborts the command `cmd.tag` (`eh_abort_handler`; tcm_loop: TMR ABORT TASK).
    fn abort(&self, _cmd: &EhCmd) -> EhResult {
        EhResult::Failed
    }

    /// Resets the LUN `cmd.lun` of target `cmd.id` (`eh_device_reset_handler`; tcm_loop:
    /// TMR LUN RESET).
    fn device_reset(&self, _cmd: &EhCmd) -> EhResult {
        EhResult::Failed
    }

    /// Resets the target `cmd.id` (`eh_target_reset_handler`).
    fn target_reset(&self, _cmd: &EhCmd) -> EhResult {
        EhResult::Failed
    }
}

/// The parts of a `scsi_host_template` that are not the driver's callbacks. They are the
/// defaults of every host made from the template.
#[derive(Clone, Copy, Debug)]
pub struct TemplateParams {
    /// `sg_tablesize`: scatterlist entries per command.
    pub sg_tablesize: u16,
    /// `max_sectors`: 512-byte sectors per command.
    pub max_sectors: u32,
    /// `dma_boundary`: a segment may not cross a multiple of this mask + 1.
    pub dma_boundary: usize,
    /// `track_queue_depth`: let the midlayer adjust the queue depth on QUEUE FULL.
    pub track_queue_depth: bool,
}

impl TemplateParams {
    /// tcm_loop's values: 256 entries, 0xFFFF sectors, `PAGE_SIZE - 1`, tracking on.
    pub const TCM_LOOP: Self = TemplateParams {
        sg_tablesize: 256,
        max_sectors: 0xFFFF,
        dma_boundary: kernel::page::PAGE_SIZE - 1,
        track_queue_depth: true,
    };
}

/// The callbacks of a template, chosen by the generic [`ScsiHostTemplate::new`].
struct TemplateOps {
    queuecommand: unsafe extern "C" fn(*mut b::Scsi_Host, *mut b::scsi_cmnd) -> c_int,
    abort: Option<unsafe extern "C" fn(*mut b::scsi_cmnd) -> c_int>,
    device_reset: Option<unsafe extern "C" fn(*mut b::scsi_cmnd) -> c_int>,
    target_reset: Option<unsafe extern "C" fn(*mut b::scsi_cmnd) -> c_int>,
}

/// The C template, filled once and then only read by the midlayer.
struct RawTemplate(Opaque<b::scsi_host_template>);

// SAFETY: after construction the template is only read (by the midlayer); the pointers in
// it refer to `'static` data (the names, the owner module, functions).
unsafe impl Send for RawTemplate {}
// SAFETY: as for `Send`.
unsafe impl Sync for RawTemplate {}

impl RawTemplate {
    fn new(
        owner: &'static ThisModule,
        name: &'static CStr,
        proc_name: &'static CStr,
        params: &TemplateParams,
        ops: &TemplateOps,
    ) -> Self {
        let mut t = b::scsi_host_template {
            module: owner.as_ptr(),
            name: name.as_char_ptr(),
            proc_name: proc_name.as_char_ptr(),
            queuecommand: Some(ops.queuecommand),
            eh_abort_handler: ops.abort,
            eh_device_reset_handler: ops.device_reset,
            eh_target_reset_handler: ops.target_reset,
            change_queue_depth: Some(b::scsi_change_queue_depth),
            this_id: -1,
            sg_tablesize: params.sg_tablesize,
            max_sectors: params.max_sectors,
            dma_boundary: params.dma_boundary,
            ..Default::default()
        };
        t.set_track_queue_depth(params.track_queue_depth.into());
        RawTemplate(Opaque::new(t))
    }
}

/// The `scsi_host_template` of the driver type `T`: one per driver, kept by the module
/// (and by each of its hosts) for as long as hosts may use it.
///
/// Its owner module is pinned by the midlayer while a SCSI device of its hosts is open.
pub struct ScsiHostTemplate<T> {
    raw: RawTemplate,
    _driver: PhantomData<fn(T)>,
}

impl<T: ScsiHostDriver> ScsiHostTemplate<T> {
    /// A template owned by `owner` (the fabric module, which the midlayer pins while its
    /// SCSI devices are open), named `name` (`TCM_Loopback`), whose hosts show in
    /// `/proc/scsi/<proc_name>` (`tcm_loopback`), with `T`'s callbacks.
    pub fn new(
        owner: &'static ThisModule,
        name: &'static CStr,
        proc_name: &'static CStr,
        params: &TemplateParams,
    ) -> Result<Arc<Self>> {
        let ops = TemplateOps {
            queuecommand: queuecommand_trampoline::<T>,
            abort: if T::HAS_ABORT {
                Some(eh_abort_trampoline::<T>)
            } else {
                None
            },
            device_reset: if T::HAS_DEVICE_RESET {
                Some(eh_device_reset_trampoline::<T>)
            } else {
                None
            },
            target_reset: if T::HAS_TARGET_RESET {
                Some(eh_target_reset_trampoline::<T>)
            } else {
                None
            },
        };
        let raw = RawTemplate::new(owner, name, proc_name, params, &ops);
        Ok(Arc::new(
            ScsiHostTemplate {
                raw,
                _driver: PhantomData,
            },
            GFP_KERNEL,
        )?)
    }
}

/// The driver data pointer stored in a host's `hostdata` by [`RawHost::new`].
///
/// # Safety
///
/// `shost` must be a live host allocated by [`RawHost::new`].
unsafe fn host_data(shost: *mut b::Scsi_Host) -> *const c_void {
    // SAFETY: `RawHost::new` allocated `hostdata` with room for one pointer and stored the
    // driver data pointer there before adding the host.
    unsafe { (*shost).hostdata.as_ptr().cast::<*const c_void>().read() }
}

/// The driver data pointer of the host of a command handed to an error handler.
///
/// # Safety
///
/// `cmd` must be a command the midlayer passed to an error handler of a host allocated by
/// [`RawHost::new`].
unsafe fn cmd_host_data(cmd: *mut b::scsi_cmnd) -> *const c_void {
    // SAFETY: the command's device and its host are live while the handler runs; the host
    // comes from `RawHost::new` by the safety requirements.
    unsafe { host_data((*(*cmd).device).host) }
}

/// `queuecommand` of `ScsiHostTemplate<T>`.
///
/// # Safety
///
/// Called by the midlayer only: `shost` is a host made by `ScsiHost::<T>::new`, `cmd` a
/// new command for it.
unsafe extern "C" fn queuecommand_trampoline<T: ScsiHostDriver>(
    shost: *mut b::Scsi_Host,
    cmd: *mut b::scsi_cmnd,
) -> c_int {
    // SAFETY: the midlayer calls `queuecommand` of this template only for hosts made by
    // `ScsiHost::<T>::new` (the only user of `ScsiHostTemplate<T>`), whose `hostdata`
    // points to the `T` that the `ScsiHost` keeps alive until `scsi_remove_host` has
    // returned, after which no command is queued.
    let data = unsafe { &*host_data(shost).cast::<T>() };
    // SAFETY: the midlayer has just handed `cmd` to the LLD; this is its only handle.
    let Some(cmd) = (unsafe { ScsiCmd::from_raw(cmd) }) else {
        return b::SCSI_MLQUEUE_HOST_BUSY as c_int;
    };
    match data.queuecommand(cmd) {
        Ok(()) => 0,
        Err(cmd) => cmd.into_busy(),
    }
}

/// Runs the error handler `f` of `T` for `cmd`.
///
/// # Safety
///
/// `cmd` must be a command the midlayer passed to an error handler of a host made by
/// `ScsiHost::<T>::new`.
unsafe fn eh_call<T: ScsiHostDriver>(
    cmd: *mut b::scsi_cmnd,
    f: fn(&T, &EhCmd) -> EhResult,
) -> c_int {
    // SAFETY: as in `queuecommand_trampoline`: the host's `hostdata` points to its `T`,
    // alive until `scsi_remove_host` has returned; that waits for every command of the
    // host, including this one.
    let data = unsafe { &*cmd_host_data(cmd).cast::<T>() };
    // SAFETY: `cmd` is the command being handled (safety requirements).
    let eh = unsafe { EhCmd::from_raw(cmd) };
    f(data, &eh).to_c()
}

/// `eh_abort_handler` of `ScsiHostTemplate<T>`.
///
/// # Safety
///
/// Called by the midlayer only, with a command of a host made by `ScsiHost::<T>::new`.
unsafe extern "C" fn eh_abort_trampoline<T: ScsiHostDriver>(cmd: *mut b::scsi_cmnd) -> c_int {
    // SAFETY: the midlayer calls the handlers of this template only for its hosts.
    unsafe { eh_call::<T>(cmd, T::abort) }
}

/// `eh_device_reset_handler` of `ScsiHostTemplate<T>`.
///
/// # Safety
///
/// As for `eh_abort_trampoline`.
unsafe extern "C" fn eh_device_reset_trampoline<T: ScsiHostDriver>(
    cmd: *mut b::scsi_cmnd,
) -> c_int {
    // SAFETY: as in `eh_abort_trampoline`.
    unsafe { eh_call::<T>(cmd, T::device_reset) }
}

/// `eh_target_reset_handler` of `ScsiHostTemplate<T>`.
///
/// # Safety
///
/// As for `eh_abort_trampoline`.
unsafe extern "C" fn eh_target_reset_trampoline<T: ScsiHostDriver>(
    cmd: *mut b::scsi_cmnd,
) -> c_int {
    // SAFETY: as in `eh_abort_trampoline`.
    unsafe { eh_call::<T>(cmd, T::target_reset) }
}

/// The per-host settings tcm_loop makes between `scsi_host_alloc` and `scsi_add_host`.
#[derive(Clone, Copy, Debug)]
pub struct HostParams {
    /// `can_queue`: commands in flight per host (tcm_loop module parameter, 1024).
    pub can_queue: u32,
    /// `cmd_per_lun`: commands in flight per LUN (tcm_loop module parameter, 1024).
    pub cmd_per_lun: u32,
    /// `max_id`: target ids are below this (tcm_loop: 2).
    pub max_id: u32,
    /// `max_lun`: the highest LUN for scanning (tcm_loop: 0; LUNs are added explicitly).
    pub max_lun: u64,
    /// `max_channel` (tcm_loop: 0).
    pub max_channel: u32,
    /// `max_cmd_len` (tcm_loop: [`SCSI_MAX_VARLEN_CDB_SIZE`]).
    pub max_cmd_len: u16,
    /// `nr_hw_queues` (tcm_loop module parameter, 1).
    pub nr_hw_queues: u32,
    /// `scsi_host_set_prot`: the `SHOST_DIF_*`/`SHOST_DIX_*` mask (0: no protection).
    pub prot_capabilities: u32,
    /// `scsi_host_set_guard`: the `SHOST_DIX_GUARD_*` type.
    pub prot_guard_type: u8,
}

impl HostParams {
    /// tcm_loop's protection mask: DIF and DIX, types 1 to 3.
    pub const PROT_DIF_DIX_ALL: u32 = b::scsi_host_prot_capabilities_SHOST_DIF_TYPE1_PROTECTION
        | b::scsi_host_prot_capabilities_SHOST_DIF_TYPE2_PROTECTION
        | b::scsi_host_prot_capabilities_SHOST_DIF_TYPE3_PROTECTION
        | b::scsi_host_prot_capabilities_SHOST_DIX_TYPE1_PROTECTION
        | b::scsi_host_prot_capabilities_SHOST_DIX_TYPE2_PROTECTION
        | b::scsi_host_prot_capabilities_SHOST_DIX_TYPE3_PROTECTION;
    /// `SHOST_DIX_GUARD_CRC`, tcm_loop's guard type.
    pub const GUARD_CRC: u8 = b::scsi_host_guard_type_SHOST_DIX_GUARD_CRC as u8;
}

impl Default for HostParams {
    /// tcm_loop's values, without protection information.
    fn default() -> Self {
        HostParams {
            can_queue: 1024,
            cmd_per_lun: 1024,
            max_id: 2,
            max_lun: 0,
            max_channel: 0,
            max_cmd_len: SCSI_MAX_VARLEN_CDB_SIZE,
            nr_hw_queues: 1,
            prot_capabilities: 0,
            prot_guard_type: 0,
        }
    }
}

/// An added `Scsi_Host`, removed and put on drop.
///
/// # Invariants
///
/// `raw` is a host allocated by `scsi_host_alloc` and added by `scsi_add_host`, of which
/// this object holds the allocation reference.
struct RawHost {
    raw: NonNull<b::Scsi_Host>,
}

// SAFETY: the SCSI host functions used here take their own locks and may be called from
// any thread in process context; the fields read are set before the host is added.
unsafe impl Send for RawHost {}
// SAFETY: as for `Send`.
unsafe impl Sync for RawHost {}

impl RawHost {
    fn new(
        template: &RawTemplate,
        parent: &AdapterDevice,
        params: &HostParams,
        data: *const c_void,
    ) -> Result<Self> {
        let can_queue = i32::try_from(params.can_queue).map_err(|_| EINVAL)?;
        let cmd_per_lun = i16::try_from(params.cmd_per_lun).map_err(|_| EINVAL)?;
        let privsize = core::mem::size_of::<*const c_void>() as c_int;
        // SAFETY: the template is initialised and outlives the host: `ScsiHost` keeps an
        // `Arc` on it, and the owner module (whose unloading frees the last one) is pinned
        // while the midlayer can still reach the template through an open device.
        let sh = unsafe { b::scsi_host_alloc(template.0.get(), privsize) };
        let sh = NonNull::new(sh).ok_or(ENOMEM)?;
        // SAFETY: the host was just allocated and is not visible to anyone else yet;
        // `hostdata` has `privsize` bytes, room for one pointer.
        unsafe {
            let s = sh.as_ptr();
            (*s).hostdata
                .as_mut_ptr()
                .cast::<*const c_void>()
                .write(data);
            (*s).max_id = params.max_id;
            (*s).max_lun = params.max_lun;
            (*s).max_channel = params.max_channel;
            (*s).max_cmd_len = params.max_cmd_len;
            (*s).nr_hw_queues = params.nr_hw_queues;
            (*s).can_queue = can_queue;
            (*s).cmd_per_lun = cmd_per_lun;
            (*s).prot_capabilities = params.prot_capabilities;
            (*s).prot_guard_type = params.prot_guard_type;
        }
        let dev = parent.as_raw();
        // SAFETY: `sh` is an allocated, not yet added host; `dev` is a registered device
        // that `parent` keeps registered for at least as long as the host exists (the
        // `ScsiHost` owns both and drops the host first).
        let ret = unsafe { b::scsi_add_host_with_dma(sh.as_ptr(), dev, dev) };
        if let Err(e) = to_result(ret) {
            // SAFETY: drops the allocation reference of a host that was never added.
            unsafe { b::scsi_host_put(sh.as_ptr()) };
            return Err(e);
        }
        // INVARIANT: allocated and added; the reference is ours.
        Ok(RawHost { raw: sh })
    }

    fn host_no(&self) -> u32 {
        // SAFETY: `raw` is live (type invariant); `host_no` is set at allocation.
        unsafe { (*self.raw.as_ptr()).host_no }
    }

    fn scan(&self) {
        // SAFETY: `raw` is an added host (type invariant); process context.
        unsafe { b::scsi_scan_host(self.raw.as_ptr()) }
    }

    fn add_device(&self, channel: u32, id: u32, lun: u64) -> Result {
        // SAFETY: `raw` is an added host (type invariant); `scsi_add_device` drops the
        // device reference it took itself.
        to_result(unsafe { b::scsi_add_device(self.raw.as_ptr(), channel, id, lun) })
    }

    fn remove_device(&self, channel: u32, id: u32, lun: u64) -> Result {
        // SAFETY: `raw` is an added host (type invariant).
        let sd = unsafe { b::scsi_device_lookup(self.raw.as_ptr(), channel, id, lun) };
        if sd.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: `scsi_device_lookup` returned a device with a reference held for us.
        unsafe { b::scsi_remove_device(sd) };
        // SAFETY: drops the reference `scsi_device_lookup` took.
        unsafe { b::scsi_device_put(sd) };
        Ok(())
    }
}

impl Drop for RawHost {
    fn drop(&mut self) {
        // SAFETY: `raw` is an added host whose allocation reference we hold (type
        // invariant). `scsi_remove_host` removes its devices and waits for all their
        // commands; the put then drops our reference. Nothing uses `raw` afterwards.
        unsafe {
            b::scsi_remove_host(self.raw.as_ptr());
            b::scsi_host_put(self.raw.as_ptr());
        }
    }
}

/// A SCSI host of the driver `T`, registered below an [`AdapterDevice`]
/// (`.../tcm_loop_adapter_N/hostM`).
///
/// Dropping it removes the host (its SCSI devices first, waiting for their commands to be
/// completed), then unregisters the adapter, then releases the driver data.
pub struct ScsiHost<T: ScsiHostDriver> {
    // Drop order matters: the host goes before its parent device and before the data
    // and template its callbacks use.
    raw: RawHost,
    adapter: AdapterDevice,
    data: Arc<T>,
    _template: Arc<ScsiHostTemplate<T>>,
}

impl<T: ScsiHostDriver> ScsiHost<T> {
    /// Allocates a host from `template` with `params`, whose callbacks get `data`, and
    /// adds it below `adapter` (`scsi_host_alloc` + `scsi_add_host`), as tcm_loop's probe.
    /// No LUN is scanned: add them with [`ScsiHost::add_device`] (or [`ScsiHost::scan`]).
    pub fn new(
        template: &Arc<ScsiHostTemplate<T>>,
        adapter: AdapterDevice,
        params: &HostParams,
        data: Arc<T>,
    ) -> Result<Self> {
        let ptr = ptr::from_ref::<T>(&data).cast::<c_void>();
        let raw = RawHost::new(&template.raw, &adapter, params, ptr)?;
        Ok(ScsiHost {
            raw,
            adapter,
            data,
            _template: template.clone(),
        })
    }

    /// The host number (`hostM`, the H of H:C:T:L).
    pub fn host_no(&self) -> u32 {
        self.raw.host_no()
    }

    /// The driver data.
    pub fn data(&self) -> &Arc<T> {
        &self.data
    }

    /// The adapter device the host sits below.
    pub fn adapter(&self) -> &AdapterDevice {
        &self.adapter
    }

    /// Scans all channels, targets and LUNs up to the limits (`scsi_scan_host`).
    pub fn scan(&self) {
        self.raw.scan()
    }

    /// Adds the SCSI device `channel:id:lun` (`scsi_add_device`, as tcm_loop's port link):
    /// the midlayer probes it (INQUIRY etc. through `queuecommand`) and attaches upper
    /// drivers (sd, sg). Process context; sleeps.
    pub fn add_device(&self, channel: u32, id: u32, lun: u64) -> Result {
        self.raw.add_device(channel, id, lun)
    }

    /// Removes the SCSI device `channel:id:lun` (`scsi_device_lookup` +
    /// `scsi_remove_device`, as tcm_loop's port unlink); `ENODEV` if there is none, and
    /// also while the template's owner module is unloading (the lookup takes a module
    /// reference): dropping the host removes every device anyway. Process context; sleeps.
    pub fn remove_device(&self, channel: u32, id: u32, lun: u64) -> Result {
        self.raw.remove_device(channel, id, lun)
    }
}

/// A root device, `/sys/devices/<name>` (`root_device_register`), such as tcm_loop's
/// `tcm_loop_0`: the parent of [`AdapterDevice`]s, which keep it registered.
///
/// # Invariants
///
/// `raw` is a device returned by `__root_device_register`, unregistered only on drop.
pub struct RootDevice {
    raw: NonNull<kb::device>,
}

// SAFETY: the device is only registered and unregistered, which the driver core
// serialises itself; it is never accessed otherwise.
unsafe impl Send for RootDevice {}
// SAFETY: as for `Send`.
unsafe impl Sync for RootDevice {}

impl RootDevice {
    /// Registers the root device `name`, whose sysfs directory links to the module
    /// `owner` (the fabric module).
    pub fn new(name: &CStr, owner: &'static ThisModule) -> Result<Arc<Self>> {
        // SAFETY: `name` is NUL-terminated and copied by the driver core; `owner` is a
        // module that outlives the device (it is unregistered before the module goes).
        let dev = unsafe { kb::__root_device_register(name.as_char_ptr(), owner.as_ptr()) };
        let dev = from_err_ptr(dev)?;
        let raw = NonNull::new(dev).ok_or(ENOMEM)?;
        let root = Arc::new(RootDevice { raw }, GFP_KERNEL);
        if root.is_err() {
            // SAFETY: registered just above and not handed out.
            unsafe { kb::root_device_unregister(raw.as_ptr()) };
        }
        Ok(root?)
    }
}

impl Drop for RootDevice {
    fn drop(&mut self) {
        // SAFETY: registered by `new` (type invariant); no adapter is left below it, since
        // each holds an `Arc` on this object.
        unsafe { kb::root_device_unregister(self.raw.as_ptr()) }
    }
}

/// An adapter device below a [`RootDevice`], such as tcm_loop's `tcm_loop_adapter_N`: the
/// parent of a [`ScsiHost`]. Unregistered on drop; the memory goes with the last reference.
///
/// # Invariants
///
/// `raw` is a device registered by `lio_scsi_adapter_register`, unregistered only on drop.
pub struct AdapterDevice {
    raw: NonNull<kb::device>,
    _root: Arc<RootDevice>,
}

// SAFETY: as for `RootDevice`.
unsafe impl Send for AdapterDevice {}
// SAFETY: as for `RootDevice`.
unsafe impl Sync for AdapterDevice {}

impl AdapterDevice {
    /// Registers the device `name` (e.g. `tcm_loop_adapter_0`) below `root`.
    pub fn new(root: &Arc<RootDevice>, name: &CStr) -> Result<Self> {
        // SAFETY: `root.raw` is registered (its invariant) and stays so while this device
        // exists, which holds an `Arc` on it; `name` is NUL-terminated and copied.
        let dev = unsafe { b::lio_scsi_adapter_register(root.raw.as_ptr(), name.as_char_ptr()) };
        let dev = from_err_ptr(dev)?;
        // INVARIANT: registered by the helper.
        Ok(AdapterDevice {
            raw: NonNull::new(dev).ok_or(ENOMEM)?,
            _root: root.clone(),
        })
    }

    fn as_raw(&self) -> *mut kb::device {
        self.raw.as_ptr()
    }
}

impl Drop for AdapterDevice {
    fn drop(&mut self) {
        // SAFETY: registered by `new` (type invariant) and unregistered only here; the
        // helper's release function frees it when the last reference is dropped.
        unsafe { kb::device_unregister(self.raw.as_ptr()) }
    }
}
