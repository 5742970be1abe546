#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# frame_echo.py - a stand-in VM for vmnet-run's tests: reads frames from
# its end of the socketpair ($VMNET_FD) and sends back each frame of the
# test's ethertype with source and destination MAC swapped.
# Prints "frame_echo: VMNET_HELPER_JSON=<line>" on stdout first; exits 0
# on SIGTERM.
import os
import signal
import socket
import sys

ETHERTYPE = b"\x88\xb5"  # IEEE local experimental, as the test sends


def main():
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))
    sock = socket.socket(fileno=int(os.environ["VMNET_FD"]))
    print("frame_echo: VMNET_HELPER_JSON=" + os.environ["VMNET_HELPER_JSON"],
          flush=True)
    while True:
        frame = sock.recv(65536)
        if len(frame) >= 14 and frame[12:14] == ETHERTYPE:
            sock.send(frame[6:12] + frame[0:6] + frame[12:])


main()
