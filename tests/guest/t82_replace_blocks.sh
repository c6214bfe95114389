# shellcheck shell=bash
# Every block type's counters survive a replace by a block of the same type
# (and start from zero with --drop-state): dev -> eth -> tee (copies to a
# counter) -> bpf(udp) -> drop, each replaced in turn. Sourced by suite.sh.

RBDEV=lana_rb0

# block_counts: the counters the test follows, one line.
block_counts() {
	echo "$(block_stat "$1" passed) $(block_stat "$2" copies) $(block_stat "$3" passed)" \
		"$(block_stat "$4" dropped)"
}

case_replace_blocks_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $RBDEV type dummy && ip link set $RBDEV up || fail "cannot create $RBDEV"
	lanactl add re eth promisc=on && lanactl add rt tee && lanactl add rcopy counter &&
		lanactl add rf bpf filter=udp && lanactl add rd drop reason=end &&
		lanactl bind rt re && lanactl bind rf rt && lanactl bind rd rf &&
		lanactl bind --port clone rcopy rt && lanactl attach $RBDEV re ||
		fail "building the graph failed"
	pktgen_inject $RBDEV 100 || return 1
	expect_eq "eth passed, tee copies, bpf passed, drop dropped" "100 100 100 100" \
		"$(block_counts re rt rf rd)"
}

case_replace_blocks_carry() {
	lanactl add re2 eth promisc=on && lanactl add rt2 tee && lanactl add rf2 bpf filter=udp &&
		lanactl add rd2 drop reason=end || fail "adding the replacements failed"
	for pair in re:re2 rt:rt2 rf:rf2 rd:rd2; do
		lanactl replace "${pair%%:*}" "${pair##*:}" || fail "replace $pair failed"
	done
	expect_eq "counts carried by each replacement" "100 100 100 100" \
		"$(block_counts re2 rt2 rf2 rd2)" || return 1
	pktgen_inject $RBDEV 50 || return 1
	expect_eq "counts go on from there" "150 150 150 150" "$(block_counts re2 rt2 rf2 rd2)" ||
		return 1
	expect_eq "the drop reason" "reason end" "$(lanactl stats rd2 | grep ^reason)"
}

case_replace_blocks_drop_state() {
	lanactl add re3 eth promisc=on && lanactl add rt3 tee && lanactl add rf3 bpf filter=udp &&
		lanactl add rd3 drop || fail "adding the replacements failed"
	for pair in re2:re3 rt2:rt3 rf2:rf3 rd2:rd3; do
		lanactl replace --drop-state "${pair%%:*}" "${pair##*:}" || fail "replace $pair failed"
	done
	expect_eq "fresh counts with --drop-state" "0 0 0 0" "$(block_counts re3 rt3 rf3 rd3)" ||
		return 1
	pktgen_inject $RBDEV 10 || return 1
	expect_eq "counting again" "10 10 10 10" "$(block_counts re3 rt3 rf3 rd3)"
}

case_replace_blocks_teardown() {
	lanactl detach $RBDEV && rmmod lana || fail "teardown failed"
	ip link del $RBDEV
}

run_case "replace blocks: setup and first counts" case_replace_blocks_setup
run_case "eth, tee, bpf and drop carry their counters across replace" case_replace_blocks_carry
run_case "replace --drop-state starts every block type from zero" case_replace_blocks_drop_state
run_case "replace blocks: teardown" case_replace_blocks_teardown
