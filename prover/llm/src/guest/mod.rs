//! An LLM image in the Wasm guest, on the host: the memory layout of an LLM request
//! (`docs/guest-abi.md`, "LLM images"), and one request run natively ([`run_native`]),
//! in wasmi ([`WasmiRun`]) or in the step machine ([`StepRun`]). The three run the
//! same Rust code (`opml_guest_ml::llm::request::run_request`), so they give the same
//! ids and leave the same arena bytes.

mod step;
mod wasmi;

pub use self::step::StepRun;
pub use self::wasmi::WasmiRun;

use opml_guest_ml::abi::{
    llm_arena_addr, llm_memory_pages, IMAGE_ADDR, INPUT_ADDR, INPUT_CAPACITY, LLM_IMAGE_ADDR,
    LLM_IMAGE_TAG, OUTPUT_ADDR, OUTPUT_CAPACITY,
};
use opml_guest_ml::llm::graph::LlmImage;
use opml_guest_ml::llm::request::run_request;
pub use opml_guest_ml::llm::request::Request;
use opml_guest_ml::llm::LlmError;

/// Why an LLM request could not be prepared, run, or its output read: the guest's
/// errors, shared with the classifier's layout.
pub use opml_host::guest::{describe, GuestError};

/// The input bytes of a request: generate `n_new` ids after `prompt`.
pub fn encode_request(prompt: &[u32], n_new: u32) -> Result<Vec<u8>, GuestError> {
    let mut v = Vec::with_capacity(4 + 4 * prompt.len());
    v.extend_from_slice(&n_new.to_le_bytes());
    for id in prompt {
        v.extend_from_slice(&id.to_le_bytes());
    }
    if v.len() > INPUT_CAPACITY {
        return Err(GuestError::InputTooLarge(v.len()));
    }
    Ok(v)
}

/// Decodes an output payload: little-endian `u32` ids.
pub fn decode_ids(payload: &[u8]) -> Result<Vec<u32>, GuestError> {
    if payload.len() % 4 != 0 {
        return Err(GuestError::BadOutput("length not a multiple of 4"));
    }
    Ok(payload
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// The output payload of a memory (read through `read(addr, len)`): the ids published
/// so far (all of them once `run` returned 0).
fn read_ids(read: impl Fn(u64, usize) -> Option<Vec<u8>>) -> Result<Vec<u32>, GuestError> {
    let len = read(OUTPUT_ADDR as u64, 4).ok_or(GuestError::BadOutput("memory too small"))?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if len > OUTPUT_CAPACITY {
        return Err(GuestError::BadOutput("length field exceeds the region"));
    }
    let payload = read(OUTPUT_ADDR as u64 + 4, len).ok_or(GuestError::BadOutput(
        "memory ends inside the output region",
    ))?;
    decode_ids(&payload)
}

/// Where an LLM request lives in guest memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Pages the memory must have (up to the end of the arena).
    pub pages: usize,
    /// The arena's address (page-aligned, after the image).
    pub arena_addr: u64,
    /// The arena's bytes (from the image header).
    pub arena_len: u64,
    input_region: Vec<u8>,
    image_header: [u8; 16],
}

impl Layout {
    /// The layout of `image` and `input`. The image is not validated here (the guest
    /// does that); only its header's arena length is read (0 when it is too short).
    pub fn new(image: &[u8], input: &[u8]) -> Result<Layout, GuestError> {
        if input.len() > INPUT_CAPACITY {
            return Err(GuestError::InputTooLarge(input.len()));
        }
        let arena_len = image
            .get(32..40)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        let image_len = image.len() as u64;
        let too_large = || GuestError::ArenaTooLarge {
            image: image_len,
            arena: arena_len,
        };
        let arena_addr = llm_arena_addr(image_len).ok_or_else(too_large)?;
        let pages = llm_memory_pages(image_len, arena_len).ok_or_else(too_large)?;
        let mut input_region = (input.len() as u32).to_le_bytes().to_vec();
        input_region.extend_from_slice(input);
        let mut image_header = [0u8; 16];
        image_header[..4].copy_from_slice(&LLM_IMAGE_TAG.to_le_bytes());
        image_header[8..].copy_from_slice(&image_len.to_le_bytes());
        Ok(Layout {
            pages,
            arena_addr,
            arena_len,
            input_region,
            image_header,
        })
    }

    /// The `(address, bytes)` writes that prepare a memory of [`Layout::pages`] zero
    /// pages: the input region, the image region's header, the image.
    pub fn writes<'a>(&'a self, image: &'a [u8]) -> [(usize, &'a [u8]); 3] {
        [
            (INPUT_ADDR, &self.input_region),
            (IMAGE_ADDR, &self.image_header),
            (LLM_IMAGE_ADDR, image),
        ]
    }
}

