//! Fused execution keeps step semantics: a run cut into budgets of any size stops at
//! exactly the same steps with the same state roots as single steps (`run(1)`, which
//! never runs a fused op), on the guest's kernels as LLVM compiles them and on small
//! programs that trap inside a fused sequence.

use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status};
use proptest::prelude::*;

/// The guest's integer kernels (`vm/benches/kernels.wat`).
const KERNELS: &str = include_str!("../benches/kernels.wat");

/// A machine with `export(args)` of `wat` invoked.
fn prepared(wat: &str, export: &str, args: &[u64]) -> Machine {
    let bytes = wat::parse_str(wat).expect("module parses");
    let module = Module::load(&bytes, LoadOptions::default()).expect("module loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("module instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(export)).copied() else {
        panic!("{export} is exported")
    };
    m.invoke(f, args).expect("invoke");
    m
}

/// Runs `m` in budgets from `cuts` (cycled) and a copy of it one step at a time, and
/// asserts both stop at the same steps with the same roots, status and pc.
fn same_as_single_steps(mut m: Machine, cuts: &[u64]) {
    let mut single = m.clone();
    for &cut in cuts.iter().cycle() {
        if m.status() != Status::Running {
            break;
        }
        let ran = m.run(cut);
        assert!(ran <= cut, "ran {ran} of a budget of {cut}");
        assert!(
            ran == cut || m.status() != Status::Running,
            "stopped early at {ran} of {cut} while running"
        );
        for _ in 0..ran {
            assert_eq!(single.run(1), 1, "the single-step run ended early");
        }
        assert_eq!(m.steps(), single.steps());
        assert_eq!(
            m.status(),
            single.status(),
            "status after {} steps",
            m.steps()
        );
        assert_eq!(m.pc(), single.pc(), "pc after {} steps", m.steps());
        assert_eq!(
            m.state_root(),
            single.state_root(),
            "root after {} steps",
            m.steps()
        );
    }
    assert_eq!(single.run(1), 0, "the single-step run went on");
}

/// Loads through every fused load shape and stores through the fused store until an
/// address leaves the memory: `$n` iterations, then an out-of-bounds access in the
/// fused op selected by `$which` (0 to 5).
const TRAPS: &str = r#"(module
  (memory 1)
  (func (export "run") (param $n i32) (param $which i32) (result i32)
    (local $i i32) (local $p i32) (local $acc i32) (local $v i32)
    (loop $next
      (local.set $p (i32.mul (local.get $i) (i32.const 4)))
      (if (i32.ge_u (local.get $i) (local.get $n))
        (then (local.set $p (i32.const 65534))))
      (block $done
        (br_if $done (i32.ne (local.get $which) (i32.const 0)))
        local.get $p
        i32.load
        local.set $v)
      (block $done
        (br_if $done (i32.ne (local.get $which) (i32.const 1)))
        local.get $p
        i32.const 1
        i32.add
        i32.load16_u offset=2
        local.get $acc
        i32.add
        local.set $acc)
      (block $done
        (br_if $done (i32.ne (local.get $which) (i32.const 2)))
        local.get $acc
        local.get $p
        i32.const 3
        i32.add
        i64.load
        i32.wrap_i64
        i32.xor
        local.set $acc)
      (block $done
        (br_if $done (i32.ne (local.get $which) (i32.const 3)))
        local.get $p
        local.get $acc
        i32.store offset=4)
      (block $done
        (br_if $done (i32.ne (local.get $which) (i32.const 4)))
        local.get $p
        i64.load32_s
        drop)
      (block $done
        (br_if $done (i32.ne (local.get $which) (i32.const 5)))
        local.get $p
        i32.const 1
        i32.mul
        i32.const 2
        i32.add
        i32.load8_s
        drop)
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))
    (local.get $acc)))"#;

