//! Linear memory with per-page dirty tracking and a lazily rehashed Merkle root.
//!
//! The bytes live in a page table: one slot per 64 KiB page, `None` for a page that was
//! never written (it reads as zeros and costs nothing but its slot), so a memory costs
//! what is used whatever its declared size. The commitment is one binary tree of fixed
//! height [`MEMORY_TREE_HEIGHT`] over the whole 4 GiB address space with 32-byte leaves:
//! a 64 KiB page is a subtree of height [`PAGE_TREE_HEIGHT`], and bytes beyond the
//! current size are zero. Stores mark their pages dirty; [`Memory::root`] rehashes only
//! dirty pages. `memory.grow` changes the size (committed separately), never the tree.

use crate::merkle::{self, Hash};
use crate::trap::Trap;

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

/// The bytes of one page.
pub type Page = [u8; PAGE_SIZE];

/// What every page that was never written holds.
static ZERO_PAGE: Page = [0; PAGE_SIZE];

/// Page flag: the page's hash is stale.
const HASH_STALE: u8 = 1;
/// Page flag: written since the baseline (the last snapshot or restore).
const WRITTEN: u8 = 2;
/// Page flag: still holds what it held at [`Memory::keep_originals`], not yet copied.
const ORIGINAL: u8 = 4;

/// A page's content before its first write after [`Memory::keep_originals`], and its
/// hash when it was up to date.
#[derive(Clone, Debug)]
pub(crate) struct Original {
    /// The page number.
    pub(crate) page: u32,
    /// Its bytes.
    pub(crate) bytes: Box<Page>,
    /// Its root, if known then.
    pub(crate) hash: Option<Hash>,
}

/// A heap copy of `page`.
pub(crate) fn page_copy(page: &Page) -> Box<Page> {
    let mut copy = zeroed_page();
    copy.copy_from_slice(page);
    copy
}

/// One linear memory.
#[derive(Clone, Debug)]
pub struct Memory {
    /// One slot per page of the current size; `None` is a zero page.
    pages: Vec<Option<Box<Page>>>,
    max_pages: Option<u32>,
    /// Per page: `HASH_STALE`, `WRITTEN`.
    flags: Vec<u8>,
    page_hashes: Vec<Hash>,
    /// The pages flagged `WRITTEN`, in the order of their first write.
    written: Vec<u32>,
    /// The tree over the page hashes: `upper[h - 1]` holds its nodes at height `h`
    /// (1 ..= [`PAGES_TREE_HEIGHT`]) over the most pages the memory has had; nodes past
    /// the end are zero subtrees.
    upper: Vec<Vec<Hash>>,
    /// Pages whose hash changed since `upper` was last brought up to date.
    upper_stale: Vec<u32>,
    /// Copies of pages flagged `ORIGINAL`, made at their first write.
    originals: Vec<Original>,
}

/// A fresh zeroed page on the heap (no 64 KiB temporary on the stack).
pub fn zeroed_page() -> Box<Page> {
    match vec![0u8; PAGE_SIZE].into_boxed_slice().try_into() {
        Ok(page) => page,
        Err(_) => unreachable!("the vector has PAGE_SIZE bytes"),
    }
}

impl Memory {
    /// A zeroed memory of `initial` pages, growable up to `max` pages. Nothing but the
    /// page table is allocated.
    pub fn new(initial: u32, max: Option<u32>) -> Memory {
        let n = initial as usize;
        Memory {
            pages: (0..n).map(|_| None).collect(),
            max_pages: max,
            flags: vec![0; n],
            page_hashes: vec![merkle::zero_hash(PAGE_TREE_HEIGHT); n],
            written: Vec::new(),
            upper: vec![Vec::new(); PAGES_TREE_HEIGHT],
            upper_stale: Vec::new(),
            originals: Vec::new(),
        }
    }

    /// Current size in pages.
    #[inline]
    pub fn pages(&self) -> u32 {
        self.pages.len() as u32
    }

    /// Current size in bytes.
    #[inline]
    pub fn size(&self) -> u64 {
        self.pages.len() as u64 * PAGE_SIZE as u64
    }

