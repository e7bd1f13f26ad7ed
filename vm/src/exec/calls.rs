//! Calls and returns, outside the interpreter loop's hot path.
//!
//! Why: with the call and return sequences inlined into `run_loop`, LLVM keeps `sp`, `fp`
//! and the value stack's base on the native stack and reloads them in every op (seen with
//! `perf annotate` on the kernels of `vm/benches/kernels.wat`). Out of line they cost a
//! function call where the pc leaves the function anyway, and the loop's registers stay
//! in registers.

use super::slots::Slots;
use crate::machine::{Frame, FuncInst, FuncKind, Table};
use crate::module::FuncType;
use crate::trap::Trap;

/// The interpreter's registers that a call or return moves.
pub(super) struct Regs {
    /// Where execution continues (for a call: the return address on entry).
    pub(super) pc: u32,
    /// Stack pointer.
    pub(super) sp: u32,
    /// Frame pointer.
    pub(super) fp: u32,
    /// Store address of the running function.
    pub(super) func: u32,
}

/// What calls and returns read and the frame stack they change.
pub(super) struct Calls<'a> {
    /// The store's functions.
    pub(super) funcs: &'a [FuncInst],
    /// The store's canonical types.
    pub(super) types: &'a [FuncType],
    /// The store's tables.
    pub(super) tables: &'a [Table],
    /// The call stack.
    pub(super) frames: &'a mut Vec<Frame>,
    /// The most frames there may be.
    pub(super) max_depth: usize,
    /// The value stack's slots.
    pub(super) capacity: u32,
}

impl Calls<'_> {
    /// Calls `callee` with its arguments on top of the stack below `popped` operands of
    /// the call itself. On success `r` is the callee's entry (or, for a host function,
    /// the caller after it) and the result is the memory to switch to, if it changes;
    /// on a trap nothing changed.
    #[inline(never)]
    pub(super) fn call(
        &mut self,
        stack: &mut Slots,
        r: &mut Regs,
        callee: u32,
        popped: u32,
    ) -> Result<Option<u32>, Trap> {
        // The call's own operands (`call_indirect`'s index) go only once it cannot trap
        // any more.
        let args_end = r.sp - popped;
        match &self.funcs[callee as usize].kind {
            FuncKind::Wasm(w) => {
                let new_fp = args_end - w.num_params;
                let new_sp = new_fp + w.num_locals;
                if self.frames.len() >= self.max_depth
                    || new_sp as u64 + w.max_height as u64 > self.capacity as u64
                {
                    return Err(Trap::CallStackExhausted);
                }
                self.frames.push(Frame {
                    func: r.func,
                    fp: r.fp,
                    ret_pc: r.pc,
                });
                stack.all()[args_end as usize..new_sp as usize].fill(0);
                *r = Regs {
                    pc: w.entry,
                    sp: new_sp,
                    fp: new_fp,
                    func: callee,
                };
                Ok(w.memory)
            }
            FuncKind::Host(h) => {
                let ty = &self.types[self.funcs[callee as usize].type_id as usize];
                let args_at = args_end as usize - ty.params.len();
                match h(&stack.all()[args_at..args_end as usize]) {
                    Ok(results) if results.len() == ty.results.len() => {
                        stack.all()[args_at..args_at + results.len()].copy_from_slice(&results);
                        r.sp = (args_at + results.len()) as u32;
                        Ok(None)
                    }
                    _ => Err(Trap::HostError),
                }
            }
        }
    }

    /// `call_indirect` through `table` expecting type `type_id`, the element index on
    /// top of the stack: as [`Calls::call`].
    #[inline(never)]
    pub(super) fn call_indirect(
        &mut self,
        stack: &mut Slots,
        r: &mut Regs,
        type_id: u32,
        table: u32,
    ) -> Result<Option<u32>, Trap> {
        let i = stack[r.sp as usize - 1] as u32;
        let callee = match self.tables[table as usize].elems.get(i as usize) {
            None => return Err(Trap::UndefinedElement),
            Some(None) => return Err(Trap::UninitializedElement),
            Some(Some(f)) => *f,
        };
        if self.funcs[callee as usize].type_id != type_id {
            return Err(Trap::IndirectCallTypeMismatch);
        }
        self.call(stack, r, callee, 1)
    }

    /// Returns from the running function: its results replace its frame. `Some(memory)`
    /// with `r` at the caller (the memory to switch to, if any), or `None` when there is
    /// no caller (the invocation ends; `r.sp` is past the results).
    #[inline(never)]
    pub(super) fn ret(&mut self, stack: &mut Slots, r: &mut Regs) -> Option<Option<u32>> {
        let n = match &self.funcs[r.func as usize].kind {
            FuncKind::Wasm(w) => w.num_results,
            FuncKind::Host(_) => 0,
        };
        stack
            .all()
            .copy_within((r.sp - n) as usize..r.sp as usize, r.fp as usize);
        r.sp = r.fp + n;
        let caller = self.frames.pop()?;
        *r = Regs {
            pc: caller.ret_pc,
            sp: r.sp,
            fp: caller.fp,
            func: caller.func,
        };
        Some(self.memory_of(caller.func))
    }

    /// The memory of function `f`, if it is a Wasm function with one.
    pub(super) fn memory_of(&self, f: u32) -> Option<u32> {
        match self.funcs.get(f as usize).map(|f| &f.kind) {
            Some(FuncKind::Wasm(w)) => w.memory,
            _ => None,
        }
    }
}
