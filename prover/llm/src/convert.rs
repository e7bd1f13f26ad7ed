//! GGUF tensors to the image's fixed-point forms (host side: floats are fine here).
//!
//! - Weight matrices keep their GGUF blocks; each f16 block scale `d` (and Q4_1's
//!   minimum `m`) becomes an `i16` in units of `2^-shift`, one shift per tensor: the
//!   largest making `max(|d|, |m|) · 2^shift ≤ 32767`. The rounding error of a scale is
//!   at most `2^-(shift+1)`, i.e. below `2^-16` of the tensor's largest scale (exact
//!   for every scale within a factor 16 of the largest, since f16 has 11 significant
//!   bits). F16 and F32 matrices are first quantized to Q8_0 (`d = max|x| / 127`).
//! - Norm weights become `i32` in units of `2^-shift` with `max |w| · 2^shift ≤ 2^24`.
//! - RoPE: a `[max_ctx, head_dim]` table of `(cos, sin)` pairs in Q30, from `f64`.

use half::f16;
use opml_gguf::quant::{dequantize, quantize};
use opml_gguf::TensorType;
use opml_guest_ml::llm::quant::{WeightType, QK};

use crate::error::CompileError;

/// Largest `s` with `max_abs · 2^s ≤ limit` (after rounding); 0 when `max_abs` is 0.
pub fn shift_for(max_abs: f64, limit: f64) -> i32 {
    if max_abs <= 0.0 || !max_abs.is_finite() {
        return 0;
    }
    let mut s = (limit / max_abs).log2().floor() as i32;
    while (max_abs * 2f64.powi(s)).round() > limit {
        s -= 1;
    }
    s
}

/// A weight matrix as image blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocks {
    /// Block format.
    pub ty: WeightType,
    /// Scales are in units of `2^-shift`.
    pub shift: i32,
    /// The blocks, GGUF's layout with `i16` scales.
    pub bytes: Vec<u8>,
}

fn f16_at(b: &[u8], at: usize) -> f64 {
    f64::from(f16::from_le_bytes([b[at], b[at + 1]]).to_f32())
}

/// Converts the bytes of a GGUF weight matrix of type `ty` to image blocks.
pub fn weight_blocks(name: &str, ty: TensorType, raw: &[u8]) -> Result<Blocks, CompileError> {
    let (wt, raw) = match ty {
        TensorType::Q4_0 => (WeightType::Q4_0, raw.to_vec()),
        TensorType::Q4_1 => (WeightType::Q4_1, raw.to_vec()),
        TensorType::Q8_0 => (WeightType::Q8_0, raw.to_vec()),
        TensorType::F16 | TensorType::F32 => {
            let values = dequantize(ty, raw, name)?;
            (WeightType::Q8_0, quantize(TensorType::Q8_0, &values, name)?)
        }
    };
    let bb = wt.block_bytes();
    let n_scales = if wt == WeightType::Q4_1 { 2 } else { 1 };
    if raw.len() % bb != 0 {
        return Err(CompileError::Tensor {
            tensor: name.to_string(),
            reason: format!(
                "{} bytes is not a whole number of {bb}-byte blocks",
                raw.len()
            ),
        });
    }
    let mut max_abs = 0f64;
    for b in raw.chunks_exact(bb) {
        for k in 0..n_scales {
            let v = f16_at(b, 2 * k);
            if !v.is_finite() {
                return Err(CompileError::Tensor {
                    tensor: name.to_string(),
                    reason: format!("block scale {v} is not finite"),
                });
            }
            max_abs = max_abs.max(v.abs());
        }
    }
    let shift = shift_for(max_abs, 32767.0);
    let mut bytes = raw;
    for b in bytes.chunks_exact_mut(bb) {
        for k in 0..n_scales {
            let v = (f16_at(b, 2 * k) * 2f64.powi(shift)).round() as i16;
            b[2 * k..2 * k + 2].copy_from_slice(&v.to_le_bytes());
        }
    }
    Ok(Blocks {
        ty: wt,
        shift,
        bytes,
    })
}

