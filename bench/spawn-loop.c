/* SPDX-License-Identifier: MIT */
/*
 * spawn-loop N CMD [ARG...]: starts CMD N times one after the other with
 * posix_spawn and waits for each, then prints the median and the mean wall
 * time of one run in microseconds ("median_us=... mean_us=... n=...").
 * bench/run times one `jobq` client process with it (no shell between the
 * clock and the process). Every run must exit 0.
 */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_RUNS 100000

extern char **environ;

static int64_t now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int64_t *t, sum = 0;
	char *end;
	long n;

	if (argc < 3) {
		fprintf(stderr, "usage: spawn-loop N CMD [ARG...]\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || *end || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "spawn-loop: N must be 1..%d, not '%s'\n", MAX_RUNS, argv[1]);
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (long i = 0; i < n; i++) {
		int64_t t0 = now_nsec();
		pid_t pid;
		int r, status;

		r = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
		if (r != 0) {
			fprintf(stderr, "spawn-loop: cannot start '%s': %s\n", argv[2],
				strerror(r));
			return 1;
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				fprintf(stderr, "spawn-loop: waitpid: %s\n", strerror(errno));
				return 1;
			}
		t[i] = now_nsec() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawn-loop: '%s' ended with status 0x%x\n", argv[2],
				status);
			return 1;
		}
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_i64);
	printf("median_us=%.1f mean_us=%.1f n=%ld\n", (double)t[n / 2] / 1000.0,
	       (double)sum / (double)n / 1000.0, n);
	free(t);
	return 0;
}
