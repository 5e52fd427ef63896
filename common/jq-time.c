/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jq-parse.h"
#include "jq-time.h"

int64_t jq_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t jq_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *jq_format_rfc3339(int64_t usec, char *buf, size_t n)
{
	time_t secs = (time_t)(usec / 1000000);
	int64_t frac = usec % 1000000;
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

static int parse_digits(const char **s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -EINVAL;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*ret = v;
	return 0;
}

int jq_parse_time(const char *s, int64_t now_usec, int64_t *ret_usec)
{
	struct tm tm = {0};
	int64_t frac = 0;
	const char *p = s;
	uint64_t rel;

	if (!s || !*s)
		return -EINVAL;
	/* Relative: "7d", "12h", "30m" before now. */
	if (jq_parse_duration(s, &rel) == 0 && strpbrk(s, "smhd")) {
		if (rel > (uint64_t)now_usec)
			return -ERANGE;
		*ret_usec = now_usec - (int64_t)rel;
		return 0;
	}
	if (parse_digits(&p, 4, &tm.tm_year) < 0 || *p++ != '-' ||
	    parse_digits(&p, 2, &tm.tm_mon) < 0 || *p++ != '-' ||
	    parse_digits(&p, 2, &tm.tm_mday) < 0)
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (parse_digits(&p, 2, &tm.tm_hour) < 0 || *p++ != ':' ||
		    parse_digits(&p, 2, &tm.tm_min) < 0)
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &tm.tm_sec) < 0)
				return -EINVAL;
			if (*p == '.') {
				int digits = 0;
				p++;
				while (isdigit((unsigned char)*p)) {
					if (digits < 6) {
						frac = frac * 10 + (*p - '0');
						digits++;
					}
					p++;
				}
				if (digits == 0)
					return -EINVAL;
				for (; digits < 6; digits++)
					frac *= 10;
			}
		}
		if (*p == 'Z')
			p++;
	}
	if (*p)
		return -EINVAL;
	/* timegm() would silently move "02-31" into March. */
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon) || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_usec = (int64_t)t * 1000000 + frac;
	return 0;
}
