//! The dispute protocol with the real ML guest and each committed Fashion-MNIST model on
//! the embedded chain: the registry derives the guest's start root from the input bytes,
//! the honest output is bound to the final root, and a submitter lying from the middle of
//! the inference loses its bond to the challenger through a one-step proof.

use alloy_primitives::U256;
use opml_game::agent::Action;
use opml_game::chain::Chain;
use opml_game::claims::Behavior;
use opml_game::contracts::Params;
use opml_game::embedded::EmbeddedChain;
use opml_game::job::{Execution, Job};
use opml_game::story;
use opml_host::guest::{self, GUEST_WASM};
use opml_tests::duel;
use opml_tests::repo_root;

fn job(name: &str) -> Job {
    let image = std::fs::read(repo_root().join(format!("guest-ml/models/{name}.opml")))
        .expect("the committed model image");
    Job::guest(name.into(), GUEST_WASM.to_vec(), image)
}

fn input() -> Vec<u8> {
    (0..784u32).map(|i| ((i * 7) % 128) as u8).collect()
}

#[test]
fn cheating_submitter_loses_on_the_fashion_mnist_mlp() {
    cheating_submitter_loses_on("fmnist-mlp");
}

#[test]
fn cheating_submitter_loses_on_the_fashion_mnist_cnn() {
    cheating_submitter_loses_on("fmnist-cnn");
}

fn cheating_submitter_loses_on(name: &str) {
    let job = job(name);
    let input = input();
    let exec = Execution::run(&job, &input, 1 << 14, |_| true).expect("inference runs");
    let output = guest::Output::decode(&exec.final_state.output).expect("a model output");
    assert_eq!(output.logits.len(), 10);
    let mut chain = EmbeddedChain::new(4);
    let accounts = chain.accounts();
    let s = story::setup(
        &mut chain,
        accounts[0],
        Params::default(),
        &exec.layout,
        &input,
    )
    .expect("setup");
    assert_eq!(
        s.start_root, exec.start_root,
        "registry derives the guest's start root"
    );
    let steps = exec.steps;
    let mut agents = duel::parties(
        &chain,
        &s,
        &job,
        &input,
        1 << 14,
        Behavior::LieFrom(steps / 2),
    );
    let mut refs: Vec<_> = agents.iter_mut().collect();
    let actions = duel::moves(&mut chain, &mut refs, 1_800, 500);
    assert!(
        actions.contains(&(1, Action::Done { won: true })),
        "{actions:?}"
    );
    let proved = actions.iter().find_map(|(_, a)| match a {
        Action::Proved { step, gas, .. } => Some((*step, *gas)),
        _ => None,
    });
    let (step, gas) = proved.expect("decided by a one-step proof");
    assert_eq!(step + 1, steps / 2, "the first lying step is found");
    assert!(gas < 300_000, "one-step gas {gas}");
    let paid = story::settle(&mut chain, s.deployment.registry, &accounts[1..]).expect("settle");
    let bond = Params::default().bond;
    assert_eq!(
        paid,
        vec![U256::ZERO, U256::from(2 * bond), U256::from(bond)]
    );
}
