/* SPDX-License-Identifier: MIT */
/*
 * The [tenant.NAME] sections: who may submit, what the tenant's jobs may
 * use, and the defaults its jobs get.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jq-config-internal.h"
#include "jq-parse.h"

static int parse_run_as(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			const char *value);
static int parse_network(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
static int parse_path_list(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			   const char *value);

enum {
	TK_WEIGHT,
	TK_CPU_MAX,
	TK_MEMORY_MAX,
	TK_PIDS_MAX,
	TK_MAX_RUNNING,
	TK_MAX_QUEUED,
	TK_USERS,
	TK_GROUPS,
	TK_ADMINS,
	TK_RUN_AS,
	TK_NETWORK,
	TK_DEFAULT_MEMORY,
	TK_DEFAULT_TIMEOUT,
	TK_MAX_TIMEOUT,
	/* sandbox (issue 4) */
	TK_TMP_SIZE,
	TK_NOFILE,
	TK_RO_PATHS,
	TK_RW_PATHS,
	TK_HIDE_PATHS,
	/* cgroups (issue 3): I/O caps */
	TK_IO_READ_BPS,
	TK_IO_WRITE_BPS,
	/* issue 11: policy */
	TK_MAX_PRIORITY,
	/* issue 11: a tenant's bytes */
	TK_MAX_QUEUED_BYTES,
	TK_MAX_LOG_BYTES_TOTAL,
	_TK_MAX,
};
_Static_assert(_TK_MAX <= JQ_CONFIG_MAX_KEYS, "p->key_line is too small for the tenant keys");

#define F(field) offsetof(struct jq_tenant_config, field)

/*
 * Sanity ranges, so that a typo (a missing unit, a stray zero) is refused
 * instead of becoming a limit nobody meant:
 * - weight 1..10000: the range of cgroup v2 cpu.weight.
 * - cpu_max 0.01..4096 CPUs: 0.01 is the smallest quota the kernel takes
 *   (1ms per 100ms period); 4096 CPUs is more than any host we run on.
 * - memory_max, default_memory 1M..1024T: below 1M nothing starts.
 * - pids_max 1..4194304: the kernel's PID_MAX_LIMIT on 64-bit.
 * - max_running 1..4096: the same bound as the global limit.
 * - max_queued 0..1000000: 0 closes the tenant to new jobs; every queued
 *   job is a database row and memory in the daemon, so it stays bounded.
 * - default_timeout, max_timeout 1s..365d.
 */
