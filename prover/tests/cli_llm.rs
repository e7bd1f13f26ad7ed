//! `opml compile-model --from gguf` and `opml generate` on SmolLM2-135M (installed by
//! scripts/setup.sh): the GGUF compiles to an LLM image, greedy generation is
//! deterministic and answers a factual prompt; a file that is not GGUF is refused with
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
    let generate = || {
        let out = opml(&[
            "generate",
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
    let (first, second) = (generate(), generate());
    assert_eq!(
        first["generated_ids"], second["generated_ids"],
        "greedy is deterministic"
    );
    assert_eq!(first["generated_ids"].as_array().map(Vec::len), Some(4));
    let said = first["text"].as_str().expect("text");
    assert!(said.contains("Paris"), "{said:?}");
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
