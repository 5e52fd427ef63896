/* SPDX-License-Identifier: MIT */
/*
 * Opening the database, error mapping, transactions and EXPLAIN QUERY PLAN.
 * The job functions are in jq-store-job.c, the schema in jq-store-schema.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jq-store-internal.h"
#include "jq-util.h"

/* How long a writer waits for the lock of another connection (jobq doctor, sqlite3). */
#define JQ_STORE_BUSY_TIMEOUT_MS 5000

int jq_store_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc) {
	/* Extended codes first: they say more than their primary code. */
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		/* a dependency or job id that does not exist */
		return -ENOENT;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return -EINVAL;
	default:
		break;
	}

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	case SQLITE_CANTOPEN:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys == ENOENT ? -ENOENT : -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_IOERR:
	default:
		return -EIO;
	}
}

void jq_store_stmt_resetp(sqlite3_stmt **st)
{
	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
	}
}

int jq_store_step_done(struct jq_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return jq_store_errno(s->db, rc);
}

int jq_store_bind_opt(sqlite3_stmt *st, int idx, int64_t v)
{
	int rc = v == -1 ? sqlite3_bind_null(st, idx) : sqlite3_bind_int64(st, idx, v);

	return rc == SQLITE_OK ? 0 : jq_store_errno(sqlite3_db_handle(st), rc);
}

int jq_store_column_strdup(sqlite3_stmt *st, int idx, char **ret)
{
	const unsigned char *t;

	if (sqlite3_column_type(st, idx) == SQLITE_NULL) {
		*ret = NULL;
		return 0;
	}
	t = sqlite3_column_text(st, idx);
	if (!t)
		return -ENOMEM;
	*ret = strdup((const char *)t);
	return *ret ? 0 : -ENOMEM;
}

