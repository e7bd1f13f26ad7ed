//! The executor's view of the code: one [`XOp`] per code address, where common
//! straight-line sequences of ops (as LLVM emits them: `local.get a; local.get b;
//! i32.add; local.set c`, address arithmetic before a load, a compare before `br_if`)
//! are fused into one op that the interpreter dispatches once.
//!
//! Fusion never changes what a step is. `exec[pc]` covers the ops `code[pc..pc + n]`
//! (`n` = [`XOp::steps`]) and has exactly their effect on the committed state (locals,
//! operands below the stack pointer, memory, pc); the interpreter counts `n` steps for
//! it and only runs it when at least [`MAX_FUSED`] steps of budget remain, so a budget
//! never ends inside a fusion. Every other address keeps its own entry, so a branch into
//! the middle of a fused sequence runs from there. A fused op that would trap (a memory
//! access out of bounds) completes the ops before the trapping one and traps at it, as
//! the single ops would. The committed code (`Machine::code`) is unchanged.

use crate::ops::Op;

/// The most steps one fused op covers.
pub(crate) const MAX_FUSED: u64 = 4;

macro_rules! bin_ops {
    ($($v:ident $f:ident,)*) => {
        /// An integer binary op that cannot trap (the fusable ones).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Bin {
            $(
                #[doc = concat!("`", stringify!($f), "`.")]
                $v,
            )*
        }

        impl Bin {
            /// The fusable binary op `op` is, if any.
            fn of(op: &Op) -> Option<Bin> {
                match op {
                    $( Op::$v => Some(Bin::$v), )*
                    _ => None,
                }
            }

            /// The op's result on operands `a` (below) and `b` (top).
            #[inline(always)]
            pub(crate) fn apply(self, a: u64, b: u64) -> u64 {
                match self {
                    // These numeric ops never return an error.
                    $( Bin::$v => crate::numeric::$f(a, b).unwrap_or(0), )*
                }
            }
        }
    };
}

bin_ops! {
    I32Eq i32_eq, I32Ne i32_ne, I32LtS i32_lt_s, I32LtU i32_lt_u, I32GtS i32_gt_s,
    I32GtU i32_gt_u, I32LeS i32_le_s, I32LeU i32_le_u, I32GeS i32_ge_s, I32GeU i32_ge_u,
    I64Eq i64_eq, I64Ne i64_ne, I64LtS i64_lt_s, I64LtU i64_lt_u, I64GtS i64_gt_s,
    I64GtU i64_gt_u, I64LeS i64_le_s, I64LeU i64_le_u, I64GeS i64_ge_s, I64GeU i64_ge_u,
    I32Add i32_add, I32Sub i32_sub, I32Mul i32_mul, I32And i32_and, I32Or i32_or,
    I32Xor i32_xor, I32Shl i32_shl, I32ShrS i32_shr_s, I32ShrU i32_shr_u, I32Rotl i32_rotl,
    I32Rotr i32_rotr,
    I64Add i64_add, I64Sub i64_sub, I64Mul i64_mul, I64And i64_and, I64Or i64_or,
    I64Xor i64_xor, I64Shl i64_shl, I64ShrS i64_shr_s, I64ShrU i64_shr_u, I64Rotl i64_rotl,
    I64Rotr i64_rotr,
}

macro_rules! load_ops {
    ($($v:ident $n:literal $kind:ident,)*) => {
        /// An integer load (the fusable ones).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Read {
            $(
                #[doc = concat!("`", stringify!($v), "`.")]
                $v,
            )*
        }

        impl Read {
            /// The load `op` is and its static offset, if it is a fusable load.
            fn of(op: &Op) -> Option<(Read, u32)> {
                match *op {
                    $( Op::$v { offset } => Some((Read::$v, offset)), )*
                    _ => None,
                }
            }

            /// Reads the value at `base + offset`.
            #[inline(always)]
            pub(crate) fn read(
                self,
                mem: &crate::memory::Memory,
                base: u64,
                offset: u32,
            ) -> Result<u64, crate::trap::Trap> {
                match self {
                    $( Read::$v => mem.read::<$n>(base, offset).map(crate::memory::load::$kind), )*
                }
            }
        }
    };
}

load_ops! {
    I32Load 4 load_u32, I64Load 8 load_u64, I32Load8S 1 load_i8_as_i32,
    I32Load8U 1 load_u8, I32Load16S 2 load_i16_as_i32, I32Load16U 2 load_u16,
    I64Load8S 1 load_i8_as_i64, I64Load8U 1 load_u8, I64Load16S 2 load_i16_as_i64,
    I64Load16U 2 load_u16, I64Load32S 4 load_i32_as_i64, I64Load32U 4 load_u32,
}

