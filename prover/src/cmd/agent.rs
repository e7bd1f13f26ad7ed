//! The agents on a live chain: `opml agent` plays one side of one request until its part
//! is over; `opml serve` plays one side of every request of a model as they come. Both
//! save each agent's state after every move and resume from it after a restart.

use super::model::ModelArgs;
use super::narrate::{record, short_hex, tell};
use super::operate::DeploymentArgs;
use alloy_primitives::U256;
use anyhow::{ensure, Context, Result};
use opml_game::agent::{Action, Agent, Role};
use opml_game::claims::Cheat;
use opml_game::contracts::Registry;
use opml_game::job::Job;
use opml_game::rpc::RpcChain;
use opml_game::seat::{Opened, Patience, Polled, Seat, SeatError, REVERT_RETRIES};
use opml_game::{onchain, story};
use opml_host::interrupt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// What every agent of one process shares: the chain, the seat (account, arbiter, side,
/// pace) and the job.
struct Table {
    chain: RpcChain,
    seat: Seat,
    job: Job,
}

impl Table {
    fn open(on: &DeploymentArgs, model: &ModelArgs, play: &PlayArgs) -> Result<Table> {
        let job = model.job_without_input()?;
        let (chain, me, deployment) = on.open()?;
        let seat = Seat {
            me,
            deployment,
            role: play.role.role(),
            move_seconds: play.move_seconds,
        };
        Ok(Table { chain, seat, job })
    }

    /// The agent of `request` on `input`: resumed from `path` when it exists, else new
    /// (a submitter departing from the honest run as `cheat` says).
    fn agent(&mut self, request: u64, input: Vec<u8>, path: &Path, cheat: Cheat) -> Result<Agent> {
        let exec = record(&self.job, &input)?;
        let (steps, final_root) = (exec.steps, exec.final_root);
        let (agent, opened) = self
            .seat
            .open(&mut self.chain, exec, request, &input, path, cheat)
            .map_err(|e| match e {
                SeatError::Unplayable { .. } => anyhow::anyhow!(
                    "{e} (lower --move-seconds only if moves really land that fast)"
                ),
                e => e.into(),
            })?;
        if let Opened::Resumed { result, challenges } = opened {
            println!(
                "resuming from {} (result {result:?}, challenges {challenges:?})",
                path.display()
            );
        }
        println!(
            "{:?} {} on request {request}: honest run {steps} steps, final root {}; plays {:?}",
            self.seat.role,
            self.seat.me,
            short_hex(&final_root),
            agent.state.behavior
        );
        Ok(agent)
    }

    /// One poll of `agent`, riding out chain trouble ([`Patience::poll`]); says what
    /// happened.
    fn poll(&mut self, agent: &mut Agent, patience: &mut Patience) -> Result<Option<Action>> {
        let request = agent.state.request;
        Ok(match patience.poll(agent, &mut self.chain)? {
            Polled::Polled { action, recovered } => {
                if let Some(down) = recovered {
                    println!(
                        "request {request}: node reachable again after {:.0} s",
                        down.as_secs_f64()
                    );
                }
                action
            }
            Polled::NodeDown {
                error,
                down,
                waited,
            } => {
                eprintln!(
                    "request {request}: node unreachable for {:.0} s ({error}); retried after {:.1} s",
                    down.as_secs_f64(),
                    waited.as_secs_f64()
                );
                None
            }
            Polled::Reverted { error, attempt } => {
                eprintln!(
                    "request {request}: {error}; reading the chain again ({attempt}/{REVERT_RETRIES})"
                );
                None
            }
        })
    }

    /// Withdraws what the registry credits this account; prints it.
    fn withdraw(&mut self, who: &str) -> Result<()> {
        let registry = self.seat.deployment.registry;
        let paid = story::settle(&mut self.chain, registry, &[self.seat.me])?;
        if let Some(wei) = paid.first().filter(|w| !w.is_zero()) {
            println!("{who}: withdrew {wei} wei");
        }
        Ok(())
    }

    fn who(&self) -> String {
        format!("{:?}", self.seat.role).to_lowercase()
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
    on: DeploymentArgs,
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
    #[arg(long, default_value = "none", value_parser = super::cheat_parser())]
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
    let mut table = Table::open(&a.on, &a.model, &a.play)?;
    let input = match a.model.input_bytes()? {
        Some(input) => input,
        None => onchain::request_input(&mut table.chain, table.seat.deployment.registry, a.request)
            .with_context(|| format!("reading the input of request {}", a.request))?,
    };
    let mut agent = table.agent(a.request, input, &a.state, a.cheat)?;
    let who = table.who();
    let (mut moves, mut patience) = (0, Patience::default());
    while !agent.state.done {
        if interrupt::requested() || a.max_moves.is_some_and(|m| moves >= m) {
            println!(
                "stopped after {moves} moves; state saved in {}: run again to resume",
                a.state.display()
            );
            return Ok(());
        }
        match table.poll(&mut agent, &mut patience)? {
            Some(action) => {
                tell(&who, &action);
                moves += 1;
            }
            None => interrupt::sleep(Duration::from_millis(a.poll_ms)),
        }
    }
    table.withdraw(&who)
}

/// Arguments of `opml serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    on: DeploymentArgs,
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
    let mut table = Table::open(&a.on, &a.model, &a.play)?;
    std::fs::create_dir_all(&a.state_dir)
        .with_context(|| format!("creating {}", a.state_dir.display()))?;
    let who = table.who();
    println!(
        "serving model {} as {who} {} on registry {}",
        a.model_id, table.seat.me, table.seat.deployment.registry
    );
    let mut active: BTreeMap<u64, (Agent, Patience)> = BTreeMap::new();
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
        let registry = table.seat.deployment.registry;
        let count = onchain::view(&mut table.chain, registry, Registry::requestCountCall {})?;
        let count: u64 = count.saturating_to();
        while next < count && !full(taken) {
            let id = next;
            next += 1;
            for p in onchain::posted(&mut table.chain, registry, Some(id))? {
                if p.model != a.model_id {
                    continue;
                }
                let path = a.state_dir.join(format!("request-{id}.json"));
                if path.exists() && Agent::load_state(&path)?.done {
                    continue;
                }
                if let (Role::Submitter, Some(min)) = (table.seat.role, a.min_fee) {
                    let fee = onchain::fee(&mut table.chain, registry, id)?;
                    if fee < U256::from(min) {
                        println!(
                            "request {id}: fee {fee} wei is below --min-fee {min}: not answered"
                        );
                        continue;
                    }
                }
                match table.agent(id, p.input, &path, Cheat::None) {
                    Ok(agent) => {
                        active.insert(id, (agent, Patience::default()));
                        taken += 1;
                    }
                    // One bad request (its input does not run) must not stop the service.
                    Err(e) => eprintln!("request {id}: skipped: {e:#}"),
                }
            }
        }
        let mut moved = false;
        let mut finished = Vec::new();
        for (&id, (agent, patience)) in active.iter_mut() {
            if let Some(action) = table.poll(agent, patience)? {
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
            table.withdraw(&who)?;
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
