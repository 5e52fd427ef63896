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

/*
 * Hostile queries (issue 11): one page of `jobq list` (jq-store-page.c).
 * What the asker may see is filtered in SQL, so that the cost of a page is
 * bounded by what the asker may see and by the page, never by the table.
 */

/* Most rows of one page, and the bytes of argv a page row carries. */
#define JQ_STORE_PAGE_MAX	 10001
#define JQ_STORE_PAGE_ARGV_BYTES 256
#define JQ_STORE_PAGE_ARGV_SQL	 "256"

struct jq_store_page_query {
	const char *tenant; /* only this tenant, NULL = any */
	int state;	    /* enum jq_job_state or -1 */
	int64_t uid;	    /* only jobs of this submitter, -1 = any */
	/*
	 * Visibility: all = every job (root). Otherwise the jobs of
	 * viewer_uid and every job of the tenants in `tenants`
	 * (NULL-terminated, may be empty; names without '"', '\\' or
	 * control characters).
	 */
	bool all;
	int64_t viewer_uid;
	char *const *tenants;
	int64_t limit; /* 1..JQ_STORE_PAGE_MAX */
};

/*
 * A page row: the job without env, cwd, gids and after; argv holds at
 * most JQ_STORE_PAGE_ARGV_BYTES bytes of the command (whole arguments,
 * the last one possibly cut at a character boundary; argv_cut says so).
 */
struct jq_store_page_row {
	struct jq_job job;
	bool argv_cut;
	int64_t pending_dep; /* a queued job's lowest dependency not yet ended, -1 = none */
};

/*
 * Calls cb for each visible job matching q, newest first, at most
 * q->limit. The row is valid during the call; cb may take row->job over
 * (and leave it initialised with jq_job_init()). A negative return from cb
 * stops the walk and is returned. -EINVAL for a bad query.
 */
int jq_store_job_page(struct jq_store *s, const struct jq_store_page_query *q,
		      int (*cb)(struct jq_store_page_row *row, void *userdata), void *userdata);

/*
 * Who a job belongs to, without reading the rest of it: its tenant (a new
 * string, the caller frees) and submitter's uid (-1 if unknown). -ENOENT.
 */
int jq_store_job_owner(struct jq_store *s, int64_t id, char **ret_tenant, int64_t *ret_uid);

/*
 * A job's state alone, for pollers (a log follower every 100 ms): the row's
 * argv and environment are not read. -ENOENT.
 */
int jq_store_job_state(struct jq_store *s, int64_t id, enum jq_job_state *ret);

/*
 * Calls cb with the ids of tenant's queued jobs in dispatch order
 * (priority descending, then id), at most max; cb's negative return stops
 * the walk (and is returned, except -ECANCELED which means "done").
 */
int jq_store_sched_queue_walk(struct jq_store *s, const char *tenant, int64_t max,
			      int (*cb)(int64_t id, void *userdata), void *userdata);

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

/*
 * queued -> held. admin names the tenant admin (or root) who held another
 * user's job, so that only an admin may release it (jq_job.hold_admin);
 * NULL for a hold by the job's owner. With admin, a job its owner held
 * becomes held by that admin (it stays held). Any later move of the job
 * clears it. -ENOENT, -EINVAL (not queued, or already held by an admin, or
 * held and no admin given).
 */
int jq_store_job_hold(struct jq_store *s, int64_t id, const char *admin);

/* queued -> starting, storing the effective limits. */
int jq_store_job_mark_starting(struct jq_store *s, int64_t id, const struct jq_limits *effective);

/* starting -> running, storing the helper's pid and start time. */
int jq_store_job_mark_running(struct jq_store *s, int64_t id, int64_t started_at,
			      int64_t helper_pid, int64_t helper_start_time);

