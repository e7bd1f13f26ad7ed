//! `opml demo --phases 2`: an LLM request disputed in two phases on the embedded chain or
//! a JSON-RPC node (docs/dispute-protocol.md, "Two phases"): the request's generation as one graph,
//! phase 1 natively, then the registry, a scenario's lie or silence, both phases played
//! and the honest answer finalized.

use super::model::ModelArgs;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use opml_game::chain::Chain;
use opml_game::phases::llm::{generation_graph, native_node};
use opml_game::phases::story::{play, Scenario};
use std::time::Instant;

/// `opml demo --phases 2` with `scenario`, on `chain`.
pub fn cmd_demo_phases(model: &ModelArgs, scenario: Scenario, chain: &mut dyn Chain) -> Result<()> {
    let t0 = Instant::now();
    let path = model
        .model
        .as_ref()
        .context("--phases 2 needs --model (an LLM image) and --prompt")?;
    let guest = model.guest_bytes()?;
    let image = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !opml_llm::guest::is_llm_image(&image) {
        bail!(
            "--phases 2 disputes an LLM request as a graph of nodes: {} is a classifier image \
             (disputed in one phase: leave out --phases)",
            path.display()
        );
    }
    let (prompt, request) = model.llm.request(&image)?;
    let graph = generation_graph(&guest, &std::sync::Arc::new(image), &request)?;
    let nodes = graph.nodes.len();
    println!(
        "request: {} prompt ids, {} to generate: a graph of {nodes} nodes ({} weight tensors) in {:.1} s",
        prompt.len(),
        model.llm.max_tokens,
        graph.weights.len(),
        t0.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let bar = ProgressBar::new(nodes as u64).with_style(
        ProgressStyle::with_template("phase 1 natively {bar:30} {pos}/{len} nodes {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let run = graph.run_with(std::slice::from_ref(&request), &|k, tensors| {
        if opml_host::interrupt::requested() {
            return Err(opml_game::phases::PhaseError::Program("interrupted".into()));
        }
        bar.inc(1);
        native_node(&graph, k, tensors)
    })?;
    bar.finish_and_clear();
    let phase1 = t.elapsed().as_secs_f64();
    println!("phase 1: every node natively in {phase1:.1} s");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    let t = Instant::now();
    let told = play(chain, &graph, &run, &request, scenario, seed)?;
    let dispute = t.elapsed().as_secs_f64();
    for line in &told.lines {
        println!("  {line}");
    }
    let ids: Vec<u32> = told
        .answer
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let text = super::llm::tokenizer_of(&model.llm.gguf()?)?.decode(&ids)?;
    println!("answer: {text:?} (ids {ids:?})");
    if let (Some(b1), Some(b2)) = (told.phase1, told.phase2) {
        let (open, close, prove) = told.handover_gas;
        println!(
            "phase 1: {} rounds, {} gas; hand-over: openNode {open}, closeNode {close} gas; phase 2: {} rounds, {} gas; one-step proof {prove} gas",
            b1.rounds, b1.gas, b2.rounds, b2.gas
        );
    }
    match told.challenger_won {
        Some(true) => println!("the challenger won: the lie is rejected"),
        Some(false) => println!("the submitter won: the false challenge lost its bond"),
        None => println!("no dispute"),
    }
    let eth = |w: alloy_primitives::U256| {
        format!("{} ETH", w.to_string().parse::<f64>().unwrap_or(0.0) / 1e18)
    };
    println!(
        "credits: submitter {}, challenger {}, honest submitter {}",
        eth(told.credits[0]),
        eth(told.credits[1]),
        eth(told.credits[2])
    );
    println!(
        "time: phase 1 {phase1:.1} s, the whole dispute {dispute:.1} s, total {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
