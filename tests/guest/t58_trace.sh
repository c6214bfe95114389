# shellcheck shell=bash
# lanactl trace: packets followed block by block through
# tr0 -> eth te -> bpf tb -> counter tc, including drops. Sourced by suite.sh.

# Traces $1 packets of tr0 into $TRACE_OUT while $2 frames for MAC $3 are
# injected.
trace_run() {
	local count=$1 frames=$2 mac=$3 pid i
	timeout 30 "$LANACTL" trace tr0 --count "$count" >"$TRACE_OUT" 2>/tmp/lana_trace.err &
	pid=$!
	for i in $(seq 100); do
		grep -q "lanactl: tracing tr0" /tmp/lana_trace.err && break
		sleep 0.1
	done
	PKTGEN_DST_MAC=$mac pktgen_inject tr0 "$frames" || return 1
	wait $pid || fail "lanactl trace failed: $(cat /tmp/lana_trace.err)"
}

case_trace_chain() {
	local mac
	TRACE_OUT=/tmp/lana_trace.out
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	ip link add tr0 type dummy && ip link set tr0 up || fail "cannot create tr0"
	mac=$(cat /sys/class/net/tr0/address)
	lanactl add te eth && lanactl add tb bpf filter=udp && lanactl add tc counter &&
		lanactl bind tb te && lanactl bind tc tb && lanactl attach tr0 te ||
		fail "building tr0 -> te -> tb -> tc failed"
	# UDP for tr0's MAC: through all three, then nothing above tc.
	trace_run 2 5 "$mac" || return 1
	expect_eq "traced UDP" "1  te -> tb -> tc  drop_no_next
2  te -> tb -> tc  drop_no_next" "$(cat $TRACE_OUT)" || return 1
	# Only the 2 traced: the trace stopped by itself.
	expect_eq "tc packets" 5 "$(block_stat tc packets)" || return 1
	# The filter drops them now, and eth drops frames for another host.
	lanactl set tb filter=tcp || fail "set filter failed"
	trace_run 1 3 "$mac" || return 1
	expect_eq "traced, filtered" "1  te -> tb  drop_filtered" "$(cat $TRACE_OUT)" || return 1
	trace_run 1 3 "02:00:00:00:00:99" || return 1
	expect_eq "traced, another host's" "1  te  drop_other_host" "$(cat $TRACE_OUT)" || return 1
	"$LANACTL" --json trace tr0 --count 1 >"$TRACE_OUT" 2>/tmp/lana_trace.err &
	sleep 1
	PKTGEN_DST_MAC=$mac pktgen_inject tr0 1 || return 1
	wait $!
	expect_eq "traced, JSON" '{"packet":1,"path":["te","tb"],"verdict":"drop_filtered"}' \
		"$(cat $TRACE_OUT)"
}

case_trace_refusals() {
	ip link add tr1 type dummy || return 1
	expect_refusal "device 'tr1' is not attached" lanactl trace tr1 --count 1 || return 1
	expect_refusal "no device 'tr9'" lanactl trace tr9 --count 1 || return 1
	ip link del tr1
	# Tracing is an administrator's: refused without CAP_NET_ADMIN.
	if command -v setpriv >/dev/null; then
		local out
		out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$LANACTL" trace tr0 --count 1 2>&1) &&
			fail "trace without CAP_NET_ADMIN succeeded"
		grep -q "Operation not permitted" <<<"$out" || fail "unprivileged trace: $out"
	fi
	true
}

# Leaves the module unloaded, as the files before and after expect.
case_trace_teardown() {
	lanactl detach tr0 && lanactl rm --cascade tc && lanactl rm --cascade tb &&
		lanactl rm te && ip link del tr0 && rmmod lana || fail "teardown failed"
}

run_case "trace: each packet's blocks and verdict, drops included" case_trace_chain
run_case "trace refusals: unattached, unknown device, unprivileged" case_trace_refusals
run_case "trace teardown" case_trace_teardown
