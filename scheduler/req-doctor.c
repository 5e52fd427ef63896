/* SPDX-License-Identifier: MIT */
/*
 * DOCTOR: what this host gives jobq, one row per check: the cgroup mode,
 * the base of the tree in each hierarchy, which limits and counters the
 * kernel enforces, and whether user namespaces can be made. A row is
 * "ok", "warn" or "fail"; a warn or fail row carries a concrete fix. The
 * client exits non-zero when any row fails.
 */
#include <inttypes.h>

#include "jobqd.h"
#include "jq-util.h"

struct doctor {
	struct jq_client *c;
	int err;
};

static void row(struct doctor *dr, const char *check, const char *status, const char *detail,
		const char *fix)
{
	struct jq_msg_writer w;

	if (dr->err < 0)
		return;
	jq_msg_writer_begin(&w, JQ_REP_ROW);
	jq_msg_put_str(&w, JQ_T_DOCTOR_CHECK, check);
	jq_msg_put_str(&w, JQ_T_DOCTOR_STATUS, status);
	jq_msg_put_str(&w, JQ_T_DOCTOR_DETAIL, detail);
	jq_msg_put_str(&w, JQ_T_DOCTOR_FIX, fix);
	if (jq_client_send(dr->c, &w) < 0)
		dr->err = -EPIPE;
}

/* How to get a missing controller, in the words of the mode we run in. */
static char *controller_fix(const struct jq_daemon *d, const char *ctl)
{
	switch (jq_cg_mode(d->cg)) {
	case JQ_CG_V2:
		return jq_asprintf(
		    "enable it for jobqd's cgroup: echo +%s > <parent>/cgroup.subtree_control "
		    "(systemd: Delegate=yes in jobqd.service), then restart jobqd",
		    ctl);
	case JQ_CG_V1:
		return jq_asprintf("mount it: mkdir -p /sys/fs/cgroup/%s && mount -t cgroup -o %s "
				   "cgroup /sys/fs/cgroup/%s, then restart jobqd",
				   ctl, ctl, ctl);
	default:
		return jq_asprintf("run jobqd as root with 'cgroup = auto' on a host with cgroups "
				   "mounted at /sys/fs/cgroup");
	}
}

static void cap_row(struct doctor *dr, const struct jq_daemon *d, unsigned cap, const char *check,
		    const char *what, const char *ctl)
{
	_cleanup_free_ char *fix = NULL;

	if (jq_cg_caps(d->cg) & cap) {
		row(dr, check, "ok", what, NULL);
		return;
	}
	fix = controller_fix(d, ctl);
	row(dr, check, "fail", "not enforceable here", fix ? fix : "out of memory");
}

/*
 * I/O caps are optional (no tenant needs them): missing is a warning. They
 * apply to every block device with a device link in /sys/block.
 */
static void io_limits_row(struct doctor *dr, const struct jq_daemon *d)
{
	const char *ctl = jq_cg_mode(d->cg) == JQ_CG_V1 ? "blkio" : "io";
	_cleanup_free_ char *fix = NULL, *detail = NULL;
	_cleanup_strv_ char **devs = NULL;
	int r;

	if (!(jq_cg_caps(d->cg) & JQ_CG_CAN_IO_LIMIT)) {
		fix = controller_fix(d, ctl);
		row(dr, "io limits", "warn", "io_read_bps, io_write_bps not enforceable here",
		    fix ? fix : "out of memory");
		return;
	}
	r = jq_cg_block_devices("/sys/block", &devs);
	if (r < 0 || !devs[0]) {
		row(dr, "io limits", "warn",
		    r < 0 ? "cannot list /sys/block" : "no block device with a device link",
		    "io_read_bps, io_write_bps need a disk in /sys/block (loop, zram and dm "
		    "devices are not capped)");
		return;
	}
	detail = jq_asprintf("io_read_bps, io_write_bps (%s) on %zu block device%s",
			     jq_cg_mode(d->cg) == JQ_CG_V1 ? "blkio.throttle" : "io.max",
			     jq_strv_length(devs), devs[1] ? "s" : "");
	row(dr, "io limits", "ok", detail ? detail : "", NULL);
}

