/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared by the files of the jobq client. The client is thin
 * (after tmux's client.c): it validates what the user typed, sends one
 * request per job over the daemon's socket and renders the replies; the
 * daemon decides everything. One file per command (cmd-*.c), each exporting
 * a struct cli_cmd that jobq.c registers in its table.
 *
 * Unlike library code, the functions here that talk to the user (the
 * cli_connect/cli_send/cli_recv family and the commands) print their own
 * error message to stderr and return a negative errno or an exit status:
 * they are the program's edge and the only place that knows the context.
 */
#ifndef JQ_CLI_INTERNAL_H
#define JQ_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "jq-job.h"
#include "jq-protocol.h"
#include "jq-util.h"

/* Exit statuses of jobq itself. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* the daemon refused, or could not be reached */
	CLI_EXIT_USAGE = 2,   /* bad flags or values, found before any request */
};

/*
 * Exit statuses for a job that did not run to its own exit, chosen after
 * coreutils: timeout(1) exits 124, env(1) 125 when it cannot run the
 * command; 130 and 137 are what a shell reports after SIGINT and SIGKILL.
 */
#define CLI_EXIT_TIMEOUT     124
#define CLI_EXIT_NOT_STARTED 125
#define CLI_EXIT_CANCELLED   130
#define CLI_EXIT_OOM	     137

/* A daemon's JQ_REP_ERROR: printed, and the connection is still usable. */
#define CLI_ERR_REMOTE (-EREMOTEIO)

/* The client's state: where the config is, and the connection once made. */
struct cli {
	const char *config_path; /* -c/--config, or NULL */
	char *socket_path;	 /* set by cli_connect() */
	int fd;			 /* -1 until cli_connect() */
};

struct cli_cmd {
	const char *name;
	const char *usage; /* synopsis after "jobq <name> " */
	const char *help;  /* option descriptions, may be NULL */
	/*
	 * argv[0] is "jobq <name>" so that getopt's messages name the
	 * command. Returns the process exit status.
	 */
	int (*exec)(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv);
};

extern const struct cli_cmd cli_cmd_submit;
extern const struct cli_cmd cli_cmd_list;
extern const struct cli_cmd cli_cmd_show;
extern const struct cli_cmd cli_cmd_logs;
extern const struct cli_cmd cli_cmd_cancel;
extern const struct cli_cmd cli_cmd_hold;
extern const struct cli_cmd cli_cmd_release;
extern const struct cli_cmd cli_cmd_wait;
extern const struct cli_cmd cli_cmd_report; /* accounting (issue 6) */
extern const struct cli_cmd cli_cmd_doctor; /* cgroups (issue 3) */
extern const struct cli_cmd cli_cmd_share;  /* fair share (issue 5) */

/* jobq.c: usage and argument helpers shared by the commands. */

/* Prints "jobq: <message>" and the command's usage line to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...) _printf_(2, 3);
/* Prints the command's usage line to stderr (after getopt's own message); returns CLI_EXIT_USAGE.
 */
int cli_usage(const struct cli_cmd *cmd);
/* Prints the command's usage and help to stdout; returns CLI_EXIT_OK. */
int cli_cmd_help(const struct cli_cmd *cmd);
/* Prints "jobq: <message>" to stderr; returns CLI_EXIT_FAILURE. */
int cli_error(const char *fmt, ...) _printf_(1, 2);
/* Parses a job id (a positive decimal). 0 or -EINVAL/-ERANGE; prints nothing. */
int cli_parse_id(const char *s, int64_t *ret_id);
/*
 * The options and job ids of `cancel`, `wait`, `hold`, `release`: only
 * -h/--help, then at least one id. Returns -1 with the ids in *ret_ids
 * (caller frees) and their number in *ret_n, or the exit status to return
 * (help printed, or a usage error reported).
 */
int cli_parse_id_args(const struct cli_cmd *cmd, int argc, char **argv, int64_t **ret_ids,
		      size_t *ret_n);
/*
 * Flushes stdout and reports a write error once. A reader that went away
 * (EPIPE, as in `jobq list | head`) is not an error. Returns status, or
 * CLI_EXIT_FAILURE if stdout could not be written and status was 0.
 */
int cli_finish_stdout(int status);

/* client.c: the connection. */

void cli_init(struct cli *c, const char *config_path);
void cli_release(struct cli *c);
/*
 * Finds the socket from the config file and connects. Prints why it failed
 * ("cannot connect to jobqd at '<socket>': ... (is jobqd running?)").
 */
int cli_connect(struct cli *c);
/* Finishes the frame in w and writes it. Prints the error. w is not released. */
int cli_send(struct cli *c, struct jq_msg_writer *w);
/*
 * Reads one reply into ret. A JQ_REP_ERROR is printed as "jobq: <message>"
 * and returned as CLI_ERR_REMOTE (the connection stays usable); any other
 * error means the connection is gone and has been reported.
 */
