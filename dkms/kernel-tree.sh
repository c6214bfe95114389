#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares the Rust part of a Debian kernel's build tree, which an
# out-of-tree Rust module needs and Debian's linux-headers packages do not
# ship (no rust/*.rmeta, no libmacros.so), and prints the arguments that
# build a module against it: `make ARGS M=DIR modules` (the source, an O=
# build tree of it, and Debian's compiler names and release).
#
# From linux-source-X.Y (/usr/src/linux-source-X.Y.tar.xz, the same
# package version as the headers), with the headers' .config,
# Module.symvers and vmlinux (for BTF): `make olddefconfig` (which must
# leave the kernel's config as it is: otherwise these are not the tools
# the kernel was built with), `prepare modules_prepare`, and rust/, which
# the kernel's Makefile builds with vmlinux, not in modules_prepare. The
# crates must be built by the kernel's own rustc: a crate's symbol names
# depend on the compiler's version string, and the module links against
# the Rust symbols the kernel exports.
#
# Kept under $LANA_KERNEL_TREES (default /var/lib/lana/kernel), keyed by
# the kernel's release and a hash of its config and Module.symvers; a
# second run builds nothing, a tree made for an older revision of the
# same release goes. A first run takes about 10 minutes on 2 cores.
# Usage: kernel-tree.sh KERNELRELEASE
set -euo pipefail
kver=$1
trees=${LANA_KERNEL_TREES:-/var/lib/lana/kernel}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rust-check.sh"
log() { echo "lana: $*" >&2; }

vars=$headers/.kernelvariables
[ -f "$vars" ] || die "$headers has no .kernelvariables: not a Debian headers package (give a kernel tree the kernel was built in)"

# How Debian built the kernel (the headers' .kernelvariables): the same
# names give the same config, and the module the kernel's version magic.
variable() { sed -n "s/^$1 = //p" "$vars" | tr -d '[:space:]'; }
arch=$(variable "override ARCH") cross=$(variable "override CROSS_COMPILE")
# CC = $(if ...)$(CROSS_COMPILE)gcc-14: the compiler's own name.
gcc=$(sed -n 's/^CC = //p' "$vars" | awk '{ sub(/.*\)/, "", $NF); print $NF }')
[ -n "$arch" ] && [ -n "$gcc" ] || die "cannot read ARCH and CC from $vars"
release=$(variable "override KERNELRELEASE")
[ -z "$release" ] || [ "$release" = "$kver" ] || die "$vars is of kernel $release, not $kver"
make_vars=(ARCH="$arch" CROSS_COMPILE="$cross" CC="$cross$gcc" HOSTCC="$gcc" KERNELRELEASE="$kver")

# The source: the linux-source package of the kernel's series (7.3 of
# 7.3.4+deb13-amd64).
series=$(sed 's/^\([0-9]*\.[0-9]*\).*/\1/' <<<"$kver")
tarball=/usr/src/linux-source-$series.tar.xz

mkdir -p "$trees"
exec 9>"$trees/.lock"
flock 9
# Keyed by what the module is built against: a new Debian revision of the
# same release changes Module.symvers if not the config.
key=$(cat "$config" "$headers/Module.symvers" | sha256sum | cut -c1-12)
tree=$trees/tree-$kver-$key
if [ ! -f "$tree/.done" ]; then
	[ -f "$tarball" ] || die "no $tarball (Debian: apt install linux-source-$series)"
	if command -v dpkg-query >/dev/null; then
		of_headers=$(dpkg-query -W -f '${Version}' "linux-headers-$kver" 2>/dev/null) || of_headers=
		of_source=$(dpkg-query -W -f '${Version}' "linux-source-$series" 2>/dev/null) || of_source=
		[ -z "$of_headers" ] || [ "$of_headers" = "$of_source" ] ||
			die "linux-source-$series is ${of_source:-not installed}, the headers of $kver are $of_headers: install the same version"
	fi
	src=$trees/src-$(sha256sum "$tarball" | cut -c1-12)
	if [ ! -f "$src/.unpacked" ]; then
		log "unpacking $tarball"
		rm -rf "$src" && mkdir -p "$src"
		tar -xJf "$tarball" -C "$src" --strip-components=1
		touch "$src/.unpacked"
	fi
	log "preparing the Rust part of $kver's tree in $tree (about 10 minutes)"
	rm -rf "$tree" && mkdir -p "$tree"
	cp "$config" "$tree/.config"
	cp "$headers/Module.symvers" "$tree/Module.symvers"
	kmake=(make -C "$src" O="$tree" "${make_vars[@]}")
	"${kmake[@]}" olddefconfig >&2
	# The kernel's config must come out of olddefconfig as it went in,
	# but for the tools' version lines (a stable update of gcc or
	# binutils changes them, and nothing they select): a difference
	# means these are not the tools the kernel was built with.
	settings() { grep '^CONFIG_' "$1" | grep -v -E '^CONFIG_[A-Z_]*_VERSION(_TEXT)?='; }
	if ! diff <(settings "$config") <(settings "$tree/.config") >&2; then
		die "make olddefconfig changed $kver's config (above): these are not the tools it was built with"
	fi
	"${kmake[@]}" -j"$(nproc)" prepare modules_prepare >&2
	"${kmake[@]}" -j"$(nproc)" rust/ >&2
	[ ! -f "$headers/vmlinux" ] || cp "$headers/vmlinux" "$tree/vmlinux"
	echo "$src" >"$tree/.source"
	touch "$tree/.done"
	# What no tree builds against any more: this release's older trees,
	# and sources no tree names.
	for old in "$trees/tree-$kver"-*; do
		[ "$old" = "$tree" ] || rm -rf --one-file-system "$old"
	done
	for old in "$trees"/src-*; do
		grep -qsx "$old" "$trees"/tree-*/.source || rm -rf --one-file-system "$old"
	done
fi
echo -C "$(cat "$tree/.source")" O="$tree" "${make_vars[@]}"
