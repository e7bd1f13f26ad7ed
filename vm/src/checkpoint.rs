//! Checkpoints and seeking: the state at any step of an invocation, by replay from the
//! nearest snapshot.
//!
//! A [`Trace`] runs an invocation to its end once, snapshotting the mutable state every
//! `interval` steps. Memory pages are shared copy-on-write between snapshots (only pages
//! written since the previous snapshot are copied), so a snapshot of a run that touches
//! little memory is small whatever the memory size. [`Trace::seek`] restores the nearest
//! snapshot at or before the wanted step and replays at most `interval - 1` steps.

use crate::machine::{Frame, Machine, Status};
use crate::memory::{Memory, MemorySnapshot};
use crate::merkle::Hash;

/// The mutable part of a machine at one step.
#[derive(Clone, Debug)]
pub struct Snapshot {
    step: u64,
    stack: Vec<u64>,
    sp: u32,
    fp: u32,
    func: u32,
    pc: u32,
    frames: Vec<Frame>,
    status: Status,
    globals: Vec<u64>,
    memories: Vec<MemorySnapshot>,
}

impl Snapshot {
    /// Step (counted from the start of the trace) the snapshot was taken at.
    pub fn step(&self) -> u64 {
        self.step
    }
}

/// Why a trace could not be recorded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    /// The checkpoint interval must be at least one step.
    #[error("checkpoint interval must be at least 1 step")]
    ZeroInterval,
    /// The invocation did not end within the step limit.
    #[error("invocation still running after the step limit of {0} steps")]
    StepLimit(u64),
    /// The progress callback asked to stop.
    #[error("stopped after {0} steps")]
    Stopped(u64),
}

/// A recorded invocation: its checkpoints and a machine to replay on.
pub struct Trace {
    machine: Machine,
    interval: u64,
    base_step: u64,
    total: u64,
    snapshots: Vec<Snapshot>,
}

impl Trace {
    /// Runs the invocation prepared on `machine` (see [`Machine::invoke`]) to its end,
    /// snapshotting every `interval` steps. `progress(steps)` is called after each
    /// interval; returning `false` stops recording.
    pub fn record(
        mut machine: Machine,
        interval: u64,
        max_steps: u64,
        mut progress: impl FnMut(u64) -> bool,
    ) -> Result<Trace, TraceError> {
        if interval == 0 {
            return Err(TraceError::ZeroInterval);
        }
        let base_step = machine.steps();
        let mut snapshots = vec![take(&mut machine, 0, None)];
        let mut done = 0u64;
        while machine.status() == Status::Running {
            if done >= max_steps {
                return Err(TraceError::StepLimit(max_steps));
            }
            done += machine.run(interval.min(max_steps - done));
            if machine.status() == Status::Running && done.is_multiple_of(interval) {
                let prev = snapshots.last();
                let snap = take(&mut machine, done, prev);
                snapshots.push(snap);
            }
            if !progress(done) {
                return Err(TraceError::Stopped(done));
            }
        }
        let mut trace = Trace {
            machine,
            interval,
            base_step,
            total: done,
            snapshots,
        };
        // Leave the replay machine at step 0 for predictable seeking.
        trace.restore(0);
        Ok(trace)
    }

    /// Steps of the invocation, the final (halting or trapping) step included.
    pub fn total_steps(&self) -> u64 {
        self.total
    }

    /// Checkpoint interval.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Number of snapshots held.
    pub fn snapshots(&self) -> usize {
        self.snapshots.len()
    }

    /// The machine after `n` steps (`n` beyond the end gives the final state).
    pub fn seek(&mut self, n: u64) -> &mut Machine {
        let n = n.min(self.total);
        let current = self.machine.steps() - self.base_step;
        let nearest = (n / self.interval) as usize;
        let snap_step = self.snapshots[nearest.min(self.snapshots.len() - 1)].step;
        // Replay forward from where we are when that is closer than the snapshot.
        if current > n || current < snap_step {
            self.restore(nearest);
        }
        let current = self.machine.steps() - self.base_step;
        self.machine.run(n - current);
        &mut self.machine
    }

    /// The state root after `n` steps.
    pub fn root_at(&mut self, n: u64) -> Hash {
        self.seek(n).state_root()
    }

    fn restore(&mut self, index: usize) {
        let s = &self.snapshots[index.min(self.snapshots.len() - 1)];
        let m = &mut self.machine;
        m.stack[..s.stack.len()].copy_from_slice(&s.stack);
        m.sp = s.sp;
        m.fp = s.fp;
        m.func = s.func;
        m.pc = s.pc;
        m.frames.clone_from(&s.frames);
        m.status = s.status;
        m.globals.clone_from(&s.globals);
        m.memories = s.memories.iter().map(Memory::from_snapshot).collect();
        m.steps = self.base_step + s.step;
    }
}

fn take(m: &mut Machine, step: u64, prev: Option<&Snapshot>) -> Snapshot {
    let memories = m
        .memories
        .iter_mut()
        .enumerate()
        .map(|(i, mem)| mem.snapshot(prev.and_then(|p| p.memories.get(i))))
        .collect();
    Snapshot {
        step,
        stack: m.stack[..m.sp as usize].to_vec(),
        sp: m.sp,
        fp: m.fp,
        func: m.func,
        pc: m.pc,
        frames: m.frames.clone(),
        status: m.status,
        globals: m.globals.clone(),
        memories,
    }
}
