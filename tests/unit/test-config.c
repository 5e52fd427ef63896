/* SPDX-License-Identifier: MIT */
/*
 * config/: malformed files must fail with the file, the line and the key in
 * the message; valid files must give the typed values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jq-config.h"
#include "jq-paths.h"
#include "jq-util.h"

#define MIB (INT64_C(1) << 20)
#define GIB (INT64_C(1) << 30)
#define SEC INT64_C(1000000)

#define A10  "aaaaaaaaaa"
#define A50  A10 A10 A10 A10 A10
#define A100 A50 A50
#define B64  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* "tenant." B64 cut at 49 bytes, as inih would. */
#define B42 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
_Static_assert(sizeof(B64) == 65, "B64 is 64 bytes");
_Static_assert(sizeof("tenant." B42) == 50, "B42 is what inih keeps of tenant.B64");

static char tmpdir[] = "/tmp/jq-test-config-XXXXXX";

static int setup_dir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	return rmdir(tmpdir);
}

static char *tmp_path(const char *name)
{
	char *p = jq_asprintf("%s/%s", tmpdir, name);
	assert_non_null(p);
	return p;
}

static void write_file(const char *path, const char *data, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(jq_write_all(fd, data, len), 0);
}

/* Loads text as <tmpdir>/t.ini and removes the file again. */
static int load_text(const char *text, size_t len, struct jq_config **ret, char **ret_err)
{
	_cleanup_free_ char *path = tmp_path("t.ini");
	int r;

	write_file(path, text, len);
	r = jq_config_load(path, ret, ret_err);
	assert_int_equal(unlink(path), 0);
	return r;
}

/* Asserts a refused load: error code, and a message "<path>:<line>: ..." holding want. */
static void expect_error(const char *name, const char *text, size_t len, int want_r,
			 const char *want)
{
	_cleanup_free_ char *path = tmp_path("t.ini");
	struct jq_config sentinel, *c = &sentinel;
	char *err = NULL;
	int r;

	r = load_text(text, len, &c, &err);
	if (r >= 0)
		fail_msg("case '%s': accepted, expected '%s'", name, want);
	assert_ptr_equal(c, &sentinel);
	assert_non_null(err);
	if (!strstr(err, want))
		fail_msg("case '%s': got '%s', expected '%s'", name, err, want);
	if (strncmp(err, path, strlen(path)) || err[strlen(path)] != ':')
		fail_msg("case '%s': '%s' does not start with the file name", name, err);
	if (want_r && r != want_r)
		fail_msg("case '%s': returned %d, expected %d ('%s')", name, r, want_r, err);
	free(err);
}

struct bad_case {
	const char *name;
	const char *ini;
	const char *err; /* substring of the message, from the line number on */
	int r;		 /* expected return, 0 = any error */
};

