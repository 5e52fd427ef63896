/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of storage/. Each test runs twice: on ":memory:" and on a file
 * in a fresh mkdtemp() directory (the file-only ones are in test-storage-file.c).
 */
#include "storage-fixture.h"

static void test_roundtrip(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = {"sh",
			"-c",
			"echo 'single quoted' \"double\" $HOME `id`; exit 3",
			"with space",
			"new\nline\ttab",
			"",
			"\xc3\xbc\xc3\xb1\xc3\xae \xe2\x82\xac \xf0\x9f\x90\xa7",
			"\xff\xfe not utf-8",
			NULL};
	char *env[] = {"PATH=/usr/bin:/bin", "EMPTY=", "MULTI=a\nb", "Q='\"", NULL};
	int64_t gids[] = {10, 0, 4294967294, INT64_MAX, -2};
	int64_t after[3];
	struct jq_job j = job_template("acme");
	_cleanup_(jq_job_release) struct jq_job got;
	int64_t id;

	after[0] = insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	after[1] = insert_job(fx->s, "other", 0, JQ_JOB_QUEUED);
	after[2] = after[0]; /* a repeated dependency is one dependency */

	j.user = (char *)"b\xc3\xb6"
			 "b";
	j.uid = 4242;
	j.gid = 77;
	j.gids = gids;
	j.n_gids = JQ_ARRAY_SIZE(gids);
	j.name = (char *)"build 'all' \"now\"";
	j.argv = argv;
	j.env = env;
	j.cwd = (char *)"/home/bob/my project";
	j.priority = -17;
	j.after = after;
	j.n_after = JQ_ARRAY_SIZE(after);
	j.requested = (struct jq_limits){1500, 8LL << 30, JQ_LIMIT_UNSET, 3600000000LL};
	j.state = JQ_JOB_HELD;
	j.reason = (char *)"held";
	j.submitted_at = 1764425317123456;

	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	assert_true(id > after[1]);

	assert_int_equal(jq_store_job_get(fx->s, id, &got), 0);
	assert_int_equal(got.id, id);
	assert_string_equal(got.tenant, "acme");
	assert_string_equal(got.user, j.user);
	assert_int_equal(got.uid, 4242);
	assert_int_equal(got.gid, 77);
	assert_int_equal(got.n_gids, JQ_ARRAY_SIZE(gids));
	assert_memory_equal(got.gids, gids, sizeof(gids));
	assert_string_equal(got.name, j.name);
	assert_strv_equal(got.argv, argv);
	assert_strv_equal(got.env, env);
	assert_string_equal(got.cwd, j.cwd);
	assert_int_equal(got.priority, -17);
	assert_int_equal(got.n_after, 2);
	/* stored by id, duplicates folded */
	assert_int_equal(got.after[0], after[0]);
	assert_int_equal(got.after[1], after[1]);
	assert_limits_equal(&got.requested, &j.requested);
	struct jq_limits unset = jq_limits_unset();
	assert_limits_equal(&got.effective, &unset);
	assert_int_equal(got.state, JQ_JOB_HELD);
	assert_string_equal(got.reason, "held");
	assert_int_equal(got.submitted_at, 1764425317123456);
	assert_int_equal(got.started_at, -1);
	assert_int_equal(got.finished_at, -1);
	assert_int_equal(got.exit_code, -1);
	assert_int_equal(got.signal, -1);
	assert_int_equal(got.helper_pid, -1);
	assert_int_equal(got.helper_start_time, -1);
	assert_false(got.has_accounting);
}

