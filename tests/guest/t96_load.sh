# shellcheck shell=bash
# Under load: netlink fuzzing while frames flow, thousands of random changes
# from two concurrent lanactl processes while frames flow, and teardown
# (device deletion, namespace deletion, rmmod) while frames flow on every
# attached device. The suite's last cases then check dmesg and kmemleak.
# Sourced by suite.sh.

LOAD_DIR=/tmp/lana-load
SLAB_BASELINE=$LOAD_DIR/slab-baseline
# Messages the fuzzer sends (make fuzz sends more: FUZZ_COUNT).
FUZZ_COUNT=${FUZZ_COUNT:-20000}
# Random operations per lanactl process (two run at once).
LOAD_OPS=${LOAD_OPS:-5000}

# After the storm, a graph built from scratch must still work.
final_graph_works() {
	local dev=$1 b
	for b in $(block_names); do
		lanactl rm --cascade "$b" 2>/dev/null || true
	done
	expect_no_blocks "blocks left after removing all"
	[ -z "$(lanactl attachments)" ] || fail "attachments left: $(lanactl attachments)"
	lanactl add final counter && lanactl attach "$dev" final || fail "final graph refused"
	pktgen_inject "$dev" 100 || return 1
	expect_eq "final counter packets" 100 "$(block_stat final packets)" || return 1
	lanactl rm --cascade final
}

case_fuzz_netlink_under_traffic() {
	local out
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	mkdir -p $LOAD_DIR
	ip link add fz0 type dummy && ip link set fz0 up || fail "cannot create fz0"
	# What lana holds with no graph once it has had one (the debug kernel
	# counts it): the objects each change allocates must go with it.
	lanactl add warm counter && lanactl attach fz0 warm && lanactl rm --cascade warm ||
		fail "warm-up graph failed"
	slab_baseline $SLAB_BASELINE
	pktgen_flood_start fz0 || return 1
	out=$("$TOP/target/release/genl-fuzz" --count "$FUZZ_COUNT" --seed 1 \
		--seeds "$TOP/tests/genl-fuzz/seeds" 2>&1) || { pktgen_flood_stop; fail "genl-fuzz: $out"; }
	pktgen_flood_stop
	grep -q "^genl-fuzz: sent $FUZZ_COUNT messages" <<<"$out" || fail "genl-fuzz said: $out"
	final_graph_works fz0 || return 1
	expect_slab_baseline "after the fuzz" $SLAB_BASELINE || return 1
	local line
	while read -r line; do
		echo "# $line"
	done < <(grep '^genl-fuzz' <<<"$out")
}

# One random operation on the pool of blocks r0..r7 (rin, fed by ld0, stays).
random_ops() {
	local seed=$1 n=$2 i a b
	local types=(counter forward tee drop eth)
	RANDOM=$seed
	for ((i = 0; i < n; i++)); do
		a=r$((RANDOM % 8))
		b=r$((RANDOM % 8))
		[ $((RANDOM % 4)) -eq 0 ] && b=rin
		case $((RANDOM % 7)) in
		0) echo "add $a ${types[RANDOM % 5]}" ;;
		1) echo "bind $a $b" ;;
		2) echo "unbind --force $a $b" ;;
		3) echo "replace $a $b" ;;
		4) echo "set $a reason=r$i" ;;
		5) echo "rm --cascade $a" ;;
		6) echo "bind --port clone $a $b" ;;
		esac
	done
}

