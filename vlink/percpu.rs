// SPDX-License-Identifier: GPL-2.0-only

//! Per-CPU counters for the packet path.
//!
//! 7.3 has no per-CPU abstraction, so this wraps `alloc_percpu` for the one
//! shape the engine needs: a fixed set of `u64` counters per CPU, written only
//! by the packet path of the CPU they belong to and summed by readers.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use core::sync::atomic::{AtomicU64, Ordering};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{ffi::c_int, prelude::*, types::NotThreadSafe};

use super::ffi;

/// Evidence that the current code runs with bottom halves disabled, as in an
/// rx_handler: it cannot migrate to another CPU, no other packet-path code
/// runs on this CPU meanwhile, and it is an RCU read-side critical section.
/// Carries this CPU's per-CPU offset, so per-CPU data is one addition away.
///
/// # Invariants
///
/// While a value exists, the current context stays on one CPU with bottom
/// halves disabled, and `cpu_offset` is what `this_cpu_ptr` adds on that CPU.
pub(crate) struct BhContext {
    cpu_offset: usize,
    _not_send: NotThreadSafe,
}

impl BhContext {
    /// # Safety
    ///
    /// The caller must be in softirq context or have bottom halves disabled,
    /// and keep it so while the returned value lives; `cpu_offset` must be
    /// this CPU's per-CPU offset.
    pub(crate) unsafe fn new(cpu_offset: usize) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            cpu_offset,
            _not_send: NotThreadSafe,
        }
    }
}

/// A copy of a [`BhContext`] that lives no longer than a borrow of it: a
/// structure on the packet path holds one by value (the `PacketCx`), so that
/// per-CPU data is one load away from it rather than two.
///
/// # Invariants
///
/// `bh` is a valid [`BhContext`] for as long as `'a`: a borrow of the
/// context it copies.
pub(crate) struct BhCopy<'a> {
    bh: BhContext,
    _borrow: PhantomData<&'a BhContext>,
}

impl Deref for BhCopy<'_> {
    type Target = BhContext;

    #[inline(always)]
    fn deref(&self) -> &BhContext {
        &self.bh
    }
}

impl BhContext {
    /// A copy of this context, valid while `self` is borrowed.
    #[inline(always)]
    pub(crate) fn copy(&self) -> BhCopy<'_> {
        // INVARIANT: the copy borrows `self` for its lifetime.
        BhCopy {
            // SAFETY: `self` exists, so the context it proves holds (its type
            // invariant); the copy cannot outlive the borrow of `self`, nor
            // leave the CPU (`BhContext` is not `Send`).
            bh: unsafe { BhContext::new(self.cpu_offset) },
            _borrow: PhantomData,
        }
    }

    /// Runs `f` with bottom halves disabled on the current CPU, as the
    /// packet path runs: for packet-path code called from process context.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn with<F: FnOnce(&BhContext) -> R, R>(f: F) -> R {
        use kernel::ffi::c_void;

        struct Call<F, R> {
            f: Option<F>,
            result: Option<R>,
        }

        /// # Safety
        ///
        /// Called by the shim, with bottom halves disabled, with the `Call`
        /// passed to it and this CPU's per-CPU offset.
        unsafe extern "C" fn trampoline<F: FnOnce(&BhContext) -> R, R>(
            arg: *mut c_void,
            cpu_offset: usize,
        ) {
            // SAFETY: `arg` is the `Call` below, alive for this call.
            let call = unsafe { &mut *arg.cast::<Call<F, R>>() };
            // SAFETY: The shim disabled bottom halves around this call and
            // passed this CPU's offset.
            let bh = unsafe { BhContext::new(cpu_offset) };
            if let Some(f) = call.f.take() {
                call.result = Some(f(&bh));
            }
        }

        let mut call = Call {
            f: Some(f),
            result: None,
        };
        // SAFETY: `call` outlives the call; the trampoline matches its type.
        unsafe { ffi::lana_with_bh_disabled(trampoline::<F, R>, (&raw mut call).cast::<c_void>()) };
        call.result
            .expect("the shim calls the function exactly once")
    }
}

/// `N` counters per possible CPU.
///
/// Each CPU's counters have a single writer, the packet path on that CPU
/// (guaranteed by [`BhContext`]), so an increment is a plain load and store:
/// no locked instruction, no shared cache line. Readers on other CPUs use
/// relaxed atomic loads and may see a value a few packets old.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of `[AtomicU64; N]` owned by this value,
/// zero-initialised by `alloc_percpu`.
pub(crate) struct PerCpuCounters<const N: usize> {
    ptr: NonNull<[AtomicU64; N]>,
}

