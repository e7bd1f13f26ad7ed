//! A job: a program whose input and output are page regions, and its honest execution
//! (trace with checkpoints, start and final claims).

use super::layout::{FinalState, LayoutError, ModelLayout};
use super::GameError;
use opml_guest_ml::abi::{INPUT_ADDR, OUTPUT_ADDR, PAGE};
use opml_host::guest;
use opml_vm::checkpoint::Checkpoints;
use opml_vm::merkle::Hash;
use opml_vm::{Machine, Trace};

/// Builds the machine of a job prepared for its first step on an input.
pub type Loader = Box<dyn Fn(&[u8]) -> Result<Machine, String> + Send + Sync>;

/// A registered program: how to load it on an input, and where its regions are.
pub struct Job {
    /// Name shown in logs.
    pub name: String,
    /// Loads the program with an input.
    pub load: Loader,
    /// Page index of the input region.
    pub input_page: u32,
    /// Page index of the output region.
    pub output_page: u32,
}

impl Job {
    /// The ML guest running `image` as a dispute job: its input and output regions are
    /// the pages of the guest ABI's input and output addresses.
    pub fn guest(name: String, guest_wasm: Vec<u8>, image: Vec<u8>) -> Job {
        Job {
            name,
            load: Box::new(move |input| {
                guest::load(&guest_wasm, &image, input).map_err(|e| e.to_string())
            }),
            input_page: (INPUT_ADDR / PAGE) as u32,
            output_page: (OUTPUT_ADDR / PAGE) as u32,
        }
    }
}

impl Job {
    /// The guest running an LLM image as a dispute job: its memory prepared by
    /// `opml_llm::guest` (input and output regions at the classifier's pages).
    pub fn llm(name: String, guest_wasm: Vec<u8>, image: Vec<u8>) -> Job {
        Job {
            name,
            load: Box::new(move |input| {
                opml_llm::guest::StepRun::load(&guest_wasm, &image, input)
                    .map(opml_llm::guest::StepRun::into_machine)
                    .map_err(|e| e.to_string())
            }),
            input_page: (INPUT_ADDR / PAGE) as u32,
            output_page: (OUTPUT_ADDR / PAGE) as u32,
        }
    }
}

/// The most steps an execution may take.
pub(crate) const MAX_STEPS: u64 = 1 << 40;

/// The most bytes an execution's checkpoints may hold: past it the interval doubles
/// (an LLM token runs ~10^9 steps; at the small intervals that suit a classifier its
/// snapshots would take many GiB).
pub(crate) const CHECKPOINT_BUDGET: u64 = 1 << 30;

/// An honest execution of a job on one input.
pub struct Execution {
    /// The recorded run.
    pub trace: Trace,
    /// The model's layout (what the registry holds).
    pub layout: ModelLayout,
    /// Start root.
    pub start_root: Hash,
    /// Steps to the end (halt or trap).
    pub steps: u64,
    /// The final state as posted.
    pub final_state: FinalState,
    /// Its root.
    pub final_root: Hash,
}

impl Execution {
    /// Runs `job` on `input`, snapshotting every `interval` steps; `progress(steps)`
    /// returning `false` stops the run.
    pub fn run(
        job: &Job,
        input: &[u8],
        interval: u64,
        progress: impl FnMut(u64) -> bool,
    ) -> Result<Execution, GameError> {
        let mut machine = (job.load)(input).map_err(GameError::Load)?;
        let layout = ModelLayout::of(&mut machine, job.input_page, job.output_page)?;
        let start_root = machine.state_root();
        let checkpoints = Checkpoints {
            interval,
            budget: CHECKPOINT_BUDGET,
        };
        let mut trace = Trace::record_with(machine, checkpoints, MAX_STEPS, progress)?;
        let steps = trace.total_steps();
        let final_state = FinalState::of(trace.seek(steps), job.output_page)?;
        let final_root = trace.root_at(steps);
        if final_state.root(job.output_page)? != final_root {
            return Err(GameError::Layout(LayoutError::OutputPageNotClean));
        }
        Ok(Execution {
            trace,
            layout,
            start_root,
            steps,
            final_state,
            final_root,
        })
    }

    /// The honest final state of a state after `n` steps, read as if it were final.
    pub fn state_after(&mut self, n: u64, output_page: u32) -> Result<FinalState, GameError> {
        Ok(FinalState::of(self.trace.seek(n), output_page)?)
    }
}