static void test_roundtrip_empty_fields(void **state)
{
	struct fixture *fx = *state;
	char *no_env[] = {NULL};
	struct jq_job j = job_template("acme");
	_cleanup_(jq_job_release) struct jq_job a;
	_cleanup_(jq_job_release) struct jq_job b;
	int64_t id1, id2, before;

	/* env NULL, no gids, no name, no after, every limit unset, submitted_at now */
	j.submitted_at = -1;
	before = 1700000000000000;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id1), 0);
	j.env = no_env;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id2), 0);

	assert_int_equal(jq_store_job_get(fx->s, id1, &a), 0);
	assert_null(a.env);
	assert_null(a.gids);
	assert_int_equal(a.n_gids, 0);
	assert_null(a.name);
	assert_null(a.after);
	assert_int_equal(a.n_after, 0);
	assert_null(a.reason);
	assert_true(a.submitted_at > before);
	assert_int_equal(a.requested.cpus_milli, JQ_LIMIT_UNSET);
	assert_int_equal(a.requested.memory_bytes, JQ_LIMIT_UNSET);
	assert_int_equal(a.requested.pids, JQ_LIMIT_UNSET);
	assert_int_equal(a.requested.timeout_usec, JQ_LIMIT_UNSET);
	assert_strv_equal(a.argv, default_argv);

	/* an empty environment stays an empty vector, not "none" */
	assert_int_equal(jq_store_job_get(fx->s, id2, &b), 0);
	assert_non_null(b.env);
	assert_null(b.env[0]);
}

static void test_insert_invalid(void **state)
{
	struct fixture *fx = *state;
	char *empty[] = {NULL};
	int64_t missing[] = {999999};
	struct jq_job j;
	_cleanup_(jq_job_release) struct jq_job got;
	int64_t id = 12345;

	j = job_template("acme");
	j.argv = NULL;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EINVAL);
	j.argv = empty;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EINVAL);

	j = job_template("acme");
	j.tenant = NULL;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EINVAL);

	j = job_template("acme");
	j.cwd = NULL;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EINVAL);

	for (int st = JQ_JOB_STARTING; st < _JQ_JOB_STATE_MAX; st++) {
		j = job_template("acme");
		j.state = st;
		assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EINVAL);
	}

	j = job_template("acme");
	j.requested.memory_bytes = -5;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EINVAL);

	/* a dependency on a job that does not exist: the job row must not stay */
	j = job_template("acme");
	j.after = missing;
	j.n_after = 1;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -ENOENT);
	assert_int_equal(id, 12345);
	assert_int_equal(count(fx->s, NULL, JQ_JOB_QUEUED), 0);

	assert_int_equal(jq_store_job_get(fx->s, 1, &got), -ENOENT);
	assert_int_equal(jq_store_job_get(fx->s, -1, &got), -ENOENT);
}

struct collected {
	int64_t ids[64];
	size_t n;
	int stop_after; /* return -ECANCELED after this many, 0 = never */
	bool check_vectors;
};

static int collect_cb(const struct jq_job *j, void *userdata)
{
	struct collected *c = userdata;

	assert_true(c->n < JQ_ARRAY_SIZE(c->ids));
	c->ids[c->n++] = j->id;
	if (c->check_vectors) {
		assert_non_null(j->argv);
		assert_non_null(j->argv[0]);
		assert_non_null(j->tenant);
		assert_non_null(j->cwd);
	}
	if (c->stop_after && (int)c->n == c->stop_after)
		return -ECANCELED;
	return 0;
}

static struct collected list(struct jq_store *s, const char *tenant, int st, int64_t uid,
			     int64_t limit)
{
	struct jq_store_filter f = {.tenant = tenant, .state = st, .uid = uid, .limit = limit};
	struct collected c = {.check_vectors = true};

	assert_int_equal(jq_store_job_list(s, &f, collect_cb, &c), 0);
	return c;
}

#define assert_ids(c, ...)                                                                         \
	do {                                                                                       \
		const int64_t _want[] = {__VA_ARGS__};                                             \
		assert_int_equal((c).n, JQ_ARRAY_SIZE(_want));                                     \
		for (size_t _i = 0; _i < JQ_ARRAY_SIZE(_want); _i++)                               \
			assert_int_equal((c).ids[_i], _want[_i]);                                  \
	} while (0)

