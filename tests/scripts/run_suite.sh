#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_suite.sh TAP COMMAND [ARGS...] - run the Criterion suite (make test)
# with its usual output, and a TAP report of it in the file TAP; when it
# fails, repeat the failed tests and their assertions from that report at
# the end, where a CI log that keeps only its last lines still shows them.
# (A report file, not a pipe through tee: a pipe would keep make waiting on
# any process a test left holding its end.)
set -u
tap=$1
shift
"$@" --tap="$tap"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "---- the suite failed (exit $rc); what failed, from $tap:"
	# Each "not ok - SUITE::TEST" with the start of its YAML block (the
	# failed assertion's file, line and message), which ends at "...".
	awk '/^not ok/ { show = 1; n = 0 }
	     show && n++ < 8 { print substr($0, 1, 300) }
	     /^  \.\.\.$/ { show = 0 }' "$tap" | tail -n 80
fi
exit "$rc"
