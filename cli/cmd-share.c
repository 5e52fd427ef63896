/* SPDX-License-Identifier: MIT */
/*
 * jobq share: how the tenants stand in fair share (issue 5). One ROW per
 * tenant, then an END with the totals and the dispatcher's own numbers.
 */
#include <getopt.h>
#include <inttypes.h>

#include "cli-internal.h"

/* More rows than the daemon can have tenants (JQ_CONFIG_MAX_TENANTS) is a broken daemon. */
#define CLI_SHARE_MAX_ROWS 4096

struct share_row {
	char *tenant;
	int64_t weight, share_ppm, usage_usec, effective_ppm, running, queued, memory;
};

struct share_end {
	int64_t running, queued, memory, max_running, budget, half_life, decisions, avg_ns, max_ns;
};

static int64_t get_or(const struct jq_msg *m, enum jq_tag tag, int64_t dflt)
{
	int64_t v;

	return jq_msg_get_i64(m, tag, &v) == 0 ? v : dflt;
}

static void rows_free(struct share_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].tenant);
	free(rows);
}

/* Reads ROW* END. 0, or CLI_EXIT_FAILURE after printing why. */
static int receive(struct cli *c, struct share_row **ret_rows, size_t *ret_n,
		   struct share_end *ret_end)
{
	struct share_row *rows = NULL;
	size_t n = 0;

	for (;;) {
		struct jq_msg m;
		const char *t;

		if (cli_recv(c, &m) < 0) {
			rows_free(rows, n);
			return CLI_EXIT_FAILURE;
		}
		if (m.type == JQ_REP_END) {
			*ret_end = (struct share_end){
			    .running = get_or(&m, JQ_T_SHARE_RUNNING, 0),
			    .queued = get_or(&m, JQ_T_SHARE_QUEUED, 0),
			    .memory = get_or(&m, JQ_T_SHARE_MEMORY, 0),
			    .max_running = get_or(&m, JQ_T_SHARE_MAX_RUNNING, -1),
			    .budget = get_or(&m, JQ_T_SHARE_BUDGET, -1),
			    .half_life = get_or(&m, JQ_T_SHARE_HALF_LIFE, -1),
			    .decisions = get_or(&m, JQ_T_SHARE_DECISIONS, 0),
			    .avg_ns = get_or(&m, JQ_T_SHARE_DECISION_AVG, 0),
			    .max_ns = get_or(&m, JQ_T_SHARE_DECISION_MAX, 0),
			};
			jq_msg_release(&m);
			break;
		}
		if (m.type != JQ_REP_ROW || n >= CLI_SHARE_MAX_ROWS ||
		    jq_msg_get_str(&m, JQ_T_TENANT, 64, &t) < 0) {
			jq_msg_release(&m);
			rows_free(rows, n);
			return cli_error("malformed share reply from jobqd");
		}
		struct share_row *p = realloc(rows, (n + 1) * sizeof(*rows));
		if (!p) {
			jq_msg_release(&m);
			rows_free(rows, n);
			return cli_error("out of memory");
		}
		rows = p;
		rows[n] = (struct share_row){
		    .tenant = strdup(t),
		    .weight = get_or(&m, JQ_T_SHARE_WEIGHT, 0),
		    .share_ppm = get_or(&m, JQ_T_SHARE_NORMALIZED, 0),
		    .usage_usec = get_or(&m, JQ_T_SHARE_USAGE, 0),
		    .effective_ppm = get_or(&m, JQ_T_SHARE_EFFECTIVE, 0),
		    .running = get_or(&m, JQ_T_SHARE_RUNNING, 0),
		    .queued = get_or(&m, JQ_T_SHARE_QUEUED, 0),
		    .memory = get_or(&m, JQ_T_SHARE_MEMORY, 0),
		};
		jq_msg_release(&m);
		if (!rows[n++].tenant) {
			rows_free(rows, n);
			return cli_error("out of memory");
		}
	}
	*ret_rows = rows;
	*ret_n = n;
	return 0;
}

