//! The `opml` subcommands, one module per group; shared output helpers here.

pub mod agent;
pub mod demo;
pub mod demo_consumer;
pub mod demo_phases;
pub mod llm;
pub mod llm_guest;
pub mod model;
pub mod module;
pub mod narrate;
pub mod operate;
pub mod proof;
pub mod status;
pub mod synth;

use anyhow::{Context, Result};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use indicatif::{ProgressBar, ProgressStyle};
use opml_game::claims::Cheat;
use opml_host::guest::Engine;
use opml_vm::Machine;
use serde_json::json;

pub use opml_game::hex::hex;

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

/// Parses one of a library's named choices (`(value, name, help)`, e.g. `Cheat::ALL`,
/// `Engine::ALL`), listing the names and their help in `--help`.
fn choice<T: Copy + Send + Sync + 'static, const N: usize>(
    all: [(T, &'static str, &'static str); N],
) -> impl TypedValueParser<Value = T> {
    let values = all.map(|(_, name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(values).try_map(move |s| {
        all.iter()
            .find(|(_, name, _)| *name == s)
            .map(|(value, _, _)| *value)
            .ok_or_else(|| format!("unknown value {s:?}"))
    })
}

/// `--cheat NAME`.
pub fn cheat_parser() -> impl TypedValueParser<Value = Cheat> {
    choice(Cheat::ALL)
}

/// How `opml demo` cheats: a single-level cheat, or a two-phase scenario (`--phases 2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoCheat {
    /// A lie in the single-level game.
    Single(Cheat),
    /// A scenario of the two-phase game.
    Phases(opml_game::phases::story::Scenario),
}

/// `opml demo --cheat NAME`: the single-level cheats and the two-phase scenarios.
pub fn demo_cheat_parser() -> impl TypedValueParser<Value = DemoCheat> {
    let single = Cheat::ALL.map(|(c, n, h)| (DemoCheat::Single(c), n, h));
    let phases =
        opml_game::phases::story::Scenario::ALL.map(|(s, n, h)| (DemoCheat::Phases(s), n, h));
    let mut all = [(DemoCheat::Single(Cheat::None), "", ""); 11];
    all[..single.len()].copy_from_slice(&single);
    all[single.len()..].copy_from_slice(&phases);
    choice(all)
}

/// `--engine NAME`.
pub fn engine_parser() -> impl TypedValueParser<Value = Engine> {
    choice(Engine::ALL)
}

/// Writes `bytes` to `path` through a temporary file, so a failure never leaves a
/// half-written output (proof, model image, deployment file).
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
