/* SPDX-License-Identifier: MIT */
/*
 * `jobq report`: usage grouped by tenant, user, UTC day or end state, read
 * from the accounting table (one row per finished job, kept after the job
 * itself is deleted). The aggregation is done by SQLite with integer
 * sum(), so a group is exactly the sum of its job rows; the client adds the
 * groups up for the totals.
 *
 * The statements are static text, one per grouping and per asker: root's
 * reads every row; anyone else's binds the tenants they may see as one JSON
 * array and matches them with `tenant IN (SELECT value FROM json_each(?4))`,
 * which SQLite drives through accounting_tenant_finished: a request costs
 * the rows of the asker's tenants, never the whole table (a bound list, no
 * SQL built at run time).
 */
#include <errno.h>
#include <stdbool.h>
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
	"(?1 IS NULL OR finished_at >= ?1) AND (?2 IS NULL OR finished_at < ?2) "                  \
	"AND (?3 IS NULL OR tenant = ?3) "

#define REPORT_SQL(key, where)                                                                     \
	"SELECT " key ", " REPORT_AGGREGATES "FROM accounting WHERE " where REPORT_WHERE           \
	"GROUP BY 1 ORDER BY 1"

/* the visible tenants as a JSON array of strings, walked through the index */
#define REPORT_VISIBLE "tenant IN (SELECT value FROM json_each(?4)) AND "

#define REPORT_KEY_DAY "date(finished_at / 1000000, 'unixepoch')"

static const char *const report_sql[2][_JQ_STORE_REPORT_BY_MAX] = {
    {
	[JQ_STORE_REPORT_BY_TENANT] = REPORT_SQL("tenant", ""),
	[JQ_STORE_REPORT_BY_USER] = REPORT_SQL("user", ""),
	[JQ_STORE_REPORT_BY_DAY] = REPORT_SQL(REPORT_KEY_DAY, ""),
	[JQ_STORE_REPORT_BY_STATE] = REPORT_SQL("state", ""),
    },
    {
	[JQ_STORE_REPORT_BY_TENANT] = REPORT_SQL("tenant", REPORT_VISIBLE),
	[JQ_STORE_REPORT_BY_USER] = REPORT_SQL("user", REPORT_VISIBLE),
	[JQ_STORE_REPORT_BY_DAY] = REPORT_SQL(REPORT_KEY_DAY, REPORT_VISIBLE),
	[JQ_STORE_REPORT_BY_STATE] = REPORT_SQL("state", REPORT_VISIBLE),
    },
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

/* JSON string body of t, '"' and '\\' escaped (control bytes are refused before). */
static size_t json_escape(const char *t, char *out)
{
	size_t n = 0;

	for (; *t; t++) {
		if (*t == '"' || *t == '\\') {
			if (out)
				out[n] = '\\';
			n++;
		}
		if (out)
			out[n] = *t;
		n++;
	}
	return n;
}

static bool has_control(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t < 0x20)
			return true;
	return false;
}

/* ["a","b"]: the array the statement's json_each() walks; "[]" for an empty list. */
static int visible_encode(char *const *v, char **ret)
{
	size_t total = 3, n = 0;
	char *buf, *p;

	for (char *const *t = v; *t; t++) {
		size_t l = strlen(*t);

		if (++n > REPORT_MAX_VISIBLE || l == 0 || l > REPORT_MAX_TENANT || has_control(*t))
			return -EINVAL;
		total += json_escape(*t, NULL) + 3;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	*p++ = '[';
	for (char *const *t = v; *t; t++) {
		if (t != v)
			*p++ = ',';
		*p++ = '"';
		p += json_escape(*t, p);
		*p++ = '"';
	}
	*p++ = ']';
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

	rc = sqlite3_prepare_v2(s->db, report_sql[!!visible][q->by], -1, &st, NULL);
	if (rc != SQLITE_OK)
		return jq_store_errno(s->db, rc);
	if ((r = jq_store_bind_opt(st, 1, q->since)) < 0 ||
	    (r = jq_store_bind_opt(st, 2, q->until)) < 0)
		return r;
	rc = q->tenant ? sqlite3_bind_text(st, 3, q->tenant, -1, SQLITE_STATIC)
		       : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK && visible)
		rc = sqlite3_bind_text(st, 4, visible, -1, SQLITE_STATIC);
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

int jq_store_report_explain(struct jq_store *s, enum jq_store_report_by by, bool visible,
			    void (*cb)(const char *detail, void *u), void *userdata)
{
	_cleanup_(finalizep) sqlite3_stmt *st = NULL;
	_cleanup_free_ char *sql = NULL;
	int rc;

	if (!s || !cb || (unsigned)by >= _JQ_STORE_REPORT_BY_MAX)
		return -EINVAL;
	sql = jq_asprintf("EXPLAIN QUERY PLAN %s", report_sql[visible][by]);
	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return jq_store_errno(s->db, rc);
	/* columns: id, parent, notused, detail */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *d = sqlite3_column_text(st, 3);

		cb(d ? (const char *)d : "", userdata);
	}
	return rc == SQLITE_DONE ? 0 : jq_store_errno(s->db, rc);
}
