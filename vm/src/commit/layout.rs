//! Byte offsets and lengths of the hashed words and preimages of [`crate::commit`], and
//! of the proof items that repeat them ([`crate::proof::codec`]).
//!
//! The Rust encoders in `commit.rs` write the words at these offsets, the tests below
//! check every other constant against the encoders' output, and the Solidity verifier
//! gets them (as byte offsets and as the bit shifts that extract a field from a word)
//! from the generated `WasmConstants.sol`, so neither side writes a layout literal.
//! Integers are big-endian; a `*_AT` constant is the offset of a field's first byte.

/// Bytes of a `u32` field.
pub const U32: usize = 4;
/// Bytes of a `u64` field.
pub const U64: usize = 8;
/// Bytes of a hash or a tree word.
pub const WORD: usize = 32;

// ---- code word: opcode:u8 ‖ 0³ ‖ a:u32 ‖ b:u32 ‖ c:u32 ‖ 0⁸ ‖ k:u64 ----

/// Code word: the opcode byte.
pub const CODE_OPCODE_AT: usize = 0;
/// Code word: immediate `a`.
pub const CODE_A_AT: usize = 4;
/// Code word: immediate `b`.
pub const CODE_B_AT: usize = CODE_A_AT + U32;
/// Code word: immediate `c`.
pub const CODE_C_AT: usize = CODE_B_AT + U32;
/// Code word: the 64-bit constant `k`.
pub const CODE_K_AT: usize = WORD - U64;

// ---- branch word: pc:u32 ‖ drop:u32 ‖ keep:u32 ‖ 0²⁰ ----

/// Branch word: target pc.
pub const BRANCH_PC_AT: usize = 0;
/// Branch word: operands dropped.
pub const BRANCH_DROP_AT: usize = BRANCH_PC_AT + U32;
/// Branch word: operands kept.
pub const BRANCH_KEEP_AT: usize = BRANCH_DROP_AT + U32;

// ---- function word: type_id:u32 ‖ kind:u8 ‖ 0³ ‖ entry ‖ params ‖ locals ‖ results ‖
//      max_height ‖ memory (u32 each) ----

/// Function word: canonical type id.
pub const FUNC_TYPE_ID_AT: usize = 0;
/// Function word: kind byte (Wasm or host).
pub const FUNC_KIND_AT: usize = FUNC_TYPE_ID_AT + U32;
/// Function word: entry pc.
pub const FUNC_ENTRY_AT: usize = 8;
/// Function word: parameters.
pub const FUNC_PARAMS_AT: usize = FUNC_ENTRY_AT + U32;
/// Function word: parameters plus declared locals.
pub const FUNC_LOCALS_AT: usize = FUNC_PARAMS_AT + U32;
/// Function word: results.
pub const FUNC_RESULTS_AT: usize = FUNC_LOCALS_AT + U32;
/// Function word: highest operand height.
pub const FUNC_MAX_HEIGHT_AT: usize = FUNC_RESULTS_AT + U32;
/// Function word: memory address.
pub const FUNC_MEMORY_AT: usize = FUNC_MAX_HEIGHT_AT + U32;

// ---- state fields: status:u8 ‖ trap:u8 ‖ pc ‖ func ‖ fp ‖ sp ‖ depth (u32 each)
//      ‖ program ‖ locals ‖ operands ‖ frames ‖ globals ‖ memories (32 each) ----
// The state preimage is the tag followed by these fields; the proof's state item is
// the fields alone.

/// State fields: status byte.
pub const STATE_STATUS_AT: usize = 0;
/// State fields: trap code.
pub const STATE_TRAP_AT: usize = 1;
/// State fields: pc.
pub const STATE_PC_AT: usize = 2;
/// State fields: current function.
pub const STATE_FUNC_AT: usize = STATE_PC_AT + U32;
/// State fields: frame pointer.
pub const STATE_FP_AT: usize = STATE_FUNC_AT + U32;
/// State fields: stack pointer.
pub const STATE_SP_AT: usize = STATE_FP_AT + U32;
/// State fields: call depth.
pub const STATE_DEPTH_AT: usize = STATE_SP_AT + U32;
/// State fields: the first of the six commitments (program, locals, operands, frames,
/// globals, memories), 32 bytes each, in that order.
pub const STATE_PROGRAM_AT: usize = STATE_DEPTH_AT + U32;
/// State fields: the memories commitment, the last field.
pub const STATE_MEMORIES_AT: usize = STATE_PROGRAM_AT + 5 * WORD;
/// Bytes of the state fields.
pub const STATE_LEN: usize = STATE_MEMORIES_AT + WORD;
/// Bytes of the state preimage (tag and fields).
pub const STATE_PREIMAGE_LEN: usize = 1 + STATE_LEN;
/// Bytes of the state preimage before the memories commitment (the prefix the
/// Registry stores to rebuild start and final roots).
pub const STATE_PREFIX_LEN: usize = 1 + STATE_MEMORIES_AT;

// ---- program fields: code_len:u32 ‖ code_root ‖ br_len:u32 ‖ br_root ‖ funcs_len:u32
//      ‖ funcs_root ‖ tables ----

