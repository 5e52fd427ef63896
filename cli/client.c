/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cli-internal.h"
#include "jq-paths.h"

/* A JQ_REP_ERROR message longer than this is cut: it is printed, not kept. */
#define CLI_MAX_MESSAGE 4096

void cli_init(struct cli *c, const char *config_path)
{
	*c = (struct cli){.config_path = config_path, .fd = -1};
}

void cli_release(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->socket_path);
	cli_init(c, c->config_path);
}

static int find_socket(struct cli *c)
{
	const char *config = jq_config_path(c->config_path);
	int r;

	r = jq_ini_read_socket(config, &c->socket_path);
	/*
	 * Without -c or $JOBQ_CONFIG a missing default config file is not an
	 * error: the daemon then listens on its default socket too. A file the
	 * user named must exist.
	 */
	if (r == -ENOENT && !c->config_path && !getenv("JOBQ_CONFIG")) {
		c->socket_path = strdup(JQ_DEFAULT_SOCKET);
		r = c->socket_path ? 0 : -ENOMEM;
	}
	if (r < 0)
		return cli_error("cannot read config '%s': %s", config, strerror(-r)), r;
	return 0;
}

int cli_connect(struct cli *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int r;

	if (c->fd >= 0)
		return 0;
	r = find_socket(c);
	if (r < 0)
		return r;
	if (strlen(c->socket_path) > JQ_SOCKET_PATH_MAX) {
		cli_error("socket path '%s' is too long (limit %d bytes)", c->socket_path,
			  JQ_SOCKET_PATH_MAX);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, c->socket_path, strlen(c->socket_path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		cli_error("cannot create socket: %s", strerror(-r));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		cli_error("cannot connect to jobqd at '%s': %s (is jobqd running?)", c->socket_path,
			  strerror(-r));
		return r;
	}
	c->fd = TAKE_FD(fd);
	return 0;
}

static void print_remote_error(const struct jq_msg *m)
{
	const char *msg;
	int64_t e;

	if (jq_msg_get_str(m, JQ_T_MESSAGE, CLI_MAX_MESSAGE, &msg) == 0) {
		fputs("jobq: ", stderr);
		cli_put_printable(stderr, msg);
		fputc('\n', stderr);
	} else if (jq_msg_get_i64(m, JQ_T_ERRNO, &e) == 0 && e > 0 && e < 4096) {
		cli_error("jobqd refused the request: %s", strerror((int)e));
	} else {
		cli_error("jobqd refused the request");
	}
}

int cli_send(struct cli *c, struct jq_msg_writer *w)
{
	int r = jq_msg_writer_finish(w);

	if (r == -EMSGSIZE) {
		cli_error("request too large (limit %d bytes)", JQ_PROTO_MAX_PAYLOAD);
		return r;
	}
	if (r < 0) {
		cli_error("cannot build request: %s", strerror(-r));
		return r;
	}
	r = jq_write_all(c->fd, w->buf.data, w->buf.len);
	if (r == -EPIPE || r == -ECONNRESET) {
		/*
		 * jobqd refuses a connection (too many of this user's, shutting
		 * down) with an error it sends at once, then closes: say why.
		 */
		struct jq_msg m;
		if (jq_msg_read_fd(c->fd, &m) == 0) {
			if (m.type == JQ_REP_ERROR) {
				print_remote_error(&m);
				jq_msg_release(&m);
				return CLI_ERR_REMOTE;
			}
			jq_msg_release(&m);
		}
	}
	if (r < 0) {
		cli_error("cannot send request to jobqd: %s", strerror(-r));
		return r;
	}
	return 0;
}

int cli_recv(struct cli *c, struct jq_msg *ret)
{
	struct jq_msg m;
	int r;

	r = jq_msg_read_fd(c->fd, &m);
	if (r == -EPIPE || r == -ECONNRESET) {
		cli_error("jobqd closed the connection");
		return r;
	}
	if (r == -EPROTO) {
		cli_error("jobqd speaks another protocol version (this jobq speaks %d)",
			  JQ_PROTO_VERSION);
		return r;
	}
	if (r < 0) {
		cli_error("cannot read reply from jobqd: %s", strerror(-r));
		return r;
	}
	if (m.type == JQ_REP_ERROR) {
		print_remote_error(&m);
		jq_msg_release(&m);
		return CLI_ERR_REMOTE;
	}
	*ret = m;
	return 0;
}

int cli_recv_items(struct cli *c, uint16_t item_type, const char *what, long limit,
		   int (*add)(const struct jq_msg *m, void *userdata), void *userdata,
		   struct jq_msg *ret_end)
{
	for (;;) {
		struct jq_msg m;
		int r = cli_recv(c, &m);

		if (r < 0)
			return r;
		if (m.type == JQ_REP_END) {
			if (ret_end)
				*ret_end = m;
			else
				jq_msg_release(&m);
			return 0;
		}
		if (m.type != item_type) {
			cli_error("unexpected reply from jobqd (type %u)", m.type);
			jq_msg_release(&m);
			return -EBADMSG;
		}
		r = add(&m, userdata);
		jq_msg_release(&m);
		if (r == -E2BIG)
			cli_error("jobqd sent more than %ld %s", limit, what);
		else if (r == -EOVERFLOW)
			cli_error("the totals of the %s overflow 64 bits", what);
		else if (r == -ENOMEM)
			cli_error("out of memory");
		else if (r < 0)
			cli_error("malformed %s from jobqd: %s", what, strerror(-r));
		if (r < 0)
			return r;
	}
}

int cli_request_job(struct cli *c, enum jq_msg_type type, int64_t id, struct cli_job *ret)
{
	_cleanup_(cli_job_releasep) struct cli_job j;
	struct jq_msg_writer w;
	struct jq_msg m;
	int r;

	cli_job_init(&j);
	jq_msg_writer_begin(&w, type);
	jq_msg_put_i64(&w, JQ_T_ID, id);
	r = cli_send(c, &w);
	jq_msg_writer_release(&w);
	if (r < 0)
		return r;
	r = cli_recv(c, &m);
	if (r < 0)
		return r;
	if (m.type != JQ_REP_JOB) {
		cli_error("unexpected reply from jobqd (type %u)", m.type);
		jq_msg_release(&m);
		return -EBADMSG;
	}
	r = cli_job_from_msg(&m, &j);
	jq_msg_release(&m);
	if (r < 0) {
		cli_error("malformed job record from jobqd: %s", strerror(-r));
		return r;
	}
	if (j.job.id != id) {
		cli_error("jobqd answered for job %" PRId64 " instead of %" PRId64, j.job.id, id);
		return -EBADMSG;
	}
	*ret = j;
	cli_job_init(&j);
	return 0;
}
