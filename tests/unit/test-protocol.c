/* SPDX-License-Identifier: MIT */
/*
 * common/jq-protocol: the wire codec every message and run-directory record
 * goes through: round trips, validation, every truncation, fd I/O.
 */
#include "common-fixture.h"

/* jq-protocol */

/* Finishes w and decodes its frame into m (which the caller releases). */
static void finish_decode(struct jq_msg_writer *w, struct jq_msg *m)
{
	assert_int_equal(jq_msg_writer_finish(w), 0);
	assert_int_equal(jq_msg_decode_frame(w->buf.data, w->buf.len, m), 0);
}

static void test_proto_i64(void **state)
{
	static const int64_t values[] = {0,
					 1,
					 -1,
					 42,
					 -42,
					 255,
					 256,
					 -256,
					 INT64_MAX,
					 INT64_MIN,
					 INT64_MAX - 1,
					 INT64_MIN + 1,
					 0x0102030405060708,
					 -0x0102030405060708};
	struct jq_msg_writer w;
	struct jq_msg m;
	int64_t *all = NULL;
	size_t n_all = 0;

	jq_msg_writer_begin(&w, JQ_REP_JOB);
	for (size_t i = 0; i < JQ_ARRAY_SIZE(values); i++)
		jq_msg_put_i64(&w, JQ_T_AFTER, values[i]);
	jq_msg_put_i64(&w, JQ_T_ID, INT64_MIN);
	jq_msg_put_i64_opt(&w, JQ_T_EXIT_CODE, -1);
	jq_msg_put_i64_opt(&w, JQ_T_SIGNAL, 0);
	jq_msg_put_i64_opt(&w, JQ_T_PRIORITY, -2);
	finish_decode(&w, &m);

	/* The wire is big-endian: the header, then the first field byte by byte. */
	assert_int_equal(w.buf.data[4], 0);
	assert_int_equal(w.buf.data[5], JQ_PROTO_VERSION);
	assert_int_equal(w.buf.data[6], 0);
	assert_int_equal(w.buf.data[7], JQ_REP_JOB);
	static const uint8_t first[] = {0, JQ_T_AFTER, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(w.buf.data + JQ_PROTO_HEADER_SIZE, first, sizeof(first));
	uint32_t plen = ((uint32_t)w.buf.data[0] << 24) | ((uint32_t)w.buf.data[1] << 16) |
			((uint32_t)w.buf.data[2] << 8) | w.buf.data[3];
	assert_int_equal(plen, w.buf.len - JQ_PROTO_HEADER_SIZE);
	jq_msg_writer_release(&w);

	assert_int_equal(m.type, JQ_REP_JOB);
	assert_int_equal(m.n_fields, JQ_ARRAY_SIZE(values) + 3);
	assert_int_equal(jq_msg_count(&m, JQ_T_AFTER), JQ_ARRAY_SIZE(values));
	assert_int_equal(jq_msg_count(&m, JQ_T_EXIT_CODE), 0);
	assert_int_equal(jq_msg_count(&m, JQ_T_NAME), 0);

	int64_t v = 99;
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_ID, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_AFTER, &v), 0);
	assert_int_equal(v, values[0]); /* the first of a repeated tag */
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_SIGNAL, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_PRIORITY, &v), 0);
	assert_int_equal(v, -2);
	v = 99;
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_EXIT_CODE, &v), -ENOENT);
	assert_int_equal(v, 99);

	assert_int_equal(jq_msg_get_i64v(&m, JQ_T_AFTER, &all, &n_all), 0);
	assert_int_equal(n_all, JQ_ARRAY_SIZE(values));
	for (size_t i = 0; i < n_all; i++)
		assert_true(all[i] == values[i]);
	free(all);
	all = NULL;
	assert_int_equal(jq_msg_get_i64v(&m, JQ_T_GIDS, &all, &n_all), 0);
	assert_int_equal(n_all, 0);
	free(all);
	jq_msg_release(&m);
	assert_null(m.fields);
	jq_msg_release(NULL);
}

