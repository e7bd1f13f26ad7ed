//! Fixed-point helpers shared by the LLM kernels: rounding shifts and divisions, an
//! integer square root, and `exp(-d)` as `2^-(d·log2 e)` with a polynomial for the
//! fractional power of two.
//!
//! Rounding is half away from zero everywhere (as `roundf`); results that may exceed
//! their type saturate. Nothing here depends on the width of `usize`.

/// Fractional bits `F` of every int32 activation of the LLM graph (the residual stream,
/// norms, projections, attention outputs, logits): value `v` means `v / 2^F` ("QF").
/// 12 bits leave the residual stream a range of ±2^19: SmolLM2-135M's reaches 25 924
/// (an attention-sink outlier), which Q16's ±32 768 would barely hold.
pub const ACT_FRAC: u32 = 12;

/// `x` in QF as Q16 (for [`exp_neg`]), saturated.
pub fn act_to_q16(x: i64) -> i64 {
    scale_pow2(x, 16 - ACT_FRAC as i32)
}

/// `round(v / 2^s)`, ties away from zero, for `s` in `0..=62`.
pub fn shr_round(v: i64, s: u32) -> i64 {
    if s == 0 {
        return v;
    }
    let s = s.min(62);
    let half = 1i64 << (s - 1);
    if v >= 0 {
        (v >> s) + i64::from((v & ((1i64 << s) - 1)) >= half)
    } else {
        let m = v.unsigned_abs();
        let q = (m >> s) + u64::from((m & ((1u64 << s) - 1)) >= half as u64);
        -(q as i64)
    }
}

/// `v · 2^e`, rounded half away from zero when `e < 0`, saturated to `i64` when
/// `e > 0`.
pub fn scale_pow2(v: i64, e: i32) -> i64 {
    if e >= 0 {
        let e = e.unsigned_abs().min(63);
        if v == 0 {
            return 0;
        }
        let limit = i64::MAX >> e;
        if v > limit {
            i64::MAX
        } else if v < -limit {
            i64::MIN
        } else {
            v << e
        }
    } else {
        shr_round(v, e.unsigned_abs().min(62))
    }
}

/// `round(n / d)`, ties away from zero; `d > 0` (0 when `d <= 0`).
pub fn div_round(n: i64, d: i64) -> i64 {
    if d <= 0 {
        return 0;
    }
    let (m, du) = (n.unsigned_abs(), d as u64);
    let q = m / du + u64::from(m % du >= du - du / 2);
    if n >= 0 {
        q as i64
    } else {
        (q as i64).wrapping_neg() // q = 2^63 only for i64::MIN / 1
    }
}

