#!/usr/bin/env bash
# Runs inside the one-vCPU icount guest for `make bench`: pktgen in
# netif_receive mode into a dummy device, once per scenario. Under
# -icount shift=0 guest time advances one nanosecond per instruction, so
# pktgen's packets per second read as packets per 10^9 guest instructions.
# Usage: guest-bench.sh MODULE PROBE LANACTL COUNT OUT
set -euo pipefail
module=$1 probe=$2 lanactl=$3 count=$4 out=$5
export PATH=$(dirname "$lanactl"):/usr/sbin:/sbin:$PATH
here=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "$*" >&2; return 1; }
# shellcheck source=tests/guest/pktgen.sh
. "$here/tests/guest/pktgen.sh"

DEV=bench0
ip link add $DEV type dummy
ip addr add 198.51.100.1/24 dev $DEV
ip link set $DEV up
modprobe pktgen

measure() {
	local name=$1
	pktgen_inject $DEV "$count"
	echo "$name ${PKTGEN_PPS%pps}" >>"$out"
}

# A chain of blocks named b1..bN of the given types, bottom first, attached.
chain() {
	local i=0 prev= t
	for t in "$@"; do
		i=$((i + 1))
		lanactl add "b$i" "$t"
		[ -n "$prev" ] && lanactl bind "b$i" "$prev"
		prev=b$i
	done
	lanactl attach $DEV b1
}

unchain() {
	lanactl detach $DEV
	local i=$#
	while [ "$i" -gt 0 ]; do
		[ "$i" -gt 1 ] && lanactl unbind "b$i" "b$((i - 1))"
		lanactl rm "b$i"
		i=$((i - 1))
	done
}

: >"$out"
# (a1) the Linux stack drops frames for another host.
measure a1_stack_otherhost
# (a2) the Linux stack: UDP to our own address, closed port.
mac=$(cat /sys/class/net/$DEV/address)
PKTGEN_DST_MAC=$mac PKTGEN_DST=198.51.100.1 PKTGEN_DST_PORT=9 measure a2_stack_udp_closed
# (b) the floor: an rx_handler that frees every frame.
insmod "$probe" dev=$DEV
measure b_floor_probe
rmmod lana_probe

insmod "$module"
# (c) the paper's chain, eth -> forward -> forward -> drop, with frames for
# the device's MAC: eth must pass every one, or the figure means nothing.
chain eth forward forward drop
PKTGEN_DST_MAC=$mac measure c_paper_chain
passed=$(lanactl stats b1 | awk '$1 == "passed" { print $2 }')
[ "$passed" = "$count" ] || fail "(c): eth passed $passed of $count frames"
unchain eth forward forward drop
# (d) chains of N forwards, then a drop.
for n in 1 2 4 8 16; do
	types=()
	for _ in $(seq "$n"); do types+=(forward); done
	types+=(drop)
	chain "${types[@]}"
	measure "d_forward_$n"
	unchain "${types[@]}"
done
# (e) out of another device: an xmit block sends every frame on a second
# dummy (whose transmit frees it), a clone of each (pktgen's are shared).
ip link add bench1 type dummy
ip link set bench1 up
lanactl add x1 xmit dev=bench1
lanactl attach $DEV x1
measure e_xmit
sent=$(lanactl stats x1 | awk '$1 == "tx_packets" { print $2 }')
[ "$sent" = "$count" ] || fail "(e): xmit sent $sent of $count frames"
lanactl detach $DEV
lanactl rm x1
ip link del bench1
rmmod lana
# The control plane at 100, 1,000 and 10,000 blocks.
"$here/qemu/guest-bench-control.sh" "$module" "$lanactl" "$out"
echo done >>"$out"
