/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of retention (issue 6): which finished jobs are deleted and
 * which stay, accounting rows outliving their jobs and expiring, ids never
 * reused, incremental vacuum giving pages back, WAL checkpoints.
 */
#include "acct-fixture.h"

#include <sys/stat.h>

/* 4. Retention deletes what it should and nothing else; accounting survives. */
static void test_retention(void **state)
{
	struct fixture *fx = *state;
	int64_t now = jq_now_usec(), cutoff = now - 10 * DAY, ids[16];
	size_t n = 99;
	struct jq_store_wal_stat w = {-2, -2};

	open_both(fx);
	struct seed old_done = {"acme",
				"alice",
				NULL,
				now - 30 * DAY,
				now - 30 * DAY + SEC,
				now - 29 * DAY,
				JQ_JOB_SUCCEEDED,
				{1, 2, 3, 4, 5, -1, -1},
				-1,
				0};
	struct seed old_never = {
	    "acme",  "bob", NULL, now - 30 * DAY, -1, now - 28 * DAY, JQ_JOB_CANCELLED,
	    no_acct, -1,    0};
	struct seed recent = {"acme",
			      "alice",
			      NULL,
			      now - 2 * DAY,
			      now - 2 * DAY + SEC,
			      now - DAY,
			      JQ_JOB_FAILED,
			      {1, 2, 3, 4, 5, -1, -1},
			      -1,
			      0};
	struct seed old_waiting = {"beta",  "carol", NULL, now - 40 * DAY, -1, -1, JQ_JOB_QUEUED,
				   no_acct, -1,	     0};
	struct seed dep_target = old_done, old_running = old_done, newest = old_done;

	old_running.state = JQ_JOB_RUNNING;
	old_running.finished = -1;
	int64_t a = seed_job(fx->s, &old_done);
	int64_t b = seed_job(fx->s, &old_never);
	int64_t c = seed_job(fx->s, &recent);
	int64_t d = seed_job(fx->s, &old_waiting);
	int64_t e = seed_job(fx->s, &dep_target);
	int64_t r = seed_job(fx->s, &old_running);
	/*
	 * a held job that runs after e (issue 11): it does not pin e, whose end
	 * has been resolved already; it would let anyone pin another tenant's job
	 */
	{
		char *argv[] = {"true", NULL};
		int64_t after[] = {e};
		struct jq_job j;
		int64_t id;

		jq_job_init(&j);
		j.tenant = "beta";
		j.user = "carol";
		j.argv = argv;
		j.cwd = "/";
		j.state = JQ_JOB_HELD;
		j.after = after;
		j.n_after = 1;
		j.submitted_at = now;
		assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	}
	/* the newest job is old and finished, but its id must not be reused */
	int64_t z = seed_job(fx->s, &newest);

	assert_int_equal(jq_store_retention_expired(fx->s, cutoff, ids, JQ_ARRAY_SIZE(ids), &n), 0);
	/* oldest first: a and e (finished -29d), then b (-28d); not c, d, r, z */
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[1], e);
	assert_int_equal(ids[2], b);
	/* bounded */
	assert_int_equal(jq_store_retention_expired(fx->s, cutoff, ids, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], a);

	/* a job that is not finished is never deleted, even if asked */
	int64_t del[] = {a, b, d, r};
	assert_int_equal(jq_store_retention_delete(fx->s, del, JQ_ARRAY_SIZE(del)), 2);
	_cleanup_free_ char *left = q_text(fx->raw, "SELECT id FROM jobs ORDER BY id");
	_cleanup_free_ char *want = jq_asprintf("%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64
						"\n%" PRId64 "\n%" PRId64 "\n",
						c, d, e, r, z - 1, z);
	assert_string_equal(left, want);
	/* every accounting row is still there, and says the job is gone */
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), 5);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM job_accounting WHERE job_kept = 0"),
			 2);
	_cleanup_free_ char *sql =
	    jq_asprintf("SELECT cpu_user_usec FROM accounting WHERE job_id = "
			"%" PRId64,
			a);
	assert_int_equal(q_int(fx->raw, sql), 1);

	/* a new job never takes an id that has an accounting row */
	{
		struct seed again = recent;
		int64_t id = seed_job(fx->s, &again);
		assert_true(id > z);
	}

	/* accounting expiry: only rows older than the cut whose job is gone */
	assert_int_equal(jq_store_accounting_expire(fx->s, now - 28 * DAY - HOUR, 100), 1);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), 5);
	assert_int_equal(jq_store_accounting_expire(fx->s, now, 100), 1);
	/* e and z are older but their jobs remain: kept */
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), 4);
	assert_int_equal(jq_store_accounting_expire(fx->s, now, 100), 0);

	/* upkeep calls work on a WAL file */
	assert_true(jq_store_vacuum(fx->s) >= 0);
	assert_int_equal(jq_store_checkpoint(fx->s, false, &w), 0);
	assert_true(w.log_frames >= 0);
	assert_int_equal(jq_store_checkpoint(fx->s, true, &w), 0);
	assert_int_equal(w.log_frames, 0);
	assert_int_equal(jq_store_begin(fx->s), 0);
	assert_int_equal(jq_store_checkpoint(fx->s, true, &w), -EBUSY);
	assert_int_equal(jq_store_rollback(fx->s), 0);
	(void)c;
}

