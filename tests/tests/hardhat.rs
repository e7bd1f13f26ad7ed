//! The dispute story over JSON-RPC against a real Hardhat 2 node, started and stopped by
//! the test (`arbiter-sol/node_modules/.bin/hardhat node`; run `scripts/setup.sh` first):
//! a cheating submitter is challenged and loses its bond while an honest submitter's
//! result answers the request; an honest result finalizes after the window and cannot
//! be finalized twice; the registry ends holding nothing.

use alloy_primitives::U256;
use opml_game::agent::Action;
use opml_game::chain::{Chain, ChainError};
use opml_game::claims::Behavior;
use opml_game::contracts::{describe_revert, Params, Registry};
use opml_game::devnode::HardhatNode;
use opml_game::job::Execution;
use opml_game::onchain::{self, RequestStatus};
use opml_game::rpc::RpcChain;
use opml_game::{story, toy};
use opml_tests::duel;
use opml_tests::repo_root;
use std::time::Instant;

const INPUT: &[u8] = b"hardhat end-to-end";

/// A story's setup, moves, final request status and payouts.
type Told = (story::Setup, Vec<(usize, Action)>, RequestStatus, Vec<U256>);

fn story(chain: &mut RpcChain, cheat: Behavior) -> Told {
    let exec = Execution::run(&toy::job(), INPUT, 64, |_| true).expect("toy runs");
    let owner = chain.accounts()[0];
    let s = story::setup(chain, owner, Params::default(), &exec.layout, INPUT).expect("setup");
    assert_eq!(
        s.start_root, exec.start_root,
        "registry derives the start root"
    );
    let mut agents = duel::parties(chain, &s, &toy::job(), INPUT, 64, cheat);
    let mut refs: Vec<_> = agents.iter_mut().collect();
    let actions = duel::moves(chain, &mut refs, 1_800, 500);
    let who = chain.accounts()[1..=agents.len()].to_vec();
    let paid = story::settle(chain, s.deployment.registry, &who).expect("settle");
    let registry_left = chain.balance(s.deployment.registry).expect("balance");
    assert_eq!(registry_left, U256::ZERO, "every bond was paid out");
    let status = onchain::request(chain, s.deployment.registry, s.request)
        .expect("request")
        .status;
    (s, actions, status, paid)
}

#[test]
fn dispute_story_on_hardhat() {
    let node = HardhatNode::start(&repo_root().join("arbiter-sol"), None).expect("hardhat node");
    let mut chain = RpcChain::connect(node.url()).expect("connects");
    let bond = U256::from(Params::default().bond);

    let t = Instant::now();
    let n = Execution::run(&toy::job(), INPUT, 64, |_| true)
        .unwrap()
        .steps;
    let (_, actions, status, paid) = story(&mut chain, Behavior::LieFrom(n / 2));
    eprintln!(
        "cheating submitter on hardhat: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert!(
        actions.contains(&(1, Action::Done { won: true })),
        "{actions:?}"
    );
    assert!(actions
        .iter()
        .any(|(_, a)| matches!(a, Action::Proved { .. })));
    assert_eq!(
        status,
        RequestStatus::Finalized,
        "the honest result answers"
    );
    assert_eq!(paid, vec![U256::ZERO, bond * U256::from(2), bond]);

    let t = Instant::now();
    let (s, actions, status, paid) = story(&mut chain, Behavior::Honest);
    eprintln!(
        "honest submitter on hardhat: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert!(
        actions.contains(&(0, Action::Done { won: true })),
        "{actions:?}"
    );
    assert_eq!(status, RequestStatus::Finalized);
    assert_eq!(paid, vec![bond, U256::ZERO]);

    // The node reports reverts as such: finalizing twice fails with the contract error.
    let answer = onchain::request(&mut chain, s.deployment.registry, s.request)
        .expect("request")
        .answer
        .expect("answered");
    let call = Registry::finalizeCall {
        resultId: U256::from(answer),
    };
    let from = chain.accounts()[1];
    match onchain::send(&mut chain, from, s.deployment.registry, call, U256::ZERO) {
        Err(ChainError::Reverted(data)) => {
            let why = describe_revert(&data);
            assert!(why.contains("WrongVerdict"), "{why}");
        }
        other => panic!("finalizing twice: {other:?}"),
    }
}
