# shellcheck shell=bash
# tee and the per-CPU backlog: copies reach the block bound to the tee's
# port through the backlog, drained in softirq context; a full backlog drops
# and counts. Sourced by suite.sh.

TDEV=lana_t0

tee_setup() {
	ip link add $TDEV type dummy && ip link set $TDEV up || fail "cannot create $TDEV"
	lanactl add t tee && lanactl add main counter && lanactl add mirror counter &&
		lanactl bind main t && lanactl bind --port clone mirror t &&
		lanactl attach $TDEV t || fail "building $TDEV -> tee -> main (+ clone -> mirror) failed"
}

tee_teardown() {
	lanactl rm --cascade t && lanactl rm main && lanactl rm mirror || fail "teardown failed"
	rmmod lana || fail "rmmod failed"
	ip link del $TDEV
}

case_tee_setup() {
	insmod "$MODULE" || fail "insmod failed"
	tee_setup
}

case_tee_copies_reach_the_port() {
	local q0
	q0=$(engine_stat queued)
	pktgen_inject $TDEV 5000 || return 1
	expect_eq "main packets" 5000 "$(block_stat main packets)" || return 1
	expect_eq "t copies" 5000 "$(block_stat t copies)" || return 1
	expect_eq "engine queued" $((q0 + 5000)) "$(engine_stat queued)" || return 1
	expect_eq "mirror packets (through the backlog)" 5000 "$(block_stat mirror packets)" || return 1
	expect_eq "mirror bytes" $((5000 * PKTGEN_FRAME_LEN)) "$(block_stat mirror bytes)" || return 1
	expect_eq "engine drop_backlog_full" 0 "$(engine_stat drop_backlog_full)" || return 1
	lanactl show t | grep -qx '  ports: clone=mirror' || fail "show: $(lanactl show t)"
}

case_tee_port_refusals() {
	refused_unchanged "block 't' has no port 'nope'" lanactl bind --port nope main t || return 1
	refused_unchanged "port 'clone' of 't' already leads to 'mirror'" lanactl bind --port clone main t || return 1
	refused_unchanged "block 'mirror' is in use: port 'clone' of 't' leads to it" lanactl rm mirror
}

# UDP datagrams the stack found no socket for, in this namespace.
udp_noports() {
	awk '/^Udp:/ { if (!col) { for (i = 1; i <= NF; i++) if ($i == "NoPorts") col = i }
		else print $col }' /proc/net/snmp
}

# A copy a tee sends to a host block reaches the Linux stack once: handed to
# it from the backlog, it passes the device's rx_handler (ours), marked,
# rather than entering the graph again (where the tee would copy it again).
# With a tc ingress hook (clsact) on the device, which writes the start of
# the control block before any rx_handler runs.
case_tee_copy_to_host_reaches_the_stack_once() {
	local dev=lana_t1 mac n0
	ip link add $dev type dummy && ip link set $dev up &&
		ip addr add 198.51.100.1/24 dev $dev &&
		tc qdisc add dev $dev clsact || fail "cannot create $dev with clsact"
	lanactl add ht tee && lanactl add hm counter && lanactl add hh host &&
		lanactl bind hm ht && lanactl bind --port clone hh ht &&
		lanactl attach $dev ht || fail "building $dev -> tee (+ clone -> host) failed"
	mac=$(cat /sys/class/net/$dev/address)
	n0=$(udp_noports)
	# From another host of the subnet: one of ours would be a martian.
	PKTGEN_DST_MAC=$mac PKTGEN_SRC=198.51.100.7 PKTGEN_DST=198.51.100.1 PKTGEN_DST_PORT=9 \
		pktgen_inject $dev 1000 || return 1
	expect_eq "hm packets" 1000 "$(block_stat hm packets)" || return 1
	expect_eq "hh delivered (copies, through the backlog)" 1000 "$(block_stat hh delivered)" || return 1
	expect_eq "ht copies" 1000 "$(block_stat ht copies)" || return 1
	# Closed port: each copy the stack got is one NoPorts.
	expect_eq "Udp NoPorts (copies in the stack)" $((n0 + 1000)) "$(udp_noports)" || return 1
	lanactl rm --cascade ht && lanactl rm hm && lanactl rm hh || fail "teardown failed"
	ip link del $dev
}

# pktgen's burst injects 64 frames with bottom halves disabled throughout,
# so the backlog's NAPI cannot drain in between: with a limit of 8 per CPU,
# 8 copies of each burst are queued and 56 dropped, counted.
case_backlog_overflow_is_counted() {
	tee_teardown || return 1
	insmod "$MODULE" backlog_limit=8 || fail "insmod backlog_limit=8 failed"
	tee_setup || return 1
	PKTGEN_BURST=64 pktgen_inject $TDEV 640 || return 1
	expect_eq "main packets" 640 "$(block_stat main packets)" || return 1
	expect_eq "engine queued" 80 "$(engine_stat queued)" || return 1
	expect_eq "engine drop_backlog_full" 560 "$(engine_stat drop_backlog_full)" || return 1
	expect_eq "mirror packets" 80 "$(block_stat mirror packets)" || return 1
	expect_eq "backlog depth after draining" 0 "$(engine_stat backlog_depth)" || return 1
	# pktgen's thread 0 injects on CPU 0: that is where the drops happened.
	lanactl stats --engine | grep -qx 'drop_backlog_full cpu0 560' ||
		fail "stats --engine: $(lanactl stats --engine)"
}

case_tee_teardown() {
	tee_teardown
}

# A tee's port bound to the block below it: each copy walks back up to the
# tee and is copied again. Copies of copies stop at the eighth generation,
# dropped and counted: each frame reaches the counter once as itself and
# once per generation.
case_tee_copy_loop_is_bounded() {
	ip link add lana_t1 type dummy && ip link set lana_t1 up || fail "cannot create lana_t1"
	lanactl add ta counter && lanactl add tt tee && lanactl bind tt ta &&
		lanactl bind --port clone ta tt && lanactl attach lana_t1 ta ||
		fail "building lana_t1 -> ta -> tt (clone -> ta) failed"
	local d0 i
	d0=$(engine_stat drop_copy_depth)
	pktgen_inject lana_t1 10 || return 1
	for i in $(seq 50); do
		[ "$(block_stat ta packets)" = 90 ] && break
		sleep 0.2
	done
	expect_eq "ta packets (10 frames, 8 generations of copies each)" 90 "$(block_stat ta packets)" || return 1
	expect_eq "engine drop_copy_depth" $((d0 + 10)) "$(engine_stat drop_copy_depth)" || return 1
	sleep 1
	expect_eq "ta packets a second later" 90 "$(block_stat ta packets)" || return 1
	lanactl rm --cascade ta && lanactl rm tt && ip link del lana_t1 || fail "teardown failed"
}

run_case "tee setup: $TDEV -> tee t -> counter main, port clone -> counter mirror" case_tee_setup
run_case "a tee's copies reach its port through the per-CPU backlog" case_tee_copies_reach_the_port
run_case "bad port bindings are refused and change nothing" case_tee_port_refusals
run_case "a copy to a host block reaches the stack once" case_tee_copy_to_host_reaches_the_stack_once
run_case "a full backlog drops copies, counted, never the main path" case_backlog_overflow_is_counted
run_case "copies that come back to their tee stop after 8 generations" case_tee_copy_loop_is_bounded
run_case "tee teardown" case_tee_teardown
