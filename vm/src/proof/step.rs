//! The one-step semantics over committed state: the executable specification the
//! Solidity verifier implements.
//!
//! [`step`] takes the pre-state's fields from a [`Witness`], checks every item it reads
//! against the commitment it belongs to, executes one instruction on the commitments
//! and returns the post-state root. It mirrors `exec.rs` instruction by instruction;
//! the proof tests check the two agree on every step of real runs.
//!
//! Read it side by side with the Solidity verifier: each function here has a function
//! of the same name there (camelCase, `_` before private ones) and the Solidity files
//! list theirs in this file's order (`WasmStep.sol`: `step`, `fetch`, `exec`,
//! `numeric`, `memory_access`, `update_leaves`; `ProofReader.sol`: `check_path`, `pop`,
//! `push`; `StepOps.sol`: `branch` to `memory_grow`). `exec` matches every op
//! exhaustively, control ops in the order of their table, as the Solidity dispatch does.

use super::witness::Witness;
use super::{ProofError, MAX_CALL_DEPTH, STACK_SLOTS};
use crate::commit::{
    branch_word, memories_commitment, op_from_word, push_frame, push_value, status_byte,
    tables_commitment, FrameRecord, FunctionWord, MemoryFields, ProgramFields, StateFields,
    EMPTY_CHAIN, FUNC_KIND_WASM, NO_MEMORY,
};
use crate::machine::{Status, NO_FUNC};
use crate::memory::{load, LEAF_SIZE, PAGE_SIZE};
use crate::merkle::{height_for, root_from_path, root_of, value_leaf, Hash};
use crate::numeric;
use crate::ops::{BranchTarget, Op, UnknownOpcode};
use crate::trap::Trap;

/// What one verified step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepOutcome {
    /// The pre-state root the proof claimed and proved.
    pub pre_root: Hash,
    /// The post-state root.
    pub post_root: Hash,
    /// The instruction executed; `None` when the machine was not running (the step
    /// leaves a halted or trapped state unchanged).
    pub op: Option<Op>,
    /// The trap the instruction raised, if it trapped.
    pub trap: Option<Trap>,
}

/// Executes one step from the witness; see the module docs.
pub(crate) fn step(w: &mut impl Witness) -> Result<StepOutcome, ProofError> {
    let claimed = w.pre_root()?;
    let pre = w.state()?;
    let actual = pre.root();
    if actual != claimed {
        return Err(ProofError::PreRootMismatch);
    }
    if pre.status != status_byte(Status::Running) {
        return Ok(StepOutcome {
            pre_root: claimed,
            post_root: claimed,
            op: None,
            trap: None,
        });
    }
    let (program, op) = fetch(w, &pre)?;
    let mut s = pre;
    s.pc += 1;
    let mut step = Step {
        w,
        program,
        s: &mut s,
    };
    let trap = step.exec(op)?;
    let post = match trap {
        None => s,
        Some(trap) => StateFields {
            status: status_byte(Status::Trapped(trap)),
            ..pre
        },
    };
    Ok(StepOutcome {
        pre_root: claimed,
        post_root: post.root(),
        op: Some(op),
        trap,
    })
}

/// Proves the program and the code word at `pc`, and decodes it: an opcode byte that is
/// no op, or a float op, rejects the proof.
fn fetch(w: &mut impl Witness, pre: &StateFields) -> Result<(ProgramFields, Op), ProofError> {
    let program = w.program()?;
    if program.root() != pre.program {
        return Err(ProofError::Mismatch("program"));
    }
    if pre.pc >= program.code_len {
        return Err(ProofError::OutOfRange("pc"));
    }
    let (word, path) = w.code(pre.pc, height_for(program.code_len as usize))?;
    check_path(&word, pre.pc as u64, &path, &program.code_root, "code word")?;
    let op = op_from_word(&word).map_err(|UnknownOpcode(b)| ProofError::UnknownOpcode(b))?;
    if op.is_float() {
        return Err(ProofError::FloatNotProvable(op.opcode()));
    }
    Ok((program, op))
}

/// Fails unless `leaf` at `index` with `path` leads to `root`, and `index` fits the
/// path (no aliasing of a higher index onto a lower one).
fn check_path(
    leaf: &Hash,
    index: u64,
    path: &[Hash],
    root: &Hash,
    item: &'static str,
) -> Result<(), ProofError> {
    if path.len() < 64 && index >> path.len() != 0 {
        return Err(ProofError::OutOfRange(item));
    }
    if root_from_path(leaf, index, path) != *root {
        return Err(ProofError::Mismatch(item));
    }
    Ok(())
}

