//! Interpreter throughput: the step machine and wasmi run the same workload in one
//! benchmark group, so their ratio is measured under the same machine load.
//!
//! Throughput is counted in step-machine steps (executed Wasm instructions) for both
//! engines, so criterion's `elem/s` is steps/s for the machine and Wasm instructions/s
//! for wasmi. No hashing happens during the runs.
//!
//! Workloads: an integer loop (`int_loop.wat`: arithmetic, loads and stores); the
//! guest's integer kernels as LLVM compiles them (`kernels.wat`, from
//! `kernels/src/lib.rs`): the classifier's int8 GEMV, the LLM's SWAR Q4_1 and Q8_0 block
//! matmuls; a call-heavy recursion (`fib.wat`); and, when it has been built (`bash scripts/build-guest.sh`, or
//! `$OPML_GUEST_WASM`), the guest's `run`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status};
use std::path::PathBuf;

/// Integer-heavy loop (`int_loop.wat`, also used by `opml bench` in
/// docs/performance.md): per iteration a load, a multiply-add-xor-rotate mix and a
/// store over a 4 KiB window, plus the loop's own compare and branch.
const WAT_LOOP: &str = include_str!("int_loop.wat");

/// Loop iterations per run.
const ITERATIONS: u64 = 1_000_000;

/// The guest's kernels compiled to Wasm (`kernels/build.sh`).
const WAT_KERNELS: &str = include_str!("kernels.wat");

/// Call-heavy: the naive recursive Fibonacci (`fib.wat`), of 27.
const WAT_FIB: &str = include_str!("fib.wat");

/// Kernel exports and their repetitions per run (each run 2·10^7 to 4·10^7 steps).
const KERNELS: [(&str, u64); 3] = [("gemv_i8_run", 120), ("q4_matmul", 800), ("q8_matmul", 600)];

/// A machine with `export(args)` invoked, ready to run.
fn prepared(wasm: &[u8], export: &str, args: &[u64]) -> Machine {
    let module = Module::load(wasm, LoadOptions::default()).expect("workload loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("workload instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get(export)).copied() else {
        panic!("no exported function {export}");
    };
    m.invoke(f, args).expect("invoke");
    m
}

/// Steps of one complete run.
fn steps_of(m: &Machine) -> u64 {
    let mut m = m.clone();
    m.run(u64::MAX);
    assert_eq!(m.status(), Status::Halted, "the workload must return");
    m.steps()
}

/// The guest binary, if it has been built.
fn guest() -> Option<Vec<u8>> {
    let path = std::env::var_os("OPML_GUEST_WASM").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/guest/guest.wasm"),
        PathBuf::from,
    );
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!(
                "skipping the guest benchmark: {}: {e} (build it with scripts/build-guest.sh)",
                path.display()
            );
            None
        }
    }
}

/// Benchmarks `export(args)` of `wasm` in both engines under group `name`.
fn bench_pair(c: &mut Criterion, name: &str, wasm: &[u8], export: &str, args: &[u64]) {
    let machine = prepared(wasm, export, args);
    let steps = steps_of(&machine);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(steps));
    group.sample_size(10);
    group.bench_function("step machine", |b| {
        b.iter_batched(
            || machine.clone(),
            |mut m| {
                m.run(u64::MAX);
                m
            },
            BatchSize::PerIteration,
        )
    });

    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, wasm).expect("wasmi accepts the workload");
    let linker = wasmi::Linker::<()>::new(&engine);
    let params: Vec<wasmi::Val> = args.iter().map(|&a| wasmi::Val::I32(a as i32)).collect();
    group.bench_function("wasmi", |b| {
        b.iter_batched(
            || {
                let mut store = wasmi::Store::new(&engine, ());
                let instance = linker
                    .instantiate_and_start(&mut store, &module)
                    .expect("wasmi instantiates the workload");
                let func = instance
                    .get_func(&store, export)
                    .expect("the export is a function");
                (store, func)
            },
            |(mut store, func)| {
                let mut out = [wasmi::Val::I32(0)];
                func.call(&mut store, &params, &mut out)
                    .expect("wasmi runs the workload");
                (store, out)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn interpreter(c: &mut Criterion) {
    let wat_loop = wat::parse_str(WAT_LOOP).expect("the loop parses");
    bench_pair(c, "wat loop", &wat_loop, "run", &[ITERATIONS]);
    let kernels = wat::parse_str(WAT_KERNELS).expect("the kernels parse");
    for (export, reps) in KERNELS {
        bench_pair(c, export, &kernels, export, &[reps]);
    }
    let fib = wat::parse_str(WAT_FIB).expect("fib parses");
    bench_pair(c, "fib", &fib, "run", &[27]);
    if let Some(guest) = guest() {
        bench_pair(c, "guest run", &guest, "run", &[]);
    }
}

criterion_group!(benches, interpreter);
criterion_main!(benches);
