/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the client's pure parts: decoding a job record, the exit
 * status of wait / submit --wait, and rendering (JSON, table, quoting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli-internal.h"

/* 2026-11-29T14:08:37.123456Z */
#define T0 INT64_C(1795961317123456)

static void decode(struct jq_msg_writer *w, struct jq_msg *ret)
{
	assert_int_equal(jq_msg_writer_finish(w), 0);
	assert_int_equal(jq_msg_decode_frame(w->buf.data, w->buf.len, ret), 0);
	jq_msg_writer_release(w);
}

static int decode_job(struct jq_msg_writer *w, struct cli_job *ret)
{
	struct jq_msg m;
	int r;

	decode(w, &m);
	r = cli_job_from_msg(&m, ret);
	jq_msg_release(&m);
	return r;
}

static void begin_job(struct jq_msg_writer *w, int64_t id, const char *state)
{
	jq_msg_writer_begin(w, JQ_REP_JOB);
	jq_msg_put_i64(w, JQ_T_ID, id);
	jq_msg_put_str(w, JQ_T_STATE, state);
}

/* A finished job with every field the daemon may send. */
static void put_full_job(struct jq_msg_writer *w)
{
	begin_job(w, 42, "failed");
	jq_msg_put_str(w, JQ_T_TENANT, "acme");
	jq_msg_put_str(w, JQ_T_USER, "alice");
	jq_msg_put_str(w, JQ_T_NAME, "build");
	jq_msg_put_i64(w, JQ_T_EXIT_CODE, 2);
	jq_msg_put_i64(w, JQ_T_SUBMITTED_AT, T0);
	jq_msg_put_i64(w, JQ_T_STARTED_AT, T0 + 1000000);
	jq_msg_put_i64(w, JQ_T_FINISHED_AT, T0 + 3500000);
	jq_msg_put_i64(w, JQ_T_LIMIT_CPUS, 500);
	jq_msg_put_i64(w, JQ_T_LIMIT_MEMORY, INT64_C(1) << 30);
	jq_msg_put_i64(w, JQ_T_LIMIT_PIDS, 4096);
	jq_msg_put_i64(w, JQ_T_LIMIT_TIMEOUT, INT64_C(3600000000));
	jq_msg_put_i64(w, JQ_T_CPU_USER, 1200000);
	jq_msg_put_i64(w, JQ_T_CPU_SYSTEM, 300000);
	jq_msg_put_i64(w, JQ_T_MEMORY_PEAK, 512 << 20);
	jq_msg_put_i64(w, JQ_T_IO_READ, 4096);
	jq_msg_put_i64(w, JQ_T_WALL, 2500000);
	jq_msg_put_i64(w, JQ_T_QUEUE_WAIT, 1000000);
	jq_msg_put_str(w, JQ_T_ARGV, "sh");
	jq_msg_put_str(w, JQ_T_ARGV, "-c");
	jq_msg_put_str(w, JQ_T_ARGV, "exit 2");
	jq_msg_put_str(w, JQ_T_ENV, "SECRET=1");
	jq_msg_put_str(w, JQ_T_CWD, "/home/alice/src");
	jq_msg_put_i64(w, JQ_T_PRIORITY, -5);
	jq_msg_put_i64(w, JQ_T_AFTER, 3);
	jq_msg_put_i64(w, JQ_T_AFTER, 4);
}

static char *to_json(const struct cli_job *j, enum cli_json_flags flags)
{
	json_t *v = cli_job_to_json(j, flags);
	char *s;

	assert_non_null(v);
	s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(v);
	assert_non_null(s);
	return s;
}

static void test_decode_minimal(void **state)
{
	struct jq_msg_writer w;
	struct cli_job j;

	cli_job_init(&j);
	begin_job(&w, 7, "queued");
	assert_int_equal(decode_job(&w, &j), 0);
	assert_int_equal(j.job.id, 7);
	assert_int_equal(j.job.state, JQ_JOB_QUEUED);
	assert_null(j.job.tenant);
	assert_null(j.job.argv);
	assert_int_equal(j.job.exit_code, -1);
	assert_int_equal(j.job.effective.memory_bytes, JQ_LIMIT_UNSET);
	assert_int_equal(j.position, -1);
	assert_false(j.has_priority);
	assert_false(j.job.has_accounting);
	cli_job_release(&j);
}

static void test_decode_full(void **state)
{
	struct jq_msg_writer w;
	struct cli_job j;

	cli_job_init(&j);
	put_full_job(&w);
	assert_int_equal(decode_job(&w, &j), 0);
	assert_string_equal(j.job.tenant, "acme");
	assert_string_equal(j.job.name, "build");
	assert_int_equal(j.job.state, JQ_JOB_FAILED);
	assert_int_equal(j.job.exit_code, 2);
	assert_int_equal(j.job.effective.cpus_milli, 500);
	assert_true(j.job.has_accounting);
	assert_int_equal(j.job.acct.io_write_bytes, -1);
	assert_int_equal(jq_strv_length(j.job.argv), 3);
	assert_string_equal(j.job.argv[2], "exit 2");
	assert_true(j.has_priority);
	assert_int_equal(j.job.priority, -5);
	assert_int_equal(j.job.n_after, 2);
	assert_int_equal(j.job.after[1], 4);
	assert_string_equal(j.job.cwd, "/home/alice/src");
	cli_job_release(&j);
}

static void test_decode_malformed(void **state)
{
	static const uint8_t bad_utf8[] = {'a', 0xff, 'b'};
	static const uint8_t four[] = {0, 0, 0, 1};
	struct jq_msg_writer w;
	struct cli_job j;

	cli_job_init(&j);

	jq_msg_writer_begin(&w, JQ_REP_JOB);
	jq_msg_put_str(&w, JQ_T_STATE, "queued");
	assert_int_equal(decode_job(&w, &j), -EBADMSG); /* no ID */

	jq_msg_writer_begin(&w, JQ_REP_JOB);
	jq_msg_put_i64(&w, JQ_T_ID, 1);
	assert_int_equal(decode_job(&w, &j), -EBADMSG); /* no STATE */

	begin_job(&w, 1, "sleeping");
	assert_int_equal(decode_job(&w, &j), -EBADMSG);

	begin_job(&w, 0, "queued");
	assert_int_equal(decode_job(&w, &j), -EBADMSG);

	begin_job(&w, 1, "queued");
	jq_msg_put_bytes(&w, JQ_T_EXIT_CODE, four, sizeof(four));
	assert_int_equal(decode_job(&w, &j), -EBADMSG);

	begin_job(&w, 1, "queued");
	jq_msg_put_bytes(&w, JQ_T_TENANT, bad_utf8, sizeof(bad_utf8));
	assert_int_equal(decode_job(&w, &j), -EBADMSG);

	begin_job(&w, 1, "queued");
	jq_msg_put_i64(&w, JQ_T_PRIORITY, 2000);
	assert_int_equal(decode_job(&w, &j), -EBADMSG);

	begin_job(&w, 1, "queued");
	jq_msg_put_i64(&w, JQ_T_LIMIT_MEMORY, -7);
	assert_int_equal(decode_job(&w, &j), -EBADMSG);

	/* Nothing was written on failure. */
	assert_int_equal(j.job.id, -1);
	cli_job_release(&j);
}

struct exit_case {
	const char *state;
	int64_t exit_code;
	int64_t signal;
	const char *reason;
	int64_t timeout_usec;
	int status;
	const char *err; /* expected stderr, exactly */
};

static const struct exit_case exit_cases[] = {
    {"succeeded", 0, -1, NULL, -1, 0, ""},
    {"failed", 3, -1, NULL, -1, 3, ""},
    {"failed", 255, -1, NULL, -1, 255, ""},
    {"failed", -1, 9, NULL, -1, 137, ""},
    {"failed", -1, 15, NULL, -1, 143, ""},
    {"failed", -1, -1, NULL, -1, 1, ""}, /* no code at all is still a failure */
    {"timeout", -1, 9, "timeout 1h reached", -1, 124,
     "jobq: job 5 timed out: timeout 1h reached\n"},
    {"timeout", -1, 9, "timed out", 90000000, 124, "jobq: job 5 timed out (limit 1m30s)\n"},
    {"oom", -1, 9, NULL, -1, 137, "jobq: job 5 killed: out of memory\n"},
    {"cancelled", -1, -1, "by alice", -1, 130, "jobq: job 5 cancelled: by alice\n"},
    {"cancelled", -1, -1, "cancelled by 'root'", -1, 130, "jobq: job 5 cancelled by 'root'\n"},
    {"cancelled", -1, -1, NULL, -1, 130, "jobq: job 5 cancelled\n"},
    {"failed_to_start", -1, -1, "cannot execute 'x': No such file or directory", -1, 125,
     "jobq: job 5 failed to start: cannot execute 'x': No such file or directory\n"},
    {"failed_to_start", -1, -1, "bad\x1b[2Jreason", -1, 125,
     "jobq: job 5 failed to start: bad?[2Jreason\n"},
    {"failed_to_start", -1, -1, NULL, -1, 125, "jobq: job 5 failed to start: no reason given\n"},
    {"lost", -1, -1, "helper gone", -1, 125, "jobq: job 5 lost: helper gone\n"},
    {"running", -1, -1, NULL, -1, 1, "jobq: job 5 has not finished (state 'running')\n"},
};

static void test_exit_status(void **state)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(exit_cases); i++) {
		const struct exit_case *c = &exit_cases[i];
		struct jq_msg_writer w;
		struct cli_job j;
		char *buf = NULL;
		size_t len = 0;
		FILE *err;

		cli_job_init(&j);
		begin_job(&w, 5, c->state);
		jq_msg_put_i64_opt(&w, JQ_T_EXIT_CODE, c->exit_code);
		jq_msg_put_i64_opt(&w, JQ_T_SIGNAL, c->signal);
		jq_msg_put_str(&w, JQ_T_REASON, c->reason);
		jq_msg_put_i64_opt(&w, JQ_T_LIMIT_TIMEOUT, c->timeout_usec);
		assert_int_equal(decode_job(&w, &j), 0);

		err = open_memstream(&buf, &len);
		assert_non_null(err);
		assert_int_equal(cli_job_exit_status(&j, err), c->status);
		fclose(err);
		assert_string_equal(buf, c->err);
		free(buf);
		cli_job_release(&j);
	}
}

