/* SPDX-License-Identifier: MIT */
/*
 * Job output reaches users through the daemon: the log files in the run
 * directory are root's and mode 0600, so a job's output is readable by
 * whoever may access the job and nobody else. One chunk is in flight per
 * client: the next is read only when the previous was written, so a slow
 * reader costs one chunk of memory, not a whole log.
 */
#include <fcntl.h>
#include <inttypes.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-util.h"

#define FOLLOW_POLL_MS 100

static const char *const stream_files[2] = {JQ_EXEC_STDOUT_FILE, JQ_EXEC_STDERR_FILE};

/* Reads the next chunk of one stream; 0 when there is nothing new. */
static ssize_t read_chunk(struct jq_daemon *d, int64_t id, int stream, int64_t off, char *buf,
			  size_t n)
{
	_cleanup_free_ char *run_dir = jq_exec_run_dir(d->config->state_dir, id);
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	ssize_t k;

	if (!run_dir)
		return -ENOMEM;
	path = jq_asprintf("%s/%s", run_dir, stream_files[stream]);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	k = pread(fd, buf, n, off);
	return k < 0 ? -errno : k;
}

static void finish(struct jq_client *c, const struct jq_job *j)
{
	struct jq_msg_writer w;

	jq_msg_writer_begin(&w, JQ_REP_END);
	if (j)
		jq_job_put(c->daemon, &w, j, false);
	jq_client_send(c, &w);
	jq_client_done(c);
	jq_logs_timer_update(c->daemon);
}

/* Sends one chunk if there is one; true if it did. */
static bool send_next(struct jq_client *c, int *ret_err)
{
	static char buf[JQ_PROTO_MAX_LOG_CHUNK];
	struct jq_daemon *d = c->daemon;

	for (int s = 0; s < 2; s++) {
		struct jq_msg_writer w;
		ssize_t k = read_chunk(d, c->log_id, s, c->log_off[s], buf, sizeof(buf));
		if (k < 0) {
			*ret_err = (int)k;
			return false;
		}
		if (k == 0)
			continue;
		c->log_off[s] += k;
		jq_msg_writer_begin(&w, JQ_REP_LOG);
		jq_msg_put_i64(&w, JQ_T_STREAM, s + 1);
		jq_msg_put_bytes(&w, JQ_T_DATA, buf, (size_t)k);
		c->log_writing = true;
		if (jq_client_send(c, &w) < 0)
			c->log_writing = false;
		return true;
	}
	return false;
}

void jq_logs_pump(struct jq_client *c)
{
	struct jq_daemon *d = c->daemon;
	enum jq_job_state state;
	struct jq_job j;
	int err = 0;

	if (c->closing || c->log_writing || c->log_id < 0)
		return;
	if (send_next(c, &err))
		return;
	if (err < 0) {
		jq_client_send_error(c, -err, "cannot read the log of job %" PRId64 ": %s",
				     c->log_id, strerror(-err));
		jq_client_done(c);
		return;
	}
	if (!c->log_follow) {
		finish(c, NULL);
		return;
	}
	/*
	 * Every follower polls: read the state alone, not the row (its
	 * command and environment may be a MiB), until the job has ended.
	 */
	if (jq_store_job_state(d->store, c->log_id, &state) < 0) {
		jq_client_send_error(c, EIO, "cannot read job %" PRId64, c->log_id);
		jq_client_done(c);
		return;
	}
	/*
	 * An end state is stored only after jobq-exec wrote its result, so
	 * the files are complete: one more read catches what was written
	 * between the read above and the state check.
	 */
	if (jq_job_state_is_final(state) && !jq_runner_find(d, c->log_id) && !send_next(c, &err)) {
		if (jq_store_job_get(d->store, c->log_id, &j) < 0) {
			jq_client_send_error(c, EIO, "cannot read job %" PRId64, c->log_id);
			jq_client_done(c);
			return;
		}
		finish(c, &j);
		jq_job_release(&j);
	}
	jq_logs_timer_update(d);
}

void jq_logs_start(struct jq_client *c, int64_t id, bool follow)
{
	c->log_id = id;
	c->log_follow = follow;
	c->log_off[0] = c->log_off[1] = 0;
	c->log_writing = false;
	jq_logs_pump(c);
}

static void on_log_timer(uv_timer_t *t)
{
	struct jq_daemon *d = t->data;
	struct jq_client *c, *next;

	for (c = d->clients; c; c = next) {
		next = c->next;
		if (c->log_id >= 0 && c->log_follow && !c->log_writing)
			jq_logs_pump(c);
	}
}

void jq_logs_timer_update(struct jq_daemon *d)
{
	bool any = false;

	for (struct jq_client *c = d->clients; c && !any; c = c->next)
		any = c->log_id >= 0 && c->log_follow && !c->closing;
	if (any && !uv_is_active((uv_handle_t *)&d->log_timer))
		uv_timer_start(&d->log_timer, on_log_timer, FOLLOW_POLL_MS, FOLLOW_POLL_MS);
	else if (!any && uv_is_active((uv_handle_t *)&d->log_timer))
		uv_timer_stop(&d->log_timer);
}
