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

struct migration {
	int version;
	const char *sql;
};

static const struct migration migrations[] = {
    {1, migration_v1},
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
	return 0;

rollback:
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}
