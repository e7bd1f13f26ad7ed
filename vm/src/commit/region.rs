//! Aligned regions of the memory tree: the root of a tensor, and a memory composed from
//! tensor roots.
//!
//! A region of height `h` is `2^h` leaves (32 bytes each) starting at a leaf index that
//! is a multiple of `2^h`; its root is a node of the memory tree. So a memory whose only
//! non-zero bytes lie in such regions has a root that depends on the regions' roots
//! alone: [`compose`] rebuilds it from them with at most [`MEMORY_TREE_HEIGHT`] hashes
//! per region, which is what lets a contract derive the start state of one graph node's
//! Wasm run from the roots of its input and weight tensors (docs/dispute-protocol.md,
//! "Two phases"). `arbiter-sol/contracts/Regions.sol` is the same code in Solidity, and
//! reads side by side with this file.

use crate::memory::{page_root, LEAF_SIZE, MEMORY_TREE_HEIGHT, PAGE_SIZE, PAGE_TREE_HEIGHT};
use crate::merkle::{node, root_of, root_over, zero_hash, Hash};

/// Why a region, its bytes or a composition is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// The height is above the memory tree's.
    #[error("region height {height} is above the memory tree's {MEMORY_TREE_HEIGHT}")]
    Height {
        /// The height asked for.
        height: u32,
    },
    /// The address is not a multiple of the region's size.
    #[error("region at {addr:#x} of height {height} is not aligned to its {} bytes", (LEAF_SIZE as u64) << height)]
    Misaligned {
        /// Byte address.
        addr: u64,
        /// Region height.
        height: u32,
    },
    /// The region ends beyond 4 GiB.
    #[error("region at {addr:#x} of height {height} ends beyond the 4 GiB memory")]
    Outside {
        /// Byte address.
        addr: u64,
        /// Region height.
        height: u32,
    },
    /// More bytes than the region holds.
    #[error("{len} bytes do not fit a region of height {height} ({} bytes)", (LEAF_SIZE as u64) << height)]
    TooLong {
        /// Bytes given.
        len: usize,
        /// Region height.
        height: u32,
    },
    /// Two regions of a composition overlap or are not in address order.
    #[error("region at {next:#x} starts before the region before it ends at {end:#x} (regions must be disjoint and in address order)")]
    Overlap {
        /// Where the previous region ends.
        end: u64,
        /// Where the offending region starts.
        next: u64,
    },
}

/// An aligned region: the subtree of height `height` at position `index` among the
/// subtrees of that height (its first leaf is `index << height`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// Height of the subtree (0: one 32-byte leaf; 11: one page).
    pub height: u32,
    /// Position among the subtrees of this height.
    pub index: u64,
}

impl Region {
    /// The region of height `height` starting at byte address `addr`.
    pub fn at(addr: u64, height: u32) -> Result<Region, RegionError> {
        if height as usize > MEMORY_TREE_HEIGHT {
            return Err(RegionError::Height { height });
        }
        let len = (LEAF_SIZE as u64) << height;
        if !addr.is_multiple_of(len) {
            return Err(RegionError::Misaligned { addr, height });
        }
        if addr + len > (LEAF_SIZE as u64) << MEMORY_TREE_HEIGHT {
            return Err(RegionError::Outside { addr, height });
        }
        Ok(Region {
            height,
            index: addr / len,
        })
    }

    /// Its first byte's address.
    pub fn addr(&self) -> u64 {
        self.index * self.len()
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        (LEAF_SIZE as u64) << self.height
    }

