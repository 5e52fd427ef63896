/* SPDX-License-Identifier: MIT */
/*
 * The cgroup manager's policy-free part: detecting the mode once, finding
 * the cgroup we were started in per hierarchy (/proc/self/cgroup), building
 * the tree with mkdirat below directory fds, refusing or dropping limits the
 * host cannot enforce (the job handle of jobq-exec is in jq-cgroup-job.c).
 * Everything that
 * depends on the cgroup version is behind struct jq_cg_ops.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "jq-cgroup-internal.h"
#include "jq-parse.h"
#include "jq-util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* v1 hierarchies the backend uses; others (devices, net_cls, ...) are left alone. */
static const char *const v1_wanted[] = {"cpu", "cpuacct", "memory", "pids", "freezer", "blkio"};

const char *jq_cg_mode_to_string(enum jq_cg_mode m)
{
	switch (m) {
	case JQ_CG_AUTO:
		return "auto";
	case JQ_CG_V2:
		return "v2";
	case JQ_CG_V1:
		return "v1";
	case JQ_CG_NONE:
		return "none";
	}
	return "?";
}

enum jq_cg_mode jq_cg_detect(const char *root)
{
	struct statfs fs;

	if (geteuid() != 0)
		return JQ_CG_NONE;
	if (statfs(root, &fs) < 0)
		return JQ_CG_NONE;
	if (fs.f_type == CGROUP2_SUPER_MAGIC)
		return JQ_CG_V2;
	if (fs.f_type == TMPFS_MAGIC)
		return JQ_CG_V1;
	return JQ_CG_NONE;
}

/*
 * Opens (creating if needed) name below dfd. Mode 0700: the tree names
 * tenants and jobs and its files show their pids and memory use, which are
 * nobody else's business (only root, jobqd and jobq-exec, walks it).
 */
