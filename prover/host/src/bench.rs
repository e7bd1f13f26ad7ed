//! `opml bench`: the same workload in the step machine and in wasmi, in one process, so
//! the speed is reported as a ratio against a reference run on the same machine.

use crate::args::TypedValue;
use crate::oracle::{Fuel, Oracle, OracleError, OracleOutcome};
use crate::target::{self, TargetError};
use opml_vm::{LoadOptions, Status};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Steps run between checks for Ctrl-C and progress updates.
const CHUNK: u64 = 1 << 26;

/// What `opml bench` measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Steps of one run in the step machine.
    pub steps: u64,
    /// wasmi fuel of one run with unit costs (every Wasm instruction costs 1).
    pub wasmi_fuel: u64,
    /// Best wall time of the step machine over the repeats, seconds.
    pub vm_seconds: f64,
    /// Best wall time of wasmi (no fuel metering) over the repeats, seconds.
    pub wasmi_seconds: f64,
    /// Step machine throughput.
    pub vm_steps_per_second: f64,
    /// `wasmi_seconds / vm_seconds`: how fast the step machine is relative to wasmi.
    pub speed_ratio_vs_wasmi: f64,
    /// Repeats per engine.
    pub repeats: u32,
    /// Both engines returned the same results (or the same trap).
    pub outcomes_agree: bool,
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Loading or preparing the module.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// wasmi failed.
    #[error(transparent)]
    Oracle(#[from] OracleError),
    /// Ctrl-C.
    #[error("interrupted after {0} steps")]
    Interrupted(u64),
}

/// Runs `export(args)` of `path` `repeats` times in each engine.
pub fn bench(
    path: &Path,
    export: &str,
    args: &[TypedValue],
    repeats: u32,
    mut progress: impl FnMut(u64),
) -> Result<BenchReport, BenchError> {
    let repeats = repeats.max(1);
    let mut vm_best = f64::INFINITY;
    let mut steps = 0;
    let mut vm_results = Vec::new();
    let mut vm_status = Status::Running;
    for _ in 0..repeats {
        let mut prepared = target::prepare(path, export, args, LoadOptions::default())?;
        let m = &mut prepared.machine;
        let start = Instant::now();
        while m.status() == Status::Running {
            m.run(CHUNK);
            progress(m.steps());
            if crate::interrupt::requested() {
                return Err(BenchError::Interrupted(m.steps()));
            }
        }
        vm_best = vm_best.min(start.elapsed().as_secs_f64());
        steps = m.steps();
        vm_results = m.results().to_vec();
        vm_status = m.status();
    }
    let bytes = target::read_module_bytes(path)?;
    let mut wasmi_best = f64::INFINITY;
    let mut outcome = None;
    for _ in 0..repeats {
        let mut oracle = Oracle::new(&bytes, Fuel::Off)?;
        let start = Instant::now();
        let (run, _) = oracle.invoke(export, args)?;
        wasmi_best = wasmi_best.min(start.elapsed().as_secs_f64());
        outcome = Some(run);
    }
    let fuel = Oracle::new(&bytes, Fuel::Unit)?
        .invoke(export, args)?
        .1
        .unwrap_or(0);
    let outcomes_agree = match (outcome, vm_status) {
        (Some(OracleOutcome::Returned(v)), Status::Halted) => {
            v.iter().map(|t| t.bits).collect::<Vec<_>>() == vm_results
        }
        (Some(OracleOutcome::Trapped(t)), Status::Trapped(u)) => t == u,
        _ => false,
    };
    Ok(BenchReport {
        steps,
        wasmi_fuel: fuel,
        vm_seconds: vm_best,
        wasmi_seconds: wasmi_best,
        vm_steps_per_second: steps as f64 / vm_best,
        speed_ratio_vs_wasmi: wasmi_best / vm_best,
        repeats,
        outcomes_agree,
    })
}

/// What `opml bench --model` measured: one inference, whole run, per engine.
#[derive(Clone, Debug, Serialize)]
pub struct ModelBenchReport {
    /// Steps of one inference in the step machine.
    pub steps: u64,
    /// Best time of the step machine's whole run (from `guest::load`'s ready machine
    /// to halt), seconds.
    pub vm_seconds: f64,
    /// Best time of `guest::load` (decode, lower, instantiate, write the regions).
    pub vm_load_seconds: f64,
    /// Best time of `run()` in wasmi (instantiated and prepared beforehand; the output
    /// is read after the clock stops), seconds.
    pub wasmi_seconds: f64,
    /// Best time of the native runner, seconds.
    pub native_seconds: f64,
    /// Step machine throughput.
    pub vm_steps_per_second: f64,
    /// `wasmi_seconds / vm_seconds`.
    pub speed_ratio_vs_wasmi: f64,
    /// Repeats per engine.
    pub repeats: u32,
    /// The class all engines returned.
    pub class: u32,
    /// All three engines returned the same output.
    pub outputs_agree: bool,
}

/// Runs one inference of `image` on `input` `repeats` times in each engine.
pub fn bench_model(
    guest_wasm: &[u8],
    image: &[u8],
    input: &[u8],
    repeats: u32,
) -> Result<ModelBenchReport, crate::guest::GuestError> {
    use crate::guest::{self, WasmiGuest};
    let repeats = repeats.max(1);
    let (mut vm_best, mut load_best) = (f64::INFINITY, f64::INFINITY);
    let mut vm_out = None;
    let mut steps = 0;
    for _ in 0..repeats {
        let start = Instant::now();
        let mut m = guest::load(guest_wasm, image, input)?;
        load_best = load_best.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        while m.status() == Status::Running {
            m.run(CHUNK);
        }
        vm_best = vm_best.min(start.elapsed().as_secs_f64());
        steps = m.steps();
        vm_out = Some(guest::finish_step(&m)?);
    }
    let mut wasmi_best = f64::INFINITY;
    let mut wasmi_out = None;
    for _ in 0..repeats {
        let mut w = WasmiGuest::load(guest_wasm, image, input, Fuel::Off)?;
        let start = Instant::now();
        let code = w.run_code()?;
        wasmi_best = wasmi_best.min(start.elapsed().as_secs_f64());
        wasmi_out = Some(w.output(code)?);
    }
    let mut native_best = f64::INFINITY;
    let mut native_out = None;
    for _ in 0..repeats {
        let start = Instant::now();
        native_out = Some(guest::run_native(image, input)?);
        native_best = native_best.min(start.elapsed().as_secs_f64());
    }
    Ok(ModelBenchReport {
        steps,
        vm_seconds: vm_best,
        vm_load_seconds: load_best,
        wasmi_seconds: wasmi_best,
        native_seconds: native_best,
        vm_steps_per_second: steps as f64 / vm_best,
        speed_ratio_vs_wasmi: wasmi_best / vm_best,
        repeats,
        class: vm_out.as_ref().map_or(0, |o| o.class),
        outputs_agree: vm_out == wasmi_out && vm_out == native_out,
    })
}
