//! Loader fuzzing: valid modules covering every section, mutated by byte flips,
//! insertions, deletions, overwrites and truncations. `Module::load` must never panic,
//! and every rejection must say where: a section that holds the reported byte offset,
//! and the function index when the offset is inside a function body. Mutants that load
//! are instantiated too (when small), which must not panic either.

use opml_vm::module::Limits;
use opml_vm::{Config, LoadError, LoadOptions, Location, Machine, Module};
use proptest::prelude::*;
use proptest::sample::Index;
use std::sync::LazyLock;

/// Seeds: together they have every section of Wasm 1.0 (a module imports or defines its
/// memory and table, not both, hence two), plus a custom section and sign-extension ops.
const SEEDS: [&str; 3] = [
    r#"(module
      (type $t (func (param i32) (result i32)))
      (import "env" "f" (func $imp (type $t)))
      (import "env" "g" (global $gi i32))
      (import "env" "mem" (memory 1 4))
      (import "env" "tab" (table 2 funcref))
      (func $a (type $t) (local i64 f32)
        (block $b (result i32)
          (loop $l
            (br_if $l (i32.eqz (local.get 0)))
            (br_table $b $b (i32.const 1) (local.get 0)))
          (i32.const 2)))
      (func $b (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (call $imp (i32.load offset=4 (local.get 0))))
          (else (call_indirect (type $t) (i32.const 7) (i32.const 1)))))
      (global $g (mut i64) (i64.const -5))
      (export "a" (func $a))
      (export "g" (global $g))
      (elem (global.get $gi) $a $b)
      (data (i32.const 16) "hello")
      (start $s)
      (func $s (i64.store (i32.const 8) (i64.extend8_s (global.get $g)))
        (drop (memory.grow (i32.const 1)))))"#,
    r#"(module
      (memory (export "memory") 1 2)
      (table 4 funcref)
      (global (mut f64) (f64.const 1.5))
      (func $sum (param $n i32) (result i32) (local $i i32) (local $acc i32)
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $acc (i32.add (local.get $acc)
              (i32.load8_u (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (select (local.get $acc) (i32.const -1) (local.get $n)))
      (func (export "f") (result f32) (f32.demote_f64 (global.get 0)))
      (elem (i32.const 0) $sum)
      (data (i32.const 0) "\01\02\03\04")
      (export "sum" (func $sum)))"#,
    r#"(module
      (func (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 1))
          (else (i64.mul (local.get 0)
            (call 0 (i64.sub (local.get 0) (i64.const 1))))))))"#,
];

/// A custom section (id 0, name "opml", two payload bytes) appended to a binary.
const CUSTOM_SECTION: [u8; 9] = [0, 7, 4, b'o', b'p', b'm', b'l', 0xAB, 0xCD];

fn seeds() -> &'static [Vec<u8>] {
    static BINARIES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
        SEEDS
            .iter()
            .map(|src| {
                let mut b = wat::parse_str(src).expect("seed parses");
                b.extend_from_slice(&CUSTOM_SECTION);
                b
            })
            .collect()
    });
    &BINARIES
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(Index, u8),
    Overwrite(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Overwrite(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match m {
        Mutation::Flip(i, bit) => {
            let at = i.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        Mutation::Overwrite(i, b) => {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
        Mutation::Delete(i) => {
            bytes.remove(i.index(bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
    }
}

/// Reads an unsigned LEB128 u32 at `*pos`; `None` when malformed or past the end.
fn leb_u32(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value = 0u64;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return u32::try_from(value).ok();
        }
    }
    None
}

/// One section as laid out in the binary, found without the loader's decoder.
struct Section {
    name: &'static str,
    /// Offset of the id byte.
    start: usize,
    /// Offset of the first content byte.
    content: usize,
    /// One past the last content byte (clamped to the binary).
    end: usize,
}

fn section_name(id: u8) -> &'static str {
    opml_vm::module::SECTION_NAMES
        .get(id as usize)
        .copied()
        .unwrap_or("unknown")
}

/// The sections in order, the last possibly with an unreadable header.
fn sections(bytes: &[u8]) -> Vec<Section> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let start = pos;
        let id = bytes[pos];
        pos += 1;
        let Some(size) = leb_u32(bytes, &mut pos) else {
            // A header cut short: the section is its id byte and the rest of the binary.
            let end = bytes.len();
            out.push(Section {
                name: section_name(id),
                start,
                content: end,
                end,
            });
            break;
        };
        let end = pos.saturating_add(size as usize).min(bytes.len());
        out.push(Section {
            name: section_name(id),
            start,
            content: pos,
            end,
        });
        pos = end;
    }
    out
}

/// Byte ranges of the function bodies of a code section, in order, as far as they read.
fn bodies(bytes: &[u8], code: &Section) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = code.content;
    let Some(count) = leb_u32(bytes, &mut pos) else {
        return out;
    };
    for _ in 0..count {
        let Some(size) = leb_u32(bytes, &mut pos) else {
            break;
        };
        let end = pos.saturating_add(size as usize);
        if end > code.end {
            break;
        }
        out.push((pos, end));
        pos = end;
    }
    out
}

/// Imported functions, if the import section decodes.
fn imported_funcs(bytes: &[u8]) -> Option<u32> {
    let mut n = 0;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader {
                    if matches!(import.ok()?.ty, wasmparser::TypeRef::Func(_)) {
                        n += 1;
                    }
                }
            }
            wasmparser::Payload::CodeSectionStart { .. } => return Some(n),
            _ => {}
        }
    }
    Some(n)
}

