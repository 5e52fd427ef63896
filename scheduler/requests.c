/* SPDX-License-Identifier: MIT */
/*
 * One handler per request type, registered in a table (after tmux's
 * cmd-*.c). Every field is validated before anything is stored; every
 * request is authorized against the peer's kernel-reported identity.
 */
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-parse.h"
#include "jq-paths.h"
#include "jq-time.h"
#include "jq-util.h"

#define MAX_ARGS 65536
#define MAX_ENV	 65536
/*
 * The numeric SUBMIT fields take what the client's parsers can produce
 * (cli/cmd-submit.c, common/jq-parse.c), no more: a raw client must not
 * reach values the CLI never sends. --cpus is at most 1000000 CPUs; a
 * --timeout is what jq_parse_duration() returns at most (UINT64_MAX
 * thousandths of a microsecond, about 584 years), so that the helper's
 * monotonic start + timeout cannot overflow (it did at INT64_MAX).
 * --pids, --array and --priority are bounded where they are read.
 */
#define SUBMIT_CPUS_MAX	   INT64_C(1000000000)
#define SUBMIT_TIMEOUT_MAX ((int64_t)(UINT64_MAX / 1000))

void jq_job_put(struct jq_daemon *d, struct jq_msg_writer *w, const struct jq_job *j, bool detail)
{
	const char *reason = j->reason;
	int64_t position = -1;
	char reason_buf[320]; /* "held by admin '<user name>'" */

	if (j->state == JQ_JOB_QUEUED || j->state == JQ_JOB_HELD)
		reason = jq_dispatch_wait_reason(d, j, reason_buf, sizeof(reason_buf), &position);
	jq_job_put_record(w, j, reason, position, detail);
}

void jq_job_put_record(struct jq_msg_writer *w, const struct jq_job *j, const char *reason,
		       int64_t position, bool detail)
{
	jq_msg_put_i64(w, JQ_T_ID, j->id);
	jq_msg_put_str(w, JQ_T_TENANT, j->tenant);
	jq_msg_put_str(w, JQ_T_USER, j->user);
	jq_msg_put_str(w, JQ_T_NAME, j->name);
	jq_msg_put_str(w, JQ_T_STATE, jq_job_state_to_string(j->state));
	jq_msg_put_str(w, JQ_T_REASON, reason);
	jq_msg_put_i64_opt(w, JQ_T_POSITION, position);
	jq_msg_put_i64_opt(w, JQ_T_EXIT_CODE, j->exit_code);
	jq_msg_put_i64_opt(w, JQ_T_SIGNAL, j->signal);
	jq_msg_put_i64_opt(w, JQ_T_SUBMITTED_AT, j->submitted_at);
	jq_msg_put_i64_opt(w, JQ_T_STARTED_AT, j->started_at);
	jq_msg_put_i64_opt(w, JQ_T_FINISHED_AT, j->finished_at);
	jq_msg_put_i64_opt(w, JQ_T_LIMIT_CPUS, j->effective.cpus_milli);
	jq_msg_put_i64_opt(w, JQ_T_LIMIT_MEMORY, j->effective.memory_bytes);
	jq_msg_put_i64_opt(w, JQ_T_LIMIT_PIDS, j->effective.pids);
	jq_msg_put_i64_opt(w, JQ_T_LIMIT_TIMEOUT, j->effective.timeout_usec);
	jq_msg_put_i64_opt(w, JQ_T_REQ_CPUS, j->requested.cpus_milli);
	jq_msg_put_i64_opt(w, JQ_T_REQ_MEMORY, j->requested.memory_bytes);
	jq_msg_put_i64_opt(w, JQ_T_REQ_PIDS, j->requested.pids);
	jq_msg_put_i64_opt(w, JQ_T_REQ_TIMEOUT, j->requested.timeout_usec);
	jq_msg_put_i64(w, JQ_T_PRIORITY, j->priority);
	if (j->has_accounting) {
		jq_msg_put_i64_opt(w, JQ_T_CPU_USER, j->acct.cpu_user_usec);
		jq_msg_put_i64_opt(w, JQ_T_CPU_SYSTEM, j->acct.cpu_system_usec);
		jq_msg_put_i64_opt(w, JQ_T_MEMORY_PEAK, j->acct.memory_peak_bytes);
		jq_msg_put_i64_opt(w, JQ_T_IO_READ, j->acct.io_read_bytes);
		jq_msg_put_i64_opt(w, JQ_T_IO_WRITE, j->acct.io_write_bytes);
		jq_msg_put_i64_opt(w, JQ_T_WALL, j->acct.wall_usec);
		jq_msg_put_i64_opt(w, JQ_T_QUEUE_WAIT, j->acct.queue_wait_usec);
	}
	for (size_t i = 0; i < j->n_after; i++)
		jq_msg_put_i64(w, JQ_T_AFTER, j->after[i]);
	if (!detail) {
		/*
		 * A job without --name is shown by its command in `jobq list`:
		 * send the start of it (whole arguments, about a table cell's
		 * worth), not all of a possibly huge argv for every row.
		 */
		size_t len = 0;
		for (char **a = j->name ? NULL : j->argv; a && *a && len < 64; a++) {
			jq_msg_put_str(w, JQ_T_ARGV, *a);
			len += strlen(*a) + 1;
		}
		return;
	}
	for (char **a = j->argv; a && *a; a++)
		jq_msg_put_str(w, JQ_T_ARGV, *a);
	jq_msg_put_str(w, JQ_T_CWD, j->cwd);
}

