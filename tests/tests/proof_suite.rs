//! One-step proofs on the spec suite's modules and on the guest: for a dense sample of
//! the steps of every invocation, `verify(prove(n))` must give the machine's root after
//! step `n + 1`. Float steps are not provable and must be rejected as such.

use opml_host::guest::{self, GUEST_WASM};
use opml_tests::spec_suite::{self, Event};
use opml_vm::{
    verify, Config, Extern, InstanceId, LoadOptions, Machine, Module, ProofError, Trace,
};
use std::collections::{BTreeMap, HashMap};

/// Steps proven at the start of every invocation; after that every `STRIDE`-th step
/// and the last one.
const HEAD: u64 = 8;
const STRIDE: u64 = 211;

#[derive(Default)]
struct Tally {
    proven: u64,
    float_rejected: u64,
    /// Proven steps per instruction name.
    by_op: BTreeMap<&'static str, u64>,
}

/// Invocations of the same export proven per module; later ones just run.
const PER_EXPORT: u32 = 2;

/// Runs the prepared invocation on `m`, proving the sampled steps and the last one.
fn prove_run(m: &mut Machine, at: &str, tally: &mut Tally) {
    // A dry run on a copy tells which step is the last (halting or trapping).
    let mut dry = m.clone();
    let total = dry.run(u64::MAX);
    for n in 0..total {
        if n < HEAD || n % STRIDE == 0 || n + 1 == total {
            match m.prove_step() {
                Ok(proof) => {
                    let outcome = verify(&proof.bytes)
                        .unwrap_or_else(|e| panic!("{at}: step {n}: proof rejected: {e}"));
                    m.run(1);
                    assert_eq!(
                        outcome.post_root,
                        m.state_root(),
                        "{at}: step {n} ({:?}): post-root differs",
                        outcome.op
                    );
                    let name = outcome.op.map_or("(stopped)", |op| op.name());
                    *tally.by_op.entry(name).or_default() += 1;
                    tally.proven += 1;
                    continue;
                }
                Err(ProofError::FloatNotProvable(_)) => tally.float_rejected += 1,
                Err(e) => panic!("{at}: step {n}: cannot prove: {e}"),
            }
        }
        m.run(1);
    }
}

#[test]
fn sampled_steps_of_every_spec_invocation_prove_and_verify() {
    let Some(root) = spec_suite::require_suite("proofs on the spec suite") else {
        return;
    };
    let mut tally = Tally::default();
    for file in spec_suite::wast_files(&root) {
        let text = spec_suite::read(&root, &file).expect("suite file is readable");
        let mut current: Option<(Machine, InstanceId)> = None;
        let mut proven_exports: HashMap<String, u32> = HashMap::new();
        spec_suite::walk_invocations(&file, &text, |event| match event {
            Event::Module(bytes) => {
                proven_exports.clear();
                current = bytes.and_then(|b| {
                    let module = Module::load(&b, LoadOptions::default()).ok()?;
                    if !module.imports.is_empty() {
                        return None;
                    }
                    let mut m = Machine::new(Config::default());
                    let id = m.instantiate(&module).ok()?;
                    Some((m, id))
                });
            }
            Event::Invoke { at, invoke } => {
                let Some((m, id)) = current.as_mut() else {
                    return;
                };
                let Some(args) = spec_suite::core_args(invoke) else {
                    return;
                };
                let export = m
                    .instance(*id)
                    .and_then(|i| i.exports.get(invoke.name))
                    .copied();
                let Some(Extern::Func(f)) = export else {
                    return;
                };
                let bits: Vec<u64> = args.iter().map(|&(_, b)| b).collect();
                if m.invoke(f, &bits).is_err() {
                    return;
                }
                let seen = proven_exports.entry(invoke.name.to_string()).or_default();
                *seen += 1;
                if *seen <= PER_EXPORT {
                    prove_run(m, &at, &mut tally);
                } else {
                    m.run(u64::MAX);
                }
            }
        })
        .expect("suite file parses");
    }
    eprintln!(
        "proofs on the spec suite: {} steps proven and verified, {} float steps rejected, {} distinct instructions",
        tally.proven,
        tally.float_rejected,
        tally.by_op.len()
    );
    assert!(tally.proven > 10_000, "{}", tally.proven);
    assert!(tally.float_rejected > 300, "{}", tally.float_rejected);
    // Every integer, memory and control instruction of Wasm 1.0 + sign extension (108).
    assert!(tally.by_op.len() >= 108, "{:?}", tally.by_op.keys());
}

/// One Fashion-MNIST inference of the ML guest per committed model (MLP, CNN): the
/// first steps, a dense sample across the run (every 997th step) and the last step are
/// proven, verified, and checked against the trace's roots.
#[test]
fn sampled_steps_of_a_model_inference_prove_and_verify() {
    for name in ["fmnist-mlp", "fmnist-cnn"] {
        let image_path = opml_tests::repo_root().join(format!("guest-ml/models/{name}.opml"));
        let image = std::fs::read(&image_path).expect("the committed model image is readable");
        let input: Vec<u8> = (0..784).map(|i| ((i * 7 + i / 28) % 128) as u8).collect();
        let machine = guest::load(GUEST_WASM, &image, &input).expect("the guest loads");
        let mut trace = Trace::record(machine, 1 << 16, u64::MAX, |_| true).expect("records");
        let total = trace.total_steps();
        let mut by_op: BTreeMap<&'static str, u64> = BTreeMap::new();
        let sample = (0..200)
            .chain((200..total).step_by(997))
            .chain([total - 1, total]);
        for n in sample {
            let proof = trace
                .prove(n)
                .unwrap_or_else(|e| panic!("{name} step {n}: {e}"));
            let outcome = verify(&proof.bytes).unwrap_or_else(|e| panic!("{name} step {n}: {e}"));
            assert_eq!(
                outcome.pre_root,
                trace.root_at(n),
                "{name} step {n}: pre-root"
            );
            assert_eq!(
                outcome.post_root,
                trace.root_at(n + 1),
                "{name} step {n}: post-root"
            );
            *by_op
                .entry(outcome.op.map_or("(stopped)", |op| op.name()))
                .or_default() += 1;
        }
        eprintln!("{name} proofs by instruction: {by_op:?}");
        assert!(by_op.len() > 20, "{name}: {by_op:?}");
    }
}
