/* SPDX-License-Identifier: MIT */
/*
 * Private declarations shared by the files of storage/. Nothing here leaves
 * the module: sqlite3 types stay behind jq-store.h.
 */
#ifndef JQ_STORE_INTERNAL_H
#define JQ_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jq-store.h"

/* The current schema; jq-store-schema.c holds one migration step per version. */
#define JQ_STORE_SCHEMA_VERSION 4

/*
 * Upper bound of one string or blob the connection stores
 * (SQLITE_LIMIT_LENGTH). argv + env of a submission are far below it (the
 * protocol caps them at 1 MiB); the bound keeps a row read back from the
 * file from making us allocate without limit.
 */
#define JQ_STORE_MAX_VALUE (16 * 1024 * 1024)
/* Supplementary groups of one job (NGROUPS_MAX on Linux). */
#define JQ_STORE_MAX_GIDS 65536
/* Dependencies of one job. */
#define JQ_STORE_MAX_AFTER 65536

enum jq_stmt {
	/* transaction control */
	JQ_STMT_BEGIN,
	JQ_STMT_COMMIT,
	JQ_STMT_ROLLBACK,
	JQ_STMT_SAVEPOINT,
	JQ_STMT_RELEASE,
	JQ_STMT_ROLLBACK_TO,
	/* jobs */
	JQ_STMT_JOB_INSERT,
	JQ_STMT_DEP_INSERT,
	JQ_STMT_DEPS_GET,
	JQ_STMT_JOB_GET,
	JQ_STMT_LIST_ALL,
	JQ_STMT_LIST_STATE,
	JQ_STMT_LIST_TENANT_STATE,
	JQ_STMT_COUNT_STATE,
	JQ_STMT_COUNT_TENANT_STATE,
	JQ_STMT_PEEK_NEXT,
	JQ_STMT_STATE_GET,
	JQ_STMT_SET_STATE,
	JQ_STMT_HOLD,
	JQ_STMT_HOLD_ADMIN,
	JQ_STMT_SET_STATE_FINAL,
	JQ_STMT_MARK_STARTING,
	JQ_STMT_MARK_RUNNING,
	JQ_STMT_FINISH,
	JQ_STMT_ACCT_INSERT,
	/* EXPLAIN QUERY PLAN of the hot statements, for jq_store_explain() */
	JQ_STMT_EXPLAIN_CLAIM,
	JQ_STMT_EXPLAIN_LIST_STATE,
	JQ_STMT_EXPLAIN_LIST_TENANT_STATE,
	JQ_STMT_EXPLAIN_COUNT_TENANT_STATE,
	/* fair share (issue 5): jq-store-sched.c */
	JQ_STMT_SCHED_DEP_ANY_INSERT,
	JQ_STMT_SCHED_DEPS_COUNT,
	JQ_STMT_SCHED_DEP_FAILED,
	JQ_STMT_SCHED_DEP_PENDING,
	JQ_STMT_SCHED_DEPENDENTS,
	JQ_STMT_SCHED_DEPS_DEC,
	JQ_STMT_SCHED_PEEK_READY,
	JQ_STMT_SCHED_POSITION,
	JQ_STMT_SCHED_QUEUED_COUNTS,
	JQ_STMT_SCHED_USAGE,
	JQ_STMT_SCHED_EXPLAIN_READY,
	/* hostile queries (issue 11): jq-store-page.c */
	JQ_STMT_PAGE_ALL,
	JQ_STMT_PAGE_VISIBLE,
	JQ_STMT_JOB_OWNER,
	JQ_STMT_JOB_STATE,
	JQ_STMT_QUEUE_WALK,
	JQ_STMT_EXPLAIN_PAGE_VISIBLE,
	JQ_STMT_EXPLAIN_PAGE_ALL,
	/* a tenant's bytes (issue 11): jq-store-bytes.c */
	JQ_STMT_SPEC_INSERT,
	JQ_STMT_TENANT_BYTES,
	_JQ_STMT_MAX,
};

/*
 * The columns every job SELECT returns, in the order of enum jq_job_col:
 * the job (alias j), its command (alias s, job_specs) and its accounting
 * row (alias a, NULLs without one).
 */
#define JQ_JOB_COLUMNS                                                                             \
	"j.id, j.tenant, j.user, j.uid, j.gid, j.gids, j.name, s.argv, s.env, j.cwd, j.priority, " \
	"j.req_cpus_milli, j.req_memory_bytes, j.req_pids, j.req_timeout_usec, "                   \
	"j.eff_cpus_milli, j.eff_memory_bytes, j.eff_pids, j.eff_timeout_usec, "                   \
	"j.state, j.reason, j.submitted_at, j.started_at, j.finished_at, j.exit_code, j.signal, "  \
	"j.helper_pid, j.helper_start_time, "                                                      \
	"a.job_id, a.cpu_user_usec, a.cpu_system_usec, a.memory_peak_bytes, a.io_read_bytes, "     \
	"a.io_write_bytes, a.wall_usec, a.queue_wait_usec, j.hold_admin, j.array_index "           \
	"FROM jobs j JOIN job_specs s ON s.id = j.spec_id LEFT JOIN accounting a ON a.job_id = "   \
	"j.id "