static void test_proto_strings(void **state)
{
	static const char *const argv[] = {"sh", "-c", "", "echo h\xc3\xa9llo \xf0\x9f\x98\x80",
					   "sh"};
	static const uint8_t bytes[] = {'a', 0, 'b', 0, 0xff, 0xfe, 0};
	struct jq_msg_writer w;
	struct jq_msg m;
	const char *s = NULL;

	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	for (size_t i = 0; i < JQ_ARRAY_SIZE(argv); i++)
		jq_msg_put_str(&w, JQ_T_ARGV, argv[i]);
	jq_msg_put_str(&w, JQ_T_NAME, NULL);
	jq_msg_put_str(&w, JQ_T_CWD, "");
	jq_msg_put_bytes(&w, JQ_T_DATA, bytes, sizeof(bytes));
	jq_msg_put_bytes(&w, JQ_T_MESSAGE, "", 0);
	jq_msg_put_str(&w, JQ_T_ENV, "A=1");
	jq_msg_put_str(&w, JQ_T_TENANT, "second");
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);

	assert_int_equal(m.type, JQ_REQ_SUBMIT);
	assert_int_equal(m.n_fields, 1 + JQ_ARRAY_SIZE(argv) + 5);
	/* Order of fields on the wire is kept. */
	assert_int_equal(m.fields[0].tag, JQ_T_TENANT);
	assert_int_equal(m.fields[1].tag, JQ_T_ARGV);
	assert_int_equal(m.fields[m.n_fields - 1].tag, JQ_T_TENANT);

	assert_int_equal(jq_msg_get_str(&m, JQ_T_TENANT, 64, &s), 0);
	assert_string_equal(s, "acme");
	assert_int_equal(jq_msg_get_str(&m, JQ_T_CWD, 64, &s), 0);
	assert_string_equal(s, "");
	assert_int_equal(jq_msg_get_str(&m, JQ_T_MESSAGE, 0, &s), 0);
	assert_string_equal(s, "");
	s = "untouched";
	assert_int_equal(jq_msg_get_str(&m, JQ_T_NAME, 64, &s), -ENOENT);
	assert_string_equal(s, "untouched");

	_cleanup_strv_ char **v = NULL;
	assert_int_equal(jq_msg_get_strv(&m, JQ_T_ARGV, 4096, &v), 0);
	assert_int_equal(jq_strv_length(v), JQ_ARRAY_SIZE(argv));
	for (size_t i = 0; i < JQ_ARRAY_SIZE(argv); i++)
		assert_string_equal(v[i], argv[i]);
	jq_strv_free(v);
	v = NULL;
	assert_int_equal(jq_msg_get_strv(&m, JQ_T_GIDS, 4096, &v), 0);
	assert_non_null(v);
	assert_null(v[0]);

	/* Bytes come back whole, NULs included, with a NUL after them. */
	const struct jq_field *f = NULL;
	for (size_t i = 0; i < m.n_fields; i++)
		if (m.fields[i].tag == JQ_T_DATA)
			f = &m.fields[i];
	assert_non_null(f);
	assert_int_equal(f->len, sizeof(bytes));
	assert_memory_equal(f->data, bytes, sizeof(bytes));
	assert_int_equal(f->data[f->len], '\0');
	/* ... but they are not a string. */
	assert_int_equal(jq_msg_get_str(&m, JQ_T_DATA, 4096, &s), -EBADMSG);

	jq_msg_release(&m);
}

