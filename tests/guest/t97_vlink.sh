# shellcheck shell=bash
# lana devices (`ip link add NAME type lana`) as graph endpoints, and the
# egress direction: two namespaces, each with lana0 over one side of a veth
# pair and the graph lana0 <-> eth <-> counter <-> veth. Ping and TCP cross
# both ways; eth pushes the Ethernet header on the way down. Sourced by
# suite.sh.

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

case_vlink_type() {
	local out
	insmod "$MODULE" || fail "insmod failed"
	ip link add lv0 type lana || fail "ip link add type lana failed"
	out=$(ip -d link show lv0)
	grep -q "lana" <<<"$out" || fail "ip -d link does not show the lana kind: $out"
	grep -q "NOARP" <<<"$out" || fail "a lana device is NOARP (L3): $out"
	ip link set lv0 up || fail "cannot set lv0 up"
	expect_eq "carrier before attach" 0 "$(cat /sys/class/net/lv0/carrier)" || return 1
	lanactl add lvf forward && lanactl attach lv0 lvf || fail "cannot attach lv0"
	expect_eq "carrier once attached" 1 "$(cat /sys/class/net/lv0/carrier)" || return 1
	lanactl detach lv0 || fail "detach failed"
	expect_eq "carrier after detach" 0 "$(cat /sys/class/net/lv0/carrier)" || return 1
	ip link set lv0 mtu 9000 || fail "cannot set the MTU"
	ip link del lv0 || fail "ip link del failed"
	lanactl rm lvf
}

case_vlink_lanactl() {
	local out
	lanactl vlink add lv2 --mtu 1400 || fail "lanactl vlink add failed"
	out=$(ip -d link show lv2)
	grep -q "mtu 1400" <<<"$out" || fail "no MTU 1400: $out"
	grep -q "lana" <<<"$out" || fail "not a lana device: $out"
	expect_refusal "a device named 'lv2' exists" lanactl vlink add lv2 || return 1
	expect_refusal "longer than 15 bytes" lanactl vlink add lv-name-16-bytes || return 1
	ip link add lvx0 type veth peer name lvx1 || fail "no veth"
	expect_refusal "'lvx0' is not a lana device (veth)" lanactl vlink del lvx0 ||
		return 1
	[ -e /sys/class/net/lvx0 ] || fail "lanactl vlink del deleted a veth"
	ip link del lvx0
	# Deleting an attached lana device detaches it first.
	lanactl add lvf2 forward && lanactl attach lv2 lvf2 || fail "cannot attach lv2"
	lanactl vlink del lv2 || fail "lanactl vlink del failed"
	[ ! -e /sys/class/net/lv2 ] || fail "lv2 still exists"
	[ -z "$(lanactl attachments | grep lv2)" ] || fail "lv2 still attached"
	expect_refusal "no device named 'lv2'" lanactl vlink del lv2 || return 1
	lanactl rm lvf2
}

# unbind guards a lana device's traffic as it guards a real device's: the
# lana device sends down from the top, through every binding below it.
case_vlink_unbind_in_use() {
	lanactl vlink add lv3 || fail "lanactl vlink add failed"
	lanactl add lvu1 forward && lanactl add lvu2 forward && lanactl add lvu3 forward &&
		lanactl bind lvu1 lvu2 && lanactl bind lvu2 lvu3 && lanactl attach lv3 lvu1 ||
		fail "building lv3 -> lvu1 -> lvu2 -> lvu3 failed"
	refused_unchanged "'lvu2' above 'lvu3' carries device 'lv3' traffic" \
		lanactl unbind lvu2 lvu3 || return 1
	refused_unchanged "'lvu1' above 'lvu2' carries device 'lv3' traffic" \
		lanactl unbind lvu1 lvu2 || return 1
	lanactl unbind --force lvu2 lvu3 || fail "unbind --force failed"
	lanactl vlink del lv3 && lanactl unbind lvu1 lvu2 &&
		lanactl rm lvu1 && lanactl rm lvu2 && lanactl rm lvu3 ||
		fail "teardown failed"
}

# Starts `lanactl monitor --count $1` in lana_vb, writing to
# /tmp/lana_vlink_events, and waits until it listens: MONITOR_PID.
monitor_vb() {
	local i err=/tmp/lana_vlink_monitor.err
	in_ns lana_vb timeout 20 "$LANACTL" monitor --count "$1" >/tmp/lana_vlink_events 2>$err &
	MONITOR_PID=$!
	for i in $(seq 100); do
		grep -q "monitoring events" $err && break
		sleep 0.1
	done
}