static const struct bad_case bad_cases[] = {
    {"unknown section", "[daemon]\n[frob]\n", "t.ini:2: [frob]: unknown section", -EINVAL},
    {"spaces in section", "[ daemon ]\n", "t.ini:1: [ daemon ]: unknown section", 0},
    {"tenant without name", "[tenant]\n", "t.ini:1: [tenant]: unknown section", 0},
    {"unknown daemon key", "[daemon]\nsockett = /x\n",
     "t.ini:2: sockett: unknown key in [daemon] '/x'", -EINVAL},
    {"unknown tenant key", "[tenant.a]\n\nweigth = 3\n",
     "t.ini:3: weigth: unknown key in [tenant.a] '3'", 0},
    {"daemon key in tenant", "[tenant.a]\nsocket = /x\n", "t.ini:2: socket: unknown key", 0},
    {"key outside section", "weight = 1\n", "t.ini:1: weight: key outside of a section '1'", 0},
    {"bad size", "[daemon]\nmax_log_bytes = 64Q\n",
     "t.ini:2: max_log_bytes: not a size (bytes or K/M/G/T) '64Q'", -EINVAL},
    {"bad size unit", "[tenant.a]\nmemory_max = 8 G\n", "t.ini:2: memory_max: not a size", 0},
    {"size too small", "[tenant.a]\nmemory_max = 1K\n",
     "t.ini:2: memory_max: out of range 1M..1024T '1K'", -ERANGE},
    {"size overflow", "[tenant.a]\nmemory_max = 99999999999T\n",
     "t.ini:2: memory_max: out of range", -ERANGE},
    /* issue 11: a tenant's bytes, free space */
    {"min_free_space percent too high", "[daemon]\nmin_free_space = 91%\n",
     "t.ini:2: min_free_space: not a percentage in 0%..90% '91%'", -ERANGE},
    {"min_free_space bad", "[daemon]\nmin_free_space = lots\n",
     "t.ini:2: min_free_space: not a size", -EINVAL},
    {"max_queued_bytes too small", "[tenant.a]\nmax_queued_bytes = 1K\n",
     "t.ini:2: max_queued_bytes: out of range 4K..1T '1K'", -ERANGE},
    {"max_log_bytes_total too small", "[tenant.a]\nmax_log_bytes_total = 100\n",
     "t.ini:2: max_log_bytes_total: out of range 4K..1024T '100'", -ERANGE},
    {"bad duration", "[daemon]\nkill_grace = 10x\n",
     "t.ini:2: kill_grace: not a duration (s/m/h/d) '10x'", -EINVAL},
    {"negative duration", "[daemon]\nkill_grace = -1s\n", "t.ini:2: kill_grace: not a", 0},
    {"duration too long", "[daemon]\nkill_grace = 2h\n",
     "t.ini:2: kill_grace: out of range 0s..1h '2h'", -ERANGE},
    {"retention too short", "[daemon]\nretention = 0s\n",
     "t.ini:2: retention: out of range 1s..3650d '0s'", 0},
    {"fairshare_half_life zero", "[daemon]\nfairshare_half_life = 0s\n",
     "t.ini:2: fairshare_half_life: out of range 1s..365d '0s'", -ERANGE},
    {"memory_budget too small", "[daemon]\nmemory_budget = 1K\n",
     "t.ini:2: memory_budget: out of range 1M..1024T '1K'", -ERANGE},
    {"accounting_retention zero", "[daemon]\naccounting_retention = 0s\n",
     "t.ini:2: accounting_retention: out of range 1s..36500d or forever '0s'", -ERANGE},
    {"accounting_retention word", "[daemon]\naccounting_retention = never\n",
     "t.ini:2: accounting_retention: not a duration (s/m/h/d) 'never'", -EINVAL},
    {"max_timeout too long", "[tenant.a]\nmax_timeout = 366d\n",
     "t.ini:2: max_timeout: out of range 1s..365d '366d'", 0},
    {"weight zero", "[daemon]\n[tenant.a]\nweight = 0\n",
     "t.ini:3: weight: out of range 1..10000 '0'", -ERANGE},
    {"weight too big", "[tenant.a]\nweight = 10001\n",
     "t.ini:2: weight: out of range 1..10000 '10001'", 0},
    {"weight not a number", "[tenant.a]\nweight = 1e3\n", "t.ini:2: weight: not an integer '1e3'",
     0},
    {"weight with a comment that is no comment", "[tenant.a]\nweight = 100 # high\n",
     "t.ini:2: weight: not an integer '100 # high'", 0},
    {"cpus zero", "[tenant.a]\ncpu_max = 0\n", "t.ini:2: cpu_max: out of range 0.01..4096", 0},
    {"cpus too small", "[tenant.a]\ncpu_max = 0.001\n", "t.ini:2: cpu_max: out of range", 0},
    {"cpus four decimals", "[tenant.a]\ncpu_max = 1.2345\n",
     "t.ini:2: cpu_max: not a number of CPUs", 0},
    {"pids negative", "[tenant.a]\npids_max = -1\n",
     "t.ini:2: pids_max: out of range 1..4194304 '-1'", 0},
    {"max_queued too big", "[tenant.a]\nmax_queued = 1000001\n",
     "t.ini:2: max_queued: out of range 0..1000000", 0},
    {"max_priority too big", "[tenant.a]\nmax_priority = 1001\n",
     "t.ini:2: max_priority: out of range -1000..1000 '1001'", 0},
    {"max_priority too small", "[tenant.a]\nmax_priority = -1001\n",
     "t.ini:2: max_priority: out of range -1000..1000 '-1001'", 0},
    {"global max_running zero", "[daemon]\nmax_running = 0\n",
     "t.ini:2: max_running: out of range 1..4096 '0'", 0},
    {"cgroup mode", "[daemon]\ncgroup = v3\n", "t.ini:2: cgroup: not one of auto|v2|v1|none 'v3'",
     0},
    {"cgroup_name with slash", "[daemon]\ncgroup_name = a/b\n", "t.ini:2: cgroup_name: not a name",
     0},
    {"enforce", "[daemon]\nenforce = maybe\n", "t.ini:2: enforce: not one of refuse|warn 'maybe'",
     0},
    {"synchronous", "[daemon]\nsynchronous = off\n",
     "t.ini:2: synchronous: not one of full|normal 'off'", 0},
    {"shutdown", "[daemon]\nshutdown = now\n",
     "t.ini:2: shutdown: not one of leave|drain|kill 'now'", 0},
    {"network", "[tenant.a]\nnetwork = bridge\n", "t.ini:2: network: not one of none|host 'bridge'",
     0},
    /* sandbox (issue 4) */
    {"seccomp", "[daemon]\nseccomp = strict\n", "t.ini:2: seccomp: not one of default|off 'strict'",
     0},
    {"tmp_size too small", "[tenant.a]\ntmp_size = 512K\n", "t.ini:2: tmp_size: ", 0},
    {"nofile too small", "[tenant.a]\nnofile = 10\n", "t.ini:2: nofile: ", 0},
    {"nofile too large", "[tenant.a]\nnofile = 2000000\n", "t.ini:2: nofile: ", 0},
    /* cgroups (issue 3): I/O caps */
    {"io_read_bps too small", "[tenant.a]\nio_read_bps = 512K\n", "t.ini:2: io_read_bps: ", 0},
    {"io_write_bps malformed", "[tenant.a]\nio_write_bps = 10MB/s\n", "t.ini:2: io_write_bps: ", 0},
    {"relative ro_paths", "[tenant.a]\nro_paths = /opt, data\n",
     "t.ini:2: ro_paths: not an absolute path", -EINVAL},
    {"rw_paths with ..", "[tenant.a]\nrw_paths = /srv/../etc\n",
     "t.ini:2: rw_paths: not an absolute path", -EINVAL},
    {"hide_paths with trailing slash", "[tenant.a]\nhide_paths = /srv/secret/\n",
     "t.ini:2: hide_paths: not an absolute path", -EINVAL},
    {"hide_paths /", "[tenant.a]\nhide_paths = /\n", "t.ini:2: hide_paths: not an absolute path",
     -EINVAL},
    {"hide_paths with //", "[tenant.a]\nhide_paths = /srv//secret\n",
     "t.ini:2: hide_paths: not an absolute path", -EINVAL},
    {"duplicate tenant", "[tenant.a]\nweight = 1\n[tenant.b]\n[tenant.a]\n",
     "t.ini:4: [tenant.a]: duplicate tenant (first on line 1) 'a'", -EEXIST},
    {"duplicate daemon", "[daemon]\n[tenant.a]\n[daemon]\n",
     "t.ini:3: [daemon]: duplicate section (first on line 1)", 0},
    {"duplicate daemon key", "[daemon]\nmax_running = 2\nmax_running = 3\n",
     "t.ini:3: max_running: duplicate key (first set on line 2) '3'", -EINVAL},
    {"duplicate tenant key", "[tenant.a]\nrun_as = nobody\nweight = 1\nrun_as = nobody\n",
     "t.ini:4: run_as: duplicate key (first set on line 2)", 0},
    {"250-byte line", "[tenant.a]\n; fine\nusers = " A100 A100 A10 A10 A10 A10 "aa\n",
     "t.ini:3: users: line of 250 bytes, longer than 199", -E2BIG},
    {"200-byte line", "[tenant.a]\nusers = " A100 A50 A10 A10 A10 A10 "bb\n",
     "t.ini:2: users: line of 200 bytes, longer than 199", -E2BIG},
    {"250-byte comment", "[daemon]\n; " A100 A100 A10 A10 A10 A10 "aaaaaaaa\n",
     "t.ini:2: line of 250 bytes, longer than 199", -E2BIG},
    {"long line whose tail looks like a key",
     "[daemon]\n# " A100 A50 A10 A10 A10 A10 "a socket = /tmp/evil.sock\n", "t.ini:2: line of 2",
     -E2BIG},
    {"long key name", "[daemon]\n" A50 A10 " = 1\n", "t.ini:2: " A50 A10 ": ", 0},
    {"empty list item", "[tenant.a]\nusers = a,,b\n", "t.ini:2: users: empty list item 'a,,b'",
     -EINVAL},
    {"trailing comma", "[tenant.a]\ngroups = a, b,\n", "t.ini:2: groups: empty list item", 0},
    {"leading comma", "[tenant.a]\nadmins = , a\n", "t.ini:2: admins: empty list item", 0},
    {"blank list item", "[tenant.a]\nusers = a, ,b\n", "t.ini:2: users: empty list item", 0},
    {"space in list item", "[tenant.a]\nusers = a b\n",
     "t.ini:2: users: invalid account name 'a b'", 0},
    {"bad tenant name", "[tenant.-x]\n", "t.ini:1: [tenant.-x]: tenant name is not", 0},
    {"dotted tenant name", "[tenant.a.b]\n", "t.ini:1: [tenant.a.b]: tenant name is not", 0},
    {"empty tenant name", "[tenant.]\n", "t.ini:1: [tenant.]: tenant name is not", 0},
    {"tenant name of 65", "[tenant.a" B64 "]\n", "t.ini:1: [tenant.a" B64 "]: tenant name", 0},
    {"default_timeout > max_timeout",
     "[tenant.a]\ndefault_timeout = 2h\nmax_timeout = 1h\n[tenant.b]\n",
     "t.ini:2: default_timeout: larger than max_timeout on line 3", -EINVAL},
    {"default_timeout > max_timeout, last section",
     "[tenant.a]\nmax_timeout = 30m\ndefault_timeout = 31m\n",
     "t.ini:3: default_timeout: larger than max_timeout on line 2", -EINVAL},
    {"default_memory > memory_max", "[tenant.a]\ndefault_memory = 2G\nmemory_max = 1G\n",
     "t.ini:2: default_memory: larger than memory_max on line 3 '2G'", -EINVAL},
    {"run_as unknown account", "[tenant.a]\nrun_as = jq-no-such-account\n",
     "t.ini:2: run_as: no such account (or 'submitter') 'jq-no-such-account'", -ENOENT},
    {"run_as root", "[tenant.a]\nrun_as = root\n",
     "t.ini:2: run_as: refusing an account with uid 0 'root'", -EPERM},
    {"socket too long", "[daemon]\nsocket = /" A100 A10 "\n",
     "t.ini:2: socket: path longer than 107 bytes '/aaaa", -ENAMETOOLONG},
    {"relative socket too long once resolved", "[daemon]\nsocket = " A100 "\n",
     "t.ini:2: socket: path longer than 107 bytes '/tmp/jq-test-config-", -ENAMETOOLONG},
    {"empty value", "[daemon]\nsocket =\n", "t.ini:2: socket: empty value", 0},
    {"empty value with comment", "[daemon]\nstate_dir = ; none\n",
     "t.ini:2: state_dir: empty value", 0},
    {"value that looks like a comment", "[daemon]\nstate_dir =;x\n",
     "t.ini:2: state_dir: value starts like a comment ';x'", 0},
    {"indented continuation", "[tenant.a]\nusers = a\n  b\n",
     "t.ini:3: indented line (continuation lines are not supported) '  b'", 0},
    {"indented section", "[daemon]\nsocket = /x\n\t[tenant.a]\n", "t.ini:3: indented line", 0},
    {"no equals sign", "[daemon]\nsocket\n",
     "t.ini:2: not a section header, comment or 'key = value' 'socket'", 0},
    {"colon separator", "[daemon]\nsocket: /x\n",
     "t.ini:2: socket: expected 'key = value' 'socket: /x'", 0},
    {"no key", "[daemon]\n= 5\n", "t.ini:2: no key before '='", 0},
    {"section without bracket", "[daemon\n", "t.ini:1: section header without ']' '[daemon'", 0},
    {"text after section", "[daemon] x\n", "t.ini:1: text after ']' '[daemon] x'", 0},
    {"control character", "[daemon]\nsocket = /x\x1b[0m\n",
     "t.ini:2: control character 0x1b in line", 0},
    {"invalid utf-8", "[tenant.a]\nusers = \xff\xfe\n", "t.ini:2: line is not valid UTF-8", 0},
    {"first error wins", "[daemon]\nmax_running = x\n[frob]\n",
     "t.ini:2: max_running: not an integer 'x'", 0},
};

