//! Generates the Solidity constants of the one-step verifier from the Rust source of
//! truth: the opcode tables ([`crate::for_each_control_op!`],
//! [`crate::for_each_numeric_op!`], [`crate::for_each_memory_op!`]), the layout of the
//! hashed words, preimages and proof items ([`crate::commit::layout`],
//! [`codec`]), the domain tags, the proof format version, tree heights, trap and status
//! codes and the verifier's limits.
//!
//! The output is committed as `arbiter-sol/contracts/generated/WasmConstants.sol`; a test
//! fails when it is stale. Regenerate with
//! `cargo run -p opml-vm --example gen_solidity`.

use std::fmt::Write;

use super::{codec, MAX_CALL_DEPTH, STACK_SLOTS};
use crate::commit::{status_byte, tag, FUNC_KIND_HOST, FUNC_KIND_WASM, NO_MEMORY};
use crate::machine::{Status, NO_FUNC};
use crate::memory::{
    load, LEAF_SIZE, MEMORY_TREE_HEIGHT, PAGES_TREE_HEIGHT, PAGE_SIZE, PAGE_TREE_HEIGHT,
};
use crate::trap::Trap;

/// Where the generated file lives, relative to the repository root.
pub const GENERATED_PATH: &str = "arbiter-sol/contracts/generated/WasmConstants.sol";

/// One opcode table row as the generator sees it.
struct Row {
    name: &'static str,
    code: u8,
    float: bool,
    kind: RowKind,
}

enum RowKind {
    Unary,
    Binary,
    /// A load of `bytes` bytes whose value is sign-extended from the top loaded bit to
    /// `sign_to` bits (0: zero-extended).
    Load {
        bytes: u8,
        sign_to: u8,
    },
    Store {
        bytes: u8,
    },
}

macro_rules! numeric_rows {
    ($(($num:ident, $code:literal, $name:literal, $arity:ident, $f:ident, $class:ident))*) => {
        fn numeric_rows() -> Vec<Row> {
            vec![$(Row {
                name: $name,
                code: $code,
                float: stringify!($class) == "float",
                kind: numeric_rows!(@$arity),
            },)*]
        }
    };
    (@unary) => { RowKind::Unary };
    (@binary) => { RowKind::Binary };
}
crate::for_each_numeric_op!(numeric_rows! {});

/// How a load conversion extends: found by running it on bytes whose top bit is set.
fn sign_to<const N: usize>(convert: fn([u8; N]) -> u64) -> u8 {
    let v = convert([0x80; N]);
    if N < 8 && v >> 63 == 1 {
        64
    } else if N < 4 && (v >> 31) & 1 == 1 {
        32
    } else {
        0
    }
}

macro_rules! memory_rows {
    ($(($m:ident, $code:literal, $name:literal, $bytes:literal, $kind:ident, $class:ident))*) => {
        fn memory_rows() -> Vec<Row> {
            vec![$(Row {
                name: $name,
                code: $code,
                float: stringify!($class) == "float",
                kind: memory_rows!(@$kind $bytes),
            },)*]
        }
    };
    (@store $bytes:literal) => { RowKind::Store { bytes: $bytes } };
    (@$kind:ident $bytes:literal) => {
        RowKind::Load { bytes: $bytes, sign_to: sign_to::<$bytes>(load::$kind) }
    };
}
crate::for_each_memory_op!(memory_rows! {});

macro_rules! control_rows {
    ($(($op:ident, $code:literal, $name:literal, $shape:ident [$($body:tt)*], $group:literal,
        $class:ident, $doc:literal))*) => {
        fn control_rows() -> Vec<(&'static str, u8, bool)> {
            vec![$(($name, $code, stringify!($class) == "float"),)*]
        }
    };
}
crate::for_each_control_op!(control_rows! {});

/// Memory opcodes lie in `MEM_OPCODE_BASE..MEM_OPCODE_BASE + 32`: byte `opcode - base`
/// of the access tables describes each.
const MEM_OPCODE_BASE: u8 = 0x20;

/// The shift that brings a big-endian field of `size` bytes at `at` in a 32-byte word
/// to the low bits.
fn shift(at: usize, size: usize) -> usize {
    256 - 8 * (at + size)
}

