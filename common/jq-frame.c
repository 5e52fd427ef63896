/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-frame.h"
#include "jq-protocol.h"

#define GRAIN 4096

void jq_framer_init(struct jq_framer *f, jq_frame_limit_fn limit)
{
	*f = (struct jq_framer){.limit = limit};
}

void jq_framer_release(struct jq_framer *f)
{
	free(f->data);
	*f = (struct jq_framer){.limit = f->limit};
}

size_t jq_framer_pending(const struct jq_framer *f)
{
	return f->len - f->off;
}

size_t jq_framer_capacity(const struct jq_framer *f)
{
	return f->cap;
}

/*
 * Bytes the frame at the front needs in all, once its header is there; 0
 * while it is not (or it will be refused: nothing is reserved for it).
 */
static size_t head_frame_size(const struct jq_framer *f)
{
	uint16_t type;
	uint32_t len;

	if (jq_framer_pending(f) < JQ_PROTO_HEADER_SIZE)
		return 0;
	if (jq_frame_header_parse(f->data + f->off, &type, &len) < 0)
		return 0;
	if (len > (f->limit ? f->limit(type) : JQ_PROTO_MAX_PAYLOAD))
		return 0;
	return JQ_PROTO_HEADER_SIZE + (size_t)len;
}

int jq_framer_feed(struct jq_framer *f, const void *data, size_t n)
{
	size_t have = jq_framer_pending(f), need, ncap;
	uint8_t *p;

	if (n == 0)
		return 0;
	if (f->off > 0) {
		memmove(f->data, f->data + f->off, have);
		f->len = have;
		f->off = 0;
	}
	if (n > SIZE_MAX - have - GRAIN)
		return -ENOMEM;
	need = have + n;
	if (need > f->cap) {
		/*
		 * Once a header is known, its whole frame is reserved at once:
		 * a 1 MiB payload read 64 KiB at a time costs one realloc, and
		 * no doubling overshoot.
		 */
		ncap = head_frame_size(f);
		if (ncap < need)
			ncap = need;
		ncap = (ncap + GRAIN - 1) / GRAIN * GRAIN;
		p = realloc(f->data, ncap);
		if (!p)
			return -ENOMEM;
		f->data = p;
		f->cap = ncap;
	}
	memcpy(f->data + f->len, data, n);
	f->len += n;
	return 0;
}

int jq_framer_next(struct jq_framer *f, struct jq_frame *ret)
{
	size_t have = jq_framer_pending(f);
	const uint8_t *p = f->data + f->off;
	uint32_t limit;
	uint16_t type;
	uint32_t len;
	int r;

	if (have < JQ_PROTO_HEADER_SIZE) {
		if (have == 0 && f->cap > JQ_FRAMER_KEEP) {
			free(f->data);
			f->data = NULL;
			f->cap = f->len = f->off = 0;
		}
		return 0;
	}
	r = jq_frame_header_parse(p, &type, &len);
	if (r == -EPROTO)
		return r;
	limit = f->limit ? f->limit(type) : JQ_PROTO_MAX_PAYLOAD;
	if (r == -EMSGSIZE || len > limit) {
		*ret = (struct jq_frame){.type = type, .len = len};
		return -EMSGSIZE;
	}
	if (r < 0)
		return r;
	if (have - JQ_PROTO_HEADER_SIZE < len)
		return 0;
	*ret = (struct jq_frame){.type = type, .len = len, .payload = p + JQ_PROTO_HEADER_SIZE};
	f->off += JQ_PROTO_HEADER_SIZE + len;
	if (f->off == f->len)
		f->off = f->len = 0;
	return 1;
}
