/* SPDX-License-Identifier: MIT */
/*
 * common/: the file helpers, logging and paths (config path, resolution,
 * normalization, the client's socket lookup).
 */
#include "common-fixture.h"

/* jq-util */

static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool want;
	} cases[] = {
	    {"", 0, true},
	    {"hello", 5, true},
	    {"\0", 1, true}, /* NUL is valid UTF-8: the protocol rejects it separately */
	    {"\x7f", 1, true},
	    {"\xc2\x80", 2, true},     /* U+0080 */
	    {"\xc3\xa9", 2, true},     /* é */
	    {"\xdf\xbf", 2, true},     /* U+07FF */
	    {"\xe0\xa0\x80", 3, true}, /* U+0800 */
	    {"\xe2\x82\xac", 3, true}, /* € */
	    {"\xed\x9f\xbf", 3, true}, /* U+D7FF */
	    {"\xee\x80\x80", 3, true}, /* U+E000 */
	    {"\xef\xbf\xbf", 3, true}, /* U+FFFF */
	    {"\xf0\x90\x80\x80", 4, true},
	    {"\xf0\x9f\x98\x80", 4, true},
	    {"\xf4\x8f\xbf\xbf", 4, true}, /* U+10FFFF */
	    {"a\xc3\xa9z\xe2\x82\xac\xf0\x9f\x98\x80!", 12, true},
	    /* overlongs */
	    {"\xc0\x80", 2, false},
	    {"\xc0\xaf", 2, false},
	    {"\xc1\xbf", 2, false},
	    {"\xe0\x80\xaf", 3, false},
	    {"\xe0\x9f\xbf", 3, false},
	    {"\xf0\x80\x80\xaf", 4, false},
	    {"\xf0\x8f\xbf\xbf", 4, false},
	    /* surrogates */
	    {"\xed\xa0\x80", 3, false},
	    {"\xed\xad\xbf", 3, false},
	    {"\xed\xbf\xbf", 3, false},
	    {"\xed\xa0\xbd\xed\xb8\x80", 6, false},
	    /* beyond U+10FFFF and 5/6-byte forms */
	    {"\xf4\x90\x80\x80", 4, false},
	    {"\xf5\x80\x80\x80", 4, false},
	    {"\xf7\xbf\xbf\xbf", 4, false},
	    {"\xf8\x88\x80\x80\x80", 5, false},
	    {"\xfc\x84\x80\x80\x80\x80", 6, false},
	    {"\xfe", 1, false},
	    {"\xff", 1, false},
	    /* stray continuation bytes */
	    {"\x80", 1, false},
	    {"\xbf", 1, false},
	    {"a\x80z", 3, false},
	    /* truncated sequences */
	    {"\xc3", 1, false},
	    {"\xe2\x82", 2, false},
	    {"\xe2", 1, false},
	    {"\xf0\x9f\x98", 3, false},
	    {"\xf0\x9f", 2, false},
	    {"abc\xc3", 4, false},
	    {"\xc3\xa9", 1, false}, /* cut by len, not by the string */
	    {"\xf0\x9f\x98\x80", 3, false},
	    /* bad continuation */
	    {"\xc3\x28", 2, false},
	    {"\xe2\x28\xa1", 3, false},
	    {"\xe2\x82\x28", 3, false},
	    {"\xf0\x28\x8c\xbc", 4, false},
	    {"\xf0\x9f\x98\xc0", 4, false},
	    {"\xc3\xc3\xa9", 3, false},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++)
		if (jq_utf8_valid(cases[i].s, cases[i].len) != cases[i].want)
			fail_msg("case %zu: jq_utf8_valid != %d", i, cases[i].want);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_file_roundtrip(void **state)
{
	_cleanup_free_ char *dir = tmp_path("files");
	_cleanup_free_ char *path = tmp_path("files/record");
	_cleanup_free_ char *missing = tmp_path("nodir/record");
	static const char content[] = "hello\0world\n";
	const size_t clen = sizeof(content) - 1;
	char *data = NULL;
	size_t len = 0;
	struct stat st;

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(jq_write_file_atomic(path, content, clen, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */

	assert_int_equal(jq_read_file(path, clen, &data, &len), 0);
	assert_int_equal(len, clen);
	assert_memory_equal(data, content, clen);
	assert_int_equal(data[len], '\0');
	free(data);
	data = NULL;
	assert_int_equal(jq_read_file(path, 4096, &data, NULL), 0);
	assert_memory_equal(data, content, clen);
	free(data);
	data = NULL;

	/* One byte over the limit. */
	len = 99;
	assert_int_equal(jq_read_file(path, clen - 1, &data, &len), -EFBIG);
	assert_null(data);
	assert_int_equal(len, 99);
	assert_int_equal(jq_read_file(path, 0, &data, &len), -EFBIG);

	/* Replacing keeps one file and gives the new content; empty is fine. */
	assert_int_equal(jq_write_file_atomic(path, "", 0, 0644), 0);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(jq_read_file(path, 0, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	data = NULL;

	/* Sizes around the reader's buffer steps. */
	static const size_t sizes[] = {4095, 4096, 4097, 8192, 100000};
	_cleanup_free_ char *big = malloc(100000);
	assert_non_null(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(sizes); i++) {
		assert_int_equal(jq_write_file_atomic(path, big, sizes[i], 0600), 0);
		assert_int_equal(jq_read_file(path, sizes[i], &data, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_memory_equal(data, big, len);
		free(data);
		data = NULL;
		assert_int_equal(jq_read_file(path, sizes[i] - 1, &data, &len), -EFBIG);
		assert_null(data);
	}

	/* The reader does not follow a symlink; errors come back as -errno. */
	_cleanup_free_ char *link = tmp_path("files/link");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(jq_read_file(link, 4096, &data, &len), -ELOOP);
	assert_int_equal(jq_read_file(missing, 4096, &data, &len), -ENOENT);
	assert_int_equal(jq_write_file_atomic(missing, "x", 1, 0600), -ENOENT);
	assert_null(data);
	assert_int_equal(jq_rm_rf(dir), 0);
}

static void test_write_all(void **state)
{
	int p[2];
	char buf[16] = {0};

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(jq_write_all(p[1], "abc\0def", 7), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "abc\0def", 7);
	close(p[0]);
	/* A closed pipe is an error, not a crash: SIGPIPE is the caller's to ignore. */
	struct sigaction sa = {.sa_handler = SIG_IGN}, old;
	assert_int_equal(sigaction(SIGPIPE, &sa, &old), 0);
	assert_int_equal(jq_write_all(p[1], "x", 1), -EPIPE);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
	close(p[1]);
	assert_int_equal(jq_write_all(-1, "x", 1), -EBADF);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdir_p(void **state)
{
	_cleanup_free_ char *deep = tmp_path("mk/a/b/c");
	_cleanup_free_ char *slash = tmp_path("mk/x//y/");
	_cleanup_free_ char *file = tmp_path("mk/file");
	_cleanup_free_ char *under = tmp_path("mk/file/sub");
	_cleanup_free_ char *top = tmp_path("mk");
	struct stat st;

	assert_int_equal(jq_mkdir_p(deep, 0700), 0);
	assert_true(is_dir(deep));
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(jq_mkdir_p(deep, 0700), 0); /* existing */
	assert_int_equal(jq_mkdir_p(tmpdir, 0700), 0);
	assert_int_equal(jq_mkdir_p(slash, 0755), 0);
	_cleanup_free_ char *y = tmp_path("mk/x/y");
	assert_true(is_dir(y));

	/* A file in the way is an error, as the final component or above it. */
	write_text(file, "x");
	assert_int_equal(jq_mkdir_p(under, 0700), -ENOTDIR);
	assert_int_equal(jq_mkdir_p(file, 0700), -ENOTDIR);
	assert_int_equal(jq_rm_rf(top), 0);
}

static void test_rm_rf(void **state)
{
	_cleanup_free_ char *outside = tmp_path("outside");
	_cleanup_free_ char *keep = tmp_path("outside/keep");
	_cleanup_free_ char *tree = tmp_path("tree");
	_cleanup_free_ char *deep = tmp_path("tree/a/b/c");
	_cleanup_free_ char *f1 = tmp_path("tree/a/f1");
	_cleanup_free_ char *f2 = tmp_path("tree/a/b/c/f2");
	_cleanup_free_ char *dlink = tmp_path("tree/a/to-outside");
	_cleanup_free_ char *flink = tmp_path("tree/a/b/to-keep");
	_cleanup_free_ char *dangling = tmp_path("tree/dangling");

	assert_int_equal(jq_mkdir_p(outside, 0755), 0);
	write_text(keep, "precious");
	assert_int_equal(jq_mkdir_p(deep, 0755), 0);
	write_text(f1, "1");
	write_text(f2, "2");
	assert_int_equal(symlink(outside, dlink), 0);
	assert_int_equal(symlink(keep, flink), 0);
	assert_int_equal(symlink("/nonexistent/x", dangling), 0);

	assert_int_equal(jq_rm_rf(tree), 0);
	assert_false(path_exists(tree));
	assert_true(is_dir(outside));
	char *data = NULL;
	assert_int_equal(jq_read_file(keep, 100, &data, NULL), 0);
	assert_string_equal(data, "precious");
	free(data);

	/* Missing is success; a symlink given directly is removed, not followed. */
	assert_int_equal(jq_rm_rf(tree), 0);
	_cleanup_free_ char *top_link = tmp_path("top-link");
	assert_int_equal(symlink(outside, top_link), 0);
	assert_int_equal(jq_rm_rf(top_link), 0);
	assert_false(path_exists(top_link));
	assert_true(path_exists(keep));

	/* A plain file. */
	assert_int_equal(jq_rm_rf(keep), 0);
	assert_false(path_exists(keep));
	assert_int_equal(jq_rm_rf(outside), 0);
	assert_false(path_exists(outside));
}

static void test_strv(void **state)
{
	static char *const v[] = {"a", "", "long string with spaces", NULL};
	static char *const empty[] = {NULL};
	char **c;

	assert_int_equal(jq_strv_length(NULL), 0);
	assert_int_equal(jq_strv_length(empty), 0);
	assert_int_equal(jq_strv_length(v), 3);

	c = jq_strv_copy(v);
	assert_non_null(c);
	assert_int_equal(jq_strv_length(c), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(c[i], v[i]);
		assert_ptr_not_equal(c[i], v[i]);
	}
	assert_null(c[3]);
	jq_strv_free(c);

	c = jq_strv_copy(empty);
	assert_non_null(c);
	assert_null(c[0]);
	jq_strv_free(c);
	jq_strv_free(NULL);

	_cleanup_free_ char *s = jq_asprintf("%s '%d'", "value", 42);
	assert_string_equal(s, "value '42'");
}

/* jq-log */

static void test_log(void **state)
{
	_cleanup_free_ char *path = tmp_path("log");
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	char *data = NULL;

	assert_true(fd >= 0);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);

	jq_log_setup("jobqd", JQ_LOG_INFO);
	errno = EAGAIN;
	int r1 = jq_log_error_errno(-ENOENT, "cannot open '%s': %m", "/x");
	int e1 = errno;
	int r2 = jq_log_debug("not shown");
	int r3 = jq_log_warning("value '%d', ignoring", 3);
	jq_log_setup("jobq", JQ_LOG_DEBUG);
	int r4 = jq_log_debug("shown");
	/* The message is escaped, the prefix and the line end are not. */
	jq_log_info("job 7 failed to start: chdir ('%s')",
		    "/tmp/x\nFAKE jobqd: info: job 1 succeeded\x1b[2J");
	_cleanup_free_ char *big = malloc(20000);
	assert_non_null(big);
	memset(big, 'a', 19999);
	big[19999] = '\0';
	big[0] = '\n';
	jq_log_info("%s", big);
	fflush(stderr);

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_int_equal(r1, -ENOENT);
	assert_int_equal(e1, EAGAIN);
	assert_int_equal(r2, 0);
	assert_int_equal(r3, 0);
	assert_int_equal(r4, 0);
	assert_int_equal(jq_read_file(path, 65536, &data, NULL), 0);
	_cleanup_free_ char *cut =
	    jq_asprintf("jobq: info: \\n%.8190s [11808 more bytes cut]\n", big + 1);
	_cleanup_free_ char *want = jq_asprintf(
	    "jobqd: error: cannot open '/x': No such file or directory\n"
	    "jobqd: warning: value '3', ignoring\n"
	    "jobq: debug: shown\n"
	    "jobq: info: job 7 failed to start: chdir ('/tmp/x\\nFAKE jobqd: info: job 1 "
	    "succeeded\\x1b[2J')\n"
	    "%s",
	    cut);
	assert_string_equal(data, want);
	free(data);
	assert_int_equal(unlink(path), 0);
}

static void test_log_escape(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen(in) */
		const char *want;
	} cases[] = {
	    {"plain text, 'quoted' (1/2) ~", 0, "plain text, 'quoted' (1/2) ~"},
	    {"", 0, ""},
	    {"a\\b", 0, "a\\\\b"},
	    {"\\n is not a newline", 0, "\\\\n is not a newline"},
	    {"l1\nl2\r\n", 0, "l1\\nl2\\r\\n"},
	    {"tab\there", 0, "tab\\there"},
	    {"\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m"},
	    {"\x01\x07\x08\x0b\x0c\x1f\x7f", 0, "\\x01\\x07\\x08\\x0b\\x0c\\x1f\\x7f"},
	    {"nul\0after", 9, "nul\\x00after"},
	    /* valid UTF-8 stays */
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	    /* C1 controls, even well encoded: U+009B is CSI */
	    {"\xc2\x9b"
	     "2J",
	     0, "\\xc2\\x9b2J"},
	    {"\xc2\x85", 0, "\\xc2\\x85"},
	    {"\xc2\xa0", 0, "\xc2\xa0"},
	    /* line separators, bidi overrides and isolates */
	    {"a\xe2\x80\xa8"
	     "b",
	     0, "a\\xe2\\x80\\xa8b"},
	    {"\xe2\x80\xae", 0, "\\xe2\\x80\\xae"},
	    {"\xe2\x81\xa6", 0, "\\xe2\\x81\\xa6"},
	    /* invalid UTF-8: raw C1 byte, stray continuation, overlong, surrogate, cut, too big */
	    {"\x9b", 0, "\\x9b"},
	    {"\x80x", 0, "\\x80x"},
	    {"\xc0\x8a", 0, "\\xc0\\x8a"},
	    {"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},
	    {"\xe2\x82", 0, "\\xe2\\x82"},
	    {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"},
	    {"\xff\xfe", 0, "\\xff\\xfe"},
	    /* an invalid lead byte does not swallow the valid text after it */
	    {"\xe2(\xc3\xa9", 0, "\\xe2(\xc3\xa9"},
	};
	char out[256];

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		size_t used = jq_log_escape(cases[i].in, len, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0 || used != len)
			fail_msg("case %zu: got '%s' (%zu of %zu bytes), want '%s'", i, out, used,
				 len, cases[i].want);
	}

	/* Cut only between whole escapes and whole characters. */
	assert_int_equal(jq_log_escape("ab\ncd", 6, out, 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(jq_log_escape("ab\ncd", 6, out, 5), 3);
	assert_string_equal(out, "ab\\n");
	assert_int_equal(jq_log_escape("a\xc3\xa9", 3, out, 3), 1);
	assert_string_equal(out, "a");
	assert_int_equal(jq_log_escape("\x1b", 1, out, 4), 0);
	assert_string_equal(out, "");
	assert_int_equal(jq_log_escape("x", 1, out, 0), 0);
}

/* jq-paths */

static void test_path_resolve(void **state)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	static const struct {
		const char *config, *p, *want;
		bool under_cwd;
	} cases[] = {
	    {"/etc/jobq/jobq.ini", "/run/jobq/s.sock", "/run/jobq/s.sock", false},
	    {"jobq.ini", "/abs", "/abs", false},
	    {"/etc/jobq/jobq.ini", "s.sock", "/etc/jobq/s.sock", false},
	    {"/etc/jobq/jobq.ini", "run/s.sock", "/etc/jobq/run/s.sock", false},
	    {"/etc/jobq/jobq.ini", "../s.sock", "/etc/s.sock", false},
	    {"/etc/jobq/jobq.ini", "./a/../b//c/", "/etc/jobq/b/c", false},
	    {"/etc/jobq/jobq.ini", "/x/../../y/.", "/y", false},
	    {"/jobq.ini", "s.sock", "/s.sock", false},
	    {"conf/jobq.ini", "s.sock", "conf/s.sock", true},
	    {"a/b/jobq.ini", "run/s.sock", "a/b/run/s.sock", true},
	    {"jobq.ini", "s.sock", "s.sock", true},
	};

	assert_non_null(cwd);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = jq_path_resolve(cases[i].config, cases[i].p);
		_cleanup_free_ char *want = cases[i].under_cwd
						? jq_asprintf("%s/%s", cwd, cases[i].want)
						: strdup(cases[i].want);
		assert_non_null(got);
		assert_non_null(want);
		if (strcmp(got, want))
			fail_msg("jq_path_resolve('%s', '%s') = '%s', want '%s'", cases[i].config,
				 cases[i].p, got, want);
	}
}

static void test_path_normalize(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"/", "/"},
	    {"//", "/"},
	    {"/a", "/a"},
	    {"/a/", "/a"},
	    {"/a//b", "/a/b"},
	    {"/a/./b", "/a/b"},
	    {"/a/../b", "/b"},
	    {"/..", "/"},
	    {"/../..", "/"},
	    {"/a/b/../../c", "/c"},
	    {"/a/..b/.c", "/a/..b/.c"},
	    {"/a/b/..", "/a"},
	    {"/a/.", "/a"},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = jq_path_normalize(cases[i].in);
		assert_non_null(got);
		if (strcmp(got, cases[i].want))
			fail_msg("jq_path_normalize('%s') = '%s', want '%s'", cases[i].in, got,
				 cases[i].want);
	}
	errno = 0;
	assert_null(jq_path_normalize("relative/path"));
	assert_int_equal(errno, EINVAL);
}

/* The lexical checks the sandbox and jobqd apply to a job's working directory. */
static void test_path_canonical(void **state)
{
	static const struct {
		const char *p;
		bool canonical;
		const char *kernel;
	} cases[] = {
	    {"/", true, NULL},
	    {"/a", true, NULL},
	    {"/a/b.c/..d/.e", true, NULL},
	    {"/proc", true, "/proc"},
	    {"/proc/self/cwd", true, "/proc"},
	    {"/process", true, NULL},
	    {"/sys/fs/cgroup", true, "/sys"},
	    {"/dev/shm", true, "/dev"},
	    {"/device", true, NULL},
	    {"/tmp/dev", true, NULL},
	    {"", false, NULL},
	    {"a/b", false, NULL},
	    {"//", false, NULL},
	    {"/a/", false, NULL},
	    {"/a//b", false, NULL},
	    {"/.", false, NULL},
	    {"/a/./b", false, NULL},
	    {"/..", false, NULL},
	    {"/proc/self/..", false, "/proc"},
	    {"/a/b/..", false, NULL},
	};

	(void)state;
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		const char *k = jq_path_kernel_dir(cases[i].p);
		if (jq_path_canonical(cases[i].p) != cases[i].canonical)
			fail_msg("jq_path_canonical('%s') != %d", cases[i].p, cases[i].canonical);
		if ((k == NULL) != (cases[i].kernel == NULL) ||
		    (k && strcmp(k, cases[i].kernel) != 0))
			fail_msg("jq_path_kernel_dir('%s') = '%s'", cases[i].p, k ? k : "(null)");
	}
	assert_true(jq_path_under("/a/b", "/a"));
	assert_true(jq_path_under("/a", "/a"));
	assert_false(jq_path_under("/ab", "/a"));
	assert_true(jq_path_under("/a", "/"));
}

static void test_ini_read_socket(void **state)
{
	_cleanup_free_ char *ini = tmp_path("jobq.ini");
	_cleanup_free_ char *rel = tmp_path("rel/d.sock");
	static const struct {
		const char *text;
		const char *want; /* NULL: resolved "rel/d.sock" */
	} cases[] = {
	    {"[daemon]\nsocket = /run/a.sock\n", "/run/a.sock"},
	    {"[daemon]\nsocket=/run/a.sock", "/run/a.sock"},
	    {"[daemon]\n   socket   =   /run/sp.sock   \n", "/run/sp.sock"},
	    {"[daemon]\r\nsocket = /run/crlf.sock\r\n", "/run/crlf.sock"},
	    {"", JQ_DEFAULT_SOCKET},
	    {"[daemon]\nstate_dir = /var/lib/x\n", JQ_DEFAULT_SOCKET},
	    {"[daemon]\nsockets = /no.sock\n", JQ_DEFAULT_SOCKET},
	    {"socket = /no.sock\n[daemon]\n", JQ_DEFAULT_SOCKET},
	    {"[storage]\nsocket = /no.sock\n[daemon]\nmax_running = 4\n", JQ_DEFAULT_SOCKET},
	    {"[daemon]\n[tenant.acme]\nsocket = /no.sock\n", JQ_DEFAULT_SOCKET},
	    {"[daemonx]\nsocket = /no.sock\n", JQ_DEFAULT_SOCKET},
	    {"[daemon]\n; socket = /no.sock\n# socket = /no2.sock\nsocket = /yes.sock\n",
	     "/yes.sock"},
	    {"[storage]\ndatabase = x.db\n\n[daemon]\nsocket = /run/c.sock ; the socket\n",
	     "/run/c.sock"},
	    {"[daemon]\nsocket = /run/c.sock\t; tab before the comment\n", "/run/c.sock"},
	    {"[daemon]\nsocket = /run/e;x.sock\n", "/run/e;x.sock"},
	    {"[daemon] ; section comment\nsocket = /run/f.sock\n", "/run/f.sock"},
	    {"[daemon]\nsocket = rel/d.sock\n", NULL},
	    {"[daemon]\nsocket = rel/d.sock ; relative\n", NULL},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = NULL;
		const char *want = cases[i].want ? cases[i].want : rel;

		write_text(ini, cases[i].text);
		assert_int_equal(jq_ini_read_socket(ini, &got), 0);
		if (strcmp(got, want))
			fail_msg("case %zu: socket '%s', want '%s'", i, got, want);
	}
	assert_int_equal(unlink(ini), 0);

	char *got = NULL;
	assert_int_equal(jq_ini_read_socket(ini, &got), -ENOENT);
	assert_null(got);
}

static void test_config_path(void **state)
{
	const char *old = getenv("JOBQ_CONFIG");
	_cleanup_free_ char *saved = old ? strdup(old) : NULL;
	static const char explicit_path[] = "/opt/x/jobq.ini";

	assert_int_equal(unsetenv("JOBQ_CONFIG"), 0);
	assert_ptr_equal(jq_config_path(explicit_path), explicit_path);
	assert_string_equal(jq_config_path(NULL), JQ_DEFAULT_CONFIG);

	assert_int_equal(setenv("JOBQ_CONFIG", "/srv/jobq/test.ini", 1), 0);
	assert_string_equal(jq_config_path(NULL), "/srv/jobq/test.ini");
	assert_ptr_equal(jq_config_path(explicit_path), explicit_path);

	assert_int_equal(setenv("JOBQ_CONFIG", "", 1), 0);
	assert_string_equal(jq_config_path(NULL), JQ_DEFAULT_CONFIG);

	assert_int_equal(unsetenv("JOBQ_CONFIG"), 0);
	assert_string_equal(jq_config_path(NULL), JQ_DEFAULT_CONFIG);
	if (saved)
		assert_int_equal(setenv("JOBQ_CONFIG", saved, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_file_roundtrip),
	    cmocka_unit_test(test_write_all),
	    cmocka_unit_test(test_mkdir_p),
	    cmocka_unit_test(test_rm_rf),
	    cmocka_unit_test(test_strv),
	    cmocka_unit_test(test_log),
	    cmocka_unit_test(test_log_escape),
	    cmocka_unit_test(test_path_resolve),
	    cmocka_unit_test(test_path_normalize),
	    cmocka_unit_test(test_path_canonical),
	    cmocka_unit_test(test_ini_read_socket),
	    cmocka_unit_test(test_config_path),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