    /// Declared maximum in pages, if any.
    pub fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    /// Pages that hold bytes (written at least once and not restored to zero); the
    /// others share the zero page.
    pub fn allocated_pages(&self) -> usize {
        self.pages.iter().filter(|p| p.is_some()).count()
    }

    /// The bytes of page `p` (the zero page if it was never written), if inside memory.
    pub fn page(&self, p: u32) -> Option<&Page> {
        let slot = self.pages.get(p as usize)?;
        Some(slot.as_deref().unwrap_or(&ZERO_PAGE))
    }

    /// Copies `len` bytes at `addr`, if inside memory.
    pub fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let end = addr.checked_add(len as u64).filter(|&e| e <= self.size())?;
        let mut out = Vec::with_capacity(len);
        let mut at = addr;
        while at < end {
            let p = (at / PAGE_SIZE as u64) as u32;
            let off = (at % PAGE_SIZE as u64) as usize;
            let take = (PAGE_SIZE - off).min((end - at) as usize);
            out.extend_from_slice(&self.page(p)?[off..off + take]);
            at += take as u64;
        }
        Some(out)
    }

    /// The whole memory as one buffer (tests and comparisons; costs the full size).
    pub fn to_vec(&self) -> Vec<u8> {
        self.read_bytes(0, self.size() as usize).unwrap_or_default()
    }

    /// `memory.grow`: the old size in pages, or `None` when growing by `delta` would pass
    /// the declared maximum or 4 GiB. New pages are zero pages: nothing is allocated.
    pub fn grow(&mut self, delta: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta).filter(|&n| n <= self.page_limit())?;
        self.resize(new);
        Some(old)
    }

    /// Sets the size to `pages`: new pages are zero, pages past it are dropped.
    pub(crate) fn resize(&mut self, pages: u32) {
        let n = pages as usize;
        let zero = merkle::zero_hash(PAGE_TREE_HEIGHT);
        let dropped = self.page_hashes.get(n..).unwrap_or_default();
        let dropped = (n..).zip(dropped).filter(|(_, h)| **h != zero);
        self.upper_stale.extend(dropped.map(|(p, _)| p as u32));
        self.pages.resize_with(n, || None);
        self.flags.resize(n, 0);
        self.page_hashes
            .resize(n, merkle::zero_hash(PAGE_TREE_HEIGHT));
        self.written.retain(|&p| (p as usize) < n);
    }

    /// The effective address range `base + offset .. + len`, if inside memory.
    #[inline(always)]
    fn range(&self, base: u64, offset: u32, len: usize) -> Result<usize, Trap> {
        let ea = (base as u32 as u64) + offset as u64;
        if ea + len as u64 > self.size() {
            return Err(Trap::MemoryOutOfBounds);
        }
        Ok(ea as usize)
    }

    /// Reads `N` bytes at `base + offset`.
    #[inline(always)]
    pub fn read<const N: usize>(&self, base: u64, offset: u32) -> Result<[u8; N], Trap> {
        let ea = self.range(base, offset, N)?;
        let (p, off) = (ea / PAGE_SIZE, ea % PAGE_SIZE);
        let mut out = [0u8; N];
        if off + N <= PAGE_SIZE {
            if let Some(page) = &self.pages[p] {
                out.copy_from_slice(&page[off..off + N]);
            }
        } else {
            self.read_straddling(ea, &mut out);
        }
        Ok(out)
    }

    /// A read across a page boundary (bounds already checked).
    #[cold]
    fn read_straddling(&self, ea: usize, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            let a = ea + i;
            *b = self.pages[a / PAGE_SIZE]
                .as_deref()
                .map_or(0, |page| page[a % PAGE_SIZE]);
        }
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
        let (p, off) = (ea / PAGE_SIZE, ea % PAGE_SIZE);
        let bytes = value.to_le_bytes();
        // Fast path: a page already written since the last root and snapshot.
        if off + N <= PAGE_SIZE && self.flags[p] == HASH_STALE | WRITTEN {
            if let Some(page) = &mut self.pages[p] {
                page[off..off + N].copy_from_slice(&bytes[..N]);
                return Ok(());
            }
        }
        self.write_unchecked(ea, &bytes[..N]);
        Ok(())
    }

    /// Writes `data` at `ea` (bounds already checked): allocates zero pages on first
    /// write and flags every page touched.
    #[cold]
    fn write_unchecked(&mut self, ea: usize, data: &[u8]) {
        let mut at = ea;
        let mut rest = data;
        while !rest.is_empty() {
            let (p, off) = (at / PAGE_SIZE, at % PAGE_SIZE);
            let take = (PAGE_SIZE - off).min(rest.len());
            if self.flags[p] & ORIGINAL != 0 {
                self.keep_original(p);
            }
            self.pages[p].get_or_insert_with(zeroed_page)[off..off + take]
                .copy_from_slice(&rest[..take]);
            if self.flags[p] & WRITTEN == 0 {
                self.written.push(p as u32);
            }
            self.flags[p] = HASH_STALE | WRITTEN;
            at += take;
            rest = &rest[take..];
        }
    }

    /// Copies `data` to `addr` (instantiation's data segments, an embedder's inputs);
    /// out of range is an error.
    pub fn write_bytes(&mut self, addr: usize, data: &[u8]) -> Result<(), Trap> {
        addr.checked_add(data.len())
            .filter(|&e| e as u64 <= self.size())
            .ok_or(Trap::MemoryOutOfBounds)?;
        self.write_unchecked(addr, data);
        Ok(())
    }

    /// The Merkle root of the memory contents (size not included). Rehashes only the
    /// pages written since the last call.
    pub fn root(&mut self) -> Hash {
        let stale: Vec<usize> = (0..self.flags.len())
            .filter(|&p| self.flags[p] & HASH_STALE != 0)
            .collect();
        let hashes: Vec<(usize, Hash)> = {
            use rayon::prelude::*;
            let pages = &self.pages;
            stale
                .par_iter()
                .map(|&p| {
                    (
                        p,
                        pages[p]
                            .as_deref()
                            .map_or_else(zero_page_root, |b| page_root(b)),
                    )
                })
                .collect()
        };
        for (p, h) in hashes {
            if self.page_hashes[p] != h {
                self.upper_stale.push(p as u32);
            }
            self.page_hashes[p] = h;
            self.flags[p] &= !HASH_STALE;
        }
        self.update_upper();
        self.upper_node(PAGES_TREE_HEIGHT, 0)
    }

    /// Node `i` at height `h` of the tree over page hashes (height 0: the page hashes).
    fn upper_node(&self, h: usize, i: usize) -> Hash {
        let node = match h {
            0 => self.page_hashes.get(i),
            _ => self.upper[h - 1].get(i),
        };
        node.copied()
            .unwrap_or_else(|| merkle::zero_hash(PAGE_TREE_HEIGHT + h))
    }

    /// Rehashes the paths above the pages whose hash changed: 16 hashes per page.
    fn update_upper(&mut self) {
        let stale_end = self.upper_stale.iter().max().map_or(0, |&p| p as usize + 1);
        let capacity = self.pages.len().max(stale_end).max(1);
        for h in 1..=PAGES_TREE_HEIGHT {
            let len = capacity.div_ceil(1 << h);
            if self.upper[h - 1].len() < len {
                let zero = merkle::zero_hash(PAGE_TREE_HEIGHT + h);
                self.upper[h - 1].resize(len, zero);
            }
        }
        let mut nodes: Vec<usize> = self.upper_stale.drain(..).map(|p| p as usize).collect();
        nodes.sort_unstable();
        for h in 1..=PAGES_TREE_HEIGHT {
            for i in nodes.iter_mut() {
                *i /= 2;
            }
            nodes.dedup();
            for &i in &nodes {
                let left = self.upper_node(h - 1, 2 * i);
                let right = self.upper_node(h - 1, 2 * i + 1);
                self.upper[h - 1][i] = merkle::node(&left, &right);
            }
        }
    }

    /// The root recomputed from the bytes alone, ignoring every cache (for tests of the
    /// incremental path).
    pub fn root_from_scratch(&self) -> Hash {
        let hashes: Vec<Hash> = (0..self.pages())
            .map(|p| self.page(p).map_or_else(zero_page_root, |b| page_root(b)))
            .collect();
        merkle::root_over(&hashes, PAGE_TREE_HEIGHT, PAGES_TREE_HEIGHT)
    }

    /// The 32-byte leaf number `index` (zero beyond the current size) and its sibling
    /// path in the memory tree, bottom first ([`MEMORY_TREE_HEIGHT`] hashes).
    pub fn leaf_proof(&mut self, index: u64) -> (Hash, Vec<Hash>) {
        self.subtree_proof(0, index)
    }

    /// The root of the subtree of height `height` at position `index` among the
    /// subtrees of that height (zero beyond the current size), and its sibling path to
    /// the memory root, bottom first (`MEMORY_TREE_HEIGHT - height` hashes).
    pub fn subtree_proof(&mut self, height: usize, index: u64) -> (Hash, Vec<Hash>) {
        self.root();
        if height >= PAGE_TREE_HEIGHT {
            let (h, i) = (height - PAGE_TREE_HEIGHT, index as usize);
            let path = (h..PAGES_TREE_HEIGHT)
                .map(|up| self.upper_node(up, (i >> (up - h)) ^ 1))
                .collect();
            return (self.upper_node(h, i), path);
        }
        let per_page = 1u64 << (PAGE_TREE_HEIGHT - height);
        let page = (index / per_page) as usize;
        let within = (index % per_page) as usize;
        let (root, mut path) = match self.pages.get(page) {
            Some(Some(bytes)) => {
                let leaves: Vec<Hash> = bytes
                    .chunks_exact(LEAF_SIZE)
                    .map(|c| {
                        let mut w = [0u8; 32];
                        w.copy_from_slice(c);
                        w
                    })
                    .collect();
                let first = within << height;
                let root = merkle::root_of(&leaves[first..first + (1 << height)], height);
                let path = merkle::path_over(&leaves, 0, PAGE_TREE_HEIGHT, first);
                (root, path[height..].to_vec())
            }
            _ => (
                merkle::zero_hash(height),
                (height..PAGE_TREE_HEIGHT).map(merkle::zero_hash).collect(),
            ),
        };
        path.extend((0..PAGES_TREE_HEIGHT).map(|h| self.upper_node(h, (page >> h) ^ 1)));
        (root, path)
    }

    /// The most pages `memory.grow` may reach: the declared maximum, capped at 4 GiB.
    pub fn page_limit(&self) -> u32 {
        self.max_pages.unwrap_or(MAX_PAGES).min(MAX_PAGES)
    }

    /// The pages written since the baseline (the last call, or the last
    /// [`Memory::set_page`] restore), which becomes now.
    pub(crate) fn take_written(&mut self) -> Vec<u32> {
        for &p in &self.written {
            self.flags[p as usize] &= !WRITTEN;
        }
        std::mem::take(&mut self.written)
    }

    /// From now on, the first write to each page that holds bytes copies its content
    /// first (see [`Memory::take_originals`]): a trace's first checkpoint then costs the
    /// pages the run overwrites, not every page of the initial memory.
    pub(crate) fn keep_originals(&mut self) {
        for (flag, page) in self.flags.iter_mut().zip(&self.pages) {
            if page.is_some() {
                *flag |= ORIGINAL;
            }
        }
    }

    /// Copies page `p`'s content (before a write) and clears its `ORIGINAL` flag.
    #[cold]
    fn keep_original(&mut self, p: usize) {
        self.flags[p] &= !ORIGINAL;
        if let Some(b) = &self.pages[p] {
            let bytes = page_copy(b);
            let hash = self.page_hash(p as u32);
            self.originals.push(Original {
                page: p as u32,
                bytes,
                hash,
            });
        }
    }

    /// The originals copied since the last call (see [`Memory::keep_originals`]).
    pub(crate) fn take_originals(&mut self) -> Vec<Original> {
        std::mem::take(&mut self.originals)
    }

    /// Whether page `p` was written since the baseline.
    pub(crate) fn is_written(&self, p: u32) -> bool {
        self.flags.get(p as usize).is_some_and(|f| f & WRITTEN != 0)
    }

    /// The hash of page `p` if it is up to date.
    pub(crate) fn page_hash(&self, p: u32) -> Option<Hash> {
        let i = p as usize;
        (self.flags.get(i)? & HASH_STALE == 0).then(|| self.page_hashes[i])
    }

    /// The allocated bytes of page `p` (`None` for a zero page or outside memory).
    pub(crate) fn page_bytes(&self, p: u32) -> Option<&Page> {
        self.pages.get(p as usize)?.as_deref()
    }

    /// Replaces page `p` (inside memory) in place with `bytes` (`None`: zeros, freeing
    /// its buffer), whose hash is `hash` when known. Not a write: the page is not
    /// flagged as written since the baseline.
    pub(crate) fn set_page(&mut self, p: u32, bytes: Option<&Page>, hash: Option<Hash>) {
        let i = p as usize;
        match bytes {
            Some(b) => self.pages[i]
                .get_or_insert_with(zeroed_page)
                .copy_from_slice(b),
            None => self.pages[i] = None,
        }
        match hash {
            Some(h) => {
                if self.page_hashes[i] != h {
                    self.upper_stale.push(p);
                }
                self.page_hashes[i] = h;
                self.flags[i] &= !HASH_STALE;
            }
            None => self.flags[i] |= HASH_STALE,
        }
    }
}

