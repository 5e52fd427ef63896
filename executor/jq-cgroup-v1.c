/* SPDX-License-Identifier: MIT */
/*
 * The cgroup v1 (legacy and hybrid) backend. Limits arrive in v2 units and
 * are converted: cpu.shares = weight * 1024 / 100, cpu.cfs_quota_us over a
 * 100 ms cpu.cfs_period_us, memory.limit_in_bytes with
 * memory.memsw.limit_in_bytes at the same value (no swap) where swap
 * accounting exists, pids.max, blkio.throttle.{read,write}_bps_device per
 * block device. blk-throttle is flat on v1 (a cap applies to the processes
 * of its own cgroup only), so a job is placed in its tenant's blkio cgroup
 * rather than in a job-<id> of its own there. On a hybrid host the
 * controller-less cgroup2 mount ("unified") is part of the set:
 * cgroup.kill, cgroup.events and cpu.stat come from there. On plain v1 a
 * job is killed by freezing it, killing every process, thawing, until it
 * is empty.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>

#include "jq-cgroup-internal.h"
#include "jq-util.h"

#define CPU_PERIOD_USEC 100000
/* memory.limit_in_bytes reads back as PAGE_COUNTER_MAX pages: "unlimited". */
#define V1_UNLIMITED ((int64_t)1 << 62)
/* How long one freeze may take before we kill what we have anyway. */
#define FREEZE_WAIT_USEC (1000 * 1000)

static int ctl_fd(const struct jq_cg_set *s, const char *ctl)
{
	const struct jq_cg_dir *d = jq_cg_set_find_const(s, ctl);

	return d ? d->fd : -1;
}

static unsigned v1_caps(const struct jq_cg *m)
{
	unsigned caps = 0;
	int u = ctl_fd(&m->base, "unified");

	if (ctl_fd(&m->base, "cpu") >= 0)
		caps |= JQ_CG_CAN_CPU;
	if (ctl_fd(&m->base, "memory") >= 0)
		caps |= JQ_CG_CAN_MEMORY;
	if (ctl_fd(&m->base, "pids") >= 0)
		caps |= JQ_CG_CAN_PIDS;
	/* blkio alone: co-mounted with another controller its jobs get a cgroup of their own. */
	for (size_t i = 0; i < m->base.n; i++)
		if (!strcmp(m->base.d[i].ctl, JQ_CG_V1_BLKIO))
			caps |= JQ_CG_CAN_IO_LIMIT;
	if (ctl_fd(&m->base, "cpuacct") >= 0 || u >= 0)
		caps |= JQ_CG_CAN_CPUACCT;
	if (ctl_fd(&m->base, "freezer") >= 0 || (u >= 0 && jq_cg_has(u, "cgroup.kill")))
		caps |= JQ_CG_CAN_KILL;
	return caps;
}

static int v1_setup(struct jq_cg *m, bool move_self, char **ret_err)
{
	/* No internal-process rule on v1, and the unified mount has no controllers. */
	return 0;
}

static int v1_delegate(struct jq_cg_set *s)
{
	return 0;
}

static int put(int fd, const char *file, int64_t v, char **ret_msg)
{
	char buf[32];
	int r;

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	r = jq_cg_write(fd, file, buf);
	if (r < 0)
		*ret_msg = jq_asprintf("cannot set %s to '%s': %s", file, buf, strerror(-r));
	return r;
}

static int get(int fd, const char *file, int64_t *ret, char **ret_msg)
{
	int r = jq_cg_read_i64(fd, file, ret);

	if (r < 0)
		*ret_msg = jq_asprintf("cannot read back %s: %s", file, strerror(-r));
	return r;
}

/* weight 1..10000 -> cpu.shares 10..102400 (the kernel takes 2..262144). */
static int put_weight(int fd, int64_t weight, int64_t *ret, char **ret_msg)
{
	int64_t shares;
	int r;

	if (fd < 0 || weight == JQ_LIMIT_UNSET) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	r = put(fd, "cpu.shares", weight * 1024 / 100, ret_msg);
	if (r >= 0)
		r = get(fd, "cpu.shares", &shares, ret_msg);
	if (r < 0)
		return r;
	*ret = (shares * 100 + 512) / 1024;
	return 0;
}

static int put_cpu_max(int fd, int64_t milli, int64_t *ret, char **ret_msg)
{
	int64_t quota, period;
	int r;

	if (fd < 0) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	r = put(fd, "cpu.cfs_period_us", CPU_PERIOD_USEC, ret_msg);
	if (r >= 0)
		r = put(fd, "cpu.cfs_quota_us",
			milli == JQ_LIMIT_UNSET ? -1 : milli * CPU_PERIOD_USEC / 1000, ret_msg);
	if (r >= 0)
		r = get(fd, "cpu.cfs_quota_us", &quota, ret_msg);
	if (r >= 0)
		r = get(fd, "cpu.cfs_period_us", &period, ret_msg);
	if (r < 0)
		return r;
	*ret = quota < 0 || period <= 0 ? JQ_LIMIT_UNSET : quota * 1000 / period;
	return 0;
}

