/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli-internal.h"
#include "jq-log.h"
#include "jq-parse.h"
#include "jq-time.h"

/* The NAME column of `jobq list` is cut here; the full command is in `jobq show`. */
#define CLI_TABLE_NAME_MAX 40

/*
 * Job names, commands, reasons, user names and paths come from other users:
 * a member's argv holding escape sequences must not reach the terminal of
 * the administrator who lists it. Everything the daemon sends is escaped
 * exactly as jobqd's log is (jq_log_escape(): C0 and C1 controls, DEL,
 * U+2028/U+2029, bidi overrides and isolates, invalid UTF-8), so one rule,
 * tested once, covers the log and every human form of the client.
 */
char *cli_printable(const char *s)
{
	size_t n = strlen(s);
	char *d;

	/* Each byte escapes to at most 4 ("\xHH"): all of s fits. */
	if (n > (SIZE_MAX - 1) / 4)
		return NULL;
	d = malloc(4 * n + 1);
	if (!d)
		return NULL;
	jq_log_escape(s, n, d, 4 * n + 1);
	return d;
}

void cli_put_printable(FILE *f, const char *s)
{
	size_t n = strlen(s);

	/* In pieces: jq_log_escape() stops before what does not fit whole. */
	while (n > 0) {
		char buf[1024];
		size_t used = jq_log_escape(s, n, buf, sizeof(buf));

		fputs(buf, f);
		s += used;
		n -= used;
	}
}

static bool shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) || c >= 0x80;
}

char *cli_shell_quote(const char *s)
{
	_cleanup_free_ char *esc = cli_printable(s);
	size_t n = strlen(s), backslashes = 0, k = 0;
	bool safe = *s != '\0';
	char *d;

	if (!esc)
		return NULL;
	for (const char *p = s; *p; p++) {
		backslashes += *p == '\\';
		safe = safe && shell_safe((unsigned char)*p);
	}
	/*
	 * The escape keeps every character as itself but backslash (doubled)
	 * and what must not reach a terminal (longer): when only backslashes
	 * grew, s is plain text and single quotes are enough.
	 */
	if (strlen(esc) == n + backslashes) {
		if (safe)
			return strdup(s);
		if (n > (SIZE_MAX - 3) / 4)
			return NULL;
		d = malloc(4 * n + 3);
		if (!d)
			return NULL;
		d[k++] = '\'';
		for (const char *p = s; *p; p++) {
			if (*p == '\'') {
				memcpy(d + k, "'\\''", 4);
				k += 4;
			} else {
				d[k++] = *p;
			}
		}
		d[k++] = '\'';
		d[k] = '\0';
		return d;
	}
	/*
	 * The log's escapes (\\, \n, \r, \t, \xHH) mean the same inside bash's
	 * $'...', where only the quote itself needs one more.
	 */
	n = strlen(esc);
	if (n > (SIZE_MAX - 4) / 2)
		return NULL;
	d = malloc(2 * n + 4);
	if (!d)
		return NULL;
	d[k++] = '$';
	d[k++] = '\'';
	for (const char *p = esc; *p; p++) {
		if (*p == '\'')
			d[k++] = '\\';
		d[k++] = *p;
	}
	d[k++] = '\'';
	d[k] = '\0';
	return d;
}

/*
 * RFC 4180, on one line: the field is escaped like the log first (a record
 * is always one line, and no control reaches a terminal that cats the
 * file), then quoted if a comma or a quote is left, quotes doubled.
 * Formula prefixes (=, +, -, @) are not neutralised: see docs/accounting.md.
 */
int cli_csv_field(FILE *f, const char *s)
{
	_cleanup_free_ char *esc = cli_printable(s);
	const char *p = esc;

	if (!esc)
		return -ENOMEM;
	if (!strpbrk(p, ",\"")) {
		fputs(p, f);
		return 0;
	}
	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
	return 0;
}

const char *cli_format_age(int64_t usec, char *buf, size_t n)
{
	int64_t s = usec > 0 ? usec / 1000000 : 0;

	if (s < 60)
		snprintf(buf, n, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, n, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, n, "%" PRId64 "h", s / 3600);
	else
		snprintf(buf, n, "%" PRId64 "d", s / 86400);
	return buf;
}

/* JSON */

static json_t *json_i64(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *json_time(int64_t usec)
{
	char buf[64];

	return usec < 0 ? json_null() : json_string(jq_format_rfc3339(usec, buf, sizeof(buf)));
}

/* json_object_set_new() also fails for a NULL value, so one check covers allocation. */
static void set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (json_object_set_new(o, key, v) < 0)
		*ok = false;
}

