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
 * replaced by strerror(-err) when err < 0. Returns err, so that callers can
 * write `return jq_log_errno(JQ_LOG_ERROR, r, "...")`.
 */
int jq_log_errno(enum jq_log_level level, int err, const char *fmt, ...) _printf_(3, 4);

#define jq_log_error(...)	     jq_log_errno(JQ_LOG_ERROR, 0, __VA_ARGS__)
#define jq_log_warning(...)	     jq_log_errno(JQ_LOG_WARNING, 0, __VA_ARGS__)
#define jq_log_info(...)	     jq_log_errno(JQ_LOG_INFO, 0, __VA_ARGS__)
#define jq_log_debug(...)	     jq_log_errno(JQ_LOG_DEBUG, 0, __VA_ARGS__)
#define jq_log_error_errno(r, ...)   jq_log_errno(JQ_LOG_ERROR, (r), __VA_ARGS__)
#define jq_log_warning_errno(r, ...) jq_log_errno(JQ_LOG_WARNING, (r), __VA_ARGS__)

#endif
