//! The reader on files made by the writer: round trips, error messages that name the
//! field and offset, and fuzzing (truncations, byte flips) that must never panic.

use opml_gguf::{
    synth_llama, write_gguf, GgufError, GgufFile, LlamaConfig, MetaArray, MetaValue, Metadata,
    SynthLlama, TensorData, TensorType, Tokenizer,
};

fn every_value_type() -> Metadata {
    let mut m = Metadata::new();
    m.insert("u8", MetaValue::U8(200));
    m.insert("i8", MetaValue::I8(-100));
    m.insert("u16", MetaValue::U16(60_000));
    m.insert("i16", MetaValue::I16(-30_000));
    m.insert("u32", MetaValue::U32(4_000_000_000));
    m.insert("i32", MetaValue::I32(-2_000_000_000));
    m.insert("f32", MetaValue::F32(1.5));
    m.insert("bool", MetaValue::Bool(true));
    m.insert("string", MetaValue::String("héllo".into()));
    m.insert("u64", MetaValue::U64(u64::MAX));
    m.insert("i64", MetaValue::I64(i64::MIN));
    m.insert("f64", MetaValue::F64(-2.25));
    m.insert(
        "strings",
        MetaValue::Array(MetaArray::String(vec!["a".into(), "".into(), "ü b".into()])),
    );
    m.insert("i32s", MetaValue::Array(MetaArray::I32(vec![1, -2, 3])));
    m.insert("f32s", MetaValue::Array(MetaArray::F32(vec![0.5, -0.25])));
    m.insert(
        "bools",
        MetaValue::Array(MetaArray::Bool(vec![false, true])),
    );
    m.insert(
        "nested",
        MetaValue::Array(MetaArray::Array(vec![
            MetaArray::U8(vec![1, 2]),
            MetaArray::U64(vec![]),
        ])),
    );
    m
}

fn small_tensors() -> Vec<TensorData> {
    let ramp = |n: usize| (0..n).map(|i| (i as f32 - 40.0) / 16.0).collect::<Vec<_>>();
    vec![
        TensorData::from_f32("norm", &[8], TensorType::F32, &ramp(8)).unwrap(),
        TensorData::from_f32("half", &[4, 3], TensorType::F16, &ramp(12)).unwrap(),
        TensorData::from_f32("q40", &[32, 2], TensorType::Q4_0, &ramp(64)).unwrap(),
        TensorData::from_f32("q41", &[64], TensorType::Q4_1, &ramp(64)).unwrap(),
        TensorData::from_f32("q80", &[32, 1, 2], TensorType::Q8_0, &ramp(64)).unwrap(),
    ]
}

#[test]
fn write_then_read_round_trips_metadata_and_tensors() {
    for alignment in [None, Some(64u32)] {
        let mut m = every_value_type();
        if let Some(a) = alignment {
            m.insert("general.alignment", MetaValue::U32(a));
        }
        let tensors = small_tensors();
        let file = GgufFile::from_bytes(write_gguf(&m, &tensors).unwrap()).unwrap();
        assert_eq!(file.version(), 3);
        assert_eq!(file.metadata(), &m);
        assert_eq!(file.alignment(), u64::from(alignment.unwrap_or(32)));
        assert_eq!(file.data_start() % file.alignment(), 0);
        assert_eq!(file.tensors().len(), tensors.len());
        for (t, want) in file.tensors().iter().zip(&tensors) {
            assert_eq!((&t.name, &t.dims, t.ty), (&want.name, &want.dims, want.ty));
            assert_eq!(t.range.start % file.alignment(), 0);
            assert_eq!(file.tensor_bytes(&t.name).unwrap(), want.data.as_slice());
        }
        assert_eq!(
            file.tensor_f32("norm").unwrap()[..3],
            [-2.5, -2.4375, -2.375]
        );
        assert_eq!(file.tensor_f32("q80").unwrap().len(), 64);
    }
    let m = every_value_type();
    let file = GgufFile::from_bytes(write_gguf(&m, &[]).unwrap()).unwrap();
    let md = file.metadata();
    assert_eq!(md.get_u32("u16").unwrap(), 60_000);
    assert_eq!(md.get_u64("u64").unwrap(), u64::MAX);
    assert_eq!(md.get_f32("f64").unwrap(), -2.25);
    assert_eq!(md.get_str_array("strings").unwrap()[2], "ü b");
    assert_eq!(md.get_i32_array("i32s").unwrap(), [1, -2, 3]);
    assert_eq!(md.get_f32_array("f32s").unwrap(), [0.5, -0.25]);
    assert_eq!(md.opt_bool("bool").unwrap(), Some(true));
    assert_eq!(
        md.get_u32("u64").unwrap_err().to_string(),
        "metadata key 'u64': expected an integer in u32 range, found u64"
    );
    assert_eq!(
        md.get_str_array("i32s").unwrap_err().to_string(),
        "metadata key 'i32s': expected array of string, found array of i32"
    );
    assert_eq!(
        md.get_str("nope").unwrap_err().to_string(),
        "metadata key 'nope' missing"
    );
}

