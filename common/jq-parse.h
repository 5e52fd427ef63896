/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the values users write in the INI file and on the command
 * line. All return 0 or -EINVAL (malformed) / -ERANGE (out of range) and
 * write *ret only on success. Whitespace around the value is not accepted:
 * callers strip it.
 */
#ifndef JQ_PARSE_H
#define JQ_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "512", "64K", "8G", "1T" (powers of 1024; B suffix allowed, case-insensitive). */
int jq_parse_size(const char *s, uint64_t *ret_bytes);

/* "30", "30s", "10m", "1h", "90d"; a bare number is seconds. Result in usec. */
int jq_parse_duration(const char *s, uint64_t *ret_usec);

/* "4", "0.5", "1.25": CPUs with up to three decimals. Result in millicpus; > 0. */
int jq_parse_cpus(const char *s, uint64_t *ret_millicpus);

/* A decimal integer in [min, max]. */
int jq_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);

/* Formats bytes for people ("8.0G", "512M", "100B") into buf of size n. */
const char *jq_format_size(uint64_t bytes, char *buf, size_t n);

/* Formats a duration in usec for people ("1h2m", "3.5s", "120ms"). */
const char *jq_format_duration(uint64_t usec, char *buf, size_t n);

/* A tenant name: 1..64 of [A-Za-z0-9_-], starting with a letter or digit. */
bool jq_tenant_name_valid(const char *s);

#endif
