//! The wasmi oracle: runs the same module and export in wasmi 2.x (unmodified) for fast
//! honest execution and for differential testing of the step machine.

use crate::args::TypedValue;
use opml_vm::{Trap, ValType};
use wasmi::{Engine, Linker, Module, Store, TrapCode, Val};

/// How a wasmi run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OracleOutcome {
    /// Returned these values.
    Returned(Vec<TypedValue>),
    /// Trapped with this (machine-equivalent) trap.
    Trapped(Trap),
}

/// A finished wasmi run.
#[derive(Clone, Debug)]
pub struct OracleRun {
    /// Results or trap.
    pub outcome: OracleOutcome,
    /// Fuel consumed by the call, when metering was on.
    pub fuel: Option<u64>,
    /// The final contents of the exported memory called `memory`, if any.
    pub memory: Option<Vec<u8>>,
}

/// Why wasmi could not run the module at all.
#[derive(Debug, thiserror::Error)]
#[error("wasmi: {0}")]
pub struct OracleError(pub String);

fn to_val(v: &TypedValue) -> Val {
    match v.ty {
        ValType::I32 => Val::I32(v.bits as u32 as i32),
        ValType::I64 => Val::I64(v.bits as i64),
        ValType::F32 => Val::F32(wasmi::F32::from_bits(v.bits as u32)),
        ValType::F64 => Val::F64(wasmi::F64::from_bits(v.bits)),
    }
}

fn from_val(v: &Val) -> Result<TypedValue, OracleError> {
    Ok(match v {
        Val::I32(x) => TypedValue {
            ty: ValType::I32,
            bits: *x as u32 as u64,
        },
        Val::I64(x) => TypedValue {
            ty: ValType::I64,
            bits: *x as u64,
        },
        Val::F32(x) => TypedValue {
            ty: ValType::F32,
            bits: x.to_bits() as u64,
        },
        Val::F64(x) => TypedValue {
            ty: ValType::F64,
            bits: x.to_bits(),
        },
        other => return Err(OracleError(format!("unsupported result value {other:?}"))),
    })
}

/// The machine trap a wasmi trap code corresponds to.
pub fn trap_of(code: TrapCode) -> Option<Trap> {
    Some(match code {
        TrapCode::UnreachableCodeReached => Trap::Unreachable,
        TrapCode::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => Trap::UndefinedElement,
        TrapCode::IndirectCallToNull => Trap::UninitializedElement,
        TrapCode::IntegerDivisionByZero => Trap::DivisionByZero,
        TrapCode::IntegerOverflow => Trap::IntegerOverflow,
        TrapCode::BadConversionToInteger => Trap::InvalidConversion,
        TrapCode::StackOverflow => Trap::CallStackExhausted,
        TrapCode::BadSignature => Trap::IndirectCallTypeMismatch,
        _ => return None,
    })
}

/// Whether and how wasmi meters fuel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fuel {
    /// No metering (fastest; for timing).
    Off,
    /// wasmi's default costs (structural instructions, `nop` and `drop` are free).
    Default,
    /// Every Wasm instruction costs 1, as every instruction is one step of the machine.
    Unit,
}

fn unit_costs() -> wasmi::OperatorCost {
    let mut c = wasmi::OperatorCost::default();
    for free in [
        &mut c.unreachable,
        &mut c.nop,
        &mut c.block,
        &mut c.loop_,
        &mut c.else_,
        &mut c.end,
        &mut c.return_,
        &mut c.drop,
    ] {
        *free = 1;
    }
    c
}

/// A module instantiated in wasmi.
pub struct Oracle {
    store: Store<()>,
    instance: wasmi::Instance,
    fuel: Fuel,
}

impl Oracle {
    /// Instantiates `wasm`, running its start function.
    pub fn new(wasm: &[u8], fuel: Fuel) -> Result<Oracle, OracleError> {
        let mut config = wasmi::Config::default();
        config.consume_fuel(fuel != Fuel::Off);
        if fuel == Fuel::Unit {
            config.operator_cost(unit_costs());
        }
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wasm).map_err(|e| OracleError(e.to_string()))?;
        let mut store = Store::new(&engine, ());
        if fuel != Fuel::Off {
            store
                .set_fuel(u64::MAX / 2)
                .map_err(|e| OracleError(e.to_string()))?;
        }
        let linker = <Linker<()>>::new(&engine);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| OracleError(e.to_string()))?;
        Ok(Oracle {
            store,
            instance,
            fuel,
        })
    }

    /// Calls `export(args)`; memory reported is the export called `memory`.
    pub fn call(&mut self, export: &str, args: &[TypedValue]) -> Result<OracleRun, OracleError> {
        let (outcome, fuel) = self.invoke(export, args)?;
        Ok(OracleRun {
            outcome,
            fuel,
            memory: self.memory_bytes("memory").map(<[u8]>::to_vec),
        })
    }

    /// Calls `export(args)` and returns its outcome and fuel (when metered) without
    /// copying memory out: the part of a call a benchmark times.
    pub fn invoke(
        &mut self,
        export: &str,
        args: &[TypedValue],
    ) -> Result<(OracleOutcome, Option<u64>), OracleError> {
        let func = self
            .instance
            .get_func(&self.store, export)
            .ok_or_else(|| OracleError(format!("no exported function `{export}`")))?;
        let fuel_before = if self.fuel != Fuel::Off {
            self.store.get_fuel().ok()
        } else {
            None
        };
        let inputs: Vec<Val> = args.iter().map(to_val).collect();
        let ty = func.ty(&self.store);
        let mut outputs: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        let outcome = match func.call(&mut self.store, &inputs, &mut outputs) {
            Ok(()) => {
                OracleOutcome::Returned(outputs.iter().map(from_val).collect::<Result<_, _>>()?)
            }
            Err(e) => match e.as_trap_code().and_then(trap_of) {
                Some(t) => OracleOutcome::Trapped(t),
                None => return Err(OracleError(e.to_string())),
            },
        };
        let fuel = match (fuel_before, self.store.get_fuel().ok()) {
            (Some(before), Some(after)) => Some(before - after),
            _ => None,
        };
        Ok((outcome, fuel))
    }

    /// Grows the exported memory `name` to at least `pages` and writes `(address,
    /// bytes)` pairs into it (preparing inputs before a call).
    pub fn prepare_memory(
        &mut self,
        name: &str,
        pages: usize,
        writes: &[(usize, Vec<u8>)],
    ) -> Result<(), OracleError> {
        let memory = self
            .instance
            .get_memory(&self.store, name)
            .ok_or_else(|| OracleError(format!("no exported memory `{name}`")))?;
        let have = memory.size(&self.store) as usize;
        if have < pages {
            memory
                .grow(&mut self.store, (pages - have) as u64)
                .map_err(|e| OracleError(format!("cannot grow `{name}` to {pages} pages: {e}")))?;
        }
        for (addr, bytes) in writes {
            memory
                .write(&mut self.store, *addr, bytes)
                .map_err(|e| OracleError(format!("cannot write `{name}` at {addr:#x}: {e}")))?;
        }
        Ok(())
    }

    /// The bytes of the exported memory `name`, if any.
    pub fn memory_bytes(&self, name: &str) -> Option<&[u8]> {
        self.instance
            .get_memory(&self.store, name)
            .map(|m| m.data(&self.store))
    }
}

/// Runs `export(args)` of `wasm` once in a fresh wasmi instance.
pub fn run(
    wasm: &[u8],
    export: &str,
    args: &[TypedValue],
    fuel: Fuel,
) -> Result<OracleRun, OracleError> {
    Oracle::new(wasm, fuel)?.call(export, args)
}
