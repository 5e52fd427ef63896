/* SPDX-License-Identifier: MIT */
/*
 * The schema and its migrations, keyed on PRAGMA user_version. Step N takes
 * a database at version N-1 to version N and sets user_version itself, so
 * that a step and its version number commit together. Steps are only ever
 * appended: a released step is never edited.
 */
#include <errno.h>

#include "jq-store-internal.h"
#include "jq-util.h"

/*
 * Version 1. The comments stay in sqlite_master, so that administrators
 * reading the file with `sqlite3 jobq.db .schema` see the units.
 *
 * Stored forms chosen here:
 * - jobs.argv, jobs.env: BLOB, the strings each followed by one NUL byte
 *   and concatenated; the count is the number of NULs. Never a shell
 *   string. env NULL = no vector, a zero-length blob = an empty one.
 * - jobs.gids: BLOB of 8-byte big-endian signed integers, NULL when the
 *   submitter has no supplementary groups.
 * - optional integers (limits, times, exit code, signal, helper) are NULL
 *   when unset, -1 in struct jq_job.
 * - dependencies (`submit --after`) are rows of job_deps.
 */
static const char migration_v1[] =
    "CREATE TABLE jobs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant TEXT NOT NULL,\n"
    "  user TEXT NOT NULL,              -- submitter's user name\n"
    "  uid INTEGER,\n"
    "  gid INTEGER,\n"
    "  gids BLOB,                       -- supplementary gids, 8-byte big-endian each\n"
    "  name TEXT,\n"
    "  argv BLOB NOT NULL,              -- NUL-terminated strings, concatenated\n"
    "  env BLOB,                        -- \"K=V\" strings, same form as argv\n"
    "  cwd TEXT NOT NULL,\n"
    "  priority INTEGER NOT NULL DEFAULT 0,\n"
    "  req_cpus_milli INTEGER,          -- requested limits, NULL = unset; 1000 = one CPU\n"
    "  req_memory_bytes INTEGER,\n"
    "  req_pids INTEGER,\n"
    "  req_timeout_usec INTEGER,\n"
    "  eff_cpus_milli INTEGER,          -- effective limits, read back from the cgroup\n"
    "  eff_memory_bytes INTEGER,\n"
    "  eff_pids INTEGER,\n"
    "  eff_timeout_usec INTEGER,\n"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'held', 'starting', 'running',\n"
    "    'succeeded', 'failed', 'timeout', 'oom', 'cancelled', 'failed_to_start', 'lost')),\n"
    "  reason TEXT,                     -- why it waits or how it ended\n"
    "  submitted_at INTEGER NOT NULL,   -- usec since the epoch\n"
    "  started_at INTEGER,\n"
    "  finished_at INTEGER,\n"
    "  exit_code INTEGER,\n"
    "  signal INTEGER,                  -- the signal that ended it\n"
    "  helper_pid INTEGER,              -- jobq-exec while the job runs\n"
    "  helper_start_time INTEGER        -- its /proc/PID/stat start time, against pid reuse\n"
    ");\n"
    /* The claim query; the literal state is what lets SQLite use a partial index. */
    "CREATE INDEX jobs_queued ON jobs(tenant, priority DESC, id) WHERE state = 'queued';\n"
    "CREATE INDEX jobs_state ON jobs(state);\n"
    "CREATE INDEX jobs_tenant_state ON jobs(tenant, state);\n"
    "CREATE TABLE job_deps (\n"
    "  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
    "  dep_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, -- runs after this job\n"
    "  PRIMARY KEY (job_id, dep_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX job_deps_dep ON job_deps(dep_id);\n"
    "CREATE TABLE accounting (          -- one row per finished job that ran\n"
    "  job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,\n"
    "  tenant TEXT NOT NULL,\n"
    "  user TEXT NOT NULL,\n"
    "  cpu_user_usec INTEGER,           -- NULL = unknown\n"
    "  cpu_system_usec INTEGER,\n"
    "  memory_peak_bytes INTEGER,\n"
    "  io_read_bytes INTEGER,\n"
    "  io_write_bytes INTEGER,\n"
    "  wall_usec INTEGER,\n"
    "  queue_wait_usec INTEGER,         -- started_at - submitted_at\n"
    "  state TEXT NOT NULL CHECK (state IN ('succeeded', 'failed', 'timeout', 'oom',\n"
    "    'cancelled', 'failed_to_start', 'lost')),\n"
    "  exit_code INTEGER,\n"
    "  signal INTEGER,\n"
    "  finished_at INTEGER NOT NULL     -- usec since the epoch\n"
    ");\n"
    "CREATE INDEX accounting_finished ON accounting(finished_at);\n"
    "PRAGMA user_version = 1;\n";

