//! The Solidity one-step verifier against the Rust reference verifier, in revm: on
//! proofs of every step of real runs it returns exactly the Rust post-root, and on
//! tampered proofs it reverts exactly when Rust rejects, with the same error (variant,
//! item and offset); otherwise it returns the same root. Also: the generated constants
//! are fresh and every contract fits the EIP-170 size limit.

use opml_prover::evm::{describe, describe_rust, EvmVerifier, Verdict, MAX_CODE_SIZE};
use opml_tests::{repo_root, spec_suite};
use opml_vm::proof::{solidity, verify_from};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Op, Status};
use std::collections::BTreeMap;
use wast::{QuoteWat, Wast, WastDirective, WastExecute};

/// Every integer numeric op, locals, globals, memory (aligned, straddling a leaf and a
/// page, sub-word, signed, grow), control with drop/keep, br_table, direct, indirect and
/// recursive calls, select, and the traps.
const PROGRAM: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (global $g (mut i64) (i64.const 5))
  (memory 1 3)
  (table 4 funcref)
  (elem (i32.const 0) $double $inc $nothing)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $nothing)
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  OPS
  (func (export "everything") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.tee $i (i32.add (local.get $i) (i32.const 1))))))
        (br $l)))
    (drop (block (result i32) (i32.const 1) (i32.const 2) (br 0 (i32.const 42))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (block (result i32)
        (block (result i32)
          (block (result i32) (br_table 0 1 2 (i32.const 9) (local.get $n)))
          (i32.add (i32.const 10)))
        (i32.add (i32.const 20))))))
    (global.set $g (i64.add (global.get $g) (i64.const 7)))
    (drop (memory.grow (i32.const 1)))
    (drop (memory.grow (i32.const 5)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (memory.size))))
    (i64.store (i32.const 8) (global.get $g))
    (i64.store offset=28 (i32.const 0) (i64.const 0x1122334455667788))
    (i32.store16 (i32.const 65535) (i32.const 0xabcd))
    (i32.store8 (i32.const 100) (i32.const 0xff))
    (i64.store32 (i32.const 200) (i64.const -3))
    (i64.store16 (i32.const 300) (i64.const -3))
    (i64.store8 (i32.const 400) (i64.const -3))
    (i32.store (i32.const 500) (i32.const -7))
    (local.set $acc (i64.add (local.get $acc) (i64.load offset=28 (i32.const 0))))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_s (i32.const 100))))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_u (i32.const 100))))
    (local.set $acc (i64.add (local.get $acc) (i64.load16_s (i32.const 300))))
    (local.set $acc (i64.add (local.get $acc) (i64.load16_u (i32.const 300))))
    (local.set $acc (i64.add (local.get $acc) (i64.load32_s (i32.const 200))))
    (local.set $acc (i64.add (local.get $acc) (i64.load32_u (i32.const 4))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load16_u (i32.const 65535)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load16_s (i32.const 65535)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load8_s (i32.const 400)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load8_u (i32.const 400)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load (i32.const 500)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $i32ops (i32.const -5) (i32.const 3)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $i32ops (i32.const 0x80000000) (i32.const 33)))))
    (local.set $acc (i64.add (local.get $acc) (call $i64ops (i64.const -5) (i64.const 3))))
    (local.set $acc (i64.add (local.get $acc) (call $i64ops (i64.const 0x8000000000000000) (i64.const 65))))
    (local.set $acc (i64.add (local.get $acc) (call $fac (i64.const 4))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call_indirect (type $ii) (i32.const 5) (i32.const 0)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call_indirect (type $ii) (i32.const 5) (i32.const 1)))))
    (select (local.get $acc) (i64.const -1) (i32.and (local.get $n) (i32.const 1))))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "oob") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "oob_store") (param i32) (i64.store (local.get 0) (i64.const 1)))
  (func (export "undefined") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 9)))
  (func (export "uninit") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 3)))
  (func (export "mismatch") (result i32) (call_indirect (type $ii) (i32.const 1) (i32.const 2)))
  (func (export "unreachable") (unreachable))
  (func $deep (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))
  (func (export "deep") (result i32) (call $deep (i32.const 0))))"#;

/// Binary and unary integer ops, by name without the type prefix.
const BINARY: [&str; 28] = [
    "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "add", "sub",
    "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl",
    "rotr", "eq", "ne", "add",
];
const UNARY: [&str; 6] = ["eqz", "clz", "ctz", "popcnt", "extend8_s", "extend16_s"];

