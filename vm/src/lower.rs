//! Lowering one function body to step-machine ops, validating as it goes.
//!
//! wasmparser's function validator runs in lock-step: before each operator we read the
//! operand-stack height and the target label's frame from it, which gives every branch
//! its exact `drop`/`keep` counts, so no block bookkeeping is needed at run time.

use crate::error::{LoadError, Location};
use crate::module::{Function, LoadOptions};
use crate::ops::{BranchTarget, Op};
use crate::proof::MAX_PROOF_OPERANDS;
use crate::{memory_op_pattern, numeric_op_pattern};
use wasmparser::{
    BlockType, CompositeInnerType, FrameKind, FuncType, FuncValidator, FunctionBody, Operator,
    ValType, ValidatorResources, WasmModuleResources,
};

/// A branch whose target is only known when its block's `end` is reached.
enum Patch {
    /// `code[pc]` is a `Br` to resolve.
    Br(usize),
    /// `code[pc]` is a `BrIf` to resolve.
    BrIf(usize),
    /// `code[pc]` is an `Else` to resolve.
    Else(usize),
    /// `br_targets[i]` to resolve.
    Table(usize),
}

struct Ctrl {
    kind: FrameKind,
    /// Code index of the `block`/`loop`/`if` op (0 for the function body).
    start: usize,
    /// The `if` op whose `else_pc` is still open.
    open_if: Option<usize>,
    patches: Vec<Patch>,
}

struct Lowerer {
    func_idx: u32,
    code: Vec<Op>,
    offsets: Vec<u32>,
    br_targets: Vec<BranchTarget>,
    ctrls: Vec<Ctrl>,
}

fn to_u32(n: usize) -> u32 {
    // Code sizes are bounded by the module size, which wasmparser bounds far below 4 GiB.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Function type `idx` of the module.
fn func_type(fv: &FuncValidator<ValidatorResources>, idx: u32) -> Option<&FuncType> {
    match &fv.resources().sub_type_at(idx)?.composite_type.inner {
        CompositeInnerType::Func(ft) => Some(ft),
        _ => None,
    }
}

/// The types a branch to a label of this frame carries.
fn label_types(
    fv: &FuncValidator<ValidatorResources>,
    kind: FrameKind,
    block_type: BlockType,
) -> Vec<ValType> {
    match (kind, block_type) {
        (FrameKind::Loop, _) | (_, BlockType::Empty) => Vec::new(),
        (_, BlockType::Type(t)) => vec![t],
        // Multi-value block types are rejected by validation (feature disabled), so a
        // function type here is the function body's own label: its results.
        (_, BlockType::FuncType(idx)) => fv
            .resources()
            .sub_type_at(idx)
            .and_then(|t| match &t.composite_type.inner {
                CompositeInnerType::Func(ft) => Some(ft.results().to_vec()),
                _ => None,
            })
            .unwrap_or_default(),
    }
}

/// Lowers and validates one function body. Returns the validator for allocation reuse.
pub(crate) fn lower_function(
    mut fv: FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
    func_idx: u32,
    type_idx: u32,
    opts: LoadOptions,
) -> Result<(Function, FuncValidator<ValidatorResources>), LoadError> {
    let at = |offset: usize| Location {
        section: "code",
        func: Some(func_idx),
        offset,
    };
    // An error whose offset is outside the body (wasmparser gives some relative to a
    // sub-reader) is placed at the body's start; the message keeps wasmparser's number.
    let range = body.range();
    let invalid = |e: wasmparser::BinaryReaderError| {
        if (range.start..=range.end).contains(&e.offset()) {
            LoadError::Invalid {
                at: at(e.offset()),
                message: e.message().to_string(),
            }
        } else {
            LoadError::Invalid {
                at: at(range.start),
                message: format!(
                    "{} (wasmparser reported byte offset {:#x}, outside this body)",
                    e.message(),
                    e.offset()
                ),
            }
        }
    };

    let mut num_locals: u32 = 0;
    let mut locals = body.get_locals_reader().map_err(invalid)?;
    for _ in 0..locals.get_count() {
        let offset = locals.original_position();
        let (count, ty) = locals.read().map_err(invalid)?;
        fv.define_locals(offset, count, ty).map_err(invalid)?;
        num_locals = num_locals.saturating_add(count);
    }

    let mut l = Lowerer {
        func_idx,
        code: Vec::new(),
        offsets: Vec::new(),
        br_targets: Vec::new(),
        ctrls: vec![Ctrl {
            kind: FrameKind::Block,
            start: 0,
            open_if: None,
            patches: Vec::new(),
        }],
    };
    let mut max_height = 0u32;
    let mut reader = body.get_operators_reader().map_err(invalid)?;
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader.read().map_err(invalid)?;
        let lowered = l.lower_op(&fv, &op, offset)?;
        if opts.provable && lowered.is_float() {
            return Err(LoadError::FloatInProvableProfile {
                at: at(offset),
                op: lowered.name(),
            });
        }
        fv.op(offset, &op).map_err(invalid)?;
        if opts.provable {
            l.check_proof_operands(&fv, &lowered, type_idx, offset)?;
        }
        l.code.push(lowered);
        l.offsets.push(to_u32(offset));
        if matches!(op, Operator::End) {
            l.close_block(fv.control_stack_height() == 0);
        } else if matches!(
            op,
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. }
        ) {
            l.open_block(&fv, &op);
        }
        max_height = max_height.max(fv.operand_stack_height());
    }
    reader.ensure_end().map_err(invalid)?;
    fv.finish(reader.original_position()).map_err(invalid)?;

    let function = Function {
        type_idx,
        num_locals,
        max_height,
        code: l.code,
        offsets: l.offsets,
        br_targets: l.br_targets,
    };
    Ok((function, fv))
}

