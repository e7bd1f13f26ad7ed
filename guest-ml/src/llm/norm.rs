//! RMSNorm with an integer reciprocal square root, and the residual add.

use super::fixed::{bit_len, i32_le, isqrt, sat_i32, scale_pow2, shr_round, ACT_FRAC};
use crate::ShapeError;

/// Most elements of one normalized vector: the sum of squares (each below 2^48) must
/// fit in a `u64`.
pub const MAX_NORM_LEN: usize = 1 << 15;

/// A positive real number `mantissa · 2^-shift` (the RMSNorm epsilon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    /// Integer mantissa.
    pub mantissa: u32,
    /// Power-of-two exponent, negated.
    pub shift: u32,
}

/// `out = x / sqrt(mean(x²) + eps) · w`, with `x` and `out` in QF and `w` (little-endian
/// `i32` bytes) in units of `2^-w_shift`.
///
/// Integer steps: `r` = the bit length of the largest `|x|` minus 24 (may be
/// negative); `xs = x · 2^-r` (a floor shift right, or an exact shift left), so the
/// largest `|xs|` has 24 bits; `v = floor(Σ xs² / n) + eps` in units of `2^(2r − 2F)` (at least 1); `v`
/// is scaled by `4^t` into `[2^60, 2^62)` and `sq = isqrt(v·4^t)` (Newton); `R =
/// floor(2^62 / sq)`; then, with `c` = 8 + the bit length of the largest `|xs|`,
/// `out = round(round(xs·R / 2^c) · w · 2^(t − w_shift + F − 62 + c))`, saturated to
/// `i32`. Every intermediate keeps at least 24 significant bits of the largest element.
pub fn rmsnorm(
    x: &[i32],
    w: &[u8],
    w_shift: i32,
    eps: Fixed,
    out: &mut [i32],
) -> Result<(), ShapeError> {
    let n = x.len();
    if n == 0 || n > MAX_NORM_LEN || w.len() != 4 * n || out.len() != n {
        return Err(ShapeError("rmsnorm: lengths"));
    }
    let max = x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    let r = bit_len(u64::from(max)) as i32 - 24;
    let scale = |v: i32| {
        if r >= 0 {
            i64::from(v) >> r
        } else {
            i64::from(v) << -r
        }
    };
    let ss = x.iter().fold(0u64, |s, &v| {
        let xs = scale(v);
        s + (xs * xs) as u64
    });
    let mean = ss / n as u64;
    let eps_e = 2 * ACT_FRAC as i32 - 2 * r - eps.shift.min(255) as i32;
    let eps_u = scale_pow2(i64::from(eps.mantissa), eps_e) as u64;
    let v = mean.saturating_add(eps_u).max(1);
    let p = bit_len(v) as i32 - 1;
    let t = (61 - p).div_euclid(2);
    let vn = if t >= 0 { v << (2 * t) } else { v >> (-2 * t) };
    let sq = isqrt(vn).max(1);
    let recip = ((1u64 << 62) / sq) as i64;
    // xs·R < 2^(b + 32) with b the bits of the largest xs; keep 24 bits of it.
    let c = bit_len(scale(max.min(i32::MAX as u32) as i32).unsigned_abs()) + 8;
    let e = t - w_shift + ACT_FRAC as i32 - 62 + c as i32;
    for (i, (o, &xv)) in out.iter_mut().zip(x).enumerate() {
        let xs = scale(xv);
        let h = shr_round(xs * recip, c);
        *o = sat_i32(scale_pow2(h * i64::from(i32_le(w, i)), e));
    }
    Ok(())
}

/// Residual add: `out[i] = a[i] + b[i]`, saturating.
pub fn add(a: &[i32], b: &[i32], out: &mut [i32]) -> Result<(), ShapeError> {
    if a.len() != b.len() || out.len() != a.len() {
        return Err(ShapeError("add: lengths"));
    }
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x.saturating_add(y);
    }
    Ok(())
}

/// Residual add in place: `acc[i] += b[i]`, saturating.
pub fn add_assign(acc: &mut [i32], b: &[i32]) -> Result<(), ShapeError> {
    if acc.len() != b.len() {
        return Err(ShapeError("add: lengths"));
    }
    for (o, &y) in acc.iter_mut().zip(b) {
        *o = o.saturating_add(y);
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

    #[test]
    fn rmsnorm_matches_float() {
        let mut rng = Rng(3);
        for (n, scale, wscale, w_shift) in [
            (64, 1.0, 1.0, 24),
            (576, 0.01, 3.0, 22),
            (96, 300.0, 0.05, 28),
            (32, 1e-4, 1.0, 24),
        ] {
            let xf: Vec<f64> = (0..n).map(|_| rng.f() * scale).collect();
            let x: Vec<i32> = xf.iter().map(|v| (v * ONE).round() as i32).collect();
            let w: Vec<i32> = (0..n)
                .map(|_| ((1.0 + rng.f()) * wscale * 2f64.powi(w_shift)).round() as i32)
                .collect();
            let eps = 1e-5;
            let fixed = Fixed {
                mantissa: (eps * 2f64.powi(46)).round() as u32,
                shift: 46,
            };
            let mut out = vec![0i32; n];
            let wb: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
            rmsnorm(&x, &wb, w_shift, fixed, &mut out).unwrap();
            let xr: Vec<f64> = x.iter().map(|&v| f64::from(v) / ONE).collect();
            let ms = xr.iter().map(|v| v * v).sum::<f64>() / n as f64;
            let inv = 1.0 / (ms + eps).sqrt();
            let mut worst = 0f64;
            let mut range = 0f64;
            for i in 0..n {
                let want = xr[i] * inv * f64::from(w[i]) * 2f64.powi(-w_shift);
                let got = f64::from(out[i]) / ONE;
                worst = worst.max((got - want).abs());
                range = range.max(want.abs());
            }
            // Inputs beyond 24 bits are truncated to 24 bits; otherwise only roundings.
            assert!(
                worst <= 1e-6 * range + 2.0 / ONE,
                "n {n} scale {scale}: {worst} (range {range})"
            );
        }
    }

    #[test]
    fn add_saturates() {
        let mut out = [0; 3];
        add(&[1, i32::MAX, -5], &[2, 1, -7], &mut out).unwrap();
        assert_eq!(out, [3, i32::MAX, -12]);
        let mut acc = [i32::MIN, 4];
        add_assign(&mut acc, &[-1, 4]).unwrap();
        assert_eq!(acc, [i32::MIN, 8]);
        assert!(add(&[1], &[1, 2], &mut out).is_err());
    }
}
