/* SPDX-License-Identifier: MIT */
/*
 * The wire protocol between jobq and jobqd, and the file format of the
 * records jobqd and jobq-exec exchange through a job's run directory. This
 * header holds only the protocol and its version (after tmux-protocol.h).
 *
 * A frame is an 8-byte header followed by a payload:
 *   u32 payload length | u16 protocol version | u16 message type   (big-endian)
 * The payload is a sequence of fields:
 *   u16 tag | u32 length | length bytes                          (big-endian)
 * Integers are fields of exactly 8 bytes (i64, big-endian). Strings are
 * UTF-8 without NUL bytes. A tag may repeat (argv, env, after): order is
 * kept. A payload longer than JQ_PROTO_MAX_PAYLOAD is refused before any
 * allocation.
 *
 * A connection carries requests one after another (a client may send them
 * ahead: they are handled in order); each request gets its replies in
 * order before the next is handled. Replies:
 *   JQ_REP_ERROR {ERRNO, MESSAGE}                  to any request
 *   SUBMIT  {TENANT, ARGV+, ENV*, CWD, NAME?, REQ_*?, PRIORITY?, AFTER*, HOLD?}
 *           -> JQ_REP_JOB
 *   LIST    {TENANT?, STATE?, USER?, LIST_LIMIT?} -> JQ_REP_JOB* then JQ_REP_END
 *           {LIST_MORE?}: the newest LIST_LIMIT (default 300, at most
 *           10000) jobs the peer may see, newest first; their ARGV is
 *           only the start of the command (at most 256 bytes, the last
 *           argument possibly cut), they carry no ENV or CWD.
 *   SHOW    {ID}                           -> JQ_REP_JOB (with ARGV, ENV, CWD)
 *   LOGS    {ID, FOLLOW?}                  -> JQ_REP_LOG* then JQ_REP_END;
 *           with FOLLOW the daemon keeps sending until the job has ended and
 *           its logs are drained, and the END carries the final job record.
 *   CANCEL / HOLD / RELEASE {ID}          -> JQ_REP_JOB (the new state)
 *   WAIT    {ID}                           -> JQ_REP_JOB once the job has ended
 * A malformed frame gets an error reply and the connection is closed.
 */
#ifndef JQ_PROTOCOL_H
#define JQ_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JQ_PROTO_VERSION     1
#define JQ_PROTO_HEADER_SIZE 8
/* argv + env of one submission, summed as the bytes of their strings. */
#define JQ_PROTO_MAX_ARGV_ENV (1024 * 1024)
#define JQ_PROTO_MAX_PAYLOAD  (JQ_PROTO_MAX_ARGV_ENV + 256 * 1024)
/*
 * Every request but SUBMIT carries a few ids, names and flags: its payload
 * is refused past this, on the header, before anything is buffered.
 */
#define JQ_PROTO_MAX_REQUEST (16 * 1024)
/* Bounds of single fields a user controls. */
#define JQ_PROTO_MAX_NAME      256
#define JQ_PROTO_MAX_PATH      4096
#define JQ_PROTO_MAX_REASON    1024
#define JQ_PROTO_MAX_AFTER     1024
#define JQ_PROTO_MAX_LOG_CHUNK (64 * 1024)

enum jq_msg_type {
	/* requests, client -> daemon */
	JQ_REQ_SUBMIT = 1,
	JQ_REQ_LIST = 2,
	JQ_REQ_SHOW = 3,
	JQ_REQ_LOGS = 4,
	JQ_REQ_CANCEL = 5,
	JQ_REQ_WAIT = 6,
	JQ_REQ_HOLD = 7,
	JQ_REQ_RELEASE = 8,
	JQ_REQ_SHARE = 9,   /* fair share: `jobq share` */
	JQ_REQ_REPORT = 10, /* accounting: `jobq report` */
	JQ_REQ_DOCTOR = 11, /* cgroups/sandbox: `jobq doctor` */
	/* replies, daemon -> client */
	JQ_REP_ERROR = 100,
	JQ_REP_JOB = 101,
	JQ_REP_LOG = 102,
	JQ_REP_END = 103,
	JQ_REP_ROW = 104, /* one row of a report, share or doctor answer */
	/* records in a job's run directory */
	JQ_MSG_EXEC_SPEC = 200,
	JQ_MSG_EXEC_RESULT = 201,
};

