//! The opML step machine: a WebAssembly interpreter in which one step is one Wasm
//! instruction and whose whole state can be committed to a Keccak-256 Merkle root.
