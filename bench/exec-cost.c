/* SPDX-License-Identifier: MIT */
/*
 * exec-cost N JOBQ_EXEC DIR CGROUP_NAME BWRAP: what starting one job with
 * full isolation costs, without the daemon, the socket or the database,
 * beside bubblewrap and a bare posix_spawn, interleaved (one of each per
 * round, N rounds) so that a host whose load changes during the run treats
 * all four alike. Per job it does what jobqd's jq_runner_start and
 * run_finish do around the helper: creates and limits the job's cgroup
 * (jq_cg_job_create, under a tenant parent made once), writes the spec (the
 * sandbox settings jobqd writes: its database, socket, config and state
 * directory hidden, a private /tmp, no network, seccomp), runs
 * `jobq-exec <run-dir>` with posix_spawn, waits for it, reads the result
 * and removes the cgroup. The job is /bin/true as nobody. The four cases:
 *   full   the above;
 *   nocg   the same without a job cgroup: sandbox, records and logs, what
 *          bubblewrap does plus jobq's bookkeeping;
 *   bwrap  BWRAP --unshare-all --ro-bind / / --dev /dev --proc /proc
 *          --tmpfs /tmp /bin/true;
 *   spawn  /bin/true.
 * Prints one line of key=value, medians in microseconds: for full and nocg
 * the round trip, the helper alone and the helper's phases as its result
 * dates them (start: exec to started_at, before the sandbox is made; run:
 * cgroup placement, sandbox, job and init until the job ended; end: cgroup
 * accounting and removal, the result written):
 *   full_us= full_helper_us= full_start_us= full_run_us= full_end_us=
 *   nocg_us= nocg_helper_us= nocg_start_us= nocg_run_us= nocg_end_us=
 *   bwrap_us= spawn_us= n= cgroup=v1|v2|none
 * Every run must exit 0. Needs root, like jobqd. DIR is a scratch
 * directory: DIR/state, DIR/work, the hidden paths.
 */
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "jq-cgroup.h"
#include "jq-exec.h"
#include "jq-job.h"
#include "jq-time.h"
#include "jq-util.h"

#define MAX_RUNS 100000
#define NOBODY	 65534

extern char **environ;

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void die(const char *what, int r, const char *msg)
{
	fprintf(stderr, "exec-cost: %s: %s%s%s\n", what, strerror(r < 0 ? -r : r), msg ? ": " : "",
		msg ? msg : "");
	exit(1);
}

/* One case's samples, microseconds, one per round. */
struct series {
	int64_t *total, *helper, *start, *run, *end;
};

/* One job through jobq-exec; returns the helper's own wall time. */
static int64_t run_one(struct jq_cg *cg, const char *exec_path, const char *dir, int64_t id,
		       struct series *ph, long round)
{
	const struct jq_limits want = {
	    .cpus_milli = 1000,
	    .memory_bytes = 256LL * 1024 * 1024,
	    .pids = 256,
	    .timeout_usec = 60LL * 1000 * 1000,
	};
	char *argv[] = {"/bin/true", NULL};
	char *env[] = {"PATH=/usr/bin:/bin", NULL, "JOBQ_TENANT=bench", NULL};
	int64_t gids[] = {NOBODY};
	_cleanup_free_ char *state = jq_asprintf("%s/state", dir);
	_cleanup_free_ char *work = jq_asprintf("%s/work", dir);
	_cleanup_free_ char *id_env = jq_asprintf("JOBQ_JOB_ID=%" PRId64, id);
	_cleanup_free_ char *run_dir = NULL;
	_cleanup_strv_ char **paths = NULL;
	_cleanup_free_ char *msg = NULL;
	char *hide[7] = {0};
	struct jq_exec_result res = {0};
	struct jq_limits eff;
	char *args[3];
	int64_t t0, t1;
	pid_t pid;
	int r, status;

