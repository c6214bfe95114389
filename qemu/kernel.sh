#!/usr/bin/env bash
# Prints the path of a Rust-enabled guest kernel build tree, building it
# first when the cache has none.
#
# The source is Debian's linux-source-7.3 (any 7.3.x point release), fetched
# with a private apt configuration so the system's sources stay untouched.
# The build tree is cached under $LANA_CACHE/kernel/<key>, where the key names
# the source version, a hash of the config fragment(s) and the toolchain, so
# a second run rebuilds nothing. Usage: kernel.sh [FRAGMENT...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
fragments=("$@")
[ ${#fragments[@]} -gt 0 ] || fragments=("$here/kernel.config")

log() { echo "kernel: $*" >&2; }

toolchain="rustc-$LANA_RUST bindgen-$LANA_BINDGEN $(clang-19 --version | head -n1)"
key=$(cat "${fragments[@]}" | { cat; echo "$toolchain"; } | sha256sum | cut -c1-12)

# A tree already built from these fragments with this toolchain is used as
# it is, whatever 7.3.x it has: a new point release in the archive must not
# turn the next `make check` into two kernel builds. LANA_KERNEL_REFRESH=1
# builds the newest release instead.
if [ -z "${LANA_KERNEL_REFRESH:-}" ]; then
	cached=$(ls -d "$LANA_CACHE"/kernel/*-"$key" 2>/dev/null | sort -V | while read -r d; do
		[ -f "$d/.built" ] && echo "$d"
	done | tail -n1) || true
	if [ -n "$cached" ]; then
		echo "$cached"
		exit 0
	fi
fi

apt_dir="$LANA_CACHE/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives"
cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
SRC
apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null
	-o Dir::Etc::PreferencesParts=/dev/null
	-o Dir::State::Lists="$apt_dir/lists"
	-o Dir::Cache::Archives="$apt_dir/archives"
	-o APT::Sandbox::User=root -qq)

# The newest 7.3.x the archive offers now. Without network, fall back to the
# newest source already unpacked.
if apt-get "${apt_opts[@]}" update >&2 2>/dev/null; then
	version=$(apt-cache "${apt_opts[@]}" show linux-source-7.3 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n1)
else
	version=$(ls "$LANA_CACHE/src" 2>/dev/null | sort -V | tail -n1 || true)
fi
[ -n "$version" ] || { log "cannot find linux-source-7.3"; exit 1; }

src="$LANA_CACHE/src/$version"
if [ ! -f "$src/.unpacked" ]; then
	log "fetching linux-source-7.3 $version"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get "${apt_opts[@]}" download "linux-source-7.3=$version" >&2 2>/dev/null)
	dpkg-deb -x "$tmp"/linux-source-7.3_*.deb "$tmp/deb"
	rm -rf "$src" && mkdir -p "$src"
	tar -xJf "$tmp"/deb/usr/src/linux-source-7.3.tar.xz -C "$src" --strip-components=1
	rm -rf "$tmp"
	touch "$src/.unpacked"
fi

out="$LANA_CACHE/kernel/$version-$key"
if [ ! -f "$out/.built" ]; then
	log "building $version into $out (about 10 minutes on 2 cores)"
	mkdir -p "$out"
	kmake=(make -C "$src" O="$out" LLVM=-19 -j"$(($(nproc) + 1))")
	"${kmake[@]}" tinyconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"${fragments[@]}" >&2
	"${kmake[@]}" olddefconfig >&2
	# Every fragment line must survive olddefconfig: a silently dropped
	# option (a missing dependency) would make the guest fail later, obscurely.
	for f in "${fragments[@]}"; do
		grep -E '^CONFIG_[A-Z0-9_]+=' "$f" | while read -r line; do
			grep -qx "$line" "$out/.config" || { log "not set in .config: $line"; exit 1; }
		done
	done
	"${kmake[@]}" rustavailable >&2
	"${kmake[@]}" >&2
	"${kmake[@]}" modules_prepare >&2
	touch "$out/.built"
fi
echo "$out"
