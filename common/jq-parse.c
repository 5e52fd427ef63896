/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jq-parse.h"

/*
 * Parses an unsigned decimal with up to max_frac fractional digits into a
 * fixed-point value scaled by 10^max_frac. Stops at the first character
 * that is not part of the number and returns it through *ret_end.
 */
static int parse_fixed(const char *s, unsigned max_frac, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool digits = false;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
		digits = true;
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++) {
			if (frac == max_frac)
				return -EINVAL;
			if (v > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*s - '0');
			frac++;
		}
	}
	if (!digits)
		return -EINVAL;
	for (; frac < max_frac; frac++) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	*ret = v;
	*ret_end = s;
	return 0;
}

static int mul_check(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (b && a > UINT64_MAX / b)
		return -ERANGE;
	*ret = a * b;
	return 0;
}

int jq_parse_size(const char *s, uint64_t *ret_bytes)
{
	const char *end;
	uint64_t v, mult = 1, r;
	int k;

	if (!s)
		return -EINVAL;
	/* Whole bytes: decimals only with a unit ("1.5G"), three digits at most. */
	k = parse_fixed(s, 3, &v, &end);
	if (k < 0)
		return k;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'B':
		break;
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		if (mult > 1 && (*end == 'B' || *end == 'b'))
			end++;
		else if (mult > 1 && (*end == 'i') && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
	}
	if (*end)
		return -EINVAL;
	k = mul_check(v, mult, &r);
	if (k < 0)
		return k;
	if (r % 1000 != 0)
		return -EINVAL; /* a fraction of a byte */
	*ret_bytes = r / 1000;
	return 0;
}

int jq_parse_duration(const char *s, uint64_t *ret_usec)
{
	const char *end;
	uint64_t v, mult, r;
	int k;

	if (!s)
		return -EINVAL;
	k = parse_fixed(s, 3, &v, &end);
	if (k < 0)
		return k;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1000000ULL;
	else if (!strcmp(end, "ms"))
		mult = 1000ULL;
	else if (!strcmp(end, "m"))
		mult = 60ULL * 1000000ULL;
	else if (!strcmp(end, "h"))
		mult = 3600ULL * 1000000ULL;
	else if (!strcmp(end, "d"))
		mult = 86400ULL * 1000000ULL;
	else
		return -EINVAL;
	k = mul_check(v, mult, &r);
	if (k < 0)
		return k;
	*ret_usec = r / 1000;
	return 0;
}

int jq_parse_cpus(const char *s, uint64_t *ret_millicpus)
{
	const char *end;
	uint64_t v;
	int k;

	if (!s)
		return -EINVAL;
	k = parse_fixed(s, 3, &v, &end);
	if (k < 0)
		return k;
	if (*end)
		return -EINVAL;
	if (v == 0)
		return -ERANGE;
	if (v > 1000000000ULL)
		return -ERANGE;
	*ret_millicpus = v;
	return 0;
}

int jq_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	bool neg = false;
	uint64_t v = 0, limit;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	/* The magnitude of INT64_MIN is one more than INT64_MAX. */
	limit = (uint64_t)INT64_MAX + (neg ? 1 : 0);
	for (; *s; s++) {
		uint64_t d;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		d = (uint64_t)(*s - '0');
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	int64_t x = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	if (x < min || x > max)
		return -ERANGE;
	*ret = x;
	return 0;
}

const char *jq_format_size(uint64_t bytes, char *buf, size_t n)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, n, "%" PRIu64 "B", bytes);
		return buf;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, n, "%" PRIu64 "%c", (uint64_t)v, units[u]);
	else
		snprintf(buf, n, "%.1f%c", v, units[u]);
	return buf;
}

const char *jq_format_duration(uint64_t usec, char *buf, size_t n)
{
	uint64_t s = usec / 1000000ULL;

	if (usec < 1000ULL)
		snprintf(buf, n, "%" PRIu64 "us", usec);
	else if (usec < 1000000ULL)
		snprintf(buf, n, "%" PRIu64 "ms", usec / (uint64_t)1000);
	else if (s < 60)
		/* Truncated like the units below: rounding would print "60.00s". */
		snprintf(buf, n, "%" PRIu64 ".%02" PRIu64 "s", s,
			 (uint64_t)((usec % 1000000ULL) / 10000ULL));
	else if (s < 3600)
		snprintf(buf, n, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, n, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, n, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, (s % 86400) / 3600);
	return buf;
}

bool jq_tenant_name_valid(const char *s)
{
	size_t n;

	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!(isalnum(c) || c == '_' || c == '-'))
			return false;
		if (n >= 64)
			return false;
	}
	return true;
}
