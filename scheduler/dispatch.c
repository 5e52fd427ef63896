/* SPDX-License-Identifier: MIT */
/*
 * Which job runs next. Dispatch runs once per loop turn in which something
 * changed (a submission, a job ending, a release): it fills free slots.
 */
#include "jobqd.h"
#include "jq-util.h"

/*
 * NEEDSWORK: round-robin over tenants with free capacity; the fair-share
 * policy (decayed usage over weight) replaces the choice of tenant.
 */
static void dispatch(struct jq_daemon *d)
{
	size_t n = d->config->n_tenants;

	while (!d->stopping && (int64_t)d->n_running < d->config->max_running) {
		bool started = false;
		for (size_t k = 0; k < n && (int64_t)d->n_running < d->config->max_running; k++) {
			const struct jq_tenant_config *t =
			    &d->config->tenants[(d->tenant_rr + k) % n];
			struct jq_job j;
			if (t->max_running >= 0 &&
			    (int64_t)jq_runner_tenant_running(d, t->name) >= t->max_running)
				continue;
			if (jq_store_job_peek_next(d->store, t->name, &j) < 0)
				continue;
			(void)jq_runner_start(d, &j);
			jq_job_release(&j);
			d->tenant_rr = (d->tenant_rr + k + 1) % n;
			started = true;
			break;
		}
		if (!started)
			break;
	}
}

static void on_dispatch_idle(uv_idle_t *h)
{
	uv_idle_stop(h);
	dispatch(h->data);
}

void jq_dispatch_schedule(struct jq_daemon *d)
{
	if (!d->stopping)
		uv_idle_start(&d->dispatch_idle, on_dispatch_idle);
}
