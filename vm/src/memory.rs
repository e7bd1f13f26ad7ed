//! Linear memory with per-page dirty tracking and a lazily rehashed Merkle root.
//!
//! The bytes live in one flat buffer (the executor's hot path is a bounds check and a
//! copy). The commitment is one binary tree of fixed height [`MEMORY_TREE_HEIGHT`] over
//! the whole 4 GiB address space with 32-byte leaves: a 64 KiB page is a subtree of
//! height [`PAGE_TREE_HEIGHT`], and bytes beyond the current size are zero. Stores mark
//! their pages dirty; [`Memory::root`] rehashes only dirty pages. `memory.grow` changes
//! the size (committed separately), never the tree.

use crate::merkle::{self, Hash};
use crate::trap::Trap;
use std::sync::Arc;

/// Bytes in a Wasm page.
pub const PAGE_SIZE: usize = 1 << 16;
/// Bytes in a memory leaf.
pub const LEAF_SIZE: usize = 32;
/// Height of one page's subtree (2^11 leaves of 32 bytes).
pub const PAGE_TREE_HEIGHT: usize = 11;
/// Height of the tree over pages (2^16 pages of 64 KiB = 4 GiB).
pub const PAGES_TREE_HEIGHT: usize = 16;
/// Height of the whole memory tree (leaves are 32-byte words).
pub const MEMORY_TREE_HEIGHT: usize = PAGE_TREE_HEIGHT + PAGES_TREE_HEIGHT;
/// The most pages a 32-bit memory can have.
pub const MAX_PAGES: u32 = 1 << 16;

const DIRTY_HASH: u8 = 1;
const DIRTY_SNAPSHOT: u8 = 2;

/// A page's bytes as kept by checkpoints, shared between snapshots until it changes.
pub type PageBuf = Arc<[u8]>;

/// One linear memory.
#[derive(Clone, Debug)]
pub struct Memory {
    bytes: Vec<u8>,
    max_pages: Option<u32>,
    /// Per page: `DIRTY_HASH` (page hash stale), `DIRTY_SNAPSHOT` (changed since the
    /// last snapshot).
    dirty: Vec<u8>,
    page_hashes: Vec<Hash>,
}

/// The part of a memory a checkpoint keeps: pages shared copy-on-write, hash cache.
#[derive(Clone, Debug)]
pub struct MemorySnapshot {
    pages: Vec<PageBuf>,
    max_pages: Option<u32>,
    page_hashes: Vec<Hash>,
    hash_stale: Vec<bool>,
}

impl Memory {
    /// A zeroed memory of `initial` pages, growable up to `max` pages.
    pub fn new(initial: u32, max: Option<u32>) -> Memory {
        let n = initial as usize;
        Memory {
            bytes: vec![0; n * PAGE_SIZE],
            max_pages: max,
            dirty: vec![0; n],
            page_hashes: vec![merkle::zero_hash(PAGE_TREE_HEIGHT); n],
        }
    }

    /// Current size in pages.
    #[inline]
    pub fn pages(&self) -> u32 {
        (self.bytes.len() / PAGE_SIZE) as u32
    }

