//! The interpreter loop: executes ops, one step each, until a step budget runs out, the
//! invocation returns (halt) or traps.
//!
//! Registers live in locals for the duration of a run and are written back at the end.
//! A trapping step leaves the pre-state of that step in place, with `Status::Trapped`.

use crate::fuse::{XOp, MAX_FUSED};
use crate::machine::{FuncKind, Machine, Status, NO_FUNC};
use crate::memory::{load, Memory};
use crate::numeric;
use crate::ops::Op;
use crate::trap::Trap;
use slots::Slots;

mod slots;

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
        // Whole straight-line segments while the budget covers them, then single steps.
        let mut remaining = self.run_loop::<true>(budget);
        if self.status == Status::Running && remaining > 0 {
            remaining = self.run_loop::<false>(remaining);
        }
        let ran = budget - remaining;
        self.steps += ran;
        ran
    }

    /// The interpreter loop; returns the budget left. `FAST`: runs only while the
    /// budget covers the whole straight-line segment ahead (`Machine::segments`), and
    /// counts steps only where the pc stops moving linearly (a jump, call, return or
    /// trap), as the pc distance since the last such point: within a segment, steps
    /// are pc increments, one per Wasm instruction (a fused op moves pc by the number
    /// of ops it covers). Not `FAST`: counts every op and runs fused ops only while at
    /// least [`MAX_FUSED`] steps remain, for the last steps of a budget.
    fn run_loop<const FAST: bool>(&mut self, budget: u64) -> u64 {
        let Machine {
            ref config,
            ref code,
            ref exec,
            ref segments,
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
        let mut stack = Slots::new(stack);
        let code: &[Op] = code;

        let exec: &[XOp] = exec;
        let segments: &[u32] = segments;

        let mut remaining = budget;
        // FAST: where the current segment started (steps since = pc - base_pc).
        let mut base_pc = pc;
        if FAST && segments[pc as usize] as u64 > remaining {
            return remaining;
        }
        loop {
            // Fused entries only while they cannot overrun the budget.
            let x = if FAST || remaining >= MAX_FUSED {
                exec[pc as usize]
            } else if remaining > 0 {
                XOp::Op(code[pc as usize])
            } else {
                break;
            };
            let at = pc;

            // Advances past an entry of `$n` steps.
            macro_rules! step {
                ($n:expr) => {{
                    let n: u32 = $n;
                    pc += n;
                    if !FAST {
                        remaining -= n as u64;
                    }
                }};
            }
            // FAST: after an op that ended the segment (`$end`: the pc after it) and
            // set `pc`, counts the segment's steps and stops unless the budget covers
            // the next one.
            macro_rules! settle {
                ($end:expr) => {{
                    if FAST {
                        remaining -= ($end - base_pc) as u64;
                        base_pc = pc;
                        if segments[pc as usize] as u64 > remaining {
                            break;
                        }
                    }
                }};
            }

            // A step that traps: the machine stays at its pre-state, at `pc` `$at`.
            // (The trapping step counts as run.)
            macro_rules! fault {
                ($at:expr, $t:expr) => {{
                    pc = $at;
                    if FAST {
                        remaining -= (pc + 1 - base_pc) as u64;
                    }
                    status = Status::Trapped($t);
                    break;
                }};
            }
            macro_rules! local {
                ($i:expr) => {
                    stack[(fp + $i as u32) as usize]
                };
            }
            macro_rules! push {
                ($v:expr) => {{
                    stack[sp as usize] = $v;
                    sp += 1;
                }};
            }
            let op = match x {
                XOp::Op(op) => op,
                fused => {
                    let n = fused.steps();
                    step!(n);
                    match fused {
                        XOp::Op(_) => {}
                        XOp::GetGet { op, a, b } => push!(op.apply(local!(a), local!(b))),
                        XOp::GetGetSet { op, a, b, c } => {
                            local!(c) = op.apply(local!(a), local!(b))
                        }
                        XOp::GetGetTee { op, a, b, c } => {
                            let v = op.apply(local!(a), local!(b));
                            local!(c) = v;
                            push!(v);
                        }
                        XOp::GetK { op, a, k } => push!(op.apply(local!(a), k.get())),
                        XOp::GetKSet { op, a, k, c } => {
                            local!(c) = op.apply(local!(a), k as i64 as u64)
                        }
                        XOp::GetKTee { op, a, k, c } => {
                            let v = op.apply(local!(a), k as i64 as u64);
                            local!(c) = v;
                            push!(v);
                        }
                        XOp::Get { op, b } => {
                            let top = sp as usize - 1;
                            stack[top] = op.apply(stack[top], local!(b));
                        }
                        XOp::K { op, k } => {
                            let top = sp as usize - 1;
                            stack[top] = op.apply(stack[top], k.get());
                        }
                        XOp::BinSet { op, c } => {
                            let top = sp as usize - 1;
                            let v = op.apply(stack[top - 1], stack[top]);
                            sp -= 2;
                            local!(c) = v;
                        }
                        XOp::BinTee { op, c } => {
                            let top = sp as usize - 1;
                            let v = op.apply(stack[top - 1], stack[top]);
                            stack[top - 1] = v;
                            sp -= 1;
                            local!(c) = v;
                        }
                        XOp::GetLoad { load, a, offset } => {
                            let base = local!(a);
                            match load.read(mem, base, offset) {
                                Ok(v) => push!(v),
                                Err(t) => {
                                    push!(base);
                                    fault!(at + 1, t)
                                }
                            }
                        }
                        XOp::GetLoadSet { load, a, offset, c } => {
                            let base = local!(a);
                            match load.read(mem, base, offset) {
                                Ok(v) => local!(c) = v,
                                Err(t) => {
                                    if !FAST {
                                        remaining += 1;
                                    }
                                    push!(base);
                                    fault!(at + 1, t)
                                }
                            }
                        }
                        XOp::GetKAddLoad { load, a, k, offset } => {
                            let base = (local!(a) as u32).wrapping_add(k) as u64;
                            match load.read(mem, base, offset) {
                                Ok(v) => push!(v),
                                Err(t) => {
                                    push!(base);
                                    fault!(at + 3, t)
                                }
                            }
                        }
                        XOp::KAddLoad { load, k, offset } => {
                            let top = sp as usize - 1;
                            let base = (stack[top] as u32).wrapping_add(k) as u64;
                            match load.read(mem, base, offset) {
                                Ok(v) => stack[top] = v,
                                Err(t) => {
                                    stack[top] = base;
                                    fault!(at + 2, t)
                                }
                            }
                        }
                        XOp::GetGetStore {
                            store,
                            a,
                            b,
                            offset,
                        } => {
                            let (base, value) = (local!(a), local!(b));
                            if let Err(t) = store.write(mem, base, offset, value) {
                                push!(base);
                                push!(value);
                                fault!(at + 2, t)
                            }
                        }
                        XOp::GetSet { a, c } => local!(c) = local!(a),
                        XOp::BinBrIf { op, pc: target } => {
                            let top = sp as usize - 1;
                            let v = op.apply(stack[top - 1], stack[top]);
                            sp -= 2;
                            if v as u32 != 0 {
                                pc = target;
                            }
                            settle!(at + n);
                        }
                        XOp::GetGetBrIf {
                            op,
                            a,
                            b,
                            pc: target,
                        } => {
                            if op.apply(local!(a), local!(b)) as u32 != 0 {
                                pc = target;
                            }
                            settle!(at + n);
                        }
                        XOp::GetKBrIf {
                            op,
                            a,
                            k,
                            pc: target,
                        } => {
                            if op.apply(local!(a), k as i64 as u64) as u32 != 0 {
                                pc = target;
                            }
                            settle!(at + n);
                        }
                    }
                    continue;
                }
            };
            step!(1);

            macro_rules! trap {
                ($t:expr) => {
                    fault!(at, $t)
                };
            }
            macro_rules! branch {
                ($t:expr) => {{
                    let t = $t;
                    if t.drop != 0 {
                        let from = (sp - t.keep) as usize;
                        let to = from - t.drop as usize;
                        stack.all().copy_within(from..sp as usize, to);
                        sp -= t.drop;
                    }
                    pc = t.pc;
                }};
            }
            macro_rules! call {
                ($callee:expr, $popped:expr) => {{
                    let callee: u32 = $callee;
                    // The call's own operands (`call_indirect`'s index) go only once it
                    // cannot trap any more.
                    let args_end = sp - $popped;
                    match &funcs[callee as usize].kind {
                        FuncKind::Wasm(w) => {
                            let new_fp = args_end - w.num_params;
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
                            stack.all()[args_end as usize..new_sp as usize].fill(0);
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
                            let args_at = args_end as usize - ty.params.len();
                            match h(&stack.all()[args_at..args_end as usize]) {
                                Ok(results) if results.len() == ty.results.len() => {
                                    stack.all()[args_at..args_at + results.len()]
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
                settle!(at + 1);
            }
            Op::Else { end_pc } => {
                pc = end_pc;
                settle!(at + 1);
            }
            Op::Br(t) => {
                branch!(t);
                settle!(at + 1);
            }
            Op::BrIf(t) => {
                sp -= 1;
                if stack[sp as usize] as u32 != 0 {
                    branch!(t);
                }
                settle!(at + 1);
            }
            Op::BrTable { start, len } => {
                sp -= 1;
                let i = (stack[sp as usize] as u32).min(len);
                branch!(br_targets[(start + i) as usize]);
                settle!(at + 1);
            }
            Op::Return => {
                let n = match &funcs[func as usize].kind {
                    FuncKind::Wasm(w) => w.num_results,
                    FuncKind::Host(_) => 0,
                };
                stack.all().copy_within((sp - n) as usize..sp as usize, fp as usize);
                sp = fp + n;
                match frames.pop() {
                    Some(caller) => {
                        pc = caller.ret_pc;
                        fp = caller.fp;
                        func = caller.func;
                        if let Some(m) = memory_of(func) {
                            mem = &mut memories[m as usize];
                        }
                        settle!(at + 1);
                    }
                    None => {
                        if FAST {
                            remaining -= (at + 1 - base_pc) as u64;
                        }
                        func = NO_FUNC;
                        status = Status::Halted;
                        break;
                    }
                }
            }
            Op::Call(callee) => {
                call!(callee, 0);
                settle!(at + 1);
            }
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
                call!(callee, 1);
                settle!(at + 1);
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

        self.pc = pc;
        self.sp = sp;
        self.fp = fp;
        self.func = func;
        self.status = status;
        remaining
    }
}