static json_t *opt_int(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static int print_json(const struct share_row *rows, size_t n, const struct share_end *e)
{
	json_t *o = json_object(), *a = json_array();
	int r = 0;

	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		json_t *t = json_pack(
		    "{s:s, s:I, s:f, s:f, s:f, s:I, s:I, s:I}", "tenant", rows[i].tenant, "weight",
		    (json_int_t)rows[i].weight, "share", rows[i].share_ppm / 1e6, "usage",
		    rows[i].usage_usec / 1e6, "effective_share", rows[i].effective_ppm / 1e6,
		    "running", (json_int_t)rows[i].running, "queued", (json_int_t)rows[i].queued,
		    "running_memory_bytes", (json_int_t)rows[i].memory);
		r = t ? json_array_append_new(a, t) : -1;
	}
	if (r == 0)
		r = json_object_set_new(o, "tenants", a);
	else
		json_decref(a);
	if (r == 0)
		r = json_object_set_new(o, "running", json_integer(e->running)) |
		    json_object_set_new(o, "queued", json_integer(e->queued)) |
		    json_object_set_new(o, "max_running", opt_int(e->max_running)) |
		    json_object_set_new(o, "running_memory_bytes", json_integer(e->memory)) |
		    json_object_set_new(o, "memory_budget_bytes", opt_int(e->budget)) |
		    json_object_set_new(o, "half_life_usec", opt_int(e->half_life)) |
		    json_object_set_new(o, "decisions", json_integer(e->decisions)) |
		    json_object_set_new(o, "decision_avg_usec", json_real(e->avg_ns / 1e3)) |
		    json_object_set_new(o, "decision_max_usec", json_real(e->max_ns / 1e3));
	if (r != 0) {
		json_decref(o);
		return -ENOMEM;
	}
	r = cli_json_print(o, stdout);
	json_decref(o);
	return r;
}

static int print_table(const struct share_row *rows, size_t n, const struct share_end *e)
{
	char **names = calloc(n ? n : 1, sizeof(*names));
	int w = 6, r = 0;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		names[i] = cli_printable(rows[i].tenant);
		if (!names[i])
			r = -ENOMEM;
		else if ((int)cli_text_width(names[i]) > w)
			w = (int)cli_text_width(names[i]);
	}
	if (r == 0) {
		printf("%-*s %7s %7s %14s %9s %7s %7s\n", w, "TENANT", "WEIGHT", "SHARE",
		       "USAGE(CPU-s)", "EFFECTIVE", "RUNNING", "QUEUED");
		for (size_t i = 0; i < n; i++)
			printf("%s%*s %7" PRId64 " %6.1f%% %14.2f %8.1f%% %7" PRId64 " %7" PRId64
			       "\n",
			       names[i], w - (int)cli_text_width(names[i]), "", rows[i].weight,
			       rows[i].share_ppm / 1e4, rows[i].usage_usec / 1e6,
			       rows[i].effective_ppm / 1e4, rows[i].running, rows[i].queued);
		printf("\n%" PRId64 " of %" PRId64 " slots running, %" PRId64 " queued; "
		       "%" PRId64 " dispatch decisions (mean %.1f us, max %.1f us)\n",
		       e->running, e->max_running, e->queued, e->decisions, e->avg_ns / 1e3,
		       e->max_ns / 1e3);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int share_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	struct share_row *rows = NULL;
	struct share_end end = {0};
	struct jq_msg_writer w;
	bool json = false;
	size_t n = 0;
	int o, r;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'h':
			return cli_cmd_help(cmd);
		default:
			return cli_usage(cmd);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	jq_msg_writer_begin(&w, JQ_REQ_SHARE);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	r = receive(c, &rows, &n, &end);
	if (r != 0)
		return r;
	if (json) {
		r = print_json(rows, n, &end);
	} else {
		r = print_table(rows, n, &end);
	}
	rows_free(rows, n);
	if (r == -ENOMEM)
		return cli_error("out of memory");
	return cli_finish_stdout(CLI_EXIT_OK);
}

const struct cli_cmd cli_cmd_share = {
    .name = "share",
    .usage = "[--json]",
    .help = "Shows how the tenants stand in fair share: weight, share (weight over\n"
	    "all weights), usage (CPU-seconds, decayed with fairshare_half_life),\n"
	    "effective share (usage over all usage), running and queued jobs.\n"
	    "\n"
	    "  --json  print one JSON object: {\"tenants\": [...], totals}\n",
    .exec = share_exec,
};
