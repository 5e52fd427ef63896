/* SPDX-License-Identifier: MIT */
/*
 * Which job runs next. The policy is fairshare.c (pure, simulated by
 * tests/unit/test-scheduler.c); this file feeds it: per tenant the head of
 * its ready queue (one indexed lookup, jq_store_sched_peek_ready), the
 * jobs it started and how much CPU they used when they end, and the
 * history of usage at start-up. Dispatch runs once per loop turn in which
 * something changed and fills free slots; each decision is a heap pick and
 * one lookup for the picked tenant's next head, O(log n) in tenants and
 * queued jobs.
 *
 * Tenants whose queue may have changed (a submission, hold, release,
 * cancel, a dependency that ended) are marked dirty and their head is
 * looked up again once, at the next dispatch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "fairshare.h"
#include "jobqd.h"
#include "jq-log.h"
#include "jq-time.h"
#include "jq-util.h"

/* Usage older than this many half-lives counts less than 2^-40: not loaded. */
#define HISTORY_HALF_LIVES 40

struct run_slot {
	int64_t id; /* 0 = empty */
	struct jq_fs_charge charge;
};

struct jq_dispatch {
	struct jq_fs *fs;
	size_t n_tenants;
	size_t *names; /* open addressing: tenant index + 1, 0 = empty */
	size_t names_cap;
	bool *dirty;
	size_t *dirty_list;
	size_t n_dirty;
	struct run_slot *runs; /* open addressing on the job id */
	size_t runs_cap, n_runs;
	int64_t memory_budget;
	int64_t host_cpus_milli; /* hostile queries (issue 11): admission */
	/* jobs that ended and whose dependents still need resolving */
	int64_t *ended;
	size_t n_ended, ended_cap;
	bool draining;
	uint64_t decisions;
	uint64_t decision_nsec_sum;
	uint64_t decision_nsec_max;
};

static uint64_t mono_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t hash_id(int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9e3779b97f4a7c15u;
	return (size_t)(x ^ (x >> 29));
}

/* The tenant's index in config->tenants (and in the policy), or -ENOENT. */
static int tenant_index(struct jq_daemon *d, const char *name, size_t *ret)
{
	struct jq_dispatch *ds = d->dispatch;
	size_t mask = ds->names_cap - 1;

	for (size_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
		size_t v = ds->names[i];
		if (v == 0)
			return -ENOENT;
		if (!strcmp(d->config->tenants[v - 1].name, name)) {
			*ret = v - 1;
			return 0;
		}
	}
}

static struct run_slot *run_find(struct jq_dispatch *ds, int64_t id)
{
	size_t mask = ds->runs_cap - 1;

	for (size_t i = hash_id(id) & mask;; i = (i + 1) & mask) {
		if (ds->runs[i].id == id)
			return &ds->runs[i];
		if (ds->runs[i].id == 0)
			return NULL;
	}
}

static int run_put(struct jq_dispatch *ds, int64_t id, const struct jq_fs_charge *c);

static int runs_grow(struct jq_dispatch *ds)
{
	struct run_slot *old = ds->runs;
	size_t old_cap = ds->runs_cap;

	ds->runs_cap = old_cap ? old_cap * 2 : 64;
	ds->runs = calloc(ds->runs_cap, sizeof(*ds->runs));
	if (!ds->runs) {
		ds->runs = old;
		ds->runs_cap = old_cap;
		return -ENOMEM;
	}
	ds->n_runs = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].id)
			(void)run_put(ds, old[i].id, &old[i].charge);
	free(old);
	return 0;
}

static int run_put(struct jq_dispatch *ds, int64_t id, const struct jq_fs_charge *c)
{
	size_t mask;

	if (2 * (ds->n_runs + 1) > ds->runs_cap && runs_grow(ds) < 0)
		return -ENOMEM;
	mask = ds->runs_cap - 1;
	for (size_t i = hash_id(id) & mask;; i = (i + 1) & mask)
		if (ds->runs[i].id == 0 || ds->runs[i].id == id) {
			ds->n_runs += ds->runs[i].id == 0;
			ds->runs[i].id = id;
			ds->runs[i].charge = *c;
			return 0;
		}
}

