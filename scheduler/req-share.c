/* SPDX-License-Identifier: MIT */
/*
 * SHARE {} -> ROW* END: per tenant its weight, normalized share, decayed
 * usage, effective share, running and queued jobs (fair share, issue 5).
 * Everybody may ask: weights and usage are not secrets among the tenants
 * of one machine, and they explain why one's own jobs wait.
 */
#include <inttypes.h>

#include "fairshare.h"
#include "jobqd.h"
#include "jq-time.h"
#include "jq-util.h"

struct queued_ctx {
	struct jq_daemon *d;
	int64_t *counts; /* per config tenant */
	int64_t total;
};

static int on_queued(const char *tenant, int64_t n, void *u)
{
	struct queued_ctx *q = u;

	for (size_t i = 0; i < q->d->config->n_tenants; i++)
		if (!strcmp(q->d->config->tenants[i].name, tenant)) {
			q->counts[i] = n;
			break;
		}
	q->total += n;
	return 0;
}

static int64_t millionths(double v)
{
	return (int64_t)(v * 1e6 + 0.5);
}

void jq_request_share(struct jq_client *c, const struct jq_msg *m)
{
	struct jq_daemon *d = c->daemon;
	struct queued_ctx q = {.d = d};
	struct jq_dispatch_stats st;
	struct jq_msg_writer w;
	struct jq_fs *fs;
	size_t n = 0;
	int64_t now = jq_now_usec();
	int r;

	if (m->n_fields > 0) {
		jq_client_send_error(c, EINVAL, "share: unexpected field in request");
		jq_client_done(c);
		return;
	}
	fs = jq_dispatch_policy(d, &n);
	q.counts = calloc(n ? n : 1, sizeof(int64_t));
	if (!fs || !q.counts) {
		free(q.counts);
		jq_client_send_error(c, ENOMEM, "share: out of memory");
		jq_client_done(c);
		return;
	}
	/* O(tenants) on the jobs_queued index, for a person, not per decision. */
	r = jq_store_sched_queued_counts(d->store, on_queued, &q);
	if (r < 0) {
		free(q.counts);
		jq_client_send_error(c, -r, "share: cannot count queued jobs: %s", strerror(-r));
		jq_client_done(c);
		return;
	}
	for (size_t i = 0; i < n && i < d->config->n_tenants; i++) {
		struct jq_fs_tenant_info info;

		jq_fs_tenant_info(fs, i, now, &info);
		jq_msg_writer_begin(&w, JQ_REP_ROW);
		jq_msg_put_str(&w, JQ_T_TENANT, d->config->tenants[i].name);
		jq_msg_put_i64(&w, JQ_T_SHARE_WEIGHT, info.weight);
		jq_msg_put_i64(&w, JQ_T_SHARE_NORMALIZED, millionths(info.share));
		jq_msg_put_i64(&w, JQ_T_SHARE_USAGE, (int64_t)(info.usage * 1e6));
		jq_msg_put_i64(&w, JQ_T_SHARE_EFFECTIVE, millionths(info.effective));
		jq_msg_put_i64(&w, JQ_T_SHARE_RUNNING, info.running);
		jq_msg_put_i64(&w, JQ_T_SHARE_QUEUED, q.counts[i]);
		jq_msg_put_i64(&w, JQ_T_SHARE_MEMORY, info.running_memory);
		if (jq_client_send(c, &w) < 0)
			break;
	}
	free(q.counts);
	jq_dispatch_stats(d, &st);
	jq_msg_writer_begin(&w, JQ_REP_END);
	jq_msg_put_i64(&w, JQ_T_SHARE_RUNNING, jq_fs_running(fs));
	jq_msg_put_i64(&w, JQ_T_SHARE_QUEUED, q.total);
	jq_msg_put_i64(&w, JQ_T_SHARE_MEMORY, jq_fs_running_memory(fs));
	jq_msg_put_i64(&w, JQ_T_SHARE_MAX_RUNNING, d->config->max_running);
	jq_msg_put_i64_opt(&w, JQ_T_SHARE_BUDGET, st.memory_budget);
	jq_msg_put_i64(&w, JQ_T_SHARE_HALF_LIFE, d->config->fairshare_half_life_usec);
	jq_msg_put_i64(&w, JQ_T_SHARE_DECISIONS, (int64_t)st.decisions);
	jq_msg_put_i64(&w, JQ_T_SHARE_DECISION_AVG, (int64_t)st.decision_nsec_avg);
	jq_msg_put_i64(&w, JQ_T_SHARE_DECISION_MAX, (int64_t)st.decision_nsec_max);
	jq_client_send(c, &w);
	jq_client_done(c);
}
