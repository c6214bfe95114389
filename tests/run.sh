#!/usr/bin/env bash
# Runs the in-guest suite (tests/guest) in a QEMU guest booted from KDIR.
# Usage: run.sh KDIR MODULE LANACTL [PATTERN]. Exits non-zero on any failed
# case. PATTERN picks test files by name (make test-guest TESTS=t90).
# LANA_QUEUE=DIR: the files are shared out with other guests given the same
# DIR (each file runs in the guest that claims it first; tests/run-both.sh).
# LANA_LOGS=DIR keeps the guest's TAP output, dmesg and console there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1 module=$(realpath "$2") lanactl=$(realpath "$3") pattern=${4:-}
results=$(mktemp -d "${TMPDIR:-/tmp}/lana-tests.XXXXXX")
trap 'rm -rf "$results"' EXIT

# The debug kernel (KASAN, hence SLUB debugging) records who allocated each
# kmalloc object, and its stack (slab_debug=U): the suite counts lana's live
# objects with it (lana_slab_sites in tests/guest/lib.sh).
# A log buffer that holds the whole run: the dmesg check reads all of it
# (t91 alone reloads the module, and KUnit's report, hundreds of times).
kargs='log_buf_len=32M'
if grep -qx 'CONFIG_KASAN=y' "$kdir/.config" 2>/dev/null &&
	grep -qx 'CONFIG_SLUB_DEBUG=y' "$kdir/.config"; then
	kargs="$kargs slab_debug=U,kmalloc-*"
fi

# The suite's knobs, quoted for the guest's shell whatever they hold (a
# FAULTS_CASES regex may hold quotes).
knobs=
for knob in FUZZ_COUNT LOAD_OPS REPLACE_FRAMES SCALE_BLOCKS FAULTS_STRIDE FAULTS_CASES LANA_QUEUE; do
	printf -v knobs '%s%s=%q ' "$knobs" "$knob" "${!knob:-}"
done

start=$(date +%s)
# A guest whose kernel splatted while booting, before the suite loaded lana
# (the suite bails out saying so), is booted once more: the splat is shown,
# and a second one fails the run.
for boot in 1 2; do
	rc=0
	rm -f "$results/tap.txt" "$results/dmesg.txt"
	LANA_KERNEL_ARGS=$kargs LANA_SHARED_DIR=${LANA_QUEUE:-} "$top/qemu/vm.sh" "$kdir" "$results" \
		bash -c "$knobs '$top/tests/guest/suite.sh' '$module' '$lanactl' '$pattern' >'$results/tap.txt' 2>&1; dmesg >'$results/dmesg.txt'" ||
		rc=$?
	cat "$results/tap.txt" 2>/dev/null || true
	[ $boot = 1 ] && grep -q '^Bail out! boot splat:' "$results/tap.txt" 2>/dev/null || break
	echo "# the guest kernel splatted while booting (above), before lana loaded: booting it again"
	# LANA_LOGS keeps this boot's report beside the next boot's files.
	mv "$results/tap.txt" "$results/tap-boot1.txt"
done
if [ -n "${LANA_LOGS:-}" ]; then
	mkdir -p "$LANA_LOGS"
	cp "$results"/*.txt "$results"/*.log "$LANA_LOGS"/ 2>/dev/null || true
fi
echo "# guest run took $(($(date +%s) - start)) s"
if [ ! -s "$results/tap.txt" ] || ! tail -n1 "$results/tap.txt" | grep -qE '^[0-9]+ passed, 0 failed$'; then
	echo "in-guest suite failed (vm exit $rc); guest console:" >&2
	tail -n 60 "$results/console.log" >&2 || true
	if [ -s "$results/dmesg.txt" ]; then
		echo "guest dmesg (tail):" >&2
		tail -n 60 "$results/dmesg.txt" >&2
	fi
	exit 1
fi