/*
 * Version 2 (accounting, issue 6). The accounting row becomes the job's
 * lasting record: it copies who, what, where and when from the job (so it
 * answers questions after retention deleted the job), and it has no
 * foreign key any more (v1 had ON DELETE CASCADE), so deleting a job keeps
 * it. SQLite cannot drop a constraint: the table is rebuilt. Finished jobs
 * that v1 left without a row (cancelled while queued, failed to start,
 * lost) get one with NULL measurements, so that every finished job has
 * exactly one row from here on.
 *
 * Units: *_usec microseconds, *_at microseconds since the epoch (UTC),
 * *_bytes bytes, eff_cpus_milli thousandths of a CPU. NULL = not measured
 * (the job never ran, or the source could not say).
 */
static const char migration_v2[] =
    "CREATE TABLE accounting_v2 (       -- one row per finished job; outlives the job\n"
    "  job_id INTEGER PRIMARY KEY,      -- jobs.id (the job row may be gone: retention)\n"
    "  tenant TEXT NOT NULL,\n"
    "  user TEXT NOT NULL,              -- submitter's user name\n"
    "  uid INTEGER,                     -- submitter's uid\n"
    "  name TEXT,                       -- submit --name\n"
    "  host TEXT,                       -- host name of the jobqd that recorded the end\n"
    "  state TEXT NOT NULL CHECK (state IN ('succeeded', 'failed', 'timeout', 'oom',\n"
    "    'cancelled', 'failed_to_start', 'lost')),\n"
    "  exit_code INTEGER,               -- NULL unless the job exited\n"
    "  signal INTEGER,                  -- the signal that ended it, else NULL\n"
    "  submitted_at INTEGER NOT NULL,   -- usec since the epoch\n"
    "  started_at INTEGER,              -- NULL if it never started\n"
    "  finished_at INTEGER NOT NULL,\n"
    "  queue_wait_usec INTEGER,         -- started_at - submitted_at; NULL if never started\n"
    "  wall_usec INTEGER,               -- finished_at - started_at (or measured)\n"
    "  cpu_user_usec INTEGER,           -- CPU time in user mode, the whole job tree\n"
    "  cpu_system_usec INTEGER,         -- CPU time in the kernel, the whole job tree\n"
    "  memory_peak_bytes INTEGER,       -- peak memory\n"
    "  io_read_bytes INTEGER,\n"
    "  io_write_bytes INTEGER,\n"
    "  eff_cpus_milli INTEGER,          -- effective limits the job ran with; NULL = none\n"
    "  eff_memory_bytes INTEGER,\n"
    "  eff_pids INTEGER,\n"
    "  eff_timeout_usec INTEGER\n"
    ");\n"
    "INSERT INTO accounting_v2 (job_id, tenant, user, uid, name, host, state, exit_code,\n"
    "  signal, submitted_at, started_at, finished_at, queue_wait_usec, wall_usec,\n"
    "  cpu_user_usec, cpu_system_usec, memory_peak_bytes, io_read_bytes, io_write_bytes,\n"
    "  eff_cpus_milli, eff_memory_bytes, eff_pids, eff_timeout_usec)\n"
    "SELECT a.job_id, a.tenant, a.user, j.uid, j.name, NULL, a.state, a.exit_code, a.signal,\n"
    "  coalesce(j.submitted_at, a.finished_at), j.started_at, a.finished_at,\n"
    "  a.queue_wait_usec, a.wall_usec, a.cpu_user_usec, a.cpu_system_usec,\n"
    "  a.memory_peak_bytes, a.io_read_bytes, a.io_write_bytes,\n"
    "  j.eff_cpus_milli, j.eff_memory_bytes, j.eff_pids, j.eff_timeout_usec\n"
    "FROM accounting a LEFT JOIN jobs j ON j.id = a.job_id;\n"
    "INSERT INTO accounting_v2 (job_id, tenant, user, uid, name, host, state, exit_code,\n"
    "  signal, submitted_at, started_at, finished_at, queue_wait_usec, wall_usec,\n"
    "  eff_cpus_milli, eff_memory_bytes, eff_pids, eff_timeout_usec)\n"
    "SELECT j.id, j.tenant, j.user, j.uid, j.name, NULL, j.state, j.exit_code, j.signal,\n"
    "  j.submitted_at, j.started_at, coalesce(j.finished_at, j.submitted_at),\n"
    "  CASE WHEN j.started_at IS NOT NULL THEN max(j.started_at - j.submitted_at, 0) END,\n"
    "  CASE WHEN j.started_at IS NOT NULL AND j.finished_at IS NOT NULL\n"
    "    THEN max(j.finished_at - j.started_at, 0) END,\n"
    "  j.eff_cpus_milli, j.eff_memory_bytes, j.eff_pids, j.eff_timeout_usec\n"
    "FROM jobs j WHERE j.state IN ('succeeded', 'failed', 'timeout', 'oom', 'cancelled',\n"
    "  'failed_to_start', 'lost')\n"
    "  AND NOT EXISTS (SELECT 1 FROM accounting a WHERE a.job_id = j.id);\n"
    "DROP TABLE accounting;\n"
    "ALTER TABLE accounting_v2 RENAME TO accounting;\n"
    "CREATE INDEX accounting_finished ON accounting(finished_at);\n"
    "CREATE INDEX accounting_tenant_finished ON accounting(tenant, finished_at);\n"
    /* retention walks finished jobs oldest first; finished_at is set only in end states */
    "CREATE INDEX jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;\n"
    /* The views administrators query (docs/accounting.md); reports read the table. */
    "CREATE VIEW job_accounting AS\n"
    "SELECT a.job_id, a.tenant, a.user, a.uid, a.name, a.host, a.state, j.reason,\n"
    "  a.exit_code, a.signal, a.submitted_at, a.started_at, a.finished_at,\n"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', a.finished_at / 1000000, 'unixepoch') AS finished_utc,\n"
    "  date(a.finished_at / 1000000, 'unixepoch') AS day,\n"
    "  a.queue_wait_usec, a.wall_usec, a.cpu_user_usec, a.cpu_system_usec,\n"
    "  a.cpu_user_usec + a.cpu_system_usec AS cpu_usec,\n"
    "  a.memory_peak_bytes, a.io_read_bytes, a.io_write_bytes,\n"
    "  a.eff_cpus_milli, a.eff_memory_bytes, a.eff_pids, a.eff_timeout_usec,\n"
    "  j.id IS NOT NULL AS job_kept\n"
    "FROM accounting a LEFT JOIN jobs j ON j.id = a.job_id;\n"
    "CREATE VIEW tenant_usage_daily AS\n"
    "SELECT tenant, date(finished_at / 1000000, 'unixepoch') AS day,\n"
    "  count(*) AS jobs,\n"
    "  sum(state = 'succeeded') AS succeeded,\n"
    "  sum(state IN ('failed', 'failed_to_start', 'lost')) AS failed,\n"
    "  sum(state = 'oom') AS oom,\n"
    "  sum(state = 'timeout') AS timeout,\n"
    "  sum(state = 'cancelled') AS cancelled,\n"
    "  coalesce(sum(cpu_user_usec), 0) AS cpu_user_usec,\n"
    "  coalesce(sum(cpu_system_usec), 0) AS cpu_system_usec,\n"
    "  max(memory_peak_bytes) AS memory_peak_bytes,\n"
    "  coalesce(sum(io_read_bytes), 0) AS io_read_bytes,\n"
    "  coalesce(sum(io_write_bytes), 0) AS io_write_bytes,\n"
    "  coalesce(sum(wall_usec), 0) AS wall_usec,\n"
    "  coalesce(sum(queue_wait_usec), 0) AS queue_wait_usec\n"
    "FROM accounting GROUP BY tenant, day;\n"
    "PRAGMA user_version = 2;\n";