# Floods address $2 with pings from namespace $1 (at most 8 s), in the
# background: FLOOD_PID.
flood() {
	in_ns "$1" ping -q -f -w 8 "$2" >/dev/null 2>&1 &
	FLOOD_PID=$!
	sleep 0.5
}

stop_flood() {
	kill "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
	true
}

# Builds ns $1: lana0 with address $2 over veth $3, whose peer has MAC $4.
vlink_side() {
	local ns=$1 addr=$2 dev=$3 peer_mac=$4
	in_ns "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" &&
		in_ns "$ns" ip link set "$dev" up &&
		in_ns "$ns" ip link add lana0 type lana &&
		in_ns "$ns" sysctl -qw net.ipv6.conf.lana0.disable_ipv6=1 &&
		in_ns "$ns" ip addr add "$addr/24" dev lana0 &&
		in_ns "$ns" ip link set lana0 up || fail "$ns: device setup failed"
	in_ns "$ns" "$LANACTL" add e eth "dst=$peer_mac" ethertype=0x0800 &&
		in_ns "$ns" "$LANACTL" add c counter &&
		in_ns "$ns" "$LANACTL" bind e c &&
		in_ns "$ns" "$LANACTL" attach "$dev" c &&
		in_ns "$ns" "$LANACTL" attach lana0 e || fail "$ns: graph setup failed"
}

case_vlink_ping() {
	local mac_a mac_b
	ip netns add lana_va && ip netns add lana_vb || fail "no namespaces"
	ip link add va0 netns lana_va type veth peer name vb0 netns lana_vb || fail "no veth"
	mac_a=$(in_ns lana_va cat /sys/class/net/va0/address)
	mac_b=$(in_ns lana_vb cat /sys/class/net/vb0/address)
	vlink_side lana_va 10.78.0.1 va0 "$mac_b" || return 1
	vlink_side lana_vb 10.78.0.2 vb0 "$mac_a" || return 1
	expect_eq "attachments and their sides" "va0 c bottom
lana0 e top" "$(in_ns lana_va "$LANACTL" attachments | awk '{ print $1, $3, $4 }')" || return 1
	in_ns lana_va ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null ||
		fail "ping lana_va -> lana_vb over lana0 failed"
	in_ns lana_vb ping -c 3 -i 0.2 -W 2 10.78.0.1 >/dev/null ||
		fail "ping lana_vb -> lana_va over lana0 failed"
}

# The header eth pushed on the way down: destination the configured MAC,
# source the MAC of the device below, IPv4.
case_vlink_header() {
	local mac_a mac_b
	mac_a=$(in_ns lana_va cat /sys/class/net/va0/address)
	mac_b=$(in_ns lana_vb cat /sys/class/net/vb0/address)
	LANA_SRC=$mac_a LANA_DST=$mac_b /usr/bin/python3 - <<'PYEOF' || fail "the header is not as configured"
import os, socket, subprocess, sys

src = bytes.fromhex(os.environ["LANA_SRC"].replace(":", ""))
dst = bytes.fromhex(os.environ["LANA_DST"].replace(":", ""))
capture = subprocess.Popen(["ip", "netns", "exec", "lana_vb", "/usr/bin/python3", "-c", """
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("vb0", 0))
s.settimeout(60)
print("ready", flush=True)
data, addr = s.recvfrom(4096)
print(data[:14].hex(), flush=True)
"""], stdout=subprocess.PIPE, text=True)
assert capture.stdout.readline().strip() == "ready"
subprocess.run(["ip", "netns", "exec", "lana_va", "ping", "-c", "1", "-W", "2", "10.78.0.2"],
               stdout=subprocess.DEVNULL, check=True)
header = bytes.fromhex(capture.stdout.readline().strip())
capture.wait()
want = dst + src + b"\x08\x00"
if header != want:
    print("# got header %s, expected %s" % (header.hex(), want.hex()))
    sys.exit(1)
print("# header %s: dst as configured, src va0's MAC, IPv4" % header.hex())
PYEOF
}

case_vlink_tcp() {
	in_ns lana_vb /usr/bin/python3 - <<'PYEOF' || fail "TCP transfer over lana0 failed"
import hashlib, socket, subprocess, sys

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.78.0.2", 5001))
srv.listen(1)
data = bytes((i * 7) & 0xFF for i in range(300000))
client = subprocess.Popen(["ip", "netns", "exec", "lana_va", "/usr/bin/python3", "-c", """
import socket, sys
c = socket.create_connection(("10.78.0.2", 5001), timeout=20)
c.sendall(bytes((i * 7) & 0xFF for i in range(300000)))
c.shutdown(socket.SHUT_WR)
print(c.recv(100).decode(), flush=True)
"""], stdout=subprocess.PIPE, text=True)
srv.settimeout(20)
conn, _ = srv.accept()
conn.settimeout(20)
got = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
conn.sendall(hashlib.sha256(got).hexdigest().encode())
conn.close()
reply = client.stdout.read().strip()
client.wait()
if got != data or reply != hashlib.sha256(data).hexdigest():
    print("# received %d of %d bytes; digest echoed %s" % (len(got), len(data), reply))
    sys.exit(1)
print("# 300000 bytes over TCP, lana_va -> lana_vb, intact")
PYEOF
}

