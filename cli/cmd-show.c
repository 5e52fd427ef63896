/* SPDX-License-Identifier: MIT */
#include <getopt.h>

#include "cli-internal.h"
#include "jq-time.h"

static int show_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_(cli_job_releasep) struct cli_job j;
	bool json = false;
	int64_t id;
	int o, r;

	cli_job_init(&j);
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
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one job id");
	if (cli_parse_id(argv[optind], &id) < 0)
		return cli_usage_error(cmd, "invalid job id '%s'", argv[optind]);

	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	r = cli_request_job(c, JQ_REQ_SHOW, id, &j);
	if (r < 0)
		return CLI_EXIT_FAILURE;

	if (json) {
		json_t *v = cli_job_to_json(&j, CLI_JSON_DETAIL);
		if (!v)
			return cli_error("out of memory");
		r = cli_json_print(v, stdout);
		json_decref(v);
		if (r == -ENOMEM)
			return cli_error("out of memory");
	} else {
		cli_job_print_details(&j, jq_now_usec(), stdout);
	}
	return cli_finish_stdout(CLI_EXIT_OK);
}

const struct cli_cmd cli_cmd_show = {
    .name = "show",
    .usage = "ID [--json]",
    .help = "Shows one job: its command, where and why it waits, its limits, times and,\n"
	    "once finished, what it cost.\n"
	    "\n"
	    "  --json   print the job as a JSON object (with argv, cwd, priority, after)\n",
    .exec = show_exec,
};
