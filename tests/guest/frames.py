"""Send raw Ethernet frames from one network namespace, capture in another.

Imported by the in-guest tests that check frames arrive byte for byte
(t90, t95): PYTHONPATH=$(dirname "$0").

The capture waits for the first of the expected frames as long as the
sender may take to start (seconds on the debug kernel, where python's start
alone takes several), then FRAME_IDLE_S more after the last expected one for
any frame beyond them: one too many fails a test as surely as one too few.
"""

import socket
import struct
import subprocess

# Frame builders, for tests that make their own traffic (bpf_oracle.py).

TPID_8021Q = 0x8100
TPID_8021AD = 0x88A8
# The pre-standard QinQ TPID: libpcap's "vlan" knows it, the kernel's
# receive path does not (the tag stays in the frame).
TPID_QINQ_OLD = 0x9100


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, ethertype, payload, tags=()):
    """An Ethernet frame; TAGS: (TPID, TCI) pairs, outermost first."""
    tagbytes = b"".join(struct.pack("!HH", tpid, tci) for tpid, tci in tags)
    return dst + src + tagbytes + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, frag=0, ttl=64):
    """FRAG: the flags and fragment offset word (0x2000: more fragments)."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def ipv6_opts(nh, payload):
    """A hop-by-hop or destination options header (8 bytes, PadN)."""
    return struct.pack("!BB6s", nh, 0, b"\x01\x04" + b"\0" * 4) + payload


def ipv6_routing(nh, payload):
    """A routing header of type 0 with no segments left (8 bytes)."""
    return struct.pack("!BBBBI", nh, 0, 0, 0, 0) + payload


def ipv6_frag(nh, payload, offset=0, more=False):
    """A fragment header; OFFSET in 8-byte units."""
    return struct.pack("!BBHI", nh, 0, (offset << 3) | int(more), 0x4711) + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 8192, 0, 0) + data


def arp(op, sha, spa, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha,
                       socket.inet_aton(spa), b"\0" * 6, socket.inet_aton(tpa))


def write_pcap(path, packets):
    """PACKETS as a pcap file (Ethernet link type), what tcpdump -r reads."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for n, p in enumerate(packets):
            f.write(struct.pack("<IIII", n, 0, len(p), len(p)))
            f.write(p)


def read_pcap(path):
    """The frames of a pcap file written by write_pcap or tcpdump -w."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, at = [], 24
    while at < len(data):
        caplen = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        out.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return out


FIRST_FRAME_S = 60
FRAME_IDLE_S = 5

_CAPTURE = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(%(proto)d))
s.bind((%(dev)r, 0))
s.settimeout(%(first)d)
print("ready", flush=True)
seen = 0
try:
    while True:
        data, addr = s.recvfrom(65536)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        print(data.hex(), flush=True)
        seen += 1
        s.settimeout(%(first)d if seen < %(expect)d else %(idle)d)
except socket.timeout:
    pass
"""

_SENDER = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((%(dev)r, 0))
for line in sys.stdin:
    s.send(bytes.fromhex(line.strip()))
"""


def send_and_capture(send_ns, send_dev, frames, capture_ns, capture_dev, proto, expect):
    """Sends FRAMES on SEND_DEV in SEND_NS; returns the frames of EtherType
    PROTO (3: all) that CAPTURE_DEV in CAPTURE_NS received, in order, once
    EXPECT of them have arrived and no more came for FRAME_IDLE_S."""
    capture = subprocess.Popen(
        ["ip", "netns", "exec", capture_ns, "/usr/bin/python3", "-c",
         _CAPTURE % {"proto": proto, "dev": capture_dev, "first": FIRST_FRAME_S,
                     "idle": FRAME_IDLE_S, "expect": expect}],
        stdout=subprocess.PIPE, text=True)
    assert capture.stdout.readline().strip() == "ready"
    subprocess.run(["ip", "netns", "exec", send_ns, "/usr/bin/python3", "-c",
                    _SENDER % {"dev": send_dev}],
                   input="".join(f.hex() + "\n" for f in frames), text=True, check=True)
    got = [bytes.fromhex(line.strip()) for line in capture.stdout]
    capture.wait()
    return got
