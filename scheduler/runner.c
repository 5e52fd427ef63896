/* SPDX-License-Identifier: MIT */
/*
 * Starting jobs and seeing them end. The daemon never forks: each job gets
 * a jobq-exec helper through uv_spawn, detached into its own session, so
 * the job and its record survive the daemon. The helper's result file is
 * the only source of how the job ended; the daemon turns it into the end
 * state and the accounting row in one transaction.
 */
#include <dirent.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-parse.h"
#include "jq-time.h"
#include "jq-util.h"

#define MAX_RUN_GROUPS 1024

struct jq_run *jq_runner_find(struct jq_daemon *d, int64_t id)
{
	for (struct jq_run *r = d->runs; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

size_t jq_runner_tenant_running(struct jq_daemon *d, const char *tenant)
{
	size_t n = 0;

	for (struct jq_run *r = d->runs; r; r = r->next)
		if (!strcmp(r->tenant, tenant))
			n++;
	return n;
}

/* Process start time, field 22 of /proc/<pid>/stat, to tell a reused pid. */
static int64_t proc_start_time(pid_t pid)
{
	_cleanup_free_ char *path = jq_asprintf("/proc/%d/stat", (int)pid);
	_cleanup_free_ char *data = NULL;
	unsigned long long start;
	char *p;

	if (!path || jq_read_file(path, 4096, &data, NULL) < 0)
		return -1;
	p = strrchr(data, ')');
	if (!p)
		return -1;
	/* After "pid (comm)" come fields 3..; start time is field 22. */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &start) != 1)
		return -1;
	return (int64_t)start;
}

static void run_free(struct jq_run *r)
{
	free(r->tenant);
	free(r->run_dir);
	free(r->cancel_reason);
	free(r);
}

static void run_unlink(struct jq_daemon *d, struct jq_run *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		d->runs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	d->n_running--;
}

static void run_link(struct jq_daemon *d, struct jq_run *r)
{
	r->next = d->runs;
	if (d->runs)
		d->runs->prev = r;
	d->runs = r;
	d->n_running++;
}

static const char *signal_name(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "?";
}

/* cgroups (issue 3): "killed: out of memory (limit X, peak Y)". */
static char *oom_reason(struct jq_daemon *d, const struct jq_run *run,
			const struct jq_exec_result *res)
{
	const struct jq_tenant_config *t = jq_config_tenant(d->config, run->tenant);
	int64_t limit = run->memory_limit;
	char lim[32] = "none", peak[32] = "unknown";
	const char *whose = "";

	/* No job limit: the tenant's memory_max is what ran out. */
	if (limit < 0 && t && t->memory_max >= 0) {
		limit = t->memory_max;
		whose = "tenant ";
	}
	if (limit >= 0)
		jq_format_size((uint64_t)limit, lim, sizeof(lim));
	if (res->acct.memory_peak_bytes >= 0)
		jq_format_size((uint64_t)res->acct.memory_peak_bytes, peak, sizeof(peak));
	return jq_asprintf("killed: out of memory (%slimit %s, peak %s)", whose, lim, peak);
}

/*
 * issue 11: the bytes of the job's logs on disk, counted against its
 * tenant's max_log_bytes_total until retention removes the run directory.
 */
static int64_t log_bytes(const char *run_dir)
{
	static const char *const files[] = {JQ_EXEC_STDOUT_FILE, JQ_EXEC_STDERR_FILE};
	int64_t sum = 0;

	for (size_t i = 0; i < JQ_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = jq_asprintf("%s/%s", run_dir, files[i]);
		struct stat st;

		if (!p)
			return -1;
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			sum += st.st_size;
	}
	return sum;
}

/*
 * issue 11: once the end is recorded, the spec (argv and the whole
 * environment, up to 1M) is of no use any more: recovery reads a spec only
 * for a job still starting. The logs stay until retention.
 */
