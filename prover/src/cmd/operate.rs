//! Running the protocol on a live chain, one party per process: `opml deploy` (the
//! arbiter), `opml request` (register a model and ask for an inference) and `opml
//! agent` (a submitter or a challenger that plays until its part is over and resumes
//! from its state file after a restart).

use super::demo::Cheat;
use super::model::ModelArgs;
use super::narrate::{record, short_hex, tell};
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use anyhow::{bail, ensure, Context, Result};
use opml_prover::game::agent::{Agent, AgentState, Role};
use opml_prover::game::chain::Chain;
use opml_prover::game::claims::Claims;
use opml_prover::game::contracts::{self, Deployment, Params};
use opml_prover::game::layout::ModelLayout;
use opml_prover::game::rpc::RpcChain;
use opml_prover::game::{onchain, story, GameError};
use opml_prover::interrupt;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which node to talk to and which account sends.
#[derive(clap::Args)]
pub struct RpcArgs {
    /// JSON-RPC endpoint of the node.
    #[arg(long)]
    rpc: String,
    /// Private key (hex) to sign with; without it, the node's unlocked account
    /// --account sends (a development node such as Hardhat).
    #[arg(long, env = "OPML_KEY", hide_env_values = true)]
    key: Option<String>,
    /// Index of the node's unlocked account to send from when no key is given.
    #[arg(long, default_value_t = 0, conflicts_with = "key")]
    account: usize,
}

impl RpcArgs {
    /// The chain and the sending account.
    fn connect(&self) -> Result<(RpcChain, Address)> {
        let keys = match &self.key {
            Some(k) => vec![k
                .trim()
                .parse::<PrivateKeySigner>()
                .context("OPML_KEY/--key is not a hex private key")?],
            None => Vec::new(),
        };
        let chain = RpcChain::connect_with_keys(&self.rpc, keys)
            .with_context(|| format!("connecting to {}", self.rpc))?;
        let accounts = chain.accounts();
        let index = if self.key.is_some() { 0 } else { self.account };
        let me = *accounts.get(index).with_context(|| {
            format!(
                "{} offers {} unlocked accounts, no account {index} (give --key)",
                self.rpc,
                accounts.len()
            )
        })?;
        Ok((chain, me))
    }
}

/// What `opml deploy` writes and the other commands read.
#[derive(serde::Serialize, serde::Deserialize)]
struct DeploymentFile {
    deployment: Deployment,
    params: Params,
}

fn read_deployment(path: &Path) -> Result<Deployment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: DeploymentFile = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a deployment file of opml deploy", path.display()))?;
    Ok(file.deployment)
}

/// Arguments of `opml deploy`.
#[derive(clap::Args)]
pub struct DeployArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// Bond of a result and of a challenge, in wei.
    #[arg(long, default_value_t = Params::default().bond)]
    bond: u128,
    /// Challenge window, seconds.
    #[arg(long, default_value_t = Params::default().window)]
    window: u64,
    /// Dissection degree (roots per round + 1).
    #[arg(long, default_value_t = Params::default().degree)]
    degree: u64,
    /// Each party's total time in a game, seconds.
    #[arg(long, default_value_t = Params::default().clock)]
    clock: u64,
    /// Where to write the addresses and parameters (JSON).
    #[arg(long)]
    out: PathBuf,
}

/// `opml deploy`.
pub fn cmd_deploy(a: &DeployArgs) -> Result<()> {
    let (mut chain, me) = a.rpc.connect()?;
    let params = Params {
        bond: a.bond,
        window: a.window,
        degree: a.degree,
        clock: a.clock,
    };
    let deployment = contracts::deploy(&mut chain, me, params).context("deploying the arbiter")?;
    let text = serde_json::to_string_pretty(&DeploymentFile { deployment, params })?;
    // Written whole or not at all.
    let tmp = a.out.with_extension("tmp");
    std::fs::write(&tmp, text + "\n").with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    println!("verifier: {}", deployment.verifier);
    println!("game:     {}", deployment.game);
    println!("registry: {}", deployment.registry);
    println!("wrote {}", a.out.display());
    Ok(())
}

/// Arguments of `opml request`.
#[derive(clap::Args)]
pub struct RequestArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// File written by `opml deploy`.
    #[arg(long)]
    deployment: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Request against this registered model instead of registering the model anew.
    #[arg(long)]
    model_id: Option<u64>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// `opml request`.
