#!/usr/bin/env python3
"""Hostile clients of jobqd's transport (used by test-hostile-transport.sh).

Runs as root and becomes the hostile users in forked children, so that
the daemon sees their uids through SO_PEERCRED. Each case prints "ok: ..."
lines or exits non-zero with "FAIL ...".

  pipeline SOCK DPID OUT_UID MEMBER_UID TENANT PROBE_UID PROBE_TENANT N
  conns    SOCK DPID OUT_UID PROBE_UID PROBE_TENANT CAP
  memory   SOCK DPID OUT_UID PROBE_UID PROBE_TENANT CONNS BOUND_KIB
  unread   SOCK DPID MEMBER_UID PROBE_UID PROBE_TENANT CONNS BOUND_KIB N
  deadline SOCK DPID TIMEOUT_S
  biglist  SOCK DPID

PROBE_UID is a third user, member of a tenant of its own: while the
hostile users do their worst, its `jobq list` and `jobq submit --wait`
(and root's) must be answered within PROBE_LIMIT seconds.
"""
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

SUBMIT, LIST, SHOW, LOGS, CANCEL, WAIT, HOLD, RELEASE, SHARE, REPORT, DOCTOR = range(1, 12)
ALL_TYPES = [SUBMIT, LIST, SHOW, LOGS, CANCEL, WAIT, HOLD, RELEASE, SHARE, REPORT, DOCTOR]
STREAMED = {LIST, LOGS, SHARE, REPORT, DOCTOR}  # items then END
REP_ERROR, REP_JOB, REP_LOG, REP_END, REP_ROW = 100, 101, 102, 103, 104
T_ID, T_TENANT, T_ARGV, T_CWD, T_DATA, T_MESSAGE, T_HOLD = 1, 2, 23, 25, 35, 37, 28
MAX_PAYLOAD = 1024 * 1024 + 256 * 1024
# A normal request of another user is answered within this, even while
# the hostile client runs (measured worst of a probe round's four
# commands, on a 2-core host shared with other test runs: 0.6-0.8 s on a
# Debug build, 5.7 s on an ASan+UBSan build whose jobq-exec is slow too).
PROBE_LIMIT = 10.0

JQ_BIN = os.environ["JQ_BIN_DIR"]


def field(tag, data):
    if isinstance(data, int):
        data = struct.pack(">q", data)
    return struct.pack(">HI", tag, len(data)) + data


def frame(typ, payload=b"", length=None):
    n = len(payload) if length is None else length
    return struct.pack(">IHH", n, 1, typ) + payload


def fail(msg):
    print(f"FAIL {msg}", flush=True)
    sys.exit(1)


