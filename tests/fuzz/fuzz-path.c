/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the sandbox's path resolution (jq_path_canonical and
 * jq_exec_path_open, with openat2 and with the walk of kernels without it)
 * on arbitrary paths against a small fixed tree with symlinks
 * (tests/unit/path-fixture.h). It must never return an fd whose path is not
 * exactly the lexically joined one, never an fd reached through a symlink,
 * and both ways must answer alike.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../unit/path-fixture.h"
#include "jq-exec-internal.h"
#include "jq-paths.h"
#include "jq-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX];
static int root = -1;

static void fixture_remove(void)
{
	jq_rm_rf(dir);
}

static int resolve(const char *path, enum jq_exec_path_flags flags, bool walk, struct stat *st)
{
	int fd;

	jq_exec_path_force_walk(walk);
	fd = jq_exec_path_open(root, path, flags);
	if (fd < 0)
		return fd;
	/* The object at exactly the path's text, never a symlink or what one leads to. */
	if (!path_fixture_fd_is(fd, dir, path) || !path_fixture_no_symlink(dir, path))
		abort();
	if (fstat(fd, st) < 0 || S_ISLNK(st->st_mode) ||
	    ((flags & JQ_EXEC_PATH_DIR) && !S_ISDIR(st->st_mode)))
		abort();
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum jq_exec_path_flags flags;
	struct stat a, b;
	char *path;
	int ra, rb;

	if (root < 0) {
		if (path_fixture_make(dir) < 0)
			abort();
		atexit(fixture_remove);
		root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			abort();
	}
	if (size == 0 || size > 2 * PATH_MAX)
		return 0;
	/* The first byte chooses the flags; the rest is the path. */
	flags = data[0] & 1 ? JQ_EXEC_PATH_DIR : 0;
	path = malloc(size);
	if (!path)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	ra = resolve(path, flags, false, &a);
	rb = resolve(path, flags, true, &b);
	if (!jq_path_canonical(path) && (ra != -EINVAL || rb != -EINVAL))
		abort();
	/* openat2 and the walk: the same answer, the same object. */
	if (ra != rb || (ra == 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino)))
		abort();
	free(path);
	return 0;
}
