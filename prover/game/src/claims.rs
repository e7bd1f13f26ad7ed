//! What an agent claims: the honest execution, or a lie derived from it. [`Claims`]
//! wraps an honest [`Execution`] as a [`StateTrace`]: a lying submitter alters the
//! claimed roots, output, step count or final status from some step on; a false
//! challenger disputes honest roots. Proofs always come from the honest run.

use super::job::Execution;
use super::layout::FinalState;
use super::trace::{LeafProof, StateTrace};
use super::GameError;
use opml_vm::merkle::{keccak, Hash};
use opml_vm::Trap;

/// How an agent departs from the honest execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Behavior {
    /// Claims the honest execution.
    Honest,
    /// Submitter: roots from step `k` on are wrong, ending in a wrong output (`k` at
    /// or past the end: only the final root and output are wrong).
    LieFrom(u64),
    /// Submitter: claims the honest final state after `steps + delta` steps.
    StepCount(i64),
    /// Submitter: claims the run trapped (`unreachable`) at step `k`.
    FakeTrap(u64),
    /// Challenger: disputes every root from step `k` on (a false challenge when the
    /// result is honest).
    DisputeFrom(u64),
}

/// The named ways a submitter cheats (`opml demo --cheat`, `opml agent --cheat`), each
/// a [`Behavior`] placed relative to the honest run's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cheat {
    /// Honest: the result finalizes unchallenged.
    None,
    /// A wrong root from the first step on.
    Early,
    /// A wrong root from the middle of the run on.
    Middle,
    /// Only the final root and output are wrong.
    Last,
    /// The honest final state with five extra steps claimed.
    Steps,
    /// A trap faked at the middle of the run.
    Trap,
}

impl Cheat {
    /// The submitter's behaviour on a run of `steps` steps.
    pub fn behavior(self, steps: u64) -> Behavior {
        match self {
            Cheat::None => Behavior::Honest,
            Cheat::Early => Behavior::LieFrom(1),
            Cheat::Middle => Behavior::LieFrom(steps / 2),
            Cheat::Last => Behavior::LieFrom(steps),
            Cheat::Steps => Behavior::StepCount(5),
            Cheat::Trap => Behavior::FakeTrap(steps / 2),
        }
    }
}

impl Cheat {
    /// Every cheat with its command-line name and what it does.
    pub const ALL: [(Cheat, &'static str, &'static str); 6] = [
        (
            Cheat::None,
            "none",
            "honest: the result finalizes unchallenged",
        ),
        (Cheat::Early, "early", "a wrong root from the first step on"),
        (
            Cheat::Middle,
            "middle",
            "a wrong root from the middle of the run on",
        ),
        (
            Cheat::Last,
            "last",
            "only the final root and output are wrong",
        ),
        (
            Cheat::Steps,
            "steps",
            "the honest final state with five extra steps claimed",
        ),
        (Cheat::Trap, "trap", "a trap faked at the middle of the run"),
    ];
}

/// A claimed execution: the roots at every step, the step count and the final state.
pub struct Claims {
    /// The honest run behind the claims.
    pub exec: Execution,
    /// How the claims depart from it.
    pub behavior: Behavior,
    /// Claimed step count.
    pub steps: u64,
    /// Claimed final state.
    pub final_state: FinalState,
    /// Its root.
    pub final_root: Hash,
}

fn lie(n: u64, honest: &Hash) -> Hash {
    keccak(&[b"opml-lie", &n.to_be_bytes(), honest])
}

impl Claims {
    /// The claims of `behavior` over `exec`; `output_page` locates the output region.
    pub fn new(
        mut exec: Execution,
        behavior: Behavior,
        output_page: u32,
    ) -> Result<Claims, GameError> {
        let n = exec.steps;
        let (steps, final_state) = match behavior {
            Behavior::Honest | Behavior::DisputeFrom(_) => (n, exec.final_state.clone()),
            Behavior::LieFrom(_) => {
                let mut f = exec.final_state.clone();
                match f.output.first_mut() {
                    Some(b) => *b ^= 1,
                    None => f.output.push(1),
                }
                (n, f)
            }
            Behavior::StepCount(delta) => {
                let steps = n.saturating_add_signed(delta).max(1);
                (steps, exec.final_state.clone())
            }
            Behavior::FakeTrap(k) => {
                let k = k.clamp(1, n);
                let mut f = exec.state_after(k - 1, output_page)?;
                f.prefix[1] = 2;
                f.prefix[2] = Trap::Unreachable.code();
                (k, f)
            }
        };
        let final_root = final_state.root(output_page)?;
        Ok(Claims {
            exec,
            behavior,
            steps,
            final_state,
            final_root,
        })
    }
}

impl StateTrace for Claims {
    fn transitions(&self) -> u64 {
        self.steps
    }

    /// The claimed root after `n` steps (the claimed final root from the claimed end
    /// on, for a lying submitter).
    fn root(&mut self, n: u64) -> Hash {
        if let Behavior::DisputeFrom(k) = self.behavior {
            if n >= k {
                return lie(n, &self.final_root);
            }
        }
        if self.behavior == Behavior::Honest {
            return self.exec.root(n);
        }
        if n >= self.steps {
            return self.final_root;
        }
        // A halted machine stays in its final state: a liar claiming more steps
        // repeats the honest final root up to its claimed end.
        let honest = self.exec.trace.root_at(n);
        match self.behavior {
            Behavior::LieFrom(k) if n >= k => lie(n, &honest),
            _ => honest,
        }
    }

    fn prove(&mut self, n: u64) -> Result<LeafProof, GameError> {
        self.exec.prove(n)
    }
}
