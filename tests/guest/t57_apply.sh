# shellcheck shell=bash
# lanactl apply -f / dump: graph files applied as one kernel transaction,
# dumped back, refused whole, guarded by the graph's revision, restored
# after a module reload. Sourced by suite.sh.

APPLY_DIR=/tmp/lana-apply

# The graph of the README: eth -> bpf -> tee -> counter -> drop, the tee's
# clones to a second counter, a subscription, two devices (one tagged).
apply_graph_one() {
	cat <<'EOF'
# ap0's frames: promiscuous eth, UDP only, counted twice (the tee's clone).
[[block]]
name = "e0"
type = "eth"
[block.config]
promisc = "on"

[[block]]
name = "f0"
type = "bpf"
[block.config]
filter = "udp"

[[block]]
name = "t0"
type = "tee"

[[block]]
name = "c0"
type = "counter"

[[block]]
name = "c1"
type = "counter"

[[block]]
name = "d0"
type = "drop"
[block.config]
reason = "tail"

[[bind]]
upper = "f0"
lower = "e0"

[[bind]]
upper = "t0"
lower = "f0"

[[bind]]
upper = "c0"
lower = "t0"

[[bind]]
upper = "d0"
lower = "c0"

[[bind]]
upper = "c1"
lower = "t0"
port = "clone"

[[subscribe]]
block = "c0"
to = "e0"

[[attach]]
dev = "ap0"
block = "e0"

[[attach]]
dev = "ap1"
block = "c1"
vlan = 10
EOF
}

# What lanactl dump prints of it (less the compiled program, which depends
# on libpcap's version).
apply_dump_one() {
	cat <<'EOF'
# lanactl dump: the running graph at revision 1
# lanactl apply -f FILE makes a graph this one again

[[block]]
name = "e0"
type = "eth"
[block.config]
promisc = "on"

[[block]]
name = "f0"
type = "bpf"
[block.config]
filter = "udp"

[[block]]
name = "t0"
type = "tee"

[[block]]
name = "c0"
type = "counter"

[[block]]
name = "c1"
type = "counter"

[[block]]
name = "d0"
type = "drop"
[block.config]
reason = "tail"

[[bind]]
upper = "f0"
lower = "e0"

[[bind]]
upper = "t0"
lower = "f0"

[[bind]]
upper = "c1"
lower = "t0"
port = "clone"

[[bind]]
upper = "c0"
lower = "t0"

[[bind]]
upper = "d0"
lower = "c0"

[[subscribe]]
block = "c0"
to = "e0"

[[attach]]
dev = "ap0"
block = "e0"

[[attach]]
dev = "ap1"
block = "c1"
vlan = 10
EOF
}

# The second graph: e0 no longer promiscuous, c0 a forward now, c1 gone,
# a new counter n0 on top fed by ap1.
apply_graph_two() {
	apply_graph_one |
		sed -e 's/promisc = "on"/promisc = "off"/' \
			-e '/^name = "c0"/{n;s/counter/forward/}' |
		awk 'BEGIN { RS = ""; ORS = "\n\n" } !/"c1"/' |
		sed '$d'
	cat <<'EOF'

[[block]]
name = "n0"
type = "counter"

[[bind]]
upper = "n0"
lower = "d0"

[[attach]]
dev = "ap1"
block = "n0"
EOF
}

# The graph without the compiled program and the revision header line.
dump_body() {
	lanactl dump | sed -e '/^cbpf = /d' -e '/^# lanactl dump: /d'
}

