/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-paths.h"
#include "jq-util.h"

const char *jq_config_path(const char *explicit_path)
{
	const char *e;

	if (explicit_path)
		return explicit_path;
	e = getenv("JOBQ_CONFIG");
	if (e && *e)
		return e;
	return JQ_DEFAULT_CONFIG;
}

char *jq_path_normalize(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(n + 2);
	size_t len = 0;
	const char *p = path;

	if (!out)
		return NULL;
	if (path[0] != '/') {
		free(out);
		errno = EINVAL;
		return NULL;
	}
	while (*p) {
		const char *seg;
		size_t sl;
		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		sl = (size_t)(p - seg);
		if (sl == 0 || (sl == 1 && seg[0] == '.'))
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			/* Up one: drop the last component; "/.." is "/". */
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, seg, sl);
		len += sl;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

bool jq_path_canonical(const char *path)
{
	const char *p = path;

	if (p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	while (*p) {
		const char *seg = ++p;
		while (*p && *p != '/')
			p++;
		if (p == seg || (p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
	}
	return true;
}

bool jq_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

const char *jq_path_kernel_dir(const char *path)
{
	static const char *const dirs[] = {"/proc", "/sys", "/dev"};

	for (size_t i = 0; i < JQ_ARRAY_SIZE(dirs); i++)
		if (jq_path_under(path, dirs[i]))
			return dirs[i];
	return NULL;
}

static char *resolve(const char *config_path, const char *p)
{
	const char *slash;

	if (p[0] == '/')
		return strdup(p);
	slash = strrchr(config_path, '/');
	if (!slash) {
		/* The config file is in the current directory. */
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		return jq_asprintf("%s/%s", cwd, p);
	}
	if (config_path[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		return jq_asprintf("%s/%.*s/%s", cwd, (int)(slash - config_path), config_path, p);
	}
	return jq_asprintf("%.*s/%s", (int)(slash - config_path), config_path, p);
}

char *jq_path_resolve(const char *config_path, const char *p)
{
	_cleanup_free_ char *r = resolve(config_path, p);

	return r ? jq_path_normalize(r) : NULL;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int jq_ini_read_socket(const char *config_path, char **ret_socket)
{
	_cleanup_free_ char *data = NULL;
	char *save = NULL, *line;
	bool in_daemon = false;
	int r;

	r = jq_read_file(config_path, 1024 * 1024, &data, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s = strip(line), *eq, *c;
		if (*s == '[') {
			c = strchr(s, ']');
			in_daemon = c && (size_t)(c - s) == 7 && !strncmp(s, "[daemon]", 8);
			continue;
		}
		if (!in_daemon || *s == ';' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(strip(s), "socket"))
			continue;
		/* Inline comments start with " ;" as in inih. */
		c = eq + 1;
		for (char *q = c; *q; q++)
			if (*q == ';' && q > c && isspace((unsigned char)q[-1])) {
				*q = '\0';
				break;
			}
		char *v = strip(c);
		char *res = jq_path_resolve(config_path, v);
		if (!res)
			return -ENOMEM;
		*ret_socket = res;
		return 0;
	}
	*ret_socket = strdup(JQ_DEFAULT_SOCKET);
	return *ret_socket ? 0 : -ENOMEM;
}