    /// Declared maximum in pages, if any.
    pub fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    /// The memory's bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `memory.grow`: the old size in pages, or `None` when growing by `delta` would pass
    /// the declared maximum or 4 GiB.
    pub fn grow(&mut self, delta: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta).filter(|&n| n <= self.page_limit())?;
        self.bytes.resize(new as usize * PAGE_SIZE, 0);
        self.dirty.resize(new as usize, 0);
        self.page_hashes
            .resize(new as usize, merkle::zero_hash(PAGE_TREE_HEIGHT));
        Some(old)
    }

    /// The effective address range `base + offset .. + len`, if inside memory.
    #[inline(always)]
    fn range(&self, base: u64, offset: u32, len: usize) -> Result<usize, Trap> {
        let ea = (base as u32 as u64) + offset as u64;
        if ea + len as u64 > self.bytes.len() as u64 {
            return Err(Trap::MemoryOutOfBounds);
        }
        Ok(ea as usize)
    }

    /// Reads `N` bytes at `base + offset`.
    #[inline(always)]
    pub fn read<const N: usize>(&self, base: u64, offset: u32) -> Result<[u8; N], Trap> {
        let ea = self.range(base, offset, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[ea..ea + N]);
        Ok(out)
    }

    /// Writes the low `N` bytes of `value`, little-endian, at `base + offset`.
    #[inline(always)]
    pub fn store<const N: usize>(
        &mut self,
        base: u64,
        offset: u32,
        value: u64,
    ) -> Result<(), Trap> {
        let ea = self.range(base, offset, N)?;
        self.bytes[ea..ea + N].copy_from_slice(&value.to_le_bytes()[..N]);
        self.dirty[ea / PAGE_SIZE] = DIRTY_HASH | DIRTY_SNAPSHOT;
        self.dirty[(ea + N - 1) / PAGE_SIZE] = DIRTY_HASH | DIRTY_SNAPSHOT;
        Ok(())
    }

    /// Copies `data` to `addr` (instantiation's data segments); bounds already checked
    /// by the caller, out of range is an error here too.
    pub fn write_bytes(&mut self, addr: usize, data: &[u8]) -> Result<(), Trap> {
        let end = addr
            .checked_add(data.len())
            .filter(|&e| e <= self.bytes.len())
            .ok_or(Trap::MemoryOutOfBounds)?;
        self.bytes[addr..end].copy_from_slice(data);
        if !data.is_empty() {
            for p in addr / PAGE_SIZE..=(end - 1) / PAGE_SIZE {
                self.dirty[p] = DIRTY_HASH | DIRTY_SNAPSHOT;
            }
        }
        Ok(())
    }

    /// The Merkle root of the memory contents (size not included). Rehashes only the
    /// pages written since the last call.
    pub fn root(&mut self) -> Hash {
        let stale: Vec<usize> = (0..self.dirty.len())
            .filter(|&p| self.dirty[p] & DIRTY_HASH != 0)
            .collect();
        let hashes: Vec<(usize, Hash)> = {
            use rayon::prelude::*;
            stale
                .par_iter()
                .map(|&p| {
                    (
                        p,
                        page_root(&self.bytes[p * PAGE_SIZE..(p + 1) * PAGE_SIZE]),
                    )
                })
                .collect()
        };
        for (p, h) in hashes {
            self.page_hashes[p] = h;
            self.dirty[p] &= !DIRTY_HASH;
        }
        merkle::root_over(&self.page_hashes, PAGE_TREE_HEIGHT, PAGES_TREE_HEIGHT)
    }

    /// The root recomputed from the bytes alone, ignoring every cache (for tests of the
    /// incremental path).
    pub fn root_from_scratch(&self) -> Hash {
        let hashes: Vec<Hash> = self.bytes.chunks(PAGE_SIZE).map(page_root).collect();
        merkle::root_over(&hashes, PAGE_TREE_HEIGHT, PAGES_TREE_HEIGHT)
    }

    /// The 32-byte leaf number `index` (zero beyond the current size) and its sibling
    /// path in the memory tree, bottom first ([`MEMORY_TREE_HEIGHT`] hashes).
    pub fn leaf_proof(&mut self, index: u64) -> (Hash, Vec<Hash>) {
        self.root();
        let leaves_per_page = (PAGE_SIZE / LEAF_SIZE) as u64;
        let page = (index / leaves_per_page) as usize;
        let in_page = (index % leaves_per_page) as usize;
        let mut word = [0u8; 32];
        let mut path = if page < self.pages() as usize {
            let bytes = &self.bytes[page * PAGE_SIZE..(page + 1) * PAGE_SIZE];
            word.copy_from_slice(&bytes[in_page * LEAF_SIZE..(in_page + 1) * LEAF_SIZE]);
            let leaves: Vec<Hash> = bytes
                .chunks_exact(LEAF_SIZE)
                .map(|c| {
                    let mut w = [0u8; 32];
                    w.copy_from_slice(c);
                    w
                })
                .collect();
            merkle::path_over(&leaves, 0, PAGE_TREE_HEIGHT, in_page)
        } else {
            (0..PAGE_TREE_HEIGHT).map(merkle::zero_hash).collect()
        };
        path.extend(merkle::path_over(
            &self.page_hashes,
            PAGE_TREE_HEIGHT,
            PAGES_TREE_HEIGHT,
            page,
        ));
        (word, path)
    }

    /// The most pages `memory.grow` may reach: the declared maximum, capped at 4 GiB.
    pub fn page_limit(&self) -> u32 {
        self.max_pages.unwrap_or(MAX_PAGES).min(MAX_PAGES)
    }

    /// Snapshot for a checkpoint, sharing unchanged pages with `previous`.
    pub fn snapshot(&mut self, previous: Option<&MemorySnapshot>) -> MemorySnapshot {
        let n = self.dirty.len();
        let mut pages = Vec::with_capacity(n);
        for p in 0..n {
            let changed = self.dirty[p] & DIRTY_SNAPSHOT != 0;
            let shared = previous.and_then(|s| s.pages.get(p)).filter(|_| !changed);
            pages.push(match shared {
                Some(buf) => Arc::clone(buf),
                None => PageBuf::from(&self.bytes[p * PAGE_SIZE..(p + 1) * PAGE_SIZE]),
            });
            self.dirty[p] &= !DIRTY_SNAPSHOT;
        }
        MemorySnapshot {
            pages,
            max_pages: self.max_pages,
            page_hashes: self.page_hashes.clone(),
            hash_stale: self.dirty.iter().map(|d| d & DIRTY_HASH != 0).collect(),
        }
    }

    /// Rebuilds a memory from a snapshot. Pages are clean for the next snapshot (which
    /// must then be taken against the same `snapshot`).
    pub fn from_snapshot(s: &MemorySnapshot) -> Memory {
        let mut bytes = Vec::with_capacity(s.pages.len() * PAGE_SIZE);
        for page in &s.pages {
            bytes.extend_from_slice(page);
        }
        Memory {
            bytes,
            max_pages: s.max_pages,
            dirty: s
                .hash_stale
                .iter()
                .map(|&st| if st { DIRTY_HASH } else { 0 })
                .collect(),
            page_hashes: s.page_hashes.clone(),
        }
    }
}

