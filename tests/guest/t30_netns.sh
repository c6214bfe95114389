# shellcheck shell=bash
# Network namespaces: each has its own graph, names and attachments; a
# namespace's exit tears its graph down. Sourced by suite.sh.

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

case_netns_setup() {
	command -v ip >/dev/null && ip netns add lana_na && ip netns add lana_nb ||
		skip "cannot create network namespaces"
	insmod "$MODULE" || fail "insmod failed"
}

case_netns_separate_graphs() {
	in_ns lana_na "$LANACTL" add x counter || fail "add x in lana_na failed"
	in_ns lana_nb "$LANACTL" add x counter || fail "the same name in lana_nb was refused"
	in_ns lana_nb "$LANACTL" add only_b forward || return 1
	local a b init
	a=$(in_ns lana_na "$LANACTL" list | tail -n +2 | awk '{ print $2 }' | xargs)
	b=$(in_ns lana_nb "$LANACTL" list | tail -n +2 | awk '{ print $2 }' | xargs)
	init=$(lanactl list | tail -n +2)
	expect_eq "blocks in lana_na" "x" "$a" || return 1
	expect_eq "blocks in lana_nb" "x only_b" "$b" || return 1
	expect_eq "blocks in the initial namespace" "" "$init"
}

case_netns_attach_and_count() {
	in_ns lana_na ip link add d0 type dummy && in_ns lana_na ip link set d0 up &&
		in_ns lana_nb ip link add d0 type dummy && in_ns lana_nb ip link set d0 up || fail "no dummy devices"
	in_ns lana_na "$LANACTL" attach d0 x || fail "attach in lana_na failed"
	in_ns lana_na bash -c ". '$(dirname "$0")/lib.sh'; . '$(dirname "$0")/pktgen.sh'; pktgen_inject d0 1000" ||
		fail "pktgen in lana_na failed"
	expect_eq "x packets in lana_na" 1000 "$(in_ns lana_na "$LANACTL" stats x | awk '$1 == "packets" { print $2 }')" || return 1
	expect_eq "x packets in lana_nb" 0 "$(in_ns lana_nb "$LANACTL" stats x | awk '$1 == "packets" { print $2 }')" || return 1
	expect_eq "engine packets in lana_nb" 0 "$(in_ns lana_nb "$LANACTL" stats | awk '$1 == "packets" { print $2 }')"
}

case_netns_no_reach_across() {
	expect_refusal "no device 'lana_d9'" lanactl attach lana_d9 x || return 1
	in_ns lana_na ip link add lana_d9 type dummy || return 1
	# The device exists in lana_na only; the initial namespace has no block x either.
	expect_refusal "no device 'lana_d9'" in_ns lana_nb "$LANACTL" attach lana_d9 x
}

case_netns_exit_tears_down() {
	ip netns del lana_na || fail "cannot delete lana_na"
	local i
	for i in $(seq 50); do
		dmesg | grep -q "device d0 unregistering: detached" && break
		sleep 0.2
	done
	dmesg | grep -q "device d0 unregistering: detached" || fail "d0 of lana_na was not detached"
	# lana_nb is untouched.
	in_ns lana_nb "$LANACTL" list | grep -q ' only_b ' || fail "lana_nb lost its graph"
	ip netns del lana_nb
	rmmod lana || fail "rmmod failed"
}

run_case "netns setup: two namespaces" case_netns_setup
run_case "each namespace has its own graph and names" case_netns_separate_graphs
run_case "attachments and counts stay in their namespace" case_netns_attach_and_count
run_case "a namespace cannot reach another's devices" case_netns_no_reach_across
run_case "deleting a namespace tears its graph down" case_netns_exit_tears_down
