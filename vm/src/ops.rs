//! The lowered instruction set of the step machine, and the opcode tables that drive
//! decoding, execution, naming, proofs and the generated Solidity constants.
//!
//! Three tables define every op: [`crate::for_each_control_op!`],
//! [`crate::for_each_numeric_op!`] and [`crate::for_each_memory_op!`]. Code that handles
//! ops matches them exhaustively, so an op added to a table is a compile error wherever
//! it is not handled yet.
//!
//! Lowering keeps a one-to-one map from executed Wasm instructions to steps: every Wasm
//! instruction of a function body becomes exactly one [`Op`], at the same index order.
//! Structured control is resolved to absolute code addresses (`pc`): `block`, `loop` and
//! a block's `end` become no-ops, `if`/`else`/`br*` become jumps carrying the number of
//! stack values to drop and keep, and the function's final `end` becomes `Return`.

/// The numeric instructions: `(Variant, wasm opcode, text name, arity, semantics, class)`.
///
/// `Variant` is also the name of the corresponding `wasmparser::Operator`, so one table
/// yields the decoder, the [`Op`] enum, the executor's dispatch and the op names.
/// `class` is `int` or `float`: the provable profile rejects `float` ops at load time.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_numeric_op {
    ($cb:ident ! { $($pre:tt)* }) => {
        $cb! { $($pre)*
        (I32Eqz, 0x45, "i32.eqz", unary, i32_eqz, int)
        (I32Eq, 0x46, "i32.eq", binary, i32_eq, int)
        (I32Ne, 0x47, "i32.ne", binary, i32_ne, int)
        (I32LtS, 0x48, "i32.lt_s", binary, i32_lt_s, int)
        (I32LtU, 0x49, "i32.lt_u", binary, i32_lt_u, int)
        (I32GtS, 0x4a, "i32.gt_s", binary, i32_gt_s, int)
        (I32GtU, 0x4b, "i32.gt_u", binary, i32_gt_u, int)
        (I32LeS, 0x4c, "i32.le_s", binary, i32_le_s, int)
        (I32LeU, 0x4d, "i32.le_u", binary, i32_le_u, int)
        (I32GeS, 0x4e, "i32.ge_s", binary, i32_ge_s, int)
        (I32GeU, 0x4f, "i32.ge_u", binary, i32_ge_u, int)
        (I64Eqz, 0x50, "i64.eqz", unary, i64_eqz, int)
        (I64Eq, 0x51, "i64.eq", binary, i64_eq, int)
        (I64Ne, 0x52, "i64.ne", binary, i64_ne, int)
        (I64LtS, 0x53, "i64.lt_s", binary, i64_lt_s, int)
        (I64LtU, 0x54, "i64.lt_u", binary, i64_lt_u, int)
        (I64GtS, 0x55, "i64.gt_s", binary, i64_gt_s, int)
        (I64GtU, 0x56, "i64.gt_u", binary, i64_gt_u, int)
        (I64LeS, 0x57, "i64.le_s", binary, i64_le_s, int)
        (I64LeU, 0x58, "i64.le_u", binary, i64_le_u, int)
        (I64GeS, 0x59, "i64.ge_s", binary, i64_ge_s, int)
        (I64GeU, 0x5a, "i64.ge_u", binary, i64_ge_u, int)
        (F32Eq, 0x5b, "f32.eq", binary, f32_eq, float)
        (F32Ne, 0x5c, "f32.ne", binary, f32_ne, float)
        (F32Lt, 0x5d, "f32.lt", binary, f32_lt, float)
        (F32Gt, 0x5e, "f32.gt", binary, f32_gt, float)
        (F32Le, 0x5f, "f32.le", binary, f32_le, float)
        (F32Ge, 0x60, "f32.ge", binary, f32_ge, float)
        (F64Eq, 0x61, "f64.eq", binary, f64_eq, float)
        (F64Ne, 0x62, "f64.ne", binary, f64_ne, float)
        (F64Lt, 0x63, "f64.lt", binary, f64_lt, float)
        (F64Gt, 0x64, "f64.gt", binary, f64_gt, float)
        (F64Le, 0x65, "f64.le", binary, f64_le, float)
        (F64Ge, 0x66, "f64.ge", binary, f64_ge, float)
        (I32Clz, 0x67, "i32.clz", unary, i32_clz, int)
        (I32Ctz, 0x68, "i32.ctz", unary, i32_ctz, int)
        (I32Popcnt, 0x69, "i32.popcnt", unary, i32_popcnt, int)
        (I32Add, 0x6a, "i32.add", binary, i32_add, int)
        (I32Sub, 0x6b, "i32.sub", binary, i32_sub, int)
        (I32Mul, 0x6c, "i32.mul", binary, i32_mul, int)
        (I32DivS, 0x6d, "i32.div_s", binary, i32_div_s, int)
        (I32DivU, 0x6e, "i32.div_u", binary, i32_div_u, int)
        (I32RemS, 0x6f, "i32.rem_s", binary, i32_rem_s, int)
        (I32RemU, 0x70, "i32.rem_u", binary, i32_rem_u, int)
        (I32And, 0x71, "i32.and", binary, i32_and, int)
        (I32Or, 0x72, "i32.or", binary, i32_or, int)
        (I32Xor, 0x73, "i32.xor", binary, i32_xor, int)
        (I32Shl, 0x74, "i32.shl", binary, i32_shl, int)
        (I32ShrS, 0x75, "i32.shr_s", binary, i32_shr_s, int)
        (I32ShrU, 0x76, "i32.shr_u", binary, i32_shr_u, int)
        (I32Rotl, 0x77, "i32.rotl", binary, i32_rotl, int)
        (I32Rotr, 0x78, "i32.rotr", binary, i32_rotr, int)
        (I64Clz, 0x79, "i64.clz", unary, i64_clz, int)
        (I64Ctz, 0x7a, "i64.ctz", unary, i64_ctz, int)
        (I64Popcnt, 0x7b, "i64.popcnt", unary, i64_popcnt, int)
        (I64Add, 0x7c, "i64.add", binary, i64_add, int)
        (I64Sub, 0x7d, "i64.sub", binary, i64_sub, int)
        (I64Mul, 0x7e, "i64.mul", binary, i64_mul, int)
        (I64DivS, 0x7f, "i64.div_s", binary, i64_div_s, int)
        (I64DivU, 0x80, "i64.div_u", binary, i64_div_u, int)
        (I64RemS, 0x81, "i64.rem_s", binary, i64_rem_s, int)
        (I64RemU, 0x82, "i64.rem_u", binary, i64_rem_u, int)
        (I64And, 0x83, "i64.and", binary, i64_and, int)
        (I64Or, 0x84, "i64.or", binary, i64_or, int)
        (I64Xor, 0x85, "i64.xor", binary, i64_xor, int)
        (I64Shl, 0x86, "i64.shl", binary, i64_shl, int)
        (I64ShrS, 0x87, "i64.shr_s", binary, i64_shr_s, int)
        (I64ShrU, 0x88, "i64.shr_u", binary, i64_shr_u, int)
        (I64Rotl, 0x89, "i64.rotl", binary, i64_rotl, int)
        (I64Rotr, 0x8a, "i64.rotr", binary, i64_rotr, int)
        (F32Abs, 0x8b, "f32.abs", unary, f32_abs, float)
        (F32Neg, 0x8c, "f32.neg", unary, f32_neg, float)
        (F32Ceil, 0x8d, "f32.ceil", unary, f32_ceil, float)
        (F32Floor, 0x8e, "f32.floor", unary, f32_floor, float)
        (F32Trunc, 0x8f, "f32.trunc", unary, f32_trunc, float)
        (F32Nearest, 0x90, "f32.nearest", unary, f32_nearest, float)
        (F32Sqrt, 0x91, "f32.sqrt", unary, f32_sqrt, float)
        (F32Add, 0x92, "f32.add", binary, f32_add, float)
        (F32Sub, 0x93, "f32.sub", binary, f32_sub, float)
        (F32Mul, 0x94, "f32.mul", binary, f32_mul, float)
        (F32Div, 0x95, "f32.div", binary, f32_div, float)
        (F32Min, 0x96, "f32.min", binary, f32_min, float)
        (F32Max, 0x97, "f32.max", binary, f32_max, float)
        (F32Copysign, 0x98, "f32.copysign", binary, f32_copysign, float)
        (F64Abs, 0x99, "f64.abs", unary, f64_abs, float)
        (F64Neg, 0x9a, "f64.neg", unary, f64_neg, float)
        (F64Ceil, 0x9b, "f64.ceil", unary, f64_ceil, float)
        (F64Floor, 0x9c, "f64.floor", unary, f64_floor, float)
        (F64Trunc, 0x9d, "f64.trunc", unary, f64_trunc, float)
        (F64Nearest, 0x9e, "f64.nearest", unary, f64_nearest, float)
        (F64Sqrt, 0x9f, "f64.sqrt", unary, f64_sqrt, float)
        (F64Add, 0xa0, "f64.add", binary, f64_add, float)
        (F64Sub, 0xa1, "f64.sub", binary, f64_sub, float)
        (F64Mul, 0xa2, "f64.mul", binary, f64_mul, float)
        (F64Div, 0xa3, "f64.div", binary, f64_div, float)
        (F64Min, 0xa4, "f64.min", binary, f64_min, float)
        (F64Max, 0xa5, "f64.max", binary, f64_max, float)
        (F64Copysign, 0xa6, "f64.copysign", binary, f64_copysign, float)
        (I32WrapI64, 0xa7, "i32.wrap_i64", unary, i32_wrap_i64, int)
        (I32TruncF32S, 0xa8, "i32.trunc_f32_s", unary, i32_trunc_f32_s, float)
        (I32TruncF32U, 0xa9, "i32.trunc_f32_u", unary, i32_trunc_f32_u, float)
        (I32TruncF64S, 0xaa, "i32.trunc_f64_s", unary, i32_trunc_f64_s, float)
        (I32TruncF64U, 0xab, "i32.trunc_f64_u", unary, i32_trunc_f64_u, float)
        (I64ExtendI32S, 0xac, "i64.extend_i32_s", unary, i64_extend_i32_s, int)
        (I64ExtendI32U, 0xad, "i64.extend_i32_u", unary, i64_extend_i32_u, int)
        (I64TruncF32S, 0xae, "i64.trunc_f32_s", unary, i64_trunc_f32_s, float)
        (I64TruncF32U, 0xaf, "i64.trunc_f32_u", unary, i64_trunc_f32_u, float)
        (I64TruncF64S, 0xb0, "i64.trunc_f64_s", unary, i64_trunc_f64_s, float)
        (I64TruncF64U, 0xb1, "i64.trunc_f64_u", unary, i64_trunc_f64_u, float)
        (F32ConvertI32S, 0xb2, "f32.convert_i32_s", unary, f32_convert_i32_s, float)
        (F32ConvertI32U, 0xb3, "f32.convert_i32_u", unary, f32_convert_i32_u, float)
        (F32ConvertI64S, 0xb4, "f32.convert_i64_s", unary, f32_convert_i64_s, float)
        (F32ConvertI64U, 0xb5, "f32.convert_i64_u", unary, f32_convert_i64_u, float)
        (F32DemoteF64, 0xb6, "f32.demote_f64", unary, f32_demote_f64, float)
        (F64ConvertI32S, 0xb7, "f64.convert_i32_s", unary, f64_convert_i32_s, float)
        (F64ConvertI32U, 0xb8, "f64.convert_i32_u", unary, f64_convert_i32_u, float)
        (F64ConvertI64S, 0xb9, "f64.convert_i64_s", unary, f64_convert_i64_s, float)
        (F64ConvertI64U, 0xba, "f64.convert_i64_u", unary, f64_convert_i64_u, float)
        (F64PromoteF32, 0xbb, "f64.promote_f32", unary, f64_promote_f32, float)
        (I32ReinterpretF32, 0xbc, "i32.reinterpret_f32", unary, reinterpret, float)
        (I64ReinterpretF64, 0xbd, "i64.reinterpret_f64", unary, reinterpret, float)
        (F32ReinterpretI32, 0xbe, "f32.reinterpret_i32", unary, reinterpret, float)
        (F64ReinterpretI64, 0xbf, "f64.reinterpret_i64", unary, reinterpret, float)
        (I32Extend8S, 0xc0, "i32.extend8_s", unary, i32_extend8_s, int)
        (I32Extend16S, 0xc1, "i32.extend16_s", unary, i32_extend16_s, int)
        (I64Extend8S, 0xc2, "i64.extend8_s", unary, i64_extend8_s, int)
        (I64Extend16S, 0xc3, "i64.extend16_s", unary, i64_extend16_s, int)
        (I64Extend32S, 0xc4, "i64.extend32_s", unary, i64_extend32_s, int)
        }
    };
}

