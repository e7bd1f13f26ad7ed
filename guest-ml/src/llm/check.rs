//! Whether a node fits its tensors: op parameters, dtypes, shapes, regions, and that
//! what it writes does not alias what it reads (except the documented in-place ops).

use super::attention::{AttnShape, MAX_HEAD_DIM};
use super::error::LlmError;
use super::graph::{LlmDType, LlmImage, LlmOp, Node, Region, TensorEntry, NONE, ROPE_TABLE_SHIFT};
use super::norm::MAX_NORM_LEN;
use super::quant::QK;

/// Checks node `i` of `image`.
pub(super) fn node(image: &LlmImage<'_>, i: u32, n: &Node) -> Result<(), LlmError> {
    let bad = LlmError::BadNode(i);
    let ok = |c: bool| if c { Ok(()) } else { Err(bad) };
    let get = |id: u32| image.tensor(id).map_err(|_| bad);
    let arena = |id: u32, dtype: LlmDType| -> Result<TensorEntry, LlmError> {
        let t = get(id)?;
        ok(t.region == Region::Arena && t.dtype == dtype)?;
        Ok(t)
    };
    let act = |id: u32| arena(id, LlmDType::I32);
    let weight = |id: u32| -> Result<(TensorEntry, u64, u64), LlmError> {
        let t = get(id)?;
        ok(matches!(t.dtype, LlmDType::Weight(_)))?;
        Ok((t, u64::from(t.dims[0]), u64::from(t.dims[1])))
    };
    let input = |id: u32| ok(id == image.input);
    let disjoint = |a: &TensorEntry, b: &TensorEntry| {
        ok(a.region != b.region
            || a.range().end <= b.range().start
            || b.range().end <= a.range().start)
    };
    let unused = |slots: &[u32]| ok(slots.iter().all(|&s| s == NONE));
    let [in0, in1, in2, in3] = n.inputs;
    let [w0, w1] = n.weights;
    let [out0, out1] = n.outputs;
    let ctx = u64::from(image.max_ctx);
    match n.op {
        LlmOp::Embed => {
            input(in0)?;
            unused(&[in1, in2, in3, w1, out1])?;
            let (_, rows, cols) = weight(w0)?;
            let o = act(out0)?;
            ok(rows == u64::from(image.vocab) && o.elements() == cols)
        }
        LlmOp::RmsNorm => {
            unused(&[in1, in2, in3, w1, out1])?;
            let (x, o, w) = (act(in0)?, act(out0)?, get(w0)?);
            ok(w.dtype == LlmDType::I32 && w.region == Region::Image)?;
            ok(x.elements() == o.elements() && w.elements() == x.elements())?;
            ok(x.elements() <= MAX_NORM_LEN as u64 && n.params[1] <= 255)?;
            disjoint(&x, &o)
        }
        LlmOp::Quantize => {
            unused(&[in1, in2, in3, w0, w1, out1])?;
            let (x, o) = (act(in0)?, arena(out0, LlmDType::ActQ8)?);
            ok(x.elements() == o.elements() && x.elements() % QK as u64 == 0)
        }
        LlmOp::MatMul => {
            unused(&[in1, in2, in3, w1, out1])?;
            let (a, o) = (arena(in0, LlmDType::ActQ8)?, act(out0)?);
            let (_, rows, cols) = weight(w0)?;
            ok(a.elements() == cols && o.elements() == rows)
        }
        LlmOp::Rope => {
            input(in1)?;
            unused(&[in2, in3, w1, out1])?;
            ok(in0 == out0)?;
            let (x, table) = (act(in0)?, get(w0)?);
            let hd = u64::from(n.params[0]);
            ok(hd > 0 && hd % 2 == 0 && x.elements() % hd == 0)?;
            ok(table.dtype == LlmDType::I32
                && table.region == Region::Image
                && table.shift == ROPE_TABLE_SHIFT)?;
            ok(
                table.rank == 2
                    && u64::from(table.dims[0]) >= ctx
                    && u64::from(table.dims[1]) == hd,
            )
        }
        LlmOp::CacheWrite => {
            input(in1)?;
            unused(&[in2, in3, w0, w1, out1])?;
            let (x, c) = (act(in0)?, act(out0)?);
            ok(c.rank == 2 && u64::from(c.dims[0]) >= ctx && u64::from(c.dims[1]) == x.elements())?;
            disjoint(&x, &c)
        }
        LlmOp::Attention => {
            input(in3)?;
            unused(&[w0, w1])?;
            let [heads, kv_heads, hd, mul] = n.params.map(|p| p as usize);
            let shape = AttnShape {
                n_heads: heads,
                n_kv_heads: kv_heads,
                head_dim: hd,
                score_mul: mul as i64,
            };
            ok(shape.is_valid() && hd <= MAX_HEAD_DIM)?;
            let (q, k, v, o, s) = (act(in0)?, act(in1)?, act(in2)?, act(out0)?, act(out1)?);
            // In u64: on wasm32 the usize products could wrap.
            let kvd = u64::from(n.params[1]) * u64::from(n.params[2]);
            let q_len = u64::from(n.params[0]) * u64::from(n.params[2]);
            ok(q.elements() == q_len && o.elements() == q.elements())?;
            for c in [&k, &v] {
                ok(c.rank == 2 && u64::from(c.dims[0]) >= ctx && u64::from(c.dims[1]) == kvd)?;
            }
            ok(s.elements() >= ctx)?;
            for w in [&o, &s] {
                for r in [&q, &k, &v] {
                    disjoint(w, r)?;
                }
            }
            disjoint(&o, &s)
        }
        LlmOp::SwiGlu => {
            unused(&[in2, in3, w0, w1, out1])?;
            let (g, u, o) = (act(in0)?, act(in1)?, act(out0)?);
            ok(g.elements() == u.elements() && o.elements() == g.elements())?;
            disjoint(&o, &g)?;
            disjoint(&o, &u)
        }
        LlmOp::Add => {
            unused(&[in2, in3, w0, w1, out1])?;
            let (a, b, o) = (act(in0)?, act(in1)?, act(out0)?);
            ok(a.elements() == b.elements() && o.elements() == a.elements())?;
            disjoint(&o, &b)?;
            if out0 != in0 {
                disjoint(&o, &a)?;
            }
            Ok(())
        }
        LlmOp::Argmax => {
            unused(&[in1, in2, in3, w0, w1, out1])?;
            let (x, o) = (act(in0)?, act(out0)?);
            ok(o.elements() == 1 && x.elements() > 0)?;
            disjoint(&x, &o)
        }
    }
}
