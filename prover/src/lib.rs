//! opml-prover: the library behind the `opml` command: loading targets, the wasmi
//! oracle, benchmarks, the dispute game (agents and chain backends).

pub mod args;
pub mod bench;
pub mod compile;
pub mod evm;
pub mod game;
pub mod guest;
pub mod hex;
pub mod idx;
pub mod image;
pub mod interrupt;
pub mod oracle;
pub mod target;
