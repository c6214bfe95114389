#!/usr/bin/env bash
# The in-guest suite on both kernels at once, two guests side by side (each
# guest is one host thread under TCG: one per core of a 2-core machine).
# Guest A runs every file on its kernel, then joins guest B on the
# debug kernel, where the files are shared out as the guests claim them
# (LANA_QUEUE). Each guest ends with its own kmemleak and dmesg checks.
# Usage: run-both.sh KDIR MODULE KDIR_DEBUG MODULE_DEBUG LANACTL [PATTERN]
# (PATTERN: the debug kernel's files, all by default). LANA_A_GUEST_ROOT:
# guest A boots KDIR, a kernel image, on that root (Debian's stock kernel
# on its trixie root: make check's first lane; qemu/vm.sh). The debug kernel's
# load tests take DEBUG_FUZZ_COUNT and DEBUG_LOAD_OPS, the replace test
# DEBUG_REPLACE_FRAMES, the fault-injection test DEBUG_FAULTS_STRIDE.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1 module=$2 kdir_debug=$3 module_debug=$4 lanactl=$5 pattern=${6:-}
logs=$(mktemp -d "${TMPDIR:-/tmp}/lana-both.XXXXXX")
queue=$logs/queue
mkdir "$queue"
trap 'rm -rf "$logs"' EXIT
# shellcheck source=tests/guest/select.sh
. "$top/tests/guest/select.sh"

debug_guest() {
	LANA_GUEST_ROOT= FUZZ_COUNT=${DEBUG_FUZZ_COUNT:-} LOAD_OPS=${DEBUG_LOAD_OPS:-} \
		REPLACE_FRAMES=${DEBUG_REPLACE_FRAMES:-} FAULTS_STRIDE=${DEBUG_FAULTS_STRIDE:-} LANA_QUEUE=$queue \
		bash "$top/tests/run.sh" "$kdir_debug" "$module_debug" "$lanactl" "$pattern"
}

# The debug kernel's files that no guest has claimed yet (a guest that
# would find none is not booted).
files_left() {
	local t
	while read -r t; do
		[ -e "$queue/$(basename "$t")" ] || echo "$t"
	done < <(selected_files "$top/tests/guest" "$pattern")
}

start=$(date +%s)
(
	echo "## guest A: $kdir, every file"
	LANA_GUEST_ROOT=${LANA_A_GUEST_ROOT:-} bash "$top/tests/run.sh" "$kdir" "$module" "$lanactl" || exit 1
	if [ -n "$(files_left)" ]; then
		echo "## guest A: debug kernel, files B has not claimed"
		debug_guest
	fi
) >"$logs/a.log" 2>&1 &
a=$!
# Guest B starts a moment later: both boots at once only compete.
sleep 20
(
	echo "## guest B: debug kernel"
	debug_guest
) >"$logs/b.log" 2>&1 &
b=$!
rc=0
wait $a || rc=1
wait $b || rc=1
cat "$logs/a.log" "$logs/b.log"
echo "# both guests took $(($(date +%s) - start)) s"
# Last, where a reader of the log's tail sees them: each failed case and
# what it said.
if [ $rc -ne 0 ]; then
	echo "## failed cases"
	awk '/^## guest/ { guest = $0 } /^not ok / { print guest; print; n = 40; next }
		n > 0 && /^# / { print; n--; next } { n = 0 }' "$logs/a.log" "$logs/b.log"
fi
if [ $rc -eq 0 ]; then
	while read -r t; do
		echo "run-both: $(basename "$t") ran on no debug guest" >&2
		rc=1
	done < <(files_left)
fi
exit $rc
