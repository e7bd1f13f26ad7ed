//! Why an LLM image, or a token run on it, was rejected.

use core::fmt;

/// What the Wasm guest adds to [`LlmError::code`] (bit 6 of the kind byte) so that its
/// LLM errors are told apart from the classifier's [`crate::Error`] codes (kinds ≤ 14).
pub const GUEST_CODE_FLAG: i32 = 0x40;

/// An LLM image or run error. [`LlmError::code`] is the number a guest returns:
/// the kind in the low byte, the tensor or node index (where there is one) above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmError {
    /// Kind 1: shorter than its header, tables or names.
    Truncated,
    /// Kind 2: does not start with [`crate::image::MAGIC`].
    BadMagic,
    /// Kind 3: not version [`super::graph::VERSION`] (the version is the index).
    BadVersion(u32),
    /// Kind 4: the header's image length differs from the bytes.
    LengthMismatch,
    /// Kind 5: the header/table checksum does not match.
    Checksum,
    /// Kind 6: a malformed header field (counts, reserved, special tensor ids).
    BadHeader,
    /// Kind 7: a malformed tensor entry: dtype, shape, size, region, alignment,
    /// overlap, name range.
    BadTensor(u32),
    /// Kind 8: a node that does not fit its tensors (op, parameters, dtypes, shapes,
    /// regions, aliasing).
    BadNode(u32),
    /// Kind 9: the arena given to the runner is not the image's arena size.
    Arena,
    /// Kind 10: the token id is not below the vocabulary size.
    Token,
    /// Kind 11: the position is not below the image's context length.
    Position,
    /// Kind 12: a kernel refused its operands (cannot happen for a validated image).
    Kernel(u32),
    /// Kind 13: a malformed request (input length not `4 + 4n` with `n ≥ 1`, or
    /// `n_new = 0`).
    Input,
    /// Kind 14: the generated ids do not fit the output region.
    Output,
}

impl LlmError {
    /// The kind number.
    pub fn kind(&self) -> u32 {
        match self {
            LlmError::Truncated => 1,
            LlmError::BadMagic => 2,
            LlmError::BadVersion(_) => 3,
            LlmError::LengthMismatch => 4,
            LlmError::Checksum => 5,
            LlmError::BadHeader => 6,
            LlmError::BadTensor(_) => 7,
            LlmError::BadNode(_) => 8,
            LlmError::Arena => 9,
            LlmError::Token => 10,
            LlmError::Position => 11,
            LlmError::Kernel(_) => 12,
            LlmError::Input => 13,
            LlmError::Output => 14,
        }
    }

    /// `kind | (index & 0xffffff) << 8`; never 0.
    pub fn code(&self) -> i32 {
        let index = match self {
            LlmError::BadVersion(i)
            | LlmError::BadTensor(i)
            | LlmError::BadNode(i)
            | LlmError::Kernel(i) => *i,
            _ => 0,
        };
        (self.kind() | (index & 0xff_ffff) << 8) as i32
    }
}

impl LlmError {
    /// The code the Wasm guest returns: [`LlmError::code`] with [`GUEST_CODE_FLAG`].
    pub fn guest_code(&self) -> i32 {
        self.code() | GUEST_CODE_FLAG
    }

    /// The error a code of [`LlmError::code`] (or [`LlmError::guest_code`]) stands for.
    pub fn from_code(code: i32) -> Option<LlmError> {
        let index = (code as u32) >> 8;
        Some(match code & 0x3f {
            1 => LlmError::Truncated,
            2 => LlmError::BadMagic,
            3 => LlmError::BadVersion(index),
            4 => LlmError::LengthMismatch,
            5 => LlmError::Checksum,
            6 => LlmError::BadHeader,
            7 => LlmError::BadTensor(index),
            8 => LlmError::BadNode(index),
            9 => LlmError::Arena,
            10 => LlmError::Token,
            11 => LlmError::Position,
            12 => LlmError::Kernel(index),
            13 => LlmError::Input,
            14 => LlmError::Output,
            _ => return None,
        })
    }
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::Truncated => write!(f, "LLM image truncated"),
            LlmError::BadMagic => write!(f, "not a model image (bad magic)"),
            LlmError::BadVersion(v) => write!(f, "image version {v} is not an LLM image"),
            LlmError::LengthMismatch => write!(f, "image length differs from its header"),
            LlmError::Checksum => write!(f, "image header/table checksum mismatch"),
            LlmError::BadHeader => write!(f, "malformed LLM image header"),
            LlmError::BadTensor(i) => write!(f, "malformed tensor {i}"),
            LlmError::BadNode(i) => write!(f, "node {i} does not fit its tensors"),
            LlmError::Arena => write!(f, "arena size differs from the image's"),
            LlmError::Token => write!(f, "token id outside the vocabulary"),
            LlmError::Position => write!(f, "position beyond the image's context length"),
            LlmError::Kernel(i) => write!(f, "node {i}: kernel refused its operands"),
            LlmError::Input => write!(
                f,
                "malformed LLM request (want [u32 n_new >= 1][u32 prompt id] x n, n >= 1)"
            ),
            LlmError::Output => write!(f, "the generated ids do not fit the output region"),
        }
    }
}

impl core::error::Error for LlmError {}
