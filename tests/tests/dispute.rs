//! The dispute protocol on the embedded chain: the registry derives the same start and
//! final roots as the step machine; an honest result finalizes; every kind of cheating
//! submitter is challenged and loses its bond while an honest submitter's result
//! answers the request; a false challenger loses; a silent party loses on time; bonds
//! are conserved; nobody finalizes twice or moves out of turn; an agent resumes from
//! its saved state; the contracts fit EIP-170.

use alloy_primitives::{Address, U256};
use opml_game::agent::{Action, Agent, AgentState, Role};
use opml_game::chain::{Chain, ChainError};
use opml_game::claims::{Behavior, Claims};
use opml_game::contracts::{DisputeGame, Params, Registry};
use opml_game::embedded::EmbeddedChain;
use opml_game::job::Execution;
use opml_game::onchain::{self, RequestStatus, Verdict};
use opml_game::story::{self, Setup};
use opml_game::toy;
use opml_tests::duel;
use std::path::PathBuf;

const INPUT: &[u8] = b"opml-wasm: one honest validator is enough!";
const INTERVAL: u64 = 64;

fn execution() -> Execution {
    Execution::run(&toy::job(), INPUT, INTERVAL, |_| true).expect("toy runs")
}

struct Party {
    behavior: Behavior,
    silent: bool,
}

const HONEST: Party = Party {
    behavior: Behavior::Honest,
    silent: false,
};

fn agent(
    chain: &EmbeddedChain,
    setup: &Setup,
    i: usize,
    role: Role,
    p: &Party,
    path: Option<PathBuf>,
) -> Agent {
    let claims = Claims::new(execution(), p.behavior, toy::OUTPUT_PAGE).expect("claims");
    let mut state = AgentState::fresh(
        chain.accounts()[i],
        setup.deployment,
        setup.request,
        role,
        p.behavior,
        INPUT,
    );
    state.silent = p.silent;
    Agent::new(state, claims, path).expect("agent")
}

struct Played {
    chain: EmbeddedChain,
    setup: Setup,
    actions: Vec<(usize, Action)>,
    submitter_won: bool,
    challenger_won: bool,
    status: RequestStatus,
    /// The verdict on the first submitter's result.
    verdict: Verdict,
}

fn setup(chain: &mut EmbeddedChain) -> Setup {
    let mut exec = execution();
    let layout = exec.layout.clone();
    let from = chain.accounts()[0];
    let s = story::setup(chain, from, Params::default(), &layout, INPUT).expect("setup");
    assert_eq!(s.start_root, exec.trace.root_at(0));
    s
}

/// The submitter (account 1) and the challenger (account 2) play; when the submitter
/// lies, an honest submitter (account 3) posts the right result too, so the request
/// gets its answer.
fn play(submitter: Party, challenger: Party) -> Played {
    let mut chain = EmbeddedChain::new(4);
    let setup = setup(&mut chain);
    let before = duel::total_balance(&mut chain, setup.deployment.registry);
    let mut sub = agent(&chain, &setup, 1, Role::Submitter, &submitter, None);
    let mut cha = agent(&chain, &setup, 2, Role::Challenger, &challenger, None);
    let mut honest = agent(&chain, &setup, 3, Role::Submitter, &HONEST, None);
    let mut agents = vec![&mut sub, &mut cha];
    if submitter.behavior != Behavior::Honest {
        agents.push(&mut honest);
    }
    let actions = duel::moves(&mut chain, &mut agents, 600, 500);
    let who = chain.accounts()[1..].to_vec();
    story::settle(&mut chain, setup.deployment.registry, &who).expect("settle");
    assert_eq!(
        duel::total_balance(&mut chain, setup.deployment.registry),
        before,
        "bonds conserved"
    );
    let won = |i: usize| {
        actions
            .iter()
            .any(|(j, a)| *j == i && *a == Action::Done { won: true })
    };
    let registry = setup.deployment.registry;
    let status = onchain::request(&mut chain, registry, setup.request)
        .expect("request")
        .status;
    let first = sub.state.result.expect("the submitter posted");
    let verdict = onchain::result(&mut chain, registry, first)
        .expect("result")
        .verdict;
    Played {
        submitter_won: won(0),
        challenger_won: won(1),
        chain,
        setup,
        actions,
        status,
        verdict,
    }
}

