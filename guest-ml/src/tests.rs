//! Kernels against straightforward `i64` reference implementations, over random shapes.

extern crate std;

use crate::kernels::*;
use proptest::prelude::*;
use std::{vec, vec::Vec};

fn i8s(n: usize) -> impl Strategy<Value = Vec<i8>> {
    proptest::collection::vec(any::<i8>(), n)
}

proptest! {
    #[test]
    fn gemv_and_gemm_match_the_reference((m, n, k) in (1usize..6, 1usize..6, 1usize..40),
                                         seed in any::<u64>()) {
        let mut s = seed | 1;
        let mut next = || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s as i8 };
        let a: Vec<i8> = (0..m * k).map(|_| next()).collect();
        let b: Vec<i8> = (0..n * k).map(|_| next()).collect();
        let mut out = vec![0i32; m * n];
        gemm_i8(&a, &b, k, &mut out).unwrap();
        for r in 0..m {
            for c in 0..n {
                let want: i64 = (0..k).map(|j| i64::from(a[r * k + j]) * i64::from(b[c * k + j])).sum();
                prop_assert_eq!(i64::from(out[r * n + c]), want);
            }
        }
        let mut v = vec![0i32; n];
        gemv_i8(&b, &a[..k], &mut v).unwrap();
        prop_assert_eq!(&v[..], &out[..n]);
    }

    #[test]
    fn conv2d_matches_the_reference((c, h, w, o, k, stride, pad) in
            (1usize..3, 1usize..7, 1usize..7, 1usize..3, 1usize..4, 1usize..3, 0usize..2),
            data in i8s(3 * 7 * 7 + 3 * 3 * 4 * 4)) {
        let window = Window { size: k, stride, padding: pad.min(k - 1) };
        let shape = Spatial { input: [c, h, w], window };
        let Ok((oh, ow)) = shape.out_hw() else { return Ok(()); };
        let input = &data[..c * h * w];
        let weights = &data[c * h * w..c * h * w + o * c * k * k];
        let mut out = vec![0i32; o * oh * ow];
        conv2d_i8(input, shape, weights, &mut out).unwrap();
        let p = window.padding as i64;
        for oc in 0..o { for y in 0..oh { for x in 0..ow {
            let mut want = 0i64;
            for ic in 0..c { for ky in 0..k { for kx in 0..k {
                let iy = (y * stride + ky) as i64 - p;
                let ix = (x * stride + kx) as i64 - p;
                if (0..h as i64).contains(&iy) && (0..w as i64).contains(&ix) {
                    want += i64::from(input[(ic * h + iy as usize) * w + ix as usize])
                        * i64::from(weights[((oc * c + ic) * k + ky) * k + kx]);
                }
            }}}
            prop_assert_eq!(i64::from(out[(oc * oh + y) * ow + x]), want);
        }}}
    }

    #[test]
    fn requantize_rounds_half_away_from_zero(v in any::<i32>(), m in (1i32 << 30)..i32::MAX,
                                             shift in -5i32..20) {
        let q = Requant { multiplier: m, shift };
        let exact = i128::from(v) * i128::from(m);
        let d = 1i128 << (31 + shift);
        let want = if exact >= 0 { (2 * exact + d) / (2 * d) } else { -((-2 * exact + d) / (2 * d)) };
        let want = want.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32;
        prop_assert_eq!(q.apply(v), want);
        let mut out = [0i8];
        requantize(&[v], q, &mut out).unwrap();
        prop_assert_eq!(i32::from(out[0]), want.clamp(-128, 127));
    }

    #[test]
    fn pooling_matches_the_reference((c, h, w, k, s) in (1usize..3, 1usize..8, 1usize..8, 1usize..4, 1usize..3),
                                     data in i8s(2 * 8 * 8)) {
        let shape = Spatial { input: [c, h, w], window: Window { size: k, stride: s, padding: 0 } };
        let Ok((oh, ow)) = shape.out_hw() else { return Ok(()); };
        let input = &data[..c * h * w];
        let (mut max, mut avg) = (vec![0i8; c * oh * ow], vec![0i8; c * oh * ow]);
        pool_i8(input, shape, Pool::Max, &mut max).unwrap();
        pool_i8(input, shape, Pool::Avg, &mut avg).unwrap();
        for ch in 0..c { for y in 0..oh { for x in 0..ow {
            let win: Vec<i64> = (0..k * k).map(|j| i64::from(input[(ch * h + y * s + j / k) * w + x * s + j % k])).collect();
            let sum: i64 = win.iter().sum();
            let n = (k * k) as i64;
            let mean = if sum >= 0 { (2 * sum + n) / (2 * n) } else { -((-2 * sum + n) / (2 * n)) };
            prop_assert_eq!(i64::from(max[(ch * oh + y) * ow + x]), *win.iter().max().unwrap());
            prop_assert_eq!(i64::from(avg[(ch * oh + y) * ow + x]), mean);
        }}}
    }

    #[test]
    fn softmax_is_close_to_the_real_one(logits in proptest::collection::vec(-3000i32..3000, 1..12)) {
        // Scale 1/1000 per logit unit: Q16 multiplier 65.536 = 0.512 · 2^7.
        let scale = Requant { multiplier: 1_099_511_628, shift: -7 };
        let mut out = vec![0i32; logits.len()];
        softmax_q16(&logits, scale, &mut out).unwrap();
        let max = *logits.iter().max().unwrap() as f64;
        let e: Vec<f64> = logits.iter().map(|&l| ((l as f64 - max) / 1000.0).exp()).collect();
        let sum: f64 = e.iter().sum();
        for (o, x) in out.iter().zip(&e) {
            prop_assert!((f64::from(*o) / 65536.0 - x / sum).abs() < 2e-3, "{} vs {}", o, x / sum);
        }
    }
}

#[test]
fn relu_bias_and_argmax() {
    let mut a = [-3i8, 0, 5];
    relu_i8(&mut a);
    assert_eq!(a, [0, 0, 5]);
    let mut acc = [1i32, 2, 3, 4];
    add_bias(&mut acc, &[10, -10]).unwrap();
    assert_eq!(acc, [11, 12, -7, -6]);
    relu_i32(&mut acc);
    assert_eq!(acc, [11, 12, 0, 0]);
    assert_eq!(argmax(&[1, 7, 7, 2]), Some(1));
    assert_eq!(argmax(&[]), None);
    assert!(add_bias(&mut acc, &[1, 2, 3]).is_err());
}
