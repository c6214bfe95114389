// SPDX-License-Identifier: GPL-2.0-only

//! Socket buffers, owned.
//!
//! Shaped like the `SkBuff` of the earlier Rust-for-Linux `kernel::net` work,
//! so that moving to an upstream abstraction later is mechanical.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use core::ptr::NonNull;
use kernel::{bindings, prelude::*};

use crate::vlink::{ffi, net::device::Device, percpu::BhContext};

/// EtherTypes (`include/uapi/linux/if_ether.h`), as the 16 bits they are.
const ETH_P_8021Q: u16 = bindings::ETH_P_8021Q as u16;
const ETH_P_IP: u16 = bindings::ETH_P_IP as u16;
const ETH_P_IPV6: u16 = bindings::ETH_P_IPV6 as u16;
/// The VLAN id's bits in a tag control word (a macro bindgen leaves out).
const VLAN_VID_MASK: u16 = 0x0fff;

/// What a frame is given as it is transmitted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EgressTag {
    None,
    /// An 802.1Q tag with this VLAN id.
    Vlan(u16),
    /// This EtherType, written into its Ethernet header.
    EtherType(u16),
}

/// Who a received frame was addressed to (`skb->pkt_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Addressee {
    /// This host's MAC address.
    Host,
    Broadcast,
    Multicast,
    /// Another host's MAC address (seen in promiscuous mode, or injected).
    OtherHost,
    /// Anything else (loopback, outgoing).
    Other,
}

/// Why a packet was dropped, as reported to the kernel's drop monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KernelDropReason {
    /// No specific reason the kernel knows of; our own reason is counted.
    NotSpecified,
    /// Not dropped: done with (`consume_skb`).
    Consumed,
}

impl KernelDropReason {
    fn as_raw(self) -> bindings::skb_drop_reason {
        match self {
            Self::NotSpecified => bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            Self::Consumed => bindings::skb_drop_reason_SKB_CONSUMED,
        }
    }
}

/// Where a queued copy's generation is in the control block.
const COPY_GENERATION_AT: usize = 16;

/// Bytes of an Ethernet header, and where its EtherType is in it.
const ETH_HLEN: u16 = bindings::ETH_HLEN as u16;
const ETH_TYPE_AT: usize = 12;

/// A packet this code owns one reference to. Dropping it frees it as a
/// dropped packet.
///
/// # Invariants
///
/// `ptr` points to a valid `sk_buff`, and this value owns one reference to it.
pub(crate) struct SkBuff {
    ptr: NonNull<bindings::sk_buff>,
}

