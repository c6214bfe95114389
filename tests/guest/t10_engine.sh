# shellcheck shell=bash
# The walking skeleton: load, build dev -> counter -> forward, count exactly
# the injected frames, refuse bad input, detach, unload. Sourced by suite.sh.

DEV=lana_d0
N=10000

case_unloaded_module_is_reported() {
	expect_refusal "the lana module is not loaded" lanactl list
}

case_load() {
	insmod "$MODULE" || fail "insmod $MODULE failed"
	local types
	types=$(lanactl types)
	grep -q '^counter ' <<<"$types" || fail "no counter type in: $types"
	grep -q '^forward ' <<<"$types" || fail "no forward type in: $types"
}

case_kunit() {
	local ktap
	ktap=$(dmesg --notime | grep -E '^(not )?ok [0-9]+ lana_' || true)
	[ -n "$ktap" ] || { skip "no KUnit results in dmesg (CONFIG_KUNIT off?)"; return; }
	grep -q 'not ok' <<<"$ktap" && fail "KUnit failures: $ktap"
	local suite
	for suite in lana_registry lana_graph lana_attach; do
		grep -qE "^ok [0-9]+ $suite\$" <<<"$ktap" || fail "$suite did not pass: $ktap"
	done
}

case_build_graph() {
	ip link add $DEV type dummy && ip link set $DEV up || fail "cannot create $DEV"
	lanactl add c1 counter && lanactl add f1 forward && lanactl bind f1 c1 &&
		lanactl attach $DEV c1 || fail "building the graph failed"
	local list
	list=$(lanactl list)
	grep -qE '^1 +c1 +counter +f1 +-$' <<<"$list" || fail "c1 not listed as expected: $list"
	grep -qE '^2 +f1 +forward +- +c1$' <<<"$list" || fail "f1 not listed as expected: $list"
	lanactl attachments | grep -qE "^$DEV +[0-9]+ +c1 +bottom +-$" || fail "$DEV not attached: $(lanactl attachments)"
}

case_counts_exactly() {
	local p0 h0 d0
	p0=$(engine_stat packets) h0=$(engine_stat hops) d0=$(engine_stat drop_no_next)
	pktgen_inject $DEV $N || return 1
	expect_eq "c1 packets" "$N" "$(block_stat c1 packets)" || return 1
	expect_eq "c1 bytes" "$((N * PKTGEN_FRAME_LEN))" "$(block_stat c1 bytes)" || return 1
	expect_eq "engine packets" "$((p0 + N))" "$(engine_stat packets)" || return 1
	# Two blocks per frame; nothing above f1, so each is dropped and counted.
	expect_eq "engine hops" "$((h0 + 2 * N))" "$(engine_stat hops)" || return 1
	expect_eq "engine drop_no_next" "$((d0 + N))" "$(engine_stat drop_no_next)"
}

case_json_stats() {
	lanactl --json stats c1 | grep -q "\"packets\": $N" || fail "JSON stats: $(lanactl --json stats c1)"
}

case_bad_input() {
	refused_unchanged "unknown block type 'nosuch'" lanactl add x1 nosuch || return 1
	refused_unchanged "block 'c1' already exists" lanactl add c1 forward || return 1
	refused_unchanged "no device 'nosuchdev'" lanactl attach nosuchdev c1 || return 1
	refused_unchanged "no block 'nope'" lanactl attach $DEV nope || return 1
	refused_unchanged "already attached to 'c1'" lanactl attach $DEV f1 || return 1
	refused_unchanged "no block 'nope'" lanactl bind nope c1 || return 1
	refused_unchanged "cannot bind block 'c1' to itself" lanactl bind c1 c1 || return 1
	refused_unchanged "is already bound above 'c1'" lanactl bind f1 c1 || return 1
	refused_unchanged "is not bound above" lanactl unbind c1 f1 || return 1
	refused_unchanged "device 'lo' is not attached" lanactl detach lo || return 1
	refused_unchanged "may only hold" lanactl add 'bad/name' counter || return 1
	refused_unchanged "block 'c1' is in use: device '$DEV' is attached" lanactl rm c1 || return 1
	refused_unchanged "block 'f1' is in use: it is bound above 'c1'" lanactl rm f1
}

case_needs_cap_net_admin() {
	command -v setpriv >/dev/null || { skip "setpriv (util-linux) not installed"; return; }
	# A copy anyone can execute, wherever the work tree lives.
	install -m 0755 "$LANACTL" /tmp/lanactl-unpriv
	refused_unchanged "CAP_NET_ADMIN" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all /tmp/lanactl-unpriv add x2 counter || return 1
	# Reading is allowed without privilege.
	setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/lanactl-unpriv list >/dev/null ||
		fail "unprivileged list refused"
}

case_detach_stops_delivery() {
	lanactl detach $DEV || fail "detach failed"
	[ -z "$(lanactl attachments)" ] || fail "still attached: $(lanactl attachments)"
	pktgen_inject $DEV 100 || return 1
	expect_eq "c1 packets after detach" "$N" "$(block_stat c1 packets)"
}

case_device_unregister_detaches() {
	ip link add lana_d1 type dummy && ip link set lana_d1 up || fail "cannot create lana_d1"
	lanactl attach lana_d1 f1 || fail "attach lana_d1 failed"
	ip link del lana_d1 || fail "cannot delete lana_d1"
	[ -z "$(lanactl attachments)" ] || fail "still attached: $(lanactl attachments)"
	dmesg | grep -q "device lana_d1 unregistering: detached" || fail "no detach message in dmesg"
}

case_unload_while_attached() {
	lanactl attach $DEV c1 || fail "re-attach failed"
	rmmod lana || fail "rmmod failed"
	# Our handler must be gone: traffic still flows into the stack...
	pktgen_inject $DEV 100 || return 1
	# ...and a fresh module can attach again (EBUSY if a handler was left).
	insmod "$MODULE" || fail "re-insmod failed"
	lanactl add c9 counter && lanactl attach $DEV c9 || fail "attach after reload failed"
	pktgen_inject $DEV 100 || return 1
	expect_eq "c9 packets" 100 "$(block_stat c9 packets)" || return 1
	rmmod lana || fail "final rmmod failed"
	ip link del $DEV
}

run_case "lanactl reports an unloaded module" case_unloaded_module_is_reported
run_case "insmod lana.ko registers the family and block types" case_load
run_case "KUnit suites of the module pass" case_kunit
run_case "build $DEV -> counter c1 -> forward f1" case_build_graph
run_case "counter reads exactly $N packets and $N x $PKTGEN_FRAME_LEN bytes" case_counts_exactly
run_case "stats --json carries the same count" case_json_stats
run_case "bad input is refused with its message and changes nothing" case_bad_input
run_case "mutating commands need CAP_NET_ADMIN" case_needs_cap_net_admin
run_case "detach stops delivery" case_detach_stops_delivery
run_case "unregistering a device detaches it" case_device_unregister_detaches
run_case "rmmod while attached releases the device" case_unload_while_attached
