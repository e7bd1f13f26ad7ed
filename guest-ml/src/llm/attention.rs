//! Causal grouped-query attention over a KV cache, with an integer softmax.

use super::fixed::{act_to_q16, div_round, exp_neg, sat_i32, shr_round, ACT_FRAC};
use crate::ShapeError;

/// Largest head width (the per-head accumulators live on the stack).
pub const MAX_HEAD_DIM: usize = 256;
/// Fractional bits of the score multiplier `1 / sqrt(head_dim)`.
pub const SCORE_MUL_FRAC: u32 = 24;
/// The softmax weights are `exp(s − max)` in Q30 shifted down to Q22, so that
/// `weight · v` (v below 2^31) summed over 2^9 positions cannot leave `i64`; for longer
/// contexts the sum wraps explicitly (values of |v| ≥ 2^24 over more than 2^15
/// positions).
const WEIGHT_SHIFT: u32 = 8;

/// Head counts and widths of an attention node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttnShape {
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads (divides `n_heads`; query head `h` reads KV head
    /// `h / (n_heads / n_kv_heads)`).
    pub n_kv_heads: usize,
    /// Width of a head (≤ [`MAX_HEAD_DIM`]).
    pub head_dim: usize,
    /// `1 / sqrt(head_dim)` in Q24.
    pub score_mul: i64,
}

impl AttnShape {
    /// Whether the counts fit together.
    pub fn is_valid(&self) -> bool {
        self.n_heads > 0
            && self.n_kv_heads > 0
            && self.n_heads.is_multiple_of(self.n_kv_heads)
            && (1..=MAX_HEAD_DIM).contains(&self.head_dim)
            && self.score_mul > 0
    }

    /// Width of a KV cache row (`None` if it overflows `usize`).
    pub fn kv_dim(&self) -> Option<usize> {
        self.n_kv_heads.checked_mul(self.head_dim)
    }
}

