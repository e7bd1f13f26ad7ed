//! The submitter and the challenger: one agent, two roles, over any [`Chain`]. Each
//! [`Agent::poll`] reads the chain and makes at most one move; the agent's state is
//! saved after every move and resumed from its file after a restart.
//!
//! A submitter posts one result and defends it in every game opened against it, then
//! finalizes it. A challenger watches the request until it is finalized: it challenges
//! every pending result that differs from its own run, however many are posted and
//! however often, and plays each of its games to the end.

use super::chain::{Chain, ChainError};
use super::claims::{Behavior, Claims};
use super::contracts::{Deployment, DisputeGame, Registry};
use super::onchain::{self, RequestStatus, Turn, Verdict};
use super::trace::StateTrace;
use super::{store, GameError};
use alloy_primitives::{Address, Bytes, FixedBytes, U256};
use opml_vm::Op;
use std::path::PathBuf;

/// Which side an agent plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// Posts results and defends them.
    Submitter,
    /// Checks results and challenges the wrong ones.
    Challenger,
}

/// What an agent remembers across restarts (everything else is on chain or is
/// recomputed from the job and the input).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentState {
    /// The agent's account.
    pub me: Address,
    /// The arbiter it talks to.
    pub deployment: Deployment,
    /// The agent's side.
    pub role: Role,
    /// How it departs from the honest execution.
    pub behavior: Behavior,
    /// Whether it stops answering in games.
    pub silent: bool,
    /// The request it works on.
    pub request: u64,
    /// The request's input.
    pub input: Vec<u8>,
    /// Submitter: the result it posted, once posted.
    pub result: Option<u64>,
    /// Challenger: the results it challenged, each with its challenge and game.
    pub challenged: Vec<Challenged>,
    /// Whether its part is over.
    pub done: bool,
}

/// A challenge an agent made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Challenged {
    /// The result challenged.
    pub result: u64,
    /// The registry's challenge id.
    pub challenge: u64,
    /// The game.
    pub game: u64,
}

impl AgentState {
    /// The state of an agent that has not acted yet: `role` on `request`, departing
    /// from the honest execution as `behavior` says, answering in games.
    pub fn fresh(
        me: Address,
        deployment: Deployment,
        request: u64,
        role: Role,
        behavior: Behavior,
        input: &[u8],
    ) -> AgentState {
        AgentState {
            me,
            deployment,
            role,
            behavior,
            silent: false,
            request,
            input: input.to_vec(),
            result: None,
            challenged: Vec::new(),
            done: false,
        }
    }
}

/// One move an agent made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Posted a result.
    Submitted {
        /// Claimed steps.
        steps: u64,
        /// Gas used.
        gas: u64,
    },
    /// Challenged a result, starting a game.
    Challenged {
        /// The result.
        result: u64,
        /// The game.
        game: u64,
        /// Gas used.
        gas: u64,
    },
    /// Posted the roots cutting `[lo, hi]`.
    Dissected {
        /// Agreed step.
        lo: u64,
        /// Disputed step.
        hi: u64,
        /// Roots posted.
        roots: usize,
        /// Gas used.
        gas: u64,
    },
    /// Picked the segment `[lo, hi]`.
    Picked {
        /// New agreed step.
        lo: u64,
        /// New disputed step.
        hi: u64,
        /// Gas used.
        gas: u64,
    },
    /// Proved step `step + 1` on chain.
    Proved {
        /// The pre-state's step.
        step: u64,
        /// The instruction (`None`: the pre-state had already stopped).
        op: Option<Op>,
        /// Gas of the whole transaction (verifier call included).
        gas: u64,
    },
    /// Took back the bond of a challenge whose result another game rejected.
    Reclaimed {
        /// The game left unfinished.
        game: u64,
        /// Gas used.
        gas: u64,
    },
    /// Ended a game on the other side's time.
    ClaimedTimeout {
        /// Gas used.
        gas: u64,
    },
    /// Made the result final.
    Finalized {
        /// Gas used.
        gas: u64,
    },
    /// Challenger: the request was answered by a result matching its own run, and it
    /// challenged nothing.
    Agreed,
    /// The agent's part is over.
    Done {
        /// Whether its side won (or its result stands).
        won: bool,
    },
}

