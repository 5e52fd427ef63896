/* SPDX-License-Identifier: MIT */
/*
 * The cgroup manager: one interface, one backend per mode (cgroup v2,
 * v1 legacy/hybrid, none), chosen once when the manager is opened. Callers
 * never ask which version they run on: limits travel in cgroup v2 units
 * (struct jq_limits, struct jq_cg_tenant_limits) and the backend converts.
 *
 * The tree, per hierarchy, under the cgroup the caller was started in:
 *   <own>/<name>/daemon                  v2 only: the daemon moves itself here
 *   <own>/<name>/tenants/<tenant>        tenant caps and weight
 *   <own>/<name>/tenants/<tenant>/job-N  one job, its per-job limits
 * Every path is opened relative to a directory fd of the mount (openat,
 * mkdirat), so tests point the manager at a fake tree in a temp directory.
 *
 * Two sides use it: jobqd opens the manager (struct jq_cg), builds the
 * tenant parents and creates and limits each job's cgroup; jobq-exec opens
 * the job's cgroup from the paths in its spec (struct jq_cg_job), places,
 * kills, reads the accounting and removes it. Only forward declarations
 * cross this header.
 */
#ifndef JQ_CGROUP_H
#define JQ_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jq-job.h"

/* The values match enum jq_cgroup_mode of config/jq-config.h. */
enum jq_cg_mode {
	JQ_CG_AUTO = 0,
	JQ_CG_V2 = 1,
	JQ_CG_V1 = 2,
	JQ_CG_NONE = 3,
};

/* What the host can enforce, as found when the manager was opened. */
enum jq_cg_caps {
	JQ_CG_CAN_CPU = 1 << 0,	     /* weight and cpu_max */
	JQ_CG_CAN_MEMORY = 1 << 1,   /* memory_max, per-job memory */
	JQ_CG_CAN_PIDS = 1 << 2,     /* pids_max, per-job pids */
	JQ_CG_CAN_KILL = 1 << 3,     /* kill the whole tree (cgroup.kill or freezer) */
	JQ_CG_CAN_CPUACCT = 1 << 4,  /* cpu time from the kernel */
	JQ_CG_CAN_IO = 1 << 5,	     /* I/O bytes from the kernel (v2 io.stat) */
	JQ_CG_CAN_IO_LIMIT = 1 << 6, /* io_read_bps, io_write_bps (v2 io.max, v1 blkio throttle) */
};

/* A tenant's parent cgroup, in v2 units; -1 (JQ_LIMIT_UNSET) = no cap. */
struct jq_cg_tenant_limits {
	int64_t weight;	       /* 1..10000 (cpu.weight) */
	int64_t cpu_max_milli; /* 1000 = one CPU */
	int64_t memory_max;    /* bytes, no swap on top */
	int64_t pids_max;
	/*
	 * Bytes per second of all the tenant's jobs together, on every block
	 * device of the host; -1 (or 0, as in blkio) = no cap.
	 */
	int64_t io_read_bps;
	int64_t io_write_bps;
};

/* A job's cost as the kernel counted it; -1 where unknown. */
struct jq_cg_stats {
	int64_t cpu_user_usec;
	int64_t cpu_system_usec;
	int64_t memory_peak_bytes;
	int64_t io_read_bytes;
	int64_t io_write_bytes;
	int64_t oom_kills;
};

struct jq_cg_params {
	enum jq_cg_mode mode;	 /* AUTO detects */
	const char *root;	 /* where cgroupfs is mounted: "/sys/fs/cgroup" */
	const char *proc_cgroup; /* "/proc/self/cgroup" */
	const char *name;	 /* cgroup_name, one path component */
	bool move_self;		 /* v2: move the caller into <base>/daemon */
	const char *sys_block;	 /* the block devices I/O caps apply to: NULL = "/sys/block" */
};

struct jq_cg;
struct jq_cg_job;

/* "v2", "v1", "none", "auto". */
const char *jq_cg_mode_to_string(enum jq_cg_mode m);

/*
 * The mode the host offers under root: v2 if root is a cgroup2 mount, v1 if
 * it is a tmpfs of v1 hierarchies (hybrid or legacy), else none. Not root
 * (euid != 0) is none.
 */
enum jq_cg_mode jq_cg_detect(const char *root);

/*
 * Opens the manager and builds <own>/<name>/tenants in every hierarchy (and
 * moves the caller into <own>/<name>/daemon on v2 with move_self). Mode none
 * opens nothing and always succeeds. -errno with *ret_err on failure.
 */
int jq_cg_open(const struct jq_cg_params *p, struct jq_cg **ret, char **ret_err);
void jq_cg_free(struct jq_cg *m);

