//! An agent's seat at requests on a live chain: the checks before it plays (the
//! deployment's parameters are playable at its pace, a request's start root is this
//! model's on this input, a saved state belongs to this seat) and the patience with
//! which it rides out a node that goes away or a move that reverts.

use crate::agent::{Action, Agent, AgentState, Role};
use crate::chain::{Chain, ChainError};
use crate::claims::{Cheat, Claims};
use crate::contracts::{Deployment, ParamError, Params};
use crate::hex::hex;
use crate::job::Execution;
use crate::{onchain, GameError};
use alloy_primitives::Address;
use opml_host::interrupt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a seat refuses to play a request.
#[derive(Debug, thiserror::Error)]
pub enum SeatError {
    /// The deployment's clock or window cannot be kept at the seat's pace.
    #[error("refusing to play on registry {registry}: {source}")]
    Unplayable {
        /// The registry.
        registry: Address,
        /// What does not fit.
        source: ParamError,
    },
    /// The request was posted for another model or input.
    #[error("request {request}: its start root on chain is {on_chain}, this model and input give {local}")]
    StartRoot {
        /// The request.
        request: u64,
        /// Its start root on chain (hex).
        on_chain: String,
        /// The honest run's start root (hex).
        local: String,
    },
    /// A saved state belongs to another account, deployment, request or role.
    #[error("{path} holds the {role:?} of request {request} for {me} on registry {registry}, not this one")]
    NotMine {
        /// The state file.
        path: PathBuf,
        /// Its role.
        role: Role,
        /// Its request.
        request: u64,
        /// Its account.
        me: Address,
        /// Its registry.
        registry: Address,
    },
    /// Only a submitter can be told to cheat.
    #[error("a challenger cannot cheat as a submitter does ({0:?})")]
    CheatingChallenger(Cheat),
    /// Reading the chain or the state file failed.
    #[error(transparent)]
    Game(#[from] GameError),
}

impl From<ChainError> for SeatError {
    fn from(e: ChainError) -> Self {
        SeatError::Game(GameError::Chain(e))
    }
}

/// Who plays: the account, the arbiter, the side, and how long one of its moves takes
/// from seeing the chain to being mined.
#[derive(Clone, Copy, Debug)]
pub struct Seat {
    /// The account it sends from.
    pub me: Address,
    /// The arbiter it plays on.
    pub deployment: Deployment,
    /// Its side.
    pub role: Role,
    /// Seconds one move may take.
    pub move_seconds: u64,
}

/// How [`Seat::open`] got its agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A new agent; its state file was created.
    Fresh,
    /// The agent saved in the state file, which holds these challenges.
    Resumed {
        /// Its result, for a submitter.
        result: Option<u64>,
        /// Its challenges, for a challenger.
        challenges: Vec<u64>,
    },
}

impl Seat {
    /// The agent of `request` on `input`, whose honest run is `exec`:
    /// resumed from `path` when it exists, else new (a submitter departing from the
    /// honest run as `cheat` says). Refuses a deployment it cannot play at its pace, a
    /// request whose start root is not `exec`'s, and a state file of another seat.
    pub fn open(
        &self,
        chain: &mut dyn Chain,
        exec: Execution,
        request: u64,
        input: &[u8],
        path: &Path,
        cheat: Cheat,
    ) -> Result<(Agent, Opened), SeatError> {
        let registry = self.deployment.registry;
        Params::read(chain, registry)?
            .check_playable(exec.steps, self.move_seconds)
            .map_err(|source| SeatError::Unplayable { registry, source })?;
        let on_chain = onchain::request(chain, registry, request)?;
        if on_chain.start_root != exec.start_root {
            return Err(SeatError::StartRoot {
                request,
                on_chain: hex(&on_chain.start_root),
                local: hex(&exec.start_root),
            });
        }
        let (state, opened) = if path.exists() {
            let s = Agent::load_state(path)?;
            if (s.me, s.deployment, s.request, s.role)
                != (self.me, self.deployment, request, self.role)
            {
                return Err(SeatError::NotMine {
                    path: path.to_path_buf(),
                    role: s.role,
                    request: s.request,
                    me: s.me,
                    registry: s.deployment.registry,
                });
            }
            let opened = Opened::Resumed {
                result: s.result,
                challenges: s.challenged.iter().map(|c| c.challenge).collect(),
            };
            (s, opened)
        } else {
            if self.role == Role::Challenger && cheat != Cheat::None {
                return Err(SeatError::CheatingChallenger(cheat));
            }
            let state = AgentState::fresh(
                self.me,
                self.deployment,
                request,
                self.role,
                cheat.behavior(exec.steps),
                input,
            );
            (state, Opened::Fresh)
        };
        let output_page = exec.layout.output_page;
        let claims = Claims::new(exec, state.behavior, output_page)?;
        Ok((Agent::new(state, claims, Some(path.to_path_buf()))?, opened))
    }
}

