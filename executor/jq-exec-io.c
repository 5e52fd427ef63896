/* SPDX-License-Identifier: MIT */
/*
 * The job's output: pipes drained into the run directory's log files, with
 * one byte cap for stdout and stderr together.
 */
#include <inttypes.h>

#include "jq-exec-internal.h"
#include "jq-util.h"

void jq_exec_log_init(struct jq_exec_log *l, int64_t cap)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(l->streams); i++)
		l->streams[i] = (struct jq_exec_stream){.in_fd = -1, .out_fd = -1};
	l->cap = cap;
	l->used = 0;
	l->write_err = 0;
}

void jq_exec_log_release(struct jq_exec_log *l)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(l->streams); i++) {
		jq_closep(&l->streams[i].in_fd);
		jq_closep(&l->streams[i].out_fd);
		l->streams[i].in_fd = -1;
		l->streams[i].out_fd = -1;
	}
}

static void log_write(struct jq_exec_log *l, struct jq_exec_stream *st, const char *p, size_t n)
{
	int r;

	if (n == 0 || st->out_fd < 0)
		return;
	r = jq_write_all(st->out_fd, p, n);
	if (r < 0 && l->write_err == 0)
		l->write_err = r;
}

int jq_exec_log_pump(struct jq_exec_log *l, size_t i)
{
	struct jq_exec_stream *st = &l->streams[i];
	int64_t room;
	size_t keep;
	ssize_t n;

	if (st->in_fd < 0)
		return 0;
	n = JQ_RETRY_EINTR(read(st->in_fd, l->buf, sizeof(l->buf)));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (n <= 0) {
		int r = n < 0 ? -errno : 0;
		jq_closep(&st->in_fd);
		st->in_fd = -1;
		return r;
	}
	room = l->cap - l->used;
	keep = (int64_t)n <= room ? (size_t)n : (size_t)room;
	/*
	 * Past the cap the data is read and dropped: the job must never block
	 * on a full pipe because its log is full.
	 */
	if (keep < (size_t)n)
		st->truncated = true;
	log_write(l, st, l->buf, keep);
	l->used += (int64_t)keep;
	return 1;
}

void jq_exec_log_drain(struct jq_exec_log *l, size_t i, unsigned max_reads)
{
	for (unsigned k = 0; k < max_reads; k++)
		if (jq_exec_log_pump(l, i) <= 0)
			return;
}

bool jq_exec_log_open(const struct jq_exec_log *l)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(l->streams); i++)
		if (l->streams[i].in_fd >= 0)
			return true;
	return false;
}

void jq_exec_log_close_input(struct jq_exec_log *l)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(l->streams); i++) {
		jq_closep(&l->streams[i].in_fd);
		l->streams[i].in_fd = -1;
	}
}

bool jq_exec_log_finish(struct jq_exec_log *l)
{
	bool any = false;
	char marker[96];
	int n;

	n = snprintf(marker, sizeof(marker), "\n[jobq: output truncated at %" PRId64 " bytes]\n",
		     l->cap);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(l->streams); i++) {
		struct jq_exec_stream *st = &l->streams[i];
		if (!st->truncated)
			continue;
		any = true;
		log_write(l, st, marker, (size_t)n);
	}
	return any;
}
