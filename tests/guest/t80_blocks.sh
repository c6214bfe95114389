# shellcheck shell=bash
# The block library: eth (addressing, promiscuity, EtherType, malformed
# frames), host (the Linux stack keeps working behind a graph), counter
# reset. Sourced by suite.sh.

BDEV=lana_b0
PY=/usr/bin/python3

case_blocks_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $BDEV type dummy && ip link set $BDEV up || fail "cannot create $BDEV"
	lanactl add e eth && lanactl add c counter && lanactl bind c e &&
		lanactl attach $BDEV e || fail "building $BDEV -> eth e -> counter c failed"
}

case_eth_addressing() {
	local mac
	mac=$(cat /sys/class/net/$BDEV/address)
	PKTGEN_DST_MAC=$mac pktgen_inject $BDEV 1000 || return 1
	PKTGEN_DST_MAC=ff:ff:ff:ff:ff:ff pktgen_inject $BDEV 200 || return 1
	pktgen_inject $BDEV 500 || return 1 # another host's MAC
	expect_eq "e passed (ours + broadcast)" 1200 "$(block_stat e passed)" || return 1
	expect_eq "e other_host" 500 "$(block_stat e other_host)" || return 1
	expect_eq "c packets" 1200 "$(block_stat c packets)" || return 1
	expect_eq "engine drop_other_host" 500 "$(engine_stat drop_other_host)" || return 1
	lanactl set e promisc=on || return 1
	pktgen_inject $BDEV 300 || return 1
	expect_eq "e passed in promiscuous mode" 1500 "$(block_stat e passed)"
}

case_eth_ethertype() {
	lanactl set e ethertype=0x86dd || return 1
	pktgen_inject $BDEV 100 || return 1 # IPv4
	expect_eq "e filtered (IPv4 vs 0x86dd)" 100 "$(block_stat e filtered)" || return 1
	lanactl set e ethertype=0x0800 || return 1
	pktgen_inject $BDEV 100 || return 1
	expect_eq "e passed (IPv4 vs 0x0800)" 1600 "$(block_stat e passed)" || return 1
	expect_eq "get e" "promisc=on
ethertype=0x0800
dst=ff:ff:ff:ff:ff:ff" "$(lanactl get e)" || return 1
	refused_unchanged "promisc 'maybe' is not on or off" lanactl set e promisc=maybe || return 1
	refused_unchanged "ethertype '0x05ff' is not any or 0x0600-0xffff" lanactl set e ethertype=0x05ff || return 1
	refused_unchanged "ethertype 'ip' is not any" lanactl set e ethertype=ip || return 1
	lanactl set e ethertype=any promisc=off
}

# A tun device in TUN mode has no link-layer header: what eth receives from
# it is malformed for Ethernet.
case_eth_malformed() {
	# Without systemd (the stock kernel's guest root) no static node
	# loads tun on open: load it.
	[ -c /dev/net/tun ] || modprobe tun 2>/dev/null
	[ -c /dev/net/tun ] || { skip "no /dev/net/tun"; return; }
	lanactl add em eth && lanactl add cm counter && lanactl bind cm em || return 1
	$PY - <<'PYEOF' || fail "writing to the tun device failed"
import fcntl, os, struct, subprocess, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"lana_tun0", 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
subprocess.run(["ip", "link", "set", "lana_tun0", "up"], check=True)
subprocess.run([os.environ["LANACTL"], "attach", "lana_tun0", "em"], check=True)
ip = bytes.fromhex("4500001c00000000401100000a0000010a000002") + bytes(8)
for _ in range(5):
    os.write(fd, ip)
time.sleep(0.5)
subprocess.run([os.environ["LANACTL"], "detach", "lana_tun0"], check=True)
os.close(fd)
PYEOF
	expect_eq "em malformed" 5 "$(block_stat em malformed)" || return 1
	expect_eq "cm packets" 0 "$(block_stat cm packets)" || return 1
	lanactl unbind cm em && lanactl rm cm && lanactl rm em
}

