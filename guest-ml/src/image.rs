//! The model image format, version 1 (see `docs/model-image.md`): a header, a tensor
//! table, an op table, tensor data and an FNV-1a 64 checksum, all little-endian.
//!
//! [`Image::parse`] checks everything that does not depend on the input: bounds of
//! every table and tensor, dtypes, ranks, alignment and the checksum. Whether the ops fit
//! together is checked when they run ([`crate::exec`]).

use crate::kernels::Requant;
use crate::Error;

/// First 8 bytes of every image.
pub const MAGIC: [u8; 8] = *b"OPMLMODL";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Header size in bytes.
pub const HEADER_LEN: usize = 48;
/// Size of one tensor-table entry.
pub const TENSOR_ENTRY_LEN: usize = 40;
/// Size of one op-table entry.
pub const OP_ENTRY_LEN: usize = 16;
/// Size of the trailing checksum.
pub const CHECKSUM_LEN: usize = 8;
/// Most tensors or ops in one image.
pub const MAX_ENTRIES: u32 = 1024;

/// Element type of a tensor (tensor-table `dtype` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// `1`: int8 (weights).
    I8,
    /// `2`: int32, little-endian (biases).
    I32,
}

impl DType {
    /// The on-disk number.
    pub fn code(self) -> u32 {
        match self {
            DType::I8 => 1,
            DType::I32 => 2,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I32 => 4,
        }
    }
}

/// Op kinds (op-table `kind` field) with their parameters `a`, `b`, `c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `1`: conv2d, `a` = weight tensor (i8 `[O, C, K, K]`), `b` = bias tensor (i32
    /// `[O]`), `c` = stride | padding << 16. int8 `[C, H, W]` → int32 `[O, OH, OW]`.
    Conv2d,
    /// `2`: dense, `a` = weight tensor (i8 `[O, I]`), `b` = bias tensor (i32 `[O]`).
    /// flat int8 `[I]` → int32 `[O]`.
    Dense,
    /// `3`: requantize, `a` = Q0.31 multiplier, `b` = shift (i32). int32 → int8.
    Requantize,
    /// `4`: ReLU, int8 or int32, shape unchanged.
    Relu,
    /// `5`: max pooling, `a` = window size, `b` = stride. int8 → int8.
    MaxPool,
    /// `6`: average pooling, `a` = window size, `b` = stride. int8 → int8.
    AvgPool,
    /// `7`: flatten `[C, H, W]` to `[C·H·W]`.
    Flatten,
}

impl OpKind {
    /// Decodes an op-table `kind`.
    pub fn from_code(code: u32) -> Option<OpKind> {
        Some(match code {
            1 => OpKind::Conv2d,
            2 => OpKind::Dense,
            3 => OpKind::Requantize,
            4 => OpKind::Relu,
            5 => OpKind::MaxPool,
            6 => OpKind::AvgPool,
            7 => OpKind::Flatten,
            _ => return None,
        })
    }

    /// The on-disk number.
    pub fn code(self) -> u32 {
        self as u32 + 1
    }
}

/// One op-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// What it does.
    pub kind: OpKind,
    /// Parameters, meaning per [`OpKind`].
    pub a: u32,
    /// Second parameter.
    pub b: u32,
    /// Third parameter.
    pub c: u32,
}

/// A validated tensor: dtype, shape (rank 1..=4, unused dims 1) and its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tensor<'a> {
    /// Element type.
    pub dtype: DType,
    /// Number of used dimensions.
    pub rank: usize,
    /// Dimensions, `dims[rank..]` are 1.
    pub dims: [usize; 4],
    /// The data, `dtype.size() · product(dims)` bytes, 4-aligned in the image.
    pub data: &'a [u8],
    /// Real value of one unit as `(mantissa, exponent)`: `mantissa · 2^exponent`
    /// (informational; zero point is always 0).
    pub scale: (i32, i32),
}

impl<'a> Tensor<'a> {
    /// The data as int8, if that is the dtype.
    pub fn as_i8(&self) -> Option<&'a [i8]> {
        (self.dtype == DType::I8).then(|| bytes_as_i8(self.data))
    }

    /// The data as int32, if that is the dtype (and, always true for a parsed image,
    /// it is 4-aligned in memory).
    pub fn as_i32(&self) -> Option<&'a [i32]> {
        if self.dtype != DType::I32 {
            return None;
        }
        // SAFETY: every bit pattern is a valid i32; `align_to` only yields the aligned
        // middle part.
        let (head, body, tail) = unsafe { self.data.align_to::<i32>() };
        (head.is_empty() && tail.is_empty()).then_some(body)
    }
}

/// Views bytes as int8 (same size and alignment, every bit pattern valid).
pub fn bytes_as_i8(bytes: &[u8]) -> &[i8] {
    // SAFETY: u8 and i8 have the same layout and no invalid values.
    unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast::<i8>(), bytes.len()) }
}

/// FNV-1a 64 of `bytes` (detects accidental corruption; the image is authenticated by
/// the memory root, not by this checksum).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, Error> {
    let b = bytes
        .get(at..at.checked_add(4).ok_or(Error::Truncated)?)
        .ok_or(Error::Truncated)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A parsed, validated model image borrowing the image bytes.
