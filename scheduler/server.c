/* SPDX-License-Identifier: MIT */
/*
 * The unix socket: accepting clients, framing, flow control. A malformed
 * or oversized frame gets an error reply and the connection is closed;
 * nothing a client sends can make the daemon allocate more than one
 * frame's worth or block.
 */
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-util.h"

#define IN_MAX                                                                                     \
	(JQ_PROTO_HEADER_SIZE + JQ_PROTO_MAX_PAYLOAD + sizeof(((struct jq_daemon *)0)->read_buf))

struct write_req {
	uv_write_t req;
	struct jq_client *client;
	struct jq_buf buf;
	struct write_req *next; /* deferred until the batch commits */
};

static void deferred_drop(struct jq_client *c)
{
	struct write_req *wr, *next;

	for (wr = c->deferred; wr; wr = next) {
		next = wr->next;
		c->pending_bytes -= wr->buf.len;
		jq_buf_release(&wr->buf);
		free(wr);
	}
	c->deferred = NULL;
	c->deferred_tail = &c->deferred;
}

static void process_input(struct jq_client *c);
static void fail_frame(struct jq_client *c, int err, const char *what);

static void on_client_closed(uv_handle_t *h)
{
	struct jq_client *c = (struct jq_client *)h;

	jq_peer_release(&c->peer);
	jq_buf_release(&c->in);
	free(c);
}

