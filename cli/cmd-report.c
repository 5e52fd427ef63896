/* SPDX-License-Identifier: MIT */
/*
 * `jobq report`: who used what. The daemon sends one row per group (integer
 * sums over the accounting rows of the jobs that finished in the window);
 * the totals are added up here from exactly those rows, so they always
 * equal the sum of what is printed. table is for people (human units,
 * aligned, a TOTAL line); csv and json carry the raw integers under the
 * stable names of DESIGN.md.
 */
#include <getopt.h>
#include <inttypes.h>

#include "cli-internal.h"
#include "jq-parse.h"
#include "jq-time.h"

/* The answer is held whole (the table is aligned): bound it. */
#define CLI_REPORT_MAX_ROWS 1000000
#define CLI_REPORT_MAX_KEY  256

enum report_format {
	FORMAT_TABLE,
	FORMAT_CSV,
	FORMAT_JSON
};

struct report_row {
	char *key;
	int64_t jobs;
	int64_t cpu_user_usec;
	int64_t cpu_system_usec;
	int64_t memory_peak_bytes; /* max; -1 = unknown */
	int64_t io_read_bytes;
	int64_t io_write_bytes;
	int64_t wall_usec;
	int64_t queue_wait_usec;
};

struct report {
	struct report_row *rows;
	size_t n, cap;
	struct report_row total;
};

static void report_release(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].key);
	free(r->rows);
	*r = (struct report){0};
}

static int get_count(const struct jq_msg *m, enum jq_tag tag, int64_t *ret)
{
	int r = jq_msg_get_i64(m, tag, ret);

	if (r < 0 || *ret < 0)
		return -EBADMSG;
	return 0;
}

static int row_from_msg(const struct jq_msg *m, struct report_row *ret)
{
	struct report_row row = {.memory_peak_bytes = -1};
	const char *key;
	int r;

	r = jq_msg_get_str(m, JQ_T_REPORT_KEY, CLI_REPORT_MAX_KEY, &key);
	if (r < 0)
		return -EBADMSG;
	if (get_count(m, JQ_T_REPORT_JOBS, &row.jobs) < 0 ||
	    get_count(m, JQ_T_CPU_USER, &row.cpu_user_usec) < 0 ||
	    get_count(m, JQ_T_CPU_SYSTEM, &row.cpu_system_usec) < 0 ||
	    get_count(m, JQ_T_IO_READ, &row.io_read_bytes) < 0 ||
	    get_count(m, JQ_T_IO_WRITE, &row.io_write_bytes) < 0 ||
	    get_count(m, JQ_T_WALL, &row.wall_usec) < 0 ||
	    get_count(m, JQ_T_QUEUE_WAIT, &row.queue_wait_usec) < 0)
		return -EBADMSG;
	r = jq_msg_get_i64(m, JQ_T_MEMORY_PEAK, &row.memory_peak_bytes);
	if ((r < 0 && r != -ENOENT) || (r == 0 && row.memory_peak_bytes < 0))
		return -EBADMSG;
	row.key = strdup(key);
	if (!row.key)
		return -ENOMEM;
	*ret = row;
	return 0;
}

/* Adds a row to the totals: sums, and the maximum of the peaks. */
static int total_add(struct report_row *t, const struct report_row *row)
{
	if (__builtin_add_overflow(t->jobs, row->jobs, &t->jobs) ||
	    __builtin_add_overflow(t->cpu_user_usec, row->cpu_user_usec, &t->cpu_user_usec) ||
	    __builtin_add_overflow(t->cpu_system_usec, row->cpu_system_usec, &t->cpu_system_usec) ||
	    __builtin_add_overflow(t->io_read_bytes, row->io_read_bytes, &t->io_read_bytes) ||
	    __builtin_add_overflow(t->io_write_bytes, row->io_write_bytes, &t->io_write_bytes) ||
	    __builtin_add_overflow(t->wall_usec, row->wall_usec, &t->wall_usec) ||
	    __builtin_add_overflow(t->queue_wait_usec, row->queue_wait_usec, &t->queue_wait_usec))
		return -EOVERFLOW;
	if (row->memory_peak_bytes > t->memory_peak_bytes)
		t->memory_peak_bytes = row->memory_peak_bytes;
	return 0;
}