case_apply_builds_a_graph() {
	local out
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	expect_no_blocks "blocks left over by earlier tests"
	mkdir -p $APPLY_DIR
	for dev in ap0 ap1; do
		ip link add $dev type dummy && ip link set $dev up || fail "cannot create $dev"
	done
	apply_graph_one >$APPLY_DIR/one.toml
	out=$(lanactl apply -f $APPLY_DIR/one.toml) || fail "apply failed: $out"
	grep -qx "applied 14 changes: the graph is at revision 1" <<<"$out" || fail "apply said: $out"
	grep -qx "add e0 eth promisc=on" <<<"$out" || fail "no 'add e0' step in: $out"
	grep -qx "bind c1 t0 --port clone" <<<"$out" || fail "no port bind step in: $out"
	grep -qx "attach ap1 c1 --vlan 10" <<<"$out" || fail "no tagged attach step in: $out"
	# It carries traffic as the file says.
	pktgen_inject ap0 50 || return 1
	expect_eq "c0 packets" 50 "$(block_stat c0 packets)" || return 1
	expect_eq "c1 packets (tee clones)" 50 "$(block_stat c1 packets)" || return 1
	expect_eq "d0 dropped" 50 "$(block_stat d0 dropped)"
}

case_dump_round_trip() {
	local out
	expect_eq "lanactl dump" "$(apply_dump_one)" \
		"$(lanactl dump | sed '/^cbpf = /d')" || return 1
	lanactl dump | grep -q '^cbpf = "[0-9]*,' || fail "no compiled cbpf in the dump"
	lanactl dump >$APPLY_DIR/dump.toml
	out=$(lanactl apply -f $APPLY_DIR/dump.toml) || fail "apply of a dump failed: $out"
	expect_eq "apply of a dump" "nothing to change: the graph is at revision 1" "$out" || return 1
	out=$(lanactl apply -f $APPLY_DIR/one.toml) || fail "apply of the same file failed: $out"
	expect_eq "apply of the same file" "nothing to change: the graph is at revision 1" "$out"
}

case_apply_changes_a_running_graph() {
	local out
	apply_graph_two >$APPLY_DIR/two.toml
	out=$(lanactl apply -f $APPLY_DIR/two.toml) || fail "apply failed: $out"
	expect_eq "plan and result" "detach ap1 --vlan 10
unsubscribe c0 e0
unbind c1 t0 --port clone
unbind c0 t0
unbind d0 c0
rm c0
rm c1
set e0 promisc=off
add c0 forward
add n0 counter
bind c0 t0
bind d0 c0
bind n0 d0
subscribe c0 e0
attach ap1 n0
applied 15 changes: the graph is at revision 2" "$out" || return 1
	lanactl get e0 | grep -qx "promisc=off" || fail "e0: $(lanactl get e0)"
	lanactl show c0 | grep -q "forward" || fail "c0 is not a forward: $(lanactl show c0)"
	lanactl show c1 >/dev/null 2>&1 && fail "c1 is still there"
	lanactl attachments | grep -q "^ap1 .* n0 " || fail "ap1 not on n0: $(lanactl attachments)"
	out=$(lanactl apply -f $APPLY_DIR/two.toml) || fail "second apply failed: $out"
	expect_eq "second apply" "nothing to change: the graph is at revision 2" "$out"
}