/// The memory access instructions: `(Variant, wasm opcode, text name, bytes, kind, class)`.
/// `kind` names the value conversion in `memory.rs` (`load_*`/`store_*`).
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_memory_op {
    ($cb:ident ! { $($pre:tt)* }) => {
        $cb! { $($pre)*
        (I32Load, 0x28, "i32.load", 4, load_u32, int)
        (I64Load, 0x29, "i64.load", 8, load_u64, int)
        (F32Load, 0x2a, "f32.load", 4, load_u32, float)
        (F64Load, 0x2b, "f64.load", 8, load_u64, float)
        (I32Load8S, 0x2c, "i32.load8_s", 1, load_i8_as_i32, int)
        (I32Load8U, 0x2d, "i32.load8_u", 1, load_u8, int)
        (I32Load16S, 0x2e, "i32.load16_s", 2, load_i16_as_i32, int)
        (I32Load16U, 0x2f, "i32.load16_u", 2, load_u16, int)
        (I64Load8S, 0x30, "i64.load8_s", 1, load_i8_as_i64, int)
        (I64Load8U, 0x31, "i64.load8_u", 1, load_u8, int)
        (I64Load16S, 0x32, "i64.load16_s", 2, load_i16_as_i64, int)
        (I64Load16U, 0x33, "i64.load16_u", 2, load_u16, int)
        (I64Load32S, 0x34, "i64.load32_s", 4, load_i32_as_i64, int)
        (I64Load32U, 0x35, "i64.load32_u", 4, load_u32, int)
        (I32Store, 0x36, "i32.store", 4, store, int)
        (I64Store, 0x37, "i64.store", 8, store, int)
        (F32Store, 0x38, "f32.store", 4, store, float)
        (F64Store, 0x39, "f64.store", 8, store, float)
        (I32Store8, 0x3a, "i32.store8", 1, store, int)
        (I32Store16, 0x3b, "i32.store16", 2, store, int)
        (I64Store8, 0x3c, "i64.store8", 1, store, int)
        (I64Store16, 0x3d, "i64.store16", 2, store, int)
        (I64Store32, 0x3e, "i64.store32", 4, store, int)
        }
    };
}

