/* SPDX-License-Identifier: MIT */
/*
 * Jobs: insert, read, list, and every change of state. The state machine of
 * jq-job.h is enforced in one place, check_transition(), which reads the
 * current state inside the write transaction of the call, so a check and
 * the write it allows cannot be separated by another write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jq-store-internal.h"
#include "jq-time.h"
#include "jq-util.h"

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int _r = (expr);                                                                   \
		if (_r < 0)                                                                        \
			return _r;                                                                 \
	} while (0)

static int bind_rc(sqlite3_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : jq_store_errno(sqlite3_db_handle(st), rc);
}

static int bind_i64(sqlite3_stmt *st, int idx, int64_t v)
{
	return bind_rc(st, sqlite3_bind_int64(st, idx, v));
}

/* The strings outlive the step: bindings are cleared before each call returns. */
static int bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (!v)
		return bind_rc(st, sqlite3_bind_null(st, idx));
	return bind_rc(st, sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC));
}

static int bind_state(sqlite3_stmt *st, int idx, enum jq_job_state state)
{
	const char *name = jq_job_state_to_string(state);

	if (!name)
		return -EINVAL;
	return bind_text(st, idx, name);
}

/* present = false binds NULL; an empty present value binds a zero-length blob. */
static int bind_blob(sqlite3_stmt *st, int idx, bool present, const void *buf, size_t len)
{
	if (!present)
		return bind_rc(st, sqlite3_bind_null(st, idx));
	if (len == 0)
		return bind_rc(st, sqlite3_bind_zeroblob(st, idx, 0));
	return bind_rc(st, sqlite3_bind_blob64(st, idx, buf, len, SQLITE_STATIC));
}

static bool limit_ok(int64_t v)
{
	return v == JQ_LIMIT_UNSET || v >= 0;
}

static bool limits_ok(const struct jq_limits *l)
{
	return limit_ok(l->cpus_milli) && limit_ok(l->memory_bytes) && limit_ok(l->pids) &&
	       limit_ok(l->timeout_usec);
}

static int column_strv(sqlite3_stmt *st, int idx, char ***ret)
{
	const void *b;

	if (sqlite3_column_type(st, idx) == SQLITE_NULL) {
		*ret = NULL;
		return 0;
	}
	b = sqlite3_column_blob(st, idx);
	return jq_store_strv_decode(b, (size_t)sqlite3_column_bytes(st, idx), ret);
}

static int load_after(struct jq_store *s, int64_t id, int64_t **ret, size_t *ret_n)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_DEPS_GET];
	_cleanup_free_ int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	TRY(bind_i64(st, 1, id));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *t;

			if (n >= JQ_STORE_MAX_AFTER)
				return -E2BIG;
			cap = cap ? cap * 2 : 8;
			t = realloc(ids, cap * sizeof(int64_t));
			if (!t)
				return -ENOMEM;
			ids = t;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		return jq_store_errno(s->db, rc);
	*ret = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

