# shellcheck shell=bash
# Fault injection (the debug kernel: CONFIG_FAILSLAB and its stack-trace
# filter): every mutating command runs once per allocation it makes in
# lana's code, with that allocation failing (fail-nth, set and read back by
# tests/faults/fail_nth.c, counted only for allocations with a frame of
# lana's text on the stack).
# Each run must either do all the command asks or leave the graph, every
# block's settings, the attachments and the revision exactly as before;
# the suite's own checks then find no leak and no splat. Sourced by
# suite.sh.

FAULTS_DIR=/tmp/lana-faults
FAILSLAB=/sys/kernel/debug/failslab
# More allocations than any one command makes: a run that still injects a
# fault at this count means the count never ends.
FAULTS_MAX=400
# Every FAULTS_STRIDE-th allocation fails, from the first: 1 (make faults)
# fails every one in turn; make check's debug lane takes a larger stride,
# as each run costs seconds under KASAN and emulation.
FAULTS_STRIDE=${FAULTS_STRIDE:-1}
# A stride-1 sweep of every command takes hours under KASAN and emulation:
# FAULTS_CASES (an extended regex) runs only the cases whose description
# matches, so make faults can be run in parts (setup and teardown always).
FAULTS_CASES=${FAULTS_CASES:-}

# The graph every command starts from: each block type, a chain with a
# tee's port bound, a subscription, two devices (one tagged), settings.
faults_graph() {
	cat <<'EOF'
[[block]]
name = "fe"
type = "eth"
[block.config]
promisc = "on"

[[block]]
name = "fb"
type = "bpf"
[block.config]
filter = "udp or icmp"

[[block]]
name = "ft"
type = "tee"

[[block]]
name = "fc"
type = "counter"

[[block]]
name = "fk"
type = "counter"

[[block]]
name = "fd"
type = "drop"
[block.config]
reason = "tail"

[[block]]
name = "fx"
type = "forward"

[[block]]
name = "fy"
type = "forward"

[[block]]
name = "fr"
type = "counter"

[[block]]
name = "fu"
type = "tee"

[[bind]]
upper = "fb"
lower = "fe"

[[bind]]
upper = "ft"
lower = "fb"

[[bind]]
upper = "fc"
lower = "ft"

[[bind]]
upper = "fd"
lower = "fc"

[[bind]]
upper = "fk"
lower = "ft"
port = "clone"

[[subscribe]]
block = "fk"
to = "fc"

[[attach]]
dev = "fdev0"
block = "fe"

[[attach]]
dev = "fdev1"
block = "fx"
vlan = 7
EOF
}

# What must stay as it was when a command fails: the graph file of the
# running graph (blocks, settings, bindings, subscriptions, attachments,
# revision), the lana devices, and every block's counters' names.
faults_state() {
	lanactl dump
	ip -o link show type lana 2>/dev/null | awk '{ print $2 }'
}

# faults_run N CMD...: lanactl CMD with its N-th allocation failing; prints
# what lanactl printed, and sets FAULTS_HIT to "injected" or "not reached".
faults_run() {
	local n=$1 rc
	shift
	rm -f $FAULTS_DIR/hit
	LD_PRELOAD=$FAULTS_DIR/fail_nth.so LANA_FAIL_NTH=$n LANA_FAIL_NTH_OUT=$FAULTS_DIR/hit \
		"$LANACTL" "$@" 2>&1 && rc=0 || rc=$?
	return $rc
}

# The module afresh, with the starting graph.
faults_reset() {
	rmmod lana 2>/dev/null
	insmod "$MODULE" || fail "insmod failed"
	lanactl apply -f $FAULTS_DIR/graph.toml >/dev/null || fail "cannot build the starting graph"
	# Cases run in subshells: the starting state is kept in a file.
	faults_state | grep -v '^# ' >$FAULTS_DIR/start
}

# faults_restore UNDO: the starting graph again after a command made its
# change: by lanactl UNDO (words), or by apply (the file names every
# setting a command changes) for "-"; afresh if that is not it.
faults_restore() {
	local undo
	read -r -a undo <<<"$1"
	if [ "$1" = "-" ]; then
		lanactl apply -f $FAULTS_DIR/graph.toml >/dev/null
	else
		lanactl "${undo[@]}" >/dev/null
	fi && [ "$(faults_state | grep -v '^# ')" = "$(cat $FAULTS_DIR/start)" ] || faults_reset
}

