//! What a dispute game bisects, off chain: a sequence of states with a root at every
//! position and a proof of every transition. Agents drive any [`StateTrace`]; the
//! honest Wasm execution ([`Execution`]) is one, and the lying behaviours of the tests
//! and the demo wrap an honest trace ([`super::claims::Claims`]), so the honest path
//! holds no cheating code. A second level (graph nodes) brings its own trace and leaf
//! proofs; the dissection code does not change.

use super::job::Execution;
use super::GameError;
use opml_vm::merkle::Hash;
use opml_vm::Op;

/// A proof of one transition, for the game's leaf verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafProof {
    /// The bytes the leaf verifier reads.
    pub bytes: Vec<u8>,
    /// The instruction proven (`None`: the pre-state had already stopped).
    pub op: Option<Op>,
}

/// A trace of states a game bisects.
pub trait StateTrace {
    /// Number of transitions claimed: the final state is at position
    /// `transitions()`.
    fn transitions(&self) -> u64;
    /// The root claimed for the state at position `n`; past the end, the claim of
    /// what is there (an honest trace has no state there and says so with a root no
    /// state has).
    fn root(&mut self, n: u64) -> Hash;
    /// A proof of the transition from position `n` to `n + 1` of the honest run.
    fn prove(&mut self, n: u64) -> Result<LeafProof, GameError>;

    /// Whether a posted claim (final root after `steps`) differs from this trace.
    fn disputes(&mut self, final_root: &Hash, steps: u64) -> bool {
        self.root(steps) != *final_root
    }
}

impl StateTrace for Execution {
    fn transitions(&self) -> u64 {
        self.steps
    }

    fn root(&mut self, n: u64) -> Hash {
        if n > self.steps {
            return past_the_end(n, &self.final_root);
        }
        self.trace.root_at(n)
    }

    fn prove(&mut self, n: u64) -> Result<LeafProof, GameError> {
        let proof = self.trace.prove(n)?;
        Ok(LeafProof {
            bytes: proof.bytes,
            op: proof.outcome.op,
        })
    }
}

/// The root an honest trace gives position `n` past its end: a hash no state has
/// (domain-separated from state roots), so every claim of a state there is disputed.
pub fn past_the_end(n: u64, final_root: &Hash) -> Hash {
    opml_vm::merkle::keccak(&[b"opml-no-state", &n.to_be_bytes(), final_root])
}