/// The control, variable and constant instructions: `(Variant, wasm opcode, text name,
/// immediates [fields], group, class, doc)`.
///
/// `immediates` says how the variant holds the code word's fields (`Op::immediates`):
/// `none`; `target` (a [`BranchTarget`] in `a, b, c`); `index` (a `u32` in `a`);
/// `k32`/`k64` (a constant in `k`); `fields` (named `u32` fields in `a, b, …` order).
/// `[fields]` is the variant's field list as written in the enum. `group` is the class
/// gas and proof sizes are reported under; `class` is `int` or `float` as in the other
/// tables. With [`crate::for_each_numeric_op!`] and [`crate::for_each_memory_op!`] this table defines
/// every [`Op`]: the enum, its names, opcodes, code-word fields, the generated Solidity
/// constants, and (through exhaustive `match`es) the executor and the proof semantics.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_control_op {
    ($cb:ident ! { $($pre:tt)* }) => {
        $cb! { $($pre)*
        (Unreachable, 0x00, "unreachable", none [], "nop, block, loop, end, unreachable", int,
            "`unreachable`: traps.")
        (Nop, 0x01, "nop", none [], "nop, block, loop, end, unreachable", int, "`nop`.")
        (Block, 0x02, "block", none [], "nop, block, loop, end, unreachable", int,
            "`block`: no effect; its label is resolved into the branches.")
        (Loop, 0x03, "loop", none [], "nop, block, loop, end, unreachable", int,
            "`loop`: no effect; branches to it jump to the next instruction.")
        (If, 0x04, "if", fields [{ else_pc: u32 }], "branch (br, br_if, if, else)", int,
            "`if`: pops the condition; on zero jumps to `else_pc`.")
        (Else, 0x05, "else", fields [{ end_pc: u32 }], "branch (br, br_if, if, else)", int,
            "`else` reached by falling out of the then-arm: jumps past the `end`.")
        (End, 0x0b, "end", none [], "nop, block, loop, end, unreachable", int,
            "`end` of a block, loop or if: no effect.")
        (Br, 0x0c, "br", target [(BranchTarget)], "branch (br, br_if, if, else)", int, "`br`.")
        (BrIf, 0x0d, "br_if", target [(BranchTarget)], "branch (br, br_if, if, else)", int,
            "`br_if`: pops the condition; branches when it is non-zero.")
        (BrTable, 0x0e, "br_table", fields [{ start: u32, len: u32 }], "br_table", int,
            "`br_table`: targets `start..start+len` in the branch table, the last being the default.")
        (Return, 0x0f, "return", none [], "return", int,
            "`return`, and the function body's final `end`.")
        (Call, 0x10, "call", index [(u32)], "call", int,
            "`call` of the function at a store address.")
        (CallIndirect, 0x11, "call_indirect", fields [{ type_id: u32, table: u32 }],
            "call_indirect", int,
            "`call_indirect` through table `table`, expecting canonical type `type_id`.")
        (Drop, 0x1a, "drop", none [], "drop, select", int, "`drop`.")
        (Select, 0x1b, "select", none [], "drop, select", int, "`select`.")
        (LocalGet, 0x20, "local.get", index [(u32)], "local.*", int, "`local.get`.")
        (LocalSet, 0x21, "local.set", index [(u32)], "local.*", int, "`local.set`.")
        (LocalTee, 0x22, "local.tee", index [(u32)], "local.*", int, "`local.tee`.")
        (GlobalGet, 0x23, "global.get", index [(u32)], "global.*", int,
            "`global.get` of a store global address.")
        (GlobalSet, 0x24, "global.set", index [(u32)], "global.*", int,
            "`global.set` of a store global address.")
        (MemorySize, 0x3f, "memory.size", none [], "memory.size/grow", int, "`memory.size`.")
        (MemoryGrow, 0x40, "memory.grow", none [], "memory.size/grow", int, "`memory.grow`.")
        (I32Const, 0x41, "i32.const", k32 [(u32)], "const", int,
            "`i32.const` (value zero-extended).")
        (I64Const, 0x42, "i64.const", k64 [(u64)], "const", int, "`i64.const`.")
        (F32Const, 0x43, "f32.const", k32 [(u32)], "const", float, "`f32.const` (bits).")
        (F64Const, 0x44, "f64.const", k64 [(u64)], "const", float, "`f64.const` (bits).")
        }
    };
}

