//! The `opml` subcommands, one module per group; shared output helpers here.

pub mod agent;
pub mod demo;
pub mod llm;
pub mod llm_guest;
pub mod model;
pub mod module;
pub mod narrate;
pub mod operate;
pub mod proof;
pub mod status;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use opml_vm::Machine;
use serde_json::json;

pub use opml_prover::hex::hex;

/// A step-count spinner, hidden when `enabled` is false (JSON output).
pub fn spinner(enabled: bool, what: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} steps ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar
}

/// Describes the op at the machine's pc: name and Wasm byte offset.
pub fn describe_pc(m: &Machine) -> serde_json::Value {
    json!({
        "pc": m.pc(),
        "op": m.op_at(m.pc()).map(|op| op.name()),
        "wasm_offset": m.wasm_offset(m.pc()),
    })
}

/// Writes `bytes` to `path` through a temporary file, so a failure never leaves a
/// half-written output (proof, model image, deployment file).
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
