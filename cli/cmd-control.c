/* SPDX-License-Identifier: MIT */
/* cancel, hold and release: one request per job, each answered with the new state. */
#include <inttypes.h>
#include <string.h>

#include "cli-internal.h"

static enum jq_msg_type control_request(const struct cli_cmd *cmd)
{
	if (cmd == &cli_cmd_hold)
		return JQ_REQ_HOLD;
	if (cmd == &cli_cmd_release)
		return JQ_REQ_RELEASE;
	return JQ_REQ_CANCEL;
}

static int control_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
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
	for (size_t i = 0; i < n; i++) {
		_cleanup_(cli_job_releasep) struct cli_job j;
		int r;

		cli_job_init(&j);
		r = cli_request_job(c, control_request(cmd), ids[i], &j);
		if (r == CLI_ERR_REMOTE) {
			/* Refused for this job only: the others still get their request. */
			status = CLI_EXIT_FAILURE;
			continue;
		}
		if (r < 0)
			return CLI_EXIT_FAILURE;
		printf("job %" PRId64 ": %s", j.job.id, jq_job_state_to_string(j.job.state));
		if (j.job.reason && strcmp(j.job.reason, jq_job_state_to_string(j.job.state))) {
			fputs(" (", stdout);
			cli_put_printable(stdout, j.job.reason);
			fputc(')', stdout);
		}
		fputc('\n', stdout);
	}
	return cli_finish_stdout(status);
}

const struct cli_cmd cli_cmd_cancel = {
    .name = "cancel",
    .usage = "ID...",
    .help = "Cancels jobs: a waiting job ends at once, a running one gets SIGTERM and,\n"
	    "after the grace period, SIGKILL. Prints each job's new state.\n",
    .exec = control_exec,
};

const struct cli_cmd cli_cmd_hold = {
    .name = "hold",
    .usage = "ID...",
    .help = "Holds waiting jobs: they are not started until released.\n",
    .exec = control_exec,
};

const struct cli_cmd cli_cmd_release = {
    .name = "release",
    .usage = "ID...",
    .help = "Releases held jobs back into their tenant's queue.\n",
    .exec = control_exec,
};
