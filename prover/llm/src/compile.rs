//! GGUF (LLaMA architecture) → LLM image: the graph of one token's forward pass.
//!
//! Per layer `L` (tensor names in the image in quotes):
//! `x` → RMSNorm (`blk.L.attn_norm`) → quantize → Q, K, V matmuls → RoPE on Q and K
//! (in place) → K, V written into row `pos` of `blk.L.k_cache` / `blk.L.v_cache` →
//! attention → quantize → output matmul → residual add (`blk.L.attn_res`) → RMSNorm
//! (`blk.L.ffn_norm`) → quantize → gate and up matmuls → SwiGLU → quantize → down
//! matmul → residual add (`blk.L.out`). Then the output norm, the LM head
//! (`output.weight`, or `token_embd.weight` when tied) and the argmax.

use std::path::Path;

use opml_gguf::{synth_llama, GgufFile, LlamaConfig, SynthLlama};
use opml_guest_ml::llm::attention::{MAX_HEAD_DIM, SCORE_MUL_FRAC};
use opml_guest_ml::llm::graph::{LlmDType, LlmOp, ROPE_TABLE_SHIFT};
use opml_guest_ml::llm::norm::MAX_NORM_LEN;
use opml_guest_ml::llm::quant::QK;

use crate::builder::{GraphBuilder, Specials};
use crate::convert::{fixed_positive, fixed_vector, rope_table, weight_blocks};
use crate::error::CompileError;

/// Compiler options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CompileOptions {
    /// Positions the KV caches and the RoPE table hold; `None`: the model's context
    /// length, at most [`DEFAULT_MAX_CTX`].
    pub max_ctx: Option<u32>,
}

/// The default cap on the context compiled in (the caches take
/// `2 · layers · ctx · kv_width · 4` bytes of arena).
pub const DEFAULT_MAX_CTX: u32 = 2048;

/// Compiles the GGUF file at `path` with default options.
pub fn compile_gguf(path: impl AsRef<Path>) -> Result<Vec<u8>, CompileError> {
    let file = GgufFile::open(path)?;
    compile(&file, CompileOptions::default())
}

/// A tiny random LLaMA of shape `s` (opml-gguf's [`synth_llama`], with its small
/// tokenizer) and its image compiled to hold `max_ctx` positions: the model of the
/// tests and examples that need an LLM fast.
pub fn synth_model(s: &SynthLlama, max_ctx: u32) -> Result<(GgufFile, Vec<u8>), CompileError> {
    let file = GgufFile::from_bytes(synth_llama(s)?)?;
    let image = compile(
        &file,
        CompileOptions {
            max_ctx: Some(max_ctx),
        },
    )?;
    Ok((file, image))
}

fn unsupported(msg: String) -> CompileError {
    CompileError::Unsupported(msg)
}

