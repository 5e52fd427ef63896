/* SPDX-License-Identifier: MIT */
/*
 * The config module: the INI file (inih) into a typed, validated struct.
 * Every error names the file, the line and the key.
 */
#ifndef JQ_CONFIG_H
#define JQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line the loader accepts (Debian's inih cuts at 200 bytes). */
#define JQ_CONFIG_MAX_LINE    199
#define JQ_CONFIG_MAX_TENANTS 4096

enum jq_cgroup_mode {
	JQ_CGROUP_AUTO = 0,
	JQ_CGROUP_V2,
	JQ_CGROUP_V1,
	JQ_CGROUP_NONE,
};

enum jq_config_sync {
	JQ_CONFIG_SYNC_FULL = 0,
	JQ_CONFIG_SYNC_NORMAL,
};

/* What SIGTERM does to running jobs (daemon key `shutdown`). */
enum jq_shutdown {
	JQ_SHUTDOWN_LEAVE = 0, /* they keep running; the next jobqd adopts them */
	JQ_SHUTDOWN_DRAIN,     /* wait for them to end, then exit */
	JQ_SHUTDOWN_KILL,      /* cancel them, wait for them to end, then exit */
};

/* sandbox (issue 4): the seccomp deny-list of every job, or none. */
enum jq_seccomp_mode {
	JQ_SECCOMP_DEFAULT = 0,
	JQ_SECCOMP_OFF,
};

enum jq_network {
	JQ_NETWORK_NONE = 0,
	JQ_NETWORK_HOST,
};

/* -1 in an int64_t field means "not set". */
struct jq_tenant_config {
	char *name;
	int64_t weight;	       /* 1..10000, default 100 */
	int64_t cpu_max_milli; /* -1 = no cap */
	int64_t memory_max;    /* bytes, -1 = no cap */
	int64_t pids_max;      /* -1 = no cap */
	int64_t max_running;   /* -1 = only the global limit */
	int64_t max_queued;    /* default 10000 */
	char **users;	       /* NULL-terminated, never NULL */
	char **groups;
	char **admins;
	char *run_as; /* NULL = the submitter */
	enum jq_network network;
	int64_t default_memory; /* bytes, -1 = none */
	int64_t default_timeout_usec;
	int64_t max_timeout_usec;
	/* sandbox (issue 4): what the tenant's jobs see, docs/sandbox.md */
	int64_t tmp_size;  /* bytes of the private /tmp, default 1G */
	int64_t nofile;	   /* RLIMIT_NOFILE of its jobs, default 4096 */
	char **ro_paths;   /* absolute, never NULL: bound read-only */
	char **rw_paths;   /* absolute, never NULL: bound read-write */
	char **hide_paths; /* absolute, never NULL: made invisible */
	/* cgroups (issue 3): I/O caps, bytes/s of all its jobs on every block device */
	int64_t io_read_bps;  /* -1 = no cap */
	int64_t io_write_bps; /* -1 = no cap */
	/* issue 11: the highest --priority a member may ask for, -1000..1000, default 0 */
	int64_t max_priority;
	/* issue 11: a tenant's bytes */
	int64_t max_queued_bytes;    /* argv + env of its jobs not yet started, default 1G */
	int64_t max_log_bytes_total; /* logs its jobs hold on disk (+ reserved), default 64G */
	int line;		     /* line of the [tenant.NAME] header */
};

struct jq_config {
	char *path;	 /* the file it was loaded from */
	char *socket;	 /* absolute */
	char *database;	 /* absolute */
	char *state_dir; /* absolute */
	enum jq_cgroup_mode cgroup;
	char *cgroup_name;
	int64_t max_running;	 /* default 8 */
	int64_t kill_grace_usec; /* default 10s */
	int64_t max_log_bytes;	 /* default 64M */
	int64_t retention_usec;	 /* default 90d */
	enum jq_config_sync synchronous;
	enum jq_shutdown shutdown;    /* default leave */
	enum jq_seccomp_mode seccomp; /* sandbox (issue 4) */
	/* accounting (issue 6) */
	int64_t accounting_retention_usec; /* -1 = forever (the default) */
	/* fair share (issue 5) */
	int64_t fairshare_half_life_usec; /* decay of past usage, default 1h */
	int64_t memory_budget;		  /* bytes for all running jobs, -1 = MemTotal */
	/* connections: what one user may make the daemon hold */
	int64_t max_connections_per_user;  /* default 256; root is exempt */
	int64_t request_read_timeout_usec; /* first to last byte of a request, default 30s */
	/* cgroups (issue 3) */
	bool enforce_warn; /* enforce = warn: unenforceable limits are logged, not refused */
	/*
	 * issue 11: min_free_space, one of the two set (the other -1): new
	 * work is refused below it on state_dir's or the database's file system
	 */
	int64_t min_free_percent; /* 0..90, default 5 */
	int64_t min_free_bytes;
	struct jq_tenant_config *tenants;
	size_t n_tenants;
};

/*
 * Loads and validates path. Relative paths in the file (socket, database,
 * state_dir) are resolved against the directory of the file. On failure
 * returns -errno and sets *ret_err to "<file>:<line>: <key>: <what>"
 * (caller frees); on success *ret_err is untouched.
 */
int jq_config_load(const char *path, struct jq_config **ret, char **ret_err);

/* Frees a config. NULL-safe. */
void jq_config_free(struct jq_config *c);

/* The tenant named name, or NULL. */
const struct jq_tenant_config *jq_config_tenant(const struct jq_config *c, const char *name);

#endif
