# shellcheck shell=bash
# --json of every read command against docs/JSON.md: the keys, in order, and
# the type of every value. Sourced by suite.sh.

JSON_DIR=/tmp/lana-json

# The documented shapes, checked by Python's json module.
json_check() {
	python3 - "$@" <<'EOF'
import json, sys

kind, path = sys.argv[1], sys.argv[2]
text = open(path).read()
S, I, N = str, int, type(None)

def keys(obj, expected, where):
    got = list(obj)
    # Keys may be added at the end, never renamed, removed or reordered.
    assert got[:len(expected)] == expected, f"{where}: keys {got}, documented {expected}"

def typed(value, types, where):
    assert isinstance(value, types), f"{where}: {value!r} is not {types}"

def counters(stats, where):
    typed(stats, dict, where)
    for name, value in stats.items():
        if isinstance(value, dict):
            for cpu, v in value.items():
                assert cpu.startswith("cpu"), f"{where}.{name}: {cpu}"
                typed(v, I, f"{where}.{name}.{cpu}")
        else:
            typed(value, (I, S), f"{where}.{name}")

def strings(obj, where):
    typed(obj, dict, where)
    for k, v in obj.items():
        typed(v, S, f"{where}.{k}")

if kind == "list":
    for b in json.loads(text):
        keys(b, ["id", "name", "type", "upper", "lower"], "list")
        typed(b["id"], I, "id")
        for k in ("upper", "lower"):
            typed(b[k], (S, N), k)
elif kind == "types":
    for t in json.loads(text):
        keys(t, ["name", "description", "keys"], "types")
        for k in t["keys"]:
            keys(k, ["name", "syntax", "default", "description"], "types.keys")
            for v in k.values():
                typed(v, S, "key field")
elif kind == "attachments":
    for a in json.loads(text):
        keys(a, ["dev", "ifindex", "block", "side", "tag"], "attachments")
        typed(a["ifindex"], I, "ifindex")
        assert a["side"] in ("bottom", "top"), a["side"]
        typed(a["tag"], (S, N), "tag")
elif kind == "get":
    g = json.loads(text)
    keys(g, ["block", "config"], "get")
    strings(g["config"], "get.config")
elif kind == "stats":
    s = json.loads(text)
    keys(s, ["block", "stats"], "stats")
    typed(s["block"], (S, N), "stats.block")
    counters(s["stats"], "stats.stats")
elif kind == "show":
    s = json.loads(text)
    keys(s, ["id", "name", "type", "upper", "lower", "devices", "ports",
             "subscribed_to", "subscribers", "config", "stats"], "show")
    for k in ("devices", "subscribed_to", "subscribers"):
        typed(s[k], list, k)
    strings(s["ports"], "show.ports")
    strings(s["config"], "show.config")
    counters(s["stats"], "show.stats")
elif kind == "dump":
    d = json.loads(text)
    keys(d, ["revision", "vlink", "block", "bind", "subscribe", "attach"], "dump")
    typed(d["revision"], I, "revision")
    for v in d["vlink"]:
        keys(v, ["name"], "dump.vlink")
        if "mtu" in v:
            typed(v["mtu"], I, "dump.vlink.mtu")
    for b in d["block"]:
        keys(b, ["name", "type", "config"], "dump.block")
        strings(b["config"], "dump.block.config")
    for b in d["bind"]:
        keys(b, ["upper", "lower"], "dump.bind")
    for s in d["subscribe"]:
        keys(s, ["block", "to"], "dump.subscribe")
    for a in d["attach"]:
        keys(a, ["dev", "block"], "dump.attach")
elif kind == "monitor":
    lines = text.splitlines()
    assert lines, "no events"
    for line in lines:
        e = json.loads(line)
        keys(e, ["event", "block", "peer", "dev"], "monitor")
elif kind == "trace":
    lines = text.splitlines()
    assert lines, "no records"
    for line in lines:
        r = json.loads(line)
        keys(r, ["packet", "path", "verdict"], "trace")
        typed(r["packet"], I, "packet")
        typed(r["path"], list, "path")
        typed(r["verdict"], S, "verdict")
else:
    sys.exit(f"unknown kind {kind}")
EOF
}

# json_of KIND ARGS...: lanactl --json ARGS, checked as KIND.
json_of() {
	local kind=$1
	shift
	lanactl --json "$@" >$JSON_DIR/$kind.json || fail "lanactl --json $* failed"
	json_check "$kind" $JSON_DIR/$kind.json ||
		fail "lanactl --json $*: $(cat $JSON_DIR/$kind.json)"
}

case_json_read_commands() {
	lsmod | grep -q "^lana " || insmod "$MODULE" || fail "insmod failed"
	mkdir -p $JSON_DIR
	ip link add js0 type dummy && ip link set js0 up || fail "cannot create js0"
	lanactl add je eth promisc=on && lanactl add jt tee && lanactl add jc counter &&
		lanactl add jd drop reason=json && lanactl bind jt je && lanactl bind jc jt &&
		lanactl bind --port clone jd jt && lanactl subscribe jc je &&
		lanactl attach js0 je && lanactl attach js0 jc --vlan 5 ||
		fail "building the graph failed"
	pktgen_inject js0 10 || return 1
	json_of list list || return 1
	json_of types types || return 1
	json_of attachments attachments || return 1
	json_of get get je || return 1
	json_of stats stats jd || return 1
	json_of stats stats --per-cpu jc || return 1
	json_of stats stats --engine || return 1
	json_of show show jt || return 1
	json_of dump dump || return 1
	# A check that cannot fail proves nothing: a renamed key must fail it.
	sed 's/"upper"/"above"/' $JSON_DIR/list.json >$JSON_DIR/bad.json
	json_check list $JSON_DIR/bad.json 2>/dev/null && fail "the list check passed a renamed key"
	true
}

case_json_streams() {
	local pid
	lanactl --json monitor --count 2 >$JSON_DIR/monitor.json 2>/dev/null &
	pid=$!
	sleep 1
	lanactl add jx counter && lanactl rm jx || fail "add/rm jx failed"
	wait $pid || fail "monitor failed"
	json_check monitor $JSON_DIR/monitor.json ||
		fail "lanactl --json monitor: $(cat $JSON_DIR/monitor.json)"
	timeout 30 "$LANACTL" --json trace js0 --count 1 >$JSON_DIR/trace.json \
		2>$JSON_DIR/trace.err &
	pid=$!
	for _ in $(seq 50); do
		grep -q "tracing js0" $JSON_DIR/trace.err && break
		sleep 0.1
	done
	pktgen_inject js0 1 || return 1
	wait $pid || fail "trace failed: $(cat $JSON_DIR/trace.err)"
	json_check trace $JSON_DIR/trace.json || fail "lanactl --json trace: $(cat $JSON_DIR/trace.json)"
}

# Leaves the module unloaded, as the files before and after expect.
case_json_teardown() {
	rmmod lana && ip link del js0 && rm -rf $JSON_DIR || fail "teardown failed"
}

run_case "--json of list, types, attachments, get, stats, show, dump as documented" case_json_read_commands
run_case "--json of monitor and trace: one documented object per line" case_json_streams
run_case "json teardown" case_json_teardown
