/* SPDX-License-Identifier: MIT */
/*
 * jobq-exec's handle on one job cgroup: open the directories the daemon
 * created, place the job, kill it, tell when it is empty, read the kernel's
 * accounting, remove it. The daemon's side (tree, tenants, job creation) is
 * in jq-cgroup.c.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>

#include "jq-cgroup-internal.h"
#include "jq-util.h"

int jq_cg_job_open(enum jq_cg_mode mode, char *const *paths, struct jq_cg_job **ret)
{
	struct jq_cg_job *j;

	if (mode != JQ_CG_V2 && mode != JQ_CG_V1 && mode != JQ_CG_NONE)
		return -EINVAL;
	if (jq_strv_length(paths) > JQ_CG_MAX_HIER)
		return -E2BIG;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->mode = mode;
	j->ops = mode == JQ_CG_V2   ? &jq_cg_ops_v2
		 : mode == JQ_CG_V1 ? &jq_cg_ops_v1
				    : &jq_cg_ops_none;
	for (char *const *p = paths; p && *p; p++) {
		const char *colon = strchr(*p, ':');
		struct jq_cg_dir *d = &j->set.d[j->set.n];
		if (!colon || colon == *p || colon[1] != '/') {
			jq_cg_job_free(j);
			return -EINVAL;
		}
		d->fd = -1;
		d->ctl = strndup(*p, (size_t)(colon - *p));
		d->path = strdup(colon + 1);
		j->set.n++;
		if (!d->ctl || !d->path) {
			jq_cg_job_free(j);
			return -ENOMEM;
		}
		d->place_only = jq_cg_is_place_only(mode, d->ctl);
		d->fd =
		    JQ_RETRY_EINTR(open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
		if (d->fd < 0) {
			int e = errno;
			jq_cg_job_free(j);
			return -e;
		}
	}
	*ret = j;
	return 0;
}

void jq_cg_job_free(struct jq_cg_job *j)
{
	if (!j)
		return;
	jq_cg_set_release(&j->set);
	free(j);
}

int jq_cg_job_clone_fd(const struct jq_cg_job *j)
{
	const struct jq_cg_dir *d;

	if (!j || j->mode != JQ_CG_V2)
		return -1;
	d = jq_cg_set_find_const(&j->set, "unified");
	return d ? d->fd : -1;
}

int jq_cg_job_place(struct jq_cg_job *j, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < j->set.n; i++) {
		int r = jq_cg_write(j->set.d[i].fd, "cgroup.procs", buf);
		if (r < 0)
			return r;
	}
	return 0;
}

int jq_cg_job_kill(struct jq_cg_job *j)
{
	return j->ops->kill(&j->set);
}

int jq_cg_job_populated(struct jq_cg_job *j)
{
	return j->ops->populated(&j->set);
}

int jq_cg_job_stats(struct jq_cg_job *j, struct jq_cg_stats *ret)
{
	return j->ops->stats(&j->set, ret);
}

int jq_cg_job_kill_all(struct jq_cg_job *j)
{
	return jq_cg_kill_until_empty(j->ops, &j->set);
}

int jq_cg_job_destroy(struct jq_cg_job *j)
{
	return jq_cg_set_rmdir(&j->set);
}
