//! The tokenizer on a synthetic vocabulary, and its pre-tokenizers against Hugging
//! Face `tokenizers` on the corpus (the real model's tokens: tests/smollm2.rs).

mod common;

use opml_gguf::tokenizer::{PreTokenizer, TokenizerError};
use opml_gguf::{synth_llama, GgufFile, MetaArray, MetaValue, Metadata, SynthLlama, Tokenizer};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString};

/// Byte ranges of the words HF's pre-tokenizer cuts `text` into.
fn hf_words(pre: &dyn tokenizers::PreTokenizer, text: &str) -> Vec<std::ops::Range<usize>> {
    let mut pts = PreTokenizedString::from(text);
    pre.pre_tokenize(&mut pts).expect("HF pre-tokenize");
    pts.get_splits(OffsetReferential::Original, OffsetType::Byte)
        .into_iter()
        .map(|(_, (a, b), _)| a..b)
        .collect()
}

fn our_words(pre: PreTokenizer, text: &str) -> Vec<std::ops::Range<usize>> {
    let mut words = Vec::new();
    pre.split(text, &mut words);
    let mut at = 0;
    words
        .iter()
        .map(|w| {
            at += w.len();
            at - w.len()..at
        })
        .collect()
}

#[test]
fn pre_tokenizers_cut_the_corpus_like_hf() {
    let corpus = common::corpus();
    assert!(corpus.len() >= 1000, "corpus has {} lines", corpus.len());
    let gpt2 = ByteLevel::new(false, true, true);
    let smollm = Sequence::new(vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ]);
    for line in &corpus {
        assert_eq!(
            our_words(PreTokenizer::Gpt2, line),
            hf_words(&gpt2, line),
            "gpt2 on {line:?}"
        );
        assert_eq!(
            our_words(PreTokenizer::SmolLm, line),
            hf_words(&smollm, line),
            "smollm on {line:?}"
        );
    }
}

fn synth_tokenizer() -> Tokenizer {
    let file = GgufFile::from_bytes(synth_llama(&SynthLlama::default()).unwrap()).unwrap();
    Tokenizer::from_gguf(&file).unwrap()
}

#[test]
fn synthetic_vocabulary_encodes_like_hf_and_round_trips() {
    let file = GgufFile::from_bytes(synth_llama(&SynthLlama::default()).unwrap()).unwrap();
    let ours = Tokenizer::from_gguf(&file).unwrap();
    let m = file.metadata();
    let hf = common::hf_smollm(
        m.get_str_array("tokenizer.ggml.tokens").unwrap(),
        m.get_str_array("tokenizer.ggml.merges").unwrap(),
    );
    for line in common::corpus() {
        let ids = ours.encode(&line);
        assert_eq!(ids, common::hf_ids(&hf, &line), "{line:?}");
        assert_eq!(ours.decode(&ids).unwrap(), line);
    }
    // merges apply: " the" is one token, "the" two ("t", "he")
    assert_eq!(ours.encode(" the"), [ours.token_id("Ġthe").unwrap()]);
    assert_eq!(ours.encode("the").len(), 2);
}

#[test]
fn special_token_text_is_plain_and_bos_follows_the_file() {
    let tok = synth_tokenizer();
    let ids = tok.encode("<|im_start|>");
    assert!(ids.len() > 1 && !ids.contains(&1), "{ids:?}");
    assert_eq!(tok.decode(&[1]).unwrap(), "<|im_start|>");
    assert_eq!(
        (tok.bos_id(), tok.eos_id(), tok.add_bos()),
        (Some(1), Some(2), false)
    );
    assert_eq!(tok.encode_prompt("hi"), tok.encode("hi"));
}

#[test]
fn stream_decoder_waits_for_whole_characters() {
    let tok = synth_tokenizer();
    let text = "añ😀b";
    let ids = tok.encode(text);
    // with only byte tokens for these, the emoji is 4 ids
    let mut dec = tok.stream_decoder();
    let pieces: Vec<String> = ids.iter().map(|&id| dec.push(id).unwrap()).collect();
    assert!(pieces.iter().all(|p| !p.contains('\u{FFFD}')), "{pieces:?}");
    assert_eq!(pieces.concat(), text);
    assert!(pieces.contains(&"😀".to_string()), "{pieces:?}");
    assert_eq!(dec.finish(), "");
    // a cut-off character: held back, then lossy at the end; decode is lossy at once
    let mut dec = tok.stream_decoder();
    let cut = &ids[..ids.len() - 2];
    assert_eq!(
        cut.iter()
            .map(|&id| dec.push(id).unwrap())
            .collect::<String>(),
        "añ"
    );
    assert_eq!(dec.finish(), "\u{FFFD}");
    assert_eq!(tok.decode(cut).unwrap(), "añ\u{FFFD}");
    assert!(matches!(
        tok.decode(&[100_000]),
        Err(TokenizerError::UnknownId { id: 100_000, .. })
    ));
}

fn metadata_with(key: &str, value: &str) -> Metadata {
    let file = GgufFile::from_bytes(synth_llama(&SynthLlama::default()).unwrap()).unwrap();
    let mut m = file.metadata().clone();
    m.insert(key, MetaValue::String(value.to_string()));
    m
}

#[test]
fn unsupported_model_pre_and_bad_merges_are_named() {
    let err =
        Tokenizer::from_metadata(&metadata_with("tokenizer.ggml.model", "llama")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tokenizer.ggml.model is 'llama': only 'gpt2' (byte-level BPE) is supported"
    );
    let err =
        Tokenizer::from_metadata(&metadata_with("tokenizer.ggml.pre", "default")).unwrap_err();
    assert!(
        err.to_string().contains("tokenizer.ggml.pre is 'default'"),
        "{err}"
    );
    let mut no_pre = Metadata::new();
    for (k, v) in metadata_with("x", "y").entries() {
        if k != "tokenizer.ggml.pre" {
            no_pre.insert(k.clone(), v.clone());
        }
    }
    let err = Tokenizer::from_metadata(&no_pre).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tokenizer: metadata key 'tokenizer.ggml.pre' missing"
    );
    let mut m = metadata_with("tokenizer.ggml.pre", "gpt2");
    assert_eq!(
        Tokenizer::from_metadata(&m).unwrap().pre_tokenizer(),
        PreTokenizer::Gpt2
    );
    m.insert(
        "tokenizer.ggml.merges",
        MetaValue::Array(MetaArray::String(vec!["Ġ t".into(), "q zz".into()])),
    );
    let err = Tokenizer::from_metadata(&m).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tokenizer.ggml.merges[1] 'q zz'"),
        "{err}"
    );
    m.insert("tokenizer.ggml.tokens", MetaValue::U32(3));
    let err = Tokenizer::from_metadata(&m).unwrap_err();
    assert!(
        err.to_string()
            .contains("'tokenizer.ggml.tokens': expected array of string, found u32"),
        "{err}"
    );
}
