/* SPDX-License-Identifier: MIT */
/*
 * Tests of executor/'s records: the spec jobqd writes and the result
 * jobq-exec writes, round trips, and every way a record can be refused.
 */
#include "exec-fixture.h"

/* ---- records ---- */

static char *argv_odd[] = {
    "/bin/echo",      "",
    "two words",      "quote ' and \" and \\",
    "tab\tnew\nline", "h\xc3\xa9llo \xe2\x98\x83",
    "--flag=--",      NULL,
};
static char *env_odd[] = {"A=", "B==", "PATH=/usr/bin:/bin", "UNI=\xf0\x9f\x98\x80", NULL};
static int64_t gids_odd[] = {0, 65534, 4294967294LL, 100};

static struct jq_exec_spec spec_full(void)
{
	return (struct jq_exec_spec){
	    .job_id = 9007199254740993LL,
	    .argv = argv_odd,
	    .env = env_odd,
	    .cwd = "/tmp/dir with spaces/\xc3\xa9",
	    .uid = 4294967294LL,
	    .gid = 0,
	    .gids = gids_odd,
	    .n_gids = JQ_ARRAY_SIZE(gids_odd),
	    .limits = {.cpus_milli = 1500,
		       .memory_bytes = 8LL << 30,
		       .pids = 4096,
		       .timeout_usec = 3600LL * 1000000},
	    .max_log_bytes = 64LL << 20,
	    .kill_grace_usec = 10 * 1000000,
	};
}

static void spec_assert_equal(const struct jq_exec_spec *a, const struct jq_exec_spec *b)
{
	assert_int_equal(a->job_id, b->job_id);
	assert_int_equal(jq_strv_length(a->argv), jq_strv_length(b->argv));
	for (size_t i = 0; a->argv[i]; i++)
		assert_string_equal(a->argv[i], b->argv[i]);
	assert_int_equal(jq_strv_length(a->env), jq_strv_length(b->env));
	for (size_t i = 0; a->env && a->env[i]; i++)
		assert_string_equal(a->env[i], b->env[i]);
	assert_string_equal(a->cwd, b->cwd);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_int_equal(a->n_gids, b->n_gids);
	for (size_t i = 0; i < a->n_gids; i++)
		assert_int_equal(a->gids[i], b->gids[i]);
	assert_int_equal(a->limits.cpus_milli, b->limits.cpus_milli);
	assert_int_equal(a->limits.memory_bytes, b->limits.memory_bytes);
	assert_int_equal(a->limits.pids, b->limits.pids);
	assert_int_equal(a->limits.timeout_usec, b->limits.timeout_usec);
	assert_int_equal(a->max_log_bytes, b->max_log_bytes);
	assert_int_equal(a->kill_grace_usec, b->kill_grace_usec);
}

static void test_spec_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct jq_exec_spec in = spec_full(), out;
	_cleanup_free_ char *path = path_join(f->dir, JQ_EXEC_SPEC_FILE);
	struct stat st;

	assert_int_equal(jq_exec_spec_write(f->dir, &in), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(jq_exec_spec_read(f->dir, &out), 0);
	spec_assert_equal(&in, &out);
	jq_exec_spec_release(&out);
	assert_null(out.argv);
}

static void test_spec_roundtrip_minimal(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"true", NULL};
	struct jq_exec_spec in =
				{
				    .job_id = 0,
				    .argv = argv,
				    .env = NULL,
				    .cwd = "/",
				    .limits = jq_limits_unset(),
				},
			    out;

	assert_int_equal(jq_exec_spec_write(f->dir, &in), 0);
	assert_int_equal(jq_exec_spec_read(f->dir, &out), 0);
	assert_non_null(out.env);
	assert_null(out.env[0]);
	in.env = out.env;
	spec_assert_equal(&in, &out);
	assert_int_equal(out.limits.timeout_usec, JQ_LIMIT_UNSET);
	jq_exec_spec_release(&out);
}

