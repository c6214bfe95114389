# shellcheck shell=bash
# lanactl dot: a known graph with known traffic, drawn with its counters.
# Sourced by suite.sh.

case_dot_known_graph() {
	local expected
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	expect_no_blocks "blocks left over by earlier tests"
	ip link add dot0 type dummy && ip link set dot0 up || fail "cannot create dot0"
	lanactl add dc counter && lanactl add df forward && lanactl add dd drop reason=dot &&
		lanactl bind df dc && lanactl bind dd df && lanactl attach dot0 dc ||
		fail "building dot0 -> dc -> df -> dd failed"
	pktgen_inject dot0 100 || return 1
	expected='digraph lana {
  rankdir=BT;
  node [shape=box, fontname="monospace"];
  edge [fontname="monospace", fontsize=10];
  "dc" [label="dc\ncounter\npackets 100\nbytes 6000"];
  "df" [label="df\nforward"];
  "dd" [label="dd\ndrop\ndropped 100\nreason dot"];
  "dc" -> "df" [label="up 100\ndown 0"];
  "df" -> "dd" [label="up 100\ndown 0"];
  "dev:dot0" [shape=ellipse, label="dot0"];
  "dev:dot0" -> "dc" [label="in 100"];
}'
	expect_eq "lanactl dot" "$expected" "$(lanactl dot)" || return 1
	command -v dot >/dev/null || fail "Graphviz is not installed (make setup installs it)"
	lanactl dot | dot -Tsvg >/dev/null || fail "Graphviz refused lanactl dot's output"
}

# Names the kernel does not know come back with the closest one that exists.
case_typo_suggestions() {
	expect_refusal "no block 'dcc'; did you mean 'dc'?" lanactl stats dcc || return 1
	expect_refusal "unknown block type 'countr' (see lanactl types); did you mean 'counter'?" \
		lanactl add x countr || return 1
	expect_refusal "no device 'dot1'; did you mean 'dot0'?" lanactl attach dot1 dc || return 1
	# Nothing close: no suggestion.
	local out
	out=$(lanactl stats zzzzzz 2>&1) && fail "stats of an unknown block succeeded"
	grep -q "did you mean" <<<"$out" && fail "a suggestion for a name nothing is close to: $out"
	true
}

# Leaves the module unloaded, as the files before and after expect.
case_dot_teardown() {
	lanactl detach dot0 && lanactl rm --cascade dd && lanactl rm --cascade df &&
		lanactl rm dc && ip link del dot0 && rmmod lana || fail "teardown failed"
}

run_case "dot: dot0 -> counter -> forward -> drop after 100 frames" case_dot_known_graph
run_case "typos: the closest block, type or device is suggested" case_typo_suggestions
run_case "dot teardown" case_dot_teardown
