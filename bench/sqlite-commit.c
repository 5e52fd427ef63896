/* SPDX-License-Identifier: MIT */
/*
 * sqlite-commit N FILE full|normal: the ceiling of "one transaction per
 * submission". Commits N single-row INSERT transactions one after the
 * other into FILE (created, WAL mode, the given synchronous) and prints
 * "commits_per_s=...". bench/run compares jobqd's acknowledged submissions
 * per second with this on the same filesystem: above it means the daemon
 * groups commits, below it means something else costs more than the fsync.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COMMITS 1000000

static int64_t now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite-commit: '%s': %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	char *end;
	long n;
	int64_t t0, t1;
	const char *sync;

	if (argc != 4 || (strcmp(argv[3], "full") && strcmp(argv[3], "normal"))) {
		fprintf(stderr, "usage: sqlite-commit N FILE full|normal\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*end || n < 1 || n > MAX_COMMITS) {
		fprintf(stderr, "sqlite-commit: N must be 1..%d, not '%s'\n", MAX_COMMITS, argv[1]);
		return 2;
	}
	sync = !strcmp(argv[3], "full") ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
	if (sqlite3_open(argv[2], &db) != SQLITE_OK) {
		fprintf(stderr, "sqlite-commit: cannot open '%s': %s\n", argv[2],
			sqlite3_errmsg(db));
		return 1;
	}
	if (exec(db, "PRAGMA journal_mode=WAL") < 0 || exec(db, sync) < 0 ||
	    exec(db, "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, argv TEXT, "
		     "submitted_at INTEGER)") < 0)
		return 1;
	if (sqlite3_prepare_v2(db, "INSERT INTO jobs (argv, submitted_at) VALUES ('/bin/true', ?)",
			       -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite-commit: prepare: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	t0 = now_nsec();
	for (long i = 0; i < n; i++) {
		if (exec(db, "BEGIN IMMEDIATE") < 0)
			return 1;
		sqlite3_bind_int64(ins, 1, now_nsec());
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "sqlite-commit: insert: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		sqlite3_reset(ins);
		if (exec(db, "COMMIT") < 0)
			return 1;
	}
	t1 = now_nsec();
	sqlite3_finalize(ins);
	sqlite3_close(db);
	printf("commits_per_s=%.0f n=%ld\n", (double)n * 1e9 / (double)(t1 - t0), n);
	return 0;
}
