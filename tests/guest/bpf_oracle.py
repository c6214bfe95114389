#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bpf oracle: for a deterministic capture of varied traffic and a list of
pcap filter expressions, the frames the kernel's bpf block passes must be
exactly the frames tcpdump (libpcap) matches in the capture file.

The capture holds untagged frames, 802.1Q-tagged frames (several VLAN ids,
IPv4, IPv6 and ARP inside, priority-tagged ones), 802.1ad QinQ, double
802.1Q and 0x9100 stacks, IPv6 extension headers, IPv4 and IPv6
fragments, ARP, and short frames (runts, truncated headers, an 802.3
length frame). They are sent over a veth pair into lana_o0, attached to
bpf ob -> counter oc -> xmit to lana_o2, whose peer lana_o3 captures what
left: for each expression (and each eBPF program of tests/bpf/filters.c,
against its equivalent expression) the bpf block's count, the bytes the
counter above it saw and the frames that left, byte for byte, tags
included, must equal what tcpdump -r matched. Any difference fails.

The kernel moves a frame's outer VLAN tag out of the data (skb->vlan_tci)
before rx_handlers run, whatever the device's rx-vlan-hw-parse says; the
whole run is made twice, with that offload on and off, to show it does not
matter; with it off a packet tap on lana_o0 shares every frame's data (the
block shows tagged frames through a copy then). Last, the eth block's
ethertype= is checked on the same capture.
Usage: bpf_oracle.py LANACTL [BPF_PIN FILTERS_OBJECT]
"""

import os
import random
import socket
import struct
import subprocess
import sys
import tempfile

from frames import (TPID_8021AD, TPID_8021Q, TPID_QINQ_OLD, arp, eth, ipv4, ipv6,
                    ipv6_frag, ipv6_opts, ipv6_routing, read_pcap, tcp, udp, write_pcap)

LANACTL = sys.argv[1]
PIN, OBJECT = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else (None, None)
EXPRESSIONS = [
    "udp",
    "tcp",
    "icmp",
    "arp",
    "ip6",
    "udp and dst port 53",
    "tcp port 80 or tcp port 443",
    "net 10.1.0.0/16",
    "host 10.1.2.3",
    "len > 200",
    "ether broadcast",
    "tcp[tcpflags] & tcp-syn != 0",
    "ip and not udp",
    "ip proto 17",
    # Tags: libpcap reads them in the frame, where the wire had them.
    "vlan",
    "vlan 10",
    "vlan 10 and udp",
    "vlan and ip",
    "vlan 100 and vlan 10 and udp",
    "vlan and arp",
    "ip[8] < 64",
    "udp portrange 1000-2000",
    "net 10.1.0.0/16 and not port 22",
    "ip[6:2] & 0x3fff != 0",
    "ip6 and udp",
    "ip6 and udp port 53",
    "ip6[6] = 44",
    "len < 60",
    "ether[12:2] < 1536",
]

# eBPF socket filters of tests/bpf/filters.c and the expression each is
# equivalent to.
EBPF_EQUIVALENTS = [
    ("udp_only", "ip proto 17"),
    ("arp_only", "arp"),
    ("ip6_only", "ip6"),
    ("vlan_only", "vlan"),
    ("vlan10_udp", "vlan 10 and ip proto 17"),
    ("wire_view", "ether[12:2] >= 1536"),
]

# The eth block's ethertype= and the frames it accepts, as an expression:
# the EtherType after the outer VLAN tag, which the kernel has taken out of
# the frame (a QinQ frame's inner tag is 0x8100); a 0x9100 tag stays.
VLAN_OUTER = "(ether proto 0x8100 or ether proto 0x88a8)"
ETH_ETHERTYPES = [
    (t, f"(ether proto {t} and not {VLAN_OUTER}) or ({VLAN_OUTER} and ether[16:2] = {t})")
    for t in ("0x0800", "0x86dd", "0x0806", "0x8100")
] + [("0x9100", "ether proto 0x9100")]

OURS = bytes.fromhex("020000000010")
PEER = bytes.fromhex("020000000020")
BCAST = b"\xff" * 6
MCAST = bytes.fromhex("01005e000001")
ADDRS = ["10.1.2.3", "10.1.9.9", "10.2.0.1", "192.0.2.7"]


def untagged_frames():
    """Untagged IPv4, IPv6, ARP (seeded: the same every run)."""
    rng = random.Random(4711)
    out = []
    for i in range(240):
        src = rng.choice(ADDRS)
        dst = rng.choice(ADDRS)
        data = bytes(rng.randrange(0, 400))
        kind = i % 8
        if kind == 0:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, udp(rng.randrange(1024, 65535), rng.choice([53, 123, 5000]), data)))
        elif kind == 1:
            flags = rng.choice([0x02, 0x10, 0x12, 0x18])
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 6, tcp(rng.randrange(1024, 65535), rng.choice([22, 80, 443, 8080]), flags, data)))
        elif kind == 2:
            p = eth(rng.choice([OURS, BCAST]), PEER, 0x0800, ipv4(src, dst, 1, struct.pack("!BBHHH", 8, 0, 0, 1, i) + data))
        elif kind == 3:
            p = eth(BCAST, PEER, 0x0806, arp(rng.choice([1, 2]), PEER, src, dst))
        elif kind == 4:
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 17, udp(4000, rng.choice([53, 547]), data)))
        elif kind == 5:
            p = eth(MCAST, PEER, 0x0800, ipv4(src, "224.0.0.1", 17, udp(5353, 5353, data)))
        elif kind == 6:
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::3", "2001:db8::4", 6, tcp(5555, 443, 0x02, data)))
        else:
            # A second IPv4 fragment: no UDP header to match ports on.
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, data + b"x" * 8, frag=0x0010))
        out.append(p)
    return out


def short_frames():
    """Runts and truncated headers. Every one reaches the rx_handler: a
    tagged frame has at least the 6 bytes after the Ethernet header the
    kernel's untagging needs (skb_vlan_untag)."""
    ip = ipv4("10.1.2.3", "10.1.9.9", 17, udp(1500, 53, b""))
    q10 = [(TPID_8021Q, 10)]
    return [
        eth(OURS, PEER, 0x0800, b""),  # a header and nothing
        eth(OURS, PEER, 0x0800, ip[:10]),  # half an IPv4 header
        eth(OURS, PEER, 0x0800, ip),  # a whole UDP datagram in 42 bytes
        eth(OURS, PEER, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 17, b"")[:24]),
        eth(BCAST, PEER, 0x0806, arp(1, PEER, "10.1.2.3", "10.1.9.9")[:20]),
        eth(OURS, PEER, 0x0800, b"\x45\x00", tags=q10),  # 20 bytes, tagged
        eth(OURS, PEER, 0x0800, ip[:16], tags=q10),
        eth(OURS, PEER, 0x0800, ip, tags=q10),
        eth(OURS, PEER, 0x8100, struct.pack("!HH", 10, 0x0800) + ip[:8], tags=[(TPID_8021AD, 100)]),
        # 802.3: a length, not an EtherType, then LLC.
        OURS + PEER + struct.pack("!H", 7) + b"\x42\x42\x03" + b"\0" * 4,
    ]


