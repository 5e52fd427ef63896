/* SPDX-License-Identifier: MIT */
/*
 * The storage module: every byte of SQL in jobq lives behind this header.
 * SQLite in WAL mode, one writer (jobqd). Functions return 0 (or a count)
 * on success and -errno on failure; SQLite result codes are mapped inside
 * (SQLITE_BUSY -> -EBUSY, SQLITE_FULL -> -ENOSPC, SQLITE_CONSTRAINT ->
 * -EEXIST, corruption -> -EIO, ...).
 *
 * Every state change goes through the job state machine of jq-job.h: an
 * illegal transition returns -EINVAL and changes nothing.
 *
 * Outside an explicit jq_store_begin()/jq_store_commit() each writing call
 * runs in its own BEGIN IMMEDIATE transaction; inside one, calls join it,
 * so the daemon can batch the changes of one loop turn into one commit.
 */
#ifndef JQ_STORE_H
#define JQ_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "jq-job.h"

struct jq_store;

enum jq_store_sync {
	JQ_STORE_SYNC_FULL = 0, /* PRAGMA synchronous=FULL, the default */
	JQ_STORE_SYNC_NORMAL,
};

/*
 * Opens (creating if needed) the database at path, or ":memory:", sets WAL,
 * synchronous and busy_timeout, and migrates the schema to the current
 * user_version. -EPROTO if the file's schema is newer than this program.
 */
int jq_store_open(const char *path, enum jq_store_sync sync, struct jq_store **ret);
/* Closes the database. NULL-safe. */
void jq_store_close(struct jq_store *s);

/* Schema version this build migrates to (PRAGMA user_version). */
int jq_store_schema_version(void);

int jq_store_begin(struct jq_store *s);	   /* BEGIN IMMEDIATE */
int jq_store_commit(struct jq_store *s);   /* COMMIT */
int jq_store_rollback(struct jq_store *s); /* ROLLBACK, never fails loudly */
bool jq_store_in_transaction(const struct jq_store *s);

/*
 * Inserts a new job from j (tenant, user, uid, gid, gids, name, argv, env,
 * cwd, priority, after, requested limits, submitted_at; state must be
 * queued or held). Returns the new id in *ret_id.
 */
int jq_store_job_insert(struct jq_store *s, const struct jq_job *j, int64_t *ret_id);

/* Loads one job into *ret (initialised by the callee). -ENOENT if none. */
int jq_store_job_get(struct jq_store *s, int64_t id, struct jq_job *ret);

/* Filter for jq_store_job_list; NULL / -1 fields do not filter. */
struct jq_store_filter {
	const char *tenant;
	int state; /* enum jq_job_state or -1 */
	int64_t uid;
	int64_t limit; /* at most this many rows, -1 = no limit */
};

/*
 * Calls cb for each matching job in id order. The job is released after
 * cb returns (cb may steal fields with TAKE_PTR). A negative return from cb
 * stops the walk and is returned.
 */
int jq_store_job_list(struct jq_store *s, const struct jq_store_filter *f,
		      int (*cb)(const struct jq_job *j, void *userdata), void *userdata);

/* Number of jobs of tenant (NULL = all) in state. */
int jq_store_job_count(struct jq_store *s, const char *tenant, enum jq_job_state state,
		       int64_t *ret_count);

/*
 * The next queued job of tenant (priority descending, then id ascending)
 * without changing it: -ENOENT if the tenant has none. Uses the partial
 * index on queued jobs.
 */
int jq_store_job_peek_next(struct jq_store *s, const char *tenant, struct jq_job *ret);

/*
 * Moves a job to state `to` with reason (may be NULL) if the transition
 * from its current state is legal. -ENOENT, -EINVAL (illegal transition).
 * Not for end states that carry results: use jq_store_job_finish().
 */
int jq_store_job_set_state(struct jq_store *s, int64_t id, enum jq_job_state to,
			   const char *reason);

/* queued -> starting, storing the effective limits. */
int jq_store_job_mark_starting(struct jq_store *s, int64_t id, const struct jq_limits *effective);

/* starting -> running, storing the helper's pid and start time. */
int jq_store_job_mark_running(struct jq_store *s, int64_t id, int64_t started_at,
			      int64_t helper_pid, int64_t helper_start_time);

/* What ended a job; acct may be NULL for a job that never ran. */
struct jq_store_finish {
	enum jq_job_state state; /* an end state */
	const char *reason;
	int64_t exit_code; /* -1 if none */
	int64_t signal;	   /* -1 if none */
	int64_t started_at; /* -1 keeps the stored value */
	int64_t finished_at;
	const struct jq_accounting *acct;
};

/*
 * Moves a job to an end state and, when acct is given, writes its one
 * accounting row in the same transaction. -EINVAL on an illegal
 * transition (also: finishing a job twice), -ENOENT.
 */
int jq_store_job_finish(struct jq_store *s, int64_t id, const struct jq_store_finish *f);

/*
 * Describes the query plan of the hot statements (claim, list by state) for
 * the EXPLAIN QUERY PLAN test: calls cb with each statement's name and each
 * plan detail line.
 */
int jq_store_explain(struct jq_store *s, void (*cb)(const char *stmt, const char *detail, void *u),
		     void *userdata);

#endif
