//! The guest in the step machine and in wasmi: `run` called twice on one instance in
//! each engine must give the same results (or the same trap) and the same exported
//! memory, agree with the native kernels, and keep the step/fuel relation of
//! docs/step-vs-fuel.md (`fuel >= steps + 1`).

use opml_guest_ml::smoke;
use opml_prover::args::TypedValue;
use opml_prover::oracle::{Fuel, Oracle, OracleOutcome};
use opml_tests::guest_wasm;
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status, ValType};

/// Calls of `run` per engine, on the same instance (the second sees the first's memory).
const CALLS: usize = 2;

/// The native checksum of the smoke workload.
fn native_checksum() -> i32 {
    let mut weights = vec![0i8; smoke::ROWS * smoke::COLS];
    let mut input = vec![0i8; smoke::COLS];
    let mut out = vec![0i32; smoke::ROWS];
    smoke::run(&mut weights, &mut input, &mut out).expect("standard shapes fit")
}

#[test]
fn guest_run_agrees_with_wasmi_in_results_memory_and_fuel() {
    let wasm = guest_wasm().unwrap_or_else(|e| panic!("building the guest failed: {e}"));
    let module = Module::load(wasm, LoadOptions { provable: true })
        .unwrap_or_else(|e| panic!("the guest does not load in the provable profile: {e}"));
    let mut machine = Machine::new(Config::default());
    let id = machine
        .instantiate(&module)
        .unwrap_or_else(|e| panic!("the guest does not instantiate: {e}"));
    let exports = &machine.instance(id).expect("instance exists").exports;
    let Some(&Extern::Func(run)) = exports.get("run") else {
        panic!("the guest exports no function `run`");
    };
    let Some(&Extern::Memory(memory)) = exports.get("memory") else {
        panic!("the guest exports no memory `memory`");
    };
    let mut oracle = Oracle::new(wasm, Fuel::Unit).expect("wasmi instantiates the guest");
    let native = native_checksum();

    for call in 1..=CALLS {
        machine.invoke(run, &[]).expect("invoke run");
        let before = machine.steps();
        machine.run(u64::MAX);
        let steps = machine.steps() - before;
        let wasmi = oracle.call("run", &[]).expect("wasmi runs the guest");

        match (&wasmi.outcome, machine.status()) {
            (OracleOutcome::Returned(values), Status::Halted) => {
                let want = [TypedValue {
                    ty: ValType::I32,
                    bits: native as u32 as u64,
                }];
                assert_eq!(values.as_slice(), want, "call {call}: wasmi vs native");
                assert_eq!(
                    machine.results(),
                    [native as u32 as u64],
                    "call {call}: step machine vs native"
                );
            }
            (OracleOutcome::Trapped(t), Status::Trapped(u)) => {
                assert_eq!(*t, u, "call {call}: both trap, differently")
            }
            (w, s) => panic!("call {call}: wasmi {w:?}, step machine {s:?}"),
        }

        let vm_memory = machine.memory(memory).expect("memory exists").bytes();
        let wasmi_memory = wasmi.memory.expect("wasmi sees the exported memory");
        assert_eq!(
            vm_memory.len(),
            wasmi_memory.len(),
            "call {call}: memory sizes"
        );
        if let Some(i) = (0..vm_memory.len()).find(|&i| vm_memory[i] != wasmi_memory[i]) {
            panic!(
                "call {call}: memories differ first at byte {i:#x}: step machine {:#04x}, wasmi {:#04x}",
                vm_memory[i], wasmi_memory[i]
            );
        }

        let fuel = wasmi.fuel.expect("fuel is metered");
        eprintln!("guest run, call {call}: {steps} steps, {fuel} unit fuel");
        assert!(
            fuel > steps,
            "call {call}: unit fuel {fuel} < steps {steps} + 1 (docs/step-vs-fuel.md)"
        );
    }
}
