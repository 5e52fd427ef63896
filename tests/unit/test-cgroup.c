/* SPDX-License-Identifier: MIT */
/*
 * The cgroup manager against fake cgroupfs trees in a temporary directory:
 * plain directories and files, so that what the backends write can be read
 * back and what the kernel would report can be planted. Covers the v2
 * backend (delegation, limits, placement, kill, accounting), the v1
 * conversions on a hybrid layout with a nested memory cgroup, the none
 * mode, refusal of limits the host cannot enforce, and the spec/result
 * fields of the job cgroup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jq-cgroup.h"
#include "jq-exec.h"
#include "jq-util.h"

#define MIB (1024 * 1024)

struct fake {
	char root[64];
	char proc[128];
	char sysblk[128]; /* a fake /sys/block */
};

static void put_file(const char *path, const char *data)
{
	_cleanup_free_ char *dir = strdup(path);
	FILE *f;

	assert_non_null(dir);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(jq_mkdir_p(dir, 0755), 0);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void putf(const struct fake *fk, const char *rel, const char *data)
{
	_cleanup_free_ char *p = jq_asprintf("%s/%s", fk->root, rel);

	put_file(p, data);
}

/* The file's content, with a trailing newline removed; NULL if absent. */
static char *getf(const struct fake *fk, const char *rel)
{
	_cleanup_free_ char *p = jq_asprintf("%s/%s", fk->root, rel);
	char *data = NULL;
	size_t n;

	if (jq_read_file(p, 65536, &data, &n) < 0)
		return NULL;
	if (n && data[n - 1] == '\n')
		data[n - 1] = '\0';
	return data;
}

static void assert_file(const struct fake *fk, const char *rel, const char *want)
{
	_cleanup_free_ char *got = getf(fk, rel);

	if (!got)
		fail_msg("'%s' is missing", rel);
	if (strcmp(got, want))
		fail_msg("'%s' holds '%s', want '%s'", rel, got, want);
}

static int fake_setup(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));

	assert_non_null(fk);
	strcpy(fk->root, "/tmp/jq-cgtest.XXXXXX");
	assert_non_null(mkdtemp(fk->root));
	snprintf(fk->proc, sizeof(fk->proc), "%s/proc-self-cgroup", fk->root);
	snprintf(fk->sysblk, sizeof(fk->sysblk), "%s/sys-block", fk->root);
	*state = fk;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *fk = *state;

	(void)jq_rm_rf(fk->root);
	free(fk);
	return 0;
}

/* A block device in the fake /sys/block; real ones have a device link. */
static void fake_disk(const struct fake *fk, const char *name, const char *dev, bool real)
{
	_cleanup_free_ char *d = jq_asprintf("sys-block/%s/dev", name);
	_cleanup_free_ char *link = jq_asprintf("%s/%s/device", fk->sysblk, name);
	_cleanup_free_ char *hw = jq_asprintf("%s/devices/%s", fk->root, name);

	putf(fk, d, dev);
	if (real) {
		assert_int_equal(jq_mkdir_p(hw, 0755), 0);
		assert_int_equal(symlink(hw, link), 0);
	}
}

/* Two disks, and what the device list must leave out: loop, zram, a bad dev file. */
static void fake_disks(const struct fake *fk)
{
	fake_disk(fk, "vdb", "254:16\n", true);
	fake_disk(fk, "vda", "254:0\n", true);
	fake_disk(fk, "loop0", "7:0\n", false);
	fake_disk(fk, "zram0", "253:0\n", false);
	fake_disk(fk, "odd", "not-a-dev\n", true);
}

/* A unified host where we run in /svc/jq: the parent offers cpu memory pids io. */
static struct jq_cg *open_v2(struct fake *fk, const char *avail)
{
	struct jq_cg_params p = {.mode = JQ_CG_V2,
				 .root = fk->root,
				 .proc_cgroup = fk->proc,
				 .name = "jq",
				 .move_self = true,
				 .sys_block = fk->sysblk};
	_cleanup_free_ char *err = NULL;
	struct jq_cg *m = NULL;

	put_file(fk->proc, "0::/svc/jq\n");
	putf(fk, "cgroup.procs", "");
	putf(fk, "svc/jq/cgroup.controllers", avail);
	putf(fk, "svc/jq/jq/cgroup.controllers", avail);
	putf(fk, "svc/jq/jq/cgroup.kill", "");
	if (jq_cg_open(&p, &m, &err) < 0)
		fail_msg("jq_cg_open: %s", err ? err : "?");
	return m;
}

