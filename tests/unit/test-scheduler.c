/* SPDX-License-Identifier: MIT */
/*
 * Fair share (issue 5): a deterministic simulation (fake clock, fake
 * executor) that drives the real policy of scheduler/fairshare.c, and the
 * storage half of dispatch (storage/jq-store-sched.c) on :memory:.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fairshare.h"
#include "jq-job.h"
#include "jq-store.h"
#include "jq-util.h"

#define SEC   INT64_C(1000000)
#define HOUR  (3600 * SEC)
#define MIB   (INT64_C(1) << 20)
#define GIB   (INT64_C(1) << 30)
#define MAX_T 8

enum sim_state {
	WAITING,
	RUNNING,
	SUCCEEDED,
	FAILED,
	CANCELLED
};

struct sim_job {
	size_t tenant;
	int64_t priority;
	int64_t mem;
	int64_t dur;
	double cpu;
	bool held;
	bool fails;
	int64_t after[4]; /* ids; all must succeed */
	size_t n_after;
	enum sim_state state;
	int64_t started_at, ended_at;
	struct jq_fs_charge charge;
};

struct sim {
	struct jq_fs *fs;
	int64_t now;
	size_t n_tenants;
	int64_t slots, budget;
	int64_t max_running[MAX_T], mem_max[MAX_T];
	struct sim_job *jobs; /* id = index + 1 */
	size_t n_jobs, cap;
	/* endless backlog: keep this many waiting jobs of this shape per tenant */
	size_t backlog[MAX_T];
	int64_t backlog_dur[MAX_T];
	int64_t dispatched[MAX_T], completed[MAX_T];
	int64_t running[MAX_T], mem[MAX_T], total_running, total_mem;
	int64_t waiting[MAX_T];
	int64_t total_dispatched;
	size_t lo; /* every job below this index has ended */
	/* ids in start order */
	int64_t *starts;
	size_t n_starts;
};

static uint64_t rng_state = 42;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible across runs and hosts */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Du;
}

static void sim_init(struct sim *s, int64_t half_life, int64_t slots, int64_t budget)
{
	memset(s, 0, sizeof(*s));
	s->now = 1000 * SEC;
	s->slots = slots;
	s->budget = budget;
	s->fs = jq_fs_new(half_life, slots, budget, s->now);
	assert_non_null(s->fs);
	s->cap = 1024;
	s->jobs = calloc(s->cap, sizeof(*s->jobs));
	s->starts = calloc(s->cap, sizeof(int64_t));
	assert_non_null(s->jobs);
	assert_non_null(s->starts);
}

static void sim_free(struct sim *s)
{
	jq_fs_free(s->fs);
	free(s->jobs);
	free(s->starts);
}

static size_t sim_tenant(struct sim *s, int64_t weight, int64_t max_running, int64_t mem_max)
{
	size_t i;

	assert_int_equal(jq_fs_tenant_add(s->fs, weight, max_running, mem_max, &i), 0);
	assert_int_equal(i, s->n_tenants);
	s->max_running[i] = max_running;
	s->mem_max[i] = mem_max;
	s->n_tenants++;
	return i;
}

static struct sim_job *job(struct sim *s, int64_t id)
{
	return &s->jobs[id - 1];
}

static int64_t sim_submit(struct sim *s, size_t t, int64_t prio, int64_t mem, int64_t dur)
{
	if (s->n_jobs == s->cap) {
		s->cap *= 2;
		s->jobs = realloc(s->jobs, s->cap * sizeof(*s->jobs));
		s->starts = realloc(s->starts, s->cap * sizeof(int64_t));
		assert_non_null(s->jobs);
		assert_non_null(s->starts);
	}
	s->jobs[s->n_jobs] = (struct sim_job){
	    .tenant = t,
	    .priority = prio,
	    .mem = mem,
	    .dur = dur,
	    .cpu = (double)dur / SEC,
	    .state = WAITING,
	};
	s->waiting[t]++;
	return (int64_t)++s->n_jobs;
}