/// The layout constants of `commit::layout` and `proof::codec`, as Solidity lines.
fn layout_lines() -> Vec<String> {
    use crate::commit::layout::*;
    let mut out = vec![
        "// Layout of the hashed words (vm/src/commit/layout.rs): the shift that brings".into(),
        "// each field to the low bits of the word.".into(),
    ];
    let shifts = [
        ("CODE_OPCODE_SHIFT", shift(CODE_OPCODE_AT, 1)),
        ("CODE_A_SHIFT", shift(CODE_A_AT, U32)),
        ("CODE_B_SHIFT", shift(CODE_B_AT, U32)),
        ("CODE_C_SHIFT", shift(CODE_C_AT, U32)),
        ("CODE_K_SHIFT", shift(CODE_K_AT, U64)),
        ("BRANCH_PC_SHIFT", shift(BRANCH_PC_AT, U32)),
        ("BRANCH_DROP_SHIFT", shift(BRANCH_DROP_AT, U32)),
        ("BRANCH_KEEP_SHIFT", shift(BRANCH_KEEP_AT, U32)),
        ("FUNC_TYPE_ID_SHIFT", shift(FUNC_TYPE_ID_AT, U32)),
        ("FUNC_KIND_SHIFT", shift(FUNC_KIND_AT, 1)),
        ("FUNC_ENTRY_SHIFT", shift(FUNC_ENTRY_AT, U32)),
        ("FUNC_PARAMS_SHIFT", shift(FUNC_PARAMS_AT, U32)),
        ("FUNC_LOCALS_SHIFT", shift(FUNC_LOCALS_AT, U32)),
        ("FUNC_RESULTS_SHIFT", shift(FUNC_RESULTS_AT, U32)),
        ("FUNC_MAX_HEIGHT_SHIFT", shift(FUNC_MAX_HEIGHT_AT, U32)),
        ("FUNC_MEMORY_SHIFT", shift(FUNC_MEMORY_AT, U32)),
    ];
    out.extend(
        shifts
            .iter()
            .map(|(name, v)| format!("uint256 constant {name} = {v};")),
    );
    out.push(String::new());
    out.push("// Byte offsets (`_AT`) and lengths of the preimages and proof items".into());
    out.push("// (vm/src/commit/layout.rs, vm/src/proof/codec.rs); a preimage is its".into());
    out.push("// domain tag followed by the item.".into());
    let offsets = [
        ("PROOF_HEADER_LEN", codec::HEADER_LEN),
        ("STATE_STATUS_AT", STATE_STATUS_AT),
        ("STATE_TRAP_AT", STATE_TRAP_AT),
        ("STATE_PC_AT", STATE_PC_AT),
        ("STATE_FUNC_AT", STATE_FUNC_AT),
        ("STATE_FP_AT", STATE_FP_AT),
        ("STATE_SP_AT", STATE_SP_AT),
        ("STATE_DEPTH_AT", STATE_DEPTH_AT),
        ("STATE_PROGRAM_AT", STATE_PROGRAM_AT),
        ("STATE_MEMORIES_AT", STATE_MEMORIES_AT),
        ("STATE_LEN", STATE_LEN),
        ("STATE_PREIMAGE_LEN", STATE_PREIMAGE_LEN),
        ("STATE_PREFIX_LEN", STATE_PREFIX_LEN),
        ("PROGRAM_LEN", PROGRAM_LEN),
        ("FRAME_FUNC_AT", FRAME_FUNC_AT),
        ("FRAME_FP_AT", FRAME_FP_AT),
        ("FRAME_RET_PC_AT", FRAME_RET_PC_AT),
        ("FRAME_LOCALS_AT", FRAME_LOCALS_AT),
        ("FRAME_OPERANDS_AT", FRAME_OPERANDS_AT),
        ("FRAME_BELOW_AT", FRAME_BELOW_AT),
        ("FRAME_LEN", FRAME_LEN),
        ("VALUE_BELOW_AT", VALUE_BELOW_AT),
        ("VALUE_LEN", VALUE_LEN),
        ("MEMORY_PAGES_AT", MEMORY_PAGES_AT),
        ("MEMORY_LIMIT_AT", MEMORY_LIMIT_AT),
        ("MEMORY_ROOT_AT", MEMORY_ROOT_AT),
        ("MEMORY_RECORD_LEN", MEMORY_RECORD_LEN),
        ("TABLE_LEN_AT", TABLE_LEN_AT),
        ("TABLE_ROOT_AT", TABLE_ROOT_AT),
        ("TABLE_RECORD_LEN", TABLE_RECORD_LEN),
    ];
    out.extend(
        offsets
            .iter()
            .map(|(name, v)| format!("uint256 constant {name} = {v};")),
    );
    out
}