macro_rules! store_ops {
    ($($v:ident $n:literal,)*) => {
        /// An integer store (the fusable ones).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Write {
            $(
                #[doc = concat!("`", stringify!($v), "`.")]
                $v,
            )*
        }

        impl Write {
            /// The store `op` is and its static offset, if it is a fusable store.
            fn of(op: &Op) -> Option<(Write, u32)> {
                match *op {
                    $( Op::$v { offset } => Some((Write::$v, offset)), )*
                    _ => None,
                }
            }

            /// Writes the low bytes of `value` at `base + offset`.
            #[inline(always)]
            pub(crate) fn write(
                self,
                mem: &mut crate::memory::Memory,
                base: u64,
                offset: u32,
                value: u64,
            ) -> Result<(), crate::trap::Trap> {
                match self {
                    $( Write::$v => mem.store::<$n>(base, offset, value), )*
                }
            }
        }
    };
}

store_ops! {
    I32Store 4, I64Store 8, I32Store8 1, I32Store16 2, I64Store8 1, I64Store16 2,
    I64Store32 4,
}

/// One entry of the executor's code: a single op, or a fused sequence starting at this
/// address. `L[x]` is local `x` and `k` a constant: all its bits in `K` and `GetK`,
/// elsewhere fused only when its value fits in 32 bits (sign-extended); local indices
/// only when they fit in 16 bits. That keeps entries at 16 bytes. "push" pushes the
/// result, `Set`/`Tee` end in `local.set`/`local.tee c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XOp {
    /// The op alone.
    Op(Op),
    /// `local.get a; local.get b; op`: push `op(L[a], L[b])`.
    GetGet { op: Bin, a: u16, b: u16 },
    /// `local.get a; local.get b; op; local.set c`.
    GetGetSet { op: Bin, a: u16, b: u16, c: u16 },
    /// `local.get a; local.get b; op; local.tee c`.
    GetGetTee { op: Bin, a: u16, b: u16, c: u16 },
    /// `local.get a; const k; op`: push `op(L[a], k)`.
    GetK { op: Bin, a: u16, k: Imm },
    /// `local.get a; const k; op; local.set c`.
    GetKSet { op: Bin, a: u16, k: i32, c: u16 },
    /// `local.get a; const k; op; local.tee c`.
    GetKTee { op: Bin, a: u16, k: i32, c: u16 },
    /// `local.get b; op`: top becomes `op(top, L[b])`.
    Get { op: Bin, b: u16 },
    /// `const k; op`: top becomes `op(top, k)`.
    K { op: Bin, k: Imm },
    /// `op; local.set c`.
    BinSet { op: Bin, c: u16 },
    /// `op; local.tee c`.
    BinTee { op: Bin, c: u16 },
    /// `local.get a; load`: push the value at `L[a] + offset`.
    GetLoad { load: Read, a: u16, offset: u32 },
    /// `local.get a; load; local.set c`.
    GetLoadSet {
        load: Read,
        a: u16,
        offset: u32,
        c: u16,
    },
    /// `local.get a; i32.const k; i32.add; load`: push the value at `(L[a] + k) + offset`.
    GetKAddLoad {
        load: Read,
        a: u16,
        k: u32,
        offset: u32,
    },
    /// `i32.const k; i32.add; load`: top becomes the value at `(top + k) + offset`.
    KAddLoad { load: Read, k: u32, offset: u32 },
    /// `local.get a; local.get b; store`: stores `L[b]` at `L[a] + offset`.
    GetGetStore {
        store: Write,
        a: u16,
        b: u16,
        offset: u32,
    },
    /// `local.get a; local.set c`.
    GetSet { a: u16, c: u16 },
    /// `op; br_if` (a branch that drops nothing): pops two, branches to `pc` when
    /// `op` gives non-zero.
    BinBrIf { op: Bin, pc: u32 },
    /// `local.get a; local.get b; op; br_if` (dropping nothing).
    GetGetBrIf { op: Bin, a: u16, b: u16, pc: u32 },
    /// `local.get a; const k; op; br_if` (dropping nothing).
    GetKBrIf { op: Bin, a: u16, k: i32, pc: u32 },
}

impl XOp {
    /// The Wasm instructions (steps) this entry covers.
    pub(crate) fn steps(&self) -> u32 {
        match self {
            XOp::Op(_) => 1,
            XOp::Get { .. }
            | XOp::K { .. }
            | XOp::BinSet { .. }
            | XOp::BinTee { .. }
            | XOp::GetLoad { .. }
            | XOp::GetSet { .. }
            | XOp::BinBrIf { .. } => 2,
            XOp::GetGet { .. }
            | XOp::GetK { .. }
            | XOp::GetLoadSet { .. }
            | XOp::KAddLoad { .. }
            | XOp::GetGetStore { .. } => 3,
            XOp::GetGetSet { .. }
            | XOp::GetGetTee { .. }
            | XOp::GetKSet { .. }
            | XOp::GetKTee { .. }
            | XOp::GetKAddLoad { .. }
            | XOp::GetGetBrIf { .. }
            | XOp::GetKBrIf { .. } => 4,
        }
    }
}