static void test_proto_str_validation(void **state)
{
	static const struct {
		const char *data;
		size_t len, max;
		int r;
	} cases[] = {
	    {"abc", 3, 3, 0},
	    {"abc", 3, 2, -E2BIG},
	    {"abc", 3, 0, -E2BIG},
	    {"h\xc3\xa9", 3, 3, 0},
	    {"a\0b", 3, 3, -EBADMSG},
	    {"\0", 1, 10, -EBADMSG},
	    {"ab\0", 3, 10, -EBADMSG},
	    {"\xff", 1, 10, -EBADMSG},
	    {"\xc3", 1, 10, -EBADMSG},
	    {"\xc0\xaf", 2, 10, -EBADMSG},
	    {"\xed\xa0\x80", 3, 10, -EBADMSG},
	    {"\xf4\x90\x80\x80", 4, 10, -EBADMSG},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		struct jq_msg_writer w;
		struct jq_msg m;
		const char *s = "untouched";
		char **v = NULL;

		jq_msg_writer_begin(&w, JQ_REP_ERROR);
		jq_msg_put_bytes(&w, JQ_T_MESSAGE, cases[i].data, cases[i].len);
		jq_msg_put_bytes(&w, JQ_T_ARGV, "ok", 2);
		jq_msg_put_bytes(&w, JQ_T_ARGV, cases[i].data, cases[i].len);
		finish_decode(&w, &m);
		jq_msg_writer_release(&w);

		int r = jq_msg_get_str(&m, JQ_T_MESSAGE, cases[i].max, &s);
		if (r != cases[i].r)
			fail_msg("case %zu: jq_msg_get_str = %d, want %d", i, r, cases[i].r);
		if (r == 0)
			assert_memory_equal(s, cases[i].data, cases[i].len);
		else
			assert_string_equal(s, "untouched");
		/* One bad element fails the whole vector. */
		r = jq_msg_get_strv(&m, JQ_T_ARGV, 4096, &v);
		if (cases[i].r == -EBADMSG) {
			assert_int_equal(r, -EBADMSG);
			assert_null(v);
		} else {
			assert_int_equal(r, 0);
			jq_strv_free(v);
		}
		jq_msg_release(&m);
	}
}

static void test_proto_i64_wrong_length(void **state)
{
	static const size_t lens[] = {0, 1, 7, 9, 16};
	static const uint8_t data[16] = {0};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(lens); i++) {
		struct jq_msg_writer w;
		struct jq_msg m;
		int64_t v = 77, *all = NULL;
		size_t n = 77;

		jq_msg_writer_begin(&w, JQ_REQ_SHOW);
		jq_msg_put_i64(&w, JQ_T_AFTER, 5);
		jq_msg_put_bytes(&w, JQ_T_ID, data, lens[i]);
		jq_msg_put_bytes(&w, JQ_T_AFTER, data, lens[i]);
		finish_decode(&w, &m);
		jq_msg_writer_release(&w);

		assert_int_equal(jq_msg_get_i64(&m, JQ_T_ID, &v), -EBADMSG);
		assert_int_equal(v, 77);
		assert_int_equal(jq_msg_get_i64v(&m, JQ_T_AFTER, &all, &n), -EBADMSG);
		assert_null(all);
		assert_int_equal(n, 77);
		jq_msg_release(&m);
	}
}

static void test_proto_tags_allowed(void **state)
{
	static const uint16_t submit[] = {JQ_T_TENANT, JQ_T_ARGV, JQ_T_ENV, JQ_T_CWD};
	static const uint16_t narrow[] = {JQ_T_TENANT, JQ_T_CWD};
	struct jq_msg_writer w;
	struct jq_msg m;

	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);
	assert_int_equal(m.n_fields, 0);
	assert_true(jq_msg_tags_allowed(&m, submit, JQ_ARRAY_SIZE(submit)));
	assert_true(jq_msg_tags_allowed(&m, NULL, 0));
	jq_msg_release(&m);

	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	jq_msg_put_str(&w, JQ_T_ARGV, "true");
	jq_msg_put_str(&w, JQ_T_ARGV, "x");
	jq_msg_put_str(&w, JQ_T_CWD, "/");
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);
	assert_true(jq_msg_tags_allowed(&m, submit, JQ_ARRAY_SIZE(submit)));
	assert_false(jq_msg_tags_allowed(&m, narrow, JQ_ARRAY_SIZE(narrow)));
	assert_false(jq_msg_tags_allowed(&m, submit, 1));
	assert_false(jq_msg_tags_allowed(&m, NULL, 0));
	jq_msg_release(&m);

	/* A tag from outside the enum is just another tag not allowed. */
	jq_msg_writer_begin(&w, JQ_REQ_SUBMIT);
	jq_msg_put_str(&w, JQ_T_TENANT, "acme");
	jq_msg_put_i64(&w, (enum jq_tag)0xffff, 1);
	finish_decode(&w, &m);
	jq_msg_writer_release(&w);
	assert_int_equal(m.fields[1].tag, 0xffff);
	assert_false(jq_msg_tags_allowed(&m, submit, JQ_ARRAY_SIZE(submit)));
	jq_msg_release(&m);
}

