// SPDX-License-Identifier: GPL-2.0
/*
 * The backend boundary's shared state: the ops table main.c chose at load,
 * which common code calls through, and the feature list a backend's probe
 * fills for the load-time log line.
 *
 * It lives apart from main.c so that common code and the backends depend on
 * this file, not on the module's entry point, which depends on them all.
 */
#include <linux/bug.h>

#include "backend.h"

const struct plumb_backend_ops *plumb_ops;

void plumb_feature_add(struct plumb_features *feat, const char *name,
		       bool present, bool required)
{
	if (WARN_ON_ONCE(feat->nr >= PLUMB_MAX_FEATURES))
		return;
	feat->f[feat->nr].name = name;
	feat->f[feat->nr].present = present;
	feat->f[feat->nr].required = required;
	feat->nr++;
}
