//! `opml demo`: the whole dispute on one chain, told round by round: an honest run, a
//! submitter that lies from some step on, an honest challenger, the dissection, the
//! one-step proof on chain, and who won.

use super::demo_consumer::{self, Via};
use super::model::ModelArgs;
use super::narrate::{record, short_hex, tell};
use anyhow::{Context, Result};
use opml_game::agent::{Agent, AgentState, Role};
use opml_game::chain::Chain;
use opml_game::claims::{Behavior, Cheat, Claims};
use opml_game::contracts::Params;
use opml_game::devnode::HardhatNode;
use opml_game::embedded::EmbeddedChain;
use opml_game::job::Job;
use opml_game::rpc::RpcChain;
use opml_game::{story, toy, GameError};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `opml demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// How the submitter cheats (default: middle), or with --phases 2 the scenario
    /// (default: wrong-node).
    #[arg(long, value_parser = super::demo_cheat_parser())]
    cheat: Option<super::DemoCheat>,
    /// 2: dispute an LLM request in two phases (graph nodes natively, then one node's
    /// Wasm steps).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    phases: u8,
    /// Where the agents keep their state.
    #[arg(long, default_value = "target/demo-state")]
    state_dir: PathBuf,
    /// Run against this JSON-RPC node (e.g. a Hardhat node) instead of the embedded
    /// chain; its first four accounts play owner, submitter, challenger and (when the
    /// submitter cheats) an honest submitter.
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
    /// Ask through an example dApp (arbiter-sol/contracts/examples/) with a 0.1 ETH
    /// fee and show it called back with the final answer, after the dispute:
    /// FashionGate for a classifier, QuestionBox for an LLM image with --prompt.
    #[arg(long, conflicts_with = "resume")]
    consumer: bool,
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
    use super::DemoCheat;
    use opml_game::phases::story::Scenario;
    if a.phases == 2 && (a.consumer || a.resume) {
        anyhow::bail!("--phases 2 plays its story in one process: without --consumer or --resume");
    }
    let scenario = match (a.phases, a.cheat) {
        (2, None) => Some(Scenario::WrongNode),
        (2, Some(DemoCheat::Phases(s))) => Some(s),
        _ => None,
    };
    if let Some(scenario) = scenario {
        let (_node, mut chain) = open_chain(a)?;
        return super::demo_phases::cmd_demo_phases(&a.model, scenario, chain.as_mut());
    }
    let cheat = match (a.phases, a.cheat) {
        (_, None) => Cheat::Middle,
        (_, Some(DemoCheat::Single(c))) if a.phases == 1 => c,
        (2, Some(DemoCheat::Single(_))) => {
            anyhow::bail!("with --phases 2 --cheat is a two-phase scenario: wrong-node, wrong-run, wrong-text, false-challenger or silent")
        }
        _ => anyhow::bail!("--cheat wrong-node, wrong-run, wrong-text, false-challenger and silent are two-phase scenarios: add --phases 2"),
    };
    let mut model = ModelArgs {
        model: a.model.model.clone(),
        input: a.model.input.clone(),
        index: a.model.index,
        guest: a.model.guest.clone(),
        llm: a.model.llm.clone(),
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
    let (_node, mut chain) = open_chain(a)?;
    if a.resume {
        return resume(chain.as_mut(), &job, &a.state_dir);
    }
    let via = match (a.consumer, &model.llm.prompt) {
        (false, _) => None,
        (true, None) => Some(Via::Gate),
        (true, Some(question)) => Some(Via::QuestionBox {
            question: question.clone(),
            tokenizer: Box::new(model.llm.tokenizer()?),
        }),
    };
    run(
        chain.as_mut(),
        &job,
        &input,
        cheat,
        &a.state_dir,
        a.stop_after,
        via,
    )
}

/// The chain `a` asks for: a Hardhat node started here (returned, to be kept alive
/// until the story is over: dropping it stops the node), a JSON-RPC node, or the
/// embedded chain.
fn open_chain(a: &DemoArgs) -> Result<(Option<HardhatNode>, Box<dyn Chain>)> {
    let node = match a.hardhat {
        true => Some(HardhatNode::start(Path::new(ARBITER_DIR), None)?),
        false => None,
    };
    let url = a.rpc.as_deref().or(node.as_ref().map(HardhatNode::url));
    let chain: Box<dyn Chain> = match url {
        Some(url) => {
            println!("chain: JSON-RPC node at {url}");
            Box::new(RpcChain::connect(url).with_context(|| format!("connecting to {url}"))?)
        }
        None => Box::new(EmbeddedChain::new(4)),
    };
    Ok((node, chain))
}

/// Runs the story of `job` on `input` over `chain` with a submitter cheating as `cheat`.
pub fn run(
    chain: &mut dyn Chain,
    job: &Job,
    input: &[u8],
    cheat: Cheat,
    state_dir: &Path,
    stop_after: Option<usize>,
    via: Option<Via>,
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
    let [owner, submitter, challenger, honest, ..] = accounts[..] else {
        anyhow::bail!("the chain must offer 4 accounts, it has {}", accounts.len());
    };
    let params = Params::default();
    let (setup, asked) = match via {
        None => (
            story::setup(chain, owner, params, &exec.layout, input)?,
            None,
        ),
        Some(via) => {
            let (setup, asked) = demo_consumer::ask(via, chain, owner, params, &exec, input)?;
            (setup, Some(asked))
        }
    };
    println!(
        "deployed WasmStep, Registry (and its DisputeGame); model registered; request {} posted, start root derived on chain: {}",
        setup.request,
        short_hex(&setup.start_root)
    );
    anyhow::ensure!(
        setup.start_root == exec.start_root,
        "the registry derived another start root"
    );
    let behavior = cheat.behavior(steps);
    let mut parties = vec![(submitter, Role::Submitter, behavior, PARTIES[0])];
    if behavior != Behavior::Honest {
        // The request still needs its answer: an honest submitter posts it too.
        parties.push((honest, Role::Submitter, Behavior::Honest, PARTIES[1]));
    }
    parties.push((challenger, Role::Challenger, Behavior::Honest, PARTIES[2]));
    println!(
        "submitter plays {behavior:?}; {}the challenger is honest; dissection degree {}",
        if parties.len() == 3 {
            "an honest submitter posts too; "
        } else {
            ""
        },
        params.degree
    );
    std::fs::create_dir_all(state_dir)
        .with_context(|| format!("creating {}", state_dir.display()))?;
    clear_states(state_dir)?;
    let mut agents = Vec::new();
    let mut exec = Some(exec);
    for (me, role, behavior, (name, file)) in parties {
        // Each party runs the model itself.
        let exec = match exec.take() {
            Some(e) => e,
            None => record(job, input)?,
        };
        let claims = Claims::new(exec, behavior, job.output_page)?;
        let state = AgentState::fresh(me, setup.deployment, setup.request, role, behavior, input);
        let path = state_dir.join(file);
        agents.push((name, Agent::new(state, claims, Some(path))?));
    }
    play(chain, &mut agents, stop_after, started)?;
    if let Some(asked) = asked {
        demo_consumer::report(chain, &asked)?;
    }
    Ok(())
}

/// The demo's parties: their names and state files.
const PARTIES: [(&str, &str); 3] = [
    ("submitter", "submitter.json"),
    ("honest submitter", "honest-submitter.json"),
    ("challenger", "challenger.json"),
];

/// Removes the state files a previous story left in `state_dir`.
fn clear_states(state_dir: &Path) -> Result<()> {
    for (_, file) in PARTIES {
        let path = state_dir.join(file);
        if path.exists() {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Resumes the agents saved in `state_dir` (against the chain they played on).
pub fn resume(chain: &mut dyn Chain, job: &Job, state_dir: &Path) -> Result<()> {
    let started = Instant::now();
    let mut agents = Vec::new();
    for (name, file) in PARTIES {
        let path = state_dir.join(file);
        if !path.exists() {
            continue;
        }
        let state = Agent::load_state(&path)?;
        println!(
            "resuming the {name} from {} (request {}, result {:?}, challenges {:?})",
            path.display(),
            state.request,
            state.result,
            state
                .challenged
                .iter()
                .map(|c| c.challenge)
                .collect::<Vec<_>>()
        );
        let exec = record(job, &state.input)?;
        let claims = Claims::new(exec, state.behavior, job.output_page)?;
        agents.push((name, Agent::new(state, claims, Some(path))?));
    }
    anyhow::ensure!(
        !agents.is_empty(),
        "no agent state in {}",
        state_dir.display()
    );
    play(chain, &mut agents, None, started)
}

/// Drives the parties to the end (or for `stop_after` polling rounds), then pays out.
fn play(
    chain: &mut dyn Chain,
    agents: &mut [(&str, Agent)],
    stop_after: Option<usize>,
    started: Instant,
) -> Result<()> {
    let idle = Params::default().window / 2;
    let rounds = stop_after.unwrap_or(10_000);
    let names: Vec<&str> = agents.iter().map(|(n, _)| *n).collect();
    let mut gas = vec![0u64; agents.len()];
    let mut refs: Vec<&mut Agent> = agents.iter_mut().map(|(_, a)| a).collect();
    match story::drive(chain, &mut refs, idle, rounds, |i, a| {
        gas[i] += a.gas().unwrap_or(0);
        tell(names[i], a)
    }) {
        Err(GameError::Stuck(n)) if stop_after.is_some() => {
            println!("stopped after {n} polling rounds; the agents' state is saved: resume with --resume");
            return Ok(());
        }
        other => other?,
    }
    let who: Vec<_> = refs.iter().map(|a| a.state.me).collect();
    let registry = refs[0].state.deployment.registry;
    let paid = story::settle(chain, registry, &who)?;
    let wei = 1e18;
    let list = |f: &dyn Fn(usize) -> String| {
        (0..names.len())
            .map(|i| format!("{} {}", names[i], f(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "gas sent: {} (this run's moves)",
        list(&|i| gas[i].to_string())
    );
    println!(
        "payouts: {}; whole story {:.2} s",
        list(&|i| format!("{:.1} ETH", paid[i].saturating_to::<u128>() as f64 / wei)),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
