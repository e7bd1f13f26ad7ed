//! Subcommands on a module run: `run`, `root`, `bench`.

use super::model::ModelArgs;
use super::{describe_pc, hex, spinner};
use anyhow::{bail, Context, Result};
use clap::Args;
use opml_host::args::{parse_args, parse_interval, parse_size, TypedValue};
use opml_host::{bench, interrupt, target};
use opml_vm::{Checkpoints, LoadOptions, Status, Trace, ValType};
use serde_json::json;
use std::path::PathBuf;

/// What to run: a module and export, or the ML guest on a model and an input.
#[derive(Args)]
pub struct TargetArgs {
    /// Module file, binary (.wasm) or text (.wat); omit with --model.
    #[arg(required_unless_present = "model")]
    pub module: Option<PathBuf>,
    /// Exported function to call.
    #[arg(long, default_value = "run")]
    pub invoke: String,
    /// Arguments, e.g. `i32:1,i64:-2,f32:1.5`.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub args: String,
    #[command(flatten)]
    pub model: ModelArgs,
    /// The on-chain provable profile: reject float instructions and steps whose proofs
    /// would exceed the on-chain budget.
    #[arg(long)]
    pub provable: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

impl TargetArgs {
    /// The typed `--args`.
    pub fn parsed_args(&self) -> Result<Vec<TypedValue>> {
        parse_args(&self.args).context("--args")
    }

    /// The module's path (when no model is given).
    pub fn module(&self) -> Result<&PathBuf> {
        self.module
            .as_ref()
            .context("a module or --model is required")
    }

    /// A machine ready to run: the module's export invoked with the arguments, or the
    /// ML guest with the model image and input in memory and `run` invoked.
    pub fn prepare(&self) -> Result<target::Prepared> {
        if self.model.model.is_some() {
            // The job's loader knows both image kinds (classifier, LLM request).
            let (job, input) = self.model.job()?;
            let machine = (job.load)(&input).map_err(anyhow::Error::msg)?;
            return Ok(target::Prepared {
                machine,
                bytes: self.model.guest_bytes()?,
                result_types: vec![ValType::I32],
            });
        }
        let opts = LoadOptions {
            provable: self.provable,
        };
        Ok(target::prepare(
            self.module()?,
            &self.invoke,
            &self.parsed_args()?,
            opts,
        )?)
    }
}

/// `opml run`.
pub fn cmd_run(t: &TargetArgs, max_steps: u64) -> Result<()> {
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

/// How `root` and `prove` keep checkpoints of the recorded run.
#[derive(Args)]
pub struct CheckpointArgs {
    /// Checkpoint interval in steps (1 to 2^40); doubled while the checkpoints would
    /// hold more than --checkpoint-mem.
    #[arg(long, default_value = "1048576", value_parser = parse_interval)]
    pub interval: u64,
    /// Memory budget of the checkpoints after the first (the initial state), e.g.
    /// 512MiB or 2GiB (1 MiB to 1 TiB); the interval is chosen to stay within it.
    #[arg(long, default_value = "32MiB", value_parser = parse_size)]
    pub checkpoint_mem: u64,
}

impl CheckpointArgs {
    /// The trace's checkpoint settings.
    pub fn checkpoints(&self) -> Checkpoints {
        Checkpoints {
            interval: self.interval,
            budget: self.checkpoint_mem,
        }
    }
}

/// Records the target's run with checkpoints as `c` says (with a spinner; Ctrl-C
/// stops), and checks that `step` is within it.
pub fn record_until(t: &TargetArgs, step: u64, c: &CheckpointArgs) -> Result<Trace> {
    let prepared = t.prepare()?;
    let bar = spinner(!t.json, "recording");
    let trace = Trace::record_with(prepared.machine, c.checkpoints(), u64::MAX, |n| {
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

/// `opml root`.
pub fn cmd_root(t: &TargetArgs, step: u64, c: &CheckpointArgs) -> Result<()> {
    let mut trace = record_until(t, step, c)?;
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

/// `opml bench`.
pub fn cmd_bench(t: &TargetArgs, repeat: u32) -> Result<()> {
    if t.model.model.is_some() {
        return super::model::cmd_bench_model(&t.model, repeat, t.json);
    }
    let bar = spinner(!t.json, "benchmarking");
    let report = bench::bench(t.module()?, &t.invoke, &t.parsed_args()?, repeat, |n| {
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