static void result_assert_equal(const struct jq_exec_result *a, const struct jq_exec_result *b)
{
	assert_int_equal(a->job_id, b->job_id);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->end_cause, b->end_cause);
	assert_int_equal(a->exit_code, b->exit_code);
	assert_int_equal(a->signal, b->signal);
	if (a->message)
		assert_string_equal(a->message, b->message);
	else
		assert_null(b->message);
	assert_int_equal(a->started_at, b->started_at);
	assert_int_equal(a->finished_at, b->finished_at);
	assert_int_equal(a->log_truncated, b->log_truncated);
	assert_memory_equal(&a->acct, &b->acct, sizeof(a->acct));
}

static void test_result_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct jq_exec_result out;
	struct jq_exec_result cases[] = {
	    {
		.job_id = 42,
		.status = JQ_EXEC_FAILED_TO_START,
		.end_cause = JQ_EXEC_END_CANCEL,
		.exit_code = -1,
		.signal = -1,
		.message = "chdir: No such file or directory ('/n\xc3\xb6pe \"x\"\n')",
		.started_at = 1764425317123456LL,
		.finished_at = 1764425318000001LL,
		.log_truncated = true,
		.acct = {1, 2, 3, 4, 5, 6, -1},
	    },
	    {
		.job_id = 1,
		.status = JQ_EXEC_SIGNALED,
		.end_cause = JQ_EXEC_END_TIMEOUT,
		.exit_code = -1,
		.signal = 9,
		.started_at = 10,
		.finished_at = 20,
		.acct = {-1, -1, -1, -1, -1, -1, -1},
	    },
	    {
		.job_id = INT64_MAX,
		.status = JQ_EXEC_EXITED,
		.exit_code = 255,
		.signal = -1,
		.message = "",
		.started_at = 0,
		.finished_at = INT64_MAX,
		.acct = {INT64_MAX, 0, 1LL << 40, 512, 1024, 10, 7},
	    },
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		assert_int_equal(jq_exec_result_write(f->dir, &cases[i]), 0);
		assert_int_equal(jq_exec_result_read(f->dir, &out), 0);
		result_assert_equal(&cases[i], &out);
		jq_exec_result_release(&out);
	}
}

/*
 * The reservation holds the largest result the reader accepts (message and
 * note at their limits), written in place; the temporary file is renamed.
 */
