/* SPDX-License-Identifier: MIT */
/*
 * The unix socket: accepting clients, framing, flow control. Frames are
 * cut by jq-frame.c; this file decides when a client's next frame is
 * handled. A malformed or oversized frame gets an error reply and the
 * connection is closed.
 *
 * What one user can make the daemon hold is bounded: connections
 * (max_connections_per_user, root exempt, and JQ_ROOT_RESERVE of the
 * global cap kept for root), unhandled input (a request's payload limit on
 * its header; JQ_USER_MAX_INPUT across the user's connections), time
 * (request_read_timeout from a request's first byte), replies it does not
 * read (JQ_CLIENT_MAX_PENDING per connection, JQ_USER_MAX_PENDING in all:
 * beyond, its requests wait) and the loop (JQ_FRAMES_PER_TURN requests per
 * connection per loop turn; the rest wait on the ready list, so pipelined
 * requests are handled iteratively, never by recursion). A connection whose
 * peer left while its request was in progress is closed within
 * PEER_CHECK_MS (on_peer_timer), so WAIT and LOGS --follow hold nothing
 * once their client is gone.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-util.h"

/* How often the sockets not being read are checked for a departed peer. */
#define PEER_CHECK_MS 1000

/* Cannot be reached: reading pauses while whole frames wait. */
#define IN_MAX                                                                                     \
	(JQ_PROTO_HEADER_SIZE + JQ_PROTO_MAX_PAYLOAD + sizeof(((struct jq_daemon *)0)->read_buf))

/* What the connections of one uid hold together. */
struct jq_user {
	struct jq_user *next;
	uid_t uid;
	size_t refs;	  /* clients not yet freed */
	size_t n_clients; /* open connections */
	size_t in_bytes;  /* capacity of their input buffers */
	size_t out_bytes; /* replies queued, not yet flushed */
	size_t n_paused;  /* clients waiting for out_bytes to fall */
};

struct write_req {
	uv_write_t req;
	struct jq_client *client;
	struct jq_buf buf;
	struct write_req *next; /* deferred until the batch commits */
};

static void serve(struct jq_client *c);
static void on_ready_idle(uv_idle_t *h);
static void batch_commit(struct jq_daemon *d);
static void fail_frame(struct jq_client *c, int err, const char *fmt, ...) _printf_(3, 4);

static struct jq_user *user_get(struct jq_daemon *d, uid_t uid)
{
	struct jq_user *u;

	for (u = d->users; u; u = u->next)
		if (u->uid == uid)
			return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	u->next = d->users;
	d->users = u;
	return u;
}

