//! The GPT-2-style byte-level BPE tokenizer a GGUF file describes
//! (`tokenizer.ggml.model = "gpt2"`).
//!
//! Encoding: the pre-tokenizer named by `tokenizer.ggml.pre` cuts the text into
//! words; each word's UTF-8 bytes become byte-alphabet symbols ([`byte_alphabet`]); the
//! merges of `tokenizer.ggml.merges` (rank = index) are applied within the word.
//! Text is plain: a special token's spelling in the text (`<|im_start|>`) is encoded
//! as ordinary characters, never as the special id; callers add special ids
//! themselves ([`Tokenizer::encode_prompt`] adds BOS when the file asks for it).
//! A byte whose alphabet symbol is not in the vocabulary is dropped, as Hugging Face
//! `tokenizers` does for a BPE model without an unknown token.
//!
//! Decoding concatenates the tokens' bytes; [`Tokenizer::decode`] replaces invalid or
//! incomplete UTF-8 with U+FFFD, and [`StreamDecoder`] holds incomplete characters
//! back until they are complete.

mod bpe;
mod bytes;
mod pretok;
mod stream;

use std::collections::HashMap;

pub use pretok::PreTokenizer;
pub use stream::StreamDecoder;

use crate::error::GgufError;
use crate::file::GgufFile;
use crate::meta::Metadata;
use bpe::Merges;

/// The character standing for each byte value in token strings (index = byte).
pub fn byte_alphabet() -> [char; 256] {
    bytes::byte_chars()
}

/// Why a tokenizer could not be built, or an id not decoded.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// A `tokenizer.ggml.*` key is missing or has the wrong type.
    #[error("tokenizer: {0}")]
    Metadata(#[from] GgufError),
    /// `tokenizer.ggml.model` is not `gpt2`.
    #[error("tokenizer.ggml.model is '{0}': only 'gpt2' (byte-level BPE) is supported")]
    Model(String),
    /// `tokenizer.ggml.pre` names a pre-tokenizer this crate does not implement.
    #[error("tokenizer.ggml.pre is '{0}': supported pre-tokenizers are 'smollm' and 'gpt2'")]
    Pre(String),
    /// A merge rule is malformed or names tokens not in the vocabulary.
    #[error("tokenizer.ggml.merges[{index}] '{merge}': {reason}")]
    Merge {
        /// Its index (= rank).
        index: usize,
        /// The rule as written.
        merge: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A special-token id key points outside the vocabulary.
    #[error("{key} = {id} is outside the vocabulary of {vocab} tokens")]
    SpecialId {
        /// The metadata key.
        key: &'static str,
        /// Its value.
        id: u32,
        /// The vocabulary size.
        vocab: usize,
    },
    /// An id to decode is outside the vocabulary.
    #[error("token id {id} is outside the vocabulary of {vocab} tokens")]
    UnknownId {
        /// The id.
        id: u32,
        /// The vocabulary size.
        vocab: usize,
    },
}

/// A byte-level BPE tokenizer built from a GGUF file's metadata.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    token_ids: HashMap<String, u32>,
    /// The bytes each token decodes to.
    token_bytes: Vec<Vec<u8>>,
    /// The id of each byte's one-symbol token, if the vocabulary has it.
    byte_ids: [Option<u32>; 256],
    merges: Merges,
    pre: PreTokenizer,
    bos: Option<u32>,
    eos: Option<u32>,
    add_bos: bool,
}

impl Tokenizer {
    /// The tokenizer of `file`.
    pub fn from_gguf(file: &GgufFile) -> Result<Tokenizer, TokenizerError> {
        Tokenizer::from_metadata(file.metadata())
    }

