/* SPDX-License-Identifier: MIT */
/*
 * The cgroup v2 (unified) backend: cpu.weight, cpu.max, memory.max with
 * memory.swap.max 0, pids.max, io.max per block device; controllers
 * enabled top-down through cgroup.subtree_control (the daemon first leaves
 * <base> for <base>/daemon: the no-internal-processes rule); cgroup.kill,
 * cgroup.events, cpu.stat, memory.peak, memory.events and io.stat.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "jq-cgroup-internal.h"
#include "jq-util.h"

#define CPU_PERIOD_USEC 100000

/* Controllers the tree delegates to tenants and jobs. */
static const char *const wanted[] = {"cpu", "memory", "pids", "io"};

static int unified_fd(const struct jq_cg_set *s)
{
	const struct jq_cg_dir *d = jq_cg_set_find_const(s, "unified");

	return d ? d->fd : -EBADF;
}

/* True if the space-separated list (cgroup.controllers / subtree_control) has ctl. */
static bool list_has(const char *list, const char *ctl)
{
	size_t n = strlen(ctl);

	for (const char *p = list; *p;) {
		p += strspn(p, " \n+");
		size_t k = strcspn(p, " \n");
		if (k == n && !strncmp(p, ctl, n))
			return true;
		p += k;
	}
	return false;
}

/*
 * Enables the wanted controllers that dfd's parent offers in dfd's
 * cgroup.subtree_control, all in one write, then one by one if the kernel
 * refused the set. A fake tree without cgroup.controllers gets them all.
 */
static int enable_controllers(int dfd)
{
	_cleanup_free_ char *avail = NULL;
	char buf[64] = "";
	int r;

	r = jq_cg_read(dfd, "cgroup.controllers", &avail);
	if (r < 0 && r != -ENOENT)
		return r;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(wanted); i++) {
		if (avail && !list_has(avail, wanted[i]))
			continue;
		strcat(buf, buf[0] ? " +" : "+");
		strcat(buf, wanted[i]);
	}
	if (!buf[0])
		return 0;
	r = jq_cg_write(dfd, "cgroup.subtree_control", buf);
	if (r >= 0)
		return 0;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(wanted); i++) {
		char one[16];
		if (avail && !list_has(avail, wanted[i]))
			continue;
		snprintf(one, sizeof(one), "+%s", wanted[i]);
		(void)jq_cg_write(dfd, "cgroup.subtree_control", one);
	}
	return 0;
}

static int v2_delegate(struct jq_cg_set *s)
{
	int fd = unified_fd(s);

	return fd < 0 ? fd : enable_controllers(fd);
}

