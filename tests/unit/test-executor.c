/* SPDX-License-Identifier: MIT */
/*
 * Tests of executor/: the spec and result records, and real runs of the
 * built jobq-exec helper ($JQ_BIN_DIR/jobq-exec) on run directories made
 * with mkdtemp().
 *
 * The binary doubles as a job: `test-executor --busy-ms N` burns N ms of
 * CPU time, which gives the accounting test a load that does not depend on
 * the speed of the machine.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <linux/capability.h>

#include "jq-exec.h"
#include "jq-protocol.h"
#include "jq-time.h"
#include "jq-util.h"

/* Longest a helper run may take in these tests before it counts as hung. */
#define HELPER_DEADLINE_MS 30000

struct fixture {
	char dir[64];
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/jq-test-exec-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	/* Jobs run as nobody when we are root (sandbox): they must reach the dir. */
	if (chmod(f->dir, 0755) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	jq_rm_rf(f->dir);
	free(f);
	return 0;
}

static char *path_join(const char *dir, const char *name)
{
	char *p = jq_asprintf("%s/%s", dir, name);

	assert_non_null(p);
	return p;
}

static void file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(jq_write_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, mode), 0);
}

static char *file_read(const char *dir, const char *name, size_t *ret_len)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char *data = NULL;

	assert_int_equal(jq_read_file(path, 16 * 1024 * 1024, &data, ret_len), 0);
	return data;
}

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

/* ---- real runs of jobq-exec ---- */

static char helper_path[4096];
static char self_exe[4096];

static void helper_require(void)
{
	const char *dir = getenv("JQ_BIN_DIR");

	if (!dir) {
		print_message("JQ_BIN_DIR is not set: skipping runs of jobq-exec\n");
		skip();
	}
	snprintf(helper_path, sizeof(helper_path), "%s/jobq-exec", dir);
	if (access(helper_path, X_OK) < 0)
		fail_msg("'%s' is not an executable: build the jobq-exec target", helper_path);
}

static pid_t helper_spawn(const char *run_dir)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(helper_path, helper_path, run_dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * Waits for the helper for at most timeout_ms. On timeout it is killed and
 * false returned, so that a hung helper fails the test instead of hanging it.
 */
static bool helper_wait(pid_t pid, int timeout_ms, int *ret_status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int64_t deadline = jq_mono_usec() + (int64_t)timeout_ms * 1000;
	bool exited = false;
	int status;

	if (pfd < 0) {
		/*
		 * No pidfd (valgrind 3.19 does not know pidfd_open): poll the
		 * child's state with WNOHANG in small steps, still bounded.
		 */
		assert_int_equal(errno, ENOSYS);
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			assert_true(w >= 0);
			if (w == pid) {
				*ret_status = status;
				return true;
			}
			if (jq_mono_usec() >= deadline)
				break;
			(void)poll(NULL, 0, 5);
		}
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		*ret_status = status;
		return false;
	}
	for (;;) {
		int64_t left = deadline - jq_mono_usec();
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		if (left <= 0)
			break;
		int r = poll(&p, 1, (int)(left / 1000) + 1);
		if (r > 0) {
			exited = true;
			break;
		}
		assert_true(r == 0 || errno == EINTR);
	}
	close(pfd);
	if (!exited)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*ret_status = status;
	return exited;
}

/* Writes the spec, runs the helper to its end and reads the result. */
static void run_job(const char *run_dir, const struct jq_exec_spec *s, struct jq_exec_result *ret)
{
	int status;
	pid_t pid;

	assert_int_equal(jq_exec_spec_write(run_dir, s), 0);
	pid = helper_spawn(run_dir);
	assert_true(helper_wait(pid, HELPER_DEADLINE_MS, &status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(jq_exec_result_read(run_dir, ret), 0);
	assert_int_equal(ret->job_id, s->job_id);
}

static char *env_default[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

static struct jq_exec_spec spec_for(const char *cwd, char **argv)
{
	return (struct jq_exec_spec){
	    .job_id = 17,
	    .argv = argv,
	    .env = env_default,
	    .cwd = (char *)cwd,
	    /* The sandbox never runs a job as host root: root's test jobs run as nobody. */
	    .uid = getuid() == 0 ? 65534 : getuid(),
	    .gid = getuid() == 0 ? 65534 : getgid(),
	    .limits = jq_limits_unset(),
	    .max_log_bytes = 1 << 20,
	    .kill_grace_usec = 2 * 1000000,
	};
}

static void assert_log(const char *dir, const char *name, const char *want)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	data = file_read(dir, name, &len);
	assert_int_equal(strlen(data), len);
	assert_string_equal(data, want);
}

static void test_run_exit_code(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sh", "-c", "exit 3", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;
	int64_t before = jq_now_usec();

	helper_require();
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.end_cause, JQ_EXEC_END_NORMAL);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.signal, -1);
	assert_null(res.message);
	assert_false(res.log_truncated);
	assert_true(res.started_at >= before);
	assert_true(res.finished_at >= res.started_at);
	assert_true(res.finished_at <= jq_now_usec());
	assert_int_equal(res.acct.wall_usec, res.finished_at - res.started_at);
	assert_int_equal(res.acct.queue_wait_usec, -1);
	assert_true(res.acct.cpu_user_usec >= 0 && res.acct.cpu_system_usec >= 0);
	assert_true(res.acct.memory_peak_bytes > 0);
	assert_log(f->dir, JQ_EXEC_STDOUT_FILE, "");
	jq_exec_result_release(&res);
}

