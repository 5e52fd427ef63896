/* SPDX-License-Identifier: MIT */
/*
 * Admission (hostile queries, issue 11): a job that asks for more than its
 * tenant's caps or than the host has is refused, not clamped. Clamping a
 * request to the host's memory budget would still let it start alone on
 * an idle host ("a job alone always fits") and then hold every other
 * tenant on "host memory budget" until it ends; a refusal with the numbers
 * tells the submitter at once what they may ask for.
 *
 * The same check runs at submit (the request is refused) and again when
 * the job's turn comes (a reload may have lowered a cap since: the job
 * ends failed_to_start with the same message), so no job waits for ever
 * on a limit it can never meet. docs/scheduling.md, "Admission".
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "jobqd.h"
#include "jq-parse.h"
#include "jq-util.h"

int64_t jq_admission_host_cpus_milli(void)
{
	cpu_set_t set;
	long n;

	/* The CPUs jobqd (and so every job under its cgroup) may run on. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (int64_t)CPU_COUNT(&set) * 1000;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int64_t)n * 1000 : -1;
}

static char *cpus_str(int64_t milli, char *buf, size_t n)
{
	if (milli % 1000 == 0)
		snprintf(buf, n, "%" PRId64, milli / 1000);
	else
		snprintf(buf, n, "%" PRId64 ".%03" PRId64, milli / 1000, milli % 1000);
	/* 0.500 -> 0.5 */
	for (size_t l = strlen(buf); l > 0 && strchr(buf, '.') && buf[l - 1] == '0'; l--)
		buf[l - 1] = '\0';
	return buf;
}

int jq_admission_check(const struct jq_limits *req, const struct jq_tenant_config *t,
		       const struct jq_admission_host *host, char **ret_err)
{
	char a[32], b[32];
	char *msg = NULL;

	if (req->memory_bytes > 0 && t->memory_max > 0 && req->memory_bytes > t->memory_max)
		msg = jq_asprintf("--memory %s exceeds tenant '%s' memory_max (%s)",
				  jq_format_size((uint64_t)req->memory_bytes, a, sizeof(a)),
				  t->name, jq_format_size((uint64_t)t->memory_max, b, sizeof(b)));
	else if (req->memory_bytes > 0 && host->memory_budget > 0 &&
		 req->memory_bytes > host->memory_budget)
		msg = jq_asprintf("--memory %s exceeds the host's memory budget (%s, [daemon] "
				  "memory_budget)",
				  jq_format_size((uint64_t)req->memory_bytes, a, sizeof(a)),
				  jq_format_size((uint64_t)host->memory_budget, b, sizeof(b)));
	else if (req->memory_bytes == JQ_LIMIT_UNSET && t->default_memory > 0 &&
		 host->memory_budget > 0 && t->default_memory > host->memory_budget)
		msg =
		    jq_asprintf("tenant '%s' default_memory (%s) exceeds the host's memory "
				"budget (%s, [daemon] memory_budget): give --memory",
				t->name, jq_format_size((uint64_t)t->default_memory, a, sizeof(a)),
				jq_format_size((uint64_t)host->memory_budget, b, sizeof(b)));
	else if (req->cpus_milli > 0 && t->cpu_max_milli > 0 && req->cpus_milli > t->cpu_max_milli)
		msg = jq_asprintf("--cpus %s exceeds tenant '%s' cpu_max (%s)",
				  cpus_str(req->cpus_milli, a, sizeof(a)), t->name,
				  cpus_str(t->cpu_max_milli, b, sizeof(b)));
	else if (req->cpus_milli > 0 && host->cpus_milli > 0 && req->cpus_milli > host->cpus_milli)
		msg = jq_asprintf("--cpus %s exceeds the host's %s CPUs",
				  cpus_str(req->cpus_milli, a, sizeof(a)),
				  cpus_str(host->cpus_milli, b, sizeof(b)));
	else if (req->pids > 0 && t->pids_max > 0 && req->pids > t->pids_max)
		msg = jq_asprintf("--pids %" PRId64 " exceeds tenant '%s' pids_max (%" PRId64 ")",
				  req->pids, t->name, t->pids_max);
	/*
	 * Without a tenant pids_max a job gets JQ_EXEC_NPROC_DEFAULT tasks
	 * (RLIMIT_NPROC): a member must not lift that bound for itself with
	 * --pids up to the kernel's PID_MAX_LIMIT and take every pid of the
	 * host. The administrator raises it with pids_max.
	 */
	else if (req->pids > JQ_EXEC_NPROC_DEFAULT && t->pids_max <= 0)
		msg = jq_asprintf("--pids %" PRId64 " exceeds the default per-job bound of %d "
				  "tasks (tenant '%s' sets no pids_max)",
				  req->pids, JQ_EXEC_NPROC_DEFAULT, t->name);
	else
		return 0;
	if (!msg)
		return -ENOMEM;
	*ret_err = msg;
	return -ERANGE;
}