impl Action {
    /// Gas of the transaction the move sent (`None` for moves that send nothing).
    pub fn gas(&self) -> Option<u64> {
        match *self {
            Action::Submitted { gas, .. }
            | Action::Challenged { gas, .. }
            | Action::Dissected { gas, .. }
            | Action::Picked { gas, .. }
            | Action::Proved { gas, .. }
            | Action::Reclaimed { gas, .. }
            | Action::ClaimedTimeout { gas }
            | Action::Finalized { gas } => Some(gas),
            Action::Agreed | Action::Done { .. } => None,
        }
    }
}

/// A submitter or challenger.
pub struct Agent {
    /// Its state (saved to `path`).
    pub state: AgentState,
    claims: Claims,
    path: Option<PathBuf>,
}

impl Agent {
    /// An agent with fresh state, saved to `path` when given.
    pub fn new(
        state: AgentState,
        claims: Claims,
        path: Option<PathBuf>,
    ) -> Result<Agent, GameError> {
        let agent = Agent {
            state,
            claims,
            path,
        };
        agent.save()?;
        Ok(agent)
    }

    /// Reads a saved state (to rebuild the claims before [`Agent::new`]).
    pub fn load_state(path: &std::path::Path) -> Result<AgentState, GameError> {
        Ok(store::load(path)?)
    }

    fn save(&self) -> Result<(), GameError> {
        if let Some(p) = &self.path {
            store::save(p, &self.state)?;
        }
        Ok(())
    }

    /// Reads the chain and makes at most one move.
    pub fn poll(&mut self, chain: &mut dyn Chain) -> Result<Option<Action>, GameError> {
        if self.state.done {
            return Ok(None);
        }
        let before = self.state.clone();
        let action = match self.state.role {
            Role::Submitter => self.poll_submitter(chain)?,
            Role::Challenger => self.poll_challenger(chain)?,
        };
        if let Some(Action::Done { .. } | Action::Agreed) = action {
            self.state.done = true;
        }
        if self.state != before {
            self.save()?;
        }
        Ok(action)
    }

    fn registry(&self) -> Address {
        self.state.deployment.registry
    }

    fn poll_submitter(&mut self, chain: &mut dyn Chain) -> Result<Option<Action>, GameError> {
        let Some(id) = self.state.result else {
            let r = onchain::request(chain, self.registry(), self.state.request)?;
            if let Some(id) = self.find_mine(chain, &r.results)? {
                // Posted before a crash or an outage hid the receipt: adopt it.
                self.state.result = Some(id);
                return Ok(None);
            }
            if r.status == RequestStatus::Finalized {
                // Answered before we posted: nothing to do.
                return Ok(Some(Action::Done { won: false }));
            }
            return self.submit(chain).map(Some);
        };
        let res = onchain::result(chain, self.registry(), id)?;
        match res.verdict {
            Verdict::Rejected => return Ok(Some(Action::Done { won: false })),
            Verdict::Final => return Ok(Some(Action::Done { won: true })),
            Verdict::Pending => {}
        }
        // Defend every game on our result that is not over.
        if res.open_games > 0 {
            let games = onchain::challenges(chain, self.registry(), res.request, id)?;
            for c in games {
                if let Some(action) = self.play(chain, c.game)? {
                    return Ok(Some(action));
                }
            }
            return Ok(None);
        }
        if chain.now()? >= res.deadline {
            let call = Registry::finalizeCall {
                resultId: U256::from(id),
            };
            let gas = onchain::send(chain, self.state.me, self.registry(), call, U256::ZERO)?;
            return Ok(Some(Action::Finalized { gas: gas.gas_used }));
        }
        Ok(None)
    }

