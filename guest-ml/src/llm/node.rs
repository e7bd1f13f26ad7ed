//! One node of an LLM generation graph, computed from its descriptor alone: the unit a
//! two-phase dispute runs in the Wasm guest (phase 2) and natively (phase 1) with this
//! same code, so the two agree bit for bit (docs/dispute-protocol.md, "Two phases").
//!
//! In the generation graph every tensor is a value: a node reads its inputs and writes
//! one new output (the image's in-place ops write a copy: RoPE, the residual add, the
//! KV cache row). The descriptor (big-endian u32 words, the layout of
//! `opml_game::phases::Descriptor`) is `op, inputs, weights, out_addr, out_height`, a
//! `slot, addr, height` entry per input and per weight, then the parameters
//! [`NodeParams`]: the image node's `p0..p3`, the position, the token's word index,
//! the output's words, the scratch region (address, words), each input's words, and
//! each weight's dtype code, shift and bytes.

use super::attention::{attention, AttnShape};
use super::error::LlmError;
use super::ffn::swiglu;
use super::graph::{LlmDType, LlmOp};
use super::norm::{add, rmsnorm, Fixed};
use super::quant::{embed_row, matmul, quantize_act};
use super::rope::rope;
use crate::kernels::argmax;

/// Most inputs of a graph node (attention: query, key cache, value cache).
pub const MAX_INPUTS: usize = 3;
/// Most weights of a graph node.
pub const MAX_WEIGHTS: usize = 1;
/// The op that appends the token id of its last input to the ids so far (its first
/// input, absent for the first id): the generation's output.
pub const COLLECT: u32 = 11;
/// Header words of a descriptor.
const HEADER: usize = 5;
/// Fixed parameter words before the per-tensor ones.
const FIXED_PARAMS: usize = 9;

/// A tensor placed in the node's memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placed {
    /// Byte address.
    pub addr: u32,
    /// Region height (the region is `32 << height` bytes).
    pub height: u32,
    /// Words (inputs) or bytes (weights) the kernel reads from it.
    pub len: u32,
    /// Weight dtype code ([`LlmDType::code`]); 0 for an input.
    pub dtype: u32,
    /// Weight scale shift; 0 for an input.
    pub shift: i32,
}

/// The parameters after the tensor entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeParams {
    /// The image node's parameters.
    pub p: [u32; 4],
    /// Position of the token this node belongs to.
    pub pos: u32,
    /// Embedding: the word of the first input holding the token id.
    pub word: u32,
    /// Words of the output.
    pub out_words: u32,
    /// Scratch region (attention scores): address and words; zero at the start.
    pub scratch_addr: u32,
    /// Scratch words.
    pub scratch_words: u32,
}

/// A decoded graph-node descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeDesc {
    /// The op: an [`LlmOp`] code, or [`COLLECT`].
    pub op: u32,
    /// Inputs used.
    pub n_inputs: usize,
    /// Weights used.
    pub n_weights: usize,
    /// The inputs.
    pub inputs: [Placed; MAX_INPUTS],
    /// The weights.
    pub weights: [Placed; MAX_WEIGHTS],
    /// Output region: address and height.
    pub out: Placed,
    /// The parameters.
    pub params: NodeParams,
}

