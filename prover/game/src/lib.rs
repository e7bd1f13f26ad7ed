//! opml-game: the dispute protocol off chain (docs/dispute-protocol.md). What a game
//! bisects (`trace`, the honest `job` execution and the lying `claims` around it), the
//! start/final root scheme shared with the contracts (`layout`), the contract bindings
//! (`contracts`, `onchain`), the `Chain` trait with its backends (revm in process behind
//! the `embedded` feature, a node over JSON-RPC behind `rpc`), the submitter and
//! challenger agents, and the whole-story driver.

pub mod agent;
pub mod chain;
pub mod claims;
pub mod consumer;
pub mod contracts;
#[cfg(feature = "rpc")]
pub mod devnode;
pub mod dissection;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "embedded")]
pub mod evm;
pub mod hex;
pub mod job;
pub mod layout;
pub mod onchain;
pub mod phases;
pub mod question_box;
pub mod report;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod seat;
pub mod store;
pub mod story;
pub mod toy;
pub mod trace;

/// Why a protocol step failed.
#[derive(Debug, thiserror::Error)]
pub enum GameError {
    /// The job's program did not load.
    #[error("loading the program: {0}")]
    Load(String),
    /// The layout of a state could not be taken.
    #[error(transparent)]
    Layout(#[from] layout::LayoutError),
    /// The execution could not be recorded.
    #[error(transparent)]
    Trace(#[from] opml_vm::TraceError),
    /// A step could not be proved.
    #[error("proving a step: {0}")]
    Proof(#[from] opml_vm::ProofError),
    /// The chain failed or reverted.
    #[error(transparent)]
    Chain(chain::ChainError),
    /// The agent state could not be saved or loaded.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Ctrl-C was pressed.
    #[error("interrupted")]
    Interrupted,
    /// The story did not end within its move budget.
    #[error("the dispute did not end after {0} moves")]
    Stuck(usize),
}
