// SPDX-License-Identifier: GPL-2.0-only

//! Declarations of the C shim (`vlink/*.c`, `vlink/net/*.c`; their
//! interface is `vlink/shim.h`).
//!
//! C header: `vlink/shim.h`
//!
//! Only the other `vlink` modules call these; each wraps them in a safe type.

use kernel::bindings::{
    blocking_notifier_head, bpf_prog, genl_family, genl_info, list_head, net, net_device,
    netlink_callback, nlattr, sk_buff, sock_filter, static_key_false,
};
use kernel::ffi::{c_char, c_int, c_uint, c_void};

// Pointers to kernel structs some of which (`struct net`) hold zero-sized
// members; they are only passed through, never dereferenced here.
#[allow(improper_ctypes)]
unsafe extern "C" {
    pub(crate) fn lana_dev_attach(dev: *mut net_device, attachment: *mut c_void) -> c_int;
    pub(crate) fn lana_dev_detach(dev: *mut net_device);
    pub(crate) fn lana_dev_has_rx_handler(dev: *const net_device) -> bool;
    pub(crate) fn lana_dev_get_by_name(net: *mut net, name: *const c_char) -> *mut net_device;
    pub(crate) fn lana_dev_hold(dev: *mut net_device);
    pub(crate) fn lana_dev_put(dev: *mut net_device);
    pub(crate) fn lana_dev_name(dev: *const net_device) -> *const c_char;
    pub(crate) fn lana_dev_ifindex(dev: *const net_device) -> c_int;
    pub(crate) fn lana_dev_eth_addr(dev: *const net_device) -> *const u8;
    pub(crate) fn lana_rtnl_lock();
    pub(crate) fn lana_rtnl_unlock();
    pub(crate) fn lana_netdev_notifier_register() -> c_int;
    pub(crate) fn lana_netdev_notifier_unregister();

    pub(crate) fn lana_link_register() -> c_int;
    pub(crate) fn lana_link_unregister();
    pub(crate) fn lana_link_is_ours(dev: *const net_device) -> bool;
    pub(crate) fn lana_link_endpoint(dev: *const net_device) -> *mut c_void;
    pub(crate) fn lana_link_attach(dev: *mut net_device, endpoint: *mut c_void);
    pub(crate) fn lana_link_detach(dev: *mut net_device);
    pub(crate) fn lana_link_rx(skb: *mut sk_buff, dev: *mut net_device);
    pub(crate) fn lana_link_rx_dropped(dev: *mut net_device);
    pub(crate) fn lana_skb_cow_head(skb: *mut sk_buff, headroom: c_uint) -> c_int;

    pub(crate) fn lana_pernet_register() -> c_int;
    pub(crate) fn lana_pernet_unregister();
    pub(crate) fn lana_net_data(net: *mut net) -> *const c_void;

    pub(crate) fn lana_backlog_create(owner: *const c_void, limit: c_uint) -> *mut c_void;
    pub(crate) fn lana_backlog_destroy(backlog: *mut c_void);
    pub(crate) fn lana_backlog_delivering(backlog: *mut c_void) -> u32;
    pub(crate) fn lana_backlog_enqueue(backlog: *mut c_void, skb: *mut sk_buff) -> c_int;
    pub(crate) fn lana_backlog_depth(backlog: *mut c_void, cpu: c_uint) -> c_uint;

    pub(crate) fn lana_reaper_create(owner: *const c_void) -> *mut c_void;
    pub(crate) fn lana_reaper_destroy(reaper: *mut c_void);
    pub(crate) fn lana_reaper_queue(reaper: *mut c_void);

    pub(crate) fn lana_notifier_head_init(head: *mut blocking_notifier_head);

    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn lana_with_bh_disabled(
        f: unsafe extern "C" fn(arg: *mut c_void, cpu_offset: usize),
        arg: *mut c_void,
    );

    pub(crate) fn lana_skb_to_stack(skb: *mut sk_buff);
    pub(crate) fn lana_bpf_classic(insns: *mut sock_filter, len: c_uint) -> *mut bpf_prog;
    pub(crate) fn lana_bpf_pinned(path: *const c_char) -> *mut bpf_prog;
    pub(crate) fn lana_bpf_release(prog: *mut bpf_prog, classic: bool);
    pub(crate) fn lana_bpf_run(prog: *mut bpf_prog, skb: *mut sk_buff) -> i64;
    pub(crate) fn lana_dev_queue_xmit(skb: *mut sk_buff, dev: *mut net_device) -> bool;
    pub(crate) fn lana_dev_is_registered(dev: *const net_device) -> bool;
    pub(crate) fn lana_devslots_lock_acquire();
    pub(crate) fn lana_devslots_lock_release();
    pub(crate) fn lana_devslot_add(node: *mut list_head);
    pub(crate) fn lana_devslot_del(node: *mut list_head);

    pub(crate) fn lana_percpu_alloc(size: usize, align: usize) -> *mut c_void;
    pub(crate) fn lana_percpu_free(ptr: *mut c_void);
    pub(crate) fn lana_per_cpu_ptr(ptr: *mut c_void, cpu: c_uint) -> *mut c_void;
    pub(crate) fn lana_next_possible_cpu(prev: c_int) -> c_uint;
    pub(crate) fn lana_nr_cpu_ids() -> c_uint;

    pub(crate) fn lana_genl_info_net(info: *mut genl_info) -> *mut net;
    pub(crate) fn lana_genl_info_portid(info: *mut genl_info) -> u32;
    pub(crate) fn lana_genlmsg_unicast(net: *mut net, skb: *mut sk_buff, portid: u32) -> c_int;
    pub(crate) fn lana_trace_key_inc();
    pub(crate) fn lana_trace_key_dec();
    /// `struct lana_trace_key lana_trace_key` in `trace_key.c`.
    pub(crate) static lana_trace_key: TraceKeyC;
    pub(crate) fn lana_genl_dump_net(cb: *mut netlink_callback) -> *mut net;
    pub(crate) fn lana_genl_dump_family(cb: *mut netlink_callback) -> *const genl_family;
    pub(crate) fn lana_genl_dump_cmd(cb: *mut netlink_callback) -> u8;
    pub(crate) fn lana_genlmsg_multicast_netns(
        family: *const genl_family,
        net: *mut net,
        skb: *mut sk_buff,
        group: c_uint,
    ) -> c_int;
    pub(crate) fn lana_genlmsg_reply(skb: *mut sk_buff, info: *mut genl_info) -> c_int;
    pub(crate) fn lana_genlmsg_put_reply(
        skb: *mut sk_buff,
        info: *mut genl_info,
        family: *const genl_family,
        cmd: u8,
    ) -> *mut c_void;
    pub(crate) fn lana_genlmsg_put_dump(
        skb: *mut sk_buff,
        cb: *mut netlink_callback,
        family: *const genl_family,
        cmd: u8,
    ) -> *mut c_void;
    pub(crate) fn lana_nla_nest_start(skb: *mut sk_buff, attrtype: c_int) -> *mut nlattr;
    pub(crate) fn lana_nla_nest_end(skb: *mut sk_buff, start: *mut nlattr) -> c_int;
    pub(crate) fn lana_nla_nest_cancel(skb: *mut sk_buff, start: *mut nlattr);
    pub(crate) fn lana_genl_info_attrs(info: *mut genl_info, len: *mut c_int) -> *const nlattr;
    pub(crate) fn lana_genlmsg_new(size: usize) -> *mut sk_buff;
    pub(crate) fn lana_genlmsg_new_atomic(
        family: *const genl_family,
        portid: u32,
        cmd: u8,
        hdr: *mut *mut c_void,
    ) -> *mut sk_buff;
    pub(crate) fn lana_nla_put_u64(
        skb: *mut sk_buff,
        attrtype: c_int,
        value: u64,
        pad: c_int,
    ) -> c_int;
}

/// `struct lana_trace_key` of `shim.h`: the trace's static key.
#[repr(C)]
pub(crate) struct TraceKeyC {
    pub(crate) key: static_key_false,
}
