/* SPDX-License-Identifier: MIT */
/*
 * The job's sandbox: id maps (written by the helper), the mount namespace's
 * view of the host, the loopback interface, capabilities and the seccomp
 * deny-list. The order and the reasoning are in docs/sandbox.md; the short
 * version, bubblewrap-style, is next to each piece below.
 *
 * Trust: the helper is host root. The job's init (PID 1 of the job's pid
 * namespace) is created by clone3() directly inside a new user namespace
 * whose only mappings are the job's uid and gids, written by the helper
 * before the init runs one instruction. Every privileged step of the setup
 * (mounts, sysfs, lo) therefore runs with capabilities of that new user
 * namespace only: the kernel lets them act on namespaces the new user
 * namespace owns (our mount, network, ipc, uts, cgroup and pid namespaces)
 * and on nothing of the host's. Host root (uid 0) is never mapped, so no
 * process inside can ever be root or own a root file; the mounts copied
 * from the host are locked (MNT_LOCKED) and cannot be unmounted or made
 * writable again from inside.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jq-exec-internal.h"
#include "jq-util.h"

/* The kernel takes at most 340 lines in uid_map / gid_map (since 4.15). */
#define MAX_MAP_LINES 340

/* Where the source of hidden paths lives for a moment: in our own /tmp. */
#define HIDE_STAGE "/tmp/.jobq-hide"

/* Closes and forgets: every fd here is closed exactly once. */
static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom"};

static int write_proc_file(pid_t pid, const char *name, const char *data)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The map files take exactly one write(2). */
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}

/*
 * uid_map: the job's uid to itself, one line. Host root is never mapped:
 * inside, uid 0 does not exist, and files owned by host root appear owned
 * by the overflow uid, with no capability that could override their modes.
 * gid_map: the job's gid and each supplementary group to itself, so that
 * group permissions on the host work unchanged and setgroups() inside can
 * install exactly the groups jobqd resolved. A helper that is not root can
 * only map itself (the kernel's rule for unprivileged writers), after
 * setgroups is denied.
 */
int jq_exec_sandbox_id_maps(pid_t pid, const struct jq_exec_spec *s, bool privileged,
			    const char **ret_step)
{
	_cleanup_free_ char *gmap = NULL;
	char umap[64];
	size_t len = 0, lines = 0;
	int r;

	snprintf(umap, sizeof(umap), "%" PRId64 " %" PRId64 " 1\n", s->uid, s->uid);
	gmap = malloc(MAX_MAP_LINES * 32);
	if (!gmap)
		return -ENOMEM;
	len = (size_t)snprintf(gmap, 32, "%" PRId64 " %" PRId64 " 1\n", s->gid, s->gid);
	lines = 1;
	for (size_t i = 0; privileged && i < s->n_gids; i++) {
		bool dup = s->gids[i] == s->gid;
		for (size_t k = 0; k < i && !dup; k++)
			dup = s->gids[k] == s->gids[i];
		if (dup)
			continue;
		if (++lines > MAX_MAP_LINES) {
			*ret_step = "gid-map";
			return -E2BIG;
		}
		len += (size_t)snprintf(gmap + len, 32, "%" PRId64 " %" PRId64 " 1\n", s->gids[i],
					s->gids[i]);
	}
	if (!privileged) {
		r = write_proc_file(pid, "setgroups", "deny");
		if (r < 0) {
			*ret_step = "setgroups-deny";
			return r;
		}
	}
	r = write_proc_file(pid, "uid_map", umap);
	if (r < 0) {
		*ret_step = "uid-map";
		return r;
	}
	r = write_proc_file(pid, "gid_map", gmap);
	if (r < 0) {
		*ret_step = "gid-map";
		return r;
	}
	return 0;
}

