/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the cgroup backends: hierarchy sets, reading and writing
 * cgroup files below directory fds, killing a cgroup's processes and
 * removing its directories.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <time.h>

#include "jq-cgroup-internal.h"
#include "jq-util.h"

/* How long emptying a job's cgroup waits for its killed processes to go. */
#define REMOVE_WAIT_USEC (5 * 1000000)

void jq_cg_set_release(struct jq_cg_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->d[i].ctl);
		free(s->d[i].path);
		jq_closep(&s->d[i].fd);
	}
	s->n = 0;
}

/* True if the comma-separated list has ctl. */
bool jq_cg_ctl_has(const char *list, const char *ctl)
{
	size_t n = strlen(ctl);

	for (const char *p = list; p && *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == n && !strncmp(p, ctl, n))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

const struct jq_cg_dir *jq_cg_set_find_const(const struct jq_cg_set *s, const char *ctl)
{
	for (size_t i = 0; i < s->n; i++)
		if (jq_cg_ctl_has(s->d[i].ctl, ctl))
			return &s->d[i];
	return NULL;
}

struct jq_cg_dir *jq_cg_set_find(struct jq_cg_set *s, const char *ctl)
{
	return (struct jq_cg_dir *)jq_cg_set_find_const(s, ctl);
}

/*
 * Every cgroup file is read and written here, and only here, so this is
 * where EINTR is retried (as runc does): v1's memory.limit_in_bytes and
 * memory.memsw.limit_in_bytes fail with EINTR whenever the writer has a
 * signal pending, SA_RESTART or not, and jobqd gets a SIGCHLD each time a
 * helper ends. A write the kernel interrupted changed nothing, so writing
 * the same value again is safe.
 */
int jq_cg_write(int dfd, const char *file, const char *val)
{
	/*
	 * O_CREAT only matters to a fake tree in a test (a plain directory):
	 * cgroupfs refuses to create files, so a missing controller file
	 * still fails there.
	 */
	_cleanup_close_ int fd = JQ_RETRY_EINTR(
	    openat(dfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
	size_t n = strlen(val);
	ssize_t k;

	if (fd < 0)
		return -errno;
	/* The kernel parses one write: a short write is an error, not a retry. */
	k = JQ_RETRY_EINTR(write(fd, val, n));
	if (k < 0)
		return -errno;
	return (size_t)k == n ? 0 : -EIO;
}

bool jq_cg_has(int dfd, const char *file)
{
	return JQ_RETRY_EINTR(faccessat(dfd, file, F_OK, 0)) == 0;
}

int jq_cg_read(int dfd, const char *file, char **ret)
{
	_cleanup_close_ int fd =
	    JQ_RETRY_EINTR(openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k;
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *p;
			if (ncap > JQ_CG_MAX_FILE + 1)
				return -EFBIG;
			p = realloc(buf, ncap);
			if (!p)
				return -ENOMEM;
			buf = p;
			cap = ncap;
		}
		k = JQ_RETRY_EINTR(read(fd, buf + len, cap - len - 1));
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (!buf) {
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int parse_i64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	while (*s == ' ')
		s++;
	if (!strncmp(s, "max", 3) && (s[3] == '\0' || s[3] == '\n' || s[3] == ' ')) {
		*ret = JQ_LIMIT_UNSET;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return -EBADMSG;
	*ret = v;
	return 0;
}

int jq_cg_read_i64(int dfd, const char *file, int64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = jq_cg_read(dfd, file, &s);

	if (r < 0)
		return r;
	return parse_i64(s, ret);
}

int jq_cg_read_key(int dfd, const char *file, const char *key, int64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t n = strlen(key);
	int r = jq_cg_read(dfd, file, &s);

	if (r < 0)
		return r;
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, key, n) && line[n] == ' ')
			return parse_i64(line + n + 1, ret);
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int jq_cg_kill_procs(int dfd)
{
	_cleanup_free_ char *s = NULL;
	int r = jq_cg_read(dfd, "cgroup.procs", &s), n = 0;
	char *save = NULL;

	if (r < 0)
		return r;
	for (char *tok = strtok_r(s, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		int64_t pid;
		if (parse_i64(tok, &pid) < 0 || pid <= 0 || pid > INT32_MAX)
			continue;
		if (kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	return n;
}

int jq_cg_procs_any(int dfd)
{
	_cleanup_free_ char *s = NULL;
	int r = jq_cg_read(dfd, "cgroup.procs", &s);

	if (r < 0)
		return r;
	return s[strspn(s, " \n")] != '\0';
}

char *jq_cg_unenforceable(const char *what, int64_t v, const char *why)
{
	return jq_asprintf("limit %s '%" PRId64 "' cannot be enforced: %s", what, v, why);
}

void jq_cg_sleep_usec(int64_t usec)
{
	struct timespec ts = {.tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Kills until empty, at most REMOVE_WAIT_USEC; 0 once empty. */
int jq_cg_kill_until_empty(const struct jq_cg_ops *ops, struct jq_cg_set *s)
{
	for (int64_t waited = 0;; waited += 10000) {
		int r = ops->populated(s);
		if (r <= 0)
			return r;
		if (waited >= REMOVE_WAIT_USEC)
			return -EBUSY;
		(void)ops->kill(s);
		jq_cg_sleep_usec(10000);
	}
}

int jq_cg_set_rmdir(struct jq_cg_set *s)
{
	int r = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->d[i].place_only)
			continue; /* the tenant's, not the job's */
		/* rmdir by path: the parent's fd is not kept. */
		for (int tries = 0;; tries++) {
			if (JQ_RETRY_EINTR(rmdir(s->d[i].path)) == 0 || errno == ENOENT)
				break;
			/* A just-exited task can keep the cgroup busy for a moment. */
			if (errno != EBUSY || tries == 100) {
				if (r == 0)
					r = -errno;
				break;
			}
			jq_cg_sleep_usec(10000);
		}
	}
	return r;
}

/* "MAJ:MIN\n" of a dev file, both numbers checked. */
static int read_dev(int dfd, char *buf, size_t size)
{
	_cleanup_close_ int fd = JQ_RETRY_EINTR(openat(dfd, "dev", O_RDONLY | O_CLOEXEC));
	unsigned maj, min;
	char tail;
	ssize_t k;

	if (fd < 0)
		return -errno;
	k = JQ_RETRY_EINTR(read(fd, buf, size - 1));
	if (k < 0)
		return -errno;
	buf[k] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (sscanf(buf, "%u:%u%c", &maj, &min, &tail) != 2)
		return -EBADMSG;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int jq_cg_block_devices(const char *sys_block, char ***ret)
{
	_cleanup_strv_ char **devs = calloc(1, sizeof(char *));
	DIR *d;
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	if (!devs)
		return -ENOMEM;
	d = opendir(sys_block);
	if (!d) {
		/* No sysfs: no device to cap. */
		if (errno != ENOENT)
			return -errno;
		*ret = TAKE_PTR(devs);
		return 0;
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		char dev[32];
		char **nd;

		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* No device link: virtual (loop, ram, zram, dm), not hardware. */
		if (fd < 0 || faccessat(fd, "device", F_OK, 0) < 0 ||
		    read_dev(fd, dev, sizeof(dev)) < 0)
			continue;
		if (n == JQ_CG_MAX_DEVS) {
			r = -E2BIG;
			break;
		}
		nd = realloc(devs, (n + 2) * sizeof(char *));
		if (!nd) {
			r = -ENOMEM;
			break;
		}
		devs = nd;
		devs[n] = strdup(dev);
		devs[n + 1] = NULL;
		if (!devs[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r < 0)
		return r;
	/* Sorted: the same order on every apply, in logs and in tests. */
	qsort(devs, n, sizeof(char *), cmp_str);
	*ret = TAKE_PTR(devs);
	return 0;
}
