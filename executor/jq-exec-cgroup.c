/* SPDX-License-Identifier: MIT */
/*
 * jobq-exec's side of the job cgroup: open the cgroup jobqd made, place the
 * job in it before it runs (the spawn seam), and once the job tree is
 * reaped kill anything left, take the kernel's accounting and remove it.
 * The accounting is read after the last process left and before rmdir:
 * the counters die with the directory.
 */
#include "jq-cgroup.h"
#include "jq-exec-internal.h"
#include "jq-util.h"

int jq_exec_cg_open(const struct jq_exec_spec *s, struct jq_cg_job **ret)
{
	if (!s->cgroup_paths || !s->cgroup_paths[0]) {
		*ret = NULL;
		return 0;
	}
	return jq_cg_job_open((enum jq_cg_mode)s->cgroup_mode, s->cgroup_paths, ret);
}

int jq_exec_cg_place(pid_t pid, void *userdata)
{
	return jq_cg_job_place(userdata, pid);
}

/* Appends one sentence to the result's note. */
static void note(struct jq_exec_result *res, const char *what, int err)
{
	char *n = jq_asprintf("%s%s%s: %s", res->cgroup_note ? res->cgroup_note : "",
			      res->cgroup_note ? "; " : "", what, strerror(-err));

	if (n) {
		free(res->cgroup_note);
		res->cgroup_note = n;
	}
}

void jq_exec_cg_finish(struct jq_cg_job *cg, struct jq_exec_result *res)
{
	struct jq_cg_stats st;
	int r;

	if (!cg)
		return;
	/*
	 * The helper reaped every descendant it had, but a process can only
	 * leave the tree by dying: anything still in the cgroup (it cannot
	 * be, short of a kernel race) is killed here.
	 */
	r = jq_cg_job_kill_all(cg);
	if (r < 0)
		note(res, "job cgroup not empty after the kill", r);
	r = jq_cg_job_stats(cg, &st);
	if (r < 0) {
		note(res, "cannot read the job cgroup's accounting", r);
	} else {
		if (st.cpu_user_usec >= 0 && st.cpu_system_usec >= 0) {
			res->acct.cpu_user_usec = st.cpu_user_usec;
			res->acct.cpu_system_usec = st.cpu_system_usec;
		}
		if (st.memory_peak_bytes >= 0)
			res->acct.memory_peak_bytes = st.memory_peak_bytes;
		/* v1 has no usable I/O counter: rusage stays. */
		if (st.io_read_bytes >= 0 && st.io_write_bytes >= 0) {
			res->acct.io_read_bytes = st.io_read_bytes;
			res->acct.io_write_bytes = st.io_write_bytes;
		}
		res->oom_kills = st.oom_kills;
	}
	r = jq_cg_job_destroy(cg);
	if (r < 0)
		note(res, "cannot remove the job cgroup", r);
}