enum jq_job_col {
	JQ_COL_ID,
	JQ_COL_TENANT,
	JQ_COL_USER,
	JQ_COL_UID,
	JQ_COL_GID,
	JQ_COL_GIDS,
	JQ_COL_NAME,
	JQ_COL_ARGV,
	JQ_COL_ENV,
	JQ_COL_CWD,
	JQ_COL_PRIORITY,
	JQ_COL_REQ_CPUS,
	JQ_COL_REQ_MEMORY,
	JQ_COL_REQ_PIDS,
	JQ_COL_REQ_TIMEOUT,
	JQ_COL_EFF_CPUS,
	JQ_COL_EFF_MEMORY,
	JQ_COL_EFF_PIDS,
	JQ_COL_EFF_TIMEOUT,
	JQ_COL_STATE,
	JQ_COL_REASON,
	JQ_COL_SUBMITTED_AT,
	JQ_COL_STARTED_AT,
	JQ_COL_FINISHED_AT,
	JQ_COL_EXIT_CODE,
	JQ_COL_SIGNAL,
	JQ_COL_HELPER_PID,
	JQ_COL_HELPER_START_TIME,
	JQ_COL_ACCT_JOB_ID,
	JQ_COL_ACCT_CPU_USER,
	JQ_COL_ACCT_CPU_SYSTEM,
	JQ_COL_ACCT_MEMORY_PEAK,
	JQ_COL_ACCT_IO_READ,
	JQ_COL_ACCT_IO_WRITE,
	JQ_COL_ACCT_WALL,
	JQ_COL_ACCT_QUEUE_WAIT,
	JQ_COL_HOLD_ADMIN,
	JQ_COL_ARRAY_INDEX, /* issue 11: the copy's JOBQ_ARRAY_INDEX, NULL outside an --array */
	_JQ_COL_MAX,
};

struct jq_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[_JQ_STMT_MAX];
	/* a jq_store_begin() is open (it may have been aborted by SQLite since) */
	bool explicit_txn;
	/* the error that made SQLite abort the caller's transaction, else 0 */
	int aborted;
	/* a jq_store_job_list() walk holds JQ_STMT_LIST_* */
	bool listing;
};

/* The SQL of each statement, static text (jq-store-sql.c). */
extern const char *const jq_store_sql[_JQ_STMT_MAX];
/* Name of an explain statement for jq_store_explain()'s callback. */
const char *jq_store_explain_name(enum jq_stmt id);

/* Maps an SQLite result code (primary or extended) to -errno. */
int jq_store_errno(sqlite3 *db, int rc);

/* Resets and clears a statement; for _cleanup_(jq_store_stmt_resetp). */
void jq_store_stmt_resetp(sqlite3_stmt **st);

/* Steps a statement that returns no rows (or whose rows are ignored): 0 or -errno. */
int jq_store_step_done(struct jq_store *s, sqlite3_stmt *st);

/*
 * Enters the write transaction of one call: BEGIN IMMEDIATE when none is
 * open (*ret_own = true), else a SAVEPOINT inside the caller's transaction,
 * so that a failing call undoes exactly its own writes. -EIO (or the error
 * that caused it) if SQLite aborted the caller's transaction.
 */
int jq_store_call_begin(struct jq_store *s, bool *ret_own);
/* Leaves it: commits/releases when r >= 0, rolls back otherwise. Returns r or the commit error. */
int jq_store_call_end(struct jq_store *s, bool own, int r);

/* Brings the schema to JQ_STORE_SCHEMA_VERSION; -EPROTO if the file is newer. */
int jq_store_migrate(sqlite3 *db);

/* Binds v, or NULL when v == -1 (JQ_LIMIT_UNSET, unset time, no exit code). */
int jq_store_bind_opt(sqlite3_stmt *st, int idx, int64_t v);
/* A text column as a new string (NULL for NULL): 0 or -ENOMEM. */
int jq_store_column_strdup(sqlite3_stmt *st, int idx, char **ret);
/* A column as int64, -1 for NULL. */
int64_t jq_store_column_opt(sqlite3_stmt *st, int idx);

/*
 * The stored forms of vectors (see the schema comment in jq-store-schema.c):
 * argv/env as the concatenation of NUL-terminated strings, id lists as
 * 8-byte big-endian integers. Encoders return -E2BIG past
 * JQ_STORE_MAX_VALUE, before allocating.
 */
int jq_store_strv_encode(char *const *v, char **ret_buf, size_t *ret_len);
int jq_store_strv_decode(const void *buf, size_t len, char ***ret);
int jq_store_ids_encode(const int64_t *ids, size_t n, uint8_t **ret_buf, size_t *ret_len);
int jq_store_ids_decode(const void *buf, size_t len, int64_t **ret, size_t *ret_n);

/*
 * Issue 11 (jq-store-bytes.c): stores argv and env (without any
 * JOBQ_ARRAY_INDEX entry when array is set) as one job_specs row of
 * tenant, inside the caller's transaction; its id in *ret_spec_id.
 */
int jq_store_spec_insert_locked(struct jq_store *s, const char *tenant, char *const *argv,
				char *const *env, bool array, int64_t *ret_spec_id);
/*
 * Inserts one job of spec_id (array_index -1 outside an --array) and its
 * --after rows, inside the caller's transaction. j is checked by the caller.
 */
int jq_store_job_insert_locked(struct jq_store *s, const struct jq_job *j, int64_t spec_id,
			       int64_t array_index, int64_t *ret_id);
/* Appends JOBQ_ARRAY_INDEX=index to the NULL-terminated *env (reallocated). */
int jq_store_env_add_index(char ***env, int64_t index);
/* Checks the parts of j that jq_store_job_insert() needs: 0 or -EINVAL / -E2BIG. */
int jq_store_job_check(const struct jq_job *j);

#endif
