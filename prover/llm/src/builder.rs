//! Writes LLM images (format: `docs/model-image.md`, "LLM images"): tensors are
//! declared in order (image tensors with their bytes, arena tensors with their
//! shape), nodes reference them by id, and `finish` lays the data out page-aligned and
//! fills in the header and checksum.

use opml_guest_ml::image::MAGIC;
use opml_guest_ml::llm::fixed::ACT_FRAC;
use opml_guest_ml::llm::graph::{
    checksum, LlmDType, LlmOp, HEADER_LEN, NODE_ENTRY_LEN, NONE, PAGE, TENSOR_ENTRY_LEN, VERSION,
};
use opml_guest_ml::llm::quant::{act_words, QK};

use crate::error::CompileError;

struct TensorSpec {
    name: (u32, u32),
    dtype: LlmDType,
    arena: bool,
    dims: Vec<u32>,
    shift: i32,
    len: u64,
    data: Vec<u8>,
}

struct NodeSpec {
    op: LlmOp,
    params: [u32; 4],
    inputs: [u32; 4],
    weights: [u32; 2],
    outputs: [u32; 2],
}

/// The header's special tensors and sizes.
#[derive(Clone, Copy, Debug)]
pub struct Specials {
    /// The `I32 [2]` input tensor (token, position).
    pub input: u32,
    /// The `I32 [vocab]` logits.
    pub logits: u32,
    /// The `I32 [1]` argmax.
    pub argmax: u32,
    /// Positions of the caches and RoPE tables.
    pub max_ctx: u32,
    /// Vocabulary size.
    pub vocab: u32,
}

/// An LLM image under construction.
#[derive(Default)]
pub struct GraphBuilder {
    tensors: Vec<TensorSpec>,
    nodes: Vec<NodeSpec>,
    names: Vec<u8>,
}

/// Bytes of a tensor of `dtype` and `dims` (outermost first).
pub fn tensor_len(dtype: LlmDType, dims: &[u32]) -> Option<u64> {
    let elements: u64 = dims.iter().map(|&d| u64::from(d)).product();
    match dtype {
        LlmDType::I32 => elements.checked_mul(4),
        LlmDType::ActQ8 => (dims.len() == 1 && elements % QK as u64 == 0)
            .then(|| 4 * act_words(elements as usize) as u64),
        LlmDType::Weight(ty) => (dims.len() == 2 && u64::from(dims[1]) % QK as u64 == 0)
            .then(|| elements / QK as u64 * ty.block_bytes() as u64),
    }
}

fn slots<const N: usize>(ids: &[u32]) -> [u32; N] {
    let mut s = [NONE; N];
    s[..ids.len()].copy_from_slice(ids);
    s
}

impl GraphBuilder {
    fn push(
        &mut self,
        name: &str,
        dtype: LlmDType,
        dims: &[u32],
        shift: i32,
        arena: bool,
        data: Vec<u8>,
    ) -> Result<u32, CompileError> {
        let bad = |reason: String| CompileError::Tensor {
            tensor: name.to_string(),
            reason,
        };
        let len = tensor_len(dtype, dims)
            .filter(|_| (1..=4).contains(&dims.len()) && !dims.contains(&0))
            .ok_or_else(|| bad(format!("shape {dims:?} does not fit {dtype:?}")))?;
        if !arena && data.len() as u64 != len {
            return Err(bad(format!(
                "{} bytes, shape {dims:?} needs {len}",
                data.len()
            )));
        }
        let name_at = self.names.len() as u32;
        self.names.extend_from_slice(name.as_bytes());
        self.tensors.push(TensorSpec {
            name: (name_at, name.len() as u32),
            dtype,
            arena,
            dims: dims.to_vec(),
            shift,
            len,
            data,
        });
        Ok(self.tensors.len() as u32 - 1)
    }

