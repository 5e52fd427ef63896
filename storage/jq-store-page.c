/* SPDX-License-Identifier: MIT */
/*
 * Hostile queries (issue 11): what `jobq list` and `submit --after` read.
 * A page is picked by id from indexes, filtered by what the asker may see
 * in SQL, and only its rows are loaded, without the columns a list never
 * shows (env, cwd, gids) and with a bounded prefix of argv. The statements
 * are in jq-store-sql.c (JQ_STMT_PAGE_*).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-store-internal.h"
#include "jq-util.h"

/* Tenants of one visibility list; the config allows at most 4096. */
#define PAGE_MAX_TENANTS 65536
#define PAGE_MAX_TENANT	 256

_Static_assert(JQ_STORE_PAGE_ARGV_BYTES == 256, "JQ_STORE_PAGE_ARGV_SQL");

enum page_col {
	PC_ID,
	PC_TENANT,
	PC_USER,
	PC_UID,
	PC_NAME,
	PC_ARGV,
	PC_PRIORITY,
	PC_REQ_CPUS,
	PC_REQ_MEMORY,
	PC_REQ_PIDS,
	PC_REQ_TIMEOUT,
	PC_EFF_CPUS,
	PC_EFF_MEMORY,
	PC_EFF_PIDS,
	PC_EFF_TIMEOUT,
	PC_STATE,
	PC_REASON,
	PC_SUBMITTED_AT,
	PC_STARTED_AT,
	PC_FINISHED_AT,
	PC_EXIT_CODE,
	PC_SIGNAL,
	PC_ACCT_JOB_ID,
	PC_ACCT_CPU_USER,
	PC_ACCT_CPU_SYSTEM,
	PC_ACCT_MEMORY_PEAK,
	PC_ACCT_IO_READ,
	PC_ACCT_IO_WRITE,
	PC_ACCT_WALL,
	PC_ACCT_QUEUE_WAIT,
	PC_PENDING_DEP,
	PC_HOLD_ADMIN,
};

static int bind_rc(sqlite3_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : jq_store_errno(sqlite3_db_handle(st), rc);
}

static int bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (!v)
		return bind_rc(st, sqlite3_bind_null(st, idx));
	return bind_rc(st, sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC));
}

/* ["a","b"]: the form json_each() reads. Names are checked, not escaped. */
static int tenants_json(char *const *v, char **ret)
{
	size_t total = 3, n = 0;
	char *buf, *p;

	for (char *const *t = v; t && *t; t++) {
		size_t l = strlen(*t);

		if (++n > PAGE_MAX_TENANTS || l == 0 || l > PAGE_MAX_TENANT)
			return -EINVAL;
		for (const char *c = *t; *c; c++)
			if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
				return -EINVAL;
		total += l + 3;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	*p++ = '[';
	for (char *const *t = v; t && *t; t++) {
		size_t l = strlen(*t);

		if (t != v)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, *t, l);
		p += l;
		*p++ = '"';
	}
	*p++ = ']';
	*p = '\0';
	*ret = buf;
	return 0;
}

/*
 * The stored argv prefix (NUL-terminated strings, the last one possibly
 * cut by substr()) as a vector: whole strings, then the cut one up to its
 * last whole UTF-8 character.
 */
static int argv_prefix_decode(const char *b, size_t len, char ***ret, bool *ret_cut)
{
	size_t n = 0, k = 0;
	char **v;

	for (size_t i = 0; i < len; i++)
		n += b[i] == '\0';
	v = calloc(n + 2, sizeof(char *));
	if (!v)
		return -ENOMEM;
	*ret_cut = false;
	for (size_t i = 0; i < len;) {
		const char *end = memchr(b + i, '\0', len - i);
		size_t l = end ? (size_t)(end - (b + i)) : len - i;

		if (!end) {
			while (l > 0 && !jq_utf8_valid(b + i, l))
				l--;
			*ret_cut = true;
		}
		v[k] = strndup(b + i, l);
		if (!v[k]) {
			jq_strv_free(v);
			return -ENOMEM;
		}
		k++;
		i += l + 1;
		if (!end)
			break;
	}
	*ret = v;
	return 0;
}

