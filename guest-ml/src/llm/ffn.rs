//! SwiGLU: `silu(gate) · up` with a fixed-point sigmoid.

use super::fixed::{div_round, exp_neg, sat_i32, shr_round, ONE_Q30};
use crate::ShapeError;

/// `sigmoid(x)` in Q30 for `x` in Q16: `1 / (1 + exp(−x))` for `x ≥ 0`, `e / (1 + e)`
/// with `e = exp(x)` for `x < 0` (so the exponential never exceeds 1), each quotient
/// rounded half away from zero.
pub fn sigmoid_q30(x: i32) -> i64 {
    let x = i64::from(x);
    let e = exp_neg(x.abs());
    if x >= 0 {
        div_round(ONE_Q30 << 30, ONE_Q30 + e)
    } else {
        div_round(e << 30, ONE_Q30 + e)
    }
}

/// `out[i] = silu(gate[i]) · up[i]` in Q16, where `silu(g) = g · sigmoid(g)`:
/// `round(round(g · sigmoid_q30(g) / 2^30) · up / 2^16)`, saturated to `i32`.
pub fn swiglu(gate: &[i32], up: &[i32], out: &mut [i32]) -> Result<(), ShapeError> {
    if gate.len() != up.len() || out.len() != gate.len() {
        return Err(ShapeError("swiglu: lengths"));
    }
    for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
        let silu = shr_round(i64::from(g) * sigmoid_q30(g), 30);
        *o = sat_i32(shr_round(silu * i64::from(u), 16));
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

    #[test]
    fn swiglu_matches_float() {
        let mut rng = Rng(21);
        let gf: Vec<f64> = (0..500)
            .map(|i| rng.f() * if i % 2 == 0 { 3.0 } else { 40.0 })
            .collect();
        let uf: Vec<f64> = (0..500).map(|_| rng.f() * 8.0).collect();
        let q = |v: &f64| (v * 65536.0).round() as i32;
        let (g, u): (Vec<i32>, Vec<i32>) = (gf.iter().map(q).collect(), uf.iter().map(q).collect());
        let mut out = vec![0i32; 500];
        swiglu(&g, &u, &mut out).unwrap();
        for i in 0..500 {
            let (gr, ur) = (f64::from(g[i]) / 65536.0, f64::from(u[i]) / 65536.0);
            let want = gr / (1.0 + (-gr).exp()) * ur;
            let got = f64::from(out[i]) / 65536.0;
            assert!(
                (got - want).abs() < 1e-4 + 1e-6 * want.abs(),
                "{gr} {ur}: {got} vs {want}"
            );
        }
        assert_eq!(sigmoid_q30(0), ONE_Q30 / 2);
        assert_eq!(sigmoid_q30(i32::MAX), ONE_Q30);
        assert_eq!(sigmoid_q30(i32::MIN), 0);
        assert!(swiglu(&g, &u[1..], &mut out).is_err());
    }
}
