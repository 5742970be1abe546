#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# qemu_guest_netns.sh - the one-NIC QEMU guest of qemu_guest.sh, for a
# caller that owns the network (two_hosts.sh: QEMU_GUEST_NETNS, _HELPER,
# _TAP, _IP, _PING, _SERVE below). It and qemu_guest.sh (its modes: fd,
# socket, stream, two NICs) grew apart on two branches; they are to become
# one script again.
#
# A real VM on the cable: vmnet-run starts vmnet-helper on a
# TAP in a private network namespace and QEMU (software emulation, TCG) on
# the other end of its socketpair, as `-netdev dgram` with fd 4 and the MAC
# and MTU from the helper's JSON line. The guest, Debian's kernel with a
# busybox initramfs built here, brings up virtio-net, pings the TAP's
# address, fetches a file over TCP from the namespace and checks its
# SHA-256, then powers off; QEMU's exit ends vmnet-run, which stops the
# helper. Prints "qemu_guest: ok" at the end. Everything is removed on exit,
# also when interrupted. Needs root, /dev/net/tun, qemu-system-x86,
# busybox-static and linux-image-amd64 (.ci/install-deps installs them).
#
# The initramfs also holds Debian's iperf3 with its libraries when the host
# has it (package iperf3): with vmh.iperf=SECONDS on its command line the
# guest, instead of the fetch, sets eth0's MTU to vmh.mtu= (default 1500)
# and runs two iperf3 clients against the host, one TCP stream each: first
# sending to port 5201, then receiving from port 5202 (-R), each for
# SECONDS after one omitted second of slow start; it says "iperf send
# start" and "iperf send done STATUS sum_sent_bps=N sum_received_bps=N
# retransmits=N" (and "recv") around each, so that a benchmark can sample
# CPU over each stream and read its result (perf/suite/qemu_iperf.py).
#
# qemu_guest.sh --guest-only DIR builds the guest and only copies it to
# DIR/vmlinuz and DIR/initrd.img, for the docs' QEMU command lines
# (tests/scripts/doc_blocks.py); without vmh.host= and vmh.guest= on its
# command line the guest is 192.0.2.2 and pings 192.0.2.1.
#
# Another script can put the guest on a network of its own making
# (tests/scripts/two_hosts.sh does):
#   QEMU_GUEST_NETNS=NS        run vmnet-run in namespace NS, which the
#                              caller owns (default: a new one, whose TAP
#                              gets 192.0.2.1)
#   QEMU_GUEST_HELPER="ARGS"   more helper options, e.g. "--bridge br0"
#   QEMU_GUEST_TAP=NAME        the TAP (default vmhq0)
#   QEMU_GUEST_IP=ADDR         the guest's address in a /24 (192.0.2.2)
#   QEMU_GUEST_PING="A B"      addresses the guest pings (192.0.2.1)
#   QEMU_GUEST_SERVE="NS=A .." busybox httpd in namespace NS on address A
#                              serves the file; the guest fetches it from
#                              every A (default: the new namespace's)
set -euo pipefail
guest_only=
if [ "${1:-}" = --guest-only ]; then
	guest_only=$(realpath "$2")
fi
cd "$(dirname "$0")/../.."

