//! Any-trust under attack, on the embedded chain: a lie that lost is posted again and is
//! challenged again; colluding challengers cannot delay an honest result beyond
//! `window + 2 * clock`, nor keep an honest challenger out; a challenger whose result
//! was rejected by another game gets its bond back; a result cannot finalize while a
//! game on it is open; bad deployment parameters are refused by the registry and by
//! the agents' checks. Bonds are conserved throughout.

use alloy_primitives::{Address, U256};
use opml_game::agent::{Action, Agent, AgentState, Role};
use opml_game::chain::{Chain, ChainError};
use opml_game::claims::{Behavior, Claims};
use opml_game::contracts::{self, ParamError, Params, Registry};
use opml_game::embedded::EmbeddedChain;
use opml_game::job::Execution;
use opml_game::onchain::{self, RequestStatus, Verdict};
use opml_game::story::{self, Setup};
use opml_game::toy;
use opml_tests::duel;

const INPUT: &[u8] = b"any-trust: one honest validator is enough";
const BOND: u128 = 10u128.pow(18);
const FUNDS: u128 = 1_000 * BOND;
/// Seconds the clock moves when nobody can move.
const IDLE: u64 = 600;

fn execution() -> Execution {
    Execution::run(&toy::job(), INPUT, 64, |_| true).expect("toy runs")
}

fn setup(chain: &mut EmbeddedChain) -> Setup {
    let exec = execution();
    let from = chain.accounts()[0];
    story::setup(chain, from, Params::default(), &exec.layout, INPUT).expect("setup")
}

fn agent(chain: &EmbeddedChain, s: &Setup, i: usize, role: Role, behavior: Behavior) -> Agent {
    let claims = Claims::new(execution(), behavior, toy::OUTPUT_PAGE).expect("claims");
    let me = chain.accounts()[i];
    let state = AgentState::fresh(me, s.deployment, s.request, role, behavior, INPUT);
    Agent::new(state, claims, None).expect("agent")
}

/// Polls `agents` in turn (advancing the clock by [`IDLE`] when nobody moves) until
/// `stop` holds; every move with its agent's index and the chain time after it.
fn run_until(
    chain: &mut EmbeddedChain,
    agents: &mut [&mut Agent],
    stop: impl Fn(&[&mut Agent]) -> bool,
) -> Vec<(usize, Action, u64)> {
    let mut moves = Vec::new();
    for _ in 0..2_000 {
        if stop(agents) {
            return moves;
        }
        let mut moved = false;
        for (i, a) in agents.iter_mut().enumerate() {
            if let Some(action) = a.poll(chain).expect("poll") {
                moves.push((i, action, chain.now().expect("now")));
                moved = true;
            }
        }
        if !moved {
            chain.advance(IDLE).expect("advance");
        }
    }
    panic!("the agents did not get there: {moves:?}");
}

fn all_done(agents: &[&mut Agent]) -> bool {
    agents.iter().all(|a| a.state.done)
}

fn settle_and_balances(chain: &mut EmbeddedChain, registry: Address) -> Vec<U256> {
    let who = chain.accounts();
    story::settle(chain, registry, &who).expect("settle");
    who.iter()
        .map(|&a| chain.balance(a).expect("balance"))
        .collect()
}

fn challenge(chain: &mut EmbeddedChain, from: Address, registry: Address, result: u64) {
    let call = Registry::challengeCall {
        resultId: U256::from(result),
    };
    onchain::send(chain, from, registry, call, U256::from(BOND)).expect("challenge");
}

#[test]
fn a_lie_posted_again_after_losing_is_challenged_again() {
    let mut chain = EmbeddedChain::new(4);
    let s = setup(&mut chain);
    let registry = s.deployment.registry;
    let before = duel::total_balance(&mut chain, registry);
    let n = execution().steps;
    let mut cha = agent(&chain, &s, 2, Role::Challenger, Behavior::Honest);
    // The liar posts, loses; then posts the same kind of lie again as a fresh agent.
    for lie in [Behavior::LieFrom(n / 2), Behavior::LieFrom(3)] {
        let mut liar = agent(&chain, &s, 1, Role::Submitter, lie);
        let moves = run_until(&mut chain, &mut [&mut liar, &mut cha], |a| a[0].state.done);
        assert!(
            moves
                .iter()
                .any(|(i, a, _)| *i == 1 && matches!(a, Action::Challenged { .. })),
            "{lie:?} challenged: {moves:?}"
        );
        let id = liar.state.result.expect("posted");
        let res = onchain::result(&mut chain, registry, id).expect("result");
        assert_eq!(res.verdict, Verdict::Rejected, "{lie:?}");
        assert!(
            !cha.state.done,
            "the challenger keeps watching an open request"
        );
    }
    let r = onchain::request(&mut chain, registry, s.request).expect("request");
    assert_eq!(r.status, RequestStatus::Open, "no lie finalized");
    // The honest answer comes; the challenger agrees and is done.
    let mut honest = agent(&chain, &s, 3, Role::Submitter, Behavior::Honest);
    run_until(&mut chain, &mut [&mut honest, &mut cha], all_done);
    let r = onchain::request(&mut chain, registry, s.request).expect("request");
    assert_eq!(r.status, RequestStatus::Finalized);
    assert_eq!(r.answer, honest.state.result);
    assert_eq!(cha.state.challenged.len(), 2, "both lies challenged");
    let paid = settle_and_balances(&mut chain, registry);
    assert_eq!(paid[1], U256::from(FUNDS - 2 * BOND), "the liar lost twice");
    assert_eq!(
        paid[2],
        U256::from(FUNDS + 2 * BOND),
        "the challenger won twice"
    );
    assert_eq!(paid[3], U256::from(FUNDS), "the honest bond came back");
    assert_eq!(
        duel::total_balance(&mut chain, registry),
        before,
        "bonds conserved"
    );
}

