#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# qemu_guest.sh - a real VM on the cable: QEMU (software emulation, TCG)
# and vmnet-helper on a TAP in a private network namespace, joined the way
# QEMU_GUEST_MODE says:
#   fd       vmnet-run starts the helper and QEMU on a socketpair: QEMU's
#            -netdev dgram with fd 4 (the default);
#   socket   the helper binds --socket PATH; QEMU's -netdev dgram with
#            unix local.path and remote.path (no vmnet-run);
#   stream   the helper listens on --socket PATH --stream;
#            QEMU's -netdev stream connects to it (each frame after its
#            4-byte length);
#   two-nics vmnet-run starts two helpers on two TAPs (--nic); QEMU gets
#            fds 4 and 5, one NIC on each.
# The guest, Debian's kernel with a busybox initramfs built here, brings up
# its NICs, pings each TAP's address, fetches a file over TCP through each
# and checks its SHA-256, then powers off. Prints every helper's final
# counters and "qemu_guest: ok" at the end. Everything is removed on exit,
# also when interrupted. Needs root, /dev/net/tun, qemu-system-x86,
# busybox-static and linux-image-amd64 (.ci/install-deps installs them).
#
# The initramfs also holds Debian's iperf3 with its libraries when the host
# has it (package iperf3): with vmh.iperf=SECONDS on its command line the
# guest sets its NICs' MTU to vmh.mtu= (default 1500) and, instead of the
# first NIC's fetch, runs two iperf3 clients against the host, one TCP
# stream each: first
# sending to port 5201, then receiving from port 5202 (-R), each for
# SECONDS after one omitted second of slow start; it says "iperf send
# start" and "iperf send done STATUS sum_sent_bps=N sum_received_bps=N
# retransmits=N" (and "recv") around each, so that a benchmark can sample
# CPU over each stream and read its result (perf/suite/qemu_iperf.py).
#
# qemu_guest.sh --guest-only DIR builds the guest and only copies it to
# DIR/vmlinuz and DIR/initrd.img, for the docs' QEMU command lines
# (tests/scripts/doc_blocks.py). Its command line sets vmh.nics=N (default
# 1) and vmh.hostI, vmh.guestI for each NIC I (vmh.host and vmh.guest for
# NIC 0); without them the guest is 192.0.2.2 on eth0 and pings 192.0.2.1.
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

ns=vmh-qemu-$$
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
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# NIC i: TAP vmhq$i, the host's address on it and the guest's.
taps=(vmhq0 vmhq1)
host_ips=(192.0.2.1 198.51.100.1)
guest_ips=(192.0.2.2 198.51.100.2)

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
# vmh.nics=N, then vmh.hostI and vmh.guestI for each NIC I (ethI).
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /modules/order); do insmod "/modules/$m"; done
nics=1 host=192.0.2.1 guest=192.0.2.2 iperf= mtu=1500
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
i=0
while [ "$i" -lt "$nics" ]; do
	eval "guest=\$guest$i"
	ip link set "eth$i" mtu "$mtu" up
	ip addr add "$guest/24" dev "eth$i"
	say "eth$i $(cat /sys/class/net/eth$i/address) $guest mtu $(cat /sys/class/net/eth$i/mtu)"
	i=$((i + 1))
done
i=0
while [ "$i" -lt "$nics" ]; do
	eval "host=\$host$i"
	ok=
	for n in $(seq 60); do
		if ping -c 1 -W 1 "$host" >/dev/null 2>&1; then ok=1; break; fi
	done
	[ -n "$ok" ] && say "ping $host ok" || say "ping $host FAILED"
	if [ -n "$iperf" ] && [ "$i" = 0 ]; then
		# The benchmark: through the first NIC only, instead of its
		# fetch.
		if [ ! -x /bin/iperf3 ]; then
			say "iperf FAILED: no iperf3 in the initramfs (apt-get install iperf3)"
		else
			run_iperf send 5201
			run_iperf recv 5202 -R
		fi
	elif wget -q -O /srv/blob "http://$host:8000/blob"; then
		say "fetched from $host $(wc -c </srv/blob) bytes sha256 $(sha256sum /srv/blob | cut -c1-16)"
	else
		say "fetch from $host FAILED"
	fi
	rm -f /srv/blob
	i=$((i + 1))
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

ip netns add "$ns"
ip -n "$ns" link set lo up
# The file the guest fetches, served from the namespace by busybox httpd
# on every address (one per TAP).
mkdir "$work/www"
head -c "$blob_bytes" /dev/urandom >"$work/www/blob"
want=$(sha256sum "$work/www/blob" | cut -c1-16)