static void test_bad_files(void **state)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];
		expect_error(b->name, b->ini, strlen(b->ini), b->r, b->err);
	}
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[daemon]\nsocket = /x\0y\n";

	expect_error("nul byte", text, sizeof(text) - 1, -EINVAL,
		     "t.ini:2: control character 0x00 in line");
}

static void test_too_many_list_entries(void **state)
{
	/* 10000 users, 20 per line: every line is short, the section as a whole is not. */
	size_t cap = 1024 * 1024, len = 0;
	_cleanup_free_ char *text = malloc(cap);
	_cleanup_free_ char *want = NULL;
	struct jq_config *c = NULL;
	char *err = NULL;
	int line = 1;

	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "[tenant.a]\n");
	for (int n = 0; n < 10000; line++) {
		len += (size_t)snprintf(text + len, cap - len, "users = ");
		for (int j = 0; j < 20; j++, n++)
			len += (size_t)snprintf(text + len, cap - len, "%su%d", j ? "," : "", n);
		len += (size_t)snprintf(text + len, cap - len, "\n");
	}
	assert_int_equal(load_text(text, len, &c, &err), 0);
	assert_int_equal(jq_strv_length(c->tenants[0].users), 10000);
	assert_string_equal(c->tenants[0].users[9999], "u9999");
	jq_config_free(c);

	len += (size_t)snprintf(text + len, cap - len, "users = one-more\n");
	want = jq_asprintf("t.ini:%d: users: too many entries", line + 1);
	assert_non_null(want);
	expect_error("10001 users", text, len, -E2BIG, want);
}

