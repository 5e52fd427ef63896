#!/usr/bin/env python3
"""Raw clients for test-hostile-queries.sh (issue 11, points 4 and 7).

  submit-big SOCK TENANT N CWD       N held jobs, each with ~1 MiB of env
  list-time SOCK                     one LIST: prints seconds, rows, env and argv bytes
  hammer SOCK N READY STOP           N connections LIST in a loop until STOP exists;
                                     READY is created once all of them are under way
  probe SOCK ROUNDS ID [LIMIT]       the slowest of ROUNDS SHOW ID requests, seconds;
                                     one slower than LIMIT seconds ends it early
  after SOCK TENANT TAG ID           SUBMIT with --after (TAG 27) or --after-any
                                     (61) ID: prints "errno<TAB>message" with ID
                                     replaced by "ID"
  number SOCK TENANT CWD TAG VALUE   SUBMIT of `true` with the integer field TAG =
                                     VALUE, as no CLI would send it: prints
                                     "errno<TAB>message" or "accepted<TAB>ID"
  list-filter SOCK TAG VALUE         a LIST with field TAG = VALUE (bytes given as
                                     a Python literal, e.g. b'h'*33): prints
                                     "errno<TAB>message" or "rows N"
  report-time SOCK ROUNDS            the median of ROUNDS REPORTs, seconds, and
                                     the groups of the last
  report-flood SOCK N READY STOP     N connections send 64 pipelined REPORTs and read
                                     the answers, in a loop until STOP exists; READY
                                     is created once every first batch is sent; any
                                     row in an answer is an error
"""
import os
import socket
import struct
import sys
import threading
import time

REQ_SUBMIT, REQ_LIST, REQ_SHOW, REQ_REPORT = 1, 2, 3, 10
REP_ERROR, REP_JOB, REP_END = 100, 101, 103
T_ID, T_TENANT, T_ARGV, T_ENV, T_CWD, T_HOLD = 1, 2, 23, 24, 25, 28
T_ERRNO, T_MESSAGE = 36, 37


def field(tag, data):
    if isinstance(data, int):
        data = struct.pack(">q", data)
    elif isinstance(data, str):
        data = data.encode()
    return struct.pack(">HI", tag, len(data)) + data


def frame(typ, payload=b""):
    return struct.pack(">IHH", len(payload), 1, typ) + payload


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(path)
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("daemon closed the connection")
        buf += chunk
    return bytes(buf)


def read_frame(s):
    n, _, typ = struct.unpack(">IHH", recv_exact(s, 8))
    body = recv_exact(s, n)
    fields, off = {}, 0
    while off < len(body):
        tag, ln = struct.unpack(">HI", body[off:off + 6])
        fields.setdefault(tag, []).append(body[off + 6:off + 6 + ln])
        off += 6 + ln
    return typ, fields


def list_all(s):
    payload = b""
    s.sendall(frame(REQ_LIST, payload))
    rows = []
    while True:
        typ, f = read_frame(s)
        if typ == REP_JOB:
            rows.append(f)
            continue
        if typ == REP_ERROR:
            raise RuntimeError(f[T_MESSAGE][0].decode())
        return rows


def submit_big(path, tenant, n, cwd):
    s = connect(path)
    env = b"".join(field(T_ENV, "BIG%d=%s" % (k, "x" * (120 * 1024))) for k in range(8))
    for i in range(n):
        payload = (field(T_TENANT, tenant) + field(T_ARGV, "true") + field(T_ARGV, str(i)) +
                   env + field(T_CWD, cwd) + field(T_HOLD, 1))
        s.sendall(frame(REQ_SUBMIT, payload))
        typ, f = read_frame(s)
        if typ != REP_JOB:
            sys.exit("submit %d: %s" % (i, f.get(T_MESSAGE, [b"?"])[0].decode()))
    print(n)


def list_time(path):
    s = connect(path)
    t = time.monotonic()
    rows = list_all(s)
    dt = time.monotonic() - t
    env = sum(len(v) for r in rows for v in r.get(T_ENV, []))
    argv = max([sum(len(v) for v in r.get(T_ARGV, [])) for r in rows] or [0])
    print("%.4f %d %d %d" % (dt, len(rows), env, argv))


