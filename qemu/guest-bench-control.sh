#!/usr/bin/env bash
# Runs inside the icount guest for `make bench`, after the packet-path
# scenarios: the control plane's cost at 100, 1,000 and 10,000 blocks.
# Guest time is guest instructions (-icount shift=0), so each figure is
# deterministic. Each single command is timed around its lanactl process;
# `lanactl revision` (a read the kernel answers at once) is the harness
# floor, subtracted in qemu/bench-table.sh. Writes "cp_OP_SCALE NS" lines
# (per command; per block for apply) and "mem_SCALE BYTES" (slab and
# per-CPU memory per block of the applied graph).
# Usage: guest-bench-control.sh MODULE LANACTL OUT
set -euo pipefail
module=$1 lanactl=$2 out=$3
export PATH=$(dirname "$lanactl"):/usr/sbin:/sbin:$PATH
fail() { echo "$*" >&2; return 1; }
dir=$(mktemp -d)
reps=5

now() { date +%s%N; }

# The guest nanoseconds of "$@", the mean of $reps runs of SETUP; CMD; UNDO
# (only CMD timed).
timed() {
	local setup=$1 cmd=$2 undo=$3 total=0 i t0 t1
	for i in $(seq $reps); do
		eval "$setup"
		t0=$(now)
		eval "$cmd" >/dev/null
		t1=$(now)
		eval "$undo"
		total=$((total + t1 - t0))
	done
	echo $((total / reps))
}

# kB of slab plus per-CPU memory.
kernel_kb() {
	awk '$1 == "Slab:" || $1 == "Percpu:" { kb += $2 } END { print kb }' /proc/meminfo
}

# A graph file of N forward blocks with 31-byte names, in pairs bound one
# above the other.
graph_file() {
	local n=$1 i
	for i in $(seq "$n"); do
		printf '[[block]]\nname = "%s"\ntype = "forward"\n\n' "$(printf 'g%030d' "$i")"
	done
	for i in $(seq 2 2 "$n"); do
		printf '[[bind]]\nupper = "%s"\nlower = "%s"\n\n' "$(printf 'g%030d' "$i")" \
			"$(printf 'g%030d' $((i - 1)))"
	done
}

for scale in 100 1000 10000; do
	graph_file $scale >"$dir/g.toml"
	insmod "$module"
	echo 3 >/proc/sys/vm/drop_caches
	kb0=$(kernel_kb)
	t0=$(now)
	lanactl apply -f "$dir/g.toml" >/dev/null
	t1=$(now)
	kb1=$(kernel_kb)
	[ "$(lanactl list | wc -l)" -gt "$scale" ] || fail "apply of $scale blocks did not build them"
	echo "cp_apply_per_block_$scale $(((t1 - t0) / scale))" >>"$out"
	echo "mem_per_block_$scale $(((kb1 - kb0) * 1024 / scale))" >>"$out"
	echo "cp_floor_$scale $(timed : 'lanactl revision' :)" >>"$out"
	echo "cp_add_$scale $(timed : 'lanactl add x forward' 'lanactl rm x')" >>"$out"
	echo "cp_rm_$scale $(timed 'lanactl add x forward' 'lanactl rm x' :)" >>"$out"
	echo "cp_bind_$scale $(timed 'lanactl add x forward' 'lanactl bind x g000000000000000000000000000001' \
		'lanactl unbind x g000000000000000000000000000001; lanactl rm x')" >>"$out"
	echo "cp_replace_$scale $(timed 'lanactl add x forward' \
		'lanactl replace g000000000000000000000000000002 x' \
		'lanactl add g000000000000000000000000000002 forward; lanactl replace x g000000000000000000000000000002; lanactl rm x')" >>"$out"
	rmmod lana
done
rm -rf "$dir"
