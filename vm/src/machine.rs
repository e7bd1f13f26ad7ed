//! The machine: a store of instances (code, functions, globals, memories, tables) and
//! the execution registers. Instantiation (`machine/instantiate.rs`) links imports,
//! applies segments and runs the start function; [`Machine::invoke`] prepares a call
//! that [`Machine::run`] steps.

use crate::fuse::XOp;
use crate::memory::Memory;
use crate::module::{FuncType, GlobalType, Limits};
use crate::ops::{BranchTarget, Op};
use crate::trap::Trap;
use std::collections::HashMap;
use std::sync::Arc;

mod instantiate;

/// A host function: receives the arguments' bits, returns the results' bits.
pub type HostFn = dyn Fn(&[u64]) -> Result<Vec<u64>, Trap> + Send + Sync;

/// Limits of one machine.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Frames deeper than this trap with `CallStackExhausted`.
    pub max_call_depth: u32,
    /// Value-stack capacity in 64-bit slots (locals and operands of all frames).
    pub stack_slots: u32,
    /// Step limit for start functions run during instantiation.
    pub start_step_limit: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_call_depth: 1024,
            stack_slots: 1 << 20,
            start_step_limit: 1 << 32,
        }
    }
}

/// A function in the store.
#[derive(Clone)]
pub enum FuncKind {
    /// A lowered Wasm function.
    Wasm(WasmFunc),
    /// A host function.
    Host(Arc<HostFn>),
}

/// Layout facts of a lowered Wasm function, used by calls and by the commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmFunc {
    /// Code address of the first op.
    pub entry: u32,
    /// Parameters.
    pub num_params: u32,
    /// Parameters plus declared locals.
    pub num_locals: u32,
    /// Results (0 or 1).
    pub num_results: u32,
    /// Highest operand height of the body.
    pub max_height: u32,
    /// Store address of the memory its instance uses, if any.
    pub memory: Option<u32>,
}

/// A function in the store: canonical type id and body.
#[derive(Clone)]
pub struct FuncInst {
    /// Index into the machine's type table.
    pub type_id: u32,
    /// Body.
    pub kind: FuncKind,
}

/// A table of function references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Store function addresses, `None` for empty slots.
    pub elems: Vec<Option<u32>>,
    /// Declared maximum.
    pub max: Option<u32>,
}

/// An exported or importable item, by store address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extern {
    /// Function address.
    Func(u32),
    /// Global address.
    Global(u32),
    /// Memory address.
    Memory(u32),
    /// Table address.
    Table(u32),
}

/// An instance: its exports by name.
#[derive(Clone, Debug, Default)]
pub struct Instance {
    /// Exports by name.
    pub exports: HashMap<String, Extern>,
}

/// Identifies an instance in a machine.
pub type InstanceId = usize;

/// Whether the machine can step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing invoked yet, or the last invocation returned: results on the stack.
    Halted,
    /// Inside an invocation.
    Running,
    /// The invocation trapped.
    Trapped(Trap),
}

/// A caller's frame, saved while its callee runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Store address of the caller.
    pub func: u32,
    /// Caller's frame pointer (index of its first local in the value stack).
    pub fp: u32,
    /// Where the caller continues.
    pub ret_pc: u32,
}

/// `func` of the current frame when no function is active.
pub const NO_FUNC: u32 = u32::MAX;

/// The step machine.
#[derive(Clone)]
pub struct Machine {
    pub(crate) config: Config,
    pub(crate) types: Vec<FuncType>,
    pub(crate) code: Vec<Op>,
    /// The executor's view of `code`: fused sequences (`fuse.rs`), one entry per op.
    pub(crate) exec: Arc<[XOp]>,
    /// Per code address, the ops up to and including the next jump, call or return
    /// (`fuse::segments`): what the fast loop needs of the budget to run from there.
    pub(crate) segments: Arc<[u32]>,
    pub(crate) code_offsets: Vec<u32>,
    pub(crate) br_targets: Vec<BranchTarget>,
    pub(crate) funcs: Vec<FuncInst>,
    pub(crate) globals: Vec<u64>,
    pub(crate) global_types: Vec<GlobalType>,
    pub(crate) memories: Vec<Memory>,
    pub(crate) tables: Vec<Table>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) registry: HashMap<String, InstanceId>,
    /// The program root, computed on demand; cleared when the store changes.
    pub(crate) program_cache: Option<std::sync::Arc<crate::commit::ProgramCache>>,
    // Execution registers.
    pub(crate) stack: Vec<u64>,
    pub(crate) sp: u32,
    pub(crate) fp: u32,
    pub(crate) func: u32,
    pub(crate) pc: u32,
    pub(crate) frames: Vec<Frame>,
    pub(crate) status: Status,
    pub(crate) steps: u64,
}

impl Machine {
    /// An empty machine.
    pub fn new(config: Config) -> Machine {
        Machine {
            config,
            types: Vec::new(),
            code: Vec::new(),
            exec: Arc::from([]),
            segments: Arc::from([]),
            code_offsets: Vec::new(),
            br_targets: Vec::new(),
            funcs: Vec::new(),
            globals: Vec::new(),
            global_types: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            instances: Vec::new(),
            registry: HashMap::new(),
            program_cache: None,
            stack: vec![0; config.stack_slots as usize],
            sp: 0,
            fp: 0,
            func: NO_FUNC,
            pc: 0,
            frames: Vec::new(),
            status: Status::Halted,
            steps: 0,
        }
    }

