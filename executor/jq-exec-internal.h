/* SPDX-License-Identifier: MIT */
/*
 * Private declarations shared by the files of executor/: the job child's
 * setup steps, the log pump, and the supervision of one job. Nothing here
 * crosses the module boundary; jq-exec.h is the public header.
 */
#ifndef JQ_EXEC_INTERNAL_H
#define JQ_EXEC_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jq-exec.h"

/* The fds the forked child needs; everything else it closes. */
struct jq_exec_child_fds {
	int stdout_fd; /* write end of the stdout pipe */
	int stderr_fd; /* write end of the stderr pipe */
	int report_fd; /* close-on-exec pipe: a failed step is written here */
};

/*
 * Runs as the sandbox's init (PID 1 of the job's namespaces, released by
 * jq_exec_spawn_job): sets up the sandbox, forks the job, which runs its
 * own steps and execs, and reaps until the job ends. privileged: the
 * helper is root and mapped the job's groups. Never returns: a failed
 * step is reported on fds->report_fd and the child exits; a failed exec
 * prints a shell-like message to the job's stderr and exits 127 (not
 * found) or 126.
 */
_Noreturn void jq_exec_child_run(const struct jq_exec_spec *s, const struct jq_exec_child_fds *fds,
				 void *seccomp_ctx, bool privileged);

/*
 * Reads the child's report from fd until EOF. Returns 1 and a new message
 * "<step>: <strerror> ('<value>')" if the child reported a failed step, 0 if
 * it reached exec (nothing was written), -EBADMSG for a partial report,
 * -ENOMEM, -errno of read(2). The sandbox's init reports the job's own
 * wait status the same way: *ret_status is set to it when it did (the
 * init's exit status cannot carry a death by signal: see jq-exec-child.c).
 */
int jq_exec_child_report_read(int fd, char **ret_message, int *ret_status);

/* One of the job's output streams: a pipe drained into a log file. */
struct jq_exec_stream {
	int in_fd;  /* read end of the pipe (non-blocking); -1 once at EOF */
	int out_fd; /* the log file */
	bool truncated;
};

/* stdout and stderr of a job, capped together at cap bytes. */
struct jq_exec_log {
	struct jq_exec_stream streams[2];
	int64_t cap;
	int64_t used;
	int write_err; /* first error writing a log file, 0 if none */
	char buf[64 * 1024];
};

/* Takes ownership of nothing: fds are set by the caller; all start at -1. */
void jq_exec_log_init(struct jq_exec_log *l, int64_t cap);
/* Closes the fds still open. */
void jq_exec_log_release(struct jq_exec_log *l);
/*
 * Moves one read's worth of data of stream i into its log file, dropping
 * what does not fit under the cap. Returns 1 if data was read, 0 at EOF (the
 * pipe is then closed), -EAGAIN if nothing is available, -errno of read(2)
 * (the pipe is then closed). Failed writes are recorded in write_err and
 * are not fatal: output keeps being drained so the job never blocks.
 */
int jq_exec_log_pump(struct jq_exec_log *l, size_t i);
/* Reads stream i until it would block or ends, at most max_reads reads. */
void jq_exec_log_drain(struct jq_exec_log *l, size_t i, unsigned max_reads);
/* Stops reading: closes the pipes still open. */
void jq_exec_log_close_input(struct jq_exec_log *l);
/* True while at least one stream is open. */
bool jq_exec_log_open(const struct jq_exec_log *l);
/*
 * Appends the truncation marker to every stream that lost data. Returns
 * true if any did.
 */
bool jq_exec_log_finish(struct jq_exec_log *l);

/* What the helper should report about itself, beside the job's result. */
struct jq_exec_diag {
	int log_err;	  /* first error writing a log file */
	size_t n_left;	  /* descendants still alive after the last kill */
	bool drain_cut;	  /* an output pipe was still open when draining ended */
	int report_err;	  /* the child's report could not be read */
	const char *step; /* helper step that failed (result is FAILED_TO_START) */
	int step_err;
};

/*
 * Runs one job: opens <run_dir>/stdout and stderr, forks the child, copies
 * its output, enforces the timeout, handles cancel signals read from sfd (a
 * signalfd for SIGCHLD, SIGTERM, SIGINT, SIGHUP, blocked by the caller),
 * reaps the whole tree (the caller made the process a child subreaper) and
 * fills *ret with the outcome and the accounting. A failure of the helper's
 * own setup is a FAILED_TO_START result naming the step. Returns 0, or
 * -ENOMEM when not even the result could be built.
 */
int jq_exec_run(const char *run_dir, const struct jq_exec_spec *s, int sfd,
		struct jq_exec_result *ret, struct jq_exec_diag *diag);