    fn poll_challenger(&mut self, chain: &mut dyn Chain) -> Result<Option<Action>, GameError> {
        let registry = self.registry();
        let r = onchain::request(chain, registry, self.state.request)?;
        // Our games first: they run on our clock.
        let mut open = 0;
        for c in self.state.challenged.clone() {
            let game = onchain::game(chain, self.state.deployment.game, c.game)?;
            if game.turn == Turn::Over || onchain::challenge(chain, registry, c.challenge)?.settled
            {
                continue;
            }
            if onchain::result(chain, registry, c.result)?.verdict == Verdict::Rejected {
                // Another game already rejected it: take the bond back, stop playing.
                let call = Registry::reclaimCall {
                    challengeId: U256::from(c.challenge),
                };
                let gas = onchain::send(chain, self.state.me, registry, call, U256::ZERO)?;
                return Ok(Some(Action::Reclaimed {
                    game: c.game,
                    gas: gas.gas_used,
                }));
            }
            open += 1;
            if let Some(action) = self.play(chain, c.game)? {
                return Ok(Some(action));
            }
        }
        // Then every pending result we dispute and have not challenged yet.
        let now = chain.now()?;
        for &id in &r.results {
            if self.state.challenged.iter().any(|c| c.result == id) {
                continue;
            }
            let res = onchain::result(chain, registry, id)?;
            if res.verdict != Verdict::Pending || now >= res.deadline {
                continue;
            }
            if !self.claims.disputes(&res.final_root, res.steps) {
                continue;
            }
            if let Some(c) = self.my_challenge(chain, &res)? {
                // Challenged before a crash or an outage hid the receipt: adopt it.
                self.adopt(&c);
                return Ok(None);
            }
            return self.challenge(chain, &res).map(Some);
        }
        if r.status == RequestStatus::Finalized && open == 0 {
            let won = self.won(chain)?;
            return Ok(Some(match won {
                None => Action::Agreed,
                Some(won) => Action::Done { won },
            }));
        }
        Ok(None)
    }

    /// Challenges result `res`; records the challenge.
    fn challenge(
        &mut self,
        chain: &mut dyn Chain,
        res: &onchain::ResultView,
    ) -> Result<Action, GameError> {
        let registry = self.registry();
        let bond = onchain::view(chain, registry, Registry::bondCall {})?;
        let call = Registry::challengeCall {
            resultId: U256::from(res.id),
        };
        let receipt = onchain::send(chain, self.state.me, registry, call, bond)?;
        let mine = self.my_challenge(chain, res)?.ok_or_else(|| {
            ChainError::Backend(format!("challenge of result {} not found", res.id))
        })?;
        self.adopt(&mine);
        Ok(Action::Challenged {
            result: res.id,
            game: mine.game,
            gas: receipt.gas_used,
        })
    }

    /// Our newest challenge of `res`, found on chain.
    fn my_challenge(
        &self,
        chain: &mut dyn Chain,
        res: &onchain::ResultView,
    ) -> Result<Option<onchain::ChallengeView>, GameError> {
        let all = onchain::challenges(chain, self.registry(), res.request, res.id)?;
        Ok(all
            .into_iter()
            .rev()
            .find(|c| c.challenger == self.state.me))
    }

    /// Records challenge `c` as ours.
    fn adopt(&mut self, c: &onchain::ChallengeView) {
        self.state.challenged.push(Challenged {
            result: c.result,
            challenge: c.id,
            game: c.game,
        });
    }

    /// Whether any of our games was won (`None`: we challenged nothing).
    fn won(&mut self, chain: &mut dyn Chain) -> Result<Option<bool>, GameError> {
        if self.state.challenged.is_empty() {
            return Ok(None);
        }
        let mut won = false;
        for c in &self.state.challenged {
            won |= onchain::game(chain, self.state.deployment.game, c.game)?.challenger_won;
        }
        Ok(Some(won))
    }

    fn submit(&mut self, chain: &mut dyn Chain) -> Result<Action, GameError> {
        let registry = self.registry();
        let bond = onchain::view(chain, registry, Registry::bondCall {})?;
        let f = &self.claims.final_state;
        let call = Registry::submitCall {
            id: U256::from(self.state.request),
            output: Bytes::copy_from_slice(&f.output),
            steps: self.claims.transitions(),
            prefix: Bytes::copy_from_slice(&f.prefix),
            pages: f.pages,
            limit: f.limit,
            outputPath: f.output_path.map(FixedBytes),
        };
        let receipt = onchain::send(chain, self.state.me, registry, call, bond)?;
        let r = onchain::request(chain, registry, self.state.request)?;
        let mine = self.find_mine(chain, &r.results)?.ok_or_else(|| {
            ChainError::Backend(format!(
                "request {}: our result is not on chain after submitting",
                self.state.request
            ))
        })?;
        self.state.result = Some(mine);
        Ok(Action::Submitted {
            steps: self.claims.transitions(),
            gas: receipt.gas_used,
        })
    }

