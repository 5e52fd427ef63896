/* SPDX-License-Identifier: MIT */
/*
 * The job's sandbox: id maps (written by the helper), the loopback
 * interface, capabilities and the seccomp deny-list (the mount namespace's
 * view of the host is jq-exec-mounts.c). The order and the reasoning are in docs/sandbox.md; the
 * short version, bubblewrap-style, is next to each piece below.
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jq-exec-internal.h"
#include "jq-util.h"

/* The kernel takes at most 340 lines in uid_map / gid_map (since 4.15). */
#define MAX_MAP_LINES 340

static int write_proc_file(pid_t pid, const char *name, const char *data)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = JQ_RETRY_EINTR(open(path, O_WRONLY | O_CLOEXEC));
	if (fd < 0)
		return -errno;
	/* The map files take exactly one write(2); an interrupted one wrote nothing. */
	errno = 0;
	if (JQ_RETRY_EINTR(write(fd, data, strlen(data))) != (ssize_t)strlen(data))
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
    "add_key",	       "request_key",	 "keyctl",	   "bpf",
    "perf_event_open", "userfaultfd",	 "kexec_load",	   "kexec_file_load",
    "init_module",     "finit_module",	 "delete_module",  "mount",
    "umount",	       "umount2",	 "pivot_root",	   "move_mount",
    "open_tree",       "fsopen",	 "fsmount",	   "fsconfig",
    "fspick",	       "mount_setattr",	 "acct",	   "swapon",
    "swapoff",	       "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/*
 * The set-id bits. A job runs as its tenant's run_as account (or with a
 * group the member lacks) and writes to a directory the host sees: a
 * setuid or setgid file it left there would run, outside any sandbox, with
 * that identity for whoever can execute it. The working directory is
 * nosuid only inside the job, so the job may set neither bit on anything:
 * chmod and its siblings, open/creat with O_CREAT or O_TMPFILE and mknod
 * are refused EPERM when the mode has S_ISUID or S_ISGID (setgid
 * directories included: a build never needs one). openat2 carries its mode
 * in a struct the filter cannot read, so it is refused ENOSYS, as a kernel
 * older than 5.6 would: libc and runtimes fall back to openat. io_uring
 * opens files without a system call the filter sees, so it is refused too.
 * Each entry names the mode argument and, for the open family, the flags
 * argument (-1: none).
 */
struct mode_rule {
	const char *name;
	int mode_arg;
	int flags_arg;
};

static const struct mode_rule setid_rules[] = {
    {"chmod", 1, -1},	  {"fchmod", 1, -1}, {"fchmodat", 2, -1},
    {"fchmodat2", 2, -1}, {"creat", 1, -1},  {"open", 2, 1},
    {"openat", 3, 2},	  {"mknod", 1, -1},  {"mknodat", 2, -1},
};

static const char *const enosys_syscalls[] = {"openat2"};

static struct scmp_arg_cmp arg_has(int arg, uint64_t bit)
{
	return (struct scmp_arg_cmp){
	    .arg = (unsigned)arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = bit, .datum_b = bit};
}

static int add_setid_rules(scmp_filter_ctx ctx)
{
	static const uint64_t mode_bits[] = {S_ISUID, S_ISGID};
	static const uint64_t create_flags[] = {O_CREAT, __O_TMPFILE};
	int r = 0;

	for (size_t i = 0; r == 0 && i < JQ_ARRAY_SIZE(setid_rules); i++) {
		const struct mode_rule *m = &setid_rules[i];
		int nr = seccomp_syscall_resolve_name(m->name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		for (size_t b = 0; r == 0 && b < JQ_ARRAY_SIZE(mode_bits); b++) {
			struct scmp_arg_cmp mode = arg_has(m->mode_arg, mode_bits[b]);
			if (m->flags_arg < 0) {
				r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
							   &mode);
				continue;
			}
			for (size_t f = 0; r == 0 && f < JQ_ARRAY_SIZE(create_flags); f++) {
				struct scmp_arg_cmp both[2] = {
				    arg_has(m->flags_arg, create_flags[f]), mode};
				r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), nr, 2, both);
			}
		}
	}
	for (size_t i = 0; r == 0 && i < JQ_ARRAY_SIZE(enosys_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(enosys_syscalls[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	}
	return r;
}

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
	if (r == 0)
		r = add_setid_rules(ctx);
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
