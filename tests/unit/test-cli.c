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
     "jobq: job 5 failed to start: bad\\x1b[2Jreason\n"},
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

/*
 * Hostile text: what a member can put in argv (or, without C0 controls, in
 * a name), and how every human form must show it: escaped like jobqd's log.
 */
struct hostile_case {
	const char *in;
	const char *shown; /* cli_printable() */
	const char *shell; /* cli_shell_quote() */
	const char *csv;   /* cli_csv_field() */
};

static const struct hostile_case hostile_cases[] = {
    /* clear screen, cursor home */
    {"x\x1b[2J\x1b[H", "x\\x1b[2J\\x1b[H", "$'x\\x1b[2J\\x1b[H'", "x\\x1b[2J\\x1b[H"},
    /* OSC 52: write the clipboard, terminated by BEL */
    {"\x1b]52;c;cm0gLXJmIH4K\a", "\\x1b]52;c;cm0gLXJmIH4K\\x07", "$'\\x1b]52;c;cm0gLXJmIH4K\\x07'",
     "\\x1b]52;c;cm0gLXJmIH4K\\x07"},
    /* OSC 0: the window title, terminated by ST (ESC \) */
    {"\x1b]0;pwned\x1b\\", "\\x1b]0;pwned\\x1b\\\\", "$'\\x1b]0;pwned\\x1b\\\\'",
     "\\x1b]0;pwned\\x1b\\\\"},
    /* carriage return: overwrite what the line said */
    {"rm -rf ~\rmake   ", "rm -rf ~\\rmake   ", "$'rm -rf ~\\rmake   '", "rm -rf ~\\rmake   "},
    /* a fake line below */
    {"a\n7  acme  root  running", "a\\n7  acme  root  running", "$'a\\n7  acme  root  running'",
     "a\\n7  acme  root  running"},
    {"t\tq'\\", "t\\tq'\\\\", "$'t\\tq\\'\\\\'", "t\\tq'\\\\"},
    {"del\x7f", "del\\x7f", "$'del\\x7f'", "del\\x7f"},
    {"nul-free\x01\x1f", "nul-free\\x01\\x1f", "$'nul-free\\x01\\x1f'", "nul-free\\x01\\x1f"},
    /* C1 CSI (U+009B): ESC [ to some terminals */
    {"\xc2\x9b"
     "31m",
     "\\xc2\\x9b31m", "$'\\xc2\\x9b31m'", "\\xc2\\x9b31m"},
    /* right-to-left override: "exe.gnp" reads as "png.exe" */
    {"\xe2\x80\xae"
     "gnp.exe",
     "\\xe2\\x80\\xaegnp.exe", "$'\\xe2\\x80\\xaegnp.exe'", "\\xe2\\x80\\xaegnp.exe"},
    /* isolates (U+2066 LRI .. U+2069 PDI) and the line separator U+2028 */
    {"a\xe2\x81\xa6"
     "b\xe2\x81\xa9"
     "c\xe2\x80\xa8",
     "a\\xe2\\x81\\xa6b\\xe2\\x81\\xa9c\\xe2\\x80\\xa8",
     "$'a\\xe2\\x81\\xa6b\\xe2\\x81\\xa9c\\xe2\\x80\\xa8'",
     "a\\xe2\\x81\\xa6b\\xe2\\x81\\xa9c\\xe2\\x80\\xa8"},
    /* invalid UTF-8 (the protocol refuses it; the escape still holds) */
    {"\xff\xc3", "\\xff\\xc3", "$'\\xff\\xc3'", "\\xff\\xc3"},
    /* CSV: a comma and a quote still make one field */
    {"a,\"b\"\n", "a,\"b\"\\n", "$'a,\"b\"\\n'", "\"a,\"\"b\"\"\\n\""},
    /* what is not hostile is kept as it is */
    {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
     "'caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac'", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"},
    {"a\\b", "a\\\\b", "'a\\b'", "a\\\\b"},
    {"=1+2", "=1+2", "=1+2", "=1+2"},
};

/*
 * Fails unless s is text that cannot act on a terminal: printable ASCII,
 * line ends, and valid UTF-8 that is neither a C1 control, a line or
 * paragraph separator nor a bidi control. Checked here independently of
 * jq_log_escape().
 */
static void assert_inert(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n;

		if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
			i++;
			continue;
		}
		n = jq_utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp < 0xa0 || cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			fail_msg("byte 0x%02x at offset %zu of '%s' is not inert", c, i, s);
		i += n;
	}
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A job whose every string field is another user's text t. */
static void hostile_job(struct cli_job *j, const char *t, const char *state)
{
	cli_job_init(j);
	j->job.id = 9;
	assert_int_equal(jq_job_state_from_string(state, &j->job.state), 0);
	j->job.tenant = strdup(t);
	j->job.user = strdup(t);
	j->job.name = strdup(t);
	j->job.reason = strdup(t);
	j->job.cwd = strdup(t);
	j->job.argv = calloc(3, sizeof(char *));
	assert_non_null(j->job.argv);
	j->job.argv[0] = strdup("sh");
	j->job.argv[1] = strdup(t);
	j->job.submitted_at = T0;
}

typedef void (*render_fn)(const struct cli_job *j, FILE *f);

static void render_table(const struct cli_job *j, FILE *f)
{
	assert_int_equal(cli_jobs_print_table(j, 1, T0, f), 0);
}

