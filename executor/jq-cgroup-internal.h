/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of the cgroup manager: the hierarchy set every
 * cgroup of the tree is made of, the backend table, and file helpers
 * working on directory fds.
 */
#ifndef JQ_CGROUP_INTERNAL_H
#define JQ_CGROUP_INTERNAL_H

#include <stddef.h>

#include "jq-cgroup.h"

/* cpu, cpuacct, memory, pids, freezer, blkio, unified: 8 is plenty. */
#define JQ_CG_MAX_HIER 8
/* Largest cgroup file we read (cgroup.procs of a big job stays below). */
#define JQ_CG_MAX_FILE (1024 * 1024)
/* Block devices I/O caps are written for: more is a host we do not know. */
#define JQ_CG_MAX_DEVS 256
/* The v1 hierarchy a job is only placed in (struct jq_cg_dir.place_only). */
#define JQ_CG_V1_BLKIO "blkio"

/* One cgroup in one hierarchy. */
struct jq_cg_dir {
	char *ctl;  /* controllers of the hierarchy: "memory", "cpu,cpuacct", "unified" */
	char *path; /* absolute path of the directory */
	int fd;	    /* O_DIRECTORY, -1 if not open */
	/*
	 * v1 blkio of a job: its tenant's directory, where the job is only
	 * placed (blk-throttle is flat on v1: a tenant's cap reaches the
	 * processes in the tenant's own cgroup, not those of its children).
	 * Never killed, waited for or removed with the job.
	 */
	bool place_only;
};

/* One cgroup of the tree: the same relative path in every hierarchy. */
struct jq_cg_set {
	struct jq_cg_dir d[JQ_CG_MAX_HIER];
	size_t n;
};

struct jq_cg_ops {
	const char *name;
	/* Which limits and counters the hierarchies in m->base offer. */
	unsigned (*caps)(const struct jq_cg *m);
	/* After <base>/tenants exists: v2 moves the caller, enables controllers. */
	int (*setup)(struct jq_cg *m, bool move_self, char **ret_err);
	/* v2: enable in s the controllers its children need. */
	int (*delegate)(struct jq_cg_set *s);
	/* devs: the "MAJ:MIN" block devices I/O caps apply to. */
	int (*tenant_set)(struct jq_cg_set *s, const struct jq_cg_tenant_limits *l,
			  char *const *devs, struct jq_cg_tenant_limits *ret_eff, char **ret_msg);
	int (*job_set)(struct jq_cg_set *s, const struct jq_limits *l, struct jq_limits *ret_eff,
		       char **ret_msg);
	/* One round of SIGKILL to every process; 0 or -errno. */
	int (*kill)(struct jq_cg_set *s);
	int (*populated)(struct jq_cg_set *s);
	int (*stats)(struct jq_cg_set *s, struct jq_cg_stats *ret);
};

extern const struct jq_cg_ops jq_cg_ops_v2;
extern const struct jq_cg_ops jq_cg_ops_v1;
extern const struct jq_cg_ops jq_cg_ops_none;

struct jq_cg {
	enum jq_cg_mode mode;
	const struct jq_cg_ops *ops;
	bool hybrid;
	unsigned caps;
	struct jq_cg_set base; /* <own>/<name> */
	char *sys_block;       /* where the block devices are listed */
};

struct jq_cg_job {
	enum jq_cg_mode mode;
	const struct jq_cg_ops *ops;
	struct jq_cg_set set;
};

void jq_cg_set_release(struct jq_cg_set *s);
/* True if the comma-separated controller list has ctl. */
bool jq_cg_ctl_has(const char *list, const char *ctl);
/* The directory of the hierarchy that has controller ctl ("unified" for cgroup2), or NULL. */
struct jq_cg_dir *jq_cg_set_find(struct jq_cg_set *s, const char *ctl);
const struct jq_cg_dir *jq_cg_set_find_const(const struct jq_cg_set *s, const char *ctl);

/* Writes val to dir/file (one write, as the kernel wants it). 0 or -errno. */
int jq_cg_write(int dfd, const char *file, const char *val);
/* True if dir/file exists (a controller's file: the controller is there). */
bool jq_cg_has(int dfd, const char *file);
/* Reads dir/file into a new NUL-terminated buffer. */
int jq_cg_read(int dfd, const char *file, char **ret);
/* A file holding one integer or "max" (JQ_LIMIT_UNSET). */
int jq_cg_read_i64(int dfd, const char *file, int64_t *ret);
/* The value of key in a flat keyed file ("key value" lines). -ENOENT if absent. */
int jq_cg_read_key(int dfd, const char *file, const char *key, int64_t *ret);
/* SIGKILLs every pid listed in dir/cgroup.procs. Returns how many, or -errno. */
int jq_cg_kill_procs(int dfd);
/* 1 if dir/cgroup.procs lists a process, 0 if not. */
int jq_cg_procs_any(int dfd);
/* Kills until the set is empty, at most 5 s: 0, -EBUSY, -errno. */
int jq_cg_kill_until_empty(const struct jq_cg_ops *ops, struct jq_cg_set *s);
/* Removes every directory of the set (by path), retrying while busy. */
int jq_cg_set_rmdir(struct jq_cg_set *s);
void jq_cg_sleep_usec(int64_t usec);
/* "limit '<what>' cannot be enforced: <why>" helpers. */
char *jq_cg_unenforceable(const char *what, int64_t v, const char *why);

/*
 * True if the job only joins hierarchy ctl's tenant cgroup (v1 blkio: the
 * throttle holds only the processes of the throttled cgroup itself), so
 * jobq-exec places there but never kills in or removes it.
 */
bool jq_cg_is_place_only(enum jq_cg_mode mode, const char *ctl);

#endif