/// Compiles a parsed GGUF file.
pub fn compile(file: &GgufFile, opts: CompileOptions) -> Result<Vec<u8>, CompileError> {
    let c = LlamaConfig::from_gguf(file)?;
    let max_ctx = opts
        .max_ctx
        .unwrap_or(c.context_length.min(DEFAULT_MAX_CTX));
    let (dim, hd) = (c.dim, c.head_dim);
    let kvd = c.n_kv_heads * hd;
    if dim % QK as u32 != 0 || c.ffn_dim % QK as u32 != 0 || kvd % QK as u32 != 0 {
        return Err(unsupported(format!(
            "widths must be multiples of 32: embedding {dim}, feed-forward {}, KV {kvd}",
            c.ffn_dim
        )));
    }
    if hd as usize > MAX_HEAD_DIM || hd % 2 != 0 || dim as usize > MAX_NORM_LEN || max_ctx == 0 {
        return Err(unsupported(format!(
            "head width {hd} (even, at most {MAX_HEAD_DIM}), embedding {dim} (at most {MAX_NORM_LEN}), context {max_ctx} (> 0)"
        )));
    }
    let eps = fixed_positive(c.rms_eps)
        .ok_or_else(|| unsupported(format!("RMS epsilon {}", c.rms_eps)))?;
    let score_mul = ((1u64 << SCORE_MUL_FRAC) as f64 / f64::from(hd).sqrt()).round() as u32;

    let mut g = GraphBuilder::default();
    let weight = |g: &mut GraphBuilder, name: &str| -> Result<u32, CompileError> {
        let info = file
            .tensor(name)
            .ok_or_else(|| opml_gguf::GgufError::MissingTensor(name.to_string()))?;
        let (cols, rows) = match info.dims.as_slice() {
            [cols, rows] => (u32::try_from(*cols), u32::try_from(*rows)),
            _ => unreachable_shape(name)?,
        };
        let (cols, rows) = (
            cols.map_err(|_| too_big(name))?,
            rows.map_err(|_| too_big(name))?,
        );
        let b = weight_blocks(name, info.ty, file.bytes_of(info))?;
        g.image_tensor(
            name,
            LlmDType::Weight(b.ty),
            &[rows, cols],
            b.shift,
            b.bytes,
        )
    };
    let norm = |g: &mut GraphBuilder, name: &str| -> Result<u32, CompileError> {
        let values = file.tensor_f32(name)?;
        let (shift, bytes) = fixed_vector(&values);
        g.image_tensor(name, LlmDType::I32, &[values.len() as u32], shift, bytes)
    };
    let i32t = LlmDType::I32;
    let input = g.arena_tensor("input", i32t, &[2])?;
    let embd = weight(&mut g, "token_embd.weight")?;
    let rope = g.image_tensor(
        "rope",
        i32t,
        &[max_ctx, hd],
        ROPE_TABLE_SHIFT,
        rope_table(max_ctx, hd, c.rope_freq_base),
    )?;
    let mut x = g.arena_tensor("embd", i32t, &[dim])?;
    g.node(LlmOp::Embed, [0; 4], &[input], &[embd], &[x]);

    // x → norm → quantize; returns the quantized tensor.
    let normed =
        |g: &mut GraphBuilder, x: u32, w: u32, name: &str, n: u32| -> Result<u32, CompileError> {
            let y = g.arena_tensor(name, i32t, &[n])?;
            g.node(LlmOp::RmsNorm, [eps.0, eps.1, 0, 0], &[x], &[w], &[y]);
            quantized(g, y, &format!("{name}.q8"), n)
        };
    let matmul =
        |g: &mut GraphBuilder, a: u32, w: u32, name: &str, n: u32| -> Result<u32, CompileError> {
            let y = g.arena_tensor(name, i32t, &[n])?;
            g.node(LlmOp::MatMul, [0; 4], &[a], &[w], &[y]);
            Ok(y)
        };
    for l in 0..c.n_layers {
        let p = |s: &str| format!("blk.{l}.{s}");
        let attn_norm_w = norm(&mut g, &p("attn_norm.weight"))?;
        let wq = weight(&mut g, &p("attn_q.weight"))?;
        let wk = weight(&mut g, &p("attn_k.weight"))?;
        let wv = weight(&mut g, &p("attn_v.weight"))?;
        let wo = weight(&mut g, &p("attn_output.weight"))?;
        let ffn_norm_w = norm(&mut g, &p("ffn_norm.weight"))?;
        let w_gate = weight(&mut g, &p("ffn_gate.weight"))?;
        let w_up = weight(&mut g, &p("ffn_up.weight"))?;
        let w_down = weight(&mut g, &p("ffn_down.weight"))?;

        let a = normed(&mut g, x, attn_norm_w, &p("attn_norm"), dim)?;
        let q = matmul(&mut g, a, wq, &p("q"), c.n_heads * hd)?;
        let k = matmul(&mut g, a, wk, &p("k"), kvd)?;
        let v = matmul(&mut g, a, wv, &p("v"), kvd)?;
        g.node(LlmOp::Rope, [hd, 0, 0, 0], &[q, input], &[rope], &[q]);
        g.node(LlmOp::Rope, [hd, 0, 0, 0], &[k, input], &[rope], &[k]);
        let k_cache = g.arena_tensor(&p("k_cache"), i32t, &[max_ctx, kvd])?;
        let v_cache = g.arena_tensor(&p("v_cache"), i32t, &[max_ctx, kvd])?;
        g.node(LlmOp::CacheWrite, [0; 4], &[k, input], &[], &[k_cache]);
        g.node(LlmOp::CacheWrite, [0; 4], &[v, input], &[], &[v_cache]);
        let att = g.arena_tensor(&p("attn"), i32t, &[c.n_heads * hd])?;
        let scores = g.arena_tensor(&p("attn_weights"), i32t, &[max_ctx])?;
        g.node(
            LlmOp::Attention,
            [c.n_heads, c.n_kv_heads, hd, score_mul],
            &[q, k_cache, v_cache, input],
            &[],
            &[att, scores],
        );
        let att_q = quantized(&mut g, att, &p("attn.q8"), c.n_heads * hd)?;
        let o = matmul(&mut g, att_q, wo, &p("attn_output"), dim)?;
        let h = g.arena_tensor(&p("attn_res"), i32t, &[dim])?;
        g.node(LlmOp::Add, [0; 4], &[x, o], &[], &[h]);

        let f = normed(&mut g, h, ffn_norm_w, &p("ffn_norm"), dim)?;
        let gate = matmul(&mut g, f, w_gate, &p("ffn_gate"), c.ffn_dim)?;
        let up = matmul(&mut g, f, w_up, &p("ffn_up"), c.ffn_dim)?;
        let act = g.arena_tensor(&p("ffn_act"), i32t, &[c.ffn_dim])?;
        g.node(LlmOp::SwiGlu, [0; 4], &[gate, up], &[], &[act]);
        let act_q = quantized(&mut g, act, &p("ffn_act.q8"), c.ffn_dim)?;
        let down = matmul(&mut g, act_q, w_down, &p("ffn_down"), dim)?;
        let out = g.arena_tensor(&p("out"), i32t, &[dim])?;
        g.node(LlmOp::Add, [0; 4], &[h, down], &[], &[out]);
        x = out;
    }
    let out_norm_w = norm(&mut g, "output_norm.weight")?;
    let head = if c.tied_output {
        embd
    } else {
        weight(&mut g, "output.weight")?
    };
    let a = normed(&mut g, x, out_norm_w, "output_norm", dim)?;
    let logits = matmul(&mut g, a, head, "logits", c.vocab_size)?;
    let argmax = g.arena_tensor("argmax", i32t, &[1])?;
    g.node(LlmOp::Argmax, [0; 4], &[logits], &[], &[argmax]);
    let image = g.finish(Specials {
        input,
        logits,
        argmax,
        max_ctx,
        vocab: c.vocab_size,
    });
    // The guest's own validation is the final check of what was written.
    opml_guest_ml::llm::graph::LlmImage::parse(&image)?;
    Ok(image)
}

fn quantized(g: &mut GraphBuilder, x: u32, name: &str, n: u32) -> Result<u32, CompileError> {
    let y = g.arena_tensor(name, LlmDType::ActQ8, &[n])?;
    g.node(LlmOp::Quantize, [0; 4], &[x], &[], &[y]);
    Ok(y)
}

fn too_big(name: &str) -> CompileError {
    CompileError::Tensor {
        tensor: name.to_string(),
        reason: "dimension above 2^32".into(),
    }
}

fn unreachable_shape<T>(name: &str) -> Result<T, CompileError> {
    Err(CompileError::Tensor {
        tensor: name.to_string(),
        reason: "not a matrix".into(),
    })
}