/// A finished native run.
#[derive(Clone, Debug)]
pub struct NativeRun {
    /// The generated ids.
    pub ids: Vec<u32>,
    /// The arena after the run (every node's output of the last position, the caches).
    pub arena: Vec<i32>,
}

impl NativeRun {
    /// The arena as little-endian bytes, as it lies in guest memory.
    pub fn arena_bytes(&self) -> Vec<u8> {
        self.arena.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// Runs the request `input` on `image` natively: the guest's own code over a zeroed
/// `Vec` arena and an output buffer of the output region's capacity. Errors are the
/// guest's codes ([`GuestError::Rejected`] with [`LlmError::guest_code`]).
/// `on_token(i, id)` sees each id as it is generated.
pub fn run_native(
    image: &[u8],
    input: &[u8],
    on_token: impl FnMut(usize, u32),
) -> Result<NativeRun, GuestError> {
    let layout = Layout::new(image, input)?;
    let rejected = |e: LlmError| GuestError::Rejected {
        code: e.guest_code(),
    };
    let parsed = LlmImage::parse(image).map_err(rejected)?;
    let words = usize::try_from(layout.arena_len / 4).map_err(|_| rejected(LlmError::Arena))?;
    let mut arena = vec![0i32; words];
    let mut out = vec![0u8; OUTPUT_CAPACITY];
    let n = run_request(&parsed, &mut arena, input, &mut out, on_token).map_err(rejected)?;
    Ok(NativeRun {
        ids: decode_ids(&out[..n])?,
        arena,
    })
}

/// Whether `bytes` start like an LLM image (magic and format version 2), as opposed
/// to a classifier image.
pub fn is_llm_image(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && bytes[..8] == opml_guest_ml::image::MAGIC
        && bytes[8..12] == opml_guest_ml::llm::graph::VERSION.to_le_bytes()
}

/// Which engine runs a request (the same choice as for a classifier).
pub use opml_host::guest::Engine;

/// A request in wasmi (metered) or the step machine, advanced in chunks so that a
/// caller can stream ids, show progress and stop.
pub enum Chunked {
    /// In wasmi: a chunk is an amount of fuel.
    Wasmi(Box<WasmiRun>),
    /// In the step machine: a chunk is a number of steps.
    Step(Box<StepRun>),
}

impl Chunked {
    /// Loads the request on `engine` (`None` for [`Engine::Native`], which runs
    /// token by token instead).
    pub fn load(
        engine: Engine,
        guest_wasm: &[u8],
        image: &[u8],
        input: &[u8],
    ) -> Result<Option<Chunked>, GuestError> {
        Ok(match engine {
            Engine::Native => None,
            Engine::Wasmi => Some(Chunked::Wasmi(Box::new(WasmiRun::load(
                guest_wasm, image, input, true,
            )?))),
            Engine::Step => Some(Chunked::Step(Box::new(StepRun::load(
                guest_wasm, image, input,
            )?))),
        })
    }

    /// Runs about `work` more steps (or fuel); whether the guest is still running.
    pub fn advance(&mut self, work: u64) -> Result<bool, GuestError> {
        match self {
            Chunked::Wasmi(w) => w.advance(work),
            Chunked::Step(s) => Ok(s.run(work)),
        }
    }

    /// The ids published so far.
    pub fn tokens(&self) -> Result<Vec<u32>, GuestError> {
        match self {
            Chunked::Wasmi(w) => w.tokens(),
            Chunked::Step(s) => s.tokens(),
        }
    }

    /// The ids of a finished run, or its error.
    pub fn finish(&self) -> Result<Vec<u32>, GuestError> {
        match self {
            Chunked::Wasmi(w) => w.finish(),
            Chunked::Step(s) => s.finish(),
        }
    }

    /// Steps so far (step machine only).
    pub fn steps(&self) -> Option<u64> {
        match self {
            Chunked::Wasmi(_) => None,
            Chunked::Step(s) => Some(s.steps()),
        }
    }
}

/// A finished run: the generated ids, the arena's bytes, the steps (step machine
/// only).
pub type Finished = (Vec<u32>, Vec<u8>, Option<u64>);

/// Runs a request to the end on `engine`; returns the ids, the arena bytes and the
/// steps (step machine only).
pub fn run_on(
    engine: Engine,
    guest_wasm: &[u8],
    image: &[u8],
    input: &[u8],
) -> Result<Finished, GuestError> {
    Ok(match engine {
        Engine::Native => {
            let r = run_native(image, input, |_, _| {})?;
            let bytes = r.arena_bytes();
            (r.ids, bytes, None)
        }
        Engine::Wasmi => {
            let mut w = WasmiRun::load(guest_wasm, image, input, false)?;
            let ids = w.run_to_end()?;
            (ids, w.arena()?, None)
        }
        Engine::Step => {
            let mut s = StepRun::load(guest_wasm, image, input)?;
            while s.run(1 << 26) {}
            let ids = s.finish()?;
            (ids, s.arena()?, Some(s.steps()))
        }
    })
}
