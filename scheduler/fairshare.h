/* SPDX-License-Identifier: MIT */
/*
 * The fair-share policy, as pure functions: no libuv, no SQL, no clock of
 * its own (every call that needs the time takes `now`, usec). The daemon's
 * dispatch.c feeds it from the database and the runner; the simulation in
 * tests/unit/test-scheduler.c feeds it from a fake clock and a fake
 * executor. See docs/scheduling.md.
 *
 * A tenant's key is (decayed usage + running work) / weight. Decay is the
 * same factor for every tenant, so keys are kept in "inflated" units
 * (value * 2^((t - epoch) / half_life)), in which they never change with
 * time: the order of tenants only changes when a job starts or ends, and
 * a binary heap over the dispatchable tenants stays valid between those
 * events. Every operation is O(log tenants).
 */
#ifndef JQ_FAIRSHARE_H
#define JQ_FAIRSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A job costs at least this many CPU-seconds: zero-CPU jobs still take turns. */
#define JQ_FS_MIN_JOB_COST 0.01
/* What a tenant's first job is assumed to cost before any of its jobs ended. */
#define JQ_FS_DEFAULT_ESTIMATE 1.0

struct jq_fs;

/* Why a tenant's head job does not start now. */
enum jq_fs_wait {
	JQ_FS_WAIT_NONE = 0,	   /* it is dispatchable */
	JQ_FS_WAIT_NO_SLOT,	   /* global max_running, or other tenants' turn */
	JQ_FS_WAIT_TENANT_RUNNING, /* tenant max_running */
	JQ_FS_WAIT_TENANT_MEMORY,  /* tenant memory_max */
	JQ_FS_WAIT_HOST_MEMORY,	   /* the host memory budget */
};

/* "no free slot", "tenant max_running", ... */
const char *jq_fs_wait_to_string(enum jq_fs_wait w);

/*
 * What a started job was charged, kept by the caller until the job ends
 * and handed back to jq_fs_job_ended().
 */
struct jq_fs_charge {
	size_t tenant;
	int64_t memory;	    /* bytes counted against the caps, 0 = none */
	double estimate;    /* CPU-seconds charged at start */
	int64_t started_at; /* usec */
};

/*
 * A new policy. half_life_usec > 0; max_running >= 0 global slots;
 * memory_budget bytes for all running jobs, -1 = none. NULL on ENOMEM.
 */
struct jq_fs *jq_fs_new(int64_t half_life_usec, int64_t max_running, int64_t memory_budget,
			int64_t now);
void jq_fs_free(struct jq_fs *fs);

/*
 * Adds a tenant (index = number of tenants added before). weight 1..10000;
 * max_running, memory_max -1 = no cap. -ENOMEM, -EINVAL.
 */
int jq_fs_tenant_add(struct jq_fs *fs, int64_t weight, int64_t max_running, int64_t memory_max,
		     size_t *ret_index);
size_t jq_fs_n_tenants(const struct jq_fs *fs);

/* Charges CPU-seconds a tenant used, finished at `at` (history at start-up). */
void jq_fs_usage_add(struct jq_fs *fs, size_t tenant, double cpu_seconds, int64_t at);

/*
 * The tenant's first eligible waiting job changed: has = false when it has
 * none; else its id and the memory it needs (0 = none). A tenant that had
 * neither a waiting nor a running job becomes active here: its key is
 * raised to the current virtual time less one job's credit, so credit
 * banked while idle is bounded.
 */
void jq_fs_head_set(struct jq_fs *fs, size_t tenant, bool has, int64_t id, int64_t memory,
		    int64_t now);

/*
 * The tenant whose head job runs next, or -EAGAIN when no job may start
 * (no free slot, nothing eligible). Does not change anything but moves
 * tenants blocked only by the host memory budget aside until memory frees.
 */
int jq_fs_pick(struct jq_fs *fs, size_t *ret_tenant, int64_t *ret_job);

/*
 * The picked head job of tenant started: counts it, charges its running
 * work (the tenant's estimate) and fills *ret. The tenant has no head
 * until the caller sets the next one with jq_fs_head_set().
 */
void jq_fs_job_started(struct jq_fs *fs, size_t tenant, int64_t memory, int64_t now,
		       struct jq_fs_charge *ret);

/* A running job (adopted at start-up) counted without a pick. */
void jq_fs_job_adopt(struct jq_fs *fs, size_t tenant, int64_t memory, int64_t now,
		     struct jq_fs_charge *ret);

/*
 * A started job ended having used cpu_seconds (< 0: unknown, the
 * estimate stays charged): replaces its estimate by what it used.
 */
void jq_fs_job_ended(struct jq_fs *fs, const struct jq_fs_charge *c, double cpu_seconds,
		     int64_t now);

/* Why a job of tenant needing memory bytes waits, given the current state. */
enum jq_fs_wait jq_fs_why(const struct jq_fs *fs, size_t tenant, int64_t memory);

/* One tenant's numbers for `jobq share`. */
struct jq_fs_tenant_info {
	int64_t weight;
	double share;	  /* weight / sum of all weights */
	double usage;	  /* decayed CPU-seconds now */
	double effective; /* usage / sum of usages (0 when nobody used anything) */
	double key;	  /* (usage + running work) / weight, decayed to now */
	int64_t running;
	int64_t running_memory;
	bool has_head;
};

void jq_fs_tenant_info(const struct jq_fs *fs, size_t tenant, int64_t now,
		       struct jq_fs_tenant_info *ret);
int64_t jq_fs_running(const struct jq_fs *fs);
int64_t jq_fs_running_memory(const struct jq_fs *fs);

#endif