int cli_recv(struct cli *c, struct jq_msg *ret);
/*
 * Reads item_type replies until JQ_REP_END, handing each to add(). Prints
 * why it stops early: an unexpected reply, or add() failing with -E2BIG
 * (more than limit items), -EOVERFLOW, -ENOMEM or anything else (a
 * malformed item). what names the items ("jobs", "rows") in messages.
 * ret_end, if not NULL, receives the END (the caller releases it).
 */
int cli_recv_items(struct cli *c, uint16_t item_type, const char *what, long limit,
		   int (*add)(const struct jq_msg *m, void *userdata), void *userdata,
		   struct jq_msg *ret_end);
/* Sends type {ID} and reads the JQ_REP_JOB that answers it, decoded into ret. */
struct cli_job;
int cli_request_job(struct cli *c, enum jq_msg_type type, int64_t id, struct cli_job *ret);

/* job.c: the job record as the client sees it. */

struct cli_job {
	struct jq_job job;
	int64_t position; /* among its tenant's waiting jobs, -1 if not sent */
	bool has_priority;
};

void cli_job_init(struct cli_job *j);
void cli_job_release(struct cli_job *j);
static inline void cli_job_releasep(struct cli_job *j)
{
	cli_job_release(j);
}

/*
 * Decodes a job record (JQ_REP_JOB, or the END of a followed LOGS) into ret,
 * which must have been initialised. Needs ID and STATE; every other field
 * is optional. -EBADMSG for malformed or out-of-range fields, -ENOMEM.
 * Accounting counts as present when any JQ_T_CPU_* field is.
 */
int cli_job_from_msg(const struct jq_msg *m, struct cli_job *ret);

/*
 * The exit status of `wait` and `submit --wait` for a finished job, and the
 * line explaining it on err when the job did not end by itself (oom,
 * cancelled, timeout, failed to start, lost). A job that has not finished
 * is a protocol error: a message, and CLI_EXIT_FAILURE.
 */
int cli_job_exit_status(const struct cli_job *j, FILE *err);

/* render.c: what the user reads. */

enum cli_json_flags {
	CLI_JSON_DETAIL = 1 << 0, /* show --json: argv, cwd, priority, after */
};

/* The stable JSON object of a job; NULL on allocation failure. */
json_t *cli_job_to_json(const struct cli_job *j, enum cli_json_flags flags);
/* Dumps v and a newline to f. 0 or -ENOMEM/-EIO. */
int cli_json_print(json_t *v, FILE *f);

/* `jobq show`: "key: value" lines. now is usec since the epoch, for ages. */
void cli_job_print_details(const struct cli_job *j, int64_t now, FILE *f);
/* `jobq list`: an aligned table with a header line. 0 or -ENOMEM. */
int cli_jobs_print_table(const struct cli_job *jobs, size_t n, int64_t now, FILE *f);

/*
 * Every string the daemon sends (names, argv, reasons, user and tenant
 * names, paths) is another user's text: its human forms go through these,
 * which escape it exactly as jobqd's log does (jq_log_escape() in
 * common/jq-log.h), so that no byte of it can act on a terminal.
 */

/*
 * Quotes one argument so a shell would read it back as one word. Text with
 * anything jq_log_escape() escapes (other than a backslash) becomes
 * $'...' with those escapes, which bash reads back as the same bytes.
 * NULL on allocation failure.
 */
char *cli_shell_quote(const char *s);
/* A copy of s escaped with jq_log_escape(); NULL on allocation failure. */
char *cli_printable(const char *s);
/* Writes s to f escaped with jq_log_escape(). */
void cli_put_printable(FILE *f, const char *s);
/*
 * Writes s to f as one CSV field: escaped with jq_log_escape() (one line,
 * no controls), then quoted per RFC 4180 if it holds a comma or a quote.
 * 0 or -ENOMEM.
 */
int cli_csv_field(FILE *f, const char *s);
/* Width of printable text in terminal cells, one per code point. */
size_t cli_text_width(const char *s);
/* A coarse age for tables: "42s", "5m", "3h", "12d". */
const char *cli_format_age(int64_t usec, char *buf, size_t n);

/* cmd-logs.c: shared with submit --wait. */

struct cli_log_result {
	struct cli_job final; /* the job record of a followed stream's END, if sent */
	bool has_final;
	bool stdout_closed; /* stdout's reader went away (EPIPE) */
	bool write_failed;  /* another write error, already reported */
};

enum cli_log_flags {
	CLI_LOG_FOLLOW = 1 << 0,
	/* Keep reading after stdout's reader went away (submit --wait still needs the END). */
	CLI_LOG_DRAIN = 1 << 1,
};

void cli_log_result_init(struct cli_log_result *r);
void cli_log_result_release(struct cli_log_result *r);
/*
 * Sends LOGS {ID, FOLLOW?} and copies JQ_REP_LOG data to fd 1 or 2 as it
 * arrives, until JQ_REP_END. ret must have been initialised with
 * cli_log_result_init(). Returns 0 (also when stdout's reader went away),
 * or a negative errno after printing the error.
 */
int cli_stream_logs(struct cli *c, int64_t id, enum cli_log_flags flags,
		    struct cli_log_result *ret);

#endif
