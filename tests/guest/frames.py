"""Send raw Ethernet frames from one network namespace, capture in another.

Imported by the in-guest tests that check frames arrive byte for byte
(t90, t95): PYTHONPATH=$(dirname "$0").

The capture waits for the first of the expected frames as long as the
sender may take to start (seconds on the debug kernel, where python's start
alone takes several), then FRAME_IDLE_S more after the last expected one for
any frame beyond them: one too many fails a test as surely as one too few.
"""

import subprocess

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
