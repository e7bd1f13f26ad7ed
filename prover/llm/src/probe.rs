//! Measuring what the kernels cost: multiply-accumulates of an image, and a probe
//! image holding a single block matmul, for steps per multiply-accumulate in the step
//! machine (`opml bench --model` and `docs/performance.md`).

use opml_guest_ml::llm::graph::{LlmDType, LlmImage, LlmOp};
use opml_guest_ml::llm::quant::{WeightType, QK};
use opml_guest_ml::llm::LlmError;

use crate::builder::{GraphBuilder, Specials};
use crate::error::CompileError;

/// Multiply-accumulates of one token's forward pass: `rows · cols` of every matmul
/// node (attention's `q·k` and `w·v` products are not counted).
pub fn macs_per_token(image: &LlmImage<'_>) -> Result<u64, LlmError> {
    let mut macs = 0u64;
    for i in 0..image.n_nodes() {
        let node = image.node(i)?;
        if node.op == LlmOp::MatMul {
            let w = image.tensor(node.weights[0])?;
            macs += u64::from(w.dims[0]) * u64::from(w.dims[1]);
        }
    }
    Ok(macs)
}

/// Multiply-accumulates of the matmul nodes whose weights are of type `ty`.
pub fn macs_of_type(image: &LlmImage<'_>, ty: WeightType) -> Result<u64, LlmError> {
    let mut macs = 0u64;
    for i in 0..image.n_nodes() {
        let node = image.node(i)?;
        if node.op == LlmOp::MatMul {
            let w = image.tensor(node.weights[0])?;
            if w.dtype == LlmDType::Weight(ty) {
                macs += u64::from(w.dims[0]) * u64::from(w.dims[1]);
            }
        }
    }
    Ok(macs)
}

/// An image whose whole graph is embed → quantize → one `rows × cols` matmul of type
/// `ty` (pseudo-random blocks from `seed`) → argmax, with a vocabulary of `rows`.
/// Two of them differing only in `rows` give the matmul's marginal cost per
/// multiply-accumulate: `Δsteps / (Δrows · cols)`.
pub fn matmul_probe(
    ty: WeightType,
    rows: u32,
    cols: u32,
    seed: u64,
) -> Result<Vec<u8>, CompileError> {
    if rows == 0 || cols == 0 || cols % QK as u32 != 0 {
        return Err(CompileError::Unsupported(format!(
            "probe of {rows} × {cols}: both nonzero, columns a multiple of 32"
        )));
    }
    let mut s = seed | 1;
    let mut bytes = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s as u8
    };
    let blocks = rows as usize * cols as usize / QK;
    let mut data = Vec::with_capacity(blocks * ty.block_bytes());
    for _ in 0..blocks {
        // Scales of moderate size (positive d, any m), then random quants.
        let scales = if ty == WeightType::Q4_1 { 2 } else { 1 };
        for _ in 0..scales {
            data.extend_from_slice(&(i16::from(bytes() >> 1) + 1).to_le_bytes());
        }
        for _ in 0..ty.block_bytes() - 2 * scales {
            data.push(bytes());
        }
    }
    let dtype = LlmDType::Weight(ty);
    let mut g = GraphBuilder::default();
    let i32t = LlmDType::I32;
    let input = g.arena_tensor("input", i32t, &[2])?;
    let w = g.image_tensor("w", dtype, &[rows, cols], 12, data)?;
    let x = g.arena_tensor("x", i32t, &[cols])?;
    g.node(LlmOp::Embed, [0; 4], &[input], &[w], &[x]);
    let xq = g.arena_tensor("x.q8", LlmDType::ActQ8, &[cols])?;
    g.node(LlmOp::Quantize, [0; 4], &[x], &[], &[xq]);
    let logits = g.arena_tensor("logits", i32t, &[rows])?;
    g.node(LlmOp::MatMul, [0; 4], &[xq], &[w], &[logits]);
    let argmax = g.arena_tensor("argmax", i32t, &[1])?;
    g.node(LlmOp::Argmax, [0; 4], &[logits], &[], &[argmax]);
    let image = g.finish(Specials {
        input,
        logits,
        argmax,
        max_ctx: 1,
        vocab: rows,
    });
    LlmImage::parse(&image)?;
    Ok(image)
}

/// Steps the step machine takes per multiply-accumulate of a `ty` matmul over `cols`
/// columns: two [`matmul_probe`] images of 32 and 288 rows, one token each,
/// `Δsteps / (256 · cols)`.
pub fn steps_per_mac(guest_wasm: &[u8], ty: WeightType, cols: u32) -> Result<f64, ProbeError> {
    let input = crate::guest::encode_request(&[0], 1)?;
    let mut steps = [0u64; 2];
    for (s, rows) in steps.iter_mut().zip([32u32, 288]) {
        let image = matmul_probe(ty, rows, cols, 7)?;
        let mut run = crate::guest::StepRun::load(guest_wasm, &image, &input)?;
        while run.run(1 << 26) {}
        run.finish()?;
        *s = run.steps();
    }
    Ok((steps[1] - steps[0]) as f64 / (256.0 * f64::from(cols)))
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The probe image could not be built.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The guest failed on it.
    #[error(transparent)]
    Guest(#[from] crate::guest::GuestError),
}
