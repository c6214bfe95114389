#!/usr/bin/env bash
# The in-guest suite, kselftest style: run as root inside the guest kernel.
# Usage: suite.sh MODULE LANACTL [PATTERN...]: the test files whose name
# holds one of the space-separated PATTERNs (all by default). Prints TAP 13; exits non-zero on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export MODULE=$1 LANACTL=$2
# The work tree: tests find built helpers (out/, target/) from it.
TOP=$(cd "$here/../.." && pwd)
export TOP
pattern=${3:-}
export PATH=/usr/sbin:/sbin:$PATH

# shellcheck source=tests/guest/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/guest/pktgen.sh
. "$here/pktgen.sh"
# shellcheck source=tests/guest/select.sh
. "$here/select.sh"

# The root filesystem is the host's, over 9p without a page cache: every
# exec reads the binary and its libraries again, which under emulation costs
# most of a lanactl call. Run lanactl, and the libraries it loads, from
# tmpfs instead (the libraries are the host's own, so other programs may
# load them from there too).
# The helpers built beside lanactl (bpf-pin) stay where they were built.
export BUILT_BIN
BUILT_BIN=$(dirname "$LANACTL")
bin=/tmp/lana-bin
mkdir -p $bin/lib && chmod 0755 $bin $bin/lib
cp "$LANACTL" $bin/lanactl
ldd "$LANACTL" | awk '/=> \// { print $3 }' | xargs -r cp -t $bin/lib
export LANACTL=$bin/lanactl LD_LIBRARY_PATH=$bin/lib

lanactl() { "$LANACTL" "$@"; }

# The kernel log's splats, one line each (stdin: dmesg).
splats() {
	# WARNING: covers lockdep and RCU splats; BUG: KASAN and sleeping in
	# atomic context; a Rust panic (overflow, failed assertion) is a BUG too.
	# pktgen's own notice when a device it floods is deleted (t96 does that
	# on purpose) is not a splat, nor is kmemleak's greeting, nor
	# virtme-ng's note that a root without systemd (the stock kernel's
	# trixie guest root) has no systemd-tmpfiles.
	# The kernel's own report of an allocation that failed (warn_alloc: a
	# header line, then the stack up to </TASK>) is expected while t91
	# fails allocations on purpose, between its two marks; nowhere else.
	# So is kmemleak's note that it could not track part of an object
	# (its own allocations fail too): it scans the whole object instead.
	awk '/lana-faults: injecting/ { injecting = 1 }
		/lana-faults: done/ { injecting = 0 }
		injecting && /kmemleak: Cannot allocate a scan area, scanning the full object/ { next }
		injecting && /(vmalloc error:|page allocation failure:)/ { report = 1 }
		report { if (/<\/TASK>/) report = 0; next } { print }' |
		grep -E 'WARNING:|BUG:|Oops|Call Trace|kernel BUG|UBSAN|KASAN|leak|panicked|not ok [0-9]+ ' |
		grep -v -e 'pktgen: WARNING: trying to remove a running interface' \
			-e 'kmemleak: Kernel memory leak detector initialized' \
			-e 'virtme-ng-init: WARNING: failed to run: "systemd-tmpfiles"'
}

# Splats anywhere in the run fail the suite.
case_dmesg_clean() {
	local bad
	# A log that wrapped would hide what scrolled out.
	dmesg | head -n1 | grep -q 'Linux version' ||
		fail "the kernel log wrapped: its first line is $(dmesg | head -n1)"
	bad=$(dmesg | splats || true)
	# For the record: what led to the first, and the report's first 80
	# lines (its call trace and registers follow it), so a splat CI saw
	# once can be read without reproducing it.
	[ -z "$bad" ] || fail "dmesg: $bad
$(dmesg | grep -m1 -B12 -A80 -F -- "$(head -n1 <<<"$bad")")"
}

# A kernel that splatted while it booted, before lana was ever loaded, is a
# broken rig, not a finding about lana: say so (tests/run.sh boots it once
# more) rather than run a suite whose dmesg check would blame lana.
boot_splats=$(dmesg | splats || true)
if [ -n "$boot_splats" ] && ! lsmod | grep -q '^lana '; then
	tap_begin
	echo "Bail out! boot splat: the kernel splatted while it booted, before lana loaded"
	dmesg | grep -m1 -B12 -A80 -F -- "$(head -n1 <<<"$boot_splats")" | sed 's/^/# /'
	exit 75
fi

# kmemleak (the debug kernel): what is unreferenced before the suite (boot)
# is not ours; forget it, and report what the suite leaves behind.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -e $KMEMLEAK ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
if [ -w $KMEMLEAK ]; then
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
fi

# The suite's leaks: the module is unloaded by then, so nothing of it may
# remain. kmemleak reports objects at least 5 s old; it is asked twice, as
# its documentation advises, to rule out objects caught in flight.
case_kmemleak_clean() {
	[ -w $KMEMLEAK ] || { skip "no kmemleak in this kernel (the debug kernel has it)"; return; }
	lsmod | grep -q "^lana " && fail "lana is still loaded"
	sleep 6
	echo scan >$KMEMLEAK
	sleep 1
	echo scan >$KMEMLEAK
	local leaks
	leaks=$(cat $KMEMLEAK)
	[ -z "$leaks" ] || fail "kmemleak: $leaks"
}

tap_begin
# LANA_QUEUE=DIR (a directory every guest of the run can write): each file
# runs in the first guest to claim it (mkdir is atomic on the host's file
# system, under 9p too), the costliest, last-numbered files first, so the
# guests finish close together.
mapfile -t files < <(selected_files "$here" "$pattern")
if [ -n "${LANA_QUEUE:-}" ]; then
	mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -r)
fi
for t in "${files[@]}"; do
	if [ -n "${LANA_QUEUE:-}" ]; then
		mkdir "$LANA_QUEUE/$(basename "$t")" 2>/dev/null || continue
	fi
	echo "# $(basename "$t")"
	file_start=$(date +%s)
	# shellcheck source=/dev/null
	. "$t"
	echo "# $(basename "$t") took $(($(date +%s) - file_start)) s"
done
run_case "kmemleak reports no leak after the suite" case_kmemleak_clean
run_case "dmesg shows no WARN, BUG, Oops, leak or KUnit failure" case_dmesg_clean
tap_end
