# shellcheck shell=bash
# Retiring snapshots without waiting: a change that need not see the old
# snapshot gone (add, rm, bind, ...) leaves it pending, folded later; until
# then its tally still counts, and readers must see every frame once, never
# twice nor not at all. Sourced by suite.sh.

TDEV=lana_t0
RETIRE_DIR=/tmp/lana-retire

case_retire_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $TDEV type dummy && ip link set $TDEV up || fail "cannot create $TDEV"
	lanactl add t1 counter && lanactl add tf forward && lanactl bind tf t1 &&
		lanactl attach $TDEV t1 || fail "building $TDEV -> t1 -> tf failed"
	mkdir -p $RETIRE_DIR
}

# While pktgen floods the chain, rounds of lanactl batches add and remove a
# block (each publishes a snapshot and leaves the old one pending) and read
# the counters in between: the engine's packets and tf's walk ends (both
# from the tallies) never go back, and end at exactly what pktgen sent.
case_retire_counts_once_under_traffic() {
	local cmds=$RETIRE_DIR/cmds out back rounds=5 r i p0 w0 c0 met=0 reads=0
	for ((i = 0; i < 20; i++)); do
		printf 'add tz%d counter\nstats\nstats tf\nrm tz%d\nstats\nstats tf\n' $i $i
	done >$cmds
	p0=$(engine_stat packets) w0=$(block_stat tf walk_end_up) c0=$(block_stat t1 packets)
	pktgen_flood_start $TDEV || fail "pktgen failed"
	for ((r = 0; r < rounds; r++)); do
		out=$(lanactl batch $cmds) || { pktgen_flood_stop; fail "lanactl batch failed: $out"; }
		# Each reading against the one before it in the round.
		back=$(awk '$1 == "packets" { if ($2 < p) print "engine packets " p " then " $2; p = $2 }
			$1 == "walk_end_up" { if ($2 < w) print "tf walk_end_up " w " then " $2; w = $2 }' <<<"$out")
		[ -z "$back" ] || { pktgen_flood_stop; fail "round $r: a count went back: $back"; }
		reads=$((reads + $(grep -c '^snapshots_pending ' <<<"$out")))
		met=$((met + $(grep -c '^snapshots_pending [1-9]' <<<"$out")))
	done
	pktgen_flood_stop
	echo "# $rounds rounds of 20 adds and removes while pktgen sent $PKTGEN_FLOOD_SENT frames;" \
		"$met of $reads engine readings met a snapshot pending"
	[ "$PKTGEN_FLOOD_SENT" -gt 0 ] || fail "pktgen sent nothing"
	[ "$met" -gt 0 ] || fail "no reading met a snapshot pending: the case tests nothing"
	expect_eq "engine packets" $((p0 + PKTGEN_FLOOD_SENT)) "$(engine_stat packets)" || return 1
	expect_eq "tf walk_end_up" $((w0 + PKTGEN_FLOOD_SENT)) "$(block_stat tf walk_end_up)" || return 1
	expect_eq "t1 packets" $((c0 + PKTGEN_FLOOD_SENT)) "$(block_stat t1 packets)"
}

case_retire_teardown() {
	lanactl detach $TDEV && lanactl unbind tf t1 && lanactl rm tf && lanactl rm t1 ||
		fail "teardown failed"
	expect_no_blocks "blocks left"
	rmmod lana || fail "rmmod failed"
	ip link del $TDEV
	rm -rf $RETIRE_DIR
}

run_case "retire setup: $TDEV -> counter t1 -> forward tf" case_retire_setup
run_case "snapshots left pending count every frame once, under traffic" case_retire_counts_once_under_traffic
run_case "retire teardown leaves nothing behind" case_retire_teardown
