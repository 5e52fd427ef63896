/* SPDX-License-Identifier: MIT */
/*
 * Job ends the database did not take (issue 11: a user filled its file
 * system, so "cannot record its end: No space left on device"). The
 * helper's result record stays in the run directory, so the end is retried
 * from it every second until it is stored: the job then ends, its waiters
 * are answered and its slot is freed, without a restart. Until then the
 * job is "running" in the database and keeps its slot. A daemon that stops
 * first leaves it to the next start's recovery, which reads the same
 * result.
 */
#include <inttypes.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-util.h"

#define RETRY_MSEC 1000

struct jq_unrecorded {
	struct jq_unrecorded *next;
	struct jq_run run; /* the fields jq_runner_record_end reads; no handle */
	int64_t helper_status;
};

static void entry_free(struct jq_unrecorded *u)
{
	free(u->run.tenant);
	free(u->run.run_dir);
	free(u->run.cancel_reason);
	free(u);
}

static void on_retry(uv_timer_t *t)
{
	struct jq_daemon *d = t->data;
	struct jq_unrecorded **p = &d->unrecorded, *u;
	bool ended = false;

	while ((u = *p)) {
		if (jq_runner_record_end(d, &u->run, u->helper_status, false) < 0) {
			p = &u->next;
			continue;
		}
		*p = u->next;
		jq_requests_job_ended(d, u->run.id);
		entry_free(u);
		ended = true;
	}
	if (!d->unrecorded)
		uv_timer_stop(t);
	if (ended)
		jq_dispatch_schedule(d);
}

void jq_unrecorded_add(struct jq_daemon *d, struct jq_run *run, int64_t helper_status)
{
	struct jq_unrecorded *u = calloc(1, sizeof(*u));

	if (!u) {
		jq_log_error("job %" PRId64 ": out of memory: its end is recorded at the next "
			     "start",
			     run->id);
		return;
	}
	u->run = (struct jq_run){
	    .daemon = d,
	    .id = run->id,
	    .tenant = TAKE_PTR(run->tenant),
	    .run_dir = TAKE_PTR(run->run_dir),
	    .cancel_requested = run->cancel_requested,
	    .cancel_reason = TAKE_PTR(run->cancel_reason),
	    .pidfd = -1,
	    .memory_limit = run->memory_limit,
	    .log_cap = run->log_cap,
	};
	u->helper_status = helper_status;
	u->next = d->unrecorded;
	d->unrecorded = u;
	if (!uv_is_active((uv_handle_t *)&d->unrecorded_timer))
		uv_timer_start(&d->unrecorded_timer, on_retry, RETRY_MSEC, RETRY_MSEC);
}

void jq_unrecorded_init(struct jq_daemon *d)
{
	uv_timer_init(&d->loop, &d->unrecorded_timer);
	d->unrecorded_timer.data = d;
}

void jq_unrecorded_release(struct jq_daemon *d)
{
	struct jq_unrecorded *u;

	while ((u = d->unrecorded)) {
		d->unrecorded = u->next;
		entry_free(u);
	}
}
