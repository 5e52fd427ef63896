/* SPDX-License-Identifier: MIT */
/*
 * The forked job child: a fixed sequence of named setup steps, then exec.
 * Later steps (namespaces, mounts, rlimits, capabilities, seccomp) slot into
 * the table below in the order DESIGN.md gives.
 *
 * This runs between fork and exec of a single-threaded helper, so malloc
 * and stdio are safe here (no other thread can hold their locks).
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jq-exec-internal.h"
#include "jq-protocol.h"
#include "jq-util.h"

/* Exit code of a child whose setup failed; the report says why. */
#define CHILD_SETUP_FAILED 125

    struct child_report {
	char step[32];
	int32_t err; /* positive errno */
	char value[JQ_PROTO_MAX_PATH + 1];
};

struct child {
	const struct jq_exec_spec *s;
	struct jq_exec_child_fds fds;
	bool root;			   /* the helper runs as root and can change credentials */
	char value[JQ_PROTO_MAX_PATH + 1]; /* what the failed step was about */
};

struct child_step {
	const char *name;
	int (*run)(struct child *c);
};

/*
 * The job leads its own session and process group, so the helper can signal
 * the whole group, and the job has no controlling terminal.
 */
static int step_setsid(struct child *c)
{
	if (setsid() < 0)
		return -errno;
	return 0;
}

/* Moves fd to 3 or above (close-on-exec), so dup2 onto 0-2 never clobbers it. */
static int fd_above_stdio(int fd)
{
	int n;

	if (fd >= 3)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return n < 0 ? -errno : n;
}

static int step_stdio(struct child *c)
{
	int src[3];

	snprintf(c->value, sizeof(c->value), "/dev/null");
	src[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (src[0] < 0)
		return -errno;
	c->value[0] = '\0';
	src[1] = c->fds.stdout_fd;
	src[2] = c->fds.stderr_fd;
	/*
	 * dup2 clears FD_CLOEXEC on the copy, except when source and target
	 * are the same fd: with every source above 2 that cannot happen.
	 */
	for (int i = 0; i < 3; i++) {
		src[i] = fd_above_stdio(src[i]);
		if (src[i] < 0)
			return src[i];
	}
	for (int i = 0; i < 3; i++)
		if (dup2(src[i], i) < 0)
			return -errno;
	return 0;
}

/*
 * Credentials are dropped before chdir so that the job's working directory
 * is reached with the job's own permissions, not root's.
 */
static int step_setgroups(struct child *c)
{
	const struct jq_exec_spec *s = c->s;
	_cleanup_free_ gid_t *gids = NULL;
	size_t off = 0;
	int n;

	if (!c->root)
		return 0;
	for (size_t i = 0; i < s->n_gids && off < sizeof(c->value); i++) {
		int k = snprintf(c->value + off, sizeof(c->value) - off, "%s%" PRId64, i ? "," : "",
				 s->gids[i]);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	gids = calloc(s->n_gids ? s->n_gids : 1, sizeof(gid_t));
	if (!gids)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_gids; i++)
		gids[i] = (gid_t)s->gids[i];
	if (setgroups(s->n_gids, gids) < 0)
		return -errno;
	n = getgroups(0, NULL);
	if (n < 0)
		return -errno;
	if ((size_t)n != s->n_gids)
		return -EPERM;
	return 0;
}

static int step_setgid(struct child *c)
{
	gid_t want = (gid_t)c->s->gid, r, e, sv;

	snprintf(c->value, sizeof(c->value), "%" PRId64, c->s->gid);
	if (c->root && setresgid(want, want, want) < 0)
		return -errno;
	/* Unprivileged, the helper can only run the job as itself. */
	if (getresgid(&r, &e, &sv) < 0)
		return -errno;
	if (r != want || e != want || sv != want)
		return -EPERM;
	return 0;
}

static int step_setuid(struct child *c)
{
	uid_t want = (uid_t)c->s->uid, r, e, sv;

	snprintf(c->value, sizeof(c->value), "%" PRId64, c->s->uid);
	if (c->root && setresuid(want, want, want) < 0)
		return -errno;
	if (getresuid(&r, &e, &sv) < 0)
		return -errno;
	if (r != want || e != want || sv != want)
		return -EPERM;
	return 0;
}

/*
 * setresuid() away from 0 clears the permitted, effective and ambient sets
 * (no SECBIT_KEEP_CAPS is set here), but not the inheritable set, which an
 * exec of a file with inheritable file capabilities could turn back into
 * privilege. Clear everything and check that nothing is left, so that no
 * capability reaches a job that is not meant to run as root.
 */
static int step_capabilities(struct child *c)
{
	cap_t empty, now;
	int r = 0;

	if (c->s->uid == 0)
		return 0;
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
	return r;
}

static int step_chdir(struct child *c)
{
	snprintf(c->value, sizeof(c->value), "%s", c->s->cwd);
	if (chdir(c->s->cwd) < 0)
		return -errno;
	return 0;
}

/* The helper ignores SIGPIPE and blocks signals; the job starts clean. */
static int step_signals(struct child *c)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc refuses its reserved real-time signals: nothing to reset. */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			return -errno;
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -errno;
	return 0;
}

static int close_from_to(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* Kernels before 5.9: close one by one. */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1024 * 1024)
		max = 1024 * 1024;
	for (long fd = lo; fd <= (long)hi && fd < max; fd++)
		close((int)fd);
	return 0;
}

