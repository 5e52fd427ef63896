/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jq-protocol.h"
#include "jq-util.h"

#define FIELD_HEADER 6

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void jq_buf_release(struct jq_buf *b)
{
	free(b->data);
	*b = (struct jq_buf){0};
}

static int buf_reserve(struct jq_buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *n;

	if (extra > SIZE_MAX - b->len)
		return -ENOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	n = realloc(b->data, ncap);
	if (!n)
		return -ENOMEM;
	b->data = n;
	b->cap = ncap;
	return 0;
}

void jq_msg_writer_begin(struct jq_msg_writer *w, enum jq_msg_type type)
{
	*w = (struct jq_msg_writer){0};
	w->err = buf_reserve(&w->buf, JQ_PROTO_HEADER_SIZE);
	if (w->err < 0)
		return;
	memset(w->buf.data, 0, JQ_PROTO_HEADER_SIZE);
	put_be16(w->buf.data + 4, JQ_PROTO_VERSION);
	put_be16(w->buf.data + 6, (uint16_t)type);
	w->buf.len = JQ_PROTO_HEADER_SIZE;
}

void jq_msg_put_bytes(struct jq_msg_writer *w, enum jq_tag tag, const void *p, size_t n)
{
	if (w->err < 0)
		return;
	if (n > JQ_PROTO_MAX_PAYLOAD ||
	    w->buf.len - JQ_PROTO_HEADER_SIZE + FIELD_HEADER + n > JQ_PROTO_MAX_PAYLOAD) {
		w->err = -EMSGSIZE;
		return;
	}
	w->err = buf_reserve(&w->buf, FIELD_HEADER + n);
	if (w->err < 0)
		return;
	put_be16(w->buf.data + w->buf.len, (uint16_t)tag);
	put_be32(w->buf.data + w->buf.len + 2, (uint32_t)n);
	if (n)
		memcpy(w->buf.data + w->buf.len + FIELD_HEADER, p, n);
	w->buf.len += FIELD_HEADER + n;
}

void jq_msg_put_i64(struct jq_msg_writer *w, enum jq_tag tag, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)u;
		u >>= 8;
	}
	jq_msg_put_bytes(w, tag, b, sizeof(b));
}

void jq_msg_put_i64_opt(struct jq_msg_writer *w, enum jq_tag tag, int64_t v)
{
	if (v != -1)
		jq_msg_put_i64(w, tag, v);
}

void jq_msg_put_str(struct jq_msg_writer *w, enum jq_tag tag, const char *s)
{
	if (s)
		jq_msg_put_bytes(w, tag, s, strlen(s));
}

int jq_msg_writer_finish(struct jq_msg_writer *w)
{
	if (w->err < 0)
		return w->err;
	put_be32(w->buf.data, (uint32_t)(w->buf.len - JQ_PROTO_HEADER_SIZE));
	return 0;
}

void jq_msg_writer_release(struct jq_msg_writer *w)
{
	jq_buf_release(&w->buf);
	w->err = 0;
}

int jq_frame_header_parse(const uint8_t hdr[JQ_PROTO_HEADER_SIZE], uint16_t *ret_type,
			  uint32_t *ret_len)
{
	uint32_t len = get_be32(hdr);

	if (get_be16(hdr + 4) != JQ_PROTO_VERSION)
		return -EPROTO;
	*ret_type = get_be16(hdr + 6);
	*ret_len = len;
	return len > JQ_PROTO_MAX_PAYLOAD ? -EMSGSIZE : 0;
}

uint32_t jq_proto_request_max_payload(uint16_t type)
{
	return type == JQ_REQ_SUBMIT ? JQ_PROTO_MAX_PAYLOAD : JQ_PROTO_MAX_REQUEST;
}

