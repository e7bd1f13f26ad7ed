//! The one-step semantics over committed state: the executable specification the
//! Solidity verifier implements.
//!
//! [`step`] takes the pre-state's fields from a [`Witness`], checks every item it reads
//! against the commitment it belongs to, executes one instruction on the commitments
//! and returns the post-state root. It mirrors `exec.rs` instruction by instruction;
//! the proof tests check the two agree on every step of real runs.

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
use crate::ops::{BranchTarget, Op};
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
    let program = w.program()?;
    if program.root() != pre.program {
        return Err(ProofError::Mismatch("program"));
    }
    if pre.pc >= program.code_len {
        return Err(ProofError::OutOfRange("pc"));
    }
    let (word, path) = w.code(pre.pc, height_for(program.code_len as usize))?;
    check_path(&word, pre.pc as u64, &path, &program.code_root, "code word")?;
    let op = op_from_word(&word).ok_or(ProofError::UnknownOpcode(word[0]))?;
    if op.is_float() {
        return Err(ProofError::FloatNotProvable(op.opcode()));
    }
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

macro_rules! numeric_semantics {
    ($(($num:ident, $code:literal, $name:literal, $arity:ident, $f:ident, $class:ident))*) => {
        fn numeric_semantics(op: Op) -> Option<Numeric> {
            Some(match op {
                $( Op::$num => numeric_semantics!(@$arity $f), )*
                _ => return None,
            })
        }
    };
    (@unary $f:ident) => { Numeric::Unary(numeric::$f) };
    (@binary $f:ident) => { Numeric::Binary(numeric::$f) };
}
crate::for_each_numeric_op!(numeric_semantics! {});

/// A memory instruction's access: bytes and, for loads, the value conversion.
enum Access {
    Load(usize, fn(&[u8]) -> u64),
    Store(usize),
}

macro_rules! memory_semantics {
    ($(($m:ident, $code:literal, $name:literal, $bytes:literal, $kind:ident, $class:ident))*) => {
        fn memory_semantics(op: Op) -> Option<(u32, Access)> {
            Some(match op {
                $( Op::$m { offset } => (offset, memory_semantics!(@$kind $bytes)), )*
                _ => return None,
            })
        }
    };
    (@store $bytes:literal) => { Access::Store($bytes) };
    (@$kind:ident $bytes:literal) => {
        Access::Load($bytes, |b: &[u8]| {
            let mut a = [0u8; $bytes];
            a.copy_from_slice(b);
            load::$kind(a)
        })
    };
}
crate::for_each_memory_op!(memory_semantics! {});

/// One step in progress: the witness, the proven program and the state being updated.
struct Step<'a, W: Witness> {
    w: &'a mut W,
    program: ProgramFields,
    s: &'a mut StateFields,
}

/// `Ok(None)`: executed; `Ok(Some(trap))`: the instruction traps.
type Exec = Result<Option<Trap>, ProofError>;