/// A resolved branch: where to go and how to reshape the operand stack on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BranchTarget {
    /// Absolute code address to continue at.
    pub pc: u32,
    /// Operand values removed from below the kept ones.
    pub drop: u32,
    /// Operand values kept on top (the label's arity: 0 or 1 in Wasm 1.0).
    pub keep: u32,
}

/// A byte that is the opcode of no [`Op`] (decoding a code word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown opcode 0x{0:02x}")]
pub struct UnknownOpcode(pub u8);

/// Expands to the or-pattern of every numeric op (`for_each_numeric_op!(numeric_op_pattern! {})`).
#[macro_export]
#[doc(hidden)]
macro_rules! numeric_op_pattern {
    ($(($num:ident, $($rest:tt)*))*) => { $( $crate::ops::Op::$num )|* };
}

/// Expands to the or-pattern of every memory op (`for_each_memory_op!(memory_op_pattern! {})`).
#[macro_export]
#[doc(hidden)]
macro_rules! memory_op_pattern {
    ($(($mem:ident, $($rest:tt)*))*) => { $( $crate::ops::Op::$mem { .. } )|* };
}

macro_rules! define_op {
    ($(($ctl:ident, $ccode:literal, $cname:literal, $shape:ident [$($body:tt)*], $group:literal,
        $cclass:ident, $doc:literal))*
     ;
     $(($num:ident, $ncode:literal, $nname:literal, $arity:ident, $f:ident, $nclass:ident))*
     ;
     $(($mem:ident, $mcode:literal, $mname:literal, $bytes:literal, $kind:ident, $mclass:ident))*) => {
        /// One lowered instruction: exactly one step of the machine.
        ///
        /// Indices are resolved at instantiation: `Call` holds a store function address,
        /// `GlobalGet`/`GlobalSet` a store global address, `CallIndirect` a canonical
        /// type id and a store table address. Local indices are relative to the frame.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            $(
                #[doc = $doc]
                $ctl $($body)*,
            )*
            $(
                #[doc = concat!("`", $mname, "` with a static offset.")]
                $mem { offset: u32 },
            )*
            $(
                #[doc = concat!("`", $nname, "`.")]
                $num,
            )*
        }

        impl Op {
            /// The Wasm text name of the instruction this op was lowered from.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Op::$ctl { .. } => $cname, )*
                    $( Op::$mem { .. } => $mname, )*
                    $( Op::$num => $nname, )*
                }
            }

            /// The op's one-byte code: the Wasm opcode of the instruction it was
            /// lowered from (the function body's final `end` lowers to `Return`, 0x0f).
            pub fn opcode(&self) -> u8 {
                match self {
                    $( Op::$ctl { .. } => $ccode, )*
                    $( Op::$mem { .. } => $mcode, )*
                    $( Op::$num => $ncode, )*
                }
            }

            /// The op's immediates as `[a, b, c]` and a 64-bit constant, zero where
            /// unused. Branches: `[pc, drop, keep]`; `br_table`: `[start, len]`;
            /// `call_indirect`: `[type_id, table]`; memory ops: `[offset]`; `if`/`else`:
            /// `[target]`; index ops: `[index]`; constants: the 64-bit field.
            pub fn immediates(&self) -> ([u32; 3], u64) {
                match *self {
                    $( define_op!(@bind $ctl $shape [$($body)*] a b c)
                        => define_op!(@imm $shape [$($body)*] a b c), )*
                    $( Op::$mem { offset } => ([offset, 0, 0], 0), )*
                    $( Op::$num => ([0; 3], 0), )*
                }
            }

            /// The op with Wasm opcode `opcode` and the given [`Op::immediates`]: the
            /// inverse of `(opcode(), immediates())`.
            pub fn from_parts(opcode: u8, [a, b, c]: [u32; 3], k: u64) -> Result<Op, UnknownOpcode> {
                Ok(match opcode {
                    $( $ccode => define_op!(@build $ctl $shape [$($body)*] a b c k), )*
                    $( $mcode => Op::$mem { offset: a }, )*
                    $( $ncode => Op::$num, )*
                    // A byte, not an op: every other value is no opcode.
                    other => return Err(UnknownOpcode(other)),
                })
            }

            /// The class proof sizes and verification gas are reported under.
            pub fn class(&self) -> &'static str {
                match self {
                    $( Op::$ctl { .. } => $group, )*
                    $( Op::$mem { .. } => define_op!(@class $kind), )*
                    $( Op::$num => "numeric", )*
                }
            }

            /// Whether the op computes on or moves float values (rejected by the
            /// provable profile).
            pub fn is_float(&self) -> bool {
                match self {
                    $( Op::$ctl { .. } => define_op!(@is_float $cclass), )*
                    $( Op::$mem { .. } => define_op!(@is_float $mclass), )*
                    $( Op::$num => define_op!(@is_float $nclass), )*
                }
            }
        }
    };
    // How each immediates shape binds, encodes and decodes its code-word fields.
    (@bind $v:ident none [] $a:ident $b:ident $c:ident) => { Op::$v };
    (@bind $v:ident fields [{ $f1:ident: u32 }] $a:ident $b:ident $c:ident) => { Op::$v { $f1: $a } };
    (@bind $v:ident fields [{ $f1:ident: u32, $f2:ident: u32 }] $a:ident $b:ident $c:ident) => {
        Op::$v { $f1: $a, $f2: $b }
    };
    (@bind $v:ident $shape:ident [$($body:tt)*] $a:ident $b:ident $c:ident) => { Op::$v($a) };
    (@imm none [] $a:ident $b:ident $c:ident) => { ([0; 3], 0) };
    (@imm target [$($body:tt)*] $a:ident $b:ident $c:ident) => { ([$a.pc, $a.drop, $a.keep], 0) };
    (@imm index [$($body:tt)*] $a:ident $b:ident $c:ident) => { ([$a, 0, 0], 0) };
    (@imm k32 [$($body:tt)*] $a:ident $b:ident $c:ident) => { ([0; 3], $a as u64) };
    (@imm k64 [$($body:tt)*] $a:ident $b:ident $c:ident) => { ([0; 3], $a) };
    (@imm fields [{ $f1:ident: u32 }] $a:ident $b:ident $c:ident) => { ([$a, 0, 0], 0) };
    (@imm fields [{ $f1:ident: u32, $f2:ident: u32 }] $a:ident $b:ident $c:ident) => {
        ([$a, $b, 0], 0)
    };
    (@build $v:ident none [] $a:ident $b:ident $c:ident $k:ident) => { Op::$v };
    (@build $v:ident target [$($body:tt)*] $a:ident $b:ident $c:ident $k:ident) => {
        Op::$v(BranchTarget { pc: $a, drop: $b, keep: $c })
    };
    (@build $v:ident index [$($body:tt)*] $a:ident $b:ident $c:ident $k:ident) => { Op::$v($a) };
    (@build $v:ident k32 [$($body:tt)*] $a:ident $b:ident $c:ident $k:ident) => {
        Op::$v($k as u32)
    };
    (@build $v:ident k64 [$($body:tt)*] $a:ident $b:ident $c:ident $k:ident) => { Op::$v($k) };
    (@build $v:ident fields [{ $f1:ident: u32 }] $a:ident $b:ident $c:ident $k:ident) => {
        Op::$v { $f1: $a }
    };
    (@build $v:ident fields [{ $f1:ident: u32, $f2:ident: u32 }] $a:ident $b:ident $c:ident $k:ident) => {
        Op::$v { $f1: $a, $f2: $b }
    };
    (@class store) => { "store" };
    (@class $kind:ident) => { "load" };
    (@is_float float) => { true };
    (@is_float int) => { false };
}