static const struct jq_config_key tenant_keys[_TK_MAX] = {
    [TK_WEIGHT] = {"weight", jq_config_parse_int, F(weight), 1, 10000, "1..10000", false},
    [TK_CPU_MAX] = {"cpu_max", jq_config_parse_cpus, F(cpu_max_milli), 10, 4096 * 1000,
		    "0.01..4096", false},
    [TK_MEMORY_MAX] = {"memory_max", jq_config_parse_size, F(memory_max), MIB, 1024 * TIB,
		       "1M..1024T", false},
    [TK_PIDS_MAX] = {"pids_max", jq_config_parse_int, F(pids_max), 1, 4194304, "1..4194304", false},
    [TK_MAX_RUNNING] = {"max_running", jq_config_parse_int, F(max_running), 1, 4096, "1..4096",
			false},
    [TK_MAX_QUEUED] = {"max_queued", jq_config_parse_int, F(max_queued), 0, 1000000, "0..1000000",
		       false},
    /* Lists repeat and accumulate, so that long lists can span lines. */
    [TK_USERS] = {"users", jq_config_parse_list, F(users), 0, 0, NULL, true},
    [TK_GROUPS] = {"groups", jq_config_parse_list, F(groups), 0, 0, NULL, true},
    [TK_ADMINS] = {"admins", jq_config_parse_list, F(admins), 0, 0, NULL, true},
    [TK_RUN_AS] = {"run_as", parse_run_as, F(run_as), 0, 0, NULL, false},
    [TK_NETWORK] = {"network", parse_network, F(network), 0, 0, "none|host", false},
    [TK_DEFAULT_MEMORY] = {"default_memory", jq_config_parse_size, F(default_memory), MIB,
			   1024 * TIB, "1M..1024T", false},
    [TK_DEFAULT_TIMEOUT] = {"default_timeout", jq_config_parse_duration, F(default_timeout_usec),
			    SEC, 365 * DAY, "1s..365d", false},
    [TK_MAX_TIMEOUT] = {"max_timeout", jq_config_parse_duration, F(max_timeout_usec), SEC,
			365 * DAY, "1s..365d", false},
    /*
     * sandbox (issue 4): tmp_size 1M..1T (the private /tmp is memory);
     * nofile 64..1048576 (the kernel's default nr_open); each path list
     * at most 64 absolute paths, so that jobq's own hidden paths still fit
     * in the helper's limit of 256.
     */
    [TK_TMP_SIZE] = {"tmp_size", jq_config_parse_size, F(tmp_size), MIB, TIB, "1M..1T", false},
    [TK_NOFILE] = {"nofile", jq_config_parse_int, F(nofile), 64, 1048576, "64..1048576", false},
    [TK_RO_PATHS] = {"ro_paths", parse_path_list, F(ro_paths), 0, 0, NULL, true},
    [TK_RW_PATHS] = {"rw_paths", parse_path_list, F(rw_paths), 0, 0, NULL, true},
    [TK_HIDE_PATHS] = {"hide_paths", parse_path_list, F(hide_paths), 0, 0, NULL, true},
    /*
     * cgroups (issue 3): bytes per second, 1M..1T; below 1M/s a job's
     * writeback would stall its memory, and no disk we run on does 1T/s.
     */
    [TK_IO_READ_BPS] = {"io_read_bps", jq_config_parse_size, F(io_read_bps), MIB, TIB, "1M..1T",
			false},
    [TK_IO_WRITE_BPS] = {"io_write_bps", jq_config_parse_size, F(io_write_bps), MIB, TIB, "1M..1T",
			 false},
    /*
     * issue 11: priority orders the jobs of one tenant, so a member's high
     * --priority pushes teammates back. -1000..1000, the range of
     * --priority; the default 0 lets members lower their jobs, never raise
     * them above a teammate's default (like nice(1)). Admins and root are
     * not bound by it.
     */
    [TK_MAX_PRIORITY] = {"max_priority", jq_config_parse_int, F(max_priority), -1000, 1000,
			 "-1000..1000", false},
    /*
     * issue 11: max_queued_bytes 4K..1T (argv + env of the jobs not yet
     * started, an --array counted once; one submission is at most 1M);
     * max_log_bytes_total 4K..1024T (log bytes on disk, plus max_log_bytes
     * reserved per running job).
     */
    [TK_MAX_QUEUED_BYTES] = {"max_queued_bytes", jq_config_parse_size, F(max_queued_bytes), 4 * KIB,
			     TIB, "4K..1T", false},
    [TK_MAX_LOG_BYTES_TOTAL] = {"max_log_bytes_total", jq_config_parse_size, F(max_log_bytes_total),
				4 * KIB, 1024 * TIB, "4K..1024T", false},
};

#define MAX_SANDBOX_PATHS 64

