//! The executor's view of the code: one [`XOp`] per code address, where common
//! straight-line sequences of ops (as LLVM emits them: `local.get a; local.get b;
//! i32.add; local.set c`, address arithmetic before a load, a compare before `br_if`)
//! are fused into one op that the interpreter dispatches once. Each fused shape × op
//! is its own variant of [`XOp`] (`xop.rs`), so one jump dispatches an entry.
//!
//! Fusion never changes what a step is. `exec[pc]` covers the ops `code[pc..pc + n]`
//! (`n` steps, as the shape tables of `xop.rs` say) and has exactly their effect on the committed state (locals,
//! operands below the stack pointer, memory, pc); the interpreter counts `n` steps for
//! it and only runs it when at least [`MAX_FUSED`] steps of budget remain, so a budget
//! never ends inside a fusion. Every other address keeps its own entry, so a branch into
//! the middle of a fused sequence runs from there. A fused op that would trap (a memory
//! access out of bounds) completes the ops before the trapping one and traps at it, as
//! the single ops would. The committed code (`Machine::code`) is unchanged.

use crate::ops::Op;

pub(crate) use xop::{
    for_each_bin_op, for_each_bin_shape, for_each_load_op, for_each_load_shape, for_each_store_op,
    for_each_store_shape, with_xop_tables, Imm, XOp,
};
use xop::{Bin, Read, Write};

mod xop;

/// The most steps one fused op covers.
pub(crate) const MAX_FUSED: u64 = 8;

/// The most steps a fused op with 16-bit local indices covers (longer ones hold 8-bit
/// indices and check them themselves).
const WIDE_FUSED: usize = 5;

/// An integer constant op's bits (an `i32` sign-extended: the `i32` ops read only the
/// low half).
fn konst(op: &Op) -> Option<Imm> {
    let bits = match *op {
        Op::I32Const(v) => v as i32 as i64 as u64,
        Op::I64Const(v) => v,
        _ => return None,
    };
    Some(Imm::new(bits))
}

/// The local a `local.get` reads.
fn local_get(op: &Op) -> Option<u32> {
    match *op {
        Op::LocalGet(i) => Some(i),
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
        Some(_) if ops.iter().take(WIDE_FUSED).all(narrow) => longest(ops),
        Some(&first) => XOp::single(first),
        None => XOp::Unreachable,
    }
}

