/* SPDX-License-Identifier: MIT */
/*
 * bench/isolation: the cost of starting one job in its sandbox. Runs
 * /bin/true N times three ways and prints the median wall time of each:
 *   spawn   a bare posix_spawn + waitpid, the floor;
 *   bwrap   bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc
 *           --tmpfs /tmp /bin/true, the same isolation by bubblewrap;
 *   jobq    jobq-exec <run-dir>: the whole helper, sandbox (user, pid,
 *           mount, net, ipc, uts, cgroup namespaces, mounts, caps,
 *           seccomp, setsid) plus its logs and its result record; no cgroup;
 *   and bwrap as above with --new-session (setsid, which jobq does).
 * Usage: isolation JOBQ_EXEC RUN_DIR [N]   (run by bench/isolation.sh)
 */
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jq-exec.h"

extern char **environ;

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wall time of one run of argv to its exit, or -1 if it failed. */
static int64_t run_once(char **argv)
{
	int64_t t0 = mono_usec();
	pid_t pid;
	int st;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return mono_usec() - t0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp64);
	return t[n / 2];
}

/*
 * The cases run interleaved, one run of each per round, so that
 * load from anything else on the host weighs on all of them alike.
 */
static void measure(char **argv[], int ncases, int n, int64_t ret[])
{
	int64_t *t[8];

	for (int k = 0; k < ncases; k++) {
		t[k] = calloc((size_t)n, sizeof(int64_t));
		if (!t[k])
			exit(1);
		/* One warm-up run: page cache, dynamic loader. */
		if (run_once(argv[k]) < 0) {
			fprintf(stderr, "isolation: '%s' failed\n", argv[k][0]);
			exit(1);
		}
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < ncases; k++)
			if ((t[k][i] = run_once(argv[k])) < 0) {
				fprintf(stderr, "isolation: '%s' failed on run %d\n", argv[k][0],
					i);
				exit(1);
			}
	for (int k = 0; k < ncases; k++) {
		ret[k] = median(t[k], n);
		free(t[k]);
	}
}

int main(int argc, char **argv)
{
	char *true_argv[] = {"/bin/true", NULL};
	char *bwrap_argv[] = {"/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/",     "/",
			      "--dev",		"/dev",		 "--proc",    "/proc", "--tmpfs",
			      "/tmp",		"/bin/true",	 NULL};
	char *bwrap_sess_argv[] = {"/usr/bin/bwrap",
				   "--unshare-all",
				   "--new-session",
				   "--ro-bind",
				   "/",
				   "/",
				   "--dev",
				   "/dev",
				   "--proc",
				   "/proc",
				   "--tmpfs",
				   "/tmp",
				   "/bin/true",
				   NULL};
	char *env[] = {"PATH=/usr/bin:/bin", NULL};
	struct jq_exec_spec s = {
	    .job_id = 1,
	    .argv = true_argv,
	    .env = env,
	    .cwd = "/var/tmp", /* bound read-write, like any working directory */
	    .uid = 65534,
	    .gid = 65534,
	    .limits = {-1, -1, -1, -1},
	    .max_log_bytes = 1 << 20,
	    .kill_grace_usec = 1000000,
	    .sandbox = {.seccomp = true},
	};
	int n = argc > 3 ? atoi(argv[3]) : 200;
	int64_t bare, bw, jq;
	int r;

	if (argc < 3 || n < 1) {
		fprintf(stderr, "usage: isolation JOBQ_EXEC RUN_DIR [N]\n");
		return 2;
	}
	r = jq_exec_spec_write(argv[2], &s);
	if (r < 0) {
		fprintf(stderr, "isolation: cannot write the spec: %s\n", strerror(-r));
		return 1;
	}
	char *jq_argv[] = {argv[1], argv[2], NULL};
	char **cases[4] = {true_argv, bwrap_argv, jq_argv, bwrap_sess_argv};
	int64_t med[4], bws;
	measure(cases, 4, n, med);
	bare = med[0];
	bw = med[1];
	jq = med[2];
	bws = med[3];
	printf("runs per case: %d (medians, interleaved)\n", n);
	printf("spawn  /bin/true          %8.2f ms\n", bare / 1000.0);
	printf("bwrap  --unshare-all ...  %8.2f ms  (+%.2f ms over spawn, %.1fx)\n", bw / 1000.0,
	       (bw - bare) / 1000.0, (double)bw / (double)bare);
	printf("jobq   jobq-exec          %8.2f ms  (+%.2f ms over spawn, %.1fx)\n", jq / 1000.0,
	       (jq - bare) / 1000.0, (double)jq / (double)bare);
	printf("bwrap  ... --new-session  %8.2f ms  (+%.2f ms over spawn: bwrap with setsid, "
	       "as jobq does)\n",
	       bws / 1000.0, (bws - bare) / 1000.0);
	printf("jobq / bwrap: %.2f (setup over spawn: %.2f); jobq / bwrap --new-session: %.2f\n",
	       (double)jq / (double)bw, (double)(jq - bare) / (double)(bw - bare),
	       (double)jq / (double)bws);
	return 0;
}
