/* SPDX-License-Identifier: MIT */
/*
 * Every statement the store runs after the migrations, as static text. They
 * are prepared once in jq_store_open() and only ever bound, stepped and
 * reset: no SQL is built at run time.
 */
#include "jq-store-internal.h"

/*
 * The claim query. `state = 'queued'` must stay a literal: SQLite uses the
 * partial index jobs_queued only when the query's WHERE implies the index's
 * WHERE at prepare time, which a bound parameter cannot.
 */
#define SQL_PEEK_NEXT                                                                              \
	"SELECT " JQ_JOB_COLUMNS "WHERE j.state = 'queued' AND j.tenant = ?1 "                     \
	"ORDER BY j.priority DESC, j.id LIMIT 1"

/* jobs_state holds (state, rowid): rows come out in id order, no sort. */
#define SQL_LIST_STATE                                                                             \
	"SELECT " JQ_JOB_COLUMNS "WHERE j.state = ?1 AND (?2 IS NULL OR j.uid = ?2) "              \
	"ORDER BY j.id LIMIT ?3"

#define SQL_LIST_TENANT_STATE                                                                      \
	"SELECT " JQ_JOB_COLUMNS "WHERE j.tenant = ?1 AND j.state = ?2 "                           \
	"AND (?3 IS NULL OR j.uid = ?3) ORDER BY j.id LIMIT ?4"

#define SQL_COUNT_TENANT_STATE "SELECT count(*) FROM jobs WHERE tenant = ?1 AND state = ?2"

/* Fair share (issue 5): the claim of the next ready job, on jobs_ready. */
#define SQL_SCHED_PEEK_READY                                                                       \
	"SELECT id, priority, req_cpus_milli, req_memory_bytes, req_pids, req_timeout_usec "       \
	"FROM jobs WHERE state = 'queued' AND deps_pending = 0 AND tenant = ?1 "                   \
	"ORDER BY priority DESC, id LIMIT 1"
#define SQL_SCHED_WAITING "('queued', 'held', 'starting', 'running')"
#define SQL_SCHED_FAILED  "('failed', 'timeout', 'oom', 'cancelled', 'failed_to_start', 'lost')"

/*
 * Hostile queries (issue 11): one page of `jobq list`, newest first. The
 * ids are picked first, from indexes only where the asker is not root (the
 * asker's own jobs through jobs_uid, the tenants they administer, bound as
 * a JSON array, through jobs_tenant_state): what is not theirs to see is
 * never read. Only the page's rows are then loaded, without env, cwd and
 * gids, and with the first JQ_STORE_PAGE_ARGV_BYTES bytes of argv. A
 * waiting job's first pending dependency comes with its row.
 */
#define SQL_PAGE_FILTERS                                                                           \
	"AND (?3 IS NULL OR tenant = ?3) AND (?4 IS NULL OR state = ?4) "                          \
	"AND (?5 IS NULL OR uid = ?5) ORDER BY id DESC LIMIT ?6"
#define SQL_PAGE_IDS_VISIBLE                                                                       \
	"SELECT id FROM jobs WHERE (uid = ?1 OR tenant IN (SELECT value FROM "                     \
	"json_each(?2))) " SQL_PAGE_FILTERS
#define SQL_PAGE_IDS_ALL "SELECT id FROM jobs WHERE ?1 IS NULL AND ?2 IS NULL " SQL_PAGE_FILTERS
#define SQL_PAGE(ids)                                                                              \
	"SELECT j.id, j.tenant, j.user, j.uid, j.name, substr(s.argv, 1, " JQ_STORE_PAGE_ARGV_SQL  \
	"), j.priority, j.req_cpus_milli, j.req_memory_bytes, j.req_pids, j.req_timeout_usec, "    \
	"j.eff_cpus_milli, j.eff_memory_bytes, j.eff_pids, j.eff_timeout_usec, j.state, "          \
	"j.reason, j.submitted_at, j.started_at, j.finished_at, j.exit_code, j.signal, "           \
	"a.job_id, a.cpu_user_usec, a.cpu_system_usec, a.memory_peak_bytes, a.io_read_bytes, "     \
	"a.io_write_bytes, a.wall_usec, a.queue_wait_usec, "                                       \
	"CASE WHEN j.state = 'queued' AND j.deps_pending > 0 THEN (SELECT min(d.dep_id) "          \
	"FROM job_deps d JOIN jobs p ON p.id = d.dep_id WHERE d.job_id = j.id "                    \
	"AND p.state IN ('queued', 'held', 'starting', 'running')) END, j.hold_admin "             \
	"FROM jobs j JOIN job_specs s ON s.id = j.spec_id LEFT JOIN accounting a "                 \
	"ON a.job_id = j.id WHERE j.id IN (" ids ") "                                              \
	"ORDER BY j.id DESC"
