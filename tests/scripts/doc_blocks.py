#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""doc_blocks.py - find the command lines in the docs and run them, so the
docs cannot rot (tests/system/test_docs.c drives it).

A command block is marked with what checks it:
  markdown:  a fenced block whose info string is "sh KIND"
  man page:  a line '.\\" doc-test: KIND' right before a '.Bd -literal'
KIND is one of
  linux-test    run by bash as root in a network namespace of its own, in
                a fresh empty folder, with the built programs first in PATH
  source-test   run by bash in the source tree, as a new user would after
                cloning it; 'sudo' runs the command as is, and DESTDIR points
                into a temporary folder, so nothing lands on this machine
  macos-parse   never run: each vmnet-helper and vmnet-run command line in
                it is parsed by the programs' own parsers for macOS
                (test_docs.c does that with the JSON this prints)
  linux-parse   never run (they need a running systemd, or change the
                machine): each vmnet-helper and vmnet-run line in it is
                parsed with the Linux rules
  ci            the README's two fresh-machine commands: test_docs.c
                checks the test command is the one .ci/run runs (CI runs
                it), and test_end_to_end.c runs the demo's script
Blocks with another info string (text, json, none) are output, not
commands; a sh, bash, shell or console block without a KIND is an error.

Usage:
  doc_blocks.py blocks SRC [KIND]       every block (of KIND), as JSON
  doc_blocks.py commands KIND SRC       vmnet-helper/vmnet-run lines, JSON
  doc_blocks.py unmarked SRC            unmarked shell blocks; exit 1 if any
  doc_blocks.py run KIND SRC BINDIR     run the blocks of KIND; exit 0 when
                                        all pass, 77 when they cannot run
                                        here (the reason on stderr), else 1
"""
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile

KINDS = ("linux-test", "source-test", "macos-parse", "linux-parse", "ci")
SHELL_INFOS = ("sh", "bash", "shell", "console")
PROGRAMS = ("vmnet-helper", "vmnet-run")
# What qemu_guest.sh's guest prints once it has pinged the host.
GUEST_PINGED = "vmnet-guest: ping 192.0.2.1 ok"
# A TCG boot of the guest takes ~15 s; nothing here takes a minute.
BLOCK_TIMEOUT = 120


def doc_files(src):
    """The files whose blocks count: every markdown file kept in the
    repository's top folder and docs/, and the man pages."""
    files = sorted(glob.glob(os.path.join(src, "*.md")))
    files += sorted(glob.glob(os.path.join(src, "docs", "*.md")))
    files += sorted(glob.glob(os.path.join(src, "docs", "man", "*.1")))
    return files


def markdown_blocks(path, rel):
    blocks = []
    fence = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if fence is None:
            m = re.match(r"^(\s*)(```+|~~~+)\s*(.*)$", line)
            if m:
                fence = (m.group(2), m.group(3).split(), n, [])
            continue
        if line.strip().startswith(fence[0]) and line.strip() == fence[0]:
            words, start, body = fence[1], fence[2], fence[3]
            info = words[0] if words else ""
            kind = words[1] if len(words) > 1 else ""
            blocks.append({"file": rel, "line": start, "info": info,
                           "kind": kind, "text": "\n".join(body) + "\n"})
            fence = None
            continue
        fence[3].append(line)
    return blocks


# The first word of a command a reader would type; an indented markdown
# block that starts with one is a command block without a fence.
COMMAND_WORDS = ("vmnet-helper", "vmnet-run", "make", "sudo", "bash", "ip",
                 "git", "vfkit", "krunkit", "launchctl", "systemctl",
                 "qemu-system-x86_64", "qemu-system-aarch64", "minikube",
                 "podman")


