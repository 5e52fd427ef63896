/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of a tenant's bytes in storage/ (issue 11): the migration
 * from a v3 database keeps every job and its command, the copies of an
 * --array share one stored argv/env, the environment leaves the database
 * once no job of it can start (and not before: a job requeued by recovery
 * keeps it), and tenant_bytes follows submissions, starts, ends and
 * retention.
 */
#include "acct-fixture.h"

/*
 * The v3 schema as released (`sqlite3 jobq.db .schema` of a file made by
 * jobqd at schema version 3), frozen here: the migration must upgrade
 * files that jobq wrote.
 */
static const char schema_v3[] =
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
    ", deps_pending INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE INDEX jobs_queued ON jobs(tenant, priority DESC, id) WHERE state = 'queued';\n"
    "CREATE INDEX jobs_state ON jobs(state);\n"
    "CREATE INDEX jobs_tenant_state ON jobs(tenant, state);\n"
    "CREATE TABLE job_deps (\n"
    "  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
    "  dep_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, any_end INTEGER NOT NULL "
    "DEFAULT 0, -- runs after this job\n"
    "  PRIMARY KEY (job_id, dep_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX job_deps_dep ON job_deps(dep_id);\n"
    "CREATE TABLE IF NOT EXISTS \"accounting\" (       -- one row per finished job; outlives the "
    "job\n"
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
    "CREATE INDEX accounting_finished ON accounting(finished_at);\n"
    "CREATE INDEX accounting_tenant_finished ON accounting(tenant, finished_at);\n"
    "CREATE INDEX jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;\n"
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
    "FROM accounting a LEFT JOIN jobs j ON j.id = a.job_id\n"
    ";\n"
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
    "FROM accounting GROUP BY tenant, day\n"
    ";\n"
    "CREATE INDEX jobs_ready ON jobs(tenant, priority DESC, id)\n"
    "  WHERE state = 'queued' AND deps_pending = 0;\n"
    "PRAGMA user_version = 3;\n";

static void assert_strv_equal(char **a, char **b)
{
	if (!a || !b) {
		assert_ptr_equal(a, b);
		return;
	}
	for (size_t i = 0;; i++) {
		if (!a[i] || !b[i]) {
			assert_ptr_equal(a[i], b[i]);
			return;
		}
		assert_string_equal(a[i], b[i]);
	}
}

static int64_t spec_count(struct fixture *fx)
{
	return q_int(fx->raw, "SELECT count(*) FROM job_specs");
}

static int64_t queued_bytes(struct fixture *fx, const char *tenant)
{
	struct jq_store_tenant_bytes tb;

	assert_int_equal(jq_store_tenant_bytes(fx->s, tenant, &tb), 0);
	return tb.queued_bytes;
}

static int64_t log_bytes(struct fixture *fx, const char *tenant)
{
	struct jq_store_tenant_bytes tb;

	assert_int_equal(jq_store_tenant_bytes(fx->s, tenant, &tb), 0);
	return tb.log_bytes;
}