def tagged_frames():
    """802.1Q, QinQ and friends, IPv6 extension headers, fragments."""
    rng = random.Random(815)
    out = []
    for i in range(192):
        src = rng.choice(ADDRS)
        dst = rng.choice(ADDRS)
        data = bytes(rng.randrange(0, 300))
        ttl = rng.choice([1, 32, 63, 64, 128, 255])
        port = rng.choice([22, 53, 999, 1000, 1500, 2000, 2001, 5000])
        # VLAN ids with a priority now and then; one tag in 24 is 0
        # (priority-tagged) or all zero.
        vid = rng.choice([10, 10, 20, 100, 4094]) | (rng.choice([0, 0, 5]) << 13)
        vid = {0: 0xA000, 12: 0}.get(i % 24, vid)
        q = [(TPID_8021Q, vid)]
        qinq = [(TPID_8021AD, rng.choice([100, 200])), (TPID_8021Q, rng.choice([10, 20]))]
        kind = i % 16
        if kind == 0:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, udp(rng.randrange(1024, 65535), port, data), ttl=ttl), tags=q)
        elif kind == 1:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 6, tcp(port, 8080, rng.choice([0x02, 0x10]), data), ttl=ttl), tags=q)
        elif kind == 2:
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 17, udp(4000, port, data)), tags=q)
        elif kind == 3:
            p = eth(BCAST, PEER, 0x0806, arp(rng.choice([1, 2]), PEER, src, dst), tags=q)
        elif kind == 4:
            p = eth(rng.choice([OURS, BCAST]), PEER, 0x0800, ipv4(src, dst, 1, struct.pack("!BBHHH", 8, 0, 0, 1, i) + data, ttl=ttl), tags=q)
        elif kind == 5:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, udp(5000, port, data), ttl=ttl), tags=qinq)
        elif kind == 6:
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::3", "2001:db8::4", 6, tcp(port, 443, 0x02, data)), tags=qinq)
        elif kind == 7:
            # Two 802.1Q tags, then a 0x9100 one (the kernel leaves it).
            tags = [(TPID_8021Q, 100), (TPID_8021Q, 10)] if i % 32 < 16 else [(TPID_QINQ_OLD, 10)]
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, udp(6000, port, data), ttl=ttl), tags=tags)
        elif kind == 8:
            hop = ipv6_opts(17, udp(4000, port, data))
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::1", "2001:db8::5", 0, hop), tags=q if i % 32 < 16 else ())
        elif kind == 9:
            first = ipv6_frag(17, udp(4000, port, data), more=True)
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::1", "2001:db8::6", 44, first), tags=q if i % 32 < 16 else ())
        elif kind == 10:
            later = ipv6_frag(17, data + b"y" * 8, offset=rng.randrange(1, 100))
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::1", "2001:db8::6", 44, later), tags=q if i % 32 < 16 else ())
        elif kind == 11:
            ext = ipv6_opts(6, tcp(22, rng.randrange(1024, 65535), 0x18, data)) if i % 32 < 16 else ipv6_routing(17, udp(4000, port, data))
            p = eth(OURS, PEER, 0x86DD, ipv6("2001:db8::7", "2001:db8::8", 60 if i % 32 < 16 else 43, ext), tags=q if i % 48 < 24 else ())
        elif kind == 12:
            # A first IPv4 fragment (more fragments), ports readable.
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, udp(7000, port, data), frag=0x2000, ttl=ttl), tags=q if i % 32 < 16 else ())
        elif kind == 13:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, data + b"z" * 8, frag=0x0020, ttl=ttl), tags=q)
        elif kind == 14:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 17, udp(port, rng.choice([999, 1000, 2000, 2001]), data), ttl=ttl))
        else:
            p = eth(OURS, PEER, 0x0800, ipv4(src, dst, 6, tcp(rng.choice([22, 2222]), port, 0x10, data), ttl=ttl))
        out.append(p)
    return out