# A batch with one bad change makes none, even the changes before it.
case_refused_batch_changes_nothing() {
	local before line
	before=$(lanactl dump)
	# Without n0, its binding and its device, and with a bad eth setting.
	apply_graph_two | awk 'BEGIN { RS = ""; ORS = "\n\n" } !/n0/' >$APPLY_DIR/bad.toml
	printf '[[block]]\nname = "zz"\ntype = "eth"\n[block.config]\npromisc = "maybe"\n' \
		>>$APPLY_DIR/bad.toml
	line=$(grep -n '^name = "zz"' $APPLY_DIR/bad.toml | cut -d: -f1)
	line=$((line - 1))
	expect_refusal "$APPLY_DIR/bad.toml:$line: add zz eth promisc=maybe: block 'zz': promisc 'maybe' is not on or off" \
		lanactl apply -f $APPLY_DIR/bad.toml || return 1
	expect_eq "graph after a refused batch" "$before" "$(lanactl dump)" || return 1
	# Refused at a setting of a running block (checked on a scratch block:
	# the running one keeps its value).
	# zz comes first: its add is staged, then undone.
	{ printf '[[block]]\nname = "zz"\ntype = "counter"\n\n'; \
		sed 's/promisc = "off"/promisc = "maybe"/' $APPLY_DIR/two.toml; } >$APPLY_DIR/set.toml
	line=$(grep -n '^name = "e0"' $APPLY_DIR/set.toml | cut -d: -f1)
	line=$((line - 1))
	expect_refusal "$APPLY_DIR/set.toml:$line: set e0 promisc=maybe: block 'e0': promisc 'maybe' is not on or off" \
		lanactl apply -f $APPLY_DIR/set.toml || return 1
	expect_eq "graph after a batch refused at a setting" "$before" "$(lanactl dump)" || return 1
	# Refused at a device: ap2 is a bridge port (the bridge's rx_handler).
	ip link add apbr0 type bridge && ip link add ap2 type dummy &&
		ip link set ap2 master apbr0 || fail "cannot make the bridge port ap2"
	sed 's/dev = "ap1"/dev = "ap2"/' $APPLY_DIR/two.toml >$APPLY_DIR/bridge.toml
	line=$(grep -n '^dev = "ap2"' $APPLY_DIR/bridge.toml | cut -d: -f1)
	line=$((line - 1))
	expect_refusal "$APPLY_DIR/bridge.toml:$line: attach ap2 n0: device 'ap2' is in use by another rx_handler" \
		lanactl apply -f $APPLY_DIR/bridge.toml || return 1
	expect_eq "graph after a batch refused at a device" "$before" "$(lanactl dump)" || return 1
	# The dry run is checked by the kernel too, and changes nothing either.
	expect_refusal "promisc 'maybe' is not on or off" \
		lanactl apply -f $APPLY_DIR/bad.toml --dry-run || return 1
	out=$(lanactl apply -f $APPLY_DIR/one.toml --dry-run) || fail "dry run failed: $out"
	grep -qx "dry run: the kernel accepts these 15 changes at revision 2; none made" <<<"$out" ||
		fail "dry run said: $out"
	expect_eq "graph after a dry run" "$before" "$(lanactl dump)" || return 1
	ip link del apbr0 && ip link del ap2
}

# A refused batch that took a subscription out puts it back as it was:
# still the block's first (dump lists a block's subscriptions in order),
# without allocating (an undo cannot fail for want of memory).
case_refused_batch_keeps_subscriptions() {
	local before
	lanactl add us0 counter && lanactl add ut1 counter && lanactl add ut2 counter &&
		lanactl subscribe us0 ut1 && lanactl subscribe us0 ut2 || fail "cannot build us0, ut1, ut2"
	before=$(lanactl dump)
	lanactl dump | awk 'BEGIN { RS = ""; ORS = "\n\n" } !/block = "us0"\nto = "ut1"/' >$APPLY_DIR/unsub.toml
	printf '[[block]]\nname = "zz"\ntype = "eth"\n[block.config]\npromisc = "maybe"\n' \
		>>$APPLY_DIR/unsub.toml
	! grep -q '^to = "ut1"' $APPLY_DIR/unsub.toml && grep -q '^to = "ut2"' $APPLY_DIR/unsub.toml ||
		fail "unsub.toml should keep us0's subscription to ut2 only: $(cat $APPLY_DIR/unsub.toml)"
	expect_refusal "promisc 'maybe' is not on or off" lanactl apply -f $APPLY_DIR/unsub.toml || return 1
	expect_eq "graph after a batch refused after an unsubscribe" "$before" "$(lanactl dump)" || return 1
	lanactl unsubscribe us0 ut1 && lanactl unsubscribe us0 ut2 && lanactl rm us0 && lanactl rm ut1 &&
		lanactl rm ut2 || fail "cannot remove us0, ut1, ut2"
}