helper=${VMNET_HELPER:-build/vmnet-helper}
runner=$(dirname "$helper")/vmnet-run
kernel=${QEMU_GUEST_KERNEL:-$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
version=${kernel#/boot/vmlinuz-}
modules=/lib/modules/$version
busybox=$(command -v busybox || true)

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

own_ns=
ns=${QEMU_GUEST_NETNS:-}
[ -n "$ns" ] || { ns=vmh-qemu-$$ own_ns=1; }
tap=${QEMU_GUEST_TAP:-vmhq0}
read -r -a helper_args <<<"${QEMU_GUEST_HELPER:-}"
host_ip=192.0.2.1 guest_ip=${QEMU_GUEST_IP:-192.0.2.2}
ping_ips=${QEMU_GUEST_PING:-$host_ip}
serve=${QEMU_GUEST_SERVE:-$ns=$host_ip}
work=$(mktemp -d /tmp/vmnet-helper-qemu.XXXXXX)
runner_pid=
children=()
# Background processes to stop on exit. Waits below are the wait and read
# builtins, which a signal interrupts, so the trap cleans up at once.
cleanup() {
	for pid in "${children[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	if [ -n "$runner_pid" ]; then
		kill -TERM "$runner_pid" 2>/dev/null || true
		wait "$runner_pid" 2>/dev/null || true
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
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /modules/order); do insmod "/modules/$m"; done
host=192.0.2.1 guest=192.0.2.2 iperf= mtu=
for arg in $(cat /proc/cmdline); do
	case $arg in vmh.*=*) arg=${arg#vmh.}; eval "${arg%%=*}=${arg#*=}" ;; esac
done
# vmh.ping: addresses to ping, vmh.fetch: servers of /blob (both
# comma-separated); vmh.host alone is both.
ping=${ping:-$host} fetch=${fetch:-$host}
say() { echo "vmnet-guest: $*"; }
# run_iperf NAME PORT [-R]: one iperf3 client; its exit status and, from
# its -J report, the bits per second of both sums (the receiver's comes
# from the results exchange when the guest sends) and the retransmits.
run_iperf() {
	say "iperf $1 start"
	# A receiving client (-R) gives up on a silent server after 20 s;
	# iperf3 takes --rcv-timeout only then.
	iperf3 -c "$host" -p "$2" -t "$iperf" -O 1 -J --connect-timeout 10000 \
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
# The MTU the helper serves (its JSON line's vmnet_mtu), as a VM manager
# would set it: lower than 1500 behind a VXLAN port.
[ -z "$mtu" ] || ip link set eth0 mtu "$mtu"
ip link set eth0 up
ip addr add "$guest/24" dev eth0
say "eth0 $(cat /sys/class/net/eth0/address) $guest mtu $(cat /sys/class/net/eth0/mtu)"
for peer in $(echo "$ping" | tr , ' '); do
	ok=
	for i in $(seq 60); do
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
else
	for server in $(echo "$fetch" | tr , ' '); do
		if wget -q -O /srv/blob "http://$server:8000/blob"; then
			say "fetched $(wc -c </srv/blob) bytes sha256 $(sha256sum /srv/blob | cut -c1-16) from $server"
		else
			say "fetch from $server FAILED"
		fi
	done
fi
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
# The file the guest fetches, served by busybox httpd from each server.
mkdir "$work/www"
head -c $((4 << 20)) /dev/urandom >"$work/www/blob"
want=$(sha256sum "$work/www/blob" | cut -c1-16)
fetch_ips=
for s in $serve; do fetch_ips="$fetch_ips,${s#*=}"; done
fetch_ips=${fetch_ips#,}

echo "== starting vmnet-run: vmnet-helper on TAP $tap, QEMU on fd 4 (TCG)"
mkfifo "$work/out"
# COMMAND takes the guest's MAC and MTU from the helper's JSON line, as a
# VM manager would, and hands QEMU fd 4.
ip netns exec "$ns" "$runner" --tap "$tap" "${helper_args[@]}" -- sh -c '
	mac=$(printf "%s" "$VMNET_HELPER_JSON" |
		sed -n "s/.*\"vmnet_mac_address\":\"\([0-9a-f:]*\)\".*/\1/p")
	mtu=$(printf "%s" "$VMNET_HELPER_JSON" |
		sed -n "s/.*\"vmnet_mtu\":\([0-9]*\).*/\1/p")
	echo "vmnet-run: helper ready, guest MAC $mac MTU $mtu"
	exec qemu-system-x86_64 -accel tcg -m 256 -smp 1 -no-reboot \
		-display none -monitor none -serial stdio \
		-kernel "$1" -initrd "$2" \
		-append "console=ttyS0 panic=-1 quiet vmh.guest=$3 vmh.ping=$4 vmh.fetch=$5 vmh.mtu=$mtu" \
		-netdev dgram,id=net0,local.type=fd,local.str=4 \
		-device virtio-net-pci,netdev=net0,mac="$mac" </dev/null' \
	sh "$kernel" "$work/initrd.gz" "$guest_ip" "$(echo $ping_ips | tr ' ' ,)" "$fetch_ips" \
	>"$work/out" 2>"$work/log" &
runner_pid=$!
exec {out}<"$work/out"
if ! read -r -t 30 -u "$out" line; then
	echo "qemu_guest: the helper did not start; its log:" >&2
	cat "$work/log" >&2
	exit 1
fi
echo "$line"
[ -z "$own_ns" ] || ip -n "$ns" addr add "$host_ip/24" dev "$tap"
for s in $serve; do
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
	*"vmnet-guest: ping "*" FAILED"* | *"vmnet-guest: fetch "*" FAILED"*) result=1 ;;
	*"vmnet-guest: ping "*" ok"*) pinged=$((pinged + 1)) ;;
	*"fetched 4194304 bytes sha256 $want from "*) fetched=$((fetched + 1)) ;;
	esac
done
status=0
wait "$runner_pid" || status=$?
runner_pid=
echo "vmnet-run exited with status $status (QEMU's)"
grep -o 'final counters .*' "$work/log" | sed 's/^/helper: /' || true
grep -o 'sandbox: .*' "$work/log" | sed 's/^/helper: /' || true
set -- $ping_ips
npings=$#
set -- $serve
if [ "$result" = 0 ] && [ "$pinged" = "$npings" ] && [ "$fetched" = $# ] && [ "$status" = 0 ]; then
	echo "qemu_guest: ok"
else
	echo "qemu_guest: FAILED; vmnet-run's log:" >&2
	cat "$work/log" >&2
	exit 1
fi
