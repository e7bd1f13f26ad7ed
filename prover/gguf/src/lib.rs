//! `opml-gguf`: reads GGUF v3 model files, views a LLaMA model in one, and implements
//! the file's own byte-level BPE tokenizer.
//!
//! - [`GgufFile`] parses a whole file held in memory: metadata ([`Metadata`], typed
//!   getters), tensor descriptors ([`TensorInfo`]) and raw tensor bytes. Types F32,
//!   F16, Q4_0, Q4_1 and Q8_0 are read ([`quant`] has their block layouts and
//!   dequantization); any other type, and any truncated or corrupt field, is an error
//!   naming what was being read and where. Parsing never panics.
//! - [`write_gguf`] writes a file from metadata and tensors (to generate test models).
//! - [`synth_llama`] writes a tiny random LLaMA model with a small vocabulary.
//! - [`LlamaConfig`] reads the `llama` hyperparameters and checks the tensors' shapes.
//! - [`Tokenizer`] is the GPT-2-style byte-level BPE described by the file's
//!   `tokenizer.ggml.*` keys.
//!
//! See `docs/gguf.md` in the repository.

#![deny(missing_docs)]

mod cursor;
mod error;
mod file;
mod llama;
mod locate;
mod meta;
pub mod quant;
mod synth;
mod tensor;
pub mod tokenizer;
mod value;
mod write;

pub use error::{GgufError, Result};
pub use file::{GgufFile, ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC, VERSION};
pub use llama::{LlamaConfig, LAYER_TENSORS};
pub use locate::{smollm2_path, SMOLLM2_ENV};
pub use meta::Metadata;
pub use synth::{synth_llama, SynthLlama};
pub use tensor::{element_count, ggml_type_name, TensorInfo, TensorType};
pub use tokenizer::Tokenizer;
pub use value::{MetaArray, MetaValue};
pub use write::{write_gguf, TensorData};
