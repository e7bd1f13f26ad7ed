//! `opml infer` from the command line: the three engines print the same class and
//! logits; a corrupt image or a wrong-sized input fails with a message saying why.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-ml/models/fmnist-mlp.opml")
}

fn opml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opml"))
        .args(args)
        .output()
        .expect("run opml")
}

#[test]
fn infer_engines_print_the_same_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input.bin");
    // A raw input: a diagonal stripe of int8 values.
    let bytes: Vec<u8> = (0..784u32)
        .map(|i| if i % 29 == 0 { 120 } else { 3 })
        .collect();
    std::fs::write(&input, bytes).expect("write input");
    let model = model();
    let mut results = Vec::new();
    for engine in ["native", "wasmi", "step"] {
        let out = opml(&[
            "infer",
            "--model",
            model.to_str().expect("utf-8 path"),
            "--input",
            input.to_str().expect("utf-8 path"),
            "--engine",
            engine,
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{engine}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
        assert_eq!(
            v["logits"].as_array().map(Vec::len),
            Some(10),
            "{engine}: {v}"
        );
        results.push((
            v["class"].clone(),
            v["logits"].clone(),
            v["probs_q16"].clone(),
        ));
        assert_eq!(v["steps"].is_u64(), engine == "step", "{engine}: {v}");
    }
    assert_eq!(results[0], results[1], "native vs wasmi");
    assert_eq!(results[0], results[2], "native vs step");
}

#[test]
fn infer_rejects_corrupt_images_and_wrong_inputs_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut image = std::fs::read(model()).expect("committed image");
    let mid = image.len() / 2;
    image[mid] ^= 1;
    let corrupt = dir.path().join("corrupt.opml");
    std::fs::write(&corrupt, image).expect("write image");
    let input = dir.path().join("input.bin");
    std::fs::write(&input, [0u8; 784]).expect("write input");
    let short = dir.path().join("short.bin");
    std::fs::write(&short, [0u8; 100]).expect("write input");
    let model = model();
    for (image, input, want) in [
        (&corrupt, &input, "checksum mismatch"),
        (&model, &short, "input length differs"),
    ] {
        for engine in ["native", "step"] {
            let out = opml(&[
                "infer",
                "--model",
                image.to_str().expect("utf-8 path"),
                "--input",
                input.to_str().expect("utf-8 path"),
                "--engine",
                engine,
            ]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success(),
                "{engine}: accepted a bad model or input"
            );
            assert!(
                stderr.contains(want),
                "{engine}: stderr lacks `{want}`: {stderr}"
            );
        }
    }
}
