# shellcheck shell=bash
# Scale: a graph of SCALE_BLOCKS blocks (10 000 by default) with 31-byte
# names, chained and with ports, hundreds of attachments (plain and tagged)
# on as many dummy devices, and thousands of subscriptions, some to one
# block. It is built by one `apply -f` (a transaction far larger than one
# netlink attribute), then every read command must return all of it, as
# root and as an unprivileged user: a dump that writes past its buffer is a
# kernel BUG any local user can trigger. Sourced by suite.sh.

SCALE_DIR=/tmp/lana-scale
SCALE_BLOCKS=${SCALE_BLOCKS:-10000}
# A group: a tee at the bottom, seven forwards chained above it, a counter
# on top, and a counter behind the tee's clone port.
SCALE_GROUPS=$((SCALE_BLOCKS / 10))
# Devices: each feeds one group untagged and another on VLAN 100.
SCALE_DEVS=$((SCALE_GROUPS / 5))
# Lana devices the file declares, each the top exit of a third group's
# clone counter: apply creates them, and deletes them when a file no
# longer declares them.
SCALE_LANADEVS=$SCALE_DEVS
# The block every group's two counters subscribe to.
SCALE_HUB=

# scale_name GROUP INDEX: a block name of exactly 31 bytes.
scale_name() {
	printf 'scale-g%05d-b%d-xxxxxxxxxxxxxxx' "$1" "$2"
}

# The graph file: SCALE_BLOCKS blocks, 9 bindings and 3 subscriptions per
# group, 2 attachments per dummy device, one per lana device.
scale_graph_file() {
	python3 - "$SCALE_GROUPS" "$SCALE_DEVS" <<'EOF'
import sys
groups, devs = int(sys.argv[1]), int(sys.argv[2])
name = lambda g, i: "scale-g%05d-b%d-xxxxxxxxxxxxxxx" % (g, i)
out = []
for g in range(groups):
    kinds = ["tee"] + ["forward"] * 7 + ["counter", "counter"]
    for i, kind in enumerate(kinds):
        out.append('[[block]]\nname = "%s"\ntype = "%s"\n' % (name(g, i), kind))
for g in range(groups):
    for i in range(1, 9):
        out.append('[[bind]]\nupper = "%s"\nlower = "%s"\n' % (name(g, i), name(g, i - 1)))
    out.append('[[bind]]\nupper = "%s"\nlower = "%s"\nport = "clone"\n' % (name(g, 9), name(g, 0)))
for g in range(groups):
    for i in (8, 9):
        out.append('[[subscribe]]\nblock = "%s"\nto = "%s"\n' % (name(g, i), name(0, 1)))
    # One block listens to a block of every group: more subscriptions than
    # one dump message holds.
    out.append('[[subscribe]]\nblock = "%s"\nto = "%s"\n' % (name(1, 1), name(g, 2)))
for d in range(devs):
    out.append('[[attach]]\ndev = "sc%d"\nblock = "%s"\n' % (d, name(d, 0)))
    out.append('[[attach]]\ndev = "sc%d"\nblock = "%s"\nvlan = 100\n' % (d, name(devs + d, 0)))
for d in range(devs):
    out.append('[[vlink]]\nname = "sl%d"\n' % d)
    out.append('[[attach]]\ndev = "sl%d"\nblock = "%s"\n' % (d, name(2 * devs + d, 9)))
print("\n".join(out))
EOF
}

# as_nobody_scale CMD...: lanactl as nobody, with no capabilities.
as_nobody_scale() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$SCALE_DIR/lanactl" "$@"
}

