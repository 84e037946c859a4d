// SPDX-License-Identifier: GPL-2.0

//! Backends (LIO's `struct target_backend_ops`, `target_core_hba.c`'s registry): the
//! storage a device keeps its blocks in. `rd_mcp` is part of the core, as in LIO.

/// What the core needs to know of a backend.
pub(crate) struct BackendOps {
    /// The plugin name: the part of an HBA directory name before its index.
    pub(crate) name: &'static str,
    /// Default INQUIRY product identification of its devices (`inquiry_prod`).
    pub(crate) inquiry_prod: &'static str,
    /// Default INQUIRY product revision level (`inquiry_rev`).
    pub(crate) inquiry_rev: &'static str,
    /// `pmode_enable_hba`: whether the backend supports `hba_mode` (pass-through mode).
    pub(crate) has_hba_mode: bool,
}

/// `rd_mcp`, the memory-copy ramdisk of `target_core_rd.c`.
pub(crate) static RD_MCP: BackendOps = BackendOps {
    name: "rd_mcp",
    inquiry_prod: "RAMDISK-MCP",
    inquiry_rev: "4.0",
    has_hba_mode: false,
};

/// The modules `transport_subsystem_check_init()` loads before the first HBA is made,
/// so that their backends have registered.
pub(crate) const BACKEND_MODULES: [&kernel::str::CStr; 4] = [
    kernel::c_str!("target_core_iblock"),
    kernel::c_str!("target_core_file"),
    kernel::c_str!("target_core_pscsi"),
    kernel::c_str!("target_core_user"),
];

/// `core_get_backend()`: the backend called `name`, if registered.
pub(crate) fn core_get_backend(name: &[u8]) -> Option<&'static BackendOps> {
    [&RD_MCP].into_iter().find(|b| b.name.as_bytes() == name)
}