static void spec_remove(const struct jq_run *run)
{
	_cleanup_free_ char *p = jq_asprintf("%s/%s", run->run_dir, JQ_EXEC_SPEC_FILE);

	if (p && unlink(p) < 0 && errno != ENOENT)
		jq_log_warning("job %" PRId64 ": cannot remove '%s': %s, ignoring", run->id, p,
			       strerror(errno));
}

int jq_runner_record_end(struct jq_daemon *d, struct jq_run *run, int64_t helper_status,
			 bool log_failure)
{
	struct jq_exec_result res = {0};
	struct jq_store_finish f = {.exit_code = -1, .signal = -1, .started_at = -1};
	_cleanup_free_ char *reason = NULL;
	int r;

	r = jq_exec_result_read(run->run_dir, &res);
	if (r < 0) {
		f.state = JQ_JOB_LOST;
		if (helper_status >= 0)
			reason = jq_asprintf("its jobq-exec helper ended (status %" PRId64
					     ") without a result: %s",
					     helper_status, strerror(-r));
		else
			reason = jq_asprintf("its jobq-exec helper ended without a result: %s",
					     strerror(-r));
		f.finished_at = jq_now_usec();
	} else {
		f.started_at = res.started_at;
		f.finished_at = res.finished_at;
		f.exit_code = res.exit_code;
		f.signal = res.signal;
		f.acct = &res.acct;
		if (res.status == JQ_EXEC_FAILED_TO_START) {
			f.state = JQ_JOB_FAILED_TO_START;
			reason = strdup(res.message ? res.message : "setup failed");
			f.acct = NULL;
		} else if (res.end_cause == JQ_EXEC_END_TIMEOUT) {
			f.state = JQ_JOB_TIMEOUT;
			reason = strdup("timed out");
		} else if (res.end_cause == JQ_EXEC_END_CANCEL || run->cancel_requested) {
			f.state = JQ_JOB_CANCELLED;
			reason = strdup(run->cancel_reason ? run->cancel_reason : "cancelled");
		} else if (res.oom_kills > 0 &&
			   !(res.status == JQ_EXEC_EXITED && res.exit_code == 0)) {
			f.state = JQ_JOB_OOM;
			reason = oom_reason(d, run, &res);
		} else if (res.status == JQ_EXEC_EXITED && res.exit_code == 0) {
			f.state = JQ_JOB_SUCCEEDED;
		} else if (res.status == JQ_EXEC_EXITED) {
			f.state = JQ_JOB_FAILED;
			reason = jq_asprintf("exited with status %" PRId64, res.exit_code);
		} else {
			f.state = JQ_JOB_FAILED;
			reason = jq_asprintf("killed by signal %" PRId64 " (SIG%s)", res.signal,
					     signal_name((int)res.signal));
		}
		if (res.log_truncated && reason == NULL && run->log_cap >= 0 &&
		    run->log_cap < d->config->max_log_bytes)
			reason = jq_asprintf("output truncated at %" PRId64
					     " bytes (its tenant's max_log_bytes_total)",
					     run->log_cap);
		else if (res.log_truncated && reason == NULL)
			reason = strdup("output truncated at max_log_bytes");
	}
	f.reason = reason;
	f.log_bytes = log_bytes(run->run_dir);
	/* cgroups (issue 3): the helper removed the job's cgroup; make sure. */
	if (r >= 0 && res.cgroup_note && log_failure)
		jq_log_warning("job %" PRId64 ": %s", run->id, res.cgroup_note);
	r = jq_store_job_finish(d->store, run->id, &f);
	if (r < 0 && log_failure)
		jq_log_error_errno(r,
				   "job %" PRId64 ": cannot record its end: %m; retrying every "
				   "second",
				   run->id);
	else if (r >= 0)
		jq_log_info("job %" PRId64 " %s%s%s", run->id, jq_job_state_to_string(f.state),
			    reason ? ": " : "", reason ? reason : "");
	if (r >= 0)
		spec_remove(run);
	jq_exec_result_release(&res);
	return r;
}

