# shellcheck shell=bash
# replace: atomic, state carried, zero loss under traffic. Sourced by suite.sh.

RDEV=lana_r0

case_replace_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $RDEV type dummy && ip link set $RDEV up || fail "cannot create $RDEV"
	lanactl add r1 counter && lanactl add rf forward && lanactl bind rf r1 &&
		lanactl attach $RDEV r1 || fail "building $RDEV -> r1 -> rf failed"
}

case_replace_rewires() {
	lanactl add r2 counter || return 1
	lanactl replace r1 r2 || fail "replace r1 r2 failed"
	local list
	list=$(lanactl list)
	grep -q ' r1 ' <<<"$list" && fail "r1 still listed: $list"
	grep -qE '^[0-9]+ +rf +forward +- +r2$' <<<"$list" || fail "rf not above r2: $list"
	grep -qE '^[0-9]+ +r2 +counter +rf +-$' <<<"$list" || fail "r2 not below rf: $list"
	lanactl attachments | grep -qE "^$RDEV +[0-9]+ +r2 +bottom +-$" || fail "$RDEV not on r2: $(lanactl attachments)"
}

case_replace_carries_state() {
	pktgen_inject $RDEV 1000 || return 1
	lanactl add r3 counter && lanactl replace r2 r3 || fail "replace r2 r3 failed"
	expect_eq "r3 packets (carried)" 1000 "$(block_stat r3 packets)" || return 1
	expect_eq "r3 bytes (carried)" $((1000 * PKTGEN_FRAME_LEN)) "$(block_stat r3 bytes)" || return 1
	lanactl add r4 counter && lanactl replace --drop-state r3 r4 || fail "replace --drop-state failed"
	expect_eq "r4 packets (state dropped)" 0 "$(block_stat r4 packets)"
}

# One batch replaces r4 by s1 and s1 by s2: r4's state reaches s2 through
# s1, whose own counts (none: it is new) add nothing.
case_batch_replace_twice_carries_state() {
	local probe="$TOP/target/release/genl-fuzz" reqs out
	pktgen_inject $RDEV 500 || return 1
	reqs="add+block_name=s:s1+block_type=s:counter/add+block_name=s:s2+block_type=s:counter"
	reqs="$reqs/replace+block_name=s:r4+new_name=s:s1/replace+block_name=s:s1+new_name=s:s2"
	out=$("$probe" --probe apply "requests=reqs:$reqs") || fail "genl-fuzz --probe failed: $out"
	expect_eq "a batch replacing twice" "errno 0: -" "$out" || return 1
	expect_eq "s2 packets (carried through s1)" 500 "$(block_stat s2 packets)" || return 1
	expect_eq "s2 bytes (carried through s1)" $((500 * PKTGEN_FRAME_LEN)) "$(block_stat s2 bytes)" || return 1
	lanactl attachments | grep -qE "^$RDEV +[0-9]+ +s2 +bottom +-$" || fail "$RDEV not on s2: $(lanactl attachments)"
}

# A block may take two places in turn in one batch when it is unbound:
# u1 (300 frames, counted while a second device fed it) gives way to v1,
# v1 then takes x1's place and gives way to v2. v2 must read u1's count,
# which passes through v1's entry after v1 has left the registry.
case_batch_replace_chain_carries_state() {
	local probe="$TOP/target/release/genl-fuzz" reqs out dev=lana_r1
	ip link add $dev type dummy && ip link set $dev up || fail "cannot create $dev"
	lanactl add u1 counter && lanactl attach $dev u1 || fail "attaching $dev to u1 failed"
	pktgen_inject $dev 300 || return 1
	lanactl detach $dev && ip link del $dev && lanactl add x1 counter || fail "detaching $dev failed"
	reqs="add+block_name=s:v1+block_type=s:counter/add+block_name=s:v2+block_type=s:counter"
	reqs="$reqs/replace+block_name=s:u1+new_name=s:v1/replace+block_name=s:x1+new_name=s:v1"
	reqs="$reqs/replace+block_name=s:v1+new_name=s:v2"
	out=$("$probe" --probe apply "requests=reqs:$reqs") || fail "genl-fuzz --probe failed: $out"
	expect_eq "a batch replacing along a chain" "errno 0: -" "$out" || return 1
	expect_eq "v2 packets (u1's, through v1)" 300 "$(block_stat v2 packets)" || return 1
	lanactl rm v2 || fail "rm v2 failed"
}

case_replace_refusals() {
	lanactl add r5 counter || return 1
	refused_unchanged "block 'rf' is bound: replace needs an unbound block" lanactl replace r5 rf || return 1
	refused_unchanged "cannot replace block 'rf' with itself" lanactl replace rf rf || return 1
	refused_unchanged "no block 'nope'" lanactl replace nope r5 || return 1
	refused_unchanged "no block 'nope'" lanactl replace rf nope || return 1
	lanactl rm r5 || fail "rm r5 failed"
}

# While pktgen pushes a fixed number of frames through the graph, replace the
# counter again and again by fresh ones carrying its state: the last one
# must read exactly the frames injected.
case_replace_zero_loss_under_traffic() {
	local total=${REPLACE_FRAMES:-2000000} p0 s0 i=0 replaced=0 pid cur
	# Start from a fresh counter, whatever the cases before left attached.
	cur=$(lanactl attachments | awk -v d=$RDEV '$1 == d { print $3 }')
	lanactl add z0 counter && lanactl replace --drop-state "$cur" z0 || return 1
	p0=$(engine_stat packets) s0=$(engine_stat to_stack_no_entry)
	pktgen_inject $RDEV $total &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		lanactl add "z$((i + 1))" counter && lanactl replace "z$i" "z$((i + 1))" ||
			fail "replace z$i z$((i + 1)) failed under traffic"
		i=$((i + 1)) replaced=$((replaced + 1))
	done
	wait $pid || fail "pktgen failed"
	[ "$replaced" -ge 3 ] || { skip "pktgen finished after $replaced replaces: too fast to test"; return; }
	echo "# $replaced replaces while $total frames flowed"
	expect_eq "z$i packets after $replaced replaces" $total "$(block_stat "z$i" packets)" || return 1
	expect_eq "engine packets" $((p0 + total)) "$(engine_stat packets)" || return 1
	# A frame that found no entry during a publish would go to the stack,
	# counted here (drop_no_entry counts only packets sent through a lana
	# device, which this file has none of).
	expect_eq "engine to_stack_no_entry" "$s0" "$(engine_stat to_stack_no_entry)"
}

case_replace_teardown() {
	local last
	last=$(lanactl attachments | awk -v d=$RDEV '$1 == d { print $3 }')
	lanactl detach $RDEV && lanactl unbind rf "$last" && lanactl rm rf &&
		lanactl rm "$last" || fail "teardown failed"
	expect_no_blocks "blocks left"
	rmmod lana || fail "rmmod failed"
	ip link del $RDEV
}

run_case "replace setup: $RDEV -> counter r1 -> forward rf" case_replace_setup
run_case "replace rewires bindings and attachments" case_replace_rewires
run_case "replace carries a counter's state, or not with --drop-state" case_replace_carries_state
run_case "a batch replacing a block twice carries its state to the last" case_batch_replace_twice_carries_state
run_case "a block taking two places in one batch passes both states on" case_batch_replace_chain_carries_state
run_case "replace refuses bad input and changes nothing" case_replace_refusals
run_case "replace under traffic loses no packet and counts none twice" case_replace_zero_loss_under_traffic
run_case "replace teardown leaves nothing behind" case_replace_teardown
