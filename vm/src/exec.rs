//! The interpreter loop: executes ops, one step each, until a step budget runs out, the
//! invocation returns (halt) or traps.
//!
//! Registers live in locals for the duration of a run and are written back at the end.
//! A trapping step leaves the pre-state of that step in place, with `Status::Trapped`.

use crate::machine::{FuncKind, Machine, Status, NO_FUNC};
use crate::memory::{load, Memory};
use crate::numeric;
use crate::ops::Op;
use crate::trap::Trap;

macro_rules! exec_dispatch {
    ($op:expr, $stack:ident, $sp:ident, $mem:ident, $trap:ident, { $($rest:tt)* };
     $(($num:ident, $ncode:literal, $nname:literal, $arity:ident, $f:ident, $nclass:ident))* ;
     $(($m:ident, $mcode:literal, $mname:literal, $bytes:literal, $kind:ident, $mclass:ident))*) => {
        match $op {
            $( Op::$num => exec_dispatch!(@$arity $f, $stack, $sp, $trap), )*
            $( Op::$m { offset } => exec_dispatch!(@$kind $bytes, offset, $stack, $sp, $mem, $trap), )*
            $($rest)*
        }
    };
    (@unary $f:ident, $stack:ident, $sp:ident, $trap:ident) => {{
        let top = $sp as usize - 1;
        match numeric::$f($stack[top]) {
            Ok(v) => $stack[top] = v,
            Err(t) => $trap!(t),
        }
    }};
    (@binary $f:ident, $stack:ident, $sp:ident, $trap:ident) => {{
        let top = $sp as usize - 1;
        match numeric::$f($stack[top - 1], $stack[top]) {
            Ok(v) => {
                $stack[top - 1] = v;
                $sp -= 1;
            }
            Err(t) => $trap!(t),
        }
    }};
    (@store $bytes:literal, $offset:ident, $stack:ident, $sp:ident, $mem:ident, $trap:ident) => {{
        let top = $sp as usize - 1;
        match $mem.store::<$bytes>($stack[top - 1], $offset, $stack[top]) {
            Ok(()) => $sp -= 2,
            Err(t) => $trap!(t),
        }
    }};
    (@$kind:ident $bytes:literal, $offset:ident, $stack:ident, $sp:ident, $mem:ident, $trap:ident) => {{
        let top = $sp as usize - 1;
        match $mem.read::<$bytes>($stack[top], $offset) {
            Ok(b) => $stack[top] = load::$kind(b),
            Err(t) => $trap!(t),
        }
    }};
}

/// Receives the numeric table and asks for the memory table, numeric entries first.
macro_rules! exec_with_memory {
    ($op:expr, $stack:ident, $sp:ident, $mem:ident, $trap:ident, { $($rest:tt)* }; $($num:tt)*) => {
        crate::for_each_memory_op!(exec_dispatch! { $op, $stack, $sp, $mem, $trap, { $($rest)* }; $($num)* ; })
    };
}

/// Expands to one `match` over every op: generated numeric and memory arms, then `rest`.
macro_rules! exec_all {
    ($op:expr, $stack:ident, $sp:ident, $mem:ident, $trap:ident, { $($rest:tt)* }) => {
        crate::for_each_numeric_op!(exec_with_memory! { $op, $stack, $sp, $mem, $trap, { $($rest)* }; })
    };
}

