//! What a large, mostly untouched memory costs: instantiating and proving on a module
//! declaring 4 GiB, one `memory.grow 65535`, and recording with a checkpoint every step
//! under a memory budget. Peak RSS of the same cases from the command line:
//! `scripts/rss.sh` (docs/performance.md).
//!
//!   cargo bench -p opml-vm --bench sparse

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use opml_vm::{Checkpoints, Config, Extern, LoadOptions, Machine, Module, Trace};
use std::hint::black_box;

fn prepared(wat: &str, args: &[u64]) -> Machine {
    let bytes = wat::parse_str(wat).expect("bench module parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("run")).copied() else {
        panic!("no export run");
    };
    m.invoke(f, args).expect("invoke");
    m
}

/// Writes one word into each of `n` pages, `n` times over (14 steps a store).
const PAGES: &str = r#"(module (memory 64)
  (func (export "run") (param $n i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.mul (local.get $n) (local.get $n))))
      (i32.store (i32.mul (i32.rem_u (local.get $i) (local.get $n)) (i32.const 65536))
                 (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))))"#;

fn sparse(c: &mut Criterion) {
    let huge = include_str!("../../tests/data/memory65536.wat");
    let grow = include_str!("../../tests/data/grow65535.wat");
    let mut group = c.benchmark_group("sparse memory");
    group.bench_function("(memory 65536): instantiate, record, prove step 2", |b| {
        b.iter(|| {
            let mut trace = Trace::record(prepared(huge, &[]), 1, 100, |_| true).expect("records");
            black_box(trace.prove(2).expect("proves").bytes.len())
        })
    });
    group.bench_function("memory.grow 65535, store, root", |b| {
        b.iter(|| {
            let mut m = prepared(grow, &[]);
            m.run(100);
            black_box(m.state_root())
        })
    });
    group.bench_function("record 64 pages x 64, interval 1, budget 1 MiB", |b| {
        b.iter_batched(
            || prepared(PAGES, &[64]),
            |m| {
                let c = Checkpoints {
                    interval: 1,
                    budget: 1 << 20,
                };
                let trace = Trace::record_with(m, c, u64::MAX, |_| true).expect("records");
                black_box(trace.snapshots())
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = sparse
}
criterion_main!(benches);
