//! The state commitment: how every part of the machine is hashed into one root.
//!
//! This module owns the byte layout of every hashed structure (the proof's own byte
//! layout is `proof::codec`'s); `docs/proof-format.md` describes both for readers and
//! for the Solidity side. Summary (all integers big-endian):
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
//! memories = keccak(0x05 ‖ for each memory: pages:u32 ‖ limit:u32 ‖ memory tree root)
//! tables   = keccak(0x06 ‖ for each table: len:u32 ‖ Merkle root of entries)
//! ```
//!
//! Tree leaves are raw 32-byte words: a value word is the `u64` in the last 8 bytes; a
//! code word is `opcode:u8 ‖ 0³ ‖ a:u32 ‖ b:u32 ‖ c:u32 ‖ 0⁸ ‖ k:u64`
//! (see [`Op::immediates`]); a branch-table word is `pc:u32 ‖ drop:u32 ‖ keep:u32 ‖ 0²⁰`;
//! a function word is `type_id:u32 ‖ kind:u8 ‖ 0³ ‖ entry:u32 ‖ params:u32 ‖
//! locals:u32 ‖ results:u32 ‖ max_height:u32 ‖ memory:u32` (kind 1 = Wasm, 2 = host;
//! memory `0xffffffff` = none); `limit` is the page count `memory.grow` may reach; a table entry is a word
//! holding the function address in its last 4 bytes (`0xffffffff` when empty).

use crate::machine::{FuncKind, Machine, Status};
use crate::merkle::{height_for, keccak, root_of, value_leaf, Hash, Tree};
use crate::ops::{BranchTarget, Op, UnknownOpcode};
use std::sync::Arc;

pub mod layout;
pub mod region;

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
    w[layout::CODE_OPCODE_AT] = op.opcode();
    layout::write_u32(&mut w, layout::CODE_A_AT, a);
    layout::write_u32(&mut w, layout::CODE_B_AT, b);
    layout::write_u32(&mut w, layout::CODE_C_AT, c);
    w[layout::CODE_K_AT..].copy_from_slice(&k.to_be_bytes());
    w
}

/// The word of a `br_table` target.
pub fn branch_word(t: &BranchTarget) -> Hash {
    let mut w = [0u8; 32];
    layout::write_u32(&mut w, layout::BRANCH_PC_AT, t.pc);
    layout::write_u32(&mut w, layout::BRANCH_DROP_AT, t.drop);
    layout::write_u32(&mut w, layout::BRANCH_KEEP_AT, t.keep);
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

/// A memory as committed in the state: size, growth limit and contents root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryFields {
    /// Current size in pages.
    pub pages: u32,
    /// The most pages `memory.grow` may reach.
    pub limit: u32,
    /// Root of the memory tree.
    pub root: Hash,
}

/// The memories commitment of a state.
pub fn memories_commitment(memories: &[MemoryFields]) -> Hash {
    let mut pre = vec![tag::MEMORIES];
    for m in memories {
        pre.extend_from_slice(&m.pages.to_be_bytes());
        pre.extend_from_slice(&m.limit.to_be_bytes());
        pre.extend_from_slice(&m.root);
    }
    keccak(&[&pre])
}

/// A table as committed in the program: length and root of its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableFields {
    /// Number of entries.
    pub len: u32,
    /// Root of the entry tree, height `height_for(len)`.
    pub root: Hash,
}

/// The tables commitment of a program.
pub fn tables_commitment(tables: &[TableFields]) -> Hash {
    let mut pre = vec![tag::TABLES];
    for t in tables {
        pre.extend_from_slice(&t.len.to_be_bytes());
        pre.extend_from_slice(&t.root);
    }
    keccak(&[&pre])
}

/// The preimage of a program root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramFields {
    /// Number of code words.
    pub code_len: u32,
    /// Root of the code tree, height `height_for(code_len)`.
    pub code_root: Hash,
    /// Number of `br_table` targets.
    pub br_len: u32,
    /// Root of the branch-target tree, height `height_for(br_len)`.
    pub br_root: Hash,
    /// Number of functions in the store.
    pub funcs_len: u32,
    /// Root of the function-word tree, height `height_for(funcs_len)`.
    pub funcs_root: Hash,
    /// The tables commitment.
    pub tables: Hash,
}

