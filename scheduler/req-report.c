/* SPDX-License-Identifier: MIT */
/*
 * REPORT: accounting grouped by tenant, user, UTC day or end state, over
 * the jobs that finished in [since, until). What a peer sees is decided
 * here, from the INI: root everything (also tenants since removed from the
 * file), anyone else only the tenants they may submit to (users, groups,
 * admins).
 */
#include <inttypes.h>

#include "jobqd.h"
#include "jq-util.h"

static const char *const by_names[_JQ_STORE_REPORT_BY_MAX] = {
    [JQ_STORE_REPORT_BY_TENANT] = "tenant",
    [JQ_STORE_REPORT_BY_USER] = "user",
    [JQ_STORE_REPORT_BY_DAY] = "day",
    [JQ_STORE_REPORT_BY_STATE] = "state",
};

#define REJECT(c, err, ...)                                                                        \
	do {                                                                                       \
		jq_client_send_error((c), (err), __VA_ARGS__);                                     \
		jq_client_done(c);                                                                 \
		return;                                                                            \
	} while (0)

static bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static int send_row(const struct jq_store_report_row *row, void *userdata)
{
	struct jq_client *c = userdata;
	struct jq_msg_writer w;

	jq_msg_writer_begin(&w, JQ_REP_ROW);
	jq_msg_put_str(&w, JQ_T_REPORT_KEY, row->key);
	jq_msg_put_i64(&w, JQ_T_REPORT_JOBS, row->jobs);
	jq_msg_put_i64(&w, JQ_T_CPU_USER, row->cpu_user_usec);
	jq_msg_put_i64(&w, JQ_T_CPU_SYSTEM, row->cpu_system_usec);
	jq_msg_put_i64_opt(&w, JQ_T_MEMORY_PEAK, row->memory_peak_bytes);
	jq_msg_put_i64(&w, JQ_T_IO_READ, row->io_read_bytes);
	jq_msg_put_i64(&w, JQ_T_IO_WRITE, row->io_write_bytes);
	jq_msg_put_i64(&w, JQ_T_WALL, row->wall_usec);
	jq_msg_put_i64(&w, JQ_T_QUEUE_WAIT, row->queue_wait_usec);
	return jq_client_send(c, &w) < 0 ? -EPIPE : 0;
}

void jq_request_report(struct jq_client *c, const struct jq_msg *m)
{
	static const uint16_t allowed[] = {JQ_T_TENANT, JQ_T_REPORT_BY, JQ_T_REPORT_SINCE,
					   JQ_T_REPORT_UNTIL};
	struct jq_store_report_query q = {
	    .by = JQ_STORE_REPORT_BY_TENANT, .since = -1, .until = -1};
	struct jq_daemon *d = c->daemon;
	_cleanup_free_ char **visible = NULL;
	struct jq_msg_writer w;
	const char *s;
	int r;

	if (!jq_msg_tags_allowed(m, allowed, JQ_ARRAY_SIZE(allowed)))
		REJECT(c, EINVAL, "report: unexpected field in request");
	r = jq_msg_get_str(m, JQ_T_REPORT_BY, 16, &s);
	if (r == 0) {
		size_t i;

		for (i = 0; i < _JQ_STORE_REPORT_BY_MAX; i++)
			if (!strcmp(s, by_names[i]))
				break;
		if (i == _JQ_STORE_REPORT_BY_MAX)
			REJECT(c, EINVAL, "report: invalid --by '%s' (tenant, user, day or state)",
			       s);
		q.by = (enum jq_store_report_by)i;
	} else if (r != -ENOENT) {
		REJECT(c, EINVAL, "report: invalid --by");
	}
	r = jq_msg_get_i64(m, JQ_T_REPORT_SINCE, &q.since);
	if ((r < 0 && r != -ENOENT) || (r == 0 && q.since < 0))
		REJECT(c, EINVAL, "report: invalid --since");
	r = jq_msg_get_i64(m, JQ_T_REPORT_UNTIL, &q.until);
	if ((r < 0 && r != -ENOENT) || (r == 0 && q.until < 0))
		REJECT(c, EINVAL, "report: invalid --until");
	if (q.since >= 0 && q.until >= 0 && q.until < q.since)
		REJECT(c, EINVAL, "report: --until is before --since");
	r = jq_msg_get_str(m, JQ_T_TENANT, 64, &s);
	if (r == 0)
		q.tenant = s;
	else if (r != -ENOENT)
		REJECT(c, EINVAL, "report: invalid --tenant");

	if (!jq_peer_is_root(&c->peer)) {
		r = jq_peer_tenants(d, &c->peer, false, &visible);
		if (r < 0)
			REJECT(c, -r, "report: %s", strerror(-r));
		if (q.tenant && !strv_has(visible, q.tenant))
			REJECT(c, EACCES, "user '%s' is not a member of tenant '%s'", c->peer.user,
			       q.tenant);
		q.visible = visible;
		/* in no tenant: nothing to read, and no row of the table is touched */
		if (!visible || !*visible)
			goto end;
	}

	r = jq_store_report(d->store, &q, send_row, c);
	if (r == -EPIPE) {
		jq_client_done(c);
		return;
	}
	if (r < 0)
		REJECT(c, -r, "report: cannot read accounting: %s",
		       r == -EOVERFLOW ? "a sum overflows 64 bits" : strerror(-r));
end:
	jq_msg_writer_begin(&w, JQ_REP_END);
	jq_client_send(c, &w);
	jq_client_done(c);
}
