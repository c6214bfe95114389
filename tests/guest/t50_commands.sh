# shellcheck shell=bash
# show, per-CPU statistics, and refusals of changes to what is in use, with
# their explicit cascades. Sourced by suite.sh.

CDEV=lana_c0

case_commands_setup() {
	insmod "$MODULE" || fail "insmod failed"
	ip link add $CDEV type dummy && ip link set $CDEV up || fail "cannot create $CDEV"
	lanactl add cu counter && lanactl add cf forward && lanactl add cw counter &&
		lanactl bind cf cu && lanactl attach $CDEV cu && lanactl subscribe cw cu ||
		fail "building the graph failed"
}

case_show() {
	local out
	out=$(lanactl show cu) || fail "show failed"
	grep -qE '^block cu \(counter\) id [0-9]+$' <<<"$out" || fail "no header: $out"
	grep -qx '  upper: cf' <<<"$out" || fail "no upper: $out"
	grep -qx '  lower: -' <<<"$out" || fail "no lower: $out"
	grep -qx "  devices: $CDEV" <<<"$out" || fail "no device: $out"
	grep -qx '  subscribers: cw' <<<"$out" || fail "no subscriber: $out"
	grep -qx '  packets 0' <<<"$out" || fail "no stats: $out"
	lanactl show cw | grep -qx '  subscribed to: cu' || fail "cw: $(lanactl show cw)"
	lanactl --json show cu |
		python3 -c 'import json, sys; assert json.load(sys.stdin)["subscribers"] == ["cw"]' ||
		fail "JSON: $(lanactl --json show cu)"
	expect_refusal "no block 'nope'" lanactl show nope
}

case_per_cpu_stats() {
	[ "$(nproc)" -ge 2 ] || { skip "one CPU: nothing to tell apart"; return; }
	PKTGEN_CPU=0 pktgen_inject $CDEV 300 || return 1
	PKTGEN_CPU=1 pktgen_inject $CDEV 200 || return 1
	local out
	out=$(lanactl stats --per-cpu cu)
	grep -qx 'packets cpu0 300' <<<"$out" || fail "cpu0: $out"
	grep -qx 'packets cpu1 200' <<<"$out" || fail "cpu1: $out"
	grep -qx "bytes cpu1 $((200 * PKTGEN_FRAME_LEN))" <<<"$out" || fail "bytes cpu1: $out"
	expect_eq "total packets" 500 "$(block_stat cu packets)" || return 1
	# The engine's counts of them, from the published snapshot's tally: no
	# other frame has entered it since insmod.
	out=$(lanactl stats --per-cpu)
	grep -qx 'packets cpu0 300' <<<"$out" || fail "engine cpu0: $out"
	grep -qx 'packets cpu1 200' <<<"$out" || fail "engine cpu1: $out"
}

# per_cpu_sums_agree BLOCK: every counter of BLOCK's per-CPU view sums to
# the total `stats` shows (labels apart).
per_cpu_sums_agree() {
	local totals sums
	totals=$(lanactl stats "$1" | awk 'NF == 2 && $2 ~ /^[0-9]+$/' | sort)
	sums=$(lanactl stats --per-cpu "$1" | awk '
		NF == 3 && $2 ~ /^cpu[0-9]+$/ { sum[$1] += $3; next }
		NF == 2 && $2 ~ /^[0-9]+$/ { sum[$1] += $2 }
		END { for (k in sum) print k, sum[k] }' | sort)
	expect_eq "per-CPU sums of $1" "$totals" "$sums"
}

# After reset and after a replace that carries state, each CPU's value is
# what that CPU counted since: the per-CPU view sums to the totals.
case_per_cpu_after_reset_and_replace() {
	[ "$(nproc)" -ge 2 ] || { skip "one CPU: nothing to tell apart"; return; }
	ip link add lana_c1 type dummy && ip link set lana_c1 up || fail "cannot create lana_c1"
	lanactl add cr counter && lanactl attach lana_c1 cr || fail "building lana_c1 -> cr failed"
	PKTGEN_CPU=0 pktgen_inject lana_c1 1000 || return 1
	lanactl reset cr || fail "reset failed"
	PKTGEN_CPU=1 pktgen_inject lana_c1 500 || return 1
	expect_eq "packets after reset" 500 "$(block_stat cr packets)" || return 1
	lanactl stats --per-cpu cr | grep -qx 'packets cpu0 0' || fail "cpu0 after reset: $(lanactl stats --per-cpu cr)"
	lanactl stats --per-cpu cr | grep -qx 'packets cpu1 500' || fail "cpu1 after reset: $(lanactl stats --per-cpu cr)"
	per_cpu_sums_agree cr || return 1
	lanactl add cr2 counter && lanactl replace cr cr2 || fail "replace failed"
	PKTGEN_CPU=0 pktgen_inject lana_c1 200 || return 1
	expect_eq "packets after replace" 700 "$(block_stat cr2 packets)" || return 1
	lanactl stats --per-cpu cr2 | grep -qx 'packets cpu0 200' || fail "cpu0 after replace: $(lanactl stats --per-cpu cr2)"
	lanactl stats --per-cpu cr2 | grep -qx 'packets cpu1 500' || fail "cpu1 after replace: $(lanactl stats --per-cpu cr2)"
	per_cpu_sums_agree cr2 || return 1
	lanactl reset cr2 || fail "reset of cr2 failed"
	per_cpu_sums_agree cr2 || return 1
	lanactl rm --cascade cr2 && ip link del lana_c1 || fail "teardown failed"
}

case_unbind_in_use() {
	refused_unchanged "'cf' above 'cu' carries device '$CDEV' traffic" lanactl unbind cf cu || return 1
	lanactl unbind --force cf cu || fail "unbind --force failed"
	lanactl bind cf cu
}

case_rm_cascade() {
	refused_unchanged "block 'cu' is in use: device '$CDEV' is attached to it" lanactl rm cu || return 1
	local before after
	before=$(graph_revision)
	lanactl rm --cascade cu || fail "rm --cascade failed"
	# One change: the detach, unbind and unsubscribe are part of it.
	after=$(graph_revision)
	expect_eq "revisions rm --cascade counts" 1 $((after - before))
	lanactl list | grep -q ' cu ' && fail "cu still listed: $(lanactl list)"
	[ -z "$(lanactl attachments)" ] || fail "still attached: $(lanactl attachments)"
	lanactl show cf | grep -qx '  lower: -' || fail "cf still bound: $(lanactl show cf)"
	lanactl show cw | grep -qx '  subscribed to: -' || fail "cw still subscribed: $(lanactl show cw)"
}

case_commands_teardown() {
	lanactl rm cf && lanactl rm cw || fail "teardown failed"
	rmmod lana || fail "rmmod failed"
	ip link del $CDEV
}

run_case "commands setup" case_commands_setup
run_case "show describes a block in full" case_show
run_case "stats --per-cpu splits counters by the CPU that counted" case_per_cpu_stats
run_case "stats --per-cpu sums to the totals after reset and replace" case_per_cpu_after_reset_and_replace
run_case "unbind refuses to cut a device's traffic unless --force" case_unbind_in_use
run_case "rm refuses a block in use; --cascade releases and removes it" case_rm_cascade
run_case "commands teardown" case_commands_teardown
