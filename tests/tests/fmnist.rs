//! The committed Fashion-MNIST models (an MLP and a CNN): the three engines agree on 200
//! test images, `opml compile-model` reproduces each committed image from the committed
//! weights, and each integer model's accuracy is within 1 point of its float model's.
//!
//! Needs the Debian package `dataset-fashion-mnist` (scripts/setup.sh installs it).

use opml_host::guest::{self, GUEST_WASM};
use opml_model::compile;
use opml_model::idx::{pixels_to_input, Idx};
use opml_tests::repo_root;
use std::path::{Path, PathBuf};

const DATA: &str = "/usr/share/datasets/fashion-mnist";

fn data(name: &str) -> PathBuf {
    let p = Path::new(DATA).join(name);
    assert!(
        p.exists(),
        "{} missing: run scripts/setup.sh (it installs dataset-fashion-mnist)",
        p.display()
    );
    p
}

fn model(name: &str) -> PathBuf {
    repo_root().join("guest-ml/models").join(name)
}

/// The committed models, by file stem.
const MODELS: [&str; 2] = ["fmnist-mlp", "fmnist-cnn"];

#[test]
fn engines_agree_on_200_test_images() {
    let images = Idx::read(&data("t10k-images-idx3-ubyte.gz")).expect("test images");
    let labels = Idx::read(&data("t10k-labels-idx1-ubyte.gz")).expect("test labels");
    for name in MODELS {
        let image = std::fs::read(model(&format!("{name}.opml"))).expect("committed image");
        let mut correct = 0;
        for i in 0..200 {
            let input = pixels_to_input(images.item(i).expect("image exists"));
            let native = guest::run_native(&image, &input).expect("native");
            let wasmi = guest::run_wasmi(GUEST_WASM, &image, &input).expect("wasmi");
            let (step, steps) = guest::run_step(GUEST_WASM, &image, &input).expect("step");
            assert_eq!(native, wasmi, "{name}, image {i}: native and wasmi differ");
            assert_eq!(
                native, step,
                "{name}, image {i}: native and the step machine differ"
            );
            assert!(steps > 0);
            correct += usize::from(native.class == u32::from(labels.data[i]));
        }
        assert!(correct >= 160, "{name}: only {correct}/200 correct");
    }
}

#[test]
fn compile_model_reproduces_the_committed_images_and_keeps_accuracy() {
    for name in MODELS {
        let weights = model(&format!("{name}.safetensors"));
        let arch = model(&format!("{name}.json"));
        let compiled = compile::compile(
            &weights,
            &arch,
            &data("train-images-idx3-ubyte.gz"),
            1000,
            20,
        )
        .expect("compile");
        let committed = std::fs::read(model(&format!("{name}.opml"))).expect("committed image");
        assert!(
            compiled.image == committed,
            "compile-model output differs from guest-ml/models/{name}.opml: recompile it \
             (command in docs/model-image.md)"
        );
        assert!(compiled.stages.iter().all(|s| s.activation_error < 0.05));
        let acc = compile::accuracy(
            &weights,
            &arch,
            &committed,
            &data("t10k-images-idx3-ubyte.gz"),
            &data("t10k-labels-idx1-ubyte.gz"),
        )
        .expect("accuracy");
        assert_eq!(acc.images, 10_000);
        assert!(
            (acc.float - acc.int).abs() <= 0.01,
            "{name}: float {:.4} vs integer {:.4}: more than 1 point apart",
            acc.float,
            acc.int
        );
    }
}
