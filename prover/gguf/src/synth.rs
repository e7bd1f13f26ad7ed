//! Tiny random LLaMA models as GGUF bytes, for tests: the same keys and tensor names as
//! a real file, random weights, and a small byte-level BPE vocabulary.

use crate::error::Result;
use crate::llama::LAYER_TENSORS;
use crate::meta::Metadata;
use crate::tensor::TensorType;
use crate::value::{MetaArray, MetaValue};
use crate::write::{write_gguf, TensorData};

/// Special tokens at ids 0, 1, 2 (as in SmolLM2: end of text, BOS, EOS).
const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
/// Merge rules on top of the 256 byte tokens, in rank order.
const MERGES: [&str; 8] = ["Ġ t", "h e", "i n", "Ġt he", "e r", "a n", "Ġ a", "o n"];

/// The shape and types of a synthetic model.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthLlama {
    /// Transformer blocks.
    pub n_layers: u32,
    /// Model width (a multiple of 32 and of `n_heads`).
    pub dim: u32,
    /// Feed-forward width (a multiple of 32).
    pub ffn_dim: u32,
    /// Query heads.
    pub n_heads: u32,
    /// Key/value heads (divides `n_heads`).
    pub n_kv_heads: u32,
    /// Type of the block weights.
    pub weight_type: TensorType,
    /// Type of `token_embd.weight`.
    pub embd_type: TensorType,
    /// Whether to write a separate `output.weight` (else the output is tied).
    pub untied_output: bool,
    /// Seed of the weights.
    pub seed: u64,
    /// Vocabulary size: the byte-level vocabulary is padded with `<unused…>` tokens up
    /// to it (0 or less than the byte vocabulary: no padding).
    pub vocab: u32,
}

impl SynthLlama {
    /// The shape of LLaMA-7B (32 layers, width 4096, FFN 11 008, 32 heads, vocabulary
    /// 32 000, untied output) with Q4_0 weights and embedding, from `seed`.
    pub fn llama_7b(seed: u64) -> SynthLlama {
        SynthLlama {
            n_layers: 32,
            dim: 4096,
            ffn_dim: 11_008,
            n_heads: 32,
            n_kv_heads: 32,
            weight_type: TensorType::Q4_0,
            embd_type: TensorType::Q4_0,
            untied_output: true,
            seed,
            vocab: 32_000,
        }
    }
}

impl Default for SynthLlama {
    /// 2 layers, width 64, FFN 128, 4 heads, 2 KV heads, Q4_1 weights, Q8_0
    /// embedding, tied output: SmolLM2's types at a tiny size.
    fn default() -> Self {
        SynthLlama {
            n_layers: 2,
            dim: 64,
            ffn_dim: 128,
            n_heads: 4,
            n_kv_heads: 2,
            weight_type: TensorType::Q4_1,
            embd_type: TensorType::Q8_0,
            untied_output: false,
            seed: 1,
            vocab: 0,
        }
    }
}

/// The vocabulary: the specials, the 256 byte-alphabet tokens, then one token per
/// merge.
fn vocab() -> Vec<String> {
    let mut tokens: Vec<String> = SPECIALS.iter().map(|s| s.to_string()).collect();
    tokens.extend(
        crate::tokenizer::byte_alphabet()
            .iter()
            .map(|c| c.to_string()),
    );
    tokens.extend(MERGES.iter().map(|m| m.replace(' ', "")));
    tokens
}

/// A xorshift generator: deterministic weights without a dependency.
struct Rng(u64);

impl Rng {
    /// Uniform in [-1, 1).
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
}

