#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds lana.ko for kernel KERNELRELEASE: DKMS's MAKE (dkms.conf), or by
# hand. DIR is the module's source (default: here), OUT where the build's
# files go (default: DIR).
#
# The kernel must have Rust (CONFIG_RUST), and rustc must be the very
# compiler that built it (CONFIG_RUSTC_VERSION_TEXT). A tree the kernel
# was built in has its Rust build products: the module builds there.
# Debian's headers packages have none: dkms/kernel-tree.sh prepares them
# from linux-source first.
# Usage: build.sh KERNELRELEASE [DIR [OUT]]
set -euo pipefail
kver=$1 dir=${2:-$PWD} out=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rust-check.sh"

mo=()
[ -z "$out" ] || mo=(MO="$out")
if [ -f "$headers/rust/libmacros.so" ] || [ -f "$headers/rust/libmacros.dylib" ]; then
	exec make -C "$headers" M="$dir" "${mo[@]}" modules
fi
read -r -a args < <(bash "$here/kernel-tree.sh" "$kver")
[ "${#args[@]}" -gt 0 ] || die "no kernel tree prepared for $kver"
exec make "${args[@]}" M="$dir" "${mo[@]}" modules