/*
 * memory.limit_in_bytes, and memsw at the same value so the job cannot use
 * swap either. memsw must never be below the memory limit: lift it first,
 * set the memory limit, then lower memsw to match.
 */
static int put_memory(int fd, int64_t bytes, int64_t *ret, char **ret_msg)
{
	bool memsw = fd >= 0 && jq_cg_has(fd, "memory.memsw.limit_in_bytes");
	int64_t v;
	int r = 0;

	if (fd < 0) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	if (memsw)
		r = put(fd, "memory.memsw.limit_in_bytes", -1, ret_msg);
	if (r >= 0)
		r = put(fd, "memory.limit_in_bytes", bytes, ret_msg);
	if (r >= 0 && memsw && bytes != JQ_LIMIT_UNSET)
		r = put(fd, "memory.memsw.limit_in_bytes", bytes, ret_msg);
	if (r >= 0)
		r = get(fd, "memory.limit_in_bytes", &v, ret_msg);
	if (r < 0)
		return r;
	*ret = v < 0 || v >= V1_UNLIMITED ? JQ_LIMIT_UNSET : v;
	return 0;
}

static int put_pids(int fd, int64_t pids, int64_t *ret, char **ret_msg)
{
	int r;

	if (fd < 0) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	if (pids == JQ_LIMIT_UNSET)
		r = jq_cg_write(fd, "pids.max", "max");
	else
		r = put(fd, "pids.max", pids, ret_msg);
	if (r < 0 && !*ret_msg)
		*ret_msg = jq_asprintf("cannot set pids.max: %s", strerror(-r));
	if (r >= 0)
		r = get(fd, "pids.max", ret, ret_msg);
	return r;
}

/* The "MAJ:MIN N" line of dev in a blkio throttle file: N, or unset if absent. */
static int throttle_get(int fd, const char *file, const char *dev, int64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t n = strlen(dev);
	int r = jq_cg_read(fd, file, &s);

	if (r < 0)
		return r;
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, dev, n) && line[n] == ' ') {
			char *end;
			long long v;
			errno = 0;
			v = strtoll(line + n + 1, &end, 10);
			if (errno || end == line + n + 1 || v < 0)
				return -EBADMSG;
			*ret = v == 0 ? JQ_LIMIT_UNSET : v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	*ret = JQ_LIMIT_UNSET;
	return 0;
}

/*
 * One line per device ("MAJ:MIN N", 0 removes the cap), each read back:
 * *ret is the cap every device holds.
 */
static int put_throttle(int fd, const char *file, int64_t bps, char *const *devs, int64_t *ret,
			char **ret_msg)
{
	char buf[64];
	int r;

	*ret = JQ_LIMIT_UNSET;
	if (fd < 0 || (bps == JQ_LIMIT_UNSET && !jq_cg_has(fd, file)))
		return 0;
	for (char *const *d = devs; d && *d; d++) {
		int64_t back;
		snprintf(buf, sizeof(buf), "%s %" PRId64, *d, bps == JQ_LIMIT_UNSET ? 0 : bps);
		r = jq_cg_write(fd, file, buf);
		if (r >= 0)
			r = throttle_get(fd, file, *d, &back);
		if (r >= 0 && back != bps)
			r = -EIO;
		/* Lifting a cap nobody set is best effort: a disk that refuses one has none. */
		if (r < 0 && bps == JQ_LIMIT_UNSET)
			continue;
		if (r < 0) {
			*ret_msg =
			    jq_asprintf("cannot set %s to '%s': %s", file, buf,
					r == -EIO ? "it reads back otherwise" : strerror(-r));
			return r;
		}
		*ret = back;
	}
	return 0;
}

static int v1_tenant_set(struct jq_cg_set *s, const struct jq_cg_tenant_limits *l,
			 char *const *devs, struct jq_cg_tenant_limits *ret_eff, char **ret_msg)
{
	struct jq_cg_tenant_limits eff;
	int cpu = ctl_fd(s, "cpu"), blkio = ctl_fd(s, JQ_CG_V1_BLKIO), r;

	r = put_weight(cpu, l->weight, &eff.weight, ret_msg);
	if (r >= 0)
		r = put_cpu_max(cpu, l->cpu_max_milli, &eff.cpu_max_milli, ret_msg);
	if (r >= 0)
		r = put_memory(ctl_fd(s, "memory"), l->memory_max, &eff.memory_max, ret_msg);
	if (r >= 0)
		r = put_pids(ctl_fd(s, "pids"), l->pids_max, &eff.pids_max, ret_msg);
	if (r >= 0)
		r = put_throttle(blkio, "blkio.throttle.read_bps_device", l->io_read_bps, devs,
				 &eff.io_read_bps, ret_msg);
	if (r >= 0)
		r = put_throttle(blkio, "blkio.throttle.write_bps_device", l->io_write_bps, devs,
				 &eff.io_write_bps, ret_msg);
	if (r < 0)
		return r;
	*ret_eff = eff;
	return 0;
}

