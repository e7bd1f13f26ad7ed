//! Quantized blocks: the image's weight blocks (GGUF's Q4_0, Q4_1, Q8_0 with the f16
//! scales replaced by fixed-point `i16`), int8 activation blocks with a fixed-point
//! scale each (quantized before every matmul, as llama.cpp does), the block matmul,
//! and the embedding row lookup.
//!
//! **Weight blocks** (32 elements of a row, little-endian): Q4_0 `[i16 d][16 B
//! nibbles]` value `d·(q − 8)`; Q4_1 `[i16 d][i16 m][16 B nibbles]` value `d·q + m`;
//! Q8_0 `[i16 d][32 × i8 q]` value `d·q`. Byte `j` of the nibbles holds element `j`
//! (low nibble) and element `j + 16` (high nibble), as in GGUF. The real value of one
//! unit of `d` and `m` is `2^-shift`, one shift per tensor.
//!
//! **Activation blocks** (`i32` words): word 0 is the vector's exponent `sh`; then per
//! block of 32: `s` (the block scale, `0..=2^20`), `Σq` (sum of the block's quants),
//! and 8 words holding the 32 `i8` quants little-endian (element `4w + b` in byte `b`
//! of word `w`). Element `j` of block `b` stands for `q_j · s_b · 2^sh / 127` in units
//! of the activations' fixed point ([`super::fixed::ACT_FRAC`]).

use super::fixed::{div_round, sat_i32, scale_pow2, shr_round};
use crate::ShapeError;

/// Elements per block.
pub const QK: usize = 32;
/// Words per activation block: scale, sum, 8 words of quants.
pub const ACT_BLOCK_WORDS: usize = 10;
/// Largest activation block scale: `s ≤ 2^20`, so blocks down to 2^-20 of the vector's
/// largest keep their full 8-bit resolution.
const ACT_SCALE_BITS: u32 = 20;

/// Words of an activation tensor of `n` elements (`n` a multiple of [`QK`]).
pub fn act_words(n: usize) -> usize {
    1 + n / QK * ACT_BLOCK_WORDS
}

/// The weight block formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightType {
    /// `d·(q − 8)`, 18 bytes per block.
    Q4_0,
    /// `d·q + m`, 20 bytes per block.
    Q4_1,
    /// `d·q`, 34 bytes per block.
    Q8_0,
}

impl WeightType {
    /// Bytes per block of 32 weights.
    pub fn block_bytes(self) -> usize {
        match self {
            WeightType::Q4_0 => 18,
            WeightType::Q4_1 => 20,
            WeightType::Q8_0 => 34,
        }
    }
}

fn check(ok: bool, what: &'static str) -> Result<(), ShapeError> {
    if ok {
        Ok(())
    } else {
        Err(ShapeError(what))
    }
}

