/* SPDX-License-Identifier: MIT */
/*
 * common/: the parsers, time, job states, the wire codec, the file helpers
 * and the paths every other module builds on. Where the input is data the
 * tests are tables; every table row states the exact result it expects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jq-job.h"
#include "jq-log.h"
#include "jq-parse.h"
#include "jq-paths.h"
#include "jq-protocol.h"
#include "jq-time.h"
#include "jq-util.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)
#define SEC UINT64_C(1000000)

/* What a parser must leave in its output when it fails. */
#define UNTOUCHED UINT64_C(0xdeadbeefcafef00d)

static char tmpdir[] = "/tmp/jq-test-common-XXXXXX";

static int setup_dir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	return jq_rm_rf(tmpdir);
}

static char *tmp_path(const char *name)
{
	char *p = jq_asprintf("%s/%s", tmpdir, name);
	assert_non_null(p);
	return p;
}

static void write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(jq_write_all(fd, text, strlen(text)), 0);
}

static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* jq-parse */

struct u64_case {
	const char *in;
	int r;
	uint64_t want;
};

typedef int (*u64_parser)(const char *, uint64_t *);

static void run_u64_cases(const char *what, u64_parser parse, const struct u64_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = UNTOUCHED;
		int r = parse(c[i].in, &v);

		if (r != c[i].r || v != (c[i].r == 0 ? c[i].want : UNTOUCHED))
			fail_msg("%s('%s'): got %d/%" PRIu64 ", want %d/%" PRIu64, what, c[i].in, r,
				 v, c[i].r, c[i].r == 0 ? c[i].want : UNTOUCHED);
	}
}

static void test_parse_size(void **state)
{
	static const struct u64_case cases[] = {
	    {"0", 0, 0},
	    {"512", 0, 512},
	    {"512B", 0, 512},
	    {"512b", 0, 512},
	    {"1K", 0, KIB},
	    {"64k", 0, 64 * KIB},
	    {"8G", 0, 8 * GIB},
	    {"1T", 0, TIB},
	    {"1.5G", 0, 3 * GIB / 2},
	    {"0.5K", 0, 512},
	    {"10MB", 0, 10 * MIB},
	    {"10mb", 0, 10 * MIB},
	    {"2GiB", 0, 2 * GIB},
	    {"1KiB", 0, KIB},
	    {"1024T", 0, 1024 * TIB},
	    {"", -EINVAL, 0},
	    {"-1", -EINVAL, 0},
	    {"+1", -EINVAL, 0},
	    {"1X", -EINVAL, 0},
	    {"1P", -EINVAL, 0},
	    {"1.5", -EINVAL, 0},    /* a fraction of a byte */
	    {"1.001K", -EINVAL, 0}, /* 1025.024 bytes */
	    {"1.0001G", -EINVAL, 0},
	    {"1..5G", -EINVAL, 0},
	    {"1.G", -EINVAL, 0},
	    {".5G", -EINVAL, 0},
	    {" 1G", -EINVAL, 0},
	    {"1G ", -EINVAL, 0},
	    {"1 G", -EINVAL, 0},
	    {"G", -EINVAL, 0},
	    {"1BB", -EINVAL, 0},
	    {"1iB", -EINVAL, 0},
	    {"1Ki", -EINVAL, 0},
	    {"1KiBx", -EINVAL, 0},
	    {"1GB5", -EINVAL, 0},
	    {"0x10", -EINVAL, 0},
	    {"99999999999T", -ERANGE, 0},
	    {"99999999999999999", -ERANGE, 0},
	    {"99999999999999999999999", -ERANGE, 0},
	};
	uint64_t v = UNTOUCHED;

	run_u64_cases("jq_parse_size", jq_parse_size, cases, JQ_ARRAY_SIZE(cases));
	assert_int_equal(jq_parse_size(NULL, &v), -EINVAL);
	assert_true(v == UNTOUCHED);
}

static void test_parse_duration(void **state)
{
	static const struct u64_case cases[] = {
	    {"0", 0, 0},
	    {"30", 0, 30 * SEC},
	    {"30s", 0, 30 * SEC},
	    {"10m", 0, 600 * SEC},
	    {"1h", 0, 3600 * SEC},
	    {"90d", 0, 90 * 86400 * SEC},
	    {"1.5s", 0, 1500000},
	    {"1.5", 0, 1500000},
	    {"0.5h", 0, 1800 * SEC},
	    {"250ms", 0, 250000},
	    {"0.5ms", 0, 500},
	    {"0.001ms", 0, 1},
	    {"1w", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"-1s", -EINVAL, 0},
	    {"1h30m", -EINVAL, 0},
	    {"s", -EINVAL, 0},
	    {"1.0001s", -EINVAL, 0},
	    {"1.s", -EINVAL, 0},
	    {" 1s", -EINVAL, 0},
	    {"1s ", -EINVAL, 0},
	    {"1 s", -EINVAL, 0},
	    {"1us", -EINVAL, 0},
	    {"1sec", -EINVAL, 0},
	    {"999999999999999d", -ERANGE, 0},
	};

	run_u64_cases("jq_parse_duration", jq_parse_duration, cases, JQ_ARRAY_SIZE(cases));
}

static void test_parse_cpus(void **state)
{
	static const struct u64_case cases[] = {
	    {"4", 0, 4000},	    {"0.5", 0, 500},	   {"1.25", 0, 1250},
	    {"0.001", 0, 1},	    {"1.000", 0, 1000},	   {"1000000", 0, UINT64_C(1000000000)},
	    {"0", -ERANGE, 0},	    {"0.000", -ERANGE, 0}, {"1000000.001", -ERANGE, 0},
	    {"0.0001", -EINVAL, 0}, {"1,5", -EINVAL, 0},   {"abc", -EINVAL, 0},
	    {"", -EINVAL, 0},	    {"-1", -EINVAL, 0},	   {"1.", -EINVAL, 0},
	    {".5", -EINVAL, 0},	    {"4 ", -EINVAL, 0},	   {"4c", -EINVAL, 0},
	};

	run_u64_cases("jq_parse_cpus", jq_parse_cpus, cases, JQ_ARRAY_SIZE(cases));
}

