/* SPDX-License-Identifier: MIT */
/*
 * The daemon's lifetime: open what it needs, recover what an earlier
 * instance left running, serve, and stop cleanly on SIGTERM/SIGINT
 * (running jobs keep running: their helpers do not need the daemon).
 */
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-util.h"

static char *find_exec_path(void)
{
	char self[4096];
	ssize_t n;
	const char *env = getenv("JOBQ_EXEC");

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return NULL;
	self[n] = '\0';
	return jq_asprintf("%s/jobq-exec", dirname(self));
}

void jq_daemon_job_ended(struct jq_daemon *d)
{
	if (d->stopping && d->n_running == 0) {
		jq_log_info("no job is running any more, stopping");
		uv_stop(&d->loop);
	}
}

/*
 * SIGTERM/SIGINT: stop accepting and dispatching. Running jobs are left to
 * their helpers (the next jobqd adopts them) unless `shutdown` says to
 * wait for them (drain) or to cancel them first (kill); a second signal
 * stops at once, leaving what still runs.
 */
static void on_stop_signal(uv_signal_t *s, int signum)
{
	struct jq_daemon *d = s->data;
	enum jq_shutdown mode = d->config->shutdown;

	if (d->stopping || mode == JQ_SHUTDOWN_LEAVE || d->n_running == 0) {
		jq_log_info("received %s, stopping%s", sigabbrev_np(signum),
			    d->n_running ? " (running jobs keep running)" : "");
		d->stopping = true;
		jq_server_close(d);
		uv_stop(&d->loop);
		return;
	}
	d->stopping = true;
	/* Clients already connected keep their answers (wait, logs -f). */
	jq_server_close_listener(d);
	if (mode == JQ_SHUTDOWN_KILL) {
		jq_log_info("received %s, cancelling %zu running jobs, then stopping",
			    sigabbrev_np(signum), d->n_running);
		for (struct jq_run *r = d->runs; r; r = r->next)
			(void)jq_runner_cancel(d, r->id, "cancelled: jobqd is shutting down");
	} else {
		jq_log_info("received %s, waiting for %zu running jobs, then stopping",
			    sigabbrev_np(signum), d->n_running);
	}
}

static void on_hup(uv_signal_t *s, int signum)
{
	struct jq_daemon *d = s->data;
	struct jq_config *c = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = jq_config_load(d->config->path, &c, &err);
	if (r < 0) {
		jq_log_error("reload failed, keeping the old configuration: %s",
			     err ? err : strerror(-r));
		return;
	}
	/* cgroups (issue 3): the new tenant caps, before the new config counts. */
	r = jq_cgroups_apply_tenants(d, c, &err);
	if (r < 0) {
		jq_log_error("reload failed, keeping the old configuration: %s",
			     err ? err : strerror(-r));
		jq_config_free(c);
		return;
	}
	if (strcmp(c->socket, d->config->socket) || strcmp(c->database, d->config->database) ||
	    strcmp(c->state_dir, d->config->state_dir))
		jq_log_warning("socket, database and state_dir take effect at the next start only");
	/* Keep the paths this instance is using; take everything else. */
	free(c->socket);
	free(c->database);
	free(c->state_dir);
	c->socket = TAKE_PTR(d->config->socket);
	c->database = TAKE_PTR(d->config->database);
	c->state_dir = TAKE_PTR(d->config->state_dir);
	jq_config_free(d->config);
	d->config = c;
	r = jq_dispatch_reload(d);
	if (r < 0)
		jq_log_error_errno(r, "cannot rebuild the dispatcher: %m");
	jq_log_info("configuration reloaded from '%s' (%zu tenants)", c->path, c->n_tenants);
	jq_dispatch_schedule(d);
}

/*
 * Each client is an fd: raises RLIMIT_NOFILE to its hard limit and serves
 * only as many clients as then fit beside what the daemon itself needs
 * (database, socket, logs, and a few fds per running job), so that a flood
 * of connections meets our cap and its message, not EMFILE at accept().
 */
static size_t raise_nofile(const struct jq_config *c)
{
	size_t reserve = 128 + 4 * (size_t)c->max_running, n;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return JQ_MAX_CLIENTS;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= JQ_MAX_CLIENTS + reserve)
		return JQ_MAX_CLIENTS;
	n = rl.rlim_cur > reserve + 2 * JQ_ROOT_RESERVE ? rl.rlim_cur - reserve
							: 2 * JQ_ROOT_RESERVE;
	jq_log_warning("RLIMIT_NOFILE is %llu: serving at most %zu connections instead of %d",
		       (unsigned long long)rl.rlim_cur, n, JQ_MAX_CLIENTS);
	return n;
}

