// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the lio-rs Rust support layer (see lio_helpers.h). They are exported:
 * generic Rust code of target_core is instantiated in the fabric modules and calls them.
 */
#include <linux/configfs.h>
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/fs.h>
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