	if (!state || !work || !id_env)
		die("allocation", ENOMEM, NULL);
	env[1] = id_env;
	eff = want;
	if (cg) {
		r = jq_cg_job_create(cg, "bench", id, &want, false, &eff, &paths, &msg);
		if (r < 0)
			die("job cgroup", r, msg);
	}
	run_dir = jq_exec_run_dir(state, id);
	if (!run_dir)
		die("allocation", ENOMEM, NULL);
	(void)jq_rm_rf(run_dir);
	r = jq_mkdir_p(run_dir, 0700);
	if (r < 0)
		die(run_dir, r, NULL);
	hide[0] = jq_asprintf("%s/jobq.db", dir);
	hide[1] = jq_asprintf("%s/jobq.db-wal", dir);
	hide[2] = jq_asprintf("%s/jobq.db-shm", dir);
	hide[3] = jq_asprintf("%s/jobq.sock", dir);
	hide[4] = jq_asprintf("%s/jobq.ini", dir);
	hide[5] = strdup(state);
	for (int i = 0; i < 6; i++)
		if (!hide[i])
			die("allocation", ENOMEM, NULL);
	r = jq_exec_spec_write(run_dir, &(struct jq_exec_spec){
					    .job_id = id,
					    .argv = argv,
					    .env = env,
					    .cwd = work,
					    .uid = NOBODY,
					    .gid = NOBODY,
					    .gids = gids,
					    .n_gids = 1,
					    .limits = eff,
					    .max_log_bytes = 64LL * 1024 * 1024,
					    .kill_grace_usec = 10LL * 1000 * 1000,
					    .cgroup_mode = cg ? jq_cg_mode(cg) : JQ_CG_NONE,
					    .cgroup_paths = paths,
					    .sandbox =
						{
						    .hide_paths = hide,
						    .tmp_size = JQ_EXEC_TMP_SIZE_DEFAULT,
						    .nofile = JQ_EXEC_NOFILE_DEFAULT,
						    .network = JQ_EXEC_NETWORK_NONE,
						    .seccomp = true,
						},
					});
	for (int i = 0; i < 6; i++)
		free(hide[i]);
	if (r < 0)
		die("spec", r, NULL);

	args[0] = (char *)exec_path;
	args[1] = run_dir;
	args[2] = NULL;
	t0 = jq_now_usec();
	r = posix_spawn(&pid, exec_path, NULL, NULL, args, environ);
	if (r != 0)
		die(exec_path, r, NULL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno, NULL);
	t1 = jq_now_usec();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "exec-cost: jobq-exec ended with status 0x%x\n", status);
		exit(1);
	}
	r = jq_exec_result_read(run_dir, &res);
	if (r < 0)
		die("result", r, NULL);
	if (res.status != JQ_EXEC_EXITED || res.exit_code != 0) {
		fprintf(stderr,
			"exec-cost: job %" PRId64 " did not succeed: status %d, exit %" PRId64
			", %s\n",
			id, (int)res.status, res.exit_code, res.message ? res.message : "-");
		exit(1);
	}
	ph->start[round] = res.started_at - t0;
	ph->run[round] = res.finished_at - res.started_at;
	ph->end[round] = t1 - res.finished_at;
	jq_exec_result_release(&res);
	if (cg) {
		r = jq_cg_job_remove(cg, "bench", id);
		if (r < 0)
			die("removing the job cgroup", r, NULL);
	}
	(void)jq_rm_rf(run_dir);
	return t1 - t0;
}

/* Wall time of one run of argv (posix_spawn to exit); every run must exit 0. */
static int64_t spawn_once(char **argv)
{
	int64_t t0 = jq_now_usec();
	pid_t pid;
	int r, status;

	r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0)
		die(argv[0], r, NULL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno, NULL);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "exec-cost: '%s' ended with status 0x%x\n", argv[0], status);
		exit(1);
	}
	return jq_now_usec() - t0;
}

static double median(int64_t *t, long n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_i64);
	return (double)t[n / 2];
}

