//! Playing a two-phase dispute on a chain between two parties, each given as the roots
//! it claims: the dissection of either phase, the hand-over's moves, the one-step
//! proof. The tests drive honest and lying parties through it; so does `opml demo
//! --phases 2`.

use super::{GraphModel, PhaseError};
use crate::chain::{Chain, ChainError};
use crate::contracts::{DisputeGame, TwoPhaseGame};
use crate::layout::state_root;
use crate::trace::past_the_end;
use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use opml_vm::merkle::{root_from_path, Hash};
use opml_vm::Trace;

/// What one phase's dissection took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bisection {
    /// The transition it ended at (node index, or Wasm step).
    pub leaf: u64,
    /// Rounds played (a round: the defender's roots and the challenger's pick).
    pub rounds: u32,
    /// Gas of all its moves.
    pub gas: u64,
}

pub(super) use crate::onchain::view;

/// Sends `call` with `value` wei; returns the gas used.
pub(super) fn send<C: SolCall>(
    chain: &mut dyn Chain,
    from: Address,
    to: Address,
    call: C,
    value: u128,
) -> Result<u64, ChainError> {
    crate::onchain::send(chain, from, to, call, U256::from(value)).map(|r| r.gas_used)
}

fn words(hs: &[Hash]) -> Vec<FixedBytes<32>> {
    hs.iter().map(|h| FixedBytes(*h)).collect()
}

/// Plays the dissection of game `id` (a `DisputeGame` at `at`) down to one transition:
/// `defender` posts its roots at each round's points, `challenger` picks the first
/// segment whose end root differs from its own (the last one when it differs nowhere
/// else: it disputes the end).
pub fn bisect(
    chain: &mut dyn Chain,
    at: Address,
    id: u64,
    (defender, defender_roots): (Address, &mut dyn FnMut(u64) -> Hash),
    (challenger, challenger_roots): (Address, &mut dyn FnMut(u64) -> Hash),
) -> Result<Bisection, ChainError> {
    let gid = U256::from(id);
    let mut done = Bisection::default();
    loop {
        let info = view(chain, at, DisputeGame::infoCall { gameId: gid })?;
        if info.hi - info.lo == 1 {
            done.leaf = info.lo;
            return Ok(done);
        }
        let points = view(chain, at, DisputeGame::pointsCall { gameId: gid })?;
        let inner: Vec<Hash> = points[1..points.len() - 1]
            .iter()
            .map(|&p| defender_roots(p))
            .collect();
        let dissect = DisputeGame::dissectCall {
            gameId: gid,
            inner: words(&inner),
        };
        done.gas += send(chain, defender, at, dissect, 0)?;
        let last = points.len() - 2;
        let index = (0..=last)
            .find(|&i| {
                let claimed = if i == last { info.hiRoot.0 } else { inner[i] };
                challenger_roots(points[i + 1]) != claimed
            })
            .unwrap_or(last);
        let pick = DisputeGame::pickCall {
            gameId: gid,
            index: U256::from(index),
            inner: words(&inner),
        };
        done.gas += send(chain, challenger, at, pick, 0)?;
        done.rounds += 1;
    }
}

/// The phase-2 game the last `closeNode` of `game` started, and its end root.
pub fn node_game(chain: &mut dyn Chain, game: Address) -> Result<(u64, Hash), ChainError> {
    let logs = chain.logs(game, &[TwoPhaseGame::NodeClosed::SIGNATURE_HASH])?;
    let last = logs
        .last()
        .ok_or_else(|| ChainError::Backend("no NodeClosed event".into()))?;
    let e = TwoPhaseGame::NodeClosed::decode_log_data(&last.data)
        .map_err(|e| ChainError::Backend(format!("bad NodeClosed event: {e}")))?;
    Ok((e.nodeGame.saturating_to(), e.endRoot.0))
}

/// The final VM root `closeNode` derives from a closing of node `k`.
pub fn end_root(
    model: &GraphModel,
    k: usize,
    c: &TwoPhaseGame::Closing,
) -> Result<Hash, PhaseError> {
    let region = model
        .nodes
        .get(k)
        .ok_or_else(|| PhaseError::Node {
            node: k as u32,
            what: "no such node".into(),
        })?
        .out_region()
        .map_err(|source| PhaseError::Region {
            node: k as u32,
            source,
        })?;
    let path: Vec<Hash> = c.outPath.iter().map(|h| h.0).collect();
    let memory_root = root_from_path(&c.outRoot.0, region.index, &path);
    Ok(state_root(&c.endPrefix, c.pages, c.limit, memory_root))
}

/// The honest root at position `n` of a node's run (past its end: a root no state has).
pub fn honest_vm_root(trace: &mut Trace, n: u64) -> Hash {
    let end = trace.total_steps();
    if n > end {
        let last = trace.root_at(end);
        return past_the_end(n, &last);
    }
    trace.root_at(n)
}

/// The challenger's last move in phase 2: the one-step proof of step `lo` of `trace`
/// (the honest run of the node) in game `g` of `phase2`. Returns its gas.
pub fn prove_step(
    chain: &mut dyn Chain,
    phase2: Address,
    g: u64,
    challenger: Address,
    trace: &mut Trace,
    lo: u64,
) -> Result<u64, PhaseError> {
    let proof = trace.prove(lo).map_err(|e| PhaseError::Node {
        node: 0,
        what: format!("proving step {lo}: {e}"),
    })?;
    let call = DisputeGame::proveCall {
        gameId: U256::from(g),
        proof: proof.bytes.into(),
    };
    Ok(send(chain, challenger, phase2, call, 0)?)
}