/// Attention of one query over the first `n_pos` rows of the caches.
///
/// `q` is `[n_heads · head_dim]`, `k_cache` and `v_cache` are rows of `kv_dim` (row `t`
/// = position `t`), all QF; `scores` (at least `n_pos` entries) is scratch and ends
/// holding the Q22 softmax weights of the last head. Per head: score `s_t =
/// round(round(q·k_t / 2^F) · score_mul / 2^24)` (QF; the dot product in wrapping
/// `i64`); weights `e_t = round(exp_neg(max − s_t) / 2^8)` (Q22); output
/// `round(Σ e_t v_t / Σ e_t)` (QF, saturated). Only positions `< n_pos` are read: the
/// caller passes `pos + 1`, which makes it causal.
pub fn attention(
    q: &[i32],
    k_cache: &[i32],
    v_cache: &[i32],
    n_pos: usize,
    shape: AttnShape,
    scores: &mut [i32],
    out: &mut [i32],
) -> Result<(), ShapeError> {
    let hd = shape.head_dim;
    let (Some(kvd), Some(q_len)) = (shape.kv_dim(), shape.n_heads.checked_mul(hd)) else {
        return Err(ShapeError("attention: sizes overflow"));
    };
    let rows_needed = n_pos.checked_mul(kvd);
    if !shape.is_valid()
        || n_pos == 0
        || q.len() != q_len
        || out.len() != q.len()
        || scores.len() < n_pos
        || rows_needed.is_none_or(|r| r > k_cache.len() || r > v_cache.len())
    {
        return Err(ShapeError("attention: lengths"));
    }
    let group = shape.n_heads / shape.n_kv_heads;
    for (h, (qh, oh)) in q.chunks_exact(hd).zip(out.chunks_exact_mut(hd)).enumerate() {
        let kv_off = (h / group) * hd;
        let mut max = i32::MIN;
        for (t, s) in scores[..n_pos].iter_mut().enumerate() {
            let k = &k_cache[t * kvd + kv_off..t * kvd + kv_off + hd];
            let dot = qh.iter().zip(k).fold(0i64, |acc, (&a, &b)| {
                acc.wrapping_add(i64::from(a) * i64::from(b))
            });
            let v = sat_i32(shr_round(
                shr_round(dot, ACT_FRAC).wrapping_mul(shape.score_mul),
                SCORE_MUL_FRAC,
            ));
            max = max.max(v);
            *s = v;
        }
        let mut den = 0i64;
        for s in scores[..n_pos].iter_mut() {
            let d = act_to_q16(i64::from(max) - i64::from(*s));
            let e = shr_round(exp_neg(d), WEIGHT_SHIFT);
            den += e;
            *s = e as i32;
        }
        // The maximum contributes exp(0) = 2^22, so den > 0.
        let mut acc = [0i64; MAX_HEAD_DIM];
        let acc = &mut acc[..hd];
        for (t, &e) in scores[..n_pos].iter().enumerate() {
            if e == 0 {
                continue;
            }
            let v = &v_cache[t * kvd + kv_off..t * kvd + kv_off + hd];
            for (a, &x) in acc.iter_mut().zip(v) {
                *a = a.wrapping_add(i64::from(e) * i64::from(x));
            }
        }
        for (o, &a) in oh.iter_mut().zip(acc.iter()) {
            *o = sat_i32(div_round(a, den));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::llm::quant::tests::Rng;
    use std::vec;
    use std::vec::Vec;

    const ONE: f64 = (1u64 << ACT_FRAC) as f64;

    fn check(n_heads: usize, n_kv_heads: usize, hd: usize, n_pos: usize, scale: f64) {
        let mut rng = Rng(31 + n_pos as u64);
        let kvd = n_kv_heads * hd;
        let q16 = |v: f64| (v * ONE).round() as i32;
        let q: Vec<i32> = (0..n_heads * hd).map(|_| q16(rng.f() * scale)).collect();
        let k: Vec<i32> = (0..(n_pos + 3) * kvd)
            .map(|_| q16(rng.f() * scale))
            .collect();
        let v: Vec<i32> = (0..(n_pos + 3) * kvd).map(|_| q16(rng.f() * 4.0)).collect();
        let shape = AttnShape {
            n_heads,
            n_kv_heads,
            head_dim: hd,
            score_mul: ((1u64 << 24) as f64 / (hd as f64).sqrt()).round() as i64,
        };
        let mut scores = vec![0i32; n_pos + 3];
        let mut out = vec![0i32; n_heads * hd];
        attention(&q, &k, &v, n_pos, shape, &mut scores, &mut out).unwrap();
        let f = |x: i32| f64::from(x) / ONE;
        for h in 0..n_heads {
            let g = h / (n_heads / n_kv_heads);
            let s: Vec<f64> = (0..n_pos)
                .map(|t| {
                    (0..hd)
                        .map(|d| f(q[h * hd + d]) * f(k[t * kvd + g * hd + d]))
                        .sum::<f64>()
                        / (hd as f64).sqrt()
                })
                .collect();
            let m = s.iter().cloned().fold(f64::MIN, f64::max);
            let e: Vec<f64> = s.iter().map(|x| (x - m).exp()).collect();
            let z: f64 = e.iter().sum();
            for d in 0..hd {
                let want: f64 = (0..n_pos)
                    .map(|t| e[t] / z * f(v[t * kvd + g * hd + d]))
                    .sum();
                let got = f(out[h * hd + d]);
                assert!(
                    (got - want).abs() < 2e-4 + 2.0 / ONE,
                    "heads {n_heads}/{n_kv_heads} pos {n_pos} h {h} d {d}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn attention_matches_float_softmax_attention() {
        check(4, 4, 16, 1, 1.0); // one position: the output is v_0
        check(4, 4, 16, 9, 1.0); // no GQA
        check(6, 2, 8, 17, 2.0); // GQA, 3 query heads per KV head
        check(2, 1, 64, 40, 0.7); // MQA
    }

    #[test]
    fn attention_reads_only_the_first_positions() {
        let shape = AttnShape {
            n_heads: 1,
            n_kv_heads: 1,
            head_dim: 2,
            score_mul: 1 << 24,
        };
        let k = [0, 0, 1 << 20, 1 << 20];
        let v = [
            5 << ACT_FRAC,
            -(3 << ACT_FRAC),
            100 << ACT_FRAC,
            100 << ACT_FRAC,
        ];
        let mut scores = [0; 2];
        let mut out = [0; 2];
        attention(
            &[1 << ACT_FRAC, 1 << ACT_FRAC],
            &k,
            &v,
            1,
            shape,
            &mut scores,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [5 << ACT_FRAC, -(3 << ACT_FRAC)]);
        assert!(attention(&[0, 0], &k, &v, 3, shape, &mut [0; 3], &mut out).is_err());
    }
}
