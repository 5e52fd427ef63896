/* SPDX-License-Identifier: MIT */
/*
 * A small fixed tree with symlinks of every kind, for the tests of the
 * sandbox's path resolver (jq_exec_path_open): test-exec-path.c and the
 * fuzz harness tests/fuzz/fuzz-path.c.
 *
 *   a/ a/b/ a/b/c/ a/f       directories and a file
 *   a/l-up -> ..             relative, upwards
 *   a/l-abs -> /             absolute, to the host's root
 *   a/b/l-f -> ../f          to a file
 *   l-a -> a                 to a directory, at the top
 *   l-dangling -> nowhere
 *   l-proc -> /proc/self     into procfs (magic links beyond)
 */
#ifndef TEST_PATH_FIXTURE_H
#define TEST_PATH_FIXTURE_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Makes the tree in a new directory below /tmp; writes its canonical path
 * (no symlink in it) to dir. Returns 0 or -1.
 */
static inline int path_fixture_make(char dir[PATH_MAX])
{
	static const char *const dirs[] = {"a", "a/b", "a/b/c"};
	static const char *const links[][2] = {
	    {"..", "a/l-up"}, {"/", "a/l-abs"},		 {"../f", "a/b/l-f"},
	    {"a", "l-a"},     {"nowhere", "l-dangling"}, {"/proc/self", "l-proc"},
	};
	char tmpl[] = "/tmp/jq-path-XXXXXX", p[PATH_MAX];
	int fd;

	if (!mkdtemp(tmpl) || !realpath(tmpl, dir) || chmod(dir, 0755) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
		if (mkdir(p, 0755) < 0)
			return -1;
	}
	snprintf(p, sizeof(p), "%s/a/f", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, links[i][1]);
		if (symlink(links[i][0], p) < 0)
			return -1;
	}
	return 0;
}

/* True if no prefix of path (canonical, absolute) below dir is a symlink. */
static inline bool path_fixture_no_symlink(const char *dir, const char *path)
{
	char p[PATH_MAX * 2];
	size_t n = (size_t)snprintf(p, sizeof(p), "%s", dir);

	for (const char *s = path; *s && n < sizeof(p) - 1;) {
		struct stat st;
		const char *e = strchr(s + 1, '/');
		size_t k = e ? (size_t)(e - s) : strlen(s);
		if (n + k >= sizeof(p))
			return true;
		memcpy(p + n, s, k);
		n += k;
		p[n] = '\0';
		if (lstat(p, &st) < 0)
			return true;
		if (S_ISLNK(st.st_mode))
			return false;
		s += k;
	}
	return true;
}

/* True if fd is open on exactly dir + path ("/" is dir itself). */
static inline bool path_fixture_fd_is(int fd, const char *dir, const char *path)
{
	char link[64], got[PATH_MAX + 1], want[PATH_MAX * 2];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, got, sizeof(got) - 1);
	if (n < 0)
		return false;
	got[n] = '\0';
	snprintf(want, sizeof(want), "%s%s", dir, strcmp(path, "/") ? path : "");
	return !strcmp(got, want);
}

#endif
