/* SPDX-License-Identifier: MIT */
/*
 * Every cgroup file read and write retries EINTR (issue 11, point 10). The
 * kernel's EINTR (v1 memory.limit_in_bytes with a signal pending) cannot
 * be made on demand, so the same error comes from FIFOs planted where the
 * cgroup files would be: opening a FIFO, reading an empty one and writing
 * a full one block, and a signal whose handler has no SA_RESTART ends the
 * blocked call with EINTR. A second thread sends the signals, each only
 * once the test's thread is seen blocked in a system call
 * (/proc/self/task/<tid>/syscall), and lets the call complete only after
 * it was interrupted several times: deterministic, no timing guesses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jq-cgroup-internal.h"
#include "jq-util.h"

/* Interruptions of each blocked call before it may complete. */
#define INTERRUPTS 3
/* Bound of every wait of the signalling thread. */
#define WAIT_NSEC (10LL * 1000 * 1000 * 1000)

static atomic_int n_signals;

static void on_alarm(int sig)
{
	(void)sig;
	atomic_fetch_add(&n_signals, 1);
}

struct peer {
	pthread_t target;
	pid_t target_tid;
	atomic_bool done; /* the call under test returned */
	const char *fifo;
	int rdwr_fd; /* write test: our reader/writer end of the FIFO */
	size_t fill; /* write test: bytes put in to fill the pipe */
	enum {
		PEER_OPEN_READ,
		PEER_WRITE_DATA,
		PEER_DRAIN
	} mode;
};

static int64_t now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pause_short(void)
{
	struct timespec ts = {0, 1000 * 1000};

	nanosleep(&ts, NULL);
}

/* True while the thread sits in a system call ("running" when it does not). */
static bool in_syscall(pid_t tid)
{
	char path[64], buf[64] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] >= '0' && buf[0] <= '9';
}

/* Interrupts the target INTERRUPTS times while it is blocked. */
static bool interrupt(struct peer *p)
{
	for (int i = 1; i <= INTERRUPTS; i++) {
		int64_t deadline = now_nsec() + WAIT_NSEC;
		while (!in_syscall(p->target_tid) || atomic_load(&n_signals) != i - 1) {
			if (atomic_load(&p->done) || now_nsec() > deadline)
				return false;
			pause_short();
		}
		pthread_kill(p->target, SIGALRM);
		while (atomic_load(&n_signals) < i) {
			if (now_nsec() > deadline)
				return false;
			pause_short();
		}
	}
	return true;
}

static void *peer_run(void *arg)
{
	struct peer *p = arg;
	int64_t deadline;
	int fd = -1;

	if (!interrupt(p))
		return NULL;
	deadline = now_nsec() + WAIT_NSEC;
	switch (p->mode) {
	case PEER_OPEN_READ:
		/* The reader's open returns once a writer is there. */
		while (fd < 0 && !atomic_load(&p->done) && now_nsec() < deadline) {
			fd = open(p->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				pause_short();
		}
		if (fd < 0)
			return NULL;
		/* Now it blocks in read(): interrupt that too, then feed it. */
		atomic_store(&n_signals, 0);
		if (interrupt(p))
			(void)!write(fd, "42\n", 3);
		close(fd);
		break;
	case PEER_WRITE_DATA:
		break;
	case PEER_DRAIN: {
		char buf[4096];
		size_t left = p->fill;
		while (left > 0 && now_nsec() < deadline) {
			ssize_t n = read(p->rdwr_fd, buf, left < sizeof(buf) ? left : sizeof(buf));
			if (n > 0)
				left -= (size_t)n;
			else
				pause_short();
		}
		break;
	}
	}
	return NULL;
}

struct fixture {
	char dir[64];
	int dfd;
	struct sigaction old;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	/* No SA_RESTART: a blocked call the handler interrupts fails with EINTR. */
	struct sigaction sa = {.sa_handler = on_alarm};

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/jq-eintr.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sigemptyset(&sa.sa_mask);
	if (f->dfd < 0 || sigaction(SIGALRM, &sa, &f->old) < 0)
		return -1;
	atomic_store(&n_signals, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sigaction(SIGALRM, &f->old, NULL);
	close(f->dfd);
	jq_rm_rf(f->dir);
	free(f);
	return 0;
}

static void peer_start(struct peer *p, pthread_t *t)
{
	p->target = pthread_self();
	p->target_tid = (pid_t)syscall(SYS_gettid);
	assert_int_equal(pthread_create(t, NULL, peer_run, p), 0);
}

/* open(2) and read(2) of a cgroup file, interrupted three times each. */
static void test_read_retries_eintr(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *fifo = jq_asprintf("%s/memory.limit_in_bytes", f->dir);
	struct peer p = {.fifo = fifo, .mode = PEER_OPEN_READ};
	pthread_t t;
	int64_t v = -1;
	int r;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	peer_start(&p, &t);
	r = jq_cg_read_i64(f->dfd, "memory.limit_in_bytes", &v);
	atomic_store(&p.done, true);
	pthread_join(t, NULL);
	assert_int_equal(r, 0);
	assert_int_equal(v, 42);
	assert_int_equal(atomic_load(&n_signals), INTERRUPTS);
}

/* write(2) of a cgroup file, interrupted three times while it blocks. */
static void test_write_retries_eintr(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *fifo = jq_asprintf("%s/memory.limit_in_bytes", f->dir);
	struct peer p = {.fifo = fifo, .mode = PEER_DRAIN};
	char buf[4096] = {0}, got[16] = "";
	pthread_t t;
	ssize_t n;
	int r;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Reader and writer at once: opening never blocks, the pipe can be filled. */
	p.rdwr_fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(p.rdwr_fd >= 0);
	while ((n = write(p.rdwr_fd, buf, sizeof(buf))) > 0)
		p.fill += (size_t)n;
	assert_true(p.fill > 0);
	peer_start(&p, &t);
	r = jq_cg_write(f->dfd, "memory.limit_in_bytes", "-1");
	atomic_store(&p.done, true);
	pthread_join(t, NULL);
	assert_int_equal(r, 0);
	assert_int_equal(atomic_load(&n_signals), INTERRUPTS);
	n = read(p.rdwr_fd, got, sizeof(got) - 1);
	assert_int_equal(n, 2);
	assert_string_equal(got, "-1");
	close(p.rdwr_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_retries_eintr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_retries_eintr, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