static void test_too_many_tenants(void **state)
{
	size_t cap = 256 * 1024, len = 0;
	_cleanup_free_ char *text = malloc(cap);

	assert_non_null(text);
	for (int i = 0; i <= JQ_CONFIG_MAX_TENANTS; i++)
		len += (size_t)snprintf(text + len, cap - len, "[tenant.t%d]\n", i);
	_cleanup_free_ char *want =
	    jq_asprintf("t.ini:%d: [tenant.t%d]: more than %d tenants", JQ_CONFIG_MAX_TENANTS + 1,
			JQ_CONFIG_MAX_TENANTS, JQ_CONFIG_MAX_TENANTS);
	assert_non_null(want);
	expect_error("too many tenants", text, len, -E2BIG, want);
}

static void test_file_errors(void **state)
{
	_cleanup_free_ char *missing = tmp_path("missing.ini");
	_cleanup_free_ char *big = tmp_path("big.ini");
	struct jq_config *c = NULL;
	char *err = NULL;

	assert_int_equal(jq_config_load(missing, &c, &err), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, "missing.ini: cannot read"));
	free(err);

	assert_int_equal(jq_config_load(tmpdir, &c, &err), -EISDIR);
	assert_non_null(strstr(err, tmpdir));
	free(err);

	/* Just over the 1 MiB cap, all of it comment lines. */
	size_t len = 1024 * 1024 + 1;
	_cleanup_free_ char *text = malloc(len);
	assert_non_null(text);
	memset(text, ';', len);
	for (size_t i = 99; i < len; i += 100)
		text[i] = '\n';
	write_file(big, text, len);
	assert_int_equal(jq_config_load(big, &c, &err), -EFBIG);
	assert_non_null(strstr(err, "big.ini: file larger than"));
	free(err);
	/* One byte less loads. */
	assert_int_equal(truncate(big, (off_t)len - 1), 0);
	assert_int_equal(jq_config_load(big, &c, &err), 0);
	assert_int_equal(c->n_tenants, 0);
	jq_config_free(c);
	assert_int_equal(unlink(big), 0);
}

