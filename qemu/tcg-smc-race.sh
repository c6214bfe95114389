#!/usr/bin/env bash
# Reproduces the QEMU TCG race that qemu/vm.sh avoids by running both vCPUs
# on one host thread: with a thread per vCPU, flipping a static key while
# another vCPU receives frames leaves it executing text_poke's temporary
# int3 ("Oops: int3" in __netif_receive_skb_core). lana is not loaded.
#
# Usage: tcg-smc-race.sh [KDIR]      (default: the cached guest kernel)
#   LANA_TCG_THREAD=multi tcg-smc-race.sh   shows the crash (seconds);
#   the default (single) survives 100 000 flips.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = --guest ]; then
	out=$2
	exec >"$out/result.txt" 2>&1
	pg=/proc/net/pktgen
	ip link add smc0 type dummy
	ip link set smc0 up
	ip link add smc1 type dummy
	modprobe pktgen
	echo "add_device smc0" >$pg/kpktgend_0
	for line in "count 0" "pkt_size 60" "clone_skb 0" "delay 0" \
		"xmit_mode netif_receive" "dst_mac 02:00:00:00:00:99" "dst 198.51.100.2"; do
		echo "$line" >$pg/smc0
	done
	(echo start >$pg/pgctrl) &
	sleep 1
	# Each clsact add/del on smc1 turns ingress_needed_key on/off: a
	# static branch every frame received on smc0 passes.
	for _ in $(seq 10000); do
		echo "qdisc add dev smc1 clsact"
		echo "qdisc del dev smc1 clsact"
	done >/tmp/smc-batch
	for _ in 1 2 3 4 5; do tc -batch /tmp/smc-batch; done
	echo stop >$pg/pgctrl
	echo "survived 100000 flips"
	exit 0
fi

. "$here/env.sh"
kdir=${1:-$(bash "$here/kernel.sh")}
out=$(mktemp -d "${TMPDIR:-/tmp}/lana-smc.XXXXXX")
LANA_ACCEL=tcg "$here/vm.sh" "$kdir" "$out" "$here/tcg-smc-race.sh" --guest "$out" || true
if grep -q "survived" "$out/result.txt" 2>/dev/null; then
	echo "tcg-smc-race: no crash (thread=${LANA_TCG_THREAD:-single})"
else
	echo "tcg-smc-race: guest crashed (thread=${LANA_TCG_THREAD:-single}):"
	grep -A4 "Oops" "$out/console.log" | head -n 8
	exit 1
fi
