//! One-step proofs on real runs: every step of programs covering every instruction
//! class is proven and verified, and the verified post-root must equal the machine's
//! root after that step. The halting step and steps past the end are covered too.

use opml_tests::programs::{every_class_wat, TRAPPING_RUNS};
use opml_vm::{verify, Config, Extern, LoadOptions, Machine, Module, Op, Proof, Status, Trap};
use std::collections::BTreeMap;

/// Runs `name(args)`, proving and verifying every `every`-th step, the last step and
/// one step past the end. Returns the final status, the number of steps and the proofs.
fn prove_every_step(name: &str, args: &[u64], every: u64) -> (Status, u64, Vec<Proof>) {
    let bytes = wat::parse_str(every_class_wat()).expect("test module parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(name)).copied() else {
        panic!("no export {name}");
    };
    m.invoke(f, args).expect("invoke");
    let mut proofs = Vec::new();
    let mut n = 0;
    loop {
        let running = m.status() == Status::Running;
        let mut probe = m.clone();
        probe.run(1);
        let last = probe.status() != Status::Running;
        if n % every == 0 || last || !running {
            let pre = m.state_root();
            let proof = m
                .prove_step()
                .unwrap_or_else(|e| panic!("{name}: prove step {n}: {e}"));
            let outcome =
                verify(&proof.bytes).unwrap_or_else(|e| panic!("{name}: verify step {n}: {e}"));
            assert_eq!(outcome.pre_root, pre, "{name}: step {n} pre-root");
            assert_eq!(
                outcome.post_root,
                probe.state_root(),
                "{name}: step {n} ({:?}) post-root",
                outcome.op
            );
            assert_eq!(proof.outcome, outcome);
            proofs.push(proof);
        }
        m = probe;
        if !running {
            return (m.status(), n, proofs);
        }
        n += 1;
    }
}

#[test]
fn every_step_of_a_program_touching_every_class_verifies() {
    for n in [0, 1, 2, 3] {
        let (status, steps, _) = prove_every_step("everything", &[n], 1);
        assert_eq!(status, Status::Halted, "n = {n}");
        assert!(steps > 150, "{steps}");
    }
}

#[test]
fn trapping_steps_verify() {
    for (name, args, trap) in TRAPPING_RUNS {
        let (status, _, _) = prove_every_step(name, args, 1);
        assert_eq!(status, Status::Trapped(trap), "{name}");
    }
}

#[test]
fn call_stack_exhaustion_verifies() {
    // 1024 frames deep: prove a sample of steps and the trapping one.
    let (status, steps, _) = prove_every_step("deep", &[], 997);
    assert_eq!(status, Status::Trapped(Trap::CallStackExhausted));
    assert!(steps > 1024 * 2, "{steps}");
}

/// One proof of every distinct instruction (and trap, and the past-the-end step) the
/// test program executes.
fn one_proof_per_instruction() -> Vec<Proof> {
    let halting: [(&str, &[u64]); 2] = [("everything", &[1]), ("everything", &[2])];
    let trapping = TRAPPING_RUNS.iter().map(|&(name, args, _)| (name, args));
    let mut by_kind: BTreeMap<String, Proof> = BTreeMap::new();
    for (name, args) in halting.into_iter().chain(trapping) {
        let (_, _, proofs) = prove_every_step(name, args, 1);
        for p in proofs {
            let o = &p.outcome;
            let kind = match (o.op, o.trap) {
                (None, _) => "past the end".to_string(),
                (Some(op), Some(trap)) => format!("{} trapping with {trap}", op.name()),
                (Some(op), None) => op.name().to_string(),
            };
            by_kind.entry(kind).or_insert(p);
        }
    }
    assert!(by_kind.len() > 40, "only {} kinds", by_kind.len());
    by_kind.into_values().collect()
}

#[test]
fn tampering_with_any_byte_of_a_proof_is_rejected() {
    let mut checked = 0u64;
    for proof in one_proof_per_instruction() {
        let honest = proof.outcome.post_root;
        let op = proof.outcome.op.map_or("none", |op: Op| op.name());
        for i in 0..proof.bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut bad = proof.bytes.clone();
                bad[i] ^= flip;
                if let Ok(o) = verify(&bad) {
                    assert_ne!(
                        o.post_root,
                        honest,
                        "{op}: flipping byte {i} of {} still proves the honest post-root",
                        proof.bytes.len()
                    );
                    panic!(
                        "{op}: flipping byte {i} of {} was accepted",
                        proof.bytes.len()
                    );
                }
                checked += 1;
            }
        }
        let mut longer = proof.bytes.clone();
        longer.push(0);
        assert!(verify(&longer).is_err(), "{op}: trailing byte accepted");
        for cut in [1, 8, 32, proof.bytes.len() / 2] {
            let short = &proof.bytes[..proof.bytes.len().saturating_sub(cut)];
            assert!(verify(short).is_err(), "{op}: proof cut by {cut} accepted");
        }
    }
    assert!(checked > 10_000, "{checked}");
}

/// Proof sizes per instruction class over every step of the test program's runs,
/// written to docs/proof-sizes.md; the median must stay under 2 KiB.
#[test]
fn proof_sizes_per_class_stay_small() {
    let halting: [(&str, &[u64]); 3] = [
        ("everything", &[0]),
        ("everything", &[1]),
        ("everything", &[2]),
    ];
    let trapping = TRAPPING_RUNS.iter().map(|&(name, args, _)| (name, args));
    let mut sizes: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for (name, args) in halting.into_iter().chain(trapping) {
        for p in prove_every_step(name, args, 1).2 {
            let class = p
                .outcome
                .op
                .map_or("no-op step (halted/trapped)", |op| op.class());
            sizes.entry(class).or_default().push(p.bytes.len());
        }
    }
    let median = |v: &mut Vec<usize>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let mut doc = String::from(
        "# One-step proof sizes\n\n\
         Bytes per proof, by instruction class, over every step of the test program's runs \
         (`opml_tests::programs::every_class_wat`: every integer op, memory, control, calls, \
         traps). Produced by:\n\n    \
         cargo test -p opml-tests --test proof proof_sizes_per_class_stay_small\n\n\
         | class | proofs | median bytes | max bytes |\n|---|---:|---:|---:|\n",
    );
    let mut all = Vec::new();
    for (class, v) in &mut sizes {
        all.extend_from_slice(v);
        let max = v.iter().max().copied().unwrap_or(0);
        doc += &format!("| {class} | {} | {} | {max} |\n", v.len(), median(v));
    }
    let (all_median, all_max) = (median(&mut all), all.iter().max().copied().unwrap_or(0));
    doc += &format!("| **all** | {} | {all_median} | {all_max} |\n", all.len());
    doc += "\nThe size is dominated by Merkle paths: the code path (height of the code \
            tree), plus for memory accesses one or two 27-level memory paths (864 bytes each).\n";
    std::fs::write(opml_tests::repo_root().join("docs/proof-sizes.md"), &doc)
        .expect("write docs/proof-sizes.md");
    eprintln!("{doc}");
    assert!(all_median < 2048, "median proof size {all_median} bytes");
}