/* What ended a job; acct may be NULL for a job that never ran. */
struct jq_store_finish {
	enum jq_job_state state; /* an end state */
	const char *reason;
	int64_t exit_code;  /* -1 if none */
	int64_t signal;	    /* -1 if none */
	int64_t started_at; /* -1 keeps the stored value */
	int64_t finished_at;
	const struct jq_accounting *acct;
	/* issue 11: bytes of its logs on disk (counted against max_log_bytes_total); -1 unknown */
	int64_t log_bytes;
};

/*
 * Moves a job to an end state and writes its one accounting row in the
 * same transaction (NULL measurements where acct is NULL or a field -1;
 * jq_store_job_set_state() to an end state does the same). -EINVAL on an illegal
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

/*
 * Accounting (issue 6): reports, retention and WAL upkeep. The tables and
 * views are documented in docs/accounting.md.
 */

/* What `jobq report --by` groups on. */
enum jq_store_report_by {
	JQ_STORE_REPORT_BY_TENANT = 0,
	JQ_STORE_REPORT_BY_USER,
	JQ_STORE_REPORT_BY_DAY, /* UTC day of finished_at, "2026-11-29" */
	JQ_STORE_REPORT_BY_STATE,
	_JQ_STORE_REPORT_BY_MAX,
};

struct jq_store_report_query {
	enum jq_store_report_by by;
	int64_t since;	    /* finished_at >= since (usec), -1 = no bound */
	int64_t until;	    /* finished_at < until (usec), -1 = no bound */
	const char *tenant; /* only this tenant, NULL = all */
	/*
	 * NULL = every tenant; else only jobs of these tenants (NULL-terminated,
	 * may be empty: then nothing matches). Names must not hold '\n'.
	 */
	char *const *visible;
};

/* One group of a report: integer sums of its jobs' accounting rows (NULL counts as 0). */
struct jq_store_report_row {
	const char *key; /* tenant, user, day or state */
	int64_t jobs;
	int64_t cpu_user_usec;
	int64_t cpu_system_usec;
	int64_t memory_peak_bytes; /* the maximum, -1 if no job of the group has one */
	int64_t io_read_bytes;
	int64_t io_write_bytes;
	int64_t wall_usec;
	int64_t queue_wait_usec;
};

/*
 * Calls cb for each group in key order. The row is valid during the call.
 * A negative return from cb stops the walk and is returned. -EINVAL for a
 * bad query, -EOVERFLOW if a sum overflows 64 bits.
 */
int jq_store_report(struct jq_store *s, const struct jq_store_report_query *q,
		    int (*cb)(const struct jq_store_report_row *row, void *userdata),
		    void *userdata);

/*
 * For the EXPLAIN QUERY PLAN test: cb with each plan line of the report
 * statement for by, root's (visible false) or a member's (visible true).
 */
int jq_store_report_explain(struct jq_store *s, enum jq_store_report_by by, bool visible,
			    void (*cb)(const char *detail, void *u), void *userdata);

/*
 * Retention, step 1: the ids of up to max finished jobs with finished_at <
 * before, oldest first, into ids (room for max). Skips a job that a waiting
 * job depends on, and the job with the highest id (SQLite hands out
 * max(id) + 1: keeping it means an id, and so an accounting row, is never
 * reused).
 */
int jq_store_retention_expired(struct jq_store *s, int64_t before, int64_t *ids, size_t max,
			       size_t *ret_n);
/*
 * Retention, step 2 (after the caller removed their run directories):
 * deletes those jobs (if still finished) in one transaction, keeping their
 * accounting rows. Returns the number deleted.
 */
int jq_store_retention_delete(struct jq_store *s, const int64_t *ids, size_t n);
/*
 * Deletes up to max accounting rows with finished_at < before whose job is
 * already gone. Returns the number deleted.
 */
int jq_store_accounting_expire(struct jq_store *s, int64_t before, size_t max);
/* PRAGMA incremental_vacuum of at most JQ_STORE_VACUUM_PAGES pages; returns pages freed. */
#define JQ_STORE_VACUUM_PAGES 2048
int jq_store_vacuum(struct jq_store *s);

