//! Errors of the model runner, with the numeric codes the guest's `run` returns.

use core::fmt;

/// A kernel was called with buffers whose lengths do not fit together; names the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeError(pub &'static str);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shape mismatch: {}", self.0)
    }
}

impl core::error::Error for ShapeError {}

/// Why an image or an input was rejected. The guest returns [`Error::code`] from `run`:
/// the kind in the low byte, the op or tensor index (where there is one) in bits 8..24.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Code 1: the input region's length field exceeds the region, or the memory does
    /// not reach the end of the output region (the host did not prepare it).
    InputRegion,
    /// Code 2: the image region's length field runs past the end of memory or over
    /// [`crate::abi::IMAGE_CAPACITY`].
    ImageRegion,
    /// Code 3: the image is shorter than its header, its tables or its trailer.
    Truncated,
    /// Code 4: the image does not start with [`crate::image::MAGIC`].
    BadMagic,
    /// Code 5: unsupported format version.
    BadVersion(u32),
    /// Code 6: the header's total length differs from the image's length.
    LengthMismatch,
    /// Code 7: the FNV-1a 64 checksum does not match.
    Checksum,
    /// Code 8: malformed header field (reserved bits, counts, softmax scale).
    BadHeader,
    /// Code 9: malformed tensor entry (dtype, rank, dims, data range, alignment).
    BadTensor(u32),
    /// Code 10: malformed op (unknown kind, bad parameter, wrong tensor type).
    BadOp(u32),
    /// Code 11: the op does not fit the shape or type of its input activation.
    Shape(u32),
    /// Code 12: the op's output exceeds [`crate::abi::ACTIVATION_CAPACITY`].
    Capacity(u32),
    /// Code 13: the input's length is not the model's `C·H·W`.
    InputSize,
    /// Code 14: the graph does not end in int32 logits, or they do not fit the output.
    Output,
}

impl Error {
    /// The kind number (low byte of [`Error::code`]).
    pub fn kind(&self) -> u32 {
        match self {
            Error::InputRegion => 1,
            Error::ImageRegion => 2,
            Error::Truncated => 3,
            Error::BadMagic => 4,
            Error::BadVersion(_) => 5,
            Error::LengthMismatch => 6,
            Error::Checksum => 7,
            Error::BadHeader => 8,
            Error::BadTensor(_) => 9,
            Error::BadOp(_) => 10,
            Error::Shape(_) => 11,
            Error::Capacity(_) => 12,
            Error::InputSize => 13,
            Error::Output => 14,
        }
    }

    /// The value `run` returns: `kind | (index & 0xffff) << 8`; never 0.
    pub fn code(&self) -> i32 {
        let index = match self {
            Error::BadTensor(i) | Error::BadOp(i) | Error::Shape(i) | Error::Capacity(i) => *i,
            Error::BadVersion(v) => *v,
            _ => 0,
        };
        (self.kind() | (index & 0xffff) << 8) as i32
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InputRegion => write!(f, "input region length exceeds the region"),
            Error::ImageRegion => write!(f, "image region length runs past memory"),
            Error::Truncated => write!(f, "image truncated"),
            Error::BadMagic => write!(f, "not a model image (bad magic)"),
            Error::BadVersion(v) => write!(f, "unsupported image version {v}"),
            Error::LengthMismatch => write!(f, "image length differs from its header"),
            Error::Checksum => write!(f, "image checksum mismatch (corrupt image)"),
            Error::BadHeader => write!(f, "malformed image header"),
            Error::BadTensor(i) => write!(f, "malformed tensor {i}"),
            Error::BadOp(i) => write!(f, "malformed op {i}"),
            Error::Shape(i) => write!(f, "op {i} does not fit its input's shape or type"),
            Error::Capacity(i) => write!(f, "op {i}'s output exceeds the activation buffers"),
            Error::InputSize => write!(f, "input length differs from the model's input shape"),
            Error::Output => write!(
                f,
                "the graph does not end in int32 logits that fit the output"
            ),
        }
    }
}

impl core::error::Error for Error {}

impl Error {
    /// Decodes a nonzero value returned by the guest's `run`; `None` for unknown codes.
    pub fn from_code(code: i32) -> Option<Error> {
        let code = code as u32;
        let index = (code >> 8) & 0xffff;
        let e = match code & 0xff {
            1 => Error::InputRegion,
            2 => Error::ImageRegion,
            3 => Error::Truncated,
            4 => Error::BadMagic,
            5 => Error::BadVersion(index),
            6 => Error::LengthMismatch,
            7 => Error::Checksum,
            8 => Error::BadHeader,
            9 => Error::BadTensor(index),
            10 => Error::BadOp(index),
            11 => Error::Shape(index),
            12 => Error::Capacity(index),
            13 => Error::InputSize,
            14 => Error::Output,
            _ => return None,
        };
        (e.code() == code as i32).then_some(e)
    }
}