static void make_header(uint8_t hdr[JQ_PROTO_HEADER_SIZE], uint32_t len, uint16_t version,
			uint16_t type)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	hdr[4] = (uint8_t)(version >> 8);
	hdr[5] = (uint8_t)version;
	hdr[6] = (uint8_t)(type >> 8);
	hdr[7] = (uint8_t)type;
}

static void test_proto_header(void **state)
{
	static const struct {
		uint32_t len;
		uint16_t version, type;
		int r;
	} cases[] = {
	    {0, JQ_PROTO_VERSION, JQ_REQ_LIST, 0},
	    {12, JQ_PROTO_VERSION, JQ_MSG_EXEC_RESULT, 0},
	    {JQ_PROTO_MAX_PAYLOAD, JQ_PROTO_VERSION, 0xffff, 0},
	    {JQ_PROTO_MAX_PAYLOAD + 1, JQ_PROTO_VERSION, JQ_REQ_LIST, -EMSGSIZE},
	    {UINT32_MAX, JQ_PROTO_VERSION, JQ_REQ_LIST, -EMSGSIZE},
	    {0, 0, JQ_REQ_LIST, -EPROTO},
	    {0, JQ_PROTO_VERSION + 1, JQ_REQ_LIST, -EPROTO},
	    {0, 0x0100, JQ_REQ_LIST, -EPROTO}, /* version 1 little-endian */
	    {UINT32_MAX, 2, JQ_REQ_LIST, -EPROTO},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		uint8_t hdr[JQ_PROTO_HEADER_SIZE];
		uint16_t type = 7;
		uint32_t len = 7;

		make_header(hdr, cases[i].len, cases[i].version, cases[i].type);
		int r = jq_frame_header_parse(hdr, &type, &len);
		if (r != cases[i].r)
			fail_msg("case %zu: jq_frame_header_parse = %d, want %d", i, r, cases[i].r);
		if (r == 0 || r == -EMSGSIZE) {
			/* Set for an oversized frame too: the error message names them. */
			assert_int_equal(type, cases[i].type);
			assert_int_equal(len, cases[i].len);
		} else {
			assert_int_equal(type, 7);
			assert_int_equal(len, 7);
		}

		/* A record file with that header is refused the same way. */
		struct jq_msg m;
		if (r < 0)
			assert_int_equal(jq_msg_decode_frame(hdr, sizeof(hdr), &m), r);
	}
}

static void test_proto_parse_malformed(void **state)
{
	static const struct {
		const char *what;
		uint8_t p[16];
		size_t len;
		int r;
	} cases[] = {
	    {"empty", {0}, 0, 0},
	    {"one empty field", {0, 1, 0, 0, 0, 0}, 6, 0},
	    {"zero tag", {0, 0, 0, 0, 0, 0}, 6, -EBADMSG},
	    {"zero tag after a good field", {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 12, -EBADMSG},
	    {"short field header", {0, 1, 0, 0, 0}, 5, -EBADMSG},
	    {"length past the end by one", {0, 1, 0, 0, 0, 2, 'a'}, 7, -EBADMSG},
	    {"length 0xffffffff", {0, 1, 0xff, 0xff, 0xff, 0xff, 'a'}, 7, -EBADMSG},
	    {"length 0x80000000", {0, 1, 0x80, 0, 0, 0, 'a'}, 7, -EBADMSG},
	    {"trailing byte", {0, 1, 0, 0, 0, 1, 'a', 0}, 8, -EBADMSG},
	};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(cases); i++) {
		struct jq_msg m = {.type = 0x4242};
		int r = jq_msg_parse(JQ_REP_LOG, cases[i].p, cases[i].len, &m);

		if (r != cases[i].r)
			fail_msg("%s: jq_msg_parse = %d, want %d", cases[i].what, r, cases[i].r);
		if (r == 0) {
			assert_int_equal(m.type, JQ_REP_LOG);
			jq_msg_release(&m);
		} else {
			assert_int_equal(m.type, 0x4242);
		}
	}
}

