#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# pair_launcher.py - start two commands joined by a unix datagram
# socketpair, each getting its end as fd 3 (until vmnet-run exists).
#   pair_launcher.py OUT_DIR -- CMD_A... -- CMD_B...
# Writes OUT_DIR/{a,b}.{json,log,pid}: stdout, stderr, pid of each.
import os
import socket
import subprocess
import sys

SNDBUF, RCVBUF = 65 * 1024, 4 << 20  # as vmnet-helper sizes them

out_dir = sys.argv[1]
rest = sys.argv[2:]
if rest.count("--") != 2 or rest[0] != "--":
    sys.exit("usage: pair_launcher.py OUT_DIR -- CMD_A... -- CMD_B...")
split = rest.index("--", 1)
cmds = {"a": rest[1:split], "b": rest[split + 1:]}
ends = dict(zip("ab", socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)))
for end in ends.values():
    end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
    end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
for name, cmd in cmds.items():
    fd = ends[name].fileno()

    def as_fd3(fd=fd):
        os.dup2(fd, 3)

    with open(os.path.join(out_dir, name + ".json"), "w") as out, \
            open(os.path.join(out_dir, name + ".log"), "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err,
                                preexec_fn=as_fd3, pass_fds=(3,),
                                start_new_session=True)
    with open(os.path.join(out_dir, name + ".pid"), "w") as f:
        f.write("%d\n" % proc.pid)
