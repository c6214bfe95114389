// SPDX-License-Identifier: GPL-2.0-only
/*
 * The thin C layer of lana-rs.
 *
 * The 7.3 Rust bindings do not include <linux/netdevice.h>, and several of
 * the helpers the engine needs are static inlines or macros. This file wraps
 * exactly those, and holds the two callbacks that must be C:
 *
 * - the rx_handler, because its C type returns an enum (rx_handler_result_t)
 *   and under kCFI a Rust function would not match that type's hash;
 * - the netdevice notifier, because the device behind its `void *` argument
 *   is only reachable through netdevice.h.
 *
 * Everything here is a one-line wrapper or a trampoline into Rust; all
 * decisions are taken on the Rust side (the .rs files in vlink/).
 */

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sch_generic.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "shim.h"

/*
 * Marks, in the control block, a packet the graph handed to the stack from
 * outside the receive path (a `host` block reached by a backlog copy): when
 * it comes back through this device's rx_handler, it goes straight on.
 *
 * The mark lives where the qdisc layer keeps its private data
 * (qdisc_skb_cb.data): tc's ingress hook, which runs before rx_handlers,
 * writes the fields before it (pkt_len, ...) and a BPF classifier's data
 * pointers after it, and leaves it alone unless a BPF program writes
 * __sk_buff->cb. A 32-bit word: compared with an immediate.
 */
#define LANA_TO_STACK_MAGIC 0x6c616e61U /* "lana" */

static u32 *lana_to_stack_mark(struct sk_buff *skb)
{
	return (u32 *)qdisc_skb_cb(skb)->data;
}

/* lana_rx (vlink/net/rx_handler.rs) returns these two by value. */
static_assert(RX_HANDLER_CONSUMED == 0 && RX_HANDLER_PASS == 3);

static rx_handler_result_t lana_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	void *attachment = rcu_dereference(skb->dev->rx_handler_data);
	u32 *mark = lana_to_stack_mark(skb);

	if (unlikely(*mark == LANA_TO_STACK_MAGIC)) {
		*mark = 0;
		return RX_HANDLER_PASS;
	}

	/*
	 * A tail call: Rust keeps the frame or leaves it in *pskb for the
	 * stack, and returns the verdict. This CPU's per-CPU offset is read
	 * once here, so every per-CPU counter on the packet path is one
	 * addition away (no call per access). pskb stays the first argument,
	 * where it arrived.
	 */
	return lana_rx(pskb, attachment, lana_this_cpu_offset());
}

/* Devices. The caller holds the RTNL for attach and detach. */

int lana_dev_attach(struct net_device *dev, void *attachment)
{
	ASSERT_RTNL();
	return netdev_rx_handler_register(dev, lana_rx_handler, attachment);
}

/* Returns after every reader of the handler data has left (synchronize_net). */
void lana_dev_detach(struct net_device *dev)
{
	ASSERT_RTNL();
	netdev_rx_handler_unregister(dev);
}

static bool lana_dev_is_ours(const struct net_device *dev)
{
	return rcu_access_pointer(dev->rx_handler) == lana_rx_handler;
}

bool lana_dev_has_rx_handler(const struct net_device *dev)
{
	return rcu_access_pointer(dev->rx_handler) != NULL;
}

struct net_device *lana_dev_get_by_name(struct net *net, const char *name)
{
	return dev_get_by_name(net, name);
}

void lana_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void lana_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

const char *lana_dev_name(const struct net_device *dev)
{
	return dev->name;
}

int lana_dev_ifindex(const struct net_device *dev)
{
	return dev->ifindex;
}

void lana_rtnl_lock(void)
{
	rtnl_lock();
}

void lana_rtnl_unlock(void)
{
	rtnl_unlock();
}

/*
 * Device slots (vlink/net/devslot.rs): devices blocks send to. Each is told when
 * its device unregisters, under lana_devslots_lock, which also serialises
 * setting a slot against that.
 */
static LIST_HEAD(lana_devslots);
static DEFINE_MUTEX(lana_devslots_lock);

void lana_devslots_lock_acquire(void)
{
	mutex_lock(&lana_devslots_lock);
}

void lana_devslots_lock_release(void)
{
	mutex_unlock(&lana_devslots_lock);
}

/* Called with lana_devslots_lock held. */
void lana_devslot_add(struct list_head *node)
{
	list_add(node, &lana_devslots);
}

/* Called with lana_devslots_lock held. */
void lana_devslot_del(struct list_head *node)
{
	list_del(node);
}