/// The real values of image blocks (for reports and tests).
pub fn dequantize_blocks(b: &Blocks) -> Vec<f32> {
    let unit = 2f64.powi(-b.shift);
    let mut out = Vec::with_capacity(b.bytes.len() / b.ty.block_bytes() * QK);
    for blk in b.bytes.chunks_exact(b.ty.block_bytes()) {
        let d = f64::from(i16::from_le_bytes([blk[0], blk[1]])) * unit;
        match b.ty {
            WeightType::Q8_0 => {
                out.extend(blk[2..34].iter().map(|&q| (d * f64::from(q as i8)) as f32))
            }
            WeightType::Q4_0 | WeightType::Q4_1 => {
                let (off, bias, m) = if b.ty == WeightType::Q4_0 {
                    (2, 8.0, 0.0)
                } else {
                    (
                        4,
                        0.0,
                        f64::from(i16::from_le_bytes([blk[2], blk[3]])) * unit,
                    )
                };
                let qs = &blk[off..off + 16];
                out.extend(
                    qs.iter()
                        .map(|&q| (d * (f64::from(q & 15) - bias) + m) as f32),
                );
                out.extend(
                    qs.iter()
                        .map(|&q| (d * (f64::from(q >> 4) - bias) + m) as f32),
                );
            }
        }
    }
    out
}

/// A float vector as `i32` little-endian bytes in units of `2^-shift`, `max |w| ·
/// 2^shift ≤ 2^24`.
pub fn fixed_vector(values: &[f32]) -> (i32, Vec<u8>) {
    let max = values.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
    let shift = shift_for(max, (1u64 << 24) as f64);
    let bytes = values
        .iter()
        .flat_map(|&v| ((f64::from(v) * 2f64.powi(shift)).round() as i32).to_le_bytes())
        .collect();
    (shift, bytes)
}

/// `(cos, sin)` of `pos · base^(-2i / head_dim)` in Q30 for every position below
/// `max_ctx` and pair `i < head_dim / 2`, as little-endian `i32` bytes, row-major
/// `[pos][i][cos, sin]`.
pub fn rope_table(max_ctx: u32, head_dim: u32, base: f32) -> Vec<u8> {
    let one = (1u64 << 30) as f64;
    let mut out = Vec::with_capacity(max_ctx as usize * head_dim as usize * 4);
    for pos in 0..max_ctx {
        for i in 0..head_dim / 2 {
            let theta =
                f64::from(pos) / f64::from(base).powf(f64::from(2 * i) / f64::from(head_dim));
            for v in [theta.cos(), theta.sin()] {
                out.extend(((v * one).round() as i32).to_le_bytes());
            }
        }
    }
    out
}

/// A positive number as `(mantissa, shift)` with the mantissa in `[2^30, 2^31)`.
pub fn fixed_positive(v: f32) -> Option<(u32, u32)> {
    let v = f64::from(v);
    if !(v > 0.0 && v.is_finite()) {
        return None;
    }
    let shift = shift_for(v, ((1u64 << 31) - 1) as f64);
    let shift = u32::try_from(shift).ok().filter(|&s| s <= 255)?;
    Some(((v * 2f64.powi(shift as i32)).round() as u32, shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_scales_become_i16_within_half_a_unit() {
        let values: Vec<f32> = (0..256)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.003)
            .collect();
        for ty in [
            TensorType::Q4_0,
            TensorType::Q4_1,
            TensorType::Q8_0,
            TensorType::F16,
            TensorType::F32,
        ] {
            let raw = quantize(ty, &values, "w").unwrap();
            let gguf = dequantize(ty, &raw, "w").unwrap();
            let b = weight_blocks("w", ty, &raw).unwrap();
            let ours = dequantize_blocks(&b);
            let max_scale = 2f64.powi(-b.shift) * 32767.0;
            for (g, o) in gguf.iter().zip(&ours) {
                // Q8_0 re-quantization of F16/F32 adds up to half a step of 8 bits.
                let tol = if matches!(ty, TensorType::F16 | TensorType::F32) {
                    max_scale * 0.51
                } else {
                    16.0 * 2f64.powi(-b.shift)
                };
                assert!(
                    (f64::from(*g) - f64::from(*o)).abs() <= tol,
                    "{ty:?}: {g} vs {o}"
                );
            }
        }
    }

    #[test]
    fn shifts_and_fixed_numbers() {
        assert_eq!(shift_for(1.0, 32767.0), 14);
        assert_eq!(shift_for(0.0, 32767.0), 0);
        assert_eq!(
            fixed_positive(1e-5)
                .map(|(m, s)| f64::from(m) * 2f64.powi(-(s as i32)))
                .map(|v| (v - f64::from(1e-5f32)).abs() < 1e-14),
            Some(true)
        );
        assert_eq!(fixed_positive(0.0), None);
        let (s, b) = fixed_vector(&[1.5, -3.0]);
        assert_eq!(s, 22);
        assert_eq!(i32::from_le_bytes([b[4], b[5], b[6], b[7]]), -3 << 22);
        let t = rope_table(2, 4, 10_000.0);
        assert_eq!(t.len(), 2 * 4 * 4);
        assert_eq!(i32::from_le_bytes([t[0], t[1], t[2], t[3]]), 1 << 30);
    }
}
