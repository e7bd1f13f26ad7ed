//! Errors of the GGUF → LLM image compiler and of the runners.

use opml_guest_ml::llm::LlmError;

/// Why a model could not be compiled or run.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Reading the GGUF file or its LLaMA view failed (the message names the tensor,
    /// key, type or offset).
    #[error(transparent)]
    Gguf(#[from] opml_gguf::GgufError),
    /// A tensor the compiler cannot represent.
    #[error("tensor '{tensor}': {reason}")]
    Tensor {
        /// The tensor's name.
        tensor: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A model parameter outside what the image format or the kernels support.
    #[error("unsupported model: {0}")]
    Unsupported(String),
    /// The image or a run was rejected by the guest's validation.
    #[error("LLM image: {0}")]
    Image(#[from] LlmError),
}
