//! The parties of a dispute test: a submitter (account 1) and a challenger (account 2)
//! and, when the submitter cheats, an honest submitter (account 3) whose result answers
//! the request; each with its own honest run of the job, played to the end.

use alloy_primitives::{Address, U256};
use opml_game::agent::{Action, Agent, AgentState, Role};
use opml_game::chain::Chain;
use opml_game::claims::{Behavior, Claims};
use opml_game::job::{Execution, Job};
use opml_game::story::{self, Setup};

/// The submitter playing `cheat` and an honest challenger on the request of `setup`,
/// plus an honest submitter when `cheat` is not honest, each having run `job` on
/// `input` itself (checkpoints every `interval` steps).
pub fn parties(
    chain: &dyn Chain,
    setup: &Setup,
    job: &Job,
    input: &[u8],
    interval: u64,
    cheat: Behavior,
) -> Vec<Agent> {
    let accounts = chain.accounts();
    let party = |i: usize, role, behavior| {
        let exec = Execution::run(job, input, interval, |_| true).expect("the job runs");
        let claims = Claims::new(exec, behavior, job.output_page).expect("claims");
        let state = AgentState::fresh(
            accounts[i],
            setup.deployment,
            setup.request,
            role,
            behavior,
            input,
        );
        Agent::new(state, claims, None).expect("agent")
    };
    let mut agents = vec![
        party(1, Role::Submitter, cheat),
        party(2, Role::Challenger, Behavior::Honest),
    ];
    if cheat != Behavior::Honest {
        agents.push(party(3, Role::Submitter, Behavior::Honest));
    }
    agents
}

/// Drives `agents` until all are done (advancing the clock `idle` seconds when nobody
/// can move, at most `max_polls` polls); every move with its agent's index.
pub fn moves(
    chain: &mut dyn Chain,
    agents: &mut [&mut Agent],
    idle: u64,
    max_polls: usize,
) -> Vec<(usize, Action)> {
    let mut moves = Vec::new();
    story::drive(chain, agents, idle, max_polls, |i, a| {
        moves.push((i, a.clone()))
    })
    .expect("the story ends");
    moves
}

/// Every account's balance plus the registry's: invariant on the embedded chain (no
/// gas price), so a test that compares it before and after checks bond conservation.
pub fn total_balance(chain: &mut dyn Chain, registry: Address) -> U256 {
    let mut who = chain.accounts();
    who.push(registry);
    who.iter()
        .map(|&a| chain.balance(a).expect("balance"))
        .sum()
}
