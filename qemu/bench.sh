#!/usr/bin/env bash
# `make bench`: deterministic cost of the packet path. One guest boot under
# QEMU TCG with -icount shift=0,sleep=off and one vCPU, where guest time
# advances one nanosecond per guest instruction: pktgen's packets per second
# are then packets per 10^9 guest instructions, repeatable to 0.01 %.
# Usage: bench.sh KDIR MODULE PROBE LANACTL [COUNT]
# LANA_GUEST_ROOT=ROOT: KDIR is a kernel image booted on ROOT (Debian's
# stock kernel, qemu/vm.sh); LANA_BENCH_OUT: where results go (out/bench).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1 module=$(realpath "$2") probe=$(realpath "$3") lanactl=$(realpath "$4")
count=${5:-300000}
# Results stay in out/bench for a second look (qemu/bench-table.sh).
out=${LANA_BENCH_OUT:-$top/out/bench}
rm -rf "$out" && mkdir -p "$out"
echo "bench: $count frames per scenario, one vCPU, -icount shift=0 (this takes a few minutes)"
# On a guest root the work tree is shared read-only, over any directory
# inside it: the guest writes outside, and the results are copied in.
run=$out
[ -z "${LANA_GUEST_ROOT:-}" ] || run=$(mktemp -d "${TMPDIR:-/tmp}/lana-bench.XXXXXX")
"$top/qemu/vm.sh" "$kdir" "$run" --icount \
	"$top/qemu/guest-bench.sh" "$module" "$probe" "$lanactl" "$count" "$run/results.txt" || true
[ "$run" = "$out" ] || { cp "$run"/* "$out"/ 2>/dev/null; rm -rf "$run"; }
if ! grep -q '^done$' "$out/results.txt" 2>/dev/null; then
	echo "bench: the guest run did not complete; console:" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
"$top/qemu/bench-table.sh" "$out/results.txt" | tee "$out/table.txt"
