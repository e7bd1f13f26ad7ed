//! An LLM request as one generation graph: the image's nodes for every position in
//! order, each computing a new value (RoPE, the residual add and the KV-cache row write
//! copy what the image does in place), so the KV caches and the previous position's
//! argmax are inputs of later nodes and a lie in token 3 is caught at the node where it
//! starts. A `COLLECT` node per generated id appends it to the ids so far; the last
//! node's output is the request's output. The node program is the guest's `node` entry
//! (`opml_guest_ml::llm::node`), and phase 1 runs the same function natively (a
//! matmul's rows in parallel bands, each by the same kernel).

use super::graph::Weight;
use super::{Descriptor, GraphModel, NodeProgram, PhaseError, TensorAt};
use opml_guest_ml::abi::{
    NODE_BASE_HEIGHT, NODE_DESC_ADDR, NODE_DESC_HEIGHT, NODE_TENSORS_ADDR, PAGE,
};
use opml_guest_ml::llm::graph::{LlmDType, LlmImage, LlmOp, Region as Placement};
use opml_guest_ml::llm::node::{run_node, NodeDesc, COLLECT};
use opml_guest_ml::llm::quant::matmul;
use opml_guest_ml::llm::request::Request;
use opml_guest_ml::llm::LlmError;
use opml_vm::commit::region::{height_for_len, Region};
use opml_vm::merkle::height_for;
use std::collections::HashMap;
use std::sync::Arc;

/// The most bytes of memory a node may use (the Wasm address space).
const MEMORY_END: u64 = 1 << 32;

/// One operand of a node being laid out: its id, bytes, and what the descriptor says
/// of it.
struct Operand {
    id: u32,
    bytes: u64,
    /// Input: words; weight: bytes.
    len: u32,
    dtype: u32,
    shift: i32,
}

/// Builds the generation graph of `request` (the guest's request bytes) on the LLM
/// image `image_bytes`, computed by `guest_wasm`'s `node` entry. The model's weights
/// are ranges of the image's buffer, not copies.
pub fn generation_graph(
    guest_wasm: &[u8],
    image_bytes: &Arc<Vec<u8>>,
    request: &[u8],
) -> Result<GraphModel, PhaseError> {
    let bad = |what: String| PhaseError::Node { node: 0, what };
    let image = LlmImage::parse(image_bytes).map_err(|e| bad(format!("LLM image: {e}")))?;
    let req = Request::decode(request).map_err(|e| bad(format!("request: {e}")))?;
    req.check(&image, usize::MAX)
        .map_err(|e| bad(format!("request: {e}")))?;
    let mut b = Builder {
        image,
        buffer: image_bytes,
        nodes: Vec::new(),
        weights: Vec::new(),
        weight_index: HashMap::new(),
        slot_words: vec![(request.len() / 4) as u32],
        latest: HashMap::new(),
        end: NODE_TENSORS_ADDR as u64,
        positions: req.positions() as u32,
    };
    let prompt = req.prompt_len();
    let positions = req.positions() as usize;
    let mut ids: Option<u32> = None;
    for pos in 0..positions {
        let token = if pos < prompt {
            (0, 1 + pos as u32)
        } else {
            (b.current(image.argmax)?, 0)
        };
        for i in 0..image.n_nodes() {
            b.add_image_node(i, pos as u32, token)?;
        }
        if pos + 1 >= prompt {
            let argmax = b.current(image.argmax)?;
            let inputs: Vec<u32> = ids.into_iter().chain([argmax]).collect();
            let count = (pos + 2 - prompt) as u32;
            let slot = b.push(COLLECT, &inputs, &[], count, 0, [0; 4], pos as u32, 0)?;
            ids = Some(slot);
        }
    }
    let pages = b.end.div_ceil(PAGE as u64) as u32;
    let base =
        Region::at(0, NODE_BASE_HEIGHT).map_err(|source| PhaseError::Region { node: 0, source })?;
    let desc = Region::at(NODE_DESC_ADDR as u64, NODE_DESC_HEIGHT)
        .map_err(|source| PhaseError::Region { node: 0, source })?;
    let program = NodeProgram::load(guest_wasm, "node", base, desc, Some(pages))?;
    let slots = 1 + b.nodes.len();
    let tree_height = height_for(slots.max(b.weights.len())) as u32;
    Ok(GraphModel {
        program,
        nodes: b.nodes,
        weights: b.weights,
        inputs: vec![height_for_len(request.len() as u64)],
        tree_height,
    })
}