/* Linear probing: shift the following cluster back instead of leaving tombstones. */
static void run_remove(struct jq_dispatch *ds, struct run_slot *slot)
{
	size_t mask = ds->runs_cap - 1, i = (size_t)(slot - ds->runs), j = i;

	ds->runs[i].id = 0;
	ds->n_runs--;
	for (;;) {
		j = (j + 1) & mask;
		if (ds->runs[j].id == 0)
			return;
		size_t home = hash_id(ds->runs[j].id) & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		ds->runs[i] = ds->runs[j];
		ds->runs[j].id = 0;
		i = j;
	}
}

/* The memory a job is admitted on: its effective limit, else its request or the default. */
static int64_t job_memory(const struct jq_job *j, const struct jq_tenant_config *t)
{
	struct jq_limits l = jq_runner_effective_limits(j, t);

	if (l.memory_bytes > 0)
		return l.memory_bytes;
	if (j->requested.memory_bytes > 0)
		return j->requested.memory_bytes;
	return t && t->default_memory > 0 ? t->default_memory : 0;
}

static void mark_dirty(struct jq_dispatch *ds, size_t i)
{
	if (ds->dirty[i])
		return;
	ds->dirty[i] = true;
	ds->dirty_list[ds->n_dirty++] = i;
}

void jq_dispatch_admission_host(struct jq_daemon *d, struct jq_admission_host *ret)
{
	struct jq_dispatch *ds = d->dispatch;

	*ret = (struct jq_admission_host){
	    .memory_budget = ds ? ds->memory_budget : -1,
	    .cpus_milli = ds ? ds->host_cpus_milli : jq_admission_host_cpus_milli(),
	};
}

/* Refused by the caps of today's config (lowered since it was submitted), or NULL. */
static char *inadmissible(struct jq_daemon *d, const struct jq_tenant_config *t,
			  const struct jq_limits *req)
{
	struct jq_admission_host host;
	char *err = NULL;

	jq_dispatch_admission_host(d, &host);
	if (jq_admission_check(req, t, &host, &err) == -ENOMEM)
		return NULL;
	return err;
}

/*
 * Ends a job that must not start: failed_to_start with reason. A job ends
 * failed_to_start from starting (the state machine): both in one batch.
 * True if the job was ended.
 */
static bool end_unstarted(struct jq_daemon *d, int64_t id, const char *reason)
{
	int r;

	jq_batch_begin(d);
	r = jq_store_job_mark_starting(d->store, id, NULL);
	if (r >= 0)
		r = jq_store_job_finish(d->store, id,
					&(struct jq_store_finish){
					    .state = JQ_JOB_FAILED_TO_START,
					    .reason = reason,
					    .exit_code = -1,
					    .signal = -1,
					    .started_at = -1,
					    .finished_at = jq_now_usec(),
					});
	if (r < 0) {
		jq_log_error_errno(r, "job %" PRId64 ": cannot end it: %m", id);
		return false;
	}
	jq_log_info("job %" PRId64 " failed to start: %s", id, reason);
	jq_requests_job_ended(d, id);
	return true;
}

/*
 * Ends a job the caps no longer admit: failed_to_start, with the refusal
 * submit would give today. True if the job was ended.
 */
static bool refuse_start(struct jq_daemon *d, const struct jq_tenant_config *t, int64_t id,
			 const struct jq_limits *req)
{
	_cleanup_free_ char *err = inadmissible(d, t, req);
	_cleanup_free_ char *reason = NULL;

	if (!err)
		return false;
	reason = jq_asprintf("not admitted: %s (the limits changed since it was submitted)", err);
	return end_unstarted(d, id, reason ? reason : err);
}

