//! `opml`: the command-line front end of opml-wasm.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use opml_prover::args::{parse_args, TypedValue};
use opml_prover::guest::{self, Engine, GUEST_WASM};
use opml_prover::{bench, compile, idx, interrupt, target};
use opml_vm::{LoadOptions, Machine, Status, Trace};
use serde_json::json;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "opml",
    version,
    about = "Optimistic ML on a Merkleized Wasm step machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an export in the step machine; print results or trap, steps and final root.
    Run {
        #[command(flatten)]
        target: TargetArgs,
        /// Stop (and report) after this many steps.
        #[arg(long, default_value_t = u64::MAX)]
        max_steps: u64,
    },
    /// Print the state root after step N of a run.
    Root {
        #[command(flatten)]
        target: TargetArgs,
        /// Step whose post-state root to print (0 = before the first step).
        #[arg(long)]
        step: u64,
        /// Checkpoint interval in steps.
        #[arg(long, default_value_t = 1 << 20)]
        interval: u64,
    },
    /// Run the same workload in the step machine and in wasmi; print both speeds.
    /// With --model/--input: one inference of the ML guest (step machine, wasmi, native).
    Bench {
        /// Module file (.wasm or .wat); omit with --model.
        #[arg(required_unless_present = "model")]
        module: Option<PathBuf>,
        /// Exported function to call.
        #[arg(long, default_value = "run")]
        invoke: String,
        /// Arguments, e.g. `i32:1,i64:-2,f32:1.5`.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        args: String,
        #[command(flatten)]
        model: ModelArgs,
        /// Runs per engine; the best time of each is reported.
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Prove step N+1 of a run: from the root after N steps to the root after N+1.
    Prove {
        #[command(flatten)]
        target: TargetArgs,
        /// Steps executed before the proven one (0 proves the first step).
        #[arg(long)]
        step: u64,
        /// Checkpoint interval in steps.
        #[arg(long, default_value_t = 1 << 20)]
        interval: u64,
        /// Write the proof bytes here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a proof file with the Rust reference verifier; print the post-root.
    Verify {
        /// Proof file written by `opml prove --out`.
        file: PathBuf,
        /// Also require this pre-state root (0x-prefixed hex).
        #[arg(long)]
        pre_root: Option<String>,
        /// Also run it through the Solidity verifier in an embedded EVM; print the gas.
        #[arg(long)]
        evm: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Run a model image on an input; print the class, logits and probabilities.
    Infer {
        #[command(flatten)]
        model: ModelArgs,
        /// Where to run it.
        #[arg(long, value_enum, default_value = "step")]
        engine: Engine,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Quantize float weights into an int8 model image, calibrated on sample inputs.
    CompileModel(CompileArgs),
}

#[derive(Args)]
struct CompileArgs {
    /// Format of WEIGHTS (only `safetensors`).
    #[arg(long, value_enum)]
    from: WeightFormat,
    /// The float weights.
    weights: PathBuf,
    /// Architecture description (JSON), see docs/model-image.md.
    #[arg(long)]
    arch: PathBuf,
    /// Calibration images (IDX, optionally gzipped).
    #[arg(long)]
    calibrate: PathBuf,
    /// How many calibration images to use.
    #[arg(long, default_value_t = 1000)]
    calibrate_count: usize,
    /// How many of them the per-layer error report uses.
    #[arg(long, default_value_t = 200)]
    error_count: usize,
    /// Where to write the image.
    #[arg(long)]
    out: PathBuf,
    /// Test images (IDX) for a float vs integer accuracy report.
    #[arg(long, requires = "test_labels")]
    test_images: Option<PathBuf>,
    /// Test labels (IDX).
    #[arg(long, requires = "test_images")]
    test_labels: Option<PathBuf>,
}

/// Weight file formats `compile-model` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum WeightFormat {
    /// safetensors, F32 tensors.
    Safetensors,
}

#[derive(Args)]
struct ModelArgs {
    /// Model image (from `opml compile-model`).
    #[arg(long, requires = "input")]
    model: Option<PathBuf>,
    /// Input: raw int8 bytes, or an IDX image file (gzipped or not) with --index.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Which image of an IDX input file (pixels become `pixel >> 1`).
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// Guest module to use instead of the built-in guest-ml/guest.wasm.
    #[arg(long)]
    guest: Option<PathBuf>,
}

impl ModelArgs {
    /// (guest bytes, image bytes, input bytes).
    fn load(&self) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let read =
            |p: &PathBuf| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
        let guest = match &self.guest {
            Some(p) => read(p)?,
            None => GUEST_WASM.to_vec(),
        };
        let model = self.model.as_ref().context("--model is required")?;
        let input_path = self.input.as_ref().context("--input is required")?;
        let raw = read(input_path)?;
        let input = if idx::looks_like_idx(&raw) {
            let images = idx::Idx::decode(input_path, &raw)?;
            let px = images.item(self.index).with_context(|| {
                format!(
                    "{}: no image {} (it has {})",
                    input_path.display(),
                    self.index,
                    images.len()
                )
            })?;
            idx::pixels_to_input(px)
        } else {
            raw
        };
        Ok((guest, read(model)?, input))
    }
}

#[derive(Args)]
struct TargetArgs {
    /// Module file, binary (.wasm) or text (.wat).
    module: PathBuf,
    /// Exported function to call.
    #[arg(long, default_value = "run")]
    invoke: String,
    /// Arguments, e.g. `i32:1,i64:-2,f32:1.5`.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    args: String,
    /// Reject float instructions (the on-chain provable profile).
    #[arg(long)]
    provable: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

impl TargetArgs {
    fn parsed_args(&self) -> Result<Vec<TypedValue>> {
        parse_args(&self.args).context("--args")
    }

    fn prepare(&self) -> Result<target::Prepared> {
        let opts = LoadOptions {
            provable: self.provable,
        };
        Ok(target::prepare(
            &self.module,
            &self.invoke,
            &self.parsed_args()?,
            opts,
        )?)
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn spinner(enabled: bool, what: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} steps ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar
}

/// Describes the op at the machine's pc: name and Wasm byte offset.
fn describe_pc(m: &Machine) -> serde_json::Value {
    json!({
        "pc": m.pc(),
        "op": m.op_at(m.pc()).map(|op| op.name()),
        "wasm_offset": m.wasm_offset(m.pc()),
    })
}

fn cmd_run(t: &TargetArgs, max_steps: u64) -> Result<()> {
    let mut prepared = t.prepare()?;
    let m = &mut prepared.machine;
    let bar = spinner(!t.json, "running");
    let start = std::time::Instant::now();
    while m.status() == Status::Running && m.steps() < max_steps {
        m.run((max_steps - m.steps()).min(1 << 24));
        bar.set_position(m.steps());
        if interrupt::requested() {
            bar.finish_and_clear();
            bail!("interrupted at step {}", m.steps());
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let root = hex(&m.state_root());
    let status = m.status();
    let results: Vec<String> = prepared
        .result_types
        .iter()
        .zip(m.results())
        .map(|(&ty, &bits)| TypedValue { ty, bits }.to_string())
        .collect();
    let out = match status {
        Status::Halted => json!({"status": "halted", "results": results}),
        Status::Trapped(trap) => {
            json!({"status": "trapped", "trap": trap.message(), "at": describe_pc(m)})
        }
        Status::Running => json!({"status": "step-limit", "at": describe_pc(m)}),
    };
    if t.json {
        let mut out = out;
        out["steps"] = json!(m.steps());
        out["root"] = json!(root);
        out["seconds"] = json!(seconds);
        println!("{out}");
    } else {
        match status {
            Status::Halted => println!(
                "results: {}",
                if results.is_empty() {
                    "(none)".into()
                } else {
                    results.join(", ")
                }
            ),
            Status::Trapped(trap) => println!("trapped: {trap} at {}", describe_pc(m)),
            Status::Running => println!("stopped at the step limit at {}", describe_pc(m)),
        }
        println!("steps:   {}", m.steps());
        println!("root:    {root}");
        println!("time:    {seconds:.3} s");
    }
    Ok(())
}

/// Records the target's run with checkpoints every `interval` steps (with a spinner;
/// Ctrl-C stops), and checks that `step` is within it.
fn record_until(t: &TargetArgs, step: u64, interval: u64) -> Result<Trace> {
    let prepared = t.prepare()?;
    let bar = spinner(!t.json, "recording");
    let trace = Trace::record(prepared.machine, interval, u64::MAX, |n| {
        bar.set_position(n);
        !interrupt::requested()
    })?;
    bar.finish_and_clear();
    let total = trace.total_steps();
    if step > total {
        bail!("step {step} is past the end of the run ({total} steps)");
    }
    Ok(trace)
}

fn cmd_root(t: &TargetArgs, step: u64, interval: u64) -> Result<()> {
    let mut trace = record_until(t, step, interval)?;
    let total = trace.total_steps();
    let root = hex(&trace.root_at(step));
    let m = trace.seek(step);
    if t.json {
        println!(
            "{}",
            json!({"step": step, "total_steps": total, "root": root, "next": describe_pc(m)})
        );
    } else {
        println!("step:  {step} of {total}");
        println!("root:  {root}");
        println!("next:  {}", describe_pc(m));
    }
    Ok(())
}

fn cmd_infer(m: &ModelArgs, engine: Engine, json: bool) -> Result<()> {
    let (guest_wasm, image, input) = m.load()?;
    let start = std::time::Instant::now();
    let (out, steps) = guest::run(engine, &guest_wasm, &image, &input)?;
    let seconds = start.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            json!({"class": out.class, "logits": out.logits, "probs_q16": out.probs,
                   "engine": format!("{engine:?}").to_lowercase(), "steps": steps, "seconds": seconds})
        );
        return Ok(());
    }
    let probs: Vec<String> = out
        .probs
        .iter()
        .map(|&p| format!("{:.3}", f64::from(p) / 65536.0))
        .collect();
    println!("class:   {}", out.class);
    println!("logits:  {:?}", out.logits);
    println!("softmax: [{}]", probs.join(", "));
    if let Some(steps) = steps {
        println!("steps:   {steps}");
    }
    println!("time:    {seconds:.3} s ({engine:?})");
    Ok(())
}

fn cmd_compile(c: &CompileArgs) -> Result<()> {
    let (weights, arch, out, error_count) = (&c.weights, &c.arch, &c.out, c.error_count);
    // safetensors is the only format so far; the match fails to compile when one is added.
    match c.from {
        WeightFormat::Safetensors => {}
    }
    let compiled = compile::compile(weights, arch, &c.calibrate, c.calibrate_count, error_count)?;
    println!("per-layer quantization error (relative RMS, {error_count} calibration images):");
    println!(
        "  {:<3} {:<12} {:>10} {:>12} {:>12}",
        "#", "stage", "weights", "activation", "scale"
    );
    for (i, s) in compiled.stages.iter().enumerate() {
        let w = s
            .weight_error
            .map_or("-".to_string(), |e| format!("{:.4}", e));
        println!(
            "  {i:<3} {:<12} {w:>10} {:>12.4} {:>12.3e}",
            s.name, s.activation_error, s.scale
        );
    }
    std::fs::write(out, &compiled.image)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {} ({} bytes)", out.display(), compiled.image.len());
    if let Some((images, labels)) = c.test_images.as_ref().zip(c.test_labels.as_ref()) {
        let acc = compile::accuracy(weights, arch, &compiled.image, images, labels)?;
        println!(
            "float model accuracy:   {:.2} % ({} images)",
            100.0 * acc.float,
            acc.images
        );
        println!(
            "integer model accuracy: {:.2} % (native runner)",
            100.0 * acc.int
        );
    }
    Ok(())
}

fn cmd_bench_model(m: &ModelArgs, repeat: u32, json: bool) -> Result<()> {
    let (guest_wasm, image, input) = m.load()?;
    let r = bench::bench_model(&guest_wasm, &image, &input, repeat)?;
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("class:            {}", r.class);
        println!("steps:            {}", r.steps);
        println!(
            "step machine:     {:.4} s  ({:.1} M steps/s), load {:.4} s",
            r.vm_seconds,
            r.vm_steps_per_second / 1e6,
            r.vm_load_seconds
        );
        println!("wasmi:            {:.4} s", r.wasmi_seconds);
        println!("native:           {:.5} s", r.native_seconds);
        println!("speed vs wasmi:   {:.3}x", r.speed_ratio_vs_wasmi);
        println!("outputs agree:    {}", r.outputs_agree);
    }
    if !r.outputs_agree {
        bail!("the engines disagree on the output");
    }
    Ok(())
}

fn cmd_bench(t: &TargetArgs, repeat: u32) -> Result<()> {
    let bar = spinner(!t.json, "benchmarking");
    let report = bench::bench(&t.module, &t.invoke, &t.parsed_args()?, repeat, |n| {
        bar.set_position(n)
    })?;
    bar.finish_and_clear();
    if t.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("steps:            {}", report.steps);
        println!("wasmi fuel:       {}", report.wasmi_fuel);
        println!(
            "step machine:     {:.4} s  ({:.1} M steps/s)",
            report.vm_seconds,
            report.vm_steps_per_second / 1e6
        );
        println!("wasmi:            {:.4} s", report.wasmi_seconds);
        println!("speed vs wasmi:   {:.3}x", report.speed_ratio_vs_wasmi);
        println!("outcomes agree:   {}", report.outcomes_agree);
    }
    if !report.outcomes_agree {
        bail!("the step machine and wasmi disagree on the outcome");
    }
    Ok(())
}

/// Records the run, proves the step and writes the proof.
fn cmd_prove(t: &TargetArgs, step: u64, interval: u64, out: Option<&PathBuf>) -> Result<()> {
    let mut trace = record_until(t, step, interval)?;
    let total = trace.total_steps();
    let start = std::time::Instant::now();
    let at = describe_pc(trace.seek(step));
    let at_text = format!("pc {}, wasm offset {}", at["pc"], at["wasm_offset"]);
    let proof = trace
        .prove(step)
        .with_context(|| format!("cannot prove the step after step {step}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(path) = out {
        write_atomically(path, &proof.bytes)?;
    }
    let o = &proof.outcome;
    let op = o.op.map_or("(none: the run has ended)", |op| op.name());
    let trap = o.trap.map(|t| t.message());
    if t.json {
        let out_json = json!({
            "step": step, "total_steps": total, "pre_root": hex(&o.pre_root),
            "post_root": hex(&o.post_root), "op": op, "at": at, "trap": trap,
            "size": proof.bytes.len(), "seconds": seconds,
            "out": out.map(|p| p.display().to_string()),
        });
        println!("{out_json}");
    } else {
        println!("step:       {step} -> {} (of {total})", step + 1);
        println!("pre-root:   {}", hex(&o.pre_root));
        println!("post-root:  {}", hex(&o.post_root));
        println!("op:         {op} ({at_text})");
        if let Some(trap) = trap {
            println!("trap:       {trap}");
        }
        println!("size:       {} bytes", proof.bytes.len());
        println!("time:       {seconds:.3} s (seek from checkpoint + prove)");
        if let Some(path) = out {
            println!("written:    {}", path.display());
        }
    }
    Ok(())
}

/// Runs a proof the Rust verifier accepted through the Solidity verifier in an embedded
/// EVM; fails unless it returns the same post-root. Returns the gas used.
fn evm_gas(o: &opml_vm::StepOutcome, proof: &[u8]) -> Result<u64> {
    let mut verifier = opml_prover::evm::EvmVerifier::deploy()?;
    let step = verifier.step(&o.pre_root, proof)?;
    match step.verdict {
        opml_prover::evm::Verdict::Valid(root) if root == o.post_root => Ok(step.gas),
        other => bail!("the Solidity verifier disagrees with the Rust verifier: {other:?}"),
    }
}

/// Writes `bytes` to `path` through a temporary file, so a failure never leaves a
/// half-written proof.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Parses a 0x-prefixed 32-byte hex root.
fn parse_root(s: &str) -> Result<[u8; 32]> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.len() != 64 {
        bail!(
            "a root is 32 bytes (64 hex digits), got {} digits",
            digits.len()
        );
    }
    let mut root = [0u8; 32];
    for (i, byte) in root.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
            .with_context(|| format!("bad hex digit in root at byte {i}"))?;
    }
    Ok(root)
}

