/* SPDX-License-Identifier: MIT */
/*
 * What the storage/ unit tests share: a store on ":memory:" or on a file in
 * a fresh mkdtemp() directory, and job helpers. Included by test-storage.c
 * and test-storage-file.c only.
 */
#ifndef TEST_STORAGE_FIXTURE_H
#define TEST_STORAGE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jq-job.h"
#include "jq-store.h"
#include "jq-util.h"

struct fixture {
	bool file;
	char dir[64];
	char path[PATH_MAX];
	struct jq_store *s;
};

_unused_ static int fixture_new(void **state, bool file, bool open_store)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->file = file;
	if (file) {
		snprintf(fx->dir, sizeof(fx->dir), "/tmp/jq-test-storage-XXXXXX");
		assert_non_null(mkdtemp(fx->dir));
		snprintf(fx->path, sizeof(fx->path), "%s/jobq.db", fx->dir);
	} else {
		snprintf(fx->path, sizeof(fx->path), ":memory:");
	}
	if (open_store)
		assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_FULL, &fx->s), 0);
	*state = fx;
	return 0;
}

_unused_ static int setup_mem(void **state)
{
	return fixture_new(state, false, true);
}

_unused_ static int setup_file(void **state)
{
	return fixture_new(state, true, true);
}

/* A directory only: the test opens the database itself. */
_unused_ static int setup_dir(void **state)
{
	return fixture_new(state, true, false);
}

_unused_ static int teardown(void **state)
{
	struct fixture *fx = *state;

	jq_store_close(fx->s);
	if (fx->file)
		assert_int_equal(jq_rm_rf(fx->dir), 0);
	free(fx);
	return 0;
}

_unused_ static char *default_argv[] = {"true", NULL};

/* A minimal valid job; its strings are static, never released. */
_unused_ static struct jq_job job_template(const char *tenant)
{
	struct jq_job j;

	jq_job_init(&j);
	j.tenant = (char *)tenant;
	j.user = (char *)"alice";
	j.uid = 1000;
	j.gid = 1000;
	j.argv = default_argv;
	j.cwd = (char *)"/";
	j.submitted_at = 1700000000000000;
	return j;
}

_unused_ static int64_t insert_job(struct jq_store *s, const char *tenant, int64_t priority,
				   enum jq_job_state state)
{
	struct jq_job j = job_template(tenant);
	int64_t id = -1;

	j.priority = priority;
	j.state = state;
	assert_int_equal(jq_store_job_insert(s, &j, &id), 0);
	assert_true(id > 0);
	return id;
}

_unused_ static enum jq_job_state state_of(struct jq_store *s, int64_t id)
{
	_cleanup_(jq_job_release) struct jq_job j;

	assert_int_equal(jq_store_job_get(s, id, &j), 0);
	return j.state;
}

_unused_ static int64_t count(struct jq_store *s, const char *tenant, enum jq_job_state state)
{
	int64_t n = -1;

	assert_int_equal(jq_store_job_count(s, tenant, state, &n), 0);
	return n;
}

_unused_ static void assert_strv_equal(char **a, char **b)
{
	if (!a || !b) {
		assert_ptr_equal(a, b);
		return;
	}
	for (size_t i = 0;; i++) {
		if (!a[i] || !b[i]) {
			assert_ptr_equal(a[i], b[i]);
			return;
		}
		assert_string_equal(a[i], b[i]);
	}
}

_unused_ static void assert_limits_equal(const struct jq_limits *a, const struct jq_limits *b)
{
	assert_int_equal(a->cpus_milli, b->cpus_milli);
	assert_int_equal(a->memory_bytes, b->memory_bytes);
	assert_int_equal(a->pids, b->pids);
	assert_int_equal(a->timeout_usec, b->timeout_usec);
}

_unused_ static const struct jq_accounting some_acct = {
    .cpu_user_usec = 1200,
    .cpu_system_usec = 300,
    .memory_peak_bytes = 1 << 20,
    .io_read_bytes = 4096,
    .io_write_bytes = 8192,
    .wall_usec = 5000,
    .queue_wait_usec = -1,
};

_unused_ static int finish(struct jq_store *s, int64_t id, enum jq_job_state to)
{
	struct jq_store_finish f = {
	    .state = to,
	    .reason = "ended",
	    .exit_code = to == JQ_JOB_SUCCEEDED ? 0 : 1,
	    .signal = -1,
	    .started_at = -1,
	    .finished_at = 1700000000900000,
	    .acct = to == JQ_JOB_CANCELLED || to == JQ_JOB_FAILED_TO_START ? NULL : &some_acct,
	};

	return jq_store_job_finish(s, id, &f);
}

/* Takes a new job to state st along legal transitions. */
_unused_ static int64_t job_in_state(struct jq_store *s, enum jq_job_state st)
{
	int64_t id = insert_job(s, "t", 0, st == JQ_JOB_HELD ? JQ_JOB_HELD : JQ_JOB_QUEUED);
	struct jq_limits eff = {2000, 1 << 30, 100, 60000000};

	switch (st) {
	case JQ_JOB_QUEUED:
	case JQ_JOB_HELD:
		break;
	case JQ_JOB_CANCELLED:
		assert_int_equal(finish(s, id, st), 0);
		break;
	case JQ_JOB_STARTING:
	case JQ_JOB_FAILED_TO_START:
		assert_int_equal(jq_store_job_mark_starting(s, id, &eff), 0);
		if (st != JQ_JOB_STARTING)
			assert_int_equal(finish(s, id, st), 0);
		break;
	default:
		assert_int_equal(jq_store_job_mark_starting(s, id, &eff), 0);
		assert_int_equal(jq_store_job_mark_running(s, id, 1700000000100000, 4321, 987654),
				 0);
		if (st != JQ_JOB_RUNNING)
			assert_int_equal(finish(s, id, st), 0);
		break;
	}
	assert_int_equal(state_of(s, id), st);
	return id;
}

/* The function a daemon would call to reach `to`. */
_unused_ static int move_to(struct jq_store *s, int64_t id, enum jq_job_state to)
{
	struct jq_limits eff = jq_limits_unset();

	if (jq_job_state_is_final(to))
		return finish(s, id, to);
	if (to == JQ_JOB_STARTING)
		return jq_store_job_mark_starting(s, id, &eff);
	if (to == JQ_JOB_RUNNING)
		return jq_store_job_mark_running(s, id, 1700000000200000, 1, 2);
	return jq_store_job_set_state(s, id, to, "why");
}

/* clang-format off */
#define BOTH(f) \
	{ #f " [memory]", f, setup_mem, teardown, NULL }, \
	{ #f " [file]", f, setup_file, teardown, NULL }
#define FILE_ONLY(f, setup) { #f " [file]", f, setup, teardown, NULL }
/* clang-format on */

#endif