static void test_run_signaled(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;

	helper_require();
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_SIGNALED);
	assert_int_equal(res.end_cause, JQ_EXEC_END_NORMAL);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.exit_code, -1);
	jq_exec_result_release(&res);
}

static void test_run_output_env_cwd(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *work = path_join(f->dir, "work dir");
	_cleanup_free_ char *bin = jq_asprintf("%s/bin", work);
	_cleanup_free_ char *cmd = jq_asprintf("%s/mycmd", bin);
	_cleanup_free_ char *path_env = jq_asprintf("PATH=%s:/usr/bin:/bin", bin);
	_cleanup_free_ char *want = NULL;
	static const char script[] = "#!/bin/sh\n"
				     "printf 'foo=%s\\n' \"$FOO\"\n"
				     "printf 'args=%s|%s\\n' \"$1\" \"$2\"\n"
				     "printf 'leak=%s\\n' \"${JQ_TEST_EXEC_LEAK-unset}\"\n"
				     "pwd\n"
				     "readlink /proc/self/fd/0\n"
				     "echo to-stderr >&2\n";
	char *env[] = {"FOO=bar baz \xe2\x98\x83", path_env, NULL};
	char *argv[] = {"mycmd", "one two", "", NULL};
	struct jq_exec_spec s = spec_for(work, argv);
	struct jq_exec_result res;

	helper_require();
	assert_int_equal(jq_mkdir_p(bin, 0755), 0);
	file_write(cmd, script, strlen(script), 0755);
	s.env = env;
	/* The helper's own environment must not reach the job. */
	setenv("JQ_TEST_EXEC_LEAK", "leaked", 1);
	run_job(f->dir, &s, &res);
	unsetenv("JQ_TEST_EXEC_LEAK");

	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 0);
	want = jq_asprintf("foo=bar baz \xe2\x98\x83\nargs=one two|\nleak=unset\n%s\n/dev/null\n",
			   work);
	assert_log(f->dir, JQ_EXEC_STDOUT_FILE, want);
	assert_log(f->dir, JQ_EXEC_STDERR_FILE, "to-stderr\n");
	jq_exec_result_release(&res);
}

static void test_run_not_found(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"jq-no-such-command-x", "arg", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;

	helper_require();
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 127);
	assert_null(res.message);
	assert_log(f->dir, JQ_EXEC_STDERR_FILE,
		   "jobq: 'jq-no-such-command-x': command not found\n");
	assert_log(f->dir, JQ_EXEC_STDOUT_FILE, "");
	jq_exec_result_release(&res);
}

static void test_run_not_executable(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *file = path_join(f->dir, "data.txt");
	_cleanup_free_ char *want = NULL;
	char *argv[] = {file, NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;

	helper_require();
	file_write(file, "hello\n", 6, 0644);
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 126);
	want = jq_asprintf("jobq: '%s': Permission denied\n", file);
	assert_log(f->dir, JQ_EXEC_STDERR_FILE, want);
	jq_exec_result_release(&res);
}

static void test_run_bad_cwd(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"true", NULL};
	struct jq_exec_spec s = spec_for("/nonexistent/jq-test-exec", argv);
	struct jq_exec_result res;

	helper_require();
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_FAILED_TO_START);
	assert_int_equal(res.exit_code, -1);
	assert_int_equal(res.signal, -1);
	assert_string_equal(res.message,
			    "chdir: No such file or directory ('/nonexistent/jq-test-exec')");
	jq_exec_result_release(&res);
}

