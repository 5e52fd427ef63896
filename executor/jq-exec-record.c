/* SPDX-License-Identifier: MIT */
/*
 * The spec and result records of a run directory: one protocol frame each
 * (JQ_MSG_EXEC_SPEC / JQ_MSG_EXEC_RESULT), written atomically.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <unistd.h>

#include "jq-exec.h"
#include "jq-protocol.h"
#include "jq-util.h"

/* setgroups(2) refuses more than NGROUPS_MAX (65536 on Linux). */
#define MAX_GIDS 65536
/* uid_t is 32 bits and (uid_t)-1 means "unchanged" to the set*id calls. */
#define MAX_ID ((int64_t)UINT32_MAX - 1)

static const uint16_t spec_tags[] = {
    JQ_T_ID,
    JQ_T_ARGV,
    JQ_T_ENV,
    JQ_T_CWD,
    JQ_T_UID,
    JQ_T_GID,
    JQ_T_GIDS,
    JQ_T_LIMIT_CPUS,
    JQ_T_LIMIT_MEMORY,
    JQ_T_LIMIT_PIDS,
    JQ_T_LIMIT_TIMEOUT,
    JQ_T_MAX_LOG_BYTES,
    JQ_T_KILL_GRACE,
    /* cgroups (issue 3) */
    JQ_T_CGROUP_MODE,
    JQ_T_CGROUP_PATH,
    /* sandbox (issue 4) */
    JQ_T_SANDBOX_HIDE,
    JQ_T_SANDBOX_RO,
    JQ_T_SANDBOX_RW,
    JQ_T_SANDBOX_TMP_SIZE,
    JQ_T_SANDBOX_NOFILE,
    JQ_T_SANDBOX_NETWORK,
    JQ_T_SANDBOX_SECCOMP,
    JQ_T_SANDBOX_NPROC,
};

static const uint16_t result_tags[] = {
    JQ_T_ID,
    JQ_T_STATUS,
    JQ_T_END_CAUSE,
    JQ_T_EXIT_CODE,
    JQ_T_SIGNAL,
    JQ_T_MESSAGE,
    JQ_T_STARTED_AT,
    JQ_T_FINISHED_AT,
    JQ_T_LOG_TRUNCATED,
    JQ_T_CPU_USER,
    JQ_T_CPU_SYSTEM,
    JQ_T_MEMORY_PEAK,
    JQ_T_IO_READ,
    JQ_T_IO_WRITE,
    JQ_T_WALL,
    JQ_T_QUEUE_WAIT,
    /* cgroups (issue 3) */
    JQ_T_OOM_KILLS,
    JQ_T_CGROUP_NOTE,
};

void jq_exec_spec_release(struct jq_exec_spec *s)
{
	if (!s)
		return;
	jq_strv_free(s->argv);
	jq_strv_free(s->env);
	free(s->cwd);
	free(s->gids);
	jq_strv_free(s->cgroup_paths); /* cgroups (issue 3) */
	jq_strv_free(s->sandbox.hide_paths);
	jq_strv_free(s->sandbox.ro_paths);
	jq_strv_free(s->sandbox.rw_paths);
	*s = (struct jq_exec_spec){0};
}

void jq_exec_result_release(struct jq_exec_result *r)
{
	if (!r)
		return;
	free(r->message);
	r->message = NULL;
	free(r->cgroup_note); /* cgroups (issue 3) */
	r->cgroup_note = NULL;
}

char *jq_exec_run_dir(const char *state_dir, int64_t job_id)
{
	return jq_asprintf("%s/jobs/%" PRId64, state_dir, job_id);
}

static int record_write(const char *run_dir, const char *name, struct jq_msg_writer *w)
{
	_cleanup_free_ char *path = jq_asprintf("%s/%s", run_dir, name);
	int r;

	if (!path)
		return -ENOMEM;
	r = jq_msg_writer_finish(w);
	if (r < 0)
		return r;
	return jq_write_file_atomic(path, w->buf.data, w->buf.len, 0600);
}

/*
 * Reads and frames a record. Anything that does not decode as one frame of
 * the expected type is -EBADMSG: to the caller a truncated file, a foreign
 * protocol version and garbage are the same broken record.
 */