# Every packet that crossed lana0 crossed the counter below eth, with 14
# bytes of Ethernet header more on the wire side; nothing was dropped.
vlink_snapshot() {
	local ns
	for ns in lana_va lana_vb; do
		in_ns "$ns" cat /sys/class/net/lana0/statistics/tx_packets \
			/sys/class/net/lana0/statistics/rx_packets
		in_ns "$ns" "$LANACTL" stats c
	done
}

case_vlink_counters() {
	local ns stats tx_p tx_b rx_p rx_b packets bytes i before
	# The connection's last segments may still be crossing: wait until
	# nothing moves.
	before=$(vlink_snapshot)
	for i in $(seq 30); do
		sleep 0.3
		[ "$before" = "$(vlink_snapshot)" ] && break
		before=$(vlink_snapshot)
	done
	for ns in lana_va lana_vb; do
		stats=$(in_ns "$ns" cat /sys/class/net/lana0/statistics/tx_packets \
			/sys/class/net/lana0/statistics/tx_bytes \
			/sys/class/net/lana0/statistics/rx_packets \
			/sys/class/net/lana0/statistics/rx_bytes)
		read -r tx_p tx_b rx_p rx_b <<<"$(echo $stats)"
		packets=$(in_ns "$ns" "$LANACTL" stats c | awk '$1 == "packets" { print $2 }')
		bytes=$(in_ns "$ns" "$LANACTL" stats c | awk '$1 == "bytes" { print $2 }')
		# One side sent the stream, the other its acknowledgements.
		[ "$tx_p" -gt 6 ] && [ "$rx_p" -gt 6 ] && [ $((tx_p + rx_p)) -gt 200 ] ||
			fail "$ns: lana0 tx $tx_p rx $rx_p: too few"
		expect_eq "$ns: counter packets = lana0 tx + rx" $((tx_p + rx_p)) "$packets" || return 1
		expect_eq "$ns: counter bytes = lana0 bytes + 14 per packet" \
			$((tx_b + rx_b + 14 * (tx_p + rx_p))) "$bytes" || return 1
		expect_eq "$ns: eth sent" "$tx_p" \
			"$(in_ns "$ns" "$LANACTL" stats e | awk '$1 == "sent" { print $2 }')" || return 1
		expect_eq "$ns: eth passed" "$rx_p" \
			"$(in_ns "$ns" "$LANACTL" stats e | awk '$1 == "passed" { print $2 }')" || return 1
		expect_eq "$ns: engine transmitted" "$tx_p" \
			"$(in_ns "$ns" "$LANACTL" stats | awk '$1 == "transmitted" { print $2 }')" || return 1
		expect_eq "$ns: engine delivered" "$rx_p" \
			"$(in_ns "$ns" "$LANACTL" stats | awk '$1 == "delivered" { print $2 }')" || return 1
		echo "# $ns: lana0 tx $tx_p rx $rx_p packets; counter $packets packets $bytes bytes"
	done
}

case_vlink_eth_keys() {
	local ns=lana_va
	expect_refusal "block 'e': dst 'zz' is not a MAC address" \
		in_ns $ns "$LANACTL" set e dst=zz || return 1
	expect_refusal "dst '01:02:03:04:05' is not a MAC address" \
		in_ns $ns "$LANACTL" set e dst=01:02:03:04:05 || return 1
	expect_refusal "dst '01:02:03:04:05:06:07' is not a MAC address" \
		in_ns $ns "$LANACTL" set e dst=01:02:03:04:05:06:07 || return 1
	# All or nothing: a bad key leaves the good one unset.
	expect_refusal "ethertype 'ip' is not any" \
		in_ns $ns "$LANACTL" set e dst=02:00:00:00:00:01 ethertype=ip || return 1
	expect_eq "config unchanged by refusals" \
		"promisc=off ethertype=0x0800 dst=$(in_ns lana_vb cat /sys/class/net/vb0/address)" \
		"$(in_ns $ns "$LANACTL" get e | tr '\n' ' ' | sed 's/ $//')"
}

