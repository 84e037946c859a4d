/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for the lio-rs Rust support layer: static inline functions and macros of
 * the kernel that Rust cannot call directly, and the few facts only C can reach.
 */
#ifndef _LIO_HELPERS_H
#define _LIO_HELPERS_H

#include <linux/types.h>

struct block_device;
struct config_group;
struct configfs_subsystem;
struct file;

void lio_configfs_add_default_group(struct config_group *child, struct config_group *parent);
void lio_configfs_subsystem_mutex_init(struct configfs_subsystem *subsys);
void lio_configfs_subsystem_mutex_destroy(struct configfs_subsystem *subsys);

const char *lio_uts_sysname(void);
const char *lio_uts_machine(void);
const char *lio_uts_release(void);

/* request_module("%s", @name): 0 once the module is loaded, else nonzero. */
int lio_request_module(const char *name);

/* 0 if @path names an existing directory, else a negative errno. */
int lio_path_is_dir(const char *path);

/* The mutex of rust/lio/global.rs: guards every module-wide `Global` slot. */
void lio_global_lock(void);
void lio_global_unlock(void);

/* Whether @cpu is a valid CPU number and online. */
bool lio_cpu_online(int cpu);

struct module;
/* try_module_get() / module_put(), which are static inlines without CONFIG_MODULE_UNLOAD. */
bool lio_try_module_get(struct module *module);
void lio_module_put(struct module *module);

/* get_jiffies_64(). */
u64 lio_get_jiffies_64(void);

/* A jiffies value in hundredths of a second since boot, as the SNMP-MIB style
 * statistics of target_core_stat.c print it: (u32)(((u32)j - INITIAL_JIFFIES) * 100 / HZ). */
u32 lio_jiffies_to_mib_time(u64 j);

/* msleep_interruptible(@msecs). */
void lio_msleep_interruptible(unsigned int msecs);

/* Creates or truncates @path (mode 0600) and writes @len bytes of @buf to it:
 * 0, -ENODEV if it cannot be opened, -EIO if the write failed. */
int lio_write_file(const char *path, const void *buf, size_t len);

/* --- Files and block devices (rust/lio/file.rs) --------------------------------------- */

/* Flags of lio_file_rw_buf(): IOCB_DIRECT and IOCB_DSYNC on the one call. */
#define LIO_FILE_IO_DIRECT 0x1
#define LIO_FILE_IO_DSYNC 0x2

/* S_ISBLK() of file->f_mapping->host (what fileio tests). */
bool lio_file_is_blkdev(struct file *file);
/* i_size_read(file->f_mapping->host): a block device's size in bytes for a bdev file. */
long long lio_file_size(struct file *file);
/* I_BDEV(file->f_mapping->host), or NULL if @file is not a block device. */
struct block_device *lio_file_bdev(struct file *file);
/* Whether the file's address space does direct I/O (FMODE_CAN_ODIRECT). */
bool lio_file_can_direct_io(struct file *file);
/* vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). */
int lio_file_punch_hole(struct file *file, long long pos, long long len);
/*
 * One synchronous read (@write false) or write of @len bytes at @pos between @file and the
 * directly mapped kernel memory at @buf (one bio_vec over it, an ITER_BVEC iov_iter, a sync
 * kiocb with the file's flags plus LIO_FILE_IO_* ones): bytes moved or a negative errno.
 * -EINVAL for LIO_FILE_IO_DIRECT when the file cannot do direct I/O.
 */
long lio_file_rw_buf(struct file *file, void *buf, unsigned int len, long long pos, bool write,
		     unsigned int flags);

/* Zeroed, physically contiguous, directly mapped memory of 2^@order pages, or NULL. */
void *lio_io_buf_alloc(unsigned int order);
void lio_io_buf_free(void *buf, unsigned int order);

unsigned int lio_bdev_logical_block_size(struct block_device *bdev);
unsigned long long lio_bdev_nr_bytes(struct block_device *bdev);
unsigned int lio_bdev_max_discard_sectors(struct block_device *bdev);
unsigned int lio_bdev_discard_granularity(struct block_device *bdev);
bool lio_bdev_nonrot(struct block_device *bdev);

/* --- Claimed block devices and synchronous bios (rust/lio/bio.rs, iblock) -------------- */

/* What iblock_configure_device() and the iblock get_* callbacks read of a block device. */
struct lio_bdev_facts {
	unsigned int logical_block_size;	/* bdev_logical_block_size() */
	unsigned int physical_block_size;	/* bdev_physical_block_size() */
	unsigned long long nr_bytes;		/* bdev_nr_bytes() */
	unsigned int max_hw_sectors;		/* queue_max_hw_sectors(), 512-byte sectors */
	unsigned int nr_requests;		/* q->nr_requests */
	unsigned int max_discard_sectors;	/* bdev_max_discard_sectors() */
	unsigned int discard_granularity;	/* bdev_discard_granularity(), bytes */
	unsigned int discard_alignment;		/* bdev_discard_alignment(), bytes */
	unsigned int max_write_zeroes_sectors;	/* bdev_write_zeroes_sectors() */
	unsigned int io_min;			/* bdev_io_min(), bytes */
	unsigned int io_opt;			/* bdev_io_opt(), bytes */
	int alignment_offset;			/* bdev_alignment_offset(), bytes or -1 */
	unsigned int major;			/* MAJOR(bd_dev) */
	unsigned int minor;			/* MINOR(bd_dev) */
	bool nonrot;				/* bdev_nonrot() */
	bool write_cache;			/* bdev_write_cache() */
	bool fua;				/* bdev_fua() */
};

/*
 * bdev_file_open_by_path(@path, BLK_OPEN_READ [| BLK_OPEN_WRITE], @holder, NULL): the block
 * device claimed exclusively by @holder, or an ERR_PTR. Released with lio_bdev_file_close().
 */
struct file *lio_bdev_file_open(const char *path, bool write, void *holder);
/* fput() of a file from lio_bdev_file_open(). */
void lio_bdev_file_close(struct file *bdev_file);
void lio_bdev_file_facts(struct file *bdev_file, struct lio_bdev_facts *facts);
/* snprintf(@buf, @len, "%pg", bdev): the device's name; returns its length. */
int lio_bdev_file_name(struct file *bdev_file, char *buf, unsigned int len);
/*
 * One bio over the @len bytes of directly mapped, physically contiguous kernel memory at
 * @buf (bio_add_page() of each of its pages; at most BIO_MAX_VECS pages), read or written
 * (REQ_OP_WRITE | REQ_SYNC | REQ_IDLE, plus REQ_FUA with @fua) at 512-byte @sector, and
 * submit_bio_wait(): 0 or a negative errno.
 */
int lio_bdev_file_rw_buf(struct file *bdev_file, void *buf, unsigned int len,
			 unsigned long long sector, bool write, bool fua);
/* blkdev_issue_flush(): an empty REQ_PREFLUSH write, waited for. */
int lio_bdev_file_flush(struct file *bdev_file);
/* blkdev_issue_discard(.., GFP_KERNEL). */
int lio_bdev_file_discard(struct file *bdev_file, unsigned long long sector,
			  unsigned long long nr_sects);
/* blkdev_issue_zeroout(.., GFP_KERNEL, BLKDEV_ZERO_NOUNMAP). */
int lio_bdev_file_zeroout(struct file *bdev_file, unsigned long long sector,
			  unsigned long long nr_sects);

#endif /* _LIO_HELPERS_H */