/*
 * issue 11: a user removed from the tenant (users, or a group of groups)
 * since it submitted or held the job does not run it, and nobody runs
 * with a group its user has lost since: the groups captured at submit
 * (SO_PEERGROUPS) are cut to those the account still has. 0: j runs with
 * the groups it still has; 1: the job was ended; -1: it must not start but
 * could not be ended (the database is failing).
 */
static int refuse_nonmember(struct jq_daemon *d, const struct jq_tenant_config *t, struct jq_job *j)
{
	_cleanup_free_ char *err = NULL;
	int64_t gid, *gids = NULL;
	size_t n;
	int r = jq_peer_job_member(j, t, &gid, &gids, &n, &err);

	if (r >= 0) {
		free(j->gids);
		j->gids = gids;
		j->n_gids = n;
		j->gid = gid;
		return 0;
	}
	return end_unstarted(d, j->id, err ? err : strerror(-r)) ? 1 : -1;
}

/* Looks up the tenant's next ready job and tells the policy. */
static void refresh_head(struct jq_daemon *d, size_t i)
{
	struct jq_dispatch *ds = d->dispatch;
	const struct jq_tenant_config *t = &d->config->tenants[i];
	struct jq_store_ready ready;
	struct jq_job probe;
	int r;

	r = jq_store_sched_peek_ready(d->store, t->name, &ready);
	if (r < 0) {
		if (r != -ENOENT)
			jq_log_error_errno(r, "tenant '%s': cannot read its next job: %m", t->name);
		jq_fs_head_set(ds->fs, i, false, -1, 0, jq_now_usec());
		return;
	}
	jq_job_init(&probe);
	probe.id = ready.id;
	probe.requested = ready.requested;
	/*
	 * A head the caps no longer admit needs no memory: it is picked at
	 * the next free slot and refused there (start_one), instead of being
	 * set aside by the host budget while others run.
	 */
	_cleanup_free_ char *refused = inadmissible(d, t, &ready.requested);
	jq_fs_head_set(ds->fs, i, true, ready.id, refused ? 0 : job_memory(&probe, t),
		       jq_now_usec());
}

static void refresh_dirty(struct jq_daemon *d)
{
	struct jq_dispatch *ds = d->dispatch;

	for (size_t k = 0; k < ds->n_dirty; k++) {
		ds->dirty[ds->dirty_list[k]] = false;
		refresh_head(d, ds->dirty_list[k]);
	}
	ds->n_dirty = 0;
}

/*
 * Starts the picked job. False when nothing moved (the job could not be
 * read or marked starting: the database is failing): dispatch then stops
 * for this turn instead of picking the same job forever.
 */
static bool start_one(struct jq_daemon *d, size_t ti, int64_t id, uint64_t t0)
{
	struct jq_dispatch *ds = d->dispatch;
	const struct jq_tenant_config *t = &d->config->tenants[ti];
	struct jq_fs_charge charge;
	struct jq_job j;
	uint64_t t1;
	int r;

	r = jq_store_job_get(d->store, id, &j);
	if (r < 0) {
		jq_log_error_errno(r, "job %" PRId64 ": cannot read it to start it: %m", id);
		mark_dirty(ds, ti);
		return false;
	}
	if (j.state != JQ_JOB_QUEUED) {
		/* Changed under us: the policy gets the tenant's real head. */
		jq_job_release(&j);
		refresh_head(d, ti);
		return true;
	}
	if (refuse_start(d, t, id, &j.requested)) {
		jq_job_release(&j);
		refresh_head(d, ti);
		return true;
	}
	r = refuse_nonmember(d, t, &j);
	if (r != 0) {
		jq_job_release(&j);
		if (r < 0) {
			mark_dirty(ds, ti);
			return false;
		}
		refresh_head(d, ti);
		return true;
	}
	int64_t mem = job_memory(&j, t);
	t1 = mono_nsec();
	r = jq_runner_start(d, &j);
	jq_job_release(&j);
	/*
	 * A failed start has usually ended the job (failed_to_start, and told
	 * us through job_ended); one that could not even be marked starting
	 * is still queued.
	 */
	if (r < 0 && !jq_runner_find(d, id) && jq_store_job_get(d->store, id, &j) >= 0) {
		bool stuck = j.state == JQ_JOB_QUEUED;
		jq_job_release(&j);
		if (stuck) {
			mark_dirty(ds, ti);
			return false;
		}
	}
	if (jq_runner_find(d, id)) {
		jq_fs_job_started(ds->fs, ti, mem, jq_now_usec(), &charge);
		if (run_put(ds, id, &charge) < 0)
			jq_log_error("job %" PRId64 ": out of memory tracking it, its share "
				     "is not counted",
				     id);
	}
	uint64_t t2 = mono_nsec();
	refresh_head(d, ti);
	/* The decision: the pick and the next head lookup, not the spawn. */
	uint64_t ns = (t1 - t0) + (mono_nsec() - t2);
	ds->decisions++;
	ds->decision_nsec_sum += ns;
	if (ns > ds->decision_nsec_max)
		ds->decision_nsec_max = ns;
	return true;
}