/* Deleting many jobs frees pages that incremental vacuum gives back. */
static void test_vacuum(void **state)
{
	struct fixture *fx = *state;
	int64_t now = jq_now_usec(), ids[500];
	size_t n, total = 0;
	int64_t pages_before, freed = 0;

	open_both(fx);
	assert_int_equal(jq_store_begin(fx->s), 0);
	for (int i = 0; i < 2000; i++) {
		struct seed sd = {"acme",
				  "alice",
				  "a fairly long job name to take some room",
				  now - 30 * DAY,
				  now - 30 * DAY,
				  now - 29 * DAY,
				  JQ_JOB_SUCCEEDED,
				  {1, 2, 3, 4, 5, -1, -1},
				  -1,
				  0};
		seed_job(fx->s, &sd);
	}
	assert_int_equal(jq_store_commit(fx->s), 0);
	pages_before = q_int(fx->raw, "PRAGMA page_count");
	do {
		assert_int_equal(jq_store_retention_expired(fx->s, now, ids, 500, &n), 0);
		assert_int_equal(jq_store_retention_delete(fx->s, ids, n), (int)n);
		total += n;
	} while (n == 500);
	assert_int_equal(total, 1999);
	for (int k; (k = jq_store_vacuum(fx->s)) > 0;)
		freed += k;
	assert_true(freed > 0);
	assert_int_equal(q_int(fx->raw, "PRAGMA freelist_count"), 0);
	assert_true(q_int(fx->raw, "PRAGMA page_count") < pages_before);
	assert_int_equal(q_int(fx->raw, "SELECT count(*) FROM accounting"), 2000);
}

/*
 * The WAL stays bounded: a reader holding an old snapshot makes it grow
 * and refuses TRUNCATE (-EBUSY, without waiting); once it is gone the
 * checkpoint resets the file to 0 bytes.
 */
static void test_wal_bounded(void **state)
{
	struct fixture *fx = *state;
	int64_t now = jq_now_usec();
	struct jq_store_wal_stat w = {0};
	_cleanup_free_ char *wal = NULL;
	struct stat st;

	open_both(fx);
	wal = jq_asprintf("%s-wal", fx->path);
	assert_non_null(wal);
	q_exec(fx->raw, "BEGIN");
	assert_true(q_int(fx->raw, "SELECT count(*) FROM jobs") >= 0);
	for (int i = 0; i < 1500; i++) {
		struct seed sd = {"acme",
				  "alice",
				  NULL,
				  now - 3 * SEC,
				  now - 2 * SEC,
				  now - SEC,
				  JQ_JOB_SUCCEEDED,
				  {1, 2, 3, 4, 5, -1, -1},
				  -1,
				  0};
		seed_job(fx->s, &sd);
	}
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size > 1 << 20);
	assert_int_equal(jq_store_checkpoint(fx->s, false, &w), 0);
	assert_true(w.log_frames > 0);
	assert_true(w.checkpointed_frames < w.log_frames);
	assert_int_equal(jq_store_checkpoint(fx->s, true, &w), -EBUSY);
	q_exec(fx->raw, "COMMIT");
	assert_int_equal(jq_store_checkpoint(fx->s, true, &w), 0);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_size, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vacuum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wal_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
