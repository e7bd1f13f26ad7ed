//! Runs an LLM image for one token: writes `[token, pos]` into the input tensor and
//! executes the nodes in order over the arena, then returns the argmax.
//!
//! The arena is `i32` words (every arena tensor is page-aligned, so word-aligned);
//! image tensors are read as bytes. A node's outputs are carved out of the arena
//! mutably and its inputs read from the rest, which the validation guarantees they do
//! not overlap (the in-place ops, RoPE and the residual add, write their first input).

use core::ops::Range;

use super::attention::{attention, AttnShape};
use super::error::LlmError;
use super::ffn::swiglu;
use super::graph::{LlmDType, LlmImage, LlmOp, Node, TensorEntry};
use super::norm::{add, add_assign, rmsnorm, Fixed};
use super::quant::{embed_row, matmul, quantize_act};
use super::rope::rope;
use crate::kernels::argmax;

/// Word range of an arena tensor.
fn words(t: &TensorEntry) -> Range<usize> {
    (t.offset / 4) as usize..((t.offset + t.len) / 4) as usize
}

/// Read-only views of the arena around the carved-out outputs: up to three segments,
/// each with the word index it starts at.
struct Reads<'a> {
    segs: [(usize, &'a [i32]); 3],
}

impl<'a> Reads<'a> {
    fn get(&self, r: Range<usize>) -> Option<&'a [i32]> {
        self.segs.iter().find_map(|&(start, s)| {
            let end = start + s.len();
            (r.start >= start && r.end <= end).then(|| &s[r.start - start..r.end - start])
        })
    }
}

/// Splits `arena` into the output `o` (mutable) and everything else (read-only).
fn carve(arena: &mut [i32], o: Range<usize>) -> Option<(&mut [i32], Reads<'_>)> {
    if o.start > o.end || o.end > arena.len() {
        return None;
    }
    let (left, rest) = arena.split_at_mut(o.start);
    let (out, right) = rest.split_at_mut(o.end - o.start);
    let segs = [(0, &*left), (o.end, &*right), (0, &[][..])];
    Some((out, Reads { segs }))
}

/// Splits `arena` into two disjoint outputs (in the order given) and the rest.
fn carve2(
    arena: &mut [i32],
    a: Range<usize>,
    b: Range<usize>,
) -> Option<(&mut [i32], &mut [i32], Reads<'_>)> {
    let swap = a.start > b.start;
    let (lo, hi) = if swap { (b, a) } else { (a, b) };
    if lo.start > lo.end || lo.end > hi.start || hi.start > hi.end || hi.end > arena.len() {
        return None;
    }
    let (left, rest) = arena.split_at_mut(lo.start);
    let (o1, rest) = rest.split_at_mut(lo.end - lo.start);
    let (mid, rest) = rest.split_at_mut(hi.start - lo.end);
    let (o2, right) = rest.split_at_mut(hi.end - hi.start);
    let segs = [(0, &*left), (lo.end, &*mid), (hi.end, &*right)];
    let reads = Reads { segs };
    Some(if swap {
        (o2, o1, reads)
    } else {
        (o1, o2, reads)
    })
}

/// Runs one token at position `pos` and returns its argmax (the next token, greedy).
/// `arena` must be `image.arena_len / 4` words; the KV caches in it keep positions
/// `< pos` from earlier calls. The logits stay in the arena (tensor `image.logits`).
pub fn forward(
    image: &LlmImage<'_>,
    arena: &mut [i32],
    token: u32,
    pos: u32,
) -> Result<u32, LlmError> {
    forward_observed(image, arena, token, pos, |_, _| {})
}

/// [`forward`], calling `observe(node, output)` after each node with its first
/// output tensor's words.
pub fn forward_observed(
    image: &LlmImage<'_>,
    arena: &mut [i32],
    token: u32,
    pos: u32,
    mut observe: impl FnMut(u32, &[i32]),
) -> Result<u32, LlmError> {
    if arena.len() as u64 * 4 != image.arena_len {
        return Err(LlmError::Arena);
    }
    if token >= image.vocab {
        return Err(LlmError::Token);
    }
    if pos >= image.max_ctx {
        return Err(LlmError::Position);
    }
    let input = words(&image.tensor(image.input)?);
    arena[input.start] = token as i32;
    arena[input.start + 1] = pos as i32;
    for i in 0..image.n_nodes() {
        let node = image.node(i)?;
        run_node(image, arena, &node, token as usize, pos as usize).ok_or(LlmError::Kernel(i))?;
        let out = words(&image.tensor(node.outputs[0])?);
        observe(i, &arena[out]);
    }
    let at = words(&image.tensor(image.argmax)?).start;
    Ok(arena[at] as u32)
}

