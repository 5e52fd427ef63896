/* SPDX-License-Identifier: MIT */
/*
 * jobqd's private declarations, shared by the files of scheduler/. The
 * daemon ties config/, storage/ and executor/ together on one libuv loop;
 * libuv lives only here.
 */
#ifndef JOBQD_H
#define JOBQD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "jq-cgroup.h"
#include "jq-config.h"
#include "jq-exec.h"
#include "jq-frame.h"
#include "jq-job.h"
#include "jq-protocol.h"
#include "jq-store.h"
#include "jq-util.h"

/*
 * Connections served at once (fewer if RLIMIT_NOFILE is lower); the last
 * JQ_ROOT_RESERVE of them only to root, so that an administrator gets in
 * while other users hold the rest. Beyond, a connection gets an error and
 * is closed.
 */
#define JQ_MAX_CLIENTS	4096
#define JQ_ROOT_RESERVE 16
/* Requests handled per client per loop turn: the others' turn comes first. */
#define JQ_FRAMES_PER_TURN 64
/*
 * Memory of replies a client may leave unread (written but not flushed to
 * the socket, counted with their buffers) before its next request is
 * handled; the same for all the connections of one user together.
 */
#define JQ_CLIENT_MAX_PENDING (4 * 1024 * 1024)
#define JQ_USER_MAX_PENDING   (16 * 1024 * 1024)
/*
 * Bytes of requests not yet handled (their buffers) one user's connections
 * may make the daemon hold: a dozen maximum-size submissions in flight.
 */
#define JQ_USER_MAX_INPUT (16 * 1024 * 1024)

struct jq_daemon;
struct jq_unrecorded;
struct jq_user;
struct write_req;

/* Who is on the other end of a connection (SO_PEERCRED, SO_PEERGROUPS). */
struct jq_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t *gids;
	size_t n_gids;
	char *user; /* user name, or the uid in decimal */
};

struct jq_client {
	uv_pipe_t pipe; /* first: handle pointer == client pointer */
	struct jq_daemon *daemon;
	struct jq_client *next, *prev;
	struct jq_peer peer;
	struct jq_user *user; /* what the peer's uid holds in all */
	/*
	 * Bytes read but not yet handled: at most one frame plus a read, as
	 * reading is paused while whole frames wait.
	 */
	struct jq_framer in;
	size_t in_charged;    /* in's capacity, as counted in user->in_bytes */
	uint64_t frame_start; /* uv_now() when the partial frame began, 0 = none */
	struct jq_client *ready_next, *ready_prev; /* on d's ready list */
	bool ready;	     /* on the ready list: frames to handle next turn */
	uint64_t ready_turn; /* d->ready_turn when it was queued */
	bool serving;	     /* inside serve(): done needs no rescheduling */
	bool reading;
	bool busy;	    /* a request is being answered: reading is paused */
	bool output_paused; /* too many unread replies: requests wait */
	bool refused;	    /* an error was sent, the connection ends */
	bool closing;
	size_t pending_bytes; /* written but not yet flushed */
	/* Replies held back until the loop turn's batch is committed. */
	struct write_req *deferred, **deferred_tail;
	/* WAIT or LOGS --follow: the job being waited on, else -1. */
	int64_t wait_id;
	/* LOGS */
	int64_t log_id;
	bool log_follow;
	bool log_writing;
	int64_t log_off[2];
};

/* A job whose jobq-exec helper is alive. */
struct jq_run {
	struct jq_daemon *daemon;
	struct jq_run *next, *prev;
	int64_t id;
	char *tenant;
	char *run_dir;
	pid_t helper_pid;
	bool adopted; /* not our child: watched through a pidfd */
	bool cancel_requested;
	char *cancel_reason;
	uv_process_t proc; /* own children */
	uv_poll_t poll;	   /* adopted helpers */
	int pidfd;
	int64_t memory_limit; /* cgroups (issue 3): effective job limit, -1 = none */
	int64_t log_cap; /* issue 11: bytes of logs it may write (reserved against its tenant) */
};

