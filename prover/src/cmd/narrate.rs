//! How the agents' commands tell their story: the recorded run behind a spinner and one
//! line per move.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use opml_game::agent::Action;
use opml_game::job::{Execution, Job};
use opml_host::interrupt;

/// Checkpoint interval of the agents' traces.
const INTERVAL: u64 = 1 << 14;

/// Records the honest run of `job` on `input` behind a spinner (Ctrl-C stops it).
pub fn record(job: &Job, input: &[u8]) -> Result<Execution> {
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

/// The first bytes of a hash, for a log line.
pub fn short_hex(h: &[u8]) -> String {
    let s: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{}…", &s[..12.min(s.len())])
}

/// Prints one move of an agent, `who` naming its side.
pub fn tell(who: &str, a: &Action) {
    match a {
        Action::Submitted { steps, gas } => {
            println!("{who}: posts its result: {steps} steps, bond attached (gas {gas})")
        }
        Action::Challenged { result, game, gas } => {
            println!("{who}: disagrees with result {result} and challenges: game {game} (gas {gas})")
        }
        Action::Reclaimed { game, gas } => println!(
            "{who}: another game already rejected that result: bond back, game {game} left (gas {gas})"
        ),
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
        Action::Agreed => println!("{who}: the request's answer matches its own run"),
        Action::Done { won } => {
            println!("{who}: done, {}", if *won { "WON" } else { "lost" })
        }
    }
}
