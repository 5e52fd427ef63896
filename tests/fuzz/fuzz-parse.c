/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the parsers of values users type (INI and command line). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jq-parse.h"
#include "jq-time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t u;
	int64_t i;
	char buf[64];

	if (!s)
		return 0;
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