/*
 * Version 3 (fair share, issue 5). jobs.deps_pending counts the
 * dependencies of a waiting job that have not ended yet; the daemon keeps
 * it as jobs end, so that the next ready job of a tenant is one indexed
 * lookup (jobs_ready) instead of a walk past blocked jobs. job_deps.any_end
 * marks `submit --after-any`: any end state satisfies it, where plain
 * `--after` needs `succeeded`. Jobs left waiting by an older jobqd get
 * their count here.
 */
static const char migration_v3[] =
    "ALTER TABLE jobs ADD COLUMN deps_pending INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE job_deps ADD COLUMN any_end INTEGER NOT NULL DEFAULT 0; -- 1: --after-any\n"
    "UPDATE jobs SET deps_pending = (SELECT count(*) FROM job_deps d JOIN jobs p\n"
    "  ON p.id = d.dep_id WHERE d.job_id = jobs.id\n"
    "  AND p.state IN ('queued', 'held', 'starting', 'running'))\n"
    "  WHERE state IN ('queued', 'held');\n"
    /* The dispatcher's claim: a literal state and count, like jobs_queued. */
    "CREATE INDEX jobs_ready ON jobs(tenant, priority DESC, id)\n"
    "  WHERE state = 'queued' AND deps_pending = 0;\n"
    "PRAGMA user_version = 3;\n";

