/* SPDX-License-Identifier: MIT */
/*
 * Loading the INI file: reading it, checking every line before inih sees
 * it, the sections, and the [daemon] keys.
 *
 * Why not simply ini_parse(): Debian's libinih (55) is built with a
 * 200-byte line buffer on the stack, no line number for the handler and
 * 50-byte name buffers. It hands the handler the first 199 bytes of a long
 * line and parses the rest as a line of its own (a tail holding '=' or ':'
 * becomes a key), cuts section names at 49 bytes (a long tenant name turns
 * into another, valid one), calls the handler for nothing on a section
 * without keys, and takes an indented line after a key as a continuation
 * of that key's value. It reports none of this. So the file is read here,
 * every line is checked and its section handled by the reader that feeds
 * inih, and inih is left to split "key = value" (inline comments
 * included) on lines that are known to fit its buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jq-config-internal.h"
#include "jq-parse.h"
#include "jq-paths.h"

/* Large enough for thousands of tenants; read whole into memory. */
#define JQ_CONFIG_MAX_FILE (1024 * 1024)

static int parse_cgroup(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			const char *value);
static int parse_synchronous(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			     const char *value);
static int parse_shutdown(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			  const char *value);
static int parse_seccomp(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
static int parse_enforce(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
static int parse_accounting_retention(struct jq_config_parser *p, const struct jq_config_key *k,
				      void *obj, const char *value);
static int parse_min_free_space(struct jq_config_parser *p, const struct jq_config_key *k,
				void *obj, const char *value);

enum {
	DK_SOCKET,
	DK_DATABASE,
	DK_STATE_DIR,
	DK_CGROUP,
	DK_CGROUP_NAME,
	DK_MAX_RUNNING,
	DK_KILL_GRACE,
	DK_MAX_LOG_BYTES,
	DK_RETENTION,
	DK_SYNCHRONOUS,
	DK_ACCOUNTING_RETENTION,
	DK_FAIRSHARE_HALF_LIFE,
	DK_MEMORY_BUDGET,
	DK_ENFORCE,		     /* cgroups (issue 3) */
	DK_SECCOMP,		     /* sandbox (issue 4) */
	DK_SHUTDOWN,		     /* restarts (issue 7) */
	DK_MIN_FREE_SPACE,	     /* issue 11 */
	DK_MAX_CONNECTIONS_PER_USER, /* issue 11 */
	DK_REQUEST_READ_TIMEOUT,     /* issue 11 */
	_DK_MAX,
};
_Static_assert(_DK_MAX <= JQ_CONFIG_MAX_KEYS, "p->key_line is too small for the daemon keys");

#define F(field) offsetof(struct jq_config, field)

/*
 * Sanity ranges:
 * - socket: at most JQ_SOCKET_PATH_MAX bytes once resolved, or bind()
 *   fails (sun_path); database and state_dir at most 1024 bytes, leaving
 *   room within PATH_MAX for the run directories and logs below them.
 * - max_running 1..4096 jobs at once.
 * - kill_grace 0..1h: 0 kills at once; longer than an hour only delays a
 *   cancel that a person is waiting for.
 * - max_log_bytes 4K..1T per job: the truncation marker must fit.
 * - retention 1s..3650d: seconds are silly in production but let the
 *   integration test see the daemon delete jobs (docs/accounting.md).
 * - fairshare_half_life 1s..365d: how fast past usage is forgiven.
 * - memory_budget 1M..1024T: the memory limits of all running jobs together
 *   (default: MemTotal, read by jobqd).
 * - accounting_retention 1s..36500d or "forever" (the default): accounting
 *   rows outlive their jobs; a row is kept at least as long as its job.
 * - min_free_space 0..90% of the file system, or a size 0..1T: below it
 *   on the file system of state_dir or of the database, new submissions
 *   are refused (0 turns the check off).
 * - max_connections_per_user 1..1024: at most a quarter of jobqd's 4096
 *   connections, so that one user at its cap never fills them all; the
 *   default 256 is far above what a person or a CI runner opens at once
 *   (each waiting `jobq wait` or `logs -f` holds one).
 * - request_read_timeout 1s..1h: from a request's first byte to its last;
 *   `jobq` sends a whole request in one write, so only a stalled or
 *   hostile client ever waits this long.
 */
static const struct jq_config_key daemon_keys[_DK_MAX] = {
    [DK_SOCKET] = {"socket", jq_config_parse_path, F(socket), 1, JQ_SOCKET_PATH_MAX, NULL, false},
    [DK_DATABASE] = {"database", jq_config_parse_path, F(database), 1, 1024, NULL, false},
    [DK_STATE_DIR] = {"state_dir", jq_config_parse_path, F(state_dir), 1, 1024, NULL, false},
    [DK_CGROUP] = {"cgroup", parse_cgroup, F(cgroup), 0, 0, "auto|v2|v1|none", false},
    [DK_CGROUP_NAME] = {"cgroup_name", jq_config_parse_name, F(cgroup_name), 0, 0, NULL, false},
    [DK_MAX_RUNNING] = {"max_running", jq_config_parse_int, F(max_running), 1, 4096, "1..4096",
			false},
    [DK_KILL_GRACE] = {"kill_grace", jq_config_parse_duration, F(kill_grace_usec), 0, HOUR,
		       "0s..1h", false},
    [DK_MAX_LOG_BYTES] = {"max_log_bytes", jq_config_parse_size, F(max_log_bytes), 4 * KIB, TIB,
			  "4K..1T", false},
    [DK_RETENTION] = {"retention", jq_config_parse_duration, F(retention_usec), SEC, 3650 * DAY,
		      "1s..3650d", false},
    [DK_SYNCHRONOUS] = {"synchronous", parse_synchronous, F(synchronous), 0, 0, "full|normal",
			false},
    [DK_ACCOUNTING_RETENTION] = {"accounting_retention", parse_accounting_retention,
				 F(accounting_retention_usec), SEC, 36500 * DAY,
				 "1s..36500d or forever", false},
    [DK_FAIRSHARE_HALF_LIFE] = {"fairshare_half_life", jq_config_parse_duration,
				F(fairshare_half_life_usec), SEC, 365 * DAY, "1s..365d", false},
    [DK_MEMORY_BUDGET] = {"memory_budget", jq_config_parse_size, F(memory_budget), MIB, 1024 * TIB,
			  "1M..1024T", false},
    [DK_ENFORCE] = {"enforce", parse_enforce, F(enforce_warn), 0, 0, "refuse|warn", false},
    [DK_SECCOMP] = {"seccomp", parse_seccomp, F(seccomp), 0, 0, "default|off", false},
    [DK_SHUTDOWN] = {"shutdown", parse_shutdown, F(shutdown), 0, 0, "leave|drain|kill", false},
    [DK_MIN_FREE_SPACE] = {"min_free_space", parse_min_free_space, F(min_free_bytes), 0, TIB,
			   "0%..90% or 0..1T", false},
    [DK_MAX_CONNECTIONS_PER_USER] = {"max_connections_per_user", jq_config_parse_int,
				     F(max_connections_per_user), 1, 1024, "1..1024", false},
    [DK_REQUEST_READ_TIMEOUT] = {"request_read_timeout", jq_config_parse_duration,
				 F(request_read_timeout_usec), SEC, HOUR, "1s..1h", false},
};

static int parse_cgroup(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			const char *value)
{
	static const char *const names[] = {
	    [JQ_CGROUP_AUTO] = "auto",
	    [JQ_CGROUP_V2] = "v2",
	    [JQ_CGROUP_V1] = "v1",
	    [JQ_CGROUP_NONE] = "none",
	};
	int v, r;

	r = jq_config_parse_choice(p, k, value, names, JQ_ARRAY_SIZE(names), &v);
	if (r < 0)
		return r;
	((struct jq_config *)obj)->cgroup = (enum jq_cgroup_mode)v;
	return 0;
}

/* cgroups (issue 3): a limit the host cannot enforce is refused, or only warned about. */
static int parse_enforce(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	static const char *const names[] = {"refuse", "warn"};
	int v, r;

	r = jq_config_parse_choice(p, k, value, names, JQ_ARRAY_SIZE(names), &v);
	if (r < 0)
		return r;
	((struct jq_config *)obj)->enforce_warn = v == 1;
	return 0;
}

/* sandbox (issue 4): the jobs' seccomp deny-list (docs/sandbox.md). */
static int parse_seccomp(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	static const char *const names[] = {
	    [JQ_SECCOMP_DEFAULT] = "default",
	    [JQ_SECCOMP_OFF] = "off",
	};
	int v, r;

	r = jq_config_parse_choice(p, k, value, names, JQ_ARRAY_SIZE(names), &v);
	if (r < 0)
		return r;
	((struct jq_config *)obj)->seccomp = (enum jq_seccomp_mode)v;
	return 0;
}

/* restarts (issue 7): what SIGTERM does to running jobs. */
static int parse_shutdown(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			  const char *value)
{
	static const char *const names[] = {
	    [JQ_SHUTDOWN_LEAVE] = "leave",
	    [JQ_SHUTDOWN_DRAIN] = "drain",
	    [JQ_SHUTDOWN_KILL] = "kill",
	};
	int v, r;

	r = jq_config_parse_choice(p, k, value, names, JQ_ARRAY_SIZE(names), &v);
	if (r < 0)
		return r;
	((struct jq_config *)obj)->shutdown = (enum jq_shutdown)v;
	return 0;
}

static int parse_synchronous(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			     const char *value)
{
	static const char *const names[] = {
	    [JQ_CONFIG_SYNC_FULL] = "full",
	    [JQ_CONFIG_SYNC_NORMAL] = "normal",
	};
	int v, r;

	r = jq_config_parse_choice(p, k, value, names, JQ_ARRAY_SIZE(names), &v);
	if (r < 0)
		return r;
	((struct jq_config *)obj)->synchronous = (enum jq_config_sync)v;
	return 0;
}

static int parse_accounting_retention(struct jq_config_parser *p, const struct jq_config_key *k,
				      void *obj, const char *value)
{
	if (!strcmp(value, "forever")) {
		((struct jq_config *)obj)->accounting_retention_usec = -1;
		return 0;
	}
	return jq_config_parse_duration(p, k, obj, value);
}

/* issue 11: "5%" of the file system, or a size; the other field is set to -1. */
static int parse_min_free_space(struct jq_config_parser *p, const struct jq_config_key *k,
				void *obj, const char *value)
{
	struct jq_config *c = obj;
	size_t n = strlen(value);
	int64_t pct;

	if (n > 1 && value[n - 1] == '%') {
		_cleanup_free_ char *num = strndup(value, n - 1);
		if (!num)
			return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
		if (jq_parse_int64(num, 0, 90, &pct) < 0)
			return jq_config_fail(p, p->line, -ERANGE, k->name, value,
					      "not a percentage in 0%%..90%%");
		c->min_free_percent = pct;
		c->min_free_bytes = -1;
		return 0;
	}
	c->min_free_percent = -1;
	return jq_config_parse_size(p, k, obj, value);
}

void jq_config_free(struct jq_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_tenants; i++)
		jq_config_tenant_release(&c->tenants[i]);
	free(c->tenants);
	free(c->path);
	free(c->socket);
	free(c->database);
	free(c->state_dir);
	free(c->cgroup_name);
	free(c);
}

static void jq_config_freep(struct jq_config **c)
{
	jq_config_free(*c);
}

const struct jq_tenant_config *jq_config_tenant(const struct jq_config *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_tenants; i++)
		if (!strcmp(c->tenants[i].name, name))
			return &c->tenants[i];
	return NULL;
}

