/* SPDX-License-Identifier: MIT */
/*
 * Logging for the programs' edges (jobqd, jobq-exec). Library code in the
 * modules does not log above debug: it returns -errno and, where a person
 * must read the reason, a message; the caller that knows what it means logs
 * once with context.
 */
#ifndef JQ_LOG_H
#define JQ_LOG_H

#include "jq-util.h"

enum jq_log_level {
	JQ_LOG_ERROR = 0,
	JQ_LOG_WARNING,
	JQ_LOG_INFO,
	JQ_LOG_DEBUG,
};

/* Sets the program name prefix and the most verbose level printed. */
void jq_log_setup(const char *ident, enum jq_log_level max_level);

/*
 * Logs one line to stderr: "<ident>: <level>: message". %m in fmt is
 * replaced by strerror(-err) when err < 0. The formatted message is escaped
 * with jq_log_escape() (it may quote user input: one event is one line);
 * past 8 KiB of escaped text it is cut, and the line says how many bytes
 * were cut. Returns err, so that callers can write
 * `return jq_log_errno(JQ_LOG_ERROR, r, "...")`.
 */
int jq_log_errno(enum jq_log_level level, int err, const char *fmt, ...) _printf_(3, 4);

/*
 * Copies len bytes of in to out (size bytes, NUL-terminated) so that the
 * text is one line that cannot pass for another: backslash becomes "\\",
 * newline, carriage return and tab "\n", "\r", "\t", and every other
 * byte that is not shown as itself becomes "\xHH": the C0 controls and
 * DEL, bytes of invalid UTF-8 (overlong, surrogate, cut or stray), and the
 * bytes of valid characters that change how a line reads (C1 controls,
 * U+2028/U+2029, bidi overrides and isolates). Printable ASCII and other
 * valid UTF-8 are kept. Stops before an escape or a character that would
 * not fit whole. Returns the number of input bytes consumed (len if all).
 * The client escapes every text of the daemon's it shows with this too
 * (cli/render.c): one rule for the log and for the terminal.
 */
size_t jq_log_escape(const char *in, size_t len, char *out, size_t size);

#define jq_log_error(...)	     jq_log_errno(JQ_LOG_ERROR, 0, __VA_ARGS__)
#define jq_log_warning(...)	     jq_log_errno(JQ_LOG_WARNING, 0, __VA_ARGS__)
#define jq_log_info(...)	     jq_log_errno(JQ_LOG_INFO, 0, __VA_ARGS__)
#define jq_log_debug(...)	     jq_log_errno(JQ_LOG_DEBUG, 0, __VA_ARGS__)
#define jq_log_error_errno(r, ...)   jq_log_errno(JQ_LOG_ERROR, (r), __VA_ARGS__)
#define jq_log_warning_errno(r, ...) jq_log_errno(JQ_LOG_WARNING, (r), __VA_ARGS__)

#endif
