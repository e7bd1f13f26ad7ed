//! Timing one LLM request natively, in wasmi and in the step machine, side by side
//! (`opml bench --model IMAGE --prompt TEXT`).

use std::time::Instant;

use opml_guest_ml::llm::graph::{LlmDType, LlmImage, LlmOp};
use opml_guest_ml::llm::quant::WeightType;

use crate::guest::{run_native, GuestError, Request, StepRun, WasmiRun};
use crate::probe::{macs_per_token, steps_per_mac, ProbeError};

/// What [`bench_llm`] measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LlmBench {
    /// Positions one request runs (prompt ids, then each generated id but the last).
    pub positions: u64,
    /// The generated ids (the same from all three engines, else an error).
    pub ids: Vec<u32>,
    /// Multiply-accumulates per position (the matmuls).
    pub macs_per_token: u64,
    /// Best native time of the request, seconds.
    pub native_seconds: f64,
    /// Best wasmi time (unmetered), seconds.
    pub wasmi_seconds: f64,
    /// Step machine time (one run), seconds.
    pub step_seconds: f64,
    /// Steps of the request.
    pub steps: u64,
    /// Steps per multiply-accumulate of a Q4_1 and a Q8_0 matmul as wide as the
    /// model's embedding ([`steps_per_mac`]).
    pub steps_per_mac_q4_1: f64,
    /// See `steps_per_mac_q4_1`.
    pub steps_per_mac_q8_0: f64,
}

impl LlmBench {
    /// Native positions per second.
    pub fn native_tokens_per_second(&self) -> f64 {
        self.positions as f64 / self.native_seconds
    }
    /// wasmi positions per second.
    pub fn wasmi_tokens_per_second(&self) -> f64 {
        self.positions as f64 / self.wasmi_seconds
    }
    /// Step machine steps per position.
    pub fn steps_per_token(&self) -> f64 {
        self.steps as f64 / self.positions as f64
    }
    /// Step machine seconds per position.
    pub fn step_seconds_per_token(&self) -> f64 {
        self.step_seconds / self.positions as f64
    }
    /// Steps per multiply-accumulate over the whole request (everything included).
    pub fn steps_per_mac_overall(&self) -> f64 {
        self.steps_per_token() / self.macs_per_token as f64
    }
}

/// Why a benchmark failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An engine failed.
    #[error(transparent)]
    Guest(#[from] GuestError),
    /// The matmul probe failed.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// Two engines disagree.
    #[error("{0} generated {1:?}, native {2:?}")]
    Disagree(&'static str, Vec<u32>, Vec<u32>),
}

/// Runs the request `input` on `image`: natively and in wasmi `repeat` times each
/// (best time), once in the step machine (`progress(steps)` after every chunk of
/// steps; `stop()` aborts it with an error), and the matmul probes.
pub fn bench_llm(
    guest_wasm: &[u8],
    image: &[u8],
    input: &[u8],
    repeat: u32,
    mut progress: impl FnMut(u64),
    stop: impl Fn() -> bool,
) -> Result<LlmBench, BenchError> {
    let req = Request::decode(input).map_err(|e| GuestError::Rejected {
        code: e.guest_code(),
    })?;
    let parsed = LlmImage::parse(image).map_err(|e| GuestError::Rejected {
        code: e.guest_code(),
    })?;
    let macs = macs_per_token(&parsed).map_err(|e| GuestError::Rejected {
        code: e.guest_code(),
    })?;
    let dim = embedding_width(&parsed).unwrap_or(576);
    let (mut native_seconds, mut wasmi_seconds) = (f64::MAX, f64::MAX);
    let mut ids = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        ids = run_native(image, input, |_, _| {})?.ids;
        native_seconds = native_seconds.min(t.elapsed().as_secs_f64());
        let mut w = WasmiRun::load(guest_wasm, image, input, false)?;
        let t = Instant::now();
        let got = w.run_to_end()?;
        wasmi_seconds = wasmi_seconds.min(t.elapsed().as_secs_f64());
        if got != ids {
            return Err(BenchError::Disagree("wasmi", got, ids));
        }
    }
    let mut s = StepRun::load(guest_wasm, image, input)?;
    let t = Instant::now();
    while s.run(1 << 24) {
        progress(s.steps());
        if stop() {
            return Err(GuestError::Trapped("interrupted".into()).into());
        }
    }
    let step_seconds = t.elapsed().as_secs_f64();
    let got = s.finish()?;
    if got != ids {
        return Err(BenchError::Disagree("the step machine", got, ids));
    }
    Ok(LlmBench {
        positions: req.positions(),
        ids,
        macs_per_token: macs,
        native_seconds,
        wasmi_seconds,
        step_seconds,
        steps: s.steps(),
        steps_per_mac_q4_1: steps_per_mac(guest_wasm, WeightType::Q4_1, dim)?,
        steps_per_mac_q8_0: steps_per_mac(guest_wasm, WeightType::Q8_0, dim)?,
    })
}

/// The width of the first matmul's input (the embedding width of a LLaMA graph).
fn embedding_width(image: &LlmImage<'_>) -> Option<u32> {
    (0..image.n_nodes()).find_map(|i| {
        let n = image.node(i).ok()?;
        let w = image.tensor(n.weights[0]).ok()?;
        (n.op == LlmOp::MatMul && matches!(w.dtype, LlmDType::Weight(_))).then_some(w.dims[1])
    })
}