static bool deps_done(struct sim *s, const struct sim_job *j)
{
	for (size_t k = 0; k < j->n_after; k++)
		if (job(s, j->after[k])->state != SUCCEEDED)
			return false;
	return true;
}

/*
 * The tenant's head as the daemon's index gives it: waiting, not held,
 * dependencies done; priority descending, then id. A scan: the harness
 * is the reference, not the thing under test.
 */
static int64_t sim_head(struct sim *s, size_t t)
{
	int64_t best = -1;

	for (size_t i = s->n_jobs; i-- > s->lo;) {
		struct sim_job *j = &s->jobs[i];
		if (j->tenant != t || j->state != WAITING || j->held || !deps_done(s, j))
			continue;
		if (best < 0 || j->priority >= job(s, best)->priority)
			best = (int64_t)i + 1;
	}
	return best;
}

static void sim_refresh(struct sim *s, size_t t)
{
	int64_t best = sim_head(s, t);

	jq_fs_head_set(s->fs, t, best > 0, best, best > 0 ? job(s, best)->mem : 0, s->now);
}

static void sim_refresh_all(struct sim *s)
{
	for (size_t t = 0; t < s->n_tenants; t++)
		sim_refresh(s, t);
}

static void top_up(struct sim *s, size_t t)
{
	while (s->backlog[t] && s->waiting[t] < (int64_t)s->backlog[t])
		sim_submit(s, t, 0, 0, s->backlog_dur[t]);
}

/* Every slot that can be used is used: whoever still has a job is capped. */
static void check_work_conserving(struct sim *s)
{
	if (s->total_running >= s->slots)
		return;
	for (size_t t = 0; t < s->n_tenants; t++) {
		int64_t head = sim_head(s, t);
		if (head > 0)
			assert_true(jq_fs_why(s->fs, t, job(s, head)->mem) != JQ_FS_WAIT_NO_SLOT);
	}
}

static void sim_dispatch(struct sim *s)
{
	size_t t;
	int64_t id;

	while (jq_fs_pick(s->fs, &t, &id) == 0) {
		struct sim_job *j = job(s, id);

		assert_int_equal(j->tenant, t);
		assert_int_equal(j->state, WAITING);
		assert_false(j->held);
		assert_true(deps_done(s, j));
		j->state = RUNNING;
		j->started_at = s->now;
		jq_fs_job_started(s->fs, t, j->mem, s->now, &j->charge);
		s->waiting[t]--;
		s->running[t]++;
		s->mem[t] += j->mem;
		s->total_running++;
		s->total_mem += j->mem;
		s->dispatched[t]++;
		s->total_dispatched++;
		s->starts[s->n_starts++] = id;
		/* The caps, after every start. */
		assert_true(s->total_running <= s->slots);
		if (s->max_running[t] >= 0)
			assert_true(s->running[t] <= s->max_running[t]);
		if (s->mem_max[t] >= 0)
			assert_true(s->mem[t] <= s->mem_max[t]);
		if (s->budget >= 0)
			assert_true(s->total_mem <= s->budget);
		top_up(s, t);
		sim_refresh(s, t);
	}
	check_work_conserving(s);
}

static void cancel_dependents(struct sim *s, int64_t id)
{
	for (size_t i = 0; i < s->n_jobs; i++) {
		struct sim_job *j = &s->jobs[i];
		if (j->state != WAITING)
			continue;
		for (size_t k = 0; k < j->n_after; k++)
			if (j->after[k] == id) {
				j->state = CANCELLED;
				s->waiting[j->tenant]--;
				cancel_dependents(s, (int64_t)i + 1);
				break;
			}
	}
}

