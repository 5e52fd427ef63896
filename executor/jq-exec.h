/* SPDX-License-Identifier: MIT */
/*
 * The executor module: jobq-exec, the helper that owns one job from setup
 * to the last byte of accounting, and the records jobqd and jobq-exec
 * exchange through the job's run directory.
 *
 * Run directory <state_dir>/jobs/<id>/, mode 0700, owned by root:
 *   spec     written by jobqd before it starts jobq-exec
 *   stdout   the job's standard output, capped at max_log_bytes
 *   stderr   the job's standard error, capped at max_log_bytes
 *   result   written atomically by jobq-exec when the job has ended
 *
 * jobq-exec is started as `jobq-exec <run-dir>`. It must not depend on the
 * daemon after the job started: it runs in its own session, enforces the
 * timeout itself, and on SIGTERM (cancel) sends SIGTERM to the job, then
 * SIGKILL after kill_grace.
 */
#ifndef JQ_EXEC_H
#define JQ_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jq-job.h"

#define JQ_EXEC_SPEC_FILE   "spec"
#define JQ_EXEC_RESULT_FILE "result"
#define JQ_EXEC_STDOUT_FILE "stdout"
#define JQ_EXEC_STDERR_FILE "stderr"

/* Bytes jobq-exec reserves for the result at its start (>= any result). */
#define JQ_EXEC_RESULT_RESERVE (16 * 1024)
/* Largest record file jobqd or jobq-exec will read. */
#define JQ_EXEC_MAX_RECORD (2 * 1024 * 1024)
/* cgroups (issue 3): hierarchies a job's cgroup may span. */
#define JQ_EXEC_MAX_CGROUP_PATHS 8

/* sandbox (issue 4): the job's view of the host, docs/sandbox.md. */
#define JQ_EXEC_TMP_SIZE_DEFAULT  (1024LL * 1024 * 1024)
#define JQ_EXEC_NOFILE_DEFAULT	  4096
#define JQ_EXEC_MAX_SANDBOX_PATHS 256
/*
 * Resource limits every job gets (docs/sandbox.md, "Resource limits").
 * RLIMIT_NPROC counts the tasks of one uid in one user namespace: every
 * job has a namespace of its own, so it bounds one job, not its user.
 */
#define JQ_EXEC_NPROC_DEFAULT	  4096
#define JQ_EXEC_NPROC_MAX	  4194304
#define JQ_EXEC_RLIMIT_STACK	  (8 * 1024 * 1024)
#define JQ_EXEC_RLIMIT_MEMLOCK	  (8 * 1024 * 1024)
#define JQ_EXEC_RLIMIT_SIGPENDING 16384
#define JQ_EXEC_RLIMIT_MSGQUEUE	  819200

enum jq_exec_network {
	JQ_EXEC_NETWORK_NONE = 0, /* a new network namespace with lo only */
	JQ_EXEC_NETWORK_HOST = 1, /* the host's network namespace */
};

struct jq_exec_sandbox {
	char **hide_paths; /* NULL-terminated, never NULL once read: made invisible */
	char **ro_paths;   /* bound read-only at the same path (also under /tmp) */
	char **rw_paths;   /* bound read-write at the same path */
	int64_t tmp_size;  /* bytes of the private /tmp */
	int64_t nofile;	   /* RLIMIT_NOFILE, soft and hard */
	int64_t nproc;	   /* RLIMIT_NPROC, soft and hard: tasks of the job */
	enum jq_exec_network network;
	bool seccomp; /* install the deny-list */
};