static void test_run_timeout(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sleep", "30", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;

	helper_require();
	s.limits.timeout_usec = 300 * 1000;
	s.kill_grace_usec = 10 * 1000000;
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_SIGNALED);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.end_cause, JQ_EXEC_END_TIMEOUT);
	assert_true(res.acct.wall_usec >= 300 * 1000);
	/* sleep dies on SIGTERM: nothing waits for the grace period. */
	assert_true(res.acct.wall_usec < 10 * 1000000);
	jq_exec_result_release(&res);
}

static void test_run_timeout_ignores_term(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sh", "-c", "trap '' TERM; sleep 30", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;

	helper_require();
	s.limits.timeout_usec = 1000 * 1000;
	s.kill_grace_usec = 300 * 1000;
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_SIGNALED);
	assert_int_equal(res.signal, SIGKILL);
	assert_int_equal(res.end_cause, JQ_EXEC_END_TIMEOUT);
	assert_true(res.acct.wall_usec >= 1300 * 1000);
	assert_true(res.acct.wall_usec < 20 * 1000000);
	jq_exec_result_release(&res);
}

/* Bounded wait until the job's stdout holds want. */
static bool stdout_wait_for(const char *dir, const char *want, int timeout_ms)
{
	int64_t deadline = jq_mono_usec() + (int64_t)timeout_ms * 1000;
	_cleanup_free_ char *path = path_join(dir, JQ_EXEC_STDOUT_FILE);

	while (jq_mono_usec() < deadline) {
		_cleanup_free_ char *data = NULL;
		struct timespec ts = {0, 10 * 1000 * 1000};
		if (jq_read_file(path, 1 << 20, &data, NULL) == 0 && strstr(data, want))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_run_cancel(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sh", "-c", "echo ready; exec sleep 30", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;
	int status;
	pid_t pid;

	helper_require();
	assert_int_equal(jq_exec_spec_write(f->dir, &s), 0);
	pid = helper_spawn(f->dir);
	if (!stdout_wait_for(f->dir, "ready\n", HELPER_DEADLINE_MS)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the job never printed 'ready'");
	}
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_true(helper_wait(pid, HELPER_DEADLINE_MS, &status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(jq_exec_result_read(f->dir, &res), 0);
	assert_int_equal(res.status, JQ_EXEC_SIGNALED);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.end_cause, JQ_EXEC_END_CANCEL);
	jq_exec_result_release(&res);
}

static void test_run_log_cap(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sh", "-c",
			"head -c 1048576 /dev/zero | tr '\\0' a; "
			"head -c 1000 /dev/zero | tr '\\0' b >&2",
			NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;
	static const char marker[] = "\n[jobq: output truncated at 65536 bytes]\n";
	_cleanup_free_ char *out = NULL, *err = NULL;
	size_t out_len, err_len;

	helper_require();
	s.max_log_bytes = 64 * 1024;
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 0);
	assert_true(res.log_truncated);

	out = file_read(f->dir, JQ_EXEC_STDOUT_FILE, &out_len);
	err = file_read(f->dir, JQ_EXEC_STDERR_FILE, &err_len);
	assert_true(out_len + err_len <= 64 * 1024 + 2 * strlen(marker));
	/* stdout filled the cap, then the marker; stderr lost everything. */
	assert_int_equal(out_len, 64 * 1024 + strlen(marker));
	for (size_t i = 0; i < 64 * 1024; i++)
		if (out[i] != 'a')
			fail_msg("stdout byte %zu is 0x%02x", i, (unsigned char)out[i]);
	assert_string_equal(out + 64 * 1024, marker);
	assert_string_equal(err, marker);
	jq_exec_result_release(&res);
}

static bool pid_is_our_sleep(pid_t pid)
{
	_cleanup_free_ char *path = jq_asprintf("/proc/%d/cmdline", (int)pid);
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (jq_read_file(path, 4096, &data, &len) < 0)
		return false;
	return len == 10 && memcmp(data,
				   "sleep\0"
				   "100\0",
				   10) == 0;
}

/* A 'sleep 100' anywhere on the host, or 0. */
static pid_t any_sleep_100(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid > 0 && pid_is_our_sleep(pid))
			found = pid;
	}
	closedir(d);
	return found;
}

/*
 * Runs a job that leaves a background child in its process group and one
 * in a session of its own, with the given kill_grace.
 */