case_scale_setup() {
	command -v setpriv >/dev/null || { skip "setpriv (util-linux) not installed"; return; }
	insmod "$MODULE" || fail "insmod failed"
	mkdir -p $SCALE_DIR && chmod 0755 $SCALE_DIR
	install -m 0755 "$LANACTL" $SCALE_DIR/lanactl
	local d
	for ((d = 0; d < SCALE_DEVS; d++)); do
		echo "link add sc$d type dummy"
		echo "link set sc$d up"
	done >$SCALE_DIR/links
	ip -batch $SCALE_DIR/links || fail "cannot create $SCALE_DEVS dummy devices"
	scale_graph_file >$SCALE_DIR/graph.toml || fail "cannot write the graph file"
	local out
	out=$(lanactl apply -f $SCALE_DIR/graph.toml 2>&1) || fail "apply -f failed: $(tail -n 3 <<<"$out")"
	local changes=$((SCALE_BLOCKS + SCALE_GROUPS * 12 + SCALE_DEVS * 2 + SCALE_LANADEVS * 2))
	grep -qx "applied $changes changes: the graph is at revision 1" <<<"$out" ||
		fail "apply: $(tail -n 1 <<<"$out") (expected $changes changes at revision 1)"
}

# scale_reads LANACTL...: every read command through LANACTL (root's, or
# nobody's), each returning the whole graph.
scale_reads() {
	local out n hub
	hub=$(scale_name 0 1)
	out=$("$@" list) || fail "list failed"
	n=$(tail -n +2 <<<"$out" | wc -l)
	expect_eq "blocks listed" "$SCALE_BLOCKS" "$n"
	expect_eq "names listed" "$(scale_names)" "$(tail -n +2 <<<"$out" | awk '{ print $2 }' | sort)"
	n=$("$@" -j list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))') ||
		fail "list -j failed"
	expect_eq "blocks in JSON" "$SCALE_BLOCKS" "$n"
	out=$("$@" attachments) || fail "attachments failed"
	expect_eq "attachments" $((SCALE_DEVS * 2 + SCALE_LANADEVS)) "$(grep -c . <<<"$out")"
	expect_eq "tagged attachments" "$SCALE_DEVS" "$(grep -c ' vlan=100$' <<<"$out")"
	n=$("$@" -j types | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))') ||
		fail "types failed"
	[ "$n" -ge 8 ] || fail "types: $n"
	n=$("$@" -j show "$hub" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["subscribers"]))') ||
		fail "show $hub failed"
	expect_eq "subscribers of the hub" $((SCALE_GROUPS * 2)) "$n"
	n=$("$@" -j show "$(scale_name 1 1)" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["subscribed_to"]))') ||
		fail "show $(scale_name 1 1) failed"
	expect_eq "subscriptions of $(scale_name 1 1)" "$SCALE_GROUPS" "$n"
	out=$("$@" show "$(scale_name 7 0)") || fail "show of a tee failed"
	grep -qx "  ports: clone=$(scale_name 7 9)" <<<"$out" || fail "show of a tee: $out"
	"$@" stats --per-cpu "$hub" >/dev/null || fail "stats --per-cpu failed"
	"$@" stats --per-cpu >/dev/null || fail "engine stats --per-cpu failed"
	"$@" get "$(scale_name 3 5)" >/dev/null || fail "get failed"
	out=$("$@" dump) || fail "dump failed"
	expect_eq "blocks dumped" "$SCALE_BLOCKS" "$(grep -c '^\[\[block\]\]' <<<"$out")"
	expect_eq "bindings dumped" $((SCALE_GROUPS * 9)) "$(grep -c '^\[\[bind\]\]' <<<"$out")"
	expect_eq "subscriptions dumped" $((SCALE_GROUPS * 3)) "$(grep -c '^\[\[subscribe\]\]' <<<"$out")"
	expect_eq "attachments dumped" $((SCALE_DEVS * 2 + SCALE_LANADEVS)) "$(grep -c '^\[\[attach\]\]' <<<"$out")"
	expect_eq "lana devices dumped" "$SCALE_LANADEVS" "$(grep -c '^\[\[vlink\]\]' <<<"$out")"
	n=$("$@" dot | grep -c ' -> ') || fail "dot failed"
	# Every binding, port binding and attachment is an edge.
	[ "$n" -ge $((SCALE_GROUPS * 9 + SCALE_DEVS * 2 + SCALE_LANADEVS)) ] || fail "dot: $n edges"
}

