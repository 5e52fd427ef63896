/* SPDX-License-Identifier: MIT */
/*
 * common/jq-frame: the splitter the daemon cuts its clients' byte streams
 * with: whole, partial and pipelined frames, every cut of a header, the
 * per-type limit on the header, and what the buffer costs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-frame.h"
#include "jq-protocol.h"

static size_t put_header(uint8_t *p, uint32_t len, uint16_t version, uint16_t type)
{
	p[0] = len >> 24;
	p[1] = len >> 16;
	p[2] = len >> 8;
	p[3] = len;
	p[4] = version >> 8;
	p[5] = version;
	p[6] = type >> 8;
	p[7] = type;
	return JQ_PROTO_HEADER_SIZE;
}

/* Frame i of a test stream: type 1 + i % 11, payload of i % 37 bytes of i. */
static size_t put_frame(uint8_t *p, unsigned i)
{
	uint32_t len = i % 37;

	put_header(p, len, JQ_PROTO_VERSION, 1 + i % 11);
	memset(p + JQ_PROTO_HEADER_SIZE, (int)(i & 0xff), len);
	return JQ_PROTO_HEADER_SIZE + len;
}

static void assert_frame(const struct jq_frame *fr, unsigned i)
{
	assert_int_equal(fr->type, 1 + i % 11);
	assert_int_equal(fr->len, i % 37);
	for (uint32_t k = 0; k < fr->len; k++)
		assert_int_equal(fr->payload[k], i & 0xff);
}

static void test_frame_whole(void **state)
{
	struct jq_framer f;
	struct jq_frame fr;
	uint8_t buf[64];
	size_t n = put_frame(buf, 5);

	jq_framer_init(&f, NULL);
	assert_int_equal(jq_framer_next(&f, &fr), 0);
	assert_int_equal(jq_framer_feed(&f, buf, n), 0);
	assert_int_equal(jq_framer_next(&f, &fr), 1);
	assert_frame(&fr, 5);
	assert_int_equal(jq_framer_pending(&f), 0);
	assert_int_equal(jq_framer_next(&f, &fr), 0);
	jq_framer_release(&f);
}

/* Every byte on its own: the frame appears with its last byte, not before. */
static void test_frame_byte_by_byte(void **state)
{
	struct jq_framer f;
	struct jq_frame fr;
	uint8_t buf[64];
	size_t n = put_frame(buf, 36);

	jq_framer_init(&f, NULL);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(jq_framer_next(&f, &fr), 0);
		assert_int_equal(jq_framer_feed(&f, buf + k, 1), 0);
		assert_int_equal(jq_framer_pending(&f), k + 1 < n ? k + 1 : n);
	}
	assert_int_equal(jq_framer_next(&f, &fr), 1);
	assert_frame(&fr, 36);
	jq_framer_release(&f);
}

/* 10,000 frames in one feed, then the same stream cut at every size 1..97. */
static void test_frame_pipelined(void **state)
{
	enum {
		N = 10000
	};
	uint8_t *stream = malloc(N * (JQ_PROTO_HEADER_SIZE + 37));
	size_t len = 0;

	assert_non_null(stream);
	for (unsigned i = 0; i < N; i++)
		len += put_frame(stream + len, i);
	for (size_t cut = 1; cut <= 97; cut += (cut < 16 ? 1 : 9)) {
		struct jq_framer f;
		struct jq_frame fr;
		unsigned got = 0;
		size_t off = 0;
		size_t step = cut == 97 ? len : cut;

		jq_framer_init(&f, NULL);
		while (off < len) {
			size_t k = len - off < step ? len - off : step;
			assert_int_equal(jq_framer_feed(&f, stream + off, k), 0);
			off += k;
			while (jq_framer_next(&f, &fr) == 1)
				assert_frame(&fr, got++);
			/* Compaction keeps the buffer at a partial frame plus a cut. */
			assert_true(jq_framer_capacity(&f) <= JQ_FRAMER_KEEP + len / 100 + step);
		}
		assert_int_equal(got, N);
		assert_int_equal(jq_framer_pending(&f), 0);
		jq_framer_release(&f);
	}
	free(stream);
}

static void test_frame_bad_version(void **state)
{
	struct jq_framer f;
	struct jq_frame fr;
	uint8_t buf[16];

	jq_framer_init(&f, NULL);
	assert_int_equal(jq_framer_feed(&f, buf, put_header(buf, 0, 2, JQ_REQ_LIST)), 0);
	assert_int_equal(jq_framer_next(&f, &fr), -EPROTO);
	jq_framer_release(&f);
}