static void dispatch(struct jq_daemon *d)
{
	struct jq_dispatch *ds = d->dispatch;

	if (!ds)
		return;
	refresh_dirty(d);
	while (!d->stopping) {
		uint64_t t0 = mono_nsec();
		size_t ti;
		int64_t id;

		if (jq_fs_pick(ds->fs, &ti, &id) < 0 || !start_one(d, ti, id, t0))
			break;
	}
}

static void on_dispatch_idle(uv_idle_t *h)
{
	uv_idle_stop(h);
	dispatch(h->data);
}

void jq_dispatch_schedule(struct jq_daemon *d)
{
	if (!d->stopping)
		uv_idle_start(&d->dispatch_idle, on_dispatch_idle);
}

void jq_dispatch_tenant_changed(struct jq_daemon *d, const char *tenant)
{
	size_t i;

	if (d->dispatch && tenant_index(d, tenant, &i) >= 0)
		mark_dirty(d->dispatch, i);
	jq_dispatch_schedule(d);
}

static int push_ended(struct jq_dispatch *ds, int64_t id)
{
	if (ds->n_ended == ds->ended_cap) {
		size_t ncap = ds->ended_cap ? ds->ended_cap * 2 : 64;
		int64_t *p = realloc(ds->ended, ncap * sizeof(int64_t));
		if (!p)
			return -ENOMEM;
		ds->ended = p;
		ds->ended_cap = ncap;
	}
	ds->ended[ds->n_ended++] = id;
	return 0;
}

static int on_dependent(int64_t id, const char *tenant, bool cancelled, void *u)
{
	struct jq_daemon *d = u;

	jq_dispatch_tenant_changed(d, tenant);
	if (cancelled) {
		jq_log_info("job %" PRId64 " cancelled: a dependency failed", id);
		/* Answers its waiters and queues its own dependents (we are draining). */
		jq_requests_job_ended(d, id);
	}
	return 0;
}

static void handle_ended(struct jq_daemon *d, int64_t id)
{
	struct jq_dispatch *ds = d->dispatch;
	struct run_slot *slot = run_find(ds, id);
	struct jq_job j;
	size_t ti;
	int r;

	r = jq_store_job_get(d->store, id, &j);
	if (r < 0) {
		jq_log_error_errno(r, "job %" PRId64 ": cannot read how it ended: %m", id);
		if (slot) {
			jq_fs_job_ended(ds->fs, &slot->charge, -1, jq_now_usec());
			run_remove(ds, slot);
		}
		return;
	}
	double cpu = -1;
	if (j.has_accounting && (j.acct.cpu_user_usec >= 0 || j.acct.cpu_system_usec >= 0))
		cpu = (double)((j.acct.cpu_user_usec > 0 ? j.acct.cpu_user_usec : 0) +
			       (j.acct.cpu_system_usec > 0 ? j.acct.cpu_system_usec : 0)) /
		      1e6;
	if (slot) {
		jq_fs_job_ended(ds->fs, &slot->charge, cpu, jq_now_usec());
		run_remove(ds, slot);
	} else if (cpu > 0 && tenant_index(d, j.tenant, &ti) >= 0) {
		/* Ended while the dispatcher did not track it (recovery). */
		jq_fs_usage_add(ds->fs, ti, cpu, jq_now_usec());
	}
	if (tenant_index(d, j.tenant, &ti) >= 0)
		mark_dirty(ds, ti);
	if (jq_job_state_is_final(j.state)) {
		r = jq_store_sched_dep_ended(d->store, id, j.state, on_dependent, d);
		if (r < 0)
			jq_log_error_errno(r, "job %" PRId64 ": cannot resolve its dependents: %m",
					   id);
	}
	jq_job_release(&j);
}

