//! The opML step machine: a WebAssembly interpreter in which one step is one Wasm
//! instruction and whose whole state can be committed to a Keccak-256 Merkle root.
//!
//! - [`module`] decodes and validates a module and `lower`s each body to [`ops::Op`]s;
//! - [`machine`] holds the store and registers, `exec` steps it ([`Machine::run`]);
//! - [`host`] provides the `spectest` host module of the spec test suite;
//! - [`memory`] and [`merkle`] give the Merkleized linear memory;
//! - [`commit`] defines the state root; [`checkpoint`] seeks to any step;
//! - [`proof`] proves one step and verifies such a proof statelessly.

pub mod checkpoint;
pub mod commit;
pub mod error;
mod exec;
mod fuse;
pub mod host;
mod keccak4;
mod lower;
pub mod machine;
pub mod memory;
pub mod merkle;
pub mod module;
pub mod numeric;
pub mod ops;
pub mod proof;
pub mod trap;

pub use checkpoint::{Checkpoints, Trace, TraceError};
pub use error::{LinkError, LoadError, Location};
pub use machine::{Config, Extern, InstanceId, InvokeError, Machine, Status};
pub use module::{FuncType, LoadOptions, Module, ValType};
pub use ops::Op;
pub use proof::{verify, Proof, ProofError, StepOutcome};
pub use trap::Trap;
