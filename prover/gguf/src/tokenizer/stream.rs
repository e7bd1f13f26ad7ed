//! Streaming detokenization: text comes out only once its UTF-8 is complete.

use super::{Tokenizer, TokenizerError};

/// Turns ids into text one at a time. A token can end in the middle of a character
/// (byte-level BPE splits multi-byte characters); those bytes are held back until the
/// character is complete, so every piece returned is whole text. Bytes that can never
/// become valid UTF-8 come out as U+FFFD.
#[derive(Debug)]
pub struct StreamDecoder<'t> {
    tokenizer: &'t Tokenizer,
    pending: Vec<u8>,
}

impl<'t> StreamDecoder<'t> {
    /// A decoder with nothing pending.
    pub fn new(tokenizer: &'t Tokenizer) -> Self {
        StreamDecoder {
            tokenizer,
            pending: Vec::new(),
        }
    }

    /// Adds one token; returns the text that became complete (possibly empty).
    pub fn push(&mut self, id: u32) -> Result<String, TokenizerError> {
        let bytes = self
            .tokenizer
            .token_bytes(id)
            .ok_or(TokenizerError::UnknownId {
                id,
                vocab: self.tokenizer.vocab_size(),
            })?;
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return Ok(out);
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    // Valid prefix: emit it (checked by from_utf8 just above).
                    out.push_str(&String::from_utf8_lossy(&self.pending[..good]));
                    match e.error_len() {
                        // An incomplete character at the end: wait for more bytes.
                        None => {
                            self.pending.drain(..good);
                            return Ok(out);
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..good + bad);
                        }
                    }
                }
            }
        }
    }

    /// Ends the stream: whatever is still pending (an incomplete character) as lossy
    /// text.
    pub fn finish(self) -> String {
        String::from_utf8_lossy(&self.pending).into_owned()
    }
}