static void test_list_filters(void **state)
{
	struct fixture *fx = *state;
	struct jq_job j;
	int64_t a1, a2, b1, a3, b2, id;
	struct collected c;

	a1 = insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	b1 = insert_job(fx->s, "b", 0, JQ_JOB_HELD);
	a2 = insert_job(fx->s, "a", 9, JQ_JOB_HELD);
	j = job_template("a");
	j.uid = 1001;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &a3), 0);
	b2 = insert_job(fx->s, "b", 0, JQ_JOB_QUEUED);

	c = list(fx->s, NULL, -1, -1, -1);
	assert_ids(c, a1, b1, a2, a3, b2);
	c = list(fx->s, "a", -1, -1, -1);
	assert_ids(c, a1, a2, a3);
	c = list(fx->s, NULL, JQ_JOB_HELD, -1, -1);
	assert_ids(c, b1, a2);
	c = list(fx->s, "b", JQ_JOB_QUEUED, -1, -1);
	assert_ids(c, b2);
	c = list(fx->s, "a", JQ_JOB_QUEUED, -1, -1);
	assert_ids(c, a1, a3);
	c = list(fx->s, NULL, -1, 1001, -1);
	assert_ids(c, a3);
	c = list(fx->s, NULL, JQ_JOB_QUEUED, 1000, -1);
	assert_ids(c, a1, b2);
	c = list(fx->s, "a", JQ_JOB_QUEUED, 1001, -1);
	assert_ids(c, a3);
	c = list(fx->s, NULL, -1, -1, 2);
	assert_ids(c, a1, b1);
	c = list(fx->s, NULL, JQ_JOB_HELD, -1, 1);
	assert_ids(c, b1);
	c = list(fx->s, NULL, -1, -1, 0);
	assert_int_equal(c.n, 0);
	c = list(fx->s, "nobody", -1, -1, -1);
	assert_int_equal(c.n, 0);
	c = list(fx->s, NULL, JQ_JOB_RUNNING, -1, -1);
	assert_int_equal(c.n, 0);

	/* NULL filter: everything */
	c = (struct collected){0};
	assert_int_equal(jq_store_job_list(fx->s, NULL, collect_cb, &c), 0);
	assert_ids(c, a1, b1, a2, a3, b2);

	/* a negative return from cb stops the walk and is returned */
	c = (struct collected){.stop_after = 2};
	assert_int_equal(jq_store_job_list(fx->s, NULL, collect_cb, &c), -ECANCELED);
	assert_ids(c, a1, b1);
	/* and the statement was reset: a new walk starts from the beginning */
	c = list(fx->s, NULL, -1, -1, -1);
	assert_ids(c, a1, b1, a2, a3, b2);

	struct jq_store_filter bad = {.state = _JQ_JOB_STATE_MAX, .uid = -1, .limit = -1};
	assert_int_equal(jq_store_job_list(fx->s, &bad, collect_cb, &c), -EINVAL);

	/* a new job appears at the end */
	id = insert_job(fx->s, "a", 100, JQ_JOB_QUEUED);
	c = list(fx->s, "a", JQ_JOB_QUEUED, -1, -1);
	assert_ids(c, a1, a3, id);
}

struct acct_seen {
	int64_t id;
	int rows;
	struct jq_job copy_state;
	struct jq_accounting acct;
	bool has;
};

static int acct_cb(const struct jq_job *j, void *userdata)
{
	struct acct_seen *a = userdata;

	if (j->id != a->id)
		return 0;
	a->rows++;
	a->has = j->has_accounting;
	a->acct = j->acct;
	assert_int_equal(j->n_after, 1);
	/* issue 11: the environment is dropped once the job has started */
	assert_null(j->env);
	return 0;
}

static void test_count(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(count(fx->s, NULL, JQ_JOB_QUEUED), 0);
	insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	insert_job(fx->s, "a", 0, JQ_JOB_HELD);
	insert_job(fx->s, "b", 0, JQ_JOB_QUEUED);
	assert_int_equal(count(fx->s, NULL, JQ_JOB_QUEUED), 3);
	assert_int_equal(count(fx->s, "a", JQ_JOB_QUEUED), 2);
	assert_int_equal(count(fx->s, "a", JQ_JOB_HELD), 1);
	assert_int_equal(count(fx->s, "b", JQ_JOB_HELD), 0);
	assert_int_equal(count(fx->s, "c", JQ_JOB_QUEUED), 0);
	assert_int_equal(count(fx->s, NULL, JQ_JOB_RUNNING), 0);

	int64_t n = 77;
	assert_int_equal(jq_store_job_count(fx->s, NULL, _JQ_JOB_STATE_MAX, &n), -EINVAL);
	assert_int_equal(n, 77);
}

