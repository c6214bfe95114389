# shellcheck shell=bash
# bpf: classic programs compiled from pcap expressions, replaced atomically;
# a program the kernel refuses leaves the old one in place. Sourced by
# suite.sh.

FDEV=lana_f0

case_bpf_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $FDEV type dummy && ip link set $FDEV up || fail "cannot create $FDEV"
	lanactl add f bpf && lanactl add fc counter && lanactl bind fc f &&
		lanactl attach $FDEV f || fail "building $FDEV -> bpf f -> counter fc failed"
}

case_bpf_without_program_passes() {
	pktgen_inject $FDEV 50 || return 1
	expect_eq "f passed (no program)" 50 "$(block_stat f passed)"
}

case_bpf_classic_filters() {
	lanactl set f filter=udp || fail "set filter=udp failed"
	pktgen_inject $FDEV 100 || return 1 # UDP
	expect_eq "f passed (udp)" 150 "$(block_stat f passed)" || return 1
	lanactl set f 'filter=tcp or icmp' || fail "set filter=tcp failed"
	pktgen_inject $FDEV 100 || return 1
	expect_eq "f dropped (tcp or icmp)" 100 "$(block_stat f dropped)" || return 1
	expect_eq "fc packets" 150 "$(block_stat fc packets)" || return 1
	expect_eq "engine drop_filtered" 100 "$(engine_stat drop_filtered)" || return 1
	lanactl get f | grep -qx 'filter=tcp or icmp' || fail "get: $(lanactl get f)"
	lanactl get f | grep -qE '^cbpf=[0-9]+,' || fail "get: $(lanactl get f)"
}

case_bpf_refusals_keep_the_old_program() {
	refused_unchanged "cbpf: the kernel refused the program" lanactl set f 'cbpf=1,21 0 0 1' || return 1
	refused_unchanged "cbpf: count says 2, found 1" lanactl set f 'cbpf=2,6 0 0 0' || return 1
	refused_unchanged "cbpf: first field is not a count" lanactl set f 'cbpf=x' || return 1
	refused_unchanged "pinned: no socket filter program at '/sys/fs/bpf/nope'" \
		lanactl set f pinned=/sys/fs/bpf/nope || return 1
	expect_refusal "does not compile" lanactl set f 'filter=udp and banana' || return 1
	lanactl get f | grep -qx 'filter=tcp or icmp' || fail "program changed: $(lanactl get f)"
	pktgen_inject $FDEV 10 || return 1
	expect_eq "f dropped (old program still in place)" 110 "$(block_stat f dropped)"
}

# Tagged frames from pktgen (netif_receive: shared skbs, tag in the data,
# moved out by the core before our rx_handler): the program sees the tag.
case_bpf_vlan_tagged_pktgen() {
	local p0 d0
	lanactl set f 'filter=vlan 10 and udp' || fail "set filter failed"
	p0=$(block_stat f passed) d0=$(block_stat f dropped)
	PKTGEN_VLAN=10 pktgen_inject $FDEV 100 || return 1
	expect_eq "f passed (vlan 10 and udp, VLAN 10)" $((p0 + 100)) "$(block_stat f passed)" || return 1
	PKTGEN_VLAN=20 pktgen_inject $FDEV 30 || return 1
	pktgen_inject $FDEV 20 || return 1
	expect_eq "f dropped (VLAN 20, untagged)" $((d0 + 50)) "$(block_stat f dropped)" || return 1
	lanactl set f filter=udp || fail "set filter=udp failed"
	PKTGEN_VLAN=10 pktgen_inject $FDEV 40 || return 1
	expect_eq "f dropped (udp, VLAN 10: tcpdump's udp needs vlan)" $((d0 + 90)) "$(block_stat f dropped)" || return 1
	expect_eq "f passed (udp, VLAN 10)" $((p0 + 100)) "$(block_stat f passed)" || return 1
	expect_eq "f no_memory" 0 "$(block_stat f no_memory)"
}

# eBPF: socket-filter programs written in C (tests/bpf/filters.c), loaded
# and pinned with aya (tests/bpf-pin), attached by path.
case_bpf_pinned_ebpf() {
	local pin=$BUILT_BIN/bpf-pin obj=$TOP/out/bpf/filters.o p0 d0
	[ -x "$pin" ] && [ -f "$obj" ] || { skip "bpf-pin or the BPF object not built"; return; }
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || { skip "no bpffs"; return; }
	"$pin" "$obj" /sys/fs/bpf udp_only drop_all || fail "aya could not load and pin the programs"
	lanactl set f pinned=/sys/fs/bpf/udp_only || fail "set pinned=udp_only failed"
	p0=$(block_stat f passed)
	pktgen_inject $FDEV 100 || return 1 # UDP
	expect_eq "f passed (eBPF udp_only)" $((p0 + 100)) "$(block_stat f passed)" || return 1
	lanactl set f pinned=/sys/fs/bpf/drop_all || fail "set pinned=drop_all failed"
	d0=$(block_stat f dropped)
	pktgen_inject $FDEV 50 || return 1
	expect_eq "f dropped (eBPF drop_all)" $((d0 + 50)) "$(block_stat f dropped)" || return 1
	lanactl get f | grep -qx 'pinned=/sys/fs/bpf/drop_all' || fail "get: $(lanactl get f)"
	rm -f /sys/fs/bpf/udp_only /sys/fs/bpf/drop_all
}

# The filter expressions of the capture oracle, checked against libpcap's
# own verdicts on the same frames: see bpf_oracle.py.
case_bpf_oracle() {
	local pin=$BUILT_BIN/bpf-pin obj=$TOP/out/bpf/filters.o
	[ -x "$pin" ] && [ -f "$obj" ] || fail "bpf-pin or the BPF object not built"
	/usr/bin/python3 "$(dirname "$0")/bpf_oracle.py" "$LANACTL" "$pin" "$obj" ||
		fail "oracle disagreed"
}

case_bpf_teardown() {
	lanactl rm --cascade f && lanactl rm fc || fail "teardown failed"
	rmmod lana || fail "rmmod failed"
	ip link del $FDEV
}

run_case "bpf setup: $FDEV -> bpf f -> counter fc" case_bpf_setup
run_case "bpf without a program passes everything" case_bpf_without_program_passes
run_case "bpf runs classic programs compiled from pcap expressions" case_bpf_classic_filters
run_case "a refused program leaves the old one in place" case_bpf_refusals_keep_the_old_program
run_case "bpf sees pktgen's VLAN tags where the wire had them" case_bpf_vlan_tagged_pktgen
run_case "bpf runs eBPF socket filters pinned by aya, replaced atomically" case_bpf_pinned_ebpf
run_case "bpf and eth agree with libpcap on a varied capture (VLAN tags, QinQ, fragments, runts), VLAN offload on and off" case_bpf_oracle
run_case "bpf teardown" case_bpf_teardown
