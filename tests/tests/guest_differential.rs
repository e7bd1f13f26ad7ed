//! The guest in the step machine and in wasmi, on the committed Fashion-MNIST model and
//! a spread of inputs: the output region, the returned code and the whole final memory
//! must agree (and match the native runner), and the step/fuel relation of
//! docs/step-vs-fuel.md (`fuel >= steps + 1`) must hold.

use opml_host::guest::{self, WasmiGuest, GUEST_WASM};
use opml_host::oracle::{Fuel, OracleOutcome};
use opml_tests::repo_root;
use opml_vm::{Extern, Status};

/// Deterministic 28×28 int8 inputs: blank, saturated, and two patterned ones.
fn inputs() -> Vec<Vec<u8>> {
    let pattern = |k: usize| (0..784).map(|i| ((i * k + i / 28) % 128) as u8).collect();
    vec![vec![0; 784], vec![127; 784], pattern(7), pattern(13)]
}

#[test]
fn guest_agrees_with_wasmi_in_output_memory_and_fuel() {
    let image_path = repo_root().join("guest-ml/models/fmnist-mlp.opml");
    let image =
        std::fs::read(&image_path).unwrap_or_else(|e| panic!("read {}: {e}", image_path.display()));
    for (n, input) in inputs().iter().enumerate() {
        let mut m = guest::load(GUEST_WASM, &image, input).expect("step machine loads the guest");
        let before = m.steps();
        m.run(u64::MAX);
        let steps = m.steps() - before;
        assert_eq!(m.status(), Status::Halted, "input {n}: step machine");
        let step_out = guest::finish_step(&m).expect("the step machine's output decodes");

        let mut w = WasmiGuest::load(GUEST_WASM, &image, input, Fuel::Unit).expect("wasmi loads");
        let run = w.call_run().expect("wasmi runs the guest");
        let OracleOutcome::Returned(values) = &run.outcome else {
            panic!("input {n}: wasmi trapped: {:?}", run.outcome);
        };
        assert_eq!(
            values.iter().map(|v| v.bits).collect::<Vec<_>>(),
            m.results(),
            "input {n}: returned code"
        );
        let native = guest::run_native(&image, input).expect("native runs");
        assert_eq!(step_out, native, "input {n}: step machine vs native output");

        let memory = match m.instance(0).and_then(|i| i.exports.get("memory")) {
            Some(Extern::Memory(addr)) => m.memory(*addr).expect("memory exists").to_vec(),
            _ => panic!("the guest exports no memory"),
        };
        let wasmi_memory = run.memory.expect("wasmi sees the exported memory");
        assert_eq!(memory.len(), wasmi_memory.len(), "input {n}: memory sizes");
        if let Some(i) = (0..memory.len()).find(|&i| memory[i] != wasmi_memory[i]) {
            panic!("input {n}: memories differ first at byte {i:#x}");
        }

        let fuel = run.fuel.expect("fuel is metered");
        eprintln!("guest, input {n}: {steps} steps, {fuel} unit fuel");
        assert!(
            fuel > steps,
            "input {n}: unit fuel {fuel} < steps {steps} + 1"
        );
    }
}