static int64_t peek(struct jq_store *s, const char *tenant)
{
	_cleanup_(jq_job_release) struct jq_job j;
	int r = jq_store_job_peek_next(s, tenant, &j);

	if (r == -ENOENT)
		return -1;
	assert_int_equal(r, 0);
	assert_int_equal(j.state, JQ_JOB_QUEUED);
	assert_string_equal(j.tenant, tenant);
	return j.id;
}

static void test_peek_next_order(void **state)
{
	struct fixture *fx = *state;
	int64_t p0, p5a, p5b, pm1, held, b0, b9;

	assert_int_equal(peek(fx->s, "a"), -1);

	p0 = insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	p5a = insert_job(fx->s, "a", 5, JQ_JOB_QUEUED);
	b0 = insert_job(fx->s, "b", 0, JQ_JOB_QUEUED);
	pm1 = insert_job(fx->s, "a", -1, JQ_JOB_QUEUED);
	held = insert_job(fx->s, "a", 1000, JQ_JOB_HELD);
	p5b = insert_job(fx->s, "a", 5, JQ_JOB_QUEUED);
	b9 = insert_job(fx->s, "b", 9, JQ_JOB_QUEUED);

	/* priority descending, then id ascending; held jobs and other tenants never */
	const int64_t order[] = {p5a, p5b, p0, pm1};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(order); i++) {
		assert_int_equal(peek(fx->s, "a"), order[i]);
		/* peeking does not change the job */
		assert_int_equal(peek(fx->s, "a"), order[i]);
		assert_int_equal(jq_store_job_mark_starting(fx->s, order[i], NULL), 0);
	}
	assert_int_equal(peek(fx->s, "a"), -1);

	assert_int_equal(peek(fx->s, "b"), b9);
	assert_int_equal(jq_store_job_set_state(fx->s, b9, JQ_JOB_HELD, "held by user"), 0);
	assert_int_equal(peek(fx->s, "b"), b0);

	/* released, the held job comes first by priority */
	assert_int_equal(jq_store_job_set_state(fx->s, held, JQ_JOB_QUEUED, NULL), 0);
	assert_int_equal(peek(fx->s, "a"), held);

	assert_int_equal(peek(fx->s, "c"), -1);
	struct jq_job j;
	assert_int_equal(jq_store_job_peek_next(fx->s, NULL, &j), -EINVAL);
}

/* issue 11: who held a job is stored, and forgotten when it moves on. */
static void test_hold_admin(void **state)
{
	struct fixture *fx = *state;
	int64_t a = insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	int64_t b = insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	int64_t h = insert_job(fx->s, "a", 0, JQ_JOB_HELD);
	struct jq_job j;

	assert_int_equal(jq_store_job_hold(fx->s, a, "carol"), 0);
	assert_int_equal(jq_store_job_hold(fx->s, b, NULL), 0);
	assert_int_equal(jq_store_job_get(fx->s, a, &j), 0);
	assert_int_equal(j.state, JQ_JOB_HELD);
	assert_string_equal(j.hold_admin, "carol");
	assert_null(j.reason);
	jq_job_release(&j);
	assert_int_equal(jq_store_job_get(fx->s, b, &j), 0);
	assert_int_equal(j.state, JQ_JOB_HELD);
	assert_null(j.hold_admin);
	jq_job_release(&j);
	/* submit --hold: the owner's */
	assert_int_equal(jq_store_job_get(fx->s, h, &j), 0);
	assert_null(j.hold_admin);
	jq_job_release(&j);

	/* held already: by an admin, or by its owner again */
	assert_int_equal(jq_store_job_hold(fx->s, a, "dave"), -EINVAL);
	assert_int_equal(jq_store_job_hold(fx->s, b, NULL), -EINVAL);
	assert_int_equal(jq_store_job_hold(fx->s, 9999, "carol"), -ENOENT);
	/* the owner's hold becomes an admin's */
	assert_int_equal(jq_store_job_hold(fx->s, h, "dave"), 0);
	assert_int_equal(jq_store_job_get(fx->s, h, &j), 0);
	assert_int_equal(j.state, JQ_JOB_HELD);
	assert_string_equal(j.hold_admin, "dave");
	jq_job_release(&j);
	/* only a queued or held job */
	assert_int_equal(jq_store_job_mark_starting(fx->s, b, NULL), -EINVAL);
	assert_int_equal(jq_store_job_set_state(fx->s, b, JQ_JOB_QUEUED, NULL), 0);
	assert_int_equal(jq_store_job_mark_starting(fx->s, b, NULL), 0);
	assert_int_equal(jq_store_job_hold(fx->s, b, "carol"), -EINVAL);

	/* released, then held by its owner: no admin any more */
	assert_int_equal(jq_store_job_set_state(fx->s, a, JQ_JOB_QUEUED, NULL), 0);
	assert_int_equal(jq_store_job_get(fx->s, a, &j), 0);
	assert_null(j.hold_admin);
	jq_job_release(&j);
	assert_int_equal(jq_store_job_hold(fx->s, a, "carol"), 0);
	assert_int_equal(jq_store_job_set_state(fx->s, a, JQ_JOB_CANCELLED, "cancelled"), 0);
	assert_int_equal(jq_store_job_get(fx->s, a, &j), 0);
	assert_null(j.hold_admin);
	jq_job_release(&j);
}

