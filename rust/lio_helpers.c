// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the lio-rs Rust support layer (see lio_helpers.h). They are exported:
 * generic Rust code of target_core is instantiated in the fabric modules and calls them.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/configfs.h>
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/uio.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/utsname.h>
#include <generated/utsrelease.h>

#include "lio_helpers.h"

void lio_configfs_add_default_group(struct config_group *child, struct config_group *parent)
{
	configfs_add_default_group(child, parent);
}
EXPORT_SYMBOL_GPL(lio_configfs_add_default_group);

/* One lockdep class for every subsystem mutex lio-rs registers, as C gets per call site. */
void lio_configfs_subsystem_mutex_init(struct configfs_subsystem *subsys)
{
	mutex_init(&subsys->su_mutex);
}
EXPORT_SYMBOL_GPL(lio_configfs_subsystem_mutex_init);

void lio_configfs_subsystem_mutex_destroy(struct configfs_subsystem *subsys)
{
	mutex_destroy(&subsys->su_mutex);
}
EXPORT_SYMBOL_GPL(lio_configfs_subsystem_mutex_destroy);

const char *lio_uts_sysname(void)
{
	return utsname()->sysname;
}
EXPORT_SYMBOL_GPL(lio_uts_sysname);

const char *lio_uts_machine(void)
{
	return utsname()->machine;
}
EXPORT_SYMBOL_GPL(lio_uts_machine);

const char *lio_uts_release(void)
{
	return UTS_RELEASE;
}
EXPORT_SYMBOL_GPL(lio_uts_release);

int lio_request_module(const char *name)
{
	return request_module("%s", name);
}
EXPORT_SYMBOL_GPL(lio_request_module);

int lio_path_is_dir(const char *path)
{
	struct path p;
	int ret;

	ret = kern_path(path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (ret)
		return ret;
	path_put(&p);
	return 0;
}
EXPORT_SYMBOL_GPL(lio_path_is_dir);

static DEFINE_MUTEX(lio_global_mutex);

void lio_global_lock(void)
{
	mutex_lock(&lio_global_mutex);
}
EXPORT_SYMBOL_GPL(lio_global_lock);

void lio_global_unlock(void)
{
	mutex_unlock(&lio_global_mutex);
}
EXPORT_SYMBOL_GPL(lio_global_unlock);

bool lio_cpu_online(int cpu)
{
	return cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu);
}
EXPORT_SYMBOL_GPL(lio_cpu_online);

bool lio_try_module_get(struct module *module)
{
	return try_module_get(module);
}
EXPORT_SYMBOL_GPL(lio_try_module_get);

void lio_module_put(struct module *module)
{
	module_put(module);
}
EXPORT_SYMBOL_GPL(lio_module_put);

u64 lio_get_jiffies_64(void)
{
	return get_jiffies_64();
}
EXPORT_SYMBOL_GPL(lio_get_jiffies_64);

u32 lio_jiffies_to_mib_time(u64 j)
{
	return (u32)(((u32)j - INITIAL_JIFFIES) * 100 / HZ);
}
EXPORT_SYMBOL_GPL(lio_jiffies_to_mib_time);

void lio_msleep_interruptible(unsigned int msecs)
{
	msleep_interruptible(msecs);
}
EXPORT_SYMBOL_GPL(lio_msleep_interruptible);

int lio_write_file(const char *path, const void *buf, size_t len)
{
	struct file *file = filp_open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	loff_t pos = 0;
	ssize_t ret;

	if (IS_ERR(file))
		return -ENODEV;
	ret = kernel_write(file, buf, len, &pos);
	fput(file);
	return ret < 0 ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(lio_write_file);
bool lio_file_is_blkdev(struct file *file)
{
	return S_ISBLK(file->f_mapping->host->i_mode);
}
EXPORT_SYMBOL_GPL(lio_file_is_blkdev);

long long lio_file_size(struct file *file)
{
	return i_size_read(file->f_mapping->host);
}
EXPORT_SYMBOL_GPL(lio_file_size);

struct block_device *lio_file_bdev(struct file *file)
{
	struct inode *inode = file->f_mapping->host;

	return S_ISBLK(inode->i_mode) ? I_BDEV(inode) : NULL;
}
EXPORT_SYMBOL_GPL(lio_file_bdev);

bool lio_file_can_direct_io(struct file *file)
{
	return file->f_mode & FMODE_CAN_ODIRECT;
}
EXPORT_SYMBOL_GPL(lio_file_can_direct_io);

int lio_file_punch_hole(struct file *file, long long pos, long long len)
{
	return vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pos, len);
}
EXPORT_SYMBOL_GPL(lio_file_punch_hole);

long lio_file_rw_buf(struct file *file, void *buf, unsigned int len, long long pos, bool write,
		     unsigned int flags)
{
	struct bio_vec bv;
	struct iov_iter iter;
	struct kiocb kiocb;

	if ((flags & LIO_FILE_IO_DIRECT) && !(file->f_mode & FMODE_CAN_ODIRECT))
		return -EINVAL;
	bvec_set_virt(&bv, buf, len);
	iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, &bv, 1, len);
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = pos;
	if (flags & LIO_FILE_IO_DIRECT)
		kiocb.ki_flags |= IOCB_DIRECT;
	if (flags & LIO_FILE_IO_DSYNC)
		kiocb.ki_flags |= IOCB_DSYNC;
	if (write)
		return vfs_iocb_iter_write(file, &kiocb, &iter);
	return vfs_iocb_iter_read(file, &kiocb, &iter);
}
EXPORT_SYMBOL_GPL(lio_file_rw_buf);

