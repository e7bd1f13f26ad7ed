//! Checkpoints and seeking: the state at any step of an invocation, by replay from the
//! nearest snapshot.
//!
//! A [`Trace`] runs an invocation to its end once, snapshotting the mutable state every
//! `interval` steps. A snapshot keeps the registers, the stack in use and globals, and
//! of memory only the pages written in its interval (`history.rs` keeps each page's
//! versions), so its cost is what the interval wrote, whatever the memory size.
//! [`Trace::seek`] restores the nearest snapshot at or before the wanted step *in place*
//! (only pages that differ from the live memory are copied, with their hashes when
//! known) and replays at most `interval - 1` steps. With a memory budget, the interval
//! doubles (and every other snapshot is dropped) whenever the snapshots outgrow it.

mod history;

use crate::machine::{Frame, Machine, Status};
use crate::merkle::{self, Hash};
use history::{PageHistory, Version};
use std::sync::Arc;

/// The largest checkpoint interval accepted, in steps (2^40, the most steps a dispute
/// job may take).
pub const MAX_INTERVAL: u64 = 1 << 40;

/// How a trace keeps checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoints {
    /// Steps between checkpoints, at first (1 ..= [`MAX_INTERVAL`]).
    pub interval: u64,
    /// The most bytes the checkpoints after the first (which is the initial state) may
    /// hold; the interval doubles when they would hold more. The pages written in one
    /// interval are kept whatever the budget.
    pub budget: u64,
}

impl Checkpoints {
    /// A checkpoint every `interval` steps, without a memory budget.
    pub fn every(interval: u64) -> Checkpoints {
        Checkpoints {
            interval,
            budget: u64::MAX,
        }
    }

    /// Checks the interval and the budget.
    pub fn validate(&self) -> Result<(), TraceError> {
        if self.interval == 0 {
            return Err(TraceError::ZeroInterval);
        }
        if self.interval > MAX_INTERVAL {
            return Err(TraceError::IntervalTooLarge(self.interval));
        }
        if self.budget == 0 {
            return Err(TraceError::ZeroBudget);
        }
        Ok(())
    }
}

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
    /// Per memory: its size in pages and the pages written since the previous snapshot.
    memories: Vec<(u32, Vec<u32>)>,
}

impl Snapshot {
    /// Step (counted from the start of the trace) the snapshot was taken at.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Bytes this snapshot holds besides page versions.
    fn overhead(&self) -> u64 {
        let changed: usize = self.memories.iter().map(|(_, c)| 24 + 4 * c.len()).sum();
        (std::mem::size_of::<Snapshot>()
            + 8 * self.stack.len()
            + std::mem::size_of::<Frame>() * self.frames.len()
            + 8 * self.globals.len()
            + changed) as u64
    }
}

/// Why a trace could not be recorded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    /// The checkpoint interval must be at least one step.
    #[error("checkpoint interval must be at least 1 step")]
    ZeroInterval,
    /// The checkpoint interval is past [`MAX_INTERVAL`].
    #[error("checkpoint interval of {0} steps is past the limit of 2^40 steps")]
    IntervalTooLarge(u64),
    /// The checkpoint memory budget must be at least one byte.
    #[error("checkpoint memory budget must be more than 0 bytes")]
    ZeroBudget,
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
    /// Per memory: the versions of its pages.
    histories: Vec<PageHistory>,
    /// Per memory: pages changed in dropped snapshots after the last kept one.
    pending: Vec<Vec<u32>>,
    /// The snapshot the live memory was last restored to (or recorded at).
    baseline: usize,
    /// Per memory: the pages the last restore set, with their version (whose hash is
    /// filled from the live memory when it was computed there).
    restored: Vec<Vec<(u32, Arc<Version>)>>,
}

impl Trace {
    /// Runs the invocation prepared on `machine` (see [`Machine::invoke`]) to its end,
    /// snapshotting every `interval` steps. `progress(steps)` is called after each
    /// interval; returning `false` stops recording.
    pub fn record(
        machine: Machine,
        interval: u64,
        max_steps: u64,
        progress: impl FnMut(u64) -> bool,
    ) -> Result<Trace, TraceError> {
        Trace::record_with(machine, Checkpoints::every(interval), max_steps, progress)
    }

    /// As [`Trace::record`], with a memory budget for the checkpoints. The memory roots
    /// are computed first, so that seeks rehash only pages written after the start.
    pub fn record_with(
        mut machine: Machine,
        checkpoints: Checkpoints,
        max_steps: u64,
        mut progress: impl FnMut(u64) -> bool,
    ) -> Result<Trace, TraceError> {
        checkpoints.validate()?;
        let memories = machine.memories.len();
        for mem in &mut machine.memories {
            mem.root();
        }
        let mut trace = Trace {
            base_step: machine.steps(),
            machine,
            interval: checkpoints.interval,
            total: 0,
            snapshots: Vec::new(),
            histories: (0..memories).map(|_| PageHistory::default()).collect(),
            pending: vec![Vec::new(); memories],
            baseline: 0,
            restored: vec![Vec::new(); memories],
        };
        // The first snapshot's pages are the live ones until a write copies them.
        for mem in &mut trace.machine.memories {
            mem.take_written();
            mem.keep_originals();
        }
        let mut held = trace.take(0);
        let mut done = 0u64;
        while trace.machine.status() == Status::Running {
            if done >= max_steps {
                return Err(TraceError::StepLimit(max_steps));
            }
            let to_next = trace.interval - done % trace.interval;
            done += trace.machine.run(to_next.min(max_steps - done));
            if trace.machine.status() == Status::Running && done.is_multiple_of(trace.interval) {
                held += trace.take(done);
                while held > checkpoints.budget && trace.snapshots.len() > 1 {
                    held = trace.halve();
                }
            }
            if !progress(done) {
                return Err(TraceError::Stopped(done));
            }
        }
        trace.total = done;
        // Leave the replay machine at step 0 for predictable seeking.
        trace.restore(0);
        Ok(trace)
    }

