//! Subcommands on models: `infer`, `compile-model`, and `bench --model`.

use anyhow::{bail, Context, Result};
use clap::Args;
use opml_game::job::Job;
use opml_host::bench;
use opml_host::guest::{self, Engine, GUEST_WASM};
use opml_model::{compile, idx};
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
/// Arguments of `opml compile-model`.
pub struct CompileArgs {
    /// Format of WEIGHTS: `safetensors` (a classifier, with --graph and --calibrate) or
    /// `gguf` (a LLaMA-architecture language model).
    #[arg(long, value_enum)]
    pub from: WeightFormat,
    /// The weights.
    pub weights: PathBuf,
    /// The model description: a graph of named nodes (JSON), see docs/model-image.md
    /// (safetensors).
    #[arg(long, alias = "arch", required_if_eq("from", "safetensors"))]
    pub graph: Option<PathBuf>,
    /// Calibration images (IDX, optionally gzipped) (safetensors).
    #[arg(long, required_if_eq("from", "safetensors"))]
    pub calibrate: Option<PathBuf>,
    /// Positions the compiled LLM holds (KV caches, RoPE table) (gguf; default: the
    /// model's context length, at most 2048).
    #[arg(long)]
    pub max_ctx: Option<u32>,
    /// How many calibration images to use.
    #[arg(long, default_value_t = 1000)]
    pub calibrate_count: usize,
    /// How many of them the per-layer error report uses.
    #[arg(long, default_value_t = 200)]
    pub error_count: usize,
    /// Where to write the image.
    #[arg(long)]
    pub out: PathBuf,
    /// Test images (IDX) for a float vs integer accuracy report.
    #[arg(long, requires = "test_labels")]
    pub test_images: Option<PathBuf>,
    /// Test labels (IDX).
    #[arg(long, requires = "test_images")]
    pub test_labels: Option<PathBuf>,
}

/// Weight file formats `compile-model` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum WeightFormat {
    /// safetensors, F32 tensors.
    Safetensors,
    /// GGUF v2/v3, LLaMA architecture (F32, F16, Q8_0, Q4_0, Q4_1 tensors).
    Gguf,
}

#[derive(Args)]
/// A model image, an input and the guest to run them on.
pub struct ModelArgs {
    /// Model image (from `opml compile-model`).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Input: raw int8 bytes, or an IDX image file (gzipped or not) with --index.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Which image of an IDX input file (pixels become `pixel >> 1`).
    #[arg(long, default_value_t = 0)]
    pub index: usize,
    /// Guest module to use instead of the built-in guest-ml/guest.wasm.
    #[arg(long)]
    pub guest: Option<PathBuf>,
    #[command(flatten)]
    pub llm: super::llm_guest::PromptArgs,
}

impl ModelArgs {
    /// The dispute job of the guest running the model image, and the input.
    /// With an LLM image, `--prompt` and `--max-tokens` make the input when there is
    /// no `--input`.
    pub fn job(&self) -> Result<(Job, Vec<u8>)> {
        let (wasm, image) = self.guest_and_image()?;
        let input = match self.input_bytes()? {
            Some(input) => input,
            None if self.llm.prompt.is_some() => self.llm.request(&image)?.1,
            None => bail!("--input is required (or --prompt with an LLM image)"),
        };
        Ok((self.job_of(wasm, image), input))
    }

    /// The dispute job of the guest running the model image.
    pub fn job_without_input(&self) -> Result<Job> {
        let (wasm, image) = self.guest_and_image()?;
        Ok(self.job_of(wasm, image))
    }

    /// The dispute job of `wasm` running `image`.
    fn job_of(&self, wasm: Vec<u8>, image: Vec<u8>) -> Job {
        let name = match &self.model {
            Some(path) => format!("{} on the ML guest", path.display()),
            None => "the ML guest".into(),
        };
        if opml_llm::guest::is_llm_image(&image) {
            return Job::llm(name, wasm, image);
        }
        Job::guest(name, wasm, image)
    }

    /// (guest bytes, image bytes, input bytes).
    pub fn load(&self) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let input = self.input_bytes()?.context("--input is required")?;
        let (guest, image) = self.guest_and_image()?;
        Ok((guest, image, input))
    }

    /// The guest's bytes: `--guest`, or the embedded canonical build.
    pub fn guest_bytes(&self) -> Result<Vec<u8>> {
        match &self.guest {
            Some(p) => read(p),
            None => Ok(GUEST_WASM.to_vec()),
        }
    }

    /// (guest bytes, image bytes).
    fn guest_and_image(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        let guest = self.guest_bytes()?;
        let model = self.model.as_ref().context("--model is required")?;
        Ok((guest, read(model)?))
    }

    /// The input's bytes (image `--index` of an IDX file); `None` without `--input`.
    pub fn input_bytes(&self) -> Result<Option<Vec<u8>>> {
        let Some(input_path) = &self.input else {
            return Ok(None);
        };
        let raw = read(input_path)?;
        if !idx::looks_like_idx(&raw) {
            return Ok(Some(raw));
        }
        let images = idx::Idx::decode(input_path, &raw)?;
        let px = images.item(self.index).with_context(|| {
            format!(
                "{}: no image {} (it has {})",
                input_path.display(),
                self.index,
                images.len()
            )
        })?;
        Ok(Some(idx::pixels_to_input(px)))
    }
}

fn read(p: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
}

/// `opml infer`.
pub fn cmd_infer(m: &ModelArgs, engine: Engine, json: bool) -> Result<()> {
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

/// `opml compile-model --from gguf`: a LLaMA GGUF to an integer LLM image.
fn compile_gguf(c: &CompileArgs) -> Result<()> {
    let t = std::time::Instant::now();
    let file = opml_gguf::GgufFile::open(&c.weights)
        .with_context(|| format!("reading {}", c.weights.display()))?;
    let opts = opml_llm::compile::CompileOptions { max_ctx: c.max_ctx };
    let image = opml_llm::compile::compile(&file, opts)
        .with_context(|| format!("compiling {}", c.weights.display()))?;
    super::write_atomically(&c.out, &image)?;
    println!(
        "wrote {} ({} bytes) in {:.1} s",
        c.out.display(),
        image.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `opml compile-model`.
pub fn cmd_compile(c: &CompileArgs) -> Result<()> {
    let (weights, out, error_count) = (&c.weights, &c.out, c.error_count);
    let (graph, calibrate) = match (c.from, &c.graph, &c.calibrate) {
        (WeightFormat::Gguf, _, _) => return compile_gguf(c),
        (WeightFormat::Safetensors, Some(graph), Some(calibrate)) => (graph, calibrate),
        (WeightFormat::Safetensors, _, _) => {
            bail!("--from safetensors needs --graph and --calibrate")
        }
    };
    let compiled = compile::compile(weights, graph, calibrate, c.calibrate_count, error_count)?;
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
    super::write_atomically(out, &compiled.image)?;
    println!("wrote {} ({} bytes)", out.display(), compiled.image.len());
    if let Some((images, labels)) = c.test_images.as_ref().zip(c.test_labels.as_ref()) {
        let acc = compile::accuracy(weights, graph, &compiled.image, images, labels)?;
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

/// `opml bench --model`.
pub fn cmd_bench_model(m: &ModelArgs, repeat: u32, json: bool) -> Result<()> {
    let (guest_wasm, image) = m.guest_and_image()?;
    if opml_llm::guest::is_llm_image(&image) {
        return super::llm_guest::cmd_bench_llm(&image, &guest_wasm, &m.llm, repeat, json);
    }
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