/* 1. v3 -> v4 keeps every job, its argv, and the env of jobs that can still start. */
static void test_migrate_v3(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	q_exec(db, "PRAGMA journal_mode = WAL");
	q_exec(db, "PRAGMA auto_vacuum = INCREMENTAL");
	q_exec(db, "BEGIN");
	q_exec(db, schema_v3);
	/* argv 'sh\0-c\0x\0' (8 bytes), env 'K=V\0' (4 bytes) */
	q_exec(db,
	       "INSERT INTO jobs (id, tenant, user, uid, argv, env, cwd, state, submitted_at, "
	       "started_at, finished_at, exit_code) VALUES "
	       "(1, 'acme', 'alice', 1000, x'7368002d63007800', x'4b3d5600', '/w', 'succeeded', "
	       "1000, 2000, 3000, 0), "
	       "(2, 'acme', 'alice', 1000, x'7368002d63007800', x'4b3d5600', '/w', 'running', "
	       "1000, 2000, NULL, NULL), "
	       "(3, 'acme', 'bob', 1001, x'7400', x'4b3d5600', '/w', 'queued', 4000, NULL, "
	       "NULL, NULL), "
	       "(4, 'beta', 'bob', 1001, x'7400', NULL, '/', 'held', 5000, NULL, NULL, NULL), "
	       "(5, 'beta', 'bob', 1001, x'7400', x'4b3d5600', '/', 'starting', 5000, NULL, "
	       "NULL, NULL)");
	q_exec(db, "INSERT INTO job_deps (job_id, dep_id) VALUES (3, 2)");
	q_exec(db, "UPDATE jobs SET deps_pending = 1 WHERE id = 3");
	q_exec(db, "INSERT INTO accounting (job_id, tenant, user, uid, state, exit_code, "
		   "submitted_at, started_at, finished_at, cpu_user_usec, cpu_system_usec) VALUES "
		   "(1, 'acme', 'alice', 1000, 'succeeded', 0, 1000, 2000, 3000, 700, 300)");
	q_exec(db, "COMMIT");
	assert_int_equal(q_int(db, "PRAGMA user_version"), 3);
	sqlite3_close(db);

	open_both(fx);
	assert_int_equal(q_int(fx->raw, "PRAGMA user_version"), jq_store_schema_version());
	assert_true(jq_store_schema_version() >= 4);
	/* the command moved: no copy of it is left in jobs */
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM pragma_table_info('jobs') "
					"WHERE name IN ('argv', 'env')"),
			 0);
	assert_int_equal(spec_count(fx), 5);

	char *argv_sh[] = {"sh", "-c", "x", NULL}, *argv_t[] = {"t", NULL},
	     *env_kv[] = {"K=V", NULL};
	struct {
		int64_t id;
		char **argv, **env;
		enum jq_job_state state;
	} want[] = {
	    {1, argv_sh, NULL, JQ_JOB_SUCCEEDED}, {2, argv_sh, NULL, JQ_JOB_RUNNING},
	    {3, argv_t, env_kv, JQ_JOB_QUEUED},	  {4, argv_t, NULL, JQ_JOB_HELD},
	    {5, argv_t, env_kv, JQ_JOB_STARTING},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(want); i++) {
		_cleanup_(jq_job_release) struct jq_job j;

		assert_int_equal(jq_store_job_get(fx->s, want[i].id, &j), 0);
		assert_int_equal(j.state, want[i].state);
		assert_strv_equal(j.argv, want[i].argv);
		assert_strv_equal(j.env, want[i].env);
	}
	{
		_cleanup_(jq_job_release) struct jq_job j;

		assert_int_equal(jq_store_job_get(fx->s, 3, &j), 0);
		assert_int_equal(j.n_after, 1);
		assert_int_equal(j.after[0], 2);
		assert_string_equal(j.cwd, "/w");
	}
	/* waiting: acme job 3 (2 + 4 bytes); beta jobs 4 (2) and 5 (2 + 4) */
	assert_int_equal(queued_bytes(fx, "acme"), 6);
	assert_int_equal(queued_bytes(fx, "beta"), 8);
	assert_int_equal(log_bytes(fx, "acme"), 0);

	/* the documented views still answer */
	assert_int_equal(q_int(fx->raw, "SELECT cpu_usec FROM job_accounting WHERE job_id = 1"),
			 1000);
	assert_int_equal(q_int(fx->raw, "SELECT job_kept FROM job_accounting WHERE job_id = 1"), 1);
	assert_int_equal(
	    q_int(fx->raw, "SELECT jobs FROM tenant_usage_daily WHERE tenant = 'acme'"), 1);

	/* the migrated queued job still runs with its environment, then drops it */
	assert_int_equal(jq_store_job_mark_starting(fx->s, 3, NULL), 0);
	assert_int_equal(jq_store_job_mark_running(fx->s, 3, -1, 1, 1), 0);
	assert_int_equal(q_int(fx->raw, "SELECT env IS NULL FROM job_specs WHERE id = 3"), 1);
	assert_int_equal(queued_bytes(fx, "acme"), 0);

	/* reopening a v4 file changes nothing */
	jq_store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_NORMAL, &fx->s), 0);
	assert_int_equal(spec_count(fx), 5);
}

static struct jq_job job_of(const char *tenant, char **argv, char **env)
{
	struct jq_job j;

	jq_job_init(&j);
	j.tenant = (char *)tenant;
	j.user = (char *)"alice";
	j.uid = 1000;
	j.gid = 1000;
	j.argv = argv;
	j.env = env;
	j.cwd = (char *)"/";
	j.submitted_at = 1700000000000000;
	return j;
}

