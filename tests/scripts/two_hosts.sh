#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# two_hosts.sh - VMs on two hosts joined at layer 2 by the kernel's VXLAN.
# Two network namespaces stand for two hosts, joined by a veth "underlay"
# (198.51.100.0/24, only inside them). Each host has a switch with a VXLAN
# port - a Linux bridge, or Open vSwitch with TWO_HOSTS_SWITCH=ovs - and two
# vmnet-helpers on it, each serving a VM of 192.0.2.0/24:
#   VM 1 (a1, b1): the helper on --socket; socat is the VM's client, its
#     other side a TAP in the VM's own namespace;
#   VM 2 (a2, b2): the helper on --fd under vmnet-run; a second helper in
#     the VM's namespace stands in for the VM (as in demo.sh). With
#     TWO_HOSTS_QEMU=1, a2 is the QEMU guest that qemu_guest.sh boots.
# Every VM pings every other with packets of the full MTU, checked TCP
# transfers run within and across the hosts, every helper reports the
# VXLAN's MTU (1450), and a VM set to 1500 has its longer frame dropped and
# counted by its helper. Prints "two_hosts: ok" at the end; exits 77 with
# "SKIPPED: why" when a tool is missing. Everything it creates is removed
# on exit, also when interrupted. Needs root. docs/scaling.md quotes these
# commands.
set -euo pipefail
cd "$(dirname "$0")/../.."

helper=${VMNET_HELPER:-build/vmnet-helper}
runner=$(dirname "$helper")/vmnet-run
switch=${TWO_HOSTS_SWITCH:-bridge}
qemu=${TWO_HOSTS_QEMU:-0}
mib=${TWO_HOSTS_MIB:-4}

skip() {
	echo "two_hosts: SKIPPED: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, TAP devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for tool in ip ping python3 socat; do
	command -v "$tool" >/dev/null || skip "no $tool"
done
case $switch in
bridge) ;;
ovs)
	for tool in ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl; do
		command -v "$tool" >/dev/null ||
			skip "no $tool (Debian's openvswitch-switch)"
	done
	schema=/usr/share/openvswitch/vswitch.ovsschema
	[ -r "$schema" ] || skip "no $schema (openvswitch-common)"
	;;
*)
	echo "two_hosts: TWO_HOSTS_SWITCH must be bridge or ovs, not '$switch'" >&2
	exit 1
	;;
esac
[ -x "$helper" ] && [ -x "$runner" ] || {
	echo "two_hosts: build first: make all" >&2
	exit 1
}

work=$(mktemp -d /tmp/vmnet-helper-2h.XXXXXX)
namespaces=()
children=()
ovs_dirs=()
# Helpers, vmnet-runs, socat: each exits on SIGTERM (vmnet-run after
# stopping its two), so the waits are bounded.
stop_children() {
	for pid in "${children[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${children[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	children=()
}
cleanup() {
	stop_children
	for d in "${ovs_dirs[@]}"; do
		OVS_RUNDIR=$d ovs-appctl -T 5 -t ovs-vswitchd exit 2>/dev/null || true
		OVS_RUNDIR=$d ovs-appctl -T 5 -t ovsdb-server exit 2>/dev/null || true
	done
	for ns in "${namespaces[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "two_hosts: FAILED: $1" >&2
	shift
	for log in "$@"; do
		echo "--- $log" >&2
		cat "$log" >&2 2>/dev/null || true
	done
	exit 1
}

# Poll a condition that raises no event a shell can wait on (a TAP's
# carrier, a log line): every 20 ms, at most 10 s.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < 500; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	fail "$what" "$work"/*.log
}

newns() {
	ip netns add "$1"
	namespaces+=("$1")
	ip -n "$1" link set lo up
}

A=vmh-2h-a-$$ B=vmh-2h-b-$$
declare -A host_of=([a1]=$A [a2]=$A [b1]=$B [b2]=$B)
declare -A ip_of=([a1]=192.0.2.11 [a2]=192.0.2.12 [b1]=192.0.2.21 [b2]=192.0.2.22)
declare -A vmns_of mtu_of

