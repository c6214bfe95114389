# shellcheck shell=bash
# pktgen in `netif_receive` mode: injects frames into a device's receive
# path (netif_receive_skb) with no NIC and no peer. Sourced.

PKTGEN_FRAME_LEN=60

# pktgen_inject DEV COUNT: injects exactly COUNT UDP frames of
# PKTGEN_FRAME_LEN bytes, one fresh skb each, addressed to PKTGEN_DST_MAC /
# PKTGEN_DST (default: another host) and UDP port PKTGEN_DST_PORT, from
# PKTGEN_SRC if set (else pktgen takes the device's address), in an 802.1Q
# tag of VLAN id PKTGEN_VLAN if set.
pktgen_inject() {
	local dev=$1 count=$2 pg=/proc/net/pktgen
	# pktgen's threads are bound to their CPU: kpktgend_N injects on CPU N.
	local thread=$pg/kpktgend_${PKTGEN_CPU:-0}
	[ -d $pg ] || modprobe pktgen || return 1
	echo "rem_device_all" >"$thread"
	echo "add_device $dev" >"$thread"
	{
		echo "count $count"
		echo "pkt_size $PKTGEN_FRAME_LEN"
		echo "clone_skb 0"
		echo "burst ${PKTGEN_BURST:-1}"
		echo "delay 0"
		echo "xmit_mode netif_receive"
		echo "dst_mac ${PKTGEN_DST_MAC:-02:00:00:00:00:99}"
		echo "dst ${PKTGEN_DST:-198.51.100.2}"
		echo "udp_dst_min ${PKTGEN_DST_PORT:-9}"
		echo "udp_dst_max ${PKTGEN_DST_PORT:-9}"
		[ -z "${PKTGEN_SRC:-}" ] || echo "src_min $PKTGEN_SRC"
		[ -z "${PKTGEN_SRC:-}" ] || echo "src_max $PKTGEN_SRC"
		echo "vlan_id ${PKTGEN_VLAN:-4096}" # above 4095: no tag
	} | while read -r line; do echo "$line" >"$pg/$dev"; done
	echo start >$pg/pgctrl
	local sent
	sent=$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' "$pg/$dev")
	# The rate of the last run, e.g. "81234pps", for callers that report it.
	PKTGEN_PPS=$(grep -o '[0-9]*pps' "$pg/$dev" | head -n1)
	echo "rem_device_all" >"$thread"
	[ "$sent" = "$count" ] || fail "pktgen sent $sent of $count frames"
}

# pktgen_flood_start DEV...: injects frames into every DEV without end, in
# the background, until pktgen_flood_stop (netif_receive mode, or
# PKTGEN_XMIT_MODE: start_xmit transmits on DEV instead). A device that goes
# away is dropped by pktgen on its own.
pktgen_flood_start() {
	local pg=/proc/net/pktgen dev
	[ -d $pg ] || modprobe pktgen || return 1
	echo "rem_device_all" >"$pg/kpktgend_${PKTGEN_CPU:-0}"
	for dev in "$@"; do
		pktgen_flood_device "$dev" || return 1
	done
	# "start" returns when the run ends: in the background.
	(echo start >$pg/pgctrl) 2>/dev/null &
	PKTGEN_FLOOD_PID=$!
	sleep 1
}

# pktgen_flood_add DEV: one more device for the running flood (the run is
# restarted with it).
pktgen_flood_add() {
	local pg=/proc/net/pktgen
	echo stop >$pg/pgctrl
	wait "$PKTGEN_FLOOD_PID" 2>/dev/null
	pktgen_flood_device "$1" || return 1
	(echo start >$pg/pgctrl) 2>/dev/null &
	PKTGEN_FLOOD_PID=$!
	sleep 1
}

pktgen_flood_device() {
	local pg=/proc/net/pktgen dev=$1
	echo "add_device $dev" >"$pg/kpktgend_${PKTGEN_CPU:-0}" || return 1
	{
		echo "count 0"
		echo "pkt_size $PKTGEN_FRAME_LEN"
		echo "clone_skb 0"
		echo "delay 0"
		echo "xmit_mode ${PKTGEN_XMIT_MODE:-netif_receive}"
		echo "dst_mac ${PKTGEN_DST_MAC:-02:00:00:00:00:99}"
		echo "dst ${PKTGEN_DST:-198.51.100.2}"
	} | while read -r line; do echo "$line" >"$pg/$dev"; done
}

# pktgen_flood_stop: ends the flood; PKTGEN_FLOOD_SENT is then the number
# of frames it sent on all its devices (since the last start).
pktgen_flood_stop() {
	local pg=/proc/net/pktgen f n
	echo stop >$pg/pgctrl
	wait "$PKTGEN_FLOOD_PID" 2>/dev/null
	PKTGEN_FLOOD_SENT=0
	for f in "$pg"/*; do
		case "${f##*/}" in pgctrl | kpktgend_*) continue ;; esac
		n=$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' "$f" 2>/dev/null)
		PKTGEN_FLOOD_SENT=$((PKTGEN_FLOOD_SENT + ${n:-0}))
	done
	echo "rem_device_all" >$pg/kpktgend_${PKTGEN_CPU:-0}
}