/// A numeric instruction's semantics, from the opcode table.
enum Numeric {
    Unary(fn(u64) -> numeric::NumResult),
    Binary(fn(u64, u64) -> numeric::NumResult),
}

/// A memory instruction's access: bytes and, for loads, the value conversion.
enum Access {
    Load(usize, fn(&[u8]) -> u64),
    Store(usize),
}

/// Expands to one exhaustive `match` over every op: the numeric and memory arms from
/// their tables, then `rest` (the control table's ops, written out below).
macro_rules! exec_dispatch {
    ($op:expr, $s:ident, { $($rest:tt)* };
     $(($num:ident, $ncode:literal, $nname:literal, $arity:ident, $f:ident, $nclass:ident))* ;
     $(($m:ident, $mcode:literal, $mname:literal, $bytes:literal, $kind:ident, $mclass:ident))*) => {
        match $op {
            $( Op::$num => $s.numeric(exec_dispatch!(@$arity $f)), )*
            $( Op::$m { offset } => $s.memory_access(offset, exec_dispatch!(@$kind $bytes)), )*
            $($rest)*
        }
    };
    (@unary $f:ident) => { Numeric::Unary(numeric::$f) };
    (@binary $f:ident) => { Numeric::Binary(numeric::$f) };
    (@store $bytes:literal) => { Access::Store($bytes) };
    (@$kind:ident $bytes:literal) => {
        Access::Load($bytes, |b: &[u8]| {
            let mut a = [0u8; $bytes];
            a.copy_from_slice(b);
            load::$kind(a)
        })
    };
}

/// Receives the numeric table and asks for the memory table.
macro_rules! exec_with_memory {
    ($op:expr, $s:ident, { $($rest:tt)* }; $($num:tt)*) => {
        crate::for_each_memory_op!(exec_dispatch! { $op, $s, { $($rest)* }; $($num)* ; })
    };
}

/// One step in progress: the witness, the proven program and the state being updated.
struct Step<'a, W: Witness> {
    w: &'a mut W,
    program: ProgramFields,
    s: &'a mut StateFields,
}

/// `Ok(None)`: executed; `Ok(Some(trap))`: the instruction traps.
type Exec = Result<Option<Trap>, ProofError>;