def indented_commands(path, rel):
    """Indented (4 spaces) markdown code blocks that hold a command."""
    found = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    prev_blank, in_fence = True, False
    for n, line in enumerate(lines, 1):
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
        if not in_fence and prev_blank and line.startswith("    "):
            words = line.split()
            first = words[0] if words else ""
            if os.path.basename(first) in COMMAND_WORDS:
                found.append({"file": rel, "line": n, "info": "indented",
                              "kind": "", "text": line.strip()})
        prev_blank = line.strip() == ""
    return found


def man_blocks(path, rel):
    blocks = []
    kind = None
    body = None
    start = 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        m = re.match(r'^\.\\"\s*doc-test:\s*(\S+)', line)
        if m:
            kind = m.group(1)
            continue
        if body is None and line.startswith(".Bd -literal"):
            body, start = [], n
            continue
        if body is not None:
            if line.startswith(".Ed"):
                text = "\n".join(body) + "\n"
                blocks.append({"file": rel, "line": start,
                               "info": "sh",
                               "kind": kind or "", "text": text})
                body, kind = None, None
            else:
                # roff's escapes in these blocks: \e is a backslash, \(aq
                # a quote, \& nothing.
                body.append(line.replace("\\e", "\\").replace("\\(aq", "'")
                            .replace("\\&", ""))
            continue
    return blocks


def all_blocks(src):
    out = []
    for path in doc_files(src):
        rel = os.path.relpath(path, src)
        if path.endswith(".1"):
            out += man_blocks(path, rel)
        else:
            out += markdown_blocks(path, rel)
    return out