static void background_run(const char *dir, int64_t kill_grace_usec)
{
	char *argv[] = {"sh", "-c",
			"sleep 100 & echo $! > pids; setsid sleep 100 & echo $! >> pids; "
			"echo hi",
			NULL};
	struct jq_exec_spec s = spec_for(dir, argv);
	struct jq_exec_result res;
	_cleanup_free_ char *pids = NULL;
	pid_t pid[2];
	int64_t start;
	int status;
	pid_t helper;

	s.kill_grace_usec = kill_grace_usec;
	/* The job (nobody, when we are root) writes its pids file here. */
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(jq_exec_spec_write(dir, &s), 0);
	start = jq_mono_usec();
	helper = helper_spawn(dir);
	bool exited = helper_wait(helper, 15000, &status);
	int64_t elapsed = jq_mono_usec() - start;
	pids = file_read(dir, "pids", NULL);
	assert_int_equal(sscanf(pids, "%d %d", &pid[0], &pid[1]), 2);
	if (!exited) {
		for (int i = 0; i < 2; i++)
			if (pid_is_our_sleep(pid[i]))
				kill(pid[i], SIGKILL);
		fail_msg("jobq-exec did not exit while the job's background processes lived");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/*
	 * The pids are the job's, in its own pid namespace when sandboxed:
	 * look for any 'sleep 100' left on the host instead.
	 */
	for (int i = 0; i < 2; i++) {
		pid_t left = any_sleep_100();
		if (left <= 0)
			break;
		kill(left, SIGKILL);
		fail_msg("background 'sleep 100' (pid %d) outlived the job", left);
	}
	/* Killed, not waited for: the helper must not sit out the grace period. */
	if (elapsed > 5 * 1000000)
		fail_msg("jobq-exec took %" PRId64 " usec to finish", elapsed);
	assert_int_equal(jq_exec_result_read(dir, &res), 0);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 0);
	assert_log(dir, JQ_EXEC_STDOUT_FILE, "hi\n");
	jq_exec_result_release(&res);
}

static void test_run_background_descendants(void **state)
{
	struct fixture *f = *state;

	helper_require();
	background_run(f->dir, 10 * 1000000);
	/* kill_grace 0: nothing to drain for, the output is still complete. */
	background_run(f->dir, 0);
}

static void test_run_cpu_accounting(void **state)
{
	struct fixture *f = *state;
	/*
	 * The sandbox shows the job only its cwd from below /tmp (which is
	 * where a checkout may live): run a copy of this binary from there.
	 */
	_cleanup_free_ char *busy = path_join(f->dir, "busy");
	char *argv[] = {busy, "--busy-ms", "300", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int64_t cpu;

	helper_require();
	assert_int_equal(jq_read_file(self_exe, 64 << 20, &data, &len), 0);
	assert_int_equal(jq_write_file_atomic(busy, data, len, 0755), 0);
	run_job(f->dir, &s, &res);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 0);
	cpu = res.acct.cpu_user_usec + res.acct.cpu_system_usec;
	if (cpu < 250 * 1000 || cpu > 5 * 1000000)
		fail_msg("cpu of a 300 ms busy loop: %" PRId64 " usec", cpu);
	assert_true(res.acct.cpu_user_usec >= 150 * 1000);
	assert_true(res.acct.wall_usec >= 300 * 1000);
	assert_true(res.acct.memory_peak_bytes > 100 * 1024);
	assert_true(res.acct.memory_peak_bytes < (1LL << 30));
	assert_true(res.acct.io_read_bytes >= 0 && res.acct.io_write_bytes >= 0);
	jq_exec_result_release(&res);
}

/*
 * Copies the permitted capabilities into the inheritable set (or restores
 * saved). setresuid() away from root leaves the inheritable set alone, so
 * this is what makes the helper's capability step observable.
 */
