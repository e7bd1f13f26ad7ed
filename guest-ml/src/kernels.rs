//! Integer-only kernels: int8 × int8 → int32 products (GEMV, GEMM, conv2d), bias,
//! fixed-point requantization, ReLU, max/average pooling, argmax and a fixed-point
//! softmax.
//!
//! Accumulation wraps (`wrapping_add`), so results never depend on the build profile;
//! every rounding rule is spelled out on the function that applies it.

use crate::ShapeError;

fn check(ok: bool, what: &'static str) -> Result<(), ShapeError> {
    if ok {
        Ok(())
    } else {
        Err(ShapeError(what))
    }
}

/// Dot product of two int8 vectors of equal length, accumulated in wrapping `i32`.
fn dot(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |sum, (&x, &y)| {
        sum.wrapping_add(i32::from(x) * i32::from(y))
    })
}

/// Matrix-vector product: `out[r] = sum_c weights[r * cols + c] * input[c]`, where
/// `cols = input.len()` and `weights` is row-major with `out.len()` rows.
pub fn gemv_i8(weights: &[i8], input: &[i8], out: &mut [i32]) -> Result<(), ShapeError> {
    let cols = input.len();
    check(
        out.len().checked_mul(cols) == Some(weights.len()),
        "gemv: weights.len() != out.len() * input.len()",
    )?;
    if cols == 0 {
        out.fill(0);
        return Ok(());
    }
    for (acc, row) in out.iter_mut().zip(weights.chunks_exact(cols)) {
        *acc = dot(row, input);
    }
    Ok(())
}

/// Matrix product `out (m × n) = a (m × k) · bt (n × k)ᵀ`, all row-major; `b` is given
/// transposed so both operands are read along rows.
pub fn gemm_i8(a: &[i8], bt: &[i8], k: usize, out: &mut [i32]) -> Result<(), ShapeError> {
    check(k > 0, "gemm: k must be positive")?;
    check(
        a.len().is_multiple_of(k) && bt.len().is_multiple_of(k),
        "gemm: operand lengths are not multiples of k",
    )?;
    let (m, n) = (a.len() / k, bt.len() / k);
    check(out.len() == m * n, "gemm: out.len() != m * n")?;
    for (out_row, a_row) in out.chunks_exact_mut(n.max(1)).zip(a.chunks_exact(k)) {
        for (acc, b_row) in out_row.iter_mut().zip(bt.chunks_exact(k)) {
            *acc = dot(a_row, b_row);
        }
    }
    Ok(())
}

/// Adds `bias[c]` to every element of channel `c` (wrapping), where `acc` holds
/// `bias.len()` channels of equal size.
pub fn add_bias(acc: &mut [i32], bias: &[i32]) -> Result<(), ShapeError> {
    check(
        !bias.is_empty() && acc.len().is_multiple_of(bias.len()),
        "bias: accumulator length is not a multiple of the channel count",
    )?;
    let per_channel = acc.len() / bias.len();
    if per_channel == 0 {
        return Ok(());
    }
    for (chunk, &b) in acc.chunks_exact_mut(per_channel).zip(bias) {
        chunk.iter_mut().for_each(|v| *v = v.wrapping_add(b));
    }
    Ok(())
}

/// Geometry of a 2-D convolution or pooling window over a `[C, H, W]` tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Window height and width (square).
    pub size: usize,
    /// Step between windows.
    pub stride: usize,
    /// Zero rows/columns added on each side (convolution only).
    pub padding: usize,
}

impl Window {
    /// Output extent along a dimension of `n`, or `None` when the window does not fit.
    pub fn out_len(&self, n: usize) -> Option<usize> {
        let padded = n.checked_add(self.padding.checked_mul(2)?)?;
        if self.size == 0 || self.stride == 0 || padded < self.size {
            return None;
        }
        Some((padded - self.size) / self.stride + 1)
    }
}

/// Input and output shapes of a spatial operator, `[C, H, W]` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spatial {
    /// Input `[C, H, W]`.
    pub input: [usize; 3],
    /// The window.
    pub window: Window,
}

impl Spatial {
    /// Output height and width, or a shape error.
    pub fn out_hw(&self) -> Result<(usize, usize), ShapeError> {
        let [_, h, w] = self.input;
        match (self.window.out_len(h), self.window.out_len(w)) {
            (Some(oh), Some(ow)) => Ok((oh, ow)),
            _ => Err(ShapeError("window does not fit the input")),
        }
    }
}