static void test_parse_int64(void **state)
{
	static const struct {
		const char *in;
		int64_t min, max;
		int r;
		int64_t want;
	} cases[] = {
	    {"0", INT64_MIN, INT64_MAX, 0, 0},
	    {"-0", INT64_MIN, INT64_MAX, 0, 0},
	    {"+5", INT64_MIN, INT64_MAX, 0, 5},
	    {"-5", INT64_MIN, INT64_MAX, 0, -5},
	    {"007", INT64_MIN, INT64_MAX, 0, 7},
	    {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
	    {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
	    {"-9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MIN + 1},
	    {"9223372036854775808", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"9223372036854775809", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"-9223372036854775809", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"-9223372036854775810", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"18446744073709551615", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"18446744073709551617", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"99999999999999999999999", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"10", 0, 10, 0, 10},
	    {"0", 0, 10, 0, 0},
	    {"11", 0, 10, -ERANGE, 0},
	    {"-1", 0, 10, -ERANGE, 0},
	    {"-1000", -1000, 1000, 0, -1000},
	    {"-1001", -1000, 1000, -ERANGE, 0},
	    {"1001", -1000, 1000, -ERANGE, 0},
	    {"", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"-", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"+", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"--1", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"+-1", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"1a", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {" 1", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"1 ", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"0x10", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"1.0", INT64_MIN, INT64_MAX, -EINVAL, 0},
	    {"1e3", INT64_MIN, INT64_MAX, -EINVAL, 0},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		int64_t v = 12345;
		int r = jq_parse_int64(cases[i].in, cases[i].min, cases[i].max, &v);
		int64_t want = cases[i].r == 0 ? cases[i].want : 12345;

		if (r != cases[i].r || v != want)
			fail_msg("jq_parse_int64('%s', %" PRId64 ", %" PRId64 "): got %d/%" PRId64
				 ", want %d/%" PRId64,
				 cases[i].in, cases[i].min, cases[i].max, r, v, cases[i].r, want);
	}
	int64_t v = 12345;
	assert_int_equal(jq_parse_int64(NULL, INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 12345);
}

static void test_format_size(void **state)
{
	static const struct {
		uint64_t in;
		const char *want;
	} cases[] = {
	    {0, "0B"},	    {100, "100B"},	 {1023, "1023B"},	    {1024, "1K"},
	    {1536, "1.5K"}, {512 * MIB, "512M"}, {8 * GIB, "8G"},	    {3 * GIB / 2, "1.5G"},
	    {TIB, "1T"},    {1024 * TIB, "1P"},	 {UINT64_C(1) << 60, "1E"},
	};
	char buf[32];

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		memset(buf, 'x', sizeof(buf));
		const char *s = jq_format_size(cases[i].in, buf, sizeof(buf));
		assert_ptr_equal(s, buf);
		if (strcmp(s, cases[i].want))
			fail_msg("jq_format_size(%" PRIu64 ") = '%s', want '%s'", cases[i].in, s,
				 cases[i].want);
	}

	/* What people read back must parse to the same size. */
	static const uint64_t round[] = {0, 512, KIB, 1536, 64 * KIB, 512 * MIB, 8 * GIB, TIB};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(round); i++) {
		uint64_t v = UNTOUCHED;
		assert_int_equal(jq_parse_size(jq_format_size(round[i], buf, sizeof(buf)), &v), 0);
		assert_true(v == round[i]);
	}

	/* A short buffer truncates and stays terminated. */
	char small[4];
	assert_string_equal(jq_format_size(1023, small, sizeof(small)), "102");
}

static void test_format_duration(void **state)
{
	static const struct {
		uint64_t in;
		const char *want;
	} cases[] = {
	    {0, "0us"},
	    {999, "999us"},
	    {1000, "1ms"},
	    {120000, "120ms"},
	    {999999, "999ms"},
	    {SEC, "1.00s"},
	    {3500000, "3.50s"},
	    {59990000, "59.99s"},
	    {59999999, "59.99s"}, /* never rounds up to a "60.00s" */
	    {60 * SEC, "1m00s"},
	    {(60 + 5) * SEC, "1m05s"},
	    {3599 * SEC, "59m59s"},
	    {3600 * SEC, "1h00m"},
	    {(3600 + 120) * SEC, "1h02m"},
	    {86399 * SEC, "23h59m"},
	    {86400 * SEC, "1d00h"},
	    {90 * 86400 * SEC + 5 * 3600 * SEC, "90d05h"},
	};
	char buf[32];

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		const char *s = jq_format_duration(cases[i].in, buf, sizeof(buf));
		assert_ptr_equal(s, buf);
		if (strcmp(s, cases[i].want))
			fail_msg("jq_format_duration(%" PRIu64 ") = '%s', want '%s'", cases[i].in,
				 s, cases[i].want);
	}
}

static void test_tenant_name(void **state)
{
	static const char n64[] =
	    "a123456789012345678901234567890123456789012345678901234567890123";
	static const char n65[] =
	    "a1234567890123456789012345678901234567890123456789012345678901234";
	static const struct {
		const char *in;
		bool want;
	} cases[] = {
	    {"acme", true},
	    {"a", true},
	    {"9", true},
	    {"Team_A-1", true},
	    {"0-_", true},
	    {n64, true},
	    {n65, false},
	    {"", false},
	    {"-acme", false},
	    {"_acme", false},
	    {"ac.me", false},
	    {".", false},
	    {"..", false},
	    {"a/b", false},
	    {"a b", false},
	    {"acme\n", false},
	    {"caf\xc3\xa9", false},
	    {"\xc3\xa9t\xc3\xa9", false},
	    {"\xe2\x9c\x93", false},
	};

	_Static_assert(sizeof(n64) == 65, "n64 is 64 bytes");
	_Static_assert(sizeof(n65) == 66, "n65 is 65 bytes");
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++)
		if (jq_tenant_name_valid(cases[i].in) != cases[i].want)
			fail_msg("jq_tenant_name_valid('%s') != %d", cases[i].in, cases[i].want);
	assert_false(jq_tenant_name_valid(NULL));
}

/* jq-time */

/* 2026-11-29T00:00:00Z and 2026-11-29T14:08:37Z, from date -u -d ... +%s. */
#define T_DAY	  (INT64_C(1795910400) * 1000000)
#define T_EXAMPLE (INT64_C(1795961317) * 1000000)

static void test_format_rfc3339(void **state)
{
	static const struct {
		int64_t in;
		const char *want;
	} cases[] = {
	    {0, "1970-01-01T00:00:00.000000Z"},
	    {1, "1970-01-01T00:00:00.000001Z"},
	    {T_EXAMPLE + 123456, "2026-11-29T14:08:37.123456Z"},
	    {T_DAY, "2026-11-29T00:00:00.000000Z"},
	    {INT64_C(1709251199) * 1000000 + 999999, "2024-02-29T23:59:59.999999Z"},
	    {-1, "1969-12-31T23:59:59.999999Z"},
	    {-1000000, "1969-12-31T23:59:59.000000Z"},
	    {-1500000, "1969-12-31T23:59:58.500000Z"},
	    {-86400 * INT64_C(1000000), "1969-12-31T00:00:00.000000Z"},
	};
	char buf[32];

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		const char *s = jq_format_rfc3339(cases[i].in, buf, sizeof(buf));
		assert_ptr_equal(s, buf);
		if (strcmp(s, cases[i].want))
			fail_msg("jq_format_rfc3339(%" PRId64 ") = '%s', want '%s'", cases[i].in, s,
				 cases[i].want);
	}
}

static void test_parse_time(void **state)
{
	const int64_t now = T_EXAMPLE + 123456;
	const int64_t H = 3600 * INT64_C(1000000), M = 60 * INT64_C(1000000);
	static const int64_t untouched = 4242;
	const struct {
		const char *in;
		int r;
		int64_t want;
	} cases[] = {
	    {"2026-11-29", 0, T_DAY},
	    {"2026-11-29T14:08", 0, T_DAY + 14 * H + 8 * M},
	    {"2026-11-29T14:08Z", 0, T_DAY + 14 * H + 8 * M},
	    {"2026-11-29 14:08", 0, T_DAY + 14 * H + 8 * M},
	    {"2026-11-29T14:08:37", 0, T_EXAMPLE},
	    {"2026-11-29T14:08:37Z", 0, T_EXAMPLE},
	    {"2026-11-29T14:08:37.123456Z", 0, T_EXAMPLE + 123456},
	    {"2026-11-29T14:08:37.123456", 0, T_EXAMPLE + 123456},
	    {"2026-11-29T14:08:37.5", 0, T_EXAMPLE + 500000},
	    {"2026-11-29T14:08:37.000001Z", 0, T_EXAMPLE + 1},
	    {"2026-11-29T14:08:37.1234569Z", 0, T_EXAMPLE + 123456},
	    {"1970-01-01", 0, 0},
	    {"1970-01-01T00:00:01Z", 0, 1000000},
	    {"2024-02-29T23:59:59", 0, INT64_C(1709251199) * 1000000},
	    {"7d", 0, now - 7 * 24 * H},
	    {"12h", 0, now - 12 * H},
	    {"30m", 0, now - 30 * M},
	    {"90s", 0, now - 90 * INT64_C(1000000)},
	    {"1.5h", 0, now - 90 * M},
	    {"", -EINVAL, 0},
	    {"30", -EINVAL, 0}, /* a bare number is neither a date nor relative */
	    {"7w", -EINVAL, 0},
	    {"-7d", -EINVAL, 0},
	    {"yesterday", -EINVAL, 0},
	    {"2026", -EINVAL, 0},
	    {"2026-11", -EINVAL, 0},
	    {"2026-11-", -EINVAL, 0},
	    {"2026-1-29", -EINVAL, 0},
	    {"26-11-29", -EINVAL, 0},
	    {"2026/11/29", -EINVAL, 0},
	    {"2026-13-01", -EINVAL, 0},
	    {"2026-00-10", -EINVAL, 0},
	    {"2026-11-00", -EINVAL, 0},
	    {"2026-11-32", -EINVAL, 0},
	    {"2026-02-29", -EINVAL, 0}, /* not a leap year */
	    {"2026-04-31", -EINVAL, 0},
	    {"2026-11-29Z", -EINVAL, 0},
	    {"2026-11-29T", -EINVAL, 0},
	    {"2026-11-29T14", -EINVAL, 0},
	    {"2026-11-29T14:", -EINVAL, 0},
	    {"2026-11-29T14:8", -EINVAL, 0},
	    {"2026-11-29T24:00", -EINVAL, 0},
	    {"2026-11-29T14:60", -EINVAL, 0},
	    {"2026-11-29T14:08:61", -EINVAL, 0},
	    {"2026-11-29T14:08:", -EINVAL, 0},
	    {"2026-11-29T14:08:37.", -EINVAL, 0},
	    {"2026-11-29T14:08:37.Z", -EINVAL, 0},
	    {"2026-11-29T14:08:37ZZ", -EINVAL, 0},
	    {"2026-11-29T14:08:37+01:00", -EINVAL, 0},
	    {" 2026-11-29", -EINVAL, 0},
	    {"2026-11-29 ", -EINVAL, 0},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		int64_t v = untouched;
		int r = jq_parse_time(cases[i].in, now, &v);
		int64_t want = cases[i].r == 0 ? cases[i].want : untouched;

		if (r != cases[i].r || v != want)
			fail_msg("jq_parse_time('%s'): got %d/%" PRId64 ", want %d/%" PRId64,
				 cases[i].in, r, v, cases[i].r, want);
	}

	/* A relative time reaching before the epoch is refused. */
	int64_t v = untouched;
	assert_true(jq_parse_time("2d", 86400 * INT64_C(1000000), &v) < 0);
	assert_int_equal(v, untouched);
	assert_int_equal(jq_parse_time(NULL, now, &v), -EINVAL);

	/* What jq_format_rfc3339() writes parses back to the same instant. */
	static const int64_t round[] = {0, 1, T_EXAMPLE + 123456, INT64_C(4102444799999999)};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(round); i++) {
		char buf[32];
		assert_int_equal(
		    jq_parse_time(jq_format_rfc3339(round[i], buf, sizeof(buf)), now, &v), 0);
		assert_int_equal(v, round[i]);
	}
}

