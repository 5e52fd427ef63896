/* SPDX-License-Identifier: MIT */
/*
 * LIST (hostile queries, issue 11): one page of the jobs the peer may see,
 * newest first. Everything it costs is bounded by what the peer may see
 * and by the page:
 * - visibility is a filter of the SQL (jq_store_job_page), the same rule
 *   as jq_peer_may_access(): root sees every job, anyone else their own
 *   jobs and every job of the tenants they administer;
 * - a row carries no env and only the start of argv;
 * - a waiting row's first pending dependency comes with the row; its
 *   position among its tenant's queued jobs is counted once per tenant of
 *   the page, by one walk of that tenant's queue in dispatch order, and
 *   all walks of one request together read at most LIST_POSITION_BUDGET
 *   index entries (rows past it carry no position; `jobq show` has it).
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>

#include "jobqd.h"
#include "jq-util.h"

#define LIST_DEFAULT_LIMIT   300
#define LIST_MAX_LIMIT	     (JQ_STORE_PAGE_MAX - 1)
#define LIST_POSITION_BUDGET 100000

_Static_assert(LIST_MAX_LIMIT == 10000, "documented in jq-protocol.h and `jobq list --help`");

#define REJECT(c, err, ...)                                                                        \
	do {                                                                                       \
		jq_client_send_error((c), (err), __VA_ARGS__);                                     \
		jq_client_done(c);                                                                 \
		return;                                                                            \
	} while (0)

struct list_row {
	struct jq_job job;
	int64_t pending_dep;
	int64_t position;
};

struct list_page {
	struct list_row *rows;
	size_t n, cap;
};

static void list_page_release(struct list_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		jq_job_release(&p->rows[i].job);
	free(p->rows);
	*p = (struct list_page){0};
}

static int collect(struct jq_store_page_row *row, void *userdata)
{
	struct list_page *p = userdata;
	struct list_row *r;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		r = reallocarray(p->rows, cap, sizeof(*r));
		if (!r)
			return -ENOMEM;
		p->rows = r;
		p->cap = cap;
	}
	r = &p->rows[p->n++];
	r->job = row->job;
	jq_job_init(&row->job);
	r->pending_dep = row->pending_dep;
	r->position = -1;
	return 0;
}

/* Queued rows, by tenant then id, for one queue walk per tenant. */
static int cmp_queued(const void *a, const void *b)
{
	const struct list_row *x = *(struct list_row *const *)a, *y = *(struct list_row *const *)b;
	int c = strcmp(x->job.tenant, y->job.tenant);

	return c ? c : (x->job.id > y->job.id) - (x->job.id < y->job.id);
}

struct walk {
	struct list_row **rows; /* one tenant's queued rows, by id */
	size_t n, found;
	int64_t k;
};

static int walk_one(int64_t id, void *userdata)
{
	struct walk *w = userdata;
	size_t lo = 0, hi = w->n;

	w->k++;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->rows[mid]->job.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n && w->rows[lo]->job.id == id) {
		w->rows[lo]->position = w->k;
		if (++w->found == w->n)
			return -ECANCELED;
	}
	return 0;
}

static void put_positions(struct jq_daemon *d, struct list_page *p)
{
	_cleanup_free_ struct list_row **q = calloc(p->n ? p->n : 1, sizeof(*q));
	int64_t budget = LIST_POSITION_BUDGET;
	size_t n = 0;

	if (!q)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->rows[i].job.state == JQ_JOB_QUEUED)
			q[n++] = &p->rows[i];
	qsort(q, n, sizeof(*q), cmp_queued);
	for (size_t i = 0; i < n && budget > 0;) {
		struct walk w = {.rows = &q[i]};
		int r;

		while (i + w.n < n && !strcmp(q[i + w.n]->job.tenant, q[i]->job.tenant))
			w.n++;
		r = jq_store_sched_queue_walk(d->store, q[i]->job.tenant, budget, walk_one, &w);
		if (r < 0)
			return;
		budget -= w.k;
		i += w.n;
	}
}

static int send_page(struct jq_client *c, const struct list_page *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct list_row *r = &p->rows[i];
		const char *reason = r->job.reason;
		struct jq_msg_writer w;
		char buf[64];

		if (r->job.state == JQ_JOB_QUEUED || r->job.state == JQ_JOB_HELD)
			reason = jq_dispatch_wait_reason_known(c->daemon, &r->job, r->pending_dep,
							       buf, sizeof(buf));
		jq_msg_writer_begin(&w, JQ_REP_JOB);
		jq_job_put_record(&w, &r->job, reason, r->position, false);
		if (jq_client_send(c, &w) < 0)
			return -EPIPE;
	}
	return 0;
}

