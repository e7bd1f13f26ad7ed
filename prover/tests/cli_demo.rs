//! `opml demo` from the command line on the embedded chain with the Fashion-MNIST model:
//! the lying submitter loses, the one-step proof names its instruction and gas, an
//! honest submitter's result answers the request, the honest run finalizes
//! unchallenged, and each story stays under the 10 s target; with
//! `--hardhat` the same story runs against a Hardhat node it starts and stops (< 30 s);
//! with `--consumer` the example dApp is called back with the class after the dispute,
//! and with an LLM image (a tiny random LLaMA) and `--prompt`, the question box with the
//! generated ids; `--phases 2` plays the two-phase scenarios on the tiny LLaMA, on the
//! embedded chain and on a Hardhat node.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/tiny_llm.rs"]
mod tiny_llm;

/// Runs `opml demo --cheat CHEAT EXTRA…` from the repository root on the Fashion-MNIST
/// model and an image; its stdout and time.
fn demo(cheat: &str, extra: &[&str]) -> (String, Duration) {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = dir.path().join("input.bin");
    let bytes: Vec<u8> = (0..784u32).map(|i| (i % 97) as u8).collect();
    std::fs::write(&raw, bytes).expect("write input");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = root.join("guest-ml/models/fmnist-mlp.opml");
    let args: Vec<OsString> = [
        "--model".as_ref(),
        model.as_os_str(),
        "--input".as_ref(),
        raw.as_os_str(),
    ]
    .into_iter()
    .map(OsString::from)
    .chain(extra.iter().map(OsString::from))
    .collect();
    demo_in(dir.path(), cheat, &args)
}

/// Runs `opml demo --cheat CHEAT ARGS…` with its state in `dir`; its stdout and time.
fn demo_in(dir: &Path, cheat: &str, args: &[OsString]) -> (String, Duration) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(["demo", "--cheat", cheat])
        .args(args)
        .arg("--state-dir")
        .arg(dir)
        .current_dir(&root)
        .output()
        .expect("run opml");
    let elapsed = t.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("challenger.json").exists(), "agent state saved");
    (stdout, elapsed)
}