static int send_job(struct jq_client *c, const struct jq_job *j, bool detail)
{
	struct jq_msg_writer w;

	jq_msg_writer_begin(&w, JQ_REP_JOB);
	jq_job_put(c->daemon, &w, j, detail);
	return jq_client_send(c, &w);
}

static void reply_error(struct jq_client *c, int err, const char *msg)
{
	jq_client_send_error(c, err, "%s", msg);
	jq_client_done(c);
}

#define REJECT(c, err, ...)                                                                        \
	do {                                                                                       \
		jq_client_send_error((c), (err), __VA_ARGS__);                                     \
		jq_client_done(c);                                                                 \
		return;                                                                            \
	} while (0)

/* Loads a job the peer may access; replies with the error otherwise. */
static int load_job(struct jq_client *c, const struct jq_msg *m, struct jq_job *ret)
{
	int64_t id;
	int r;

	r = jq_msg_get_i64(m, JQ_T_ID, &id);
	if (r < 0 || id <= 0) {
		reply_error(c, EINVAL, "request needs a job id");
		return -EINVAL;
	}
	/*
	 * Who may see it is decided on its owner alone, before the row (argv,
	 * up to 1 MiB of env) is read, and a job the asker may not see is
	 * answered exactly like one that does not exist: neither the cost of
	 * the answer nor its words tell anything about other users' jobs.
	 */
	{
		_cleanup_free_ char *tenant = NULL;
		int64_t uid = -1;

		r = jq_store_job_owner(c->daemon->store, id, &tenant, &uid);
		if (r >= 0 && !jq_peer_may_see(c->daemon, &c->peer, tenant, uid))
			r = -ENOENT;
	}
	if (r >= 0)
		r = jq_store_job_get(c->daemon->store, id, ret);
	if (r == -ENOENT) {
		jq_client_send_error(c, ENOENT, "job %" PRId64 " not found", id);
		jq_client_done(c);
		return r;
	}
	if (r < 0) {
		jq_client_send_error(c, -r, "cannot read job %" PRId64 ": %s", id, strerror(-r));
		jq_client_done(c);
		return r;
	}
	return 0;
}

static const char *str_field_error(int r)
{
	return r == -E2BIG ? "too long" : r == -EBADMSG ? "not valid UTF-8 text" : strerror(-r);
}

/*
 * --priority orders the jobs of one tenant only (docs/scheduling.md), so the
 * harm a high one does falls on teammates: members are held to the tenant's
 * max_priority, and without --priority get 0 or max_priority if that is
 * lower; tenant admins and root may use the whole range. Replies with the
 * refusal and returns -errno when the request may not have its priority.
 */
