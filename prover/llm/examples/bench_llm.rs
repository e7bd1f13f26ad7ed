//! One SmolLM2 request natively, in wasmi and in the step machine (what `opml bench
//! --model IMAGE --prompt TEXT` prints, without building the `opml` binary):
//! `cargo run --release -p opml-llm --example bench_llm -- [PROMPT] [N_NEW] [GUEST.wasm]`.

use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_llm::bench::bench_llm;
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::guest::encode_request;

const GUEST: &[u8] = include_bytes!("../../../guest-ml/guest.wasm");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let prompt = args
        .get(1)
        .map_or("The capital of France is", String::as_str);
    let n_new: u32 = args.get(2).map_or(Ok(2), |s| s.parse())?;
    let guest = match args.get(3) {
        Some(p) => std::fs::read(p)?,
        None => GUEST.to_vec(),
    };
    let file = GgufFile::open(smollm2_path()?)?;
    let ids = Tokenizer::from_gguf(&file)?.encode_prompt(prompt);
    let image = compile(&file, CompileOptions { max_ctx: Some(64) })?;
    let input = encode_request(&ids, n_new)?;
    let r = bench_llm(&guest, &image, &input, 3, |_| {}, || false)?;
    println!(
        "request:        {} positions, generated {:?}",
        r.positions, r.ids
    );
    println!("MACs per token: {:.1} M", r.macs_per_token as f64 / 1e6);
    println!(
        "native:         {:.2} tokens/s",
        r.native_tokens_per_second()
    );
    println!(
        "wasmi:          {:.2} tokens/s ({:.1}x slower than native)",
        r.wasmi_tokens_per_second(),
        r.native_tokens_per_second() / r.wasmi_tokens_per_second()
    );
    println!(
        "step machine:   {:.0} M steps/token, {:.2} s/token ({:.0} M steps/s, {:.2}x wasmi's time)",
        r.steps_per_token() / 1e6,
        r.step_seconds_per_token(),
        r.steps as f64 / r.step_seconds / 1e6,
        r.step_seconds / r.wasmi_seconds
    );
    println!(
        "steps per MAC:  {:.2} overall; matmul alone: Q4_1 {:.2}, Q8_0 {:.2}",
        r.steps_per_mac_overall(),
        r.steps_per_mac_q4_1,
        r.steps_per_mac_q8_0
    );
    Ok(())
}