/* Ends the running job that ends first; false when nothing runs. */
static bool sim_step(struct sim *s)
{
	int64_t best = -1;

	for (size_t i = s->lo; i < s->n_jobs; i++)
		if (s->jobs[i].state == RUNNING &&
		    (best < 0 || s->jobs[i].started_at + s->jobs[i].dur <
				     job(s, best)->started_at + job(s, best)->dur))
			best = (int64_t)i + 1;
	if (best < 0)
		return false;
	struct sim_job *j = job(s, best);
	s->now = j->started_at + j->dur;
	j->state = j->fails ? FAILED : SUCCEEDED;
	j->ended_at = s->now;
	jq_fs_job_ended(s->fs, &j->charge, j->cpu, s->now);
	s->running[j->tenant]--;
	s->mem[j->tenant] -= j->mem;
	s->total_running--;
	s->total_mem -= j->mem;
	s->completed[j->tenant]++;
	if (j->fails)
		cancel_dependents(s, best);
	while (s->lo < s->n_jobs && s->jobs[s->lo].state >= SUCCEEDED)
		s->lo++;
	sim_refresh_all(s);
	sim_dispatch(s);
	return true;
}

static void run_until_dispatched(struct sim *s, int64_t n)
{
	while (s->total_dispatched < n)
		assert_true(sim_step(s));
}

/* Only the running set's ends drive time: keep the job table small. */
static void endless(struct sim *s, size_t t, int64_t dur)
{
	s->backlog[t] = 4;
	s->backlog_dur[t] = dur;
	top_up(s, t);
	sim_refresh(s, t);
}

static void check_ratio(const int64_t *got, const double *want, size_t n, double tol)
{
	int64_t total = 0;
	double wsum = 0;

	for (size_t i = 0; i < n; i++) {
		total += got[i];
		wsum += want[i];
	}
	for (size_t i = 0; i < n; i++) {
		double frac = (double)got[i] / (double)total, exp = want[i] / wsum;
		print_message("tenant %zu: %" PRId64 " of %" PRId64 " (%.4f, want %.4f)\n", i,
			      got[i], total, frac, exp);
		assert_true(frac > exp * (1 - tol) && frac < exp * (1 + tol));
	}
}

/*
 * Three tenants 1:2:4, endless equal jobs, 10,000 dispatches: completed
 * work in that ratio within 5%. The default half-life, and a short one
 * under which the sim's 21 hours are over 256 half-lives, so that the
 * policy's renormalization of its inflated units runs.
 */
static void test_ratio_1_2_4(void **state)
{
	static const int64_t half_lives[] = {HOUR, 4 * 60 * SEC};
	(void)state;

	for (size_t h = 0; h < JQ_ARRAY_SIZE(half_lives); h++) {
		struct sim s;
		const double want[] = {1, 2, 4};

		sim_init(&s, half_lives[h], 8, -1);
		for (int i = 0; i < 3; i++)
			sim_tenant(&s, 100 << i, -1, -1);
		for (size_t t = 0; t < 3; t++)
			endless(&s, t, 60 * SEC);
		sim_dispatch(&s);
		run_until_dispatched(&s, 10000);
		check_ratio(s.completed, want, 3, 0.05);
		sim_free(&s);
	}
}

static void test_caps_under_bursts(void **state)
{
	struct sim s;
	(void)state;

	rng_state = 7;
	sim_init(&s, HOUR, 6, 8 * GIB);
	sim_tenant(&s, 100, 2, 3 * GIB);
	sim_tenant(&s, 100, -1, 4 * GIB);
	sim_tenant(&s, 300, -1, -1);
	for (int round = 0; round < 60; round++) {
		size_t t = rng() % 3;
		int burst = 20 + (int)(rng() % 60);
		for (int k = 0; k < burst; k++)
			sim_submit(&s, t, (int64_t)(rng() % 3), (int64_t)(512 + rng() % 1536) * MIB,
				   (int64_t)(1 + rng() % 100) * SEC);
		sim_refresh(&s, t);
		sim_dispatch(&s);
		/* a few endings between bursts: the queue builds up */
		for (int k = 0; k < 30 && sim_step(&s); k++)
			;
	}
	while (sim_step(&s))
		;
	for (size_t t = 0; t < 3; t++) {
		assert_int_equal(s.waiting[t], 0);
		assert_int_equal(s.running[t], 0);
	}
	assert_int_equal(jq_fs_running(s.fs), 0);
	assert_int_equal(jq_fs_running_memory(s.fs), 0);
	sim_free(&s);
}