/* The tenant's queued jobs in dispatch order (jobs_queued): positions of a page. */
#define SQL_QUEUE_WALK                                                                             \
	"SELECT id FROM jobs WHERE state = 'queued' AND tenant = ?1 "                              \
	"ORDER BY priority DESC, id LIMIT ?2"

const char *const jq_store_sql[_JQ_STMT_MAX] = {
    [JQ_STMT_BEGIN] = "BEGIN IMMEDIATE",
    [JQ_STMT_COMMIT] = "COMMIT",
    [JQ_STMT_ROLLBACK] = "ROLLBACK",
    [JQ_STMT_SAVEPOINT] = "SAVEPOINT jq_call",
    [JQ_STMT_RELEASE] = "RELEASE jq_call",
    [JQ_STMT_ROLLBACK_TO] = "ROLLBACK TO jq_call",

    [JQ_STMT_JOB_INSERT] =
	"INSERT INTO jobs (tenant, user, uid, gid, gids, name, spec_id, array_index, cwd, "
	"priority, "
	"req_cpus_milli, req_memory_bytes, req_pids, req_timeout_usec, state, reason, "
	"submitted_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    /* `--after 3,3` is one dependency, not an error. */
    [JQ_STMT_DEP_INSERT] = "INSERT OR IGNORE INTO job_deps (job_id, dep_id) VALUES (?1, ?2)",
    [JQ_STMT_DEPS_GET] = "SELECT dep_id FROM job_deps WHERE job_id = ?1 ORDER BY dep_id",
    [JQ_STMT_JOB_GET] = "SELECT " JQ_JOB_COLUMNS "WHERE j.id = ?1",
    [JQ_STMT_LIST_ALL] = "SELECT " JQ_JOB_COLUMNS
			 "WHERE (?1 IS NULL OR j.tenant = ?1) AND (?2 IS NULL OR j.uid = ?2) "
			 "ORDER BY j.id LIMIT ?3",
    [JQ_STMT_LIST_STATE] = SQL_LIST_STATE,
    [JQ_STMT_LIST_TENANT_STATE] = SQL_LIST_TENANT_STATE,
    [JQ_STMT_COUNT_STATE] = "SELECT count(*) FROM jobs WHERE state = ?1",
    [JQ_STMT_COUNT_TENANT_STATE] = SQL_COUNT_TENANT_STATE,
    [JQ_STMT_PEEK_NEXT] = SQL_PEEK_NEXT,

    [JQ_STMT_STATE_GET] = "SELECT state, submitted_at, started_at FROM jobs WHERE id = ?1",
    /* Every UPDATE below repeats the state it was checked against (?from). */
    /* Any move clears who held the job: only JQ_STMT_HOLD sets it. */
    [JQ_STMT_SET_STATE] = "UPDATE jobs SET state = ?2, reason = ?3, hold_admin = NULL "
			  "WHERE id = ?1 AND state = ?4",
    [JQ_STMT_HOLD] = "UPDATE jobs SET state = 'held', reason = NULL, hold_admin = ?2 "
		     "WHERE id = ?1 AND state = ?3",
    /* An owner's hold becomes an admin's: the job stays held, not a transition. */
    [JQ_STMT_HOLD_ADMIN] = "UPDATE jobs SET hold_admin = ?2 "
			   "WHERE id = ?1 AND state = 'held' AND hold_admin IS NULL",
    [JQ_STMT_SET_STATE_FINAL] = "UPDATE jobs SET state = ?2, reason = ?3, finished_at = ?5, "
				"hold_admin = NULL, helper_pid = NULL, helper_start_time = NULL "
				"WHERE id = ?1 AND state = ?4",
    [JQ_STMT_MARK_STARTING] = "UPDATE jobs SET state = 'starting', reason = NULL, "
			      "eff_cpus_milli = ?2, eff_memory_bytes = ?3, eff_pids = ?4, "
			      "eff_timeout_usec = ?5 WHERE id = ?1 AND state = ?6",
    [JQ_STMT_MARK_RUNNING] = "UPDATE jobs SET state = 'running', started_at = ?2, "
			     "helper_pid = ?3, helper_start_time = ?4 "
			     "WHERE id = ?1 AND state = ?5",
    [JQ_STMT_FINISH] = "UPDATE jobs SET state = ?2, reason = ?3, exit_code = ?4, signal = ?5, "
		       "started_at = ?6, finished_at = ?7, hold_admin = NULL, helper_pid = NULL, "
		       "helper_start_time = NULL, log_bytes = ?9 WHERE id = ?1 AND state = ?8",
    /*
     * Copies the end state and the job's identity just written, so the two
     * rows cannot disagree and the accounting row stands on its own once
     * retention deletes the job. ?2..?8 are the measurements (NULL =
     * unknown), ?9 the host name.
     */
    [JQ_STMT_ACCT_INSERT] =
	"INSERT INTO accounting (job_id, tenant, user, uid, name, host, state, exit_code, signal, "
	"submitted_at, started_at, finished_at, queue_wait_usec, wall_usec, cpu_user_usec, "
	"cpu_system_usec, memory_peak_bytes, io_read_bytes, io_write_bytes, eff_cpus_milli, "
	"eff_memory_bytes, eff_pids, eff_timeout_usec) "
	"SELECT id, tenant, user, uid, name, ?9, state, exit_code, signal, submitted_at, "
	"started_at, finished_at, ?8, ?7, ?2, ?3, ?4, ?5, ?6, eff_cpus_milli, eff_memory_bytes, "
	"eff_pids, eff_timeout_usec FROM jobs WHERE id = ?1",

    [JQ_STMT_EXPLAIN_CLAIM] = ("EXPLAIN QUERY PLAN " SQL_PEEK_NEXT),
    [JQ_STMT_EXPLAIN_LIST_STATE] = ("EXPLAIN QUERY PLAN " SQL_LIST_STATE),
    [JQ_STMT_EXPLAIN_LIST_TENANT_STATE] = ("EXPLAIN QUERY PLAN " SQL_LIST_TENANT_STATE),
    [JQ_STMT_EXPLAIN_COUNT_TENANT_STATE] = ("EXPLAIN QUERY PLAN " SQL_COUNT_TENANT_STATE),

    /* fair share (issue 5) */
    /* A job in both --after and --after-any keeps the stricter --after. */
    [JQ_STMT_SCHED_DEP_ANY_INSERT] = "INSERT INTO job_deps (job_id, dep_id, any_end) "
				     "VALUES (?1, ?2, 1) ON CONFLICT DO NOTHING",
    [JQ_STMT_SCHED_DEPS_COUNT] =
	"UPDATE jobs SET deps_pending = (SELECT count(*) FROM job_deps d JOIN jobs p "
	"ON p.id = d.dep_id WHERE d.job_id = ?1 AND p.state IN " SQL_SCHED_WAITING ") "
	"WHERE id = ?1",
    [JQ_STMT_SCHED_DEP_FAILED] = "SELECT min(d.dep_id) FROM job_deps d JOIN jobs p "
				 "ON p.id = d.dep_id WHERE d.job_id = ?1 AND d.any_end = 0 "
				 "AND p.state IN " SQL_SCHED_FAILED,
    [JQ_STMT_SCHED_DEP_PENDING] = "SELECT min(d.dep_id) FROM job_deps d JOIN jobs p "
				  "ON p.id = d.dep_id WHERE d.job_id = ?1 "
				  "AND p.state IN " SQL_SCHED_WAITING,
    [JQ_STMT_SCHED_DEPENDENTS] = "SELECT d.job_id, d.any_end, j.tenant FROM job_deps d "
				 "JOIN jobs j ON j.id = d.job_id WHERE d.dep_id = ?1 "
				 "AND j.state IN ('queued', 'held') ORDER BY d.job_id",
    [JQ_STMT_SCHED_DEPS_DEC] = "UPDATE jobs SET deps_pending = deps_pending - 1 "
			       "WHERE id = ?1 AND deps_pending > 0",
    [JQ_STMT_SCHED_PEEK_READY] = SQL_SCHED_PEEK_READY,
    /* Two ranges of jobs_queued; an OR of both would not use the index. */
    [JQ_STMT_SCHED_POSITION] =
	"SELECT (SELECT count(*) FROM jobs WHERE state = 'queued' AND tenant = ?1 "
	"AND priority > ?2) + (SELECT count(*) FROM jobs WHERE state = 'queued' "
	"AND tenant = ?1 AND priority = ?2 AND id < ?3)",
    [JQ_STMT_SCHED_QUEUED_COUNTS] =
	"SELECT tenant, count(*) FROM jobs WHERE state = 'queued' GROUP BY tenant",
    [JQ_STMT_SCHED_USAGE] = "SELECT tenant, cpu_user_usec, cpu_system_usec, finished_at "
			    "FROM accounting WHERE finished_at >= ?1 "
			    "AND (cpu_user_usec IS NOT NULL OR cpu_system_usec IS NOT NULL)",
    [JQ_STMT_SCHED_EXPLAIN_READY] = "EXPLAIN QUERY PLAN " SQL_SCHED_PEEK_READY,

    /* hostile queries (issue 11) */
    [JQ_STMT_PAGE_ALL] = SQL_PAGE(SQL_PAGE_IDS_ALL),
    [JQ_STMT_PAGE_VISIBLE] = SQL_PAGE(SQL_PAGE_IDS_VISIBLE),
    [JQ_STMT_JOB_OWNER] = "SELECT tenant, uid FROM jobs WHERE id = ?1",
    [JQ_STMT_JOB_STATE] = "SELECT state FROM jobs WHERE id = ?1",
    [JQ_STMT_QUEUE_WALK] = SQL_QUEUE_WALK,
    [JQ_STMT_EXPLAIN_PAGE_VISIBLE] = "EXPLAIN QUERY PLAN " SQL_PAGE(SQL_PAGE_IDS_VISIBLE),
    [JQ_STMT_EXPLAIN_PAGE_ALL] = "EXPLAIN QUERY PLAN " SQL_PAGE(SQL_PAGE_IDS_ALL),
    /* a tenant's bytes (issue 11) */
    [JQ_STMT_SPEC_INSERT] = "INSERT INTO job_specs (tenant, argv, env, waiting_bytes) "
			    "VALUES (?1, ?2, ?3, ?4)",
    [JQ_STMT_TENANT_BYTES] = "SELECT queued_bytes, log_bytes FROM tenant_bytes WHERE tenant = ?1",
};

const char *jq_store_explain_name(enum jq_stmt id)
{
	switch (id) {
	case JQ_STMT_EXPLAIN_CLAIM:
		return "claim";
	case JQ_STMT_EXPLAIN_LIST_STATE:
		return "list_by_state";
	case JQ_STMT_EXPLAIN_LIST_TENANT_STATE:
		return "list_by_tenant_state";
	case JQ_STMT_EXPLAIN_COUNT_TENANT_STATE:
		return "count_by_tenant_state";
	case JQ_STMT_SCHED_EXPLAIN_READY:
		return "claim_ready";
	case JQ_STMT_EXPLAIN_PAGE_VISIBLE:
		return "list_page_visible";
	case JQ_STMT_EXPLAIN_PAGE_ALL:
		return "list_page_all";
	default:
		return NULL;
	}
}
