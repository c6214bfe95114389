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
# Usage: build.sh KERNELRELEASE [DIR [OUT]] [VAR=VALUE...]
# (VAR=VALUE: more make variables, as DKMS adds LLVM=1 for a clang-built
# kernel.)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: build.sh KERNELRELEASE [DIR [OUT]] [VAR=VALUE...]" >&2; exit 2; }
kver=$1
shift
places=() vars=()
for arg in "$@"; do
	case $arg in
	*=*) vars+=("$arg") ;;
	*) places+=("$arg") ;;
	esac
done
dir=${places[0]:-$PWD} out=${places[1]:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rust-check.sh"

[ -z "$out" ] || vars+=(MO="$out")
if [ -f "$headers/rust/libmacros.so" ] || [ -f "$headers/rust/libmacros.dylib" ]; then
	exec make -C "$headers" M="$dir" "${vars[@]}" modules
fi
tree=$(bash "$here/kernel-tree.sh" "$kver")
read -r -a args <<<"$tree"
exec make "${args[@]}" M="$dir" "${vars[@]}" modules
