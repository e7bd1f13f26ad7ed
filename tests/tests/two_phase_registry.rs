//! A graph model through the registry: registered with its `TwoPhaseGame` for one
//! request shape, requested (the start root is the phase-1 state holding the input),
//! answered by a liar and by an honest submitter, the lie challenged and defeated in a
//! two-phase dispute, the honest answer final, bonds conserved. A result whose output
//! is not the last node's output in its own final state cannot even be posted.

#[path = "support/two_phase.rs"]
#[allow(dead_code)]
mod support;

use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use opml_game::chain::{Chain, ChainError};
use opml_game::contracts::{self, Params, Registry, TwoPhaseGame};
use opml_game::embedded::EmbeddedChain;
use opml_game::onchain;
use opml_game::phases::deploy::{deploy_game, register_graph};
use opml_vm::commit::region::bytes_root;
use opml_vm::merkle::{root_of, Hash};
use support::{bs, honest_root, i32_bytes, pseudo, toy_model, Arena, CLOCK, DEGREE, N};

const BOND: u64 = 1_000_000;
const WINDOW: u64 = 600;

fn send<C: SolCall>(
    chain: &mut EmbeddedChain,
    from: Address,
    to: Address,
    call: C,
    value: u64,
) -> Result<u64, ChainError> {
    onchain::send(chain, from, to, call, U256::from(value)).map(|r| r.gas_used)
}

fn view<C: SolCall>(chain: &mut EmbeddedChain, at: Address, call: C) -> C::Return {
    onchain::view(chain, at, call).expect("view")
}

