/* SPDX-License-Identifier: MIT */
/*
 * `jobq report`: usage grouped by tenant, user, UTC day or end state, read
 * from the accounting table (one row per finished job, kept after the job
 * itself is deleted). The aggregation is done by SQLite with integer
 * sum(), so a group is exactly the sum of its job rows; the client adds the
 * groups up for the totals.
 *
 * The statements are static text, one per grouping. The tenants a peer may
 * see are bound as one string, "\n" + names joined by "\n" + "\n", and
 * matched with instr(): a bound list instead of SQL built at run time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-store-internal.h"
#include "jq-util.h"

/* Tenants of one `visible` list; the config allows at most 4096. */
#define REPORT_MAX_VISIBLE 65536
#define REPORT_MAX_TENANT  256

#define REPORT_AGGREGATES                                                                          \
	"count(*), coalesce(sum(cpu_user_usec), 0), coalesce(sum(cpu_system_usec), 0), "           \
	"max(memory_peak_bytes), coalesce(sum(io_read_bytes), 0), "                                \
	"coalesce(sum(io_write_bytes), 0), coalesce(sum(wall_usec), 0), "                          \
	"coalesce(sum(queue_wait_usec), 0) "

/* finished_at is the time a row belongs to: a job counts when it ended. */
#define REPORT_WHERE                                                                               \
	"FROM accounting WHERE (?1 IS NULL OR finished_at >= ?1) "                                 \
	"AND (?2 IS NULL OR finished_at < ?2) AND (?3 IS NULL OR tenant = ?3) "                    \
	"AND (?4 IS NULL OR instr(?4, char(10) || tenant || char(10)) > 0) "

#define REPORT_SQL(key) "SELECT " key ", " REPORT_AGGREGATES REPORT_WHERE "GROUP BY 1 ORDER BY 1"

static const char *const report_sql[_JQ_STORE_REPORT_BY_MAX] = {
    [JQ_STORE_REPORT_BY_TENANT] = REPORT_SQL("tenant"),
    [JQ_STORE_REPORT_BY_USER] = REPORT_SQL("user"),
    [JQ_STORE_REPORT_BY_DAY] = REPORT_SQL("date(finished_at / 1000000, 'unixepoch')"),
    [JQ_STORE_REPORT_BY_STATE] = REPORT_SQL("state"),
};

enum {
	COL_KEY,
	COL_JOBS,
	COL_CPU_USER,
	COL_CPU_SYSTEM,
	COL_MEMORY_PEAK,
	COL_IO_READ,
	COL_IO_WRITE,
	COL_WALL,
	COL_QUEUE_WAIT,
};

static void finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}

/* "\na\nb\n": the form the statement's instr() matches; "\n" for an empty list. */
static int visible_encode(char *const *v, char **ret)
{
	size_t total = 2, n = 0;
	char *buf, *p;

	for (char *const *t = v; *t; t++) {
		size_t l = strlen(*t);

		if (++n > REPORT_MAX_VISIBLE || l == 0 || l > REPORT_MAX_TENANT || strchr(*t, '\n'))
			return -EINVAL;
		total += l + 1;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	*p++ = '\n';
	for (char *const *t = v; *t; t++) {
		size_t l = strlen(*t);

		memcpy(p, *t, l);
		p += l;
		*p++ = '\n';
	}
	*p = '\0';
	*ret = buf;
	return 0;
}

static int report_errno(struct jq_store *s, int rc)
{
	/* sum() refuses to wrap: "integer overflow" */
	if ((rc & 0xff) == SQLITE_ERROR && strstr(sqlite3_errmsg(s->db), "overflow"))
		return -EOVERFLOW;
	return jq_store_errno(s->db, rc);
}

int jq_store_report(struct jq_store *s, const struct jq_store_report_query *q,
		    int (*cb)(const struct jq_store_report_row *row, void *userdata),
		    void *userdata)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	_cleanup_free_ char *visible = NULL;
	int rc, r = 0;

	if (!s || !q || !cb || (unsigned)q->by >= _JQ_STORE_REPORT_BY_MAX)
		return -EINVAL;
	if (q->since < -1 || q->until < -1)
		return -EINVAL;
	if (q->visible) {
		r = visible_encode(q->visible, &visible);
		if (r < 0)
			return r;
	}

	rc = sqlite3_prepare_v2(s->db, report_sql[q->by], -1, &st, NULL);
	if (rc != SQLITE_OK)
		return jq_store_errno(s->db, rc);
	if ((r = jq_store_bind_opt(st, 1, q->since)) < 0 ||
	    (r = jq_store_bind_opt(st, 2, q->until)) < 0)
		return r;
	rc = q->tenant ? sqlite3_bind_text(st, 3, q->tenant, -1, SQLITE_STATIC)
		       : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = visible ? sqlite3_bind_text(st, 4, visible, -1, SQLITE_STATIC)
			     : sqlite3_bind_null(st, 4);
	if (rc != SQLITE_OK)
		return jq_store_errno(s->db, rc);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *key = sqlite3_column_text(st, COL_KEY);
		struct jq_store_report_row row = {
		    .key = key ? (const char *)key : "",
		    .jobs = sqlite3_column_int64(st, COL_JOBS),
		    .cpu_user_usec = sqlite3_column_int64(st, COL_CPU_USER),
		    .cpu_system_usec = sqlite3_column_int64(st, COL_CPU_SYSTEM),
		    .memory_peak_bytes = jq_store_column_opt(st, COL_MEMORY_PEAK),
		    .io_read_bytes = sqlite3_column_int64(st, COL_IO_READ),
		    .io_write_bytes = sqlite3_column_int64(st, COL_IO_WRITE),
		    .wall_usec = sqlite3_column_int64(st, COL_WALL),
		    .queue_wait_usec = sqlite3_column_int64(st, COL_QUEUE_WAIT),
		};

		r = cb(&row, userdata);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return report_errno(s, rc);
	return 0;
}