impl Lowerer {
    fn unsupported(&self, offset: usize, what: &str) -> LoadError {
        LoadError::Unsupported {
            at: Location {
                section: "code",
                func: Some(self.func_idx),
                offset,
            },
            what: what.to_string(),
        }
    }

    /// Rejects `op` (at byte `offset`, in a function of type `type_idx`) when its
    /// one-step proof would carry more than [`MAX_PROOF_OPERANDS`] operand values.
    fn check_proof_operands(
        &self,
        fv: &FuncValidator<ValidatorResources>,
        op: &Op,
        type_idx: u32,
        offset: usize,
    ) -> Result<(), LoadError> {
        match self.carried(fv, op, type_idx) {
            Some(c) if c.count() > MAX_PROOF_OPERANDS => Err(LoadError::TooManyProofOperands {
                at: Location {
                    section: "code",
                    func: Some(self.func_idx),
                    offset,
                },
                op: op.name(),
                what: c.to_string(),
                count: c.count(),
                limit: MAX_PROOF_OPERANDS,
            }),
            _ => Ok(()),
        }
    }

    /// The operands the proof of `op` carries when their number depends on the program
    /// (branches, calls, returns; `docs/proof-format.md`, items per instruction). `None`
    /// for the other instructions, whose proofs carry at most 3. `op` has passed
    /// validation.
    fn carried(
        &self,
        fv: &FuncValidator<ValidatorResources>,
        op: &Op,
        type_idx: u32,
    ) -> Option<Carried> {
        let params = |type_id: u32| func_type(fv, type_id).map(|ft| to_u32(ft.params().len()));
        Some(match *op {
            Op::Br(target) => Carried::Branch { target, popped: 0 },
            Op::BrIf(target) => Carried::Branch { target, popped: 1 },
            Op::BrTable { start, len } => {
                let targets = self
                    .br_targets
                    .get(start as usize..=start as usize + len as usize)?;
                let widest = targets.iter().max_by_key(|t| Carried::moved(t))?;
                Carried::Branch {
                    target: *widest,
                    popped: 1,
                }
            }
            Op::Call(f) => Carried::Call {
                params: params(fv.resources().type_index_of_function(f)?)?,
                popped: 0,
            },
            Op::CallIndirect { type_id, .. } => Carried::Call {
                params: params(type_id)?,
                popped: 1,
            },
            Op::Return => Carried::Return {
                results: to_u32(func_type(fv, type_idx)?.results().len()),
            },
            // At most 3 operands each.
            Op::Unreachable
            | Op::Nop
            | Op::Block
            | Op::Loop
            | Op::If { .. }
            | Op::Else { .. }
            | Op::End
            | Op::Drop
            | Op::Select
            | Op::LocalGet(_)
            | Op::LocalSet(_)
            | Op::LocalTee(_)
            | Op::GlobalGet(_)
            | Op::GlobalSet(_)
            | Op::MemorySize
            | Op::MemoryGrow
            | Op::I32Const(_)
            | Op::I64Const(_)
            | Op::F32Const(_)
            | Op::F64Const(_)
            | crate::for_each_numeric_op!(numeric_op_pattern! {})
            | crate::for_each_memory_op!(memory_op_pattern! {}) => return None,
        })
    }

