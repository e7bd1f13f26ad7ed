//! Byte-pair merging of one word: repeatedly merge the adjacent pair with the lowest
//! merge rank (the leftmost one among equals) until no pair has a merge.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Marks a symbol merged into its left neighbour.
const DEAD: u32 = u32::MAX;
/// No neighbour.
const NONE: usize = usize::MAX;

/// The merge table: `(left id, right id) -> (rank, merged id)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merges {
    table: HashMap<(u32, u32), (u32, u32)>,
}

/// A symbol of the word being merged, in a doubly linked list over positions.
struct Sym {
    id: u32,
    prev: usize,
    next: usize,
}

impl Merges {
    /// Records that `left right` merges into `merged` with priority `rank` (lower
    /// first). A repeated pair keeps the later rank.
    pub(crate) fn insert(&mut self, left: u32, right: u32, rank: u32, merged: u32) {
        self.table.insert((left, right), (rank, merged));
    }

    fn lookup(&self, left: u32, right: u32) -> Option<(u32, u32)> {
        self.table.get(&(left, right)).copied()
    }

    /// Merges the token ids of one word in place.
    pub(crate) fn apply(&self, ids: &mut Vec<u32>) {
        if ids.len() < 2 {
            return;
        }
        let n = ids.len();
        let mut syms: Vec<Sym> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| Sym {
                id,
                prev: if i == 0 { NONE } else { i - 1 },
                next: if i + 1 == n { NONE } else { i + 1 },
            })
            .collect();
        // (rank, left position, left id, right id): the ids detect stale entries.
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<_>, syms: &[Sym], left: usize| {
            let right = syms[left].next;
            if right == NONE {
                return;
            }
            let (l, r) = (syms[left].id, syms[right].id);
            if let Some((rank, _)) = self.lookup(l, r) {
                heap.push(Reverse((rank, left, l, r)));
            }
        };
        for i in 0..n - 1 {
            push(&mut heap, &syms, i);
        }
        while let Some(Reverse((_, left, l, r))) = heap.pop() {
            let right = syms[left].next;
            if syms[left].id != l || right == NONE || syms[right].id != r {
                continue;
            }
            let Some((_, merged)) = self.lookup(l, r) else {
                continue;
            };
            syms[left].id = merged;
            let after = syms[right].next;
            syms[left].next = after;
            syms[right].id = DEAD;
            if after != NONE {
                syms[after].prev = left;
            }
            if syms[left].prev != NONE {
                push(&mut heap, &syms, syms[left].prev);
            }
            push(&mut heap, &syms, left);
        }
        ids.clear();
        let mut i = 0;
        while i != NONE {
            ids.push(syms[i].id);
            i = syms[i].next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_rank_first_and_leftmost_among_equals() {
        // ids: a=0 b=1 ab=2 bb=3 abb=4
        let mut m = Merges::default();
        m.insert(1, 1, 0, 3); // "b b" first
        m.insert(0, 1, 1, 2); // "a b"
        m.insert(0, 3, 2, 4); // "a bb"
        let mut ids = vec![0, 1, 1];
        m.apply(&mut ids);
        assert_eq!(ids, [4]);
        let mut ids = vec![1, 1, 1];
        m.apply(&mut ids);
        assert_eq!(ids, [3, 1]);
        let mut ids = vec![0, 1, 0, 1, 1, 1];
        m.apply(&mut ids);
        assert_eq!(ids, [2, 4, 1]);
    }
}