static int record_read(const char *run_dir, const char *name, uint16_t type, struct jq_msg *ret)
{
	_cleanup_free_ char *path = jq_asprintf("%s/%s", run_dir, name);
	_cleanup_free_ char *data = NULL;
	struct jq_msg m;
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	r = jq_read_file(path, JQ_EXEC_MAX_RECORD, &data, &len);
	if (r == -EFBIG)
		return -EBADMSG;
	if (r < 0)
		return r;
	r = jq_msg_decode_frame((const uint8_t *)data, len, &m);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return -EBADMSG;
	if (m.type != type) {
		jq_msg_release(&m);
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

/* A field that must be present exactly once. */
static int get_i64_req(const struct jq_msg *m, enum jq_tag tag, int64_t *ret)
{
	if (jq_msg_count(m, tag) != 1)
		return -EBADMSG;
	return jq_msg_get_i64(m, tag, ret);
}

/* A field that may be absent (then -1), but not repeated. */
static int get_i64_opt(const struct jq_msg *m, enum jq_tag tag, int64_t *ret)
{
	size_t n = jq_msg_count(m, tag);

	if (n > 1)
		return -EBADMSG;
	if (n == 0) {
		*ret = -1;
		return 0;
	}
	return jq_msg_get_i64(m, tag, ret);
}

static bool limit_valid(int64_t v)
{
	return v == JQ_LIMIT_UNSET || v > 0;
}

static int strv_bytes_check(char **v, size_t *total)
{
	for (char **p = v; *p; p++) {
		size_t n = strlen(*p);
		if (n > JQ_PROTO_MAX_ARGV_ENV - *total)
			return -EBADMSG;
		*total += n;
	}
	return 0;
}

int jq_exec_spec_write(const char *run_dir, const struct jq_exec_spec *s)
{
	struct jq_msg_writer w;
	int r;

	if (!s->argv || !s->argv[0] || !s->cwd)
		return -EINVAL;
	jq_msg_writer_begin(&w, JQ_MSG_EXEC_SPEC);
	jq_msg_put_i64(&w, JQ_T_ID, s->job_id);
	for (char **p = s->argv; *p; p++)
		jq_msg_put_str(&w, JQ_T_ARGV, *p);
	for (char **p = s->env; p && *p; p++)
		jq_msg_put_str(&w, JQ_T_ENV, *p);
	jq_msg_put_str(&w, JQ_T_CWD, s->cwd);
	jq_msg_put_i64(&w, JQ_T_UID, s->uid);
	jq_msg_put_i64(&w, JQ_T_GID, s->gid);
	for (size_t i = 0; i < s->n_gids; i++)
		jq_msg_put_i64(&w, JQ_T_GIDS, s->gids[i]);
	jq_msg_put_i64_opt(&w, JQ_T_LIMIT_CPUS, s->limits.cpus_milli);
	jq_msg_put_i64_opt(&w, JQ_T_LIMIT_MEMORY, s->limits.memory_bytes);
	jq_msg_put_i64_opt(&w, JQ_T_LIMIT_PIDS, s->limits.pids);
	jq_msg_put_i64_opt(&w, JQ_T_LIMIT_TIMEOUT, s->limits.timeout_usec);
	jq_msg_put_i64(&w, JQ_T_MAX_LOG_BYTES, s->max_log_bytes);
	jq_msg_put_i64(&w, JQ_T_KILL_GRACE, s->kill_grace_usec);
	/* cgroups (issue 3) */
	if (s->cgroup_paths && s->cgroup_paths[0])
		jq_msg_put_i64(&w, JQ_T_CGROUP_MODE, s->cgroup_mode);
	for (char **p = s->cgroup_paths; p && *p; p++)
		jq_msg_put_str(&w, JQ_T_CGROUP_PATH, *p);
	/* sandbox (issue 4) */
	for (char **p = s->sandbox.hide_paths; p && *p; p++)
		jq_msg_put_str(&w, JQ_T_SANDBOX_HIDE, *p);
	for (char **p = s->sandbox.ro_paths; p && *p; p++)
		jq_msg_put_str(&w, JQ_T_SANDBOX_RO, *p);
	for (char **p = s->sandbox.rw_paths; p && *p; p++)
		jq_msg_put_str(&w, JQ_T_SANDBOX_RW, *p);
	/* 0 (a spec built without sandbox settings): the reader's defaults. */
	if (s->sandbox.tmp_size > 0)
		jq_msg_put_i64(&w, JQ_T_SANDBOX_TMP_SIZE, s->sandbox.tmp_size);
	if (s->sandbox.nofile > 0)
		jq_msg_put_i64(&w, JQ_T_SANDBOX_NOFILE, s->sandbox.nofile);
	if (s->sandbox.nproc > 0)
		jq_msg_put_i64(&w, JQ_T_SANDBOX_NPROC, s->sandbox.nproc);
	jq_msg_put_i64(&w, JQ_T_SANDBOX_NETWORK, s->sandbox.network);
	jq_msg_put_i64(&w, JQ_T_SANDBOX_SECCOMP, s->sandbox.seccomp ? 1 : 0);
	r = record_write(run_dir, JQ_EXEC_SPEC_FILE, &w);
	jq_msg_writer_release(&w);
	return r;
}

/* Absolute, below "/", normalised enough to compare: no "..", "//", trailing '/'. */
static bool sandbox_path_valid(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/' || n == 1 || strstr(p, "//") || strstr(p, "/../") || strstr(p, "/./"))
		return false;
	if (n > 1 && p[n - 1] == '/')
		return false;
	if ((n >= 3 && !strcmp(p + n - 3, "/..")) || (n >= 2 && !strcmp(p + n - 2, "/.")))
		return false;
	return true;
}

static int sandbox_paths_get(const struct jq_msg *m, enum jq_tag tag, char ***ret)
{
	int r;

	if (jq_msg_count(m, tag) > JQ_EXEC_MAX_SANDBOX_PATHS)
		return -EBADMSG;
	r = jq_msg_get_strv(m, tag, JQ_PROTO_MAX_PATH, ret);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	for (char **p = *ret; *p; p++)
		if (!sandbox_path_valid(*p))
			return -EBADMSG;
	return 0;
}

/*
 * sandbox (issue 4): absent fields get the safe defaults (no network,
 * seccomp on), so an older spec never runs with less isolation.
 */
static int sandbox_from_msg(const struct jq_msg *m, struct jq_exec_sandbox *sb)
{
	int64_t net, seccomp;
	int r;

	r = sandbox_paths_get(m, JQ_T_SANDBOX_HIDE, &sb->hide_paths);
	if (r >= 0)
		r = sandbox_paths_get(m, JQ_T_SANDBOX_RO, &sb->ro_paths);
	if (r >= 0)
		r = sandbox_paths_get(m, JQ_T_SANDBOX_RW, &sb->rw_paths);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_SANDBOX_TMP_SIZE, &sb->tmp_size);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_SANDBOX_NOFILE, &sb->nofile);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_SANDBOX_NPROC, &sb->nproc);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_SANDBOX_NETWORK, &net);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_SANDBOX_SECCOMP, &seccomp);
	if (r < 0)
		return r;
	if (sb->tmp_size == -1)
		sb->tmp_size = JQ_EXEC_TMP_SIZE_DEFAULT;
	if (sb->nofile == -1)
		sb->nofile = JQ_EXEC_NOFILE_DEFAULT;
	if (sb->nproc == -1)
		sb->nproc = JQ_EXEC_NPROC_DEFAULT;
	if (sb->tmp_size < 1024 * 1024 || sb->nofile < 16 || sb->nofile > 1024 * 1024 ||
	    sb->nproc < 1 || sb->nproc > JQ_EXEC_NPROC_MAX || net < -1 ||
	    net > JQ_EXEC_NETWORK_HOST || seccomp < -1 || seccomp > 1)
		return -EBADMSG;
	sb->network = net == JQ_EXEC_NETWORK_HOST ? JQ_EXEC_NETWORK_HOST : JQ_EXEC_NETWORK_NONE;
	sb->seccomp = seccomp != 0;
	return 0;
}