static int v1_job_set(struct jq_cg_set *s, const struct jq_limits *l, struct jq_limits *ret_eff,
		      char **ret_msg)
{
	struct jq_limits eff = *l;
	int r;

	r = put_cpu_max(ctl_fd(s, "cpu"), l->cpus_milli, &eff.cpus_milli, ret_msg);
	if (r >= 0)
		r = put_memory(ctl_fd(s, "memory"), l->memory_bytes, &eff.memory_bytes, ret_msg);
	if (r >= 0)
		r = put_pids(ctl_fd(s, "pids"), l->pids, &eff.pids, ret_msg);
	if (r < 0)
		return r;
	*ret_eff = eff;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Plain v1: a frozen cgroup cannot fork, so the pids listed are all there
 * is; SIGKILL is delivered on thaw. Without a freezer, one round of kills.
 */
static int freeze_kill(struct jq_cg_set *s)
{
	int fz = ctl_fd(s, "freezer");

	if (fz >= 0 && jq_cg_write(fz, "freezer.state", "FROZEN") >= 0) {
		for (long waited = 0; waited < FREEZE_WAIT_USEC / 1000; waited++) {
			_cleanup_free_ char *st = NULL;
			if (jq_cg_read(fz, "freezer.state", &st) < 0 || !strncmp(st, "FROZEN", 6))
				break;
			sleep_ms(1);
		}
	}
	for (size_t i = 0; i < s->n; i++)
		if (!s->d[i].place_only) /* the tenant's other jobs are there too */
			(void)jq_cg_kill_procs(s->d[i].fd);
	if (fz >= 0)
		(void)jq_cg_write(fz, "freezer.state", "THAWED");
	return 0;
}

static int v1_kill(struct jq_cg_set *s)
{
	int u = ctl_fd(s, "unified");

	if (u >= 0 && jq_cg_write(u, "cgroup.kill", "1") >= 0)
		return 0;
	return freeze_kill(s);
}

static int v1_populated(struct jq_cg_set *s)
{
	int u = ctl_fd(s, "unified");
	int64_t v;

	if (u >= 0 && jq_cg_read_key(u, "cgroup.events", "populated", &v) >= 0)
		return v != 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->d[i].place_only)
			continue;
		int r = jq_cg_procs_any(s->d[i].fd);
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * cpuacct.usage is exact (scheduler runtime) but usage_user/usage_sys are
 * tick samples: split the exact total by their ratio, as the kernel does
 * for cpu.stat and getrusage.
 */
static int cpuacct(int fd, int64_t *ret_user, int64_t *ret_sys)
{
	int64_t total, user, sys;

	if (jq_cg_read_i64(fd, "cpuacct.usage", &total) < 0 ||
	    jq_cg_read_i64(fd, "cpuacct.usage_user", &user) < 0 ||
	    jq_cg_read_i64(fd, "cpuacct.usage_sys", &sys) < 0)
		return -EIO;
	if (user + sys > 0) {
		user = (int64_t)((double)total * (double)user / (double)(user + sys));
		sys = total - user;
	} else {
		user = total;
		sys = 0;
	}
	*ret_user = user / 1000;
	*ret_sys = sys / 1000;
	return 0;
}

static int v1_stats(struct jq_cg_set *s, struct jq_cg_stats *ret)
{
	struct jq_cg_stats st = {-1, -1, -1, -1, -1, -1};
	int u = ctl_fd(s, "unified"), acct = ctl_fd(s, "cpuacct"), mem = ctl_fd(s, "memory");

	if (u < 0 || jq_cg_read_key(u, "cpu.stat", "user_usec", &st.cpu_user_usec) < 0 ||
	    jq_cg_read_key(u, "cpu.stat", "system_usec", &st.cpu_system_usec) < 0) {
		st.cpu_user_usec = st.cpu_system_usec = -1;
		if (acct >= 0)
			(void)cpuacct(acct, &st.cpu_user_usec, &st.cpu_system_usec);
	}
	if (mem >= 0) {
		if (jq_cg_read_i64(mem, "memory.max_usage_in_bytes", &st.memory_peak_bytes) < 0)
			st.memory_peak_bytes = -1;
		if (jq_cg_read_key(mem, "memory.oom_control", "oom_kill", &st.oom_kills) < 0)
			st.oom_kills = -1;
	}
	/* blkio misses buffered writes: jobq-exec takes I/O from rusage. */
	*ret = st;
	return 0;
}

const struct jq_cg_ops jq_cg_ops_v1 = {
    .name = "v1",
    .caps = v1_caps,
    .setup = v1_setup,
    .delegate = v1_delegate,
    .tenant_set = v1_tenant_set,
    .job_set = v1_job_set,
    .kill = v1_kill,
    .populated = v1_populated,
    .stats = v1_stats,
};
