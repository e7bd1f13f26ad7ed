//! Keccak-256 and fixed-depth binary Merkle trees.
//!
//! Every tree in the machine is a *fixed-depth* binary tree whose leaves are 32-byte
//! words and whose inner nodes are `keccak256(left ‖ right)`. Absent leaves are zero
//! words; the root of an all-zero subtree of height `h` is `zero_hash(h)`. A tree's depth
//! is fixed by its kind (memory: 27) or committed next to its root (locals, globals), so
//! a leaf can never be confused with an inner node. Everything that is not a tree node is
//! hashed with a one-byte domain tag (see `commit.rs`).

use std::sync::OnceLock;
use tiny_keccak::{Hasher, Keccak};

/// A 32-byte hash or tree word.
pub type Hash = [u8; 32];

/// Keccak-256 of the concatenation of `parts`.
pub fn keccak(parts: &[&[u8]]) -> Hash {
    let mut k = Keccak::v256();
    for p in parts {
        k.update(p);
    }
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// An inner node: `keccak256(left ‖ right)`.
///
/// The 64-byte preimage fits one Keccak-256 block (rate 136 bytes), so this absorbs it
/// straight into the state and runs the permutation once, without the buffering of the
/// general hasher (it is the hot path of memory roots).
#[inline]
pub fn node(left: &Hash, right: &Hash) -> Hash {
    let mut state = [0u64; 25];
    for (i, word) in left
        .chunks_exact(8)
        .chain(right.chunks_exact(8))
        .enumerate()
    {
        let mut b = [0u8; 8];
        b.copy_from_slice(word);
        state[i] = u64::from_le_bytes(b);
    }
    // Keccak padding: 0x01 after the message, 0x80 in the last byte of the block.
    state[8] = 0x01;
    state[16] = 0x80 << 56;
    tiny_keccak::keccakf(&mut state);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(8).zip(&state) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// The largest tree height used anywhere (memory: 27 levels under the root).
pub const MAX_HEIGHT: usize = 40;

/// Root of an all-zero subtree of height `h` (`zero_hash(0)` is the zero leaf).
pub fn zero_hash(h: usize) -> Hash {
    static ZEROS: OnceLock<Vec<Hash>> = OnceLock::new();
    let zeros = ZEROS.get_or_init(|| {
        let mut v = vec![[0u8; 32]];
        for i in 0..MAX_HEIGHT {
            let z = node(&v[i], &v[i]);
            v.push(z);
        }
        v
    });
    zeros[h]
}

/// Root of a tree of height `height` whose first leaves are `leaves` and the rest zero.
///
/// Costs one hash per inner node over the given leaves plus one per level above them.
pub fn root_of(leaves: &[Hash], height: usize) -> Hash {
    root_over(leaves, 0, height)
}

/// The level above `level` (nodes at height `h`, absent ones `zero_hash(h)`).
fn parent_level(level: &[Hash], h: usize) -> Vec<Hash> {
    let mut padded;
    let level = if level.len() % 2 == 1 {
        padded = level.to_vec();
        padded.push(zero_hash(h));
        &padded[..]
    } else {
        level
    };
    let mut up = vec![[0u8; 32]; level.len() / 2];
    crate::keccak4::hash_pairs(level.as_flattened(), &mut up);
    up
}

/// Like [`root_of`], for leaves that are themselves roots of subtrees of height `base`
/// (absent ones being `zero_hash(base)`): the result is a root of height `base + height`.
pub fn root_over(leaves: &[Hash], base: usize, height: usize) -> Hash {
    debug_assert!(leaves.len() <= 1usize << height.min(63));
    let mut level: Vec<Hash> = leaves.to_vec();
    for h in 0..height {
        if level.is_empty() {
            return zero_hash(base + height);
        }
        level = parent_level(&level, base + h);
    }
    level
        .first()
        .copied()
        .unwrap_or_else(|| zero_hash(base + height))
}

/// The sibling path (bottom first, `height` hashes) of leaf `index` in the tree that
/// [`root_over`] builds from the same arguments.
pub fn path_over(leaves: &[Hash], base: usize, height: usize, index: usize) -> Vec<Hash> {
    Tree::over(leaves.to_vec(), base, height).path(index)
}

/// The root of the tree in which `leaf` sits at `index` with sibling path `path`
/// (bottom first); the tree's height is the path's length.
pub fn root_from_path(leaf: &Hash, index: u64, path: &[Hash]) -> Hash {
    path.iter().enumerate().fold(*leaf, |acc, (h, sibling)| {
        if (index >> h) & 1 == 0 {
            node(&acc, sibling)
        } else {
            node(sibling, &acc)
        }
    })
}

/// A fixed-height tree that keeps every level, for many paths into one tree.
#[derive(Clone, Debug)]
pub struct Tree {
    /// Height of the subtrees the leaves stand for (0: plain leaves).
    base: usize,
    /// `levels[h]` holds the non-zero-padded nodes at height `h`; `levels[0]` the leaves.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// The tree of height `height` over `leaves` (the rest zero).
    pub fn new(leaves: Vec<Hash>, height: usize) -> Tree {
        Tree::over(leaves, 0, height)
    }

    /// As [`root_over`]: leaves are roots of subtrees of height `base`.
    pub fn over(leaves: Vec<Hash>, base: usize, height: usize) -> Tree {
        let mut levels = vec![leaves];
        for h in 0..height {
            let next = parent_level(&levels[h], base + h);
            levels.push(next);
        }
        Tree { base, levels }
    }

    /// The height (above the leaves).
    pub fn height(&self) -> usize {
        self.levels.len() - 1
    }

    /// The root (as [`root_over`] over the same leaves and heights).
    pub fn root(&self) -> Hash {
        let h = self.height();
        self.levels[h]
            .first()
            .copied()
            .unwrap_or_else(|| zero_hash(self.base + h))
    }

    /// The leaf at `index` (zero beyond the given leaves).
    pub fn leaf(&self, index: usize) -> Hash {
        self.levels[0]
            .get(index)
            .copied()
            .unwrap_or_else(|| zero_hash(self.base))
    }

    /// The sibling path of leaf `index`, bottom first.
    pub fn path(&self, index: usize) -> Vec<Hash> {
        (0..self.height())
            .map(|h| {
                self.levels[h]
                    .get((index >> h) ^ 1)
                    .copied()
                    .unwrap_or_else(|| zero_hash(self.base + h))
            })
            .collect()
    }
}

/// The smallest height whose tree holds `n` leaves (`0` for `n <= 1`).
pub fn height_for(n: usize) -> usize {
    n.max(1).next_power_of_two().trailing_zeros() as usize
}

/// A 64-bit value as a tree leaf: big-endian in the last 8 bytes of the word.
pub fn value_leaf(v: u64) -> Hash {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_of_matches_naive_full_tree() {
        let leaves: Vec<Hash> = (0..5u64).map(value_leaf).collect();
        let mut full = leaves.clone();
        full.resize(8, [0; 32]);
        let l1: Vec<Hash> = full.chunks(2).map(|p| node(&p[0], &p[1])).collect();
        let l2: Vec<Hash> = l1.chunks(2).map(|p| node(&p[0], &p[1])).collect();
        let r3 = node(&l2[0], &l2[1]);
        assert_eq!(root_of(&leaves, 3), r3);
        assert_eq!(root_of(&leaves, 4), node(&r3, &zero_hash(3)));
        assert_eq!(root_of(&[], 5), zero_hash(5));
    }

    #[test]
    fn node_is_keccak_of_the_concatenation() {
        let l: Hash = core::array::from_fn(|i| i as u8);
        let r: Hash = core::array::from_fn(|i| 0xff - i as u8);
        assert_eq!(node(&l, &r), keccak(&[&l, &r]));
        // keccak256 of 64 zero bytes, a well-known constant.
        assert_eq!(
            node(&[0; 32], &[0; 32]),
            *b"\xad\x32\x28\xb6\x76\xf7\xd3\xcd\x42\x84\xa5\x44\x3f\x17\xf1\x96\x2b\x36\xe4\x91\xb3\x0a\x40\xb2\x40\x58\x49\xe5\x97\xba\x5f\xb5"
        );
    }

    #[test]
    fn paths_lead_back_to_the_root() {
        let leaves: Vec<Hash> = (1..=6u64).map(value_leaf).collect();
        for height in [3, 5] {
            let root = root_of(&leaves, height);
            for i in 0..8 {
                let leaf = leaves.get(i).copied().unwrap_or([0; 32]);
                let path = path_over(&leaves, 0, height, i);
                assert_eq!(path.len(), height);
                let tree = Tree::new(leaves.clone(), height);
                assert_eq!(tree.root(), root);
                assert_eq!(tree.path(i), path);
                assert_eq!(root_from_path(&leaf, i as u64, &path), root, "leaf {i}");
            }
        }
    }

    #[test]
    fn heights() {
        assert_eq!(height_for(0), 0);
        assert_eq!(height_for(1), 0);
        assert_eq!(height_for(2), 1);
        assert_eq!(height_for(5), 3);
    }
}
