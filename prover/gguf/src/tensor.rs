//! Tensor types and tensor descriptors.

use crate::error::{GgufError, Result};

/// The ggml tensor types this crate reads. Each is stored in blocks of
/// [`block_len`](Self::block_len) elements taking [`block_bytes`](Self::block_bytes)
/// bytes; the block layouts are in [`crate::quant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorType {
    /// Type 0: little-endian f32.
    F32,
    /// Type 1: little-endian IEEE half.
    F16,
    /// Type 2: 32 weights in 18 bytes, `d * (q - 8)`.
    Q4_0,
    /// Type 3: 32 weights in 20 bytes, `d * q + m`.
    Q4_1,
    /// Type 8: 32 weights in 34 bytes, `d * q` with `q` an i8.
    Q8_0,
}

/// ggml's names of its type numbers, for error messages about types this crate
/// does not read.
const GGML_TYPE_NAMES: [(u32, &str); 32] = [
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (6, "Q5_0"),
    (7, "Q5_1"),
    (8, "Q8_0"),
    (9, "Q8_1"),
    (10, "Q2_K"),
    (11, "Q3_K"),
    (12, "Q4_K"),
    (13, "Q5_K"),
    (14, "Q6_K"),
    (15, "Q8_K"),
    (16, "IQ2_XXS"),
    (17, "IQ2_XS"),
    (18, "IQ3_XXS"),
    (19, "IQ1_S"),
    (20, "IQ4_NL"),
    (21, "IQ3_S"),
    (22, "IQ2_S"),
    (23, "IQ4_XS"),
    (24, "I8"),
    (25, "I16"),
    (26, "I32"),
    (27, "I64"),
    (28, "F64"),
    (29, "IQ1_M"),
    (30, "BF16"),
    (34, "TQ1_0"),
    (35, "TQ2_0"),
    (39, "MXFP4"),
];

/// ggml's name for type number `ty`, or "unknown".
pub fn ggml_type_name(ty: u32) -> &'static str {
    GGML_TYPE_NAMES
        .iter()
        .find(|(id, _)| *id == ty)
        .map_or("unknown", |(_, name)| name)
}

impl TensorType {
    /// The type for ggml type number `ty`; an error naming `tensor` for any other.
    pub fn from_id(ty: u32, tensor: &str) -> Result<TensorType> {
        Ok(match ty {
            0 => TensorType::F32,
            1 => TensorType::F16,
            2 => TensorType::Q4_0,
            3 => TensorType::Q4_1,
            8 => TensorType::Q8_0,
            _ => {
                return Err(GgufError::UnsupportedTensorType {
                    name: tensor.to_string(),
                    ty,
                    type_name: ggml_type_name(ty),
                })
            }
        })
    }

    /// The ggml type number.
    pub fn id(self) -> u32 {
        match self {
            TensorType::F32 => 0,
            TensorType::F16 => 1,
            TensorType::Q4_0 => 2,
            TensorType::Q4_1 => 3,
            TensorType::Q8_0 => 8,
        }
    }

    /// The ggml name, e.g. `Q4_1`.
    pub fn name(self) -> &'static str {
        ggml_type_name(self.id())
    }

    /// Elements per block.
    pub fn block_len(self) -> u64 {
        match self {
            TensorType::F32 | TensorType::F16 => 1,
            TensorType::Q4_0 | TensorType::Q4_1 | TensorType::Q8_0 => 32,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> u64 {
        match self {
            TensorType::F32 => 4,
            TensorType::F16 => 2,
            TensorType::Q4_0 => 18,
            TensorType::Q4_1 => 20,
            TensorType::Q8_0 => 34,
        }
    }

    /// Bytes taken by a tensor of this type and shape (ggml order, innermost first).
    /// An error naming `tensor` when the element count overflows or the innermost
    /// dimension is not a whole number of blocks.
    pub fn data_size(self, dims: &[u64], tensor: &str) -> Result<u64> {
        let bad = |reason: String| GgufError::TensorData {
            name: tensor.to_string(),
            reason,
        };
        let n = element_count(dims).ok_or_else(|| bad(format!("shape {dims:?} overflows")))?;
        let inner = dims.first().copied().unwrap_or(1);
        if inner % self.block_len() != 0 {
            return Err(bad(format!(
                "innermost dimension {inner} is not a multiple of the {} block length {}",
                self.name(),
                self.block_len()
            )));
        }
        (n / self.block_len())
            .checked_mul(self.block_bytes())
            .ok_or_else(|| bad(format!("shape {dims:?} overflows")))
    }
}

/// The number of elements of a shape, or `None` on overflow.
pub fn element_count(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
}

/// One tensor of a file: name, shape, type and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// The shape in ggml order: `dims[0]` is the innermost (contiguous) dimension, so
    /// a matrix with `r` rows of `c` columns is `[c, r]`.
    pub dims: Vec<u64>,
    /// The element type.
    pub ty: TensorType,
    /// Offset of its data from the start of the data section (as in the file).
    pub offset: u64,
    /// Absolute byte range of its data in the file.
    pub range: std::ops::Range<u64>,
}

impl TensorInfo {
    /// Number of elements.
    pub fn n_elements(&self) -> u64 {
        // The reader checked that the product fits when it computed the data size.
        element_count(&self.dims).unwrap_or(0)
    }
}