#[derive(Clone, Copy, Debug)]
pub struct Image<'a> {
    bytes: &'a [u8],
    n_tensors: u32,
    n_ops: u32,
    /// Input shape `[C, H, W]` (int8).
    pub input: [usize; 3],
    /// Scale mapping logit differences to Q16 for the softmax.
    pub softmax: Requant,
}

impl<'a> Image<'a> {
    /// Checks `bytes` and returns the image, or the first problem found: magic, version,
    /// length, checksum, header fields, then every tensor entry.
    pub fn parse(bytes: &'a [u8]) -> Result<Image<'a>, Error> {
        if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(Error::Truncated);
        }
        if bytes[..8] != MAGIC {
            return Err(Error::BadMagic);
        }
        let version = u32_at(bytes, 8)?;
        if version != VERSION {
            return Err(Error::BadVersion(version));
        }
        if u32_at(bytes, 12)? as usize != bytes.len() {
            return Err(Error::LengthMismatch);
        }
        let body = bytes.len() - CHECKSUM_LEN;
        let stored = u64::from(u32_at(bytes, body)?) | u64::from(u32_at(bytes, body + 4)?) << 32;
        if fnv1a64(&bytes[..body]) != stored {
            return Err(Error::Checksum);
        }
        let n_tensors = u32_at(bytes, 16)?;
        let n_ops = u32_at(bytes, 20)?;
        let input = [
            u32_at(bytes, 24)? as usize,
            u32_at(bytes, 28)? as usize,
            u32_at(bytes, 32)? as usize,
        ];
        let softmax = Requant {
            multiplier: u32_at(bytes, 36)? as i32,
            shift: u32_at(bytes, 40)? as i32,
        };
        if n_tensors > MAX_ENTRIES
            || n_ops > MAX_ENTRIES
            || u32_at(bytes, 44)? != 0
            || !softmax.is_valid()
            || input.contains(&0)
        {
            return Err(Error::BadHeader);
        }
        let tables_end =
            HEADER_LEN + n_tensors as usize * TENSOR_ENTRY_LEN + n_ops as usize * OP_ENTRY_LEN;
        if tables_end > body {
            return Err(Error::Truncated);
        }
        let image = Image {
            bytes: &bytes[..body],
            n_tensors,
            n_ops,
            input,
            softmax,
        };
        for i in 0..n_tensors {
            image.tensor(i)?;
        }
        Ok(image)
    }

    /// Number of ops.
    pub fn n_ops(&self) -> u32 {
        self.n_ops
    }

    /// Number of tensors.
    pub fn n_tensors(&self) -> u32 {
        self.n_tensors
    }

    /// Tensor `i`, validated: known dtype, rank 1..=4 with unused dims 1, data inside
    /// the data area (after the tables, before the checksum), 4-aligned, of the size
    /// the shape implies.
    pub fn tensor(&self, i: u32) -> Result<Tensor<'a>, Error> {
        let bad = Error::BadTensor(i);
        if i >= self.n_tensors {
            return Err(bad);
        }
        let at = HEADER_LEN + i as usize * TENSOR_ENTRY_LEN;
        let field = |k: usize| u32_at(self.bytes, at + 4 * k);
        let dtype = match field(0)? {
            1 => DType::I8,
            2 => DType::I32,
            _ => return Err(bad),
        };
        let rank = field(1)? as usize;
        let mut dims = [1usize; 4];
        let mut count = dtype.size();
        for (k, d) in dims.iter_mut().enumerate() {
            *d = field(2 + k)? as usize;
            if (k >= rank && *d != 1) || *d == 0 {
                return Err(bad);
            }
            count = count.checked_mul(*d).ok_or(bad)?;
        }
        let (offset, len) = (field(6)? as usize, field(7)? as usize);
        let data_start = HEADER_LEN
            + self.n_tensors as usize * TENSOR_ENTRY_LEN
            + self.n_ops as usize * OP_ENTRY_LEN;
        let in_range = offset >= data_start
            && offset % 4 == 0
            && offset
                .checked_add(len)
                .is_some_and(|e| e <= self.bytes.len());
        if !(1..=4).contains(&rank) || len != count || !in_range {
            return Err(bad);
        }
        Ok(Tensor {
            dtype,
            rank,
            dims,
            data: &self.bytes[offset..offset + len],
            scale: (field(8)? as i32, field(9)? as i32),
        })
    }

    /// Op `i`; the kind is checked, the parameters are checked when it runs.
    pub fn op(&self, i: u32) -> Result<Op, Error> {
        if i >= self.n_ops {
            return Err(Error::BadOp(i));
        }
        let at =
            HEADER_LEN + self.n_tensors as usize * TENSOR_ENTRY_LEN + i as usize * OP_ENTRY_LEN;
        let kind = OpKind::from_code(u32_at(self.bytes, at)?).ok_or(Error::BadOp(i))?;
        Ok(Op {
            kind,
            a: u32_at(self.bytes, at + 4)?,
            b: u32_at(self.bytes, at + 8)?,
            c: u32_at(self.bytes, at + 12)?,
        })
    }
}
