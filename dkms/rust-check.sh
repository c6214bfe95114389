# SPDX-License-Identifier: GPL-2.0-only
# Sourced by build.sh and kernel-tree.sh with $kver set: refuses a kernel
# without headers or without Rust, and a rustc that is not the kernel's
# own (a crate's symbol names depend on the compiler's version string: a
# module built by another rustc does not load). Sets headers and config.
headers=/lib/modules/$kver/build
config=$headers/.config
die() {
	echo "lana: $*" >&2
	exit 1
}
[ -f "$config" ] || die "no headers of kernel $kver in $headers (Debian: apt install linux-headers-$kver)"
grep -qx 'CONFIG_RUST=y' "$config" ||
	die "kernel $kver is built without Rust (CONFIG_RUST): lana, a Rust module, cannot load on it"
want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$config")
have=$(rustc --version 2>/dev/null) || die "no rustc: $kver needs $want (Debian: apt install rustc rust-src bindgen)"
[ "$have" = "$want" ] ||
	die "kernel $kver was built by $want, this rustc is $have: a module needs the kernel's own compiler"