    /// The branch to label `depth`, taken with `height` operands on the stack (the
    /// branch's own operands already popped). Records a patch when the target is ahead.
    fn branch(
        &mut self,
        fv: &FuncValidator<ValidatorResources>,
        depth: u32,
        height: u32,
        patch: Patch,
    ) -> BranchTarget {
        let Some(frame) = fv.get_control_frame(depth as usize) else {
            // Invalid depth: validation of this op fails right after.
            return BranchTarget {
                pc: 0,
                drop: 0,
                keep: 0,
            };
        };
        let keep = to_u32(label_types(fv, frame.kind, frame.block_type).len());
        let drop = height.saturating_sub(keep + to_u32(frame.height));
        let ci = self.ctrls.len().saturating_sub(1 + depth as usize);
        let ctrl = &mut self.ctrls[ci];
        let pc = if ctrl.kind == FrameKind::Loop {
            to_u32(ctrl.start + 1)
        } else {
            ctrl.patches.push(patch);
            0
        };
        BranchTarget { pc, drop, keep }
    }

    fn lower_op(
        &mut self,
        fv: &FuncValidator<ValidatorResources>,
        op: &Operator<'_>,
        offset: usize,
    ) -> Result<Op, LoadError> {
        let pc = self.code.len();
        let height = fv.operand_stack_height();
        if let Some(numeric) = numeric_op(op) {
            return Ok(numeric);
        }
        if let Some(memory) = memory_op(op) {
            return memory.ok_or_else(|| self.unsupported(offset, "memory offset beyond 4 GiB"));
        }
        Ok(match *op {
            Operator::Unreachable => Op::Unreachable,
            Operator::Nop => Op::Nop,
            Operator::Block { .. } => Op::Block,
            Operator::Loop { .. } => Op::Loop,
            Operator::If { .. } => Op::If { else_pc: 0 },
            Operator::Else => {
                if let Some(ctrl) = self.ctrls.last_mut() {
                    if let Some(if_pc) = ctrl.open_if.take() {
                        self.code[if_pc] = Op::If {
                            else_pc: to_u32(pc + 1),
                        };
                    }
                    ctrl.patches.push(Patch::Else(pc));
                }
                Op::Else { end_pc: 0 }
            }
            Operator::End => {
                if self.ctrls.len() == 1 {
                    Op::Return
                } else {
                    Op::End
                }
            }
            Operator::Br { relative_depth } => {
                Op::Br(self.branch(fv, relative_depth, height, Patch::Br(pc)))
            }
            Operator::BrIf { relative_depth } => Op::BrIf(self.branch(
                fv,
                relative_depth,
                height.saturating_sub(1),
                Patch::BrIf(pc),
            )),
            Operator::BrTable { ref targets } => {
                let start = self.br_targets.len();
                let depths: Vec<u32> = targets
                    .targets()
                    .chain(std::iter::once(Ok(targets.default())))
                    .collect::<Result<_, _>>()
                    .map_err(|e| LoadError::Invalid {
                        at: Location {
                            section: "code",
                            func: Some(self.func_idx),
                            offset: e.offset(),
                        },
                        message: e.message().to_string(),
                    })?;
                // Wasm 1.0 requires every target to have the default's label type, even
                // in unreachable code (later versions relaxed this; wasmparser did too).
                let label = |d: &u32| {
                    fv.get_control_frame(*d as usize)
                        .map(|f| label_types(fv, f.kind, f.block_type))
                };
                let default = depths.last().and_then(label);
                if depths.iter().filter_map(label).any(|t| Some(t) != default) {
                    return Err(LoadError::Invalid {
                        at: Location {
                            section: "code",
                            func: Some(self.func_idx),
                            offset,
                        },
                        message: "type mismatch: br_table labels have different types".into(),
                    });
                }
                for (i, depth) in depths.iter().enumerate() {
                    let t = self.branch(
                        fv,
                        *depth,
                        height.saturating_sub(1),
                        Patch::Table(start + i),
                    );
                    self.br_targets.push(t);
                }
                Op::BrTable {
                    start: to_u32(start),
                    len: to_u32(depths.len() - 1),
                }
            }
            Operator::Return => Op::Return,
            Operator::Call { function_index } => Op::Call(function_index),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => Op::CallIndirect {
                type_id: type_index,
                table: table_index,
            },
            Operator::Drop => Op::Drop,
            Operator::Select => Op::Select,
            Operator::LocalGet { local_index } => Op::LocalGet(local_index),
            Operator::LocalSet { local_index } => Op::LocalSet(local_index),
            Operator::LocalTee { local_index } => Op::LocalTee(local_index),
            Operator::GlobalGet { global_index } => Op::GlobalGet(global_index),
            Operator::GlobalSet { global_index } => Op::GlobalSet(global_index),
            Operator::MemorySize { .. } => Op::MemorySize,
            Operator::MemoryGrow { .. } => Op::MemoryGrow,
            Operator::I32Const { value } => Op::I32Const(value as u32),
            Operator::I64Const { value } => Op::I64Const(value as u64),
            Operator::F32Const { value } => Op::F32Const(value.bits()),
            Operator::F64Const { value } => Op::F64Const(value.bits()),
            _ => return Err(self.unsupported(offset, &format!("instruction {op:?}"))),
        })
    }

