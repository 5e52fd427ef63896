/* SPDX-License-Identifier: MIT */
/*
 * Retention and upkeep of the file: deleting finished jobs (their
 * accounting rows stay), expiring accounting rows, giving freed pages back
 * with incremental vacuum, and checkpointing the WAL. jobqd's
 * scheduler/maintenance.c calls these on a timer, in bounded batches, so
 * that none of them holds the write lock for long.
 *
 * The statements run a few times a minute at most: they are prepared per
 * call from static text, not kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-store-internal.h"
#include "jq-util.h"

/* As jq-store.c sets at open: restored after a checkpoint that must not wait. */
#define RETENTION_BUSY_TIMEOUT_MS 5000
/* One call deletes at most this many rows (the caller's batch is smaller). */
#define RETENTION_MAX_BATCH 100000

#define END_STATES                                                                                 \
	"('succeeded', 'failed', 'timeout', 'oom', 'cancelled', 'failed_to_start', 'lost')"

/*
 * Oldest finished first (index jobs_finished). The newest job stays so
 * that its id is never handed out again.
 *
 * A job that waiting jobs depend on does not stay (issue 11): once it has
 * ended, its dependents were resolved (jq_store_sched_dep_ended: one
 * dependency less, or cancelled), so the job_deps rows that cascade with
 * it decide nothing any more. Keeping it would let anyone who may name it
 * in `--after` pin another tenant's job against retention for as long as
 * a held job of theirs waits.
 */
static const char sql_expired[] =
    "SELECT j.id FROM jobs j WHERE j.finished_at IS NOT NULL AND j.finished_at < ?1 "
    "AND j.state IN " END_STATES " AND j.id < (SELECT max(id) FROM jobs) "
    "ORDER BY j.finished_at, j.id LIMIT ?2";

static const char sql_delete[] = "DELETE FROM jobs WHERE id = ?1 AND state IN " END_STATES;

/* Only rows whose job is gone: a finished job is never without its row. */
static const char sql_acct_expire[] =
    "DELETE FROM accounting WHERE job_id IN (SELECT a.job_id FROM accounting a "
    "WHERE a.finished_at < ?1 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = a.job_id) "
    "ORDER BY a.finished_at LIMIT ?2)";

static const char sql_freelist[] = "PRAGMA freelist_count";
/* PRAGMA takes no parameters: the batch is part of the text (JQ_STORE_VACUUM_PAGES). */
static const char sql_vacuum[] = "PRAGMA incremental_vacuum(2048)";
_Static_assert(JQ_STORE_VACUUM_PAGES == 2048, "sql_vacuum's page count");

static void finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}

static int prepare(struct jq_store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : jq_store_errno(s->db, rc);
}

static int bind_i64(struct jq_store *s, sqlite3_stmt *st, int idx, int64_t v)
{
	int rc = sqlite3_bind_int64(st, idx, v);

	return rc == SQLITE_OK ? 0 : jq_store_errno(s->db, rc);
}

int jq_store_retention_expired(struct jq_store *s, int64_t before, int64_t *ids, size_t max,
			       size_t *ret_n)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc, r;

	if (!s || !ret_n || (max > 0 && !ids) || max > RETENTION_MAX_BATCH)
		return -EINVAL;
	r = prepare(s, sql_expired, &st);
	if (r < 0)
		return r;
	if ((r = bind_i64(s, st, 1, before)) < 0 || (r = bind_i64(s, st, 2, (int64_t)max)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
		ids[n++] = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	*ret_n = n;
	return 0;
}

static int delete_locked(struct jq_store *s, const int64_t *ids, size_t n)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	int deleted = 0, r;

	r = prepare(s, sql_delete, &st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		r = bind_i64(s, st, 1, ids[i]);
		if (r < 0)
			return r;
		r = jq_store_step_done(s, st);
		if (r < 0)
			return r;
		deleted += sqlite3_changes(s->db);
	}
	return deleted;
}

int jq_store_retention_delete(struct jq_store *s, const int64_t *ids, size_t n)
{
	bool own;
	int r;

	if (!s || (n > 0 && !ids) || n > RETENTION_MAX_BATCH)
		return -EINVAL;
	if (n == 0)
		return 0;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = delete_locked(s, ids, n);
	return jq_store_call_end(s, own, r);
}

static int acct_expire_locked(struct jq_store *s, int64_t before, size_t max)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, sql_acct_expire, &st);
	if (r < 0)
		return r;
	if ((r = bind_i64(s, st, 1, before)) < 0 || (r = bind_i64(s, st, 2, (int64_t)max)) < 0)
		return r;
	r = jq_store_step_done(s, st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db);
}

int jq_store_accounting_expire(struct jq_store *s, int64_t before, size_t max)
{
	bool own;
	int r;

	if (!s || max > RETENTION_MAX_BATCH)
		return -EINVAL;
	if (max == 0)
		return 0;
	r = jq_store_call_begin(s, &own);
	if (r < 0)
		return r;
	r = acct_expire_locked(s, before, max);
	return jq_store_call_end(s, own, r);
}

static int freelist_count(struct jq_store *s, int64_t *ret)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	int rc, r;

	r = prepare(s, sql_freelist, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int jq_store_vacuum(struct jq_store *s)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	int64_t before, after;
	int rc, r;

	if (!s)
		return -EINVAL;
	r = freelist_count(s, &before);
	if (r < 0)
		return r;
	if (before == 0)
		return 0;
	r = prepare(s, sql_vacuum, &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return jq_store_errno(s->db, rc);
	r = freelist_count(s, &after);
	if (r < 0)
		return r;
	return before > after ? (int)(before - after) : 0;
}

int jq_store_checkpoint(struct jq_store *s, bool truncate, struct jq_store_wal_stat *ret)
{
	int log = -1, ckpt = -1, rc;

	if (!s)
		return -EINVAL;
	/* a checkpoint inside a transaction cannot finish, and would look like progress */
	if (!sqlite3_get_autocommit(s->db))
		return -EBUSY;
	/*
	 * TRUNCATE waits for readers through the busy handler: the daemon's
	 * loop must not, so the handler is off for the call. A reader (an
	 * administrator's sqlite3) makes it -EBUSY; the next tick retries.
	 */
	sqlite3_busy_timeout(s->db, 0);
	rc = sqlite3_wal_checkpoint_v2(
	    s->db, NULL, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, &log,
	    &ckpt);
	sqlite3_busy_timeout(s->db, RETENTION_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return jq_store_errno(s->db, rc);
	if (ret)
		*ret = (struct jq_store_wal_stat){.log_frames = log, .checkpointed_frames = ckpt};
	return 0;
}
