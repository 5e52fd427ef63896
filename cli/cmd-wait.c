/* SPDX-License-Identifier: MIT */
#include <getopt.h>

#include "cli-internal.h"

static int wait_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_free_ int64_t *ids = NULL;
	int status = CLI_EXIT_OK;
	size_t n;
	int o;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (o == 'h')
			return cli_cmd_help(cmd);
		return cli_usage(cmd);
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "expected at least one job id");
	n = (size_t)(argc - optind);
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return cli_error("out of memory");
	for (size_t i = 0; i < n; i++)
		if (cli_parse_id(argv[optind + i], &ids[i]) < 0)
			return cli_usage_error(cmd, "invalid job id '%s'", argv[optind + i]);

	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	/*
	 * One after another: the total wait is the longest job's either way,
	 * and the first non-zero status is the one reported.
	 * NEEDSWORK: reconnect when jobqd restarts during a long wait.
	 */
	for (size_t i = 0; i < n; i++) {
		_cleanup_(cli_job_releasep) struct cli_job j;
		int r, s;

		cli_job_init(&j);
		r = cli_request_job(c, JQ_REQ_WAIT, ids[i], &j);
		if (r == CLI_ERR_REMOTE)
			s = CLI_EXIT_FAILURE;
		else if (r < 0)
			return status ? status : CLI_EXIT_FAILURE;
		else
			s = cli_job_exit_status(&j, stderr);
		if (status == CLI_EXIT_OK)
			status = s;
	}
	return status;
}

const struct cli_cmd cli_cmd_wait = {
    .name = "wait",
    .usage = "ID...",
    .help = "Waits until the jobs have ended and exits like them: the job's exit code,\n"
	    "128+N if signal N ended it, 124 on timeout, 137 when out of memory, 130\n"
	    "when cancelled, 125 when it never started. With several jobs, the first\n"
	    "non-zero status.\n",
    .exec = wait_exec,
};
