#!/usr/bin/env bash
# Installs every host dependency of lana-rs. Idempotent: each step checks
# first and does nothing when its tool is already there, so `make check`
# can call it on every run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: the LLVM 19 toolchain the kernel is built with, kernel
# build tools, QEMU for the guest, and what the tests run inside it
# (graphviz checks that lanactl dot draws what Graphviz reads; groff-base
# that the manual pages read cleanly, systemd-analyze the boot unit;
# mmdebstrap makes the Debian 13 roots of make module-stock and
# test-stock).
pkgs=(clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev
      libssl-dev cpio kmod qemu-system-x86 busybox-static iproute2 ethtool
      xz-utils python3-venv ca-certificates iputils-ping tcpdump util-linux
      libpcap-dev linux-libc-dev graphviz groff-base mmdebstrap systemd)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

# The pinned rustc with the components the kernel needs (it compiles `core`
# from rust-src) and the style gates use.
if ! rustup component list --toolchain "$LANA_RUST" --installed 2>/dev/null |
	grep -q '^rust-src'; then
	echo "setup: installing rust $LANA_RUST with rust-src, clippy, rustfmt"
	rustup toolchain install "$LANA_RUST" --profile minimal \
		--component rust-src,clippy,rustfmt
fi

# bindgen generates the kernel's Rust bindings.
if ! "$LANA_CARGO_BIN/bindgen" --version 2>/dev/null | grep -q "$LANA_BINDGEN"; then
	echo "setup: installing bindgen-cli $LANA_BINDGEN"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib RUSTUP_TOOLCHAIN="$LANA_RUST" \
		cargo install --locked --root "$LANA_CACHE/cargo" \
		bindgen-cli --version "$LANA_BINDGEN"
fi

# virtme-ng boots the guest on the host's root filesystem; kept in a venv of
# our own so the system Python stays untouched.
if ! "$LANA_CACHE/venv/bin/vng" --version 2>/dev/null | grep -q "$LANA_VNG"; then
	echo "setup: installing virtme-ng $LANA_VNG"
	python3 -m venv "$LANA_CACHE/venv"
	"$LANA_CACHE/venv/bin/pip" install -q "virtme-ng==$LANA_VNG"
fi
echo "setup: host ready"
