# shellcheck shell=bash
# Tagged attachments: two lana devices share one veth, separated by tag.
# Two namespaces, each with a veth end and, over it,
#   red0  <-> eth <-> counter <-> veth, attached with --vlan 10
#   blue0 <-> eth <-> counter <-> veth, attached with --ethertype 0x88b5
# and an address on the veth itself, for untagged traffic, which must still
# reach the Linux stack. Sourced by suite.sh.

tag_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# Builds ns $1 (host part $2 of every address) over veth $3, whose peer has
# MAC $4.
tag_side() {
	local ns=$1 host=$2 dev=$3 peer=$4
	tag_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
		tag_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
		tag_ns "$ns" ip addr add "10.81.0.$host/24" dev "$dev" &&
		tag_ns "$ns" ip link set "$dev" up || fail "$ns: veth setup failed"
	local color net
	for color in red blue; do
		net=$([ $color = red ] && echo 10 || echo 20)
		tag_ns "$ns" ip link add ${color}0 type lana &&
			tag_ns "$ns" ip addr add "10.81.$net.$host/24" dev ${color}0 &&
			tag_ns "$ns" ip link set ${color}0 up &&
			tag_ns "$ns" "$LANACTL" add e$color eth "dst=$peer" &&
			tag_ns "$ns" "$LANACTL" add c$color counter &&
			tag_ns "$ns" "$LANACTL" bind e$color c$color &&
			tag_ns "$ns" "$LANACTL" attach ${color}0 e$color || fail "$ns: $color graph failed"
	done
	tag_ns "$ns" "$LANACTL" attach "$dev" cred --vlan 10 &&
		tag_ns "$ns" "$LANACTL" attach "$dev" cblue --ethertype 0x88b5 ||
		fail "$ns: tagged attach failed"
}

# Packets counter $2 of namespace $1 saw.
tag_count() {
	tag_ns "$1" "$LANACTL" stats "$2" | awk '$1 == "packets" { print $2 }'
}

tag_ping() {
	tag_ns lana_ta ping -c "$2" -i 0.2 -W 2 "$1" >/dev/null
}

case_tags_setup() {
	local mac_a mac_b
	lsmod | grep -q '^lana ' || insmod "$MODULE" || fail "insmod failed"
	ip netns add lana_ta && ip netns add lana_tb || fail "no namespaces"
	ip link add ta0 netns lana_ta type veth peer name tb0 netns lana_tb || fail "no veth"
	mac_a=$(tag_ns lana_ta cat /sys/class/net/ta0/address)
	mac_b=$(tag_ns lana_tb cat /sys/class/net/tb0/address)
	tag_side lana_ta 1 ta0 "$mac_b" || return 1
	tag_side lana_tb 2 tb0 "$mac_a" || return 1
	expect_eq "attachments with their tags" "blue0 eblue top -
red0 ered top -
ta0 cblue bottom ethertype=0x88b5
ta0 cred bottom vlan=10" "$(tag_ns lana_ta "$LANACTL" attachments | awk '{ print $1, $3, $4, $5 }' | LC_ALL=C sort)"
}

case_tags_separate() {
	local red blue
	tag_ping 10.81.10.2 3 || fail "ping over red0 (vlan 10) failed"
	tag_ping 10.81.20.2 3 || fail "ping over blue0 (ethertype 0x88b5) failed"
	red=$(tag_count lana_tb cred) blue=$(tag_count lana_tb cblue)
	tag_ping 10.81.10.2 5 || fail "ping over red0 failed"
	# 5 requests up, 5 replies down, through lana_tb's red chain only.
	expect_eq "red packets in lana_tb" $((red + 10)) "$(tag_count lana_tb cred)" || return 1
	expect_eq "blue packets in lana_tb" "$blue" "$(tag_count lana_tb cblue)" || return 1
	red=$(tag_count lana_tb cred)
	tag_ping 10.81.20.2 5 || fail "ping over blue0 failed"
	expect_eq "blue packets in lana_tb" $((blue + 10)) "$(tag_count lana_tb cblue)" || return 1
	expect_eq "red packets in lana_tb" "$red" "$(tag_count lana_tb cred)"
}