impl ProgramFields {
    /// The program root.
    pub fn root(&self) -> Hash {
        keccak(&[
            &[tag::PROGRAM],
            &self.code_len.to_be_bytes(),
            &self.code_root,
            &self.br_len.to_be_bytes(),
            &self.br_root,
            &self.funcs_len.to_be_bytes(),
            &self.funcs_root,
            &self.tables,
        ])
    }
}

/// `kind` of a function word for a Wasm function.
pub const FUNC_KIND_WASM: u8 = 1;
/// `kind` of a function word for a host function.
pub const FUNC_KIND_HOST: u8 = 2;
/// `memory` of a function word for a function whose instance has no memory.
pub const NO_MEMORY: u32 = u32::MAX;

/// A function as committed in the program's function tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionWord {
    /// Canonical type id.
    pub type_id: u32,
    /// [`FUNC_KIND_WASM`] or [`FUNC_KIND_HOST`].
    pub kind: u8,
    /// Code address of the first op.
    pub entry: u32,
    /// Parameters.
    pub num_params: u32,
    /// Parameters plus declared locals.
    pub num_locals: u32,
    /// Results.
    pub num_results: u32,
    /// Highest operand height of the body.
    pub max_height: u32,
    /// Store address of its memory, [`NO_MEMORY`] if none.
    pub memory: u32,
}

impl FunctionWord {
    /// The tree leaf.
    pub fn word(&self) -> Hash {
        use layout::*;
        let mut w = [0u8; 32];
        write_u32(&mut w, FUNC_TYPE_ID_AT, self.type_id);
        w[FUNC_KIND_AT] = self.kind;
        write_u32(&mut w, FUNC_ENTRY_AT, self.entry);
        write_u32(&mut w, FUNC_PARAMS_AT, self.num_params);
        write_u32(&mut w, FUNC_LOCALS_AT, self.num_locals);
        write_u32(&mut w, FUNC_RESULTS_AT, self.num_results);
        write_u32(&mut w, FUNC_MAX_HEIGHT_AT, self.max_height);
        write_u32(&mut w, FUNC_MEMORY_AT, self.memory);
        w
    }

    /// Reads a tree leaf back.
    pub fn from_word(w: &Hash) -> FunctionWord {
        use layout::*;
        FunctionWord {
            type_id: read_u32(w, FUNC_TYPE_ID_AT),
            kind: w[FUNC_KIND_AT],
            entry: read_u32(w, FUNC_ENTRY_AT),
            num_params: read_u32(w, FUNC_PARAMS_AT),
            num_locals: read_u32(w, FUNC_LOCALS_AT),
            num_results: read_u32(w, FUNC_RESULTS_AT),
            max_height: read_u32(w, FUNC_MAX_HEIGHT_AT),
            memory: read_u32(w, FUNC_MEMORY_AT),
        }
    }
}

/// The branch target a branch-table word holds.
pub fn branch_from_word(w: &Hash) -> BranchTarget {
    BranchTarget {
        pc: layout::read_u32(w, layout::BRANCH_PC_AT),
        drop: layout::read_u32(w, layout::BRANCH_DROP_AT),
        keep: layout::read_u32(w, layout::BRANCH_KEEP_AT),
    }
}

/// The op a code word holds, or the opcode byte that is no op.
pub fn op_from_word(w: &Hash) -> Result<Op, UnknownOpcode> {
    use layout::*;
    let mut k = [0u8; U64];
    k.copy_from_slice(&w[CODE_K_AT..]);
    Op::from_parts(
        w[CODE_OPCODE_AT],
        [
            read_u32(w, CODE_A_AT),
            read_u32(w, CODE_B_AT),
            read_u32(w, CODE_C_AT),
        ],
        u64::from_be_bytes(k),
    )
}

/// The program's commitment with every tree kept, for proofs.
pub(crate) struct ProgramCache {
    /// The program root.
    pub root: Hash,
    /// Its preimage.
    pub fields: ProgramFields,
    /// Code words.
    pub code: Tree,
    /// `br_table` target words.
    pub brs: Tree,
    /// Function words.
    pub funcs: Tree,
    /// Each table's entries.
    pub tables: Vec<Tree>,
    /// Each table as committed.
    pub table_fields: Vec<TableFields>,
}