/* Absolute and in the form the helper compares: no "//", ".", ".." or trailing '/', not "/". */
static bool sandbox_path_valid(const char *a, size_t n)
{
	/* "/" itself: the job's view is built on it; it is neither hidden nor rebound. */
	if (n <= 1 || n > 1024 || a[0] != '/' || a[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		size_t k = i + 1;
		if (a[i] != '/')
			continue;
		while (k < n && a[k] != '/')
			k++;
		if ((k == i + 1 && i + 1 < n) || (k == i + 2 && a[i + 1] == '.') ||
		    (k == i + 3 && a[i + 1] == '.' && a[i + 2] == '.'))
			return false;
	}
	return true;
}

/* A comma-separated list of absolute paths; repeated keys accumulate. */
static int parse_path_list(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			   const char *value)
{
	char ***vec = (char ***)((char *)obj + k->offset);
	size_t have = jq_strv_length(*vec), add = 1, i = 0;
	char **n;

	for (const char *s = value; *s; s++)
		add += *s == ',';
	if (have + add > MAX_SANDBOX_PATHS)
		return jq_config_fail(p, p->line, -E2BIG, k->name, NULL,
				      "too many paths (at most %d in all lines of the section)",
				      MAX_SANDBOX_PATHS);
	n = realloc(*vec, (have + add + 1) * sizeof(char *));
	if (!n)
		return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
	*vec = n;
	for (const char *s = value;; i++) {
		const char *e = strchrnul(s, ','), *a = s, *b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		n[have + i] = strndup(a, (size_t)(b - a));
		n[have + i + 1] = NULL;
		if (!n[have + i])
			return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
		if (!sandbox_path_valid(a, (size_t)(b - a))) {
			/* Dropped again: a refused line leaves the list as it was. */
			for (size_t d = have; d <= have + i; d++) {
				free(n[d]);
				n[d] = NULL;
			}
			return jq_config_fail(p, p->line, -EINVAL, k->name, value,
					      "not an absolute path below '/' without '.', "
					      "'..', '//' or a trailing '/'");
		}
		if (!*e)
			break;
		s = e + 1;
	}
	return 0;
}

static int parse_network(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	static const char *const names[] = {
	    [JQ_NETWORK_NONE] = "none",
	    [JQ_NETWORK_HOST] = "host",
	};
	int v, r;

	r = jq_config_parse_choice(p, k, value, names, JQ_ARRAY_SIZE(names), &v);
	if (r < 0)
		return r;
	((struct jq_tenant_config *)obj)->network = (enum jq_network)v;
	return 0;
}

/* 0 if the account exists (its uid in *ret_uid), -ENOENT if not, other -errno on failure. */
static int lookup_account(const char *name, uid_t *ret_uid)
{
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 4096;

	/* getpwnam_r: the daemon may reload its config while libuv's threads run. */
	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct passwd pw, *res = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r == ERANGE && size < 1024 * 1024) {
			size *= 2;
			continue;
		}
		if (r > 0)
			return -r;
		if (!res)
			return -ENOENT;
		*ret_uid = res->pw_uid;
		return 0;
	}
}

static int parse_run_as(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			const char *value)
{
	struct jq_tenant_config *t = obj;
	uid_t uid;
	int r;

	if (!strcmp(value, "submitter")) {
		free(t->run_as);
		t->run_as = NULL;
		return 0;
	}
	r = lookup_account(value, &uid);
	if (r == -ENOENT)
		return jq_config_fail(p, p->line, r, k->name, value,
				      "no such account (or 'submitter')");
	if (r < 0)
		return jq_config_fail(p, p->line, r, k->name, value, "cannot look up account: %s",
				      strerror(-r));
	/*
	 * The sandbox maps the job's uid into a user namespace; a fixed
	 * account is meant to be unprivileged, and naming root here would run
	 * every job of the tenant as host root.
	 */
	if (uid == 0)
		return jq_config_fail(p, p->line, -EPERM, k->name, value,
				      "refusing an account with uid 0");
	free(t->run_as);
	t->run_as = strdup(value);
	if (!t->run_as)
		return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
	return 0;
}

static struct jq_tenant_config *current(struct jq_config_parser *p)
{
	return &p->config->tenants[p->config->n_tenants - 1];
}

