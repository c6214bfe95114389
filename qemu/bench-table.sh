#!/usr/bin/env bash
# Formats the results of qemu/guest-bench.sh ("scenario pps" lines) as the
# bench table: rate, instructions per packet, ratios to the baselines, the
# marginal cost of a forward hop. Usage: bench-table.sh RESULTS
set -euo pipefail
awk '
$1 == "done" { next }
$1 ~ /^(cp|mem)_/ { cp[$1] = $2; next }
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
	if (!("cp_floor_100" in cp)) exit
	# Control plane: guest ns (= instructions) per command above the floor
	# (as many `reset` of one block in one lanactl batch), per block for apply.
	printf "\ncontrol plane, guest ns above the lanactl floor (apply: per block)\n"
	printf "%-8s %12s %12s %12s %12s\n", "blocks", "add", "bind", "replace", "rm"
	split("100 1000 10000", scales, " ")
	worst = 0; growth = 0
	for (i = 1; i <= 3; i++) {
		s = scales[i]; f = cp["cp_floor_" s]
		printf "%-8s", s
		n = split("add bind replace rm", ops, " ")
		for (j = 1; j <= n; j++) {
			c = cp["cp_" ops[j] "_" s] - f
			printf " %12.0f", c
			if (s == 10000 && c > worst) worst = c
			if (s == 10000 && cp["cp_" ops[j] "_100"] - cp["cp_floor_100"] > 0) {
				g = c / (cp["cp_" ops[j] "_100"] - cp["cp_floor_100"])
				if (g > growth) growth = g
			}
		}
		printf "\n"
	}
	printf "%-8s %12s %12s %12s\n", "blocks", "apply/block", "apply total", "mem/block"
	for (i = 1; i <= 3; i++) {
		s = scales[i]
		printf "%-8s %12d %12.0f %12d\n", s, cp["cp_apply_per_block_" s], cp["cp_apply_per_block_" s] * s, cp["mem_per_block_" s]
	}
	verdict = worst <= 1000000 ? "met" : "MISSED"
	printf "\nslowest single change at 10,000 blocks: %.0f ns (target <= 1 ms: %s)\n", worst, verdict
	verdict = growth <= 2 ? "met" : "MISSED"
	printf "largest cost at 10,000 / at 100: %.1fx (target <= 2x: %s)\n", growth, verdict
	total = cp["cp_apply_per_block_10000"] * 10000
	verdict = total <= 2e9 ? "met" : "MISSED"
	printf "apply -f of 10,000 blocks: %.3f s (target <= 2 s: %s)\n", total / 1e9, verdict
	mem = cp["mem_per_block_10000"]
	verdict = mem <= 512 ? "met" : "MISSED"
	printf "kernel memory per forward block: %d bytes (target <= 512: %s)\n", mem, verdict
}' "$1"
