//! compile-model on small synthetic models: a CNN with every layer kind compiles and
//! runs identically in all engines; mismatched weights are rejected naming the node.

use super::*;
use opml_host::guest::{run_step, run_wasmi, GUEST_WASM};
use safetensors::{serialize, tensor::TensorView, Dtype};
use std::collections::HashMap;
use std::path::Path;

/// Deterministic pseudo-random floats in [-1, 1).
fn floats(seed: &mut u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (*seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

fn write_weights(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: HashMap<String, TensorView<'_>> = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), b)| {
            let view = TensorView::new(Dtype::F32, shape.clone(), b).expect("valid view");
            (name.to_string(), view)
        })
        .collect();
    std::fs::write(path, serialize(views, None).expect("serialize")).expect("write weights");
}

/// An IDX file of `n` random `h × w` 8-bit images.
fn write_idx(path: &Path, n: u32, h: u32, w: u32) {
    let mut bytes = vec![0, 0, 8, 3];
    for d in [n, h, w] {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    let mut seed = 99u32;
    bytes.extend(
        floats(&mut seed, (n * h * w) as usize)
            .iter()
            .map(|v| ((v + 1.0) * 127.0) as u8),
    );
    std::fs::write(path, bytes).expect("write idx");
}

const CNN: &str = r#"{
  "inputs": { "x": { "shape": [1, 8, 8], "scale": 0.00784313725490196 } },
  "nodes": [
    { "name": "dense", "op": "dense", "inputs": ["flat"], "weight": "d.w", "bias": "d.b" },
    { "name": "conv", "op": "conv2d", "inputs": ["x"], "weight": "c.w", "bias": "c.b", "padding": 1 },
    { "name": "relu", "op": "relu", "inputs": ["conv"] },
    { "name": "max", "op": "max_pool", "inputs": ["relu"], "size": 2, "stride": 2 },
    { "name": "avg", "op": "avg_pool", "inputs": ["max"], "size": 2, "stride": 1 },
    { "name": "flat", "op": "flatten", "inputs": ["avg"] } ],
  "output": "dense" }"#;

/// Writes the CNN's weights (its dense layer taking `dense_inputs` values), the
/// architecture and `images` calibration images into `dir`.
fn cnn_files(
    dir: &std::path::Path,
    dense_inputs: usize,
    images: u32,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let (weights, arch, data) = (dir.join("w.st"), dir.join("a.json"), dir.join("x.idx"));
    let mut seed = 5u32;
    write_weights(
        &weights,
        &[
            ("c.w", vec![3, 1, 3, 3], floats(&mut seed, 27)),
            ("c.b", vec![3], floats(&mut seed, 3)),
            (
                "d.w",
                vec![4, dense_inputs],
                floats(&mut seed, 4 * dense_inputs),
            ),
            ("d.b", vec![4], floats(&mut seed, 4)),
        ],
    );
    std::fs::write(&arch, CNN).expect("write arch");
    write_idx(&data, images, 8, 8);
    (weights, arch, data)
}

#[test]
fn cnn_compiles_and_runs_identically_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (weights, arch, data) = cnn_files(dir.path(), 27, 30);
    let compiled = compile(&weights, &arch, &data, 30, 30).expect("compile");
    let names: Vec<&str> = compiled.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["conv2d+relu", "max_pool", "avg_pool", "flatten", "dense"]
    );
    for s in &compiled.stages {
        assert!(
            s.activation_error < 0.1,
            "{}: error {}",
            s.name,
            s.activation_error
        );
    }
    let idx = Idx::read(&data).expect("idx");
    for i in 0..5 {
        let input = pixels_to_input(idx.item(i).expect("item"));
        let native = run_native(&compiled.image, &input).expect("native");
        assert_eq!(
            run_wasmi(GUEST_WASM, &compiled.image, &input).expect("wasmi"),
            native
        );
        assert_eq!(
            run_step(GUEST_WASM, &compiled.image, &input)
                .expect("step")
                .0,
            native
        );
    }
}

#[test]
fn mismatched_weights_are_rejected_naming_the_node() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (weights, arch, data) = cnn_files(dir.path(), 26, 3);
    match compile(&weights, &arch, &data, 3, 3) {
        Err(CompileError::Shape { node, message }) if node == "dense" => {
            assert!(message.contains("[4, 26]"), "{message}")
        }
        other => panic!("expected a shape error at node dense, got {other:?}"),
    }
    std::fs::write(&arch, CNN.replace("d.b", "missing")).expect("write arch");
    let err = compile(&weights, &arch, &data, 3, 3).expect_err("missing tensor");
    assert!(err.to_string().contains("`missing`"), "{err}");
    std::fs::write(&arch, CNN).expect("write arch");
    write_idx(&data, 3, 7, 8);
    let err = compile(&weights, &arch, &data, 3, 3).expect_err("wrong image size");
    assert!(err.to_string().contains("needs 64"), "{err}");
}
