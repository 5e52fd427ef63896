/* SPDX-License-Identifier: MIT */
/*
 * A tenant's bytes (issue 11). A submission's argv and env are stored once,
 * as one job_specs row that every copy of an --array shares; the schema's
 * triggers (migration v4) drop the environment once no job of the row can
 * start any more and keep tenant_bytes, which admission reads here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jq-store-internal.h"
#include "jq-util.h"

#define ARRAY_KEY     "JOBQ_ARRAY_INDEX="
#define ARRAY_KEY_LEN (sizeof(ARRAY_KEY) - 1)

static int bind_rc(sqlite3_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : jq_store_errno(sqlite3_db_handle(st), rc);
}

/* env without its JOBQ_ARRAY_INDEX entries (borrowed strings); never NULL, each copy gets its
 * index. */
static int env_without_index(char *const *env, char ***ret)
{
	size_t n = jq_strv_length((char **)env), m = 0;
	char **v;

	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n && env; i++)
		if (strncmp(env[i], ARRAY_KEY, ARRAY_KEY_LEN))
			v[m++] = env[i];
	*ret = v;
	return 0;
}

int jq_store_spec_insert_locked(struct jq_store *s, const char *tenant, char *const *argv,
				char *const *env, bool array, int64_t *ret_spec_id)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = s->stmt[JQ_STMT_SPEC_INSERT];
	_cleanup_free_ char *argv_buf = NULL, *env_buf = NULL;
	_cleanup_free_ char **shared = NULL;
	size_t argv_len, env_len;
	int r;

	if (array) {
		r = env_without_index(env, &shared);
		if (r < 0)
			return r;
		env = shared;
	}
	r = jq_store_strv_encode(argv, &argv_buf, &argv_len);
	if (r < 0)
		return r;
	if (argv_len == 0)
		return -EINVAL;
	r = jq_store_strv_encode(env, &env_buf, &env_len);
	if (r < 0)
		return r;

	r = bind_rc(st, sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC));
	if (r >= 0)
		r = bind_rc(st, sqlite3_bind_blob64(st, 2, argv_buf, argv_len, SQLITE_STATIC));
	if (r >= 0 && !env)
		r = bind_rc(st, sqlite3_bind_null(st, 3));
	else if (r >= 0 && env_len == 0)
		r = bind_rc(st, sqlite3_bind_zeroblob(st, 3, 0));
	else if (r >= 0)
		r = bind_rc(st, sqlite3_bind_blob64(st, 3, env_buf, env_len, SQLITE_STATIC));
	if (r >= 0)
		r = bind_rc(st, sqlite3_bind_int64(st, 4, (int64_t)(argv_len + env_len)));
	if (r >= 0)
		r = jq_store_step_done(s, st);
	if (r < 0)
		return r;
	*ret_spec_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int jq_store_env_add_index(char ***env, int64_t index)
{
	size_t n = jq_strv_length(*env);
	char **v = realloc(*env, (n + 2) * sizeof(char *));

	if (!v)
		return -ENOMEM;
	*env = v;
	v[n + 1] = NULL;
	v[n] = jq_asprintf(ARRAY_KEY "%" PRId64, index);
	return v[n] ? 0 : -ENOMEM;
}

int jq_store_tenant_bytes(struct jq_store *s, const char *tenant, struct jq_store_tenant_bytes *ret)
{
	_cleanup_(jq_store_stmt_resetp) sqlite3_stmt *st = NULL;
	int rc, r;

	if (!s || !tenant || !ret)
		return -EINVAL;
	st = s->stmt[JQ_STMT_TENANT_BYTES];
	r = bind_rc(st, sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC));
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*ret = (struct jq_store_tenant_bytes){0, 0};
		return 0;
	}
	if (rc != SQLITE_ROW)
		return jq_store_errno(s->db, rc);
	*ret = (struct jq_store_tenant_bytes){
	    .queued_bytes = sqlite3_column_int64(st, 0),
	    .log_bytes = sqlite3_column_int64(st, 1),
	};
	return 0;
}
