//! `opml`: the command-line front end of opml-wasm.
fn main() {}
