/* SPDX-License-Identifier: MIT */
/*
 * executor/: the sandbox's path resolver (jq_exec_path_open) against a
 * fixed tree with symlinks, with openat2 and with the walk of kernels
 * without it (the test hook), which must answer alike.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "jq-exec-internal.h"
#include "jq-util.h"
#include "path-fixture.h"

struct fixture {
	char dir[PATH_MAX];
	int root;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || path_fixture_make(f->dir) < 0)
		return -1;
	f->root = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->root < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->root);
	jq_rm_rf(f->dir);
	free(f);
	jq_exec_path_force_walk(false);
	return 0;
}

static const struct {
	const char *path;
	enum jq_exec_path_flags flags;
	int want; /* 0: an fd of exactly that path, else -errno */
} cases[] = {
    {"/", JQ_EXEC_PATH_DIR, 0},
    {"/a", JQ_EXEC_PATH_DIR, 0},
    {"/a/b/c", JQ_EXEC_PATH_DIR, 0},
    {"/a/f", 0, 0},
    {"/a/f", JQ_EXEC_PATH_DIR, -ENOTDIR},
    {"/a/f/x", 0, -ENOTDIR},
    {"/missing", 0, -ENOENT},
    {"/a/missing/x", JQ_EXEC_PATH_DIR, -ENOENT},
    /* Symlinks: last component, middle component, every direction. */
    {"/l-a", JQ_EXEC_PATH_DIR, -ELOOP},
    {"/l-a", 0, -ELOOP},
    {"/l-a/b", JQ_EXEC_PATH_DIR, -ELOOP},
    {"/a/l-up", JQ_EXEC_PATH_DIR, -ELOOP},
    {"/a/l-up/a", 0, -ELOOP},
    {"/a/l-abs", JQ_EXEC_PATH_DIR, -ELOOP},
    {"/a/l-abs/etc", 0, -ELOOP},
    {"/a/b/l-f", 0, -ELOOP},
    {"/l-dangling", 0, -ELOOP},
    {"/l-proc", JQ_EXEC_PATH_DIR, -ELOOP},
    {"/l-proc/cwd", JQ_EXEC_PATH_DIR, -ELOOP},
    {"/l-proc/root/etc", JQ_EXEC_PATH_DIR, -ELOOP},
    /* Not canonical: refused before any lookup. */
    {"", 0, -EINVAL},
    {"a", 0, -EINVAL},
    {"/a/", JQ_EXEC_PATH_DIR, -EINVAL},
    {"//a", 0, -EINVAL},
    {"/a//b", 0, -EINVAL},
    {"/a/./b", 0, -EINVAL},
    {"/a/b/..", 0, -EINVAL},
    {"/..", 0, -EINVAL},
    {"/a/..", 0, -EINVAL},
    {"/.", 0, -EINVAL},
};

static void check_cases(struct fixture *f)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		int fd = jq_exec_path_open(f->root, cases[i].path, cases[i].flags);
		if (fd != cases[i].want && !(fd >= 0 && cases[i].want == 0))
			fail_msg("'%s': got %d, want %d", cases[i].path, fd, cases[i].want);
		if (fd < 0)
			continue;
		if (!path_fixture_fd_is(fd, f->dir, cases[i].path))
			fail_msg("'%s': the fd is not at that path", cases[i].path);
		assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		assert_int_equal(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
		close(fd);
	}
}

static void test_openat2(void **state)
{
	jq_exec_path_force_walk(false);
	check_cases(*state);
}

static void test_walk(void **state)
{
	jq_exec_path_force_walk(true);
	check_cases(*state);
}

static void test_too_long(void **state)
{
	struct fixture *f = *state;
	char name[NAME_MAX + 3], deep[PATH_MAX + 8];

	memset(name, 'x', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	for (int walk = 0; walk < 2; walk++) {
		jq_exec_path_force_walk(walk);
		assert_int_equal(jq_exec_path_open(f->root, name, 0), -ENAMETOOLONG);
	}
	for (size_t i = 0; i + 2 < sizeof(deep); i += 2)
		memcpy(deep + i, "/a", 2);
	deep[sizeof(deep) - 1 - (sizeof(deep) - 1) % 2] = '\0';
	assert_int_equal(jq_exec_path_open(f->root, deep, 0), -ENAMETOOLONG);
}

/* A search the caller's fsuid may not make fails as it would for the job. */
static void test_fsuid(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX + 8];
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	snprintf(p, sizeof(p), "%s/a/b", f->dir);
	assert_int_equal(chmod(p, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = 1;
		(void)setfsgid(65534);
		(void)setfsuid(65534);
		for (int walk = 0; walk < 2; walk++) {
			jq_exec_path_force_walk(walk);
			ok &= jq_exec_path_open(f->root, "/a/b/c", JQ_EXEC_PATH_DIR) == -EACCES;
			ok &= jq_exec_path_open(f->root, "/a/b", JQ_EXEC_PATH_DIR) >= 0;
		}
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_kernel_fs(void **state)
{
	struct fixture *f = *state;
	int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(jq_exec_path_kernel_fs(fd), 1);
	close(fd);
	assert_int_equal(jq_exec_path_kernel_fs(f->root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_openat2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fsuid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_fs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
