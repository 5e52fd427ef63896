/* SPDX-License-Identifier: MIT */
/*
 * Inside the sandbox: the init (PID 1 of the job's pid namespace) and the
 * job. Each runs a fixed sequence of named setup steps; a step that fails
 * is reported on the report pipe with its errno and what it was about, and
 * the job ends failed_to_start. The order is docs/sandbox.md's:
 *
 *   init: namespaces, loopback, setgroups, mounts (as the job's fsuid),
 *         cap-bounding, setgid, setuid, capabilities, no-new-privs; then
 *         fork the job and reap.
 *   job:  setsid, stdio, chdir, signals, close-fds, seccomp; then execve.
 *
 * This runs in copies of a single-threaded helper made by clone3/fork, so
 * malloc and stdio are safe here (no other thread can hold their locks).
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jq-exec-internal.h"
#include "jq-protocol.h"
#include "jq-util.h"

/* Exit code of a child whose setup failed; the report says why. */
#define CHILD_SETUP_FAILED 125

enum report_kind {
	REPORT_FAILED = 1, /* a setup step failed: step, err, value */
	REPORT_STATUS = 2, /* the init's last word: the job's wait status */
};

struct child_report {
	int32_t kind;
	int32_t err;	/* positive errno */
	int32_t status; /* REPORT_STATUS: as waitpid(2) gave it */
	char step[32];
	char reason[96]; /* printed in place of strerror(err) if not empty */
	char value[JQ_PROTO_MAX_PATH + 1];
};

struct child {
	const struct jq_exec_spec *s;
	struct jq_exec_child_fds fds;
	void *seccomp;
	bool privileged;		   /* the helper is root: the job's groups are mapped */
	const char *step;		   /* a step's own name for what failed, if finer */
	const char *reason;		   /* said in place of strerror, if not NULL */
	char value[JQ_PROTO_MAX_PATH + 1]; /* what the failed step was about */
	int cwd_fd;			   /* the working directory in the finished tree (O_PATH) */
};

struct child_step {
	const char *name;
	int (*run)(struct child *c);
};

/*
 * The namespaces made after the init was placed in its cgroup (so the
 * cgroup namespace's root is the job's cgroup). A tenant with network =
 * host keeps the host's network namespace, and its /sys.
 */
static int step_namespaces(struct child *c)
{
	int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

	if (c->s->sandbox.network == JQ_EXEC_NETWORK_NONE)
		flags |= CLONE_NEWNET;
	if (unshare(flags) < 0)
		return -errno;
	return 0;
}

static int step_loopback(struct child *c)
{
	if (c->s->sandbox.network != JQ_EXEC_NETWORK_NONE)
		return 0;
	snprintf(c->value, sizeof(c->value), "lo");
	return jq_exec_sandbox_loopback_up();
}

static int step_mounts(struct child *c)
{
	struct jq_exec_fail f = {.value = c->value, .value_size = sizeof(c->value)};
	int r = jq_exec_sandbox_mounts(c->s, &f, &c->cwd_fd);

	if (r < 0) {
		c->step = f.step;
		c->reason = f.reason;
	}
	return r;
}

static int step_cap_bounding(struct child *c)
{
	return jq_exec_sandbox_bounding_drop();
}

/*
 * Inside the user namespace, with its capabilities: the groups jobqd
 * resolved (all mapped by the helper), then gid, then uid. An unprivileged
 * helper mapped only itself and denied setgroups: the groups stay.
 */
static int step_setgroups(struct child *c)
{
	const struct jq_exec_spec *s = c->s;
	_cleanup_free_ gid_t *gids = NULL;
	size_t off = 0;
	int n;

	if (!c->privileged)
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
	if (setresgid(want, want, want) < 0)
		return -errno;
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
	if (setresuid(want, want, want) < 0)
		return -errno;
	if (getresuid(&r, &e, &sv) < 0)
		return -errno;
	if (r != want || e != want || sv != want)
		return -EPERM;
	return 0;
}

/*
 * setresuid() to a uid that is not the namespace's root does not clear
 * capabilities here (uid 0 is not mapped, so the kernel's "leaving root"
 * rule never fires): clear every set explicitly and check that nothing is
 * left, so that no capability reaches the job, not even over its own
 * namespaces.
 */
static int step_capabilities(struct child *c)
{
	return jq_exec_sandbox_caps_clear();
}

/*
 * No exec can grant privilege again (setuid files, file capabilities),
 * and the init cannot be ptraced nor its /proc entries read by the job
 * that runs under the same uid; the init dies with the helper.
 */
