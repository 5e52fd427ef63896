/* SPDX-License-Identifier: MIT */
/*
 * Opening a path a user controls without letting the user redirect it
 * (docs/sandbox.md, "Paths"). The sandbox mounts what it opens here, so
 * the object must be the one at exactly the path's text: no symlink, no
 * magic link of /proc, no "." or "..". openat2(RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH) does that in one call; kernels
 * before 5.6 get a walk one component at a time with O_PATH | O_NOFOLLOW
 * that refuses a symlink it lands on (never a plain open, which would
 * follow it: LXC's fallback did, and crun's ignored O_NOFOLLOW once).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jq-exec-internal.h"
#include "jq-paths.h"
#include "jq-util.h"

/*
 * openat2 with RESOLVE_BENEATH answers EAGAIN when a rename or mount
 * anywhere raced the walk; without ".." in the path that is rare, and a
 * few retries are plenty (libpathrs and runc retry 128 times or 2 ms).
 */
#define OPENAT2_RETRIES 32

static bool force_walk;

void jq_exec_path_force_walk(bool on)
{
	force_walk = on;
}

static int open_openat2(int root_fd, const char *rel, int oflags)
{
	struct open_how how = {
	    .flags = (uint64_t)oflags,
	    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH,
	};

	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

/* Takes fd: returns it if it is no symlink (and a directory if want_dir), else closes it. */
static int type_check(int fd, bool want_dir)
{
	struct stat st;
	int r = 0;

	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISLNK(st.st_mode))
		r = -ELOOP;
	else if (want_dir && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* One component below dir_fd, never through a symlink. */
static int open_component(int dir_fd, const char *name, bool want_dir)
{
	int fd;

	/*
	 * O_PATH | O_NOFOLLOW opens a symlink itself instead of its target;
	 * no O_DIRECTORY here, which would turn that into ENOTDIR.
	 */
	do
		fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	return type_check(fd, want_dir);
}

int jq_exec_path_next(const char **rel, char name[NAME_MAX + 1])
{
	const char *end = strchrnul(*rel, '/');
	size_t n = (size_t)(end - *rel);

	if (n == 0)
		return 0;
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, *rel, n);
	name[n] = '\0';
	*rel = *end ? end + 1 : end;
	return 1;
}

static int open_walk(int root_fd, const char *rel, bool want_dir)
{
	char name[NAME_MAX + 1];
	int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 3), r;

	if (dir < 0)
		return -errno;
	while ((r = jq_exec_path_next(&rel, name)) > 0) {
		/* Every component but the last is a directory to search. */
		int fd = open_component(dir, name, *rel ? true : want_dir);
		close(dir);
		if (fd < 0)
			return fd;
		dir = fd;
	}
	if (r < 0) {
		close(dir);
		return r;
	}
	return dir;
}

int jq_exec_path_open(int root_fd, const char *path, enum jq_exec_path_flags flags)
{
	bool want_dir = flags & JQ_EXEC_PATH_DIR;
	int r;

	if (!jq_path_canonical(path))
		return -EINVAL;
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (path[1] == '\0') {
		r = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
		return r < 0 ? -errno : r;
	}
	if (!force_walk) {
		/*
		 * With O_PATH | O_NOFOLLOW a trailing symlink is opened itself,
		 * even under RESOLVE_NO_SYMLINKS (openat2(2)): the type check
		 * below refuses it, as the walk does (O_DIRECTORY would make
		 * that ENOTDIR).
		 */
		r = open_openat2(root_fd, path + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		/* ENOSYS: before 5.6; E2BIG / EINVAL: a kernel without these resolve flags. */
		if (r >= 0)
			return type_check(r, want_dir);
		if (r != -ENOSYS && r != -E2BIG && r != -EINVAL)
			return r;
	}
	return open_walk(root_fd, path + 1, want_dir);
}

/*
 * Filesystems of the kernel's own state: a job's working directory or a
 * bound path on one of them would give the job the host's processes,
 * devices or cgroup tree, wherever an administrator mounted it.
 */
static const unsigned long kernel_fs_types[] = {
    PROC_SUPER_MAGIC,
    SYSFS_MAGIC,
    CGROUP_SUPER_MAGIC,
    CGROUP2_SUPER_MAGIC,
    DEVPTS_SUPER_MAGIC,
    SECURITYFS_MAGIC,
    DEBUGFS_MAGIC,
    TRACEFS_MAGIC,
    BPF_FS_MAGIC,
    SELINUX_MAGIC,
    SMACK_MAGIC,
    PSTOREFS_MAGIC,
    EFIVARFS_MAGIC,
    BINFMTFS_MAGIC,
    0x19800202 /* mqueue */,
    NSFS_MAGIC,
    0x65735543 /* fusectl */,
};

int jq_exec_path_kernel_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -errno;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(kernel_fs_types); i++)
		if ((unsigned long)sf.f_type == kernel_fs_types[i])
			return 1;
	return 0;
}