#[test]
fn header_errors_are_clear() {
    let good = write_gguf(&Metadata::new(), &[]).unwrap();
    let err = |bytes: Vec<u8>| GgufFile::from_bytes(bytes).unwrap_err().to_string();
    assert_eq!(
        err(b"GGML\x03\0\0\0".to_vec()),
        "not a GGUF file: magic [47, 47, 4d, 4c] (expected \"GGUF\")"
    );
    assert_eq!(
        err(b"GG".to_vec()),
        "not a GGUF file: magic [47, 47] (expected \"GGUF\")"
    );
    for v in [1u32, 4] {
        let mut b = good.clone();
        b[4..8].copy_from_slice(&v.to_le_bytes());
        assert_eq!(
            err(b),
            format!("unsupported GGUF version {v} (this reader reads versions 2 and 3)")
        );
    }
    let mut v2 = good.clone();
    v2[4] = 2;
    assert_eq!(GgufFile::from_bytes(v2).unwrap().version(), 2);
    assert_eq!(
        err(good[..10].to_vec()),
        "header tensor count at offset 0x8: 8 bytes needed, past end of file (size 0xa)"
    );
    let mut huge = good.clone();
    huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        err(huge),
        "tensor descriptors at offset 0x18: tensor count 18446744073709551615 past end of file (0 bytes left)"
    );
}

/// A file whose only metadata is `tokenizer.ggml.tokens` = ["ab", <string of length
/// 2^60>]; returns it with the offset of that length field.
fn file_with_string_length(len: u64) -> (Vec<u8>, usize) {
    let mut m = Metadata::new();
    let tokens = vec!["ab".to_string(), "cd".to_string()];
    m.insert(
        "tokenizer.ggml.tokens",
        MetaValue::Array(MetaArray::String(tokens)),
    );
    let mut bytes = write_gguf(&m, &[]).unwrap();
    let at = bytes.len() - 2 - 8; // the last string: 8-byte length, then "cd"
    bytes[at..at + 8].copy_from_slice(&len.to_le_bytes());
    (bytes, at)
}

#[test]
fn corrupt_metadata_names_key_and_offset() {
    let (bytes, at) = file_with_string_length(1 << 60);
    let size = bytes.len();
    let err = GgufFile::from_bytes(bytes).unwrap_err();
    assert!(matches!(err, GgufError::Malformed { offset, .. } if offset == at as u64));
    assert_eq!(
        err.to_string(),
        format!(
            "metadata key 'tokenizer.ggml.tokens' at offset {at:#x}: string length 1152921504606846976 past end of file (size {size:#x})"
        )
    );
    let (mut bytes, at) = file_with_string_length(2);
    bytes[at + 8] = 0xFF; // not UTF-8
    let err = GgufFile::from_bytes(bytes).unwrap_err().to_string();
    assert!(err.starts_with(&format!("metadata key 'tokenizer.ggml.tokens' at offset {at:#x}: string of 2 bytes is not UTF-8")), "{err}");

    let mut m = Metadata::new();
    m.insert("k", MetaValue::U8(1));
    let mut bytes = write_gguf(&m, &[]).unwrap();
    let type_at = bytes.len() - 1 - 4;
    bytes[type_at] = 13;
    let err = GgufFile::from_bytes(bytes).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "metadata key 'k' at offset {:#x}: unknown value type 13",
            type_at + 4
        )
    );
}

