/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <inttypes.h>

#include "cli-internal.h"
#include "jq-parse.h"
#include "jq-paths.h"

extern char **environ;

/* The kernel's PID_MAX_LIMIT: a larger pids.max means nothing. */
#define CLI_PIDS_MAX 4194304

struct submit_opts {
	const char *tenant;
	const char *name;
	int64_t cpus_milli;
	int64_t memory_bytes;
	int64_t timeout_usec;
	int64_t pids;
	int64_t priority;
	bool has_priority;
	int64_t after[JQ_PROTO_MAX_AFTER];
	size_t n_after;
	int64_t after_any[JQ_PROTO_MAX_AFTER]; /* --after-any */
	size_t n_after_any;
	int64_t array;	/* --array N, 0 = not given */
	char **env_add; /* --env K=V, in order; points into argv */
	size_t n_env_add;
	bool hold;
	bool wait;
	bool json;
};

static int invalid_value(const struct cli_cmd *cmd, const char *opt, const char *value, int r,
			 const char *expected)
{
	return cli_usage_error(cmd, "invalid --%s '%s': %s", opt, value,
			       r == -ERANGE ? "out of range" : expected);
}

/* The most copies one --array may ask for (the daemon checks too). */
#define CLI_ARRAY_MAX 100000

static int parse_ids(const struct cli_cmd *cmd, const char *opt, const char *value, int64_t *ids,
		     size_t *n_ids)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL, *tok;

	if (!copy)
		return cli_error("out of memory");
	/* strtok_r would skip empty elements: "1,,2" is a typo, not a list of two. */
	if (!*value || value[0] == ',' || value[strlen(value) - 1] == ',' || strstr(value, ",,"))
		return cli_usage_error(cmd, "invalid --%s '%s': expected job ids like 12,13", opt,
				       value);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n_ids >= JQ_PROTO_MAX_AFTER)
			return cli_usage_error(cmd, "too many --%s jobs (limit %d)", opt,
					       JQ_PROTO_MAX_AFTER);
		if (cli_parse_id(tok, &ids[*n_ids]) < 0)
			return cli_usage_error(cmd, "invalid --%s '%s': '%s' is not a job id", opt,
					       value, tok);
		(*n_ids)++;
	}
	return CLI_EXIT_OK;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Returns CLI_EXIT_OK, or the exit status of a usage error already printed. */
static int parse_value(const struct cli_cmd *cmd, int opt, const char *v, struct submit_opts *o)
{
	uint64_t u;
	int r;

	switch (opt) {
	case 't':
		if (!jq_tenant_name_valid(v))
			return cli_usage_error(cmd,
					       "invalid --tenant '%s': expected 1..64 letters, "
					       "digits, '_' or '-'",
					       v);
		o->tenant = v;
		return CLI_EXIT_OK;
	case 'n':
		if (!*v || strlen(v) > JQ_PROTO_MAX_NAME || !jq_utf8_valid(v, strlen(v)) ||
		    has_control(v))
			return cli_usage_error(cmd,
					       "invalid --name '%s': expected 1..%d bytes of "
					       "printable UTF-8",
					       v, JQ_PROTO_MAX_NAME);
		o->name = v;
		return CLI_EXIT_OK;
	case 'C':
		r = jq_parse_cpus(v, &u);
		if (r < 0)
			return invalid_value(cmd, "cpus", v, r, "expected CPUs like 2 or 0.5");
		o->cpus_milli = (int64_t)u;
		return CLI_EXIT_OK;
	case 'm':
		r = jq_parse_size(v, &u);
		if (r == 0 && (u == 0 || u > INT64_MAX))
			r = -ERANGE;
		if (r < 0)
			return invalid_value(cmd, "memory", v, r,
					     "expected a size like 512M or 8G (K, M, G, T)");
		o->memory_bytes = (int64_t)u;
		return CLI_EXIT_OK;
	case 'T':
		r = jq_parse_duration(v, &u);
		if (r == 0 && (u == 0 || u > INT64_MAX))
			r = -ERANGE;
		if (r < 0)
			return invalid_value(cmd, "timeout", v, r,
					     "expected a duration like 90s, 30m, 2h or 1d");
		o->timeout_usec = (int64_t)u;
		return CLI_EXIT_OK;
	case 'p':
		r = jq_parse_int64(v, 1, CLI_PIDS_MAX, &o->pids);
		if (r < 0)
			return invalid_value(cmd, "pids", v, r, "expected a number of processes");
		return CLI_EXIT_OK;
	case 'P':
		r = jq_parse_int64(v, -1000, 1000, &o->priority);
		if (r < 0)
			return cli_usage_error(cmd, "invalid --priority '%s': expected -1000..1000",
					       v);
		o->has_priority = true;
		return CLI_EXIT_OK;
	case 'a':
		return parse_ids(cmd, "after", v, o->after, &o->n_after);
	case 'A':
		return parse_ids(cmd, "after-any", v, o->after_any, &o->n_after_any);
	case 'N':
		r = jq_parse_int64(v, 1, CLI_ARRAY_MAX, &o->array);
		if (r < 0)
			return cli_usage_error(cmd, "invalid --array '%s': expected 1..%d copies",
					       v, CLI_ARRAY_MAX);
		return CLI_EXIT_OK;
	case 'e':
		if (!strchr(v, '=') || v[0] == '=' || !jq_utf8_valid(v, strlen(v)))
			return cli_usage_error(cmd, "invalid --env '%s': expected NAME=VALUE", v);
		/* env_add has room for every argument: set up by the caller. */
		o->env_add[o->n_env_add++] = (char *)v;
		return CLI_EXIT_OK;
	}
	return CLI_EXIT_USAGE;
}