    /// The machine's limits.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Steps executed since the machine was created.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Program counter (code address of the next op).
    pub fn pc(&self) -> u32 {
        self.pc
    }

    /// The op at code address `pc`.
    pub fn op_at(&self, pc: u32) -> Option<Op> {
        self.code.get(pc as usize).copied()
    }

    /// Byte offset in its module of the Wasm instruction the op at `pc` came from.
    pub fn wasm_offset(&self, pc: u32) -> Option<u32> {
        self.code_offsets.get(pc as usize).copied()
    }

    /// The results of the last invocation (raw bits), once halted.
    pub fn results(&self) -> &[u64] {
        match self.status {
            Status::Halted => &self.stack[..self.sp as usize],
            _ => &[],
        }
    }

    /// The signature of a store function.
    pub fn func_type(&self, func: u32) -> Option<&FuncType> {
        let f = self.funcs.get(func as usize)?;
        self.types.get(f.type_id as usize)
    }

    /// A store memory.
    pub fn memory(&self, addr: u32) -> Option<&Memory> {
        self.memories.get(addr as usize)
    }

    /// A store memory, mutably (the embedder writes inputs before the first step).
    pub fn memory_mut(&mut self, addr: u32) -> Option<&mut Memory> {
        self.memories.get_mut(addr as usize)
    }

    /// The value of a store global.
    pub fn global(&self, addr: u32) -> Option<u64> {
        self.globals.get(addr as usize).copied()
    }

    /// An instance.
    pub fn instance(&self, id: InstanceId) -> Option<&Instance> {
        self.instances.get(id)
    }

    /// Makes `instance`'s exports importable under module name `name`.
    pub fn register(&mut self, name: &str, instance: InstanceId) {
        self.registry.insert(name.to_string(), instance);
    }

    fn canonical_type(&mut self, ty: &FuncType) -> u32 {
        match self.types.iter().position(|t| t == ty) {
            Some(i) => i as u32,
            None => {
                self.types.push(ty.clone());
                (self.types.len() - 1) as u32
            }
        }
    }

    /// Adds a host function to the store.
    pub fn add_host_func(&mut self, ty: FuncType, f: Arc<HostFn>) -> u32 {
        self.program_cache = None;
        let type_id = self.canonical_type(&ty);
        self.funcs.push(FuncInst {
            type_id,
            kind: FuncKind::Host(f),
        });
        (self.funcs.len() - 1) as u32
    }

    /// Adds a global to the store.
    pub fn add_global(&mut self, ty: GlobalType, value: u64) -> u32 {
        self.globals.push(value);
        self.global_types.push(ty);
        (self.globals.len() - 1) as u32
    }

    /// Adds a memory to the store.
    pub fn add_memory(&mut self, limits: Limits) -> u32 {
        self.memories.push(Memory::new(limits.min, limits.max));
        (self.memories.len() - 1) as u32
    }

    /// Adds a table to the store.
    pub fn add_table(&mut self, limits: Limits) -> u32 {
        self.program_cache = None;
        self.tables.push(Table {
            elems: vec![None; limits.min as usize],
            max: limits.max,
        });
        (self.tables.len() - 1) as u32
    }

    /// Adds an instance made of existing store items (a host module) and returns its id.
    pub fn add_host_instance(&mut self, exports: HashMap<String, Extern>) -> InstanceId {
        self.instances.push(Instance { exports });
        self.instances.len() - 1
    }

    /// Prepares a call of store function `func` with `args` (raw bits). Host functions
    /// run at once; Wasm functions are entered and then advanced by [`Machine::run`].
    pub fn invoke(&mut self, func: u32, args: &[u64]) -> Result<(), InvokeError> {
        if self.status == Status::Running {
            return Err(InvokeError::Busy);
        }
        let f = self
            .funcs
            .get(func as usize)
            .ok_or(InvokeError::NoSuchFunction(func))?;
        let ty = &self.types[f.type_id as usize];
        if ty.params.len() != args.len() {
            return Err(InvokeError::ArgumentCount {
                expected: ty.params.len(),
                got: args.len(),
            });
        }
        self.frames.clear();
        self.stack[..args.len()].copy_from_slice(args);
        match &f.kind {
            FuncKind::Host(h) => {
                match h(args) {
                    Ok(results) => {
                        self.stack[..results.len()].copy_from_slice(&results);
                        self.sp = results.len() as u32;
                        self.status = Status::Halted;
                    }
                    Err(t) => self.status = Status::Trapped(t),
                }
                self.func = NO_FUNC;
            }
            FuncKind::Wasm(w) => {
                let w = *w;
                if w.num_locals + w.max_height > self.config.stack_slots {
                    self.status = Status::Trapped(Trap::CallStackExhausted);
                    return Ok(());
                }
                self.stack[args.len()..w.num_locals as usize].fill(0);
                self.fp = 0;
                self.sp = w.num_locals;
                self.func = func;
                self.pc = w.entry;
                self.status = Status::Running;
            }
        }
        Ok(())
    }
}

/// Why an invocation could not be prepared.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvokeError {
    /// An invocation is still running.
    #[error("the machine is still running an invocation")]
    Busy,
    /// No function at that store address.
    #[error("no function at store address {0}")]
    NoSuchFunction(u32),
    /// Wrong number of arguments.
    #[error("expected {expected} arguments, got {got}")]
    ArgumentCount {
        /// Parameters of the function.
        expected: usize,
        /// Arguments given.
        got: usize,
    },
}
