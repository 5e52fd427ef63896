/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the parsers of values users type (INI and command
 * line), and the log's escaping of what users send.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jq-log.h"
#include "jq-parse.h"
#include "jq-time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * jq_log_escape() gives one line without control bytes, and the input can
 * be read back from it exactly: nothing a user sends can pass for
 * something else in the log.
 */
static void check_log_escape(const uint8_t *data, size_t size)
{
	size_t n = 4 * size + 1, o = 0;
	char *out = malloc(n), *back = malloc(size + 1);

	if (!out || !back)
		goto out;
	if (jq_log_escape((const char *)data, size, out, n) != size)
		abort();
	for (const char *p = out; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || o >= size)
			abort();
		if (c != '\\') {
			back[o++] = *p;
			continue;
		}
		p++;
		if (*p == '\\' || *p == 'n' || *p == 'r' || *p == 't') {
			back[o++] = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : '\\';
		} else if (*p == 'x' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
			back[o++] = (char)(hex_digit(p[1]) << 4 | hex_digit(p[2]));
			p += 2;
		} else {
			abort();
		}
	}
	if (o != size || memcmp(back, data, size) != 0)
		abort();
out:
	free(out);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t u;
	int64_t i;
	char buf[64];

	if (!s)
		return 0;
	check_log_escape(data, size);
	memcpy(s, data, size);
	s[size] = '\0';
	if (jq_parse_size(s, &u) == 0)
		(void)jq_format_size(u, buf, sizeof(buf));
	if (jq_parse_duration(s, &u) == 0)
		(void)jq_format_duration(u, buf, sizeof(buf));
	(void)jq_parse_cpus(s, &u);
	(void)jq_parse_int64(s, INT64_MIN, INT64_MAX, &i);
	if (jq_parse_time(s, 1764424117000000LL, &i) == 0)
		(void)jq_format_rfc3339(i, buf, sizeof(buf));
	(void)jq_tenant_name_valid(s);
	free(s);
	return 0;
}