/// Root of one page's subtree: 2048 leaves of 32 bytes.
pub fn page_root(page: &[u8]) -> Hash {
    debug_assert_eq!(page.len(), PAGE_SIZE);
    if page.iter().all(|&b| b == 0) {
        return merkle::zero_hash(PAGE_TREE_HEIGHT);
    }
    let mut level = vec![[0u8; 32]; PAGE_SIZE / (2 * LEAF_SIZE)];
    crate::keccak4::hash_pairs(page, &mut level);
    while level.len() > 1 {
        let mut up = vec![[0u8; 32]; level.len() / 2];
        crate::keccak4::hash_pairs(level.as_flattened(), &mut up);
        level = up;
    }
    level[0]
}

/// Value conversions of the load instructions (named in the opcode table): the bytes
/// read, little-endian, to the value pushed. Shared by the executor and the verifier.
pub mod load {
    /// 4 bytes, zero-extended.
    #[inline(always)]
    pub fn load_u32(b: [u8; 4]) -> u64 {
        u32::from_le_bytes(b) as u64
    }
    /// 8 bytes.
    #[inline(always)]
    pub fn load_u64(b: [u8; 8]) -> u64 {
        u64::from_le_bytes(b)
    }
    /// 1 byte, zero-extended.
    #[inline(always)]
    pub fn load_u8(b: [u8; 1]) -> u64 {
        b[0] as u64
    }
    /// 2 bytes, zero-extended.
    #[inline(always)]
    pub fn load_u16(b: [u8; 2]) -> u64 {
        u16::from_le_bytes(b) as u64
    }
    /// 1 byte, sign-extended to 32 bits.
    #[inline(always)]
    pub fn load_i8_as_i32(b: [u8; 1]) -> u64 {
        b[0] as i8 as i32 as u32 as u64
    }
    /// 2 bytes, sign-extended to 32 bits.
    #[inline(always)]
    pub fn load_i16_as_i32(b: [u8; 2]) -> u64 {
        i16::from_le_bytes(b) as i32 as u32 as u64
    }
    /// 1 byte, sign-extended to 64 bits.
    #[inline(always)]
    pub fn load_i8_as_i64(b: [u8; 1]) -> u64 {
        b[0] as i8 as i64 as u64
    }
    /// 2 bytes, sign-extended to 64 bits.
    #[inline(always)]
    pub fn load_i16_as_i64(b: [u8; 2]) -> u64 {
        i16::from_le_bytes(b) as i64 as u64
    }
    /// 4 bytes, sign-extended to 64 bits.
    #[inline(always)]
    pub fn load_i32_as_i64(b: [u8; 4]) -> u64 {
        i32::from_le_bytes(b) as i64 as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_root_tracks_stores_and_growth() {
        let mut m = Memory::new(1, Some(4));
        let r0 = m.root();
        assert_eq!(r0, m.root_from_scratch());
        m.store::<4>(100, 0, 0xdead_beef).unwrap();
        let r1 = m.root();
        assert_ne!(r0, r1);
        assert_eq!(r1, m.root_from_scratch());
        // Growing adds zero pages: the tree (and root) is unchanged.
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.root(), r1);
        // A store straddling a page boundary dirties both pages.
        m.store::<8>(PAGE_SIZE as u64 - 4, 0, u64::MAX).unwrap();
        assert_eq!(m.root(), m.root_from_scratch());
        assert_eq!(m.grow(2), None);
    }