/// `$i32ops` and `$i64ops`: every integer op of the table on two parameters, results
/// folded with `xor` (comparisons, which give i32, are extended for i64), plus the
/// conversions.
fn ops_funcs() -> String {
    let mut out = String::new();
    for t in ["i32", "i64"] {
        let fold = |e: String, cmp: bool| {
            let e = if t == "i64" && cmp {
                format!("(i64.extend_i32_u {e})")
            } else {
                e
            };
            format!("(local.set $r ({t}.xor (local.get $r) {e}))\n")
        };
        out +=
            &format!("(func ${t}ops (param $a {t}) (param $b {t}) (result {t}) (local $r {t})\n");
        for op in BINARY {
            let cmp = ["eq", "ne"].contains(&op) || op.starts_with(['l', 'g']);
            out += &fold(format!("({t}.{op} (local.get $a) (local.get $b))"), cmp);
        }
        for op in UNARY {
            out += &fold(format!("({t}.{op} (local.get $a))"), op == "eqz");
        }
        let conversions = if t == "i32" {
            "(i32.wrap_i64 (i64.extend_i32_s (local.get $a)))"
        } else {
            "(i64.add (i64.extend32_s (local.get $a)) (i64.add (i64.extend_i32_u (i32.wrap_i64 (local.get $b))) (i64.extend_i32_s (i32.wrap_i64 (local.get $a)))))"
        };
        out += &fold(conversions.to_string(), false);
        out += "(local.get $r))\n";
    }
    out
}

/// Counts of what was compared.
#[derive(Default)]
struct Tally {
    /// Gas of each valid proof, by instruction class.
    gas: BTreeMap<&'static str, Vec<u64>>,
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
        t.gas.entry(class(proof.outcome.op)).or_default().push(gas);
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
    let bytes = wat::parse_str(PROGRAM.replace("OPS", &ops_funcs())).expect("parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("loads");
    let mut t = Tally::default();
    for n in [0, 1, 2, 3] {
        let s = run_export(&mut evm, &module, "everything", &[n], 13, &mut t);
        assert_eq!(s, Some(Status::Halted));
    }
    let traps: [(&str, &[u64]); 8] = [
        ("div", &[1, 0]),
        ("div", &[0x8000_0000, u32::MAX as u64]),
        ("oob", &[65536 * 3 - 8]),
        ("oob_store", &[65536 - 4]),
        ("undefined", &[]),
        ("uninit", &[]),
        ("mismatch", &[]),
        ("unreachable", &[]),
    ];
    for (name, args) in traps {
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
    write_gas_table(&t.gas);
}

/// Writes docs/gas.md and checks the targets: median < 100k, max < 300k gas per step.
fn write_gas_table(gas: &BTreeMap<&'static str, Vec<u64>>) {
    let mut all: Vec<u64> = gas.values().flatten().copied().collect();
    all.sort_unstable();
    let median = |v: &[u64]| v[v.len() / 2];
    let mut doc = String::from(
        "# One-step verification gas\n\nGas of `WasmStep.step(preRoot, proof)` per valid proof, \
         whole transaction (21 000 intrinsic + calldata + execution), in revm (Cancun), over \
         every step of the differential test's program (every integer op, memory, control, \
         calls, traps). Produced by:\n\n    cargo test -p opml-tests --test evm_verifier \
         solidity_verifier_matches_rust_on_every_step\n\n\
         | class | proofs | median gas | max gas |\n|---|---:|---:|---:|\n",
    );
    for (class, v) in gas {
        let mut v = v.clone();
        v.sort_unstable();
        let max = v[v.len() - 1];
        doc += &format!("| {class} | {} | {} | {max} |\n", v.len(), median(&v));
    }
    let max = all[all.len() - 1];
    doc += &format!("| **all** | {} | {} | {max} |\n", all.len(), median(&all));
    std::fs::write(repo_root().join("docs/gas.md"), doc).expect("write docs/gas.md");
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
        let buf = spec_suite::parse_buffer(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let wast: Wast = wast::parser::parse(&buf).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut module = None;
        for directive in wast.directives {
            match directive {
                WastDirective::Module(QuoteWat::Wat(mut wat)) => {
                    module = wat
                        .encode()
                        .ok()
                        .and_then(|b| Module::load(&b, LoadOptions { provable: true }).ok())
                        .filter(|m| m.imports.is_empty());
                }
                WastDirective::AssertReturn {
                    exec: WastExecute::Invoke(inv),
                    ..
                }
                | WastDirective::AssertTrap {
                    exec: WastExecute::Invoke(inv),
                    ..
                } => {
                    let Some(module) = &module else { continue };
                    let Some(args) = int_args(&inv.args) else {
                        continue;
                    };
                    if run_export(&mut evm, module, inv.name, &args, 41, &mut t).is_some() {
                        invocations += 1;
                    }
                }
                _ => {}
            }
        }
    }
    eprintln!(
        "{invocations} spec invocations: {} proofs, {} tampered proofs agree",
        t.proofs, t.tampered
    );
    assert!(invocations > 1000, "{invocations}");
}

/// Integer arguments of an invocation, `None` if any is not an integer.
fn int_args(args: &[wast::WastArg<'_>]) -> Option<Vec<u64>> {
    use wast::core::WastArgCore;
    args.iter()
        .map(|a| match a {
            wast::WastArg::Core(WastArgCore::I32(v)) => Some(*v as u32 as u64),
            wast::WastArg::Core(WastArgCore::I64(v)) => Some(*v as u64),
            _ => None,
        })
        .collect()
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
