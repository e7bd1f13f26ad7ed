//! What an operator checks after a dispute: a request's status, every result posted on
//! it with its games, and the answer, read from the chain in one [`RequestReport`].

use super::chain::{Chain, ChainError};
use super::contracts::Deployment;
use super::onchain::{self, RequestStatus, Turn, Verdict};
use crate::hex::hex;
use alloy_primitives::Address;

/// A request with its results and their games.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RequestReport {
    /// The request id.
    pub request: u64,
    /// Where it stands.
    pub status: RequestStatus,
    /// The start root the registry derived from its input.
    pub start_root: String,
    /// Every result posted, oldest first.
    pub results: Vec<ResultReport>,
    /// The result that answered it, once finalized.
    pub answer: Option<u64>,
    /// The answer's output bytes (hex), once finalized.
    pub output: Option<String>,
}

/// One posted result and its games.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResultReport {
    /// Its id.
    pub id: u64,
    /// Who posted it.
    pub submitter: Address,
    /// Claimed final root.
    pub final_root: String,
    /// Claimed step count.
    pub steps: u64,
    /// End of its challenge window (chain time, seconds).
    pub deadline: u64,
    /// Where it stands.
    pub verdict: Verdict,
    /// Its games, oldest first.
    pub games: Vec<GameReport>,
}

/// One game on a result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GameReport {
    /// The registry's challenge id.
    pub challenge: u64,
    /// The game id.
    pub game: u64,
    /// Who challenged.
    pub challenger: Address,
    /// The disputed segment now: agreed step `lo`, disputed step `hi`.
    pub segment: (u64, u64),
    /// Who must move, or `Over`.
    pub turn: Turn,
    /// Once over: whether the challenger won.
    pub challenger_won: Option<bool>,
    /// Whether the challenge's bond is paid out.
    pub settled: bool,
}

/// Reads request `id` of the arbiter `d` with its results and games.
pub fn request_report(
    chain: &mut dyn Chain,
    d: &Deployment,
    id: u64,
) -> Result<RequestReport, ChainError> {
    let posted = onchain::posted(chain, d.registry, Some(id))?;
    if posted.is_empty() {
        return Err(ChainError::Backend(format!(
            "registry {} has no request {id}",
            d.registry
        )));
    }
    let r = onchain::request(chain, d.registry, id)?;
    let mut results = Vec::with_capacity(r.results.len());
    for &rid in &r.results {
        let res = onchain::result(chain, d.registry, rid)?;
        let mut games = Vec::new();
        for c in onchain::challenges(chain, d.registry, id, rid)? {
            let g = onchain::game(chain, d.game, c.game)?;
            games.push(GameReport {
                challenge: c.id,
                game: c.game,
                challenger: c.challenger,
                segment: (g.lo, g.hi),
                turn: g.turn,
                challenger_won: (g.turn == Turn::Over).then_some(g.challenger_won),
                settled: c.settled,
            });
        }
        results.push(ResultReport {
            id: rid,
            submitter: res.submitter,
            final_root: hex(&res.final_root),
            steps: res.steps,
            deadline: res.deadline,
            verdict: res.verdict,
            games,
        });
    }
    let output = match r.answer {
        Some(_) => Some(hex(&onchain::output(chain, d.registry, id)?)),
        None => None,
    };
    Ok(RequestReport {
        request: id,
        status: r.status,
        start_root: hex(&r.start_root),
        results,
        answer: r.answer,
        output,
    })
}
