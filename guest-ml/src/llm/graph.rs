//! The LLM image format (version 2 of the model image, see `docs/model-image.md`,
//! "LLM images"): a header, a table of named tensors, a table of nodes in topological
//! order, the names, and the weight data, page-aligned. Activations, the KV cache and
//! scratch live in an *arena* the runner provides, whose layout the tensor table also
//! gives. One run of the nodes is one token's forward pass.
//!
//! [`LlmImage::parse`] checks everything before any node runs: header, checksum,
//! every tensor (dtype, shape, size, region, alignment, no overlap) and every node
//! (op, parameters, tensor dtypes and shapes, which tensors it may write).

use super::error::LlmError;
use super::fixed::ACT_FRAC;
use super::quant::{act_words, WeightType, QK};
use super::rope::ROPE_FRAC;
use crate::image::{fnv1a64, MAGIC};

/// The version of LLM images (MNIST images are version 1).
pub const VERSION: u32 = 2;
/// Header bytes.
pub const HEADER_LEN: usize = 80;
/// Bytes per tensor entry.
pub const TENSOR_ENTRY_LEN: usize = 64;
/// Bytes per node entry.
pub const NODE_ENTRY_LEN: usize = 64;
/// Alignment of every tensor's data, in the image and in the arena (a Wasm page).
pub const PAGE: u64 = 65536;
/// Most tensors or nodes.
pub const MAX_ENTRIES: u32 = 1 << 16;
/// "No tensor" in a node's tensor slots.
pub const NONE: u32 = u32::MAX;

/// Element types of tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmDType {
    /// `1`: int32; its fixed point is given by the entry's shift (activations: Q16).
    I32,
    /// `2`: a quantized activation (int8 blocks of 32 with a scale each), `[n]`.
    ActQ8,
    /// `3`, `4`, `5`: weight blocks `[rows, cols]` of Q4_0, Q4_1, Q8_0 with `i16` scales
    /// in units of `2^-shift`.
    Weight(WeightType),
}

impl LlmDType {
    /// Decodes the table's dtype number.
    pub fn from_code(c: u32) -> Option<LlmDType> {
        Some(match c {
            1 => LlmDType::I32,
            2 => LlmDType::ActQ8,
            3 => LlmDType::Weight(WeightType::Q4_0),
            4 => LlmDType::Weight(WeightType::Q4_1),
            5 => LlmDType::Weight(WeightType::Q8_0),
            _ => return None,
        })
    }

    /// The table's dtype number.
    pub fn code(self) -> u32 {
        match self {
            LlmDType::I32 => 1,
            LlmDType::ActQ8 => 2,
            LlmDType::Weight(WeightType::Q4_0) => 3,
            LlmDType::Weight(WeightType::Q4_1) => 4,
            LlmDType::Weight(WeightType::Q8_0) => 5,
        }
    }
}

/// Where a tensor's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// `0`: in the image (weights, tables): read-only.
    Image,
    /// `1`: in the arena (activations, KV cache, scratch): written by nodes.
    Arena,
}

/// Node operations; the parameter and slot conventions are in `docs/model-image.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmOp {
    /// `1`: embedding row of the input token.
    Embed,
    /// `2`: RMSNorm; `p0`, `p1` = epsilon as `p0 · 2^-p1`.
    RmsNorm,
    /// `3`: quantize int32 activations to int8 blocks.
    Quantize,
    /// `4`: matrix-vector product over weight blocks.
    MatMul,
    /// `5`: RoPE in place; `p0` = head width.
    Rope,
    /// `6`: write the input vector into row `pos` of a cache.
    CacheWrite,
    /// `7`: attention; `p0` heads, `p1` KV heads, `p2` head width, `p3` score
    /// multiplier (Q24).
    Attention,
    /// `8`: SwiGLU.
    SwiGlu,
    /// `9`: residual add.
    Add,
    /// `10`: argmax (lowest index on ties).
    Argmax,
}

impl LlmOp {
    /// Decodes the table's op number.
    pub fn from_code(c: u32) -> Option<LlmOp> {
        use LlmOp::*;
        Some(match c {
            1 => Embed,
            2 => RmsNorm,
            3 => Quantize,
            4 => MatMul,
            5 => Rope,
            6 => CacheWrite,
            7 => Attention,
            8 => SwiGlu,
            9 => Add,
            10 => Argmax,
            _ => return None,
        })
    }

    /// The table's op number.
    pub fn code(self) -> u32 {
        self as u32 + 1
    }
}

/// A validated tensor entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorEntry {
    /// Element type.
    pub dtype: LlmDType,
    /// Where its bytes are.
    pub region: Region,
    /// Used dimensions (1..=4).
    pub rank: usize,
    /// Dimensions, outermost first; unused ones are 1.
    pub dims: [u32; 4],
    /// Fixed point: one unit is `2^-shift` (weights: of the block scales).
    pub shift: i32,
    /// Byte offset in its region (a multiple of [`PAGE`]).
    pub offset: u64,
    /// Byte length.
    pub len: u64,
    /// Name: byte range in the image.
    name: (usize, usize),
}