static void render_details(const struct cli_job *j, FILE *f)
{
	cli_job_print_details(j, T0, f);
}

static void render_exit(const struct cli_job *j, FILE *f)
{
	cli_job_exit_status(j, f);
}

static void render_put(const struct cli_job *j, FILE *f)
{
	cli_put_printable(f, j->job.name);
	fputc('\n', f);
}

static void render_csv(const struct cli_job *j, FILE *f)
{
	assert_int_equal(cli_csv_field(f, j->job.name), 0);
	fputc('\n', f);
}

static char *render(render_fn fn, const struct cli_job *j, size_t *ret_len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, ret_len);

	assert_non_null(f);
	fn(j, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_hostile_escape(void **state)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(hostile_cases); i++) {
		const struct hostile_case *c = &hostile_cases[i];
		char *s = cli_printable(c->in);
		char *q = cli_shell_quote(c->in);

		assert_non_null(s);
		assert_string_equal(s, c->shown);
		assert_non_null(q);
		assert_string_equal(q, c->shell);
		free(s);
		free(q);
	}
}

/* Every human form of a job shows the text escaped, on the lines it owns. */
static void test_hostile_render(void **state)
{
	static const struct {
		render_fn fn;
		const char *what;
		const char *job_state;
		size_t lines;
	} forms[] = {
	    {render_table, "list table", "queued", 2},
	    {render_details, "show", "failed_to_start", 13},
	    {render_exit, "wait", "failed_to_start", 1},
	    {render_exit, "wait", "cancelled", 1},
	    {render_put, "printable", "queued", 1},
	    {render_csv, "csv", "queued", 1},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(hostile_cases); i++) {
		const struct hostile_case *c = &hostile_cases[i];

		for (size_t k = 0; k < JQ_ARRAY_SIZE(forms); k++) {
			struct cli_job j;
			size_t len;
			char *out;

			hostile_job(&j, c->in, forms[k].job_state);
			out = render(forms[k].fn, &j, &len);
			assert_inert(out, len);
			if (count_lines(out) != forms[k].lines)
				fail_msg("%s of case %zu: %zu lines, want %zu:\n%s", forms[k].what,
					 i, count_lines(out), forms[k].lines, out);
			if (!strstr(out, forms[k].fn == render_csv ? c->csv : c->shown))
				fail_msg("%s of case %zu does not show '%s':\n%s", forms[k].what, i,
					 c->shown, out);
			free(out);
			cli_job_release(&j);
		}
	}
}

/* `show` quotes argv for a shell: bash reads the escapes back as the bytes. */
static void test_hostile_show_argv(void **state)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(hostile_cases); i++) {
		const struct hostile_case *c = &hostile_cases[i];
		struct cli_job j;
		char *out, *want;
		size_t len;

		hostile_job(&j, c->in, "running");
		out = render(render_details, &j, &len);
		want = jq_asprintf("argv:        sh %s\n", c->shell);
		assert_non_null(want);
		if (!strstr(out, want))
			fail_msg("case %zu: no '%s' in:\n%s", i, want, out);
		free(want);
		free(out);
		cli_job_release(&j);
	}
}

/*
 * JSON is printable ASCII: jansson escapes C0 controls, everything past
 * U+007F is \uXXXX (so no C1 control or bidi override is raw), DEL is
 * \u007f; and it reads back as the same text. Invalid UTF-8 never becomes
 * JSON (the protocol refuses it first; jansson refuses it too).
 */
static void test_hostile_json(void **state)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(hostile_cases); i++) {
		const struct hostile_case *c = &hostile_cases[i];
		json_t *v, *back;
		struct cli_job j;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		hostile_job(&j, c->in, "running");
		v = cli_job_to_json(&j, CLI_JSON_DETAIL);
		if (!jq_utf8_valid(c->in, strlen(c->in))) {
			assert_null(v);
			cli_job_release(&j);
			continue;
		}
		assert_non_null(v);
		f = open_memstream(&buf, &len);
		assert_non_null(f);
		assert_int_equal(cli_json_print(v, f), 0);
		assert_int_equal(fclose(f), 0);
		for (size_t k = 0; k < len; k++)
			if (buf[k] != '\n' && (buf[k] < 0x20 || buf[k] >= 0x7f))
				fail_msg("case %zu: byte 0x%02x in JSON:\n%s", i,
					 (unsigned char)buf[k], buf);
		back = json_loads(buf, 0, NULL);
		assert_non_null(back);
		assert_string_equal(json_string_value(json_object_get(back, "name")), c->in);
		assert_string_equal(
		    json_string_value(json_array_get(json_object_get(back, "argv"), 1)), c->in);
		json_decref(back);
		json_decref(v);
		free(buf);
		cli_job_release(&j);
	}
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
		 "7     acme      bob    queued   30s  nightly\\x1b[2J                    "
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
	    cmocka_unit_test(test_decode_minimal),
	    cmocka_unit_test(test_decode_full),
	    cmocka_unit_test(test_decode_malformed),
	    cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_json_minimal),
	    cmocka_unit_test(test_json_full),
	    cmocka_unit_test(test_shell_quote),
	    cmocka_unit_test(test_format_age),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_hostile_escape),
	    cmocka_unit_test(test_hostile_render),
	    cmocka_unit_test(test_hostile_show_argv),
	    cmocka_unit_test(test_hostile_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
