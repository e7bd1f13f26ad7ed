//! opml-host: running Wasm on the host. A module and an export with typed arguments
//! (`target`, `args`) in the step machine and in wasmi (`oracle`, the differential
//! oracle and fast engine); the ML guest on a model image in either engine or natively
//! (`guest`); benchmarks of the engines side by side (`bench`); Ctrl-C (`interrupt`).
//! Nothing here knows about chains or disputes.

pub mod args;
pub mod bench;
pub mod guest;
pub mod interrupt;
pub mod oracle;
pub mod target;
