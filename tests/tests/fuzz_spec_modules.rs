//! Loader fuzzing seeded with the spec suite's modules (the wat-seeded proptest is in
//! `vm/tests/fuzz_loader.rs`): every module the suite defines, mutated by byte flips,
//! overwrites, insertions, deletions and truncations. `Module::load` must not panic, and
//! a rejection must name its section and a byte offset inside the binary, with a
//! function index only in the code section. Small mutants that load are instantiated,
//! which must not panic either.

use opml_tests::{spec_suite, Rng};
use opml_vm::module::Limits;
use opml_vm::{Config, LoadError, LoadOptions, Machine, Module};
use std::panic::{catch_unwind, AssertUnwindSafe};
use wast::{QuoteWat, Wast, WastDirective};

/// Mutants per module.
const MUTANTS: u64 = 200;

/// One to four random edits.
fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            return;
        }
        let at = rng.below(bytes.len());
        let byte = rng.next_u64() as u8;
        match rng.below(10) {
            0..=2 => bytes[at] ^= 1 << (byte % 8),
            3..=4 => bytes[at] = byte,
            5..=6 => bytes.insert(at, byte),
            7..=8 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
}

/// Instantiates a module (with the `spectest` host module) when its memory and table
/// are small, with a small budget for its start function (the outcome is not checked, only that nothing panics).
fn instantiate_small(module: &Module) {
    let small = |l: Option<Limits>| l.is_none_or(|l| l.min <= 16);
    if !small(module.memory) || !small(module.table) {
        return;
    }
    let config = Config {
        start_step_limit: 10_000,
        stack_slots: 1 << 12,
        ..Config::default()
    };
    let mut machine = Machine::new(config);
    opml_vm::host::register_spectest(&mut machine);
    let _ = machine.instantiate(module);
}

/// Whether the mutant loaded (and instantiated without panicking when small), or why
/// its rejection is not acceptable.
fn check(bytes: &[u8]) -> Result<bool, String> {
    let err = match catch_unwind(AssertUnwindSafe(|| {
        Module::load(bytes, LoadOptions::default())
    })) {
        Err(_) => return Err("Module::load panicked".into()),
        Ok(Ok(module)) => {
            return catch_unwind(AssertUnwindSafe(|| instantiate_small(&module)))
                .map(|()| true)
                .map_err(|_| "Machine::instantiate panicked".into())
        }
        Ok(Err(e)) => e,
    };
    let at = match &err {
        LoadError::Invalid { at, .. }
        | LoadError::Unsupported { at, .. }
        | LoadError::FloatInProvableProfile { at, .. }
        | LoadError::TooManyProofOperands { at, .. } => at,
        LoadError::Text(t) => return Err(format!("binary input gave a text error: {t}")),
    };
    let text = err.to_string();
    if !text.contains(&format!("{} section", at.section)) || !text.contains("byte offset 0x") {
        return Err(format!("message lacks section or offset: {text}"));
    }
    if at.offset > bytes.len() {
        return Err(format!("offset past the end ({:#x}): {text}", bytes.len()));
    }
    if at.func.is_some() && at.section != "code" {
        return Err(format!("function index outside the code section: {text}"));
    }
    Ok(false)
}

#[test]
fn mutated_spec_modules_load_or_fail_with_a_location() {
    let Some(root) = spec_suite::require_suite("fuzz_spec_modules") else {
        return;
    };
    let (mut modules, mut mutants, mut loaded) = (0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    for file in spec_suite::wast_files(&root) {
        let text = spec_suite::read(&root, &file).expect("suite file is readable");
        let buf = spec_suite::parse_buffer(&text).expect("suite file lexes");
        let wast: Wast<'_> = wast::parser::parse(&buf).expect("suite file parses");
        for directive in wast.directives {
            let WastDirective::Module(mut qw @ QuoteWat::Wat(_)) = directive else {
                continue;
            };
            let Ok(seed) = qw.encode() else { continue };
            modules += 1;
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ modules);
            for i in 0..MUTANTS {
                let mut bytes = seed.clone();
                mutate(&mut bytes, &mut rng);
                mutants += 1;
                match check(&bytes) {
                    Ok(ok) => loaded += u64::from(ok),
                    Err(why) => {
                        failures.push(format!("{file}, module {modules}, mutant {i}: {why}"))
                    }
                }
            }
        }
    }
    eprintln!(
        "fuzz_spec_modules: {modules} modules, {mutants} mutants, {loaded} loaded, {} bad",
        failures.len()
    );
    assert!(modules > 500, "only {modules} spec modules found");
    assert!(
        failures.is_empty(),
        "{} bad rejections, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}
