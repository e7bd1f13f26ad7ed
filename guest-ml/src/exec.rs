//! Runs a model image on an input: the ops in order over two int8 activation buffers
//! and one int32 accumulator buffer, then argmax and softmax into the output bytes.
//!
//! The Wasm guest and the native path call the same [`infer`], with buffers of the same
//! capacity ([`crate::abi::ACTIVATION_CAPACITY`]), so they accept and reject the same
//! models and inputs with the same error.

use crate::image::{bytes_as_i8, Image, Op, OpKind, Tensor};
use crate::kernels::{self, Pool, Requant, Spatial, Window};
use crate::Error;

/// The working buffers: two int8 activation buffers and an int32 accumulator buffer.
pub struct Scratch<'s> {
    /// First int8 buffer.
    pub a: &'s mut [i8],
    /// Second int8 buffer.
    pub b: &'s mut [i8],
    /// int32 buffer.
    pub acc: &'s mut [i32],
}

/// Which buffer holds the current activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    A,
    B,
    Acc,
}

/// The current activation: where, and its shape `[C, H, W]` (flat: `[N, 1, 1]`).
#[derive(Clone, Copy, Debug)]
struct Act {
    slot: Slot,
    dims: [usize; 3],
    flat: bool,
}

impl Act {
    fn len(&self) -> usize {
        self.dims[0] * self.dims[1] * self.dims[2]
    }
}

/// A read-only view of an activation, passed to the observer after each op.
#[derive(Clone, Copy, Debug)]
pub enum View<'v> {
    /// int8 values.
    I8(&'v [i8]),
    /// int32 values.
    I32(&'v [i32]),
}

/// Layout of the output bytes: `[u32 class][u32 n][n × i32 logits][n × u32 softmax
/// Q16]`, all little-endian. Returns the number of bytes for `n` classes.
pub const fn output_len(n: usize) -> usize {
    8 + 8 * n
}

/// Runs `image` on `input` (int8 bytes) and writes the output (see [`output_len`]) to
/// the start of `out`; returns how many bytes were written. `observe(i, view)` is
/// called after op `i` with its result (the guest passes a no-op).
pub fn infer(
    image: &[u8],
    input: &[u8],
    scratch: Scratch<'_>,
    out: &mut [u8],
    mut observe: impl FnMut(u32, View<'_>),
) -> Result<usize, Error> {
    let image = Image::parse(image)?;
    let Scratch { a, b, acc } = scratch;
    // In u64, so the result does not depend on the width of usize (32 bits in Wasm).
    let want = image
        .input
        .iter()
        .try_fold(1u64, |p, &d| p.checked_mul(d as u64));
    if want != Some(input.len() as u64) {
        return Err(Error::InputSize);
    }
    let n_in = input.len();
    if n_in > a.len() {
        return Err(Error::Capacity(0));
    }
    a[..n_in].copy_from_slice(bytes_as_i8(input));
    let mut act = Act {
        slot: Slot::A,
        dims: image.input,
        flat: false,
    };
    for i in 0..image.n_ops() {
        let op = image.op(i)?;
        act = step(&image, i, op, act, a, b, acc)?;
        let n = act.len();
        observe(
            i,
            match act.slot {
                Slot::A => View::I8(&a[..n]),
                Slot::B => View::I8(&b[..n]),
                Slot::Acc => View::I32(&acc[..n]),
            },
        );
    }
    if act.slot != Slot::Acc || !act.flat || act.len() == 0 {
        return Err(Error::Output);
    }
    let n = act.len();
    if out.len() < output_len(n) || 2 * n > acc.len() {
        return Err(Error::Output);
    }
    let (logits, rest) = acc.split_at_mut(n);
    let probs = &mut rest[..n];
    let class = kernels::argmax(logits).ok_or(Error::Output)? as u32;
    kernels::softmax_q16(logits, image.softmax, probs).map_err(|_| Error::Output)?;
    out[0..4].copy_from_slice(&class.to_le_bytes());
    out[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    for (k, (&l, &p)) in logits.iter().zip(probs.iter()).enumerate() {
        out[8 + 4 * k..12 + 4 * k].copy_from_slice(&l.to_le_bytes());
        let at = 8 + 4 * n + 4 * k;
        out[at..at + 4].copy_from_slice(&p.to_le_bytes());
    }
    Ok(output_len(n))
}

/// A tensor of the expected dtype and rank, or `BadOp(op)`.
fn tensor_i8<'a>(
    image: &Image<'a>,
    op: u32,
    id: u32,
    rank: usize,
) -> Result<(Tensor<'a>, &'a [i8]), Error> {
    let t = image.tensor(id).map_err(|_| Error::BadOp(op))?;
    match t.as_i8() {
        Some(data) if t.rank == rank => Ok((t, data)),
        _ => Err(Error::BadOp(op)),
    }
}

/// The bias tensor: int32 of rank 1 with `n` elements, or `BadOp(op)`.
fn bias_i32<'a>(image: &Image<'a>, op: u32, id: u32, n: usize) -> Result<&'a [i32], Error> {
    let t = image.tensor(id).map_err(|_| Error::BadOp(op))?;
    match t.as_i32() {
        Some(data) if t.rank == 1 && data.len() == n => Ok(data),
        _ => Err(Error::BadOp(op)),
    }
}

