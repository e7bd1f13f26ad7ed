//! The LLaMA view of a GGUF file: hyperparameters and the expected tensors.

use crate::error::{GgufError, Result};
use crate::file::GgufFile;
use crate::tensor::TensorInfo;

/// RoPE base when `llama.rope.freq_base` is absent (the original LLaMA value).
const DEFAULT_ROPE_BASE: f32 = 10_000.0;

/// The hyperparameters of a LLaMA model, read from `llama.*` metadata and checked
/// against the tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Transformer blocks (`llama.block_count`).
    pub n_layers: u32,
    /// Model width (`llama.embedding_length`).
    pub dim: u32,
    /// Hidden width of the feed-forward network (`llama.feed_forward_length`).
    pub ffn_dim: u32,
    /// Query heads (`llama.attention.head_count`).
    pub n_heads: u32,
    /// Key/value heads (`llama.attention.head_count_kv`; defaults to `n_heads`).
    pub n_kv_heads: u32,
    /// Width of one head: `dim / n_heads`.
    pub head_dim: u32,
    /// RoPE frequency base (`llama.rope.freq_base`; defaults to 10 000).
    pub rope_freq_base: f32,
    /// RMSNorm epsilon (`llama.attention.layer_norm_rms_epsilon`).
    pub rms_eps: f32,
    /// Training context length (`llama.context_length`).
    pub context_length: u32,
    /// Vocabulary size: rows of `token_embd.weight` (and `llama.vocab_size` when set).
    pub vocab_size: u32,
    /// True when the file has no `output.weight` and the output projection reuses
    /// `token_embd.weight`.
    pub tied_output: bool,
}

/// The per-layer tensors of a LLaMA block, by their name after `blk.N.`.
pub const LAYER_TENSORS: [&str; 9] = [
    "attn_norm.weight",
    "attn_q.weight",
    "attn_k.weight",
    "attn_v.weight",
    "attn_output.weight",
    "ffn_norm.weight",
    "ffn_gate.weight",
    "ffn_up.weight",
    "ffn_down.weight",
];

impl LlamaConfig {
    /// Reads the config of `file` and checks that every tensor a LLaMA model needs is
    /// present with the shape the config implies.
    pub fn from_gguf(file: &GgufFile) -> Result<LlamaConfig> {
        let m = file.metadata();
        let arch = m.get_str("general.architecture")?;
        if arch != "llama" {
            return Err(GgufError::Architecture(arch.to_string()));
        }
        let n_heads = m.get_u32("llama.attention.head_count")?;
        let dim = m.get_u32("llama.embedding_length")?;
        let n_kv_heads = m
            .opt_u32("llama.attention.head_count_kv")?
            .unwrap_or(n_heads);
        let rope_freq_base = match m.get("llama.rope.freq_base") {
            None => DEFAULT_ROPE_BASE,
            Some(_) => m.get_f32("llama.rope.freq_base")?,
        };
        let embd = file
            .tensor("token_embd.weight")
            .ok_or_else(|| GgufError::MissingTensor("token_embd.weight".into()))?;
        let vocab_size = match embd.dims.as_slice() {
            [_, rows] => u32::try_from(*rows)
                .map_err(|_| GgufError::Config(format!("token_embd.weight has {rows} rows")))?,
            _ => {
                return Err(GgufError::Config(format!(
                    "token_embd.weight has shape {:?}, expected 2 dimensions",
                    embd.dims
                )))
            }
        };
        let config = LlamaConfig {
            n_layers: m.get_u32("llama.block_count")?,
            dim,
            ffn_dim: m.get_u32("llama.feed_forward_length")?,
            n_heads,
            n_kv_heads,
            head_dim: dim.checked_div(n_heads).unwrap_or(0),
            rope_freq_base,
            rms_eps: m.get_f32("llama.attention.layer_norm_rms_epsilon")?,
            context_length: m.get_u32("llama.context_length")?,
            vocab_size,
            tied_output: file.tensor("output.weight").is_none(),
        };
        config.check_numbers(file)?;
        // Every layer has its own tensors, so a block count above the tensor count is
        // rejected before the expected list (9 names per layer) is built.
        if config.n_layers as usize > file.tensors().len() {
            return Err(GgufError::Config(format!(
                "block_count {} exceeds the file's {} tensors",
                config.n_layers,
                file.tensors().len()
            )));
        }
        for (name, dims) in config.expected_tensors() {
            check_shape(file.tensor(&name), &name, &dims)?;
        }
        Ok(config)
    }