/* What jobq-exec needs to run one job. Owned strings, like struct jq_job. */
struct jq_exec_spec {
	int64_t job_id;
	char **argv;
	char **env;
	char *cwd;
	int64_t uid; /* the account the job runs as */
	int64_t gid;
	int64_t *gids;
	size_t n_gids;
	struct jq_limits limits; /* effective limits */
	int64_t max_log_bytes;	 /* for stdout and stderr together */
	int64_t kill_grace_usec;
	/*
	 * cgroups (issue 3): the job's cgroup, made and limited by jobqd.
	 * cgroup_mode is an enum jq_cg_mode (jq-cgroup.h: 1 v2, 2 v1, 3 none);
	 * cgroup_paths is NULL or a NULL-terminated vector of at most
	 * JQ_EXEC_MAX_CGROUP_PATHS "<controllers>:<absolute dir>", one per
	 * hierarchy. jobq-exec places, kills, reads and removes it.
	 */
	int64_t cgroup_mode;
	char **cgroup_paths;
	/* sandbox (issue 4): what the job sees, docs/sandbox.md */
	struct jq_exec_sandbox sandbox;
};

enum jq_exec_status {
	JQ_EXEC_EXITED = 0,	     /* exit_code is set */
	JQ_EXEC_SIGNALED = 1,	     /* signal is set */
	JQ_EXEC_FAILED_TO_START = 2, /* message says which step failed */
};

enum jq_exec_end_cause {
	JQ_EXEC_END_NORMAL = 0,
	JQ_EXEC_END_TIMEOUT = 1, /* jobq-exec killed it at limits.timeout_usec */
	JQ_EXEC_END_CANCEL = 2,	 /* jobq-exec was asked to stop it (SIGTERM) */
};

struct jq_exec_result {
	int64_t job_id;
	enum jq_exec_status status;
	enum jq_exec_end_cause end_cause;
	int64_t exit_code;   /* -1 unless EXITED */
	int64_t signal;	     /* -1 unless SIGNALED */
	char *message;	     /* FAILED_TO_START: "<step>: <strerror>", else NULL */
	int64_t started_at;  /* usec since the epoch */
	int64_t finished_at; /* usec since the epoch */
	bool log_truncated;
	/* cpu, peak memory (ru_maxrss), io (ru_inblock/oublock * 512) of the
	 * whole reaped job tree; wall_usec; queue_wait_usec is left -1. */
	struct jq_accounting acct;
	/*
	 * cgroups (issue 3): with a job cgroup, cpu and peak memory come from
	 * the kernel's counters (and io on v2), read after the last process
	 * exited. oom_kills counts processes the OOM killer ended (-1 unknown);
	 * cgroup_note (may be NULL) says what went wrong with the cgroup.
	 */
	int64_t oom_kills;
	char *cgroup_note;
};

void jq_exec_spec_release(struct jq_exec_spec *s);
void jq_exec_result_release(struct jq_exec_result *r);

/* Writes <run_dir>/spec atomically (mode 0600). 0 or -errno. */
int jq_exec_spec_write(const char *run_dir, const struct jq_exec_spec *s);
/* Reads and validates <run_dir>/spec. 0, -ENOENT, -EBADMSG or -errno. */
int jq_exec_spec_read(const char *run_dir, struct jq_exec_spec *ret);

/* Writes <run_dir>/result atomically (mode 0600). 0 or -errno. */
int jq_exec_result_write(const char *run_dir, const struct jq_exec_result *r);
/*
 * Reserves the result's space before the job runs, so that a job that ran
 * records its end on a file system the job (or anyone) filled meanwhile:
 * creates <run_dir>/result.tmp.<pid>, allocates JQ_EXEC_RESULT_RESERVE
 * bytes; *ret_fd is for jq_exec_result_write_reserved. 0 or -errno.
 */
int jq_exec_result_reserve(const char *run_dir, int *ret_fd);
/* Writes the result into the reservation, then renames it to <run_dir>/result. */
int jq_exec_result_write_reserved(const char *run_dir, int fd, const struct jq_exec_result *r);
/* Reads <run_dir>/result: -ENOENT while the job has not ended. */
int jq_exec_result_read(const char *run_dir, struct jq_exec_result *ret);

/* "<state_dir>/jobs/<id>", newly allocated; NULL on allocation failure. */
char *jq_exec_run_dir(const char *state_dir, int64_t job_id);

#endif
