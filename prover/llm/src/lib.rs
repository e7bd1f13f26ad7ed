//! `opml-llm`: LLaMA-architecture GGUF models as integer LLM images.
//!
//! - [`compile_gguf`] / [`compile::compile`]: GGUF (F32, F16, Q4_0, Q4_1, Q8_0) →
//!   image bytes (format: `docs/model-image.md`, "LLM images"); [`builder`] writes
//!   the format, [`convert`] turns GGUF tensors into fixed-point ones;
//! - [`Runner`]: the native runner, the guest's own executor over a `Vec` arena
//!   (greedy generation, per-step logits);
//! - [`reference::FloatLlama`]: a plain `f32` forward pass over the dequantized
//!   weights, the float reference;
//! - [`eval`]: teacher-forced top-1 agreement and perplexity, for any of them;
//! - [`guest`]: a request (prompt in, generated ids out) in the Wasm guest's memory
//!   layout, run natively, in wasmi or in the step machine;
//! - [`bench`](mod@bench): one request timed natively, in wasmi and in the step machine;
//! - [`probe`]: multiply-accumulates per token and single-matmul probe images, for
//!   steps per multiply-accumulate.
#![deny(missing_docs)]

pub mod bench;
pub mod builder;
pub mod compile;
pub mod convert;
mod error;
pub mod eval;
pub mod guest;
pub mod probe;
pub mod reference;
mod runner;

pub use compile::{compile_gguf, CompileOptions};
pub use error::CompileError;
pub use runner::Runner;