/*
 * Version 4 (issue 11, hostile neighbours).
 * - jobs.hold_admin names the tenant admin (or root) who held another
 *   user's job; only an admin of the tenant or root may release such a
 *   hold, where the owner may release its own. NULL for a job that is not
 *   held or that its owner held (all holds made before).
 * - `jobq list` filters what the asker may see in SQL: their own jobs
 *   (jobs_uid) and the jobs of the tenants they administer
 *   (jobs_tenant_state), so a user with few visible jobs never makes the
 *   daemon walk everyone's rows.
 *
 * - A tenant's bytes are bounded. A job's command and environment move to job_specs, one row per
 * submission: the copies of `submit --array N` share it (and keep only
 * their index, jobs.array_index), so an array costs one copy of its
 * argv/env, not N. The environment is dropped (env NULL, waiting_bytes 0)
 * as soon as no job of the row can start any more: once every job of it
 * is past `starting` (the run directory's spec holds it for jobq-exec; a
 * job requeued by recovery goes starting -> queued and so still has it).
 * argv stays while any job of the row exists (`jobq show`).
 *
 * tenant_bytes keeps per tenant what admission checks (max_queued_bytes,
 * max_log_bytes_total) in O(1): the bytes of job_specs rows whose jobs
 * wait, and the log bytes of its ended jobs still on disk (jobs.log_bytes,
 * written when a job ends; retention deletes the row with the logs). The
 * triggers below keep both exact in the transaction of every change, so
 * no caller (retention included) can forget them.
 */