case_revision_guards_the_apply() {
	local rev
	rev=$(graph_revision)
	expect_eq "revision" 2 "$rev" || return 1
	lanactl add x counter || fail "add x failed"
	expect_eq "revision after add" 3 "$(graph_revision)" || return 1
	# The kernel checks it, as it checks the revision each batch was planned
	# against.
	refused_unchanged "the graph is at revision 3, not 2: it changed since" \
		lanactl apply -f $APPLY_DIR/one.toml --expect-revision 2 || return 1
	refused_unchanged "the graph is at revision 3, not 2: it changed since" \
		lanactl apply -f $APPLY_DIR/two.toml --expect-revision 2 || return 1
	lanactl rm x || fail "rm x failed"
	out=$(lanactl apply -f $APPLY_DIR/two.toml --expect-revision 4) ||
		fail "apply at the expected revision failed: $out"
	expect_eq "apply at the expected revision" "nothing to change: the graph is at revision 4" "$out"
}

# Each change of a batch is an event, delivered after the publish.
case_apply_events() {
	local pid out=$APPLY_DIR/monitor.txt
	{ cat $APPLY_DIR/two.toml; printf '\n[[block]]\nname = "n1"\ntype = "counter"\n'; \
		printf '\n[[bind]]\nupper = "n1"\nlower = "n0"\n'; } >$APPLY_DIR/three.toml
	lanactl monitor --count 4 >$out 2>/dev/null &
	pid=$!
	sleep 1
	lanactl apply -f $APPLY_DIR/three.toml >/dev/null || fail "apply of three.toml failed"
	lanactl apply -f $APPLY_DIR/two.toml >/dev/null || fail "apply of two.toml failed"
	wait $pid || fail "monitor failed"
	expect_eq "events of two batches" "add block=n1
bind block=n1 peer=n0
unbind block=n1 peer=n0
rm block=n1" "$(cat $out)"
}

# dump -> unload -> load -> apply restores the same graph.
case_dump_survives_a_reload() {
	local before out
	lanactl dump >$APPLY_DIR/saved.toml
	before=$(dump_body)
	rmmod lana || fail "rmmod failed"
	insmod "$MODULE" || fail "insmod failed"
	expect_no_blocks "blocks after a reload"
	out=$(lanactl apply -f $APPLY_DIR/saved.toml) || fail "apply of the saved dump failed: $out"
	expect_eq "graph after dump, reload, apply" "$before" "$(dump_body)" || return 1
	pktgen_inject ap1 20 || return 1
	expect_eq "n0 packets after the reload" 20 "$(block_stat n0 packets)"
}

case_dump_json() {
	lanactl --json dump | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["revision"] == 1, d["revision"]
assert [b["name"] for b in d["block"]] == ["e0", "f0", "t0", "d0", "c0", "n0"], d["block"]
assert d["block"][0] == {"name": "e0", "type": "eth", "config": {}}, d["block"][0]
assert {"upper": "n0", "lower": "d0"} in d["bind"], d["bind"]
assert d["subscribe"] == [{"block": "c0", "to": "e0"}], d["subscribe"]
assert d["attach"] == [{"dev": "ap0", "block": "e0"}, {"dev": "ap1", "block": "n0"}], d["attach"]
' || fail "lanactl --json dump: $(lanactl --json dump)"
}