/// Checks that a rejection names a place consistent with the binary.
fn check_location(bytes: &[u8], err: &LoadError, at: &Location) -> Result<(), TestCaseError> {
    let text = err.to_string();
    prop_assert!(
        text.contains(&format!("{} section", at.section))
            && text.contains(&format!("byte offset {:#x}", at.offset)),
        "message does not name section and offset: {text}"
    );
    prop_assert!(
        at.offset <= bytes.len(),
        "offset {:#x} past the end ({:#x}): {text}",
        at.offset,
        bytes.len()
    );
    let secs = sections(bytes);
    // Inside a section's content, the error names that section. (Errors at a section's
    // first byte may belong to the previous one ending there, or to the module's end.)
    if let Some(s) = secs
        .iter()
        .find(|s| s.content < at.offset && at.offset < s.end)
    {
        prop_assert_eq!(at.section, s.name, "{}", text);
    }
    // A named section that exists holds the offset (header bytes and end included).
    let named: Vec<&Section> = secs.iter().filter(|s| s.name == at.section).collect();
    if !named.is_empty() {
        prop_assert!(
            named
                .iter()
                .any(|s| s.start <= at.offset && at.offset <= s.end),
            "offset outside every {} section: {}",
            at.section,
            text
        );
    }
    if at.section != "code" {
        prop_assert_eq!(at.func, None, "function given outside code: {}", text);
        return Ok(());
    }
    let Some(code) = secs.iter().find(|s| s.name == "code") else {
        return Ok(());
    };
    let inside = bodies(bytes, code)
        .iter()
        .position(|&(start, end)| start < at.offset && at.offset < end);
    if let Some(i) = inside {
        let func = at.func;
        prop_assert!(
            func.is_some(),
            "no function for an offset in body {i}: {text}"
        );
        if let Some(imported) = imported_funcs(bytes) {
            prop_assert_eq!(func, Some(imported + i as u32), "{}", text);
        }
    }
    Ok(())
}

/// Instantiates a loaded mutant when its memory and table are small, with a small
/// start-function budget: linking and segments must not panic either (the outcome,
/// success or a `LinkError`, is not checked).
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
    let _ = Machine::new(config).instantiate(module);
}

#[test]
fn seeds_load() {
    for (i, seed) in seeds().iter().enumerate() {
        if let Err(e) = Module::load(seed, LoadOptions::default()) {
            panic!("seed {i} does not load: {e}");
        }
    }
}

/// A seed and the mutations applied to it, in order.
fn mutated_module() -> impl Strategy<Value = Vec<u8>> {
    (0..SEEDS.len(), proptest::collection::vec(mutation(), 1..5)).prop_map(|(seed, mutations)| {
        let mut bytes = seeds()[seed].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        bytes
    })
}

/// The fuzzer reaches every part of the loader: some mutants still load, some fail
/// inside function bodies (lowering), and failures are spread over many sections.
#[test]
fn mutants_reach_every_part_of_the_loader() {
    use proptest::strategy::ValueTree;
    use std::collections::BTreeMap;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = mutated_module();
    let (mut loaded, mut in_bodies) = (0, 0);
    let mut by_section: BTreeMap<&str, u32> = BTreeMap::new();
    const N: u32 = 20_000;
    for _ in 0..N {
        let bytes = strategy
            .new_tree(&mut runner)
            .expect("strategy generates")
            .current();
        match Module::load(&bytes, LoadOptions::default()) {
            Ok(_) => loaded += 1,
            Err(
                LoadError::Invalid { at, .. }
                | LoadError::Unsupported { at, .. }
                | LoadError::FloatInProvableProfile { at, .. }
                | LoadError::TooManyProofOperands { at, .. },
            ) => {
                *by_section.entry(at.section).or_default() += 1;
                in_bodies += u32::from(at.func.is_some());
            }
            Err(LoadError::Text(t)) => panic!("binary input gave a text error: {t}"),
        }
    }
    eprintln!("{N} mutants: {loaded} load, {in_bodies} fail in a body; failures by section: {by_section:?}");
    assert!(loaded >= N / 100, "only {loaded} of {N} mutants load");
    assert!(
        in_bodies >= N / 20,
        "only {in_bodies} of {N} mutants fail in a body"
    );
    assert!(
        by_section.len() >= 10,
        "failures in too few sections: {by_section:?}"
    );
}

proptest! {
    // About 5 µs a case: 100k cases take well under a second in the test profile.
    #![proptest_config(ProptestConfig::with_cases(100_000))]

    #[test]
    fn mutated_modules_load_or_fail_with_a_location(
        bytes in mutated_module(),
        provable in any::<bool>(),
    ) {
        match Module::load(&bytes, LoadOptions { provable }) {
            Ok(module) => instantiate_small(&module),
            Err(LoadError::Text(t)) => prop_assert!(false, "binary input gave a text error: {}", t),
            Err(ref e @ (LoadError::Invalid { ref at, .. }
                | LoadError::Unsupported { ref at, .. }
                | LoadError::FloatInProvableProfile { ref at, .. }
                | LoadError::TooManyProofOperands { ref at, .. })) => {
                check_location(&bytes, e, at)?;
            }
        }
    }
}