// SAFETY: The counters are atomics; the allocation may be freed on any CPU.
unsafe impl<const N: usize> Send for PerCpuCounters<N> {}
// SAFETY: All access goes through atomics (see the type's documentation).
unsafe impl<const N: usize> Sync for PerCpuCounters<N> {}

impl<const N: usize> PerCpuCounters<N> {
    /// Allocates zeroed counters for every possible CPU.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Plain allocation; size and alignment are those of the type.
        let raw = unsafe {
            ffi::lana_percpu_alloc(
                core::mem::size_of::<[AtomicU64; N]>(),
                core::mem::align_of::<[AtomicU64; N]>(),
            )
        };
        let ptr = NonNull::new(raw.cast()).ok_or(ENOMEM)?;
        // INVARIANT: Just allocated, zeroed by `alloc_percpu`; zero is a valid `AtomicU64`.
        Ok(Self { ptr })
    }

    /// This CPU's counters.
    #[inline]
    fn this_cpu<'a>(&'a self, bh: &'a BhContext) -> &'a [AtomicU64; N] {
        // SAFETY: By the type invariant `ptr` is a live per-CPU allocation, and
        // this CPU's instance lies `bh.cpu_offset` bytes from it (what
        // `this_cpu_ptr` computes); the context cannot migrate while `bh` lives.
        unsafe { &*self.ptr.as_ptr().wrapping_byte_add(bh.cpu_offset) }
    }

    /// The counters of `cpu`, which must be a possible CPU.
    fn cpu(&self, cpu: u32) -> &[AtomicU64; N] {
        // SAFETY: By the type invariant `ptr` is live; `cpu` comes from
        // `possible_cpus`, so it has an instance.
        unsafe { &*ffi::lana_per_cpu_ptr(self.ptr.as_ptr().cast(), cpu).cast() }
    }

    /// Adds `value` to counter `index` of this CPU.
    #[inline]
    pub(crate) fn add(&self, bh: &BhContext, index: usize, value: u64) {
        let counter = &self.this_cpu(bh)[index];
        // Single writer per CPU: no read-modify-write atomic needed.
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(value),
            Ordering::Relaxed,
        );
    }

    /// Adds `value` to counter `index` of `cpu`, a possible CPU, from any
    /// context: for counters the packet path never writes (what a retired
    /// snapshot counted), under the writer's own lock.
    pub(crate) fn add_on(&self, cpu: u32, index: usize, value: u64) {
        self.cpu(cpu)[index].fetch_add(value, Ordering::Relaxed);
    }

    /// Counter `index` of `cpu`, a possible CPU.
    pub(crate) fn on(&self, cpu: u32, index: usize) -> u64 {
        self.cpu(cpu)[index].load(Ordering::Relaxed)
    }

    /// Counter `index` of every possible CPU, in CPU order.
    pub(crate) fn per_cpu(&self, index: usize) -> impl Iterator<Item = (u32, u64)> + '_ {
        possible_cpus().map(move |cpu| (cpu, self.cpu(cpu)[index].load(Ordering::Relaxed)))
    }

    /// Counter `index` summed over all CPUs.
    pub(crate) fn sum(&self, index: usize) -> u64 {
        self.per_cpu(index)
            .fold(0u64, |acc, (_, v)| acc.wrapping_add(v))
    }
}

impl<const N: usize> Drop for PerCpuCounters<N> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the allocation.
        unsafe { ffi::lana_percpu_free(self.ptr.as_ptr().cast()) };
    }
}

/// The most counters one per-CPU allocation holds: `alloc_percpu` serves at
/// most `PCPU_MIN_UNIT_SIZE` (32 KiB) at once, and warns beyond.
const CHUNK: usize = 32 * 1024 / core::mem::size_of::<AtomicU64>();

/// One per-CPU allocation of zeroed counters.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of `len` (1 to [`CHUNK`]) `AtomicU64`s
/// owned by this value, zero-initialised by `alloc_percpu`.
struct Chunk {
    ptr: NonNull<AtomicU64>,
    len: usize,
}

impl Chunk {
    fn new(len: usize) -> Result<Self> {
        let len = len.clamp(1, CHUNK);
        let size = len * core::mem::size_of::<AtomicU64>();
        // SAFETY: Plain allocation, of `len` (1 to CHUNK) `AtomicU64`s.
        let raw = unsafe { ffi::lana_percpu_alloc(size, core::mem::align_of::<AtomicU64>()) };
        let ptr = NonNull::new(raw.cast()).ok_or(ENOMEM)?;
        // INVARIANT: Just allocated, zeroed by `alloc_percpu`.
        Ok(Self { ptr, len })
    }