static void test_late_arrival(void **state)
{
	struct sim s;
	int64_t before[3], c_first30 = 0;
	(void)state;

	sim_init(&s, HOUR, 8, -1);
	for (int i = 0; i < 3; i++)
		sim_tenant(&s, 100, -1, -1);
	endless(&s, 0, 60 * SEC);
	endless(&s, 1, 60 * SEC);
	sim_dispatch(&s);
	run_until_dispatched(&s, 3000);
	/* Tenant 2 was idle all along: no usage at all, the others have hours. */
	endless(&s, 2, 60 * SEC);
	memcpy(before, s.dispatched, sizeof(before));
	int64_t start = s.total_dispatched;
	size_t first = s.n_starts;
	run_until_dispatched(&s, start + 300);
	for (size_t k = first; k < first + 30; k++)
		c_first30 += job(&s, s.starts[k])->tenant == 2;
	print_message("late tenant: %" PRId64 " of the first 30, %" PRId64 " of 300\n", c_first30,
		      s.dispatched[2] - before[2]);
	/* Its share at once... */
	assert_true(c_first30 >= 9);
	/* ...but no burst that starves the others. */
	assert_true(c_first30 <= 14);
	int64_t got[3];
	for (int i = 0; i < 3; i++)
		got[i] = s.dispatched[i] - before[i];
	check_ratio(got, (const double[]){1, 1, 1}, 3, 0.10);
	sim_free(&s);
}

static void test_weight_1_next_to_1000(void **state)
{
	struct sim s;
	(void)state;

	sim_init(&s, HOUR, 4, -1);
	sim_tenant(&s, 1, -1, -1);
	sim_tenant(&s, 1000, -1, -1);
	endless(&s, 0, 30 * SEC);
	endless(&s, 1, 30 * SEC);
	sim_dispatch(&s);
	run_until_dispatched(&s, 10000);
	print_message("weight 1: %" PRId64 ", weight 1000: %" PRId64 "\n", s.dispatched[0],
		      s.dispatched[1]);
	/* 10000 / 1001 = 10: it progresses, and not at the big one's expense. */
	assert_true(s.dispatched[0] >= 5);
	assert_true(s.dispatched[0] <= 20);
	sim_free(&s);
}

static void test_dependencies_and_holds(void **state)
{
	struct sim s;
	int64_t a, b, c, held, bad, after_bad, free_job;
	(void)state;

	sim_init(&s, HOUR, 4, -1);
	sim_tenant(&s, 100, -1, -1);
	sim_tenant(&s, 100, -1, -1);
	a = sim_submit(&s, 0, 0, 0, 10 * SEC);
	b = sim_submit(&s, 0, 5, 0, 10 * SEC); /* higher priority, but waits for a */
	job(&s, b)->after[job(&s, b)->n_after++] = a;
	c = sim_submit(&s, 1, 0, 0, 10 * SEC); /* a chain across tenants */
	job(&s, c)->after[job(&s, c)->n_after++] = b;
	held = sim_submit(&s, 1, 9, 0, 5 * SEC);
	job(&s, held)->held = true;
	bad = sim_submit(&s, 0, 0, 0, 3 * SEC);
	job(&s, bad)->fails = true;
	after_bad = sim_submit(&s, 1, 0, 0, 3 * SEC);
	job(&s, after_bad)->after[job(&s, after_bad)->n_after++] = bad;
	free_job = sim_submit(&s, 1, 0, 0, 1 * SEC);
	sim_refresh_all(&s);
	sim_dispatch(&s);
	/* Only a, bad and free_job can run; b, c wait for dependencies, held is held. */
	assert_int_equal(job(&s, a)->state, RUNNING);
	assert_int_equal(job(&s, bad)->state, RUNNING);
	assert_int_equal(job(&s, free_job)->state, RUNNING);
	assert_int_equal(job(&s, b)->state, WAITING);
	assert_int_equal(s.total_running, 3);
	while (sim_step(&s))
		;
	assert_int_equal(job(&s, a)->state, SUCCEEDED);
	assert_int_equal(job(&s, b)->state, SUCCEEDED);
	assert_int_equal(job(&s, c)->state, SUCCEEDED);
	assert_true(job(&s, b)->started_at >= job(&s, a)->ended_at);
	assert_true(job(&s, c)->started_at >= job(&s, b)->ended_at);
	assert_int_equal(job(&s, after_bad)->state, CANCELLED);
	assert_int_equal(job(&s, held)->state, WAITING);
	/* Released: it starts at once, the slot was free. */
	job(&s, held)->held = false;
	sim_refresh(&s, 1);
	sim_dispatch(&s);
	assert_int_equal(job(&s, held)->state, RUNNING);
	while (sim_step(&s))
		;
	sim_free(&s);
}