/*
 * The helper ended: its job's end is recorded, or (the database failing,
 * e.g. its file system full) retried until it is (unrecorded.c); the job
 * counts as running, with its slot, until then.
 */
static void run_finish(struct jq_daemon *d, struct jq_run *run, int64_t helper_status)
{
	int r = jq_cg_job_remove(d->cg, run->tenant, run->id);

	if (r < 0)
		jq_log_error_errno(r, "job %" PRId64 ": cannot remove its cgroup: %m, ignoring",
				   run->id);
	r = jq_runner_record_end(d, run, helper_status, true);
	run_unlink(d, run);
	if (r < 0)
		jq_unrecorded_add(d, run, helper_status);
	else
		jq_requests_job_ended(d, run->id);
	jq_daemon_job_ended(d);
	jq_dispatch_schedule(d);
}

static void on_proc_closed(uv_handle_t *h)
{
	run_free(h->data);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
	struct jq_run *run = p->data;

	run_finish(run->daemon, run, term_signal ? 128 + term_signal : status);
	uv_close((uv_handle_t *)p, on_proc_closed);
}

static void on_pidfd(uv_poll_t *h, int status, int events)
{
	struct jq_run *run = h->data;

	uv_poll_stop(h);
	run_finish(run->daemon, run, -1);
	close(run->pidfd);
	run->pidfd = -1;
	uv_close((uv_handle_t *)h, on_proc_closed);
}

/*
 * The account a job runs as: the tenant's run_as, else the submitter;
 * root's jobs run as nobody. An unprivileged daemon runs everything as
 * itself.
 */
static int resolve_identity(struct jq_daemon *d, const struct jq_job *j,
			    const struct jq_tenant_config *t, struct jq_exec_spec *spec,
			    char **ret_err)
{
	const char *account = NULL;
	struct passwd pw, *pwr = NULL;
	char buf[16384];
	gid_t groups[MAX_RUN_GROUPS];
	int ng = MAX_RUN_GROUPS;

	if (!d->privileged) {
		spec->uid = geteuid();
		spec->gid = getegid();
		return 0;
	}
	if (t && t->run_as)
		account = t->run_as;
	else if (j->uid == 0)
		account = "nobody";
	if (!account) {
		spec->uid = j->uid;
		spec->gid = j->gid;
		spec->gids = calloc(j->n_gids ? j->n_gids : 1, sizeof(int64_t));
		if (!spec->gids)
			return -ENOMEM;
		if (j->n_gids) /* j->gids is NULL without supplementary groups */
			memcpy(spec->gids, j->gids, j->n_gids * sizeof(int64_t));
		spec->n_gids = j->n_gids;
		return 0;
	}
	if (getpwnam_r(account, &pw, buf, sizeof(buf), &pwr) != 0 || !pwr) {
		*ret_err = jq_asprintf("run as: unknown account '%s'", account);
		return -ENOENT;
	}
	if (pw.pw_uid == 0) {
		*ret_err = jq_asprintf("run as: refusing to run a job as root ('%s')", account);
		return -EPERM;
	}
	spec->uid = pw.pw_uid;
	spec->gid = pw.pw_gid;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ng) < 0)
		ng = 0;
	spec->gids = calloc(ng ? (size_t)ng : 1, sizeof(int64_t));
	if (!spec->gids)
		return -ENOMEM;
	for (int i = 0; i < ng; i++)
		spec->gids[i] = groups[i];
	spec->n_gids = (size_t)ng;
	return 0;
}