def split_newlines(text):
    """shlex reads a newline as whitespace or as part of a word; make it a
    token of its own outside quotes by walking the text once."""
    out, quote = [], None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < len(text):
                out.append(c)
                i += 1
                c = text[i]
            out.append(c)
        elif c == "\\" and i + 1 < len(text):
            if text[i + 1] == "\n":
                out.append(" ")
            else:
                out.append(c + text[i + 1])
            i += 1
        elif c in "'\"":
            quote = c
            out.append(c)
        elif c == "\n":
            out.append(" ; ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def commands_of(block):
    """Every vmnet-helper or vmnet-run command line in a block: the
    program's name and the words after it."""
    found = []
    text = split_newlines(block["text"])
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    words = []
    tokens = list(lex)
    tokens.append(";")
    skip = False
    for tok in tokens:
        if skip:
            skip = False
            continue
        # A redirection and its target are no words of the command; an
        # fd number before it (2>) neither.
        if tok in (">", ">>", "<", ">&", "<&", "&>"):
            if words and words[-1].isdigit():
                words.pop()
            skip = True
            continue
        if tok in (";", "&", "&&", "||", "|", "(", ")", ";;"):
            # The program is the first word, past sudo (and its options),
            # exec, env and NAME=value assignments.
            if len(words) > 2 and words[0] == "coproc" and words[2] == "{":
                words = words[3:]  # coproc NAME { COMMAND; }
            for i, w in enumerate(words):
                if w in ("sudo", "exec", "env", "nohup", "coproc", "{") or \
                        w.startswith("-") or re.match(r"^\w+=", w):
                    continue
                name = os.path.basename(w)
                if name in PROGRAMS:
                    found.append({"file": block["file"],
                                  "line": block["line"],
                                  "program": name, "args": words[i + 1:]})
                break
            words = []
            continue
        words.append(tok)
    return found


def guest_files(folder):
    """A kernel and an initramfs for the QEMU blocks, named as the docs
    name them (vmlinuz, initrd.img): tests/scripts/qemu_guest.sh's guest,
    which brings up eth0, pings the address given as vmh.host=, and powers
    off. Returns a reason when they cannot be made."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "qemu_guest.sh")
    r = subprocess.run(["bash", script, "--guest-only", folder],
                       capture_output=True, text=True)
    if r.returncode == 77:
        return r.stderr.strip()
    if r.returncode != 0:
        return "could not build the guest: " + r.stderr.strip()
    return None


def kill_netns(ns):
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                       text=True)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def run_block(block, kind, src, bindir, work, n, guest):
    # As a new user's shell would be: no make of ours above it.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    prologue = "set -euo pipefail\n"
    if kind == "source-test":
        env["DESTDIR"] = os.path.join(work, "stage")
        prologue += 'sudo() { "$@"; }\n'
        cwd = src
        argv = ["bash", "-c", prologue + block["text"]]
        ns = None
    else:
        ns = "vmh-doc-%d-%d" % (os.getpid(), n)
        cwd = os.path.join(work, "block%d" % n)
        os.makedirs(cwd)
        if guest:
            for name in ("vmlinuz", "initrd.img"):
                os.symlink(os.path.join(guest, name), os.path.join(cwd, name))
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"],
                       check=True)
        argv = ["ip", "netns", "exec", ns, "bash", "-c",
                prologue + block["text"]]
    try:
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, text=True)
        try:
            out, _ = p.communicate(timeout=BLOCK_TIMEOUT)
            status = p.returncode
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            status = "timed out after %d s" % BLOCK_TIMEOUT
    finally:
        if ns:
            kill_netns(ns)
    return status, out


def run(kind, src, bindir):
    blocks = [b for b in all_blocks(src) if b["kind"] == kind]
    if not blocks:
        print("doc_blocks: no %s block" % kind, file=sys.stderr)
        return 1
    if kind == "linux-test":
        if os.geteuid() != 0:
            print("needs root (a network namespace per block)",
                  file=sys.stderr)
            return 77
        if not os.path.exists("/dev/net/tun"):
            print("no /dev/net/tun", file=sys.stderr)
            return 77
    failed = 0
    with tempfile.TemporaryDirectory(prefix="vmnet-helper-docs.") as work:
        os.chmod(work, 0o755)
        guest = None
        if any("vmlinuz" in b["text"] for b in blocks):
            guest = os.path.join(work, "guest")
            os.makedirs(guest)
            why = guest_files(guest)
            if why:
                print("QEMU blocks: %s" % why, file=sys.stderr)
                return 77
        for n, b in enumerate(blocks):
            status, out = run_block(b, kind, src, bindir, work, n, guest)
            where = "%s:%d" % (b["file"], b["line"])
            # A block that boots the guest passes only if the guest
            # reached the host through the helper.
            if status == 0 and "vmlinuz" in b["text"] and \
                    GUEST_PINGED not in out:
                status = "0, but the guest never printed '%s'" % GUEST_PINGED
            if status == 0:
                print("ok      %s" % where)
            else:
                failed += 1
                print("FAILED  %s (status %s):\n%s" % (where, status, out))
    print("%d passed, %d failed" % (len(blocks) - failed, failed))
    return 1 if failed else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "blocks":
        blocks = all_blocks(argv[2])
        if len(argv) >= 4:
            blocks = [b for b in blocks if b["kind"] == argv[3]]
        json.dump(blocks, sys.stdout, indent=1)
        return 0
    if len(argv) >= 4 and argv[1] == "commands":
        out = []
        for b in all_blocks(argv[3]):
            if b["kind"] == argv[2]:
                out += commands_of(b)
        json.dump(out, sys.stdout, indent=1)
        return 0
    if len(argv) >= 3 and argv[1] == "unmarked":
        bad = [b for b in all_blocks(argv[2])
               if b["info"] in SHELL_INFOS and b["kind"] not in KINDS]
        for path in doc_files(argv[2]):
            if path.endswith(".md"):
                bad += indented_commands(path, os.path.relpath(path, argv[2]))
        for b in bad:
            print("%s:%d: a %s command block without a test kind: fence it "
                  "as ```sh KIND, KIND one of %s" %
                  (b["file"], b["line"], b["info"] or "shell",
                   ", ".join(KINDS)))
        return 1 if bad else 0
    if len(argv) >= 5 and argv[1] == "run":
        return run(argv[2], argv[3], os.path.abspath(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
