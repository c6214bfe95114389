#!/usr/bin/env bash
# Style gates for the kernel code: rustfmt with the kernel's own
# configuration, and a module build under clippy (CLIPPY=1) that must not
# print a single warning. Usage: kernel-style.sh KDIR OUTDIR LLVM
set -euo pipefail
kdir=$1 out=$2 llvm=$3
top=$(cd "$(dirname "$0")/.." && pwd)

# An O= build tree links its source as `source`; an in-tree build is both.
src=$kdir
[ -e "$kdir/source/.rustfmt.toml" ] && src=$kdir/source
rustfmt --check --edition 2021 --config-path "$src/.rustfmt.toml" "$top/fbcore/lana.rs"

# unsafe code is denied outside vlink/ (fbcore/lana.rs); no file may lift
# that but the one line there that allows it in vlink.
allowed=$(grep -rn --include='*.rs' 'allow(unsafe_code)' "$top/fbcore" "$top/fbs" "$top/vlink" |
	grep -v "^$top/fbcore/lana.rs:" || true)
if [ -n "$allowed" ]; then
	echo "$allowed" >&2
	echo "kernel-style: unsafe code is vlink's alone (fbcore/lana.rs)" >&2
	exit 1
fi

# A fresh tree each time: an incremental build skips unchanged files
# and with them their warnings, so a second run would pass wrongly.
rm -rf "$out"
mkdir -p "$out"
log=$out/clippy.log
if ! make -C "$kdir" M="$top" MO="$out" LLVM="$llvm" CLIPPY=1 modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "kernel-style: the CLIPPY=1 module build failed" >&2
	exit 1
fi
# Rust prints "warning: ..." at the start of a line, C "file:line: warning: ...".
if grep -qE '(^|: )(warning|error)(\[[^]]*\])?:' "$log"; then
	grep -A8 -E '(^|: )(warning|error)(\[[^]]*\])?:' "$log" >&2
	echo "kernel-style: the CLIPPY=1 module build printed warnings" >&2
	exit 1
fi
echo "kernel-style: rustfmt and clippy clean"
