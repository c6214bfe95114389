#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In a guest booted from Debian 13's stock kernel (make test-stock): loads
# the lana.ko built for it and runs a graph with real frames; then the
# lana.ko DKMS built and installed (lana-dkms.ko), placed as dkms install
# places it and depmod'ed: modprobe loads it, `ip link add ... type lana`
# and lanactl autoload it, and the boot unit's apply restores a graph with
# a lana device after rmmod. DIR holds lana.ko, lana-dkms.ko, lanactl (as
# make install-tools installed it on Debian 13) and pktgen.sh; results go to DIR/result.txt, its last line "passed" or
# "failed: WHY".
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
ip link show sl0 >/dev/null || fail "apply of the dump did not bring lana device sl0 back"
lanactl flush && ! ip link show sl0 2>/dev/null || fail "flush left lana device sl0"
rmmod lana || fail "rmmod lana"

# The DKMS module, where dkms install puts it, in a module root of its own
# (the guest's root is read-only); the kernel's modprobe is pointed there.
release=$(uname -r)
modroot=$dir/modroot
mkdir -p "$modroot/lib/modules/$release/updates/dkms" &&
	cp "$dir/lana-dkms.ko" "$modroot/lib/modules/$release/updates/dkms/lana.ko" &&
	depmod -b "$modroot" "$release" || fail "placing the DKMS module"
modinfo -F vermagic "$modroot/lib/modules/$release/updates/dkms/lana.ko"
modprobe -d "$modroot" lana && lsmod | grep -q "^lana " || fail "modprobe lana (the DKMS module)"
rmmod lana || fail "rmmod lana"
was=$(cat /proc/sys/kernel/modprobe)
printf '#!/bin/sh\nexec modprobe -d %s "$@"\n' "$modroot" >"$dir/modprobe" && chmod 0755 "$dir/modprobe" &&
	echo "$dir/modprobe" >/proc/sys/kernel/modprobe || fail "pointing the kernel's modprobe at $modroot"
ip link add sx0 type lana && lsmod | grep -q "^lana " || fail "ip link add type lana did not load lana"
ip link del sx0 && rmmod lana || fail "rmmod lana"
cat >"$dir/graph.toml" <<GRAPH
[[vlink]]
name = "sl1"

[[block]]
name = "c1"
type = "counter"

[[attach]]
dev = "sl1"
block = "c1"
GRAPH
for round in first "after rmmod"; do
	lanactl apply -f "$dir/graph.toml" || fail "apply -f graph.toml ($round)"
	lanactl attachments | grep -q "^sl1 .* c1" || fail "no sl1 on c1 ($round): $(lanactl attachments)"
	rmmod lana || fail "rmmod lana ($round)"
done
echo "$was" >/proc/sys/kernel/modprobe
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN' | grep -v virtme-ng-init)
[ -z "$bad" ] || fail "dmesg: $bad"
set +x
echo passed
