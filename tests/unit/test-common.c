/* SPDX-License-Identifier: MIT */
/*
 * common/: the value parsers, time, and the job state machine. Where the
 * input is data the tests are tables; every row states the exact result.
 */
#include "common-fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_size),	     cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_parse_cpus),	     cmocka_unit_test(test_parse_int64),
	    cmocka_unit_test(test_format_size),	     cmocka_unit_test(test_format_duration),
	    cmocka_unit_test(test_tenant_name),	     cmocka_unit_test(test_format_rfc3339),
	    cmocka_unit_test(test_parse_time),	     cmocka_unit_test(test_clocks),
	    cmocka_unit_test(test_job_state_names),  cmocka_unit_test(test_job_transitions),
	    cmocka_unit_test(test_job_init_release),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
