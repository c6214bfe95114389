#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs a command in the trixie build root of qemu/stock-kernel.sh, in a
# mount namespace of its own (its mounts go with it), with each DIR of the
# host bound at PATH in the root.
# Usage: stock-run.sh ROOT [--bind DIR PATH]... COMMAND...
set -euo pipefail
root=$1
shift
binds=()
while [ "${1:-}" = --bind ]; do
	binds+=("$2" "$3")
	shift 3
done
exec unshare --mount --propagation private bash -c '
	set -e
	root=$1 n=$2
	shift 2
	while [ "$n" -gt 0 ]; do
		mkdir -p "$root$2"
		mount --bind "$1" "$root$2"
		shift 2
		n=$((n - 1))
	done
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
' bash "$root" $((${#binds[@]} / 2)) "${binds[@]}" "$@"
