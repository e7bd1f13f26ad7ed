//! The native runner: the guest's executor ([`opml_guest_ml::llm::exec::forward`])
//! over an arena in a `Vec`, one token per step, with greedy generation.

use opml_guest_ml::llm::exec::forward;
use opml_guest_ml::llm::fixed::ACT_FRAC;
use opml_guest_ml::llm::graph::LlmImage;
use opml_guest_ml::llm::LlmError;

use crate::eval::StepModel;

/// A validated LLM image with its arena, at a position.
pub struct Runner<'a> {
    image: LlmImage<'a>,
    arena: Vec<i32>,
    logits: std::ops::Range<usize>,
    pos: u32,
}

impl<'a> Runner<'a> {
    /// Validates `bytes` and allocates the arena (zeroed).
    pub fn new(bytes: &'a [u8]) -> Result<Runner<'a>, LlmError> {
        let image = LlmImage::parse(bytes)?;
        let words = usize::try_from(image.arena_len / 4).map_err(|_| LlmError::Arena)?;
        let t = image.tensor(image.logits)?;
        let start = (t.offset / 4) as usize;
        let logits = start..start + image.vocab as usize;
        Ok(Runner {
            image,
            arena: vec![0; words],
            logits,
            pos: 0,
        })
    }

    /// The parsed image.
    pub fn image(&self) -> &LlmImage<'a> {
        &self.image
    }

    /// The next position.
    pub fn pos(&self) -> u32 {
        self.pos
    }

    /// Starts a new sequence (the caches' old rows are never read again).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Runs `token` at the current position, advances, and returns the argmax.
    pub fn step(&mut self, token: u32) -> Result<u32, LlmError> {
        let next = forward(&self.image, &mut self.arena, token, self.pos)?;
        self.pos += 1;
        Ok(next)
    }

    /// The logits of the last step (Q16).
    pub fn logits(&self) -> &[i32] {
        &self.arena[self.logits.clone()]
    }

    /// The whole arena (every node's output tensor lives in it).
    pub fn arena(&self) -> &[i32] {
        &self.arena
    }

    /// Greedy decoding: runs `prompt` (not empty) from the current position, then
    /// `n` more tokens each fed back; returns the `n` generated ids.
    pub fn generate(&mut self, prompt: &[u32], n: usize) -> Result<Vec<u32>, LlmError> {
        let mut next = None;
        for &t in prompt {
            next = Some(self.step(t)?);
        }
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some(t) = next else {
                return Err(LlmError::Token);
            };
            out.push(t);
            if out.len() < n {
                next = Some(self.step(t)?);
            }
        }
        Ok(out)
    }
}

impl StepModel for Runner<'_> {
    fn reset(&mut self) {
        Runner::reset(self);
    }

    fn step_logits(&mut self, token: u32) -> Result<Vec<f32>, String> {
        self.step(token).map_err(|e| e.to_string())?;
        let unit = 1.0 / (1u64 << ACT_FRAC) as f32;
        Ok(self.logits().iter().map(|&v| v as f32 * unit).collect())
    }
}
