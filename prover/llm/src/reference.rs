//! A plain `f32` LLaMA forward pass over the dequantized GGUF weights: the float
//! reference the integer image is measured against (no activation quantization;
//! RoPE on adjacent pairs, as GGUF's permuted Q/K weights require).

use opml_gguf::{GgufFile, LlamaConfig};

use crate::error::CompileError;
use crate::eval::StepModel;

struct Layer {
    attn_norm: Vec<f32>,
    wq: Vec<f32>,
    wk: Vec<f32>,
    wv: Vec<f32>,
    wo: Vec<f32>,
    ffn_norm: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    down: Vec<f32>,
    k_cache: Vec<f32>,
    v_cache: Vec<f32>,
}

/// The float model and its KV cache.
pub struct FloatLlama {
    c: LlamaConfig,
    embd: Vec<f32>,
    layers: Vec<Layer>,
    out_norm: Vec<f32>,
    head: Option<Vec<f32>>,
    pos: usize,
}

/// `out[r] = Σ_c w[r·k + c] · x[c]` with `k = x.len()`.
fn matvec(w: &[f32], x: &[f32]) -> Vec<f32> {
    w.chunks_exact(x.len())
        .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
        .collect()
}

fn rmsnorm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inv = 1.0 / (ms + eps).sqrt();
    x.iter().zip(w).map(|(a, b)| a * inv * b).collect()
}

fn rope(x: &mut [f32], hd: usize, pos: usize, base: f32) {
    for head in x.chunks_exact_mut(hd) {
        for i in 0..hd / 2 {
            let theta = pos as f64 / f64::from(base).powf(2.0 * i as f64 / hd as f64);
            let (c, s) = (theta.cos() as f32, theta.sin() as f32);
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = a * c - b * s;
            head[2 * i + 1] = a * s + b * c;
        }
    }
}

impl FloatLlama {
    /// Dequantizes every weight of `file`; the caches hold `max_ctx` positions.
    pub fn from_gguf(file: &GgufFile, max_ctx: usize) -> Result<FloatLlama, CompileError> {
        let c = LlamaConfig::from_gguf(file)?;
        let kvd = (c.n_kv_heads * c.head_dim) as usize;
        let t = |name: String| file.tensor_f32(&name);
        let mut layers = Vec::new();
        for l in 0..c.n_layers {
            let p = |s: &str| format!("blk.{l}.{s}");
            layers.push(Layer {
                attn_norm: t(p("attn_norm.weight"))?,
                wq: t(p("attn_q.weight"))?,
                wk: t(p("attn_k.weight"))?,
                wv: t(p("attn_v.weight"))?,
                wo: t(p("attn_output.weight"))?,
                ffn_norm: t(p("ffn_norm.weight"))?,
                gate: t(p("ffn_gate.weight"))?,
                up: t(p("ffn_up.weight"))?,
                down: t(p("ffn_down.weight"))?,
                k_cache: vec![0.0; max_ctx * kvd],
                v_cache: vec![0.0; max_ctx * kvd],
            });
        }
        Ok(FloatLlama {
            embd: t("token_embd.weight".into())?,
            out_norm: t("output_norm.weight".into())?,
            head: if c.tied_output {
                None
            } else {
                Some(t("output.weight".into())?)
            },
            layers,
            c,
            pos: 0,
        })
    }

    /// Runs `token` at the next position; returns the logits.
    pub fn forward(&mut self, token: u32) -> Result<Vec<f32>, String> {
        let c = &self.c;
        let (dim, hd) = (c.dim as usize, c.head_dim as usize);
        let (nh, nkv) = (c.n_heads as usize, c.n_kv_heads as usize);
        let kvd = nkv * hd;
        let pos = self.pos;
        if token >= c.vocab_size {
            return Err(format!("token {token} outside the vocabulary"));
        }
        if (pos + 1) * kvd > self.layers.first().map_or(usize::MAX, |l| l.k_cache.len()) {
            return Err(format!("position {pos} beyond the cache"));
        }
        let t = token as usize;
        let mut x = self.embd[t * dim..(t + 1) * dim].to_vec();
        for l in &mut self.layers {
            let a = rmsnorm(&x, &l.attn_norm, c.rms_eps);
            let mut q = matvec(&l.wq, &a);
            let mut k = matvec(&l.wk, &a);
            let v = matvec(&l.wv, &a);
            rope(&mut q, hd, pos, c.rope_freq_base);
            rope(&mut k, hd, pos, c.rope_freq_base);
            l.k_cache[pos * kvd..(pos + 1) * kvd].copy_from_slice(&k);
            l.v_cache[pos * kvd..(pos + 1) * kvd].copy_from_slice(&v);
            let mut att = vec![0f32; nh * hd];
            for h in 0..nh {
                let g = h / (nh / nkv);
                let qh = &q[h * hd..(h + 1) * hd];
                let s: Vec<f32> = (0..=pos)
                    .map(|p| {
                        let kh = &l.k_cache[p * kvd + g * hd..p * kvd + (g + 1) * hd];
                        qh.iter().zip(kh).map(|(a, b)| a * b).sum::<f32>() / (hd as f32).sqrt()
                    })
                    .collect();
                let m = s.iter().cloned().fold(f32::MIN, f32::max);
                let e: Vec<f32> = s.iter().map(|v| (v - m).exp()).collect();
                let z: f32 = e.iter().sum();
                for (p, ep) in e.iter().enumerate() {
                    let vh = &l.v_cache[p * kvd + g * hd..p * kvd + (g + 1) * hd];
                    for (o, vv) in att[h * hd..(h + 1) * hd].iter_mut().zip(vh) {
                        *o += ep / z * vv;
                    }
                }
            }
            let o = matvec(&l.wo, &att);
            x.iter_mut().zip(&o).for_each(|(a, b)| *a += b);
            let f = rmsnorm(&x, &l.ffn_norm, c.rms_eps);
            let gate = matvec(&l.gate, &f);
            let up = matvec(&l.up, &f);
            let act: Vec<f32> = gate
                .iter()
                .zip(&up)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            let d = matvec(&l.down, &act);
            x.iter_mut().zip(&d).for_each(|(a, b)| *a += b);
        }
        let n = rmsnorm(&x, &self.out_norm, c.rms_eps);
        self.pos += 1;
        Ok(matvec(self.head.as_ref().unwrap_or(&self.embd), &n))
    }
}

impl StepModel for FloatLlama {
    fn reset(&mut self) {
        self.pos = 0;
    }

    fn step_logits(&mut self, token: u32) -> Result<Vec<f32>, String> {
        self.forward(token)
    }
}
