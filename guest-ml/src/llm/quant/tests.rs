//! The block kernels against float references computed here.

extern crate std;

use super::*;
use crate::llm::fixed::ACT_FRAC;

const ONE: f64 = (1u64 << ACT_FRAC) as f64;
use std::vec;
use std::vec::Vec;

/// xorshift64.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [-1, 1).
    pub fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Random weight blocks of `rows × k`, and their real values (scale unit `2^-shift`).
fn random_weights(
    rng: &mut Rng,
    ty: WeightType,
    rows: usize,
    k: usize,
    shift: i32,
) -> (Vec<u8>, Vec<f64>) {
    let unit = 2f64.powi(-shift);
    let mut bytes = Vec::new();
    let mut real = vec![0f64; rows * k];
    for b in 0..rows * k / QK {
        let d = (rng.next() % 30000) as i16 - 15000;
        let m = (rng.next() % 30000) as i16 - 15000;
        bytes.extend(d.to_le_bytes());
        if ty == WeightType::Q4_1 {
            bytes.extend(m.to_le_bytes());
        }
        let base = b * QK;
        match ty {
            WeightType::Q8_0 => {
                for j in 0..QK {
                    let q = rng.next() as i8;
                    bytes.push(q as u8);
                    real[base + j] = f64::from(d) * unit * f64::from(q);
                }
            }
            _ => {
                for j in 0..16 {
                    let (lo, hi) = ((rng.next() % 16) as u8, (rng.next() % 16) as u8);
                    bytes.push(lo | hi << 4);
                    let val = |q: u8| match ty {
                        WeightType::Q4_0 => f64::from(d) * unit * (f64::from(q) - 8.0),
                        _ => f64::from(d) * unit * f64::from(q) + f64::from(m) * unit,
                    };
                    real[base + j] = val(lo);
                    real[base + j + 16] = val(hi);
                }
            }
        }
    }
    (bytes, real)
}

fn q16(x: f64) -> i32 {
    (x * ONE).round() as i32
}

#[test]
fn quantized_activations_dequantize_to_the_input() {
    let mut rng = Rng(7);
    for scale in [1e-3, 0.5, 3.0, 200.0] {
        let x: Vec<i32> = (0..96).map(|_| q16(rng.f() * scale)).collect();
        let mut a = vec![0i32; act_words(96)];
        quantize_act(&x, &mut a).unwrap();
        let sh = a[0];
        for (b, blk) in a[1..].chunks_exact(ACT_BLOCK_WORDS).enumerate() {
            let q = act_quants(&blk[2..LANES_AT]);
            assert_eq!(blk[1], q.iter().map(|&v| i32::from(v)).sum::<i32>());
            let amax = x[b * QK..(b + 1) * QK]
                .iter()
                .map(|v| v.unsigned_abs())
                .max()
                .unwrap();
            let unit = f64::from(blk[0]) * 2f64.powi(sh) / 127.0;
            assert!(f64::from(blk[0]) * 2f64.powi(sh) >= f64::from(amax));
            for j in 0..QK {
                let err = (f64::from(q[j]) * unit - f64::from(x[b * QK + j])).abs();
                assert!(
                    err <= unit / 2.0 + 1e-9,
                    "scale {scale}: err {err} unit {unit}"
                );
            }
        }
    }
}

#[test]
fn matmul_matches_float_on_every_weight_type() {
    let mut rng = Rng(11);
    for ty in [WeightType::Q4_0, WeightType::Q4_1, WeightType::Q8_0] {
        for (rows, k, shift, act_scale) in [(5, 32, 20, 1.0), (7, 96, 24, 4.0), (3, 256, 16, 0.01)]
        {
            let (w, real) = random_weights(&mut rng, ty, rows, k, shift);
            let xf: Vec<f64> = (0..k).map(|_| rng.f() * act_scale).collect();
            let x: Vec<i32> = xf.iter().map(|&v| q16(v)).collect();
            let mut a = vec![0i32; act_words(k)];
            quantize_act(&x, &mut a).unwrap();
            // The dequantized activation: what the integer matmul multiplies exactly.
            let sh = a[0];
            let mut xd = vec![0f64; k];
            for (b, blk) in a[1..].chunks_exact(ACT_BLOCK_WORDS).enumerate() {
                let q = act_quants(&blk[2..LANES_AT]);
                for j in 0..QK {
                    xd[b * QK + j] =
                        f64::from(q[j]) * f64::from(blk[0]) * 2f64.powi(sh) / 127.0 / ONE;
                }
            }
            let mut out = vec![0i32; rows];
            matmul(&w, ty, shift, &a, &mut out).unwrap();
            let mut scale = 0f64;
            let mut worst_float = 0f64;
            for r in 0..rows {
                let exact: f64 = (0..k).map(|c| real[r * k + c] * xd[c]).sum();
                let float: f64 = (0..k)
                    .map(|c| real[r * k + c] * f64::from(x[c]) / ONE)
                    .sum();
                let got = f64::from(out[r]) / ONE;
                // Against the same quantized activation: only the final rounding.
                assert!(
                    (got - exact).abs() <= 0.5 / ONE + 1e-12,
                    "{ty:?} row {r}: {got} vs {exact}"
                );
                worst_float = worst_float.max((got - float).abs());
                scale = scale.max(float.abs());
            }
            // Against float activations: int8 activation quantization, < 2 % of the range.
            assert!(
                worst_float <= 0.02 * scale + 1e-4,
                "{ty:?}: {worst_float} vs range {scale}"
            );
        }
    }
}

