//! `opml request --prompt` against a Hardhat node (started and stopped here; run
//! `scripts/setup.sh` first), with a tiny random LLaMA written as a GGUF file and
//! compiled by `opml compile-model` (support/tiny_llm.rs): the request's input on chain is the guest's request
//! bytes for the prompt tokenized with the model's tokenizer, and the fee terms are
//! the ones given; an empty prompt, `--prompt` with a classifier image, a tokenizer
//! file that is missing, is not GGUF or belongs to another model, and a prompt past the
//! image's context are refused with what was wrong, and nothing is posted.

use alloy_primitives::{Address, U256};
use opml_game::contracts::Registry;
use opml_game::devnode::HardhatNode;
use opml_game::onchain;
use opml_game::rpc::RpcChain;
use opml_gguf::{smollm2_path, GgufFile, Tokenizer};
use opml_llm::guest::encode_request;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/tiny_llm.rs"]
mod tiny_llm;

const PROMPT: &str = "Where is the hen?";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn opml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(args)
        .env_remove("OPML_KEY")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run opml")
}

fn ok(args: &[&str]) -> String {
    let out = opml(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn fails(args: &[&str]) -> String {
    let out = opml(args);
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn request_prompt_posts_the_tokenized_request_and_refuses_bad_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tiny = tiny_llm::tiny_llm(dir.path(), 16);
    let (gguf, image) = (&tiny.gguf, &tiny.image);

    let node = HardhatNode::start(&repo().join("arbiter-sol"), None).expect("hardhat node");
    let url = node.url();
    let dep = dir.path().join("deployment.json");
    ok(&["deploy", "--rpc", url, "--out", utf8(&dep)]);
    let request = |extra: &[&str]| {
        let mut args = vec![
            "request",
            "--rpc",
            url,
            "--deployment",
            utf8(&dep),
            "--json",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };

    let out = ok(&strs(&request(&[
        "--model",
        utf8(image),
        "--tokenizer",
        utf8(gguf),
        "--prompt",
        PROMPT,
        "--max-tokens",
        "3",
        "--fee",
        "1000",
    ])));
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    let id = v["request"].as_u64().expect("request id");

    // The input on chain is the guest's request for the prompt's ids.
    let tokenizer = Tokenizer::from_gguf(&GgufFile::open(gguf).expect("GGUF")).expect("tokenizer");
    let ids = tokenizer.encode_prompt(PROMPT);
    let expected = encode_request(&ids, 3).expect("request bytes");
    let text = std::fs::read_to_string(&dep).expect("deployment file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let registry: Address = file["deployment"]["registry"]
        .as_str()
        .expect("registry")
        .parse()
        .expect("address");
    let mut chain = RpcChain::connect(url).expect("connects");
    let input = onchain::request_input(&mut chain, registry, id).expect("input");
    assert_eq!(input, expected, "ids {ids:?}");
    let fee = onchain::fee(&mut chain, registry, id).expect("fee");
    assert_eq!(fee, U256::from(1000));

    // Bad input: refused, with what was wrong, before anything is sent.
    let classifier = repo().join("guest-ml/models/fmnist-mlp.opml");
    let missing = dir.path().join("missing.gguf");
    let smollm2 = smollm2_path().expect("SmolLM2 GGUF (run scripts/setup.sh)");
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "empty prompt",
            vec![
                "--model",
                utf8(image),
                "--tokenizer",
                utf8(gguf),
                "--prompt",
                "",
            ],
            "--prompt is empty",
        ),
        (
            "a classifier image",
            vec![
                "--model",
                utf8(&classifier),
                "--tokenizer",
                utf8(gguf),
                "--prompt",
                PROMPT,
            ],
            "--prompt needs an LLM image",
        ),
        (
            "a missing tokenizer",
            vec![
                "--model",
                utf8(image),
                "--tokenizer",
                utf8(&missing),
                "--prompt",
                PROMPT,
            ],
            "missing.gguf",
        ),
        (
            "a tokenizer that is not GGUF",
            vec![
                "--model",
                utf8(image),
                "--tokenizer",
                utf8(&classifier),
                "--prompt",
                PROMPT,
            ],
            "not a GGUF file",
        ),
        (
            "another model's tokenizer",
            vec![
                "--model",
                utf8(image),
                "--tokenizer",
                utf8(&smollm2),
                "--prompt",
                PROMPT,
            ],
            "past the model's vocabulary of 267",
        ),
        (
            "past the context",
            vec![
                "--model",
                utf8(image),
                "--tokenizer",
                utf8(gguf),
                "--prompt",
                PROMPT,
                "--max-tokens",
                "16",
            ],
            "the image holds 16",
        ),
    ];
    for (what, args, says) in cases {
        let err = fails(&strs(&request(&args)));
        assert!(err.contains(says), "{what}: {err}");
    }
    let count = onchain::view(&mut chain, registry, Registry::requestCountCall {}).expect("count");
    assert_eq!(count, U256::from(id + 1), "nothing else was posted");
}