/// A GGUF v3 file for `s`: `llama.*` hyperparameters (RoPE base 10 000, RMS epsilon
/// 1e-5, context 256), the tokenizer keys (`gpt2` model, `smollm` pre-tokenizer) and
/// every tensor a LLaMA model reads, with random weights of magnitude about
/// 1/sqrt(input width) and norms near 1.
pub fn synth_llama(s: &SynthLlama) -> Result<Vec<u8>> {
    let mut tokens = vocab();
    for i in tokens.len()..s.vocab as usize {
        tokens.push(format!("<unused{i}>"));
    }
    let n_vocab = tokens.len() as u32;
    let mut m = Metadata::new();
    let string = |v: &str| MetaValue::String(v.to_string());
    m.insert("general.architecture", string("llama"));
    m.insert("general.name", string("synthetic"));
    m.insert("llama.block_count", MetaValue::U32(s.n_layers));
    m.insert("llama.context_length", MetaValue::U32(256));
    m.insert("llama.embedding_length", MetaValue::U32(s.dim));
    m.insert("llama.feed_forward_length", MetaValue::U32(s.ffn_dim));
    m.insert("llama.attention.head_count", MetaValue::U32(s.n_heads));
    m.insert(
        "llama.attention.head_count_kv",
        MetaValue::U32(s.n_kv_heads),
    );
    m.insert("llama.rope.freq_base", MetaValue::F32(10_000.0));
    m.insert(
        "llama.attention.layer_norm_rms_epsilon",
        MetaValue::F32(1e-5),
    );
    m.insert("llama.vocab_size", MetaValue::U32(n_vocab));
    m.insert("tokenizer.ggml.model", string("gpt2"));
    m.insert("tokenizer.ggml.pre", string("smollm"));
    m.insert(
        "tokenizer.ggml.tokens",
        MetaValue::Array(MetaArray::String(tokens)),
    );
    let merges = MERGES.iter().map(|s| s.to_string()).collect();
    m.insert(
        "tokenizer.ggml.merges",
        MetaValue::Array(MetaArray::String(merges)),
    );
    m.insert("tokenizer.ggml.bos_token_id", MetaValue::U32(1));
    m.insert("tokenizer.ggml.eos_token_id", MetaValue::U32(2));
    m.insert("tokenizer.ggml.add_bos_token", MetaValue::Bool(false));

    let head_dim = s.dim / s.n_heads.max(1);
    let (d, f, v) = (u64::from(s.dim), u64::from(s.ffn_dim), u64::from(n_vocab));
    let kv = u64::from(s.n_kv_heads) * u64::from(head_dim);
    let mut rng = Rng(s.seed.max(1));
    let mut tensor = |name: String, dims: Vec<u64>, ty: TensorType| -> Result<TensorData> {
        let n: u64 = dims.iter().product();
        let values: Vec<f32> = if dims.len() == 1 {
            (0..n).map(|_| 1.0 + 0.1 * rng.next()).collect()
        } else {
            let scale = 1.0 / (dims[0] as f32).sqrt();
            (0..n).map(|_| scale * rng.next()).collect()
        };
        TensorData::from_f32(&name, &dims, ty, &values)
    };
    let mut tensors = vec![tensor("token_embd.weight".into(), vec![d, v], s.embd_type)?];
    for layer in 0..s.n_layers {
        for part in LAYER_TENSORS {
            let (dims, ty) = match part {
                "attn_norm.weight" | "ffn_norm.weight" => (vec![d], TensorType::F32),
                "attn_q.weight" | "attn_output.weight" => (vec![d, d], s.weight_type),
                "attn_k.weight" | "attn_v.weight" => (vec![d, kv], s.weight_type),
                "ffn_down.weight" => (vec![f, d], s.weight_type),
                _ => (vec![d, f], s.weight_type),
            };
            tensors.push(tensor(format!("blk.{layer}.{part}"), dims, ty)?);
        }
    }
    tensors.push(tensor(
        "output_norm.weight".into(),
        vec![d],
        TensorType::F32,
    )?);
    if s.untied_output {
        tensors.push(tensor("output.weight".into(), vec![d, v], s.weight_type)?);
    }
    write_gguf(&m, &tensors)
}