static int mkdir_open(int dfd, const char *name, bool create)
{
	int fd;

	if (create && JQ_RETRY_EINTR(mkdirat(dfd, name, 0700)) < 0 && errno != EEXIST)
		return -errno;
	fd = JQ_RETRY_EINTR(openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
	return fd < 0 ? -errno : fd;
}

/* A child cgroup of every directory of parent: child = parent/name. */
static int set_child(const struct jq_cg_set *parent, const char *name, bool create,
		     struct jq_cg_set *ret)
{
	struct jq_cg_set s = {0};
	int r = 0;

	for (size_t i = 0; i < parent->n; i++) {
		struct jq_cg_dir *d = &s.d[s.n];
		int fd = mkdir_open(parent->d[i].fd, name, create);
		if (fd == -ENOENT && !create)
			continue;
		if (fd < 0) {
			r = fd;
			break;
		}
		d->fd = fd;
		d->ctl = strdup(parent->d[i].ctl);
		d->path = jq_asprintf("%s/%s", parent->d[i].path, name);
		s.n++;
		if (!d->ctl || !d->path) {
			r = -ENOMEM;
			break;
		}
	}
	if (r < 0) {
		jq_cg_set_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

/* Tenants and job names become path components: refuse anything else. */
static bool component_valid(const char *s)
{
	return s && *s && strlen(s) < 256 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/*
 * Adds hierarchy ctl mounted at <root>/<dir> with our cgroup at own (from
 * /proc/self/cgroup), creating <own>/<name>.
 */
static int base_add(struct jq_cg *m, const char *root, const char *dir, const char *ctl,
		    const char *own, const char *name, char **ret_err)
{
	_cleanup_free_ char *mount = jq_asprintf("%s/%s", root, dir);
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int mfd = -1, ofd = -1;
	struct jq_cg_dir *d;
	int fd;

	if (!mount)
		return -ENOMEM;
	mfd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno == -ENOENT ? 0 : -errno; /* not mounted: not used */
	/*
	 * A directory without cgroup.procs is no cgroup hierarchy (`cgroup =
	 * v2` forced on a v1 host would otherwise build a tree in tmpfs).
	 */
	if (faccessat(mfd, "cgroup.procs", F_OK, 0) < 0) {
		if (m->mode == JQ_CG_V1)
			return 0;
		*ret_err = jq_asprintf("'%s' is not a cgroup2 mount", mount);
		return -ENOMEDIUM;
	}
	own += strspn(own, "/");
	if (*own) {
		ofd = openat(mfd, own, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ofd < 0) {
			int e = errno;
			*ret_err = jq_asprintf("cannot open our own cgroup '%s/%s': %s", mount, own,
					       strerror(e));
			return -e;
		}
	} else {
		ofd = TAKE_FD(mfd);
	}
	fd = mkdir_open(ofd, name, true);
	/* A base made by an older jobqd (0755) is closed too: one gate for all below. */
	if (fd >= 0 && fchmod(fd, 0700) < 0) {
		int e = -errno;
		close(fd);
		fd = e;
	}
	if (fd < 0) {
		*ret_err = jq_asprintf("cannot create cgroup '%s/%s%s%s': %s", mount, own,
				       *own ? "/" : "", name, strerror(-fd));
		return fd;
	}
	d = &m->base.d[m->base.n++];
	d->fd = fd;
	d->ctl = strdup(ctl);
	d->path = jq_asprintf("%s%s%s/%s", mount, *own ? "/" : "", own, name);
	if (!d->ctl || !d->path)
		return -ENOMEM;
	return 0;
}

static bool v1_is_wanted(const char *ctls)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(v1_wanted); i++)
		if (jq_cg_ctl_has(ctls, v1_wanted[i]))
			return true;
	return false;
}

/* The cgroup2 mount beside v1 controllers: <root>/unified with a cgroup.procs. */
static bool unified_present(const char *root)
{
	_cleanup_free_ char *p = jq_asprintf("%s/unified/cgroup.procs", root);

	return p && access(p, F_OK) == 0;
}

/* "<x>/<name>/daemon" -> "<x>"; anything else unchanged. New string. */
static char *own_strip_daemon(const char *own, const char *name)
{
	_cleanup_free_ char *suffix = jq_asprintf("/%s/daemon", name);
	size_t n = strlen(own), k;

	if (!suffix)
		return NULL;
	k = strlen(suffix);
	if (n >= k && !strcmp(own + n - k, suffix))
		return n == k ? strdup("/") : strndup(own, n - k);
	return strdup(own);
}

/* Builds m->base from the lines of /proc/self/cgroup. */
static int base_build(struct jq_cg *m, const struct jq_cg_params *p, char **ret_err)
{
	_cleanup_free_ char *data = NULL;
	char *save = NULL;
	int r;

	r = jq_read_file(p->proc_cgroup, 64 * 1024, &data, NULL);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot read '%s': %s", p->proc_cgroup, strerror(-r));
		return r;
	}
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		const char *ctls = c1 + 1, *own = c2 + 1;
		_cleanup_free_ char *own_fixed = NULL;
		if (m->base.n == JQ_CG_MAX_HIER)
			break;
		if (*ctls == '\0') {
			/*
			 * On cgroup2 the daemon moved itself into
			 * <own>/<name>/daemon (no internal processes). A
			 * restarted jobqd that starts there (exec'd in place,
			 * or placed beside the old one by its supervisor)
			 * belongs to the same tree, not to a new one nested
			 * inside it: its own cgroup is <own> again.
			 */
			own_fixed = own_strip_daemon(own, p->name);
			if (!own_fixed)
				return -ENOMEM;
			own = own_fixed;
			/* 0::/path: the cgroup2 hierarchy. */
			if (m->mode == JQ_CG_V2)
				r = base_add(m, p->root, ".", "unified", own, p->name, ret_err);
			else if (unified_present(p->root)) {
				r = base_add(m, p->root, "unified", "unified", own, p->name,
					     ret_err);
				m->hybrid = r >= 0 && jq_cg_set_find(&m->base, "unified");
			} else
				continue;
		} else if (m->mode == JQ_CG_V1 && v1_is_wanted(ctls)) {
			r = base_add(m, p->root, ctls, ctls, own, p->name, ret_err);
		} else {
			continue;
		}
		if (r < 0)
			return r;
	}
	if (m->base.n == 0) {
		*ret_err = jq_asprintf("no usable cgroup %s hierarchy under '%s' for us in '%s'",
				       jq_cg_mode_to_string(m->mode), p->root, p->proc_cgroup);
		return -ENOENT;
	}
	/* v2: the base path in the one hierarchy ends in "/./name": tidy it. */
	for (size_t i = 0; i < m->base.n; i++) {
		char *s = strstr(m->base.d[i].path, "/./");
		if (s)
			memmove(s, s + 2, strlen(s + 2) + 1);
	}
	return 0;
}

