/* SPDX-License-Identifier: MIT */
/*
 * What jobq-exec is told about a job beyond its command: its environment,
 * the sandbox (what it may see, what is hidden) and its process limit.
 * Pure construction from the job and the config; runner.c starts the job.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jobqd.h"
#include "jq-util.h"

/*
 * The job's environment: the submitted one, with JOBQ_JOB_ID and
 * JOBQ_TENANT set by us (a submitted value of those is replaced).
 */
char **jq_runner_job_env(const struct jq_job *j)
{
	size_t n = jq_strv_length(j->env), k = 0;
	_cleanup_strv_ char **env = calloc(n + 3, sizeof(char *));

	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(j->env[i], "JOBQ_JOB_ID=", 12) ||
		    !strncmp(j->env[i], "JOBQ_TENANT=", 12))
			continue;
		env[k] = strdup(j->env[i]);
		if (!env[k++])
			return NULL;
	}
	env[k] = jq_asprintf("JOBQ_JOB_ID=%" PRId64, j->id);
	if (!env[k++])
		return NULL;
	env[k] = jq_asprintf("JOBQ_TENANT=%s", j->tenant);
	if (!env[k++])
		return NULL;
	return TAKE_PTR(env);
}

/*
 * One of jobqd's own paths with its directory's symlinks resolved (as
 * /var/run -> /run), plus suffix: jobq-exec resolves the paths it hides
 * without following symlinks, so a configured path through a compatibility
 * link would fail every job. These directories are the administrator's and
 * root's, so resolving them here follows nothing a user controls. The
 * whole path if it exists, else its directory; the path as configured when
 * neither resolves (then the helper reports it).
 */
static char *own_path(const char *path, const char *suffix)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_free_ char *real = NULL;
	char *slash = dir ? strrchr(dir, '/') : NULL;

	real = realpath(path, NULL);
	if (real)
		return jq_asprintf("%s%s", real, suffix);
	if (!slash || slash == dir)
		return jq_asprintf("%s%s", path, suffix);
	*slash = '\0';
	real = realpath(dir, NULL);
	if (!real)
		return jq_asprintf("%s%s", path, suffix);
	return jq_asprintf("%s/%s%s", strcmp(real, "/") == 0 ? "" : real, slash + 1, suffix);
}

/*
 * sandbox (issue 4): what the job may see. jobq's own database (with its
 * WAL and shared-memory files), socket, config file and state directory
 * (every job's logs and records) are hidden, then the tenant's hide_paths;
 * ro_paths and rw_paths are the tenant's (borrowed, not copied). Only the
 * hidden list is allocated here.
 */
int jq_runner_sandbox_spec(struct jq_daemon *d, const struct jq_tenant_config *t,
			   struct jq_exec_sandbox *sb)
{
	const struct jq_config *c = d->config;
	size_t n = t ? jq_strv_length(t->hide_paths) : 0, k = 0;
	char **hide = calloc(n + 7, sizeof(char *));

	if (!hide)
		return -ENOMEM;
	hide[k++] = own_path(c->database, "");
	hide[k++] = own_path(c->database, "-wal");
	hide[k++] = own_path(c->database, "-shm");
	hide[k++] = own_path(c->socket, "");
	hide[k++] = own_path(c->path, "");
	hide[k++] = own_path(c->state_dir, "");
	for (size_t i = 0; i < n; i++)
		hide[k++] = strdup(t->hide_paths[i]);
	for (size_t i = 0; i < k; i++)
		if (!hide[i]) {
			for (size_t f = 0; f < k; f++)
				free(hide[f]);
			free(hide);
			return -ENOMEM;
		}
	*sb = (struct jq_exec_sandbox){
	    .hide_paths = hide,
	    .ro_paths = t ? t->ro_paths : NULL,
	    .rw_paths = t ? t->rw_paths : NULL,
	    .tmp_size = t ? t->tmp_size : JQ_EXEC_TMP_SIZE_DEFAULT,
	    .nofile = t ? t->nofile : JQ_EXEC_NOFILE_DEFAULT,
	    .network =
		t && t->network == JQ_NETWORK_HOST ? JQ_EXEC_NETWORK_HOST : JQ_EXEC_NETWORK_NONE,
	    .seccomp = c->seccomp != JQ_SECCOMP_OFF,
	};
	return 0;
}

/*
 * RLIMIT_NPROC of a job (docs/sandbox.md): its pids limit, else its
 * tenant's pids_max, else a default. The kernel counts it per uid in the
 * job's own user namespace, so it holds one job's fork bomb also without
 * cgroups, and jobs of one user do not share it.
 */
int64_t jq_runner_job_nproc(const struct jq_limits *eff, const struct jq_tenant_config *t)
{
	if (eff->pids != JQ_LIMIT_UNSET)
		return eff->pids;
	if (t && t->pids_max != JQ_LIMIT_UNSET)
		return t->pids_max;
	return JQ_EXEC_NPROC_DEFAULT;
}