    #[test]
    fn leaf_proofs_lead_to_the_root() {
        let mut m = Memory::new(2, None);
        m.store::<8>(PAGE_SIZE as u64 + 40, 0, 0x0102_0304_0506_0708)
            .unwrap();
        let root = m.root();
        for index in [0, 1, 2049, 2050, 4095, 5000] {
            let (word, path) = m.leaf_proof(index);
            assert_eq!(path.len(), MEMORY_TREE_HEIGHT);
            assert_eq!(
                merkle::root_from_path(&word, index, &path),
                root,
                "leaf {index}"
            );
        }
        assert_eq!(m.leaf_proof(2049).0[8..16], [8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn out_of_bounds_access_traps_without_writing() {
        let mut m = Memory::new(1, None);
        assert_eq!(
            m.store::<4>(PAGE_SIZE as u64 - 3, 0, 1),
            Err(Trap::MemoryOutOfBounds)
        );
        assert_eq!(m.read::<1>(0, u32::MAX), Err(Trap::MemoryOutOfBounds));
        assert!(m.bytes().iter().all(|&b| b == 0));
    }

    #[test]
    fn snapshots_share_clean_pages_and_restore_exactly() {
        let mut m = Memory::new(3, None);
        m.store::<4>(0, 0, 7).unwrap();
        let s1 = m.snapshot(None);
        m.store::<4>(2 * PAGE_SIZE as u64, 0, 9).unwrap();
        let s2 = m.snapshot(Some(&s1));
        assert!(Arc::ptr_eq(&s1.pages[0], &s2.pages[0]));
        assert!(!Arc::ptr_eq(&s1.pages[2], &s2.pages[2]));
        let mut back = Memory::from_snapshot(&s1);
        assert_eq!(back.root(), back.root_from_scratch());
        assert_eq!(back.read::<4>(0, 0).map(load::load_u32), Ok(7));
        assert_eq!(
            back.read::<4>(2 * PAGE_SIZE as u64, 0).map(load::load_u32),
            Ok(0)
        );
    }
}
