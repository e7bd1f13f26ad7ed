//! Memory costs what is used: zero pages are not allocated, restores set only what
//! differs, checkpoint settings are validated, and a trace restored at any step equals
//! a fresh run to that step (roots, bytes and allocated pages).

use opml_vm::checkpoint::{Checkpoints, MAX_INTERVAL};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status, Trace, TraceError};
use proptest::prelude::*;

fn prepared(wat: &str, export: &str, args: &[u64]) -> Machine {
    let bytes = wat::parse_str(wat).expect("module parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("module loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("module instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(export)).copied() else {
        panic!("{export} is exported")
    };
    m.invoke(f, args).expect("invoke");
    m
}

fn allocated(m: &Machine) -> usize {
    m.memory(0).expect("a memory").allocated_pages()
}

/// Five steps on a 4 GiB memory: a store near the top and one near the bottom.
const HUGE: &str = r#"(module (memory 65536)
  (func (export "run")
    (i32.store (i32.const 0xfffffff0) (i32.const 7))
    (i32.store8 (i32.const 3) (i32.const 1))))"#;

#[test]
fn proving_on_a_4_gib_memory_allocates_only_written_pages() {
    let m = prepared(HUGE, "run", &[]);
    assert_eq!(m.memory(0).map(|mem| mem.pages()), Some(65536));
    assert_eq!(allocated(&m), 0);
    let mut trace = Trace::record(m, 1, 100, |_| true).expect("records");
    assert_eq!(trace.total_steps(), 7);
    for step in 0..trace.total_steps() {
        let proof = trace.prove(step).expect("proves");
        assert_eq!(
            opml_vm::verify(&proof.bytes).map(|o| o.post_root),
            Ok(proof.outcome.post_root)
        );
    }
    assert_eq!(allocated(trace.seek(7)), 2);
    assert_eq!(allocated(trace.seek(0)), 0);
}

#[test]
fn growing_by_65535_pages_allocates_nothing() {
    let m = prepared(
        r#"(module (memory 1)
          (func (export "run") (result i32)
            (drop (memory.grow (i32.const 65535)))
            (i32.store (i32.const 0x7fff0000) (i32.const 1))
            (memory.size)))"#,
        "run",
        &[],
    );
    let mut trace = Trace::record(m, 2, 100, |_| true).expect("records");
    let end = trace.total_steps();
    let m = trace.seek(end);
    assert_eq!(m.status(), Status::Halted);
    assert_eq!(m.results(), &[65536]);
    assert_eq!(allocated(m), 1);
    assert_eq!(m.state_root(), m.state_root_from_scratch());
    assert_eq!(allocated(trace.seek(1)), 0);
}

#[test]
fn checkpoint_settings_are_validated() {
    let m = || prepared(HUGE, "run", &[]);
    let record = |c| Trace::record_with(m(), c, 100, |_| true).err();
    assert_eq!(
        record(Checkpoints::every(0)),
        Some(TraceError::ZeroInterval)
    );
    assert_eq!(
        record(Checkpoints::every(MAX_INTERVAL + 1)),
        Some(TraceError::IntervalTooLarge(MAX_INTERVAL + 1))
    );
    assert_eq!(
        record(Checkpoints {
            interval: 1,
            budget: 0
        }),
        Some(TraceError::ZeroBudget)
    );
    assert_eq!(record(Checkpoints::every(MAX_INTERVAL)), None);
}

/// Writes pages `1..=n` of 64 one after the other (page 0 holds a data segment), then
/// rewrites page 1 and grows the memory by one page and writes it.
const SWEEP: &str = r#"(module (memory 64 66)
  (data (i32.const 16) "seed")
  (func (export "run") (param $n i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (i64.store (i32.mul (local.get $i) (i32.const 65536)) (i64.extend_i32_u (local.get $i)))
      (br $l)))
    (i32.store (i32.const 65540) (local.get $n))
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 0x400008) (local.get $n))))"#;

#[test]
fn seeks_allocate_only_the_pages_of_the_state_sought() {
    let mut trace =
        Trace::record(prepared(SWEEP, "run", &[40]), 16, 10_000, |_| true).expect("records");
    let total = trace.total_steps();
    assert_eq!(allocated(trace.seek(0)), 1, "only the data segment's page");
    assert_eq!(
        allocated(trace.seek(total)),
        42,
        "data, 40 pages, the grown one"
    );
    // Each loop iteration is 14 steps and writes one page.
    for n in [100, 17, 300, 0, 555] {
        let mut fresh = prepared(SWEEP, "run", &[40]);
        fresh.run(n);
        let m = trace.seek(n);
        assert_eq!(allocated(m), allocated(&fresh), "step {n}");
        assert_eq!(m.state_root(), fresh.state_root(), "step {n}");
    }
}