# `apply -f -` reads standard input (refused empty); an empty file, and
# lanactl flush, remove the whole graph (blocks, bindings, subscriptions, attachments) as
# one change; applying the saved dump brings it back.
case_stdin_and_flush() {
	local before out
	lanactl dump >$APPLY_DIR/flush.toml
	before=$(dump_body)
	[ -n "$(block_names)" ] && [ -n "$(lanactl attachments)" ] ||
		fail "nothing to remove: $(lanactl list; lanactl attachments)"
	out=$(lanactl dump | lanactl apply -f -) || fail "apply -f - of the dump failed: $out"
	grep -q "^nothing to change" <<<"$out" || fail "apply -f - of the running graph's dump: $out"
	printf '[[block]]\nname = "a"\ntype = \n' >$APPLY_DIR/syntax.toml
	expect_refusal "<stdin>:3: " lanactl apply -f - <$APPLY_DIR/syntax.toml || return 1
	# Empty standard input (a pipe whose writer failed) removes nothing.
	refused_unchanged "nothing on standard input" lanactl apply -f - </dev/null || return 1
	: >$APPLY_DIR/empty.toml
	out=$(lanactl apply -f $APPLY_DIR/empty.toml) || fail "apply of an empty file failed: $out"
	expect_no_blocks "blocks after applying an empty file" || return 1
	expect_eq "attachments after applying an empty file" "" "$(lanactl attachments)" ||
		return 1
	out=$(lanactl apply -f - <$APPLY_DIR/flush.toml) || fail "apply of the saved dump failed: $out"
	expect_eq "graph after an empty file and the dump" "$before" "$(dump_body)" || return 1
	out=$(lanactl flush) || fail "flush failed: $out"
	grep -q "^applied [0-9]* changes" <<<"$out" || fail "flush: $out"
	expect_no_blocks "blocks after flush" || return 1
	expect_eq "attachments after flush" "" "$(lanactl attachments)" || return 1
	out=$(lanactl flush) || fail "flush of an empty graph failed: $out"
	grep -q "^nothing to change" <<<"$out" || fail "flush of an empty graph: $out"
	lanactl apply -f $APPLY_DIR/flush.toml >/dev/null || fail "apply of the saved dump failed"
	expect_eq "graph after flush and the dump" "$before" "$(dump_body)"
}

case_bad_files_are_named() {
	printf '[[block]]\nname = "a"\ntype = "counter"\n[[block]]\nname = "a"\ntype = "drop"\n' \
		>$APPLY_DIR/dup.toml
	expect_refusal "$APPLY_DIR/dup.toml:4: block 'a' is declared twice" \
		lanactl apply -f $APPLY_DIR/dup.toml || return 1
	printf '[[block]]\nname = "a"\ntype = \n' >$APPLY_DIR/syntax.toml
	expect_refusal "$APPLY_DIR/syntax.toml:3: " lanactl apply -f $APPLY_DIR/syntax.toml || return 1
	printf '[[block]]\nname = "zq"\ntype = "nope"\n' >$APPLY_DIR/type.toml
	refused_unchanged "$APPLY_DIR/type.toml:1: add zq nope: unknown block type 'nope'" \
		lanactl apply -f $APPLY_DIR/type.toml || return 1
	expect_refusal "cannot read $APPLY_DIR/none.toml" lanactl apply -f $APPLY_DIR/none.toml
}

# REPLACE is a change like the others (lanactl sends it alone; a batch may
# carry it too): refused later in its batch, it is undone with the rest;
# accepted, the replacement added by the same batch takes the old block's
# binding in one publish.
case_batch_replaces_a_block() {
	local before out probe="$TOP/target/release/genl-fuzz" add
	lanactl add rpa counter && lanactl add rpb counter && lanactl bind rpa rpb ||
		fail "building rpa above rpb failed"
	before=$(lanactl dump)
	add="add+block_name=s:rpc+block_type=s:counter"
	out=$("$probe" --probe apply "requests=reqs:$add/replace+block_name=s:rpb+new_name=s:rpc/rm+block_name=s:zz") ||
		fail "genl-fuzz --probe failed: $out"
	expect_eq "a batch refused after its replace" "errno 2: no block 'zz'" "$out" || return 1
	expect_eq "graph after a refused replace" "$before" "$(lanactl dump)" || return 1
	out=$("$probe" --probe apply "requests=reqs:$add/replace+block_name=s:rpb+new_name=s:rpc") ||
		fail "genl-fuzz --probe failed: $out"
	expect_eq "a batch that replaces" "errno 0: -" "$out" || return 1
	expect_refusal "no block 'rpb'" lanactl show rpb || return 1
	lanactl dump | grep -A1 -x 'upper = "rpa"' | grep -qx 'lower = "rpc"' ||
		fail "rpa is not above rpc: $(lanactl dump)"
	lanactl unbind rpa rpc && lanactl rm rpa && lanactl rm rpc || fail "removing rpa, rpc failed"
}