/// The longest fusion starting at `ops[0]`, whose local indices fit in 16 bits (in the
/// first [`WIDE_FUSED`] ops).
fn longest(ops: &[Op]) -> XOp {
    use Op::{I32Add, LocalGet, LocalSet, LocalTee};
    // Local indices of the first WIDE_FUSED ops fit in 16 bits (`fuse_at`).
    let l = |i: u32| i as u16;
    if let [LocalGet(a), ref c, ref o, ref c2, ref o2, LocalGet(b), ref o3, ref o4, ..] = *ops {
        if let (Some(k), Some(op), Some(k2), Some(op2), Some(op3), Some(op4)) = (
            konst(c),
            Bin::of(o),
            konst(c2),
            Bin::of(o2),
            Bin::of(o3),
            Bin::of(o4),
        ) {
            let narrow = (
                u8::try_from(a),
                u8::try_from(b),
                k.small().map(i8::try_from),
            );
            if let (Ok(a), Ok(b), Some(Ok(k))) = narrow {
                return op.get_k_k_get_bin(a, k, k2, b, op2, op3, op4);
            }
        }
    }
    if let [ref c, ref o, LocalGet(b), ref o2, ref o3, ..] = *ops {
        if let (Some(k), Some(op), Some(op2), Some(op3)) =
            (konst(c), Bin::of(o), Bin::of(o2), Bin::of(o3))
        {
            return op.k_get_bin(k, l(b), op2, op3);
        }
    }
    if let [ref c, ref o, ref c2, ref o2, ..] = *ops {
        if let (Some(k), Some(op), Some(k2), Some(op2)) =
            (konst(c), Bin::of(o), konst(c2), Bin::of(o2))
        {
            if let Some(k2) = k2.tiny() {
                return op.k_k(k, k2, op2);
            }
        }
        if let (Some(k), Some(op), Some(b), Some(op2)) =
            (konst(c), Bin::of(o), local_get(c2), Bin::of(o2))
        {
            return op.k_get(k, l(b), op2);
        }
    }
    if let [LocalGet(a), LocalGet(b), ref o, ref n, ..] = *ops {
        let (a, b) = (l(a), l(b));
        if let Some(op) = Bin::of(o) {
            return match (*n, plain_br_if(n)) {
                (LocalSet(c), _) => op.get_get_set(a, b, l(c)),
                (LocalTee(c), _) => op.get_get_tee(a, b, l(c)),
                (_, Some(to)) => op.get_get_br_if(a, b, to),
                _ => op.get_get(a, b),
            };
        }
        if let Some((store, offset)) = Write::of(o) {
            return store.get_get_store(a, b, offset);
        }
    }
    if let [LocalGet(a), ref c, ref o, ref n, ..] = *ops {
        let a = l(a);
        if let (Some(k), Some(op)) = (konst(c), Bin::of(o)) {
            return match (*n, Read::of(n), plain_br_if(n), k.small()) {
                (_, Some((load, offset)), _, _) if *o == I32Add => {
                    load.get_k_add_load(a, k.lo(), offset)
                }
                (LocalSet(c), _, _, Some(k)) => op.get_k_set(a, k, l(c)),
                (LocalTee(c), _, _, Some(k)) => op.get_k_tee(a, k, l(c)),
                (_, _, Some(to), Some(k)) => op.get_k_br_if(a, k, to),
                _ => op.get_k(a, k),
            };
        }
        if let Some((load, offset)) = Read::of(c) {
            return match *o {
                LocalSet(c) => load.get_load_set(a, offset, l(c)),
                _ => load.get_load(a, offset),
            };
        }
    }
    if let [LocalGet(b), ref o, ref o2, ..] = *ops {
        if let (Some(op), Some(op2)) = (Bin::of(o), Bin::of(o2)) {
            return op.get_bin(l(b), op2);
        }
    }
    if let [ref c, ref o, LocalTee(t), ..] = *ops {
        if let (Some(k), Some(op)) = (konst(c), Bin::of(o)) {
            return op.k_tee(k, l(t));
        }
    }
    if let [ref c, I32Add, ref ld, ..] = *ops {
        if let (Some(k), Some((load, offset))) = (konst(c), Read::of(ld)) {
            return load.k_add_load(k.lo(), offset);
        }
    }
    if let [ref first, ref o, ..] = *ops {
        if let Some(op) = Bin::of(o) {
            if let LocalGet(b) = *first {
                return op.get(l(b));
            }
            if let Some(k) = konst(first) {
                return op.k(k);
            }
        }
        if let (LocalGet(a), LocalSet(c)) = (*first, *o) {
            return XOp::GetSet { a: l(a), c: l(c) };
        }
        if let Some(op) = Bin::of(first) {
            match (*o, plain_br_if(o)) {
                (LocalSet(c), _) => return op.set(l(c)),
                (LocalTee(c), _) => return op.tee(l(c)),
                (_, Some(to)) => return op.br_if(to),
                _ => {}
            }
        }
    }
    XOp::single(ops[0])
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
        assert_eq!(x[0], XOp::GetGetSetI32Add { a: 0, b: 1, c: 2 });
        assert_eq!(x[0].steps(), 4);
        assert_eq!(
            x[4],
            XOp::GetKAddLoadI32Load8S {
                a: 2,
                k: 8,
                offset: 4
            }
        );
        assert_eq!(x[8], XOp::Drop);
        assert!(x.iter().all(|x| x.steps() as u64 <= MAX_FUSED));
    }

    #[test]
    fn constants_keep_their_bits() {
        let set = |k: Op| fuse(&[Op::LocalGet(0), k, Op::I64Add, Op::LocalSet(1), Op::Return]);
        // Sign-extends from 32 bits: fused with a 32-bit immediate.
        let x = set(Op::I64Const(-5i64 as u64));
        assert_eq!(x[0], XOp::GetKSetI64Add { a: 0, k: -5, c: 1 });
        // Does not: only the full-width `GetK` may hold it.
        for k in [0x8000_0000, 1 << 32, u64::MAX >> 1] {
            let x = set(Op::I64Const(k));
            assert!(
                matches!(x[0], XOp::GetKI64Add { k: imm, .. } if imm.get() == k),
                "{k:#x}"
            );
        }
        let x = fuse(&[Op::I64Const(0xff00_0000_00ff), Op::I64And, Op::Return]);
        assert!(matches!(x[0], XOp::KI64And { k } if k.get() == 0xff00_0000_00ff));
        assert!(x.iter().all(|x| x.steps() as u64 <= MAX_FUSED));
    }

    #[test]
    fn chains_fuse_with_second_ops() {
        use Op::*;
        let mask = I64Const(0x000f_000f_000f_000f);
        // The SWAR unpack-and-accumulate: `(x >> 4 & mask) * a + acc`.
        let code = [
            LocalGet(0),
            I64Const(4),
            I64ShrU,
            mask,
            I64And,
            LocalGet(1),
            I64Mul,
            I64Add,
            I64Const(0x8000_0000),
            I64Add,
            I64Const(-3i64 as u64),
            I64ShrS,
            I64Const(7),
            I64Xor,
            LocalTee(2),
            LocalGet(3),
            I64Sub,
            I64Or,
            Return,
        ];
        let x = fuse(&code);
        assert!(matches!(
            x[0],
            XOp::GetKKGetBinI64ShrU {
                a: 0,
                k: 4,
                k2,
                b: 1,
                op2: Bin::I64And,
                op3: Bin::I64Mul,
                op4: Bin::I64Add
            } if k2.get() == 0x000f_000f_000f_000f
        ));
        assert_eq!(x[0].steps(), 8);
        assert!(matches!(
            x[3],
            XOp::KGetBinI64And { k, b: 1, op2: Bin::I64Mul, op3: Bin::I64Add }
                if k.get() == 0x000f_000f_000f_000f
        ));
        assert!(matches!(
            x[5],
            XOp::GetBinI64Mul {
                b: 1,
                op2: Bin::I64Add
            }
        ));
        assert!(matches!(
            x[8],
            XOp::KKI64Add { k, k2: -3, op2: Bin::I64ShrS } if k.get() == 0x8000_0000
        ));
        assert!(matches!(x[12], XOp::KTeeI64Xor { k, c: 2 } if k.get() == 7));
        assert!(matches!(
            x[15],
            XOp::GetBinI64Sub {
                b: 3,
                op2: Bin::I64Or
            }
        ));
        // With a local past 8 bits, the unpack is two entries.
        let mut wide = code;
        wide[0] = LocalGet(300);
        let x = fuse(&wide);
        assert!(matches!(x[0], XOp::GetKI64ShrU { a: 300, k } if k.get() == 4));
        assert!(matches!(x[3], XOp::KGetBinI64And { .. }));
        // A second constant that does not fit in 16 bits ends the chain; a constant
        // followed by a local and one op is `KGet`.
        let x = fuse(&[I64Const(1), I64Add, I64Const(1 << 20), I64Mul, Return]);
        assert!(matches!(x[0], XOp::KI64Add { .. }));
        let x = fuse(&[
            I32Const(1),
            I32Add,
            LocalGet(4),
            I32Shl,
            LocalSet(0),
            Return,
        ]);
        assert!(matches!(
            x[0],
            XOp::KGetI32Add {
                b: 4,
                op2: Bin::I32Shl,
                ..
            }
        ));
        assert!(x.iter().all(|x| x.steps() as u64 <= MAX_FUSED));
    }

    #[test]
    fn single_keeps_the_op() {
        let t = crate::ops::BranchTarget {
            pc: 7,
            drop: 1,
            keep: 1,
        };
        assert_eq!(XOp::single(Op::BrIf(t)), XOp::BrIf(t));
        assert_eq!(XOp::single(Op::If { else_pc: 3 }), XOp::If { else_pc: 3 });
        assert_eq!(XOp::single(Op::I64Const(9)), XOp::I64Const(9));
        assert_eq!(
            XOp::single(Op::I32Store8 { offset: 2 }),
            XOp::I32Store8 { offset: 2 }
        );
        assert_eq!(XOp::single(Op::I64Popcnt), XOp::I64Popcnt);
    }
}