static void test_result_reserved(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *msg = malloc(JQ_PROTO_MAX_REASON + JQ_PROTO_MAX_PATH + 1);
	_cleanup_free_ char *note = malloc(JQ_PROTO_MAX_REASON + 1);
	_cleanup_free_ char *data = NULL;
	struct jq_exec_result in = {
	    .job_id = INT64_MAX,
	    .status = JQ_EXEC_FAILED_TO_START,
	    .exit_code = INT64_MIN,
	    .signal = INT64_MIN,
	    .started_at = INT64_MIN,
	    .finished_at = INT64_MAX,
	    .oom_kills = INT64_MAX,
	    .acct = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN},
	};
	struct jq_exec_result out;
	struct stat st;
	size_t len;
	int fd = -1;

	assert_non_null(msg);
	assert_non_null(note);
	memset(msg, 'm', JQ_PROTO_MAX_REASON + JQ_PROTO_MAX_PATH);
	msg[JQ_PROTO_MAX_REASON + JQ_PROTO_MAX_PATH] = '\0';
	memset(note, 'n', JQ_PROTO_MAX_REASON);
	note[JQ_PROTO_MAX_REASON] = '\0';
	in.message = msg;
	in.cgroup_note = note;

	assert_int_equal(jq_exec_result_reserve(f->dir, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size >= JQ_EXEC_RESULT_RESERVE);
	assert_true(st.st_blocks * 512 >= JQ_EXEC_RESULT_RESERVE);
	assert_int_equal(jq_exec_result_write_reserved(f->dir, fd, &in), 0);
	close(fd);

	data = file_read(f->dir, JQ_EXEC_RESULT_FILE, &len);
	assert_true(len <= JQ_EXEC_RESULT_RESERVE);
	assert_int_equal(jq_exec_result_read(f->dir, &out), 0);
	assert_string_equal(out.message, msg);
	assert_string_equal(out.cgroup_note, note);
	assert_int_equal(out.job_id, INT64_MAX);
	jq_exec_result_release(&out);
	/* Only the result is left: the temporary file was renamed, not copied. */
	{
		DIR *d = opendir(f->dir);
		struct dirent *de;
		size_t n = 0;
		assert_non_null(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		assert_int_equal(n, 1);
	}
}

static void test_run_dir(void **state)
{
	_cleanup_free_ char *p = jq_exec_run_dir("/var/lib/jobq", 42);

	assert_string_equal(p, "/var/lib/jobq/jobs/42");
}

static void test_record_missing_file(void **state)
{
	struct fixture *f = *state;
	struct jq_exec_spec s;
	struct jq_exec_result r;

	assert_int_equal(jq_exec_spec_read(f->dir, &s), -ENOENT);
	assert_int_equal(jq_exec_result_read(f->dir, &r), -ENOENT);
}

static void test_record_corrupt(void **state)
{
	struct fixture *f = *state;
	struct jq_exec_spec in = spec_full(), out;
	struct jq_exec_result res;
	_cleanup_free_ char *spec_path = path_join(f->dir, JQ_EXEC_SPEC_FILE);
	_cleanup_free_ char *result_path = path_join(f->dir, JQ_EXEC_RESULT_FILE);
	_cleanup_free_ char *good = NULL;
	_cleanup_free_ char *bad = NULL;
	size_t len;

	assert_int_equal(jq_exec_spec_write(f->dir, &in), 0);
	good = file_read(f->dir, JQ_EXEC_SPEC_FILE, &len);
	bad = malloc(len + 16);
	assert_non_null(bad);

	/* Truncated anywhere: empty, inside the header, inside a field. */
	size_t cuts[] = {0, 1, 7, 8, 9, 14, len / 2, len - 1};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cuts); i++) {
		file_write(spec_path, good, cuts[i], 0600);
		assert_int_equal(jq_exec_spec_read(f->dir, &out), -EBADMSG);
	}
	/* Trailing garbage. */
	memcpy(bad, good, len);
	memcpy(bad + len, "garbage", 7);
	file_write(spec_path, bad, len + 7, 0600);
	assert_int_equal(jq_exec_spec_read(f->dir, &out), -EBADMSG);
	/* Another protocol version. */
	memcpy(bad, good, len);
	bad[5] = 99;
	file_write(spec_path, bad, len, 0600);
	assert_int_equal(jq_exec_spec_read(f->dir, &out), -EBADMSG);
	/* A field length that runs past the end (first field's length byte). */
	memcpy(bad, good, len);
	bad[8 + 2] = 0x7f;
	file_write(spec_path, bad, len, 0600);
	assert_int_equal(jq_exec_spec_read(f->dir, &out), -EBADMSG);
	/* A spec is not a result and the other way round. */
	file_write(result_path, good, len, 0600);
	assert_int_equal(jq_exec_result_read(f->dir, &res), -EBADMSG);
	/* Text. */
	file_write(spec_path, "spec = yes\n", 11, 0600);
	assert_int_equal(jq_exec_spec_read(f->dir, &out), -EBADMSG);
	/* Too large to be a record: refused, not allocated. */
	{
		_cleanup_close_ int fd = open(spec_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, JQ_EXEC_MAX_RECORD + 1), 0);
	}
	assert_int_equal(jq_exec_spec_read(f->dir, &out), -EBADMSG);
}

/* Which parts of a spec frame to write, to test each required field. */
enum spec_part {
	PART_ID = 1 << 0,
	PART_ARGV = 1 << 1,
	PART_CWD = 1 << 2,
	PART_UID = 1 << 3,
	PART_GID = 1 << 4,
	PART_MAXLOG = 1 << 5,
	PART_GRACE = 1 << 6,
	PART_ALL = (1 << 7) - 1,
};

struct spec_variant {
	const char *what;
	unsigned parts;
	void (*extra)(struct jq_msg_writer *w);
	const char *cwd;
	const char *argv0;
	int expect;
};