static bool same_key(const char *a, const char *b)
{
	size_t ka = strcspn(a, "="), kb = strcspn(b, "=");

	return ka == kb && !memcmp(a, b, ka);
}

static bool overridden(const char *e, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_key(e, list[i]))
			return true;
	return false;
}

/*
 * The job's environment: the client's own, so that a job sees what a local
 * run would, with each --env added or replacing (the last --env of a name
 * wins). The strings are borrowed, not copied.
 */
static int build_env(const struct submit_opts *o, char ***ret_env)
{
	size_t n = jq_strv_length(environ), k = 0;
	char **env;

	if (n > SIZE_MAX / sizeof(char *) - o->n_env_add - 1)
		return -ENOMEM;
	env = calloc(n + o->n_env_add + 1, sizeof(char *));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		if (!strchr(e, '=') || e[0] == '=' || !jq_utf8_valid(e, strlen(e))) {
			fprintf(stderr,
				"jobq: warning: not passing environment entry '%.*s' "
				"(not NAME=VALUE in UTF-8)\n",
				(int)strcspn(e, "="), e);
			continue;
		}
		if (overridden(e, o->env_add, o->n_env_add))
			continue;
		env[k++] = (char *)e;
	}
	for (size_t i = 0; i < o->n_env_add; i++)
		if (!overridden(o->env_add[i], o->env_add + i + 1, o->n_env_add - i - 1))
			env[k++] = o->env_add[i];
	*ret_env = env;
	return 0;
}

/* Counted with their NUL bytes, as execve() and jobqd count them. */
static size_t strv_bytes(char *const *v)
{
	size_t n = 0;

	for (; v && *v; v++)
		n += strlen(*v) + 1;
	return n;
}

static void put_request(struct jq_msg_writer *w, const struct submit_opts *o, char *const *cmd,
			char *const *env, const char *cwd)
{
	jq_msg_writer_begin(w, JQ_REQ_SUBMIT);
	jq_msg_put_str(w, JQ_T_TENANT, o->tenant);
	for (char *const *a = cmd; *a; a++)
		jq_msg_put_str(w, JQ_T_ARGV, *a);
	for (char *const *e = env; *e; e++)
		jq_msg_put_str(w, JQ_T_ENV, *e);
	jq_msg_put_str(w, JQ_T_CWD, cwd);
	jq_msg_put_str(w, JQ_T_NAME, o->name);
	jq_msg_put_i64_opt(w, JQ_T_REQ_CPUS, o->cpus_milli);
	jq_msg_put_i64_opt(w, JQ_T_REQ_MEMORY, o->memory_bytes);
	jq_msg_put_i64_opt(w, JQ_T_REQ_PIDS, o->pids);
	jq_msg_put_i64_opt(w, JQ_T_REQ_TIMEOUT, o->timeout_usec);
	if (o->has_priority)
		jq_msg_put_i64(w, JQ_T_PRIORITY, o->priority);
	for (size_t i = 0; i < o->n_after; i++)
		jq_msg_put_i64(w, JQ_T_AFTER, o->after[i]);
	for (size_t i = 0; i < o->n_after_any; i++)
		jq_msg_put_i64(w, JQ_T_AFTER_ANY, o->after_any[i]);
	if (o->array > 0)
		jq_msg_put_i64(w, JQ_T_ARRAY, o->array);
	if (o->hold)
		jq_msg_put_i64(w, JQ_T_HOLD, 1);
}