def rss(dpid, key):
    with open(f"/proc/{dpid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    fail(f"no {key} in /proc/{dpid}/status")


def alive(dpid):
    try:
        os.kill(dpid, 0)
        return True
    except ProcessLookupError:
        return False


def sanitized(dpid):
    """
    An ASan build holds freed memory in its quarantine and pads every
    allocation: its RSS measures the sanitizer, so bounds are reported
    there, not asserted (the refusals still are).
    """
    with open(f"/proc/{dpid}/maps") as f:
        return "libasan" in f.read()


def check_bound(dpid, what, before, hwm, bound_kib):
    if hwm - before <= bound_kib:
        return
    if sanitized(dpid):
        print(f"note: {what}: {before} -> peak {hwm} KiB under ASan, bound not asserted")
        return
    fail(f"{what}: jobqd grew from {before} KiB to a peak of {hwm} KiB (bound +{bound_kib} KiB)")


def become(uid):
    os.setgroups([])
    os.setgid(uid_gid(uid))
    os.setuid(uid)


def uid_gid(uid):
    import pwd
    return pwd.getpwuid(uid).pw_gid


def connect(path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Reader:
    """Splits the replies of one connection into frames."""

    def __init__(self, s, timeout=None):
        self.s, self.buf, self.off, self.timeout = s, b"", 0, timeout

    def next(self):
        while True:
            have = len(self.buf) - self.off
            if have >= 8:
                n, _, typ = struct.unpack_from(">IHH", self.buf, self.off)
                if have >= 8 + n:
                    body = self.buf[self.off + 8:self.off + 8 + n]
                    self.off += 8 + n
                    return typ, body
            if self.timeout is not None:
                ready, _, _ = select.select([self.s], [], [], self.timeout)
                if not ready:
                    raise socket.timeout(f"nothing to read for {self.timeout} s")
            chunk = self.s.recv(1 << 20)
            if not chunk:
                return None
            self.buf = self.buf[self.off:] + chunk
            self.off = 0


def message(body):
    off = 0
    while off + 6 <= len(body):
        tag, n = struct.unpack(">HI", body[off:off + 6])
        if tag == T_MESSAGE:
            return body[off + 6:off + 6 + n].decode(errors="replace")
        off += 6 + n
    return ""


def expect_error(s, want, what):
    """The connection gets an error naming want, then is closed."""
    r = Reader(s)
    f = r.next()
    if f is None or f[0] != REP_ERROR:
        fail(f"{what}: no error reply, got {f and f[0]}")
    msg = message(f[1])
    if want not in msg:
        fail(f"{what}: error {msg!r} does not say {want!r}")
    try:
        if r.next() is not None:
            fail(f"{what}: connection still open after the error")
    except ConnectionResetError:
        pass
    return msg


def probe(sock, uid, tenant, dpid):
    """root's and another user's list and submit --wait; returns the worst time."""
    env = dict(os.environ, JOBQ_CONFIG=os.environ["JOBQ_CONFIG"])
    worst = 0.0
    cmds = [(0, [f"{JQ_BIN}/jobq", "list"]),
            (uid, [f"{JQ_BIN}/jobq", "list"]),
            (uid, [f"{JQ_BIN}/jobq", "submit", "--tenant", tenant, "--wait", "--", "true"]),
            (0, [f"{JQ_BIN}/jobq", "submit", "--tenant", tenant, "--wait", "--", "true"])]
    for who, cmd in cmds:
        t = time.monotonic()
        pre = None if who == 0 else (lambda u=who: become(u))
        try:
            p = subprocess.run(cmd, env=env, cwd="/", preexec_fn=pre, capture_output=True,
                               timeout=PROBE_LIMIT)
        except subprocess.TimeoutExpired:
            fail(f"'{' '.join(cmd[1:])}' as uid {who} not answered within {PROBE_LIMIT} s")
        if p.returncode != 0:
            fail(f"'{' '.join(cmd[1:])}' as uid {who} failed: {p.stderr.decode().strip()}")
        worst = max(worst, time.monotonic() - t)
    if not alive(dpid):
        fail("jobqd died")
    return worst


def request(typ, i, tenant):
    """The i-th request: valid, or (odd i) with a field its type refuses."""
    if i % 2:
        return frame(typ, field(T_DATA, b"x"))  # the stack-overflow recipe
    if typ == SUBMIT:
        return frame(typ, field(T_TENANT, tenant.encode()) + field(T_ARGV, b"true") +
                     field(T_CWD, b"/") + field(T_HOLD, 1))
    if typ in (SHOW, LOGS, CANCEL, WAIT, HOLD, RELEASE):
        return frame(typ, field(T_ID, 1))  # job 1 has ended
    return frame(typ)


def flood(sock, uid, tenant, n, progress):
    """
    Child: as uid, n pipelined requests in one write: a run of each type
    in turn (thousands of LISTs in a row overflowed main's stack).
    """
    become(uid)
    # No socket timeout: it would bound sendall() as a whole, and a slow
    # (sanitizer) build takes minutes to take it all. The reader has its own.
    s = connect(sock, timeout=None)
    t0 = time.monotonic()
    run = -(-n // len(ALL_TYPES))
    types = [ALL_TYPES[i // run] for i in range(n)]
    data = b"".join(request(t, i, tenant) for i, t in enumerate(types))
    err = []

    def writer():
        try:
            s.sendall(data)
        except OSError as e:
            err.append(e)

    w = threading.Thread(target=writer)
    w.start()
    r = Reader(s, timeout=120)
    done, last = 0, ""
    try:
        while done < n:
            f = r.next()
            if f is None:
                fail(f"uid {uid}: connection closed after {done} of {n} answers "
                     f"(last error: {last!r})")
            typ = f[0]
            if typ == REP_ERROR:
                last = message(f[1])
            if typ == REP_ERROR or (typ == REP_END and types[done] in STREAMED) or \
                    (typ == REP_JOB and types[done] not in STREAMED):
                done += 1
                if done % 1000 == 0:
                    os.write(progress, b"x")
    except socket.timeout:
        fail(f"uid {uid}: no answer for 120 s after {done} of {n}")
    w.join()
    if err:
        fail(f"uid {uid}: write failed: {err[0]}")
    print(f"ok: uid {uid}: {n} pipelined requests, {n} answers in {time.monotonic() - t0:.1f} s",
          flush=True)
    os._exit(0)


def case_pipeline(sock, dpid, out_uid, member_uid, tenant, probe_uid, probe_tenant, n):
    kids = []
    rfds = []
    for uid, t in ((out_uid, tenant), (member_uid, tenant)):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                flood(sock, uid, t, n, w)
            finally:
                os._exit(1)
        os.close(w)
        kids.append(pid)
        rfds.append(r)
    # Wait for both floods to be under way, then probe while they run.
    t0 = time.monotonic()
    for r in rfds:
        if os.read(r, 1) != b"x":
            fail("a flooding client ended before 1000 answers")
    status = {}

    def running():
        for p in kids:
            if p not in status:
                pid, st = os.waitpid(p, os.WNOHANG)
                if pid:
                    status[p] = st
        return [p for p in kids if p not in status]

    probes, during, worst = 0, 0, 0.0
    while running():
        worst = max(worst, probe(sock, probe_uid, probe_tenant, dpid))
        probes += 1
        # Answered while a flood was still being served.
        if running():
            during += 1
        if time.monotonic() - t0 > 500:
            fail("the floods did not end within 500 s")
    if not alive(dpid):
        fail("jobqd died under pipelined requests")
    if any(status.values()):
        fail("a flooding client failed (see above)")
    if during == 0:
        fail("no probe was answered while the floods ran (they ended too fast to tell)")
    print(f"ok: {during} of {probes} probe rounds (root and uid {probe_uid}: list, "
          f"submit --wait) answered while 2 x {n} pipelined requests ran; worst {worst:.2f} s")


def in_child(uid, fn):
    """Runs fn() as uid in a child; returns (pid, to_child, from_child) pipes."""
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w1)
        os.close(r2)
        try:
            become(uid)
            fn(r1, w2)
            os._exit(0)
        except SystemExit as e:
            os._exit(e.code if isinstance(e.code, int) else 1)
        except Exception as e:  # noqa: BLE001 (a child must never return)
            print(f"FAIL hostile client: {e!r}", flush=True)
        finally:
            os._exit(1)
    os.close(r1)
    os.close(w2)
    return pid, w1, r2


def child_wait(pid, what):
    _, status = os.waitpid(pid, 0)
    if status:
        fail(f"{what} failed (see above)")


def await_ready(r, what):
    if os.read(r, 1) != b"r":
        fail(f"{what}: the hostile client stopped early")


def case_conns(sock, dpid, out_uid, probe_uid, probe_tenant, cap):
    """The user opens its cap, then 10 more; the extra are refused."""
    def hostile(r, w):
        held = []
        for _ in range(cap):
            s = connect(sock)
            held.append(s)
        # Every one of them is served: a LIST answered on each.
        for s in held:
            s.sendall(frame(LIST))
            f = Reader(s).next()
            if f is None or f[0] != REP_END:
                fail(f"connection {len(held)} of the cap not served: {f and f[0]}")
        msg = ""
        for i in range(10):
            s = connect(sock)
            msg = expect_error(s, "max_connections_per_user", f"connection {cap + i + 1}")
            s.close()
        print(f"ok: {cap} connections served, 10 more refused: {msg}", flush=True)
        os.write(w, b"r")
        os.read(r, 1)  # held until the others were served
        for s in held:
            s.close()

    pid, w, r = in_child(out_uid, hostile)
    await_ready(r, "conns")
    worst = probe(sock, probe_uid, probe_tenant, dpid)
    # The user itself gets the reason from jobq.
    p = subprocess.run([f"{JQ_BIN}/jobq", "list"], preexec_fn=lambda: become(out_uid),
                       capture_output=True, timeout=PROBE_LIMIT)
    err = p.stderr.decode().strip()
    if p.returncode == 0 or "max_connections_per_user" not in err:
        fail(f"jobq list of the user at its cap: exit {p.returncode}, {err!r}")
    os.write(w, b"d")
    child_wait(pid, "conns")
    print(f"ok: with uid {out_uid} at its cap, root and uid {probe_uid} served "
          f"(worst {worst:.2f} s); its own jobq says: {err}")


def settle(dpid, probe_uid, probe_tenant, sock):
    """
    Probes until the daemon's RSS stops growing (it has done what it will
    with the hostile input): less than 512 KiB over three probe rounds,
    each of which runs jobs and so moves it a little.
    """
    seen = []
    for _ in range(60):
        probe(sock, probe_uid, probe_tenant, dpid)
        seen.append(rss(dpid, "VmRSS"))
        if len(seen) >= 4 and seen[-1] - seen[-4] < 512:
            return
    fail(f"jobqd's memory did not settle within 60 probe rounds: {seen[-6:]} KiB")


def case_memory(sock, dpid, out_uid, probe_uid, probe_tenant, conns, bound_kib):
    """conns connections each hold a partial maximum-size SUBMIT frame."""
    probe(sock, probe_uid, probe_tenant, dpid)
    before = rss(dpid, "VmRSS")

    def hostile(r, w):
        held, refused, msg = [], 0, ""
        head = frame(SUBMIT, length=MAX_PAYLOAD)
        piece = b"\0" * 65536
        for _ in range(conns):
            s = connect(sock)
            try:
                s.sendall(head)
                for _ in range(16):  # 1 MiB of the 1.25 MiB payload
                    s.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass
            held.append(s)
        # The daemon read what it would: every refused connection has its error.
        for s in held:
            ready, _, _ = select.select([s], [], [], 0)
            if ready:
                try:
                    f = Reader(s).next()
                except ConnectionResetError:
                    f = None
                if f and f[0] == REP_ERROR:
                    refused += 1
                    msg = message(f[1])
        print(f"ok: {conns} partial {MAX_PAYLOAD}-byte submissions sent, {refused} refused: "
              f"{msg}", flush=True)
        os.write(w, b"r")
        os.read(r, 1)
        for s in held:
            s.close()
        if refused == 0 or "limit" not in msg:
            fail("no connection was refused for holding too much input")

    pid, w, r = in_child(out_uid, hostile)
    await_ready(r, "memory")
    settle(dpid, probe_uid, probe_tenant, sock)
    hwm, now = rss(dpid, "VmHWM"), rss(dpid, "VmRSS")
    os.write(w, b"d")
    check_bound(dpid, "partial frames", before, hwm, bound_kib)
    child_wait(pid, "memory")
    print(f"ok: jobqd VmRSS {before} KiB before, peak {hwm} KiB, now {now} KiB "
          f"(bound +{bound_kib} KiB)")


def case_unread(sock, dpid, member_uid, probe_uid, probe_tenant, conns, bound_kib, n):
    """conns connections pipeline n LISTs each and read no reply, then all of them."""
    probe(sock, probe_uid, probe_tenant, dpid)
    before = rss(dpid, "VmRSS")

    def hostile(r, w):
        held = [connect(sock, timeout=120) for _ in range(conns)]
        for s in held:
            s.sendall(frame(LIST) * n)
        os.write(w, b"r")
        os.read(r, 1)
        # Now read: every request is answered, the paused ones too.
        got = 0
        for s in held:
            rd = Reader(s)
            for _ in range(n):
                while True:
                    f = rd.next()
                    if f is None or f[0] == REP_ERROR:
                        fail(f"LIST {got + 1}: {f and message(f[1])}")
                    if f[0] == REP_END:
                        break
                got += 1
            s.close()
        print(f"ok: all {got} LISTs answered once read", flush=True)

    pid, w, r = in_child(member_uid, hostile)
    await_ready(r, "unread")
    settle(dpid, probe_uid, probe_tenant, sock)
    hwm = rss(dpid, "VmHWM")
    os.write(w, b"d")
    child_wait(pid, "unread")
    check_bound(dpid, "unread replies", before, hwm, bound_kib)
    print(f"ok: {conns} x {n} unread LISTs: jobqd VmRSS {before} KiB, peak {hwm} KiB "
          f"(bound +{bound_kib} KiB)")


def case_deadline(sock, dpid, timeout):
    """A request trickled a byte at a time is dropped at its deadline."""
    s = connect(sock)
    data = frame(LIST, field(T_DATA, b"x" * 2048))
    t0 = time.monotonic()
    sent = 0
    while True:
        s.send(data[sent:sent + 1])
        sent += 1
        ready, _, _ = select.select([s], [], [], 0.25)
        if ready:
            break
        if time.monotonic() - t0 > timeout * 1.25 + 5:
            fail(f"a request trickled for {time.monotonic() - t0:.1f} s was not dropped")
    took = time.monotonic() - t0
    msg = expect_error(s, "request_read_timeout", "trickled request")
    if took < timeout - 0.1:
        fail(f"dropped after {took:.2f} s, before its {timeout} s deadline")
    print(f"ok: a request trickled at 4 bytes/s dropped after {took:.1f} s "
          f"({sent} bytes sent, deadline {timeout} s): {msg}")


def case_biglist(sock, dpid):
    s = connect(sock, timeout=10)
    s.sendall(frame(LIST, length=1024 * 1024) + b"\0" * 65536)
    try:
        msg = expect_error(s, "list request too large: 1048576 bytes (limit 16384 bytes)",
                           "1 MiB LIST")
    except socket.timeout:
        fail("1 MiB LIST: no answer within 10 s (the daemon waits for the rest)")
    print(f"ok: 1 MiB LIST refused on its header: {msg}")


def main():
    case, sock, dpid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a = sys.argv[4:]
    if case == "pipeline":
        case_pipeline(sock, dpid, int(a[0]), int(a[1]), a[2], int(a[3]), a[4], int(a[5]))
    elif case == "conns":
        case_conns(sock, dpid, int(a[0]), int(a[1]), a[2], int(a[3]))
    elif case == "memory":
        case_memory(sock, dpid, int(a[0]), int(a[1]), a[2], int(a[3]), int(a[4]))
    elif case == "unread":
        case_unread(sock, dpid, int(a[0]), int(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]))
    elif case == "deadline":
        case_deadline(sock, dpid, float(a[0]))
    elif case == "biglist":
        case_biglist(sock, dpid)
    else:
        fail(f"unknown case {case}")


if __name__ == "__main__":
    main()
