#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tcp_transfer.py - move N MiB over TCP and check every byte (SHA-256 of a
# seeded stream), for the demo and the end-to-end tests.
#   tcp_transfer.py serve ADDR PORT MIB   receive, print "ok MIB sha Gbit/s"
#   tcp_transfer.py send ADDR PORT MIB    send the same stream
import hashlib
import socket
import sys
import time

CHUNK = 1 << 16


def stream(mib):
    """The bytes both sides agree on: SHA-256 chained blocks."""
    block = hashlib.sha256(b"vmnet-helper").digest() * (CHUNK // 32)
    for i in range(mib * (1 << 20) // CHUNK):
        yield bytes((b + i) & 0xFF for b in block[:64]) + block[64:]


def serve(addr, port, mib):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    conn.settimeout(60)
    want = hashlib.sha256()
    for block in stream(mib):
        want.update(block)
    got = hashlib.sha256()
    total, start = 0, time.monotonic()
    while total < mib << 20:
        data = conn.recv(1 << 20)
        if not data:
            break
        got.update(data)
        total += len(data)
    secs = time.monotonic() - start
    ok = total == mib << 20 and got.digest() == want.digest()
    print("%s %d MiB sha256 %s %.2f Gbit/s" % (
        "ok" if ok else "CORRUPT", total >> 20, got.hexdigest()[:16],
        total * 8 / secs / 1e9))
    return 0 if ok else 1


def send(addr, port, mib):
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = socket.create_connection((addr, port), timeout=60)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # the server is starting; retry the connect
    for block in stream(mib):
        conn.sendall(block)
    conn.shutdown(socket.SHUT_WR)
    conn.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("serve", "send"):
        sys.exit("usage: tcp_transfer.py serve|send ADDR PORT MIB")
    fn = serve if sys.argv[1] == "serve" else send
    sys.exit(fn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