# The expected names, sorted.
scale_names() {
	local g i
	for ((g = 0; g < SCALE_GROUPS; g++)); do
		for i in 0 1 2 3 4 5 6 7 8 9; do scale_name $g $i; echo; done
	done | sort
}

case_scale_reads_root() {
	scale_reads lanactl
}

case_scale_reads_unprivileged() {
	scale_reads as_nobody_scale
}

case_scale_dump_round_trip() {
	lanactl dump >$SCALE_DIR/dumped.toml || fail "dump failed"
	local out
	out=$(lanactl apply -f $SCALE_DIR/dumped.toml) || fail "apply of the dump failed: $out"
	expect_eq "apply of the dump" "nothing to change: the graph is at revision 1" "$out"
}

# A chain of 60 blocks (the hop limit is 64) fed by a device under traffic;
# its bottom block is removed with --cascade: one change, no splat, the
# chain above left unbound and still there.
case_scale_rm_cascade_under_traffic() {
	ip link add sclong type dummy && ip link set sclong up || fail "cannot create sclong"
	local i
	{
		for ((i = 0; i < 60; i++)); do printf 'add long%02d-xxxxxxxxxxxxxxxxxxxxxxxx forward\n' $i; done
		for ((i = 1; i < 60; i++)); do
			printf 'bind long%02d-xxxxxxxxxxxxxxxxxxxxxxxx long%02d-xxxxxxxxxxxxxxxxxxxxxxxx\n' $i $((i - 1))
		done
		echo "attach sclong long00-xxxxxxxxxxxxxxxxxxxxxxxx"
	} >$SCALE_DIR/long.batch
	lanactl batch $SCALE_DIR/long.batch || fail "building the long chain failed"
	pktgen_flood_start sclong || return 1
	lanactl rm --cascade long00-xxxxxxxxxxxxxxxxxxxxxxxx || { pktgen_flood_stop; fail "rm --cascade failed"; }
	pktgen_flood_stop
	lanactl show long00-xxxxxxxxxxxxxxxxxxxxxxxx >/dev/null 2>&1 && fail "long00 still there"
	lanactl show long01-xxxxxxxxxxxxxxxxxxxxxxxx | grep -qx '  lower: -' ||
		fail "long01: $(lanactl show long01-xxxxxxxxxxxxxxxxxxxxxxxx)"
	lanactl attachments | grep -q sclong && fail "sclong still attached"
	expect_eq "blocks" $((SCALE_BLOCKS + 59)) "$(lanactl list | tail -n +2 | wc -l)"
}

