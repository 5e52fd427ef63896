/* SPDX-License-Identifier: MIT */
#ifndef JQ_TIME_H
#define JQ_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in microseconds since the epoch (CLOCK_REALTIME). */
int64_t jq_now_usec(void);

/* Monotonic time in microseconds (CLOCK_MONOTONIC). */
int64_t jq_mono_usec(void);

/*
 * Formats usec since the epoch as RFC 3339 UTC with microseconds,
 * "2026-11-29T14:08:37.123456Z", into buf (at least 32 bytes).
 */
const char *jq_format_rfc3339(int64_t usec, char *buf, size_t n);

/*
 * Parses "2026-11-29", "2026-11-29T14:08", "2026-11-29T14:08:37[.frac][Z]"
 * (UTC) or a relative "7d" / "12h" / "30m" (before now_usec).
 * 0 or -EINVAL.
 */
int jq_parse_time(const char *s, int64_t now_usec, int64_t *ret_usec);

#endif
