/* SPDX-License-Identifier: MIT */
/*
 * Shared by the accounting unit tests (test-report.c, test-retention.c): a
 * database file in a fresh directory opened through the store and through
 * a plain SQLite connection for checks, and seeding of finished jobs.
 * Included by exactly one .c per test binary.
 */
#ifndef ACCT_FIXTURE_H
#define ACCT_FIXTURE_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jq-job.h"
#include "jq-store.h"
#include "jq-time.h"
#include "jq-util.h"

#define SEC  INT64_C(1000000)
#define HOUR (3600 * SEC)
#define DAY  (86400 * SEC)

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct jq_store *s;
	sqlite3 *raw; /* a second, plain connection for checks */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/jq-test-report-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/jobq.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	jq_store_close(fx->s);
	sqlite3_close(fx->raw);
	assert_int_equal(jq_rm_rf(fx->dir), 0);
	free(fx);
	return 0;
}

static inline void open_both(struct fixture *fx)
{
	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_NORMAL, &fx->s), 0);
	assert_int_equal(sqlite3_open_v2(fx->path, &fx->raw, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(fx->raw, 5000);
}

/* The one integer a query returns. */
static inline int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* All rows of a query as "a|b|c\n" lines (NULL as "NULL"). Caller frees. */
static inline char *q_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *out = strdup("");
	int rc;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			char *n =
			    jq_asprintf("%s%s%s", out, i ? "|" : "", t ? (const char *)t : "NULL");

			assert_non_null(n);
			free(out);
			out = n;
		}
		char *n = jq_asprintf("%s\n", out);
		assert_non_null(n);
		free(out);
		out = n;
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	return out;
}

static inline void q_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

/* One job to seed: submitted, maybe started, ended. */
struct seed {
	const char *tenant;
	const char *user;
	const char *name;
	int64_t submitted, started, finished; /* started -1: never ran */
	enum jq_job_state state;
	struct jq_accounting acct; /* all -1: nothing measured */
	int64_t eff_memory;
	int64_t id; /* filled in */
};

static const struct jq_accounting no_acct = {-1, -1, -1, -1, -1, -1, -1};

static inline int64_t seed_job(struct jq_store *s, struct seed *sd)
{
	char *argv[] = {"true", NULL};
	struct jq_limits eff = jq_limits_unset();
	struct jq_job j;
	int64_t id;

	jq_job_init(&j);
	j.tenant = (char *)sd->tenant;
	j.user = (char *)sd->user;
	j.uid = 1000;
	j.gid = 1000;
	j.name = (char *)sd->name;
	j.argv = argv;
	j.cwd = "/";
	j.state = JQ_JOB_QUEUED;
	j.submitted_at = sd->submitted;
	assert_int_equal(jq_store_job_insert(s, &j, &id), 0);
	eff.memory_bytes = sd->eff_memory;
	if (sd->started >= 0 || sd->state == JQ_JOB_FAILED_TO_START)
		assert_int_equal(jq_store_job_mark_starting(s, id, &eff), 0);
	if (sd->started >= 0)
		assert_int_equal(jq_store_job_mark_running(s, id, sd->started, 4242, 1), 0);
	if (jq_job_state_is_final(sd->state)) {
		struct jq_store_finish f = {
		    .state = sd->state,
		    .exit_code = sd->state == JQ_JOB_SUCCEEDED ? 0 : -1,
		    .signal = sd->state == JQ_JOB_OOM ? 9 : -1,
		    .started_at = -1,
		    .finished_at = sd->finished,
		    .acct = sd->started >= 0 ? &sd->acct : NULL,
		};
		assert_int_equal(jq_store_job_finish(s, id, &f), 0);
	}
	sd->id = id;
	return id;
}

static inline void day_of(int64_t usec, char *buf, size_t n)
{
	time_t t = (time_t)(usec / SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d", &tm);
}

#endif