/* 2. An --array stores its argv/env once; each copy still gets its own index. */
static void test_array_shared(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = {"make", "-j8", NULL};
	char *env[] = {"A=1", "JOBQ_ARRAY_INDEX=99", "B=2", NULL};
	struct jq_job j = job_of("acme", argv, env);
	int64_t first = -1;

	open_both(fx);
	assert_int_equal(jq_store_sched_submit(fx->s, &j, NULL, 0, 300, &first), 0);
	assert_int_equal(spec_count(fx), 1);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM jobs"), 300);
	/* "make\0-j8\0" + "A=1\0B=2\0": the submitted JOBQ_ARRAY_INDEX is not kept */
	assert_int_equal(queued_bytes(fx, "acme"), 9 + 8);
	for (int64_t k = 0; k < 300; k += 299) {
		_cleanup_(jq_job_release) struct jq_job got;
		_cleanup_free_ char *idx = jq_asprintf("JOBQ_ARRAY_INDEX=%" PRId64, k);
		char *want[] = {"A=1", "B=2", idx, NULL};

		assert_int_equal(jq_store_job_get(fx->s, first + k, &got), 0);
		assert_strv_equal(got.argv, argv);
		assert_strv_equal(got.env, want);
	}

	/* copy 0 starts: the other 299 still need the environment */
	assert_int_equal(jq_store_job_mark_starting(fx->s, first, NULL), 0);
	assert_int_equal(jq_store_job_mark_running(fx->s, first, -1, 1, 1), 0);
	assert_int_equal(q_int(fx->raw, "SELECT env IS NOT NULL FROM job_specs"), 1);
	assert_int_equal(queued_bytes(fx, "acme"), 17);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, first + 1, &got), 0);
		assert_non_null(got.env);
	}
	/* every other copy cancelled: nothing waits, the environment goes */
	assert_int_equal(jq_store_begin(fx->s), 0);
	for (int64_t k = 1; k < 300; k++)
		assert_int_equal(jq_store_job_set_state(fx->s, first + k, JQ_JOB_CANCELLED, NULL),
				 0);
	assert_int_equal(jq_store_commit(fx->s), 0);
	assert_int_equal(q_int(fx->raw, "SELECT env IS NULL FROM job_specs"), 1);
	assert_int_equal(queued_bytes(fx, "acme"), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		/* argv stays for `jobq show` */
		assert_int_equal(jq_store_job_get(fx->s, first, &got), 0);
		assert_strv_equal(got.argv, argv);
		assert_null(got.env);
	}
}

/*
 * 3. Recovery: a job the daemon died while starting goes back to the queue
 * (starting -> queued) and must still have its environment; it is dropped
 * only once the job runs.
 */
static void test_env_kept_until_running(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = {"true", NULL}, *env[] = {"SECRET=1", NULL};
	struct jq_job j = job_of("acme", argv, env);
	int64_t id = -1;

	open_both(fx);
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	assert_int_equal(queued_bytes(fx, "acme"), 5 + 9);
	assert_int_equal(jq_store_job_set_state(fx->s, id, JQ_JOB_HELD, NULL), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, id, JQ_JOB_QUEUED, NULL), 0);
	assert_int_equal(jq_store_job_mark_starting(fx->s, id, NULL), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, id, JQ_JOB_QUEUED, NULL), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, id, &got), 0);
		assert_strv_equal(got.env, env);
	}
	assert_int_equal(queued_bytes(fx, "acme"), 14);
	assert_int_equal(jq_store_job_mark_starting(fx->s, id, NULL), 0);
	assert_int_equal(jq_store_job_mark_running(fx->s, id, -1, 1, 1), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, id, &got), 0);
		assert_null(got.env);
		assert_strv_equal(got.argv, argv);
	}
	assert_int_equal(queued_bytes(fx, "acme"), 0);
	/* a job that fails to start from `starting` drops it too */
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	assert_int_equal(jq_store_job_mark_starting(fx->s, id, NULL), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, id, JQ_JOB_FAILED_TO_START, "x"), 0);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM job_specs WHERE env IS NOT NULL"), 0);
	assert_int_equal(queued_bytes(fx, "acme"), 0);
}

/* 4. Log bytes: counted when a job ends, given back when retention deletes it. */
static void test_log_bytes(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = {"true", NULL};
	struct jq_job j = job_of("acme", argv, NULL);
	int64_t id = -1, other = -1, ids[1];
	size_t n = 0;

	open_both(fx);
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	assert_int_equal(jq_store_job_insert(fx->s, &j, &other), 0);
	assert_int_equal(jq_store_job_mark_starting(fx->s, id, NULL), 0);
	assert_int_equal(jq_store_job_mark_running(fx->s, id, 1000, 1, 1), 0);
	struct jq_store_finish f = {.state = JQ_JOB_SUCCEEDED,
				    .exit_code = 0,
				    .signal = -1,
				    .started_at = -1,
				    .finished_at = 2000,
				    .log_bytes = 123456};
	assert_int_equal(jq_store_job_finish(fx->s, id, &f), 0);
	assert_int_equal(log_bytes(fx, "acme"), 123456);
	assert_int_equal(log_bytes(fx, "beta"), 0);
	assert_int_equal(spec_count(fx), 2);

	/* retention deletes the job: its logs are gone, and its command with it */
	assert_int_equal(jq_store_retention_expired(fx->s, 3000, ids, 1, &n), 0);
	/* (the job with the highest id is never deleted: `other` is it) */
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], id);
	assert_int_equal(jq_store_retention_delete(fx->s, ids, n), 1);
	assert_int_equal(log_bytes(fx, "acme"), 0);
	assert_int_equal(spec_count(fx), 1);
	/* the accounting row stays */
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM job_accounting"), 1);
	(void)other;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_v3, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_array_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_env_kept_until_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