/* Valid files: each check receives the loaded config. */
struct good_case {
	const char *name;
	const char *ini;
	void (*check)(const struct jq_config *c);
};

static void check_defaults(const struct jq_config *c)
{
	_cleanup_free_ char *path = tmp_path("t.ini");

	assert_string_equal(c->path, path);
	assert_string_equal(c->socket, JQ_DEFAULT_SOCKET);
	assert_string_equal(c->database, JQ_DEFAULT_DATABASE);
	assert_string_equal(c->state_dir, JQ_DEFAULT_STATE_DIR);
	assert_int_equal(c->cgroup, JQ_CGROUP_AUTO);
	assert_string_equal(c->cgroup_name, "jobq");
	assert_false(c->enforce_warn);
	assert_int_equal(c->max_running, 8);
	assert_int_equal(c->kill_grace_usec, 10 * SEC);
	assert_int_equal(c->max_log_bytes, 64 * MIB);
	assert_int_equal(c->retention_usec, INT64_C(90) * 86400 * SEC);
	assert_int_equal(c->accounting_retention_usec, -1);
	assert_int_equal(c->fairshare_half_life_usec, 3600 * SEC);
	assert_int_equal(c->memory_budget, -1);
	assert_int_equal(c->synchronous, JQ_CONFIG_SYNC_FULL);
	assert_int_equal(c->shutdown, JQ_SHUTDOWN_LEAVE);
	assert_int_equal(c->min_free_percent, 5);
	assert_int_equal(c->min_free_bytes, -1);
	assert_int_equal(c->n_tenants, 0);
	assert_null(jq_config_tenant(c, "acme"));
}

static void check_daemon(const struct jq_config *c)
{
	_cleanup_free_ char *rel = tmp_path("../var/j.sock");
	_cleanup_free_ char *sock = jq_path_normalize(rel);
	_cleanup_free_ char *state = tmp_path("state");

	assert_non_null(sock);
	/* Relative paths come out normalized: no "..". */
	assert_null(strstr(c->socket, ".."));
	assert_string_equal(c->socket, sock);
	assert_string_equal(c->database, "/srv/jobq/jobq.db");
	assert_string_equal(c->state_dir, state);
	assert_int_equal(c->cgroup, JQ_CGROUP_V1);
	assert_string_equal(c->cgroup_name, "jq-test_1");
	assert_true(c->enforce_warn);
	assert_int_equal(c->max_running, 16);
	assert_int_equal(c->kill_grace_usec, 500000);
	assert_int_equal(c->max_log_bytes, 3 * GIB / 2);
	assert_int_equal(c->retention_usec, INT64_C(7) * 86400 * SEC);
	assert_int_equal(c->accounting_retention_usec, INT64_C(400) * 86400 * SEC);
	assert_int_equal(c->fairshare_half_life_usec, 30 * 60 * SEC);
	assert_int_equal(c->memory_budget, 12 * GIB);
	assert_int_equal(c->synchronous, JQ_CONFIG_SYNC_NORMAL);
	assert_int_equal(c->shutdown, JQ_SHUTDOWN_DRAIN);
	assert_int_equal(c->n_tenants, 0);
}

