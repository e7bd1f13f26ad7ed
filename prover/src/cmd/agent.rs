//! The agents on a live chain: `opml agent` plays one side of one request until its part
//! is over; `opml serve` plays one side of every request of a model as they come. Both
//! save each agent's state after every move and resume from it after a restart.

use super::demo::Cheat;
use super::model::ModelArgs;
use super::narrate::{record, short_hex, tell};
use super::operate::{read_deployment, RpcArgs};
use alloy_primitives::{Address, U256};
use anyhow::{bail, ensure, Context, Result};
use opml_prover::game::agent::{Action, Agent, AgentState, Role};
use opml_prover::game::chain::ChainError;
use opml_prover::game::claims::Claims;
use opml_prover::game::contracts::{Deployment, Params, Registry};
use opml_prover::game::job::Job;
use opml_prover::game::rpc::RpcChain;
use opml_prover::game::{onchain, story, GameError};
use opml_prover::interrupt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `--role`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RoleArg {
    /// Posts the result and defends it.
    Submitter,
    /// Checks the result and challenges it when it is wrong.
    Challenger,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Submitter => Role::Submitter,
            RoleArg::Challenger => Role::Challenger,
        }
    }
}

/// Consecutive reverted moves an agent rides out before it stops: the chain may have
/// moved under a move (another party moved first), but a move that keeps reverting is
/// a bug to report, not to repeat forever.
const REVERT_RETRIES: u32 = 3;
/// Longest wait between two tries while the node is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// How an agent is doing with the node: consecutive failures and since when.
#[derive(Default)]
struct Health {
    reverts: u32,
    outage: Option<(Instant, Duration)>,
}

/// What every agent of one process shares: the chain, its account, the arbiter, the
/// job and the side it plays.
struct Seat {
    chain: RpcChain,
    me: Address,
    deployment: Deployment,
    job: Job,
    role: Role,
    move_seconds: u64,
}

impl Seat {
    fn open(rpc: &RpcArgs, deployment: &Path, model: &ModelArgs, play: &PlayArgs) -> Result<Seat> {
        let deployment = read_deployment(deployment)?;
        let job = model.job_without_input()?;
        let (chain, me) = rpc.connect()?;
        Ok(Seat {
            chain,
            me,
            deployment,
            job,
            role: play.role.role(),
            move_seconds: play.move_seconds,
        })
    }

    /// The agent of `request` on `input`: resumed from `path` when it exists, else new
    /// (a submitter departing from the honest run as `cheat` says).
    fn agent(&mut self, request: u64, input: Vec<u8>, path: &Path, cheat: Cheat) -> Result<Agent> {
        let exec = record(&self.job, &input)?;
        let registry = self.deployment.registry;
        let params = Params::read(&mut self.chain, registry)?;
        params
            .check_playable(exec.steps, self.move_seconds)
            .with_context(|| {
                format!(
                    "refusing to play on registry {registry} (lower --move-seconds only if moves \
                     really land that fast)"
                )
            })?;
        let on_chain = onchain::request(&mut self.chain, registry, request)?;
        ensure!(
            on_chain.start_root == exec.start_root,
            "request {request}: its start root on chain is {}, this model and input give {}",
            short_hex(&on_chain.start_root),
            short_hex(&exec.start_root)
        );
        let state = if path.exists() {
            let s = Agent::load_state(path)?;
            let mine = (self.me, self.deployment, request, self.role);
            ensure!(
                (s.me, s.deployment, s.request, s.role) == mine,
                "{} holds the {:?} of request {} for {} on registry {}, not this one",
                path.display(),
                s.role,
                s.request,
                s.me,
                s.deployment.registry
            );
            println!(
                "resuming from {} (result {:?}, challenges {:?})",
                path.display(),
                s.result,
                s.challenged.iter().map(|c| c.challenge).collect::<Vec<_>>()
            );
            s
        } else {
            if self.role == Role::Challenger && !matches!(cheat, Cheat::None) {
                bail!("--cheat is for a submitter");
            }
            let behavior = cheat.behavior(exec.steps);
            AgentState::fresh(
                self.me,
                self.deployment,
                request,
                self.role,
                behavior,
                &input,
            )
        };
        println!(
            "{:?} {} on request {request}: honest run {} steps, final root {}; plays {:?}",
            self.role,
            self.me,
            exec.steps,
            short_hex(&exec.final_root),
            state.behavior
        );
        let claims = Claims::new(exec, state.behavior, self.job.output_page)?;
        Ok(Agent::new(state, claims, Some(path.to_path_buf()))?)
    }

