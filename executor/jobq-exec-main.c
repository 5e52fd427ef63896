/* SPDX-License-Identifier: MIT */
/*
 * jobq-exec <run-dir>: runs the job described by <run-dir>/spec and writes
 * <run-dir>/result. Started by jobqd (as root, in its own session); owns
 * the job until its last descendant is reaped and does not depend on the
 * daemon staying alive.
 *
 * Exit status: 0 when a result was written, 1 when the spec could not be
 * read or the result could not be written, 2 on a usage error.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>

#include "jq-exec-internal.h"
#include "jq-exec.h"
#include "jq-log.h"
#include "jq-time.h"
#include "jq-util.h"

static char log_ident[64] = "jobq-exec";

static void log_ident_set(int64_t job_id)
{
	snprintf(log_ident, sizeof(log_ident), "jobq-exec[%" PRId64 "]", job_id);
	jq_log_setup(log_ident, JQ_LOG_INFO);
}

/*
 * fds 0-2 are opened onto /dev/null when missing, so that no pipe or log
 * file of ours ever gets one of those numbers.
 */
static int std_fds_ensure(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int n;
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		n = JQ_RETRY_EINTR(open("/dev/null", O_RDWR));
		if (n < 0)
			return -errno;
		if (n != fd) {
			close(n);
			return -EBADF;
		}
	}
	return 0;
}

/*
 * SIGCHLD and the cancel signals are taken through a signalfd, so the
 * single-threaded poll loop sees them in order with everything else. They
 * are blocked before anything else so a cancel that arrives during setup is
 * queued, not lost. Dispositions are reset because an ignored SIGCHLD
 * inherited through exec would make the kernel reap children for us.
 */
static int signals_setup(int *ret_sfd)
{
	static const int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(sigs); i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	sigemptyset(&dfl.sa_mask);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &dfl, NULL) < 0)
			return -errno;
	/* A closed reader of a log pipe must be an EPIPE, not our death. */
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	*ret_sfd = fd;
	return 0;
}

/* The job id from a run directory named <state_dir>/jobs/<id>, else -1. */
static int64_t job_id_from_run_dir(const char *run_dir)
{
	_cleanup_free_ char *copy = strdup(run_dir);
	char *base, *end;
	long long v;

	if (!copy)
		return -1;
	base = basename(copy);
	errno = 0;
	v = strtoll(base, &end, 10);
	if (errno || end == base || *end || v < 0)
		return -1;
	return v;
}

/* Into the reservation when there is one (fd >= 0). */
static int result_write(const char *run_dir, int fd, const struct jq_exec_result *res)
{
	if (fd < 0)
		return jq_exec_result_write(run_dir, res);
	return jq_exec_result_write_reserved(run_dir, fd, res);
}

static int result_write_failed(const char *run_dir, int fd, int64_t job_id, const char *step,
			       int err, const char *value)
{
	struct jq_exec_result res = {
	    .job_id = job_id,
	    .status = JQ_EXEC_FAILED_TO_START,
	    .end_cause = JQ_EXEC_END_NORMAL,
	    .exit_code = -1,
	    .signal = -1,
	    .started_at = -1,
	    .finished_at = jq_now_usec(),
	    .acct = {-1, -1, -1, -1, -1, -1, -1},
	};
	int r;

	res.message = jq_exec_step_message(step, err, NULL, value);
	if (!res.message)
		return -ENOMEM;
	r = result_write(run_dir, fd, &res);
	jq_exec_result_release(&res);
	return r;
}

static void diag_log(const struct jq_exec_diag *d)
{
	if (d->step)
		jq_log_error_errno(-d->step_err, "cannot start job: %s failed: %m", d->step);
	if (d->log_err)
		jq_log_warning_errno(d->log_err, "cannot write job output to its log: %m");
	if (d->report_err)
		jq_log_warning_errno(d->report_err, "cannot read the job child's report: %m");
	if (d->drain_cut)
		jq_log_warning("job output still open after kill_grace, rest dropped");
	if (d->n_left)
		jq_log_warning("%zu descendants of the job survived SIGKILL, not waiting",
			       d->n_left);
}

int main(int argc, char **argv)
{
	struct jq_exec_spec spec = {0};
	struct jq_exec_result res;
	struct jq_exec_diag diag;
	_cleanup_close_ int sfd = -1, rfd = -1;
	const char *run_dir, *step = NULL;
	int step_err = 0;
	int r;

	jq_log_setup(log_ident, JQ_LOG_INFO);
	if (argc != 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: jobq-exec <run-dir>\n");
		return 2;
	}
	run_dir = argv[1];
	r = signals_setup(&sfd);
	if (r < 0)
		step = "signals";
	else if ((r = std_fds_ensure()) < 0)
		step = "stdio";
	step_err = r;
	/*
	 * The result's space, before anything runs: a job (this one or
	 * another's) that fills the file system cannot make this job's end go
	 * unrecorded. Without the space the job does not start.
	 */
	if (!step) {
		r = jq_exec_result_reserve(run_dir, &rfd);
		if (r < 0) {
			step = "result";
			step_err = r;
		}
	}

	r = jq_exec_spec_read(run_dir, &spec);
	if (r < 0) {
		int64_t id = job_id_from_run_dir(run_dir);
		log_ident_set(id);
		jq_log_error_errno(r, "cannot read spec in '%s': %m", run_dir);
		r = result_write_failed(run_dir, rfd, id, "spec", -r, JQ_EXEC_SPEC_FILE);
		if (r < 0)
			jq_log_error_errno(r, "cannot write result in '%s': %m", run_dir);
		return 1;
	}
	log_ident_set(spec.job_id);
	/*
	 * Test hook: the path walk of kernels without openat2, on any kernel,
	 * so that tests prove it as strict as openat2. Said in the log, so a
	 * test can check that the hook reached us.
	 */
	if (getenv("JOBQ_EXEC_TEST_NO_OPENAT2")) {
		jq_exec_path_force_walk(true);
		jq_log_info("test hook: paths resolved without openat2");
	}

	/*
	 * Every orphaned descendant of the job becomes our child: we reap it,
	 * its rusage is counted, and one that escaped the process group can
	 * still be found and killed.
	 */
	if (!step && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		step = "subreaper";
		step_err = -errno;
	}
	if (step) {
		jq_log_error_errno(step_err, "cannot start job: %s failed: %m", step);
		r = result_write_failed(run_dir, rfd, spec.job_id, step, -step_err, NULL);
		jq_exec_spec_release(&spec);
		if (r < 0)
			jq_log_error_errno(r, "cannot write result in '%s': %m", run_dir);
		return r < 0 ? 1 : 0;
	}

	r = jq_exec_run(run_dir, &spec, sfd, &res, &diag);
	jq_exec_spec_release(&spec);
	if (r < 0) {
		jq_log_error_errno(r, "cannot run job: %m");
		return 1;
	}
	diag_log(&diag);
	r = result_write(run_dir, rfd, &res);
	jq_exec_result_release(&res);
	if (r < 0) {
		jq_log_error_errno(r, "cannot write result in '%s': %m", run_dir);
		return 1;
	}
	return 0;
}