/// Element `i` of a little-endian `i32` array held as bytes (image tensors are bytes:
/// reading them this way needs no alignment and no `unsafe`).
pub fn i32_le(b: &[u8], i: usize) -> i32 {
    i32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// Saturates to `i32`.
pub fn sat_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Number of significant bits of `v` (0 for 0).
pub fn bit_len(v: u64) -> u32 {
    64 - v.leading_zeros()
}

/// `floor(sqrt(v))`, by Newton's iteration from above.
pub fn isqrt(v: u64) -> u64 {
    if v < 2 {
        return v;
    }
    // 2^ceil(bits/2) >= sqrt(v): a start from above, so the iteration decreases
    // monotonically to the floor of the root.
    let mut x = 1u64 << bit_len(v).div_ceil(2);
    loop {
        let y = (x + v / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// One in Q30.
pub const ONE_Q30: i64 = 1 << 30;

/// `log2(e)` in Q30.
const LOG2E_Q30: i64 = 1_549_082_005;

/// `(-ln 2)^k / k!` in Q30 for `k = 0..=10`: Taylor coefficients of `2^-f`. On
/// `f ∈ [0, 1)` the truncation error is below `(ln 2)^11 / 11! < 5·10⁻¹⁰`.
const EXP2_NEG_POLY: [i64; 11] = [
    1_073_741_824,
    -744_261_118,
    257_941_248,
    -59_597_083,
    10_327_387,
    -1_431_680,
    165_394,
    -16_377,
    1_419,
    -109,
    8,
];

/// `2^-f` in Q30 for `f ∈ [0, 2^30)` in Q30 (Horner on [`EXP2_NEG_POLY`]).
fn exp2_neg_frac(f: i64) -> i64 {
    let mut acc = EXP2_NEG_POLY[10];
    for &c in EXP2_NEG_POLY[..10].iter().rev() {
        acc = c + shr_round(acc * f, 30);
    }
    acc
}

/// Largest `d` (in Q16) for which [`exp_neg`] is computed; beyond it `exp(-d)` is
/// below `2^-30` and the result is 0.
const EXP_D_MAX_Q16: i64 = 22 << 16;

/// `exp(-d)` in Q30 for `d >= 0` in Q16 (negative `d` is taken as 0): `2^-(d·log2 e)`,
/// the integer part of the exponent as a rounding shift, the fraction by
/// a degree-10 polynomial. Absolute error below `3·10⁻⁹` (a few units of Q30).
pub fn exp_neg(d_q16: i64) -> i64 {
    let d = d_q16.max(0);
    if d > EXP_D_MAX_Q16 {
        return 0;
    }
    let y = (d * LOG2E_Q30) >> 16; // exponent of 2 in Q30, d < 2^21 so no overflow
    let int = (y >> 30) as u32;
    let frac = y & (ONE_Q30 - 1);
    shr_round(exp2_neg_frac(frac), int)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn shr_round_and_div_round_round_half_away_from_zero() {
        assert_eq!(shr_round(5, 1), 3);
        assert_eq!(shr_round(-5, 1), -3);
        assert_eq!(shr_round(4, 1), 2);
        assert_eq!(shr_round(-7, 2), -2);
        assert_eq!(div_round(7, 2), 4);
        assert_eq!(div_round(-7, 2), -4);
        assert_eq!(div_round(10, 3), 3);
        assert_eq!(div_round(-11, 3), -4);
        assert_eq!(div_round(i64::MIN, 1), i64::MIN);
        assert_eq!(scale_pow2(3, 2), 12);
        assert_eq!(scale_pow2(-3, -1), -2);
        assert_eq!(scale_pow2(1 << 62, 4), i64::MAX);
        assert_eq!(scale_pow2(-(1 << 62), 4), i64::MIN);
    }

    #[test]
    fn isqrt_is_the_floor_of_the_root() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for v in (0..2000u64).chain([u64::MAX, u64::MAX - 1, 1 << 62, (1 << 62) - 1]) {
            let r = isqrt(v);
            assert!(
                r * r <= v && (r + 1).checked_mul(r + 1).is_none_or(|q| q > v),
                "{v}"
            );
        }
        for _ in 0..10_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = s >> (s % 64);
            let r = isqrt(v);
            assert!(
                r * r <= v && (r + 1).checked_mul(r + 1).is_none_or(|q| q > v),
                "{v}"
            );
        }
    }

    #[test]
    fn exp_neg_matches_float_exp() {
        let mut worst = 0f64;
        for i in 0..=(30 << 16) / 97 {
            let d = i * 97;
            let got = exp_neg(d) as f64 / ONE_Q30 as f64;
            let want = (-(d as f64) / 65536.0).exp();
            worst = worst.max((got - want).abs());
        }
        assert!(worst < 3e-9, "max abs error {worst}");
        assert_eq!(exp_neg(0), ONE_Q30);
        assert_eq!(exp_neg(-5), ONE_Q30);
    }

    #[test]
    fn polynomial_constants_are_the_taylor_coefficients() {
        let ln2 = core::f64::consts::LN_2;
        let mut c = 1f64;
        for (k, &q) in EXP2_NEG_POLY.iter().enumerate() {
            if k > 0 {
                c *= -ln2 / k as f64;
            }
            assert_eq!(q, (c * (1u64 << 30) as f64).round() as i64, "k = {k}");
        }
        assert_eq!(
            LOG2E_Q30,
            (core::f64::consts::LOG2_E * (1u64 << 30) as f64).round() as i64
        );
    }
}
