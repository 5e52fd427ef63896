/* SPDX-License-Identifier: MIT */
/*
 * The daemon's cgroup tree (docs/cgroups.md): opened once at start in the
 * mode of `cgroup =`, tenant parents limited at start and on every reload,
 * leftover job cgroups of an earlier run killed and removed. Which cgroup
 * version runs is the manager's business (executor/jq-cgroup.h), not ours.
 */
#include <inttypes.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-parse.h"
#include "jq-util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static void log_tenant(const char *name, const struct jq_cg_tenant_limits *e)
{
	char mem[32] = "none", cpu[32] = "none", pids[32] = "none", rd[32] = "none",
	     wr[32] = "none";

	if (e->memory_max >= 0)
		jq_format_size((uint64_t)e->memory_max, mem, sizeof(mem));
	if (e->cpu_max_milli >= 0)
		snprintf(cpu, sizeof(cpu), "%" PRId64 ".%03" PRId64, e->cpu_max_milli / 1000,
			 e->cpu_max_milli % 1000);
	if (e->pids_max >= 0)
		snprintf(pids, sizeof(pids), "%" PRId64, e->pids_max);
	if (e->io_read_bps >= 0)
		jq_format_size((uint64_t)e->io_read_bps, rd, sizeof(rd));
	if (e->io_write_bps >= 0)
		jq_format_size((uint64_t)e->io_write_bps, wr, sizeof(wr));
	jq_log_info("tenant '%s': weight %" PRId64
		    ", cpu_max %s, memory_max %s, pids_max %s, io_read_bps %s, io_write_bps %s",
		    name, e->weight, cpu, mem, pids, rd, wr);
}

/*
 * A tenant's default_memory becomes the memory limit of every job that
 * does not ask for one: if the host cannot enforce it, every such job
 * would be refused at submit. With enforce = refuse that is a mistake in
 * the INI, told at start or reload like an unenforceable cap.
 */
static int default_memory_check(struct jq_daemon *d, const struct jq_config *c,
				const struct jq_tenant_config *t, char **ret_err)
{
	struct jq_limits l = jq_limits_unset();
	_cleanup_free_ char *msg = NULL;
	int r;

	l.memory_bytes = t->default_memory;
	if (c->enforce_warn || t->default_memory == JQ_LIMIT_UNSET)
		return 0;
	r = jq_cg_job_check(d->cg, &l, true, &msg);
	if (r < 0)
		*ret_err = jq_asprintf("tenant '%s': default_memory: %s (set 'enforce = warn' in "
				       "[daemon] to run without it)",
				       t->name, msg ? msg : strerror(-r));
	return r;
}

int jq_cgroups_apply_tenants(struct jq_daemon *d, const struct jq_config *c, char **ret_err)
{
	for (size_t i = 0; i < c->n_tenants; i++) {
		const struct jq_tenant_config *t = &c->tenants[i];
		struct jq_cg_tenant_limits l = {
		    .weight = t->weight,
		    .cpu_max_milli = t->cpu_max_milli,
		    .memory_max = t->memory_max,
		    .pids_max = t->pids_max,
		    .io_read_bps = t->io_read_bps,
		    .io_write_bps = t->io_write_bps,
		};
		struct jq_cg_tenant_limits eff;
		_cleanup_free_ char *msg = NULL;
		int r;

		r = jq_cg_tenant_apply(d->cg, t->name, &l, !c->enforce_warn, &eff, &msg);
		if (r < 0) {
			*ret_err = jq_asprintf("%s%s", msg ? msg : strerror(-r),
					       r == -EOPNOTSUPP ? " (set 'enforce = warn' in "
								  "[daemon] to run without it)"
								: "");
			return r;
		}
		if (msg)
			jq_log_warning("%s: running without it (enforce = warn)", msg);
		r = default_memory_check(d, c, t, ret_err);
		if (r < 0)
			return r;
		log_tenant(t->name, &eff);
	}
	return 0;
}

bool jq_cgroups_submit_refused(struct jq_client *c, const struct jq_tenant_config *t,
			       const struct jq_job *j)
{
	struct jq_daemon *d = c->daemon;
	struct jq_limits eff = jq_runner_effective_limits(j, t);
	_cleanup_free_ char *msg = NULL;
	int r;

	if (d->config->enforce_warn)
		return false;
	r = jq_cg_job_check(d->cg, &eff, true, &msg);
	if (r >= 0)
		return false;
	jq_client_send_error(c, -r, "submit: %s%s", msg ? msg : strerror(-r),
			     r == -EOPNOTSUPP ? " (an administrator can set 'enforce = warn' in "
						"[daemon] to run jobs without it)"
					      : "");
	jq_client_done(c);
	return true;
}

int jq_cgroups_init(struct jq_daemon *d, char **ret_err)
{
	struct jq_cg_params p = {
	    .mode = (enum jq_cg_mode)d->config->cgroup,
	    .root = CGROUP_ROOT,
	    .proc_cgroup = "/proc/self/cgroup",
	    .name = d->config->cgroup_name,
	    .move_self = true,
	};
	_cleanup_free_ char *err = NULL;
	int r;

	r = jq_cg_open(&p, &d->cg, &err);
	if (r < 0) {
		*ret_err = jq_asprintf("cgroup mode '%s': %s", jq_cg_mode_to_string(p.mode),
				       err ? err : strerror(-r));
		return r;
	}
	jq_log_info("cgroups: mode %s%s, tree '%s'", jq_cg_mode_to_string(jq_cg_mode(d->cg)),
		    jq_cg_hybrid(d->cg) ? " (hybrid)" : "",
		    jq_cg_n_hier(d->cg) ? jq_cg_hier_base(d->cg, 0) : "-");
	if (jq_cg_mode(d->cg) == JQ_CG_NONE)
		jq_log_warning("cgroups are off: no cpu, memory or pids limits, no whole-tree kill "
			       "(run jobqd as root with cgroup = auto)");
	return jq_cgroups_apply_tenants(d, d->config, ret_err);
}

static int reconcile_one(const char *tenant, int64_t id, void *userdata)
{
	struct jq_daemon *d = userdata;
	int r;

	/* An adopted job keeps its cgroup: its helper still runs it. */
	if (jq_runner_find(d, id))
		return 0;
	r = jq_cg_job_remove(d->cg, tenant, id);
	if (r < 0)
		jq_log_error_errno(
		    r, "job %" PRId64 ": cannot remove its leftover cgroup: %m, ignoring", id);
	else
		jq_log_info("job %" PRId64 ": leftover cgroup of tenant '%s' killed and removed",
			    id, tenant);
	return 0;
}

void jq_cgroups_reconcile(struct jq_daemon *d)
{
	int r = jq_cg_job_scan(d->cg, reconcile_one, d);

	if (r < 0)
		jq_log_error_errno(r, "cannot scan the cgroup tree for leftovers: %m, ignoring");
}

void jq_cgroups_release(struct jq_daemon *d)
{
	jq_cg_free(d->cg);
	d->cg = NULL;
}
