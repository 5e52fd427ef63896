/* SPDX-License-Identifier: MIT */
/*
 * The frame splitter: a byte stream in, whole frames out. It knows the
 * frame header of jq-protocol.h and nothing of what a request does; it
 * does no I/O, so the daemon's transport, the fuzzer and the unit tests
 * drive it the same way: feed what was read, then take frames until it
 * asks for more bytes.
 */
#ifndef JQ_FRAME_H
#define JQ_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* A buffer up to this size is kept between frames. */
#define JQ_FRAMER_KEEP (64 * 1024)

/* Largest payload the splitter accepts for a frame of this type. */
typedef uint32_t (*jq_frame_limit_fn)(uint16_t type);

struct jq_framer {
	uint8_t *data;
	size_t cap;
	size_t off; /* first byte not yet returned as part of a frame */
	size_t len; /* bytes held in data[0..len) */
	jq_frame_limit_fn limit;
};

/* One frame; payload points into the splitter's buffer. */
struct jq_frame {
	uint16_t type;
	uint32_t len; /* of the payload */
	const uint8_t *payload;
};

/*
 * A splitter with an empty buffer. limit (may be NULL: JQ_PROTO_MAX_PAYLOAD
 * for every type) is asked as soon as a frame's header is complete, before
 * its payload is buffered.
 */
void jq_framer_init(struct jq_framer *f, jq_frame_limit_fn limit);
void jq_framer_release(struct jq_framer *f);

/*
 * Appends n bytes read from the stream. Frames returned before become
 * invalid (the buffer may move). Returns 0 or -ENOMEM.
 */
int jq_framer_feed(struct jq_framer *f, const void *data, size_t n);

/*
 * Takes the next whole frame. Returns 1 and fills *ret; 0 when more bytes
 * are needed; -EPROTO for a header of another protocol version; -EMSGSIZE
 * for a payload longer than the limit of its type, with ret->type and
 * ret->len set (ret->payload NULL) so that the caller can say so. After an
 * error the stream cannot be resynchronised: the caller drops it.
 * *ret stays valid until the next call of jq_framer_feed() or
 * jq_framer_next().
 */
int jq_framer_next(struct jq_framer *f, struct jq_frame *ret);

/* Bytes held that are not yet part of a returned frame. */
size_t jq_framer_pending(const struct jq_framer *f);

/*
 * Bytes allocated for the buffer: what the splitter costs in memory. A
 * buffer that grew past JQ_FRAMER_KEEP for one large frame is given back
 * once nothing is pending.
 */
size_t jq_framer_capacity(const struct jq_framer *f);

#endif