    /// One poll of `agent`, riding out chain trouble: while the node is unreachable it
    /// waits with growing pauses (up to [`MAX_BACKOFF`]) and says so, for as long as it
    /// takes (each game's clock is on chain: acting as soon as the node is back is all
    /// an agent can do); a move that reverts is re-read and retried up to
    /// [`REVERT_RETRIES`] times in a row.
    fn poll(&mut self, agent: &mut Agent, health: &mut Health) -> Result<Option<Action>> {
        let request = agent.state.request;
        match agent.poll(&mut self.chain) {
            Ok(action) => {
                if let Some((since, _)) = health.outage.take() {
                    println!(
                        "request {request}: node reachable again after {:.0} s",
                        since.elapsed().as_secs_f64()
                    );
                }
                health.reverts = 0;
                Ok(action)
            }
            Err(GameError::Chain(ChainError::Backend(e))) => {
                let (since, pause) = match health.outage {
                    None => (Instant::now(), Duration::from_millis(250)),
                    Some((since, pause)) => (since, (pause * 2).min(MAX_BACKOFF)),
                };
                health.outage = Some((since, pause));
                eprintln!(
                    "request {request}: node unreachable for {:.0} s ({e}); retrying in {:.1} s",
                    since.elapsed().as_secs_f64(),
                    pause.as_secs_f64()
                );
                interrupt::sleep(pause);
                Ok(None)
            }
            Err(GameError::Chain(e)) if health.reverts < REVERT_RETRIES => {
                health.reverts += 1;
                eprintln!(
                    "request {request}: {e}; reading the chain again ({}/{REVERT_RETRIES})",
                    health.reverts
                );
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Withdraws what the registry credits this account; prints it.
    fn withdraw(&mut self, who: &str) -> Result<()> {
        let registry = self.deployment.registry;
        let paid = story::settle(&mut self.chain, registry, &[self.me])?;
        if let Some(wei) = paid.first().filter(|w| !w.is_zero()) {
            println!("{who}: withdrew {wei} wei");
        }
        Ok(())
    }

    fn who(&self) -> String {
        format!("{:?}", self.role).to_lowercase()
    }
}

/// The side an agent plays and how fast it can move.
#[derive(clap::Args)]
pub struct PlayArgs {
    /// The side to play.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Seconds one move may take from seeing the chain to its transaction being mined;
    /// the agent refuses a deployment whose clock does not cover all its moves at this
    /// pace, or whose window is shorter than one move.
    #[arg(long, default_value_t = 15)]
    move_seconds: u64,
}

/// Arguments of `opml agent`.
#[derive(clap::Args)]
pub struct AgentArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// File written by `opml deploy`.
    #[arg(long)]
    deployment: PathBuf,
    /// The request to work on.
    #[arg(long)]
    request: u64,
    #[command(flatten)]
    play: PlayArgs,
    /// The model. The request's input is read from the chain (the registry's
    /// `Requested` event) unless --input is given; either way it is checked against the
    /// request's start root.
    #[command(flatten)]
    model: ModelArgs,
    /// The agent's state file: created on the first run, resumed from afterwards.
    #[arg(long)]
    state: PathBuf,
    /// For demonstrations: a submitter that cheats this way.
    #[arg(long, value_enum, default_value = "none")]
    cheat: Cheat,
    /// Milliseconds between polls of the chain when there is nothing to do.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// Stop after this many moves (the state is saved; run again to resume).
    #[arg(long)]
    max_moves: Option<usize>,
}

/// `opml agent`.
pub fn cmd_agent(a: &AgentArgs) -> Result<()> {
    let mut seat = Seat::open(&a.rpc, &a.deployment, &a.model, &a.play)?;
    let input = match a.model.input_bytes()? {
        Some(input) => input,
        None => onchain::request_input(&mut seat.chain, seat.deployment.registry, a.request)
            .with_context(|| format!("reading the input of request {}", a.request))?,
    };
    let mut agent = seat.agent(a.request, input, &a.state, a.cheat)?;
    let who = seat.who();
    let (mut moves, mut health) = (0, Health::default());
    while !agent.state.done {
        if interrupt::requested() || a.max_moves.is_some_and(|m| moves >= m) {
            println!(
                "stopped after {moves} moves; state saved in {}: run again to resume",
                a.state.display()
            );
            return Ok(());
        }
        match seat.poll(&mut agent, &mut health)? {
            Some(action) => {
                tell(&who, &action);
                moves += 1;
            }
            None => interrupt::sleep(Duration::from_millis(a.poll_ms)),
        }
    }
    seat.withdraw(&who)
}

/// Arguments of `opml serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// File written by `opml deploy`.
    #[arg(long)]
    deployment: PathBuf,
    /// The side to play on every request, and its pace.
    #[command(flatten)]
    play: PlayArgs,
    /// The registered model whose requests to serve.
    #[arg(long)]
    model_id: u64,
    /// The model image (its inputs come from the chain).
    #[command(flatten)]
    model: ModelArgs,
    /// Where each request's agent keeps its state (`request-<id>.json`).
    #[arg(long)]
    state_dir: PathBuf,
    /// Milliseconds between polls of the chain when there is nothing to do.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// As a submitter, answer only requests whose fee is at least this many wei (the
    /// others are reported and left alone).
    #[arg(long)]
    min_fee: Option<u128>,
    /// Take at most this many requests and exit once all of them are over (default:
    /// serve until Ctrl-C). A request in play is never left before it is over.
    #[arg(long)]
    max_requests: Option<usize>,
}

/// `opml serve`.
pub fn cmd_serve(a: &ServeArgs) -> Result<()> {
    ensure!(
        a.model.input.is_none(),
        "opml serve reads every request's input from the chain: drop --input"
    );
    let mut seat = Seat::open(&a.rpc, &a.deployment, &a.model, &a.play)?;
    std::fs::create_dir_all(&a.state_dir)
        .with_context(|| format!("creating {}", a.state_dir.display()))?;
    let who = seat.who();
    println!(
        "serving model {} as {who} {} on registry {}",
        a.model_id, seat.me, seat.deployment.registry
    );
    let mut active: BTreeMap<u64, (Agent, Health)> = BTreeMap::new();
    let (mut next, mut taken, mut ended) = (0u64, 0usize, 0usize);
    let full = |taken: usize| a.max_requests.is_some_and(|m| taken >= m);
    loop {
        if interrupt::requested() {
            println!(
                "stopped with {} requests in play; state saved in {}: run again to resume",
                active.len(),
                a.state_dir.display()
            );
            return Ok(());
        }
        // Requests not looked at yet: their ids are `next..requestCount`.
        let registry = seat.deployment.registry;
        let count = onchain::view(&mut seat.chain, registry, Registry::requestCountCall {})?;
        let count: u64 = count.saturating_to();
        while next < count && !full(taken) {
            let id = next;
            next += 1;
            for p in onchain::posted(&mut seat.chain, registry, Some(id))? {
                if p.model != a.model_id {
                    continue;
                }
                let path = a.state_dir.join(format!("request-{id}.json"));
                if path.exists() && Agent::load_state(&path)?.done {
                    continue;
                }
                if let (Role::Submitter, Some(min)) = (seat.role, a.min_fee) {
                    let fee = onchain::fee(&mut seat.chain, registry, id)?;
                    if fee < U256::from(min) {
                        println!(
                            "request {id}: fee {fee} wei is below --min-fee {min}: not answered"
                        );
                        continue;
                    }
                }
                match seat.agent(id, p.input, &path, Cheat::None) {
                    Ok(agent) => {
                        active.insert(id, (agent, Health::default()));
                        taken += 1;
                    }
                    // One bad request (its input does not run) must not stop the service.
                    Err(e) => eprintln!("request {id}: skipped: {e:#}"),
                }
            }
        }
        let mut moved = false;
        let mut finished = Vec::new();
        for (&id, (agent, health)) in active.iter_mut() {
            if let Some(action) = seat.poll(agent, health)? {
                tell(&format!("{who} #{id}"), &action);
                moved = true;
            }
            if agent.state.done {
                finished.push(id);
            }
        }
        if !finished.is_empty() {
            for id in &finished {
                active.remove(id);
            }
            ended += finished.len();
            seat.withdraw(&who)?;
        }
        if full(taken) && active.is_empty() {
            println!("served {ended} requests");
            return Ok(());
        }
        if !moved {
            interrupt::sleep(Duration::from_millis(a.poll_ms));
        }
    }
}