static int lana_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	void *endpoint = NULL;

	if (event == NETDEV_UNREGISTER) {
		struct list_head *node;

		mutex_lock(&lana_devslots_lock);
		list_for_each(node, &lana_devslots)
			lana_devslot_unregistering(node, dev);
		mutex_unlock(&lana_devslots_lock);
	}

	if (lana_dev_is_ours(dev))
		endpoint = rtnl_dereference(dev->rx_handler_data);
	else if (lana_link_is_ours(dev))
		endpoint = lana_link_endpoint(dev);
	if (!endpoint)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_UNREGISTER:
		lana_netdev_unregistering(endpoint);
		break;
	case NETDEV_UP:
	case NETDEV_DOWN:
		lana_netdev_state(endpoint, event == NETDEV_UP);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block lana_netdev_notifier = {
	.notifier_call = lana_netdev_event,
};

int lana_netdev_notifier_register(void)
{
	return register_netdevice_notifier(&lana_netdev_notifier);
}

void lana_netdev_notifier_unregister(void)
{
	unregister_netdevice_notifier(&lana_netdev_notifier);
}

/*
 * Network namespaces: each holds a pointer to its own engine, made by
 * lana_net_init_rust() and released by lana_net_exit_rust().
 */

static unsigned int lana_net_id;

static int __net_init lana_net_init(struct net *net)
{
	return lana_net_init_rust(net, net_generic(net, lana_net_id));
}

static void __net_exit lana_net_exit(struct net *net)
{
	lana_net_exit_rust(net_generic(net, lana_net_id));
}

static struct pernet_operations lana_net_ops = {
	.init = lana_net_init,
	.exit = lana_net_exit,
	.id = &lana_net_id,
	.size = sizeof(void *),
};

int lana_pernet_register(void)
{
	return register_pernet_subsys(&lana_net_ops);
}

void lana_pernet_unregister(void)
{
	unregister_pernet_subsys(&lana_net_ops);
}

const void *lana_net_data(struct net *net)
{
	return *(const void **)net_generic(net, lana_net_id);
}

/*
 * Per-CPU backlogs: packets a block creates (a tee's copy) wait on the
 * queue of the CPU that created them and are delivered by that CPU's NAPI
 * instance, in NET_RX softirq context, a budget per run. The NAPI instances
 * hang off a dummy device that is never registered.
 */

struct lana_backlog_cpu {
	struct napi_struct napi;
	struct sk_buff_head queue;
	struct lana_backlog *backlog;
	/* The generation of the copy being delivered (0 outside a delivery):
	 * a copy made meanwhile is one generation further. */
	unsigned int generation;
};

/*
 * A copy's generation: 1 for a copy of a received or sent packet, one more
 * for each copy of a copy. It bounds copies of copies, which a port bound
 * to a block whose walk leads back to the copying block would otherwise
 * make without end (each copy walks from the start, with a fresh hop
 * count). Kept in the control block while queued, after the engine's word
 * (bytes 0-7) and the to-stack mark (qdisc_skb_cb.data, bytes 8-11); nobody
 * else uses the control block of a packet on our queue.
 */
#define LANA_COPY_GENERATIONS 8

static u32 *lana_copy_generation(struct sk_buff *skb)
{
	return (u32 *)(skb->cb + 16);
}

struct lana_backlog {
	struct net_device *dev;
	struct lana_backlog_cpu __percpu *cpus;
	const void *owner;
	unsigned int limit;
};

static int lana_backlog_poll(struct napi_struct *napi, int budget)
{
	struct lana_backlog_cpu *cpu = container_of(napi, struct lana_backlog_cpu, napi);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget && (skb = skb_dequeue(&cpu->queue))) {
		cpu->generation = *lana_copy_generation(skb);
		lana_backlog_deliver(cpu->backlog->owner, skb, lana_this_cpu_offset());
		cpu->generation = 0;
		done++;
	}
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

struct lana_backlog *lana_backlog_create(const void *owner, unsigned int limit)
{
	struct lana_backlog *backlog;
	unsigned int i;

	backlog = kzalloc(sizeof(*backlog), GFP_KERNEL);
	if (!backlog)
		return NULL;
	backlog->owner = owner;
	backlog->limit = limit;
	backlog->cpus = alloc_percpu(struct lana_backlog_cpu);
	backlog->dev = alloc_netdev_dummy(0);
	if (!backlog->cpus || !backlog->dev) {
		free_percpu(backlog->cpus);
		if (backlog->dev)
			free_netdev(backlog->dev);
		kfree(backlog);
		return NULL;
	}
	for_each_possible_cpu(i) {
		struct lana_backlog_cpu *cpu = per_cpu_ptr(backlog->cpus, i);

		cpu->backlog = backlog;
		skb_queue_head_init(&cpu->queue);
		netif_napi_add(backlog->dev, &cpu->napi, lana_backlog_poll);
		napi_enable(&cpu->napi);
	}
	return backlog;
}