/* Written out here, not taken from jq_job_transition_valid(), so the two check each other. */
static const bool legal[_JQ_JOB_STATE_MAX][_JQ_JOB_STATE_MAX] = {
    [JQ_JOB_QUEUED] = {[JQ_JOB_HELD] = true, [JQ_JOB_STARTING] = true, [JQ_JOB_CANCELLED] = true},
    [JQ_JOB_HELD] = {[JQ_JOB_QUEUED] = true, [JQ_JOB_CANCELLED] = true},
    [JQ_JOB_STARTING] = {[JQ_JOB_QUEUED] = true,
			 [JQ_JOB_RUNNING] = true,
			 [JQ_JOB_FAILED_TO_START] = true,
			 [JQ_JOB_CANCELLED] = true,
			 [JQ_JOB_LOST] = true},
    [JQ_JOB_RUNNING] = {[JQ_JOB_SUCCEEDED] = true,
			[JQ_JOB_FAILED] = true,
			[JQ_JOB_TIMEOUT] = true,
			[JQ_JOB_OOM] = true,
			[JQ_JOB_CANCELLED] = true,
			[JQ_JOB_FAILED_TO_START] = true,
			[JQ_JOB_LOST] = true},
};

static void test_transitions(void **state)
{
	struct fixture *fx = *state;
	int legal_seen = 0, illegal_seen = 0;

	for (int from = 0; from < _JQ_JOB_STATE_MAX; from++)
		for (int to = 0; to < _JQ_JOB_STATE_MAX; to++) {
			/* through the dedicated function, then through set_state */
			for (int via_set_state = 0; via_set_state < 2; via_set_state++) {
				int64_t id = job_in_state(fx->s, from);
				_cleanup_(jq_job_release) struct jq_job before;
				_cleanup_(jq_job_release) struct jq_job after;
				int r;

				assert_int_equal(jq_store_job_get(fx->s, id, &before), 0);
				r = via_set_state ? jq_store_job_set_state(fx->s, id, to, "x")
						  : move_to(fx->s, id, to);
				assert_int_equal(jq_store_job_get(fx->s, id, &after), 0);
				assert_int_equal(jq_job_transition_valid(from, to),
						 legal[from][to]);
				if (legal[from][to]) {
					assert_int_equal(r, 0);
					assert_int_equal(after.state, to);
					if (jq_job_state_is_final(to))
						assert_true(after.finished_at >= 0);
					legal_seen++;
				} else {
					assert_int_equal(r, -EINVAL);
					assert_int_equal(after.state, from);
					assert_int_equal(after.finished_at, before.finished_at);
					assert_int_equal(after.has_accounting,
							 before.has_accounting);
					assert_int_equal(after.helper_pid, before.helper_pid);
					illegal_seen++;
				}
			}
		}
	assert_int_equal(legal_seen, 2 * 17);
	assert_int_equal(illegal_seen, 2 * (121 - 17));

	/* unknown job, unknown state */
	assert_int_equal(jq_store_job_set_state(fx->s, 424242, JQ_JOB_HELD, NULL), -ENOENT);
	assert_int_equal(finish(fx->s, 424242, JQ_JOB_LOST), -ENOENT);
	int64_t id = insert_job(fx->s, "t", 0, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_job_set_state(fx->s, id, _JQ_JOB_STATE_MAX, NULL), -EINVAL);
	assert_int_equal(jq_store_job_set_state(fx->s, id, -1, NULL), -EINVAL);
	/* finish takes end states only */
	struct jq_store_finish f = {.state = JQ_JOB_HELD, .exit_code = -1, .signal = -1};
	assert_int_equal(jq_store_job_finish(fx->s, id, &f), -EINVAL);
	assert_int_equal(state_of(fx->s, id), JQ_JOB_QUEUED);
}

