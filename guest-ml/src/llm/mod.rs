//! The integer LLaMA forward pass: kernels over GGUF-style quantized blocks with
//! fixed-point scales, the LLM image format (a graph of named tensors and nodes) and
//! its executor, one token per run.
//!
//! - [`fixed`]: rounding, integer square root, fixed-point `exp`;
//! - [`quant`]: weight and activation blocks, the block matmul, embedding rows;
//! - [`norm`]: RMSNorm with an integer reciprocal square root, residual adds;
//! - [`rope`]: rotary embedding of adjacent pairs from a fixed-point table;
//! - [`attention`]: causal grouped-query attention with an integer softmax;
//! - [`ffn`]: SwiGLU with a fixed-point sigmoid;
//! - [`graph`]: the LLM image format and its validation; [`exec`]: one token's run;
//! - [`request`]: a prompt in, generated ids out: the unit the guest runs;
//! - [`node`]: one node of the generation graph from its descriptor (two-phase games).
//!
//! No floating point and no `unsafe`; every overflow is explicit (wrapping or
//! saturating, as each function documents), so native and Wasm agree bit for bit.
//! See `docs/model-image.md`, section "LLM images".

pub mod attention;
mod check;
mod error;
pub mod exec;
pub mod ffn;
pub mod fixed;
pub mod graph;
pub mod node;
pub mod norm;
pub mod quant;
pub mod request;
pub mod rope;

pub use error::{LlmError, GUEST_CODE_FLAG};
