#!/usr/bin/env bash
# Formats the results of qemu/guest-bench.sh ("scenario pps" lines) as the
# bench table: rate, instructions per packet, ratios to the baselines, the
# marginal cost of a forward hop. Usage: bench-table.sh RESULTS
set -euo pipefail
awk '
$1 == "done" { next }
{ order[++n] = $1; pps[$1] = $2 }
END {
	a1 = pps["a1_stack_otherhost"]; a2 = pps["a2_stack_udp_closed"]; b = pps["b_floor_probe"]
	printf "%-22s %12s %9s %7s %7s %7s\n", "scenario", "pkt/1e9 ins", "ins/pkt", "vs a1", "vs a2", "vs b"
	for (i = 1; i <= n; i++) {
		s = order[i]
		printf "%-22s %12d %9.0f %7.3f %7.3f %7.3f\n", s, pps[s], 1e9 / pps[s], pps[s] / a1, pps[s] / a2, pps[s] / b
	}
	per_hop = (1e9 / pps["d_forward_16"] - 1e9 / pps["d_forward_1"]) / 15
	verdict = "MISSED"
	if (per_hop <= 25) verdict = "met"
	printf "\nmarginal cost of a forward hop: %.1f instructions (target <= 25: %s)\n", per_hop, verdict
	chain = pps["c_paper_chain"] / b
	verdict = "MISSED"
	if (chain >= 0.95) verdict = "met"
	printf "paper chain / floor: %.3f (target >= 0.95: %s)\n", chain, verdict
}' "$1"
