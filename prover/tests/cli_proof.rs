//! `opml prove` and `opml verify` from the command line: a proof of a model inference
//! step written by `prove` is accepted by `verify`, by the Rust verifier and the
//! Solidity verifier alike with the same roots; a corrupted proof is rejected with the
//! reason and exit status 1, and nothing is written when proving fails.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn opml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(args)
        .output()
        .expect("run opml")
}

/// `opml prove tests/data/sum.wat --invoke sum --args i32:10 --step STEP --out OUT`.
fn prove_sum(step: &str, out: &Path) -> Output {
    let sum = repo("tests/data/sum.wat");
    opml(&[
        "prove",
        sum.to_str().expect("utf-8"),
        "--invoke",
        "sum",
        "--args",
        "i32:10",
        "--step",
        step,
        "--out",
        out.to_str().expect("utf-8"),
    ])
}

/// Flips one bit of the proof file at `path` (inside the pre-root it claims).
fn corrupt(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read proof");
    bytes[40] ^= 1;
    std::fs::write(path, &bytes).expect("write proof");
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "opml failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

#[test]
fn prove_then_verify_on_rust_and_evm_agree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input.bin");
    std::fs::write(&input, vec![50u8; 784]).expect("write input");
    let proof = dir.path().join("step.proof");
    let model = repo("guest-ml/models/fmnist-mlp.opml");
    let (model, input_s, proof_s) = (
        model.to_str().expect("utf-8"),
        input.to_str().expect("utf-8"),
        proof.to_str().expect("utf-8"),
    );
    let proved = json(&opml(&[
        "prove", "--model", model, "--input", input_s, "--step", "123457", "--out", proof_s,
        "--json",
    ]));
    let verified = json(&opml(&["verify", proof_s, "--evm", "--json"]));
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["pre_root"], proved["pre_root"]);
    assert_eq!(verified["post_root"], proved["post_root"]);
    assert_eq!(verified["op"], proved["op"]);
    assert!(verified["evm_gas"]
        .as_u64()
        .is_some_and(|g| g > 21_000 && g < 300_000));

    // A wrong --pre-root and a corrupted byte are both rejected, with the reason.
    let wrong = format!("0x{}", "11".repeat(32));
    let out = opml(&["verify", proof_s, "--pre-root", &wrong]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pre-state root"));
    corrupt(&proof);
    let out = opml(&["verify", proof_s]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("proof rejected"));
}

#[test]
fn prove_past_the_end_fails_without_writing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let proof = dir.path().join("never.proof");
    let out = prove_sum("100000", &proof);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("past the end of the run"));
    assert!(!proof.exists(), "a failed prove wrote {}", proof.display());
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_evm_runs_both_verifiers_on_a_corrupted_proof() {
    let dir = tempfile::tempdir().expect("temp dir");
    let proof = dir.path().join("step.proof");
    let proof_s = proof.to_str().expect("utf-8");
    let out = prove_sum("20", &proof);
    assert!(out.status.success(), "{:?}", text(&out));
    corrupt(&proof);

    let out = opml(&["verify", proof_s, "--evm"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("rust:       rejected: "), "{stdout}");
    assert!(stdout.contains("evm:        rejected: "), "{stdout}");
    assert!(!stdout.contains("DISAGREEMENT"), "{stdout}");
    assert!(stderr.contains("proof rejected"), "{stderr}");

    let out = opml(&["verify", proof_s, "--evm", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(v["valid"], false);
    assert_eq!(v["evm"]["valid"], false);
    assert!(
        v["evm"]["reason"].is_string() && v["evm"]["gas"].is_u64(),
        "{v}"
    );
    assert!(v["disagreement"].is_null(), "{v}");
}

/// A `br` dropping 25 000 operands: the default profile runs it and the Rust verifier
/// accepts its proof, but the Solidity verifier runs out of gas, and `verify --evm`
/// says so; the provable profile refuses the module.
#[test]
fn verify_evm_reports_a_step_only_the_rust_verifier_accepts() {
    const DROPS: usize = 25_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let module = dir.path().join("drop.wat");
    std::fs::write(
        &module,
        format!(
            "(module (func (export \"run\") (block {} (br 0))))",
            "(i64.const -1) ".repeat(DROPS)
        ),
    )
    .expect("write module");
    let proof = dir.path().join("br.proof");
    let (module_s, proof_s) = (
        module.to_str().expect("utf-8"),
        proof.to_str().expect("utf-8"),
    );
    // `block`, then the constants: the next step is the `br`.
    let before_br = (DROPS + 1).to_string();
    let prove = |extra: &[&str]| {
        let mut args = vec![
            "prove", module_s, "--invoke", "run", "--step", &before_br, "--out", proof_s,
        ];
        args.extend(extra);
        opml(&args)
    };
    let out = prove(&["--provable"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("br drops 25000 operands"),
        "{:?}",
        text(&out)
    );
    let proved = json(&prove(&["--json"]));
    assert_eq!(proved["op"], "br");

    let out = opml(&["verify", proof_s, "--evm"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("rust:       valid, post-root 0x"),
        "{stdout}"
    );
    assert!(stdout.contains("evm:        no verdict: "), "{stdout}");
    assert!(
        stdout.contains("DISAGREEMENT: the Rust verifier accepts the proof"),
        "{stdout}"
    );
    assert!(stderr.contains("disagree"), "{stderr}");
}

#[test]
fn prove_on_a_4_gib_memory_and_checkpoint_settings_are_checked() {
    let wat = repo("tests/data/memory65536.wat");
    let wat = wat.to_str().expect("utf-8");
    let v = json(&opml(&[
        "prove",
        wat,
        "--step",
        "2",
        "--interval",
        "1",
        "--json",
    ]));
    assert_eq!(v["total_steps"], 7, "{v}");
    assert_eq!(v["op"], "i32.store", "{v}");
    for (flag, value, says) in [
        ("--interval", "0", "at least 1 step"),
        ("--interval", "2000000000000", "past the limit of 2^40"),
        ("--checkpoint-mem", "0", "less than the minimum of 1 MiB"),
        ("--checkpoint-mem", "2PiB", "unknown unit"),
        (
            "--checkpoint-mem",
            "4096GiB",
            "more than the limit of 1 TiB",
        ),
    ] {
        let out = opml(&["root", wat, "--step", "1", flag, value]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{flag} {value}: {err}"
        );
    }
}