/*
 * The config path with its directory made canonical (no "..", no symlinked
 * directories); the file name itself is kept, so a symlinked jobq.ini still
 * resolves relative paths against the directory it was named in. NULL if
 * the directory does not exist (the caller falls back, and the read fails
 * with a clear error).
 */
static char *canonical_path(const char *path)
{
	_cleanup_free_ char *copy = strdup(path), *dir = NULL;
	char *slash;

	if (!copy)
		return NULL;
	slash = strrchr(copy, '/');
	if (!slash)
		dir = realpath(".", NULL);
	else if (slash == copy)
		dir = strdup("");
	else {
		*slash = '\0';
		dir = realpath(copy, NULL);
	}
	if (!dir)
		return NULL;
	return jq_asprintf("%s/%s", dir, slash ? slash + 1 : copy);
}

static int config_new(const char *path, struct jq_config **ret)
{
	_cleanup_(jq_config_freep) struct jq_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	/*
	 * Absolute and without "..", so that paths resolved against it stay
	 * right after a chdir() and can be compared (the sandbox hides it).
	 */
	c->path = canonical_path(path);
	if (c->path) {
		/* resolved */
	} else if (path[0] == '/') {
		c->path = strdup(path);
	} else {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return -errno;
		c->path = jq_asprintf("%s/%s", cwd, path);
	}
	c->socket = strdup(JQ_DEFAULT_SOCKET);
	c->database = strdup(JQ_DEFAULT_DATABASE);
	c->state_dir = strdup(JQ_DEFAULT_STATE_DIR);
	c->cgroup_name = strdup("jobq");
	if (!c->path || !c->socket || !c->database || !c->state_dir || !c->cgroup_name)
		return -ENOMEM;
	c->cgroup = JQ_CGROUP_AUTO;
	c->max_running = 8;
	c->kill_grace_usec = 10 * SEC;
	c->max_log_bytes = 64 * MIB;
	c->retention_usec = 90 * DAY;
	c->accounting_retention_usec = -1;
	c->fairshare_half_life_usec = HOUR;
	c->memory_budget = -1;
	c->min_free_percent = 5;
	c->min_free_bytes = -1;
	c->synchronous = JQ_CONFIG_SYNC_FULL;
	c->max_connections_per_user = 256;
	c->request_read_timeout_usec = 30 * SEC;
	*ret = TAKE_PTR(c);
	return 0;
}

