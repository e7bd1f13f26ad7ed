//! Teacher-forced fidelity of the integer image of a GGUF model against the f32
//! reference forward pass, on the license corpus:
//!
//! ```sh
//! cargo run --release -p opml-llm --example fidelity -- [--positions 2044] [--ctx 512]
//!     [--gguf FILE] [--no-float] [--out result.json]
//! ```
//!
//! Prints top-1 agreement, both perplexities and the time of each; `--out` writes the
//! token ids, and per position each implementation's argmax and NLL, as JSON (the
//! candle reference in `prover/reference` reads it to compare with candle).

use std::time::Instant;

use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::eval::{agreement, license_corpus, targets, teacher_force, TeacherForced};
use opml_llm::reference::FloatLlama;
use opml_llm::Runner;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn json_list<T: std::fmt::Display>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(","))
}

fn report(name: &str, r: &TeacherForced, tg: &[u32], secs: f64) {
    println!(
        "{name:8} perplexity {:8.3}  accuracy {:5.1} %  {:7.1} s  ({:.1} tokens/s)",
        r.perplexity(),
        100.0 * r.accuracy(tg),
        secs,
        r.argmax.len() as f64 / secs
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let positions: usize = arg(&args, "--positions").map_or(Ok(2044), |s| s.parse())?;
    let ctx: usize = arg(&args, "--ctx").map_or(Ok(512), |s| s.parse())?;
    let path = match arg(&args, "--gguf") {
        Some(p) => p.into(),
        None => smollm2_path()?,
    };
    let file = GgufFile::open(&path)?;
    let tok = Tokenizer::from_gguf(&file)?;
    let ids = tok.encode(&license_corpus()?);
    // Enough tokens for `positions` scored positions in windows of `ctx`.
    let windows = positions.div_ceil(ctx - 1);
    let n_tokens = (windows - 1) * ctx + (positions - (windows - 1) * (ctx - 1)) + 1;
    let tokens = &ids[..n_tokens.min(ids.len())];
    let tg = targets(tokens, ctx);
    println!(
        "{}: {} tokens of text, {} scored positions in windows of {ctx}",
        path.display(),
        ids.len(),
        tg.len()
    );

    let t = Instant::now();
    let image = compile(
        &file,
        CompileOptions {
            max_ctx: Some(ctx as u32),
        },
    )?;
    println!(
        "compiled: {} bytes in {:.1} s",
        image.len(),
        t.elapsed().as_secs_f64()
    );
    let mut runner = Runner::new(&image)?;
    let t = Instant::now();
    let int = teacher_force(&mut runner, tokens, ctx)?;
    let int_secs = t.elapsed().as_secs_f64();
    report("integer", &int, &tg, int_secs);

    let float = if args.iter().any(|a| a == "--no-float") {
        None
    } else {
        let mut model = FloatLlama::from_gguf(&file, ctx)?;
        let t = Instant::now();
        let r = teacher_force(&mut model, tokens, ctx)?;
        report("f32", &r, &tg, t.elapsed().as_secs_f64());
        println!(
            "top-1 agreement integer vs f32: {:.2} % of {} positions; perplexity ratio {:.4}",
            100.0 * agreement(&int.argmax, &r.argmax),
            r.argmax.len(),
            int.perplexity() / r.perplexity()
        );
        Some(r)
    };
    if let Some(out) = arg(&args, "--out") {
        let mut json = format!(
            "{{\"ctx\":{ctx},\"tokens\":{},\"int_argmax\":{},\"int_nll\":{}",
            json_list(tokens),
            json_list(&int.argmax),
            json_list(&int.nll)
        );
        if let Some(f) = &float {
            json.push_str(&format!(
                ",\"f32_argmax\":{},\"f32_nll\":{}",
                json_list(&f.argmax),
                json_list(&f.nll)
            ));
        }
        json.push('}');
        std::fs::write(&out, json)?;
        println!("wrote {out}");
    }
    Ok(())
}