case_concurrent_random_changes_under_traffic() {
	local before pa pb ea eb
	ip link add ld0 type dummy && ip link set ld0 up || fail "cannot create ld0"
	lanactl add rin counter && lanactl attach ld0 rin || fail "cannot feed rin from ld0"
	random_ops 11 "$LOAD_OPS" >$LOAD_DIR/ops-a.txt
	random_ops 22 "$LOAD_OPS" >$LOAD_DIR/ops-b.txt
	pktgen_flood_start ld0 || return 1
	before=$(block_stat rin packets)
	"$LANACTL" batch --force $LOAD_DIR/ops-a.txt >/dev/null 2>$LOAD_DIR/ops-a.err &
	pa=$!
	"$LANACTL" batch --force $LOAD_DIR/ops-b.txt >/dev/null 2>$LOAD_DIR/ops-b.err &
	pb=$!
	wait $pa
	ea=$?
	wait $pb
	eb=$?
	# Frames kept flowing into rin while the graph above it churned.
	[ "$(block_stat rin packets)" -gt "$before" ] || fail "no frames reached rin"
	pktgen_flood_stop
	for f in a b; do
		# Both ran every line (many refused: random operations often are).
		grep -q "commands failed" $LOAD_DIR/ops-$f.err ||
			fail "batch $f did not finish: $(tail -n 3 $LOAD_DIR/ops-$f.err)"
		grep "commands failed" $LOAD_DIR/ops-$f.err | sed 's/^/# batch '$f': /'
	done
	[ "$ea" -le 1 ] && [ "$eb" -le 1 ] || fail "batch exit statuses $ea, $eb"
	final_graph_works ld0 || return 1
	expect_slab_baseline "after the random changes" $SLAB_BASELINE
}

case_teardown_under_traffic() {
	local before
	ip link add ld1 type dummy && ip link set ld1 up || fail "cannot create ld1"
	lanactl add t0 counter && lanactl add t1 counter && lanactl add t2 counter &&
		lanactl attach ld0 t0 && lanactl attach ld1 t1 && lanactl attach ld1 t2 --vlan 7 ||
		fail "building the graph failed"
	pktgen_flood_start ld0 ld1 || return 1
	# An attached device goes away under traffic; the other one goes on.
	ip link del ld1 || fail "cannot delete ld1"
	before=$(block_stat t0 packets)
	sleep 1
	[ "$(block_stat t0 packets)" -gt "$before" ] || fail "ld0's traffic stopped with ld1"
	# A namespace holding a graph goes away while its device is flooded:
	# pktgen transmits on ldv0 here, the frames arrive on its veth peer
	# ldv1 in ldns, attached there (nothing of the flood holds ldns).
	ip netns add ldns && ip link add ldv0 type veth peer name ldv1 netns ldns &&
		ip link set ldv0 up && ip -n ldns link set ldv1 up || fail "cannot make ldns"
	ip netns exec ldns "$LANACTL" add n0 counter &&
		ip netns exec ldns "$LANACTL" attach ldv1 n0 || fail "graph in ldns failed"
	pktgen_flood_stop
	PKTGEN_XMIT_MODE=start_xmit pktgen_flood_start ldv0 || return 1
	pktgen_flood_add ld0 || return 1
	[ "$(ip netns exec ldns "$LANACTL" stats n0 | awk '$1 == "packets" { print $2 }')" -gt 0 ] ||
		fail "no frames reached n0 in ldns"
	ip netns del ldns || fail "cannot delete ldns"
	# The namespace's exit deletes the veth pair, ldv0 with it.
	for _ in $(seq 300); do
		ip link show ldv0 >/dev/null 2>&1 || break
		sleep 0.1
	done
	ip link show ldv0 >/dev/null 2>&1 && fail "ldv0 outlived ldns"
	# The module goes away while ld0 floods it.
	rmmod lana || fail "rmmod under traffic failed"
	pktgen_flood_stop
	lsmod | grep -q "^lana " && fail "lana still loaded"
	true
}

# Leaves the module unloaded, as the files before and after expect.
case_load_teardown() {
	lsmod | grep -q "^lana " && rmmod lana
	ip link del fz0 && ip link del ld0 && rm -rf $LOAD_DIR || fail "teardown failed"
}

run_case "fuzz: $FUZZ_COUNT generic-netlink messages under traffic, then a working graph" case_fuzz_netlink_under_traffic
run_case "2 x $LOAD_OPS random changes from two lanactl processes under traffic" case_concurrent_random_changes_under_traffic
run_case "under traffic on every device: device deleted, namespace deleted, rmmod" case_teardown_under_traffic
run_case "load teardown" case_load_teardown
