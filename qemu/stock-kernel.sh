#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares a Debian 13 build root for the stock kernel
# (linux-image-$LANA_STOCK_KVER) and prints its path: what a Debian 13
# user has who builds lana for the kernel they boot. mmdebstrap makes it
# with the compilers that built that kernel (rustc 1.85.1, bindgen 0.71.1,
# gcc-14), its linux-headers and linux-source packages, and dkms. A
# crate's symbol names depend on the compiler's version string, and the
# module links against the Rust symbols the kernel exports: only the very
# same rustc makes a module that loads.
#
# Then dkms/kernel-tree.sh, in the root, prepares the Rust part of the
# kernel's tree from linux-source (the headers package ships no Rust build
# products), as it does for DKMS on a user's machine: the same tree serves
# make module-stock and the DKMS test.
#
# Cached under $LANA_CACHE/stock, keyed by the kernel's version; a second
# run builds nothing (cold: about 10 minutes). qemu/stock-run.sh runs
# commands in the root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stock-env.sh"
log() { echo "stock-kernel: $*" >&2; }
# One preparation at a time: a second would remove the root under the first.
exec 9>"$cache/.lock"
flock 9

apt-get "${apt_opts[@]}" update -qq >&2
version=$(apt-cache "${apt_opts[@]}" madison "linux-headers-$kver" | awk 'NR == 1 { print $3 }')
[ -n "$version" ] || { log "no linux-headers-$kver in the archive"; exit 1; }
series=$(sed 's/^\([0-9]*\.[0-9]*\).*/\1/' <<<"$kver")
# What README's Debian 13 section has a user install (a minbase root lacks
# ca-certificates, which cargo's downloads need).
packages=dkms,rustc,rust-src,bindgen,gcc-14,make,bc,bison,flex,libelf-dev,libssl-dev,openssl
packages=$packages,dwarves,python3,cpio,xz-utils,kmod,cargo,libpcap-dev,ca-certificates
root=$cache/root-$(tr -c 'A-Za-z0-9.\n-' _ <<<"$kver-$version")-$(sha256sum <<<"$packages" | cut -c1-8)
if [ ! -f "$root/.done" ]; then
	log "making the trixie build root for $kver ($version): rustc, bindgen, gcc-14, headers, source, dkms"
	rm -rf --one-file-system "$root"
	mmdebstrap --quiet --variant=minbase --aptopt='APT::Install-Recommends "false"' \
		--include="$packages,linux-headers-$kver=$version,linux-source-$series=$version" \
		trixie "$root" "deb [signed-by=$keyring] $mirror trixie main" \
		"deb [signed-by=$keyring] $mirror trixie-updates main" \
		"deb [signed-by=$keyring] $mirror-security trixie-security main" \
		"deb [signed-by=$keyring] $mirror trixie-backports main" >&2
	touch "$root/.done"
	# Build roots of other versions, and what the scripts kept before the
	# tree was prepared in the root, are not used again.
	for old in "$cache"/root-* "$cache"/tree-* "$cache"/headers-* "$cache"/debs; do
		[ "$old" = "$root" ] || rm -rf --one-file-system "$old"
	done
fi
"$here/stock-run.sh" "$root" --bind "$here/../dkms" /lana/dkms \
	bash /lana/dkms/kernel-tree.sh "$kver" >/dev/null
echo "$root"