/// 2-D convolution, no bias: `input [C, H, W]`, `weights [O, C, K, K]`, `out [O, OH, OW]`
/// (int32); zero padding.
pub fn conv2d_i8(
    input: &[i8],
    shape: Spatial,
    weights: &[i8],
    out: &mut [i32],
) -> Result<(), ShapeError> {
    let [c, h, w] = shape.input;
    let Window {
        size: k,
        stride,
        padding,
    } = shape.window;
    let (oh, ow) = shape.out_hw()?;
    check(input.len() == c * h * w, "conv2d: input.len() != C*H*W")?;
    let per_out = c * k * k;
    check(
        per_out > 0 && weights.len().is_multiple_of(per_out),
        "conv2d: weights.len() is not a multiple of C*K*K",
    )?;
    let o = weights.len() / per_out;
    check(out.len() == o * oh * ow, "conv2d: out.len() != O*OH*OW")?;
    for (oc, filter) in weights.chunks_exact(per_out).enumerate() {
        for y in 0..oh {
            for x in 0..ow {
                let mut acc = 0i32;
                for ic in 0..c {
                    for ky in 0..k {
                        let iy = (y * stride + ky).wrapping_sub(padding);
                        if iy >= h {
                            continue;
                        }
                        for kx in 0..k {
                            let ix = (x * stride + kx).wrapping_sub(padding);
                            if ix >= w {
                                continue;
                            }
                            let v = i32::from(input[(ic * h + iy) * w + ix]);
                            let f = i32::from(filter[(ic * k + ky) * k + kx]);
                            acc = acc.wrapping_add(v * f);
                        }
                    }
                }
                out[(oc * oh + y) * ow + x] = acc;
            }
        }
    }
    Ok(())
}

/// A fixed-point scale `multiplier · 2^-(31 + shift)` with `multiplier` in Q0.31.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    /// Q0.31 multiplier, `0 < multiplier < 2^31`.
    pub multiplier: i32,
    /// Extra right shift; may be negative (a left shift). `31 + shift` must lie in
    /// `1..=62`.
    pub shift: i32,
}

impl Requant {
    /// Whether the parameters are in the supported range.
    pub fn is_valid(&self) -> bool {
        self.multiplier > 0 && (-30..=31).contains(&self.shift)
    }

    /// `round(v · multiplier / 2^(31 + shift))`, ties rounded half away from zero,
    /// computed exactly in `i64` (|v · multiplier| < 2^62), then saturated to `i32`.
    pub fn apply(&self, v: i32) -> i32 {
        let total = (31 + self.shift).clamp(1, 62) as u32;
        let prod = i64::from(v) * i64::from(self.multiplier);
        let half = 1i64 << (total - 1);
        let r = if prod >= 0 {
            (prod + half) >> total
        } else {
            -((-prod + half) >> total)
        };
        r.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    }
}

/// Requantizes int32 accumulators to int8: `out[i] = clamp(q.apply(acc[i]), -128, 127)`
/// (zero point 0: quantization is symmetric).
pub fn requantize(acc: &[i32], q: Requant, out: &mut [i8]) -> Result<(), ShapeError> {
    check(acc.len() == out.len(), "requantize: acc.len() != out.len()")?;
    check(q.is_valid(), "requantize: multiplier or shift out of range")?;
    for (o, &a) in out.iter_mut().zip(acc) {
        *o = q.apply(a).clamp(-128, 127) as i8;
    }
    Ok(())
}

/// ReLU in place on int8 values.
pub fn relu_i8(x: &mut [i8]) {
    x.iter_mut().for_each(|v| *v = (*v).max(0));
}

/// ReLU in place on int32 values.
pub fn relu_i32(x: &mut [i32]) {
    x.iter_mut().for_each(|v| *v = (*v).max(0));
}

/// Pooling reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    /// Maximum of the window.
    Max,
    /// Mean of the window, rounded half away from zero.
    Avg,
}