static void test_v2_tree(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v2(fk, "cpuset cpu io memory pids\n");
	_cleanup_free_ char *base = jq_asprintf("%s/svc/jq/jq", fk->root);
	char pid[32];

	assert_int_equal(jq_cg_mode(m), JQ_CG_V2);
	assert_false(jq_cg_hybrid(m));
	assert_int_equal(jq_cg_n_hier(m), 1);
	assert_string_equal(jq_cg_hier_controllers(m, 0), "unified");
	assert_string_equal(jq_cg_hier_base(m, 0), base);
	/* The daemon left <base> for <base>/daemon before enabling controllers. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_file(fk, "svc/jq/jq/daemon/cgroup.procs", pid);
	assert_file(fk, "svc/jq/cgroup.subtree_control", "+cpu +memory +pids +io");
	assert_file(fk, "svc/jq/jq/cgroup.subtree_control", "+cpu +memory +pids +io");
	assert_int_equal(jq_cg_caps(m), JQ_CG_CAN_CPU | JQ_CG_CAN_MEMORY | JQ_CG_CAN_PIDS |
					    JQ_CG_CAN_KILL | JQ_CG_CAN_CPUACCT | JQ_CG_CAN_IO |
					    JQ_CG_CAN_IO_LIMIT);
	jq_cg_free(m);
}

/* A jobqd restarted inside the daemon/ cgroup of its predecessor reuses the tree. */
static void test_v2_restart_in_daemon_cgroup(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v2(fk, "cpu memory pids\n");
	struct jq_cg_params p = {.mode = JQ_CG_V2,
				 .root = fk->root,
				 .proc_cgroup = fk->proc,
				 .name = "jq",
				 .move_self = true};
	_cleanup_free_ char *base = jq_asprintf("%s/svc/jq/jq", fk->root);
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ char *nested = jq_asprintf("%s/svc/jq/jq/daemon/jq", fk->root);

	jq_cg_free(m);
	m = NULL;
	put_file(fk->proc, "0::/svc/jq/jq/daemon\n");
	if (jq_cg_open(&p, &m, &err) < 0)
		fail_msg("jq_cg_open from the daemon cgroup: %s", err ? err : "?");
	assert_string_equal(jq_cg_hier_base(m, 0), base);
	assert_int_equal(access(nested, F_OK), -1);
	jq_cg_free(m);
}

static void test_v2_tenant_limits(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v2(fk, "cpu io memory pids");
	struct jq_cg_tenant_limits l = {300, 500, 64 * MIB, 40, -1, -1}, eff;
	_cleanup_free_ char *msg = NULL;

	/* Swap accounting exists for this tenant: no swap on top of memory_max. */
	putf(fk, "svc/jq/jq/tenants/acme/memory.swap.max", "max");
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_null(msg);
	assert_file(fk, "svc/jq/jq/tenants/cgroup.subtree_control", "+cpu +memory +pids +io");
	assert_file(fk, "svc/jq/jq/tenants/acme/cgroup.subtree_control", "+cpu +memory +pids +io");
	assert_file(fk, "svc/jq/jq/tenants/acme/cpu.weight", "300");
	assert_file(fk, "svc/jq/jq/tenants/acme/cpu.max", "50000 100000");
	assert_file(fk, "svc/jq/jq/tenants/acme/memory.max", "67108864");
	assert_file(fk, "svc/jq/jq/tenants/acme/memory.swap.max", "0");
	assert_file(fk, "svc/jq/jq/tenants/acme/pids.max", "40");
	assert_int_equal(eff.weight, 300);
	assert_int_equal(eff.cpu_max_milli, 500);
	assert_int_equal(eff.memory_max, 64 * MIB);
	assert_int_equal(eff.pids_max, 40);

	/* A reload back to no caps undoes them ("max"), the weight back to 100. */
	l = (struct jq_cg_tenant_limits){100, -1, -1, -1, -1, -1};
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_file(fk, "svc/jq/jq/tenants/acme/cpu.weight", "100");
	assert_file(fk, "svc/jq/jq/tenants/acme/cpu.max", "max 100000");
	assert_file(fk, "svc/jq/jq/tenants/acme/memory.max", "max");
	assert_file(fk, "svc/jq/jq/tenants/acme/memory.swap.max", "max");
	assert_file(fk, "svc/jq/jq/tenants/acme/pids.max", "max");
	assert_int_equal(eff.cpu_max_milli, -1);
	assert_int_equal(eff.memory_max, -1);

	/* A tenant name is one path component. */
	assert_int_equal(jq_cg_tenant_apply(m, "../evil", &l, true, &eff, &msg), -EINVAL);
	jq_cg_free(m);
}

static int scan_cb(const char *tenant, int64_t id, void *userdata)
{
	assert_string_equal(tenant, "acme");
	assert_int_equal(id, 7);
	(*(int *)userdata)++;
	return 0;
}

static void test_v2_job(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v2(fk, "cpu io memory pids");
	struct jq_cg_tenant_limits tl = {100, -1, -1, -1, -1, -1}, teff;
	struct jq_limits l = {250, 32 * MIB, JQ_LIMIT_UNSET, 5000000}, eff;
	_cleanup_strv_ char **paths = NULL;
	_cleanup_free_ char *msg = NULL, *want = NULL;
	struct jq_cg_job *j = NULL;
	struct jq_cg_stats st;
	int n = 0;

	assert_int_equal(jq_cg_tenant_apply(m, "acme", &tl, true, &teff, &msg), 0);
	/* The kernel's file exists once the tenant delegates memory. */
	putf(fk, "svc/jq/jq/tenants/acme/job-7/memory.oom.group", "0");
	assert_int_equal(jq_cg_job_create(m, "acme", 7, &l, true, &eff, &paths, &msg), 0);
	assert_null(msg);
	assert_file(fk, "svc/jq/jq/tenants/acme/job-7/memory.oom.group", "1");
	assert_file(fk, "svc/jq/jq/tenants/acme/job-7/cpu.max", "25000 100000");
	assert_file(fk, "svc/jq/jq/tenants/acme/job-7/memory.max", "33554432");
	assert_int_equal(eff.cpus_milli, 250);
	assert_int_equal(eff.memory_bytes, 32 * MIB);
	assert_int_equal(eff.pids, JQ_LIMIT_UNSET);
	assert_int_equal(eff.timeout_usec, 5000000);
	want = jq_asprintf("unified:%s/svc/jq/jq/tenants/acme/job-7", fk->root);
	assert_int_equal(jq_strv_length(paths), 1);
	assert_string_equal(paths[0], want);

	/* jobq-exec's side: place before release, kill, accounting, removal. */
	assert_int_equal(jq_cg_job_open(JQ_CG_V2, paths, &j), 0);
	assert_true(jq_cg_job_clone_fd(j) >= 0);
	assert_int_equal(jq_cg_job_place(j, 4242), 0);
	assert_file(fk, "svc/jq/jq/tenants/acme/job-7/cgroup.procs", "4242");
	putf(fk, "svc/jq/jq/tenants/acme/job-7/cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(jq_cg_job_populated(j), 1);
	assert_int_equal(jq_cg_job_kill(j), 0);
	assert_file(fk, "svc/jq/jq/tenants/acme/job-7/cgroup.kill", "1");
	putf(fk, "svc/jq/jq/tenants/acme/job-7/cgroup.events", "populated 0\nfrozen 0\n");
	assert_int_equal(jq_cg_job_populated(j), 0);
	assert_int_equal(jq_cg_job_kill_all(j), 0);
	putf(fk, "svc/jq/jq/tenants/acme/job-7/cpu.stat",
	     "usage_usec 350123\nuser_usec 250100\nsystem_usec 100023\nnr_periods 0\n");
	putf(fk, "svc/jq/jq/tenants/acme/job-7/memory.peak", "104857600\n");
	putf(fk, "svc/jq/jq/tenants/acme/job-7/io.stat",
	     "8:0 rbytes=4096 wbytes=52428800 rios=1 wios=400 dbytes=0 dios=0\n"
	     "8:16 rbytes=1000 wbytes=24 rios=1 wios=1 dbytes=0 dios=0\n");
	putf(fk, "svc/jq/jq/tenants/acme/job-7/memory.events",
	     "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
	assert_int_equal(jq_cg_job_stats(j, &st), 0);
	assert_int_equal(st.cpu_user_usec, 250100);
	assert_int_equal(st.cpu_system_usec, 100023);
	assert_int_equal(st.memory_peak_bytes, 100 * MIB);
	assert_int_equal(st.io_read_bytes, 5096);
	assert_int_equal(st.io_write_bytes, 52428824);
	assert_int_equal(st.oom_kills, 1);

	/* The leftover is found by a scan, and removed (a fake dir holds files: empty it). */
	assert_int_equal(jq_cg_job_scan(m, scan_cb, &n), 0);
	assert_int_equal(n, 1);
	{
		_cleanup_free_ char *dir = jq_asprintf("%s/svc/jq/jq/tenants/acme/job-7", fk->root);
		DIR *d = opendir(dir);
		struct dirent *de;
		assert_non_null(d);
		while ((de = readdir(d)))
			if (de->d_type == DT_REG)
				assert_int_equal(unlinkat(dirfd(d), de->d_name, 0), 0);
		closedir(d);
		assert_int_equal(jq_cg_job_destroy(j), 0);
		assert_int_equal(access(dir, F_OK), -1);
	}
	jq_cg_job_free(j);
	jq_cg_free(m);
}

static void test_v2_refuse_or_warn(void **state)
{
	struct fake *fk = *state;
	/* The parent offers no memory controller. */
	struct jq_cg *m = open_v2(fk, "cpu pids");
	struct jq_cg_tenant_limits l = {100, -1, 64 * MIB, -1, -1, -1}, eff;
	struct jq_limits jl = {JQ_LIMIT_UNSET, 16 * MIB, 10, JQ_LIMIT_UNSET}, jeff;
	_cleanup_strv_ char **paths = NULL;
	char *msg = NULL;

	assert_false(jq_cg_caps(m) & JQ_CG_CAN_MEMORY);
	assert_true(jq_cg_caps(m) & JQ_CG_CAN_PIDS);
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), -EOPNOTSUPP);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "memory_max"));
	assert_non_null(strstr(msg, "cannot be enforced"));
	free(msg);
	msg = NULL;
	/* enforce = warn: dropped, said, and not in the effective limits. */
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, false, &eff, &msg), 0);
	assert_non_null(msg);
	assert_int_equal(eff.memory_max, JQ_LIMIT_UNSET);
	free(msg);
	msg = NULL;
	assert_int_equal(jq_cg_job_create(m, "acme", 3, &jl, true, &jeff, &paths, &msg),
			 -EOPNOTSUPP);
	assert_non_null(strstr(msg, "memory"));
	free(msg);
	msg = NULL;
	assert_int_equal(jq_cg_job_create(m, "acme", 3, &jl, false, &jeff, &paths, &msg), 0);
	assert_non_null(msg);
	assert_int_equal(jeff.memory_bytes, JQ_LIMIT_UNSET);
	assert_int_equal(jeff.pids, 10);
	assert_file(fk, "svc/jq/jq/tenants/acme/job-3/pids.max", "10");
	free(msg);
	jq_cg_free(m);
}