static void extra_none(struct jq_msg_writer *w)
{
}
static void extra_dup_id(struct jq_msg_writer *w)
{
	jq_msg_put_i64(w, JQ_T_ID, 8);
}
static void extra_unknown_tag(struct jq_msg_writer *w)
{
	jq_msg_put_str(w, JQ_T_TENANT, "acme");
}
static void extra_short_int(struct jq_msg_writer *w)
{
	jq_msg_put_bytes(w, JQ_T_LIMIT_PIDS, "\0\0\0\1", 4);
}
static void extra_bad_utf8(struct jq_msg_writer *w)
{
	jq_msg_put_str(w, JQ_T_ENV, "X=\xc3\x28");
}
static void extra_env_no_eq(struct jq_msg_writer *w)
{
	jq_msg_put_str(w, JQ_T_ENV, "NOEQUALS");
}
static void extra_nul(struct jq_msg_writer *w)
{
	jq_msg_put_bytes(w, JQ_T_ARGV, "a\0b", 3);
}
static void extra_neg_gid(struct jq_msg_writer *w)
{
	jq_msg_put_i64(w, JQ_T_GIDS, -5);
}
static void extra_zero_limit(struct jq_msg_writer *w)
{
	jq_msg_put_i64(w, JQ_T_LIMIT_TIMEOUT, 0);
}

static void spec_frame_write(const char *dir, const struct spec_variant *v)
{
	_cleanup_free_ char *path = path_join(dir, JQ_EXEC_SPEC_FILE);
	struct jq_msg_writer w;

	jq_msg_writer_begin(&w, JQ_MSG_EXEC_SPEC);
	if (v->parts & PART_ID)
		jq_msg_put_i64(&w, JQ_T_ID, 7);
	if (v->parts & PART_ARGV) {
		jq_msg_put_str(&w, JQ_T_ARGV, v->argv0 ? v->argv0 : "true");
		jq_msg_put_str(&w, JQ_T_ARGV, "arg");
	}
	if (v->parts & PART_CWD)
		jq_msg_put_str(&w, JQ_T_CWD, v->cwd ? v->cwd : "/");
	if (v->parts & PART_UID)
		jq_msg_put_i64(&w, JQ_T_UID, 1000);
	if (v->parts & PART_GID)
		jq_msg_put_i64(&w, JQ_T_GID, 1000);
	if (v->parts & PART_MAXLOG)
		jq_msg_put_i64(&w, JQ_T_MAX_LOG_BYTES, 1024);
	if (v->parts & PART_GRACE)
		jq_msg_put_i64(&w, JQ_T_KILL_GRACE, 1000000);
	v->extra(&w);
	assert_int_equal(jq_msg_writer_finish(&w), 0);
	file_write(path, w.buf.data, w.buf.len, 0600);
	jq_msg_writer_release(&w);
}

