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

/// A module instantiated in wasmi with one export selected.
pub struct Oracle {
    store: Store<()>,
    instance: wasmi::Instance,
    func: wasmi::Func,
    meter_fuel: bool,
}

impl Oracle {
    /// Instantiates `wasm` (running its start function) and selects `export`. With
    /// `meter_fuel`, calls report the fuel they use.
    pub fn new(wasm: &[u8], export: &str, meter_fuel: bool) -> Result<Oracle, OracleError> {
        let mut config = wasmi::Config::default();
        config.consume_fuel(meter_fuel);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wasm).map_err(|e| OracleError(e.to_string()))?;
        let mut store = Store::new(&engine, ());
        if meter_fuel {
            store
                .set_fuel(u64::MAX / 2)
                .map_err(|e| OracleError(e.to_string()))?;
        }
        let linker = <Linker<()>>::new(&engine);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| OracleError(e.to_string()))?;
        let func = instance
            .get_func(&store, export)
            .ok_or_else(|| OracleError(format!("no exported function `{export}`")))?;
        Ok(Oracle {
            store,
            instance,
            func,
            meter_fuel,
        })
    }

    /// Calls the selected export once.
    pub fn call(&mut self, args: &[TypedValue]) -> Result<OracleRun, OracleError> {
        let fuel_before = if self.meter_fuel {
            self.store.get_fuel().ok()
        } else {
            None
        };
        let inputs: Vec<Val> = args.iter().map(to_val).collect();
        let ty = self.func.ty(&self.store);
        let mut outputs: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        let outcome = match self.func.call(&mut self.store, &inputs, &mut outputs) {
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
        let memory = self
            .instance
            .get_memory(&self.store, "memory")
            .map(|m| m.data(&self.store).to_vec());
        Ok(OracleRun {
            outcome,
            fuel,
            memory,
        })
    }
}

/// Runs `export(args)` of `wasm` once in a fresh wasmi instance.
pub fn run(
    wasm: &[u8],
    export: &str,
    args: &[TypedValue],
    meter_fuel: bool,
) -> Result<OracleRun, OracleError> {
    Oracle::new(wasm, export, meter_fuel)?.call(args)
}
