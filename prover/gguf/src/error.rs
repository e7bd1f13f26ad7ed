//! The errors of reading a GGUF file and of the views built on it.

use std::path::PathBuf;

/// Everything that can go wrong reading a GGUF file, looking up its metadata or
/// checking a model in it. Messages name what was being read and, for file damage,
/// the byte offset.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file could not be read from disk.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The first four bytes are not "GGUF".
    #[error("not a GGUF file: magic {found:02x?} (expected \"GGUF\")")]
    BadMagic {
        /// The bytes found (fewer than four when the file is shorter).
        found: Vec<u8>,
    },
    /// A GGUF version this reader does not know.
    #[error("unsupported GGUF version {0} (this reader reads versions 2 and 3)")]
    UnsupportedVersion(u32),
    /// The file is truncated or corrupt where `context` was being read.
    #[error("{context} at offset {offset:#x}: {reason}")]
    Malformed {
        /// What was being read, e.g. `metadata key 'tokenizer.ggml.tokens'`.
        context: String,
        /// Byte offset in the file where the bad field starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A tensor's data lies (partly) outside the file.
    #[error("tensor '{name}': data range {start:#x}..{end:#x} past end of file (size {size:#x})")]
    TensorOutOfBounds {
        /// The tensor.
        name: String,
        /// First byte of its data in the file.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// The file's size.
        size: u64,
    },
    /// A tensor uses a ggml type this crate does not read.
    #[error("tensor '{name}': unsupported tensor type {ty} ({type_name}); supported: F32, F16, Q4_0, Q4_1, Q8_0")]
    UnsupportedTensorType {
        /// The tensor.
        name: String,
        /// The type number in the file.
        ty: u32,
        /// The ggml name of that type, or "unknown".
        type_name: &'static str,
    },
    /// A metadata key that must be present is absent.
    #[error("metadata key '{0}' missing")]
    MissingKey(String),
    /// A metadata value has a type the caller cannot use.
    #[error("metadata key '{key}': expected {expected}, found {found}")]
    WrongType {
        /// The key.
        key: String,
        /// What the caller wanted.
        expected: &'static str,
        /// What the file holds.
        found: String,
    },
    /// The model is not of the architecture the caller reads.
    #[error("general.architecture is '{0}', expected 'llama'")]
    Architecture(String),
    /// A hyperparameter is out of range or inconsistent with another.
    #[error("model config: {0}")]
    Config(String),
    /// A tensor the model needs is absent.
    #[error("tensor '{0}' missing")]
    MissingTensor(String),
    /// A tensor has the wrong shape.
    #[error(
        "tensor '{name}': shape {found:?}, expected {expected:?} (ggml order, innermost first)"
    )]
    TensorShape {
        /// The tensor.
        name: String,
        /// The shape the config implies.
        expected: Vec<u64>,
        /// The shape in the file.
        found: Vec<u64>,
    },
    /// Tensor data handed to the writer or to dequantization does not fit its type.
    #[error("tensor '{name}': {reason}")]
    TensorData {
        /// The tensor.
        name: String,
        /// What does not fit.
        reason: String,
    },
}

/// Result with [`GgufError`].
pub type Result<T> = std::result::Result<T, GgufError>;
