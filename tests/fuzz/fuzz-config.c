/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the INI loader on arbitrary files. The loader reads a
 * path, so each input is written to one file in a private directory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "jq-config.h"
#include "jq-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];
static char dir[64];

static void cleanup(void)
{
	if (dir[0])
		(void)jq_rm_rf(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jq_config *c = NULL;
	char *err = NULL;
	FILE *f;

	if (!path[0]) {
		snprintf(dir, sizeof(dir), "/tmp/jq-fuzz-config.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/jobq.ini", dir);
		atexit(cleanup);
	}
	f = fopen(path, "we");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if (jq_config_load(path, &c, &err) == 0)
		jq_config_free(c);
	free(err);
	return 0;
}
