//! Integer-only ML for the opML guest. `no_std`: the same code runs natively and
//! compiled to `wasm32v1-none`.
//!
//! - [`kernels`]: int8 × int8 → int32 products, conv2d, pooling, ReLU, requantization,
//!   argmax, fixed-point softmax;
//! - [`image`]: the model image format (`docs/model-image.md`);
//! - [`exec`]: runs an image on an input ([`exec::infer`]);
//! - [`abi`]: the memory regions shared with the host (`docs/guest-abi.md`).
//!
//! No floating point anywhere: native x86, wasmi and the step machine agree bit for bit.
#![no_std]

#[cfg(target_endian = "big")]
compile_error!("opml-guest-ml reads little-endian int32 tensors in place");

pub mod abi;
mod error;
pub mod exec;
pub mod image;
pub mod kernels;
pub mod llm;

pub use error::{Error, ShapeError};

#[cfg(test)]
mod tests;