/// Node `k`'s output computed natively by the node program's own kernels.
pub fn native_node(
    model: &GraphModel,
    k: usize,
    tensors: &[Vec<u8>],
) -> Result<Vec<u8>, PhaseError> {
    let node = k as u32;
    let ops = model.node_operands(k, tensors)?;
    let (inputs, weights) = (&ops.inputs, &ops.weights);
    let desc = NodeDesc::parse(&ops.descriptor.encode()).map_err(|e| PhaseError::Node {
        node,
        what: format!("descriptor: {e}"),
    })?;
    let words: Vec<Vec<i32>> = inputs
        .iter()
        .zip(&desc.inputs)
        .map(|(bytes, p)| {
            let mut w: Vec<i32> = bytes
                .chunks(4)
                .take(p.len as usize)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b[..c.len()].copy_from_slice(c);
                    i32::from_le_bytes(b)
                })
                .collect();
            w.resize(p.len as usize, 0);
            w
        })
        .collect();
    let ins: Vec<&[i32]> = words.iter().map(Vec::as_slice).collect();
    let ws: Vec<&[u8]> = weights
        .iter()
        .zip(&desc.weights)
        .map(|(bytes, p)| &bytes[..(p.len as usize).min(bytes.len())])
        .collect();
    let mut out = vec![0i32; desc.params.out_words as usize];
    let mut scratch = vec![0i32; desc.params.scratch_words as usize];
    let kernel = |e: LlmError| PhaseError::Node {
        node,
        what: format!("kernel: {e}"),
    };
    if desc.op == LlmOp::MatMul.code() && ins.len() == 1 && ws.len() == 1 {
        matmul_rows_in_parallel(&desc, ins[0], ws[0], &mut out).map_err(kernel)?;
    } else {
        run_node(&desc, &ins, &ws, &mut out, &mut scratch).map_err(kernel)?;
    }
    Ok(out.iter().flat_map(|w| w.to_le_bytes()).collect())
}

/// Rows per parallel task of a native matmul.
const ROWS_PER_TASK: usize = 64;

/// A matmul node natively on every core: its rows are independent, so each task runs
/// the node program's own kernel on a band of rows (the same arithmetic, the same bits).
fn matmul_rows_in_parallel(
    desc: &NodeDesc,
    act: &[i32],
    w: &[u8],
    out: &mut [i32],
) -> Result<(), LlmError> {
    use rayon::prelude::*;
    let fail = LlmError::Kernel(desc.op);
    let ty = match LlmDType::from_code(desc.weights[0].dtype) {
        Some(LlmDType::Weight(ty)) => ty,
        _ => return Err(fail),
    };
    let rows = out.len();
    if rows == 0 || !w.len().is_multiple_of(rows) {
        return Err(fail);
    }
    let row_bytes = w.len() / rows;
    let shift = desc.weights[0].shift;
    out.par_chunks_mut(ROWS_PER_TASK)
        .zip(w.par_chunks(ROWS_PER_TASK * row_bytes))
        .try_for_each(|(o, wb)| matmul(wb, ty, shift, act, o).map_err(|_| fail))
}

struct Builder<'a> {
    image: LlmImage<'a>,
    /// The image's buffer, which the weights share.
    buffer: &'a Arc<Vec<u8>>,
    nodes: Vec<Descriptor>,
    weights: Vec<Weight>,
    weight_index: HashMap<u32, (u32, u32, i32, u32)>,
    /// Words of each phase-1 slot's tensor.
    slot_words: Vec<u32>,
    /// The slot holding the latest value of each arena tensor of the image.
    latest: HashMap<u32, u32>,
    /// The highest address any node uses.
    end: u64,
    /// Positions the request takes: the KV caches hold that many rows, not the image's
    /// whole context.
    positions: u32,
}

