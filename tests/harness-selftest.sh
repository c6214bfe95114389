#!/usr/bin/env bash
# Host-only checks of the in-guest harness (tests/guest/lib.sh): a failed
# check ends its case, so no later check can pass over it. Run by make
# test-host.
set -u
. "$(dirname "$0")/guest/lib.sh"

fails_then_passes() {
	fail "first check failed"
	true
}
refusal_expected_but_succeeds() {
	# The command succeeds (exit 0) and prints the expected message: a
	# refusal check must still fail on the exit code alone.
	expect_refusal "no block 'x'" echo "no block 'x'"
}
refusal_with_wrong_status() {
	expect_refusal "no block 'x'" sh -c "echo \"no block 'x'\"; exit 2"
}
eq_then_passes() {
	expect_eq "value" 1 2
	true
}
skips() {
	skip "not here"
	fail "ran on after skip"
}
passes() {
	expect_eq "value" 1 1
	expect_refusal "no block 'x'" sh -c "echo \"no block 'x'\"; exit 1"
}

out=$(
	run_case "a" fails_then_passes
	run_case "b" refusal_expected_but_succeeds
	run_case "c" refusal_with_wrong_status
	run_case "d" eq_then_passes
	run_case "e" skips
	run_case "f" passes
)
expected="not ok 1 - a
not ok 2 - b
not ok 3 - c
not ok 4 - d
ok 5 - e # SKIP not here
ok 6 - f"
got=$(grep -E '^(not )?ok ' <<<"$out")
if [ "$got" != "$expected" ]; then
	printf 'harness-selftest: expected\n%s\ngot\n%s\nfull output:\n%s\n' "$expected" "$got" "$out" >&2
	exit 1
fi
echo "harness-selftest: 6 cases as expected"
