#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In a guest booted from Debian 13's stock kernel (make test-stock): loads
# the lana.ko built for it and runs a graph with real frames. DIR holds
# lana.ko, lanactl and pktgen.sh; results go to DIR/result.txt, its last
# line "passed" or "failed: WHY".
# Usage: guest-stock-smoke.sh DIR
dir=$1
exec >"$dir/result.txt" 2>&1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
fail() {
	echo "failed: $*"
	exit 1
}
lanactl() { "$dir/lanactl" "$@"; }
# shellcheck source=tests/guest/pktgen.sh
. "$dir/pktgen.sh"
set -x
uname -r
insmod "$dir/lana.ko" || fail "insmod lana.ko"
lsmod | grep -q "^lana " || fail "lana not loaded"
lanactl types | grep -q "^counter " || fail "lanactl types lists no counter: $(lanactl types 2>&1)"
modprobe dummy && ip link add sd0 type dummy && ip link set sd0 up || fail "no dummy device"
lanactl add e0 eth promisc=on && lanactl add c0 counter && lanactl add d0 drop &&
	lanactl bind c0 e0 && lanactl bind d0 c0 && lanactl attach sd0 e0 || fail "building the graph"
pktgen_inject sd0 100
[ "$(lanactl stats c0 | awk '$1 == "packets" { print $2 }')" = 100 ] ||
	fail "c0 counted $(lanactl stats c0 | head -n1) of 100 frames"
ip link add sl0 type lana && ip link set sl0 up || fail "ip link add type lana"
lanactl dump >"$dir/dump.toml" && lanactl flush && lanactl apply -f "$dir/dump.toml" ||
	fail "dump, flush, apply"
lanactl flush && ip link del sl0 && ip link del sd0 || fail "teardown"
rmmod lana || fail "rmmod lana"
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN' | grep -v virtme-ng-init)
[ -z "$bad" ] || fail "dmesg: $bad"
set +x
echo passed
