//! Test programs shared by the proof tests and the Solidity verifier's differential
//! tests.

use opml_vm::Trap;

/// Every integer numeric op, locals, globals, memory (aligned, straddling a leaf and a
/// page, sub-word, signed, grow), control with drop/keep, br_table, direct, indirect and
/// recursive calls, select, and the traps.
const PROGRAM: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (global $g (mut i64) (i64.const 5))
  (memory 1 3)
  (table 4 funcref)
  (elem (i32.const 0) $double $inc $nothing)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $nothing)
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  OPS
  (func (export "everything") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.tee $i (i32.add (local.get $i) (i32.const 1))))))
        (br $l)))
    (drop (block (result i32) (i32.const 1) (i32.const 2) (br 0 (i32.const 42))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (block (result i32)
        (block (result i32)
          (block (result i32) (br_table 0 1 2 (i32.const 9) (local.get $n)))
          (i32.add (i32.const 10)))
        (i32.add (i32.const 20))))))
    (global.set $g (i64.add (global.get $g) (i64.const 7)))
    (drop (memory.grow (i32.const 1)))
    (drop (memory.grow (i32.const 5)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (memory.size))))
    (i64.store (i32.const 8) (global.get $g))
    (i64.store offset=28 (i32.const 0) (i64.const 0x1122334455667788))
    (i32.store16 (i32.const 65535) (i32.const 0xabcd))
    (i32.store8 (i32.const 100) (i32.const 0xff))
    (i64.store32 (i32.const 200) (i64.const -3))
    (i64.store16 (i32.const 300) (i64.const -3))
    (i64.store8 (i32.const 400) (i64.const -3))
    (i32.store (i32.const 500) (i32.const -7))
    (local.set $acc (i64.add (local.get $acc) (i64.load offset=28 (i32.const 0))))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_s (i32.const 100))))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_u (i32.const 100))))
    (local.set $acc (i64.add (local.get $acc) (i64.load16_s (i32.const 300))))
    (local.set $acc (i64.add (local.get $acc) (i64.load16_u (i32.const 300))))
    (local.set $acc (i64.add (local.get $acc) (i64.load32_s (i32.const 200))))
    (local.set $acc (i64.add (local.get $acc) (i64.load32_u (i32.const 4))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load16_u (i32.const 65535)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load16_s (i32.const 65535)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load8_s (i32.const 400)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load8_u (i32.const 400)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load (i32.const 500)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $i32ops (i32.const -5) (i32.const 3)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $i32ops (i32.const 0x80000000) (i32.const 33)))))
    (local.set $acc (i64.add (local.get $acc) (call $i64ops (i64.const -5) (i64.const 3))))
    (local.set $acc (i64.add (local.get $acc) (call $i64ops (i64.const 0x8000000000000000) (i64.const 65))))
    (local.set $acc (i64.add (local.get $acc) (call $fac (i64.const 4))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call_indirect (type $ii) (i32.const 5) (i32.const 0)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call_indirect (type $ii) (i32.const 5) (i32.const 1)))))
    (select (local.get $acc) (i64.const -1) (i32.and (local.get $n) (i32.const 1))))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "oob") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "oob_store") (param i32) (i64.store (local.get 0) (i64.const 1)))
  (func (export "undefined") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 9)))
  (func (export "uninit") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 3)))
  (func (export "mismatch") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 2)))
  (func (export "unreachable") (unreachable))
  (func $deep (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))
  (func (export "deep") (result i32) (call $deep (i32.const 0))))"#;

/// Binary and unary integer ops, by name without the type prefix.
const BINARY: [&str; 28] = [
    "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "add", "sub",
    "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl",
    "rotr", "eq", "ne", "add",
];
const UNARY: [&str; 6] = ["eqz", "clz", "ctz", "popcnt", "extend8_s", "extend16_s"];