static int step_no_new_privs(struct child *c)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * The job leads its own session and process group, so the init can signal
 * the whole group, and the job has no controlling terminal: TIOCSTI cannot
 * reach the submitter's terminal.
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
	src[0] = JQ_RETRY_EINTR(open("/dev/null", O_RDONLY | O_CLOEXEC));
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
		if (JQ_RETRY_EINTR(dup2(src[i], i)) < 0)
			return -errno;
	return 0;
}

/*
 * With the job's own credentials: a directory it may not enter fails here.
 * The fd is the directory the mounts step resolved and bound, not a new
 * lookup of the path; getcwd() then proves the job sees it at its own path
 * (runc's verifyCwd: no "(unreachable)" or foreign directory).
 */
static int step_chdir(struct child *c)
{
	_cleanup_free_ char *now = NULL;

	snprintf(c->value, sizeof(c->value), "%s", c->s->cwd);
	if (fchdir(c->cwd_fd) < 0)
		return -errno;
	now = getcwd(NULL, 0);
	if (!now)
		return -errno;
	if (strcmp(now, c->s->cwd) != 0) {
		c->reason = "the working directory was replaced while the job started";
		return -ESTALE;
	}
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

/* Closes every fd from 3 up except keep (-1: none). */
static int close_all_but(int keep)
{
	int r;

	if (keep < 3)
		return close_from_to(3, ~0U);
	r = close_from_to(3, (unsigned)keep - 1);
	if (r == 0)
		r = close_from_to((unsigned)keep + 1, ~0U);
	return r;
}

/*
 * The job sees fds 0-2 only: whatever the helper inherited from jobqd or
 * opened itself is closed here. The report pipe stays open, close-on-exec,
 * so that a failed exec setup can still be reported and a successful exec
 * closes it.
 */
static int step_close_fds(struct child *c)
{
	return close_all_but(c->fds.report_fd);
}

/* Last before execve: nothing after it needs a denied call. */
static int step_seccomp(struct child *c)
{
	if (!c->seccomp)
		return 0;
	return jq_exec_sandbox_seccomp_load(c->seccomp);
}

static const struct child_step init_steps[] = {
    {"namespaces", step_namespaces},
    {"loopback", step_loopback},
    {"setgroups", step_setgroups},
    {"mounts", step_mounts},
    {"cap-bounding", step_cap_bounding},
    {"setgid", step_setgid},
    {"setuid", step_setuid},
    {"capabilities", step_capabilities},
    {"no-new-privs", step_no_new_privs},
};

static const struct child_step job_steps[] = {
    {"setsid", step_setsid},   {"stdio", step_stdio},	      {"chdir", step_chdir},
    {"signals", step_signals}, {"close-fds", step_close_fds}, {"seccomp", step_seccomp},
};

static void report_write(int fd, const struct child_report *rep)
{
	(void)jq_write_all(fd, rep, sizeof(*rep));
}

_Noreturn static void child_fail(struct child *c, const char *step, int err)
{
	struct child_report rep = {.kind = REPORT_FAILED, .err = err};

	snprintf(rep.step, sizeof(rep.step), "%s", c->step ? c->step : step);
	snprintf(rep.reason, sizeof(rep.reason), "%s", c->reason ? c->reason : "");
	snprintf(rep.value, sizeof(rep.value), "%s", c->value);
	report_write(c->fds.report_fd, &rep);
	_exit(CHILD_SETUP_FAILED);
}

static void steps_run(struct child *c, const struct child_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r;
		c->value[0] = '\0';
		c->step = NULL;
		c->reason = NULL;
		r = steps[i].run(c);
		if (r < 0)
			child_fail(c, steps[i].name, -r);
	}
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

_Noreturn static void job_run(struct child *c)
{
	extern char **environ;
	const struct jq_exec_spec *s = c->s;
	int r;

	steps_run(c, job_steps, JQ_ARRAY_SIZE(job_steps));
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

/*
 * The tiny init. It reaps every process of the namespace (orphans are
 * reparented to it), forwards SIGTERM, SIGINT and SIGHUP to the job's
 * process group, and ends as soon as the job does: the kernel then kills
 * what is left of the namespace and the init reaps it on the way out, so
 * the helper's RUSAGE_CHILDREN covers the whole tree.
 *
 * PID 1 cannot die of a signal it sends itself, so it cannot end "the same
 * way" as a job killed by a signal: it reports the job's wait status on the
 * report pipe, and its exit code (the job's, or 128+N) is only a fallback.
 */
_Noreturn static void init_loop(struct child *c, pid_t job)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Inherited blocked from the helper: a cancel sent early is pending, not lost. */
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		int status;
		pid_t p;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (kill(-job, sig) < 0 && errno == ESRCH)
				(void)kill(job, sig);
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
			struct child_report rep = {.kind = REPORT_STATUS, .status = status};
			if (p != job)
				continue;
			report_write(c->fds.report_fd, &rep);
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
	}
}