static json_t *limits_to_json(const struct jq_limits *l)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!o)
		return NULL;
	set(o, "cpus", l->cpus_milli < 0 ? json_null() : json_real((double)l->cpus_milli / 1000.0),
	    &ok);
	set(o, "memory_bytes", json_i64(l->memory_bytes), &ok);
	set(o, "pids", json_i64(l->pids), &ok);
	set(o, "timeout_s",
	    l->timeout_usec < 0 ? json_null() : json_real((double)l->timeout_usec / 1e6), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *accounting_to_json(const struct jq_job *job)
{
	const struct jq_accounting *a = &job->acct;
	json_t *o;
	bool ok = true;

	if (!job->has_accounting)
		return json_null();
	o = json_object();
	if (!o)
		return NULL;
	set(o, "cpu_user_usec", json_i64(a->cpu_user_usec), &ok);
	set(o, "cpu_system_usec", json_i64(a->cpu_system_usec), &ok);
	set(o, "memory_peak_bytes", json_i64(a->memory_peak_bytes), &ok);
	set(o, "io_read_bytes", json_i64(a->io_read_bytes), &ok);
	set(o, "io_write_bytes", json_i64(a->io_write_bytes), &ok);
	set(o, "wall_usec", json_i64(a->wall_usec), &ok);
	set(o, "queue_wait_usec", json_i64(a->queue_wait_usec), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void detail_to_json(json_t *o, const struct cli_job *j, bool *ok)
{
	const struct jq_job *job = &j->job;
	json_t *argv = json_null(), *after = json_array();

	if (job->argv) {
		argv = json_array();
		for (char **a = job->argv; argv && *a; a++)
			if (json_array_append_new(argv, json_string(*a)) < 0)
				*ok = false;
	}
	set(o, "argv", argv, ok);
	set(o, "cwd", json_str(job->cwd), ok);
	set(o, "priority", j->has_priority ? json_integer(job->priority) : json_null(), ok);
	for (size_t i = 0; after && i < job->n_after; i++)
		if (json_array_append_new(after, json_integer(job->after[i])) < 0)
			*ok = false;
	set(o, "after", after, ok);
}

json_t *cli_job_to_json(const struct cli_job *j, enum cli_json_flags flags)
{
	const struct jq_job *job = &j->job;
	json_t *o = json_object();
	bool ok = true;

	if (!o)
		return NULL;
	/* The keys and their order are the stable interface of DESIGN.md. */
	set(o, "id", json_integer(job->id), &ok);
	set(o, "tenant", json_str(job->tenant), &ok);
	set(o, "user", json_str(job->user), &ok);
	set(o, "name", json_str(job->name), &ok);
	set(o, "state", json_str(jq_job_state_to_string(job->state)), &ok);
	set(o, "reason", json_str(job->reason), &ok);
	/* Fair share (issue 5): place among the tenant's waiting jobs, null otherwise. */
	set(o, "position", json_i64(j->position), &ok);
	set(o, "exit_code", json_i64(job->exit_code), &ok);
	set(o, "signal", json_i64(job->signal), &ok);
	set(o, "submitted_at", json_time(job->submitted_at), &ok);
	set(o, "started_at", json_time(job->started_at), &ok);
	set(o, "finished_at", json_time(job->finished_at), &ok);
	set(o, "limits", limits_to_json(&job->effective), &ok);
	set(o, "accounting", accounting_to_json(job), &ok);
	if (flags & CLI_JSON_DETAIL)
		detail_to_json(o, j, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cli_json_print(json_t *v, FILE *f)
{
	/*
	 * ASCII only: every character past U+007F is a \uXXXX escape, so no
	 * C1 control or bidi override reaches a terminal, and jansson escapes
	 * the C0 controls. It leaves DEL as is; in its output that byte can
	 * only stand inside a string, where \u007f means the same.
	 */
	_cleanup_free_ char *s =
	    json_dumps(v, JSON_INDENT(2) | JSON_REAL_PRECISION(15) | JSON_ENSURE_ASCII);

	if (!s)
		return -ENOMEM;
	for (const char *p = s, *del;; p = del + 1) {
		del = strchrnul(p, 0x7f);
		if (fwrite(p, 1, (size_t)(del - p), f) != (size_t)(del - p))
			return -EIO;
		if (!*del)
			break;
		if (fputs("\\u007f", f) == EOF)
			return -EIO;
	}
	if (fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

/* Human output */

static const char *opt_i64(int64_t v, char *buf, size_t n)
{
	if (v < 0)
		return "-";
	snprintf(buf, n, "%" PRId64, v);
	return buf;
}

static const char *opt_size(int64_t v, char *buf, size_t n)
{
	return v < 0 ? "-" : jq_format_size((uint64_t)v, buf, n);
}

static const char *opt_duration(int64_t v, char *buf, size_t n)
{
	return v < 0 ? "-" : jq_format_duration((uint64_t)v, buf, n);
}

static const char *opt_cpus(int64_t milli, char *buf, size_t n)
{
	if (milli < 0)
		return "-";
	if (milli % 1000 == 0)
		snprintf(buf, n, "%" PRId64, milli / 1000);
	else
		snprintf(buf, n, "%" PRId64 ".%03" PRId64, milli / 1000, milli % 1000);
	/* "0.500" reads better as "0.5". */
	if (strchr(buf, '.')) {
		size_t k = strlen(buf);
		while (buf[k - 1] == '0')
			buf[--k] = '\0';
	}
	return buf;
}

static void print_key(FILE *f, const char *key)
{
	fprintf(f, "%-13s", key);
}

static void print_line(FILE *f, const char *key, const char *value)
{
	print_key(f, key);
	cli_put_printable(f, value ? value : "-");
	fputc('\n', f);
}

static void print_limits(FILE *f, const char *key, const struct jq_limits *l)
{
	char c[32], m[32], p[32], t[32];

	print_key(f, key);
	fprintf(f, "cpus %s, memory %s, pids %s, timeout %s\n", opt_cpus(l->cpus_milli, c, 32),
		opt_size(l->memory_bytes, m, 32), opt_i64(l->pids, p, 32),
		opt_duration(l->timeout_usec, t, 32));
}

static void print_time(FILE *f, const char *key, int64_t usec, int64_t now)
{
	char b[64], age[32];

	if (usec < 0) {
		print_line(f, key, NULL);
		return;
	}
	print_key(f, key);
	fprintf(f, "%s (%s ago)\n", jq_format_rfc3339(usec, b, sizeof(b)),
		cli_format_age(now - usec, age, sizeof(age)));
}

static bool limits_set(const struct jq_limits *l)
{
	return l->cpus_milli >= 0 || l->memory_bytes >= 0 || l->pids >= 0 || l->timeout_usec >= 0;
}

void cli_job_print_details(const struct cli_job *j, int64_t now, FILE *f)
{
	const struct jq_job *job = &j->job;
	char b[64];

	print_line(f, "id:", opt_i64(job->id, b, sizeof(b)));
	print_line(f, "name:", job->name);
	print_line(f, "tenant:", job->tenant);
	print_line(f, "user:", job->user);
	print_line(f, "state:", jq_job_state_to_string(job->state));
	if (job->reason || j->position >= 0) {
		print_key(f, "reason:");
		cli_put_printable(f, job->reason ? job->reason : "-");
		if (j->position >= 0 && !jq_job_state_is_final(job->state))
			fprintf(f, " (position %" PRId64 " in the tenant's queue)", j->position);
		fputc('\n', f);
	}
	if (job->argv) {
		print_key(f, "argv:");
		for (char **a = job->argv; *a; a++) {
			_cleanup_free_ char *q = cli_shell_quote(*a);
			fprintf(f, "%s%s", a == job->argv ? "" : " ", q ? q : "?");
		}
		fputc('\n', f);
	}
	if (job->cwd)
		print_line(f, "cwd:", job->cwd);
	if (j->has_priority) {
		print_key(f, "priority:");
		fprintf(f, "%" PRId64 "\n", job->priority);
	}
	if (job->n_after > 0) {
		print_key(f, "after:");
		for (size_t i = 0; i < job->n_after; i++)
			fprintf(f, "%s%" PRId64, i ? ", " : "", job->after[i]);
		fputc('\n', f);
	}
	if (limits_set(&job->requested))
		print_limits(f, "requested:", &job->requested);
	print_limits(f, "limits:", &job->effective);
	print_time(f, "submitted:", job->submitted_at, now);
	print_time(f, "started:", job->started_at, now);
	print_time(f, "finished:", job->finished_at, now);
	if (jq_job_state_is_final(job->state)) {
		print_line(f, "exit code:", opt_i64(job->exit_code, b, sizeof(b)));
		if (job->signal > 0) {
			print_key(f, "signal:");
			fprintf(f, "%" PRId64 " (%s)\n", job->signal, strsignal((int)job->signal));
		}
	}
	if (job->has_accounting) {
		const struct jq_accounting *a = &job->acct;
		print_line(f, "cpu user:", opt_duration(a->cpu_user_usec, b, sizeof(b)));
		print_line(f, "cpu system:", opt_duration(a->cpu_system_usec, b, sizeof(b)));
		print_line(f, "memory peak:", opt_size(a->memory_peak_bytes, b, sizeof(b)));
		print_line(f, "io read:", opt_size(a->io_read_bytes, b, sizeof(b)));
		print_line(f, "io write:", opt_size(a->io_write_bytes, b, sizeof(b)));
		print_line(f, "wall time:", opt_duration(a->wall_usec, b, sizeof(b)));
		print_line(f, "queue wait:", opt_duration(a->queue_wait_usec, b, sizeof(b)));
	}
}

/* The table of `jobq list` */

enum {
	COL_ID,
	COL_TENANT,
	COL_USER,
	COL_STATE,
	COL_AGE,
	COL_NAME,
	COL_REASON,
	_COL_MAX
};

static const char *const col_headers[_COL_MAX] = {"ID",	 "TENANT", "USER",  "STATE",
						  "AGE", "NAME",   "REASON"};

size_t cli_text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Cuts s in place to at most max code points, marking the cut with "...". */
static void text_truncate(char *s, size_t max)
{
	size_t w = 0;

	if (cli_text_width(s) <= max)
		return;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && w++ == max - 3) {
			strcpy(p, "...");
			return;
		}
	}
}

/* What a user wants to know first: why it waits, or how it ended. */
static char *row_reason(const struct cli_job *j)
{
	const struct jq_job *job = &j->job;

	if (job->state == JQ_JOB_SUCCEEDED || job->state == JQ_JOB_FAILED) {
		if (job->signal > 0)
			return jq_asprintf("signal %" PRId64, job->signal);
		if (job->exit_code >= 0)
			return jq_asprintf("exit %" PRId64, job->exit_code);
	}
	if (job->reason && j->position >= 0 && !jq_job_state_is_final(job->state))
		return jq_asprintf("%s (#%" PRId64 ")", job->reason, j->position);
	return strdup(job->reason ? job->reason : "");
}

static char *row_name(const struct jq_job *job)
{
	_cleanup_free_ char *cmd = NULL;
	size_t len = 0;

	if (job->name)
		return strdup(job->name);
	if (!job->argv)
		return strdup("-");
	/* Only the start of the command is shown: never join more than that. */
	for (char **a = job->argv; *a && len <= CLI_TABLE_NAME_MAX; a++) {
		char *n = jq_asprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "", *a);
		if (!n)
			return NULL;
		free(cmd);
		cmd = n;
		len = strlen(cmd);
	}
	return TAKE_PTR(cmd);
}

static char *row_cell(const struct cli_job *j, int col, int64_t now)
{
	const struct jq_job *job = &j->job;
	_cleanup_free_ char *raw = NULL;
	char b[64];

	switch (col) {
	case COL_ID:
		return jq_asprintf("%" PRId64, job->id);
	case COL_STATE:
		return strdup(jq_job_state_to_string(job->state));
	case COL_AGE:
		return strdup(job->submitted_at < 0
				  ? "-"
				  : cli_format_age(now - job->submitted_at, b, sizeof(b)));
	case COL_TENANT:
		raw = strdup(job->tenant ? job->tenant : "-");
		break;
	case COL_USER:
		raw = strdup(job->user ? job->user : "-");
		break;
	case COL_NAME:
		raw = row_name(job);
		break;
	default:
		raw = row_reason(j);
		break;
	}
	/* Every cell that holds the daemon's text: tenant and user names too. */
	if (!raw)
		return NULL;
	return cli_printable(raw);
}

/* Row 0 is the header. */
static const char *cell(char **cells, size_t row, int col)
{
	return row == 0 ? col_headers[col] : cells[(row - 1) * _COL_MAX + col];
}

int cli_jobs_print_table(const struct cli_job *jobs, size_t n, int64_t now, FILE *f)
{
	size_t width[_COL_MAX];
	char **cells;
	int r = 0;

	if (n > SIZE_MAX / _COL_MAX / sizeof(char *))
		return -ENOMEM;
	cells = calloc(n ? n * _COL_MAX : 1, sizeof(char *));
	if (!cells)
		return -ENOMEM;
	for (int c = 0; c < _COL_MAX; c++)
		width[c] = strlen(col_headers[c]);
	for (size_t i = 0; i < n && r == 0; i++) {
		for (int c = 0; c < _COL_MAX; c++) {
			char *s = row_cell(&jobs[i], c, now);
			if (!s) {
				r = -ENOMEM;
				break;
			}
			if (c == COL_NAME)
				text_truncate(s, CLI_TABLE_NAME_MAX);
			cells[i * _COL_MAX + c] = s;
			if (cli_text_width(s) > width[c])
				width[c] = cli_text_width(s);
		}
	}
	if (r == 0) {
		for (size_t i = 0; i <= n; i++) {
			for (int c = 0; c < _COL_MAX; c++) {
				const char *s = cell(cells, i, c);
				fputs(s, f);
				/* No trailing blanks: the last column is not padded. */
				if (c + 1 < _COL_MAX &&
				    (c + 2 < _COL_MAX || *cell(cells, i, c + 1)))
					fprintf(f, "%*s", (int)(width[c] - cli_text_width(s) + 2),
						"");
			}
			fputc('\n', f);
		}
	}
	for (size_t i = 0; i < n * _COL_MAX; i++)
		free(cells[i]);
	free(cells);
	return r;
}
