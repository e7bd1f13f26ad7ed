//! The two-phase game's off-chain side (docs/dispute-protocol.md, "Two phases"): a
//! graph model as the contract `TwoPhaseGame` commits to it — a node program, the node
//! descriptors, the weight tensors — each node's Wasm run with its memory composed from
//! tensor regions, and the phase-1 states (a tree of the roots of every tensor computed
//! so far).

pub mod deploy;
pub mod descriptor;
pub mod duel;
pub mod graph;
pub mod llm;
pub mod moves;
pub mod program;
pub mod story;

pub use descriptor::{Descriptor, TensorAt};
pub use graph::{Commitment, GraphModel, GraphRun, Weight};
pub use program::NodeProgram;

use opml_vm::commit::region::RegionError;

/// Why a graph model or one of its node runs is not valid.
#[derive(Debug, thiserror::Error)]
pub enum PhaseError {
    /// A region of the layout is not valid.
    #[error("node {node}: {source}")]
    Region {
        /// The node.
        node: u32,
        /// What was wrong.
        source: RegionError,
    },
    /// The node program did not load or run.
    #[error("node program: {0}")]
    Program(String),
    /// The program's initial memory has bytes outside its base region, which the
    /// contract's composed start state would not have.
    #[error("the node program's initial memory has non-zero bytes at page {page}, outside its base region")]
    OutsideBase {
        /// The page.
        page: u32,
    },
    /// A node's tensors do not match its descriptor.
    #[error("node {node}: {what}")]
    Node {
        /// The node.
        node: u32,
        /// What does not match.
        what: String,
    },
    /// The chain failed or reverted.
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
    /// A node's run did not halt.
    #[error("node {node}: the Wasm run ended {status} after {steps} steps")]
    NotHalted {
        /// The node.
        node: u32,
        /// How it ended.
        status: String,
        /// Steps run.
        steps: u64,
    },
}
