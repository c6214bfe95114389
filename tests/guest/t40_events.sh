# shellcheck shell=bash
# Events: delivered over each block's notifier chain to the block and its
# subscribers, and multicast to `lanactl monitor`. Sourced by suite.sh.

EDEV=lana_e0

case_events_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $EDEV type dummy && ip link set $EDEV up || fail "cannot create $EDEV"
	lanactl add ea counter && lanactl add eb forward && lanactl add ec counter ||
		fail "adding blocks failed"
}

case_events_reach_subscribers() {
	local a0 b0 c0
	lanactl subscribe ea eb || fail "subscribe ea eb failed"
	a0=$(block_stat ea events) b0=$(block_stat eb events) c0=$(block_stat ec events)
	lanactl bind eb ec || return 1
	# eb's chain carries the bind to eb and to its subscriber ea; ec hears
	# it on its own chain.
	expect_eq "ea events (subscribed to eb)" $((a0 + 1)) "$(block_stat ea events)" || return 1
	expect_eq "eb events" $((b0 + 1)) "$(block_stat eb events)" || return 1
	expect_eq "ec events" $((c0 + 1)) "$(block_stat ec events)" || return 1
	lanactl unsubscribe ea eb || fail "unsubscribe failed"
	a0=$(block_stat ea events)
	lanactl unbind eb ec || return 1
	expect_eq "ea events after unsubscribe" "$a0" "$(block_stat ea events)"
}

case_events_refusals() {
	refused_unchanged "block 'ea' always receives its own events" lanactl subscribe ea ea || return 1
	refused_unchanged "no block 'nope'" lanactl subscribe ea nope || return 1
	refused_unchanged "'ea' is not subscribed to 'eb'" lanactl unsubscribe ea eb || return 1
	lanactl subscribe ea eb || return 1
	refused_unchanged "'ea' is already subscribed to 'eb'" lanactl subscribe ea eb || return 1
	refused_unchanged "block 'eb' is in use: 'ea' is subscribed to it" lanactl rm eb || return 1
	lanactl unsubscribe ea eb
}

case_events_monitor() {
	local out=/tmp/lana-monitor.out err=/tmp/lana-monitor.err pid i expected
	lanactl --json monitor --count 10 >$out 2>$err &
	pid=$!
	for i in $(seq 100); do
		grep -q "monitoring events" $err && break
		sleep 0.1
	done
	grep -q "monitoring events" $err || fail "monitor did not start: $(cat $err)"
	lanactl add ed counter && lanactl bind ed ec && lanactl attach $EDEV ec &&
		ip link set $EDEV down && ip link set $EDEV up &&
		lanactl add ee counter && lanactl replace ec ee &&
		lanactl subscribe ea ee && ip link del $EDEV || fail "a step failed"
	for i in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill $pid 2>/dev/null && fail "monitor still waiting after: $(cat $out)"
	expected='{"event":"add","block":"ed","peer":null,"dev":null}
{"event":"bind","block":"ed","peer":"ec","dev":null}
{"event":"attach","block":"ec","peer":null,"dev":"lana_e0"}
{"event":"dev_down","block":"ec","peer":null,"dev":"lana_e0"}
{"event":"dev_up","block":"ec","peer":null,"dev":"lana_e0"}
{"event":"add","block":"ee","peer":null,"dev":null}
{"event":"replace","block":"ee","peer":"ec","dev":null}
{"event":"subscribe","block":"ea","peer":"ee","dev":null}
{"event":"dev_down","block":"ee","peer":null,"dev":"lana_e0"}
{"event":"dev_unregister","block":"ee","peer":null,"dev":"lana_e0"}'
	[ "$(cat $out)" = "$expected" ] || fail "monitor printed:
$(cat $out)
expected:
$expected"
}

case_events_text_monitor() {
	local out=/tmp/lana-monitor.txt err=/tmp/lana-monitor.err2 pid i
	lanactl monitor --count 1 >$out 2>$err &
	pid=$!
	for i in $(seq 100); do
		grep -q "monitoring events" $err && break
		sleep 0.1
	done
	lanactl unsubscribe ea ee || return 1
	wait $pid || fail "monitor failed: $(cat $err)"
	expect_eq "text event" "unsubscribe block=ea peer=ee" "$(cat $out)"
}

case_events_teardown() {
	lanactl unbind ed ee && lanactl rm ed && lanactl rm ee && lanactl rm ea &&
		lanactl rm eb || fail "teardown failed: $(lanactl list)"
	rmmod lana || fail "rmmod failed"
}

run_case "events setup" case_events_setup
run_case "a block's events reach it and its subscribers over its chain" case_events_reach_subscribers
run_case "subscribe refuses bad input and changes nothing" case_events_refusals
run_case "lanactl --json monitor prints every event in order" case_events_monitor
run_case "lanactl monitor prints text lines" case_events_text_monitor
run_case "events teardown" case_events_teardown