/* A hybrid host like ours: memory nested, the others at /, cgroup2 at unified. */
static struct jq_cg *open_v1(struct fake *fk)
{
	struct jq_cg_params p = {.mode = JQ_CG_V1,
				 .root = fk->root,
				 .proc_cgroup = fk->proc,
				 .name = "jq-t",
				 .sys_block = fk->sysblk};
	_cleanup_free_ char *err = NULL;
	struct jq_cg *m = NULL;

	put_file(fk->proc, "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
			   "4:memory:/process_api/f3d3\n2:cpuacct:/\n1:cpu:/\n0::/\n");
	fake_disks(fk);
	putf(fk, "pids/cgroup.procs", "");
	putf(fk, "blkio/cgroup.procs", "");
	putf(fk, "freezer/cgroup.procs", "");
	putf(fk, "devices/cgroup.procs", "");
	putf(fk, "memory/cgroup.procs", "");
	putf(fk, "memory/process_api/f3d3/cgroup.procs", "");
	putf(fk, "cpuacct/cgroup.procs", "");
	putf(fk, "cpu/cgroup.procs", "");
	putf(fk, "unified/cgroup.procs", "");
	putf(fk, "unified/jq-t/cgroup.kill", "");
	putf(fk, "memory/process_api/f3d3/jq-t/tenants/acme/memory.memsw.limit_in_bytes",
	     "9223372036854771712");
	if (jq_cg_open(&p, &m, &err) < 0)
		fail_msg("jq_cg_open: %s", err ? err : "?");
	return m;
}

