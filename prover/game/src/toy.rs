//! A small program with the guest ABI's regions (input page 256, output page 257), for
//! tests and for the demo when no model is given: it folds the input bytes into two
//! checksums and writes `[u32 sum][u32 hash][u32 len]` as its output.

use super::job::Job;
use opml_vm::{Config, Extern, LoadOptions, Machine, Module};

/// Input region page.
pub const INPUT_PAGE: u32 = 256;
/// Output region page.
pub const OUTPUT_PAGE: u32 = 257;

const WAT: &str = r#"(module
  (memory (export "memory") 258)
  (func (export "run") (result i32) (local $i i32) (local $n i32) (local $sum i32) (local $h i32)
    (local.set $n (i32.load (i32.const 0x1000000)))
    (local.set $h (i32.const 0x811c9dc5))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.load8_u offset=0x1000004 (local.get $i))))
        (local.set $h (i32.mul (i32.xor (local.get $h)
          (i32.load8_u offset=0x1000004 (local.get $i))) (i32.const 0x01000193)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 0x1010000) (i32.const 12))
    (i32.store (i32.const 0x1010004) (local.get $sum))
    (i32.store (i32.const 0x1010008) (local.get $h))
    (i32.store (i32.const 0x101000c) (local.get $n))
    (i32.const 0)))"#;

/// Loads the toy program with `input` in its input region.
pub fn load(input: &[u8]) -> Result<Machine, String> {
    load_wat(WAT, input)
}

/// Loads a text-format program exporting `memory` and `run`, with `input` in the input
/// region (page [`INPUT_PAGE`]), ready to invoke `run`.
pub fn load_wat(wat: &str, input: &[u8]) -> Result<Machine, String> {
    if input.len() > super::layout::REGION_CAPACITY {
        return Err(format!(
            "input of {} bytes does not fit a page",
            input.len()
        ));
    }
    let bytes = wat::parse_str(wat).map_err(|e| e.to_string())?;
    let module = Module::load(&bytes, LoadOptions { provable: true }).map_err(|e| e.to_string())?;
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).map_err(|e| e.to_string())?;
    let exports = m
        .instance(id)
        .map(|i| i.exports.clone())
        .unwrap_or_default();
    let (Some(Extern::Memory(mem)), Some(Extern::Func(run))) =
        (exports.get("memory").copied(), exports.get("run").copied())
    else {
        return Err("the program lacks `memory` or `run`".into());
    };
    let region = [&(input.len() as u32).to_le_bytes()[..], input].concat();
    m.memory_mut(mem)
        .ok_or("no memory")?
        .write_bytes(INPUT_PAGE as usize * opml_vm::memory::PAGE_SIZE, &region)
        .map_err(|e| e.to_string())?;
    m.invoke(run, &[]).map_err(|e| e.to_string())?;
    Ok(m)
}

/// The toy program as a job.
pub fn job() -> Job {
    Job {
        name: "toy checksum".into(),
        load: Box::new(load),
        input_page: INPUT_PAGE,
        output_page: OUTPUT_PAGE,
    }
}
