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
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include "lio_helpers.h"
#include "lio_scsi_helpers.h"
#include "lio_net_helpers.h"