echo "== two hosts ($switch), joined by a veth underlay"
newns "$A"
newns "$B"
ip -n "$A" link add ul0 type veth peer name ul0 netns "$B"
ip -n "$A" addr add 198.51.100.1/24 dev ul0
ip -n "$B" addr add 198.51.100.2/24 dev ul0
ip -n "$A" link set ul0 up
ip -n "$B" link set ul0 up

# Open vSwitch, for one host: ovsdb-server and ovs-vswitchd in the host's
# namespace, every file of theirs in $work/ovs-NS (OVS_RUNDIR: sockets,
# pidfiles, logs), as docs/scaling.md starts them; cleanup stops them.
# --detach returns once the daemon is ready. The userspace datapath
# (datapath_type=netdev): the kernel's needs the openvswitch module.
ovs_start() {
	local ns=$1 d=$work/ovs-$1
	mkdir -p "$d"
	ovs_dirs+=("$d")
	export OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d
	ovsdb-tool create "$d/conf.db" "$schema"
	ip netns exec "$ns" ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
		--pidfile --log-file --detach --no-chdir
	ovs-vsctl --no-wait init
	ip netns exec "$ns" ovs-vswitchd --pidfile --log-file --detach --no-chdir
	# Without --no-wait, ovs-vsctl returns once ovs-vswitchd has made the
	# bridge: it is running and has a datapath.
	ovs-vsctl --timeout=10 add-br br0 -- set bridge br0 datapath_type=netdev ||
		skip "ovs-vswitchd cannot make a bridge here: $(grep -h -m1 -E 'ERR|EMER' "$d"/ovs-vswitchd.log 2>/dev/null || echo 'no error logged')"
	unset OVS_RUNDIR OVS_LOGDIR OVS_DBDIR
}
vsctl() {
	OVS_RUNDIR=$work/ovs-$1 ovs-vsctl --timeout=10 "${@:2}"
}

# The switch of host NS: a bridge (or OVS bridge) br0 with the VXLAN
# device vx0 as a port. VXLAN's outer headers take 50 bytes, so vx0's MTU
# is 1450 over the 1500 underlay, and so is the bridge's.
setup_switch() {
	local ns=$1 here=$2 there=$3
	ip -n "$ns" link add vx0 type vxlan id 42 local "$here" remote "$there" dstport 4789 dev ul0
	if [ "$switch" = bridge ]; then
		ip -n "$ns" link add br0 type bridge
		ip -n "$ns" link set vx0 master br0
	else
		ovs_start "$ns"
		vsctl "$ns" add-port br0 vx0
	fi
	ip -n "$ns" link set vx0 up
	ip -n "$ns" link set br0 up
}
setup_switch "$A" 198.51.100.1 198.51.100.2
setup_switch "$B" 198.51.100.2 198.51.100.1

# Where helper NAME's TAP goes: with the bridge, --bridge br0 attaches it;
# OVS ports are made with ovs-vsctl, so a persistent TAP is made first, added
# with the VXLAN's MTU (the helper reads it back) and given to --tap.
declare -a bridge_args
tap_on_switch() {
	local ns=$1 tap=$2
	if [ "$switch" = bridge ]; then
		bridge_args=(--bridge br0)
	else
		bridge_args=()
		ip -n "$ns" tuntap add "$tap" mode tap
		vsctl "$ns" add-port br0 "$tap" -- set interface "$tap" \
			mtu_request="$(ip netns exec "$ns" cat /sys/class/net/vx0/mtu)"
	fi
}

json_mtu() {
	sed -n 's/.*"vmnet_mtu":\([0-9]*\).*/\1/p' <<<"$1"
}