/* Host memory budget: a big job waits, small ones of others still fill the slots. */
static void test_host_budget_reason(void **state)
{
	struct sim s;
	int64_t big, small1, small2;
	(void)state;

	sim_init(&s, HOUR, 4, 4 * GIB);
	sim_tenant(&s, 100, -1, -1);
	sim_tenant(&s, 100, 1, 2 * GIB);
	small1 = sim_submit(&s, 0, 0, 3 * GIB, 100 * SEC);
	sim_refresh_all(&s);
	sim_dispatch(&s);
	big = sim_submit(&s, 0, 0, 2 * GIB, 10 * SEC);
	small2 = sim_submit(&s, 1, 0, 512 * MIB, 10 * SEC);
	int64_t second = sim_submit(&s, 1, 0, 512 * MIB, 10 * SEC);
	sim_refresh_all(&s);
	sim_dispatch(&s);
	assert_int_equal(job(&s, small1)->state, RUNNING);
	assert_int_equal(job(&s, big)->state, WAITING);
	assert_int_equal(job(&s, small2)->state, RUNNING);
	assert_int_equal(jq_fs_why(s.fs, 0, 2 * GIB), JQ_FS_WAIT_HOST_MEMORY);
	assert_int_equal(job(&s, second)->state, WAITING);
	assert_int_equal(jq_fs_why(s.fs, 1, 512 * MIB), JQ_FS_WAIT_TENANT_RUNNING);
	assert_string_equal(jq_fs_wait_to_string(JQ_FS_WAIT_TENANT_MEMORY), "tenant memory cap");
	while (sim_step(&s))
		;
	assert_int_equal(job(&s, big)->state, SUCCEEDED);
	assert_int_equal(job(&s, second)->state, SUCCEEDED);
	sim_free(&s);
}

/* 1,000 tenants: a decision is a heap operation, whatever the backlog. */
static void test_decision_cost(void **state)
{
	struct jq_fs *fs = jq_fs_new(HOUR, 64, -1, 0);
	struct jq_fs_charge ch[64];
	size_t n_run = 0, t;
	int64_t id, now = 0, next = 1;
	struct timespec a, b;
	(void)state;

	assert_non_null(fs);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(jq_fs_tenant_add(fs, 1 + i % 500, -1, -1, &t), 0);
		jq_fs_head_set(fs, t, true, next++, 0, now);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < 200000; k++) {
		if (n_run == 64) {
			now += SEC;
			jq_fs_job_ended(fs, &ch[0], 1.0, now);
			memmove(ch, ch + 1, --n_run * sizeof(ch[0]));
		}
		assert_int_equal(jq_fs_pick(fs, &t, &id), 0);
		jq_fs_job_started(fs, t, 0, now, &ch[n_run++]);
		jq_fs_head_set(fs, t, true, next++, 0, now);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns =
	    ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 200000;
	print_message("policy: %.0f ns per decision over 1000 tenants\n", ns);
	assert_true(ns < 50000);
	jq_fs_free(fs);
}

/* --- storage: jq-store-sched.c --- */

static struct jq_store *open_store(void)
{
	struct jq_store *st = NULL;