int jq_daemon_init(struct jq_daemon *d, struct jq_config *config, char **ret_err)
{
	_cleanup_free_ char *jobs_dir = NULL, *db_dir = NULL;
	int r;

	*d = (struct jq_daemon){0};
	d->config = config;
	d->privileged = geteuid() == 0;
	d->max_clients = raise_nofile(config);
	if ((size_t)config->max_connections_per_user + JQ_ROOT_RESERVE >= d->max_clients)
		jq_log_warning("max_connections_per_user = %" PRId64
			       " lets one user take every one of the %zu connections",
			       config->max_connections_per_user, d->max_clients);
	umask(0022);

	d->exec_path = find_exec_path();
	if (!d->exec_path || access(d->exec_path, X_OK) < 0) {
		*ret_err = jq_asprintf("cannot find jobq-exec at '%s': %s",
				       d->exec_path ? d->exec_path : "?", strerror(errno));
		return -ENOENT;
	}
	r = jq_mkdir_p(config->state_dir, 0755);
	if (r >= 0) {
		jobs_dir = jq_asprintf("%s/jobs", config->state_dir);
		r = jobs_dir ? jq_mkdir_p(jobs_dir, 0700) : -ENOMEM;
	}
	if (r >= 0 && chmod(jobs_dir, 0700) < 0)
		r = -errno;
	if (r < 0) {
		*ret_err = jq_asprintf("cannot create state directory '%s': %s", config->state_dir,
				       strerror(-r));
		return r;
	}
	db_dir = strdup(config->database);
	if (!db_dir)
		return -ENOMEM;
	r = jq_mkdir_p(dirname(db_dir), 0755);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot create database directory for '%s': %s",
				       config->database, strerror(-r));
		return r;
	}
	r = jq_store_open(config->database,
			  config->synchronous == JQ_CONFIG_SYNC_NORMAL ? JQ_STORE_SYNC_NORMAL
								       : JQ_STORE_SYNC_FULL,
			  &d->store);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot open database '%s': %s", config->database,
				       r == -EPROTO ? "written by a newer jobq" : strerror(-r));
		return r;
	}

	r = uv_loop_init(&d->loop);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot create event loop: %s", uv_strerror(r));
		return r;
	}
	d->loop_ready = true;
	jq_batch_init(d);
	uv_idle_init(&d->loop, &d->dispatch_idle);
	d->dispatch_idle.data = d;
	uv_timer_init(&d->loop, &d->log_timer);
	d->log_timer.data = d;
	jq_unrecorded_init(d);
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, on_stop_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_stop_signal, SIGINT);
	uv_signal_start(&d->sig_hup, on_hup, SIGHUP);
	signal(SIGPIPE, SIG_IGN);

	/* cgroups (issue 3): the tree before any job (re)joins it. */
	r = jq_cgroups_init(d, ret_err);
	if (r < 0)
		return r;
	/* Before recovery: jobs that ended while we were down release their dependents. */
	r = jq_dispatch_init(d);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot set up the dispatcher: %s", strerror(-r));
		return r;
	}
	r = jq_runner_recover(d);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot recover running jobs: %s", strerror(-r));
		return r;
	}
	jq_dispatch_adopt_runs(d);
	jq_cgroups_reconcile(d);
	r = jq_server_listen(d, ret_err);
	if (r < 0)
		return r;
	jq_maintenance_start(d);
	jq_dispatch_schedule(d);
	return 0;
}

int jq_daemon_run(struct jq_daemon *d)
{
	return uv_run(&d->loop, UV_RUN_DEFAULT);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void jq_daemon_release(struct jq_daemon *d)
{
	if (d->batch_open) {
		d->batch_open = false;
		if (jq_store_commit(d->store) < 0)
			(void)jq_store_rollback(d->store);
	}
	if (d->loop_ready) {
		jq_server_close(d);
		/* Running jobs stay with their helpers; only our handles go. */
		jq_runner_forget_all(d);
		uv_walk(&d->loop, close_walk, NULL);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&d->loop) != 0)
			jq_log_warning("event loop still had handles at exit");
	}
	jq_unrecorded_release(d);
	jq_dispatch_release(d);
	jq_store_close(d->store);
	jq_cgroups_release(d);
	free(d->exec_path);
}