pub fn cmd_request(a: &RequestArgs) -> Result<()> {
    let deployment = read_deployment(&a.deployment)?;
    let (job, input) = a.model.job()?;
    let mut machine = (job.load)(&input).map_err(anyhow::Error::msg)?;
    let layout = ModelLayout::of(&mut machine, job.input_page, job.output_page)?;
    let expected = layout.start_root(&input)?;
    let (mut chain, me) = a.rpc.connect()?;
    let registry = deployment.registry;
    let model = match a.model_id {
        Some(id) => id,
        None => story::register(&mut chain, me, registry, &layout)?,
    };
    let (request, start_root) = story::request(&mut chain, me, registry, model, &input)?;
    ensure!(
        start_root == expected,
        "model {model} on chain derives start root {} for this input, the guest {}: \
         is --model-id the same model?",
        short_hex(&start_root),
        short_hex(&expected)
    );
    if a.json {
        let root = super::hex(&start_root);
        println!(
            "{}",
            json!({"model": model, "request": request, "start_root": root})
        );
    } else {
        println!("model:      {model}");
        println!("request:    {request}");
        println!("start root: {}", super::hex(&start_root));
    }
    Ok(())
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
    /// The side to play.
    #[arg(long, value_enum)]
    role: RoleArg,
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

/// `--role`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RoleArg {
    /// Posts the result and defends it.
    Submitter,
    /// Checks the result and challenges it when it is wrong.
    Challenger,
}

/// Consecutive chain errors an agent rides out before it stops.
const CHAIN_RETRIES: u32 = 3;

/// `opml agent`.
pub fn cmd_agent(a: &AgentArgs) -> Result<()> {
    let deployment = read_deployment(&a.deployment)?;
    let role = match a.role {
        RoleArg::Submitter => Role::Submitter,
        RoleArg::Challenger => Role::Challenger,
    };
    let job = a.model.job_without_input()?;
    let (mut chain, me) = a.rpc.connect()?;
    let input = match a.model.input_bytes()? {
        Some(input) => input,
        None => onchain::request_input(&mut chain, deployment.registry, a.request)
            .with_context(|| format!("reading the input of request {}", a.request))?,
    };
    let exec = record(&job, &input)?;
    let on_chain = onchain::request(&mut chain, deployment.registry, a.request)?;
    ensure!(
        on_chain.start_root == exec.start_root,
        "request {}: its start root on chain is {}, this model and input give {}",
        a.request,
        short_hex(&on_chain.start_root),
        short_hex(&exec.start_root)
    );
    let state = if a.state.exists() {
        let s = Agent::load_state(&a.state)?;
        ensure!(
            (s.me, s.deployment, s.request, s.role) == (me, deployment, a.request, role),
            "{} holds the {:?} of request {} for {} on registry {}, not this one",
            a.state.display(),
            s.role,
            s.request,
            s.me,
            s.deployment.registry
        );
        println!("resuming from {} (game {:?})", a.state.display(), s.game);
        s
    } else {
        if role == Role::Challenger && !matches!(a.cheat, Cheat::None) {
            bail!("--cheat is for a submitter");
        }
        let behavior = a.cheat.behavior(exec.steps);
        AgentState::fresh(me, deployment, a.request, role, behavior, &input)
    };
    println!(
        "{:?} {me} on request {}: honest run {} steps, final root {}; plays {:?}",
        role,
        a.request,
        exec.steps,
        short_hex(&exec.final_root),
        state.behavior
    );
    let claims = Claims::new(exec, state.behavior, job.output_page)?;
    let mut agent = Agent::new(state, claims, Some(a.state.clone()))?;
    let who = format!("{role:?}").to_lowercase();
    let (mut moves, mut failures) = (0, 0);
    while !agent.state.done {
        if interrupt::requested() || a.max_moves.is_some_and(|m| moves >= m) {
            println!(
                "stopped after {moves} moves; state saved in {}: run again to resume",
                a.state.display()
            );
            return Ok(());
        }
        match agent.poll(&mut chain) {
            Ok(Some(action)) => {
                tell(&who, &action);
                (moves, failures) = (moves + 1, 0);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(a.poll_ms)),
            // The chain may have moved under the move (or the node hiccuped): read it
            // again before giving up.
            Err(GameError::Chain(e)) if failures < CHAIN_RETRIES => {
                failures += 1;
                eprintln!("{who}: {e}; reading the chain again ({failures}/{CHAIN_RETRIES})");
                std::thread::sleep(Duration::from_millis(a.poll_ms));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let paid = story::settle(&mut chain, deployment.registry, &[me])?;
    if let Some(wei) = paid.first().filter(|w| !w.is_zero()) {
        println!("{who}: withdrew {wei} wei");
    }
    Ok(())
}