/* Effective limits: the request filled from the tenant's defaults and clamped to its caps. */
struct jq_limits jq_runner_effective_limits(const struct jq_job *j,
					    const struct jq_tenant_config *t)
{
	struct jq_limits l = j->requested;

	if (!t)
		return l;
	if (l.timeout_usec == JQ_LIMIT_UNSET)
		l.timeout_usec = t->default_timeout_usec;
	if (t->max_timeout_usec != JQ_LIMIT_UNSET &&
	    (l.timeout_usec == JQ_LIMIT_UNSET || l.timeout_usec > t->max_timeout_usec))
		l.timeout_usec = t->max_timeout_usec;
	/*
	 * cgroups (issue 3): cpus, memory and pids are clamped to the
	 * tenant's caps. Since issue 11 a request above them never gets
	 * here (admission.c refuses it at submit and at dispatch): the clamp
	 * only keeps the limits within the caps if that ever changes. Memory
	 * falls back to default_memory. What the host then really enforces
	 * is read back by jq_cg_job_create in jq_runner_start.
	 */
	if (l.memory_bytes == JQ_LIMIT_UNSET)
		l.memory_bytes = t->default_memory;
	if (t->cpu_max_milli != JQ_LIMIT_UNSET && l.cpus_milli > t->cpu_max_milli)
		l.cpus_milli = t->cpu_max_milli;
	if (t->memory_max != JQ_LIMIT_UNSET && l.memory_bytes > t->memory_max)
		l.memory_bytes = t->memory_max;
	if (t->pids_max != JQ_LIMIT_UNSET && l.pids > t->pids_max)
		l.pids = t->pids_max;
	return l;
}

static void fail_start(struct jq_daemon *d, int64_t id, const char *reason)
{
	int r = jq_store_job_finish(d->store, id,
				    &(struct jq_store_finish){
					.state = JQ_JOB_FAILED_TO_START,
					.reason = reason,
					.exit_code = -1,
					.signal = -1,
					.started_at = -1,
					.finished_at = jq_now_usec(),
				    });
	if (r < 0)
		jq_log_error_errno(r, "job %" PRId64 ": cannot record failed start: %m", id);
	jq_log_warning("job %" PRId64 " failed to start: %s", id, reason);
	jq_requests_job_ended(d, id);
}

