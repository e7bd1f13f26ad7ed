//! The arithmetic of n-way dissection, shared by every level of the game: the Rust twin
//! of `arbiter-sol/contracts/Dissection.sol` (`tests/tests/dissection.rs` checks that
//! they agree). A disputed range `[lo, hi]` of positions (Wasm steps, or graph nodes) is
//! cut into `min(hi - lo, degree)` segments of equal length, up to rounding.

/// The points that cut `[lo, hi]`: `lo`, the inner points, `hi` (just `[lo]` when the
/// range is empty; `degree` below 1 is taken as 1).
pub fn points(lo: u64, hi: u64, degree: u64) -> Vec<u64> {
    let len = hi.saturating_sub(lo);
    let k = len.min(degree.max(1));
    if k == 0 {
        return vec![lo];
    }
    (0..=k)
        .map(|i| lo + ((u128::from(len) * u128::from(i)) / u128::from(k)) as u64)
        .collect()
}

/// Dissection rounds until a range of `len` positions is down to one (`degree` below 2
/// is taken as 2, so the count is finite).
pub fn rounds(mut len: u64, degree: u64) -> u64 {
    let degree = degree.max(2);
    let mut r = 0;
    while len > 1 {
        len = len.div_ceil(len.min(degree));
        r += 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_cut_the_range_into_equal_segments() {
        assert_eq!(points(0, 8, 4), [0, 2, 4, 6, 8]);
        assert_eq!(points(10, 13, 8), [10, 11, 12, 13]);
        assert_eq!(points(0, 10, 3), [0, 3, 6, 10]);
        assert_eq!(points(5, 5, 4), [5]);
        assert_eq!(points(0, u64::MAX, 2), [0, u64::MAX / 2, u64::MAX]);
    }

    #[test]
    fn rounds_shrink_the_range_to_one_position() {
        assert_eq!(rounds(1, 8), 0);
        assert_eq!(rounds(8, 8), 1);
        assert_eq!(rounds(9, 8), 2);
        assert_eq!(rounds(1 << 40, 2), 40);
        // Every segment after a cut is at most ceil(len / k) long, so the count bounds
        // a game along any path.
        for len in 1..300u64 {
            for degree in 2..10 {
                let p = points(0, len, degree);
                let longest = p.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
                assert!(len == 1 || rounds(longest, degree) + 1 == rounds(len, degree));
            }
        }
    }
}
