/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every module: scope-bound cleanup, ownership
 * transfer, checked arithmetic. common/ depends on nothing but libc.
 */
#ifndef JQ_UTIL_H
#define JQ_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JQ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void jq_freep(void *p)
{
	free(*(void **)p);
}

static inline void jq_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void jq_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Frees a NULL-terminated vector of strings and the vector itself. */
void jq_strv_free(char **v);
static inline void jq_strv_freep(char ***v)
{
	jq_strv_free(*v);
}

#define _cleanup_(f)	 __attribute__((cleanup(f)))
#define _cleanup_free_	 _cleanup_(jq_freep)
#define _cleanup_close_	 _cleanup_(jq_closep)
#define _cleanup_fclose_ _cleanup_(jq_fclosep)
#define _cleanup_strv_	 _cleanup_(jq_strv_freep)
#define _unused_	 __attribute__((unused))
#define _printf_(a, b)	 __attribute__((format(printf, a, b)))
#define _warn_unused_	 __attribute__((warn_unused_result))

/*
 * Evaluates expr, a system call that returns -1 and sets errno on failure,
 * again for as long as it fails with EINTR, and yields its last result.
 * Some kernel paths return EINTR whenever a signal is pending, whatever
 * SA_RESTART says (cgroup v1's memory.limit_in_bytes, for one, while a
 * SIGCHLD waits for jobqd): an interrupted call is retried, never a failure.
 * Not for close(2), which must not be retried on Linux.
 */
#define JQ_RETRY_EINTR(expr)                                                                       \
	({                                                                                         \
		__typeof__(expr) _re;                                                              \
		do                                                                                 \
			_re = (expr);                                                              \
		while (_re == -1 && errno == EINTR);                                               \
		_re;                                                                               \
	})

/* Hands ownership out of a _cleanup_ variable: returns it and clears it. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tp = (p);                                                           \
		(p) = NULL;                                                                        \
		_tp;                                                                               \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tf = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_tf;                                                                               \
	})

/* Number of strings in a NULL-terminated vector (0 for NULL). */
size_t jq_strv_length(char *const *v);

/* Deep copy of a NULL-terminated vector; NULL on allocation failure. */
char **jq_strv_copy(char *const *v);

/*
 * Formats into a newly allocated string. Returns NULL on allocation failure.
 * Used to build the human messages handed out through ret_err parameters.
 */
char *jq_asprintf(const char *fmt, ...) _printf_(1, 2);

/*
 * Writes all of buf to fd, retrying on EINTR and short writes.
 * Returns 0 or -errno.
 */
int jq_write_all(int fd, const void *buf, size_t len);

/*
 * Writes data to path atomically: a temporary file beside it, fsync, rename,
 * fsync of the directory. mode is the file mode. Returns 0 or -errno.
 */
int jq_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Reads a whole file of at most max bytes into a new buffer (NUL-terminated,
 * the NUL not counted in *ret_len). -EFBIG if the file is larger than max.
 */
int jq_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len);

/* Creates path and missing parents with mode (like mkdir -p). 0 or -errno. */
int jq_mkdir_p(const char *path, mode_t mode);

/* Removes a directory tree (no symlinks followed). 0 or -errno; -ENOENT is 0. */
int jq_rm_rf(const char *path);

/*
 * Length (1..4) of the valid UTF-8 character at s (at most len bytes), its
 * code point in *ret_cp; 0 if there is none (len 0, an overlong form, a
 * surrogate, past U+10FFFF, a stray or missing continuation byte).
 */
size_t jq_utf8_decode(const char *s, size_t len, uint32_t *ret_cp);

/* True if s is valid UTF-8 (no overlongs, no surrogates) of length len. */
bool jq_utf8_valid(const char *s, size_t len);

#endif