enum jq_tag {
	/* job record (JQ_REP_JOB) and requests */
	JQ_T_ID = 1,		 /* i64 */
	JQ_T_TENANT = 2,	 /* str */
	JQ_T_USER = 3,		 /* str, the submitter's user name */
	JQ_T_NAME = 4,		 /* str */
	JQ_T_STATE = 5,		 /* str, jq_job_state_to_string() */
	JQ_T_REASON = 6,	 /* str */
	JQ_T_EXIT_CODE = 7,	 /* i64 */
	JQ_T_SIGNAL = 8,	 /* i64 */
	JQ_T_SUBMITTED_AT = 9,	 /* i64 usec since the epoch */
	JQ_T_STARTED_AT = 10,	 /* i64 */
	JQ_T_FINISHED_AT = 11,	 /* i64 */
	JQ_T_LIMIT_CPUS = 12,	 /* i64 millicpus, effective */
	JQ_T_LIMIT_MEMORY = 13,	 /* i64 bytes, effective */
	JQ_T_LIMIT_PIDS = 14,	 /* i64, effective */
	JQ_T_LIMIT_TIMEOUT = 15, /* i64 usec, effective */
	JQ_T_CPU_USER = 16,	 /* i64 usec; accounting fields only once finished */
	JQ_T_CPU_SYSTEM = 17,
	JQ_T_MEMORY_PEAK = 18,
	JQ_T_IO_READ = 19,
	JQ_T_IO_WRITE = 20,
	JQ_T_WALL = 21,
	JQ_T_QUEUE_WAIT = 22,
	JQ_T_ARGV = 23,		 /* str, repeated */
	JQ_T_ENV = 24,		 /* str "K=V", repeated */
	JQ_T_CWD = 25,		 /* str, absolute */
	JQ_T_PRIORITY = 26,	 /* i64, -1000..1000 */
	JQ_T_AFTER = 27,	 /* i64 job id, repeated */
	JQ_T_HOLD = 28,		 /* i64 0/1 */
	JQ_T_REQ_CPUS = 29,	 /* i64 millicpus, requested */
	JQ_T_REQ_MEMORY = 30,	 /* i64 bytes, requested */
	JQ_T_REQ_PIDS = 31,	 /* i64, requested */
	JQ_T_REQ_TIMEOUT = 32,	 /* i64 usec, requested */
	JQ_T_FOLLOW = 33,	 /* i64 0/1 */
	JQ_T_STREAM = 34,	 /* i64 1 = stdout, 2 = stderr */
	JQ_T_DATA = 35,		 /* bytes (not necessarily UTF-8) */
	JQ_T_ERRNO = 36,	 /* i64, positive errno value */
	JQ_T_MESSAGE = 37,	 /* str, a human message */
	JQ_T_UID = 38,		 /* i64 */
	JQ_T_GID = 39,		 /* i64 */
	JQ_T_GIDS = 40,		 /* i64, repeated: supplementary groups */
	JQ_T_MAX_LOG_BYTES = 41, /* i64 */
	JQ_T_KILL_GRACE = 42,	 /* i64 usec */
	JQ_T_STATUS = 43,	 /* i64, enum jq_exec_status */
	JQ_T_END_CAUSE = 44,	 /* i64, enum jq_exec_end_cause */
	JQ_T_LOG_TRUNCATED = 45, /* i64 0/1 */
	JQ_T_POSITION = 46,	 /* i64, position among its tenant's waiting jobs */
	/* fair share (issue 5): SUBMIT fields; SHARE {} -> ROW* END */
	JQ_T_ARRAY = 60,	      /* i64 SUBMIT: copies (submit --array N); reply: N */
	JQ_T_AFTER_ANY = 61,	      /* i64 job id, repeated: runs once it ended, any state */
	JQ_T_SHARE_WEIGHT = 62,	      /* i64 ROW */
	JQ_T_SHARE_NORMALIZED = 63,   /* i64 ROW, weight / all weights, in millionths */
	JQ_T_SHARE_USAGE = 64,	      /* i64 ROW, decayed CPU usec */
	JQ_T_SHARE_EFFECTIVE = 65,    /* i64 ROW, usage / all usage, in millionths */
	JQ_T_SHARE_RUNNING = 66,      /* i64 ROW (END: all tenants) */
	JQ_T_SHARE_QUEUED = 67,	      /* i64 ROW (END: all tenants) */
	JQ_T_SHARE_MEMORY = 68,	      /* i64 ROW/END, memory limits of running jobs, bytes */
	JQ_T_SHARE_MAX_RUNNING = 69,  /* i64 END, global slots */
	JQ_T_SHARE_BUDGET = 70,	      /* i64 END, host memory budget in bytes */
	JQ_T_SHARE_HALF_LIFE = 71,    /* i64 END, fairshare_half_life in usec */
	JQ_T_SHARE_DECISIONS = 72,    /* i64 END, dispatch decisions since start */
	JQ_T_SHARE_DECISION_AVG = 73, /* i64 END, mean decision time, nsec */
	JQ_T_SHARE_DECISION_MAX = 74, /* i64 END, longest decision time, nsec */
	/* hostile queries (issue 11): LIST paging */
	JQ_T_LIST_LIMIT = 150, /* i64 LIST: at most this many jobs, newest first */
	JQ_T_LIST_MORE = 151,  /* i64 END of LIST: 1 = more jobs match than were sent */
	/* sandbox (issue 4): jobq-exec spec fields, see executor/jq-exec.h */
	JQ_T_SANDBOX_HIDE = 130,     /* str, repeated: absolute path made invisible */
	JQ_T_SANDBOX_RO = 131,	     /* str, repeated: absolute path bound read-only */
	JQ_T_SANDBOX_RW = 132,	     /* str, repeated: absolute path bound read-write */
	JQ_T_SANDBOX_TMP_SIZE = 133, /* i64 bytes, size of the private /tmp */
	JQ_T_SANDBOX_NOFILE = 134,   /* i64, RLIMIT_NOFILE */
	JQ_T_SANDBOX_NETWORK = 135,  /* i64, enum jq_exec_network */
	JQ_T_SANDBOX_SECCOMP = 136,  /* i64 0/1 */
	JQ_T_SANDBOX_NPROC = 137,    /* i64, RLIMIT_NPROC */
	/* accounting (issue 6): REPORT {TENANT?, REPORT_BY?, SINCE?, UNTIL?} -> ROW* END */
	JQ_T_REPORT_BY = 80,	/* str: tenant, user, day, state */
	JQ_T_REPORT_SINCE = 81, /* i64 usec, finished_at >= since */
	JQ_T_REPORT_UNTIL = 82, /* i64 usec, finished_at < until */
	JQ_T_REPORT_KEY = 83,	/* str, the group of a ROW */
	JQ_T_REPORT_JOBS =
	    84, /* i64, jobs in the group; the ROW carries JQ_T_CPU_USER..QUEUE_WAIT */
	/* cgroups (issue 3): run-directory records and DOCTOR rows */
	JQ_T_CGROUP_MODE = 110,	  /* i64 spec, enum jq_cg_mode of the job's cgroup */
	JQ_T_CGROUP_PATH = 111,	  /* str spec, repeated "<controllers>:<absolute dir>" */
	JQ_T_OOM_KILLS = 112,	  /* i64 result, processes the OOM killer ended */
	JQ_T_CGROUP_NOTE = 113,	  /* str result, cgroup trouble the helper met (not fatal) */
	JQ_T_DOCTOR_CHECK = 114,  /* str ROW, what was checked */
	JQ_T_DOCTOR_STATUS = 115, /* str ROW, "ok", "warn" or "fail" */
	JQ_T_DOCTOR_DETAIL = 116, /* str ROW, what was found */
	JQ_T_DOCTOR_FIX = 117,	  /* str ROW, how to fix a warn or fail */
	_JQ_T_MAX,
};

