// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the lio-rs Rust support layer (see lio_helpers.h).
 */
#include <linux/configfs.h>
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