/*
 * The job sees fds 0-2 only: whatever the helper inherited from jobqd or
 * opened itself is closed here. The report pipe stays open, close-on-exec,
 * so that a failed exec setup can still be reported and a successful exec
 * closes it.
 */
static int step_close_fds(struct child *c)
{
	unsigned rep = (unsigned)c->fds.report_fd;
	int r;

	r = close_from_to(3, rep - 1);
	if (r == 0)
		r = close_from_to(rep + 1, ~0U);
	return r;
}

static const struct child_step child_steps[] = {
    {"setsid", step_setsid}, {"stdio", step_stdio},	{"setgroups", step_setgroups},
    {"setgid", step_setgid}, {"setuid", step_setuid},	{"capabilities", step_capabilities},
    {"chdir", step_chdir},   {"signals", step_signals}, {"close-fds", step_close_fds},
};

_Noreturn static void child_fail(struct child *c, const char *step, int err)
{
	struct child_report rep = {.err = err};

	snprintf(rep.step, sizeof(rep.step), "%s", step);
	snprintf(rep.value, sizeof(rep.value), "%s", c->value);
	(void)jq_write_all(c->fds.report_fd, &rep, sizeof(rep));
	_exit(CHILD_SETUP_FAILED);
}

/* Runs a script without a #! line with /bin/sh, as shells and execvp() do. */
static void exec_file(const char *path, char **argv, char **env)
{
	execve(path, argv, env);
	if (errno == ENOEXEC) {
		size_t n = jq_strv_length(argv);
		char **sh = calloc(n + 2, sizeof(char *));
		if (!sh)
			return;
		sh[0] = (char *)"/bin/sh";
		sh[1] = (char *)path;
		for (size_t i = 1; i < n; i++)
			sh[i + 1] = argv[i];
		execve("/bin/sh", sh, env);
		errno = ENOEXEC;
	}
}

/*
 * Finds argv[0] through the job's PATH the way a shell does, not like
 * execvpe(): a PATH entry the job's user cannot search (EACCES on the
 * directory) is skipped, so a missing command is "command not found"
 * (ENOENT), and only a file that exists but cannot run is EACCES.
 * Returns the errno to report; returns only on failure.
 */
static int exec_search(char **argv, char **env)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	int found_err = ENOENT;
	char buf[PATH_MAX];

	if (strchr(argv[0], '/')) {
		exec_file(argv[0], argv, env);
		return errno;
	}
	for (char **e = env; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5)) {
			path = *e + 5;
			break;
		}
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		struct stat st;
		/* An empty entry means the working directory. */
		int n = dlen ? snprintf(buf, sizeof(buf), "%.*s/%s", (int)dlen, p, argv[0])
			     : snprintf(buf, sizeof(buf), "%s", argv[0]);
		if (n > 0 && (size_t)n < sizeof(buf) && stat(buf, &st) == 0 &&
		    !S_ISDIR(st.st_mode)) {
			exec_file(buf, argv, env);
			found_err = errno;
			if (found_err != EACCES)
				return found_err;
		}
		if (!*end)
			break;
		p = end;
	}
	return found_err;
}

_Noreturn void jq_exec_child_run(const struct jq_exec_spec *s, const struct jq_exec_child_fds *fds)
{
	extern char **environ;
	struct child c = {.s = s, .fds = *fds, .root = geteuid() == 0};
	int r;

	/* The report fd must survive the dup2 onto 0-2 in the stdio step. */
	r = fd_above_stdio(c.fds.report_fd);
	if (r < 0)
		_exit(CHILD_SETUP_FAILED);
	c.fds.report_fd = r;

	for (size_t i = 0; i < JQ_ARRAY_SIZE(child_steps); i++) {
		c.value[0] = '\0';
		r = child_steps[i].run(&c);
		if (r < 0)
			child_fail(&c, child_steps[i].name, -r);
	}

	environ = s->env;
	r = exec_search(s->argv, s->env);
	/* Like a shell: the job ran and failed, it did not fail to start. */
	if (r == ENOENT) {
		dprintf(STDERR_FILENO, "jobq: '%s': command not found\n", s->argv[0]);
		_exit(127);
	}
	dprintf(STDERR_FILENO, "jobq: '%s': %s\n", s->argv[0], strerror(r));
	_exit(126);
}

char *jq_exec_step_message(const char *step, int err, const char *value)
{
	if (!value || !*value)
		return jq_asprintf("%s: %s", step, strerror(err));
	return jq_asprintf("%s: %s ('%s')", step, strerror(err), value);
}

int jq_exec_child_report_read(int fd, char **ret_message)
{
	struct child_report rep;
	size_t len = 0;
	char *msg;

	while (len < sizeof(rep)) {
		ssize_t n = read(fd, (char *)&rep + len, sizeof(rep) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		return 0;
	if (len != sizeof(rep) || rep.err <= 0)
		return -EBADMSG;
	rep.step[sizeof(rep.step) - 1] = '\0';
	rep.value[sizeof(rep.value) - 1] = '\0';
	msg = jq_exec_step_message(rep.step, rep.err, rep.value);
	if (!msg)
		return -ENOMEM;
	*ret_message = msg;
	return 1;
}
