//! The page versions a trace keeps: per page of a memory, its content at each
//! checkpoint where it changed. A checkpoint stores only the pages written in its
//! interval; the content of page `p` at checkpoint `k` is its last version at or before
//! `k` (zero if it has none). Checkpoint 0's versions (the initial memory) are added
//! lazily, from the copy a page's first write makes ([`PageHistory::record_original`]):
//! a page never written needs none, the live memory still holds it.

use crate::memory::{page_copy, Memory, Original, Page};
use crate::merkle::Hash;
use std::sync::{Arc, OnceLock};

/// One page's content from some checkpoint on, and its hash once someone computed it.
#[derive(Debug)]
pub(crate) struct Version {
    /// `None`: all zero.
    pub(crate) bytes: Option<Box<Page>>,
    /// The page root, filled when known (at recording, or after a seek's root).
    pub(crate) hash: OnceLock<Hash>,
}

impl Version {
    /// A version holding `bytes` (`None`: zeros), with its hash when known.
    fn new(bytes: Option<Box<Page>>, hash: Option<Hash>) -> Arc<Version> {
        let known = OnceLock::new();
        if let Some(h) = hash {
            let _ = known.set(h);
        }
        Arc::new(Version { bytes, hash: known })
    }
}

/// The versions of the pages of one memory.
#[derive(Debug, Default)]
pub(crate) struct PageHistory {
    /// Per page: `(checkpoint, version)` in ascending checkpoint order.
    versions: Vec<Vec<(u32, Arc<Version>)>>,
}

impl PageHistory {
    /// Records the current content of `pages` of `mem` as their version at checkpoint
    /// `index` (replacing a version already recorded at `index`). Returns the bytes of
    /// page buffers added.
    pub(crate) fn record(&mut self, mem: &Memory, index: u32, pages: &[u32]) -> u64 {
        let mut added = 0;
        for &p in pages {
            let bytes = mem.page_bytes(p).map(page_copy);
            added += bytes.as_ref().map_or(0, |b| b.len() as u64);
            let version = Version::new(bytes, mem.page_hash(p));
            let list = self.list(p);
            if list.last().is_some_and(|(i, _)| *i == index) {
                list.pop();
            }
            list.push((index, version));
        }
        added
    }

    /// Records `original` as its page's version at checkpoint 0. The page's first
    /// write made it, so no later version of the page is recorded yet.
    pub(crate) fn record_original(&mut self, original: Original) {
        let version = Version::new(Some(original.bytes), original.hash);
        self.list(original.page).insert(0, (0, version));
    }

    /// Page `p`'s list of versions (created empty).
    fn list(&mut self, p: u32) -> &mut Vec<(u32, Arc<Version>)> {
        let p = p as usize;
        if self.versions.len() <= p {
            self.versions.resize_with(p + 1, Vec::new);
        }
        &mut self.versions[p]
    }

    /// Page buffers held, checkpoint 0's included.
    pub(crate) fn pages_held(&self) -> usize {
        self.versions
            .iter()
            .flatten()
            .filter(|(_, v)| v.bytes.is_some())
            .count()
    }

    /// The version of page `p` at checkpoint `index`; `None` when it has none (zero).
    pub(crate) fn at(&self, p: u32, index: u32) -> Option<&Arc<Version>> {
        let list = self.versions.get(p as usize)?;
        let k = list.partition_point(|(i, _)| *i <= index);
        list.get(k.checked_sub(1)?).map(|(_, v)| v)
    }

    /// Renumbers for a trace that keeps only its even checkpoints (`2j` becomes `j`):
    /// a version from checkpoint `i` holds from `ceil(i / 2)` on, the later of two
    /// landing on the same checkpoint wins.
    pub(crate) fn halve(&mut self) {
        for list in &mut self.versions {
            let old = std::mem::take(list);
            for (i, v) in old {
                let j = i.div_ceil(2);
                if list.last().is_some_and(|(k, _)| *k == j) {
                    list.pop();
                }
                list.push((j, v));
            }
        }
    }

    /// Bytes of page buffers held by versions from checkpoint 1 on.
    pub(crate) fn bytes_after_first(&self) -> u64 {
        self.versions
            .iter()
            .flatten()
            .filter(|(i, v)| *i > 0 && v.bytes.is_some())
            .map(|_| std::mem::size_of::<Page>() as u64)
            .sum()
    }
}