/// Quantizes int32 activations to int8 blocks (layout in the module doc): the vector's
/// exponent `sh` is the smallest making every block maximum `amax_b ≤ 2^20 · 2^sh`;
/// `s_b = ceil(amax_b / 2^sh)`; `q_j = round(127 · x_j / (s_b · 2^sh))` (half away
/// from zero; `|q_j| ≤ 127`; 0 when `s_b = 0`).
pub fn quantize_act(x: &[i32], out: &mut [i32]) -> Result<(), ShapeError> {
    check(
        x.len().is_multiple_of(QK),
        "quantize: length not a multiple of 32",
    )?;
    check(out.len() == act_words(x.len()), "quantize: output size")?;
    let max = x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    let sh = super::fixed::bit_len(u64::from(max)).saturating_sub(ACT_SCALE_BITS);
    out[0] = sh as i32;
    for (xb, ob) in x
        .chunks_exact(QK)
        .zip(out[1..].chunks_exact_mut(ACT_BLOCK_WORDS))
    {
        let amax = xb.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
        let s = u64::from(amax).div_ceil(1u64 << sh) as i64;
        let den = s << sh;
        let mut q = [0u8; QK];
        let mut sum = 0i32;
        for (qj, &v) in q.iter_mut().zip(xb) {
            let v = div_round(127 * i64::from(v), den) as i8;
            sum += i32::from(v);
            *qj = v as u8;
        }
        ob[0] = s as i32;
        ob[1] = sum;
        for (w, b) in ob[2..].iter_mut().zip(q.chunks_exact(4)) {
            *w = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
    Ok(())
}

/// The 32 quants of an activation block.
fn act_quants(words: &[i32]) -> [i8; QK] {
    let mut q = [0i8; QK];
    for (qc, w) in q.chunks_exact_mut(4).zip(words) {
        for (d, b) in qc.iter_mut().zip(w.to_le_bytes()) {
            *d = b as i8;
        }
    }
    q
}

fn i16_at(b: &[u8], at: usize) -> i64 {
    i64::from(i16::from_le_bytes([b[at], b[at + 1]]))
}

/// `Σ_j w_j · a_j` over one block, with the weights' `d` (and `m`) applied:
/// `d · Σ q_j a_j (+ m · Σ a_j)`, exact in `i64` (< 2^36). Q4_0's `d · Σ (q_j − 8) a_j`
/// is computed as `d · (Σ q_j a_j − 8 Σ a_j)`.
fn block_dot(ty: WeightType, wb: &[u8], a: &[i8; QK], a_sum: i32) -> i64 {
    match ty {
        WeightType::Q8_0 => {
            let dot = wb[2..34]
                .iter()
                .zip(a)
                .fold(0i32, |s, (&w, &x)| s + i32::from(w as i8) * i32::from(x));
            i16_at(wb, 0) * i64::from(dot)
        }
        WeightType::Q4_0 => {
            let dot = nibble_dot(&wb[2..18], a) - 8 * a_sum;
            i16_at(wb, 0) * i64::from(dot)
        }
        WeightType::Q4_1 => {
            let dot = nibble_dot(&wb[4..20], a);
            i16_at(wb, 0) * i64::from(dot) + i16_at(wb, 2) * i64::from(a_sum)
        }
    }
}

/// `Σ_j q_j a_j` for 32 unsigned nibbles packed in 16 bytes (element `j` low,
/// `j + 16` high).
fn nibble_dot(qs: &[u8], a: &[i8; QK]) -> i32 {
    let (lo, hi) = a.split_at(QK / 2);
    qs.iter().zip(lo).zip(hi).fold(0i32, |s, ((&q, &x), &y)| {
        s + i32::from(q & 15) * i32::from(x) + i32::from(q >> 4) * i32::from(y)
    })
}

/// Rows computed together, so each activation block is unpacked once per group.
const ROW_GROUP: usize = 4;

/// Matrix-vector product over blocks: `out[r] = Σ_c W[r][c] · a[c]` in QF, where `w`
/// holds `out.len()` rows of `k/32` blocks of type `ty` whose scales are in units of
/// `2^-w_shift`, and `act` is a quantized activation of `k` elements.
///
/// Per row: `acc = Σ_b s_b · (d_b Σ q a + m_b Σ a)` in `i64` (each term < 2^56 even
/// with every weight and activation at its extreme, so rows of up to 128 blocks cannot
/// overflow; longer ones could only with adversarial values, and then the sum wraps,
/// explicitly), then `out = round(acc · 2^(sh − w_shift) / 127)` saturated to `i32`
/// (exact when `w_shift − sh ≤ 55`, otherwise the division by 127 is rounded first).
pub fn matmul(
    w: &[u8],
    ty: WeightType,
    w_shift: i32,
    act: &[i32],
    out: &mut [i32],
) -> Result<(), ShapeError> {
    check(!act.is_empty(), "matmul: empty activation")?;
    let nb = (act.len() - 1) / ACT_BLOCK_WORDS;
    check(
        act.len() == 1 + nb * ACT_BLOCK_WORDS,
        "matmul: activation size",
    )?;
    let bb = ty.block_bytes();
    let row_bytes = nb * bb;
    check(w.len() == row_bytes * out.len(), "matmul: weight size")?;
    if nb == 0 {
        out.fill(0);
        return Ok(());
    }
    let k = w_shift - act[0]; // out = acc / (127 · 2^k)
    let blocks = &act[1..];
    for (outs, rows) in out
        .chunks_mut(ROW_GROUP)
        .zip(w.chunks(ROW_GROUP * row_bytes))
    {
        let mut acc = [0i64; ROW_GROUP];
        for (b, ab) in blocks.chunks_exact(ACT_BLOCK_WORDS).enumerate() {
            let a = act_quants(&ab[2..]);
            let s = i64::from(ab[0]);
            for (acc, row) in acc.iter_mut().zip(rows.chunks_exact(row_bytes)) {
                let term = s * block_dot(ty, &row[b * bb..(b + 1) * bb], &a, ab[1]);
                *acc = acc.wrapping_add(term);
            }
        }
        for (o, &a) in outs.iter_mut().zip(&acc) {
            *o = sat_i32(requant_127(a, k));
        }
    }
    Ok(())
}

/// `round(acc / (127 · 2^k))`, ties away from zero, saturated to `i64`.
fn requant_127(acc: i64, k: i32) -> i64 {
    if k <= 0 {
        div_round(scale_pow2(acc, -k), 127)
    } else if k <= 55 {
        div_round(acc, 127i64 << k)
    } else {
        shr_round(div_round(acc, 127), k.unsigned_abs())
    }
}

/// Row `row` of an embedding of `out.len()` columns in blocks of type `ty` (scales in
/// units of `2^-w_shift`), dequantized to QF: `round((d·q (+ m)) · 2^(F − w_shift))`.
pub fn embed_row(
    w: &[u8],
    ty: WeightType,
    w_shift: i32,
    row: usize,
    out: &mut [i32],
) -> Result<(), ShapeError> {
    check(
        out.len().is_multiple_of(QK),
        "embed: width not a multiple of 32",
    )?;
    let row_bytes = out.len() / QK * ty.block_bytes();
    let start = row.checked_mul(row_bytes).ok_or(ShapeError("embed: row"))?;
    let bytes = w
        .get(start..start + row_bytes)
        .ok_or(ShapeError("embed: row past the table"))?;
    let e = super::fixed::ACT_FRAC as i32 - w_shift;
    for (ob, wb) in out
        .chunks_exact_mut(QK)
        .zip(bytes.chunks_exact(ty.block_bytes()))
    {
        let d = i16_at(wb, 0);
        match ty {
            WeightType::Q8_0 => {
                for (o, &q) in ob.iter_mut().zip(&wb[2..34]) {
                    *o = sat_i32(scale_pow2(d * i64::from(q as i8), e));
                }
            }
            WeightType::Q4_0 | WeightType::Q4_1 => {
                let (off, bias, m) = if ty == WeightType::Q4_0 {
                    (2, 8, 0)
                } else {
                    (4, 0, i16_at(wb, 2))
                };
                for (j, &byte) in wb[off..off + 16].iter().enumerate() {
                    let lo = i64::from(byte & 15) - bias;
                    let hi = i64::from(byte >> 4) - bias;
                    ob[j] = sat_i32(scale_pow2(d * lo + m, e));
                    ob[j + 16] = sat_i32(scale_pow2(d * hi + m, e));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
