/*
 * jqvm-hog: the workloads of the VM cgroup tests, built statically on the
 * host and shipped in the initramfs (busybox alone cannot allocate a known
 * amount of memory or burn an exact amount of CPU).
 *
 *   jqvm-hog mem MIB               allocate and touch MIB MiB, then exit 0
 *   jqvm-hog burn MSEC [MIB]       touch MIB MiB and free them, then burn CPU
 *                                  until this process has used MSEC ms (user
 *                                  + system) and print what it used
 *   jqvm-hog write FILE MIB        write MIB MiB to FILE, fsync, close
 *   jqvm-hog spin SEC              busy loop for SEC seconds of wall time
 *   jqvm-hog gate DIR [CPU]        wait for DIR/go, busy loop until DIR/stop,
 *                                  pinned to CPU if given
 *   jqvm-hog sleep TOKEN           sleep forever (TOKEN marks it in ps)
 *   jqvm-hog forkbomb              fork forever; never exits by itself
 *
 * The token in argv lets the test find the process from outside the job's
 * pid namespace by scanning /proc/<pid>/cmdline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *touch(long mib)
{
	size_t n = (size_t)mib << 20;
	char *p;

	if (mib <= 0)
		return NULL;
	p = malloc(n);
	if (!p) {
		perror("malloc");
		exit(2);
	}
	/* One write per page makes every page resident and charged. */
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void spin_until_wall(double end)
{
	volatile unsigned long x = 0;

	while (now(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 100000; i++)
			x++;
}

static int exists(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "mem") && argc == 3) {
		/* Not freed: the pages stay charged until exit. */
		char *p = touch(atol(argv[2]));

		__asm__ volatile("" : : "r"(p) : "memory");
		return 0;
	}
	if (!strcmp(mode, "burn") && argc >= 3) {
		double want = atof(argv[2]) / 1000.0;
		volatile unsigned long x = 0;

		/*
		 * Freed before burning, so that the unmapping (expensive under
		 * emulation) is inside the self-measured CPU time, not after it;
		 * memory.peak still saw the pages.
		 */
		free(touch(argc > 3 ? atol(argv[3]) : 0));
		while (now(CLOCK_PROCESS_CPUTIME_ID) < want)
			for (int i = 0; i < 10000; i++)
				x++;
		printf("cpu %.6f\n", now(CLOCK_PROCESS_CPUTIME_ID));
		return 0;
	}
	if (!strcmp(mode, "write") && argc == 4) {
		static char buf[1 << 20];
		long mib = atol(argv[3]);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0) {
			perror(argv[2]);
			return 2;
		}
		memset(buf, 'x', sizeof(buf));
		for (long i = 0; i < mib; i++) {
			size_t off = 0;

			while (off < sizeof(buf)) {
				ssize_t n = write(fd, buf + off, sizeof(buf) - off);

				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					perror("write");
					return 2;
				}
				off += (size_t)n;
			}
		}
		if (fsync(fd) < 0 || close(fd) < 0) {
			perror("fsync");
			return 2;
		}
		return 0;
	}
	if (!strcmp(mode, "spin") && argc == 3) {
		spin_until_wall(now(CLOCK_MONOTONIC) + atof(argv[2]));
		return 0;
	}
	if (!strcmp(mode, "gate") && (argc == 3 || argc == 4)) {
		volatile unsigned long x = 0;
		struct timespec tick = {0, 5 * 1000 * 1000};

		if (argc == 4) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(atoi(argv[3]), &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0) {
				perror("sched_setaffinity");
				return 2;
			}
		}
		while (!exists(argv[2], "go"))
			nanosleep(&tick, NULL);
		while (!exists(argv[2], "stop"))
			for (int i = 0; i < 1000000; i++)
				x++;
		return 0;
	}
	if (!strcmp(mode, "sleep") && argc == 3) {
		for (;;)
			pause();
	}
	if (!strcmp(mode, "forkbomb") && argc == 2) {
		struct timespec tick = {0, 1000 * 1000};

		for (;;) {
			pid_t p = fork();

			/* EAGAIN at pids.max is the point; back off, never exit. */
			if (p < 0)
				nanosleep(&tick, NULL);
		}
	}
	fprintf(stderr, "usage: jqvm-hog mem MIB | burn MSEC [MIB] | write FILE MIB | spin SEC | "
			"gate DIR [CPU] | "
			"sleep TOKEN | forkbomb\n");
	return 64;
}
