//! The example dApps (arbiter-sol/contracts/examples/) end to end, on the embedded
//! chain and on a Hardhat node. `FashionGate`: a user asks the gate about an image with
//! a fee; a lying submitter, an honest submitter and a challenger play; the lie is
//! rejected before the callback fires; the gate is called back once, with the honest
//! class, and admits the user; the honest submitter earns the fee. `QuestionBox`: the
//! same story with a tiny random LLaMA, a question tokenized with its tokenizer, and
//! the box called back once with the honest generated ids, never the lie's; bonds and
//! fees conserved.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use opml_game::chain::Chain;
use opml_game::claims::Behavior;
use opml_game::consumer::{self, Classified};
use opml_game::contracts::{self, Params, Registry};
use opml_game::devnode::HardhatNode;
use opml_game::embedded::EmbeddedChain;
use opml_game::job::{Execution, Job};
use opml_game::question_box::{self, Answered, Status};
use opml_game::rpc::RpcChain;
use opml_game::{onchain, story};
use opml_gguf::{SynthLlama, Tokenizer};
use opml_host::guest::{self, GUEST_WASM};
use opml_llm::compile::synth_model;
use opml_llm::guest::encode_request;
use opml_tests::{duel, repo_root};
use std::time::Instant;

const FEE: u128 = 10u128.pow(17);

fn job() -> Job {
    let image = std::fs::read(repo_root().join("guest-ml/models/fmnist-mlp.opml"))
        .expect("the committed model image");
    Job::guest("fmnist-mlp".into(), GUEST_WASM.to_vec(), image)
}

fn image() -> Vec<u8> {
    (0..784u32).map(|i| ((i * 7) % 128) as u8).collect()
}

/// The whole story on `chain` (accounts: 0 deploys and asks, 1 lies, 2 challenges,
/// 3 answers honestly).
fn gate_story(chain: &mut dyn Chain, idle: u64) {
    let job = job();
    let input = image();
    let exec = Execution::run(&job, &input, 1 << 14, |_| true).expect("inference runs");
    let class = guest::Output::decode(&exec.final_state.output)
        .expect("classifier output")
        .class;
    let accounts = chain.accounts();
    let user = accounts[0];
    let d = contracts::deploy(chain, user, Params::default()).expect("deploy");
    let model = story::register(chain, user, d.registry, &exec.layout).expect("register");
    let gate = consumer::deploy_gate(chain, user, d.registry, model, class).expect("gate");
    let fee = U256::from(FEE);
    let request = consumer::ask(chain, user, gate, d.registry, &input, fee).expect("ask");
    let p = Params::default();
    let setup = story::Setup {
        deployment: d,
        model,
        request,
        start_root: exec.start_root,
    };
    let steps = exec.steps;
    let mut agents = duel::parties(
        chain,
        &setup,
        &job,
        &input,
        1 << 14,
        Behavior::LieFrom(steps / 2),
    );
    let mut refs: Vec<_> = agents.iter_mut().collect();
    duel::moves(chain, &mut refs, idle, 500);

    // The lie was rejected before the gate heard anything, and it heard once.
    let all = chain.logs(d.registry, &[]).expect("logs");
    let position = |sig| all.iter().position(|l| l.topics().first() == Some(&sig));
    let rejected = position(Registry::Rejected::SIGNATURE_HASH).expect("a rejection");
    let called = position(Registry::CalledBack::SIGNATURE_HASH).expect("a callback");
    assert!(rejected < called, "callback before the lie was rejected");
    let told = consumer::classified(chain, gate).expect("events");
    let expected = Classified {
        request,
        asker: user,
        class,
        admitted: true,
    };
    assert_eq!(
        told,
        vec![expected],
        "called back once, with the honest class"
    );
    let honest: Address = accounts[3];
    let credit = onchain::view(chain, d.registry, Registry::creditCall(honest)).expect("credit");
    assert_eq!(credit, U256::from(p.bond + FEE), "bond back and the fee");
}

#[test]
fn fashion_gate_on_the_embedded_chain() {
    let mut chain = EmbeddedChain::new(4);
    gate_story(&mut chain, 1_800);
}

#[test]
fn fashion_gate_on_hardhat() {
    let node = HardhatNode::start(&repo_root().join("arbiter-sol"), None).expect("hardhat node");
    let mut chain = RpcChain::connect(node.url()).expect("connects");
    gate_story(&mut chain, 1_800);
}

/// Positions the tiny model's image holds.
const CTX: u32 = 16;
/// Ids the question asks for.
const NEW_TOKENS: u32 = 3;
const QUESTION: &str = "Where is the hen?";

/// A tiny random LLaMA (2 layers, width 64, a 267-token vocabulary) as a dispute job,
/// and its tokenizer.
fn llm_job() -> (Job, Tokenizer) {
    let (file, image) = synth_model(&SynthLlama::default(), CTX).expect("tiny model");
    let tokenizer = Tokenizer::from_gguf(&file).expect("its tokenizer");
    (
        Job::llm("tiny LLaMA".into(), GUEST_WASM.to_vec(), image),
        tokenizer,
    )
}

