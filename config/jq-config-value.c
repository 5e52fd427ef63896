/* SPDX-License-Identifier: MIT */
/*
 * Typed values of the INI file: every parser names the file, the line, the
 * key and the value when it refuses one.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jq-config-internal.h"
#include "jq-parse.h"
#include "jq-paths.h"

int jq_config_fail(struct jq_config_parser *p, int line, int r, const char *key, const char *value,
		   const char *fmt, ...)
{
	_cleanup_free_ char *what = NULL;
	va_list ap;

	if (p->r < 0)
		return p->r;
	p->r = r;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (!what)
		return r;

	if (key && value)
		p->err = jq_asprintf("%s:%d: %s: %s '%s'", p->file, line, key, what, value);
	else if (key)
		p->err = jq_asprintf("%s:%d: %s: %s", p->file, line, key, what);
	else if (value)
		p->err = jq_asprintf("%s:%d: %s '%s'", p->file, line, what, value);
	else
		p->err = jq_asprintf("%s:%d: %s", p->file, line, what);
	return r;
}

int jq_config_set_key(struct jq_config_parser *p, const struct jq_config_key *keys, size_t n,
		      void *obj, const char *in, const char *name, const char *value)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			break;
	if (i == n)
		return jq_config_fail(p, p->line, -EINVAL, name, value, "unknown key in [%s]", in);
	if (!keys[i].repeatable && p->key_line[i])
		return jq_config_fail(p, p->line, -EINVAL, name, value,
				      "duplicate key (first set on line %d)", p->key_line[i]);
	if (!*value)
		return jq_config_fail(p, p->line, -EINVAL, name, NULL, "empty value");
	/* inih takes "key = ; comment" as the value "; comment". */
	if (*value == ';' || *value == '#')
		return jq_config_fail(p, p->line, -EINVAL, name, value,
				      "value starts like a comment");

	r = keys[i].parse(p, &keys[i], obj, value);
	if (r < 0)
		return r;
	p->key_line[i] = p->line;
	return 0;
}

static int64_t *field_int64(const struct jq_config_key *k, void *obj)
{
	return (int64_t *)((char *)obj + k->offset);
}

static char **field_str(const struct jq_config_key *k, void *obj)
{
	return (char **)((char *)obj + k->offset);
}

static int check_range(struct jq_config_parser *p, const struct jq_config_key *k, const char *value,
		       int r, uint64_t v, const char *what, int64_t *ret)
{
	if (r == -EINVAL)
		return jq_config_fail(p, p->line, r, k->name, value, "not %s", what);
	if (r < 0 || v > (uint64_t)k->max || (int64_t)v < k->min)
		return jq_config_fail(p, p->line, -ERANGE, k->name, value, "out of range %s",
				      k->range);
	*ret = (int64_t)v;
	return 0;
}

int jq_config_parse_int(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			const char *value)
{
	int64_t v;
	int r;

	r = jq_parse_int64(value, k->min, k->max, &v);
	if (r == -EINVAL)
		return jq_config_fail(p, p->line, r, k->name, value, "not an integer");
	if (r < 0)
		return jq_config_fail(p, p->line, -ERANGE, k->name, value, "out of range %s",
				      k->range);
	*field_int64(k, obj) = v;
	return 0;
}

int jq_config_parse_size(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	uint64_t v = 0;
	int r;

	r = jq_parse_size(value, &v);
	return check_range(p, k, value, r, v, "a size (bytes or K/M/G/T)", field_int64(k, obj));
}

int jq_config_parse_duration(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			     const char *value)
{
	uint64_t v = 0;
	int r;

	r = jq_parse_duration(value, &v);
	return check_range(p, k, value, r, v, "a duration (s/m/h/d)", field_int64(k, obj));
}

int jq_config_parse_cpus(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	uint64_t v = 0;
	int r;

	r = jq_parse_cpus(value, &v);
	return check_range(p, k, value, r, v, "a number of CPUs (up to three decimals)",
			   field_int64(k, obj));
}

static bool list_item_valid(const char *s, size_t n)
{
	/* Account names: anything else could not match a user or group anyway. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isspace(c) || c == ':' || c == '/' || iscntrl(c))
			return false;
	}
	return n > 0 && n <= LOGIN_NAME_MAX;
}

int jq_config_parse_list(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	char ***vec = (char ***)((char *)obj + k->offset);
	size_t have = jq_strv_length(*vec), add = 1, i;
	const char *s;
	char **n;

	for (s = value; *s; s++)
		if (*s == ',')
			add++;
	/* Checked before the vector grows: the file alone decides how big it gets. */
	if (have + add > JQ_CONFIG_MAX_LIST)
		return jq_config_fail(p, p->line, -E2BIG, k->name, NULL,
				      "too many entries (at most %d in all lines of the section)",
				      JQ_CONFIG_MAX_LIST);

	/* Validate every item first, so a refused line leaves the vector as it was. */
	for (s = value;;) {
		const char *e = strchrnul(s, ','), *a = s, *b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b)
			return jq_config_fail(p, p->line, -EINVAL, k->name, value,
					      "empty list item");
		if (!list_item_valid(a, (size_t)(b - a))) {
			_cleanup_free_ char *item = strndup(a, (size_t)(b - a));
			if (!item)
				return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL,
						      "out of memory");
			return jq_config_fail(p, p->line, -EINVAL, k->name, item,
					      "invalid account name");
		}
		if (!*e)
			break;
		s = e + 1;
	}

	n = realloc(*vec, (have + add + 1) * sizeof(char *));
	if (!n)
		return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
	*vec = n;
	for (s = value, i = have;;) {
		const char *e = strchrnul(s, ','), *a = s, *b = e;
		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)b[-1]))
			b--;
		n[i] = strndup(a, (size_t)(b - a));
		if (!n[i])
			return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
		n[++i] = NULL;
		if (!*e)
			break;
		s = e + 1;
	}
	return 0;
}

int jq_config_parse_path(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	char **field = field_str(k, obj);
	char *path;

	path = jq_path_resolve(p->config->path, value);
	if (!path)
		return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
	if (strlen(path) > (size_t)k->max) {
		int r = jq_config_fail(p, p->line, -ENAMETOOLONG, k->name, path,
				       "path longer than %" PRId64 " bytes", k->max);
		free(path);
		return r;
	}
	free(*field);
	*field = path;
	return 0;
}

int jq_config_parse_name(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value)
{
	char **field = field_str(k, obj);
	char *s;

	if (!jq_tenant_name_valid(value))
		return jq_config_fail(p, p->line, -EINVAL, k->name, value,
				      "not a name of 1..64 letters, digits, '_' or '-'");
	s = strdup(value);
	if (!s)
		return jq_config_fail(p, p->line, -ENOMEM, k->name, NULL, "out of memory");
	free(*field);
	*field = s;
	return 0;
}

int jq_config_parse_choice(struct jq_config_parser *p, const struct jq_config_key *k,
			   const char *value, const char *const *names, size_t n, int *ret)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], value)) {
			*ret = (int)i;
			return 0;
		}
	return jq_config_fail(p, p->line, -EINVAL, k->name, value, "not one of %s", k->range);
}