fn eth(chain: &mut EmbeddedChain, i: usize) -> U256 {
    let a = chain.accounts()[i];
    chain.balance(a).expect("balance")
}

const FUNDS: u128 = 1_000 * 10u128.pow(18);
const BOND: u128 = 10u128.pow(18);

fn assert_challenger_wins(submitter: Behavior) {
    let mut p = play(
        Party {
            behavior: submitter,
            silent: false,
        },
        HONEST,
    );
    assert!(p.challenger_won, "{submitter:?}: {:?}", p.actions);
    assert!(!p.submitter_won, "{submitter:?}");
    assert_eq!(p.verdict, Verdict::Rejected, "the lying result is rejected");
    assert_eq!(
        p.status,
        RequestStatus::Finalized,
        "the honest result answers"
    );
    let answer = onchain::output(&mut p.chain, p.setup.deployment.registry, p.setup.request)
        .expect("output");
    assert_eq!(answer, execution().final_state.output, "the right output");
    assert_eq!(
        eth(&mut p.chain, 1),
        U256::from(FUNDS - BOND),
        "liar lost its bond"
    );
    assert_eq!(
        eth(&mut p.chain, 2),
        U256::from(FUNDS + BOND),
        "challenger won it"
    );
    assert_eq!(eth(&mut p.chain, 3), U256::from(FUNDS), "honest bond back");
    assert!(
        p.actions
            .iter()
            .any(|(_, a)| matches!(a, Action::Proved { .. })),
        "decided by a one-step proof"
    );
}

#[test]
fn contracts_fit_eip_170() {
    use opml_game::evm::MAX_CODE_SIZE;
    for (name, code) in [
        ("Registry", &Registry::DEPLOYED_BYTECODE),
        ("DisputeGame", &DisputeGame::DEPLOYED_BYTECODE),
    ] {
        assert!(code.len() <= MAX_CODE_SIZE, "{name}: {} bytes", code.len());
    }
}

#[test]
fn start_and_final_roots_match_the_machine() {
    let mut exec = execution();
    assert_eq!(
        exec.layout.start_root(INPUT).unwrap(),
        exec.trace.root_at(0)
    );
    assert_eq!(exec.start_root, exec.trace.root_at(0));
    let steps = exec.steps;
    assert_eq!(
        exec.final_state.root(toy::OUTPUT_PAGE).unwrap(),
        exec.trace.root_at(steps)
    );
    assert_eq!(exec.final_state.output.len(), 12);
    // Another input: same layout, the root of that machine.
    let mut m = toy::load(b"x").unwrap();
    assert_eq!(exec.layout.start_root(b"x").unwrap(), m.state_root());
}

#[test]
fn request_input_is_readable_from_the_chain() {
    let mut chain = EmbeddedChain::new(3);
    let s = setup(&mut chain);
    let registry = s.deployment.registry;
    let from = chain.accounts()[0];
    let (second, _) = story::request(&mut chain, from, registry, s.model, b"other").unwrap();
    assert_eq!(
        onchain::request_input(&mut chain, registry, s.request).unwrap(),
        INPUT
    );
    assert_eq!(
        onchain::request_input(&mut chain, registry, second).unwrap(),
        b"other"
    );
    let all = onchain::posted(&mut chain, registry, None).unwrap();
    let listed: Vec<_> = all.iter().map(|p| (p.request, p.model)).collect();
    assert_eq!(listed, [(s.request, s.model), (second, s.model)]);
    let missing = onchain::request_input(&mut chain, registry, second + 1).unwrap_err();
    assert!(missing.to_string().contains("no request"), "{missing}");
}