static const char migration_v4[] =
    "ALTER TABLE jobs ADD COLUMN hold_admin TEXT;\n"
    "CREATE INDEX jobs_uid ON jobs(uid);\n"
    "CREATE TABLE job_specs (           -- a submission's command; the jobs of an --array share "
    "it\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant TEXT NOT NULL,\n"
    "  argv BLOB NOT NULL,              -- NUL-terminated strings, concatenated\n"
    "  env BLOB,                        -- \"K=V\" strings, same form; NULL once no job of it can "
    "start\n"
    "  waiting_bytes INTEGER NOT NULL DEFAULT 0 -- length(argv) + length(env) while a job of it "
    "waits, else 0\n"
    ");\n"
    "ALTER TABLE jobs ADD COLUMN spec_id INTEGER REFERENCES job_specs(id); -- its command: "
    "job_specs.id\n"
    "ALTER TABLE jobs ADD COLUMN array_index INTEGER; -- JOBQ_ARRAY_INDEX of an --array copy, else "
    "NULL\n"
    "ALTER TABLE jobs ADD COLUMN log_bytes INTEGER;   -- stdout + stderr bytes on disk, once "
    "ended\n"
    "INSERT INTO job_specs (id, tenant, argv, env, waiting_bytes)\n"
    "  SELECT id, tenant, argv,\n"
    "    CASE WHEN state IN ('queued', 'held', 'starting') THEN env END,\n"
    "    CASE WHEN state IN ('queued', 'held', 'starting')\n"
    "      THEN length(argv) + coalesce(length(env), 0) ELSE 0 END\n"
    "  FROM jobs;\n"
    "UPDATE jobs SET spec_id = id;\n"
    "ALTER TABLE jobs DROP COLUMN argv;\n"
    "ALTER TABLE jobs DROP COLUMN env;\n"
    "CREATE INDEX jobs_spec ON jobs(spec_id, state);\n"
    "CREATE TABLE tenant_bytes (        -- what admission checks, kept by the triggers below\n"
    "  tenant TEXT PRIMARY KEY,\n"
    "  queued_bytes INTEGER NOT NULL DEFAULT 0, -- sum of job_specs.waiting_bytes\n"
    "  log_bytes INTEGER NOT NULL DEFAULT 0     -- sum of jobs.log_bytes\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO tenant_bytes (tenant, queued_bytes)\n"
    "  SELECT tenant, sum(waiting_bytes) FROM job_specs GROUP BY tenant;\n"
    "CREATE TRIGGER job_specs_added AFTER INSERT ON job_specs BEGIN\n"
    "  INSERT INTO tenant_bytes (tenant, queued_bytes) VALUES (new.tenant, new.waiting_bytes)\n"
    "    ON CONFLICT (tenant) DO UPDATE SET queued_bytes = queued_bytes + excluded.queued_bytes;\n"
    "END;\n"
    "CREATE TRIGGER job_specs_waiting AFTER UPDATE OF waiting_bytes ON job_specs\n"
    "  WHEN new.waiting_bytes IS NOT old.waiting_bytes BEGIN\n"
    "  UPDATE tenant_bytes SET queued_bytes = queued_bytes + new.waiting_bytes - "
    "old.waiting_bytes\n"
    "    WHERE tenant = new.tenant;\n"
    "END;\n"
    "CREATE TRIGGER job_specs_deleted AFTER DELETE ON job_specs WHEN old.waiting_bytes <> 0 BEGIN\n"
    "  UPDATE tenant_bytes SET queued_bytes = queued_bytes - old.waiting_bytes\n"
    "    WHERE tenant = old.tenant;\n"
    "END;\n"
    /* The state list is written as a literal so that jobs_spec serves the lookup. */
    "CREATE TRIGGER jobs_started AFTER UPDATE OF state ON jobs\n"
    "  WHEN old.state IN ('queued', 'held', 'starting')\n"
    "  AND new.state NOT IN ('queued', 'held', 'starting') BEGIN\n"
    "  UPDATE job_specs SET env = NULL, waiting_bytes = 0 WHERE id = new.spec_id\n"
    "    AND NOT EXISTS (SELECT 1 FROM jobs WHERE spec_id = new.spec_id\n"
    "      AND state IN ('queued', 'held', 'starting'));\n"
    "END;\n"
    "CREATE TRIGGER jobs_log_bytes AFTER UPDATE OF log_bytes ON jobs\n"
    "  WHEN new.log_bytes IS NOT old.log_bytes BEGIN\n"
    "  INSERT INTO tenant_bytes (tenant, log_bytes)\n"
    "    VALUES (new.tenant, coalesce(new.log_bytes, 0) - coalesce(old.log_bytes, 0))\n"
    "    ON CONFLICT (tenant) DO UPDATE SET log_bytes = log_bytes + excluded.log_bytes;\n"
    "END;\n"
    "CREATE TRIGGER jobs_deleted AFTER DELETE ON jobs BEGIN\n"
    "  UPDATE tenant_bytes SET log_bytes = log_bytes - coalesce(old.log_bytes, 0)\n"
    "    WHERE tenant = old.tenant AND old.log_bytes IS NOT NULL;\n"
    "  DELETE FROM job_specs WHERE id = old.spec_id\n"
    "    AND NOT EXISTS (SELECT 1 FROM jobs WHERE spec_id = old.spec_id);\n"
    "  UPDATE job_specs SET env = NULL, waiting_bytes = 0 WHERE id = old.spec_id\n"
    "    AND NOT EXISTS (SELECT 1 FROM jobs WHERE spec_id = old.spec_id\n"
    "      AND state IN ('queued', 'held', 'starting'));\n"
    "END;\n"
    "PRAGMA user_version = 4;\n";

