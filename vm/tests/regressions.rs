//! Focused regression tests for machine bugs found by the spec suite (`tests/spec.rs`).

use opml_vm::{Config, Extern, InstanceId, LoadOptions, Machine, Module, Status};

fn instantiate(m: &mut Machine, wat: &str) -> InstanceId {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Module::load(&bytes, LoadOptions::default()).expect("test module loads");
    m.instantiate(&module).expect("test module instantiates")
}

fn call(m: &mut Machine, id: InstanceId, name: &str, args: &[u64]) -> (Status, Vec<u64>) {
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(name)).copied() else {
        panic!("no export {name}");
    };
    m.invoke(f, args).expect("invoke");
    m.run(u64::MAX);
    (m.status(), m.results().to_vec())
}

/// A branch to the function's own label carries the function's results.
#[test]
fn branch_to_function_label_keeps_results() {
    let mut m = Machine::new(Config::default());
    let id = instantiate(
        &mut m,
        r#"(module
          (func (export "br") (result i32)
            (i32.const 3) (i64.const 1) (br 0 (i32.const 9)))
          (func (export "br_table") (param i32) (result i32)
            (i32.const 3) (br_table 0 0 (i32.const 7) (local.get 0))))"#,
    );
    assert_eq!(call(&mut m, id, "br", &[]), (Status::Halted, vec![9]));
    assert_eq!(
        call(&mut m, id, "br_table", &[1]),
        (Status::Halted, vec![7])
    );
}

/// The decoder reads with the machine's features: the reserved byte of `memory.grow`
/// is a single zero byte in Wasm 1.0, not a (multi-memory) index LEB.
#[test]
fn memory_grow_reserved_byte_must_be_a_zero_byte() {
    let module = |reserved: &[u8]| {
        let mut code = vec![0x00, 0x41, 0x00, 0x40];
        code.extend_from_slice(reserved);
        code.extend_from_slice(&[0x1a, 0x0b]);
        let mut bytes =
            b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\0\x05\x03\x01\0\0".to_vec();
        bytes.extend_from_slice(&[0x0a, code.len() as u8 + 2, 0x01, code.len() as u8]);
        bytes.extend_from_slice(&code);
        bytes
    };
    assert!(Module::load(&module(&[0x00]), LoadOptions::default()).is_ok());
    assert!(Module::load(&module(&[0x80, 0x00]), LoadOptions::default()).is_err());
}

/// Wasm 1.0: all `br_table` labels must have the same type, even in unreachable code.
#[test]
fn br_table_labels_of_different_types_are_invalid_even_when_unreachable() {
    let load = |wat: &str| {
        let bytes = wat::parse_str(wat).expect("test module parses");
        Module::load(&bytes, LoadOptions::default())
    };
    let body = |inner: &str| {
        format!(
            "(module (func (block (result f64) (block (result {inner}) (unreachable)
               (br_table 0 1 1 (i32.const 1))) (drop) (f64.const 0)) (drop)))"
        )
    };
    assert!(load(&body("f32")).is_err());
    assert!(load(&body("f64")).is_ok());
}

/// The location of a load error, or a failure naming what loaded.
fn error_location(bytes: &[u8]) -> (opml_vm::Location, String) {
    match Module::load(bytes, LoadOptions::default()) {
        Err(e @ opml_vm::LoadError::Invalid { .. }) => {
            let opml_vm::LoadError::Invalid { ref at, .. } = e else {
                unreachable!("matched above")
            };
            (at.clone(), e.to_string())
        }
        other => panic!("expected an invalid module, got {other:?}"),
    }
}

/// Found by `fuzz_loader.rs`: a section whose payload does not decode is named by its
/// own header, not after the section read before it.
#[test]
fn undecodable_section_is_named_by_its_header() {
    let mut bytes = wat::parse_str(r#"(module (memory 1) (data (i32.const 0) "abcdef"))"#)
        .expect("test module parses");
    bytes.truncate(bytes.len() - 2);
    let (at, text) = error_location(&bytes);
    assert_eq!(at.section, "data", "{text}");
    assert_eq!(at.func, None, "{text}");
    assert!(at.offset <= bytes.len(), "{text}");
}

/// Found by `fuzz_loader.rs`: wasmparser reports some errors (here a typed `select`,
/// opcode 0x1c, with two result types) at an offset relative to a sub-reader; the
/// location is then the start of the body being read, never a stray offset.
#[test]
fn errors_with_relative_offsets_are_placed_in_their_body() {
    let mut bytes = wat::parse_str(
        "(module (func (result i32) (select (i32.const 1) (i32.const 2) (i32.const 0))))",
    )
    .expect("test module parses");
    // Layout: header (8), type section (7), function section (4), then the code section:
    // id at 19, size at 20, body count at 21, body size at 22, body from 23.
    assert_eq!(bytes.len(), 32, "unexpected encoding");
    let select = bytes.len() - 2;
    assert_eq!(bytes[select], 0x1b, "select is the body's last instruction");
    bytes.splice(select..=select, [0x1c, 0x02, 0x7f, 0x7f]);
    bytes[20] += 3;
    bytes[22] += 3;
    let (at, text) = error_location(&bytes);
    assert_eq!(
        (at.section, at.func, at.offset),
        ("code", Some(0), 23),
        "{text}"
    );
    assert!(text.contains("outside this body"), "{text}");
}