static void test_v1_conversions(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v1(fk);
	struct jq_cg_tenant_limits l = {300, 500, 64 * MIB, 40, -1, -1}, eff;
	struct jq_limits jl = {1500, JQ_LIMIT_UNSET, 20, JQ_LIMIT_UNSET}, jeff;
	_cleanup_strv_ char **paths = NULL;
	_cleanup_free_ char *msg = NULL;
	bool seen_mem = false;

	assert_int_equal(jq_cg_mode(m), JQ_CG_V1);
	assert_true(jq_cg_hybrid(m));
	/* pids, blkio, freezer, memory, cpuacct, cpu, unified; never devices or name=systemd. */
	assert_int_equal(jq_cg_n_hier(m), 7);
	assert_int_equal(jq_cg_caps(m), JQ_CG_CAN_CPU | JQ_CG_CAN_MEMORY | JQ_CG_CAN_PIDS |
					    JQ_CG_CAN_KILL | JQ_CG_CAN_CPUACCT |
					    JQ_CG_CAN_IO_LIMIT);
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_file(fk, "cpu/jq-t/tenants/acme/cpu.shares", "3072");
	assert_file(fk, "cpu/jq-t/tenants/acme/cpu.cfs_period_us", "100000");
	assert_file(fk, "cpu/jq-t/tenants/acme/cpu.cfs_quota_us", "50000");
	assert_file(fk, "memory/process_api/f3d3/jq-t/tenants/acme/memory.limit_in_bytes",
		    "67108864");
	assert_file(fk, "memory/process_api/f3d3/jq-t/tenants/acme/memory.memsw.limit_in_bytes",
		    "67108864");
	assert_file(fk, "pids/jq-t/tenants/acme/pids.max", "40");
	assert_int_equal(eff.weight, 300);
	assert_int_equal(eff.cpu_max_milli, 500);
	assert_int_equal(eff.memory_max, 64 * MIB);
	assert_int_equal(eff.pids_max, 40);

	/* The largest weight maps inside cpu.shares' range; caps lifted read back as none. */
	l = (struct jq_cg_tenant_limits){10000, -1, -1, -1, -1, -1};
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_file(fk, "cpu/jq-t/tenants/acme/cpu.shares", "102400");
	assert_file(fk, "cpu/jq-t/tenants/acme/cpu.cfs_quota_us", "-1");
	assert_file(fk, "memory/process_api/f3d3/jq-t/tenants/acme/memory.limit_in_bytes", "-1");
	assert_int_equal(eff.weight, 10000);
	assert_int_equal(eff.cpu_max_milli, -1);

	assert_int_equal(jq_cg_job_create(m, "acme", 12, &jl, true, &jeff, &paths, &msg), 0);
	assert_file(fk, "cpu/jq-t/tenants/acme/job-12/cpu.cfs_quota_us", "150000");
	assert_file(fk, "pids/jq-t/tenants/acme/job-12/pids.max", "20");
	assert_int_equal(jeff.cpus_milli, 1500);
	assert_int_equal(jeff.pids, 20);
	assert_int_equal(jq_strv_length(paths), 7);
	for (char **p = paths; *p; p++) {
		/* blk-throttle is flat on v1: the job runs in its tenant's blkio cgroup. */
		if (!strncmp(*p, "blkio:", 6)) {
			_cleanup_free_ char *want =
			    jq_asprintf("blkio:%s/blkio/jq-t/tenants/acme", fk->root);
			_cleanup_free_ char *job =
			    jq_asprintf("%s/blkio/jq-t/tenants/acme/job-12", fk->root);
			assert_string_equal(*p, want);
			assert_int_equal(access(job, F_OK), -1);
		}
		if (!strncmp(*p, "memory:", 7)) {
			_cleanup_free_ char *want = jq_asprintf(
			    "memory:%s/memory/process_api/f3d3/jq-t/tenants/acme/job-12", fk->root);
			assert_string_equal(*p, want);
			seen_mem = true;
		}
	}
	assert_true(seen_mem);

	/* Accounting: cpu from the unified cpu.stat, memory from memory.*. */
	{
		struct jq_cg_job *j = NULL;
		struct jq_cg_stats st;
		assert_int_equal(jq_cg_job_open(JQ_CG_V1, paths, &j), 0);
		assert_int_equal(jq_cg_job_clone_fd(j), -1);
		assert_int_equal(jq_cg_job_place(j, 77), 0);
		assert_file(fk, "memory/process_api/f3d3/jq-t/tenants/acme/job-12/cgroup.procs",
			    "77");
		assert_file(fk, "unified/jq-t/tenants/acme/job-12/cgroup.procs", "77");
		assert_file(fk, "blkio/jq-t/tenants/acme/cgroup.procs", "77");
		putf(fk, "unified/jq-t/tenants/acme/job-12/cpu.stat",
		     "usage_usec 1000\nuser_usec 700\nsystem_usec 300\n");
		putf(fk,
		     "memory/process_api/f3d3/jq-t/tenants/acme/job-12/memory.max_usage_in_bytes",
		     "2097152\n");
		putf(fk, "memory/process_api/f3d3/jq-t/tenants/acme/job-12/memory.oom_control",
		     "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
		assert_int_equal(jq_cg_job_stats(j, &st), 0);
		assert_int_equal(st.cpu_user_usec, 700);
		assert_int_equal(st.cpu_system_usec, 300);
		assert_int_equal(st.memory_peak_bytes, 2 * MIB);
		assert_int_equal(st.oom_kills, 2);
		assert_int_equal(st.io_write_bytes, -1);
		assert_int_equal(jq_cg_job_kill(j), 0);
		assert_file(fk, "unified/jq-t/tenants/acme/job-12/cgroup.kill", "1");
		jq_cg_job_free(j);
	}
	jq_cg_free(m);
}

/* Plain v1 without the unified mount: cpu time is cpuacct's exact total split by ticks. */
static void test_v1_cpuacct(void **state)
{
	struct fake *fk = *state;
	struct jq_cg_params p = {
	    .mode = JQ_CG_V1, .root = fk->root, .proc_cgroup = fk->proc, .name = "jq"};
	_cleanup_free_ char *err = NULL, *path = NULL;
	struct jq_cg *m = NULL;
	struct jq_cg_job *j = NULL;
	struct jq_cg_stats st;
	char *paths[2];

	put_file(fk->proc, "2:cpu,cpuacct:/\n0::/\n");
	putf(fk, "cpu,cpuacct/cgroup.procs", "");
	assert_int_equal(jq_cg_open(&p, &m, &err), 0);
	assert_false(jq_cg_hybrid(m));
	assert_int_equal(jq_cg_caps(m), JQ_CG_CAN_CPU | JQ_CG_CAN_CPUACCT);
	path = jq_asprintf("cpu,cpuacct:%s/cpu,cpuacct/jq", fk->root);
	paths[0] = path;
	paths[1] = NULL;
	putf(fk, "cpu,cpuacct/jq/cpuacct.usage", "1000000000\n");
	putf(fk, "cpu,cpuacct/jq/cpuacct.usage_user", "600000000\n");
	putf(fk, "cpu,cpuacct/jq/cpuacct.usage_sys", "200000000\n");
	assert_int_equal(jq_cg_job_open(JQ_CG_V1, paths, &j), 0);
	assert_int_equal(jq_cg_job_stats(j, &st), 0);
	assert_int_equal(st.cpu_user_usec, 750000);
	assert_int_equal(st.cpu_system_usec, 250000);
	assert_int_equal(st.memory_peak_bytes, -1);
	jq_cg_job_free(j);
	jq_cg_free(m);
}

static void test_block_devices(void **state)
{
	struct fake *fk = *state;
	_cleanup_strv_ char **devs = NULL, **none = NULL;
	_cleanup_free_ char *missing = jq_asprintf("%s/nonexistent", fk->root);

	fake_disks(fk);
	assert_int_equal(jq_cg_block_devices(fk->sysblk, &devs), 0);
	/* Sorted; loop0 and zram0 have no device link, odd's dev file is no MAJ:MIN. */
	assert_int_equal(jq_strv_length(devs), 2);
	assert_string_equal(devs[0], "254:0");
	assert_string_equal(devs[1], "254:16");
	assert_int_equal(jq_cg_block_devices(missing, &none), 0);
	assert_int_equal(jq_strv_length(none), 0);
}

static void test_v2_io(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v2(fk, "cpu io memory pids");
	struct jq_cg_tenant_limits l = {100, -1, -1, -1, 50 * MIB, 10 * MIB}, eff;
	_cleanup_free_ char *vdb = jq_asprintf("%s/vdb", fk->sysblk);
	char *msg = NULL;

	/* No block device: the caps cannot be enforced. */
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "tenant 'acme'"));
	assert_non_null(strstr(msg, "io_read_bps"));
	assert_non_null(strstr(msg, "no block device"));
	free(msg);
	msg = NULL;

	fake_disks(fk);
	assert_true(jq_cg_caps(m) & JQ_CG_CAN_IO_LIMIT);
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_null(msg);
	assert_file(fk, "svc/jq/jq/tenants/acme/cgroup.subtree_control", "+cpu +memory +pids +io");
	/* One write per device (the kernel keeps a line each): vdb's is the last. */
	assert_file(fk, "svc/jq/jq/tenants/acme/io.max", "254:16 rbps=52428800 wbps=10485760");
	assert_int_equal(eff.io_read_bps, 50 * MIB);
	assert_int_equal(eff.io_write_bps, 10 * MIB);

	/* vda got its line too (vdb gone from the list), read back as the kernel shows it. */
	assert_int_equal(jq_rm_rf(vdb), 0);
	l.io_read_bps = -1;
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_file(fk, "svc/jq/jq/tenants/acme/io.max", "254:0 rbps=max wbps=10485760");
	assert_int_equal(eff.io_read_bps, JQ_LIMIT_UNSET);
	assert_int_equal(eff.io_write_bps, 10 * MIB);

	/* A reload without caps lifts them. */
	l.io_write_bps = -1;
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_file(fk, "svc/jq/jq/tenants/acme/io.max", "254:0 rbps=max wbps=max");
	assert_int_equal(eff.io_write_bps, JQ_LIMIT_UNSET);
	jq_cg_free(m);

	/* Without the io controller: refused, or dropped with enforce = warn. */
	m = open_v2(fk, "cpu memory pids");
	l.io_write_bps = 10 * MIB;
	assert_false(jq_cg_caps(m) & JQ_CG_CAN_IO_LIMIT);
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "io_write_bps"));
	assert_non_null(strstr(msg, "no io controller"));
	free(msg);
	msg = NULL;
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, false, &eff, &msg), 0);
	assert_non_null(msg);
	assert_int_equal(eff.io_write_bps, JQ_LIMIT_UNSET);
	free(msg);
	jq_cg_free(m);
}