static int submit_priority(struct jq_client *c, const struct jq_msg *m,
			   const struct jq_tenant_config *t, int64_t *ret)
{
	bool admin = jq_peer_is_tenant_admin(&c->peer, t);
	int64_t v;

	if (jq_msg_get_i64(m, JQ_T_PRIORITY, &v) < 0) {
		*ret = admin || t->max_priority >= 0 ? 0 : t->max_priority;
		return 0;
	}
	if (v < -1000 || v > 1000) {
		jq_client_send_error(c, ERANGE,
				     "submit: --priority %" PRId64 " out of range -1000..1000", v);
		jq_client_done(c);
		return -ERANGE;
	}
	if (!admin && v > t->max_priority) {
		jq_client_send_error(c, EPERM,
				     "submit: --priority %" PRId64
				     " is above the max_priority of tenant "
				     "'%s' (%" PRId64 "): only its admins and root may go higher",
				     v, t->name, t->max_priority);
		jq_client_done(c);
		return -EPERM;
	}
	*ret = v;
	return 0;
}

/*
 * Hostile queries (issue 11): a dependency must exist and be a job the
 * submitter may see. One the submitter may not see is answered exactly
 * like one that does not exist (same message, same errno), so that
 * `--after` tells nothing about other tenants' jobs; only its tenant and
 * submitter are read, not the whole job.
 */
static int check_deps(struct jq_client *c, const char *opt, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *tenant = NULL;
		int64_t uid = -1;
		int r = -ENOENT;

		if (ids[i] > 0)
			r = jq_store_job_owner(c->daemon->store, ids[i], &tenant, &uid);
		if (r == -ENOENT ||
		    (r >= 0 && !jq_peer_may_see(c->daemon, &c->peer, tenant, uid))) {
			jq_client_send_error(c, ENOENT, "submit: %s: job %" PRId64 " not found",
					     opt, ids[i]);
			jq_client_done(c);
			return -ENOENT;
		}
		if (r < 0) {
			jq_client_send_error(c, -r, "submit: %s: cannot read job %" PRId64 ": %s",
					     opt, ids[i], strerror(-r));
			jq_client_done(c);
			return r;
		}
	}
	return 0;
}

/* Hostile queries (issue 11): above a cap or the host is refused here, with the numbers. */
static int check_admission(struct jq_client *c, const struct jq_tenant_config *t,
			   const struct jq_limits *req)
{
	struct jq_admission_host host;
	_cleanup_free_ char *err = NULL;
	int r;

	jq_dispatch_admission_host(c->daemon, &host);
	r = jq_admission_check(req, t, &host, &err);
	if (r >= 0)
		return 0;
	if (r == -ERANGE)
		jq_client_send_error(c, ERANGE, "submit: %s", err);
	else
		jq_client_send_error(c, -r, "submit: %s", strerror(-r));
	jq_client_done(c);
	return r;
}