static void test_json_minimal(void **state)
{
	struct jq_msg_writer w;
	struct cli_job j;
	char *s;

	cli_job_init(&j);
	begin_job(&w, 7, "queued");
	assert_int_equal(decode_job(&w, &j), 0);
	s = to_json(&j, 0);
	/* Every stable key, in order; absent values are null, never left out. */
	assert_string_equal(
	    s, "{\"id\":7,\"tenant\":null,\"user\":null,\"name\":null,\"state\":\"queued\","
	       "\"reason\":null,\"position\":null,\"exit_code\":null,\"signal\":null,"
	       "\"submitted_at\":null,"
	       "\"started_at\":null,\"finished_at\":null,\"limits\":{\"cpus\":null,"
	       "\"memory_bytes\":null,\"pids\":null,\"timeout_s\":null},\"accounting\":null}");
	free(s);
	cli_job_release(&j);
}

static void test_json_full(void **state)
{
	struct jq_msg_writer w;
	struct cli_job j;
	char *s;

	cli_job_init(&j);
	put_full_job(&w);
	assert_int_equal(decode_job(&w, &j), 0);
	s = to_json(&j, 0);
	assert_string_equal(
	    s, "{\"id\":42,\"tenant\":\"acme\",\"user\":\"alice\",\"name\":\"build\","
	       "\"state\":\"failed\",\"reason\":null,\"position\":null,\"exit_code\":2,"
	       "\"signal\":null,"
	       "\"submitted_at\":\"2026-11-29T14:08:37.123456Z\","
	       "\"started_at\":\"2026-11-29T14:08:38.123456Z\","
	       "\"finished_at\":\"2026-11-29T14:08:40.623456Z\","
	       "\"limits\":{\"cpus\":0.5,\"memory_bytes\":1073741824,\"pids\":4096,"
	       "\"timeout_s\":3600.0},"
	       "\"accounting\":{\"cpu_user_usec\":1200000,\"cpu_system_usec\":300000,"
	       "\"memory_peak_bytes\":536870912,\"io_read_bytes\":4096,\"io_write_bytes\":null,"
	       "\"wall_usec\":2500000,\"queue_wait_usec\":1000000}}");
	free(s);

	s = to_json(&j, CLI_JSON_DETAIL);
	assert_non_null(strstr(s,
			       ",\"argv\":[\"sh\",\"-c\",\"exit 2\"],\"cwd\":\"/home/alice/src\","
			       "\"priority\":-5,\"after\":[3,4]}"));
	/* The environment may hold secrets: never rendered. */
	assert_null(strstr(s, "SECRET"));
	free(s);
	cli_job_release(&j);
}

