//! The ML guest on the host: loading `guest.wasm` with a model image and an input into
//! the step machine or wasmi, running the same model natively, and reading the output
//! region (the ABI of `opml_guest_ml::abi`, documented in `docs/guest-abi.md`).

use crate::oracle::{Fuel, Oracle, OracleError, OracleOutcome, OracleRun};
use opml_guest_ml::abi::{
    memory_pages, ACTIVATION_CAPACITY, IMAGE_ADDR, INPUT_ADDR, INPUT_CAPACITY, OUTPUT_ADDR,
    OUTPUT_CAPACITY,
};
use opml_guest_ml::exec::{self, Scratch, View};
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Status};

/// The canonical guest, built by `scripts/build-guest.sh` and committed as
/// `guest-ml/guest.wasm` (a test checks it is up to date).
pub const GUEST_WASM: &[u8] = include_bytes!("../../../guest-ml/guest.wasm");

/// Why the guest could not be loaded, run or its output read.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    /// The module does not load in the provable profile.
    #[error("guest.wasm does not load: {0}")]
    Load(#[from] opml_vm::LoadError),
    /// The module does not instantiate.
    #[error("guest.wasm does not instantiate: {0}")]
    Link(#[from] opml_vm::LinkError),
    /// A required export is missing or has the wrong kind.
    #[error("guest.wasm has no exported {0}")]
    MissingExport(&'static str),
    /// The input is larger than the input region.
    #[error("input is {0} bytes, the input region holds at most {INPUT_CAPACITY} (for an LLM request: a prompt of at most {max} ids)", max = (INPUT_CAPACITY - 4) / 4)]
    InputTooLarge(usize),
    /// The image is larger than the image region allows.
    #[error("model image is {0} bytes, larger than the image region allows")]
    ImageTooLarge(usize),
    /// An LLM image and its arena do not fit the 4 GiB address space.
    #[error("an image of {image} bytes with an arena of {arena} bytes does not fit the 4 GiB Wasm address space")]
    ArenaTooLarge {
        /// Image bytes.
        image: u64,
        /// Arena bytes (from the image header).
        arena: u64,
    },
    /// The memory cannot grow to hold the regions.
    #[error("guest memory cannot grow to {0} pages")]
    Grow(usize),
    /// The guest (or the native runner) rejected the image or the input.
    #[error("model or input rejected with error code {code:#x}: {}", describe(*code))]
    Rejected {
        /// The code `run` returned.
        code: i32,
    },
    /// The guest trapped.
    #[error("the guest trapped: {0}")]
    Trapped(String),
    /// wasmi failed to load or run the module.
    #[error("wasmi: {0}")]
    Wasmi(String),
    /// The output region does not hold a well-formed output.
    #[error("malformed output region: {0}")]
    BadOutput(&'static str),
}

/// What a guest error code means: an LLM error when
/// [`opml_guest_ml::llm::GUEST_CODE_FLAG`] is set, else a classifier (region) error.
pub fn describe(code: i32) -> String {
    let text = if code & opml_guest_ml::llm::GUEST_CODE_FLAG != 0 {
        opml_guest_ml::llm::LlmError::from_code(code).map(|e| e.to_string())
    } else {
        opml_guest_ml::Error::from_code(code).map(|e| e.to_string())
    };
    text.unwrap_or_else(|| "unknown code".into())
}

/// The decoded output region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// The predicted class (argmax of the logits, first on ties).
    pub class: u32,
    /// The int32 logits.
    pub logits: Vec<i32>,
    /// Softmax probabilities in Q16 (65536 = 1).
    pub probs: Vec<i32>,
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Output {
    /// Decodes an output payload (`[class][n][n logits][n probs]`, little-endian).
    pub fn decode(payload: &[u8]) -> Result<Output, GuestError> {
        let class = le_u32(payload, 0).ok_or(GuestError::BadOutput("shorter than 8 bytes"))?;
        let n = le_u32(payload, 4).ok_or(GuestError::BadOutput("shorter than 8 bytes"))? as usize;
        if payload.len() != exec::output_len(n) {
            return Err(GuestError::BadOutput("length differs from 8 + 8 * classes"));
        }
        let word = |k: usize| le_u32(payload, 8 + 4 * k).unwrap_or(0) as i32;
        Ok(Output {
            class,
            logits: (0..n).map(word).collect(),
            probs: (n..2 * n).map(word).collect(),
        })
    }

    /// Reads the output region from a whole linear memory.
    pub fn from_memory(memory: &[u8]) -> Result<Output, GuestError> {
        let len =
            le_u32(memory, OUTPUT_ADDR).ok_or(GuestError::BadOutput("memory too small"))? as usize;
        if len > OUTPUT_CAPACITY {
            return Err(GuestError::BadOutput("length field exceeds the region"));
        }
        let payload =
            memory
                .get(OUTPUT_ADDR + 4..OUTPUT_ADDR + 4 + len)
                .ok_or(GuestError::BadOutput(
                    "memory ends inside the output region",
                ))?;
        Output::decode(payload)
    }
}

/// How to prepare a guest memory before the first step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regions {
    /// Pages the memory must have (it is grown to this size).
    pub pages: usize,
    /// `(address, bytes)` of the input and the image region, length fields included.
    pub writes: [(usize, Vec<u8>); 2],
}

/// The regions that prepare a memory for `image` and `input`.
pub fn region_writes(image: &[u8], input: &[u8]) -> Result<Regions, GuestError> {
    if input.len() > INPUT_CAPACITY {
        return Err(GuestError::InputTooLarge(input.len()));
    }
    let pages = memory_pages(image.len()).ok_or(GuestError::ImageTooLarge(image.len()))?;
    let region = |payload: &[u8]| {
        let mut v = (payload.len() as u32).to_le_bytes().to_vec();
        v.extend_from_slice(payload);
        v
    };
    Ok(Regions {
        pages,
        writes: [(INPUT_ADDR, region(input)), (IMAGE_ADDR, region(image))],
    })
}

/// A step machine with `guest_wasm` instantiated (provable profile: no floats), its
/// memory grown to the regions, the input and image regions written, and `run()`
/// invoked but not yet stepped. Step it with [`Machine::run`]; then see [`finish_step`].
pub fn load(guest_wasm: &[u8], image: &[u8], input: &[u8]) -> Result<Machine, GuestError> {
    let Regions { pages, writes } = region_writes(image, input)?;
    let writes = writes
        .each_ref()
        .map(|(addr, bytes)| (*addr, bytes.as_slice()));
    load_regions(guest_wasm, pages, &writes).map(|(machine, _)| machine)
}

/// A step machine with `guest_wasm` instantiated (provable profile), its exported
/// memory grown to `pages` and `writes` (`(address, bytes)`) written, and `run()`
/// invoked but not yet stepped; with the memory's address. The loader of every guest
/// layout (a classifier's regions, an LLM request's).
pub fn load_regions(
    guest_wasm: &[u8],
    pages: usize,
    writes: &[(usize, &[u8])],
) -> Result<(Machine, u32), GuestError> {
    let module = Module::load(guest_wasm, LoadOptions { provable: true })?;
    let mut machine = Machine::new(Config::default());
    let id = machine.instantiate(&module)?;
    let exports = machine
        .instance(id)
        .map(|i| i.exports.clone())
        .unwrap_or_default();
    let Some(Extern::Memory(mem)) = exports.get("memory").copied() else {
        return Err(GuestError::MissingExport("memory `memory`"));
    };
    let Some(Extern::Func(run)) = exports.get("run").copied() else {
        return Err(GuestError::MissingExport("function `run`"));
    };
    let memory = machine
        .memory_mut(mem)
        .ok_or(GuestError::MissingExport("memory `memory`"))?;
    let have = memory.pages() as usize;
    if have < pages {
        memory
            .grow((pages - have) as u32)
            .ok_or(GuestError::Grow(pages))?;
    }
    for (addr, bytes) in writes {
        memory
            .write_bytes(*addr, bytes)
            .map_err(|_| GuestError::Grow(pages))?;
    }
    machine
        .invoke(run, &[])
        .map_err(|_| GuestError::MissingExport("function `run() -> i32`"))?;
    Ok((machine, mem))
}

/// Whether a machine from [`load_regions`] that has stopped returned 0 from `run`;
/// else the error code or the trap.
pub fn returned(machine: &Machine) -> Result<(), GuestError> {
    match machine.status() {
        Status::Halted => {}
        Status::Trapped(t) => return Err(GuestError::Trapped(t.to_string())),
        Status::Running => return Err(GuestError::Trapped("still running".into())),
    }
    match machine.results().first().copied().unwrap_or(0) as u32 as i32 {
        0 => Ok(()),
        code => Err(GuestError::Rejected { code }),
    }
}

/// The output of a machine from [`load`] that has stopped: the output region if `run`
/// returned 0, else the error code or the trap.
pub fn finish_step(machine: &Machine) -> Result<Output, GuestError> {
    returned(machine)?;
    let memory = match machine.instance(0).and_then(|i| i.exports.get("memory")) {
        Some(Extern::Memory(addr)) => machine.memory(*addr),
        _ => None,
    }
    .ok_or(GuestError::MissingExport("memory `memory`"))?;
    let region = memory
        .read_bytes(
            0,
            (OUTPUT_ADDR + 4 + OUTPUT_CAPACITY).min(memory.size() as usize),
        )
        .unwrap_or_default();
    Output::from_memory(&region)
}

/// Runs the guest in the step machine to the end; returns the output and the steps.
pub fn run_step(
    guest_wasm: &[u8],
    image: &[u8],
    input: &[u8],
) -> Result<(Output, u64), GuestError> {
    let mut machine = load(guest_wasm, image, input)?;
    while machine.status() == Status::Running {
        machine.run(1 << 26);
    }
    Ok((finish_step(&machine)?, machine.steps()))
}

/// The guest instantiated in wasmi with its memory prepared like [`load`]; call `run`
/// on it with [`WasmiGuest::run`].
pub struct WasmiGuest {
    oracle: Oracle,
}

impl WasmiGuest {
    /// Instantiates the guest in wasmi (metering `fuel`) and writes the regions.
    pub fn load(
        guest_wasm: &[u8],
        image: &[u8],
        input: &[u8],
        fuel: Fuel,
    ) -> Result<WasmiGuest, GuestError> {
        let Regions { pages, writes } = region_writes(image, input)?;
        let wasmi_err = |e: OracleError| GuestError::Wasmi(e.to_string());
        let mut oracle = Oracle::new(guest_wasm, fuel).map_err(wasmi_err)?;
        oracle
            .prepare_memory("memory", pages, &writes)
            .map_err(wasmi_err)?;
        Ok(WasmiGuest { oracle })
    }

    /// Calls `run()`: its outcome, the fuel it used and the final memory.
    pub fn call_run(&mut self) -> Result<OracleRun, GuestError> {
        self.oracle
            .call("run", &[])
            .map_err(|e| GuestError::Wasmi(e.to_string()))
    }

    /// Calls `run()` without reading memory back (what a benchmark times): the guest's
    /// return code, 0 when it wrote an output.
    pub fn run_code(&mut self) -> Result<i32, GuestError> {
        let (outcome, _) = self
            .oracle
            .invoke("run", &[])
            .map_err(|e| GuestError::Wasmi(e.to_string()))?;
        match outcome {
            OracleOutcome::Returned(values) => {
                Ok(values.first().map_or(0, |v| v.bits as u32 as i32))
            }
            OracleOutcome::Trapped(t) => Err(GuestError::Trapped(t.to_string())),
        }
    }

    /// The output region after `run()` returned `code`.
    pub fn output(&self, code: i32) -> Result<Output, GuestError> {
        if code != 0 {
            return Err(GuestError::Rejected { code });
        }
        let memory = self
            .oracle
            .memory_bytes("memory")
            .ok_or(GuestError::MissingExport("memory `memory`"))?;
        Output::from_memory(memory)
    }

    /// Calls `run()` and reads the output region.
    pub fn run(&mut self) -> Result<Output, GuestError> {
        let code = self.run_code()?;
        self.output(code)
    }
}

/// Runs the guest once in wasmi.
pub fn run_wasmi(guest_wasm: &[u8], image: &[u8], input: &[u8]) -> Result<Output, GuestError> {
    WasmiGuest::load(guest_wasm, image, input, Fuel::Off)?.run()
}

/// Runs the same model natively (`opml_guest_ml::exec::infer`, the code the guest
/// runs, with buffers of the same capacity); `observe` sees every op's result.
pub fn run_native_observed(
    image: &[u8],
    input: &[u8],
    observe: impl FnMut(u32, View<'_>),
) -> Result<Output, GuestError> {
    if input.len() > INPUT_CAPACITY {
        return Err(GuestError::InputTooLarge(input.len()));
    }
    // The image is copied to 4-aligned storage, as it is in the guest's memory.
    let mut words = vec![0u32; image.len().div_ceil(4)];
    for (w, chunk) in words.iter_mut().zip(image.chunks(4)) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        *w = u32::from_ne_bytes(b);
    }
    // SAFETY: `words` holds at least `image.len()` initialized bytes; u8 has no
    // alignment requirement.
    let aligned = unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), image.len()) };
    let (mut a, mut b) = (
        vec![0i8; ACTIVATION_CAPACITY],
        vec![0i8; ACTIVATION_CAPACITY],
    );
    let mut acc = vec![0i32; ACTIVATION_CAPACITY];
    let mut out = vec![0u8; OUTPUT_CAPACITY];
    let scratch = Scratch {
        a: &mut a,
        b: &mut b,
        acc: &mut acc,
    };
    let n = exec::infer(aligned, input, scratch, &mut out, observe)
        .map_err(|e| GuestError::Rejected { code: e.code() })?;
    Output::decode(&out[..n])
}

