/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jq-log.h"

/* The escaped message of one line, before the " [N more bytes cut]" marker. */
#define LOG_MAX_MESSAGE 8192

static const char *log_ident = "jobq";
static enum jq_log_level log_max = JQ_LOG_INFO;

void jq_log_setup(const char *ident, enum jq_log_level max_level)
{
	log_ident = ident;
	log_max = max_level;
}

/*
 * Characters that are valid UTF-8 but still change how a log line reads:
 * the C1 controls (U+009B is CSI to some terminals), the line and
 * paragraph separators (a line break to some viewers), and the bidi
 * overrides and isolates (they reorder what follows on screen).
 */
static bool cp_needs_escape(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t jq_log_escape(const char *in, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	if (size == 0)
		return 0;
	while (i < len) {
		char esc[4 * 4 + 1];
		size_t n = 1, e = 0;
		uint32_t cp;

		if (s[i] == '\\') {
			memcpy(esc, "\\\\", 2);
			e = 2;
		} else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
			esc[0] = '\\';
			esc[1] = s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : 't';
			e = 2;
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			esc[0] = (char)s[i];
			e = 1;
		} else if (s[i] >= 0x80 && (n = jq_utf8_decode(in + i, len - i, &cp)) > 0 &&
			   !cp_needs_escape(cp)) {
			memcpy(esc, s + i, n);
			e = n;
		} else {
			/* Every byte not shown as itself is \xHH: the escape is reversible. */
			if (n == 0)
				n = 1;
			for (size_t k = 0; k < n; k++) {
				esc[e++] = '\\';
				esc[e++] = 'x';
				esc[e++] = hex[s[i + k] >> 4];
				esc[e++] = hex[s[i + k] & 0xf];
			}
		}
		/* Never half an escape or half a character. */
		if (o + e >= size)
			break;
		memcpy(out + o, esc, e);
		o += e;
		i += n;
	}
	out[o] = '\0';
	return i;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

int jq_log_errno(enum jq_log_level level, int err, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char msg[LOG_MAX_MESSAGE + 1], line[LOG_MAX_MESSAGE + 256];
	size_t len, used;
	va_list ap;
	int saved = errno, n, p;

	if (level > log_max)
		return err;
	/* %m prints strerror(errno): make it the error we were handed. */
	errno = err < 0 ? -err : 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		n = 0;
		msg[0] = '\0';
	}
	/* Each byte escapes to one or more: what does not fit here is cut anyway. */
	len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;

	/*
	 * The message may quote what users sent (paths, arguments, names):
	 * escaped here, so that no caller can forget it, while the prefix and
	 * the line ending, which are ours, stay as they are. One line per
	 * call, written with one write(2), so that the helpers' lines on the
	 * same stderr never land inside it.
	 */
	p = snprintf(line, sizeof(line), "%s: %s: ", log_ident, names[level]);
	if (p < 0 || (size_t)p > sizeof(line) - LOG_MAX_MESSAGE - 64)
		p = 0;
	used = jq_log_escape(msg, len, line + p, LOG_MAX_MESSAGE + 1);
	p += (int)strlen(line + p);
	if (used < (size_t)n)
		p += snprintf(line + p, sizeof(line) - (size_t)p, " [%zu more bytes cut]",
			      (size_t)n - used);
	line[p++] = '\n';
	write_all(STDERR_FILENO, line, (size_t)p);
	errno = saved;
	return err;
}
