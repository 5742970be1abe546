#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# qemu_guest.sh - a real VM on the cable: QEMU (software emulation, TCG)
# and vmnet-helper on a TAP in a network namespace of its own (or the
# caller's, below), joined the way QEMU_GUEST_MODE says:
#   fd       vmnet-run starts the helper and QEMU on a socketpair: QEMU's
#            -netdev dgram with fd 4 (the default);
#   socket   the helper binds --socket PATH; QEMU's -netdev dgram with
#            unix local.path and remote.path (no vmnet-run);
#   stream   the helper listens on --socket PATH --stream;
#            QEMU's -netdev stream connects to it (each frame after its
#            4-byte length);
#   two-nics vmnet-run starts two helpers on two TAPs (--nic); QEMU gets
#            fds 4 and 5, one NIC on each.
# Each NIC gets the MAC address and MTU of its helper's JSON line, as a VM
# manager would set them. The guest, Debian's kernel with a busybox
# initramfs built here, brings up its NICs, pings each TAP's address,
# fetches a file (QEMU_GUEST_BYTES, 1 MiB) over TCP through each and checks
# its SHA-256, then powers off. Prints every helper's final counters and
# "qemu_guest: ok" at the end. Everything is removed on exit, also when
# interrupted. Needs root, /dev/net/tun, qemu-system-x86, busybox-static and
# linux-image-amd64 (.ci/install-deps installs them).
#
# A caller that owns the network can put the guest on it
# (tests/scripts/two_hosts.sh does):
#   QEMU_GUEST_NETNS=NS        run the helper in namespace NS, which the
#                              caller has set up and keeps (default: a new
#                              one, where each TAP gets its host address);
#                              one NIC only, not with two-nics
#   QEMU_GUEST_HELPER="ARGS"   more options for each helper, e.g.
#                              "--bridge br0"
#   QEMU_GUEST_TAP=NAME        NIC 0's TAP (vmhq0; NIC 1's is vmhq1)
#   QEMU_GUEST_IP=ADDR         NIC 0's guest address in a /24 (192.0.2.2;
#                              NIC 1's is 198.51.100.2)
#   QEMU_GUEST_PING="A B"      the addresses the guest pings (each TAP's
#                              host address: 192.0.2.1, 198.51.100.1)
#   QEMU_GUEST_SERVE="NS=A .." busybox httpd in namespace NS on address A
#                              serves the file; the guest fetches it from
#                              every A (default: each TAP's host address)
#
# The guest's init reads vmh.* from its kernel command line:
#   vmh.nics=N                 how many NICs, eth0 to ethN-1 (1)
#   vmh.hostI, vmh.guestI      NIC I's host and guest address in a /24
#                              (vmh.host, vmh.guest for NIC 0: 192.0.2.1,
#                              192.0.2.2)
#   vmh.mtuI, vmh.mtu          NIC I's MTU, every NIC's (the device's)
#   vmh.ping=A,B               the addresses to ping (every vmh.hostI)
#   vmh.fetch=A,B              where to fetch /blob from on port 8000
#                              (every vmh.hostI)
#   vmh.iperf=SECONDS          the benchmark below, through NIC 0 instead
#                              of its fetch
# The initramfs also holds Debian's iperf3 with its libraries when the host
# has it (package iperf3): with vmh.iperf=SECONDS the guest runs two iperf3
# clients against NIC 0's host, one TCP stream each: first sending to port
# 5201, then receiving from port 5202 (-R), each for SECONDS after one
# omitted second of slow start; it says "iperf send start" and "iperf send
# done STATUS sum_sent_bps=N sum_received_bps=N retransmits=N" (and "recv")
# around each, so that a benchmark can sample CPU over each stream and read
# its result (perf/suite/qemu_iperf.py).
#
# qemu_guest.sh --guest-only DIR builds the guest and only copies it to
# DIR/vmlinuz and DIR/initrd.img, for the docs' QEMU command lines
# (tests/scripts/doc_blocks.py); without vmh.* the guest is 192.0.2.2 on
# eth0 and pings 192.0.2.1.
set -euo pipefail
guest_only=
if [ "${1:-}" = --guest-only ]; then
	guest_only=$(realpath "$2")