#[test]
fn colluders_cannot_delay_an_honest_result_beyond_the_bound() {
    // 1 honest submitter, 2 liar, 3 colluding challenger, 4 honest challenger.
    let mut chain = EmbeddedChain::new(5);
    let s = setup(&mut chain);
    let registry = s.deployment.registry;
    let before = duel::total_balance(&mut chain, registry);
    let accounts = chain.accounts();
    let n = execution().steps;
    let mut honest = agent(&chain, &s, 1, Role::Submitter, Behavior::Honest);
    let mut liar = agent(&chain, &s, 2, Role::Submitter, Behavior::LieFrom(n / 3));
    let mut checker = agent(&chain, &s, 4, Role::Challenger, Behavior::Honest);
    liar.poll(&mut chain).expect("liar posts");
    honest.poll(&mut chain).expect("honest posts");
    let (lie_id, honest_id) = (liar.state.result.unwrap(), honest.state.result.unwrap());
    let posted = onchain::result(&mut chain, registry, honest_id).unwrap();
    let p = Params::default();
    let posted_at = posted.deadline - p.window;
    // The colluder opens games on both results first and never plays: three on the
    // honest result to stall it, one on the lie to take the slot and lose it to its
    // accomplice.
    for _ in 0..3 {
        challenge(&mut chain, accounts[3], registry, honest_id);
    }
    challenge(&mut chain, accounts[3], registry, lie_id);
    let moves = run_until(
        &mut chain,
        &mut [&mut honest, &mut liar, &mut checker],
        all_done,
    );
    let finalized_at = moves
        .iter()
        .find(|(i, a, _)| *i == 0 && matches!(a, Action::Finalized { .. }))
        .map(|m| m.2)
        .expect("the honest result finalized");
    let bound = posted_at + p.window + 2 * p.clock;
    assert!(
        finalized_at <= bound + IDLE,
        "finalized at {finalized_at}, bound {bound} (+{IDLE} s polling slack)"
    );
    let challenged_at = moves
        .iter()
        .find(|(i, a, _)| *i == 2 && matches!(a, Action::Challenged { .. }))
        .map(|m| m.2)
        .expect("the honest challenger got its challenge in");
    let proved_at = moves
        .iter()
        .find(|(i, a, _)| *i == 2 && matches!(a, Action::Proved { .. }))
        .map(|m| m.2)
        .expect("the honest challenger proved the lie");
    assert!(
        proved_at <= challenged_at + 2 * p.clock,
        "the honest game took {} s, more than 2 * clock",
        proved_at - challenged_at
    );
    let lie = onchain::result(&mut chain, registry, lie_id).unwrap();
    assert_eq!(lie.verdict, Verdict::Rejected, "the lie never finalizes");
    let r = onchain::request(&mut chain, registry, s.request).unwrap();
    assert_eq!(r.answer, Some(honest_id));
    let paid = settle_and_balances(&mut chain, registry);
    assert_eq!(
        paid[1],
        U256::from(FUNDS + 3 * BOND),
        "the honest submitter won every stalling game"
    );
    assert_eq!(
        paid[4],
        U256::from(FUNDS + BOND),
        "the honest challenger won"
    );
    assert_eq!(
        duel::total_balance(&mut chain, registry),
        before,
        "bonds conserved"
    );
}

#[test]
fn second_challenger_gets_its_bond_back_when_another_game_rejects_the_lie() {
    let mut chain = EmbeddedChain::new(5);
    let s = setup(&mut chain);
    let registry = s.deployment.registry;
    let before = duel::total_balance(&mut chain, registry);
    let mut liar = agent(&chain, &s, 1, Role::Submitter, Behavior::LieFrom(5));
    let mut honest = agent(&chain, &s, 2, Role::Submitter, Behavior::Honest);
    let mut first = agent(&chain, &s, 3, Role::Challenger, Behavior::Honest);
    let mut second = agent(&chain, &s, 4, Role::Challenger, Behavior::Honest);
    let moves = run_until(
        &mut chain,
        &mut [&mut liar, &mut honest, &mut first, &mut second],
        all_done,
    );
    let reclaimed = moves
        .iter()
        .filter(|(_, a, _)| matches!(a, Action::Reclaimed { .. }))
        .count();
    let won = moves
        .iter()
        .filter(|(i, a, _)| *i >= 2 && *a == Action::Done { won: true })
        .count();
    assert_eq!((won, reclaimed), (1, 1), "{moves:?}");
    let paid = settle_and_balances(&mut chain, registry);
    let mut gains = [paid[3], paid[4]];
    gains.sort();
    assert_eq!(gains, [U256::from(FUNDS), U256::from(FUNDS + BOND)]);
    assert_eq!(paid[1], U256::from(FUNDS - BOND));
    assert_eq!(
        duel::total_balance(&mut chain, registry),
        before,
        "bonds conserved"
    );
}