# Counters read while the graph changes under traffic never go back: each
# frame counts once, in the tally of the snapshot it walked (published,
# or retired and pending its grace period) or folded from it, whatever a
# reader meets. Adds and removes of a spare block publish a snapshot each
# without waiting for the old one (make check's 10,000-block graph, group
# 1 flooded); a reader samples the engine's packets and the walk starts of
# group 1's entry block meanwhile.
case_scale_counters_during_changes() {
	local entry reads=$SCALE_DIR/reads i went_back
	entry=$(scale_name 1 0)
	rm -f $SCALE_DIR/stop-reading $SCALE_DIR/after
	pktgen_flood_start sc1 || fail "pktgen failed"
	(
		while [ ! -e $SCALE_DIR/stop-reading ]; do
			echo "$(engine_stat packets) $(block_stat "$entry" walk_start_up)"
		done >$reads
	) &
	local reader=$!
	# A reading right after each change too: the snapshot it replaced is
	# then most likely still pending.
	for ((i = 0; i < ${SCALE_CHANGES:-20}; i++)); do
		lanactl add scale-spare-xxxxxxxxxxxxxxxxxxx counter &&
			engine_stat packets >>$SCALE_DIR/after &&
			lanactl rm scale-spare-xxxxxxxxxxxxxxxxxxx &&
			engine_stat packets >>$SCALE_DIR/after ||
			{ touch $SCALE_DIR/stop-reading; pktgen_flood_stop; fail "change $i failed"; }
	done
	touch $SCALE_DIR/stop-reading
	wait $reader
	pktgen_flood_stop
	echo "# $(wc -l <$reads) readings during $((2 * ${SCALE_CHANGES:-20})) changes, $PKTGEN_FLOOD_SENT frames"
	[ "$(wc -l <$reads)" -ge 3 ] || fail "only $(wc -l <$reads) readings"
	went_back=$(awk 'NF != 2 { print "reading " NR ": " $0; exit }
		NR > 1 && ($1 < p || $2 < w) { print "reading " NR ": " p " " w " then " $1 " " $2; exit }
		{ p = $1; w = $2 }' $reads)
	[ -z "$went_back" ] || fail "a counter went back: $went_back"
	went_back=$(awk 'NR > 1 && $1 < p { print "after change " NR ": " p " then " $1; exit } { p = $1 }' \
		$SCALE_DIR/after)
	[ -z "$went_back" ] || fail "the engine's packets went back: $went_back"
	[ "$(tail -n 1 $reads | cut -d' ' -f2)" -gt "$(head -n 1 $reads | cut -d' ' -f2)" ] ||
		fail "the entry block counted nothing meanwhile: $(head -n 1 $reads), then $(tail -n 1 $reads)"
}

# One batch replaces every group's top counter (b8) by a new one, and group
# 0's new one again, while pktgen floods group 1 from before the batch
# (its counter seen moving) to after it: each counter's state reaches the
# block that ends in its place, no frame lost, and the hub's subscribers
# move with them.
case_scale_batch_replace_under_traffic() {
	local probe="$TOP/target/release/genl-fuzz" g reqs fields=() out n blocks
	local early=1000 c0 c1 moving
	blocks=$(lanactl list | tail -n +2 | wc -l)
	c0=$(block_stat "$(scale_name 0 8)" packets) c1=$(block_stat "$(scale_name 1 8)" packets)
	pktgen_inject sc0 $early || return 1
	for ((g = 0; g < SCALE_GROUPS; g++)); do
		printf -v reqs '%sadd+block_name=s:scale-r%05d-b8-xxxxxxxxxxxxxxx+block_type=s:counter/' "${reqs:-}" $g
		printf -v reqs '%sreplace+block_name=s:%s+new_name=s:scale-r%05d-b8-xxxxxxxxxxxxxxx/' \
			"$reqs" "$(scale_name $g 8)" $g
		# A REQUESTS attribute holds at most 64 KiB: several of them.
		if ((g % 250 == 249 || g == SCALE_GROUPS - 1)); then
			fields+=("requests=reqs:${reqs%/}")
			reqs=
		fi
	done
	fields+=("requests=reqs:add+block_name=s:scale-s00000-b8-xxxxxxxxxxxxxxx+block_type=s:counter/replace+block_name=s:scale-r00000-b8-xxxxxxxxxxxxxxx+new_name=s:scale-s00000-b8-xxxxxxxxxxxxxxx")
	pktgen_flood_start sc1 || fail "pktgen failed"
	for _ in $(seq 100); do
		moving=$(block_stat "$(scale_name 1 8)" packets)
		[ "$moving" -gt "$c1" ] && break
		sleep 0.1
	done
	[ "$moving" -gt "$c1" ] || { pktgen_flood_stop; fail "group 1's counter does not move under pktgen"; }
	out=$("$probe" --probe apply "${fields[@]}") || { pktgen_flood_stop; fail "genl-fuzz --probe failed: $out"; }
	# Still sending: the last frames reach the new counter.
	sleep 0.5
	pktgen_flood_stop
	echo "# $PKTGEN_FLOOD_SENT frames into group 1, the batch sent after the first $((moving - c1))"
	expect_eq "a batch of $SCALE_GROUPS replaces" "errno 0: -" "$out" || return 1
	expect_eq "blocks after the batch" "$blocks" "$(lanactl list | tail -n +2 | wc -l)" || return 1
	expect_eq "group 0's counter, replaced twice" $((c0 + early)) \
		"$(block_stat scale-s00000-b8-xxxxxxxxxxxxxxx packets)" || return 1
	expect_eq "group 1's counter, replaced under traffic" $((c1 + PKTGEN_FLOOD_SENT)) \
		"$(block_stat scale-r00001-b8-xxxxxxxxxxxxxxx packets)" || return 1
	n=$(lanactl -j show "$(scale_name 0 1)" |
		python3 -c 'import json, sys; s = json.load(sys.stdin)["subscribers"]; print(len(s), sum(x.startswith(("scale-r", "scale-s")) for x in s))') ||
		fail "show of the hub failed"
	expect_eq "the hub's subscribers (all, the new counters)" "$((SCALE_GROUPS * 2)) $SCALE_GROUPS" "$n"
}

# A file that no longer declares the lana devices: apply detaches them in
# its transaction and deletes every one after it; the rest of the graph
# stays.
case_scale_lana_devices_go() {
	local out start blocks
	blocks=$(lanactl list | tail -n +2 | wc -l)
	lanactl dump >$SCALE_DIR/before.toml || fail "dump failed"
	python3 - $SCALE_DIR/before.toml >$SCALE_DIR/nolana.toml <<'EOF'
import re, sys
tables = re.split(r"\n(?=\[)", open(sys.argv[1]).read())
keep = [t for t in tables
        if not t.startswith("[[vlink]]")
        and not (t.startswith("[[attach]]") and re.search(r'^dev = "sl\d+"$', t, re.M))]
print("\n".join(keep))
EOF
	start=$(date +%s%N)
	out=$(lanactl apply -f $SCALE_DIR/nolana.toml) || fail "apply without the lana devices failed: $(tail -n 3 <<<"$out")"
	echo "# $SCALE_LANADEVS lana devices detached and deleted in $((($(date +%s%N) - start) / 1000000)) ms"
	grep -qx "applied $((SCALE_LANADEVS * 2)) changes: the graph is at revision [0-9]*" <<<"$out" ||
		fail "apply said: $(tail -n 1 <<<"$out")"
	expect_eq "vlink del lines" "$SCALE_LANADEVS" "$(grep -c '^vlink del sl' <<<"$out")" || return 1
	expect_eq "detach lines" "$SCALE_LANADEVS" "$(grep -c '^detach sl' <<<"$out")" || return 1
	expect_eq "lana devices left" 0 "$(ip -o link show type lana | wc -l)" || return 1
	expect_eq "blocks left" "$blocks" "$(lanactl list | tail -n +2 | wc -l)" || return 1
	expect_eq "attachments left" $((SCALE_DEVS * 2)) "$(lanactl attachments | grep -c .)"
}

case_scale_teardown() {
	local d
	# The module goes with the whole graph: its exit tears everything down.
	rmmod lana || fail "rmmod failed"
	for ((d = 0; d < SCALE_DEVS; d++)); do echo "link del sc$d"; done >$SCALE_DIR/unlinks
	echo "link del sclong" >>$SCALE_DIR/unlinks
	ip -batch $SCALE_DIR/unlinks || fail "cannot delete the devices"
	rm -rf $SCALE_DIR
}

run_case "scale: apply -f builds $SCALE_BLOCKS blocks in one transaction" case_scale_setup
run_case "scale: every read command returns everything (root)" case_scale_reads_root
run_case "scale: every read command returns everything (unprivileged)" case_scale_reads_unprivileged
run_case "scale: dump and apply -f round trip" case_scale_dump_round_trip
run_case "scale: rm --cascade at the bottom of a 60-block chain under traffic" case_scale_rm_cascade_under_traffic
run_case "scale: counters read during changes under traffic never go back" case_scale_counters_during_changes
run_case "scale: one batch replaces $SCALE_GROUPS blocks under traffic, state carried" case_scale_batch_replace_under_traffic
run_case "scale: apply deletes $SCALE_LANADEVS lana devices a file no longer declares" case_scale_lana_devices_go
run_case "scale teardown" case_scale_teardown
