//! Differential testing of the step machine against wasmi 2.x on the spec suite's
//! modules: every invocation the suite makes of an import-free module is run in both
//! engines, in order, and results, traps and exported memories must agree. The relation
//! between steps and wasmi's unit-cost fuel is asserted (see docs/step-vs-fuel.md).

use opml_host::args::TypedValue;
use opml_host::oracle::{Fuel, Oracle, OracleOutcome};
use opml_tests::spec_suite::{self, Event};
use opml_vm::{Config, Extern, InstanceId, LoadOptions, Machine, Module, Status, ValType};
use std::path::Path;
use wast::WastInvoke;

struct Pair {
    machine: Machine,
    instance: InstanceId,
    oracle: Oracle,
}

#[derive(Default)]
struct Stats {
    compared: u64,
    mismatches: Vec<String>,
    skipped_modules: u64,
    /// `(steps, unit fuel)` of every invocation that returned.
    step_fuel: Vec<(u64, u64)>,
}

fn instantiate_pair(bytes: &[u8]) -> Option<Pair> {
    let module = Module::load(bytes, LoadOptions::default()).ok()?;
    if !module.imports.is_empty() {
        return None;
    }
    let mut machine = Machine::new(Config::default());
    let instance = machine.instantiate(&module).ok()?;
    let oracle = Oracle::new(bytes, Fuel::Unit).ok()?;
    Some(Pair {
        machine,
        instance,
        oracle,
    })
}

fn same_value(ty: ValType, a: u64, b: u64) -> bool {
    match ty {
        ValType::F32 => {
            a == b || (f32::from_bits(a as u32).is_nan() && f32::from_bits(b as u32).is_nan())
        }
        ValType::F64 => a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan()),
        _ => a == b,
    }
}

fn compare(pair: &mut Pair, inv: &WastInvoke<'_>, at: &str, stats: &mut Stats) {
    let Some(args) = spec_suite::core_args(inv) else {
        return;
    };
    let args: Vec<TypedValue> = args
        .into_iter()
        .map(|(ty, bits)| TypedValue { ty, bits })
        .collect();
    let exports = &pair
        .machine
        .instance(pair.instance)
        .map(|i| i.exports.clone())
        .unwrap_or_default();
    let Some(Extern::Func(f)) = exports.get(inv.name).copied() else {
        return;
    };
    let bits: Vec<u64> = args.iter().map(|a| a.bits).collect();
    let m = &mut pair.machine;
    if m.invoke(f, &bits).is_err() {
        return;
    }
    let before = m.steps();
    m.run(1 << 32);
    let steps = m.steps() - before;
    let Ok(run) = pair.oracle.call(inv.name, &args) else {
        return;
    };
    stats.compared += 1;
    let result_types = m
        .func_type(f)
        .map(|t| t.results.clone())
        .unwrap_or_default();
    let agree = match (&run.outcome, m.status()) {
        (OracleOutcome::Returned(vals), Status::Halted) => {
            let ok = vals.len() == m.results().len()
                && vals
                    .iter()
                    .zip(m.results())
                    .zip(&result_types)
                    .all(|((v, &r), &ty)| same_value(ty, v.bits, r));
            if ok {
                stats.step_fuel.push((steps, run.fuel.unwrap_or(0)));
            }
            ok
        }
        (OracleOutcome::Trapped(t), Status::Trapped(u)) => *t == u,
        _ => false,
    };
    if !agree {
        stats.mismatches.push(format!(
            "{at} {}: wasmi {:?}, machine {:?} {:?}",
            inv.name,
            run.outcome,
            m.status(),
            m.results()
        ));
    }
    for (name, e) in exports {
        if let Extern::Memory(addr) = e {
            let ours = m.memory(*addr).map(|mem| mem.to_vec());
            if ours.as_deref() != pair.oracle.memory_bytes(name) {
                stats
                    .mismatches
                    .push(format!("{at} {}: memory `{name}` differs", inv.name));
            }
        }
    }
}

fn run_file(root: &Path, file: &str, stats: &mut Stats) {
    let text = spec_suite::read(root, file).expect("suite file is readable");
    let mut current: Option<Pair> = None;
    spec_suite::walk_invocations(file, &text, |event| match event {
        Event::Module(bytes) => {
            current = bytes.and_then(|b| instantiate_pair(&b));
            if current.is_none() {
                stats.skipped_modules += 1;
            }
        }
        Event::Invoke { at, invoke } => {
            if let Some(pair) = current.as_mut() {
                compare(pair, invoke, &at, stats);
            }
        }
    })
    .expect("suite file parses");
}

#[test]
fn step_machine_agrees_with_wasmi_on_spec_modules() {
    let Some(root) = spec_suite::require_suite("differential") else {
        return;
    };
    let mut stats = Stats::default();
    for file in spec_suite::wast_files(&root) {
        run_file(&root, &file, &mut stats);
    }
    let (steps, fuel): (u64, u64) = stats
        .step_fuel
        .iter()
        .fold((0, 0), |(s, f), (a, b)| (s + a, f + b));
    eprintln!(
        "differential: {} invocations compared, {} mismatches, {} modules skipped (imports or rejected); \
         returned runs: {} steps, {} unit fuel",
        stats.compared,
        stats.mismatches.len(),
        stats.skipped_modules,
        steps,
        fuel
    );
    for m in stats.mismatches.iter().take(40) {
        eprintln!("  mismatch: {m}");
    }
    assert!(
        stats.compared > 10_000,
        "too few invocations compared: {}",
        stats.compared
    );
    assert!(
        stats.mismatches.is_empty(),
        "{} mismatches",
        stats.mismatches.len()
    );

    // The step/fuel relation of docs/step-vs-fuel.md: wasmi charges one unit for the
    // call from the host and each basic block in full when it enters it, so its fuel
    // never falls below steps + 1, and equals it whenever every block entered runs to
    // its end (no early exit by a taken branch out of the middle, no memory.grow).
    let below: Vec<_> = stats.step_fuel.iter().filter(|(s, f)| *f < s + 1).collect();
    assert!(
        below.is_empty(),
        "fuel below steps + 1 in {} runs, e.g. {:?}",
        below.len(),
        below.first()
    );
    let exact = stats.step_fuel.iter().filter(|(s, f)| *f == s + 1).count();
    eprintln!(
        "differential: fuel == steps + 1 in {exact} of {} returned runs",
        stats.step_fuel.len()
    );
    assert!(
        exact * 10 >= stats.step_fuel.len() * 8,
        "fuel == steps + 1 in only {exact} of {} runs (expected at least 80 %)",
        stats.step_fuel.len()
    );
}
