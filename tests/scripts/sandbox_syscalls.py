#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# sandbox_syscalls.py - measure which system calls vmnet-helper makes once it
# is sandboxed: every scenario the tests know (the lifecycle, --stream,
# --host-fd, vmnet-run, end-to-end and guest-address tests, QEMU guests among
# them) plus the ones only this script
# drives (a flood with --stats-interval stopped by SIGTERM, the TAP deleted
# under the helper, --socket clients one after another stopped by SIGINT,
# TSO, write() instead of io_uring, --cpus, --pid, SIGSTOP/SIGCONT, SIGUSR1
# and the other signals, a helper that is not root), each under strace.
# Every call after the filter goes on (with the filter off, after
# prctl(PR_SET_NO_NEW_PRIVS), just before that point) is counted, and each
# must be named in cli/vmnet-helper/linux/sandbox_linux.c; docs/security.md
# holds the last result. The helper runs as shipped, filter on, so a call the list lacks
# shows as KILLED with the call; VMH_FILTER_OFF=1 passes --no-sandbox
# instead, to see every call a new feature makes in one run (the tests that
# check the filter is on then fail, as they should).
#
# usage (root, strace installed):
#   python3 tests/scripts/sandbox_syscalls.py [BUILD_DIR [SCENARIO...]]
#   BUILD_DIR: build (default), build/asan, ...; built with `make all`. For
#     an ASan build set ASAN_OPTIONS=detect_leaks=0: LeakSanitizer cannot
#     run under strace.
#   SCENARIO: run only these (names in main()); default all.
#   VMH_KEEP_TRACES=1 keeps the strace output and says where.
# Prints a table: call, how many, in which scenarios, and the arguments of
# the calls the filter checks. Exit status 1 if a scenario failed or a call
# is missing from the filter's source.
import collections
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FRAME = bytes.fromhex("ffffffffffff020000000001" "88b5") + b"sandbox".ljust(46, b"\0")
# The calls the filter allows only with some arguments: show those.
CHECKED = {"socket", "clone", "clone3", "mmap", "mprotect", "prctl", "tgkill",
           "kill", "ioctl", "openat", "open", "execve"}
failed = []


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def setup(build, work):
    """A copy of the build whose vmnet-helper runs under strace."""
    bindir = os.path.join(work, "bin")
    os.makedirs(os.path.join(bindir, "tests"))
    shutil.copy2(os.path.join(build, "tests", "unit-tests"),
                 os.path.join(bindir, "tests", "unit-tests"))
    shutil.copy2(os.path.join(build, "vmnet-run"), bindir)
    shutil.copy2(os.path.join(build, "vmnet-helper"),
                 os.path.join(bindir, "vmnet-helper.real"))
    wrapper = os.path.join(bindir, "vmnet-helper")
    traces = os.path.join(work, "traces")
    os.makedirs(traces)
    # The helper that is not root must reach its wrapper and write there.
    os.chmod(work, 0o755)
    os.chmod(traces, 0o1777)
    # -D keeps the helper's pid (strace runs as a grandchild), so tests
    # signal and wait for the helper itself.
    off = " --no-sandbox" if os.environ.get("VMH_FILTER_OFF") else ""
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n"
                f'exec strace -D -f -qq -o "{traces}/${{VMH_TRACE_TAG:-x}}.$$" '
                f'-- "{bindir}/vmnet-helper.real"{off} "$@"\n')
    os.chmod(wrapper, 0o755)
    return bindir, traces


def criterion(bindir, pattern):
    env = dict(os.environ, VMH_TRACE_TAG=pattern.split("/")[0])
    r = subprocess.run([os.path.join(bindir, "tests", "unit-tests"),
                        "--jobs=1", "--filter", pattern], cwd=TOP, env=env)
    if r.returncode != 0:
        failed.append(pattern)


class Netns:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        run(["ip", "netns", "add", self.name])
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name])

    def cmd(self, *argv):
        return ["ip", "netns", "exec", self.name, *argv]


def wait_line(proc, needle, timeout=30):
    """Read the helper's stderr until @needle; return what was read."""
    seen = b""
    end = time.monotonic() + timeout
    os.set_blocking(proc.stderr.fileno(), False)
    while needle.encode() not in seen:
        if time.monotonic() > end or proc.poll() is not None:
            raise RuntimeError(f"no '{needle}' in:\n{seen.decode()}")
        try:
            chunk = os.read(proc.stderr.fileno(), 65536)
        except BlockingIOError:
            time.sleep(0.05)  # the script's own polling; not a test
            continue
        seen += chunk
    return seen