/* Fills j (initialised, owned by the caller) from the current row of a JQ_JOB_COLUMNS select. */
static int job_from_row(struct jq_store *s, sqlite3_stmt *st, struct jq_job *j)
{
	const unsigned char *state;
	const void *blob;

	j->id = sqlite3_column_int64(st, JQ_COL_ID);
	TRY(jq_store_column_strdup(st, JQ_COL_TENANT, &j->tenant));
	TRY(jq_store_column_strdup(st, JQ_COL_USER, &j->user));
	j->uid = jq_store_column_opt(st, JQ_COL_UID);
	j->gid = jq_store_column_opt(st, JQ_COL_GID);
	/* sqlite3_column_bytes() after sqlite3_column_blob(), as SQLite asks */
	blob = sqlite3_column_blob(st, JQ_COL_GIDS);
	TRY(jq_store_ids_decode(blob, (size_t)sqlite3_column_bytes(st, JQ_COL_GIDS), &j->gids,
				&j->n_gids));
	TRY(jq_store_column_strdup(st, JQ_COL_NAME, &j->name));
	TRY(column_strv(st, JQ_COL_ARGV, &j->argv));
	if (!j->argv || !j->argv[0])
		return -EIO;
	TRY(column_strv(st, JQ_COL_ENV, &j->env));
	/* an --array copy: the shared environment plus its own index (issue 11) */
	if (j->env && sqlite3_column_type(st, JQ_COL_ARRAY_INDEX) != SQLITE_NULL)
		TRY(jq_store_env_add_index(&j->env, sqlite3_column_int64(st, JQ_COL_ARRAY_INDEX)));
	TRY(jq_store_column_strdup(st, JQ_COL_CWD, &j->cwd));
	j->priority = sqlite3_column_int64(st, JQ_COL_PRIORITY);

	j->requested.cpus_milli = jq_store_column_opt(st, JQ_COL_REQ_CPUS);
	j->requested.memory_bytes = jq_store_column_opt(st, JQ_COL_REQ_MEMORY);
	j->requested.pids = jq_store_column_opt(st, JQ_COL_REQ_PIDS);
	j->requested.timeout_usec = jq_store_column_opt(st, JQ_COL_REQ_TIMEOUT);
	j->effective.cpus_milli = jq_store_column_opt(st, JQ_COL_EFF_CPUS);
	j->effective.memory_bytes = jq_store_column_opt(st, JQ_COL_EFF_MEMORY);
	j->effective.pids = jq_store_column_opt(st, JQ_COL_EFF_PIDS);
	j->effective.timeout_usec = jq_store_column_opt(st, JQ_COL_EFF_TIMEOUT);

	state = sqlite3_column_text(st, JQ_COL_STATE);
	if (jq_job_state_from_string((const char *)state, &j->state) < 0)
		return -EIO;
	TRY(jq_store_column_strdup(st, JQ_COL_REASON, &j->reason));
	TRY(jq_store_column_strdup(st, JQ_COL_HOLD_ADMIN, &j->hold_admin));
	j->submitted_at = jq_store_column_opt(st, JQ_COL_SUBMITTED_AT);
	j->started_at = jq_store_column_opt(st, JQ_COL_STARTED_AT);
	j->finished_at = jq_store_column_opt(st, JQ_COL_FINISHED_AT);
	j->exit_code = jq_store_column_opt(st, JQ_COL_EXIT_CODE);
	j->signal = jq_store_column_opt(st, JQ_COL_SIGNAL);
	j->helper_pid = jq_store_column_opt(st, JQ_COL_HELPER_PID);
	j->helper_start_time = jq_store_column_opt(st, JQ_COL_HELPER_START_TIME);

	j->has_accounting = sqlite3_column_type(st, JQ_COL_ACCT_JOB_ID) != SQLITE_NULL;
	if (j->has_accounting) {
		j->acct.cpu_user_usec = jq_store_column_opt(st, JQ_COL_ACCT_CPU_USER);
		j->acct.cpu_system_usec = jq_store_column_opt(st, JQ_COL_ACCT_CPU_SYSTEM);
		j->acct.memory_peak_bytes = jq_store_column_opt(st, JQ_COL_ACCT_MEMORY_PEAK);
		j->acct.io_read_bytes = jq_store_column_opt(st, JQ_COL_ACCT_IO_READ);
		j->acct.io_write_bytes = jq_store_column_opt(st, JQ_COL_ACCT_IO_WRITE);
		j->acct.wall_usec = jq_store_column_opt(st, JQ_COL_ACCT_WALL);
		j->acct.queue_wait_usec = jq_store_column_opt(st, JQ_COL_ACCT_QUEUE_WAIT);
	}

	return load_after(s, j->id, &j->after, &j->n_after);
}

/* Steps a bound single-job select into *ret: -ENOENT without a row. */
static int load_one(struct jq_store *s, sqlite3_stmt *st, struct jq_job *ret)
{
	struct jq_job j;
	int rc, r;

	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	jq_job_init(&j);
	r = job_from_row(s, st, &j);
	if (r < 0) {
		jq_job_release(&j);
		return r;
	}
	*ret = j;
	return 0;
}

struct insert_data {
	const struct jq_job *j;
	int64_t spec_id;
	int64_t array_index;
	uint8_t *gids;
	size_t gids_len;
	int64_t submitted_at;
};