case_tags_untagged_to_stack() {
	local before after
	before=$(tag_ns lana_tb "$LANACTL" stats | awk '$1 == "to_stack_no_tag" { print $2 }')
	tag_ping 10.81.0.2 3 || fail "untagged ping over the veth itself failed"
	after=$(tag_ns lana_tb "$LANACTL" stats | awk '$1 == "to_stack_no_tag" { print $2 }')
	[ "$after" -ge $((before + 3)) ] || fail "to_stack_no_tag went from $before to $after, expected 3 more at least"
}

# An untagged attachment beside tagged ones takes the frames no tag does.
case_tags_catch_all() {
	local before
	tag_ns lana_tb "$LANACTL" add cany counter &&
		tag_ns lana_tb "$LANACTL" attach tb0 cany || fail "untagged attach beside tags failed"
	before=$(tag_count lana_tb cany)
	tag_ping 10.81.0.2 2 && fail "untagged ping reached the stack past an untagged attachment"
	[ "$(tag_count lana_tb cany)" -ge $((before + 2)) ] || fail "cany did not count the untagged frames"
	tag_ping 10.81.10.2 2 || fail "red0 traffic stopped beside an untagged attachment"
	tag_ping 10.81.20.2 2 || fail "blue0 traffic stopped beside an untagged attachment"
	tag_ns lana_tb "$LANACTL" rm --cascade cany || fail "rm --cascade cany failed"
	tag_ping 10.81.0.2 2 || fail "untagged traffic did not go back to the stack"
}

case_tags_refusals() {
	expect_refusal "device 'ta0' vlan=10 is already attached to 'cred'" \
		tag_ns lana_ta "$LANACTL" attach ta0 cblue --vlan 10 || return 1
	expect_refusal "tag 'vlan=4095': a VLAN id is 1 to 4094" \
		tag_ns lana_ta "$LANACTL" attach ta0 cblue --vlan 4095 || return 1
	expect_refusal "tag 'ethertype=0x8100': an EtherType is 0x0600 to 0xffff, not a VLAN one" \
		tag_ns lana_ta "$LANACTL" attach ta0 cblue --ethertype 0x8100 || return 1
	expect_refusal "device 'red0' is a lana device: it takes no tag" \
		tag_ns lana_ta "$LANACTL" attach red0 cblue --vlan 11 || return 1
	expect_refusal "device 'ta0' vlan=11 is not attached" \
		tag_ns lana_ta "$LANACTL" detach ta0 --vlan 11
}

case_tags_detach() {
	tag_ns lana_tb "$LANACTL" detach tb0 --vlan 10 || fail "detach --vlan 10 failed"
	tag_ping 10.81.10.2 2 && fail "red0 traffic crossed a detached tag"
	tag_ping 10.81.20.2 2 || fail "blue0 traffic stopped with red's tag detached"
	tag_ns lana_tb "$LANACTL" attach tb0 cred --vlan 10 || fail "attach again failed"
	tag_ping 10.81.10.2 2 || fail "red0 traffic did not resume"
	# Without a tag, detach takes every attachment of the device.
	tag_ns lana_tb "$LANACTL" detach tb0 || fail "detach tb0 failed"
	[ -z "$(tag_ns lana_tb "$LANACTL" attachments | grep tb0)" ] || fail "tb0 still attached"
	tag_ping 10.81.20.2 2 && fail "blue0 traffic crossed a detached device"
	tag_ping 10.81.0.2 2 || fail "untagged traffic stopped"
	ip netns del lana_ta
	ip netns del lana_tb
	rmmod lana || fail "rmmod failed"
}

run_case "tagged attachments: two lana devices over one veth" case_tags_setup
run_case "vlan 10 and ethertype 0x88b5 traffic stays separated" case_tags_separate
run_case "frames of no attachment's tag reach the Linux stack, counted" case_tags_untagged_to_stack
run_case "an untagged attachment beside tags takes what no tag does" case_tags_catch_all
run_case "tag refusals: duplicate, out of range, VLAN EtherType, lana device" case_tags_refusals
run_case "detach one tag, then the whole device" case_tags_detach
