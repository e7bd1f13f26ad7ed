//! The embedded EVM: the Solidity one-step verifier (`arbiter-sol/contracts/WasmStep.sol`)
//! deployed into an in-process revm, so a proof can be checked on-chain-equivalently and
//! its gas measured with no node.
//!
//! Gas is the whole transaction's: the 21 000 intrinsic gas, the calldata (ABI-encoded
//! pre-root and proof) and execution.

use crate::chain::{Chain, ChainError};
use crate::contracts::WasmStep;
pub use crate::contracts::{describe, describe_rust, VerifierError};
use crate::embedded::EmbeddedChain;
use crate::hex::hex;
use alloy_primitives::{Address, Bytes, FixedBytes};
use alloy_sol_types::{SolCall, SolInterface};

/// The EIP-170 limit on deployed code size, in bytes.
pub const MAX_CODE_SIZE: usize = 24_576;

/// Gas limit of a verification transaction: ten times the budget of the provable
/// profile (docs/gas.md), so a step past it shows as "no verdict" (out of gas).
pub const STEP_GAS_LIMIT: u64 = 10_000_000;

/// Failures of the embedded EVM itself (not rejections of a proof).
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// Deploying the verifier failed.
    #[error("deploying WasmStep failed: {0}")]
    Deploy(String),
    /// revm rejected the transaction (not a revert).
    #[error("the EVM rejected the transaction: {0}")]
    Transaction(String),
    /// The call halted without a revert (out of gas, invalid opcode, ...).
    #[error("the verifier halted: {0}")]
    Halt(String),
    /// The verifier returned or reverted with data that does not decode.
    #[error("undecodable verifier output {0}")]
    Undecodable(String),
}

/// What the verifier contract said about one proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The proof is valid; the post-state root.
    Valid([u8; 32]),
    /// The proof was rejected with this error.
    Rejected(VerifierError),
}

/// One verification in the EVM: the verdict and the transaction's gas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmStep {
    /// The verifier's answer.
    pub verdict: Verdict,
    /// Gas used by the whole transaction, intrinsic and calldata gas included.
    pub gas: u64,
}

/// The verifier contract deployed on an [`EmbeddedChain`] of its own.
pub struct EvmVerifier {
    chain: EmbeddedChain,
    caller: Address,
    contract: Address,
}

impl EvmVerifier {
    /// A fresh embedded chain with the verifier deployed.
    pub fn deploy() -> Result<EvmVerifier, EvmError> {
        let mut chain = EmbeddedChain::new(1);
        let caller = chain.accounts()[0];
        let contract = chain
            .deploy(caller, WasmStep::BYTECODE.to_vec())
            .map_err(|e| EvmError::Deploy(e.to_string()))?;
        Ok(EvmVerifier {
            chain,
            caller,
            contract,
        })
    }

    /// Size of the deployed verifier code in bytes.
    pub fn code_size(&self) -> usize {
        WasmStep::DEPLOYED_BYTECODE.len()
    }

    /// Runs `WasmStep.step(pre_root, proof)` in a transaction that is not committed.
    pub fn step(&mut self, pre_root: &[u8; 32], proof: &[u8]) -> Result<EvmStep, EvmError> {
        let data = WasmStep::stepCall {
            preRoot: FixedBytes(*pre_root),
            proof: Bytes::copy_from_slice(proof),
        }
        .abi_encode();
        let run = self
            .chain
            .dry_run(self.caller, self.contract, data, STEP_GAS_LIMIT)
            .map_err(|e| EvmError::Transaction(e.to_string()))?;
        let verdict = match run.result {
            Ok(output) => {
                let root = WasmStep::stepCall::abi_decode_returns(&output)
                    .map_err(|_| EvmError::Undecodable(hex(&output)))?;
                Verdict::Valid(root.0)
            }
            Err(ChainError::Reverted(output)) => Verdict::Rejected(
                VerifierError::abi_decode(&output)
                    .map_err(|_| EvmError::Undecodable(hex(&output)))?,
            ),
            Err(ChainError::Halted(reason)) => return Err(EvmError::Halt(reason)),
            Err(e @ ChainError::Backend(_)) => return Err(EvmError::Transaction(e.to_string())),
        };
        Ok(EvmStep {
            verdict,
            gas: run.gas_used,
        })
    }
}

/// The Rust reference verifier's and the Solidity verifier's answers on one proof.
#[derive(Debug)]
pub struct Verdicts {
    /// The Rust verifier: the post-state root, or why it rejects the proof.
    pub rust: Result<[u8; 32], opml_vm::ProofError>,
    /// The Solidity verifier: its verdict and gas, or why the EVM could not finish the
    /// call (out of gas, ...), which a chain would count as a rejection.
    pub evm: Result<EvmStep, EvmError>,
}