static int insert_locked(struct jq_store *s, const struct insert_data *d, int64_t *ret_id)
{
	const struct jq_job *j = d->j;
	int64_t id;

	{
		_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_JOB_INSERT];

		TRY(bind_text(st, 1, j->tenant));
		TRY(bind_text(st, 2, j->user));
		TRY(jq_store_bind_opt(st, 3, j->uid));
		TRY(jq_store_bind_opt(st, 4, j->gid));
		TRY(bind_blob(st, 5, j->n_gids > 0, d->gids, d->gids_len));
		TRY(bind_text(st, 6, j->name));
		TRY(bind_i64(st, 7, d->spec_id));
		TRY(jq_store_bind_opt(st, 8, d->array_index));
		TRY(bind_text(st, 9, j->cwd));
		TRY(bind_i64(st, 10, j->priority));
		TRY(jq_store_bind_opt(st, 11, j->requested.cpus_milli));
		TRY(jq_store_bind_opt(st, 12, j->requested.memory_bytes));
		TRY(jq_store_bind_opt(st, 13, j->requested.pids));
		TRY(jq_store_bind_opt(st, 14, j->requested.timeout_usec));
		TRY(bind_state(st, 15, j->state));
		TRY(bind_text(st, 16, j->reason));
		TRY(bind_i64(st, 17, d->submitted_at));
		TRY(jq_store_step_done(s, st));
		id = sqlite3_last_insert_rowid(s->db);
	}

	for (size_t i = 0; i < j->n_after; i++) {
		_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_DEP_INSERT];

		TRY(bind_i64(st, 1, id));
		TRY(bind_i64(st, 2, j->after[i]));
		/* a dependency on a job that does not exist: -ENOENT (foreign key) */
		TRY(jq_store_step_done(s, st));
	}

	*ret_id = id;
	return 0;
}

int jq_store_job_check(const struct jq_job *j)
{
	if (!j->tenant || !j->user || !j->cwd || !j->argv || !j->argv[0])
		return -EINVAL;
	if (j->state != JQ_JOB_QUEUED && j->state != JQ_JOB_HELD)
		return -EINVAL;
	if (!limits_ok(&j->requested))
		return -EINVAL;
	if ((j->n_gids > 0 && !j->gids) || (j->n_after > 0 && !j->after))
		return -EINVAL;
	if (j->n_gids > JQ_STORE_MAX_GIDS || j->n_after > JQ_STORE_MAX_AFTER)
		return -E2BIG;
	return 0;
}

int jq_store_job_insert_locked(struct jq_store *s, const struct jq_job *j, int64_t spec_id,
			       int64_t array_index, int64_t *ret_id)
{
	_cleanup_free_ uint8_t *gids = NULL;
	struct insert_data d = {.j = j, .spec_id = spec_id, .array_index = array_index};

	TRY(jq_store_ids_encode(j->gids, j->n_gids, &gids, &d.gids_len));
	d.gids = gids;
	d.submitted_at = j->submitted_at >= 0 ? j->submitted_at : jq_now_usec();
	return insert_locked(s, &d, ret_id);
}

int jq_store_job_insert(struct jq_store *s, const struct jq_job *j, int64_t *ret_id)
{
	int64_t id = -1, spec_id;
	bool own;
	int r;

	if (!s || !j || !ret_id)
		return -EINVAL;
	r = jq_store_job_check(j);
	if (r < 0)
		return r;

	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = jq_store_spec_insert_locked(s, j->tenant, j->argv, j->env, false, &spec_id);
	if (r >= 0)
		r = jq_store_job_insert_locked(s, j, spec_id, -1, &id);
	r = jq_store_call_end(s, own, r);
	if (r < 0)
		return r;
	*ret_id = id;
	return 0;
}

int jq_store_job_get(struct jq_store *s, int64_t id, struct jq_job *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;

	if (!s || !ret)
		return -EINVAL;
	/* initialised first, so a caller's cleanup never frees garbage after a failure */
	jq_job_init(ret);
	st = s->stmt[JQ_STMT_JOB_GET];
	TRY(bind_i64(st, 1, id));
	return load_one(s, st, ret);
}