def frames():
    return untagged_frames() + tagged_frames() + short_frames()


def after_rx(frame):
    """FRAME's length as the graph counts it: without the outer tag the
    kernel took out of it (802.1Q, 802.1ad; not 0x9100)."""
    tpid = struct.unpack("!H", frame[12:14])[0]
    return len(frame) - (4 if tpid in (TPID_8021Q, TPID_8021AD) else 0)


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def stat(block, name):
    out = run(LANACTL, "stats", block)
    return int(next(l.split()[1] for l in out.splitlines() if l.startswith(name + " ")))


def matched(pcap, expr):
    """The frames of PCAP that tcpdump matches with EXPR, in order."""
    out = pcap + ".match"
    run("tcpdump", "-r", pcap, "-w", out, expr)
    return read_pcap(out)


SOL_PACKET, PACKET_AUXDATA, SO_RCVBUFFORCE = 263, 8, 33
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40


class Capture:
    """Frames received on DEV, with the VLAN tag the kernel keeps out of the
    data put back (from PACKET_AUXDATA, as libpcap does)."""

    def __init__(self, dev):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
        self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.sock.bind((dev, 0))

    def take(self, expect, wait=5.0):
        """What arrived: EXPECT frames (waiting up to WAIT s for each), then
        whatever more is queued."""
        got = []
        while True:
            self.sock.settimeout(wait if len(got) < expect else 0.2)
            try:
                data, anc, _, addr = self.sock.recvmsg(65536, socket.CMSG_SPACE(32))
            except (socket.timeout, BlockingIOError):
                return got
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            for level, kind, aux in anc:
                if level != SOL_PACKET or kind != PACKET_AUXDATA:
                    continue
                status = struct.unpack_from("I", aux)[0]
                tci, tpid = struct.unpack_from("HH", aux, 16)
                if status & TP_STATUS_VLAN_VALID:
                    tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else TPID_8021Q
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            got.append(data)


def quiet_veth(a, b):
    """A veth pair with nothing of its own to say (no IPv6 autoconfiguration)."""
    run("ip", "link", "add", a, "type", "veth", "peer", "name", b)
    for dev in (a, b):
        run("sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1")
        run("ip", "link", "set", dev, "addrgenmode", "none")
        run("ip", "link", "set", dev, "up")