static void check_tenant_full(const struct jq_config *c)
{
	const struct jq_tenant_config *t = jq_config_tenant(c, "acme");

	assert_int_equal(c->n_tenants, 1);
	assert_non_null(t);
	assert_ptr_equal(t, &c->tenants[0]);
	assert_string_equal(t->name, "acme");
	assert_int_equal(t->line, 2);
	assert_int_equal(t->weight, 200);
	assert_int_equal(t->cpu_max_milli, 1250);
	assert_int_equal(t->memory_max, 8 * GIB);
	assert_int_equal(t->pids_max, 4096);
	assert_int_equal(t->max_running, 4);
	assert_int_equal(t->max_queued, 0);
	assert_int_equal(jq_strv_length(t->users), 3);
	assert_string_equal(t->users[0], "alice");
	assert_string_equal(t->users[1], "bob");
	assert_string_equal(t->users[2], "carol");
	assert_null(t->users[3]);
	assert_int_equal(jq_strv_length(t->groups), 1);
	assert_string_equal(t->groups[0], "acme-dev");
	assert_int_equal(jq_strv_length(t->admins), 2);
	assert_string_equal(t->admins[0], "carol");
	assert_string_equal(t->admins[1], "dave");
	assert_string_equal(t->run_as, "nobody");
	assert_int_equal(t->network, JQ_NETWORK_HOST);
	assert_int_equal(t->default_memory, 2 * GIB);
	assert_int_equal(t->default_timeout_usec, 3600 * SEC);
	assert_int_equal(t->max_timeout_usec, 12 * 3600 * SEC);
	/* cgroups (issue 3): I/O caps */
	assert_int_equal(t->io_read_bps, -1);
	assert_int_equal(t->io_write_bps, 50 * MIB);
	/* issue 11 */
	assert_int_equal(t->max_priority, -10);
	assert_null(jq_config_tenant(c, "acm"));
	assert_null(jq_config_tenant(c, "acme2"));
}

static void check_tenant_defaults(const struct jq_config *c)
{
	const struct jq_tenant_config *a = jq_config_tenant(c, "a"), *b = jq_config_tenant(c, "b");

	assert_int_equal(c->n_tenants, 2);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->line, 1);
	assert_int_equal(b->line, 3);
	assert_int_equal(a->weight, 100);
	assert_int_equal(a->cpu_max_milli, -1);
	assert_int_equal(a->memory_max, -1);
	assert_int_equal(a->pids_max, -1);
	assert_int_equal(a->max_running, -1);
	assert_int_equal(a->max_queued, 10000);
	assert_non_null(a->users);
	assert_null(a->users[0]);
	assert_non_null(a->groups);
	assert_null(a->groups[0]);
	assert_non_null(a->admins);
	assert_null(a->admins[0]);
	assert_null(a->run_as);
	assert_int_equal(a->network, JQ_NETWORK_NONE);
	assert_int_equal(a->default_memory, -1);
	assert_int_equal(a->default_timeout_usec, -1);
	assert_int_equal(a->max_timeout_usec, -1);
	/* sandbox (issue 4) */
	assert_int_equal(a->tmp_size, GIB);
	assert_int_equal(a->nofile, 4096);
	assert_int_equal(a->io_read_bps, -1);
	assert_int_equal(a->io_write_bps, -1);
	assert_int_equal(a->max_priority, 0);
	assert_true(a->ro_paths && !a->ro_paths[0] && a->rw_paths && !a->rw_paths[0]);
	assert_true(a->hide_paths && !a->hide_paths[0]);
	assert_int_equal(c->seccomp, JQ_SECCOMP_DEFAULT);
	assert_int_equal(b->weight, 7);
	assert_null(b->run_as);
	assert_null(jq_config_tenant(c, "c"));
	assert_null(jq_config_tenant(NULL, "a"));
}

static void check_long_tenant_name(const struct jq_config *c)
{
	/* inih cuts section names at 49 bytes: the name must survive whole. */
	assert_int_equal(c->n_tenants, 2);
	assert_string_equal(c->tenants[0].name, B64);
	assert_int_equal(c->tenants[0].weight, 5);
	assert_string_equal(c->tenants[1].name, B42);
	assert_int_equal(c->tenants[1].weight, 6);
}

static void check_longest_line(const struct jq_config *c)
{
	const struct jq_tenant_config *t = jq_config_tenant(c, "a");

	assert_non_null(t);
	assert_int_equal(jq_strv_length(t->users), 2);
	assert_int_equal(strlen(t->users[0]), 189);
	assert_string_equal(t->users[1], "z");
}

static void check_syntax_variants(const struct jq_config *c)
{
	const struct jq_tenant_config *t = jq_config_tenant(c, "x_1");

	assert_int_equal(c->max_running, 3);
	assert_string_equal(c->database, "/db;x");
	assert_non_null(t);
	assert_int_equal(t->weight, 9);
	assert_int_equal(jq_strv_length(t->users), 2);
	assert_string_equal(t->users[0], "alice");
	assert_string_equal(t->users[1], "bob");
	assert_int_equal(t->max_timeout_usec, 3600 * SEC);
}

static void check_equal_timeouts(const struct jq_config *c)
{
	assert_int_equal(c->tenants[0].default_timeout_usec, 90 * SEC);
	assert_int_equal(c->tenants[0].max_timeout_usec, 90 * SEC);
	assert_int_equal(c->tenants[0].default_memory, c->tenants[0].memory_max);
	assert_null(c->tenants[0].run_as);
	assert_int_equal(c->tenants[0].cpu_max_milli, 10);
}

