/* SPDX-License-Identifier: MIT */
/*
 * The backend without cgroups (not root, or `cgroup = none`). It has no
 * hierarchy and can enforce nothing: jq-cgroup.c refuses or drops every
 * limit before it gets here, and jobq-exec falls back to killing the
 * processes it reaps and to rusage for accounting.
 */
#include "jq-cgroup-internal.h"

static unsigned none_caps(const struct jq_cg *m)
{
	return 0;
}

static int none_setup(struct jq_cg *m, bool move_self, char **ret_err)
{
	return 0;
}

static int none_delegate(struct jq_cg_set *s)
{
	return 0;
}

static int none_tenant_set(struct jq_cg_set *s, const struct jq_cg_tenant_limits *l,
			   char *const *devs, struct jq_cg_tenant_limits *ret_eff, char **ret_msg)
{
	*ret_eff = *l;
	return 0;
}

static int none_job_set(struct jq_cg_set *s, const struct jq_limits *l, struct jq_limits *ret_eff,
			char **ret_msg)
{
	*ret_eff = *l;
	return 0;
}

static int none_kill(struct jq_cg_set *s)
{
	return 0;
}

static int none_populated(struct jq_cg_set *s)
{
	return 0;
}

static int none_stats(struct jq_cg_set *s, struct jq_cg_stats *ret)
{
	*ret = (struct jq_cg_stats){-1, -1, -1, -1, -1, -1};
	return 0;
}

const struct jq_cg_ops jq_cg_ops_none = {
    .name = "none",
    .caps = none_caps,
    .setup = none_setup,
    .delegate = none_delegate,
    .tenant_set = none_tenant_set,
    .job_set = none_job_set,
    .kill = none_kill,
    .populated = none_populated,
    .stats = none_stats,
};
