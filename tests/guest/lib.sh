# shellcheck shell=bash
# kselftest-style helpers for the in-guest suite: TAP 13 output, one line per
# case, a skip with a reason when a prerequisite is missing, and a summary.
# Sourced by tests/guest/suite.sh.

TAP_N=0
TAP_PASS=0
TAP_FAIL=0
TAP_SKIP=0

tap_begin() {
	echo "TAP version 13"
}

# run_case DESCRIPTION FUNCTION [ARGS...]: one test case, in a subshell of
# its own. The function fails by returning non-zero, or by `fail`, which ends
# it at once; what it printed is shown as TAP diagnostics.
run_case() {
	local desc=$1 out rc start
	shift
	TAP_N=$((TAP_N + 1))
	start=$(date +%s)
	out=$("$@" 2>&1) && rc=0 || rc=$?
	# Slow cases say so: the whole suite runs under emulation in CI.
	[ $(($(date +%s) - start)) -lt 20 ] || out="$out
# took $(($(date +%s) - start)) s"
	if [ "$rc" -eq 0 ]; then
		echo "ok $TAP_N - $desc"
		# Lines a passing case prints starting with "# " are its findings.
		grep '^# ' <<<"$out" || true
		TAP_PASS=$((TAP_PASS + 1))
	elif [ "$rc" -eq 4 ]; then
		# Exit code 4 is kselftest's "skip": the reason is the output.
		echo "ok $TAP_N - $desc # SKIP ${out:-prerequisite missing}"
		TAP_SKIP=$((TAP_SKIP + 1))
	else
		echo "not ok $TAP_N - $desc"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
}

tap_end() {
	echo "1..$TAP_N"
	echo "# $TAP_PASS passed, $TAP_FAIL failed, $TAP_SKIP skipped"
	echo "$TAP_PASS passed, $TAP_FAIL failed"
	[ "$TAP_FAIL" -eq 0 ]
}

# skip REASON and fail MESSAGE end the case (the subshell run_case runs it
# in) there and then, as kselftest's ksft_exit_skip/ksft_exit_fail end a
# test: a check that fails can never be followed by one that passes and
# hides it. In a subshell of the case's own ($(...), a pipeline) they end
# that subshell with their status.
skip() {
	echo "$*"
	exit 4
}

fail() {
	echo "$*"
	exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_refusal MESSAGE CMD...: CMD must exit non-zero and print MESSAGE.
expect_refusal() {
	local msg=$1 out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded; expected a refusal: $msg"
	[ "$rc" -eq 1 ] || fail "'$*' exited $rc, expected 1 (kernel refused): $out"
	grep -qF -- "$msg" <<<"$out" || fail "'$*' printed '$out', expected '$msg'"
}

# The graph as lanactl shows it: blocks with bindings, and attachments.
graph_state() {
	lanactl list
	lanactl attachments
}

# block_names: the names of the blocks lanactl lists (below its header).
block_names() {
	lanactl list | awk 'NR > 1 { print $2 }'
}

# expect_no_blocks WHAT: the graph has no block left.
expect_no_blocks() {
	[ -z "$(block_names)" ] || fail "$1: $(lanactl list)"
}

# engine_stat NAME: one engine-wide counter.
engine_stat() {
	lanactl stats | awk -v k="$1" '$1 == k { print $2 }'
}

# The graph's revision, as `lanactl dump` tells it.
graph_revision() {
	lanactl dump | sed -n 's/^# lanactl dump: the running graph at revision \([0-9]*\)$/\1/p'
}

# block_stat BLOCK NAME: one counter of a block.
block_stat() {
	lanactl stats "$1" | awk -v k="$2" '$1 == k { print $2 }'
}

# refused_unchanged MESSAGE CMD...: refused with MESSAGE, graph unchanged.
refused_unchanged() {
	local before after
	before=$(graph_state)
	expect_refusal "$@" || return 1
	after=$(graph_state)
	[ "$before" = "$after" ] || fail "graph changed by refused '$*': $before -> $after"
}

# SLUB's allocation tracking (the debug kernel boots with slab_debug=U for
# the kmalloc caches; tests/run.sh) records each live object's allocation
# stack: lana's objects are those with a frame in the module. Read while the
# module is loaded (its frames have names then). Only kmalloc objects: per-CPU
# counters, vmalloc'd and page-sized allocations are kmemleak's alone.
slab_tracking() {
	[ "$(cat /sys/kernel/slab/kmalloc-64/store_user 2>/dev/null)" = 1 ] &&
		[ -r /sys/kernel/debug/slab/kmalloc-64/alloc_traces ]
}

# lana_slab_sites: lana's live kmalloc objects by allocation site (the
# stack's first frame in the module), "COUNT SITE" per line, sorted. KASAN
# holds freed objects in its quarantine, which SLUB still counts as
# allocated: shrinking a cache empties the quarantine of its objects first.
lana_slab_sites() {
	local shrink
	for shrink in /sys/kernel/slab/kmalloc-*/shrink; do
		echo 1 >"$shrink"
	done
	cat /sys/kernel/debug/slab/kmalloc-*/alloc_traces | awk '
		/^ *[0-9]+ / { n = $1; ours = 0; next }
		/\[lana\]/ && !ours { sites[$1] += n; ours = 1 }
		END { for (s in sites) print sites[s], s }' | sort -k2
}

# slab_total FILE: the objects of a lana_slab_sites listing.
slab_total() {
	awk '{ n += $1 } END { print n + 0 }' "$1"
}

# slab_baseline FILE: lana's live objects, once settled (objects of the
# last commands may wait for an RCU grace period), into FILE. Without the
# tracking FILE is left absent.
slab_baseline() {
	local file=$1 last now i
	rm -f "$file"
	slab_tracking || return 0
	last=$(lana_slab_sites)
	for i in $(seq 30); do
		sleep 1
		now=$(lana_slab_sites)
		[ "$now" = "$last" ] && break
		last=$now
	done
	echo "$now" >"$file"
	# The engine of the namespace and the family's tables at least.
	[ "$(slab_total "$file")" -gt 0 ] || fail "no lana object in the slab tracking: $(head -c 300 /sys/kernel/debug/slab/kmalloc-64/alloc_traces)"
	echo "# lana holds $(slab_total "$file") kmalloc objects (baseline)"
}

# expect_slab_baseline WHAT FILE: lana holds as many kmalloc objects as at
# the baseline in FILE (passes without FILE). The count, not the sites: a
# container may come back holding a buffer allocated elsewhere.
expect_slab_baseline() {
	local what=$1 file=$2 now i
	[ -f "$file" ] || return 0
	for i in $(seq 50); do
		now=$(lana_slab_sites)
		[ "$(slab_total <(echo "$now"))" = "$(slab_total "$file")" ] && break
		sleep 0.2
	done
	[ "$(slab_total <(echo "$now"))" = "$(slab_total "$file")" ] ||
		fail "$what: lana holds $(slab_total <(echo "$now")) kmalloc objects, $(slab_total "$file") at the baseline; by site, baseline (<) and now (>): $(diff "$file" <(echo "$now") | grep '^[<>]' | tr '\n' ';')"
	echo "# $what: lana holds $(slab_total "$file") kmalloc objects, as at the baseline"
}