int jq_config_tenant_add(struct jq_config_parser *p, const char *name)
{
	struct jq_config *c = p->config;
	_cleanup_free_ char *key = jq_asprintf("[tenant.%s]", name);
	struct jq_tenant_config *t;

	if (!key)
		return jq_config_fail(p, p->line, -ENOMEM, NULL, NULL, "out of memory");
	if (!jq_tenant_name_valid(name))
		return jq_config_fail(p, p->line, -EINVAL, key, name,
				      "tenant name is not 1..64 letters, digits, '_' or '-'");
	for (size_t i = 0; i < c->n_tenants; i++)
		if (!strcmp(c->tenants[i].name, name))
			return jq_config_fail(p, p->line, -EEXIST, key, name,
					      "duplicate tenant (first on line %d)",
					      c->tenants[i].line);
	if (c->n_tenants >= JQ_CONFIG_MAX_TENANTS)
		return jq_config_fail(p, p->line, -E2BIG, key, NULL, "more than %d tenants",
				      JQ_CONFIG_MAX_TENANTS);

	if (c->n_tenants == p->tenants_allocated) {
		size_t n = p->tenants_allocated ? p->tenants_allocated * 2 : 8;
		if (n > JQ_CONFIG_MAX_TENANTS)
			n = JQ_CONFIG_MAX_TENANTS;
		t = realloc(c->tenants, n * sizeof(*t));
		if (!t)
			return jq_config_fail(p, p->line, -ENOMEM, key, NULL, "out of memory");
		c->tenants = t;
		p->tenants_allocated = n;
	}

	t = &c->tenants[c->n_tenants];
	*t = (struct jq_tenant_config){
	    .weight = 100,
	    .cpu_max_milli = -1,
	    .memory_max = -1,
	    .pids_max = -1,
	    .max_running = -1,
	    .max_queued = 10000,
	    .network = JQ_NETWORK_NONE,
	    .default_memory = -1,
	    .default_timeout_usec = -1,
	    .max_timeout_usec = -1,
	    .tmp_size = 1024 * MIB,
	    .nofile = 4096,
	    .io_read_bps = -1,
	    .io_write_bps = -1,
	    .max_priority = 0,
	    .max_queued_bytes = 1024 * MIB,
	    .max_log_bytes_total = 64 * 1024 * MIB,
	    .line = p->line,
	};
	t->name = strdup(name);
	t->users = calloc(1, sizeof(char *));
	t->groups = calloc(1, sizeof(char *));
	t->admins = calloc(1, sizeof(char *));
	t->ro_paths = calloc(1, sizeof(char *));
	t->rw_paths = calloc(1, sizeof(char *));
	t->hide_paths = calloc(1, sizeof(char *));
	/* Counted first, so that jq_config_free() releases a half-built tenant. */
	c->n_tenants++;
	if (!t->name || !t->users || !t->groups || !t->admins || !t->ro_paths || !t->rw_paths ||
	    !t->hide_paths)
		return jq_config_fail(p, p->line, -ENOMEM, key, NULL, "out of memory");
	return 0;
}

int jq_config_tenant_set(struct jq_config_parser *p, const char *name, const char *value)
{
	struct jq_tenant_config *t = current(p);
	char in[sizeof("tenant.") + 64];

	snprintf(in, sizeof(in), "tenant.%s", t->name);
	return jq_config_set_key(p, tenant_keys, _TK_MAX, t, in, name, value);
}

int jq_config_tenant_finish(struct jq_config_parser *p)
{
	const struct jq_tenant_config *t = current(p);
	const int *line = p->key_line;

	if (line[TK_DEFAULT_TIMEOUT] && line[TK_MAX_TIMEOUT] &&
	    t->default_timeout_usec > t->max_timeout_usec) {
		char buf[32];
		return jq_config_fail(
		    p, line[TK_DEFAULT_TIMEOUT], -EINVAL, "default_timeout",
		    jq_format_duration((uint64_t)t->default_timeout_usec, buf, sizeof(buf)),
		    "larger than max_timeout on line %d", line[TK_MAX_TIMEOUT]);
	}
	if (line[TK_DEFAULT_MEMORY] && line[TK_MEMORY_MAX] && t->default_memory > t->memory_max) {
		char buf[32];
		return jq_config_fail(p, line[TK_DEFAULT_MEMORY], -EINVAL, "default_memory",
				      jq_format_size((uint64_t)t->default_memory, buf, sizeof(buf)),
				      "larger than memory_max on line %d", line[TK_MEMORY_MAX]);
	}
	return 0;
}

void jq_config_tenant_release(struct jq_tenant_config *t)
{
	free(t->name);
	jq_strv_free(t->users);
	jq_strv_free(t->groups);
	jq_strv_free(t->admins);
	jq_strv_free(t->ro_paths);
	jq_strv_free(t->rw_paths);
	jq_strv_free(t->hide_paths);
	free(t->run_as);
}