static void handle_submit(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {
	    JQ_T_TENANT,   JQ_T_NAME,	    JQ_T_ARGV,	   JQ_T_ENV,	     JQ_T_CWD,
	    JQ_T_REQ_CPUS, JQ_T_REQ_MEMORY, JQ_T_REQ_PIDS, JQ_T_REQ_TIMEOUT, JQ_T_PRIORITY,
	    JQ_T_AFTER,	   JQ_T_HOLD,	    JQ_T_ARRAY,	   JQ_T_AFTER_ANY,
	};
	struct jq_daemon *d = c->daemon;
	const struct jq_tenant_config *t;
	const char *tenant, *name = NULL, *cwd;
	_cleanup_strv_ char **argv = NULL, **env = NULL;
	_cleanup_free_ int64_t *after = NULL, *after_any = NULL;
	size_t n_after = 0, n_after_any = 0, bytes = 0;
	int64_t v, hold = 0, id, count, copies = 1;
	struct jq_job j;
	int r;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "submit: unexpected field in request");
	r = jq_msg_get_str(m, JQ_T_TENANT, 64, &tenant);
	if (r < 0)
		REJECT(c, EINVAL, "submit: a tenant is required (--tenant)");
	t = jq_config_tenant(d->config, tenant);
	if (!t)
		REJECT(c, ENOENT, "unknown tenant '%s'", tenant);
	if (!jq_peer_may_submit(&c->peer, t))
		REJECT(c, EACCES, "user '%s' is not a member of tenant '%s'", c->peer.user, tenant);

	if (jq_msg_count(m, JQ_T_ARGV) == 0)
		REJECT(c, EINVAL, "submit: no command given");
	if (jq_msg_count(m, JQ_T_ARGV) > MAX_ARGS || jq_msg_count(m, JQ_T_ENV) > MAX_ENV)
		REJECT(c, E2BIG, "submit: too many arguments or environment variables (limit %d)",
		       MAX_ARGS);
	r = jq_msg_get_strv(m, JQ_T_ARGV, JQ_PROTO_MAX_ARGV_ENV, &argv);
	if (r < 0)
		REJECT(c, -r, "submit: invalid argument: %s", str_field_error(r));
	r = jq_msg_get_strv(m, JQ_T_ENV, JQ_PROTO_MAX_ARGV_ENV, &env);
	if (r < 0)
		REJECT(c, -r, "submit: invalid environment variable: %s", str_field_error(r));
	if (!argv[0][0])
		REJECT(c, EINVAL, "submit: the command is empty");
	for (char **a = argv; *a; a++)
		bytes += strlen(*a) + 1;
	for (char **e = env; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			REJECT(c, EINVAL, "submit: invalid environment entry '%.64s' (want K=V)",
			       *e);
		bytes += strlen(*e) + 1;
	}
	if (bytes > JQ_PROTO_MAX_ARGV_ENV)
		REJECT(c, E2BIG, "submit: command and environment are %zu bytes (limit %d)", bytes,
		       JQ_PROTO_MAX_ARGV_ENV);
	r = jq_msg_get_str(m, JQ_T_CWD, JQ_PROTO_MAX_PATH, &cwd);
	if (r < 0 || cwd[0] != '/')
		REJECT(c, EINVAL, "submit: the working directory must be an absolute path");
	/* An early, clear answer; jobq-exec's check on the resolved directory is the one that
	 * counts. */
	if (!jq_path_canonical(cwd))
		REJECT(c, EINVAL,
		       "submit: working directory '%.256s' is not an absolute path without '.', "
		       "'..' or '//'",
		       cwd);
	if (jq_path_kernel_dir(cwd))
		REJECT(c, EPERM,
		       "submit: working directory '%.256s' is in %s: jobs cannot run there", cwd,
		       jq_path_kernel_dir(cwd));
	r = jq_msg_get_str(m, JQ_T_NAME, JQ_PROTO_MAX_NAME, &name);
	if (r < 0 && r != -ENOENT)
		REJECT(c, EINVAL, "submit: invalid --name: %s (limit %d bytes)", str_field_error(r),
		       JQ_PROTO_MAX_NAME);
	for (const char *p = name; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			REJECT(c, EINVAL, "submit: --name must not contain control characters");

	jq_job_init(&j);
	if (submit_priority(c, m, t, &j.priority) < 0)
		return;
	if (jq_msg_get_i64(m, JQ_T_REQ_CPUS, &v) == 0) {
		if (v <= 0 || v > SUBMIT_CPUS_MAX)
			REJECT(c, ERANGE,
			       "submit: --cpus %" PRId64 " millicpus out of range 1..%" PRId64, v,
			       SUBMIT_CPUS_MAX);
		j.requested.cpus_milli = v;
	}
	if (jq_msg_get_i64(m, JQ_T_REQ_MEMORY, &v) == 0) {
		if (v < 1024 * 1024)
			REJECT(c, ERANGE,
			       "submit: --memory %" PRId64 " bytes out of range: at least 1M", v);
		j.requested.memory_bytes = v;
	}
	if (jq_msg_get_i64(m, JQ_T_REQ_PIDS, &v) == 0) {
		if (v < 1 || v > JQ_EXEC_NPROC_MAX)
			REJECT(c, ERANGE, "submit: --pids %" PRId64 " out of range 1..%d", v,
			       JQ_EXEC_NPROC_MAX);
		j.requested.pids = v;
	}
	if (jq_msg_get_i64(m, JQ_T_REQ_TIMEOUT, &v) == 0) {
		if (v <= 0 || v > SUBMIT_TIMEOUT_MAX)
			REJECT(c, ERANGE,
			       "submit: --timeout %" PRId64 " usec out of range 1..%" PRId64, v,
			       SUBMIT_TIMEOUT_MAX);
		j.requested.timeout_usec = v;
	}
	if (check_admission(c, t, &j.requested) < 0)
		return;
	if (jq_msg_get_i64(m, JQ_T_HOLD, &hold) == 0 && hold != 0 && hold != 1)
		REJECT(c, EINVAL, "submit: invalid hold flag");
	if (jq_cgroups_submit_refused(c, t, &j))
		return;
	if (jq_msg_count(m, JQ_T_AFTER) > JQ_PROTO_MAX_AFTER)
		REJECT(c, E2BIG, "submit: too many --after jobs (limit %d)", JQ_PROTO_MAX_AFTER);
	r = jq_msg_get_i64v(m, JQ_T_AFTER, &after, &n_after);
	if (r < 0)
		REJECT(c, EINVAL, "submit: invalid --after");
	if (check_deps(c, "--after", after, n_after) < 0)
		return;
	/* fair share (issue 5): --after-any and --array */
	if (jq_msg_count(m, JQ_T_AFTER_ANY) > JQ_PROTO_MAX_AFTER)
		REJECT(c, E2BIG, "submit: too many --after-any jobs (limit %d)",
		       JQ_PROTO_MAX_AFTER);
	r = jq_msg_get_i64v(m, JQ_T_AFTER_ANY, &after_any, &n_after_any);
	if (r < 0)
		REJECT(c, EINVAL, "submit: invalid --after-any");
	if (check_deps(c, "--after-any", after_any, n_after_any) < 0)
		return;
	if (jq_msg_get_i64(m, JQ_T_ARRAY, &copies) == 0 &&
	    (copies < 1 || copies > JQ_STORE_MAX_ARRAY))
		REJECT(c, ERANGE, "submit: --array %" PRId64 " out of range 1..%d", copies,
		       JQ_STORE_MAX_ARRAY);

	r = jq_store_job_count(d->store, tenant, JQ_JOB_QUEUED, &count);
	if (r >= 0) {
		int64_t held;
		r = jq_store_job_count(d->store, tenant, JQ_JOB_HELD, &held);
		count += held;
	}
	if (r < 0)
		REJECT(c, -r, "submit: cannot count queued jobs: %s", strerror(-r));
	if (count + copies > t->max_queued)
		REJECT(c, EAGAIN,
		       "tenant '%s' has %" PRId64 " waiting jobs: %" PRId64
		       " more would pass its max_queued (%" PRId64 ")",
		       tenant, count, copies, t->max_queued);
	if (jq_budget_refused(c, t, (int64_t)bytes))
		return;

	j.tenant = (char *)tenant;
	j.user = c->peer.user;
	j.uid = c->peer.uid;
	j.gid = c->peer.gid;
	j.gids = NULL;
	j.n_gids = 0;
	_cleanup_free_ int64_t *gids = calloc(c->peer.n_gids ? c->peer.n_gids : 1, sizeof(int64_t));
	if (!gids)
		REJECT(c, ENOMEM, "submit: out of memory");
	for (size_t i = 0; i < c->peer.n_gids; i++)
		gids[i] = c->peer.gids[i];
	j.gids = gids;
	j.n_gids = c->peer.n_gids;
	j.name = (char *)name;
	j.argv = argv;
	j.env = env;
	j.cwd = (char *)cwd;
	j.after = after;
	j.n_after = n_after;
	j.state = hold ? JQ_JOB_HELD : JQ_JOB_QUEUED;
	j.submitted_at = jq_now_usec();
	/* Group commit: the submissions of this loop turn share one fsync. */
	jq_batch_begin(d);
	r = jq_store_sched_submit(d->store, &j, after_any, n_after_any, copies, &id);
	if (r < 0)
		REJECT(c, -r, "submit: cannot store the job: %s", strerror(-r));

	jq_job_init(&j);
	r = jq_store_job_get(d->store, id, &j);
	if (r < 0)
		REJECT(c, -r, "submit: cannot read back job %" PRId64 ": %s", id, strerror(-r));
	jq_log_debug("job %" PRId64 " submitted by '%s' to '%s'", id, c->peer.user, tenant);
	{
		struct jq_msg_writer w;
		jq_msg_writer_begin(&w, JQ_REP_JOB);
		jq_job_put(d, &w, &j, false);
		if (copies > 1)
			jq_msg_put_i64(&w, JQ_T_ARRAY, copies);
		jq_client_send(c, &w);
	}
	jq_job_release(&j);
	jq_client_done(c);
	jq_dispatch_tenant_changed(d, tenant);
}