static void test_spec_validation(void **state)
{
	struct fixture *f = *state;
	const struct spec_variant variants[] = {
	    {"complete", PART_ALL, extra_none, NULL, NULL, 0},
	    {"no id", PART_ALL & ~PART_ID, extra_none, NULL, NULL, -EBADMSG},
	    {"no argv", PART_ALL & ~PART_ARGV, extra_none, NULL, NULL, -EBADMSG},
	    {"no cwd", PART_ALL & ~PART_CWD, extra_none, NULL, NULL, -EBADMSG},
	    {"no uid", PART_ALL & ~PART_UID, extra_none, NULL, NULL, -EBADMSG},
	    {"no gid", PART_ALL & ~PART_GID, extra_none, NULL, NULL, -EBADMSG},
	    {"no max_log_bytes", PART_ALL & ~PART_MAXLOG, extra_none, NULL, NULL, -EBADMSG},
	    {"no kill_grace", PART_ALL & ~PART_GRACE, extra_none, NULL, NULL, -EBADMSG},
	    {"relative cwd", PART_ALL, extra_none, "tmp", NULL, -EBADMSG},
	    {"empty argv0", PART_ALL, extra_none, NULL, "", -EBADMSG},
	    {"duplicate id", PART_ALL, extra_dup_id, NULL, NULL, -EBADMSG},
	    {"unknown tag", PART_ALL, extra_unknown_tag, NULL, NULL, -EBADMSG},
	    {"4-byte integer", PART_ALL, extra_short_int, NULL, NULL, -EBADMSG},
	    {"invalid utf-8", PART_ALL, extra_bad_utf8, NULL, NULL, -EBADMSG},
	    {"env without =", PART_ALL, extra_env_no_eq, NULL, NULL, -EBADMSG},
	    {"nul in argv", PART_ALL, extra_nul, NULL, NULL, -EBADMSG},
	    {"negative gid", PART_ALL, extra_neg_gid, NULL, NULL, -EBADMSG},
	    {"zero timeout", PART_ALL, extra_zero_limit, NULL, NULL, -EBADMSG},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(variants); i++) {
		struct jq_exec_spec out;
		int r;

		spec_frame_write(f->dir, &variants[i]);
		r = jq_exec_spec_read(f->dir, &out);
		if (r != variants[i].expect)
			fail_msg("spec '%s': got %d, want %d", variants[i].what, r,
				 variants[i].expect);
		if (r == 0) {
			assert_string_equal(out.argv[1], "arg");
			jq_exec_spec_release(&out);
		}
	}
}

static void test_result_validation(void **state)
{
	struct fixture *f = *state;
	static const uint16_t all[] = {JQ_T_ID,		JQ_T_STATUS,	  JQ_T_END_CAUSE,
				       JQ_T_STARTED_AT, JQ_T_FINISHED_AT, JQ_T_LOG_TRUNCATED};
	_cleanup_free_ char *path = path_join(f->dir, JQ_EXEC_RESULT_FILE);

	/* Each required field left out in turn; i == n leaves none out. */
	for (size_t skip_i = 0; skip_i <= JQ_ARRAY_SIZE(all); skip_i++) {
		struct jq_msg_writer w;
		struct jq_exec_result out;
		int r;

		jq_msg_writer_begin(&w, JQ_MSG_EXEC_RESULT);
		for (size_t k = 0; k < JQ_ARRAY_SIZE(all); k++)
			if (k != skip_i)
				jq_msg_put_i64(&w, all[k],
					       all[k] == JQ_T_STATUS ? JQ_EXEC_EXITED : 0);
		jq_msg_put_i64(&w, JQ_T_EXIT_CODE, 0);
		assert_int_equal(jq_msg_writer_finish(&w), 0);
		file_write(path, w.buf.data, w.buf.len, 0600);
		jq_msg_writer_release(&w);
		r = jq_exec_result_read(f->dir, &out);
		if (skip_i == JQ_ARRAY_SIZE(all)) {
			assert_int_equal(r, 0);
			jq_exec_result_release(&out);
		} else {
			assert_int_equal(r, -EBADMSG);
		}
	}

	/* Values that contradict each other or are out of range. */
	const struct jq_exec_result bad[] = {
	    {.status = JQ_EXEC_FAILED_TO_START, .exit_code = -1, .signal = -1}, /* no message */
	    {.status = JQ_EXEC_EXITED, .exit_code = -1, .signal = -1},
	    {.status = JQ_EXEC_EXITED, .exit_code = 256, .signal = -1},
	    {.status = JQ_EXEC_SIGNALED, .exit_code = -1, .signal = -1},
	    {.status = 3, .exit_code = 0, .signal = -1},
	    {.status = JQ_EXEC_EXITED, .end_cause = 3, .exit_code = 0, .signal = -1},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(bad); i++) {
		struct jq_exec_result out;
		assert_int_equal(jq_exec_result_write(f->dir, &bad[i]), 0);
		assert_int_equal(jq_exec_result_read(f->dir, &out), -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_spec_roundtrip),    T(test_spec_roundtrip_minimal),
	    T(test_result_roundtrip),  T(test_result_reserved),
	    T(test_run_dir),	       T(test_record_missing_file),
	    T(test_record_corrupt),    T(test_spec_validation),
	    T(test_result_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
