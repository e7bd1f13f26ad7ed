//! Native, wasmi and the step machine run the same LLM request bit for bit: tiny
//! random LLaMA GGUFs (opml-gguf's synth: several shapes, Q4_0/Q4_1/Q8_0 weights, GQA
//! and not) give the same ids and the same bytes of the whole arena (every node's
//! output tensor of the last position, and the KV caches of all positions) in all
//! three; bad requests and images get the same error code from all three.

use opml_gguf::{SynthLlama, TensorType};
use opml_guest_ml::llm::LlmError;
use opml_llm::compile::synth_model;
use opml_llm::guest::{encode_request, run_native, run_on, Engine, GuestError, Layout, StepRun};
use opml_llm::Runner;

/// The committed canonical guest (`tests/tests/guest.rs` checks it is the fresh build).
const GUEST: &[u8] = include_bytes!("../../../guest-ml/guest.wasm");
const CTX: u32 = 12;

fn image(s: &SynthLlama) -> Vec<u8> {
    synth_model(s, CTX).unwrap().1
}

fn shapes() -> Vec<(&'static str, SynthLlama)> {
    let base = SynthLlama::default();
    vec![
        ("Q4_1 + Q8_0 embd, 4 / 2 KV (SmolLM2's types)", base.clone()),
        (
            "Q8_0, 4 / 4 KV (no GQA)",
            SynthLlama {
                n_kv_heads: 4,
                weight_type: TensorType::Q8_0,
                seed: 2,
                ..base.clone()
            },
        ),
        (
            "Q4_0, untied, 4 / 1 KV, width 128",
            SynthLlama {
                dim: 128,
                n_kv_heads: 1,
                weight_type: TensorType::Q4_0,
                embd_type: TensorType::Q4_0,
                untied_output: true,
                seed: 3,
                ..base.clone()
            },
        ),
        (
            "Q4_1, 3 layers, 8 / 4 KV, width 128, FFN 256, Q4_1 embd",
            SynthLlama {
                n_layers: 3,
                dim: 128,
                ffn_dim: 256,
                n_heads: 8,
                n_kv_heads: 4,
                embd_type: TensorType::Q4_1,
                seed: 5,
                ..base
            },
        ),
    ]
}

/// Runs the request on all three engines; asserts identical ids and arenas and
/// returns the ids.
fn same_everywhere(what: &str, image: &[u8], input: &[u8]) -> Vec<u32> {
    let (ids, arena, _) = run_on(Engine::Native, GUEST, image, input).unwrap();
    for engine in [Engine::Wasmi, Engine::Step] {
        let (ids_e, arena_e, _) = run_on(engine, GUEST, image, input)
            .unwrap_or_else(|e| panic!("{what}: {engine:?}: {e}"));
        assert_eq!(ids_e, ids, "{what}: ids, {engine:?} vs native");
        assert_eq!(arena_e.len(), arena.len(), "{what}: arena size, {engine:?}");
        if let Some(i) = arena_e.iter().zip(&arena).position(|(a, b)| a != b) {
            panic!("{what}: arena byte {i} differs, {engine:?} vs native");
        }
    }
    ids
}

#[test]
fn tiny_models_are_bit_exact_in_every_engine_at_every_position() {
    for (what, s) in shapes() {
        let image = image(&s);
        let prompt = [1u32, 40, 200, 7, 99];
        // One request generating several ids: the same ids as the native runner.
        let input = encode_request(&prompt, 4).unwrap();
        let ids = same_everywhere(what, &image, &input);
        let mut runner = Runner::new(&image).unwrap();
        assert_eq!(
            ids,
            runner.generate(&prompt, 4).unwrap(),
            "{what}: vs Runner"
        );
        // Every position's node outputs: the arena after a one-id request of each
        // prompt length holds every node's output at its last position.
        for n in 1..=CTX as usize {
            let p: Vec<u32> = (0..n as u32).map(|i| (i * 37 + 5) % 260).collect();
            same_everywhere(
                &format!("{what}, prompt {n}"),
                &image,
                &encode_request(&p, 1).unwrap(),
            );
        }
    }
}

fn code_on(engine: Engine, image: &[u8], input: &[u8]) -> i32 {
    match run_on(engine, GUEST, image, input) {
        Err(GuestError::Rejected { code }) => code,
        other => panic!(
            "{engine:?}: expected a rejection, got {:?}",
            other.map(|r| r.0)
        ),
    }
}

#[test]
fn bad_requests_and_images_get_the_same_code_everywhere() {
    let image = image(&SynthLlama::default());
    let mut corrupt = image.clone();
    corrupt[100] ^= 1; // in the tensor table: checksum
    let mut raw_input = encode_request(&[1, 2], 1).unwrap();
    raw_input.push(0); // length not 4 + 4n
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, LlmError)> = vec![
        (
            "n_new 0",
            image.clone(),
            encode_request(&[1], 0).unwrap(),
            LlmError::Input,
        ),
        (
            "empty prompt",
            image.clone(),
            encode_request(&[], 1).unwrap(),
            LlmError::Input,
        ),
        ("ragged input", image.clone(), raw_input, LlmError::Input),
        (
            "id past vocab",
            image.clone(),
            encode_request(&[1, 100_000], 1).unwrap(),
            LlmError::Token,
        ),
        (
            "past the context",
            image.clone(),
            encode_request(&[1; CTX as usize], 2).unwrap(),
            LlmError::Position,
        ),
        (
            "corrupt image",
            corrupt,
            encode_request(&[1], 1).unwrap(),
            LlmError::Checksum,
        ),
    ];
    for (what, image, input, want) in cases {
        for engine in [Engine::Native, Engine::Wasmi, Engine::Step] {
            let code = code_on(engine, &image, &input);
            assert_eq!(code, want.guest_code(), "{what}: {engine:?}");
        }
    }
    // The last position of the context is fine.
    same_everywhere(
        "full context",
        &image,
        &encode_request(&[1; CTX as usize], 1).unwrap(),
    );
}

#[test]
fn the_step_machine_publishes_ids_as_it_goes() {
    let image = image(&SynthLlama::default());
    let input = encode_request(&[3, 4], 5).unwrap();
    let want = run_native(&image, &input, |_, _| {}).unwrap().ids;
    let mut run = StepRun::load(GUEST, &image, &input).unwrap();
    let mut seen = Vec::new();
    while run.run(20_000) {
        let now = run.tokens().unwrap();
        assert!(now.starts_with(&seen), "published ids only grow");
        seen = now;
    }
    assert!(
        !seen.is_empty() && seen.len() < want.len(),
        "ids appear one by one before the end"
    );
    assert_eq!(run.finish().unwrap(), want);
}

#[test]
fn images_whose_arena_passes_4_gib_are_refused_before_loading() {
    let mut image = image(&SynthLlama::default());
    let input = encode_request(&[1], 1).unwrap();
    assert!(Layout::new(&image, &input).is_ok());
    image[32..40].copy_from_slice(&(1u64 << 32).to_le_bytes());
    assert!(matches!(
        Layout::new(&image, &input),
        Err(GuestError::ArenaTooLarge { arena, .. }) if arena == 1 << 32
    ));
    assert!(matches!(
        StepRun::load(GUEST, &image, &input),
        Err(GuestError::ArenaTooLarge { .. })
    ));
}
