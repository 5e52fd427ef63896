/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "jq-util.h"

void jq_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t jq_strv_length(char *const *v)
{
	size_t n = 0;

	if (!v)
		return 0;
	while (v[n])
		n++;
	return n;
}

char **jq_strv_copy(char *const *v)
{
	size_t n = jq_strv_length(v);
	char **c = calloc(n + 1, sizeof(char *));

	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			jq_strv_free(c);
			return NULL;
		}
	}
	return c;
}

char *jq_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

int jq_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_parent_dir(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int dfd = -1;

	if (!copy)
		return -ENOMEM;
	dfd = JQ_RETRY_EINTR(open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dfd < 0)
		return -errno;
	if (JQ_RETRY_EINTR(fsync(dfd)) < 0)
		return -errno;
	return 0;
}

int jq_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = jq_asprintf("%s.tmp.%ld", path, (long)getpid());
	_cleanup_close_ int fd = -1;
	int r;

	if (!tmp)
		return -ENOMEM;
	fd = JQ_RETRY_EINTR(open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
	if (fd < 0)
		return -errno;
	r = jq_write_all(fd, data, len);
	if (r >= 0 && JQ_RETRY_EINTR(fsync(fd)) < 0)
		r = -errno;
	if (r >= 0 && JQ_RETRY_EINTR(rename(tmp, path)) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync_parent_dir(path);
}

int jq_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = JQ_RETRY_EINTR(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *n;
			if (cap > max)
				return -EFBIG;
			n = realloc(buf, ncap + 1);
			if (!n)
				return -ENOMEM;
			buf = n;
			cap = ncap;
		}
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max)
			return -EFBIG;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*ret_data = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int jq_mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (JQ_RETRY_EINTR(mkdir(p, mode)) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (JQ_RETRY_EINTR(mkdir(p, mode)) < 0) {
		struct stat st;
		if (errno != EEXIST)
			return -errno;
		/* EEXIST also means a file or a dangling symlink is in the way. */
		if (JQ_RETRY_EINTR(stat(p, &st)) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}

static int rm_rf_at(int dfd, const char *name)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (JQ_RETRY_EINTR(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return JQ_RETRY_EINTR(unlinkat(dfd, name, 0)) < 0 && errno != ENOENT ? -errno : 0;
	fd = JQ_RETRY_EINTR(openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int k = rm_rf_at(dirfd(d), de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(d);
	if (JQ_RETRY_EINTR(unlinkat(dfd, name, AT_REMOVEDIR)) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int jq_rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

size_t jq_utf8_decode(const char *str, size_t len, uint32_t *ret_cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c;
	uint32_t cp;
	size_t n;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*ret_cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

bool jq_utf8_valid(const char *str, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = jq_utf8_decode(str + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