/// One node; `None` when a kernel refuses its operands or a tensor id is invalid
/// (neither happens on a validated image).
fn run_node(
    image: &LlmImage<'_>,
    arena: &mut [i32],
    n: &Node,
    token: usize,
    pos: usize,
) -> Option<()> {
    let t = |id: u32| image.tensor(id).ok();
    let w = |id: u32| {
        let e = t(id)?;
        match e.dtype {
            LlmDType::Weight(ty) => Some((image.data(&e), ty, e.shift)),
            _ => None,
        }
    };
    let [in0, in1, in2, _] = n.inputs;
    let out0 = words(&t(n.outputs[0])?);
    match n.op {
        LlmOp::Embed => {
            let (data, ty, shift) = w(n.weights[0])?;
            embed_row(data, ty, shift, token, &mut arena[out0]).ok()
        }
        LlmOp::RmsNorm => {
            let wt = t(n.weights[0])?;
            let x = words(&t(in0)?);
            let (out, reads) = carve(arena, out0)?;
            let eps = Fixed {
                mantissa: n.params[0],
                shift: n.params[1],
            };
            rmsnorm(reads.get(x)?, image.data(&wt), wt.shift, eps, out).ok()
        }
        LlmOp::Quantize => {
            let x = words(&t(in0)?);
            let (out, reads) = carve(arena, out0)?;
            quantize_act(reads.get(x)?, out).ok()
        }
        LlmOp::MatMul => {
            let (data, ty, shift) = w(n.weights[0])?;
            let a = words(&t(in0)?);
            let (out, reads) = carve(arena, out0)?;
            matmul(data, ty, shift, reads.get(a)?, out).ok()
        }
        LlmOp::Rope => {
            let table = t(n.weights[0])?;
            let hd = n.params[0] as usize;
            let row = image.data(&table).get(pos * 4 * hd..(pos + 1) * 4 * hd)?;
            rope(&mut arena[out0], row, hd).ok()
        }
        LlmOp::CacheWrite => {
            let x = words(&t(in0)?);
            let (cache, reads) = carve(arena, out0)?;
            let x = reads.get(x)?;
            let row = cache.get_mut(pos * x.len()..(pos + 1) * x.len())?;
            row.copy_from_slice(x);
            Some(())
        }
        LlmOp::Attention => {
            let (q, k, v) = (words(&t(in0)?), words(&t(in1)?), words(&t(in2)?));
            let out1 = words(&t(n.outputs[1])?);
            let (out, scores, reads) = carve2(arena, out0, out1)?;
            let [n_heads, n_kv_heads, head_dim, mul] = n.params;
            let shape = AttnShape {
                n_heads: n_heads as usize,
                n_kv_heads: n_kv_heads as usize,
                head_dim: head_dim as usize,
                score_mul: i64::from(mul),
            };
            let (q, k, v) = (reads.get(q)?, reads.get(k)?, reads.get(v)?);
            attention(q, k, v, pos + 1, shape, scores, out).ok()
        }
        LlmOp::SwiGlu => {
            let (g, u) = (words(&t(in0)?), words(&t(in1)?));
            let (out, reads) = carve(arena, out0)?;
            swiglu(reads.get(g)?, reads.get(u)?, out).ok()
        }
        LlmOp::Add => {
            let b = words(&t(in1)?);
            if in0 == n.outputs[0] {
                let (out, reads) = carve(arena, out0)?;
                add_assign(out, reads.get(b)?).ok()
            } else {
                let a = words(&t(in0)?);
                let (out, reads) = carve(arena, out0)?;
                add(reads.get(a)?, reads.get(b)?, out).ok()
            }
        }
        LlmOp::Argmax => {
            let x = words(&t(in0)?);
            let (out, reads) = carve(arena, out0)?;
            out[0] = argmax(reads.get(x)?)? as i32;
            Some(())
        }
    }
}