/*
 * Reads the whole file, at most JQ_CONFIG_MAX_FILE bytes. Not
 * jq_read_file(): that refuses symlinks, and /etc/jobq/jobq.ini is often
 * one. Only regular files: a FIFO would block the daemon forever.
 */
static int read_config_file(const char *path, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > JQ_CONFIG_MAX_FILE)
		return -EFBIG;

	/* One byte over the size seen, to notice a file that grows meanwhile. */
	size = (size_t)st.st_size + 1;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (len == size) {
			char *n;
			if (size > JQ_CONFIG_MAX_FILE)
				return -EFBIG;
			size =
			    size * 2 > JQ_CONFIG_MAX_FILE + 1 ? JQ_CONFIG_MAX_FILE + 1 : size * 2;
			n = realloc(buf, size + 1);
			if (!n)
				return -ENOMEM;
			buf = n;
		}
		k = read(fd, buf + len, size - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	buf[len] = '\0';
	*ret_data = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int section_begin(struct jq_config_parser *p, const char *name)
{
	_cleanup_free_ char *key = NULL;
	int r;

	if (p->section == JQ_CONFIG_SECTION_TENANT) {
		r = jq_config_tenant_finish(p);
		if (r < 0)
			return r;
	}
	memset(p->key_line, 0, sizeof(p->key_line));

	if (!strcmp(name, "daemon")) {
		if (p->daemon_line)
			return jq_config_fail(p, p->line, -EEXIST, "[daemon]", NULL,
					      "duplicate section (first on line %d)",
					      p->daemon_line);
		p->daemon_line = p->line;
		p->section = JQ_CONFIG_SECTION_DAEMON;
		return 0;
	}
	if (!strncmp(name, "tenant.", strlen("tenant."))) {
		p->section = JQ_CONFIG_SECTION_TENANT;
		return jq_config_tenant_add(p, name + strlen("tenant."));
	}
	p->section = JQ_CONFIG_SECTION_NONE;
	key = jq_asprintf("[%s]", name);
	if (!key)
		return jq_config_fail(p, p->line, -ENOMEM, NULL, NULL, "out of memory");
	return jq_config_fail(p, p->line, -EINVAL, key, name,
			      "unknown section (not [daemon] or [tenant.NAME])");
}

/* A "[name]" line: b points at '[', e past the last non-blank byte. */
static int section_line(struct jq_config_parser *p, char *b, char *e)
{
	char *close = memchr(b, ']', (size_t)(e - b));
	char *rest;

	if (!close)
		return jq_config_fail(p, p->line, -EINVAL, NULL, p->text,
				      "section header without ']'");
	/* inih ignores whatever follows ']': refuse it rather than drop it. */
	for (rest = close + 1; rest < e && isspace((unsigned char)*rest); rest++)
		;
	if (rest < e && *rest != ';' && *rest != '#')
		return jq_config_fail(p, p->line, -EINVAL, NULL, p->text, "text after ']'");
	*close = '\0';
	return section_begin(p, b + 1);
}

/* A "key = value" line, split the way inih splits it. */
static int key_line(struct jq_config_parser *p, char *b, char *e)
{
	char *q, *k;

	for (q = b; q < e; q++) {
		if (*q == '=' || *q == ':')
			break;
		/* An inline comment, as inih sees one: ';' after whitespace. */
		if (*q == ';' && q > b && isspace((unsigned char)q[-1])) {
			q = e;
			break;
		}
	}
	if (q == e)
		return jq_config_fail(p, p->line, -EINVAL, NULL, p->text,
				      "not a section header, comment or 'key = value'");
	for (k = q; k > b && isspace((unsigned char)k[-1]); k--)
		;
	memcpy(p->key, b, (size_t)(k - b));
	p->key[k - b] = '\0';
	/*
	 * inih also takes "key: value"; the client's jq_ini_read_socket() does
	 * not, and both must find the same socket.
	 */
	if (*q == ':')
		return jq_config_fail(p, p->line, -EINVAL, p->key, p->text,
				      "expected 'key = value'");
	if (k == b)
		return jq_config_fail(p, p->line, -EINVAL, NULL, p->text, "no key before '='");
	return 0;
}

/* Every line passes here before inih sees it. */
static int check_line(struct jq_config_parser *p, const char *s, size_t len)
{
	char *b, *e, *t;

	p->key[0] = '\0';
	if (len > JQ_CONFIG_MAX_LINE) {
		/* Name the key if the line has one within what we can show. */
		const char *eq = memchr(s, '=', len);
		size_t n = eq ? (size_t)(eq - s) : 0;
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '_')
				n = 0;
		if (n > 0 && n <= 64)
			return jq_config_fail(p, p->line, -E2BIG, NULL, NULL,
					      "%.*s: line of %zu bytes, longer than %d", (int)n, s,
					      len, JQ_CONFIG_MAX_LINE);
		return jq_config_fail(p, p->line, -E2BIG, NULL, NULL,
				      "line of %zu bytes, longer than %d", len, JQ_CONFIG_MAX_LINE);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* Keeps NUL (which would end the line early for inih) and escapes out. */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return jq_config_fail(p, p->line, -EINVAL, NULL, NULL,
					      "control character 0x%02x in line", c);
	}
	if (!jq_utf8_valid(s, len))
		return jq_config_fail(p, p->line, -EINVAL, NULL, NULL, "line is not valid UTF-8");

	memcpy(p->text, s, len);
	p->text[len] = '\0';
	b = p->text;
	e = p->text + len;
	/* inih skips a UTF-8 byte order mark at the start of the file. */
	if (p->line == 1 && !strncmp(b, "\xef\xbb\xbf", 3))
		b += 3;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	for (t = b; t < e && isspace((unsigned char)*t); t++)
		;
	/* Comments may be indented: inih looks for them before continuations. */
	if (t == e || *t == ';' || *t == '#')
		return 0;
	if (t != b)
		return jq_config_fail(p, p->line, -EINVAL, NULL, p->text,
				      "indented line (continuation lines are not supported)");
	if (*b == '[')
		return section_line(p, b, e);
	return key_line(p, b, e);
}

