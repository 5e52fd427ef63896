/* SPDX-License-Identifier: MIT */
/*
 * Who a peer is and what it may do. Identity comes only from the kernel
 * (SO_PEERCRED, SO_PEERGROUPS), never from anything the client says; the
 * tenant lists in the INI name users and groups.
 */
#include <grp.h>
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