int jq_runner_start(struct jq_daemon *d, struct jq_job *j)
{
	const struct jq_tenant_config *t = jq_config_tenant(d->config, j->tenant);
	struct jq_exec_spec spec = {0};
	_cleanup_free_ char *err = NULL;
	_cleanup_strv_ char **env = NULL;
	struct jq_run *run;
	struct jq_limits eff = jq_runner_effective_limits(j, t);
	uv_process_options_t opts = {0};
	uv_stdio_container_t stdio[3];
	char *args[3];
	int r, cg_r;
	/* cgroups (issue 3): the job's cgroup exists, limited, before the job does. */
	_cleanup_strv_ char **cg_paths = NULL;
	_cleanup_free_ char *cg_msg = NULL;
	struct jq_limits cg_eff;

	cg_r = jq_cg_job_create(d->cg, j->tenant, j->id, &eff, !d->config->enforce_warn, &cg_eff,
				&cg_paths, &cg_msg);
	if (cg_r >= 0)
		eff = cg_eff;
	r = jq_store_job_mark_starting(d->store, j->id, &eff);
	if (r < 0) {
		if (cg_r >= 0)
			(void)jq_cg_job_remove(d->cg, j->tenant, j->id);
		return jq_log_error_errno(r, "job %" PRId64 ": cannot mark it starting: %m", j->id);
	}
	if (cg_r < 0) {
		fail_start(d, j->id, cg_msg ? cg_msg : strerror(-cg_r));
		return cg_r;
	}
	if (cg_msg)
		jq_log_warning("job %" PRId64 ": %s: running without it (enforce = warn)", j->id,
			       cg_msg);

	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	run->daemon = d;
	run->id = j->id;
	run->pidfd = -1;
	run->memory_limit = eff.memory_bytes;
	run->tenant = strdup(j->tenant);
	run->run_dir = jq_exec_run_dir(d->config->state_dir, j->id);
	if (!run->tenant || !run->run_dir) {
		run_free(run);
		(void)jq_cg_job_remove(d->cg, j->tenant, j->id);
		fail_start(d, j->id, "out of memory");
		return -ENOMEM;
	}

	spec.job_id = j->id;
	spec.argv = j->argv;
	env = jq_runner_job_env(j);
	if (!env) {
		run_free(run);
		(void)jq_cg_job_remove(d->cg, j->tenant, j->id);
		fail_start(d, j->id, "out of memory");
		return -ENOMEM;
	}
	spec.env = env;
	spec.cwd = j->cwd;
	spec.limits = eff;
	/* issue 11: within what is left of the tenant's max_log_bytes_total */
	spec.max_log_bytes = jq_budget_log_room(d, t);
	run->log_cap = spec.max_log_bytes;
	spec.kill_grace_usec = d->config->kill_grace_usec;
	spec.cgroup_mode = jq_cg_mode(d->cg);
	spec.cgroup_paths = cg_paths;
	r = jq_runner_sandbox_spec(d, t, &spec.sandbox);
	spec.sandbox.nproc = jq_runner_job_nproc(&eff, t);
	if (r < 0)
		err = strdup("out of memory");
	if (r >= 0)
		r = resolve_identity(d, j, t, &spec, &err);
	if (r >= 0) {
		(void)jq_rm_rf(run->run_dir);
		r = jq_mkdir_p(run->run_dir, 0700);
		if (r < 0)
			err = jq_asprintf("cannot create run directory '%s': %s", run->run_dir,
					  strerror(-r));
	}
	if (r >= 0) {
		r = jq_exec_spec_write(run->run_dir, &spec);
		if (r < 0)
			err = jq_asprintf("cannot write '%s/spec': %s", run->run_dir, strerror(-r));
	}
	free(spec.gids);
	jq_strv_free(spec.sandbox.hide_paths);
	if (r < 0) {
		(void)jq_cg_job_remove(d->cg, j->tenant, j->id);
		fail_start(d, j->id, err ? err : strerror(-r));
		run_free(run);
		return r;
	}

	args[0] = d->exec_path;
	args[1] = run->run_dir;
	args[2] = NULL;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 2;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	opts.file = d->exec_path;
	opts.args = args;
	opts.exit_cb = on_exit_cb;
	/* Its own session: the job outlives a daemon restart or crash. */
	opts.flags = UV_PROCESS_DETACHED;
	opts.stdio = stdio;
	opts.stdio_count = 3;
	run->proc.data = run;
	r = uv_spawn(&d->loop, &run->proc, &opts);
	if (r < 0) {
		_cleanup_free_ char *msg =
		    jq_asprintf("cannot start '%s': %s", d->exec_path, uv_strerror(r));
		(void)jq_cg_job_remove(d->cg, j->tenant, j->id);
		fail_start(d, j->id, msg ? msg : "cannot start jobq-exec");
		uv_close((uv_handle_t *)&run->proc, on_proc_closed);
		return r;
	}
	run->helper_pid = run->proc.pid;
	run_link(d, run);
	r = jq_store_job_mark_running(d->store, j->id, jq_now_usec(), run->helper_pid,
				      proc_start_time(run->helper_pid));
	if (r < 0)
		jq_log_error_errno(r, "job %" PRId64 ": cannot mark it running: %m", j->id);
	jq_log_info("job %" PRId64 " started (tenant '%s', helper pid %d)", j->id, j->tenant,
		    (int)run->helper_pid);
	return 0;
}

