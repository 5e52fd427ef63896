/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the accounting side of storage/ (issue 6): the migration
 * from a v1 database, one accounting row per finished job, report sums in
 * every grouping against per-job sums computed here, and the views and the
 * SQL queries of docs/accounting.md (read from the document itself, so the
 * documented text is what is tested). Retention: test-retention.c.
 */
#include "acct-fixture.h"

/*
 * The v1 schema as released (storage/jq-store-schema.c, migration_v1),
 * frozen here: the migration must upgrade files that jobq wrote.
 */
static const char schema_v1[] =
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
/* 1. A v1 file: upgraded in place, rows kept and completed, cascade gone. */
static void test_migrate_v1(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = NULL;
	int64_t now = jq_now_usec();
	_cleanup_free_ char *rows = NULL;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	q_exec(db, "PRAGMA journal_mode = WAL");
	q_exec(db, "BEGIN");
	q_exec(db, schema_v1);
	/* 1 ran and has its row; 2 was cancelled while queued (v1 wrote none); 3 waits */
	q_exec(db,
	       "INSERT INTO jobs (id, tenant, user, uid, argv, cwd, state, submitted_at, "
	       "started_at, finished_at, exit_code, eff_memory_bytes) VALUES "
	       "(1, 'acme', 'alice', 1000, x'7400', '/', 'succeeded', 1000, 3000, 10000, 0, "
	       "1048576), "
	       "(2, 'acme', 'bob', 1001, x'7400', '/', 'cancelled', 2000, NULL, 5000, NULL, "
	       "NULL), "
	       "(3, 'beta', 'bob', 1001, x'7400', '/', 'queued', 4000, NULL, NULL, NULL, NULL)");
	q_exec(db, "INSERT INTO accounting (job_id, tenant, user, cpu_user_usec, "
		   "cpu_system_usec, memory_peak_bytes, io_read_bytes, io_write_bytes, wall_usec, "
		   "queue_wait_usec, state, exit_code, signal, finished_at) VALUES "
		   "(1, 'acme', 'alice', 700, 300, 4096, 512, 1024, 7000, 2000, 'succeeded', 0, "
		   "NULL, 10000)");
	q_exec(db, "COMMIT");
	assert_int_equal(q_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(q_int(db, "PRAGMA auto_vacuum"), 0);
	sqlite3_close(db);

	open_both(fx);
	assert_int_equal(q_int(fx->raw, "PRAGMA user_version"), jq_store_schema_version());
	assert_true(jq_store_schema_version() >= 2);
	/* converted once, so that retention can give pages back */
	assert_int_equal(q_int(fx->raw, "PRAGMA auto_vacuum"), 2);

	rows = q_text(fx->raw, "SELECT job_id, tenant, user, uid, state, submitted_at, started_at, "
			       "finished_at, queue_wait_usec, wall_usec, cpu_user_usec, "
			       "cpu_system_usec, memory_peak_bytes, io_read_bytes, io_write_bytes, "
			       "exit_code, eff_memory_bytes FROM accounting ORDER BY job_id");
	assert_string_equal(rows, "1|acme|alice|1000|succeeded|1000|3000|10000|2000|7000|700|300|"
				  "4096|512|1024|0|1048576\n"
				  "2|acme|bob|1001|cancelled|2000|NULL|5000|NULL|NULL|NULL|NULL|"
				  "NULL|NULL|NULL|NULL|NULL\n");

	/* the waiting job ends under v2 and gets its row, with host and name */
	struct jq_store_finish f = {.state = JQ_JOB_CANCELLED,
				    .exit_code = -1,
				    .signal = -1,
				    .started_at = -1,
				    .finished_at = now};
	assert_int_equal(jq_store_job_finish(fx->s, 3, &f), 0);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), 3);
	assert_int_equal(q_int(fx->raw, "SELECT host IS NOT NULL FROM accounting WHERE job_id = 3"),
			 1);

	/* no cascade any more: deleting a job keeps its row */
	q_exec(fx->raw, "DELETE FROM jobs WHERE id = 1");
	assert_int_equal(q_int(fx->raw, "SELECT cpu_user_usec FROM accounting WHERE job_id = 1"),
			 700);
	assert_int_equal(q_int(fx->raw, "SELECT job_kept FROM job_accounting WHERE job_id = 1"), 0);
	assert_int_equal(q_int(fx->raw, "SELECT job_kept FROM job_accounting WHERE job_id = 2"), 1);
	assert_int_equal(q_int(fx->raw, "SELECT jobs FROM tenant_usage_daily WHERE tenant = "
					"'acme'"),
			 2);

	/* reopening a v2 file changes nothing */
	jq_store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_NORMAL, &fx->s), 0);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), 3);
}