/// `i32.load8_s` → `I32_LOAD8_S`.
fn const_name(name: &str) -> String {
    name.replace(['.', '_'], "_").to_uppercase()
}

/// `MemoryOutOfBounds` → `MEMORY_OUT_OF_BOUNDS`.
fn snake_upper(camel: &str) -> String {
    let mut out = String::new();
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// A 256-bit mask with bit `code` set for every code in `codes`, as Solidity hex.
fn mask(codes: impl Iterator<Item = u8>) -> String {
    let mut words = [0u64; 4];
    for c in codes {
        words[c as usize / 64] |= 1 << (c % 64);
    }
    format!(
        "0x{:016x}{:016x}{:016x}{:016x}",
        words[3], words[2], words[1], words[0]
    )
}

/// The contents of `WasmConstants.sol`.
pub fn constants() -> String {
    let numeric = numeric_rows();
    let memory = memory_rows();
    let control = control_rows();
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line("// SPDX-License-Identifier: MIT OR Apache-2.0".into());
    line("// GENERATED by opml_vm::proof::solidity::constants() from the Rust opcode table".into());
    line(
        "// and proof layout. Do not edit: run `cargo run -p opml-vm --example gen_solidity`."
            .into(),
    );
    line("pragma solidity ^0.8.24;".into());
    line(String::new());
    line("// Proof format (vm/src/proof/codec.rs).".into());
    line(format!(
        "uint8 constant PROOF_VERSION = {};",
        codec::VERSION
    ));
    line(format!(
        "uint256 constant MAX_SLOT_PATH = {};",
        codec::MAX_SLOT_PATH
    ));
    line(String::new());
    line("// Domain tags (vm/src/commit.rs).".into());
    for (name, v) in [
        ("STATE", tag::STATE),
        ("PROGRAM", tag::PROGRAM),
        ("FRAME", tag::FRAME),
        ("VALUE", tag::VALUE),
        ("MEMORIES", tag::MEMORIES),
        ("TABLES", tag::TABLES),
    ] {
        line(format!("uint8 constant TAG_{name} = 0x{v:02x};"));
    }
    line(String::new());
    line("// Machine limits and committed encodings.".into());
    line(format!(
        "uint256 constant MAX_CALL_DEPTH = {MAX_CALL_DEPTH};"
    ));
    line(format!("uint256 constant STACK_SLOTS = {STACK_SLOTS};"));
    line(format!(
        "uint256 constant MEMORY_TREE_HEIGHT = {MEMORY_TREE_HEIGHT};"
    ));
    line(format!("uint256 constant PAGE_SIZE = {PAGE_SIZE};"));
    line(format!("uint256 constant LEAF_SIZE = {LEAF_SIZE};"));
    line(format!(
        "uint256 constant PAGE_TREE_HEIGHT = {PAGE_TREE_HEIGHT};"
    ));
    line(format!(
        "uint256 constant PAGES_TREE_HEIGHT = {PAGES_TREE_HEIGHT};"
    ));
    line(format!("uint8 constant FUNC_KIND_WASM = {FUNC_KIND_WASM};"));
    line(format!("uint8 constant FUNC_KIND_HOST = {FUNC_KIND_HOST};"));
    line(format!("uint32 constant NO_MEMORY = 0x{NO_MEMORY:08x};"));
    line(format!("uint32 constant NO_FUNC = 0x{NO_FUNC:08x};"));
    line(format!(
        "uint8 constant STATUS_RUNNING = {};",
        status_byte(Status::Running).0
    ));
    line(format!(
        "uint8 constant STATUS_HALTED = {};",
        status_byte(Status::Halted).0
    ));
    line(format!(
        "uint8 constant STATUS_TRAPPED = {};",
        status_byte(Status::Trapped(Trap::Unreachable)).0
    ));
    line(String::new());
    line("// Trap codes (vm/src/trap.rs).".into());
    for t in (0..=u8::MAX).filter_map(Trap::from_code) {
        line(format!(
            "uint8 constant TRAP_{} = {};",
            snake_upper(&format!("{t:?}")),
            t.code()
        ));
    }
    line(String::new());
    for l in layout_lines() {
        line(l);
    }
    line(String::new());
    line("// Opcodes of the control table (for_each_control_op!).".into());
    for &(name, code, _) in &control {
        line(format!(
            "uint8 constant OP_{} = 0x{code:02x};",
            const_name(name)
        ));
    }
    line(String::new());
    line("// Opcodes of the numeric table (for_each_numeric_op!).".into());
    for r in &numeric {
        line(format!(
            "uint8 constant OP_{} = 0x{:02x};",
            const_name(r.name),
            r.code
        ));
    }
    line(String::new());
    line("// Opcodes of the memory table (for_each_memory_op!).".into());
    for r in &memory {
        line(format!(
            "uint8 constant OP_{} = 0x{:02x};",
            const_name(r.name),
            r.code
        ));
    }
    let all = || numeric.iter().chain(memory.iter());
    let float = control
        .iter()
        .filter(|r| r.2)
        .map(|r| r.1)
        .chain(all().filter(|r| r.float).map(|r| r.code));
    let of_kind = |want: fn(&RowKind) -> bool| {
        mask(all().filter(|r| !r.float && want(&r.kind)).map(|r| r.code))
    };
    line(String::new());
    line(
        "// Dispatch masks: bit `opcode` is set for the ops of each kind (integer ops only".into(),
    );
    line("// in the unary, binary, load and store masks).".into());
    line(format!("uint256 constant FLOAT_OPS = {};", mask(float)));
    line(format!(
        "uint256 constant UNARY_OPS = {};",
        of_kind(|k| matches!(k, RowKind::Unary))
    ));
    line(format!(
        "uint256 constant BINARY_OPS = {};",
        of_kind(|k| matches!(k, RowKind::Binary))
    ));
    line(format!(
        "uint256 constant LOAD_OPS = {};",
        of_kind(|k| matches!(k, RowKind::Load { .. }))
    ));
    line(format!(
        "uint256 constant STORE_OPS = {};",
        of_kind(|k| matches!(k, RowKind::Store { .. }))
    ));
    // Byte `opcode` of each table: bytes accessed, and the load's sign extension.
    let mut access = [0u8; 32];
    let mut sign = [0u8; 32];
    for r in &memory {
        let (bytes, to) = match r.kind {
            RowKind::Load { bytes, sign_to } => (bytes, sign_to),
            RowKind::Store { bytes } => (bytes, 0),
            RowKind::Unary | RowKind::Binary => unreachable!("memory rows are loads or stores"),
        };
        // Index from the low end of the word.
        let i = 31 - (r.code - MEM_OPCODE_BASE) as usize;
        access[i] = bytes;
        sign[i] = to;
    }
    let hex = |b: &[u8; 32]| {
        b.iter().fold(String::new(), |mut h, x| {
            let _ = write!(h, "{x:02x}");
            h
        })
    };
    line("// Memory access tables: byte (opcode - MEM_OPCODE_BASE) from the low end: bytes".into());
    line("// accessed, and the width a load sign-extends to (0: zero-extends).".into());
    line(format!(
        "uint8 constant MEM_OPCODE_BASE = 0x{MEM_OPCODE_BASE:02x};"
    ));
    line(format!("uint256 constant MEM_BYTES = 0x{};", hex(&access)));
    line(format!("uint256 constant MEM_SIGN_TO = 0x{};", hex(&sign)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_opcodes_fit_the_access_tables() {
        for r in memory_rows() {
            assert!(
                (MEM_OPCODE_BASE..MEM_OPCODE_BASE + 32).contains(&r.code),
                "{}",
                r.name
            );
        }
    }

    #[test]
    fn sign_extension_is_read_from_the_conversions() {
        assert_eq!(sign_to::<1>(load::load_i8_as_i32), 32);
        assert_eq!(sign_to::<4>(load::load_i32_as_i64), 64);
        assert_eq!(sign_to::<4>(load::load_u32), 0);
        assert_eq!(sign_to::<2>(load::load_u16), 0);
    }
}