/* A valid frame whose fields have several sizes, and where each field starts. */
static void build_sample(struct jq_msg_writer *w)
{
	static const uint8_t bin[] = {0, 1, 2, 0, 0xff};

	jq_msg_writer_begin(w, JQ_REP_JOB);
	jq_msg_put_i64(w, JQ_T_ID, 12345);
	jq_msg_put_str(w, JQ_T_TENANT, "acme");
	jq_msg_put_str(w, JQ_T_NAME, "");
	jq_msg_put_bytes(w, JQ_T_DATA, bin, sizeof(bin));
	jq_msg_put_str(w, JQ_T_ARGV, "make");
	jq_msg_put_str(w, JQ_T_ARGV, "-j8");
	jq_msg_put_i64(w, JQ_T_EXIT_CODE, -1);
	assert_int_equal(jq_msg_writer_finish(w), 0);
}

/*
 * Every prefix of a valid payload either fails with -EBADMSG or, where it
 * ends on a field boundary, gives exactly the first fields of the whole.
 */
static void test_proto_truncation(void **state)
{
	struct jq_msg_writer w;
	struct jq_msg full;

	build_sample(&w);
	const uint8_t *frame = w.buf.data;
	const size_t flen = w.buf.len, plen = flen - JQ_PROTO_HEADER_SIZE;
	const uint8_t *payload = frame + JQ_PROTO_HEADER_SIZE;
	assert_int_equal(jq_msg_decode_frame(frame, flen, &full), 0);
	assert_int_equal(full.n_fields, 7);

	size_t boundary = 0, n_boundaries = 0;
	for (size_t k = 0; k <= plen; k++) {
		struct jq_msg m = {0};
		size_t want_fields = n_boundaries;
		bool at_boundary = k == boundary;
		int r = jq_msg_parse(full.type, payload, k, &m);

		if (at_boundary) {
			if (r != 0)
				fail_msg("prefix %zu ends a field but parse = %d", k, r);
			assert_int_equal(m.n_fields, want_fields);
			for (size_t i = 0; i < m.n_fields; i++) {
				assert_int_equal(m.fields[i].tag, full.fields[i].tag);
				assert_int_equal(m.fields[i].len, full.fields[i].len);
				assert_memory_equal(m.fields[i].data, full.fields[i].data,
						    full.fields[i].len);
			}
			jq_msg_release(&m);
			if (n_boundaries < full.n_fields) {
				boundary += 6 + full.fields[n_boundaries].len;
				n_boundaries++;
			}
		} else if (r != -EBADMSG) {
			fail_msg("prefix %zu of %zu: parse = %d, want -EBADMSG", k, plen, r);
		}
	}
	assert_int_equal(boundary, plen);

	/* As a record file, any prefix of the frame is refused. */
	for (size_t k = 0; k < flen; k++) {
		struct jq_msg m = {0};
		int r = jq_msg_decode_frame(frame, k, &m);
		if (r != -EBADMSG)
			fail_msg("frame prefix %zu of %zu: decode = %d, want -EBADMSG", k, flen, r);
	}

	/* And so is a frame with anything after it. */
	_cleanup_free_ uint8_t *longer = malloc(flen + 3);
	assert_non_null(longer);
	memcpy(longer, frame, flen);
	memcpy(longer + flen, "xyz", 3);
	for (size_t extra = 1; extra <= 3; extra++) {
		struct jq_msg m = {0};
		assert_int_equal(jq_msg_decode_frame(longer, flen + extra, &m), -EBADMSG);
	}

	/* A field length that claims more than the frame holds. */
	_cleanup_free_ uint8_t *bad = malloc(flen);
	assert_non_null(bad);
	memcpy(bad, frame, flen);
	bad[flen - 9] = 9; /* the last field, an i64, claims 9 bytes: one past the end */
	struct jq_msg m = {0};
	assert_int_equal(jq_msg_decode_frame(bad, flen, &m), -EBADMSG);

	jq_msg_release(&full);
	jq_msg_writer_release(&w);
}