const char *jq_proto_request_name(uint16_t type)
{
	static const char *const names[] = {
	    [JQ_REQ_SUBMIT] = "submit", [JQ_REQ_LIST] = "list",	      [JQ_REQ_SHOW] = "show",
	    [JQ_REQ_LOGS] = "logs",	[JQ_REQ_CANCEL] = "cancel",   [JQ_REQ_WAIT] = "wait",
	    [JQ_REQ_HOLD] = "hold",	[JQ_REQ_RELEASE] = "release", [JQ_REQ_SHARE] = "share",
	    [JQ_REQ_REPORT] = "report", [JQ_REQ_DOCTOR] = "doctor",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

int jq_msg_parse(uint16_t type, const uint8_t *payload, size_t len, struct jq_msg *ret)
{
	size_t n = 0, off = 0, total = 0;
	struct jq_field *fields;
	char *storage, *p;

	if (len > JQ_PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	/* First pass: validate the framing and count. */
	while (off < len) {
		uint32_t flen;
		if (len - off < FIELD_HEADER)
			return -EBADMSG;
		if (get_be16(payload + off) == 0)
			return -EBADMSG;
		flen = get_be32(payload + off + 2);
		if (flen > len - off - FIELD_HEADER)
			return -EBADMSG;
		off += FIELD_HEADER + flen;
		total += flen + 1;
		n++;
	}
	fields = calloc(n ? n : 1, sizeof(*fields));
	storage = malloc(total ? total : 1);
	if (!fields || !storage) {
		free(fields);
		free(storage);
		return -ENOMEM;
	}
	p = storage;
	off = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t flen = get_be32(payload + off + 2);
		fields[i].tag = get_be16(payload + off);
		fields[i].len = flen;
		memcpy(p, payload + off + FIELD_HEADER, flen);
		p[flen] = '\0';
		fields[i].data = p;
		p += flen + 1;
		off += FIELD_HEADER + flen;
	}
	*ret = (struct jq_msg){.type = type, .n_fields = n, .fields = fields, .storage = storage};
	return 0;
}

void jq_msg_release(struct jq_msg *m)
{
	if (!m)
		return;
	free(m->fields);
	free(m->storage);
	*m = (struct jq_msg){0};
}

size_t jq_msg_count(const struct jq_msg *m, enum jq_tag tag)
{
	size_t c = 0;

	for (size_t i = 0; i < m->n_fields; i++)
		if (m->fields[i].tag == tag)
			c++;
	return c;
}

bool jq_msg_tags_allowed(const struct jq_msg *m, const uint16_t *allowed, size_t n)
{
	for (size_t i = 0; i < m->n_fields; i++) {
		bool ok = false;
		for (size_t k = 0; k < n && !ok; k++)
			ok = m->fields[i].tag == allowed[k];
		if (!ok)
			return false;
	}
	return true;
}

static const struct jq_field *find(const struct jq_msg *m, enum jq_tag tag)
{
	for (size_t i = 0; i < m->n_fields; i++)
		if (m->fields[i].tag == tag)
			return &m->fields[i];
	return NULL;
}

static int field_i64(const struct jq_field *f, int64_t *ret)
{
	uint64_t u = 0;

	if (f->len != 8)
		return -EBADMSG;
	for (int i = 0; i < 8; i++)
		u = (u << 8) | (uint8_t)f->data[i];
	*ret = (int64_t)u;
	return 0;
}

static int field_str(const struct jq_field *f, size_t max)
{
	if (f->len > max)
		return -E2BIG;
	if (memchr(f->data, '\0', f->len) || !jq_utf8_valid(f->data, f->len))
		return -EBADMSG;
	return 0;
}

int jq_msg_get_i64(const struct jq_msg *m, enum jq_tag tag, int64_t *ret)
{
	const struct jq_field *f = find(m, tag);

	if (!f)
		return -ENOENT;
	return field_i64(f, ret);
}

int jq_msg_get_str(const struct jq_msg *m, enum jq_tag tag, size_t max, const char **ret)
{
	const struct jq_field *f = find(m, tag);
	int r;

	if (!f)
		return -ENOENT;
	r = field_str(f, max);
	if (r < 0)
		return r;
	*ret = f->data;
	return 0;
}

int jq_msg_get_strv(const struct jq_msg *m, enum jq_tag tag, size_t max, char ***ret)
{
	size_t n = jq_msg_count(m, tag), k = 0;
	_cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_fields; i++) {
		const struct jq_field *f = &m->fields[i];
		int r;
		if (f->tag != tag)
			continue;
		r = field_str(f, max);
		if (r < 0)
			return r;
		v[k] = strdup(f->data);
		if (!v[k])
			return -ENOMEM;
		k++;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

int jq_msg_get_i64v(const struct jq_msg *m, enum jq_tag tag, int64_t **ret, size_t *ret_n)
{
	size_t n = jq_msg_count(m, tag), k = 0;
	_cleanup_free_ int64_t *v = calloc(n ? n : 1, sizeof(int64_t));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_fields; i++) {
		int r;
		if (m->fields[i].tag != tag)
			continue;
		r = field_i64(&m->fields[i], &v[k++]);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static int read_exact(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A Linux AF_UNIX peer that closed with our data unread resets. */
			return errno == ECONNRESET ? -EPIPE : -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int jq_msg_read_fd(int fd, struct jq_msg *ret)
{
	uint8_t hdr[JQ_PROTO_HEADER_SIZE];
	_cleanup_free_ uint8_t *payload = NULL;
	uint16_t type;
	uint32_t len;
	int r;

	r = read_exact(fd, hdr, sizeof(hdr));
	if (r < 0)
		return r;
	r = jq_frame_header_parse(hdr, &type, &len);
	if (r < 0)
		return r;
	payload = malloc(len ? len : 1);
	if (!payload)
		return -ENOMEM;
	r = read_exact(fd, payload, len);
	if (r < 0)
		return r;
	return jq_msg_parse(type, payload, len, ret);
}

int jq_msg_write_fd(int fd, struct jq_msg_writer *w)
{
	int r = jq_msg_writer_finish(w);

	if (r < 0)
		return r;
	return jq_write_all(fd, w->buf.data, w->buf.len);
}

int jq_msg_decode_frame(const uint8_t *frame, size_t len, struct jq_msg *ret)
{
	uint16_t type;
	uint32_t plen;
	int r;

	if (len < JQ_PROTO_HEADER_SIZE)
		return -EBADMSG;
	r = jq_frame_header_parse(frame, &type, &plen);
	if (r < 0)
		return r;
	if (plen != len - JQ_PROTO_HEADER_SIZE)
		return -EBADMSG;
	return jq_msg_parse(type, frame + JQ_PROTO_HEADER_SIZE, plen, ret);
}