/// Receives the control table and asks for the numeric table.
macro_rules! define_op_with_numeric {
    ($($ctl:tt)*) => {
        for_each_numeric_op!(define_op_with_memory! { $($ctl)* ; });
    };
}

/// Receives the control and numeric tables and asks for the memory table.
macro_rules! define_op_with_memory {
    ($(($($ctl:tt)*))* ; $($num:tt)*) => {
        for_each_memory_op!(define_op! { $(($($ctl)*))* ; $($num)* ; });
    };
}

for_each_control_op!(define_op_with_numeric! {});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_stays_two_words() {
        // The executor's hot loop copies ops by value; keep them small.
        assert!(
            core::mem::size_of::<Op>() <= 16,
            "{}",
            core::mem::size_of::<Op>()
        );
    }

    #[test]
    fn names_come_from_the_table() {
        assert_eq!(Op::I32Add.name(), "i32.add");
        assert_eq!(Op::I64Load32U { offset: 0 }.name(), "i64.load32_u");
        assert!(Op::F64PromoteF32.is_float());
        assert!(!Op::I32Extend8S.is_float());
        assert!(Op::F32Store { offset: 0 }.is_float());
    }

    #[test]
    fn from_parts_inverts_opcode_and_immediates() {
        let t = BranchTarget {
            pc: 7,
            drop: 2,
            keep: 1,
        };
        let ops = [
            Op::Unreachable,
            Op::If { else_pc: 9 },
            Op::Else { end_pc: 3 },
            Op::Br(t),
            Op::BrIf(t),
            Op::BrTable { start: 4, len: 5 },
            Op::Return,
            Op::Call(6),
            Op::CallIndirect {
                type_id: 2,
                table: 1,
            },
            Op::LocalTee(3),
            Op::GlobalSet(2),
            Op::MemoryGrow,
            Op::I32Const(0xffff_fff0),
            Op::I64Const(u64::MAX - 1),
            Op::F64Const(0x7ff8_0000_0000_0001),
            Op::I64Store32 { offset: 12 },
            Op::I64Extend32S,
            Op::F32Copysign,
        ];
        for op in ops {
            let (imm, k) = op.immediates();
            assert_eq!(Op::from_parts(op.opcode(), imm, k), Ok(op), "{}", op.name());
        }
        assert_eq!(Op::from_parts(0xfc, [0; 3], 0), Err(UnknownOpcode(0xfc)));
    }
}