/* 2. Every way to an end state leaves exactly one row; nothing else does. */
static void test_one_row_per_job(void **state)
{
	struct fixture *fx = *state;
	int64_t now = jq_now_usec();
	int n_final = 0;

	open_both(fx);
	/* a fresh file is incremental from the start */
	assert_int_equal(q_int(fx->raw, "PRAGMA auto_vacuum"), 2);
	for (int st = JQ_JOB_SUCCEEDED; st < _JQ_JOB_STATE_MAX; st++) {
		struct seed ran = {"acme",
				   "alice",
				   NULL,
				   now - 3 * SEC,
				   now - 2 * SEC,
				   now - SEC,
				   st,
				   {10, 20, 30, 40, 50, -1, -1},
				   -1,
				   0};
		struct seed never = {"acme",  "bob", "n", now - 3 * SEC, -1, now - SEC, st,
				     no_acct, -1,    0};

		/* cancelled/failed_to_start can happen without running */
		if (st != JQ_JOB_LOST) {
			seed_job(fx->s, &ran);
			n_final++;
		}
		if (st == JQ_JOB_CANCELLED || st == JQ_JOB_FAILED_TO_START) {
			seed_job(fx->s, &never);
			n_final++;
		}
	}
	/* through set_state too (lost from starting, cancelled from held) */
	struct seed w = {"beta", "carol", NULL, now, -1, -1, JQ_JOB_QUEUED, no_acct, -1, 0};
	int64_t a = seed_job(fx->s, &w), b = seed_job(fx->s, &w);
	assert_int_equal(jq_store_job_mark_starting(fx->s, a, NULL), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, a, JQ_JOB_LOST, "gone"), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, b, JQ_JOB_HELD, NULL), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, b, JQ_JOB_CANCELLED, NULL), 0);
	n_final += 2;
	/* still waiting: no row */
	seed_job(fx->s, &w);

	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), n_final);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM jobs j WHERE j.finished_at IS NOT "
					"NULL AND NOT EXISTS (SELECT 1 FROM accounting a WHERE "
					"a.job_id = j.id)"),
			 0);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting a JOIN jobs j ON j.id = "
					"a.job_id WHERE a.state <> j.state OR a.finished_at <> "
					"j.finished_at OR a.tenant <> j.tenant"),
			 0);
	/* never started: no queue wait, no wall time, nothing measured */
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting WHERE started_at IS NULL "
					"AND (queue_wait_usec IS NOT NULL OR wall_usec IS NOT NULL "
					"OR cpu_user_usec IS NOT NULL)"),
			 0);
	/* ran: the store derived queue wait and wall time from the job's times */
	assert_int_equal(q_int(fx->raw,
			       "SELECT count(*) FROM accounting WHERE started_at IS NOT "
			       "NULL AND (queue_wait_usec <> 1000000 OR wall_usec <> 1000000)"),
			 0);

	/* a second end is refused and adds nothing */
	struct jq_store_finish f = {.state = JQ_JOB_FAILED,
				    .exit_code = 1,
				    .signal = -1,
				    .started_at = -1,
				    .finished_at = now};
	assert_int_equal(jq_store_job_finish(fx->s, a, &f), -EINVAL);
	assert_int_equal(jq_store_job_set_state(fx->s, b, JQ_JOB_LOST, NULL), -EINVAL);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), n_final);
}

/* 3. Reports: each group equals the sum of its jobs, in every grouping. */

#define N_RANDOM 300

static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/* A measurement, sometimes unknown. */
static int64_t rnd_value(uint64_t max)
{
	return rnd(10) == 0 ? -1 : (int64_t)rnd(max);
}

struct expect {
	char key[32];
	struct jq_store_report_row sum;
};