/* A growable byte buffer. */
struct jq_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void jq_buf_release(struct jq_buf *b);

/*
 * Builds one frame. Errors are sticky: the put functions record the first
 * failure (-ENOMEM, -EMSGSIZE) and jq_msg_writer_finish() returns it.
 */
struct jq_msg_writer {
	struct jq_buf buf;
	int err;
};

void jq_msg_writer_begin(struct jq_msg_writer *w, enum jq_msg_type type);
void jq_msg_put_i64(struct jq_msg_writer *w, enum jq_tag tag, int64_t v);
/* Puts an i64 field only if v != -1 (absent values are left out). */
void jq_msg_put_i64_opt(struct jq_msg_writer *w, enum jq_tag tag, int64_t v);
/* Puts a string; a NULL s puts nothing. */
void jq_msg_put_str(struct jq_msg_writer *w, enum jq_tag tag, const char *s);
void jq_msg_put_bytes(struct jq_msg_writer *w, enum jq_tag tag, const void *p, size_t n);
/*
 * Completes the header. On success the frame is w->buf.data[0..w->buf.len).
 * Returns 0, or the first error of the puts. The writer must be released
 * with jq_msg_writer_release() in both cases.
 */
int jq_msg_writer_finish(struct jq_msg_writer *w);
void jq_msg_writer_release(struct jq_msg_writer *w);

