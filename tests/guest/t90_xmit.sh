# shellcheck shell=bash
# xmit: frames received on one veth leave on another, byte for byte; the
# device is let go when it unregisters. Sourced by suite.sh.

PY=/usr/bin/python3

# Namespace lana_xa sends over lana_x1 -> lana_x0 (this namespace, attached);
# the graph transmits on lana_y0 -> lana_y1, in namespace lana_xc.
case_xmit_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip netns add lana_xa && ip netns add lana_xc || fail "no namespaces"
	ip link add lana_x0 type veth peer name lana_x1 netns lana_xa &&
		ip link add lana_y0 type veth peer name lana_y1 netns lana_xc &&
		ip link set lana_x0 up && ip link set lana_y0 up &&
		ip -n lana_xa link set lana_x1 up && ip -n lana_xc link set lana_y1 up ||
		fail "cannot build the veth pairs"
	# Only the test's EtherType: the veths' own IPv6 chatter stays out.
	lanactl add xe eth ethertype=0x88b5 && lanactl add xc counter && lanactl add xo xmit dev=lana_y0 &&
		lanactl bind xc xe && lanactl bind xo xc && lanactl attach lana_x0 xe ||
		fail "building lana_x0 -> eth -> counter -> xmit(lana_y0) failed"
	expect_eq "get xo" "dev=lana_y0" "$(lanactl get xo)"
}

# Sends N frames of EtherType 0x88b5 (local experimental) from lana_xa and
# captures them in lana_xc; prints the number captured that match byte for
# byte what was sent.
send_and_capture() {
	local n=$1 dst
	dst=$(cat /sys/class/net/lana_x0/address)
	LANA_N=$n LANA_DST=$dst PYTHONPATH=$(dirname "$0") $PY - <<'PYEOF'
import os
from frames import send_and_capture
n, dst = int(os.environ["LANA_N"]), bytes.fromhex(os.environ["LANA_DST"].replace(":", ""))
frames = [dst + bytes.fromhex("020000000001") + b"\x88\xb5" + i.to_bytes(4, "big") + bytes(range(i % 200, i % 200 + 50)) for i in range(n)]
got = send_and_capture("lana_xa", "lana_x1", frames, "lana_xc", "lana_y1", 0x88b5, n)
sent = set(frames)
print(sum(1 for g in got if g in sent), len(got))
PYEOF
}

case_xmit_forwards_byte_for_byte() {
	local result
	result=$(send_and_capture 200) || fail "capture failed"
	expect_eq "frames captured byte for byte, of all captured" "200 200" "$result" || return 1
	expect_eq "xo tx_packets" 200 "$(block_stat xo tx_packets)" || return 1
	# 14 + 4 + 50 bytes each, padded by nothing (veth does not pad).
	expect_eq "xo tx_bytes" $((200 * 68)) "$(block_stat xo tx_bytes)" || return 1
	expect_eq "xc packets" 200 "$(block_stat xc packets)"
}

case_xmit_refusals() {
	refused_unchanged "dev: no device 'nosuch'" lanactl set xo dev=nosuch || return 1
	expect_eq "get xo after a refusal" "dev=lana_y0" "$(lanactl get xo)"
}

case_xmit_lets_go_of_an_unregistering_device() {
	# If xmit kept its reference this would hang in netdev_wait_allrefs.
	timeout 30 ip link del lana_y0 || fail "deleting lana_y0 did not complete"
	expect_eq "get xo after the device went" "dev=none" "$(lanactl get xo)" || return 1
	local before dst
	before=$(block_stat xo no_device)
	dst=$(cat /sys/class/net/lana_x0/address | tr -d :)
	ip netns exec lana_xa $PY -c "
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('lana_x1', 0))
for i in range(20):
    s.send(bytes.fromhex('$dst' + '020000000001' + '88b5') + bytes(50))
" || fail "sending failed"
	expect_eq "xo no_device" $((before + 20)) "$(block_stat xo no_device)"
}

case_xmit_teardown() {
	lanactl rm --cascade xe && lanactl rm --cascade xc && lanactl rm xo || fail "teardown failed"
	rmmod lana || fail "rmmod failed"
	ip link del lana_x0
	ip netns del lana_xa
	ip netns del lana_xc
}

run_case "xmit setup: lana_x0 -> eth -> counter -> xmit(lana_y0)" case_xmit_setup
run_case "xmit sends every received frame out byte for byte" case_xmit_forwards_byte_for_byte
run_case "xmit refuses an unknown device and keeps its own" case_xmit_refusals
run_case "xmit lets go of an unregistering device, then drops counted" case_xmit_lets_go_of_an_unregistering_device
run_case "xmit teardown" case_xmit_teardown