#[test]
fn honest_result_finalizes_unchallenged() {
    let mut p = play(HONEST, HONEST);
    assert!(p.submitter_won);
    assert!(p.actions.contains(&(1, Action::Agreed)));
    assert_eq!(p.status, RequestStatus::Finalized);
    assert!(!p
        .actions
        .iter()
        .any(|(_, a)| matches!(a, Action::Challenged { .. })));
    assert_eq!(eth(&mut p.chain, 1), U256::from(FUNDS));
    // Finalizing twice fails.
    let registry = p.setup.deployment.registry;
    let from = p.chain.accounts()[1];
    let call = Registry::finalizeCall {
        resultId: U256::ZERO,
    };
    let again = onchain::send(&mut p.chain, from, registry, call, U256::ZERO);
    assert!(matches!(again, Err(ChainError::Reverted(_))), "{again:?}");
}

#[test]
fn wrong_root_at_an_early_step_loses() {
    assert_challenger_wins(Behavior::LieFrom(1));
}

#[test]
fn wrong_root_at_a_middle_step_loses() {
    let n = execution().steps;
    assert_challenger_wins(Behavior::LieFrom(n / 2));
}

#[test]
fn wrong_output_at_the_last_step_loses() {
    let n = execution().steps;
    assert_challenger_wins(Behavior::LieFrom(n));
}

#[test]
fn too_many_steps_loses() {
    assert_challenger_wins(Behavior::StepCount(5));
}

#[test]
fn too_few_steps_loses() {
    assert_challenger_wins(Behavior::StepCount(-3));
}

#[test]
fn faked_trap_loses() {
    let n = execution().steps;
    assert_challenger_wins(Behavior::FakeTrap(n / 3));
}

#[test]
fn false_challenger_loses() {
    let n = execution().steps;
    let mut p = play(
        HONEST,
        Party {
            behavior: Behavior::DisputeFrom(n / 2),
            silent: false,
        },
    );
    assert!(p.submitter_won, "{:?}", p.actions);
    assert!(!p.challenger_won);
    assert_eq!(p.status, RequestStatus::Finalized);
    assert_eq!(eth(&mut p.chain, 1), U256::from(FUNDS + BOND));
    assert_eq!(eth(&mut p.chain, 2), U256::from(FUNDS - BOND));
}

#[test]
fn silent_submitter_loses_on_time() {
    let mut p = play(
        Party {
            behavior: Behavior::LieFrom(3),
            silent: true,
        },
        HONEST,
    );
    assert!(p.challenger_won);
    assert!(p
        .actions
        .iter()
        .any(|(i, a)| *i == 1 && matches!(a, Action::ClaimedTimeout { .. })));
    assert_eq!(eth(&mut p.chain, 1), U256::from(FUNDS - BOND));
}

#[test]
fn silent_challenger_loses_on_time() {
    let mut p = play(
        HONEST,
        Party {
            behavior: Behavior::DisputeFrom(0),
            silent: true,
        },
    );
    assert!(p.submitter_won);
    assert!(p
        .actions
        .iter()
        .any(|(i, a)| *i == 0 && matches!(a, Action::ClaimedTimeout { .. })));
    assert_eq!(eth(&mut p.chain, 2), U256::from(FUNDS - BOND));
}

