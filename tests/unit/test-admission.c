/* SPDX-License-Identifier: MIT */
/*
 * Admission (hostile queries, issue 11): scheduler/admission.c refuses a
 * request above its tenant's caps or the host, with the numbers, and takes
 * everything else. Table-driven: the same function decides at submit and
 * at dispatch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobqd.h"

#define MIB (INT64_C(1) << 20)
#define GIB (INT64_C(1) << 30)
#define U   JQ_LIMIT_UNSET

static void test_admission_table(void **state)
{
	static const struct {
		struct jq_limits req; /* cpus_milli, memory_bytes, pids, timeout_usec */
		int64_t cpu_max, memory_max, pids_max, default_memory;
		const char *want; /* NULL = admitted */
	} cases[] = {
	    /* nothing asked, no caps */
	    {{U, U, U, U}, U, U, U, U, NULL},
	    /* at the caps exactly: admitted */
	    {{1000, 256 * MIB, 100, U}, 1000, 256 * MIB, 100, U, NULL},
	    {{U, 8 * GIB, U, U}, U, U, U, U, NULL},
	    /* the moon: above the host's 8G budget, tenant without memory_max */
	    {{U, 1000 * GIB, U, U},
	     U,
	     U,
	     U,
	     U,
	     "--memory 1000G exceeds the host's memory budget (8G, [daemon] memory_budget)"},
	    {{U, 300 * MIB, U, U},
	     U,
	     256 * MIB,
	     U,
	     U,
	     "--memory 300M exceeds tenant 't' memory_max (256M)"},
	    /* the tenant's cap is named first when both are passed */
	    {{U, 9 * GIB, U, U},
	     U,
	     4 * GIB,
	     U,
	     U,
	     "--memory 9G exceeds tenant 't' memory_max (4G)"},
	    {{U, U, U, U},
	     U,
	     U,
	     U,
	     16 * GIB,
	     "tenant 't' default_memory (16G) exceeds the host's memory budget (8G, [daemon] "
	     "memory_budget): give --memory"},
	    /* --memory replaces the default */
	    {{U, GIB, U, U}, U, U, U, 16 * GIB, NULL},
	    {{2000, U, U, U}, 500, U, U, U, "--cpus 2 exceeds tenant 't' cpu_max (0.5)"},
	    {{1500, U, U, U}, 1250, U, U, U, "--cpus 1.5 exceeds tenant 't' cpu_max (1.25)"},
	    {{5000, U, U, U}, U, U, U, U, "--cpus 5 exceeds the host's 4 CPUs"},
	    {{4000, U, U, U}, U, U, U, U, NULL},
	    {{U, U, 101, U}, U, U, 100, U, "--pids 101 exceeds tenant 't' pids_max (100)"},
	    /*
	     * Without pids_max a member may not lift the default per-job
	     * bound (JQ_EXEC_NPROC_DEFAULT, 4096); with one, up to it.
	     */
	    {{U, U, 4096, U}, U, U, U, U, NULL},
	    {{U, U, 4097, U},
	     U,
	     U,
	     U,
	     U,
	     "--pids 4097 exceeds the default per-job bound of 4096 tasks (tenant 't' sets no "
	     "pids_max)"},
	    {{U, U, 4194304, U},
	     U,
	     U,
	     U,
	     U,
	     "--pids 4194304 exceeds the default per-job bound of 4096 tasks (tenant 't' sets "
	     "no pids_max)"},
	    {{U, U, 4194304, U}, U, U, 4194304, U, NULL},
	    {{U, U, 10000, U}, U, U, 20000, U, NULL},
	};
	const struct jq_admission_host host = {.memory_budget = 8 * GIB, .cpus_milli = 4000};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jq_tenant_config t = {
		    .name = "t",
		    .cpu_max_milli = cases[i].cpu_max,
		    .memory_max = cases[i].memory_max,
		    .pids_max = cases[i].pids_max,
		    .default_memory = cases[i].default_memory,
		};
		char *err = NULL;
		int r = jq_admission_check(&cases[i].req, &t, &host, &err);

		print_message("case %zu: %s\n", i, err ? err : "admitted");
		if (!cases[i].want) {
			assert_int_equal(r, 0);
			assert_null(err);
		} else {
			assert_int_equal(r, -ERANGE);
			assert_non_null(err);
			assert_string_equal(err, cases[i].want);
		}
		free(err);
	}
}

/* An unknown host (no MemTotal, no CPU count) bounds nothing. */
static void test_admission_unknown_host(void **state)
{
	const struct jq_admission_host host = {.memory_budget = -1, .cpus_milli = -1};
	struct jq_limits req = {64000, 1000 * GIB, U, U};
	struct jq_tenant_config t = {
	    .name = "t", .cpu_max_milli = U, .memory_max = U, .pids_max = U, .default_memory = U};
	char *err = NULL;
	(void)state;

	assert_int_equal(jq_admission_check(&req, &t, &host, &err), 0);
	assert_null(err);
	assert_true(jq_admission_host_cpus_milli() >= 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admission_table),
	    cmocka_unit_test(test_admission_unknown_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
