// SPDX-License-Identifier: GPL-2.0-only

//! Kernel notifier chains carrying engine events to blocks.
//!
//! LANA delivers bind, unbind and device events to functional blocks over
//! notifier chains; this wraps the blocking variant (`blocking_notifier_head`,
//! with its own rwsem, so registration and calls need no outside lock).
//! Callbacks run in process context.
//!
//! C header: [`include/linux/notifier.h`](srctree/include/linux/notifier.h)

use core::{ffi::c_void, marker::PhantomData};
use kernel::{
    bindings, container_of,
    ffi::{c_int, c_ulong},
    prelude::*,
    sync::Arc,
    types::Opaque,
};

use super::ffi;

/// What a subscription delivers events of type `E` to.
pub(crate) trait Listener<E>: Send + Sync {
    fn notify(&self, event: &E);
}

/// A notifier chain carrying events of type `E`.
///
/// # Invariants
///
/// `head` is an initialised `blocking_notifier_head`.
#[pin_data]
pub(crate) struct Chain<E> {
    #[pin]
    head: Opaque<bindings::blocking_notifier_head>,
    _events: PhantomData<fn(&E)>,
}

// SAFETY: The chain's rwsem serialises every access to the list.
unsafe impl<E> Send for Chain<E> {}
// SAFETY: See `Send`.
unsafe impl<E> Sync for Chain<E> {}

impl<E> Chain<E> {
    /// An empty chain.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                // SAFETY: Initialises the head in place (BLOCKING_INIT_NOTIFIER_HEAD).
                head <- Opaque::ffi_init(|head| unsafe { ffi::lana_notifier_head_init(head) }),
                _events: PhantomData,
            }),
            GFP_KERNEL,
        )
    }

    /// Delivers `event` to every subscription, in registration order.
    /// Process context only: listeners may sleep.
    pub(crate) fn call(&self, event: &E) {
        // SAFETY: The head is initialised (type invariant); `event` outlives
        // the call, and listeners only read it.
        unsafe {
            bindings::blocking_notifier_call_chain(
                self.head.get(),
                0,
                core::ptr::from_ref(event).cast_mut().cast(),
            )
        };
    }
}

/// `listener` registered on `chain` for as long as this value lives.
///
/// # Invariants
///
/// `nb` is registered on `chain` from the end of initialisation until drop,
/// with `notify_trampoline::<E, L>` as its callback.
#[pin_data(PinnedDrop)]
pub(crate) struct Subscription<E, L: Listener<E>> {
    chain: Arc<Chain<E>>,
    listener: Arc<L>,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
}

// SAFETY: The notifier block is only touched by the chain under its rwsem.
unsafe impl<E, L: Listener<E>> Send for Subscription<E, L> {}
// SAFETY: See `Send`.
unsafe impl<E, L: Listener<E>> Sync for Subscription<E, L> {}

impl<E: 'static, L: Listener<E> + 'static> Subscription<E, L> {
    /// Registers `listener` on `chain`.
    pub(crate) fn new(chain: Arc<Chain<E>>, listener: Arc<L>) -> Result<Pin<KBox<Self>>> {
        let head = chain.head.get();
        KBox::pin_init(
            try_pin_init!(Self {
                chain,
                listener,
                nb <- Opaque::try_ffi_init(move |nb: *mut bindings::notifier_block| {
                    // SAFETY: `nb` is ours to initialise; the other fields are
                    // already in place, so the callback may run at once.
                    unsafe {
                        nb.write(bindings::notifier_block {
                            notifier_call: Some(notify_trampoline::<E, L>),
                            ..Default::default()
                        });
                        kernel::error::to_result(bindings::blocking_notifier_chain_register(
                            head, nb,
                        ))
                    }
                }),
            }? Error),
            GFP_KERNEL,
        )
    }
}

#[pinned_drop]
impl<E, L: Listener<E>> PinnedDrop for Subscription<E, L> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered (type invariant); unregistering waits, under the
        // chain's rwsem, for running callbacks to finish.
        unsafe {
            bindings::blocking_notifier_chain_unregister(self.chain.head.get(), self.nb.get())
        };
    }
}

/// The callback of every subscription.
///
/// # Safety
///
/// Called by the notifier core with the `nb` of a live `Subscription<E, L>`
/// and the `&E` that `Chain::call` passed.
unsafe extern "C" fn notify_trampoline<E, L: Listener<E>>(
    nb: *mut bindings::notifier_block,
    _action: c_ulong,
    data: *mut c_void,
) -> c_int {
    let nb = nb.cast::<Opaque<bindings::notifier_block>>();
    // SAFETY: `nb` is the `nb` field of a live subscription (contract).
    let subscription = unsafe { &*container_of!(nb, Subscription<E, L>, nb) };
    // SAFETY: `data` is the `&E` passed to `Chain::call`, live for the call.
    subscription.listener.notify(unsafe { &*data.cast::<E>() });
    bindings::NOTIFY_DONE as c_int
}