# Leaves the module unloaded, as the files before and after expect.
case_apply_teardown() {
	rmmod lana && ip link del ap0 && ip link del ap1 && rm -rf $APPLY_DIR || fail "teardown failed"
}

# A batch registers its new devices before it publishes the snapshot that
# has their entries: frames in between go to the Linux stack, as before the
# batch, counted. Every frame that entered the engine is the counter's or
# the stack's; none is dropped for want of an entry. (The window is a few
# microseconds: under TCG a frame seldom lands in it; the case holds the
# accounting to account either way.)
case_apply_attach_under_traffic() {
	local i packets counted to_stack dropped
	insmod "$MODULE" && mkdir -p $APPLY_DIR || fail "insmod failed"
	ip link add aq0 type dummy && ip link set aq0 up || fail "cannot create aq0"
	printf '[[block]]\nname = "qn"\ntype = "counter"\n' >$APPLY_DIR/off.toml
	{ cat $APPLY_DIR/off.toml; printf '[[attach]]\ndev = "aq0"\nblock = "qn"\n'; } >$APPLY_DIR/on.toml
	lanactl apply -f $APPLY_DIR/off.toml >/dev/null || fail "apply of off.toml failed"
	pktgen_flood_start aq0 || fail "pktgen flood failed"
	for i in $(seq "${APPLY_CYCLES:-20}"); do
		lanactl apply -f $APPLY_DIR/on.toml >/dev/null && lanactl apply -f $APPLY_DIR/off.toml >/dev/null ||
			{ pktgen_flood_stop; fail "attach/detach cycle $i failed"; }
	done
	pktgen_flood_stop
	packets=$(engine_stat packets) counted=$(block_stat qn packets)
	to_stack=$(engine_stat to_stack_no_entry) dropped=$(engine_stat drop_no_entry)
	echo "# ${APPLY_CYCLES:-20} attach/detach batches: $packets frames in the engine, $counted counted, $to_stack to the stack before a publish"
	[ "$counted" -gt 0 ] || fail "qn counted nothing: the flood did not reach the graph"
	[[ $to_stack =~ ^[0-9]+$ ]] || fail "no engine counter to_stack_no_entry: $(lanactl stats)"
	expect_eq "engine drop_no_entry" 0 "$dropped" || return 1
	expect_eq "engine packets" "$((counted + to_stack))" "$packets" || return 1
	rmmod lana && ip link del aq0 && rm -rf $APPLY_DIR || fail "teardown failed"
}

# Lana devices declared in the file ([[vlink]]): apply creates them before
# the transaction (its attachments find them) and deletes those the file no
# longer names after it; a refused batch deletes the devices it created and
# puts MTUs back; dump declares them, so dump, rmmod, insmod, apply brings
# devices and attachments back; flush deletes them.
apply_lana_devices() {
	printf '[[vlink]]\nname = "alv0"\n\n[[vlink]]\nname = "alv1"\nmtu = 1400\n\n'
	printf '[[block]]\nname = "la"\ntype = "counter"\n\n'
	printf '[[attach]]\ndev = "alv0"\nblock = "la"\n'
}

lana_devices() {
	ip -o link show type lana | awk '{ sub(":", "", $2); print $2 "/" $5 }' | sort | tr '\n' ' '
}