def main():
    packets = frames()
    pcap = os.path.join(tempfile.mkdtemp(), "oracle.pcap")
    write_pcap(pcap, packets)
    quiet_veth("lana_o0", "lana_o1")
    quiet_veth("lana_o2", "lana_o3")
    run(LANACTL, "add", "ob", "bpf")
    run(LANACTL, "add", "oc", "counter")
    run(LANACTL, "add", "ox", "xmit", "dev=lana_o2")
    run(LANACTL, "bind", "oc", "ob")
    run(LANACTL, "bind", "ox", "oc")
    run(LANACTL, "attach", "lana_o0", "ob")
    sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sender.bind(("lana_o1", 0))
    capture = Capture("lana_o3")
    failures = 0
    tagged = sum(after_rx(p) != len(p) for p in packets)
    print(f"# capture: {len(packets)} frames, {tagged} with an outer 802.1Q/802.1ad tag")

    def send_all():
        for p in packets:
            sender.send(p)

    def check(program, setting, expr, mode, tap):
        expected = matched(pcap, expr)
        want_bytes = sum(after_rx(p) for p in expected)
        run(LANACTL, "set", "ob", setting)
        stray = capture.take(0)
        p0, b0 = stat("ob", "passed"), stat("oc", "bytes")
        send_all()
        got, got_bytes = stat("ob", "passed") - p0, stat("oc", "bytes") - b0
        left = capture.take(len(expected))
        # The tap's clone of every frame shares its data when the block
        # runs: each tagged one must have been shown through a copy.
        tapped = len(tap.take(len(packets))) if tap else len(packets)
        same = (got == len(expected) and got_bytes == want_bytes and left == expected
                and not stray and tapped == len(packets))
        detail = "" if left == expected else f"; {sum(a != b for a, b in zip(left, expected)) + abs(len(left) - len(expected))} frames left differing"
        detail += "" if tapped == len(packets) else f"; the tap saw {tapped} frames"
        print(f"# {'ok' if same else 'MISMATCH'}: {mode}: {program}: bpf block passed {got} "
              f"({got_bytes} bytes after it), tcpdump {expr!r} matched {len(expected)} "
              f"({want_bytes}) of {len(packets)}{detail}{'; stray frames before' if stray else ''}")
        return not same

    try:
        # Offload on: tagged frames are shown in place. Off, with a packet
        # tap on lana_o0 (as tcpdump -i would be): through a copy.
        for offload in ("on", "off"):
            run("ethtool", "-K", "lana_o0", "rxvlan", offload, "rx-vlan-stag-hw-parse", offload)
            state = [l.strip() for l in run("ethtool", "-k", "lana_o0").splitlines()
                     if l.strip().startswith(("rx-vlan-offload", "rx-vlan-stag-hw-parse"))]
            print(f"# lana_o0: {', '.join(state)}")
            tap = Capture("lana_o0") if offload == "off" else None
            mode = f"rxvlan {offload}" + (", tap" if tap else "")
            # Every frame reaches the block: without a program all pass.
            failures += check("no program", "pinned=none", "", mode, tap)
            for expr in EXPRESSIONS:
                failures += check(f"classic {expr!r}", f"filter={expr}", expr, mode, tap)
            if PIN and OBJECT:
                if subprocess.run(["mountpoint", "-q", "/sys/fs/bpf"]).returncode:
                    run("mount", "-t", "bpf", "bpf", "/sys/fs/bpf")
                names = [name for name, _ in EBPF_EQUIVALENTS]
                run(PIN, OBJECT, "/sys/fs/bpf", *names)
                try:
                    for name, expr in EBPF_EQUIVALENTS:
                        failures += check(f"eBPF {name}", f"pinned=/sys/fs/bpf/{name}", expr, mode, tap)
                finally:
                    run(LANACTL, "set", "ob", "pinned=none")
                    for name in names:
                        os.unlink(f"/sys/fs/bpf/{name}")
        # eth's ethertype=, on the same frames: eth oe -> counter oec.
        run(LANACTL, "detach", "lana_o0")
        run(LANACTL, "add", "oe", "eth", "promisc=on")
        run(LANACTL, "add", "oec", "counter")
        run(LANACTL, "bind", "oec", "oe")
        run(LANACTL, "attach", "lana_o0", "oe")
        for ethertype, expr in ETH_ETHERTYPES:
            expected = len(matched(pcap, expr))
            run(LANACTL, "set", "oe", f"ethertype={ethertype}")
            before = stat("oe", "passed")
            send_all()
            got = stat("oe", "passed") - before
            print(f"# {'ok' if got == expected else 'MISMATCH'}: eth ethertype={ethertype}: passed {got}, "
                  f"tcpdump {expr!r} matched {expected} of {len(packets)}")
            failures += got != expected
        no_memory = stat("ob", "no_memory")
        print(f"# bpf no_memory {no_memory}")
        failures += no_memory != 0
    finally:
        for block in ("ob", "oc", "ox", "oe", "oec"):
            subprocess.run([LANACTL, "rm", "--cascade", block], capture_output=True)
        run("ip", "link", "del", "lana_o0")
        run("ip", "link", "del", "lana_o2")
    print(f"# {failures} disagreement(s)")
    return 1 if failures else 0


sys.exit(main())
