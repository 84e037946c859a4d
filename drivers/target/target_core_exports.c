// SPDX-License-Identifier: GPL-2.0
/*
 * Exports every global symbol of the target_core crate (drivers/target/target_core.rs)
 * to the fabric modules, GPL-only, as rust/exports.c does for the kernel crate. The list
 * is generated from the crate's object by Kbuild.
 */
#include <linux/export.h>

#define EXPORT_SYMBOL_RUST_GPL(sym) extern int sym; EXPORT_SYMBOL_GPL(sym)

#include "target_core_exports_generated.h"
