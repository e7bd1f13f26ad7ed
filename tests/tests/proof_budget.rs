//! Every step the provable profile accepts is provable on chain within the budget of
//! `docs/proof-format.md`: at most 1 M gas and 64 KiB of proof. The instructions whose
//! proofs grow with the program (the operands a branch drops and keeps, a call's
//! parameters, a return's results) are bounded at load time by `MAX_PROOF_OPERANDS`:
//! one operand past it, a module is rejected by the provable profile with an error
//! naming the function, the offset, the instruction, the count and the limit, and still
//! runs in the default profile; exactly at it (or at the most Wasm 1.0 allows), the
//! step's proof passes the Rust and the Solidity verifiers within the budget. Writes the
//! worst-case table of `docs/gas.md`.

use opml_game::evm::{EvmVerifier, Verdict};
use opml_tests::programs::{heavy_result, heavy_wat, Heavy, MAX_LOCALS};
use opml_tests::write_doc_section;
use opml_vm::proof::{verify_from, MAX_PROOF_OPERANDS};
use opml_vm::{Config, Extern, LoadError, LoadOptions, Machine, Module, Status};

/// Gas of one step's verification transaction, whole.
const GAS_BUDGET: u64 = 1_000_000;
/// Bytes of one step's proof.
const SIZE_BUDGET: usize = 65_536;
/// Path siblings the test modules' small trees leave out, at most: the deepest trees
/// Wasm validation allows give `call_indirect` 76 more (code 32, table entry 24,
/// function 20), `br_table` 64 (code 32, target 32), every other step fewer.
const MISSING_SIBLINGS: u64 = 80;

const PROVABLE: LoadOptions = LoadOptions { provable: true };

/// The operands the worst-case `class` step carries: the limit, or the most Wasm 1.0
/// allows when that is less (`return`).
fn worst(class: Heavy) -> u32 {
    MAX_PROOF_OPERANDS.min(class.reachable())
}

/// A machine that has invoked `run` of `module`.
fn start(module: &Module) -> Machine {
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(module).expect("instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("run")).copied() else {
        panic!("no export run");
    };
    m.invoke(f, &[]).expect("invokes");
    m
}

#[test]
fn one_operand_past_the_limit_is_rejected_by_the_provable_profile_only() {
    let mut checked = Vec::new();
    for class in Heavy::ALL {
        let count = MAX_PROOF_OPERANDS + 1;
        if count > class.reachable() {
            continue;
        }
        let bytes = wat::parse_str(heavy_wat(class, count)).expect("parses");
        let err = Module::load(&bytes, PROVABLE).expect_err("the provable profile rejects it");
        let text = err.to_string();
        let LoadError::TooManyProofOperands {
            at,
            op,
            count: c,
            limit,
            ..
        } = err
        else {
            panic!("{}: wrong error: {text}", class.name());
        };
        assert_eq!((op, c, limit), (class.name(), count, MAX_PROOF_OPERANDS));
        assert_eq!(at.func, Some(class.func()), "{text}");
        assert_eq!(
            bytes[at.offset],
            class.opcode(),
            "{text}: offset of another byte"
        );
        for part in [
            format!("function {}", class.func()),
            format!("byte offset {:#x}", at.offset),
            format!(": {} ", class.name()),
            format!("carries {count} operands"),
            format!("at most {MAX_PROOF_OPERANDS}"),
        ] {
            assert!(text.contains(&part), "`{part}` missing from: {text}");
        }
        let module = Module::load(&bytes, LoadOptions::default()).expect("the default loads");
        let mut m = start(&module);
        m.run(u64::MAX);
        assert_eq!(m.status(), Status::Halted);
        assert_eq!(
            m.results(),
            &[heavy_result(class, count)],
            "{}",
            class.name()
        );
        checked.push(class);
    }
    // Only `return` cannot: Wasm 1.0 functions have at most one result.
    assert_eq!(checked.len(), Heavy::ALL.len() - 1, "{checked:?}");
}

/// One measured worst-case step.
struct Row {
    class: String,
    operands: u32,
    bytes: usize,
    gas: u64,
}