int jq_store_job_peek_next(struct jq_store *s, const char *tenant, struct jq_job *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;

	if (!s || !tenant || !ret)
		return -EINVAL;
	jq_job_init(ret);
	st = s->stmt[JQ_STMT_PEEK_NEXT];
	TRY(bind_text(st, 1, tenant));
	return load_one(s, st, ret);
}

static sqlite3_stmt *list_stmt(struct jq_store *s, const struct jq_store_filter *f)
{
	if (!f || f->state < 0)
		return s->stmt[JQ_STMT_LIST_ALL];
	if (!f->tenant)
		return s->stmt[JQ_STMT_LIST_STATE];
	return s->stmt[JQ_STMT_LIST_TENANT_STATE];
}

static int list_bind(struct jq_store *s, sqlite3_stmt *st, const struct jq_store_filter *f)
{
	const char *tenant = f ? f->tenant : NULL;
	int64_t uid = f && f->uid >= 0 ? f->uid : -1;
	int64_t limit = f && f->limit >= 0 ? f->limit : -1;

	if (st == s->stmt[JQ_STMT_LIST_ALL]) {
		TRY(bind_text(st, 1, tenant));
		TRY(jq_store_bind_opt(st, 2, uid));
		return bind_i64(st, 3, limit);
	}
	if (st == s->stmt[JQ_STMT_LIST_STATE]) {
		TRY(bind_state(st, 1, f->state));
		TRY(jq_store_bind_opt(st, 2, uid));
		return bind_i64(st, 3, limit);
	}
	TRY(bind_text(st, 1, tenant));
	TRY(bind_state(st, 2, f->state));
	TRY(jq_store_bind_opt(st, 3, uid));
	return bind_i64(st, 4, limit);
}

int jq_store_job_list(struct jq_store *s, const struct jq_store_filter *f,
		      int (*cb)(const struct jq_job *j, void *userdata), void *userdata)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (!s || !cb)
		return -EINVAL;
	if (f && f->state >= _JQ_JOB_STATE_MAX)
		return -EINVAL;
	/* the walk holds its statement until it ends: no second walk from cb */
	if (s->listing)
		return -EBUSY;

	st = list_stmt(s, f);
	TRY(list_bind(s, st, f));

	s->listing = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct jq_job j;

		jq_job_init(&j);
		r = job_from_row(s, st, &j);
		if (r >= 0)
			r = cb(&j, userdata);
		jq_job_release(&j);
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = jq_store_errno(s->db, rc);
	s->listing = false;
	return r < 0 ? r : 0;
}

int jq_store_job_count(struct jq_store *s, const char *tenant, enum jq_job_state state,
		       int64_t *ret_count)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	int rc;

	if (!s || !ret_count || !jq_job_state_to_string(state))
		return -EINVAL;
	if (tenant) {
		st = s->stmt[JQ_STMT_COUNT_TENANT_STATE];
		TRY(bind_text(st, 1, tenant));
		TRY(bind_state(st, 2, state));
	} else {
		st = s->stmt[JQ_STMT_COUNT_STATE];
		TRY(bind_state(st, 1, state));
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	*ret_count = sqlite3_column_int64(st, 0);
	return 0;
}

struct current {
	enum jq_job_state state;
	int64_t submitted_at;
	int64_t started_at;
};

/*
 * The one place the state machine is checked. Must run inside the call's
 * write transaction (BEGIN IMMEDIATE holds the write lock, so the state
 * read here is the state the UPDATE will see).
 */
static int check_transition(struct jq_store *s, int64_t id, enum jq_job_state to,
			    struct current *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_STATE_GET];
	enum jq_job_state from;
	int rc;

	TRY(bind_i64(st, 1, id));
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	if (jq_job_state_from_string((const char *)sqlite3_column_text(st, 0), &from) < 0)
		return -EIO;
	if (!jq_job_transition_valid(from, to))
		return -EINVAL;
	ret->state = from;
	ret->submitted_at = jq_store_column_opt(st, 1);
	ret->started_at = jq_store_column_opt(st, 2);
	return 0;
}