static void test_proto_writer_limit(void **state)
{
	const size_t room = JQ_PROTO_MAX_PAYLOAD - 6;
	_cleanup_free_ uint8_t *big = calloc(1, JQ_PROTO_MAX_PAYLOAD + 1);
	struct jq_msg_writer w;
	struct jq_msg m;

	assert_non_null(big);

	/* Exactly at the limit is fine and decodes. */
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_bytes(&w, JQ_T_DATA, big, room);
	assert_int_equal(jq_msg_writer_finish(&w), 0);
	assert_int_equal(w.buf.len, JQ_PROTO_HEADER_SIZE + JQ_PROTO_MAX_PAYLOAD);
	assert_int_equal(jq_msg_decode_frame(w.buf.data, w.buf.len, &m), 0);
	assert_int_equal(m.n_fields, 1);
	assert_int_equal(m.fields[0].len, room);
	jq_msg_release(&m);

	/* One more field is refused, the error sticks and nothing is appended. */
	size_t len = w.buf.len;
	jq_msg_put_bytes(&w, JQ_T_DATA, "", 0);
	assert_int_equal(w.err, -EMSGSIZE);
	assert_int_equal(w.buf.len, len);
	jq_msg_put_i64(&w, JQ_T_ID, 1);
	jq_msg_put_str(&w, JQ_T_NAME, "x");
	assert_int_equal(w.buf.len, len);
	assert_int_equal(jq_msg_writer_finish(&w), -EMSGSIZE);
	assert_int_equal(jq_msg_write_fd(-1, &w), -EMSGSIZE);
	jq_msg_writer_release(&w);

	/* One byte over in a single field. */
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_bytes(&w, JQ_T_DATA, big, room + 1);
	assert_int_equal(jq_msg_writer_finish(&w), -EMSGSIZE);
	jq_msg_writer_release(&w);

	/* A size that would wrap the arithmetic. */
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_i64(&w, JQ_T_ID, 1);
	jq_msg_put_bytes(&w, JQ_T_DATA, big, SIZE_MAX);
	assert_int_equal(jq_msg_writer_finish(&w), -EMSGSIZE);
	jq_msg_writer_release(&w);

	/* The decoder refuses an oversized payload without reading it. */
	assert_int_equal(jq_msg_parse(JQ_REP_LOG, big, JQ_PROTO_MAX_PAYLOAD + 1, &m), -EMSGSIZE);
}

static void make_socketpair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_proto_fd(void **state)
{
	int sv[2];
	struct jq_msg_writer w;
	struct jq_msg m;
	const char *s;
	int64_t v;

	make_socketpair(sv);
	/* Two frames back to back: each read takes exactly one. */
	jq_msg_writer_begin(&w, JQ_REQ_SHOW);
	jq_msg_put_i64(&w, JQ_T_ID, 42);
	assert_int_equal(jq_msg_write_fd(sv[0], &w), 0);
	jq_msg_writer_release(&w);
	jq_msg_writer_begin(&w, JQ_REP_ERROR);
	jq_msg_put_i64(&w, JQ_T_ERRNO, ENOENT);
	jq_msg_put_str(&w, JQ_T_MESSAGE, "no job '42'");
	assert_int_equal(jq_msg_write_fd(sv[0], &w), 0);
	jq_msg_writer_release(&w);
	jq_msg_writer_begin(&w, JQ_REP_END);
	assert_int_equal(jq_msg_write_fd(sv[0], &w), 0);
	jq_msg_writer_release(&w);

	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(m.type, JQ_REQ_SHOW);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_ID, &v), 0);
	assert_int_equal(v, 42);
	jq_msg_release(&m);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(m.type, JQ_REP_ERROR);
	assert_int_equal(jq_msg_get_i64(&m, JQ_T_ERRNO, &v), 0);
	assert_int_equal(v, ENOENT);
	assert_int_equal(jq_msg_get_str(&m, JQ_T_MESSAGE, 1024, &s), 0);
	assert_string_equal(s, "no job '42'");
	jq_msg_release(&m);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(m.type, JQ_REP_END);
	assert_int_equal(m.n_fields, 0);
	jq_msg_release(&m);

	/* The peer closed between frames. */
	close(sv[0]);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), -EPIPE);
	close(sv[1]);

	/* A bad header on the wire is refused before any payload is read. */
	static const struct {
		uint32_t len;
		uint16_t version;
		int r;
	} bad[] = {
	    {4, 2, -EPROTO},
	    {JQ_PROTO_MAX_PAYLOAD + 1, JQ_PROTO_VERSION, -EMSGSIZE},
	};
	for (size_t i = 0; i < JQ_ARRAY_SIZE(bad); i++) {
		uint8_t hdr[JQ_PROTO_HEADER_SIZE];
		make_socketpair(sv);
		make_header(hdr, bad[i].len, bad[i].version, JQ_REQ_LIST);
		assert_int_equal(jq_write_all(sv[0], hdr, sizeof(hdr)), 0);
		assert_int_equal(jq_msg_read_fd(sv[1], &m), bad[i].r);
		close(sv[0]);
		close(sv[1]);
	}
}