struct expect_set {
	struct expect e[512];
	size_t n;
};

static void key_of(const struct seed *sd, enum jq_store_report_by by, char *buf, size_t n)
{
	switch (by) {
	case JQ_STORE_REPORT_BY_TENANT:
		snprintf(buf, n, "%s", sd->tenant);
		break;
	case JQ_STORE_REPORT_BY_USER:
		snprintf(buf, n, "%s", sd->user);
		break;
	case JQ_STORE_REPORT_BY_DAY:
		day_of(sd->finished, buf, n);
		break;
	default:
		snprintf(buf, n, "%s", jq_job_state_to_string(sd->state));
		break;
	}
}

static void add_opt(int64_t *sum, int64_t v)
{
	if (v >= 0)
		*sum += v;
}

/* The per-job sums of the seeded jobs a query selects, computed without SQL. */
static void expected(const struct seed *seeds, size_t n, const struct jq_store_report_query *q,
		     struct expect_set *out)
{
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct seed *sd = &seeds[i];
		const struct jq_accounting *a = &sd->acct;
		bool ran = sd->started >= 0;
		char key[32];
		struct expect *e = NULL;
		bool visible = !q->visible;

		if ((q->since >= 0 && sd->finished < q->since) ||
		    (q->until >= 0 && sd->finished >= q->until) ||
		    (q->tenant && strcmp(q->tenant, sd->tenant)))
			continue;
		for (char *const *v = q->visible; v && *v; v++)
			visible = visible || !strcmp(*v, sd->tenant);
		if (!visible)
			continue;
		key_of(sd, q->by, key, sizeof(key));
		for (size_t k = 0; k < out->n && !e; k++)
			if (!strcmp(out->e[k].key, key))
				e = &out->e[k];
		if (!e) {
			assert_true(out->n < JQ_ARRAY_SIZE(out->e));
			e = &out->e[out->n++];
			*e = (struct expect){0};
			snprintf(e->key, sizeof(e->key), "%s", key);
			e->sum.memory_peak_bytes = -1;
		}
		e->sum.jobs++;
		if (!ran)
			continue;
		add_opt(&e->sum.cpu_user_usec, a->cpu_user_usec);
		add_opt(&e->sum.cpu_system_usec, a->cpu_system_usec);
		add_opt(&e->sum.io_read_bytes, a->io_read_bytes);
		add_opt(&e->sum.io_write_bytes, a->io_write_bytes);
		if (a->memory_peak_bytes > e->sum.memory_peak_bytes)
			e->sum.memory_peak_bytes = a->memory_peak_bytes;
		/* the store derives wall and queue wait from the job's times */
		e->sum.wall_usec += sd->finished - sd->started;
		e->sum.queue_wait_usec += sd->started - sd->submitted;
	}
}

struct got {
	struct expect_set *want;
	size_t rows;
	char last[32];
	struct jq_store_report_row total;
};

static int check_row(const struct jq_store_report_row *row, void *userdata)
{
	struct got *g = userdata;
	const struct expect *e = NULL;

	/* key order, no duplicates */
	assert_true(g->rows == 0 || strcmp(g->last, row->key) < 0);
	snprintf(g->last, sizeof(g->last), "%s", row->key);
	for (size_t k = 0; k < g->want->n && !e; k++)
		if (!strcmp(g->want->e[k].key, row->key))
			e = &g->want->e[k];
	if (!e)
		fail_msg("unexpected group '%s'", row->key);
	assert_int_equal(row->jobs, e->sum.jobs);
	assert_int_equal(row->cpu_user_usec, e->sum.cpu_user_usec);
	assert_int_equal(row->cpu_system_usec, e->sum.cpu_system_usec);
	assert_int_equal(row->memory_peak_bytes, e->sum.memory_peak_bytes);
	assert_int_equal(row->io_read_bytes, e->sum.io_read_bytes);
	assert_int_equal(row->io_write_bytes, e->sum.io_write_bytes);
	assert_int_equal(row->wall_usec, e->sum.wall_usec);
	assert_int_equal(row->queue_wait_usec, e->sum.queue_wait_usec);
	g->rows++;
	g->total.jobs += row->jobs;
	g->total.cpu_user_usec += row->cpu_user_usec;
	g->total.wall_usec += row->wall_usec;
	return 0;
}