/// `$i32ops` and `$i64ops`: every integer op of the table on two parameters, results
/// folded with `xor` (comparisons, which give i32, are extended for i64), plus the
/// conversions.
fn ops_funcs() -> String {
    let mut out = String::new();
    for t in ["i32", "i64"] {
        let fold = |e: String, cmp: bool| {
            let e = if t == "i64" && cmp {
                format!("(i64.extend_i32_u {e})")
            } else {
                e
            };
            format!("(local.set $r ({t}.xor (local.get $r) {e}))\n")
        };
        out +=
            &format!("(func ${t}ops (param $a {t}) (param $b {t}) (result {t}) (local $r {t})\n");
        for op in BINARY {
            let cmp = ["eq", "ne"].contains(&op) || op.starts_with(['l', 'g']);
            out += &fold(format!("({t}.{op} (local.get $a) (local.get $b))"), cmp);
        }
        for op in UNARY {
            out += &fold(format!("({t}.{op} (local.get $a))"), op == "eqz");
        }
        let conversions = if t == "i32" {
            "(i32.wrap_i64 (i64.extend_i32_s (local.get $a)))"
        } else {
            "(i64.add (i64.extend32_s (local.get $a)) (i64.add (i64.extend_i32_u (i32.wrap_i64 (local.get $b))) (i64.extend_i32_s (i32.wrap_i64 (local.get $a)))))"
        };
        out += &fold(conversions.to_string(), false);
        out += "(local.get $r))\n";
    }
    out
}

/// The trapping runs of [`every_class_wat`]: export, arguments and the trap expected.
pub const TRAPPING_RUNS: [(&str, &[u64], Trap); 8] = [
    ("div", &[1, 0], Trap::DivisionByZero),
    (
        "div",
        &[0x8000_0000, u32::MAX as u64],
        Trap::IntegerOverflow,
    ),
    ("oob", &[65536 * 3 - 8], Trap::MemoryOutOfBounds),
    ("oob_store", &[65536 - 4], Trap::MemoryOutOfBounds),
    ("undefined", &[], Trap::UndefinedElement),
    ("uninit", &[], Trap::UninitializedElement),
    ("mismatch", &[], Trap::IndirectCallTypeMismatch),
    ("unreachable", &[], Trap::Unreachable),
];

/// The program covering every instruction class of the provable profile. Exports:
/// `everything(n)` (halts; `n` picks the br_table target and the select), and one export
/// per trap: `div`, `oob`, `oob_store`, `undefined`, `uninit`, `mismatch`,
/// `unreachable`, `deep` (call stack exhaustion).
pub fn every_class_wat() -> String {
    PROGRAM.replace("OPS", &ops_funcs())
}

/// The instructions whose one-step proof carries a number of operand values that the
/// program chooses (`opml_vm::proof::MAX_PROOF_OPERANDS` bounds it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heavy {
    /// `br` out of a block, dropping all but the one value it keeps.
    Br,
    /// A taken `br_if`, the same way.
    BrIf,
    /// `br_table` whose targets all drop.
    BrTable,
    /// `call` with many parameters.
    Call,
    /// `call_indirect` with many parameters.
    CallIndirect,
    /// `return` from a callee with its results (at most one in Wasm 1.0).
    Return,
}

impl Heavy {
    /// Every heavy class.
    pub const ALL: [Heavy; 6] = [
        Heavy::Br,
        Heavy::BrIf,
        Heavy::BrTable,
        Heavy::Call,
        Heavy::CallIndirect,
        Heavy::Return,
    ];