static void test_v1_io(void **state)
{
	struct fake *fk = *state;
	struct jq_cg *m = open_v1(fk);
	struct jq_cg_tenant_limits l = {100, -1, -1, -1, 50 * MIB, 10 * MIB}, eff;
	_cleanup_free_ char *msg = NULL;

	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_null(msg);
	assert_file(fk, "blkio/jq-t/tenants/acme/blkio.throttle.read_bps_device",
		    "254:16 52428800");
	assert_file(fk, "blkio/jq-t/tenants/acme/blkio.throttle.write_bps_device",
		    "254:16 10485760");
	assert_int_equal(eff.io_read_bps, 50 * MIB);
	assert_int_equal(eff.io_write_bps, 10 * MIB);
	/* 0 removes a device's cap; the kernel then lists no line for it. */
	l.io_read_bps = -1;
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &l, true, &eff, &msg), 0);
	assert_file(fk, "blkio/jq-t/tenants/acme/blkio.throttle.read_bps_device", "254:16 0");
	assert_int_equal(eff.io_read_bps, JQ_LIMIT_UNSET);
	assert_int_equal(eff.io_write_bps, 10 * MIB);
	jq_cg_free(m);
}

/* Plain v1 with blkio: killing or waiting for a job never touches its tenant's blkio cgroup. */
static void test_v1_blkio_place_only(void **state)
{
	struct fake *fk = *state;
	struct jq_cg_params p = {.mode = JQ_CG_V1,
				 .root = fk->root,
				 .proc_cgroup = fk->proc,
				 .name = "jq",
				 .sys_block = fk->sysblk};
	struct jq_cg_tenant_limits tl = {100, -1, -1, -1, -1, 10 * MIB}, teff;
	struct jq_limits l = {JQ_LIMIT_UNSET, JQ_LIMIT_UNSET, 10, JQ_LIMIT_UNSET}, eff;
	_cleanup_strv_ char **paths = NULL;
	_cleanup_free_ char *err = NULL, *msg = NULL, *other = NULL;
	struct jq_cg *m = NULL;
	struct jq_cg_job *j = NULL;
	pid_t child;
	int status;

	put_file(fk->proc, "8:pids:/\n7:blkio:/\n");
	putf(fk, "pids/cgroup.procs", "");
	putf(fk, "blkio/cgroup.procs", "");
	fake_disks(fk);
	assert_int_equal(jq_cg_open(&p, &m, &err), 0);
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &tl, true, &teff, &msg), 0);
	assert_int_equal(jq_cg_job_create(m, "acme", 5, &l, true, &eff, &paths, &msg), 0);
	assert_int_equal(jq_strv_length(paths), 2);
	assert_int_equal(jq_cg_job_open(JQ_CG_V1, paths, &j), 0);

	/* Another job of the tenant, in the tenant's blkio cgroup. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	other = jq_asprintf("%d\n", (int)child);
	putf(fk, "blkio/jq/tenants/acme/cgroup.procs", other);
	putf(fk, "pids/jq/tenants/acme/job-5/cgroup.procs", "");
	assert_int_equal(jq_cg_job_populated(j), 0);
	assert_int_equal(jq_cg_job_kill(j), 0);
	assert_int_equal(jq_cg_job_kill_all(j), 0);
	assert_int_equal(waitpid(child, &status, WNOHANG), 0);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	jq_cg_job_free(j);
	jq_cg_free(m);
}

/* Forcing v2 where no cgroup2 is mounted fails instead of building a tree in a plain directory. */
static void test_v2_forced_on_plain_dir(void **state)
{
	struct fake *fk = *state;
	struct jq_cg_params p = {
	    .mode = JQ_CG_V2, .root = fk->root, .proc_cgroup = fk->proc, .name = "jq"};
	_cleanup_free_ char *err = NULL, *made = jq_asprintf("%s/jq", fk->root);
	struct jq_cg *m = NULL;

	put_file(fk->proc, "0::/\n");
	assert_int_equal(jq_cg_open(&p, &m, &err), -ENOMEDIUM);
	assert_non_null(strstr(err, "is not a cgroup2 mount"));
	assert_int_equal(access(made, F_OK), -1);
}

