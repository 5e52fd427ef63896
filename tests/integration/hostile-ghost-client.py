#!/usr/bin/env python3
"""Clients that leave while their WAIT / LOGS --follow is in progress.

ghosts SOCK DPID UID GID N TENANT: as UID, N WAIT / LOGS --follow requests on a held
job (its own), the N+1st connection refused (they all count), then every
client closed. Exits 0 once jobqd's socket count is back to its baseline
(within 10 s: the check runs every second).

cpu SOCK DPID N SECS TENANT KIB: as root, a held job with a KIB KiB environment and
N live LOGS --follow clients on it; prints jobqd's CPU use over SECS as a
percentage of one CPU.
"""
import os, socket, struct, sys, time

SUBMIT, SHOW, LOGS, WAIT = 1, 3, 4, 6
REP_ERROR = 100


def field(tag, data):
    if isinstance(data, int):
        data = struct.pack(">q", data)
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">HI", tag, len(data)) + data


def frame(typ, payload=b""):
    return struct.pack(">IHH", len(payload), 1, typ) + payload


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def read_frame(s):
    hdr = recvn(s, 8)
    if hdr is None:
        return None
    n, _, typ = struct.unpack(">IHH", hdr)
    body = recvn(s, n)
    fields, off = {}, 0
    while off < len(body):
        tag, ln = struct.unpack(">HI", body[off:off + 6])
        fields.setdefault(tag, []).append(body[off + 6:off + 6 + ln])
        off += 6 + ln
    return typ, fields


def submit_held(path, tenant, env=b""):
    s = connect(path)
    s.sendall(frame(SUBMIT, field(2, tenant) + field(23, "true") + field(25, "/") +
                    field(28, 1) + env))
    typ, f = read_frame(s)
    s.close()
    if typ == REP_ERROR:
        sys.exit(f"submit refused: {f[37][0].decode()}")
    return struct.unpack(">q", f[1][0])[0]


def sockets(dpid):
    n = 0
    for fd in os.listdir(f"/proc/{dpid}/fd"):
        try:
            n += os.readlink(f"/proc/{dpid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def ticks(dpid):
    with open(f"/proc/{dpid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12])


def ghosts(path, dpid, uid, gid, n, tenant):
    base = sockets(dpid)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setgid(gid)
        os.setuid(uid)
        jid = submit_held(path, tenant)
        held = []
        for i in range(n):
            c = connect(path)
            c.sendall(frame(LOGS, field(1, jid) + field(33, 1)) if i % 2 == 0
                      else frame(WAIT, field(1, jid)))
            held.append(c)
        # Every one of them counts: the next connection is refused.
        c = connect(path)
        r = read_frame(c)
        c.close()
        if r is None or r[0] != REP_ERROR:
            print(f"connection {n + 1} was not refused: {r}")
            os._exit(1)
        os.write(ready_w, b"x")
        os.read(go_r, 1)
        for c in held:
            c.close()
        os._exit(0)
    if os.read(ready_r, 1) != b"x":
        os.waitpid(pid, 0)
        return 1
    busy = sockets(dpid)
    os.write(go_w, b"x")
    if os.waitpid(pid, 0)[1] != 0:
        return 1
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10:
        if sockets(dpid) <= base:
            print(f"sockets: {base} before, {busy} with {n} requests in progress, "
                  f"{sockets(dpid)} {time.monotonic() - t0:.1f} s after every client closed")
            return 0
        time.sleep(0.05)
    print(f"sockets: {base} before, {busy} with {n} requests in progress, still "
          f"{sockets(dpid)} 10 s after every client closed")
    return 1


def cpu(path, dpid, n, secs, tenant, kib):
    env = b"".join(field(24, "E%d=%s" % (i, "x" * 1000)) for i in range(kib))
    jid = submit_held(path, tenant, env)
    held = []
    for _ in range(n):
        c = connect(path)
        c.sendall(frame(LOGS, field(1, jid) + field(33, 1)))
        held.append(c)
    # Each LOGS reads the job once as it starts (1000 KiB: ~10 ms under
    # ASan): a SHOW answered on a later connection means the daemon has
    # read them all, so the window below holds the polls alone.
    c = connect(path)
    c.sendall(frame(SHOW, field(1, jid)))
    read_frame(c)
    c.close()
    t0, c0 = time.monotonic(), ticks(dpid)
    time.sleep(secs)
    used = (ticks(dpid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0) * 100
    for c in held:
        c.close()
    print(f"{used:.1f}")
    return 0


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "ghosts":
        sys.exit(ghosts(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]), a[7]))
    sys.exit(cpu(a[2], int(a[3]), int(a[4]), float(a[5]), a[6], int(a[7])))