struct jq_field {
	uint16_t tag;
	uint32_t len;
	const char *data; /* followed by a NUL byte that is not part of len */
};

/* A decoded message. It owns its storage: release with jq_msg_release(). */
struct jq_msg {
	uint16_t type;
	size_t n_fields;
	struct jq_field *fields;
	char *storage;
};

/*
 * Parses a frame header. Returns 0, -EPROTO for a version other than
 * JQ_PROTO_VERSION, -EMSGSIZE for a payload over JQ_PROTO_MAX_PAYLOAD (the
 * type and length are set then too, for the error message).
 */
int jq_frame_header_parse(const uint8_t hdr[JQ_PROTO_HEADER_SIZE], uint16_t *ret_type,
			  uint32_t *ret_len);

/*
 * The largest payload jobqd accepts for a request of this type:
 * JQ_PROTO_MAX_PAYLOAD for SUBMIT, JQ_PROTO_MAX_REQUEST for the others
 * (and for unknown types, which are refused once read).
 */
uint32_t jq_proto_request_max_payload(uint16_t type);

/* The request's name for messages ("submit", "list", ...), or "unknown". */
const char *jq_proto_request_name(uint16_t type);

/*
 * Decodes a payload of len bytes. Returns 0 or -EBADMSG (a field that runs
 * past the end, a zero tag), -ENOMEM. Does not validate field contents: the
 * getters below do.
 */
int jq_msg_parse(uint16_t type, const uint8_t *payload, size_t len, struct jq_msg *ret);
void jq_msg_release(struct jq_msg *m);

/* Number of fields with tag. */
size_t jq_msg_count(const struct jq_msg *m, enum jq_tag tag);

/* True if the message has fields only from the allowed tags (array of n). */
bool jq_msg_tags_allowed(const struct jq_msg *m, const uint16_t *allowed, size_t n);

/* The first field with tag: -ENOENT if absent, -EBADMSG if not 8 bytes. */
int jq_msg_get_i64(const struct jq_msg *m, enum jq_tag tag, int64_t *ret);

/*
 * The first field with tag as a string: -ENOENT if absent, -EBADMSG if it
 * holds a NUL byte or invalid UTF-8, -E2BIG if longer than max bytes.
 * *ret points into the message.
 */
int jq_msg_get_str(const struct jq_msg *m, enum jq_tag tag, size_t max, const char **ret);

/* Every field with tag as a new NULL-terminated vector (validated as above). */
int jq_msg_get_strv(const struct jq_msg *m, enum jq_tag tag, size_t max, char ***ret);

/* Every field with tag as i64 into a new array. */
int jq_msg_get_i64v(const struct jq_msg *m, enum jq_tag tag, int64_t **ret, size_t *ret_n);

/*
 * Blocking I/O of whole frames on a file descriptor (the client, and the
 * run-directory records). jq_msg_read_fd returns -ECONNRESET / 0-length EOF
 * as -EPIPE when the peer closed before a full frame.
 */
int jq_msg_read_fd(int fd, struct jq_msg *ret);
int jq_msg_write_fd(int fd, struct jq_msg_writer *w);

/* Decodes a whole frame held in memory (a record file). */
int jq_msg_decode_frame(const uint8_t *frame, size_t len, struct jq_msg *ret);

#endif