static void user_unref(struct jq_daemon *d, struct jq_user *u)
{
	struct jq_user **pp;

	if (!u || --u->refs > 0)
		return;
	for (pp = &d->users; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	free(u);
}

/* Counts the input buffer's capacity against the user's bound. */
static void charge_input(struct jq_client *c)
{
	size_t cap = jq_framer_capacity(&c->in);

	if (c->user) {
		c->user->in_bytes -= c->in_charged;
		c->user->in_bytes += cap;
	}
	c->in_charged = cap;
}

static void ready_remove(struct jq_client *c)
{
	struct jq_daemon *d = c->daemon;

	if (!c->ready)
		return;
	if (c->ready_prev)
		c->ready_prev->ready_next = c->ready_next;
	else
		d->ready_head = c->ready_next;
	if (c->ready_next)
		c->ready_next->ready_prev = c->ready_prev;
	else
		d->ready_tail = c->ready_prev;
	c->ready_next = c->ready_prev = NULL;
	c->ready = false;
}

/* Its frames are handled in the next loop turn, after those queued before. */
static void ready_add(struct jq_client *c)
{
	struct jq_daemon *d = c->daemon;

	if (c->ready || c->closing)
		return;
	c->ready = true;
	c->ready_turn = d->ready_turn;
	c->ready_prev = d->ready_tail;
	c->ready_next = NULL;
	if (d->ready_tail)
		d->ready_tail->ready_next = c;
	else
		d->ready_head = c;
	d->ready_tail = c;
	if (!uv_is_active((uv_handle_t *)&d->ready_idle))
		uv_idle_start(&d->ready_idle, on_ready_idle);
}

/*
 * What a queued reply costs the daemon: its buffer (grown by doubling) and
 * the request, not only the frame's length; a LIST reply of small frames
 * costs three times its bytes.
 */
static size_t write_req_cost(const struct write_req *wr)
{
	return wr->buf.cap + sizeof(*wr) + 32;
}

static void pending_add(struct jq_client *c, size_t n)
{
	c->pending_bytes += n;
	if (c->user)
		c->user->out_bytes += n;
}

static void pending_sub(struct jq_client *c, size_t n)
{
	struct jq_user *u = c->user;

	c->pending_bytes -= n;
	if (!u)
		return;
	u->out_bytes -= n;
	if (u->n_paused == 0 || u->out_bytes > JQ_USER_MAX_PENDING / 2)
		return;
	/* Below half the bound again: the user's waiting clients go on. */
	for (struct jq_client *o = c->daemon->clients; o && u->n_paused > 0; o = o->next)
		if (o->user == u && o->output_paused &&
		    o->pending_bytes <= JQ_CLIENT_MAX_PENDING / 2) {
			o->output_paused = false;
			u->n_paused--;
			ready_add(o);
		}
}

static bool output_full(const struct jq_client *c)
{
	return c->pending_bytes > JQ_CLIENT_MAX_PENDING ||
	       (c->user && c->user->out_bytes > JQ_USER_MAX_PENDING);
}

static void deferred_drop(struct jq_client *c)
{
	struct write_req *wr, *next;

	for (wr = c->deferred; wr; wr = next) {
		next = wr->next;
		pending_sub(c, write_req_cost(wr));
		jq_buf_release(&wr->buf);
		free(wr);
	}
	c->deferred = NULL;
	c->deferred_tail = &c->deferred;
}

static void on_client_closed(uv_handle_t *h)
{
	struct jq_client *c = (struct jq_client *)h;

	jq_framer_release(&c->in);
	charge_input(c);
	user_unref(c->daemon, c->user);
	jq_peer_release(&c->peer);
	free(c);
}

void jq_client_close(struct jq_client *c)
{
	struct jq_daemon *d = c->daemon;

	if (c->closing)
		return;
	c->closing = true;
	ready_remove(c);
	deferred_drop(c);
	if (c->output_paused && c->user)
		c->user->n_paused--;
	c->output_paused = false;
	if (c->user)
		c->user->n_clients--;
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

	pending_sub(c, write_req_cost(wr));
	jq_buf_release(&wr->buf);
	free(wr);
	if (status < 0) {
		jq_client_close(c);
		return;
	}
	if (c->output_paused && !c->closing && !output_full(c) &&
	    c->pending_bytes <= JQ_CLIENT_MAX_PENDING / 2) {
		c->output_paused = false;
		c->user->n_paused--;
		ready_add(c);
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
		pending_add(c, write_req_cost(wr));
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
	pending_add(c, write_req_cost(wr));
	return 0;
}

static int send_errorv(struct jq_client *c, int err, const char *fmt, va_list ap)
{
	struct jq_msg_writer w;
	char msg[JQ_PROTO_MAX_REASON];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	jq_msg_writer_begin(&w, JQ_REP_ERROR);
	jq_msg_put_i64(&w, JQ_T_ERRNO, err < 0 ? -err : err);
	jq_msg_put_str(&w, JQ_T_MESSAGE, msg);
	return jq_client_send(c, &w);
}

int jq_client_send_error(struct jq_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = send_errorv(c, err, fmt, ap);
	va_end(ap);
	return r;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct jq_client *c = (struct jq_client *)h;

	*buf = uv_buf_init(c->daemon->read_buf, sizeof(c->daemon->read_buf));
}

static void read_set(struct jq_client *c, bool on);

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct jq_client *c = (struct jq_client *)s;
	int r;

	if (n < 0) {
		jq_client_close(c);
		return;
	}
	if (n == 0 || c->refused)
		return;
	if (jq_framer_pending(&c->in) + (size_t)n > IN_MAX) {
		jq_client_close(c);
		return;
	}
	r = jq_framer_feed(&c->in, buf->base, (size_t)n);
	charge_input(c);
	if (r < 0) {
		jq_client_close(c);
		return;
	}
	if (c->user->in_bytes > JQ_USER_MAX_INPUT) {
		fail_frame(c, ENOBUFS,
			   "too many unfinished requests: your connections hold %zu bytes of "
			   "requests not yet received whole (limit %d bytes per user)",
			   c->user->in_bytes, JQ_USER_MAX_INPUT);
		return;
	}
	if (!c->frame_start)
		c->frame_start = uv_now(&c->daemon->loop);
	/* Handled in the next loop turn; nothing more is read until then. */
	read_set(c, false);
	ready_add(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct jq_client *c = req->data;

	free(req);
	jq_client_close(c);
}

static void shutdown_client(struct jq_client *c)
{
	uv_shutdown_t *req;

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

/*
 * Sends an error, then closes once the reply is flushed (after the replies
 * the open batch holds back, which go first).
 */
static void fail_frame(struct jq_client *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->closing || c->refused)
		return;
	read_set(c, false);
	ready_remove(c);
	c->busy = true;
	c->refused = true;
	va_start(ap, fmt);
	send_errorv(c, err, fmt, ap);
	va_end(ap);
	if (c->closing || c->deferred)
		return; /* deferred_flush() shuts down */
	shutdown_client(c);
}

static void read_set(struct jq_client *c, bool on)
{
	if (c->closing || on == c->reading)
		return;
	c->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&c->pipe);
}

static void handle_frame(struct jq_client *c, const struct jq_frame *fr)
{
	struct jq_msg m;

	c->frame_start = 0;
	if (jq_msg_parse(fr->type, fr->payload, fr->len, &m) < 0) {
		fail_frame(c, EBADMSG, "malformed message");
		return;
	}
	c->busy = true;
	jq_request_handle(c, &m);
	jq_msg_release(&m);
}

/*
 * Handles at most JQ_FRAMES_PER_TURN of the client's buffered requests,
 * in a loop: a handler that answers at once calls jq_client_done(), which
 * only marks the client idle here. Then decides whether to read on, to
 * continue in the next turn, or to wait (a request in progress, unread
 * replies).
 */
static void serve(struct jq_client *c)
{
	struct jq_daemon *d = c->daemon;
	bool more = true;

	c->serving = true;
	for (int i = 0; i < JQ_FRAMES_PER_TURN && more; i++) {
		struct jq_frame fr;
		int r;

		if (c->busy || c->closing || c->refused || c->output_paused)
			break;
		if (output_full(c)) {
			c->output_paused = true;
			c->user->n_paused++;
			break;
		}
		r = jq_framer_next(&c->in, &fr);
		if (r == 0) {
			more = false;
		} else if (r == -EPROTO) {
			fail_frame(c, EPROTO,
				   "protocol version mismatch: this jobqd speaks version %d",
				   JQ_PROTO_VERSION);
		} else if (r == -EMSGSIZE) {
			fail_frame(c, EMSGSIZE,
				   "%s request too large: %" PRIu32 " bytes (limit %" PRIu32
				   " bytes)",
				   jq_proto_request_name(fr.type), fr.len,
				   jq_proto_request_max_payload(fr.type));
		} else if (r < 0) {
			fail_frame(c, -r, "cannot read request: %s", strerror(-r));
		} else {
			handle_frame(c, &fr);
		}
	}
	c->serving = false;
	charge_input(c);
	if (c->closing || c->refused || c->busy || c->output_paused)
		return;
	if (more) {
		ready_add(c); /* its share of this turn is used up */
		return;
	}
	if (jq_framer_pending(&c->in) > 0 && !c->frame_start)
		c->frame_start = uv_now(&d->loop);
	read_set(c, true);
}

static void on_ready_idle(uv_idle_t *h)
{
	struct jq_daemon *d = h->data;
	struct jq_client *c;

	/* Only the clients queued before this turn: the others wait for the next. */
	d->ready_turn++;
	while ((c = d->ready_head) && c->ready_turn < d->ready_turn) {
		ready_remove(c);
		serve(c);
	}
	/*
	 * Commit what these requests wrote now, not in the check phase: the
	 * dispatcher's idle handle may run next in this phase, and a job it
	 * starts must be stored as started before its helper runs, or a
	 * crash before the commit runs it twice.
	 */
	batch_commit(d);
	if (!d->ready_head)
		uv_idle_stop(&d->ready_idle);
}

static void on_frame_timer(uv_timer_t *t)
{
	struct jq_daemon *d = t->data;
	uint64_t now = uv_now(&d->loop),
		 limit = (uint64_t)d->config->request_read_timeout_usec / 1000;
	struct jq_client *c, *next;

	uv_timer_set_repeat(t, limit / 4); /* after a reload */
	for (c = d->clients; c; c = next) {
		next = c->next;
		if (!c->frame_start || c->busy || c->refused || c->ready ||
		    now - c->frame_start < limit)
			continue;
		fail_frame(c, ETIMEDOUT,
			   "request not received whole within %" PRIu64
			   " s of its first byte (request_read_timeout), closing the connection",
			   limit / 1000);
	}
}

/*
 * While a request is in progress (a WAIT or LOGS --follow on a held job
 * may last days) or replies are unread, the socket is not read, so a
 * client that went away is not seen, and a silent request writes nothing
 * that could fail. Its connection would count against the user's
 * max_connections_per_user until the job ends. So every second the
 * sockets not being read are asked whether the peer is gone: on AF_UNIX,
 * POLLHUP means the peer closed its end entirely (not shutdown(SHUT_WR),
 * which only stops its requests: such a client still gets its answer),
 * and bytes it sent are left in the socket for later.
 */
static void on_peer_timer(uv_timer_t *t)
{
	struct jq_daemon *d = t->data;
	struct jq_client *c, *next;

	for (c = d->clients; c; c = next) {
		struct pollfd p = {.events = POLLIN};
		uv_os_fd_t fd;

		next = c->next;
		if (c->closing || c->reading || uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0)
			continue;
		p.fd = fd;
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			jq_client_close(c);
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
			pending_sub(c, write_req_cost(wr));
			jq_buf_release(&wr->buf);
			free(wr);
			jq_client_close(c);
		}
	}
	if (c->refused && !c->closing)
		shutdown_client(c);
}