impl Builder<'_> {
    fn err(&self, what: String) -> PhaseError {
        PhaseError::Node {
            node: self.nodes.len() as u32,
            what,
        }
    }

    /// The slot of arena tensor `t`'s latest value.
    fn current(&self, t: u32) -> Result<u32, PhaseError> {
        self.latest.get(&t).copied().ok_or_else(|| {
            self.err(format!(
                "image tensor {t} is read before any node writes it"
            ))
        })
    }

    /// Words of arena tensor `t`.
    fn words(&self, t: u32) -> Result<u32, PhaseError> {
        let e = self.image.tensor(t).map_err(|e| self.err(e.to_string()))?;
        Ok((e.len / 4) as u32)
    }

    /// The weight index of image tensor `t` (registered on first use): index, dtype,
    /// shift, bytes.
    fn weight(&mut self, t: u32) -> Result<(u32, u32, i32, u32), PhaseError> {
        if let Some(&w) = self.weight_index.get(&t) {
            return Ok(w);
        }
        let e = self.image.tensor(t).map_err(|e| self.err(e.to_string()))?;
        if e.region != Placement::Image {
            return Err(self.err(format!("tensor {t} is not a weight")));
        }
        // The tensor's bytes lie in the image's buffer: keep their range, not a copy.
        let data = self.image.data(&e);
        let start = (data.as_ptr() as usize).wrapping_sub(self.buffer.as_ptr() as usize);
        let height = height_for_len(data.len() as u64);
        let weight = Weight::shared(self.buffer, start..start + data.len(), height)
            .ok_or_else(|| self.err(format!("tensor {t} lies outside the image")))?;
        let w = (
            self.weights.len() as u32,
            e.dtype.code(),
            e.shift,
            data.len() as u32,
        );
        self.weights.push(weight);
        self.weight_index.insert(t, w);
        Ok(w)
    }

    /// One node of the graph for image node `i` at position `pos`.
    fn add_image_node(&mut self, i: u32, pos: u32, token: (u32, u32)) -> Result<(), PhaseError> {
        let n = self.image.node(i).map_err(|e| self.err(e.to_string()))?;
        let [in0, in1, in2, _] = n.inputs;
        let out0 = n.outputs[0];
        let cur = |t| self.current(t);
        let (inputs, word): (Vec<u32>, u32) = match n.op {
            LlmOp::Embed => (vec![token.0], token.1),
            LlmOp::RmsNorm | LlmOp::Quantize | LlmOp::MatMul | LlmOp::Argmax => {
                (vec![cur(in0)?], 0)
            }
            LlmOp::Rope => (vec![cur(out0)?], 0),
            LlmOp::CacheWrite => {
                let old = self.latest.get(&out0).copied();
                (std::iter::once(cur(in0)?).chain(old).collect(), 0)
            }
            LlmOp::Attention => (vec![cur(in0)?, cur(in1)?, cur(in2)?], 0),
            LlmOp::SwiGlu | LlmOp::Add => (vec![cur(in0)?, cur(in1)?], 0),
        };
        let weights: Vec<u32> = n
            .weights
            .iter()
            .copied()
            .filter(|&w| w != opml_guest_ml::llm::graph::NONE)
            .collect();
        let scratch = match n.op {
            LlmOp::Attention => self.words(n.outputs[1])?,
            _ => 0,
        };
        let out_words = match n.op {
            LlmOp::CacheWrite => {
                let row = self.slot_words[inputs[0] as usize];
                self.words(out0)?.min(row.saturating_mul(self.positions))
            }
            _ => self.words(out0)?,
        };
        let slot = self.push(
            n.op.code(),
            &inputs,
            &weights,
            out_words,
            scratch,
            n.params,
            pos,
            word,
        )?;
        self.latest.insert(out0, slot);
        Ok(())
    }

    /// Lays out and appends a node; returns its output's slot.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        op: u32,
        inputs: &[u32],
        weights: &[u32],
        out_words: u32,
        scratch_words: u32,
        p: [u32; 4],
        pos: u32,
        word: u32,
    ) -> Result<u32, PhaseError> {
        let ins: Vec<Operand> = inputs
            .iter()
            .map(|&s| {
                let len = self.slot_words[s as usize];
                Operand {
                    id: s,
                    bytes: 4 * len as u64,
                    len,
                    dtype: 0,
                    shift: 0,
                }
            })
            .collect();
        let ws: Vec<Operand> = weights
            .iter()
            .map(|&t| {
                let (id, dtype, shift, bytes) = self.weight(t)?;
                Ok(Operand {
                    id,
                    bytes: bytes as u64,
                    len: bytes,
                    dtype,
                    shift,
                })
            })
            .collect::<Result<_, PhaseError>>()?;
        // Largest region first, each aligned to its size: no gaps, no overlaps.
        let sizes: Vec<u64> = ins
            .iter()
            .chain(&ws)
            .map(|o| o.bytes)
            .chain([4 * out_words as u64, 4 * scratch_words as u64])
            .collect();
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(height_for_len(sizes[i])));
        let mut addrs = vec![0u64; sizes.len()];
        let mut cursor = NODE_TENSORS_ADDR as u64;
        for i in order {
            let len = 32u64 << height_for_len(sizes[i]);
            addrs[i] = cursor.div_ceil(len) * len;
            cursor = addrs[i] + len;
        }
        if cursor > MEMORY_END {
            return Err(self.err(format!(
                "its tensors need {cursor} bytes of memory, more than 4 GiB"
            )));
        }
        self.end = self.end.max(cursor);
        let at = |o: &Operand, addr: u64| TensorAt {
            id: o.id,
            addr: addr as u32,
            height: height_for_len(o.bytes),
        };
        let n_in = ins.len();
        let (out_i, scratch_i) = (sizes.len() - 2, sizes.len() - 1);
        let scratch_addr = if scratch_words == 0 {
            0
        } else {
            addrs[scratch_i] as u32
        };
        let mut params = vec![
            p[0],
            p[1],
            p[2],
            p[3],
            pos,
            word,
            out_words,
            scratch_addr,
            scratch_words,
        ];
        params.extend(ins.iter().map(|o| o.len));
        params.extend(ws.iter().flat_map(|o| [o.dtype, o.shift as u32, o.len]));
        self.nodes.push(Descriptor {
            op,
            inputs: ins
                .iter()
                .enumerate()
                .map(|(i, o)| at(o, addrs[i]))
                .collect(),
            weights: ws
                .iter()
                .enumerate()
                .map(|(j, o)| at(o, addrs[n_in + j]))
                .collect(),
            out_addr: addrs[out_i] as u32,
            out_height: height_for_len(4 * out_words as u64),
            params,
        });
        self.slot_words.push(out_words);
        Ok(self.slot_words.len() as u32 - 1)
    }
}