/// Bytes of the program fields (the preimage without its tag).
pub const PROGRAM_LEN: usize = 3 * U32 + 4 * WORD;

// ---- caller frame: func:u32 ‖ fp:u32 ‖ ret_pc:u32 ‖ locals ‖ operands ‖ below ----

/// Frame: caller function.
pub const FRAME_FUNC_AT: usize = 0;
/// Frame: caller frame pointer.
pub const FRAME_FP_AT: usize = FRAME_FUNC_AT + U32;
/// Frame: return pc.
pub const FRAME_RET_PC_AT: usize = FRAME_FP_AT + U32;
/// Frame: caller's locals root.
pub const FRAME_LOCALS_AT: usize = FRAME_RET_PC_AT + U32;
/// Frame: caller's operand chain.
pub const FRAME_OPERANDS_AT: usize = FRAME_LOCALS_AT + WORD;
/// Frame: the frame chain below.
pub const FRAME_BELOW_AT: usize = FRAME_OPERANDS_AT + WORD;
/// Bytes of a frame push's preimage after the tag (record and chain below): the
/// proof's frame item.
pub const FRAME_LEN: usize = FRAME_BELOW_AT + WORD;

// ---- operand push: value:u64 ‖ below ----

/// Operand push preimage after the tag: the chain below the value.
pub const VALUE_BELOW_AT: usize = U64;
/// Bytes of an operand push's preimage after the tag.
pub const VALUE_LEN: usize = VALUE_BELOW_AT + WORD;

// ---- memory record: pages:u32 ‖ limit:u32 ‖ root; table record: len:u32 ‖ root ----

/// Memory record: pages.
pub const MEMORY_PAGES_AT: usize = 0;
/// Memory record: growth limit in pages.
pub const MEMORY_LIMIT_AT: usize = MEMORY_PAGES_AT + U32;
/// Memory record: memory tree root.
pub const MEMORY_ROOT_AT: usize = MEMORY_LIMIT_AT + U32;
/// Bytes of a memory record.
pub const MEMORY_RECORD_LEN: usize = MEMORY_ROOT_AT + WORD;
/// Table record: entries.
pub const TABLE_LEN_AT: usize = 0;
/// Table record: entry tree root.
pub const TABLE_ROOT_AT: usize = TABLE_LEN_AT + U32;
/// Bytes of a table record.
pub const TABLE_RECORD_LEN: usize = TABLE_ROOT_AT + WORD;

/// A big-endian `u32` of `w` at `at`.
pub fn read_u32(w: &[u8], at: usize) -> u32 {
    let mut b = [0u8; U32];
    b.copy_from_slice(&w[at..at + U32]);
    u32::from_be_bytes(b)
}