impl TensorEntry {
    /// Number of elements (product of the dimensions).
    pub fn elements(&self) -> u64 {
        self.dims.iter().map(|&d| u64::from(d)).product()
    }

    /// Byte range in its region.
    pub fn range(&self) -> core::ops::Range<u64> {
        self.offset..self.offset + self.len
    }
}

/// A node entry (slots hold tensor ids or [`NONE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// What it computes.
    pub op: LlmOp,
    /// Parameters (meaning per op).
    pub params: [u32; 4],
    /// Tensors it reads from the arena.
    pub inputs: [u32; 4],
    /// Tensors it reads from the image.
    pub weights: [u32; 2],
    /// Tensors it writes.
    pub outputs: [u32; 2],
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, LlmError> {
    let s = b.get(at..at + 4).ok_or(LlmError::Truncated)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, LlmError> {
    Ok(u64::from(u32_at(b, at)?) | u64::from(u32_at(b, at + 4)?) << 32)
}

/// The checksum of an image: FNV-1a 64 over the header's first 64 bytes followed by
/// the tables and names (not the weight data: the image is authenticated by its
/// memory root; this only catches accidental damage cheaply).
pub fn checksum(bytes: &[u8], tables_end: usize) -> u64 {
    let mut h = fnv1a64(&bytes[..64.min(bytes.len())]);
    for &b in bytes.get(HEADER_LEN..tables_end).unwrap_or(&[]) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A parsed, validated LLM image borrowing the image bytes.
#[derive(Clone, Copy, Debug)]
pub struct LlmImage<'a> {
    bytes: &'a [u8],
    n_tensors: u32,
    n_nodes: u32,
    /// Arena size in bytes (a multiple of 4).
    pub arena_len: u64,
    /// The input tensor (`I32 [2]`: token id, position).
    pub input: u32,
    /// The logits tensor (`I32 [vocab]`, Q16).
    pub logits: u32,
    /// The argmax tensor (`I32 [1]`).
    pub argmax: u32,
    /// Positions the KV caches and RoPE tables hold.
    pub max_ctx: u32,
    /// Vocabulary size.
    pub vocab: u32,
}

impl<'a> LlmImage<'a> {
    /// Checks `bytes` and returns the image, or the first problem found.
    pub fn parse(bytes: &'a [u8]) -> Result<LlmImage<'a>, LlmError> {
        if bytes.len() < HEADER_LEN {
            return Err(LlmError::Truncated);
        }
        if bytes[..8] != MAGIC {
            return Err(LlmError::BadMagic);
        }
        let version = u32_at(bytes, 8)?;
        if version != VERSION {
            return Err(LlmError::BadVersion(version));
        }
        if u64_at(bytes, 24)? != bytes.len() as u64 {
            return Err(LlmError::LengthMismatch);
        }
        let n_tensors = u32_at(bytes, 12)?;
        let n_nodes = u32_at(bytes, 16)?;
        let names_len = u32_at(bytes, 20)?;
        if n_tensors > MAX_ENTRIES || n_nodes > MAX_ENTRIES {
            return Err(LlmError::BadHeader);
        }
        let tables_end = HEADER_LEN as u64
            + u64::from(n_tensors) * TENSOR_ENTRY_LEN as u64
            + u64::from(n_nodes) * NODE_ENTRY_LEN as u64
            + u64::from(names_len);
        if tables_end > bytes.len() as u64 {
            return Err(LlmError::Truncated);
        }
        if checksum(bytes, tables_end as usize) != u64_at(bytes, 64)? {
            return Err(LlmError::Checksum);
        }
        let image = LlmImage {
            bytes,
            n_tensors,
            n_nodes,
            arena_len: u64_at(bytes, 32)?,
            input: u32_at(bytes, 40)?,
            logits: u32_at(bytes, 44)?,
            argmax: u32_at(bytes, 48)?,
            max_ctx: u32_at(bytes, 52)?,
            vocab: u32_at(bytes, 56)?,
        };
        if u32_at(bytes, 60)? != ACT_FRAC
            || u64_at(bytes, 72)? != 0
            || !image.arena_len.is_multiple_of(4)
            || image.max_ctx == 0
            || image.vocab == 0
        {
            return Err(LlmError::BadHeader);
        }
        image.check_tensors(tables_end)?;
        let special = |id: u32, n: u64| {
            image.tensor(id).is_ok_and(|t| {
                t.dtype == LlmDType::I32 && t.region == Region::Arena && t.elements() == n
            })
        };
        if !special(image.input, 2)
            || !special(image.logits, u64::from(image.vocab))
            || !special(image.argmax, 1)
        {
            return Err(LlmError::BadHeader);
        }
        for i in 0..n_nodes {
            let node = image.node(i)?;
            super::check::node(&image, i, &node)?;
        }
        Ok(image)
    }

    /// Every tensor entry valid; image and arena tensors each in increasing,
    /// non-overlapping, page-aligned order; image data after the tables.
    fn check_tensors(&self, tables_end: u64) -> Result<(), LlmError> {
        let (mut image_end, mut arena_end) = (tables_end, 0u64);
        for i in 0..self.n_tensors {
            let t = self.tensor(i)?;
            let end = match t.region {
                Region::Image => &mut image_end,
                Region::Arena => &mut arena_end,
            };
            let limit = match t.region {
                Region::Image => self.bytes.len() as u64,
                Region::Arena => self.arena_len,
            };
            if t.offset < *end || t.offset % PAGE != 0 || t.offset + t.len > limit {
                return Err(LlmError::BadTensor(i));
            }
            *end = t.offset + t.len;
        }
        Ok(())
    }

    /// Number of tensors.
    pub fn n_tensors(&self) -> u32 {
        self.n_tensors
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> u32 {
        self.n_nodes
    }

    fn names_start(&self) -> usize {
        HEADER_LEN
            + self.n_tensors as usize * TENSOR_ENTRY_LEN
            + self.n_nodes as usize * NODE_ENTRY_LEN
    }

    /// Tensor `i`: a known dtype, rank 1..=4 with unused dims 1 and none 0, the byte
    /// length its dtype and shape imply, the name inside the names.
    pub fn tensor(&self, i: u32) -> Result<TensorEntry, LlmError> {
        let bad = LlmError::BadTensor(i);
        if i >= self.n_tensors {
            return Err(bad);
        }
        let at = HEADER_LEN + i as usize * TENSOR_ENTRY_LEN;
        let f = |k: usize| u32_at(self.bytes, at + 4 * k);
        let (name_off, name_len) = (f(0)?, f(1)?);
        // In u64: on wasm32 a usize sum could wrap.
        if u64::from(name_off) + u64::from(name_len) > u64::from(u32_at(self.bytes, 20)?) {
            return Err(bad);
        }
        let dtype = LlmDType::from_code(f(2)?).ok_or(bad)?;
        let region = match f(3)? {
            0 => Region::Image,
            1 => Region::Arena,
            _ => return Err(bad),
        };
        let rank = f(4)? as usize;
        let mut dims = [1u32; 4];
        for (k, d) in dims.iter_mut().enumerate() {
            *d = f(5 + k)?;
            if *d == 0 || (k >= rank && *d != 1) {
                return Err(bad);
            }
        }
        let entry = TensorEntry {
            dtype,
            region,
            rank,
            dims,
            shift: f(9)? as i32,
            offset: u64_at(self.bytes, at + 40)?,
            len: u64_at(self.bytes, at + 48)?,
            name: (self.names_start() + name_off as usize, name_len as usize),
        };
        let expect = match dtype {
            LlmDType::I32 => entry.elements().checked_mul(4),
            LlmDType::ActQ8 if rank == 1 && u64::from(dims[0]) % QK as u64 == 0 => {
                Some(4 * act_words(dims[0] as usize) as u64)
            }
            LlmDType::Weight(ty) if rank == 2 && u64::from(dims[1]) % QK as u64 == 0 => {
                Some(u64::from(dims[0]) * u64::from(dims[1]) / QK as u64 * ty.block_bytes() as u64)
            }
            _ => None,
        };
        let weight_in_image = !matches!(dtype, LlmDType::Weight(_)) || region == Region::Image;
        let act_in_arena = dtype != LlmDType::ActQ8 || region == Region::Arena;
        if !(1..=4).contains(&rank)
            || expect != Some(entry.len)
            || !weight_in_image
            || !act_in_arena
            || entry.offset.checked_add(entry.len).is_none()
        {
            return Err(bad);
        }
        Ok(entry)
    }

    /// The name of tensor `i` (empty if it is not UTF-8).
    pub fn tensor_name(&self, i: u32) -> Result<&'a str, LlmError> {
        let t = self.tensor(i)?;
        let bytes = &self.bytes[t.name.0..t.name.0 + t.name.1];
        Ok(core::str::from_utf8(bytes).unwrap_or(""))
    }

    /// The image bytes of an image-region tensor.
    pub fn data(&self, t: &TensorEntry) -> &'a [u8] {
        &self.bytes[t.offset as usize..(t.offset + t.len) as usize]
    }

    /// Node `i` (its op decoded; the fit with its tensors is checked by `parse`).
    pub fn node(&self, i: u32) -> Result<Node, LlmError> {
        if i >= self.n_nodes {
            return Err(LlmError::BadNode(i));
        }
        let at =
            HEADER_LEN + self.n_tensors as usize * TENSOR_ENTRY_LEN + i as usize * NODE_ENTRY_LEN;
        let f = |k: usize| u32_at(self.bytes, at + 4 * k);
        let op = LlmOp::from_code(f(0)?).ok_or(LlmError::BadNode(i))?;
        if f(13)? != 0 || f(14)? != 0 || f(15)? != 0 {
            return Err(LlmError::BadNode(i));
        }
        Ok(Node {
            op,
            params: [f(1)?, f(2)?, f(3)?, f(4)?],
            inputs: [f(5)?, f(6)?, f(7)?, f(8)?],
            weights: [f(9)?, f(10)?],
            outputs: [f(11)?, f(12)?],
        })
    }
}

/// The shift every RoPE table must have.
pub const ROPE_TABLE_SHIFT: i32 = ROPE_FRAC as i32;
