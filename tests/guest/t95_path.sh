# shellcheck shell=bash
# A real-traffic path across namespaces: lana_pa sends UDP, ICMP and TCP
# over a veth into pa0, attached to eth -> bpf(udp) -> tee -> counter ->
# xmit(pc0); the tee's copies go to a second counter. lana_pc must receive
# exactly the UDP frames sent, byte for byte. Sourced by suite.sh.

case_path() {
	local mac
	insmod "$MODULE" || fail "insmod failed"
	ip netns add lana_pa && ip netns add lana_pc || fail "no namespaces"
	ip link add pa0 type veth peer name pa1 netns lana_pa &&
		ip link add pc0 type veth peer name pc1 netns lana_pc || fail "no veths"
	# Nothing but the test's frames: no IPv6 autoconfiguration chatter.
	for dev in pa0 pc0; do
		sysctl -qw net.ipv6.conf.$dev.disable_ipv6=1 && ip link set $dev up
	done
	for ns in lana_pa:pa1 lana_pc:pc1; do
		ip netns exec "${ns%%:*}" sysctl -qw "net.ipv6.conf.${ns##*:}.disable_ipv6=1" &&
			ip -n "${ns%%:*}" link set "${ns##*:}" up
	done
	lanactl add pe eth && lanactl add pf bpf filter=udp && lanactl add pt tee &&
		lanactl add pn counter && lanactl add pcopy counter && lanactl add px xmit dev=pc0 &&
		lanactl bind pf pe && lanactl bind pt pf && lanactl bind pn pt && lanactl bind px pn &&
		lanactl bind --port clone pcopy pt && lanactl attach pa0 pe || fail "building the graph failed"
	mac=$(cat /sys/class/net/pa0/address)
	LANA_DST=$mac PYTHONPATH=$(dirname "$0") /usr/bin/python3 - <<'PYEOF' || fail "the frames did not arrive as sent"
import os, socket, struct, sys

from frames import send_and_capture

dst = bytes.fromhex(os.environ["LANA_DST"].replace(":", ""))
src = bytes.fromhex("020000000a01")

def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip(proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, 0, 64, proto, 0,
                    socket.inet_aton("10.77.0.2"), socket.inet_aton("10.77.0.1"))
    return dst + src + b"\x08\x00" + h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

udp = [ip(17, struct.pack("!HHHH", 40000 + i, 9999, 8 + 20 + i, 0) + bytes([i]) * (20 + i)) for i in range(50)]
icmp = [ip(1, struct.pack("!BBHHH", 8, 0, 0, 1, i) + bytes(32)) for i in range(20)]
tcp = [ip(6, struct.pack("!HHIIBBHHH", 41000 + i, 80, i, 0, 5 << 4, 2, 8192, 0, 0)) for i in range(20)]

frames = [f for triple in zip(udp, icmp + [None] * 30, tcp + [None] * 30) for f in triple if f]
got = send_and_capture("lana_pa", "pa1", frames, "lana_pc", "pc1", 3, len(udp))
if got != udp:
    print("# lana_pc received %d frames; %d UDP frames sent; equal in order: %s"
          % (len(got), len(udp), got == udp))
    sys.exit(1)
print("# lana_pc received exactly the %d UDP frames sent, byte for byte (of %d frames)"
      % (len(udp), len(frames)))
PYEOF
}

case_path_counters() {
	# The UDP frames: 50 of 14 + 20 + 8 + (20 + i) bytes, i = 0..49.
	local bytes=$((50 * 62 + 49 * 50 / 2))
	expect_eq "pe passed" 90 "$(block_stat pe passed)" || return 1
	expect_eq "pf passed" 50 "$(block_stat pf passed)" || return 1
	expect_eq "pf dropped" 40 "$(block_stat pf dropped)" || return 1
	expect_eq "pt copies" 50 "$(block_stat pt copies)" || return 1
	expect_eq "pn packets" 50 "$(block_stat pn packets)" || return 1
	expect_eq "pn bytes" $bytes "$(block_stat pn bytes)" || return 1
	expect_eq "pcopy packets (the tee's copies)" 50 "$(block_stat pcopy packets)" || return 1
	expect_eq "pcopy bytes" $bytes "$(block_stat pcopy bytes)" || return 1
	expect_eq "px tx_packets" 50 "$(block_stat px tx_packets)" || return 1
	expect_eq "px tx_bytes" $bytes "$(block_stat px tx_bytes)"
}

case_path_teardown() {
	for b in pe pf pt pn pcopy px; do
		lanactl rm --cascade $b || fail "rm $b failed"
	done
	rmmod lana || fail "rmmod failed"
	ip link del pa0
	ip link del pc0
	ip netns del lana_pa
	ip netns del lana_pc
}

run_case "lana_pa -> eth -> bpf(udp) -> tee -> counter -> xmit -> lana_pc: exactly the UDP frames arrive" case_path
run_case "every counter on the path matches the frames sent" case_path_counters
run_case "path teardown" case_path_teardown