static void test_start_run_finish(void **state)
{
	struct fixture *fx = *state;
	struct jq_limits eff = {1000, 512LL << 20, 64, 30000000};
	struct jq_job j = job_template("acme");
	char *env[] = {"K=V", NULL};
	int64_t dep, id, after[1];
	struct acct_seen seen = {0};

	dep = insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	after[0] = dep;
	j.env = env;
	j.after = after;
	j.n_after = 1;
	j.reason = (char *)"no free slot";
	j.submitted_at = 1700000000000000;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);

	assert_int_equal(jq_store_job_mark_starting(fx->s, id, &eff), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, id, &got), 0);
		assert_int_equal(got.state, JQ_JOB_STARTING);
		assert_limits_equal(&got.effective, &eff);
		/* the waiting reason does not outlive the wait */
		assert_null(got.reason);
	}

	assert_int_equal(jq_store_job_mark_running(fx->s, id, 1700000002500000, 31337, 123456), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, id, &got), 0);
		assert_int_equal(got.state, JQ_JOB_RUNNING);
		assert_int_equal(got.started_at, 1700000002500000);
		assert_int_equal(got.helper_pid, 31337);
		assert_int_equal(got.helper_start_time, 123456);
		assert_false(got.has_accounting);
	}

	struct jq_accounting acct = {
	    .cpu_user_usec = 1234567,
	    .cpu_system_usec = 7654,
	    .memory_peak_bytes = 99 << 20,
	    .io_read_bytes = -1,
	    .io_write_bytes = 4096,
	    .wall_usec = 10000000,
	    .queue_wait_usec = -1,
	};
	struct jq_store_finish f = {
	    .state = JQ_JOB_FAILED,
	    .reason = "exit code 3",
	    .exit_code = 3,
	    .signal = -1,
	    .started_at = -1,
	    .finished_at = 1700000012500000,
	    .acct = &acct,
	};
	assert_int_equal(jq_store_job_finish(fx->s, id, &f), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, id, &got), 0);
		assert_int_equal(got.state, JQ_JOB_FAILED);
		assert_string_equal(got.reason, "exit code 3");
		assert_int_equal(got.exit_code, 3);
		assert_int_equal(got.signal, -1);
		assert_int_equal(got.started_at, 1700000002500000);
		assert_int_equal(got.finished_at, 1700000012500000);
		assert_int_equal(got.helper_pid, -1);
		assert_int_equal(got.helper_start_time, -1);
		assert_true(got.has_accounting);
		assert_int_equal(got.acct.cpu_user_usec, 1234567);
		assert_int_equal(got.acct.cpu_system_usec, 7654);
		assert_int_equal(got.acct.memory_peak_bytes, 99 << 20);
		assert_int_equal(got.acct.io_read_bytes, -1);
		assert_int_equal(got.acct.io_write_bytes, 4096);
		assert_int_equal(got.acct.wall_usec, 10000000);
		/* computed by the store: started_at - submitted_at */
		assert_int_equal(got.acct.queue_wait_usec, 2500000);
	}

	/* a second finish: -EINVAL, and still exactly one accounting row, unchanged */
	acct.cpu_user_usec = 1;
	f.state = JQ_JOB_SUCCEEDED;
	assert_int_equal(jq_store_job_finish(fx->s, id, &f), -EINVAL);
	f.state = JQ_JOB_FAILED;
	assert_int_equal(jq_store_job_finish(fx->s, id, &f), -EINVAL);
	seen.id = id;
	assert_int_equal(jq_store_job_list(fx->s, NULL, acct_cb, &seen), 0);
	assert_int_equal(seen.rows, 1);
	assert_true(seen.has);
	assert_int_equal(seen.acct.cpu_user_usec, 1234567);
	assert_int_equal(state_of(fx->s, id), JQ_JOB_FAILED);

	/*
	 * a job that never ran: its accounting row has nothing measured (issue 6:
	 * every finished job has one), finished_at now, started_at kept unset
	 */
	int64_t q = insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	struct jq_store_finish c = {.state = JQ_JOB_CANCELLED,
				    .reason = "cancelled by alice",
				    .exit_code = -1,
				    .signal = -1,
				    .started_at = -1,
				    .finished_at = -1};
	assert_int_equal(jq_store_job_finish(fx->s, q, &c), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, q, &got), 0);
		assert_int_equal(got.state, JQ_JOB_CANCELLED);
		assert_true(got.has_accounting);
		assert_int_equal(got.acct.cpu_user_usec, -1);
		assert_int_equal(got.acct.wall_usec, -1);
		assert_int_equal(got.acct.queue_wait_usec, -1);
		assert_int_equal(got.started_at, -1);
		assert_true(got.finished_at > 1700000000000000);
	}

	/* an explicit queue wait and signal are stored as given */
	int64_t k = job_in_state(fx->s, JQ_JOB_RUNNING);
	struct jq_accounting a2 = some_acct;
	a2.queue_wait_usec = 42;
	struct jq_store_finish t = {.state = JQ_JOB_TIMEOUT,
				    .exit_code = -1,
				    .signal = 9,
				    .started_at = 1700000000300000,
				    .finished_at = 1700000000900000,
				    .acct = &a2};
	assert_int_equal(jq_store_job_finish(fx->s, k, &t), 0);
	{
		_cleanup_(jq_job_release) struct jq_job got;

		assert_int_equal(jq_store_job_get(fx->s, k, &got), 0);
		assert_int_equal(got.signal, 9);
		assert_int_equal(got.exit_code, -1);
		assert_int_equal(got.started_at, 1700000000300000);
		assert_int_equal(got.acct.queue_wait_usec, 42);
		assert_null(got.reason);
	}
}

