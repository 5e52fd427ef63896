/* SPDX-License-Identifier: MIT */
/*
 * Supervision of one job by jobq-exec: fork, a single-threaded poll loop
 * over the output pipes, a signalfd and a timerfd, the kill sequence of
 * timeouts and cancels, reaping of the whole tree, and accounting.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "jq-cgroup.h"
#include "jq-exec-internal.h"
#include "jq-time.h"
#include "jq-util.h"

/* Largest /proc/<pid>/task/<tid>/children we read: ~100k pids. */
#define MAX_CHILDREN_FILE (1024 * 1024)
/* Reads per stream once the job has ended: the pipe's buffered bytes. */
#define FINAL_DRAIN_READS 64
/* Least time given to reap SIGKILLed descendants after the job ended. */
#define REAP_MIN_USEC (2 * 1000000)

enum phase {
	PHASE_RUNNING, /* no signal sent yet */
	PHASE_TERM,    /* SIGTERM sent, SIGKILL at kill_at */
	PHASE_KILL,    /* SIGKILL sent */
};

struct run {
	const struct jq_exec_spec *s;
	pid_t pid;
	int sfd;
	int tfd;
	struct jq_exec_log log;
	enum phase phase;
	enum jq_exec_end_cause cause;
	int64_t timeout_at; /* monotonic usec; 0 = no timeout */
	int64_t kill_at;
	bool main_done;
	int main_status;
	int64_t finished_at;
	struct jq_cg_job *cg; /* the job's cgroup, NULL without one */
};

/*
 * Signals the job's process group. Before the child's setsid() the group
 * does not exist yet (ESRCH): the child itself is signalled, and since it
 * inherited the helper's blocked mask the signal stays pending until the
 * child resets its mask just before exec.
 */
static void job_kill(struct run *r, int sig)
{
	if (kill(-r->pid, sig) < 0 && errno == ESRCH)
		(void)kill(r->pid, sig);
	/* The cgroup also holds what left the process group (setsid, daemons). */
	if (sig == SIGKILL && r->cg)
		(void)jq_cg_job_kill(r->cg);
}

static void job_term(struct run *r, enum jq_exec_end_cause cause)
{
	if (r->main_done || r->phase != PHASE_RUNNING)
		return;
	r->cause = cause;
	r->phase = PHASE_TERM;
	r->kill_at = jq_mono_usec() + r->s->kill_grace_usec;
	job_kill(r, SIGTERM);
}

/*
 * Reaps every exited child. The job's main process is looked at with
 * WNOWAIT first: while it is an unreaped zombie its pid, and so its
 * process group id, cannot be reused, which makes the SIGKILL to the group
 * safe. Only then is it reaped.
 */
static void reap(struct run *r)
{
	for (;;) {
		siginfo_t si = {0};
		int status;

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		if (si.si_pid == r->pid && !r->main_done) {
			r->finished_at = jq_now_usec();
			(void)kill(-r->pid, SIGKILL);
		}
		if (waitpid(si.si_pid, &status, WNOHANG) <= 0)
			return;
		if (si.si_pid == r->pid && !r->main_done) {
			r->main_done = true;
			r->main_status = status;
		}
	}
}

static void handle_signals(struct run *r)
{
	struct signalfd_siginfo ssi;

	for (;;) {
		ssize_t n = read(r->sfd, &ssi, sizeof(ssi));
		if (n != (ssize_t)sizeof(ssi))
			break;
		if (ssi.ssi_signo == SIGCHLD)
			continue;
		/* SIGTERM, SIGINT, SIGHUP: jobqd cancels the job. */
		job_term(r, JQ_EXEC_END_CANCEL);
	}
	/* SIGCHLD coalesces: always reap everything there is. */
	reap(r);
}

static void handle_timer(struct run *r)
{
	uint64_t ticks;
	int64_t now = jq_mono_usec();

	(void)!read(r->tfd, &ticks, sizeof(ticks));
	if (r->main_done)
		return;
	if (r->phase == PHASE_RUNNING && r->timeout_at > 0 && now >= r->timeout_at)
		job_term(r, JQ_EXEC_END_TIMEOUT);
	if (r->phase == PHASE_TERM && now >= r->kill_at) {
		r->phase = PHASE_KILL;
		job_kill(r, SIGKILL);
	}
}