int64_t jq_store_column_opt(sqlite3_stmt *st, int idx)
{
	if (sqlite3_column_type(st, idx) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(st, idx);
}

static int run(struct jq_store *s, enum jq_stmt id)
{
	sqlite3_stmt *st = s->stmt[id];
	int r = jq_store_step_done(s, st);

	sqlite3_reset(st);
	return r;
}

/*
 * A PRAGMA run once at open whose one-row result we check. Prepared here
 * rather than kept: it runs before the schema exists and never again.
 */
static int pragma(sqlite3 *db, const char *sql, char *ret_text, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return jq_store_errno(db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		if (ret_text)
			snprintf(ret_text, n, "%s", t ? (const char *)t : "");
	} else if (rc == SQLITE_DONE) {
		if (ret_text)
			ret_text[0] = '\0';
	} else {
		r = jq_store_errno(db, rc);
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * The database holds every user's command lines and environments: create
 * it 0600 ourselves instead of relying on the daemon's umask. SQLite
 * creates -wal and -shm with the mode of the main file. An existing file
 * keeps the mode its administrator gave it.
 */
static int create_private(const char *path)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	/* the umask may have taken bits we need (0600 & ~umask) */
	if (fchmod(fd, 0600) < 0) {
		int r = -errno;

		close(fd);
		unlink(path);
		return r;
	}
	close(fd);
	return 0;
}

void jq_store_close(struct jq_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < _JQ_STMT_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	/*
	 * An open transaction is rolled back by SQLite; the last connection
	 * checkpoints and removes the WAL.
	 */
	sqlite3_close(s->db);
	free(s);
}

int jq_store_open(const char *path, enum jq_store_sync sync, struct jq_store **ret)
{
	struct jq_store *s;
	char mode[32];
	bool memory;
	int rc, r;

	if (!path || !ret)
		return -EINVAL;
	if (sync != JQ_STORE_SYNC_FULL && sync != JQ_STORE_SYNC_NORMAL)
		return -EINVAL;

	/* "" is a private temporary database, like ":memory:" */
	memory = !strcmp(path, ":memory:") || !*path;
	if (!memory) {
		r = create_private(path);
		if (r < 0)
			return r;
	}

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;

	/*
	 * SQLite opens its files with O_CLOEXEC, so the database never reaches
	 * a job through jobq-exec (the unit test checks the fds).
	 */
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		r = jq_store_errno(s->db, rc);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, JQ_STORE_MAX_VALUE);
	rc = sqlite3_busy_timeout(s->db, JQ_STORE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK) {
		r = jq_store_errno(s->db, rc);
		goto fail;
	}

	/*
	 * Before journal_mode: SQLite keeps auto_vacuum at NONE if it is
	 * set after the switch to WAL, even on an empty file (a no-op on a
	 * file that has tables; jq_store_migrate() converts those).
	 */
	r = pragma(s->db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, 0);
	if (r < 0)
		goto fail;
	r = pragma(s->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (r < 0)
		goto fail;
	/* an in-memory database has no WAL and says "memory" */
	if (strcmp(mode, memory ? "memory" : "wal") != 0) {
		r = -EIO;
		goto fail;
	}
	r = pragma(s->db,
		   sync == JQ_STORE_SYNC_FULL ? "PRAGMA synchronous = FULL"
					      : "PRAGMA synchronous = NORMAL",
		   NULL, 0);
	if (r < 0)
		goto fail;
	r = pragma(s->db, "PRAGMA foreign_keys = ON", NULL, 0);
	if (r < 0)
		goto fail;
	/* a build without foreign keys would silently accept dangling dependencies */
	r = pragma(s->db, "PRAGMA foreign_keys", mode, sizeof(mode));
	if (r < 0)
		goto fail;
	if (strcmp(mode, "1") != 0) {
		r = -EOPNOTSUPP;
		goto fail;
	}

	r = jq_store_migrate(s->db);
	if (r < 0)
		goto fail;

	for (size_t i = 0; i < _JQ_STMT_MAX; i++) {
		rc = sqlite3_prepare_v3(s->db, jq_store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			r = jq_store_errno(s->db, rc);
			goto fail;
		}
	}

	*ret = s;
	return 0;

fail:
	jq_store_close(s);
	return r;
}

int jq_store_begin(struct jq_store *s)
{
	int r;

	if (!s)
		return -EINVAL;
	/* transactions do not nest: calls join the open one instead */
	if (s->explicit_txn || !sqlite3_get_autocommit(s->db))
		return -EINVAL;
	r = run(s, JQ_STMT_BEGIN);
	if (r < 0)
		return r;
	s->explicit_txn = true;
	s->aborted = 0;
	return 0;
}

int jq_store_commit(struct jq_store *s)
{
	int r;

	if (!s || !s->explicit_txn)
		return -EINVAL;
	s->explicit_txn = false;
	/* SQLite rolled the whole transaction back itself (disk full, I/O error) */
	if (sqlite3_get_autocommit(s->db))
		return s->aborted < 0 ? s->aborted : -EIO;
	r = run(s, JQ_STMT_COMMIT);
	if (r < 0 && !sqlite3_get_autocommit(s->db))
		/* leave no transaction behind: the caller's batch is lost either way */
		(void)run(s, JQ_STMT_ROLLBACK);
	return r;
}

int jq_store_rollback(struct jq_store *s)
{
	if (!s)
		return -EINVAL;
	s->explicit_txn = false;
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return run(s, JQ_STMT_ROLLBACK);
}

bool jq_store_in_transaction(const struct jq_store *s)
{
	return s && s->explicit_txn;
}

int jq_store_call_begin(struct jq_store *s, bool *ret_own)
{
	int r;

	if (!sqlite3_get_autocommit(s->db)) {
		/* inside the caller's batch: a savepoint, so a failure undoes only this call */
		r = run(s, JQ_STMT_SAVEPOINT);
		if (r < 0)
			return r;
		*ret_own = false;
		return 0;
	}
	/*
	 * The caller's transaction is gone (SQLite aborted it): writing now
	 * would commit on its own, outside the batch the caller believes in.
	 */
	if (s->explicit_txn)
		return s->aborted < 0 ? s->aborted : -EIO;
	r = run(s, JQ_STMT_BEGIN);
	if (r < 0)
		return r;
	*ret_own = true;
	return 0;
}

/*
 * ROLLBACK does not abort the pending read of a jq_store_job_list() walk
 * whose callback made this call (SQLite aborts reads only when the schema
 * changed in the rolled back transaction), so an own transaction needs no
 * savepoint.
 */
int jq_store_call_end(struct jq_store *s, bool own, int r)
{
	int k;

	if (sqlite3_get_autocommit(s->db)) {
		/* SQLite ended the transaction itself on an error of this call */
		if (!own)
			s->aborted = r < 0 ? r : -EIO;
		return r < 0 ? r : -EIO;
	}

	if (!own) {
		if (r >= 0) {
			k = run(s, JQ_STMT_RELEASE);
			if (k >= 0)
				return r;
			r = k;
		}
		(void)run(s, JQ_STMT_ROLLBACK_TO);
		(void)run(s, JQ_STMT_RELEASE);
		return r;
	}

	if (r >= 0) {
		k = run(s, JQ_STMT_COMMIT);
		if (k >= 0)
			return r;
		r = k;
	}
	if (!sqlite3_get_autocommit(s->db))
		(void)run(s, JQ_STMT_ROLLBACK);
	return r;
}

int jq_store_explain(struct jq_store *s, void (*cb)(const char *stmt, const char *detail, void *u),
		     void *userdata)
{
	static const enum jq_stmt which[] = {
	    JQ_STMT_EXPLAIN_CLAIM,
	    JQ_STMT_EXPLAIN_LIST_STATE,
	    JQ_STMT_EXPLAIN_LIST_TENANT_STATE,
	    JQ_STMT_EXPLAIN_COUNT_TENANT_STATE,
	    JQ_STMT_SCHED_EXPLAIN_READY,
	    JQ_STMT_EXPLAIN_PAGE_VISIBLE,
	    JQ_STMT_EXPLAIN_PAGE_ALL,
	};

	if (!s || !cb)
		return -EINVAL;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(which); i++) {
		_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[which[i]];
		int rc;

		/* columns: id, parent, notused, detail */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *d = sqlite3_column_text(st, 3);

			cb(jq_store_explain_name(which[i]), d ? (const char *)d : "", userdata);
		}
		if (rc != SQLITE_DONE)
			return jq_store_errno(s->db, rc);
	}
	return 0;
}