    /// The tokenizer described by the `tokenizer.ggml.*` keys of `m`: `model` must be
    /// `gpt2`; `pre` selects the pre-tokenizer (`smollm` or `gpt2`); `tokens`,
    /// `merges`, and optionally `bos_token_id`, `eos_token_id`, `add_bos_token`.
    pub fn from_metadata(m: &Metadata) -> Result<Tokenizer, TokenizerError> {
        let model = m.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(TokenizerError::Model(model.to_string()));
        }
        // Required: llama.cpp reads an absent key as its `default` split, which this
        // crate does not implement.
        let name = m.get_str("tokenizer.ggml.pre")?;
        let pre =
            PreTokenizer::from_name(name).ok_or_else(|| TokenizerError::Pre(name.to_string()))?;
        let tokens = m.get_str_array("tokenizer.ggml.tokens")?.to_vec();
        // A repeated token string maps to its last id, as a map built from the list does.
        let token_ids: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let char_bytes = bytes::char_bytes();
        let token_bytes = tokens
            .iter()
            .map(|t| {
                let mut out = Vec::with_capacity(t.len());
                for c in t.chars() {
                    match char_bytes.get(&c) {
                        Some(&b) => out.push(b),
                        // Not an alphabet character: its own UTF-8.
                        None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    }
                }
                out
            })
            .collect();
        let byte_chars = bytes::byte_chars();
        let byte_ids =
            std::array::from_fn(|b| token_ids.get(byte_chars[b].to_string().as_str()).copied());
        let merges = read_merges(m.get_str_array("tokenizer.ggml.merges")?, &token_ids)?;
        let special = |key: &'static str| -> Result<Option<u32>, TokenizerError> {
            match m.opt_u32(key)? {
                Some(id) if id as usize >= tokens.len() => Err(TokenizerError::SpecialId {
                    key,
                    id,
                    vocab: tokens.len(),
                }),
                other => Ok(other),
            }
        };
        Ok(Tokenizer {
            bos: special("tokenizer.ggml.bos_token_id")?,
            eos: special("tokenizer.ggml.eos_token_id")?,
            add_bos: m.opt_bool("tokenizer.ggml.add_bos_token")?.unwrap_or(false),
            tokens,
            token_ids,
            token_bytes,
            byte_ids,
            merges,
            pre,
        })
    }

    /// Encodes plain text (no special-token parsing, no BOS).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut words = Vec::new();
        self.pre.split(text, &mut words);
        let mut out = Vec::with_capacity(text.len());
        let mut ids = Vec::new();
        for word in words {
            ids.clear();
            ids.extend(word.bytes().filter_map(|b| self.byte_ids[b as usize]));
            self.merges.apply(&mut ids);
            out.extend_from_slice(&ids);
        }
        out
    }

    /// [`encode`](Self::encode) with the BOS id in front when the file's
    /// `tokenizer.ggml.add_bos_token` is true (and a BOS id is set).
    pub fn encode_prompt(&self, text: &str) -> Vec<u32> {
        let mut out: Vec<u32> = self.bos.filter(|_| self.add_bos).into_iter().collect();
        out.extend(self.encode(text));
        out
    }

    /// Decodes ids to text. Special tokens decode to their spelling. Bytes that are
    /// not valid UTF-8, including a character cut off at the end, become U+FFFD (use
    /// [`StreamDecoder`] to hold incomplete characters back).
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        let mut bytes = Vec::new();
        for &id in ids {
            bytes.extend_from_slice(self.token_bytes(id).ok_or(TokenizerError::UnknownId {
                id,
                vocab: self.vocab_size(),
            })?);
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A streaming decoder over this tokenizer.
    pub fn stream_decoder(&self) -> StreamDecoder<'_> {
        StreamDecoder::new(self)
    }

    /// Number of tokens.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The token string (in the byte alphabet) of `id`.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The bytes `id` decodes to.
    pub fn token_bytes(&self, id: u32) -> Option<&[u8]> {
        self.token_bytes.get(id as usize).map(Vec::as_slice)
    }

    /// The id of a token string (in the byte alphabet).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.token_ids.get(token).copied()
    }

    /// The pre-tokenizer in use.
    pub fn pre_tokenizer(&self) -> PreTokenizer {
        self.pre
    }

    /// `tokenizer.ggml.bos_token_id`.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    /// `tokenizer.ggml.eos_token_id`.
    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// `tokenizer.ggml.add_bos_token` (false when absent).
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }
}

/// Parses `"left right"` rules; rank = index.
fn read_merges(rules: &[String], ids: &HashMap<String, u32>) -> Result<Merges, TokenizerError> {
    let mut merges = Merges::default();
    for (index, rule) in rules.iter().enumerate() {
        let fail = |reason| TokenizerError::Merge {
            index,
            merge: rule.clone(),
            reason,
        };
        let (l, r) = rule
            .split_once(' ')
            .filter(|(_, r)| !r.contains(' '))
            .ok_or_else(|| fail("not two tokens separated by one space"))?;
        let (Some(&li), Some(&ri)) = (ids.get(l), ids.get(r)) else {
            return Err(fail("a side is not in the vocabulary"));
        };
        let merged = ids
            .get(&format!("{l}{r}"))
            .ok_or_else(|| fail("the merged token is not in the vocabulary"))?;
        merges.insert(li, ri, index as u32, *merged);
    }
    Ok(merges)
}