append="console=ttyS0 panic=-1 quiet vmh.nics=$nics"
for ((i = 0; i < nics; i++)); do
	append+=" vmh.host$i=${host_ips[i]} vmh.guest$i=${guest_ips[i]}"
done
qemu=(qemu-system-x86_64 -accel tcg -m 256 -smp 1 -no-reboot
	-display none -monitor none -serial stdio
	-kernel "$(realpath "$kernel")" -initrd "$work/initrd.gz" -append "$append")
# Pulls "vmnet_mac_address" out of a JSON line, as a VM manager would.
mac_of='s/.*"vmnet_mac_address":"\([0-9a-f:]*\)".*/\1/p'

mkfifo "$work/out"
helper_logs=()
case $mode in
fd | two-nics)
	# vmnet-run starts one helper per NIC, then COMMAND, which takes each
	# guest MAC from the helper's JSON line and hands QEMU fds 4, 5, ...
	run_args=(--tap "${taps[0]}")
	netdevs='-netdev dgram,id=net0,local.type=fd,local.str=4'
	netdevs+=' -device virtio-net-pci,netdev=net0,mac=$(mac "$VMNET_HELPER_JSON_0")'
	if [ "$mode" = two-nics ]; then
		run_args+=(--nic --tap "${taps[1]}")
		netdevs+=' -netdev dgram,id=net1,local.type=fd,local.str=5'
		netdevs+=' -device virtio-net-pci,netdev=net1,mac=$(mac "$VMNET_HELPER_JSON_1")'
	fi
	echo "== starting vmnet-run: $nics helper(s) on ${taps[*]:0:nics}, QEMU on fd 4.. (TCG)"
	ip netns exec "$ns" "$runner" "${run_args[@]}" -- sh -c '
		mac() { printf "%s" "$1" | sed -n '"'$mac_of'"'; }
		echo "vmnet-run: $VMNET_NIC_COUNT helper(s) ready, fds $VMNET_FD_0 ${VMNET_FD_1:-}"
		exec "$@" '"$netdevs"' </dev/null' sh "${qemu[@]}" \
		>"$work/out" 2>"$work/log" &
	main_pid=$!
	helper_logs=("$work/log")
	exec {out}<"$work/out"
	if ! read -r -t 30 -u "$out" line; then
		echo "qemu_guest: the helpers did not start; the log:" >&2
		cat "$work/log" >&2
		exit 1
	fi
	echo "$line"
	;;
socket | stream)
	# The helper binds PATH and prints its JSON line once a client can
	# connect; QEMU starts after that line, as a VM manager would.
	sock=$work/helper.sock
	helper_args=(--socket "$sock" --tap "${taps[0]}")
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
	helper_logs=("$work/helper.log")
	exec {json}<"$work/json"
	if ! read -r -t 30 -u "$json" line; then
		echo "qemu_guest: the helper did not start; its log:" >&2
		cat "$work/helper.log" >&2
		exit 1
	fi
	mac=$(printf '%s' "$line" | sed -n "$mac_of")
	echo "== starting QEMU (TCG): -netdev $netdev, guest MAC $mac"
	"${qemu[@]}" -netdev "$netdev" -device "virtio-net-pci,netdev=net0,mac=$mac" \
		</dev/null >"$work/out" 2>"$work/log" &
	main_pid=$!
	exec {out}<"$work/out"
	;;
esac

for ((i = 0; i < nics; i++)); do
	ip -n "$ns" addr add "${host_ips[i]}/24" dev "${taps[i]}"
done
ip netns exec "$ns" "$busybox" httpd -f -p 8000 -h "$work/www" &
children+=($!)

echo "== guest console (booting under TCG takes a while)"
# Each line comes from the guest's serial console; the guest powers off by
# itself, so the read ends when QEMU exits (bounded by the guest's own
# ping and fetch time-outs, and by -t here).
result=0 fetched=0
while read -r -t 300 -u "$out" line; do
	case $line in *vmnet-guest:*) echo "${line#*vmnet-guest: }" ;; esac
	case $line in
	*" FAILED"*) result=1 ;;
	*"fetched from "*" $blob_bytes bytes sha256 $want"*) fetched=$((fetched + 1)) ;;
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
grep -h -o 'final counters .*' "${helper_logs[@]}" | sed 's/^/helper: /' || true
grep -h -o 'sandbox: .*' "${helper_logs[@]}" | sed 's/^/helper: /' || true
if [ "$result" = 0 ] && [ "$fetched" = "$nics" ] && [ "$status" = 0 ]; then
	echo "qemu_guest: ok"
else
	echo "qemu_guest: FAILED; the logs:" >&2
	cat "$work/log" "${helper_logs[@]}" >&2
	exit 1
fi