int jq_runner_cancel(struct jq_daemon *d, int64_t id, const char *reason)
{
	struct jq_run *run = jq_runner_find(d, id);

	if (!run)
		return -ESRCH;
	if (!run->cancel_requested) {
		run->cancel_requested = true;
		run->cancel_reason = strdup(reason);
	}
	/* jobq-exec forwards SIGTERM to the job and kills it after kill_grace. */
	if (kill(run->helper_pid, SIGTERM) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

void jq_runner_forget_all(struct jq_daemon *d)
{
	struct jq_run *run;

	while ((run = d->runs)) {
		run_unlink(d, run);
		if (run->adopted) {
			uv_poll_stop(&run->poll);
			close(run->pidfd);
			run->pidfd = -1;
			uv_close((uv_handle_t *)&run->poll, on_proc_closed);
		} else {
			uv_close((uv_handle_t *)&run->proc, on_proc_closed);
		}
	}
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

struct recover_ctx {
	struct jq_daemon *d;
	int64_t *ids;
	size_t n, cap;
};

static int collect(const struct jq_job *j, void *u)
{
	struct recover_ctx *ctx = u;

	if (ctx->n == ctx->cap) {
		size_t ncap = ctx->cap ? ctx->cap * 2 : 64;
		int64_t *p = realloc(ctx->ids, ncap * sizeof(int64_t));
		if (!p)
			return -ENOMEM;
		ctx->ids = p;
		ctx->cap = ncap;
	}
	ctx->ids[ctx->n++] = j->id;
	return 0;
}

/*
 * The helper of a job whose pid never reached the database (the daemon
 * died right after spawning it): found by its command line, which names
 * the job's run directory.
 */
static pid_t find_helper(const char *exec_path, const char *run_dir)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	pid_t found = -1;

	if (!proc)
		return -1;
	while (found < 0 && (de = readdir(proc))) {
		_cleanup_free_ char *path = NULL, *cmd = NULL;
		size_t len, a;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		path = jq_asprintf("/proc/%ld/cmdline", pid);
		if (!path || jq_read_file(path, 8192, &cmd, &len) < 0)
			continue;
		/* argv[0] NUL argv[1] NUL */
		a = strnlen(cmd, len);
		if (a < len && !strcmp(cmd, exec_path) && !strcmp(cmd + a + 1, run_dir))
			found = (pid_t)pid;
	}
	closedir(proc);
	return found;
}

/* Adopts a live helper of an earlier daemon, watching it through a pidfd. */
static int adopt(struct jq_daemon *d, const struct jq_job *j)
{
	struct jq_run *run;
	int fd, r;

	if (j->helper_pid <= 0 || proc_start_time((pid_t)j->helper_pid) != j->helper_start_time)
		return -ESRCH;
	fd = pidfd_open_((pid_t)j->helper_pid);
	if (fd < 0)
		return -errno;
	run = calloc(1, sizeof(*run));
	if (!run) {
		close(fd);
		return -ENOMEM;
	}
	run->daemon = d;
	run->id = j->id;
	run->adopted = true;
	run->memory_limit = j->effective.memory_bytes; /* cgroups (issue 3) */
	run->log_cap = d->config->max_log_bytes;       /* issue 11: its spec may say less */
	run->pidfd = fd;
	run->helper_pid = (pid_t)j->helper_pid;
	run->tenant = strdup(j->tenant);
	run->run_dir = jq_exec_run_dir(d->config->state_dir, j->id);
	if (!run->tenant || !run->run_dir) {
		close(fd);
		run_free(run);
		return -ENOMEM;
	}
	r = uv_poll_init(&d->loop, &run->poll, fd);
	if (r < 0) {
		close(fd);
		run_free(run);
		return r;
	}
	run->poll.data = run;
	run_link(d, run);
	uv_poll_start(&run->poll, UV_READABLE, on_pidfd);
	jq_log_info("job %" PRId64 " adopted (helper pid %" PRId64 ")", j->id, j->helper_pid);
	return 0;
}

/*
 * A job the daemon died while starting, with no helper and no result. Its
 * spec is written before jobq-exec is spawned: without one the helper never
 * existed and the job never ran, so it goes back to the queue. With one, a
 * helper may have been on its way (forked, not yet exec'd): rather than
 * risk running the job twice, it fails to start.
 */
static void requeue_or_fail(struct jq_daemon *d, const struct jq_job *j, const char *run_dir)
{
	_cleanup_free_ char *spec =
	    run_dir ? jq_asprintf("%s/%s", run_dir, JQ_EXEC_SPEC_FILE) : NULL;
	int r;

	if (spec && access(spec, F_OK) < 0 && errno == ENOENT) {
		r = jq_store_job_set_state(d->store, j->id, JQ_JOB_QUEUED, NULL);
		if (r >= 0) {
			jq_log_info("job %" PRId64 " requeued: jobqd stopped before it started",
				    j->id);
			return;
		}
		jq_log_error_errno(r, "job %" PRId64 ": cannot requeue it: %m", j->id);
	}
	fail_start(d, j->id, "jobqd stopped while the job was starting");
}

int jq_runner_recover(struct jq_daemon *d)
{
	static const enum jq_job_state states[] = {JQ_JOB_STARTING, JQ_JOB_RUNNING};
	struct recover_ctx ctx = {.d = d};
	int r = 0;

	for (size_t s = 0; s < JQ_ARRAY_SIZE(states); s++) {
		struct jq_store_filter f = {.state = (int)states[s], .uid = -1, .limit = -1};
		r = jq_store_job_list(d->store, &f, collect, &ctx);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < ctx.n; i++) {
		struct jq_job j;
		if (jq_store_job_get(d->store, ctx.ids[i], &j) < 0)
			continue;
		if (j.state == JQ_JOB_STARTING) {
			_cleanup_free_ char *rd = jq_exec_run_dir(d->config->state_dir, j.id);
			pid_t pid = rd ? find_helper(d->exec_path, rd) : -1;
			if (pid > 0 && jq_store_job_mark_running(d->store, j.id, -1, pid,
								 proc_start_time(pid)) >= 0) {
				jq_job_release(&j);
				if (jq_store_job_get(d->store, ctx.ids[i], &j) < 0)
					continue;
			}
		}
		if (j.state == JQ_JOB_RUNNING && adopt(d, &j) >= 0) {
			jq_job_release(&j);
			continue;
		}
		/* The helper is gone: its result, if it wrote one, says how the job ended. */
		struct jq_run tmp = {.daemon = d,
				     .id = j.id,
				     .memory_limit = j.effective.memory_bytes,
				     .log_cap = d->config->max_log_bytes};
		tmp.run_dir = jq_exec_run_dir(d->config->state_dir, j.id);
		struct jq_exec_result res = {0};
		if (tmp.run_dir && jq_exec_result_read(tmp.run_dir, &res) >= 0) {
			struct jq_run *run = calloc(1, sizeof(*run));
			/*
			 * The daemon died between spawning the helper and
			 * recording it: the job ran, so it was running.
			 */
			if (j.state == JQ_JOB_STARTING)
				(void)jq_store_job_mark_running(d->store, j.id, res.started_at, -1,
								-1);
			jq_exec_result_release(&res);
			if (run) {
				*run = tmp;
				run->tenant = strdup(j.tenant);
				run_link(d, run);
				run_finish(d, run, -1);
				run_free(run);
				tmp.run_dir = NULL;
			}
		} else if (j.state == JQ_JOB_STARTING) {
			requeue_or_fail(d, &j, tmp.run_dir);
		} else {
			int k = jq_store_job_finish(
			    d->store, j.id,
			    &(struct jq_store_finish){
				.state = JQ_JOB_LOST,
				.reason = "its jobq-exec helper is gone without a result "
					  "(host reboot or killed)",
				.exit_code = -1,
				.signal = -1,
				.started_at = -1,
				.finished_at = jq_now_usec(),
			    });
			if (k < 0)
				jq_log_error_errno(k, "job %" PRId64 ": cannot mark it lost: %m",
						   j.id);
			else
				jq_log_warning("job %" PRId64 " lost: helper gone without a result",
					       j.id);
		}
		free(tmp.run_dir);
		jq_job_release(&j);
	}
out:
	free(ctx.ids);
	return r;
}
