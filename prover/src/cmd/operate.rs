//! Running the protocol on a live chain, one party per process: `opml deploy` (the
//! arbiter) and `opml request` (register a model and ask for an inference); the node
//! and account arguments and the deployment file shared with `opml agent` and `opml
//! serve` ([`super::agent`]).

use super::model::ModelArgs;
use super::narrate::short_hex;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use anyhow::{ensure, Context, Result};
use opml_game::chain::Chain;
use opml_game::contracts::{self, Deployment, Params};
use opml_game::layout::ModelLayout;
use opml_game::rpc::RpcChain;
use opml_game::story;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Which node to talk to and which account sends.
#[derive(clap::Args)]
pub struct RpcArgs {
    /// JSON-RPC endpoint of the node.
    #[arg(long)]
    pub rpc: String,
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
    pub fn connect(&self) -> Result<(RpcChain, Address)> {
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

/// A deployed arbiter on a node and the account that sends: what every command after
/// `opml deploy` starts from.
#[derive(clap::Args)]
pub struct DeploymentArgs {
    #[command(flatten)]
    pub rpc: RpcArgs,
    /// File written by `opml deploy`.
    #[arg(long)]
    pub deployment: PathBuf,
}

impl DeploymentArgs {
    /// Reads the deployment file, then connects: the chain, the sending account and
    /// the deployment.
    pub fn open(&self) -> Result<(RpcChain, Address, Deployment)> {
        let deployment = read_deployment(&self.deployment)?;
        let (chain, me) = self.rpc.connect()?;
        Ok((chain, me, deployment))
    }
}

/// What `opml deploy` writes and the other commands read.
#[derive(serde::Serialize, serde::Deserialize)]
struct DeploymentFile {
    deployment: Deployment,
    params: Params,
}

/// Reads a file written by `opml deploy`.
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
    let params = Params {
        bond: a.bond,
        window: a.window,
        degree: a.degree,
        clock: a.clock,
    };
    params
        .check()
        .context("refusing to deploy: the registry would reject these parameters")?;
    let (mut chain, me) = a.rpc.connect()?;
    let deployment = contracts::deploy(&mut chain, me, params).context("deploying the arbiter")?;
    let text = serde_json::to_string_pretty(&DeploymentFile { deployment, params })?;
    super::write_atomically(&a.out, (text + "\n").as_bytes())?;
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
    on: DeploymentArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Request against this registered model instead of registering the model anew.
    #[arg(long)]
    model_id: Option<u64>,
    /// Fee in wei, paid to the submitter whose answer finalizes by the deadline
    /// (refunded otherwise).
    #[arg(long)]
    fee: Option<u128>,
    /// Seconds from now by which the answer must finalize to earn the fee (default:
    /// window + 2 × clock + 1 h, the least the registry accepts plus an hour).
    #[arg(long)]
    deadline_in: Option<u64>,
    /// A contract to call back (`onAnswer`) with the answer.
    #[arg(long)]
    consumer: Option<Address>,
    /// Gas of that callback.
    #[arg(long, default_value_t = 100_000, requires = "consumer")]
    callback_gas: u64,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

impl RequestArgs {
    /// The terms to request with, when a fee or a consumer is given.
    fn terms(&self, chain: &mut RpcChain, registry: Address) -> Result<Option<story::Terms>> {
        if self.fee.is_none() && self.consumer.is_none() {
            return Ok(None);
        }
        let least = Params::read(chain, registry)?.finality_bound();
        let deadline_in = self.deadline_in.unwrap_or(least + 3_600);
        ensure!(
            deadline_in >= least,
            "--deadline-in {deadline_in} s is shorter than window + 2 × clock = {least} s: \
             a right answer could not finalize in time"
        );
        Ok(Some(story::Terms {
            fee: U256::from(self.fee.unwrap_or(0)),
            deadline: chain.now()? + deadline_in,
            consumer: self.consumer.unwrap_or(Address::ZERO),
            callback_gas: if self.consumer.is_some() {
                self.callback_gas
            } else {
                0
            },
        }))
    }
}

/// `opml request`.
pub fn cmd_request(a: &RequestArgs) -> Result<()> {
    let (job, input) = a.model.job()?;
    let mut machine = (job.load)(&input).map_err(anyhow::Error::msg)?;
    let layout = ModelLayout::of(&mut machine, job.input_page, job.output_page)?;
    let expected = layout.start_root(&input)?;
    let (mut chain, me, deployment) = a.on.open()?;
    let registry = deployment.registry;
    let model = match a.model_id {
        Some(id) => id,
        None => story::register(&mut chain, me, registry, &layout)
            .with_context(|| format!("registering the model on {registry}"))?,
    };
    let terms = a.terms(&mut chain, registry)?;
    let (request, start_root) =
        story::request_with_terms(&mut chain, me, registry, model, &input, terms)
            .with_context(|| format!("requesting an inference of model {model} on {registry}"))?;
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
