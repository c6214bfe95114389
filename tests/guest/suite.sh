#!/usr/bin/env bash
# The in-guest suite, kselftest style: run as root inside the guest kernel.
# Usage: suite.sh MODULE LANACTL [PATTERN]: the test files whose name holds
# PATTERN (all by default). Prints TAP 13; exits non-zero on failure.
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

lanactl() { "$LANACTL" "$@"; }

# Splats anywhere in the run fail the suite.
case_dmesg_clean() {
	local bad
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|kernel BUG|UBSAN|KASAN|leak|not ok [0-9]+ ' || true)
	[ -z "$bad" ] || fail "dmesg: $bad"
}

tap_begin
for t in "$here"/t[0-9]*.sh; do
	case "$(basename "$t")" in
	*"$pattern"*) ;;
	*) continue ;;
	esac
	echo "# $(basename "$t")"
	# shellcheck source=/dev/null
	. "$t"
done
run_case "dmesg shows no WARN, BUG, Oops, leak or KUnit failure" case_dmesg_clean
tap_end
