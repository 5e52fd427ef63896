/* SPDX-License-Identifier: MIT */
/*
 * Periodic upkeep on one uv_timer: retention of finished jobs and their run
 * directories (logs), expiry of accounting rows, incremental vacuum, and
 * WAL checkpoints. Every step is bounded (MAINT_BATCH rows per tick) so the
 * loop never stalls behind a backlog; a full batch brings the next tick
 * forward until the backlog is gone.
 */
#include <inttypes.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-time.h"
#include "jq-util.h"

/* Jobs (and accounting rows) deleted per tick. */
#define MAINT_BATCH 500
/* Ticks: a quarter of the shortest retention, within these bounds. */
#define MAINT_MIN_INTERVAL_MS 1000
#define MAINT_MAX_INTERVAL_MS 60000
/* While a backlog is being worked off. */
#define MAINT_BACKLOG_INTERVAL_MS 1000
/*
 * A WAL this long (in pages) after the passive checkpoint is truncated:
 * four times SQLite's auto-checkpoint size means readers kept it from
 * being reused.
 */
#define MAINT_WAL_TRUNCATE_FRAMES 4000

static uint64_t interval_ms(const struct jq_config *c)
{
	int64_t usec = c->retention_usec;
	uint64_t ms;

	if (c->accounting_retention_usec > 0 && c->accounting_retention_usec < usec)
		usec = c->accounting_retention_usec;
	ms = (uint64_t)(usec / 4 / 1000);
	if (ms < MAINT_MIN_INTERVAL_MS)
		ms = MAINT_MIN_INTERVAL_MS;
	if (ms > MAINT_MAX_INTERVAL_MS)
		ms = MAINT_MAX_INTERVAL_MS;
	return ms;
}

/* Deletes one batch of expired jobs: run directories first, then rows. */
static int expire_jobs(struct jq_daemon *d, int64_t now, bool *ret_full)
{
	int64_t ids[MAINT_BATCH];
	size_t n = 0, kept = 0;
	int r;

	r = jq_store_retention_expired(d->store, now - d->config->retention_usec, ids, MAINT_BATCH,
				       &n);
	if (r < 0)
		return r;
	*ret_full = n == MAINT_BATCH;
	/*
	 * A crash between the two steps leaves rows whose logs are gone,
	 * which the next tick deletes; the other order would leave
	 * directories no row points at.
	 */
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = jq_exec_run_dir(d->config->state_dir, ids[i]);

		r = dir ? jq_rm_rf(dir) : -ENOMEM;
		if (r < 0) {
			/* keep the row: it is how the directory is found again */
			jq_log_warning_errno(
			    r, "job %" PRId64 ": cannot remove its run directory: %m", ids[i]);
			continue;
		}
		ids[kept++] = ids[i];
	}
	return jq_store_retention_delete(d->store, ids, kept);
}

static void checkpoint(struct jq_daemon *d)
{
	struct jq_store_wal_stat w = {0};
	int r;

	r = jq_store_checkpoint(d->store, false, &w);
	if (r < 0) {
		jq_log_warning_errno(r, "WAL checkpoint failed: %m");
		return;
	}
	if (w.log_frames < MAINT_WAL_TRUNCATE_FRAMES)
		return;
	r = jq_store_checkpoint(d->store, true, NULL);
	if (r == -EBUSY)
		jq_log_debug("WAL of %d pages not truncated: a reader holds it", w.log_frames);
	else if (r < 0)
		jq_log_warning_errno(r, "WAL truncate failed: %m");
}

void jq_maintenance_tick(struct jq_daemon *d, bool *ret_backlog)
{
	int64_t now = jq_now_usec();
	bool full = false, acct_full = false;
	int jobs = 0, rows = 0, pages;

	/* a batch of the daemon's own is open: come back on the next tick */
	if (jq_store_in_transaction(d->store))
		return;
	jobs = expire_jobs(d, now, &full);
	if (jobs < 0) {
		jq_log_warning_errno(jobs, "retention: cannot delete expired jobs: %m");
		jobs = 0;
		full = false;
	}
	if (d->config->accounting_retention_usec > 0) {
		rows = jq_store_accounting_expire(
		    d->store, now - d->config->accounting_retention_usec, MAINT_BATCH);
		if (rows < 0) {
			jq_log_warning_errno(rows, "retention: cannot expire accounting rows: %m");
			rows = 0;
		}
		acct_full = rows == MAINT_BATCH;
	}
	if (jobs > 0 || rows > 0) {
		pages = jq_store_vacuum(d->store);
		if (pages < 0)
			jq_log_warning_errno(pages, "incremental vacuum failed: %m");
		jq_log_info("retention: deleted %d jobs and %d accounting rows, freed %d pages",
			    jobs, rows, pages > 0 ? pages : 0);
	}
	checkpoint(d);
	if (ret_backlog)
		*ret_backlog = full || acct_full;
}

static void on_timer(uv_timer_t *t)
{
	struct jq_daemon *d = t->data;
	bool backlog = false;

	jq_maintenance_tick(d, &backlog);
	uv_timer_start(t, on_timer, backlog ? MAINT_BACKLOG_INTERVAL_MS : interval_ms(d->config),
		       0);
}

void jq_maintenance_start(struct jq_daemon *d)
{
	uv_timer_init(&d->loop, &d->maintenance_timer);
	d->maintenance_timer.data = d;
	/* the first tick soon after start: a daemon that was down has a backlog */
	uv_timer_start(&d->maintenance_timer, on_timer, MAINT_MIN_INTERVAL_MS, 0);
	/* not a reason to keep the loop alive on its own */
	uv_unref((uv_handle_t *)&d->maintenance_timer);
}