#[test]
fn fused_loads_and_stores_trap_at_the_same_step_as_single_ones() {
    for which in 0..6 {
        let m = prepared(TRAPS, "run", &[50, which]);
        let mut whole = m.clone();
        whole.run(u64::MAX);
        assert_eq!(
            whole.status(),
            Status::Trapped(opml_vm::Trap::MemoryOutOfBounds),
            "case {which}"
        );
        same_as_single_steps(m, &[u64::MAX]);
        let m = prepared(TRAPS, "run", &[50, which]);
        same_as_single_steps(m, &[7, 1, 2, 3, 5]);
    }
}

/// Runs every chain shape (further ops inside one entry: `local.get op op2`,
/// `const op local.tee`, `const op local.get op2 [op3]`, `const op const op2`, and the
/// 8-step `local.get const op const op2 local.get op3 op4`) in a loop
/// of `$n` iterations whose values change each time, then traps (`unreachable`) when
/// `$trap` is non-zero, right after the last chain.
const CHAINS: &str = r#"(module
  (func (export "run") (param $n i32) (param $trap i32) (result i64)
    (local $i i32) (local $x i64) (local $a i64) (local $acc i64) (local $t i64)
    (local.set $x (i64.const 0x0123456789abcdef))
    (local.set $a (i64.const 3))
    (loop $next
      local.get $x
      ;; SWAR unpack and accumulate: (x >> 4 & mask) * a + acc, then (x & mask) * a +.
      local.get $acc
      local.get $x
      i64.const 4
      i64.shr_u
      i64.const 0x000f000f000f000f
      i64.and
      local.get $a
      i64.mul
      i64.add
      ;; The same with a shift that does not fit in 8 bits: two entries.
      local.get $x
      i64.const 200
      i64.shr_u
      i64.const 0x0f0f0f0f0f0f0f0f
      i64.and
      local.get $a
      i64.mul
      i64.add
      local.get $x
      i64.const 0x00ff00ff00ff00ff
      i64.and
      local.get $a
      i64.mul
      i64.add
      ;; const op const op2, then const op local.tee.
      i64.const 0x800000
      i64.add
      i64.const 3
      i64.shr_u
      i64.const 0x5bd1e995
      i64.xor
      local.tee $t
      ;; local.get op op2.
      local.get $a
      i64.sub
      i64.or
      local.set $acc
      ;; const op local.get op2 (no third op).
      local.get $x
      i64.const 13
      i64.rotl
      i64.const 7
      i64.add
      local.get $acc
      i64.xor
      local.set $x
      (local.set $a (i64.add (local.get $a) (local.get $t)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (if (local.get $trap) (then unreachable))
    (i64.xor (local.get $acc) (local.get $x))))"#;

#[test]
fn chains_stop_at_every_step_as_single_steps_do() {
    for trap in [0, 1] {
        let m = prepared(CHAINS, "run", &[40, trap]);
        let mut whole = m.clone();
        whole.run(u64::MAX);
        let end = if trap == 0 {
            Status::Halted
        } else {
            Status::Trapped(opml_vm::Trap::Unreachable)
        };
        assert_eq!(whole.status(), end);
        same_as_single_steps(m.clone(), &[u64::MAX]);
        for cuts in [&[1u64][..], &[2], &[3], &[4], &[5], &[6, 7], &[9, 1, 4, 2]] {
            same_as_single_steps(m.clone(), cuts);
        }
    }
}

#[test]
fn kernels_run_in_one_budget_as_in_single_steps() {
    for export in ["gemv_i8_run", "q4_matmul", "q8_matmul"] {
        same_as_single_steps(prepared(KERNELS, export, &[1]), &[u64::MAX]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn budgets_stop_at_exactly_their_step(
        export in prop::sample::select(vec!["gemv_i8_run", "q4_matmul", "q8_matmul"]),
        cuts in prop::collection::vec(1u64..40_000, 1..8),
    ) {
        same_as_single_steps(prepared(KERNELS, export, &[1]), &cuts);
    }

    #[test]
    fn budgets_stop_inside_chains_at_exactly_their_step(
        cuts in prop::collection::vec(1u64..60, 1..8),
    ) {
        same_as_single_steps(prepared(CHAINS, "run", &[25, 1]), &cuts);
    }
}