    /// The counters of `cpu`, which must be a possible CPU.
    fn cpu(&self, cpu: u32) -> &[AtomicU64] {
        // SAFETY: By the type invariant `ptr` is live; `cpu` comes from
        // `possible_cpus`, so it has an instance of `len` counters.
        unsafe {
            let first = ffi::lana_per_cpu_ptr(self.ptr.as_ptr().cast(), cpu);
            core::slice::from_raw_parts(first.cast::<AtomicU64>(), self.len)
        }
    }

    /// Adds one to counter `index` (below `len`) of this CPU.
    #[inline(always)]
    fn increment(&self, bh: &BhContext, index: usize) {
        let counter = self
            .ptr
            .as_ptr()
            .wrapping_add(index)
            .wrapping_byte_add(bh.cpu_offset);
        // SAFETY: By the type invariant `ptr` is a live per-CPU allocation
        // of `len` counters, `index` is one of them (caller), and this CPU's
        // instance lies `bh.cpu_offset` bytes from it; the context cannot
        // migrate while `bh` lives.
        let counter = unsafe { &*counter };
        // Single writer per CPU: no read-modify-write atomic needed.
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }
}

// SAFETY: The counters are atomics; the allocation may be freed on any CPU.
unsafe impl Send for Chunk {}
// SAFETY: All access goes through atomics (see `PerCpuCounters`).
unsafe impl Sync for Chunk {}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the allocation.
        unsafe { ffi::lana_percpu_free(self.ptr.as_ptr().cast()) };
    }
}

/// Per possible CPU, `len` counters, a number chosen at run time; written
/// like [`PerCpuCounters`]: by the packet path of their CPU only.
///
/// The first [`CHUNK`] counters are one per-CPU allocation, reached in line;
/// a larger array (a graph with hundreds of entries) continues in further
/// allocations of [`CHUNK`] each, reached by an out-of-line call.
pub(crate) struct PerCpuArray {
    first: Chunk,
    /// Counters `first.len + i * CHUNK ..` are `rest[i]`'s.
    rest: KVec<Chunk>,
    len: usize,
}

impl PerCpuArray {
    /// Allocates `len` zeroed counters for every possible CPU.
    pub(crate) fn new(len: usize) -> Result<Self> {
        let first = Chunk::new(len)?;
        let mut rest = KVec::new();
        let mut made = first.len;
        while made < len {
            let chunk = Chunk::new(len - made)?;
            made += chunk.len;
            rest.push(chunk, GFP_KERNEL)?;
        }
        Ok(Self {
            first,
            rest,
            len: len.max(1),
        })
    }

    /// Adds one to counter `index` of this CPU (none if out of range).
    #[inline(always)]
    pub(crate) fn increment(&self, bh: &BhContext, index: usize) {
        if index < self.first.len {
            self.first.increment(bh, index);
        } else {
            self.increment_far(bh, index);
        }
    }

    /// [`Self::increment`] beyond the first allocation.
    #[cold]
    #[inline(never)]
    fn increment_far(&self, bh: &BhContext, index: usize) {
        let far = index.wrapping_sub(self.first.len);
        if let Some(chunk) = self.rest.get(far / CHUNK) {
            if far % CHUNK < chunk.len {
                chunk.increment(bh, far % CHUNK);
            }
        }
    }

    /// The chunk holding counter `index`, and the index within it.
    fn locate(&self, index: usize) -> Option<(&Chunk, usize)> {
        if index < self.first.len {
            return Some((&self.first, index));
        }
        let far = index - self.first.len;
        let chunk = self.rest.get(far / CHUNK)?;
        (far % CHUNK < chunk.len).then_some((chunk, far % CHUNK))
    }

    /// How many counters each CPU has.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Sets every counter of every CPU to zero: `&mut`, so no CPU counts
    /// meanwhile.
    pub(crate) fn clear(&mut self) {
        for chunk in Iterator::chain(core::iter::once(&self.first), self.rest.iter()) {
            for cpu in possible_cpus() {
                for counter in chunk.cpu(cpu) {
                    counter.store(0, Ordering::Relaxed);
                }
            }
        }
    }

    /// Counter `index` of `cpu`, a possible CPU (0 if out of range).
    pub(crate) fn get(&self, cpu: u32, index: usize) -> u64 {
        self.locate(index)
            .and_then(|(chunk, at)| chunk.cpu(cpu).get(at))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// The possible CPUs, in order.
pub(crate) fn possible_cpus() -> impl Iterator<Item = u32> {
    // SAFETY: Reads a value fixed at boot.
    let nr = unsafe { ffi::lana_nr_cpu_ids() };
    let mut prev: c_int = -1;
    core::iter::from_fn(move || {
        // SAFETY: `prev` is -1 or a CPU below `nr_cpu_ids`.
        let cpu = unsafe { ffi::lana_next_possible_cpu(prev) };
        if cpu >= nr {
            return None;
        }
        prev = cpu as c_int;
        Some(cpu)
    })
}
