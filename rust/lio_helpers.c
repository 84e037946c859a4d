// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the lio-rs Rust support layer (see lio_helpers.h).
 */
#include <linux/configfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/fs.h>
#include <linux/kmod.h>
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

/* One lockdep class for every subsystem mutex lio-rs registers, as C gets per call site. */
void lio_configfs_subsystem_mutex_init(struct configfs_subsystem *subsys)
{
	mutex_init(&subsys->su_mutex);
}

void lio_configfs_subsystem_mutex_destroy(struct configfs_subsystem *subsys)
{
	mutex_destroy(&subsys->su_mutex);
}

const char *lio_uts_sysname(void)
{
	return utsname()->sysname;
}

const char *lio_uts_machine(void)
{
	return utsname()->machine;
}

const char *lio_uts_release(void)
{
	return UTS_RELEASE;
}

int lio_request_module(const char *name)
{
	return request_module("%s", name);
}

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

u64 lio_get_jiffies_64(void)
{
	return get_jiffies_64();
}

u32 lio_jiffies_to_mib_time(u64 j)
{
	return (u32)(((u32)j - INITIAL_JIFFIES) * 100 / HZ);
}

void lio_msleep_interruptible(unsigned int msecs)
{
	msleep_interruptible(msecs);
}

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