/*
 * The seam between how the job process is created (the sandbox: fork or
 * clone3 with namespaces, id maps, the init) and where it is placed (the
 * cgroup backend). jq_exec_spawn_job() creates the child blocked, calls
 * place() with its pid (v1: write every hierarchy's cgroup.procs), then
 * releases it into jq_exec_child_run(): no instruction of the job runs
 * outside its cgroup. cgroup_fd >= 0 (v2) places it at clone time with
 * CLONE_INTO_CGROUP instead.
 */
struct jq_exec_spawn_opts {
	int cgroup_fd;
	int (*place)(pid_t pid, void *userdata);
	void *place_data;
};

/*
 * Creates the job process. Returns its pid (as seen by the helper), or
 * -errno; on failure *ret_step names the step ("fork", "place", ...) and no
 * child is left behind.
 */
pid_t jq_exec_spawn_job(const struct jq_exec_spec *s, const struct jq_exec_child_fds *fds,
			const struct jq_exec_spawn_opts *o, const char **ret_step);

/*
 * cgroups (issue 3), jq-exec-cgroup.c: the job's cgroup around the job.
 * jq_exec_cg_open opens the cgroup named in the spec (*ret NULL without
 * one); jq_exec_cg_place is the place() callback of the spawn seam;
 * jq_exec_cg_finish, once the job tree is reaped, empties the cgroup, puts
 * the kernel's accounting into res and removes the cgroup.
 */
struct jq_cg_job;
int jq_exec_cg_open(const struct jq_exec_spec *s, struct jq_cg_job **ret);
int jq_exec_cg_place(pid_t pid, void *userdata);
void jq_exec_cg_finish(struct jq_cg_job *cg, struct jq_exec_result *res);

/*
 * sandbox (issue 4), jq-exec-sandbox.c: the pieces of the job's sandbox,
 * in the order docs/sandbox.md gives. All return 0 or -errno.
 */
/* Helper side: writes the job's uid/gid maps into pid's user namespace. */
int jq_exec_sandbox_id_maps(pid_t pid, const struct jq_exec_spec *s, bool privileged,
			    const char **ret_step);
/* In the sandbox's init, inside its namespaces, still privileged there. */
int jq_exec_sandbox_loopback_up(void);
/*
 * What a failed setup step reports: its name, a reason to print in place
 * of strerror (NULL: strerror), and the value it was about (a path).
 */
struct jq_exec_fail {
	const char *step;   /* static string */
	const char *reason; /* static string or NULL */
	char *value;
	size_t value_size;
};
/*
 * Every mount (jq-exec-mounts.c), as the job's fsuid/fsgid. On success
 * *ret_cwd_fd is an O_PATH fd of the job's working directory in the
 * finished tree, for the job to fchdir() to; on failure f says why.
 */
int jq_exec_sandbox_mounts(const struct jq_exec_spec *s, struct jq_exec_fail *f, int *ret_cwd_fd);
int jq_exec_sandbox_bounding_drop(void);
int jq_exec_sandbox_caps_clear(void);
/* The deny-list, built by the helper before the clone, loaded by the job. */
int jq_exec_sandbox_seccomp_new(void **ret_ctx);
int jq_exec_sandbox_seccomp_load(void *ctx);
void jq_exec_sandbox_seccomp_free(void *ctx);

/*
 * The "<step>: <strerror> ('<value>')" message of a failed step; reason
 * (may be NULL) replaces strerror.
 */
char *jq_exec_step_message(const char *step, int err, const char *reason, const char *value);

/*
 * Paths a user controls (jq-exec-path.c). jq_exec_path_open opens path
 * (absolute and canonical, jq_path_canonical) below root_fd, a directory
 * that stands for "/", as an O_PATH | O_CLOEXEC fd of exactly the object
 * at that path: no symlink or magic link is followed, not even the last
 * component. JQ_EXEC_PATH_DIR: it must be a directory. Returns the fd or
 * -EINVAL (not canonical), -ELOOP (a component is a symlink), -ENOENT,
 * -ENOTDIR, -EACCES, -ENAMETOOLONG, -errno of openat2/openat. Lookups run
 * with the caller's fsuid, fsgid and groups.
 */
enum jq_exec_path_flags {
	JQ_EXEC_PATH_DIR = 1 << 0,
};
int jq_exec_path_open(int root_fd, const char *path, enum jq_exec_path_flags flags);
/*
 * Copies the next component of the relative path *rel ("a/b") into name and
 * moves *rel past it. Returns 1, 0 at the end, -ENAMETOOLONG.
 */
int jq_exec_path_next(const char **rel, char name[NAME_MAX + 1]);
/*
 * Test hook: true makes jq_exec_path_open walk component by component as
 * on kernels without openat2 (jobq-exec sets it from JOBQ_EXEC_TEST_NO_OPENAT2).
 */
void jq_exec_path_force_walk(bool on);
/* 1 if fd lies on a filesystem of the kernel's own state (proc, sysfs, cgroup...), 0 if not. */
int jq_exec_path_kernel_fs(int fd);

#endif
