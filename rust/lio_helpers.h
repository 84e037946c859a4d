/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for the lio-rs Rust support layer: static inline functions and macros of
 * the kernel that Rust cannot call directly, and the few facts only C can reach.
 */
#ifndef _LIO_HELPERS_H
#define _LIO_HELPERS_H

#include <linux/types.h>

struct config_group;
struct configfs_subsystem;

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

#endif /* _LIO_HELPERS_H */