/// A constant's 64 bits as two 32-bit halves: 4-byte aligned, so that a fused entry
/// with a constant and a local index still fits in 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Imm {
    lo: u32,
    hi: u32,
}

impl Imm {
    /// The constant's bits.
    #[inline(always)]
    pub(crate) fn get(self) -> u64 {
        (self.hi as u64) << 32 | self.lo as u64
    }

    /// The constant as a 32-bit value whose sign extension is its bits, if there is one.
    fn small(self) -> Option<i32> {
        let sign = 0u32.wrapping_sub(self.lo >> 31);
        (self.hi == sign).then_some(self.lo as i32)
    }
}

/// An integer constant op's bits (an `i32` sign-extended: the `i32` ops read only the
/// low half).
fn konst(op: &Op) -> Option<Imm> {
    let bits = match *op {
        Op::I32Const(v) => v as i32 as i64 as u64,
        Op::I64Const(v) => v,
        _ => return None,
    };
    Some(Imm {
        lo: bits as u32,
        hi: (bits >> 32) as u32,
    })
}

/// The target pc of a `br_if` that drops no operands.
fn plain_br_if(op: &Op) -> Option<u32> {
    match *op {
        Op::BrIf(t) if t.drop == 0 => Some(t.pc),
        _ => None,
    }
}

/// The executor's code for `code`: entry `i` is the longest fusion starting at `i`, or
/// `code[i]` alone.
pub(crate) fn fuse(code: &[Op]) -> Vec<XOp> {
    (0..code.len()).map(|i| fuse_at(&code[i..])).collect()
}

/// Per code address `i`, the number of ops from `i` up to and including the first op
/// at or after `i` that may move the pc other than to the next op (a branch, `if`,
/// `else`, call or return). Every function body ends in `Return`, so each address has
/// one.
pub(crate) fn segments(code: &[Op]) -> Vec<u32> {
    let mut out = vec![0; code.len()];
    let mut next = 0u32;
    for (i, op) in code.iter().enumerate().rev() {
        next = if ends_segment(op) {
            1
        } else {
            next.saturating_add(1)
        };
        out[i] = next;
    }
    out
}

/// Whether `op` may move the pc other than to the next op.
fn ends_segment(op: &Op) -> bool {
    matches!(
        op,
        Op::If { .. }
            | Op::Else { .. }
            | Op::Br(_)
            | Op::BrIf(_)
            | Op::BrTable { .. }
            | Op::Return
            | Op::Call(_)
            | Op::CallIndirect { .. }
    )
}

/// The entry for the ops starting at `ops[0]`: the longest fusion, or `ops[0]` alone
/// (also when a local index of the fusion does not fit in 16 bits).
fn fuse_at(ops: &[Op]) -> XOp {
    let narrow = |op: &Op| match *op {
        Op::LocalGet(i) | Op::LocalSet(i) | Op::LocalTee(i) => i <= u16::MAX as u32,
        _ => true,
    };
    match ops.first() {
        Some(_) if ops.iter().take(MAX_FUSED as usize).all(narrow) => longest(ops),
        Some(&first) => XOp::Op(first),
        None => XOp::Op(Op::Unreachable),
    }
}