void jq_dispatch_job_ended(struct jq_daemon *d, int64_t id)
{
	struct jq_dispatch *ds = d->dispatch;

	if (!ds)
		return;
	if (push_ended(ds, id) < 0) {
		jq_log_error("job %" PRId64 ": out of memory resolving its dependents", id);
		return;
	}
	/* Cancelled dependents come back here: a loop, not a recursion as deep as the chain. */
	if (ds->draining)
		return;
	ds->draining = true;
	while (ds->n_ended > 0) {
		int64_t next = ds->ended[--ds->n_ended];
		handle_ended(d, next);
	}
	ds->draining = false;
	jq_dispatch_schedule(d);
}

const char *jq_dispatch_wait_reason_known(struct jq_daemon *d, const struct jq_job *j,
					  int64_t pending_dep, char *buf, size_t n)
{
	struct jq_dispatch *ds = d->dispatch;
	const struct jq_tenant_config *t;
	size_t ti;

	/* A held job stands nowhere in the queue until it is released. */
	if (j->state == JQ_JOB_HELD && j->hold_admin) {
		snprintf(buf, n, "held by admin '%s'", j->hold_admin);
		return buf;
	}
	if (j->state == JQ_JOB_HELD)
		return "held by owner";
	if (pending_dep > 0) {
		snprintf(buf, n, "dependency %" PRId64, pending_dep);
		return buf;
	}
	if (!ds || tenant_index(d, j->tenant, &ti) < 0)
		return "tenant removed";
	t = &d->config->tenants[ti];
	return jq_fs_wait_to_string(jq_fs_why(ds->fs, ti, job_memory(j, t)));
}

const char *jq_dispatch_wait_reason(struct jq_daemon *d, const struct jq_job *j, char *buf,
				    size_t n, int64_t *ret_position)
{
	int64_t dep = -1, pos;

	if (j->state == JQ_JOB_HELD)
		return jq_dispatch_wait_reason_known(d, j, -1, buf, n);
	if (jq_store_sched_position(d->store, j->tenant, j->priority, j->id, &pos) >= 0)
		*ret_position = pos;
	if (jq_store_sched_pending_dep(d->store, j->id, &dep) < 0)
		dep = -1;
	return jq_dispatch_wait_reason_known(d, j, dep, buf, n);
}

/* MemTotal of /proc/meminfo, the default memory budget; -1 if unknown. */
static int64_t mem_total(void)
{
	_cleanup_free_ char *data = NULL;
	unsigned long long kib;
	const char *p;

	if (jq_read_file("/proc/meminfo", 64 * 1024, &data, NULL) < 0)
		return -1;
	p = strstr(data, "MemTotal:");
	if (!p || sscanf(p, "MemTotal: %llu kB", &kib) != 1)
		return -1;
	return (int64_t)kib * 1024;
}

static int on_usage(const char *tenant, int64_t cpu_usec, int64_t finished_at, void *u)
{
	struct jq_daemon *d = u;
	size_t i;

	if (tenant_index(d, tenant, &i) >= 0)
		jq_fs_usage_add(d->dispatch->fs, i, (double)cpu_usec / 1e6, finished_at);
	return 0;
}

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c *= 2;
	return c;
}