void jq_client_close(struct jq_client *c)
{
	struct jq_daemon *d = c->daemon;

	if (c->closing)
		return;
	c->closing = true;
	deferred_drop(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->n_clients--;
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
	jq_logs_timer_update(d);
}

static void on_write(uv_write_t *req, int status)
{
	struct write_req *wr = (struct write_req *)req;
	struct jq_client *c = wr->client;

	c->pending_bytes -= wr->buf.len;
	jq_buf_release(&wr->buf);
	free(wr);
	if (status < 0) {
		jq_client_close(c);
		return;
	}
	if (c->log_writing && !c->closing) {
		c->log_writing = false;
		jq_logs_pump(c);
	}
}

int jq_client_send(struct jq_client *c, struct jq_msg_writer *w)
{
	struct write_req *wr;
	uv_buf_t b;
	int r;

	r = jq_msg_writer_finish(w);
	if (r < 0) {
		jq_msg_writer_release(w);
		return r;
	}
	if (c->closing) {
		jq_msg_writer_release(w);
		return -EPIPE;
	}
	wr = calloc(1, sizeof(*wr));
	if (!wr) {
		jq_msg_writer_release(w);
		return -ENOMEM;
	}
	wr->client = c;
	wr->buf = w->buf;
	w->buf = (struct jq_buf){0};
	if (c->daemon->batch_open) {
		if (!c->deferred_tail)
			c->deferred_tail = &c->deferred;
		*c->deferred_tail = wr;
		c->deferred_tail = &wr->next;
		c->pending_bytes += wr->buf.len;
		return 0;
	}
	b = uv_buf_init((char *)wr->buf.data, (unsigned)wr->buf.len);
	r = uv_write(&wr->req, (uv_stream_t *)&c->pipe, &b, 1, on_write);
	if (r < 0) {
		jq_buf_release(&wr->buf);
		free(wr);
		jq_client_close(c);
		return r;
	}
	c->pending_bytes += wr->buf.len;
	return 0;
}

int jq_client_send_error(struct jq_client *c, int err, const char *fmt, ...)
{
	struct jq_msg_writer w;
	char msg[JQ_PROTO_MAX_REASON];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jq_msg_writer_begin(&w, JQ_REP_ERROR);
	jq_msg_put_i64(&w, JQ_T_ERRNO, err < 0 ? -err : err);
	jq_msg_put_str(&w, JQ_T_MESSAGE, msg);
	return jq_client_send(c, &w);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct jq_client *c = (struct jq_client *)h;

	*buf = uv_buf_init(c->daemon->read_buf, sizeof(c->daemon->read_buf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct jq_client *c = (struct jq_client *)s;
	size_t have;

	if (n < 0) {
		jq_client_close(c);
		return;
	}
	if (n == 0)
		return;
	have = c->in.len - c->in_off;
	if (have + (size_t)n > IN_MAX) {
		/* Cannot happen with reading paused while busy; refuse anyway. */
		jq_client_close(c);
		return;
	}
	if (c->in_off > 0) {
		memmove(c->in.data, c->in.data + c->in_off, have);
		c->in.len = have;
		c->in_off = 0;
	}
	if (c->in.len + (size_t)n > c->in.cap) {
		size_t ncap = c->in.cap ? c->in.cap : 4096;
		uint8_t *p;
		while (ncap < c->in.len + (size_t)n)
			ncap *= 2;
		p = realloc(c->in.data, ncap);
		if (!p) {
			jq_client_close(c);
			return;
		}
		c->in.data = p;
		c->in.cap = ncap;
	}
	memcpy(c->in.data + c->in.len, buf->base, (size_t)n);
	c->in.len += (size_t)n;
	process_input(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct jq_client *c = req->data;

	free(req);
	jq_client_close(c);
}

/* Sends an error, then closes once the reply is flushed. */
static void fail_frame(struct jq_client *c, int err, const char *what)
{
	uv_shutdown_t *req;

	uv_read_stop((uv_stream_t *)&c->pipe);
	c->busy = true;
	jq_client_send_error(c, err, "%s", what);
	if (c->closing)
		return;
	req = calloc(1, sizeof(*req));
	if (!req) {
		jq_client_close(c);
		return;
	}
	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)&c->pipe, on_shutdown) < 0) {
		free(req);
		jq_client_close(c);
	}
}

static void process_input(struct jq_client *c)
{
	while (!c->busy && !c->closing) {
		size_t have = c->in.len - c->in_off;
		const uint8_t *p = c->in.data + c->in_off;
		struct jq_msg m;
		uint16_t type;
		uint32_t len;
		int r;

		if (have < JQ_PROTO_HEADER_SIZE)
			break;
		r = jq_frame_header_parse(p, &type, &len);
		if (r == -EPROTO) {
			fail_frame(c, EPROTO,
				   "protocol version mismatch: this jobqd speaks version 1");
			return;
		}
		if (r == -EMSGSIZE) {
			char msg[128];
			snprintf(msg, sizeof(msg), "message too large (limit %d bytes)",
				 JQ_PROTO_MAX_PAYLOAD);
			fail_frame(c, EMSGSIZE, msg);
			return;
		}
		if (have - JQ_PROTO_HEADER_SIZE < len)
			break;
		r = jq_msg_parse(type, p + JQ_PROTO_HEADER_SIZE, len, &m);
		c->in_off += JQ_PROTO_HEADER_SIZE + len;
		if (r < 0) {
			fail_frame(c, EBADMSG, "malformed message");
			return;
		}
		c->busy = true;
		uv_read_stop((uv_stream_t *)&c->pipe);
		jq_request_handle(c, &m);
		jq_msg_release(&m);
	}
	if (c->in_off == c->in.len) {
		c->in.len = 0;
		c->in_off = 0;
	}
}

/* Writes what waited for the batch's commit, in order. */
static void deferred_flush(struct jq_client *c)
{
	struct write_req *wr = c->deferred, *next;

	c->deferred = NULL;
	c->deferred_tail = &c->deferred;
	for (; wr; wr = next) {
		uv_buf_t b = uv_buf_init((char *)wr->buf.data, (unsigned)wr->buf.len);
		next = wr->next;
		wr->next = NULL;
		if (c->closing ||
		    uv_write(&wr->req, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
			c->pending_bytes -= wr->buf.len;
			jq_buf_release(&wr->buf);
			free(wr);
			jq_client_close(c);
		}
	}
}

static void on_batch_check(uv_check_t *h)
{
	struct jq_daemon *d = h->data;
	struct jq_client *c, *next;
	int r;

	if (!d->batch_open)
		return;
	d->batch_open = false;
	r = jq_store_commit(d->store);
	if (r < 0) {
		(void)jq_store_rollback(d->store);
		jq_log_error_errno(r, "cannot commit to the database: %m");
	}
	for (c = d->clients; c; c = next) {
		next = c->next;
		if (!c->deferred)
			continue;
		if (r >= 0) {
			deferred_flush(c);
		} else {
			/*
			 * Nothing this turn wrote is stored: whatever the replies
			 * said, the truth is this error, and the connection ends.
			 * NEEDSWORK: in-memory state changed in the turn (fair-share
			 * heads, finished runs) is not rolled back; a restart
			 * reconciles it with the database.
			 */
			char msg[256];
			deferred_drop(c);
			snprintf(msg, sizeof(msg), "cannot commit to the database: %s",
				 strerror(-r));
			fail_frame(c, -r, msg);
		}
	}
}

void jq_batch_begin(struct jq_daemon *d)
{
	if (d->batch_open || jq_store_in_transaction(d->store))
		return;
	if (jq_store_begin(d->store) >= 0)
		d->batch_open = true;
}

void jq_batch_init(struct jq_daemon *d)
{
	uv_check_init(&d->loop, &d->batch_check);
	d->batch_check.data = d;
	uv_check_start(&d->batch_check, on_batch_check);
	/* Commits when there is something to commit; never keeps the loop alive. */
	uv_unref((uv_handle_t *)&d->batch_check);
}

void jq_client_done(struct jq_client *c)
{
	if (c->closing)
		return;
	c->busy = false;
	c->wait_id = -1;
	c->log_id = -1;
	c->log_follow = false;
	process_input(c);
	if (!c->busy && !c->closing)
		uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct jq_daemon *d = server->data;
	struct jq_client *c;
	uv_os_fd_t fd;
	int r;

	if (status < 0) {
		jq_log_warning_errno(status, "accept failed: %m, ignoring");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->daemon = d;
	c->deferred_tail = &c->deferred;
	c->wait_id = -1;
	c->log_id = -1;
	uv_pipe_init(&d->loop, &c->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		uv_close((uv_handle_t *)&c->pipe, on_client_closed);
		return;
	}
	c->next = d->clients;
	if (d->clients)
		d->clients->prev = c;
	d->clients = c;
	d->n_clients++;
	if (d->n_clients > JQ_MAX_CLIENTS || d->stopping) {
		jq_client_close(c);
		return;
	}
	r = uv_fileno((uv_handle_t *)&c->pipe, &fd);
	if (r >= 0)
		r = jq_peer_load(&c->peer, fd);
	if (r < 0) {
		jq_log_warning_errno(r, "cannot read peer credentials: %m, closing connection");
		jq_client_close(c);
		return;
	}
	/*
	 * An unprivileged daemon can only run jobs as itself: serving anyone
	 * else would let them run code as the daemon's user.
	 */
	if (!d->privileged && c->peer.uid != geteuid()) {
		fail_frame(c, EACCES, "this jobqd runs unprivileged and serves only its own user");
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* True if something accepts connections on path. */
static bool socket_alive(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int jq_server_listen(struct jq_daemon *d, char **ret_err)
{
	const char *path = d->config->socket;
	_cleanup_free_ char *dir = strdup(path);
	char *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = jq_mkdir_p(dir, 0755);
		if (r < 0) {
			*ret_err = jq_asprintf("cannot create socket directory '%s': %s", dir,
					       strerror(-r));
			return r;
		}
	}
	if (socket_alive(path)) {
		*ret_err = jq_asprintf("another jobqd is already listening on '%s'", path);
		return -EADDRINUSE;
	}
	(void)unlink(path);
	uv_pipe_init(&d->loop, &d->server, 0);
	d->server.data = d;
	r = uv_pipe_bind(&d->server, path);
	if (r >= 0) {
		/* Every user may connect; each request is authorized on its own. */
		if (chmod(path, d->privileged ? 0666 : 0600) < 0)
			r = -errno;
	}
	if (r >= 0)
		r = uv_listen((uv_stream_t *)&d->server, 511, on_connection);
	if (r < 0) {
		*ret_err = jq_asprintf("cannot listen on '%s': %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)&d->server, NULL);
		return r;
	}
	d->server_open = true;
	return 0;
}

void jq_server_close_listener(struct jq_daemon *d)
{
	if (d->server_open) {
		d->server_open = false;
		uv_close((uv_handle_t *)&d->server, NULL);
		(void)unlink(d->config->socket);
	}
}

void jq_server_close(struct jq_daemon *d)
{
	jq_server_close_listener(d);
	while (d->clients)
		jq_client_close(d->clients);
}
