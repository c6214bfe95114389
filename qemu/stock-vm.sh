#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots Debian's stock kernel KIMG on guest root ROOT (qemu/stock-guest.sh)
# with virtme-ng under TCG and runs COMMAND there; DIR, a directory inside
# ROOT, is shared read-write (virtme-ng shares only what lies in the root).
# The console goes to DIR/console.log.
# Usage: stock-vm.sh ROOT KIMG DIR COMMAND...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
root=$1 kimg=$2 dir=$3
shift 3
export PATH="$LANA_CACHE/venv/bin:$PATH"
printf -v cmd '%q ' "$@"
cd "$dir"
vng --run "$kimg" --root "$root" --rwdir "$dir" --disable-kvm --memory 1G --cpus 2 \
	--qemu-opts="-accel tcg,thread=single" --verbose --exec "$cmd" >"$dir/console.log" 2>&1 || true
