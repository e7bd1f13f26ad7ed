//! `opml demo`: the whole dispute on one chain, told round by round: an honest run, a
//! submitter that lies from some step on, an honest challenger, the dissection, the
//! one-step proof on chain, and who won.

use super::model::ModelArgs;
use super::narrate::{record, short_hex, tell};
use anyhow::{Context, Result};
use opml_prover::game::agent::{Agent, AgentState, Role};
use opml_prover::game::chain::Chain;
use opml_prover::game::claims::{Behavior, Claims};
use opml_prover::game::contracts::Params;
use opml_prover::game::devnode::HardhatNode;
use opml_prover::game::embedded::EmbeddedChain;
use opml_prover::game::job::Job;
use opml_prover::game::rpc::RpcChain;
use opml_prover::game::{story, toy, GameError};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `opml demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// How the submitter cheats.
    #[arg(long, value_enum, default_value = "middle")]
    cheat: Cheat,
    /// Where the agents keep their state.
    #[arg(long, default_value = "target/demo-state")]
    state_dir: PathBuf,
    /// Run against this JSON-RPC node (e.g. a Hardhat node) instead of the embedded
    /// chain; its first three accounts play owner, submitter and challenger.
    #[arg(long, conflicts_with = "hardhat")]
    rpc: Option<String>,
    /// Start a local Hardhat node (from arbiter-sol/node_modules, installed by
    /// scripts/setup.sh), run against it, and stop it at the end.
    #[arg(long)]
    hardhat: bool,
    /// Stop after this many polling rounds, leaving the agents' state on disk (to show
    /// a restart with --resume against the same --rpc node).
    #[arg(long)]
    stop_after: Option<usize>,
    /// Resume the agents saved in --state-dir instead of starting a new story (needs
    /// the --rpc node they played on; the embedded chain does not outlive a process).
    #[arg(long, requires = "rpc")]
    resume: bool,
}

/// Where `--hardhat` finds the node (relative to the repository root).
const ARBITER_DIR: &str = "arbiter-sol";

/// The committed Fashion-MNIST model and the Debian test images.
const DEFAULT_MODEL: &str = "guest-ml/models/fmnist-mlp.opml";
const DEFAULT_IMAGES: &str = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

/// `opml demo`.
pub fn cmd_demo(a: &DemoArgs) -> Result<()> {
    let mut model = ModelArgs {
        model: a.model.model.clone(),
        input: a.model.input.clone(),
        index: a.model.index,
        guest: a.model.guest.clone(),
    };
    if model.model.is_none()
        && Path::new(DEFAULT_MODEL).exists()
        && Path::new(DEFAULT_IMAGES).exists()
    {
        model.model = Some(DEFAULT_MODEL.into());
        model.input = Some(DEFAULT_IMAGES.into());
    }
    let (job, input) = match &model.model {
        Some(_) => model.job()?,
        None => {
            println!("no model given and {DEFAULT_MODEL} or {DEFAULT_IMAGES} missing: using the toy program");
            (
                toy::job(),
                b"opml-wasm demo input: any bytes will do".to_vec(),
            )
        }
    };
    // Kept alive until the story is over; dropping it stops the node.
    let node = match a.hardhat {
        true => Some(HardhatNode::start(Path::new(ARBITER_DIR), None)?),
        false => None,
    };
    let url = a.rpc.as_deref().or(node.as_ref().map(HardhatNode::url));
    let mut chain: Box<dyn Chain> = match url {
        Some(url) => {
            println!("chain: JSON-RPC node at {url}");
            Box::new(RpcChain::connect(url).with_context(|| format!("connecting to {url}"))?)
        }
        None => Box::new(EmbeddedChain::new(3)),
    };
    if a.resume {
        return resume(chain.as_mut(), &job, &a.state_dir);
    }
    run(
        chain.as_mut(),
        &job,
        &input,
        a.cheat,
        &a.state_dir,
        a.stop_after,
    )
}

/// How the demo's submitter cheats.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Cheat {
    /// Honest: the result finalizes unchallenged.
    None,
    /// A wrong root from the first step on.
    Early,
    /// A wrong root from the middle of the run on.
    Middle,
    /// Only the final root and output are wrong.
    Last,
    /// The honest final state with five extra steps claimed.
    Steps,
    /// A trap faked at the middle of the run.
    Trap,
}

impl Cheat {
    /// The submitter's behaviour on a run of `steps` steps.
    pub fn behavior(self, steps: u64) -> Behavior {
        match self {
            Cheat::None => Behavior::Honest,
            Cheat::Early => Behavior::LieFrom(1),
            Cheat::Middle => Behavior::LieFrom(steps / 2),
            Cheat::Last => Behavior::LieFrom(steps),
            Cheat::Steps => Behavior::StepCount(5),
            Cheat::Trap => Behavior::FakeTrap(steps / 2),
        }
    }
}

/// Runs the story of `job` on `input` over `chain` with a submitter cheating as `cheat`.
pub fn run(
    chain: &mut dyn Chain,
    job: &Job,
    input: &[u8],
    cheat: Cheat,
    state_dir: &Path,
    stop_after: Option<usize>,
) -> Result<()> {
    let started = Instant::now();
    let t = Instant::now();
    let exec = record(job, input)?;
    let steps = exec.steps;
    println!(
        "honest run of {}: {steps} steps in {:.2} s, output {} bytes, final root {}",
        job.name,
        t.elapsed().as_secs_f64(),
        exec.final_state.output.len(),
        short_hex(&exec.final_root)
    );
    let accounts = chain.accounts();
    let [owner, submitter, challenger, ..] = accounts[..] else {
        anyhow::bail!("the chain must offer 3 accounts, it has {}", accounts.len());
    };
    let params = Params::default();
    let setup = story::setup(chain, owner, params, &exec.layout, input)?;
    println!(
        "deployed WasmStep, DisputeGame, Registry; model registered; request {} posted, start root derived on chain: {}",
        setup.request,
        short_hex(&setup.start_root)
    );
    anyhow::ensure!(
        setup.start_root == exec.start_root,
        "the registry derived another start root"
    );
    let behavior = cheat.behavior(steps);
    println!(
        "submitter plays {behavior:?}; challenger is honest; dissection degree {}",
        params.degree
    );
    std::fs::create_dir_all(state_dir)
        .with_context(|| format!("creating {}", state_dir.display()))?;
    let mut agents = Vec::new();
    // Each party runs the model itself.
    let challenger_exec = record(job, input)?;
    for (me, role, behavior, exec, name) in [
        (submitter, Role::Submitter, behavior, exec, "submitter.json"),
        (
            challenger,
            Role::Challenger,
            Behavior::Honest,
            challenger_exec,
            "challenger.json",
        ),
    ] {
        let claims = Claims::new(exec, behavior, job.output_page)?;
        let state = AgentState::fresh(me, setup.deployment, setup.request, role, behavior, input);
        let path = state_dir.join(name);
        agents.push(Agent::new(state, claims, Some(path))?);
    }
    play(chain, &mut agents, stop_after, started)
}

/// Resumes the agents saved in `state_dir` (against the chain they played on).
pub fn resume(chain: &mut dyn Chain, job: &Job, state_dir: &Path) -> Result<()> {
    let started = Instant::now();
    let mut agents = Vec::new();
    for name in ["submitter.json", "challenger.json"] {
        let path = state_dir.join(name);
        let state = Agent::load_state(&path)?;
        println!(
            "resuming the {:?} from {} (request {}, game {:?})",
            state.role,
            path.display(),
            state.request,
            state.game
        );
        let exec = record(job, &state.input)?;
        let claims = Claims::new(exec, state.behavior, job.output_page)?;
        agents.push(Agent::new(state, claims, Some(path))?);
    }
    play(chain, &mut agents, None, started)
}

/// Drives the submitter and the challenger to the end (or for `stop_after` polling
/// rounds), then pays out.
fn play(
    chain: &mut dyn Chain,
    agents: &mut [Agent],
    stop_after: Option<usize>,
    started: Instant,
) -> Result<()> {
    let [sub, cha] = agents else {
        anyhow::bail!("the demo plays with exactly two agents");
    };
    let idle = Params::default().window / 2;
    let rounds = stop_after.unwrap_or(10_000);
    let mut gas = [0u64; 2];
    match story::drive(chain, &mut [sub, cha], idle, rounds, |i, a| {
        gas[i] += a.gas().unwrap_or(0);
        tell(["submitter ", "challenger"][i], a)
    }) {
        Err(GameError::Stuck(n)) if stop_after.is_some() => {
            println!("stopped after {n} polling rounds; the agents' state is saved: resume with --resume");
            return Ok(());
        }
        other => other?,
    }
    let who = [sub.state.me, cha.state.me];
    let paid = story::settle(chain, sub.state.deployment.registry, &who)?;
    let wei = 1e18;
    println!(
        "gas sent: submitter {}, challenger {} (this run's moves)",
        gas[0], gas[1]
    );
    println!(
        "payouts: submitter {:.1} ETH, challenger {:.1} ETH; whole story {:.2} s",
        paid[0].saturating_to::<u128>() as f64 / wei,
        paid[1].saturating_to::<u128>() as f64 / wei,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
