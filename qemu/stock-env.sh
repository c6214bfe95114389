# SPDX-License-Identifier: GPL-2.0-only
# Shared settings of the Debian-stock-kernel scripts (stock-kernel.sh,
# stock-guest.sh); sourced, not run. Sets kver, cache, keyring, mirror and
# apt_opts: a private apt configuration (the system's sources stay
# untouched) with trixie for the toolchain and trixie-backports for the
# kernel.
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
kver=${LANA_STOCK_KVER:-7.3.4+deb13-amd64}
cache=$LANA_CACHE/stock
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=http://deb.debian.org/debian
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives"
cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=$keyring] $mirror trixie main
deb [signed-by=$keyring] $mirror trixie-updates main
deb [signed-by=$keyring] $mirror-security trixie-security main
deb [signed-by=$keyring] $mirror trixie-backports main
SRC
apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache::Archives="$apt_dir/archives"
	-o Dir::State::Status=/dev/null -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