/* In a new network namespace only lo exists, and it is down. */
int jq_exec_sandbox_loopback_up(void)
{
	struct ifreq ifr = {0};
	int fd, r = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

/* A path to bind: cloned from the host's view before anything is covered. */
struct bind {
	const char *path;
	int fd;
	bool dir;
};

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Binds that can only be attached once /tmp, /dev, /proc, /sys are fresh. */
static bool bind_late(const char *path)
{
	return path_under(path, "/tmp") || path_under(path, "/dev") || path_under(path, "/proc") ||
	       path_under(path, "/sys");
}

/*
 * A detached copy of the host's tree at path (recursive: submounts stay),
 * with its flags set now: read-write or read-only, never setuid or device
 * files. Cloning first means a later mount over an ancestor (/tmp) cannot
 * hide it.
 */
static int bind_clone(struct bind *b, const char *path, bool rw)
{
	struct mount_attr attr = {
	    .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (rw ? 0 : MOUNT_ATTR_RDONLY),
	    .attr_clr = rw ? MOUNT_ATTR_RDONLY : 0,
	};
	struct stat st;

	b->path = path;
	b->fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (b->fd < 0)
		return -errno;
	if (fstat(b->fd, &st) < 0)
		return -errno;
	b->dir = S_ISDIR(st.st_mode);
	if (mount_setattr(b->fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	/*
	 * A host mount that is read-only is locked read-only in our user
	 * namespace: it stays so, as it is for the job's user on the host.
	 */
	if (errno != EPERM || !rw)
		return -errno;
	attr.attr_clr = 0;
	if (mount_setattr(b->fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

/* mkdir -p for a mount point inside our own tmpfs; the last part is a file if !dir. */
static int mountpoint_make(const char *path, bool dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	int fd;

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (dir)
		return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
	fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	close(fd);
	return 0;
}

static int bind_attach(struct bind *b, bool make)
{
	int r;

	if (make) {
		r = mountpoint_make(b->path, b->dir);
		if (r < 0)
			return r;
	}
	if (move_mount(b->fd, "", AT_FDCWD, b->path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	close(b->fd);
	b->fd = -1;
	return 0;
}

struct plan {
	struct bind binds[3 * JQ_EXEC_MAX_SANDBOX_PATHS + 1];
	size_t n;
	struct bind devs[JQ_ARRAY_SIZE(dev_nodes)];
};

#define FAIL(stepname, val, err)                                                                   \
	do {                                                                                       \
		*ret_step = (stepname);                                                            \
		snprintf(value, value_size, "%s", (const char *)(val));                            \
		return (err);                                                                      \
	} while (0)

static int bind_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bind *)a)->path, ((const struct bind *)b)->path);
}

static int plan_clone(struct plan *pl, const struct jq_exec_spec *s, const char **ret_step,
		      char *value, size_t value_size)
{
	struct {
		char **v;
		bool rw;
	} lists[] = {{s->sandbox.rw_paths, true}, {s->sandbox.ro_paths, false}};
	int r;

	/*
	 * Every path is looked up with the job's own uid, gid and groups
	 * (see mounts()): a working directory the job cannot reach fails here,
	 * as "chdir". A read-write bind does not widen file permissions, it
	 * only lifts the read-only mount flag, so the job writes where its uid
	 * could write on the host anyway, and only below its working
	 * directory. "/" itself stays read-only, and /tmp, /dev, /proc, /sys
	 * are the sandbox's own: a job started there works in those.
	 */
	if (strcmp(s->cwd, "/") != 0 && strcmp(s->cwd, "/tmp") != 0 &&
	    strcmp(s->cwd, "/dev") != 0 && strcmp(s->cwd, "/proc") != 0 &&
	    strcmp(s->cwd, "/sys") != 0) {
		r = bind_clone(&pl->binds[pl->n], s->cwd, true);
		if (r < 0)
			FAIL("chdir", s->cwd, r);
		pl->n++;
	}
	for (size_t l = 0; l < JQ_ARRAY_SIZE(lists); l++)
		for (char **p = lists[l].v; p && *p; p++) {
			if (!strcmp(*p, "/"))
				continue;
			r = bind_clone(&pl->binds[pl->n], *p, lists[l].rw);
			/*
			 * An administrator's path that does not exist, or that
			 * the job's user cannot reach, is nothing it could use.
			 */
			if (r == -ENOENT || r == -EACCES) {
				fd_close(&pl->binds[pl->n].fd);
				continue;
			}
			if (r < 0)
				FAIL(lists[l].rw ? "bind-rw" : "bind-ro", *p, r);
			pl->n++;
		}
	/*
	 * Parents before children: a bind inside another (ro_paths inside the
	 * working directory, or the working directory inside rw_paths) goes
	 * on top of it, not under it.
	 */
	qsort(pl->binds, pl->n, sizeof(pl->binds[0]), bind_cmp);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(dev_nodes); i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		pl->devs[i].path = dev_nodes[i];
		pl->devs[i].fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (pl->devs[i].fd < 0)
			FAIL("mount-dev", path, -errno);
	}
	return 0;
}

/*
 * A minimal /dev: a small tmpfs with the five harmless character devices
 * bound from the host (mknod is not possible in a user namespace, and a
 * tmpfs mounted there refuses device nodes anyway), the usual symlinks,
 * /dev/shm sharing the capped /tmp, and no tty, console, disk or pts.
 */
static int dev_setup(struct plan *pl, const char **ret_step, char *value, size_t value_size)
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
		FAIL("mount-dev", "/dev", -errno);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(dev_nodes); i++) {
		char path[32];
		int fd;
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			FAIL("mount-dev", path, -errno);
		close(fd);
		if (move_mount(pl->devs[i].fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			FAIL("mount-dev", path, -errno);
		fd_close(&pl->devs[i].fd);
	}
	for (size_t i = 0; i < JQ_ARRAY_SIZE(links); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			FAIL("mount-dev", links[i][1], -errno);
	if (mount_setattr(AT_FDCWD, "/dev", 0, &ro, sizeof(ro)) < 0)
		FAIL("mount-dev", "/dev", -errno);
	return 0;
}

/*
 * Hidden paths get an empty, read-only, mode 000 directory or file of a
 * tiny tmpfs: the root of that tmpfs (owned by host root, unmapped inside)
 * for directories, a file in it for the rest (the job's uid owns it, as
 * every file created here: the kernel refuses to create files for an
 * unmapped fsuid; on a read-only mount its owner cannot chmod it). The job
 * can neither list, read nor write them, and cannot unmount the cover. The
 * source tmpfs is staged in our /tmp and detached once every cover is bound.
 */
static int hide_paths(char **paths, const char **ret_step, char *value, size_t value_size)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	bool staged = false;
	int r = 0;

	for (char **p = paths; p && *p; p++) {
		struct stat st;
		const char *src;

		/*
		 * Looked up as the job: a path it cannot reach (EACCES on a
		 * parent) is already invisible to it with these credentials.
		 */
		if (stat(*p, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
				continue;
			FAIL("hide", *p, -errno);
		}
		if (!staged) {
			int fd;
			if (mkdir(HIDE_STAGE, 0700) < 0)
				FAIL("hide", HIDE_STAGE, -errno);
			if (mount("tmpfs", HIDE_STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  "size=4k,nr_inodes=4,mode=000") < 0)
				FAIL("hide", HIDE_STAGE, -errno);
			staged = true;
			fd = open(HIDE_STAGE "/f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
			if (fd < 0)
				FAIL("hide", HIDE_STAGE "/f", -errno);
			close(fd);
			if (mount_setattr(AT_FDCWD, HIDE_STAGE, 0, &ro, sizeof(ro)) < 0)
				FAIL("hide", HIDE_STAGE, -errno);
		}
		src = S_ISDIR(st.st_mode) ? HIDE_STAGE : HIDE_STAGE "/f";
		if (mount(src, *p, NULL, MS_BIND, NULL) < 0)
			FAIL("hide", *p, -errno);
		/* A bind does not keep the source's read-only flag: set it on the cover. */
		if (mount_setattr(AT_FDCWD, *p, 0, &ro, sizeof(ro)) < 0)
			FAIL("hide", *p, -errno);
	}
	if (staged) {
		if (umount2(HIDE_STAGE, MNT_DETACH) < 0 || rmdir(HIDE_STAGE) < 0)
			r = -errno;
		if (r < 0)
			FAIL("hide", HIDE_STAGE, r);
	}
	return 0;
}

static int mounts(struct plan *pl, const struct jq_exec_spec *s, const char **ret_step, char *value,
		  size_t value_size)
{
	struct mount_attr root_ro = {.attr_set =
					 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	char opts[64];
	int r;

	/*
	 * Nothing mounted here may propagate to the host. A mount namespace
	 * made inside a new user namespace already turns shared mounts into
	 * slaves; saying it costs one call and survives a change of order.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		FAIL("mount-propagation", "/", -errno);
	/*
	 * From here on paths are looked up, and files created, as the job:
	 * its groups are already set; fsuid and fsgid follow. Host root's
	 * owner rights (our uid is still host root's, unmapped) never serve
	 * to reach a path for the job. The capabilities of our user namespace
	 * stay: the kernel does not drop them when uid 0 is not mapped.
	 */
	(void)setfsgid((gid_t)s->gid);
	(void)setfsuid((uid_t)s->uid);
	if ((uid_t)setfsuid((uid_t)-1) != (uid_t)s->uid ||
	    (gid_t)setfsgid((gid_t)-1) != (gid_t)s->gid)
		FAIL("mount-fsuid", "", -EPERM);
	r = plan_clone(pl, s, ret_step, value, value_size);
	if (r < 0)
		return r;
	/* The whole host tree read-only, no setuid binaries, no device files. */
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &root_ro, sizeof(root_ro)) < 0)
		FAIL("mount-root", "/", -errno);
	for (size_t i = 0; i < pl->n; i++)
		if (!bind_late(pl->binds[i].path) && (r = bind_attach(&pl->binds[i], false)) < 0)
			FAIL(pl->binds[i].path == s->cwd ? "chdir" : "bind", pl->binds[i].path, r);
	/* proc of our pid namespace: the job's processes only. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		FAIL("mount-proc", "/proc", -errno);
	/*
	 * sysfs shows the network namespace of whoever mounts it: the host's
	 * copy would list the host's interfaces. Shared network: keep it.
	 */
	if (s->sandbox.network == JQ_EXEC_NETWORK_NONE &&
	    mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		FAIL("mount-sys", "/sys", -errno);
	snprintf(opts, sizeof(opts), "size=%" PRId64 ",mode=1777", s->sandbox.tmp_size);
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		FAIL("mount-tmp", "/tmp", -errno);
	r = dev_setup(pl, ret_step, value, value_size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pl->n; i++)
		if (pl->binds[i].fd >= 0 && (r = bind_attach(&pl->binds[i], true)) < 0)
			FAIL(pl->binds[i].path == s->cwd ? "chdir" : "bind", pl->binds[i].path, r);
	return hide_paths(s->sandbox.hide_paths, ret_step, value, value_size);
}

int jq_exec_sandbox_mounts(const struct jq_exec_spec *s, const char **ret_step, char *value,
			   size_t value_size)
{
	struct plan *pl = calloc(1, sizeof(*pl));
	int r;

	if (!pl)
		return -ENOMEM;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(pl->binds); i++)
		pl->binds[i].fd = -1;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(pl->devs); i++)
		pl->devs[i].fd = -1;
	r = mounts(pl, s, ret_step, value, value_size);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(pl->binds); i++)
		fd_close(&pl->binds[i].fd);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(pl->devs); i++)
		fd_close(&pl->devs[i].fd);
	free(pl);
	return r;
}

/*
 * The bounding set goes first: dropping from it needs CAP_SETPCAP, which
 * is gone once the sets are cleared. These are capabilities of the job's
 * user namespace (it never had any in the host's), dropped all the same so
 * that nothing inside, not even over its own namespaces, is privileged.
 */
int jq_exec_sandbox_bounding_drop(void)
{
	for (unsigned long cap = 0; cap <= CAP_LAST_CAP + 32; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	return 0;
}

/* Permitted, effective, inheritable and ambient: all empty, and checked. */
int jq_exec_sandbox_caps_clear(void)
{
	cap_t empty, now;
	int r = 0;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	empty = cap_init();
	if (!empty)
		return -ENOMEM;
	if (cap_set_proc(empty) < 0)
		r = -errno;
	if (r == 0) {
		now = cap_get_proc();
		if (!now)
			r = -errno;
		else if (cap_compare(now, empty) != 0)
			r = -EPERM;
		if (now)
			cap_free(now);
	}
	cap_free(empty);
	for (unsigned long cap = 0; r == 0 && cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			r = -EPERM;
	return r;
}

/*
 * The deny-list: kernel interfaces a build never needs and that have a
 * history of privilege escalations or of reaching outside the job (key
 * rings are per user, not per namespace), plus the mount family (the job
 * cannot mount anything anyway; this is defence in depth against a user
 * namespace the job makes itself). TIOCSTI and TIOCLINUX push input into a
 * terminal; the job has none (setsid), this covers an inherited one. The
 * ioctl request is compared on its low 32 bits, as the kernel does.
 */
static const char *const denied_syscalls[] = {
    "add_key",	       "request_key",	"keyctl",	 "bpf",
    "perf_event_open", "userfaultfd",	"kexec_load",	 "kexec_file_load",
    "init_module",     "finit_module",	"delete_module", "mount",
    "umount",	       "umount2",	"pivot_root",	 "move_mount",
    "open_tree",       "fsopen",	"fsmount",	 "fsconfig",
    "fspick",	       "mount_setattr", "acct",		 "swapon",
    "swapoff",
};

int jq_exec_sandbox_seccomp_new(void **ret_ctx)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	/*
	 * Other ABIs the CPU runs (i386 and x32 on x86-64, arm on arm64)
	 * reach the same kernel: without them in the filter a job would call
	 * keyctl through int 0x80.
	 */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		if (r == 0 || r == -EEXIST)
			r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	} else if (seccomp_arch_native() == SCMP_ARCH_AARCH64) {
		r = seccomp_arch_add(ctx, SCMP_ARCH_ARM);
	}
	if (r == -EEXIST)
		r = 0;
	/*
	 * SECCOMP_FILTER_FLAG_SPEC_ALLOW, as container runtimes do: without
	 * it the kernel (spec_store_bypass_disable=seccomp, the x86 default)
	 * turns on SSBD for every filtered task, which slows the whole build
	 * down to protect a process from Spectre v4 within itself. Separation
	 * between jobs and from the host is by address spaces, which this does
	 * not weaken.
	 */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	for (size_t i = 0; r == 0 && i < JQ_ARRAY_SIZE(denied_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(denied_syscalls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret_ctx = ctx;
	return 0;
}

int jq_exec_sandbox_seccomp_load(void *ctx)
{
	return seccomp_load(ctx);
}

void jq_exec_sandbox_seccomp_free(void *ctx)
{
	if (ctx)
		seccomp_release(ctx);
}
