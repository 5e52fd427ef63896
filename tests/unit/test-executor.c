/* SPDX-License-Identifier: MIT */
/*
 * Real runs of the built jobq-exec helper ($JQ_BIN_DIR/jobq-exec) on run
 * directories made with mkdtemp(): exit status, signals, output and its cap,
 * timeout and cancel, the whole tree reaped, accounting, identity, fds.
 * (The records themselves are tested in test-exec-record.c.)
 *
 * The binary doubles as a job: `test-executor --busy-ms N` burns N ms of
 * CPU time, which gives the accounting test a load that does not depend on
 * the speed of the machine.
 */
#include "exec-fixture.h"

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

/*
 * The helper's own check of the working directory (jobqd refuses these at
 * submit too, but the helper's is the one that counts): the kernel's trees
 * and paths that are not canonical never start, and the message says why.
 */
static void test_run_refused_cwd(void **state)
{
	static const struct {
		const char *cwd, *want;
	} cases[] = {
	    {"/proc/self/..", "not an absolute path without '.', '..' or '//'"},
	    {"/proc/self/cwd", "refused: in /proc, /sys or /dev"},
	    {"/proc/1/root", "refused: in /proc, /sys or /dev"},
	    {"/proc", "refused: in /proc, /sys or /dev"},
	    {"/sys/fs/cgroup", "refused: in /proc, /sys or /dev"},
	    {"/dev/shm", "refused: in /proc, /sys or /dev"},
	};
	struct fixture *f = *state;
	char *argv[] = {"true", NULL};

	helper_require();
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		struct jq_exec_spec s = spec_for(cases[i].cwd, argv);
		struct jq_exec_result res;
		_cleanup_free_ char *head = jq_asprintf("chdir: %s", cases[i].want);
		_cleanup_free_ char *tail = jq_asprintf(" ('%s')", cases[i].cwd);
		run_job(f->dir, &s, &res);
		assert_int_equal(res.status, JQ_EXEC_FAILED_TO_START);
		assert_non_null(res.message);
		if (strncmp(res.message, head, strlen(head)) != 0 || !strstr(res.message, tail))
			fail_msg("cwd '%s': got '%s', want '%s...%s'", cases[i].cwd, res.message,
				 head, tail);
		jq_exec_result_release(&res);
	}
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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    T(test_run_exit_code),
	    T(test_run_signaled),
	    T(test_run_output_env_cwd),
	    T(test_run_not_found),
	    T(test_run_not_executable),
	    T(test_run_bad_cwd),
	    T(test_run_refused_cwd),
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