case_apply_lana_devices() {
	local out saved line
	insmod "$MODULE" && mkdir -p $APPLY_DIR || fail "insmod failed"
	apply_lana_devices >$APPLY_DIR/dev.toml
	out=$(lanactl apply -f $APPLY_DIR/dev.toml) || fail "apply failed: $out"
	expect_eq "plan" "vlink add alv0
vlink add alv1 --mtu 1400
add la counter
attach alv0 la
applied 4 changes: the graph is at revision 1" "$out" || return 1
	expect_eq "lana devices/MTU" "alv0/1500 alv1/1400 " "$(lana_devices)" || return 1
	ip link set alv0 up && ip addr add 10.91.0.1/24 dev alv0 || fail "cannot address alv0"
	ping -c 2 -i 0.2 -W 1 10.91.0.2 >/dev/null
	[ "$(block_stat la packets)" -ge 2 ] || fail "la counted $(block_stat la packets) of the pings sent through alv0"
	saved=$(lanactl dump)
	grep -A1 -x '\[\[vlink\]\]' <<<"$saved" | grep -qx 'name = "alv0"' || fail "dump declares no alv0: $saved"
	grep -A2 -x 'name = "alv1"' <<<"$saved" | grep -qx 'mtu = 1400' || fail "dump has no mtu of alv1: $saved"
	echo "$saved" >$APPLY_DIR/saved.toml
	out=$(lanactl apply -f $APPLY_DIR/saved.toml) || fail "apply of the dump failed: $out"
	grep -q "^nothing to change" <<<"$out" || fail "apply of the running graph's dump: $out"
	out=$(lanactl apply -f $APPLY_DIR/dev.toml --dry-run) || fail "dry run failed: $out"
	grep -q "^nothing to change" <<<"$out" || fail "dry run of the same file: $out"
	# A refused batch takes back the device it created and the MTU it set.
	{ sed 's/^mtu = 1400/mtu = 1280/' $APPLY_DIR/dev.toml; printf '\n[[vlink]]\nname = "alv2"\n\n'
		printf '[[block]]\nname = "zz"\ntype = "nope"\n'; } >$APPLY_DIR/devbad.toml
	line=$(grep -n '^name = "zz"' $APPLY_DIR/devbad.toml | cut -d: -f1)
	expect_refusal "$APPLY_DIR/devbad.toml:$((line - 1)): add zz nope: unknown block type 'nope'" \
		lanactl apply -f $APPLY_DIR/devbad.toml || return 1
	expect_eq "lana devices after a refused batch" "alv0/1500 alv1/1400 " "$(lana_devices)" || return 1
	# A dry run creates nothing, and says what it could not check: the
	# attachment to a device the file adds, a block transmitting on it and
	# that block's bind (the kernel would refuse them: no such device).
	{ printf '[[vlink]]\nname = "alv3"\n\n[[attach]]\ndev = "alv3"\nblock = "la"\n\n'
		printf '[[block]]\nname = "lx"\ntype = "xmit"\n[block.config]\ndev = "alv3"\n\n'
		printf '[[bind]]\nupper = "la"\nlower = "lx"\n\n'
		cat $APPLY_DIR/dev.toml; } >$APPLY_DIR/devdry.toml
	out=$(lanactl apply -f $APPLY_DIR/devdry.toml --dry-run) || fail "dry run failed: $out"
	grep -qx "vlink add alv3" <<<"$out" && grep -qx "add lx xmit dev=alv3" <<<"$out" &&
		grep -q "^dry run: 3 change(s) needing lana devices the file adds are checked when applied" <<<"$out" ||
		fail "dry run said: $out"
	expect_eq "lana devices after a dry run" "alv0/1500 alv1/1400 " "$(lana_devices)" || return 1
	# A lana device the file attaches to must be declared (apply deletes
	# the others); a device of another kind is not a lana device.
	sed '/^\[\[vlink\]\]/,/^$/d' $APPLY_DIR/dev.toml >$APPLY_DIR/undeclared.toml
	line=$(grep -n '^dev = "alv0"' $APPLY_DIR/undeclared.toml | cut -d: -f1)
	refused_unchanged "$APPLY_DIR/undeclared.toml:$((line - 1)): 'alv0' is a lana device the file does not declare" \
		lanactl apply -f $APPLY_DIR/undeclared.toml || return 1
	ip link add alx0 type dummy || fail "cannot create alx0"
	printf '[[vlink]]\nname = "alx0"\n' >$APPLY_DIR/dummy.toml
	refused_unchanged "$APPLY_DIR/dummy.toml:1: 'alx0' exists and is not a lana device (dummy)" \
		lanactl apply -f $APPLY_DIR/dummy.toml || return 1
	ip link del alx0
	# Changes: alv1 goes (after the detach), alv0's MTU is set.
	{ printf '[[vlink]]\nname = "alv0"\nmtu = 9000\n\n'; sed '1,/^$/d;/^mtu/d;/^name = "alv1"/d;/^\[\[vlink/d' $APPLY_DIR/dev.toml; } \
		>$APPLY_DIR/dev2.toml
	out=$(lanactl apply -f $APPLY_DIR/dev2.toml) || fail "apply of dev2.toml failed: $out"
	expect_eq "plan of dev2.toml" "ip link set alv0 mtu 9000
vlink del alv1
applied 2 changes: the graph is at revision 1" "$out" || return 1
	expect_eq "lana devices after dev2.toml" "alv0/9000 " "$(lana_devices)" || return 1
	# The graph, devices included, survives a module reload.
	rmmod lana && insmod "$MODULE" || fail "reload failed"
	expect_eq "lana devices after rmmod" "" "$(lana_devices)" || return 1
	out=$(lanactl apply -f $APPLY_DIR/saved.toml) || fail "apply of the saved dump failed: $out"
	expect_eq "lana devices after the saved dump" "alv0/1500 alv1/1400 " "$(lana_devices)" || return 1
	expect_eq "dump after the saved dump" "$(grep -v '^# ' $APPLY_DIR/saved.toml)" "$(lanactl dump | grep -v '^# ')" ||
		return 1
	out=$(lanactl flush) || fail "flush failed: $out"
	grep -qx "vlink del alv0" <<<"$out" || fail "flush said: $out"
	expect_eq "lana devices after flush" "" "$(lana_devices)" || return 1
	rmmod lana && rm -rf $APPLY_DIR || fail "teardown failed"
}