fn word(bytes: &[u8], i: usize) -> Result<u32, LlmError> {
    let b = bytes
        .get(4 * i..4 * i + 4)
        .ok_or(LlmError::BadNode(i as u32))?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl NodeDesc {
    /// Decodes descriptor bytes; [`LlmError::BadNode`] names the word that is missing or
    /// out of range.
    pub fn parse(bytes: &[u8]) -> Result<NodeDesc, LlmError> {
        let w = |i| word(bytes, i);
        let (n_in, n_w) = (w(1)? as usize, w(2)? as usize);
        if n_in > MAX_INPUTS {
            return Err(LlmError::BadNode(1));
        }
        if n_w > MAX_WEIGHTS {
            return Err(LlmError::BadNode(2));
        }
        let mut d = NodeDesc {
            op: w(0)?,
            n_inputs: n_in,
            n_weights: n_w,
            inputs: [Placed::default(); MAX_INPUTS],
            weights: [Placed::default(); MAX_WEIGHTS],
            out: Placed {
                addr: w(3)?,
                height: w(4)?,
                ..Placed::default()
            },
            params: NodeParams::default(),
        };
        let p = HEADER + 3 * (n_in + n_w);
        let mut fixed = [0u32; FIXED_PARAMS];
        for (k, f) in fixed.iter_mut().enumerate() {
            *f = w(p + k)?;
        }
        d.params = NodeParams {
            p: [fixed[0], fixed[1], fixed[2], fixed[3]],
            pos: fixed[4],
            word: fixed[5],
            out_words: fixed[6],
            scratch_addr: fixed[7],
            scratch_words: fixed[8],
        };
        let per = p + FIXED_PARAMS;
        for i in 0..n_in {
            let e = HEADER + 3 * i;
            d.inputs[i] = Placed {
                addr: w(e + 1)?,
                height: w(e + 2)?,
                len: w(per + i)?,
                ..Placed::default()
            };
        }
        for j in 0..n_w {
            let e = HEADER + 3 * (n_in + j);
            let at = per + n_in + 3 * j;
            d.weights[j] = Placed {
                addr: w(e + 1)?,
                height: w(e + 2)?,
                dtype: w(at)?,
                shift: w(at + 1)? as i32,
                len: w(at + 2)?,
            };
        }
        Ok(d)
    }

    /// Every region the node touches: its inputs, weights, output and scratch, as
    /// `(addr, bytes)` (the output and scratch by the words written).
    pub fn regions(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let inputs = self.inputs[..self.n_inputs]
            .iter()
            .map(|t| (u64::from(t.addr), 4 * u64::from(t.len)));
        let weights = self.weights[..self.n_weights]
            .iter()
            .map(|t| (u64::from(t.addr), u64::from(t.len)));
        let p = &self.params;
        let written = [
            (u64::from(self.out.addr), 4 * u64::from(p.out_words)),
            (u64::from(p.scratch_addr), 4 * u64::from(p.scratch_words)),
        ];
        inputs.chain(weights).chain(written)
    }
}

/// Computes node `d` from its inputs (i32 words) and weights (bytes) into `out`
/// (`out_words` words), using `scratch` (`scratch_words` words, zero). Kernel refusals
/// are [`LlmError::Kernel`] with the op.
pub fn run_node(
    d: &NodeDesc,
    inputs: &[&[i32]],
    weights: &[&[u8]],
    out: &mut [i32],
    scratch: &mut [i32],
) -> Result<(), LlmError> {
    let fail = LlmError::Kernel(d.op);
    let input = |i: usize| inputs.get(i).copied().ok_or(fail);
    let weight = |j: usize| -> Result<(&[u8], super::quant::WeightType, i32), LlmError> {
        let w = d.weights.get(j).ok_or(fail)?;
        let ty = match LlmDType::from_code(w.dtype) {
            Some(LlmDType::Weight(ty)) => ty,
            _ => return Err(fail),
        };
        Ok((weights.get(j).copied().ok_or(fail)?, ty, w.shift))
    };
    let raw_weight = |j: usize| -> Result<(&[u8], i32), LlmError> {
        let w = d.weights.get(j).ok_or(fail)?;
        Ok((weights.get(j).copied().ok_or(fail)?, w.shift))
    };
    let p = d.params;
    let pos = p.pos as usize;
    if d.op == COLLECT {
        let id = input(inputs.len().saturating_sub(1))?;
        let (prev, last) = match inputs.len() {
            1 => (&[][..], id),
            2 => (input(0)?, id),
            _ => return Err(fail),
        };
        let n = prev.len();
        let slot = out.get_mut(..n + 1).ok_or(fail)?;
        slot[..n].copy_from_slice(prev);
        slot[n] = *last.first().ok_or(fail)?;
        return Ok(());
    }
    let op = LlmOp::from_code(d.op).ok_or(LlmError::BadNode(0))?;
    let ok = |r: Result<(), crate::ShapeError>| r.map_err(|_| fail);
    match op {
        LlmOp::Embed => {
            let (w, ty, shift) = weight(0)?;
            let token = *input(0)?.get(p.word as usize).ok_or(fail)?;
            ok(embed_row(w, ty, shift, token as u32 as usize, out))
        }
        LlmOp::RmsNorm => {
            let (w, shift) = raw_weight(0)?;
            let eps = Fixed {
                mantissa: p.p[0],
                shift: p.p[1],
            };
            ok(rmsnorm(input(0)?, w, shift, eps, out))
        }
        LlmOp::Quantize => ok(quantize_act(input(0)?, out)),
        LlmOp::MatMul => {
            let (w, ty, shift) = weight(0)?;
            ok(matmul(w, ty, shift, input(0)?, out))
        }
        LlmOp::Rope => {
            let (table, _) = raw_weight(0)?;
            let hd = p.p[0] as usize;
            let row = table.get(pos * 4 * hd..(pos + 1) * 4 * hd).ok_or(fail)?;
            let x = input(0)?;
            out.get_mut(..x.len()).ok_or(fail)?.copy_from_slice(x);
            ok(rope(out, row, hd))
        }
        LlmOp::CacheWrite => {
            let x = input(0)?;
            if inputs.len() == 2 {
                let old = input(1)?;
                out.get_mut(..old.len()).ok_or(fail)?.copy_from_slice(old);
            }
            let row = out
                .get_mut(pos * x.len()..(pos + 1) * x.len())
                .ok_or(fail)?;
            row.copy_from_slice(x);
            Ok(())
        }
        LlmOp::Attention => {
            let shape = AttnShape {
                n_heads: p.p[0] as usize,
                n_kv_heads: p.p[1] as usize,
                head_dim: p.p[2] as usize,
                score_mul: i64::from(p.p[3]),
            };
            let (q, k, v) = (input(0)?, input(1)?, input(2)?);
            ok(attention(q, k, v, pos + 1, shape, scratch, out))
        }
        LlmOp::SwiGlu => ok(swiglu(input(0)?, input(1)?, out)),
        LlmOp::Add => ok(add(input(0)?, input(1)?, out)),
        LlmOp::Argmax => {
            let best = argmax(input(0)?).ok_or(fail)?;
            *out.first_mut().ok_or(fail)? = best as i32;
            Ok(())
        }
    }
}
