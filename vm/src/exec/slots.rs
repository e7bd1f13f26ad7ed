//! The value stack as the interpreter loop sees it: a base pointer without a length.
//!
//! Why: with a bounds-checked slice, the loop keeps the stack's length live beside its
//! pointer, `pc`, `sp`, `fp`, the step budget and the code, and LLVM spills `sp` and the
//! length to the native stack in every op (measured with `perf annotate` on the kernels
//! of `vm/benches/kernels.wat`: loads and stores of `sp` around each dispatch, and a
//! compare against the spilled length per access).

use std::ops::{Index, IndexMut};

/// The value stack, indexed without bounds checks in release builds.
///
/// Every index the interpreter uses is in bounds because of the machine's invariant:
/// a Wasm function runs only after `invoke` or a call checked that its frame (locals
/// plus its validated maximum operand height, `WasmFunc::max_height`) fits in the
/// stack, and validation bounds every operand access and local index of its body by
/// those. Debug builds check each index.
pub(super) struct Slots {
    base: *mut u64,
    len: usize,
}

impl Slots {
    /// The slots of `stack`, which must outlive every use of the result.
    pub(super) fn new(stack: &mut [u64]) -> Slots {
        Slots {
            base: stack.as_mut_ptr(),
            len: stack.len(),
        }
    }

    /// The whole stack as a slice (for the block moves of branches, calls, returns).
    pub(super) fn all(&mut self) -> &mut [u64] {
        // SAFETY: `base` and `len` come from a `&mut [u64]` that outlives `self`
        // (`new`), and the returned borrow of `self` keeps other accesses out.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.len) }
    }
}

impl Index<usize> for Slots {
    type Output = u64;

    #[inline(always)]
    fn index(&self, i: usize) -> &u64 {
        debug_assert!(i < self.len, "stack slot {i} of {}", self.len);
        // SAFETY: `i < len` by the machine's invariant (see the type's documentation),
        // and `base..base + len` is the live stack borrowed in `new`.
        unsafe { &*self.base.add(i) }
    }
}

impl IndexMut<usize> for Slots {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut u64 {
        debug_assert!(i < self.len, "stack slot {i} of {}", self.len);
        // SAFETY: as in `index`.
        unsafe { &mut *self.base.add(i) }
    }
}
