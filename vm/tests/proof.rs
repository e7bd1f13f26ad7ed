//! One-step proofs on real runs: every step of programs covering every instruction
//! class is proven and verified, and the verified post-root must equal the machine's
//! root after that step. The halting step and steps past the end are covered too.

use opml_vm::{verify, Config, Extern, LoadOptions, Machine, Module, Op, Proof, Status, Trap};
use std::collections::BTreeMap;

/// Covers control flow, locals, globals, memory (aligned, straddling, grow), calls,
/// tables and the traps reachable from each.
const PROGRAM: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (global $g (mut i64) (i64.const 5))
  (global $c i32 (i32.const 7))
  (memory 1 3)
  (table 4 funcref)
  (elem (i32.const 0) $double $inc $nothing)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $nothing (type $v))
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "everything") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    ;; loop with br_if / br and a value-carrying block
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.tee $i (i32.add (local.get $i) (i32.const 1))))))
        (br $l)))
    ;; br with drop and keep: leaves 42 after dropping two values
    (drop (block (result i32) (i32.const 1) (i32.const 2) (br 0 (i32.const 42))))
    ;; br_table with every target
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (block (result i32)
        (block (result i32)
          (block (result i32) (br_table 0 1 2 (i32.const 9) (local.get $n)))
          (i32.add (i32.const 10)))
        (i32.add (i32.const 20))))))
    ;; globals
    (global.set $g (i64.add (global.get $g) (i64.extend_i32_s (global.get $c))))
    ;; memory.size / grow (success, then failure past the maximum)
    (drop (memory.grow (i32.const 1)))
    (drop (memory.grow (i32.const 5)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (memory.size))))
    ;; memory: aligned, straddling a 32-byte leaf, straddling a page, sub-word, signed
    (i64.store (i32.const 8) (global.get $g))
    (i64.store offset=28 (i32.const 0) (i64.const 0x1122334455667788))
    (i32.store16 (i32.const 65535) (i32.const 0xabcd))
    (i32.store8 (i32.const 100) (i32.const 0xff))
    (local.set $acc (i64.add (local.get $acc) (i64.load offset=28 (i32.const 0))))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_s (i32.const 100))))
    (local.set $acc (i64.add (local.get $acc) (i64.load32_u (i32.const 4))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load16_u (i32.const 65535)))))
    (i32.store (i32.const 131068) (i32.const 3))
    ;; calls: direct recursion, indirect through the table, select
    (local.set $acc (i64.add (local.get $acc) (call $fac (i64.const 6))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call_indirect (type $ii) (i32.const 5) (i32.const 0)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call_indirect (type $ii) (i32.const 5) (i32.const 1)))))
    (select (local.get $acc) (i64.const -1) (i32.and (local.get $n) (i32.const 1))))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "oob") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "oob_store") (param i32) (i64.store (local.get 0) (i64.const 1)))
  (func (export "undefined") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 9)))
  (func (export "uninit") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 3)))
  (func (export "mismatch") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 2)))
  (func (export "unreachable") (unreachable))
  (func $deep (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))
  (func (export "deep") (result i32) (call $deep (i32.const 0))))"#;

/// Runs `name(args)`, proving and verifying every `every`-th step, the last step and
/// one step past the end. Returns the final status, the number of steps and the proofs.
fn prove_every_step(name: &str, args: &[u64], every: u64) -> (Status, u64, Vec<Proof>) {
    let bytes = wat::parse_str(PROGRAM).expect("test module parses");
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
    let cases: [(&str, &[u64], Trap); 7] = [
        ("div", &[1, 0], Trap::DivisionByZero),
        ("oob", &[65536 * 3 - 8], Trap::MemoryOutOfBounds),
        ("oob_store", &[65536 - 4], Trap::MemoryOutOfBounds),
        ("undefined", &[], Trap::UndefinedElement),
        ("uninit", &[], Trap::UninitializedElement),
        ("mismatch", &[], Trap::IndirectCallTypeMismatch),
        ("unreachable", &[], Trap::Unreachable),
    ];
    for (name, args, trap) in cases {
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
    let runs: [(&str, &[u64]); 9] = [
        ("everything", &[1]),
        ("everything", &[2]),
        ("div", &[1, 0]),
        ("oob", &[65536 * 3 - 8]),
        ("oob_store", &[65536 - 4]),
        ("undefined", &[]),
        ("uninit", &[]),
        ("mismatch", &[]),
        ("unreachable", &[]),
    ];
    let mut by_kind: BTreeMap<String, Proof> = BTreeMap::new();
    for (name, args) in runs {
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
