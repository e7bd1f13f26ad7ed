//! Keccak-256 of many independent 64-byte inputs (the inner nodes of one tree level),
//! four at a time in the 64-bit lanes of AVX2 registers when the CPU has AVX2.
//!
//! The permutation is written once, generically over a [`Lane`] (one `u64` word of the
//! state, or four of them side by side), from the Keccak reference specification
//! (FIPS 202, section 3.2: theta, rho, pi, chi, iota). The scalar path uses
//! `tiny_keccak` through [`crate::merkle::node`]; the tests check that the four-way path
//! gives the same hashes.

use crate::merkle::{self, Hash};

/// Round constants of iota (FIPS 202, algorithm 5), rounds 0 to 23.
const RC: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];

/// Rotation offsets of rho for the lane at `x + 5 y`.
const RHO: [u32; 25] = [
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
];

/// One state word, or several processed in lock-step.
trait Lane: Copy {
    fn xor(self, other: Self) -> Self;
    /// `!self & other`.
    fn andnot(self, other: Self) -> Self;
    fn rotl(self, n: u32) -> Self;
    fn splat(v: u64) -> Self;
}

/// Keccak-f[1600] on a state of lanes.
#[inline(always)]
fn keccak_f<L: Lane>(a: &mut [L; 25]) {
    for rc in RC {
        // theta
        let mut c = [a[0]; 5];
        for (x, cx) in c.iter_mut().enumerate() {
            *cx = a[x]
                .xor(a[x + 5])
                .xor(a[x + 10])
                .xor(a[x + 15])
                .xor(a[x + 20]);
        }
        for x in 0..5 {
            let d = c[(x + 4) % 5].xor(c[(x + 1) % 5].rotl(1));
            for y in 0..5 {
                a[x + 5 * y] = a[x + 5 * y].xor(d);
            }
        }
        // rho and pi
        let mut b = [a[0]; 25];
        for x in 0..5 {
            for y in 0..5 {
                b[y + 5 * ((2 * x + 3 * y) % 5)] = a[x + 5 * y].rotl(RHO[x + 5 * y]);
            }
        }
        // chi
        for y in 0..5 {
            for x in 0..5 {
                a[x + 5 * y] =
                    b[x + 5 * y].xor(b[(x + 1) % 5 + 5 * y].andnot(b[(x + 2) % 5 + 5 * y]));
            }
        }
        // iota
        a[0] = a[0].xor(L::splat(rc));
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{keccak_f, Lane};
    use crate::merkle::Hash;
    use std::arch::x86_64::{
        __m256i, _mm256_andnot_si256, _mm256_or_si256, _mm256_set1_epi64x, _mm256_set_epi64x,
        _mm256_sll_epi64, _mm256_srl_epi64, _mm256_storeu_si256, _mm256_xor_si256,
        _mm_cvtsi64_si128,
    };

    /// Four state words, one per input.
    #[derive(Clone, Copy)]
    struct X4(__m256i);

    // SAFETY (all methods): only reached from `hash4`, which runs only after AVX2 was
    // detected, and into which these are inlined.
    impl Lane for X4 {
        #[inline(always)]
        fn xor(self, other: Self) -> Self {
            X4(unsafe { _mm256_xor_si256(self.0, other.0) })
        }
        #[inline(always)]
        fn andnot(self, other: Self) -> Self {
            X4(unsafe { _mm256_andnot_si256(self.0, other.0) })
        }
        #[inline(always)]
        fn rotl(self, n: u32) -> Self {
            // A shift by 64 gives 0, so n = 0 is the identity.
            X4(unsafe {
                _mm256_or_si256(
                    _mm256_sll_epi64(self.0, _mm_cvtsi64_si128(n as i64)),
                    _mm256_srl_epi64(self.0, _mm_cvtsi64_si128(64 - n as i64)),
                )
            })
        }
        #[inline(always)]
        fn splat(v: u64) -> Self {
            X4(unsafe { _mm256_set1_epi64x(v as i64) })
        }
    }

    /// Keccak-256 of four 64-byte inputs.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn hash4(inputs: [&[u8]; 4], out: &mut [Hash]) {
        let word = |i: usize, w: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&inputs[i][8 * w..8 * w + 8]);
            u64::from_le_bytes(b) as i64
        };
        let zero = X4::splat(0);
        let mut a = [zero; 25];
        for (w, lane) in a.iter_mut().enumerate().take(8) {
            *lane = X4(_mm256_set_epi64x(
                word(3, w),
                word(2, w),
                word(1, w),
                word(0, w),
            ));
        }
        a[8] = X4::splat(0x01);
        a[16] = X4::splat(0x80 << 56);
        keccak_f(&mut a);
        let mut words = [[0u64; 4]; 4];
        for (dst, lane) in words.iter_mut().zip(&a) {
            // SAFETY: `dst` is 32 bytes, written unaligned.
            unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), lane.0) };
        }
        for (i, h) in out.iter_mut().enumerate().take(4) {
            for (w, chunk) in h.chunks_exact_mut(8).enumerate() {
                chunk.copy_from_slice(&words[w][i].to_le_bytes());
            }
        }
    }
}

/// `out[i] = keccak256(input[64 i .. 64 i + 64])`; `input` holds `64 * out.len()` bytes.
pub(crate) fn hash_pairs(input: &[u8], out: &mut [Hash]) {
    debug_assert_eq!(input.len(), 64 * out.len());
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        for (block, outs) in input.chunks_exact(256).zip(out.chunks_exact_mut(4)) {
            let inputs = [
                &block[..64],
                &block[64..128],
                &block[128..192],
                &block[192..],
            ];
            // SAFETY: AVX2 was detected just above.
            unsafe { avx2::hash4(inputs, outs) };
            done += 4;
        }
    }
    for (pair, h) in input[64 * done..].chunks_exact(64).zip(&mut out[done..]) {
        let (l, r) = pair.split_at(32);
        let mut lh = [0u8; 32];
        let mut rh = [0u8; 32];
        lh.copy_from_slice(l);
        rh.copy_from_slice(r);
        *h = merkle::node(&lh, &rh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Lane for u64 {
        fn xor(self, other: Self) -> Self {
            self ^ other
        }
        fn andnot(self, other: Self) -> Self {
            !self & other
        }
        fn rotl(self, n: u32) -> Self {
            self.rotate_left(n)
        }
        fn splat(v: u64) -> Self {
            v
        }
    }

    #[test]
    fn generic_permutation_matches_tiny_keccak() {
        let mut a: [u64; 25] =
            core::array::from_fn(|i| (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut b = a;
        keccak_f(&mut a);
        tiny_keccak::keccakf(&mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn hash_pairs_matches_node_for_every_count() {
        let input: Vec<u8> = (0..64 * 11).map(|i| (i * 31 + 7) as u8).collect();
        for n in 0..=11 {
            let mut out = vec![[0u8; 32]; n];
            hash_pairs(&input[..64 * n], &mut out);
            for (i, h) in out.iter().enumerate() {
                let pair = &input[64 * i..64 * i + 64];
                let (l, r) = pair.split_at(32);
                assert_eq!(*h, merkle::keccak(&[l, r]), "{n} pairs, pair {i}");
            }
        }
    }
}
