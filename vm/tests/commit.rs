//! State commitment and seeking: incremental roots equal from-scratch ones, every step
//! changes what it should, and the same run always gives the same roots.

use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status, Trace};
use proptest::prelude::*;

/// Recursion, loops, globals, memory stores across pages and `memory.grow`.
const WORKLOAD: &str = r#"(module
  (memory 2 8)
  (global $g (mut i32) (i32.const 0))
  (func $fill (param $base i32) (param $n i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i64.store (i32.add (local.get $base) (i32.mul (local.get $i) (i32.const 4097)))
                 (i64.extend_i32_u (i32.mul (local.get $i) (i32.const 2654435761))))
      (global.set $g (i32.add (global.get $g) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "main") (param $n i32) (result i32)
    (call $fill (i32.const 65000) (local.get $n))
    (drop (memory.grow (i32.const 1)))
    (call $fill (i32.const 131000) (local.get $n))
    (i32.add (call $fib (i32.const 12)) (global.get $g))))"#;

fn prepared(n: u64) -> Machine {
    let bytes = wat::parse_str(WORKLOAD).expect("workload parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("workload loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("workload instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("main")).copied() else {
        panic!("main is exported")
    };
    m.invoke(f, &[n]).expect("invoke main");
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn incremental_root_equals_from_scratch_at_random_steps(
        n in 1u64..40,
        cuts in proptest::collection::vec(1u64..400, 1..8),
    ) {
        let mut m = prepared(n);
        for cut in cuts {
            m.run(cut);
            let incremental = m.state_root();
            prop_assert_eq!(incremental, m.state_root_from_scratch(), "at step {}", m.steps());
        }
    }
}

#[test]
fn every_step_changes_the_root_until_the_end() {
    let mut m = prepared(5);
    let mut prev = m.state_root();
    while m.status() == Status::Running {
        m.run(1);
        let root = m.state_root();
        assert_ne!(root, prev, "step {} left the root unchanged", m.steps());
        prev = root;
    }
    // A halted machine does not move.
    assert_eq!(m.run(1), 0);
    assert_eq!(m.state_root(), prev);
}

#[test]
fn seeking_gives_the_roots_of_a_straight_run_and_is_deterministic() {
    let mut straight = prepared(30);
    let mut roots = vec![straight.state_root()];
    while straight.status() == Status::Running {
        straight.run(1);
        roots.push(straight.state_root());
    }
    let mut a = Trace::record(prepared(30), 64, u64::MAX, |_| true).expect("records");
    let mut b = Trace::record(prepared(30), 7, u64::MAX, |_| true).expect("records");
    assert_eq!(a.total_steps() as usize, roots.len() - 1);
    assert!(a.snapshots() > 2);
    // Backwards and forwards, across checkpoints.
    let total = a.total_steps();
    for n in [
        total,
        0,
        1,
        63,
        64,
        65,
        total / 2,
        200,
        3,
        total - 1,
        total + 5,
    ] {
        let want = roots[n.min(total) as usize];
        assert_eq!(a.root_at(n), want, "interval 64, step {n}");
        assert_eq!(b.root_at(n), want, "interval 7, step {n}");
    }
}