static void handle_show(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {JQ_T_ID};
	struct jq_job j;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "show: unexpected field in request");
	if (load_job(c, m, &j) < 0)
		return;
	send_job(c, &j, true);
	jq_job_release(&j);
	jq_client_done(c);
}

/*
 * A hold by a tenant admin or root (on a job of someone else) is lifted only
 * by an admin of the tenant or root, like Slurm's admin holds: an admin may
 * hold a job to protect the machine or the tenant's other users, and its
 * owner must not be able to undo that. Owners release their own holds.
 * Replies with the refusal and returns true when the peer may not.
 */
static bool release_refused(struct jq_client *c, const struct jq_job *j)
{
	const struct jq_tenant_config *t = jq_config_tenant(c->daemon->config, j->tenant);

	if (!j->hold_admin || jq_peer_is_root(&c->peer) ||
	    (t && jq_peer_is_tenant_admin(&c->peer, t)))
		return false;
	jq_client_send_error(c, EPERM,
			     "job %" PRId64 " was held by admin '%s': only an admin of tenant "
			     "'%s' or root can release it",
			     j->id, j->hold_admin, j->tenant);
	jq_client_done(c);
	return true;
}

/*
 * issue 11: an owner no longer a member of the job's tenant (by its
 * account now, as the job's start decides) cannot release it: the job
 * would only fail to start. It stays held for the owner to cancel or for
 * an admin to release. Replies with the refusal and returns true.
 */
