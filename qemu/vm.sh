#!/usr/bin/env bash
# Boots the kernel of build tree KDIR in a QEMU guest with virtme-ng, on the
# host's root filesystem (read-only, with RWDIR writable), and runs CMD there
# as root. The guest console goes to RWDIR/console.log.
#
# Usage: vm.sh KDIR RWDIR [--icount] CMD...
#   --icount  one vCPU, TCG with -icount shift=0,sleep=off: guest time then
#             counts guest instructions, so rates are deterministic (bench).
# LANA_SHARED_DIR=DIR is writable in the guest too (at the same path), for
# guests that share work (tests/run-both.sh). LANA_KERNEL_ARGS: more kernel
# command-line options.
#
# LANA_GUEST_ROOT=ROOT boots on ROOT instead of the host's root (KDIR is
# then a kernel image: Debian's stock kernel on its trixie root,
# qemu/stock-guest.sh); this work tree is shared with the guest read-only
# at the same path, RWDIR and LANA_SHARED_DIR read-write.
#
# KVM is used when it can boot a guest, TCG otherwise: some hosts expose
# /dev/kvm through a paravirtual nesting module (kvm_pvm) on which a stock
# kernel hangs right after the firmware. Set LANA_ACCEL=kvm|tcg to force.
#
# Under TCG the two vCPUs share one host thread (thread=single), taking turns
# at translation-block boundaries. With a thread per vCPU (QEMU 7.2's
# default), a write to kernel text can race another vCPU translating that
# text, which then keeps running the stale bytes: a static key flipped under
# traffic (text_poke's temporary int3) ends in "Oops: int3" in code lana
# never touches. qemu/tcg-smc-race.sh reproduces it (LANA_TCG_THREAD=multi).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
kdir=$1 rwdir=$2
shift 2
icount=
if [ "${1:-}" = --icount ]; then
	icount=1
	shift
fi
# vng runs its helpers (virtme-run, virtme-ng-init) from PATH.
export PATH="$LANA_CACHE/venv/bin:$PATH"
vng=$LANA_CACHE/venv/bin/vng

# On the host's root, virtme-ng's init covers these with empty tmpfs
# mounts: a work tree, kernel tree or cache under one (as given, or where
# a link leads) is not there in the guest. Say so now, not as a missing
# file inside it. RWDIR is mounted after them: it may lie anywhere.
if [ -z "${LANA_GUEST_ROOT:-}" ]; then
	top=$(cd "$here/.." && pwd)
	for path in "$top" "$kdir" "$LANA_CACHE" "$(realpath -m "$top")" \
		"$(realpath -m "$kdir")" "$(realpath -m "$LANA_CACHE")"; do
		for hidden in /var/log /var/tmp /var/cache /var/spool/rsyslog \
			/var/lib/portables /var/lib/machines /var/lib/private \
			/var/lib/apt /var/lib/sudo /var/lib/snapd/cookie /dev/shm; do
			case $path/ in
			"$hidden"/*)
				echo "vm.sh: $path is under $hidden, which the guest covers with an" \
					"empty tmpfs (virtme-ng): move it (the work tree, KDIR, LANA_CACHE)" >&2
				exit 2
				;;
			esac
		done
	done
fi

# Whether KVM can boot this kernel: refuse known-bad hosts at once, else try
# a short boot (a hang shows up as the timeout) and remember the answer.
kvm_works() {
	[ -w /dev/kvm ] || return 1
	[ -d /sys/module/kvm_pvm ] && return 1
	local probe=$LANA_CACHE/kvm-probe
	# The probe boots a kernel of ours on the host's root: a kernel image
	# for a root of its own waits for a probe of that kind, under TCG.
	[ -z "${LANA_GUEST_ROOT:-}" ] || [ -f "$probe" ] || return 1
	if [ ! -f "$probe" ]; then
		if timeout 60 "$vng" --run "$kdir" --memory 512M --exec true >/dev/null 2>&1; then
			echo yes >"$probe"
		else
			echo no >"$probe"
		fi
	fi
	[ "$(cat "$probe")" = yes ]
}

accel=()
case "${LANA_ACCEL:-auto}" in
kvm) ;;
tcg) accel=(--disable-kvm) ;;
*) if [ -n "$icount" ] || ! kvm_works; then accel=(--disable-kvm); fi ;;
esac

# Shared directories: at the same path in the guest. On a root of its own
# (read-only) their mount points are made in it beforehand.
shared() {
	local kind=$1 dir=$2
	if [ -n "${LANA_GUEST_ROOT:-}" ]; then
		mkdir -p "$LANA_GUEST_ROOT$dir"
		opts+=("--$kind=$dir=$dir")
	else
		opts+=("--$kind" "$dir")
	fi
}
opts=(--run "$kdir" --memory 1G --verbose "${accel[@]}")
shared rwdir "$rwdir"
[ -z "${LANA_SHARED_DIR:-}" ] || shared rwdir "$LANA_SHARED_DIR"
if [ -n "${LANA_GUEST_ROOT:-}" ]; then
	opts+=(--root "$LANA_GUEST_ROOT")
	shared rodir "$(cd "$here/.." && pwd)"
fi
[ -z "${LANA_KERNEL_ARGS:-}" ] || opts+=(--append "$LANA_KERNEL_ARGS")
if [ -n "$icount" ]; then
	opts+=(--cpus 1 --qemu-opts="-icount shift=0,sleep=off")
else
	opts+=(--cpus 2)
	if [ ${#accel[@]} -gt 0 ]; then
		opts+=(--qemu-opts="-accel tcg,thread=${LANA_TCG_THREAD:-single}")
	fi
fi
printf -v cmd '%q ' "$@"
# vng's script I/O does not reach us reliably under TCG (see KERNEL-NOTES):
# commands write results into RWDIR; the console is kept for post-mortems.
rc=0
"$vng" "${opts[@]}" --exec "$cmd" >"$rwdir/console.log" 2>&1 || rc=$?
# The mount points made in a guest root for directories that come and go.
[ -z "${LANA_GUEST_ROOT:-}" ] || rmdir "$LANA_GUEST_ROOT$rwdir" 2>/dev/null || true
exit $rc
