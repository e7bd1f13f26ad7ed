//! Instantiation: linking a module's imports against registered instances, allocating
//! its functions, globals, memory and table in the store, relocating its code to store
//! addresses, applying its segments and running its start function.

use super::{Extern, FuncInst, FuncKind, Instance, InstanceId, Machine, Status, WasmFunc};
use crate::error::LinkError;
use crate::module::{ConstExpr, ExportKind, ImportKind, Limits, Module};
use crate::ops::{BranchTarget, Op};
use crate::{memory_op_pattern, numeric_op_pattern};
use std::collections::HashMap;

impl Machine {
    fn resolve_import(&self, module: &str, name: &str) -> Result<Extern, LinkError> {
        self.registry
            .get(module)
            .and_then(|&id| self.instances[id].exports.get(name))
            .copied()
            .ok_or_else(|| LinkError::UnknownImport {
                module: module.into(),
                name: name.into(),
            })
    }

    fn check_limits(got_min: u32, got_max: Option<u32>, want: Limits) -> Result<(), String> {
        if got_min < want.min {
            return Err(format!("minimum {got_min} below required {}", want.min));
        }
        match (want.max, got_max) {
            (None, _) => Ok(()),
            (Some(w), Some(g)) if g <= w => Ok(()),
            (Some(w), g) => Err(format!("maximum {g:?} exceeds required {w}")),
        }
    }

    /// Instantiates `module`: links its imports against registered instances, allocates
    /// its items, applies its segments and runs its start function.
    pub fn instantiate(&mut self, module: &Module) -> Result<InstanceId, LinkError> {
        self.program_cache = None;
        let mut funcs = Vec::new();
        let mut globals = Vec::new();
        let mut memory = None;
        let mut table = None;
        for import in &module.imports {
            let got = self.resolve_import(&import.module, &import.name)?;
            let mismatch = |reason: String| LinkError::IncompatibleImport {
                module: import.module.clone(),
                name: import.name.clone(),
                reason,
            };
            match (&import.kind, got) {
                (ImportKind::Func(t), Extern::Func(addr)) => {
                    let want = &module.types[*t as usize];
                    if self.func_type(addr) != Some(want) {
                        return Err(mismatch("function signature differs".into()));
                    }
                    funcs.push(addr);
                }
                (ImportKind::Global(want), Extern::Global(addr)) => {
                    if self.global_types[addr as usize] != *want {
                        return Err(mismatch("global type differs".into()));
                    }
                    globals.push(addr);
                }
                (ImportKind::Memory(want), Extern::Memory(addr)) => {
                    let m = &self.memories[addr as usize];
                    Self::check_limits(m.pages(), m.max_pages(), *want).map_err(mismatch)?;
                    memory = Some(addr);
                }
                (ImportKind::Table(want), Extern::Table(addr)) => {
                    let t = &self.tables[addr as usize];
                    Self::check_limits(t.elems.len() as u32, t.max, *want).map_err(mismatch)?;
                    table = Some(addr);
                }
                _ => return Err(mismatch("kind differs".into())),
            }
        }
        let type_ids: Vec<u32> = module
            .types
            .iter()
            .map(|t| self.canonical_type(t))
            .collect();
        if let Some(limits) = module.memory {
            memory = Some(self.add_memory(limits));
        }
        if let Some(limits) = module.table {
            table = Some(self.add_table(limits));
        }

        // Functions: addresses first (bodies may call each other), then code.
        let first_func = self.funcs.len() as u32;
        funcs.extend((0..module.functions.len() as u32).map(|i| first_func + i));
        for (i, g) in module.global_inits.iter().enumerate() {
            let value = self.eval_const(g, &globals);
            let ty = module.global_types[module.num_imported_globals() as usize + i];
            globals.push(self.add_global(ty, value));
        }
        for f in &module.functions {
            let entry = self.code.len() as u32;
            let br_base = self.br_targets.len() as u32;
            let ty = &module.types[f.type_idx as usize];
            for op in &f.code {
                self.code.push(relocate(
                    *op, entry, br_base, &funcs, &globals, &type_ids, table,
                ));
            }
            self.code_offsets.extend_from_slice(&f.offsets);
            self.br_targets
                .extend(f.br_targets.iter().map(|t| BranchTarget {
                    pc: t.pc + entry,
                    ..*t
                }));
            let num_params = ty.params.len() as u32;
            self.funcs.push(FuncInst {
                type_id: type_ids[f.type_idx as usize],
                kind: FuncKind::Wasm(WasmFunc {
                    entry,
                    num_params,
                    num_locals: num_params + f.num_locals,
                    num_results: ty.results.len() as u32,
                    max_height: f.max_height,
                    memory,
                }),
            });
        }

        self.exec = crate::fuse::fuse(&self.code).into();
        self.segments = crate::fuse::segments(&self.code).into();

        let mut exports = HashMap::new();
        for e in &module.exports {
            let ext = match e.kind {
                ExportKind::Func => Extern::Func(funcs[e.index as usize]),
                ExportKind::Global => Extern::Global(globals[e.index as usize]),
                ExportKind::Memory => Extern::Memory(memory.unwrap_or(0)),
                ExportKind::Table => Extern::Table(table.unwrap_or(0)),
            };
            exports.insert(e.name.clone(), ext);
        }
        self.instances.push(Instance { exports });
        let id = self.instances.len() - 1;

        self.apply_segments(module, &funcs, &globals, memory, table)?;
        if let Some(start) = module.start {
            self.invoke(funcs[start as usize], &[])
                .map_err(|_| LinkError::StartStepLimit)?;
            self.run(self.config.start_step_limit);
            match self.status {
                Status::Halted => {}
                Status::Trapped(t) => return Err(LinkError::StartTrapped(t)),
                Status::Running => return Err(LinkError::StartStepLimit),
            }
        }
        Ok(id)
    }

