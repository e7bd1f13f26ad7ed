//! The submitter and the challenger: one agent, two roles, over any [`Chain`]. Each
//! [`Agent::poll`] reads the chain and makes at most one move; the agent's state is
//! saved after every move and resumed from its file after a restart.

use super::chain::{Chain, ChainError};
use super::claims::{Behavior, Claims};
use super::contracts::{Deployment, DisputeGame, Registry};
use super::onchain::{self, RequestStatus, Turn};
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
    /// The game it plays, once one started.
    pub game: Option<u64>,
    /// Whether it posted (submitter) or challenged (challenger).
    pub acted: bool,
    /// Whether its part is over.
    pub done: bool,
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
            game: None,
            acted: false,
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
    /// Challenged the result, starting a game.
    Challenged {
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
    /// Challenger: the result matched its own run and became final unchallenged.
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
        let action = match self.state.role {
            Role::Submitter => self.poll_submitter(chain)?,
            Role::Challenger => self.poll_challenger(chain)?,
        };
        if let Some(Action::Done { .. } | Action::Agreed) = action {
            self.state.done = true;
        }
        if action.is_some() {
            self.save()?;
        }
        Ok(action)
    }

    fn registry(&self) -> Address {
        self.state.deployment.registry
    }

    fn poll_submitter(&mut self, chain: &mut dyn Chain) -> Result<Option<Action>, GameError> {
        let id = self.state.request;
        let r = onchain::request(chain, self.registry(), id)?;
        let mine = r.submitter == self.state.me;
        match r.status {
            RequestStatus::Open if !self.state.acted => self.submit(chain).map(Some),
            // Our result was removed: a challenger won.
            RequestStatus::Open => Ok(Some(Action::Done { won: false })),
            RequestStatus::Finalized => Ok(Some(Action::Done { won: mine })),
            RequestStatus::Pending if mine && chain.now()? >= r.deadline => {
                let call = Registry::finalizeCall { id: U256::from(id) };
                let gas = onchain::send(chain, self.state.me, self.registry(), call, U256::ZERO)?;
                Ok(Some(Action::Finalized { gas: gas.gas_used }))
            }
            RequestStatus::Challenged if mine => {
                self.state.game = Some(r.game);
                self.play(chain, r.game)
            }
            _ => Ok(None),
        }
    }

    fn poll_challenger(&mut self, chain: &mut dyn Chain) -> Result<Option<Action>, GameError> {
        let id = self.state.request;
        let r = onchain::request(chain, self.registry(), id)?;
        if let Some(g) = self.state.game {
            let view = onchain::game(chain, self.state.deployment.game, g)?;
            if view.turn == Turn::Over {
                return Ok(Some(Action::Done {
                    won: view.challenger_won,
                }));
            }
            return self.play(chain, g);
        }
        let open = r.status == RequestStatus::Pending && chain.now()? < r.deadline;
        if open && !self.state.acted && self.claims.disputes(&r.final_root, r.steps) {
            let bond = onchain::view(chain, self.registry(), Registry::bondCall {})?;
            let call = Registry::challengeCall { id: U256::from(id) };
            let receipt = onchain::send(chain, self.state.me, self.registry(), call, bond)?;
            let r = onchain::request(chain, self.registry(), id)?;
            self.state.acted = true;
            self.state.game = Some(r.game);
            return Ok(Some(Action::Challenged {
                game: r.game,
                gas: receipt.gas_used,
            }));
        }
        // Not in a game: we never challenged this result.
        if r.status == RequestStatus::Finalized {
            return Ok(Some(Action::Agreed));
        }
        Ok(None)
    }

    fn submit(&mut self, chain: &mut dyn Chain) -> Result<Action, GameError> {
        let bond = onchain::view(chain, self.registry(), Registry::bondCall {})?;
        let f = &self.claims.final_state;
        let call = Registry::submitCall {
            id: U256::from(self.state.request),
            output: Bytes::copy_from_slice(&f.output),
            steps: self.claims.steps,
            prefix: Bytes::copy_from_slice(&f.prefix),
            pages: f.pages,
            limit: f.limit,
            outputPath: f.output_path.map(FixedBytes),
        };
        let receipt = onchain::send(chain, self.state.me, self.registry(), call, bond)?;
        self.state.acted = true;
        Ok(Action::Submitted {
            steps: self.claims.steps,
            gas: receipt.gas_used,
        })
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
                let proof = self.claims.exec.trace.prove(view.lo)?;
                let call = DisputeGame::proveCall {
                    gameId: U256::from(g),
                    proof: proof.bytes.into(),
                };
                let gas = onchain::send(chain, self.state.me, at, call, U256::ZERO)?.gas_used;
                return Ok(Some(Action::Proved {
                    step: view.lo,
                    op: proof.outcome.op,
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