struct migration {
	int version;
	const char *sql;
};

static const struct migration migrations[] = {
    {1, migration_v1},
    {2, migration_v2},
    {3, migration_v3},
    {4, migration_v4},
};

_Static_assert(JQ_ARRAY_SIZE(migrations) == JQ_STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

int jq_store_schema_version(void)
{
	return JQ_STORE_SCHEMA_VERSION;
}

static int read_user_version(sqlite3 *db, int *ret)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return jq_store_errno(db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int(st, 0);
		r = 0;
	} else {
		r = jq_store_errno(db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	}
	sqlite3_finalize(st);
	return r;
}

static int exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : jq_store_errno(db, rc);
}

/*
 * Retention frees pages with PRAGMA incremental_vacuum, which does nothing
 * unless auto_vacuum is INCREMENTAL. Files made before jq_store_open() set
 * it ahead of WAL mode have NONE; the mode of a file with tables changes
 * only through one VACUUM (outside a transaction), done once here.
 */
static int ensure_incremental_vacuum(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc, mode = -1, r;

	rc = sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return jq_store_errno(db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		mode = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return jq_store_errno(db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	if (mode == 2) /* INCREMENTAL */
		return 0;
	r = exec(db, "PRAGMA auto_vacuum = INCREMENTAL");
	if (r < 0)
		return r;
	/*
	 * Best effort: a reader holding the file makes VACUUM fail, and the
	 * schema is migrated either way; the file only does not shrink.
	 */
	(void)exec(db, "VACUUM");
	return 0;
}

int jq_store_migrate(sqlite3 *db)
{
	int version, r;

	r = read_user_version(db, &version);
	if (r < 0)
		return r;
	if (version > JQ_STORE_SCHEMA_VERSION)
		return -EPROTO;
	if (version == JQ_STORE_SCHEMA_VERSION)
		return 0;

	/*
	 * Retention deletes finished jobs and reclaims the pages with
	 * incremental vacuum; the mode can only be chosen before the first
	 * table exists, and not inside a transaction.
	 */
	if (version == 0) {
		r = exec(db, "PRAGMA auto_vacuum = INCREMENTAL");
		if (r < 0)
			return r;
	}

	/* Another process may have migrated between the read above and the lock. */
	r = exec(db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = read_user_version(db, &version);
	if (r < 0)
		goto rollback;
	if (version > JQ_STORE_SCHEMA_VERSION) {
		r = -EPROTO;
		goto rollback;
	}
	for (size_t i = 0; i < JQ_ARRAY_SIZE(migrations); i++) {
		if (migrations[i].version <= version)
			continue;
		r = exec(db, migrations[i].sql);
		if (r < 0)
			goto rollback;
	}
	r = exec(db, "COMMIT");
	if (r < 0)
		goto rollback;
	return ensure_incremental_vacuum(db);

rollback:
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}