static int spec_from_msg(const struct jq_msg *m, struct jq_exec_spec *s)
{
	const char *cwd;
	size_t total = 0;
	int r;

	if (!jq_msg_tags_allowed(m, spec_tags, JQ_ARRAY_SIZE(spec_tags)))
		return -EBADMSG;
	if (jq_msg_count(m, JQ_T_ARGV) == 0 || jq_msg_count(m, JQ_T_CWD) != 1 ||
	    jq_msg_count(m, JQ_T_GIDS) > MAX_GIDS)
		return -EBADMSG;

	r = get_i64_req(m, JQ_T_ID, &s->job_id);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_UID, &s->uid);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_GID, &s->gid);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_MAX_LOG_BYTES, &s->max_log_bytes);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_KILL_GRACE, &s->kill_grace_usec);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_LIMIT_CPUS, &s->limits.cpus_milli);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_LIMIT_MEMORY, &s->limits.memory_bytes);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_LIMIT_PIDS, &s->limits.pids);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_LIMIT_TIMEOUT, &s->limits.timeout_usec);
	if (r < 0)
		return r;

	if (s->job_id < 0 || s->uid < 0 || s->uid > MAX_ID || s->gid < 0 || s->gid > MAX_ID ||
	    s->max_log_bytes < 0 || s->kill_grace_usec < 0 || !limit_valid(s->limits.cpus_milli) ||
	    !limit_valid(s->limits.memory_bytes) || !limit_valid(s->limits.pids) ||
	    !limit_valid(s->limits.timeout_usec))
		return -EBADMSG;

	r = jq_msg_get_str(m, JQ_T_CWD, JQ_PROTO_MAX_PATH, &cwd);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	if (cwd[0] != '/')
		return -EBADMSG;
	s->cwd = strdup(cwd);
	if (!s->cwd)
		return -ENOMEM;

	r = jq_msg_get_strv(m, JQ_T_ARGV, JQ_PROTO_MAX_ARGV_ENV, &s->argv);
	if (r >= 0)
		r = jq_msg_get_strv(m, JQ_T_ENV, JQ_PROTO_MAX_ARGV_ENV, &s->env);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	r = strv_bytes_check(s->argv, &total);
	if (r >= 0)
		r = strv_bytes_check(s->env, &total);
	if (r < 0)
		return r;
	/* execve(2) needs a name to look up; "" would be ENOENT far too late. */
	if (s->argv[0][0] == '\0')
		return -EBADMSG;
	for (char **p = s->env; *p; p++)
		if (!strchr(*p, '=') || **p == '=')
			return -EBADMSG;

	r = jq_msg_get_i64v(m, JQ_T_GIDS, &s->gids, &s->n_gids);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_gids; i++)
		if (s->gids[i] < 0 || s->gids[i] > MAX_ID)
			return -EBADMSG;
	return sandbox_from_msg(m, &s->sandbox);
}