static int row_from_stmt(sqlite3_stmt *st, struct jq_store_page_row *row)
{
	struct jq_job *j = &row->job;
	const void *argv;
	int r;

	j->id = sqlite3_column_int64(st, PC_ID);
	if ((r = jq_store_column_strdup(st, PC_TENANT, &j->tenant)) < 0 ||
	    (r = jq_store_column_strdup(st, PC_USER, &j->user)) < 0 ||
	    (r = jq_store_column_strdup(st, PC_NAME, &j->name)) < 0 ||
	    (r = jq_store_column_strdup(st, PC_REASON, &j->reason)) < 0 ||
	    (r = jq_store_column_strdup(st, PC_HOLD_ADMIN, &j->hold_admin)) < 0)
		return r;
	j->uid = jq_store_column_opt(st, PC_UID);
	argv = sqlite3_column_blob(st, PC_ARGV);
	r = argv_prefix_decode(argv ? argv : "", (size_t)sqlite3_column_bytes(st, PC_ARGV),
			       &j->argv, &row->argv_cut);
	if (r < 0)
		return r;
	if (!j->argv[0])
		return -EIO;
	j->priority = sqlite3_column_int64(st, PC_PRIORITY);
	j->requested = (struct jq_limits){
	    .cpus_milli = jq_store_column_opt(st, PC_REQ_CPUS),
	    .memory_bytes = jq_store_column_opt(st, PC_REQ_MEMORY),
	    .pids = jq_store_column_opt(st, PC_REQ_PIDS),
	    .timeout_usec = jq_store_column_opt(st, PC_REQ_TIMEOUT),
	};
	j->effective = (struct jq_limits){
	    .cpus_milli = jq_store_column_opt(st, PC_EFF_CPUS),
	    .memory_bytes = jq_store_column_opt(st, PC_EFF_MEMORY),
	    .pids = jq_store_column_opt(st, PC_EFF_PIDS),
	    .timeout_usec = jq_store_column_opt(st, PC_EFF_TIMEOUT),
	};
	if (jq_job_state_from_string((const char *)sqlite3_column_text(st, PC_STATE), &j->state) <
	    0)
		return -EIO;
	j->submitted_at = jq_store_column_opt(st, PC_SUBMITTED_AT);
	j->started_at = jq_store_column_opt(st, PC_STARTED_AT);
	j->finished_at = jq_store_column_opt(st, PC_FINISHED_AT);
	j->exit_code = jq_store_column_opt(st, PC_EXIT_CODE);
	j->signal = jq_store_column_opt(st, PC_SIGNAL);
	j->has_accounting = sqlite3_column_type(st, PC_ACCT_JOB_ID) != SQLITE_NULL;
	if (j->has_accounting)
		j->acct = (struct jq_accounting){
		    .cpu_user_usec = jq_store_column_opt(st, PC_ACCT_CPU_USER),
		    .cpu_system_usec = jq_store_column_opt(st, PC_ACCT_CPU_SYSTEM),
		    .memory_peak_bytes = jq_store_column_opt(st, PC_ACCT_MEMORY_PEAK),
		    .io_read_bytes = jq_store_column_opt(st, PC_ACCT_IO_READ),
		    .io_write_bytes = jq_store_column_opt(st, PC_ACCT_IO_WRITE),
		    .wall_usec = jq_store_column_opt(st, PC_ACCT_WALL),
		    .queue_wait_usec = jq_store_column_opt(st, PC_ACCT_QUEUE_WAIT),
		};
	row->pending_dep = jq_store_column_opt(st, PC_PENDING_DEP);
	return 0;
}

static int page_bind(struct jq_store *s, sqlite3_stmt *st, const struct jq_store_page_query *q,
		     const char *tenants)
{
	const char *state = q->state >= 0 ? jq_job_state_to_string(q->state) : NULL;
	int r;

	if (q->state >= 0 && !state)
		return -EINVAL;
	if ((r = jq_store_bind_opt(st, 1, q->all ? -1 : q->viewer_uid)) < 0 ||
	    (r = bind_text(st, 2, tenants)) < 0 || (r = bind_text(st, 3, q->tenant)) < 0 ||
	    (r = bind_text(st, 4, state)) < 0 || (r = jq_store_bind_opt(st, 5, q->uid)) < 0)
		return r;
	(void)s;
	return bind_rc(st, sqlite3_bind_int64(st, 6, q->limit));
}

int jq_store_job_page(struct jq_store *s, const struct jq_store_page_query *q,
		      int (*cb)(struct jq_store_page_row *row, void *userdata), void *userdata)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	_cleanup_free_ char *tenants = NULL;
	int rc, r = 0;

	if (!s || !q || !cb || q->limit < 1 || q->limit > JQ_STORE_PAGE_MAX ||
	    q->state >= _JQ_JOB_STATE_MAX || (!q->all && q->viewer_uid < 0))
		return -EINVAL;
	if (!q->all) {
		r = tenants_json(q->tenants, &tenants);
		if (r < 0)
			return r;
	}
	st = s->stmt[q->all ? JQ_STMT_PAGE_ALL : JQ_STMT_PAGE_VISIBLE];
	r = page_bind(s, st, q, tenants);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct jq_store_page_row row = {.pending_dep = -1};

		jq_job_init(&row.job);
		r = row_from_stmt(st, &row);
		if (r >= 0)
			r = cb(&row, userdata);
		jq_job_release(&row.job);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : jq_store_errno(s->db, rc);
}

int jq_store_job_owner(struct jq_store *s, int64_t id, char **ret_tenant, int64_t *ret_uid)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	char *tenant;
	int rc, r;

	if (!s || !ret_tenant || !ret_uid)
		return -EINVAL;
	st = s->stmt[JQ_STMT_JOB_OWNER];
	r = bind_rc(st, sqlite3_bind_int64(st, 1, id));
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	r = jq_store_column_strdup(st, 0, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return -EIO;
	*ret_tenant = tenant;
	*ret_uid = jq_store_column_opt(st, 1);
	return 0;
}

int jq_store_job_state(struct jq_store *s, int64_t id, enum jq_job_state *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	int rc, r;

	if (!s || !ret)
		return -EINVAL;
	st = s->stmt[JQ_STMT_JOB_STATE];
	r = bind_rc(st, sqlite3_bind_int64(st, 1, id));
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	if (jq_job_state_from_string((const char *)sqlite3_column_text(st, 0), ret) < 0)
		return -EIO;
	return 0;
}

int jq_store_sched_queue_walk(struct jq_store *s, const char *tenant, int64_t max,
			      int (*cb)(int64_t id, void *userdata), void *userdata)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	int rc, r;

	if (!s || !tenant || !cb || max < 0)
		return -EINVAL;
	st = s->stmt[JQ_STMT_QUEUE_WALK];
	if ((r = bind_text(st, 1, tenant)) < 0 ||
	    (r = bind_rc(st, sqlite3_bind_int64(st, 2, max))) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = cb(sqlite3_column_int64(st, 0), userdata);
		if (r == -ECANCELED)
			return 0;
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : jq_store_errno(s->db, rc);
}
