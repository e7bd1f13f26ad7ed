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
//! 8 words holding the 32 `i8` quants little-endian (element `4w + b` in byte `b` of
//! word `w`), then 16 words holding the same quants as 8 `u64` **nibble lanes** (see
//! [`q4_dot`]) and 32 words holding them as 16 `u64` **byte lanes** (see [`q8_dot`]). Element `j` of block `b` stands for `q_j · s_b · 2^sh / 127` in units
//! of the activations' fixed point ([`super::fixed::ACT_FRAC`]).
//!
//! **SWAR.** Wasm 1.0 has no SIMD, so the 4-bit dot product multiplies four pairs in
//! one `i64.mul`: four nibbles spread to the 16-bit lanes of a `u64` (a shift and a
//! mask of eight packed weight bytes) times four activations in the lanes in reverse
//! order; the product's lane 3 is the four pairs' dot product. See [`q4_dot`]; the
//! 8-bit one does two pairs per multiplication in 32-bit lanes ([`q8_dot`]).

use super::fixed::{div_round, sat_i32, scale_pow2, shr_round};
use crate::ShapeError;

/// Elements per block.
pub const QK: usize = 32;
/// Words per activation block: scale, sum, 8 words of quants, 16 words of nibble
/// lanes, 32 words of byte lanes.
pub const ACT_BLOCK_WORDS: usize = 58;
/// Where the nibble lanes start in an activation block.
const LANES_AT: usize = 10;
/// Where the byte lanes start in an activation block.
const BYTE_LANES_AT: usize = 26;
/// The low byte of each 32-bit lane.
const BYTE_LANE_MASK: u64 = 0x0000_00FF_0000_00FF;
/// Flips the sign bit of each byte: `q ^ 0x80 = q + 128` as an unsigned byte.
const BYTE_BIAS: u64 = 0x8080_8080_8080_8080;
/// The low nibble of each 16-bit lane.
const LANE_MASK: u64 = 0x000F_000F_000F_000F;
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
        for (w, b) in ob[2..LANES_AT].iter_mut().zip(q.chunks_exact(4)) {
            *w = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        for (i, w) in ob[LANES_AT..BYTE_LANES_AT].chunks_exact_mut(2).enumerate() {
            let lanes = nibble_lanes(&q, i / 4, i % 4);
            w[0] = lanes as u32 as i32;
            w[1] = (lanes >> 32) as u32 as i32;
        }
        for (i, w) in ob[BYTE_LANES_AT..].chunks_exact_mut(2).enumerate() {
            let lanes = byte_lanes(&q, i / 4, i % 4);
            w[0] = lanes as u32 as i32;
            w[1] = (lanes >> 32) as u32 as i32;
        }
    }
    Ok(())
}

/// The element of a block that lane `k` of spread `t` of half `h` holds: byte `c` of
/// the half's 8 nibble bytes is at bits `8c` of the `u64`, so `(W >> 4t) & LANE_MASK`
/// puts the low (`t` even) or high (`t` odd) nibble of byte `2k + t/2` in lane `k`;
/// byte `j` of a block holds elements `j` (low) and `j + 16` (high).
const fn lane_element(h: usize, t: usize, k: usize) -> usize {
    8 * h + 2 * k + (t >> 1) + 16 * (t & 1)
}

/// The activation `u64` multiplied by spread `t` of half `h`: lane `k` holds the
/// element of weight lane `3 − k`, so that lane 3 of the product is the dot product
/// (`Σ_k a_{e(3−k)} · 2^(16k)`, an exact integer mod 2^64).
fn nibble_lanes(q: &[u8; QK], h: usize, t: usize) -> u64 {
    (0..4).fold(0u64, |acc, k| {
        let a = i64::from(q[lane_element(h, t, 3 - k)] as i8) as u64;
        acc.wrapping_add(a.wrapping_shl(16 * k as u32))
    })
}