    /// Takes a snapshot at `step`; returns the bytes it added.
    fn take(&mut self, step: u64) -> u64 {
        let index = self.snapshots.len() as u32;
        let m = &mut self.machine;
        let mut added = 0;
        let mut memories = Vec::with_capacity(m.memories.len());
        for (i, mem) in m.memories.iter_mut().enumerate() {
            for original in mem.take_originals() {
                self.histories[i].record_original(original);
            }
            let mut changed = std::mem::take(&mut self.pending[i]);
            changed.extend(mem.take_written());
            changed.sort_unstable();
            changed.dedup();
            added += self.histories[i].record(mem, index, &changed);
            memories.push((mem.pages(), changed));
        }
        let snap = Snapshot {
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
        };
        added += snap.overhead();
        self.snapshots.push(snap);
        self.baseline = index as usize;
        if index == 0 {
            0
        } else {
            added
        }
    }

    /// Doubles the interval, keeping the snapshots at its multiples; returns the bytes
    /// the remaining snapshots after the first hold.
    fn halve(&mut self) -> u64 {
        self.interval *= 2;
        let old = std::mem::take(&mut self.snapshots);
        let last = old.len() - 1;
        let mut odd_changes: Option<Vec<Vec<u32>>> = None;
        for (i, mut snap) in old.into_iter().enumerate() {
            if i % 2 == 1 {
                odd_changes = Some(snap.memories.into_iter().map(|(_, c)| c).collect());
                if i == last {
                    // Its changes carry over to the next snapshot to be taken.
                    for (pending, c) in self
                        .pending
                        .iter_mut()
                        .zip(odd_changes.take().into_iter().flatten())
                    {
                        pending.extend(c);
                    }
                }
                continue;
            }
            if let Some(prev) = odd_changes.take() {
                for ((_, changed), c) in snap.memories.iter_mut().zip(prev) {
                    changed.extend(c);
                    changed.sort_unstable();
                    changed.dedup();
                }
            }
            self.snapshots.push(snap);
        }
        for h in &mut self.histories {
            h.halve();
        }
        self.baseline = self.snapshots.len() - 1;
        let snaps: u64 = self.snapshots[1..].iter().map(Snapshot::overhead).sum();
        snaps
            + self
                .histories
                .iter()
                .map(PageHistory::bytes_after_first)
                .sum::<u64>()
    }

    /// Steps of the invocation, the final (halting or trapping) step included.
    pub fn total_steps(&self) -> u64 {
        self.total
    }

    /// Checkpoint interval (after any doubling for the memory budget).
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Page buffers (64 KiB each) the checkpoints hold: each page's content at the
    /// checkpoints where it changed, the initial content only of pages the run wrote.
    pub fn pages_held(&self) -> usize {
        self.histories.iter().map(PageHistory::pages_held).sum()
    }

    /// Number of snapshots held.
    pub fn snapshots(&self) -> usize {
        self.snapshots.len()
    }

    /// The machine after `n` steps (`n` beyond the end gives the final state).
    pub fn seek(&mut self, n: u64) -> &mut Machine {
        let n = n.min(self.total);
        let current = self.machine.steps() - self.base_step;
        let nearest = ((n / self.interval) as usize).min(self.snapshots.len() - 1);
        let snap_step = self.snapshots[nearest].step;
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

    /// Restores snapshot `index` in place: registers, stack and globals, and of each
    /// memory only the pages that differ from the live one.
    fn restore(&mut self, index: usize) {
        let index = index.min(self.snapshots.len() - 1);
        let (lo, hi) = (self.baseline.min(index), self.baseline.max(index));
        let s = &self.snapshots[index];
        let m = &mut self.machine;
        for (i, mem) in m.memories.iter_mut().enumerate() {
            // Pages first written since the last snapshot (a caller's writes after a
            // seek included) bring their checkpoint-0 content.
            for original in mem.take_originals() {
                self.histories[i].record_original(original);
            }
            // Hashes computed since the last restore belong to the versions it set.
            for (p, v) in self.restored[i].drain(..) {
                if let Some(h) = mem.page_hash(p).filter(|_| !mem.is_written(p)) {
                    let _ = v.hash.set(h);
                }
            }
            let mut todo = mem.take_written();
            todo.append(&mut self.pending[i]);
            for between in &self.snapshots[lo + 1..=hi] {
                todo.extend_from_slice(&between.memories[i].1);
            }
            todo.sort_unstable();
            todo.dedup();
            let pages = s.memories[i].0;
            mem.resize(pages);
            let history = &self.histories[i];
            for p in todo.into_iter().filter(|&p| p < pages) {
                match history.at(p, index as u32) {
                    Some(v) => {
                        mem.set_page(p, v.bytes.as_deref(), v.hash.get().copied());
                        self.restored[i].push((p, Arc::clone(v)));
                    }
                    None => mem.set_page(
                        p,
                        None,
                        Some(merkle::zero_hash(crate::memory::PAGE_TREE_HEIGHT)),
                    ),
                }
            }
        }
        m.stack[..s.stack.len()].copy_from_slice(&s.stack);
        m.sp = s.sp;
        m.fp = s.fp;
        m.func = s.func;
        m.pc = s.pc;
        m.frames.clone_from(&s.frames);
        m.status = s.status;
        m.globals.clone_from(&s.globals);
        m.steps = self.base_step + s.step;
        self.baseline = index;
    }
}
