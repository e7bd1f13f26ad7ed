//! The Solidity one-step verifier against the Rust reference verifier, in revm: on
//! proofs of every step of real runs it returns exactly the Rust post-root, and on
//! tampered proofs it reverts exactly when Rust rejects, with the same error (variant,
//! item and offset); otherwise it returns the same root. Also: the generated constants
//! are fresh and every contract fits the EIP-170 size limit.

use opml_game::evm::{describe, describe_rust, EvmVerifier, Verdict, MAX_CODE_SIZE};
use opml_host::guest::{self, GUEST_WASM};
use opml_tests::programs::{every_class_wat, TRAPPING_RUNS};
use opml_tests::spec_suite::Event;
use opml_tests::{repo_root, spec_suite, write_doc_section};
use opml_vm::proof::{solidity, verify_from};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Op, Status, Trace};
use std::collections::BTreeMap;

/// Counts of what was compared.
#[derive(Default)]
struct Tally {
    /// Gas of each valid proof, by instruction class.
    gas: BTreeMap<&'static str, Vec<u64>>,
    /// The largest valid proof of each instruction class, in bytes.
    size: BTreeMap<&'static str, usize>,
    proofs: u64,
    tampered: u64,
    rejected: u64,
}

/// Rust and Solidity agree on `proof` with expected pre-root `pre`; returns whether
/// both rejected it, and the gas.
fn agree(evm: &mut EvmVerifier, pre: &[u8; 32], proof: &[u8], what: &str) -> (bool, u64) {
    let rust = verify_from(pre, proof);
    let sol = evm
        .step(pre, proof)
        .unwrap_or_else(|e| panic!("{what}: EVM failure: {e}"));
    match (&rust, &sol.verdict) {
        (Ok(r), Verdict::Valid(s)) => assert_eq!(r, s, "{what}: post-roots differ"),
        (Err(r), Verdict::Rejected(s)) => {
            assert_eq!(describe_rust(r), describe(s), "{what}: errors differ")
        }
        (r, s) => panic!("{what}: Rust says {r:?}, Solidity says {s:?}"),
    }
    (rust.is_err(), sol.gas)
}

/// The class an instruction's gas is reported under.
fn class(op: Option<Op>) -> &'static str {
    op.map_or("no-op step (halted/trapped)", |op| op.class())
}

/// Tampered variants of a valid proof: one byte flipped at a spread of offsets (the
/// header, every state field, then every 7th byte: values, siblings, indices, opcode),
/// truncated, extended, and checked against a wrong pre-root.
fn tamper(evm: &mut EvmVerifier, pre: &[u8; 32], proof: &[u8], what: &str, t: &mut Tally) {
    let mut offsets: Vec<usize> = (0..proof.len().min(260)).step_by(3).collect();
    offsets.extend((260..proof.len()).step_by(7));
    let mut check = |bytes: &[u8], pre: &[u8; 32], how: String| {
        t.tampered += 1;
        if agree(evm, pre, bytes, &format!("{what}, {how}")).0 {
            t.rejected += 1;
        }
    };
    for &i in &offsets {
        let mut bad = proof.to_vec();
        bad[i] ^= 1 << (i % 8);
        check(&bad, pre, format!("bit flipped at byte {i}"));
    }
    check(&proof[..proof.len() - 1], pre, "truncated".into());
    check(&[proof, &[0]].concat(), pre, "extended".into());
    let mut other = *pre;
    other[31] ^= 1;
    check(proof, &other, "wrong pre-root".into());
}

/// Proves every step of `name(args)` in `module` (plus one past the end) and compares
/// both verifiers; tampers with every `tamper_every`-th proof. `None` when the export
/// cannot be invoked.
fn run_export(
    evm: &mut EvmVerifier,
    module: &Module,
    name: &str,
    args: &[u64],
    tamper_every: u64,
    t: &mut Tally,
) -> Option<Status> {
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(module).ok()?;
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(name)).copied() else {
        return None;
    };
    m.invoke(f, args).ok()?;
    for n in 0.. {
        let running = m.status() == Status::Running;
        let pre = m.state_root();
        let proof = m
            .prove_step()
            .unwrap_or_else(|e| panic!("{name}: prove {n}: {e}"));
        let what = format!("{name}{args:?} step {n}");
        let (rejected, gas) = agree(evm, &pre, &proof.bytes, &what);
        assert!(!rejected, "{what}: valid proof rejected");
        let c = class(proof.outcome.op);
        t.gas.entry(c).or_default().push(gas);
        let size = t.size.entry(c).or_default();
        *size = (*size).max(proof.bytes.len());
        m.run(1);
        t.proofs += 1;
        if n % tamper_every == 0 || !running {
            tamper(evm, &pre, &proof.bytes, &what, t);
        }
        if !running {
            break;
        }
    }
    Some(m.status())
}