static void test_batch(void **state)
{
	struct fixture *fx = *state;
	int64_t missing[] = {888888};
	struct jq_job bad = job_template("a");
	int64_t id, kept;

	bad.after = missing;
	bad.n_after = 1;

	assert_false(jq_store_in_transaction(fx->s));
	assert_int_equal(jq_store_commit(fx->s), -EINVAL);

	/* committed batch */
	assert_int_equal(jq_store_begin(fx->s), 0);
	assert_true(jq_store_in_transaction(fx->s));
	assert_int_equal(jq_store_begin(fx->s), -EINVAL);
	for (int i = 0; i < 3; i++)
		insert_job(fx->s, "a", i, JQ_JOB_QUEUED);
	assert_int_equal(count(fx->s, "a", JQ_JOB_QUEUED), 3);
	assert_int_equal(jq_store_commit(fx->s), 0);
	assert_false(jq_store_in_transaction(fx->s));
	assert_int_equal(count(fx->s, "a", JQ_JOB_QUEUED), 3);

	/* rolled back batch: inserts and state changes vanish together */
	assert_int_equal(jq_store_begin(fx->s), 0);
	id = insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_job_set_state(fx->s, 1, JQ_JOB_HELD, NULL), 0);
	assert_int_equal(count(fx->s, "a", JQ_JOB_QUEUED), 3);
	assert_int_equal(jq_store_rollback(fx->s), 0);
	assert_false(jq_store_in_transaction(fx->s));
	assert_int_equal(count(fx->s, "a", JQ_JOB_QUEUED), 3);
	assert_int_equal(count(fx->s, "a", JQ_JOB_HELD), 0);
	struct jq_job gone;
	assert_int_equal(jq_store_job_get(fx->s, id, &gone), -ENOENT);
	/* rollback without a transaction is harmless */
	assert_int_equal(jq_store_rollback(fx->s), 0);

	/* a failing call inside the batch undoes its own writes only */
	assert_int_equal(jq_store_begin(fx->s), 0);
	kept = insert_job(fx->s, "b", 0, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_job_insert(fx->s, &bad, &id), -ENOENT);
	assert_int_equal(jq_store_job_mark_running(fx->s, kept, -1, 1, 1), -EINVAL);
	assert_true(jq_store_in_transaction(fx->s));
	assert_int_equal(jq_store_job_set_state(fx->s, kept, JQ_JOB_HELD, "later"), 0);
	assert_int_equal(jq_store_commit(fx->s), 0);
	assert_int_equal(count(fx->s, "b", JQ_JOB_QUEUED), 0);
	assert_int_equal(count(fx->s, "b", JQ_JOB_HELD), 1);
	assert_int_equal(count(fx->s, "a", JQ_JOB_QUEUED), 3);
	struct collected c = list(fx->s, NULL, -1, -1, -1);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.ids[3], kept);

	/* finish inside a batch: the end state and its accounting commit together */
	assert_int_equal(jq_store_begin(fx->s), 0);
	int64_t r = job_in_state(fx->s, JQ_JOB_RUNNING);
	assert_int_equal(finish(fx->s, r, JQ_JOB_SUCCEEDED), 0);
	assert_int_equal(finish(fx->s, r, JQ_JOB_SUCCEEDED), -EINVAL);
	assert_int_equal(jq_store_rollback(fx->s), 0);
	assert_int_equal(jq_store_job_get(fx->s, r, &gone), -ENOENT);
}

