//! The start and final roots as the Registry rebuilds them (docs/dispute-protocol.md):
//! a region is one page `[u32 LE len][bytes]`, zero padded; its subtree root, a 16-hash
//! path to the memory root, the memory's pages and limit, and the 183-byte state prefix
//! give the state root. [`ModelLayout`] is what a model registers; [`FinalState`] is
//! what a submitter posts beside its output.

use opml_vm::commit::{memories_commitment, MemoryFields, StateFields};
use opml_vm::memory::{page_root, PAGES_TREE_HEIGHT, PAGE_SIZE, PAGE_TREE_HEIGHT};
use opml_vm::merkle::{keccak, node, Hash};
use opml_vm::Machine;

/// Bytes of a state preimage before its memories commitment.
pub const PREFIX_LEN: usize = opml_vm::commit::layout::STATE_PREFIX_LEN;
/// The most bytes a region holds after its length field.
pub const REGION_CAPACITY: usize = PAGE_SIZE - 4;

/// Why a layout or a final state could not be taken from a machine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LayoutError {
    /// The machine must have exactly one memory.
    #[error("the program has {0} memories, the registry supports exactly one")]
    Memories(usize),
    /// A region page lies outside the memory.
    #[error("region page {page} is outside the memory of {pages} pages")]
    PageOutside {
        /// The page.
        page: u32,
        /// Pages of the memory.
        pages: u32,
    },
    /// The region's length field exceeds the page.
    #[error("region length {0} exceeds {REGION_CAPACITY} bytes")]
    RegionTooLong(usize),
    /// The output page holds bytes beyond its payload, so no output proves it.
    #[error("the output page holds bytes beyond its length field's payload")]
    OutputPageNotClean,
}

/// The 183-byte state preimage before `memories` (tag, status, trap, pc, func, fp, sp,
/// depth, program, locals, operands, frames, globals).
pub fn state_prefix(f: &StateFields) -> Vec<u8> {
    let mut p = Vec::with_capacity(PREFIX_LEN);
    p.extend_from_slice(&[opml_vm::commit::tag::STATE, f.status.0, f.status.1]);
    for v in [f.pc, f.func, f.fp, f.sp, f.depth] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    for h in [f.program, f.locals, f.operands, f.frames, f.globals] {
        p.extend_from_slice(&h);
    }
    p
}

/// The page holding `[u32 LE len][bytes]`, zero padded.
pub fn region_page(bytes: &[u8]) -> Result<Vec<u8>, LayoutError> {
    if bytes.len() > REGION_CAPACITY {
        return Err(LayoutError::RegionTooLong(bytes.len()));
    }
    let mut page = vec![0u8; PAGE_SIZE];
    page[..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    page[4..4 + bytes.len()].copy_from_slice(bytes);
    Ok(page)
}

/// The state root from its prefix, the memory's fields and the memory root.
pub fn state_root(prefix: &[u8], pages: u32, limit: u32, memory_root: Hash) -> Hash {
    let memories = memories_commitment(&[MemoryFields {
        pages,
        limit,
        root: memory_root,
    }]);
    keccak(&[prefix, &memories])
}

/// The memory root with `leaf` as the root of page `page`, given its sibling path.
pub fn fold_page_path(leaf: Hash, page: u32, path: &[Hash; PAGES_TREE_HEIGHT]) -> Hash {
    path.iter().enumerate().fold(leaf, |h, (i, s)| {
        if (page >> i) & 1 == 0 {
            node(&h, s)
        } else {
            node(s, &h)
        }
    })
}

fn only_memory(m: &Machine) -> Result<(), LayoutError> {
    match m.memory(1) {
        None if m.memory(0).is_some() => Ok(()),
        _ => Err(LayoutError::Memories(
            (0..).take_while(|&i| m.memory(i).is_some()).count(),
        )),
    }
}

/// The sibling path of page `page` in the tree over pages, bottom first.
fn page_path(m: &mut Machine, page: u32) -> Result<[Hash; PAGES_TREE_HEIGHT], LayoutError> {
    only_memory(m)?;
    let mem = m.memory_mut(0).ok_or(LayoutError::Memories(0))?;
    if page >= mem.pages() {
        return Err(LayoutError::PageOutside {
            page,
            pages: mem.pages(),
        });
    }
    let leaves_per_page = (PAGE_SIZE / 32) as u64;
    let (_, path) = mem.leaf_proof(page as u64 * leaves_per_page);
    let mut out = [[0u8; 32]; PAGES_TREE_HEIGHT];
    out.copy_from_slice(&path[PAGE_TREE_HEIGHT..]);
    Ok(out)
}

fn memory_sizes(m: &Machine) -> (u32, u32) {
    m.memory(0)
        .map_or((0, 0), |mem| (mem.pages(), mem.page_limit()))
}

/// What a model registers: its initial state up to the input page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelLayout {
    /// The initial state's prefix ([`PREFIX_LEN`] bytes).
    pub prefix: Vec<u8>,
    /// Pages of the memory.
    pub pages: u32,
    /// Page limit of the memory.
    pub limit: u32,
    /// Page index of the input region.
    pub input_page: u32,
    /// Page index of the output region.
    pub output_page: u32,
    /// Sibling path of the input page, bottom first.
    pub input_path: [Hash; PAGES_TREE_HEIGHT],
}

