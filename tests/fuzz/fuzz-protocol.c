/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the protocol decoder, as the daemon runs it on what a
 * client sends, and as jobqd/jobq-exec run it on the run-directory records.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "jq-protocol.h"
#include "jq-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jq_msg m;
	uint16_t type;
	uint32_t len;

	if (size >= JQ_PROTO_HEADER_SIZE && jq_frame_header_parse(data, &type, &len) == 0 &&
	    len <= size - JQ_PROTO_HEADER_SIZE) {
		if (jq_msg_parse(type, data + JQ_PROTO_HEADER_SIZE, len, &m) == 0) {
			const char *s;
			char **v = NULL;
			int64_t i, *iv = NULL;
			size_t n;
			for (uint16_t tag = 1; tag < 64; tag++) {
				(void)jq_msg_get_i64(&m, tag, &i);
				(void)jq_msg_get_str(&m, tag, 4096, &s);
				if (jq_msg_get_strv(&m, tag, JQ_PROTO_MAX_ARGV_ENV, &v) == 0)
					jq_strv_free(v);
				if (jq_msg_get_i64v(&m, tag, &iv, &n) == 0)
					free(iv);
			}
			jq_msg_release(&m);
		}
	}
	if (jq_msg_decode_frame(data, size, &m) == 0)
		jq_msg_release(&m);
	return 0;
}