/* sandbox (issue 4) */
static void check_sandbox(const struct jq_config *c)
{
	const struct jq_tenant_config *t = jq_config_tenant(c, "a");

	assert_int_equal(c->seccomp, JQ_SECCOMP_OFF);
	assert_non_null(t);
	assert_int_equal(t->tmp_size, 64 * MIB);
	assert_int_equal(t->nofile, 65536);
	assert_int_equal(jq_strv_length(t->ro_paths), 2);
	assert_string_equal(t->ro_paths[0], "/opt/tools");
	assert_string_equal(t->ro_paths[1], "/srv/ref data");
	assert_int_equal(jq_strv_length(t->rw_paths), 1);
	assert_string_equal(t->rw_paths[0], "/var/cache/ccache");
	assert_int_equal(jq_strv_length(t->hide_paths), 3);
	assert_string_equal(t->hide_paths[0], "/etc/ssh");
	assert_string_equal(t->hide_paths[1], "/home");
	assert_string_equal(t->hide_paths[2], "/root");
}

static const struct good_case good_cases[] = {
    {"empty file", "", check_defaults},
    {"only comments", "; nothing\n# here\n\n", check_defaults},
    {"empty daemon section", "[daemon]\n", check_defaults},
    {"daemon keys",
     "[daemon]\n"
     "socket = ../var/j.sock\n"
     "database = /srv/jobq/jobq.db\n"
     "state_dir = state ; relative to the file\n"
     "cgroup = v1\n"
     "cgroup_name = jq-test_1\n"
     "enforce = warn\n"
     "max_running = 16\n"
     "kill_grace = 500ms\n"
     "max_log_bytes = 1.5G\n"
     "retention = 7d\n"
     "accounting_retention = 400d\n"
     "fairshare_half_life = 30m\n"
     "memory_budget = 12G\n"
     "synchronous = normal\n"
     "shutdown = drain\n",
     check_daemon},
    {"full tenant",
     "; acme\n"
     "[tenant.acme]\n"
     "weight = 200\n"
     "cpu_max = 1.25\n"
     "memory_max = 8G\n"
     "pids_max = 4096\n"
     "max_running = 4\n"
     "max_queued = 0\n"
     "users = alice, bob\n"
     "groups = acme-dev\n"
     "users = carol ; and one more\n"
     "admins = carol,dave\n"
     "run_as = nobody\n"
     "network = host\n"
     "default_memory = 2G\n"
     "default_timeout = 1h\n"
     "max_timeout = 12h\n"
     "io_write_bps = 50M\n"
     "max_priority = -10\n",
     check_tenant_full},
    {"sandbox keys",
     "[daemon]\nseccomp = off\n[tenant.a]\ntmp_size = 64M\nnofile = 65536\n"
     "ro_paths = /opt/tools, /srv/ref data\nrw_paths = /var/cache/ccache\n"
     "hide_paths = /etc/ssh,/home\nhide_paths = /root\n",
     check_sandbox},
    {"tenant defaults and an empty section", "[tenant.a]\n\n[tenant.b]\nweight = 7\n",
     check_tenant_defaults},
    {"64-byte tenant name", "[tenant." B64 "]\nweight = 5\n[tenant." B42 "]\nweight = 6\n",
     check_long_tenant_name},
    {"199-byte line", "[tenant.a]\nusers = " A100 A50 A10 A10 A10 "aaaaaaaaa,z\n",
     check_longest_line},
    {"BOM, CRLF, tabs, comments, no final newline",
     "\xef\xbb\xbf[daemon]\r\n"
     "max_running\t=\t3\r\n"
     "database = /db;x\r\n"
     "# a comment\r\n"
     "   ; an indented comment\r\n"
     "\r\n"
     "[tenant.x_1] ; the x team\r\n"
     "weight=9\r\n"
     "users = alice ,bob\r\n"
     "max_timeout = 3600",
     check_syntax_variants},
    {"equal defaults and maxima",
     "[tenant.a]\ndefault_timeout = 1.5m\nmax_timeout = 90s\nmemory_max = 1G\n"
     "default_memory = 1024M\nrun_as = submitter\ncpu_max = 0.01\n",
     check_equal_timeouts},
};

/* issue 11 */
static void check_bytes(const struct jq_config *c)
{
	assert_int_equal(c->min_free_percent, -1);
	assert_int_equal(c->min_free_bytes, 2 * GIB);
	assert_int_equal(c->tenants[0].max_queued_bytes, 300 * 1024);
	assert_int_equal(c->tenants[0].max_log_bytes_total, 10 * GIB);
	/* the defaults */
	assert_int_equal(c->tenants[1].max_queued_bytes, GIB);
	assert_int_equal(c->tenants[1].max_log_bytes_total, 64 * GIB);
}

static void check_bytes_percent(const struct jq_config *c)
{
	assert_int_equal(c->min_free_percent, 0);
	assert_int_equal(c->min_free_bytes, -1);
}

static const struct good_case bytes_cases[] = {
    {"byte budgets",
     "[daemon]\nmin_free_space = 2G\n[tenant.a]\nmax_queued_bytes = 300K\n"
     "max_log_bytes_total = 10G\n[tenant.b]\n",
     check_bytes},
    {"min_free_space off", "[daemon]\nmin_free_space = 0%\n", check_bytes_percent},
};

