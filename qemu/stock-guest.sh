#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares a guest for Debian 13's stock kernel and prints "ROOT KIMG": a
# trixie root filesystem (mmdebstrap: what the smoke test and the in-guest
# suite run, lanactl's libraries) holding that kernel's own image and
# modules (linux-binary, linux-modules), depmod'ed. virtme-ng boots KIMG on
# ROOT (qemu/stock-vm.sh, qemu/vm.sh with LANA_GUEST_ROOT). Cached under
# $LANA_CACHE/stock, keyed by the kernel's package version and the
# packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stock-env.sh"
log() { echo "stock-guest: $*" >&2; }
exec 9>"$cache/.guest-lock"
flock 9
apt-get "${apt_opts[@]}" update -qq >&2
version=$(apt-cache "${apt_opts[@]}" madison "linux-image-$kver" | awk 'NR == 1 { print $3 }')
[ -n "$version" ] || { log "no linux-image-$kver in the archive"; exit 1; }

# Letters, digits, dots and dashes only: virtme-ng refuses a shared
# directory's path with others ("~" and "+" are in Debian's versions).
packages=kmod,iproute2,procps,util-linux,iputils-ping,libpcap0.8,python3,gawk,tcpdump,ethtool,graphviz
root=$cache/guest-$(tr -c 'A-Za-z0-9.\n-' _ <<<"$kver-$version")-$(sha256sum <<<"$packages" | cut -c1-8)
if [ ! -f "$root/.done" ]; then
	log "making the guest root for $kver ($version)"
	rm -rf --one-file-system "$root" "$root.debs" && mkdir -p "$root.debs"
	(cd "$root.debs" && apt-get "${apt_opts[@]}" download -qq "linux-binary-$kver=$version" \
		"linux-modules-$kver=$version" >&2)
	mmdebstrap --quiet --variant=minbase \
		--include="$packages" \
		trixie "$root" "deb [signed-by=$keyring] $mirror trixie main" >&2
	for deb in "$root.debs"/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	rm -rf "$root.debs"
	depmod -b "$root" "$kver" 2>/dev/null
	touch "$root/.done"
	# Guest roots of other packages or versions are not used again.
	for old in "$cache"/guest-*; do
		[ "$old" = "$root" ] || rm -rf --one-file-system "$old"
	done
fi
echo "$root $root/usr/lib/modules/$kver/vmlinuz"