static int v2_setup(struct jq_cg *m, bool move_self, char **ret_err)
{
	int fd = unified_fd(&m->base);
	_cleanup_close_ int dfd = -1, own = -1;
	int r;

	if (fd < 0)
		return fd;
	if (JQ_RETRY_EINTR(mkdirat(fd, "daemon", 0700)) < 0 && errno != EEXIST) {
		*ret_err = jq_asprintf("cannot create '%s/daemon': %s", m->base.d[0].path,
				       strerror(errno));
		return -errno;
	}
	if (move_self) {
		char pid[32];
		dfd = JQ_RETRY_EINTR(openat(fd, "daemon", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		if (dfd < 0)
			return -errno;
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		r = jq_cg_write(dfd, "cgroup.procs", pid);
		if (r < 0) {
			*ret_err = jq_asprintf("cannot move jobqd into '%s/daemon': %s",
					       m->base.d[0].path, strerror(-r));
			return r;
		}
	}
	/*
	 * Our own cgroup may still hold other processes (then the kernel
	 * refuses with EBUSY and only what it already delegates is there):
	 * caps() reports what <base> really got.
	 */
	own = JQ_RETRY_EINTR(openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (own >= 0)
		(void)enable_controllers(own);
	return enable_controllers(fd);
}

static unsigned v2_caps(const struct jq_cg *m)
{
	int fd = unified_fd(&m->base);
	_cleanup_free_ char *sub = NULL;
	unsigned caps = JQ_CG_CAN_CPUACCT;

	if (fd < 0)
		return 0;
	if (jq_cg_read(fd, "cgroup.subtree_control", &sub) >= 0) {
		if (list_has(sub, "cpu"))
			caps |= JQ_CG_CAN_CPU;
		if (list_has(sub, "memory"))
			caps |= JQ_CG_CAN_MEMORY;
		if (list_has(sub, "pids"))
			caps |= JQ_CG_CAN_PIDS;
		if (list_has(sub, "io"))
			caps |= JQ_CG_CAN_IO | JQ_CG_CAN_IO_LIMIT;
	}
	if (jq_cg_has(fd, "cgroup.kill"))
		caps |= JQ_CG_CAN_KILL;
	return caps;
}

/*
 * Writes file unless the value is unset and the file absent (a controller
 * we do not have, nothing to undo). Reads the value back into *ret.
 */
static int put_i64(int fd, const char *file, int64_t v, int64_t *ret, char **ret_msg)
{
	char buf[32];
	int r;

	if (v == JQ_LIMIT_UNSET && !jq_cg_has(fd, file)) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	if (v == JQ_LIMIT_UNSET)
		snprintf(buf, sizeof(buf), "max");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, v);
	r = jq_cg_write(fd, file, buf);
	if (r >= 0)
		r = jq_cg_read_i64(fd, file, ret);
	if (r < 0)
		*ret_msg = jq_asprintf("cannot set %s to '%s': %s", file, buf, strerror(-r));
	return r;
}

static int put_cpu_max(int fd, int64_t milli, int64_t *ret, char **ret_msg)
{
	_cleanup_free_ char *back = NULL;
	char buf[64];
	long long quota, period;
	int r;

	if (milli == JQ_LIMIT_UNSET && !jq_cg_has(fd, "cpu.max")) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	if (milli == JQ_LIMIT_UNSET)
		snprintf(buf, sizeof(buf), "max %d", CPU_PERIOD_USEC);
	else
		snprintf(buf, sizeof(buf), "%" PRId64 " %d", milli * CPU_PERIOD_USEC / 1000,
			 CPU_PERIOD_USEC);
	r = jq_cg_write(fd, "cpu.max", buf);
	if (r >= 0)
		r = jq_cg_read(fd, "cpu.max", &back);
	if (r >= 0) {
		if (!strncmp(back, "max", 3))
			*ret = JQ_LIMIT_UNSET;
		else if (sscanf(back, "%lld %lld", &quota, &period) == 2 && period > 0)
			*ret = quota * 1000 / period;
		else
			r = -EBADMSG;
	}
	if (r < 0)
		*ret_msg = jq_asprintf("cannot set cpu.max to '%s': %s", buf, strerror(-r));
	return r;
}

/* memory.max, and no swap on top of it (where the host has swap accounting). */
static int put_memory(int fd, int64_t bytes, int64_t *ret, char **ret_msg)
{
	int64_t swap;
	int r = put_i64(fd, "memory.max", bytes, ret, ret_msg);

	if (r < 0 || !jq_cg_has(fd, "memory.swap.max"))
		return r;
	return put_i64(fd, "memory.swap.max", bytes == JQ_LIMIT_UNSET ? JQ_LIMIT_UNSET : 0, &swap,
		       ret_msg);
}

/* key=N of dev's line in io.max ("max" or no line: unset). */
static int io_max_get(int fd, const char *dev, const char *key, int64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t n = strlen(dev), k = strlen(key);
	int r = jq_cg_read(fd, "io.max", &s);

	if (r < 0)
		return r;
	*ret = JQ_LIMIT_UNSET;
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, dev, n) && line[n] == ' ') {
			for (char *p = line + n; (p = strstr(p, key)); p += k) {
				char *end;
				long long v;
				if (p[-1] != ' ' || p[k] != '=')
					continue;
				if (!strncmp(p + k + 1, "max", 3))
					return 0;
				errno = 0;
				v = strtoll(p + k + 1, &end, 10);
				if (errno || end == p + k + 1 || v <= 0)
					return -EBADMSG;
				*ret = v;
				return 0;
			}
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/*
 * One io.max line per device ("MAJ:MIN rbps=N wbps=N", "max" lifts a
 * cap), each read back: the effective caps are those every device holds.
 */
static int put_io_max(int fd, int64_t rbps, int64_t wbps, char *const *devs, int64_t *ret_r,
		      int64_t *ret_w, char **ret_msg)
{
	char buf[96], rs[24] = "max", ws[24] = "max";
	int r;

	*ret_r = *ret_w = JQ_LIMIT_UNSET;
	if (rbps == JQ_LIMIT_UNSET && wbps == JQ_LIMIT_UNSET && !jq_cg_has(fd, "io.max"))
		return 0;
	if (rbps != JQ_LIMIT_UNSET)
		snprintf(rs, sizeof(rs), "%" PRId64, rbps);
	if (wbps != JQ_LIMIT_UNSET)
		snprintf(ws, sizeof(ws), "%" PRId64, wbps);
	for (char *const *d = devs; d && *d; d++) {
		int64_t br = JQ_LIMIT_UNSET, bw = JQ_LIMIT_UNSET;
		snprintf(buf, sizeof(buf), "%s rbps=%s wbps=%s", *d, rs, ws);
		r = jq_cg_write(fd, "io.max", buf);
		if (r >= 0)
			r = io_max_get(fd, *d, "rbps", &br);
		if (r >= 0)
			r = io_max_get(fd, *d, "wbps", &bw);
		if (r >= 0 && (br != rbps || bw != wbps))
			r = -EIO;
		/* Lifting caps nobody set is best effort: a disk that refuses io.max has none. */
		if (r < 0 && rbps == JQ_LIMIT_UNSET && wbps == JQ_LIMIT_UNSET)
			continue;
		if (r < 0) {
			*ret_msg =
			    jq_asprintf("cannot set io.max to '%s': %s", buf,
					r == -EIO ? "it reads back otherwise" : strerror(-r));
			return r;
		}
		*ret_r = br;
		*ret_w = bw;
	}
	return 0;
}

static int v2_tenant_set(struct jq_cg_set *s, const struct jq_cg_tenant_limits *l,
			 char *const *devs, struct jq_cg_tenant_limits *ret_eff, char **ret_msg)
{
	struct jq_cg_tenant_limits eff;
	int fd = unified_fd(s), r;

	if (fd < 0)
		return fd;
	r = put_i64(fd, "cpu.weight", l->weight, &eff.weight, ret_msg);
	if (r >= 0)
		r = put_cpu_max(fd, l->cpu_max_milli, &eff.cpu_max_milli, ret_msg);
	if (r >= 0)
		r = put_memory(fd, l->memory_max, &eff.memory_max, ret_msg);
	if (r >= 0)
		r = put_i64(fd, "pids.max", l->pids_max, &eff.pids_max, ret_msg);
	if (r >= 0)
		r = put_io_max(fd, l->io_read_bps, l->io_write_bps, devs, &eff.io_read_bps,
			       &eff.io_write_bps, ret_msg);
	if (r < 0)
		return r;
	*ret_eff = eff;
	return 0;
}

static int v2_job_set(struct jq_cg_set *s, const struct jq_limits *l, struct jq_limits *ret_eff,
		      char **ret_msg)
{
	struct jq_limits eff = *l;
	int fd = unified_fd(s), r;

	if (fd < 0)
		return fd;
	r = put_cpu_max(fd, l->cpus_milli, &eff.cpus_milli, ret_msg);
	if (r >= 0)
		r = put_memory(fd, l->memory_bytes, &eff.memory_bytes, ret_msg);
	if (r >= 0)
		r = put_i64(fd, "pids.max", l->pids, &eff.pids, ret_msg);
	/* The OOM killer ends the whole job, not one process of it at random. */
	if (r >= 0 && jq_cg_has(fd, "memory.oom.group")) {
		r = jq_cg_write(fd, "memory.oom.group", "1");
		if (r < 0)
			*ret_msg =
			    jq_asprintf("cannot set memory.oom.group to '1': %s", strerror(-r));
	}
	if (r < 0)
		return r;
	*ret_eff = eff;
	return 0;
}

static int v2_kill(struct jq_cg_set *s)
{
	int fd = unified_fd(s), r;

	if (fd < 0)
		return fd;
	r = jq_cg_write(fd, "cgroup.kill", "1");
	/* Before Linux 5.14 there is no cgroup.kill: one process at a time. */
	if (r == -ENOENT || r == -EACCES)
		r = jq_cg_kill_procs(fd);
	return r < 0 ? r : 0;
}

static int v2_populated(struct jq_cg_set *s)
{
	int fd = unified_fd(s);
	int64_t v;
	int r;

	if (fd < 0)
		return fd;
	r = jq_cg_read_key(fd, "cgroup.events", "populated", &v);
	if (r == -ENOENT)
		return jq_cg_procs_any(fd);
	return r < 0 ? r : v != 0;
}

/* Sums the rbytes= and wbytes= of every device line of io.stat. */
static int io_stat(int fd, int64_t *ret_read, int64_t *ret_write)
{
	_cleanup_free_ char *s = NULL;
	long long rd = 0, wr = 0;
	int r = jq_cg_read(fd, "io.stat", &s);

	if (r < 0)
		return r;
	for (char *p = s; (p = strstr(p, "bytes=")); p += 6) {
		long long v = strtoll(p + 6, NULL, 10);
		if (p > s && p[-1] == 'r')
			rd += v;
		else if (p > s && p[-1] == 'w')
			wr += v;
	}
	*ret_read = rd;
	*ret_write = wr;
	return 0;
}

static int v2_stats(struct jq_cg_set *s, struct jq_cg_stats *ret)
{
	struct jq_cg_stats st = {-1, -1, -1, -1, -1, -1};
	int fd = unified_fd(s);

	if (fd < 0)
		return fd;
	if (jq_cg_read_key(fd, "cpu.stat", "user_usec", &st.cpu_user_usec) < 0)
		st.cpu_user_usec = -1;
	if (jq_cg_read_key(fd, "cpu.stat", "system_usec", &st.cpu_system_usec) < 0)
		st.cpu_system_usec = -1;
	if (jq_cg_read_i64(fd, "memory.peak", &st.memory_peak_bytes) < 0)
		st.memory_peak_bytes = -1;
	if (io_stat(fd, &st.io_read_bytes, &st.io_write_bytes) < 0)
		st.io_read_bytes = st.io_write_bytes = -1;
	if (jq_cg_read_key(fd, "memory.events", "oom_kill", &st.oom_kills) < 0)
		st.oom_kills = -1;
	*ret = st;
	return 0;
}

const struct jq_cg_ops jq_cg_ops_v2 = {
    .name = "v2",
    .caps = v2_caps,
    .setup = v2_setup,
    .delegate = v2_delegate,
    .tenant_set = v2_tenant_set,
    .job_set = v2_job_set,
    .kill = v2_kill,
    .populated = v2_populated,
    .stats = v2_stats,
};
