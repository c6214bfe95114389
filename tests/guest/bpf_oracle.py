#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""bpf oracle: for a deterministic capture of varied traffic and a dozen pcap
filter expressions, the number of frames the kernel's bpf block passes must
equal the number tcpdump (libpcap) matches in the capture file.

The frames are sent over a veth pair into a device attached to a bpf block,
one expression at a time; then the same for eBPF programs (tests/bpf/
filters.c, pinned with aya) against their equivalent expressions.
Usage: bpf_oracle.py LANACTL [BPF_PIN FILTERS_OBJECT]
"""

import os
import random
import socket
import struct
import subprocess
import sys
import tempfile

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
]

# eBPF socket filters of tests/bpf/filters.c and the expression each is
# equivalent to.
EBPF_EQUIVALENTS = [
    ("udp_only", "ip proto 17"),
    ("arp_only", "arp"),
    ("ip6_only", "ip6"),
]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 8192, 0, 0) + data


def frames():
    """A fixed, varied set of Ethernet frames (seeded: the same every run)."""
    rng = random.Random(4711)
    ours = bytes.fromhex("020000000010")
    peer = bytes.fromhex("020000000020")
    bcast = b"\xff" * 6
    mcast = bytes.fromhex("01005e000001")
    out = []
    addrs = ["10.1.2.3", "10.1.9.9", "10.2.0.1", "192.0.2.7"]
    for i in range(240):
        src = rng.choice(addrs)
        dst = rng.choice(addrs)
        data = bytes(rng.randrange(0, 400))
        kind = i % 8
        if kind == 0:
            p = eth(ours, peer, 0x0800, ipv4(src, dst, 17, udp(rng.randrange(1024, 65535), rng.choice([53, 123, 5000]), data)))
        elif kind == 1:
            flags = rng.choice([0x02, 0x10, 0x12, 0x18])
            p = eth(ours, peer, 0x0800, ipv4(src, dst, 6, tcp(rng.randrange(1024, 65535), rng.choice([22, 80, 443, 8080]), flags, data)))
        elif kind == 2:
            p = eth(rng.choice([ours, bcast]), peer, 0x0800, ipv4(src, dst, 1, struct.pack("!BBHHH", 8, 0, 0, 1, i) + data))
        elif kind == 3:
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, rng.choice([1, 2]), peer,
                              socket.inet_aton(src), b"\0" * 6, socket.inet_aton(dst))
            p = eth(bcast, peer, 0x0806, arp)
        elif kind == 4:
            p = eth(ours, peer, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 17, udp(4000, rng.choice([53, 547]), data)))
        elif kind == 5:
            p = eth(mcast, peer, 0x0800, ipv4(src, "224.0.0.1", 17, udp(5353, 5353, data)))
        elif kind == 6:
            p = eth(ours, peer, 0x86DD, ipv6("2001:db8::3", "2001:db8::4", 6, tcp(5555, 443, 0x02, data)))
        else:
            # A second IPv4 fragment: no UDP header to match ports on.
            p = eth(ours, peer, 0x0800, ipv4(src, dst, 17, data + b"x" * 8, frag=0x0010))
        out.append(p)
    return out


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for n, p in enumerate(packets):
            f.write(struct.pack("<IIII", n, 0, len(p), len(p)))
            f.write(p)


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def passed():
    out = run(LANACTL, "stats", "ob")
    return int(next(l.split()[1] for l in out.splitlines() if l.startswith("passed ")))


def main():
    packets = frames()
    pcap = os.path.join(tempfile.mkdtemp(), "oracle.pcap")
    write_pcap(pcap, packets)
    # A veth pair with nothing of its own to say (no IPv6 autoconfiguration).
    run("ip", "link", "add", "lana_o0", "type", "veth", "peer", "name", "lana_o1")
    for dev in ("lana_o0", "lana_o1"):
        run("sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1")
        run("ip", "link", "set", dev, "addrgenmode", "none")
        run("ip", "link", "set", dev, "up")
    run(LANACTL, "add", "ob", "bpf")
    run(LANACTL, "attach", "lana_o0", "ob")
    sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sender.bind(("lana_o1", 0))
    failures = 0

    def check(program, setting, expr):
        expected = len(run("tcpdump", "-nn", "-r", pcap, expr).splitlines())
        run(LANACTL, "set", "ob", setting)
        before = passed()
        for p in packets:
            sender.send(p)
        got = passed() - before
        verdict = "ok" if got == expected else "MISMATCH"
        print(f"# {verdict}: {program}: bpf block passed {got}, tcpdump {expr!r} matched {expected} of {len(packets)}")
        return got != expected

    try:
        for expr in EXPRESSIONS:
            failures += check(f"classic {expr!r}", f"filter={expr}", expr)
        if PIN and OBJECT:
            if subprocess.run(["mountpoint", "-q", "/sys/fs/bpf"]).returncode:
                run("mount", "-t", "bpf", "bpf", "/sys/fs/bpf")
            names = [name for name, _ in EBPF_EQUIVALENTS]
            run(PIN, OBJECT, "/sys/fs/bpf", *names)
            try:
                for name, expr in EBPF_EQUIVALENTS:
                    failures += check(f"eBPF {name}", f"pinned=/sys/fs/bpf/{name}", expr)
            finally:
                for name in names:
                    os.unlink(f"/sys/fs/bpf/{name}")
    finally:
        run(LANACTL, "rm", "--cascade", "ob")
        run("ip", "link", "del", "lana_o0")
    return 1 if failures else 0


sys.exit(main())
