#!/usr/bin/env python3
"""Raw protocol checks against a live jobqd (used by test-protocol.sh).

Speaks the framing of common/jq-protocol.h directly, to send what the real
client never would: bad versions, absurd lengths, truncated fields, invalid
UTF-8, and many connections at once.
"""
import socket
import struct
import sys
import time

SOCK = sys.argv[1]
REQ_LIST, REQ_SHOW, REQ_SUBMIT = 2, 3, 1
REP_ERROR, REP_JOB, REP_END = 100, 101, 103
T_ID, T_TENANT, T_ARGV, T_CWD, T_MESSAGE = 1, 2, 23, 25, 37


def field(tag, data):
    if isinstance(data, int):
        data = struct.pack(">q", data)
    return struct.pack(">HI", tag, len(data)) + data


def frame(typ, payload=b"", version=1, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">IHH", n, version, typ) + payload


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(SOCK)
    return s


def read_frame(s):
    hdr = b""
    while len(hdr) < 8:
        chunk = s.recv(8 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    n, ver, typ = struct.unpack(">IHH", hdr)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    fields = {}
    off = 0
    while off < len(body):
        tag, ln = struct.unpack(">HI", body[off:off + 6])
        fields.setdefault(tag, []).append(body[off + 6:off + 6 + ln])
        off += 6 + ln
    return typ, fields


def expect_error_and_close(name, data, want=None):
    s = connect()
    s.sendall(data)
    f = read_frame(s)
    if f is None or f[0] != REP_ERROR:
        sys.exit(f"FAIL {name}: no error reply: {f}")
    msg = f[1][T_MESSAGE][0].decode()
    if want and want not in msg:
        sys.exit(f"FAIL {name}: message {msg!r} lacks {want!r}")
    if read_frame(s) is not None:
        sys.exit(f"FAIL {name}: connection not closed after a malformed frame")
    print(f"ok: {name}: {msg}")


def list_ok(s):
    s.sendall(frame(REQ_LIST))
    while True:
        f = read_frame(s)
        if f is None:
            return False
        if f[0] == REP_END:
            return True
        if f[0] != REP_JOB:
            return False


def main():
    expect_error_and_close("bad version", frame(REQ_LIST, version=99), "version")
    expect_error_and_close("absurd length", frame(REQ_LIST, length=0x7FFFFFFF), "too large")
    expect_error_and_close("field past end", frame(REQ_SHOW, struct.pack(">HI", T_ID, 100) + b"x"),
                           "malformed")
    expect_error_and_close("zero tag", frame(REQ_SHOW, field(0, 1)), "malformed")

    # Invalid, not malformed: an error reply, and the connection stays usable.
    s = connect()
    bad = field(T_TENANT, b"acme") + field(T_ARGV, b"\xff\xfe") + field(T_CWD, b"/")
    s.sendall(frame(REQ_SUBMIT, bad))
    f = read_frame(s)
    if f is None or f[0] != REP_ERROR or b"UTF-8" not in f[1][T_MESSAGE][0]:
        sys.exit(f"FAIL invalid utf-8: {f}")
    s.sendall(frame(REQ_SHOW, field(T_ID, b"short")))
    f = read_frame(s)
    if f is None or f[0] != REP_ERROR:
        sys.exit(f"FAIL wrong-length id: {f}")
    s.sendall(frame(4242))
    f = read_frame(s)
    if f is None or f[0] != REP_ERROR:
        sys.exit(f"FAIL unknown request: {f}")
    if not list_ok(s):
        sys.exit("FAIL connection unusable after invalid requests")
    s.close()
    print("ok: invalid requests get errors, connection stays usable")

    # A frame cut short, then the client goes away: nothing to answer.
    s = connect()
    s.sendall(frame(REQ_LIST, length=100)[:8] + b"\x00\x17")
    s.close()

    # 150 clients connected at once, each served.
    conns = [connect() for _ in range(150)]
    for c in conns:
        c.sendall(frame(REQ_LIST))
    for i, c in enumerate(conns):
        while True:
            f = read_frame(c)
            if f is None:
                sys.exit(f"FAIL client {i} of 150 dropped")
            if f[0] == REP_END:
                break
    for c in conns:
        c.close()
    print("ok: 150 clients at once")

    # And a normal client is still served.
    s = connect()
    if not list_ok(s):
        sys.exit("FAIL daemon no longer serves")
    print("ok: still serving")


main()