/// `Σ_j q_j a_j` over a block of 32 nibbles (`qs`, element `j` low, `j + 16` high)
/// and the activation's 8 nibble `lanes`, four pairs per `i64` multiplication.
///
/// Per half-block (8 bytes `W`, 16 elements), each spread `S_t = (W >> 4t) & mask`
/// holds four nibbles `q ∈ 0..=15` in 16-bit lanes and the lanes `A_t` four
/// activations `|a| ≤ 127` in reverse order. `Σ_t S_t · A_t` (mod 2^64) has in lane 3
/// (bits 48..64) the half's dot product `c3`, `|c3| ≤ 16 · 15 · 127 = 30 480 < 2^15`,
/// and below it the cross terms, less than `2^47` in magnitude (lane 2 sums at most
/// 12 products: `12 · 1 905 < 2^15`). Adding `2^47` makes the part below lane 3 lie in
/// `0..2^48`, so an arithmetic shift by 48 yields `c3` exactly. (For activations outside
/// `±127`, which [`quantize_act`] never writes, the result is still deterministic.)
#[inline(always)]
pub fn q4_dot(qs: &[u8; 16], lanes: &[u64; 8]) -> i32 {
    let mut dot = 0i32;
    for h in 0..2 {
        let w = u64::from_le_bytes([
            qs[8 * h],
            qs[8 * h + 1],
            qs[8 * h + 2],
            qs[8 * h + 3],
            qs[8 * h + 4],
            qs[8 * h + 5],
            qs[8 * h + 6],
            qs[8 * h + 7],
        ]);
        let mut t = 1u64 << 47;
        for s in 0..4 {
            let spread = (w >> (4 * s)) & LANE_MASK;
            t = t.wrapping_add(spread.wrapping_mul(lanes[4 * h + s]));
        }
        dot += ((t as i64) >> 48) as i32;
    }
    dot
}

/// The activation `u64` multiplied by spread `t` of the 8-byte chunk `c` in
/// [`q8_dot`]: the spread holds elements `8c + t` (lane 0) and `8c + 4 + t` (lane 1),
/// this their activations in reverse order.
fn byte_lanes(q: &[u8; QK], c: usize, t: usize) -> u64 {
    let a = |j: usize| i64::from(q[j] as i8) as u64;
    a(8 * c + 4 + t).wrapping_add(a(8 * c + t).wrapping_shl(32))
}

/// `Σ_j q_j a_j` over a Q8_0 block's 32 `i8` weights (`qs`) and the activation's 16
/// byte `lanes`, two pairs per `i64` multiplication.
///
/// Each 8-byte chunk `W` is biased to `X = W ^ 0x80…80` (byte `q + 128 ∈ 0..=255`);
/// each spread `S_t = (X >> 8t) & 0x000000FF_000000FF` holds two biased weights in
/// 32-bit lanes, the lanes `A` their activations in reverse order, and lane 1 of
/// `Σ S·A` is `Σ (q + 128) a`: at most `32 · 255 · 127 < 2^31` in magnitude, with
/// the part below it (16 products) too, so adding `2^31` and shifting by 32 yields it
/// exactly. Then `Σ q a = Σ (q + 128) a − 128 · Σ a` (`a_sum`).
#[inline(always)]
pub fn q8_dot(qs: &[u8; 32], lanes: &[u64; 16], a_sum: i32) -> i32 {
    // Lane 1 starts at `−128 · Σ a`, plus `2^31` to round the part below it away.
    let mut t = (1u64 << 31).wrapping_sub(((i64::from(a_sum) * 128) as u64) << 32);
    let (chunks, _) = qs.as_chunks::<8>();
    for (c, &chunk) in chunks.iter().enumerate() {
        let w = u64::from_le_bytes(chunk) ^ BYTE_BIAS;
        for s in 0..4 {
            let spread = (w >> (8 * s)) & BYTE_LANE_MASK;
            t = t.wrapping_add(spread.wrapping_mul(lanes[4 * c + s]));
        }
    }
    ((t as i64) >> 32) as i32
}

/// `N` `u64` lanes from the activation block's words at `at`.
#[inline(always)]
fn lanes_at<const N: usize>(words: &[i32; ACT_BLOCK_WORDS], at: usize) -> [u64; N] {
    let mut l = [0u64; N];
    for (i, v) in l.iter_mut().enumerate() {
        let lo = words[at + 2 * i] as u32;
        let hi = words[at + 2 * i + 1] as u32;
        *v = u64::from(lo) | u64::from(hi) << 32;
    }
    l
}

/// The 8 nibble lanes of an activation block.
#[inline(always)]
fn block_lanes(words: &[i32; ACT_BLOCK_WORDS]) -> [u64; 8] {
    lanes_at(words, LANES_AT)
}

