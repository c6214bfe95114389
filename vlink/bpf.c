// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF programs run on packets.
 *
 * Rust side: vlink/bpf.rs.
 */

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/skbuff.h>

#include "shim.h"

/*
 * BPF filters with the semantics of SO_ATTACH_FILTER: the program sees the
 * frame from its link-layer header (pushed back for the run, as AF_PACKET
 * does, then pulled again), returns 0 to drop and anything else to pass.
 */

/* A classic program of @len instructions; an ERR_PTR when the kernel refuses it. */
struct bpf_prog *lana_bpf_classic(struct sock_filter *insns, unsigned int len)
{
	struct sock_fprog_kern fprog = { .len = len, .filter = insns };
	struct bpf_prog *prog;
	int err = bpf_prog_create(&prog, &fprog);

	return err ? ERR_PTR(err) : prog;
}

/* The socket-filter program pinned at @path; an ERR_PTR when there is none. */
struct bpf_prog *lana_bpf_pinned(const char *path)
{
	return bpf_prog_get_type_path(path, BPF_PROG_TYPE_SOCKET_FILTER);
}

void lana_bpf_release(struct bpf_prog *prog, bool classic)
{
	if (classic)
		bpf_prog_destroy(prog);
	else
		bpf_prog_put(prog);
}

/*
 * Runs @prog on @skb, whose data starts at its Ethernet header and whose
 * outer VLAN tag is in skb->vlan_tci, with that tag back in the frame
 * where the wire had it: for the run the skb is what a device without VLAN
 * offload would have received (tag in the data, none outside it, protocol
 * the tag's TPID). Then everything is put back as it was, headroom bytes
 * included: the rest of the graph sees the skb it saw before.
 *
 * Writes the 4 bytes of headroom before the header and the 12 of the MAC
 * addresses, so the caller makes sure nobody else can see them: the head
 * is not shared with a clone (skb_header_cloned) and has the room. The skb
 * itself may be shared (pktgen's): its other holders cannot look at it
 * until this returns, as with AF_PACKET's packet_rcv, which moves the data
 * pointer of shared skbs for its filter the same way.
 */
static unsigned int lana_bpf_run_retagged(struct bpf_prog *prog,
					  struct sk_buff *skb)
{
	u32 vlan_all = skb->vlan_all;
	__be16 protocol = skb->protocol;
	struct vlan_ethhdr *veth;
	u8 headroom[VLAN_HLEN];
	unsigned int res;

	memcpy(headroom, skb->data - VLAN_HLEN, VLAN_HLEN);
	__skb_push(skb, VLAN_HLEN);
	memmove(skb->data, skb->data + VLAN_HLEN, 2 * ETH_ALEN);
	veth = (struct vlan_ethhdr *)skb->data;
	veth->h_vlan_proto = skb->vlan_proto;
	veth->h_vlan_TCI = htons(skb->vlan_tci);
	skb->mac_header -= VLAN_HLEN;
	skb->protocol = skb->vlan_proto;
	__vlan_hwaccel_clear_tag(skb);

	res = bpf_prog_run_save_cb(prog, skb);

	skb->vlan_all = vlan_all;
	skb->protocol = protocol;
	skb->mac_header += VLAN_HLEN;
	memmove(skb->data + VLAN_HLEN, skb->data, 2 * ETH_ALEN);
	__skb_pull(skb, VLAN_HLEN);
	memcpy(skb->data - VLAN_HLEN, headroom, VLAN_HLEN);
	return res;
}

/*
 * As lana_bpf_run_retagged, for an skb whose data is at its Ethernet header
 * and whose head it must not write (cloned: a packet tap's copy shares it;
 * or no headroom): on a private copy of the head (the pages of a
 * non-linear skb are shared, not copied), freed after the run. -ENOMEM
 * when there is no memory for it.
 */
static s64 lana_bpf_run_retagged_copy(struct bpf_prog *prog,
				      struct sk_buff *skb)
{
	struct sk_buff *copy;
	unsigned int res;

	copy = __pskb_copy_fclone(skb, VLAN_HLEN, GFP_ATOMIC | __GFP_NOWARN,
				  false);
	if (!copy)
		return -ENOMEM;
	res = lana_bpf_run_retagged(prog, copy);
	consume_skb(copy);
	return res;
}

/*
 * Bottom halves disabled. The program's verdict (an unsigned int), or
 * -ENOMEM when the frame could not be shown to it.
 *
 * The frame is shown as the wire carried it: the kernel moves the outer
 * 802.1Q or 802.1ad tag of every received frame into skb->vlan_tci before
 * rx_handlers run (the device when it offloads VLAN parsing, else
 * __netif_receive_skb_core), so that tag is put back for the run. An
 * untagged frame costs one test more than before.
 */
s64 lana_bpf_run(struct bpf_prog *prog, struct sk_buff *skb)
{
	unsigned int mac = 0, res;

	if (skb_mac_header_was_set(skb) && skb_mac_header(skb) < skb->data)
		mac = skb->data - skb_mac_header(skb);
	if (unlikely(skb_vlan_tag_present(skb)) && mac >= ETH_HLEN) {
		s64 ret;

		__skb_push(skb, mac);
		if (!skb_header_cloned(skb) && skb_headroom(skb) >= VLAN_HLEN)
			ret = lana_bpf_run_retagged(prog, skb);
		else
			ret = lana_bpf_run_retagged_copy(prog, skb);
		__skb_pull(skb, mac);
		return ret;
	}
	if (mac)
		__skb_push(skb, mac);
	res = bpf_prog_run_save_cb(prog, skb);
	if (mac)
		__skb_pull(skb, mac);
	return res;
}
