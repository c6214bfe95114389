# shellcheck shell=bash
# Installed the way make install installs it (lib/modules/RELEASE/updates,
# then depmod), the module loads on demand: by modprobe, by the first
# lanactl command (the kernel asks for generic-netlink family "lana") and by
# `ip link add ... type lana` (rtnl link kind "lana"). The module root is a
# directory of its own; the kernel's modprobe is pointed at it for the
# file, and put back after. Sourced by suite.sh.

AUTOLOAD_ROOT=/tmp/lana-modroot
MODPROBE_SYSCTL=/proc/sys/kernel/modprobe

# The kernel's requests for modules since the file began, one per line.
autoload_requests() {
	cat $AUTOLOAD_ROOT/requests 2>/dev/null
}

# expect_loaded_by REQUEST WHAT: lana is loaded, and the kernel asked for it
# as REQUEST.
expect_loaded_by() {
	lsmod | grep -q "^lana " || fail "$2 did not load lana (the kernel asked for: $(autoload_requests))"
	autoload_requests | grep -qx -- "-q -- $1" ||
		fail "$2 loaded lana, but not by $1: $(autoload_requests)"
}

case_autoload_setup() {
	local release dir
	release=$(uname -r)
	dir=$AUTOLOAD_ROOT/lib/modules/$release/updates
	lsmod | grep -q "^lana " && { rmmod lana || fail "rmmod failed"; }
	mkdir -p $dir && cp "$MODULE" $dir/lana.ko || fail "cannot place lana.ko"
	depmod -b $AUTOLOAD_ROOT "$release" || fail "depmod failed"
	for alias in net-pf-16-proto-16-family-lana rtnl-link-lana; do
		grep -qx "alias $alias lana" $AUTOLOAD_ROOT/lib/modules/$release/modules.alias ||
			fail "depmod recorded no alias $alias: $(cat $AUTOLOAD_ROOT/lib/modules/$release/modules.alias)"
	done
	# What the kernel runs to load a module it is asked for: modprobe,
	# looking in this root, noting each request.
	cat >$AUTOLOAD_ROOT/modprobe <<EOF
#!/bin/sh
echo "\$*" >>$AUTOLOAD_ROOT/requests
exec $(command -v modprobe) -d $AUTOLOAD_ROOT "\$@"
EOF
	chmod 0755 $AUTOLOAD_ROOT/modprobe
	cat $MODPROBE_SYSCTL >$AUTOLOAD_ROOT/modprobe.was
	echo $AUTOLOAD_ROOT/modprobe >$MODPROBE_SYSCTL
}

case_modprobe_loads_lana() {
	autoload_unloaded
	modprobe -d $AUTOLOAD_ROOT lana || fail "modprobe lana failed"
	lsmod | grep -q "^lana " || fail "modprobe did not load lana"
	lanactl list >/dev/null || fail "lanactl list failed after modprobe"
	modprobe -d $AUTOLOAD_ROOT -r lana || fail "modprobe -r lana failed"
	! lsmod | grep -q "^lana " || fail "modprobe -r left lana loaded"
}

# autoload_unloaded: lana not loaded, the requests log empty (a case
# before may have failed with lana loaded).
autoload_unloaded() {
	! lsmod | grep -q "^lana " || rmmod lana || fail "rmmod failed"
	: >$AUTOLOAD_ROOT/requests
}

case_lanactl_autoloads() {
	local out
	autoload_unloaded
	out=$(lanactl list) || fail "lanactl list with the module unloaded failed: $out"
	expect_loaded_by net-pf-16-proto-16-family-lana "lanactl list" || return 1
	lanactl add al0 counter && block_names | grep -qx al0 || fail "lanactl add after the autoload failed"
	rmmod lana || fail "rmmod failed"
}

case_ip_link_autoloads() {
	autoload_unloaded
	ip link add lauto0 type lana || fail "ip link add lauto0 type lana with the module unloaded failed"
	expect_loaded_by rtnl-link-lana "ip link add type lana" || return 1
	ip -br link show type lana | grep -q "^lauto0 " || fail "no lana device lauto0: $(ip -br link)"
	ip link del lauto0 && rmmod lana || fail "teardown of lauto0 failed"
}

# The boot unit's commands (lanactl/lana.service), run as systemd would run
# them on a graph file of our own: start builds the graph and its lana
# device (loading the module on demand), reload changes it, stop removes
# it; after rmmod, start again brings it back.
unit_command() {
	local key=$1 file=$2 line
	line=$(sed -n "s/^$key=//p" "$TOP/lanactl/lana.service")
	[ -n "$line" ] || fail "lana.service has no $key"
	line=${line//\/etc\/lana\/graph.toml/$file}
	line=${line//\/usr\/sbin\/lanactl/$LANACTL}
	# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
	$line >/dev/null
}

case_boot_unit_commands() {
	local file=$AUTOLOAD_ROOT/graph.toml
	autoload_unloaded
	ip link add ub0 type dummy || fail "cannot create ub0"
	printf '[[block]]\nname = "ua"\ntype = "counter"\n\n[[attach]]\ndev = "ub0"\nblock = "ua"\n' >$file
	printf '\n[[vlink]]\nname = "ulv0"\n\n[[attach]]\ndev = "ulv0"\nblock = "ua"\n' >>$file
	unit_command ExecStart $file || fail "ExecStart failed"
	expect_loaded_by net-pf-16-proto-16-family-lana "ExecStart" || return 1
	expect_eq "blocks after ExecStart" ua "$(block_names)" || return 1
	printf '[[block]]\nname = "uc"\ntype = "drop"\n' >>$file
	unit_command ExecReload $file || fail "ExecReload failed"
	expect_eq "blocks after ExecReload" "ua uc" "$(block_names | tr '\n' ' ' | sed 's/ $//')" || return 1
	unit_command ExecStop $file || fail "ExecStop failed"
	expect_no_blocks "blocks after ExecStop" || return 1
	rmmod lana || fail "rmmod failed"
	unit_command ExecStart $file || fail "ExecStart after rmmod failed"
	expect_eq "attachments after rmmod and ExecStart" "ub0 ulv0" \
		"$(lanactl attachments | awk '{ print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')" || return 1
	unit_command ExecStop $file || fail "ExecStop failed"
	expect_eq "lana devices after ExecStop" "" "$(ip -o link show type lana)" || return 1
	rmmod lana && ip link del ub0 || fail "teardown failed"
}

case_autoload_teardown() {
	[ -e $AUTOLOAD_ROOT/modprobe.was ] && cat $AUTOLOAD_ROOT/modprobe.was >$MODPROBE_SYSCTL
	lsmod | grep -q "^lana " && rmmod lana
	rm -rf $AUTOLOAD_ROOT
	! lsmod | grep -q "^lana " || fail "lana still loaded"
}

run_case "autoload: lana.ko placed like make install, depmod records its aliases" case_autoload_setup
run_case "autoload: modprobe loads and unloads lana" case_modprobe_loads_lana
run_case "autoload: the first lanactl command loads lana (generic netlink family)" case_lanactl_autoloads
run_case "autoload: ip link add ... type lana loads lana (rtnl link kind)" case_ip_link_autoloads
run_case "lana.service: start, reload, stop, and start after rmmod" case_boot_unit_commands
run_case "autoload teardown: the kernel's modprobe put back" case_autoload_teardown