static int64_t read_sysctl(const char *path)
{
	_cleanup_free_ char *s = NULL;

	if (jq_read_file(path, 64, &s, NULL) < 0)
		return -1;
	return strtoll(s, NULL, 10);
}

static void userns_row(struct doctor *dr)
{
	int64_t max = read_sysctl("/proc/sys/user/max_user_namespaces");
	int64_t unpriv = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
	_cleanup_free_ char *detail = NULL;

	if (max == 0) {
		row(dr, "user namespaces", "fail", "user.max_user_namespaces is 0",
		    "sysctl -w user.max_user_namespaces=15000 (and in /etc/sysctl.d/ to keep it)");
		return;
	}
	detail = jq_asprintf("max_user_namespaces %" PRId64 "%s", max,
			     unpriv == 0 ? ", unprivileged_userns_clone 0 (jobqd runs as root: "
					   "not needed)"
					 : "");
	row(dr, "user namespaces", max < 0 ? "warn" : "ok", detail ? detail : "",
	    max < 0 ? "the kernel lacks CONFIG_USER_NS: use a kernel built with it" : NULL);
}

void jq_request_doctor(struct jq_client *c, const struct jq_msg *m)
{
	struct jq_daemon *d = c->daemon;
	struct doctor dr = {.c = c};
	enum jq_cg_mode mode = jq_cg_mode(d->cg);
	_cleanup_free_ char *detail = NULL;
	struct jq_msg_writer w;

	if (m->n_fields != 0) {
		jq_client_send_error(c, EINVAL, "doctor takes no arguments");
		jq_client_done(c);
		return;
	}
	detail = jq_asprintf(
	    "%s%s (cgroup = %s)", jq_cg_mode_to_string(mode),
	    jq_cg_hybrid(d->cg) ? " (hybrid: cgroup2 beside it kills and counts cpu)" : "",
	    jq_cg_mode_to_string((enum jq_cg_mode)d->config->cgroup));
	if (mode == JQ_CG_NONE)
		row(&dr, "cgroup mode", "fail", detail ? detail : "none",
		    "run jobqd as root with 'cgroup = auto' on a host with cgroups mounted at "
		    "/sys/fs/cgroup");
	else
		row(&dr, "cgroup mode", "ok", detail ? detail : "", NULL);
	for (size_t i = 0; i < jq_cg_n_hier(d->cg); i++) {
		_cleanup_free_ char *check =
		    jq_asprintf("cgroup base (%s)", jq_cg_hier_controllers(d->cg, i));
		row(&dr, check ? check : "cgroup base", "ok", jq_cg_hier_base(d->cg, i), NULL);
	}
	cap_row(&dr, d, JQ_CG_CAN_CPU, "cpu limits", "weight, cpu_max, --cpus", "cpu");
	cap_row(&dr, d, JQ_CG_CAN_MEMORY, "memory limits", "memory_max, default_memory, --memory",
		"memory");
	cap_row(&dr, d, JQ_CG_CAN_PIDS, "pids limits", "pids_max, --pids", "pids");
	io_limits_row(&dr, d);
	cap_row(&dr, d, JQ_CG_CAN_KILL, "whole-tree kill",
		mode == JQ_CG_V2 || jq_cg_hybrid(d->cg) ? "cgroup.kill" : "freezer", "freezer");
	cap_row(&dr, d, JQ_CG_CAN_CPUACCT, "cpu accounting", "from the kernel's cgroup counters",
		"cpuacct");
	if (jq_cg_caps(d->cg) & JQ_CG_CAN_IO)
		row(&dr, "io accounting", "ok", "io.stat", NULL);
	else
		row(&dr, "io accounting", "ok", "from the job tree's rusage (block I/O)", NULL);
	userns_row(&dr);
	if (dr.err < 0) {
		jq_client_done(c);
		return;
	}
	jq_msg_writer_begin(&w, JQ_REP_END);
	(void)jq_client_send(c, &w);
	jq_client_done(c);
}
