// SPDX-License-Identifier: GPL-2.0
/*
 * The C helpers of rust/lio for lio_scsi_selftest.ko: a second copy of the objects that
 * target_core_mod links, since a Kbuild object may belong to one module only.
 */
#include "../../../rust/lio_helpers.c"
#include "../../../rust/lio_scsi_helpers.c"
