//! `opml compile-model`: float weights (safetensors) + a model description (a graph,
//! JSON: [`graph`]) + calibration images → an int8 model image, with per-layer quantization
//! error and, optionally, float vs integer accuracy on a labelled test set.
//!
//! Quantization is symmetric (zero point 0): per-tensor weight scale `max|W| / 127`,
//! int32 bias at the accumulator scale `s_in · s_w`, activation scales from the
//! calibration maxima (`max / 127`), requantization multipliers in Q0.31 with a shift.
//! A linear layer followed by ReLU is one stage (linear, requantize, ReLU); the last
//! linear layer keeps its int32 accumulators as the logits.

use crate::idx::{pixels_to_input, Idx};
use crate::image::{ImageBuilder, TensorSpec};
use opml_guest_ml::exec::View;
use opml_guest_ml::image::OpKind;
use opml_guest_ml::kernels::Requant;
use opml_host::guest::{run_native, run_native_observed, GuestError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

mod float;
pub mod graph;

pub use graph::Graph;

use float::{float_outputs, load_layers, FAct, FLayer};

/// The chain of layers a [`Graph`] describes, from its input to its output.
#[derive(Clone, Debug)]
pub struct Arch {
    /// Input shape `[C, H, W]`.
    pub input: [u32; 3],
    /// Real value of one input unit (IDX images: `2/255`, since `q = pixel >> 1`).
    pub input_scale: f64,
    /// Layers.
    pub layers: Vec<Layer>,
    /// The graph node of each layer.
    pub nodes: Vec<String>,
}

/// The op of one graph node; weights are named safetensors entries (F32).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Layer {
    /// Fully connected: weight `[O, I]`, bias `[O]`.
    Dense {
        /// Weight tensor name.
        weight: String,
        /// Bias tensor name.
        bias: String,
    },
    /// 2-D convolution: weight `[O, C, K, K]`, bias `[O]`.
    Conv2d {
        /// Weight tensor name.
        weight: String,
        /// Bias tensor name.
        bias: String,
        /// Stride (default 1).
        #[serde(default = "one")]
        stride: u16,
        /// Zero padding (default 0).
        #[serde(default)]
        padding: u16,
    },
    /// ReLU.
    Relu,
    /// Max pooling.
    MaxPool {
        /// Window size.
        size: u32,
        /// Stride.
        stride: u32,
    },
    /// Average pooling.
    AvgPool {
        /// Window size.
        size: u32,
        /// Stride.
        stride: u32,
    },
    /// `[C, H, W]` → `[C·H·W]`.
    Flatten,
}

impl Layer {
    /// The node's `op` name in the model description.
    pub fn name(&self) -> &'static str {
        match self {
            Layer::Dense { .. } => "dense",
            Layer::Conv2d { .. } => "conv2d",
            Layer::Relu => "relu",
            Layer::MaxPool { .. } => "max_pool",
            Layer::AvgPool { .. } => "avg_pool",
            Layer::Flatten => "flatten",
        }
    }
}

fn one() -> u16 {
    1
}