impl ModelLayout {
    /// The layout of `m`, a machine prepared for its first step with some input (the
    /// input page's own contents do not enter the layout).
    pub fn of(m: &mut Machine, input_page: u32, output_page: u32) -> Result<Self, LayoutError> {
        let input_path = page_path(m, input_page)?;
        let (pages, limit) = memory_sizes(m);
        Ok(ModelLayout {
            prefix: state_prefix(&m.state_fields()),
            pages,
            limit,
            input_page,
            output_page,
            input_path,
        })
    }

    /// The start root of this model on `input`, as `Registry.startRoot` computes it.
    pub fn start_root(&self, input: &[u8]) -> Result<Hash, LayoutError> {
        let page = page_root(&region_page(input)?);
        let memory_root = fold_page_path(page, self.input_page, &self.input_path);
        Ok(state_root(
            &self.prefix,
            self.pages,
            self.limit,
            memory_root,
        ))
    }
}

/// A final state as posted with a result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FinalState {
    /// The output bytes (the region's payload).
    pub output: Vec<u8>,
    /// The final state's prefix (status included).
    pub prefix: Vec<u8>,
    /// Pages of the memory.
    pub pages: u32,
    /// Page limit of the memory.
    pub limit: u32,
    /// Sibling path of the output page, bottom first.
    pub output_path: [Hash; PAGES_TREE_HEIGHT],
}

impl FinalState {
    /// The final state of `m` with its output read from page `output_page`.
    pub fn of(m: &mut Machine, output_page: u32) -> Result<Self, LayoutError> {
        let output_path = page_path(m, output_page)?;
        let (pages, limit) = memory_sizes(m);
        let start = output_page as usize * PAGE_SIZE;
        let page = m
            .memory(0)
            .and_then(|mem| mem.read_bytes(start as u64, PAGE_SIZE))
            .ok_or(LayoutError::Memories(0))?;
        let len = u32::from_le_bytes([page[0], page[1], page[2], page[3]]) as usize;
        if len > REGION_CAPACITY {
            return Err(LayoutError::RegionTooLong(len));
        }
        Ok(FinalState {
            output: page[4..4 + len].to_vec(),
            prefix: state_prefix(&m.state_fields()),
            pages,
            limit,
            output_path,
        })
    }

    /// The state root this final state claims, as `Registry.submit` computes it (the
    /// output page rebuilt from the output bytes).
    pub fn root(&self, output_page: u32) -> Result<Hash, LayoutError> {
        let page = page_root(&region_page(&self.output)?);
        let memory_root = fold_page_path(page, output_page, &self.output_path);
        Ok(state_root(
            &self.prefix,
            self.pages,
            self.limit,
            memory_root,
        ))
    }

    /// The status byte of the final state.
    pub fn status(&self) -> u8 {
        self.prefix.get(1).copied().unwrap_or(0)
    }
}