impl Verdicts {
    /// Runs `proof` against `pre_root` through both verifiers, whatever either says.
    pub fn check(verifier: &mut EvmVerifier, pre_root: &[u8; 32], proof: &[u8]) -> Verdicts {
        Verdicts {
            rust: opml_vm::proof::verify_from(pre_root, proof),
            evm: verifier.step(pre_root, proof),
        }
    }

    /// The Solidity verifier's post-root, when it accepts.
    fn evm_root(&self) -> Option<[u8; 32]> {
        match &self.evm {
            Ok(EvmStep {
                verdict: Verdict::Valid(root),
                ..
            }) => Some(*root),
            _ => None,
        }
    }

    /// `None` when both accept with the same post-root or both reject (reasons may be
    /// worded differently); otherwise how they disagree.
    pub fn disagreement(&self) -> Option<String> {
        match (&self.rust, self.evm_root()) {
            (Ok(r), Some(s)) if *r != s => Some(format!(
                "both verifiers accept, with different post-roots (Rust {}, Solidity {})",
                hex(r),
                hex(&s)
            )),
            (Ok(_), None) => {
                Some("the Rust verifier accepts the proof, the Solidity verifier does not".into())
            }
            (Err(_), Some(_)) => Some(
                "the Solidity verifier accepts a proof the Rust verifier rejects: a chain would \
                 accept an invalid step"
                    .into(),
            ),
            _ => None,
        }
    }

    /// The report: one line per verifier, then a `DISAGREEMENT: ...` line when they
    /// differ.
    pub fn report(&self) -> Vec<String> {
        let rust = match &self.rust {
            Ok(root) => format!("rust:       valid, post-root {}", hex(root)),
            Err(e) => format!("rust:       rejected: {e}"),
        };
        let evm = match &self.evm {
            Ok(EvmStep {
                verdict: Verdict::Valid(root),
                gas,
            }) => format!(
                "evm:        valid, post-root {}, {gas} gas (calldata and intrinsic included)",
                hex(root)
            ),
            Ok(EvmStep {
                verdict: Verdict::Rejected(e),
                gas,
            }) => format!("evm:        rejected: {}, {gas} gas", describe(e)),
            Err(e) => format!("evm:        no verdict: {e}"),
        };
        let mut lines = vec![rust, evm];
        lines.extend(self.disagreement().map(|d| format!("DISAGREEMENT: {d}")));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opml_vm::ProofError;

    const ROOT: [u8; 32] = [0xaa; 32];
    const OTHER: [u8; 32] = [0xbb; 32];

    fn evm(verdict: Verdict) -> Result<EvmStep, EvmError> {
        Ok(EvmStep {
            verdict,
            gas: 50_000,
        })
    }

    fn rejected() -> Verdict {
        Verdict::Rejected(VerifierError::Mismatch(WasmStep::Mismatch {
            item: "operands".into(),
        }))
    }

    fn report(rust: Result<[u8; 32], ProofError>, evm: Result<EvmStep, EvmError>) -> Vec<String> {
        Verdicts { rust, evm }.report()
    }

    #[test]
    fn agreeing_verdicts_are_both_reported_without_disagreement() {
        let both_valid = report(Ok(ROOT), evm(Verdict::Valid(ROOT)));
        assert_eq!(
            both_valid,
            [
                format!("rust:       valid, post-root 0x{}", "aa".repeat(32)),
                format!(
                    "evm:        valid, post-root 0x{}, 50000 gas (calldata and intrinsic \
                     included)",
                    "aa".repeat(32)
                ),
            ]
        );
        let both_reject = report(Err(ProofError::Mismatch("operands")), evm(rejected()));
        assert_eq!(
            both_reject,
            [
                "rust:       rejected: operands does not match its commitment",
                "evm:        rejected: Mismatch(operands), 50000 gas",
            ]
        );
    }

    #[test]
    fn a_disagreement_in_either_direction_is_reported_after_both_verdicts() {
        let cases = [
            (
                report(Err(ProofError::PreRootMismatch), evm(Verdict::Valid(ROOT))),
                "the Solidity verifier accepts a proof the Rust verifier rejects",
            ),
            (
                report(Ok(ROOT), evm(rejected())),
                "the Rust verifier accepts the proof, the Solidity verifier does not",
            ),
            (
                report(Ok(ROOT), Err(EvmError::Halt("OutOfGas".into()))),
                "the Rust verifier accepts the proof, the Solidity verifier does not",
            ),
            (
                report(Ok(ROOT), evm(Verdict::Valid(OTHER))),
                "both verifiers accept, with different post-roots",
            ),
        ];
        for (lines, why) in cases {
            assert_eq!(lines.len(), 3, "{lines:?}");
            assert!(lines[0].starts_with("rust:       "), "{lines:?}");
            assert!(lines[1].starts_with("evm:        "), "{lines:?}");
            assert!(
                lines[2].starts_with(&format!("DISAGREEMENT: {why}")),
                "{lines:?}"
            );
        }
    }
}
