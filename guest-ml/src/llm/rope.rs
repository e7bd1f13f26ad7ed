//! Rotary position embedding on adjacent pairs, with a fixed-point cos/sin table.
//!
//! GGUF LLaMA files store the Q and K projections permuted by llama.cpp's converter so
//! that RoPE rotates adjacent pairs `(x[2i], x[2i+1])` of each head ("normal" RoPE),
//! not the two halves of the head (Hugging Face's NEOX layout).

use super::fixed::{i32_le, sat_i32, shr_round};
use crate::ShapeError;

/// Fractional bits of the cos/sin table entries.
pub const ROPE_FRAC: u32 = 30;

/// Rotates every head of `x` (heads of `head_dim` elements, QF) in place by the
/// angles of one position: `table` holds `head_dim / 2` pairs `(cos θ_i, sin θ_i)` in
/// Q30 (little-endian `i32` bytes: one row of the image's table), and pair `i` of each head becomes `(x0·c − x1·s, x0·s + x1·c)`, each rounded
/// half away from zero and saturated to `i32`.
pub fn rope(x: &mut [i32], table: &[u8], head_dim: usize) -> Result<(), ShapeError> {
    if head_dim == 0
        || !head_dim.is_multiple_of(2)
        || !x.len().is_multiple_of(head_dim)
        || table.len() != 4 * head_dim
    {
        return Err(ShapeError("rope: lengths"));
    }
    for head in x.chunks_exact_mut(head_dim) {
        for (i, pair) in head.chunks_exact_mut(2).enumerate() {
            let (x0, x1) = (i64::from(pair[0]), i64::from(pair[1]));
            let (c, s) = (
                i64::from(i32_le(table, 2 * i)),
                i64::from(i32_le(table, 2 * i + 1)),
            );
            pair[0] = sat_i32(shr_round(x0 * c - x1 * s, ROPE_FRAC));
            pair[1] = sat_i32(shr_round(x0 * s + x1 * c, ROPE_FRAC));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::llm::fixed::ACT_FRAC;
    use crate::llm::quant::tests::Rng;
    use std::vec::Vec;

    const ONE: f64 = (1u64 << ACT_FRAC) as f64;

    #[test]
    fn rope_rotates_adjacent_pairs_like_float() {
        let mut rng = Rng(9);
        let (heads, hd, base, pos) = (3usize, 16usize, 10_000f64, 37f64);
        let xf: Vec<f64> = (0..heads * hd).map(|_| rng.f() * 5.0).collect();
        let mut x: Vec<i32> = xf.iter().map(|v| (v * ONE).round() as i32).collect();
        let mut table = Vec::new();
        for i in 0..hd / 2 {
            let theta = pos / base.powf(2.0 * i as f64 / hd as f64);
            table.push((theta.cos() * 2f64.powi(30)).round() as i32);
            table.push((theta.sin() * 2f64.powi(30)).round() as i32);
        }
        let table: Vec<u8> = table.iter().flat_map(|v: &i32| v.to_le_bytes()).collect();
        rope(&mut x, &table, hd).unwrap();
        for h in 0..heads {
            for i in 0..hd / 2 {
                let theta = pos / base.powf(2.0 * i as f64 / hd as f64);
                let (a, b) = (xf[h * hd + 2 * i], xf[h * hd + 2 * i + 1]);
                let want = [
                    a * theta.cos() - b * theta.sin(),
                    a * theta.sin() + b * theta.cos(),
                ];
                for k in 0..2 {
                    let got = f64::from(x[h * hd + 2 * i + k]) / ONE;
                    assert!((got - want[k]).abs() < 2.0 / ONE, "head {h} pair {i}");
                }
            }
        }
        assert!(rope(&mut x, &table[..4 * hd - 8], hd).is_err());
    }
}
