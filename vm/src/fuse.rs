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
/// address. `L[x]` is local `x` and `k` a constant, fused only when `x` fits in 16 bits
/// and `k` in 32 (sign-extended), which keeps entries at 16 bytes. "push" pushes the
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
    GetK { op: Bin, a: u16, k: i32 },
    /// `local.get a; const k; op; local.set c`.
    GetKSet { op: Bin, a: u16, k: i32, c: u16 },
    /// `local.get a; const k; op; local.tee c`.
    GetKTee { op: Bin, a: u16, k: i32, c: u16 },
    /// `local.get b; op`: top becomes `op(top, L[b])`.
    Get { op: Bin, b: u16 },
    /// `const k; op`: top becomes `op(top, k)`.
    K { op: Bin, k: i32 },
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

/// An integer constant op's value as a 32-bit immediate, if it fits (sign-extended
/// back to 64 bits it is the constant's bits, up to the high half the `i32` ops ignore).
fn small_const(op: &Op) -> Option<i32> {
    match *op {
        Op::I32Const(v) => Some(v as i32),
        Op::I64Const(v) => i32::try_from(v as i64).ok(),
        _ => None,
    }
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
    let bin = Bin::of;
    let k = small_const;
    match *ops {
        [LocalGet(a), LocalGet(b), ref o, ref n, ..] if bin(o).is_some() => {
            let op = bin(o).unwrap_or(Bin::I32Add);
            match *n {
                LocalSet(c) => XOp::GetGetSet {
                    op,
                    a: l(a),
                    b: l(b),
                    c: l(c),
                },
                LocalTee(c) => XOp::GetGetTee {
                    op,
                    a: l(a),
                    b: l(b),
                    c: l(c),
                },
                _ => match plain_br_if(n) {
                    Some(pc) => XOp::GetGetBrIf {
                        op,
                        a: l(a),
                        b: l(b),
                        pc,
                    },
                    None => XOp::GetGet {
                        op,
                        a: l(a),
                        b: l(b),
                    },
                },
            }
        }
        [LocalGet(a), ref c, ref o, ref n, ..] if k(c).is_some() && bin(o).is_some() => {
            let (op, k) = (bin(o).unwrap_or(Bin::I32Add), k(c).unwrap_or(0));
            if let (I32Add, Some((load, offset))) = (o, Read::of(n)) {
                let k = k as u32;
                return XOp::GetKAddLoad {
                    load,
                    a: l(a),
                    k,
                    offset,
                };
            }
            match *n {
                LocalSet(c) => XOp::GetKSet {
                    op,
                    a: l(a),
                    k,
                    c: l(c),
                },
                LocalTee(c) => XOp::GetKTee {
                    op,
                    a: l(a),
                    k,
                    c: l(c),
                },
                _ => match plain_br_if(n) {
                    Some(pc) => XOp::GetKBrIf { op, a: l(a), k, pc },
                    None => XOp::GetK { op, a: l(a), k },
                },
            }
        }
        [LocalGet(a), LocalGet(b), ref s, ..] if Write::of(s).is_some() => {
            let (store, offset) = Write::of(s).unwrap_or((Write::I32Store, 0));
            XOp::GetGetStore {
                store,
                a: l(a),
                b: l(b),
                offset,
            }
        }
        [LocalGet(a), ref ld, ref n, ..] if Read::of(ld).is_some() => {
            let (load, offset) = Read::of(ld).unwrap_or((Read::I32Load, 0));
            match *n {
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
            }
        }
        [ref c, I32Add, ref ld, ..] if k(c).is_some() && Read::of(ld).is_some() => {
            let (load, offset) = Read::of(ld).unwrap_or((Read::I32Load, 0));
            XOp::KAddLoad {
                load,
                k: k(c).unwrap_or(0) as u32,
                offset,
            }
        }
        [LocalGet(b), ref o, ..] if bin(o).is_some() => XOp::Get {
            op: bin(o).unwrap_or(Bin::I32Add),
            b: l(b),
        },
        [ref c, ref o, ..] if k(c).is_some() && bin(o).is_some() => XOp::K {
            op: bin(o).unwrap_or(Bin::I32Add),
            k: k(c).unwrap_or(0),
        },
        [LocalGet(a), LocalSet(c), ..] => XOp::GetSet { a: l(a), c: l(c) },
        [ref o, ref n, ..] if bin(o).is_some() => {
            let op = bin(o).unwrap_or(Bin::I32Add);
            match *n {
                LocalSet(c) => XOp::BinSet { op, c: l(c) },
                LocalTee(c) => XOp::BinTee { op, c: l(c) },
                _ => match plain_br_if(n) {
                    Some(pc) => XOp::BinBrIf { op, pc },
                    None => XOp::Op(ops[0]),
                },
            }
        }
        [op, ..] => XOp::Op(op),
        [] => XOp::Op(Op::Unreachable),
    }
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
}