static void series_alloc(struct series *s, long n)
{
	s->total = calloc((size_t)n, sizeof(int64_t));
	s->helper = calloc((size_t)n, sizeof(int64_t));
	s->start = calloc((size_t)n, sizeof(int64_t));
	s->run = calloc((size_t)n, sizeof(int64_t));
	s->end = calloc((size_t)n, sizeof(int64_t));
	if (!s->total || !s->helper || !s->start || !s->run || !s->end)
		die("allocation", ENOMEM, NULL);
}

static void series_print(const char *name, struct series *s, long n)
{
	printf("%s_us=%.1f %s_helper_us=%.1f %s_start_us=%.1f %s_run_us=%.1f %s_end_us=%.1f ", name,
	       median(s->total, n), name, median(s->helper, n), name, median(s->start, n), name,
	       median(s->run, n), name, median(s->end, n));
	free(s->total);
	free(s->helper);
	free(s->start);
	free(s->run);
	free(s->end);
}

int main(int argc, char **argv)
{
	const struct jq_cg_tenant_limits tl = {
	    .weight = 100,
	    .cpu_max_milli = 2000,
	    .memory_max = 1024LL * 1024 * 1024,
	    .pids_max = 1024,
	};
	char *bwrap_argv[] = {NULL,    "--unshare-all", "--ro-bind", "/",     "/",
			      "--dev", "/dev",		"--proc",    "/proc", "--tmpfs",
			      "/tmp",  "/bin/true",	NULL};
	char *true_argv[] = {"/bin/true", NULL};
	struct jq_cg_tenant_limits teff;
	struct jq_cg *cg = NULL;
	_cleanup_free_ char *err = NULL;
	struct series full, nocg;
	int64_t *bwrap, *spawn;
	char *end;
	long n;
	int r;

	if (argc != 6) {
		fprintf(stderr, "usage: exec-cost N JOBQ_EXEC DIR CGROUP_NAME BWRAP\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || *end || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "exec-cost: N must be 1..%d, not '%s'\n", MAX_RUNS, argv[1]);
		return 2;
	}
	bwrap_argv[0] = argv[5];
	r = jq_cg_open(&(struct jq_cg_params){.mode = JQ_CG_AUTO,
					      .root = "/sys/fs/cgroup",
					      .proc_cgroup = "/proc/self/cgroup",
					      .name = argv[4],
					      .move_self = false},
		       &cg, &err);
	if (r < 0)
		die("cgroups", r, err);
	free(err);
	err = NULL;
	r = jq_cg_tenant_apply(cg, "bench", &tl, false, &teff, &err);
	if (r < 0)
		die("tenant cgroup", r, err);
	series_alloc(&full, n);
	series_alloc(&nocg, n);
	bwrap = calloc((size_t)n, sizeof(int64_t));
	spawn = calloc((size_t)n, sizeof(int64_t));
	if (!bwrap || !spawn)
		die("allocation", ENOMEM, NULL);
	for (long i = 0; i < n; i++) {
		int64_t t0 = jq_now_usec();
		full.helper[i] = run_one(cg, argv[2], argv[3], 2 * i + 1, &full, i);
		full.total[i] = jq_now_usec() - t0;
		t0 = jq_now_usec();
		nocg.helper[i] = run_one(NULL, argv[2], argv[3], 2 * i + 2, &nocg, i);
		nocg.total[i] = jq_now_usec() - t0;
		bwrap[i] = spawn_once(bwrap_argv);
		spawn[i] = spawn_once(true_argv);
	}
	series_print("full", &full, n);
	series_print("nocg", &nocg, n);
	printf("bwrap_us=%.1f spawn_us=%.1f n=%ld cgroup=%s\n", median(bwrap, n), median(spawn, n),
	       n, jq_cg_mode_to_string(jq_cg_mode(cg)));
	jq_cg_free(cg);
	free(bwrap);
	free(spawn);
	return 0;
}