static void test_clocks(void **state)
{
	int64_t a = jq_mono_usec(), b = jq_mono_usec();

	assert_true(a > 0);
	assert_true(b >= a);
	/* After 2024-01-01, so it is microseconds and not seconds or nanoseconds. */
	assert_true(jq_now_usec() > INT64_C(1704067200) * 1000000);
	assert_true(jq_now_usec() < INT64_C(4102444800) * 1000000);
}

/* jq-job */

static void test_job_state_names(void **state)
{
	static const char *const names[_JQ_JOB_STATE_MAX] = {
	    "queued",  "held", "starting",  "running",	       "succeeded", "failed",
	    "timeout", "oom",  "cancelled", "failed_to_start", "lost",
	};

	for (int s = 0; s < _JQ_JOB_STATE_MAX; s++) {
		enum jq_job_state back = _JQ_JOB_STATE_MAX;
		assert_string_equal(jq_job_state_to_string((enum jq_job_state)s), names[s]);
		assert_int_equal(jq_job_state_from_string(names[s], &back), 0);
		assert_int_equal(back, s);
	}
	assert_null(jq_job_state_to_string(_JQ_JOB_STATE_MAX));
	assert_null(jq_job_state_to_string((enum jq_job_state) - 1));

	static const char *const bad[] = {"",	     "QUEUED", "Queued",	  "queued ",
					  " queued", "queue",  "failed-to-start", "unknown"};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(bad); i++) {
		enum jq_job_state back = JQ_JOB_LOST;
		assert_int_equal(jq_job_state_from_string(bad[i], &back), -EINVAL);
		assert_int_equal(back, JQ_JOB_LOST);
	}
	enum jq_job_state back = JQ_JOB_LOST;
	assert_int_equal(jq_job_state_from_string(NULL, &back), -EINVAL);
}

static void test_job_transitions(void **state)
{
	/*
	 * The table of jq-job.h written out: rows are from, columns are to, in
	 * enum order: queued held starting running succeeded failed timeout oom
	 * cancelled failed_to_start lost.
	 */
	static const bool want[_JQ_JOB_STATE_MAX][_JQ_JOB_STATE_MAX] = {
	    /*              qu he st ru su fa ti oo ca fs lo */
	    [JQ_JOB_QUEUED] = {0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0},
	    [JQ_JOB_HELD] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0},
	    [JQ_JOB_STARTING] = {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1},
	    [JQ_JOB_RUNNING] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1},
	    [JQ_JOB_SUCCEEDED] = {0},
	    [JQ_JOB_FAILED] = {0},
	    [JQ_JOB_TIMEOUT] = {0},
	    [JQ_JOB_OOM] = {0},
	    [JQ_JOB_CANCELLED] = {0},
	    [JQ_JOB_FAILED_TO_START] = {0},
	    [JQ_JOB_LOST] = {0},
	};
	static const bool final[_JQ_JOB_STATE_MAX] = {
	    [JQ_JOB_SUCCEEDED] = 1, [JQ_JOB_FAILED] = 1,    [JQ_JOB_TIMEOUT] = 1,
	    [JQ_JOB_OOM] = 1,	    [JQ_JOB_CANCELLED] = 1, [JQ_JOB_FAILED_TO_START] = 1,
	    [JQ_JOB_LOST] = 1,
	};
	size_t n_valid = 0;

	for (int from = 0; from < _JQ_JOB_STATE_MAX; from++) {
		for (int to = 0; to < _JQ_JOB_STATE_MAX; to++) {
			bool got =
			    jq_job_transition_valid((enum jq_job_state)from, (enum jq_job_state)to);
			if (got != want[from][to])
				fail_msg("transition %s -> %s: got %d, want %d",
					 jq_job_state_to_string((enum jq_job_state)from),
					 jq_job_state_to_string((enum jq_job_state)to), got,
					 want[from][to]);
			n_valid += got;
		}
		assert_int_equal(jq_job_state_is_final((enum jq_job_state)from), final[from]);
		assert_false(jq_job_transition_valid((enum jq_job_state)from, _JQ_JOB_STATE_MAX));
		assert_false(jq_job_transition_valid(_JQ_JOB_STATE_MAX, (enum jq_job_state)from));
		assert_false(
		    jq_job_transition_valid((enum jq_job_state) - 1, (enum jq_job_state)from));
	}
	/* 3 + 2 + 4 + 6 edges: a typo in the table above cannot cancel one in the code. */
	assert_int_equal(n_valid, 17);
	assert_false(jq_job_state_is_final(_JQ_JOB_STATE_MAX));
	assert_false(jq_job_state_is_final((enum jq_job_state) - 1));
}

static void assert_job_empty(const struct jq_job *j)
{
	assert_int_equal(j->id, -1);
	assert_null(j->tenant);
	assert_null(j->user);
	assert_int_equal(j->uid, -1);
	assert_int_equal(j->gid, -1);
	assert_null(j->gids);
	assert_int_equal(j->n_gids, 0);
	assert_null(j->name);
	assert_null(j->argv);
	assert_null(j->env);
	assert_null(j->cwd);
	assert_int_equal(j->priority, 0);
	assert_null(j->after);
	assert_int_equal(j->n_after, 0);
	assert_int_equal(j->requested.cpus_milli, JQ_LIMIT_UNSET);
	assert_int_equal(j->requested.memory_bytes, JQ_LIMIT_UNSET);
	assert_int_equal(j->requested.pids, JQ_LIMIT_UNSET);
	assert_int_equal(j->requested.timeout_usec, JQ_LIMIT_UNSET);
	assert_int_equal(j->effective.cpus_milli, JQ_LIMIT_UNSET);
	assert_int_equal(j->effective.memory_bytes, JQ_LIMIT_UNSET);
	assert_int_equal(j->effective.pids, JQ_LIMIT_UNSET);
	assert_int_equal(j->effective.timeout_usec, JQ_LIMIT_UNSET);
	assert_int_equal(j->state, JQ_JOB_QUEUED);
	assert_null(j->reason);
	assert_int_equal(j->submitted_at, -1);
	assert_int_equal(j->started_at, -1);
	assert_int_equal(j->finished_at, -1);
	assert_int_equal(j->exit_code, -1);
	assert_int_equal(j->signal, -1);
	assert_int_equal(j->helper_pid, -1);
	assert_int_equal(j->helper_start_time, -1);
	assert_false(j->has_accounting);
	assert_int_equal(j->acct.cpu_user_usec, -1);
	assert_int_equal(j->acct.cpu_system_usec, -1);
	assert_int_equal(j->acct.memory_peak_bytes, -1);
	assert_int_equal(j->acct.io_read_bytes, -1);
	assert_int_equal(j->acct.io_write_bytes, -1);
	assert_int_equal(j->acct.wall_usec, -1);
	assert_int_equal(j->acct.queue_wait_usec, -1);
}

static void test_job_init_release(void **state)
{
	static char *const argv[] = {"make", "-j8", NULL};
	static char *const env[] = {"PATH=/usr/bin", "HOME=/home/a", NULL};
	struct jq_job j;

	memset(&j, 0x5a, sizeof(j));
	jq_job_init(&j);
	assert_job_empty(&j);

	j.id = 7;
	j.tenant = strdup("acme");
	j.user = strdup("alice");
	j.gids = calloc(3, sizeof(int64_t));
	j.n_gids = 3;
	j.name = strdup("build");
	j.argv = jq_strv_copy(argv);
	j.env = jq_strv_copy(env);
	j.cwd = strdup("/home/a/src");
	j.priority = 10;
	j.after = calloc(2, sizeof(int64_t));
	j.n_after = 2;
	j.requested.memory_bytes = 1 << 30;
	j.effective.cpus_milli = 500;
	j.state = JQ_JOB_RUNNING;
	j.reason = strdup("waiting for a slot");
	j.has_accounting = true;
	j.acct.wall_usec = 5;
	assert_non_null(j.tenant);
	assert_non_null(j.user);
	assert_non_null(j.gids);
	assert_non_null(j.name);
	assert_non_null(j.argv);
	assert_non_null(j.env);
	assert_non_null(j.cwd);
	assert_non_null(j.after);
	assert_non_null(j.reason);

	/* Under valgrind a field release forgot shows up as a leak. */
	jq_job_release(&j);
	assert_job_empty(&j);
	jq_job_release(&j);
	assert_job_empty(&j);
	jq_job_release(NULL);

	struct jq_limits l = jq_limits_unset();
	assert_int_equal(l.cpus_milli, JQ_LIMIT_UNSET);
	assert_int_equal(l.memory_bytes, JQ_LIMIT_UNSET);
	assert_int_equal(l.pids, JQ_LIMIT_UNSET);
	assert_int_equal(l.timeout_usec, JQ_LIMIT_UNSET);
}

/* jq-protocol */

/* Finishes w and decodes its frame into m (which the caller releases). */
static void finish_decode(struct jq_msg_writer *w, struct jq_msg *m)
{
	assert_int_equal(jq_msg_writer_finish(w), 0);
	assert_int_equal(jq_msg_decode_frame(w->buf.data, w->buf.len, m), 0);
}

