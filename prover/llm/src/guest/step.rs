//! An LLM request in the step machine.

use opml_vm::{Machine, Status};

use super::{read_ids, GuestError, Layout};

/// The guest in the step machine (provable profile: float opcodes rejected at load)
/// with an LLM request's memory prepared and `run()` invoked; step it with
/// [`StepRun::run`].
pub struct StepRun {
    machine: Machine,
    memory: u32,
    layout: Layout,
}

impl StepRun {
    /// Instantiates `guest_wasm`, grows its memory to the layout of `image` and
    /// `input`, writes the regions and invokes `run` (no step taken yet).
    pub fn load(guest_wasm: &[u8], image: &[u8], input: &[u8]) -> Result<StepRun, GuestError> {
        let layout = Layout::new(image, input)?;
        let (machine, memory) =
            opml_host::guest::load_regions(guest_wasm, layout.pages, &layout.writes(image))?;
        Ok(StepRun {
            machine,
            memory,
            layout,
        })
    }

    /// Runs at most `budget` steps; whether the guest is still running.
    pub fn run(&mut self, budget: u64) -> bool {
        if self.machine.status() == Status::Running {
            self.machine.run(budget);
        }
        self.machine.status() == Status::Running
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.machine.steps()
    }

    /// The machine (for state roots, proofs).
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// The machine, consumed.
    pub fn into_machine(self) -> Machine {
        self.machine
    }

    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.machine.memory(self.memory)?.read_bytes(addr, len)
    }

    /// The ids the guest has published so far (it writes the output length per id).
    pub fn tokens(&self) -> Result<Vec<u32>, GuestError> {
        read_ids(|a, l| self.read(a, l))
    }

    /// The generated ids of a finished run, or the error code or trap.
    pub fn finish(&self) -> Result<Vec<u32>, GuestError> {
        opml_host::guest::returned(&self.machine)?;
        self.tokens()
    }

    /// The arena's bytes.
    pub fn arena(&self) -> Result<Vec<u8>, GuestError> {
        let len = usize::try_from(self.layout.arena_len)
            .map_err(|_| GuestError::BadOutput("arena larger than this host's memory"))?;
        self.read(self.layout.arena_addr, len)
            .ok_or(GuestError::BadOutput("memory ends inside the arena"))
    }
}