// SAFETY: An `sk_buff` reference may be handed to and released from any CPU.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of one reference to `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `sk_buff` and the caller must own one
    /// reference to it, which passes to the returned value.
    pub(crate) unsafe fn from_raw(ptr: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { ptr }
    }

    /// The packet, for FFI calls that use it without taking it.
    pub(in crate::vlink) fn as_raw(&self) -> *mut bindings::sk_buff {
        self.ptr.as_ptr()
    }

    /// Gives up ownership; the caller becomes responsible for the reference.
    pub(crate) fn into_raw(self) -> NonNull<bindings::sk_buff> {
        let me = core::mem::ManuallyDrop::new(self);
        me.ptr
    }

    /// A new packet of `len` zero bytes, for tests of packet-path code.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn alloc(len: u32) -> Result<Self> {
        // SAFETY: Plain allocation (alloc_skb).
        let skb =
            unsafe { bindings::__alloc_skb(len, bindings::GFP_KERNEL, 0, bindings::NUMA_NO_NODE) };
        let skb = NonNull::new(skb).ok_or(ENOMEM)?;
        // SAFETY: A fresh skb with `len` bytes of tailroom; `skb_put_zero`
        // (here `skb_put` + zeroing) extends the data into it.
        unsafe {
            let data = bindings::skb_put(skb.as_ptr(), len);
            core::ptr::write_bytes(data.cast::<u8>(), 0, len as usize);
        }
        // SAFETY: We own the only reference of the fresh skb.
        Ok(unsafe { Self::from_raw(skb) })
    }

    /// The packet's header fields (`pkt_type`, `protocol`, ...), read in
    /// place: a call into the shim per field costs more than the read
    /// itself on the packet path (make bench).
    #[inline]
    fn headers(&self) -> &bindings::sk_buff__bindgen_ty_4__bindgen_ty_1 {
        // SAFETY: By the type invariant `ptr` is valid, and we own a
        // reference, so the skb outlives `&self`. The union's first member is
        // the `struct_group` of the header fields the kernel reads as plain
        // fields; the `headers` member is the same bytes.
        unsafe {
            (*self.ptr.as_ptr())
                .__bindgen_anon_4
                .__bindgen_anon_1
                .as_ref()
        }
    }

    /// Who the frame was addressed to, as the device saw it.
    #[inline]
    pub(crate) fn addressed_to(&self) -> Addressee {
        match u32::from(self.headers().pkt_type()) {
            bindings::PACKET_HOST => Addressee::Host,
            bindings::PACKET_BROADCAST => Addressee::Broadcast,
            bindings::PACKET_MULTICAST => Addressee::Multicast,
            bindings::PACKET_OTHERHOST => Addressee::OtherHost,
            _ => Addressee::Other,
        }
    }

    /// The frame's protocol (EtherType), in host order.
    #[inline]
    pub(crate) fn protocol(&self) -> u16 {
        u16::from_be(self.protocol_be())
    }

    /// The frame's protocol (EtherType) in network order, as stored: to
    /// compare with a value kept in network order, with no byte swap.
    #[inline]
    pub(crate) fn protocol_be(&self) -> u16 {
        self.headers().protocol
    }

    /// The VLAN id of the frame's 802.1Q tag, which the core moved out of
    /// the frame into the skb before any rx_handler runs; `None` without one.
    #[inline]
    pub(crate) fn vlan_id(&self) -> Option<u16> {
        // SAFETY: As in `headers`: the union's tag fields, read in place.
        let vlan = unsafe { &self.headers().__bindgen_anon_2.__bindgen_anon_1 };
        (vlan.vlan_proto == ETH_P_8021Q.to_be()).then_some(vlan.vlan_tci & VLAN_VID_MASK)
    }

    /// Bytes between the link-layer header and the data: the header the
    /// device stripped (14 for Ethernet), 0 when none was recorded.
    #[inline]
    pub(crate) fn mac_len(&self) -> u16 {
        // SAFETY: By the type invariant `ptr` is valid.
        unsafe { (*self.ptr.as_ptr()).mac_len }
    }

    /// Transmits the frame on `dev`, link-layer header restored as it was
    /// received. `Err(())` when the device refused it or memory was short
    /// (the packet is gone either way).
    pub(crate) fn transmit(self, dev: &Device) -> Result<(), ()> {
        self.transmit_tagged(dev, EgressTag::None)
    }

    /// As [`SkBuff::transmit`], the frame given `tag` on the way out: an
    /// 802.1Q tag the core inserts if the device cannot, or an EtherType
    /// written into its Ethernet header (made private first: a tee's
    /// copies share it).
    pub(crate) fn transmit_tagged(self, dev: &Device, tag: EgressTag) -> Result<(), ()> {
        // Ours alone from here (pktgen's frames are shared): its header
        // fields may change.
        let mut skb = self.unshared().ok_or(())?;
        skb.push_link_header();
        match tag {
            EgressTag::None => {}
            EgressTag::Vlan(id) => skb.put_vlan_tag(id),
            EgressTag::EtherType(t) => skb = skb.with_ethertype(t)?,
        }
        skb.forward_csum();
        let ptr = skb.into_raw();
        // SAFETY: We give our reference to the shim, which consumes it; `dev`
        // is live (the caller holds it, under RCU or a reference).
        if unsafe { ffi::lana_dev_queue_xmit(ptr.as_ptr(), dev.as_raw()) } {
            Ok(())
        } else {
            Err(())
        }
    }

    /// The packet as this code's alone (`skb_share_check`): itself if no
    /// one else holds it, else a clone of it (the data still shared), the
    /// original let go of. `None`, the packet gone, when there is no memory
    /// for the clone. In line: a call of its own cost the xmit path more
    /// than the C it replaced (make bench's (e) row).
    #[inline(always)]
    fn unshared(mut self) -> Option<Self> {
        self.unshare().then_some(self)
    }

    /// Makes the packet this code's alone, in place: [`Self::unshared`]
    /// that keeps the packet, still shared, when there is no memory for
    /// the clone (`false`).
    #[inline(always)]
    fn unshare(&mut self) -> bool {
        let raw = self.ptr.as_ptr();
        // SAFETY: By the type invariant `ptr` is valid; the count is read
        // as `refcount_read` reads it.
        let users = unsafe { core::ptr::read_volatile(&raw const (*raw).users.refs.counter) };
        if users == 1 {
            return true;
        }
        let Some(clone) = self.clone_shared() else {
            return false;
        };
        core::mem::replace(self, clone).release(KernelDropReason::Consumed);
        true
    }

    /// Lets go of the packet, for `reason`.
    fn release(self, reason: KernelDropReason) {
        let ptr = self.into_raw();
        // SAFETY: We give up our reference, owned by the type invariant.
        unsafe { free(ptr, reason) };
    }

    /// Puts back in front of the data the link-layer header the receive
    /// path pulled, if one was recorded before it.
    fn push_link_header(&mut self) {
        if let Some(len @ 1..) = self.link_header_len() {
            // SAFETY: We own the packet; the header's bytes lie between
            // `head` and `data`, so the push stays within the buffer.
            unsafe { bindings::skb_push(self.ptr.as_ptr(), len) };
        }
    }

    /// Bytes of the link-layer header before the data (0 when the data
    /// starts at it), or `None` when no header was recorded
    /// (`skb_mac_header_was_set`) or it lies after the data. Read in place
    /// (`skb_mac_header`): a counter block runs in line in the walk, which
    /// a call would slow (make bench).
    #[inline(always)]
    fn link_header_len(&self) -> Option<u32> {
        let raw = self.ptr.as_ptr();
        let mac = self.headers().mac_header;
        // SAFETY: By the type invariant `ptr` is valid, and we own a
        // reference: nobody else moves `data` meanwhile. Plain fields.
        let (head, data) = unsafe { ((*raw).head as usize, (*raw).data as usize) };
        if mac == u16::MAX {
            return None;
        }
        // `data - (head + mac)`, within a buffer of at most 4 GiB.
        let len = data.wrapping_sub(head).checked_sub(usize::from(mac))?;
        Some(len as u32)
    }

    /// The header fields, to change: only on a packet not shared
    /// ([`Self::unshared`]).
    fn headers_mut(&mut self) -> &mut bindings::sk_buff__bindgen_ty_4__bindgen_ty_1 {
        // SAFETY: As in `headers`; `&mut self` and an unshared packet: no
        // one else reads them meanwhile.
        unsafe {
            (*self.ptr.as_ptr())
                .__bindgen_anon_4
                .__bindgen_anon_1
                .as_mut()
        }
    }

    /// Gives the packet an 802.1Q tag with VLAN id `id`, outside its data
    /// (`__vlan_hwaccel_put_tag`): the core inserts it if the device
    /// cannot.
    fn put_vlan_tag(&mut self, id: u16) {
        // SAFETY: As in `vlan_id`: the union's tag fields, in place.
        let vlan = unsafe { &mut self.headers_mut().__bindgen_anon_2.__bindgen_anon_1 };
        vlan.vlan_proto = ETH_P_8021Q.to_be();
        vlan.vlan_tci = id;
    }

    /// Writes EtherType `ethertype` into the packet's Ethernet header, made
    /// private first; `Err`, the packet gone, when its data does not start
    /// at an Ethernet header or no private copy can be had.
    fn with_ethertype(self, ethertype: u16) -> Result<Self, ()> {
        let at_header = self.mac_len() == ETH_HLEN && self.link_header_len() == Some(0);
        // SAFETY: We own the packet, unshared.
        let writable = at_header
            && unsafe { bindings::skb_ensure_writable(self.ptr.as_ptr(), ETH_HLEN.into()) } == 0;
        if !writable {
            drop(self);
            return Err(());
        }
        // SAFETY: The data starts at a 14-byte Ethernet header, writable
        // and ours alone (`skb_ensure_writable`).
        unsafe {
            let data = (*self.ptr.as_ptr()).data;
            data.add(ETH_TYPE_AT)
                .cast::<u16>()
                .write_unaligned(ethertype.to_be());
        }
        Ok(self)
    }

    /// A checksum the device computed over the received frame no longer
    /// holds once forwarded (`skb_forward_csum`).
    fn forward_csum(&mut self) {
        let headers = self.headers_mut();
        if u32::from(headers.ip_summed()) == bindings::CHECKSUM_COMPLETE {
            headers.set_ip_summed(bindings::CHECKSUM_NONE as u8);
        }
    }

    /// Pushes an Ethernet header: `dst`, the MAC address of `src` (zero
    /// without one), EtherType `proto`; the frame's link-layer header and
    /// protocol from then on. Made this code's alone first: the header
    /// fields and data pointer of a packet someone else holds must not
    /// move. `false`, the frame's bytes unchanged (the packet may be a
    /// private clone by then), when there is no memory for that or for the
    /// headroom.
    pub(crate) fn push_eth(&mut self, dst: &[u8; 6], src: Option<&Device>, proto: u16) -> bool {
        if !self.unshare() {
            return false;
        }
        let raw = self.ptr.as_ptr();
        // SAFETY: We own the packet, unshared.
        if unsafe { ffi::lana_skb_cow_head(raw, ETH_HLEN.into()) } != 0 {
            return false;
        }
        let src = src.and_then(Device::eth_addr).unwrap_or_default();
        let mut header = [0u8; ETH_HLEN as usize];
        header[..6].copy_from_slice(dst);
        header[6..12].copy_from_slice(&src);
        header[ETH_TYPE_AT..].copy_from_slice(&proto.to_be_bytes());
        // SAFETY: `skb_cow_head` left ETH_HLEN bytes of headroom, and the
        // head ours alone to write: the push stays within the buffer and
        // the header goes where it points.
        let data = unsafe { bindings::skb_push(raw, ETH_HLEN.into()) }.cast::<u8>();
        // SAFETY: As above: ETH_HLEN writable bytes at `data`.
        unsafe { data.copy_from_nonoverlapping(header.as_ptr(), header.len()) };
        // SAFETY: By the type invariant `ptr` is valid; plain fields.
        let (head, data) = unsafe { ((*raw).head as usize, (*raw).data as usize) };
        let headers = self.headers_mut();
        // `skb_reset_mac_header`: the header starts at the data.
        headers.mac_header = data.wrapping_sub(head) as u16;
        headers.protocol = proto.to_be();
        // SAFETY: As above; a plain field.
        unsafe { (*raw).mac_len = ETH_HLEN };
        true
    }

    /// Hands the packet, an L3 packet, to the host stack as received on lana
    /// device `dev`.
    pub(crate) fn deliver_to_link(self, dev: &Device, _bh: &BhContext) {
        let Some(mut skb) = self.unshared() else {
            // SAFETY: `dev` is live (the caller holds it), a lana device.
            unsafe { ffi::lana_link_rx_dropped(dev.as_raw()) };
            return;
        };
        skb.take_ip_version_as_protocol();
        let ptr = skb.into_raw();
        // SAFETY: We give up our reference to a packet no one else holds;
        // bottom halves are disabled (`_bh`); `dev` is live (the caller
        // holds it), a lana device.
        unsafe { ffi::lana_link_rx(ptr.as_ptr(), dev.as_raw()) };
    }

    /// A lana device carries L3 packets: one not recorded as IP (none
    /// recorded, or an EtherType-tagged attachment's EtherType) is IPv4 or
    /// IPv6 if its version nibble says so, as tun does for packets
    /// without a protocol.
    fn take_ip_version_as_protocol(&mut self) {
        let proto = self.protocol();
        if proto == ETH_P_IP || proto == ETH_P_IPV6 {
            return;
        }
        let raw = self.ptr.as_ptr();
        // SAFETY: By the type invariant `ptr` is valid; plain fields. The
        // first byte is read only when the linear part holds it (`len`
        // less the paged `data_len`).
        let version = unsafe { ((*raw).len > (*raw).data_len).then(|| (*raw).data.read() >> 4) };
        let ip = match version {
            Some(4) => ETH_P_IP,
            Some(6) => ETH_P_IPV6,
            _ => return,
        };
        self.headers_mut().protocol = ip.to_be();
    }

    /// Hands the packet to the Linux stack as a received frame, from outside
    /// an rx_handler (softirq context); it passes our rx_handler untouched.
    pub(crate) fn hand_to_stack(self, _bh: &BhContext) {
        let ptr = self.into_raw();
        // SAFETY: We give up our reference to `netif_receive_skb`; bottom
        // halves are disabled (`_bh`), as it requires.
        unsafe { ffi::lana_skb_to_stack(ptr.as_ptr()) };
    }

    /// A clone sharing the packet's data (`skb_clone`), for a block that
    /// sends a copy elsewhere; `None` when memory is short.
    #[inline]
    pub(crate) fn clone_shared(&self) -> Option<Self> {
        // SAFETY: By the type invariant `ptr` is valid; atomic allocation.
        let clone = unsafe { bindings::skb_clone(self.ptr.as_ptr(), bindings::GFP_ATOMIC) };
        // SAFETY: A fresh clone, whose one reference is ours.
        NonNull::new(clone).map(|c| unsafe { Self::from_raw(c) })
    }

    /// Stores `word` in the packet's control block, for whoever owns the
    /// packet next on the packet path (the engine's backlog).
    #[inline]
    pub(crate) fn set_cb_word(&mut self, word: u64) {
        // SAFETY: We own the packet; its control block is ours to use while
        // no layer below has it, and it holds 48 bytes.
        unsafe {
            (&raw mut (*self.ptr.as_ptr()).cb)
                .cast::<u64>()
                .write_unaligned(word)
        };
    }

    /// Stores a queued copy's generation (see [`super::backlog`]) in the
    /// control block, after the engine's word (bytes 0-7) and the to-stack
    /// mark (`qdisc_skb_cb.data`, bytes 8-11): nobody else uses the control
    /// block of a packet on the backlog's queue.
    pub(crate) fn set_copy_generation(&mut self, generation: u32) {
        // SAFETY: As in `set_cb_word`; bytes 16-19 of the 48.
        unsafe {
            (&raw mut (*self.ptr.as_ptr()).cb)
                .cast::<u8>()
                .add(COPY_GENERATION_AT)
                .cast::<u32>()
                .write_unaligned(generation)
        };
    }

    /// The generation stored by [`SkBuff::set_copy_generation`].
    pub(crate) fn copy_generation(&self) -> u32 {
        // SAFETY: As in `set_copy_generation`.
        unsafe {
            (&raw const (*self.ptr.as_ptr()).cb)
                .cast::<u8>()
                .add(COPY_GENERATION_AT)
                .cast::<u32>()
                .read_unaligned()
        }
    }

    /// The word stored by [`SkBuff::set_cb_word`].
    #[inline]
    pub(crate) fn cb_word(&self) -> u64 {
        // SAFETY: As in `set_cb_word`.
        unsafe {
            (&raw const (*self.ptr.as_ptr()).cb)
                .cast::<u64>()
                .read_unaligned()
        }
    }

    /// Length of the frame in bytes from its link-layer header, wherever the
    /// data pointer is now: what an interface counter would count. Read in
    /// place (`skb_mac_header_was_set`, `skb_mac_header`): a counter block
    /// runs in line in the walk, which a call would slow (make bench).
    #[inline]
    pub(crate) fn frame_len(&self) -> u32 {
        // SAFETY: By the type invariant `ptr` is valid, and we own a
        // reference: nobody else changes `len` meanwhile. A plain field.
        let len = unsafe { (*self.ptr.as_ptr()).len };
        len.wrapping_add(self.link_header_len().unwrap_or(0))
    }
}

/// Frees the packet `ptr`, for `reason`.
///
/// # Safety
///
/// The caller owns a reference to `ptr`, a valid `sk_buff`, and gives it up.
#[inline]
unsafe fn free(ptr: NonNull<bindings::sk_buff>, reason: KernelDropReason) {
    // SAFETY: The caller gives up its reference.
    unsafe { bindings::sk_skb_reason_drop(core::ptr::null(), ptr.as_ptr(), reason.as_raw()) };
}

impl Drop for SkBuff {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own this reference, given up here.
        unsafe { free(self.ptr, KernelDropReason::NotSpecified) };
    }
}
