/* SPDX-License-Identifier: MIT */
/*
 * The job's mount namespace: the host's tree read-only, hidden paths
 * covered, the working directory and the tenant's rw_paths / ro_paths
 * bound, fresh /proc, /sys and /tmp, a minimal /dev. This runs in the
 * sandbox's init with the capabilities of the job's user namespace only,
 * and looks every path up with the job's fsuid, fsgid and groups.
 *
 * Every path here may be under the job's user's control, and that user
 * can rename, swap (RENAME_EXCHANGE) and symlink while we work. So
 * (docs/sandbox.md, "Paths"):
 * - each path is resolved once, with jq_exec_path_open() (no symlink, no
 *   magic link, no "..": the object at exactly the path's text), and
 *   everything after works on that fd: checks with fstat/fstatfs, the
 *   clone with open_tree(fd, "", AT_EMPTY_PATH), the attach with
 *   move_mount(..., fd, "", MOVE_MOUNT_T_EMPTY_PATH). No second lookup.
 * - hides come first, on the host tree: a recursive clone of an ancestor
 *   carries their covers, and a path resolved into a cover finds an empty
 *   directory. Binds are made read-write on their top mount only, so the
 *   covers they carry stay read-only.
 * - children are bound before their parents, onto their own fd: the
 *   parent's recursive clone carries them.
 * - mount points below the private /tmp are made inside that tmpfs, by fd:
 *   a working directory under /tmp never makes the host's /tmp create,
 *   follow or cover anything.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jq-exec-internal.h"
#include "jq-paths.h"
#include "jq-util.h"

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom"};

/* Reasons printed in place of strerror (jq_exec_step_message). */
#define WHY_SYMLINK   "a path component is a symbolic link, which is not followed"
#define WHY_FORM      "not an absolute path without '.', '..' or '//'"
#define WHY_KERNEL_FS "refused: in /proc, /sys or /dev, or on a kernel filesystem"
#define WHY_ROOT      "refused: the root directory is never bound read-write"
#define WHY_HIDDEN    "refused: the path is hidden"
#define WHY_MOVED     "the working directory was replaced while the job started"

/* A path to bind, resolved once. */
struct bind {
	const char *path;
	int fd;	  /* O_PATH of the source, which is also the target */
	int tree; /* its detached clone, until attached */
	struct stat st;
	bool rw;
	bool cwd;
	bool carried; /* below another bind: its parent's clone carries it */
};

struct mounts {
	const struct jq_exec_spec *s;
	struct jq_exec_fail *f;
	int root; /* "/" of our namespace, O_PATH */
	struct stat root_st;
	dev_t *kernel_devs; /* devices of the host's mounts at or below /proc, /sys, /dev */
	size_t n_kernel_devs;
	int cover;	/* root of the hide covers' tmpfs (a directory) */
	int cover_file; /* the file in it, for paths that are not directories */
	dev_t cover_dev;
	int tmp; /* root of the private /tmp */
	struct bind binds[3 * JQ_EXEC_MAX_SANDBOX_PATHS + 1];
	size_t n;
	int devs[JQ_ARRAY_SIZE(dev_nodes)];
};

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int fail(struct mounts *m, const char *step, const char *reason, const char *value, int err)
{
	m->f->step = step;
	m->f->reason = reason;
	snprintf(m->f->value, m->f->value_size, "%s", value);
	return err;
}

/* A failed jq_exec_path_open(), with the reason for its own errors. */
static int fail_resolve(struct mounts *m, const char *step, const char *path, int err)
{
	return fail(m, step,
		    err == -ELOOP    ? WHY_SYMLINK
		    : err == -EINVAL ? WHY_FORM
				     : NULL,
		    path, err);
}

/* The private /tmp, /dev, /proc and /sys replace the host's: binds there wait for them. */
static bool late(const char *path)
{
	return jq_path_under(path, "/tmp");
}