/// Checks that an activation of `len` elements fits buffers of `cap` elements.
fn fits(i: u32, len: usize, cap: usize) -> Result<(), Error> {
    if len > cap {
        Err(Error::Capacity(i))
    } else {
        Ok(())
    }
}

/// Runs op `i` on `act`, returns the new activation.
fn step(
    image: &Image<'_>,
    i: u32,
    op: Op,
    act: Act,
    a: &mut [i8],
    b: &mut [i8],
    acc: &mut [i32],
) -> Result<Act, Error> {
    let shape = Error::Shape(i);
    let n = act.len();
    let cap = a.len().min(b.len()).min(acc.len());
    let (src8, dst8): (&mut [i8], &mut [i8]) = match act.slot {
        Slot::B => (b, a),
        _ => (a, b),
    };
    match op.kind {
        OpKind::Dense => {
            let (w, weights) = tensor_i8(image, i, op.a, 2)?;
            let [o, k, ..] = w.dims;
            if act.slot == Slot::Acc || !act.flat || k != n {
                return Err(shape);
            }
            fits(i, o, cap)?;
            let bias = bias_i32(image, i, op.b, o)?;
            let out = &mut acc[..o];
            kernels::gemv_i8(weights, &src8[..n], out).map_err(|_| shape)?;
            kernels::add_bias(out, bias).map_err(|_| shape)?;
            Ok(Act {
                slot: Slot::Acc,
                dims: [o, 1, 1],
                flat: true,
            })
        }
        OpKind::Conv2d => {
            let (w, weights) = tensor_i8(image, i, op.a, 4)?;
            let [o, c, k, k2] = w.dims;
            let window = Window {
                size: k,
                stride: (op.c & 0xffff) as usize,
                padding: (op.c >> 16) as usize,
            };
            if k != k2 || window.stride == 0 || window.padding >= k {
                return Err(Error::BadOp(i));
            }
            if act.slot == Slot::Acc || act.flat || c != act.dims[0] {
                return Err(shape);
            }
            let spatial = Spatial {
                input: act.dims,
                window,
            };
            let (oh, ow) = spatial.out_hw().map_err(|_| shape)?;
            let len = o
                .checked_mul(oh)
                .and_then(|x| x.checked_mul(ow))
                .ok_or(Error::Capacity(i))?;
            fits(i, len, cap)?;
            let bias = bias_i32(image, i, op.b, o)?;
            let out = &mut acc[..len];
            kernels::conv2d_i8(&src8[..n], spatial, weights, out).map_err(|_| shape)?;
            kernels::add_bias(out, bias).map_err(|_| shape)?;
            Ok(Act {
                slot: Slot::Acc,
                dims: [o, oh, ow],
                flat: false,
            })
        }
        OpKind::Requantize => {
            let q = Requant {
                multiplier: op.a as i32,
                shift: op.b as i32,
            };
            if !q.is_valid() || op.c != 0 {
                return Err(Error::BadOp(i));
            }
            if act.slot != Slot::Acc {
                return Err(shape);
            }
            kernels::requantize(&acc[..n], q, &mut src8[..n]).map_err(|_| shape)?;
            Ok(Act {
                slot: Slot::A,
                ..act
            })
        }
        OpKind::Relu => {
            match act.slot {
                Slot::Acc => kernels::relu_i32(&mut acc[..n]),
                _ => kernels::relu_i8(&mut src8[..n]),
            }
            Ok(act)
        }
        OpKind::MaxPool | OpKind::AvgPool => {
            let window = Window {
                size: op.a as usize,
                stride: op.b as usize,
                padding: 0,
            };
            if window.size == 0 || window.stride == 0 || op.c != 0 {
                return Err(Error::BadOp(i));
            }
            if act.slot == Slot::Acc || act.flat {
                return Err(shape);
            }
            let spatial = Spatial {
                input: act.dims,
                window,
            };
            let (oh, ow) = spatial.out_hw().map_err(|_| shape)?;
            let len = act.dims[0] * oh * ow;
            let kind = if op.kind == OpKind::MaxPool {
                Pool::Max
            } else {
                Pool::Avg
            };
            kernels::pool_i8(&src8[..n], spatial, kind, &mut dst8[..len]).map_err(|_| shape)?;
            let slot = if act.slot == Slot::A {
                Slot::B
            } else {
                Slot::A
            };
            Ok(Act {
                slot,
                dims: [act.dims[0], oh, ow],
                flat: false,
            })
        }
        OpKind::Flatten => Ok(Act {
            dims: [n, 1, 1],
            flat: true,
            ..act
        }),
    }
}
