# shellcheck shell=bash
# Coexistence: a device another driver holds (bridge port, macvlan lower,
# bond slave) cannot be attached, with a clear message; attaching and
# detaching leaves a device exactly as it was. Sourced by suite.sh.

# What a device is, less its counters: flags, promiscuity, master, kind.
link_state() {
	ip -d link show dev "$1" | sed 's/ifindex [0-9]*//'
}

case_coexist_setup() {
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	ip link add cx0 type dummy && ip link set cx0 up && ip link add cx1 type dummy &&
		ip link set cx1 up && ip link add cxbr0 type bridge || fail "cannot create devices"
	lanactl add cxa counter || fail "add cxa failed"
}

case_detach_restores_the_device() {
	local before
	before=$(link_state cx0)
	lanactl attach cx0 cxa || fail "attach failed"
	# Ours while attached: a bridge cannot take the device.
	ip link set cx0 master cxbr0 2>/dev/null && fail "a bridge took an attached device"
	lanactl detach cx0 || fail "detach failed"
	expect_eq "cx0 after attach and detach" "$before" "$(link_state cx0)" || return 1
	# Free again: the bridge can take it now.
	ip link set cx0 master cxbr0 || fail "the bridge cannot take cx0 after detach"
}

case_bridge_port_refused() {
	local before
	before=$(link_state cx0)
	refused_unchanged "device 'cx0' is in use by another rx_handler (bridge, bond...)" \
		lanactl attach cx0 cxa || return 1
	expect_eq "bridge port after a refused attach" "$before" "$(link_state cx0)" || return 1
	ip link set cx0 nomaster || fail "cannot release cx0 from the bridge"
}

case_macvlan_lower_refused() {
	ip link add cxm0 link cx1 type macvlan || fail "cannot create macvlan cxm0"
	refused_unchanged "device 'cx1' is in use by another rx_handler (bridge, bond...)" \
		lanactl attach cx1 cxa || return 1
	# The macvlan device itself is free to attach.
	lanactl attach cxm0 cxa && lanactl detach cxm0 || fail "attach/detach cxm0 failed"
	ip link del cxm0
}

case_bond_slave_refused() {
	ip link add cxbond0 type bond 2>/dev/null || { skip "the kernel has no bonding driver"; return; }
	ip link set cx1 down && ip link set cx1 master cxbond0 || fail "cannot enslave cx1"
	refused_unchanged "device 'cx1' is in use by another rx_handler (bridge, bond...)" \
		lanactl attach cx1 cxa || return 1
	ip link del cxbond0
}

# Leaves the module unloaded, as the files before and after expect.
case_coexist_teardown() {
	rmmod lana && ip link del cx0 && ip link del cx1 && ip link del cxbr0 ||
		fail "teardown failed"
}

run_case "coexistence: devices, a bridge, a block" case_coexist_setup
run_case "attach then detach leaves the device exactly as before" case_detach_restores_the_device
run_case "a bridge port is refused, clearly, and stays a bridge port" case_bridge_port_refused
run_case "a macvlan's lower device is refused; the macvlan itself is not" case_macvlan_lower_refused
run_case "a bond slave is refused" case_bond_slave_refused
run_case "coexistence teardown" case_coexist_teardown