/// Runs the same model natively.
pub fn run_native(image: &[u8], input: &[u8]) -> Result<Output, GuestError> {
    run_native_observed(image, input, |_, _| {})
}

/// Where to run a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The kernels compiled natively.
    Native,
    /// `guest.wasm` in wasmi.
    Wasmi,
    /// `guest.wasm` in the step machine.
    Step,
}

impl Engine {
    /// Every engine with its command-line name and what it is.
    pub const ALL: [(Engine, &'static str, &'static str); 3] = [
        (Engine::Native, "native", "the kernels compiled natively"),
        (Engine::Wasmi, "wasmi", "guest.wasm in wasmi"),
        (Engine::Step, "step", "guest.wasm in the step machine"),
    ];
}

/// Runs the model on `engine`; the step count is reported for the step machine only.
pub fn run(
    engine: Engine,
    guest_wasm: &[u8],
    image: &[u8],
    input: &[u8],
) -> Result<(Output, Option<u64>), GuestError> {
    Ok(match engine {
        Engine::Native => (run_native(image, input)?, None),
        Engine::Wasmi => (run_wasmi(guest_wasm, image, input)?, None),
        Engine::Step => {
            let (out, steps) = run_step(guest_wasm, image, input)?;
            (out, Some(steps))
        }
    })
}