/* Streams the job's output as it is written and exits like the job. */
static int submit_wait(struct cli *c, int64_t id)
{
	_cleanup_(cli_log_result_release) struct cli_log_result res;
	int status;

	cli_log_result_init(&res);
	if (cli_stream_logs(c, id, CLI_LOG_FOLLOW | CLI_LOG_DRAIN, &res) < 0)
		return CLI_EXIT_FAILURE;
	if (!res.has_final)
		return cli_error(
		    "jobqd ended the output of job %" PRId64 " without its final state", id);
	status = cli_job_exit_status(&res.final, stderr);
	/* Output that was lost must not pass for a clean run. */
	if (res.write_failed && status == CLI_EXIT_OK)
		status = CLI_EXIT_FAILURE;
	return status;
}

static int submit_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option options[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"name", required_argument, NULL, 'n'},
	    {"cpus", required_argument, NULL, 'C'},
	    {"memory", required_argument, NULL, 'm'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"pids", required_argument, NULL, 'p'},
	    {"priority", required_argument, NULL, 'P'},
	    {"after", required_argument, NULL, 'a'},
	    {"env", required_argument, NULL, 'e'},
	    {"hold", no_argument, NULL, 'H'},
	    {"after-any", required_argument, NULL, 'A'},
	    {"array", required_argument, NULL, 'N'},
	    {"wait", no_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_(cli_job_releasep) struct cli_job j;
	_cleanup_free_ struct submit_opts *o = NULL;
	_cleanup_free_ char **env_add = NULL;
	_cleanup_free_ char **env = NULL;
	_cleanup_free_ char *cwd = NULL;
	struct jq_msg_writer w;
	int64_t copies = 1;
	char **job_argv;
	size_t bytes;
	int opt, r;

	cli_job_init(&j);
	/* After the --after ids, the struct is too large for the stack. */
	o = calloc(1, sizeof(*o));
	/* Each --env is one argument: argc bounds their number. */
	env_add = calloc((size_t)argc, sizeof(char *));
	if (!o || !env_add)
		return cli_error("out of memory");
	o->cpus_milli = o->memory_bytes = o->timeout_usec = o->pids = JQ_LIMIT_UNSET;
	o->env_add = env_add;

	/* "+": the job's own flags after CMD are not ours. */
	while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (opt) {
		case 'H':
			o->hold = true;
			break;
		case 'w':
			o->wait = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			return cli_cmd_help(cmd);
		case '?':
			return cli_usage(cmd);
		default:
			r = parse_value(cmd, opt, optarg, o);
			if (r != CLI_EXIT_OK)
				return r;
		}
	}
	if (!o->tenant)
		return cli_usage_error(cmd, "missing --tenant");
	if (optind >= argc)
		return cli_usage_error(cmd, "missing the command to run");
	if (o->wait && o->json)
		/* The job's output goes to stdout: a JSON object there could not be parsed. */
		return cli_usage_error(cmd, "--wait and --json cannot be combined");
	if (o->wait && o->array > 1)
		return cli_usage_error(cmd,
				       "--wait and --array cannot be combined (use 'jobq wait')");
	job_argv = argv + optind;
	for (int i = 0; job_argv[i]; i++)
		if (!jq_utf8_valid(job_argv[i], strlen(job_argv[i])))
			return cli_usage_error(cmd, "argument %d of the command is not valid UTF-8",
					       i + 1);

	cwd = getcwd(NULL, 0);
	if (!cwd)
		return cli_error("cannot determine the current directory: %s", strerror(errno));
	if (strlen(cwd) > JQ_PROTO_MAX_PATH || !jq_utf8_valid(cwd, strlen(cwd))) {
		/* Another user may have named a directory on the way (/tmp/...). */
		_cleanup_free_ char *shown = cli_printable(cwd);
		return cli_error("current directory '%s' cannot be sent (longer than %d bytes or "
				 "not UTF-8)",
				 shown ? shown : "?", JQ_PROTO_MAX_PATH);
	}
	if (jq_path_kernel_dir(cwd)) {
		_cleanup_free_ char *shown = cli_printable(cwd);
		return cli_error("cannot submit from '%s': jobs cannot run in %s",
				 shown ? shown : "?", jq_path_kernel_dir(cwd));
	}
	if (build_env(o, &env) < 0)
		return cli_error("out of memory");
	bytes = strv_bytes(job_argv) + strv_bytes(env);
	if (bytes > JQ_PROTO_MAX_ARGV_ENV)
		return cli_error("command line and environment too large (%zu bytes, limit %d)",
				 bytes, JQ_PROTO_MAX_ARGV_ENV),
		       CLI_EXIT_USAGE;

	if (cli_connect(c) < 0)
		return CLI_EXIT_FAILURE;
	put_request(&w, o, job_argv, env, cwd);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	{
		struct jq_msg m;
		r = cli_recv(c, &m);
		if (r < 0)
			return CLI_EXIT_FAILURE;
		if (m.type != JQ_REP_JOB) {
			jq_msg_release(&m);
			return cli_error("unexpected reply from jobqd (type %u)", m.type);
		}
		if (jq_msg_get_i64(&m, JQ_T_ARRAY, &copies) < 0 || copies < 1)
			copies = 1;
		r = cli_job_from_msg(&m, &j);
		jq_msg_release(&m);
		if (r < 0)
			return cli_error("malformed job record from jobqd: %s", strerror(-r));
	}

	if (o->wait)
		return submit_wait(c, j.job.id);
	if (o->json) {
		json_t *v = cli_job_to_json(&j, 0);
		if (!v)
			return cli_error("out of memory");
		/* --array: the first job, and how many consecutive ids were made. */
		if (copies > 1 && json_object_set_new(v, "array", json_integer(copies)) < 0) {
			json_decref(v);
			return cli_error("out of memory");
		}
		r = cli_json_print(v, stdout);
		json_decref(v);
		if (r == -ENOMEM)
			return cli_error("out of memory");
	} else {
		for (int64_t k = 0; k < copies; k++)
			printf("%" PRId64 "\n", j.job.id + k);
	}
	return cli_finish_stdout(CLI_EXIT_OK);
}

