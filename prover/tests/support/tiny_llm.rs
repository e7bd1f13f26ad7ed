//! A tiny random LLaMA for the CLI tests: opml-gguf's synthetic GGUF (2 layers, width
//! 64, a 267-token vocabulary with its tokenizer) written to a file and compiled by
//! `opml compile-model --from gguf`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The model's files.
pub struct TinyLlm {
    /// The GGUF file (weights and tokenizer).
    pub gguf: PathBuf,
    /// The compiled LLM image.
    pub image: PathBuf,
}

/// Writes the tiny GGUF into `dir` and compiles it to hold `max_ctx` positions.
pub fn tiny_llm(dir: &Path, max_ctx: u32) -> TinyLlm {
    let gguf = dir.join("tiny.gguf");
    let bytes = opml_gguf::synth_llama(&opml_gguf::SynthLlama::default()).expect("tiny GGUF");
    std::fs::write(&gguf, bytes).expect("write the GGUF");
    let image = dir.join("tiny.opml");
    let out = Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(["compile-model", "--from", "gguf"])
        .arg(&gguf)
        .args(["--max-ctx", &max_ctx.to_string(), "--out"])
        .arg(&image)
        .output()
        .expect("run opml compile-model");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    TinyLlm { gguf, image }
}
