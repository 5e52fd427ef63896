/* SPDX-License-Identifier: MIT */
/*
 * jobq doctor: prints the daemon's checks of the host (cgroup mode, tree,
 * enforceable limits, user namespaces) as a table, the fix under every row
 * that is not ok, and exits 1 if any check failed.
 */
#include <getopt.h>

#include "cli-internal.h"

/* The daemon sends a few dozen rows; more is a broken daemon. */
#define CLI_DOCTOR_MAX_ROWS 256

static const char *field(const struct jq_msg *m, enum jq_tag tag)
{
	const char *s;

	return jq_msg_get_str(m, tag, JQ_PROTO_MAX_PATH, &s) < 0 ? NULL : s;
}

/* One left-aligned column of width cells and the blank after it. 0 or -ENOMEM. */
static int print_cell(const char *s, int width)
{
	_cleanup_free_ char *p = cli_printable(s);
	int pad;

	if (!p)
		return -ENOMEM;
	pad = width - (int)cli_text_width(p);
	printf("%s%*s ", p, pad > 0 ? pad : 0, "");
	return 0;
}

static int doctor_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct jq_msg_writer w;
	bool failed = false;
	int opt, r, n = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h')
			return cli_cmd_help(cmd);
		return cli_usage(cmd);
	}
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	jq_msg_writer_begin(&w, JQ_REQ_DOCTOR);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	printf("%-26s %-6s %s\n", "CHECK", "STATUS", "DETAIL");
	for (;;) {
		struct jq_msg m;
		const char *check, *status, *detail, *fix;

		r = cli_recv(c, &m);
		if (r < 0)
			return CLI_EXIT_FAILURE;
		if (m.type == JQ_REP_END) {
			jq_msg_release(&m);
			break;
		}
		if (m.type != JQ_REP_ROW || ++n > CLI_DOCTOR_MAX_ROWS) {
			jq_msg_release(&m);
			return cli_error("unexpected reply from jobqd (type %u)", m.type);
		}
		check = field(&m, JQ_T_DOCTOR_CHECK);
		status = field(&m, JQ_T_DOCTOR_STATUS);
		detail = field(&m, JQ_T_DOCTOR_DETAIL);
		fix = field(&m, JQ_T_DOCTOR_FIX);
		if (!check || !status) {
			jq_msg_release(&m);
			return cli_error("malformed doctor row from jobqd");
		}
		/* Details quote paths of the host: escaped like everything the daemon sends. */
		if (print_cell(check, 26) < 0 || print_cell(status, 6) < 0) {
			jq_msg_release(&m);
			return cli_error("out of memory");
		}
		cli_put_printable(stdout, detail ? detail : "");
		fputc('\n', stdout);
		if (fix) {
			printf("%-26s %-6s fix: ", "", "");
			cli_put_printable(stdout, fix);
			fputc('\n', stdout);
		}
		if (!strcmp(status, "fail"))
			failed = true;
		jq_msg_release(&m);
	}
	return cli_finish_stdout(failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

const struct cli_cmd cli_cmd_doctor = {
    .name = "doctor",
    .usage = "",
    .help = "Checks what this host gives jobq: the cgroup mode and tree, which limits the\n"
	    "kernel enforces, whether user namespaces work. Exits 1 if a check fails,\n"
	    "with the fix under it.\n",
    .exec = doctor_exec,
};