# VM 1: vmnet-helper --socket on the host; socat is the VM's client, its
# other side the VM's TAP eth0, made beforehand with the MTU the helper
# serves. Its first frame tells the helper who its client is.
start_socket_vm() {
	local name=$1 host=${host_of[$1]} vmns=vmh-2h-$1-$$ fd json
	local sock=$work/$name.sock
	vmns_of[$name]=$vmns
	newns "$vmns"
	tap_on_switch "$host" "t$name"
	mkfifo "$work/$name.out"
	ip netns exec "$host" "$helper" --socket "$sock" --tap "t$name" "${bridge_args[@]}" \
		>"$work/$name.out" 2>"$work/$name.log" &
	children+=($!)
	exec {fd}<"$work/$name.out"
	read -r -t 20 -u "$fd" json || fail "the helper of $name did not start" "$work/$name.log"
	echo "$name: helper on --socket: $json"
	mtu_of[$name]=$(json_mtu "$json")
	ip -n "$vmns" tuntap add eth0 mode tap
	ip -n "$vmns" link set eth0 mtu "${mtu_of[$name]}"
	ip -n "$vmns" addr add "${ip_of[$name]}/24" dev eth0
	ip netns exec "$vmns" socat -b 65536 \
		"UNIX-CLIENT:$sock,bind=$work/$name.vm" \
		TUN,tun-type=tap,tun-name=eth0,iff-no-pi,iff-up 2>"$work/$name-socat.log" &
	children+=($!)
	# A TAP has carrier once a process holds it open.
	wait_for "socat did not open eth0 of $name" \
		ip netns exec "$vmns" grep -qsx 1 /sys/class/net/eth0/carrier
	ip netns exec "$vmns" python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
mac = open("/sys/class/net/eth0/address").read().strip()
s.send(b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) + b"\x88\xb5" + bytes(46))'
	wait_for "the helper of $name never served socat" grep -q "serving client" "$work/$name.log"
}

# VM 2: vmnet-run starts the helper on fd 3 and, once it is ready, its
# COMMAND on fd 4: here a second helper, in the VM's namespace, whose TAP
# eth0 is the VM's interface (vmnet-run passes the JSON line in
# $VMNET_HELPER_JSON; COMMAND prints it, then becomes the VM's helper,
# which prints its own).
start_fd_vm() {
	local name=$1 host=${host_of[$1]} vmns=vmh-2h-$1-$$ fd json vmjson
	vmns_of[$name]=$vmns
	newns "$vmns"
	tap_on_switch "$host" "t$name"
	mkfifo "$work/$name.out"
	ip netns exec "$host" "$runner" --tap "t$name" "${bridge_args[@]}" -- \
		sh -c 'echo "$VMNET_HELPER_JSON"; exec ip netns exec "$1" "$2" --fd 4 --tap eth0 2>"$3"' \
		sh "$vmns" "$helper" "$work/$name-vm.log" \
		>"$work/$name.out" 2>"$work/$name.log" &
	children+=($!)
	exec {fd}<"$work/$name.out"
	read -r -t 20 -u "$fd" json && read -r -t 20 -u "$fd" vmjson ||
		fail "vmnet-run of $name did not start both helpers" "$work/$name.log" "$work/$name-vm.log"
	echo "$name: helper on --fd (vmnet-run): $json"
	mtu_of[$name]=$(json_mtu "$json")
	ip -n "$vmns" link set eth0 mtu "${mtu_of[$name]}"
	ip -n "$vmns" addr add "${ip_of[$name]}/24" dev eth0
}

echo "== four VMs, two on each host"
start_socket_vm a1
start_socket_vm b1
start_fd_vm b2
vms=(a1 b1 b2)
if [ "$qemu" != 1 ]; then
	start_fd_vm a2
	vms+=(a2)
fi
for name in "${!mtu_of[@]}"; do
	echo "$name: vmnet_mtu ${mtu_of[$name]}"
	[ "${mtu_of[$name]}" = 1450 ] || fail "$name's helper serves MTU ${mtu_of[$name]}, not the VXLAN's 1450"