/// The whole question-box story on `chain` (accounts as in `gate_story`).
fn question_story(chain: &mut dyn Chain, idle: u64) {
    let started = Instant::now();
    let (job, tokenizer) = llm_job();
    let prompt = tokenizer.encode_prompt(QUESTION);
    let input = encode_request(&prompt, NEW_TOKENS).expect("request bytes");
    let exec = Execution::run(&job, &input, 1 << 16, |_| true).expect("the request runs");
    let honest = question_box::ids_of(&exec.final_state.output);
    assert_eq!(honest.len(), NEW_TOKENS as usize);
    eprintln!("the request runs {} steps", exec.steps);
    let accounts = chain.accounts();
    let user = accounts[0];
    let p = Params::default();
    let d = contracts::deploy(chain, user, p).expect("deploy");
    let model = story::register(chain, user, d.registry, &exec.layout).expect("register");
    let qbox = question_box::deploy(chain, user, d.registry, model).expect("box");
    let fee = U256::from(FEE);
    let (request, asked) =
        question_box::ask(chain, user, qbox, d.registry, QUESTION, &input, fee).expect("ask");
    eprintln!(
        "ask ({} prompt ids, {NEW_TOKENS} new): {} gas",
        prompt.len(),
        asked.gas_used
    );
    let setup = story::Setup {
        deployment: d,
        model,
        request,
        start_root: exec.start_root,
    };
    assert_eq!(
        onchain::request(chain, d.registry, request)
            .expect("request")
            .start_root,
        exec.start_root,
        "the registry derives the guest's start root from the request bytes"
    );
    let mut agents = duel::parties(
        chain,
        &setup,
        &job,
        &input,
        1 << 16,
        Behavior::LieFrom(exec.steps / 2),
    );
    let mut refs: Vec<_> = agents.iter_mut().collect();
    let moves = duel::moves(chain, &mut refs, idle, 500);
    for (i, m) in &moves {
        if let opml_game::agent::Action::Finalized { gas } = m {
            eprintln!("party {i} finalizes, the box called back: {gas} gas");
        }
    }

    // The lie (result 0, another output) was rejected before the box heard anything,
    // and the box heard once, with the honest ids.
    let lie = onchain::view(
        chain,
        d.registry,
        Registry::resultOutputCall {
            resultId: U256::ZERO,
        },
    )
    .expect("the lie's output");
    assert_ne!(
        question_box::ids_of(&lie),
        honest,
        "the liar posted other ids"
    );
    let all = chain.logs(d.registry, &[]).expect("logs");
    let position = |sig| all.iter().position(|l| l.topics().first() == Some(&sig));
    let rejected = position(Registry::Rejected::SIGNATURE_HASH).expect("a rejection");
    let called = position(Registry::CalledBack::SIGNATURE_HASH).expect("a callback");
    assert!(rejected < called, "callback before the lie was rejected");
    let callbacks = chain
        .logs(d.registry, &[Registry::CalledBack::SIGNATURE_HASH])
        .expect("logs");
    assert_eq!(callbacks.len(), 1, "one callback");
    let e = Registry::CalledBack::decode_log_data(&callbacks[0].data).expect("event");
    assert_eq!((e.consumer, e.ok), (qbox, true));
    let told = question_box::answered(chain, qbox).expect("events");
    let expected = Answered {
        request,
        asker: user,
        ids: honest.clone(),
    };
    assert_eq!(
        told,
        vec![expected],
        "called back once, with the honest ids"
    );
    let q = question_box::question(chain, qbox, request).expect("question");
    assert_eq!(
        (q.status, q.text.as_str(), &q.input, &q.answer),
        (Status::Answered, QUESTION, &input, &honest)
    );
    eprintln!(
        "answer: {:?} = {:?}",
        honest,
        tokenizer.decode(&honest).expect("decodes")
    );

    // Bonds and fees conserved: the registry holds exactly what it credits; the
    // honest submitter has its bond and the fee, the challenger both bonds.
    let credit = |chain: &mut dyn Chain, who: Address| {
        onchain::view(chain, d.registry, Registry::creditCall(who)).expect("credit")
    };
    let credits: Vec<U256> = [accounts[0], accounts[1], accounts[2], accounts[3], qbox]
        .into_iter()
        .map(|a| credit(chain, a))
        .collect();
    assert_eq!(
        credits,
        [
            U256::ZERO,
            U256::ZERO,
            U256::from(2 * p.bond),
            U256::from(p.bond + FEE),
            U256::ZERO
        ]
    );
    let held = chain.balance(d.registry).expect("balance");
    assert_eq!(
        held,
        credits.iter().copied().sum::<U256>(),
        "registry holds the credits"
    );
    eprintln!(
        "question box story: {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn question_box_on_the_embedded_chain() {
    let mut chain = EmbeddedChain::new(4);
    question_story(&mut chain, 1_800);
}

#[test]
fn question_box_on_hardhat() {
    let node = HardhatNode::start(&repo_root().join("arbiter-sol"), None).expect("hardhat node");
    let mut chain = RpcChain::connect(node.url()).expect("connects");
    question_story(&mut chain, 1_800);
}