def hammer(path, n, ready, stop):
    """n connections LIST in a loop until the file stop exists (60 s at most)."""
    deadline = time.monotonic() + 60
    started = threading.Barrier(n + 1)

    def one():
        s = connect(path)
        list_all(s)
        started.wait()
        while not os.path.exists(stop) and time.monotonic() < deadline:
            list_all(s)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    started.wait()
    open(ready, "w").close()
    for t in threads:
        t.join()


def probe(path, rounds, job, limit=None):
    """The slowest of rounds SHOW requests of one job, in seconds; the
    first slower than limit ends the probe early."""
    s = connect(path)
    worst = 0.0
    for _ in range(rounds):
        if limit is not None and worst >= limit:
            break
        t = time.monotonic()
        s.sendall(frame(REQ_SHOW, field(T_ID, int(job))))
        typ, f = read_frame(s)
        if typ != REP_JOB:
            sys.exit("show: %s" % f.get(T_MESSAGE, [b"?"])[0].decode())
        worst = max(worst, time.monotonic() - t)
    print("%.4f" % worst)


def after(path, tenant, tag, dep):
    s = connect(path)
    payload = (field(T_TENANT, tenant) + field(T_ARGV, "true") + field(T_CWD, "/") +
               field(int(tag), int(dep)))
    s.sendall(frame(REQ_SUBMIT, payload))
    typ, f = read_frame(s)
    if typ != REP_ERROR:
        print("accepted\tjob %d" % struct.unpack(">q", f[T_ID][0])[0])
        return
    err = struct.unpack(">q", f[T_ERRNO][0])[0]
    msg = f[T_MESSAGE][0].decode().replace(str(dep), "ID")
    print("%d\t%s" % (err, msg))


def number(path, tenant, cwd, tag, value):
    s = connect(path)
    payload = (field(T_TENANT, tenant) + field(T_ARGV, "true") + field(T_CWD, cwd) +
               field(int(tag), int(value)))
    s.sendall(frame(REQ_SUBMIT, payload))
    typ, f = read_frame(s)
    if typ != REP_ERROR:
        print("accepted\t%d" % struct.unpack(">q", f[T_ID][0])[0])
        return
    print("%d\t%s" % (struct.unpack(">q", f[T_ERRNO][0])[0], f[T_MESSAGE][0].decode()))


def list_filter(path, tag, value):
    s = connect(path)
    s.sendall(frame(REQ_LIST, field(int(tag), eval(value))))
    rows = 0
    while True:
        typ, f = read_frame(s)
        if typ == REP_ERROR:
            err = struct.unpack(">q", f[T_ERRNO][0])[0]
            print("%d\t%s" % (err, f[T_MESSAGE][0].decode(errors="replace")))
            return
        if typ == REP_END:
            print("rows %d" % rows)
            return
        rows += 1


def report_once(s):
    """One REPORT (by tenant) on s: its rows."""
    s.sendall(frame(REQ_REPORT))
    rows = []
    while True:
        typ, f = read_frame(s)
        if typ == REP_ERROR:
            sys.exit("report: %s" % f[T_MESSAGE][0].decode())
        if typ == REP_END:
            return rows
        rows.append(f)


def report_time(path, rounds):
    s = connect(path)
    times = []
    for _ in range(rounds):
        t = time.monotonic()
        rows = report_once(s)
        times.append(time.monotonic() - t)
    times.sort()
    print("%.4f %d" % (times[len(times) // 2], len(rows)))


def report_flood(path, n, ready, stop):
    conns = [connect(path) for _ in range(n)]
    first = True
    while not os.path.exists(stop):
        for c in conns:
            c.sendall(frame(REQ_REPORT) * 64)
        if first:
            open(ready, "w").close()
            first = False
        for c in conns:
            for _ in range(64):
                typ, f = read_frame(c)
                if typ != REP_END:
                    sys.exit("report-flood: answer %d, not an empty report" % typ)


def main():
    cmd = sys.argv[1]
    if cmd == "submit-big":
        submit_big(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "list-time":
        list_time(sys.argv[2])
    elif cmd == "hammer":
        hammer(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif cmd == "probe":
        probe(sys.argv[2], int(sys.argv[3]), sys.argv[4],
              float(sys.argv[5]) if len(sys.argv) > 5 else None)
    elif cmd == "after":
        after(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "number":
        number(*sys.argv[2:7])
    elif cmd == "list-filter":
        list_filter(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "report-time":
        report_time(sys.argv[2], int(sys.argv[3]))
    elif cmd == "report-flood":
        report_flood(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