static int attach(int tree, int target)
{
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/*
 * The covers' source: a tiny tmpfs, its root mode 000, with one empty
 * mode 000 file, read-only, never exec, suid or dev. Clones of a mount can
 * only be made while it is attached in our namespace (before 6.15), so it
 * is staged on the host's /proc, which the job's procfs covers later and
 * where nothing is ever bound.
 */
static int cover_make(struct mounts *m)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	_cleanup_close_ int fs = -1, mnt = -1, stage = -1, file = -1;
	struct stat st;
	int r;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "4", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "000", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt =
	    fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return -errno;
	file = openat(mnt, "f", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (file < 0)
		return -errno;
	close(TAKE_FD(file));
	file = openat(mnt, "f", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (file < 0 || fstat(mnt, &st) < 0)
		return -errno;
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return -errno;
	stage = jq_exec_path_open(m->root, "/proc", JQ_EXEC_PATH_DIR);
	if (stage < 0)
		return stage;
	r = attach(mnt, stage);
	if (r < 0)
		return r;
	m->cover = TAKE_FD(mnt);
	m->cover_file = TAKE_FD(file);
	m->cover_dev = st.st_dev;
	return 0;
}

/*
 * Covers one hidden path, resolved as the job: a path it cannot reach
 * (ENOENT, ENOTDIR, EACCES) is nothing it could see with these
 * credentials. Any other error ends the job: a hide is never skipped
 * because someone put a symlink in its way.
 */
static int hide_one(struct mounts *m, const char *path)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	_cleanup_close_ int fd = -1, tree = -1;
	struct stat st;
	int r;

	fd = jq_exec_path_open(m->root, path, 0);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -EACCES)
		return 0;
	if (fd < 0)
		return fail_resolve(m, "hide", path, fd);
	if (fstat(fd, &st) < 0)
		return fail(m, "hide", NULL, path, -errno);
	tree = open_tree(S_ISDIR(st.st_mode) ? m->cover : m->cover_file, "",
			 AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return fail(m, "hide", NULL, path, -errno);
	/* A clone does not keep the source's read-only flag: set it on the cover. */
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return fail(m, "hide", NULL, path, -errno);
	r = attach(tree, fd);
	if (r < 0)
		return fail(m, "hide", NULL, path, r);
	return 0;
}

/* Hides on the host tree (late = false), or below the fresh /proc, /sys, /dev (late). */
static int hide_all(struct mounts *m, bool late_ones)
{
	for (char **p = m->s->sandbox.hide_paths; p && *p; p++) {
		int r;
		if ((jq_path_kernel_dir(*p) != NULL) != late_ones)
			continue;
		r = hide_one(m, *p);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Resolves one path to bind and checks it through its fd. The working
 * directory must exist; an administrator's rw/ro path that does not exist,
 * or that the job's user cannot reach, is nothing it could use.
 */
static int bind_add(struct mounts *m, const char *path, bool rw, bool cwd)
{
	const char *step = cwd ? "chdir" : rw ? "bind-rw" : "bind-ro";
	struct bind *b = &m->binds[m->n];
	int fd, k;

	if (!jq_path_canonical(path))
		return fail(m, step, WHY_FORM, path, -EINVAL);
	if (jq_path_kernel_dir(path))
		return fail(m, step, WHY_KERNEL_FS, path, -EPERM);
	fd = jq_exec_path_open(m->root, path, cwd ? JQ_EXEC_PATH_DIR : 0);
	if (!cwd && (fd == -ENOENT || fd == -EACCES))
		return 0;
	if (fd < 0)
		return fail_resolve(m, step, path, fd);
	*b = (struct bind){.path = path, .fd = fd, .tree = -1, .rw = rw, .cwd = cwd};
	m->n++;
	if (fstat(fd, &b->st) < 0)
		return fail(m, step, NULL, path, -errno);
	/*
	 * By what the fd is, not by its name: procfs, sysfs or the host's
	 * /dev bound somewhere else by an administrator is refused too.
	 */
	k = jq_exec_path_kernel_fs(fd);
	if (k < 0)
		return fail(m, step, NULL, path, k);
	for (size_t i = 0; i < m->n_kernel_devs && !k; i++)
		k = b->st.st_dev == m->kernel_devs[i];
	if (k)
		return fail(m, step, WHY_KERNEL_FS, path, -EPERM);
	if (b->st.st_dev == m->cover_dev)
		return fail(m, step, WHY_HIDDEN, path, -EPERM);
	if (rw && b->st.st_dev == m->root_st.st_dev && b->st.st_ino == m->root_st.st_ino)
		return fail(m, step, WHY_ROOT, path, -EPERM);
	return 0;
}

/* Children before parents: "/a/b" sorts before "/a", and before "/a-b". */
static int bind_cmp(const void *a, const void *b)
{
	return -strcmp(((const struct bind *)a)->path, ((const struct bind *)b)->path);
}

/*
 * The working directory and the tenant's paths, resolved and checked
 * first (nothing is mounted if one fails), then cloned and attached.
 */
static int binds_plan(struct mounts *m)
{
	const struct jq_exec_sandbox *sb = &m->s->sandbox;
	size_t w = 0;
	int r;

	/* "/" stays read-only; "/tmp" is the private one. Neither is bound. */
	if (strcmp(m->s->cwd, "/") != 0 && strcmp(m->s->cwd, "/tmp") != 0) {
		r = bind_add(m, m->s->cwd, true, true);
		if (r < 0)
			return r;
	}
	for (char **p = sb->rw_paths; p && *p; p++)
		if ((r = bind_add(m, *p, true, false)) < 0)
			return r;
	for (char **p = sb->ro_paths; p && *p; p++)
		if ((r = bind_add(m, *p, false, false)) < 0)
			return r;
	qsort(m->binds, m->n, sizeof(m->binds[0]), bind_cmp);
	/* One bind per path: read-write if any entry for it is (the cwd is). */
	for (size_t i = 0; i < m->n; i++) {
		if (w > 0 && !strcmp(m->binds[w - 1].path, m->binds[i].path)) {
			m->binds[w - 1].rw |= m->binds[i].rw;
			m->binds[w - 1].cwd |= m->binds[i].cwd;
			fd_close(&m->binds[i].fd);
			continue;
		}
		m->binds[w++] = m->binds[i];
	}
	for (size_t i = w; i < m->n; i++)
		m->binds[i].fd = m->binds[i].tree = -1;
	m->n = w;
	for (size_t i = 0; i < m->n; i++)
		for (size_t k = i + 1; k < m->n && !m->binds[i].carried; k++)
			m->binds[i].carried = jq_path_under(m->binds[i].path, m->binds[k].path);
	return 0;
}

static int bind_clone(struct bind *b)
{
	struct mount_attr attr = {
	    .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (b->rw ? 0 : MOUNT_ATTR_RDONLY),
	    .attr_clr = b->rw ? MOUNT_ATTR_RDONLY : 0,
	};

	/* Recursive: the covers and the binds below come along. */
	b->tree = open_tree(b->fd, "",
			    AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (b->tree < 0)
		return -errno;
	/* The top mount only: covers and ro binds inside keep their read-only flag. */
	if (mount_setattr(b->tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
		return 0;
	/*
	 * A host mount that is read-only is locked read-only in our user
	 * namespace: it stays so, as it is for the job's user on the host.
	 */
	if (errno != EPERM || !b->rw)
		return -errno;
	attr.attr_clr = 0;
	if (mount_setattr(b->tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

static const char *bind_step(const struct bind *b)
{
	return b->cwd ? "chdir" : b->rw ? "bind-rw" : "bind-ro";
}

/* Clones and attaches every bind but those that go into the private /tmp. */
static int binds_attach(struct mounts *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct bind *b = &m->binds[i];
		int r = bind_clone(b);
		if (r < 0)
			return fail(m, bind_step(b), NULL, b->path, r);
		if (!b->carried && late(b->path))
			continue;
		r = attach(b->tree, b->fd);
		if (r < 0)
			return fail(m, bind_step(b), NULL, b->path, r);
		fd_close(&b->tree);
	}
	return 0;
}

/*
 * mkdir -p of rel inside the directory base (our fresh tmpfs), each
 * component opened without following symlinks; the last one is a file if
 * !dir. Returns an O_PATH fd of it.
 */
static int mountpoint_make(int base, const char *rel, bool dir)
{
	char name[NAME_MAX + 2] = "/";
	int d = fcntl(base, F_DUPFD_CLOEXEC, 3), r;

	if (d < 0)
		return -errno;
	while ((r = jq_exec_path_next(&rel, name + 1)) > 0) {
		bool file = !*rel && !dir;
		int fd;

		if (file)
			fd = openat(d, name + 1, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		else
			fd = mkdirat(d, name + 1, 0755);
		if (fd < 0 && errno != EEXIST) {
			int e = errno;
			close(d);
			return -e;
		}
		if (file && fd >= 0)
			close(fd);
		fd = jq_exec_path_open(d, name, file ? 0 : JQ_EXEC_PATH_DIR);
		close(d);
		if (fd < 0)
			return fd;
		d = fd;
	}
	if (r < 0) {
		close(d);
		return r;
	}
	return d;
}

/* The private /tmp, and the binds that go below it. */
static int tmp_setup(struct mounts *m)
{
	char size[32];
	_cleanup_close_ int fs = -1, target = -1;
	int r;

	snprintf(size, sizeof(size), "%" PRId64, m->s->sandbox.tmp_size);
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "1777", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail(m, "mount-tmp", NULL, "/tmp", -errno);
	m->tmp = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (m->tmp < 0)
		return fail(m, "mount-tmp", NULL, "/tmp", -errno);
	target = jq_exec_path_open(m->root, "/tmp", JQ_EXEC_PATH_DIR);
	if (target < 0)
		return fail_resolve(m, "mount-tmp", "/tmp", target);
	r = attach(m->tmp, target);
	if (r < 0)
		return fail(m, "mount-tmp", NULL, "/tmp", r);
	for (size_t i = 0; i < m->n; i++) {
		struct bind *b = &m->binds[i];
		_cleanup_close_ int mp = -1;
		if (b->tree < 0)
			continue;
		mp = mountpoint_make(m->tmp, b->path + strlen("/tmp") + (b->path[4] == '/'),
				     S_ISDIR(b->st.st_mode));
		if (mp < 0)
			return fail(m, bind_step(b), NULL, b->path, mp);
		r = attach(b->tree, mp);
		if (r < 0)
			return fail(m, bind_step(b), NULL, b->path, r);
		fd_close(&b->tree);
	}
	return 0;
}

/*
 * A minimal /dev: a small tmpfs with the five harmless character devices
 * bound from the host (mknod is not possible in a user namespace, and a
 * tmpfs mounted there refuses device nodes anyway), the usual symlinks,
 * /dev/shm sharing the capped /tmp, and no tty, console, disk or pts.
 */
static int dev_setup(struct mounts *m)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},
	    {"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"},
	    {"/proc/self/fd/2", "/dev/stderr"},
	    {"/tmp", "/dev/shm"},
	};
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		  "size=64k,nr_inodes=64,mode=755") < 0)
		return fail(m, "mount-dev", NULL, "/dev", -errno);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(dev_nodes); i++) {
		char path[32];
		int fd;
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return fail(m, "mount-dev", NULL, path, -errno);
		close(fd);
		if (move_mount(m->devs[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail(m, "mount-dev", NULL, path, -errno);
		fd_close(&m->devs[i]);
	}
	for (size_t i = 0; i < JQ_ARRAY_SIZE(links); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			return fail(m, "mount-dev", NULL, links[i][1], -errno);
	if (mount_setattr(AT_FDCWD, "/dev", 0, &ro, sizeof(ro)) < 0)
		return fail(m, "mount-dev", NULL, "/dev", -errno);
	return 0;
}

/*
 * The device numbers of the host's mounts at or below /proc, /sys and
 * /dev (from our copy of the host's mount table, before anything is
 * mounted on /proc): a bind of one of them elsewhere is refused by what it
 * is, whatever its type (/sys/fs/cgroup of cgroup v1 is a tmpfs, /dev a
 * devtmpfs).
 */
/*
 * Memory and kernel filesystems only: a file of a disk bound below /dev
 * (a container's /dev/termination-log) must not refuse that whole disk.
 */
static bool kernel_fs_type(const char *type)
{
	static const char *const types[] = {
	    "proc",   "sysfs",	"devtmpfs",  "tmpfs",	   "cgroup",  "cgroup2",
	    "devpts", "mqueue", "hugetlbfs", "securityfs", "debugfs", "tracefs",
	    "bpf",    "pstore", "efivarfs",  "configfs",   "fusectl", "binfmt_misc",
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

static int kernel_devs_scan(struct mounts *m)
{
	_cleanup_free_ char *data = NULL;
	char *save = NULL;
	size_t cap = 0;
	int r;

	r = jq_read_file("/proc/self/mountinfo", 16 * 1024 * 1024, &data, NULL);
	if (r < 0)
		return r;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char where[PATH_MAX], type[64];
		const char *sep = strstr(l, " - ");
		if (!sep || sscanf(l, "%*u %*u %u:%u %*s %4095s", &maj, &min, where) != 3 ||
		    sscanf(sep, " - %63s", type) != 1)
			return -EBADMSG;
		if (!jq_path_kernel_dir(where) || !kernel_fs_type(type))
			continue;
		if (m->n_kernel_devs == cap) {
			dev_t *n = realloc(m->kernel_devs, (cap = cap * 2 + 16) * sizeof(dev_t));
			if (!n)
				return -ENOMEM;
			m->kernel_devs = n;
		}
		m->kernel_devs[m->n_kernel_devs++] = makedev(maj, min);
	}
	return 0;
}

/*
 * The five device nodes, cloned before the host tree becomes nodev (a
 * clone keeps the flags of the moment).
 */
static int dev_clone(struct mounts *m)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(dev_nodes); i++) {
		char path[32];
		_cleanup_close_ int fd = -1;
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		fd = jq_exec_path_open(m->root, path, 0);
		if (fd < 0)
			return fail_resolve(m, "mount-dev", path, fd);
		m->devs[i] = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (m->devs[i] < 0)
			return fail(m, "mount-dev", NULL, path, -errno);
	}
	return 0;
}

/*
 * The working directory in the finished tree, for the job's fchdir(): the
 * same inode that was resolved and bound, or the job does not start.
 */
static int cwd_open(struct mounts *m, int *ret_fd)
{
	const char *cwd = m->s->cwd;
	struct stat st;
	int fd;

	fd = jq_exec_path_open(m->root, cwd, JQ_EXEC_PATH_DIR);
	if (fd < 0)
		return fail_resolve(m, "chdir", cwd, fd);
	for (size_t i = 0; i < m->n; i++) {
		const struct bind *b = &m->binds[i];
		if (!b->cwd)
			continue;
		if (fstat(fd, &st) < 0 || st.st_dev != b->st.st_dev || st.st_ino != b->st.st_ino) {
			close(fd);
			return fail(m, "chdir", WHY_MOVED, cwd, -ESTALE);
		}
	}
	*ret_fd = fd;
	return 0;
}

static int mounts(struct mounts *m, int *ret_cwd_fd)
{
	const struct jq_exec_spec *s = m->s;
	struct mount_attr root_ro = {.attr_set =
					 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	int r;

	/*
	 * Nothing mounted here may propagate to the host. A mount namespace
	 * made inside a new user namespace already turns shared mounts into
	 * slaves; saying it costs one call and survives a change of order.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return fail(m, "mount-propagation", NULL, "/", -errno);
	m->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->root < 0 || fstat(m->root, &m->root_st) < 0)
		return fail(m, "mount-root", NULL, "/", -errno);
	/*
	 * From here on paths are looked up, and files created, as the job:
	 * its groups are already set; fsuid and fsgid follow. Host root's
	 * owner rights (our uid is still host root's, unmapped) never serve
	 * to reach a path for the job. The capabilities of our user namespace
	 * stay: the kernel does not drop them when uid 0 is not mapped, and
	 * they apply only to inodes whose owner is mapped (the job's own).
	 */
	(void)setfsgid((gid_t)s->gid);
	(void)setfsuid((uid_t)s->uid);
	if ((uid_t)setfsuid((uid_t)-1) != (uid_t)s->uid ||
	    (gid_t)setfsgid((gid_t)-1) != (gid_t)s->gid)
		return fail(m, "mount-fsuid", NULL, "", -EPERM);
	r = kernel_devs_scan(m);
	if (r < 0)
		return fail(m, "mount-root", NULL, "/proc/self/mountinfo", r);
	r = dev_clone(m);
	if (r < 0)
		return r;
	/* The whole host tree read-only, no setuid binaries, no device files. */
	if (mount_setattr(m->root, "", AT_EMPTY_PATH | AT_RECURSIVE, &root_ro, sizeof(root_ro)) < 0)
		return fail(m, "mount-root", NULL, "/", -errno);
	/* Made even without a hide: binds are checked against it. */
	r = cover_make(m);
	if (r < 0)
		return fail(m, "hide", NULL, "", r);
	r = hide_all(m, false);
	if (r < 0)
		return r;
	r = binds_plan(m);
	if (r < 0)
		return r;
	r = binds_attach(m);
	if (r < 0)
		return r;
	/* proc of our pid namespace: the job's processes only. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail(m, "mount-proc", NULL, "/proc", -errno);
	/*
	 * sysfs shows the network namespace of whoever mounts it: the host's
	 * copy would list the host's interfaces. Shared network: keep it.
	 */
	if (s->sandbox.network == JQ_EXEC_NETWORK_NONE &&
	    mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail(m, "mount-sys", NULL, "/sys", -errno);
	r = tmp_setup(m);
	if (r < 0)
		return r;
	r = dev_setup(m);
	if (r < 0)
		return r;
	r = hide_all(m, true);
	if (r < 0)
		return r;
	return cwd_open(m, ret_cwd_fd);
}

int jq_exec_sandbox_mounts(const struct jq_exec_spec *s, struct jq_exec_fail *f, int *ret_cwd_fd)
{
	struct mounts *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->s = s;
	m->f = f;
	m->root = m->cover = m->cover_file = m->tmp = -1;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(m->binds); i++)
		m->binds[i].fd = m->binds[i].tree = -1;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(m->devs); i++)
		m->devs[i] = -1;
	r = mounts(m, ret_cwd_fd);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(m->binds); i++) {
		fd_close(&m->binds[i].fd);
		fd_close(&m->binds[i].tree);
	}
	for (size_t i = 0; i < JQ_ARRAY_SIZE(m->devs); i++)
		fd_close(&m->devs[i]);
	fd_close(&m->root);
	fd_close(&m->cover);
	fd_close(&m->cover_file);
	fd_close(&m->tmp);
	free(m->kernel_devs);
	free(m);
	return r;
}
