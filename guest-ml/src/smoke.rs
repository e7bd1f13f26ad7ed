//! The foundation smoke workload: a deterministic pseudo-random int8 matrix times a
//! sequence of pseudo-random int8 vectors, folded into one checksum.
//!
//! The Wasm guest (`guest-ml/guest`) runs it on static buffers and exports the checksum
//! as `run() -> i32`; the tests run the same function natively and compare.

use crate::{gemv_i8, ShapeError};

/// Rows of the standard smoke matrix (the length of the output vector).
pub const ROWS: usize = 64;
/// Columns of the standard smoke matrix (the length of the input vector).
pub const COLS: usize = 256;
/// How many input vectors are multiplied with the matrix.
pub const ROUNDS: u32 = 4;
/// Seed of the generator that fills the matrix and the vectors.
pub const SEED: u32 = 0x2545_f491;

/// A 32-bit linear congruential generator (constants from Numerical Recipes); the top
/// byte of each state is the next int8 value.
#[derive(Debug, Clone)]
pub struct Lcg(u32);

impl Lcg {
    /// A generator starting from `seed`.
    pub const fn new(seed: u32) -> Self {
        Self(seed)
    }

    /// Advances the generator and returns its top byte as an `i8`.
    pub fn next_i8(&mut self) -> i8 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        i8::from_be_bytes([self.0.to_be_bytes()[0]])
    }

    /// Overwrites `buf` with the next `buf.len()` values.
    pub fn fill(&mut self, buf: &mut [i8]) {
        buf.iter_mut().for_each(|v| *v = self.next_i8());
    }
}

/// Fills `weights` from [`SEED`], then [`ROUNDS`] times fills `input` with the next
/// values, computes `out = weights * input` with [`gemv_i8`] and folds `out` into an
/// FNV-1a style checksum, which is returned as the bits of an `i32`.
///
/// `weights` must hold `out.len() * input.len()` elements (row-major).
pub fn run(weights: &mut [i8], input: &mut [i8], out: &mut [i32]) -> Result<i32, ShapeError> {
    const FNV_OFFSET: u32 = 0x811c_9dc5;
    const FNV_PRIME: u32 = 0x0100_0193;

    let mut rng = Lcg::new(SEED);
    rng.fill(weights);
    let mut hash = FNV_OFFSET;
    for _ in 0..ROUNDS {
        rng.fill(input);
        gemv_i8(weights, input, out)?;
        for &v in out.iter() {
            hash = (hash ^ u32::from_le_bytes(v.to_le_bytes())).wrapping_mul(FNV_PRIME);
        }
    }
    Ok(i32::from_le_bytes(hash.to_le_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcg_is_deterministic_and_spreads_values() {
        let mut a = Lcg::new(SEED);
        let mut b = Lcg::new(SEED);
        let mut seen_negative = false;
        let mut seen_positive = false;
        for _ in 0..64 {
            let v = a.next_i8();
            assert_eq!(v, b.next_i8());
            seen_negative |= v < 0;
            seen_positive |= v > 0;
        }
        assert!(seen_negative && seen_positive);
    }

    #[test]
    fn run_rejects_mismatched_buffers() {
        let mut weights = [0i8; 10];
        let mut input = [0i8; 4];
        let mut out = [0i32; 3];
        assert!(run(&mut weights, &mut input, &mut out).is_err());
    }

    #[test]
    fn run_is_repeatable() {
        let mut weights = [0i8; ROWS * COLS];
        let mut input = [0i8; COLS];
        let mut out = [0i32; ROWS];
        let first = run(&mut weights, &mut input, &mut out).expect("shapes fit");
        let second = run(&mut weights, &mut input, &mut out).expect("shapes fit");
        assert_eq!(first, second);
    }
}