/* Process context. Waits for running polls; frees what is still queued. */
void lana_backlog_destroy(struct lana_backlog *backlog)
{
	unsigned int i;

	for_each_possible_cpu(i) {
		struct lana_backlog_cpu *cpu = per_cpu_ptr(backlog->cpus, i);

		napi_disable(&cpu->napi);
		netif_napi_del(&cpu->napi);
		skb_queue_purge(&cpu->queue);
	}
	free_percpu(backlog->cpus);
	free_netdev(backlog->dev);
	kfree(backlog);
}

/*
 * Bottom halves disabled. Queues the copy @skb: 0, or -ENOSPC when the
 * queue is full, -ELOOP when @skb would be a copy of a copy beyond
 * LANA_COPY_GENERATIONS; the caller keeps @skb then.
 */
int lana_backlog_enqueue(struct lana_backlog *backlog, struct sk_buff *skb)
{
	struct lana_backlog_cpu *cpu = this_cpu_ptr(backlog->cpus);
	unsigned int generation = cpu->generation + 1;

	if (generation > LANA_COPY_GENERATIONS)
		return -ELOOP;
	if (skb_queue_len(&cpu->queue) >= backlog->limit)
		return -ENOSPC;
	*lana_copy_generation(skb) = generation;
	skb_queue_tail(&cpu->queue, skb);
	napi_schedule(&cpu->napi);
	return 0;
}

unsigned int lana_backlog_depth(struct lana_backlog *backlog, unsigned int cpu)
{
	return skb_queue_len_lockless(&per_cpu_ptr(backlog->cpus, cpu)->queue);
}

/* Notifier chains (the init is a macro: it gives the rwsem its lock class). */

void lana_notifier_head_init(struct blocking_notifier_head *head)
{
	BLOCKING_INIT_NOTIFIER_HEAD(head);
}

/* Packets. */

/*
 * Runs @fn(@arg, cpu_offset) with bottom halves disabled, as the packet path
 * runs: for packet-path code called from process context (tests, generators).
 */
void lana_with_bh_disabled(void (*fn)(void *arg, unsigned long cpu_offset),
			   void *arg)
{
	local_bh_disable();
	fn(arg, lana_this_cpu_offset());
	local_bh_enable();
}

/* Per-CPU memory. */

void __percpu *lana_percpu_alloc(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

void lana_percpu_free(void __percpu *ptr)
{
	free_percpu(ptr);
}


void *lana_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

/* The possible CPU after @prev (-1 starts), or nr_cpu_ids when done. */
unsigned int lana_next_possible_cpu(int prev)
{
	return cpumask_next(prev, cpu_possible_mask);
}

unsigned int lana_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

/* Generic netlink. */

struct net *lana_genl_info_net(struct genl_info *info)
{
	return genl_info_net(info);
}

u32 lana_genl_info_portid(struct genl_info *info)
{
	return info->snd_portid;
}

/* Sends @skb to the socket @portid of @net; atomic. Consumes @skb. */
int lana_genlmsg_unicast(struct net *net, struct sk_buff *skb, u32 portid)
{
	return genlmsg_unicast(net, skb, portid);
}

/*
 * The trace key: off, the packet path's test for an armed trace is a
 * patched-out jump (static branch); a trace turns it on. Rust tests it with
 * static_branch_unlikely! (vlink/trace_key.rs).
 */
struct lana_trace_key lana_trace_key = { .key = STATIC_KEY_FALSE_INIT };

/* May sleep. */
void lana_trace_key_inc(void)
{
	static_branch_inc(&lana_trace_key.key);
}

/* May sleep. */
void lana_trace_key_dec(void)
{
	static_branch_dec(&lana_trace_key.key);
}

struct net *lana_genl_dump_net(struct netlink_callback *cb)
{
	return sock_net(cb->skb->sk);
}

int lana_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

void *lana_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
			     const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq, family, 0, cmd);
}

void *lana_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   family, NLM_F_MULTI, cmd);
}

struct nlattr *lana_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start(skb, type);
}

/*
 * Closes the nest at @start; a nest longer than nla_len can say (U16_MAX)
 * is removed instead and -EMSGSIZE returned: nla_nest_end would store a
 * truncated length, and the reader would parse the rest as other
 * attributes.
 */
int lana_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	if (skb_tail_pointer(skb) - (unsigned char *)start > U16_MAX) {
		nla_nest_cancel(skb, start);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, start);
	return 0;
}

/* Removes the nest at @start and everything after it. */
void lana_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}

/*
 * The attributes of request @info (after the generic-netlink header; the
 * family has no header of its own): *@len bytes at the returned address.
 * Every one of them was validated against the family's policy, repeated
 * ones included, though info->attrs keeps only the last of each type.
 */
const struct nlattr *lana_genl_info_attrs(struct genl_info *info, int *len)
{
	*len = genlmsg_len(info->genlhdr);
	return genlmsg_data(info->genlhdr);
}