static void test_none(void **state)
{
	struct jq_cg_params p = {.mode = JQ_CG_NONE, .root = "/nonexistent", .name = "jq"};
	struct jq_limits l = {JQ_LIMIT_UNSET, 64 * MIB, JQ_LIMIT_UNSET, 1000000}, eff;
	struct jq_cg_tenant_limits tl = {100, -1, -1, -1, -1, -1}, teff;
	_cleanup_strv_ char **paths = NULL;
	char *msg = NULL, *err = NULL;
	struct jq_cg *m = NULL;

	assert_int_equal(jq_cg_open(&p, &m, &err), 0);
	assert_int_equal(jq_cg_mode(m), JQ_CG_NONE);
	assert_int_equal(jq_cg_caps(m), 0);
	assert_int_equal(jq_cg_n_hier(m), 0);
	/* Weight 100 is every tenant's: not a demand. */
	assert_int_equal(jq_cg_tenant_apply(m, "acme", &tl, true, &teff, &msg), 0);
	assert_null(msg);
	assert_int_equal(jq_cg_job_create(m, "acme", 1, &l, true, &eff, &paths, &msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "cgroup mode none"));
	free(msg);
	msg = NULL;
	l.memory_bytes = JQ_LIMIT_UNSET;
	assert_int_equal(jq_cg_job_create(m, "acme", 1, &l, true, &eff, &paths, &msg), 0);
	assert_int_equal(jq_strv_length(paths), 0);
	assert_int_equal(eff.timeout_usec, 1000000);
	assert_int_equal(jq_cg_job_remove(m, "acme", 1), 0);
	/* Checked alone at submit; pids hold without cgroups (RLIMIT_NPROC). */
	l.memory_bytes = 64 * MIB;
	l.pids = 50;
	assert_int_equal(jq_cg_job_check(m, &l, true, &msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "limit memory (bytes) '67108864' cannot be enforced"));
	free(msg);
	msg = NULL;
	l.memory_bytes = JQ_LIMIT_UNSET;
	assert_int_equal(jq_cg_job_check(m, &l, true, &msg), 0);
	assert_null(msg);
	jq_strv_free(TAKE_PTR(paths));
	assert_int_equal(jq_cg_job_create(m, "acme", 1, &l, true, &eff, &paths, &msg), 0);
	assert_int_equal(eff.pids, 50);
	jq_cg_free(m);
}