/*
 * cgroups (issue 3): the mode (1 v2, 2 v1; absent = none, 3) and at most
 * JQ_EXEC_MAX_CGROUP_PATHS "<controllers>:<absolute dir>" paths.
 */
static int spec_cgroup_from_msg(const struct jq_msg *m, struct jq_exec_spec *s)
{
	size_t n = jq_msg_count(m, JQ_T_CGROUP_PATH);
	int r;

	r = get_i64_opt(m, JQ_T_CGROUP_MODE, &s->cgroup_mode);
	if (r < 0)
		return r;
	if (s->cgroup_mode == -1)
		s->cgroup_mode = 3;
	if (s->cgroup_mode < 1 || s->cgroup_mode > 3 || n > JQ_EXEC_MAX_CGROUP_PATHS ||
	    (n > 0 && s->cgroup_mode == 3) || (n == 0 && s->cgroup_mode != 3))
		return -EBADMSG;
	if (n == 0)
		return 0;
	r = jq_msg_get_strv(m, JQ_T_CGROUP_PATH, JQ_PROTO_MAX_PATH, &s->cgroup_paths);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	for (char **p = s->cgroup_paths; *p; p++) {
		const char *c = strchr(*p, ':');
		if (!c || c == *p || c[1] != '/' || strstr(c, "/../") || strstr(c, "/.."))
			return -EBADMSG;
	}
	return 0;
}

