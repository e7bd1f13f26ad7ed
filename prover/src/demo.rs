//! `opml demo`: the whole dispute on one chain, told round by round: an honest run, a
//! submitter that lies from some step on, an honest challenger, the dissection, the
//! one-step proof on chain, and who won.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use opml_prover::game::agent::{Action, Agent, AgentState, Role};
use opml_prover::game::chain::Chain;
use opml_prover::game::claims::{Behavior, Claims};
use opml_prover::game::contracts::Params;
use opml_prover::game::job::{Execution, Job};
use opml_prover::game::{story, toy};
use opml_prover::interrupt;
use std::path::Path;
use std::time::Instant;

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
    fn behavior(self, steps: u64) -> Behavior {
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

/// Checkpoint interval of the demo's traces.
const INTERVAL: u64 = 1 << 14;

fn record(job: &Job, input: &[u8]) -> Result<Execution> {
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} recording {msg} steps")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let exec = Execution::run(job, input, INTERVAL, |n| {
        bar.set_message(n.to_string());
        bar.tick();
        !interrupt::requested()
    });
    bar.finish_and_clear();
    exec.with_context(|| format!("running {}", job.name))
}

fn hex(h: &[u8]) -> String {
    let s: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{}…", &s[..12.min(s.len())])
}

fn tell(who: &str, a: &Action) {
    match a {
        Action::Submitted { steps, gas } => {
            println!("{who}: posts its result: {steps} steps, bond attached (gas {gas})")
        }
        Action::Challenged { game, gas } => {
            println!("{who}: disagrees and challenges: game {game} (gas {gas})")
        }
        Action::Dissected { lo, hi, roots, gas } => println!(
            "{who}: round over steps [{lo}, {hi}] ({} steps): posts {roots} roots (gas {gas})",
            hi - lo
        ),
        Action::Picked { lo, hi, gas } => {
            println!("{who}: first disputed segment is [{lo}, {hi}] (gas {gas})")
        }
        Action::Proved { step, op, gas } => {
            let op = op.map_or_else(
                || "none: the state had already stopped".into(),
                |o| format!("{o:?}"),
            );
            println!(
                "{who}: one-step proof of step {} on chain: instruction {op}, gas {gas}",
                step + 1
            )
        }
        Action::ClaimedTimeout { gas } => {
            println!("{who}: the other side ran out of time (gas {gas})")
        }
        Action::Finalized { gas } => println!("{who}: window over, finalizes (gas {gas})"),
        Action::Done { won } => {
            println!("{who}: done, {}", if *won { "WON" } else { "lost" })
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
        hex(&exec.final_root)
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
        hex(&setup.start_root)
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
        let state = AgentState {
            role,
            behavior,
            silent: false,
            request: setup.request,
            input: input.to_vec(),
            game: None,
            acted: false,
            done: false,
        };
        let path = state_dir.join(name);
        agents.push(Agent::new(me, setup.deployment, state, claims, Some(path))?);
    }
    let [sub, cha] = &mut agents[..] else {
        unreachable!("two agents were pushed");
    };
    story::drive(chain, &mut [sub, cha], params.window / 2, 10_000, |i, a| {
        tell(["submitter ", "challenger"][i], a)
    })?;
    let paid = story::settle(chain, setup.deployment.registry, &[submitter, challenger])?;
    let wei = 1e18;
    println!(
        "payouts: submitter {:.1} ETH, challenger {:.1} ETH; whole story {:.2} s",
        paid[0].saturating_to::<u128>() as f64 / wei,
        paid[1].saturating_to::<u128>() as f64 / wei,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The demo's job: the toy checksum program over a fixed input.
pub fn default_job() -> (Job, Vec<u8>) {
    (
        toy::job(),
        b"opml-wasm demo input: any bytes will do".to_vec(),
    )
}
