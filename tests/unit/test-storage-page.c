/* SPDX-License-Identifier: MIT */
/*
 * Hostile queries (issue 11): one page of `jobq list` filters what the
 * asker may see in SQL, newest first, bounded; its rows carry no env and
 * a bounded argv; `--after` reads a job's owner only; positions come from
 * one walk of a tenant's queue; the page statement uses its indexes.
 */
#include "storage-fixture.h"

struct page {
	int64_t ids[64];
	size_t n;
	bool saw_env, argv_cut[64];
	char first_arg[64][512];
	size_t argc[64];
	int64_t pending[64];
};

static int page_cb(struct jq_store_page_row *row, void *userdata)
{
	struct page *p = userdata;

	assert_true(p->n < JQ_ARRAY_SIZE(p->ids));
	p->ids[p->n] = row->job.id;
	p->saw_env |= row->job.env != NULL || row->job.cwd != NULL;
	p->argv_cut[p->n] = row->argv_cut;
	p->argc[p->n] = jq_strv_length(row->job.argv);
	snprintf(p->first_arg[p->n], sizeof(p->first_arg[0]), "%s", row->job.argv[0]);
	p->pending[p->n] = row->pending_dep;
	p->n++;
	return 0;
}

static int64_t insert_as(struct jq_store *s, const char *tenant, int64_t uid,
			 enum jq_job_state state)
{
	struct jq_job j = job_template(tenant);
	int64_t id = -1;

	j.uid = uid;
	j.state = state;
	assert_int_equal(jq_store_job_insert(s, &j, &id), 0);
	return id;
}

static void page(struct jq_store *s, struct jq_store_page_query q, struct page *ret)
{
	memset(ret, 0, sizeof(*ret));
	assert_int_equal(jq_store_job_page(s, &q, page_cb, ret), 0);
}

static void test_page_visibility(void **state)
{
	struct fixture *fx = *state;
	char *none[] = {NULL}, *admin_b[] = {"b", NULL};
	struct page p;

	int64_t a1 = insert_as(fx->s, "a", 1000, JQ_JOB_QUEUED);
	int64_t b1 = insert_as(fx->s, "b", 2000, JQ_JOB_QUEUED);
	int64_t a2 = insert_as(fx->s, "a", 2000, JQ_JOB_HELD);
	int64_t b2 = insert_as(fx->s, "b", 3000, JQ_JOB_QUEUED);

	/* root: everything, newest first */
	page(fx->s, (struct jq_store_page_query){.state = -1, .uid = -1, .all = true, .limit = 10},
	     &p);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.ids[0], b2);
	assert_int_equal(p.ids[3], a1);
	/* a user in no tenant: own jobs only (none here) */
	page(fx->s,
	     (struct jq_store_page_query){
		 .state = -1, .uid = -1, .viewer_uid = 4000, .tenants = none, .limit = 10},
	     &p);
	assert_int_equal(p.n, 0);
	/* uid 2000: its own jobs in any tenant */
	page(fx->s,
	     (struct jq_store_page_query){
		 .state = -1, .uid = -1, .viewer_uid = 2000, .tenants = none, .limit = 10},
	     &p);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.ids[0], a2);
	assert_int_equal(p.ids[1], b1);
	/* uid 1000 administers b: its own job and all of b */
	page(fx->s,
	     (struct jq_store_page_query){
		 .state = -1, .uid = -1, .viewer_uid = 1000, .tenants = admin_b, .limit = 10},
	     &p);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.ids[0], b2);
	assert_int_equal(p.ids[1], b1);
	assert_int_equal(p.ids[2], a1);
	/* filters narrow what is visible, never widen it */
	page(fx->s,
	     (struct jq_store_page_query){.tenant = "a",
					  .state = -1,
					  .uid = -1,
					  .viewer_uid = 1000,
					  .tenants = admin_b,
					  .limit = 10},
	     &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.ids[0], a1);
	page(fx->s,
	     (struct jq_store_page_query){.state = JQ_JOB_QUEUED,
					  .uid = 3000,
					  .viewer_uid = 1000,
					  .tenants = admin_b,
					  .limit = 10},
	     &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.ids[0], b2);
	/* bounded: the newest `limit` */
	page(fx->s, (struct jq_store_page_query){.state = -1, .uid = -1, .all = true, .limit = 2},
	     &p);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.ids[1], a2);

	/* bad queries */
	struct jq_store_page_query bad = {.state = -1, .uid = -1, .all = true, .limit = 0};
	assert_int_equal(jq_store_job_page(fx->s, &bad, page_cb, &p), -EINVAL);
	bad.limit = JQ_STORE_PAGE_MAX + 1;
	assert_int_equal(jq_store_job_page(fx->s, &bad, page_cb, &p), -EINVAL);
	char *quote[] = {"a\"b", NULL};
	bad = (struct jq_store_page_query){
	    .state = -1, .uid = -1, .viewer_uid = 1, .tenants = quote, .limit = 1};
	assert_int_equal(jq_store_job_page(fx->s, &bad, page_cb, &p), -EINVAL);
}

