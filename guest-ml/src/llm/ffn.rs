//! SwiGLU: `silu(gate) · up` with a fixed-point sigmoid.

use super::fixed::{act_to_q16, div_round, exp_neg, sat_i32, shr_round, ACT_FRAC, ONE_Q30};
use crate::ShapeError;

/// `sigmoid(x)` in Q30 for `x` in QF: `1 / (1 + exp(−x))` for `x ≥ 0`, `e / (1 + e)`
/// with `e = exp(x)` for `x < 0` (so the exponential never exceeds 1), each quotient
/// rounded half away from zero.
pub fn sigmoid_q30(x: i32) -> i64 {
    let x = i64::from(x);
    let e = exp_neg(act_to_q16(x.abs()));
    if x >= 0 {
        div_round(ONE_Q30 << 30, ONE_Q30 + e)
    } else {
        div_round(e << 30, ONE_Q30 + e)
    }
}

/// `out[i] = silu(gate[i]) · up[i]` in QF, where `silu(g) = g · sigmoid(g)`:
/// `silu` is kept with 8 extra fractional bits: `round(round(g · sigmoid_q30(g) /
/// 2^22) · up / 2^(F + 8))`, the product saturating in `i64` (unreachable for
/// |g|, |up| < 2^23), the result saturated to `i32`.
pub fn swiglu(gate: &[i32], up: &[i32], out: &mut [i32]) -> Result<(), ShapeError> {
    if gate.len() != up.len() || out.len() != gate.len() {
        return Err(ShapeError("swiglu: lengths"));
    }
    for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
        let silu = shr_round(i64::from(g) * sigmoid_q30(g), 22);
        *o = sat_i32(shr_round(silu.saturating_mul(i64::from(u)), ACT_FRAC + 8));
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
    fn swiglu_matches_float() {
        let mut rng = Rng(21);
        let gf: Vec<f64> = (0..500)
            .map(|i| rng.f() * if i % 2 == 0 { 3.0 } else { 40.0 })
            .collect();
        let uf: Vec<f64> = (0..500).map(|_| rng.f() * 8.0).collect();
        let q = |v: &f64| (v * ONE).round() as i32;
        let (g, u): (Vec<i32>, Vec<i32>) = (gf.iter().map(q).collect(), uf.iter().map(q).collect());
        let mut out = vec![0i32; 500];
        swiglu(&g, &u, &mut out).unwrap();
        for i in 0..500 {
            let (gr, ur) = (f64::from(g[i]) / ONE, f64::from(u[i]) / ONE);
            let want = gr / (1.0 + (-gr).exp()) * ur;
            let got = f64::from(out[i]) / ONE;
            assert!(
                (got - want).abs() < 1e-4 + 2.0 / ONE + 1e-6 * want.abs(),
                "{gr} {ur}: {got} vs {want}"
            );
        }
        assert_eq!(sigmoid_q30(0), ONE_Q30 / 2);
        assert_eq!(sigmoid_q30(i32::MAX), ONE_Q30);
        assert_eq!(sigmoid_q30(i32::MIN), 0);
        assert!(swiglu(&g, &u[1..], &mut out).is_err());
    }
}
