#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make test-install: checks the tree `make install DESTDIR=ROOT` made.
# Usage: install.sh ROOT [PREFIX]
set -euo pipefail
root=$1 prefix=${2:-/usr}
failed=0
fail() {
	echo "not ok: $*"
	failed=1
}

usr=$root$prefix
[ -x "$usr/sbin/lanactl" ] || fail "no executable $prefix/sbin/lanactl"
"$usr/sbin/lanactl" --version >/dev/null || fail "the installed lanactl does not run"
zsh=share/zsh/vendor-completions
[ "$prefix" = /usr ] || zsh=share/zsh/site-functions
for f in share/bash-completion/completions/lanactl $zsh/_lanactl \
	share/fish/vendor_completions.d/lanactl.fish share/man/man8/lanactl.8 \
	share/man/man5/lana-graph.5 lib/systemd/system/lana.service; do
	[ -s "$usr/$f" ] || fail "$prefix/$f not installed"
done

# The module (compressed if the kernel says so), with the aliases that
# make lanactl (generic netlink family "lana") and `ip link add ... type
# lana` load it; a staged install writes no module index (the package's
# depmod does: its own would replace the system's).
modules=$(find "$root/lib/modules" -name 'lana.ko*' -path '*/updates/*')
[ "$(wc -l <<<"$modules")" = 1 ] && [ -n "$modules" ] ||
	fail "lana.ko not installed under lib/modules/RELEASE/updates: ${modules:-none}"
aliases=$(modinfo -F alias "$modules" 2>/dev/null | sort | tr '\n' ' ')
[ "$aliases" = "net-pf-16-proto-16-family-lana rtnl-link-lana " ] ||
	fail "lana.ko's aliases: '$aliases'"
index=$(find "$root/lib/modules" -name 'modules.*')
[ -z "$index" ] || fail "a staged install wrote a module index: $index"

# Every page a page names is installed, and every page reads cleanly.
man8=$usr/share/man/man8 man5=$usr/share/man/man5
for page in "$man8"/*.8 "$man5"/*.5; do
	warnings=$(groff -k -man -ww -z "$page" 2>&1) || true
	[ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
	# NAME(N), or `.BR NAME (N)` as hand-written pages put it.
	while read -r named; do
		name=${named%(*} name=${name% } section=${named: -2:1}
		[ -e "$usr/share/man/man$section/$name.$section" ] ||
			fail "$(basename "$page") names $named, which is not installed"
	done < <(sed 's/\\-/-/g' "$page" | grep -oE '\b[a-z][a-z0-9_-]* ?\([58]\)' | sort -u)
done
subcommands=$("$usr/sbin/lanactl" --help | awk '/^Commands:/ { on = 1; next }
	/^$/ { on = 0 } on && $1 != "help" { print $1 }')
[ -n "$subcommands" ] || fail "lanactl --help lists no subcommand"
for sub in $subcommands; do
	[ -e "$man8/lanactl-$sub.8" ] || fail "no manual page for lanactl $sub"
done

# The boot unit, as systemd reads it (with the staged lanactl in place of
# /usr/sbin's): any complaint fails, warnings included.
unit=$root/unit-check/lana.service
mkdir -p "$root/unit-check"
sed "s|$prefix/sbin/lanactl|$usr/sbin/lanactl|" "$usr/lib/systemd/system/lana.service" >"$unit"
said=$(systemd-analyze verify --man=no "$unit" 2>&1) && [ -z "$said" ] ||
	fail "systemd-analyze verify lana.service: $said"
rm -rf "$root/unit-check"

[ $failed = 0 ] && echo "install: everything in place under $root"
exit $failed