void *lio_io_buf_alloc(unsigned int order)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;

	/* Larger blocks are an optimisation: give up quickly, the caller tries smaller. */
	if (order)
		gfp |= __GFP_NORETRY;
	return (void *)__get_free_pages(gfp, order);
}
EXPORT_SYMBOL_GPL(lio_io_buf_alloc);

void lio_io_buf_free(void *buf, unsigned int order)
{
	free_pages((unsigned long)buf, order);
}
EXPORT_SYMBOL_GPL(lio_io_buf_free);

unsigned int lio_bdev_logical_block_size(struct block_device *bdev)
{
	return bdev_logical_block_size(bdev);
}
EXPORT_SYMBOL_GPL(lio_bdev_logical_block_size);

unsigned long long lio_bdev_nr_bytes(struct block_device *bdev)
{
	return bdev_nr_bytes(bdev);
}
EXPORT_SYMBOL_GPL(lio_bdev_nr_bytes);

unsigned int lio_bdev_max_discard_sectors(struct block_device *bdev)
{
	return bdev_max_discard_sectors(bdev);
}
EXPORT_SYMBOL_GPL(lio_bdev_max_discard_sectors);

unsigned int lio_bdev_discard_granularity(struct block_device *bdev)
{
	return bdev_discard_granularity(bdev);
}
EXPORT_SYMBOL_GPL(lio_bdev_discard_granularity);

bool lio_bdev_nonrot(struct block_device *bdev)
{
	return bdev_nonrot(bdev);
}
EXPORT_SYMBOL_GPL(lio_bdev_nonrot);

struct file *lio_bdev_file_open(const char *path, bool write, void *holder)
{
	blk_mode_t mode = BLK_OPEN_READ;

	if (write)
		mode |= BLK_OPEN_WRITE;
	return bdev_file_open_by_path(path, mode, holder, NULL);
}
EXPORT_SYMBOL_GPL(lio_bdev_file_open);

void lio_bdev_file_close(struct file *bdev_file)
{
	fput(bdev_file);
}
EXPORT_SYMBOL_GPL(lio_bdev_file_close);

void lio_bdev_file_facts(struct file *bdev_file, struct lio_bdev_facts *f)
{
	struct block_device *bd = file_bdev(bdev_file);
	struct request_queue *q = bdev_get_queue(bd);

	f->logical_block_size = bdev_logical_block_size(bd);
	f->physical_block_size = bdev_physical_block_size(bd);
	f->nr_bytes = bdev_nr_bytes(bd);
	f->max_hw_sectors = queue_max_hw_sectors(q);
	f->nr_requests = min_t(unsigned long, q->nr_requests, UINT_MAX);
	f->max_discard_sectors = bdev_max_discard_sectors(bd);
	f->discard_granularity = bdev_discard_granularity(bd);
	f->discard_alignment = bdev_discard_alignment(bd);
	f->max_write_zeroes_sectors = bdev_write_zeroes_sectors(bd);
	f->io_min = bdev_io_min(bd);
	f->io_opt = bdev_io_opt(bd);
	f->alignment_offset = bdev_alignment_offset(bd);
	f->major = MAJOR(bd->bd_dev);
	f->minor = MINOR(bd->bd_dev);
	f->nonrot = bdev_nonrot(bd);
	f->write_cache = bdev_write_cache(bd);
	f->fua = bdev_fua(bd);
}
EXPORT_SYMBOL_GPL(lio_bdev_file_facts);

int lio_bdev_file_name(struct file *bdev_file, char *buf, unsigned int len)
{
	return snprintf(buf, len, "%pg", file_bdev(bdev_file));
}
EXPORT_SYMBOL_GPL(lio_bdev_file_name);

int lio_bdev_file_rw_buf(struct file *bdev_file, void *buf, unsigned int len,
			 unsigned long long sector, bool write, bool fua)
{
	struct block_device *bd = file_bdev(bdev_file);
	unsigned int nr_pages = DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE);
	blk_opf_t opf = REQ_OP_READ;
	struct bio *bio;
	int ret;

	if (!len || nr_pages > BIO_MAX_VECS)
		return -EINVAL;
	if (write) {
		/* iblock_execute_rw(): WRITE_ODIRECT, so that WBT does not throttle us. */
		opf = REQ_OP_WRITE | REQ_SYNC | REQ_IDLE;
		if (fua)
			opf |= REQ_FUA;
	}
	/* From fs_bio_set's mempool: with GFP_NOIO this sleeps rather than fails. */
	bio = bio_alloc(bd, nr_pages, opf, GFP_NOIO);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = sector;
	while (len) {
		unsigned int off = offset_in_page(buf);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);

		if (bio_add_page(bio, virt_to_page(buf), n, off) != n) {
			bio_put(bio);
			return -EIO;
		}
		buf += n;
		len -= n;
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}
EXPORT_SYMBOL_GPL(lio_bdev_file_rw_buf);

int lio_bdev_file_flush(struct file *bdev_file)
{
	return blkdev_issue_flush(file_bdev(bdev_file));
}
EXPORT_SYMBOL_GPL(lio_bdev_file_flush);

int lio_bdev_file_discard(struct file *bdev_file, unsigned long long sector,
			  unsigned long long nr_sects)
{
	return blkdev_issue_discard(file_bdev(bdev_file), sector, nr_sects, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(lio_bdev_file_discard);

int lio_bdev_file_zeroout(struct file *bdev_file, unsigned long long sector,
			  unsigned long long nr_sects)
{
	return blkdev_issue_zeroout(file_bdev(bdev_file), sector, nr_sects, GFP_KERNEL,
				    BLKDEV_ZERO_NOUNMAP);
}
EXPORT_SYMBOL_GPL(lio_bdev_file_zeroout);