#[test]
fn solidity_verifier_matches_rust_on_every_step_and_every_tampering() {
    let mut evm = EvmVerifier::deploy().expect("deploys");
    let bytes = wat::parse_str(every_class_wat()).expect("parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("loads");
    let mut t = Tally::default();
    for n in [0, 1, 2, 3] {
        let s = run_export(&mut evm, &module, "everything", &[n], 13, &mut t);
        assert_eq!(s, Some(Status::Halted));
    }
    for (name, args, _) in TRAPPING_RUNS {
        let s = run_export(&mut evm, &module, name, args, 1, &mut t);
        assert!(matches!(s, Some(Status::Trapped(_))), "{name}: {s:?}");
    }
    let s = run_export(&mut evm, &module, "deep", &[], 499, &mut t);
    assert!(matches!(s, Some(Status::Trapped(_))), "deep: {s:?}");
    eprintln!(
        "{} proofs agree; {} tampered proofs agree ({} rejected by both)",
        t.proofs, t.tampered, t.rejected
    );
    assert!(
        t.proofs > 3000 && t.tampered > 10_000,
        "too few comparisons"
    );
    assert!(
        t.rejected * 10 > t.tampered * 9,
        "most tamperings must be rejected"
    );
    write_gas_table(&t);
}

/// Writes the per-class section of docs/gas.md and checks the targets: median < 100k,
/// max < 300k gas per step.
fn write_gas_table(t: &Tally) {
    let mut all: Vec<u64> = t.gas.values().flatten().copied().collect();
    all.sort_unstable();
    let median = |v: &[u64]| v[v.len() / 2];
    let mut doc = String::from(
        "Over every step of the differential test's program (every integer op, memory, \
         control, calls, traps). Produced by:\n\n    cargo test -p opml-tests --test \
         evm_verifier solidity_verifier_matches_rust_on_every_step\n\n\
         | class | proofs | median gas | max gas | max bytes |\n|---|---:|---:|---:|---:|\n",
    );
    for (class, v) in &t.gas {
        let mut v = v.clone();
        v.sort_unstable();
        let max = v[v.len() - 1];
        let bytes = t.size.get(class).copied().unwrap_or(0);
        doc += &format!(
            "| {class} | {} | {} | {max} | {bytes} |\n",
            v.len(),
            median(&v)
        );
    }
    let max = all[all.len() - 1];
    let bytes = t.size.values().copied().max().unwrap_or(0);
    doc += &format!(
        "| **all** | {} | {} | {max} | {bytes} |\n",
        all.len(),
        median(&all)
    );
    write_doc_section("docs/gas.md", "per-class", &doc).expect("write docs/gas.md");
    assert!(median(&all) < 100_000, "median gas {}", median(&all));
    assert!(max < 300_000, "max gas {max}");
}

/// Spec-suite files whose modules are integer-only and import-free.
const SPEC_FILES: [&str; 8] = [
    "i32.wast",
    "i64.wast",
    "br_table.wast",
    "call_indirect.wast",
    "memory_trap.wast",
    "address.wast",
    "int_exprs.wast",
    "proposals/sign-extension-ops/i64.wast",
];

#[test]
fn solidity_verifier_matches_rust_on_spec_suite_invocations() {
    let Some(root) = spec_suite::require_suite("evm spec") else {
        return;
    };
    let mut evm = EvmVerifier::deploy().expect("deploys");
    let mut t = Tally::default();
    let mut invocations = 0;
    for file in SPEC_FILES {
        let text = spec_suite::read(&root, file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut module = None;
        spec_suite::walk_invocations(file, &text, |event| match event {
            Event::Module(bytes) => {
                module = bytes
                    .and_then(|b| Module::load(&b, LoadOptions { provable: true }).ok())
                    .filter(|m| m.imports.is_empty());
            }
            Event::Invoke { invoke, .. } => {
                let Some(module) = &module else { return };
                let Some(args) = spec_suite::core_args(invoke) else {
                    return;
                };
                let args: Vec<u64> = args.iter().map(|&(_, bits)| bits).collect();
                if run_export(&mut evm, module, invoke.name, &args, 41, &mut t).is_some() {
                    invocations += 1;
                }
            }
        })
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    eprintln!(
        "{invocations} spec invocations: {} proofs, {} tampered proofs agree",
        t.proofs, t.tampered
    );
    assert!(invocations > 1000, "{invocations}");
}

/// The Solidity verifier on the ML guest: a sample of the steps of one Fashion-MNIST
/// inference (the first ones, then every 7919th, and the last), with tampering.
#[test]
fn solidity_verifier_matches_rust_on_a_model_inference() {
    let image_path = repo_root().join("guest-ml/models/fmnist-mlp.opml");
    let image = std::fs::read(&image_path).expect("the committed model image is readable");
    let input: Vec<u8> = (0..784).map(|i| ((i * 13 + i / 28) % 128) as u8).collect();
    let machine = guest::load(GUEST_WASM, &image, &input).expect("the guest loads");
    let mut trace = Trace::record(machine, 1 << 16, u64::MAX, |_| true).expect("records");
    let total = trace.total_steps();
    let mut evm = EvmVerifier::deploy().expect("deploys");
    let mut t = Tally::default();
    for n in (0..64).chain((64..total).step_by(7919)).chain([total - 1]) {
        let pre = trace.root_at(n);
        let proof = trace
            .prove(n)
            .unwrap_or_else(|e| panic!("guest step {n}: {e}"));
        let what = format!("guest step {n}");
        let (rejected, _) = agree(&mut evm, &pre, &proof.bytes, &what);
        assert!(!rejected, "{what}: valid proof rejected");
        t.proofs += 1;
        if n % 16 == 0 {
            tamper(&mut evm, &pre, &proof.bytes, &what, &mut t);
        }
    }
    eprintln!(
        "guest: {} proofs, {} tampered proofs agree",
        t.proofs, t.tampered
    );
    assert!(t.proofs > 300, "{}", t.proofs);
}

#[test]
fn generated_solidity_constants_are_fresh() {
    let path = repo_root().join(solidity::GENERATED_PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == solidity::constants(),
        "{} is stale: run `cargo run -p opml-vm --example gen_solidity`, then \
         `node arbiter-sol/compile.mjs`, and commit both",
        solidity::GENERATED_PATH
    );
}

#[test]
fn verifier_fits_the_eip170_size_limit() {
    let evm = EvmVerifier::deploy().expect("deploys");
    assert!(evm.code_size() > 0);
    assert!(
        evm.code_size() <= MAX_CODE_SIZE,
        "WasmStep is {} bytes",
        evm.code_size()
    );
}
