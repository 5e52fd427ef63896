/* SPDX-License-Identifier: MIT */
/*
 * The fair-share policy (fairshare.h): a binary heap of dispatchable
 * tenants keyed by (usage + running work) / weight in inflated units.
 *
 * Why inflated units: usage decays by 2^(-dt / half_life) for every tenant
 * alike. Storing u * 2^((t - epoch) / half_life) instead of u makes a
 * charge made at time t weigh 2^(dt / half_life) more than one made dt
 * earlier, which is the same order decay gives, and nothing stored has to
 * change as time passes. Only the exponent grows: before it could overflow
 * a double, every stored value is scaled down by the same power of two and
 * the epoch moves, which keeps the heap order.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "fairshare.h"

#define NOT_IN_HEAP SIZE_MAX
/* Renormalize once the inflation factor passes 2^RENORM_EXP. */
#define RENORM_EXP 256
/* Weight of a finished job's cost in the tenant's running estimate. */
#define ESTIMATE_ALPHA 0.3

struct fs_tenant {
	double weight;
	int64_t max_running; /* -1 = no cap */
	int64_t memory_max;  /* -1 = no cap */
	double usage;	     /* decayed CPU-seconds, inflated */
	double charge;	     /* estimates of its running jobs, inflated */
	double estimate;     /* CPU-seconds the next job is assumed to cost */
	int64_t running;
	int64_t running_mem;
	bool has_head;
	int64_t head_id;
	int64_t head_mem;
	bool host_blocked;
	size_t heap_pos;
};

struct jq_fs {
	struct fs_tenant *t;
	size_t n, cap;
	size_t *heap; /* tenant indices, capacity cap */
	size_t heap_n;
	size_t *blocked; /* tenants set aside by the host memory budget */
	size_t n_blocked;
	double half_life; /* usec */
	int64_t epoch;
	double vtime; /* key of the last picked tenant: a floor for returning tenants */
	int64_t max_running;
	int64_t budget;
	int64_t running;
	int64_t running_mem;
};

const char *jq_fs_wait_to_string(enum jq_fs_wait w)
{
	switch (w) {
	case JQ_FS_WAIT_TENANT_RUNNING:
		return "tenant max_running";
	case JQ_FS_WAIT_TENANT_MEMORY:
		return "tenant memory cap";
	case JQ_FS_WAIT_HOST_MEMORY:
		return "host memory budget";
	case JQ_FS_WAIT_NONE:
	case JQ_FS_WAIT_NO_SLOT:
	default:
		return "no free slot";
	}
}

struct jq_fs *jq_fs_new(int64_t half_life_usec, int64_t max_running, int64_t memory_budget,
			int64_t now)
{
	struct jq_fs *fs;

	if (half_life_usec <= 0 || max_running < 0)
		return NULL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->half_life = (double)half_life_usec;
	fs->epoch = now;
	fs->max_running = max_running;
	fs->budget = memory_budget;
	return fs;
}

void jq_fs_free(struct jq_fs *fs)
{
	if (!fs)
		return;
	free(fs->t);
	free(fs->heap);
	free(fs->blocked);
	free(fs);
}

size_t jq_fs_n_tenants(const struct jq_fs *fs)
{
	return fs->n;
}

int64_t jq_fs_running(const struct jq_fs *fs)
{
	return fs->running;
}

int64_t jq_fs_running_memory(const struct jq_fs *fs)
{
	return fs->running_mem;
}

/*
 * 2^x without libm (the daemon does not link it; glibc's libc has ldexp):
 * the integer part exactly, the fraction by its series, which converges
 * to double precision in 16 terms for |f * ln 2| < 0.7.
 */
static double fs_exp2(double x)
{
	double ip = (double)(int64_t)x, f, term = 1, sum = 1;

	if (ip > x)
		ip -= 1;
	f = (x - ip) * 0.69314718055994530942;
	for (int n = 1; n < 16; n++) {
		term *= f / n;
		sum += term;
	}
	return ldexp(sum, (int)ip);
}

static double inflate(const struct jq_fs *fs, int64_t at)
{
	double e = (double)(at - fs->epoch) / fs->half_life;

	/* History older than 1000 half-lives weighs nothing; keep ldexp in range. */
	return e < -1000 ? 0 : fs_exp2(e);
}

static void renormalize(struct jq_fs *fs, int64_t now)
{
	double e = (double)(now - fs->epoch) / fs->half_life;
	double k, scale;

	if (e < RENORM_EXP)
		return;
	k = (double)(int64_t)e;
	scale = fs_exp2(-k);
	for (size_t i = 0; i < fs->n; i++) {
		fs->t[i].usage *= scale;
		fs->t[i].charge *= scale;
	}
	fs->vtime *= scale;
	fs->epoch += (int64_t)(k * fs->half_life);
}

static double key(const struct jq_fs *fs, size_t i)
{
	return (fs->t[i].usage + fs->t[i].charge) / fs->t[i].weight;
}

/* Ties go to the lower index, so that runs are reproducible. */
static bool before(const struct jq_fs *fs, size_t a, size_t b)
{
	double ka = key(fs, a), kb = key(fs, b);

	return ka < kb || (ka == kb && a < b);
}