static void test_proto_i64(void **state)
{
	static const int64_t values[] = {0,
					 1,
					 -1,
					 42,
					 -42,
					 255,
					 256,
					 -256,
					 INT64_MAX,
					 INT64_MIN,
					 INT64_MAX - 1,
					 INT64_MIN + 1,
					 0x0102030405060708,
					 -0x0102030405060708};
	struct jq_msg_writer w;
	struct jq_msg m;
	int64_t *all = NULL;
	size_t n_all = 0;

	jq_msg_writer_begin(&w, JQ_REP_JOB);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(values); i++)
		jq_msg_put_i64(&w, JQ_T_AFTER, values[i]);
	jq_msg_put_i64(&w, JQ_T_ID, INT64_MIN);
	jq_msg_put_i64_opt(&w, JQ_T_EXIT_CODE, -1);
	jq_msg_put_i64_opt(&w, JQ_T_SIGNAL, 0);
	jq_msg_put_i64_opt(&w, JQ_T_PRIORITY, -2);
	finish_decode(&w, &m);

	/* The wire is big-endian: the header, then the first field byte by byte. */
	assert_int_equal(w.buf.data[4], 0);
	assert_int_equal(w.buf.data[5], JQ_PROTO_VERSION);
	assert_int_equal(w.buf.data[6], 0);
	assert_int_equal(w.buf.data[7], JQ_REP_JOB);
	static const uint8_t first[] = {0, JQ_T_AFTER, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(w.buf.data + JQ_PROTO_HEADER_SIZE, first, sizeof(first));
	uint32_t plen = ((uint32_t)w.buf.data[0] << 24) | ((uint32_t)w.buf.data[1] << 16) |
			((uint32_t)w.buf.data[2] << 8) | w.buf.data[3];
	assert_int_equal(plen, w.buf.len - JQ_PROTO_HEADER_SIZE);
	jq_msg_writer_release(&w);

	assert_int_equal(m.type, JQ_REP_JOB);
	assert_int_equal(m.n_fields, JQ_ARRAY_SIZE(values) + 3);
	assert_int_equal(jq_msg_count(&m, JQ_T_AFTER), JQ_ARRAY_SIZE(values));
	assert_int_equal(jq_msg_count(&m, JQ_T_EXIT_CODE), 0);
	assert_int_equal(jq_msg_count(&m, JQ_T_NAME), 0);

	int64_t v = 99;
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_ID, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_AFTER, &v), 0);
	assert_int_equal(v, values[0]); /* the first of a repeated tag */
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_SIGNAL, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_PRIORITY, &v), 0);
	assert_int_equal(v, -2);
	v = 99;
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_EXIT_CODE, &v), -ENOENT);
	assert_int_equal(v, 99);

	assert_int_equal(jq_msg_get_i64v(&m, JQ_T_AFTER, &all, &n_all), 0);
	assert_int_equal(n_all, JQ_ARRAY_SIZE(values));
	for (size_t i = 0; i < n_all; i++)
		assert_true(all[i] == values[i]);
	free(all);
	all = NULL;
	assert_int_equal(jq_msg_get_i64v(&m, JQ_T_GIDS, &all, &n_all), 0);
	assert_int_equal(n_all, 0);
	free(all);
	jq_msg_release(&m);
	assert_null(m.fields);
	jq_msg_release(NULL);
}

static void test_proto_strings(void **state)
{
	static const char *const argv[] = {"sh", "-c", "", "echo h\xc3\xa9llo \xf0\x9f\x98\x80",
					   "sh"};
	static const uint8_t bytes[] = {'a', 0, 'b', 0, 0xff, 0xfe, 0};
	struct jq_msg_writer w;
	struct jq_msg m;
	const char *s = NULL;

	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	for (size_t i = 0; i < JQ_ARRAY_SIZE(argv); i++)
		jq_msg_put_str(&w, JQ_T_ARGV, argv[i]);
	jq_msg_put_str(&w, JQ_T_NAME, NULL);
	jq_msg_put_str(&w, JQ_T_CWD, "");
	jq_msg_put_bytes(&w, JQ_T_DATA, bytes, sizeof(bytes));
	jq_msg_put_bytes(&w, JQ_T_MESSAGE, "", 0);
	jq_msg_put_str(&w, JQ_T_ENV, "A=1");
	jq_msg_put_str(&w, JQ_T_TENANT, "second");
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);

	assert_int_equal(m.type, JQ_REQ_SUBMIT);
	assert_int_equal(m.n_fields, 1 + JQ_ARRAY_SIZE(argv) + 5);
	/* Order of fields on the wire is kept. */
	assert_int_equal(m.fields[0].tag, JQ_T_TENANT);
	assert_int_equal(m.fields[1].tag, JQ_T_ARGV);
	assert_int_equal(m.fields[m.n_fields - 1].tag, JQ_T_TENANT);

	assert_int_equal(jq_msg_get_str(&m, JQ_T_TENANT, 64, &s), 0);
	assert_string_equal(s, "acme");
	assert_int_equal(jq_msg_get_str(&m, JQ_T_CWD, 64, &s), 0);
	assert_string_equal(s, "");
	assert_int_equal(jq_msg_get_str(&m, JQ_T_MESSAGE, 0, &s), 0);
	assert_string_equal(s, "");
	s = "untouched";
	assert_int_equal(jq_msg_get_str(&m, JQ_T_NAME, 64, &s), -ENOENT);
	assert_string_equal(s, "untouched");

	_cleanup_strv_ char **v = NULL;
	assert_int_equal(jq_msg_get_strv(&m, JQ_T_ARGV, 4096, &v), 0);
	assert_int_equal(jq_strv_length(v), JQ_ARRAY_SIZE(argv));
	for (size_t i = 0; i < JQ_ARRAY_SIZE(argv); i++)
		assert_string_equal(v[i], argv[i]);
	jq_strv_free(v);
	v = NULL;
	assert_int_equal(jq_msg_get_strv(&m, JQ_T_GIDS, 4096, &v), 0);
	assert_non_null(v);
	assert_null(v[0]);

	/* Bytes come back whole, NULs included, with a NUL after them. */
	const struct jq_field *f = NULL;
	for (size_t i = 0; i < m.n_fields; i++)
		if (m.fields[i].tag == JQ_T_DATA)
			f = &m.fields[i];
	assert_non_null(f);
	assert_int_equal(f->len, sizeof(bytes));
	assert_memory_equal(f->data, bytes, sizeof(bytes));
	assert_int_equal(f->data[f->len], '\0');
	/* ... but they are not a string. */
	assert_int_equal(jq_msg_get_str(&m, JQ_T_DATA, 4096, &s), -EBADMSG);

	jq_msg_release(&m);
}

static void test_proto_str_validation(void **state)
{
	static const struct {
		const char *data;
		size_t len, max;
		int r;
	} cases[] = {
	    {"abc", 3, 3, 0},
	    {"abc", 3, 2, -E2BIG},
	    {"abc", 3, 0, -E2BIG},
	    {"h\xc3\xa9", 3, 3, 0},
	    {"a\0b", 3, 3, -EBADMSG},
	    {"\0", 1, 10, -EBADMSG},
	    {"ab\0", 3, 10, -EBADMSG},
	    {"\xff", 1, 10, -EBADMSG},
	    {"\xc3", 1, 10, -EBADMSG},
	    {"\xc0\xaf", 2, 10, -EBADMSG},
	    {"\xed\xa0\x80", 3, 10, -EBADMSG},
	    {"\xf4\x90\x80\x80", 4, 10, -EBADMSG},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		struct jq_msg_writer w;
		struct jq_msg m;
		const char *s = "untouched";
		char **v = NULL;

		jq_msg_writer_begin(&w, JQ_REP_ERROR);
		jq_msg_put_bytes(&w, JQ_T_MESSAGE, cases[i].data, cases[i].len);
		jq_msg_put_bytes(&w, JQ_T_ARGV, "ok", 2);
		jq_msg_put_bytes(&w, JQ_T_ARGV, cases[i].data, cases[i].len);
		finish_decode(&w, &m);
		jq_msg_writer_release(&w);

		int r = jq_msg_get_str(&m, JQ_T_MESSAGE, cases[i].max, &s);
		if (r != cases[i].r)
			fail_msg("case %zu: jq_msg_get_str = %d, want %d", i, r, cases[i].r);
		if (r == 0)
			assert_memory_equal(s, cases[i].data, cases[i].len);
		else
			assert_string_equal(s, "untouched");
		/* One bad element fails the whole vector. */
		r = jq_msg_get_strv(&m, JQ_T_ARGV, 4096, &v);
		if (cases[i].r == -EBADMSG) {
			assert_int_equal(r, -EBADMSG);
			assert_null(v);
		} else {
			assert_int_equal(r, 0);
			jq_strv_free(v);
		}
		jq_msg_release(&m);
	}
}

static void test_proto_i64_wrong_length(void **state)
{
	static const size_t lens[] = {0, 1, 7, 9, 16};
	static const uint8_t data[16] = {0};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(lens); i++) {
		struct jq_msg_writer w;
		struct jq_msg m;
		int64_t v = 77, *all = NULL;
		size_t n = 77;

		jq_msg_writer_begin(&w, JQ_REQ_SHOW);
		jq_msg_put_i64(&w, JQ_T_AFTER, 5);
		jq_msg_put_bytes(&w, JQ_T_ID, data, lens[i]);
		jq_msg_put_bytes(&w, JQ_T_AFTER, data, lens[i]);
		finish_decode(&w, &m);
		jq_msg_writer_release(&w);

		assert_int_equal(jq_msg_get_i64(&m, JQ_T_ID, &v), -EBADMSG);
		assert_int_equal(v, 77);
		assert_int_equal(jq_msg_get_i64v(&m, JQ_T_AFTER, &all, &n), -EBADMSG);
		assert_null(all);
		assert_int_equal(n, 77);
		jq_msg_release(&m);
	}
}