    fn open_block(&mut self, fv: &FuncValidator<ValidatorResources>, op: &Operator<'_>) {
        let start = self.code.len() - 1;
        let kind = fv
            .get_control_frame(0)
            .map(|f| f.kind)
            .unwrap_or(FrameKind::Block);
        let open_if = matches!(op, Operator::If { .. }).then_some(start);
        self.ctrls.push(Ctrl {
            kind,
            start,
            open_if,
            patches: Vec::new(),
        });
    }

    /// Resolves the branches to the block whose `end` was just pushed.
    fn close_block(&mut self, is_function_end: bool) {
        let Some(ctrl) = self.ctrls.pop() else { return };
        let end = self.code.len() - 1;
        // Branches to the function label go to its `Return`; others continue after `end`.
        let target = to_u32(if is_function_end { end } else { end + 1 });
        if let Some(if_pc) = ctrl.open_if {
            self.code[if_pc] = Op::If { else_pc: target };
        }
        for patch in ctrl.patches {
            match patch {
                // A branch keeps the drop and keep it was lowered with.
                Patch::Br(pc) => self.code[pc] = Op::Br(retarget(&self.code[pc], target)),
                Patch::BrIf(pc) => self.code[pc] = Op::BrIf(retarget(&self.code[pc], target)),
                Patch::Else(pc) => self.code[pc] = Op::Else { end_pc: target },
                Patch::Table(i) => self.br_targets[i].pc = target,
            }
        }
    }
}

/// The branch target of `op` (lowered as a `Br` or `BrIf`) with its pc set to `pc`.
fn retarget(op: &Op, pc: u32) -> BranchTarget {
    let ([_, drop, keep], _) = op.immediates();
    BranchTarget { pc, drop, keep }
}

/// What makes up the operands a branch's, call's or return's proof carries.
enum Carried {
    /// A branch (for `br_table`, its target that moves the most), after `popped` own
    /// operands (`br_if`'s condition, `br_table`'s index).
    Branch { target: BranchTarget, popped: u32 },
    /// A call's parameters, after `popped` own operands (`call_indirect`'s table index).
    Call { params: u32, popped: u32 },
    /// A return's results.
    Return { results: u32 },
}

impl Carried {
    /// The operands a branch to `t` pops: its kept and dropped ones, when it drops some.
    fn moved(t: &BranchTarget) -> u32 {
        if t.drop == 0 {
            0
        } else {
            t.keep.saturating_add(t.drop)
        }
    }

    /// Operand values in the proof.
    fn count(&self) -> u32 {
        match self {
            Carried::Branch { target, popped } => Carried::moved(target).saturating_add(*popped),
            Carried::Call { params, popped } => params.saturating_add(*popped),
            Carried::Return { results } => *results,
        }
    }
}

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let own = |popped: u32| {
            if popped > 0 {
                "pops its operand, then "
            } else {
                ""
            }
        };
        match self {
            Carried::Branch { target, popped } => write!(
                f,
                "{}drops {} operands and keeps {}",
                own(*popped),
                target.drop,
                target.keep
            ),
            Carried::Call { params, popped } => {
                write!(f, "{}passes {params} parameters", own(*popped))
            }
            Carried::Return { results } => write!(f, "returns {results} results"),
        }
    }
}

macro_rules! lower_numeric {
    ($op:ident; $(($num:ident, $code:literal, $name:literal, $arity:ident, $f:ident, $class:ident))*) => {
        match $op {
            $( Operator::$num => Some(Op::$num), )*
            _ => None,
        }
    };
}

/// The numeric op for a wasmparser operator, if it is one.
fn numeric_op(op: &Operator<'_>) -> Option<Op> {
    crate::for_each_numeric_op!(lower_numeric! { op; })
}

macro_rules! lower_memory {
    ($op:ident; $(($mem:ident, $code:literal, $name:literal, $bytes:literal, $kind:ident, $class:ident))*) => {
        match $op {
            $( Operator::$mem { memarg } => Some(u32::try_from(memarg.offset).ok().map(|offset| Op::$mem { offset })), )*
            _ => None,
        }
    };
}

/// The memory op for a wasmparser operator, if it is one (`Some(None)`: offset too big).
fn memory_op(op: &Operator<'_>) -> Option<Option<Op>> {
    crate::for_each_memory_op!(lower_memory! { op; })
}