/// Max or average pooling over `[C, H, W]` int8 (padding ignored: must be 0).
pub fn pool_i8(input: &[i8], shape: Spatial, kind: Pool, out: &mut [i8]) -> Result<(), ShapeError> {
    let [c, h, w] = shape.input;
    let Window {
        size: k, stride, ..
    } = shape.window;
    check(shape.window.padding == 0, "pool: padding must be 0")?;
    let (oh, ow) = shape.out_hw()?;
    check(input.len() == c * h * w, "pool: input.len() != C*H*W")?;
    check(out.len() == c * oh * ow, "pool: out.len() != C*OH*OW")?;
    let count = (k * k) as i32;
    for ch in 0..c {
        for y in 0..oh {
            for x in 0..ow {
                let mut max = i32::MIN;
                let mut sum = 0i32;
                for ky in 0..k {
                    for kx in 0..k {
                        let v = i32::from(input[(ch * h + y * stride + ky) * w + x * stride + kx]);
                        max = max.max(v);
                        sum = sum.wrapping_add(v);
                    }
                }
                let v = match kind {
                    Pool::Max => max,
                    Pool::Avg => div_round(sum, count),
                };
                out[(ch * oh + y) * ow + x] = v.clamp(-128, 127) as i8;
            }
        }
    }
    Ok(())
}

/// `n / d` rounded half away from zero (`d > 0`).
fn div_round(n: i32, d: i32) -> i32 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

/// Index of the largest value; the first one on ties; `None` when empty.
pub fn argmax(x: &[i32]) -> Option<usize> {
    let mut best: Option<(usize, i32)> = None;
    for (i, &v) in x.iter().enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// `2^(-i/16)` in Q1.30 for `i = 0..=16`.
const EXP2_NEG_Q30: [i64; 17] = [
    1073741824, 1028218693, 984625594, 942880699, 902905651, 864625413, 827968132, 792865000,
    759250125, 727060411, 696235434, 666717336, 638450708, 611382493, 585461881, 560640218,
    536870912,
];

/// `log2(e)` in Q16.
const LOG2E_Q16: i64 = 94548;

/// `exp(-d)` in Q1.30 for `d ≥ 0` in Q16: `exp(-d) = 2^-(d·log2 e)`, the integer part
/// of the exponent as a shift, the fraction by linear interpolation in a 17-entry
/// table of `2^(-i/16)` (relative error < 2·10⁻⁴).
pub fn exp_neg_q16(d: i64) -> i64 {
    let y = d.max(0).saturating_mul(LOG2E_Q16) >> 16; // Q16 exponent of 2
    let int = y >> 16;
    if int >= 31 {
        return 0;
    }
    let frac = y & 0xffff; // Q16 in [0, 1)
    let i = (frac >> 12) as usize; // table step: 1/16 = 4096 in Q16
    let t = frac & 0xfff; // position inside the step, Q12
    let (a, b) = (EXP2_NEG_Q30[i], EXP2_NEG_Q30[i + 1]);
    let v = a - (((a - b) * t) >> 12);
    v >> int
}

/// Fixed-point softmax: probabilities in Q16 (65536 = 1) of logits whose real value is
/// `logit · scale`, `scale` given as a [`Requant`] mapping logit differences to Q16.
/// Each `exp` is [`exp_neg_q16`] of the scaled distance to the maximum; the sum is
/// exact in `i64`; each output is `floor(e_i · 2^16 / sum)`.
pub fn softmax_q16(logits: &[i32], scale: Requant, out: &mut [i32]) -> Result<(), ShapeError> {
    check(
        logits.len() == out.len(),
        "softmax: logits.len() != out.len()",
    )?;
    check(scale.is_valid(), "softmax: scale out of range")?;
    let Some(max) = logits.iter().copied().max() else {
        return Ok(());
    };
    let mut sum = 0i64;
    for (o, &l) in out.iter_mut().zip(logits) {
        let diff = i64::from(max) - i64::from(l); // 0 ..= 2^32
        let d = diff.min(i64::from(i32::MAX)) as i32;
        let e = exp_neg_q16(i64::from(scale.apply(d)));
        *o = e as i32; // Q1.30 ≤ 2^30
        sum += e;
    }
    // The maximum contributes exp(0) = 2^30, so sum ≥ 2^30 > 0.
    for o in out.iter_mut() {
        *o = ((i64::from(*o) << 16) / sum) as i32;
    }
    Ok(())
}