static void test_proto_tags_allowed(void **state)
{
	static const uint16_t submit[] = {JQ_T_TENANT, JQ_T_ARGV, JQ_T_ENV, JQ_T_CWD};
	static const uint16_t narrow[] = {JQ_T_TENANT, JQ_T_CWD};
	struct jq_msg_writer w;
	struct jq_msg m;

	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);
	assert_int_equal(m.n_fields, 0);
	assert_true(jq_msg_tags_allowed(&m, submit, JQ_ARRAY_SIZE(submit)));
	assert_true(jq_msg_tags_allowed(&m, NULL, 0));
	jq_msg_release(&m);

	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	jq_msg_put_str(&w, JQ_T_ARGV, "true");
	jq_msg_put_str(&w, JQ_T_ARGV, "x");
	jq_msg_put_str(&w, JQ_T_CWD, "/");
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);
	assert_true(jq_msg_tags_allowed(&m, submit, JQ_ARRAY_SIZE(submit)));
	assert_false(jq_msg_tags_allowed(&m, narrow, JQ_ARRAY_SIZE(narrow)));
	assert_false(jq_msg_tags_allowed(&m, submit, 1));
	assert_false(jq_msg_tags_allowed(&m, NULL, 0));
	jq_msg_release(&m);

	/* A tag from outside the enum is just another tag not allowed. */
	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	jq_msg_put_i64(&w, (enum jq_tag)0xffff, 1);
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);
	assert_int_equal(m.fields[1].tag, 0xffff);
	assert_false(jq_msg_tags_allowed(&m, submit, JQ_ARRAY_SIZE(submit)));
	jq_msg_release(&m);
}

static void make_header(uint8_t hdr[JQ_PROTO_HEADER_SIZE], uint32_t len, uint16_t version,
			uint16_t type)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	hdr[4] = (uint8_t)(version >> 8);
	hdr[5] = (uint8_t)version;
	hdr[6] = (uint8_t)(type >> 8);
	hdr[7] = (uint8_t)type;
}

static void test_proto_header(void **state)
{
	static const struct {
		uint32_t len;
		uint16_t version, type;
		int r;
	} cases[] = {
	    {0, JQ_PROTO_VERSION, JQ_REQ_LIST, 0},
	    {12, JQ_PROTO_VERSION, JQ_MSG_EXEC_RESULT, 0},
	    {JQ_PROTO_MAX_PAYLOAD, JQ_PROTO_VERSION, 0xffff, 0},
	    {JQ_PROTO_MAX_PAYLOAD + 1, JQ_PROTO_VERSION, JQ_REQ_LIST, -EMSGSIZE},
	    {UINT32_MAX, JQ_PROTO_VERSION, JQ_REQ_LIST, -EMSGSIZE},
	    {0, 0, JQ_REQ_LIST, -EPROTO},
	    {0, JQ_PROTO_VERSION + 1, JQ_REQ_LIST, -EPROTO},
	    {0, 0x0100, JQ_REQ_LIST, -EPROTO}, /* version 1 little-endian */
	    {UINT32_MAX, 2, JQ_REQ_LIST, -EPROTO},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		uint8_t hdr[JQ_PROTO_HEADER_SIZE];
		uint16_t type = 7;
		uint32_t len = 7;

		make_header(hdr, cases[i].len, cases[i].version, cases[i].type);
		int r = jq_frame_header_parse(hdr, &type, &len);
		if (r != cases[i].r)
			fail_msg("case %zu: jq_frame_header_parse = %d, want %d", i, r, cases[i].r);
		if (r == 0) {
			assert_int_equal(type, cases[i].type);
			assert_int_equal(len, cases[i].len);
		} else {
			assert_int_equal(type, 7);
			assert_int_equal(len, 7);
		}

		/* A record file with that header is refused the same way. */
		struct jq_msg m;
		if (r < 0)
			assert_int_equal(jq_msg_decode_frame(hdr, sizeof(hdr), &m), r);
	}
}

