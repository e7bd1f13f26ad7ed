//! The candle reference: candle-transformers' quantized LLaMA (CPU) on the same GGUF
//! file, teacher-forced over the license corpus, side by side with the integer image
//! (compiled and run natively in the same process), for top-1 agreement, perplexity
//! and speed.
//!
//! ```sh
//! cd prover/reference && cargo run --release -- [--positions 2044] [--ctx 512]
//!     [--gguf FILE] [--out FILE.json] [--fixture FILE --fixture-positions 200]
//!     [--speed-tokens 64]
//! ```
//!
//! `--fixture` writes candle's argmax and perplexity over the first positions, which
//! `prover/llm/tests/smollm2.rs` guards the integer image against without building
//! candle.

use std::time::Instant;

use anyhow::{anyhow, Result};
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::eval::{agreement, license_corpus, targets, teacher_force, StepModel, TeacherForced};
use opml_llm::Runner;

/// candle's model with the position it is at.
struct Candle {
    model: ModelWeights,
    pos: usize,
}

impl StepModel for Candle {
    fn reset(&mut self) {
        self.model.clear_kv_cache();
        self.pos = 0;
    }

    fn step_logits(&mut self, token: u32) -> Result<Vec<f32>, String> {
        let mut run = || -> candle_core::Result<Vec<f32>> {
            let x = Tensor::new(&[token], &Device::Cpu)?.unsqueeze(0)?;
            let logits = self.model.forward(&x, self.pos)?;
            logits.squeeze(0)?.to_vec1::<f32>()
        };
        let out = run().map_err(|e| e.to_string())?;
        self.pos += 1;
        Ok(out)
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn report(name: &str, r: &TeacherForced, tg: &[u32], secs: f64) {
    println!(
        "{name:8} perplexity {:8.3}  accuracy {:5.1} %  {:7.1} s  ({:.2} tokens/s)",
        r.perplexity(),
        100.0 * r.accuracy(tg),
        secs,
        r.argmax.len() as f64 / secs
    );
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let positions: usize = arg(&args, "--positions").map_or(Ok(2044), |s| s.parse())?;
    let ctx: usize = arg(&args, "--ctx").map_or(Ok(512), |s| s.parse())?;
    let path = match arg(&args, "--gguf") {
        Some(p) => p.into(),
        None => smollm2_path().map_err(|e| anyhow!(e))?,
    };
    let file = GgufFile::open(&path)?;
    let ids = Tokenizer::from_gguf(&file)?.encode(&license_corpus()?);
    let windows = positions.div_ceil(ctx - 1);
    let n_tokens = (windows - 1) * ctx + (positions - (windows - 1) * (ctx - 1)) + 1;
    let tokens = &ids[..n_tokens.min(ids.len())];
    let tg = targets(tokens, ctx);
    println!(
        "{}: {} scored positions in windows of {ctx}",
        path.display(),
        tg.len()
    );

    let mut reader = std::fs::File::open(&path)?;
    let content = gguf_file::Content::read(&mut reader)?;
    let mut candle = Candle {
        model: ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)?,
        pos: 0,
    };
    let image = compile(
        &file,
        CompileOptions {
            max_ctx: Some(ctx as u32),
        },
    )?;
    let mut runner = Runner::new(&image).map_err(|e| anyhow!(e))?;

    if let Some(n) = arg(&args, "--speed-tokens") {
        // Speed: the same tokens through both, alternating, best of 3 each.
        let n: usize = n.parse()?;
        let toks = &tokens[..n.min(tokens.len())];
        let (mut best_c, mut best_i) = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            let t = Instant::now();
            teacher_force(&mut candle, toks, ctx).map_err(|e| anyhow!(e))?;
            best_c = best_c.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            teacher_force(&mut runner, toks, ctx).map_err(|e| anyhow!(e))?;
            best_i = best_i.min(t.elapsed().as_secs_f64());
        }
        let (c, i) = (toks.len() as f64 / best_c, toks.len() as f64 / best_i);
        println!("speed over {} tokens (best of 3): candle {c:.1} tokens/s, integer image {i:.1} tokens/s, ratio {:.3}x", toks.len(), i / c);
        return Ok(());
    }

    let t = Instant::now();
    let c = teacher_force(&mut candle, tokens, ctx).map_err(|e| anyhow!(e))?;
    report("candle", &c, &tg, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let i = teacher_force(&mut runner, tokens, ctx).map_err(|e| anyhow!(e))?;
    report("integer", &i, &tg, t.elapsed().as_secs_f64());
    println!(
        "top-1 agreement integer vs candle: {:.2} % of {} positions; perplexity ratio {:.4}",
        100.0 * agreement(&i.argmax, &c.argmax),
        c.argmax.len(),
        i.perplexity() / c.perplexity()
    );
    if let Some(out) = arg(&args, "--out") {
        let list = |v: &[String]| format!("[{}]", v.join(","));
        let ids = |v: &[u32]| list(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        let nll = |v: &[f64]| list(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        let json = format!(
            "{{\"ctx\":{ctx},\"tokens\":{},\"candle_argmax\":{},\"candle_nll\":{},\"int_argmax\":{},\"int_nll\":{}}}",
            ids(tokens),
            ids(&c.argmax),
            nll(&c.nll),
            ids(&i.argmax),
            nll(&i.nll)
        );
        std::fs::write(&out, json)?;
        println!("wrote {out}");
    }
    if let Some(fixture) = arg(&args, "--fixture") {
        let n: usize = arg(&args, "--fixture-positions").map_or(Ok(200), |s| s.parse())?;
        let n = n.min(c.argmax.len());
        let head = TeacherForced {
            argmax: c.argmax[..n].to_vec(),
            nll: c.nll[..n].to_vec(),
        };
        let ids: Vec<String> = head.argmax.iter().map(|v| v.to_string()).collect();
        let text = format!(
            "# candle-transformers 0.11.1 quantized_llama (CPU) on {}, license corpus, ctx {ctx}\npositions {n}\nperplexity {:.6}\nargmax {}\n",
            path.file_name().map_or(String::new(), |f| f.to_string_lossy().into_owned()),
            head.perplexity(),
            ids.join(" ")
        );
        std::fs::write(&fixture, text)?;
        println!("wrote {fixture}");
    }
    Ok(())
}
