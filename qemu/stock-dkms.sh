#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The install of README's Debian 13 section, as a user runs it, in the
# build root of qemu/stock-kernel.sh (a trixie system with the packages
# that section installs): make dkms-install KVER=the stock kernel, then
# make tools and make install-tools (lanactl by trixie's cargo), from this
# tree. Copies the module DKMS installed and the lanactl installed to OUT,
# for the stock-kernel guest, and leaves the root as it found it (cargo's
# downloads and build are kept in the cache).
# Usage: stock-dkms.sh ROOT TOP OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stock-env.sh"
root=$1 top=$2 out=$3
mkdir -p "$out" "$cache/cargo-home" "$cache/cargo-target"
rm -rf "$out"/lana.ko* "$out/lanactl" "$out/tools"
# cargo downloads crates through the host's trust store (which may hold a
# proxy's CA the root's ca-certificates does not).
"$here/stock-run.sh" "$root" --bind "$top" /lana/mod --bind "$out" /lana/out \
	--bind "$cache/cargo-home" /lana/cargo-home --bind "$cache/cargo-target" /lana/cargo-target \
	--bind /etc/ssl/certs /lana/host-certs bash -euc '
	kver=$1
	version=$(make -s -C /lana/mod --no-print-directory print-version)
	forget() {
		dkms remove "lana/$version" --all >/dev/null 2>&1 || true
		rm -rf "/usr/src/lana-$version" "/lib/modules/$kver/updates" /tmp/stage
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
	# lanactl, its completions and pages, built by trixie'"'"'s cargo (its
	# build and out/ kept apart from the host'"'"'s) and installed.
	export CARGO_HOME=/lana/cargo-home CARGO_TARGET_DIR=/lana/cargo-target
	export CARGO_HTTP_CAINFO=/lana/host-certs/ca-certificates.crt
	make -C /lana/mod --no-print-directory tools OUT=/lana/out/tools >/dev/null
	make -C /lana/mod --no-print-directory install-tools OUT=/lana/out/tools DESTDIR=/tmp/stage >/dev/null
	/tmp/stage/usr/sbin/lanactl --version
	[ -s /tmp/stage/usr/share/man/man8/lanactl-apply.8 ] && [ -s /tmp/stage/usr/lib/systemd/system/lana.service ]
	cp /tmp/stage/usr/sbin/lanactl /lana/out/lanactl
' bash "$kver"
[ -f "$out/lana.ko" ] && [ -x "$out/lanactl" ] ||
	{ echo "stock-dkms: no lana.ko by DKMS, or no lanactl installed" >&2; exit 1; }
