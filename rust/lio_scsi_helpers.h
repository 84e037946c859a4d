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
struct page;
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
 * Where the last copy into or out of a command's data scatterlist ended: the entry (a
 * struct scatterlist *, NULL before the first copy), the offset in it, and the byte
 * offset in the data buffer. A copy that starts where the last one ended continues from
 * here instead of walking the scatterlist from its start again, so a backend that moves
 * a large transfer piece by piece does it in one pass.
 */
struct lio_sg_cursor {
	void *sg;
	size_t sg_off;
	size_t pos;
};

/*
 * Copies @len bytes of @buf into the command's data buffer at byte offset @off. Returns
 * the number of bytes copied (fewer at the end of the buffer).
 */
size_t lio_scsi_copy_from_buffer(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur,
				 const void *buf, size_t len, size_t off);

/*
 * Copies up to @len bytes at byte offset @off of the command's data buffer to @buf.
 * Returns the number of bytes copied.
 */
size_t lio_scsi_copy_to_buffer(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur, void *buf,
			       size_t len, size_t off);

/*
 * Copies @len bytes between @page at @page_off and the command's data buffer at byte
 * offset @off: into the buffer when @to_sg, out of it into the page otherwise. The range
 * must lie inside the page (else nothing is copied). Returns the number of bytes copied.
 */
size_t lio_scsi_copy_page(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur,
			  struct page *page, size_t page_off, size_t len, size_t off,
			  bool to_sg);

/*
 * Completes @cmd: result = host byte @host and SCSI status @status, the sense buffer is
 * zeroed and then holds the first min(@sense_len, SCSI_SENSE_BUFFERSIZE) bytes of @sense,
 * the residual is @resid; then scsi_done(). @cmd must not be touched afterwards.
 */
void lio_scsi_complete(struct scsi_cmnd *cmd, u8 host, u8 status, const u8 *sense,
		       size_t sense_len, u32 resid);

#endif /* _LIO_SCSI_HELPERS_H */