    /// Declares a read-only tensor stored in the image.
    pub fn image_tensor(
        &mut self,
        name: &str,
        dtype: LlmDType,
        dims: &[u32],
        shift: i32,
        data: Vec<u8>,
    ) -> Result<u32, CompileError> {
        self.push(name, dtype, dims, shift, false, data)
    }

    /// Declares a tensor in the arena (activations, caches, scratch).
    pub fn arena_tensor(
        &mut self,
        name: &str,
        dtype: LlmDType,
        dims: &[u32],
    ) -> Result<u32, CompileError> {
        let shift = if dtype == LlmDType::I32 {
            ACT_FRAC as i32
        } else {
            0
        };
        self.push(name, dtype, dims, shift, true, Vec::new())
    }

    /// Appends a node (slots beyond the ids given are empty).
    pub fn node(
        &mut self,
        op: LlmOp,
        params: [u32; 4],
        inputs: &[u32],
        weights: &[u32],
        outputs: &[u32],
    ) {
        self.nodes.push(NodeSpec {
            op,
            params,
            inputs: slots(inputs),
            weights: slots(weights),
            outputs: slots(outputs),
        });
    }

    /// Lays out the image and returns its bytes.
    pub fn finish(self, s: Specials) -> Vec<u8> {
        let round = |v: u64| v.div_ceil(PAGE) * PAGE;
        let tables_end = (HEADER_LEN
            + self.tensors.len() * TENSOR_ENTRY_LEN
            + self.nodes.len() * NODE_ENTRY_LEN) as u64
            + self.names.len() as u64;
        let (mut image_end, mut arena_end) = (tables_end, 0u64);
        let mut offsets = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            let end = if t.arena {
                &mut arena_end
            } else {
                &mut image_end
            };
            let at = round(*end);
            offsets.push(at);
            *end = at + t.len;
        }
        let image_len = image_end;
        let mut out = Vec::with_capacity(image_len as usize);
        out.extend_from_slice(&MAGIC);
        let u32s =
            |out: &mut Vec<u8>, vs: &[u32]| vs.iter().for_each(|v| out.extend(v.to_le_bytes()));
        u32s(
            &mut out,
            &[
                VERSION,
                self.tensors.len() as u32,
                self.nodes.len() as u32,
                self.names.len() as u32,
            ],
        );
        out.extend(image_len.to_le_bytes());
        out.extend(round(arena_end).to_le_bytes());
        u32s(
            &mut out,
            &[s.input, s.logits, s.argmax, s.max_ctx, s.vocab, ACT_FRAC],
        );
        out.extend([0u8; 16]); // checksum (filled below), reserved
        for (t, &offset) in self.tensors.iter().zip(&offsets) {
            let mut dims = [1u32; 4];
            dims[..t.dims.len()].copy_from_slice(&t.dims);
            let region = u32::from(t.arena);
            u32s(
                &mut out,
                &[
                    t.name.0,
                    t.name.1,
                    t.dtype.code(),
                    region,
                    t.dims.len() as u32,
                ],
            );
            u32s(&mut out, &dims);
            out.extend(t.shift.to_le_bytes());
            out.extend(offset.to_le_bytes());
            out.extend(t.len.to_le_bytes());
            out.extend([0u8; 8]);
        }
        for n in &self.nodes {
            u32s(&mut out, &[n.op.code()]);
            u32s(&mut out, &n.params);
            u32s(&mut out, &n.inputs);
            u32s(&mut out, &n.weights);
            u32s(&mut out, &n.outputs);
            out.extend([0u8; 12]);
        }
        out.extend_from_slice(&self.names);
        let sum = checksum(&out, out.len());
        out[64..72].copy_from_slice(&sum.to_le_bytes());
        for (t, &offset) in self.tensors.iter().zip(&offsets) {
            if !t.arena {
                out.resize(offset as usize, 0);
                out.extend_from_slice(&t.data);
            }
        }
        out
    }
}
