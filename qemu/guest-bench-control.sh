#!/usr/bin/env bash
# Runs inside the icount guest for `make bench`, after the packet-path
# scenarios: the control plane's cost at 100, 1,000 and 10,000 blocks.
# Guest time is guest instructions (-icount shift=0). Each command is timed
# $reps at a time in one `lanactl batch` process, less a batch of as many
# `lanactl types` (a read the kernel answers at once: the floor), so
# starting the process is not counted. A spinner at SCHED_IDLE keeps the
# vCPU from idling: an idle vCPU (sleep=off) would jump to its next tick,
# 4 ms at once, while lanactl waits for the host's filesystem. A caller
# waiting for a grace period then waits the ticks the grace period takes. Writes "cp_OP_SCALE NS" lines
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
reps=20

# Guest nanoseconds (microseconds from bash's clock, no process).
now() { echo "${EPOCHREALTIME/./}000"; }

# Guest ns per command of the batch file $1 (of $reps commands).
per_command() {
	local t0 t1
	t0=$(now)
	lanactl batch "$1" >/dev/null
	t1=$(now)
	echo $(((t1 - t0) / reps))
}

# The batch files: $reps commands each, on x_i and y_i, and g_2i (the
# upper block of a pair: nothing is above it).
batch_files() {
	local i g
	: >"$dir/floor" && : >"$dir/add" && : >"$dir/rm" && : >"$dir/bind"
	: >"$dir/unbind" && : >"$dir/add_y" && : >"$dir/replace"
	for ((i = 1; i <= reps; i++)); do
		printf -v g 'g%030d' $((2 * i))
		echo "types" >>"$dir/floor"
		echo "add x$i forward" >>"$dir/add"
		echo "rm x$i" >>"$dir/rm"
		echo "bind x$i $g" >>"$dir/bind"
		echo "unbind x$i $g" >>"$dir/unbind"
		echo "add y$i forward" >>"$dir/add_y"
		echo "replace $g y$i" >>"$dir/replace"
	done
}

# kB of slab plus per-CPU memory.
kernel_kb() {
	awk '$1 == "Slab:" || $1 == "Percpu:" { kb += $2 } END { print kb }' /proc/meminfo
}

# A graph file of N forward blocks named g + 30 digits, in pairs: each
# even one bound above the odd one before it.
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

chrt -i 0 bash -c 'while :; do :; done' &
spinner=$!
batch_files
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
	lanactl batch "$dir/floor" >/dev/null
	echo "cp_floor_$scale $(per_command "$dir/floor")" >>"$out"
	echo "cp_add_$scale $(per_command "$dir/add")" >>"$out"
	echo "cp_bind_$scale $(per_command "$dir/bind")" >>"$out"
	lanactl batch "$dir/unbind" >/dev/null
	echo "cp_rm_$scale $(per_command "$dir/rm")" >>"$out"
	lanactl batch "$dir/add_y" >/dev/null
	echo "cp_replace_$scale $(per_command "$dir/replace")" >>"$out"
	rmmod lana
done
kill "$spinner"
umount "$dir" && rm -rf "$dir"
