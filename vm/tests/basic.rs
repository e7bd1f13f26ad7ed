//! Small end-to-end checks of loading and executing text modules.

use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status, Trap};

fn instantiate(wat: &str) -> (Machine, opml_vm::InstanceId) {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Module::load(&bytes, LoadOptions::default()).expect("test module loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("test module instantiates");
    (m, id)
}

fn call(
    m: &mut Machine,
    id: opml_vm::InstanceId,
    name: &str,
    args: &[u64],
) -> (Status, Vec<u64>, u64) {
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(name)).copied() else {
        panic!("no export {name}");
    };
    m.invoke(f, args).expect("invoke");
    let before = m.steps();
    m.run(u64::MAX);
    (m.status(), m.results().to_vec(), m.steps() - before)
}

const FAC: &str = r#"(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "loop") (param i32) (result i32) (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (memory 1)
  (func (export "mem") (param i32) (result i32)
    (i32.store (i32.const 8) (local.get 0))
    (i32.load8_u (i32.const 9))))"#;

#[test]
fn recursion_loops_and_memory_compute_expected_values() {
    let (mut m, id) = instantiate(FAC);
    let (s, r, _) = call(&mut m, id, "fac", &[20]);
    assert_eq!((s, r), (Status::Halted, vec![2432902008176640000]));
    let (s, r, _) = call(&mut m, id, "loop", &[100]);
    assert_eq!((s, r), (Status::Halted, vec![5050]));
    let (s, r, _) = call(&mut m, id, "mem", &[0x1234_5678]);
    assert_eq!((s, r), (Status::Halted, vec![0x56]));
}

#[test]
fn every_wasm_instruction_is_one_step() {
    let (mut m, id) = instantiate(FAC);
    // div: local.get, local.get, i32.div_s, end = 4 instructions.
    let (_, _, steps) = call(&mut m, id, "div", &[7, 2]);
    assert_eq!(steps, 4);
}

#[test]
fn a_trap_is_a_final_state_at_the_trapping_step() {
    let (mut m, id) = instantiate(FAC);
    let (s, r, steps) = call(&mut m, id, "div", &[7, 0]);
    assert_eq!(s, Status::Trapped(Trap::DivisionByZero));
    assert!(r.is_empty());
    assert_eq!(steps, 3);
    // The trapping op is still the current one.
    assert_eq!(m.op_at(m.pc()).map(|op| op.name()), Some("i32.div_s"));
}

#[test]
fn deep_recursion_is_exhaustion_not_a_crash() {
    let (mut m, id) = instantiate(r#"(module (func $f (export "f") (call $f)))"#);
    let (s, _, _) = call(&mut m, id, "f", &[]);
    assert_eq!(s, Status::Trapped(Trap::CallStackExhausted));
}

#[test]
fn step_budget_pauses_and_resumes() {
    let (mut m, id) = instantiate(FAC);
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("loop")).copied() else {
        panic!()
    };
    m.invoke(f, &[1000]).unwrap();
    let mut total = 0;
    while m.status() == Status::Running {
        total += m.run(7);
    }
    assert_eq!(m.results(), &[500500]);
    assert_eq!(total, m.steps());
}

#[test]
fn float_ops_are_rejected_by_the_provable_profile() {
    let bytes =
        wat::parse_str(r#"(module (func (result f32) (f32.const 1) (f32.const 2) (f32.add)))"#)
            .unwrap();
    let err = Module::load(&bytes, LoadOptions { provable: true }).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("f32.const") && text.contains("function 0"),
        "{text}"
    );
}