/// Root of an all-zero page.
fn zero_page_root() -> Hash {
    merkle::zero_hash(PAGE_TREE_HEIGHT)
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
        assert!(m.to_vec().iter().all(|&b| b == 0));
    }

    #[test]
    fn untouched_pages_are_not_allocated() {
        let mut m = Memory::new(65536, None);
        assert_eq!(m.allocated_pages(), 0);
        assert_eq!(m.read::<8>(3 << 30, 0), Ok([0; 8]));
        m.store::<4>(5 * PAGE_SIZE as u64 + 8, 0, 7).unwrap();
        assert_eq!(m.allocated_pages(), 1);
        assert_eq!(m.root(), m.root_from_scratch());
        let mut small = Memory::new(1, None);
        assert_eq!(small.grow(65535), Some(1));
        assert_eq!(small.allocated_pages(), 0);
        assert_eq!(small.root(), merkle::zero_hash(MEMORY_TREE_HEIGHT));
    }

    #[test]
    fn accesses_across_a_page_boundary() {
        let mut m = Memory::new(2, None);
        let at = PAGE_SIZE as u64 - 3;
        m.store::<8>(at, 0, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(m.allocated_pages(), 2);
        assert_eq!(
            m.read::<8>(at, 0).map(load::load_u64),
            Ok(0x0102_0304_0506_0708)
        );
        assert_eq!(m.read_bytes(at, 8), Some(vec![8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(m.root(), m.root_from_scratch());
        // The second page's part alone, read from a fresh page-aligned address.
        assert_eq!(
            m.read::<4>(PAGE_SIZE as u64, 0).map(load::load_u32),
            Ok(0x0203_0405)
        );
    }

    #[test]
    fn set_page_replaces_in_place_and_keeps_known_hashes() {
        let mut m = Memory::new(2, None);
        m.store::<4>(0, 0, 7).unwrap();
        let root = m.root();
        let saved = *m.page(0).unwrap();
        let hash = m.page_hash(0);
        assert_eq!(m.take_written(), vec![0]);
        m.store::<4>(0, 0, 9).unwrap();
        assert!(m.is_written(0) && m.page_hash(0).is_none());
        m.set_page(0, Some(&saved), hash);
        assert_eq!(m.root(), root);
        m.set_page(0, None, None);
        assert_eq!(m.allocated_pages(), 0);
        assert_eq!(m.root(), m.root_from_scratch());
    }
}
