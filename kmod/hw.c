// SPDX-License-Identifier: GPL-2.0
/*
 * Switching VMX/SVM on and off: on every online CPU while at least one VM
 * exists, following CPU hotplug (docs/design.md, "Enable lazily, give back").
 *
 * The backend's hardware_enable/disable run on the CPU concerned, from the
 * CPU hotplug machinery. A vCPU may be scheduled onto a CPU whose teardown
 * already ran (the AP_ONLINE_DYN teardown comes before tasks are migrated
 * away), so entry checks plumb_hw_enabled_here() with preemption off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mutex.h>
#include <linux/percpu.h>

#include "backend.h"
#include "hw.h"

static DEFINE_MUTEX(plumb_hw_lock);
static unsigned int plumb_hw_users;
static int plumb_hp_state;
static DEFINE_PER_CPU(bool, plumb_hw_on);

static int plumb_cpu_online(unsigned int cpu)
{
	int ret = plumb_ops->hardware_enable();

	if (!ret)
		this_cpu_write(plumb_hw_on, true);
	return ret;
}

static int plumb_cpu_offline(unsigned int cpu)
{
	if (this_cpu_read(plumb_hw_on)) {
		this_cpu_write(plumb_hw_on, false);
		plumb_ops->hardware_disable();
	}
	return 0;
}

bool plumb_hw_enabled_here(void)
{
	return this_cpu_read(plumb_hw_on);
}

/* Take a reference on "virtualization on everywhere"; the first one enables. */
int plumb_hw_get(void)
{
	int ret = 0;

	mutex_lock(&plumb_hw_lock);
	if (!plumb_hw_users) {
		ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "plumb:online",
					plumb_cpu_online, plumb_cpu_offline);
		if (ret < 0)
			goto out;
		plumb_hp_state = ret;
		ret = 0;
	}
	plumb_hw_users++;
out:
	mutex_unlock(&plumb_hw_lock);
	return ret;
}

void plumb_hw_put(void)
{
	mutex_lock(&plumb_hw_lock);
	if (!WARN_ON_ONCE(!plumb_hw_users) && !--plumb_hw_users)
		cpuhp_remove_state(plumb_hp_state);
	mutex_unlock(&plumb_hw_lock);
}