/* Steps an UPDATE guarded by `state = ?from`: exactly one row must change. */
static int step_update(struct jq_store *s, sqlite3_stmt *st)
{
	TRY(jq_store_step_done(s, st));
	return sqlite3_changes(s->db) == 1 ? 0 : -EIO;
}

/* The host name recorded with each accounting row; "" if the kernel will not say. */
static void host_name(char *buf, size_t n)
{
	if (gethostname(buf, n) < 0)
		buf[0] = '\0';
	buf[n - 1] = '\0';
}

/*
 * Writes the one accounting row of a job that has just reached an end
 * state (the caller's transaction). Every end state gets one, also a job
 * that never ran: a NULL a stores NULL measurements. The primary key on
 * job_id makes a second row impossible.
 */
static int acct_insert_locked(struct jq_store *s, int64_t id, const struct jq_accounting *a,
			      int64_t wall, int64_t queue_wait)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_ACCT_INSERT];
	struct jq_accounting none = {-1, -1, -1, -1, -1, -1, -1};
	char host[256];

	if (!a)
		a = &none;
	host_name(host, sizeof(host));
	TRY(bind_i64(st, 1, id));
	TRY(jq_store_bind_opt(st, 2, a->cpu_user_usec));
	TRY(jq_store_bind_opt(st, 3, a->cpu_system_usec));
	TRY(jq_store_bind_opt(st, 4, a->memory_peak_bytes));
	TRY(jq_store_bind_opt(st, 5, a->io_read_bytes));
	TRY(jq_store_bind_opt(st, 6, a->io_write_bytes));
	TRY(jq_store_bind_opt(st, 7, wall));
	TRY(jq_store_bind_opt(st, 8, queue_wait));
	TRY(bind_text(st, 9, host[0] ? host : NULL));
	return step_update(s, st);
}

static int set_state_locked(struct jq_store *s, int64_t id, enum jq_job_state to,
			    const char *reason)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	bool final = jq_job_state_is_final(to);
	struct current cur;

	TRY(check_transition(s, id, to, &cur));

	/* an end state reached without results (cancel of a queued job) still gets its time */
	st = s->stmt[final ? JQ_STMT_SET_STATE_FINAL : JQ_STMT_SET_STATE];
	TRY(bind_i64(st, 1, id));
	TRY(bind_state(st, 2, to));
	TRY(bind_text(st, 3, reason));
	TRY(bind_state(st, 4, cur.state));
	if (final)
		TRY(bind_i64(st, 5, jq_now_usec()));
	TRY(step_update(s, st));
	if (!final)
		return 0;
	/* an end state without results (cancel of a queued job): its row, nothing measured */
	return acct_insert_locked(s, id, NULL, -1, -1);
}

int jq_store_job_set_state(struct jq_store *s, int64_t id, enum jq_job_state to, const char *reason)
{
	bool own;
	int r;

	if (!s)
		return -EINVAL;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = set_state_locked(s, id, to, reason);
	return jq_store_call_end(s, own, r);
}

static int hold_locked(struct jq_store *s, int64_t id, const char *admin)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_HOLD];
	struct current cur;
	int r;

	r = check_transition(s, id, JQ_JOB_HELD, &cur);
	if (r == -EINVAL && admin) {
		_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *up = s->stmt[JQ_STMT_HOLD_ADMIN];
		TRY(bind_i64(up, 1, id));
		TRY(bind_text(up, 2, admin));
		TRY(jq_store_step_done(s, up));
		return sqlite3_changes(s->db) == 1 ? 0 : -EINVAL;
	}
	if (r < 0)
		return r;
	TRY(bind_i64(st, 1, id));
	TRY(bind_text(st, 2, admin));
	TRY(bind_state(st, 3, cur.state));
	return step_update(s, st);
}

int jq_store_job_hold(struct jq_store *s, int64_t id, const char *admin)
{
	bool own;
	int r;

	if (!s)
		return -EINVAL;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = hold_locked(s, id, admin);
	return jq_store_call_end(s, own, r);
}

