//! Proof generation at an arbitrary step of a long run: the run is recorded once with
//! checkpoints, then each iteration seeks to a random step and proves the next one.
//! `seek` alone (restore the nearest checkpoint and replay) is the reference in the same
//! group, so the report shows what proving adds on top of seeking.
//!
//!   cargo bench -p opml-vm --bench prove

use criterion::{criterion_group, criterion_main, Criterion};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Trace};
use std::hint::black_box;

/// Loop iterations; each takes 17 steps, so the run is about 1.02 × 10^8 steps.
const ITERATIONS: u64 = 6_000_000;
/// Checkpoint interval in steps (the CLI's default).
const INTERVAL: u64 = 1 << 20;

fn trace() -> Trace {
    let wat = include_str!("../../tests/data/sum.wat");
    let bytes = wat::parse_str(wat).expect("bench module parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("sum")).copied() else {
        panic!("no export sum");
    };
    m.invoke(f, &[ITERATIONS]).expect("invoke");
    Trace::record(m, INTERVAL, u64::MAX, |_| true).expect("records")
}

fn prove_at_random_steps(c: &mut Criterion) {
    let mut trace = trace();
    let total = trace.total_steps();
    assert!(total > 100_000_000, "{total} steps");
    // A fixed pseudo-random walk over the run (xorshift), same for both functions.
    let steps = |seed: u64| {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % total
        }
    };
    let mut group = c.benchmark_group(format!("prove at a random step of {total} steps"));
    let mut next = steps(0x9e37_79b9_7f4a_7c15);
    group.bench_function("seek (reference)", |b| {
        b.iter(|| black_box(trace.seek(next()).pc()))
    });
    let mut next = steps(0x9e37_79b9_7f4a_7c15);
    group.bench_function("seek + prove", |b| {
        b.iter(|| black_box(trace.prove(next()).expect("provable").bytes.len()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = prove_at_random_steps
}
criterion_main!(benches);
