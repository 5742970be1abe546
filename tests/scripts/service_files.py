#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""service_files.py - read the shipped launchd job and systemd unit as their
service managers would, for tests/system/test_install.c.

  service_files.py plist FILE
      Load FILE with plistlib (the parser of the format launchd reads; a
      malformed file fails here) and print it as JSON.
  service_files.py unit-exec UNIT CONF INSTANCE RUNTIME_DIR [NAME=VALUE]...
      The commands systemd would run for UNIT's instance INSTANCE: the
      EnvironmentFile CONF read as systemd reads one (NAME=VALUE lines, #
      comments), NAME=VALUE arguments on top, then in each ExecStartPre=
      and ExecStart= the specifiers %i, %t (RUNTIME_DIR) and %% replaced,
      ${NAME} replaced as one word and a word that is $NAME alone split
      into words (systemd.service(5), "Command lines"). Prints
      {"pre": [[argv]...], "start": [argv]}.
"""
import json
import plistlib
import re
import shlex
import sys


def read_env(path, env):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith(";"):
                continue
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()


def expand(command, env, instance, runtime):
    def specifier(m):
        return {"i": instance, "t": runtime, "%": "%"}[m.group(1)]

    words = []
    for word in shlex.split(command):
        word = re.sub(r"%([it%])", specifier, word)
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            words += env.get(m.group(1), "").split()
            continue
        words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                            lambda m: env.get(m.group(1), ""), word))
    return words


def unit_exec(unit, conf, instance, runtime, overrides):
    env = {}
    read_env(conf, env)
    for o in overrides:
        name, _, value = o.partition("=")
        env[name] = value
    pre, start = [], None
    with open(unit, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key == "ExecStartPre":
                pre.append(expand(value, env, instance, runtime))
            elif key == "ExecStart":
                start = expand(value, env, instance, runtime)
    return {"pre": pre, "start": start}


def main(argv):
    if len(argv) == 3 and argv[1] == "plist":
        with open(argv[2], "rb") as f:
            json.dump(plistlib.load(f), sys.stdout)
        return 0
    if len(argv) >= 6 and argv[1] == "unit-exec":
        json.dump(unit_exec(argv[2], argv[3], argv[4], argv[5], argv[6:]),
                  sys.stdout)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
