// SPDX-License-Identifier: GPL-2.0
/*
 * tcm_loop's module parameters, as LIO's tcm_loop.c declares them: 6.12's Rust
 * `module!` has no parameters, so they live here and tcm_loop.rs reads them through
 * lio_module_param_u32! (rust/lio/modparam.rs).
 */
#include <linux/compiler.h>
#include <linux/moduleparam.h>

static unsigned int tcm_loop_nr_hw_queues = 1;
module_param_named(nr_hw_queues, tcm_loop_nr_hw_queues, uint, 0644);

static unsigned int tcm_loop_can_queue = 1024;
module_param_named(can_queue, tcm_loop_can_queue, uint, 0644);

static unsigned int tcm_loop_cmd_per_lun = 1024;
module_param_named(cmd_per_lun, tcm_loop_cmd_per_lun, uint, 0644);

unsigned int lio_tcm_loop_nr_hw_queues(void);
unsigned int lio_tcm_loop_can_queue(void);
unsigned int lio_tcm_loop_cmd_per_lun(void);

unsigned int lio_tcm_loop_nr_hw_queues(void)
{
	return READ_ONCE(tcm_loop_nr_hw_queues);
}

unsigned int lio_tcm_loop_can_queue(void)
{
	return READ_ONCE(tcm_loop_can_queue);
}

unsigned int lio_tcm_loop_cmd_per_lun(void)
{
	return READ_ONCE(tcm_loop_cmd_per_lun);
}