/// The function word of store function `addr`.
pub(crate) fn function_word(m: &Machine, addr: usize) -> FunctionWord {
    let f = &m.funcs[addr];
    match &f.kind {
        FuncKind::Wasm(x) => FunctionWord {
            type_id: f.type_id,
            kind: FUNC_KIND_WASM,
            entry: x.entry,
            num_params: x.num_params,
            num_locals: x.num_locals,
            num_results: x.num_results,
            max_height: x.max_height,
            memory: x.memory.unwrap_or(NO_MEMORY),
        },
        FuncKind::Host(_) => FunctionWord {
            type_id: f.type_id,
            kind: FUNC_KIND_HOST,
            entry: 0,
            num_params: 0,
            num_locals: 0,
            num_results: 0,
            max_height: 0,
            memory: 0,
        },
    }
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
        self.program().root
    }

    /// The program's trees and commitment, built once per store layout.
    pub(crate) fn program(&mut self) -> Arc<ProgramCache> {
        if let Some(cache) = &self.program_cache {
            return Arc::clone(cache);
        }
        let cache = Arc::new(self.build_program());
        self.program_cache = Some(Arc::clone(&cache));
        cache
    }

    fn compute_program_root(&self) -> Hash {
        self.build_program().root
    }

    fn build_program(&self) -> ProgramCache {
        let tree = |words: Vec<Hash>| {
            let height = height_for(words.len());
            Tree::new(words, height)
        };
        let code = tree(self.code.iter().map(code_word).collect());
        let brs = tree(self.br_targets.iter().map(branch_word).collect());
        let funcs = tree(
            (0..self.funcs.len())
                .map(|i| function_word(self, i).word())
                .collect(),
        );
        let tables: Vec<Tree> = self
            .tables
            .iter()
            .map(|t| {
                tree(
                    t.elems
                        .iter()
                        .map(|e| value_leaf(e.unwrap_or(u32::MAX) as u64))
                        .collect(),
                )
            })
            .collect();
        let table_fields: Vec<TableFields> = self
            .tables
            .iter()
            .zip(&tables)
            .map(|(t, tree)| TableFields {
                len: t.elems.len() as u32,
                root: tree.root(),
            })
            .collect();
        let fields = ProgramFields {
            code_len: self.code.len() as u32,
            code_root: code.root(),
            br_len: self.br_targets.len() as u32,
            br_root: brs.root(),
            funcs_len: self.funcs.len() as u32,
            funcs_root: funcs.root(),
            tables: tables_commitment(&table_fields),
        };
        ProgramCache {
            root: fields.root(),
            fields,
            code,
            brs,
            funcs,
            tables,
            table_fields,
        }
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
        let memories = self.memory_fields();
        self.fields_with(program, &memories)
    }

    /// The caller frames as committed, outermost first.
    pub(crate) fn frame_records(&self) -> Vec<FrameRecord> {
        self.frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                // Each caller's operands end where its callee's frame starts.
                let end = self.frames.get(i + 1).map_or(self.fp, |next| next.fp);
                let (locals, operands) = self.frame_commitment(f.func, f.fp, end);
                FrameRecord {
                    func: f.func,
                    fp: f.fp,
                    ret_pc: f.ret_pc,
                    locals,
                    operands,
                }
            })
            .collect()
    }

    /// Every memory as committed (dirty pages rehashed).
    pub(crate) fn memory_fields(&mut self) -> Vec<MemoryFields> {
        self.memories
            .iter_mut()
            .map(|m| MemoryFields {
                pages: m.pages(),
                limit: m.page_limit(),
                root: m.root(),
            })
            .collect()
    }

    fn fields_with(&self, program: Hash, memories: &[MemoryFields]) -> StateFields {
        let frames = self
            .frame_records()
            .iter()
            .fold(EMPTY_CHAIN, |below, r| push_frame(&below, r));
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
            memories: memories_commitment(memories),
        }
    }

    /// The state root. Memory pages written since the last root are rehashed.
    pub fn state_root(&mut self) -> Hash {
        self.state_fields().root()
    }

    /// The state root recomputed from the raw state, ignoring every cache (for checking
    /// the incremental path).
    pub fn state_root_from_scratch(&self) -> Hash {
        let memories: Vec<MemoryFields> = self
            .memories
            .iter()
            .map(|m| MemoryFields {
                pages: m.pages(),
                limit: m.page_limit(),
                root: m.root_from_scratch(),
            })
            .collect();
        self.fields_with(self.compute_program_root(), &memories)
            .root()
    }
}