#[test]
fn a_graph_models_lie_is_defeated_in_two_phases_and_the_honest_answer_finalizes() {
    let model = toy_model();
    let input = i32_bytes(&pseudo(N as usize, 1));
    let honest = model
        .run(std::slice::from_ref(&input))
        .expect("the graph runs");
    let commitment = model.commitment().expect("trees");
    let mut chain = EmbeddedChain::new(4);
    let a = chain.accounts();
    let (deployer, submitter, liar, challenger) = (a[0], a[1], a[2], a[3]);
    let params = Params {
        bond: BOND as u128,
        window: WINDOW,
        degree: DEGREE,
        clock: CLOCK,
    };
    let d = contracts::deploy(&mut chain, deployer, params).expect("registry");
    let game = deploy_game(
        &mut chain,
        deployer,
        d.registry,
        d.verifier,
        &model,
        &commitment,
        DEGREE,
        CLOCK,
    )
    .expect("TwoPhaseGame");
    let id = register_graph(
        &mut chain,
        deployer,
        d.registry,
        game,
        &model,
        input.len() as u32,
        &[],
    )
    .expect("registerGraph");

    // A request: its start root is the phase-1 state holding the input.
    let call = Registry::requestCall {
        model: U256::from(id),
        input: input.clone().into(),
    };
    send(&mut chain, deployer, d.registry, call, 0).expect("request");
    let info = view(
        &mut chain,
        d.registry,
        Registry::infoCall { id: U256::ZERO },
    );
    assert_eq!(info.start.0, honest.state(0));
    // An input of another shape is refused.
    let short = Registry::requestCall {
        model: U256::from(id),
        input: input[4..].to_vec().into(),
    };
    assert!(send(&mut chain, deployer, d.registry, short, 0).is_err());

    // The liar's answer: the last node's output changed (its final state says so too).
    let nodes = model.nodes.len();
    let last = model.first_node_slot() as usize + nodes - 1;
    let height = model.tree_height as usize;
    let mut wrong = honest.tensors[last].clone();
    wrong[0] ^= 1;
    let lie = bytes_root(&wrong, model.nodes[nodes - 1].out_height).expect("fits");
    let mut roots = honest.roots.clone();
    roots[last] = lie;
    let liar_final = root_of(&roots, height);
    let path = honest.state_tree(nodes).path(last);
    let submit = |output: &[u8], root: Hash| Registry::submitGraphCall {
        id: U256::ZERO,
        output: output.to_vec().into(),
        finalRoot: FixedBytes(root),
        outputPath: bs(&path),
    };
    // A lie about the text alone (the honest final state, another output) is refused.
    let honest_final = honest.state(nodes);
    assert!(send(
        &mut chain,
        liar,
        d.registry,
        submit(&wrong, honest_final),
        BOND
    )
    .expect_err("an output not in its final state")
    .to_string()
    .contains("BadFinalState"));
    let gas = send(
        &mut chain,
        liar,
        d.registry,
        submit(&wrong, liar_final),
        BOND,
    )
    .expect("lie");
    send(
        &mut chain,
        submitter,
        d.registry,
        submit(&honest.tensors[last], honest_final),
        BOND,
    )
    .expect("honest");
    eprintln!("submitGraph: {gas} gas");

    // The challenge starts a two-phase dispute; play it.
    send(
        &mut chain,
        challenger,
        d.registry,
        Registry::challengeCall {
            resultId: U256::ZERO,
        },
        BOND,
    )
    .expect("challenge");
    let logs = chain
        .logs(d.registry, &[Registry::Challenged::SIGNATURE_HASH])
        .expect("logs");
    let e = Registry::Challenged::decode_log_data(&logs[0].data).expect("Challenged");
    let g: u64 = e.game.saturating_to();
    let phase1 = view(&mut chain, game, TwoPhaseGame::phase1Call {});
    let phase2 = view(&mut chain, game, TwoPhaseGame::phase2Call {});
    let mut arena = Arena {
        chain,
        owner: d.registry,
        game,
        phase1,
        phase2,
        defender: liar,
        challenger,
        model,
        commitment,
        honest: honest.clone(),
    };
    let liar_roots = honest.clone();
    let mut defender = |j: u64| {
        let j = j as usize;
        if j < nodes {
            liar_roots.state(j)
        } else {
            liar_final
        }
    };
    let mut truth = |j: u64| honest.state(j as usize);
    let k = arena.bisect(phase1, g, &mut defender, &mut truth) as usize;
    assert_eq!(k, nodes - 1, "phase 1 ends at the last node");
    arena.open(g, arena.opening(k)).expect("open");
    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    let end = arena.end_root(k, &mut trace, lie);
    arena
        .close(g, arena.closing(k, &mut trace, lie, steps))
        .expect("close");
    let mut lying_vm =
        |t: &mut opml_vm::Trace, n: u64| if n == steps { end } else { honest_root(t, n) };
    arena.play_node(k, &mut lying_vm).expect("prove");

    let mut chain = arena.chain;
    let verdict = |chain: &mut EmbeddedChain, r: u64| {
        view(
            chain,
            d.registry,
            Registry::resultInfoCall {
                resultId: U256::from(r),
            },
        )
        .verdict
    };
    assert_eq!(verdict(&mut chain, 0), 1, "the lie is rejected");
    chain.advance(WINDOW + 1).expect("clock");
    send(
        &mut chain,
        deployer,
        d.registry,
        Registry::finalizeCall {
            resultId: U256::from(1),
        },
        0,
    )
    .expect("finalize");
    assert_eq!(verdict(&mut chain, 1), 2, "the honest answer is final");
    let answer = view(
        &mut chain,
        d.registry,
        Registry::outputOfCall { id: U256::ZERO },
    );
    assert_eq!(answer.to_vec(), honest.tensors[last]);
    let credit =
        |chain: &mut EmbeddedChain, who| view(chain, d.registry, Registry::creditCall(who));
    assert_eq!(
        credit(&mut chain, challenger),
        U256::from(2 * BOND),
        "the challenger's bond and the liar's"
    );
    assert_eq!(
        credit(&mut chain, submitter),
        U256::from(BOND),
        "the honest bond back"
    );
    assert_eq!(credit(&mut chain, liar), U256::ZERO);
    assert_eq!(
        chain.balance(d.registry).expect("balance"),
        U256::from(3 * BOND),
        "bonds conserved"
    );
}