int jq_exec_spec_read(const char *run_dir, struct jq_exec_spec *ret)
{
	struct jq_exec_spec s = {0};
	struct jq_msg m;
	int r;

	r = record_read(run_dir, JQ_EXEC_SPEC_FILE, JQ_MSG_EXEC_SPEC, &m);
	if (r < 0)
		return r;
	r = spec_from_msg(&m, &s);
	if (r >= 0)
		r = spec_cgroup_from_msg(&m, &s);
	jq_msg_release(&m);
	if (r < 0) {
		jq_exec_spec_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

static int result_encode(const struct jq_exec_result *res, struct jq_msg_writer *w)
{
	jq_msg_writer_begin(w, JQ_MSG_EXEC_RESULT);
	jq_msg_put_i64(w, JQ_T_ID, res->job_id);
	jq_msg_put_i64(w, JQ_T_STATUS, res->status);
	jq_msg_put_i64(w, JQ_T_END_CAUSE, res->end_cause);
	jq_msg_put_i64_opt(w, JQ_T_EXIT_CODE, res->exit_code);
	jq_msg_put_i64_opt(w, JQ_T_SIGNAL, res->signal);
	jq_msg_put_str(w, JQ_T_MESSAGE, res->message);
	jq_msg_put_i64(w, JQ_T_STARTED_AT, res->started_at);
	jq_msg_put_i64(w, JQ_T_FINISHED_AT, res->finished_at);
	jq_msg_put_i64(w, JQ_T_LOG_TRUNCATED, res->log_truncated ? 1 : 0);
	jq_msg_put_i64_opt(w, JQ_T_CPU_USER, res->acct.cpu_user_usec);
	jq_msg_put_i64_opt(w, JQ_T_CPU_SYSTEM, res->acct.cpu_system_usec);
	jq_msg_put_i64_opt(w, JQ_T_MEMORY_PEAK, res->acct.memory_peak_bytes);
	jq_msg_put_i64_opt(w, JQ_T_IO_READ, res->acct.io_read_bytes);
	jq_msg_put_i64_opt(w, JQ_T_IO_WRITE, res->acct.io_write_bytes);
	jq_msg_put_i64_opt(w, JQ_T_WALL, res->acct.wall_usec);
	jq_msg_put_i64_opt(w, JQ_T_QUEUE_WAIT, res->acct.queue_wait_usec);
	/* cgroups (issue 3) */
	jq_msg_put_i64_opt(w, JQ_T_OOM_KILLS, res->oom_kills);
	jq_msg_put_str(w, JQ_T_CGROUP_NOTE, res->cgroup_note);
	return jq_msg_writer_finish(w);
}

int jq_exec_result_write(const char *run_dir, const struct jq_exec_result *res)
{
	_cleanup_free_ char *path = jq_asprintf("%s/%s", run_dir, JQ_EXEC_RESULT_FILE);
	struct jq_msg_writer w;
	int r;

	if (!path)
		return -ENOMEM;
	r = result_encode(res, &w);
	if (r >= 0)
		r = jq_write_file_atomic(path, w.buf.data, w.buf.len, 0600);
	jq_msg_writer_release(&w);
	return r;
}

/*
 * The reserved result: every result the reader accepts (a message of
 * JQ_PROTO_MAX_REASON + JQ_PROTO_MAX_PATH, a note of JQ_PROTO_MAX_REASON,
 * 17 numbers and the frame's header) fits in JQ_EXEC_RESULT_RESERVE.
 */
_Static_assert(2 * JQ_PROTO_MAX_REASON + JQ_PROTO_MAX_PATH + 1024 <= JQ_EXEC_RESULT_RESERVE,
	       "a result record may not fit in its reservation");

static char *result_tmp_path(const char *run_dir)
{
	return jq_asprintf("%s/%s.tmp.%ld", run_dir, JQ_EXEC_RESULT_FILE, (long)getpid());
}

int jq_exec_result_reserve(const char *run_dir, int *ret_fd)
{
	_cleanup_free_ char *tmp = result_tmp_path(run_dir);
	int fd, r;

	if (!tmp)
		return -ENOMEM;
	fd = JQ_RETRY_EINTR(
	    open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
	if (fd < 0)
		return -errno;
	/* posix_fallocate returns the error; glibc emulates it where unsupported. */
	r = -posix_fallocate(fd, 0, JQ_EXEC_RESULT_RESERVE);
	if (r == 0 && JQ_RETRY_EINTR(fdatasync(fd)) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		unlink(tmp);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int jq_exec_result_write_reserved(const char *run_dir, int fd, const struct jq_exec_result *res)
{
	_cleanup_free_ char *tmp = result_tmp_path(run_dir);
	_cleanup_free_ char *path = jq_asprintf("%s/%s", run_dir, JQ_EXEC_RESULT_FILE);
	_cleanup_close_ int dfd = -1;
	struct jq_msg_writer w;
	int r;

	if (!tmp || !path)
		return -ENOMEM;
	r = result_encode(res, &w);
	/* In place: the blocks are ours already, no allocation can fail. */
	for (size_t off = 0; r >= 0 && off < w.buf.len;) {
		ssize_t n =
		    JQ_RETRY_EINTR(pwrite(fd, w.buf.data + off, w.buf.len - off, (off_t)off));
		if (n < 0)
			r = -errno;
		else
			off += (size_t)n;
	}
	if (r >= 0 && JQ_RETRY_EINTR(ftruncate(fd, (off_t)w.buf.len)) < 0)
		r = -errno;
	if (r >= 0 && JQ_RETRY_EINTR(fdatasync(fd)) < 0)
		r = -errno;
	jq_msg_writer_release(&w);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	dfd = JQ_RETRY_EINTR(open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dfd < 0 || JQ_RETRY_EINTR(fsync(dfd)) < 0)
		return -errno;
	return 0;
}

/* cgroups (issue 3): oom_kills (absent = -1) and an optional note. */
static int result_cgroup_from_msg(const struct jq_msg *m, struct jq_exec_result *res)
{
	const char *note;
	int r = get_i64_opt(m, JQ_T_OOM_KILLS, &res->oom_kills);

	if (r < 0)
		return r;
	if (jq_msg_count(m, JQ_T_CGROUP_NOTE) > 1)
		return -EBADMSG;
	r = jq_msg_get_str(m, JQ_T_CGROUP_NOTE, JQ_PROTO_MAX_REASON, &note);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	res->cgroup_note = strdup(note);
	return res->cgroup_note ? 0 : -ENOMEM;
}

static int result_from_msg(const struct jq_msg *m, struct jq_exec_result *res)
{
	int64_t status, cause, truncated;
	const char *msg;
	int r;

	if (!jq_msg_tags_allowed(m, result_tags, JQ_ARRAY_SIZE(result_tags)))
		return -EBADMSG;

	r = get_i64_req(m, JQ_T_ID, &res->job_id);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_STATUS, &status);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_END_CAUSE, &cause);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_STARTED_AT, &res->started_at);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_FINISHED_AT, &res->finished_at);
	if (r >= 0)
		r = get_i64_req(m, JQ_T_LOG_TRUNCATED, &truncated);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_EXIT_CODE, &res->exit_code);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_SIGNAL, &res->signal);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_CPU_USER, &res->acct.cpu_user_usec);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_CPU_SYSTEM, &res->acct.cpu_system_usec);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_MEMORY_PEAK, &res->acct.memory_peak_bytes);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_IO_READ, &res->acct.io_read_bytes);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_IO_WRITE, &res->acct.io_write_bytes);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_WALL, &res->acct.wall_usec);
	if (r >= 0)
		r = get_i64_opt(m, JQ_T_QUEUE_WAIT, &res->acct.queue_wait_usec);
	if (r >= 0)
		r = result_cgroup_from_msg(m, res);
	if (r < 0)
		return r;

	if (status < JQ_EXEC_EXITED || status > JQ_EXEC_FAILED_TO_START ||
	    cause < JQ_EXEC_END_NORMAL || cause > JQ_EXEC_END_CANCEL ||
	    (truncated != 0 && truncated != 1))
		return -EBADMSG;
	res->status = (enum jq_exec_status)status;
	res->end_cause = (enum jq_exec_end_cause)cause;
	res->log_truncated = truncated == 1;
	/* The status says which of exit code and signal is meaningful. */
	if ((res->status == JQ_EXEC_EXITED && (res->exit_code < 0 || res->exit_code > 255)) ||
	    (res->status == JQ_EXEC_SIGNALED && (res->signal <= 0 || res->signal > 64)))
		return -EBADMSG;

	if (jq_msg_count(m, JQ_T_MESSAGE) > 1)
		return -EBADMSG;
	r = jq_msg_get_str(m, JQ_T_MESSAGE, JQ_PROTO_MAX_REASON + JQ_PROTO_MAX_PATH, &msg);
	if (r == -ENOENT) {
		if (res->status == JQ_EXEC_FAILED_TO_START)
			return -EBADMSG;
		return 0;
	}
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	res->message = strdup(msg);
	if (!res->message)
		return -ENOMEM;
	return 0;
}

int jq_exec_result_read(const char *run_dir, struct jq_exec_result *ret)
{
	struct jq_exec_result res = {0};
	struct jq_msg m;
	int r;

	r = record_read(run_dir, JQ_EXEC_RESULT_FILE, JQ_MSG_EXEC_RESULT, &m);
	if (r < 0)
		return r;
	r = result_from_msg(&m, &res);
	jq_msg_release(&m);
	if (r < 0) {
		jq_exec_result_release(&res);
		return r;
	}
	*ret = res;
	return 0;
}
