#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs a command in the trixie build root of qemu/stock-kernel.sh, in a
# mount namespace of its own (its mounts go with it): the kernel source at
# /lana/src, the build tree at /lana/tree and, with --mod, a module's source
# at /lana/mod and its output directory at /lana/out.
# Usage: stock-run.sh ROOT SRC TREE [--mod DIR OUT] COMMAND...
set -euo pipefail
root=$1 src=$2 tree=$3
shift 3
mod= out=
if [ "${1:-}" = --mod ]; then
	mod=$2 out=$3
	shift 3
fi
exec unshare --mount --propagation private bash -c '
	set -e
	root=$1 src=$2 tree=$3 mod=$4 out=$5
	shift 5
	mkdir -p "$root/lana/src" "$root/lana/tree" "$root/lana/mod" "$root/lana/out"
	mount --bind "$src" "$root/lana/src"
	mount --bind "$tree" "$root/lana/tree"
	[ -z "$mod" ] || mount --bind "$mod" "$root/lana/mod"
	[ -z "$out" ] || mount --bind "$out" "$root/lana/out"
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
' bash "$root" "$src" "$tree" "$mod" "$out" "$@"
