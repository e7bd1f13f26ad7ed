//! The example dApp `FashionGate` (arbiter-sol/contracts/examples/) end to end, on the
//! embedded chain and on a Hardhat node: a user asks the gate about an image with a
//! fee; a lying submitter, an honest submitter and a challenger play; the lie is
//! rejected before the callback fires; the gate is called back once, with the honest
//! class, and admits the user; the honest submitter earns the fee.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use opml_game::chain::Chain;
use opml_game::claims::Behavior;
use opml_game::consumer::{self, Classified};
use opml_game::contracts::{self, Params, Registry};
use opml_game::devnode::HardhatNode;
use opml_game::embedded::EmbeddedChain;
use opml_game::job::{Execution, Job};
use opml_game::rpc::RpcChain;
use opml_game::{onchain, story};
use opml_host::guest::{self, GUEST_WASM};
use opml_tests::{duel, repo_root};

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
