//! The example dApp `FashionGate` (arbiter-sol/contracts/examples/) end to end, on the
//! embedded chain and on a Hardhat node: a user asks the gate about an image with a
//! fee; a lying submitter, an honest submitter and a challenger play; the lie is
//! rejected before the callback fires; the gate is called back once, with the honest
//! class, and admits the user; the honest submitter earns the fee.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolConstructor, SolEvent};
use opml_prover::game::chain::Chain;
use opml_prover::game::claims::Behavior;
use opml_prover::game::contracts::{self, Params, Registry};
use opml_prover::game::devnode::HardhatNode;
use opml_prover::game::embedded::EmbeddedChain;
use opml_prover::game::job::{Execution, Job};
use opml_prover::game::rpc::RpcChain;
use opml_prover::game::{onchain, story};
use opml_prover::guest::{self, GUEST_WASM};
use opml_tests::{duel, repo_root};

sol!(
    #[sol(all_derives)]
    FashionGate,
    "../arbiter-sol/artifacts/FashionGate.json"
);

const FEE: u128 = 10u128.pow(17);

fn job() -> Job {
    let image = std::fs::read(repo_root().join("guest-ml/models/fmnist-mlp.opml"))
        .expect("the committed model image");
    guest::dispute_job("fmnist-mlp".into(), GUEST_WASM.to_vec(), image)
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
    let mut code = FashionGate::BYTECODE.to_vec();
    code.extend(
        FashionGate::constructorCall {
            registry_: d.registry,
            model_: U256::from(model),
            admitted_: class,
        }
        .abi_encode(),
    );
    let gate = chain.deploy(user, code).expect("deploy the gate");
    let p = Params::default();
    let deadline = chain.now().expect("now") + p.window + 2 * p.clock + 3_600;
    let ask = FashionGate::askCall {
        image: Bytes::copy_from_slice(&input),
        deadline,
    };
    let request = onchain::view(chain, d.registry, Registry::requestCountCall {})
        .expect("count")
        .saturating_to();
    onchain::send(chain, user, gate, ask, U256::from(FEE)).expect("ask");
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
    let told = chain
        .logs(gate, &[FashionGate::Classified::SIGNATURE_HASH])
        .expect("logs");
    assert_eq!(told.len(), 1, "called back once");
    let e = FashionGate::Classified::decode_log_data(&told[0].data).expect("event");
    assert_eq!((e.asker, e.class, e.admitted), (user, class, true));
    let plus_one = onchain::view(
        chain,
        gate,
        FashionGate::classPlusOneCall(U256::from(request)),
    )
    .expect("view");
    assert_eq!(plus_one, class + 1);
    let admitted = onchain::view(chain, gate, FashionGate::isAdmittedCall(user)).expect("view");
    assert!(admitted);
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