	assert_int_equal(jq_store_open(":memory:", JQ_STORE_SYNC_FULL, &st), 0);
	return st;
}

static int64_t submit(struct jq_store *st, const char *tenant, int64_t prio, int64_t *after,
		      size_t n_after, int64_t *any, size_t n_any, int64_t copies)
{
	char *argv[] = {(char *)"true", NULL};
	char *env[] = {(char *)"A=1", NULL};
	struct jq_job j;
	int64_t id;

	jq_job_init(&j);
	j.tenant = (char *)tenant;
	j.user = (char *)"u";
	j.uid = 1;
	j.gid = 1;
	j.argv = argv;
	j.env = env;
	j.cwd = (char *)"/";
	j.priority = prio;
	j.after = after;
	j.n_after = n_after;
	j.state = JQ_JOB_QUEUED;
	j.submitted_at = 1;
	assert_int_equal(jq_store_sched_submit(st, &j, any, n_any, copies, &id), 0);
	return id;
}

static void finish(struct jq_store *st, int64_t id, enum jq_job_state state)
{
	assert_int_equal(jq_store_job_mark_starting(st, id, &(struct jq_limits){-1, -1, -1, -1}),
			 0);
	assert_int_equal(jq_store_job_mark_running(st, id, 2, 100, 100), 0);
	assert_int_equal(jq_store_job_finish(st, id,
					     &(struct jq_store_finish){
						 .state = state,
						 .exit_code = state == JQ_JOB_SUCCEEDED ? 0 : 1,
						 .signal = -1,
						 .started_at = -1,
						 .finished_at = 3,
					     }),
			 0);
}

struct seen {
	int64_t ids[16];
	bool cancelled[16];
	size_t n;
};

static int on_dep(int64_t id, const char *tenant, bool cancelled, void *u)
{
	struct seen *s = u;

	assert_string_equal(tenant, "a");
	s->ids[s->n] = id;
	s->cancelled[s->n++] = cancelled;
	return 0;
}

static enum jq_job_state state_of(struct jq_store *st, int64_t id, char **ret_reason)
{
	struct jq_job j;
	enum jq_job_state s;

	assert_int_equal(jq_store_job_get(st, id, &j), 0);
	s = j.state;
	if (ret_reason)
		*ret_reason = j.reason ? strdup(j.reason) : NULL;
	jq_job_release(&j);
	return s;
}