# Egress with no device below: dropped and counted, not lost silently.
case_vlink_no_bottom() {
	local before after
	in_ns lana_va "$LANACTL" detach va0 || fail "detach va0 failed"
	before=$(in_ns lana_va "$LANACTL" stats | awk '$1 == "drop_no_next" { print $2 }')
	in_ns lana_va ping -c 2 -i 0.2 -W 1 10.78.0.2 >/dev/null && fail "ping crossed a graph with no device below"
	after=$(in_ns lana_va "$LANACTL" stats | awk '$1 == "drop_no_next" { print $2 }')
	expect_eq "egress packets with no way down, counted" $((before + 2)) "$after"
}

# Item 4 of the lana devices' lifecycle, each path under a ping flood:
# removing the block a lana device is attached to, deleting the device,
# deleting its namespace, unloading the module.
case_vlink_teardown() {
	local events mac_a
	in_ns lana_va "$LANACTL" attach va0 c || fail "cannot attach va0 again"
	# The block under lana0 removed while packets cross it: detach, unbind
	# and rm, in that order.
	monitor_vb 3
	flood lana_va 10.78.0.2
	in_ns lana_vb "$LANACTL" rm --cascade e || fail "rm --cascade e failed"
	wait $MONITOR_PID
	events=$(awk '{ print $1, $2 }' /tmp/lana_vlink_events | tr '\n' ' ')
	expect_eq "events of rm --cascade under traffic" "detach block=e unbind block=e rm block=e " \
		"$events" || return 1
	expect_eq "lana0 carrier once its block is gone" 0 \
		"$(in_ns lana_vb cat /sys/class/net/lana0/carrier)" || return 1
	mac_a=$(in_ns lana_va cat /sys/class/net/va0/address)
	in_ns lana_vb "$LANACTL" add e eth "dst=$mac_a" ethertype=0x0800 &&
		in_ns lana_vb "$LANACTL" bind e c &&
		in_ns lana_vb "$LANACTL" attach lana0 e || fail "cannot rebuild lana_vb's graph"
	stop_flood
	in_ns lana_va ping -c 2 -i 0.2 -W 2 10.78.0.2 >/dev/null ||
		fail "traffic did not resume once the block was back"
	# lana0 deleted under traffic: dev_down, then dev_unregister.
	monitor_vb 2
	flood lana_va 10.78.0.2
	in_ns lana_vb ip link del lana0 || fail "ip link del lana0 failed"
	wait $MONITOR_PID
	stop_flood
	events=$(cat /tmp/lana_vlink_events)
	grep -q "dev_unregister block=e.*dev=lana0" <<<"$events" || fail "no dev_unregister event: $events"
	[ -z "$(in_ns lana_vb "$LANACTL" attachments | grep lana0)" ] || fail "lana0 still attached"
	# A namespace with a lana device attached goes away whole, while the
	# other floods it.
	in_ns lana_vb ip link add lana0 type lana &&
		in_ns lana_vb ip addr add 10.78.0.2/24 dev lana0 &&
		in_ns lana_vb ip link set lana0 up &&
		in_ns lana_vb "$LANACTL" attach lana0 e || fail "cannot rebuild lana_vb's lana0"
	flood lana_vb 10.78.0.1
	ip netns del lana_va || fail "netns del failed"
	sleep 1
	stop_flood
	# Unloading deletes every lana device, attached or not, while one sends.
	ip link add lv1 type lana && ip addr add 10.79.0.1/24 dev lv1 && ip link set lv1 up &&
		lanactl add lvt forward && lanactl attach lv1 lvt || fail "cannot attach lv1"
	ping -q -f -w 8 10.79.0.2 >/dev/null 2>&1 &
	FLOOD_PID=$!
	sleep 0.5
	ip netns del lana_vb
	rmmod lana || fail "rmmod failed"
	stop_flood
	[ ! -e /sys/class/net/lv1 ] || fail "lv1 outlived the module"
	expect_refusal "module is not loaded" \
		lanactl vlink add lv3 || return 1
}

run_case "ip link add type lana: kind, NOARP, carrier follows attach" case_vlink_type
run_case "lanactl vlink add/del: MTU, refusals, an attached device" case_vlink_lanactl
run_case "unbind refuses to cut a lana device's traffic unless --force" case_vlink_unbind_in_use
run_case "two namespaces: ping both ways over lana0 <-> eth <-> counter <-> veth" case_vlink_ping
run_case "eth egress pushes dst=, the egress device's MAC, the EtherType" case_vlink_header
run_case "TCP over lana0 between the namespaces" case_vlink_tcp
run_case "lana0 statistics, counter, eth and engine agree" case_vlink_counters
run_case "eth dst= validation: refused, config unchanged" case_vlink_eth_keys
run_case "egress with no device below is dropped and counted" case_vlink_no_bottom
run_case "teardown under traffic: rm block, ip link del, netns del, rmmod" case_vlink_teardown