/// Why a model could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The architecture file is malformed.
    #[error("{path}: {message}")]
    Arch {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// The weights file or a tensor in it is unusable.
    #[error("weights: {0}")]
    Weights(String),
    /// Layer shapes do not fit together.
    #[error("node {node:?}: {message}")]
    Shape {
        /// The graph node.
        node: String,
        /// What does not fit.
        message: String,
    },
    /// The calibration or test data is unusable.
    #[error(transparent)]
    Data(#[from] crate::idx::IdxError),
    /// A data file has the wrong shape.
    #[error("{0}")]
    DataShape(String),
    /// Running the compiled model failed.
    #[error("the compiled model does not run: {0}")]
    Run(#[from] GuestError),
}

fn read(path: &Path) -> Result<Vec<u8>, CompileError> {
    std::fs::read(path).map_err(|source| CompileError::Read {
        path: path.into(),
        source,
    })
}

/// Reads a model description (a [`Graph`] in JSON) as the chain of layers it describes.
fn read_graph(path: &Path) -> Result<Arch, CompileError> {
    let err = |message: String| CompileError::Arch {
        path: path.into(),
        message,
    };
    let graph: Graph = serde_json::from_slice(&read(path)?).map_err(|e| err(e.to_string()))?;
    graph.to_arch().map_err(|e| err(e.to_string()))
}

/// `m` and `shift` with `m / 2^(31 + shift) ≈ real` (`real > 0`).
pub fn requant_of(real: f64) -> Option<Requant> {
    (-30..=31).find_map(|shift: i32| {
        let m = (real * 2f64.powi(31 + shift)).round();
        ((1u64 << 30) as f64..(1u64 << 31) as f64)
            .contains(&m)
            .then_some(Requant {
                multiplier: m as i32,
                shift,
            })
    })
}

/// `scale ≈ mantissa · 2^exponent`, mantissa near 2^30 (informational tensor field).
fn scale_field(scale: f64) -> (i32, i32) {
    if scale <= 0.0 || !scale.is_finite() {
        return (0, 0);
    }
    let e = scale.log2().floor() as i32 - 30;
    ((scale / 2f64.powi(e)).round() as i32, e)
}

/// Quantization error of one stage, measured on the error set.
#[derive(Clone, Debug)]
pub struct StageReport {
    /// Architecture layers of the stage, e.g. `dense+relu`.
    pub name: String,
    /// Relative RMS error of the quantized weights, if the stage has weights.
    pub weight_error: Option<f64>,
    /// Relative RMS error of the dequantized int activation vs the float activation.
    pub activation_error: f64,
    /// Scale of the stage's int output.
    pub scale: f64,
}

/// The compiled image and what compiling measured.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The image bytes.
    pub image: Vec<u8>,
    /// Per-stage quantization error.
    pub stages: Vec<StageReport>,
}

fn rel_rms(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (approx, exact) in pairs {
        num += (approx - exact).powi(2);
        den += exact.powi(2);
    }
    if den == 0.0 {
        num.sqrt()
    } else {
        (num / den).sqrt()
    }
}

/// Compiles `weights` (safetensors) for `arch_path`, calibrating activation scales on
/// the first `calibrate_count` images of the IDX file `calibrate`; the error report
/// uses the first `error_count` of them.
pub fn compile(
    weights: &Path,
    arch_path: &Path,
    calibrate: &Path,
    calibrate_count: usize,
    error_count: usize,
) -> Result<Compiled, CompileError> {
    let arch = read_graph(arch_path)?;
    let layers = load_layers(&arch, &read(weights)?)?;
    let inputs = load_inputs(calibrate, &arch, calibrate_count)?;
    let floats: Vec<Vec<FAct>> = inputs
        .iter()
        .map(|x| float_outputs(&arch, &layers, x))
        .collect::<Result<_, _>>()?;
    let max_after = |l: usize| {
        floats
            .iter()
            .flat_map(|o| o[l].v.iter())
            .fold(0f32, |m, v| m.max(v.abs())) as f64
    };
    let last_linear = layers
        .iter()
        .rposition(|l| matches!(l, FLayer::Linear { .. }));
    let mut b = ImageBuilder::new(
        arch.input,
        Requant {
            multiplier: 1 << 30,
            shift: 0,
        },
    );
    // (stage name, weight error, index of its last op, of its last layer, output scale)
    let mut probes = Vec::new();
    let mut scale = arch.input_scale;
    let mut i = 0;
    while i < layers.len() {
        let relu_next = matches!(layers.get(i + 1), Some(FLayer::Relu));
        match &layers[i] {
            FLayer::Linear {
                w,
                wdims,
                b: bias,
                conv,
            } => {
                let wmax = w.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
                let s_w = if wmax > 0.0 { wmax / 127.0 } else { 1.0 };
                let wq: Vec<i8> = w
                    .iter()
                    .map(|&v| (v as f64 / s_w).round().clamp(-127.0, 127.0) as i8)
                    .collect();
                let werr = rel_rms(
                    wq.iter()
                        .zip(w)
                        .map(|(&q, &v)| (f64::from(q) * s_w, f64::from(v))),
                );
                let s_acc = scale * s_w;
                let bq: Vec<i32> = bias
                    .iter()
                    .map(|&v| (v as f64 / s_acc).round() as i32)
                    .collect();
                let dims: Vec<u32> = wdims.iter().map(|&d| d as u32).collect();
                let wt = TensorSpec::i8(&dims, &wq, scale_field(s_w));
                let bt = TensorSpec::i32(&[bq.len() as u32], &bq, scale_field(s_acc));
                match conv {
                    Some((stride, pad)) => b.conv2d(wt, bt, *stride, *pad),
                    None => b.dense(wt, bt),
                };
                let kind = if conv.is_some() { "conv2d" } else { "dense" };
                let last = i + usize::from(relu_next);
                let name = if relu_next {
                    format!("{kind}+relu")
                } else {
                    kind.to_string()
                };
                if Some(i) == last_linear {
                    if relu_next {
                        b.op(OpKind::Relu, [0; 3]);
                    }
                    probes.push((name, Some(werr), b.ops.len() - 1, last, s_acc));
                    scale = s_acc;
                } else {
                    let m = max_after(last);
                    let s_out = if m > 0.0 { m / 127.0 } else { 1.0 };
                    let q = requant_of(s_acc / s_out).ok_or_else(|| CompileError::Shape {
                        node: arch.nodes[i].clone(),
                        message: format!("requantization scale {} out of range", s_acc / s_out),
                    })?;
                    b.requantize(q);
                    if relu_next {
                        b.op(OpKind::Relu, [0; 3]);
                    }
                    probes.push((name, Some(werr), b.ops.len() - 1, last, s_out));
                    scale = s_out;
                }
                i = last + 1;
                continue;
            }
            FLayer::Relu => b.op(OpKind::Relu, [0; 3]),
            FLayer::Pool { max, size, stride } => {
                let kind = if *max {
                    OpKind::MaxPool
                } else {
                    OpKind::AvgPool
                };
                b.op(kind, [*size, *stride, 0])
            }
            FLayer::Flatten => b.op(OpKind::Flatten, [0; 3]),
        };
        probes.push((
            arch.layers[i].name().to_string(),
            None,
            b.ops.len() - 1,
            i,
            scale,
        ));
        i += 1;
    }
    b.softmax = requant_of(scale * 65536.0).ok_or_else(|| CompileError::Shape {
        node: arch.nodes.last().cloned().unwrap_or_default(),
        message: "logit scale out of range for the softmax".into(),
    })?;
    let image = b.build();

    let mut acc: Vec<(f64, f64)> = vec![(0.0, 0.0); probes.len()];
    for (x, fl) in inputs.iter().zip(&floats).take(error_count.max(1)) {
        run_native_observed(&image, x, |op, view| {
            for (k, (_, _, at, layer, s)) in probes.iter().enumerate() {
                if *at as u32 == op {
                    let ints: Vec<f64> = match view {
                        View::I8(v) => v.iter().map(|&q| f64::from(q) * s).collect(),
                        View::I32(v) => v.iter().map(|&q| f64::from(q) * s).collect(),
                    };
                    for (q, f) in ints.iter().zip(&fl[*layer].v) {
                        acc[k].0 += (q - f64::from(*f)).powi(2);
                        acc[k].1 += f64::from(*f).powi(2);
                    }
                }
            }
        })?;
    }
    let stages = probes
        .into_iter()
        .zip(acc)
        .map(
            |((name, weight_error, _, _, scale), (num, den))| StageReport {
                name,
                weight_error,
                activation_error: if den > 0.0 {
                    (num / den).sqrt()
                } else {
                    num.sqrt()
                },
                scale,
            },
        )
        .collect();
    Ok(Compiled { image, stages })
}

/// The first `count` images of an IDX file as guest inputs, checked against the arch.
fn load_inputs(path: &Path, arch: &Arch, count: usize) -> Result<Vec<Vec<u8>>, CompileError> {
    let idx = Idx::read(path)?;
    let want = arch.input.iter().map(|&d| d as usize).product::<usize>();
    (0..count.min(idx.len()))
        .map(|i| {
            let px = idx.item(i).unwrap_or_default();
            if px.len() != want {
                return Err(CompileError::DataShape(format!(
                    "{}: items have {} bytes, the model input {:?} needs {want}",
                    path.display(),
                    px.len(),
                    arch.input
                )));
            }
            Ok(pixels_to_input(px))
        })
        .collect()
}

/// Float and integer accuracy on a labelled IDX test set.
#[derive(Clone, Copy, Debug)]
pub struct Accuracy {
    /// Images evaluated.
    pub images: usize,
    /// Fraction the float model classifies correctly.
    pub float: f64,
    /// Fraction the compiled integer model (native runner) classifies correctly.
    pub int: f64,
}

/// Evaluates the float model and the compiled image on `images`/`labels`.
pub fn accuracy(
    weights: &Path,
    arch_path: &Path,
    image: &[u8],
    images: &Path,
    labels: &Path,
) -> Result<Accuracy, CompileError> {
    let arch = read_graph(arch_path)?;
    let layers = load_layers(&arch, &read(weights)?)?;
    let inputs = load_inputs(images, &arch, usize::MAX)?;
    let labels = Idx::read(labels)?;
    if labels.len() != inputs.len() {
        return Err(CompileError::DataShape(format!(
            "{} images but {} labels",
            inputs.len(),
            labels.len()
        )));
    }
    let (mut float_ok, mut int_ok) = (0usize, 0usize);
    for (x, &label) in inputs.iter().zip(&labels.data) {
        let outs = float_outputs(&arch, &layers, x)?;
        let logits = outs.last().map(|a| a.v.as_slice()).unwrap_or_default();
        let best = logits
            .iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
            );
        float_ok += usize::from(best.0 == usize::from(label));
        int_ok += usize::from(run_native(image, x)?.class == u32::from(label));
    }
    let n = inputs.len().max(1) as f64;
    Ok(Accuracy {
        images: inputs.len(),
        float: float_ok as f64 / n,
        int: int_ok as f64 / n,
    })
}

#[cfg(test)]
mod tests;
