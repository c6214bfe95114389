#!/usr/bin/env bash
# `make demo`: boots the guest, loads lana.ko, builds a small graph on a dummy
# device, pushes pktgen traffic through it and prints the graph with its
# counters. Usage: demo.sh KDIR MODULE LANACTL
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1 module=$(realpath "$2") lanactl=$(realpath "$3")
out=$(mktemp -d "${TMPDIR:-/tmp}/lana-demo.XXXXXX")
trap 'rm -rf "$out"' EXIT
# The graph as `lanactl dot` drew it, kept (rendered when Graphviz is here).
keep=$top/out/demo
mkdir -p "$keep"
echo "demo: booting the guest kernel from $kdir ..."
"$top/qemu/vm.sh" "$kdir" "$out" \
	bash -c "'$top/qemu/guest-demo.sh' '$module' '$lanactl' '$out/graph.dot' >'$out/demo.txt' 2>&1" || true
if [ ! -s "$out/demo.txt" ]; then
	echo "demo: the guest produced no output; console:" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
cat "$out/demo.txt"
grep -q '^demo: done' "$out/demo.txt"
cp "$out/graph.dot" "$keep/graph.dot"
if command -v dot >/dev/null; then
	dot -Tsvg "$keep/graph.dot" -o "$keep/graph.svg"
	echo "demo: the graph with its counters: $keep/graph.svg"
else
	echo "demo: the graph with its counters: $keep/graph.dot (install graphviz to render it)"
fi