case_counter_reset() {
	local before
	before=$(block_stat c packets)
	[ "$before" -gt 0 ] || fail "nothing counted before the reset"
	lanactl reset c || fail "reset failed"
	expect_eq "c packets after reset" 0 "$(block_stat c packets)" || return 1
	PKTGEN_DST_MAC=$(cat /sys/class/net/$BDEV/address) pktgen_inject $BDEV 10 || return 1
	expect_eq "c packets after 10 more" 10 "$(block_stat c packets)" || return 1
	# Every block type with counters resets, and with them the engine's
	# counts of the walks through the block, which every block has.
	[ "$(block_stat e walk_start_up)" -gt 0 ] || fail "no walks counted at e"
	lanactl reset e || fail "reset e failed"
	expect_eq "e passed after reset" 0 "$(block_stat e passed)" || return 1
	expect_eq "e walk_start_up after reset" 0 "$(block_stat e walk_start_up)" || return 1
	lanactl add fw forward || return 1
	lanactl reset fw || fail "reset of a block with only walk counts failed"
	expect_eq "fw walk_start_up" 0 "$(block_stat fw walk_start_up)" || return 1
	lanactl rm fw
}

# ping and TCP between a namespace and this host keep working with the
# host's device attached to eth -> counter -> host, and the counter sees
# the traffic.
case_host_keeps_the_stack_working() {
	command -v ping >/dev/null || { skip "ping not installed"; return; }
	ip netns add lana_hn && ip link add lana_h0 type veth peer name lana_h1 netns lana_hn &&
		ip addr add 10.99.0.1/24 dev lana_h0 && ip link set lana_h0 up &&
		ip -n lana_hn addr add 10.99.0.2/24 dev lana_h1 && ip -n lana_hn link set lana_h1 up &&
		ip -n lana_hn link set lo up || fail "cannot build the veth pair"
	lanactl add he eth && lanactl add hc counter && lanactl add hh host &&
		lanactl bind hc he && lanactl bind hh hc && lanactl attach lana_h0 he || return 1
	ip netns exec lana_hn ping -c 3 -W 5 10.99.0.1 >/dev/null || fail "ping through the graph failed"
	$PY - <<'PYEOF' || fail "TCP through the graph failed"
import os, socket, subprocess, threading
payload = os.urandom(200000)
srv = socket.socket()
srv.bind(("10.99.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
got = bytearray()
def serve():
    conn, _ = srv.accept()
    while chunk := conn.recv(65536):
        got.extend(chunk)
    conn.close()
t = threading.Thread(target=serve)
t.start()
client = ("import socket,sys; s=socket.create_connection(('10.99.0.1', %d)); "
          "s.sendall(sys.stdin.buffer.read()); s.close()" % port)
subprocess.run(["ip", "netns", "exec", "lana_hn", "/usr/bin/python3", "-c", client],
               input=payload, check=True, timeout=60)
t.join(60)
assert bytes(got) == payload, "%d bytes received of %d" % (len(got), len(payload))
PYEOF
	local seen delivered i
	# The connection's last segments (and neighbour probes) may still be
	# crossing: read once the counts have settled.
	for i in $(seq 50); do
		seen=$(block_stat hc packets) delivered=$(block_stat hh delivered)
		[ "$seen" = "$delivered" ] && [ "$seen" = "$(block_stat hc packets)" ] && break
		sleep 0.2
	done
	[ "$seen" -ge 10 ] || fail "hc counted only $seen packets"
	expect_eq "host delivered (all the counter saw)" "$seen" "$delivered" || return 1
	echo "# $seen packets (ping, ARP, TCP) went through eth -> counter -> host"
	lanactl rm --cascade he && lanactl rm --cascade hc && lanactl rm hh || return 1
	ip netns del lana_hn
}

case_blocks_teardown() {
	lanactl rm --cascade e && lanactl rm c || fail "teardown failed"
	rmmod lana || fail "rmmod failed"
	ip link del $BDEV
}

run_case "blocks setup: $BDEV -> eth e -> counter c" case_blocks_setup
run_case "eth accepts ours and broadcast, drops other hosts unless promisc" case_eth_addressing
run_case "eth filters by EtherType; bad values are refused" case_eth_ethertype
run_case "eth drops frames without an Ethernet header, counted" case_eth_malformed
run_case "counter reset starts from zero without disturbing traffic" case_counter_reset
run_case "host: ping and TCP work through eth -> counter -> host" case_host_keeps_the_stack_working
run_case "blocks teardown" case_blocks_teardown