#[test]
fn a_budget_doubles_the_interval_and_keeps_seeks_exact() {
    // Each 14-step iteration writes a page: 64 KiB per snapshot at interval 14.
    let checkpoints = Checkpoints {
        interval: 14,
        budget: 5 * 65536,
    };
    let mut trace =
        Trace::record_with(prepared(SWEEP, "run", &[40]), checkpoints, 10_000, |_| true)
            .expect("records");
    assert!(trace.interval() >= 14 * 8, "interval {}", trace.interval());
    assert!(trace.snapshots() <= 7, "{} snapshots", trace.snapshots());
    let mut fresh = prepared(SWEEP, "run", &[40]);
    let mut roots = vec![fresh.state_root()];
    while fresh.status() == Status::Running {
        fresh.run(1);
        roots.push(fresh.state_root());
    }
    for n in (0..roots.len() as u64).rev().step_by(13) {
        assert_eq!(trace.root_at(n), roots[n as usize], "step {n}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_restored_state_equals_a_fresh_run(
        n in 1u64..30,
        interval in 1u64..80,
        budget_pages in 1u64..12,
        steps in proptest::collection::vec(0u64..600, 1..8),
    ) {
        let checkpoints = Checkpoints { interval, budget: budget_pages * 65536 };
        let mut trace = Trace::record_with(prepared(SWEEP, "run", &[n]), checkpoints, 10_000, |_| true)
            .expect("records");
        for s in steps {
            let s = s.min(trace.total_steps());
            let mut fresh = prepared(SWEEP, "run", &[n]);
            fresh.run(s);
            let m = trace.seek(s);
            prop_assert_eq!(m.state_root(), fresh.state_root(), "step {}", s);
            prop_assert_eq!(m.state_root(), m.state_root_from_scratch(), "step {}", s);
            prop_assert_eq!(allocated(m), allocated(&fresh), "step {}", s);
            let (a, b) = (m.memory(0).map(|x| x.to_vec()), fresh.memory(0).map(|x| x.to_vec()));
            prop_assert!(a == b, "memories differ at step {}", s);
        }
    }
}

/// A 64-page memory every page of which holds bytes (a model image), and a run that
/// overwrites two of those pages and one zero page.
fn image_module() -> String {
    let data: String = (0..64)
        .map(|p| format!(r#"(data (i32.const {}) "page{p}")"#, p * 65536 + 100))
        .collect();
    format!(
        r#"(module (memory 65)
          {data}
          (func (export "run")
            (i32.store (i32.const 327780) (i32.const 7))
            (i32.store (i32.const 589924) (i32.const 8))
            (i32.store (i32.const 4194404) (i32.const 9))
            (i32.store (i32.const 327780) (i32.const 10))))"#
    )
}

#[test]
fn checkpoints_copy_only_the_image_pages_the_run_overwrites() {
    let wat = image_module();
    let trace_of = |interval| {
        Trace::record(prepared(&wat, "run", &[]), interval, 100, |_| true).expect("records")
    };
    // The initial content of pages 5 and 9 only, then a version of each page per
    // snapshot after a write to it: at interval 1 or 4, pages 5, 9, 64 and 5 again
    // (stores at steps 3, 6, 9 and 12; at 4, the last two in one snapshot, but two
    // pages); at 100, none. Before, checkpoint 0 copied all 64 pages of the image.
    for (interval, pages) in [(1, 2 + 4), (4, 2 + 4), (100, 2)] {
        let mut trace = trace_of(interval);
        let total = trace.total_steps();
        assert_eq!(trace.pages_held(), pages, "interval {interval}");
        for n in (0..=total).rev().chain(0..=total) {
            let mut fresh = prepared(&wat, "run", &[]);
            fresh.run(n);
            let m = trace.seek(n);
            assert_eq!(m.state_root(), fresh.state_root(), "step {n}");
            let (a, b) = (
                m.memory(0).map(|x| x.to_vec()),
                fresh.memory(0).map(|x| x.to_vec()),
            );
            assert!(a == b, "interval {interval}: memories differ at step {n}");
        }
    }
}

#[test]
fn a_write_after_a_seek_is_undone_by_the_next_seek() {
    let wat = image_module();
    let mut trace = Trace::record(prepared(&wat, "run", &[]), 2, 100, |_| true).expect("records");
    let fresh = prepared(&wat, "run", &[]);
    let m = trace.seek(3);
    // Page 20 is never written by the run: only the caller's write changes it.
    m.memory_mut(0)
        .expect("a memory")
        .write_bytes(20 * 65536, b"scribble")
        .expect("inside memory");
    let m = trace.seek(0);
    assert_eq!(m.state_root(), fresh.clone().state_root());
    assert_eq!(
        m.memory(0).map(|x| x.to_vec()),
        fresh.memory(0).map(|x| x.to_vec())
    );
}
