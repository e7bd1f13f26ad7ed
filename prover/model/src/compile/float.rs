//! The float reference model: the architecture's layers with their F32 weights, run
//! on the same inputs as the integer model, for calibration, the error report and the
//! float accuracy.

use super::{Arch, CompileError, Layer};

/// A float layer with its loaded weights.
#[derive(Clone, Debug)]
pub(super) enum FLayer {
    Linear {
        w: Vec<f32>,
        wdims: Vec<usize>,
        b: Vec<f32>,
        conv: Option<(u16, u16)>,
    },
    Relu,
    Pool {
        max: bool,
        size: u32,
        stride: u32,
    },
    Flatten,
}

/// A float activation: values and `[C, H, W]` (flat: `[N, 1, 1]`).
#[derive(Clone, Debug)]
pub(super) struct FAct {
    pub(super) v: Vec<f32>,
    pub(super) dims: [usize; 3],
}

pub(super) fn load_layers(arch: &Arch, weights: &[u8]) -> Result<Vec<FLayer>, CompileError> {
    let st = safetensors::SafeTensors::deserialize(weights)
        .map_err(|e| CompileError::Weights(e.to_string()))?;
    let get = |name: &str| -> Result<(Vec<f32>, Vec<usize>), CompileError> {
        let t = st
            .tensor(name)
            .map_err(|e| CompileError::Weights(format!("tensor `{name}`: {e}")))?;
        if t.dtype() != safetensors::Dtype::F32 {
            return Err(CompileError::Weights(format!(
                "tensor `{name}` is {:?}, expected F32",
                t.dtype()
            )));
        }
        let v = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok((v, t.shape().to_vec()))
    };
    arch.layers
        .iter()
        .map(|l| {
            Ok(match l {
                Layer::Dense { weight, bias } | Layer::Conv2d { weight, bias, .. } => {
                    let (w, wdims) = get(weight)?;
                    let (b, _) = get(bias)?;
                    let conv = match l {
                        Layer::Conv2d {
                            stride, padding, ..
                        } => Some((*stride, *padding)),
                        _ => None,
                    };
                    FLayer::Linear { w, wdims, b, conv }
                }
                Layer::Relu => FLayer::Relu,
                Layer::MaxPool { size, stride } | Layer::AvgPool { size, stride } => FLayer::Pool {
                    max: matches!(l, Layer::MaxPool { .. }),
                    size: *size,
                    stride: *stride,
                },
                Layer::Flatten => FLayer::Flatten,
            })
        })
        .collect()
}

/// Runs one float layer; shape errors name its node.
fn forward(node: &str, layer: &FLayer, x: &FAct) -> Result<FAct, CompileError> {
    let err = |message: String| CompileError::Shape {
        node: node.to_string(),
        message,
    };
    let [c, h, w] = x.dims;
    Ok(match layer {
        FLayer::Linear {
            w: wt,
            wdims,
            b,
            conv: None,
        } => {
            let (o, n) = match wdims[..] {
                [o, n] if n == x.v.len() && b.len() == o => (o, n),
                _ => {
                    return Err(err(format!(
                        "dense weight {wdims:?} vs input {}",
                        x.v.len()
                    )))
                }
            };
            let v = (0..o)
                .map(|r| b[r] + (0..n).map(|k| wt[r * n + k] * x.v[k]).sum::<f32>())
                .collect();
            FAct { v, dims: [o, 1, 1] }
        }
        FLayer::Linear {
            w: wt,
            wdims,
            b,
            conv: Some((stride, pad)),
        } => {
            let (o, k) = match wdims[..] {
                [o, ci, k, k2] if ci == c && k == k2 && b.len() == o => (o, k),
                _ => return Err(err(format!("conv weight {wdims:?} vs input {:?}", x.dims))),
            };
            let (s, p) = (usize::from(*stride), usize::from(*pad));
            if s == 0 || h + 2 * p < k || w + 2 * p < k {
                return Err(err("conv window does not fit".into()));
            }
            let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
            let mut v = vec![0f32; o * oh * ow];
            for oc in 0..o {
                for y in 0..oh {
                    for xx in 0..ow {
                        let mut acc = b[oc];
                        for ic in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let (iy, ix) = (
                                        (y * s + ky).wrapping_sub(p),
                                        (xx * s + kx).wrapping_sub(p),
                                    );
                                    if iy < h && ix < w {
                                        acc += wt[((oc * c + ic) * k + ky) * k + kx]
                                            * x.v[(ic * h + iy) * w + ix];
                                    }
                                }
                            }
                        }
                        v[(oc * oh + y) * ow + xx] = acc;
                    }
                }
            }
            FAct {
                v,
                dims: [o, oh, ow],
            }
        }
        FLayer::Relu => FAct {
            v: x.v.iter().map(|v| v.max(0.0)).collect(),
            dims: x.dims,
        },
        FLayer::Pool { max, size, stride } => {
            let (k, s) = (*size as usize, *stride as usize);
            if k == 0 || s == 0 || h < k || w < k {
                return Err(err("pool window does not fit".into()));
            }
            let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1);
            let mut v = Vec::with_capacity(c * oh * ow);
            for ch in 0..c {
                for y in 0..oh {
                    for xx in 0..ow {
                        let win =
                            (0..k * k).map(|j| x.v[(ch * h + y * s + j / k) * w + xx * s + j % k]);
                        v.push(if *max {
                            win.fold(f32::NEG_INFINITY, f32::max)
                        } else {
                            win.sum::<f32>() / (k * k) as f32
                        });
                    }
                }
            }
            FAct {
                v,
                dims: [c, oh, ow],
            }
        }
        FLayer::Flatten => FAct {
            v: x.v.clone(),
            dims: [x.v.len(), 1, 1],
        },
    })
}

/// All layer outputs of the float model for one int8 input.
pub(super) fn float_outputs(
    arch: &Arch,
    layers: &[FLayer],
    input: &[u8],
) -> Result<Vec<FAct>, CompileError> {
    let scale = arch.input_scale as f32;
    let mut x = FAct {
        v: input.iter().map(|&q| f32::from(q as i8) * scale).collect(),
        dims: arch.input.map(|d| d as usize),
    };
    let mut outs = Vec::with_capacity(layers.len());
    for (node, l) in arch.nodes.iter().zip(layers) {
        x = forward(node, l, &x)?;
        outs.push(x.clone());
    }
    Ok(outs)
}