static void heap_swap(struct jq_fs *fs, size_t x, size_t y)
{
	size_t a = fs->heap[x], b = fs->heap[y];

	fs->heap[x] = b;
	fs->heap[y] = a;
	fs->t[b].heap_pos = x;
	fs->t[a].heap_pos = y;
}

static void sift_up(struct jq_fs *fs, size_t pos)
{
	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (!before(fs, fs->heap[pos], fs->heap[parent]))
			break;
		heap_swap(fs, pos, parent);
		pos = parent;
	}
}

static void sift_down(struct jq_fs *fs, size_t pos)
{
	for (;;) {
		size_t l = 2 * pos + 1, r = l + 1, m = pos;
		if (l < fs->heap_n && before(fs, fs->heap[l], fs->heap[m]))
			m = l;
		if (r < fs->heap_n && before(fs, fs->heap[r], fs->heap[m]))
			m = r;
		if (m == pos)
			break;
		heap_swap(fs, pos, m);
		pos = m;
	}
}

static void heap_remove(struct jq_fs *fs, size_t i)
{
	size_t pos = fs->t[i].heap_pos, last = fs->heap_n - 1;

	if (pos != last)
		heap_swap(fs, pos, last);
	fs->heap_n--;
	fs->t[i].heap_pos = NOT_IN_HEAP;
	if (pos < fs->heap_n) {
		sift_up(fs, pos);
		sift_down(fs, fs->t[fs->heap[pos]].heap_pos);
	}
}

/* A job alone always fits: admission (admission.c) refused it if it asked for more than a cap. */
static bool mem_fits(int64_t cap, int64_t used, int64_t need)
{
	return cap < 0 || need <= 0 || used <= 0 || used + need <= cap;
}

static bool dispatchable(const struct fs_tenant *t)
{
	return t->has_head && (t->max_running < 0 || t->running < t->max_running) &&
	       mem_fits(t->memory_max, t->running_mem, t->head_mem);
}

/* Puts a tenant where its state says: in the heap (at its key's place) or out. */
static void update(struct jq_fs *fs, size_t i)
{
	struct fs_tenant *t = &fs->t[i];

	if (t->host_blocked)
		return;
	if (!dispatchable(t)) {
		if (t->heap_pos != NOT_IN_HEAP)
			heap_remove(fs, i);
		return;
	}
	if (t->heap_pos == NOT_IN_HEAP) {
		t->heap_pos = fs->heap_n;
		fs->heap[fs->heap_n++] = i;
		sift_up(fs, t->heap_pos);
		return;
	}
	sift_up(fs, t->heap_pos);
	sift_down(fs, t->heap_pos);
}

int jq_fs_tenant_add(struct jq_fs *fs, int64_t weight, int64_t max_running, int64_t memory_max,
		     size_t *ret_index)
{
	if (weight < 1 || weight > 10000)
		return -EINVAL;
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 16;
		struct fs_tenant *t = realloc(fs->t, ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		fs->t = t;
		size_t *h = realloc(fs->heap, ncap * sizeof(size_t));
		if (!h)
			return -ENOMEM;
		fs->heap = h;
		size_t *b = realloc(fs->blocked, ncap * sizeof(size_t));
		if (!b)
			return -ENOMEM;
		fs->blocked = b;
		fs->cap = ncap;
	}
	fs->t[fs->n] = (struct fs_tenant){
	    .weight = (double)weight,
	    .max_running = max_running,
	    .memory_max = memory_max,
	    .estimate = JQ_FS_DEFAULT_ESTIMATE,
	    .heap_pos = NOT_IN_HEAP,
	};
	*ret_index = fs->n++;
	return 0;
}

void jq_fs_usage_add(struct jq_fs *fs, size_t i, double cpu_seconds, int64_t at)
{
	if (i >= fs->n || cpu_seconds <= 0)
		return;
	renormalize(fs, at > fs->epoch ? at : fs->epoch);
	fs->t[i].usage += cpu_seconds * inflate(fs, at);
	update(fs, i);
}

void jq_fs_head_set(struct jq_fs *fs, size_t i, bool has, int64_t id, int64_t memory, int64_t now)
{
	struct fs_tenant *t;

	if (i >= fs->n)
		return;
	renormalize(fs, now);
	t = &fs->t[i];
	if (has && !t->has_head && t->running == 0) {
		/*
		 * Back from idle: whatever its usage decayed to, it starts at
		 * most one job ahead of where the busy tenants are, so it gets
		 * its share at once but cannot starve them with credit.
		 */
		double floor = fs->vtime - t->estimate * inflate(fs, now) / t->weight;
		if (key(fs, i) < floor)
			t->usage = floor * t->weight - t->charge;
	}
	t->has_head = has;
	t->head_id = has ? id : -1;
	t->head_mem = has && memory > 0 ? memory : 0;
	if (t->host_blocked) {
		/* A new head may fit where the old one did not: back into the heap. */
		for (size_t k = 0; k < fs->n_blocked; k++)
			if (fs->blocked[k] == i) {
				fs->blocked[k] = fs->blocked[--fs->n_blocked];
				break;
			}
		t->host_blocked = false;
	}
	update(fs, i);
}