static bool release_nonmember(struct jq_client *c, const struct jq_job *j)
{
	const struct jq_tenant_config *t = jq_config_tenant(c->daemon->config, j->tenant);
	_cleanup_free_ char *err = NULL;
	int r;

	if (!t || jq_peer_is_tenant_admin(&c->peer, t))
		return false;
	r = jq_peer_job_member(j, t, NULL, NULL, NULL, &err);
	if (r >= 0)
		return false;
	if (r == -EPERM)
		jq_client_send_error(c, EPERM,
				     "job %" PRId64 ": %s: it stays held (cancel it, or ask an "
				     "admin of the tenant)",
				     j->id, err);
	else
		jq_client_send_error(c, -r, "job %" PRId64 ": %s", j->id, err ? err : strerror(-r));
	jq_client_done(c);
	return true;
}

static void handle_control(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {JQ_T_ID};
	struct jq_daemon *d = c->daemon;
	const char *st;
	struct jq_job j;
	int r = 0;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "unexpected field in request");
	if (load_job(c, m, &j) < 0)
		return;
	st = jq_job_state_to_string(j.state);
	if (m->type == JQ_REQ_CANCEL) {
		_cleanup_free_ char *reason = jq_asprintf("cancelled by '%s'", c->peer.user);
		if (!reason) {
			r = -ENOMEM;
		} else if (j.state == JQ_JOB_QUEUED || j.state == JQ_JOB_HELD) {
			r = jq_store_job_finish(d->store, j.id,
						&(struct jq_store_finish){
						    .state = JQ_JOB_CANCELLED,
						    .reason = reason,
						    .exit_code = -1,
						    .signal = -1,
						    .started_at = -1,
						    .finished_at = jq_now_usec(),
						});
			if (r >= 0)
				jq_requests_job_ended(d, j.id);
		} else if (j.state == JQ_JOB_STARTING || j.state == JQ_JOB_RUNNING) {
			r = jq_runner_cancel(d, j.id, reason);
		} else {
			int64_t id = j.id;
			jq_job_release(&j);
			REJECT(c, EALREADY, "job %" PRId64 " has already ended (%s)", id, st);
		}
	} else if (m->type == JQ_REQ_HOLD) {
		bool by_admin = (int64_t)c->peer.uid != j.uid;
		/* An admin may pin a job its owner held: the hold becomes the admin's. */
		if (j.state != JQ_JOB_QUEUED &&
		    !(j.state == JQ_JOB_HELD && by_admin && !j.hold_admin)) {
			int64_t id = j.id;
			jq_job_release(&j);
			REJECT(c, EINVAL, "job %" PRId64 " is %s: only queued jobs can be held", id,
			       st);
		}
		/* Held for the owner by someone else: an admin of its tenant, or root. */
		r = jq_store_job_hold(d->store, j.id, by_admin ? c->peer.user : NULL);
		jq_dispatch_tenant_changed(d, j.tenant);
	} else {
		if (j.state != JQ_JOB_HELD) {
			int64_t id = j.id;
			jq_job_release(&j);
			REJECT(c, EINVAL, "job %" PRId64 " is %s: only held jobs can be released",
			       id, st);
		}
		if (release_refused(c, &j) || release_nonmember(c, &j)) {
			jq_job_release(&j);
			return;
		}
		r = jq_store_job_set_state(d->store, j.id, JQ_JOB_QUEUED, NULL);
		jq_dispatch_tenant_changed(d, j.tenant);
	}
	int64_t id = j.id;
	if (r < 0) {
		jq_job_release(&j);
		REJECT(c, -r, "job %" PRId64 ": cannot change its state: %s", id, strerror(-r));
	}
	jq_job_release(&j);
	r = jq_store_job_get(d->store, id, &j);
	if (r < 0)
		REJECT(c, -r, "cannot read job %" PRId64 ": %s", id, strerror(-r));
	send_job(c, &j, false);
	jq_job_release(&j);
	jq_client_done(c);
}

