//! `opml status`: a request's status, its results and their games, and its answer.

use super::operate::DeploymentArgs;
use anyhow::{Context, Result};
use opml_game::report::{request_report, RequestReport};

/// Arguments of `opml status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    on: DeploymentArgs,
    /// The request to report on.
    #[arg(long)]
    request: u64,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// `opml status`.
pub fn cmd_status(a: &StatusArgs) -> Result<()> {
    let (mut chain, _, deployment) = a.on.open()?;
    let report = request_report(&mut chain, &deployment, a.request)
        .with_context(|| format!("reading request {}", a.request))?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &RequestReport) {
    println!("request {}: {:?}", r.request, r.status);
    println!("  start root {}", r.start_root);
    if r.results.is_empty() {
        println!("  no result posted");
    }
    for res in &r.results {
        println!(
            "  result {}: {:?}, by {}, {} steps, final root {}, window ends at {}",
            res.id, res.verdict, res.submitter, res.steps, res.final_root, res.deadline
        );
        for g in &res.games {
            let state = match g.challenger_won {
                Some(true) => "over, challenger won".to_string(),
                Some(false) => "over, defender won".to_string(),
                None => format!(
                    "{:?} to move, steps [{}, {}]",
                    g.turn, g.segment.0, g.segment.1
                ),
            };
            println!(
                "    challenge {} (game {}) by {}: {state}{}",
                g.challenge,
                g.game,
                g.challenger,
                if g.settled { ", bond settled" } else { "" }
            );
        }
    }
    match (&r.answer, &r.output) {
        (Some(id), Some(out)) => println!("  answer: result {id}, output {out}"),
        _ => println!("  answer: none yet"),
    }
}