    fn check_numbers(&self, file: &GgufFile) -> Result<()> {
        let m = file.metadata();
        let bad = |msg: String| Err(GgufError::Config(msg));
        if self.n_layers == 0 || self.dim == 0 || self.ffn_dim == 0 || self.n_heads == 0 {
            return bad(format!(
                "zero size: block_count {}, embedding_length {}, feed_forward_length {}, head_count {}",
                self.n_layers, self.dim, self.ffn_dim, self.n_heads
            ));
        }
        if self.dim % self.n_heads != 0 {
            return bad(format!(
                "embedding_length {} not divisible by head_count {}",
                self.dim, self.n_heads
            ));
        }
        if self.n_kv_heads == 0 || self.n_heads % self.n_kv_heads != 0 {
            return bad(format!(
                "head_count {} not a multiple of head_count_kv {}",
                self.n_heads, self.n_kv_heads
            ));
        }
        if let Some(rot) = m.opt_u32("llama.rope.dimension_count")? {
            if rot != self.head_dim {
                return bad(format!(
                    "rope.dimension_count {rot} differs from the head width {} (partial RoPE is not supported)",
                    self.head_dim
                ));
            }
        }
        if let Some(n) = m.opt_u32("llama.vocab_size")? {
            if n != self.vocab_size {
                return bad(format!(
                    "llama.vocab_size {n} differs from token_embd.weight's {} rows",
                    self.vocab_size
                ));
            }
        }
        if !(self.rms_eps > 0.0 && self.rope_freq_base > 0.0) {
            return bad(format!(
                "layer_norm_rms_epsilon {} and rope.freq_base {} must be positive",
                self.rms_eps, self.rope_freq_base
            ));
        }
        Ok(())
    }

    /// Every tensor the model reads, with its shape in ggml order (innermost first:
    /// a weight mapping `n` inputs to `m` outputs is `[n, m]`). `output.weight` is
    /// listed only when the output is not tied.
    pub fn expected_tensors(&self) -> Vec<(String, Vec<u64>)> {
        let (d, f, v) = (
            u64::from(self.dim),
            u64::from(self.ffn_dim),
            u64::from(self.vocab_size),
        );
        let q = u64::from(self.n_heads) * u64::from(self.head_dim);
        let kv = u64::from(self.n_kv_heads) * u64::from(self.head_dim);
        let mut out = vec![("token_embd.weight".to_string(), vec![d, v])];
        for layer in 0..self.n_layers {
            for part in LAYER_TENSORS {
                let dims = match part {
                    "attn_norm.weight" | "ffn_norm.weight" => vec![d],
                    "attn_q.weight" => vec![d, q],
                    "attn_k.weight" | "attn_v.weight" => vec![d, kv],
                    "attn_output.weight" => vec![q, d],
                    "ffn_down.weight" => vec![f, d],
                    _ => vec![d, f], // ffn_gate, ffn_up
                };
                out.push((format!("blk.{layer}.{part}"), dims));
            }
        }
        out.push(("output_norm.weight".to_string(), vec![d]));
        if !self.tied_output {
            out.push(("output.weight".to_string(), vec![d, v]));
        }
        out
    }

    /// The name of the output projection's tensor: `output.weight`, or
    /// `token_embd.weight` when tied.
    pub fn output_tensor(&self) -> &'static str {
        if self.tied_output {
            "token_embd.weight"
        } else {
            "output.weight"
        }
    }
}

fn check_shape(t: Option<&TensorInfo>, name: &str, dims: &[u64]) -> Result<()> {
    let t = t.ok_or_else(|| GgufError::MissingTensor(name.to_string()))?;
    if t.dims != dims {
        return Err(GgufError::TensorShape {
            name: name.to_string(),
            expected: dims.to_vec(),
            found: t.dims.clone(),
        });
    }
    Ok(())
}
