//! One-step proofs: for any step, the bytes that let a stateless verifier compute the
//! post-state root from the pre-state root, touching only what the instruction reads
//! and writes.
//!
//! - [`codec`] owns the proof's byte layout (`docs/proof-format.md`);
//! - `witness` supplies the items a step reads: recorded from a machine by the prover,
//!   replayed from bytes by the verifier;
//! - `step` is the one-step semantics over commitments, shared by both, so the prover
//!   emits exactly what the verifier reads.
//!
//! Proofs cover the provable profile: every integer, control, memory, call and table
//! instruction, traps, and the halting `return`. A step from a halted or trapped state
//! is valid and changes nothing. Float instructions and calls of host functions are
//! rejected with their own errors.

pub mod codec;
pub mod solidity;
mod step;
mod witness;

use crate::checkpoint::Trace;
use crate::machine::{Config, Machine};
use crate::merkle::Hash;
pub use step::StepOutcome;
use witness::{Recorder, Replayer};

/// The call-depth limit the verifier applies (the default [`Config`]).
pub const MAX_CALL_DEPTH: u32 = 1024;
/// The value-stack capacity in slots the verifier applies (the default [`Config`]).
pub const STACK_SLOTS: u32 = 1 << 20;

/// The most operand values one step's proof may carry in the provable profile: the
/// values a branch drops and keeps, a call's parameters (and `call_indirect`'s table
/// index), a `return`'s results, a `br_if`'s condition or a `br_table`'s index.
/// Operands are a hash chain, so each value popped is in the proof (8 bytes) and costs
/// the Solidity verifier a hash (a call's parameters also build the callee's locals
/// tree): about 625 gas per operand for a branch, 1 840 per parameter for a call.
/// [`Module::load`](crate::Module::load) with
/// [`LoadOptions::provable`](crate::LoadOptions::provable) rejects a module with a step
/// beyond this, so that every step it accepts is provable on chain within the budget of
/// `docs/proof-format.md` (1 M gas, 64 KiB of proof): at the limit the costliest step,
/// a `call_indirect` with 255 parameters, takes about 0.53 M gas and 3 KiB
/// (`docs/gas.md`).
pub const MAX_PROOF_OPERANDS: u32 = 256;

/// Why a proof was rejected (or could not be produced).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof's format version is not [`codec::VERSION`].
    #[error("unsupported proof version {0}")]
    Version(u8),
    /// The proof ends inside an item.
    #[error("proof truncated in {item} at byte {offset} (proof is {len} bytes)")]
    Truncated {
        /// The item being read.
        item: &'static str,
        /// Where it started to be short.
        offset: usize,
        /// The proof's length.
        len: usize,
    },
    /// Bytes left over after the step.
    #[error("{extra} unread bytes after the step, from byte {offset}")]
    TrailingBytes {
        /// First unread byte.
        offset: usize,
        /// How many.
        extra: usize,
    },
    /// A local or global path longer than any tree.
    #[error("{item} path of {len} hashes is too long")]
    PathTooLong {
        /// Local or global.
        item: &'static str,
        /// Claimed length.
        len: usize,
    },
    /// The state fields do not hash to the claimed pre-state root.
    #[error("state fields do not hash to the claimed pre-state root")]
    PreRootMismatch,
    /// An item does not match the commitment it claims to belong to.
    #[error("{0} does not match its commitment")]
    Mismatch(&'static str),
    /// An index or size outside what the commitment allows.
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// The code word holds no known opcode.
    #[error("unknown opcode 0x{0:02x}")]
    UnknownOpcode(u8),
    /// Float instructions are not provable on-chain.
    #[error("float opcode 0x{0:02x} is not provable")]
    FloatNotProvable(u8),
    /// Host functions cannot be executed by the verifier.
    #[error("call of host function {0} is not provable")]
    HostCallNotProvable(u32),
    /// A memory instruction in a function without a memory.
    #[error("memory instruction in a function without memory")]
    NoMemory,
    /// The prover's machine disagrees with itself (a bug, not a bad proof).
    #[error("prover state has no {0} where the step needs one")]
    Inconsistent(&'static str),
    /// The machine's limits differ from the verifier's ([`MAX_CALL_DEPTH`],
    /// [`STACK_SLOTS`]), so its steps are not provable.
    #[error("machine limits differ from the verifier's (call depth {MAX_CALL_DEPTH}, {STACK_SLOTS} stack slots)")]
    NonStandardConfig,
}

/// A one-step proof and what the prover computed for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The encoded proof.
    pub bytes: Vec<u8>,
    /// The verified outcome (pre-root, post-root, instruction).
    pub outcome: StepOutcome,
}

impl Machine {
    /// A proof of the machine's next step. The machine is not advanced.
    pub fn prove_step(&mut self) -> Result<Proof, ProofError> {
        let standard = Config::default();
        if self.config.max_call_depth != MAX_CALL_DEPTH
            || self.config.stack_slots != STACK_SLOTS
            || standard.max_call_depth != MAX_CALL_DEPTH
            || standard.stack_slots != STACK_SLOTS
        {
            return Err(ProofError::NonStandardConfig);
        }
        let mut recorder = Recorder::new(self);
        let outcome = step::step(&mut recorder)?;
        Ok(Proof {
            bytes: recorder.finish(),
            outcome,
        })
    }
}

impl Trace {
    /// A proof of step `n + 1`: from the state after `n` steps to the state after
    /// `n + 1` (beyond the end, a proof that the final state stays put).
    pub fn prove(&mut self, n: u64) -> Result<Proof, ProofError> {
        self.seek(n).prove_step()
    }
}

/// Verifies a proof with nothing but its bytes: checks every item against the
/// pre-state root the proof claims and returns the step's outcome.
pub fn verify(proof: &[u8]) -> Result<StepOutcome, ProofError> {
    let mut replayer = Replayer::new(proof);
    let outcome = step::step(&mut replayer)?;
    replayer.finish()?;
    Ok(outcome)
}

/// The post-state root of a proof whose pre-state root must be `pre_root`.
pub fn verify_from(pre_root: &Hash, proof: &[u8]) -> Result<Hash, ProofError> {
    let outcome = verify(proof)?;
    if outcome.pre_root != *pre_root {
        return Err(ProofError::PreRootMismatch);
    }
    Ok(outcome.post_root)
}
