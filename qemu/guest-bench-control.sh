#!/usr/bin/env bash
# Runs inside the icount guest for `make bench`, after the packet-path
# scenarios: the control plane's cost at 100, 1,000 and 10,000 blocks.
# Guest time is guest instructions (-icount shift=0) while the vCPU runs;
# while it idles (sleep=off) time jumps to the next timer, as it would for
# a caller waiting on a grace period. Nothing measured reads the host's
# disk (lanactl and the files are on a tmpfs, bash's clock is a builtin),
# so each figure is repeatable. Each single command is timed around its
# lanactl process, warm; `lanactl types` (a read the kernel answers at
# once) is the harness floor, subtracted in qemu/bench-table.sh. Writes "cp_OP_SCALE NS" lines
# (per command; per block for apply) and "mem_SCALE BYTES" (slab and
# per-CPU memory per block of the applied graph).
# Usage: guest-bench-control.sh MODULE LANACTL OUT
set -euo pipefail
module=$1 lanactl=$2 out=$3
fail() { echo "$*" >&2; return 1; }
dir=$(mktemp -d)
mount -t tmpfs lana-bench "$dir"
cp "$lanactl" "$dir/lanactl"
export PATH=$dir:/usr/sbin:/sbin:$PATH
reps=5

# Guest nanoseconds (microseconds from bash's clock, no process).
now() { echo "${EPOCHREALTIME/./}000"; }

# The guest nanoseconds of "$@", the mean of $reps runs of SETUP; CMD; UNDO
# (only CMD timed).
timed() {
	local setup=$1 cmd=$2 undo=$3 total=0 i t0 t1
	# Once untimed: every page it needs is in memory.
	eval "$setup"; eval "$cmd" >/dev/null; eval "$undo"
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
	local n=$1 i up low
	for ((i = 1; i <= n; i++)); do
		printf -v up 'g%030d' "$i"
		printf '[[block]]\nname = "%s"\ntype = "forward"\n\n' "$up"
	done
	for ((i = 2; i <= n; i += 2)); do
		printf -v up 'g%030d' "$i"
		printf -v low 'g%030d' $((i - 1))
		printf '[[bind]]\nupper = "%s"\nlower = "%s"\n\n' "$up" "$low"
	done
}

for scale in 100 1000 10000; do
	graph_file $scale >"$dir/g.toml"
	insmod "$module"
	lanactl types >/dev/null
	kb0=$(kernel_kb)
	t0=$(now)
	lanactl apply -f "$dir/g.toml" >/dev/null
	t1=$(now)
	kb1=$(kernel_kb)
	[ "$(lanactl list | wc -l)" -gt "$scale" ] || fail "apply of $scale blocks did not build them"
	echo "cp_apply_per_block_$scale $(((t1 - t0) / scale))" >>"$out"
	echo "mem_per_block_$scale $(((kb1 - kb0) * 1024 / scale))" >>"$out"
	echo "cp_floor_$scale $(timed : 'lanactl types' :)" >>"$out"
	echo "cp_add_$scale $(timed : 'lanactl add x forward' 'lanactl rm x')" >>"$out"
	echo "cp_rm_$scale $(timed 'lanactl add x forward' 'lanactl rm x' :)" >>"$out"
	echo "cp_bind_$scale $(timed 'lanactl add x forward' 'lanactl bind x g000000000000000000000000000001' \
		'lanactl unbind x g000000000000000000000000000001; lanactl rm x')" >>"$out"
	echo "cp_replace_$scale $(timed 'lanactl add x forward' \
		'lanactl replace g000000000000000000000000000002 x' \
		'lanactl add g000000000000000000000000000002 forward; lanactl replace x g000000000000000000000000000002; lanactl rm x')" >>"$out"
	rmmod lana
done
umount "$dir" && rm -rf "$dir"