static void check_report(struct jq_store *s, const struct seed *seeds, size_t n,
			 const struct jq_store_report_query *q)
{
	struct expect_set *want = calloc(1, sizeof(*want));
	struct got g = {.want = want};
	int64_t jobs = 0;

	assert_non_null(want);
	expected(seeds, n, q, want);
	assert_int_equal(jq_store_report(s, q, check_row, &g), 0);
	assert_int_equal(g.rows, want->n);
	for (size_t k = 0; k < want->n; k++)
		jobs += want->e[k].sum.jobs;
	/* the totals of every grouping are the same jobs */
	assert_int_equal(g.total.jobs, jobs);
	free(want);
}

static int stop_cb(const struct jq_store_report_row *row, void *userdata)
{
	(*(int *)userdata)++;
	return -ECANCELED;
}

static void test_report_sums(void **state)
{
	static const char *const tenants[] = {"acme", "beta", "gamma"};
	static const char *const users[] = {"alice", "bob", "carol", "dave"};
	static const enum jq_job_state ends[] = {JQ_JOB_SUCCEEDED, JQ_JOB_FAILED,
						 JQ_JOB_TIMEOUT,   JQ_JOB_OOM,
						 JQ_JOB_CANCELLED, JQ_JOB_FAILED_TO_START};
	struct fixture *fx = *state;
	struct seed *seeds = calloc(N_RANDOM, sizeof(*seeds));
	int64_t base = jq_now_usec() - 20 * DAY, t_sum = 0;
	char *vis_ab[] = {"acme", "beta", NULL}, *vis_none[] = {NULL}, *vis_x[] = {"x\ny", NULL};

	assert_non_null(seeds);
	open_both(fx);
	for (size_t i = 0; i < N_RANDOM; i++) {
		struct seed *sd = &seeds[i];

		sd->tenant = tenants[rnd(3)];
		sd->user = users[rnd(4)];
		sd->submitted = base + (int64_t)rnd(15 * 86400) * SEC;
		sd->state = ends[rnd(JQ_ARRAY_SIZE(ends))];
		/* some cancelled / failed_to_start jobs never ran */
		bool ran =
		    !((sd->state == JQ_JOB_CANCELLED || sd->state == JQ_JOB_FAILED_TO_START) &&
		      rnd(2));
		sd->started = ran ? sd->submitted + (int64_t)rnd(3600) * SEC : -1;
		sd->finished = (ran ? sd->started : sd->submitted) + (int64_t)rnd(4 * 3600) * SEC;
		sd->acct = (struct jq_accounting){rnd_value(1000 * SEC),
						  rnd_value(100 * SEC),
						  rnd_value(INT64_C(8) << 30),
						  rnd_value(INT64_C(1) << 32),
						  rnd_value(INT64_C(1) << 32),
						  -1,
						  -1};
		sd->eff_memory = -1;
		seed_job(fx->s, sd);
		if (ran && sd->acct.cpu_user_usec > 0)
			t_sum += sd->acct.cpu_user_usec;
	}
	/* the view and the table agree with the C sums too */
	assert_int_equal(q_int(fx->raw, "SELECT sum(cpu_user_usec) FROM tenant_usage_daily"),
			 t_sum);

	for (int by = 0; by < _JQ_STORE_REPORT_BY_MAX; by++) {
		struct jq_store_report_query q = {.by = by, .since = -1, .until = -1};

		check_report(fx->s, seeds, N_RANDOM, &q);
		q.tenant = "beta";
		check_report(fx->s, seeds, N_RANDOM, &q);
		q.tenant = NULL;
		q.visible = vis_ab;
		check_report(fx->s, seeds, N_RANDOM, &q);
		q.visible = vis_none;
		check_report(fx->s, seeds, N_RANDOM, &q);
		q.visible = NULL;
		/* [since, until): a window cutting through days */
		q.since = base + 3 * DAY + 5 * HOUR;
		q.until = base + 9 * DAY + 17 * HOUR;
		check_report(fx->s, seeds, N_RANDOM, &q);
		q.since = seeds[7].finished;
		q.until = seeds[7].finished;
		check_report(fx->s, seeds, N_RANDOM, &q);
		q.until = seeds[7].finished + 1;
		check_report(fx->s, seeds, N_RANDOM, &q);
	}

	/* per day and tenant the report matches the tenant_usage_daily view */
	for (size_t t = 0; t < JQ_ARRAY_SIZE(tenants); t++) {
		struct jq_store_report_query q = {
		    .by = JQ_STORE_REPORT_BY_DAY, .since = -1, .until = -1, .tenant = tenants[t]};
		_cleanup_free_ char *sql = jq_asprintf(
		    "SELECT count(*), sum(jobs), sum(cpu_system_usec), sum(wall_usec) FROM "
		    "tenant_usage_daily WHERE tenant = '%s'",
		    tenants[t]);
		struct expect_set *want = calloc(1, sizeof(*want));
		int64_t jobs = 0, sys = 0, wall = 0;

		assert_non_null(want);
		expected(seeds, N_RANDOM, &q, want);
		for (size_t k = 0; k < want->n; k++) {
			jobs += want->e[k].sum.jobs;
			sys += want->e[k].sum.cpu_system_usec;
			wall += want->e[k].sum.wall_usec;
		}
		_cleanup_free_ char *got = q_text(fx->raw, sql);
		_cleanup_free_ char *exp = jq_asprintf("%zu|%" PRId64 "|%" PRId64 "|%" PRId64 "\n",
						       want->n, jobs, sys, wall);
		assert_string_equal(got, exp);
		free(want);
	}

	/* bad queries, and a callback that stops the walk */
	struct jq_store_report_query bad = {
	    .by = _JQ_STORE_REPORT_BY_MAX, .since = -1, .until = -1};
	int calls = 0;
	assert_int_equal(jq_store_report(fx->s, &bad, stop_cb, &calls), -EINVAL);
	bad.by = JQ_STORE_REPORT_BY_USER;
	bad.visible = vis_x;
	assert_int_equal(jq_store_report(fx->s, &bad, stop_cb, &calls), -EINVAL);
	bad.visible = NULL;
	bad.since = -5;
	assert_int_equal(jq_store_report(fx->s, &bad, stop_cb, &calls), -EINVAL);
	bad.since = -1;
	assert_int_equal(jq_store_report(fx->s, &bad, stop_cb, &calls), -ECANCELED);
	assert_int_equal(calls, 1);
	free(seeds);
}