    fn eval_const(&self, e: &ConstExpr, globals: &[u32]) -> u64 {
        match *e {
            ConstExpr::Value(v) => v,
            // Validation restricts initializers to imported globals, which exist.
            ConstExpr::GlobalGet(i) => globals
                .get(i as usize)
                .map(|&a| self.globals[a as usize])
                .unwrap_or(0),
        }
    }

    /// Wasm 1.0 semantics: every segment is bounds-checked before any is written.
    fn apply_segments(
        &mut self,
        module: &Module,
        funcs: &[u32],
        globals: &[u32],
        memory: Option<u32>,
        table: Option<u32>,
    ) -> Result<(), LinkError> {
        let elem_offsets: Vec<u64> = module
            .elems
            .iter()
            .map(|s| self.eval_const(&s.offset, globals) as u32 as u64)
            .collect();
        let data_offsets: Vec<u64> = module
            .datas
            .iter()
            .map(|s| self.eval_const(&s.offset, globals) as u32 as u64)
            .collect();
        for (seg, &off) in module.elems.iter().zip(&elem_offsets) {
            let len = table.map_or(0, |t| self.tables[t as usize].elems.len() as u64);
            if off + seg.funcs.len() as u64 > len {
                return Err(LinkError::SegmentDoesNotFit("elements"));
            }
        }
        for (seg, &off) in module.datas.iter().zip(&data_offsets) {
            let len = memory.map_or(0, |m| self.memories[m as usize].size());
            if off + seg.bytes.len() as u64 > len {
                return Err(LinkError::SegmentDoesNotFit("data"));
            }
        }
        if let Some(t) = table {
            for (seg, &off) in module.elems.iter().zip(&elem_offsets) {
                for (i, f) in seg.funcs.iter().enumerate() {
                    self.tables[t as usize].elems[off as usize + i] = Some(funcs[*f as usize]);
                }
            }
        }
        if let Some(m) = memory {
            for (seg, &off) in module.datas.iter().zip(&data_offsets) {
                self.memories[m as usize]
                    .write_bytes(off as usize, &seg.bytes)
                    .map_err(|_| LinkError::SegmentDoesNotFit("data"))?;
            }
        }
        Ok(())
    }
}

/// Rewrites a module-relative op to store addresses.
fn relocate(
    op: Op,
    entry: u32,
    br_base: u32,
    funcs: &[u32],
    globals: &[u32],
    type_ids: &[u32],
    table: Option<u32>,
) -> Op {
    let at = |v: &[u32], i: u32| v.get(i as usize).copied().unwrap_or(u32::MAX);
    match op {
        Op::If { else_pc } => Op::If {
            else_pc: else_pc + entry,
        },
        Op::Else { end_pc } => Op::Else {
            end_pc: end_pc + entry,
        },
        Op::Br(t) => Op::Br(BranchTarget {
            pc: t.pc + entry,
            ..t
        }),
        Op::BrIf(t) => Op::BrIf(BranchTarget {
            pc: t.pc + entry,
            ..t
        }),
        Op::BrTable { start, len } => Op::BrTable {
            start: start + br_base,
            len,
        },
        Op::Call(f) => Op::Call(at(funcs, f)),
        Op::CallIndirect { type_id, .. } => Op::CallIndirect {
            type_id: at(type_ids, type_id),
            table: table.unwrap_or(u32::MAX),
        },
        Op::GlobalGet(g) => Op::GlobalGet(at(globals, g)),
        Op::GlobalSet(g) => Op::GlobalSet(at(globals, g)),
        // No module-relative index.
        Op::Unreachable
        | Op::Nop
        | Op::Block
        | Op::Loop
        | Op::End
        | Op::Return
        | Op::Drop
        | Op::Select
        | Op::LocalGet(_)
        | Op::LocalSet(_)
        | Op::LocalTee(_)
        | Op::MemorySize
        | Op::MemoryGrow
        | Op::I32Const(_)
        | Op::I64Const(_)
        | Op::F32Const(_)
        | Op::F64Const(_)
        | crate::for_each_numeric_op!(numeric_op_pattern! {})
        | crate::for_each_memory_op!(memory_op_pattern! {}) => op,
    }
}
