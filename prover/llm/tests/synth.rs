//! Tiny random LLaMA GGUF files (opml-gguf's synth): the integer image against the
//! float forward pass over the same dequantized weights, for GQA and non-GQA shapes
//! and every supported weight type.

use opml_gguf::{SynthLlama, TensorType};
use opml_llm::compile::synth_model;
use opml_llm::eval::{agreement, targets, teacher_force, StepModel};
use opml_llm::reference::FloatLlama;
use opml_llm::Runner;

const CTX: u32 = 64;

fn tokens(n: usize, seed: u64) -> Vec<u32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 267) as u32
        })
        .collect()
}

fn shapes() -> Vec<(&'static str, SynthLlama)> {
    let base = SynthLlama::default();
    vec![
        (
            "Q8_0, 4 heads / 4 KV",
            SynthLlama {
                n_kv_heads: 4,
                weight_type: TensorType::Q8_0,
                ..base.clone()
            },
        ),
        ("Q4_1 + Q8_0 embd, 4 / 2 KV (SmolLM2's types)", base.clone()),
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
            "F16, untied, 4 / 2 KV",
            SynthLlama {
                weight_type: TensorType::F16,
                embd_type: TensorType::F16,
                untied_output: true,
                seed: 4,
                ..base.clone()
            },
        ),
        (
            "F32, 3 layers, 8 / 4 KV, width 128",
            SynthLlama {
                n_layers: 3,
                dim: 128,
                ffn_dim: 256,
                n_heads: 8,
                n_kv_heads: 4,
                weight_type: TensorType::F32,
                embd_type: TensorType::F32,
                seed: 5,
                ..base
            },
        ),
    ]
}

#[test]
fn integer_forward_tracks_the_float_forward_on_tiny_models() {
    let toks = tokens(CTX as usize, 99);
    let mut worst = 1.0f64;
    for (what, s) in shapes() {
        let (file, image) = synth_model(&s, CTX).unwrap();
        let mut int = Runner::new(&image).unwrap();
        let mut float = FloatLlama::from_gguf(&file, CTX as usize).unwrap();
        let a = teacher_force(&mut int, &toks, CTX as usize).unwrap();
        let b = teacher_force(&mut float, &toks, CTX as usize).unwrap();
        let agree = agreement(&a.argmax, &b.argmax);
        // Logit error relative to each position's logit range.
        int.reset();
        float.reset();
        let mut rel = 0f64;
        for &t in &toks[..16] {
            let (x, y) = (int.step_logits(t).unwrap(), float.step_logits(t).unwrap());
            let range = y.iter().fold(f32::MIN, |m, &v| m.max(v))
                - y.iter().fold(f32::MAX, |m, &v| m.min(v));
            let err = x
                .iter()
                .zip(&y)
                .fold(0f32, |m, (p, q)| m.max((p - q).abs()));
            rel = rel.max(f64::from(err / range));
        }
        let tg = targets(&toks, CTX as usize);
        println!(
            "{what}: top-1 agreement {:.1} % over {} positions, max |Δlogit| / range {rel:.4}, ppl int {:.2} float {:.2}, acc int {:.3} float {:.3}",
            100.0 * agree,
            a.argmax.len(),
            a.perplexity(),
            b.perplexity(),
            a.accuracy(&tg),
            b.accuracy(&tg)
        );
        assert!(rel < 0.05, "{what}: logits differ by {rel} of their range");
        assert!(
            (a.perplexity() / b.perplexity() - 1.0).abs() < 0.02,
            "{what}: perplexities"
        );
        worst = worst.min(agree);
    }
    assert!(worst >= 0.9, "top-1 agreement {worst}");
}

#[test]
fn generation_is_greedy_and_deterministic() {
    let (_, image) = synth_model(&SynthLlama::default(), CTX).unwrap();
    let mut r = Runner::new(&image).unwrap();
    let out = r.generate(&[5, 80, 81], 10).unwrap();
    assert_eq!(out.len(), 10);
    assert_eq!(r.pos(), 12);
    // Step by step, feeding each argmax back, gives the same ids.
    let mut s = Runner::new(&image).unwrap();
    let mut next = 0;
    for t in [5, 80, 81] {
        next = s.step(t).unwrap();
    }
    let mut again = vec![next];
    while again.len() < 10 {
        next = s.step(next).unwrap();
        again.push(next);
    }
    assert_eq!(out, again);
    // The last id is the argmax of the last logits, lowest index on ties.
    let logits = r.logits();
    let best = logits.iter().max().unwrap();
    assert_eq!(
        logits.iter().position(|v| v == best).unwrap() as u32,
        out[9]
    );
}
