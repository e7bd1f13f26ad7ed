//! The dispute protocol off chain: the start/final root scheme shared with the
//! contracts, the chain backends, the agents and the whole-story driver
//! (docs/dispute-protocol.md).

pub mod agent;
pub mod chain;
pub mod claims;
pub mod consumer;
pub mod contracts;
pub mod devnode;
pub mod embedded;
pub mod job;
pub mod layout;
pub mod onchain;
pub mod report;
pub mod rpc;
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
