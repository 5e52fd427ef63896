/* SPDX-License-Identifier: MIT */
/*
 * The stored forms of the job's vectors. argv and env are kept as data,
 * never joined into a shell string: each string is followed by one NUL, and
 * the strings are concatenated, so any byte but NUL (spaces, quotes,
 * newlines, UTF-8 or not) round-trips. Id lists are 8-byte big-endian
 * signed integers. Decoders treat malformed blobs as corruption (-EIO) and
 * bound every allocation by the blob's size, itself capped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-store-internal.h"
#include "jq-util.h"

int jq_store_strv_encode(char *const *v, char **ret_buf, size_t *ret_len)
{
	size_t total = 0;
	char *buf, *p;

	for (size_t i = 0; v && v[i]; i++) {
		size_t l = strlen(v[i]) + 1;

		if (l > JQ_STORE_MAX_VALUE - total)
			return -E2BIG;
		total += l;
	}
	if (total == 0) {
		*ret_buf = NULL;
		*ret_len = 0;
		return 0;
	}

	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (size_t i = 0; v[i]; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(p, v[i], l);
		p += l;
	}
	*ret_buf = buf;
	*ret_len = total;
	return 0;
}

int jq_store_strv_decode(const void *buf, size_t len, char ***ret)
{
	_cleanup_strv_ char **v = NULL;
	const char *b = buf, *p;
	size_t n = 0;

	if (len > JQ_STORE_MAX_VALUE)
		return -E2BIG;
	if (len > 0 && (!b || b[len - 1] != '\0'))
		return -EIO;
	for (size_t i = 0; i < len; i++)
		if (b[i] == '\0')
			n++;

	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	p = b;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(p);

		v[i] = strndup(p, l);
		if (!v[i])
			return -ENOMEM;
		p += l + 1;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

int jq_store_ids_encode(const int64_t *ids, size_t n, uint8_t **ret_buf, size_t *ret_len)
{
	uint8_t *buf;

	if (n > JQ_STORE_MAX_VALUE / 8)
		return -E2BIG;
	if (n == 0) {
		*ret_buf = NULL;
		*ret_len = 0;
		return 0;
	}
	buf = malloc(n * 8);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t u = (uint64_t)ids[i];

		for (int k = 0; k < 8; k++)
			buf[i * 8 + k] = (uint8_t)(u >> (56 - 8 * k));
	}
	*ret_buf = buf;
	*ret_len = n * 8;
	return 0;
}

int jq_store_ids_decode(const void *buf, size_t len, int64_t **ret, size_t *ret_n)
{
	const uint8_t *b = buf;
	int64_t *ids;
	size_t n;

	if (len > JQ_STORE_MAX_VALUE)
		return -E2BIG;
	if (len % 8 != 0 || (len > 0 && !b))
		return -EIO;
	n = len / 8;
	if (n == 0) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	ids = malloc(n * sizeof(int64_t));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t u = 0;

		for (int k = 0; k < 8; k++)
			u = (u << 8) | b[i * 8 + k];
		ids[i] = (int64_t)u;
	}
	*ret = ids;
	*ret_n = n;
	return 0;
}
