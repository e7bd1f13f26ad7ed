//! Integer-only ML kernels for the opML guest. `no_std`: the same code runs natively
//! and compiled to `wasm32v1-none`.
//!
//! Every kernel uses integer arithmetic with explicitly wrapping accumulation, so native
//! x86, wasmi and the step machine agree bit for bit (no floats, no overflow traps that
//! depend on the build profile).
#![no_std]

pub mod smoke;

use core::fmt;

/// A kernel was called with buffers whose lengths do not fit together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeError {
    /// Length of the weight matrix buffer.
    pub weights: usize,
    /// Length of the input vector.
    pub input: usize,
    /// Length of the output vector.
    pub out: usize,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shape mismatch: weights has {} elements, expected out.len() * input.len() = {} * {}",
            self.weights, self.out, self.input
        )
    }
}

impl core::error::Error for ShapeError {}

/// Integer matrix-vector product: `out[r] = sum_c weights[r * cols + c] * input[c]`,
/// where `cols = input.len()` and `weights` is row-major with `out.len()` rows.
///
/// Products are widened to `i32` and accumulated with wrapping addition, so the result
/// is the same on every engine for any row length.
pub fn gemv_i8(weights: &[i8], input: &[i8], out: &mut [i32]) -> Result<(), ShapeError> {
    let cols = input.len();
    let shape_error = ShapeError {
        weights: weights.len(),
        input: cols,
        out: out.len(),
    };
    if out.len().checked_mul(cols) != Some(weights.len()) {
        return Err(shape_error);
    }
    if cols == 0 {
        out.fill(0);
        return Ok(());
    }
    for (acc, row) in out.iter_mut().zip(weights.chunks_exact(cols)) {
        *acc = row.iter().zip(input).fold(0i32, |sum, (&w, &x)| {
            sum.wrapping_add(i32::from(w) * i32::from(x))
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemv_matches_hand_computed_product() {
        #[rustfmt::skip]
        let weights: [i8; 6] = [
            1, -2, 3,
            -128, 127, 0,
        ];
        let input: [i8; 3] = [4, 5, -6];
        let mut out = [0i32; 2];
        gemv_i8(&weights, &input, &mut out).expect("shapes fit");
        assert_eq!(out, [4 - 10 - 18, -512 + 635]);
    }

    #[test]
    fn gemv_extreme_values_do_not_overflow_i32_per_product() {
        let weights = [-128i8; 4];
        let input = [-128i8; 4];
        let mut out = [0i32; 1];
        gemv_i8(&weights, &input, &mut out).expect("shapes fit");
        assert_eq!(out, [4 * 16384]);
    }

    #[test]
    fn gemv_with_empty_input_zeroes_output() {
        let mut out = [7i32; 3];
        gemv_i8(&[], &[], &mut out).expect("shapes fit");
        assert_eq!(out, [0; 3]);
    }

    #[test]
    fn gemv_rejects_mismatched_shapes() {
        let mut out = [0i32; 2];
        let err = gemv_i8(&[0; 5], &[0; 3], &mut out).expect_err("5 != 2 * 3");
        assert_eq!(
            err,
            ShapeError {
                weights: 5,
                input: 3,
                out: 2
            }
        );
    }
}