fi
cd "$(dirname "$0")/../.."

helper=${VMNET_HELPER:-build/vmnet-helper}
runner=$(dirname "$helper")/vmnet-run
mode=${QEMU_GUEST_MODE:-fd}
# The file each NIC fetches; 1 MiB is ~720 full frames towards the guest.
blob_bytes=${QEMU_GUEST_BYTES:-$((1 << 20))}
kernel=${QEMU_GUEST_KERNEL:-$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
version=${kernel#/boot/vmlinuz-}
modules=/lib/modules/$version
busybox=$(command -v busybox || true)

case $mode in
fd | socket | stream) nics=1 ;;
two-nics) nics=2 ;;
*)
	echo "qemu_guest: QEMU_GUEST_MODE '$mode': use fd, socket, stream or two-nics" >&2
	exit 1
	;;
esac
if [ -n "${QEMU_GUEST_NETNS:-}" ] && [ "$nics" != 1 ]; then
	echo "qemu_guest: QEMU_GUEST_NETNS is for one NIC: use QEMU_GUEST_MODE fd, socket or stream" >&2
	exit 1
fi

missing() {
	echo "qemu_guest: SKIPPED: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || missing "needs root (network namespace, TAP)"
[ -c /dev/net/tun ] || missing "no /dev/net/tun"
command -v qemu-system-x86_64 >/dev/null || missing "no qemu-system-x86_64 (qemu-system-x86)"
[ -n "$kernel" ] && [ -r "$kernel" ] && [ -d "$modules" ] ||
	missing "no guest kernel in /boot with its modules (linux-image-amd64)"
[ -n "$busybox" ] && { ldd "$busybox" 2>&1 || true; } | grep -q 'not a dynamic executable' ||
	missing "no static busybox (busybox-static)"
if [ -z "$guest_only" ] && ! { [ -x "$helper" ] && [ -x "$runner" ]; }; then
	echo "qemu_guest: build first: make all" >&2
	exit 1
fi

# NIC i: its TAP, the host's address on it and the guest's.
taps=("${QEMU_GUEST_TAP:-vmhq0}" vmhq1)
host_ips=(192.0.2.1 198.51.100.1)
guest_ips=("${QEMU_GUEST_IP:-192.0.2.2}" 198.51.100.2)
own_ns=
ns=${QEMU_GUEST_NETNS:-}
[ -n "$ns" ] || { ns=vmh-qemu-$$ own_ns=1; }
read -r -a extra_args <<<"${QEMU_GUEST_HELPER:-}"
read -r -a ping_ips <<<"${QEMU_GUEST_PING:-${host_ips[*]:0:nics}}"
# NS=ADDR: a busybox httpd in NS on ADDR serves the file.
read -r -a servers <<<"${QEMU_GUEST_SERVE:-}"
if [ -z "${QEMU_GUEST_SERVE:-}" ]; then
	for ((i = 0; i < nics; i++)); do
		servers+=("$ns=${host_ips[i]}")
	done
fi
work=$(mktemp -d /tmp/vmnet-helper-qemu.XXXXXX)
main_pid=
children=()
# Background processes to stop on exit. Waits below are the wait and read
# builtins, which a signal interrupts, so the trap cleans up at once.
cleanup() {
	for pid in "${children[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	if [ -n "$main_pid" ]; then
		kill -TERM "$main_pid" 2>/dev/null || true
		wait "$main_pid" 2>/dev/null || true
	fi
	[ -z "$own_ns" ] || ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building the guest's initramfs (busybox, virtio-net modules of $version)"
# Modules for virtio_net and virtio_pci, dependencies first, from
# modules.dep (the kernel has them as modules, not built in).
declare -A seen=()
order=()
add_module() {
	local path=$1 dep
	[ -z "${seen[$path]:-}" ] || return 0
	seen[$path]=1
	for dep in $(awk -v m="$path:" '$1 == m { $1 = ""; print }' "$modules/modules.dep"); do
		add_module "$dep"
	done
	order+=("$path")
}
for name in virtio_pci virtio_net; do
	path=$(awk -v n="/$name.ko" -F: 'index($1, n) { print $1; exit }' "$modules/modules.dep")
	[ -n "$path" ] || missing "module $name not in $modules"
	add_module "$path"
done
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,modules,srv,tmp}
cp "$busybox" "$root/bin/busybox"
# iperf3 and every library ldd resolves for it, at the same paths (the
# dynamic loader included), so it runs as it does on the host.
if iperf3=$(command -v iperf3); then
	for lib in $(ldd "$iperf3" | grep -o '/[^ ]*'); do
		mkdir -p "$root${lib%/*}"
		cp -L "$lib" "$root$lib"
	done
	cp "$iperf3" "$root/bin/iperf3"
fi
for path in "${order[@]}"; do
	cp "$modules/$path" "$root/modules/"
done
printf '%s\n' "${order[@]##*/}" >"$root/modules/order"
# The vmh.* of the command line are described at the top.
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /modules/order); do insmod "/modules/$m"; done
nics=1 host=192.0.2.1 guest=192.0.2.2 mtu= ping= fetch= iperf=
for arg in $(cat /proc/cmdline); do
	case $arg in vmh.*=*) arg=${arg#vmh.}; eval "${arg%%=*}=${arg#*=}" ;; esac
done
: "${host0:=$host}" "${guest0:=$guest}"
say() { echo "vmnet-guest: $*"; }
# run_iperf NAME PORT [-R]: one iperf3 client; its exit status and, from
# its -J report, the bits per second of both sums (the receiver's comes
# from the results exchange when the guest sends) and the retransmits.
run_iperf() {
	say "iperf $1 start"
	# A receiving client (-R) gives up on a silent server after 20 s;
	# iperf3 takes --rcv-timeout only then.
	iperf3 -c "$host0" -p "$2" -t "$iperf" -O 1 -J --connect-timeout 10000 \
		${3:+$3 --rcv-timeout 20000} >/tmp/iperf.json 2>&1
	rc=$?
	# Its error, which -J puts in the report ("error": "..."), or what
	# it printed before it could write one.
	[ "$rc" -eq 0 ] || say "iperf $1 error: $(grep '"error"' /tmp/iperf.json ||
		head -n 1 /tmp/iperf.json)"
	say "iperf $1 done $rc$(awk '
		/"sum_sent"|"sum_received"/ { k = $1; gsub(/[":]/, "", k) }
		k && /"bits_per_second"/ { v = $2; sub(/,/, "", v); printf " %s_bps=%s", k, v }
		k == "sum_sent" && /"retransmits"/ { v = $2; sub(/,/, "", v); printf " retransmits=%s", v }
		/}/ { k = "" }' /tmp/iperf.json)"
}
ip link set lo up
# Each NIC up; the hosts (comma-separated) are what the guest pings and
# fetches from unless vmh.ping and vmh.fetch say otherwise, but for the
# benchmark NIC 0's host is iperf3's, not fetched from.
hosts= fetch_hosts=
i=0
while [ "$i" -lt "$nics" ]; do
	eval "host=\$host$i guest=\$guest$i nic_mtu=\${mtu$i:-\$mtu}"
	# The MTU the helper serves (its JSON line's vmnet_mtu), as a VM
	# manager would set it: lower than 1500 behind a VXLAN port.
	[ -z "$nic_mtu" ] || ip link set "eth$i" mtu "$nic_mtu"
	ip link set "eth$i" up
	ip addr add "$guest/24" dev "eth$i"
	say "eth$i $(cat /sys/class/net/eth$i/address) $guest mtu $(cat /sys/class/net/eth$i/mtu)"
	hosts=$hosts,$host
	[ -n "$iperf" ] && [ "$i" = 0 ] || fetch_hosts=$fetch_hosts,$host
	i=$((i + 1))
done
for peer in $(echo "${ping:-$hosts}" | tr , ' '); do
	ok=
	for n in $(seq 60); do
		if ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then ok=1; break; fi
	done
	[ -n "$ok" ] && say "ping $peer ok" || say "ping $peer FAILED"
done
if [ -n "$iperf" ]; then
	if [ ! -x /bin/iperf3 ]; then
		say "iperf FAILED: no iperf3 in the initramfs (apt-get install iperf3)"
	else
		run_iperf send 5201
		run_iperf recv 5202 -R
	fi
fi
for server in $(echo "${fetch:-$fetch_hosts}" | tr , ' '); do
	if wget -q -O /srv/blob "http://$server:8000/blob"; then
		say "fetched from $server $(wc -c </srv/blob) bytes sha256 $(sha256sum /srv/blob | cut -c1-16)"
	else
		say "fetch from $server FAILED"
	fi
	rm -f /srv/blob
done
say "powering off"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
if [ -n "$guest_only" ]; then
	cp "$kernel" "$guest_only/vmlinuz"
	cp "$work/initrd.gz" "$guest_only/initrd.img"
	exit 0
fi

if [ -n "$own_ns" ]; then
	ip netns add "$ns"
	ip -n "$ns" link set lo up
fi
# The file the guest fetches from each server.
mkdir "$work/www"
head -c "$blob_bytes" /dev/urandom >"$work/www/blob"
want=$(sha256sum "$work/www/blob" | cut -c1-16)

comma() {
	local IFS=,
	echo "$*"
}
append="console=ttyS0 panic=-1 quiet vmh.nics=$nics"
append+=" vmh.ping=$(comma "${ping_ips[@]}") vmh.fetch=$(comma "${servers[@]#*=}")"
for ((i = 0; i < nics; i++)); do
	append+=" vmh.host$i=${host_ips[i]} vmh.guest$i=${guest_ips[i]}"
done
# The command line's vmh.mtuI and the NICs follow, from the JSON lines.
qemu=(qemu-system-x86_64 -accel tcg -m 256 -smp 1 -no-reboot
	-display none -monitor none -serial stdio
	-kernel "$(realpath "$kernel")" -initrd "$work/initrd.gz")
# Pull "vmnet_mac_address" and "vmnet_mtu" out of a JSON line, as a VM
# manager would.
mac_of='s/.*"vmnet_mac_address":"\([0-9a-f:]*\)".*/\1/p'
mtu_of='s/.*"vmnet_mtu":\([0-9]*\).*/\1/p'

# started FD WHAT LOG: read the line WHAT prints once it is ready into
# $line; without one in 30 s, show LOG and fail.
started() {
	if ! read -r -t 30 -u "$1" line; then
		echo "qemu_guest: $2 did not start; the log:" >&2
		cat "$3" >&2
		exit 1
	fi
}

mkfifo "$work/out"
case $mode in
fd | two-nics)
	# vmnet-run starts one helper per NIC, then COMMAND, which gives
	# QEMU a NIC on each helper's fd with the MAC address and MTU of the
	# helper's JSON line.
	run_args=(--tap "${taps[0]}" "${extra_args[@]}")
	if [ "$mode" = two-nics ]; then
		run_args+=(--nic --tap "${taps[1]}" "${extra_args[@]}")
	fi
	echo "== starting vmnet-run: $nics helper(s) on ${taps[*]:0:nics}, QEMU on fd 4.. (TCG)"
	ip netns exec "$ns" "$runner" "${run_args[@]}" -- sh -c '
		mac_of=$1 mtu_of=$2 append=$3
		shift 3
		i=0
		while [ "$i" -lt "$VMNET_NIC_COUNT" ]; do
			eval "fd=\$VMNET_FD_$i json=\$VMNET_HELPER_JSON_$i"
			mac=$(printf "%s" "$json" | sed -n "$mac_of")
			mtu=$(printf "%s" "$json" | sed -n "$mtu_of")
			echo "vmnet-run: helper ready, guest MAC $mac MTU $mtu, fd $fd"
			append="$append vmh.mtu$i=$mtu"
			set -- "$@" -netdev "dgram,id=net$i,local.type=fd,local.str=$fd" \
				-device "virtio-net-pci,netdev=net$i,mac=$mac"
			i=$((i + 1))
		done
		exec "$@" -append "$append" </dev/null' sh "$mac_of" "$mtu_of" "$append" "${qemu[@]}" \
		>"$work/out" 2>"$work/log" &
	main_pid=$!
	# vmnet-run's log holds the helpers' and QEMU's.
	logs=("$work/log")
	exec {out}<"$work/out"
	for ((i = 0; i < nics; i++)); do
		started "$out" "the helpers" "$work/log"
		echo "$line"
	done
	;;
socket | stream)
	# The helper binds PATH and prints its JSON line once a client can
	# connect; QEMU starts after that line, as a VM manager would.
	sock=$work/helper.sock
	helper_args=(--socket "$sock" --tap "${taps[0]}" "${extra_args[@]}")
	if [ "$mode" = socket ]; then
		netdev="dgram,id=net0,local.type=unix,local.path=$work/qemu.sock,remote.type=unix,remote.path=$sock"
	else
		helper_args+=(--stream)
		netdev="stream,id=net0,server=off,addr.type=unix,addr.path=$sock"
	fi
	echo "== starting vmnet-helper ${helper_args[*]}"
	mkfifo "$work/json"
	ip netns exec "$ns" "$helper" "${helper_args[@]}" >"$work/json" 2>"$work/helper.log" &
	helper_pid=$!
	children+=("$helper_pid")
	logs=("$work/log" "$work/helper.log")
	exec {json}<"$work/json"
	started "$json" "the helper" "$work/helper.log"
	mac=$(printf '%s' "$line" | sed -n "$mac_of")
	mtu=$(printf '%s' "$line" | sed -n "$mtu_of")
	echo "== starting QEMU (TCG): -netdev $netdev, guest MAC $mac MTU $mtu"
	"${qemu[@]}" -append "$append vmh.mtu0=$mtu" \
		-netdev "$netdev" -device "virtio-net-pci,netdev=net0,mac=$mac" \
		</dev/null >"$work/out" 2>"$work/log" &
	main_pid=$!
	exec {out}<"$work/out"
	;;
esac

if [ -n "$own_ns" ]; then
	for ((i = 0; i < nics; i++)); do
		ip -n "$ns" addr add "${host_ips[i]}/24" dev "${taps[i]}"
	done
fi
for s in "${servers[@]}"; do
	ip netns exec "${s%%=*}" "$busybox" httpd -f -p "${s#*=}:8000" -h "$work/www" &
	children+=($!)
done

echo "== guest console (booting under TCG takes a while)"
# Each line comes from the guest's serial console; the guest powers off by
# itself, so the read ends when QEMU exits (bounded by the guest's own
# ping and fetch time-outs, and by -t here).
result=0 pinged=0 fetched=0
while read -r -t 300 -u "$out" line; do
	case $line in *vmnet-guest:*) echo "${line#*vmnet-guest: }" ;; esac
	case $line in
	*" FAILED"*) result=1 ;;
	*"vmnet-guest: ping "*" ok"*) pinged=$((pinged + 1)) ;;
	*"vmnet-guest: fetched from "*" $blob_bytes bytes sha256 $want"*) fetched=$((fetched + 1)) ;;
	esac
done
status=0
wait "$main_pid" || status=$?
main_pid=
echo "QEMU's side exited with status $status"
if [ "$mode" = socket ] || [ "$mode" = stream ]; then
	# QEMU has gone: the helper waits for its next client until told.
	kill -TERM "$helper_pid"
	hstatus=0
	wait "$helper_pid" || hstatus=$?
	echo "vmnet-helper exited with status $hstatus"
	[ "$hstatus" = 0 ] || status=$hstatus
fi
grep -h -o 'final counters .*' "${logs[@]}" | sed 's/^/helper: /' || true
grep -h -o 'sandbox: .*' "${logs[@]}" | sed 's/^/helper: /' || true
if [ "$result" = 0 ] && [ "$pinged" = "${#ping_ips[@]}" ] &&
	[ "$fetched" = "${#servers[@]}" ] && [ "$status" = 0 ]; then
	echo "qemu_guest: ok"
else
	echo "qemu_guest: FAILED; the logs:" >&2
	cat "${logs[@]}" >&2
	exit 1
fi