    /// Whether the region is empty (never: the smallest region is one leaf).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The smallest region height holding `len` bytes.
pub fn height_for_len(len: u64) -> u32 {
    let leaves = len.div_ceil(LEAF_SIZE as u64).max(1);
    leaves.next_power_of_two().trailing_zeros()
}

/// The root of a region of height `height` holding `bytes` from its start, zero after.
pub fn bytes_root(bytes: &[u8], height: u32) -> Result<Hash, RegionError> {
    if height as usize > MEMORY_TREE_HEIGHT {
        return Err(RegionError::Height { height });
    }
    if bytes.len() as u64 > (LEAF_SIZE as u64) << height {
        return Err(RegionError::TooLong {
            len: bytes.len(),
            height,
        });
    }
    let h = height as usize;
    if h < PAGE_TREE_HEIGHT {
        let leaves: Vec<Hash> = bytes.chunks(LEAF_SIZE).map(leaf_of).collect();
        return Ok(root_of(&leaves, h));
    }
    let pages: Vec<Hash> = {
        use rayon::prelude::*;
        bytes
            .par_chunks(PAGE_SIZE)
            .map(|chunk| {
                if chunk.len() == PAGE_SIZE {
                    page_root(chunk)
                } else {
                    let mut page = vec![0u8; PAGE_SIZE];
                    page[..chunk.len()].copy_from_slice(chunk);
                    page_root(&page)
                }
            })
            .collect()
    };
    Ok(root_over(&pages, PAGE_TREE_HEIGHT, h - PAGE_TREE_HEIGHT))
}

/// A 32-byte leaf from up to 32 bytes, zero padded.
fn leaf_of(chunk: &[u8]) -> Hash {
    let mut w = [0u8; 32];
    w[..chunk.len()].copy_from_slice(chunk);
    w
}

/// The root of the memory tree in which the given regions hold the given roots and
/// every other byte is zero. Regions must be disjoint and in address order.
///
/// Level by level from the leaves: every node at the current height is hashed with its
/// sibling when the next region is that sibling, else with the zero subtree; regions of
/// greater height wait for their level. Costs at most one hash per region per level.
pub fn compose(regions: &[(Region, Hash)]) -> Result<Hash, RegionError> {
    for pair in regions.windows(2) {
        let (a, b) = (pair[0].0, pair[1].0);
        if a.addr() + a.len() > b.addr() {
            return Err(RegionError::Overlap {
                end: a.addr() + a.len(),
                next: b.addr(),
            });
        }
    }
    if let Some((r, _)) = regions
        .iter()
        .find(|(r, _)| r.height as usize > MEMORY_TREE_HEIGHT)
    {
        return Err(RegionError::Height { height: r.height });
    }
    let mut nodes: Vec<(Region, Hash)> = regions.to_vec();
    for h in 0..MEMORY_TREE_HEIGHT as u32 {
        let mut up = Vec::with_capacity(nodes.len());
        let mut i = 0;
        while i < nodes.len() {
            let (r, root) = nodes[i];
            if r.height != h {
                up.push((r, root));
                i += 1;
                continue;
            }
            let zero = zero_hash(h as usize);
            let sibling_next = nodes.get(i + 1).is_some_and(|(s, _)| {
                r.index.is_multiple_of(2) && s.height == h && s.index == r.index + 1
            });
            let parent = if sibling_next {
                i += 1;
                node(&root, &nodes[i].1)
            } else if r.index.is_multiple_of(2) {
                node(&root, &zero)
            } else {
                node(&zero, &root)
            };
            up.push((
                Region {
                    height: h + 1,
                    index: r.index / 2,
                },
                parent,
            ));
            i += 1;
        }
        nodes = up;
    }
    Ok(nodes
        .first()
        .map_or_else(|| zero_hash(MEMORY_TREE_HEIGHT), |(_, root)| *root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Memory;
    use crate::merkle::root_from_path;

    fn pseudo_bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// The composition of regions equals the step machine's memory root for a memory
    /// holding the same bytes at the same addresses, and each region's proof folds up to
    /// that root.
    #[test]
    fn composed_root_is_the_memory_root() {
        // (addr, height, bytes): a leaf, part of a page, a whole page, several pages.
        let parts: Vec<(u64, u32, Vec<u8>)> = vec![
            (0x20, 0, pseudo_bytes(20, 1)),
            (0x400, 5, pseudo_bytes(1000, 2)),
            (0x1_0000, 11, pseudo_bytes(PAGE_SIZE, 3)),
            (0x4_0000, 13, pseudo_bytes(3 * PAGE_SIZE + 17, 4)),
            (0x10_0000, 15, pseudo_bytes(5000, 5)),
        ];
        let mut memory = Memory::new(48, None);
        let mut regions = Vec::new();
        for (addr, height, bytes) in &parts {
            memory
                .write_bytes(*addr as usize, bytes)
                .expect("inside memory");
            let region = Region::at(*addr, *height).expect("aligned");
            regions.push((region, bytes_root(bytes, *height).expect("fits")));
        }
        let root = memory.root();
        assert_eq!(compose(&regions).expect("disjoint"), root);
        for (region, region_root) in &regions {
            let (node_root, path) = memory.subtree_proof(region.height as usize, region.index);
            assert_eq!(node_root, *region_root, "region at {:#x}", region.addr());
            assert_eq!(path.len(), MEMORY_TREE_HEIGHT - region.height as usize);
            assert_eq!(root_from_path(region_root, region.index, &path), root);
        }
    }

    #[test]
    fn no_region_is_the_zero_memory() {
        assert_eq!(compose(&[]), Ok(zero_hash(MEMORY_TREE_HEIGHT)));
        let mut memory = Memory::new(3, None);
        assert_eq!(compose(&[]).expect("empty"), memory.root());
    }

    #[test]
    fn siblings_and_a_whole_memory_compose() {
        let a = bytes_root(&pseudo_bytes(64, 7), 1).expect("fits");
        let b = bytes_root(&pseudo_bytes(64, 8), 1).expect("fits");
        let both = compose(&[
            (Region::at(0, 1).expect("aligned"), a),
            (Region::at(64, 1).expect("aligned"), b),
        ]);
        let mut bytes = pseudo_bytes(64, 7);
        bytes.extend(pseudo_bytes(64, 8));
        let joined = compose(&[(
            Region::at(0, 2).expect("aligned"),
            bytes_root(&bytes, 2).expect("fits"),
        )]);
        assert_eq!(both, joined);
        let whole = Region::at(0, MEMORY_TREE_HEIGHT as u32).expect("the whole memory");
        assert_eq!(compose(&[(whole, a)]), Ok(a));
    }

    #[test]
    fn bad_regions_are_refused() {
        assert_eq!(
            Region::at(0x30, 1),
            Err(RegionError::Misaligned {
                addr: 0x30,
                height: 1
            })
        );
        assert_eq!(Region::at(0, 28), Err(RegionError::Height { height: 28 }));
        assert_eq!(
            Region::at(0xFFFF_FFC0, 6),
            Err(RegionError::Misaligned {
                addr: 0xFFFF_FFC0,
                height: 6
            })
        );
        assert!(Region::at(0xFFFF_FFE0, 0).is_ok());
        assert_eq!(
            Region::at(1 << 32, 0),
            Err(RegionError::Outside {
                addr: 1 << 32,
                height: 0
            })
        );
        assert_eq!(
            bytes_root(&[1; 33], 0),
            Err(RegionError::TooLong { len: 33, height: 0 })
        );
        let r = |addr, h| (Region::at(addr, h).expect("aligned"), [1u8; 32]);
        assert_eq!(
            compose(&[r(0, 2), r(64, 0)]),
            Err(RegionError::Overlap { end: 128, next: 64 })
        );
        assert_eq!(
            compose(&[r(128, 0), r(0, 0)]),
            Err(RegionError::Overlap { end: 160, next: 0 })
        );
    }

    #[test]
    fn heights_for_lengths() {
        assert_eq!(height_for_len(0), 0);
        assert_eq!(height_for_len(32), 0);
        assert_eq!(height_for_len(33), 1);
        assert_eq!(height_for_len(PAGE_SIZE as u64), 11);
        assert_eq!(height_for_len(PAGE_SIZE as u64 + 1), 12);
    }
}