/* sum() never wraps: a report over rows whose sum overflows fails. */
static void test_report_overflow(void **state)
{
	struct fixture *fx = *state;
	int64_t now = jq_now_usec();
	struct seed a = {"acme",
			 "alice",
			 NULL,
			 now - 3 * SEC,
			 now - 2 * SEC,
			 now - SEC,
			 JQ_JOB_SUCCEEDED,
			 {INT64_MAX - 10, 0, 0, 0, 0, -1, -1},
			 -1,
			 0};
	struct jq_store_report_query q = {
	    .by = JQ_STORE_REPORT_BY_TENANT, .since = -1, .until = -1};
	int calls = 0;

	open_both(fx);
	seed_job(fx->s, &a);
	seed_job(fx->s, &a);
	assert_int_equal(jq_store_report(fx->s, &q, stop_cb, &calls), -EOVERFLOW);
}

static void plan_line(const char *detail, void *u)
{
	char *buf = u;

	strncat(buf, detail, 4096 - strlen(buf) - 2);
	strcat(buf, "\n");
}

/*
 * A member's report reads its tenants' rows through accounting_tenant_finished,
 * never the whole table; tenant names with '"' and '\\' are matched exactly.
 */
static void test_report_plan(void **state)
{
	struct fixture *fx = *state;
	int64_t now = jq_now_usec();
	struct seed a = {"q\"t\\x",
			 "alice",
			 NULL,
			 now - 3 * SEC,
			 now - 2 * SEC,
			 now - SEC,
			 JQ_JOB_SUCCEEDED,
			 {5, 0, 0, 0, 0, -1, -1},
			 -1,
			 0};
	struct seed b = a;
	char *vis_q[] = {"q\"t\\x", NULL}, *vis_near[] = {"q\"t\\", "q", NULL};

	open_both(fx);
	for (int by = 0; by < _JQ_STORE_REPORT_BY_MAX; by++) {
		char plan[4096] = "";

		assert_int_equal(jq_store_report_explain(fx->s, by, true, plan_line, plan), 0);
		print_message("report by %d, member's plan:\n%s", by, plan);
		assert_non_null(
		    strstr(plan, "SEARCH accounting USING INDEX accounting_tenant_finished"));
		assert_null(strstr(plan, "SCAN accounting"));
	}
	b.tenant = "q";
	seed_job(fx->s, &a);
	seed_job(fx->s, &b);
	seed_job(fx->s, &b);
	struct seed seeds[] = {a, b, b};
	for (int by = 0; by < _JQ_STORE_REPORT_BY_MAX; by++) {
		struct jq_store_report_query q = {
		    .by = by, .since = -1, .until = -1, .visible = vis_q};

		check_report(fx->s, seeds, 3, &q);
		q.visible = vis_near;
		check_report(fx->s, seeds, 3, &q);
	}
}

