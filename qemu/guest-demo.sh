#!/usr/bin/env bash
# Runs inside the guest for `make demo`.
# Usage: guest-demo.sh MODULE LANACTL DOT_FILE
set -euo pipefail
module=$1 lanactl=$2 dot_file=$3
export PATH=$(dirname "$lanactl"):/usr/sbin:/sbin:$PATH
here=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "$*"; return 1; }
# shellcheck source=tests/guest/pktgen.sh
. "$here/tests/guest/pktgen.sh"

step() {
	echo
	echo "\$ $*"
	"$@"
}

echo "demo: kernel $(uname -r), $(nproc) CPU(s)"
step insmod "$module"
step ip link add demo0 type dummy
step ip link set demo0 up
step lanactl types
step lanactl add rx counter
step lanactl add fwd forward
step lanactl add top counter
step lanactl bind fwd rx
step lanactl bind top fwd
step lanactl attach demo0 rx
echo
echo "\$ pktgen: 100000 frames of $PKTGEN_FRAME_LEN bytes into demo0 (netif_receive)"
pktgen_inject demo0 100000
echo "pktgen: $PKTGEN_PPS (emulated CPU: a rough figure, not a benchmark)"
step lanactl list
step lanactl attachments
step lanactl stats rx
step lanactl stats top
step lanactl stats
step lanactl dot
lanactl dot >"$dot_file"
step lanactl detach demo0
step rmmod lana
echo
echo "demo: done"