/// The 16 byte lanes of an activation block.
#[inline(always)]
fn block_byte_lanes(words: &[i32; ACT_BLOCK_WORDS]) -> [u64; 16] {
    lanes_at(words, BYTE_LANES_AT)
}

/// The 32 quants of an activation block.
#[cfg(test)]
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

/// The `N` bytes of a block starting at `at` (nibbles or `i8` weights).
#[inline(always)]
fn quants<const N: usize>(wb: &[u8], at: usize) -> &[u8; N] {
    match wb[at..at + N].first_chunk::<N>() {
        Some(q) => q,
        None => unreachable!("an N-byte slice has N bytes"),
    }
}

/// Rows computed together, so each activation block is unpacked once per group.
const ROW_GROUP: usize = 32;

/// The matmul loop over groups of rows: `prep` unpacks an activation block once per
/// group, `dot(block bytes, unpacked, Σq)` gives `d · Σ q a (+ m · Σ a)` in `i64`.
#[inline(always)]
fn matmul_rows<P>(
    w: &[u8],
    bb: usize,
    blocks: &[i32],
    out: &mut [i32],
    k: i32,
    prep: impl Fn(&[i32; ACT_BLOCK_WORDS]) -> P,
    dot: impl Fn(&[u8], &P, i32) -> i64,
) {
    let nb = blocks.len() / ACT_BLOCK_WORDS;
    let row_bytes = nb * bb;
    for (outs, rows) in out
        .chunks_mut(ROW_GROUP)
        .zip(w.chunks(ROW_GROUP * row_bytes))
    {
        let mut acc = [0i64; ROW_GROUP];
        for (b, ab) in blocks.chunks_exact(ACT_BLOCK_WORDS).enumerate() {
            let Some(ab) = ab.first_chunk::<ACT_BLOCK_WORDS>() else {
                continue;
            };
            let a = prep(ab);
            let s = i64::from(ab[0]);
            for (acc, row) in acc.iter_mut().zip(rows.chunks_exact(row_bytes)) {
                let term = s * dot(&row[b * bb..(b + 1) * bb], &a, ab[1]);
                *acc = acc.wrapping_add(term);
            }
        }
        for (o, &a) in outs.iter_mut().zip(&acc) {
            *o = sat_i32(requant_127(a, k));
        }
    }
}

/// Matrix-vector product over blocks: `out[r] = Σ_c W[r][c] · a[c]` in QF, where `w`
/// holds `out.len()` rows of `k/32` blocks of type `ty` whose scales are in units of
/// `2^-w_shift`, and `act` is a quantized activation of `k` elements.
///
/// Per row: `acc = Σ_b s_b · (d_b Σ q a + m_b Σ a)` in `i64` (each term < 2^56 even
/// with every weight and activation at its extreme, so rows of up to 128 blocks cannot
/// overflow; longer ones could only with adversarial values, and then the sum wraps,
/// explicitly), then `out = round(acc · 2^(sh − w_shift) / 127)` saturated to `i32`
/// (exact when `w_shift − sh ≤ 55`, otherwise the division by 127 is rounded first).
/// Q4_0's `d · Σ (q − 8) a` is computed as `d · (Σ q a − 8 Σ a)`; the 4-bit dot
/// products are [`q4_dot`]'s.
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
    check(w.len() == nb * bb * out.len(), "matmul: weight size")?;
    if nb == 0 {
        out.fill(0);
        return Ok(());
    }
    let k = w_shift - act[0]; // out = acc / (127 · 2^k)
    let blocks = &act[1..];
    match ty {
        WeightType::Q8_0 => matmul_rows(w, bb, blocks, out, k, block_byte_lanes, |wb, l, sum| {
            i16_at(wb, 0) * i64::from(q8_dot(quants(wb, 2), l, sum))
        }),
        WeightType::Q4_0 => matmul_rows(w, bb, blocks, out, k, block_lanes, |wb, l, sum| {
            i16_at(wb, 0) * i64::from(q4_dot(quants(wb, 2), l) - 8 * sum)
        }),
        WeightType::Q4_1 => matmul_rows(w, bb, blocks, out, k, block_lanes, |wb, l, sum| {
            i16_at(wb, 0) * i64::from(q4_dot(quants(wb, 4), l)) + i16_at(wb, 2) * i64::from(sum)
        }),
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
