/* SPDX-License-Identifier: MIT */
/*
 * Creating the job process: the sandbox's init, PID 1 of a new pid
 * namespace inside a new user namespace (docs/sandbox.md).
 *
 * clone3() makes the init blocked on a close-on-exec pipe. Before it runs a
 * single instruction the helper (host root) writes its uid/gid maps, sets
 * its rlimits, and places it in its cgroup (CLONE_INTO_CGROUP at clone time
 * on cgroup v2, the place() callback for v1). Only then is it released to
 * enter its other namespaces (mount, network, ipc, uts, cgroup: the cgroup
 * namespace's root is therefore the job's own cgroup) and build its view.
 * The user and pid namespaces must exist at clone time: the maps are
 * written from outside, and a process cannot change its own pid namespace.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "jq-exec-internal.h"
#include "jq-util.h"

static pid_t clone3_job(int cgroup_fd)
{
	struct clone_args a = {
	    .flags = CLONE_NEWUSER | CLONE_NEWPID,
	    .exit_signal = SIGCHLD,
	};

	if (cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
	}
	/* No CLONE_VM: like fork(), the child runs on a copy of our memory. */
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

/*
 * Every rlimit of the job, set from outside by root so that hard limits
 * can be raised too (the init has no capability over host resources) and
 * so that nothing of how jobqd itself was started (a shell's ulimit, a
 * unit's LimitNOFILE=, root's unlimited values) reaches a job. Why each
 * value: docs/sandbox.md, "Resource limits". JQ_RLIM_NPROC and
 * JQ_RLIM_NOFILE are placeholders for the spec's values.
 */
#define JQ_RLIM_NPROC  ((rlim_t)-2)
#define JQ_RLIM_NOFILE ((rlim_t)-3)
static const struct {
	int resource;
	rlim_t soft, hard;
} job_limits[] = {
    {RLIMIT_CPU, RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_DATA, RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_STACK, JQ_EXEC_RLIMIT_STACK, RLIM_INFINITY},
    {RLIMIT_CORE, 0, 0},
    {RLIMIT_RSS, RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_NPROC, JQ_RLIM_NPROC, JQ_RLIM_NPROC},
    {RLIMIT_NOFILE, JQ_RLIM_NOFILE, JQ_RLIM_NOFILE},
    {RLIMIT_MEMLOCK, JQ_EXEC_RLIMIT_MEMLOCK, JQ_EXEC_RLIMIT_MEMLOCK},
    {RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_LOCKS, RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_SIGPENDING, JQ_EXEC_RLIMIT_SIGPENDING, JQ_EXEC_RLIMIT_SIGPENDING},
    {RLIMIT_MSGQUEUE, JQ_EXEC_RLIMIT_MSGQUEUE, JQ_EXEC_RLIMIT_MSGQUEUE},
    {RLIMIT_NICE, 0, 0},
    {RLIMIT_RTPRIO, 0, 0},
    {RLIMIT_RTTIME, RLIM_INFINITY, RLIM_INFINITY},
};

static rlim_t rlim_value(rlim_t v, const struct jq_exec_spec *s)
{
	/* 0: a spec built in memory, not read back; the reader's defaults. */
	if (v == JQ_RLIM_NPROC)
		return (rlim_t)(s->sandbox.nproc > 0 ? s->sandbox.nproc : JQ_EXEC_NPROC_DEFAULT);
	if (v == JQ_RLIM_NOFILE)
		return (rlim_t)(s->sandbox.nofile > 0 ? s->sandbox.nofile : JQ_EXEC_NOFILE_DEFAULT);
	return v;
}

static int job_rlimits(pid_t pid, const struct jq_exec_spec *s)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(job_limits); i++) {
		struct rlimit l = {rlim_value(job_limits[i].soft, s),
				   rlim_value(job_limits[i].hard, s)};
		struct rlimit own;

		if (prlimit(pid, job_limits[i].resource, &l, NULL) == 0)
			continue;
		/* Unprivileged: no higher than our own hard limit. */
		if (errno != EPERM || getrlimit(job_limits[i].resource, &own) < 0)
			return -errno;
		if (l.rlim_max > own.rlim_max)
			l.rlim_max = own.rlim_max;
		if (l.rlim_cur > l.rlim_max)
			l.rlim_cur = l.rlim_max;
		if (prlimit(pid, job_limits[i].resource, &l, NULL) < 0)
			return -errno;
	}
	return 0;
}

static pid_t give_up(pid_t pid, int go_fd, int err, const char *step, const char **ret_step)
{
	close(go_fd);
	kill(pid, SIGKILL);
	(void)JQ_RETRY_EINTR(waitpid(pid, NULL, 0));
	*ret_step = step;
	return err;
}

pid_t jq_exec_spawn_job(const struct jq_exec_spec *s, const struct jq_exec_child_fds *fds,
			const struct jq_exec_spawn_opts *o, const char **ret_step)
{
	bool privileged = geteuid() == 0;
	void *seccomp_ctx = NULL;
	int go[2];
	pid_t pid;
	char c = 0;
	int r;

	/*
	 * Host root never runs a job, mapped or not. Unprivileged, the helper
	 * can map only itself, so the job runs as the helper.
	 */
	if (s->uid == 0 ||
	    (!privileged && (s->uid != (int64_t)geteuid() || s->gid != (int64_t)getegid()))) {
		*ret_step = "identity";
		return -EPERM;
	}
	if (s->sandbox.seccomp) {
		r = jq_exec_sandbox_seccomp_new(&seccomp_ctx);
		if (r < 0) {
			*ret_step = "seccomp";
			return r;
		}
	}
	if (pipe2(go, O_CLOEXEC) < 0) {
		jq_exec_sandbox_seccomp_free(seccomp_ctx);
		*ret_step = "pipe";
		return -errno;
	}
	pid = clone3_job(o ? o->cgroup_fd : -1);
	if (pid < 0) {
		int e = errno;
		close(go[0]);
		close(go[1]);
		jq_exec_sandbox_seccomp_free(seccomp_ctx);
		*ret_step = "clone";
		return -e;
	}
	if (pid == 0) {
		ssize_t n;
		close(go[1]);
		n = JQ_RETRY_EINTR(read(go[0], &c, 1));
		/* EOF without the byte: the parent gave up on us. */
		if (n != 1)
			_exit(127);
		close(go[0]);
		jq_exec_child_run(s, fds, seccomp_ctx, privileged);
	}
	close(go[0]);
	/* The child has its copy; ours is not needed any more. */
	jq_exec_sandbox_seccomp_free(seccomp_ctx);

	const char *step = NULL;
	r = jq_exec_sandbox_id_maps(pid, s, privileged, &step);
	if (r < 0)
		return give_up(pid, go[1], r, step, ret_step);
	r = job_rlimits(pid, s);
	if (r < 0)
		return give_up(pid, go[1], r, "rlimits", ret_step);
	if (o && o->place) {
		r = o->place(pid, o->place_data);
		if (r < 0)
			return give_up(pid, go[1], r, "place", ret_step);
	}
	if (JQ_RETRY_EINTR(write(go[1], &c, 1)) != 1)
		return give_up(pid, go[1], -errno, "release", ret_step);
	close(go[1]);
	return pid;
}