/// Writes `v` big-endian into `w` at `at`.
pub(crate) fn write_u32(w: &mut [u8], at: usize, v: u32) {
    w[at..at + U32].copy_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{
        code_word, push_frame, FrameRecord, FunctionWord, MemoryFields, ProgramFields, StateFields,
        TableFields,
    };
    use crate::merkle::keccak;
    use crate::ops::{BranchTarget, Op};

    fn h(b: u8) -> [u8; 32] {
        [b; 32]
    }

    #[test]
    fn state_offsets_match_the_state_root() {
        let s = StateFields {
            status: (0x11, 0x12),
            pc: 0x2122_2324,
            func: 0x3132_3334,
            fp: 0x4142_4344,
            sp: 0x5152_5354,
            depth: 0x6162_6364,
            program: h(0x71),
            locals: h(0x72),
            operands: h(0x73),
            frames: h(0x74),
            globals: h(0x75),
            memories: h(0x76),
        };
        let mut f = vec![0u8; STATE_LEN];
        f[STATE_STATUS_AT] = s.status.0;
        f[STATE_TRAP_AT] = s.status.1;
        for (at, v) in [
            (STATE_PC_AT, s.pc),
            (STATE_FUNC_AT, s.func),
            (STATE_FP_AT, s.fp),
            (STATE_SP_AT, s.sp),
            (STATE_DEPTH_AT, s.depth),
        ] {
            write_u32(&mut f, at, v);
        }
        let hashes = [
            s.program, s.locals, s.operands, s.frames, s.globals, s.memories,
        ];
        for (i, x) in hashes.iter().enumerate() {
            f[STATE_PROGRAM_AT + i * WORD..][..WORD].copy_from_slice(x);
        }
        assert_eq!(&f[STATE_MEMORIES_AT..], &s.memories);
        let pre = [&[crate::commit::tag::STATE][..], &f].concat();
        assert_eq!(pre.len(), STATE_PREIMAGE_LEN);
        assert_eq!(keccak(&[&pre]), s.root());
        assert_eq!(STATE_PREFIX_LEN + WORD, STATE_PREIMAGE_LEN);
    }

    #[test]
    fn record_lengths_match_the_commitments() {
        let p = ProgramFields {
            code_len: 1,
            code_root: h(1),
            br_len: 2,
            br_root: h(2),
            funcs_len: 3,
            funcs_root: h(3),
            tables: h(4),
        };
        let mut pre = vec![crate::commit::tag::PROGRAM];
        pre.extend_from_slice(&1u32.to_be_bytes());
        pre.extend_from_slice(&h(1));
        pre.extend_from_slice(&2u32.to_be_bytes());
        pre.extend_from_slice(&h(2));
        pre.extend_from_slice(&3u32.to_be_bytes());
        pre.extend_from_slice(&h(3));
        pre.extend_from_slice(&h(4));
        assert_eq!(pre.len(), 1 + PROGRAM_LEN);
        assert_eq!(keccak(&[&pre]), p.root());

        let r = FrameRecord {
            func: 0x0102_0304,
            fp: 0x1112_1314,
            ret_pc: 0x2122_2324,
            locals: h(5),
            operands: h(6),
        };
        let mut f = vec![crate::commit::tag::FRAME; 1 + FRAME_LEN];
        write_u32(&mut f[1..], FRAME_FUNC_AT, r.func);
        write_u32(&mut f[1..], FRAME_FP_AT, r.fp);
        write_u32(&mut f[1..], FRAME_RET_PC_AT, r.ret_pc);
        f[1 + FRAME_LOCALS_AT..][..WORD].copy_from_slice(&r.locals);
        f[1 + FRAME_OPERANDS_AT..][..WORD].copy_from_slice(&r.operands);
        f[1 + FRAME_BELOW_AT..][..WORD].copy_from_slice(&h(7));
        assert_eq!(keccak(&[&f]), push_frame(&h(7), &r));

        let mut v = vec![crate::commit::tag::VALUE; 1 + VALUE_LEN];
        v[1..1 + U64].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        v[1 + VALUE_BELOW_AT..].copy_from_slice(&h(8));
        assert_eq!(
            keccak(&[&v]),
            crate::commit::push_value(&h(8), 0x0102_0304_0506_0708)
        );

        let m = MemoryFields {
            pages: 0x0a0b_0c0d,
            limit: 0x1a1b_1c1d,
            root: h(9),
        };
        let mut rec = vec![crate::commit::tag::MEMORIES; 1 + MEMORY_RECORD_LEN];
        write_u32(&mut rec[1..], MEMORY_PAGES_AT, m.pages);
        write_u32(&mut rec[1..], MEMORY_LIMIT_AT, m.limit);
        rec[1 + MEMORY_ROOT_AT..].copy_from_slice(&m.root);
        assert_eq!(keccak(&[&rec]), crate::commit::memories_commitment(&[m]));

        let t = TableFields {
            len: 0x0102_0304,
            root: h(10),
        };
        let mut rec = vec![crate::commit::tag::TABLES; 1 + TABLE_RECORD_LEN];
        write_u32(&mut rec[1..], TABLE_LEN_AT, t.len);
        rec[1 + TABLE_ROOT_AT..].copy_from_slice(&t.root);
        assert_eq!(keccak(&[&rec]), crate::commit::tables_commitment(&[t]));
    }

    #[test]
    fn word_offsets_match_the_words() {
        let w = code_word(&Op::Br(BranchTarget {
            pc: 0x0102_0304,
            drop: 0x1112_1314,
            keep: 0x2122_2324,
        }));
        assert_eq!(w[CODE_OPCODE_AT], 0x0c);
        assert_eq!(read_u32(&w, CODE_A_AT), 0x0102_0304);
        assert_eq!(read_u32(&w, CODE_B_AT), 0x1112_1314);
        assert_eq!(read_u32(&w, CODE_C_AT), 0x2122_2324);
        let w = code_word(&Op::I64Const(0x0102_0304_0506_0708));
        assert_eq!(&w[CODE_K_AT..], &0x0102_0304_0506_0708u64.to_be_bytes());

        let f = FunctionWord {
            type_id: 1,
            kind: 2,
            entry: 3,
            num_params: 4,
            num_locals: 5,
            num_results: 6,
            max_height: 7,
            memory: 8,
        };
        let w = f.word();
        assert_eq!(read_u32(&w, FUNC_TYPE_ID_AT), 1);
        assert_eq!(w[FUNC_KIND_AT], 2);
        for (at, v) in [
            (FUNC_ENTRY_AT, 3),
            (FUNC_PARAMS_AT, 4),
            (FUNC_LOCALS_AT, 5),
            (FUNC_RESULTS_AT, 6),
            (FUNC_MAX_HEIGHT_AT, 7),
            (FUNC_MEMORY_AT, 8),
        ] {
            assert_eq!(read_u32(&w, at), v);
        }
        assert_eq!(FUNC_MEMORY_AT + U32, WORD);

        let t = BranchTarget {
            pc: 0x0102_0304,
            drop: 0x1112_1314,
            keep: 0x2122_2324,
        };
        let w = crate::commit::branch_word(&t);
        assert_eq!(read_u32(&w, BRANCH_PC_AT), t.pc);
        assert_eq!(read_u32(&w, BRANCH_DROP_AT), t.drop);
        assert_eq!(read_u32(&w, BRANCH_KEEP_AT), t.keep);
    }
}