#[test]
fn a_result_does_not_finalize_while_a_game_on_it_is_open() {
    let mut chain = EmbeddedChain::new(3);
    let s = setup(&mut chain);
    let registry = s.deployment.registry;
    let mut honest = agent(&chain, &s, 1, Role::Submitter, Behavior::Honest);
    honest.poll(&mut chain).expect("post");
    let id = honest.state.result.unwrap();
    let stalling = chain.accounts()[2];
    challenge(&mut chain, stalling, registry, id);
    honest.poll(&mut chain).expect("the defender's first round");
    let p = Params::default();
    chain.advance(p.window + 1).unwrap();
    let finalize = |chain: &mut EmbeddedChain| {
        let call = Registry::finalizeCall {
            resultId: U256::from(id),
        };
        onchain::send(chain, stalling, registry, call, U256::ZERO)
    };
    let early = finalize(&mut chain).unwrap_err();
    assert!(early.to_string().contains("GamesOpen"), "{early}");
    // The window is closed to new challenges now.
    let call = Registry::challengeCall {
        resultId: U256::from(id),
    };
    let late = onchain::send(&mut chain, stalling, registry, call, U256::from(BOND)).unwrap_err();
    assert!(late.to_string().contains("WindowClosed"), "{late}");
    // The defender wins the stalling game on time; then the result finalizes.
    run_until(&mut chain, &mut [&mut honest], all_done);
    let r = onchain::request(&mut chain, registry, s.request).unwrap();
    assert_eq!(r.answer, Some(id));
}

#[test]
fn bad_deployment_parameters_are_refused() {
    let good = Params::default();
    let bad = [
        ("degree", Params { degree: 0, ..good }),
        ("degree", Params { degree: 1, ..good }),
        ("degree", Params { degree: 65, ..good }),
        ("clock", Params { clock: 0, ..good }),
        ("window", Params { window: 0, ..good }),
        (
            "window",
            Params {
                window: u64::MAX - 10,
                ..good
            },
        ),
        ("bond", Params { bond: 0, ..good }),
    ];
    let mut chain = EmbeddedChain::new(1);
    let from = chain.accounts()[0];
    for (name, p) in bad {
        let err = p.check().unwrap_err();
        assert!(
            matches!(err, ParamError::OutOfRange { name: n, .. } if n == name),
            "{p:?}: {err}"
        );
        // The registry refuses them too, naming the parameter.
        let reverted = contracts::deploy(&mut chain, from, p).unwrap_err();
        let ChainError::Reverted(_) = &reverted else {
            panic!("{p:?}: {reverted}");
        };
        let why = reverted.to_string();
        assert!(
            why.contains("BadParameter") && why.contains(name),
            "{p:?}: {why}"
        );
    }
    // The bounds in Rust are the registry's.
    let d = contracts::deploy(&mut chain, from, good).expect("good parameters deploy");
    let r = d.registry;
    let bounds = [
        onchain::view(&mut chain, r, Registry::MIN_DEGREECall {}),
        onchain::view(&mut chain, r, Registry::MAX_DEGREECall {}),
        onchain::view(&mut chain, r, Registry::MIN_WINDOWCall {}),
        onchain::view(&mut chain, r, Registry::MAX_WINDOWCall {}),
        onchain::view(&mut chain, r, Registry::MIN_CLOCKCall {}),
        onchain::view(&mut chain, r, Registry::MAX_CLOCKCall {}),
    ]
    .map(Result::unwrap);
    let (d, w, c) = (Params::DEGREE, Params::WINDOW, Params::CLOCK);
    assert_eq!(bounds, [d.0, d.1, w.0, w.1, c.0, c.1]);
    assert_eq!(Params::read(&mut chain, r).unwrap(), good);
}

#[test]
fn agents_refuse_parameters_they_cannot_play_under() {
    let p = Params {
        clock: 20,
        ..Params::default()
    };
    // 2^20 steps at degree 8: 7 rounds of dissection and the proof.
    assert_eq!(p.moves(1 << 20), 8);
    assert_eq!(p.moves(1), 1);
    let err = p.check_playable(1 << 20, 15).unwrap_err();
    assert!(
        matches!(err, ParamError::ClockTooShort { moves: 8, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("lose on time"), "{err}");
    let short_window = Params {
        window: 5,
        ..Params::default()
    };
    let err = short_window.check_playable(100, 15).unwrap_err();
    assert!(matches!(err, ParamError::WindowTooShort { .. }), "{err}");
    Params::default()
        .check_playable(1 << 30, 15)
        .expect("the defaults are playable");
}