static void test_good_files(void **state)
{
	for (size_t i = 0; i < JQ_ARRAY_SIZE(good_cases) + JQ_ARRAY_SIZE(bytes_cases); i++) {
		const struct good_case *g = i < JQ_ARRAY_SIZE(good_cases)
						? &good_cases[i]
						: &bytes_cases[i - JQ_ARRAY_SIZE(good_cases)];
		struct jq_config *c = NULL;
		char sentinel, *err = &sentinel;
		int r;

		r = load_text(g->ini, strlen(g->ini), &c, &err);
		if (r < 0)
			fail_msg("case '%s': refused: %s", g->name, err);
		assert_ptr_equal(err, &sentinel);
		assert_non_null(c);
		g->check(c);
		jq_config_free(c);
	}
}

static void test_relative_config_path(void **state)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_free_ char *path = tmp_path("rel.ini");
	_cleanup_free_ char *sock = tmp_path("sub/j.sock");
	static const char text[] = "[daemon]\nsocket = sub/j.sock\n";
	struct jq_config *c = NULL;
	char *err = NULL;

	assert_non_null(cwd);
	write_file(path, text, strlen(text));
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(jq_config_load("rel.ini", &c, &err), 0);
	assert_int_equal(chdir(cwd), 0);
	/* Both absolute, although the file was named relative to the working directory. */
	assert_string_equal(c->path, path);
	assert_string_equal(c->socket, sock);
	jq_config_free(c);
	assert_int_equal(unlink(path), 0);
}

static char *src_dir(void)
{
	const char *e = getenv("JQ_SRC_DIR");
	const char *f = __FILE__, *s;

	if (e && *e)
		return strdup(e);
	/* Run by hand: CMake compiles this file by its absolute path. */
	s = strstr(f, "/tests/unit/test-config.c");
	assert_true(f[0] == '/' && s);
	return strndup(f, (size_t)(s - f));
}

static void test_example_file(void **state)
{
	_cleanup_free_ char *src = src_dir();
	_cleanup_free_ char *path = NULL, *sock = NULL, *db = NULL, *st = NULL;
	struct jq_config *c = NULL;
	char *err = NULL;
	const struct jq_tenant_config *acme, *globex;
	int r;

	assert_non_null(src);
	path = jq_asprintf("%s/config/jobq.example.ini", src);
	/* src is canonical (from realpath or the build), so ".." is exact. */
	sock = jq_asprintf("%s/var/jobq.sock", src);
	db = jq_asprintf("%s/var/jobq.db", src);
	st = jq_asprintf("%s/var/state", src);
	assert_true(path && sock && db && st);

	r = jq_config_load(path, &c, &err);
	if (r < 0)
		fail_msg("%s", err);
	assert_string_equal(c->socket, sock);
	assert_string_equal(c->database, db);
	assert_string_equal(c->state_dir, st);
	assert_int_equal(c->n_tenants, 2);
	acme = jq_config_tenant(c, "acme");
	globex = jq_config_tenant(c, "globex");
	assert_non_null(acme);
	assert_non_null(globex);
	assert_int_equal(acme->weight, 200);
	assert_int_equal(globex->weight, 100);
	assert_int_equal(jq_strv_length(acme->users), 1);
	assert_string_equal(acme->users[0], "root");
	assert_int_equal(jq_strv_length(globex->users), 1);
	assert_string_equal(globex->users[0], "root");
	assert_true(acme->max_running > 0);
	assert_true(globex->max_running > 0);
	jq_config_free(c);
}

static size_t inih_value_len;
static int inih_handler(void *user, const char *section, const char *name, const char *value)
{
	if (!strcmp(name, "k"))
		inih_value_len = strlen(value);
	return 1;
}

/*
 * The premise of the loader's line check, against the inih we link: a line
 * of JQ_CONFIG_MAX_LINE bytes reaches the handler whole, a longer one does
 * not (and inih does not say so).
 */
static void test_inih_line_limit(void **state)
{
	char line[300];

	memset(line, 'v', sizeof(line));
	memcpy(line, "k = ", 4);
	line[JQ_CONFIG_MAX_LINE] = '\0';
	inih_value_len = 0;
	assert_int_equal(ini_parse_string(line, inih_handler, NULL), 0);
	assert_int_equal(inih_value_len, JQ_CONFIG_MAX_LINE - 4);

	line[JQ_CONFIG_MAX_LINE] = 'v';
	line[250] = '\0';
	inih_value_len = 0;
	(void)ini_parse_string(line, inih_handler, NULL);
	assert_true(inih_value_len < 250 - 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_too_many_list_entries),
	    cmocka_unit_test(test_too_many_tenants),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_good_files),
	    cmocka_unit_test(test_relative_config_path),
	    cmocka_unit_test(test_example_file),
	    cmocka_unit_test(test_inih_line_limit),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