impl<W: Witness> Step<'_, W> {
    /// Executes `op`: numeric and memory ops by their tables, the others in the order
    /// of the control table.
    fn exec(&mut self, op: Op) -> Exec {
        crate::for_each_numeric_op!(exec_with_memory! { op, self, {
            Op::Unreachable => Ok(Some(Trap::Unreachable)),
            Op::Nop | Op::Block | Op::Loop | Op::End => Ok(None),
            Op::If { else_pc } => {
                if self.pop(1)?[0] as u32 == 0 {
                    self.s.pc = else_pc;
                }
                Ok(None)
            }
            Op::Else { end_pc } => {
                self.s.pc = end_pc;
                Ok(None)
            }
            Op::Br(t) => self.branch(t),
            Op::BrIf(t) => {
                if self.pop(1)?[0] as u32 != 0 {
                    self.branch(t)?;
                }
                Ok(None)
            }
            Op::BrTable { start, len } => self.br_table(start, len),
            Op::Return => self.ret(),
            Op::Call(callee) => {
                let f = self.function_word(callee)?;
                self.call(callee, &f)
            }
            Op::CallIndirect { type_id, table } => self.call_indirect(type_id, table),
            Op::Drop => self.pop(1).map(|_| None),
            Op::Select => {
                let v = self.pop(3)?;
                self.push(if v[0] as u32 != 0 { v[2] } else { v[1] })
            }
            Op::LocalGet(i) => self.local_get(i),
            Op::LocalSet(i) => self.local_set(i),
            Op::LocalTee(i) => self.local_tee(i),
            Op::GlobalGet(g) => self.global_get(g),
            Op::GlobalSet(g) => self.global_set(g),
            Op::MemorySize => self.memory_size(),
            Op::MemoryGrow => self.memory_grow(),
            Op::I32Const(v) => self.push(v as u64),
            Op::I64Const(v) => self.push(v),
            // `fetch` rejected these, as every float op.
            Op::F32Const(_) | Op::F64Const(_) => Err(ProofError::FloatNotProvable(op.opcode())),
        }; })
    }

    /// A unary or binary numeric op: pops its operands, pushes the result or traps.
    fn numeric(&mut self, sem: Numeric) -> Exec {
        let result = match sem {
            Numeric::Unary(f) => f(self.pop(1)?[0]),
            Numeric::Binary(f) => {
                let v = self.pop(2)?;
                f(v[1], v[0])
            }
        };
        match result {
            Ok(v) => self.push(v),
            Err(t) => Ok(Some(t)),
        }
    }

    /// Pops `n` operands (top first), checking them against the operand chain.
    fn pop(&mut self, n: u32) -> Result<Vec<u64>, ProofError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let (values, below) = self.w.operands(n)?;
        let chain = values.iter().rev().fold(below, |h, &v| push_value(&h, v));
        if chain != self.s.operands {
            return Err(ProofError::Mismatch("operands"));
        }
        self.s.operands = below;
        self.s.sp = self
            .s
            .sp
            .checked_sub(n)
            .ok_or(ProofError::OutOfRange("sp"))?;
        Ok(values)
    }

    /// Pushes `v` (never traps: the stack's capacity was checked at the call).
    fn push(&mut self, v: u64) -> Exec {
        self.s.operands = push_value(&self.s.operands, v);
        self.s.sp = self
            .s
            .sp
            .checked_add(1)
            .ok_or(ProofError::OutOfRange("sp"))?;
        Ok(None)
    }

    /// Jumps to `t`, dropping `t.drop` operands from under the `t.keep` top ones.
    fn branch(&mut self, t: BranchTarget) -> Exec {
        if t.drop != 0 {
            let n = t
                .keep
                .checked_add(t.drop)
                .ok_or(ProofError::OutOfRange("branch"))?;
            let values = self.pop(n)?;
            for &v in values[..t.keep as usize].iter().rev() {
                self.push(v)?;
            }
        }
        self.s.pc = t.pc;
        Ok(None)
    }

    /// `br_table` over targets `start..start+len` (the last is the default): the
    /// target is proven from the branch tree.
    fn br_table(&mut self, start: u32, len: u32) -> Exec {
        let i = (self.pop(1)?[0] as u32).min(len);
        let index = start
            .checked_add(i)
            .filter(|&x| x < self.program.br_len)
            .ok_or(ProofError::OutOfRange("br_table target"))?;
        let height = height_for(self.program.br_len as usize);
        let (target, path) = self.w.branch_target(index, height)?;
        let root = self.program.br_root;
        check_path(
            &branch_word(&target),
            index as u64,
            &path,
            &root,
            "br_table target",
        )?;
        self.branch(target)
    }

    /// The function word of store function `addr`, checked.
    fn function_word(&mut self, addr: u32) -> Result<FunctionWord, ProofError> {
        if addr >= self.program.funcs_len {
            return Err(ProofError::OutOfRange("function"));
        }
        let (word, path) = self
            .w
            .function(addr, height_for(self.program.funcs_len as usize))?;
        let root = self.program.funcs_root;
        check_path(&word, addr as u64, &path, &root, "function word")?;
        Ok(FunctionWord::from_word(&word))
    }

    /// Calls `callee`, whose function word is `f`.
    fn call(&mut self, callee: u32, f: &FunctionWord) -> Exec {
        if f.kind != FUNC_KIND_WASM {
            return Err(ProofError::HostCallNotProvable(callee));
        }
        if f.num_params > f.num_locals {
            return Err(ProofError::OutOfRange("function locals"));
        }
        let args = self.pop(f.num_params)?;
        let new_fp = self.s.sp;
        let new_sp = new_fp as u64 + f.num_locals as u64;
        if self.s.depth >= MAX_CALL_DEPTH || new_sp + f.max_height as u64 > STACK_SLOTS as u64 {
            return Ok(Some(Trap::CallStackExhausted));
        }
        let caller = FrameRecord {
            func: self.s.func,
            fp: self.s.fp,
            ret_pc: self.s.pc,
            locals: self.s.locals,
            operands: self.s.operands,
        };
        let leaves: Vec<Hash> = args.iter().rev().map(|&v| value_leaf(v)).collect();
        let s = &mut *self.s;
        s.frames = push_frame(&s.frames, &caller);
        s.depth += 1;
        s.locals = root_of(&leaves, height_for(f.num_locals as usize));
        s.operands = EMPTY_CHAIN;
        s.fp = new_fp;
        s.sp = new_sp as u32;
        s.pc = f.entry;
        s.func = callee;
        Ok(None)
    }

    /// `call_indirect` through table `table`, expecting type `type_id`.
    fn call_indirect(&mut self, type_id: u32, table: u32) -> Exec {
        let i = self.pop(1)?[0] as u32;
        let tables = self.w.tables()?;
        if tables_commitment(&tables) != self.program.tables {
            return Err(ProofError::Mismatch("tables"));
        }
        let t = *tables
            .get(table as usize)
            .ok_or(ProofError::OutOfRange("table"))?;
        if i >= t.len {
            return Ok(Some(Trap::UndefinedElement));
        }
        let (entry, path) = self.w.table_entry(table, i, height_for(t.len as usize))?;
        check_path(
            &value_leaf(entry as u64),
            i as u64,
            &path,
            &t.root,
            "table entry",
        )?;
        if entry == u32::MAX {
            return Ok(Some(Trap::UninitializedElement));
        }
        let f = self.function_word(entry)?;
        if f.type_id != type_id {
            return Ok(Some(Trap::IndirectCallTypeMismatch));
        }
        self.call(entry, &f)
    }

    /// `return`: back to the caller, or halts from the outermost frame.
    fn ret(&mut self) -> Exec {
        let f = self.function_word(self.s.func)?;
        let results = self.pop(f.num_results)?;
        let sp = self
            .s
            .fp
            .checked_add(f.num_results)
            .ok_or(ProofError::OutOfRange("sp"))?;
        let under = if self.s.depth == 0 {
            self.s.func = NO_FUNC;
            self.s.status = status_byte(Status::Halted);
            self.s.locals = root_of(&[], 0);
            EMPTY_CHAIN
        } else {
            let (caller, below) = self.w.frame()?;
            if push_frame(&below, &caller) != self.s.frames {
                return Err(ProofError::Mismatch("frames"));
            }
            let s = &mut *self.s;
            s.frames = below;
            s.depth -= 1;
            s.func = caller.func;
            s.fp = caller.fp;
            s.pc = caller.ret_pc;
            s.locals = caller.locals;
            caller.operands
        };
        self.s.operands = results.iter().rev().fold(under, |h, &v| push_value(&h, v));
        self.s.sp = sp;
        Ok(None)
    }

    /// `local.get`.
    fn local_get(&mut self, i: u32) -> Exec {
        let (v, _) = self.slot(i, true)?;
        self.push(v)
    }

    /// `local.set`.
    fn local_set(&mut self, i: u32) -> Exec {
        let x = self.pop(1)?[0];
        let (_, path) = self.slot(i, true)?;
        self.s.locals = root_from_path(&value_leaf(x), i as u64, &path);
        Ok(None)
    }

    /// `local.tee`.
    fn local_tee(&mut self, i: u32) -> Exec {
        let x = self.pop(1)?[0];
        let (_, path) = self.slot(i, true)?;
        self.s.locals = root_from_path(&value_leaf(x), i as u64, &path);
        self.push(x)
    }

    /// `global.get`.
    fn global_get(&mut self, g: u32) -> Exec {
        let (v, _) = self.slot(g, false)?;
        self.push(v)
    }

    /// `global.set`.
    fn global_set(&mut self, g: u32) -> Exec {
        let x = self.pop(1)?[0];
        let (_, path) = self.slot(g, false)?;
        self.s.globals = root_from_path(&value_leaf(x), g as u64, &path);
        Ok(None)
    }

    /// Local (`local`) or global slot `i`: its value and path, checked against the
    /// locals or globals root.
    fn slot(&mut self, i: u32, local: bool) -> Result<(u64, Vec<Hash>), ProofError> {
        let (v, path, root, item) = if local {
            let (v, path) = self.w.local(i)?;
            (v, path, self.s.locals, "local")
        } else {
            let (v, path) = self.w.global(i)?;
            (v, path, self.s.globals, "global")
        };
        check_path(&value_leaf(v), i as u64, &path, &root, item)?;
        Ok((v, path))
    }

    /// The current function's memory index (`None` without one) and the memories.
    fn memory_entry(&mut self) -> Result<(Option<usize>, Vec<MemoryFields>), ProofError> {
        let f = self.function_word(self.s.func)?;
        if f.memory == NO_MEMORY {
            return Ok((None, Vec::new()));
        }
        let mems = self.w.memories()?;
        if memories_commitment(&mems) != self.s.memories {
            return Err(ProofError::Mismatch("memories"));
        }
        if f.memory as usize >= mems.len() {
            return Err(ProofError::OutOfRange("memory"));
        }
        Ok((Some(f.memory as usize), mems))
    }

    /// `memory.size`.
    fn memory_size(&mut self) -> Exec {
        let (m, mems) = self.memory_entry()?;
        let pages = mems[m.ok_or(ProofError::NoMemory)?].pages;
        self.push(pages as u64)
    }

    /// `memory.grow`.
    fn memory_grow(&mut self) -> Exec {
        let delta = self.pop(1)?[0] as u32;
        let (m, mut mems) = self.memory_entry()?;
        let mem = &mut mems[m.ok_or(ProofError::NoMemory)?];
        let old = mem.pages;
        match old.checked_add(delta).filter(|&n| n <= mem.limit) {
            Some(new) => {
                mem.pages = new;
                self.s.memories = memories_commitment(&mems);
                self.push(old as u64)
            }
            None => self.push(u32::MAX as u64),
        }
    }

    /// Loads and stores: one leaf, or two when the access crosses a 32-byte boundary.
    fn memory_access(&mut self, offset: u32, access: Access) -> Exec {
        // A store pops its value first, then (like a load) the address.
        let (len, pending) = match access {
            Access::Load(len, convert) => (len, Pending::Load(convert)),
            Access::Store(len) => (len, Pending::Store(self.pop(1)?[0])),
        };
        let base = self.pop(1)?[0];
        let (m, mut mems) = self.memory_entry()?;
        let Some(m) = m else {
            return Ok(Some(Trap::MemoryOutOfBounds));
        };
        let ea = (base as u32 as u64) + offset as u64;
        if ea + len as u64 > mems[m].pages as u64 * PAGE_SIZE as u64 {
            return Ok(Some(Trap::MemoryOutOfBounds));
        }
        // One leaf, or two when the access crosses a 32-byte boundary.
        let first = ea / LEAF_SIZE as u64;
        let last = (ea + len as u64 - 1) / LEAF_SIZE as u64;
        let mut leaves = Vec::with_capacity(2);
        let mut bytes = Vec::with_capacity(2 * LEAF_SIZE);
        for index in first..=last {
            let (word, path) = self.w.memory_leaf(m as u32, index)?;
            check_path(&word, index, &path, &mems[m].root, "memory leaf")?;
            bytes.extend_from_slice(&word);
            leaves.push((index, path));
        }
        let at = (ea % LEAF_SIZE as u64) as usize;
        match pending {
            Pending::Load(convert) => return self.push(convert(&bytes[at..at + len])),
            Pending::Store(v) => {
                bytes[at..at + len].copy_from_slice(&v.to_le_bytes()[..len]);
                mems[m].root = update_leaves(&leaves, &bytes);
                self.s.memories = memories_commitment(&mems);
            }
        }
        Ok(None)
    }
}