#[test]
fn embed_row_dequantizes_exactly() {
    let mut rng = Rng(5);
    for ty in [WeightType::Q4_0, WeightType::Q4_1, WeightType::Q8_0] {
        let (w, real) = random_weights(&mut rng, ty, 4, 64, 22);
        for row in 0..4 {
            let mut out = vec![0i32; 64];
            embed_row(&w, ty, 22, row, &mut out).unwrap();
            for c in 0..64 {
                let want = real[row * 64 + c] * ONE;
                assert!((f64::from(out[c]) - want).abs() <= 0.5, "{ty:?} {row} {c}");
            }
        }
        let mut out = vec![0i32; 64];
        assert!(embed_row(&w, ty, 22, 4, &mut out).is_err());
    }
}

#[test]
fn shapes_are_checked() {
    let mut out = vec![0i32; act_words(32)];
    assert!(quantize_act(&[0; 33], &mut out).is_err());
    assert!(quantize_act(&[0; 32], &mut out[1..]).is_err());
    let w = vec![0u8; 34 * 2];
    let mut y = vec![0i32; 3];
    assert!(matmul(&w, WeightType::Q8_0, 0, &out, &mut y).is_err());
}

/// `Σ_j q_j a_j` the plain way, for 32 nibbles (element `j` low, `j + 16` high).
fn nibble_dot_plain(qs: &[u8; 16], a: &[i8; QK]) -> i32 {
    (0..16)
        .map(|j| {
            i32::from(qs[j] & 15) * i32::from(a[j]) + i32::from(qs[j] >> 4) * i32::from(a[j + 16])
        })
        .sum()
}

fn lanes_of(a: &[i8; QK]) -> [u64; 8] {
    let q: [u8; QK] = core::array::from_fn(|j| a[j] as u8);
    core::array::from_fn(|i| nibble_lanes(&q, i / 4, i % 4))
}

#[test]
fn q4_dot_equals_the_plain_dot_product_even_at_the_extremes() {
    let mut rng = Rng(23);
    let mut cases: Vec<([u8; 16], [i8; QK])> = Vec::new();
    for qs in [[0xffu8; 16], [0u8; 16], [0x0f; 16], [0xf0; 16]] {
        for a in [[127i8; QK], [-127; QK], [0; QK]] {
            cases.push((qs, a));
        }
        let alt: [i8; QK] = core::array::from_fn(|j| if j % 2 == 0 { 127 } else { -127 });
        cases.push((qs, alt));
    }
    for _ in 0..20_000 {
        let qs: [u8; 16] = core::array::from_fn(|_| rng.next() as u8);
        let a: [i8; QK] = core::array::from_fn(|_| ((rng.next() % 255) as i32 - 127) as i8);
        cases.push((qs, a));
    }
    for (qs, a) in cases {
        assert_eq!(
            q4_dot(&qs, &lanes_of(&a)),
            nibble_dot_plain(&qs, &a),
            "{qs:?} {a:?}"
        );
    }
}

#[test]
fn quantize_writes_the_nibble_lanes_of_its_quants() {
    let mut rng = Rng(3);
    let x: Vec<i32> = (0..64).map(|_| q16(rng.f() * 3.0)).collect();
    let mut a = vec![0i32; act_words(64)];
    quantize_act(&x, &mut a).unwrap();
    for blk in a[1..].chunks_exact(ACT_BLOCK_WORDS) {
        let q = act_quants(&blk[2..LANES_AT]);
        let want = lanes_of(&q);
        assert_eq!(block_lanes(blk.first_chunk().unwrap()), want);
    }
}

#[test]
fn q8_dot_equals_the_plain_dot_product_even_at_the_extremes() {
    let mut rng = Rng(29);
    let mut cases: Vec<([u8; 32], [i8; QK])> = Vec::new();
    for w in [127u8, 0x80, 0, 0xff] {
        for a in [[127i8; QK], [-127; QK], [0; QK]] {
            cases.push(([w; 32], a));
        }
    }
    for _ in 0..20_000 {
        let qs: [u8; 32] = core::array::from_fn(|_| rng.next() as u8);
        let a: [i8; QK] = core::array::from_fn(|_| ((rng.next() % 255) as i32 - 127) as i8);
        cases.push((qs, a));
    }
    for (qs, a) in cases {
        let q: [u8; QK] = core::array::from_fn(|j| a[j] as u8);
        let lanes: [u64; 16] = core::array::from_fn(|i| byte_lanes(&q, i / 4, i % 4));
        let sum = a.iter().map(|&v| i32::from(v)).sum();
        let plain: i32 = (0..QK)
            .map(|j| i32::from(qs[j] as i8) * i32::from(a[j]))
            .sum();
        assert_eq!(q8_dot(&qs, &lanes, sum), plain, "{qs:?} {a:?}");
    }
}