static void test_page_rows(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *big = malloc(4096);
	char *env[] = {"SECRET=1", NULL};
	char *argv_big[] = {big, "second", NULL};
	char *argv_small[] = {"make", "-j8", "all", NULL};
	/* "é" (2 bytes) across the 256-byte cut: the prefix ends before it */
	_cleanup_free_ char *utf = malloc(300);
	char *argv_utf[] = {utf, NULL};
	struct page p;
	int64_t id;

	memset(big, 'x', 4095);
	big[4095] = '\0';
	memset(utf, 'y', 299);
	utf[299] = '\0';
	memcpy(utf + 255, "\xc3\xa9", 2);

	struct jq_job j = job_template("a");
	j.state = JQ_JOB_QUEUED;
	j.env = env;
	j.argv = argv_big;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	int64_t after[] = {id};
	j.argv = argv_small;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	j.argv = argv_utf;
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), 0);
	/* a dependent of the first job: its row says which dependency it waits on */
	j.argv = argv_small;
	j.after = after;
	j.n_after = 1;
	assert_int_equal(jq_store_sched_submit(fx->s, &j, NULL, 0, 1, &id), 0);

	page(fx->s, (struct jq_store_page_query){.state = -1, .uid = -1, .all = true, .limit = 10},
	     &p);
	assert_int_equal(p.n, 4);
	assert_false(p.saw_env);
	assert_int_equal(p.pending[0], after[0]);
	assert_int_equal(p.pending[1], -1);
	/* the UTF-8 row: 255 'y', the cut 'é' left out */
	assert_true(p.argv_cut[1]);
	assert_int_equal(strlen(p.first_arg[1]), 255);
	/* whole small argv */
	assert_false(p.argv_cut[2]);
	assert_int_equal(p.argc[2], 3);
	assert_string_equal(p.first_arg[2], "make");
	/* a 4 KiB first argument: 256 bytes of it, nothing after */
	assert_true(p.argv_cut[3]);
	assert_int_equal(p.argc[3], 1);
	assert_int_equal(strlen(p.first_arg[3]), 256);
}

struct walk {
	int64_t seen[8];
	size_t n, stop_at;
};

static int walk_cb(int64_t id, void *u)
{
	struct walk *w = u;

	w->seen[w->n++] = id;
	return w->n == w->stop_at || w->n == 8 ? -ECANCELED : 0;
}

static void test_owner_and_walk(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *tenant = NULL;
	int64_t uid = 0;

	int64_t a = insert_as(fx->s, "a", 1234, JQ_JOB_QUEUED);
	int64_t b = insert_job(fx->s, "a", 5, JQ_JOB_QUEUED);
	int64_t c = insert_job(fx->s, "a", 0, JQ_JOB_QUEUED);
	insert_job(fx->s, "b", 9, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_job_owner(fx->s, a, &tenant, &uid), 0);
	assert_string_equal(tenant, "a");
	assert_int_equal(uid, 1234);
	assert_int_equal(jq_store_job_owner(fx->s, 999, &tenant, &uid), -ENOENT);

	struct walk w = {0};
	assert_int_equal(jq_store_sched_queue_walk(fx->s, "a", 10, walk_cb, &w), 0);
	/* dispatch order: priority, then id */
	assert_int_equal(w.n, 3);
	assert_int_equal(w.seen[0], b);
	assert_int_equal(w.seen[1], a);
	assert_int_equal(w.seen[2], c);
	w.n = 0;
	assert_int_equal(jq_store_sched_queue_walk(fx->s, "a", 1, walk_cb, &w), 0);
	assert_int_equal(w.n, 1);
	/* -ECANCELED from the callback ends the walk early, without error */
	w.n = 0;
	w.stop_at = 2;
	assert_int_equal(jq_store_sched_queue_walk(fx->s, "a", 10, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);

	/* what a log follower polls: the state alone */
	enum jq_job_state st = JQ_JOB_HELD;
	assert_int_equal(jq_store_job_state(fx->s, a, &st), 0);
	assert_int_equal(st, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_job_hold(fx->s, a, NULL), 0);
	assert_int_equal(jq_store_job_state(fx->s, a, &st), 0);
	assert_int_equal(st, JQ_JOB_HELD);
	assert_int_equal(jq_store_job_state(fx->s, 999, &st), -ENOENT);
}

struct plans {
	char visible[4096];
	char all[4096];
};

static void plan_cb(const char *stmt, const char *detail, void *u)
{
	struct plans *p = u;
	char *dst = !strcmp(stmt, "list_page_visible") ? p->visible
		    : !strcmp(stmt, "list_page_all")   ? p->all
						       : NULL;

	if (dst) {
		strncat(dst, detail, 4096 - strlen(dst) - 2);
		strcat(dst, "\n");
	}
}

/* What a user sees is found through indexes: their own jobs, their tenants' jobs. */
static void test_page_explain(void **state)
{
	struct fixture *fx = *state;
	struct plans p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(jq_store_explain(fx->s, plan_cb, &p), 0);
	print_message("list_page_visible plan:\n%slist_page_all plan:\n%s", p.visible, p.all);
	assert_non_null(strstr(p.visible, "jobs_uid"));
	assert_non_null(strstr(p.visible, "jobs_tenant_state"));
	/* the page's rows by their ids */
	assert_non_null(strstr(p.visible, "INTEGER PRIMARY KEY"));
	assert_null(strstr(p.visible, "SCAN j\n"));
	assert_null(strstr(p.all, "SCAN j\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_page_visibility),
	    BOTH(test_page_rows),
	    BOTH(test_owner_and_walk),
	    BOTH(test_page_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
