/* SPDX-License-Identifier: MIT */
/*
 * Fair share's storage (issue 5): bulk submission with dependencies, the
 * per-tenant claim of the next ready job, and what the dispatcher needs to
 * explain a wait. The statements are in jq-store-sql.c (JQ_STMT_SCHED_*).
 *
 * deps_pending is kept here, as jobs end, rather than computed at claim
 * time: a tenant with a long chain of blocked jobs would otherwise make
 * every claim walk past all of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jq-store-internal.h"
#include "jq-time.h"
#include "jq-util.h"

static int bind_rc(sqlite3_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : jq_store_errno(sqlite3_db_handle(st), rc);
}

static int bind_i64(sqlite3_stmt *st, int idx, int64_t v)
{
	return bind_rc(st, sqlite3_bind_int64(st, idx, v));
}

static int bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	return bind_rc(st, sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC));
}

/* Runs a bound single-row select of one integer: -ENOENT for no row or NULL. */
static int step_i64(struct jq_store *s, sqlite3_stmt *st, int64_t *ret)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		return -ENOENT;
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

static int id_stmt(struct jq_store *s, enum jq_stmt which, int64_t id, int64_t *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[which];
	int r = bind_i64(st, 1, id);

	return r < 0 ? r : step_i64(s, st, ret);
}

static int id_exec(struct jq_store *s, enum jq_stmt which, int64_t id, int64_t id2, bool two)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[which];
	int r = bind_i64(st, 1, id);

	if (r >= 0 && two)
		r = bind_i64(st, 2, id2);
	return r < 0 ? r : jq_store_step_done(s, st);
}

static int cancel_failed(struct jq_store *s, int64_t id, int64_t dep)
{
	char reason[64];

	snprintf(reason, sizeof(reason), "dependency %" PRId64 " failed", dep);
	return jq_store_job_finish(s, id,
				   &(struct jq_store_finish){
				       .state = JQ_JOB_CANCELLED,
				       .reason = reason,
				       .exit_code = -1,
				       .signal = -1,
				       .started_at = -1,
				       .finished_at = jq_now_usec(),
				   });
}

/*
 * One job of the submission: copy k of an --array (index -1 outside one)
 * of the job_specs row spec_id, with its dependencies.
 */
static int submit_one(struct jq_store *s, const struct jq_job *j, int64_t spec_id,
		      const int64_t *after_any, size_t n_any, int64_t index, int64_t *ret_id)
{
	int64_t id, dep;
	int r;

	r = jq_store_job_insert_locked(s, j, spec_id, index, &id);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_any; i++) {
		r = id_exec(s, JQ_STMT_SCHED_DEP_ANY_INSERT, id, after_any[i], true);
		if (r < 0)
			return r;
	}
	if (j->n_after + n_any > 0) {
		r = id_exec(s, JQ_STMT_SCHED_DEPS_COUNT, id, 0, false);
		if (r < 0)
			return r;
		r = id_stmt(s, JQ_STMT_SCHED_DEP_FAILED, id, &dep);
		if (r >= 0)
			r = cancel_failed(s, id, dep);
		else if (r == -ENOENT)
			r = 0;
		if (r < 0)
			return r;
	}
	*ret_id = id;
	return 0;
}

int jq_store_sched_submit(struct jq_store *s, const struct jq_job *j, const int64_t *after_any,
			  size_t n_after_any, int64_t copies, int64_t *ret_first_id)
{
	int64_t first = -1, id, spec_id;
	bool own;
	int r;

	if (!s || !j || copies < 1 || copies > JQ_STORE_MAX_ARRAY ||
	    n_after_any > JQ_STORE_MAX_AFTER || (n_after_any && !after_any))
		return -EINVAL;
	r = jq_store_job_check(j);
	if (r < 0)
		return r;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	/* issue 11: the copies of an --array share one stored argv and env */
	r = jq_store_spec_insert_locked(s, j->tenant, j->argv, j->env, copies > 1, &spec_id);
	for (int64_t k = 0; k < copies && r >= 0; k++) {
		r = submit_one(s, j, spec_id, after_any, n_after_any, copies > 1 ? k : -1, &id);
		if (r >= 0 && k == 0)
			first = id;
	}
	r = jq_store_call_end(s, own, r);
	if (r < 0)
		return r;
	*ret_first_id = first;
	return 0;
}

