//! `opml generate` and `opml perplexity`: greedy generation and teacher-forced scoring
//! with a compiled LLM image on the native runner (the guest's integer kernels run
//! natively), tokenized by the GGUF's own tokenizer.

use anyhow::{Context, Result};
use opml_gguf::{GgufFile, Tokenizer};
use opml_host::interrupt;
use opml_llm::eval::{targets, teacher_force, StepModel};
use opml_llm::Runner;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The tokenizer of the GGUF file at `path`.
pub(super) fn tokenizer_of(path: &Path) -> Result<Tokenizer> {
    let gguf = GgufFile::open(path).with_context(|| format!("reading {}", path.display()))?;
    Tokenizer::from_gguf(&gguf).with_context(|| format!("the tokenizer of {}", path.display()))
}

/// Arguments of `opml generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// LLM image (from `opml compile-model --from gguf`).
    #[arg(long)]
    model: PathBuf,
    /// The GGUF file the image was compiled from: its tokenizer turns the prompt into
    /// token ids and the generated ids back into text.
    #[arg(long)]
    tokenizer: PathBuf,
    /// The prompt.
    #[arg(long)]
    prompt: String,
    /// Tokens to generate at most (fewer when the model ends its text).
    #[arg(long, default_value_t = 16)]
    max_tokens: usize,
    /// One JSON object on stdout (prompt and generated ids, text, tokens/s).
    #[arg(long)]
    json: bool,
    /// Where to run: the kernels natively (token by token), or `guest.wasm` in wasmi
    /// or in the step machine (one request of `--max-tokens` ids, streamed as the
    /// guest writes them; progress in steps).
    #[arg(long, default_value = "native", value_parser = super::engine_parser())]
    engine: opml_host::guest::Engine,
}

/// `opml generate`.
pub fn cmd_generate(a: &GenerateArgs) -> Result<()> {
    let tokenizer = tokenizer_of(&a.tokenizer)?;
    let image =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let mut runner =
        Runner::new(&image).with_context(|| format!("loading {}", a.model.display()))?;
    let prompt = tokenizer.encode_prompt(&a.prompt);
    anyhow::ensure!(!prompt.is_empty(), "the prompt encodes to no token");
    let engine = a.engine;
    if engine != opml_llm::guest::Engine::Native {
        return super::llm_guest::generate_in_guest(
            engine,
            &image,
            &tokenizer,
            &a.prompt,
            &prompt,
            a.max_tokens,
            a.json,
        );
    }
    let t = Instant::now();
    let mut next = 0;
    for &id in &prompt {
        next = runner
            .step(id)
            .with_context(|| format!("running prompt token {id}"))?;
    }
    let prefill = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut generated = Vec::with_capacity(a.max_tokens);
    let mut stream = tokenizer.stream_decoder();
    let mut stdout = std::io::stdout();
    if !a.json {
        print!("{}", a.prompt);
    }
    while generated.len() < a.max_tokens && !interrupt::requested() {
        generated.push(next);
        if Some(next) == tokenizer.eos_id() {
            break;
        }
        if !a.json {
            print!("{}", stream.push(next)?);
            stdout.flush()?;
        }
        if generated.len() < a.max_tokens {
            next = runner
                .step(next)
                .with_context(|| format!("running generated token {next}"))?;
        }
    }
    let seconds = t.elapsed().as_secs_f64();
    let per_second = generated.len() as f64 / seconds.max(1e-9);
    if a.json {
        let text = tokenizer.decode(&generated)?;
        let out = json!({
            "prompt_ids": prompt,
            "generated_ids": generated,
            "text": text,
            "prompt_seconds": prefill,
            "generate_seconds": seconds,
            "tokens_per_second": per_second,
        });
        println!("{out}");
    } else {
        println!("{}", stream.finish());
        eprintln!(
            "{} prompt tokens in {prefill:.2} s; {} tokens in {seconds:.2} s ({per_second:.1} tokens/s, native)",
            prompt.len(),
            generated.len()
        );
    }
    Ok(())
}

/// Arguments of `opml perplexity`.
#[derive(clap::Args)]
pub struct PerplexityArgs {
    /// LLM image (from `opml compile-model --from gguf`).
    #[arg(long)]
    model: PathBuf,
    /// The GGUF file the image was compiled from (its tokenizer).
    #[arg(long)]
    tokenizer: PathBuf,
    /// The text to score (UTF-8).
    #[arg(long)]
    text: PathBuf,
    /// Window length: the model restarts every `ctx` tokens, as llama.cpp's
    /// perplexity tool does.
    #[arg(long, default_value_t = 512)]
    ctx: usize,
    /// Score only the first N tokens of the text.
    #[arg(long)]
    max_tokens: Option<usize>,
    /// One JSON object on stdout: the summary, the token ids and the argmax at every
    /// scored position (so any other implementation can be compared).
    #[arg(long)]
    json: bool,
}

/// The runner as a teacher-forced model that ticks a progress bar per token and stops
/// on Ctrl-C.
struct Ticking<'a> {
    runner: Runner<'a>,
    bar: indicatif::ProgressBar,
}

impl StepModel for Ticking<'_> {
    fn reset(&mut self) {
        self.runner.reset();
    }

    fn step_logits(&mut self, token: u32) -> Result<Vec<f32>, String> {
        if interrupt::requested() {
            return Err("interrupted".into());
        }
        self.bar.inc(1);
        self.runner.step_logits(token)
    }
}

/// `opml perplexity`.
pub fn cmd_perplexity(a: &PerplexityArgs) -> Result<()> {
    anyhow::ensure!(a.ctx >= 2, "--ctx must be at least 2, not {}", a.ctx);
    let tokenizer = tokenizer_of(&a.tokenizer)?;
    let text = std::fs::read_to_string(&a.text)
        .with_context(|| format!("reading {} (UTF-8 text)", a.text.display()))?;
    let mut tokens = tokenizer.encode(&text);
    if let Some(n) = a.max_tokens {
        tokens.truncate(n);
    }
    anyhow::ensure!(
        tokens.len() >= 2,
        "{}: fewer than 2 tokens to score",
        a.text.display()
    );
    let image =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let runner = Runner::new(&image).with_context(|| format!("loading {}", a.model.display()))?;
    let bar = match a.json {
        true => indicatif::ProgressBar::hidden(),
        false => indicatif::ProgressBar::new(tokens.len() as u64),
    };
    let mut model = Ticking { runner, bar };
    let t = Instant::now();
    let scored = teacher_force(&mut model, &tokens, a.ctx).map_err(anyhow::Error::msg)?;
    model.bar.finish_and_clear();
    let seconds = t.elapsed().as_secs_f64();
    let want = targets(&tokens, a.ctx);
    let (ppl, acc) = (scored.perplexity(), scored.accuracy(&want));
    if a.json {
        let out = json!({
            "tokens": tokens.len(),
            "positions": scored.argmax.len(),
            "ctx": a.ctx,
            "perplexity": ppl,
            "top1_accuracy": acc,
            "seconds": seconds,
            "token_ids": tokens,
            "argmax": scored.argmax,
        });
        println!("{out}");
    } else {
        println!(
            "positions:  {} ({} tokens, windows of {})",
            scored.argmax.len(),
            tokens.len(),
            a.ctx
        );
        println!("perplexity: {ppl:.3}");
        println!("top-1:      {:.2} %", 100.0 * acc);
        println!("time:       {seconds:.1} s (native)");
    }
    Ok(())
}
