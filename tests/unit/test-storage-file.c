/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of storage/ that are about the database file: reopening,
 * schema versions, open errors, locking, modes and close-on-exec.
 */
#include "storage-fixture.h"

/* user_version lives at offset 60 of the file header, big-endian. */
static uint32_t header_user_version(const char *path)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 60), 4);
	close(fd);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void test_reopen(void **state)
{
	struct fixture *fx = *state;
	_cleanup_(jq_job_release) struct jq_job j;
	char *argv[] = {"make", "-j8", "all", NULL};
	struct jq_job t = job_template("acme");
	int64_t id;

	t.argv = argv;
	assert_int_equal(jq_store_job_insert(fx->s, &t, &id), 0);
	assert_int_equal(jq_store_job_mark_starting(fx->s, id, NULL), 0);
	jq_store_close(fx->s);
	fx->s = NULL;

	assert_true(jq_store_schema_version() >= 1);
	assert_int_equal(header_user_version(fx->path), (uint32_t)jq_store_schema_version());

	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_NORMAL, &fx->s), 0);
	assert_int_equal(jq_store_job_get(fx->s, id, &j), 0);
	assert_int_equal(j.state, JQ_JOB_STARTING);
	assert_strv_equal(j.argv, argv);
	/* reopening migrates nothing and keeps ids going */
	assert_true(insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED) > id);
	jq_store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(header_user_version(fx->path), (uint32_t)jq_store_schema_version());
}

static void test_newer_schema(void **state)
{
	struct fixture *fx = *state;
	uint32_t v = (uint32_t)jq_store_schema_version() + 1;
	unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
	struct jq_store *s = (struct jq_store *)0x1;
	int fd;

	insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	jq_store_close(fx->s);
	fx->s = NULL;

	fd = open(fx->path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, 4, 60), 4);
	close(fd);

	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_FULL, &s), -EPROTO);
	/* ret_* untouched on failure */
	assert_ptr_equal(s, (struct jq_store *)0x1);
	/* and the file was left as it was */
	assert_int_equal(header_user_version(fx->path), v);
}

static void test_open_errors(void **state)
{
	struct fixture *fx = *state;
	char p[PATH_MAX + 32];
	struct jq_store *s = NULL;
	int fd;

	snprintf(p, sizeof(p), "%s/missing/jobq.db", fx->dir);
	assert_int_equal(jq_store_open(p, JQ_STORE_SYNC_FULL, &s), -ENOENT);
	assert_int_equal(jq_store_open(fx->path, 7, &s), -EINVAL);
	assert_int_equal(jq_store_open(NULL, JQ_STORE_SYNC_FULL, &s), -EINVAL);
	assert_null(s);

	/* not a database: corruption, not a silent new schema */
	fd = open(fx->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "this is not an sqlite database\n", 31), 31);
	close(fd);
	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_FULL, &s), -EIO);
	assert_null(s);
}

/*
 * A second connection (an administrator's sqlite3, a second jobqd) holding
 * the write lock: a writer waits busy_timeout, then gets -EBUSY, and the
 * batch it was not part of is unharmed. Readers are not blocked (WAL).
 */
static void test_busy(void **state)
{
	struct fixture *fx = *state;
	struct jq_store *other = NULL;
	struct jq_job j = job_template("acme");
	struct timespec t0, t1;
	int64_t id = -1, ms;

	insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_FULL, &other), 0);
	assert_int_equal(jq_store_begin(other), 0);
	insert_job(other, "other", 0, JQ_JOB_QUEUED);

	assert_int_equal(count(fx->s, NULL, JQ_JOB_QUEUED), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(jq_store_job_insert(fx->s, &j, &id), -EBUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* busy_timeout is 5000 ms */
	assert_true(ms >= 4000);
	assert_int_equal(id, -1);

	assert_int_equal(jq_store_commit(other), 0);
	jq_store_close(other);
	assert_int_equal(count(fx->s, NULL, JQ_JOB_QUEUED), 2);
	insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	assert_int_equal(count(fx->s, NULL, JQ_JOB_QUEUED), 3);
}

/* The daemon's database must not reach a job: every fd SQLite holds is O_CLOEXEC, files 0600. */
static void test_file_mode_and_cloexec(void **state)
{
	struct fixture *fx = *state;
	char wal[PATH_MAX + 8];
	struct stat st;
	mode_t old;
	DIR *d;
	struct dirent *e;
	int ours = 0;

	/* with umask 0 SQLite's own default (0644) would show */
	old = umask(0);
	assert_int_equal(jq_store_open(fx->path, JQ_STORE_SYNC_FULL, &fx->s), 0);
	insert_job(fx->s, "acme", 0, JQ_JOB_QUEUED);
	umask(old);

	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((e = readdir(d))) {
		char link[64], target[PATH_MAX];
		ssize_t n;
		int fd, flags;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, fx->dir, strlen(fx->dir)) != 0)
			continue;
		flags = fcntl(fd, F_GETFD);
		assert_true(flags >= 0);
		if (!(flags & FD_CLOEXEC))
			fail_msg("fd %d ('%s') is not close-on-exec", fd, target);
		ours++;
	}
	closedir(d);
	/* the database, its WAL and its shared-memory index */
	assert_true(ours >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FILE_ONLY(test_reopen, setup_file),
	    FILE_ONLY(test_newer_schema, setup_file),
	    FILE_ONLY(test_open_errors, setup_dir),
	    FILE_ONLY(test_busy, setup_file),
	    FILE_ONLY(test_file_mode_and_cloexec, setup_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
