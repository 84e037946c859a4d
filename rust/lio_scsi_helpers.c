// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the lio-rs SCSI low-level-driver abstraction (see lio_scsi_helpers.h).
 *
 * Nothing here is exported: the Rust code that calls these helpers is non-generic, so it
 * is compiled into the module that links this file.
 */
#include <linux/blk-mq.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>

#include "lio_scsi_helpers.h"

static void lio_scsi_adapter_release(struct device *dev)
{
	kfree(dev);
}

struct device *lio_scsi_adapter_register(struct device *parent, const char *name)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->parent = parent;
	dev->release = lio_scsi_adapter_release;
	ret = dev_set_name(dev, "%s", name);
	if (ret) {
		kfree(dev);
		return ERR_PTR(ret);
	}
	ret = device_register(dev);
	if (ret) {
		/* Frees the name and, through the release function, @dev. */
		put_device(dev);
		return ERR_PTR(ret);
	}
	return dev;
}

u32 lio_scsi_cmd_tag(struct scsi_cmnd *cmd)
{
	return scsi_cmd_to_rq(cmd)->tag;
}

u32 lio_scsi_cmd_bufflen(struct scsi_cmnd *cmd)
{
	return scsi_bufflen(cmd);
}

/*
 * Copies between @buf and the data scatterlist of @cmd at byte offset @off, from @cur
 * when the copy starts where the previous one ended, else from the list's start.
 */
static size_t lio_scsi_sg_copy(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur, void *buf,
			       size_t len, size_t off, bool to_sg)
{
	struct scatterlist *sg;
	size_t sg_off, done = 0;

	if (cur->sg && off == cur->pos) {
		sg = cur->sg;
		sg_off = cur->sg_off;
	} else {
		sg = scsi_sg_count(cmd) ? scsi_sglist(cmd) : NULL;
		sg_off = off;
		while (sg && sg_off >= sg->length) {
			sg_off -= sg->length;
			sg = sg_next(sg);
		}
	}
	while (sg && done < len) {
		size_t at = sg->offset + sg_off;
		struct page *page = nth_page(sg_page(sg), at >> PAGE_SHIFT);
		size_t in_page = offset_in_page(at);
		size_t n = min3(len - done, (size_t)sg->length - sg_off, PAGE_SIZE - in_page);
		void *p = kmap_local_page(page);

		if (to_sg) {
			memcpy(p + in_page, buf + done, n);
			flush_dcache_page(page);
		} else {
			memcpy(buf + done, p + in_page, n);
		}
		kunmap_local(p);
		done += n;
		sg_off += n;
		if (sg_off == sg->length) {
			sg = sg_next(sg);
			sg_off = 0;
		}
	}
	cur->sg = sg;
	cur->sg_off = sg_off;
	cur->pos = off + done;
	return done;
}

size_t lio_scsi_copy_from_buffer(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur,
				 const void *buf, size_t len, size_t off)
{
	return lio_scsi_sg_copy(cmd, cur, (void *)buf, len, off, true);
}

size_t lio_scsi_copy_to_buffer(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur, void *buf,
			       size_t len, size_t off)
{
	return lio_scsi_sg_copy(cmd, cur, buf, len, off, false);
}

size_t lio_scsi_copy_page(struct scsi_cmnd *cmd, struct lio_sg_cursor *cur,
			  struct page *page, size_t page_off, size_t len, size_t off,
			  bool to_sg)
{
	size_t n;
	void *p;

	if (page_off > PAGE_SIZE || len > PAGE_SIZE - page_off)
		return 0;
	p = kmap_local_page(page);
	n = lio_scsi_sg_copy(cmd, cur, p + page_off, len, off, to_sg);
	kunmap_local(p);
	return n;
}

void lio_scsi_complete(struct scsi_cmnd *cmd, u8 host, u8 status, const u8 *sense,
		       size_t sense_len, u32 resid)
{
	cmd->result = 0;
	set_host_byte(cmd, host);
	set_status_byte(cmd, status);
	if (cmd->sense_buffer) {
		memset(cmd->sense_buffer, 0, SCSI_SENSE_BUFFERSIZE);
		if (sense_len)
			memcpy(cmd->sense_buffer, sense,
			       min_t(size_t, sense_len, SCSI_SENSE_BUFFERSIZE));
	}
	scsi_set_resid(cmd, resid);
	scsi_done(cmd);
}
