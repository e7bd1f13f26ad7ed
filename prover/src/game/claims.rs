//! What an agent claims: the honest execution, or a lie derived from it. A lying
//! submitter runs the honest trace and alters its claimed roots, output, step count or
//! final status from some step on; a false challenger disputes honest roots.

use super::job::Execution;
use super::layout::FinalState;
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

    /// The claimed root after `n` steps (the final root from the claimed end on).
    pub fn root(&mut self, n: u64) -> Hash {
        if let Behavior::DisputeFrom(k) = self.behavior {
            if n >= k {
                return lie(n, &self.final_root);
            }
        }
        if n >= self.steps {
            return match self.behavior {
                // A challenger's view past the honest end: no state exists there.
                Behavior::Honest if n > self.exec.steps => lie(n, &self.final_root),
                _ => self.final_root,
            };
        }
        let honest = self.exec.trace.root_at(n);
        match self.behavior {
            Behavior::LieFrom(k) if n >= k => lie(n, &honest),
            _ => honest,
        }
    }

    /// Whether these claims dispute a posted result.
    pub fn disputes(&mut self, final_root: &Hash, steps: u64) -> bool {
        self.root(steps) != *final_root
    }
}
