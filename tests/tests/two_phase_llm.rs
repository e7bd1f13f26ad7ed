//! An LLM request as one generation graph in the two-phase game: a tiny random LLaMA
//! (opml-gguf's synth, compiled to an LLM image), every position's nodes in order.
//! Phase 1 computed natively with the guest's own node kernels is bit-identical to the
//! step machine at every node, the graph's output is the generation the guest's `run`
//! gives, and a lie at a node of a later token is caught at that node and defeated in
//! its Wasm run.

#[path = "support/two_phase.rs"]
#[allow(dead_code)]
mod support;

use opml_game::phases::llm::{generation_graph, native_node};
use opml_game::phases::{GraphModel, GraphRun};
use opml_gguf::{GgufFile, SynthLlama};
use opml_llm::compile::{compile, synth_model};
use opml_llm::guest::{encode_request, run_native};
use opml_llm::CompileOptions;
use opml_vm::commit::region::bytes_root;
use support::{defeat_lie_at, Arena};

/// The committed canonical guest (`tests/tests/guest.rs` checks it is the fresh build).
const GUEST: &[u8] = include_bytes!("../../guest-ml/guest.wasm");

fn tiny() -> (Vec<u8>, Vec<u8>) {
    let (_, image) = synth_model(&SynthLlama::default(), 8).expect("tiny model");
    let request = encode_request(&[3, 1, 4], 3).expect("request");
    (image, request)
}

fn native_run(model: &GraphModel, request: &[u8]) -> GraphRun {
    model
        .run_with(&[request.to_vec()], &|k, t| native_node(model, k, t))
        .expect("phase 1 natively")
}

fn ids(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn the_generation_graph_gives_the_guests_ids_and_every_node_is_bit_exact_in_the_step_machine() {
    let (image, request) = tiny();
    let model =
        generation_graph(GUEST, &std::sync::Arc::new(image.clone()), &request).expect("graph");
    let run = native_run(&model, &request);
    let expected = run_native(&image, &request, |_, _| {})
        .expect("guest run")
        .ids;
    let out = run.tensors.last().expect("a last node");
    assert_eq!(
        ids(out),
        expected,
        "the graph's output is the request's generation"
    );
    let first = model.first_node_slot() as usize;
    for k in 0..model.nodes.len() {
        let stepped = model
            .step_node(k, &run.tensors)
            .expect("node in the step machine");
        let root = bytes_root(&stepped, model.nodes[k].out_height).expect("fits");
        assert_eq!(
            root,
            run.roots[first + k],
            "node {k} (op {})",
            model.nodes[k].op
        );
    }
    eprintln!(
        "{} nodes for 5 positions, {} weights, node memory {} pages",
        model.nodes.len(),
        model.weights.len(),
        model.program.pages
    );
}

#[test]
fn a_lie_in_a_later_token_is_caught_at_its_node_and_loses_in_its_wasm_run() {
    let (image, request) = tiny();
    let model =
        generation_graph(GUEST, &std::sync::Arc::new(image.clone()), &request).expect("graph");
    let run = native_run(&model, &request);
    let nodes = model.nodes.len();
    // A node of the last position (a later token), not its final collect.
    let k = nodes - 7;
    let mut arena = Arena::new(model, run);
    let lost = defeat_lie_at(&mut arena, k);
    eprintln!(
        "node {k} of {nodes} (op {}): {} Wasm steps",
        arena.model.nodes[k].op, lost.steps
    );
}

/// Peak resident memory of this process so far, in MB (Linux), for the measurement.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// The SmolLM2 measurement of docs/performance.md (heavy: run it in release with
/// `cargo test --release -p opml-tests --test two_phase_llm -- --ignored --nocapture`):
/// a 16-token generation as one graph, phase 1 natively, a lie at a pseudo-random node,
/// the whole two-phase dispute on the embedded chain.
#[test]
#[ignore = "heavy: SmolLM2, 16 tokens; a benchmark, run in release"]
fn smollm2_sixteen_tokens_two_phase_dispute() {
    use std::time::Instant;
    let t0 = Instant::now();
    let path = opml_gguf::smollm2_path().unwrap_or_else(|e| panic!("{e}"));
    let file = GgufFile::open(&path).expect("gguf");
    let tokenizer = opml_gguf::Tokenizer::from_gguf(&file).expect("tokenizer");
    let image = compile(&file, CompileOptions { max_ctx: Some(64) }).expect("compile");
    let prompt = tokenizer.encode("The capital of France is");
    let request = encode_request(&prompt, 16).expect("request");
    let model =
        generation_graph(GUEST, &std::sync::Arc::new(image.clone()), &request).expect("graph");
    let t_graph = t0.elapsed().as_secs_f64();
    let t = Instant::now();
    let run = native_run(&model, &request);
    let t_phase1 = t.elapsed().as_secs_f64();
    let text = tokenizer
        .decode(&ids(run.tensors.last().expect("output")))
        .expect("detokenize");
    let nodes = model.nodes.len();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as usize);
    // A pseudo-random node, and the costliest one to run in Wasm: the last LM head.
    let head = (0..nodes)
        .rev()
        .find(|&k| model.nodes[k].op == 4 && model.nodes[k].params[6] == 49_152)
        .expect("an LM head node");
    eprintln!("generated: {text:?}");
    eprintln!(
        "{nodes} nodes, {} weights; graph {t_graph:.1} s, phase 1 natively {t_phase1:.1} s",
        model.weights.len()
    );
    for k in [seed % (nodes - 1), head] {
        let t = Instant::now();
        let mut arena = Arena::new(model.clone(), run.clone());
        let t_commit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let lost = defeat_lie_at(&mut arena, k);
        let t_dispute = t.elapsed().as_secs_f64();
        eprintln!(
            "lie at node {k} (op {}): model trees {t_commit:.1} s; {} Wasm steps; \
             dispute (both phases, with the node's run) {t_dispute:.1} s; openNode {} \
             gas, closeNode {} gas; since start {:.1} s, peak RSS {} MB",
            arena.model.nodes[k].op,
            lost.steps,
            lost.open_gas,
            lost.close_gas,
            t0.elapsed().as_secs_f64(),
            peak_rss_mb()
        );
    }
}