/* The ini_reader: hands inih one checked line at a time, counting them. */
static char *config_reader(char *str, int num, void *stream)
{
	struct jq_config_parser *p = stream;
	const char *s = p->pos, *nl;
	size_t len;

	if (p->r < 0 || p->pos >= p->end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(p->end - s));
	len = nl ? (size_t)(nl - s) : (size_t)(p->end - s);
	p->pos = nl ? nl + 1 : p->end;
	p->line++;
	if (len > 0 && s[len - 1] == '\r')
		len--;

	if (check_line(p, s, len) < 0)
		return NULL;
	/* Only if inih was built with a smaller buffer than the one we check for. */
	if (num < 0 || len >= (size_t)num) {
		jq_config_fail(p, p->line, -E2BIG, NULL, NULL,
			       "line of %zu bytes, longer than the parser's %d", len, num - 1);
		return NULL;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	return str;
}

/*
 * The ini_handler. section is not used: inih cuts it at 49 bytes, and the
 * reader has already handled the section header as written.
 */
static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct jq_config_parser *p = user;
	int r;

	if (p->r < 0)
		return 0;
	if (strcmp(name, p->key)) {
		jq_config_fail(p, p->line, -E2BIG, p->key, NULL,
			       "key name too long for the parser");
		return 0;
	}

	switch (p->section) {
	case JQ_CONFIG_SECTION_DAEMON:
		r = jq_config_set_key(p, daemon_keys, _DK_MAX, p->config, "daemon", name, value);
		break;
	case JQ_CONFIG_SECTION_TENANT:
		r = jq_config_tenant_set(p, name, value);
		break;
	default:
		/* Also after an unknown section, but that has already failed. */
		r = jq_config_fail(p, p->line, -EINVAL, name, value, "key outside of a section");
		break;
	}
	return r >= 0;
}