static void handle_wait(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {JQ_T_ID};
	struct jq_job j;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "wait: unexpected field in request");
	if (load_job(c, m, &j) < 0)
		return;
	if (jq_job_state_is_final(j.state)) {
		send_job(c, &j, false);
		jq_job_release(&j);
		jq_client_done(c);
		return;
	}
	/* Answered by jq_requests_job_ended(); the client stays busy. */
	c->wait_id = j.id;
	jq_job_release(&j);
}

static void handle_logs(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {JQ_T_ID, JQ_T_FOLLOW};
	int64_t follow = 0;
	struct jq_job j;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "logs: unexpected field in request");
	if (jq_msg_get_i64(m, JQ_T_FOLLOW, &follow) == 0 && follow != 0 && follow != 1)
		REJECT(c, EINVAL, "logs: invalid follow flag");
	if (load_job(c, m, &j) < 0)
		return;
	jq_logs_start(c, j.id, follow);
	jq_job_release(&j);
}

void jq_requests_job_ended(struct jq_daemon *d, int64_t id)
{
	struct jq_client *c, *next;

	/* fair share (issue 5): the slot, the usage, the dependents. */
	jq_dispatch_job_ended(d, id);
	for (c = d->clients; c; c = next) {
		next = c->next;
		if (c->wait_id == id) {
			struct jq_job j;
			if (jq_store_job_get(d->store, id, &j) < 0) {
				reply_error(c, EIO, "cannot read the finished job");
				continue;
			}
			send_job(c, &j, false);
			jq_job_release(&j);
			jq_client_done(c);
		} else if (c->log_id == id && c->log_follow) {
			jq_logs_pump(c);
		}
	}
}

static const struct {
	enum jq_msg_type type;
	void (*handle)(struct jq_client *c, const struct jq_msg *m);
} handlers[] = {
    {JQ_REQ_SUBMIT, handle_submit},	{JQ_REQ_LIST, jq_request_list},
    {JQ_REQ_SHOW, handle_show},		{JQ_REQ_LOGS, handle_logs},
    {JQ_REQ_CANCEL, handle_control},	{JQ_REQ_WAIT, handle_wait},
    {JQ_REQ_HOLD, handle_control},	{JQ_REQ_RELEASE, handle_control},
    {JQ_REQ_REPORT, jq_request_report}, {JQ_REQ_DOCTOR, jq_request_doctor},
    {JQ_REQ_SHARE, jq_request_share},
};

void jq_request_handle(struct jq_client *c, const struct jq_msg *m)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(handlers); i++)
		if (handlers[i].type == m->type) {
			handlers[i].handle(c, m);
			return;
		}
	reply_error(c, EOPNOTSUPP, "unknown request type");
}
