//! Activation ranges of a GGUF model's integer image over the license corpus: the
//! largest magnitude each node writes (in real units), and how many quantized
//! activation blocks have a small scale. This is how the activation fixed point was
//! chosen (`docs/model-image.md`, "Arithmetic and fixed-point formats"):
//!
//! ```sh
//! cargo run --release -p opml-llm --example ranges -- [--tokens 60] [--gguf FILE]
//! ```

use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_guest_ml::llm::exec::forward_observed;
use opml_guest_ml::llm::fixed::ACT_FRAC;
use opml_guest_ml::llm::graph::{LlmDType, LlmImage};
use opml_guest_ml::llm::quant::ACT_BLOCK_WORDS;
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::eval::license_corpus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let n: usize = arg("--tokens").map_or(Ok(60), |s| s.parse())?;
    let path = match arg("--gguf") {
        Some(p) => p.into(),
        None => smollm2_path()?,
    };
    let file = GgufFile::open(&path)?;
    let ids = Tokenizer::from_gguf(&file)?.encode(&license_corpus()?);
    let bytes = compile(
        &file,
        CompileOptions {
            max_ctx: Some(n as u32),
        },
    )?;
    let image = LlmImage::parse(&bytes)?;
    println!(
        "{} nodes, {} tensors, image {} bytes, arena {} bytes",
        image.n_nodes(),
        image.n_tensors(),
        bytes.len(),
        image.arena_len
    );
    let mut arena = vec![0i32; (image.arena_len / 4) as usize];
    let mut maxes = vec![0u32; image.n_nodes() as usize];
    let (mut blocks, mut small) = (0u64, 0u64);
    for (pos, &t) in ids.iter().take(n).enumerate() {
        forward_observed(&image, &mut arena, t, pos as u32, |i, out| {
            let Ok(node) = image.node(i) else { return };
            let Ok(t) = image.tensor(node.outputs[0]) else {
                return;
            };
            match t.dtype {
                LlmDType::I32 => {
                    let m = out.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
                    maxes[i as usize] = maxes[i as usize].max(m);
                }
                LlmDType::ActQ8 => {
                    for b in out[1..].chunks_exact(ACT_BLOCK_WORDS) {
                        blocks += 1;
                        small += u64::from(b[0] < 127);
                    }
                }
                LlmDType::Weight(_) => {}
            }
        })?;
    }
    let mut named: Vec<(u32, &str)> = (0..image.n_nodes())
        .filter_map(|i| {
            Some((
                maxes[i as usize],
                image.tensor_name(image.node(i).ok()?.outputs[0]).ok()?,
            ))
        })
        .collect();
    named.sort();
    println!(
        "largest |value| written, over {n} tokens (range of Q{ACT_FRAC}: ±{}):",
        1u64 << (31 - ACT_FRAC)
    );
    for (m, name) in named.iter().rev().take(10) {
        println!(
            "  {name:24} {:10.1}",
            f64::from(*m) / f64::from(1u32 << ACT_FRAC)
        );
    }
    println!("quantized activation blocks with a scale below 127: {small} of {blocks}");
    Ok(())
}