struct jq_store_wal_stat {
	int log_frames;		 /* frames in the WAL before the checkpoint */
	int checkpointed_frames; /* of which written back */
};
/*
 * Checkpoints the WAL without waiting for other connections: PASSIVE, or
 * TRUNCATE (resets the WAL to 0 bytes when no reader holds it; -EBUSY if
 * one does). Not inside a transaction.
 */
int jq_store_checkpoint(struct jq_store *s, bool truncate, struct jq_store_wal_stat *ret);

/*
 * Fair share (issue 5): dispatch, dependencies and bulk submission
 * (jq-store-sched.c). docs/scheduling.md describes the policy.
 */

/* Most copies one `submit --array N` may make. */
#define JQ_STORE_MAX_ARRAY 100000

/*
 * Inserts `copies` (1..JQ_STORE_MAX_ARRAY) jobs made from j, as
 * jq_store_job_insert() would, in one transaction: j->after must succeed,
 * after_any (n_after_any ids) may end in any state; when copies > 1, copy
 * k gets JOBQ_ARRAY_INDEX=k in its environment. A job whose --after
 * dependency has already failed is stored cancelled with the reason
 * "dependency N failed". The ids are consecutive from *ret_first_id.
 */
int jq_store_sched_submit(struct jq_store *s, const struct jq_job *j, const int64_t *after_any,
			  size_t n_after_any, int64_t copies, int64_t *ret_first_id);

/* The part of a ready job the dispatcher decides on. */
struct jq_store_ready {
	int64_t id;
	int64_t priority;
	struct jq_limits requested;
};

/*
 * The next job of tenant the dispatcher may start: queued, every
 * dependency satisfied; priority descending, then id. One lookup in the
 * partial index jobs_ready. -ENOENT if there is none.
 */
int jq_store_sched_peek_ready(struct jq_store *s, const char *tenant, struct jq_store_ready *ret);

/*
 * Job dep_id has ended in state: each queued or held job that depends on
 * it is cancelled ("dependency N failed") when the dependency was a plain
 * --after and state is not succeeded, else has one dependency less. cb
 * gets each such job's id, tenant (valid during the call) and whether it
 * was cancelled; the caller handles the cancelled jobs' own dependents.
 * One transaction.
 */
int jq_store_sched_dep_ended(struct jq_store *s, int64_t dep_id, enum jq_job_state state,
			     int (*cb)(int64_t id, const char *tenant, bool cancelled, void *u),
			     void *userdata);

/* The lowest id among the job's dependencies that have not ended: -ENOENT if none. */
int jq_store_sched_pending_dep(struct jq_store *s, int64_t id, int64_t *ret_dep);

/* 1 + the number of queued jobs of tenant dispatched before (priority, id). */
int jq_store_sched_position(struct jq_store *s, const char *tenant, int64_t priority, int64_t id,
			    int64_t *ret_position);

/* Calls cb with each tenant's number of queued jobs (tenants with none are left out). */
int jq_store_sched_queued_counts(struct jq_store *s,
				 int (*cb)(const char *tenant, int64_t n, void *u), void *userdata);

/* Calls cb with each accounting row finished at or after since: CPU usec (user + system). */
int jq_store_sched_usage(struct jq_store *s, int64_t since,
			 int (*cb)(const char *tenant, int64_t cpu_usec, int64_t finished_at,
				   void *u),
			 void *userdata);

/*
 * A tenant's bytes (issue 11), kept exact by the schema's triggers in the
 * transaction of every change (docs/accounting.md, table tenant_bytes).
 */
struct jq_store_tenant_bytes {
	/* argv + env of its submissions with a job not yet started (an --array counts once) */
	int64_t queued_bytes;
	/* stdout + stderr of its ended jobs whose run directory retention has not removed */
	int64_t log_bytes;
};
/* The tenant's bytes into *ret (zeros for a tenant without jobs). */
int jq_store_tenant_bytes(struct jq_store *s, const char *tenant,
			  struct jq_store_tenant_bytes *ret);

#endif
