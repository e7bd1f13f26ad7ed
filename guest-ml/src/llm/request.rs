//! One LLM request: the unit of work the guest runs and a dispute covers. A prompt of
//! token ids goes in, `n_new` greedily generated ids come out.
//!
//! **Input** (the input region's payload, little-endian): `[u32 n_new][u32 id] × n`,
//! the prompt being the `n ≥ 1` ids after the count. **Output**: `[u32 id] × n_new`.
//!
//! The run starts from an arena in any state (the guest's is zero) and recomputes the
//! KV caches of the whole prompt: positions `0..n` take the prompt's ids, each later
//! position the previous argmax. So a run depends on the image and the input bytes
//! only, which is what lets a contract derive its start state from them
//! (`docs/guest-abi.md`, "LLM requests").

use super::error::LlmError;
use super::exec::forward;
use super::graph::LlmImage;

/// Bytes of the input before the prompt ids (`n_new`).
pub const REQUEST_HEADER: usize = 4;

/// A decoded request, borrowing the input bytes.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Tokens to generate (at least 1).
    pub n_new: u32,
    prompt: &'a [u8],
}

impl<'a> Request<'a> {
    /// Decodes `input`: checks its length is `4 + 4n` with `n ≥ 1` and `n_new ≥ 1`.
    /// Token ids and positions are checked against an image by [`Request::check`].
    pub fn decode(input: &'a [u8]) -> Result<Request<'a>, LlmError> {
        let (head, prompt) = input
            .split_first_chunk::<REQUEST_HEADER>()
            .ok_or(LlmError::Input)?;
        let n_new = u32::from_le_bytes(*head);
        if n_new == 0 || prompt.is_empty() || !prompt.len().is_multiple_of(4) {
            return Err(LlmError::Input);
        }
        Ok(Request { n_new, prompt })
    }

    /// Number of prompt ids.
    pub fn prompt_len(&self) -> usize {
        self.prompt.len() / 4
    }

    /// Prompt id `i` (`i < prompt_len()`).
    pub fn prompt_id(&self, i: usize) -> u32 {
        let b = &self.prompt[4 * i..4 * i + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Positions the run takes: the prompt's, then one per generated id but the last.
    pub fn positions(&self) -> u64 {
        self.prompt_len() as u64 + u64::from(self.n_new) - 1
    }

    /// Output bytes of the run.
    pub fn output_len(&self) -> u64 {
        4 * u64::from(self.n_new)
    }

    /// Checks the request against `image` and an output buffer of `out_capacity`
    /// bytes: every prompt id in the vocabulary ([`LlmError::Token`]), the positions
    /// within the context ([`LlmError::Position`]), the ids within the output
    /// ([`LlmError::Output`]).
    pub fn check(&self, image: &LlmImage<'_>, out_capacity: usize) -> Result<(), LlmError> {
        if (0..self.prompt_len()).any(|i| self.prompt_id(i) >= image.vocab) {
            return Err(LlmError::Token);
        }
        if self.positions() > u64::from(image.max_ctx) {
            return Err(LlmError::Position);
        }
        if self.output_len() > out_capacity as u64 {
            return Err(LlmError::Output);
        }
        Ok(())
    }
}

/// Runs the request in `input` on `image` over `arena` (`image.arena_len / 4` words)
/// and writes the generated ids into `out`; returns the bytes written. `on_token(i,
/// id)` is called as id `i` is written (the guest uses it to publish the output
/// length as it grows). Everything is checked before the first node runs.
pub fn run_request(
    image: &LlmImage<'_>,
    arena: &mut [i32],
    input: &[u8],
    out: &mut [u8],
    mut on_token: impl FnMut(usize, u32),
) -> Result<usize, LlmError> {
    let req = Request::decode(input)?;
    req.check(image, out.len())?;
    if arena.len() as u64 * 4 != image.arena_len {
        return Err(LlmError::Arena);
    }
    let n = req.prompt_len();
    let mut next = 0;
    for i in 0..n {
        next = forward(image, arena, req.prompt_id(i), i as u32)?;
    }
    let n_new = req.n_new as usize;
    for j in 0..n_new {
        out[4 * j..4 * j + 4].copy_from_slice(&next.to_le_bytes());
        on_token(j, next);
        if j + 1 < n_new {
            next = forward(image, arena, next, (n + j) as u32)?;
        }
    }
    Ok(4 * n_new)
}