/*
 * A filter field: 0 and *ret if present, -ENOENT if absent; one the daemon
 * cannot read (too long, not UTF-8) is refused by name, never dropped.
 */
static int get_filter(struct jq_client *c, const struct jq_msg *m, enum jq_tag tag, size_t max,
		      const char *name, const char **ret)
{
	int r = jq_msg_get_str(m, tag, max, ret);

	if (r == -E2BIG)
		jq_client_send_error(c, EINVAL, "list: invalid --%s (longer than %zu bytes)", name,
				     max);
	else if (r < 0 && r != -ENOENT)
		jq_client_send_error(c, EINVAL, "list: invalid --%s (not UTF-8 text)", name);
	return r < 0 && r != -ENOENT ? -EINVAL : r;
}

static int parse_filters(struct jq_client *c, const struct jq_msg *m, struct jq_store_page_query *q)
{
	const char *s;
	int r;

	r = get_filter(c, m, JQ_T_TENANT, 64, "tenant", &s);
	if (r == 0)
		q->tenant = s;
	else if (r != -ENOENT)
		return r;
	r = get_filter(c, m, JQ_T_STATE, 32, "state", &s);
	if (r == 0) {
		enum jq_job_state st;
		if (jq_job_state_from_string(s, &st) < 0) {
			jq_client_send_error(c, EINVAL, "unknown state '%s'", s);
			return -EINVAL;
		}
		q->state = (int)st;
	} else if (r != -ENOENT) {
		return r;
	}
	r = get_filter(c, m, JQ_T_USER, 256, "user", &s);
	if (r == 0) {
		struct passwd pw, *pwr = NULL;
		char buf[4096];
		if (getpwnam_r(s, &pw, buf, sizeof(buf), &pwr) != 0 || !pwr) {
			jq_client_send_error(c, ENOENT, "unknown user '%s'", s);
			return -ENOENT;
		}
		q->uid = pw.pw_uid;
	} else if (r != -ENOENT) {
		return r;
	}
	r = jq_msg_get_i64(m, JQ_T_LIST_LIMIT, &q->limit);
	if (r == -ENOENT) {
		q->limit = LIST_DEFAULT_LIMIT;
	} else if (r < 0 || q->limit < 1 || q->limit > LIST_MAX_LIMIT) {
		jq_client_send_error(c, ERANGE, "list: --limit out of range 1..%d", LIST_MAX_LIMIT);
		return -ERANGE;
	}
	return 0;
}

void jq_request_list(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {JQ_T_TENANT, JQ_T_STATE, JQ_T_USER, JQ_T_LIST_LIMIT};
	struct jq_store_page_query q = {.state = -1, .uid = -1};
	_cleanup_(list_page_release) struct list_page p = {0};
	_cleanup_free_ char **tenants = NULL;
	struct jq_msg_writer w;
	size_t n;
	int r;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "list: unexpected field in request");
	if (parse_filters(c, m, &q) < 0) {
		jq_client_done(c);
		return;
	}
	n = (size_t)q.limit;
	/* One more than asked: whether more exist, without counting them all. */
	q.limit++;
	q.all = jq_peer_is_root(&c->peer);
	if (!q.all) {
		r = jq_peer_tenants(c->daemon, &c->peer, true, &tenants);
		if (r < 0)
			REJECT(c, -r, "list: %s", strerror(-r));
		q.viewer_uid = c->peer.uid;
		q.tenants = tenants;
	}
	r = jq_store_job_page(c->daemon->store, &q, collect, &p);
	if (r < 0)
		REJECT(c, -r, "list: cannot read jobs: %s", strerror(-r));
	if (p.n < n)
		n = p.n;
	put_positions(c->daemon, &p);
	if (send_page(c, &p, n) < 0) {
		jq_client_done(c);
		return;
	}
	jq_msg_writer_begin(&w, JQ_REP_END);
	if (p.n > n)
		jq_msg_put_i64(&w, JQ_T_LIST_MORE, 1);
	jq_client_send(c, &w);
	jq_client_done(c);
}
