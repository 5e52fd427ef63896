/* SPDX-License-Identifier: MIT */
/*
 * What the unit tests of common/ share: includes, size units, and a
 * temporary directory per test binary. Included by test-common.c,
 * test-protocol.c and test-files.c only.
 */
#ifndef TEST_COMMON_FIXTURE_H
#define TEST_COMMON_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jq-job.h"
#include "jq-log.h"
#include "jq-parse.h"
#include "jq-paths.h"
#include "jq-protocol.h"
#include "jq-time.h"
#include "jq-util.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)
#define SEC UINT64_C(1000000)

/* What a parser must leave in its output when it fails. */
#define UNTOUCHED UINT64_C(0xdeadbeefcafef00d)

static char tmpdir[] = "/tmp/jq-test-common-XXXXXX";

_unused_ static int setup_dir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

_unused_ static int remove_dir(void **state)
{
	return jq_rm_rf(tmpdir);
}

_unused_ static char *tmp_path(const char *name)
{
	char *p = jq_asprintf("%s/%s", tmpdir, name);
	assert_non_null(p);
	return p;
}

_unused_ static void write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(jq_write_all(fd, text, strlen(text)), 0);
}

_unused_ static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

#endif
