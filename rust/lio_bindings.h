/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C API lio-rs binds privately, on top of what 6.12's kernel::bindings has.
 * bindgen runs on this file; only declarations from the headers allowlisted in
 * Kbuild are emitted, every other type resolves to kernel::bindings.
 */
/* Full definitions first, so the forward declarations of lio_helpers.h emit no types. */
#include <linux/blkdev.h>
#include <linux/configfs.h>
#include <linux/fs.h>
#include "lio_helpers.h"
