//! State-root cost over a large touched memory: 1024 pages (64 MiB) all written, the
//! root computed from all pages dirty; and the incremental case, a few pages dirty.
//! For reference in the same run: one 64-byte hash through the general Keccak hasher
//! and through the one-block `merkle::node`, and one page's root on one thread.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use opml_vm::memory::{page_root, PAGE_SIZE};
use opml_vm::merkle;
use opml_vm::{Config, LoadOptions, Machine, Module};
use std::time::{Duration, Instant};

/// Pages touched: 64 MiB.
const PAGES: u32 = 1024;
/// Pages written between roots in the incremental case.
const FEW: u32 = 4;

/// A machine whose one memory has `PAGES` pages, each with a non-zero word in it.
fn touched_machine() -> Machine {
    let wasm = wat::parse_str(format!("(module (memory {PAGES}))")).expect("module parses");
    let module = Module::load(&wasm, LoadOptions::default()).expect("module loads");
    let mut m = Machine::new(Config::default());
    m.instantiate(&module).expect("module instantiates");
    touch(&mut m, PAGES, 1);
    m
}

/// Writes a word derived from `salt` into the first `pages` pages (marking them dirty).
fn touch(m: &mut Machine, pages: u32, salt: u64) {
    let mem = m.memory_mut(0).expect("the module has a memory");
    for p in 0..pages {
        let addr = p as u64 * PAGE_SIZE as u64 + (salt * 8) % PAGE_SIZE as u64;
        mem.store::<8>(addr, 0, salt.wrapping_mul(0x9e37_79b9) | 1)
            .expect("in bounds");
    }
}

/// Times `iters` roots, each after writing `pages` pages (writes not timed).
fn timed_roots(m: &mut Machine, pages: u32, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for i in 0..iters {
        touch(m, pages, i + 2);
        let start = Instant::now();
        std::hint::black_box(m.state_root());
        total += start.elapsed();
    }
    total
}

fn state_root(c: &mut Criterion) {
    let mut m = touched_machine();
    let mut group = c.benchmark_group("state root, 64 MiB touched");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(PAGES as u64 * PAGE_SIZE as u64));
    group.bench_function("all 1024 pages dirty", |b| {
        b.iter_custom(|iters| timed_roots(&mut m, PAGES, iters))
    });
    group.throughput(Throughput::Bytes(FEW as u64 * PAGE_SIZE as u64));
    group.bench_function("4 pages dirty", |b| {
        b.iter_custom(|iters| timed_roots(&mut m, FEW, iters))
    });
    group.finish();
}

fn hashing(c: &mut Criterion) {
    let mut group = c.benchmark_group("keccak-256");
    let (l, r) = ([1u8; 32], [2u8; 32]);
    group.throughput(Throughput::Elements(1));
    group.bench_function("64 bytes, general hasher", |b| {
        b.iter(|| merkle::keccak(&[std::hint::black_box(&l), &r]))
    });
    group.bench_function("64 bytes, one-block node", |b| {
        b.iter(|| merkle::node(std::hint::black_box(&l), &r))
    });
    let page: Vec<u8> = (0..PAGE_SIZE).map(|i| (i * 7 + 1) as u8).collect();
    group.throughput(Throughput::Bytes(PAGE_SIZE as u64));
    group.bench_function("one page root, one thread", |b| {
        b.iter(|| page_root(std::hint::black_box(&page)))
    });
    group.finish();
}

criterion_group!(benches, hashing, state_root);
criterion_main!(benches);