case_faults_setup() {
	[ -e /proc/thread-self/fail-nth ] && [ -d $FAILSLAB ] ||
		skip "no fault injection in this kernel (the debug kernel has it)"
	mkdir -p $FAULTS_DIR
	faults_graph >$FAULTS_DIR/graph.toml
	faults_batch >$FAULTS_DIR/batch.toml
	ip link add fdev0 type dummy && ip link add fdev1 type dummy &&
		ip link set fdev0 up && ip link set fdev1 up || fail "cannot create the devices"
	faults_reset
	# Only lana's allocations count: those with a frame in its text.
	local range
	range=$(awk '$4 == "[lana]" && $2 ~ /^[tT]$/ { print $1 }' /proc/kallsyms | sort |
		sed -n '1p;$p' | tr '\n' ' ')
	read -r -a range <<<"$range"
	[ ${#range[@]} -eq 2 ] || fail "cannot find lana's text in /proc/kallsyms"
	# The last function's end: well within a page after its start.
	printf '0x%s 0x%x\n' "${range[0]}" $((0x${range[1]} + 4096)) >$FAULTS_DIR/text
	faults_text
	echo 32 >$FAILSLAB/stacktrace-depth
	# GFP_KERNEL allocations may fail too; quietly (fail_nth.c tells).
	echo 0 >$FAILSLAB/ignore-gfp-wait
	echo 0 >$FAILSLAB/verbose
	echo 0 >$FAILSLAB/probability
	# The kernel may report a failed allocation it makes for lana (e.g.
	# vmalloc's warning under bpf_prog_create): the dmesg check expects
	# those between the two marks (suite.sh).
	echo "lana-faults: injecting allocation failures" >/dev/kmsg
	# From tmpfs, as lanactl: the root filesystem is 9p.
	cp "$TOP/out/faults/fail_nth.so" $FAULTS_DIR/ ||
		fail "out/faults/fail_nth.so not built (make test-helpers)"
}

# faults_case DESC FUNCTION ARGS...: run_case, unless FAULTS_CASES is set
# and DESC does not match it (then the case is a skip, saying so).
faults_case() {
	local desc=$1
	if [ -n "$FAULTS_CASES" ] && ! grep -qE -- "$FAULTS_CASES" <<<"$desc"; then
		run_case "$desc" skip "not in FAULTS_CASES='$FAULTS_CASES'"
		return
	fi
	run_case "$@"
}

# faults_command UNDO CMD...: runs lanactl CMD from the starting graph
# once per allocation it makes, that allocation failing; checks each
# outcome. UNDO: what brings the starting graph back (faults_restore).
faults_command() {
	[ -d $FAULTS_DIR ] || skip "no fault injection in this kernel (the debug kernel has it)"
	local undo=$1 before after expected out rc n hit
	shift
	[ "$(faults_state | grep -v '^# ')" = "$(cat $FAULTS_DIR/start)" ] || faults_reset
	# What the command makes of the starting graph (revision apart).
	lanactl "$@" >/dev/null 2>&1 || fail "lanactl $* fails with no fault injected"
	expected=$(faults_state | grep -v '^# ')
	faults_restore "$undo"
	before=$(faults_state)
	for ((n = 1; n <= FAULTS_MAX; n += FAULTS_STRIDE)); do
		out=$(faults_run "$n" "$@") && rc=0 || rc=$?
		hit=$(cat $FAULTS_DIR/hit 2>/dev/null) || fail "lanactl $* died at allocation $n ($rc): $out"
		after=$(faults_state)
		if [ "$hit" = "not reached" ]; then
			# Fewer than n allocations: the command ran untouched.
			[ "$rc" -eq 0 ] || fail "lanactl $* failed with no fault injected: $out"
			faults_restore "$undo"
			local every="every ${FAULTS_STRIDE}th"
			[ "$FAULTS_STRIDE" -eq 1 ] && every=each
			echo "# $*: fewer than $n allocations, $every failed in turn"
			return 0
		fi
		if [ "$rc" -ne 0 ]; then
			[ "$after" = "$before" ] ||
				fail "allocation $n failed ('$out'): the graph changed
$(diff <(echo "$before") <(echo "$after"))"
			grep -q 'Cannot allocate memory\|cannot allocate\|out of memory' <<<"$out" ||
				{ [ -n "${FAULTS_KERNEL_REFUSAL:-}" ] &&
					grep -qF -- "$FAULTS_KERNEL_REFUSAL" <<<"$out"; } ||
				fail "allocation $n failed: lanactl said '$out', not that memory ran out"
		else
			# The command did all it asks despite the failure.
			[ "$(grep -v '^# ' <<<"$after")" = "$expected" ] ||
				fail "allocation $n failed, lanactl $* succeeded, but the graph is not what it makes
$(diff <(echo "$expected") <(grep -v '^# ' <<<"$after"))"
			faults_restore "$undo"
			before=$(faults_state)
		fi
	done
	fail "lanactl $* still meets allocations after $FAULTS_MAX"
}

# faults_function_range NAME [MODULE]: the start and end of function NAME
# of MODULE's text ("[lana]"; none: the kernel's), up to the next symbol,
# for the failslab filter.
faults_function_range() {
	awk -v m="${2:-}" '$2 ~ /^[tT]$/ && ($4 == m || (m == "" && NF == 3)) { print $1, $3 }' \
		/proc/kallsyms | sort |
		awk -v f="$1" 'start && $1 != start { print "0x" start, "0x" $1; exit }
			$2 == f { start = $1 }'
}

# faults_filter START END: count only allocations with an address from
# START to END on the stack.
faults_filter() {
	echo "$1" >$FAILSLAB/require-start
	echo "$2" >$FAILSLAB/require-end
}

# faults_text: count those with a frame of lana's text (as setup found it).
faults_text() {
	local range
	read -r -a range <$FAULTS_DIR/text
	faults_filter "${range[@]}"
}

# faults_only NAME [MODULE]: count only those with function NAME on the
# stack (faults_function_range); callers go back with faults_text.
faults_only() {
	local range
	range=$(faults_function_range "$@")
	read -r -a range <<<"$range"
	[ ${#range[@]} -eq 2 ] || fail "cannot find $1 in /proc/kallsyms"
	faults_filter "${range[@]}"
}

# Settings of running blocks that one batch changes take effect together or
# not at all: apply sets the eth block's, then the bpf block's, with each
# allocation the new program's build makes (bpf_prog_create on the stack)
# failing in turn. A block committed before the next one is built would
# keep its new settings.
case_faults_settings_together() {
	[ -d $FAULTS_DIR ] || skip "no fault injection in this kernel (the debug kernel has it)"
	local out
	faults_graph | sed -e 's/promisc = "on"/promisc = "off"/' \
		-e 's/filter = "udp or icmp"/filter = "tcp"/' >$FAULTS_DIR/settings.toml
	trap faults_text EXIT
	faults_only bpf_prog_create
	out=$(FAULTS_STRIDE=1 faults_command - apply -f $FAULTS_DIR/settings.toml) ||
		fail "$out"
	grep -q "fewer than 1 allocations" <<<"$out" &&
		fail "no allocation under bpf_prog_create: the case tests nothing"
	echo "$out"
}

# An event the kernel cannot send (no memory for the message) must not undo
# the change it reports, and is counted: `add` with a monitor listening and
# each allocation made for its event's message failing in turn (only those
# with lana_genlmsg_new_atomic, where every event is allocated, on the
# stack). Each add succeeds and is either seen by the monitor or counted in
# events_lost; the first (the message itself) is counted.
case_faults_event_lost() {
	[ -d $FAULTS_DIR ] || skip "no fault injection in this kernel (the debug kernel has it)"
	local mon=$FAULTS_DIR/monitor n out lost lost_before rounds=() pid
	"$LANACTL" monitor >$mon.txt 2>$mon.err &
	pid=$!
	trap "kill $pid 2>/dev/null; faults_text" EXIT
	for _ in $(seq 100); do
		grep -q "monitoring events" $mon.err && break
		sleep 0.1
	done
	grep -q "monitoring events" $mon.err || fail "the monitor did not start: $(cat $mon.err)"
	faults_only lana_genlmsg_new_atomic "[lana]"
	for ((n = 1; n <= 16; n++)); do
		lost_before=$(engine_stat events_lost)
		out=$(faults_run "$n" add fq counter) ||
			fail "allocation $n of the event failed: the add failed too: $out"
		[ "$(cat $FAULTS_DIR/hit)" = injected ] || break
		lost=$(($(engine_stat events_lost) - lost_before))
		rounds+=("$n:$lost")
		lanactl rm fq || fail "rm fq failed"
	done
	[ "$n" -le 16 ] || fail "an event's message makes more than 16 allocations"
	faults_text
	# The monitor has seen everything once it sees this.
	lanactl add fq-end counter && lanactl rm fq-end || fail "add/rm fq-end failed"
	for _ in $(seq 100); do
		grep -qx "rm block=fq-end" $mon.txt && break
		sleep 0.1
	done
	kill $pid
	wait $pid 2>/dev/null
	# Each round's events, in order: its add (unless lost), then the rm.
	local seen events round
	events=$(grep -E '^(add|rm) block=fq$' $mon.txt | tr '\n' ' ')
	for round in "${rounds[@]}"; do
		n=${round%%:*} lost=${round##*:}
		seen=0
		if [[ "$events" == "add block=fq rm block=fq "* ]]; then
			seen=1 events=${events#add block=fq }
		fi
		[[ "$events" == "rm block=fq "* ]] || fail "allocation $n: the monitor saw '$events'"
		events=${events#rm block=fq }
		[ $((seen + lost)) -eq 1 ] ||
			fail "allocation $n of the event failed, add succeeded: seen by the monitor $seen, events_lost +$lost"
	done
	[ "${rounds[0]:-}" = "1:1" ] ||
		fail "the event's message could not be allocated, yet events_lost did not count it: ${rounds[*]}"
	echo "# an event's message makes $((n - 1)) allocations; each failing in turn: ${rounds[*]} (n:lost)"
}

# The batch the apply case makes: every kind of change at once, settings of
# running blocks included.
faults_batch() {
	faults_graph | sed -e 's/reason = "tail"/reason = "acl"/' \
		-e 's/filter = "udp or icmp"/filter = "tcp"/' \
		-e 's/^name = "fy"$/name = "fz"/'
	cat <<'EOF'

[[bind]]
upper = "fx"
lower = "fz"

[[subscribe]]
block = "fd"
to = "fk"

[[attach]]
dev = "fdev1"
block = "fz"
vlan = 8
EOF
}

# A device unregistering while attached is let go of even when no memory
# is left for the snapshot without it: `ip link del` of an attached device,
# each allocation lana makes in the device notifier's detach failing in
# turn. A snapshot left holding the device keeps the unregister waiting
# for its reference (until some later change publishes); the detach must
# publish an empty snapshot instead (the bypass), the graph stay as it was,
# and the next change (even a setting's) publish the graph again. Where the
# snapshot's allocations fall among the others moves as the code changes:
# if the stride missed all of them, the case looks for one at stride 1.
case_faults_unregister() {
	[ -d $FAULTS_DIR ] || skip "no fault injection in this kernel (the debug kernel has it)"
	local bypasses
	[ "$(faults_state | grep -v '^# ')" = "$(cat $FAULTS_DIR/start)" ] || faults_reset
	bypasses=$(faults_bypasses)
	faults_unregister_sweep 1 "$FAULTS_STRIDE"
	[ "$(faults_bypasses)" -gt "$bypasses" ] && return 0
	if [ "$FAULTS_STRIDE" -gt 1 ]; then
		echo "# no failed allocation at stride $FAULTS_STRIDE took the bypass: looking at stride 1"
		faults_unregister_sweep 2 1 until-bypass
	fi
	[ "$(faults_bypasses)" -gt "$bypasses" ] ||
		fail "no failed allocation of ip link del took the bypass (the empty snapshot)"
}

# How many times an engine published its empty snapshot for want of memory.
faults_bypasses() {
	dmesg | grep -c "bypassed until the next change"
}

# faults_unregister_sweep FIRST STRIDE [until-bypass]: ip link del of an
# attached device with its FIRST, FIRST+STRIDE... allocation failing, up to
# the last one (or the first that takes the bypass).
faults_unregister_sweep() {
	local n hit pid waited before bypasses
	for ((n = $1; n <= FAULTS_MAX; n += $2)); do
		ip link add fdev2 type dummy && ip link set fdev2 up &&
			lanactl attach fdev2 fy >/dev/null || fail "cannot attach fdev2"
		bypasses=$(faults_bypasses)
		rm -f $FAULTS_DIR/hit
		LD_PRELOAD=$FAULTS_DIR/fail_nth.so LANA_FAIL_NTH=$n LANA_FAIL_NTH_OUT=$FAULTS_DIR/hit \
			ip link del fdev2 &
		pid=$!
		for ((waited = 0; waited < 60; waited++)); do
			kill -0 $pid 2>/dev/null || break
			sleep 1
		done
		if kill -0 $pid 2>/dev/null; then
			# A change publishes a snapshot without the device: it goes.
			lanactl add fz forward >/dev/null && lanactl rm fz >/dev/null
			wait $pid
			fail "allocation $n failed: ip link del fdev2 still waited after 60 s (a snapshot held the device)"
		fi
		wait $pid || fail "ip link del fdev2 failed at allocation $n"
		hit=$(cat $FAULTS_DIR/hit 2>/dev/null) || fail "ip link del died at allocation $n"
		# The next change, even one that only sets a setting, publishes
		# the graph again: fdev0's frames go up fe, not to the stack.
		lanactl set fe promisc=on >/dev/null || fail "set failed after allocation $n"
		before=$(block_stat fe walk_start_up)
		pktgen_inject fdev0 3
		[ "$(block_stat fe walk_start_up)" = $((before + 3)) ] ||
			fail "allocation $n failed: after the next change, fdev0's frames did not go up fe"
		[ "$(faults_state | grep -v '^# ')" = "$(cat $FAULTS_DIR/start)" ] ||
			fail "allocation $n failed: the graph is not the starting one
$(diff $FAULTS_DIR/start <(faults_state | grep -v '^# '))"
		if [ "$(faults_bypasses)" -gt "$bypasses" ]; then
			echo "# allocation $n failed: the engine published its empty snapshot"
			[ "${3:-}" = until-bypass ] && return 0
		fi
		if [ "$hit" = "not reached" ]; then
			echo "# ip link del of an attached device: fewer than $n allocations"
			return 0
		fi
	done
	fail "ip link del fdev2 still meets allocations after $FAULTS_MAX"
}

case_faults_teardown() {
	[ -d $FAULTS_DIR ] || skip "no fault injection in this kernel"
	echo "lana-faults: done" >/dev/kmsg
	rmmod lana || fail "rmmod failed"
	ip link del fdev0 && ip link del fdev1 || fail "cannot delete the devices"
	rm -rf $FAULTS_DIR
}

# vlink add: register_netdevice refuses some failed allocations of its own
# with EINVAL (netdev_register_kobject does not check dev_set_name, whose
# string it could not allocate; device_add then finds no name): for the
# kernel's refusal the state must still be unchanged, the message cannot
# say memory.
faults_vlink_add() {
	FAULTS_KERNEL_REFUSAL="lana: cannot register the device (Invalid argument)" \
		faults_command "vlink del flv0" vlink add flv0
}

run_case "faults: the starting graph, failslab on lana's allocations" case_faults_setup
faults_case "faults: add with settings" faults_command "rm fn" add fn eth promisc=on dst=02:00:00:00:00:01
faults_case "faults: rm" faults_command "add fy forward" rm fy
faults_case "faults: rm --cascade" faults_command - rm --cascade fe
faults_case "faults: bind" faults_command "unbind fy fx" bind fy fx
faults_case "faults: bind --port" faults_command "unbind --port clone fy fu" bind --port clone fy fu
faults_case "faults: unbind --force" faults_command "bind fd fc" unbind --force fd fc
faults_case "faults: unbind --port" faults_command "bind --port clone fk ft" unbind --port clone fk ft
faults_case "faults: attach" faults_command "detach fdev1" attach fdev1 fy
faults_case "faults: attach --vlan" faults_command "detach --vlan 9 fdev1" attach --vlan 9 fdev1 fy
faults_case "faults: detach" faults_command "attach fdev0 fe" detach fdev0
faults_case "faults: replace" faults_command - replace fc fr
faults_case "faults: set" faults_command - set fb filter=tcp
faults_case "faults: reset" faults_command - reset fc
faults_case "faults: subscribe" faults_command "unsubscribe fd fk" subscribe fd fk
faults_case "faults: unsubscribe" faults_command "subscribe fk fc" unsubscribe fk fc
faults_case "faults: vlink add" faults_vlink_add
faults_case "faults: apply" faults_command - apply -f $FAULTS_DIR/batch.toml
faults_case "faults: settings of running blocks in a batch, together or not at all" case_faults_settings_together
faults_case "faults: an event that cannot be sent is counted, the change made" case_faults_event_lost
faults_case "faults: an attached device unregistering" case_faults_unregister
run_case "faults teardown" case_faults_teardown
