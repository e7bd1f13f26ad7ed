//! An LLM request in wasmi, optionally metered so that it can pause and resume.

use wasmi::{Config, Engine, Instance, Linker, Memory, Module, ResumableCall, Store, Val};

use super::{read_ids, GuestError, Layout};

/// The guest instantiated in wasmi with an LLM request's memory prepared.
pub struct WasmiRun {
    store: Store<()>,
    instance: Instance,
    memory: Memory,
    layout: Layout,
    metered: bool,
    paused: Option<wasmi::ResumableCallOutOfFuel>,
    code: Option<i32>,
}

fn err(e: impl ToString) -> GuestError {
    GuestError::Wasmi(e.to_string())
}

impl WasmiRun {
    /// Instantiates `guest_wasm` and prepares the memory. `metered`: wasmi counts fuel,
    /// so [`WasmiRun::advance`] can pause (slower; off for timing).
    pub fn load(
        guest_wasm: &[u8],
        image: &[u8],
        input: &[u8],
        metered: bool,
    ) -> Result<WasmiRun, GuestError> {
        let layout = Layout::new(image, input)?;
        let mut config = Config::default();
        config.consume_fuel(metered);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, guest_wasm).map_err(err)?;
        let mut store = Store::new(&engine, ());
        let instance = <Linker<()>>::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .map_err(err)?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or(GuestError::MissingExport("memory `memory`"))?;
        let have = memory.size(&store);
        if have < layout.pages as u64 {
            memory
                .grow(&mut store, layout.pages as u64 - have)
                .map_err(|_| GuestError::Grow(layout.pages))?;
        }
        for (addr, bytes) in layout.writes(image) {
            memory.write(&mut store, addr, bytes).map_err(err)?;
        }
        Ok(WasmiRun {
            store,
            instance,
            memory,
            layout,
            metered,
            paused: None,
            code: None,
        })
    }

    fn finished(&mut self, outputs: &[Val]) {
        self.code = Some(match outputs.first() {
            Some(Val::I32(c)) => *c,
            _ => 0,
        });
    }

    /// Runs `run()` to its end (unmetered, or with unlimited fuel).
    pub fn run_to_end(&mut self) -> Result<Vec<u32>, GuestError> {
        while self.advance(u64::MAX / 4)? {}
        self.finish()
    }

    /// Runs at most `fuel` more (metered runs; unmetered ones run to the end); whether
    /// the guest is still running.
    pub fn advance(&mut self, fuel: u64) -> Result<bool, GuestError> {
        if self.code.is_some() {
            return Ok(false);
        }
        let mut outputs = [Val::I32(0)];
        if self.metered {
            self.store.set_fuel(fuel).map_err(err)?;
        }
        let call = match self.paused.take() {
            Some(paused) => paused.resume(&mut self.store, &mut outputs),
            None => {
                let run = self
                    .instance
                    .get_func(&self.store, "run")
                    .ok_or(GuestError::MissingExport("function `run`"))?;
                run.call_resumable(&mut self.store, &[], &mut outputs)
            }
        };
        match call {
            Ok(ResumableCall::Finished) => {
                self.finished(&outputs);
                Ok(false)
            }
            Ok(ResumableCall::OutOfFuel(paused)) => {
                self.paused = Some(paused);
                Ok(true)
            }
            Ok(ResumableCall::HostTrap(_)) => Err(err("host trap (the guest imports nothing)")),
            Err(e) => Err(GuestError::Trapped(e.to_string())),
        }
    }

    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let data = self.memory.data(&self.store);
        let start = usize::try_from(addr).ok()?;
        data.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
    }

    /// The ids the guest has published so far.
    pub fn tokens(&self) -> Result<Vec<u32>, GuestError> {
        read_ids(|a, l| self.read(a, l))
    }

    /// The generated ids of a finished run, or the error code.
    pub fn finish(&self) -> Result<Vec<u32>, GuestError> {
        match self.code {
            None => Err(GuestError::Trapped("still running".into())),
            Some(0) => self.tokens(),
            Some(code) => Err(GuestError::Rejected { code }),
        }
    }

    /// The arena's bytes.
    pub fn arena(&self) -> Result<Vec<u8>, GuestError> {
        let len = usize::try_from(self.layout.arena_len)
            .map_err(|_| GuestError::BadOutput("arena larger than this host's memory"))?;
        self.read(self.layout.arena_addr, len)
            .ok_or(GuestError::BadOutput("memory ends inside the arena"))
    }
}
