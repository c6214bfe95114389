#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make test-install: checks the tree `make install DESTDIR=ROOT` made.
# Usage: install.sh ROOT
set -euo pipefail
root=$1
failed=0
fail() {
	echo "not ok: $*"
	failed=1
}

[ -x "$root/usr/sbin/lanactl" ] || fail "no executable usr/sbin/lanactl"
"$root/usr/sbin/lanactl" --version >/dev/null || fail "the installed lanactl does not run"
for f in usr/share/bash-completion/completions/lanactl usr/share/zsh/vendor-completions/_lanactl \
	usr/share/fish/vendor_completions.d/lanactl.fish usr/share/man/man8/lanactl.8 \
	usr/share/man/man5/lana-graph.5; do
	[ -s "$root/$f" ] || fail "$f not installed"
done

# The module, and depmod's aliases: what makes lanactl (generic netlink
# family "lana") and `ip link add ... type lana` load it.
modules=$(find "$root/lib/modules" -name lana.ko -path '*/updates/*')
[ "$(wc -l <<<"$modules")" = 1 ] && [ -n "$modules" ] ||
	fail "lana.ko not installed under lib/modules/RELEASE/updates: ${modules:-none}"
release_dir=$(dirname "$(dirname "$modules")")
for alias in net-pf-16-proto-16-family-lana rtnl-link-lana; do
	grep -qx "alias $alias lana" "$release_dir/modules.alias" 2>/dev/null ||
		fail "depmod did not record alias $alias (modules.alias)"
done

# Every page a page names is installed, and every page reads cleanly.
man8=$root/usr/share/man/man8 man5=$root/usr/share/man/man5
for page in "$man8"/*.8 "$man5"/*.5; do
	warnings=$(groff -k -man -ww -z "$page" 2>&1) || true
	[ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
	while read -r named; do
		name=${named%(*} section=${named: -2:1}
		[ -e "$root/usr/share/man/man$section/$name.$section" ] ||
			fail "$(basename "$page") names $named, which is not installed"
	done < <(sed 's/\\-/-/g' "$page" | grep -oE '\b[a-z][a-z0-9_-]*\([58]\)' | sort -u)
done
subcommands=$("$root/usr/sbin/lanactl" --help | awk '/^Commands:/ { on = 1; next }
	/^$/ { on = 0 } on && $1 != "help" { print $1 }')
[ -n "$subcommands" ] || fail "lanactl --help lists no subcommand"
for sub in $subcommands; do
	[ -e "$man8/lanactl-$sub.8" ] || fail "no manual page for lanactl $sub"
done

[ $failed = 0 ] && echo "install: everything in place under $root"
exit $failed
