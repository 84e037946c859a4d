/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for the lio-rs SCSI low-level-driver abstraction (rust/lio/scsi_host.rs):
 * the static inlines of include/scsi/ that Rust cannot call, and the adapter device
 * whose release function must be C-allocated memory's kfree.
 */
#ifndef _LIO_SCSI_HELPERS_H
#define _LIO_SCSI_HELPERS_H

#include <linux/types.h>

struct device;
struct scsi_cmnd;

/*
 * Allocates and registers a bare struct device named @name below @parent, freed by its
 * release function when the last reference goes. Returns the device or an ERR_PTR.
 */
struct device *lio_scsi_adapter_register(struct device *parent, const char *name);

/* scsi_cmd_to_rq(cmd)->tag: the blk-mq tag of the command. */
u32 lio_scsi_cmd_tag(struct scsi_cmnd *cmd);

/* scsi_bufflen(cmd). */
u32 lio_scsi_cmd_bufflen(struct scsi_cmnd *cmd);

/*
 * sg_pcopy_from_buffer() into the command's data scatterlist: copies @len bytes of @buf
 * to the data buffer at byte offset @skip. Returns the number of bytes copied.
 */
size_t lio_scsi_copy_from_buffer(struct scsi_cmnd *cmd, const void *buf, size_t len,
				 size_t skip);

/*
 * sg_pcopy_to_buffer() from the command's data scatterlist: copies up to @len bytes at
 * byte offset @skip of the data buffer to @buf. Returns the number of bytes copied.
 */
size_t lio_scsi_copy_to_buffer(struct scsi_cmnd *cmd, void *buf, size_t len, size_t skip);

/*
 * Completes @cmd: result = host byte @host and SCSI status @status, the sense buffer is
 * zeroed and then holds the first min(@sense_len, SCSI_SENSE_BUFFERSIZE) bytes of @sense,
 * the residual is @resid; then scsi_done(). @cmd must not be touched afterwards.
 */
void lio_scsi_complete(struct scsi_cmnd *cmd, u8 host, u8 status, const u8 *sense,
		       size_t sense_len, u32 resid);

#endif /* _LIO_SCSI_HELPERS_H */