/* 5. The queries of docs/accounting.md, run as written on a seeded file. */

struct doc_query {
	char name[64];
	char *sql;
};

/*
 * Each query is a block that starts with a line `sqlite3 -readonly ... "`
 * and ends with a line `"`; its first line is `-- query: NAME`.
 */
static size_t doc_queries(struct doc_query *out, size_t max)
{
	const char *src = getenv("JQ_SRC_DIR");
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t len, n = 0;
	char *line, *save = NULL, *cur = NULL;

	if (!src)
		src = ".";
	path = jq_asprintf("%s/docs/accounting.md", src);
	assert_non_null(path);
	if (jq_read_file(path, 1 << 20, &text, &len) < 0)
		fail_msg("cannot read '%s' (set JQ_SRC_DIR)", path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);

		if (!cur) {
			if (!strncmp(line, "sqlite3 -readonly ", 18) && line[l - 1] == '"')
				cur = strdup("");
			assert_true(!strncmp(line, "sqlite3", 7) ? cur != NULL : true);
			continue;
		}
		if (!strcmp(line, "\"")) {
			assert_true(n < max);
			assert_int_equal(sscanf(cur, "-- query: %63s", out[n].name), 1);
			out[n].sql = cur;
			n++;
			cur = NULL;
			continue;
		}
		/* the shell passes the text between double quotes as is: none inside */
		assert_null(strchr(line, '"'));
		char *next = jq_asprintf("%s%s\n", cur, line);
		assert_non_null(next);
		free(cur);
		cur = next;
	}
	assert_null(cur);
	return n;
}

static const char *find_query(struct doc_query *q, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(q[i].name, name))
			return q[i].sql;
	fail_msg("docs/accounting.md has no query '%s'", name);
	return NULL;
}

