/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include "jq-log.h"

static const char *log_ident = "jobq";
static enum jq_log_level log_max = JQ_LOG_INFO;

void jq_log_setup(const char *ident, enum jq_log_level max_level)
{
	log_ident = ident;
	log_max = max_level;
}

int jq_log_errno(enum jq_log_level level, int err, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[4096];
	va_list ap;
	int saved = errno;

	if (level > log_max)
		return err;
	/* %m prints strerror(errno): make it the error we were handed. */
	errno = err < 0 ? -err : 0;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", log_ident, names[level], line);
	errno = saved;
	return err;
}
