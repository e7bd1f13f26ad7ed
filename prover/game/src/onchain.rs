//! Typed reads and writes of the arbiter contracts over any [`Chain`].

use super::chain::{Chain, ChainError, Receipt};
use super::contracts::{DisputeGame, Registry};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};

/// Runs a view call and decodes its result.
pub fn view<C: SolCall>(
    chain: &mut dyn Chain,
    to: Address,
    call: C,
) -> Result<C::Return, ChainError> {
    let out = chain.call(to, call.abi_encode())?;
    C::abi_decode_returns(&out).map_err(|e| ChainError::Backend(format!("bad return data: {e}")))
}

/// Sends a call from `from` with `value` wei.
pub fn send<C: SolCall>(
    chain: &mut dyn Chain,
    from: Address,
    to: Address,
    call: C,
    value: U256,
) -> Result<Receipt, ChainError> {
    chain.send(from, to, call.abi_encode(), value)
}

/// Where a request stands (mirrors `Registry.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum RequestStatus {
    /// No result is pending (none posted yet, or all were rejected).
    Open,
    /// At least one result is pending.
    Pending,
    /// A result finalized: the request's answer.
    Finalized,
}

/// A request as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestView {
    /// Status.
    pub status: RequestStatus,
    /// The derived start root.
    pub start_root: [u8; 32],
    /// Ids of the results posted for it, oldest first.
    pub results: Vec<u64>,
    /// The result that answered it, once finalized.
    pub answer: Option<u64>,
}

/// Reads request `id`.
pub fn request(
    chain: &mut dyn Chain,
    registry: Address,
    id: u64,
) -> Result<RequestView, ChainError> {
    let r = view(chain, registry, Registry::infoCall { id: U256::from(id) })?;
    let status = match r.status {
        0 => RequestStatus::Open,
        1 => RequestStatus::Pending,
        2 => RequestStatus::Finalized,
        _ => return Err(ChainError::Backend("unknown request status".into())),
    };
    Ok(RequestView {
        status,
        start_root: r.start.0,
        results: r.resultIds.iter().map(|id| id.saturating_to()).collect(),
        answer: (status == RequestStatus::Finalized).then(|| r.answer.saturating_to()),
    })
}

/// The answer of request `id`: the output of the result that finalized it (empty
/// until then).
pub fn output(chain: &mut dyn Chain, registry: Address, id: u64) -> Result<Vec<u8>, ChainError> {
    let out = view(
        chain,
        registry,
        Registry::outputOfCall { id: U256::from(id) },
    )?;
    Ok(out.to_vec())
}

/// The fee request `id` still holds (zero once paid out or refunded, or when it had
/// none).
pub fn fee(chain: &mut dyn Chain, registry: Address, id: u64) -> Result<U256, ChainError> {
    let t = view(chain, registry, Registry::termsCall { id: U256::from(id) })?;
    Ok(t.fee)
}

/// Where a result stands (mirrors `Registry.Verdict`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// In its window, or its games are not all over.
    Pending,
    /// A challenger won a game against it.
    Rejected,
    /// Its window and all its games are over, none lost.
    Final,
}

/// A posted result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultView {
    /// Its id.
    pub id: u64,
    /// The request it answers.
    pub request: u64,
    /// Who posted it.
    pub submitter: Address,
    /// Claimed final root.
    pub final_root: [u8; 32],
    /// Claimed step count.
    pub steps: u64,
    /// End of its challenge window.
    pub deadline: u64,
    /// Games on it not over yet.
    pub open_games: u32,
    /// Where it stands.
    pub verdict: Verdict,
}

/// Reads result `id`.
pub fn result(chain: &mut dyn Chain, registry: Address, id: u64) -> Result<ResultView, ChainError> {
    let call = Registry::resultInfoCall {
        resultId: U256::from(id),
    };
    let r = view(chain, registry, call)?;
    let verdict = match r.verdict {
        0 => Verdict::Pending,
        1 => Verdict::Rejected,
        2 => Verdict::Final,
        _ => return Err(ChainError::Backend("unknown result verdict".into())),
    };
    Ok(ResultView {
        id,
        request: r.requestId.saturating_to(),
        submitter: r.submitter,
        final_root: r.finalRoot.0,
        steps: r.steps,
        deadline: r.deadline,
        open_games: r.openGames,
        verdict,
    })
}

/// A challenge of a result: one game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeView {
    /// Its id.
    pub id: u64,
    /// The result challenged.
    pub result: u64,
    /// Who challenged.
    pub challenger: Address,
    /// Its game in the dispute game contract.
    pub game: u64,
    /// Whether its bond has been paid out (its game ended, or it was reclaimed).
    pub settled: bool,
}

/// Reads challenge `id`.
pub fn challenge(
    chain: &mut dyn Chain,
    registry: Address,
    id: u64,
) -> Result<ChallengeView, ChainError> {
    let call = Registry::challengeInfoCall {
        challengeId: U256::from(id),
    };
    let c = view(chain, registry, call)?;
    Ok(ChallengeView {
        id,
        result: c.resultId.saturating_to(),
        challenger: c.challenger,
        game: c.gameId.saturating_to(),
        settled: c.settled,
    })
}

