//! The chain the agents talk to: one trait, two backends (the embedded revm in
//! [`super::embedded`], JSON-RPC in [`super::rpc`]).

use alloy_primitives::{Address, Log, B256, U256};

/// Why a chain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The transaction or call reverted with this data.
    #[error("reverted: {}", describe_revert(.0))]
    Reverted(Vec<u8>),
    /// The transaction halted (out of gas, invalid opcode, ...).
    #[error("halted: {0}")]
    Halted(String),
    /// The backend failed (node unreachable, EVM error, bad answer).
    #[error("chain backend: {0}")]
    Backend(String),
}

fn describe_revert(data: &[u8]) -> String {
    super::contracts::describe_revert(data)
}

/// A mined transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Gas used by the transaction.
    pub gas_used: u64,
    /// Address of the created contract, for a deployment.
    pub created: Option<Address>,
}

/// An EVM chain with funded accounts whose clock a test or the demo can move.
pub trait Chain {
    /// Funded accounts the caller may send from.
    fn accounts(&self) -> Vec<Address>;
    /// Deploys `code` (creation bytecode and constructor arguments) from `from`.
    fn deploy(&mut self, from: Address, code: Vec<u8>) -> Result<Address, ChainError>;
    /// Sends a transaction and waits for it to be mined; a revert is an error.
    fn send(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<Receipt, ChainError>;
    /// Runs a read-only call against the latest state.
    fn call(&mut self, to: Address, data: Vec<u8>) -> Result<Vec<u8>, ChainError>;
    /// Timestamp the next transaction will see at the earliest.
    fn now(&mut self) -> Result<u64, ChainError>;
    /// Moves the chain's clock forward by `seconds`.
    fn advance(&mut self, seconds: u64) -> Result<(), ChainError>;
    /// Balance of `who` in wei.
    fn balance(&mut self, who: Address) -> Result<U256, ChainError>;
    /// The logs emitted by `address` whose first topics are `topics`, oldest first.
    fn logs(&mut self, address: Address, topics: &[B256]) -> Result<Vec<Log>, ChainError>;
}
