/* SPDX-License-Identifier: MIT */
/*
 * The job's seccomp filter (executor/jq-exec-sandbox.c) loaded in a forked
 * child: set-id modes refused (EPERM) through every system call that sets
 * a mode, the same calls without the bits allowed, openat2 ENOSYS,
 * io_uring EPERM. Each check is a numbered step; the child exits with the
 * number of the first that failed.
 */
#include "exec-fixture.h"
#include "jq-exec-internal.h"

#include <linux/openat2.h>
#include <sys/sysmacros.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* x86-64, i386, arm64: the unified numbers */
#endif

/* 1 when the call failed with want, else 0. */
static int refused(long rv, int want)
{
	return rv < 0 && errno == want;
}

static int child_checks(const char *dir)
{
	struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 0644};
	void *ctx = NULL;
	int dfd, fd, step = 0;

	if (chdir(dir) < 0 || (dfd = open(".", O_RDONLY | O_DIRECTORY)) < 0)
		return 100;
	fd = open("f", O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || mkdir("d", 0755) < 0)
		return 101;
	if (jq_exec_sandbox_seccomp_new(&ctx) < 0 || jq_exec_sandbox_seccomp_load(ctx) < 0)
		return 102;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		step++;                                                                            \
		if (!(cond))                                                                       \
			return step;                                                               \
	} while (0)
	CHECK(refused(chmod("f", 04755), EPERM));				   /* 1 */
	CHECK(refused(chmod("f", 02755), EPERM));				   /* 2 */
	CHECK(refused(fchmod(fd, 04700), EPERM));				   /* 3 */
	CHECK(refused(fchmodat(dfd, "f", 06755, 0), EPERM));			   /* 4 */
	CHECK(refused(syscall(SYS_fchmodat2, dfd, "f", 04755, 0), EPERM));	   /* 5 */
	CHECK(refused(chmod("d", 02755), EPERM));				   /* 6 */
	CHECK(refused(open("g", O_CREAT | O_WRONLY, 04755), EPERM));		   /* 7 */
	CHECK(refused(openat(dfd, "g", O_CREAT | O_WRONLY, 02755), EPERM));	   /* 8 */
	CHECK(refused(creat("g", 04755), EPERM));				   /* 9 */
	CHECK(refused(open(".", O_TMPFILE | O_WRONLY, 04755), EPERM));		   /* 10 */
	CHECK(refused(mknod("g", S_IFREG | 04755, 0), EPERM));			   /* 11 */
	CHECK(refused(mknodat(dfd, "g", S_IFREG | 02755, 0), EPERM));		   /* 12 */
	CHECK(refused(syscall(SYS_openat2, dfd, "g", &how, sizeof(how)), ENOSYS)); /* 13 */
	CHECK(refused(syscall(SYS_io_uring_setup, 1, NULL), EPERM));		   /* 14 */
	/* The same without the bits, and a mode open(2) ignores (no O_CREAT). */
	CHECK(chmod("f", 0755) == 0);				/* 15 */
	CHECK(fchmod(fd, 01777) == 0);				/* 16 */
	CHECK(chmod("d", 0700) == 0);				/* 17 */
	CHECK(close(open("f", O_RDONLY, 04755)) == 0);		/* 18 */
	CHECK(close(open("h", O_CREAT | O_WRONLY, 0755)) == 0); /* 19 */
	CHECK(mknod("i", S_IFREG | 0644, 0) == 0);		/* 20 */
#undef CHECK
	return 0;
}

static void test_seccomp_setid(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks(f->dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("seccomp check %d failed (see the numbered list)", WEXITSTATUS(status));
	/* Nothing was created or changed with the bits. */
	_cleanup_free_ char *g = path_join(f->dir, "g");
	_cleanup_free_ char *d = path_join(f->dir, "d");
	assert_int_equal(lstat(g, &st), -1);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_seccomp_setid, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