/* The peer writes k bytes of a valid frame and closes: every k gives -EPIPE. */
static void test_proto_fd_peer_closes(void **state)
{
	struct jq_msg_writer w;

	build_sample(&w);
	for (size_t k = 0; k < w.buf.len; k++) {
		struct jq_msg m = {0};
		int sv[2];

		make_socketpair(sv);
		assert_int_equal(jq_write_all(sv[0], w.buf.data, k), 0);
		close(sv[0]);
		int r = jq_msg_read_fd(sv[1], &m);
		if (r != -EPIPE)
			fail_msg("peer closed after %zu of %zu bytes: read = %d, want -EPIPE", k,
				 w.buf.len, r);
		close(sv[1]);
	}

	/*
	 * A peer closing with data of ours unread resets the connection
	 * (ECONNRESET on Linux AF_UNIX): that is the same -EPIPE to the caller.
	 */
	for (size_t k = 0; k < w.buf.len; k += 5) {
		struct jq_msg m = {0};
		int sv[2];

		make_socketpair(sv);
		assert_int_equal(jq_write_all(sv[1], "unread", 6), 0);
		assert_int_equal(jq_write_all(sv[0], w.buf.data, k), 0);
		close(sv[0]);
		int r = jq_msg_read_fd(sv[1], &m);
		if (r != -EPIPE)
			fail_msg("peer reset after %zu bytes: read = %d, want -EPIPE", k, r);
		close(sv[1]);
	}
	jq_msg_writer_release(&w);
}

/* A frame larger than the socket buffer arrives in pieces; a child writes it. */
static void test_proto_fd_large(void **state)
{
	const size_t n = JQ_PROTO_MAX_PAYLOAD - 64;
	_cleanup_free_ uint8_t *data = malloc(n);
	struct jq_msg_writer w;
	struct jq_msg m;
	int sv[2], status;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	jq_msg_writer_begin(&w, JQ_REP_LOG);
	jq_msg_put_i64(&w, JQ_T_STREAM, 2);
	jq_msg_put_bytes(&w, JQ_T_DATA, data, n);
	assert_int_equal(jq_msg_writer_finish(&w), 0);

	make_socketpair(sv);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		int r = jq_msg_write_fd(sv[0], &w);
		/* _exit() skips the cleanups: free here so valgrind sees no leak in the child. */
		jq_msg_writer_release(&w);
		free(data);
		_exit(r == 0 ? 0 : 1);
	}
	close(sv[0]);
	jq_msg_writer_release(&w);
	assert_int_equal(jq_msg_read_fd(sv[1], &m), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[1]);

	assert_int_equal(m.type, JQ_REP_LOG);
	assert_int_equal(m.n_fields, 2);
	assert_int_equal(m.fields[1].tag, JQ_T_DATA);
	assert_int_equal(m.fields[1].len, n);
	assert_memory_equal(m.fields[1].data, data, n);
	jq_msg_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proto_i64),
	    cmocka_unit_test(test_proto_strings),
	    cmocka_unit_test(test_proto_str_validation),
	    cmocka_unit_test(test_proto_i64_wrong_length),
	    cmocka_unit_test(test_proto_tags_allowed),
	    cmocka_unit_test(test_proto_header),
	    cmocka_unit_test(test_proto_parse_malformed),
	    cmocka_unit_test(test_proto_truncation),
	    cmocka_unit_test(test_proto_writer_limit),
	    cmocka_unit_test(test_proto_fd),
	    cmocka_unit_test(test_proto_fd_peer_closes),
	    cmocka_unit_test(test_proto_fd_large),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