#[test]
fn every_demo_scenario_ends_with_the_honest_answer_and_bonds_where_they_belong() {
    use opml_game::embedded::EmbeddedChain;
    use opml_game::phases::story::{play, Scenario};
    let (image, request) = tiny();
    let model =
        generation_graph(GUEST, &std::sync::Arc::new(image.clone()), &request).expect("graph");
    let run = native_run(&model, &request);
    let out = run.tensors.last().expect("output").clone();
    let bond = alloy_primitives::U256::from(opml_game::contracts::Params::default().bond);
    let zero = alloy_primitives::U256::ZERO;
    for (scenario, name, _) in Scenario::ALL {
        let mut chain = EmbeddedChain::new(4);
        let told = play(&mut chain, &model, &run, &request, scenario, 1234)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(told.answer, out, "{name}: the answer is the honest output");
        let (won, credits) = match scenario {
            Scenario::WrongNode | Scenario::WrongRun | Scenario::SilentDefender => (
                Some(true),
                [zero, bond * alloy_primitives::U256::from(2), bond],
            ),
            Scenario::FalseChallenger => (
                Some(false),
                [bond * alloy_primitives::U256::from(2), zero, zero],
            ),
            Scenario::WrongText => (None, [zero, zero, bond]),
        };
        assert_eq!(
            told.challenger_won,
            won,
            "{name}: who won\n{}",
            told.lines.join("\n")
        );
        assert_eq!(
            told.credits, credits,
            "{name}: liar/submitter, challenger, honest submitter"
        );
        if scenario == Scenario::WrongNode {
            assert_eq!(
                told.node.map(|n| n.0),
                Some(1234 % model.nodes.len()),
                "the node of the lie"
            );
        }
    }
}

#[test]
fn a_lie_at_a_node_is_defeated_in_two_phases_on_hardhat() {
    use opml_game::devnode::HardhatNode;
    use opml_game::phases::story::{play, Scenario};
    use opml_game::rpc::RpcChain;
    let (image, request) = tiny();
    let model =
        generation_graph(GUEST, &std::sync::Arc::new(image.clone()), &request).expect("graph");
    let run = native_run(&model, &request);
    let arbiter = opml_tests::repo_root().join("arbiter-sol");
    let node = HardhatNode::start(&arbiter, None).expect("hardhat node");
    let mut chain = RpcChain::connect(node.url()).expect("connects");
    let told = play(&mut chain, &model, &run, &request, Scenario::WrongNode, 99)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(told.challenger_won, Some(true), "{}", told.lines.join("\n"));
    assert_eq!(&told.answer, run.tensors.last().expect("output"));
    assert_eq!(told.node.map(|n| n.0), Some(99 % model.nodes.len()));
    let bond = alloy_primitives::U256::from(opml_game::contracts::Params::default().bond);
    assert_eq!(
        told.credits[1],
        bond * alloy_primitives::U256::from(2),
        "the challenger's credit"
    );
}