impl<W: Witness> Step<'_, W> {
    fn exec(&mut self, op: Op) -> Exec {
        if let Some(sem) = numeric_semantics(op) {
            let result = match sem {
                Numeric::Unary(f) => f(self.pop(1)?[0]),
                Numeric::Binary(f) => {
                    let v = self.pop(2)?;
                    f(v[1], v[0])
                }
            };
            return Ok(match result {
                Ok(v) => self.push(v).map(|()| None)?,
                Err(t) => Some(t),
            });
        }
        if let Some((offset, access)) = memory_semantics(op) {
            return self.memory_access(offset, access);
        }
        match op {
            Op::Nop | Op::Block | Op::Loop | Op::End => {}
            Op::Unreachable => return Ok(Some(Trap::Unreachable)),
            Op::If { else_pc } => {
                if self.pop(1)?[0] as u32 == 0 {
                    self.s.pc = else_pc;
                }
            }
            Op::Else { end_pc } => self.s.pc = end_pc,
            Op::Br(t) => self.branch(t)?,
            Op::BrIf(t) => {
                if self.pop(1)?[0] as u32 != 0 {
                    self.branch(t)?;
                }
            }
            Op::BrTable { start, len } => {
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
                self.branch(target)?;
            }
            Op::Return => self.ret()?,
            Op::Call(callee) => {
                let f = self.function(callee)?;
                return self.call(callee, &f);
            }
            Op::CallIndirect { type_id, table } => return self.call_indirect(type_id, table),
            Op::Drop => {
                self.pop(1)?;
            }
            Op::Select => {
                let v = self.pop(3)?;
                self.push(if v[0] as u32 != 0 { v[2] } else { v[1] })?;
            }
            Op::LocalGet(i) => {
                let (v, _) = self.local(i)?;
                self.push(v)?;
            }
            Op::LocalSet(i) => {
                let x = self.pop(1)?[0];
                let (_, path) = self.local(i)?;
                self.s.locals = root_from_path(&value_leaf(x), i as u64, &path);
            }
            Op::LocalTee(i) => {
                let x = self.pop(1)?[0];
                let (_, path) = self.local(i)?;
                self.s.locals = root_from_path(&value_leaf(x), i as u64, &path);
                self.push(x)?;
            }
            Op::GlobalGet(g) => {
                let (v, _) = self.global(g)?;
                self.push(v)?;
            }
            Op::GlobalSet(g) => {
                let x = self.pop(1)?[0];
                let (_, path) = self.global(g)?;
                self.s.globals = root_from_path(&value_leaf(x), g as u64, &path);
            }
            Op::MemorySize => {
                let (m, mems) = self.memories()?;
                let pages = mems[m.ok_or(ProofError::NoMemory)?].pages;
                self.push(pages as u64)?;
            }
            Op::MemoryGrow => {
                let delta = self.pop(1)?[0] as u32;
                let (m, mut mems) = self.memories()?;
                let mem = &mut mems[m.ok_or(ProofError::NoMemory)?];
                let old = mem.pages;
                match old.checked_add(delta).filter(|&n| n <= mem.limit) {
                    Some(new) => {
                        mem.pages = new;
                        self.s.memories = memories_commitment(&mems);
                        self.push(old as u64)?;
                    }
                    None => self.push(u32::MAX as u64)?,
                }
            }
            Op::I32Const(v) => self.push(v as u64)?,
            Op::I64Const(v) => self.push(v)?,
            // Numeric, memory and float ops were handled (or rejected) above.
            _ => return Err(ProofError::FloatNotProvable(op.opcode())),
        }
        Ok(None)
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

    fn push(&mut self, v: u64) -> Result<(), ProofError> {
        self.s.operands = push_value(&self.s.operands, v);
        self.s.sp = self
            .s
            .sp
            .checked_add(1)
            .ok_or(ProofError::OutOfRange("sp"))?;
        Ok(())
    }

    /// Jumps to `t`, dropping `t.drop` operands from under the `t.keep` top ones.
    fn branch(&mut self, t: BranchTarget) -> Result<(), ProofError> {
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
        Ok(())
    }

    /// The function word of store function `addr`, checked.
    fn function(&mut self, addr: u32) -> Result<FunctionWord, ProofError> {
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
        let f = self.function(entry)?;
        if f.type_id != type_id {
            return Ok(Some(Trap::IndirectCallTypeMismatch));
        }
        self.call(entry, &f)
    }

    fn ret(&mut self) -> Result<(), ProofError> {
        let f = self.function(self.s.func)?;
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
        Ok(())
    }

    fn local(&mut self, i: u32) -> Result<(u64, Vec<Hash>), ProofError> {
        let (v, path) = self.w.local(i)?;
        check_path(&value_leaf(v), i as u64, &path, &self.s.locals, "local")?;
        Ok((v, path))
    }

    fn global(&mut self, g: u32) -> Result<(u64, Vec<Hash>), ProofError> {
        let (v, path) = self.w.global(g)?;
        check_path(&value_leaf(v), g as u64, &path, &self.s.globals, "global")?;
        Ok((v, path))
    }

    /// The current function's memory index (`None` without one) and the memories.
    fn memories(&mut self) -> Result<(Option<usize>, Vec<MemoryFields>), ProofError> {
        let f = self.function(self.s.func)?;
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

    fn memory_access(&mut self, offset: u32, access: Access) -> Exec {
        // A store pops its value first, then (like a load) the address.
        let (len, pending) = match access {
            Access::Load(len, convert) => (len, Pending::Load(convert)),
            Access::Store(len) => (len, Pending::Store(self.pop(1)?[0])),
        };
        let base = self.pop(1)?[0];
        let (m, mut mems) = self.memories()?;
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
            Pending::Load(convert) => self.push(convert(&bytes[at..at + len]))?,
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
