//! The guest ABI: fixed, 64 KiB-page-aligned memory regions shared by the Wasm guest,
//! the native path and the host (see `docs/guest-abi.md`).
//!
//! Each region starts with a little-endian `u32` payload length followed by the payload.
//! The regions lie at and above [`REGION_BASE`] (16 MiB), above everything the linker
//! places (stack, data, bss); the guest declares less memory than that and the host
//! grows the memory to [`memory_pages`] before writing the regions and invoking `run`.
//!
//! An LLM image (format version 2) is told apart by the image region's length field:
//! [`LLM_IMAGE_TAG`] there, the image's `u64` length at [`LLM_IMAGE_LEN_ADDR`], the
//! image itself page-aligned at [`LLM_IMAGE_ADDR`] and its arena (activations and KV
//! caches, zero at the start) from [`llm_arena_addr`] on; see [`llm_memory_pages`].

/// Size of a Wasm page, and the alignment of every region.
pub const PAGE: usize = 65536;
/// First byte above the linker's memory (stack, data, bss): 16 MiB.
pub const REGION_BASE: usize = 256 * PAGE;
/// Input region: exactly one page, so it is one whole subtree of the memory Merkle tree.
pub const INPUT_ADDR: usize = REGION_BASE;
/// Most input bytes the input region holds (the page minus the length field).
pub const INPUT_CAPACITY: usize = PAGE - 4;
/// Output region: one page, written by the guest.
pub const OUTPUT_ADDR: usize = REGION_BASE + PAGE;
/// Most output bytes the output region holds.
pub const OUTPUT_CAPACITY: usize = PAGE - 4;
/// Image region: from here to the end of memory.
pub const IMAGE_ADDR: usize = REGION_BASE + 2 * PAGE;
/// Largest accepted model image (16 MiB).
pub const IMAGE_CAPACITY: usize = 256 * PAGE;
/// Elements in each of the guest's two int8 activation buffers and its int32
/// accumulator buffer; a model whose activations are larger is rejected.
pub const ACTIVATION_CAPACITY: usize = 1 << 16;

/// Wasm pages the memory needs for an image of `image_len` bytes: up to the end of the
/// image region's payload, rounded up to a page. `None` past [`IMAGE_CAPACITY`].
pub const fn memory_pages(image_len: usize) -> Option<usize> {
    if image_len > IMAGE_CAPACITY {
        return None;
    }
    Some((IMAGE_ADDR + 4 + image_len).div_ceil(PAGE))
}

/// Value of the image region's length field that marks an LLM image (no classifier
/// image can have it: they are at most [`IMAGE_CAPACITY`] bytes).
pub const LLM_IMAGE_TAG: u32 = u32::MAX;
/// Where the `u64` little-endian length of an LLM image is, in the image region's first
/// page.
pub const LLM_IMAGE_LEN_ADDR: usize = IMAGE_ADDR + 8;
/// An LLM image starts here, page-aligned (one page above [`IMAGE_ADDR`]), so each of
/// its page-aligned tensors is a run of whole pages of the memory tree.
pub const LLM_IMAGE_ADDR: usize = IMAGE_ADDR + PAGE;
/// The whole 32-bit address space: 65 536 pages.
pub const MEMORY_LIMIT: u64 = 1 << 32;

/// Where the arena of an LLM image of `image_len` bytes starts: the first page boundary
/// at or after the image's end. `None` when it lies beyond the address space.
pub const fn llm_arena_addr(image_len: u64) -> Option<u64> {
    let end = LLM_IMAGE_ADDR as u64 + image_len;
    let addr = end.div_ceil(PAGE as u64) * PAGE as u64;
    if addr > MEMORY_LIMIT {
        None
    } else {
        Some(addr)
    }
}

/// Wasm pages the memory needs for an LLM image of `image_len` bytes whose arena is
/// `arena_len` bytes: up to the end of the arena, rounded up to a page. `None` past
/// the 4 GiB address space.
pub const fn llm_memory_pages(image_len: u64, arena_len: u64) -> Option<usize> {
    let Some(arena) = llm_arena_addr(image_len) else {
        return None;
    };
    let Some(end) = arena.checked_add(arena_len) else {
        return None;
    };
    if end > MEMORY_LIMIT {
        return None;
    }
    Some(end.div_ceil(PAGE as u64) as usize)
}

/// Height of the region holding the guest's own memory (stack, data, bss) as a node
/// program of a two-phase game: the 16 MiB below [`REGION_BASE`] (`32 << 19` bytes).
pub const NODE_BASE_HEIGHT: u32 = 19;
/// Where a graph node's descriptor is, for `node()` (the input region's address: a
/// node run uses none of the request regions).
pub const NODE_DESC_ADDR: usize = REGION_BASE;
/// Height of the descriptor's region: 8 KiB.
pub const NODE_DESC_HEIGHT: u32 = 8;
/// Bytes of the descriptor region.
pub const NODE_DESC_CAPACITY: usize = 32 << NODE_DESC_HEIGHT;
/// A node's tensors lie at or above this address (32 MiB).
pub const NODE_TENSORS_ADDR: usize = 2 * REGION_BASE;