static void test_proto_parse_malformed(void **state)
{
	static const struct {
		const char *what;
		uint8_t p[16];
		size_t len;
		int r;
	} cases[] = {
	    {"empty", {0}, 0, 0},
	    {"one empty field", {0, 1, 0, 0, 0, 0}, 6, 0},
	    {"zero tag", {0, 0, 0, 0, 0, 0}, 6, -EBADMSG},
	    {"zero tag after a good field", {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 12, -EBADMSG},
	    {"short field header", {0, 1, 0, 0, 0}, 5, -EBADMSG},
	    {"length past the end by one", {0, 1, 0, 0, 0, 2, 'a'}, 7, -EBADMSG},
	    {"length 0xffffffff", {0, 1, 0xff, 0xff, 0xff, 0xff, 'a'}, 7, -EBADMSG},
	    {"length 0x80000000", {0, 1, 0x80, 0, 0, 0, 'a'}, 7, -EBADMSG},
	    {"trailing byte", {0, 1, 0, 0, 0, 1, 'a', 0}, 8, -EBADMSG},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		struct jq_msg m = {.type = 0x4242};
		int r = jq_msg_parse(JQ_REP_LOG, cases[i].p, cases[i].len, &m);

		if (r != cases[i].r)
			fail_msg("%s: jq_msg_parse = %d, want %d", cases[i].what, r, cases[i].r);
		if (r == 0) {
			assert_int_equal(m.type, JQ_REP_LOG);
			jq_msg_release(&m);
		} else {
			assert_int_equal(m.type, 0x4242);
		}
	}
}

/* A valid frame whose fields have several sizes, and where each field starts. */
static void build_sample(struct jq_msg_writer *w)
{
	static const uint8_t bin[] = {0, 1, 2, 0, 0xff};

	jq_msg_writer_begin(w, JQ_REP_JOB);
	jq_msg_put_i64(w, JQ_T_ID, 12345);
	jq_msg_put_str(w, JQ_T_TENANT, "acme");
	jq_msg_put_str(w, JQ_T_NAME, "");
	jq_msg_put_bytes(w, JQ_T_DATA, bin, sizeof(bin));
	jq_msg_put_str(w, JQ_T_ARGV, "make");
	jq_msg_put_str(w, JQ_T_ARGV, "-j8");
	jq_msg_put_i64(w, JQ_T_EXIT_CODE, -1);
	assert_int_equal(jq_msg_writer_finish(w), 0);
}

/*
 * Every prefix of a valid payload either fails with -EBADMSG or, where it
 * ends on a field boundary, gives exactly the first fields of the whole.
 */
static void test_proto_truncation(void **state)
{
	struct jq_msg_writer w;
	struct jq_msg full;

	build_sample(&w);
	const uint8_t *frame = w.buf.data;
	const size_t flen = w.buf.len, plen = flen - JQ_PROTO_HEADER_SIZE;
	const uint8_t *payload = frame + JQ_PROTO_HEADER_SIZE;
	assert_int_equal(jq_msg_decode_frame(frame, flen, &full), 0);
	assert_int_equal(full.n_fields, 7);

	size_t boundary = 0, n_boundaries = 0;
	for (size_t k = 0; k <= plen; k++) {
		struct jq_msg m = {0};
		size_t want_fields = n_boundaries;
		bool at_boundary = k == boundary;
		int r = jq_msg_parse(full.type, payload, k, &m);

		if (at_boundary) {
			if (r != 0)
				fail_msg("prefix %zu ends a field but parse = %d", k, r);
			assert_int_equal(m.n_fields, want_fields);
			for (size_t i = 0; i < m.n_fields; i++) {
				assert_int_equal(m.fields[i].tag, full.fields[i].tag);
				assert_int_equal(m.fields[i].len, full.fields[i].len);
				assert_memory_equal(m.fields[i].data, full.fields[i].data,
						    full.fields[i].len);
			}
			jq_msg_release(&m);
			if (n_boundaries < full.n_fields) {
				boundary += 6 + full.fields[n_boundaries].len;
				n_boundaries++;
			}
		} else if (r != -EBADMSG) {
			fail_msg("prefix %zu of %zu: parse = %d, want -EBADMSG", k, plen, r);
		}
	}
	assert_int_equal(boundary, plen);

	/* As a record file, any prefix of the frame is refused. */
	for (size_t k = 0; k < flen; k++) {
		struct jq_msg m = {0};
		int r = jq_msg_decode_frame(frame, k, &m);
		if (r != -EBADMSG)
			fail_msg("frame prefix %zu of %zu: decode = %d, want -EBADMSG", k, flen, r);
	}

	/* And so is a frame with anything after it. */
	_cleanup_free_ uint8_t *longer = malloc(flen + 3);
	assert_non_null(longer);
	memcpy(longer, frame, flen);
	memcpy(longer + flen, "xyz", 3);
	for (size_t extra = 1; extra <= 3; extra++) {
		struct jq_msg m = {0};
		assert_int_equal(jq_msg_decode_frame(longer, flen + extra, &m), -EBADMSG);
	}

	/* A field length that claims more than the frame holds. */
	_cleanup_free_ uint8_t *bad = malloc(flen);
	assert_non_null(bad);
	memcpy(bad, frame, flen);
	bad[flen - 9] = 9; /* the last field, an i64, claims 9 bytes: one past the end */
	struct jq_msg m = {0};
	assert_int_equal(jq_msg_decode_frame(bad, flen, &m), -EBADMSG);

	jq_msg_release(&full);
	jq_msg_writer_release(&w);
}

static void test_proto_writer_limit(void **state)
{
	const size_t room = JQ_PROTO_MAX_PAYLOAD - 6;
	_cleanup_free_ uint8_t *big = calloc(1, JQ_PROTO_MAX_PAYLOAD + 1);
	struct jq_msg_writer w;
	struct jq_msg m;

	assert_non_null(big);

	/* Exactly at the limit is fine and decodes. */
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_bytes(&w, JQ_T_DATA, big, room);
	assert_int_equal(jq_msg_writer_finish(&w), 0);
	assert_int_equal(w.buf.len, JQ_PROTO_HEADER_SIZE + JQ_PROTO_MAX_PAYLOAD);
	assert_int_equal(jq_msg_decode_frame(w.buf.data, w.buf.len, &m), 0);
	assert_int_equal(m.n_fields, 1);
	assert_int_equal(m.fields[0].len, room);
	jq_msg_release(&m);

	/* One more field is refused, the error sticks and nothing is appended. */
	size_t len = w.buf.len;
	jq_msg_put_bytes(&w, JQ_T_DATA, "", 0);
	assert_int_equal(w.err, -EMSGSIZE);
	assert_int_equal(w.buf.len, len);
	jq_msg_put_i64(&w, JQ_T_ID, 1);
	jq_msg_put_str(&w, JQ_T_NAME, "x");
	assert_int_equal(w.buf.len, len);
	assert_int_equal(jq_msg_writer_finish(&w), -EMSGSIZE);
	assert_int_equal(jq_msg_write_fd(-1, &w), -EMSGSIZE);
	jq_msg_writer_release(&w);

	/* One byte over in a single field. */
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_bytes(&w, JQ_T_DATA, big, room + 1);
	assert_int_equal(jq_msg_writer_finish(&w), -EMSGSIZE);
	jq_msg_writer_release(&w);

	/* A size that would wrap the arithmetic. */
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_i64(&w, JQ_T_ID, 1);
	jq_msg_put_bytes(&w, JQ_T_DATA, big, SIZE_MAX);
	assert_int_equal(jq_msg_writer_finish(&w), -EMSGSIZE);
	jq_msg_writer_release(&w);

	/* The decoder refuses an oversized payload without reading it. */
	assert_int_equal(jq_msg_parse(JQ_REP_LOG, big, JQ_PROTO_MAX_PAYLOAD + 1, &m), -EMSGSIZE);
}

static void make_socketpair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_proto_fd(void **state)
{
	int sv[2];
	struct jq_msg_writer w;
	struct jq_msg m;
	const char *s;
	int64_t v;

	make_socketpair(sv);
	/* Two frames back to back: each read takes exactly one. */
	jq_msg_writer_begin(&w, JQ_REQ_SHOW);
	jq_msg_put_i64(&w, JQ_T_ID, 42);
	assert_int_equal(jq_msg_write_fd(sv[0], &w), 0);
	jq_msg_writer_release(&w);
	jq_msg_writer_begin(&w, JQ_REP_ERROR);
	jq_msg_put_i64(&w, JQ_T_ERRNO, ENOENT);
	jq_msg_put_str(&w, JQ_T_MESSAGE, "no job '42'");
	assert_int_equal(jq_msg_write_fd(sv[0], &w), 0);
	jq_msg_writer_release(&w);
	jq_msg_writer_begin(&w, JQ_REP_END);
	assert_int_equal(jq_msg_write_fd(sv[0], &w), 0);
	jq_msg_writer_release(&w);

	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(m.type, JQ_REQ_SHOW);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_ID, &v), 0);
	assert_int_equal(v, 42);
	jq_msg_release(&m);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(m.type, JQ_REP_ERROR);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_ERRNO, &v), 0);
	assert_int_equal(v, ENOENT);
	assert_int_equal(jq_msg_get_str(&m, JQ_T_MESSAGE, 1024, &s), 0);
	assert_string_equal(s, "no job '42'");
	jq_msg_release(&m);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(m.type, JQ_REP_END);
	assert_int_equal(m.n_fields, 0);
	jq_msg_release(&m);

	/* The peer closed between frames. */
	close(sv[0]);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), -EPIPE);
	close(sv[1]);

	/* A bad header on the wire is refused before any payload is read. */
	static const struct {
		uint32_t len;
		uint16_t version;
		int r;
	} bad[] = {
	    {4, 2, -EPROTO},
	    {JQ_PROTO_MAX_PAYLOAD + 1, JQ_PROTO_VERSION, -EMSGSIZE},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(bad); i++) {
		uint8_t hdr[JQ_PROTO_HEADER_SIZE];
		make_socketpair(sv);
		make_header(hdr, bad[i].len, bad[i].version, JQ_REQ_LIST);
		assert_int_equal(jq_write_all(sv[0], hdr, sizeof(hdr)), 0);
		assert_int_equal(jq_msg_read_fd(sv[1], &m), bad[i].r);
		close(sv[0]);
		close(sv[1]);
	}
}

/* The peer writes k bytes of a valid frame and closes: every k gives -EPIPE. */
static void test_proto_fd_peer_closes(void **state)
{
	struct jq_msg_writer w;

	build_sample(&w);
	for (size_t k = 0; k < w.buf.len; k++) {
		struct jq_msg m = {0};
		int sv[2];

		make_socketpair(sv);
		assert_int_equal(jq_write_all(sv[0], w.buf.data, k), 0);
		close(sv[0]);
		int r = jq_msg_read_fd(sv[1], &m);
		if (r != -EPIPE)
			fail_msg("peer closed after %zu of %zu bytes: read = %d, want -EPIPE", k,
				 w.buf.len, r);
		close(sv[1]);
	}

	/*
	 * A peer closing with data of ours unread resets the connection
	 * (ECONNRESET on Linux AF_UNIX): that is the same -EPIPE to the caller.
	 */
	for (size_t k = 0; k < w.buf.len; k += 5) {
		struct jq_msg m = {0};
		int sv[2];

		make_socketpair(sv);
		assert_int_equal(jq_write_all(sv[1], "unread", 6), 0);
		assert_int_equal(jq_write_all(sv[0], w.buf.data, k), 0);
		close(sv[0]);
		int r = jq_msg_read_fd(sv[1], &m);
		if (r != -EPIPE)
			fail_msg("peer reset after %zu bytes: read = %d, want -EPIPE", k, r);
		close(sv[1]);
	}
	jq_msg_writer_release(&w);
}

/* A frame larger than the socket buffer arrives in pieces; a child writes it. */
static void test_proto_fd_large(void **state)
{
	const size_t n = JQ_PROTO_MAX_PAYLOAD - 64;
	_cleanup_free_ uint8_t *data = malloc(n);
	struct jq_msg_writer w;
	struct jq_msg m;
	int sv[2], status;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_i64(&w, JQ_T_STREAM, 2);
	jq_msg_put_bytes(&w, JQ_T_DATA, data, n);
	assert_int_equal(jq_msg_writer_finish(&w), 0);

	make_socketpair(sv);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		int r = jq_msg_write_fd(sv[0], &w);
		/* _exit() skips the cleanups: free here so valgrind sees no leak in the child. */
		jq_msg_writer_release(&w);
		free(data);
		_exit(r == 0 ? 0 : 1);
	}
	close(sv[0]);
	jq_msg_writer_release(&w);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[1]);

	assert_int_equal(m.type, JQ_REP_LOG);
	assert_int_equal(m.n_fields, 2);
	assert_int_equal(m.fields[1].tag, JQ_T_DATA);
	assert_int_equal(m.fields[1].len, n);
	assert_memory_equal(m.fields[1].data, data, n);
	jq_msg_release(&m);
}

/* jq-util */

