// SPDX-License-Identifier: GPL-2.0
/*
 * The C helpers of rust/lio for lio_file_selftest.ko (fileio branch only): a second copy
 * of the object target_core_mod links, since a Kbuild object may belong to one module only.
 * The copy exports nothing: two modules exporting one symbol make depmod pick either as
 * the provider, and modprobe of a module that needs target_core_mod's helpers (tcm_loop)
 * would then load this one first and fail on the duplicates.
 */
#include <linux/export.h>
#undef EXPORT_SYMBOL_GPL
#define EXPORT_SYMBOL_GPL(sym)
#include "../../../rust/lio_helpers.c"
