# shellcheck shell=bash
# The table of bad inputs: each command's malformed requests, sent as raw
# generic netlink (genl-fuzz --probe, so nothing in lanactl checks them
# first), each answered with its errno and its own extack message, none
# changing the graph. Sourced by suite.sh.

# errno | extack message (a part of it) | the request: command, then fields
BAD_INPUTS=$(
	cat <<'EOF'
22|missing block name|add block_type=s:counter
22|missing block type|add block_name=s:x
2|unknown block type 'nope' (see lanactl types)|add block_name=s:x block_type=s:nope
22|Attribute failed policy validation|add block_name=s:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx block_type=s:counter
22|Attribute failed policy validation|add block_name=raw:6161 block_type=s:counter
22|block name '<not UTF-8>' may only hold A-Z a-z 0-9 _ . : -|add block_name=raw:66ff00 block_type=s:counter
22|block name 'a b' may only hold A-Z a-z 0-9 _ . : -|add block_name=s:a%20b block_type=s:counter
22|block name is empty|add block_name=s: block_type=s:counter
17|block 'ba' already exists|add block_name=s:ba block_type=s:forward
22|Unknown attribute type|add block_name=s:x block_type=s:counter 60=s:x
22|option 'reason' is not key=value|add block_name=s:x block_type=s:drop options=opts:reason
22|type 'counter' has no key 'reason' (see lanactl types)|add block_name=s:x block_type=s:counter options=opts:reason=x
22|block 'x': promisc 'maybe' is not on or off|add block_name=s:x block_type=s:eth options=opts:promisc=maybe
22|missing block name|rm
2|no block 'zz'|rm block_name=s:zz
16|block 'ba' is in use: device 'bi0' is attached to it|rm block_name=s:ba
16|block 'bb' is in use: it is bound above 'ba'|rm block_name=s:bb
22|missing lower block name|bind upper=s:bc
22|cannot bind block 'bc' to itself|bind upper=s:bc lower=s:bc
2|no block 'gone'|bind upper=s:gone lower=s:bc
16|block 'bb' is already bound above 'ba'|bind upper=s:bb lower=s:bc
16|block 'bc' already has 'bd' bound above it|bind upper=s:bt lower=s:bc
2|block 'bt' has no port 'copy'|bind upper=s:bc lower=s:bt port=s:copy
2|block 'bb' is not bound above 'bc'|unbind upper=s:bb lower=s:bc
16|carries device 'bi0' traffic (--force)|unbind upper=s:bb lower=s:ba
22|missing device name|attach block_name=s:bb
19|no device 'nodev'|attach dev_name=s:nodev block_name=s:bb
22|Attribute failed policy validation|attach dev_name=s:aaaaaaaaaaaaaaaaaaaa block_name=s:bb
16|device 'bi0' is already attached to 'ba'|attach dev_name=s:bi0 block_name=s:bb
16|device 'bi1' is in use by another rx_handler (bridge, bond...)|attach dev_name=s:bi1 block_name=s:bb
22|tag 'vlan=5000': a VLAN id is 1 to 4094|attach dev_name=s:bi0 block_name=s:bb tag=s:vlan=5000
22|tag 'ethertype=0x8100': an EtherType is 0x0600 to 0xffff, not a VLAN one|attach dev_name=s:bi0 block_name=s:bb tag=s:ethertype=0x8100
22|tag 'color=red': not vlan=ID or ethertype=0xTYPE|attach dev_name=s:bi0 block_name=s:bb tag=s:color=red
2|device 'bi0' vlan=7 is not attached|detach dev_name=s:bi0 tag=s:vlan=7
2|device 'lo' is not attached|detach dev_name=s:lo
22|cannot replace block 'bb' with itself|replace block_name=s:bb new_name=s:bb
16|block 'bd' is bound: replace needs an unbound block|replace block_name=s:bb new_name=s:bd
22|block 'bb' always receives its own events|subscribe block_name=s:bb peer=s:bb
2|'bb' is not subscribed to 'bc'|unsubscribe block_name=s:bb peer=s:bc
22|missing packet count|trace dev_name=s:bi0
22|invalid attribute length|trace dev_name=s:bi0 count=raw:01
22|batch request without a command|apply requests=reqs:add+block_name=s:y+block_type=s:counter/none+block_name=s:y
22|invalid attribute length|apply requests=reqs:add+block_name=s:y+block_type=s:counter/rm+request_cmd=raw:01
22|command 8 cannot be part of a batch|apply requests=reqs:add+block_name=s:y+block_type=s:counter/stats
116|the graph is at revision|apply requests=reqs:add+block_name=s:y+block_type=s:counter revision=u32:999999
2|no block 'zz'|apply requests=reqs:add+block_name=s:y+block_type=s:counter/rm+block_name=s:zz
22|block 'bd' is set twice in one batch|apply requests=reqs:set+block_name=s:bd/set+block_name=s:bd
95|-|99
EOF
)

# The graph and every counter a refused request could have touched.
bad_input_state() {
	lanactl dump
	lanactl attachments
	lanactl show ba
}

case_bad_input_setup() {
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	ip link add bi0 type dummy && ip link set bi0 up && ip link add bi1 type dummy &&
		ip link add bibr0 type bridge && ip link set bi1 master bibr0 ||
		fail "cannot create bi0, bi1, bibr0"
	lanactl add ba counter && lanactl add bb forward && lanactl add bc counter &&
		lanactl add bd counter && lanactl add bt tee && lanactl bind bb ba &&
		lanactl bind bd bc && lanactl attach bi0 ba || fail "building the graph failed"
}

case_bad_input_table() {
	local before errno msg words out rows=0 line fields
	before=$(bad_input_state)
	while IFS='|' read -r errno msg words; do
		[ -n "$errno" ] || continue
		rows=$((rows + 1))
		# %20 stands for a space inside a field.
		read -ra fields <<<"$words"
		out=$("$TOP/target/release/genl-fuzz" --probe "${fields[@]//%20/ }") ||
			fail "genl-fuzz --probe $words failed: $out"
		line="errno $errno: "
		[[ "$out" == "$line"*"$msg"* ]] ||
			fail "'$words': expected '$line...$msg...', got '$out'"
	done <<<"$BAD_INPUTS"
	expect_eq "graph after $rows refused requests" "$before" "$(bad_input_state)" || return 1
	echo "# $rows bad requests, each refused with its own message, the graph unchanged"
}

# Leaves the module unloaded, as the files before and after expect.
case_bad_input_teardown() {
	rmmod lana && ip link del bi0 && ip link del bi1 && ip link del bibr0 ||
		fail "teardown failed"
}

run_case "bad input: a graph, a device, a bridge port" case_bad_input_setup
run_case "bad input table: errno and extack per request, nothing changed" case_bad_input_table
run_case "bad input teardown" case_bad_input_teardown