    /// The instruction's name (as `Op::name`).
    pub fn name(self) -> &'static str {
        match self {
            Heavy::Br => "br",
            Heavy::BrIf => "br_if",
            Heavy::BrTable => "br_table",
            Heavy::Call => "call",
            Heavy::CallIndirect => "call_indirect",
            Heavy::Return => "return",
        }
    }

    /// The instruction's opcode byte.
    pub fn opcode(self) -> u8 {
        match self {
            Heavy::Br => 0x0c,
            Heavy::BrIf => 0x0d,
            Heavy::BrTable => 0x0e,
            Heavy::Call => 0x10,
            Heavy::CallIndirect => 0x11,
            Heavy::Return => 0x0f,
        }
    }

    /// The index of the function [`heavy_wat`] puts the instruction in.
    pub fn func(self) -> u32 {
        match self {
            Heavy::Call | Heavy::CallIndirect => 1,
            Heavy::Br | Heavy::BrIf | Heavy::BrTable | Heavy::Return => 0,
        }
    }

    /// The most operands its proof can carry in a valid Wasm 1.0 module: wasmparser
    /// allows at most 1000 parameters and Wasm 1.0 one result; branches are bounded only
    /// by the function size.
    pub fn reachable(self) -> u32 {
        match self {
            Heavy::Call => 1000,
            Heavy::CallIndirect => 1001,
            Heavy::Return => 1,
            Heavy::Br | Heavy::BrIf | Heavy::BrTable => u32::MAX,
        }
    }
}

/// The `i64` operand number `i` of [`heavy_wat`]: no zero byte, so its calldata costs
/// the most.
pub fn heavy_value(i: u32) -> u64 {
    0x0101_0101_0101_0101 * (1 + u64::from(i % 255))
}

/// The most locals (parameters included) a function may have: wasmparser's limit.
pub const MAX_LOCALS: u32 = 50_000;

/// A module whose export `run` (its last function) executes one `class` instruction
/// whose proof carries `count` operands, all `i64` (`count` is 1 for `Return`, from 3
/// up to [`Heavy::reachable`] for the others). Callees have [`MAX_LOCALS`] locals, so
/// the locals tree a call builds is as tall as it gets. `run` returns
/// [`heavy_result`].
pub fn heavy_wat(class: Heavy, count: u32) -> String {
    let consts = |n: u32| -> String {
        (0..n)
            .map(|i| format!("(i64.const {})", heavy_value(i) as i64))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let params = |n: u32| "(param i64) ".repeat(n as usize);
    let locals = |params: u32| "(local i64) ".repeat((MAX_LOCALS - params) as usize);
    match class {
        // Keeps 1, drops count - 1.
        Heavy::Br => format!(
            "(module (func (export \"run\") (result i64) (block (result i64) {} (br 0))))",
            consts(count)
        ),
        // The condition, then keeps 1 and drops count - 2.
        Heavy::BrIf => format!(
            "(module (func (export \"run\") (result i64) (block (result i64) {} \
             (br_if 0 (i32.const 1)) {})))",
            consts(count - 1),
            "(drop) ".repeat(count as usize - 2)
        ),
        Heavy::BrTable => format!(
            "(module (func (export \"run\") (result i64) (block (result i64) {} \
             (br_table 0 0 (i32.const 0)))))",
            consts(count - 1)
        ),
        Heavy::Call => format!(
            "(module (func $f {}(result i64) {}(local.get 0)) \
             (func (export \"run\") (result i64) (call $f {})))",
            params(count),
            locals(count),
            consts(count)
        ),
        Heavy::CallIndirect => format!(
            "(module (type $t (func {}(result i64))) (table 1 funcref) (elem (i32.const 0) $f) \
             (func $f (type $t) {}(local.get 0)) \
             (func (export \"run\") (result i64) (call_indirect (type $t) {} (i32.const 0))))",
            params(count - 1),
            locals(count - 1),
            consts(count - 1)
        ),
        Heavy::Return => format!(
            "(module (func $f (result i64) {} (return)) \
             (func (export \"run\") (result i64) (call $f)))",
            consts(count)
        ),
    }
}

/// What `run` of [`heavy_wat`]`(class, count)` returns: the value a branch keeps (the
/// last one pushed before its condition or index), the callee's first parameter, or the
/// returned value.
pub fn heavy_result(class: Heavy, count: u32) -> u64 {
    match class {
        Heavy::Br => heavy_value(count - 1),
        Heavy::BrIf | Heavy::BrTable => heavy_value(count - 2),
        Heavy::Call | Heavy::CallIndirect => heavy_value(0),
        Heavy::Return => heavy_value(count - 1),
    }
}