static void caps_inheritable(bool raise, struct __user_cap_data_struct saved[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	assert_int_equal(syscall(SYS_capget, &hdr, data), 0);
	if (raise) {
		memcpy(saved, data, sizeof(data));
		for (int i = 0; i < 2; i++)
			data[i].inheritable = data[i].permitted;
	} else {
		memcpy(data, saved, sizeof(data));
	}
	assert_int_equal(syscall(SYS_capset, &hdr, data), 0);
}

static void test_run_as_nobody(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"sh", "-c",
			"id -u; id -g; id -G; grep -E '^Cap(Inh|Prm|Eff|Amb):' /proc/self/status",
			NULL};
	int64_t gids[] = {65534};
	struct jq_exec_spec s = spec_for("/", argv);
	struct jq_exec_result res;
	_cleanup_free_ char *out_path = path_join(f->dir, JQ_EXEC_STDOUT_FILE);
	struct __user_cap_data_struct saved[2];
	struct stat st;

	helper_require();
	if (geteuid() != 0) {
		print_message("not root: cannot test running as another uid\n");
		skip();
	}
	s.uid = 65534;
	s.gid = 65534;
	s.gids = gids;
	s.n_gids = 1;
	caps_inheritable(true, saved);
	run_job(f->dir, &s, &res);
	caps_inheritable(false, saved);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 0);
	assert_log(f->dir, JQ_EXEC_STDOUT_FILE,
		   "65534\n65534\n65534\n"
		   "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
		   "CapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n");
	/* The logs stay root's: the job wrote them through its pipes only. */
	assert_int_equal(stat(out_path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	jq_exec_result_release(&res);
}

static void test_run_fds(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"ls", "/proc/self/fd", NULL};
	struct jq_exec_spec s = spec_for(f->dir, argv);
	struct jq_exec_result res;
	int leak;

	helper_require();
	/* An fd the helper inherits without close-on-exec must not reach the job. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak >= 3);
	run_job(f->dir, &s, &res);
	close(leak);
	assert_int_equal(res.status, JQ_EXEC_EXITED);
	assert_int_equal(res.exit_code, 0);
	/* 0-2, and 3: the directory ls itself has open. */
	assert_log(f->dir, JQ_EXEC_STDOUT_FILE, "0\n1\n2\n3\n");
	jq_exec_result_release(&res);
}

static void test_run_spec_unreadable(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *run_dir = jq_asprintf("%s/jobs/77", f->dir);
	_cleanup_free_ char *spec_path = NULL;
	struct jq_exec_result res;
	int status;
	pid_t pid;

	helper_require();
	assert_int_equal(jq_mkdir_p(run_dir, 0700), 0);

	pid = helper_spawn(run_dir);
	assert_true(helper_wait(pid, HELPER_DEADLINE_MS, &status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_int_equal(jq_exec_result_read(run_dir, &res), 0);
	assert_int_equal(res.job_id, 77);
	assert_int_equal(res.status, JQ_EXEC_FAILED_TO_START);
	assert_string_equal(res.message, "spec: No such file or directory ('spec')");
	/* The job never started; the daemon knows when it tried. */
	assert_int_equal(res.started_at, -1);
	assert_int_equal(res.exit_code, -1);
	assert_int_equal(res.acct.wall_usec, -1);
	jq_exec_result_release(&res);

	spec_path = path_join(run_dir, JQ_EXEC_SPEC_FILE);
	file_write(spec_path, "\0\0\0\1\0\1\0\310x", 9, 0600);
	pid = helper_spawn(run_dir);
	assert_true(helper_wait(pid, HELPER_DEADLINE_MS, &status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_int_equal(jq_exec_result_read(run_dir, &res), 0);
	assert_int_equal(res.status, JQ_EXEC_FAILED_TO_START);
	assert_string_equal(res.message, "spec: Bad message ('spec')");
	jq_exec_result_release(&res);
}

/* The job mode of this binary: burn ms milliseconds of CPU time. */
static int busy(const char *ms_s)
{
	int64_t ms = atoll(ms_s);
	struct timespec ts;
	volatile uint64_t x = 0;

	for (;;) {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= ms)
			return 0;
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    T(test_spec_roundtrip),
	    T(test_spec_roundtrip_minimal),
	    T(test_result_roundtrip),
	    T(test_run_dir),
	    T(test_record_missing_file),
	    T(test_record_corrupt),
	    T(test_spec_validation),
	    T(test_result_validation),
	    T(test_run_exit_code),
	    T(test_run_signaled),
	    T(test_run_output_env_cwd),
	    T(test_run_not_found),
	    T(test_run_not_executable),
	    T(test_run_bad_cwd),
	    T(test_run_timeout),
	    T(test_run_timeout_ignores_term),
	    T(test_run_cancel),
	    T(test_run_log_cap),
	    T(test_run_background_descendants),
	    T(test_run_cpu_accounting),
	    T(test_run_as_nobody),
	    T(test_run_fds),
	    T(test_run_spec_unreadable),
	};
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--busy-ms") == 0)
		return busy(argv[2]);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n < 0)
		return 1;
	self_exe[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
