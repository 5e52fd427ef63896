/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the daemon's frame splitter (common/jq-frame.c). The
 * input is 8 bytes of seed, then a byte stream. The stream is cut into
 * chunks of random sizes (partial headers and payloads, many frames per
 * chunk, compaction between them), frames are taken a random number at a
 * time between feeds (as the daemon takes a bounded share per loop turn),
 * and the splitter must yield exactly the frames, and the error, of a
 * one-shot walk over the whole stream.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jq-frame.h"
#include "jq-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 4096

struct ref {
	size_t off; /* of the payload */
	uint16_t type;
	uint32_t len;
};

static uint32_t small_limit(uint16_t type)
{
	return (uint32_t)(type % 5) * 64;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The one-shot walk: frames, and what ends the stream (0 = a partial tail or nothing). */
static size_t walk(const uint8_t *p, size_t n, jq_frame_limit_fn limit, struct ref *refs,
		   int *ret_end, struct ref *ret_bad)
{
	size_t off = 0, k = 0;

	*ret_end = 0;
	while (n - off >= JQ_PROTO_HEADER_SIZE && k < MAX_FRAMES) {
		uint16_t type;
		uint32_t len;
		int r = jq_frame_header_parse(p + off, &type, &len);
		if (r == -EPROTO) {
			*ret_end = r;
			break;
		}
		if (r == -EMSGSIZE || len > (limit ? limit(type) : JQ_PROTO_MAX_PAYLOAD)) {
			*ret_end = -EMSGSIZE;
			*ret_bad = (struct ref){.type = type, .len = len};
			break;
		}
		if (n - off - JQ_PROTO_HEADER_SIZE < len)
			break;
		refs[k++] = (struct ref){off + JQ_PROTO_HEADER_SIZE, type, len};
		off += JQ_PROTO_HEADER_SIZE + len;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref refs[MAX_FRAMES];
	static const jq_frame_limit_fn limits[] = {NULL, jq_proto_request_max_payload, small_limit};
	struct ref bad = {0};
	struct jq_framer f;
	struct jq_frame fr;
	jq_frame_limit_fn limit;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t n_refs, got = 0, off = 0;
	int end, r = 0;

	if (size < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		seed = seed * 131 + data[i];
	if (!seed)
		seed = 1;
	limit = limits[data[0] % 3];
	data += 8;
	size -= 8;
	n_refs = walk(data, size, limit, refs, &end, &bad);
	if (n_refs == MAX_FRAMES)
		return 0;

	jq_framer_init(&f, limit);
	while (off < size && r >= 0) {
		size_t chunk = 1 + next_rand(&seed) % (next_rand(&seed) % 4 ? 16 : 4096);
		unsigned take = (unsigned)(next_rand(&seed) % 8);
		if (chunk > size - off)
			chunk = size - off;
		if (jq_framer_feed(&f, data + off, chunk) < 0)
			abort();
		off += chunk;
		/* A few frames per turn, or all of them once the stream is in. */
		for (unsigned t = 0; off == size || t < take; t++) {
			r = jq_framer_next(&f, &fr);
			if (r <= 0)
				break;
			if (got >= n_refs || fr.type != refs[got].type || fr.len != refs[got].len ||
			    memcmp(fr.payload, data + refs[got].off, fr.len) != 0)
				abort();
			got++;
		}
		/* Pending: exactly what was fed and not taken as a frame. */
		if (jq_framer_pending(&f) !=
		    off - (got ? refs[got - 1].off + refs[got - 1].len : 0))
			abort();
	}
	if (got != n_refs)
		abort();
	if (r < 0 && r != end)
		abort();
	if (r == -EMSGSIZE && (fr.type != bad.type || fr.len != bad.len))
		abort();
	if (r >= 0 && end != 0 && off == size)
		abort(); /* the walk met an error the splitter did not */
	jq_framer_release(&f);
	return 0;
}
