# shellcheck shell=bash
# Which in-guest test files a run takes: sourced by suite.sh (in the guest)
# and tests/run-both.sh (on the host), so both read PATTERN alike.

# selected_files DIR PATTERN: the test files of DIR (tNN_*.sh) whose name
# holds one of the space-separated PATTERNs (all when PATTERN is empty), one
# path per line, in name order.
selected_files() {
	local dir=$1 pattern=$2 t p
	for t in "$dir"/t[0-9]*.sh; do
		if [ -z "$pattern" ]; then
			echo "$t"
			continue
		fi
		for p in $pattern; do
			case "$(basename "$t")" in *"$p"*)
				echo "$t"
				break
				;;
			esac
		done
	done
}
