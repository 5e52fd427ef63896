/* SPDX-License-Identifier: MIT */
/*
 * Budgets: admission of a submission by the bytes it would make us hold (issue 11):
 * the free space on the file systems of state_dir and of the database, the
 * tenant's max_queued_bytes (argv + env of its jobs not yet started) and
 * its max_log_bytes_total (log bytes its jobs hold on disk, plus what its
 * running jobs may still write). Checked before anything is stored, so that
 * a refused submission costs nothing; every refusal names the budget and
 * the numbers.
 */
#include <inttypes.h>
#include <sys/statvfs.h>

#include "jobqd.h"
#include "jq-parse.h"
#include "jq-util.h"

/*
 * Free and total bytes of the file system holding path. f_bavail, not
 * f_bfree: jobqd runs as root and could use the reserved blocks, but an
 * administrator's tools need them when the disk fills.
 */
static int fs_space(const char *path, uint64_t *ret_free, uint64_t *ret_total)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -errno;
	*ret_free = (uint64_t)sv.f_bavail * sv.f_frsize;
	*ret_total = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}

/*
 * Refuses new work when the file system of path has less than
 * min_free_space left after this submission's bytes. The space under the
 * threshold is what running jobs keep for their end states and the
 * accounting rows: they are never refused.
 */
static int check_space(const struct jq_config *c, const char *what, const char *path, int64_t bytes,
		       char **ret_err)
{
	uint64_t avail = 0, total = 0, need;
	char a[32], n[32], t[32];
	int r;

	if (c->min_free_percent == 0 || c->min_free_bytes == 0)
		return 0;
	r = fs_space(path, &avail, &total);
	if (r < 0) {
		*ret_err = jq_asprintf("submit: cannot check the free space of %s '%s': %s", what,
				       path, strerror(-r));
		return r;
	}
	need = c->min_free_percent > 0 ? total / 100 * (uint64_t)c->min_free_percent
				       : (uint64_t)c->min_free_bytes;
	if (avail >= need + (uint64_t)bytes)
		return 0;
	jq_format_size(avail, a, sizeof(a));
	jq_format_size(need, n, sizeof(n));
	jq_format_size(total, t, sizeof(t));
	if (c->min_free_percent > 0)
		*ret_err =
		    jq_asprintf("submit: refused, the file system of %s '%s' is nearly full: "
				"%s free of %s, min_free_space is %" PRId64
				"%% (%s); running jobs go on: No space left on device",
				what, path, a, t, c->min_free_percent, n);
	else
		*ret_err =
		    jq_asprintf("submit: refused, the file system of %s '%s' is nearly full: "
				"%s free of %s, min_free_space is %s; running jobs go on: "
				"No space left on device",
				what, path, a, t, n);
	return *ret_err ? -ENOSPC : -ENOMEM;
}

int64_t jq_budget_log_reserved(struct jq_daemon *d, const char *tenant, size_t *ret_running)
{
	int64_t sum = 0;
	size_t n = 0;

	for (struct jq_run *r = d->runs; r; r = r->next)
		if (!strcmp(r->tenant, tenant)) {
			sum += r->log_cap;
			n++;
		}
	if (ret_running)
		*ret_running = n;
	return sum;
}

int64_t jq_budget_log_room(struct jq_daemon *d, const struct jq_tenant_config *t)
{
	struct jq_store_tenant_bytes tb;
	int64_t cap = d->config->max_log_bytes, room;

	if (!t || t->max_log_bytes_total < 0)
		return cap;
	/* the budget cannot be read: the cap of one job, as without budgets */
	if (jq_store_tenant_bytes(d->store, t->name, &tb) < 0)
		return cap;
	room = t->max_log_bytes_total - tb.log_bytes - jq_budget_log_reserved(d, t->name, NULL);
	return room < 0 ? 0 : room < cap ? room : cap;
}

static int admission_check(struct jq_daemon *d, const struct jq_tenant_config *t, int64_t bytes,
			   char **ret_err)
{
	struct jq_store_tenant_bytes tb;
	int64_t reserved;
	size_t running;
	int r;

	r = check_space(d->config, "state_dir", d->config->state_dir, bytes, ret_err);
	if (r >= 0)
		r = check_space(d->config, "the database", d->config->database, bytes, ret_err);
	if (r < 0)
		return r;

	r = jq_store_tenant_bytes(d->store, t->name, &tb);
	if (r < 0) {
		*ret_err = jq_asprintf("submit: cannot read the bytes of tenant '%s': %s", t->name,
				       strerror(-r));
		return r;
	}
	if (tb.queued_bytes + bytes > t->max_queued_bytes) {
		*ret_err = jq_asprintf("tenant '%s' has %" PRId64
				       " bytes of commands and environments waiting: this "
				       "submission's %" PRId64 " more would pass its "
				       "max_queued_bytes (%" PRId64 ")",
				       t->name, tb.queued_bytes, bytes, t->max_queued_bytes);
		return *ret_err ? -EDQUOT : -ENOMEM;
	}
	reserved = jq_budget_log_reserved(d, t->name, &running);
	if (tb.log_bytes + reserved >= t->max_log_bytes_total) {
		*ret_err =
		    jq_asprintf("tenant '%s' holds %" PRId64 " bytes of job logs (%" PRId64
				" written, %" PRId64 " reserved by %zu running jobs), its "
				"max_log_bytes_total (%" PRId64
				") is reached: retention or ending jobs must free some first",
				t->name, tb.log_bytes + reserved, tb.log_bytes, reserved, running,
				t->max_log_bytes_total);
		return *ret_err ? -EDQUOT : -ENOMEM;
	}
	return 0;
}

bool jq_budget_refused(struct jq_client *c, const struct jq_tenant_config *t, int64_t bytes)
{
	_cleanup_free_ char *err = NULL;
	int r = admission_check(c->daemon, t, bytes, &err);

	if (r >= 0)
		return false;
	jq_client_send_error(c, -r, "%s", err ? err : strerror(-r));
	jq_client_done(c);
	return true;
}