/// The longest fusion starting at `ops[0]`, whose local indices fit in 16 bits.
fn longest(ops: &[Op]) -> XOp {
    use Op::{I32Add, LocalGet, LocalSet, LocalTee};
    // Local indices of the first MAX_FUSED ops fit in 16 bits (`fuse_at`).
    let l = |i: u32| i as u16;
    if let [LocalGet(a), LocalGet(b), ref o, ref n, ..] = *ops {
        if let Some(op) = Bin::of(o) {
            let (a, b) = (l(a), l(b));
            return match (*n, plain_br_if(n)) {
                (LocalSet(c), _) => XOp::GetGetSet { op, a, b, c: l(c) },
                (LocalTee(c), _) => XOp::GetGetTee { op, a, b, c: l(c) },
                (_, Some(pc)) => XOp::GetGetBrIf { op, a, b, pc },
                _ => XOp::GetGet { op, a, b },
            };
        }
        if let Some((store, offset)) = Write::of(o) {
            return XOp::GetGetStore {
                store,
                a: l(a),
                b: l(b),
                offset,
            };
        }
    }
    if let [LocalGet(a), ref c, ref o, ref n, ..] = *ops {
        if let (Some(k), Some(op)) = (konst(c), Bin::of(o)) {
            let a = l(a);
            return match (*n, Read::of(n), plain_br_if(n)) {
                (_, Some((load, offset)), _) if *o == I32Add => XOp::GetKAddLoad {
                    load,
                    a,
                    k: k.lo,
                    offset,
                },
                (LocalSet(c), _, _) if k.small().is_some() => XOp::GetKSet {
                    op,
                    a,
                    k: k.small().unwrap_or(0),
                    c: l(c),
                },
                (LocalTee(c), _, _) if k.small().is_some() => XOp::GetKTee {
                    op,
                    a,
                    k: k.small().unwrap_or(0),
                    c: l(c),
                },
                (_, _, Some(pc)) if k.small().is_some() => XOp::GetKBrIf {
                    op,
                    a,
                    k: k.small().unwrap_or(0),
                    pc,
                },
                _ => XOp::GetK { op, a, k },
            };
        }
        if let Some((load, offset)) = Read::of(c) {
            return match *o {
                LocalSet(c) => XOp::GetLoadSet {
                    load,
                    a: l(a),
                    offset,
                    c: l(c),
                },
                _ => XOp::GetLoad {
                    load,
                    a: l(a),
                    offset,
                },
            };
        }
    }
    if let [ref c, I32Add, ref ld, ..] = *ops {
        if let (Some(k), Some((load, offset))) = (konst(c), Read::of(ld)) {
            return XOp::KAddLoad {
                load,
                k: k.lo,
                offset,
            };
        }
    }
    if let [ref first, ref o, ..] = *ops {
        if let Some(op) = Bin::of(o) {
            if let LocalGet(b) = *first {
                return XOp::Get { op, b: l(b) };
            }
            if let Some(k) = konst(first) {
                return XOp::K { op, k };
            }
        }
        if let (LocalGet(a), LocalSet(c)) = (*first, *o) {
            return XOp::GetSet { a: l(a), c: l(c) };
        }
        if let Some(op) = Bin::of(first) {
            match (*o, plain_br_if(o)) {
                (LocalSet(c), _) => return XOp::BinSet { op, c: l(c) },
                (LocalTee(c), _) => return XOp::BinTee { op, c: l(c) },
                (_, Some(pc)) => return XOp::BinBrIf { op, pc },
                _ => {}
            }
        }
    }
    XOp::Op(ops[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xop_stays_two_words() {
        assert_eq!(core::mem::size_of::<XOp>(), 16);
    }

    #[test]
    fn fusions_cover_their_steps() {
        let code = [
            Op::LocalGet(0),
            Op::LocalGet(1),
            Op::I32Add,
            Op::LocalSet(2),
            Op::LocalGet(2),
            Op::I32Const(8),
            Op::I32Add,
            Op::I32Load8S { offset: 4 },
            Op::Drop,
        ];
        let x = fuse(&code);
        assert_eq!(x.len(), code.len());
        assert_eq!(
            x[0],
            XOp::GetGetSet {
                op: Bin::I32Add,
                a: 0,
                b: 1,
                c: 2
            }
        );
        assert_eq!(x[0].steps(), 4);
        assert_eq!(
            x[4],
            XOp::GetKAddLoad {
                load: Read::I32Load8S,
                a: 2,
                k: 8,
                offset: 4
            }
        );
        assert_eq!(x[8], XOp::Op(Op::Drop));
        assert!(x.iter().all(|x| x.steps() as u64 <= MAX_FUSED));
    }

    #[test]
    fn constants_keep_their_bits() {
        let set = |k: Op| fuse(&[Op::LocalGet(0), k, Op::I64Add, Op::LocalSet(1), Op::Return]);
        // Sign-extends from 32 bits: fused with a 32-bit immediate.
        let x = set(Op::I64Const(-5i64 as u64));
        assert_eq!(
            x[0],
            XOp::GetKSet {
                op: Bin::I64Add,
                a: 0,
                k: -5,
                c: 1
            }
        );
        // Does not: only the full-width `GetK` may hold it.
        for k in [0x8000_0000, 1 << 32, u64::MAX >> 1] {
            let x = set(Op::I64Const(k));
            assert!(
                matches!(x[0], XOp::GetK { k: imm, .. } if imm.get() == k),
                "{k:#x}"
            );
        }
        let x = fuse(&[Op::I64Const(0xff00_0000_00ff), Op::I64And, Op::Return]);
        assert!(matches!(x[0], XOp::K { op: Bin::I64And, k } if k.get() == 0xff00_0000_00ff));
        assert!(x.iter().all(|x| x.steps() as u64 <= MAX_FUSED));
    }
}