#[test]
fn moves_out_of_turn_revert() {
    let mut chain = EmbeddedChain::new(4);
    let setup = setup(&mut chain);
    let liar = Party {
        behavior: Behavior::LieFrom(2),
        silent: false,
    };
    let mut sub = agent(&chain, &setup, 1, Role::Submitter, &liar, None);
    let mut cha = agent(&chain, &setup, 2, Role::Challenger, &HONEST, None);
    sub.poll(&mut chain).unwrap(); // submit
    cha.poll(&mut chain).unwrap(); // challenge: the defender's turn
    let game = setup.deployment.game;
    let accounts = chain.accounts();
    let reverts = |chain: &mut EmbeddedChain, from: Address, data: Vec<u8>| {
        let r = chain.send(from, game, data, U256::ZERO);
        assert!(matches!(r, Err(ChainError::Reverted(_))), "{r:?}");
    };
    let pick = alloy_sol_types::SolCall::abi_encode(&DisputeGame::pickCall {
        gameId: U256::ZERO,
        index: U256::ZERO,
        inner: Vec::new(),
    });
    reverts(&mut chain, accounts[2], pick.clone());
    let dissect = alloy_sol_types::SolCall::abi_encode(&DisputeGame::dissectCall {
        gameId: U256::ZERO,
        inner: vec![Default::default(); 7],
    });
    reverts(&mut chain, accounts[2], dissect.clone());
    reverts(&mut chain, accounts[3], dissect);
    let timeout =
        alloy_sol_types::SolCall::abi_encode(&DisputeGame::timeoutCall { gameId: U256::ZERO });
    reverts(&mut chain, accounts[3], timeout);
    // Games are started by the registry only.
    let create = alloy_sol_types::SolCall::abi_encode(&DisputeGame::createCall {
        r#ref: U256::ZERO,
        defender: accounts[3],
        challenger: accounts[3],
        startRoot: Default::default(),
        endRoot: Default::default(),
        steps: 100,
        degree: 8,
        clock: 3600,
    });
    reverts(&mut chain, accounts[3], create);
    sub.poll(&mut chain).unwrap(); // dissect: now the challenger's turn
    reverts(&mut chain, accounts[1], pick.clone());
    // The challenger cannot pick against roots the defender did not post.
    reverts(&mut chain, accounts[2], pick);
}

#[test]
fn agents_resume_from_saved_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = EmbeddedChain::new(4);
    let setup = setup(&mut chain);
    let liar = Party {
        behavior: Behavior::LieFrom(7),
        silent: false,
    };
    let sub_path = dir.path().join("submitter.json");
    let cha_path = dir.path().join("challenger.json");
    let mut sub = agent(
        &chain,
        &setup,
        1,
        Role::Submitter,
        &liar,
        Some(sub_path.clone()),
    );
    let mut cha = agent(
        &chain,
        &setup,
        2,
        Role::Challenger,
        &HONEST,
        Some(cha_path.clone()),
    );
    let mut honest = agent(&chain, &setup, 3, Role::Submitter, &HONEST, None);
    // A few moves, then both processes "crash".
    for _ in 0..3 {
        sub.poll(&mut chain).unwrap();
        cha.poll(&mut chain).unwrap();
    }
    drop((sub, cha));
    let accounts = chain.accounts();
    let resume = |path: PathBuf, i: usize| {
        let state = Agent::load_state(&path).unwrap();
        assert_eq!(state.me, accounts[i]);
        assert_eq!(state.deployment, setup.deployment);
        let exec = Execution::run(&toy::job(), &state.input, INTERVAL, |_| true).unwrap();
        let claims = Claims::new(exec, state.behavior, toy::OUTPUT_PAGE).unwrap();
        Agent::new(state, claims, Some(path)).unwrap()
    };
    let mut sub = resume(sub_path, 1);
    assert!(sub.state.result.is_some(), "{:?}", sub.state);
    let mut cha = resume(cha_path, 2);
    assert_eq!(cha.state.challenged.len(), 1, "{:?}", cha.state);
    let mut outcome = None;
    let agents = &mut [&mut sub, &mut cha, &mut honest];
    story::drive(&mut chain, agents, 600, 500, |i, a| {
        if let (1, Action::Done { won }) = (i, a) {
            outcome = Some(*won);
        }
    })
    .unwrap();
    assert_eq!(outcome, Some(true), "the resumed challenger wins");
}