static void test_shell_quote(void **state)
{
	static const char *const cases[][2] = {
	    {"make", "make"},
	    {"-j8", "-j8"},
	    {"a/b.c,d=e:f@g%h+i", "a/b.c,d=e:f@g%h+i"},
	    {"", "''"},
	    {"hi there", "'hi there'"},
	    {"it's", "'it'\\''s'"},
	    {"$HOME", "'$HOME'"},
	    {"a\nb", "$'a\\nb'"},
	    {"t\tq'\\", "$'t\\tq\\'\\\\'"},
	    {"\x1b[0m", "$'\\x1b[0m'"},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		char *q = cli_shell_quote(cases[i][0]);
		assert_non_null(q);
		assert_string_equal(q, cases[i][1]);
		free(q);
	}
}

static void test_printable(void **state)
{
	char *s = cli_printable("a\x1b[31mb\nc\x7f\xc2\x9b"
				"d\xc3\xa9");

	assert_string_equal(s, "a?[31mb?c??d\xc3\xa9");
	free(s);
}

static void test_format_age(void **state)
{
	char b[32];

	assert_string_equal(cli_format_age(-5, b, sizeof(b)), "0s");
	assert_string_equal(cli_format_age(59999999, b, sizeof(b)), "59s");
	assert_string_equal(cli_format_age(INT64_C(60000000), b, sizeof(b)), "1m");
	assert_string_equal(cli_format_age(INT64_C(7200000000), b, sizeof(b)), "2h");
	assert_string_equal(cli_format_age(INT64_C(3) * 86400000000, b, sizeof(b)), "3d");
}