/// Proves the first step of `module`'s `run` whose instruction is named `op`, checks
/// that both verifiers accept it with the same post-root, and measures it.
fn measure(evm: &mut EvmVerifier, module: &Module, op: &str) -> (usize, u64) {
    let mut m = start(module);
    while m.op_at(m.pc()).map(|o| o.name()) != Some(op) {
        assert_eq!(m.status(), Status::Running, "no {op} step");
        m.run(1);
    }
    let pre = m.state_root();
    let proof = m.prove_step().expect("proves");
    let post = verify_from(&pre, &proof.bytes).expect("the Rust verifier accepts");
    assert_eq!(post, proof.outcome.post_root);
    let sol = evm.step(&pre, &proof.bytes).expect("the EVM runs");
    assert_eq!(sol.verdict, Verdict::Valid(post), "{op}: Solidity differs");
    (proof.bytes.len(), sol.gas)
}

/// Gas and bytes one more path sibling costs: `local.get` in a function of
/// [`MAX_LOCALS`] locals (a path of 16) against one of 1 local (no path).
fn sibling_cost(evm: &mut EvmVerifier) -> (usize, u64) {
    let module = |locals: u32| {
        let wat = format!(
            "(module (func (export \"run\") (result i64) {}(local.get {})))",
            "(local i64) ".repeat(locals as usize),
            locals - 1
        );
        Module::load(&wat::parse_str(wat).expect("parses"), PROVABLE).expect("loads")
    };
    let (small_bytes, small_gas) = measure(evm, &module(1), "local.get");
    let (big_bytes, big_gas) = measure(evm, &module(MAX_LOCALS), "local.get");
    let height = MAX_LOCALS.next_power_of_two().trailing_zeros() as u64;
    (
        (big_bytes - small_bytes) / height as usize,
        (big_gas - small_gas).div_ceil(height),
    )
}

#[test]
fn worst_case_step_of_every_growing_class_is_provable_within_the_budget() {
    let mut evm = EvmVerifier::deploy().expect("deploys");
    let (sibling_bytes, sibling_gas) = sibling_cost(&mut evm);
    let (extra_bytes, extra_gas) = (
        MISSING_SIBLINGS as usize * sibling_bytes,
        MISSING_SIBLINGS * sibling_gas,
    );
    let mut rows = Vec::new();
    for class in Heavy::ALL {
        let count = worst(class);
        let bytes = wat::parse_str(heavy_wat(class, count)).expect("parses");
        let module = Module::load(&bytes, PROVABLE).expect("loads at the limit");
        let (size, gas) = measure(&mut evm, &module, class.name());
        assert!(size >= 8 * count as usize, "{}: {size} bytes", class.name());
        assert!(
            gas + extra_gas <= GAS_BUDGET && size + extra_bytes <= SIZE_BUDGET,
            "{} with {count} operands: {gas} gas, {size} bytes (+{extra_gas} gas, \
             +{extra_bytes} bytes for the deepest trees)",
            class.name()
        );
        rows.push(Row {
            class: class.name().into(),
            operands: count,
            bytes: size,
            gas,
        });
    }
    write_table(
        &rows,
        (sibling_bytes, sibling_gas),
        (extra_bytes, extra_gas),
    );
}

/// The worst-case section of `docs/gas.md`.
fn write_table(rows: &[Row], sibling: (usize, u64), extra: (usize, u64)) {
    let mut doc = format!(
        "Worst case of each instruction whose proof grows with the program, at \
         `MAX_PROOF_OPERANDS` = {MAX_PROOF_OPERANDS} operands (`return`: one result, the Wasm \
         1.0 maximum), whose values have no zero byte; callees have {MAX_LOCALS} locals, \
         the most validation allows. Produced by:\n\n    \
         cargo test -p opml-tests --test proof_budget\n\n\
         | class | operands in the proof | proof bytes | gas |\n|---|---:|---:|---:|\n"
    );
    for r in rows {
        doc += &format!(
            "| {} | {} | {} | {} |\n",
            r.class, r.operands, r.bytes, r.gas
        );
    }
    let (max_bytes, max_gas) = (
        rows.iter().map(|r| r.bytes).max().unwrap_or(0),
        rows.iter().map(|r| r.gas).max().unwrap_or(0),
    );
    doc += &format!(
        "\nThese modules have small trees. One more sibling on a Merkle path costs {} \
         bytes and {} gas (measured on `local.get` with {MAX_LOCALS} locals against 1); \
         the deepest trees validation allows add at most {MISSING_SIBLINGS} siblings to \
         one step, {} bytes and {} gas, so no step of these classes in any module the \
         provable profile accepts exceeds {} bytes and {} gas.\n",
        sibling.0,
        sibling.1,
        extra.0,
        extra.1,
        max_bytes + extra.0,
        max_gas + extra.1
    );
    write_doc_section("docs/gas.md", "worst-case", &doc).expect("write docs/gas.md");
}
