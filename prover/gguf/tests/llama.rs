//! The LLaMA view on synthetic models: the config, and errors naming what is wrong.

use opml_gguf::{
    synth_llama, write_gguf, GgufError, GgufFile, LlamaConfig, MetaValue, SynthLlama, TensorData,
    TensorType,
};

fn synth(s: &SynthLlama) -> GgufFile {
    GgufFile::from_bytes(synth_llama(s).unwrap()).unwrap()
}

/// Rewrites `file` with `edit` applied to its metadata and tensors.
fn rewrite(
    file: &GgufFile,
    edit: impl FnOnce(&mut opml_gguf::Metadata, &mut Vec<TensorData>),
) -> GgufFile {
    let mut m = file.metadata().clone();
    let mut tensors: Vec<TensorData> = file
        .tensors()
        .iter()
        .map(|t| TensorData {
            name: t.name.clone(),
            dims: t.dims.clone(),
            ty: t.ty,
            data: file.bytes_of(t).to_vec(),
        })
        .collect();
    edit(&mut m, &mut tensors);
    GgufFile::from_bytes(write_gguf(&m, &tensors).unwrap()).unwrap()
}

#[test]
fn config_of_a_synthetic_model() {
    let file = synth(&SynthLlama::default());
    let c = LlamaConfig::from_gguf(&file).unwrap();
    assert_eq!(
        (
            c.n_layers,
            c.dim,
            c.ffn_dim,
            c.n_heads,
            c.n_kv_heads,
            c.head_dim
        ),
        (2, 64, 128, 4, 2, 16)
    );
    assert_eq!(
        (c.vocab_size, c.context_length, c.tied_output),
        (267, 256, true)
    );
    assert_eq!((c.rope_freq_base, c.rms_eps), (10_000.0, 1e-5));
    assert_eq!(c.expected_tensors().len(), 1 + 2 * 9 + 1);
    assert_eq!(file.tensor("blk.1.attn_k.weight").unwrap().dims, [64, 32]);
    assert_eq!(
        file.tensor("blk.1.ffn_down.weight").unwrap().ty,
        TensorType::Q4_1
    );

    let untied = synth(&SynthLlama {
        untied_output: true,
        weight_type: TensorType::Q8_0,
        embd_type: TensorType::F16,
        ..SynthLlama::default()
    });
    let c = LlamaConfig::from_gguf(&untied).unwrap();
    assert!(!c.tied_output);
    assert_eq!(c.output_tensor(), "output.weight");
}

#[test]
fn wrong_architecture_is_named() {
    let file = rewrite(&synth(&SynthLlama::default()), |m, _| {
        m.insert("general.architecture", MetaValue::String("gpt2".into()));
    });
    let err = LlamaConfig::from_gguf(&file).unwrap_err();
    assert_eq!(
        err.to_string(),
        "general.architecture is 'gpt2', expected 'llama'"
    );
}

#[test]
fn missing_or_misshapen_tensors_are_named() {
    let base = synth(&SynthLlama::default());
    let file = rewrite(&base, |_, t| t.retain(|t| t.name != "blk.1.ffn_up.weight"));
    let err = LlamaConfig::from_gguf(&file).unwrap_err();
    assert_eq!(err.to_string(), "tensor 'blk.1.ffn_up.weight' missing");

    let file = rewrite(&base, |_, ts| {
        let t = ts
            .iter_mut()
            .find(|t| t.name == "blk.0.attn_v.weight")
            .unwrap();
        t.dims = vec![32, 64]; // same byte size, transposed
    });
    let err = LlamaConfig::from_gguf(&file).unwrap_err();
    assert!(matches!(&err, GgufError::TensorShape { name, .. } if name == "blk.0.attn_v.weight"));
    assert_eq!(
        err.to_string(),
        "tensor 'blk.0.attn_v.weight': shape [32, 64], expected [64, 32] (ggml order, innermost first)"
    );
}

#[test]
fn inconsistent_hyperparameters_are_rejected() {
    let base = synth(&SynthLlama::default());
    let cases: [(&str, MetaValue, &str); 5] = [
        (
            "llama.attention.head_count",
            MetaValue::U32(5),
            "not divisible by head_count 5",
        ),
        (
            "llama.attention.head_count_kv",
            MetaValue::U32(3),
            "not a multiple of head_count_kv 3",
        ),
        (
            "llama.block_count",
            MetaValue::U32(u32::MAX),
            "exceeds the file's 20 tensors",
        ),
        (
            "llama.vocab_size",
            MetaValue::U32(7),
            "llama.vocab_size 7 differs",
        ),
        (
            "llama.embedding_length",
            MetaValue::String("x".into()),
            "'llama.embedding_length': expected an integer in u32 range, found string",
        ),
    ];
    for (key, value, want) in cases {
        let file = rewrite(&base, |m, _| {
            m.insert(key, value);
        });
        let err = LlamaConfig::from_gguf(&file).unwrap_err().to_string();
        assert!(err.contains(want), "{key}: {err}");
    }
    let file = rewrite(&base, |m, _| {
        let mut keep = opml_gguf::Metadata::new();
        for (k, v) in m.entries() {
            if k != "llama.attention.layer_norm_rms_epsilon" {
                keep.insert(k.clone(), v.clone());
            }
        }
        *m = keep;
    });
    let err = LlamaConfig::from_gguf(&file).unwrap_err();
    assert_eq!(
        err.to_string(),
        "metadata key 'llama.attention.layer_norm_rms_epsilon' missing"
    );
}