/* The accessors and the functions below take a NULL manager as mode none. */
enum jq_cg_mode jq_cg_mode(const struct jq_cg *m);
/* True on v1 when the controller-less cgroup2 mount is used beside it. */
bool jq_cg_hybrid(const struct jq_cg *m);
unsigned jq_cg_caps(const struct jq_cg *m);
/* Hierarchies in use, for `jobq doctor`: i-th controller list ("memory", "cpu,cpuacct", "unified").
 */
size_t jq_cg_n_hier(const struct jq_cg *m);
const char *jq_cg_hier_controllers(const struct jq_cg *m, size_t i);
/* Absolute path of <own>/<name> in hierarchy i. */
const char *jq_cg_hier_base(const struct jq_cg *m, size_t i);

/*
 * The block devices I/O caps apply to: every <sys_block>/<dev> with a
 * `device` link (real hardware; loop, ram, zram and dm have none), as
 * "MAJ:MIN" from its `dev` file, in directory order. A NULL-terminated
 * vector, empty when there is none.
 */
int jq_cg_block_devices(const char *sys_block, char ***ret);

/*
 * Creates (or keeps) <base>/tenants/<tenant> and writes its limits, reading
 * every value back into *ret_eff. I/O caps go to every device of
 * jq_cg_block_devices(); none found makes them unenforceable. A limit the host cannot enforce is an
 * error (-EOPNOTSUPP, *ret_msg says which) when strict; otherwise it is
 * left out of *ret_eff and *ret_msg says so (return 0). Other failures are
 * -errno with *ret_msg.
 */
int jq_cg_tenant_apply(struct jq_cg *m, const char *tenant, const struct jq_cg_tenant_limits *l,
		       bool strict, struct jq_cg_tenant_limits *ret_eff, char **ret_msg);

/*
 * Creates <base>/tenants/<tenant>/job-<id> with the job's cpus, memory and
 * pids (read back into *ret_eff; timeout is copied) and returns its
 * directories as "<controllers>:<absolute path>" strings for the job's
 * spec (an empty vector in mode none). Unenforceable limits as above.
 */
int jq_cg_job_create(struct jq_cg *m, const char *tenant, int64_t id, const struct jq_limits *l,
		     bool strict, struct jq_limits *ret_eff, char ***ret_paths, char **ret_msg);

/*
 * The check jq_cg_job_create starts with, alone (jobqd asks it at submit):
 * 0 if the host can enforce every limit in l; -EOPNOTSUPP and *ret_msg
 * naming the first one it cannot when strict; when not strict 0, with
 * *ret_msg listing those that would be dropped (NULL if none). pids are
 * always enforceable: RLIMIT_NPROC holds them without a pids controller.
 */
int jq_cg_job_check(const struct jq_cg *m, const struct jq_limits *l, bool strict, char **ret_msg);

/* Kills what is left in a job's cgroup and removes it. -ENOENT is 0. */
int jq_cg_job_remove(struct jq_cg *m, const char *tenant, int64_t id);

/* Calls cb for every job-<id> cgroup found under <base>/tenants. */
int jq_cg_job_scan(struct jq_cg *m, int (*cb)(const char *tenant, int64_t id, void *userdata),
		   void *userdata);

/* The job side (jobq-exec). paths as made by jq_cg_job_create. */
int jq_cg_job_open(enum jq_cg_mode mode, char *const *paths, struct jq_cg_job **ret);
void jq_cg_job_free(struct jq_cg_job *j);
/* A directory fd for clone3(CLONE_INTO_CGROUP) on v2, else -1. Owned by j. */
int jq_cg_job_clone_fd(const struct jq_cg_job *j);
/* Moves pid into the job's cgroup in every hierarchy. */
int jq_cg_job_place(struct jq_cg_job *j, pid_t pid);
/* SIGKILLs every process in the job's cgroup (also those that left its session). */
int jq_cg_job_kill(struct jq_cg_job *j);
/* Kills until the cgroup is empty, at most 5 s: 0, or -EBUSY if it is not. */
int jq_cg_job_kill_all(struct jq_cg_job *j);
/* 1 while a process is in the job's cgroup, 0 when empty, -errno. */
int jq_cg_job_populated(struct jq_cg_job *j);
/* The kernel's accounting of the job (read before jq_cg_job_destroy). */
int jq_cg_job_stats(struct jq_cg_job *j, struct jq_cg_stats *ret);
/* Removes the job's directories (empty them first with jq_cg_job_kill_all). */
int jq_cg_job_destroy(struct jq_cg_job *j);

#endif