struct jq_daemon {
	uv_loop_t loop;
	struct jq_config *config;
	struct jq_store *store;
	char *exec_path; /* jobq-exec beside jobqd */
	uv_pipe_t server;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_idle_t dispatch_idle;
	uv_timer_t log_timer;
	char read_buf[64 * 1024]; /* one loop thread: one read buffer */
	struct jq_client *clients;
	size_t n_clients;
	size_t max_clients; /* JQ_MAX_CLIENTS, or fewer for RLIMIT_NOFILE */
	struct jq_user *users;
	/* Clients with whole frames left after their turn's share (FIFO). */
	struct jq_client *ready_head, *ready_tail;
	uint64_t ready_turn;
	uv_idle_t ready_idle;
	uv_timer_t frame_timer; /* drops requests past request_read_timeout */
	uv_timer_t peer_timer;	/* closes connections whose peer left mid-request */
	struct jq_run *runs;
	size_t n_running;
	struct jq_dispatch *dispatch; /* fair share (issue 5): dispatch.c */
	bool loop_ready;
	/*
	 * Group commit: the writes of one loop turn's requests (handled in
	 * the ready pass, an idle handle) share one transaction, committed at
	 * the end of that pass; those of the I/O callbacks in batch_check
	 * (right after the poll phase). The replies they caused are sent only
	 * after the commit.
	 */
	bool batch_open;
	uv_check_t batch_check;
	bool server_open;
	bool stopping;
	bool privileged; /* running as root: jobs can run as other users */
	/* cgroups (issue 3): the tenant tree (cgroups.c); mode none without cgroups */
	struct jq_cg *cg;
	/* accounting (issue 6): retention, vacuum, checkpoints (maintenance.c) */
	uv_timer_t maintenance_timer;
	/* job ends not yet recorded, retried by a timer (unrecorded.c) */
	struct jq_unrecorded *unrecorded;
	uv_timer_t unrecorded_timer;
};

/* daemon.c */
int jq_daemon_init(struct jq_daemon *d, struct jq_config *config, char **ret_err);
int jq_daemon_run(struct jq_daemon *d);
void jq_daemon_release(struct jq_daemon *d);

/* A job ended: with a drain or kill shutdown under way, maybe stop. */
void jq_daemon_job_ended(struct jq_daemon *d);

/* server.c */
/*
 * Opens the loop turn's batch (BEGIN IMMEDIATE) if none is open: the
 * writes that follow join it, and every reply waits for its commit, so an
 * acknowledged submission is durable. Without a batch (begin failed) each
 * write commits on its own, as before.
 */
void jq_batch_begin(struct jq_daemon *d);
/* Starts the check handle that commits batches. */
void jq_batch_init(struct jq_daemon *d);
/* Stops accepting connections; those already open are served on. */
void jq_server_close_listener(struct jq_daemon *d);
/*
 * Binds the socket and starts the handles of the transport (ready list,
 * request deadline); jq_server_close() closes them all.
 */
int jq_server_listen(struct jq_daemon *d, char **ret_err);
void jq_server_close(struct jq_daemon *d);
/* Queues a finished frame to the client; the writer's buffer is taken. */
int jq_client_send(struct jq_client *c, struct jq_msg_writer *w);
/* Sends JQ_REP_ERROR with a positive errno and a message. */
int jq_client_send_error(struct jq_client *c, int err, const char *fmt, ...) _printf_(3, 4);
/*
 * The current request is answered: the next one is handled in a later
 * loop turn (never from inside this call), or read.
 */
void jq_client_done(struct jq_client *c);
void jq_client_close(struct jq_client *c);

/* requests.c */
void jq_request_handle(struct jq_client *c, const struct jq_msg *m);
/* Puts a job record into a reply. detail adds argv, env, cwd. */
void jq_job_put(struct jq_daemon *d, struct jq_msg_writer *w, const struct jq_job *j, bool detail);
/* The same with the wait reason and position (-1 = none) already known: no query. */
void jq_job_put_record(struct jq_msg_writer *w, const struct jq_job *j, const char *reason,
		       int64_t position, bool detail);

/* admission.c (hostile queries, issue 11): refuse, not clamp */
/* What the host has for jobs: a request above it is refused. -1 = unknown. */
struct jq_admission_host {
	int64_t memory_budget; /* bytes: [daemon] memory_budget, else MemTotal */
	int64_t cpus_milli;    /* the CPUs jobqd may run on */
};
/* The CPUs jobqd may run on (sched_getaffinity), in millicpus; -1 if unknown. */
int64_t jq_admission_host_cpus_milli(void);
/*
 * Checks a job's requested limits (and the tenant's default_memory where
 * --memory is unset) against the tenant's cpu_max, memory_max, pids_max
 * and the host. 0, or -ERANGE with *ret_err ("--memory 1000G exceeds the
 * host's memory budget (7.8G, ...)", caller frees), -ENOMEM.
 */
int jq_admission_check(const struct jq_limits *req, const struct jq_tenant_config *t,
		       const struct jq_admission_host *host, char **ret_err);
/* The host as the dispatcher sees it (after init and each reload). */
void jq_dispatch_admission_host(struct jq_daemon *d, struct jq_admission_host *ret);

