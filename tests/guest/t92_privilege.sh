# shellcheck shell=bash
# Privilege: every command that changes anything needs CAP_NET_ADMIN in the
# user namespace owning the caller's network namespace; without it, EPERM
# and nothing changes. Reading needs nothing. Sourced by suite.sh.

PRIV_DIR=/tmp/lana-priv

# nobody: no capabilities at all.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$PRIV_DIR/lanactl" "$@"
}

# Everything an unprivileged caller could have changed: the graph, every
# block's counters, the attachments.
priv_state() {
	lanactl dump
	local b
	for b in pa pb pc pd; do lanactl stats "$b"; done
	lanactl attachments
	ip -br link show type lana
}

case_privilege_setup() {
	command -v setpriv >/dev/null || { skip "setpriv (util-linux) not installed"; return; }
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	mkdir -p $PRIV_DIR && chmod 0755 $PRIV_DIR
	# A copy anyone can execute, wherever the work tree lives.
	install -m 0755 "$LANACTL" $PRIV_DIR/lanactl
	ip link add pv0 type dummy && ip link set pv0 up && ip link add pv1 type dummy ||
		fail "cannot create pv0, pv1"
	lanactl add pa counter && lanactl add pb forward && lanactl add pc tee &&
		lanactl add pd drop && lanactl bind pb pa && lanactl subscribe pb pa &&
		lanactl attach pv0 pa || fail "building the graph failed"
	pktgen_inject pv0 10 || return 1
	lanactl vlink add plana0 || fail "vlink add plana0 failed"
	# A file that would change the graph.
	printf '[[block]]\nname = "pz"\ntype = "counter"\n' >$PRIV_DIR/graph.toml
	printf '[[vlink]]\nname = "plana2"\n' >$PRIV_DIR/devices.toml
	chmod 0644 $PRIV_DIR/graph.toml $PRIV_DIR/devices.toml
}

case_every_change_refused_unprivileged() {
	local before cmd out rc
	before=$(priv_state)
	while read -r cmd; do
		# shellcheck disable=SC2086 # the command's words
		out=$(as_nobody $cmd 2>&1) && rc=0 || rc=$?
		[ "$rc" -eq 1 ] || fail "unprivileged 'lanactl $cmd' exited $rc: $out"
		grep -q "Operation not permitted" <<<"$out" ||
			fail "unprivileged 'lanactl $cmd' said: $out"
	done <<EOF
add px counter
rm pd
rm --cascade pa
bind pd pc
unbind pb pa
unbind --force pb pa
attach pv1 pd
detach pv0
replace pc pd
set pd reason=nope
reset pa
subscribe pc pa
unsubscribe pb pa
trace pv0 --count 1
apply -f $PRIV_DIR/graph.toml
apply -f $PRIV_DIR/devices.toml
flush
vlink add plana1
vlink del plana0
EOF
	expect_eq "state after refused commands" "$before" "$(priv_state)"
}

case_reads_allowed_unprivileged() {
	local cmd
	while read -r cmd; do
		# shellcheck disable=SC2086 # the command's words
		as_nobody $cmd >/dev/null || fail "unprivileged 'lanactl $cmd' refused"
	done <<EOF
list
types
attachments
stats
stats pa
stats --per-cpu pa
show pb
get pd
dump
dot
--json dump
EOF
	# monitor: joining the events group needs nothing either.
	timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$PRIV_DIR/lanactl" monitor --count 1 >$PRIV_DIR/monitor.txt 2>$PRIV_DIR/monitor.err &
	local pid=$!
	for _ in $(seq 50); do
		grep -q "monitoring events" $PRIV_DIR/monitor.err && break
		sleep 0.1
	done
	lanactl add pe counter && lanactl rm pe || fail "add/rm pe failed"
	wait $pid || fail "unprivileged monitor failed: $(cat $PRIV_DIR/monitor.err)
$(lanactl stats | grep -i lost)"
	expect_eq "unprivileged monitor" "add block=pe" "$(cat $PRIV_DIR/monitor.txt)"
}

# CAP_NET_ADMIN counts in the user namespace that owns the network
# namespace: root of a new user namespace commands the graph of its own new
# network namespace, not the graph of the namespace it came from.
case_user_namespace_capability() {
	command -v unshare >/dev/null || { skip "unshare (util-linux) not installed"; return; }
	local out
	out=$(unshare --user --map-root-user "$PRIV_DIR/lanactl" add pu counter 2>&1) &&
		fail "root of a new user namespace changed the initial namespace's graph"
	grep -q "Operation not permitted" <<<"$out" || fail "refusal said: $out"
	lanactl show pu >/dev/null 2>&1 && fail "pu was added"
	out=$(unshare --user --map-root-user --net sh -c \
		"'$PRIV_DIR/lanactl' add pu counter && '$PRIV_DIR/lanactl' list" 2>&1) ||
		fail "root of a new user namespace cannot change its own namespace's graph: $out"
	grep -q "pu  *counter" <<<"$out" || fail "list in the new namespace: $out"
	lanactl show pu >/dev/null 2>&1 && fail "pu leaked into the initial namespace"
	true
}

# Leaves the module unloaded, as the files before and after expect.
case_privilege_teardown() {
	lanactl vlink del plana0 && rmmod lana && ip link del pv0 && ip link del pv1 &&
		rm -rf $PRIV_DIR || fail "teardown failed"
}

run_case "privilege: a graph, a device, a lana device" case_privilege_setup
run_case "unprivileged: every changing command refused with EPERM, nothing changed" case_every_change_refused_unprivileged
run_case "unprivileged: every read command allowed (monitor too)" case_reads_allowed_unprivileged
run_case "CAP_NET_ADMIN counts in the user namespace owning the network namespace" case_user_namespace_capability
run_case "privilege teardown" case_privilege_teardown