/// What a memory access does once its bytes are proven.
enum Pending {
    Load(fn(&[u8]) -> u64),
    Store(u64),
}

/// The root after replacing one or two adjacent proven leaves with the 32-byte words in
/// `words`: the second leaf's path is patched where it meets the first one's new nodes.
fn update_leaves(leaves: &[(u64, Vec<Hash>)], words: &[u8]) -> Hash {
    let word = |k: usize| {
        let mut w = [0u8; 32];
        w.copy_from_slice(&words[k * LEAF_SIZE..(k + 1) * LEAF_SIZE]);
        w
    };
    let (i, path_i) = &leaves[0];
    // New nodes on the first leaf's path, bottom up (level h = node at height h).
    let mut nodes = vec![word(0)];
    for (h, sibling) in path_i.iter().enumerate() {
        let acc = nodes[h];
        nodes.push(if (i >> h) & 1 == 0 {
            crate::merkle::node(&acc, sibling)
        } else {
            crate::merkle::node(sibling, &acc)
        });
    }
    let Some((j, path_j)) = leaves.get(1) else {
        return nodes[path_i.len()];
    };
    let patched: Vec<Hash> = path_j
        .iter()
        .enumerate()
        .map(|(h, sibling)| {
            if (j >> h) ^ 1 == i >> h {
                nodes[h]
            } else {
                *sibling
            }
        })
        .collect();
    root_from_path(&word(1), *j, &patched)
}