/*
 * The init is a copy of the helper: without this, its command line would
 * be the helper's ("jobq-exec <run dir>"), which tools that look for the
 * helper by command line (pgrep -f) would find twice, and which would show
 * the job the path of jobq's state directory in /proc/1/cmdline. The
 * argument area (arg_start..arg_end, fields 48 and 49 of /proc/self/stat)
 * is ours to overwrite.
 */
static void init_retitle(void)
{
	static const char title[] = "jobq-exec-init";
	_cleanup_free_ char *data = NULL;
	unsigned long start = 0, end = 0;
	char *p, *save = NULL, *tok;
	int field = 3;

	if (jq_read_file("/proc/self/stat", 4096, &data, NULL) < 0)
		return;
	p = strrchr(data, ')');
	if (!p)
		return;
	/* Fields are single-space separated after "pid (comm)"; state is field 3. */
	for (tok = strtok_r(p + 1, " ", &save); tok && field < 48; tok = strtok_r(NULL, " ", &save))
		field++;
	if (!tok || sscanf(tok, "%lu", &start) != 1)
		return;
	tok = strtok_r(NULL, " ", &save);
	if (!tok || sscanf(tok, "%lu", &end) != 1 || end <= start + sizeof(title))
		return;
	memset((char *)start, 0, end - start);
	memcpy((char *)start, title, sizeof(title));
}

_Noreturn void jq_exec_child_run(const struct jq_exec_spec *s, const struct jq_exec_child_fds *fds,
				 void *seccomp_ctx, bool privileged)
{
	struct child c = {
	    .s = s, .fds = *fds, .seccomp = seccomp_ctx, .privileged = privileged, .cwd_fd = -1};
	pid_t job;
	int r;

	/* The report fd must survive the dup2 onto 0-2 in the stdio step. */
	r = fd_above_stdio(c.fds.report_fd);
	if (r < 0)
		_exit(CHILD_SETUP_FAILED);
	c.fds.report_fd = r;

	steps_run(&c, init_steps, JQ_ARRAY_SIZE(init_steps));
	init_retitle();
	job = fork();
	if (job < 0)
		child_fail(&c, "fork", errno);
	if (job == 0)
		job_run(&c);
	/* Only the job may hold the output pipes, or they never see EOF. */
	(void)close_all_but(c.fds.report_fd);
	init_loop(&c, job);
}

char *jq_exec_step_message(const char *step, int err, const char *reason, const char *value)
{
	const char *why = reason && *reason ? reason : strerror(err);

	if (!value || !*value)
		return jq_asprintf("%s: %s", step, why);
	return jq_asprintf("%s: %s ('%s')", step, why, value);
}

int jq_exec_child_report_read(int fd, char **ret_message, int *ret_status)
{
	char *msg = NULL;

	for (;;) {
		struct child_report rep;
		size_t len = 0;

		while (len < sizeof(rep)) {
			ssize_t n = JQ_RETRY_EINTR(read(fd, (char *)&rep + len, sizeof(rep) - len));
			if (n < 0) {
				free(msg);
				return -errno;
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
		if (len == 0)
			break;
		if (len != sizeof(rep) || (rep.kind == REPORT_FAILED && rep.err <= 0) ||
		    (rep.kind != REPORT_FAILED && rep.kind != REPORT_STATUS)) {
			free(msg);
			return -EBADMSG;
		}
		if (rep.kind == REPORT_STATUS) {
			*ret_status = rep.status;
			continue;
		}
		/* The first failure is the cause; the init's status follows it. */
		if (msg)
			continue;
		rep.step[sizeof(rep.step) - 1] = '\0';
		rep.value[sizeof(rep.value) - 1] = '\0';
		rep.reason[sizeof(rep.reason) - 1] = '\0';
		msg = jq_exec_step_message(rep.step, rep.err, rep.reason, rep.value);
		if (!msg)
			return -ENOMEM;
	}
	if (!msg)
		return 0;
	*ret_message = msg;
	return 1;
}
