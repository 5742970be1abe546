#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# frame_echo.py - a stand-in VM for vmnet-run's tests: reads frames from
# its end of the socketpair ($VMNET_FD) and sends back each frame of the
# test's ethertype with source and destination MAC swapped. On a datagram
# socket a frame is a datagram; on a stream socket (vmnet-run --stream)
# each frame follows its 4-byte big-endian length, and so does the echo.
# Prints "frame_echo: VMNET_HELPER_JSON=<line> type=dgram|stream" on stdout
# first; exits 0 on SIGTERM. When its helper goes, it waits for that
# SIGTERM, as a VM outlives its network: vmnet-run stops both, and the
# helper may close the socket before the command sees its own SIGTERM.
import os
import signal
import socket
import struct
import sys

ETHERTYPE = b"\x88\xb5"  # IEEE local experimental, as the test sends


def wait_for_sigterm():
    # Blocked first, so that a SIGTERM sent since stays pending for
    # sigwait(); one that came before is already the handler's exit(0).
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    signal.sigwait([signal.SIGTERM])
    sys.exit(0)


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            wait_for_sigterm()
        data += chunk
    return data


def frames(sock, stream):
    while True:
        if stream:
            (length,) = struct.unpack(">I", read_exactly(sock, 4))
            yield read_exactly(sock, length)
        else:
            yield sock.recv(65536)


def main():
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))
    sock = socket.socket(fileno=int(os.environ["VMNET_FD"]))
    stream = sock.type == socket.SOCK_STREAM
    print("frame_echo: VMNET_HELPER_JSON=" + os.environ["VMNET_HELPER_JSON"]
          + (" type=stream" if stream else " type=dgram"), flush=True)
    for frame in frames(sock, stream):
        if len(frame) >= 14 and frame[12:14] == ETHERTYPE:
            echo = frame[6:12] + frame[0:6] + frame[12:]
            if stream:
                echo = struct.pack(">I", len(echo)) + echo
            sock.sendall(echo)


main()
