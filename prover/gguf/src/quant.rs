//! Block layouts of the supported tensor types: dequantization to f32 (the reference
//! the integer kernels are checked against) and quantization (for writing test
//! models).
//!
//! All blocks hold 32 consecutive elements of the innermost dimension:
//! - Q4_0, 18 bytes: f16 `d`, then 16 bytes of nibbles; byte `j` holds element `j` in
//!   its low nibble and element `j + 16` in its high nibble; value `d * (q - 8)`.
//! - Q4_1, 20 bytes: f16 `d`, f16 `m`, 16 bytes of nibbles as in Q4_0; value `d * q + m`.
//! - Q8_0, 34 bytes: f16 `d`, then 32 i8 `q`; value `d * q`.
//!
//! F32 and F16 are plain little-endian arrays.

use half::f16;

use crate::error::{GgufError, Result};
use crate::tensor::TensorType;

/// Elements per quantized block.
pub const QK: usize = 32;

fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

fn f16_bytes(v: f32) -> [u8; 2] {
    f16::from_f32(v).to_le_bytes()
}

/// Dequantizes `bytes` of type `ty` to f32 values in storage order. `tensor` names
/// the data in the error when the length is not a whole number of blocks.
pub fn dequantize(ty: TensorType, bytes: &[u8], tensor: &str) -> Result<Vec<f32>> {
    let block = ty.block_bytes() as usize;
    if bytes.len() % block != 0 {
        return Err(GgufError::TensorData {
            name: tensor.to_string(),
            reason: format!(
                "{} bytes is not a whole number of {}-byte {} blocks",
                bytes.len(),
                block,
                ty.name()
            ),
        });
    }
    let blocks = bytes.chunks_exact(block);
    let mut out = Vec::with_capacity(bytes.len() / block * ty.block_len() as usize);
    match ty {
        TensorType::F32 => out.extend(blocks.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        TensorType::F16 => out.extend(blocks.map(|b| f16_at(b, 0))),
        TensorType::Q4_0 => {
            for b in blocks {
                let d = f16_at(b, 0);
                let qs = &b[2..18];
                out.extend(qs.iter().map(|&q| d * (f32::from(q & 0xF) - 8.0)));
                out.extend(qs.iter().map(|&q| d * (f32::from(q >> 4) - 8.0)));
            }
        }
        TensorType::Q4_1 => {
            for b in blocks {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                let qs = &b[4..20];
                out.extend(qs.iter().map(|&q| d * f32::from(q & 0xF) + m));
                out.extend(qs.iter().map(|&q| d * f32::from(q >> 4) + m));
            }
        }
        TensorType::Q8_0 => {
            for b in blocks {
                let d = f16_at(b, 0);
                out.extend(b[2..34].iter().map(|&q| d * f32::from(q as i8)));
            }
        }
    }
    Ok(out)
}

/// Quantizes f32 values to type `ty` with the usual round-to-nearest scheme of each
/// format (not bit-identical to every other quantizer; meant for generating test
/// models). `tensor` names the data when its length is not a whole number of blocks.
pub fn quantize(ty: TensorType, values: &[f32], tensor: &str) -> Result<Vec<u8>> {
    let len = ty.block_len() as usize;
    if values.len() % len != 0 {
        return Err(GgufError::TensorData {
            name: tensor.to_string(),
            reason: format!(
                "{} values is not a whole number of {}-element {} blocks",
                values.len(),
                len,
                ty.name()
            ),
        });
    }
    let mut out = Vec::with_capacity(values.len() / len * ty.block_bytes() as usize);
    match ty {
        TensorType::F32 => values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        TensorType::F16 => values
            .iter()
            .for_each(|&v| out.extend_from_slice(&f16_bytes(v))),
        TensorType::Q4_0 => values
            .chunks_exact(QK)
            .for_each(|b| q4_0_block(b, &mut out)),
        TensorType::Q4_1 => values
            .chunks_exact(QK)
            .for_each(|b| q4_1_block(b, &mut out)),
        TensorType::Q8_0 => values
            .chunks_exact(QK)
            .for_each(|b| q8_0_block(b, &mut out)),
    }
    Ok(out)
}

fn inverse(d: f32) -> f32 {
    if d == 0.0 {
        0.0
    } else {
        1.0 / d
    }
}

/// Packs 32 nibbles: element `j` low, element `j + 16` high.
fn push_nibbles(q: impl Fn(usize) -> u8, out: &mut Vec<u8>) {
    out.extend((0..QK / 2).map(|j| q(j) | (q(j + QK / 2) << 4)));
}

fn q4_0_block(x: &[f32], out: &mut Vec<u8>) {
    // The scale maps the element of largest magnitude to -8, so both signs use the
    // full range [-8, 7].
    let max = x
        .iter()
        .fold(0.0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
    let d = max / -8.0;
    let id = inverse(d);
    out.extend_from_slice(&f16_bytes(d));
    push_nibbles(|j| (x[j] * id + 8.5).clamp(0.0, 15.0) as u8, out);
}

fn q4_1_block(x: &[f32], out: &mut Vec<u8>) {
    let min = x.iter().copied().fold(f32::INFINITY, f32::min);
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let d = (max - min) / 15.0;
    let id = inverse(d);
    out.extend_from_slice(&f16_bytes(d));
    out.extend_from_slice(&f16_bytes(min));
    push_nibbles(|j| ((x[j] - min) * id + 0.5).clamp(0.0, 15.0) as u8, out);
}

fn q8_0_block(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = inverse(d);
    out.extend_from_slice(&f16_bytes(d));
    out.extend(
        x.iter()
            .map(|&v| (v * id).round().clamp(-127.0, 127.0) as i8 as u8),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_layout_low_nibbles_first_half() {
        let mut block = f16_bytes(0.5).to_vec();
        // byte j: low nibble j % 16, high nibble 15 - j % 16
        block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let v = dequantize(TensorType::Q4_0, &block, "t").unwrap();
        for j in 0..16 {
            assert_eq!(v[j], 0.5 * (j as f32 - 8.0));
            assert_eq!(v[j + 16], 0.5 * ((15 - j) as f32 - 8.0));
        }
    }

    #[test]
    fn q4_1_layout_scale_and_min() {
        let mut block = f16_bytes(0.25).to_vec();
        block.extend_from_slice(&f16_bytes(-1.0));
        block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let v = dequantize(TensorType::Q4_1, &block, "t").unwrap();
        for j in 0..16 {
            assert_eq!(v[j], 0.25 * j as f32 - 1.0);
            assert_eq!(v[j + 16], 0.25 * (15 - j) as f32 - 1.0);
        }
    }

    #[test]
    fn q8_0_layout_signed_bytes() {
        let mut block = f16_bytes(2.0).to_vec();
        block.extend((0..32).map(|j| (j as i8 - 16) as u8));
        let v = dequantize(TensorType::Q8_0, &block, "t").unwrap();
        for (j, x) in v.iter().enumerate() {
            assert_eq!(*x, 2.0 * (j as f32 - 16.0));
        }
    }

    #[test]
    fn quantize_round_trips_within_half_a_step() {
        let x: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 64) as f32 - 30.0) / 7.0)
            .collect();
        for (ty, steps) in [
            (TensorType::Q4_0, 8.0),
            (TensorType::Q4_1, 15.0),
            (TensorType::Q8_0, 127.0),
        ] {
            let q = quantize(ty, &x, "t").unwrap();
            assert_eq!(q.len() as u64, 2 * ty.block_bytes());
            let y = dequantize(ty, &q, "t").unwrap();
            let range = x.iter().fold(0.0f32, |m, v| m.max(v.abs())) * 2.0;
            for (a, b) in x.iter().zip(&y) {
                // half a quantization step, plus slack for the f16 scale
                assert!((a - b).abs() <= range / steps * 0.55, "{ty:?}: {a} vs {b}");
            }
        }
        let f = quantize(TensorType::F16, &x, "t").unwrap();
        assert_eq!(
            dequantize(TensorType::F16, &f, "t").unwrap()[..4],
            [x[0], x[1], x[2], x[3]].map(|v| f16::from_f32(v).to_f32())
        );
    }

    #[test]
    fn partial_block_is_an_error_naming_the_tensor() {
        let err = dequantize(TensorType::Q8_0, &[0; 35], "blk.0.w").unwrap_err();
        assert!(err.to_string().contains("blk.0.w"), "{err}");
        let err = quantize(TensorType::Q4_1, &[0.0; 33], "blk.1.w").unwrap_err();
        assert!(err.to_string().contains("blk.1.w"), "{err}");
    }
}
