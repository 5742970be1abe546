#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh - the main job: two network namespaces, each with a TAP device
# served by one vmnet-helper, the two helpers joined by vmnet-run; ping
# and a checked bulk TCP transfer both ways; the helpers' JSON lines and
# final counters. Everything it creates is removed on exit, also when
# interrupted. Needs root (network namespaces, TAP devices).
set -euo pipefail
cd "$(dirname "$0")/../.."

# VMNET_HELPER: the binary to run (the sanitizer suites pass their own);
# vmnet-run is the one beside it.
helper=${VMNET_HELPER:-build/vmnet-helper}
runner=$(dirname "$helper")/vmnet-run
mib=${DEMO_MIB:-64}
# DEMO_BRIDGE=1: side b's TAP joins a bridge that holds b's address.
bridge=${DEMO_BRIDGE:-0}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root to create network namespaces and TAP devices" >&2
	exit 1
fi
[ -x "$helper" ] && [ -x "$runner" ] || {
	echo "demo: build first: make all" >&2
	exit 1
}

ns_a=vmh-demo-a-$$ ns_b=vmh-demo-b-$$
work=$(mktemp -d /tmp/vmnet-helper-demo.XXXXXX)
runner_pid=
cleanup() {
	# vmnet-run forwards SIGTERM to both helpers and waits for them,
	# escalating to SIGKILL after its --stop-timeout: the wait is bounded.
	if [ -n "$runner_pid" ]; then
		kill -TERM "$runner_pid" 2>/dev/null || true
		wait "$runner_pid" 2>/dev/null || true
	fi
	ip netns del "$ns_a" 2>/dev/null || true
	ip netns del "$ns_b" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns_a"
ip netns add "$ns_b"
# TEST-NET-1 addresses, inside namespaces that exist only for this run.
addr_a=192.0.2.1 addr_b=192.0.2.2

b_args=()
if [ "$bridge" = 1 ]; then
	ip -n "$ns_b" link add vmhbr0 type bridge
	ip -n "$ns_b" link set vmhbr0 up
	ip -n "$ns_b" addr add "$addr_b/24" dev vmhbr0
	b_args=(--bridge vmhbr0)
fi

echo "== starting two helpers joined by a socketpair (vmnet-run)"
# vmnet-run starts helper a in namespace a on fd 3, then, once it is ready,
# its COMMAND on fd 4: here helper b, in namespace b, standing in for a VM.
# COMMAND reports helper a's JSON line and both pids on stdout, then becomes
# helper b (exec keeps the pid), whose JSON line follows.
mkfifo "$work/out"
ip netns exec "$ns_a" "$runner" --tap vmh0 \
	--interface-id 11111111-2222-4333-8444-555555555555 -- \
	sh -c 'echo "a $VMNET_HELPER_JSON"; echo "pids $VMNET_HELPER_PID $$"
		ns=$1 helper=$2 log=$3; shift 3
		exec ip netns exec "$ns" "$helper" --fd 4 "$@" 2>"$log"' \
	sh "$ns_b" "$helper" "$work/b.log" --tap vmh0 "${b_args[@]}" \
	--interface-id 66666666-7777-4888-9999-aaaaaaaaaaaa \
	>"$work/out" 2>"$work/a.log" &
runner_pid=$!
exec {out}<"$work/out"
# Blocking reads, bounded: each line comes once its helper's TAP is up.
if ! read -r -t 20 -u "$out" _ json_a || ! read -r -t 20 -u "$out" _ pid_a pid_b ||
	! read -r -t 20 -u "$out" json_b; then
	echo "demo: the helpers did not start; their logs:" >&2
	cat "$work/a.log" "$work/b.log" >&2 2>/dev/null || true
	exit 1
fi
echo "helper a: $json_a"
echo "helper b: $json_b"
ip -n "$ns_a" addr add "$addr_a/24" dev vmh0
[ "$bridge" = 1 ] || ip -n "$ns_b" addr add "$addr_b/24" dev vmh0

echo "== ping both ways"
ip netns exec "$ns_a" ping -c 3 -i 0.2 -W 2 "$addr_b"
ip netns exec "$ns_b" ping -c 3 -i 0.2 -W 2 "$addr_a"

echo "== $mib MiB over TCP, each way, every byte checked"
for dir in "a b $addr_b" "b a $addr_a"; do
	set -- $dir
	server_ns=vmh-demo-$2-$$ client_ns=vmh-demo-$1-$$
	ip netns exec "$server_ns" python3 tests/scripts/tcp_transfer.py serve "$3" 5201 "$mib" >"$work/transfer" &
	server=$!
	ip netns exec "$client_ns" python3 tests/scripts/tcp_transfer.py send "$3" 5201 "$mib"
	wait "$server"
	echo "$1 -> $2: $(cat "$work/transfer")"
done

# CPU time (user + system, all threads) from /proc/PID/stat fields 14 and
# 15, in clock ticks; the command name in field 2 has no spaces here.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}
for side in a b; do
	pid=pid_$side
	echo "helper $side: peak memory $(grep -E '^VmHWM' "/proc/${!pid}/status" | tr -s ' \t' ' '), CPU $(cpu_seconds "${!pid}") s"
	# Read back, not taken from the log: the traffic above ran sandboxed.
	echo "helper $side: sandbox$(awk '/^(NoNewPrivs|Seccomp|CapBnd):/ { printf " %s %s", $1, $2 }' "/proc/${!pid}/status")"
done

echo "== stopping (SIGTERM to vmnet-run, which stops both helpers)"
kill -TERM "$runner_pid"
status=0
wait "$runner_pid" || status=$?
runner_pid=
echo "vmnet-run exited with status $status"
for side in a b; do
	echo "helper $side: $(grep -o 'final counters .*' "$work/$side.log" || echo 'no final counters')"
done
echo "demo: ok"
