/* SPDX-License-Identifier: MIT */
/*
 * jobq: the client. Global options, the command table, and the helpers the
 * commands share for usage errors and output.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "cli-internal.h"
#include "jq-parse.h"
#include "jq-paths.h"

static const struct cli_cmd *const cli_cmds[] = {
    &cli_cmd_submit, &cli_cmd_list,   &cli_cmd_show,  &cli_cmd_logs,
    &cli_cmd_cancel, &cli_cmd_wait,   &cli_cmd_hold,  &cli_cmd_release,
    &cli_cmd_report, &cli_cmd_doctor, &cli_cmd_share,
};

static const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cli_cmds); i++)
		if (!strcmp(cli_cmds[i]->name, name))
			return cli_cmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: jobq [-c|--config PATH] <command> [ARGS...]\n\ncommands:\n", f);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cli_cmds); i++)
		fprintf(f, "  jobq %s %s\n", cli_cmds[i]->name, cli_cmds[i]->usage);
	fputs("\noptions:\n"
	      "  -c, --config PATH  the jobq.ini that names jobqd's socket\n"
	      "                     (default: $JOBQ_CONFIG, else " JQ_DEFAULT_CONFIG ")\n"
	      "  -h, --help         show this help\n"
	      "\nRun 'jobq help COMMAND' for the options of a command.\n",
	      f);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAILURE;
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("jobq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: jobq %s %s\n", cmd->name, cmd->usage);
	return CLI_EXIT_USAGE;
}

int cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: jobq %s %s\n", cmd->name, cmd->usage);
	return CLI_EXIT_USAGE;
}

int cli_cmd_help(const struct cli_cmd *cmd)
{
	printf("usage: jobq %s %s\n", cmd->name, cmd->usage);
	if (cmd->help)
		printf("\n%s", cmd->help);
	return cli_finish_stdout(CLI_EXIT_OK);
}

int cli_parse_id(const char *s, int64_t *ret_id)
{
	return jq_parse_int64(s, 1, INT64_MAX, ret_id);
}

int cli_parse_id_args(const struct cli_cmd *cmd, int argc, char **argv, int64_t **ret_ids,
		      size_t *ret_n)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_free_ int64_t *ids = NULL;
	size_t n;
	int o;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (o == 'h')
			return cli_cmd_help(cmd);
		return cli_usage(cmd);
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "expected at least one job id");
	/* Bounded by the kernel's limit on argv. */
	n = (size_t)(argc - optind);
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return cli_error("out of memory");
	for (size_t i = 0; i < n; i++)
		if (cli_parse_id(argv[optind + i], &ids[i]) < 0)
			return cli_usage_error(cmd, "invalid job id '%s'", argv[optind + i]);
	*ret_ids = TAKE_PTR(ids);
	*ret_n = n;
	return -1;
}

int cli_finish_stdout(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	/* The reader went away (`jobq list | head`): nothing to report. */
	if (errno == EPIPE)
		return status;
	cli_error("cannot write to standard output: %s", strerror(errno));
	return status ? status : CLI_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const struct cli_cmd *cmd;
	_cleanup_free_ char *prog = NULL;
	const char *config = NULL;
	struct cli c;
	int o, r;

	/*
	 * A closed pipe must be an error we can handle (`jobq logs | head`,
	 * a daemon that went away), not a signal that loses submit --wait's
	 * exit status.
	 */
	signal(SIGPIPE, SIG_IGN);
	/* getopt names the program by argv[0]; the messages read better as "jobq". */
	if (argc > 0)
		argv[0] = (char *)"jobq";

	/* "+": stop at the command, so that its options are its own. */
	while ((o = getopt_long(argc, argv, "+c:h", options, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("jobq: no command given\n", stderr);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			usage(stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		}
		cmd = cli_cmd_find(argv[optind + 1]);
		if (!cmd) {
			fprintf(stderr, "jobq: unknown command '%s'\n", argv[optind + 1]);
			return CLI_EXIT_USAGE;
		}
		return cli_cmd_help(cmd);
	}
	cmd = cli_cmd_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "jobq: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}

	/* getopt prefixes its messages with argv[0]: make that "jobq <command>". */
	prog = jq_asprintf("jobq %s", cmd->name);
	if (!prog)
		return cli_error("out of memory");
	argv += optind;
	argc -= optind;
	argv[0] = prog;
	/* 0, not 1: glibc then also resets its internal state for the new vector. */
	optind = 0;

	cli_init(&c, config);
	r = cmd->exec(&c, cmd, argc, argv);
	cli_release(&c);
	return r;
}