static void test_documented_queries(void **state)
{
	struct fixture *fx = *state;
	struct doc_query q[16];
	size_t n = doc_queries(q, JQ_ARRAY_SIZE(q));
	int64_t now = jq_now_usec(), just = now - SEC, two_days = now - 2 * DAY;
	char today[16], day2[16];
	sqlite3 *ro = NULL;

	assert_int_equal(n, 5);
	open_both(fx);
	/* this month: acme 1.5 CPU hours in 2 jobs, beta 2 hours; gamma's 100 h are old */
	struct seed seeds[] = {
	    {"acme",
	     "alice",
	     "build",
	     just - 100 * SEC,
	     just - 90 * SEC,
	     just,
	     JQ_JOB_SUCCEEDED,
	     {3000 * SEC, 600 * SEC, 512 << 20, 0, 0, -1, -1},
	     -1,
	     0},
	    {"acme",
	     "bob",
	     "test",
	     just - 50 * SEC,
	     just - 20 * SEC,
	     just,
	     JQ_JOB_FAILED,
	     {1500 * SEC, 300 * SEC, INT64_C(1) << 30, 0, 0, -1, -1},
	     -1,
	     0},
	    {"beta",
	     "carol",
	     "render",
	     just - 200 * SEC,
	     just - 140 * SEC,
	     just,
	     JQ_JOB_SUCCEEDED,
	     {7000 * SEC, 200 * SEC, 256 << 20, 0, 0, -1, -1},
	     -1,
	     0},
	    {"gamma",
	     "dave",
	     "old",
	     now - 40 * DAY,
	     now - 40 * DAY,
	     now - 39 * DAY,
	     JQ_JOB_SUCCEEDED,
	     {360000 * SEC, 0, INT64_C(64) << 30, 0, 0, -1, -1},
	     -1,
	     0},
	    /* killed by the OOM killer two days ago (counted this week), and ten days ago */
	    {"acme",
	     "alice",
	     "leak",
	     two_days - 70 * SEC,
	     two_days - 40 * SEC,
	     two_days,
	     JQ_JOB_OOM,
	     {-1, -1, INT64_C(2) << 30, -1, -1, -1, -1},
	     INT64_C(2) << 30,
	     0},
	    {"beta",
	     "carol",
	     "leak",
	     now - 10 * DAY,
	     now - 10 * DAY,
	     now - 10 * DAY + SEC,
	     JQ_JOB_OOM,
	     {-1, -1, INT64_C(3) << 30, -1, -1, -1, -1},
	     INT64_C(3) << 30,
	     0},
	    /* cancelled while queued: no queue wait, no memory */
	    {"acme", "erin", NULL, just - 500 * SEC, -1, just, JQ_JOB_CANCELLED, no_acct, -1, 0},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(seeds); i++)
		seed_job(fx->s, &seeds[i]);
	day_of(just, today, sizeof(today));
	day_of(two_days, day2, sizeof(day2));

	/* as an administrator would: a read-only connection beside the daemon's */
	assert_int_equal(sqlite3_open_v2(fx->path, &ro, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);

	_cleanup_free_ char *top = q_text(ro, find_query(q, n, "top_tenants_cpu_month"));
	/* the OOM jobs (no CPU measured) count as jobs when they fall in this month */
	{
		time_t t = (time_t)(now / SEC);
		struct tm tm;
		int64_t month;

		gmtime_r(&t, &tm);
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		month = (int64_t)timegm(&tm) * SEC;
		_cleanup_free_ char *top_want =
		    jq_asprintf("beta|2.0|%d\nacme|1.5|%d\n", 1 + (now - 10 * DAY + SEC >= month),
				3 + (two_days >= month));
		assert_string_equal(top, top_want);
	}

	_cleanup_free_ char *oom = q_text(ro, find_query(q, n, "oom_last_week"));
	_cleanup_free_ char *oom_want = NULL;
	{
		char buf[64];
		time_t t = (time_t)(two_days / SEC);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		oom_want =
		    jq_asprintf("%" PRId64 "|acme|alice|leak|%s|2048|2048\n", seeds[4].id, buf);
	}
	assert_string_equal(oom, oom_want);

	/* acme: 10 s, 30 s, 30 s -> 23.3 avg; beta 60 s and the 10-day-old 0 s -> 30 */
	_cleanup_free_ char *wait = q_text(ro, find_query(q, n, "avg_queue_wait"));
	assert_string_equal(wait, "beta|2|30.0|60.0\nacme|3|23.3|30.0\n");

	_cleanup_free_ char *mem = q_text(ro, find_query(q, n, "biggest_memory_users"));
	_cleanup_free_ char *mem_want =
	    jq_asprintf("carol|3.0|%" PRId64 "|2\nalice|2.0|%" PRId64 "|2\nbob|1.0|%" PRId64 "|1\n",
			seeds[5].id, seeds[4].id, seeds[1].id);
	assert_string_equal(mem, mem_want);

	_cleanup_free_ char *days = q_text(ro, find_query(q, n, "tenant_days"));
	_cleanup_free_ char *days_want =
	    strcmp(day2, today) < 0
		? jq_asprintf("%s|acme|1|1|0.0\n%s|acme|3|0|1.5\n%s|beta|1|0|2.0\n", day2, today,
			      today)
		: NULL;
	assert_non_null(days_want);
	assert_string_equal(days, days_want);

	sqlite3_close(ro);
	for (size_t i = 0; i < n; i++)
		free(q[i].sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_row_per_job, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_sums, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_plan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_documented_queries, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
