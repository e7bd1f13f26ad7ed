//! The compiler's errors name what they reject, and its output is deterministic.

use opml_gguf::{synth_llama, GgufFile, SynthLlama};
use opml_llm::compile::{compile, CompileOptions};
use opml_llm::{compile_gguf, CompileError};

#[test]
fn compiling_twice_gives_the_same_bytes() {
    let file = GgufFile::from_bytes(synth_llama(&SynthLlama::default()).unwrap()).unwrap();
    let opts = CompileOptions { max_ctx: Some(16) };
    assert_eq!(compile(&file, opts).unwrap(), compile(&file, opts).unwrap());
}

#[test]
fn a_kv_width_that_is_not_whole_blocks_is_named() {
    // 4 heads of 16 with one KV head: K and V are 16 wide, not a block of 32.
    let s = SynthLlama {
        n_kv_heads: 1,
        ..SynthLlama::default()
    };
    let file = GgufFile::from_bytes(synth_llama(&s).unwrap()).unwrap();
    let e = compile(&file, CompileOptions::default()).unwrap_err();
    assert!(matches!(e, CompileError::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("KV 16"), "{e}");
}

#[test]
fn a_damaged_file_is_reported_with_the_tensor_or_offset() {
    let bytes = synth_llama(&SynthLlama::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("opml-llm-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cut.gguf");
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let e = compile_gguf(&path).unwrap_err().to_string();
    assert!(e.contains("past end of file"), "{e}");
    assert!(compile_gguf(dir.join("missing.gguf")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
