#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The DKMS install, as README's Debian 13 section has a user run it, in the
# build root of qemu/stock-kernel.sh (a trixie system with dkms, the stock
# kernel's headers and linux-source, and its rustc): make dkms-install
# KVER=the stock kernel, from this tree. Copies the module DKMS installed
# to OUT, for the stock-kernel guest to load, and leaves the root as it
# found it.
# Usage: stock-dkms.sh ROOT TOP OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stock-env.sh"
root=$1 top=$2 out=$3
mkdir -p "$out"
rm -f "$out"/lana.ko*
"$here/stock-run.sh" "$root" --bind "$top" /lana/mod --bind "$out" /lana/out bash -euc '
	kver=$1
	version=$(make -s -C /lana/mod --no-print-directory print-version)
	forget() {
		dkms remove "lana/$version" --all >/dev/null 2>&1 || true
		rm -rf "/usr/src/lana-$version" "/lib/modules/$kver/updates"
	}
	forget
	trap forget EXIT
	make -C /lana/mod --no-print-directory dkms-install KVER="$kver" || {
		cat "/var/lib/dkms/lana/$version/build/make.log" >&2 || true
		exit 1
	}
	dkms status "lana/$version" -k "$kver" | grep -q ": installed" || {
		echo "stock-dkms: dkms status: $(dkms status "lana/$version")" >&2
		exit 1
	}
	cp /lib/modules/"$kver"/updates/dkms/lana.ko* /lana/out/
	# Compressed as the kernel compresses its own modules: plain for the
	# guest, which places it again.
	[ ! -e /lana/out/lana.ko.xz ] || xz -d /lana/out/lana.ko.xz
	[ ! -e /lana/out/lana.ko.zst ] || zstd -dq --rm /lana/out/lana.ko.zst
' bash "$kver"
[ -f "$out/lana.ko" ] || { echo "stock-dkms: DKMS installed no lana.ko" >&2; exit 1; }