static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool want;
	} cases[] = {
	    {"", 0, true},
	    {"hello", 5, true},
	    {"\0", 1, true}, /* NUL is valid UTF-8: the protocol rejects it separately */
	    {"\x7f", 1, true},
	    {"\xc2\x80", 2, true},     /* U+0080 */
	    {"\xc3\xa9", 2, true},     /* é */
	    {"\xdf\xbf", 2, true},     /* U+07FF */
	    {"\xe0\xa0\x80", 3, true}, /* U+0800 */
	    {"\xe2\x82\xac", 3, true}, /* € */
	    {"\xed\x9f\xbf", 3, true}, /* U+D7FF */
	    {"\xee\x80\x80", 3, true}, /* U+E000 */
	    {"\xef\xbf\xbf", 3, true}, /* U+FFFF */
	    {"\xf0\x90\x80\x80", 4, true},
	    {"\xf0\x9f\x98\x80", 4, true},
	    {"\xf4\x8f\xbf\xbf", 4, true}, /* U+10FFFF */
	    {"a\xc3\xa9z\xe2\x82\xac\xf0\x9f\x98\x80!", 12, true},
	    /* overlongs */
	    {"\xc0\x80", 2, false},
	    {"\xc0\xaf", 2, false},
	    {"\xc1\xbf", 2, false},
	    {"\xe0\x80\xaf", 3, false},
	    {"\xe0\x9f\xbf", 3, false},
	    {"\xf0\x80\x80\xaf", 4, false},
	    {"\xf0\x8f\xbf\xbf", 4, false},
	    /* surrogates */
	    {"\xed\xa0\x80", 3, false},
	    {"\xed\xad\xbf", 3, false},
	    {"\xed\xbf\xbf", 3, false},
	    {"\xed\xa0\xbd\xed\xb8\x80", 6, false},
	    /* beyond U+10FFFF and 5/6-byte forms */
	    {"\xf4\x90\x80\x80", 4, false},
	    {"\xf5\x80\x80\x80", 4, false},
	    {"\xf7\xbf\xbf\xbf", 4, false},
	    {"\xf8\x88\x80\x80\x80", 5, false},
	    {"\xfc\x84\x80\x80\x80\x80", 6, false},
	    {"\xfe", 1, false},
	    {"\xff", 1, false},
	    /* stray continuation bytes */
	    {"\x80", 1, false},
	    {"\xbf", 1, false},
	    {"a\x80z", 3, false},
	    /* truncated sequences */
	    {"\xc3", 1, false},
	    {"\xe2\x82", 2, false},
	    {"\xe2", 1, false},
	    {"\xf0\x9f\x98", 3, false},
	    {"\xf0\x9f", 2, false},
	    {"abc\xc3", 4, false},
	    {"\xc3\xa9", 1, false}, /* cut by len, not by the string */
	    {"\xf0\x9f\x98\x80", 3, false},
	    /* bad continuation */
	    {"\xc3\x28", 2, false},
	    {"\xe2\x28\xa1", 3, false},
	    {"\xe2\x82\x28", 3, false},
	    {"\xf0\x28\x8c\xbc", 4, false},
	    {"\xf0\x9f\x98\xc0", 4, false},
	    {"\xc3\xc3\xa9", 3, false},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++)
		if (jq_utf8_valid(cases[i].s, cases[i].len) != cases[i].want)
			fail_msg("case %zu: jq_utf8_valid != %d", i, cases[i].want);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_file_roundtrip(void **state)
{
	_cleanup_free_ char *dir = tmp_path("files");
	_cleanup_free_ char *path = tmp_path("files/record");
	_cleanup_free_ char *missing = tmp_path("nodir/record");
	static const char content[] = "hello\0world\n";
	const size_t clen = sizeof(content) - 1;
	char *data = NULL;
	size_t len = 0;
	struct stat st;

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(jq_write_file_atomic(path, content, clen, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */

	assert_int_equal(jq_read_file(path, clen, &data, &len), 0);
	assert_int_equal(len, clen);
	assert_memory_equal(data, content, clen);
	assert_int_equal(data[len], '\0');
	free(data);
	data = NULL;
	assert_int_equal(jq_read_file(path, 4096, &data, NULL), 0);
	assert_memory_equal(data, content, clen);
	free(data);
	data = NULL;

	/* One byte over the limit. */
	len = 99;
	assert_int_equal(jq_read_file(path, clen - 1, &data, &len), -EFBIG);
	assert_null(data);
	assert_int_equal(len, 99);
	assert_int_equal(jq_read_file(path, 0, &data, &len), -EFBIG);

	/* Replacing keeps one file and gives the new content; empty is fine. */
	assert_int_equal(jq_write_file_atomic(path, "", 0, 0644), 0);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(jq_read_file(path, 0, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	data = NULL;

	/* Sizes around the reader's buffer steps. */
	static const size_t sizes[] = {4095, 4096, 4097, 8192, 100000};
	_cleanup_free_ char *big = malloc(100000);
	assert_non_null(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(sizes); i++) {
		assert_int_equal(jq_write_file_atomic(path, big, sizes[i], 0600), 0);
		assert_int_equal(jq_read_file(path, sizes[i], &data, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_memory_equal(data, big, len);
		free(data);
		data = NULL;
		assert_int_equal(jq_read_file(path, sizes[i] - 1, &data, &len), -EFBIG);
		assert_null(data);
	}

	/* The reader does not follow a symlink; errors come back as -errno. */
	_cleanup_free_ char *link = tmp_path("files/link");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(jq_read_file(link, 4096, &data, &len), -ELOOP);
	assert_int_equal(jq_read_file(missing, 4096, &data, &len), -ENOENT);
	assert_int_equal(jq_write_file_atomic(missing, "x", 1, 0600), -ENOENT);
	assert_null(data);
	assert_int_equal(jq_rm_rf(dir), 0);
}

static void test_write_all(void **state)
{
	int p[2];
	char buf[16] = {0};

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(jq_write_all(p[1], "abc\0def", 7), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "abc\0def", 7);
	close(p[0]);
	/* A closed pipe is an error, not a crash: SIGPIPE is the caller's to ignore. */
	struct sigaction sa = {.sa_handler = SIG_IGN}, old;
	assert_int_equal(sigaction(SIGPIPE, &sa, &old), 0);
	assert_int_equal(jq_write_all(p[1], "x", 1), -EPIPE);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
	close(p[1]);
	assert_int_equal(jq_write_all(-1, "x", 1), -EBADF);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdir_p(void **state)
{
	_cleanup_free_ char *deep = tmp_path("mk/a/b/c");
	_cleanup_free_ char *slash = tmp_path("mk/x//y/");
	_cleanup_free_ char *file = tmp_path("mk/file");
	_cleanup_free_ char *under = tmp_path("mk/file/sub");
	_cleanup_free_ char *top = tmp_path("mk");
	struct stat st;

	assert_int_equal(jq_mkdir_p(deep, 0700), 0);
	assert_true(is_dir(deep));
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(jq_mkdir_p(deep, 0700), 0); /* existing */
	assert_int_equal(jq_mkdir_p(tmpdir, 0700), 0);
	assert_int_equal(jq_mkdir_p(slash, 0755), 0);
	_cleanup_free_ char *y = tmp_path("mk/x/y");
	assert_true(is_dir(y));

	/* A file in the way is an error, as the final component or above it. */
	write_text(file, "x");
	assert_int_equal(jq_mkdir_p(under, 0700), -ENOTDIR);
	assert_int_equal(jq_mkdir_p(file, 0700), -ENOTDIR);
	assert_int_equal(jq_rm_rf(top), 0);
}

static void test_rm_rf(void **state)
{
	_cleanup_free_ char *outside = tmp_path("outside");
	_cleanup_free_ char *keep = tmp_path("outside/keep");
	_cleanup_free_ char *tree = tmp_path("tree");
	_cleanup_free_ char *deep = tmp_path("tree/a/b/c");
	_cleanup_free_ char *f1 = tmp_path("tree/a/f1");
	_cleanup_free_ char *f2 = tmp_path("tree/a/b/c/f2");
	_cleanup_free_ char *dlink = tmp_path("tree/a/to-outside");
	_cleanup_free_ char *flink = tmp_path("tree/a/b/to-keep");
	_cleanup_free_ char *dangling = tmp_path("tree/dangling");

	assert_int_equal(jq_mkdir_p(outside, 0755), 0);
	write_text(keep, "precious");
	assert_int_equal(jq_mkdir_p(deep, 0755), 0);
	write_text(f1, "1");
	write_text(f2, "2");
	assert_int_equal(symlink(outside, dlink), 0);
	assert_int_equal(symlink(keep, flink), 0);
	assert_int_equal(symlink("/nonexistent/x", dangling), 0);

	assert_int_equal(jq_rm_rf(tree), 0);
	assert_false(path_exists(tree));
	assert_true(is_dir(outside));
	char *data = NULL;
	assert_int_equal(jq_read_file(keep, 100, &data, NULL), 0);
	assert_string_equal(data, "precious");
	free(data);

	/* Missing is success; a symlink given directly is removed, not followed. */
	assert_int_equal(jq_rm_rf(tree), 0);
	_cleanup_free_ char *top_link = tmp_path("top-link");
	assert_int_equal(symlink(outside, top_link), 0);
	assert_int_equal(jq_rm_rf(top_link), 0);
	assert_false(path_exists(top_link));
	assert_true(path_exists(keep));

	/* A plain file. */
	assert_int_equal(jq_rm_rf(keep), 0);
	assert_false(path_exists(keep));
	assert_int_equal(jq_rm_rf(outside), 0);
	assert_false(path_exists(outside));
}

static void test_strv(void **state)
{
	static char *const v[] = {"a", "", "long string with spaces", NULL};
	static char *const empty[] = {NULL};
	char **c;

	assert_int_equal(jq_strv_length(NULL), 0);
	assert_int_equal(jq_strv_length(empty), 0);
	assert_int_equal(jq_strv_length(v), 3);

	c = jq_strv_copy(v);
	assert_non_null(c);
	assert_int_equal(jq_strv_length(c), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(c[i], v[i]);
		assert_ptr_not_equal(c[i], v[i]);
	}
	assert_null(c[3]);
	jq_strv_free(c);

	c = jq_strv_copy(empty);
	assert_non_null(c);
	assert_null(c[0]);
	jq_strv_free(c);
	jq_strv_free(NULL);

	_cleanup_free_ char *s = jq_asprintf("%s '%d'", "value", 42);
	assert_string_equal(s, "value '42'");
}

/* jq-log */

static void test_log(void **state)
{
	_cleanup_free_ char *path = tmp_path("log");
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	char *data = NULL;

	assert_true(fd >= 0);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);

	jq_log_setup("jobqd", JQ_LOG_INFO);
	errno = EAGAIN;
	int r1 = jq_log_error_errno(-ENOENT, "cannot open '%s': %m", "/x");
	int e1 = errno;
	int r2 = jq_log_debug("not shown");
	int r3 = jq_log_warning("value '%d', ignoring", 3);
	jq_log_setup("jobq", JQ_LOG_DEBUG);
	int r4 = jq_log_debug("shown");
	fflush(stderr);

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_int_equal(r1, -ENOENT);
	assert_int_equal(e1, EAGAIN);
	assert_int_equal(r2, 0);
	assert_int_equal(r3, 0);
	assert_int_equal(r4, 0);
	assert_int_equal(jq_read_file(path, 4096, &data, NULL), 0);
	assert_string_equal(data, "jobqd: error: cannot open '/x': No such file or directory\n"
				  "jobqd: warning: value '3', ignoring\n"
				  "jobq: debug: shown\n");
	free(data);
	assert_int_equal(unlink(path), 0);
}

/* jq-paths */

static void test_path_resolve(void **state)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	static const struct {
		const char *config, *p, *want;
		bool under_cwd;
	} cases[] = {
	    {"/etc/jobq/jobq.ini", "/run/jobq/s.sock", "/run/jobq/s.sock", false},
	    {"jobq.ini", "/abs", "/abs", false},
	    {"/etc/jobq/jobq.ini", "s.sock", "/etc/jobq/s.sock", false},
	    {"/etc/jobq/jobq.ini", "run/s.sock", "/etc/jobq/run/s.sock", false},
	    {"/etc/jobq/jobq.ini", "../s.sock", "/etc/s.sock", false},
	    {"/etc/jobq/jobq.ini", "./a/../b//c/", "/etc/jobq/b/c", false},
	    {"/etc/jobq/jobq.ini", "/x/../../y/.", "/y", false},
	    {"/jobq.ini", "s.sock", "/s.sock", false},
	    {"conf/jobq.ini", "s.sock", "conf/s.sock", true},
	    {"a/b/jobq.ini", "run/s.sock", "a/b/run/s.sock", true},
	    {"jobq.ini", "s.sock", "s.sock", true},
	};

	assert_non_null(cwd);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = jq_path_resolve(cases[i].config, cases[i].p);
		_cleanup_free_ char *want = cases[i].under_cwd
						? jq_asprintf("%s/%s", cwd, cases[i].want)
						: strdup(cases[i].want);
		assert_non_null(got);
		assert_non_null(want);
		if (strcmp(got, want))
			fail_msg("jq_path_resolve('%s', '%s') = '%s', want '%s'", cases[i].config,
				 cases[i].p, got, want);
	}
}

static void test_path_normalize(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"/", "/"},
	    {"//", "/"},
	    {"/a", "/a"},
	    {"/a/", "/a"},
	    {"/a//b", "/a/b"},
	    {"/a/./b", "/a/b"},
	    {"/a/../b", "/b"},
	    {"/..", "/"},
	    {"/../..", "/"},
	    {"/a/b/../../c", "/c"},
	    {"/a/..b/.c", "/a/..b/.c"},
	    {"/a/b/..", "/a"},
	    {"/a/.", "/a"},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = jq_path_normalize(cases[i].in);
		assert_non_null(got);
		if (strcmp(got, cases[i].want))
			fail_msg("jq_path_normalize('%s') = '%s', want '%s'", cases[i].in, got,
				 cases[i].want);
	}
	errno = 0;
	assert_null(jq_path_normalize("relative/path"));
	assert_int_equal(errno, EINVAL);
}

static void test_ini_read_socket(void **state)
{
	_cleanup_free_ char *ini = tmp_path("jobq.ini");
	_cleanup_free_ char *rel = tmp_path("rel/d.sock");
	static const struct {
		const char *text;
		const char *want; /* NULL: resolved "rel/d.sock" */
	} cases[] = {
	    {"[daemon]\nsocket = /run/a.sock\n", "/run/a.sock"},
	    {"[daemon]\nsocket=/run/a.sock", "/run/a.sock"},
	    {"[daemon]\n   socket   =   /run/sp.sock   \n", "/run/sp.sock"},
	    {"[daemon]\r\nsocket = /run/crlf.sock\r\n", "/run/crlf.sock"},
	    {"", JQ_DEFAULT_SOCKET},
	    {"[daemon]\nstate_dir = /var/lib/x\n", JQ_DEFAULT_SOCKET},
	    {"[daemon]\nsockets = /no.sock\n", JQ_DEFAULT_SOCKET},
	    {"socket = /no.sock\n[daemon]\n", JQ_DEFAULT_SOCKET},
	    {"[storage]\nsocket = /no.sock\n[daemon]\nmax_running = 4\n", JQ_DEFAULT_SOCKET},
	    {"[daemon]\n[tenant.acme]\nsocket = /no.sock\n", JQ_DEFAULT_SOCKET},
	    {"[daemonx]\nsocket = /no.sock\n", JQ_DEFAULT_SOCKET},
	    {"[daemon]\n; socket = /no.sock\n# socket = /no2.sock\nsocket = /yes.sock\n",
	     "/yes.sock"},
	    {"[storage]\ndatabase = x.db\n\n[daemon]\nsocket = /run/c.sock ; the socket\n",
	     "/run/c.sock"},
	    {"[daemon]\nsocket = /run/c.sock\t; tab before the comment\n", "/run/c.sock"},
	    {"[daemon]\nsocket = /run/e;x.sock\n", "/run/e;x.sock"},
	    {"[daemon] ; section comment\nsocket = /run/f.sock\n", "/run/f.sock"},
	    {"[daemon]\nsocket = rel/d.sock\n", NULL},
	    {"[daemon]\nsocket = rel/d.sock ; relative\n", NULL},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = NULL;
		const char *want = cases[i].want ? cases[i].want : rel;

		write_text(ini, cases[i].text);
		assert_int_equal(jq_ini_read_socket(ini, &got), 0);
		if (strcmp(got, want))
			fail_msg("case %zu: socket '%s', want '%s'", i, got, want);
	}
	assert_int_equal(unlink(ini), 0);

	char *got = NULL;
	assert_int_equal(jq_ini_read_socket(ini, &got), -ENOENT);
	assert_null(got);
}

static void test_config_path(void **state)
{
	const char *old = getenv("JOBQ_CONFIG");
	_cleanup_free_ char *saved = old ? strdup(old) : NULL;
	static const char explicit_path[] = "/opt/x/jobq.ini";

	assert_int_equal(unsetenv("JOBQ_CONFIG"), 0);
	assert_ptr_equal(jq_config_path(explicit_path), explicit_path);
	assert_string_equal(jq_config_path(NULL), JQ_DEFAULT_CONFIG);

	assert_int_equal(setenv("JOBQ_CONFIG", "/srv/jobq/test.ini", 1), 0);
	assert_string_equal(jq_config_path(NULL), "/srv/jobq/test.ini");
	assert_ptr_equal(jq_config_path(explicit_path), explicit_path);

	assert_int_equal(setenv("JOBQ_CONFIG", "", 1), 0);
	assert_string_equal(jq_config_path(NULL), JQ_DEFAULT_CONFIG);

	assert_int_equal(unsetenv("JOBQ_CONFIG"), 0);
	assert_string_equal(jq_config_path(NULL), JQ_DEFAULT_CONFIG);
	if (saved)
		assert_int_equal(setenv("JOBQ_CONFIG", saved, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_parse_cpus),
	    cmocka_unit_test(test_parse_int64),
	    cmocka_unit_test(test_format_size),
	    cmocka_unit_test(test_format_duration),
	    cmocka_unit_test(test_tenant_name),
	    cmocka_unit_test(test_format_rfc3339),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_clocks),
	    cmocka_unit_test(test_job_state_names),
	    cmocka_unit_test(test_job_transitions),
	    cmocka_unit_test(test_job_init_release),
	    cmocka_unit_test(test_proto_i64),
	    cmocka_unit_test(test_proto_strings),
	    cmocka_unit_test(test_proto_str_validation),
	    cmocka_unit_test(test_proto_i64_wrong_length),
	    cmocka_unit_test(test_proto_tags_allowed),
	    cmocka_unit_test(test_proto_header),
	    cmocka_unit_test(test_proto_parse_malformed),
	    cmocka_unit_test(test_proto_truncation),
	    cmocka_unit_test(test_proto_writer_limit),
	    cmocka_unit_test(test_proto_fd),
	    cmocka_unit_test(test_proto_fd_peer_closes),
	    cmocka_unit_test(test_proto_fd_large),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_file_roundtrip),
	    cmocka_unit_test(test_write_all),
	    cmocka_unit_test(test_mkdir_p),
	    cmocka_unit_test(test_rm_rf),
	    cmocka_unit_test(test_strv),
	    cmocka_unit_test(test_log),
	    cmocka_unit_test(test_path_resolve),
	    cmocka_unit_test(test_path_normalize),
	    cmocka_unit_test(test_ini_read_socket),
	    cmocka_unit_test(test_config_path),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