static char *file_error(const char *path, int r)
{
	switch (r) {
	case -EFBIG:
		return jq_asprintf("%s: file larger than %d bytes", path, JQ_CONFIG_MAX_FILE);
	case -EINVAL:
		return jq_asprintf("%s: not a regular file", path);
	default:
		return jq_asprintf("%s: cannot read: %s", path, strerror(-r));
	}
}

int jq_config_load(const char *path, struct jq_config **ret, char **ret_err)
{
	_cleanup_(jq_config_freep) struct jq_config *c = NULL;
	_cleanup_free_ char *data = NULL;
	struct jq_config_parser p = {.file = path};
	size_t len = 0;
	int r;

	if (!path || !*path) {
		*ret_err = strdup("no config file given");
		return -EINVAL;
	}
	r = config_new(path, &c);
	if (r < 0) {
		*ret_err = jq_asprintf("%s: %s", path, strerror(-r));
		return r;
	}
	r = read_config_file(path, &data, &len);
	if (r < 0) {
		*ret_err = file_error(path, r);
		return r;
	}

	p.config = c;
	p.pos = data;
	p.end = data + len;
	r = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (p.r == 0 && r == -2)
		jq_config_fail(&p, p.line, -ENOMEM, NULL, NULL, "out of memory");
	else if (p.r == 0 && r > 0)
		/* Every line was checked above; this is inih disagreeing. */
		jq_config_fail(&p, r, -EINVAL, NULL, NULL, "syntax error");
	else if (p.r == 0 && r < 0)
		jq_config_fail(&p, p.line, -EIO, NULL, NULL, "parser failed");
	if (p.r == 0 && p.section == JQ_CONFIG_SECTION_TENANT)
		jq_config_tenant_finish(&p);

	if (p.r < 0) {
		*ret_err = p.err ? p.err : strdup("out of memory");
		return p.r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}
