#!/usr/bin/env bash
# Runs inside the icount guest for `make bench`, after the packet-path
# scenarios: the control plane's cost at 100, 1,000 and 10,000 blocks.
# Guest time is guest instructions (-icount shift=0). Each command is timed
# $reps at a time in one `lanactl batch` process, less a batch of as many
# `lanactl reset` of one block (a request lanactl makes as it makes a
# change, which the kernel answers at once: the floor), so that starting
# the process and lanactl's own work per command are not counted. A spinner at SCHED_IDLE
# keeps the vCPU from idling: an idle vCPU (sleep=off) would jump to its
# next tick, 4 ms at once, while lanactl waits for the host's filesystem.
# A caller waiting for a grace period then waits the ticks the grace period
# takes. What the guest waits for from the host is still spun away as
# guest time, and only ever adds: each figure is the least of $rounds
# rounds. Writes "cp_OP_SCALE NS" lines (per command; per block for apply)
# and "mem_SCALE BYTES" (slab and per-CPU memory per block of the applied
# graph).
# Usage: guest-bench-control.sh MODULE LANACTL OUT
set -euo pipefail
module=$1 lanactl=$2 out=$3
fail() { echo "$*" >&2; return 1; }
dir=$(mktemp -d)
mount -t tmpfs lana-bench "$dir"
cp "$lanactl" "$dir/lanactl"
export PATH=$dir:/usr/sbin:/sbin:$PATH
# As many as the smallest graph has pairs (g_2i must exist): the more,
# the less one process's start weighs.
reps=50
rounds=3

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
	: >"$dir/add_g" && : >"$dir/replace_back"
	for ((i = 1; i <= reps; i++)); do
		printf -v g 'g%030d' $((2 * i))
		echo "reset g000000000000000000000000000001" >>"$dir/floor"
		echo "add x$i forward" >>"$dir/add"
		echo "rm x$i" >>"$dir/rm"
		echo "bind x$i $g" >>"$dir/bind"
		echo "unbind x$i $g" >>"$dir/unbind"
		echo "add y$i forward" >>"$dir/add_y"
		echo "replace $g y$i" >>"$dir/replace"
		echo "add $g forward" >>"$dir/add_g"
		echo "replace y$i $g" >>"$dir/replace_back"
	done
}

# least A B: the smaller of A and B; B alone when A is empty.
least() {
	if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi
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
	floor= add= bind= rm= replace=
	# Each round leaves the graph as it found it: x_i added, bound,
	# unbound, removed; g_2i replaced by y_i, then by a new g_2i.
	for ((round = 0; round < rounds; round++)); do
		floor=$(least "$floor" "$(per_command "$dir/floor")")
		add=$(least "$add" "$(per_command "$dir/add")")
		bind=$(least "$bind" "$(per_command "$dir/bind")")
		lanactl batch "$dir/unbind" >/dev/null
		rm=$(least "$rm" "$(per_command "$dir/rm")")
		lanactl batch "$dir/add_y" >/dev/null
		replace=$(least "$replace" "$(per_command "$dir/replace")")
		lanactl batch "$dir/add_g" >/dev/null
		replace=$(least "$replace" "$(per_command "$dir/replace_back")")
	done
	for op in floor add bind rm replace; do
		echo "cp_${op}_$scale ${!op}" >>"$out"
	done
	rmmod lana
done
kill "$spinner"
umount "$dir" && rm -rf "$dir"