const struct cli_cmd cli_cmd_submit = {
    .name = "submit",
    .usage = "--tenant T [OPTION...] [--] CMD [ARG...]",
    .help = "Queues CMD to run in the current directory with this environment, and\n"
	    "prints the job id.\n"
	    "\n"
	    "  --tenant T       the tenant the job runs and is accounted under\n"
	    "  --name N         a name to show instead of the command\n"
	    "  --cpus C         CPU limit, decimals allowed (0.5, 2)\n"
	    "  --memory SIZE    memory limit (512M, 8G)\n"
	    "  --timeout DUR    wall-clock limit (90s, 30m, 2h, 1d); exits 124\n"
	    "  --pids N         process limit\n"
	    "  --priority P     -1000..1000, higher first within the tenant\n"
	    "  --after ID,...   start only after these jobs succeeded; if one fails, times\n"
	    "                   out or is cancelled, this job is cancelled\n"
	    "  --after-any ID,... start once these jobs ended, whatever their state\n"
	    "  --array N        N copies (1..100000), JOBQ_ARRAY_INDEX=0..N-1; prints\n"
	    "                   every id\n"
	    "  --env K=V        set a variable in the job's environment (repeatable)\n"
	    "  --hold           queue the job held, until 'jobq release'\n"
	    "  --wait           stream the job's output and exit like the job\n"
	    "  --json           print the job as a JSON object instead of its id\n",
    .exec = submit_exec,
};