static int mark_starting_locked(struct jq_store *s, int64_t id, const struct jq_limits *eff)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_MARK_STARTING];
	struct current cur;

	TRY(check_transition(s, id, JQ_JOB_STARTING, &cur));
	TRY(bind_i64(st, 1, id));
	TRY(jq_store_bind_opt(st, 2, eff->cpus_milli));
	TRY(jq_store_bind_opt(st, 3, eff->memory_bytes));
	TRY(jq_store_bind_opt(st, 4, eff->pids));
	TRY(jq_store_bind_opt(st, 5, eff->timeout_usec));
	TRY(bind_state(st, 6, cur.state));
	return step_update(s, st);
}

int jq_store_job_mark_starting(struct jq_store *s, int64_t id, const struct jq_limits *effective)
{
	struct jq_limits unset = jq_limits_unset();
	bool own;
	int r;

	if (!s)
		return -EINVAL;
	if (!effective)
		effective = &unset;
	if (!limits_ok(effective))
		return -EINVAL;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = mark_starting_locked(s, id, effective);
	return jq_store_call_end(s, own, r);
}

static int mark_running_locked(struct jq_store *s, int64_t id, int64_t started_at,
			       int64_t helper_pid, int64_t helper_start_time)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_MARK_RUNNING];
	struct current cur;

	TRY(check_transition(s, id, JQ_JOB_RUNNING, &cur));
	TRY(bind_i64(st, 1, id));
	TRY(bind_i64(st, 2, started_at));
	TRY(jq_store_bind_opt(st, 3, helper_pid));
	TRY(jq_store_bind_opt(st, 4, helper_start_time));
	TRY(bind_state(st, 5, cur.state));
	return step_update(s, st);
}

int jq_store_job_mark_running(struct jq_store *s, int64_t id, int64_t started_at,
			      int64_t helper_pid, int64_t helper_start_time)
{
	bool own;
	int r;

	if (!s)
		return -EINVAL;
	if (started_at < 0)
		started_at = jq_now_usec();
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = mark_running_locked(s, id, started_at, helper_pid, helper_start_time);
	return jq_store_call_end(s, own, r);
}

static int finish_locked(struct jq_store *s, int64_t id, const struct jq_store_finish *f)
{
	const struct jq_accounting *a = f->acct;
	struct current cur;
	int64_t started, finished, queue_wait, wall;

	TRY(check_transition(s, id, f->state, &cur));
	started = f->started_at != -1 ? f->started_at : cur.started_at;
	finished = f->finished_at >= 0 ? f->finished_at : jq_now_usec();

	{
		_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_FINISH];

		TRY(bind_i64(st, 1, id));
		TRY(bind_state(st, 2, f->state));
		TRY(bind_text(st, 3, f->reason));
		TRY(jq_store_bind_opt(st, 4, f->exit_code));
		TRY(jq_store_bind_opt(st, 5, f->signal));
		TRY(jq_store_bind_opt(st, 6, started));
		TRY(bind_i64(st, 7, finished));
		TRY(bind_state(st, 8, cur.state));
		TRY(jq_store_bind_opt(st, 9, f->log_bytes >= 0 ? f->log_bytes : -1));
		TRY(step_update(s, st));
	}

	/*
	 * Derived from the job's own times when the caller did not measure
	 * them; a job that never started has neither (NULL, not 0).
	 */
	queue_wait = a ? a->queue_wait_usec : -1;
	if (queue_wait == -1 && started >= 0 && cur.submitted_at >= 0)
		queue_wait = started >= cur.submitted_at ? started - cur.submitted_at : 0;
	wall = a ? a->wall_usec : -1;
	if (wall == -1 && started >= 0)
		wall = finished >= started ? finished - started : 0;
	return acct_insert_locked(s, id, a, wall, queue_wait);
}

int jq_store_job_finish(struct jq_store *s, int64_t id, const struct jq_store_finish *f)
{
	bool own;
	int r;

	if (!s || !f || !jq_job_state_is_final(f->state))
		return -EINVAL;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = finish_locked(s, id, f);
	return jq_store_call_end(s, own, r);
}
