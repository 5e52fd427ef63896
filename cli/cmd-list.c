/* SPDX-License-Identifier: MIT */
#include <getopt.h>

#include "cli-internal.h"
#include "jq-parse.h"
#include "jq-time.h"

/* The daemon's answer is held whole (the table is aligned): bound it. */
#define CLI_LIST_MAX	 1000000
#define CLI_MAX_USERNAME 256
/* The daemon's page: --limit, newest first (hostile queries, issue 11). */
#define CLI_LIST_MAX_LIMIT 10000

struct job_list {
	struct cli_job *jobs;
	size_t n;
	size_t cap;
};

static void job_list_release(struct job_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cli_job_release(&l->jobs[i]);
	free(l->jobs);
	*l = (struct job_list){0};
}

static int job_list_add(struct job_list *l, const struct jq_msg *m)
{
	int r;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct cli_job *n;
		if (l->n >= CLI_LIST_MAX)
			return -E2BIG;
		n = reallocarray(l->jobs, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->jobs = n;
		l->cap = cap;
	}
	cli_job_init(&l->jobs[l->n]);
	r = cli_job_from_msg(m, &l->jobs[l->n]);
	if (r < 0)
		return r;
	l->n++;
	return 0;
}

static int job_list_add_cb(const struct jq_msg *m, void *userdata)
{
	return job_list_add(userdata, m);
}

static int print_json(const struct job_list *l)
{
	json_t *a = json_array();
	int r = 0;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < l->n && r == 0; i++)
		if (json_array_append_new(a, cli_job_to_json(&l->jobs[i], 0)) < 0)
			r = -ENOMEM;
	if (r == 0)
		r = cli_json_print(a, stdout);
	json_decref(a);
	return r;
}

static int list_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"state", required_argument, NULL, 's'},
	    {"user", required_argument, NULL, 'u'},
	    {"json", no_argument, NULL, 'j'},
	    {"limit", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_(job_list_release) struct job_list l = {0};
	const char *tenant = NULL, *state = NULL, *user = NULL;
	int64_t limit = -1, more = 0;
	struct jq_msg_writer w;
	struct jq_msg end;
	enum jq_job_state st;
	bool json = false;
	int o, r;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (o) {
		case 't':
			tenant = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'l':
			if (jq_parse_int64(optarg, 1, CLI_LIST_MAX_LIMIT, &limit) < 0)
				return cli_usage_error(cmd,
						       "invalid --limit '%s': expected 1..%d jobs",
						       optarg, CLI_LIST_MAX_LIMIT);
			break;
		case 'h':
			return cli_cmd_help(cmd);
		default:
			return cli_usage(cmd);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (tenant && !jq_tenant_name_valid(tenant))
		return cli_usage_error(cmd,
				       "invalid --tenant '%s': expected 1..64 letters, digits, "
				       "'_' or '-'",
				       tenant);
	if (state && jq_job_state_from_string(state, &st) < 0) {
		fprintf(stderr, "jobq: invalid --state '%s': expected one of", state);
		for (int s = 0; s < _JQ_JOB_STATE_MAX; s++)
			fprintf(stderr, "%s %s", s ? "," : "", jq_job_state_to_string(s));
		fputc('\n', stderr);
		return CLI_EXIT_USAGE;
	}
	if (user &&
	    (!*user || strlen(user) > CLI_MAX_USERNAME || !jq_utf8_valid(user, strlen(user))))
		return cli_usage_error(cmd, "invalid --user '%s'", user);

	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	jq_msg_writer_begin(&w, JQ_REQ_LIST);
	jq_msg_put_str(&w, JQ_T_TENANT, tenant);
	jq_msg_put_str(&w, JQ_T_STATE, state);
	jq_msg_put_str(&w, JQ_T_USER, user);
	jq_msg_put_i64_opt(&w, JQ_T_LIST_LIMIT, limit);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	if (cli_recv_items(c, JQ_REP_JOB, "jobs", CLI_LIST_MAX, job_list_add_cb, &l, &end) < 0)
		return CLI_EXIT_FAILURE;
	if (jq_msg_get_i64(&end, JQ_T_LIST_MORE, &more) < 0)
		more = 0;
	jq_msg_release(&end);

	if (json)
		r = print_json(&l);
	else
		r = cli_jobs_print_table(l.jobs, l.n, jq_now_usec(), stdout);
	if (r == -ENOMEM)
		return cli_error("out of memory");
	/* On stderr: stdout stays the table or the JSON array, whole. */
	if (more)
		fprintf(stderr,
			"jobq: showing the newest %zu jobs; more exist (--limit N, up to %d, or "
			"--tenant/--state/--user to narrow)\n",
			l.n, CLI_LIST_MAX_LIMIT);
	return cli_finish_stdout(CLI_EXIT_OK);
}

const struct cli_cmd cli_cmd_list = {
    .name = "list",
    .usage = "[--tenant T] [--state S] [--user U] [--limit N] [--json]",
    .help = "Lists the newest jobs you may see, newest first, with why each one waits\n"
	    "or how it ended.\n"
	    "\n"
	    "  --tenant T  only jobs of tenant T\n"
	    "  --state S   only jobs in state S (queued, held, starting, running,\n"
	    "              succeeded, failed, timeout, oom, cancelled,\n"
	    "              failed_to_start, lost)\n"
	    "  --user U    only jobs submitted by user U\n"
	    "  --limit N   at most N jobs (1..10000, default 300); a note on stderr\n"
	    "              says when more exist\n"
	    "  --json      print a JSON array of job objects\n",
    .exec = list_exec,
};
