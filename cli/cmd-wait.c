/* SPDX-License-Identifier: MIT */

#include "cli-internal.h"

static int wait_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	_cleanup_free_ int64_t *ids = NULL;
	int status = CLI_EXIT_OK;
	size_t n = 0;
	int r0;

	r0 = cli_parse_id_args(cmd, argc, argv, &ids, &n);
	if (r0 >= 0)
		return r0;

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