/* req-list.c: LIST (hostile queries, issue 11) */
void jq_request_list(struct jq_client *c, const struct jq_msg *m);
/* A job reached an end state: answer WAITs and finish log followers. */
void jq_requests_job_ended(struct jq_daemon *d, int64_t id);

/* logs.c */
void jq_logs_start(struct jq_client *c, int64_t id, bool follow);
void jq_logs_pump(struct jq_client *c);
void jq_logs_timer_update(struct jq_daemon *d);

/* dispatch.c: fair share (issue 5), the policy itself is fairshare.c */
struct jq_fs;
/*
 * Builds the dispatcher from the config, the usage history in the
 * accounting table and the runs already linked. On failure the caller
 * still calls jq_dispatch_release().
 */
int jq_dispatch_init(struct jq_daemon *d);
/* Counts runs linked since (jobs adopted by jq_runner_recover()). */
void jq_dispatch_adopt_runs(struct jq_daemon *d);
void jq_dispatch_release(struct jq_daemon *d);
/* After a config reload: tenants, weights and caps may have changed. */
int jq_dispatch_reload(struct jq_daemon *d);
/* Fills free slots at the next loop turn. */
void jq_dispatch_schedule(struct jq_daemon *d);
/* The tenant's waiting jobs changed (submit, hold, release): look again. */
void jq_dispatch_tenant_changed(struct jq_daemon *d, const char *tenant);
/* A job reached an end state: frees its slot, charges its usage, resolves dependents. */
void jq_dispatch_job_ended(struct jq_daemon *d, int64_t id);
/*
 * Why a queued or held job waits ("held", "dependency N", "tenant
 * max_running", "tenant memory cap", "host memory budget", "no free
 * slot"), formatted into buf when needed; *ret_position is set to its place
 * among its tenant's queued jobs when known.
 */
const char *jq_dispatch_wait_reason(struct jq_daemon *d, const struct jq_job *j, char *buf,
				    size_t n, int64_t *ret_position);
/*
 * The same without a query: pending_dep is the job's lowest dependency not
 * yet ended (-1 = none), as a LIST page row carries it; no position.
 */
const char *jq_dispatch_wait_reason_known(struct jq_daemon *d, const struct jq_job *j,
					  int64_t pending_dep, char *buf, size_t n);
/* The policy for `jobq share`; NULL before init. */
struct jq_fs *jq_dispatch_policy(struct jq_daemon *d, size_t *ret_n_tenants);
struct jq_dispatch_stats {
	uint64_t decisions;
	uint64_t decision_nsec_avg;
	uint64_t decision_nsec_max;
	int64_t memory_budget; /* bytes, -1 = none */
};
void jq_dispatch_stats(struct jq_daemon *d, struct jq_dispatch_stats *ret);

/* req-share.c: SHARE */
void jq_request_share(struct jq_client *c, const struct jq_msg *m);

/* runner.c */
/*
 * A job's effective limits: its request filled from the tenant's default_*
 * and clamped to the tenant's caps (what dispatch admits on, and what
 * jq_runner_start applies).
 */
struct jq_limits jq_runner_effective_limits(const struct jq_job *j,
					    const struct jq_tenant_config *t);
/* Starts a queued job: effective limits, run directory, spec, jobq-exec. */
int jq_runner_start(struct jq_daemon *d, struct jq_job *j);
/* job-spec.c: what jobq-exec is told besides the command (allocated; NULL/-ENOMEM) */
char **jq_runner_job_env(const struct jq_job *j);
int jq_runner_sandbox_spec(struct jq_daemon *d, const struct jq_tenant_config *t,
			   struct jq_exec_sandbox *sb);
int64_t jq_runner_job_nproc(const struct jq_limits *eff, const struct jq_tenant_config *t);
int jq_runner_cancel(struct jq_daemon *d, int64_t id, const char *reason);
/* Closes the handles of all runs without touching their helpers. */
void jq_runner_forget_all(struct jq_daemon *d);
struct jq_run *jq_runner_find(struct jq_daemon *d, int64_t id);
size_t jq_runner_tenant_running(struct jq_daemon *d, const char *tenant);
/* Reconciles starting/running jobs of the database with their helpers. */
int jq_runner_recover(struct jq_daemon *d);
/*
 * Turns the helper's result in run->run_dir into the job's end state and
 * accounting, in one transaction. log_failure: log a failure to record it
 * (once, not at every retry). 0 or the store's -errno.
 */
int jq_runner_record_end(struct jq_daemon *d, struct jq_run *run, int64_t helper_status,
			 bool log_failure);