/* The limit of the type, on the header alone: nothing of the payload is needed. */
static void test_frame_limit_on_header(void **state)
{
	static const struct {
		uint16_t type;
		uint32_t len;
		int want;
	} cases[] = {
	    {JQ_REQ_LIST, 1024 * 1024, -EMSGSIZE},
	    {JQ_REQ_LIST, JQ_PROTO_MAX_REQUEST + 1, -EMSGSIZE},
	    {JQ_REQ_LIST, JQ_PROTO_MAX_REQUEST, 0},
	    {JQ_REQ_SHOW, JQ_PROTO_MAX_REQUEST + 1, -EMSGSIZE},
	    {999, JQ_PROTO_MAX_REQUEST + 1, -EMSGSIZE},
	    {JQ_REQ_SUBMIT, JQ_PROTO_MAX_PAYLOAD, 0},
	    {JQ_REQ_SUBMIT, JQ_PROTO_MAX_PAYLOAD + 1, -EMSGSIZE},
	    {JQ_REQ_SUBMIT, UINT32_MAX, -EMSGSIZE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jq_framer f;
		struct jq_frame fr = {0};
		uint8_t buf[16];

		jq_framer_init(&f, jq_proto_request_max_payload);
		assert_int_equal(
		    jq_framer_feed(&f, buf, put_header(buf, cases[i].len, 1, cases[i].type)), 0);
		assert_int_equal(jq_framer_next(&f, &fr), cases[i].want);
		if (cases[i].want == -EMSGSIZE) {
			assert_int_equal(fr.type, cases[i].type);
			assert_int_equal(fr.len, cases[i].len);
			assert_null(fr.payload);
		}
		assert_true(jq_framer_capacity(&f) <= 4096);
		jq_framer_release(&f);
	}
	assert_string_equal(jq_proto_request_name(JQ_REQ_LIST), "list");
	assert_string_equal(jq_proto_request_name(999), "unknown");
}

/*
 * A large frame: reserved once its header is known (no doubling past it),
 * and the memory given back once it is taken.
 */
static void test_frame_large_capacity(void **state)
{
	enum {
		LEN = JQ_PROTO_MAX_PAYLOAD,
		CHUNK = 64 * 1024
	};
	uint8_t *frame = calloc(1, JQ_PROTO_HEADER_SIZE + LEN + 16);
	struct jq_framer f;
	struct jq_frame fr;
	size_t total = JQ_PROTO_HEADER_SIZE + LEN, off = 0;

	assert_non_null(frame);
	put_header(frame, LEN, 1, JQ_REQ_SUBMIT);
	frame[JQ_PROTO_HEADER_SIZE + LEN - 1] = 0x5a;
	/* A small frame right behind it, in the same stream. */
	put_header(frame + total, 0, 1, JQ_REQ_LIST);
	total += JQ_PROTO_HEADER_SIZE;
	jq_framer_init(&f, jq_proto_request_max_payload);
	while (off < total) {
		size_t k = total - off < CHUNK ? total - off : CHUNK;
		assert_int_equal(jq_framer_feed(&f, frame + off, k), 0);
		off += k;
		assert_true(jq_framer_capacity(&f) <= JQ_PROTO_HEADER_SIZE + LEN + CHUNK);
		if (off < JQ_PROTO_HEADER_SIZE + LEN)
			assert_int_equal(jq_framer_next(&f, &fr), 0);
	}
	assert_int_equal(jq_framer_next(&f, &fr), 1);
	assert_int_equal(fr.type, JQ_REQ_SUBMIT);
	assert_int_equal(fr.len, LEN);
	assert_int_equal(fr.payload[LEN - 1], 0x5a);
	assert_int_equal(jq_framer_next(&f, &fr), 1);
	assert_int_equal(fr.type, JQ_REQ_LIST);
	assert_int_equal(jq_framer_next(&f, &fr), 0);
	assert_int_equal(jq_framer_capacity(&f), 0);
	jq_framer_release(&f);
	free(frame);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_whole),
	    cmocka_unit_test(test_frame_byte_by_byte),
	    cmocka_unit_test(test_frame_pipelined),
	    cmocka_unit_test(test_frame_bad_version),
	    cmocka_unit_test(test_frame_limit_on_header),
	    cmocka_unit_test(test_frame_large_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