int jq_fs_pick(struct jq_fs *fs, size_t *ret_tenant, int64_t *ret_job)
{
	while (fs->running < fs->max_running && fs->heap_n > 0) {
		size_t i = fs->heap[0];
		struct fs_tenant *t = &fs->t[i];

		if (!mem_fits(fs->budget, fs->running_mem, t->head_mem)) {
			/* Set aside until a job ends and frees memory: others may still fit. */
			heap_remove(fs, i);
			t->host_blocked = true;
			fs->blocked[fs->n_blocked++] = i;
			continue;
		}
		*ret_tenant = i;
		*ret_job = t->head_id;
		return 0;
	}
	return -EAGAIN;
}

static void count_start(struct jq_fs *fs, size_t i, int64_t memory, int64_t now,
			struct jq_fs_charge *ret)
{
	struct fs_tenant *t = &fs->t[i];

	renormalize(fs, now);
	if (memory < 0)
		memory = 0;
	t->running++;
	t->running_mem += memory;
	fs->running++;
	fs->running_mem += memory;
	t->charge += t->estimate * inflate(fs, now);
	*ret = (struct jq_fs_charge){
	    .tenant = i,
	    .memory = memory,
	    .estimate = t->estimate,
	    .started_at = now,
	};
}

void jq_fs_job_started(struct jq_fs *fs, size_t i, int64_t memory, int64_t now,
		       struct jq_fs_charge *ret)
{
	double k = key(fs, i);

	if (k > fs->vtime)
		fs->vtime = k;
	count_start(fs, i, memory, now, ret);
	fs->t[i].has_head = false;
	fs->t[i].head_id = -1;
	fs->t[i].head_mem = 0;
	update(fs, i);
}

void jq_fs_job_adopt(struct jq_fs *fs, size_t i, int64_t memory, int64_t now,
		     struct jq_fs_charge *ret)
{
	count_start(fs, i, memory, now, ret);
	update(fs, i);
}

void jq_fs_job_ended(struct jq_fs *fs, const struct jq_fs_charge *c, double cpu_seconds,
		     int64_t now)
{
	struct fs_tenant *t;
	size_t blocked;

	if (c->tenant >= fs->n)
		return;
	renormalize(fs, now);
	t = &fs->t[c->tenant];
	t->running--;
	t->running_mem -= c->memory;
	fs->running--;
	fs->running_mem -= c->memory;
	t->charge -= c->estimate * inflate(fs, c->started_at);
	/* Rounding must not leave a phantom charge behind. */
	if (t->running <= 0 || t->charge < 0)
		t->charge = 0;
	if (cpu_seconds < 0) {
		t->usage += c->estimate * inflate(fs, c->started_at);
	} else {
		double cost = cpu_seconds > JQ_FS_MIN_JOB_COST ? cpu_seconds : JQ_FS_MIN_JOB_COST;
		t->usage += cost * inflate(fs, now);
		t->estimate = (1 - ESTIMATE_ALPHA) * t->estimate + ESTIMATE_ALPHA * cost;
	}
	update(fs, c->tenant);
	/* Memory was freed: the tenants set aside for it get another look. */
	blocked = fs->n_blocked;
	fs->n_blocked = 0;
	for (size_t k = 0; k < blocked; k++) {
		fs->t[fs->blocked[k]].host_blocked = false;
		update(fs, fs->blocked[k]);
	}
}

enum jq_fs_wait jq_fs_why(const struct jq_fs *fs, size_t i, int64_t memory)
{
	const struct fs_tenant *t;

	if (i >= fs->n)
		return JQ_FS_WAIT_NO_SLOT;
	t = &fs->t[i];
	if (t->max_running >= 0 && t->running >= t->max_running)
		return JQ_FS_WAIT_TENANT_RUNNING;
	if (!mem_fits(t->memory_max, t->running_mem, memory))
		return JQ_FS_WAIT_TENANT_MEMORY;
	if (!mem_fits(fs->budget, fs->running_mem, memory))
		return JQ_FS_WAIT_HOST_MEMORY;
	return JQ_FS_WAIT_NO_SLOT;
}

void jq_fs_tenant_info(const struct jq_fs *fs, size_t i, int64_t now, struct jq_fs_tenant_info *ret)
{
	double wsum = 0, usum = 0, deflate = 1 / inflate(fs, now);
	const struct fs_tenant *t = &fs->t[i];

	for (size_t k = 0; k < fs->n; k++) {
		wsum += fs->t[k].weight;
		usum += fs->t[k].usage * deflate;
	}
	*ret = (struct jq_fs_tenant_info){
	    .weight = (int64_t)t->weight,
	    .share = wsum > 0 ? t->weight / wsum : 0,
	    .usage = t->usage * deflate,
	    .effective = usum > 0 ? t->usage * deflate / usum : 0,
	    .key = key(fs, i) * deflate,
	    .running = t->running,
	    .running_memory = t->running_mem,
	    .has_head = t->has_head,
	};
}
