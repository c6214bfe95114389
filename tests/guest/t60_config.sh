# shellcheck shell=bash
# Block configuration: keys listed by types, set at add or later (all or
# nothing), read back by get and show. Sourced by suite.sh.

case_config_setup() {
	insmod "$MODULE" || fail "insmod failed"
}

case_types_list_keys() {
	local types
	types=$(lanactl types)
	grep -qE '^    reason=.*\(default drop\)' <<<"$types" || fail "drop's key not listed: $types"
	lanactl --json types | grep -q '"default": "drop"' || fail "JSON: $(lanactl --json types)"
}

case_add_with_options() {
	lanactl add d1 drop reason=acl || fail "add with an option failed"
	expect_eq "get d1" "reason=acl" "$(lanactl get d1)" || return 1
	lanactl add d2 drop || return 1
	expect_eq "get d2 (default)" "reason=drop" "$(lanactl get d2)" || return 1
	lanactl show d1 | grep -qx '  config: reason=acl' || fail "show: $(lanactl show d1)"
}

case_set_changes_config() {
	lanactl set d1 reason=policy || fail "set failed"
	expect_eq "get d1 after set" "reason=policy" "$(lanactl get d1)" || return 1
	lanactl --json get d1 | grep -q '"reason": "policy"' || fail "JSON: $(lanactl --json get d1)"
	# The label is shown with the counts.
	expect_eq "stats d1" "dropped 0
reason policy" "$(lanactl stats d1 | grep -E '^(dropped|reason) ')" || return 1
	lanactl --json stats d1 | grep -q '"reason":"policy"\|"reason": "policy"' ||
		fail "JSON stats: $(lanactl --json stats d1)"
}

case_config_refusals() {
	refused_unchanged "type 'drop' has no key 'nope'" lanactl set d1 nope=1 || return 1
	refused_unchanged "block 'd1': reason 'a b' may only hold" lanactl set d1 'reason=a b' || return 1
	# All or nothing: one bad option leaves the good one unapplied.
	refused_unchanged "type 'drop' has no key 'nope'" lanactl set d1 reason=other nope=1 || return 1
	expect_eq "get d1 after refusals" "reason=policy" "$(lanactl get d1)" || return 1
	refused_unchanged "type 'counter' has no key 'reason'" lanactl add c1 counter reason=x || return 1
	refused_unchanged "block 'd3': reason" lanactl add d3 drop 'reason=bad/label' || return 1
	refused_unchanged "no block 'nope'" lanactl get nope
}

case_set_is_an_event() {
	local a0
	a0=$(block_stat d1 events)
	lanactl set d1 reason=again || return 1
	expect_eq "d1 events after set" $((a0 + 1)) "$(block_stat d1 events)"
}

case_config_teardown() {
	lanactl rm d1 && lanactl rm d2 || fail "teardown failed"
	rmmod lana || fail "rmmod failed"
}

run_case "config setup" case_config_setup
run_case "types lists each key with its syntax and default" case_types_list_keys
run_case "add takes options; get and show read them back" case_add_with_options
run_case "set changes a block's configuration" case_set_changes_config
run_case "bad options are refused, naming block and key, all or nothing" case_config_refusals
run_case "set is delivered as an event" case_set_is_an_event
run_case "config teardown" case_config_teardown