run_case "apply -f builds a 6-block graph with a port, a subscription, 2 devices" case_apply_builds_a_graph
run_case "dump prints the graph file; applying it changes nothing" case_dump_round_trip
run_case "apply -f changes a running graph: settings, a type, blocks, devices" case_apply_changes_a_running_graph
run_case "a batch refused at its last change, or at a device, changes nothing" case_refused_batch_changes_nothing
run_case "--expect-revision refuses a graph changed since" case_revision_guards_the_apply
run_case "apply delivers each change's event, after the publish" case_apply_events
run_case "dump, rmmod, insmod, apply restores the same graph" case_dump_survives_a_reload
run_case "dump --json has the file's fields and the revision" case_dump_json
run_case "apply -f - reads stdin; an empty file and flush remove the whole graph" case_stdin_and_flush
run_case "bad graph files are refused with file and line" case_bad_files_are_named
run_case "a batch may replace a block" case_batch_replaces_a_block
run_case "a batch refused after an unsubscribe puts the subscription back in place" case_refused_batch_keeps_subscriptions
run_case "apply teardown" case_apply_teardown
run_case "a batch attaching a flooded device: each frame to the graph or the stack" case_apply_attach_under_traffic
run_case "lana devices in graph files: created, resized, deleted, refused whole, dumped" case_apply_lana_devices
