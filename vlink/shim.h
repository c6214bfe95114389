/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The C shim's interface with the Rust side of lana.ko. Rust declares the
 * same functions in vlink/ffi.rs (calls into C) and implements those at
 * the top (calls into Rust); keep the three in step.
 *
 * The shim is one C file per job beside the Rust file that wraps it
 * (vlink/net/rx_handler.c and rx_handler.rs, ...). The 7.3 Rust bindings
 * do not include <linux/netdevice.h>, and many of the helpers the engine
 * needs are static inlines or macros: the C files wrap exactly those, and
 * hold the callbacks that must be C (the rx_handler, whose C type returns
 * an enum a Rust function would not match under kCFI; the netdevice
 * notifier, whose device is only reachable through netdevice.h; the ops
 * tables of the lana link type and of network namespaces).
 */
#ifndef LANA_SHIM_H
#define LANA_SHIM_H

#include <linux/filter.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>

/*
 * What this_cpu_ptr() adds to a per-CPU pointer on this CPU (x86: one
 * %gs-relative load of this_cpu_off). Only meaningful while the caller
 * cannot migrate (softirq, or bottom halves disabled). Not the difference
 * of two pointers: gcc's per-CPU pointers are in another address space.
 */
static inline unsigned long lana_this_cpu_offset(void)
{
	return __my_cpu_offset;
}

/* Implemented in Rust (vlink/net/rx_handler.rs, vlink/net/pernet.rs,
 * vlink/rcu.rs). */
rx_handler_result_t lana_rx(struct sk_buff **pskb, void *attachment,
			    unsigned long cpu_offset);
void lana_netdev_unregistering(void *attachment);
void lana_netdev_state(void *attachment, bool up);
void lana_devslot_unregistering(struct list_head *node, struct net_device *dev);
int lana_net_init_rust(struct net *net, void *slot);
void lana_backlog_deliver(const void *owner, struct sk_buff *skb,
			  unsigned long cpu_offset, u32 *delivering);
void lana_net_exit_rust(void *slot);
void lana_reap(const void *owner);

/* Network namespaces. */
/* The lana link type (net/link.c). */
void lana_link_egress(void *endpoint, struct sk_buff *skb,
		      unsigned long cpu_offset);
int lana_link_register(void);
void lana_link_unregister(void);
bool lana_link_is_ours(const struct net_device *dev);
void *lana_link_endpoint(const struct net_device *dev);
void lana_link_attach(struct net_device *dev, void *endpoint);
void lana_link_detach(struct net_device *dev);
void lana_link_rx(struct sk_buff *skb, struct net_device *dev);
void lana_link_rx_dropped(struct net_device *dev);
int lana_skb_cow_head(struct sk_buff *skb, unsigned int headroom);

int lana_pernet_register(void);
void lana_pernet_unregister(void);
const void *lana_net_data(struct net *net);

/* Between the C files only: whether @dev has our rx_handler. */
bool lana_dev_is_ours(const struct net_device *dev);

/* Devices and the RTNL. */
int lana_dev_attach(struct net_device *dev, void *attachment);
void lana_dev_detach(struct net_device *dev);
bool lana_dev_has_rx_handler(const struct net_device *dev);
struct net_device *lana_dev_get_by_name(struct net *net, const char *name);
void lana_dev_hold(struct net_device *dev);
void lana_dev_put(struct net_device *dev);
const char *lana_dev_name(const struct net_device *dev);
int lana_dev_ifindex(const struct net_device *dev);
const u8 *lana_dev_eth_addr(const struct net_device *dev);
void lana_rtnl_lock(void);
void lana_rtnl_unlock(void);
int lana_netdev_notifier_register(void);
void lana_netdev_notifier_unregister(void);

/* Per-CPU backlogs. */
struct lana_backlog;
struct lana_backlog *lana_backlog_create(const void *owner, unsigned int limit);
void lana_backlog_destroy(struct lana_backlog *backlog);
u32 lana_backlog_delivering(struct lana_backlog *backlog);
int lana_backlog_enqueue(struct lana_backlog *backlog, struct sk_buff *skb);
unsigned int lana_backlog_depth(struct lana_backlog *backlog, unsigned int cpu);

/* Reapers: work that runs after an RCU grace period. */
struct lana_reaper;
struct lana_reaper *lana_reaper_create(const void *owner);
void lana_reaper_destroy(struct lana_reaper *reaper);
void lana_reaper_queue(struct lana_reaper *reaper);

/* Notifier chains. */
void lana_notifier_head_init(struct blocking_notifier_head *head);

/* Packets. */
void lana_with_bh_disabled(void (*fn)(void *arg, unsigned long cpu_offset),
			   void *arg);
void lana_skb_to_stack(struct sk_buff *skb);
struct bpf_prog *lana_bpf_classic(struct sock_filter *insns, unsigned int len);
struct bpf_prog *lana_bpf_pinned(const char *path);
void lana_bpf_release(struct bpf_prog *prog, bool classic);
s64 lana_bpf_run(struct bpf_prog *prog, struct sk_buff *skb);
bool lana_dev_queue_xmit(struct sk_buff *skb, struct net_device *dev);
bool lana_dev_is_registered(const struct net_device *dev);
void lana_devslots_lock_acquire(void);
void lana_devslots_lock_release(void);
void lana_devslot_add(struct list_head *node);
void lana_devslot_del(struct list_head *node);

/* Per-CPU memory. */
void __percpu *lana_percpu_alloc(size_t size, size_t align);
void lana_percpu_free(void __percpu *ptr);
void *lana_per_cpu_ptr(void __percpu *ptr, unsigned int cpu);
unsigned int lana_next_possible_cpu(int prev);
unsigned int lana_nr_cpu_ids(void);

/* Generic netlink. */
struct net *lana_genl_info_net(struct genl_info *info);
u32 lana_genl_info_portid(struct genl_info *info);
int lana_genlmsg_unicast(struct net *net, struct sk_buff *skb, u32 portid);
/* In a struct: Rust's static_branch_unlikely! takes a struct and its field. */
struct lana_trace_key {
	struct static_key_false key;
};
extern struct lana_trace_key lana_trace_key;
void lana_trace_key_inc(void);
void lana_trace_key_dec(void);
struct net *lana_genl_dump_net(struct netlink_callback *cb);
int lana_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
void *lana_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
			     const struct genl_family *family, u8 cmd);
void *lana_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct genl_family *family, u8 cmd);
const struct genl_family *lana_genl_dump_family(struct netlink_callback *cb);
u8 lana_genl_dump_cmd(struct netlink_callback *cb);
int lana_genlmsg_multicast_netns(const struct genl_family *family,
				 struct net *net, struct sk_buff *skb,
				 unsigned int group);
struct nlattr *lana_nla_nest_start(struct sk_buff *skb, int type);
int lana_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
void lana_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start);
const struct nlattr *lana_genl_info_attrs(struct genl_info *info, int *len);
struct sk_buff *lana_genlmsg_new(size_t size);
struct sk_buff *lana_genlmsg_new_atomic(const struct genl_family *family,
					u32 portid, u8 cmd, void **hdr);
int lana_nla_put_u64(struct sk_buff *skb, int type, u64 value, int pad);

#endif /* LANA_SHIM_H */
