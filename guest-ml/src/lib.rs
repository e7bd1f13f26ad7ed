//! Integer-only ML kernels for the opML guest. `no_std`: the same code runs natively
//! and compiled to `wasm32v1-none`.
#![no_std]
