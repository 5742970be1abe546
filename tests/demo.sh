#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh - the main job: two network namespaces, each with a TAP device
# served by one vmnet-helper, the two helpers joined by a socketpair; ping
# and a checked bulk TCP transfer both ways; the helpers' JSON lines and
# final counters. Everything it creates is removed on exit, also when
# interrupted. Needs root (network namespaces, TAP devices).
set -euo pipefail
cd "$(dirname "$0")/.."

# VMNET_HELPER: the binary to run (the sanitizer suites pass their own).
helper=${VMNET_HELPER:-build/vmnet-helper}
mib=${DEMO_MIB:-64}
# DEMO_BRIDGE=1: side b's TAP joins a bridge that holds b's address.
bridge=${DEMO_BRIDGE:-0}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root to create network namespaces and TAP devices" >&2
	exit 1
fi
[ -x "$helper" ] || { echo "demo: build first: make all" >&2; exit 1; }

ns_a=vmh-demo-a-$$ ns_b=vmh-demo-b-$$
work=$(mktemp -d /tmp/vmnet-helper-demo.XXXXXX)
cleanup() {
	for side in a b; do
		if [ -s "$work/$side.pid" ]; then
			kill -TERM "$(cat "$work/$side.pid")" 2>/dev/null || true
		fi
	done
	for side in a b; do
		pid=$(cat "$work/$side.pid" 2>/dev/null || true)
		# Wait for the helper to exit (it removes its TAP), 5 s at most.
		for _ in $(seq 50); do
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
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

echo "== starting two helpers joined by a socketpair"
python3 tests/pair_launcher.py "$work" \
	-- ip netns exec "$ns_a" "$helper" --fd 3 --tap vmh0 \
	--interface-id 11111111-2222-4333-8444-555555555555 \
	-- ip netns exec "$ns_b" "$helper" --fd 3 --tap vmh0 "${b_args[@]}" \
	--interface-id 66666666-7777-4888-9999-aaaaaaaaaaaa
for side in a b; do
	for _ in $(seq 100); do
		[ -s "$work/$side.json" ] && break
		sleep 0.1 # the helper prints its JSON line once the TAP is up
	done
	if ! [ -s "$work/$side.json" ]; then
		echo "demo: helper $side printed no JSON line; its log:" >&2
		cat "$work/$side.log" >&2
		exit 1
	fi
	echo "helper $side: $(cat "$work/$side.json")"
done
ip -n "$ns_a" addr add "$addr_a/24" dev vmh0
[ "$bridge" = 1 ] || ip -n "$ns_b" addr add "$addr_b/24" dev vmh0

echo "== ping both ways"
ip netns exec "$ns_a" ping -c 3 -i 0.2 -W 2 "$addr_b"
ip netns exec "$ns_b" ping -c 3 -i 0.2 -W 2 "$addr_a"

echo "== $mib MiB over TCP, each way, every byte checked"
for dir in "a b $addr_b" "b a $addr_a"; do
	set -- $dir
	server_ns=vmh-demo-$2-$$ client_ns=vmh-demo-$1-$$
	ip netns exec "$server_ns" python3 tests/tcp_transfer.py serve "$3" 5201 "$mib" >"$work/transfer" &
	server=$!
	ip netns exec "$client_ns" python3 tests/tcp_transfer.py send "$3" 5201 "$mib"
	wait "$server"
	echo "$1 -> $2: $(cat "$work/transfer")"
done

for side in a b; do
	echo "helper $side peak memory: $(grep -E '^VmHWM' "/proc/$(cat "$work/$side.pid")/status" | tr -s ' \t' ' ')"
done

echo "== stopping the helpers (SIGTERM)"
for side in a b; do
	kill -TERM "$(cat "$work/$side.pid")"
done
for side in a b; do
	pid=$(cat "$work/$side.pid")
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "helper $side: $(grep -o 'final counters .*' "$work/$side.log" || echo 'no final counters')"
	: >"$work/$side.pid"
done
echo "demo: ok"
