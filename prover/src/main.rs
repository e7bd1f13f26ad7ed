//! `opml`: the command-line front end of opml-wasm.

mod cmd;

use anyhow::Result;
use clap::{Parser, Subcommand};
use cmd::agent::{cmd_agent, cmd_serve, AgentArgs, ServeArgs};
use cmd::demo::{cmd_demo, DemoArgs};
use cmd::llm::{cmd_generate, cmd_perplexity, GenerateArgs, PerplexityArgs};
use cmd::model::{cmd_compile, cmd_infer, CompileArgs, ModelArgs};
use cmd::module::{cmd_bench, cmd_root, cmd_run, CheckpointArgs, TargetArgs};
use cmd::operate::{cmd_deploy, cmd_request, DeployArgs, RequestArgs};
use cmd::proof::{cmd_prove, cmd_verify};
use cmd::status::{cmd_status, StatusArgs};
use opml_host::guest::Engine;
use opml_host::interrupt;
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
        #[command(flatten)]
        checkpoints: CheckpointArgs,
    },
    /// Run the same workload in the step machine and in wasmi; print both speeds.
    /// With --model/--input: one inference of the ML guest (step machine, wasmi, native).
    Bench {
        #[command(flatten)]
        target: TargetArgs,
        /// Runs per engine; the best time of each is reported.
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
    /// Prove step N+1 of a run: from the root after N steps to the root after N+1.
    Prove {
        #[command(flatten)]
        target: TargetArgs,
        /// Steps executed before the proven one (0 proves the first step).
        #[arg(long)]
        step: u64,
        #[command(flatten)]
        checkpoints: CheckpointArgs,
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
        #[arg(long, default_value = "step", value_parser = cmd::engine_parser())]
        engine: Engine,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Quantize float weights into an int8 model image, calibrated on sample inputs.
    CompileModel(CompileArgs),
    /// The whole dispute on a chain: a cheating submitter, an honest challenger, the
    /// dissection, the one-step proof on chain and the winner. Without --model it uses
    /// the Fashion-MNIST model and test image 0 when present, else a toy program.
    Demo(DemoArgs),
    /// Deploy the arbiter (verifier, dispute game, registry) to a node; write its
    /// addresses and parameters to a file for `opml request` and `opml agent`.
    Deploy(DeployArgs),
    /// Register a model on a deployed arbiter and request an inference on an input.
    Request(RequestArgs),
    /// Play one side of a request (submitter or challenger) until its part is over;
    /// resumes from its state file after a restart.
    Agent(AgentArgs),
    /// Play one side of every request of a registered model as requests come (inputs
    /// read from the chain), one agent per request, each resumable from its state file.
    Serve(ServeArgs),
    /// Generate text greedily with a compiled LLM image (native runner of the guest's
    /// integer kernels), streaming it; prints tokens/s.
    Generate(GenerateArgs),
    /// Teacher-forced perplexity and top-1 accuracy of a compiled LLM image over a text
    /// (as llama.cpp's perplexity tool); --json adds the ids and argmax per position.
    Perplexity(PerplexityArgs),
    /// A request's status, every result posted on it (who, final root, steps, verdict)
    /// with its games, and the finalized answer.
    Status(StatusArgs),
    /// Write a random LLaMA-architecture GGUF of a given shape from a seed (e.g. the
    /// LLaMA-7B shape, for measurements).
    SynthGguf(cmd::synth::SynthArgs),
}

fn main() -> Result<()> {
    interrupt::install();
    let cli = Cli::parse();
    match &cli.command {
        Command::Run { target, max_steps } => cmd_run(target, *max_steps),
        Command::Root {
            target,
            step,
            checkpoints,
        } => cmd_root(target, *step, checkpoints),
        Command::Bench { target, repeat } => cmd_bench(target, *repeat),
        Command::Infer {
            model,
            engine,
            json,
        } => cmd_infer(model, *engine, *json),
        Command::CompileModel(c) => cmd_compile(c),
        Command::Demo(d) => cmd_demo(d),
        Command::SynthGguf(a) => cmd::synth::cmd_synth(a),
        Command::Deploy(d) => cmd_deploy(d),
        Command::Request(r) => cmd_request(r),
        Command::Agent(a) => cmd_agent(a),
        Command::Serve(s) => cmd_serve(s),
        Command::Status(s) => cmd_status(s),
        Command::Generate(g) => cmd_generate(g),
        Command::Perplexity(p) => cmd_perplexity(p),
        Command::Prove {
            target,
            step,
            checkpoints,
            out,
        } => cmd_prove(target, *step, checkpoints, out.as_ref()),
        Command::Verify {
            file,
            pre_root,
            evm,
            json,
        } => cmd_verify(file, pre_root.as_deref(), *evm, *json),
    }
}