/// Consecutive reverted moves an agent rides out before it stops: the chain may have
/// moved under a move (another party moved first), but a move that keeps reverting is
/// a bug to report, not to repeat forever.
pub const REVERT_RETRIES: u32 = 3;
/// Longest wait between two tries while the node is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// First wait after the node became unreachable.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// How an agent is doing with its node: consecutive reverts and since when the node is
/// unreachable.
#[derive(Debug, Default)]
pub struct Patience {
    reverts: u32,
    outage: Option<(Instant, Duration)>,
}

/// What one patient poll came to.
#[derive(Debug)]
pub enum Polled {
    /// The agent polled; it moved when `Some`. `recovered` is how long the node had
    /// been unreachable before this poll, if it had.
    Polled {
        /// The move, if any.
        action: Option<Action>,
        /// The outage that just ended.
        recovered: Option<Duration>,
    },
    /// The node is unreachable (for `down` so far); the seat waited `waited`.
    NodeDown {
        /// The backend's error.
        error: String,
        /// How long the node has been unreachable.
        down: Duration,
        /// How long this poll waited before returning.
        waited: Duration,
    },
    /// A move reverted; the chain will be read again (attempt `attempt` of
    /// [`REVERT_RETRIES`]).
    Reverted {
        /// The revert.
        error: ChainError,
        /// Consecutive reverts so far.
        attempt: u32,
    },
}

impl Patience {
    /// One poll of `agent`, riding out chain trouble: while the node is unreachable it
    /// waits with growing pauses (up to [`MAX_BACKOFF`]) for as long as it takes (each
    /// game's clock is on chain: acting as soon as the node is back is all an agent can
    /// do); a move that reverts is re-read and retried up to [`REVERT_RETRIES`] times in
    /// a row, then the error is returned.
    pub fn poll(&mut self, agent: &mut Agent, chain: &mut dyn Chain) -> Result<Polled, GameError> {
        match agent.poll(chain) {
            Ok(action) => {
                self.reverts = 0;
                let recovered = self.outage.take().map(|(since, _)| since.elapsed());
                Ok(Polled::Polled { action, recovered })
            }
            Err(GameError::Chain(ChainError::Backend(error))) => {
                let (since, pause) = match self.outage {
                    None => (Instant::now(), FIRST_BACKOFF),
                    Some((since, pause)) => (since, (pause * 2).min(MAX_BACKOFF)),
                };
                self.outage = Some((since, pause));
                interrupt::sleep(pause);
                Ok(Polled::NodeDown {
                    error,
                    down: since.elapsed(),
                    waited: pause,
                })
            }
            Err(GameError::Chain(error)) if self.reverts < REVERT_RETRIES => {
                self.reverts += 1;
                Ok(Polled::Reverted {
                    error,
                    attempt: self.reverts,
                })
            }
            Err(e) => Err(e),
        }
    }
}