done

echo "== every VM pings every other with $((1450 - 28))-byte payloads (1450-byte packets, DF set)"
pings=0
for src in "${vms[@]}"; do
	for dst in "${vms[@]}"; do
		[ "$src" != "$dst" ] || continue
		ip netns exec "${vmns_of[$src]}" ping -c 1 -W 3 -M do -s $((1450 - 28)) "${ip_of[$dst]}" >"$work/ping" ||
			fail "ping $src -> $dst" "$work/ping"
		pings=$((pings + 1))
	done
done
echo "pings: $pings of $pings ok"

echo "== $mib MiB over TCP, every byte checked, within and across the hosts"
transfers=("a1 b1" "b2 a1" "b1 b2")
[ "$qemu" = 1 ] || transfers+=("a2 a1")
for pair in "${transfers[@]}"; do
	set -- $pair
	ip netns exec "${vmns_of[$2]}" python3 tests/scripts/tcp_transfer.py serve "${ip_of[$2]}" 5201 "$mib" >"$work/transfer" &
	server=$!
	ip netns exec "${vmns_of[$1]}" python3 tests/scripts/tcp_transfer.py send "${ip_of[$2]}" 5201 "$mib"
	wait "$server" || fail "tcp $1 -> $2" "$work/transfer"
	echo "tcp $1 -> $2: $(cat "$work/transfer")"
done

if [ "$qemu" = 1 ]; then
	echo "== a2: the QEMU guest (qemu_guest.sh) on host a's switch"
	tap_on_switch "$A" ta2
	QEMU_GUEST_MODE=fd QEMU_GUEST_BYTES=$((4 << 20)) \
		QEMU_GUEST_NETNS=$A QEMU_GUEST_TAP=ta2 QEMU_GUEST_HELPER="${bridge_args[*]}" \
		QEMU_GUEST_IP=${ip_of[a2]} \
		QEMU_GUEST_PING="${ip_of[a1]} ${ip_of[b1]} ${ip_of[b2]}" \
		QEMU_GUEST_SERVE="${vmns_of[a1]}=${ip_of[a1]} ${vmns_of[b1]}=${ip_of[b1]}" \
		VMNET_HELPER=$helper bash tests/scripts/qemu_guest.sh >"$work/qemu" 2>&1 ||
		fail "the QEMU guest" "$work/qemu"
	grep -E '^(vmnet-run:|eth0|ping|fetched|qemu_guest:)' "$work/qemu" | sed 's/^/a2 (guest): /'
fi

echo "== a1 set to MTU 1500: its 1500-byte packet is dropped, and counted by its helper"
ip -n "${vmns_of[a1]}" link set eth0 mtu 1500
if ip netns exec "${vmns_of[a1]}" ping -c 1 -W 1 -M do -s $((1500 - 28)) "${ip_of[b1]}" >"$work/ping"; then
	fail "a 1500-byte packet crossed the 1450-byte VXLAN" "$work/ping"
fi
ip -n "${vmns_of[a1]}" link set eth0 mtu "${mtu_of[a1]}"

echo "== stopping (SIGTERM to every helper, vmnet-run and socat)"
stop_children
for name in a1 b1 b2 a2; do
	[ -e "$work/$name.log" ] || continue
	line=$(grep -o 'final counters .*' "$work/$name.log" | head -n 1) ||
		fail "no final counters from $name's helper" "$work/$name.log"
	echo "$name: $line"
done
over=$(grep -o 'final counters .*' "$work/a1.log" | python3 -c '
import json, sys
print(json.loads(sys.stdin.read().split(" ", 2)[2])["vm"]["drop_truncated"])')
echo "a1: vm drop_truncated $over (the 1500-byte packet)"
[ "$over" = 1 ] || fail "a1's helper counted $over frames above its MTU, not 1" "$work/a1.log"
echo "two_hosts: ok"
