#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares what an out-of-tree Rust module needs to build for Debian 13's
# stock kernel (linux-image-$LANA_STOCK_KVER), and prints "ROOT SRC TREE":
#
# - ROOT, a Debian trixie build root (mmdebstrap) with the compilers that
#   built that kernel: rustc 1.85.1, bindgen 0.71.1, gcc-14. A crate's
#   symbol names depend on the compiler's version string, and the module
#   links against the Rust symbols the kernel exports: only the very same
#   rustc makes a module that loads;
# - TREE, an O= build tree of Debian's linux-source-7.3 (the kernel's own
#   version) with the .config, Module.symvers and (BTF) vmlinux of its
#   linux-headers package, `make prepare modules_prepare` run and the rust/
#   crates built (the headers package ships no Rust build products, and
#   the kernel's Makefile builds them with vmlinux, not in modules_prepare).
#   Its rust/kernel.o exports the very names the kernel's Module.symvers
#   lists (same compiler, same crate flags: the same disambiguator).
#
# SRC is the unpacked linux-source, shared with qemu/kernel.sh. All are
# cached under $LANA_CACHE/stock, the tree keyed by the kernel's version
# and a hash of its config; a second run builds nothing (cold: about 5
# minutes). qemu/stock-run.sh runs the module's build in ROOT (make
# module-stock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stock-env.sh"
log() { echo "stock-kernel: $*" >&2; }
# One preparation at a time: a second would remove the tree under the first.
exec 9>"$cache/.lock"
flock 9

apt-get "${apt_opts[@]}" update -qq >&2
version=$(apt-cache "${apt_opts[@]}" madison "linux-headers-$kver" | awk 'NR == 1 { print $3 }')
[ -n "$version" ] || { log "no linux-headers-$kver in the archive"; exit 1; }
upstream=${kver%%+*}
abi=${kver%-*}

debs=$cache/debs/$version
if [ ! -f "$debs/.done" ]; then
	log "fetching the headers and source of $kver ($version)"
	rm -rf "$debs" && mkdir -p "$debs"
	(cd "$debs" && apt-get "${apt_opts[@]}" download -qq "linux-headers-$kver=$version" \
		"linux-headers-$abi-common=$version" "linux-kbuild-$abi=$version" \
		"linux-source-${upstream%.*}=$version" >&2)
	touch "$debs/.done"
fi
headers=$cache/headers-$version
if [ ! -f "$headers/.done" ]; then
	rm -rf "$headers" && mkdir -p "$headers"
	for deb in "$debs"/linux-headers-*.deb "$debs"/linux-kbuild-*.deb; do
		dpkg-deb -x "$deb" "$headers"
	done
	touch "$headers/.done"
fi
config=$headers/usr/src/linux-headers-$kver/.config
symvers=$headers/usr/src/linux-headers-$kver/Module.symvers
compiler=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="rustc \([0-9.]*\) .*/\1/p' "$config")
[ -n "$compiler" ] || { log "$kver is not built with Rust (no CONFIG_RUSTC_VERSION_TEXT)"; exit 1; }

# The build root: trixie, minimal, with the kernel's build dependencies.
root=$cache/root-trixie
if [ ! -f "$root/.done" ]; then
	log "making the trixie build root (rustc $compiler, bindgen, gcc-14)"
	rm -rf "$root"
	mmdebstrap --quiet --variant=minbase \
		--include=make,gcc-14,bc,bison,flex,libelf-dev,libssl-dev,openssl,rustc,rust-src,bindgen,dwarves,python3,kmod,cpio,xz-utils \
		trixie "$root" "deb [signed-by=$keyring] $mirror trixie main" \
		"deb [signed-by=$keyring] $mirror trixie-updates main" \
		"deb [signed-by=$keyring] $mirror-security trixie-security main" >&2
	touch "$root/.done"
fi
have=$(chroot "$root" rustc --version)
[ "$have" = "$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"/\1/p' "$config")" ] || {
	log "the build root's $have is not the compiler of $kver"
	exit 1
}

# The source: linux-source's tarball, unpacked once per version, where
# qemu/kernel.sh unpacks it (a tree used only through O= build trees).
src=$LANA_CACHE/src/$version
if [ ! -f "$src/.unpacked" ]; then
	log "unpacking linux-source $version"
	rm -rf "$src" "$src.deb" && mkdir -p "$src" "$src.deb"
	dpkg-deb -x "$debs"/linux-source-*.deb "$src.deb"
	tar -xJf "$src.deb"/usr/src/linux-source-*.tar.xz -C "$src" --strip-components=1
	rm -rf "$src.deb"
	touch "$src/.unpacked"
fi

# Debian builds its kernel with CROSS_COMPILE=x86_64-linux-gnu- and gcc-14
# and names its release (the headers' .kernelvariables): the same names
# give the same config, and modules the kernel's version magic.
kmake=(make -C /lana/src O=/lana/tree ARCH=x86 CROSS_COMPILE=x86_64-linux-gnu-
	CC=x86_64-linux-gnu-gcc-14 HOSTCC=gcc-14 KERNELRELEASE="$kver")

key=$(sha256sum "$config" | cut -c1-12)
tree=$cache/tree-$kver-$key
if [ ! -f "$tree/.done" ]; then
	log "preparing $kver's tree with its config (make prepare, rust/): about 10 minutes"
	rm -rf "$tree" && mkdir -p "$tree"
	cp "$config" "$tree/.config"
	cp "$symvers" "$tree/Module.symvers"
	"$here/stock-run.sh" "$root" "$src" "$tree" "${kmake[@]}" olddefconfig >&2
	# The kernel's config must survive olddefconfig unchanged: a
	# difference means the root's tools are not the kernel's.
	if ! diff <(grep '^CONFIG_' "$config") <(grep '^CONFIG_' "$tree/.config") >&2; then
		log "olddefconfig changed $kver's config in this build root (above)"
		exit 1
	fi
	"$here/stock-run.sh" "$root" "$src" "$tree" "${kmake[@]}" -j"$(nproc)" \
		prepare modules_prepare >&2
	"$here/stock-run.sh" "$root" "$src" "$tree" "${kmake[@]}" -j"$(nproc)" rust/ >&2
	# The headers' vmlinux: what a module's BTF is made against.
	cp "$headers/usr/src/linux-headers-$kver/vmlinux" "$tree/vmlinux"
	touch "$tree/.done"
fi
echo "$root $src $tree"