static void test_store_dependencies(void **state)
{
	struct jq_store *st = open_store();
	struct jq_store_ready r;
	struct seen seen = {0};
	int64_t j1, j2, j3, j4, dep, pos;
	char *reason = NULL;
	(void)state;

	j1 = submit(st, "a", 0, NULL, 0, NULL, 0, 1);
	j2 = submit(st, "a", 9, (int64_t[]){j1}, 1, NULL, 0, 1);
	j3 = submit(st, "a", 5, NULL, 0, (int64_t[]){j1}, 1, 1);
	j4 = submit(st, "a", 9, (int64_t[]){j2}, 1, NULL, 0, 1);
	/* Higher priorities wait for j1: the ready head is j1. */
	assert_int_equal(jq_store_sched_peek_ready(st, "a", &r), 0);
	assert_int_equal(r.id, j1);
	assert_int_equal(jq_store_sched_peek_ready(st, "b", &r), -ENOENT);
	assert_int_equal(jq_store_sched_pending_dep(st, j2, &dep), 0);
	assert_int_equal(dep, j1);
	assert_int_equal(jq_store_sched_pending_dep(st, j1, &dep), -ENOENT);
	/* Position: priority first (j2, j4 at 9; j3 at 5; j1 at 0). */
	assert_int_equal(jq_store_sched_position(st, "a", 0, j1, &pos), 0);
	assert_int_equal(pos, 4);
	assert_int_equal(jq_store_sched_position(st, "a", 9, j4, &pos), 0);
	assert_int_equal(pos, 2);

	finish(st, j1, JQ_JOB_FAILED);
	assert_int_equal(jq_store_sched_dep_ended(st, j1, JQ_JOB_FAILED, on_dep, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ids[0], j2);
	assert_true(seen.cancelled[0]);
	assert_int_equal(seen.ids[1], j3);
	assert_false(seen.cancelled[1]);
	assert_int_equal(state_of(st, j2, &reason), JQ_JOB_CANCELLED);
	char want[64];
	snprintf(want, sizeof(want), "dependency %" PRId64 " failed", j1);
	assert_string_equal(reason, want);
	free(reason);
	/* --after-any: j3 runs although j1 failed. */
	assert_int_equal(jq_store_sched_peek_ready(st, "a", &r), 0);
	assert_int_equal(r.id, j3);
	/* The cancellation cascades when the caller reports j2's end. */
	seen.n = 0;
	assert_int_equal(jq_store_sched_dep_ended(st, j2, JQ_JOB_CANCELLED, on_dep, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(state_of(st, j4, NULL), JQ_JOB_CANCELLED);

	/* A dependency that failed before the submission cancels at once. */
	int64_t j5 = submit(st, "a", 0, (int64_t[]){j1}, 1, NULL, 0, 1);
	assert_int_equal(state_of(st, j5, NULL), JQ_JOB_CANCELLED);
	/* One that succeeded is no dependency to wait for. */
	finish(st, j3, JQ_JOB_SUCCEEDED);
	int64_t j6 = submit(st, "a", 0, (int64_t[]){j3}, 1, NULL, 0, 1);
	assert_int_equal(jq_store_sched_peek_ready(st, "a", &r), 0);
	assert_int_equal(r.id, j6);
	jq_store_close(st);
}

static void test_store_array(void **state)
{
	struct jq_store *st = open_store();
	int64_t first, n = 0;
	(void)state;

	first = submit(st, "a", 0, NULL, 0, NULL, 0, 3);
	for (int64_t k = 0; k < 3; k++) {
		struct jq_job j;
		char want[64];
		bool found = false;

		assert_int_equal(jq_store_job_get(st, first + k, &j), 0);
		snprintf(want, sizeof(want), "JOBQ_ARRAY_INDEX=%" PRId64, k);
		for (char **e = j.env; *e; e++)
			found |= !strcmp(*e, want);
		assert_true(found);
		jq_job_release(&j);
	}
	assert_int_equal(jq_store_job_count(st, "a", JQ_JOB_QUEUED, &n), 0);
	assert_int_equal(n, 3);
	struct jq_job j;
	int64_t id;
	jq_job_init(&j);
	assert_int_equal(jq_store_sched_submit(st, &j, NULL, 0, JQ_STORE_MAX_ARRAY + 1, &id),
			 -EINVAL);
	jq_store_close(st);
}

struct plan {
	char text[4096];
};

static void plan_cb(const char *stmt, const char *detail, void *u)
{
	struct plan *p = u;

	if (!strcmp(stmt, "claim_ready")) {
		strncat(p->text, detail, sizeof(p->text) - strlen(p->text) - 2);
		strcat(p->text, "\n");
	}
}

static void test_store_claim_plan(void **state)
{
	struct jq_store *st = open_store();
	struct plan p = {{0}};
	(void)state;

	assert_int_equal(jq_store_explain(st, plan_cb, &p), 0);
	print_message("claim_ready plan:\n%s", p.text);
	assert_non_null(strstr(p.text, "jobs_ready"));
	assert_null(strstr(p.text, "TEMP B-TREE"));
	jq_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratio_1_2_4),
	    cmocka_unit_test(test_caps_under_bursts),
	    cmocka_unit_test(test_late_arrival),
	    cmocka_unit_test(test_weight_1_next_to_1000),
	    cmocka_unit_test(test_dependencies_and_holds),
	    cmocka_unit_test(test_host_budget_reason),
	    cmocka_unit_test(test_decision_cost),
	    cmocka_unit_test(test_store_dependencies),
	    cmocka_unit_test(test_store_array),
	    cmocka_unit_test(test_store_claim_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
