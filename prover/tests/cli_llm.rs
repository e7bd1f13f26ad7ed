//! `opml compile-model --from gguf`, `opml generate` and `opml perplexity` on
//! SmolLM2-135M (installed by scripts/setup.sh): the GGUF compiles to an LLM image,
//! greedy generation is deterministic, answers a factual prompt and is the same in the
//! Wasm guest (wasmi), a step of its run proves and verifies on chain, teacher-forced
//! scoring gives the argmax at every position; a file that is not GGUF is refused with
//! what was wrong.

use std::path::Path;
use std::process::{Command, Output};

fn opml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run opml")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn smollm2_compiles_and_generates_deterministically() {
    let gguf = opml_gguf::smollm2_path().expect("SmolLM2 GGUF (run scripts/setup.sh)");
    let gguf = gguf.to_str().expect("utf-8 path");
    let dir = tempfile::tempdir().expect("temp dir");
    let image = dir.path().join("smollm2.opml");
    let image_s = image.to_str().expect("utf-8");
    let out = opml(&["compile-model", "--from", "gguf", gguf, "--out", image_s]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("wrote"), "{stdout}");
    let generate_on = |engine: &str| {
        let out = opml(&[
            "generate",
            "--engine",
            engine,
            "--model",
            image_s,
            "--tokenizer",
            gguf,
            "--prompt",
            "The capital of France is",
            "--max-tokens",
            "4",
            "--json",
        ]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        serde_json::from_str::<serde_json::Value>(stdout.trim()).expect("JSON")
    };
    let generate = || generate_on("native");
    let (first, second) = (generate(), generate());
    assert_eq!(
        first["generated_ids"], second["generated_ids"],
        "greedy is deterministic"
    );
    assert_eq!(first["generated_ids"].as_array().map(Vec::len), Some(4));
    let said = first["text"].as_str().expect("text");
    assert!(said.contains("Paris"), "{said:?}");
    // The Wasm guest in wasmi: one request of 4 ids, the same ids and text.
    let wasmi = generate_on("wasmi");
    assert_eq!(
        wasmi["generated_ids"], first["generated_ids"],
        "wasmi vs native"
    );
    assert_eq!(wasmi["text"], first["text"]);

    // A step of the request's run proves and verifies in both verifiers, with the
    // prompt turned into the request as a dispute job does.
    let dir_s = dir.path().to_str().expect("utf-8");
    let proof = format!("{dir_s}/step.proof");
    let out = opml(&[
        "prove",
        "--model",
        image_s,
        "--tokenizer",
        gguf,
        "--prompt",
        "The capital of France is",
        "--step",
        "1000",
        "--out",
        &proof,
        "--json",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let out = opml(&["verify", &proof, "--evm"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("evm:        valid"), "{stdout}");

    // Teacher-forced scoring over English text: ids and argmax per position.
    let out = opml(&[
        "perplexity",
        "--model",
        image_s,
        "--tokenizer",
        gguf,
        "--text",
        "/usr/share/common-licenses/Apache-2.0",
        "--max-tokens",
        "40",
        "--ctx",
        "16",
        "--json",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(v["token_ids"].as_array().map(Vec::len), Some(40));
    // Windows of 16, 16 and 8 tokens score 15 + 15 + 7 positions.
    assert_eq!(v["positions"], 37);
    assert_eq!(v["argmax"].as_array().map(Vec::len), Some(37));
    let ppl = v["perplexity"].as_f64().expect("perplexity");
    assert!(ppl > 1.0 && ppl < 500.0, "{ppl}");
}

#[test]
fn compile_model_refuses_a_file_that_is_not_gguf() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("x.opml");
    let out = opml(&[
        "compile-model",
        "--from",
        "gguf",
        readme.to_str().expect("utf-8"),
        "--out",
        out_path.to_str().expect("utf-8"),
    ]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("not a GGUF file"), "{stderr}");
    assert!(!out_path.exists(), "nothing half-written");
}