#[test]
fn tensor_errors_name_the_tensor() {
    let tensors = vec![TensorData::from_f32(
        "blk.3.attn_q.weight",
        &[32, 4],
        TensorType::Q4_1,
        &[0.5; 128],
    )
    .unwrap()];
    let bytes = write_gguf(&Metadata::new(), &tensors).unwrap();
    // truncated data
    let cut = bytes[..bytes.len() - 1].to_vec();
    let size = cut.len();
    let err = GgufFile::from_bytes(cut).unwrap_err().to_string();
    let start = size + 1 - 80;
    assert_eq!(
        err,
        format!("tensor 'blk.3.attn_q.weight': data range {start:#x}..{:#x} past end of file (size {size:#x})", start + 80)
    );
    // unsupported type: the type field sits before the 8-byte offset at the end of
    // the descriptor, which ends where the padding before the data starts
    let desc_end = 4 + 4 + 8 + 8 + (8 + 19) + 4 + 2 * 8 + 4 + 8;
    let mut q4k = bytes.clone();
    q4k[desc_end - 12..desc_end - 8].copy_from_slice(&12u32.to_le_bytes());
    assert_eq!(
        GgufFile::from_bytes(q4k).unwrap_err().to_string(),
        "tensor 'blk.3.attn_q.weight': unsupported tensor type 12 (Q4_K); supported: F32, F16, Q4_0, Q4_1, Q8_0"
    );
    let mut odd = bytes.clone();
    odd[desc_end - 12..desc_end - 8].copy_from_slice(&77u32.to_le_bytes());
    assert!(GgufFile::from_bytes(odd)
        .unwrap_err()
        .to_string()
        .contains("type 77 (unknown)"));
    // misaligned offset
    let mut mis = bytes.clone();
    mis[desc_end - 8] = 3;
    let err = GgufFile::from_bytes(mis).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("tensor 'blk.3.attn_q.weight' at offset {:#x}: data offset 0x3 not a multiple of the alignment 32", desc_end - 8)
    );
    // a partial block in the innermost dimension
    let mut partial = bytes.clone();
    partial[desc_end - 12 - 16] = 33;
    assert!(GgufFile::from_bytes(partial)
        .unwrap_err()
        .to_string()
        .contains("innermost dimension 33"));
    assert!(matches!(
        GgufFile::from_bytes(bytes).unwrap().tensor_bytes("nope"),
        Err(GgufError::MissingTensor(_))
    ));
}

/// Everything built on a parsed file, which must not panic either.
fn use_everything(bytes: Vec<u8>) {
    if let Ok(file) = GgufFile::from_bytes(bytes) {
        let _ = LlamaConfig::from_gguf(&file);
        if let Ok(tok) = Tokenizer::from_gguf(&file) {
            let ids = tok.encode("Hi 12 ü");
            let _ = tok.decode(&ids);
        }
        for t in file.tensors() {
            let _ = file.tensor_f32(&t.name);
        }
    }
}

#[test]
fn truncations_and_byte_flips_never_panic() {
    let tiny = SynthLlama {
        n_layers: 1,
        dim: 32,
        ffn_dim: 32,
        n_heads: 2,
        n_kv_heads: 1,
        ..SynthLlama::default()
    };
    let bytes = synth_llama(&tiny).unwrap();
    assert!(GgufFile::from_bytes(bytes.clone()).is_ok());
    for len in 0..bytes.len() {
        assert!(
            GgufFile::from_bytes(bytes[..len].to_vec()).is_err(),
            "truncated to {len} parsed"
        );
    }
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut parsed = 0;
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % b.len() as u64) as usize;
            // a random byte, or an extreme one (lengths and counts)
            b[at] = if next() % 2 == 0 { next() as u8 } else { 0xFF };
        }
        parsed += usize::from(GgufFile::from_bytes(b.clone()).is_ok());
        use_everything(b);
    }
    // most flips land in tensor data and leave the file readable
    assert!(parsed > 1000, "{parsed} of 3000 parsed");
}
