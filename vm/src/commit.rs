//! The state commitment: how every part of the machine is hashed into one root.
//!
//! This module owns the byte layout; `docs/state-commitment.md` describes the same
//! layout for readers and for the Solidity side. Summary (all integers big-endian):
//!
//! ```text
//! state    = keccak(0x01 ‖ status:u8 ‖ trap:u8 ‖ pc:u32 ‖ func:u32 ‖ fp:u32 ‖ sp:u32
//!                   ‖ depth:u32 ‖ program ‖ locals ‖ operands ‖ frames ‖ globals ‖ memories)
//! program  = keccak(0x02 ‖ code_len:u32 ‖ code_root ‖ br_len:u32 ‖ br_root
//!                   ‖ funcs_len:u32 ‖ funcs_root ‖ tables)
//! locals   = Merkle root, height height_for(num_locals of func), leaves value words
//! operands = hash chain of the current frame's operands, bottom first:
//!            empty = 0³², push(v) = keccak(0x04 ‖ v:u64 ‖ below)
//! frames   = hash chain of callers, outermost first: empty = 0³²,
//!            push = keccak(0x03 ‖ func:u32 ‖ fp:u32 ‖ ret_pc:u32 ‖ locals ‖ operands ‖ below)
//! globals  = Merkle root, height height_for(#globals), leaves value words
//! memories = keccak(0x05 ‖ for each memory: pages:u32 ‖ memory tree root)
//! tables   = keccak(0x06 ‖ for each table: len:u32 ‖ Merkle root of entries)
//! ```
//!
//! Tree leaves are raw 32-byte words: a value word is the `u64` in the last 8 bytes; a
//! code word is `opcode:u8 ‖ 0³ ‖ a:u32 ‖ b:u32 ‖ c:u32 ‖ 0⁸ ‖ k:u64`
//! (see [`Op::immediates`]); a branch-table word is `pc:u32 ‖ drop:u32 ‖ keep:u32 ‖ 0²⁰`;
//! a function word is `type_id:u32 ‖ kind:u8 ‖ 0³ ‖ entry:u32 ‖ params:u32 ‖
//! locals:u32 ‖ results:u32 ‖ max_height:u32 ‖ memory:u32`; a table entry is a word
//! holding the function address in its last 4 bytes (`0xffffffff` when empty).

use crate::machine::{FuncKind, Machine, Status};
use crate::merkle::{height_for, keccak, root_of, value_leaf, Hash};
use crate::ops::{BranchTarget, Op};

/// Domain tags: the first byte of every hash preimage that is not a tree node.
pub mod tag {
    /// Machine state.
    pub const STATE: u8 = 0x01;
    /// Program (code, functions, tables).
    pub const PROGRAM: u8 = 0x02;
    /// A caller frame pushed on the frame chain.
    pub const FRAME: u8 = 0x03;
    /// An operand pushed on an operand chain.
    pub const VALUE: u8 = 0x04;
    /// The list of memories.
    pub const MEMORIES: u8 = 0x05;
    /// The list of tables.
    pub const TABLES: u8 = 0x06;
}

/// The empty operand or frame chain.
pub const EMPTY_CHAIN: Hash = [0u8; 32];

/// Status byte of the state.
pub fn status_byte(s: Status) -> (u8, u8) {
    match s {
        Status::Running => (0, 0),
        Status::Halted => (1, 0),
        Status::Trapped(t) => (2, t.code()),
    }
}

/// The code word of an op.
pub fn code_word(op: &Op) -> Hash {
    let ([a, b, c], k) = op.immediates();
    let mut w = [0u8; 32];
    w[0] = op.opcode();
    w[4..8].copy_from_slice(&a.to_be_bytes());
    w[8..12].copy_from_slice(&b.to_be_bytes());
    w[12..16].copy_from_slice(&c.to_be_bytes());
    w[24..32].copy_from_slice(&k.to_be_bytes());
    w
}