/* unrecorded.c: job ends the database refused, retried every second */
/* Takes run's strings (run itself stays the caller's) and retries its end. */
void jq_unrecorded_add(struct jq_daemon *d, struct jq_run *run, int64_t helper_status);
void jq_unrecorded_init(struct jq_daemon *d);
/* Forgets what is left (the next start's recovery records it from the result). */
void jq_unrecorded_release(struct jq_daemon *d);

/* req-report.c: REPORT */
void jq_request_report(struct jq_client *c, const struct jq_msg *m);

/* maintenance.c */
/* Starts the periodic retention / vacuum / checkpoint timer. */
void jq_maintenance_start(struct jq_daemon *d);
/* One pass; *ret_backlog (may be NULL) says a batch was full. */
void jq_maintenance_tick(struct jq_daemon *d, bool *ret_backlog);

/* cgroups.c (issue 3) */
/* Opens the cgroup tree of config->cgroup and applies every tenant's caps. */
int jq_cgroups_init(struct jq_daemon *d, char **ret_err);
/* (Re-)applies the tenants' caps of d->config; refused limits fail (unless enforce = warn). */
int jq_cgroups_apply_tenants(struct jq_daemon *d, const struct jq_config *c, char **ret_err);
/*
 * SUBMIT: with enforce = refuse, a job whose effective limits (request,
 * tenant defaults) the host cannot enforce is refused. Replies and returns
 * true when it is.
 */
bool jq_cgroups_submit_refused(struct jq_client *c, const struct jq_tenant_config *t,
			       const struct jq_job *j);
/* Kills and removes job cgroups no running job owns (after jq_runner_recover). */
void jq_cgroups_reconcile(struct jq_daemon *d);
void jq_cgroups_release(struct jq_daemon *d);
/* req-doctor.c: DOCTOR */
void jq_request_doctor(struct jq_client *c, const struct jq_msg *m);

/* budgets.c (issue 11): a tenant's bytes and the free disk space */
/*
 * Refuses a submission of bytes (argv + env, stored once) to t when
 * state_dir's or the database's file system is below min_free_space
 * (ENOSPC) or the tenant would pass max_queued_bytes or has reached
 * max_log_bytes_total (EDQUOT): then the client has its error and true is
 * returned. false: go on.
 */
bool jq_budget_refused(struct jq_client *c, const struct jq_tenant_config *t, int64_t bytes);
/* The log bytes a job of t starting now may write: max_log_bytes, or less within the budget. */
int64_t jq_budget_log_room(struct jq_daemon *d, const struct jq_tenant_config *t);
/* Log bytes the running jobs of tenant may still write (their caps); their number in *ret_running.
 */
int64_t jq_budget_log_reserved(struct jq_daemon *d, const char *tenant, size_t *ret_running);

/* auth.c */
int jq_peer_load(struct jq_peer *p, int fd);
void jq_peer_release(struct jq_peer *p);
bool jq_peer_is_root(const struct jq_peer *p);
/* May submit to the tenant: users, groups or admins, or root. */
bool jq_peer_may_submit(const struct jq_peer *p, const struct jq_tenant_config *t);
bool jq_peer_is_tenant_admin(const struct jq_peer *p, const struct jq_tenant_config *t);
/*
 * issue 11: whether the submitter of j may still submit to t (users,
 * groups, admins, root), with its account and groups as they are now
 * (getpwuid, getgrouplist), not as they were at submit. 0: yes, and (each
 * may be NULL) *ret_gid the group to run in (the one of the submission if
 * the user still has it, else its primary group) and *ret_gids the
 * supplementary groups of the submission it still has (caller frees).
 * -EPERM: no longer a member; other -errno: the lookup failed; both with
 * *ret_err ("user 'alice' is no longer a member of tenant 'acme'").
 */
int jq_peer_job_member(const struct jq_job *j, const struct jq_tenant_config *t, int64_t *ret_gid,
		       int64_t **ret_gids, size_t *ret_n_gids, char **ret_err);
/* May see and control the job: its submitter, a tenant admin, or root. */
bool jq_peer_may_access(struct jq_daemon *d, const struct jq_peer *p, const struct jq_job *j);
/* The same rule for a job known by its tenant and submitter's uid only. */
bool jq_peer_may_see(struct jq_daemon *d, const struct jq_peer *p, const char *tenant, int64_t uid);
/*
 * The tenants of the INI the peer administers (admin = true; with the
 * peer's own uid this is jq_peer_may_access() as a filter, which `jobq
 * list` passes to SQL) or may submit to (admin = false: what `jobq report`
 * shows). All for root. A NULL-terminated vector of borrowed names; the
 * caller frees the vector.
 */
int jq_peer_tenants(const struct jq_daemon *d, const struct jq_peer *p, bool admin, char ***ret);

#endif