/// The challenges of result `result` of request `request`, oldest first (found by the
/// registry's `Challenged` events).
pub fn challenges(
    chain: &mut dyn Chain,
    registry: Address,
    request: u64,
    result: u64,
) -> Result<Vec<ChallengeView>, ChainError> {
    let topics = [
        Registry::Challenged::SIGNATURE_HASH,
        B256::from(U256::from(request)),
        B256::from(U256::from(result)),
    ];
    let ids = chain
        .logs(registry, &topics)?
        .iter()
        .map(|log| {
            Registry::Challenged::decode_log_data(&log.data)
                .map(|e| e.challenge.saturating_to())
                .map_err(|e| ChainError::Backend(format!("bad Challenged event: {e}")))
        })
        .collect::<Result<Vec<u64>, _>>()?;
    ids.into_iter()
        .map(|id| challenge(chain, registry, id))
        .collect()
}

/// Who must move in a game (mirrors `DisputeGame.Turn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Turn {
    /// The defender must post roots.
    Defender,
    /// The challenger must pick a segment or prove the step.
    Challenger,
    /// The game is over.
    Over,
    /// At a leaf the owner holds (a two-phase game's node, played as a second game).
    Held,
}

/// A game as the contract holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameView {
    /// Defender (the submitter).
    pub defender: Address,
    /// Challenger.
    pub challenger: Address,
    /// Agreed step.
    pub lo: u64,
    /// Disputed step.
    pub hi: u64,
    /// Agreed root.
    pub lo_root: [u8; 32],
    /// Whose move it is.
    pub turn: Turn,
    /// Outcome once over.
    pub challenger_won: bool,
    /// Defender's remaining seconds.
    pub defender_clock: u64,
    /// Challenger's remaining seconds.
    pub challenger_clock: u64,
    /// Time of the last move.
    pub last_move: u64,
}

impl GameView {
    /// Whether the party to move has run out of time at `now`.
    pub fn timed_out(&self, now: u64) -> bool {
        let clock = match self.turn {
            Turn::Defender => self.defender_clock,
            Turn::Challenger => self.challenger_clock,
            Turn::Over | Turn::Held => return false,
        };
        now.saturating_sub(self.last_move) > clock
    }
}

/// Reads game `id`.
pub fn game(chain: &mut dyn Chain, at: Address, id: u64) -> Result<GameView, ChainError> {
    let g = view(
        chain,
        at,
        DisputeGame::infoCall {
            gameId: U256::from(id),
        },
    )?;
    let turn = match g.turn {
        0 => Turn::Defender,
        1 => Turn::Challenger,
        2 => Turn::Over,
        3 => Turn::Held,
        _ => return Err(ChainError::Backend("unknown turn".into())),
    };
    Ok(GameView {
        defender: g.defender,
        challenger: g.challenger,
        lo: g.lo,
        hi: g.hi,
        lo_root: g.loRoot.0,
        turn,
        challenger_won: g.challengerWon,
        defender_clock: g.defenderClock,
        challenger_clock: g.challengerClock,
        last_move: g.lastMove,
    })
}

/// The points of the current round and the inner roots posted for it (from the game's
/// latest `Dissected` event; none before the defender's move).
pub fn round(
    chain: &mut dyn Chain,
    at: Address,
    id: u64,
) -> Result<(Vec<u64>, Vec<[u8; 32]>), ChainError> {
    let call = DisputeGame::pointsCall {
        gameId: U256::from(id),
    };
    let points = view(chain, at, call)?;
    let topics = [
        DisputeGame::Dissected::SIGNATURE_HASH,
        B256::from(U256::from(id)),
    ];
    let roots = match chain.logs(at, &topics)?.last() {
        Some(log) => DisputeGame::Dissected::decode_log_data(&log.data)
            .map_err(|e| ChainError::Backend(format!("bad Dissected event: {e}")))?
            .roots
            .into_iter()
            .map(|r| r.0)
            .collect(),
        None => Vec::new(),
    };
    Ok((points, roots))
}

/// A request as its `Requested` event tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// The request id.
    pub request: u64,
    /// The model it runs.
    pub model: u64,
    /// The input bytes.
    pub input: Vec<u8>,
}

/// Requests posted to `registry` (all of them, or request `id` only), oldest first.
pub fn posted(
    chain: &mut dyn Chain,
    registry: Address,
    id: Option<u64>,
) -> Result<Vec<Posted>, ChainError> {
    let mut topics = vec![Registry::Requested::SIGNATURE_HASH];
    topics.extend(id.map(|id| B256::from(U256::from(id))));
    chain
        .logs(registry, &topics)?
        .iter()
        .map(|log| {
            let e = Registry::Requested::decode_log_data(&log.data)
                .map_err(|e| ChainError::Backend(format!("bad Requested event: {e}")))?;
            Ok(Posted {
                request: e.request.saturating_to(),
                model: e.model.saturating_to(),
                input: e.input.to_vec(),
            })
        })
        .collect()
}

/// The input bytes of request `id`, from the registry's `Requested` event.
pub fn request_input(
    chain: &mut dyn Chain,
    registry: Address,
    id: u64,
) -> Result<Vec<u8>, ChainError> {
    match posted(chain, registry, Some(id))?.into_iter().next() {
        Some(p) => Ok(p.input),
        None => Err(ChainError::Backend(format!(
            "registry {registry} has no request {id}"
        ))),
    }
}