static void batch_commit(struct jq_daemon *d)
{
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
			deferred_drop(c);
			c->refused = false;
			fail_frame(c, -r, "cannot commit to the database: %s", strerror(-r));
		}
	}
}

static void on_batch_check(uv_check_t *h)
{
	batch_commit(h->data);
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
	if (c->closing || c->refused)
		return;
	c->busy = false;
	c->wait_id = -1;
	c->log_id = -1;
	c->log_follow = false;
	/* Never handle the next request from here: that recursed once per request. */
	if (!c->serving)
		ready_add(c);
}

/* Why a connection is not served, or NULL. */
static int admit(struct jq_client *c, char *msg, size_t n)
{
	struct jq_daemon *d = c->daemon;
	bool root = jq_peer_is_root(&c->peer);
	size_t max = d->max_clients ? d->max_clients : JQ_MAX_CLIENTS;
	int64_t per_user = d->config->max_connections_per_user;

	if (d->stopping) {
		snprintf(msg, n, "jobqd is shutting down");
		return -ESHUTDOWN;
	}
	if (d->n_clients > max || (!root && d->n_clients > max - JQ_ROOT_RESERVE)) {
		snprintf(msg, n, "jobqd is serving its maximum of %zu connections, try again later",
			 root ? max : max - JQ_ROOT_RESERVE);
		return -EAGAIN;
	}
	if (!root && (int64_t)c->user->n_clients > per_user) {
		snprintf(msg, n,
			 "too many connections: user '%s' has %zu open (limit "
			 "max_connections_per_user = %" PRId64 ")",
			 c->peer.user, c->user->n_clients - 1, per_user);
		return -EUSERS;
	}
	/*
	 * An unprivileged daemon can only run jobs as itself: serving anyone
	 * else would let them run code as the daemon's user.
	 */
	if (!d->privileged && c->peer.uid != geteuid()) {
		snprintf(msg, n, "this jobqd runs unprivileged and serves only its own user");
		return -EACCES;
	}
	return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct jq_daemon *d = server->data;
	struct jq_client *c;
	uv_os_fd_t fd;
	char msg[256];
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
	jq_framer_init(&c->in, jq_proto_request_max_payload);
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
	r = uv_fileno((uv_handle_t *)&c->pipe, &fd);
	if (r >= 0)
		r = jq_peer_load(&c->peer, fd);
	if (r >= 0) {
		c->user = user_get(d, c->peer.uid);
		if (!c->user)
			r = -ENOMEM;
	}
	if (r < 0) {
		jq_log_warning_errno(r, "cannot read peer credentials: %m, closing connection");
		jq_client_close(c);
		return;
	}
	c->user->refs++;
	c->user->n_clients++;
	r = admit(c, msg, sizeof(msg));
	if (r < 0) {
		fail_frame(c, -r, "%s", msg);
		return;
	}
	read_set(c, true);
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
	uv_idle_init(&d->loop, &d->ready_idle);
	d->ready_idle.data = d;
	uv_timer_init(&d->loop, &d->frame_timer);
	d->frame_timer.data = d;
	{
		/* A request is dropped between 1x and 1.25x its deadline. */
		uint64_t ms = (uint64_t)d->config->request_read_timeout_usec / 4000;
		uv_timer_start(&d->frame_timer, on_frame_timer, ms, ms);
		uv_unref((uv_handle_t *)&d->frame_timer);
	}
	uv_timer_init(&d->loop, &d->peer_timer);
	d->peer_timer.data = d;
	uv_timer_start(&d->peer_timer, on_peer_timer, PEER_CHECK_MS, PEER_CHECK_MS);
	uv_unref((uv_handle_t *)&d->peer_timer);
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