impl Machine {
    /// Executes up to `budget` steps; returns how many ran. Stops early when the
    /// invocation halts or traps. A machine that is not running does nothing.
    pub fn run(&mut self, budget: u64) -> u64 {
        if self.status != Status::Running || budget == 0 {
            return 0;
        }
        let Machine {
            ref config,
            ref code,
            ref br_targets,
            ref funcs,
            ref types,
            ref tables,
            ref mut globals,
            ref mut memories,
            ref mut stack,
            ref mut frames,
            ..
        } = *self;
        let mut pc = self.pc;
        let mut sp = self.sp;
        let mut fp = self.fp;
        let mut func = self.func;
        let mut status = Status::Running;
        let mut no_memory = Memory::new(0, Some(0));
        let memory_of = |f: u32| match funcs.get(f as usize).map(|f| &f.kind) {
            Some(FuncKind::Wasm(w)) => w.memory,
            _ => None,
        };
        let mut mem: &mut Memory = match memory_of(func) {
            Some(m) => &mut memories[m as usize],
            None => &mut no_memory,
        };
        let max_depth = config.max_call_depth as usize;
        let capacity = stack.len() as u32;
        // Plain slices: their pointer and length stay in registers across the loop.
        let stack: &mut [u64] = stack;
        let code: &[Op] = code;

        let mut remaining = budget;
        while remaining > 0 {
            remaining -= 1;
            let op_pc = pc;
            let op_sp = sp;
            let op = code[pc as usize];
            pc += 1;

            macro_rules! trap {
                ($t:expr) => {{
                    pc = op_pc;
                    sp = op_sp;
                    status = Status::Trapped($t);
                    break;
                }};
            }
            macro_rules! branch {
                ($t:expr) => {{
                    let t = $t;
                    if t.drop != 0 {
                        let from = (sp - t.keep) as usize;
                        let to = from - t.drop as usize;
                        stack.copy_within(from..sp as usize, to);
                        sp -= t.drop;
                    }
                    pc = t.pc;
                }};
            }
            macro_rules! call {
                ($callee:expr) => {{
                    let callee: u32 = $callee;
                    match &funcs[callee as usize].kind {
                        FuncKind::Wasm(w) => {
                            let new_fp = sp - w.num_params;
                            let new_sp = new_fp + w.num_locals;
                            if frames.len() >= max_depth
                                || new_sp as u64 + w.max_height as u64 > capacity as u64
                            {
                                trap!(Trap::CallStackExhausted);
                            }
                            frames.push(crate::machine::Frame {
                                func,
                                fp,
                                ret_pc: pc,
                            });
                            stack[sp as usize..new_sp as usize].fill(0);
                            fp = new_fp;
                            sp = new_sp;
                            pc = w.entry;
                            func = callee;
                            if let Some(m) = w.memory {
                                mem = &mut memories[m as usize];
                            }
                        }
                        FuncKind::Host(h) => {
                            let ty = &types[funcs[callee as usize].type_id as usize];
                            let args_at = (sp as usize) - ty.params.len();
                            match h(&stack[args_at..sp as usize]) {
                                Ok(results) if results.len() == ty.results.len() => {
                                    stack[args_at..args_at + results.len()]
                                        .copy_from_slice(&results);
                                    sp = (args_at + results.len()) as u32;
                                }
                                _ => trap!(Trap::HostError),
                            }
                        }
                    }
                }};
            }

            exec_all!(op, stack, sp, mem, trap, {
            Op::Nop | Op::Block | Op::Loop | Op::End => {}
            Op::Unreachable => trap!(Trap::Unreachable),
            Op::If { else_pc } => {
                sp -= 1;
                if stack[sp as usize] as u32 == 0 {
                    pc = else_pc;
                }
            }
            Op::Else { end_pc } => pc = end_pc,
            Op::Br(t) => branch!(t),
            Op::BrIf(t) => {
                sp -= 1;
                if stack[sp as usize] as u32 != 0 {
                    branch!(t);
                }
            }
            Op::BrTable { start, len } => {
                sp -= 1;
                let i = (stack[sp as usize] as u32).min(len);
                branch!(br_targets[(start + i) as usize]);
            }
            Op::Return => {
                let n = match &funcs[func as usize].kind {
                    FuncKind::Wasm(w) => w.num_results,
                    FuncKind::Host(_) => 0,
                };
                stack.copy_within((sp - n) as usize..sp as usize, fp as usize);
                sp = fp + n;
                match frames.pop() {
                    Some(caller) => {
                        pc = caller.ret_pc;
                        fp = caller.fp;
                        func = caller.func;
                        if let Some(m) = memory_of(func) {
                            mem = &mut memories[m as usize];
                        }
                    }
                    None => {
                        func = NO_FUNC;
                        status = Status::Halted;
                        break;
                    }
                }
            }
            Op::Call(callee) => call!(callee),
            Op::CallIndirect { type_id, table } => {
                let i = stack[sp as usize - 1] as u32;
                let callee = match tables[table as usize].elems.get(i as usize) {
                    None => trap!(Trap::UndefinedElement),
                    Some(None) => trap!(Trap::UninitializedElement),
                    Some(Some(f)) => *f,
                };
                if funcs[callee as usize].type_id != type_id {
                    trap!(Trap::IndirectCallTypeMismatch);
                }
                sp -= 1;
                call!(callee);
            }
            Op::Drop => sp -= 1,
            Op::Select => {
                let top = sp as usize - 1;
                if stack[top] as u32 == 0 {
                    stack[top - 2] = stack[top - 1];
                }
                sp -= 2;
            }
            Op::LocalGet(i) => {
                stack[sp as usize] = stack[(fp + i) as usize];
                sp += 1;
            }
            Op::LocalSet(i) => {
                sp -= 1;
                stack[(fp + i) as usize] = stack[sp as usize];
            }
            Op::LocalTee(i) => stack[(fp + i) as usize] = stack[sp as usize - 1],
            Op::GlobalGet(g) => {
                stack[sp as usize] = globals[g as usize];
                sp += 1;
            }
            Op::GlobalSet(g) => {
                sp -= 1;
                globals[g as usize] = stack[sp as usize];
            }
            Op::MemorySize => {
                stack[sp as usize] = mem.pages() as u64;
                sp += 1;
            }
            Op::MemoryGrow => {
                let top = sp as usize - 1;
                stack[top] = match mem.grow(stack[top] as u32) {
                    Some(old) => old as u64,
                    None => u32::MAX as u64,
                };
            }
            Op::I32Const(v) | Op::F32Const(v) => {
                stack[sp as usize] = v as u64;
                sp += 1;
            }
            Op::I64Const(v) | Op::F64Const(v) => {
                stack[sp as usize] = v;
                sp += 1;
            }
            });
        }

        let ran = budget - remaining;
        self.pc = pc;
        self.sp = sp;
        self.fp = fp;
        self.func = func;
        self.status = status;
        self.steps += ran;
        ran
    }
}
