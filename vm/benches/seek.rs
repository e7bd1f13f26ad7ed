//! Recording and seeking on a large memory, the shape of an LLM guest: a memory of
//! `PAGES` pages filled before the first step (the model image), then a run that reads
//! it all over and writes a small scratch region (the activations, 64 pages).
//!
//! - `record + root`: what `opml root` costs: record the run with a checkpoint every
//!   2^20 steps, then the root at one step;
//! - `seek + root`: what each further bisection query costs on a recorded trace: the
//!   root at a pseudo-random step.
//!
//!   cargo bench -p opml-vm --bench seek
//!   OPML_SEEK_SIZES=100MiB cargo bench -p opml-vm --bench seek   # skip the 1 GiB memory

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Trace};
use std::hint::black_box;

/// Checkpoint interval (the CLI's default).
const INTERVAL: u64 = 1 << 20;
/// Loop iterations of the run (21 steps each: about 10^7 steps).
const ITERATIONS: u64 = 500_000;

/// A module with `pages` pages: `run(n)` sums 8-byte words read at a 4104-byte stride
/// across the whole memory and stores the running sum into 64 scratch pages.
fn module(pages: u32) -> Vec<u8> {
    let wrap = pages as u64 * 65536 - 8;
    let wat = format!(
        r#"(module
  (memory (export "memory") {pages})
  (func (export "run") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i64.add (local.get $acc)
        (i64.load (i32.rem_u (i32.mul (local.get $i) (i32.const 4104)) (i32.const {wrap})))))
      (i64.store (i32.and (i32.mul (local.get $i) (i32.const 1032)) (i32.const 0x3ffff8))
                 (local.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $acc)))"#
    );
    wat::parse_str(wat).expect("bench module parses")
}

/// The machine with every page filled and `run(ITERATIONS)` invoked.
fn prepared(bytes: &[u8], pages: u32) -> Machine {
    let module = Module::load(bytes, LoadOptions { provable: true }).expect("loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("run")).copied() else {
        panic!("no export run");
    };
    let mem = m.memory_mut(0).expect("the module has a memory");
    let mut page = vec![0u8; 65536];
    for p in 0..pages as usize {
        for (i, b) in page.iter_mut().enumerate() {
            *b = (i.wrapping_mul(31) ^ p.wrapping_mul(7)) as u8 | 1;
        }
        mem.write_bytes(p * 65536, &page).expect("inside memory");
    }
    m.invoke(f, &[ITERATIONS]).expect("invoke");
    m
}

fn record(m: Machine) -> Trace {
    Trace::record(m, INTERVAL, u64::MAX, |_| true).expect("records")
}

fn sizes() -> Vec<(&'static str, u32)> {
    let all = [("100MiB", 1600), ("1GiB", 16384)];
    let wanted = std::env::var("OPML_SEEK_SIZES").unwrap_or_default();
    all.into_iter()
        .filter(|(name, _)| wanted.is_empty() || wanted.split(',').any(|w| w == *name))
        .collect()
}

fn record_and_seek(c: &mut Criterion) {
    for (name, pages) in sizes() {
        let bytes = module(pages);
        let mut group = c.benchmark_group(format!("memory {name}"));
        group.bench_function("record + root", |b| {
            b.iter_batched(
                || prepared(&bytes, pages),
                |m| {
                    let mut trace = record(m);
                    let mid = trace.total_steps() / 2;
                    black_box(trace.root_at(mid))
                },
                BatchSize::PerIteration,
            )
        });
        let mut trace = record(prepared(&bytes, pages));
        let total = trace.total_steps();
        // A fixed pseudo-random walk over the run (xorshift).
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % total
        };
        trace.root_at(next());
        group.bench_function("seek + root", |b| {
            b.iter(|| black_box(trace.root_at(next())))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(1))
        .measurement_time(std::time::Duration::from_secs(5));
    targets = record_and_seek
}
criterion_main!(benches);
