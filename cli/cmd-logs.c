/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <inttypes.h>

#include "cli-internal.h"

void cli_log_result_init(struct cli_log_result *r)
{
	*r = (struct cli_log_result){0};
	cli_job_init(&r->final);
}

void cli_log_result_release(struct cli_log_result *r)
{
	cli_job_release(&r->final);
	cli_log_result_init(r);
}

/*
 * Copies one chunk to the job's stream. A reader that went away (EPIPE) is
 * not an error; other write errors are reported once. Either way later data
 * for that stream is dropped. Returns true if the caller should stop.
 */
static bool write_chunk(int fd, const struct jq_field *f, enum cli_log_flags flags, bool *closed,
			struct cli_log_result *ret)
{
	int r;

	if (*closed)
		return false;
	r = jq_write_all(fd, f->data, f->len);
	if (r == 0)
		return false;
	*closed = true;
	if (r == -EPIPE) {
		if (fd == STDOUT_FILENO)
			ret->stdout_closed = true;
		return fd == STDOUT_FILENO && !(flags & CLI_LOG_DRAIN);
	}
	cli_error("cannot write job output to %s: %s", fd == STDOUT_FILENO ? "stdout" : "stderr",
		  strerror(-r));
	ret->write_failed = true;
	return !(flags & CLI_LOG_DRAIN);
}

int cli_stream_logs(struct cli *c, int64_t id, enum cli_log_flags flags, struct cli_log_result *ret)
{
	struct jq_msg_writer w;
	bool closed[2] = {false, false};
	int r;

	jq_msg_writer_begin(&w, JQ_REQ_LOGS);
	jq_msg_put_i64(&w, JQ_T_ID, id);
	if (flags & CLI_LOG_FOLLOW)
		jq_msg_put_i64(&w, JQ_T_FOLLOW, 1);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return r;

	for (;;) {
		struct jq_msg m;
		int64_t stream;
		bool stop = false;

		r = cli_recv(c, &m);
		if (r < 0)
			return r;
		if (m.type == JQ_REP_END) {
			/* A followed stream ends with the final job record. */
			if ((flags & CLI_LOG_FOLLOW) && jq_msg_count(&m, JQ_T_ID) > 0) {
				r = cli_job_from_msg(&m, &ret->final);
				if (r < 0) {
					jq_msg_release(&m);
					cli_error("malformed job record from jobqd: %s",
						  strerror(-r));
					return r;
				}
				ret->has_final = true;
			}
			jq_msg_release(&m);
			return 0;
		}
		if (m.type != JQ_REP_LOG) {
			cli_error("unexpected reply from jobqd (type %u)", m.type);
			jq_msg_release(&m);
			return -EBADMSG;
		}
		if (jq_msg_get_i64(&m, JQ_T_STREAM, &stream) < 0 || (stream != 1 && stream != 2)) {
			cli_error("malformed log record from jobqd");
			jq_msg_release(&m);
			return -EBADMSG;
		}
		for (size_t i = 0; i < m.n_fields && !stop; i++)
			if (m.fields[i].tag == JQ_T_DATA)
				stop = write_chunk((int)stream, &m.fields[i], flags,
						   &closed[stream - 1], ret);
		jq_msg_release(&m);
		if (stop)
			return ret->write_failed ? -EIO : 0;
	}
}

static int logs_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_(cli_log_result_release) struct cli_log_result res;
	enum cli_log_flags flags = 0;
	int64_t id;
	int o;

	cli_log_result_init(&res);
	while ((o = getopt_long(argc, argv, "fh", options, NULL)) != -1) {
		switch (o) {
		case 'f':
			flags |= CLI_LOG_FOLLOW;
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
	if (cli_stream_logs(c, id, flags, &res) < 0)
		return CLI_EXIT_FAILURE;
	return res.write_failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

const struct cli_cmd cli_cmd_logs = {
    .name = "logs",
    .usage = "ID [-f|--follow]",
    .help = "Prints a job's output: its stdout to stdout, its stderr to stderr.\n"
	    "\n"
	    "  -f, --follow  keep printing until the job has ended\n",
    .exec = logs_exec,
};