/* Arms the timerfd for deadline (monotonic usec), or disarms it for 0. */
static int timer_arm(int tfd, int64_t deadline)
{
	struct itimerspec its = {0};

	if (deadline > 0) {
		its.it_value.tv_sec = deadline / 1000000;
		its.it_value.tv_nsec = (deadline % 1000000) * 1000;
		/* An all-zero it_value would disarm the timer. */
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	return 0;
}

static int64_t next_deadline(const struct run *r)
{
	if (r->phase == PHASE_RUNNING)
		return r->timeout_at;
	if (r->phase == PHASE_TERM)
		return r->kill_at;
	return 0;
}

/*
 * One turn of the loop: waits for output, a signal or the timer and
 * handles what came. Returns 0 or -errno of poll(2).
 */
static int loop_once(struct run *r, int64_t deadline)
{
	struct pollfd pfd[4];
	size_t n = 0, sidx[2];
	int k;

	k = timer_arm(r->tfd, deadline);
	if (k < 0)
		return k;
	for (size_t i = 0; i < 2; i++) {
		if (r->log.streams[i].in_fd < 0)
			continue;
		sidx[n] = i;
		pfd[n++] = (struct pollfd){.fd = r->log.streams[i].in_fd, .events = POLLIN};
	}
	size_t nstreams = n;
	pfd[n++] = (struct pollfd){.fd = r->sfd, .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = r->tfd, .events = POLLIN};

	k = poll(pfd, n, -1);
	if (k < 0)
		return errno == EINTR ? 0 : -errno;
	for (size_t i = 0; i < nstreams; i++)
		if (pfd[i].revents)
			(void)jq_exec_log_pump(&r->log, sidx[i]);
	if (pfd[nstreams].revents)
		handle_signals(r);
	if (pfd[nstreams + 1].revents)
		handle_timer(r);
	return 0;
}

static int parse_pid(const char *s, pid_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

/* The ppid field of /proc/<pid>/stat, after the comm that may hold spaces. */
static int proc_ppid(const char *pid, pid_t *ret)
{
	_cleanup_free_ char *path = jq_asprintf("/proc/%s/stat", pid);
	_cleanup_free_ char *data = NULL;
	char state;
	int ppid;
	char *p;
	int r;

	if (!path)
		return -ENOMEM;
	r = jq_read_file(path, 4096, &data, NULL);
	if (r < 0)
		return r;
	p = strrchr(data, ')');
	if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
		return -EBADMSG;
	*ret = ppid;
	return 0;
}

/* Fallback without CONFIG_PROC_CHILDREN: scan /proc for our children. */
static ssize_t kill_children_scan(pid_t self)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	ssize_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid, ppid;
		if (parse_pid(de->d_name, &pid) < 0 || proc_ppid(de->d_name, &ppid) < 0)
			continue;
		if (ppid != self)
			continue;
		(void)kill(pid, SIGKILL);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * SIGKILLs every child of the helper and returns how many there were. As
 * child subreaper the helper inherits every orphaned descendant, also those
 * that left the job's process group with setsid(); killing the children
 * over and over until none is left therefore kills the whole tree. The pids
 * are safe to signal: a child's pid is not reused before the helper reaps
 * it, and nothing is reaped between listing and killing.
 */
static ssize_t kill_children(void)
{
	pid_t self = getpid();
	_cleanup_free_ char *path = jq_asprintf("/proc/%d/task/%d/children", self, self);
	_cleanup_free_ char *data = NULL;
	ssize_t n = 0;
	char *save = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = jq_read_file(path, MAX_CHILDREN_FILE, &data, NULL);
	if (r == -ENOENT)
		return kill_children_scan(self);
	if (r < 0)
		return r;
	for (char *tok = strtok_r(data, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		pid_t pid;
		if (parse_pid(tok, &pid) < 0)
			continue;
		(void)kill(pid, SIGKILL);
		n++;
	}
	return n;
}

static bool have_children(void)
{
	siginfo_t si = {0};

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/*
 * After the main process ended: kill what is left, reap it, and drain the
 * pipes to EOF. Draining gets at most kill_grace; reaping what was just
 * SIGKILLed gets at least REAP_MIN_USEC even with kill_grace 0, since only
 * reaped processes count in the rusage and only a helper that waited for
 * them leaves nothing behind.
 */
static void finish(struct run *r, struct jq_exec_diag *diag)
{
	int64_t now = jq_mono_usec();
	int64_t drain_until = now + r->s->kill_grace_usec;
	int64_t reap_until =
	    now + (r->s->kill_grace_usec > REAP_MIN_USEC ? r->s->kill_grace_usec : REAP_MIN_USEC);

	for (;;) {
		ssize_t n;

		reap(r);
		if (r->cg)
			(void)jq_cg_job_kill(r->cg);
		n = kill_children();
		if (n < 0)
			n = have_children() ? 1 : 0;
		now = jq_mono_usec();
		if (jq_exec_log_open(&r->log) && now >= drain_until) {
			for (size_t i = 0; i < 2; i++)
				jq_exec_log_drain(&r->log, i, FINAL_DRAIN_READS);
			diag->drain_cut = jq_exec_log_open(&r->log);
			jq_exec_log_close_input(&r->log);
		}
		if (n == 0 && !jq_exec_log_open(&r->log))
			break;
		if (now >= reap_until)
			break;
		if (loop_once(r, jq_exec_log_open(&r->log) ? drain_until : reap_until) < 0)
			break;
	}
	reap(r);
	for (size_t i = 0; i < 2; i++)
		jq_exec_log_drain(&r->log, i, FINAL_DRAIN_READS);
	if (jq_exec_log_open(&r->log))
		diag->drain_cut = true;
	if (have_children()) {
		ssize_t n = kill_children();
		diag->n_left = n > 0 ? (size_t)n : 1;
	}
}

static int open_log(const char *run_dir, const char *name, int *ret_fd)
{
	_cleanup_free_ char *path = jq_asprintf("%s/%s", run_dir, name);
	int fd;

	if (!path)
		return -ENOMEM;
	/*
	 * A fresh inode every time: a file left from an earlier attempt (or
	 * planted) could have another owner, mode or hard links. O_EXCL with
	 * O_NOFOLLOW does not follow a symlink put in its place.
	 */
	if (JQ_RETRY_EINTR(unlink(path)) < 0 && errno != ENOENT)
		return -errno;
	fd = JQ_RETRY_EINTR(open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (fd < 0)
		return -errno;
	/* The job writes through its pipe only; it must not open the file. */
	if (fchmod(fd, 0600) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

static int pipe_nonblock_read(int p[2])
{
	int fl;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fl = fcntl(p[0], F_GETFL);
	if (fl < 0 || fcntl(p[0], F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = -errno;
		close(p[0]);
		close(p[1]);
		p[0] = p[1] = -1;
		return err;
	}
	return 0;
}

static void fill_accounting(struct jq_exec_result *res)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		res->acct.cpu_user_usec =
		    (int64_t)ru.ru_utime.tv_sec * 1000000 + (int64_t)ru.ru_utime.tv_usec;
		res->acct.cpu_system_usec =
		    (int64_t)ru.ru_stime.tv_sec * 1000000 + (int64_t)ru.ru_stime.tv_usec;
		/* RUSAGE_CHILDREN's maxrss is that of the largest child, in KiB. */
		res->acct.memory_peak_bytes = (int64_t)ru.ru_maxrss * 1024;
		res->acct.io_read_bytes = (int64_t)ru.ru_inblock * 512;
		res->acct.io_write_bytes = (int64_t)ru.ru_oublock * 512;
	}
	res->acct.wall_usec = res->finished_at - res->started_at;
}

static int result_failed(struct jq_exec_result *res, struct jq_exec_diag *diag, const char *step,
			 int err, const char *value)
{
	res->status = JQ_EXEC_FAILED_TO_START;
	res->message = jq_exec_step_message(step, err, NULL, value);
	if (!res->finished_at)
		res->finished_at = jq_now_usec();
	if (res->started_at > 0)
		res->acct.wall_usec = res->finished_at - res->started_at;
	diag->step = step;
	diag->step_err = err;
	return res->message ? 0 : -ENOMEM;
}

int jq_exec_run(const char *run_dir, const struct jq_exec_spec *s, int sfd,
		struct jq_exec_result *ret, struct jq_exec_diag *diag)
{
	struct run r = {.s = s, .pid = -1, .sfd = sfd, .tfd = -1};
	struct jq_exec_result res = {
	    .job_id = s->job_id,
	    .status = JQ_EXEC_EXITED,
	    .end_cause = JQ_EXEC_END_NORMAL,
	    .exit_code = -1,
	    .signal = -1,
	    .started_at = -1,
	    .acct = {-1, -1, -1, -1, -1, -1, -1},
	    .oom_kills = -1,
	};
	int out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
	char *msg = NULL;
	int64_t mono_start;
	int k;

	*diag = (struct jq_exec_diag){0};
	jq_exec_log_init(&r.log, s->max_log_bytes);

	k = open_log(run_dir, JQ_EXEC_STDOUT_FILE, &r.log.streams[0].out_fd);
	if (k < 0) {
		k = result_failed(&res, diag, "open-log", -k, JQ_EXEC_STDOUT_FILE);
		goto out;
	}
	k = open_log(run_dir, JQ_EXEC_STDERR_FILE, &r.log.streams[1].out_fd);
	if (k < 0) {
		k = result_failed(&res, diag, "open-log", -k, JQ_EXEC_STDERR_FILE);
		goto out;
	}
	k = pipe_nonblock_read(out);
	if (k >= 0)
		k = pipe_nonblock_read(err);
	if (k >= 0 && pipe2(rep, O_CLOEXEC) < 0)
		k = -errno;
	if (k < 0) {
		k = result_failed(&res, diag, "pipe", -k, NULL);
		goto out;
	}
	r.log.streams[0].in_fd = TAKE_FD(out[0]);
	r.log.streams[1].in_fd = TAKE_FD(err[0]);
	r.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r.tfd < 0) {
		k = result_failed(&res, diag, "timerfd", errno, NULL);
		goto out;
	}

	res.started_at = jq_now_usec();
	mono_start = jq_mono_usec();
	{
		struct jq_exec_child_fds fds = {
		    .stdout_fd = out[1], .stderr_fd = err[1], .report_fd = rep[1]};
		struct jq_exec_spawn_opts so = {.cgroup_fd = -1};
		const char *step = NULL;
		k = jq_exec_cg_open(s, &r.cg);
		if (k < 0) {
			k = result_failed(&res, diag, "cgroup", -k,
					  s->cgroup_paths ? s->cgroup_paths[0] : NULL);
			goto out;
		}
		if (r.cg) {
			so.cgroup_fd = jq_cg_job_clone_fd(r.cg);
			so.place = jq_exec_cg_place;
			so.place_data = r.cg;
		}
		r.pid = jq_exec_spawn_job(s, &fds, &so, &step);
		if (r.pid < 0) {
			k = result_failed(&res, diag, step, -r.pid, NULL);
			r.pid = -1;
			goto out;
		}
	}
	/* Only the job may hold the write ends, or the pipes never see EOF. */
	jq_closep(&out[1]);
	jq_closep(&err[1]);
	jq_closep(&rep[1]);
	out[1] = err[1] = rep[1] = -1;

	if (s->limits.timeout_usec > 0)
		r.timeout_at = mono_start + s->limits.timeout_usec;
	while (!r.main_done) {
		k = loop_once(&r, next_deadline(&r));
		if (k < 0) {
			/* Without a working loop the job cannot be supervised: end it. */
			job_kill(&r, SIGKILL);
			(void)JQ_RETRY_EINTR(waitpid(r.pid, &r.main_status, 0));
			r.main_done = true;
			r.finished_at = jq_now_usec();
		}
	}
	finish(&r, diag);
	res.log_truncated = jq_exec_log_finish(&r.log);
	diag->log_err = r.log.write_err;
	res.end_cause = r.cause;
	res.finished_at = r.finished_at;
	fill_accounting(&res);
	jq_exec_cg_finish(r.cg, &res);

	/* The child is gone, so its end of the report pipe is closed: no block. */
	{
		/* sandbox: the init reports how the job itself ended. */
		int job_status = -1;
		k = jq_exec_child_report_read(rep[0], &msg, &job_status);
		if (job_status != -1)
			r.main_status = job_status;
	}
	if (k < 0)
		diag->report_err = k;
	if (k > 0) {
		res.status = JQ_EXEC_FAILED_TO_START;
		res.message = msg;
	} else if (WIFEXITED(r.main_status)) {
		res.status = JQ_EXEC_EXITED;
		res.exit_code = WEXITSTATUS(r.main_status);
	} else if (WIFSIGNALED(r.main_status)) {
		res.status = JQ_EXEC_SIGNALED;
		res.signal = WTERMSIG(r.main_status);
	}
	k = 0;
out:
	if (r.cg && r.pid < 0)
		(void)jq_cg_job_destroy(r.cg);
	jq_cg_job_free(r.cg);
	jq_exec_log_release(&r.log);
	jq_closep(&r.tfd);
	for (int i = 0; i < 2; i++) {
		jq_closep(&out[i]);
		jq_closep(&err[i]);
		jq_closep(&rep[i]);
	}
	if (k < 0) {
		jq_exec_result_release(&res);
		return k;
	}
	*ret = res;
	return 0;
}
