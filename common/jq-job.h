/* SPDX-License-Identifier: MIT */
/*
 * The job's plain values shared by every module: states and the one table
 * of legal transitions, and limits in cgroup v2 units.
 */
#ifndef JQ_JOB_H
#define JQ_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jq_job_state {
	JQ_JOB_QUEUED = 0,
	JQ_JOB_HELD,
	JQ_JOB_STARTING,
	JQ_JOB_RUNNING,
	JQ_JOB_SUCCEEDED,
	JQ_JOB_FAILED,
	JQ_JOB_TIMEOUT,
	JQ_JOB_OOM,
	JQ_JOB_CANCELLED,
	JQ_JOB_FAILED_TO_START,
	JQ_JOB_LOST,
	_JQ_JOB_STATE_MAX,
};

/* "queued", "held", ... ; NULL for an invalid state. */
const char *jq_job_state_to_string(enum jq_job_state s);

/* Parses a state name. 0 or -EINVAL. */
int jq_job_state_from_string(const char *s, enum jq_job_state *ret);

/* True for the end states (succeeded .. lost). */
bool jq_job_state_is_final(enum jq_job_state s);

/*
 * The state machine, in one place:
 *   queued   -> held, starting, cancelled
 *   held     -> queued, cancelled
 *   starting -> running, failed_to_start, cancelled, lost,
 *               queued (recovery: the daemon died before the helper existed)
 *   running  -> succeeded, failed, timeout, oom, cancelled, lost,
 *               failed_to_start (jobq-exec runs before the job's own code:
 *               a sandbox step can still fail after the helper started)
 * Nothing leaves an end state.
 */
bool jq_job_transition_valid(enum jq_job_state from, enum jq_job_state to);

/* "unset" for every limit below. */
#define JQ_LIMIT_UNSET (-1)

/* Limits in cgroup v2 units; every field may be JQ_LIMIT_UNSET. */
struct jq_limits {
	int64_t cpus_milli;   /* 1000 = one CPU (cpu.max quota/period) */
	int64_t memory_bytes; /* memory.max */
	int64_t pids;	      /* pids.max */
	int64_t timeout_usec; /* wall-clock limit, enforced by jobq-exec */
};

static inline struct jq_limits jq_limits_unset(void)
{
	return (struct jq_limits){JQ_LIMIT_UNSET, JQ_LIMIT_UNSET, JQ_LIMIT_UNSET, JQ_LIMIT_UNSET};
}

/* What a finished job cost. -1 where unknown. */
struct jq_accounting {
	int64_t cpu_user_usec;
	int64_t cpu_system_usec;
	int64_t memory_peak_bytes;
	int64_t io_read_bytes;
	int64_t io_write_bytes;
	int64_t wall_usec;
	int64_t queue_wait_usec;
};

/*
 * One job as the modules pass it around: a plain value record. Strings and
 * vectors are owned by the record; jq_job_release() frees them. Times are
 * usec since the epoch, -1 when unset; exit_code and signal are -1 when
 * unset.
 */
struct jq_job {
	int64_t id;
	char *tenant;
	char *user; /* submitter's user name */
	int64_t uid;
	int64_t gid;
	int64_t *gids; /* supplementary groups of the submitter */
	size_t n_gids;
	char *name;  /* may be NULL */
	char **argv; /* NULL-terminated, at least one element */
	char **env;  /* NULL-terminated "K=V" */
	char *cwd;
	int64_t priority;
	int64_t *after; /* job ids this job runs after */
	size_t n_after;
	struct jq_limits requested;
	struct jq_limits effective;
	enum jq_job_state state;
	char *reason; /* why it waits or how it ended; may be NULL */
	/*
	 * Held by this tenant admin (or root), not by the owner: only an admin
	 * of the tenant or root may release it. NULL otherwise.
	 */
	char *hold_admin;
	int64_t submitted_at;
	int64_t started_at;
	int64_t finished_at;
	int64_t exit_code;
	int64_t signal;
	int64_t helper_pid;	   /* jobq-exec's pid while running, else -1 */
	int64_t helper_start_time; /* its start time (proc(5) field 22), for pid reuse */
	bool has_accounting;
	struct jq_accounting acct;
};

/* Initialises j to an empty record (ids and times -1, limits unset). */
void jq_job_init(struct jq_job *j);
/* Frees what j owns and re-initialises it. NULL-safe. */
void jq_job_release(struct jq_job *j);

#endif