def helper(bindir, tag, ns, args, pass_fds=(), env=None, prefix=()):
    e = dict(os.environ, VMH_TRACE_TAG=tag, **(env or {}))
    return subprocess.Popen(ns.cmd(*prefix, os.path.join(bindir, "vmnet-helper"),
                                   *args),
                            pass_fds=pass_fds, env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def fd_helper(bindir, tag, ns, args, tap="vmhs0", env=None, prefix=()):
    """A helper on one end of a socketpair (--fd), its JSON line read.
    Return: the process and the VM's end."""
    vm, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    p = helper(bindir, tag, ns, ["--fd", str(theirs.fileno()), "--tap", tap,
                                 *args],
               pass_fds=(theirs.fileno(),), env=env, prefix=prefix)
    theirs.close()
    p.stdout.readline()
    return p, vm


@contextlib.contextmanager
def socket_helper(bindir, tag, args):
    """A --socket helper in a namespace of its own, its JSON line read.
    Yields the process and a function that makes a client NAME, connected
    and having sent its first frame."""
    d = tempfile.mkdtemp(prefix="/tmp/vmh-sc-sock.")
    path = os.path.join(d, "sock")

    def client(name):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        c.bind(os.path.join(d, name))
        c.connect(path)
        c.send(FRAME)
        return c

    try:
        with Netns(f"vmh-sc-{os.getpid()}") as ns:
            p = helper(bindir, tag, ns,
                       ["--socket", path, "--tap", "vmhs0", *args])
            p.stdout.readline()
            run(ns.cmd("ip", "link", "set", "vmhs0", "up"))
            yield p, client, ns
    finally:
        shutil.rmtree(d, ignore_errors=True)


def tap_flood(ns, tap, count):
    """Frames into the TAP from the namespace's side, in the background."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
            f"s.bind(('{tap}',0))\n"
            f"f=bytes.fromhex('{FRAME.hex()}')\n"
            f"for i in range({count}):\n"
            "    try: s.send(f)\n"
            "    except OSError: pass\n")
    return subprocess.Popen(ns.cmd("python3", "-c", code))


def vm_flood(sock, count):
    sock.setblocking(False)
    for _ in range(count):
        try:
            sock.send(FRAME)
        except OSError:  # full (EAGAIN), or the helper has gone
            pass


def drain(sock):
    n = 0
    sock.setblocking(False)
    while True:
        try:
            sock.recv(65536)
            n += 1
        except BlockingIOError:
            return n


def finish(proc, tag, want=0):
    out, err = proc.communicate(timeout=60)
    if proc.returncode != want:
        failed.append(f"{tag}: status {proc.returncode}\n{err.decode()}")


def scenario_fd_flood(bindir, extra_args, env, tag):
    """--fd, frames both ways with a stalled then a reading VM, stats
    lines, SIGTERM mid-flood."""
    with Netns(f"vmh-sc-{os.getpid()}") as ns:
        p, vm = fd_helper(bindir, tag, ns, ["--stats-interval", "1", "-v",
                                            *extra_args], env=env)
        run(ns.cmd("ip", "link", "set", "vmhs0", "up"))
        flood = tap_flood(ns, "vmhs0", 200000)
        vm_flood(vm, 20000)  # the VM does not read yet: backpressure
        wait_line(p, "[stats]")
        drain(vm)
        vm_flood(vm, 20000)
        drain(vm)
        p.send_signal(signal.SIGTERM)  # mid-flood
        finish(p, tag)
        flood.kill()
        flood.wait()
        vm.close()


def scenario_tap_deleted(bindir):
    with Netns(f"vmh-sc-{os.getpid()}") as ns:
        p, vm = fd_helper(bindir, "tap_deleted", ns, [])
        run(ns.cmd("ip", "link", "set", "vmhs0", "up"))
        vm_flood(vm, 2000)
        run(["ip", "-n", ns.name, "link", "del", "vmhs0"])
        vm_flood(vm, 2000)
        p.communicate(timeout=60)  # any status: it must end
        vm.close()


def scenario_socket_clients(bindir):
    """--socket: a client sends, leaves, the next one comes; SIGINT."""
    with socket_helper(bindir, "socket_clients",
                       ["--stats-interval", "1"]) as (p, client, ns):
        for n, name in enumerate(("a", "b", "c")):
            c = client(name)
            wait_line(p, "serving client")
            flood = tap_flood(ns, "vmhs0", 5000)
            vm_flood(c, 5000)
            flood.wait()
            drain(c)
            c.close()
            if n < 2:
                wait_line(p, "waiting for client")
        p.send_signal(signal.SIGINT)
        finish(p, "socket_clients")


def scenario_pid(bindir):
    with Netns(f"vmh-sc-{os.getpid()}") as ns:
        sleeper = subprocess.Popen(["sleep", "600"])
        p, vm = fd_helper(bindir, "pid", ns, ["--pid", str(sleeper.pid)])
        sleeper.kill()
        sleeper.wait()
        finish(p, "pid")
        vm.close()


def scenario_vm_closes(bindir, extra_args, tag):
    with Netns(f"vmh-sc-{os.getpid()}") as ns:
        p, vm = fd_helper(bindir, tag, ns, extra_args)
        run(ns.cmd("ip", "link", "set", "vmhs0", "up"))
        flood = tap_flood(ns, "vmhs0", 20000)
        vm_flood(vm, 20000)
        flood.wait()
        vm.close()  # the VM goes away: the helper exits 0
        finish(p, tag)


def scenario_stop_cont(bindir):
    """SIGSTOP and SIGCONT while waiting for a client and while serving
    one with stats on (timed waits), then SIGTERM."""
    with socket_helper(bindir, "stop_cont",
                       ["--stats-interval", "1"]) as (p, client, ns):
        wait_line(p, "waiting for client")
        p.send_signal(signal.SIGSTOP)
        p.send_signal(signal.SIGCONT)
        c = client("a")
        wait_line(p, "serving client")
        for _ in range(3):
            p.send_signal(signal.SIGSTOP)
            p.send_signal(signal.SIGCONT)
            vm_flood(c, 1000)
        wait_line(p, "[stats]")
        p.send_signal(signal.SIGTERM)
        finish(p, "stop_cont")
        c.close()


def scenario_signals(bindir):
    """SIGUSR1 (stats now) while waiting for a client and while serving,
    the ignored SIGPIPE, SIGUSR2 and SIGALRM, then SIGHUP stops it."""
    with socket_helper(bindir, "signals", []) as (p, client, ns):
        wait_line(p, "waiting for client")
        p.send_signal(signal.SIGUSR1)
        c = client("a")
        wait_line(p, "serving client")
        vm_flood(c, 1000)
        for sig in (signal.SIGUSR1, signal.SIGPIPE, signal.SIGUSR2,
                    signal.SIGALRM):
            p.send_signal(sig)
        wait_line(p, "[stats]")
        p.send_signal(signal.SIGHUP)
        finish(p, "signals")
        c.close()


def scenario_not_root(bindir):
    """A user's own persistent TAP, the helper started as that user."""
    with Netns(f"vmh-sc-{os.getpid()}") as ns:
        run(["ip", "-n", ns.name, "tuntap", "add", "vmhu0", "mode", "tap",
             "user", "65534", "group", "65534"])
        # Up before: bringing it up takes CAP_NET_ADMIN.
        run(ns.cmd("ip", "link", "set", "vmhu0", "up"))
        p, vm = fd_helper(bindir, "not_root", ns, [], tap="vmhu0",
                          prefix=("setpriv", "--reuid=65534",
                                  "--regid=65534", "--clear-groups"))
        flood = tap_flood(ns, "vmhu0", 5000)
        vm_flood(vm, 5000)
        flood.wait()
        p.send_signal(signal.SIGTERM)
        finish(p, "not_root")
        vm.close()


LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)(\(| resumed>)(.*)$")


def killed_by(pid):
    """The call the filter killed process @pid for, from the kernel's log
    (audit type 1326, "syscall=N"): strace cannot always tell."""
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    nrs = re.findall(rf"type=1326 .* pid={pid} .*?syscall=(\d+)", log)
    if not nrs:
        return "a call the kernel log does not name"
    macros = subprocess.run(["cc", "-dM", "-E", "-include", "sys/syscall.h",
                             "-x", "c", "/dev/null"], capture_output=True,
                            text=True).stdout
    names = {n: name for name, n in
             re.findall(r"#define __NR_([a-z0-9_]+) (\d+)", macros)}
    return ", ".join(f"{names.get(n, '?')} ({n})" for n in nrs)


def analyse(traces):
    calls = collections.Counter()
    where = collections.defaultdict(set)
    shown = collections.defaultdict(collections.Counter)
    killed = []
    for name in sorted(os.listdir(traces)):
        tag = name.rsplit(".", 1)[0]
        with open(os.path.join(traces, name), errors="replace") as f:
            lines = f.readlines()
        # From the filter's install; with --no-sandbox from no_new_privs,
        # which comes right before it.
        start = next((i for i, l in enumerate(lines)
                      if "SECCOMP_SET_MODE_FILTER" in l), None)
        if start is None:
            start = next((i for i, l in enumerate(lines)
                          if "prctl(PR_SET_NO_NEW_PRIVS" in l), None)
        if start is None:
            continue  # ended before the sandbox point (--version, errors)
        pid = lines[start].split()[0]
        if any("killed by SIGSYS" in l for l in lines):
            killed.append(f"{tag}: {killed_by(pid)}")
        for l in lines[start + 1:]:
            m = LINE.match(l)
            if not m or m.group(3) != "(":
                continue
            call, args = m.group(2), m.group(4)
            if call == "seccomp":
                continue  # --no-sandbox: where the filter would go on
            calls[call] += 1
            where[call].add(tag)
            if call in CHECKED:
                if call == "tgkill":
                    args = "own pid" if args.startswith(pid + ",") else args
                shown[call][re.sub(r"0x[0-9a-f]{6,}", "ADDR",
                                   args.split(") =")[0])[:90]] += 1
    print(f"\n{len(calls)} system calls after the sandbox point, "
          f"{sum(calls.values())} calls in all:\n")
    print("| call | calls | scenarios |")
    print("|---|---:|---|")
    for call, n in calls.most_common():
        print(f"| {call} | {n} | {', '.join(sorted(where[call]))} |")
    for call in sorted(shown):
        print(f"\n{call}:")
        for args, n in shown[call].most_common(8):
            print(f"  {n:7d}  {args}")
    for k in killed:
        print("KILLED:", k)
        failed.append("killed by the filter: " + k)
    return calls


def missing_from_filter(calls):
    """The measured calls that sandbox_linux.c never names."""
    with open(os.path.join(TOP, "cli", "vmnet-helper", "linux",
                           "sandbox_linux.c")) as f:
        named = set(re.findall(r"__NR_([a-z0-9_]+)", f.read()))
    return sorted(set(calls) - named)


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    if os.geteuid() != 0 or not shutil.which("strace"):
        sys.exit("sandbox_syscalls: needs root and strace")
    work = tempfile.mkdtemp(prefix="/tmp/vmh-syscalls.")
    try:
        bindir, traces = setup(build, work)
        scenarios = {
            "helper_lifecycle": lambda: criterion(bindir, "helper_lifecycle/*"),
            "helper_stream": lambda: criterion(bindir, "helper_stream/*"),
            "helper_host_fd": lambda: criterion(bindir, "helper_host_fd/*"),
            "vmnet_run": lambda: criterion(bindir, "vmnet_run/*"),
            "end_to_end": lambda: criterion(bindir, "end_to_end/*"),
            # --pidfile, --address-file and --learn-addresses.
            "guest_addrs": lambda: criterion(bindir, "guest_addrs/*"),
            "fd_flood": lambda: scenario_fd_flood(bindir, [], None, "fd_flood"),
            "fd_flood_write": lambda: scenario_fd_flood(
                bindir, [], {"VMNET_TAP_WRITE": "write"}, "fd_flood_write"),
            "tso": lambda: scenario_vm_closes(bindir, ["--enable-tso"], "tso"),
            "pinned": lambda: scenario_vm_closes(bindir, ["--cpus", "0,1"],
                                                 "pinned"),
            "tap_deleted": lambda: scenario_tap_deleted(bindir),
            "socket_clients": lambda: scenario_socket_clients(bindir),
            "pid": lambda: scenario_pid(bindir),
            "not_root": lambda: scenario_not_root(bindir),
            "stop_cont": lambda: scenario_stop_cont(bindir),
            "signals": lambda: scenario_signals(bindir),
        }
        for name in sys.argv[2:] or scenarios:
            try:
                scenarios[name]()
            except Exception as e:  # report it, measure the rest
                failed.append(f"{name}: {e!r}")
        for call in missing_from_filter(analyse(traces)):
            failed.append(f"{call}: made after the sandbox point, not on "
                          "the filter's list")
    finally:
        if os.environ.get("VMH_KEEP_TRACES"):
            print("traces kept in", traces, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    for f in failed:
        print("FAILED:", f, file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