static int report_add(struct report *rep, const struct jq_msg *m)
{
	struct report_row row;
	int r;

	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 64;
		struct report_row *n;

		if (rep->n >= CLI_REPORT_MAX_ROWS)
			return -E2BIG;
		n = reallocarray(rep->rows, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		rep->rows = n;
		rep->cap = cap;
	}
	r = row_from_msg(m, &row);
	if (r < 0)
		return r;
	r = total_add(&rep->total, &row);
	if (r < 0) {
		free(row.key);
		return r;
	}
	rep->rows[rep->n++] = row;
	return 0;
}

static int report_add_cb(const struct jq_msg *m, void *userdata)
{
	return report_add(userdata, m);
}

/* Human units for the table. */

static const char *fmt_duration(int64_t usec, char *buf, size_t n)
{
	int64_t s = usec / 1000000;

	if (usec < 60 * INT64_C(1000000))
		snprintf(buf, n, "%.2fs", (double)usec / 1e6);
	else if (s < 3600)
		snprintf(buf, n, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, n, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *fmt_bytes(int64_t v, char *buf, size_t n)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double d = (double)v;
	size_t u = 0;

	if (v < 0) {
		snprintf(buf, n, "-");
		return buf;
	}
	if (v < 1024) {
		snprintf(buf, n, "%" PRId64 " B", v);
		return buf;
	}
	d /= 1024;
	while (d >= 1024 && u + 1 < JQ_ARRAY_SIZE(units)) {
		d /= 1024;
		u++;
	}
	snprintf(buf, n, "%.1f %s", d, units[u]);
	return buf;
}

#define N_COLS 10

static const char *const table_header[N_COLS] = {
    NULL,   "JOBS",	"CPU-HOURS", "CPU-USER", "CPU-SYS",
    "WALL", "AVG-WAIT", "PEAK-MEM",  "READ",	 "WRITTEN",
};

/* The number cells of one line: cells[0] is left for the key. */
static int row_cells(const struct report_row *r, char cells[N_COLS][48])
{
	int64_t cpu;

	if (__builtin_add_overflow(r->cpu_user_usec, r->cpu_system_usec, &cpu))
		return -EOVERFLOW;
	cells[0][0] = '\0';
	snprintf(cells[1], 48, "%" PRId64, r->jobs);
	snprintf(cells[2], 48, "%.3f", (double)cpu / 3.6e9);
	fmt_duration(r->cpu_user_usec, cells[3], 48);
	fmt_duration(r->cpu_system_usec, cells[4], 48);
	fmt_duration(r->wall_usec, cells[5], 48);
	fmt_duration(r->jobs ? r->queue_wait_usec / r->jobs : 0, cells[6], 48);
	fmt_bytes(r->memory_peak_bytes, cells[7], 48);
	fmt_bytes(r->io_read_bytes, cells[8], 48);
	fmt_bytes(r->io_write_bytes, cells[9], 48);
	return 0;
}

static int print_table(const struct report *rep, const char *by, FILE *f)
{
	size_t lines = rep->n + 1, width[N_COLS] = {0};
	char(*cells)[N_COLS][48] = calloc(lines, sizeof(*cells));
	/* The keys are user and tenant names: escaped, and never cut. */
	char **keys = calloc(lines, sizeof(*keys));
	char upper[16];
	int r = 0;

	if (!cells || !keys) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; by[i] && i + 1 < sizeof(upper); i++)
		upper[i] = (char)(by[i] - 'a' + 'A'), upper[i + 1] = '\0';
	for (size_t i = 0; i < lines && r == 0; i++) {
		const struct report_row *row = i < rep->n ? &rep->rows[i] : &rep->total;

		keys[i] = cli_printable(i < rep->n ? row->key : "TOTAL");
		if (!keys[i])
			r = -ENOMEM;
		else
			r = row_cells(row, cells[i]);
	}
	if (r < 0)
		goto out;
	width[0] = strlen(upper);
	for (size_t i = 0; i < lines; i++)
		if (cli_text_width(keys[i]) > width[0])
			width[0] = cli_text_width(keys[i]);
	for (size_t c = 1; c < N_COLS; c++) {
		width[c] = strlen(table_header[c]);
		for (size_t i = 0; i < lines; i++)
			if (strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	}
	fprintf(f, "%-*s", (int)width[0], upper);
	for (size_t c = 1; c < N_COLS; c++)
		fprintf(f, "  %*s", (int)width[c], table_header[c]);
	fputc('\n', f);
	for (size_t i = 0; i < lines; i++) {
		fprintf(f, "%s%*s", keys[i], (int)(width[0] - cli_text_width(keys[i])), "");
		for (size_t c = 1; c < N_COLS; c++)
			fprintf(f, "  %*s", (int)width[c], cells[i][c]);
		fputc('\n', f);
	}
out:
	for (size_t i = 0; keys && i < lines; i++)
		free(keys[i]);
	free(keys);
	free(cells);
	return r;
}

/*
 * The key is the only text column: a tenant name ([A-Za-z0-9_-]), an
 * account name, a day or a state, none chosen by a tenant member.
 */
static int print_csv(const struct report *rep, const char *by, FILE *f)
{
	fprintf(f,
		"%s,jobs,cpu_user_usec,cpu_system_usec,memory_peak_bytes,io_read_bytes,"
		"io_write_bytes,wall_usec,queue_wait_usec\n",
		by);
	for (size_t i = 0; i < rep->n; i++) {
		const struct report_row *r = &rep->rows[i];

		if (cli_csv_field(f, r->key) < 0)
			return -ENOMEM;
		fprintf(f, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",", r->jobs, r->cpu_user_usec,
			r->cpu_system_usec);
		/* unknown peak: an empty field, like SQL's NULL */
		if (r->memory_peak_bytes >= 0)
			fprintf(f, "%" PRId64, r->memory_peak_bytes);
		fprintf(f, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n", r->io_read_bytes,
			r->io_write_bytes, r->wall_usec, r->queue_wait_usec);
	}
	return 0;
}

static json_t *row_json(const struct report_row *r, const char *by)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if ((by && json_object_set_new(o, by, json_string(r->key)) < 0) ||
	    json_object_set_new(o, "jobs", json_integer(r->jobs)) < 0 ||
	    json_object_set_new(o, "cpu_user_usec", json_integer(r->cpu_user_usec)) < 0 ||
	    json_object_set_new(o, "cpu_system_usec", json_integer(r->cpu_system_usec)) < 0 ||
	    json_object_set_new(o, "memory_peak_bytes",
				r->memory_peak_bytes >= 0 ? json_integer(r->memory_peak_bytes)
							  : json_null()) < 0 ||
	    json_object_set_new(o, "io_read_bytes", json_integer(r->io_read_bytes)) < 0 ||
	    json_object_set_new(o, "io_write_bytes", json_integer(r->io_write_bytes)) < 0 ||
	    json_object_set_new(o, "wall_usec", json_integer(r->wall_usec)) < 0 ||
	    json_object_set_new(o, "queue_wait_usec", json_integer(r->queue_wait_usec)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *time_json(int64_t usec)
{
	char buf[64];

	return usec < 0 ? json_null() : json_string(jq_format_rfc3339(usec, buf, sizeof(buf)));
}

static int print_json(const struct report *rep, const char *by, int64_t since, int64_t until)
{
	json_t *o = json_object(), *rows = json_array();
	int r = -ENOMEM;

	if (!o || !rows)
		goto out;
	for (size_t i = 0; i < rep->n; i++)
		if (json_array_append_new(rows, row_json(&rep->rows[i], by)) < 0)
			goto out;
	if (json_object_set_new(o, "by", json_string(by)) < 0 ||
	    json_object_set_new(o, "since", time_json(since)) < 0 ||
	    json_object_set_new(o, "until", time_json(until)) < 0 ||
	    json_object_set(o, "rows", rows) < 0 ||
	    json_object_set_new(o, "totals", row_json(&rep->total, NULL)) < 0)
		goto out;
	r = cli_json_print(o, stdout);
out:
	json_decref(rows);
	json_decref(o);
	return r;
}

static int report_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"by", required_argument, NULL, 'b'},
	    {"tenant", required_argument, NULL, 't'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	static const char *const bys[] = {"tenant", "user", "day", "state"};
	_cleanup_(report_release) struct report rep = {.total = {.memory_peak_bytes = -1}};
	const char *since_s = NULL, *until_s = NULL, *by = "tenant", *tenant = NULL;
	enum report_format format = FORMAT_TABLE;
	int64_t now = jq_now_usec(), since = -1, until = -1;
	struct jq_msg_writer w;
	bool by_ok = false;
	int o, r;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (o) {
		case 's':
			since_s = optarg;
			break;
		case 'u':
			until_s = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 't':
			tenant = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				format = FORMAT_TABLE;
			else if (!strcmp(optarg, "csv"))
				format = FORMAT_CSV;
			else if (!strcmp(optarg, "json"))
				format = FORMAT_JSON;
			else
				return cli_usage_error(
				    cmd, "invalid --format '%s': expected table, csv or json",
				    optarg);
			break;
		case 'h':
			return cli_cmd_help(cmd);
		default:
			return cli_usage(cmd);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(bys); i++)
		by_ok = by_ok || !strcmp(by, bys[i]);
	if (!by_ok)
		return cli_usage_error(
		    cmd, "invalid --by '%s': expected tenant, user, day or state", by);
	if (tenant && !jq_tenant_name_valid(tenant))
		return cli_usage_error(cmd,
				       "invalid --tenant '%s': expected 1..64 letters, digits, "
				       "'_' or '-'",
				       tenant);
	if (since_s && (jq_parse_time(since_s, now, &since) < 0 || since < 0))
		return cli_usage_error(cmd,
				       "invalid --since '%s': expected 2026-11-29, "
				       "2026-11-29T14:08[:37][Z] (UTC) or 7d, 12h, 30m",
				       since_s);
	if (until_s && (jq_parse_time(until_s, now, &until) < 0 || until < 0))
		return cli_usage_error(cmd,
				       "invalid --until '%s': expected 2026-11-29, "
				       "2026-11-29T14:08[:37][Z] (UTC) or 7d, 12h, 30m",
				       until_s);
	if (since >= 0 && until >= 0 && until < since)
		return cli_usage_error(cmd, "--until '%s' is before --since '%s'", until_s,
				       since_s);

	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	jq_msg_writer_begin(&w, JQ_REQ_REPORT);
	jq_msg_put_str(&w, JQ_T_TENANT, tenant);
	jq_msg_put_str(&w, JQ_T_REPORT_BY, by);
	jq_msg_put_i64_opt(&w, JQ_T_REPORT_SINCE, since);
	jq_msg_put_i64_opt(&w, JQ_T_REPORT_UNTIL, until);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	if (cli_recv_items(c, JQ_REP_ROW, "rows", CLI_REPORT_MAX_ROWS, report_add_cb, &rep, NULL) <
	    0)
		return CLI_EXIT_FAILURE;

	switch (format) {
	case FORMAT_TABLE:
		r = print_table(&rep, by, stdout);
		break;
	case FORMAT_CSV:
		r = print_csv(&rep, by, stdout);
		break;
	case FORMAT_JSON:
		r = print_json(&rep, by, since, until);
		break;
	}
	if (r == -ENOMEM)
		return cli_error("out of memory");
	if (r == -EOVERFLOW)
		return cli_error("the CPU time overflows 64 bits");
	return cli_finish_stdout(CLI_EXIT_OK);
}

const struct cli_cmd cli_cmd_report = {
    .name = "report",
    .usage = "[--since T] [--until T] [--by tenant|user|day|state] [--tenant T] "
	     "[--format table|csv|json]",
    .help = "Reports what finished jobs used, grouped, with totals. A job counts in the\n"
	    "window it finished in. You see the tenants you belong to; root sees all.\n"
	    "\n"
	    "  --since T   jobs that finished at or after T: 2026-11-29,\n"
	    "              2026-11-29T14:08[:37][Z] (UTC), or 7d / 12h / 30m ago\n"
	    "  --until T   jobs that finished before T (same forms)\n"
	    "  --by K      one row per tenant (default), user, day (UTC) or state\n"
	    "  --tenant T  only tenant T\n"
	    "  --format F  table (default: human units and a TOTAL line), csv (header\n"
	    "              row, raw integers: usec and bytes) or json ({rows, totals})\n",
    .exec = report_exec,
};