static void test_spec_result_fields(void **state)
{
	struct fake *fk = *state;
	char *argv[] = {"true", NULL};
	char *paths[] = {"memory:/sys/fs/cgroup/memory/x/job-1", "unified:/sys/fs/cgroup/unified/x",
			 NULL};
	char *bad[] = {"memory:relative/path", NULL};
	struct jq_exec_spec s = {.job_id = 1,
				 .argv = argv,
				 .cwd = "/",
				 .limits = jq_limits_unset(),
				 .max_log_bytes = 4096,
				 .cgroup_mode = JQ_CG_V1,
				 .cgroup_paths = paths};
	struct jq_exec_spec back = {0};
	struct jq_exec_result res = {.job_id = 1,
				     .exit_code = 0,
				     .signal = -1,
				     .started_at = 1,
				     .finished_at = 2,
				     .acct = {-1, -1, -1, -1, -1, -1, -1},
				     .oom_kills = 3,
				     .cgroup_note = "cannot remove"};
	struct jq_exec_result rback = {0};

	/* The other fields of the spec as jobqd sets them (default sandbox values). */
	s.sandbox.tmp_size = 64 * MIB;
	s.sandbox.nofile = 1024;
	assert_int_equal(jq_exec_spec_write(fk->root, &s), 0);
	assert_int_equal(jq_exec_spec_read(fk->root, &back), 0);
	assert_int_equal(back.sandbox.nproc, JQ_EXEC_NPROC_DEFAULT); /* absent: the default */
	jq_exec_spec_release(&back);
	s.sandbox.nproc = 64;
	assert_int_equal(jq_exec_spec_write(fk->root, &s), 0);
	assert_int_equal(jq_exec_spec_read(fk->root, &back), 0);
	assert_int_equal(back.sandbox.nproc, 64);
	assert_int_equal(back.cgroup_mode, JQ_CG_V1);
	assert_int_equal(jq_strv_length(back.cgroup_paths), 2);
	assert_string_equal(back.cgroup_paths[1], paths[1]);
	jq_exec_spec_release(&back);

	s.cgroup_paths = bad;
	assert_int_equal(jq_exec_spec_write(fk->root, &s), 0);
	assert_int_equal(jq_exec_spec_read(fk->root, &back), -EBADMSG);

	assert_int_equal(jq_exec_result_write(fk->root, &res), 0);
	assert_int_equal(jq_exec_result_read(fk->root, &rback), 0);
	assert_int_equal(rback.oom_kills, 3);
	assert_string_equal(rback.cgroup_note, "cannot remove");
	jq_exec_result_release(&rback);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_v2_tree, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_restart_in_daemon_cgroup, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_tenant_limits, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_job, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_refuse_or_warn, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v1_conversions, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v1_cpuacct, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_block_devices, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_io, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v1_io, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v1_blkio_place_only, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_forced_on_plain_dir, fake_setup, fake_teardown),
	    cmocka_unit_test(test_none),
	    cmocka_unit_test_setup_teardown(test_spec_result_fields, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