    /// The newest of `results` posted by us with our claimed final root and not
    /// rejected (a rejected one is not worth defending: we may post again).
    fn find_mine(
        &mut self,
        chain: &mut dyn Chain,
        results: &[u64],
    ) -> Result<Option<u64>, GameError> {
        for &id in results.iter().rev() {
            let res = onchain::result(chain, self.registry(), id)?;
            let ours = res.submitter == self.state.me && res.final_root == self.claims.final_root;
            if ours && res.verdict != Verdict::Rejected {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// One move in game `g`, if it is ours (or the other side has run out of time).
    fn play(&mut self, chain: &mut dyn Chain, g: u64) -> Result<Option<Action>, GameError> {
        let at = self.state.deployment.game;
        let view = onchain::game(chain, at, g)?;
        let my_turn = match (view.turn, self.state.role) {
            (Turn::Over, _) => return Ok(None),
            (Turn::Defender, Role::Submitter) => view.defender == self.state.me,
            (Turn::Challenger, Role::Challenger) => view.challenger == self.state.me,
            _ => false,
        };
        if !my_turn {
            if view.timed_out(chain.now()?) {
                let call = DisputeGame::timeoutCall {
                    gameId: U256::from(g),
                };
                let receipt = onchain::send(chain, self.state.me, at, call, U256::ZERO)?;
                return Ok(Some(Action::ClaimedTimeout {
                    gas: receipt.gas_used,
                }));
            }
            return Ok(None);
        }
        if self.state.silent {
            return Ok(None);
        }
        let (points, posted) = onchain::round(chain, at, g)?;
        let receipt = match self.state.role {
            Role::Submitter => {
                let inner: Vec<FixedBytes<32>> = points[1..points.len() - 1]
                    .iter()
                    .map(|&p| FixedBytes(self.claims.root(p)))
                    .collect();
                let roots = inner.len();
                let call = DisputeGame::dissectCall {
                    gameId: U256::from(g),
                    inner,
                };
                let gas = onchain::send(chain, self.state.me, at, call, U256::ZERO)?.gas_used;
                return Ok(Some(Action::Dissected {
                    lo: view.lo,
                    hi: view.hi,
                    roots,
                    gas,
                }));
            }
            Role::Challenger if view.hi - view.lo == 1 => {
                let proof = self.claims.prove(view.lo)?;
                let call = DisputeGame::proveCall {
                    gameId: U256::from(g),
                    proof: proof.bytes.into(),
                };
                let gas = onchain::send(chain, self.state.me, at, call, U256::ZERO)?.gas_used;
                return Ok(Some(Action::Proved {
                    step: view.lo,
                    op: proof.op,
                    gas,
                }));
            }
            Role::Challenger => {
                let index = self.first_disagreement(&points, &posted);
                let call = DisputeGame::pickCall {
                    gameId: U256::from(g),
                    index: U256::from(index),
                    inner: posted.iter().map(|r| FixedBytes(*r)).collect(),
                };
                onchain::send(chain, self.state.me, at, call, U256::ZERO)?
            }
        };
        let after = onchain::game(chain, at, g)?;
        Ok(Some(Action::Picked {
            lo: after.lo,
            hi: after.hi,
            gas: receipt.gas_used,
        }))
    }

    /// The segment whose start we agree with and whose end we do not: the first inner
    /// root we dispute ends it; if we agree with all, the last segment (its end is the
    /// disputed root of the game).
    fn first_disagreement(&mut self, points: &[u64], posted: &[[u8; 32]]) -> usize {
        posted
            .iter()
            .zip(&points[1..])
            .position(|(root, &p)| self.claims.root(p) != *root)
            .unwrap_or(posted.len())
    }
}

impl From<ChainError> for GameError {
    fn from(e: ChainError) -> Self {
        GameError::Chain(e)
    }
}