#[test]
fn demo_lying_submitter_loses() {
    let (out, elapsed) = demo("middle", &[]);
    assert!(out.contains("challenger: done, WON"), "{out}");
    assert!(out.contains("submitter: done, lost"), "{out}");
    assert!(out.contains("honest submitter: done, WON"), "{out}");
    assert!(out.contains("one-step proof of step"), "{out}");
    assert!(
        out.contains("payouts: submitter 0.0 ETH, honest submitter 1.0 ETH, challenger 2.0 ETH"),
        "{out}"
    );
    // The gas totals are the sums of the gas printed on the moves' lines.
    let per_move = |who: &str| -> u64 {
        out.lines()
            .filter(|l| l.starts_with(who))
            .filter_map(|l| l.rsplit_once("gas ").map(|(_, g)| g))
            .filter_map(|g| g.trim_end_matches(')').parse::<u64>().ok())
            .sum()
    };
    let (sub, honest, cha) = (
        per_move("submitter:"),
        per_move("honest submitter:"),
        per_move("challenger:"),
    );
    assert!(sub > 0 && honest > 0 && cha > 0, "{out}");
    assert!(
        out.contains(&format!(
            "gas sent: submitter {sub}, honest submitter {honest}, challenger {cha}"
        )),
        "{out}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn demo_honest_submitter_finalizes() {
    let (out, elapsed) = demo("none", &[]);
    assert!(out.contains("submitter: done, WON"), "{out}");
    assert!(
        out.contains("challenger: the request's answer matches its own run"),
        "{out}"
    );
    assert!(!out.contains("challenges"), "{out}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn demo_on_a_hardhat_node_it_starts_and_stops() {
    let (out, elapsed) = demo("middle", &["--hardhat"]);
    assert!(
        out.contains("chain: JSON-RPC node at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("challenger: done, WON"), "{out}");
    assert!(
        out.contains("payouts: submitter 0.0 ETH, honest submitter 1.0 ETH, challenger 2.0 ETH"),
        "{out}"
    );
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

#[test]
fn demo_through_the_example_consumer_calls_it_back_after_the_dispute() {
    let (out, elapsed) = demo("middle", &["--consumer"]);
    assert!(
        out.contains("asked it about the input with a 0.1 ETH fee"),
        "{out}"
    );
    assert!(out.contains("challenger: done, WON"), "{out}");
    assert!(
        out.contains("honest submitter 1.1 ETH"),
        "bond and fee: {out}"
    );
    let proved = out.find("one-step proof").expect("a one-step proof");
    let called = out.find("called back for request 0").expect("a callback");
    assert!(proved < called, "called back after the dispute: {out}");
    assert!(out.contains("admitted"), "{out}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn demo_asks_the_question_box_with_an_llm_image_and_calls_it_back_after_the_dispute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tiny = tiny_llm::tiny_llm(dir.path(), 16);
    let args: Vec<OsString> = [
        "--model".as_ref(),
        tiny.image.as_os_str(),
        "--tokenizer".as_ref(),
        tiny.gguf.as_os_str(),
        "--prompt".as_ref(),
        "Where is the hen?".as_ref(),
        "--max-tokens".as_ref(),
        "3".as_ref(),
        "--consumer".as_ref(),
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    let (out, elapsed) = demo_in(dir.path(), "middle", &args);
    assert!(
        out.contains("asked \"Where is the hen?\" (52 request bytes) with a 0.1 ETH fee"),
        "{out}"
    );
    assert!(out.contains("challenger: done, WON"), "{out}");
    assert!(
        out.contains("honest submitter 1.1 ETH"),
        "bond and fee: {out}"
    );
    let proved = out.find("one-step proof").expect("a one-step proof");
    let called = out.find("called back for request 0").expect("a callback");
    assert!(proved < called, "called back after the dispute: {out}");
    assert!(out.contains("answered with ids ["), "{out}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

/// `opml demo --phases 2 --cheat NAME` on the tiny LLM; its stdout and exit status.
fn demo_phases(dir: &Path, cheat: &str) -> (String, String, bool) {
    demo_phases_with(dir, cheat, &[])
}

/// As [`demo_phases`], with more arguments.
fn demo_phases_with(dir: &Path, cheat: &str, more: &[&str]) -> (String, String, bool) {
    let tiny = tiny_llm::tiny_llm(dir, 16);
    let out = Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(["demo", "--phases", "2", "--cheat", cheat, "--model"])
        .arg(&tiny.image)
        .arg("--tokenizer")
        .arg(&tiny.gguf)
        .args(["--prompt", "Where is the hen?", "--max-tokens", "3"])
        .args(more)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("run opml");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// A two-phase story's output: both phases played, the challenger won, the bonds paid
/// to the challenger and the honest submitter.
fn assert_lie_defeated_in_two_phases(out: &str) {
    assert!(
        out.contains("phase 1:") && out.contains("phase 2:"),
        "{out}"
    );
    assert!(
        out.contains("the challenger won: the lie is rejected"),
        "{out}"
    );
    assert!(
        out.contains("challenger 2 ETH, honest submitter 1 ETH"),
        "{out}"
    );
}

#[test]
fn demo_in_two_phases_defeats_a_lie_at_a_node_and_a_false_challenger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, err, ok) = demo_phases(dir.path(), "wrong-node");
    assert!(ok, "{out}\n{err}");
    assert_lie_defeated_in_two_phases(&out);
    let (out, err, ok) = demo_phases(dir.path(), "false-challenger");
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("the submitter won"), "{out}");
    assert!(
        out.contains("credits: submitter 2 ETH, challenger 0 ETH"),
        "{out}"
    );
}

#[test]
fn demo_in_two_phases_on_a_hardhat_node_it_starts_and_stops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, err, ok) = demo_phases_with(dir.path(), "wrong-run", &["--hardhat"]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("chain: JSON-RPC node at http://127.0.0.1:"),
        "{out}"
    );
    assert_lie_defeated_in_two_phases(&out);
}

#[test]
fn demo_in_two_phases_refuses_what_it_cannot_play() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, err, ok) = demo_phases(dir.path(), "middle");
    assert!(!ok && err.contains("two-phase scenario"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(["demo", "--cheat", "wrong-node"])
        .output()
        .expect("run opml");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("add --phases 2"),
        "{err}"
    );
    let (_, err, ok) = demo_phases_with(dir.path(), "wrong-node", &["--consumer"]);
    assert!(!ok && err.contains("without --consumer"), "{err}");
}