/* A reply message of @size payload bytes; __GFP_NOWARN: a large one that
 * cannot be had is answered with an error, not a splat. */
struct sk_buff *lana_genlmsg_new(size_t size)
{
	return genlmsg_new(size, GFP_KERNEL | __GFP_NOWARN);
}

/*
 * A message of @family with command @cmd to @portid (0: multicast), room
 * for GENLMSG_DEFAULT_SIZE, allocated atomically: its header in *@hdr,
 * NULL if there is no memory. Every event and trace record is allocated
 * here: t91 fails this function's allocations by its address range.
 */
struct sk_buff *lana_genlmsg_new_atomic(const struct genl_family *family,
					u32 portid, u8 cmd, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_ATOMIC);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, portid, 0, family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

int lana_nla_put_u64(struct sk_buff *skb, int type, u64 value, int pad)
{
	return nla_put_u64_64bit(skb, type, value, pad);
}

/*
 * Transmits @skb on @dev as the frame it was received as: the link-layer
 * header the receive path pulled is pushed back. Consumes @skb. True when
 * the device took it (NET_XMIT_SUCCESS).
 */
bool lana_skb_xmit(struct sk_buff *skb, struct net_device *dev, u16 vlan,
		   u16 ethertype)
{
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return false;
	if (skb_mac_header_was_set(skb) && skb_mac_header(skb) < skb->data)
		skb_push(skb, skb->data - skb_mac_header(skb));
	/* A tagged attachment's tag: the core inserts a VLAN tag the device
	 * cannot; an EtherType goes into the Ethernet header, made private
	 * first (a tee's copies share it). */
	if (vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vlan);
	if (ethertype) {
		if (skb->mac_len != ETH_HLEN || skb->data != skb_mac_header(skb) ||
		    skb_ensure_writable(skb, ETH_HLEN)) {
			kfree_skb(skb);
			return false;
		}
		eth_hdr(skb)->h_proto = htons(ethertype);
	}
	skb_forward_csum(skb);
	skb->dev = dev;
	return dev_queue_xmit(skb) == NET_XMIT_SUCCESS;
}

bool lana_dev_is_registered(const struct net_device *dev)
{
	return READ_ONCE(dev->reg_state) == NETREG_REGISTERED;
}

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

/* Hands @skb to the stack from softirq context, past our rx_handler. */
void lana_skb_to_stack(struct sk_buff *skb)
{
	*lana_to_stack_mark(skb) = LANA_TO_STACK_MAGIC;
	netif_receive_skb(skb);
}

const struct genl_family *lana_genl_dump_family(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->family;
}

int lana_genlmsg_multicast_netns(const struct genl_family *family,
				 struct net *net, struct sk_buff *skb,
				 unsigned int group)
{
	return genlmsg_multicast_netns(family, net, skb, 0, group, GFP_ATOMIC);
}

u8 lana_genl_dump_cmd(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->genlhdr->cmd;
}

/*
 * Reapers (vlink/rcu.rs): a work item that runs lana_reap(owner) in process
 * context once an RCU grace period has passed since it was queued. Rust has
 * no rcu_work; the struct and its callback are C.
 */
struct lana_reaper {
	struct rcu_work rwork;
	const void *owner;
	/* Set by destroy: no queuing from then on. */
	bool dying;
};

static void lana_reaper_fn(struct work_struct *work)
{
	struct lana_reaper *reaper =
		container_of(to_rcu_work(work), struct lana_reaper, rwork);

	lana_reap(reaper->owner);
}

struct lana_reaper *lana_reaper_create(const void *owner)
{
	struct lana_reaper *reaper = kzalloc(sizeof(*reaper), GFP_KERNEL);

	if (!reaper)
		return NULL;
	INIT_RCU_WORK(&reaper->rwork, lana_reaper_fn);
	reaper->owner = owner;
	return reaper;
}

/*
 * Queued already: that run comes after a grace period that may have started
 * before this call; lana_reap queues it again for what is not due yet.
 */
void lana_reaper_queue(struct lana_reaper *reaper)
{
	/* Unbound: a reap may wait on the engine's mutex for long. */
	if (!READ_ONCE(reaper->dying))
		queue_rcu_work(system_unbound_wq, &reaper->rwork);
}

/*
 * Waits for a queued or running reap to finish. flush_rcu_work() does not
 * wait for a run queued while it flushes (a reap that read `dying` before
 * it was set may queue one more): flush until the work was found idle.
 */
void lana_reaper_destroy(struct lana_reaper *reaper)
{
	WRITE_ONCE(reaper->dying, true);
	smp_mb();
	while (flush_rcu_work(&reaper->rwork))
		;
	kfree(reaper);
}