int jq_cg_open(const struct jq_cg_params *p, struct jq_cg **ret, char **ret_err)
{
	struct jq_cg *m;
	struct jq_cg_set tenants = {0};
	int r;

	if (!component_valid(p->name)) {
		*ret_err = jq_asprintf("invalid cgroup name '%s'", p->name ? p->name : "");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->mode = p->mode == JQ_CG_AUTO ? jq_cg_detect(p->root) : p->mode;
	m->sys_block = strdup(p->sys_block ? p->sys_block : "/sys/block");
	if (!m->sys_block) {
		free(m);
		return -ENOMEM;
	}
	m->ops = m->mode == JQ_CG_V2   ? &jq_cg_ops_v2
		 : m->mode == JQ_CG_V1 ? &jq_cg_ops_v1
				       : &jq_cg_ops_none;
	if (m->mode == JQ_CG_NONE) {
		*ret = m;
		return 0;
	}
	r = base_build(m, p, ret_err);
	if (r >= 0) {
		r = set_child(&m->base, "tenants", true, &tenants);
		if (r < 0)
			*ret_err = jq_asprintf("cannot create '%s/tenants': %s", m->base.d[0].path,
					       strerror(-r));
	}
	jq_cg_set_release(&tenants);
	if (r >= 0)
		r = m->ops->setup(m, p->move_self, ret_err);
	if (r < 0) {
		jq_cg_free(m);
		return r;
	}
	m->caps = m->ops->caps(m);
	*ret = m;
	return 0;
}

void jq_cg_free(struct jq_cg *m)
{
	if (!m)
		return;
	jq_cg_set_release(&m->base);
	free(m->sys_block);
	free(m);
}

enum jq_cg_mode jq_cg_mode(const struct jq_cg *m)
{
	return m ? m->mode : JQ_CG_NONE;
}

bool jq_cg_hybrid(const struct jq_cg *m)
{
	return m && m->hybrid;
}

unsigned jq_cg_caps(const struct jq_cg *m)
{
	return m ? m->caps : 0;
}

size_t jq_cg_n_hier(const struct jq_cg *m)
{
	return m ? m->base.n : 0;
}

const char *jq_cg_hier_controllers(const struct jq_cg *m, size_t i)
{
	return m && i < m->base.n ? m->base.d[i].ctl : NULL;
}

const char *jq_cg_hier_base(const struct jq_cg *m, size_t i)
{
	return m && i < m->base.n ? m->base.d[i].path : NULL;
}

/* What a NULL manager means: no cgroups. */
static struct jq_cg none_manager = {.mode = JQ_CG_NONE, .ops = &jq_cg_ops_none};

static const char *mode_why(const struct jq_cg *m, const char *ctl)
{
	if (m->mode == JQ_CG_NONE)
		return geteuid() ? "cgroups are off (cgroup mode none: jobqd does not run as root)"
				 : "cgroups are off (cgroup mode none)";
	return ctl;
}

/*
 * Drops (or, when strict, refuses) *v if the host lacks cap. Messages of
 * dropped limits accumulate in *msg, "; "-separated.
 */
static int check_have(const struct jq_cg *m, bool have, const char *what, int64_t *v,
		      const char *why, bool strict, char **msg)
{
	_cleanup_free_ char *one = NULL;
	char *all;

	if (*v == JQ_LIMIT_UNSET || have)
		return 0;
	one = jq_cg_unenforceable(what, *v, mode_why(m, why));
	if (!one)
		return -ENOMEM;
	if (strict) {
		free(*msg);
		*msg = TAKE_PTR(one);
		return -EOPNOTSUPP;
	}
	all = *msg ? jq_asprintf("%s; %s", *msg, one) : TAKE_PTR(one);
	if (!all)
		return -ENOMEM;
	free(*msg);
	*msg = all;
	*v = JQ_LIMIT_UNSET;
	return 0;
}

static int check_cap(const struct jq_cg *m, unsigned cap, const char *what, int64_t *v,
		     const char *why, bool strict, char **msg)
{
	return check_have(m, (jq_cg_caps(m) & cap) != 0, what, v, why, strict, msg);
}

int jq_cg_tenant_apply(struct jq_cg *m, const char *tenant, const struct jq_cg_tenant_limits *l,
		       bool strict, struct jq_cg_tenant_limits *ret_eff, char **ret_msg)
{
	struct jq_cg_tenant_limits want = *l, eff;
	struct jq_cg_set tenants = {0}, t = {0};
	_cleanup_free_ char *msg = NULL;
	_cleanup_strv_ char **devs = NULL;
	bool io_ok;
	int r;

	if (!m)
		m = &none_manager;

	if (!component_valid(tenant)) {
		*ret_msg = jq_asprintf("invalid tenant name '%s'", tenant);
		return -EINVAL;
	}
	if (want.io_read_bps <= 0)
		want.io_read_bps = JQ_LIMIT_UNSET;
	if (want.io_write_bps <= 0)
		want.io_write_bps = JQ_LIMIT_UNSET;
	/* Listed on every apply: a reload sees a disk added since. */
	if (m->mode != JQ_CG_NONE) {
		r = jq_cg_block_devices(m->sys_block, &devs);
		if (r < 0) {
			*ret_msg = jq_asprintf("tenant '%s': cannot list the block devices in "
					       "'%s': %s",
					       tenant, m->sys_block, strerror(-r));
			return r;
		}
	}
	io_ok = (m->caps & JQ_CG_CAN_IO_LIMIT) && devs && devs[0];
	/* The default weight is no demand: every tenant has one. */
	if (want.weight == 100)
		want.weight = JQ_LIMIT_UNSET;
	r = check_cap(m, JQ_CG_CAN_CPU, "weight", &want.weight, "no cpu controller", strict, &msg);
	if (r >= 0)
		r = check_cap(m, JQ_CG_CAN_CPU, "cpu_max (millicpus)", &want.cpu_max_milli,
			      "no cpu controller", strict, &msg);
	if (r >= 0)
		r = check_cap(m, JQ_CG_CAN_MEMORY, "memory_max (bytes)", &want.memory_max,
			      "no memory controller", strict, &msg);
	if (r >= 0)
		r = check_cap(m, JQ_CG_CAN_PIDS, "pids_max", &want.pids_max, "no pids controller",
			      strict, &msg);
	for (int i = 0; i < 2 && r >= 0; i++)
		r = check_have(
		    m, io_ok, i ? "io_write_bps" : "io_read_bps",
		    i ? &want.io_write_bps : &want.io_read_bps,
		    !(m->caps & JQ_CG_CAN_IO_LIMIT)
			? (m->mode == JQ_CG_V1 ? "no blkio hierarchy" : "no io controller")
			: "no block device with a device link in /sys/block",
		    strict, &msg);
	if (r < 0) {
		*ret_msg = jq_asprintf("tenant '%s': %s", tenant, msg ? msg : strerror(-r));
		return r;
	}
	if (m->mode == JQ_CG_NONE) {
		eff = want;
		goto done;
	}
	r = set_child(&m->base, "tenants", false, &tenants);
	if (r >= 0)
		r = m->ops->delegate(&tenants);
	if (r >= 0)
		r = set_child(&tenants, tenant, true, &t);
	if (r >= 0)
		r = m->ops->delegate(&t);
	if (r < 0) {
		*ret_msg = jq_asprintf("cannot create the cgroup of tenant '%s': %s", tenant,
				       strerror(-r));
		goto out;
	}
	if (want.weight == JQ_LIMIT_UNSET && (m->caps & JQ_CG_CAN_CPU))
		want.weight = 100; /* written anyway: a reload back to the default must undo */
	r = m->ops->tenant_set(&t, &want, devs, &eff, ret_msg);
	if (r < 0)
		goto out;
done:
	if (msg) {
		*ret_msg = jq_asprintf("tenant '%s': %s", tenant, msg);
		if (!*ret_msg) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret_eff = eff;
	r = 0;
out:
	jq_cg_set_release(&tenants);
	jq_cg_set_release(&t);
	return r;
}

bool jq_cg_is_place_only(enum jq_cg_mode mode, const char *ctl)
{
	return mode == JQ_CG_V1 && !strcmp(ctl, JQ_CG_V1_BLKIO);
}

/*
 * The cgroup of a job: tenants/<tenant>/job-<id> in every hierarchy but
 * v1's blkio, where the job runs in its tenant's own cgroup (added as
 * place_only with with_place, for the job's spec).
 */
static int job_set_open(struct jq_cg *m, const char *tenant, int64_t id, bool create,
			bool with_place, struct jq_cg_set *ret)
{
	struct jq_cg_set tenants = {0}, t = {0}, s = {0}, place = {0};
	char name[32];
	int r;

	if (!component_valid(tenant))
		return -EINVAL;
	snprintf(name, sizeof(name), "job-%" PRId64, id);
	r = set_child(&m->base, "tenants", false, &tenants);
	if (r >= 0)
		r = set_child(&tenants, tenant, create, &t);
	/* Moved out of t before making the children: no job-<id> there. */
	for (size_t i = 0; r >= 0 && i < t.n; i++) {
		if (!jq_cg_is_place_only(m->mode, t.d[i].ctl))
			continue;
		place.d[place.n] = t.d[i];
		place.d[place.n].place_only = true;
		place.n++;
		memmove(&t.d[i], &t.d[i + 1], (t.n - i - 1) * sizeof(t.d[0]));
		t.n--;
		i--;
	}
	if (r >= 0)
		r = set_child(&t, name, create, &s);
	if (r >= 0 && s.n == 0)
		r = -ENOENT; /* in no hierarchy at all */
	if (r >= 0 && with_place) {
		for (size_t i = 0; i < place.n && s.n < JQ_CG_MAX_HIER; i++) {
			s.d[s.n++] = place.d[i];
			place.d[i] = (struct jq_cg_dir){.fd = -1};
		}
	}
	jq_cg_set_release(&tenants);
	jq_cg_set_release(&t);
	jq_cg_set_release(&place);
	if (r < 0) {
		jq_cg_set_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

/*
 * A job's pids limit holds without a pids controller too: jobq-exec sets
 * RLIMIT_NPROC to it, and that counts the tasks of the job's uid in the
 * job's own user namespace, which is exactly the job (docs/sandbox.md).
 */
static int job_limits_check(const struct jq_cg *m, struct jq_limits *want, bool strict, char **msg)
{
	int r;

	r = check_cap(m, JQ_CG_CAN_CPU, "cpus (millicpus)", &want->cpus_milli, "no cpu controller",
		      strict, msg);
	if (r >= 0)
		r = check_cap(m, JQ_CG_CAN_MEMORY, "memory (bytes)", &want->memory_bytes,
			      "no memory controller", strict, msg);
	return r;
}

int jq_cg_job_check(const struct jq_cg *m, const struct jq_limits *l, bool strict, char **ret_msg)
{
	struct jq_limits want = *l;
	_cleanup_free_ char *msg = NULL;
	int r = job_limits_check(m ? m : &none_manager, &want, strict, &msg);

	if (msg)
		*ret_msg = TAKE_PTR(msg);
	return r;
}

int jq_cg_job_create(struct jq_cg *m, const char *tenant, int64_t id, const struct jq_limits *l,
		     bool strict, struct jq_limits *ret_eff, char ***ret_paths, char **ret_msg)
{
	struct jq_limits want = *l, eff;
	struct jq_cg_set s = {0};
	_cleanup_free_ char *msg = NULL;
	_cleanup_strv_ char **paths = NULL;
	int r;

	if (!m)
		m = &none_manager;

	r = job_limits_check(m, &want, strict, &msg);
	if (r < 0) {
		*ret_msg = TAKE_PTR(msg);
		return r;
	}
	/* Without a pids controller RLIMIT_NPROC alone holds the job's pids. */
	if (!(jq_cg_caps(m) & JQ_CG_CAN_PIDS))
		want.pids = JQ_LIMIT_UNSET;
	eff = want;
	if (m->mode != JQ_CG_NONE) {
		/* A job-<id> left from an earlier attempt holds nothing of ours: replace it. */
		(void)jq_cg_job_remove(m, tenant, id);
		r = job_set_open(m, tenant, id, true, true, &s);
		if (r < 0) {
			*ret_msg = jq_asprintf("cannot create the cgroup of job %" PRId64
					       " in tenant '%s': %s",
					       id, tenant, strerror(-r));
			return r;
		}
		r = m->ops->job_set(&s, &want, &eff, ret_msg);
		if (r < 0)
			goto fail;
		eff.timeout_usec = l->timeout_usec;
	}
	if (eff.pids == JQ_LIMIT_UNSET)
		eff.pids = l->pids;
	paths = calloc(s.n + 1, sizeof(char *));
	if (!paths) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < s.n; i++) {
		paths[i] = jq_asprintf("%s:%s", s.d[i].ctl, s.d[i].path);
		if (!paths[i]) {
			r = -ENOMEM;
			goto fail;
		}
	}
	jq_cg_set_release(&s);
	*ret_eff = eff;
	*ret_paths = TAKE_PTR(paths);
	*ret_msg = TAKE_PTR(msg);
	return 0;
fail:
	jq_cg_set_release(&s);
	(void)jq_cg_job_remove(m, tenant, id);
	return r;
}

int jq_cg_job_remove(struct jq_cg *m, const char *tenant, int64_t id)
{
	struct jq_cg_set s = {0};
	int r;

	if (!m || m->mode == JQ_CG_NONE)
		return 0;
	r = job_set_open(m, tenant, id, false, false, &s);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = jq_cg_kill_until_empty(m->ops, &s);
	if (r >= 0)
		r = jq_cg_set_rmdir(&s);
	jq_cg_set_release(&s);
	return r;
}

static int parse_job_name(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	if (strncmp(s, "job-", 4))
		return -EINVAL;
	errno = 0;
	v = strtoll(s + 4, &end, 10);
	if (errno || end == s + 4 || *end || v < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int jq_cg_job_scan(struct jq_cg *m, int (*cb)(const char *tenant, int64_t id, void *userdata),
		   void *userdata)
{
	if (!m || m->mode == JQ_CG_NONE)
		return 0;
	for (size_t i = 0; i < m->base.n; i++) {
		int tfd = openat(m->base.d[i].fd, "tenants", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *td;
		struct dirent *te;

		if (tfd < 0)
			continue;
		td = fdopendir(tfd);
		if (!td) {
			close(tfd);
			return -errno;
		}
		while ((te = readdir(td))) {
			int jfd;
			DIR *jd;
			struct dirent *je;

			if (te->d_type != DT_DIR || te->d_name[0] == '.')
				continue;
			jfd = openat(dirfd(td), te->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (jfd < 0)
				continue;
			jd = fdopendir(jfd);
			if (!jd) {
				close(jfd);
				continue;
			}
			while ((je = readdir(jd))) {
				int64_t id;
				if (je->d_type != DT_DIR || parse_job_name(je->d_name, &id) < 0)
					continue;
				int r = cb(te->d_name, id, userdata);
				if (r < 0) {
					closedir(jd);
					closedir(td);
					return r;
				}
			}
			closedir(jd);
		}
		closedir(td);
	}
	return 0;
}