struct writer {
	struct jq_store *s;
	int seen;
};

/* A callback that writes, as a daemon reconciling its jobs at start would. */
static int writer_cb(const struct jq_job *j, void *userdata)
{
	struct writer *w = userdata;

	w->seen++;
	/* illegal: fails and rolls back its savepoint */
	assert_int_equal(jq_store_job_mark_running(w->s, j->id, -1, 1, 1), -EINVAL);
	assert_int_equal(jq_store_job_set_state(w->s, j->id, JQ_JOB_HELD, "held"), 0);
	/* a second walk from inside a walk is refused */
	assert_int_equal(jq_store_job_list(w->s, NULL, collect_cb, NULL), -EBUSY);
	return 0;
}

static void test_list_callback_writes(void **state)
{
	struct fixture *fx = *state;
	struct jq_store_filter f = {.tenant = "a", .state = JQ_JOB_QUEUED, .uid = -1, .limit = -1};
	struct writer w = {.s = fx->s};

	for (int i = 0; i < 5; i++)
		insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_job_list(fx->s, &f, writer_cb, &w), 0);
	assert_int_equal(w.seen, 5);
	assert_int_equal(count(fx->s, "a", JQ_JOB_HELD), 5);
}

struct plan {
	char claim[4096];
	char list_state[4096];
	char count_ts[4096];
};

static void plan_cb(const char *stmt, const char *detail, void *u)
{
	struct plan *p = u;
	char *dst = NULL;

	if (!strcmp(stmt, "claim"))
		dst = p->claim;
	else if (!strcmp(stmt, "list_by_state"))
		dst = p->list_state;
	else if (!strcmp(stmt, "count_by_tenant_state"))
		dst = p->count_ts;
	if (dst) {
		strncat(dst, detail, 4096 - strlen(dst) - 2);
		strcat(dst, "\n");
	}
}

static void test_explain(void **state)
{
	struct fixture *fx = *state;
	struct plan p;

	memset(&p, 0, sizeof(p));

	assert_int_equal(jq_store_explain(fx->s, plan_cb, &p), 0);
	print_message("claim plan:\n%slist_by_state plan:\n%s", p.claim, p.list_state);
	assert_non_null(strstr(p.claim, "jobs_queued"));
	/* the index gives priority order: no sort step */
	assert_null(strstr(p.claim, "TEMP B-TREE"));
	assert_non_null(strstr(p.list_state, "jobs_state"));
	assert_null(strstr(p.list_state, "TEMP B-TREE"));
	assert_non_null(strstr(p.count_ts, "jobs_tenant_state"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_roundtrip),      BOTH(test_roundtrip_empty_fields),
	    BOTH(test_insert_invalid), BOTH(test_list_filters),
	    BOTH(test_count),	       BOTH(test_peek_next_order),
	    BOTH(test_transitions),    BOTH(test_start_run_finish),
	    BOTH(test_batch),	       BOTH(test_list_callback_writes),
	    BOTH(test_explain),	       BOTH(test_hold_admin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