/// The word of a `br_table` target.
pub fn branch_word(t: &BranchTarget) -> Hash {
    let mut w = [0u8; 32];
    w[0..4].copy_from_slice(&t.pc.to_be_bytes());
    w[4..8].copy_from_slice(&t.drop.to_be_bytes());
    w[8..12].copy_from_slice(&t.keep.to_be_bytes());
    w
}

/// Pushes `v` on an operand chain.
pub fn push_value(below: &Hash, v: u64) -> Hash {
    keccak(&[&[tag::VALUE], &v.to_be_bytes(), below])
}

/// The fields of a caller frame as committed on the frame chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRecord {
    /// Store address of the caller.
    pub func: u32,
    /// Caller's frame pointer.
    pub fp: u32,
    /// Where the caller resumes.
    pub ret_pc: u32,
    /// Root of the caller's locals.
    pub locals: Hash,
    /// The caller's operand chain (arguments already popped).
    pub operands: Hash,
}

/// Pushes a caller frame on the frame chain.
pub fn push_frame(below: &Hash, f: &FrameRecord) -> Hash {
    keccak(&[
        &[tag::FRAME],
        &f.func.to_be_bytes(),
        &f.fp.to_be_bytes(),
        &f.ret_pc.to_be_bytes(),
        &f.locals,
        &f.operands,
        below,
    ])
}

/// The fields of a state, each already reduced to its commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateFields {
    /// Status and trap code.
    pub status: (u8, u8),
    /// Program counter.
    pub pc: u32,
    /// Current function address.
    pub func: u32,
    /// Frame pointer.
    pub fp: u32,
    /// Value-stack slots in use.
    pub sp: u32,
    /// Number of caller frames.
    pub depth: u32,
    /// Program root.
    pub program: Hash,
    /// Current locals root.
    pub locals: Hash,
    /// Current operand chain.
    pub operands: Hash,
    /// Frame chain.
    pub frames: Hash,
    /// Globals root.
    pub globals: Hash,
    /// Memories commitment.
    pub memories: Hash,
}

impl StateFields {
    /// The state root.
    pub fn root(&self) -> Hash {
        keccak(&[
            &[tag::STATE, self.status.0, self.status.1],
            &self.pc.to_be_bytes(),
            &self.func.to_be_bytes(),
            &self.fp.to_be_bytes(),
            &self.sp.to_be_bytes(),
            &self.depth.to_be_bytes(),
            &self.program,
            &self.locals,
            &self.operands,
            &self.frames,
            &self.globals,
            &self.memories,
        ])
    }
}

/// A list of `(size, root)` commitments under a tag.
fn list_commitment(tag: u8, items: impl Iterator<Item = (u32, Hash)>) -> Hash {
    let mut pre = vec![tag];
    for (n, root) in items {
        pre.extend_from_slice(&n.to_be_bytes());
        pre.extend_from_slice(&root);
    }
    keccak(&[&pre])
}

fn function_word(m: &Machine, addr: usize) -> Hash {
    let f = &m.funcs[addr];
    let mut w = [0u8; 32];
    w[0..4].copy_from_slice(&f.type_id.to_be_bytes());
    if let FuncKind::Wasm(x) = &f.kind {
        w[4] = 1;
        let fields = [
            x.entry,
            x.num_params,
            x.num_locals,
            x.num_results,
            x.max_height,
            x.memory.unwrap_or(u32::MAX),
        ];
        for (i, v) in fields.iter().enumerate() {
            w[8 + 4 * i..12 + 4 * i].copy_from_slice(&v.to_be_bytes());
        }
    } else {
        w[4] = 2;
    }
    w
}

impl Machine {
    /// Number of locals (parameters included) of a store function; 0 for none.
    pub(crate) fn num_locals_of(&self, func: u32) -> u32 {
        match self.funcs.get(func as usize).map(|f| &f.kind) {
            Some(FuncKind::Wasm(w)) => w.num_locals,
            _ => 0,
        }
    }

    /// The program root: code, branch tables, functions and tables. Cached until the
    /// next instantiation.
    pub fn program_root(&mut self) -> Hash {
        if let Some(root) = self.program_root_cache {
            return root;
        }
        let root = self.compute_program_root();
        self.program_root_cache = Some(root);
        root
    }