static int dispatch_build(struct jq_daemon *d)
{
	const struct jq_config *c = d->config;
	struct jq_dispatch *ds;
	int64_t now = jq_now_usec();
	int r;

	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return -ENOMEM;
	d->dispatch = ds;
	ds->memory_budget = c->memory_budget > 0 ? c->memory_budget : mem_total();
	ds->host_cpus_milli = jq_admission_host_cpus_milli();
	ds->fs = jq_fs_new(c->fairshare_half_life_usec, c->max_running, ds->memory_budget, now);
	ds->n_tenants = c->n_tenants;
	ds->names_cap = pow2_at_least(2 * c->n_tenants + 1);
	ds->names = calloc(ds->names_cap, sizeof(size_t));
	ds->dirty = calloc(c->n_tenants + 1, sizeof(bool));
	ds->dirty_list = calloc(c->n_tenants + 1, sizeof(size_t));
	if (!ds->fs || !ds->names || !ds->dirty || !ds->dirty_list || runs_grow(ds) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_tenants; i++) {
		const struct jq_tenant_config *t = &c->tenants[i];
		size_t idx, mask = ds->names_cap - 1, h;

		r = jq_fs_tenant_add(ds->fs, t->weight, t->max_running, t->memory_max, &idx);
		if (r < 0)
			return r;
		for (h = hash_str(t->name) & mask; ds->names[h]; h = (h + 1) & mask)
			;
		ds->names[h] = i + 1;
		mark_dirty(ds, i);
	}
	r = jq_store_sched_usage(d->store, now - HISTORY_HALF_LIVES * c->fairshare_half_life_usec,
				 on_usage, d);
	if (r < 0)
		return r;
	jq_dispatch_adopt_runs(d);
	return 0;
}

int jq_dispatch_init(struct jq_daemon *d)
{
	int r = dispatch_build(d);

	/* Nothing half-built stays behind: dispatch() and share test d->dispatch. */
	if (r < 0)
		jq_dispatch_release(d);
	return r;
}

void jq_dispatch_adopt_runs(struct jq_daemon *d)
{
	struct jq_dispatch *ds = d->dispatch;

	if (!ds)
		return;
	for (struct jq_run *run = d->runs; run; run = run->next) {
		struct jq_fs_charge charge;
		struct jq_job j;
		size_t ti;

		if (run_find(ds, run->id) || tenant_index(d, run->tenant, &ti) < 0)
			continue;
		if (jq_store_job_get(d->store, run->id, &j) < 0)
			continue;
		jq_fs_job_adopt(ds->fs, ti, job_memory(&j, &d->config->tenants[ti]), jq_now_usec(),
				&charge);
		jq_job_release(&j);
		(void)run_put(ds, run->id, &charge);
	}
}

void jq_dispatch_release(struct jq_daemon *d)
{
	struct jq_dispatch *ds = d->dispatch;

	if (!ds)
		return;
	jq_fs_free(ds->fs);
	free(ds->names);
	free(ds->dirty);
	free(ds->dirty_list);
	free(ds->runs);
	free(ds->ended);
	free(ds);
	d->dispatch = NULL;
}

int jq_dispatch_reload(struct jq_daemon *d)
{
	jq_dispatch_release(d);
	return jq_dispatch_init(d);
}

struct jq_fs *jq_dispatch_policy(struct jq_daemon *d, size_t *ret_n_tenants)
{
	if (!d->dispatch)
		return NULL;
	*ret_n_tenants = d->dispatch->n_tenants;
	return d->dispatch->fs;
}

void jq_dispatch_stats(struct jq_daemon *d, struct jq_dispatch_stats *ret)
{
	struct jq_dispatch *ds = d->dispatch;

	*ret = (struct jq_dispatch_stats){0};
	if (!ds)
		return;
	ret->decisions = ds->decisions;
	ret->decision_nsec_avg = ds->decisions ? ds->decision_nsec_sum / ds->decisions : 0;
	ret->decision_nsec_max = ds->decision_nsec_max;
	ret->memory_budget = ds->memory_budget;
}
