//! opml-model: the classifier model compiler and its formats. A float model
//! (safetensors) and its graph description (JSON) in, a quantized integer image out
//! (`compile`, written by `image`), calibrated and checked on IDX data (`idx`). The LLM
//! compiler lives in `opml-llm`, the GGUF format in `opml-gguf`.

pub mod compile;
pub mod idx;
pub mod image;
