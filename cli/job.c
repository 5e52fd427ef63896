/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli-internal.h"
#include "jq-parse.h"

/* Bounds for the strings of a job record; the daemon sends no longer ones. */
#define CLI_MAX_IDENT 256
#define CLI_MAX_STATE 32

void cli_job_init(struct cli_job *j)
{
	jq_job_init(&j->job);
	j->position = -1;
	j->has_priority = false;
}

void cli_job_release(struct cli_job *j)
{
	if (!j)
		return;
	jq_job_release(&j->job);
	cli_job_init(j);
}

static int get_i64_opt(const struct jq_msg *m, enum jq_tag tag, int64_t min, int64_t *ret)
{
	int64_t v;
	int r = jq_msg_get_i64(m, tag, &v);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (v < min)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int get_str_opt(const struct jq_msg *m, enum jq_tag tag, size_t max, char **ret)
{
	const char *s;
	char *d;
	int r = jq_msg_get_str(m, tag, max, &s);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r == -E2BIG ? -EBADMSG : r;
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	free(*ret);
	*ret = d;
	return 0;
}

int cli_job_from_msg(const struct jq_msg *m, struct cli_job *ret)
{
	_cleanup_(cli_job_releasep) struct cli_job j;
	struct jq_job *job = &j.job;
	const char *state;
	int r;

	cli_job_init(&j);

	r = jq_msg_get_i64(m, JQ_T_ID, &job->id);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	if (job->id <= 0)
		return -EBADMSG;
	r = jq_msg_get_str(m, JQ_T_STATE, CLI_MAX_STATE, &state);
	if (r < 0)
		return -EBADMSG;
	if (jq_job_state_from_string(state, &job->state) < 0)
		return -EBADMSG;

	const struct {
		enum jq_tag tag;
		size_t max;
		char **dst;
	} strs[] = {
	    {JQ_T_TENANT, CLI_MAX_IDENT, &job->tenant},
	    {JQ_T_USER, CLI_MAX_IDENT, &job->user},
	    {JQ_T_NAME, JQ_PROTO_MAX_NAME, &job->name},
	    {JQ_T_REASON, JQ_PROTO_MAX_REASON, &job->reason},
	    {JQ_T_CWD, JQ_PROTO_MAX_PATH, &job->cwd},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(strs); i++) {
		r = get_str_opt(m, strs[i].tag, strs[i].max, strs[i].dst);
		if (r < 0)
			return r;
	}

	/* -1 means "absent" everywhere, so a value below its minimum is malformed. */
	const struct {
		enum jq_tag tag;
		int64_t min;
		int64_t *dst;
	} ints[] = {
	    {JQ_T_EXIT_CODE, 0, &job->exit_code},
	    {JQ_T_SIGNAL, 0, &job->signal},
	    {JQ_T_SUBMITTED_AT, 0, &job->submitted_at},
	    {JQ_T_STARTED_AT, 0, &job->started_at},
	    {JQ_T_FINISHED_AT, 0, &job->finished_at},
	    {JQ_T_LIMIT_CPUS, 0, &job->effective.cpus_milli},
	    {JQ_T_LIMIT_MEMORY, 0, &job->effective.memory_bytes},
	    {JQ_T_LIMIT_PIDS, 0, &job->effective.pids},
	    {JQ_T_LIMIT_TIMEOUT, 0, &job->effective.timeout_usec},
	    {JQ_T_REQ_CPUS, 0, &job->requested.cpus_milli},
	    {JQ_T_REQ_MEMORY, 0, &job->requested.memory_bytes},
	    {JQ_T_REQ_PIDS, 0, &job->requested.pids},
	    {JQ_T_REQ_TIMEOUT, 0, &job->requested.timeout_usec},
	    {JQ_T_CPU_USER, 0, &job->acct.cpu_user_usec},
	    {JQ_T_CPU_SYSTEM, 0, &job->acct.cpu_system_usec},
	    {JQ_T_MEMORY_PEAK, 0, &job->acct.memory_peak_bytes},
	    {JQ_T_IO_READ, 0, &job->acct.io_read_bytes},
	    {JQ_T_IO_WRITE, 0, &job->acct.io_write_bytes},
	    {JQ_T_WALL, 0, &job->acct.wall_usec},
	    {JQ_T_QUEUE_WAIT, 0, &job->acct.queue_wait_usec},
	    {JQ_T_POSITION, 0, &j.position},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(ints); i++) {
		r = get_i64_opt(m, ints[i].tag, ints[i].min, ints[i].dst);
		if (r < 0)
			return r;
	}
	job->has_accounting =
	    jq_msg_count(m, JQ_T_CPU_USER) > 0 || jq_msg_count(m, JQ_T_CPU_SYSTEM) > 0;

	r = jq_msg_get_i64(m, JQ_T_PRIORITY, &job->priority);
	if (r >= 0) {
		if (job->priority < -1000 || job->priority > 1000)
			return -EBADMSG;
		j.has_priority = true;
	} else if (r != -ENOENT) {
		return r;
	}

	if (jq_msg_count(m, JQ_T_ARGV) > 0) {
		r = jq_msg_get_strv(m, JQ_T_ARGV, JQ_PROTO_MAX_ARGV_ENV, &job->argv);
		if (r < 0)
			return r == -E2BIG ? -EBADMSG : r;
	}
	if (jq_msg_count(m, JQ_T_AFTER) > JQ_PROTO_MAX_AFTER)
		return -EBADMSG;
	if (jq_msg_count(m, JQ_T_AFTER) > 0) {
		r = jq_msg_get_i64v(m, JQ_T_AFTER, &job->after, &job->n_after);
		if (r < 0)
			return r;
	}

	/* The environment of SHOW replies is not shown: it is not read. */
	*ret = j;
	cli_job_init(&j);
	return 0;
}

/*
 * "jobq: job N <what>[: <reason>]". A reason that already says what
 * happened ("cancelled by 'alice'") replaces <what> instead of repeating it.
 * The reason may quote what a user wrote: printed with controls replaced.
 */
static void print_end(FILE *err, int64_t id, const char *what, const char *reason,
		      const char *suffix)
{
	fprintf(err, "jobq: job %" PRId64 " ", id);
	if (reason && !strncmp(reason, what, strlen(what))) {
		cli_put_printable(err, reason);
	} else {
		fputs(what, err);
		if (reason) {
			fputs(": ", err);
			cli_put_printable(err, reason);
		}
	}
	fprintf(err, "%s\n", suffix ? suffix : "");
}

static int64_t timeout_of(const struct jq_job *job)
{
	return job->effective.timeout_usec >= 0 ? job->effective.timeout_usec
						: job->requested.timeout_usec;
}

int cli_job_exit_status(const struct cli_job *j, FILE *err)
{
	const struct jq_job *job = &j->job;
	const char *reason = job->reason;

	switch (job->state) {
	case JQ_JOB_SUCCEEDED:
	case JQ_JOB_FAILED:
		if (job->signal > 0)
			return 128 + (int)(job->signal < 128 ? job->signal : 127);
		if (job->exit_code >= 0 && job->exit_code <= 255)
			return (int)job->exit_code;
		/* No usable code: still never report a failure as success. */
		return job->state == JQ_JOB_SUCCEEDED ? 0 : CLI_EXIT_FAILURE;
	case JQ_JOB_TIMEOUT:
		if (timeout_of(job) >= 0) {
			char d[32], suffix[48];
			snprintf(suffix, sizeof(suffix), " (limit %s)",
				 jq_format_duration((uint64_t)timeout_of(job), d, sizeof(d)));
			print_end(err, job->id, "timed out", reason, suffix);
		} else {
			print_end(err, job->id, "timed out", reason, NULL);
		}
		return CLI_EXIT_TIMEOUT;
	case JQ_JOB_OOM:
		print_end(err, job->id, "killed", "out of memory", NULL);
		return CLI_EXIT_OOM;
	case JQ_JOB_CANCELLED:
		print_end(err, job->id, "cancelled", reason, NULL);
		return CLI_EXIT_CANCELLED;
	case JQ_JOB_FAILED_TO_START:
		print_end(err, job->id, "failed to start", reason ? reason : "no reason given",
			  NULL);
		return CLI_EXIT_NOT_STARTED;
	case JQ_JOB_LOST:
		/* Not "failed to start": a lost job may well have run for hours. */
		print_end(err, job->id, "lost", reason ? reason : "no reason given", NULL);
		return CLI_EXIT_NOT_STARTED;
	default:
		fprintf(err, "jobq: job %" PRId64 " has not finished (state '%s')\n", job->id,
			jq_job_state_to_string(job->state));
		return CLI_EXIT_FAILURE;
	}
}
