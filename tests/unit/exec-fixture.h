/* SPDX-License-Identifier: MIT */
/*
 * What the executor/ unit tests share: includes and a run directory per
 * test (mkdtemp). Included by test-executor.c and test-exec-record.c only.
 */
#ifndef TEST_EXEC_FIXTURE_H
#define TEST_EXEC_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <linux/capability.h>

#include "jq-exec.h"
#include "jq-protocol.h"
#include "jq-time.h"
#include "jq-util.h"

/* Longest a helper run may take in these tests before it counts as hung. */
#define HELPER_DEADLINE_MS 30000

struct fixture {
	char dir[64];
};

_unused_ static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/jq-test-exec-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	/* Jobs run as nobody when we are root (sandbox): they must reach the dir. */
	if (chmod(f->dir, 0755) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

_unused_ static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	jq_rm_rf(f->dir);
	free(f);
	return 0;
}

_unused_ static char *path_join(const char *dir, const char *name)
{
	char *p = jq_asprintf("%s/%s", dir, name);

	assert_non_null(p);
	return p;
}

_unused_ static void file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(jq_write_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, mode), 0);
}

_unused_ static char *file_read(const char *dir, const char *name, size_t *ret_len)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char *data = NULL;

	assert_int_equal(jq_read_file(path, 16 * 1024 * 1024, &data, ret_len), 0);
	return data;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

#endif