int jq_store_sched_peek_ready(struct jq_store *s, const char *tenant, struct jq_store_ready *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_SCHED_PEEK_READY];
	int rc, r;

	r = bind_text(st, 1, tenant);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	*ret = (struct jq_store_ready){
	    .id = sqlite3_column_int64(st, 0),
	    .priority = sqlite3_column_int64(st, 1),
	    .requested =
		{
		    .cpus_milli = jq_store_column_opt(st, 2),
		    .memory_bytes = jq_store_column_opt(st, 3),
		    .pids = jq_store_column_opt(st, 4),
		    .timeout_usec = jq_store_column_opt(st, 5),
		},
	};
	return 0;
}

struct dependent {
	int64_t id;
	bool any_end;
	char *tenant;
};

static void dependents_free(struct dependent *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].tenant);
	free(d);
}

/* Read all first: the updates below must not run under the open select. */
static int load_dependents(struct jq_store *s, int64_t dep_id, struct dependent **ret,
			   size_t *ret_n)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_SCHED_DEPENDENTS];
	struct dependent *v = NULL;
	size_t n = 0, cap = 0;
	int rc, r;

	r = bind_i64(st, 1, dep_id);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct dependent *t = realloc(v, ncap * sizeof(*v));
			if (!t) {
				dependents_free(v, n);
				return -ENOMEM;
			}
			v = t;
			cap = ncap;
		}
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].any_end = sqlite3_column_int64(st, 1) != 0;
		v[n].tenant = strdup((const char *)sqlite3_column_text(st, 2));
		if (!v[n].tenant) {
			dependents_free(v, n);
			return -ENOMEM;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		dependents_free(v, n);
		return jq_store_errno(s->db, rc);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int jq_store_sched_dep_ended(struct jq_store *s, int64_t dep_id, enum jq_job_state state,
			     int (*cb)(int64_t id, const char *tenant, bool cancelled, void *u),
			     void *userdata)
{
	struct dependent *v = NULL;
	size_t n = 0;
	bool own;
	int r;

	if (!jq_job_state_is_final(state))
		return -EINVAL;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = load_dependents(s, dep_id, &v, &n);
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (!v[i].any_end && state != JQ_JOB_SUCCEEDED)
			r = cancel_failed(s, v[i].id, dep_id);
		else
			r = id_exec(s, JQ_STMT_SCHED_DEPS_DEC, v[i].id, 0, false);
	}
	r = jq_store_call_end(s, own, r);
	/* Callbacks after the commit: what they report is then true. */
	for (size_t i = 0; i < n && r >= 0; i++)
		r = cb(v[i].id, v[i].tenant, !v[i].any_end && state != JQ_JOB_SUCCEEDED, userdata);
	dependents_free(v, n);
	return r;
}

int jq_store_sched_pending_dep(struct jq_store *s, int64_t id, int64_t *ret_dep)
{
	return id_stmt(s, JQ_STMT_SCHED_DEP_PENDING, id, ret_dep);
}

int jq_store_sched_position(struct jq_store *s, const char *tenant, int64_t priority, int64_t id,
			    int64_t *ret_position)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_SCHED_POSITION];
	int64_t ahead;
	int r;

	r = bind_text(st, 1, tenant);
	if (r >= 0)
		r = bind_i64(st, 2, priority);
	if (r >= 0)
		r = bind_i64(st, 3, id);
	if (r >= 0)
		r = step_i64(s, st, &ahead);
	if (r < 0)
		return r;
	*ret_position = ahead + 1;
	return 0;
}

int jq_store_sched_queued_counts(struct jq_store *s,
				 int (*cb)(const char *tenant, int64_t n, void *u), void *userdata)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_SCHED_QUEUED_COUNTS];
	int rc = SQLITE_DONE, r = 0;

	while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
		       userdata);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE ? 0 : jq_store_errno(s->db, rc);
}

int jq_store_sched_usage(struct jq_store *s, int64_t since,
			 int (*cb)(const char *tenant, int64_t cpu_usec, int64_t finished_at,
				   void *u),
			 void *userdata)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_SCHED_USAGE];
	int rc = SQLITE_DONE, r;

	r = bind_i64(st, 1, since);
	if (r < 0)
		return r;
	while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t u = jq_store_column_opt(st, 1), sys = jq_store_column_opt(st, 2);
		r = cb((const char *)sqlite3_column_text(st, 0),
		       (u > 0 ? u : 0) + (sys > 0 ? sys : 0), sqlite3_column_int64(st, 3),
		       userdata);
	}
	if (r < 0)
		return r;
	return rc == SQLITE_DONE ? 0 : jq_store_errno(s->db, rc);
}