static void test_table(void **state)
{
	struct cli_job jobs[3];
	struct jq_msg_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (int i = 0; i < 3; i++)
		cli_job_init(&jobs[i]);
	begin_job(&w, 7, "queued");
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	jq_msg_put_str(&w, JQ_T_USER, "bob");
	jq_msg_put_str(&w, JQ_T_NAME, "nightly\x1b[2J");
	jq_msg_put_str(&w, JQ_T_REASON, "tenant max_running");
	jq_msg_put_i64(&w, JQ_T_POSITION, 2);
	jq_msg_put_i64(&w, JQ_T_SUBMITTED_AT, T0 - 30000000);
	assert_int_equal(decode_job(&w, &jobs[0]), 0);
	put_full_job(&w);
	assert_int_equal(decode_job(&w, &jobs[1]), 0);
	begin_job(&w, 1234, "running");
	jq_msg_put_str(&w, JQ_T_TENANT, "research");
	jq_msg_put_str(&w, JQ_T_USER, "carol");
	jq_msg_put_i64(&w, JQ_T_SUBMITTED_AT, T0 - INT64_C(7200000000));
	jq_msg_put_str(&w, JQ_T_ARGV, "python3");
	jq_msg_put_str(&w, JQ_T_ARGV, "train.py");
	jq_msg_put_str(&w, JQ_T_ARGV, "--epochs=1000000000000000000000000000000");
	assert_int_equal(decode_job(&w, &jobs[2]), 0);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cli_jobs_print_table(jobs, 3, T0, f), 0);
	fclose(f);
	assert_string_equal(
	    buf, "ID    TENANT    USER   STATE    AGE  NAME                              "
		 "        REASON\n"
		 "7     acme      bob    queued   30s  nightly?[2J                       "
		 "        tenant max_running (#2)\n"
		 "42    acme      alice  failed   0s   build                             "
		 "        exit 2\n"
		 "1234  research  carol  running  2h   python3 train.py --epochs=10000000000..."
		 "\n");
	free(buf);
	for (int i = 0; i < 3; i++)
		cli_job_release(&jobs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_minimal),   cmocka_unit_test(test_decode_full),
	    cmocka_unit_test(test_decode_malformed), cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_json_minimal),     cmocka_unit_test(test_json_full),
	    cmocka_unit_test(test_shell_quote),	     cmocka_unit_test(test_printable),
	    cmocka_unit_test(test_format_age),	     cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
