/* SPDX-License-Identifier: MIT */
/*
 * Who a peer is and what it may do. Identity comes only from the kernel
 * (SO_PEERCRED, SO_PEERGROUPS), never from anything the client says; the
 * tenant lists in the INI name users and groups.
 */
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <sys/socket.h>

#include "jobqd.h"
#include "jq-util.h"

#define MAX_PEER_GROUPS 65536

int jq_peer_load(struct jq_peer *p, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd pw, *pwr = NULL;
	char buf[4096];

	*p = (struct jq_peer){0};
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;

	/* SO_PEERGROUPS reports the supplementary groups at connect time. */
	len = 64 * sizeof(gid_t);
	for (;;) {
		gid_t *g = malloc(len);
		if (!g)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			p->gids = g;
			p->n_gids = len / sizeof(gid_t);
			break;
		}
		free(g);
		if (errno != ERANGE || len > MAX_PEER_GROUPS * sizeof(gid_t))
			return -errno;
	}
	if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &pwr) == 0 && pwr)
		p->user = strdup(pw.pw_name);
	else
		p->user = jq_asprintf("%u", (unsigned)p->uid);
	if (!p->user)
		return -ENOMEM;
	return 0;
}

void jq_peer_release(struct jq_peer *p)
{
	free(p->gids);
	free(p->user);
	*p = (struct jq_peer){0};
}

bool jq_peer_is_root(const struct jq_peer *p)
{
	return p->uid == 0;
}

static bool strv_contains(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static bool gid_in_groups(gid_t gid, char *const *groups)
{
	struct group gr, *grr = NULL;
	char buf[16384];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grr) != 0 || !grr)
		return false;
	return strv_contains(groups, gr.gr_name);
}

bool jq_peer_is_tenant_admin(const struct jq_peer *p, const struct jq_tenant_config *t)
{
	return jq_peer_is_root(p) || strv_contains(t->admins, p->user);
}

bool jq_peer_may_submit(const struct jq_peer *p, const struct jq_tenant_config *t)
{
	if (jq_peer_is_tenant_admin(p, t) || strv_contains(t->users, p->user))
		return true;
	if (!t->groups || !t->groups[0])
		return false;
	if (gid_in_groups(p->gid, t->groups))
		return true;
	for (size_t i = 0; i < p->n_gids; i++)
		if (gid_in_groups(p->gids[i], t->groups))
			return true;
	return false;
}

bool jq_peer_may_see(struct jq_daemon *d, const struct jq_peer *p, const char *tenant, int64_t uid)
{
	const struct jq_tenant_config *t;

	if (jq_peer_is_root(p) || (int64_t)p->uid == uid)
		return true;
	t = jq_config_tenant(d->config, tenant);
	return t && jq_peer_is_tenant_admin(p, t);
}

bool jq_peer_may_access(struct jq_daemon *d, const struct jq_peer *p, const struct jq_job *j)
{
	return jq_peer_may_see(d, p, j->tenant, j->uid);
}

int jq_peer_tenants(const struct jq_daemon *d, const struct jq_peer *p, bool admin, char ***ret)
{
	const struct jq_config *cfg = d->config;
	char **v = calloc(cfg->n_tenants + 1, sizeof(char *));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_tenants; i++)
		if (admin ? jq_peer_is_tenant_admin(p, &cfg->tenants[i])
			  : jq_peer_may_submit(p, &cfg->tenants[i]))
			v[n++] = cfg->tenants[i].name;
	*ret = v;
	return 0;
}

/*
 * issue 11: the submitter of a job as the account database has it now,
 * not as SO_PEERGROUPS had it at submit. Without a passwd entry the user
 * is known by its decimal uid (as jq_peer_load() names it) and has no
 * groups: a group lists its members by name.
 */
static int peer_load_account(struct jq_peer *p, uid_t uid, char **ret_err)
{
	struct passwd pw, *pwr = NULL;
	char buf[16384];
	int ng = 64, r;

	*p = (struct jq_peer){.uid = uid, .gid = (gid_t)-1, .pid = -1};
	r = getpwuid_r(uid, &pw, buf, sizeof(buf), &pwr);
	if (r != 0) {
		*ret_err = jq_asprintf("cannot look up uid %u: %s", (unsigned)uid, strerror(r));
		return -r;
	}
	if (!pwr) {
		p->user = jq_asprintf("%u", (unsigned)uid);
		return p->user ? 0 : -ENOMEM;
	}
	p->user = strdup(pw.pw_name);
	if (!p->user)
		return -ENOMEM;
	p->gid = pw.pw_gid;
	for (;;) {
		int want = ng;

		p->gids = calloc((size_t)ng, sizeof(gid_t));
		if (!p->gids)
			return -ENOMEM;
		if (getgrouplist(pw.pw_name, pw.pw_gid, p->gids, &want) >= 0) {
			p->n_gids = (size_t)want;
			return 0;
		}
		free(p->gids);
		p->gids = NULL;
		if (want <= ng || want > MAX_PEER_GROUPS) {
			*ret_err = jq_asprintf("cannot list the groups of user '%s'", pw.pw_name);
			return -E2BIG;
		}
		ng = want;
	}
}

static bool peer_has_gid(const struct jq_peer *p, int64_t gid)
{
	if (gid == (int64_t)p->gid)
		return true;
	for (size_t i = 0; i < p->n_gids; i++)
		if ((int64_t)p->gids[i] == gid)
			return true;
	return false;
}

int jq_peer_job_member(const struct jq_job *j, const struct jq_tenant_config *t, int64_t *ret_gid,
		       int64_t **ret_gids, size_t *ret_n_gids, char **ret_err)
{
	struct jq_peer now;
	_cleanup_free_ int64_t *gids = NULL;
	size_t n = 0;
	int64_t gid;
	int r;

	if (j->uid < 0 || j->uid > UINT32_MAX) {
		*ret_err = jq_asprintf("job %" PRId64 " has no valid submitter", j->id);
		return -EINVAL;
	}
	r = peer_load_account(&now, (uid_t)j->uid, ret_err);
	if (r < 0) {
		jq_peer_release(&now);
		return r;
	}
	if (!jq_peer_may_submit(&now, t)) {
		*ret_err =
		    jq_asprintf("user '%s' is no longer a member of tenant '%s'", j->user, t->name);
		jq_peer_release(&now);
		return *ret_err ? -EPERM : -ENOMEM;
	}
	/*
	 * Root's jobs run as nobody, and an account without a passwd entry
	 * has no groups to consult: both keep what they had.
	 */
	if (j->uid == 0 || now.gid == (gid_t)-1) {
		gid = j->gid;
	} else {
		/* The group it ran in at submit if it still has it, else its primary group. */
		gid = peer_has_gid(&now, j->gid) ? j->gid : (int64_t)now.gid;
	}
	gids = calloc(j->n_gids ? j->n_gids : 1, sizeof(int64_t));
	if (!gids) {
		jq_peer_release(&now);
		return -ENOMEM;
	}
	for (size_t i = 0; i < j->n_gids; i++)
		if (j->uid == 0 || peer_has_gid(&now, j->gids[i]))
			gids[n++] = j->gids[i];
	jq_peer_release(&now);
	if (ret_gid)
		*ret_gid = gid;
	if (ret_n_gids)
		*ret_n_gids = n;
	if (ret_gids)
		*ret_gids = TAKE_PTR(gids);
	return 0;
}