    fn compute_program_root(&self) -> Hash {
        let code: Vec<Hash> = self.code.iter().map(code_word).collect();
        let brs: Vec<Hash> = self.br_targets.iter().map(branch_word).collect();
        let funcs: Vec<Hash> = (0..self.funcs.len())
            .map(|i| function_word(self, i))
            .collect();
        let tables = list_commitment(
            tag::TABLES,
            self.tables.iter().map(|t| {
                let leaves: Vec<Hash> = t
                    .elems
                    .iter()
                    .map(|e| value_leaf(e.unwrap_or(u32::MAX) as u64))
                    .collect();
                (
                    t.elems.len() as u32,
                    root_of(&leaves, height_for(leaves.len())),
                )
            }),
        );
        let len = |n: usize| (n as u32).to_be_bytes();
        keccak(&[
            &[tag::PROGRAM],
            &len(code.len()),
            &root_of(&code, height_for(code.len())),
            &len(brs.len()),
            &root_of(&brs, height_for(brs.len())),
            &len(funcs.len()),
            &root_of(&funcs, height_for(funcs.len())),
            &tables,
        ])
    }

    /// Locals root and operand chain of the frame with function `func` whose locals
    /// start at `fp` and whose operands end at `end`.
    fn frame_commitment(&self, func: u32, fp: u32, end: u32) -> (Hash, Hash) {
        let n = self.num_locals_of(func);
        let (fp, end) = (fp as usize, end as usize);
        let locals_end = (fp + n as usize).min(end);
        let leaves: Vec<Hash> = self.stack[fp..locals_end]
            .iter()
            .map(|&v| value_leaf(v))
            .collect();
        let locals = root_of(&leaves, height_for(n as usize));
        let operands = self.stack[locals_end..end]
            .iter()
            .fold(EMPTY_CHAIN, |below, &v| push_value(&below, v));
        (locals, operands)
    }

    /// Every field of the current state, reduced to its commitment.
    pub fn state_fields(&mut self) -> StateFields {
        let program = self.program_root();
        let memories: Vec<(u32, Hash)> = self
            .memories
            .iter_mut()
            .map(|m| (m.pages(), m.root()))
            .collect();
        self.fields_with(program, memories)
    }

    fn fields_with(&self, program: Hash, memories: Vec<(u32, Hash)>) -> StateFields {
        // Callers, outermost first; each one's operands end where its callee's frame starts.
        let mut frames = EMPTY_CHAIN;
        for (i, f) in self.frames.iter().enumerate() {
            let end = self.frames.get(i + 1).map_or(self.fp, |next| next.fp);
            let (locals, operands) = self.frame_commitment(f.func, f.fp, end);
            let record = FrameRecord {
                func: f.func,
                fp: f.fp,
                ret_pc: f.ret_pc,
                locals,
                operands,
            };
            frames = push_frame(&frames, &record);
        }
        let func = self.func;
        let (locals, operands) = self.frame_commitment(func, self.fp, self.sp);
        let globals: Vec<Hash> = self.globals.iter().map(|&g| value_leaf(g)).collect();
        StateFields {
            status: status_byte(self.status),
            pc: self.pc,
            func,
            fp: self.fp,
            sp: self.sp,
            depth: self.frames.len() as u32,
            program,
            locals,
            operands,
            frames,
            globals: root_of(&globals, height_for(globals.len())),
            memories: list_commitment(tag::MEMORIES, memories.into_iter()),
        }
    }

    /// The state root. Memory pages written since the last root are rehashed.
    pub fn state_root(&mut self) -> Hash {
        self.state_fields().root()
    }

    /// The state root recomputed from the raw state, ignoring every cache (for checking
    /// the incremental path).
    pub fn state_root_from_scratch(&self) -> Hash {
        let memories = self
            .memories
            .iter()
            .map(|m| (m.pages(), m.root_from_scratch()))
            .collect();
        self.fields_with(self.compute_program_root(), memories)
            .root()
    }
}
