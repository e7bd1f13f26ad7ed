//! `opml synth-gguf`: a random LLaMA-architecture GGUF of a given shape from a seed, for
//! measurements at sizes nobody commits (the LLaMA-7B shape of
//! `scripts/two-phase-7b.sh`).

use anyhow::{Context, Result};
use opml_gguf::{synth_llama, SynthLlama};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `opml synth-gguf`.
#[derive(clap::Args)]
pub struct SynthArgs {
    /// The shape: `tiny` (2 layers, width 64, the tests' model) or `llama-7b` (32
    /// layers, width 4096, FFN 11 008, 32 heads, vocabulary 32 000, Q4_0).
    #[arg(long, default_value = "tiny", value_parser = ["tiny", "llama-7b"])]
    shape: String,
    /// Keep only this many layers (a smaller model of the same width).
    #[arg(long)]
    layers: Option<u32>,
    /// Seed of the weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The GGUF file to write.
    #[arg(long)]
    out: PathBuf,
}

/// `opml synth-gguf`.
pub fn cmd_synth(a: &SynthArgs) -> Result<()> {
    let t = Instant::now();
    let mut shape = match a.shape.as_str() {
        "llama-7b" => SynthLlama::llama_7b(a.seed),
        _ => SynthLlama {
            seed: a.seed,
            ..SynthLlama::default()
        },
    };
    if let Some(layers) = a.layers {
        shape.n_layers = layers;
    }
    let bytes = synth_llama(&shape).context("generating the GGUF")?;
    super::write_atomically(&a.out, &bytes)?;
    println!(
        "wrote {} ({} bytes, {} layers, width {}, {} vocabulary) in {:.1} s",
        a.out.display(),
        bytes.len(),
        shape.n_layers,
        shape.dim,
        if shape.vocab > 0 {
            format!("{}-token", shape.vocab)
        } else {
            "byte-level".into()
        },
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