fn cmd_verify(file: &PathBuf, pre_root: Option<&str>, evm: bool, json_out: bool) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let expected = pre_root.map(parse_root).transpose().context("--pre-root")?;
    let verdict = opml_vm::verify(&bytes).and_then(|o| match expected {
        Some(root) if root != o.pre_root => Err(opml_vm::ProofError::PreRootMismatch),
        _ => Ok(o),
    });
    match verdict {
        Ok(o) => {
            let op = o.op.map_or("(none: the run has ended)", |op| op.name());
            let gas = if evm {
                Some(evm_gas(&o, &bytes)?)
            } else {
                None
            };
            if json_out {
                println!(
                    "{}",
                    json!({"valid": true, "pre_root": hex(&o.pre_root), "post_root": hex(&o.post_root),
                           "op": op, "trap": o.trap.map(|t| t.message()), "size": bytes.len(),
                           "evm_gas": gas})
                );
            } else {
                println!("valid proof ({} bytes) of {op}", bytes.len());
                println!("pre-root:   {}", hex(&o.pre_root));
                println!("post-root:  {}", hex(&o.post_root));
                if let Some(gas) = gas {
                    println!(
                        "evm:        same post-root, {gas} gas (calldata and intrinsic included)"
                    );
                }
            }
            Ok(())
        }
        Err(e) => {
            if json_out {
                println!("{}", json!({"valid": false, "reason": e.to_string()}));
            }
            bail!("{}: proof rejected: {e}", file.display())
        }
    }
}

fn main() -> Result<()> {
    interrupt::install();
    let cli = Cli::parse();
    match &cli.command {
        Command::Run { target, max_steps } => cmd_run(target, *max_steps),
        Command::Root {
            target,
            step,
            interval,
        } => cmd_root(target, *step, *interval),
        Command::Bench {
            module,
            invoke,
            args,
            model,
            repeat,
            json,
        } => match module {
            Some(module) => cmd_bench(
                &TargetArgs {
                    module: module.clone(),
                    invoke: invoke.clone(),
                    args: args.clone(),
                    provable: false,
                    json: *json,
                },
                *repeat,
            ),
            None => cmd_bench_model(model, *repeat, *json),
        },
        Command::Infer {
            model,
            engine,
            json,
        } => cmd_infer(model, *engine, *json),
        Command::CompileModel(c) => cmd_compile(c),
        Command::Prove {
            target,
            step,
            interval,
            out,
        } => cmd_prove(target, *step, *interval, out.as_ref()),
        Command::Verify {
            file,
            pre_root,
            evm,
            json,
        } => cmd_verify(file, pre_root.as_deref(), *evm, *json),
    }
}
